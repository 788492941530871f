#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's main job, `make run` (scripts/cluster.sh): five bftimed on
# loopback, the last one Byzantine, and a live table. Run for a few seconds
# with --duration, then once more stopped by Ctrl-C (SIGINT), as a user
# would: the table's last round must show every honest node synchronized,
# using 3 of its 4 peers (not the liar), its interval holding
# CLOCK_REALTIME (the table's offsets are relative to it), no alarm; the
# script must stop every daemon it started and say so.
# Prints a cmocka-style summary; about 30 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
dir=$(mktemp -d /tmp/bftime-runtest.XXXXXX) || exit 1
N=5
. tests/system/lib.sh
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM HUP PIPE
[ -x "$B/bftimed" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }

echo "[==========] scripts/cluster.sh (make run): 5 nodes, node 5 Byzantine"
scripts/cluster.sh --duration 14 --poll 1 --dir "$dir/a" > "$dir/a.out" 2>&1
rc=$?
check "runs for --duration and exits 0" sh -c "[ $rc = 0 ] && grep -q 'cluster stopped' '$dir/a.out' || { tail -n 5 '$dir/a.out'; exit 1; }"
# The last complete table: a header and the rows of nodes 1 to 5 (Ctrl-C
# may cut the one being printed).
table_ok() {
	awk '/^node role/ { k = 0; next }
		k < 5 && $1 == k + 1 { row[++k] = $0; if (k == 5) for (i = 1; i <= 5; i++) last[i] = row[i]; next }
		{ k = 5 }
		END { for (i = 1; i <= 5; i++) if (i in last) print last[i] }' "$1" > "$dir/last"
	[ "$(wc -l < "$dir/last")" = 5 ] || { echo "no complete table"; return 1; }
	bad=$(awk '
		$2 == "honest" {
			lo = $5; hi = $6; gsub(/[\[,]/, "", lo); gsub(/\]/, "", hi)
			if ($3 != "synchronized" || $8 != "3/4" || $9 != "-" || lo + 0 > 0 || hi + 0 < 0) print "node " $1 ": " $0
		}
		$2 == "BYZANTINE" { liar = 1 }
		END { if (!liar) print "no BYZANTINE row" }' "$dir/last")
	[ -z "$bad" ] || { echo "$bad"; return 1; }
	echo "$(awk '$2 == "honest" { printf "%s%s %sus", s, $1, $4; s = ", " }' "$dir/last") from CLOCK_REALTIME, 3/4 used, liar unused"
}
check "last table: honest nodes synchronized, liar unused, intervals hold CLOCK_REALTIME" table_ok "$dir/a.out"
# No bftimed of that run still alive ("[b]" keeps pgrep from matching itself).
none_left() { ! pgrep -af "[b]ftimed --config $dir/$1/" || return 1; }
check "no daemon left behind" none_left a

# Ctrl-C, as at a terminal: SIGINT to the whole foreground process group
# (the script and its daemons). A background job of a non-interactive shell
# starts with SIGINT ignored, which no trap can undo, so the script is
# started in a group of its own with SIGINT at its default.
python3 -c 'import os, signal, sys
os.setpgrp(); signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
	scripts/cluster.sh --poll 1 --dir "$dir/b" > "$dir/b.out" 2>&1 &
pid=$!
sleep 12
# The user is pointed to node 1's dashboard, and it answers (docs/dashboard.md).
dash_ok() {
	url=$(sed -n 's|^dashboards: \(http://127.0.0.1:[0-9]*/\) (node 1).*|\1|p' "$dir/b.out")
	[ -n "$url" ] || { echo "no dashboard URL printed"; return 1; }
	curl -sS -m 5 "$url" | grep -q '<title>bftime node</title>' || { echo "$url: not the dashboard"; return 1; }
	curl -sS -m 5 "${url}v1/history?window=1m" | grep -q '"peer"' || { echo "${url}v1/history: no sources"; return 1; }
	echo "$url"
}
check "make run points to node 1's dashboard, which answers" dash_ok
/bin/kill -s INT -- "-$pid" # procps kill: dash's builtin cannot signal a group
k=0
while kill -0 "$pid" 2>/dev/null && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
stopped_ok() {
	! kill -0 "$pid" 2>/dev/null || { echo "still running"; /bin/kill -s KILL -- "-$pid"; return 1; }
	grep -q 'cluster stopped' "$dir/b.out" || { tail -n 3 "$dir/b.out"; return 1; }
}
check "Ctrl-C stops it cleanly" stopped_ok
check "Ctrl-C leaves no daemon behind" none_left b
check "the table was live before Ctrl-C" table_ok "$dir/b.out"
summary
