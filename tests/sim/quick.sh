#!/bin/sh
# SPDX-License-Identifier: MIT
# The quick subset of simulator scenarios run by `make test`: each must exit 0
# (no promised guarantee violated). Prints a cmocka-style summary. A line of
# tests/sim/quick.txt is a scenario file and, optionally, options for
# bftime-sim (e.g. `--seed 3`: the same world with other random draws).
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
grep -v '^#' tests/sim/quick.txt > "$list" 2>/dev/null
while read -r s opts; do
	[ -n "$s" ] || continue
	# shellcheck disable=SC2086 # opts are words
	if out=$(build/bftime-sim "scenarios/$s" $opts --quiet 2>&1); then
		echo "[       OK ] sim $s${opts:+ $opts}"
		pass=$((pass + 1))
	else
		printf '%s\n' "$out"
		echo "[  FAILED  ] sim $s${opts:+ $opts}"
		fail=$((fail + 1))
	fi
done < "$list"
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
