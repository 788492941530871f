#!/bin/sh
# SPDX-License-Identifier: MIT
# The solar reference's SoapySDR input (issue 18) through the real
# libSoapySDR, with no receiver attached: three bftimed on loopback, each
# reading `kind: solar, soapy: "driver=bftime-fake,..."`, a SoapySDR module
# built here from tests/system/fake_sdr.cpp that plays a solar-gen
# recording in real time (sample j of a capture delivered when
# CLOCK_REALTIME reaches the station clock's reading of it, as an ADC clocked
# by that station would; node 2's clock +7.3 us, node 3's -4.1 us). The
# daemons open the device, set rate, frequency and gain, read a block at
# each second through the stream API, stamp it with their raw clock after
# the read, publish fragments and correlate their peers' with their own
# blocks, as with a receiver. Nodes 1 and 2 know the time from a reference
# of their own, node 3 from its peers, node 4 (no peer takes it) never: a
# receiver's block is published on the node's estimate of true time, its
# stated error widened by the estimate's uncertainty, and not at all while
# the node does not know the time.
# Checks: each node reads both peers and every reading's interval holds
# true time (this machine's clock); the largest error shows what the path
# costs (the read's latency, up to 3 ms with three sanitizer builds on two
# cores, is in the stated bound: measured from before the stream's
# activation); node 4 published none of its blocks; the status says the
# input, counts the blocks and the failed reads outside the recording; a
# rate the device refuses stops the daemon with the device's reason.
# Exit 77 (skip) without g++ (the module is C++, as SoapySDR's API is).
# About 15 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
G=$B/tests/solar-gen
N=4 # nodes 1-3 peers of each other; node 4 alone (no peer takes it, no reference)
# A fixed base of its own (the other system tests use 20000-45000).
base=22500 # fixed, below the ephemeral range (32768-60999)
. tests/system/lib.sh
[ -x "$D" ] && [ -x "$G" ] || { echo "build/bftimed-test or build/tests/solar-gen missing: run make check"; exit 1; }
command -v g++ >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (g++ missing: skipped)"; exit 77; }
dir=$(mktemp -d /tmp/bftime-soapy.XXXXXX) || exit 1
trap 'stop_nodes 30' EXIT
trap 'exit 130' INT TERM HUP PIPE

mod=$dir/modules
mkdir -p "$mod"
g++ -std=c++17 -Wall -Wextra -Werror -O2 -fPIC -shared -o "$mod/libbftime-fake.so" tests/system/fake_sdr.cpp -lSoapySDR ||
	{ echo "fake_sdr.cpp did not build"; exit 1; }
export SOAPY_SDR_PLUGIN_PATH=$mod

make_keys
offs="0 7300 -4100 0"
BLOCKS=8 CAPTURE=65536 RATE=2400000
# Captures of 27 ms at each second from 4 s from now (the daemons are up by
# then); the daemons read blocks of 32768 samples (13.7 ms) from the
# moment they activate the stream, a little after each second.
start=$(( ( $(date +%s) + 4 ) * 1000000000 ))
"$G" -b $CAPTURE "$dir" "$start" $BLOCKS 1000000000 $offs > "$dir/sites" || { echo "solar-gen failed"; exit 1; }
off() { echo $offs | cut -d' ' -f"$1"; }
for i in $(seq 1 $N); do
	set -- $(sed -n "${i}p" "$dir/sites")
	lat=$2 lon=$3
	dev="driver=bftime-fake,file=$dir/n$i.sigmf-data,start=$((start + $(off "$i"))),every=1000000000,capture=$CAPTURE,count=$BLOCKS,rate=$RATE"
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in 1 2 3; do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: 127.0.0.1:$((base + 10 + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: 1s}"
		echo "references:"
		# Nodes 1 and 2 know the time from a reference of their own (the
		# system clock, 100 us); node 3 from its peers; node 4 never.
		[ "$i" -le 2 ] && echo "  - {kind: system, every: 1s, uncertainty: 100us}"
		echo "  - {kind: solar, name: sun, soapy: \"$dev\", centre: 1420000000, sample_rate: $RATE, bandwidth: 1920000, gain: 30, latitude: $lat, longitude: $lon, height: 100, position_error: 0.01, fragment: 4096, block: 32768, stamp_uncertainty: 100us, every: 1s}"
		echo "api: 127.0.0.1:$((base + 10 + i))"
		echo "store: $dir/n$i.db"
		echo "status: $dir/n$i.status"
	} > "$dir/n$i.yaml"
done

