#!/bin/sh
# SPDX-License-Identifier: MIT
# bftimed as an NTS (RFC 8915) client: `kind: ntp` references with
# `nts: true`. A test CA (and a rogue one) made here with openssl; Debian's
# chronyd serves NTS (ntsservercert/ntsserverkey, local stratum 1, -x: it
# never touches the clock) on 127.0.0.1, and a bftimed serves NTP on
# 127.0.0.4 and NTS-KE on every address of the namespace, with a certificate
# for 127.0.0.4 (and bft.test) only.
#  - n1 trusts the CA and queries chronyd: synchronized, every reading from
#    an authenticated reply, marked so in status;
#  - n2 trusts only the rogue CA: NTS-KE fails on the certificate, and no
#    NTP request is ever sent (no silent downgrade), no reading;
#  - n3 queries the bftimed server at 127.0.0.4 (bftimed to bftimed):
#    synchronized; n5 queries the same server as 127.0.0.5, a name its
#    certificate does not carry: refused, no reading;
#  - n6 queries chronyd through a tampering proxy (TLS passes through
#    untouched; of every four NTP replies one is delivered, one is stripped of
#    its authenticator, one is replaced by a replay of an earlier reply, one
#    has a bit of its header flipped): each kind of tampering is refused and
#    counted, and only the delivered ones make readings;
#  - n7 queries chronyd through a proxy that, for every third request, first
#    sends a forged NTS NAK (the request's UID, no authenticator) and then the
#    real reply: an NTS NAK is not authenticated (RFC 8915 5.7), so n7 keeps
#    its keys (one NTS-KE session in all), takes the real replies and stays
#    synchronized;
#  - the bftimed server restarts (its cookie keys are in memory only): n3's
#    next request gets an NTS NAK, and so does the one after it, and n3 runs
#    NTS-KE again and goes on;
#  - n8 and n9 trust the system's store (no `ca`), which in this test's own
#    mount namespace holds the test CA, and name the server bft.test and
#    other.test, both 127.0.0.4 by the namespace's /etc/hosts: n8 synchronizes
#    (the DNS name its certificate carries), n9 is refused (a name it lacks);
#  - the bftimed server restarts without NTS (plain NTP only, no NTS-KE
#    listener): n3, having had NTS, takes no reading from its plain replies,
#    runs dry of cookies, fails NTS-KE and then sends nothing (no downgrade).
# Runs in network and mount namespaces of its own (unshare -n -m: the bind
# mounts over /etc/ssl/certs and /etc/hosts are seen by this test alone, and
# go with it); needs root, chronyd,
# openssl and python3, else skipped. About 40 s.
cd "$(dirname "$0")/../.." || exit 1
if [ -z "${BFT_NTS_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	command -v ip >/dev/null 2>&1; then
	if unshare -n -m true 2>/dev/null; then
		BFT_NTS_NETNS=1 BFT_NTS_MNTNS=1 exec unshare -n -m sh "$0" "$@"
	elif unshare -n true 2>/dev/null; then # no mount namespace: the system-store checks are left out
		BFT_NTS_NETNS=1 exec unshare -n sh "$0" "$@"
	fi
fi
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
N=9
PY=$(command -v python3)
if [ -z "${BFT_NTS_NETNS:-}" ] || [ -z "$PY" ] || ! command -v chronyd >/dev/null || ! command -v openssl >/dev/null; then
	echo "[==========] 0 test(s) run."
	echo "[  PASSED  ] 0 test(s). (root with unshare, chronyd, openssl or python3 missing: skipped)"
	exit 77
fi
[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
dir=$(mktemp -d /tmp/bftime-ntsc.XXXXXX) || exit 1
. tests/system/lib.sh
cleanup() {
	for p in chronyd proxy proxy7; do [ -f "$dir/$p.pid.own" ] && kill -9 "$(cat "$dir/$p.pid.own")" 2>/dev/null; done
	stop_nodes 30
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
ip link set lo up || exit 1
CNTP=5123 CKE=5460 # chronyd's NTP and NTS-KE ports

mkca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$1.key" \
	-out "$dir/$1.pem" -days 2 -subj "/CN=bftime test $1" >/dev/null 2>&1; }
mkcert() { # name, subjectAltName
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$1.key" -out "$dir/$1.csr" \
		-subj "/CN=$1" >/dev/null 2>&1 &&
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$dir/$1.cnf" &&
	openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/$1.pem" \
		-days 2 -extfile "$dir/$1.cnf" >/dev/null 2>&1
}
mkca ca && mkca rogue && mkcert chrony 'IP:127.0.0.1,IP:127.0.0.6,IP:127.0.0.7' && mkcert bft 'IP:127.0.0.4,DNS:bft.test' ||
	{ echo "openssl failed"; exit 1; }

cat > "$dir/chrony.conf" <<EOC
port $CNTP
bindaddress 127.0.0.1
local stratum 1
allow 127.0.0.1
cmdport 0
pidfile $dir/chronyd.pid
ntsservercert $dir/chrony.pem
ntsserverkey $dir/chrony.key
ntsport $CKE
ntsdumpdir $dir
EOC
chronyd -x -d -u root -f "$dir/chrony.conf" > "$dir/chronyd.log" 2>&1 &
echo $! > "$dir/chronyd.pid.own"

# The tampering proxy: ADDR:$CKE (TCP, passed through) and :$CNTP (UDP), in
# mode tamper (127.0.0.6) or nak (127.0.0.7).
cat > "$dir/proxy.py" <<'EOC'
import socket, sys, threading
ke, ntp, addr, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def pipe(a, b):
    try:
        while True:
            d = a.recv(4096)
            if not d: break
            b.sendall(d)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def tcp():
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((addr, ke)); l.listen(8)
    while True:
        c, _ = l.accept(); u = socket.create_connection(('127.0.0.1', ke))
        threading.Thread(target=pipe, args=(c, u), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c), daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, ntp))
up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); up.connect(('127.0.0.1', ntp)); up.settimeout(2)
k, last = 0, None
while True:
    b, client = s.recvfrom(2048); up.send(b)
    try: r = up.recv(2048)
    except socket.timeout: continue
    k += 1
    if mode == 'nak':
        if k % 3 == 0 and len(b) >= 52:                    # a forged NAK first: KoD NTSN, the request's UID
            uid = b[48:48 + int.from_bytes(b[50:52], 'big')]
            s.sendto(bytes([0x24, 0, 0, 0]) + bytes(8) + b'NTSN' + bytes(8) + b[40:48] + bytes(16) + uid, client)
        s.sendto(r, client)
        print(k, flush=True)
        continue
    if k % 4 == 1: out = r; last = r                       # delivered
    elif k % 4 == 2: out = r[:48 + 36]                     # no authenticator: header and UID only
    elif k % 4 == 3: out = last                            # a replay of an earlier reply
    else: out = r[:20] + bytes([r[20] ^ 1]) + r[21:]       # a flipped bit in the header
    s.sendto(out, client)
    print(k, flush=True)
