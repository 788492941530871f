#!/bin/bash
# SPDX-License-Identifier: MIT
# One clknetsim world: NTP servers (Debian's chronyd, `local stratum 1`),
# and two clients of the same servers on identical oscillators: chronyd and
# bftimed (exports.adjtimex), both unmodified, their system calls redirected
# by clknetsim.so. Prints one line of key=value results:
#
#   world attack seed poll chrony_max_ms chrony_rms_ms bft_max_ms bft_rms_ms
#   polls misses worst_miss_ms alarm_polls synced_polls last_state
#
# Must run inside `unshare -n` with CAP_SYS_TIME dropped (run.sh does that):
# it checks both and refuses otherwise, since a call the simulator does not
# intercept would reach the real kernel.
#
# Environment: WANDER (the clients' random walk of frequency, per second, default 1e-9),
# CNS (the built clknetsim directory), BFTIME (build dir with
# bftimed and bftime), WORLD (internet | lan), ATTACK (none | offset:MS |
# walk:PPM | nomajority | heal:S: nomajority's liars back on true time from second S |
# split:PPM: 2 of 4 servers walking away, f = 1), SEED, POLL (default | 64 | 1024), LIMIT (simulated
# seconds, default 20000), RESET (statistics start, default 420), DIR (work
# directory, kept for inspection). For experiments: CLIENT_OFFSET (the two
# clients' initial offset, default 0.1 s), CNS_EXTRA (more clknetsim options,
# e.g. "-g log.rawfreq": each node's raw frequency per second), BFT_CONSENSUS,
# BFT_CLOCK and BFT_REF (extra lines for bftimed's consensus, clock and every
# reference, e.g. BFT_CLOCK="history_span: 4096s", BFT_REF=$'burst: 4\nburst_for: 86400s').
set -u
bnd=$(awk '/^CapBnd/{print $2}' /proc/self/status)
if (( (0x$bnd >> 25) & 1 )); then echo "world.sh: CAP_SYS_TIME is in the bounding set: refusing to run" >&2; exit 2; fi
if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
	echo "world.sh: not in a network namespace of its own: refusing to run" >&2; exit 2
