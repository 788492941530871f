#!/bin/sh
# SPDX-License-Identifier: MIT
# bftime gps-decode against gpsd as an oracle. For every capture NAME.log in
# ../shared/data/gpsd-nmea (gpsd's regression captures), the sequence of
# distinct fix times we print (consecutive duplicates collapsed) must equal
# the sequence of distinct TPV "time" values in gpsd's NAME.log.chk, exactly
# (same strings, same order, same count; a capture where gpsd reports no time
# must give no fix). One documented exception is checked against an explicit
# expectation, not skipped: neo-m8n.log, whose .chk gpsd made with its week
# rollover correction active, agrees only with --wkro (docs/gps.md). Every
# capture must also decode with exit status 0 (no crash). Self-contained
# checks (exit codes, stderr format, a midnight rollover) run without the
# captures; without them the oracle part is reported SKIPPED.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
C=$B/bftime
DATA=${GPSD_NMEA_DIR:-../shared/data/gpsd-nmea}
dir=$(mktemp -d /tmp/bftime-gps.XXXXXX) || exit 1
. tests/system/lib.sh
trap 'rm -rf "$dir"' EXIT

[ -x "$C" ] || { echo "build/bftime missing: run make"; exit 1; }

# Options a capture needs to agree with its .chk (documented in docs/gps.md).
opts_for() {
	case "$1" in
	neo-m8n.log) echo "--wkro" ;;
	*) echo "" ;;
	esac
}

times_of_chk() { grep -a '"class":"TPV"' "$1" | grep -o '"time":"[^"]*"' | cut -d'"' -f4 | uniq; }
times_of_ours() { grep -o '"time":"[^"]*"' "$1" | cut -d'"' -f4 | uniq; }

# --- self-contained ---------------------------------------------------------
# A sample with a midnight rollover carried by time-only sentences (GGA after
# an RMC of the day before), a bad checksum and a garbage line.
cat > "$dir/sample.log" <<'EOF'
# a comment
$GPRMC,235959.00,A,4807.038,N,01131.000,E,0.0,0.0,311299,,,A*5C
$GPGGA,235959.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*65
$GPGGA,000000.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*64
$GPGGA,000001.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*65
$GPGGA,000002.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*00
binary junk
EOF
"$C" gps-decode "$dir/sample.log" --json > "$dir/s.out" 2> "$dir/s.err"
rc=$?
check "sample decodes with exit 0" test "$rc" = 0
got=$(times_of_ours "$dir/s.out" | tr '\n' ' ')
want="1999-12-31T23:59:59.000Z 2000-01-01T00:00:00.000Z 2000-01-01T00:00:01.000Z "
check "midnight rollover on GGA: $want" test "$got" = "$want"
check "bad checksum reported as FILE:LINE" grep -q "^$dir/sample.log:6: bad checksum in GPGGA\$" "$dir/s.err"
check "garbage reported as FILE:LINE" grep -q "^$dir/sample.log:7: garbage\$" "$dir/s.err"
check "summary counts errors by reason" grep -q "2 errors (garbage: 1, bad checksum: 1)" "$dir/s.err"
"$C" gps-decode "$dir/sample.log" --strict > /dev/null 2>&1
rc=$?
check "--strict with errors exits 1" test "$rc" = 1
"$C" gps-decode "$dir/missing.log" > /dev/null 2>&1
rc=$?
check "missing file exits 2" test "$rc" = 2
"$C" gps-decode > /dev/null 2>&1
rc=$?
check "no file exits 2" test "$rc" = 2

# --- the oracle -------------------------------------------------------------
if [ ! -d "$DATA" ] || ! ls "$DATA"/*.log.chk > /dev/null 2>&1; then
	skipped "gpsd oracle: $DATA missing (gpsd regression captures not on this machine)"
	summary
fi
n=0 agree=0
for f in "$DATA"/*.log; do
	name=${f##*/}
	[ -f "$f.chk" ] || continue
	n=$((n + 1))
	# shellcheck disable=SC2046
	"$C" gps-decode "$f" --json --quiet $(opts_for "$name") > "$dir/out" 2> "$dir/err"
	rc=$?
	times_of_chk "$f.chk" > "$dir/want"
	times_of_ours "$dir/out" > "$dir/got"
	w=$(wc -l < "$dir/want")
	if [ "$rc" != 0 ]; then
		ko "gpsd oracle $name" "exit status $rc: $(tail -n 1 "$dir/err")"
	elif cmp -s "$dir/want" "$dir/got"; then
		ok "gpsd oracle $name ($w distinct fix times agree$(o=$(opts_for "$name"); [ -n "$o" ] && echo ", with $o"))"
		agree=$((agree + 1))
	else
		ko "gpsd oracle $name" "gpsd $w distinct times, ours $(wc -l < "$dir/got"); first difference: $(diff "$dir/want" "$dir/got" | sed -n 2p)"
	fi
done
echo "gps-decode: $agree of $n captures agree with gpsd"
# The fuzzy cases must never crash, and decode to gpsd's times (above).
if [ -f "$DATA/nmea-fuzzy-cases.log" ]; then
	"$C" gps-decode "$DATA/nmea-fuzzy-cases.log" > /dev/null 2>&1
	rc=$?
	check "nmea-fuzzy-cases.log decodes without a crash" test "$rc" = 0
fi
summary
