#!/bin/sh
# SPDX-License-Identifier: MIT
# Replay every fuzz target's seed corpus (tests/fuzz/corpus/NAME) through its
# sanitizer-built replay binary: a regression test for every parser.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
for bin in build/asan/fuzz/replay_*; do
	name=${bin##*/replay_}
	if "$bin" tests/fuzz/corpus/"$name"/* >/dev/null; then
		echo "[       OK ] fuzz corpus $name"
		pass=$((pass + 1))
	else
		echo "[  FAILED  ] fuzz corpus $name"
		fail=$((fail + 1))
	fi
done
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
