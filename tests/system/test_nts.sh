#!/bin/sh
# SPDX-License-Identifier: MIT
# NTS (RFC 8915) served by bftimed, checked with Debian's chronyd as the
# client. A test CA and a server certificate for 127.0.0.1 are made here with
# openssl (and a second, rogue CA). One bftimed (a simulated reference on
# CLOCK_REALTIME) serves NTP with ntp_server.nts: NTS-KE on 127.0.0.1:4460,
# cookie keys rotating every 4 s, at most 4 KE connections of 1 s each.
#  - --check-config loads the certificate and key: a missing one, or a key
#    that does not match, is refused with the reason;
#  - chronyd -Q (query only: it never touches the clock) trusting the test
#    CA gets authenticated time: it reports an offset within 50 ms, and
#    bftimed counts an NTS-KE session and NTS replies, no plain ones;
#  - chronyd -Q trusting only the rogue CA gets no time (the TLS handshake
#    fails, and bftimed counts it);
#  - chronyd -x (never adjusts the clock) polling every 0.25 s for 9 s: chronyc
#    says its replies are authenticated, no NTS NAK while bftimed rotated
#    its cookie key at least twice (cookies issued under the previous key are
#    still accepted), and cookies come back with every reply;
#  - hostile NTP datagrams with extension fields: a forged cookie gets an NTS
#    NAK (kiss code NTSN echoing the unique identifier), malformed fields get
#    nothing; each is counted;
#  - hostile NTS-KE clients: a garbage request over TLS gets an Error record;
#    a client offering only another ALPN is refused in the handshake; ten idle
#    connections fill the four slots and time out, and meanwhile plain NTP is
#    answered and a well-formed NTS-KE request is served once a slot frees
#    (eight cookies of 104 bytes, NTPv4, AES-SIV-CMAC-256, the NTP port).
# Runs in a network namespace of its own (unshare -n) so the ports are
# private; needs root, chronyd, chronyc, openssl and python3, else skipped.
# About 50 s.
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${BFT_NTS_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
	BFT_NTS_NETNS=1 exec unshare -n sh "$0" "$@"
fi
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
N=1
PY=$(command -v python3)
if [ -z "${BFT_NTS_NETNS:-}" ] || [ -z "$PY" ] || ! command -v chronyd >/dev/null || ! command -v chronyc >/dev/null ||
	! command -v openssl >/dev/null; then
	echo "[==========] 0 test(s) run."
	echo "[  PASSED  ] 0 test(s). (root with unshare, chronyd, chronyc, openssl or python3 missing: skipped)"
	exit 77
fi
[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
dir=$(mktemp -d /tmp/bftime-nts.XXXXXX) || exit 1
. tests/system/lib.sh
cleanup() {
	[ -f "$dir/chronyd.pid.own" ] && kill -9 "$(cat "$dir/chronyd.pid.own")" 2>/dev/null
	stop_nodes 30
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
ip link set lo up || exit 1
NTP=4123 KE=4460

# ---- the test CA, the server's certificate, a rogue CA -------------------
mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$1.key" \
	-out "$dir/$1.pem" -days 2 -subj "/CN=bftime test $1" >/dev/null 2>&1; }
mkca ca && mkca rogue || { echo "openssl failed"; exit 1; }
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/srv.key" -out "$dir/srv.csr" \
	-subj "/CN=127.0.0.1" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/srv.pem" \
	-days 2 -extfile "$dir/ext.cnf" >/dev/null 2>&1 || { echo "openssl failed"; exit 1; }

make_keys
cat > "$dir/n1.yaml" <<EOC
node: {id: 1, listen: 127.0.0.1:4101, key: $dir/n1.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}
api: none
status: $dir/n1.json
ntp_server:
  listen: 127.0.0.1:$NTP
  rate_per_s: 1000
  nts: {certificate: $dir/srv.pem, key: $dir/srv.key, ke_listen: 127.0.0.1:$KE, key_rotate: 4s,
        max_connections: 4, ke_timeout: 1s}
EOC
check "config with ntp_server.nts accepted" "$D" --config "$dir/n1.yaml" --check-config
bad_conf_ok() { # sed expression, what the error must say
	sed "$1" "$dir/n1.yaml" > "$dir/bad.yaml"
	out=$("$D" --config "$dir/bad.yaml" --check-config 2>&1) && { echo "accepted"; return 1; }
	echo "$out" | grep -q "$2" || { echo "said: $out"; return 1; }
	echo "$out" | grep "$2" | head -n 1
}
check "--check-config refuses a missing certificate" bad_conf_ok "s|srv.pem|nothere.pem|" "nts: certificate"
check "--check-config refuses a key that is not the certificate's" bad_conf_ok "s|srv.key|rogue.key|" "does not match"
"$D" --config "$dir/n1.yaml" >> "$dir/n1.log" 2>&1 &
echo $! > "$dir/n1.pid"
for _ in $(seq 1 50); do grep -q '"state":"synchronized"' "$dir/n1.json" 2>/dev/null && break; sleep 0.2; done
# An integer of the status file's nts object (the last matching line: "requests"
# and "replies" exist outside it too).
nts() { sleep 1.2; awk -v k="\"$1\":" '/"nts":\{/ { p = 1 } p && index($0, k) { sub(/.*:/, ""); gsub(/[^0-9-]/, ""); print; exit }' "$dir/n1.json"; }
ntpctr() { sleep 1.2; awk -v k="\"$1\":" '/"ntp_server":/ { p = 1 } p && index($0, k) { sub(/.*:/, ""); gsub(/[^0-9-]/, ""); print; exit }' "$dir/n1.json"; }
ntsstr() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" "$dir/n1.json" | head -n 1; } # a string of the status
ntps() { awk -v k="    \"$1\":" '/"ntp_server":/ { p = 1 } p && index($0, k) == 1 { sub(/.*:/, ""); gsub(/[^0-9-]/, ""); print; exit }' "$dir/n1.json"; }

# No ntsdumpdir: a saved cookie would let the next run skip NTS-KE.
chrony_q() { # trusted CA file
	chronyd -Q -t 10 -u root -f /dev/null "pidfile $dir/chrony-q.pid" "ntstrustedcerts $1" nosystemcert \
		"server 127.0.0.1 port $NTP nts ntsport $KE iburst maxsamples 1" 2>&1
}

# ---- chronyd -Q gets authenticated time ---------------------------------
q_ok() {
	out=$(chrony_q "$dir/ca.pem")
	line=$(echo "$out" | grep 'System clock wrong by') || { echo "no time: $(echo "$out" | tail -n 2)"; return 1; }
	off=$(echo "$line" | sed 's/.*wrong by \([-0-9.]*\) seconds.*/\1/')
	sess=$(nts ke_sessions) rep=$(nts replies) plain=$(ntps replies)
	[ "$sess" -ge 1 ] && [ "$rep" -ge 1 ] && [ "$plain" = 0 ] ||
		{ echo "bftimed counted ke_sessions=$sess nts replies=$rep plain replies=$plain"; return 1; }
	"$PY" -c "import sys; sys.exit(abs(float(sys.argv[1])) > 0.05)" "$off" || { echo "offset $off s"; return 1; }
	echo "offset $off s; $sess NTS-KE session(s), $rep NTS replies, 0 plain"
}
check "chronyd -Q, trusting the test CA, gets NTS-authenticated time from bftimed" q_ok

rogue_ok() {
	before=$(nts ke_handshake_failures)
	out=$(chrony_q "$dir/rogue.pem")
	echo "$out" | grep -q 'System clock wrong' && { echo "accepted: $out"; return 1; }
	after=$(nts ke_handshake_failures)
	[ "$after" -gt "$before" ] || { echo "ke_handshake_failures $before -> $after"; return 1; }
	echo "no time; ke_handshake_failures $before -> $after"
}
check "chronyd -Q, trusting only a rogue CA, gets no time (TLS refused)" rogue_ok

# ---- chronyd -x over several key rotations --------------------------------
cat > "$dir/chrony.conf" <<EOC
server 127.0.0.1 port $NTP nts ntsport $KE minpoll -2 maxpoll -2 iburst
ntstrustedcerts $dir/ca.pem
nosystemcert
bindcmdaddress $dir/chronyd.sock
cmdport 0
pidfile $dir/chronyd.pid
EOC
rot0=$(nts key_rotations) nak0=$(nts naks)
chronyd -x -d -u root -f "$dir/chrony.conf" > "$dir/chronyd.log" 2>&1 &
echo $! > "$dir/chronyd.pid.own"
sleep 9
chronyc -h "$dir/chronyd.sock" -n ntpdata > "$dir/ntpdata.txt" 2>&1
chronyc -h "$dir/chronyd.sock" -n -c authdata > "$dir/authdata.txt" 2>&1
kill "$(cat "$dir/chronyd.pid.own")" 2>/dev/null
rm -f "$dir/chronyd.pid.own"
x_ok() {
	grep -q '^Authenticated *: Yes' "$dir/ntpdata.txt" || { echo "ntpdata: $(grep -i 'auth\|mode' "$dir/ntpdata.txt" | tr '\n' ' ')"; return 1; }
	# authdata -c: name,mode,keyid,type,keylen,last,attempts,naks,cookies,cookie_len
	mode=$(cut -d, -f2 "$dir/authdata.txt") naks=$(cut -d, -f8 "$dir/authdata.txt") ck=$(cut -d, -f9 "$dir/authdata.txt")
	[ "$mode" = NTS ] && [ "$naks" = 0 ] && [ "${ck:-0}" -ge 1 ] || { echo "authdata: $(cat "$dir/authdata.txt")"; return 1; }
	rot=$(nts key_rotations) nak=$(nts naks) rep=$(nts replies) iss=$(nts cookies_issued_ntp)
	[ $((rot - rot0)) -ge 2 ] && [ "$nak" = "$nak0" ] && [ "$rep" -ge 20 ] && [ "$iss" -ge "$rep" ] ||
		{ echo "key rotations $rot0 -> $rot, naks $nak0 -> $nak, replies $rep, cookies $iss"; return 1; }
	echo "chronyc: authenticated, NTS, 0 NAKs, $ck cookies held; bftimed: $((rot - rot0)) key rotations, $rep NTS replies, $iss cookies"
}
check "chronyd -x stays authenticated across cookie-key rotations (previous key accepted, no NAK)" x_ok

# ---- hostile NTP datagrams with extension fields ---------------------------
cat > "$dir/h.py" <<'EOC'
import os, socket, ssl, struct, sys, time
host, ntp, ke, ca = '127.0.0.1', int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def ef(t, body): body += bytes(-len(body) % 4); return struct.pack('>HH', t, 4 + len(body)) + body
hdr = struct.pack('>B47x', 0x23)
def ntpq(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.sendto(pkt, (host, ntp))
    try: return s.recv(2048)
    except socket.timeout: return None
def tls(alpn):
    c = ssl.create_default_context(cafile=ca); c.minimum_version = ssl.TLSVersion.TLSv1_3
    c.set_alpn_protocols(alpn); c.check_hostname = False
    return c.wrap_socket(socket.create_connection((host, ke), timeout=5))
def recs(b):
    out = []
    while len(b) >= 4:
        t, n = struct.unpack('>HH', b[:4]); out.append((t & 0x7fff, b[4:4 + n])); b = b[4 + n:]
    return out
def readall(s):
    b = b''
    while True:
        try: d = s.recv(4096)
        except (ssl.SSLError, ConnectionError, socket.timeout): break
        if not d: break
        b += d
    return b
cmd = sys.argv[1]
if cmd == 'nak':  # a forged cookie: NTS NAK echoing the UID
    uid = os.urandom(32)
    r = ntpq(hdr + ef(0x0104, uid) + ef(0x0204, os.urandom(104)) + ef(0x0404, struct.pack('>HH', 16, 16) + bytes(32)))
    ok = r is not None and r[1] == 0 and r[12:16] == b'NTSN' and r[48:52] == struct.pack('>HH', 0x0104, 36) and r[52:84] == uid
    print('NTSN with our UID' if ok else 'reply %r' % r); sys.exit(0 if ok else 1)
if cmd == 'nakflood':  # forged cookies from one address, far over its rate: count the NAKs back
    n = int(sys.argv[5]); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22); s.connect((host, ntp)); s.setblocking(False)
    req = hdr + ef(0x0104, os.urandom(32)) + ef(0x0204, os.urandom(104)) + ef(0x0404, struct.pack('>HH', 16, 16) + bytes(32))
    got = 0; t0 = time.monotonic()
    for i in range(n):
        try: s.send(req)
        except BlockingIOError: pass
        while True:
            try: s.recv(2048); got += 1
            except (BlockingIOError, ConnectionRefusedError): break
    dt = time.monotonic() - t0; end = time.monotonic() + 0.5
    while time.monotonic() < end:
        try: s.recv(2048); got += 1
        except (BlockingIOError, ConnectionRefusedError): time.sleep(0.01)
    print('%d %.3f' % (got, dt)); sys.exit(0)
if cmd == 'malformed':  # fields that do not parse, and no UID: never answered
    bad = [hdr + struct.pack('>HH', 0x0104, 18) + bytes(14), hdr + ef(0x0104, bytes(8)),
           hdr + ef(0x0204, bytes(104)) + ef(0x0404, struct.pack('>HH', 16, 16) + bytes(32)),
           hdr + ef(0x0104, bytes(32)) + ef(0x0204, bytes(104)) + ef(0x0404, struct.pack('>HH', 200, 16) + bytes(32))]
    got = [ntpq(p) for p in bad]
    print(sum(g is not None for g in got)); sys.exit(0)
if cmd == 'ke_garbage':
    s = tls(['ntske/1']); s.sendall(struct.pack('>HH', 0x8001, 3) + b'abc' + struct.pack('>HH', 0x8000, 0))
    r = recs(readall(s)); ok = (2, b'\x00\x01') in r and r[-1] == (0, b'')
    print('Error record %s' % r if ok else 'got %r' % r); sys.exit(0 if ok else 1)
if cmd == 'ke_alpn':
    try: s = tls(['http/1.1']); s.sendall(b'x'); d = readall(s); print('served: %r' % d); sys.exit(1)
    except (ssl.SSLError, ConnectionError) as e: print('refused: %s' % type(e).__name__); sys.exit(0)
if cmd == 'ke_good':
    s = tls(['ntske/1']); s.sendall(bytes.fromhex('80010002000080040002000f80000000'))
    r = recs(readall(s)); ck = [b for t, b in r if t == 5]
    ok = (1, b'\x00\x00') in r and (4, b'\x00\x0f') in r and (7, struct.pack('>H', ntp)) in r and len(ck) == 8 \
        and all(len(c) == 104 for c in ck) and r[-1] == (0, b'')
    print('%d cookies of %s bytes, port %d' % (len(ck), set(len(c) for c in ck), ntp) if ok else 'got %r' % r)
    sys.exit(0 if ok else 1)
if cmd == 'idle':  # hold n TCP connections open without a word
    ss = [socket.create_connection((host, ke), timeout=5) for _ in range(int(sys.argv[5]))]
    time.sleep(float(sys.argv[6]))
EOC
h() { "$PY" "$dir/h.py" "$1" "$NTP" "$KE" "$dir/ca.pem" "$2" "$3"; }
nak_ok() {
	before=$(nts naks)
	out=$(h nak) || { echo "$out"; return 1; }
	after=$(nts naks)
	[ "$after" = $((before + 1)) ] || { echo "naks $before -> $after"; return 1; }
	echo "$out; naks $before -> $after"
}
check "a forged cookie gets an NTS NAK (kiss NTSN, our unique identifier), counted" nak_ok
# A flood of forged cookies from one address: past its rate (1000/s, a
# burst of 2000) its NAKs come out of the kisses' budget (4/s), as RATE
# kisses do; the NAKs once went out 1:1, to whatever address was named.
nakflood_ok() {
	lim0=$(ntpctr rate_limited)
	set -- $(h nakflood 8000)
	got=$1 secs=$2
	lim1=$(ntpctr rate_limited)
	# What the limits allow in that time (and the 0.5 s the replies are waited for), with 10% to spare.
	most=$(awk -v t="$secs" 'BEGIN { printf "%d", (2000 + 1000 * (t + 0.5) + 4 * (t + 1.5)) * 1.1 }')
	[ $((lim1 - lim0)) -gt 0 ] && [ "$got" -le "$most" ] ||
		{ echo "8000 sent in $secs s: $got NAKs back (at most $most), rate_limited $lim0 -> $lim1"; return 1; }
	echo "8000 sent in $secs s: $got NAKs back (at most $most), $((lim1 - lim0)) over the rate"
}
check "forged cookies far over a client's rate: NAKs within the rate and the kisses' budget" nakflood_ok
mal_ok() {
	before=$(nts malformed)
	n=$(h malformed)
	after=$(nts malformed)
	why=$(ntsstr last_refused)
	[ "$n" = 0 ] && [ "$after" = $((before + 4)) ] && [ -n "$why" ] ||
		{ echo "$n answered, malformed $before -> $after, last_refused '$why'"; return 1; }
	echo "4 sent, 0 answered, malformed $before -> $after; status says why: $why"
}
check "malformed NTS extension fields are never answered, each counted, the reason in status" mal_ok

# ---- hostile NTS-KE clients -----------------------------------------------
ke_garbage_ok() {
	before=$(nts ke_malformed)
	out=$(h ke_garbage) || { echo "$out"; return 1; }
	after=$(nts ke_malformed)
	why=$(ntsstr ke_last_refused)
	[ "$after" = $((before + 1)) ] && [ -n "$why" ] ||
		{ echo "ke_malformed $before -> $after, ke_last_refused '$why'"; return 1; }
	echo "$out; ke_malformed $before -> $after; status says why: $why"
}
check "a malformed NTS-KE request gets an Error record (bad request), counted, the reason in status" ke_garbage_ok
check "an NTS-KE client without ALPN ntske/1 is refused in the handshake" h ke_alpn
full_ok() {
	to0=$(nts ke_timeouts)
	h idle 10 3 &
	idle=$!
	sleep 0.5
	# While every slot is taken: NTP still answered (plain, from this script).
	"$PY" -c "
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(struct.pack('>B47x', 0x23), ('127.0.0.1', $NTP)); b = s.recv(100); sys.exit(len(b) != 48)" ||
		{ echo "NTP not answered while KE is full"; kill "$idle"; return 1; }
	good=$(h ke_good) || { echo "after the idle ones: $good"; kill "$idle"; return 1; }
	wait "$idle"
	to=$(nts ke_timeouts)
	[ $((to - to0)) -ge 4 ] || { echo "ke_timeouts $to0 -> $to"; return 1; }
	echo "NTP answered meanwhile; ke_timeouts $to0 -> $to; then $good"
}
check "ten idle KE connections: four slots, timed out; NTP unaffected; a real request then served" full_ok
check "bftimed still running" kill -0 "$(cat "$dir/n1.pid")"
summary
