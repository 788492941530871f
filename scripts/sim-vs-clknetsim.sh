#!/bin/bash
# SPDX-License-Identifier: MIT
# bftime-sim against clknetsim: every world of `tests/clknetsim/run.sh
# --matrix full` run twice, once by the real bftimed under clknetsim (chrony's
# own simulator, beside chronyd servers) and once by bftime-sim's mirror of it
# (scenarios/anchor-clk-*.yaml), with the same seeds; the table of both, their
# ratio and whether it is within 1.5x goes into docs/results.md between the
# markers below (scripts/results.sh keeps that block when it regenerates the
# rest). Both sides measure the same thing: the true error of the system
# clock bftimed steers, every second from 420 s to 20,000 s.
#
#   scripts/sim-vs-clknetsim.sh             run both (about 5 minutes on 2 cores), write docs/results.md
#   scripts/sim-vs-clknetsim.sh --cached    reuse the clknetsim lines of the last run (a simulator change)
#   scripts/sim-vs-clknetsim.sh --print     print the block instead of writing docs/results.md
#
# bftimed, bftime and bftime-sim are built together from the tree as it is, into a build directory
# of their own (build/sim-vs-clknetsim/b), so that both sides run one version of the node code
# even while others rebuild build/. clknetsim needs root, ../shared/tools/clknetsim, g++ and
# chronyd (tests/clknetsim/run.sh); exit 77 when it cannot run. The node code moves these
# figures: rerun after changing it (--cached warns when the node code differs from its run's).
set -eu
cd "$(dirname "$0")/.."
cached=0 print=0
for a in "$@"; do
	case $a in
	--cached) cached=1 ;;
	--print) print=1 ;;
	*) echo "usage: scripts/sim-vs-clknetsim.sh [--cached] [--print]" >&2; exit 2 ;;
	esac
done
work=build/sim-vs-clknetsim
b=$work/b
mkdir -p "$work"
# The node code's version, taken before the build: src/ and include/ as committed, and a digest of
# local changes to them (the key); the commit, for the reader.
local_changes=$(git diff HEAD -- src include | sha1sum | cut -c1-8 | sed 's/^da39a3ee$//; s/^./+local changes &/')
built="$(git rev-parse --short HEAD:src)-$(git rev-parse --short HEAD:include)$local_changes"
built_desc="$(git rev-parse --short HEAD)$local_changes"
make -s -j2 B="$b" "$b/bftime-sim" "$b/bftimed" "$b/bftime"

# world attack poll seeds...: tests/clknetsim/run.sh's full matrix.
rows() {
	for w in internet lan; do for p in default 64 1024; do echo "$w none $p 1 2 3 4 5"; done; done
	for a in offset:2 offset:5 offset:10 offset:20 offset:50; do echo "internet $a default 1 2 3"; done
	for a in walk:1 walk:10 walk:100 nomajority; do echo "internet $a default 1 2 3 4 5"; done
	# nomajority's liars back on true time at 5000 s, where the clknetsim worlds have it
	! grep -q 'heal:' "${snap:-.}/tests/clknetsim/world.sh" 2>/dev/null || echo "internet heal:5000 default 1 2 3 4 5"
}
scenario() { # world attack poll
	local s="scenarios/anchor-clk-$1-${2//:/}"
	[ "$3" = default ] || s="$s-p$3"
	echo "$s.yaml"
}
json() { # key json: the number after "key":
	sed -n "s/.*\"$1\":\(-\{0,1\}[0-9.]*\).*/\1/p" <<< "$2"
}

clk=$work/clknetsim.txt sim=$work/sim.txt
if [ $cached = 0 ]; then
	# The harness as it is now, in a copy of its own: bash reads a script as it runs, so an edit
	# to tests/clknetsim/ during these minutes would break the run. The copy finds
	# ../shared/tools/clknetsim and the built clknetsim through links.
	snap=$work/snap
	rm -rf "$snap" && mkdir -p "$snap/tests" "$snap/build"
	cp -r tests/clknetsim "$snap/tests/"
	ln -sfn "$(cd .. && pwd)/shared" "$work/shared"
	[ ! -d build/clknetsim ] || ln -sfn "$PWD/build/clknetsim" "$snap/build/clknetsim"
	: > "$clk.new"
	while read -r w a p seeds; do
		for s in $seeds; do
			rc=0
			line=$(BFTIME=$PWD/$b CLKNETSIM_WORK=$PWD/$work/worlds "$snap/tests/clknetsim/run.sh" "$w" "$a" "$s" "$p" 20000) || rc=$?
			if [ $rc = 77 ]; then echo "sim-vs-clknetsim: clknetsim cannot run here: skipped" >&2; exit 77; fi
			# A world whose bftimed logged no poll did not run (a missing binary, a crash).
			case $line in *" polls=0 "* | "") rc=1 ;; esac
			[ $rc = 0 ] || { echo "sim-vs-clknetsim: clknetsim $w $a $s $p failed ($rc): $line" >&2; exit 1; }
			echo "$line" | tee -a "$clk.new" >&2
		done
	done < <(rows)
	printf '%s\n%s\n' "$built" "$built_desc" > "$work/clknetsim.version"
	mv "$clk.new" "$clk"
