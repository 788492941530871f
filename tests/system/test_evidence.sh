#!/bin/sh
# SPDX-License-Identifier: MIT
# Equivocation is evidence (issue 13, finding 6), with real bftimed on
# loopback: four nodes (f = 1, a simulated reference each, proofs every
# second, every store and API on), then a twin: node 1's own key and id
# started from a second address with an empty store, gossiping to nodes 2
# and 3 only. The twin continues node 1's chain from the peers' copies
# (its catch-up) while the real node 1 goes on signing its own: nodes 2 and
# 3 receive two histories under one key. Before, the first to arrive won
# and the real node's proofs were refused as "fork" and "bad_chain" for
# good, with nothing but a counter to show. Checks: nodes 2 and 3 hold
# evidence (both signed proofs) of the fork, made by at least one of them
# (the other may receive it by gossip before its own check); node 4, which saw only the real
# chain, receives it by gossip; GET /v1/evidence serves it, and each piece
# verifies offline (python: the canonical layout, Ed25519 under the pinned
# key with openssl, the conflict rule); /metrics counts it (created,
# received, bftime_key_faulty{node="1"} 1); node 1 is marked faulty with
# reason "equivocation" in /v1/peers and /v1/status, its datagrams are
# dropped and it is no longer used as a time source, its proofs are refused
# (422 faulty_key); node 1 itself is told its key is faulty and stops
# issuing; invalid evidence (garbage, the same proof twice, proofs of two
# keys, a bad signature) is refused with its reason and counted; the
# evidence survives kill -9 of a node; the operator's recovery (a new key
# and id pinned everywhere) makes the node a trusted time source again; and
# nothing crashed. Needs curl and python3; prints a cmocka-style summary;
# about 90 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test} # the test build: kind: simulated references (src/testkit)
C=$B/bftime
N=4
dir=$(mktemp -d /tmp/bftime-evidence.XXXXXX) || exit 1
base=21400 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
PY=$(command -v python3)
. tests/system/lib.sh
# The twin is node 5 in the pid files (stop_nodes kills it too).
trap 'N=5; stop_nodes 12' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] && command -v curl >/dev/null ||
	{ echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 or curl missing: skipped)"; exit 77; }

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
post() { curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' --data-binary "$2" "http://$(api "$1")/v1/evidence"; }
metric() { get "$1" /metrics | sed -n "s/^$2 \([0-9]*\)\$/\1/p" | head -n 1; }

make_keys
. tests/system/evidence_lib.sh
write_confs

echo "[==========] $N bftimed on $(api 1)-$(api $N), proofs every second; then a twin of node 1 at $(api 9)"
for i in $(seq 1 $N); do start "$i"; done
check "node 1's chain reaches its peers" wait_for 40 chain_ok
check "no evidence before the twin" sh -c "[ \"$(count_at 2)$(count_at 3)$(count_at 4)\" = 000 ]"

# The twin: node 1's key and id, another address, an empty store.
start 5
check "the twin's proofs fork node 1's chain: evidence made at nodes 2 and 3" wait_for 25 both
stop_pid "$(cat "$dir/n5.pid")"
rm -f "$dir/n5.pid"
check "node 2 or 3 made it itself (created counted)" made_by_one
check "nodes 2 and 3 each hold it once (made, or received from the other first)" once_each
check "gossiped to node 4, which saw only the real chain" wait_for 20 has_evidence 4
recv4() {
	r=$(get 4 /metrics | sed -n 's/^bftime_evidence_total{result="new"} \([0-9]*\)$/\1/p')
	c=$(get 4 /metrics | sed -n 's/^bftime_evidence_total{result="created"} \([0-9]*\)$/\1/p')
	[ "${r:-0}" -ge 1 ] && [ "${c:-1}" = 0 ] || { echo "received ${r:-?}, created ${c:-?}"; return 1; }
	echo "received $r, created 0"
}
check "node 4 received it, did not make it" recv4
check "node 1 (the real owner) received it too" wait_for 20 has_evidence 1

# The evidence as served, checked offline: two proofs, one key (the pinned
# one), both signatures valid (openssl), and a real conflict.
get 4 /v1/evidence > "$dir/ev.json"
cat > "$dir/verify.py" <<'EOF'
import hashlib, json, subprocess, sys, tempfile, os
d = json.load(open(sys.argv[1])); pub = bytes.fromhex(open(sys.argv[2]).read().strip())
e = d["evidence"][0]; b = bytes.fromhex(e["bytes"])
assert b[:3] == b"BE\x01", "magic"
la = b[3]; a = b[4:4 + la]; lb = b[4 + la]; c = b[5 + la:]
assert len(c) == lb and 5 + la + lb == len(b), "lengths"
def fields(p):
    return int.from_bytes(p[4:8], "big"), p[8:40], int.from_bytes(p[40:48], "big")
# proof layout (docs/proofs.md): magic 2, version 1, flags 1, node 4, pub 32, seq 8, ...; prev_hash, nonce, sig at the end
na, ka, sa = fields(a); nb, kb, sb = fields(c)
assert na == nb == 1 and ka == kb == pub, "not node 1's pinned key"
def verify(p):
    der = bytes.fromhex("302a300506032b6570032100") + pub
    with tempfile.TemporaryDirectory() as t:
        open(t + "/k.der", "wb").write(der); open(t + "/m", "wb").write(p[:-64]); open(t + "/s", "wb").write(p[-64:])
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", t + "/k.der",
                            "-rawin", "-in", t + "/m", "-sigfile", t + "/s"], capture_output=True)
        return r.returncode == 0
