#!/bin/bash
# SPDX-License-Identifier: MIT
# One clknetsim world for exports.adjtimex.source: network (docs/exports.md,
# docs/internal-sync.md): 4 bftimed peering with each other (full mesh,
# f = 1), no reference at all, each disciplining its own simulated system
# clock to the network clock the 4 agree on. The clocks start 90 ms and
# 100 ppm apart. Prints one line of key=value results from clknetsim's offset
# log (one line a simulated second, a column a node: clock - true time):
#
#   netclock seed start_spread_ms spread_max_ms (after SETTLE) spread_end_ms
#   mean_end_ms (the network's distance from true time: not disciplined by
#   anything, so it only says where the agreement put it) steps (adjtimex
#   steps of the 4 clocks)
#
# Must run inside `unshare -n` with CAP_SYS_TIME dropped (run.sh --netclock
# does that): a call the simulator does not intercept would reach the real
# kernel.
set -u
bnd=$(awk '/^CapBnd/{print $2}' /proc/self/status)
if (( (0x$bnd >> 25) & 1 )); then echo "netclock.sh: CAP_SYS_TIME is in the bounding set: refusing to run" >&2; exit 2; fi
if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
	echo "netclock.sh: not in a network namespace of its own: refusing to run" >&2; exit 2
fi
: "${CNS:?}" "${BFTIME:?}" "${DIR:?}"
SEED=${SEED:-1} LIMIT=${LIMIT:-3000} SETTLE=${SETTLE:-1200}
mkdir -p "$DIR" && cd "$DIR" || exit 2
rm -f log.* stats sock ./*.key ./*.pub ./*.yaml
n=4
offs=(0 0.05 -0.04 0.02 -0.01) freqs=(0 5e-5 -5e-5 2e-5 -3e-5)
{
	for i in $(seq 1 $n); do
		echo "node${i}_offset = ${offs[$i]}"
		echo "node${i}_freq = (+ ${freqs[$i]} (sum (* 1e-9 (normal))))"
	done
	for i in $(seq 1 $n); do for j in $(seq 1 $n); do
		[ "$i" = "$j" ] || echo "node${i}_delay${j} = (+ 0.2e-3 (* 0.1e-3 (exponential)))"
	done; done
} > sim.conf
for i in $(seq 1 $n); do "$BFTIME/bftime" keygen --out "$DIR/n$i.key" > "$DIR/n$i.pub"; done
for i in $(seq 1 $n); do
	{
		printf 'node: {id: %s, listen: 192.168.123.%s:7301, key: %s/n%s.key}\n' "$i" "$i" "$DIR" "$i"
		printf 'peers:\n'
		for j in $(seq 1 $n); do
			[ "$i" = "$j" ] || printf '  - {id: %s, address: 192.168.123.%s:7301, public_key: %s}\n' "$j" "$j" "$(cat "$DIR/n$j.pub")"
		done
		printf 'consensus: {f: 1, poll: 8s}\n'
		# privsep: false: clknetsim simulates one process's system calls.
		printf 'exports: {adjtimex: {source: network}, privsep: false}\napi: none\nlog: {level: info}\n'
	} > n$i.yaml
done
export CLKNETSIM_RANDOM_SEED=$SEED CLKNETSIM_SOCKET=$DIR/sock
for i in $(seq 1 $n); do
	LD_PRELOAD=$CNS/clknetsim.so CLKNETSIM_NODE=$i "$BFTIME/bftimed" --config n$i.yaml > log.$i 2>&1 &
done
"$CNS/clknetsim" -s "$DIR/sock" -o log.offset -l "$LIMIT" sim.conf "$n" > stats 2> log.server
wait
steps=0
for i in $(seq 1 $n); do steps=$((steps + $(grep -c 'stepped the system clock' log.$i))); done
awk -v seed="$SEED" -v settle="$SETTLE" -v steps="$steps" '
	{ lo = $1; hi = $1; s = 0
	  for (k = 1; k <= NF; k++) { lo = $k < lo ? $k : lo; hi = $k > hi ? $k : hi; s += $k }
	  sp = (hi - lo) * 1000; if (NR == 1) start = sp
	  if (NR > settle && sp > mx) mx = sp
	  last = sp; mean = s / NF * 1000 }
	END { printf "netclock seed=%s start_spread_ms=%.3f spread_max_ms=%.3f spread_end_ms=%.3f mean_end_ms=%.3f steps=%d seconds=%d\n",
	      seed, start, mx, last, mean, steps, NR }' log.offset
