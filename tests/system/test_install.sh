#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install DESTDIR=... PREFIX=/usr` lays out a service (issue 14, item 1):
# the files where they belong, a pkg-config file naming the install prefix
# (not the one of an earlier build) that compiles and links a program against
# the installed library, an existing /etc/bftime/bftime.yaml kept, both
# installed programs answering --version with the Makefile's VERSION, every
# man page rendered by man(1) without a single troff warning, the systemd
# unit accepted by `systemd-analyze verify` (SKIPPED, with the reason, where
# systemd-analyze is missing or cannot verify even a trivial unit here) and
# hardened (`systemd-analyze security --offline` exposure at most 3.0), and
# the installed bftimed telling a notify socket READY=1, WATCHDOG=1 (with
# WATCHDOG_USEC set, as WatchdogSec does) and STOPPING=1 as Type=notify
# needs, and logging what SIGHUP found on rereading its configuration.
cd "$(dirname "$0")/../.." || exit 1
dir=$(mktemp -d /tmp/bftime-install.XXXXXX) || exit 1
. tests/system/lib.sh
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
R=$dir/root
V=$(sed -n 's/^VERSION *:= *//p' Makefile)

# A plain build first (prefix /usr/local in build/bftime.pc), so that the
# install below must notice the different PREFIX.
make --no-print-directory -s all >"$dir/make.log" 2>&1 || { cat "$dir/make.log"; echo "make all failed"; exit 1; }
check "make install DESTDIR PREFIX=/usr succeeds" sh -c \
	"make --no-print-directory -s install DESTDIR='$R' PREFIX=/usr >'$dir/install.log' 2>&1 || { tail -n 20 '$dir/install.log'; exit 1; }"

layout() {
	missing=""
	for f in usr/sbin/bftimed usr/bin/bftime usr/lib/libbftime.a usr/lib/libbftime.so.$V usr/lib/libbftime.so.0 \
		usr/lib/libbftime.so usr/lib/pkgconfig/bftime.pc usr/include/bftime/common.h usr/include/bftime/fusion.h \
		usr/share/man/man1/bftime.1 usr/share/man/man5/bftime.yaml.5 usr/share/man/man8/bftimed.8 \
		usr/lib/systemd/system/bftimed.service etc/bftime/bftime.yaml usr/share/doc/bftime/LICENSE; do
		[ -e "$R/$f" ] || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
	[ -x "$R/usr/sbin/bftimed" ] && [ -x "$R/usr/bin/bftime" ] || { echo "programs not executable"; return 1; }
	[ ! -e "$R/usr/bin/bftimed" ] || { echo "bftimed also in bin/"; return 1; }
	m=$(stat -c %a "$R/usr/lib/systemd/system/bftimed.service" "$R/etc/bftime/bftime.yaml" "$R/usr/share/man/man8/bftimed.8" | tr '\n' ' ')
	[ "$m" = "644 644 644 " ] || { echo "modes of unit, config, man page: $m"; return 1; }
	cmp -s etc/bftime.yaml "$R/etc/bftime/bftime.yaml" || { echo "the config is not the sample"; return 1; }
	grep -q 'MIT License' "$R/usr/share/doc/bftime/LICENSE" || { echo "LICENSE is not MIT"; return 1; }
}
check "layout: sbin/bftimed, bin/bftime, library, headers, pkg-config, man pages, unit, /etc/bftime/bftime.yaml" layout

pc() {
	p=$(PKG_CONFIG_PATH=$R/usr/lib/pkgconfig pkg-config --variable=prefix bftime) || { echo "pkg-config failed"; return 1; }
	[ "$p" = /usr ] || { echo "prefix=$p, not /usr"; return 1; }
	flags=$(PKG_CONFIG_PATH=$R/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R pkg-config --cflags --libs --static bftime) || return 1
	# shellcheck disable=SC2086
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -o "$dir/timebounds" examples/timebounds.c $flags 2>"$dir/cc.log" || { head -n 5 "$dir/cc.log"; return 1; }
	echo "prefix=/usr; examples/timebounds.c built against the installed library"
}
check "bftime.pc names PREFIX=/usr, not the earlier build's, and links a program" pc

keeps_config() {
	echo "# edited by the operator" >>"$R/etc/bftime/bftime.yaml"
	make --no-print-directory -s install DESTDIR="$R" PREFIX=/usr >"$dir/install2.log" 2>&1 || { tail -n 5 "$dir/install2.log"; return 1; }
	tail -n 1 "$R/etc/bftime/bftime.yaml" | grep -q 'edited by the operator' || { echo "overwritten"; return 1; }
}
check "a second make install keeps an edited /etc/bftime/bftime.yaml" keeps_config

version() { # program, name
	out=$("$1" --version 2>&1) || { echo "exit $?: $out"; return 1; }
	[ "$out" = "$2 $V" ] || { echo "printed '$out', not '$2 $V'"; return 1; }
}
check "installed bftimed --version prints 'bftimed $V'" version "$R/usr/sbin/bftimed" bftimed
check "installed bftime --version prints 'bftime $V'" version "$R/usr/bin/bftime" bftime

