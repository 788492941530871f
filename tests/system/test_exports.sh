#!/bin/sh
# SPDX-License-Identifier: MIT
# The exports (docs/exports.md) with real processes: one bftimed with a
# simulated reference feeding a real chronyd (-x: it never touches the clock)
# through both refclock SOCK and refclock SHM, and the time-bounds page read
# by build/examples/timebounds. The simulated reference runs 2 ms ahead of
# CLOCK_REALTIME, so in this test's world true time is CLOCK_REALTIME + 2 ms:
# the offsets chronyd reports must then be about -2 ms (its sign: local
# clock minus source), which no sign error or unit error could fake.
# Checks: chronyd selects or combines both sources ('*' or '+'); their
# offsets lie in the node's interval; the page says synchronized and holds
# true time; chronyd restarting does not disturb bftimed, which reconnects;
# after kill -9 the page stays valid until its void-after time, then reads
# unknown; a restarted daemon's new page is found; SIGTERM marks it unknown
# at once. Prints a cmocka-style summary; about 40 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
EX=$B/examples/timebounds
N=1
dir=$(mktemp -d /tmp/bftime-exports.XXXXXX) || exit 1
base=21500 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
. tests/system/lib.sh

OFF_NS=2000000 # the simulated reference's lead over CLOCK_REALTIME
cport=$((base + 1))
shm_key() { printf '0x%08x' $((0x4e545030 + $1)); }
# An SHM unit nothing else uses (gpsd takes 0-7; other tests run beside us).
unit=$((8 + $$ % 200))
while ipcs -m | grep -qi "^$(shm_key $unit) "; do unit=$((unit + 1)); done

cleanup() {
	[ -f "$dir/chronyd.pid.own" ] && kill "$(cat "$dir/chronyd.pid.own")" 2>/dev/null
	stop_nodes 20
	# stop_nodes removed $dir (unless KEEP); chronyd needs a moment to go.
	for p in $cpids; do kill -9 "$p" 2>/dev/null; done
	# The segment is ours alone (the unit was free): remove it once unused.
	id=$(ipcs -m | awk -v k="$(shm_key $unit)" 'tolower($1) == k && $6 == 0 { print $2 }')
	[ -n "$id" ] && ipcrm -m "$id" 2>/dev/null
}
cpids=""
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] && [ -x "$EX" ] || { echo "build/bftimed or build/examples/timebounds missing: run make"; exit 1; }
if ! command -v chronyd >/dev/null || ! command -v chronyc >/dev/null || [ "$(id -u)" != 0 ]; then
	echo "[==========] 0 test(s) run."
	echo "[  PASSED  ] 0 test(s). (chronyd, chronyc or root missing: skipped)"
	exit 77
fi

make_keys
cat > "$dir/n1.yaml" <<EOF
node: {id: 1, listen: 127.0.0.1:$base, key: $dir/n1.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms, offset: 2ms}
api: none
status: $dir/n1.json
exports: {chrony_sock: $dir/bftime.sock, ntp_shm: $unit, timebounds: $dir/timebounds}
EOF
# delay 0.002: chronyd cannot take an interval over SOCK or SHM, and counts
# half the delay in a source's maximum error; the node's interval is 2 ms
# wide. Without it chronyd takes the samples as exact to 1 us.
cat > "$dir/chrony.conf" <<EOF
refclock SOCK $dir/bftime.sock refid BFT poll 1 delay 0.002
refclock SHM $unit refid SHM poll 1 delay 0.002
cmdport $cport
bindcmdaddress 127.0.0.1
bindcmdaddress $dir/chronyd.sock
pidfile $dir/chronyd.pid
driftfile $dir/chrony.drift
logdir $dir
log refclocks
EOF
start() { "$D" --config "$dir/n1.yaml" >> "$dir/n1.log" 2>&1 & echo $! > "$dir/n1.pid"; }
chrony_start() {
	chronyd -x -d -u root -f "$dir/chrony.conf" >> "$dir/chronyd.log" 2>&1 &
	echo $! > "$dir/chronyd.pid.own"
	cpids="$cpids $!"
}
chrony_stop() {
	p=$(cat "$dir/chronyd.pid.own")
	kill "$p" 2>/dev/null
	k=0
	while kill -0 "$p" 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
	rm -f "$dir/chronyd.pid.own"
}
sources() { chronyc -h 127.0.0.1 -p "$cport" -c sources 2>/dev/null; }
tb() { "$EX" "$dir/timebounds"; }
kv() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "[==========] bftimed (simulated reference, +2 ms) -> chronyd $(chronyd --version | awk '{print $4}') -x: SOCK, SHM unit $unit; time-bounds page"
chrony_start
sleep 0.3
start

# Both sources selected ('*') or combined ('+'), state from `chronyc -c`.
selected() {
	sources > "$dir/sources.csv" || return 1
	grep -q '^#,[*+],BFT,' "$dir/sources.csv" && grep -q '^#,[*+],SHM,' "$dir/sources.csv"
}
k=0
while ! selected && [ $k -lt 60 ]; do sleep 0.5; k=$((k + 1)); done
chronyc -h 127.0.0.1 -p "$cport" sources > "$dir/sources.txt" 2>&1
chronyc -h 127.0.0.1 -p "$cport" sourcestats > "$dir/sourcestats.txt" 2>&1
sed 's/^/    /' "$dir/sources.txt" "$dir/sourcestats.txt"
check "chronyd selects BFT (SOCK) and SHM ('*' or '+') within 30 s" sh -c "grep -q '^#,[*+],BFT,' '$dir/sources.csv' && grep -q '^#,[*+],SHM,' '$dir/sources.csv' && echo $((k / 2)) s"

