#!/bin/sh
# SPDX-License-Identifier: MIT
# Version-2 time proofs (docs/pq.md) with three real bftimed on loopback:
# node 1 signs hybrid batches (Ed25519 + SLH-DSA-SHA2-128s), node 2 pure
# SLH-DSA-SHA2-128f batches, node 3 version-1 proofs; every node pins the
# others' Ed25519 and SLH-DSA keys. Checks: each store holds and verifies
# (bftime proofs --verify, signatures and chains, the CLI's own checks) all
# three chains, gossiped; a tampered v2 proof is refused; node 3 restarted
# with `proofs: ed25519` continues its v1 chain in v2 batches in the same
# store, and its peers verify across the switch; a node that does not pin
# node 2's SLH-DSA key refuses its pure SLH-DSA proofs. Ports 17300-17330
# (fixed, below the ephemeral range 32768-60999 and the other tests' 20000-45000; no other
# test uses them). About 40 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=3
dir=$(mktemp -d /tmp/bftime-pq.XXXXXX) || exit 1
base=17300
. tests/system/lib.sh
trap 'stop_nodes 12' EXIT
trap 'exit 130' INT TERM HUP PIPE

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  SKIPPED ] curl missing"; exit 77; }

make_keys
"$C" keygen --slhdsa --out "$dir/n1.slh" > "$dir/n1.slhpub" 2>/dev/null || exit 1
"$C" keygen --slhdsa SLH-DSA-SHA2-128f --out "$dir/n2.slh" > "$dir/n2.slhpub" 2>/dev/null || exit 1
scheme_1="proofs: hybrid, slhdsa_key: $dir/n1.slh, proof_batch: 4"
scheme_2="proofs: slhdsa, slhdsa_key: $dir/n2.slh, proof_batch: 3"
scheme_3="proofs: v1"
conf() { # node, its proofs settings, pin node 2's SLH-DSA key (1/0)
	{
		echo "node: {id: $1, listen: 127.0.0.1:$((base + $1)), key: $dir/n$1.key, $2}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$1" ] && continue
			slh=""
			[ -f "$dir/n$j.slhpub" ] && { [ "$j" != 2 ] || [ "$3" = 1 ]; } && slh=", slhdsa_public_key: $(cat "$dir/n$j.slhpub")"
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
conf 1 "$scheme_1" 1
conf 2 "$scheme_2" 1
conf 3 "$scheme_3" 1
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

echo "[==========] $N bftimed: hybrid Ed25519 + SLH-DSA-SHA2-128s, SLH-DSA-SHA2-128f, version 1"
check "configs with proofs, slhdsa_key, proof_batch and slhdsa_public_key accepted" \
	sh -c "for i in 1 2 3; do \"$D\" --config \"$dir/n\$i.yaml\" --check-config >/dev/null || exit 1; done"
printf 'node: {id: 9, listen: 127.0.0.1:1, key: %s, proofs: slhdsa}\n' "$dir/n1.key" > "$dir/bad.yaml"
check "proofs: slhdsa without slhdsa_key refused" sh -c "! \"$D\" --config \"$dir/bad.yaml\" --check-config 2>&1 | grep -q OK"
for i in $(seq 1 $N); do start "$i"; done

# Wait for every node to hold at least one batch of each v2 node and a few
# v1 proofs of node 3 (gossiped): up to 40 s.
count_in() { # store node, of node
	get "$1" "/v1/proofs?node=$2&limit=1000" | grep -c '"bytes"'
}
enough() {
	for i in $(seq 1 $N); do
		[ "$(count_in "$i" 1)" -ge 4 ] && [ "$(count_in "$i" 2)" -ge 3 ] && [ "$(count_in "$i" 3)" -ge 3 ] || return 1
	done
}
k=0
while ! enough && [ $k -lt 80 ]; do sleep 0.5; k=$((k + 1)); done

proofs_ok() { # api node: the three chains verify there, pinned
	out=$("$C" proofs --verify --config "$dir/n$1.yaml") || { echo "$out" | tail -n 4 | tr '\n' ' '; return 1; }
	for j in $(seq 1 $N); do
		line=$(echo "$out" | grep "^node $j:") || { echo "no proofs of node $j"; return 1; }
		echo "$line" | grep -q ' 0 gaps.*(pinned): OK$' || { echo "$line"; return 1; }
	done
	echo "$out" | grep 'version-2 proofs' || { echo "no version-2 proofs"; return 1; }
}
for i in $(seq 1 $N); do
	check "node $i's store: hybrid, SLH-DSA and v1 chains of all 3 nodes verify (bftime proofs --verify)" proofs_ok "$i"
done
check "a v2 proof is about 8 kB (SLH-DSA-SHA2-128s) and carries its path" sh -c "
	h=\$(curl -s 'http://$(api 2)/v1/proofs?node=1&limit=1' | sed -n 's/^ *\"bytes\":\"\([0-9a-f]*\)\",\{0,1\}\$/\1/p' | head -n 1)
	[ \${#h} -gt 15000 ] && [ \${#h} -lt 18000 ]"

# A tampered v2 proof: one hex digit of its SLH-DSA signature changed.
tamper_ok() {
	hex=$(get 2 "/v1/proofs?node=1&limit=1" | sed -n 's/^ *"bytes":"\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1)
	[ -n "$hex" ] || { echo "no proof"; return 1; }
	pos=$((${#hex} - 100))
	t=$(printf '%s' "$hex" | awk -v p="$pos" '{ c = substr($0, p, 1); printf "%s%s%s", substr($0, 1, p - 1), (c == "0" ? "1" : "0"), substr($0, p + 1) }')
	printf '{"proof":"%s"}' "$t" > "$dir/tampered.json"
	c=$(curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 --data-binary @"$dir/tampered.json" "http://$(api 3)/v1/proofs")
	[ "${c#4}" != "$c" ] || { echo "tampered: HTTP $c"; return 1; }
	grep -q 'bad_signature\|signature' "$dir/body" || { echo "$(cat "$dir/body")"; return 1; }
	echo "HTTP $c"
}
check "a v2 proof with one changed signature byte is refused" tamper_ok

# Node 3 moves from v1 to v2 (Ed25519 batches) on the same store.
head3=$(get 3 "/v1/proofs?node=3&limit=1&order=newest" | sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
kill -TERM "$(cat "$dir/n3.pid")"; sleep 0.5
conf 3 "proofs: ed25519, proof_batch: 2" 1
start 3
migrated() {
	for i in $(seq 1 $N); do
		get "$i" "/v1/proofs?node=3&limit=1&order=newest" > "$dir/h$i.json"
		s=$(sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' "$dir/h$i.json" | head -n 1)
		[ -n "$s" ] && [ "$s" -ge $((${head3:-0} + 4)) ] || return 1
	done
}
k=0
while ! migrated && [ $k -lt 40 ]; do sleep 0.5; k=$((k + 1)); done
check "node 3 restarted with proofs: ed25519 continues its v1 chain in v2 batches" migrated
for i in $(seq 1 $N); do
	check "node $i: node 3's chain verifies across the v1 -> v2 switch" sh -c "\"$C\" proofs --verify --node 3 --config \"$dir/n$i.yaml\" | grep -q '^node 3: .* 0 gaps.*(pinned): OK'"
done

# A node that does not pin node 2's SLH-DSA key: its pure SLH-DSA proofs
# have nothing binding them to node 2, and are refused.
head1=$(get 2 "/v1/proofs?node=1&limit=1&order=newest" | sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
nopin_ok() {
	conf 1 "$scheme_1" 0
	kill -TERM "$(cat "$dir/n1.pid")"; sleep 0.5
	# its store and head record gone: its own v2 proofs come back by catch-up
	mv "$dir/n1.db" "$dir/n1-old.db"; rm -f "$dir/n1.db-wal" "$dir/n1.db-shm" "$dir/n1.db.head"
	start 1
	sleep 4
	hex=$(get 2 "/v1/proofs?node=2&limit=1" | sed -n 's/^ *"bytes":"\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1)
	printf '{"proof":"%s"}' "$hex" > "$dir/p2.json"
	c=$(curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 --data-binary @"$dir/p2.json" "http://$(api 1)/v1/proofs")
	[ "${c#4}" != "$c" ] || { echo "HTTP $c: $(cat "$dir/body")"; return 1; }
	echo "HTTP $c"
}
check "without node 2's pinned SLH-DSA key, its pure SLH-DSA proofs are refused" nopin_ok
catchup_ok() { # node 1 took its own v2 chain back from its peers and continued it
	grep -q 'own proof chain recovered from a peer' "$dir/n1.log" || { echo "no recovery logged"; return 1; }
	k=0
	while [ $k -lt 30 ]; do
		s=$(get 2 "/v1/proofs?node=1&limit=1&order=newest" | sed -n 's/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' | head -n 1)
		[ -n "$s" ] && [ "$s" -gt "${head1:-0}" ] && break
		sleep 0.5; k=$((k + 1))
	done
	[ -n "$s" ] && [ "$s" -gt "${head1:-0}" ] || { echo "no new batch after seq $head1"; return 1; }
	"$C" proofs --verify --node 1 --config "$dir/n2.yaml" | grep '^node 1: .* 0 gaps.*(pinned): OK' || { echo "node 2: node 1's chain does not verify"; return 1; }
}
check "node 1 with its store and head record lost: catch-up brings its v2 chain back, it continues without a fork" catchup_ok
check "every node stops cleanly on SIGTERM" stops_cleanly
summary