# man(1) renders through groff; any troff or man warning is a failure.
man_clean() { # page
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>"$dir/man.err") || { echo "man failed"; return 1; }
	[ ! -s "$dir/man.err" ] || { head -n 3 "$dir/man.err"; return 1; }
	printf '%s\n' "$out" | grep -q '^NAME' || { echo "no NAME section"; return 1; }
	printf '%s\n' "$out" | grep -q '^SEE ALSO' || { echo "no SEE ALSO section"; return 1; }
}
if command -v man >/dev/null 2>&1; then
	for p in man1/bftime.1 man5/bftime.yaml.5 man8/bftimed.8; do
		check "man -l renders $p without warnings" man_clean "$R/usr/share/man/$p"
	done
	# The check can fail: a page with an unknown macro must be caught.
	printf '.TH X 1\n.SH NAME\nx \\- y\n.BOGUS z\n.SH SEE ALSO\n' >"$dir/bad.1"
	check "man_clean rejects a page with an unknown macro" sh -c "! (LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l '$dir/bad.1' 2>&1 >/dev/null | grep -q .) && echo 'no warning seen' && exit 1; exit 0"
else
	skipped "man pages render (man(1) not installed: Debian package man-db)"
fi

# systemd-analyze verify checks ExecStart= on the host's paths: verify a copy
# pointing at the installed bftimed, with MANPATH at the installed man pages
# so that Documentation=man:... is checked too. Any output is a failure.
U=$R/usr/lib/systemd/system/bftimed.service
mkdir -p "$dir/unit"
sed "s|/usr/sbin/bftimed|$R/usr/sbin/bftimed|g" "$U" >"$dir/unit/bftimed.service"
printf '[Service]\nExecStart=/bin/true\n' >"$dir/unit/trivial.service"
verify() { # unit
	out=$(cd "$dir/unit" && MANPATH=$R/usr/share/man systemd-analyze verify --man=yes "$1" 2>&1) || { printf '%s\n' "$out" | head -n 5; return 1; }
	[ -z "$out" ] || { printf '%s\n' "$out" | head -n 5; return 1; }
}
if ! command -v systemd-analyze >/dev/null 2>&1; then
	skipped "systemd-analyze verify accepts bftimed.service (systemd-analyze missing: Debian package systemd)"
elif ! why=$(verify "$dir/unit/trivial.service"); then
	skipped "systemd-analyze verify accepts bftimed.service (it cannot verify even a trivial unit here: $why)"
else
	check "systemd-analyze verify accepts bftimed.service, its ExecStart and its man pages" verify "$dir/unit/bftimed.service"
	# A unit with an unknown key must be refused (the check can fail).
	sed 's/^Type=notify/Type=notify\nNoSuchKey=1/' "$dir/unit/bftimed.service" >"$dir/unit/broken.service"
	check "systemd-analyze verify output catches an unknown key" sh -c "! $(command -v systemd-analyze) verify '$dir/unit/broken.service' 2>&1 | grep -q NoSuchKey && echo 'not caught' && exit 1; exit 0"
	hardened() {
		out=$(systemd-analyze security --offline=yes "$U" 2>&1) || { printf '%s\n' "$out" | tail -n 2; return 1; }
		e=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for bftimed.service: \([0-9.]*\).*/\1/p')
		[ -n "$e" ] || { echo "no exposure level"; return 1; }
		awk -v e="$e" 'BEGIN { exit !(e <= 3.0) }' || { echo "exposure $e > 3.0"; return 1; }
		for k in Type=notify NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes StateDirectory=bftime \
			RuntimeDirectory=bftime 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SYS_TIME' 'SystemCallFilter=@system-service @clock seccomp'; do
			grep -qx "$k" "$U" || { echo "no $k"; return 1; }
		done
		echo "exposure $e"
	}
	check "bftimed.service is hardened (systemd-analyze security --offline exposure <= 3.0)" hardened
fi