echo "[==========] $N bftimed reading a fake SoapySDR device (offsets $offs ns), $BLOCKS captures from $(date -u -d @$((start / 1000000000)) +%H:%M:%S)"
for i in $(seq 1 $N); do "$D" --config "$dir/n$i.yaml" > "$dir/n$i.log" 2>&1 & echo $! > "$dir/n$i.pid"; done
end=$(( start / 1000000000 + BLOCKS + 2 ))
while [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done

# Each reading: the peer, and its error against true time. A reading is an
# interval of true time at the own block's raw stamp, logged as an offset
# from the node's own estimate there, +- its half-width; this machine's
# clock is true time, and each poll logs the estimate's offset to it (the
# last poll before the reading stands in for the estimate at the block: it
# moves by microseconds in a second), so the reading's error is the logged
# offset plus that. The stations' clock offsets are the samples' timing
# errors, within the stated stamp uncertainty.
readings() {
	awk '/ poll: offset / { for (k = 1; k <= NF; k++) if ($k == "offset") { e = $(k + 1) * 1e6; break } }
	     / reference sun: peer [0-9]*: offset / { for (k = 1; k <= NF; k++) if ($k == "peer") p = $(k + 1); sub(":", "", p)
	         for (k = 1; k <= NF; k++) if ($k == "offset") { o = $(k + 1); h = $(k + 4) }
	         printf "%s %.0f %s\n", p, o + e, h }' "$dir/n$1.log"
}
holds() { # node: readings of both peers, every one holding true time
	i=$1
	readings "$i" > "$dir/r$i"
	n=$(wc -l < "$dir/r$i")
	[ "$n" -gt 0 ] || { echo "node $i: no readings; log: $(grep -m 3 'sun' "$dir/n$i.log" | tr '\n' ' ')"; return 1; }
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		grep -q "^$j " "$dir/r$i" || { echo "node $i: no reading of peer $j"; return 1; }
	done
	worst=0 widest=0
	while read -r j e h; do
		[ "$e" -lt 0 ] && e=$(( -e ))
		[ "$e" -le "$h" ] || { echo "node $i, peer $j: error $e ns against true time, half-width $h ns"; return 1; }
		[ $e -gt $worst ] && worst=$e
		[ "$h" -gt $widest ] && widest=$h
	done < "$dir/r$i"
	echo "$n readings, largest error $worst ns, widest +- $widest ns"
}
for i in 1 2 3; do check "node $i: readings of both peers from the device hold true time" holds "$i"; done
unknown() { # node 4 never knew the time: its blocks were read and kept, none published
	grep -q '"fragments_unpublished":[1-9]' "$1" && grep -q '"fragments_published":0,' "$1" ||
		{ echo "status: $(grep -o '"fragments_[a-z]*":[0-9]*' "$1" | tr '\n' ' ')"; return 1; }
	echo "$(grep -o '"fragments_[a-z]*published":[0-9]*' "$1" | tr '\n' ' ')"
}
check "node 4 (no peer, no reference: never synchronized) publishes none of its blocks" unknown "$dir/n4.status"
device() { # the status says the input is SoapySDR and counts its blocks and fragments
	grep -q '"input":"soapysdr"' "$1" && grep -q "\"blocks\":$BLOCKS," "$1" && grep -q '"fragments_published":[1-9]' "$1" ||
		{ echo "status: $(grep -o '"input":"[a-z]*"\|"blocks":[0-9]*\|"fragments_published":[0-9]*' "$1" | tr '\n' ' ')"; return 1; }
	# Reads before the first capture and after the last fail, as a
	# receiver that lost its samples would: counted, and said.
	awk '/"kind":"solar"/ { f = 1 } f && /"input_errors":[1-9]/ { ok = 1 } END { exit !ok }' "$1" && grep -q '"device_state":"read error from driver=bftime-fake' "$1" || { echo "read errors not counted"; return 1; }
	echo "$BLOCKS blocks read, $(awk '/"kind":"solar"/ { f = 1 } f && /"input_errors"/ { print; exit }' "$1" | tr -d ' ,')"
}
check "node 2's status: SoapySDR input, its blocks, fragments and read errors counted" device "$dir/n2.status"

refused() { # a rate the device does not have: the daemon stops at start with the device's reason
	sed "s/sample_rate: $RATE/sample_rate: 2000000/" "$dir/n1.yaml" | sed "s|$base|$((base + 20))|g" > "$dir/rate.yaml"
	if out=$(timeout 10 "$D" --config "$dir/rate.yaml" 2>&1); then echo "started"; return 1; fi
	printf '%s\n' "$out" | grep -q "refused the rate, frequency or gain: bftime-fake: the recording's rate is 2400000" || { echo "message: $out"; return 1; }
}
check "a rate the device refuses stops the daemon at start with the device's reason" refused
summary
