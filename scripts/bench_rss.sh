#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory of bftimed with 100 configured peers beside chronyd's with 100
# configured servers, measured in the same run (issue 4: the daemon should
# need no more than chronyd). Both run side by side for --seconds (default
# 20) on loopback:
#   bftimed: 100 Ed25519-pinned peers at 127.0.1.1-100 (nobody answers: each
#     poll it still signs and sends a REQUEST to every one), a simulated
#     reference, a status file, poll 2 s.
#   chronyd: foreground (-d), -x (NEVER adjusts the system clock), its own
#     config, pidfile and driftfile in a temporary directory, no command or
#     NTP server port, 100 `server 127.0.0.X iburst` lines (nobody answers).
# Then VmRSS and VmHWM from /proc/PID/status, a table, and both stopped.
# chrony is installed if missing (as root, with a policy-rc.d that exits 101
# so its service never starts); should the service start anyway, it is
# stopped. chronyd never adjusts the clock here (-x, checked in its log).
#
#   scripts/bench_rss.sh [--peers N] [--seconds S] [--json]
set -u
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build
peers=100 secs=20 json=""
while [ $# -gt 0 ]; do
	case $1 in
	--peers) peers=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	--json) json=1; shift ;;
	-h | --help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_rss: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$peers" -ge 1 ] && [ "$peers" -le 250 ] || { echo "bench_rss: --peers must be 1..250" >&2; exit 2; }
[ -x "$B/bftimed-test" ] && [ -x "$B/bftime" ] || { echo "bench_rss: build first (make)" >&2; exit 1; }

