#!/bin/sh
# SPDX-License-Identifier: MIT
# Internal synchronization in the daemon (issue 11, docs/internal-sync.md): 12
# real bftimed on loopback, each peering with its 3 neighbours on each side of
# a ring (C12(1,2,3): 3-robust, so f = 1 is covered), f = 1, poll 1 s, each
# with its own artificial oscillator (offsets up to +-20 ms, which the network
# clock starts from, as from mis-set system clocks; up to +-40 ppm).
#   A: nodes 1 and 7 hold simulated references: every node synchronizes
#      (true time travels hop by hop), its interval holds CLOCK_REALTIME, and
#      the /v1/time wire clocks agree within the precision the nodes state.
#   B: no references at all: no node has true time (synced false, bounds
#      null), every node's network clock is AGREED, and the network clocks of
#      any two nodes (network.time_ns - as_of_ns, both read at one instant)
#      differ by at most the largest precision_bound_ns they state.
#   C: as B, with node 5 a Byzantine liar (build/bftimed-test's `byzantine:`,
#      two-faced: its clock stamps 50 ms ahead to even peers, behind to odd
#      ones): the 11 honest nodes still agree within the precision they
#      state, and each of the liar's 6 neighbours trims its reading at every
#      agreement step that takes it (/v1/status sources_detail,
#      agreement_used and agreement_trimmed, over 8 s after agreement).
# Every process is started and stopped here (by the pids it recorded).
# With ISYNC_NETNS=1 (test_isync_netns.sh) each node runs in a network
# namespace of its own, joined to a bridge by a veth pair (NET.1-12; the
# test reads the APIs from the bridge's namespace, NET.254): the same
# checks over a real network path. Without root or namespaces, SKIPPED.
# Prints a cmocka-style summary; about 3 minutes.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test} # the test build: kind: simulated references (src/testkit)
POLL=1
N=12
dir=$(mktemp -d /tmp/bftime-isync.XXXXXX) || exit 1
base=21800 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
. tests/system/lib.sh
trap 'stop_nodes 10; netns_clean' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null && command -v jq >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl or jq missing: skipped)"; exit 77; }

NS= # namespace prefix (ISYNC_NETNS), empty on loopback
if [ -n "${ISYNC_NETNS:-}" ]; then
	NET=10.78.0
	NS=bfi$$-n
	hub=bfi$$-hub
	skip_all() { echo "[==========] isync in namespaces: SKIP: $1"; skipped "12 bftimed in network namespaces: $1"; summary; }
	command -v ip >/dev/null 2>&1 || skip_all "iproute2 (ip) is not installed"
	[ "$(id -u)" -eq 0 ] || skip_all "not root: creating network namespaces needs CAP_NET_ADMIN"
	netns_star "$hub" "$NET" "$N" "$NS" || skip_all "$netns_why"
	ip -n "$hub" addr add "$NET.254/24" dev br0 || skip_all "cannot address the bridge"
	addr() { echo "$NET.$1"; }
	api() { echo "$NET.$1:8080"; }
	get() { ip netns exec "$hub" curl -s --max-time 5 "http://$(api "$1")$2"; }
else
	addr() { echo 127.0.0.1; }
	api() { echo "127.0.0.1:$((base + 20 + $1))"; }
	get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
fi
make_keys
osc_off="0 12 -20 7 -9 18 3 -15 20 -4 10 -17"
osc_ppm="0 30 -40 12 -25 8 35 -10 20 -33 5 15"
LIAR=
write_configs() { # holders (space-separated ids, may be empty)
	for i in $(seq 1 $N); do
		{
			echo "node: {id: $i, listen: $(addr "$i"):$((base + i)), key: $dir/n$i.key}"
			echo "peers:"
			for d in 1 2 3 -1 -2 -3; do
				j=$(((i - 1 + d + N) % N + 1))
				echo "  - {id: $j, address: $(addr "$j"):$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
			done
			echo "consensus: {f: 1, poll: ${POLL}s}"
			case " $1 " in *" $i "*)
				echo "references:"
				echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}" ;;
			esac
			echo "api: $(api "$i")"
			echo "status: $dir/n$i.json"
			[ "$i" = 3 ] && echo "exports: {timebounds: $dir/tb3}"
			[ "$i" = "$LIAR" ] && echo "byzantine: {strategy: two_faced, offset: 50ms}"
			echo "oscillator: {offset_ms: $(echo $osc_off | cut -d' ' -f"$i"), freq_ppm: $(echo $osc_ppm | cut -d' ' -f"$i")}"
		} > "$dir/n$i.yaml"
	done
}
start_all() { # (ip netns exec execs the daemon: $! is its pid)
	for i in $(seq 1 $N); do
		if [ -n "$NS" ]; then
			ip netns exec "$NS$i" "$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
		else
			"$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
		fi
		echo $! > "$dir/n$i.pid"
	done
}
stop_all() {
	for i in $(seq 1 $N); do [ -f "$dir/n$i.pid" ] && kill -TERM "$(cat "$dir/n$i.pid")" 2>/dev/null; done
	for i in $(seq 1 $N); do [ -f "$dir/n$i.pid" ] && { wait "$(cat "$dir/n$i.pid")" 2>/dev/null; rm -f "$dir/n$i.pid"; }; done
}