# Type=notify: the installed bftimed tells NOTIFY_SOCKET READY=1 once it
# runs, WATCHDOG=1 every half WATCHDOG_USEC (here 0.4 s), and STOPPING=1 on
# SIGTERM; SIGHUP rereads the configuration without killing it, and its log
# says what it found (no change).
notify() {
	"$R/usr/bin/bftime" keygen --out "$dir/n.key" >/dev/null 2>&1 || { echo "keygen failed"; return 1; }
	port=21700 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
	cat >"$dir/n.yaml" <<EOF
node:
  id: 1
  listen: 127.0.0.1:$port
  key: $dir/n.key
references:
  - kind: system
api: none
EOF
	python3 - "$dir/notify" >"$dir/notify.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
try:
    while True:
        m = s.recv(4096).decode()
        print(m.replace("\n", "|"), flush=True)
        if "STOPPING=1" in m:
            break
except socket.timeout:
    print("timeout", flush=True)
EOF
	py=$!
	i=0
	while [ ! -S "$dir/notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	NOTIFY_SOCKET=$dir/notify WATCHDOG_USEC=400000 "$R/usr/sbin/bftimed" --config "$dir/n.yaml" 2>"$dir/n.log" &
	pid=$!
	i=0
	while ! grep -q 'listening on' "$dir/n.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# SIGHUP: reread, no death; the log says what it found.
	kill -HUP "$pid" 2>/dev/null
	i=0
	while ! grep -q 'SIGHUP' "$dir/n.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.6 # WATCHDOG=1 every 0.2 s meanwhile
	kill -0 "$pid" 2>/dev/null || hup="bftimed died on SIGHUP"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	pid=""
	wait "$py"
	[ -z "${hup:-}" ] || { echo "$hup"; return 1; }
	grep -q "SIGHUP: .*/n.yaml reread: no change from the running configuration" "$dir/n.log" || { echo "no SIGHUP line in the log: $(grep SIGHUP "$dir/n.log")"; return 1; }
	w=$(grep -c '^WATCHDOG=1$' "$dir/notify.out")
	[ "$w" -ge 3 ] || { echo "$w WATCHDOG=1 in about 0.8 s at WATCHDOG_USEC=400000: $(head -c 300 "$dir/notify.out")"; return 1; }
	[ "$rc" -eq 0 ] || { echo "bftimed exit $rc"; tail -n 3 "$dir/n.log"; return 1; }
	grep -q '^READY=1|STATUS=node 1 on 127.0.0.1:' "$dir/notify.out" || { echo "no READY=1 with STATUS: $(head -c 200 "$dir/notify.out")"; return 1; }
	grep -q 'STOPPING=1' "$dir/notify.out" || { echo "no STOPPING=1: $(head -c 200 "$dir/notify.out")"; return 1; }
}
if command -v python3 >/dev/null 2>&1; then
	check "installed bftimed sends READY=1 (with STATUS=), WATCHDOG=1 and STOPPING=1 to NOTIFY_SOCKET; SIGHUP rereads and logs no change" notify
else
	skipped "sd_notify (python3 missing)"
fi

# The Debian package: dpkg-buildpackage -us -uc -b in a copy of the tree (it
# writes its .deb beside the source, and cleans with make clean), then
# lintian on the .changes: no error and no warning (pedantic and
# informational hints are shown, not failed on).
package() {
	mkdir -p "$dir/pkg/src"
	git ls-files -z | tar --null -T - -c 2>/dev/null | tar -x -C "$dir/pkg/src" || { echo "cannot copy the tree"; return 1; }
	[ -f "$dir/pkg/src/debian/control" ] || cp -r debian "$dir/pkg/src/"
	(cd "$dir/pkg/src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b) >"$dir/pkg/build.log" 2>&1 ||
		{ tail -n 8 "$dir/pkg/build.log"; return 1; }
	deb=$(ls "$dir"/pkg/bftime_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || { echo "no .deb"; return 1; }
	dpkg-deb -c "$deb" | awk '{ print $6 }' >"$dir/pkg/contents"
	for f in ./usr/sbin/bftimed ./usr/bin/bftime ./lib/systemd/system/bftimed.service ./etc/bftime/bftime.yaml \
		./usr/share/man/man1/bftime.1.gz ./usr/share/man/man5/bftime.yaml.5.gz ./usr/share/man/man8/bftimed.8.gz \
		./usr/share/doc/bftime/copyright; do
		grep -qx "$f" "$dir/pkg/contents" || { echo "$f not in the package"; return 1; }
	done
	dpkg-deb -f "$deb" Depends | grep -q libsystemd0 || { echo "does not depend on libsystemd0"; return 1; }
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/bftime/bftime.yaml || { echo "the config is not a conffile"; return 1; }
	lintian -I "$dir"/pkg/bftime_*.changes >"$dir/pkg/lintian.log" 2>&1
	if grep -E '^(E|W): ' "$dir/pkg/lintian.log"; then return 1; fi
	echo "$(basename "$deb"); lintian: $(grep -c '^[IPN]: ' "$dir/pkg/lintian.log") info/pedantic/note lines"
}
if ! command -v dpkg-buildpackage >/dev/null 2>&1 || ! command -v dh >/dev/null 2>&1 || ! command -v lintian >/dev/null 2>&1; then
	skipped "dpkg-buildpackage -us -uc -b builds a package lintian accepts (dpkg-dev, debhelper or lintian not installed)"
elif [ ! -d .git ] && ! git rev-parse --git-dir >/dev/null 2>&1; then
	skipped "dpkg-buildpackage -us -uc -b builds a package lintian accepts (not a git checkout: no file list to copy)"
else
	check "dpkg-buildpackage -us -uc -b builds a package lintian accepts (no E: or W:)" package
fi

summary