assert verify(a) and verify(c), "a signature does not verify"
prev_c = c[-(64 + 32 + 32):-(64 + 32)]
if sa == sb:
    assert a != c, "same proof"; kind = "fork"
else:
    assert sb == sa + 1 and prev_c != hashlib.sha3_256(a).digest(), "no conflict"; kind = "link"
print("%s at seq %d/%d, both signatures verify under node 1's pinned key" % (kind, sa, sb))
EOF
check "the evidence verifies offline with the key alone" "$PY" "$dir/verify.py" "$dir/ev.json" "$dir/n1.pub"
sameid() { a=$(get 2 /v1/evidence | grep '"id"'); b=$(get 4 /v1/evidence | grep '"id"'); [ -n "$a" ] && [ "$a" = "$b" ]; }
check "one piece of evidence, the same at nodes 2 and 4 (canonical)" sameid

faulty_ok() { # node
	get "$1" /v1/peers | "$PY" -c 'import json,sys; d=json.load(sys.stdin); p=[p for p in d["peers"] if p["id"]==1][0]; assert p.get("faulty")=="equivocation", p.get("faulty")' || return 1
	get "$1" /v1/status > "$dir/st$1.json"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["evidence"]; assert e["faulty_nodes"]==[1], e; assert not e["own_key_faulty"]' "$dir/st$1.json" || return 1
	g=$(metric "$1" 'bftime_key_faulty{node="1"}') h=$(metric "$1" bftime_evidence_held)
	[ "$g" = 1 ] && [ "$h" = 1 ] || { echo "bftime_key_faulty{node=1} ${g:-?}, held ${h:-?}"; return 1; }
	echo "faulty: equivocation; bftime_key_faulty{node=\"1\"} 1"
}
for i in 2 3 4; do check "node $i marks node 1 faulty (peers, status, metrics)" faulty_ok $i; done
unused() { # node: peer 1 not used in /v1/status, its datagrams dropped
	get "$1" /v1/status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for s in d.get("sources_detail", []):
    if s.get("type") == "peer" and s.get("id") == 1:
        assert not s.get("used"), "peer 1 still used"
assert d["evidence"]["datagrams_dropped"] > 0, "no datagram dropped"
print("not used, %d datagrams dropped" % d["evidence"]["datagrams_dropped"])'
}
for i in 2 4; do check "node $i no longer uses node 1's exchanges" wait_for 15 unused $i; done
refused_ok() {
	get 1 '/v1/proofs?node=1&order=newest&limit=1' | sed -n 's/^ *"bytes":"\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1 > "$dir/p.hex"
	[ -s "$dir/p.hex" ] || { echo "no proof of node 1"; return 1; }
	s=$(curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' --data-binary "{\"proof\":\"$(cat "$dir/p.hex")\"}" "http://$(api 4)/v1/proofs")
	[ "$s" = 422 ] && grep -q '"faulty_key"' "$dir/body" || { echo "HTTP $s: $(tr -d '\n ' < "$dir/body" | cut -c1-120)"; return 1; }
	r=$(metric 4 bftime_faulty_key_proofs_refused_total)
	[ "${r:-0}" -ge 1 ] || { echo "not counted"; return 1; }
	echo "422 faulty_key, $r refused"
}
check "node 1's proofs are refused at node 4 (422 faulty_key)" refused_ok
owner_ok() {
	get 1 /v1/status > "$dir/st1.json"
	"$PY" -c 'import json,sys; e=json.load(open(sys.argv[1]))["evidence"]; assert e["own_key_faulty"] and "new key" in e["advice"], e' "$dir/st1.json" || return 1
	grep -q "ALARM: this node's own key signed two histories" "$dir/n1.log" || { echo "not logged"; return 1; }
	h1=$(head_seq 1); sleep 3; h2=$(head_seq 1)
	[ "$h1" = "$h2" ] || { echo "still issuing: $h1 -> $h2"; return 1; }
	echo "told to rotate; no proof issued since (head $h2)"
}
check "node 1 is told its key is faulty and stops issuing" owner_ok

# Invalid evidence: refused with its reason, counted, nothing crashes.
"$PY" - "$dir/ev.json" "$dir" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); b = bytes.fromhex(d["evidence"][0]["bytes"]); out = sys.argv[2]
la = b[3]; a = b[4:4 + la]; c = b[5 + la:]
open(out + "/same.hex", "w").write((b"BE\x01" + bytes([la]) + a + bytes([la]) + a).hex())
bad = bytearray(b); bad[-1] ^= 1
open(out + "/badsig.hex", "w").write(bytes(bad).hex())
open(out + "/swapped.hex", "w").write((b"BE\x01" + bytes([len(c)]) + c + bytes([la]) + a).hex())
open(out + "/a.hex", "w").write(a.hex())
EOF
get 2 '/v1/proofs?node=2&order=newest&limit=1' | sed -n 's/^ *"bytes":"\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1 > "$dir/p2.hex"
"$PY" -c 'import sys; a=bytes.fromhex(open(sys.argv[1]).read()); c=bytes.fromhex(open(sys.argv[2]).read()); x,y=sorted([a,c]); print((b"BE\x01"+bytes([len(x)])+x+bytes([len(y)])+y).hex())' "$dir/a.hex" "$dir/p2.hex" > "$dir/keys.hex"
refuses_ev() { # expected-status reason hexfile
	s=$(post 3 "{\"evidence\":\"$(cat "$3")\"}")
	[ "$s" = "$1" ] && grep -q "\"$2\"" "$dir/body" || { echo "HTTP $s: $(tr -d '\n ' < "$dir/body" | cut -c1-160)"; return 1; }
	echo "HTTP $s $2"
}
printf 'zz' > "$dir/junk.hex"
s=$(post 3 '{"evidence":"zz"}')
check "garbage refused (400, a clear error)" sh -c "[ $s = 400 ] && grep -q 'not the hex' '$dir/body'"
printf '424501' > "$dir/short.hex"
check "a truncated piece refused (bad_encoding)" refuses_ev 400 bad_encoding "$dir/short.hex"
check "the same proof twice refused (same_proof)" refuses_ev 422 same_proof "$dir/same.hex"
check "proofs of two keys refused (keys_differ)" refuses_ev 422 keys_differ "$dir/keys.hex"
check "a bad signature refused (bad_signature)" refuses_ev 422 bad_signature "$dir/badsig.hex"
check "the two proofs in the other order refused (not_canonical)" refuses_ev 422 not_canonical "$dir/swapped.hex"
counted() {
	m=$(get 3 /metrics)
	for r in same_proof keys_differ bad_signature not_canonical bad_encoding; do
		v=$(echo "$m" | sed -n "s/^bftime_evidence_invalid_total{reason=\"$r\"} \([0-9]*\)\$/\1/p")
		[ "${v:-0}" -ge 1 ] || { echo "$r not counted"; return 1; }
	done
	v=$(echo "$m" | sed -n 's/^bftime_evidence_total{result="invalid"} \([0-9]*\)$/\1/p')
	echo "$v invalid offers counted by reason"
}
check "each refusal counted by reason in /metrics" counted
s=$(post 3 "{\"evidence\":\"$(tr -d '\n' < "$dir/ev.json" | sed 's/.*"bytes":"\([0-9a-f]*\)".*/\1/')\"}")
check "valid evidence offered again: 200 duplicate" sh -c "[ $s = 200 ] && grep -q '\"duplicate\"' '$dir/body'"