# Every node's /v1/time, then the spread of (wire clock - CLOCK_REALTIME at
# the read) against the largest stated bound. jq's doubles hold ns since the
# epoch to ~256 ns: far below the milliseconds compared here.
# Right after agreement the network may still be contracting: a node claims
# AGREED when what it sees of the spread is within its bound plus twice its
# reading error (docs/internal-sync.md, section 0 item 4), and on this sparse
# ring the contraction per step is slower than the full mesh's 1/2 the
# model bound assumes. So the first check after agreement holds the spread to
# the worst-case (hard) bound; the later ones, to the model bound (a netns
# run once saw 3.67 ms against a model bound of 3.58 ms 4 s after agreement,
# 1.02 ms against 2.70 ms 6 s later).
agree_ok() { # case: A (true time) or B (none) [bound: model (default) or hard]; the liar (if any) left out
	rm -f "$dir"/t*.json
	for i in $(seq 1 $N); do
		[ "$i" = "$LIAR" ] && continue
		get "$i" /v1/time > "$dir/t$i.json" || { echo "node $i: no answer"; return 1; }
	done
	jq -s --arg c "$1" --arg k "${2:-model}" '
		[.[] | {state: .network.state, synced, d: ((.network.time_ns // 0) - .as_of_ns),
		        b: (if $k == "hard" then .network.precision_bound_hard_ns else .network.precision_bound_ns end // 0),
		        lo: .earliest_ns}] as $n
		| ($n | map(.d) | max - min) as $spread | ($n | map(.b) | max) as $bound
		| if $c == "B" and any($n[]; .state != "agreed") then "not agreed: \([$n[] | .state])"
		  elif $c == "B" and any($n[]; .synced or .lo != null) then "a node claims true time without references"
		  elif $c == "A" and any($n[]; .synced | not) then "not synchronized: \([$n[] | .synced])"
		  elif $c == "B" and $spread > $bound then "spread \($spread) ns > stated bound \($bound) ns"
		  elif $c == "A" and $spread > 5000000 then "spread \($spread) ns"
		  else "ok: spread \($spread / 1000 | floor) us, stated \($k) bound \($bound / 1000 | floor) us" end
	' "$dir"/t*.json > "$dir/verdict" || { echo "jq failed"; return 1; }
	v=$(cat "$dir/verdict"); v=${v#\"}; v=${v%\"}
	case "$v" in ok:*) echo "${v#ok: }" ;; *) echo "$v"; return 1 ;; esac
}
# A node without references, from its status file: synchronized through its
# peers, no alarm, its interval holding CLOCK_REALTIME (lib.sh).
true_ok() { # node
	holds_realtime "$dir/n$1.json" "$dir/snap$1.json" || return 1
	[ "$(field "$s" alarm)" = false ] || { echo "alarm raised"; return 1; }
	printf 'interval width %d us' $(((hi - lo) / 1000))
}
wait_for() { # seconds, check...
	n=$1; shift
	while [ "$n" -gt 0 ]; do "$@" > /dev/null 2>&1 && return 0; sleep 2; n=$((n - 2)); done
	return 0
}

echo "[==========] 12 bftimed on a ring C12(1,2,3)${NS:+ in network namespaces ($NET.1-12)}, f = 1; A: references on nodes 1 and 7; B: none; C: none, node 5 lies"
write_configs "1 7"
check "config accepted by --check-config" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
start_all
wait_for 60 agree_ok A
sleep 4
check "A: every node synchronized, wire clocks together" agree_ok A
for i in 2 4 5 10; do check "A: node $i (no reference) holds CLOCK_REALTIME" true_ok "$i"; done
stop_all

rm -f "$dir"/n*.json "$dir"/t*.json
write_configs ""
start_all
wait_for 90 agree_ok B
sleep 4
check "B: no references: every node AGREED, network clocks within the stated worst-case precision" agree_ok B hard
sleep 6
check "B: still within the stated precision 6 s later" agree_ok B
st=$(get 3 /v1/status)
check "B: /v1/status reports the agreement" sh -c "printf '%s' '$st' | jq -e '.agreement.agreed and .agreement.running and .agreement.used >= 3' >/dev/null"
# The same where applications and Prometheus look (docs/internal-sync.md,
# section 9): node 3's time-bounds page states the network clock AGREED and a
# precision (bytes 88..119), and its /metrics the gauges.
page_ok() {
	python3 - "$dir/tb3" <<'PY' || return 1
import struct, sys, time
b = open(sys.argv[1], "rb").read(128)
as_of, lo, hi = struct.unpack_from("<qqq", b, 16)
state, net, prec, hard = struct.unpack_from("<qqqq", b, 88)
if state != 2 or prec <= 0 or hard < prec:
    print("page: net_state %d, precision %d, hard %d" % (state, prec, hard)); sys.exit(1)
print("page: network clock agreed, precision %.3f ms (hard %.3f ms)" % (prec / 1e6, hard / 1e6))
PY
}
check "B: the time-bounds page states the network clock and its precision" page_ok
metrics_ok() {
	m=$(get 3 /metrics)
	printf '%s\n' "$m" | grep -q '^bftime_network_agreed 1$' || { echo "no bftime_network_agreed 1"; return 1; }
	printf '%s\n' "$m" | grep -q '^bftime_network_precision_bound_seconds{kind="model"} ' || { echo "no precision gauge"; return 1; }
	printf '%s\n' "$m" | grep '^bftime_network_precision_bound_seconds' | tr '\n' ' '
}
check "B: /metrics: bftime_network_agreed 1 and the stated precision" metrics_ok
stop_all

# C: the liar among nodes without references.
rm -f "$dir"/n*.json "$dir"/t*.json
LIAR=5
write_configs ""
start_all
wait_for 90 agree_ok B
sleep 4
check "C: a two-faced liar (node 5): the 11 honest nodes AGREED within the stated worst-case precision" agree_ok B hard
# Per peer, over 8 s: how many agreement steps took the liar's reading
# (used) and trimmed it, at each of its neighbours.
trim_counts() { # node -> "used trimmed" of its peer $LIAR
	get "$1" /v1/status | jq -r --argjson l "$LIAR" \
		'.sources_detail[] | select(.type == "peer" and .id == $l) | "\(.agreement_used) \(.agreement_trimmed)"'
}
nbrs="2 3 4 6 7 8"
for i in $nbrs; do trim_counts "$i" > "$dir/trim0.$i"; done
sleep 8
trimmed_ok() {
	out=
	for i in $nbrs; do
		set -- $(cat "$dir/trim0.$i") $(trim_counts "$i")
		[ $# -eq 4 ] || { echo "node $i: no agreement counts for peer $LIAR"; return 1; }
		u=$(($3 - $1)) t=$(($4 - $2))
		[ "$u" -ge 3 ] || { echo "node $i took the liar's reading $u times in 8 s"; return 1; }
		[ "$t" -eq "$u" ] || { echo "node $i trimmed the liar $t of $u times"; return 1; }
		out="$out $i:$t/$u"
	done
	echo "trimmed/used at each neighbour:$out"
}
check "C: every neighbour of the liar trims it at every agreement step" trimmed_ok
check "C: still within the stated precision" agree_ok B
liar_metrics_ok() {
	m=$(get 4 /metrics)
	printf '%s\n' "$m" | grep -q "^bftime_source_agreement_trimmed_total{type=\"peer\",id=\"$LIAR\",.*} [1-9]" ||
		{ echo "no bftime_source_agreement_trimmed_total for peer $LIAR"; printf '%s\n' "$m" | grep agreement_trimmed; return 1; }
	printf '%s\n' "$m" | grep '^bftime_agreement_trimmed ' || { echo "no bftime_agreement_trimmed"; return 1; }
}
check "C: /metrics counts the liar's trimmed readings" liar_metrics_ok
check "SIGTERM stops every node cleanly" stops_cleanly
summary
