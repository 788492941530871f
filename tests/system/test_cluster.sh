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
D=${BFTIMED:-$B/bftimed-test} # BFTIMED=path runs another build (for example a sanitizer one)
POLL=2
N=4
LIAR=4
dir=$(mktemp -d /tmp/bftime-cluster.XXXXXX) || exit 1
base=21300 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
. tests/system/lib.sh
trap 'stop_nodes 5' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }

make_keys
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
		echo "api: none" # four daemons: the default api address is one
		echo "oscillator: {offset_ms: $(echo $osc_off | cut -d' ' -f$i), freq_ppm: $(echo $osc_ppm | cut -d' ' -f$i)}"
		[ "$i" = "$LIAR" ] && echo "byzantine: {strategy: constant, offset: 50ms}"
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
cp "$dir/open.key" "$dir/group.key" && chmod 640 "$dir/group.key"
sed "s|$dir/n1.key|$dir/group.key|" "$dir/n1.yaml" > "$dir/group.yaml"
check "group-readable key file refused" refuses "lets group or others read it" --config "$dir/group.yaml"
# One key is one node: a key pinned twice, or our own key pinned for a peer,
# would count one node as two sources.
sed "s|$(cat "$dir/n3.pub")|$(cat "$dir/n2.pub")|" "$dir/n1.yaml" > "$dir/dupkey.yaml"
check "a public key pinned for two peers refused (file:line)" refuses "dupkey.yaml:[0-9]*:[0-9]*: peer 3 has the public key of peer 2" --config "$dir/dupkey.yaml"
sed "s|$(cat "$dir/n2.pub")|$(cat "$dir/n1.pub")|" "$dir/n1.yaml" > "$dir/selfkey.yaml"
check "this node's own key pinned for a peer refused" refuses "peer 2 is pinned to this node's own public key" --config "$dir/selfkey.yaml"
for i in $(seq 1 $N); do start "$i"; done

sleep 24
for i in 1 2 3; do check "honest node $i synced, holds CLOCK_REALTIME, ignores the liar" node_ok "$i" a; done
check "honest intervals overlap pairwise" overlap_ok a
ls=$dir/n$LIAR.json
liar_ok() { # running, synced, and its messages really lied
	[ "$(field "$ls" synced)" = true ] || { echo "not synced"; return 1; }
	l=$(sed -n 's/^    "byzantine_lies":\([0-9]*\),\{0,1\}$/\1/p' "$ls")
	[ "${l:-0}" -ge 10 ] || { echo "only ${l:-0} lying messages"; return 1; }
	echo "$l lying messages sent"
}
check "the liar is running and lying (only on the wire)" liar_ok

kill -9 "$(cat "$dir/n2.pid")"
echo "[ RUN      ] kill -9 node 2, restart it"
sleep 3
rm -f "$dir/n2.json"
start 2
sleep 16
for i in 1 2 3; do check "after restart: node $i synced and holds CLOCK_REALTIME" node_ok "$i" b; done
check "after restart: honest intervals overlap pairwise" overlap_ok b
check "node 2 really restarted" test "$(grep -c 'listening on' "$dir/n2.log")" = 2
check "SIGTERM stops every node cleanly" stops_cleanly
summary
