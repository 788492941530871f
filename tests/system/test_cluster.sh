#!/bin/sh
# SPDX-License-Identifier: MIT
# Four real bftimed processes on loopback, f = 1: three honest, one Byzantine
# (its stamps lie by +50 ms). Each has a simulated GPS-like reference and its
# own artificial oscillator offset and frequency error. After they run, every
# honest node must be synchronized, its interval must contain CLOCK_REALTIME
# (the simulated references' truth), the honest intervals must overlap, and
# the liar must not have pulled anyone: it is left unused and offsets stay
# far below its lie. Then one node is killed with SIGKILL, restarted, and
# must resynchronize. Every process is stopped at the end, even on failure.
# Prints a cmocka-style summary; about 60 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed} # BFTIMED=path runs another build (for example a sanitizer one)
POLL=2
N=4
LIAR=4
dir=$(mktemp -d /tmp/bftime-cluster.XXXXXX) || exit 1
base=$((20000 + $$ % 20000))
pass=0 fail=0

cleanup() {
	for i in $(seq 1 $N); do
		[ -f "$dir/n$i.pid" ] && kill -9 "$(cat "$dir/n$i.pid")" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$fail" -ne 0 ] && [ -z "${KEEP:-}" ]; then
		for i in $(seq 1 $N); do echo "--- node $i log (tail)"; tail -n 5 "$dir/n$i.log" 2>/dev/null; done
	fi
	[ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

ok() { echo "[       OK ] $1"; pass=$((pass + 1)); }
ko() { echo "[  FAILED  ] $1${2:+: $2}"; fail=$((fail + 1)); }
check() { name=$1; shift; if msg=$("$@"); then ok "$name${msg:+ ($msg)}"; else ko "$name" "$msg"; fi; }

# A top-level integer or boolean of a status file (json-c pretty output:
# top-level keys are indented by two spaces). Shell arithmetic is 64-bit;
# jq and awk would round nanoseconds since the epoch to doubles.
field() { sed -n "s/^  \"$2\":\([-0-9a-z]*\),\{0,1\}\$/\1/p" "$1" | head -n 1; }
# "used" of peer $2 in status file $1.
peer_used() {
	awk -v id="$2" '/"peers":/ { p = 1 } p && $0 ~ "\"id\":" id "," { f = 1 } f && /"used":/ { gsub(/[^a-z]/, ""); sub(/used/, ""); print; exit }' "$1"
}
now_ns() { date +%s%N; }

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }

for i in $(seq 1 $N); do
	"$B/bftime" keygen --out "$dir/n$i.key" > "$dir/n$i.pub" || exit 1
done
osc_off="0 2.5 -4 1.2"
osc_ppm="0 30 -45 12"
for i in $(seq 1 $N); do
	c=$dir/n$i.yaml
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: ${POLL}s, engine: fusion, algorithm: marzullo}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "status: $dir/n$i.json"
		echo "oscillator: {offset_ms: $(echo $osc_off | cut -d' ' -f$i), freq_ppm: $(echo $osc_ppm | cut -d' ' -f$i)}"
		[ "$i" = "$LIAR" ] && echo "byzantine: {strategy: offset, offset: 50ms}"
	} > "$c"
done

start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

echo "[==========] cluster of $N bftimed on 127.0.0.1:$((base + 1))-$((base + N)), f=1, node $LIAR lies by +50 ms"
check "config and key accepted by --check-config" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
# A config error names file:line:column and the daemon refuses to start;
# so does a key file that others can read.
refuses() { # expected-message-pattern, args...
	pat=$1; shift
	if out=$("$D" "$@" 2>&1); then echo "started"; return 1; fi
	printf '%s\n' "$out" | grep -q -- "$pat" || { echo "message: $out"; return 1; }
}
sed 's/poll: [0-9]*s/poll: 2 seconds/' "$dir/n1.yaml" > "$dir/bad.yaml"
check "config error names file:line:column, not started" refuses "bad.yaml:6:[0-9]*: expected a duration" --config "$dir/bad.yaml"
cp "$dir/n1.key" "$dir/open.key" && chmod 644 "$dir/open.key"
sed "s|$dir/n1.key|$dir/open.key|" "$dir/n1.yaml" > "$dir/open.yaml"
check "world-readable key file refused" refuses "lets group or others read it" --config "$dir/open.yaml"
for i in $(seq 1 $N); do start "$i"; done

