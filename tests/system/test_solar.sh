#!/bin/sh
# SPDX-License-Identifier: MIT
# The solar reference (issue 18) in three real bftimed on loopback: each fed
# a synthetic SigMF recording of the quiet Sun (build/tests/solar-gen: 1 m
# dishes 4 m apart where the Sun is highest now, 50 sfu, T_sys 150 K, 2.4
# MS/s) whose stamps carry a known clock offset (node 1: 0, node 2: +7.3 us,
# node 3: -4.1 us). Each node publishes signed 2-bit fragments of its blocks
# through the gossip client (POST /v1/solar), and correlates the peers'
# fragments with its own recording. Checks: every node makes readings of
# both peers; every reading's interval holds the true offset between the
# two recordings' clocks (peer's minus own) and is narrow (< 2 us: the
# stated stamp uncertainties, the stamps' conversion to the raw clock
# (about 0.3 us, docs/gps-drivers.md), the ionosphere's bound and the
# correlation's; widest seen +-0.75-0.80 us);
# the readings reach the node (its status counts them, its fusion uses
# them); node 3, its copy check bounded by sun_fraction, refuses none of its
# honest peers as copies; node 1, fusing its peers' readings with peers_f: 0, finds them
# inconsistent (their stamps differ by more than they state); a fourth node whose
# antenna is on the night side publishes nothing and says why; a bad
# fragment POSTed to the API is refused and counted; a SoapySDR input with
# no device stops the daemon at start with a clear message. About 20 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
G=$B/tests/solar-gen
N=4
dir=$(mktemp -d /tmp/bftime-solar.XXXXXX) || exit 1
# A fixed base of its own (the other system tests use 20000-45000).
base=22300 # fixed, below the ephemeral range (32768-60999)
. tests/system/lib.sh
trap 'stop_nodes 30' EXIT
trap 'exit 130' INT TERM HUP PIPE

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
[ -x "$D" ] && [ -x "$G" ] && [ -x "$B/bftime" ] || { echo "build/bftimed-test or build/tests/solar-gen missing: run make check"; exit 1; }
command -v curl >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl missing: skipped)"; exit 77; }

make_keys
offs="0 7300 -4100"
BLOCKS=8
# Recordings start 4 s from now (the daemons are up by then), a block a second.
start=$(( ( $(date +%s) + 4 ) * 1000000000 ))
"$G" "$dir" "$start" $BLOCKS 1000000000 $offs > "$dir/sites" || { echo "solar-gen failed"; exit 1; }
solar_ref() { # node, latitude, longitude, recording
	# Node 1 fuses its two peers' readings tolerating no liar (peers_f: 0).
	pf=; [ "$1" = 1 ] && pf=", peers_f: 0"
	# Node 3 bounds its own solar fraction for the copy check and any peer's
	# for the relay check (the recordings' is 0.32): its honest peers must
	# still pass both.
	[ "$1" = 3 ] && pf=", sun_fraction: 0.4, peer_sun_fraction: 0.4"
	echo "  - {kind: solar, name: sun, recording: $4, centre: 1420000000, sample_rate: 2400000, bandwidth: 1920000, latitude: $2, longitude: $3, height: 100, position_error: 0.01, fragment: 4096, block: 16384, stamp_uncertainty: 100ns, every: 1s$pf}"
}
for i in $(seq 1 $N); do
	if [ "$i" -le 3 ]; then
		set -- $(sed -n "${i}p" "$dir/sites")
		lat=$2 lon=$3 rec=$dir/n$i
	else
		# The antipode of station 1: night there.
		set -- $(sed -n "1p" "$dir/sites")
		lat=$(echo "$2" | sed 's/^-//;t;s/^/-/') lon=$(awk -v l="$3" 'BEGIN { l += 180; if (l >= 180) l -= 360; printf "%.9f", l }')
		rec=$dir/n1
	fi
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 3); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: 1s}"
		echo "references:"
		[ "$i" = 1 ] && echo "  - {kind: system, every: 1s, uncertainty: 10ms}"
		solar_ref "$i" "$lat" "$lon" "$rec"
		echo "api: $(api "$i")"
		echo "store: $dir/n$i.db"
		echo "status: $dir/n$i.status"
	} > "$dir/n$i.yaml"
done

echo "[==========] $N bftimed with solar references (SigMF, offsets $offs ns), $BLOCKS blocks from $(date -u -d @$((start / 1000000000)) +%H:%M:%S)"
check "config with a solar reference accepted" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
for i in $(seq 1 $N); do "$D" --config "$dir/n$i.yaml" > "$dir/n$i.log" 2>&1 & echo $! > "$dir/n$i.pid"; done

# Until every block has been played (start + BLOCKS s) and a little after;
# meanwhile, whether node 2's fusion used its solar reference (its only
# reference: the readings enter the fusion like any reference's).
solar_used() { awk '/"used":/ { u = $0 } /"kind":"solar"/ { if (u ~ /true/) f = 1 } END { exit !f }' "$1"; }
used2=0
end=$(( start / 1000000000 + BLOCKS + 2 ))
while [ "$(date +%s)" -lt "$end" ]; do
	[ -f "$dir/n2.status" ] && solar_used "$dir/n2.status" && used2=1
	sleep 0.3
done