fi
[ -s "$clk" ] || { echo "sim-vs-clknetsim: no clknetsim results in $clk (run without --cached)" >&2; exit 1; }
key=$(sed -n 1p "$work/clknetsim.version" 2>/dev/null) version=$(sed -n 2p "$work/clknetsim.version" 2>/dev/null)
if [ "$key" != "$built" ]; then
	echo "sim-vs-clknetsim: the node code differs from the clknetsim run's (${version:-unknown}): the two sides are not comparable; rerun without --cached" >&2
	version="${version:-unknown} (clknetsim) / $built_desc (bftime-sim): NOT the same node code"
fi

: > "$sim"
while read -r w a p seeds; do
	sc=$(scenario "$w" "$a" "$p")
	for s in $seeds; do
		j=$("$b/bftime-sim" "$sc" --seed "$s" --json --csv "$work/sim.csv") || true
		# The worst error once the start is over (from 1000 s): the statistics start at 420 s, inside
		# the start-up transient of the long polls, whose tail then decides the worst error.
		late=$(awk -F, 'NR > 1 && $1 >= 1000 { e = $11 < 0 ? -$11 : $11; if (e > m) m = e } END { print m + 0 }' "$work/sim.csv")
		# clknetsim's offset log: a line a second, a column a node, bftimed the last.
		log="$work/worlds/$w-${a//:/}-s$s-p$p/log.offset"
		clate=$( [ -f "$log" ] && awk -F'\t' 'NR - 1 >= 1000 { e = $NF < 0 ? -$NF : $NF; if (e > m) m = e } END { printf "%.6f", m * 1000 }' "$log" || echo -)
		echo "world=$w attack=$a seed=$s poll=$p sys_max_ns=$(json system_worst_ns "$j") sys_rms_ns=$(json system_rms_ns "$j") est_max_ns=$(json worst_error_ns "$j") est_rms_ns=$(json rms_error_ns "$j") containment=$(json containment "$j") alarm=$(sed -n 's/.*"alarm":\([a-z]*\).*/\1/p' <<< "$j") sys_late_ns=$late clk_late_ms=$clate" >> "$sim"
	done
done < <(rows)

block=$(mktemp) && trap 'rm -f "$block"' EXIT
{
	echo "<!-- sim-vs-clknetsim: begin (generated by scripts/sim-vs-clknetsim.sh; scripts/results.sh keeps it) -->"
	echo "## bftime-sim against clknetsim"
	echo
	echo "Each world of \`tests/clknetsim/run.sh --matrix full\` twice: the real bftimed under clknetsim (chrony's own"
	echo "clock and network simulator, 7 chronyd \`local stratum 1\` servers, docs/anchor.md), and bftime-sim's mirror"
	echo "of it, \`scenarios/anchor-clk-*.yaml\` (chronyd's stamps with random bits below precision -23, bftimed's own"
	echo "NTP packet code, its poll schedule, a 100 ppm oscillator with a random walk, a system clock 0.1 s off"
	echo "steered as \`exports.adjtimex\` steers it). Both columns are the true error of that steered system clock,"
	echo "every second from 420 s to 20,000 s: the largest (worst) and the RMS, in ms, averaged over the seeds (the"
	echo "two simulators' random streams differ, so seeds are compared as a set, not one by one). Ratio:"
	echo "bftime-sim / clknetsim, worst and RMS; \"within 1.5x\": both ratios in [1/1.5, 1.5]. The last column is the"
	echo "worst error from 1000 s on (the per-second offsets of both), once the start-up is over. Regenerate with"
	echo "\`scripts/sim-vs-clknetsim.sh\` (root; about 5 minutes); the node code moves these figures. Node code: $version."
	echo
	echo "| world | attack | bftimed poll | seeds | bftime-sim worst (seeds' range) / RMS ms | clknetsim worst (seeds' range) / RMS ms | ratio worst / RMS | within 1.5x | worst from 1000 s: sim / clknetsim ms (ratio) |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"
	awk '
	function v(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	FILENAME == ARGV[1] {
		k = v("world") " " v("attack") " " v("poll"); x = v("bft_max_ms") + 0
		cm[k] += x; cr[k] += v("bft_rms_ms"); cn[k]++
		if (!(k in clo) || x < clo[k]) clo[k] = x
		if (!(k in chi) || x > chi[k]) chi[k] = x
		next
	}
	{
		k = v("world") " " v("attack") " " v("poll"); x = v("sys_max_ns") / 1e6
		if (!(k in sn)) order[++n] = k
		sm[k] += x; sr[k] += v("sys_rms_ns") / 1e6; sn[k]++
		sl[k] += v("sys_late_ns") / 1e6
		if (v("clk_late_ms") == "-") nocl[k] = 1; else cl[k] += v("clk_late_ms")
		if (!(k in slo) || x < slo[k]) slo[k] = x
		if (!(k in shi) || x > shi[k]) shi[k] = x
	}
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, f, " "); p = f[3] == "default" ? "16 s" : f[3] " s"
			a = sm[k] / sn[k]; b = sr[k] / sn[k]
			if (!(k in cn)) { printf "| %s | %s | %s | %d | %.3f (%.3f-%.3f) / %.3f | - | - | no clknetsim run | - |\n", f[1], f[2], p, sn[k], a, slo[k], shi[k], b; continue }
			c = cm[k] / cn[k]; d = cr[k] / cn[k]
			rw = c > 0 ? a / c : 0; rr = d > 0 ? b / d : 0
			ok = (rw >= 1 / 1.5 && rw <= 1.5 && rr >= 1 / 1.5 && rr <= 1.5) ? "yes" : "**no**"
			late = (k in nocl) || cl[k] <= 0 ? "-" : sprintf("%.3f / %.3f (%.2f)", sl[k] / sn[k], cl[k] / sn[k], sl[k] / cl[k])
			printf "| %s | %s | %s | %d | %.3f (%.3f-%.3f) / %.3f | %.3f (%.3f-%.3f) / %.3f | %.2f / %.2f | %s | %s |\n", f[1], f[2], p, sn[k], a, slo[k], shi[k], b, c, clo[k], chi[k], d, rw, rr, ok, late
		}
	}' "$clk" "$sim"
	echo
	cat <<'NOTES'
