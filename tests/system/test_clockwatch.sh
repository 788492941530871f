#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/system/clockwatch, the host-clock watch tests/run.sh keeps beside the
# tests: it must see CLOCK_REALTIME step both ways against the raw clock and
# a stall of its own, report nothing on a quiet clock, and run.sh must list
# what it saw beside a test that failed meanwhile. The host clock is never
# touched: the steps are libfaketime's (Debian's libfaketime), which moves
# CLOCK_REALTIME for the watch alone, read from a file the test rewrites
# (FAKETIME_DONT_FAKE_MONOTONIC: the raw clock stays true). About 8 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
dir=$(mktemp -d /tmp/bftime-clockwatch.XXXXXX) || exit 1
. tests/system/lib.sh
trap 'kill $(cat "$dir"/*.pid 2>/dev/null) 2>/dev/null; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM HUP PIPE
W=$B/tests/clockwatch
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -x "$W" ] || { echo "build/tests/clockwatch missing: run make build/tests/clockwatch"; exit 1; }
[ -f "$FT" ] || { echo "libfaketime missing: run scripts/deps.sh"; exit 1; }

# The watch under libfaketime, its realtime offset read from $dir/ft at each read.
echo "+0" > "$dir/ft"
cat > "$dir/watch" <<EOF
#!/bin/sh
echo \$\$ > "$dir/w.pid"
FAKETIME_TIMESTAMP_FILE="$dir/ft" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$FT" exec "$W" "\$@"
EOF
chmod +x "$dir/watch"

echo "[==========] clockwatch: steps, a stall, quiet"
"$dir/watch" --out "$dir/a.log" --max-s 20 &
sleep 1
echo "+0.445" > "$dir/ft"
sleep 0.5
echo "+0.415" > "$dir/ft"
sleep 0.5
kill -STOP "$(cat "$dir/w.pid")"
sleep 0.4
kill -CONT "$(cat "$dir/w.pid")"
sleep 0.5
kill -TERM "$(cat "$dir/w.pid")"
wait
# one LOG KIND LO HI: one line of KIND, its size (us) in [LO, HI].
one() {
	awk -v k="$2" -v lo="$3" -v hi="$4" '$2 == k { n++; v = $3 + 0; s = s " " $3; if (v >= lo && v <= hi) good++ }
		END { printf "%d line(s):%s us", n, s; exit !(n == 1 && good == 1) }' "$1"
}
awk '$2 != "step" || $3 + 0 > 0' "$dir/a.log" > "$dir/pos"
awk '$2 == "step" && $3 + 0 < 0' "$dir/a.log" > "$dir/neg"
check "a step of +445 ms: one line, within 1 ms" one "$dir/pos" step 444000 446000
check "a step of -30 ms: one line, within 1 ms" one "$dir/neg" step -31000 -29000
check "stopped 400 ms: one stall of 350-1500 ms" one "$dir/a.log" stall 350000 1500000
check "closes with its count of reads and events" sh -c "grep -q '^# [0-9]* reads over [0-9]* s, 3 events\$' '$dir/a.log' || { cat '$dir/a.log'; exit 1; }"

# Quiet: no event in two seconds of a clock nobody moves (the real one).
"$W" --out "$dir/q.log" --max-s 2
check "a quiet clock: no event in 2 s" sh -c "grep -q '^# [0-9]* reads over 2 s, 0 events\$' '$dir/q.log' && [ \$(grep -vc '^#' '$dir/q.log') = 0 ] || { cat '$dir/q.log'; exit 1; }"
check "refuses a bad option value" sh -c "! '$W' --out '$dir/x.log' --every-ms 0 2>'$dir/x.err' && grep -q 'every-ms: not a number in range: 0' '$dir/x.err'"

# run.sh: a failing test that moves the (fake) clock, a passing one that does not.
echo "+0" > "$dir/ft"
cat > "$dir/fails.sh" <<EOF
#!/bin/sh
sleep 1; echo "+0.2" > "$dir/ft"; sleep 1
echo "[  FAILED  ] 1 test(s)."; exit 1
EOF
cat > "$dir/passes.sh" <<EOF
#!/bin/sh
sleep 1; echo "[  PASSED  ] 2 test(s)."
EOF
chmod +x "$dir/fails.sh" "$dir/passes.sh"
tests/run.sh --watch "$dir/watch" "$dir/passes.sh" "$dir/fails.sh" > "$dir/run.out" 2>&1
rc=$?
listed() {
	[ "$rc" = 1 ] && grep -q '^fails.sh (.*) ran while the host clock moved:$' "$dir/run.out" &&
		awk '$2 == "step" { v = $3 + 0; if (v >= 199000 && v <= 201000) ok = 1 } END { exit !ok }' "$dir/run.out" &&
		! grep -q '^passes.sh' "$dir/run.out" && grep -q '^host clock: 1 events' "$dir/run.out" &&
		grep -q '^2 passed, 1 failed$' "$dir/run.out" || { cat "$dir/run.out"; return 1; }
}
check "run.sh lists the step beside the failing test, and in its summary" listed
check "run.sh stops the watch" sh -c "! kill -0 \$(cat '$dir/w.pid') 2>/dev/null"
summary
