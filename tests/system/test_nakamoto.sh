#!/bin/sh
# SPDX-License-Identifier: MIT
# The Nakamoto engine in the daemon (issue 15, docs/nakamoto.md): 4 real
# bftimed on loopback, full mesh, f = 1, each with a simulated reference
# (CLOCK_REALTIME with noise: one reference all of them observe), mining
# 2 s blocks with 200 hashes per 100 ms step (a fraction of a millisecond
# of CPU: the hash rate is the budget, not what a loaded machine leaves
# over, so the chain's pace does not depend on the load), gossiping
# statements and block fragments over their peer datagrams, keeping the
# chain in SQLite. Asserts: they mine and agree on the chain (one head),
# every node has the chain's consensus (statements of at least 3 nodes)
# and steers by it, their intervals hold CLOCK_REALTIME and overlap, the
# metrics and `bftime chain` show it, and a node killed with -9 replays its
# stored chain at restart and rejoins the same head. Then node 4 restarts
# as a TEST-ONLY implausible miner (its statements 20 ms off): the others
# refuse its blocks as implausible, count them, raise no alarm, and keep
# their own chain growing.
# Every process is started and stopped here (by the pids it recorded).
# Ports 22100..22129 (fixed, below the ephemeral range). About a minute and a half.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
POLL=2
N=4
dir=$(mktemp -d /tmp/bftime-nakamoto.XXXXXX) || exit 1
genesis=$(date +%s) # one genesis for every node and every restart
base=22100 # fixed, below the ephemeral range (32768-60999), beside the other tests' 21000-22099
. tests/system/lib.sh
trap 'stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null && command -v jq >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl or jq missing: skipped)"; exit 77; }

api() { echo "127.0.0.1:$((base + 20 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
make_keys
# agree 5 ms: a node states and mines only while its clock reads its
# reference within agree / 2 (docs/nakamoto.md, settled); on a loaded
# machine the nodes' clocks and their simulated references part by up to
# milliseconds (at 1 ms, the honest chain stalled under make test). Node 4's
# 20 ms lie stays implausible (allowance 2 x 0.2 ms + 5 ms + drift).
write_config() { # node, extra nakamoto keys
	i=$1
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus:"
		echo "  f: 1"
		echo "  poll: ${POLL}s"
		echo "  engine: nakamoto"
		echo "  nakamoto: {genesis_time: $genesis, difficulty: 16000, interval: 2s, retarget: 8, max_step: 2,"
		echo "             window: 8, slots: 64, orphans: 8, min_statements: 3, statement_age: 60s, agree: 5ms,"
		echo "             hashes_per_step: 200, step: 100ms, tau_phase: 8s, store: $dir/n$i.chain$2}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 20us, uncertainty: 200us}"
		echo "api: $(api "$i")"
		echo "status: $dir/n$i.json"
		# Loopback: every peer's datagrams come from 127.0.0.1, one address's budget.
		echo "rate_limit: {rate: 400}"
	} > "$dir/n$i.yaml"
}
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
wait_for() { # seconds, check...
	n=$1; shift
	while [ "$n" -gt 0 ]; do "$@" > /dev/null 2>&1 && return 0; sleep 2; n=$((n - 2)); done
	return 0
}
consensus_ok() { # node
	get "$1" /v1/chain | jq -e '.references[0].consensus and .references[0].n >= 3 and .node.steered_fusions > 0
		and .node.mined >= 0 and .store.stored > 0' > /dev/null || { echo "no consensus or no steering"; return 1; }
	get "$1" /v1/chain | jq -r '"\(.references[0].n) statements, phase \(.references[0].phase_ns) ns, steer \(.references[0].steer_ppb) ppb"'
}

echo "[==========] 4 bftimed mining one chain of offset statements, f = 1"
for i in $(seq 1 $N); do write_config "$i"; done
check "config accepted by --check-config" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
for i in $(seq 1 $N); do start "$i"; done
wait_for 90 one_head 10 1 2 3 4
check "the nodes mine and agree on one head" heads_agree 10 1 2 3 4
for i in 1 2 3 4; do check "node $i: the chain's consensus steers it" consensus_ok "$i"; done
# Synchronized, no alarm, the interval holds CLOCK_REALTIME (lib.sh), recorded for overlap_ok.
clock_ok() { # node
	holds_realtime "$dir/n$1.json" "$dir/snap$1.json" || return 1
	[ "$(field "$s" alarm)" = false ] || { echo "alarm raised"; return 1; }
	echo "$1 $a $lo $hi" >> "$dir/measured.a"
	printf 'interval width %d us' $(((hi - lo) / 1000))
}
for i in 1 2 3 4; do check "node $i: synchronized, holds CLOCK_REALTIME" clock_ok "$i"; done
check "their intervals overlap" overlap_ok a
check "metrics: bftime_chain_height and refusals by reason" sh -c \
	"curl -s http://$(api 1)/metrics | grep -q '^bftime_chain_height [1-9]' &&
	 curl -s http://$(api 1)/metrics | grep -q 'bftime_chain_rejected_total{reason=\"implausible\"}'"
