#!/bin/sh
# SPDX-License-Identifier: MIT
# Stores that lie (issue 13, finding 7), against a real bftimed: one node
# with a simulated reference, a proof every second and no peers (so no peer
# can hand a lost proof back: what the node does is its own), its store
# damaged between runs as a disk, a bad copy or an operator would:
#  - its newest row deleted: the chain continues after it, and that seq
#    keeps the proof it had (it once signed a different one);
#  - emptied to 0 bytes: the chain continues after its old head (it once
#    started again at seq 0);
#  - a byte of a proof changed while it runs: that proof is never served,
#    every proof served verifies, the damage is counted in /metrics;
#  - a byte of a proof changed, 4 KB of garbage in the middle, cut to half,
#    a garbage header, a directory at the path: refused at start with the
#    damage named and what to do (once: served as is, running with every
#    write failing, "out of memory", "invalid argument").
# Each case starts from the same good copy. Needs python3 (its sqlite3
# module edits the store); prints a cmocka-style summary; about 60 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=1
dir=$(mktemp -d /tmp/bftime-store.XXXXXX) || exit 1
base=22000 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
PY=$(command -v python3)
. tests/system/lib.sh
trap 'stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] && command -v curl >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 or curl missing: skipped)"; exit 77; }

make_keys
API=127.0.0.1:$((base + 11))
db=$dir/n1.db
cat > "$dir/n1.yaml" <<EOF
node: {id: 1, listen: 127.0.0.1:$((base + 1)), key: $dir/n1.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}
api: $API
store: $db
proof_interval: 1s
EOF
start() { "$D" --config "$dir/n1.yaml" > "$dir/n1.log" 2>&1 & echo $! > "$dir/n1.pid"; }
stop() {
	kill -TERM "$(cat "$dir/n1.pid")" 2>/dev/null
	k=0
	while kill -0 "$(cat "$dir/n1.pid")" 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
	kill -9 "$(cat "$dir/n1.pid")" 2>/dev/null
	wait 2>/dev/null
	rm -f "$dir/n1.pid"
}
head_seq() { curl -s --max-time 2 "http://$API/v1/status" | sed -n '/"head":{/,/}/s/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1; }
# Wait (up to 30 s) until the node's head is above $1.
wait_head_above() {
	k=0
	while [ $k -lt 60 ]; do
		h=$(head_seq)
		[ -n "$h" ] && [ "$h" -gt "$1" ] && return 0
		kill -0 "$(cat "$dir/n1.pid" 2>/dev/null)" 2>/dev/null || return 1
		sleep 0.5
		k=$((k + 1))
	done
	return 1
}
# The store, read with python's sqlite3: sql [args] -> rows, '|'-separated.
q() {
	"$PY" - "$db" "$@" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
for r in c.execute(sys.argv[2], tuple(sys.argv[3:])):
    print('|'.join(x.hex() if isinstance(x, bytes) else str(x) for x in r))
c.commit()
EOF
}
# Flip the last nonce byte of own proof seq $1 (a valid encoding still).
flip() {
	"$PY" - "$db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
b = bytearray(c.execute('SELECT bytes FROM proofs WHERE node=1 AND seq=?', (int(sys.argv[2]),)).fetchone()[0])
b[len(b) - 65] ^= 1
c.execute('UPDATE proofs SET bytes=? WHERE node=1 AND seq=?', (bytes(b), int(sys.argv[2])))
c.commit()
EOF
}
restore() {
	rm -rf "$db" "$db-wal" "$db-shm" "$db.head"
	cp "$dir/good.db" "$db"
	[ -f "$dir/good.head" ] && cp "$dir/good.head" "$db.head"
	return 0
}
# The daemon must refuse to start: exit within 10 s, its message matching $1.
refused() {
	start
	k=0
	while kill -0 "$(cat "$dir/n1.pid")" 2>/dev/null && [ $k -lt 100 ]; do sleep 0.1; k=$((k + 1)); done
	if kill -0 "$(cat "$dir/n1.pid")" 2>/dev/null; then
		stop
		echo "it started: $(grep -c 'proof seq\|own proof' "$dir/n1.log") proof lines in its log"
		return 1
	fi
	rm -f "$dir/n1.pid"
	grep -q -- "$1" "$dir/n1.log" || { echo "message: $(tail -n 1 "$dir/n1.log")"; return 1; }
	grep -q -- "move it aside\|delete the record" "$dir/n1.log" || { echo "no advice: $(tail -n 1 "$dir/n1.log")"; return 1; }
	echo "$(grep -o 'refusing the proof store [^:]*: [^.]*' "$dir/n1.log" | head -n 1 | sed "s|$dir/||")"
}

echo "[==========] one bftimed (API $API), a proof a second, its store damaged between runs"
start
wait_head_above 7
stop
cp "$db" "$dir/good.db"
[ -f "$db.head" ] && cp "$db.head" "$dir/good.head"
H=$(q 'SELECT max(seq) FROM proofs WHERE node=1')
check "a chain to damage (head seq ${H:-none})" test "${H:-0}" -ge 7

# 1. The newest row deleted.
restore
hH=$(q 'SELECT hash FROM proofs WHERE node=1 AND seq=?' "$H")
q 'DELETE FROM proofs WHERE node=1 AND seq=?' "$H" >/dev/null
start
wait_head_above "$H"
stop
lost_row_ok() {
	now=$(q 'SELECT hash FROM proofs WHERE node=1 AND seq=?' "$H")
	[ -n "$now" ] || { echo "seq $H missing"; return 1; }
	[ "$now" = "$hH" ] || { echo "seq $H signed again: another proof"; return 1; }
	m=$(q 'SELECT max(seq) FROM proofs WHERE node=1')
	[ "$m" -gt "$H" ] || { echo "no new proof"; return 1; }
	echo "seq $H kept its proof, the chain went on to seq $m"
}
check "its newest row deleted: seq $H is not signed again, the chain continues" lost_row_ok

# 2. Emptied to 0 bytes.
restore
: > "$db"
start
wait_head_above "$H"
stop
empty_ok() {
	lo=$(q 'SELECT min(seq) FROM proofs WHERE node=1') m=$(q 'SELECT max(seq) FROM proofs WHERE node=1')
	[ -n "$lo" ] && [ "$lo" -ge "$H" ] || { echo "the chain started again at seq ${lo:-?}"; return 1; }
	grep -q 'was an empty file' "$dir/n1.log" || { echo "the loss was not logged"; return 1; }
	[ "$m" -gt "$H" ] || { echo "no new proof"; return 1; }
	[ "$(q 'SELECT hash FROM proofs WHERE node=1 AND seq=?' "$H")" = "$hH" ] || { echo "seq $H is another proof"; return 1; }
	echo "continued at seq $((H + 1)) up to $m, not at 0"
}
check "emptied to 0 bytes: the chain continues after seq $H, not at 0" empty_ok

# 3. A byte changed while it runs: never served.
restore
start
wait_head_above "$H"
flip 2
served_ok() {
	curl -s --max-time 5 "http://$API/v1/proofs?node=1&order=oldest&limit=1000" > "$dir/proofs.json"
	bad=$(q 'SELECT bytes FROM proofs WHERE node=1 AND seq=2')
	[ -n "$bad" ] || { echo "no seq 2"; return 1; }
	grep -q "$bad" "$dir/proofs.json" && { echo "the changed proof was served"; return 1; }
	out=$("$C" proofs --verify --node 1 --api "$API" 2>&1) || { echo "$out" | tail -n 2; return 1; }
	m=$(curl -s --max-time 5 "http://$API/metrics" | sed -n 's/^bftime_proof_store_results_total{result="damaged"} \([0-9]*\)$/\1/p')
	[ "${m:-0}" -ge 1 ] || { echo "damage not counted (${m:-no metric})"; return 1; }
	st=$(curl -s --max-time 5 "http://$API/v1/status")
	dr=$(echo "$st" | sed -n 's/.*"damaged_reads":\([0-9]*\).*/\1/p')
	[ "${dr:-0}" -ge 1 ] || { echo "/v1/status proofs.damaged_reads: ${dr:-missing}"; return 1; }
	echo "$st" | grep -q '"store_ok":true' || { echo "/v1/status proofs.store_ok not true"; return 1; }
	mm=$(curl -s --max-time 5 "http://$API/metrics" | sed -n 's/^bftime_proof_store_damaged_reads_total \([0-9]*\)$/\1/p')
	[ "${mm:-0}" -ge 1 ] || { echo "bftime_proof_store_damaged_reads_total: ${mm:-missing}"; return 1; }
	echo "left out, $m damaged reads counted (status $dr, metric $mm); $(echo "$out" | grep '^node 1:' | cut -c1-60)"
}
check "a byte changed while running: that proof is never served" served_ok
stop

# 4-8. Refused at start, with the damage named.
restore
flip 2
check "a changed byte: refused, the proof named" refused "proof (node 1, seq 2) is damaged: its bytes do not match"
restore
size=$(wc -c < "$db")
"$PY" -c 'import os, sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); f.write(os.urandom(4096))' "$db" $((size / 2 / 4096 * 4096))
check "4 KB of garbage in the middle: refused" refused "integrity check failed"
restore
"$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.truncate(int(sys.argv[2]))' "$db" $((size / 2 / 4096 * 4096))
check "cut to half: refused as truncated" refused "truncated: [0-9]* bytes, where its header counts"
restore
"$PY" -c 'import os, sys; f = open(sys.argv[1], "r+b"); f.write(os.urandom(100))' "$db"
check "a garbage header: refused as not SQLite" refused "not an SQLite database"
rm -f "$db"
mkdir "$db"
check "a directory at the store path: refused" refused "it is a directory"
rmdir "$db"
summary
