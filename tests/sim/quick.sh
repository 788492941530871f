#!/bin/sh
# SPDX-License-Identifier: MIT
# The quick subset of simulator scenarios run by `make test`: each must exit 0
# (no promised guarantee violated). Prints a cmocka-style summary.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
for s in $(grep -v '^#' tests/sim/quick.txt 2>/dev/null); do
	if out=$(build/bftime-sim "scenarios/$s" --quiet 2>&1); then
		echo "[       OK ] sim $s"
		pass=$((pass + 1))
	else
		printf '%s\n' "$out"
		echo "[  FAILED  ] sim $s"
		fail=$((fail + 1))
	fi
done
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
