#!/bin/sh
# SPDX-License-Identifier: MIT
# NTP both ways with real processes. Three bftimed: n1 has a simulated
# reference and serves NTP; n3's only reference is an NTP server that does
# not exist, so it never synchronizes and serves "unsynchronized"; n2's
# references are n1 and (when installed) chronyd -x serving the system clock,
# both of kind ntp. Real clients query n1 and n3: ntpdate -q, sntp and ntpdig
# (ntpsec's three faces of one program) and chronyd -Q (query only: it
# prints the offset and exits; this machine's clock is never touched: no
# client is given -s/-S/-b, chronyd runs only with -Q or -x). Checks the
# offsets they report against CLOCK_REALTIME (which the simulated reference
# follows), that they refuse the unsynchronized node, the root dispersion
# against the node's interval, the rate limit (a flood from one address gets
# at most the burst and a few KoD RATE, while another client is still
# answered), that malformed, short, huge, control-mode and extension-field
# datagrams are each counted and never answered, and that n2 synchronizes
# through its ntp references and shows them in its status. Then a
# falseticker: n5 serves NTP from a reference 40 ms off (a server that
# believes a lie), and n6, with f = 1, three NTP servers (n1, chronyd, n5)
# and the system clock (two kinds of reference at once), must stay
# synchronized on true time, leave n5 unused, and say why in bftime status.
#
# ntpdig has no port option, so the servers must be on port 123: as root the
# test re-runs itself in a network namespace of its own (unshare -n), where
# 123 is free and nothing else can answer; elsewhere it uses free high ports
# and skips the ntpsec clients (BFT_NTP_NO_NETNS=1 forces that mode). Every
# process it starts is killed on exit.
# Prints a cmocka-style summary; about 30 s.
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${BFT_NTP_NETNS:-}${BFT_NTP_NO_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	BFT_NTP_NETNS=1 exec unshare -n sh "$0" "$@"
fi
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
N=6
POLL=1
dir=$(mktemp -d /tmp/bftime-ntp.XXXXXX) || exit 1
. tests/system/lib.sh
PY=$(command -v python3)
cleanup() {
	[ -f "$dir/chronyd.pid.own" ] && kill -9 "$(cat "$dir/chronyd.pid.own")" 2>/dev/null
	[ -f "$dir/fake.pid" ] && kill -9 "$(cat "$dir/fake.pid")" 2>/dev/null
	stop_nodes 12
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 missing: skipped)"; exit 77; }

# A free UDP port on an address (the kernel picks it; nothing else binds it
# in the instant before the daemon does, in practice).
free_port() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"; }
if [ -n "${BFT_NTP_NETNS:-}" ]; then
	ip link set lo up || exit 1
	NTP1=123 NTP3=123 NTP5=123 netns=yes
	echo "[==========] in a private network namespace: NTP servers on 127.0.0.1:123 and 127.0.0.2:123"
else
	NTP1=$(free_port 127.0.0.1) NTP3=$(free_port 127.0.0.2) NTP5=$(free_port 127.0.0.3) netns=""
	echo "[==========] NTP servers on 127.0.0.1:$NTP1 and 127.0.0.2:$NTP3 (no namespace: ntpsec clients skipped)"
fi
CHRONY_PORT=$(free_port 127.0.0.1)
DEAD_PORT=$(free_port 127.0.0.1) # nobody listens: n3's reference
FAKE_PORT=$(free_port 127.0.0.1)  # a server whose every reply is bad: n4's

# The raw-packet client: query (leap, stratum, offset and delay against
# CLOCK_REALTIME, root dispersion and delay, length), flood, junk.
cat > "$dir/q.py" <<'EOF'
import os, socket, struct, sys, time
def ntp(ns): s = ns // 10**9 + 2208988800; return (s << 32) | (((ns % 10**9) << 32) // 10**9)
def unix(ts): return ((ts >> 32) - 2208988800) * 10**9 + ((ts & 0xffffffff) * 10**9 >> 32)
def req(ck): return struct.pack('>B47x', 0x23)[:40] + struct.pack('>Q', ck)
def sock(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((src, 0)); s.settimeout(2); return s
cmd, host, port, src = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if cmd == 'fake':  # a bad server: each reply fails the client's checks in turn
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((host, port)); k = 0
    while True:
        b, a = s.recvfrom(2048)
        now = ntp(time.time_ns()); org = b[40:48]; k += 1
        li, st, ref, o, rx, tx = 0, 2, b'BAD\0', org, now, now
        if k % 4 == 1: o = bytes(8)                                 # not our cookie
        elif k % 4 == 2: li = 3                                     # unsynchronized
        elif k % 4 == 3: tx = 0                                     # zero transmit time
        else: st, ref = 0, b'RATE'                                  # kiss-o'-death
        rep = struct.pack('>BBbbII4s', li << 6 | 4 << 3 | 4, st, 4, -20, 0, 0, ref) + bytes(8) + o + struct.pack('>QQ', rx, tx)
        s.sendto(rep, a)
s = sock(src)
if cmd == 'query':
    ck = struct.unpack('>Q', os.urandom(8))[0]
    t1 = time.time_ns(); s.sendto(req(ck), (host, port)); b = s.recv(2048); t4 = time.time_ns()
    h = struct.unpack('>BBbbII4sQQQQ', b[:48])
    assert h[8] == ck, 'origin is not our cookie'
    t2, t3 = unix(h[9]), unix(h[10])
    print(h[0] >> 6, h[1], ((t2 - t1) + (t3 - t4)) // 2, (t4 - t1) - (t3 - t2),
          h[5] * 10**9 >> 16, h[4] * 10**9 >> 16, len(b))
elif cmd == 'flood':
    n = int(sys.argv[5]); t0 = time.time()
    for i in range(n): s.sendto(req(i + 1), (host, port))
    ok = kod = 0; s.settimeout(0.5)
    try:
        while True:
            b = s.recv(2048)
            if b[1] == 0 and b[12:16] == b'RATE': kod += 1
            else: ok += 1
    except socket.timeout: pass
    print(ok, kod, '%.3f' % (time.time() - t0))
elif cmd == 'junk':
    good = req(7)
    ext = good + struct.pack('>HH', 0x0104, 28) + bytes(24)
    for b in [b'x' * 10, good[:47], bytes([0x16, 2, 0, 1]) + bytes(8),  # short: malformed
              bytes([0x27]) + good[1:], bytes([0x24]) + good[1:],        # mode 7, mode 4: not client
              bytes([0x2b]) + good[1:],                                  # version 5
              ext, good + struct.pack('>I', 1) + bytes(16),              # extension field, MAC
              good + bytes(1500 - 48),                                   # huge
              good + bytes(9)]:                                          # a tail that is neither: malformed
        s.sendto(b, (host, port))
    n = 0; s.settimeout(0.5)
    try:
        while True: s.recv(2048); n += 1
    except socket.timeout: pass
    print(n)
EOF
q() { "$PY" "$dir/q.py" "$@"; }
abs() { echo "${1#-}"; }
# An integer field of the ntp_server object, or of reference $3 (by name).
ntps_field() { awk -v k="\"$2\":" '/"ntp_server":/ { p = 1 } p && index($0, k) { sub(/.*:/, ""); gsub(/[^0-9-]/, ""); print; exit }' "$1"; }
ref_field() { # file, key, reference name[, indent]: a member of that reference's object (8: of its "rejected")
	awk -v k="$(printf "%${4:-6}s")\"$2\":" -v n="\"name\":\"$3\"" '
		/^  "references":/ { r = 1; next }
		r && /^    \{/ { buf = ""; o = 1 }
		o { buf = buf "\n" $0 }
		r && /^    \}/ && o { o = 0; if (index(buf, n)) { m = split(buf, l, "\n");
			for (i = 1; i <= m; i++) if (index(l[i], k) == 1) { v = l[i]; sub(/^[^:]*:/, "", v); gsub(/[",]/, "", v); print v; exit } exit } }
		r && /^  \]/ { exit }' "$1"
}

make_keys
conf() { # node, references..., then the ntp_server line via $srv
	i=$1; shift
	{
		echo "node: {id: $i, listen: 127.0.0.1:$(free_port 127.0.0.1), key: $dir/n$i.key}"
		echo "consensus: {f: ${F:-0}, poll: ${POLL}s}"
		echo "references:"
		for r in "$@"; do echo "  - $r"; done
		echo "api: ${API:-none}"
		echo "status: $dir/n$i.json"
		[ -n "$srv" ] && echo "ntp_server: $srv"
		echo "oscillator: {offset_ms: $((i * 3)), freq_ppm: $((i * 7 - 20))}"
	} > "$dir/n$i.yaml"
}
srv="{listen: 127.0.0.1:$NTP1}" conf 1 "{kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}"
API3=127.0.0.1:$(free_port 127.0.0.1) API6=127.0.0.1:$(free_port 127.0.0.1) # TCP: free as UDP in practice
API=$API3 srv="{listen: 127.0.0.2:$NTP3}" conf 3 "{kind: ntp, server: \"127.0.0.1:$DEAD_PORT\", every: 1s}"
have_chrony=""
command -v chronyd >/dev/null 2>&1 && have_chrony=yes
n1ref="{kind: ntp, name: via-n1, server: \"127.0.0.1$([ "$NTP1" = 123 ] || echo ":$NTP1")\", every: 2s}"
if [ -n "$have_chrony" ]; then
	srv="" conf 2 "$n1ref" "{kind: ntp, name: via-chrony, server: \"127.0.0.1:$CHRONY_PORT\", every: 2s}"
else
	srv="" conf 2 "$n1ref"
fi
srv="" conf 4 "{kind: ntp, name: fake, server: \"127.0.0.1:$FAKE_PORT\", every: 1s}"
# n5 believes a reference 40 ms off and serves it: a falseticker to n6.
srv="{listen: 127.0.0.3:$NTP5}" conf 5 "{kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms, offset: 40ms}"
API=$API6 F=1 srv="" conf 6 "$(echo "$n1ref" | sed 's/every: 2s/every: 1s/')" \
	"{kind: ntp, name: via-chrony, server: \"127.0.0.1:$CHRONY_PORT\", every: 1s}" \
	"{kind: ntp, name: via-liar, server: \"127.0.0.3$([ "$NTP5" = 123 ] || echo ":$NTP5")\", every: 1s}" \
	"{kind: system, name: sysclock, every: 1s, uncertainty: 2ms}"
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

check "configs with ntp_server and ntp references accepted" sh -c "for i in 1 2 3 4 5 6; do \"$D\" --config \"$dir/n\$i.yaml\" --check-config >/dev/null || exit 1; done"
start 3
# python itself in the background, not the function q (its subshell's pid
# killed left the fake server running after the test)
"$PY" "$dir/q.py" fake 127.0.0.1 "$FAKE_PORT" - > "$dir/fake.log" 2>&1 &
echo $! > "$dir/fake.pid"
start 4
sleep 1

# ---- before sync: n3 answers, "unsynchronized", and clients refuse it ----
unsync_ok() {
	out=$(q query 127.0.0.2 "$NTP3" 127.0.0.9) || { echo "no answer"; return 1; }
	set -- $out
	[ "$1" = 3 ] && [ "$2" = 16 ] || { echo "leap $1 stratum $2"; return 1; }
	echo "leap 3, stratum 16"
}
check "unsynchronized node answers with leap 3 (unsynchronized), stratum 16" unsync_ok
if [ -n "$netns" ]; then
	refuse_ok() { # client...
		# ntpdig checks the stratum (16) before the leap indicator (3).
		out=$("$@" 2>&1) && { echo "exit 0: $out"; return 1; }
		echo "$out" | grep -q ' s[0-9]* no-leap' && { echo "accepted: $out"; return 1; }
		echo "$out" | grep -q 'Response dropped: \(stratum too high\|leap not in sync\)' || { echo "said: $out"; return 1; }
		echo "$out" | grep 'Response dropped' | sed 's/^.*: //'
	}
	check "ntpdate -q 127.0.0.2 refuses the unsynchronized node" refuse_ok ntpdate -q 127.0.0.2
	check "sntp 127.0.0.2 refuses the unsynchronized node" refuse_ok sntp 127.0.0.2
else
	skipped "ntpdate/sntp against the unsynchronized node (port 123 needs a namespace)"
fi
if [ -n "$have_chrony" ]; then
	chrony_refuse_ok() {
		out=$(chronyd -Q -t 5 -u root -f /dev/null "pidfile $dir/chrony-q.pid" "server 127.0.0.2 port $NTP3 iburst maxsamples 1" 2>&1)
		echo "$out" | grep -q 'System clock wrong' && { echo "accepted: $out"; return 1; }
		echo "$out" | grep -q 'No suitable source\|Timeout' || { echo "said: $(echo "$out" | tail -n 2)"; return 1; }
		echo "$(echo "$out" | grep 'No suitable source\|Timeout' | sed 's/^[^ ]* //' | head -n 1)"
	}
	check "chronyd -Q refuses the unsynchronized node" chrony_refuse_ok
fi

# ---- n1 synchronized: every client's offset agrees with CLOCK_REALTIME ----
start 1
[ -n "$have_chrony" ] && {
	printf 'port %s\nbindaddress 127.0.0.1\nlocal stratum 8\nallow 127.0.0.1\ncmdport 0\npidfile %s/chronyd.pid\n' \
		"$CHRONY_PORT" "$dir" > "$dir/chrony.conf"
	# -x: serve the system clock, never adjust it.
	chronyd -x -d -u root -f "$dir/chrony.conf" > "$dir/chronyd.log" 2>&1 &
	echo $! > "$dir/chronyd.pid.own"
}
k=0
while [ "$(field "$dir/n1.json" synced 2>/dev/null)" != true ] && [ $k -lt 20 ]; do sleep 0.5; k=$((k + 1)); done
check "n1 synchronized from its simulated reference" test "$(field "$dir/n1.json" synced)" = true
LIMIT=2000000 # 2 ms: the simulated reference is CLOCK_REALTIME +- 1 ms
echo "| client | command | output |" > "$dir/interop"
offset_ok() { # name, offset in ns[, the client's own error bound in ns]
	# A client on loopback measures the offset only to within half its
	# round trip: under load that alone reached 4 ms (8 ms delays), so the
	# bound the client states is allowed on top of LIMIT.
	[ -n "$2" ] || { echo "no offset"; return 1; }
	b=${3:-0}
	[ "$(abs "$2")" -lt $((LIMIT + b)) ] || { echo "offset $2 ns (allowed $LIMIT + the client's $b ns)"; return 1; }
	echo "offset $2 ns (client's bound $b ns)"
}
ntpsec_ok() { # client...
	out=$("$@" 2>&1) || { echo "exit $?: $out"; return 1; }
	line=$(echo "$out" | grep ' s2 no-leap$') || { echo "said: $out"; return 1; }
	echo "| $1 | $* | $line |" >> "$dir/interop"
	off=$(echo "$line" | sed -n 's/^.* \([+-][0-9]*\.[0-9]*\) +\/- \([0-9.]*\) .*$/\1/p')
	err=$(echo "$line" | sed -n 's/^.* \([+-][0-9]*\.[0-9]*\) +\/- \([0-9.]*\) .*$/\2/p')
	ns=$("$PY" -c "print(round(float('$off') * 1e9))")
	offset_ok "$1" "$ns" "$("$PY" -c "print(round(float('${err:-0}') * 1e9))")"
}
if [ -n "$netns" ]; then
	check "ntpdate -q 127.0.0.1: stratum 2, no-leap, |offset| < 2 ms + its stated error" ntpsec_ok ntpdate -q 127.0.0.1
	check "sntp 127.0.0.1: stratum 2, no-leap, |offset| < 2 ms + its stated error" ntpsec_ok sntp 127.0.0.1
	json_ok() {
		out=$(ntpdig -j 127.0.0.1 2>&1) || { echo "exit $?: $out"; return 1; }
		echo "| ntpdig | ntpdig -j 127.0.0.1 | $out |" >> "$dir/interop"
		echo "$out" | grep -q '"stratum":2,"leap":"no-leap","adjusted":false' || { echo "said: $out"; return 1; }
		off=$(echo "$out" | sed -n 's/.*"offset":\([-0-9.e]*\),.*/\1/p')
		# "precision" is ntpdig's synchronization distance, the "+/-" of its text output
		err=$(echo "$out" | sed -n 's/.*"precision":\([-0-9.e]*\),.*/\1/p')
		offset_ok ntpdig "$("$PY" -c "print(round(float('$off') * 1e9))")" \
			"$("$PY" -c "print(round(float('${err:-0}') * 1e9))")"
	}
	check "ntpdig -j 127.0.0.1: JSON, stratum 2, no-leap, not adjusted, |offset| < 2 ms + its stated error" json_ok
else
	skipped "ntpdate, sntp, ntpdig (they query port 123 only)"
fi
if [ -n "$have_chrony" ]; then
	chrony_ok() {
		cmd="chronyd -Q -t 10 -u root -f /dev/null 'pidfile $dir/chrony-q.pid' 'server 127.0.0.1 port $NTP1 iburst maxsamples 1'"
		out=$(eval "$cmd" 2>&1)
		line=$(echo "$out" | grep 'System clock wrong by') || { echo "said: $(echo "$out" | tail -n 2)"; return 1; }
		echo "| chronyd | $cmd | $(echo "$line" | sed 's/^[^ ]* //') |" >> "$dir/interop"
		off=$(echo "$line" | sed 's/.*wrong by \([-0-9.]*\) seconds.*/\1/')
		offset_ok chronyd "$("$PY" -c "print(round(float('$off') * 1e9))")"
	}
	check "chronyd -Q 'server 127.0.0.1 port $NTP1 iburst maxsamples 1': |offset| < 2 ms" chrony_ok
else
	skipped "chronyd -Q (chrony not installed)"
fi
# The served interval: root dispersion covers CLOCK_REALTIME (true time
# here) and is as wide as the node's interval, not more.
disp_ok() {
	out=$(q query 127.0.0.1 "$NTP1" 127.0.0.3) || { echo "no answer"; return 1; }
	set -- $out
	[ "$1" = 0 ] && [ "$2" = 2 ] && [ "$6" = 0 ] && [ "$7" = 48 ] || { echo "leap $1 stratum $2 root delay $6 length $7"; return 1; }
	lo=$(field "$dir/n1.json" earliest_ns) hi=$(field "$dir/n1.json" latest_ns)
	w=$((hi - lo))
	[ "$(abs "$3")" -le $(($5 + $4)) ] || { echo "offset $3 ns outside root dispersion $5 ns (+ delay $4)"; return 1; }
	[ "$5" -gt 0 ] && [ "$5" -le $((w + 1000000)) ] || { echo "root dispersion $5 ns vs interval width $w ns"; return 1; }
	echo "offset $3 ns, delay $4 ns, root dispersion $5 ns, interval width $w ns"
}
check "raw query: leap 0, stratum 2, root delay 0, |offset| within the root dispersion, dispersion ~ interval" disp_ok

# ---- abuse: a flood from one address, junk from another ------------------
flood_ok() {
	set -- $(q flood 127.0.0.1 "$NTP1" 127.0.0.5 300)
	ok=$1 kod=$2 el=$3
	# burst 32 + 16/s over the flood (well under 1 s); KoD RATE for part of the rest.
	[ "$ok" -ge 16 ] && [ "$ok" -le 50 ] || { echo "$ok answers to 300 requests"; return 1; }
	[ "$kod" -ge 1 ] && [ "$kod" -le 20 ] || { echo "$kod KoD RATE"; return 1; }
	out=$(q query 127.0.0.1 "$NTP1" 127.0.0.6) || { echo "another client is not answered"; return 1; }
	echo "$ok answers and $kod KoD RATE to 300 requests in $el s; another client answered"
}
check "rate limit: a flood from one address gets the burst and a few KoD RATE" flood_ok
junk_ok() {
	n=$(q junk 127.0.0.1 "$NTP1" 127.0.0.7)
	[ "$n" = 0 ] || { echo "$n answers to junk"; return 1; }
	sleep $((POLL + 1)) # the status file is rewritten every poll
	s=$dir/n1.json
	for kv in malformed:4 not_client:2 bad_version:1 extensions:2 oversized:1; do
		got=$(ntps_field "$s" "${kv%%:*}")
		[ "$got" = "${kv#*:}" ] || { echo "${kv%%:*} = $got, expected ${kv#*:}"; return 1; }
	done
	rl=$(ntps_field "$s" rate_limited)
	[ "$rl" -ge 100 ] || { echo "rate_limited = $rl"; return 1; }
	echo "no answer; malformed 4, not_client 2, bad_version 1, extensions 2, oversized 1; rate_limited $rl"
}
check "junk (short, mode 4/6/7, version 5, extensions, MAC, 1500 bytes) counted, never answered" junk_ok
check "n1 survives and still answers" sh -c "kill -0 $(cat "$dir/n1.pid") && \"$PY\" \"$dir/q.py\" query 127.0.0.1 $NTP1 127.0.0.8 >/dev/null"

# ---- n2: synchronized through kind ntp references ------------------------
start 2
k=0
while [ "$(field "$dir/n2.json" synced 2>/dev/null)" != true ] && [ $k -lt 20 ]; do sleep 0.5; k=$((k + 1)); done
sleep 3
n2_ok() {
	holds_realtime "$dir/n2.json" "$dir/snap2.json" || return 1
	[ "$(ref_field "$s" kind via-n1)" = ntp ] && [ "$(ref_field "$s" used via-n1)" = true ] || { echo "via-n1 not used"; return 1; }
	[ "$(ref_field "$s" stratum via-n1)" = 2 ] || { echo "via-n1 stratum $(ref_field "$s" stratum via-n1)"; return 1; }
	r=$(ref_field "$s" replies via-n1) e=$(ref_field "$s" input_errors via-n1)
	[ "$r" -ge 2 ] && [ "$e" = 0 ] || { echo "via-n1: $r replies, $e errors"; return 1; }
	msg="interval [$(((lo - a) / 1000)), $(((hi - a) / 1000))] us around CLOCK_REALTIME; via-n1: $r replies, root distance $(ref_field "$s" root_distance_ns via-n1) ns"
	if [ -n "$have_chrony" ]; then
		[ "$(ref_field "$s" used via-chrony)" = true ] && [ "$(ref_field "$s" stratum via-chrony)" = 8 ] ||
			{ echo "via-chrony: used $(ref_field "$s" used via-chrony), stratum $(ref_field "$s" stratum via-chrony)"; return 1; }
		msg="$msg; via-chrony: $(ref_field "$s" replies via-chrony) replies, stratum 8"
	fi
	echo "$msg"
}
check "n2 synchronized through its kind ntp references, interval holds CLOCK_REALTIME" n2_ok
n3_ok() {
	s=$dir/n3.json
	[ "$(field "$s" synced)" = false ] || { echo "synced?"; return 1; }
	u=$(ref_field "$s" unreachable ntp0) q=$(ref_field "$s" queries ntp0)
	[ "$u" -ge 1 ] && [ "$(ref_field "$s" replies ntp0)" = 0 ] || { echo "unreachable $u, queries $q"; return 1; }
	ur=$(ntps_field "$s" unsynchronized_replies)
	[ "$ur" -ge 1 ] || { echo "unsynchronized_replies $ur"; return 1; }
	# bftime status: the source unused, and why
	line=$("$B/bftime" status --api "$API3" | grep ' ntp0 ') || { echo "bftime status lists no ntp0"; return 1; }
	echo "$line" | grep -q ' no .*no fresh reading' || { echo "bftime status: $line"; return 1; }
	# validate_action on a node with no time: neither yes nor no
	v=$("$B/bftime" validate now --tolerance 1s --api "$API3"); vr=$?
	[ $vr = 3 ] && echo "$v" | grep -q "^unknown" || { echo "bftime validate (exit $vr): $v"; return 1; }
	# bftime time on a node with no time: exit 3, in both forms
	"$B/bftime" time --api "$API3" > "$dir/t3.txt"; tr=$?
	"$B/bftime" time --json --api "$API3" > "$dir/t3.json"; tj=$?
	[ $tr = 3 ] && [ $tj = 3 ] && grep -q '"synced": *false' "$dir/t3.json" ||
		{ echo "bftime time exit $tr / --json $tj: $(head -c 200 "$dir/t3.txt")"; return 1; }
	echo "$q queries, $u port unreachable; served $ur unsynchronized replies; bftime status: ntp0 unused, no fresh reading; bftime validate: unknown; bftime time: exit 3"
}
check "n3: no reply from a dead server, counted; served only unsynchronized replies" n3_ok
n1_counts_ok() {
	s=$dir/n1.json
	r=$(ntps_field "$s" replies) u=$(ntps_field "$s" unsynchronized_replies)
	[ "$r" -ge 20 ] && [ "$u" = 0 ] || { echo "replies $r, unsynchronized $u"; return 1; }
	echo "$r replies, $(ntps_field "$s" kod_sent) KoD, $(ntps_field "$s" requests) requests"
}
check "n1 counted its replies, none unsynchronized" n1_counts_ok
n4_ok() {
	s=$dir/n4.json
	[ "$(field "$s" synced)" = false ] || { echo "synchronized from a bad server"; return 1; }
	[ "$(ref_field "$s" replies fake)" = 0 ] || { echo "a bad reply was used"; return 1; }
	for r in bogus_origin unsynchronized zero_timestamp kiss_of_death; do
		[ "$(ref_field "$s" "$r" fake 8)" -ge 1 ] || { echo "$r not counted"; return 1; }
	done
	e=$(ref_field "$s" input_errors fake) p=$(ref_field "$s" poll_ns fake)
	[ "$(ref_field "$s" last_kiss fake)" = RATE ] && [ "$p" -ge 2000000000 ] || { echo "KoD RATE: poll $p ns"; return 1; }
	echo "$e bad replies refused by reason, none used; after KoD RATE polling every $((p / 1000000000)) s"
}
check "n4: a bad server's replies (bogus origin, leap 3, zero time, KoD) refused and counted; RATE backs off" n4_ok
# ---- a falseticker among three servers: outvoted, never followed ---------
if [ -n "$have_chrony" ]; then
	start 5
	start 6
	k=0
	while [ "$(field "$dir/n6.json" synced 2>/dev/null)" != true ] && [ $k -lt 30 ]; do sleep 0.5; k=$((k + 1)); done
	sleep 6
	n6_ok() {
		holds_realtime "$dir/n6.json" "$dir/snap6.json" || return 1
		[ "$(field "$s" alarm)" = false ] || { echo "alarm"; return 1; }
		for r in via-n1 via-chrony sysclock; do
			[ "$(ref_field "$s" used $r)" = true ] || { echo "$r not used"; return 1; }
		done
		lr=$(ref_field "$s" replies via-liar) lo_=$(ref_field "$s" last_offset_ns via-liar)
		[ "${lr:-0}" -ge 2 ] || { echo "the liar answered ${lr:-0} times"; return 1; }
		# it did lie: its last reply was 40 ms (+- its own 1 ms) off the system clock
		[ -n "$lo_" ] && [ "$lo_" -ge 38000000 ] && [ "$lo_" -le 42000000 ] || { echo "liar's offset ${lo_:-?} ns"; return 1; }
		[ "$(ref_field "$s" used via-liar)" = false ] || { echo "the liar is used"; return 1; }
		# bftime status (human and --json): used and why not, per source
		out=$("$B/bftime" status --api "$API6") || { echo "bftime status failed"; return 1; }
		echo "$out" | grep ' via-liar ' | grep -q ' no .*quarantined' || { echo "bftime status: $(echo "$out" | grep via-liar)"; return 1; }
		echo "$out" | grep ' via-n1 ' | grep -q ' yes ' || { echo "bftime status: $(echo "$out" | grep via-n1)"; return 1; }
		"$B/bftime" status --api "$API6" --json | grep -q '"why_not":"quarantined: ' || { echo "no why_not in --json"; return 1; }
		echo "interval [$(((lo - a) / 1000)), $(((hi - a) / 1000))] us around CLOCK_REALTIME; via-liar $((lo_ / 1000)) us off, $lr replies, quarantine $(ref_field "$s" quarantine via-liar), unused; bftime status: $(echo "$out" | grep ' via-liar ' | sed 's/.*  quarantined/quarantined/')"
	}
	check "n6 (f=1; n1, chronyd, n5 serving 40 ms off, the system clock): synced on true time, the falseticker unused" n6_ok
else
	skipped "falseticker among three NTP servers (chrony not installed)"
fi
check "every node stops cleanly on SIGTERM" stops_cleanly
[ -n "${NTP_INTEROP:-}" ] && cp "$dir/interop" "$NTP_INTEROP"
cat "$dir/interop" | sed 's/^/    /'
summary