EOC
"$PY" "$dir/proxy.py" "$CKE" "$CNTP" 127.0.0.6 tamper > "$dir/proxy.log" 2>&1 &
echo $! > "$dir/proxy.pid.own"
"$PY" "$dir/proxy.py" "$CKE" "$CNTP" 127.0.0.7 nak > "$dir/proxy7.log" 2>&1 &
echo $! > "$dir/proxy7.pid.own"

make_keys
conf() { # node, reference, [ntp_server]
	{
		echo "node: {id: $1, listen: 127.0.0.1:$((4200 + $1)), key: $dir/n$1.key}"
		echo "consensus: {f: 0, poll: 1s}"
		echo "references:"
		echo "  - $2"
		echo "api: none"
		echo "status: $dir/n$1.json"
		[ -n "${3:-}" ] && echo "ntp_server: $3"
	} > "$dir/n$1.yaml"
}
nts_ref() { echo "{kind: ntp, name: $1, server: \"$2\", nts: true, ca: $dir/$3.pem, nts_port: $4, every: 1s}"; }
conf 1 "$(nts_ref chrony 127.0.0.1:$CNTP ca $CKE)"
conf 2 "$(nts_ref chrony 127.0.0.1:$CNTP rogue $CKE)"
conf 3 "$(nts_ref bft 127.0.0.4:4123 ca 4460)"
conf 4 "{kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}" \
	"{listen: 127.0.0.4:4123, nts: {certificate: $dir/bft.pem, key: $dir/bft.key, ke_listen: 0.0.0.0:4460}}"