# ---- chrony, installed without ever starting its service -------------------
# The packaged service's chronyd, by its own pidfile (running before this
# script: a system's time service, not ours to touch).
service_pid() {
	p=$(cat /run/chrony/chronyd.pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}
service_before=$(service_pid)
CHRONYD=$(command -v chronyd 2>/dev/null || { [ -x /usr/sbin/chronyd ] && echo /usr/sbin/chronyd; })
if [ -z "$CHRONYD" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench_rss: chronyd missing; run as root to install chrony" >&2; exit 1; }
	own_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	echo "bench_rss: installing chrony (its service is kept from starting)" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends chrony >/dev/null 2>&1; then
		apt-get update -qq && apt-get install -y -qq --no-install-recommends chrony >/dev/null ||
			{ echo "bench_rss: apt-get install chrony failed" >&2; exit 1; }
	fi
	[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
	CHRONYD=/usr/sbin/chronyd
fi
# Should the packaged service have started anyway (it could steer the
# clock), stop it through the service manager.
stop_service_chronyd() {
	p=$(service_pid) || return 0
	[ "$p" = "$service_before" ] && return 0 # running before this script: not ours to stop
	echo "bench_rss: the chrony service started (pid $p): stopping it" >&2
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl stop chrony 2>/dev/null
	else
		service chrony stop >/dev/null 2>&1 || kill "$p" 2>/dev/null
	fi
}
stop_service_chronyd

dir=$(mktemp -d /tmp/bftime-rss.XXXXXX) || exit 1
# chronyd drops root for _chrony after reading its config: its own
# writable directory for the pidfile and driftfile.
mkdir "$dir/chrony" && chmod 755 "$dir"
id _chrony >/dev/null 2>&1 && chown _chrony: "$dir/chrony"
bpid="" cpid=""
cleanup() {
	[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null
	sleep 0.3
	[ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null
	[ -n "$cpid" ] && kill -9 "$cpid" 2>/dev/null
	wait 2>/dev/null
	stop_service_chronyd
	[ -n "${KEEP:-}" ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# ---- bftimed with N peers ---------------------------------------------------
port=$((30000 + $$ % 20000))
"$B/bftime" keygen --out "$dir/self.key" > /dev/null || exit 1
{
	echo "node: {id: 1, listen: 127.0.0.1:$port, key: $dir/self.key}"
	echo "peers:"
	i=1
	while [ "$i" -le "$peers" ]; do
		"$B/bftime" keygen --out "$dir/p.key" > "$dir/p.pub" || exit 1
		rm -f "$dir/p.key"
		echo "  - {id: $((i + 1)), address: 127.0.1.$i:$((port + i)), public_key: $(cat "$dir/p.pub")}"
		i=$((i + 1))
	done
	echo "consensus: {f: 1, poll: 2s}"
	echo "references:"
	echo "  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}"
	echo "status: $dir/bftimed.json"
	echo "log: {level: notice}"
} > "$dir/bftimed.yaml"

# ---- chronyd with N servers, never touching the clock -------------------------
{
	echo "# bench_rss.sh: measurement only; chronyd runs with -x"
	i=2
	while [ "$i" -le $((peers + 1)) ]; do
		echo "server 127.0.0.$i iburst"
		i=$((i + 1))
	done
	echo "pidfile $dir/chrony/chronyd.pid"
	echo "driftfile $dir/chrony/chrony.drift"
	echo "port 0"    # no NTP server socket
	echo "cmdport 0" # no command socket
} > "$dir/chrony.conf"

"$B/bftimed-test" --config "$dir/bftimed.yaml" > "$dir/bftimed.log" 2>&1 &
bpid=$!
"$CHRONYD" -x -d -f "$dir/chrony.conf" > "$dir/chronyd.log" 2>&1 &
cpid=$!
echo "bench_rss: bftimed (pid $bpid, $peers peers) and chronyd -x (pid $cpid, $peers servers) for ${secs}s" >&2
sleep "$secs"

vm() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }
for p in $bpid $cpid; do
	kill -0 "$p" 2>/dev/null && continue
	echo "bench_rss: a daemon exited early; logs:" >&2
	tail -n 5 "$dir/bftimed.log" "$dir/chronyd.log" >&2
	exit 1
done
brss=$(vm "$bpid" VmRSS) bhwm=$(vm "$bpid" VmHWM) banon=$(vm "$bpid" RssAnon)
crss=$(vm "$cpid" VmRSS) chwm=$(vm "$cpid" VmHWM) canon=$(vm "$cpid" RssAnon)
pss() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup" 2>/dev/null; }
bpss=$(pss "$bpid") cpss=$(pss "$cpid")
# USS: the pages only this process holds (Private_Clean + Private_Dirty):
# what it costs the machine. VmRSS also counts shared library pages (and
# the kernel's fault-around neighbours), which every process using the same
# libraries shares: a ten-line program that signs once with OpenSSL's
# Ed25519 already has a VmRSS of 5.3 MB here.
uss() { awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
buss=$(uss "$bpid") cuss=$(uss "$cpid")
# Evidence that both really worked their peer lists, and that chronyd
# could not touch the clock.
sent=$(sed -n 's/^ *"sent":\([0-9]*\).*/\1/p' "$dir/bftimed.json" 2>/dev/null | tail -n 1)
ver=$("$CHRONYD" -v 2>/dev/null | sed -n "s/.*version \([^ ]*\).*/chronyd \1/p" | head -n 1)
grep -q "Disabled control of system clock" "$dir/chronyd.log" ||
	{ echo "bench_rss: chronyd did not report 'Disabled control of system clock'" >&2; exit 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
if [ -n "$json" ]; then
	for who in bftimed chronyd; do
		if [ $who = bftimed ]; then r=$brss h=$bhwm a=$banon p=$bpss u=$buss; else r=$crss h=$chwm a=$canon p=$cpss u=$cuss; fi
		printf '{"name":"%s","peers":%d,"vmrss_kb":%d,"vmhwm_kb":%d,"rss_anon_kb":%d,"pss_kb":%d,"uss_kb":%d,"vmrss_ratio":%s,"rss_anon_ratio":%s,"uss_ratio":%s}\n' \
			$who "$peers" "$r" "$h" "$a" "${p:-0}" "${u:-0}" "$(ratio "$r" "$crss")" "$(ratio "$a" "$canon")" "$(ratio "$u" "$cuss")"
	done
else
	printf '%-8s %5s %9s %9s %9s %8s %8s %12s %14s %10s\n' name peers "VmRSS kB" "VmHWM kB" "Anon kB" "PSS kB" "USS kB" \
		"VmRSS ratio" "RssAnon ratio" "USS ratio"
	printf '%-8s %5d %9d %9d %9d %8s %8s %12s %14s %10s\n' bftimed "$peers" "$brss" "$bhwm" "$banon" "${bpss:--}" \
		"${buss:--}" "$(ratio "$brss" "$crss")" "$(ratio "$banon" "$canon")" "$(ratio "$buss" "$cuss")"
	printf '%-8s %5d %9d %9d %9d %8s %8s %12s %14s %10s\n' chronyd "$peers" "$crss" "$chwm" "$canon" "${cpss:--}" \
		"${cuss:--}" 1.00 1.00 1.00
	echo "(after ${secs}s side by side; bftimed sent ${sent:-?} signed datagrams; $ver -x: clock control disabled)"
fi
