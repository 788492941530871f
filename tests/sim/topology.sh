#!/bin/sh
# SPDX-License-Identifier: MIT
# bftime-sim --topology-report on the issue-11 benchmark's world at 1,000
# nodes (run by `make test`): the graph the simulator builds is 16-regular,
# its lambda2 is below Friedman's 2 sqrt(15) plus a margin of 0.5, and the
# spectral certificate says at least 5-robust, which f = 2 needs (2f+1), and
# the agreement step contracts there under the split attack.
# Also: the JSON is one object on one line, and a full mesh too large to build
# is refused with exit status 2. Prints a cmocka-style summary.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
check() { # name, then a shell condition that must hold
	name=$1
	if eval "$2"; then
		echo "[       OK ] topology $name"
		pass=$((pass + 1))
	else
		echo "[  FAILED  ] topology $name"
		fail=$((fail + 1))
	fi
}
# The value of a JSON key (the first occurrence), the report being one line.
field() { printf '%s\n' "$json" | grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2; }

json=$(build/bftime-sim scenarios/sparse-rr16-10k-bench.yaml --nodes 1000 --topology-report --json)
rc=$?
check "exit status 0" '[ "$rc" -eq 0 ]'
check "one line" '[ "$(printf "%s\n" "$json" | wc -l)" -eq 1 ]'
check "1000 nodes" '[ "$(field nodes)" = 1000 ]'
check "16-regular" '[ "$(field regular)" = true ] && [ "$(field min)" = 16 ] && [ "$(field max)" = 16 ]'
l2=$(printf '%s\n' "$json" | sed -n 's/.*"lambda2":{"value":\([0-9.]*\).*/\1/p')
below() { awk -v l="$1" 'BEGIN { exit !(l != "" && l + 0 > 0 && l + 0 < 2 * sqrt(15) + 0.5) }'; }
check "lambda2 $l2 < 2 sqrt(15) + 0.5" 'below "$l2"'
check "lambda2 converged" '[ "$(field converged)" = true ]'
r=$(field r)
check "certified $r-robust >= 5" '[ "${r:-0}" -ge 5 ] && [ "$(field certified)" = true ]'
c=$(printf '%s\n' "$json" | sed -n 's/.*"attack":"split","c":\([0-9.]*\).*/\1/p')
contracts() { awk -v c="$1" 'BEGIN { exit !(c != "" && c + 0 > 0 && c + 0 < 1) }'; }
check "split contraction $c in (0, 1)" 'contracts "$c"'
check "no unreachable pairs" '[ "$(field unreachable_pairs)" = 0 ]'
# The same world twice: the same report (the graph comes from the seed).
check "deterministic" '[ "$(build/bftime-sim scenarios/sparse-rr16-10k-bench.yaml --nodes 1000 --topology-report --json)" = "$json" ]'
# Another seed: another graph.
check "seed changes the graph" '[ "$(build/bftime-sim scenarios/sparse-rr16-10k-bench.yaml --nodes 1000 --seed 2 --topology-report --json)" != "$json" ]'
tmp=$(mktemp) && trap 'rm -f "$tmp"' EXIT
build/bftime-sim scenarios/isync-mesh7.yaml --nodes 5000 --topology-report >"$tmp" 2>&1
rc=$?
check "full mesh of 5000 refused" '[ "$rc" -eq 2 ] && grep -q "too large for the topology report" "$tmp"'
build/bftime-sim scenarios/isync-mesh7.yaml --topology-report --csv "$tmp" >/dev/null 2>&1
rc=$?
check "--csv refused with it" '[ "$rc" -eq 2 ]'
build/bftime-sim scenarios/isync-mesh7.yaml --topology-report --profile >"$tmp" 2>&1
rc=$?
check "--profile refused with it" '[ "$rc" -eq 2 ] && grep -q "or --profile" "$tmp"'
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
