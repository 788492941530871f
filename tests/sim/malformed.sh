#!/bin/sh
# SPDX-License-Identifier: MIT
# Malformed scenarios (tests/sim/malformed/*.yaml): each must be refused with
# exit status 2 and the message on its first line ("# expect: LINE: TEXT"),
# reported as FILE:LINE: TEXT. Then the command line's own checks.
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
ok() { echo "[       OK ] sim $1"; pass=$((pass + 1)); }
ko() { printf '%s\n' "$2"; echo "[  FAILED  ] sim $1"; fail=$((fail + 1)); }
for f in tests/sim/malformed/*.yaml; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	out=$(build/bftime-sim "$f" --quiet 2>&1); rc=$?
	case "$out" in
	*"$f:$want"*) [ $rc -eq 2 ] && ok "$f" || ko "$f" "exit $rc: $out" ;;
	*) ko "$f" "exit $rc, wanted '$f:$want', got: $out" ;;
	esac
done
s=scenarios/gps-single.yaml
for args in "--seed 12x" "--seed -1" "--nodes abc" "--nodes 0" "--duration -5s" "--duration 10parsecs" \
	"--csv /nonexistent-dir/x.csv" "--svg /nonexistent-dir/x.svg"; do
	# shellcheck disable=SC2086
	out=$(build/bftime-sim $s --quiet $args 2>&1); rc=$?
	[ $rc -eq 2 ] && ok "$s $args" || ko "$s $args" "exit $rc: $out"
done
out=$(build/bftime-sim $s --quiet --duration 2m --seed 3 2>&1); rc=$?
[ $rc -eq 0 ] && ok "$s --duration 2m --seed 3" || ko "$s --duration 2m" "exit $rc: $out"
# --profile: the same results as without it, and a table on stderr whose counts add up to the
# run's events (the JSON's).
p=scenarios/nakamoto-poisson-small.yaml table=$(mktemp) || exit 1
plain=$(build/bftime-sim $p --json --duration 5m 2>/dev/null)
timed=$(build/bftime-sim $p --json --duration 5m --profile 2>"$table")
sum=$(awk -F'|' 'NR > 2 && $3 ~ /^ *[0-9]+ *$/ { s += $3 } END { print s + 0 }' "$table")
events=$(printf '%s' "$timed" | jq .events)
if [ -n "$plain" ] && [ "$plain" = "$timed" ] && [ "$sum" -gt 0 ] && [ "$sum" = "$events" ] &&
	grep -q "^$events events in " "$table"; then
	ok "$p --profile"
else
	ko "$p --profile" "results differ, or the table's counts ($sum) are not the run's events ($events): $(cat "$table")"
fi
rm -f "$table"
echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
