#!/bin/sh
# SPDX-License-Identifier: MIT
# A flood under a peer's own address (issue 13, finding 5). Three real
# bftimed on loopback, each at an address of its own (127.0.0.1-3), f = 1,
# poll 1 s. A raw socket then sends node 1, for 20 s at 20,000 datagrams a
# second, everything an attacker can put under node 2's address and port:
# junk, well-formed REQUESTs, RESPONSEs and FOLLOWUPs claiming node 2 with
# random nonces and signatures, and replays of node 2's genuine datagrams
# to node 1, captured on lo before the flood. Before the gate, one bucket per
# source address was charged before the signature was checked: node 2's
# bucket stayed empty and node 1 stopped using it within seconds. Checks:
# node 1 uses node 2 in at least 80 % of the samples taken during the flood
# (and node 2 uses node 1), stays synchronized with CLOCK_REALTIME in its
# interval, the flood reached it (rate_limited, bad_signature counted),
# and it keeps running. Needs root (a raw socket for the forged source);
# elsewhere it prints SKIPPED and passes. Prints a cmocka-style summary;
# about 45 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=3
POLL=1
LIAR=0
SECS=${SPOOF_SECS:-20}
PPS=${SPOOF_PPS:-20000}
dir=$(mktemp -d /tmp/bftime-spoof.XXXXXX) || exit 1
base=21900 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
PY=$(command -v python3)
fpid=""
. tests/system/lib.sh
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	stop_nodes 15
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
skip_all() {
	echo "[==========] spoof: SKIP: $1"
	skipped "spoofed-address flood: $1"
	summary
}
[ -n "$PY" ] || skip_all "python3 is not installed"
[ "$(id -u)" -eq 0 ] || skip_all "not root: forging a source address needs a raw socket (CAP_NET_RAW)"
"$PY" -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW); socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))' 2>/dev/null ||
	skip_all "raw sockets are not available here"

cat > "$dir/flood.py" <<'EOF'
# Datagrams with source src:sport (a peer's address) to dst:dport through a
# raw socket, for secs at about pps a second; writes "sent seconds captured".
import os, random, socket, struct, sys, time
src, sport, dst, dport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
secs, pps, peer_id, our_id, out = float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), sys.argv[9]
rnd = random.Random(13)
sb, db = socket.inet_aton(src), socket.inet_aton(dst)
# The peer's genuine datagrams to the target, captured on lo for 3 s: replayed.
cap = []
sn = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
sn.bind(('lo', 0))
sn.settimeout(0.2)
t_end = time.time() + 3
while time.time() < t_end and len(cap) < 32:
    try:
        f = sn.recv(2048)
    except socket.timeout:
        continue
    ip = f[14:]
    if len(ip) < 28 or ip[9] != 17 or ip[12:16] != sb or ip[16:20] != db:
        continue
    ihl = (ip[0] & 15) * 4
    if struct.unpack('!HH', ip[ihl:ihl + 4]) == (sport, dport):
        cap.append(ip[ihl + 8:])
sn.close()
def tlv(tag, v, n):
    return bytes([tag, n]) + (v % (1 << (8 * n))).to_bytes(n, 'big')
def forged(kind):  # wire v1 (docs/protocol.md), a random signature
    b = b'BT\x01' + bytes([kind]) + tlv(1, peer_id, 4) + tlv(2, our_id, 4) + tlv(3, rnd.getrandbits(64), 8)
    b += tlv(8, 1, 1) + tlv(9, 0, 1) + tlv(6, 10**6, 8) + tlv(7, 10**6, 8)
    b += tlv(4, time.time_ns() + rnd.randrange(-10**9, 10**9), 8)
    if kind == 1:
        b += bytes([0x80, 90 - len(b)]) + bytes(90 - len(b))
    else:
        b += tlv(5, time.time_ns(), 8) + tlv(10, rnd.getrandbits(64), 8) + tlv(11, 0, 8)
    return b + b'\xff\x40' + os.urandom(64)
pool = [forged(1 + i % 3) for i in range(600)]
pool += [os.urandom(rnd.randrange(0, 300)) for _ in range(300)]
pool += [b'BT\x01\x01' + os.urandom(rnd.randrange(0, 200)) for _ in range(100)]
pool += cap * 10
def packet(p):  # UDP checksum 0: none (IPv4); the kernel fills the IP checksum
    udp = struct.pack('!HHHH', sport, dport, 8 + len(p), 0) + p
    return struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), rnd.getrandbits(16), 0, 64, 17, 0, sb, db) + udp
