#!/bin/sh
# SPDX-License-Identifier: MIT
# The reference guard in a real bftimed, and the store opened after dropping
# root. Two nodes on loopback, no peers between them:
#   node 1: one simulated GPS (+-50 us) that a "spoofer" takes over 12 s after
#     start, shifting it +5 ms (offset_after). The node must quarantine it
#     (jump), say so in its log, status file, API and metrics, hold over (its
#     interval still holds CLOCK_REALTIME and its estimate does not move by
#     the lie), and never readmit it.
#   node 2 (only when run as root and user `nobody` exists): `user: nobody`
#     with a proof store in a directory nobody owns: the store's files must
#     belong to nobody and proofs must be issued.
# Prints a cmocka-style summary; about 30 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=2
dir=$(mktemp -d /tmp/bftime-guard.XXXXXX) || exit 1
chmod 755 "$dir"
base=21600 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
. tests/system/lib.sh
trap 'stop_nodes 20' EXIT
trap 'exit 130' INT TERM HUP PIPE
[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
api() { echo "127.0.0.1:$((base + 10 + $1))"; }
make_keys

cat > "$dir/n1.yaml" <<EOC
node: {id: 1, listen: 127.0.0.1:$((base + 1)), key: $dir/n1.key}
consensus: {f: 0, poll: 2s, readmit: 8s}
# The simulated GPS reads CLOCK_REALTIME and the node CLOCK_MONOTONIC_RAW, one
# crystal: 100 ppm bounds them. At the daemon's default 500 ppm the young fit's
# worst-case frequency uncertainty (interval widths over 10 s of history) makes
# the readmission band 4.6 ms wide after 16 s, and the check below would measure
# that instead of the lie.
clock: {rho_ppm: 100}
references:
  - {kind: simulated, name: gps0, every: 1s, noise: 10us, uncertainty: 50us, offset: 5ms, offset_after: 12s}
api: $(api 1)
status: $dir/n1.json
EOC
"$D" --config "$dir/n1.yaml" > "$dir/n1.log" 2>&1 & echo $! > "$dir/n1.pid"

root_test=""
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	root_test=1
	mkdir "$dir/store" && chown nobody "$dir/store"
	chmod 644 "$dir/n2.key" && chown nobody "$dir/n2.key" && chmod 600 "$dir/n2.key"
	cat > "$dir/n2.yaml" <<EOC
node: {id: 2, listen: 127.0.0.1:$((base + 2)), key: $dir/n2.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 10us, uncertainty: 50us}
api: $(api 2)
user: nobody
store: $dir/store/n2.db
proof_interval: 1s
EOC
	"$D" --config "$dir/n2.yaml" > "$dir/n2.log" 2>&1 & echo $! > "$dir/n2.pid"
fi

echo "[==========] bftimed with a GPS spoofed +5 ms after 12 s${root_test:+, and one running as nobody with a store}"
sleep 8
s=$dir/n1.json
check "node 1 synced on its GPS before the spoofer" sh -c "grep -q '\"synced\":true' $s && grep -q '\"quarantine\":\"none\"' $s"
est_before=$(field "$s" system_offset_ns)
sleep 16
cp "$s" "$dir/after.json"
s=$dir/after.json
q=$(sed -n 's/.*"quarantine":"\([a-z]*\)".*/\1/p' "$s" | head -n 1)
check "the spoofed GPS is quarantined for a jump" sh -c "[ '$q' = jump ] || { echo \"quarantine: $q\"; exit 1; }"
by=$(sed -n 's/.*"quarantine_by_ns":\([-0-9]*\).*/\1/p' "$s" | head -n 1)
# By how far the latest reading misses the band the node would readmit it
# in: the lie less the holdover band, which widens with time.
check "it misses the node's band by most of the lie (1-5 ms)" sh -c \
	"[ \"${by:-0}\" -gt 1000000 ] && [ \"${by:-0}\" -lt 5000000 ] || { echo \"by ${by:-?} ns\"; exit 1; }"
check "the log names the jump (+4.x ms)" grep -q 'quarantined: it jumped against the oscillator.s prediction by +4\.' "$dir/n1.log"
check "the log raises the alarm" grep -q 'ALARM: reference gps0 quarantined' "$dir/n1.log"
t=$(now_ns)
a=$(field "$s" as_of_realtime_ns) lo=$(field "$s" earliest_ns) hi=$(field "$s" latest_ns)
el=$((t - a)) d=$(( (t - a) / 10000 + 1000000))
check "holding over: the interval still holds CLOCK_REALTIME" sh -c \
	"[ $((lo + el - d)) -le $t ] && [ $((hi + el + d)) -ge $t ] || { echo \"[$lo, $hi] at $a, now $t\"; exit 1; }"
est_after=$(field "$s" system_offset_ns)
check "the estimate did not follow the lie (moved < 0.5 ms)" sh -c \
	"x=$(( ${est_after:-0} - ${est_before:-0} )); [ \$x -lt 500000 ] && [ \$x -gt -500000 ] || { echo \"moved \$x ns\"; exit 1; }"
check "still quarantined after more than 'readmit' (the lie goes on)" sh -c "grep -q '\"quarantine\":\"jump\"' $s && grep -q '\"reference_readmissions\":0' $s"
check "metrics: bftime_source_quarantined 1 and a quarantine counted" sh -c \
	"curl -s --max-time 5 http://$(api 1)/metrics > $dir/metrics && grep -q '^bftime_source_quarantined{type=\"reference\",id=\"0\",[^}]*} 1' $dir/metrics && grep -q '^bftime_reference_quarantines_total 1' $dir/metrics"
check "bftime status names the quarantine" sh -c "\"$C\" status --api $(api 1) | grep -q 'quarantined'"

if [ -n "$root_test" ]; then
	owners=$(stat -c %U "$dir"/store/n2.db* 2>/dev/null | sort -u | tr '\n' ' ')
	check "store files belong to nobody (opened after dropping root)" sh -c "[ '$owners' = 'nobody ' ] || { echo \"owners: $owners\"; exit 1; }"
	check "node 2 runs as nobody" grep -q 'running as user nobody' "$dir/n2.log"
	check "node 2 stores and serves its proofs" sh -c "curl -s --max-time 5 'http://$(api 2)/v1/proofs' | grep -q '\"seq\"'"
else
	skipped "privilege drop (needs root and user nobody)"
fi
summary
