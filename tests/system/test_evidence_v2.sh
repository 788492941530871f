#!/bin/sh
# SPDX-License-Identifier: MIT
# Equivocation evidence from version-2 time proofs (batched, docs/pq.md),
# with real bftimed on loopback: four nodes (f = 1), node 1 issuing v2
# Ed25519 batches of two; then a twin of node 1 (its key and id, another
# address, an empty store, gossiping to nodes 2 and 3 only) continues node
# 1's chain from the peers' copies while the real node 1 goes on: nodes 2
# and 3 receive two histories of v2 proofs under one key. Checks: nodes 2
# and 3 make evidence of it (version 2: both proofs with their
# authenticators); node 4 receives it by gossip; each piece verifies
# offline with the pinned key alone (python: the layout, the Merkle path to
# the batch root, Ed25519 over the batch message with openssl, the
# conflict rule); node 1 is marked faulty and no longer used; node 1 itself
# is told its key is faulty and stops issuing; nothing crashed. The v1 case
# is test_evidence.sh. Ports 17481-17499 (fixed, no other test uses them).
# Needs curl and python3; about 40 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=4
dir=$(mktemp -d /tmp/bftime-evidence2.XXXXXX) || exit 1
base=17480
PY=$(command -v python3)
. tests/system/lib.sh
trap 'N=5; stop_nodes 12' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] && command -v curl >/dev/null && command -v openssl >/dev/null ||
	{ echo "SKIP: python3, curl or openssl missing"; exit 77; }

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
metric() { get "$1" /metrics | sed -n "s/^$2 \([0-9]*\)\$/\1/p" | head -n 1; }

make_keys
N1_OPTS=", proofs: ed25519, proof_batch: 2"
. tests/system/evidence_lib.sh
write_confs

echo "[==========] $N bftimed, node 1 issuing version-2 batches of 2; then a twin of node 1 at $(api 9)"
for i in $(seq 1 $N); do start "$i"; done
check "node 1's v2 chain reaches its peers" wait_for 40 chain_ok
check "no evidence before the twin" sh -c "[ \"$(count_at 2)$(count_at 3)$(count_at 4)\" = 000 ]"

start 5
check "the twin's v2 proofs fork node 1's chain: evidence made at nodes 2 and 3" wait_for 30 both
stop_pid "$(cat "$dir/n5.pid")"
rm -f "$dir/n5.pid"
check "node 2 or 3 made it itself (created counted)" made_by_one
check "nodes 2 and 3 each hold it once (made, or received from the other first)" once_each
check "gossiped to node 4, which saw only the real chain" wait_for 20 has_evidence 4

get 4 /v1/evidence > "$dir/ev.json"
cat > "$dir/verify.py" <<'PYEOF'
import hashlib, json, subprocess, sys, tempfile
d = json.load(open(sys.argv[1])); pub = bytes.fromhex(open(sys.argv[2]).read().strip())
b = bytes.fromhex(d["evidence"][0]["bytes"])
assert b[:3] == b"BE\x02", "not version-2 evidence: %r" % b[:3]
la = int.from_bytes(b[3:5], "big"); a = b[5:5 + la]
lb = int.from_bytes(b[5 + la:7 + la], "big"); c = b[7 + la:]
assert len(c) == lb, "lengths"
sha3 = lambda x: hashlib.sha3_256(x).digest()
def parse(p):
    # docs/proofs.md: the body (v1 layout up to the nonce, version 2: 161 or 175 bytes), then the
    # authenticator: scheme 1 (Ed25519), set 0, size 2, index 2, path length 1, path, signature 64
    assert p[2] == 2, "not a v2 proof"
    for bl in (161, 175):
        au = p[bl:]
        if len(au) >= 7 and au[0] == 1 and au[1] == 0 and len(au) == 7 + 32 * au[6] + 64:
            return p[:bl], int.from_bytes(au[2:4], "big"), int.from_bytes(au[4:6], "big"), \
                [au[7 + 32 * i:39 + 32 * i] for i in range(au[6])], au[7 + 32 * au[6]:]
    raise AssertionError("no Ed25519 authenticator")
def verify(p):
    body, size, index, path, sig = parse(p)
    h = sha3(b"\x00" + body); used = 0
    while size > 1:  # RFC 9162's shape: an odd last node moves up unchanged
        if not (index == size - 1 and size % 2 == 1):
            s = path[used]; used += 1
            h = sha3(b"\x01" + s + h) if index % 2 else sha3(b"\x01" + h + s)
        index //= 2; size = (size + 1) // 2
    assert used == len(path), "path length"
    msg = b"bftime-proof-batch-v2" + bytes([1, 0]) + body[4:8] + body[8:40] + parse(p)[1].to_bytes(2, "big") + h
    der = bytes.fromhex("302a300506032b6570032100") + pub
    with tempfile.TemporaryDirectory() as t:
        open(t + "/k.der", "wb").write(der); open(t + "/m", "wb").write(msg); open(t + "/s", "wb").write(sig)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", t + "/k.der",
                            "-rawin", "-in", t + "/m", "-sigfile", t + "/s"], capture_output=True)
    assert r.returncode == 0, "a batch signature does not verify"
    return body
ba, bc = verify(a), verify(c)
na, ka, sa = int.from_bytes(ba[4:8], "big"), ba[8:40], int.from_bytes(ba[40:48], "big")
nc, kc, sc = int.from_bytes(bc[4:8], "big"), bc[8:40], int.from_bytes(bc[40:48], "big")
assert na == nc == 1 and ka == kc == pub, "not node 1's pinned key"
if sa == sc:
    assert ba != bc, "one body: one proof"; kind = "fork"
else:
    assert sc == sa + 1 and bc[-64:-32] != sha3(ba), "no conflict"; kind = "link"
print("%s at seq %d/%d: both batch roots signed under node 1's pinned key" % (kind, sa, sc))
PYEOF
check "the v2 evidence verifies offline with the key alone (Merkle paths, batch signatures)" "$PY" "$dir/verify.py" "$dir/ev.json" "$dir/n1.pub"

faulty_ok() {
	get "$1" /v1/peers | "$PY" -c 'import json,sys; d=json.load(sys.stdin); p=[p for p in d["peers"] if p["id"]==1][0]; assert p.get("faulty")=="equivocation", p.get("faulty")' || return 1
	g=$(metric "$1" 'bftime_key_faulty{node="1"}')
	[ "$g" = 1 ] || { echo "bftime_key_faulty{node=1} ${g:-?}"; return 1; }
	echo "faulty: equivocation"
}
for i in 2 3 4; do check "node $i marks node 1 faulty" faulty_ok $i; done
owner_ok() {
	grep -q "ALARM: this node's own key signed two histories" "$dir/n1.log" || { echo "not logged"; return 1; }
	h1=$(head_seq 1); sleep 3; h2=$(head_seq 1)
	[ "$h1" = "$h2" ] || { echo "still issuing: $h1 -> $h2"; return 1; }
	echo "told; no proof issued since (head $h2)"
}
check "node 1 is told its key is faulty and stops issuing" wait_for 20 owner_ok
alive() {
	for i in 1 2 3 4; do kill -0 "$(cat "$dir/n$i.pid")" 2>/dev/null || { echo "node $i died"; return 1; }; done
	if grep -l 'AddressSanitizer\|runtime error\|Segmentation' "$dir"/n*.log; then return 1; fi
	echo "4 nodes running, no sanitizer report"
}
check "nothing crashed" alive
summary
