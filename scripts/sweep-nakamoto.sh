#!/bin/sh
# SPDX-License-Identifier: MIT
# The alarm threshold of the Nakamoto engine over several seeds (docs/nakamoto.md,
# "The alarm threshold over seeds"): the world of scenarios/nakamoto-implausible-45.yaml
# (7 nodes, 10 s blocks, two miners stating offsets 5 ms off) with the two miners'
# share of the hash power swept, each share run for DURATION with seeds 1..SEEDS,
# two runs at a time. Prints a markdown table, one row per share. About 9
# minutes with the defaults on 2 cores.
#   scripts/sweep-nakamoto.sh [SEEDS [DURATION]]     (default 6 3600s)
set -eu
seeds=${1:-6} dur=${2:-3600s}
cd "$(dirname "$0")/.."
SIM=${BFTIME_SIM:-build/bftime-sim}
[ -x "$SIM" ] || make build/bftime-sim >/dev/null
base=scenarios/nakamoto-implausible-45.yaml
grep -q 'hash: 2.045}' "$base" || { echo "sweep-nakamoto: $base changed: update this script" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shares="40 45 47.5 50 52.5 55 60"
for s in $shares; do
	# 5 honest nodes of hash 1, 2 miners of hash h each: share 2h / (5 + 2h).
	h=$(awk -v s="$s" 'BEGIN { printf "%.4f", 5 * s / 100 / (2 * (1 - s / 100)) }')
	sed "s/hash: 2.045}/hash: $h}/; s/^name: .*/name: nakamoto-implausible-sweep-$s/" "$base" > "$tmp/s$s.yaml"
	i=1
	while [ "$i" -le "$seeds" ]; do echo "$s $i"; i=$((i + 1)); done
done | xargs -P 2 -n 2 sh -c '"$0" "$1/s$3.yaml" --seed "$4" --duration "$2" --json > "$1/r.$3.$4.json" 2>/dev/null || true' "$SIM" "$tmp" "$dur"
echo "| miners' share of the hash power | runs | alarm at the end (all honest nodes) | alarm raised at some point | honest nodes alarmed at the end | their blocks in an honest best chain | containment (least) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for s in $shares; do
	jq -s -r --arg s "$s" '
		def pct: . * 1000 | round / 10 | tostring + "%";
		length as $n |
		"| \($s)% | \($n) | \(map(select(.chain.alarmed == .honest)) | length) of \($n) | " +
		"\(map(select(.chain.alarm_fusions > 0)) | length) of \($n) | " +
		"\((map(.chain.alarmed) | add) / (map(.honest) | add) | pct) | " +
		"\(map(.chain.byz_in_best) | add) | \(map(.containment) | min) |"' "$tmp"/r."$s".*.json
done
