#!/bin/sh
# SPDX-License-Identifier: MIT
# Four real bftimed, each in a network namespace of its own, joined by veth
# pairs to a bridge in a fifth (hub) namespace: 10.77.0.1-4, f = 1, node 4
# Byzantine: it equivocates, answering every REQUEST twice, +50 ms and
# -50 ms, both validly signed (the simulator's strategy). Every node's egress
# gets a delay of 5ms +- 2ms and 1% loss, node 3's 15ms +- 2ms instead,
# so every path to and from node 3 is 10 ms asymmetric (a round trip cannot
# see asymmetry: only honest intervals keep the truth). Each node has a
# simulated GPS-like reference and its own artificial oscillator. After
# ~30 s and again ~12 s later: every honest node synchronized, no alarm,
# its interval holds this machine's CLOCK_REALTIME (carried over the read
# skew with the drift bound), honest intervals overlap pairwise, the liar
# unused and far from pulling anyone; the links really lost and delayed.
#
# Needs root (CAP_NET_ADMIN) and iproute2. Where namespaces cannot be
# created the test prints SKIPPED with the reason and passes. Where the
# kernel lacks sch_netem (CONFIG_NET_SCH_NETEM, as on the test machines)
# the same delay, jitter and loss come from build/tests/impair
# (tests/system/impair.c) behind an iptables NFQUEUE rule on each node's
# egress; NETNS_IMPAIR=nfqueue chooses it where netem exists too. Only where
# neither works do the namespaces run unimpaired, with the impairment checks
# reported SKIPPED (NETNS_NO_NETEM=1 forces that mode). Namespaces and
# processes are removed on exit, even on failure (KEEP=1 keeps the
# directory with configs and logs). Prints a cmocka-style summary; about 50 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
POLL=2
N=4
LIAR=4
SLOW=3 # the node whose egress is slower: asymmetric paths
PORT=7301
NET=10.77.0
tag=bft$$ # namespace and interface prefix (interface names <= 15 chars)
hub=$tag-hub
dir=""

cleanup() {
	stop_impair
	[ -n "$dir" ] && stop_nodes 5
	netns_clean
}
impair_pids=""
# SIGTERM the impair helpers: each writes its counts to $dir/impairI.txt.
stop_impair() {
	[ -n "$impair_pids" ] || return 0
	kill -TERM $impair_pids 2>/dev/null
	for p in $impair_pids; do
		t=0
		while kill -0 "$p" 2>/dev/null && [ $t -lt 20 ]; do sleep 0.1; t=$((t + 1)); done
	done
	impair_pids=""
}
. tests/system/lib.sh
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# The whole test cannot run here: say why, pass.
skip_all() {
	echo "[==========] netns: SKIP: $1"
	skipped "network namespace cluster: $1"
	summary
}

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v ip >/dev/null 2>&1 || skip_all "iproute2 (ip) is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "not root: creating network namespaces needs CAP_NET_ADMIN"

# Namespaces, bridge and veth pairs (lib.sh); any failure is a reason to skip.
netns_star "$hub" "$NET" "$N" "$tag-n" || skip_all "$netns_why"

dir=$(mktemp -d /tmp/bftime-netns.XXXXXX) || exit 1

# Impairment on each node's egress: netem, else impair behind NFQUEUE.
delay_of() { if [ "$1" = "$SLOW" ]; then echo 15ms; else echo 5ms; fi; }
impaired="" # netem | nfqueue | empty
why="" out="" nonetem=""
if [ -n "${NETNS_NO_NETEM:-}" ]; then
	why="NETNS_NO_NETEM is set"
elif ! command -v tc >/dev/null 2>&1; then
	why="tc (iproute2) is not installed"
