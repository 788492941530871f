#!/bin/sh
# SPDX-License-Identifier: MIT
# A real bftimed among hostile neighbours; it must count what they send and
# keep running, answering and storing.
#  - HTTP: its peer 2's "API" is a python server that answers every proof
#    POST (gossip) and every catch-up GET with something wrong in turn: 200
#    with JSON of the wrong shape ({"results":[{"result":null}]}, which once
#    crashed the daemon, numbers, strings, empty arrays, bytes that are not
#    hex), not JSON at all, a 200 kB body, 500, 404, a stalled answer.
#  - UDP: junk, truncated and oversized datagrams and a wrong version at its
#    peer socket (counted malformed), and the signed REQUESTs of a real
#    bftimed (node 3) whose key it does not pin (counted unknown_peer).
# Then: still running, its API and /metrics answer, its own proofs are all
# stored and chained (bftime proofs --verify), the gossip failures counted.
# Prints a cmocka-style summary; about 20 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=5
dir=$(mktemp -d /tmp/bftime-hostile.XXXXXX) || exit 1
. tests/system/lib.sh
PY=$(command -v python3)
cleanup() {
	[ -f "$dir/srv.pid" ] && kill -9 "$(cat "$dir/srv.pid")" 2>/dev/null
	[ -f "$dir/gap.pid" ] && kill -9 "$(cat "$dir/gap.pid")" 2>/dev/null
	[ -f "$dir/busy.pid" ] && kill -9 "$(cat "$dir/busy.pid")" 2>/dev/null
	stop_nodes 20
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
[ -n "$PY" ] && command -v curl >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 or curl missing: skipped)"; exit 77; }

free_port() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,getattr(socket,sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
P1=$(free_port SOCK_DGRAM) P2=$(free_port SOCK_DGRAM) P3=$(free_port SOCK_DGRAM) P4=$(free_port SOCK_DGRAM) P5=$(free_port SOCK_DGRAM)
API1=$(free_port SOCK_STREAM) EVIL=$(free_port SOCK_STREAM)

cat > "$dir/evil.py" <<'EOF'
import http.server, json, sys, time
bad = [
    (200, b'{"results":[{"result":"new"}]}'),       # the first batch (seq 0) is not looked into
    (200, b'{"results":[{"result":null}]}'),
    (200, b'{"results":[{"result":5}]}'),
    (200, b'{"results":[{}]}'),
    (200, b'{"results":[null]}'),
    (200, b'{"results":"gap"}'),
    (200, b'{"results":[]}'),
    (200, b'[]'),
    (200, b'"gap"'),
    (200, b'not json at all'),
    (200, b'{"results":[{"result":"gap"}]'),        # cut short
    (200, b'{"results":[' + b'{"result":"new"},' * 20000 + b'{}]}'),  # 340 kB
    (500, b'{"error":"internal"}'),
    (404, b'nothing'),
    (200, b''),
    ('stall', b''),
]
fetch = [
    b'{"proofs":[{"bytes":null}]}', b'{"proofs":[{"bytes":"zz"}]}', b'{"proofs":"x"}',
    b'{"proofs":[{"bytes":"' + b'ab' * 300 + b'"}]}', b'{"proofs":[1,2,3]}', b'[]', b'junk',
]
n = [0, 0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body):
        self.send_response(code); self.send_header('Content-Length', str(len(body))); self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        code, body = bad[n[0] % len(bad)]; n[0] += 1
        with open(sys.argv[2], 'a') as f: f.write('post %d\n' % n[0])
        if code == 'stall': time.sleep(7); return
        self.send(code, body)
    def do_GET(self):
        body = fetch[n[1] % len(fetch)]; n[1] += 1
        with open(sys.argv[2], 'a') as f: f.write('get %d\n' % n[1])
        self.send(200, body)
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
# Peer 4's "API" answers every proof POST "gap" (it lacks the predecessor):
# the node walks back a batch at a time, but never round again.
cat > "$dir/gap.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[2], 'a') as f: f.write('post\n')
        b = b'{"accepted":0,"rejected":0,"results":[{"node":1,"seq":0,"result":"gap"}]}'
        self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        b = b'{"proofs":[]}'
        self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
# Peer 5's "API" is busy (429) at the first proof POST, then takes all:
# the proofs it was busy for must come again (they were skipped).
cat > "$dir/busy.py" <<'EOF'
import http.server, json, sys
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))))
        n[0] += 1
        with open(sys.argv[2], 'a') as f:
            for p in body.get('proofs', []): f.write('%s %s\n' % ('busy' if n[0] == 1 else 'taken', p[:600]))
        code, b = (429, b'{"error":"rate_limited"}') if n[0] == 1 else (200, b'{"results":[{"result":"new"}]}')
        self.send_response(code); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        b = b'{"proofs":[]}'
        self.send_response(200); self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