conf 5 "$(nts_ref bft 127.0.0.5:4123 ca 4460)"
conf 6 "$(nts_ref proxied 127.0.0.6:$CNTP ca $CKE)"
conf 7 "$(nts_ref naked 127.0.0.7:$CNTP ca $CKE)"
# The system's trust store and host names, in this mount namespace only.
mkdir -p "$dir/sysca" && cp "$dir/ca.pem" "$dir/sysca/ca-certificates.crt" && openssl rehash "$dir/sysca" 2>/dev/null
printf '127.0.0.1 localhost\n127.0.0.4 bft.test other.test\n' > "$dir/hosts"
sysca=no
# Only in a mount namespace of this test's own: the host's files are never touched.
[ "${BFT_NTS_MNTNS:-}" = 1 ] && [ -d /etc/ssl/certs ] && mount --bind "$dir/sysca" /etc/ssl/certs && mount --bind "$dir/hosts" /etc/hosts && sysca=yes
sys_ref() { echo "{kind: ntp, name: $1, server: \"$2\", nts: true, nts_port: 4460, every: 1s}"; }
conf 8 "$(sys_ref sysstore bft.test:4123)"
conf 9 "$(sys_ref sysstore other.test:4123)"
check "configs with nts references accepted" sh -c "for i in 1 2 3 4 5 6 7 8 9; do \"$D\" --config \"$dir/n\$i.yaml\" --check-config >/dev/null || exit 1; done"
sleep 1 # chronyd's NTS-KE helper up
for i in 4 1 2 3 5 6 7 8 9; do
	"$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
	echo $! > "$dir/n$i.pid"
done
sleep 14

