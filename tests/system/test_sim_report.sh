#!/bin/sh
# SPDX-License-Identifier: MIT
# bftime-sim --html (docs/dashboard.md): the report of a run with two liars
# (scenarios/constant-fusion.yaml) and of one with a GPS spoofer that gets
# every node's receiver quarantined (scenarios/spoof-jump-fusion.yaml).
# Each must be byte-identical across two runs, load nothing from elsewhere,
# state the verdict and the parameters with the adversaries by node id,
# draw every honest node's offset and interval, the bound lines, the attack
# window and (spoof) the quarantines as events, and keep a symlog scale
# whose linear part is at least 1 us wide (nanosecond sign flips are not
# jumps); then headless Chromium renders it (tests/system/cdp.py), finds
# the same on the page, and keeps a screenshot in
# build/test-artifacts/sim-report*.png. A run of nodes without references
# (isync-mesh7-constant) must draw their network clocks instead. About 15 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
S=$B/bftime-sim
dir=$(mktemp -d /tmp/bftime-simreport.XXXXXX) || exit 1
. tests/system/lib.sh
trap 'rm -rf "$dir"' EXIT
[ -x "$S" ] || { echo "build/bftime-sim missing: run make"; exit 1; }

echo "[==========] bftime-sim --html"
run() { # scenario, out
	"$S" "scenarios/$1.yaml" --html "$dir/$2.html" > "$dir/$2.txt" || { echo "exit $? $(tail -3 "$dir/$2.txt")"; return 1; }
	"$S" "scenarios/$1.yaml" --html "$dir/$2.again.html" > /dev/null || return 1
	cmp -s "$dir/$2.html" "$dir/$2.again.html" || { echo "two runs differ"; return 1; }
	echo "$(wc -c < "$dir/$2.html") bytes, identical twice"
}
check "constant-fusion: report written, deterministic" run constant-fusion c
check "spoof-jump-fusion: report written, deterministic" run spoof-jump-fusion s

count() { grep -o "$2" "$dir/$1.html" | wc -l; }
content() {
	f=$dir/c.html
	grep -q 'https\{0,1\}://' "$f" && { echo "an external URL: $(grep -o 'https\{0,1\}://[^"]*' "$f" | head -1)"; return 1; }
	grep -q '<script' "$f" && { echo "a script"; return 1; }
	grep -q 'id="verdict" class="pass">PASS' "$f" || { echo "no PASS verdict"; return 1; }
	grep -q '<th>adversary</th><td>constant from 600 s: nodes 5 6</td>' "$f" || { echo "adversaries not named by id"; return 1; }
	[ "$(count c 'class="node-offset"')" = 10 ] || { echo "$(count c 'class="node-offset"') offset lines, want 5 nodes x 2 panels"; return 1; }
	[ "$(count c 'class="node-interval"')" = 10 ] || { echo "interval bands: $(count c 'class="node-interval"')"; return 1; }
	[ "$(count c 'class="bound-line accuracy"')" -ge 2 ] || { echo "no accuracy bound lines"; return 1; }
	[ "$(count c 'class="attack-window"')" = 4 ] || { echo "attack windows: $(count c 'class="attack-window"') (one per panel)"; return 1; }
	grep -q 'class="warmup"' "$f" || { echo "no warmup mark"; return 1; }
	for s in 'node 0' 'node 4' all bound attack events; do
		grep -q "data-series=\"$s\"" "$f" || { echo "legend lacks $s"; return 1; }
	done
}
check "constant-fusion: verdict, adversaries by id, a line and band per honest node, bounds, attack window, legend" content
symlog() {
	c=$(sed -n 's/.*symmetric log, linear within +-\([0-9.]*\) \([a-z]*\)<.*/\1 \2/p' "$dir/c.html")
	case $c in
	*" us" | *" ms" | *" s") echo "linear within +-$c" ;;
	*) echo "linear part '$c' narrower than 1 us"; return 1 ;;
	esac
}
check "symlog panel linear within at least 1 us" symlog
events() {
	n=$(count s 'class="event event-quarantine"') r=$(count s 'class="event event-clear"')
	[ "$n" -ge 7 ] && [ "$r" -ge 7 ] || { echo "$n quarantine marks, $r readmissions"; return 1; }
	grep -q 'node 0: reference quarantined (jump)' "$dir/s.html" || { echo "events table lacks the quarantine"; return 1; }
	grep -q '<th>GPS spoofing (region 1, 1 ms)</th>' "$dir/s.html" || { echo "attack list lacks the spoofer"; return 1; }
	echo "$n quarantine marks, $r readmissions"
}
check "spoof-jump-fusion: quarantines and readmissions as events, the spoofer listed" events
# Internal synchronization (no references): the nodes have no interval, so
# their network clocks are drawn (dashed), and the network clocks' spread
# beside the largest precision bound they stated.
netclock() {
	"$S" scenarios/isync-mesh7-constant.yaml --html "$dir/i.html" > /dev/null || { echo "exit $?"; return 1; }
	[ "$(count i 'class="node-netclock"')" = 10 ] || { echo "$(count i 'class="node-netclock"') network clock lines, want 5 x 2"; return 1; }
	[ "$(count i 'class="netspread-line"')" = 1 ] && [ "$(count i 'class="bound-line netprecision"')" = 1 ] ||
		{ echo "no network clock spread or no stated bound"; return 1; }
	grep -q 'data-series="netclock"' "$dir/i.html" || { echo "legend lacks the network clock"; return 1; }
}
check "isync-mesh7-constant: network clocks drawn, their spread beside the stated bound" netclock
bad() {
	if out=$("$S" scenarios/constant-fusion.yaml --html /nonexistent/dir/r.html 2>&1); then echo "exit 0"; return 1; fi
	printf '%s\n' "$out" | grep -q 'cannot write /nonexistent/dir/r.html' || { echo "message: $out"; return 1; }
}
check "an unwritable --html path: exit 2, named" bad

mkdir -p "$B/test-artifacts"
for r in c s; do
	shot=$B/test-artifacts/sim-report-$r.png
	python3 tests/system/cdp.py report "$dir/$r.html" "$shot" > "$dir/cdp.$r" 2>&1
	while IFS= read -r line; do
		case $line in
		"OK "*) ok "chromium ($r): ${line#OK }" ;;
		"FAIL "*) ko "chromium ($r): ${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done < "$dir/cdp.$r"
	grep -q '^OK screenshot kept' "$dir/cdp.$r" && echo "screenshot: $shot"
done
summary
