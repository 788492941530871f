#!/bin/sh
# SPDX-License-Identifier: MIT
# bftimed --check-config checks what the daemon will need beyond the text of
# its configuration (issue 14): the key file (readable, a private key), the
# proof store's directory (there and writable: a missing one was reported as
# "out of memory" at start), serial and PPS devices (absent now: said, not
# fatal, as the driver keeps trying), and it says what it cannot check.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed}
N=0
dir=$(mktemp -d /tmp/bftime-checkcfg.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
. tests/system/lib.sh
[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }

"$B/bftime" keygen --out "$dir/k.key" > "$dir/k.pub" || exit 1
conf() { # store path, extra reference line
	printf 'node: {id: 1, listen: 127.0.0.1:7999, key: %s/k.key}\nconsensus: {f: 0}\nreferences:\n  - {kind: system}\n%sstore: %s\n' \
		"$dir" "$2" "$1" > "$dir/c.yaml"
}
run() { "$D" --config "$dir/c.yaml" --check-config > "$dir/out" 2>&1; echo $?; }

echo "[==========] bftimed --check-config"
missing_store() {
	conf "$dir/nodir/proofs.db" ""
	rc=$(run)
	[ "$rc" = 1 ] || { echo "exit $rc: $(cat "$dir/out")"; return 1; }
	grep -q "store: the directory $dir/nodir of $dir/nodir/proofs.db: No such file or directory" "$dir/out" ||
		{ cat "$dir/out"; return 1; }
	! grep -q "configuration OK" "$dir/out" || { echo "said OK too"; return 1; }
	head -n 1 "$dir/out"
}
check "a store directory that does not exist: refused, saying which" missing_store
store_is_dir() {
	mkdir -p "$dir/adir"
	conf "$dir/adir" ""
	rc=$(run)
	[ "$rc" = 1 ] && grep -q "store: $dir/adir is not a file" "$dir/out" || { echo "exit $rc: $(cat "$dir/out")"; return 1; }
}
check "a directory at the store path: refused" store_is_dir
good() {
	conf "$dir/proofs.db" "  - {kind: nmea, device: $dir/ttyNONE}
"
	rc=$(run)
	[ "$rc" = 0 ] || { echo "exit $rc: $(cat "$dir/out")"; return 1; }
	for l in "configuration OK: node 1" "k.key: key file OK (a private key)" "proofs.db: store directory writable" \
		"reference nmea1: device $dir/ttyNONE not there now (No such file or directory): bftimed will keep trying it" \
		"not checked: whether the listen and API addresses are free"; do
		grep -qF "$l" "$dir/out" || { echo "missing '$l' in: $(cat "$dir/out")"; return 1; }
	done
}
check "a good configuration: OK, the key and the store said, an absent device said, what is not checked said" good

# Key files (issue 14: a public key given as node.key ran the node under
# another identity). bftime keygen writes a labelled private key; a file
# named .pub, a labelled public key and a peer's pinned key are refused;
# an older unlabelled key file still loads, with its public key said.
keyconf() { # key path, extra peer line
	printf 'node: {id: 1, listen: 127.0.0.1:7999, key: %s}\n%bconsensus: {f: 0}\nreferences:\n  - {kind: system}\n' \
		"$1" "$2" > "$dir/c.yaml"
}
labelled() {
	grep -q '^bftime-private-key: [0-9a-f]\{64\}$' "$dir/k.key" || { echo "keygen wrote: $(cat "$dir/k.key")"; return 1; }
	[ "$("$B/bftime" pubkey "$dir/k.key")" = "$(cat "$dir/k.pub")" ] || { echo "pubkey differs"; return 1; }
}
check "bftime keygen writes a labelled private key; pubkey reads it" labelled
pub_as_key() {
	cp "$dir/k.pub" "$dir/node.pub" && chmod 600 "$dir/node.pub"
	keyconf "$dir/node.pub" ""
	rc=$(run)
	[ "$rc" = 1 ] && grep -q "key file $dir/node.pub: an unlabelled key file named .pub is taken for a public key, not this node's private key" "$dir/out" ||
		{ echo "exit $rc: $(cat "$dir/out")"; return 1; }
	printf 'bftime-public-key: %s\n' "$(cat "$dir/k.pub")" > "$dir/lab.key" && chmod 600 "$dir/lab.key"
	keyconf "$dir/lab.key" ""
	rc=$(run)
	[ "$rc" = 1 ] && grep -q "key file $dir/lab.key holds a public key (\"bftime-public-key: ...\"), not this node's private key" "$dir/out" ||
		{ echo "exit $rc: $(cat "$dir/out")"; return 1; }
	"$D" --config "$dir/c.yaml" > "$dir/out" 2>&1 && { echo "the daemon started"; return 1; }
	grep -q "holds a public key" "$dir/out" || { echo "daemon: $(cat "$dir/out")"; return 1; }
}
check "a public key given as the node's key: refused, saying so (--check-config and bftimed)" pub_as_key
peer_key() {
	"$B/bftime" keygen --out "$dir/p.key" > "$dir/p.pub"
	cp "$dir/p.pub" "$dir/peerpub.key" && chmod 600 "$dir/peerpub.key"
	keyconf "$dir/peerpub.key" "peers:\n  - {id: 2, address: 127.0.0.1:7998, public_key: $(cat "$dir/p.pub")}\n"
	rc=$(run)
	[ "$rc" = 1 ] && grep -q "key file $dir/peerpub.key holds peer 2's public key, not this node's private key" "$dir/out" ||
		{ echo "exit $rc: $(cat "$dir/out")"; return 1; }
}
check "a peer's pinned public key as the node's key: refused" peer_key
old_key() {
	sed 's/^bftime-private-key: //' "$dir/k.key" > "$dir/old.key" && chmod 600 "$dir/old.key"
	keyconf "$dir/old.key" ""
	rc=$(run)
	[ "$rc" = 0 ] && grep -q "old.key: key file in the older unlabelled format, which cannot be told from a public key: it gives this node the public key $(cat "$dir/k.pub")" "$dir/out" ||
		{ echo "exit $rc: $(cat "$dir/out")"; return 1; }
}
check "an older unlabelled key file: loads, its public key said" old_key
summary
