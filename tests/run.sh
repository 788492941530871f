#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test binary given, each printing cmocka's own report, and close
# with one summary line counting the tests of all of them.
#
#   tests/run.sh [--watch CLOCKWATCH] TEST...
#
# With --watch, tests/system/clockwatch runs beside the tests and logs any
# move of the host's CLOCK_REALTIME against CLOCK_MONOTONIC_RAW over 1 ms, a
# suspend, or a stall of 250 ms (most system tests take CLOCK_REALTIME as
# true time): each failing test is listed with what it saw in its time, and
# the run ends with the watch's summary (README, "Tests and the host clock").
set -u
watch=""
if [ "${1:-}" = "--watch" ]; then
	watch=$2
	shift 2
fi
log="" wpid=""
if [ -n "$watch" ] && [ -x "$watch" ]; then
	log=$(mktemp /tmp/bftime-clockwatch.XXXXXX)
	"$watch" --out "$log" &
	wpid=$!
fi
stop_watch() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	wpid=""
}
trap 'stop_watch; [ -n "$log" ] && rm -f "$log"' EXIT
trap 'exit 130' INT TERM
# What the watch logged between two CLOCK_REALTIME seconds (its lines start
# with their realtime, one read after the move).
seen() {
	[ -n "$log" ] && awk -v a="$1" -v b="$2" '$1 !~ /^#/ && $1 >= a && $1 <= b + 1' "$log"
}
pass=0 fail=0 bad="" skipped="" moved=""
for t in "$@"; do
	t0=$(date +%s)
	out=$("$t" 2>&1)
	rc=$?
	t1=$(date +%s)
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
		w=$(seen "$t0" "$t1")
		[ -n "$w" ] && moved="$moved
$(basename "$t") ($(date -u -d "@$t0" +%T)-$(date -u -d "@$t1" +%T) UTC) ran while the host clock moved:
$(printf '%s\n' "$w" | sed 's/^/  /')"
	fi
done
stop_watch
[ -n "$bad" ] && echo "failing:$bad"
[ -n "$moved" ] && printf '%s\n' "$moved"
[ -n "$skipped" ] && echo "skipped (exit 77):$skipped"
if [ -n "$log" ]; then
	n=$(grep -vc '^#' "$log")
	if [ "$n" -eq 0 ]; then
		echo "host clock: $(sed -n 's/^# //p' "$log" | tail -n 1) (no step, suspend or stall)"
	else
		echo "host clock: $n events (step: CLOCK_REALTIME against CLOCK_MONOTONIC_RAW; stall: the watch did not run):"
		sed 's/^/  /' "$log"
	fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$bad" ]
