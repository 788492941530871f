#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test binary given, each printing cmocka's own report, and close
# with one summary line counting the tests of all of them.
set -u
pass=0 fail=0 bad="" skipped=""
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	# 77: the test could not run here (it printed why): reported, not counted.
	[ "$rc" -eq 77 ] && { skipped="$skipped $(basename "$t")"; continue; }
	p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		[ -z "$f" ] && fail=$((fail + 1))
		bad="$bad $(basename "$t")"
	fi
done
[ -n "$bad" ] && echo "failing:$bad"
[ -n "$skipped" ] && echo "skipped (exit 77):$skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$bad" ]