What the mirror models, and what it leaves out:

- **The servers** as chronyd `local stratum 1` answers under clknetsim: NTPv4 packets, stratum 1, root
  delay and dispersion 0, precision -23 (chronyd measures its clock's precision at start; clknetsim's
  clock reads advance 101 ns at a time then, log2 of which rounds to -23), the receive and transmit
  stamps' bits below the precision random and drawn afresh for each (chronyd's `UTI_GetNtp64Fuzz`),
  no processing time: t3 < t2 in half the replies. Liars' clocks offset or fast from t = 0.
- **The client's reading of them** is bftimed's own code (`bft_ntp_client_sample`: its checks, the
  precision in the stamp error, the root distance, no minimum delay), and its **poll schedule** is
  bftimed's ntp driver's: 4 quick queries, then an interval starting at min(16 s, `every`) that
  doubles after 8 good replies in a row, plus up to 1/16 of random extra; for the first 15 minutes
  each poll a burst of 8 queries (of 4 at 64 s polls; at 1024 s every poll a burst of 4, as the
  driver does); bursts spaced 2 s, or a sixteenth of the interval when shorter, at least 1 s.
- **The node** is the same object bftimed runs, with bftimed's clock defaults (`node.defaults:
  bftimed` takes them from src/daemon/config.h: rho 500 ppm, the fit history and its span), not the
  library's that the simulator's other scenarios use.
- **The oscillator**: 100 ppm fast plus a random walk of 1 ppb per second, as clknetsim's
  `(+ 1e-4 (sum (* 1e-9 (normal))))`; one-way delays 10 ms + exp(2 ms) or 0.1 ms + exp(0.1 ms).
- **The steered system clock** (`system_clock`): clknetsim measures the kernel clock that bftimed's
  `exports.adjtimex` steers (a 16 s proportional loop on top of the fitted frequency, refreshed every
  second and at every estimate, tick-assisted beyond 500 ppm), not the node's estimate. bftime-sim
  models that loop and measures the clock it steers, so both columns above are the same quantity; the
  per-seed table shows the estimate beside it: the steering residual is a few percent at 16 s and 64 s
  polls and up to 40 % at 1024 s on the LAN, where each fusion after a long gap moves the estimate and
  the kernel clock follows it over tens of seconds.
- **Left out**: the kernel's tick and 2^-16 ppm frequency resolution; the daemon's own scheduling
  (its loop wakes, the order of events within a simulated instant); clknetsim's and bftime-sim's
  random streams are different, so the same seed number is a different world on each side and seeds
  compare only as a set. The worst error of one run comes from a handful of moments (at 1024 s polls,
  some 20 fusions), so a mean over 5 seeds moves by tens of percent from one set of seeds to another;
  the ranges show how far the sets overlap.

Where they disagree, and why (measured when the mirror was built, node code d2513a1): 15 of the 16
worlds agree within 1.5x. The exception, LAN at 1024 s polls (worst 1.7x, RMS 1.1x), is the start-up:
at long polls bftimed's driver polls every 64 s, then 128 s, and the node's frequency fit is still
settling at 420 s, when the statistics start. The estimate's last correction of the start-up comes a
little before or after 420 s, and the steered clock takes tens of seconds to follow it, so the worst
error of a run is often just the tail of that transient at 420 s (the per-seed table: bftime-sim's
system clock 0.54 ms where its estimate is 0.38 ms, both at 420 s). The transient itself has the same
shape on both sides, in every seed of both (5 ms on the LAN and 10 ms on the internet at 100 s, 7-13 ms
at 200 s, about 1 ms or less from 300-400 s), and from 1000 s on the worst errors agree within 1.2x in
every world (last column). So the start-up is modelled, but which side of the 420 s line its tail falls on is a matter
of a few seconds of scheduling, and the worst error counts it. In the table as regenerated last (node
code 9976f30) the LAN at 1024 s agrees (0.88x) and the one exception is the walk at 100 ppm, worst 0.64x:
clknetsim's seed 1 has a 0.73 ms excursion at 455 s, the tail of its start-up, that bftime-sim's seeds
do not (their range 0.13-0.41 ms against 0.17-0.73 ms); from 1000 s on the two agree within 0.87x.
Regenerated after the node's source points took their readings from a quarter of the fit's window and
the driver's first 15 minutes became bursts (node code 9d7487f), all 16 agree within 1.5x: the start-up
tails that made the exceptions are shorter on both sides.

What closed the gap: the old anchor scenarios (`anchor-ntp-collusion-*`, kept unchanged) gave 0.34 ms
worst for the +20 ms world where the daemon showed 10.4 ms. Each detail above was added and measured
against clknetsim. bftimed's poll schedule mattered most: polling the servers every 1024 s from the
start, as the simulator did, left the node's frequency fit without samples for the first 17 minutes
(106 ms worst against clknetsim's 1.3 ms, 80x); the burst and the climb from 64 s brought the long
polls within 1.1-4x of the daemon of the day. bftimed's clock defaults next: the library's 64-sample
fit read 1.5-1.8x worse than the daemon at the default poll once the daemon moved to 128 samples, and
within 1.3x with them. The steering model matters at 1024 s (the estimate alone is 25 % kinder than
the steered clock on the LAN). chronyd's stamp fuzz changes no figure at these delays (t3 < t2 in 50 %
of replies instead of 37 %, none refused by today's node), but a client that refused reversed stamps,
as bftimed once did, would lose half its replies here as it did in clknetsim.
NOTES
	echo
	echo "Per seed: bftime-sim's estimate (the node's own best estimate, what its other scenarios report) and its"
	echo "steered system clock, against the system clock under clknetsim, with the polls whose interval missed"
	echo "true time there and the polls in alarm."
	echo
	echo "| world | attack | poll | seed | sim estimate worst / RMS ms | sim system clock worst / RMS ms | sim containment | clknetsim worst / RMS ms | clknetsim misses | clknetsim alarm polls |"
	echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	awk '
	function v(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
	FILENAME == ARGV[1] { k = v("world") " " v("attack") " " v("poll") " " v("seed"); cl[k] = v("bft_max_ms") " / " v("bft_rms_ms") " | " v("misses") " | " v("alarm_polls"); next }
	{
		k = v("world") " " v("attack") " " v("poll") " " v("seed"); split(k, f, " ")
		printf "| %s | %s | %s | %s | %.3f / %.3f | %.3f / %.3f | %s | %s |\n", f[1], f[2], f[3] == "default" ? "16 s" : f[3] " s", f[4], v("est_max_ns") / 1e6, v("est_rms_ns") / 1e6, v("sys_max_ns") / 1e6, v("sys_rms_ns") / 1e6, v("containment"), (k in cl) ? cl[k] : "- | - | -"
	}' "$clk" "$sim"
	echo "<!-- sim-vs-clknetsim: end -->"
} > "$block"

if [ $print = 1 ]; then cat "$block"; exit 0; fi
out=docs/results.md
[ -f "$out" ] || { echo "sim-vs-clknetsim: $out missing (run scripts/results.sh first)" >&2; exit 1; }
tmp=$(mktemp)
# Replace the block, or append it.
awk -v blk="$block" '
	/^<!-- sim-vs-clknetsim: begin/ { while ((getline l < blk) > 0) print l; skip = 1; done = 1; next }
	/^<!-- sim-vs-clknetsim: end/ { skip = 0; next }
	!skip { print }
	END { if (!done) { print ""; while ((getline l < blk) > 0) print l } }' "$out" > "$tmp"
mv "$tmp" "$out"
echo "wrote $out: $(grep -c '| \*\*no\*\* |' "$out" || true) of $(rows | wc -l) worlds outside 1.5x" >&2
