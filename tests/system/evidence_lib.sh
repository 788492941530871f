# SPDX-License-Identifier: MIT
# Shared by test_evidence.sh and test_evidence_v2.sh (sourced after lib.sh,
# with D, N, base, dir, PY, api and get set): four nodes' configurations and
# a twin of node 1, and the checks both make.

# conf node [listen-port api-port store twin]: N1_OPTS is added to node 1's
# (and its twin's) node line; the twin gossips to 2 and 3 only.
conf() {
	i=$1 port=${2:-$((base + $1))} ap=${3:-$(api "$1")} db=${4:-$dir/n$1.db}
	extra=""
	[ "$i" = 1 ] && extra=${N1_OPTS:-}
	echo "node: {id: $i, listen: 127.0.0.1:$port, key: $dir/n$i.key$extra}"
	echo "peers:"
	for j in $(seq 1 $N); do
		[ "$j" = "$i" ] && continue
		if [ -n "$5" ] && [ "$j" = 4 ]; then
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		else
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$dir/n$j.pub")}"
		fi
	done
	echo "consensus: {f: 1, poll: 1s}"
	echo "references:"
	echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
	echo "api: $ap"
	echo "store: $db"
	echo "proof_interval: 1s"
}
# The four nodes' configurations, and the twin's as node 5.
write_confs() {
	for i in $(seq 1 $N); do conf "$i" > "$dir/n$i.yaml"; done
	conf 1 $((base + 9)) "$(api 9)" "$dir/twin.db" twin > "$dir/n5.yaml"
}
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
# wait_for seconds command...: until it succeeds
wait_for() {
	t=$1; shift
	k=0
	while [ $k -lt $((t * 2)) ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; k=$((k + 1)); done
	return 1
}
head_seq() { get "$1" /v1/status | sed -n '/"head":{/,/}/s/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1; }
stored_of() { get "$1" /v1/peers | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print([p for p in d["peers"] if p["id"]==int(sys.argv[1])][0]["proofs"].get("stored",0))' "$2"; }
count_at() { get "$1" /v1/evidence | sed -n 's/^  "count":\([0-9]*\),\{0,1\}$/\1/p'; }
has_evidence() { [ "$(count_at "$1")" = 1 ]; }
chain_ok() { h=$(head_seq 1); [ -n "$h" ] && [ "$h" -ge 4 ] && [ "$(stored_of 4 1)" -ge 4 ] && [ "$(stored_of 2 1)" -ge 4 ]; }
both() { [ "$(count_at 2)" = 1 ] && [ "$(count_at 3)" = 1 ]; }

# Nodes 2 and 3 both saw the twin's proof beside node 1's; whichever made
# the evidence first may gossip it to the other before the other's own
# check: that one then holds it as received and makes none (one piece, not
# two).
counts() { # node: "created received"
	m=$(get "$1" /metrics)
	c=$(echo "$m" | sed -n 's/^bftime_evidence_total{result="created"} \([0-9]*\)$/\1/p')
	r=$(echo "$m" | sed -n 's/^bftime_evidence_total{result="new"} \([0-9]*\)$/\1/p')
	echo "${c:-0} ${r:-0}"
}
made_by_one() {
	set -- $(counts 2) $(counts 3)
	[ $(($1 + $3)) -ge 1 ] || { echo "created at 2: $1, at 3: $3"; return 1; }
	echo "created at node 2: $1, at node 3: $3"
}
once_each() {
	for i in 2 3; do
		set -- $(counts $i)
		[ $(($1 + $2)) -eq 1 ] || { echo "node $i: created $1, received $2 (one of them, once)"; return 1; }
	done
}
