#!/bin/sh
# SPDX-License-Identifier: MIT
# The Nakamoto engine's measured thresholds over several seeds (docs/nakamoto.md,
# "The thresholds over seeds"), two runs at a time, each part a markdown table:
#  alarm:   the world of scenarios/nakamoto-implausible-45.yaml (7 nodes, 10 s blocks,
#           two miners stating offsets 5 ms off) with the two miners' share of the hash
#           power swept, each share run for DURATION (default 3600s) with seeds 1..SEEDS;
#           about 9 minutes with the defaults on 2 cores;
#  attacks: the selfish, withholding and time-warp scenarios as they are (1800 s), seeds
#           1..SEEDS: mean and range over the seeds; about 4 minutes. ATTACKS="a b ..."
#           runs those scenarios only; ATTACK_DURATION=7200s runs them that long, each
#           with 2048 block slots so that the pool's share is counted over the whole
#           chain (a node's tree holds `slots` blocks: 64 by default, fewer than an
#           1800 s run of 10 s blocks makes).
#   scripts/sweep-nakamoto.sh [alarm|attacks|all [SEEDS [DURATION]]]     (default all 6 3600s)
set -eu
part=${1:-all} seeds=${2:-6} dur=${3:-3600s}
case $part in alarm | attacks | all) ;; *) echo "usage: scripts/sweep-nakamoto.sh [alarm|attacks|all [SEEDS [DURATION]]]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
SIM=${BFTIME_SIM:-build/bftime-sim}
[ -x "$SIM" ] || make build/bftime-sim >/dev/null
base=scenarios/nakamoto-implausible-45.yaml
grep -q 'hash: 2.045}' "$base" || { echo "sweep-nakamoto: $base changed: update this script" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seq_seeds() { i=1; while [ "$i" -le "$seeds" ]; do echo "$i"; i=$((i + 1)); done; }

if [ "$part" != attacks ]; then
shares="40 45 47.5 50 52.5 55 60"
for s in $shares; do
	# 5 honest nodes of hash 1, 2 miners of hash h each: share 2h / (5 + 2h).
	h=$(awk -v s="$s" 'BEGIN { printf "%.4f", 5 * s / 100 / (2 * (1 - s / 100)) }')
	sed "s/hash: 2.045}/hash: $h}/; s/^name: .*/name: nakamoto-implausible-sweep-$s/" "$base" > "$tmp/s$s.yaml"
	for i in $(seq_seeds); do echo "$s $i"; done
done | xargs -P 2 -n 2 sh -c '"$0" "$1/s$3.yaml" --seed "$4" --duration "$2" --json > "$1/r.$3.$4.json" 2>/dev/null || true' "$SIM" "$tmp" "$dur"
# Their blocks: those the two miners mined in the first honest node's best chain (a block of theirs
# that carries none of their statements is plausible); their statements: the most of the miners'
# statements (the lies) any honest node's best chain holds.
echo "| miners' share of the hash power | runs | alarm at the end (all honest nodes) | alarm raised at some point | honest nodes alarmed at the end | their blocks in an honest best chain | their statements in an honest best chain | containment (least) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $shares; do
	jq -s -r --arg s "$s" '
		def pct: . * 1000 | round / 10 | tostring + "%";
		length as $n |
		"| \($s)% | \($n) | \(map(select(.chain.alarmed == .honest)) | length) of \($n) | " +
		"\(map(select(.chain.alarm_fusions > 0)) | length) of \($n) | " +
		"\((map(.chain.alarmed) | add) / (map(.honest) | add) | pct) | " +
		"\(map(.chain.byz_in_best) | add) | \(map(.chain.lies_in_best) | add) | \(map(.containment) | min) |"' "$tmp"/r."$s".*.json
done
echo
fi

[ "$part" = alarm ] && exit 0
# The chain's own attacks over seeds: the pool's share of the honest best chain (against Eyal and
# Sirer's relative revenue with gamma = 0 for selfish mining, the hash share for the time warp and
# the honest-timestamp majority, none for withholding), honest
# blocks gone stale, the deepest reorganisation, the median time past's lag behind true time.
attacks=${ATTACKS:-"nakamoto-selfish-25 nakamoto-selfish-33 nakamoto-selfish-45 nakamoto-withhold-30 nakamoto-withhold-55
	nakamoto-timewarp-30 nakamoto-timewarp-60 nakamoto-majority-60"}
for a in $attacks; do
	[ -f "scenarios/$a.yaml" ] || { echo "sweep-nakamoto: no scenarios/$a.yaml" >&2; exit 2; }
	if [ -n "${ATTACK_DURATION:-}" ]; then
		sed -e "s/^duration: .*/duration: $ATTACK_DURATION/" -e "s/ slots: [0-9]*,//" \
			-e "s/^nakamoto: {/nakamoto: {slots: 2048, /" "scenarios/$a.yaml" > "$tmp/$a.yaml"
	else
		cp "scenarios/$a.yaml" "$tmp/$a.yaml"
	fi
done
for a in $attacks; do for i in $(seq_seeds); do echo "$a $i"; done; done |
	xargs -P 2 -n 2 sh -c '"$0" "$1/$2.yaml" --seed "$3" --json > "$1/a.$2.$3.json" 2>/dev/null || true' "$SIM" "$tmp"
echo "| scenario | share | runs | pool's share of the best chain: mean [min, max] | predicted | stale: mean [min, max] | deepest reorg | lag of the median time past: mean [min, max] | containment (least) | verdicts ok |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for a in $attacks; do
	share=${a##*-}
	case $a in
	*selfish*) pred=$(awk -v a="$share" 'BEGIN { a /= 100
		printf "%.1f%%", 100 * (a * (1 - a)^2 * 4 * a - a^3) / (1 - a * (1 + (2 - a) * a)) }') ;;
	*withhold*) pred=- ;; # a private chain released at once: no share to predict
	*) pred="$share.0%" ;;
	esac
	jq -s -r --arg a "$a" --arg share "$share%" --arg pred "$pred" '
		def r1: . * 10 | round / 10 | tostring;
		def stat(f): map(f) | "\(add / length | r1) [\(min | r1), \(max | r1)]";
		length as $n |
		"| \($a) | \($share) | \($n) | " +
		"\(stat(if .chain.best_held > 0 then .chain.byz_in_best * 100 / .chain.best_held else 0 end))% | \($pred) | " +
		"\(stat(.chain.stale_rate * 100))% | \(map(.chain.max_reorg_depth) | max) | \(stat(.chain.mtp_lag_s)) s | " +
		"\(map(.containment) | min) | \(map(select(.violated | not)) | length) of \($n) |"' "$tmp"/a."$a".*.json
done
