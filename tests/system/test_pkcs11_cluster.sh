#!/bin/sh
# SPDX-License-Identifier: MIT
# Node keys in PKCS#11 tokens (docs/pq.md), with SoftHSM2 (a real PKCS#11
# module, tokens in files) and three real bftimed on loopback. Nodes 1 and
# 2 have their Ed25519 keys generated on tokens of their own (bftime keygen
# --pkcs11; each node its own SOFTHSM2_CONF and token directory) and
# node.key set to the token's RFC 7512 URI, the PIN in a file; node 1 also
# issues hybrid v2 proofs (the token signs the Ed25519 half). Node 3 keeps a
# key file. Checks: --check-config opens the token; the nodes synchronize
# and use each other (the token-signed messages verify under the pinned
# keys); every store verifies the three chains; node 1's token removed (its
# directory moved away): an alarm naming the PKCS#11 error, the node keeps
# its time, its peers stop hearing it, no proof of it appears; the token
# back: it signs again and its chain continues. A wrong PIN refuses to
# start, with the PKCS#11 code. Skipped (77) without softhsm2. Ports
# 17400-17430 (fixed, below the ephemeral range 32768-60999 and the other
# tests' 20000-45000; no other test uses them). About 45 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=3
dir=$(mktemp -d /tmp/bftime-p11.XXXXXX) || exit 1
base=17400
. tests/system/lib.sh
MOD=$SOFTHSM_MOD
trap 'stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
need_softhsm

printf '1234' > "$dir/pin"; chmod 600 "$dir/pin"
printf '9999' > "$dir/badpin"; chmod 600 "$dir/badpin"
uri() { echo "pkcs11:token=n$1;object=node$1?module-path=$MOD&pin-source=file:$dir/${2:-pin}"; }
for i in 1 2; do
	softhsm_token "$dir/hsm$i" "n$i" || exit 1
	SOFTHSM2_CONF=$dir/hsm$i/conf "$C" keygen --pkcs11 "$(uri $i)" > "$dir/n$i.pub" 2> "$dir/keygen$i.err"
done
"$C" keygen --out "$dir/n3.key" > "$dir/n3.pub" || exit 1
"$C" keygen --slhdsa SLH-DSA-SHA2-128f --out "$dir/n1.slh" > "$dir/n1.slhpub" 2>/dev/null || exit 1
keyfor() { if [ "$1" = 3 ]; then echo "$dir/n3.key"; else echo "'$(uri "$1" "$2")'"; fi; }
conf() { # node, pin file
	{
		extra=""
		[ "$1" = 1 ] && extra=", proofs: hybrid, slhdsa_key: $dir/n1.slh, proof_batch: 2"
		echo "node: {id: $1, listen: 127.0.0.1:$((base + $1)), key: $(keyfor "$1" "$2")$extra}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$1" ] && continue
			slh=""
			[ "$j" = 1 ] && slh=", slhdsa_public_key: $(cat "$dir/n1.slhpub")"
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$dir/n$j.pub")$slh}"
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
start() { SOFTHSM2_CONF=$dir/hsm$1/conf "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

echo "[==========] SoftHSM2 tokens for nodes 1 and 2, a key file for node 3"
keys_ok() {
	for i in 1 2; do
		grep -q '^[0-9a-f]\{64\}$' "$dir/n$i.pub" || { echo "node $i: $(cat "$dir/keygen$i.err")"; return 1; }
	done
	echo "Ed25519 keys generated on the tokens"
}
check "bftime keygen --pkcs11 URI prints the token key's public key" keys_ok
check "bftimed --check-config opens the token and finds the key" sh -c "SOFTHSM2_CONF=$dir/hsm1/conf \"$D\" --config \"$dir/n1.yaml\" --check-config | grep -q 'token key OK'"
conf 2 badpin
wrongpin_ok() {
	if out=$(SOFTHSM2_CONF=$dir/hsm2/conf "$D" --config "$dir/n2.yaml" 2>&1); then echo "started"; return 1; fi
	echo "$out" | grep -q 'CKR_PIN_INCORRECT' || { echo "$out" | tail -n 2; return 1; }
	echo "$out" | grep -o 'C_Login: CKR_PIN_INCORRECT'
}
check "a wrong PIN: bftimed refuses to start, naming the PKCS#11 code" wrongpin_ok
conf 2
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
check "every node synchronized and uses both peers (token-signed messages verify)" synced_used
sleep 4
proofs_ok() {
	out=$(SOFTHSM2_CONF=$dir/hsm$1/conf "$C" proofs --verify --config "$dir/n$1.yaml") || { echo "$out" | tail -n 3 | tr '\n' ' '; return 1; }
	for j in $(seq 1 $N); do
		echo "$out" | grep -q "^node $j: .* 0 gaps.*(pinned): OK$" || { echo "node $j: $(echo "$out" | grep "^node $j")"; return 1; }
	done
	echo "$out" | grep "^node 1:"
}
for i in $(seq 1 $N); do check "node $i's store: the chains signed on tokens and with the key file verify" proofs_ok "$i"; done

# Node 1's token removed.
newest1() { get 2 "/v1/proofs?node=1&limit=1&order=newest" | sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1; }
mv "$dir/hsm1/tokens" "$dir/hsm1/away"
sleep 5
before=$(newest1)
sleep 4
removed_ok() {
	grep -q 'ALARM: the PKCS#11 token does not sign: .*CKR_' "$dir/n1.log" || { echo "no alarm logged"; return 1; }
	get 1 /v1/time > "$dir/t1.json"
	[ "$(field "$dir/t1.json" synced)" = true ] || { echo "node 1 lost its time"; return 1; }
	[ "$(newest1)" = "$before" ] || { echo "node 1's proofs still arrive ($before -> $(newest1))"; return 1; }
	# node 2's last exchange with node 1 is from before the removal (9 s ago)
	age=$(get 2 /v1/peers | tr -d ' \n' | sed -n 's/.*"id":1,[^}]*"age_ns":\([0-9-]*\),.*/\1/p')
	[ -n "$age" ] && [ "$age" -gt 5000000000 ] || { echo "node 2 still hears node 1 (age ${age:-?} ns)"; return 1; }
	grep -o 'does not sign: [^;]*' "$dir/n1.log" | head -n 1
}
check "token removed: an alarm naming the PKCS#11 error; node 1 keeps its time, its peers stop hearing it, no proof" removed_ok
mv "$dir/hsm1/away" "$dir/hsm1/tokens"
back_ok() {
	k=0
	while [ $k -lt 40 ]; do
		s=$(newest1)
		[ -n "$s" ] && [ -n "$before" ] && [ "$s" -gt "$before" ] && break
		sleep 0.5; k=$((k + 1))
	done
	grep -q 'the PKCS#11 token signs again' "$dir/n1.log" || { echo "no recovery logged"; return 1; }
	[ "$s" -gt "$before" ] || { echo "no new proof of node 1 after seq $before"; return 1; }
	"$C" proofs --verify --node 1 --config "$dir/n3.yaml" | grep '^node 1: .* 0 gaps.*(pinned): OK' || { echo "node 1's chain does not verify at node 3"; return 1; }
}
check "token back: node 1 signs again, its chain continues and verifies" back_ok
check "every node stops cleanly on SIGTERM" stops_cleanly
summary