fi
: "${CNS:?}" "${BFTIME:?}" "${DIR:?}"
WORLD=${WORLD:-internet} ATTACK=${ATTACK:-none} SEED=${SEED:-1} POLL=${POLL:-default}
LIMIT=${LIMIT:-20000} RESET=${RESET:-420}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR" && cd "$DIR" || exit 2
rm -f log.* stats sock node.key heal.steps ./*.conf ./*.yaml

nserv=7 f=3 liars="5 6 7"
case $ATTACK in
none) liars="" ;;
offset:* | walk:*) ;;
nomajority | heal:* | split:*) nserv=4 f=1 liars="3 4" ;;
*) echo "world.sh: unknown attack $ATTACK" >&2; exit 2 ;;
esac
case $WORLD in
internet) delay="(+ 10e-3 (* 2e-3 (exponential)))" ;;
lan) delay="(+ 0.1e-3 (* 0.1e-3 (exponential)))" ;;
*) echo "world.sh: unknown world $WORLD" >&2; exit 2 ;;
esac
chrony=$((nserv + 1)) bft=$((nserv + 2)) n=$((nserv + 2))
{
	for i in $(seq 1 "$nserv"); do
		off=0 freq=0
		if [[ " $liars " == *" $i "* ]]; then
			case $ATTACK in
			offset:*) off=$(awk -v m="${ATTACK#offset:}" 'BEGIN{print m/1000}') ;;
			walk:*) freq=$(awk -v p="${ATTACK#walk:}" 'BEGIN{print p*1e-6}') ;;
			nomajority) off=0.1 ;;
			split:*) freq=$(awk -v p="${ATTACK#split:}" 'BEGIN{print p*1e-6}') ;;
			heal:*) # +100 ms until the given second, then true time: a step of -0.1 s
				# (clknetsim takes the file's line k at second k - 1: line S + 1 is second S)
				off=0.1
				awk -v at="${ATTACK#heal:}" -v n="$LIMIT" 'BEGIN { for (t = 1; t <= n + 2; t++) print (t == at + 1 ? -0.1 : 0) }' > heal.steps
				echo "node${i}_step = (file \"heal.steps\")" ;;
			esac
		fi
		echo "node${i}_offset = $off"
		echo "node${i}_freq = $freq"
	done
	# The clients: 0.1 s off, 100 ppm fast plus a random walk.
	for i in $chrony $bft; do
		echo "node${i}_offset = ${CLIENT_OFFSET:-0.1}"
		echo "node${i}_freq = (+ 1e-4 (sum (* ${WANDER:-1e-9} (normal))))"
	done
	for i in $(seq 1 $n); do for j in $(seq 1 $n); do
		[ "$i" = "$j" ] || echo "node${i}_delay${j} = $delay"
	done; done
} > sim.conf

export CLKNETSIM_RANDOM_SEED=$SEED CLKNETSIM_SOCKET=$DIR/sock
pre=$CNS/clknetsim.so
for i in $(seq 1 "$nserv"); do
	printf 'pidfile %s/pid.%s\nallow\nlocal stratum 1\n' "$DIR" "$i" > chrony.$i.conf
	LD_PRELOAD=$pre CLKNETSIM_NODE=$i chronyd -d -u root -f chrony.$i.conf > log.$i 2>&1 &
done
{
	printf 'pidfile %s/pid.%s\n' "$DIR" "$chrony"
	for i in $(seq 1 "$nserv"); do echo "server 192.168.123.$i"; done
} > chrony.$chrony.conf
LD_PRELOAD=$pre CLKNETSIM_NODE=$chrony chronyd -d -u root -f chrony.$chrony.conf > log.$chrony 2>&1 &

"$BFTIME/bftime" keygen --out "$DIR/node.key" > /dev/null
{
	printf 'node:\n  id: 1\n  listen: 192.168.123.%s:7301\n  key: %s/node.key\n' "$bft" "$DIR"
	printf 'consensus:\n  f: %s\n' "$f"
	[ "$POLL" = default ] || printf '  poll: %ss\n' "$POLL"
	# BFT_CONSENSUS: extra consensus settings for experiments, e.g. "algorithm: ft-midpoint".
	[ -z "${BFT_CONSENSUS:-}" ] || printf '  %s\n' "$BFT_CONSENSUS"
	printf 'references:\n'
	for i in $(seq 1 "$nserv"); do
		printf '  - kind: ntp\n    server: 192.168.123.%s\n' "$i"
		[ "$POLL" = default ] || printf '    every: %ss\n' "$POLL"
		# BFT_REF: extra settings of every reference, e.g. "burst: 4" (one per line).
		[ -z "${BFT_REF:-}" ] || printf '%s\n' "$BFT_REF" | sed 's/^/    /'
	done
	# privsep: false: clknetsim simulates one process's system calls, so the
	# clock stays in the engine (as chronyd -u root does here).
	printf 'exports:\n  adjtimex: true\n  privsep: false\napi: none\nlog:\n  level: debug\n'
	# BFT_CLOCK: extra clock settings for experiments, e.g. "min_fit_samples: 3".
	[ -z "${BFT_CLOCK:-}" ] || printf 'clock:\n  %s\n' "$BFT_CLOCK"
} > bft.yaml
LD_PRELOAD=$pre CLKNETSIM_NODE=$bft "$BFTIME/bftimed" --config bft.yaml > log.$bft 2>&1 &

"$CNS/clknetsim" -s "$DIR/sock" -o log.offset ${CNS_EXTRA:-} -r "$RESET" -l "$LIMIT" sim.conf "$n" > stats 2> log.server
wait
awk -v col="$bft" -v reset="$RESET" -v chrony="$chrony" -v bft="$bft" \
    -v world="$WORLD" -v attack="$ATTACK" -v seed="$SEED" -v poll="$POLL" \
    -f "$here/judge.awk" stats log.offset log.$bft