# Durable: kill -9 node 4, start it again: the evidence is still held.
kill -9 "$(cat "$dir/n4.pid")"
wait "$(cat "$dir/n4.pid")" 2>/dev/null
start 4
check "after kill -9 and restart, node 4 still holds it and marks node 1 faulty" wait_for 15 faulty_ok 4

# The operator's recovery (docs/proofs.md): node 1 gets a new key and a new
# id (5), its old store and head record moved aside, and every peer pins the
# new id and key instead of the old. The old evidence stays in the stores,
# inert; the node is a time source again and its new chain is accepted.
for i in 1 2 3 4; do stop_pid "$(cat "$dir/n$i.pid")"; done
"$C" keygen --out "$dir/n5.key" > "$dir/n5.new.pub" || exit 1
old=$(cat "$dir/n1.pub") new=$(cat "$dir/n5.new.pub")
for i in 2 3 4; do sed -i "s|{id: 1, address|{id: 5, address|; s|$old|$new|" "$dir/n$i.yaml"; done
mkdir "$dir/aside" && mv "$dir/n1.db"* "$dir/aside/"
sed -i "s|node: {id: 1,|node: {id: 5,|; s|$dir/n1.key|$dir/n5.key|" "$dir/n1.yaml"
for i in 1 2 3 4; do start "$i"; done
recovered() {
	for i in 2 4; do
		c=$(count_at "$i") g=$(metric "$i" 'bftime_key_faulty{node="5"}')
		[ "$c" = 0 ] && [ "$g" = 0 ] || { echo "node $i: evidence held ${c:-?}, key_faulty{5} ${g:-?}"; return 1; }
		s=$(stored_of "$i" 5)
		[ "${s:-0}" -ge 3 ] || { echo "node $i stores ${s:-no} proofs of node 5"; return 1; }
		get "$i" /v1/status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
p = [s for s in d["sources_detail"] if s.get("type") == "peer" and s.get("id") == 5]
assert p and p[0].get("used") and "faulty" not in p[0], p' || return 1
	done
	echo "node 5 used by nodes 2 and 4, its proofs stored, no key faulty"
}
check "recovery: a new key and id pinned, the node is trusted again" wait_for 40 recovered

alive() {
	for i in 1 2 3 4; do kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null || { echo "node $i died"; return 1; }; done
	if grep -l 'AddressSanitizer\|runtime error\|Segmentation' "$dir"/n*.log; then return 1; fi
	echo "4 nodes running, no sanitizer report"
}
check "nothing crashed" alive
summary