# The checks on one honest node's status, right after reading it.
node_ok() { # node, tag
	s=$dir/n$1.json
	[ -f "$s" ] || { echo "no status file"; return 1; }
	cp "$s" "$dir/snap$1.json"
	t=$(now_ns)
	s=$dir/snap$1.json
	[ "$(field "$s" synced)" = true ] || { echo "not synced"; return 1; }
	[ "$(field "$s" alarm)" = false ] || { echo "alarm raised"; return 1; }
	a=$(field "$s" as_of_realtime_ns) lo=$(field "$s" earliest_ns) hi=$(field "$s" latest_ns)
	off=$(field "$s" system_offset_ns)
	el=$((t - a))
	[ "$el" -ge 0 ] && [ "$el" -le $((3 * POLL * 1000000000)) ] || { echo "status is stale ($el ns old)"; return 1; }
	# Carry the interval from its as-of time to t: true time advanced by el,
	# within the drift bound (100 ppm) and 1 ms of scheduling slack.
	d=$((el / 10000 + 1000000))
	if [ $((lo + el - d)) -gt "$t" ] || [ $((hi + el + d)) -lt "$t" ]; then
		echo "CLOCK_REALTIME outside [$((lo - a)), $((hi - a))] ns (relative to as-of)"
		return 1
	fi
	[ "${off#-}" -lt 5000000 ] || { echo "offset $off ns: pulled away"; return 1; }
	[ "$1" = "$LIAR" ] || [ "$(peer_used "$s" $LIAR)" = false ] || { echo "the liar is used"; return 1; }
	echo "$1 $a $lo $hi $off" >> "$dir/measured.$2"
	printf 'offset %+d us to CLOCK_REALTIME, interval width %d us' $((off / 1000)) $(((hi - lo) / 1000))
}

# Pairwise overlap of the snapshots: each interval carried to a common
# time T with the drift allowance, then intersected.
overlap_ok() { # tag
	T=0
	while read -r _ a _ _ _; do [ "$a" -gt "$T" ] && T=$a; done < "$dir/measured.$1"
	while read -r i ai loi hii _; do
		while read -r j aj loj hij _; do
			[ "$i" -lt "$j" ] || continue
			di=$(((T - ai) / 10000 + 1000)) dj=$(((T - aj) / 10000 + 1000))
			l1=$((loi + T - ai - di)) h1=$((hii + T - ai + di))
			l2=$((loj + T - aj - dj)) h2=$((hij + T - aj + dj))
			if [ "$l1" -gt "$h2" ] || [ "$l2" -gt "$h1" ]; then echo "nodes $i and $j disjoint"; return 1; fi
		done < "$dir/measured.$1"
	done < "$dir/measured.$1"
}

sleep 24
for i in 1 2 3; do check "honest node $i synced, holds CLOCK_REALTIME, ignores the liar" node_ok "$i" a; done
check "honest intervals overlap pairwise" overlap_ok a
ls=$dir/n$LIAR.json
check "the liar is running (it lies only on the wire)" test "$(field "$ls" synced)" = true

kill -9 "$(cat "$dir/n2.pid")"
echo "[ RUN      ] kill -9 node 2, restart it"
sleep 3
rm -f "$dir/n2.json"
start 2
sleep 16
for i in 1 2 3; do check "after restart: node $i synced and holds CLOCK_REALTIME" node_ok "$i" b; done
check "after restart: honest intervals overlap pairwise" overlap_ok b
check "node 2 really restarted" test "$(grep -c 'listening on' "$dir/n2.log")" = 2
bad=0
for i in $(seq 1 $N); do
	kill -TERM "$(cat "$dir/n$i.pid")" 2>/dev/null
done
sleep 0.5
for i in $(seq 1 $N); do
	grep -q 'stopping on signal 15' "$dir/n$i.log" || bad=1
	rm -f "$dir/n$i.pid"
done
check "SIGTERM stops every node cleanly" test "$bad" = 0

echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
