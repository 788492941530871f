#!/bin/sh
# SPDX-License-Identifier: MIT
# An ECDSA P-256 node among Ed25519 ones (docs/pq.md): P-256 is the only
# signature of common secure elements (the ATECC608A), so a node whose key
# is a P-256 key on a PKCS#11 token must sign its exchanges and proofs with
# it, and its peers must verify them. SoftHSM2 holds node 3's P-256 key
# (bftime keygen --pkcs11 URI --p256, node.key the URI, node.proofs: p256);
# nodes 1 and 2 keep Ed25519 key files (node 1 v1 proofs, node 2 ed25519
# v2 batches). Checks: keygen prints the 65-byte point; --check-config
# names the key's kind; a P-256 token with node.proofs v1 refuses to start,
# saying what to set; the three nodes synchronize and use each other (node
# 3's P-256 messages verify at 1 and 2, theirs at 3); node 3's p256 proofs
# are gossiped, /v1/proofs names their scheme, and every store's chains
# verify under the pinned keys (bftime proofs --verify); a peer pinned to
# another P-256 point for node 3 does not use it; node 3's token removed
# and returned with a wrong PIN file: one login attempt in all (a real
# token locks after a few wrong PINs), an alarm, its time kept, and signing
# again once the file is corrected. Skipped (77) without softhsm2. Ports
# 17450-17465 (fixed; no other test uses them). ~30 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=3
dir=$(mktemp -d /tmp/bftime-p256.XXXXXX) || exit 1
base=17450
. tests/system/lib.sh
MOD=$SOFTHSM_MOD
trap 'stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
need_softhsm

printf '1234' > "$dir/pin"; chmod 600 "$dir/pin"
export SOFTHSM2_CONF="$dir/hsm/conf"
softhsm_token "$dir/hsm" n3 || exit 1
URI="pkcs11:token=n3;object=node3?module-path=$MOD&pin-source=file:$dir/pin"
"$C" keygen --pkcs11 "$URI" --p256 > "$dir/n3.pub" 2> "$dir/keygen3.err"
"$C" keygen --out "$dir/n1.key" > "$dir/n1.pub" || exit 1
"$C" keygen --out "$dir/n2.key" > "$dir/n2.pub" || exit 1
# another P-256 point (a second token key): what a mistyped pin would be
URI_OTHER="pkcs11:token=n3;object=other?module-path=$MOD&pin-source=file:$dir/pin"
"$C" keygen --pkcs11 "$URI_OTHER" --p256 > "$dir/other.pub" 2>/dev/null || exit 1

conf() { # node, proofs of node 3, file of node 3's pinned key at node 1
	{
		case $1 in
		1) echo "node: {id: 1, listen: 127.0.0.1:$((base + 1)), key: $dir/n1.key}" ;;
		2) echo "node: {id: 2, listen: 127.0.0.1:$((base + 2)), key: $dir/n2.key, proofs: ed25519, proof_batch: 2}" ;;
		3) echo "node: {id: 3, listen: 127.0.0.1:$((base + 3)), key: '$URI', proofs: ${2:-p256}, proof_batch: 2}" ;;
		esac
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$1" ] && continue
			pub=$dir/n$j.pub
			[ "$1" = 1 ] && [ "$j" = 3 ] && [ -n "$3" ] && pub=$3
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$pub")}"
		done
		echo "consensus: {f: 1, poll: 1s}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "api: $(api "$1")"
		echo "store: $dir/n$1.db"
		echo "proof_interval: 1s"
	} > "$dir/n$1.yaml"
}
for i in 1 2 3; do conf "$i"; done
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

echo "[==========] node 3: an ECDSA P-256 key on a SoftHSM2 token; nodes 1 and 2: Ed25519 key files"
key_ok() {
	grep -q '^04[0-9a-f]\{128\}$' "$dir/n3.pub" || { echo "$(cat "$dir/n3.pub") $(cat "$dir/keygen3.err")"; return 1; }
	echo "P-256 point: $(cut -c1-20 "$dir/n3.pub")..."
}
check "bftime keygen --pkcs11 URI --p256 prints the 65-byte point the peers pin" key_ok
check "bftimed --check-config opens the token and names the key ECDSA P-256" sh -c "\"$D\" --config \"$dir/n3.yaml\" --check-config | grep 'token key OK (ECDSA P-256'"
check "a peer's public_key of 130 hex digits (a P-256 point) is accepted" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
conf 3 v1
v1_refused() {
	if out=$("$D" --config "$dir/n3.yaml" 2>&1); then echo "started"; return 1; fi
	echo "$out" | grep 'is an ECDSA P-256 key: set node.proofs: p256' || { echo "$out" | tail -n 2; return 1; }
}
check "a P-256 token with node.proofs v1: bftimed refuses to start, saying what to set" v1_refused
conf 3
for i in $(seq 1 $N); do start "$i"; done