# A member of the reference's object, or of its nts object.
rf() { ref_v=$(tr -d '\n' < "$dir/n$1.json" | sed 's/.*"references":\[//'); echo "$ref_v" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" | sed 's/ *$//'; }
synced() { grep -q '"state":"synchronized"' "$dir/n$1.json"; }

auth_ok() { # node
	synced "$1" || { echo "not synchronized: $(rf "$1" device_state)"; return 1; }
	rd=$(rf "$1" readings) au=$(rf "$1" authenticated_replies) a=$(rf "$1" authenticated) ke=$(rf "$1" ke_sessions)
	[ "$a" = true ] && [ "$rd" -ge 5 ] && [ "$au" -ge "$rd" ] && [ "$ke" -ge 1 ] ||
		{ echo "authenticated=$a readings=$rd authenticated_replies=$au ke_sessions=$ke"; return 1; }
	echo "$rd readings, $au authenticated replies, $ke NTS-KE session(s), authenticated: $a"
}
check "n1 synchronizes on chronyd's NTS, every reading authenticated" auth_ok 1
check "n3 synchronizes on bftimed's NTS (bftimed to bftimed)" auth_ok 3
refused_ok() { # node, what the error must say
	synced "$1" && { echo "synchronized"; return 1; }
	q=$(rf "$1" queries) rd=$(rf "$1" readings) kf=$(rf "$1" ke_failures) e=$(rf "$1" last_error)
	[ "$q" = 0 ] && [ "$rd" = 0 ] && [ "$kf" -ge 1 ] && echo "$e" | grep -q "$2" ||
		{ echo "queries=$q readings=$rd ke_failures=$kf error: $e"; return 1; }
	echo "0 queries, 0 readings, $kf NTS-KE failure(s): $e"
}
check "n2 (rogue CA) gets no keys and sends no plain NTP instead" refused_ok 2 "unable to get local issuer certificate"
check "n5 (a name the certificate lacks) is refused" refused_ok 5 "IP address mismatch"
if [ "${BFT_NTS_MNTNS:-}" = 1 ]; then
	check "the system's trust store and /etc/hosts replaced in this mount namespace" test "$sysca" = yes
	check "n8 (system store, DNS name bft.test on the certificate) synchronizes, authenticated" auth_ok 8
	check "n9 (system store, DNS name other.test not on the certificate) is refused" refused_ok 9 "hostname mismatch"
else
	echo "(no mount namespace here: the system-store and DNS-name checks left out)"
fi
tamper_ok() {
	un=$(rf 6 nts_unauthenticated) id=$(rf 6 nts_unique_id) ba=$(rf 6 nts_bad_authenticator)
	rd=$(rf 6 readings) au=$(rf 6 authenticated_replies) k=$(tail -n 1 "$dir/proxy.log")
	[ "${un:-0}" -ge 1 ] && [ "${id:-0}" -ge 1 ] && [ "${ba:-0}" -ge 1 ] && [ "$rd" -ge 1 ] && [ "$rd" -le "$au" ] &&
		[ "$au" -le $(((k + 3) / 4)) ] ||
		{ echo "unauthenticated=$un unique_id=$id bad_authenticator=$ba readings=$rd authenticated=$au proxied=$k"; return 1; }
	echo "$k replies proxied: $rd readings from $au delivered; refused $un stripped, $id replayed, $ba tampered"
}
check "tampered, stripped and replayed NTS replies are refused and counted" tamper_ok
forged_nak_ok() {
	nak=$(rf 7 nts_nak) ke=$(rf 7 ke_sessions) rd=$(rf 7 readings) k=$(tail -n 1 "$dir/proxy7.log")
	synced 7 && [ "${nak:-0}" -ge 2 ] && [ "$ke" = 1 ] && [ "$rd" -ge 5 ] ||
		{ echo "nts_nak=$nak ke_sessions=$ke readings=$rd proxied=$k"; return 1; }
	echo "$k requests proxied, $nak forged NAKs counted, still $ke NTS-KE session, $rd readings"
}
check "forged NTS NAKs (not authenticated) do not make n7 drop its keys" forged_nak_ok
# The server restarts and forgets its cookie keys: n3's next request gets
# an NTS NAK, and n3 runs NTS-KE again and goes on, authenticated.
nak_ok() {
	au0=$(rf 3 authenticated_replies)
	kill -TERM "$(cat "$dir/n4.pid")"
	sleep 1
	"$D" --config "$dir/n4.yaml" >> "$dir/n4.log" 2>&1 &
	echo $! > "$dir/n4.pid"
	sleep 6
	nak=$(rf 3 nts_nak) ke=$(rf 3 ke_sessions) au=$(rf 3 authenticated_replies)
	[ "${nak:-0}" -ge 1 ] && [ "$ke" -ge 2 ] && [ "$au" -gt "$au0" ] && synced 3 ||
		{ echo "nts_nak=$nak ke_sessions=$ke authenticated_replies $au0 -> $au"; return 1; }
	echo "$nak NAK(s), NTS-KE sessions now $ke, authenticated replies $au0 -> $au"
}
check "n3 after its server restarts (keys forgotten): NTS NAK, NTS-KE again, authenticated again" nak_ok
# The server comes back without NTS: n3 loses it after having had it.
lost_ok() {
	sed 's/, nts: {certificate.*}}$/}/' "$dir/n4.yaml" > "$dir/n4plain.yaml"
	grep -q "nts:" "$dir/n4plain.yaml" && { echo "n4plain.yaml still has nts"; return 1; }
	kill -TERM "$(cat "$dir/n4.pid")"
	# No server now: wait for n3's count of readings to stand still (the
	# status file is rewritten each second), at most 10 s.
	rd0=$(rf 3 readings) w=0
	while [ $w -lt 10 ]; do
		sleep 1.5
		r=$(rf 3 readings)
		[ "$r" = "$rd0" ] && break
		rd0=$r w=$((w + 1))
	done
	"$D" --config "$dir/n4plain.yaml" >> "$dir/n4.log" 2>&1 &
	echo $! > "$dir/n4.pid"
	# 8 cookies at 1 s, the NAK probe, then NTS-KE refused (4 s back-off)
	sleep 14
	q1=$(rf 3 queries) rd=$(rf 3 readings) kf=$(rf 3 ke_failures)
	sleep 5
	q2=$(rf 3 queries) rd2=$(rf 3 readings) e=$(rf 3 last_error)
	[ "$rd" = "$rd0" ] && [ "$rd2" = "$rd0" ] && [ "$kf" -ge 1 ] && [ "$q2" = "$q1" ] ||
		{ echo "readings $rd0 -> $rd -> $rd2, ke_failures=$kf, queries $q1 -> $q2, error: $e"; return 1; }
	echo "readings stay at $rd0, $kf NTS-KE failure(s) ($e), queries stay at $q1"
}
check "n3 after its server comes back without NTS: no reading from plain replies, no plain NTP sent" lost_ok
check "every bftimed still running" sh -c "for i in 1 2 3 4 5 6 7 8 9; do kill -0 \$(cat \"$dir/n\$i.pid\") || exit 1; done"
summary