check "bftime status shows the chain" sh -c "\"$B/bftime\" status --api $(api 1) | grep -q '^chain: height [1-9]'"
check "bftime chain prints head and references" sh -c \
	"\"$B/bftime\" chain --api $(api 1) | grep -q '^height' && \"$B/bftime\" chain --api $(api 1) | grep -q '^reference simulated'"
check "/v1/status has the chain" sh -c "get() { curl -s http://$(api 2)/v1/status; }; get | jq -e '.chain.head.height > 0' >/dev/null"
# The dashboard (issue 19) shows the chain, live, as a person sees it.
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	mkdir -p "$B/test-artifacts"
	check "the dashboard shows the chain, its height growing" python3 tests/system/cdp.py chain \
		"http://$(api 1)/dashboard" "$B/test-artifacts/dashboard-chain.png"
else
	skipped "the dashboard's chain panel (chromium missing)"
fi

# kill -9 and restart: the stored chain comes back.
h2=$(get 2 /v1/chain | jq .head.height)
kill -9 "$(cat "$dir/n2.pid")"; wait "$(cat "$dir/n2.pid")" 2>/dev/null
start 2
# The API can answer before the replay's log line is written (CI: the check read
# the log a moment too early): wait for both.
answers() { get "$1" /v1/chain | jq -e '.head.height > 0' > /dev/null &&
	[ "$(grep -c 'chain: [0-9]* stored blocks replayed' "$dir/n$1.log")" -ge 2 ]; }
wait_for 30 answers 2 # its start and replay take longer on a loaded machine
# Says what it saw when it fails: one fresh-clone run found the replayed
# height below the height read before the kill (cause not found yet: a block
# accepted but not stored would be a bug; docs/nakamoto.md, "Left to do").
replayed_ok() {
	line=$(grep -o 'chain: [1-9][0-9]* stored blocks replayed ([0-9]* refused)' "$dir/n2.log" | tail -n 1)
	now=$(get 2 /v1/chain | jq .head.height)
	[ -n "$line" ] && [ "${now:-0}" -ge "$h2" ] ||
		{ echo "before the kill height $h2; after: '$line', height $now; replay lines: $(grep -o 'chain: [0-9]* stored blocks replayed' "$dir/n2.log" | tr '\n' ';') $(grep -c 'could not be kept' "$dir/n2.log") store failures logged"; return 1; }
	echo "$line; height $now (before the kill $h2)"
}
check "node 2 killed with -9 replays its stored chain" replayed_ok
wait_for 40 one_head $((h2 + 2)) 1 2 3 4
check "node 2 rejoins the same head" heads_agree $((h2 + 2)) 1 2 3 4

# Node 4 turns into an implausible miner (TEST-ONLY knob of bftimed-test).
kill -TERM "$(cat "$dir/n4.pid")"; wait "$(cat "$dir/n4.pid")" 2>/dev/null
write_config 4 ", test_offset: 20ms"
start 4
implausible_seen() {
	for i in 1 2 3; do
		get "$i" /v1/chain | jq -e '.rejected.implausible > 0 and (.alarm | not)' > /dev/null || return 1
	done
}
wait_for 60 implausible_seen
check "nodes 1-3 refuse node 4's implausible blocks, no alarm" implausible_seen
h=$(get 1 /v1/chain | jq .head.height)
wait_for 90 one_head $((h + 2)) 1 2 3
check "nodes 1-3 keep one chain growing without node 4" heads_agree $((h + 2)) 1 2 3
check "SIGTERM stops every node cleanly" stops_cleanly

# A damaged chain store (node 1's, checkpointed by the clean stop, every
# page after the first with its b-tree header overwritten): node 1 starts,
# says the read stopped and why, counts it, and runs on.
cp "$dir/n1.chain" "$dir/n1.bad"
pages=$(($(stat -c %s "$dir/n1.bad") / 4096))
for k in $(seq 1 $((pages - 1))); do
	printf '\377\377\377\377\377\377\377\377' | dd of="$dir/n1.bad" bs=1 seek=$((k * 4096)) conv=notrunc 2>/dev/null
done
sed -i "s|store: $dir/n1.chain|store: $dir/n1.bad|" "$dir/n1.yaml"
start 1
damaged_said() {
	grep -q "chain: $dir/n1.bad: the store's read stopped after [0-9]* blocks: database disk image is malformed; the node goes on" "$dir/n1.log" &&
		get 1 /v1/chain | jq -e '.store.replay_errors == 1' > /dev/null
}
wait_for 20 damaged_said
damaged() {
	damaged_said && kill -0 "$(cat "$dir/n1.pid")" ||
		{ echo "$pages pages; logged: $(grep 'chain:' "$dir/n1.log" | tail -n 2); store: $(get 1 /v1/chain | jq -c .store)"; return 1; }
}
check "a damaged chain store: the read's failure logged and counted, the node runs on" damaged
summary