elif [ "${NETNS_IMPAIR:-}" != nfqueue ] &&
	out=$(tc -n "$tag-n1" qdisc add dev eth0 root netem delay 5ms 2ms loss 1% 2>&1); then
	impaired=netem
	for i in $(seq 2 $N); do
		tc -n "$tag-n$i" qdisc add dev eth0 root netem delay "$(delay_of "$i")" 2ms loss 1% ||
			{ impaired=""; why="tc netem failed on node $i"; }
	done
else
	nonetem="${out:+the kernel has no sch_netem qdisc (tc said: $(echo "$out" | head -n 1)); }"
	ipt=""
	for c in iptables iptables-legacy; do
		command -v "$c" >/dev/null 2>&1 && ip netns exec "$tag-n1" "$c" -L OUTPUT >/dev/null 2>&1 && { ipt=$c; break; }
	done
	if [ ! -x "$B/tests/impair" ]; then
		why="${nonetem}build/tests/impair is missing"
	elif [ -z "$ipt" ]; then
		why="${nonetem}iptables is missing or cannot run in a namespace"
	else
		impaired=nfqueue
		for i in $(seq 1 $N); do
			# --queue-bypass: should impair be gone, packets pass instead of vanishing
			ip netns exec "$tag-n$i" "$ipt" -A OUTPUT -o eth0 -j NFQUEUE --queue-num 0 --queue-bypass 2>"$dir/ipt$i.err" ||
				{ impaired=""; why="${nonetem}iptables NFQUEUE rule failed: $(head -n 1 "$dir/ipt$i.err")"; break; }
			ip netns exec "$tag-n$i" "$B/tests/impair" --queue 0 --delay "$(delay_of "$i")" --jitter 2ms --loss 1 \
				--seed "$i" --stats "$dir/impair$i.txt" > "$dir/impair$i.log" 2>&1 &
			impair_pids="$impair_pids $!"
			t=0
			until grep -q ready "$dir/impair$i.log" 2>/dev/null || [ $t -ge 50 ]; do sleep 0.1; t=$((t + 1)); done
			grep -q ready "$dir/impair$i.log" ||
				{ impaired=""; why="${nonetem}impair did not start: $(head -n 1 "$dir/impair$i.log")"; break; }
		done
		if [ -z "$impaired" ]; then # unimpaired after all: no rule may stay
			stop_impair
			for i in $(seq 1 $N); do ip netns exec "$tag-n$i" "$ipt" -F OUTPUT 2>/dev/null; done
		fi
	fi
fi
make_keys
osc_off="0 2.5 -4 1.2"
osc_ppm="0 30 -45 12"
for i in $(seq 1 $N); do
	{
		echo "node: {id: $i, listen: $NET.$i:$PORT, key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: $NET.$j:$PORT, public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: ${POLL}s, engine: fusion, algorithm: marzullo}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "status: $dir/n$i.json"
		echo "oscillator: {offset_ms: $(echo $osc_off | cut -d' ' -f$i), freq_ppm: $(echo $osc_ppm | cut -d' ' -f$i)}"
		[ "$i" = "$LIAR" ] && echo "byzantine: {strategy: equivocate, offset: 50ms}"
	} > "$dir/n$i.yaml"
done

if [ -n "$impaired" ]; then
	how="tc netem"
	[ "$impaired" = nfqueue ] && how="NFQUEUE + build/tests/impair (${nonetem}$ipt)"
	echo "[==========] $N bftimed in network namespaces $tag-n1..$N ($NET.1-$N), egress delay 5ms+-2ms 1% loss, node $SLOW 15ms+-2ms (asymmetric) by $how; f=1, node $LIAR equivocates by +-50 ms"
else
	echo "[==========] $N bftimed in network namespaces $tag-n1..$N ($NET.1-$N), NO impairment: $why; f=1, node $LIAR equivocates by +-50 ms"
fi

# Each daemon inside its namespace (ip netns exec execs it: $! is its pid).
for i in $(seq 1 $N); do
	ip netns exec "$tag-n$i" "$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
	echo $! > "$dir/n$i.pid"
done

alive() {
	for i in $(seq 1 $N); do
		kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null || { echo "node $i exited"; return 1; }
	done
}

