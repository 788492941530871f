#!/bin/sh
# SPDX-License-Identifier: MIT
# The catch-up quorum (issue 13, item 7): a node that lost both its proof
# store and its head record does not know its own chain's head. Before, it
# asked its peers once and, when none answered within 10 s, started its
# chain again at seq 0: a fork of the chain its peers hold. Four real
# bftimed on loopback (f = 1, a simulated reference each, proofs every
# second, stores and APIs on): node 1 builds a chain its peers hold; then
# every peer is stopped, node 1's store and head record are deleted, and it
# starts alone. Checks: for 20 s (twice the old deadline) it issues no
# proof and says why in /v1/status (proofs.catchup: waiting, quorum 2 of 3
# peers, answered 0), though synchronized; with one peer back, still
# waiting (answered 1, quorum 2); with a second, it continues its chain
# after the newest seq they hold, never at seq 0, and the peers store its
# new proofs without a fork. Needs curl and python3; prints a cmocka-style
# summary; about 70 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test} # the test build: kind: simulated references (src/testkit)
C=$B/bftime
N=4
dir=$(mktemp -d /tmp/bftime-quorum.XXXXXX) || exit 1
base=21200 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
PY=$(command -v python3)
. tests/system/lib.sh
trap 'stop_nodes 12' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] && command -v curl >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 or curl missing: skipped)"; exit 77; }

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
make_keys
for i in $(seq 1 $N); do
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: 1s}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "api: $(api "$i")"
		echo "store: $dir/n$i.db"
		echo "proof_interval: 1s"
	} > "$dir/n$i.yaml"
done
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
stop() { stop_pid "$(cat "$dir/n$1.pid")"; rm -f "$dir/n$1.pid"; }
wait_for() {
	t=$1; shift
	k=0
	while [ $k -lt $((t * 2)) ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; k=$((k + 1)); done
	return 1
}
# proofs.catchup.FIELD and other status fields of node 1, by a python path
st() { get 1 /v1/status | "$PY" -c 'import json,sys; d=json.load(sys.stdin); v=eval("d"+sys.argv[1]); print(json.dumps(v))' "$1" 2>/dev/null; }
head1() { get 1 /v1/status | sed -n '/"head":{/,/}/s/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1; }
held_by() { # node: node 1's newest seq in its store
	get "$1" '/v1/proofs?node=1&order=newest&limit=1' | sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1
}

echo "[==========] $N bftimed on $(api 1)-$(api $N); node 1 loses its store and head record with every peer down"
for i in $(seq 1 $N); do start "$i"; done
built() { h=$(held_by 2); [ -n "$h" ] && [ "$h" -ge 5 ] && [ "$(held_by 3)" -ge 5 ]; }
check "node 1's chain reaches its peers" wait_for 40 built
for i in 1 2 3 4; do stop "$i"; done
H=$("$PY" -c 'import sqlite3,sys; print(max(sqlite3.connect(sys.argv[1]).execute("SELECT max(seq) FROM proofs WHERE node=1").fetchone()[0], sqlite3.connect(sys.argv[2]).execute("SELECT max(seq) FROM proofs WHERE node=1").fetchone()[0]))' "$dir/n2.db" "$dir/n3.db")
rm -f "$dir/n1.db" "$dir/n1.db-wal" "$dir/n1.db-shm" "$dir/n1.db.head"
start 1
waiting_ok() { # answered
	[ "$(st '["synced"]')" = true ] || { echo "not synchronized"; return 1; }
	w=$(st '["proofs"]["catchup"]["waiting"]') q=$(st '["proofs"]["catchup"]["quorum"]') a=$(st '["proofs"]["catchup"]["answered"]')
	[ "$w" = true ] && [ "$q" = 2 ] && [ "$a" = "$1" ] || { echo "waiting $w, quorum $q, answered $a"; return 1; }
	h=$(head1) # empty, or the head recovered from a peer's copy: nothing new signed
	[ -z "$h" ] || [ "$h" -le "$H" ] || { echo "issued: head $h"; return 1; }
	st '["proofs"]["catchup"]["why"]' | grep -q 'quorum' || { echo "no reason given"; return 1; }
	echo "synchronized, waiting: answered $a of quorum $q, no proof issued (head ${h:-none})"
}
sleep 20
check "alone for 20 s (the old deadline twice): no proof, waiting for a quorum" waiting_ok 0
grep -q 'no proof is issued until 2 of the 3 peers' "$dir/n1.log"
check "the wait and its quorum logged" test $? = 0
start 2
check "one peer back: still waiting (answered 1 of 2)" wait_for 40 waiting_ok 1
start 3
continued() {
	h=$(head1)
	[ -n "$h" ] && [ "$h" -gt "$H" ] || { echo "head ${h:-none}, peers held seq $H"; return 1; }
	[ "$(st '["proofs"]["catchup"]["waiting"]')" = false ] || { echo "still waiting"; return 1; }
	echo "continued after seq $H (head $h)"
}
check "a second peer back: quorum reached, the chain continues after seq $H" wait_for 40 continued
check "seq 0 was never signed again (once, at the first start)" test "$(grep -c 'own proof seq 0 issued' "$dir/n1.log")" = 1
no_fork() {
	for i in 2 3; do
		h=$(held_by "$i")
		[ -n "$h" ] && [ "$h" -gt "$H" ] || { echo "node $i holds node 1 up to ${h:-nothing}"; return 1; }
		f=$(get "$i" /metrics | sed -n 's/^bftime_proof_store_results_total{result="fork"} \([0-9]*\)$/\1/p')
		b=$(get "$i" /metrics | sed -n 's/^bftime_proof_store_results_total{result="bad_chain"} \([0-9]*\)$/\1/p')
		[ "${f:-1}" = 0 ] && [ "${b:-1}" = 0 ] || { echo "node $i: fork ${f:-?}, bad_chain ${b:-?}"; return 1; }
	done
	echo "nodes 2 and 3 store node 1's new proofs: no fork, no bad chain"
}
check "the peers take the continued chain without a fork" wait_for 20 no_fork
summary