# Log lines "reference sun: peer J: offset +X ns +- H ns (...)".
readings() { sed -n 's/.*reference sun: peer \([0-9]*\): offset \([-+0-9]*\) ns +- \([0-9]*\) ns.*/\1 \2 \3/p' "$dir/n$1.log"; }
off() { echo $offs | cut -d' ' -f"$1"; }
holds() { # node: every reading holds the truth, narrow; both peers read
	i=$1
	readings "$i" > "$dir/r$i"
	n=$(wc -l < "$dir/r$i")
	[ "$n" -gt 0 ] || { echo "node $i: no readings"; return 1; }
	worst=0 widest=0
	for j in 1 2 3; do
		[ "$j" = "$i" ] && continue
		grep -q "^$j " "$dir/r$i" || { echo "node $i: no reading of peer $j"; return 1; }
	done
	while read -r j o h; do
		t=$(( $(off "$j") - $(off "$i") ))
		e=$(( o - t )); [ $e -lt 0 ] && e=$(( -e ))
		[ "$e" -le "$h" ] || { echo "node $i, peer $j: offset $o ns +- $h ns misses the truth $t ns"; return 1; }
		[ "$h" -lt 2000 ] || { echo "node $i, peer $j: half-width $h ns (not < 2 us)"; return 1; }
		[ $e -gt $worst ] && worst=$e
		[ "$h" -gt $widest ] && widest=$h
	done < "$dir/r$i"
	echo "$n readings, largest error $worst ns, widest +- $widest ns"
}
for i in 1 2 3; do check "node $i: readings of both peers hold the true offset, narrow" holds "$i"; done

counted() { # the status file counts the reference's readings and fragments
	s=$dir/n$1.status
	grep -q '"fragments_published":[1-9]' "$s" && grep -q '"last_offset_ns":' "$s" || { echo "status: $(grep -o '"fragments_[a-z]*":[0-9]*' "$s" | tr '\n' ' ')"; return 1; }
	echo "$(grep -o '"fragments_received":[0-9]*' "$s")"
}
check "node 2's status shows the solar reference's fragments and last reading" counted 2
nocopy() { # node 3 (sun_fraction, peer_sun_fraction: 0.4) refused no honest peer's fragment as a copy
	grep -q '"copy":0' "$dir/n3.status" || { echo "status: $(grep -o '"copy":[0-9]*' "$dir/n3.status")"; return 1; }
}
check "node 3's copy and relay checks (0.4) pass its honest peers" nocopy
check "node 2's fusion used its solar reference while the blocks played" test "$used2" = 1
# Nodes 2 and 3 state 100 ns but their stamps differ by 11.4 us: node 1,
# fusing their readings of one block with peers_f: 0, finds no point they
# share and makes no reading (a reading carried from the previous block has
# widened by the drift bound, 500 ppm over a second, and may still fuse).
inconsistent() {
	grep -q "reference sun: no fused reading: the peers' readings share no point covered by all but f" "$dir/n1.log" || { echo "not in the log"; return 1; }
	grep -q '"fuse_faults":[1-9]' "$dir/n1.status" || { echo "not counted"; return 1; }
}
check "node 1 (peers_f: 0) finds its peers' stamps of one block inconsistent" inconsistent
night() {
	grep -q "the Sun is below the 10.0 degree mask: no fragments, no readings" "$dir/n4.log" || { echo "no night message"; return 1; }
	! grep -q "reference sun: peer" "$dir/n4.log" || { echo "node 4 made readings at night"; return 1; }
}
check "node 4 (antenna on the night side): no fragments, no readings, says why" night

post_solar() { # body file: the HTTP code
	curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/octet-stream' \
		--data-binary @"$1" "http://$(api 1)/v1/solar"
}
bad_fragment() {
	printf 'BFSF\001not a fragment' > "$dir/bad.frag"
	for k in 1 2 3; do
		code=$(post_solar "$dir/bad.frag")
		[ "$code" = 202 ] || { echo "HTTP $code"; return 1; }
	done
	sleep 1.5
	# Logged once at info (anyone may POST: no flood of the log), all three counted.
	n=$(grep -c "reference sun: fragment refused: not a valid fragment" "$dir/n1.log")
	[ "$n" = 1 ] || { echo "logged $n times at info"; return 1; }
	grep -q '"invalid":[3-9]' "$dir/n1.status" || { echo "not counted: $(grep -o '"invalid":[0-9]*' "$dir/n1.status")"; return 1; }
	kill -0 "$(cat "$dir/n1.pid")" || { echo "node 1 died"; return 1; }
}
check "bad fragments POSTed to /v1/solar are refused, counted, logged once, the node keeps running" bad_fragment
too_large() { # longer than any fragment: 413, counted, not queued (it was a retryable 503)
	head -c 100000 /dev/zero > "$dir/big.frag"
	code=$(post_solar "$dir/big.frag")
	[ "$code" = 413 ] && grep -q '"too_large"' "$dir/body" && grep -q 'a solar fragment is at most [0-9]* bytes, this body has 100000' "$dir/body" ||
		{ echo "HTTP $code: $(cat "$dir/body")"; return 1; }
	sleep 1.2
	grep -q '"fragments_too_large":1' "$dir/n1.status" || { echo "not counted"; return 1; }
}
check "a body longer than any fragment: 413 with the limit, counted" too_large

no_device() {
	sed 's|recording: [^,]*,|soapy: "driver=bftime-test-none",|' "$dir/n1.yaml" | sed "s|$base|$((base + 20))|g" > "$dir/soapy.yaml"
	if out=$(timeout 10 "$D" --config "$dir/soapy.yaml" 2>&1); then echo "started"; return 1; fi
	printf '%s\n' "$out" | grep -q 'no SoapySDR device found for "driver=bftime-test-none"' || { echo "message: $out"; return 1; }
}
check "a SoapySDR input without a device stops the daemon at start, saying so" no_device
summary
