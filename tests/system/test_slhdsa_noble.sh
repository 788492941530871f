#!/bin/sh
# SPDX-License-Identifier: MIT
# bftime's SLH-DSA (src/proto/slhdsa.c, through build/tests/slhdsa-tool, a
# sanitizer build) against an independent implementation: @noble/post-quantum
# from the npm registry, run with Node (tests/system/noble_slhdsa.mjs). For
# several parameter sets, from the same random seeds: both derive the same
# keys; deterministic signatures (pure with a context string, and pre-hash)
# are byte-identical; a randomized signature of each side verifies on the
# other; a flipped bit, a wrong context or a wrong message is refused by both.
# The package is installed into build/noble (never committed). Without node,
# npm or the registry the test prints SKIP with the reason and exits 77,
# which tests/run.sh reports as skipped, not passed.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
T=$B/tests/slhdsa-tool
NOBLE_VERSION=0.7.1
N=$B/noble
dir=$(mktemp -d /tmp/bftime-slhdsa.XXXXXX) || exit 1
. tests/system/lib.sh
trap 'rm -rf "$dir"' EXIT

skip() { echo "SKIP: test_slhdsa_noble: $1"; exit 77; }
[ -x "$T" ] || { echo "build/tests/slhdsa-tool missing: run make check"; exit 1; }
command -v node >/dev/null || skip "node missing (Debian package nodejs)"
command -v npm >/dev/null || skip "npm missing (Debian package npm)"
# @noble/post-quantum 0.7 declares node >= 20.19.
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' ||
	skip "node $(node --version) is older than @noble/post-quantum $NOBLE_VERSION needs (20.19)"
if [ "$(node -p "require('$N/node_modules/@noble/post-quantum/package.json').version" 2>/dev/null)" != "$NOBLE_VERSION" ]; then
	mkdir -p "$N"
	timeout 180 npm install --prefix "$N" --no-audit --no-fund --no-save --loglevel=error \
		"@noble/post-quantum@$NOBLE_VERSION" > "$dir/npm.log" 2>&1 ||
		skip "npm could not install @noble/post-quantum@$NOBLE_VERSION from the registry: $(tail -n 3 "$dir/npm.log" | tr '\n' ' ')"
fi
cp tests/system/noble_slhdsa.mjs "$N/" # ESM resolves packages next to the script
J() { node "$N/noble_slhdsa.mjs" "$@"; }
echo "[==========] bftime SLH-DSA against @noble/post-quantum $NOBLE_VERSION (node $(node --version))"

rnd() { od -v -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
flip() { # hex file $1 -> $2 with the first digit of byte $3 changed
	awk -v k="$3" '{ c = substr($0, 2*k+1, 1); d = (c == "0") ? "1" : "0"; print substr($0, 1, 2*k) d substr($0, 2*k+2) }' "$1" > "$2"
}

# set, n, pre-hash function (noble insists on one at least as strong as the
# set, as FIPS 205 section 10.2.2 recommends)
for sp in SHA2-128f:16:sha256 SHAKE-128f:16:shake128 SHA2-128s:16:sha512 SHAKE-192f:24:shake256 SHA2-256f:32:sha512; do
	set=${sp%%:*} rest=${sp#*:} n=${rest%%:*} ph=${rest#*:}
	seed=$(rnd $((3 * n))) msg=$(rnd 59) ctx=$(printf 'bftime proof v2' | od -v -An -tx1 | tr -d ' \n')
	c=$("$T" keygen "$set" "$seed") j=$(J keygen "$set" "$seed")
	sk=${c% *} pk=${c#* }
	check "$set: same keys from the same seeds" sh -c "[ '$c' = '$j' ] || echo 'C: $c noble: $j'"

	"$T" sign "$set" "$sk" "$msg" "$ctx" det > "$dir/c.det"
	J sign "$set" "$sk" "$msg" "$ctx" det > "$dir/j.det"
	check "$set: deterministic signatures identical ($(($(wc -c < "$dir/c.det") / 2)) bytes)" cmp -s "$dir/c.det" "$dir/j.det"

	"$T" sign "$set" "$sk" "$msg" "$ctx" det "$ph" > "$dir/c.ph"
	J sign "$set" "$sk" "$msg" "$ctx" det "$ph" > "$dir/j.ph"
	check "$set: deterministic pre-hash ($ph) signatures identical" cmp -s "$dir/c.ph" "$dir/j.ph"
	check "$set: noble verifies bftime's pre-hash signature" J verify "$set" "$pk" "$msg" "$ctx" "$dir/c.ph" "$ph"

	"$T" sign "$set" "$sk" "$msg" "$ctx" rand > "$dir/c.rand"
	J sign "$set" "$sk" "$msg" "$ctx" rand > "$dir/j.rand"
	check "$set: randomized signatures differ from the deterministic one" sh -c "! cmp -s '$dir/c.rand' '$dir/c.det' && ! cmp -s '$dir/j.rand' '$dir/j.det'"
	check "$set: noble verifies bftime's randomized signature" J verify "$set" "$pk" "$msg" "$ctx" "$dir/c.rand"
	check "$set: bftime verifies noble's randomized signature" "$T" verify "$set" "$pk" "$msg" "$ctx" "$dir/j.rand"

	flip "$dir/j.rand" "$dir/j.bad" $((n + 7))
	flip "$dir/c.rand" "$dir/c.bad" $(($(wc -c < "$dir/c.rand") / 2 - 3))
	check "$set: both refuse a flipped signature bit" sh -c "
		! '$T' verify '$set' '$pk' '$msg' '$ctx' '$dir/j.bad' && ! node '$N/noble_slhdsa.mjs' verify '$set' '$pk' '$msg' '$ctx' '$dir/c.bad' &&
		! '$T' verify '$set' '$pk' '$msg' '$ctx' '$dir/c.bad' && ! node '$N/noble_slhdsa.mjs' verify '$set' '$pk' '$msg' '$ctx' '$dir/j.bad'"
	check "$set: both refuse another context or message" sh -c "
		! '$T' verify '$set' '$pk' '$msg' - '$dir/j.rand' && ! node '$N/noble_slhdsa.mjs' verify '$set' '$pk' '$msg' - '$dir/c.rand' &&
		! '$T' verify '$set' '$pk' '${msg}00' '$ctx' '$dir/j.rand' && ! node '$N/noble_slhdsa.mjs' verify '$set' '$pk' '${msg}00' '$ctx' '$dir/c.rand' "
	check "$set: both refuse a pure signature as a pre-hash one" sh -c "
		! '$T' verify '$set' '$pk' '$msg' '$ctx' '$dir/j.det' '$ph' && ! node '$N/noble_slhdsa.mjs' verify '$set' '$pk' '$msg' '$ctx' '$dir/c.det' '$ph'"
done
summary