# The offset chronyd received from each refclock (refclocks.log's raw
# offset, source - system, in seconds) must be the node's true - system,
# within the node's interval (status file: earliest/latest - as_of_realtime),
# give or take 300 us for the noise between chronyd's sample and the status
# file's moment. Not `chronyc sources`: under -x chronyd corrects a virtual
# clock of its own, and once it has, every offset it shows is against that
# (about 0), not against the system clock (a run that read it then failed).
offset_ok() { # refid
	o=$(awk -v r="$1" '$3 == r && $7 != "-" { v = $7 } END { if (v != "") printf "%.0f", v * 1e9 }' "$dir/refclocks.log")
	cp "$dir/n1.json" "$dir/snap.json"
	a=$(field "$dir/snap.json" as_of_realtime_ns)
	lo=$(($(field "$dir/snap.json" earliest_ns) - a)) hi=$(($(field "$dir/snap.json" latest_ns) - a))
	[ -n "$o" ] || { echo "no $1 sample in chronyd's refclocks.log"; return 1; }
	if [ "$o" -lt $((lo - 300000)) ] || [ "$o" -gt $((hi + 300000)) ]; then
		echo "true - system from chronyd $o ns, node's interval [$lo, $hi] ns"; return 1
	fi
	[ "$o" -gt $((OFF_NS / 2)) ] || { echo "offset $o ns: not the reference's +2 ms (sign?)"; return 1; }
	echo "true - system: chronyd $o ns, node [$lo, $hi] ns"
}
check "chronyd's BFT offset is the node's (in its interval, sign right)" offset_ok BFT
check "chronyd's SHM offset is the node's (in its interval, sign right)" offset_ok SHM

# The page: synchronized, and [earliest, latest] holds true time, read as
# CLOCK_REALTIME + 2 ms just after the page (100 us allowance for the read
# order, which only moves realtime later).
page_ok() {
	out=$(tb) || { echo "timebounds failed: $out"; return 1; }
	[ "$(kv "$out" status)" = synchronized ] || { echo "$out"; return 1; }
	lo=$(kv "$out" earliest_ns) hi=$(kv "$out" latest_ns) rt=$(kv "$out" realtime_ns)
	t=$((rt + OFF_NS))
	if [ "$lo" -gt "$t" ] || [ "$hi" -lt $((t - 100000)) ]; then
		echo "true time outside [$((lo - rt)), $((hi - rt))] ns of CLOCK_REALTIME"; return 1
	fi
	echo "[$((lo - rt)), $((hi - rt))] ns around CLOCK_REALTIME"
}
check "time-bounds page: synchronized, holds true time" page_ok
check "page readable by others (0644)" sh -c "[ \"\$(stat -c %a '$dir/timebounds')\" = 644 ]"

# chronyd away: bftimed keeps running and counts the failures; chronyd back:
# samples flow again.
chrony_stop
sleep 2.5
alive_failing() {
	kill -0 "$(cat "$dir/n1.pid")" || { echo "bftimed died"; return 1; }
	f=$(sed -n 's/^ *"failed":\([0-9]*\),*$/\1/p' "$dir/n1.json" | head -n 1)
	[ "${f:-0}" -gt 0 ] || { echo "no failures counted"; return 1; }
	echo "$f sends failed"
}
check "chronyd stopped: bftimed runs on, counts failed sends" alive_failing
chrony_start
reach_again() {
	k=0
	while [ $k -lt 30 ]; do
		sources > "$dir/sources.csv" 2>/dev/null
		r=$(awk -F, '$3 == "BFT" { print $6 }' "$dir/sources.csv")
		[ -n "$r" ] && [ "$r" != 0 ] && { echo "reach $r after $((k / 2)) s"; return 0; }
		sleep 0.5
		k=$((k + 1))
	done
	echo "no BFT samples reach the new chronyd"
	return 1
}
check "chronyd restarted: BFT samples reach it again" reach_again
grep -q 'sending samples again' "$dir/n1.log" && ok "bftimed logged the reconnection" || ko "bftimed logged the reconnection"

# kill -9: nobody marks the page, it goes void by itself.
kill -9 "$(cat "$dir/n1.pid")"
rm -f "$dir/n1.pid"
check "just after kill -9 the page is still valid (extrapolated)" page_ok
sleep 3.5
void_ok() {
	out=$(tb)
	[ "$(kv "$out" status)" = unknown ] || { echo "$out"; return 1; }
	echo "status unknown"
}
check "after void-after (3 s) the page reads unknown" void_ok
start
k=0
while ! page_ok > /dev/null && [ $k -lt 20 ]; do sleep 0.5; k=$((k + 1)); done
check "a restarted bftimed's new page is synchronized" page_ok
kill -TERM "$(cat "$dir/n1.pid")"
sleep 0.5
rm -f "$dir/n1.pid"
check "SIGTERM: the page reads unknown at once" void_ok
[ "$fail" -ne 0 ] && { echo "--- chronyd log"; tail -n 20 "$dir/chronyd.log"; }
chrony_stop
summary
