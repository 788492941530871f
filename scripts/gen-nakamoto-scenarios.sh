#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the scenarios of the fusion/median/nakamoto comparison (docs/nakamoto.md):
# cmp-spoof-{region,all}-{fusion,median,nakamoto}, nakamoto-partition,
# nakamoto-implausible-{10,30,45,55}, nakamoto-withhold-{30,55}, nakamoto-selfish-{25,33,45},
# nakamoto-timewarp-{30,60}, nakamoto-majority-60 and nakamoto-eclipse(-short).
#   scripts/gen-nakamoto-scenarios.sh
cd "$(dirname "$0")/../scenarios" || exit 1
hdr() { # name description engine
cat <<H
# Generated for the fusion/median/nakamoto comparison (scripts/results-nakamoto.sh, docs/nakamoto.md):
# 7 nodes, full mesh, LAN delays; nakamoto: 10 s blocks, 1000 hashes/s per honest node.
name: $1
description: "$2"
seed: 1
duration: 1800s
warmup: 600s
nodes: 7
engine: $3
alg: marzullo
f: 2
poll: 16s
peers: all
H
}
NET='network: {delay: 1ms, jitter: 200us, jitter_max: 2ms, loss: 0.01}'
NETP='network: {delay: 1ms, jitter: 200us, jitter_max: 2ms, loss: 0.01, partitions: [{nodes: [0, 1, 2], from: 900s, to: 1200s}]}'
GPS3='references:
  - {kind: gps, count: 3, poll: 1s, noise: 20ns, uncertainty: 100ns}'
REG='references:
  - {kind: gps, nodes: [0, 1], count: 1, region: 1, poll: 1s, noise: 20ns, uncertainty: 100ns}
  - {kind: gps, nodes: [2, 3, 4, 5, 6], count: 1, region: 0, poll: 1s, noise: 20ns, uncertainty: 100ns}'
for e in fusion median nakamoto; do
	nk=""; [ $e = nakamoto ] && nk="nakamoto: {interval: 10s, hashes: 1000, step: 1s}"
	{ hdr cmp-spoof-region-$e "GPS spoofed +1 ms for nodes 0 and 1 only (region 1) from 600 s; one receiver per node" $e
	  echo "$NET"; echo "$REG"; echo "gps_lies: [{region: 1, from: 600s, offset: 1ms}]"; echo "$nk"
	  echo "expect: {containment: 1.0}"; } > cmp-spoof-region-$e.yaml
	{ hdr cmp-spoof-all-$e "GPS spoofed for everyone, walking away at 1 ppm from 600 s (nobody can catch it)" $e
	  echo "$NET"; echo "$REG"; echo "gps_lies: [{region: 0, from: 600s, rate_ppb: 1000}, {region: 1, from: 600s, rate_ppb: 1000}]"; echo "$nk"; } > cmp-spoof-all-$e.yaml
done
{ hdr nakamoto-partition "nakamoto: nodes 0-2 cut off from 3-6 between 900 s and 1200 s, then one chain again" nakamoto
  echo "$NETP"; echo "$GPS3"; echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s}"
  echo "expect: {containment: 1.0, alarm: false}"; } > nakamoto-partition.yaml
# Byzantine miners: share s of the hash power among 2 liars (5 honest at 1): h = 5s / (2(1 - s)).
for s in 10 30 45 55; do
	h=$(awk -v s=$s 'BEGIN { printf "%.3f", 5 * s / (2 * (100 - s)) }')
	alarm=false; [ $s -ge 55 ] && alarm=true
	{ hdr nakamoto-implausible-$s "nakamoto: 2 miners with $s% of the hash power state offsets 5 ms off" nakamoto
	  echo "$NET"; echo "$GPS3"
	  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, byzantine: [{nodes: [5, 6], offset: 5ms, hash: $h}]}"
	  echo "expect: {containment: 1.0}"; } > nakamoto-implausible-$s.yaml
done
for s in 30 55; do
	h=$(awk -v s=$s 'BEGIN { printf "%.3f", 5 * s / (2 * (100 - s)) }')
	{ hdr nakamoto-withhold-$s "nakamoto: 2 miners with $s% of the hash power withhold 6 blocks at a time, then release them" nakamoto
	  echo "$NET"; echo "$GPS3"
	  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, byzantine: [{nodes: [5, 6], hash: $h, withhold: 6}]}"
	  echo "expect: {containment: 1.0, alarm: false}"; } > nakamoto-withhold-$s.yaml
done
# Selfish mining (Eyal and Sirer's strategy, node.h byz_selfish): below, at and above the 1/3 share where
# it pays with no tie-breaking advantage (gamma = 0). One pool: node 6 alone holds the share (6 honest at 1:
# h = 6s / (100 - s)); two selfish nodes would race each other. 256 slots hold the whole chain.
for s in 25 33 45; do
	h=$(awk -v s=$s 'BEGIN { printf "%.3f", 6 * s / (100 - s) }')
	{ hdr nakamoto-selfish-$s "nakamoto: node 6 with $s% of the hash power mines selfishly (withholds, releases to orphan honest blocks)" nakamoto
	  echo "$NET"; echo "$GPS3"
	  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, slots: 256, byzantine: [{nodes: [6], hash: $h, selfish: true}]}"
	  echo "expect: {containment: 1.0, alarm: false}"; } > nakamoto-selfish-$s.yaml
done
# The time-warp attack against the retargeting (node.h byz_timewarp): a majority (60%) and a minority
# (30%) stamp every block at the least the past rule allows, but each period's last block at its time.
# nakamoto-majority-60: the same 60% with honest timestamps, the control.
for s in 30 60; do
	h=$(awk -v s=$s 'BEGIN { printf "%.3f", 5 * s / (2 * (100 - s)) }')
	{ hdr nakamoto-timewarp-$s "nakamoto: 2 miners with $s% of the hash power stamp time-warp timestamps" nakamoto
	  echo "$NET"; echo "$GPS3"
	  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, slots: 256, byzantine: [{nodes: [5, 6], hash: $h, timewarp: true}]}"
	  echo "expect: {containment: 1.0, alarm: false}"; } > nakamoto-timewarp-$s.yaml
done
{ hdr nakamoto-majority-60 "nakamoto: 2 miners with 60% of the hash power, honest (the time warp's control)" nakamoto
  echo "$NET"; echo "$GPS3"
  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, slots: 256, byzantine: [{nodes: [5, 6], hash: 3.750}]}"
  echo "expect: {containment: 1.0, alarm: false}"; } > nakamoto-majority-60.yaml
# An eclipsed node: from 600 s to 1400 s (-short: to 700 s) node 0 reaches only nodes 5 and 6, implausible
# miners with 30% of the hash power (they state offsets 5 ms off; they still reach everyone).
for e in eclipse:1400s eclipse-short:700s; do
	n=${e%%:*} to=${e#*:}
	{ hdr nakamoto-$n "nakamoto: node 0 eclipsed by 2 implausible miners (30% of the hash power) from 600 s to ${to%s} s" nakamoto
	  echo "network: {delay: 1ms, jitter: 200us, jitter_max: 2ms, loss: 0.01, partitions: [{nodes: [0], except: [5, 6], from: 600s, to: $to}]}"
	  echo "$GPS3"
	  echo "nakamoto: {interval: 10s, hashes: 1000, step: 1s, byzantine: [{nodes: [5, 6], offset: 5ms, hash: 1.071}]}"
	  echo "expect: {containment: 1.0, max_tips: 1}"; } > nakamoto-$n.yaml
done