# Each node listens in its own namespace: its socket is on its address.
listening() {
	for i in $(seq 1 $N); do
		grep -q "listening on $NET.$i:$PORT" "$dir/n$i.log" || { echo "node $i: $(grep -m1 -i listen "$dir/n$i.log")"; return 1; }
	done
}

# The delay is seen: node 1's peers' round-trip delays (status
# delay_ns) are at least the configured sums (5+5 ms, 5+15 ms to node 3
# minus jitter), and packets were lost: some REQUESTs went unanswered.
delays_ok() {
	s=$dir/snap1.json
	for j in 2 $SLOW; do
		dl=$(awk -v id="$j" '/"peers":/ { p = 1 } p && $0 ~ "\"id\":" id "," { f = 1 } f && /"delay_ns":/ { gsub(/[^0-9-]/, ""); print; exit }' "$s")
		want=6000000
		[ "$j" = "$SLOW" ] && want=16000000
		[ -n "$dl" ] && [ "$dl" -ge "$want" ] || { echo "peer $j round-trip delay ${dl:-?} ns < $want"; return 1; }
		printf 'node 1 <-> %s: %d us  ' "$j" $((dl / 1000))
	done
}

sleep 30
check "all $N daemons running in their namespaces" alive
check "each daemon listening on its namespace's address" listening
for i in 1 2 3; do check "round 1: honest node $i synced, holds CLOCK_REALTIME, ignores the liar" node_ok "$i" a; done
check "round 1: honest intervals overlap pairwise" overlap_ok a
liar_ok() { # running, synced, and its messages really lied
	[ "$(field "$dir/n$LIAR.json" synced)" = true ] || { echo "not synced"; return 1; }
	l=$(sed -n 's/^    "byzantine_lies":\([0-9]*\),\{0,1\}$/\1/p' "$dir/n$LIAR.json")
	[ "${l:-0}" -ge 10 ] || { echo "only ${l:-0} lying messages"; return 1; }
	echo "$l lying messages sent"
}
check "the liar is running and lying (only on the wire)" liar_ok
if [ -n "$impaired" ]; then
	check "$impaired delay seen in round trips (asymmetric to node $SLOW)" delays_ok
else
	skipped "delay 5ms+-2ms, loss 1%, asymmetric node $SLOW: $why"
fi
sleep 12
for i in 1 2 3; do check "round 2: honest node $i still synced and holds CLOCK_REALTIME" node_ok "$i" b; done
check "round 2: honest intervals overlap pairwise" overlap_ok b
if [ -n "$impaired" ]; then
	# 1% loss on every egress: over ~20 polls x 3 peers x 3 messages some
	# packets must have been dropped, and the nodes stayed synced above.
	lost=0 sent=0
	[ "$impaired" = nfqueue ] && stop_impair
	for i in $(seq 1 $N); do
		if [ "$impaired" = netem ]; then
			tc -n "$tag-n$i" -s qdisc show dev eth0 > "$dir/tc$i.txt" 2>&1
			l=$(sed -n 's/.*dropped \([0-9]*\).*/\1/p' "$dir/tc$i.txt" | head -n 1)
			p=$(sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' "$dir/tc$i.txt" | head -n 1)
		else
			l=$(sed -n 's/.* dropped \([0-9]*\) .*/\1/p' "$dir/impair$i.txt" 2>/dev/null)
			p=$(sed -n 's/^packets \([0-9]*\) .*/\1/p' "$dir/impair$i.txt" 2>/dev/null)
		fi
		lost=$((lost + ${l:-0})) sent=$((sent + ${p:-0}))
	done
	check "$impaired dropped packets on the egresses" sh -c "[ $lost -gt 0 ] && echo '$lost of $sent dropped' || { echo 'no drops counted ($sent packets)'; exit 1; }"
fi
check "SIGTERM stops every node cleanly" stops_cleanly
summary