EOF
BUSY=$(free_port SOCK_STREAM)
"$PY" "$dir/busy.py" "$BUSY" "$dir/busy.log" > "$dir/busy.out" 2>&1 &
echo $! > "$dir/busy.pid"
GAP=$(free_port SOCK_STREAM)
"$PY" "$dir/gap.py" "$GAP" "$dir/gap.log" > "$dir/gap.out" 2>&1 &
echo $! > "$dir/gap.pid"
"$PY" "$dir/evil.py" "$EVIL" "$dir/evil.log" > "$dir/evil.out" 2>&1 &
echo $! > "$dir/srv.pid"
k=0 # listening before node 1 starts: its catch-up GET comes first
until "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$EVIL" 2>/dev/null ||
	[ $k -ge 50 ]; do sleep 0.1; k=$((k + 1)); done

make_keys
cat > "$dir/n1.yaml" <<EOF
node: {id: 1, listen: 127.0.0.1:$P1, key: $dir/n1.key}
peers:
  - {id: 2, address: 127.0.0.1:$P2, api: 127.0.0.1:$EVIL, public_key: $(cat "$dir/n2.pub")}
  - {id: 4, address: 127.0.0.1:$P4, api: 127.0.0.1:$GAP, public_key: $(cat "$dir/n4.pub")}
  - {id: 5, address: 127.0.0.1:$P5, api: 127.0.0.1:$BUSY, public_key: $(cat "$dir/n5.pub")}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}
api: 127.0.0.1:$API1
store: $dir/n1.db
proof_interval: 1s
status: $dir/n1.json
rate_limit: {rate: 1000, burst: 2000}
EOF
# Node 3 pins node 1 and polls it; node 1 does not know node 3's key.
cat > "$dir/n3.yaml" <<EOF
node: {id: 3, listen: 127.0.0.1:$P3, key: $dir/n3.key}
peers:
  - {id: 1, address: 127.0.0.1:$P1, public_key: $(cat "$dir/n1.pub")}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s}
api: none
EOF
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }
echo "[==========] bftimed (API 127.0.0.1:$API1) gossiping to a hostile HTTP peer on :$EVIL; junk and an unknown node on UDP :$P1"
start 1
start 3
sleep 2

# Datagrams of every wrong shape at node 1's peer socket.
"$PY" - "$P1" <<'EOF'
import socket, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a = ('127.0.0.1', int(sys.argv[1]))
for b in [b'', b'x', b'BT', b'BT\x01', b'BT\x01\x01', b'BT\x02\x01' + bytes(200), b'BT\x01\x09' + bytes(150),
          b'BT\x01\x01\x01\x04\x00\x00\x00\x02\xff\x40' + bytes(64),      # unsigned-looking, wrong fields
          b'BT\x01\x01' + b'\x01\x04\x00\x00\x00\x02' * 30,              # a repeated tag
          os.urandom(300), os.urandom(1400), bytes(9000)]:
    s.sendto(b, a)
for i in range(200):
    s.sendto(os.urandom(i % 258), a)
EOF
sleep 12

