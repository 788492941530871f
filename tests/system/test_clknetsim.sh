#!/bin/bash
# SPDX-License-Identifier: MIT
# The anchor's quick subset (docs/anchor.md has the whole matrix): bftimed,
# unmodified, disciplining a simulated clock through adjtimex beside
# Debian's chronyd, both clients of the same chronyd servers in clknetsim,
# chrony's own simulator (tests/clknetsim/run.sh: every world in a network
# namespace with CAP_SYS_TIME dropped). 6000 simulated seconds a world,
# statistics from 420 s. Then exports.adjtimex.source: network among 4
# bftimed without references (tests/clknetsim/netclock.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/system/lib.sh
out=$(mktemp) && trap 'rm -f "$out"' EXIT
tests/clknetsim/run.sh --matrix quick > "$out" 2>&1
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). ($(cat "$out"))"; exit 77
fi
cat "$out"
val() { sed -n "/world=$1 attack=$2 /s/.* $3=\([^ ]*\).*/\1/p" "$out"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
present() { [ -n "$(val "$1" "$2" polls)" ] && [ "$(val "$1" "$2" polls)" -gt 0 ]; }

for w in internet lan; do
	if present $w none; then
		check "$w, no attack: every poll's interval holds true time" \
			sh -c "[ $(val $w none misses) -eq 0 ] || echo '$(val $w none misses) misses'"
		check "$w, no attack: RMS error no larger than chronyd's ($(val $w none bft_rms_ms) vs $(val $w none chrony_rms_ms) ms)" \
			le "$(val $w none bft_rms_ms)" "$(val $w none chrony_rms_ms)"
		check "$w, no attack: worst error no larger than chronyd's ($(val $w none bft_max_ms) vs $(val $w none chrony_max_ms) ms)" \
			le "$(val $w none bft_max_ms)" "$(val $w none chrony_max_ms)"
	else
		ko "$w, no attack: the world ran"
	fi
done
for a in offset:20 walk:10; do
	if present internet $a; then
		check "3 of 7 servers $a: every poll's interval holds true time" \
			sh -c "[ $(val internet $a misses) -eq 0 ] || echo '$(val internet $a misses) misses'"
		check "3 of 7 servers $a: worst error at most 2x the no-attack worst ($(val internet $a bft_max_ms) vs $(val internet none bft_max_ms) ms)" \
			le "$(val internet $a bft_max_ms)" "$(awk -v m="$(val internet none bft_max_ms)" 'BEGIN{print 2*m}')"
	else
		ko "3 of 7 servers $a: the world ran"
	fi
done
if present internet nomajority; then
	check "2 of 4 servers +100 ms, f = 1: the alarm at every poll, never synchronized" \
		sh -c "[ $(val internet nomajority alarm_polls) -eq $(val internet nomajority polls) ] && [ $(val internet nomajority synced_polls) -eq 0 ] || echo 'alarm $(val internet nomajority alarm_polls) of $(val internet nomajority polls), synchronized $(val internet nomajority synced_polls)'"
else
	ko "no majority: the world ran"
fi
if present internet heal:3000; then
	check "the same, the liars back on true time at 3000 s: alarm until then, synchronized within two polls, no interval ever missed" \
		sh -c "fa=$(val internet heal:3000 first_alarm_s) la=$(val internet heal:3000 last_alarm_s) fs=$(val internet heal:3000 first_sync_s); [ \"\$fa\" != - ] && [ \"\$fs\" != - ] && [ \$fa -lt 3000 ] && [ \$fs -ge 3000 ] && [ \$fs -le 3040 ] && [ \$la -le \$fs ] && [ $(val internet heal:3000 last_state) = synchronized ] && [ $(val internet heal:3000 misses) -eq 0 ] || echo \"alarm \$fa-\$la s, first synchronized \$fs s, $(val internet heal:3000 misses) misses\""
else
	ko "heal: the world ran"
fi
# exports.adjtimex.source: network (docs/exports.md): 4 bftimed without
# references, each steering its own simulated system clock to the network
# clock they agree on; the clocks start 90 ms and 100 ppm apart.
nc=$(tests/clknetsim/run.sh --netclock 1 3000 2>&1)
echo "$nc"
ncv() { printf '%s\n' "$nc" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
if [ -n "$(ncv spread_max_ms)" ]; then
	check "adjtimex source network, no references: 4 system clocks from $(ncv start_spread_ms) ms apart to within 2 ms after 1200 s ($(ncv spread_max_ms) ms at most, $(ncv spread_end_ms) ms at the end), never stepped" \
		sh -c "[ $(ncv steps) -eq 0 ] && awk -v m=$(ncv spread_max_ms) -v s=$(ncv start_spread_ms) 'BEGIN { exit !(m <= 2 && s >= 50) }'"
else
	ko "netclock: the world ran"
fi
summary