pkts = [packet(p) for p in pool]
rnd.shuffle(pkts)
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
n, t0 = 0, time.time()
while True:
    now = time.time() - t0
    if now >= secs:
        break
    if n > now * pps:
        time.sleep((n - now * pps) / pps)
        continue
    for _ in range(100):
        try:
            raw.sendto(pkts[n % len(pkts)], (dst, 0))
        except OSError:
            pass
        n += 1
with open(out, 'w') as f:
    f.write('%d %.1f %d\n' % (n, time.time() - t0, len(cap)))
EOF

make_keys
for i in $(seq 1 $N); do
	{
		echo "node: {id: $i, listen: 127.0.0.$i:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.$j:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: ${POLL}s}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "status: $dir/n$i.json"
		echo "api: none"
	} > "$dir/n$i.yaml"
done
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
echo "[==========] $N bftimed at 127.0.0.1-$N, a flood of $PPS datagrams/s for $SECS s at node 1 under node 2's address"
for i in $(seq 1 $N); do start "$i"; done

# Sample node $1's status every second for $2 s: how often it used peer $3.
sample() { # node, seconds, peer -> "used of taken", and $used, $taken
	used=0 taken=0
	for _ in $(seq 1 "$2"); do
		sleep 1
		cp "$dir/n$1.json" "$dir/sample$1.json" 2>/dev/null || continue
		taken=$((taken + 1))
		[ "$(peer_used "$dir/sample$1.json" "$3")" = true ] && used=$((used + 1))
	done
}
k=0
until [ "$(field "$dir/n1.json" synced 2>/dev/null)" = true ] && [ "$(peer_used "$dir/n1.json" 2 2>/dev/null)" = true ] ||
	[ $k -ge 40 ]; do sleep 0.5; k=$((k + 1)); done
sample 1 5 2
before="$used of $taken"
check "before the flood: node 1 synchronized and using node 2 ($before samples)" test "$used" -ge 4

"$PY" "$dir/flood.py" 127.0.0.2 $((base + 2)) 127.0.0.1 $((base + 1)) "$SECS" "$PPS" 2 1 "$dir/flood.out" \
	> "$dir/flood.log" 2>&1 &
fpid=$!
sleep 6 # 3 s of capture, then 3 s of flood: node 1's readings of node 2 from before are stale by now
( sample 2 $((SECS - 5)) 1; echo "$used $taken" > "$dir/n2.used" ) &
spid=$!
sample 1 $((SECS - 5)) 2
wait "$spid"
read -r used2 taken2 < "$dir/n2.used"
cp "$dir/n1.json" "$dir/during.json"
during_ok() {
	[ "$taken" -ge 10 ] || { echo "only $taken samples"; return 1; }
	[ $((used * 100)) -ge $((taken * 80)) ] || { echo "node 2 used in only $used of $taken samples"; return 1; }
	echo "node 2 used in $used of $taken samples (before the flood: $before)"
}
check "during the flood: node 1 keeps using node 2" during_ok
check "during the flood: node 2 keeps using node 1 ($used2 of $taken2 samples)" \
	test $((used2 * 100)) -ge $((taken2 * 80))
check "during the flood: node 1 synchronized, CLOCK_REALTIME in its interval" holds_realtime "$dir/n1.json" "$dir/snap1.json"
wait "$fpid"
fpid=""
counter() { sed -n "s/^    \"$2\":\([0-9]*\),\{0,1\}\$/\1/p" "$1"; }
flood_ok() {
	[ -s "$dir/flood.out" ] || { echo "the flood did not run: $(tail -n 2 "$dir/flood.log")"; return 1; }
	read -r sent secs captured < "$dir/flood.out"
	rl=$(counter "$dir/n1.json" rate_limited) bs=$(counter "$dir/n1.json" bad_signature)
	[ "${rl:-0}" -ge $((sent / 4)) ] || { echo "rate_limited ${rl:-?} of $sent sent"; return 1; }
	[ "${bs:-0}" -ge 50 ] || { echo "bad_signature ${bs:-?}: forged claims not checked"; return 1; }
	[ "$captured" -ge 1 ] || { echo "no genuine datagram of node 2 captured to replay"; return 1; }
	echo "$sent sent in $secs s ($captured genuine ones replayed); rate_limited $rl, bad_signature $bs"
}
check "the flood reached node 1, counted" flood_ok
check "node 1 still running" kill -0 "$(cat "$dir/n1.pid")"
check "every node stops cleanly on SIGTERM" stops_cleanly
summary