alive_ok() {
	kill -0 "$(cat "$dir/n1.pid")" 2>/dev/null || { echo "node 1 died: $(tail -n 3 "$dir/n1.log")"; return 1; }
	curl -s --max-time 5 "http://127.0.0.1:$API1/v1/time" | grep -q '"synced":true' || { echo "/v1/time does not answer synced"; return 1; }
}
check "node 1 alive, synced, its API answering" alive_ok
posts_ok() {
	p=$(grep -c '^post' "$dir/evil.log" 2>/dev/null) g=$(grep -c '^get' "$dir/evil.log" 2>/dev/null)
	[ "${g:-0}" -ge 1 ] || { echo "no catch-up GET reached the hostile peer"; return 1; }
	[ "${p:-0}" -ge 10 ] || { echo "only ${p:-0} POSTs reached the hostile peer"; return 1; }
	m=$(curl -s --max-time 5 "http://127.0.0.1:$API1/metrics")
	f=$(echo "$m" | sed -n 's/^bftime_gossip_failed_total \([0-9]*\)$/\1/p')
	[ "${f:-0}" -ge 2 ] || { echo "gossip failures not counted (${f:-?})"; return 1; }
	echo "$p hostile answers to POSTs, $g to catch-up GETs; $f failures counted"
}
check "hostile gossip answers survived and counted" posts_ok
udp_ok() {
	s=$dir/n1.json
	m=$(sed -n 's/^    "malformed":\([0-9]*\),\{0,1\}$/\1/p' "$s") u=$(sed -n 's/^    "unknown_peer":\([0-9]*\),\{0,1\}$/\1/p' "$s")
	[ "${m:-0}" -ge 200 ] || { echo "malformed ${m:-?}"; return 1; }
	[ "${u:-0}" -ge 3 ] || { echo "unknown_peer ${u:-?}"; return 1; }
	echo "malformed $m, unknown_peer $u"
}
check "junk datagrams counted malformed, an unknown node's REQUESTs unknown_peer" udp_ok
verify_ok() {
	out=$("$C" proofs --verify --api "127.0.0.1:$API1" 2>&1) || { echo "$out" | tail -n 3; return 1; }
	line=$(echo "$out" | grep '^node 1:') || { echo "no own proofs: $out"; return 1; }
	echo "$line" | grep -q ' 0 gaps' || { echo "$line"; return 1; }
	echo "$line"
}
check "own proofs stored and chained (bftime proofs --verify)" verify_ok
# Peer 4 answers "gap" to everything: once node 1 holds more than a batch
# (16 proofs, one a second), it walks back once and then goes on; it sent
# the same two batches back to back, without a pause, for ever.
gap_ok() {
	k=0
	while [ "$(curl -s --max-time 5 "http://127.0.0.1:$API1/v1/peers" | jq '[.peers[] | select(.id == 4) | .gossip.gap_loops][0] // 0')" -lt 1 ] &&
		[ $k -lt 30 ]; do sleep 1; k=$((k + 1)); done
	loops=$(curl -s --max-time 5 "http://127.0.0.1:$API1/v1/peers" | jq '[.peers[] | select(.id == 4) | .gossip.gap_loops][0] // 0')
	sleep 3
	p=$(grep -c '^post' "$dir/gap.log" 2>/dev/null)
	n=$(curl -s --max-time 5 "http://127.0.0.1:$API1/v1/proofs?node=1&limit=1&order=newest" | jq '.proofs[0].seq // 0')
	[ "${loops:-0}" -ge 1 ] && [ "${p:-0}" -ge 3 ] && [ "${p:-0}" -le $((n + 10)) ] ||
		{ echo "gap_loops ${loops:-?}, $p POSTs to peer 4 for $n proofs"; return 1; }
	echo "gap_loops $loops; $p POSTs to peer 4 for $n proofs"
}
check "a peer answering every batch 'gap': walked back once, then past, counted" gap_ok
busy_ok() {
	b=$(grep -c '^busy ' "$dir/busy.log" 2>/dev/null)
	[ "${b:-0}" -ge 1 ] || { echo "no POST was answered 429"; return 1; }
	grep '^busy ' "$dir/busy.log" | sed 's/^busy //' | while read -r p; do
		grep -qxF "taken $p" "$dir/busy.log" || { echo "a proof answered 429 never came again"; exit 1; }
	done || return 1
	echo "$b proofs answered 429, each sent again and taken"
}
check "a peer busy (429) at first: the proofs come again, not skipped" busy_ok
check "node 1 stops cleanly on SIGTERM" sh -c "kill -TERM $(cat "$dir/n1.pid"); sleep 0.5; grep -q 'stopping on signal 15' '$dir/n1.log'"
summary