synced_used() {
	for i in $(seq 1 $N); do
		get "$i" /v1/time > "$dir/t$i.json" || return 1
		[ "$(field "$dir/t$i.json" synced)" = true ] || return 1
		get "$i" /v1/peers > "$dir/p$i.json" || return 1
		[ "$(grep -c '"used":true' "$dir/p$i.json")" -ge 2 ] || return 1
	done
}
k=0
while ! synced_used && [ $k -lt 60 ]; do sleep 0.5; k=$((k + 1)); done
check "every node synchronized and uses both peers (P-256 and Ed25519 messages verify both ways)" synced_used
sleep 5
p256_served() {
	get 1 "/v1/proofs?node=3&limit=1&order=newest" > "$dir/pr.json" || return 1
	grep -q '"scheme":"p256"' "$dir/pr.json" || { echo "no p256 proof of node 3 at node 1: $(head -c 300 "$dir/pr.json")"; return 1; }
	echo "node 1 holds node 3's proofs, scheme p256"
}
check "node 3's proofs are signed on the token (scheme p256) and gossiped" p256_served
proofs_ok() {
	out=$("$C" proofs --verify --config "$dir/n$1.yaml") || { echo "$out" | tail -n 3 | tr '\n' ' '; return 1; }
	for j in $(seq 1 $N); do
		echo "$out" | grep -q "^node $j: .* 0 gaps.*(pinned): OK$" || { echo "node $j: $(echo "$out" | grep "^node $j")"; return 1; }
	done
	echo "$out" | grep "^node 3:"
}
for i in $(seq 1 $N); do check "node $i's store: the P-256 chain and the Ed25519 chains verify under the pinned keys" proofs_ok "$i"; done

# Node 3's token removed, and back with a PIN file it refuses: one login,
# however many signatures the node attempts meanwhile (a real token locks
# after a few wrong PINs), the node keeps its time; the PIN file corrected:
# one more login, and it signs again.
mv "$dir/hsm/tokens" "$dir/hsm/away"
sleep 3
printf '9999' > "$dir/pin"
mv "$dir/hsm/away" "$dir/hsm/tokens"
sleep 6
wrongpin_ok() {
	grep -q 'the PKCS#11 token refuses the PIN: C_Login: CKR_PIN_INCORRECT' "$dir/n3.log" || { echo "no PIN alarm: $(grep ALARM "$dir/n3.log" | tail -n 2)"; return 1; }
	get 3 /v1/time > "$dir/t3.json"
	[ "$(field "$dir/t3.json" synced)" = true ] || { echo "node 3 lost its time"; return 1; }
	grep -o 'refuses the PIN: [^;]*' "$dir/n3.log" | head -n 1
}
check "token back with a wrong PIN: an alarm naming it, node 3 keeps its time" wrongpin_ok
printf '1234' > "$dir/pin"
pin_fixed() {
	k=0
	while ! grep -q 'the PKCS#11 token signs again' "$dir/n3.log" && [ $k -lt 20 ]; do sleep 0.5; k=$((k + 1)); done
	line=$(grep 'the PKCS#11 token signs again' "$dir/n3.log" | tail -n 1)
	# start: 1 login; the wrong PIN: 1; the corrected one: 1 (six seconds of signing in between)
	echo "$line" | grep -q 'C_Login attempts since start: 3, 1 refused' || { echo "${line:-not signing again}"; return 1; }
	echo "$line" | sed 's/.*(\(.*\))/\1/'
}
check "PIN file corrected: signs again; the wrong PIN was offered once in all" pin_fixed

# Node 1 restarted with another P-256 point pinned for node 3.
kill "$(cat "$dir/n1.pid")"; wait "$(cat "$dir/n1.pid")" 2>/dev/null
conf 1 "" "$dir/other.pub"
rm -f "$dir/n1.db" "$dir/n1.db".*
start 1
sleep 6
wrong_pin_ok() {
	get 1 /v1/peers | tr -d ' \n' > "$dir/p1.json" || return 1
	grep -q '"id":3,[^}]*"used":true' "$dir/p1.json" && { echo "node 1 uses node 3 under another key"; return 1; }
	grep -q '"id":2,[^}]*"used":true' "$dir/p1.json" || { echo "node 1 does not use node 2 either: $(head -c 300 "$dir/p1.json")"; return 1; }
	echo "node 3 not used, node 2 used"
}
check "node 1 pinned to another P-256 point for node 3: node 3's messages are refused" wrong_pin_ok
check "every node stops cleanly on SIGTERM" stops_cleanly
summary
