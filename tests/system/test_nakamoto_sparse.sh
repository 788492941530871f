#!/bin/sh
# SPDX-License-Identifier: MIT
# The Nakamoto engine on a sparse network (issue 15, docs/nakamoto.md,
# "Sparse networks: the directory"): 4 real bftimed on loopback in a line,
# 1 - 2 - 3 - 4, each peering with its neighbours only. A block carries
# the statements its miner heard, its neighbours', signed by nodes the
# receiver may not peer with; a node verifies them with the keys it knows.
# With peers' keys alone the chain split (measured: three heads among four
# nodes after 40 s, node 1 refusing blocks for their signatures); each node
# here lists the others in its `directory`. Asserts: one head at every
# node, no block refused for a signature anywhere, and the end nodes'
# consensus holds statements of nodes they do not peer with (which only the
# directory lets them accept), and statements relayed two hops beyond
# their authors' neighbours (relay_hops: 2) without one refused; then a node with
# an empty directory, restarted from its stored chain, refuses blocks for
# their signatures (the control: the test can tell). About a minute.
# Ports 22700..22729 (fixed, below the ephemeral range).
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
N=4
dir=$(mktemp -d /tmp/bftime-nksparse.XXXXXX) || exit 1
genesis=$(date +%s)
base=22700 # fixed, below the ephemeral range (32768-60999)
. tests/system/lib.sh
trap 'stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null && command -v jq >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl or jq missing: skipped)"; exit 77; }

api() { echo "127.0.0.1:$((base + 20 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
make_keys
write_config() { # node, with directory (1) or not (0)
	i=$1
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $((i - 1)) $((i + 1)); do
			[ "$j" -ge 1 ] && [ "$j" -le $N ] || continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		if [ "$2" = 1 ]; then
			echo "directory:"
			for j in $(seq 1 $N); do
				[ "$j" -eq "$i" ] || [ "$j" -eq $((i - 1)) ] || [ "$j" -eq $((i + 1)) ] && continue
				echo "  - {id: $j, public_key: $(cat "$dir/n$j.pub")}"
			done
		fi
		echo "consensus:"
		echo "  f: 0"
		echo "  poll: 2s"
		echo "  engine: nakamoto"
		echo "  nakamoto: {genesis_time: $genesis, difficulty: 16000, interval: 2s, retarget: 8, max_step: 2,"
		echo "             window: 8, slots: 64, orphans: 8, min_statements: 2, statement_age: 60s, agree: 5ms,"
		echo "             hashes_per_step: 200, step: 100ms, tau_phase: 8s, relay_hops: 2, store: $dir/n$i.chain}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 20us, uncertainty: 200us}"
		echo "api: $(api "$i")"
		echo "rate_limit: {rate: 400}"
	} > "$dir/n$i.yaml"
}
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
no_sig_refusals() {
	for i in $(seq 1 $N); do
		s=$(get "$i" /v1/chain | jq -r '.rejected.signature') || { echo "node $i: no answer"; return 1; }
		[ "$s" = 0 ] || { echo "node $i refused $s blocks for their signatures"; return 1; }
	done
}
# A node's consensus counts one statement per node in the window; node 1
# and node 4 peer with one node each, so 3 or more mean a statement of a
# node that is not their peer, taken from a block a peer mined (the window
# slides as blocks come: asked again for up to 30 s).
non_peer_statements() { # node
	n=0
	while [ $n -lt 30 ]; do
		k=$(get "$1" /v1/chain | jq -r '.references[0].n' 2>/dev/null)
		[ -n "$k" ] && [ "$k" != null ] && [ "$k" -ge 3 ] && { echo "statements of $k nodes"; return 0; }
		sleep 2; n=$((n + 2))
	done
	echo "statements of ${k:-no} nodes, never 3"; return 1
}

echo "[==========] 4 bftimed in a line (1 - 2 - 3 - 4) mining one chain, each with a directory of the others' keys"
for i in $(seq 1 $N); do write_config "$i" 1; done
check "a config with a directory is accepted by --check-config" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
for i in $(seq 1 $N); do start "$i"; done
n=0
while [ $n -lt 90 ] && ! one_head 10 1 2 3 4 > /dev/null 2>&1; do sleep 3; n=$((n + 3)); done
check "the line mines and agrees on one head" heads_agree 10 1 2 3 4
check "no block refused for its signatures, anywhere" no_sig_refusals
relayed() { # nodes 2 and 3 forward their neighbours' statements; nobody refuses one
	for i in 2 3; do
		r=$(get "$i" /v1/chain | jq -r '.node.statements_relayed') || { echo "node $i: no answer"; return 1; }
		[ "$r" -gt 0 ] 2>/dev/null || { echo "node $i relayed ${r:-no} statements"; return 1; }
	done
	for i in $(seq 1 $N); do
		b=$(get "$i" /v1/chain | jq -r '.node.statements_refused')
		[ "$b" = 0 ] || { echo "node $i refused $b statements"; return 1; }
	done
	echo "node 2 relayed $(get 2 /v1/chain | jq -r '.node.statements_relayed'), node 3 $(get 3 /v1/chain | jq -r '.node.statements_relayed')"
}
check "statements travel past the neighbours (relay_hops: 2), none refused" relayed
check "node 1's consensus holds statements of nodes that are not its peers" non_peer_statements 1
check "node 4's consensus holds statements of nodes that are not its peers" non_peer_statements 4

# The control: node 1 without its directory, restarted from its stored chain,
# refuses the blocks that carry statements of nodes 3 and 4.
refuses_without() {
	kill "$(cat "$dir/n1.pid")"; wait "$(cat "$dir/n1.pid")" 2>/dev/null
	write_config 1 0
	start 1
	n=0
	while [ $n -lt 40 ]; do
		s=$(get 1 /v1/chain | jq -r '.rejected.signature' 2>/dev/null)
		[ -n "$s" ] && [ "$s" != null ] && [ "$s" -gt 0 ] && { echo "$s blocks refused"; return 0; }
		sleep 2; n=$((n + 2))
	done
	echo "no block refused for its signatures in 40 s"; return 1
}
check "without the directory, node 1 refuses blocks for their signatures" refuses_without
summary
