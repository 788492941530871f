#!/bin/sh
# SPDX-License-Identifier: MIT
# NTP serving speed: bftimed's NTP server beside chronyd's, plain NTP and
# NTS, measured in the same run, with a batched UDP echo server as the limit
# of this machine's path (issue 17). In a network namespace of its own
# (unshare -n, as root), each server pinned to CPU 1 and the load generator
# (build/bftime-ntpload: sendmmsg/recvmmsg, a window of requests in flight)
# to CPU 0; each target loaded for --seconds (default 5), --rounds times
# (default 3), the targets interleaved within a round. Reported per target:
# replies per second and replies per server CPU-second (utime + stime of the
# server process from /proc/PID/stat over the run; and again by CPU 1's busy
# time from /proc/stat, which also sees softirq work done by ksoftirqd/1),
# the median of the rounds
# and their range, and each one's ratio to chronyd's in the same mode; the
# ratios round by round too (each pair measured back to back, so a change
# in the machine's other load between rounds cancels); and
# both servers' VmRSS before and after all the load.
#   bftimed: bftimed-test with a simulated reference (so it serves
#     synchronized time), ntp_server with rate_per_s and burst at 10^6 (the
#     bucket is still checked: a realistic server's cost), nts on.
#   chronyd: -x (NEVER adjusts the clock), local stratum 1, allow, no
#     ratelimit directive (none), ntsservercert/ntsserverkey; its main process
#     serves NTP (NTS-KE helpers are separate processes, idle here).
#   echo: build/bftime-echo (recvmmsg/sendmmsg, 64 per call); echo.ts the
#     same receiving each datagram's kernel stamp (SO_TIMESTAMPNS), as an
#     NTP server must: shown beside the limit, the target stays the echo.
#   The rate limiter with a client mix (plain NTP, --mix of bftime-ntpload:
#   100,000 client addresses, each request from one at random, and 20 % of
#   the requests from 10 abusers): the same bftimed (limits at 10^6: none
#   refused) beside a second one with the default limits (16/s, burst 32);
#   per target the requests sent per server CPU-second, and for the second
#   the share of the clients' requests answered and of the abusers'.
# Certificates: a test CA made here with openssl.
#
#   scripts/bench_ntp_serve.sh [--seconds S] [--rounds N]
set -u
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build
secs=5 rounds=3
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	-h | --help) sed -n '3,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench_ntp_serve: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "${BFT_BENCH_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null || ! command -v chronyd >/dev/null ||
		! command -v taskset >/dev/null || ! command -v openssl >/dev/null; then
		echo "bench_ntp_serve: needs root (unshare -n), chronyd, taskset and openssl: skipped"
		exit 0
	fi
	BFT_BENCH_NETNS=1 exec unshare -n sh "$0" --seconds "$secs" --rounds "$rounds"
fi
for p in bftimed-test bftime bftime-ntpload bftime-echo; do
	[ -x "$B/$p" ] || { echo "bench_ntp_serve: build/$p missing: run make" >&2; exit 1; }
done
ip link set lo up || exit 1
dir=$(mktemp -d /tmp/bftime-bench-ntp.XXXXXX) || exit 1
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; sleep 0.3; rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" \
	-days 2 -subj "/CN=bench CA" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/srv.key" -out "$dir/srv.csr" \
	-subj "/CN=127.0.0.1" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' > "$dir/ext.cnf"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -out "$dir/srv.pem" \
	-days 2 -extfile "$dir/ext.cnf" >/dev/null 2>&1 || { echo "openssl failed" >&2; exit 1; }

"$B/bftime" keygen --out "$dir/n1.key" > /dev/null
cat > "$dir/n1.yaml" <<EOC
node: {id: 1, listen: 127.0.0.1:6101, key: $dir/n1.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}
api: none
log: {level: notice}
ntp_server: {listen: 127.0.0.1:6123, rate_per_s: 1000000, burst: 1000000,
             nts: {certificate: $dir/srv.pem, key: $dir/srv.key, ke_listen: 127.0.0.1:6460}}
EOC
"$B/bftime" keygen --out "$dir/n2.key" > /dev/null
sed -e "s|n1.key|n2.key|; s|id: 1, listen: 127.0.0.1:6101|id: 2, listen: 127.0.0.1:6102|" \
	-e "s|ntp_server:.*|ntp_server: {listen: 127.0.0.1:6124}|; /nts: {cert/d" "$dir/n1.yaml" > "$dir/n2.yaml"
cat > "$dir/chrony.conf" <<EOC
port 7123
bindaddress 127.0.0.1
local stratum 1
allow 127.0.0.1
cmdport 0
pidfile $dir/chronyd.pid
ntsservercert $dir/srv.pem
ntsserverkey $dir/srv.key
ntsport 7460
EOC
taskset -c 1 "$B/bftime-echo" 127.0.0.1:8123 &
echo_pid=$!
taskset -c 1 "$B/bftime-echo" 127.0.0.1:8124 --timestamps &
echots_pid=$!
taskset -c 1 "$B/bftimed-test" --config "$dir/n1.yaml" > "$dir/bftimed.log" 2>&1 &
bft_pid=$!
taskset -c 1 chronyd -x -d -u root -f "$dir/chrony.conf" > "$dir/chronyd.log" 2>&1 &
chr_wrap=$!
taskset -c 1 "$B/bftimed-test" --config "$dir/n2.yaml" > "$dir/bftimed2.log" 2>&1 &
rl_pid=$!
pids="$echo_pid $echots_pid $bft_pid $chr_wrap $rl_pid"
sleep 3
chr_pid=$(cat "$dir/chronyd.pid" 2>/dev/null) || { echo "chronyd did not start" >&2; cat "$dir/chronyd.log" >&2; exit 1; }
pids="$pids $chr_pid"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# CPU 1's busy time (all but idle and iowait), in ticks: the server's
# process time leaves out the softirq work the kernel sometimes hands to
# ksoftirqd/1 (the loopback delivery of the server's replies), which moved
# every server's per-process figure by up to 20 % from one 5 s run to the next.
core() { awk '$1 == "cpu1" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
hz=$(getconf CLK_TCK)
run() { # name, pid, loadgen args...
	name=$1 pid=$2
	shift 2
	t0=$(ticks "$pid") c0=$(core)
	out=$(taskset -c 0 "$B/bftime-ntpload" --seconds "$secs" "$@") || { echo "$name: load generator failed" >&2; return 1; }
	t1=$(ticks "$pid") c1=$(core)
	set -- $out
	[ -n "${BENCH_DEBUG:-}" ] && echo "$name pid $pid ticks $t0 $t1 core $c0 $c1 out $out" >&2
	echo "$name $4 $(awk -v r="$1" -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }') $(awk -v r="$1" -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }')" >> "$dir/results"
}
mix() { # name, pid, port: the client mix; requests sent per server CPU-second
	name=$1 pid=$2
	t0=$(ticks "$pid") c0=$(core)
	out=$(taskset -c 0 "$B/bftime-ntpload" --seconds "$secs" --server "127.0.0.1:$3" --mix 100000:10:20) ||
		{ echo "$name: load generator failed" >&2; return 1; }
	t1=$(ticks "$pid") c1=$(core)
	set -- $out
	echo "$name $(awk -v s="$2" -v d="$3" 'BEGIN { printf "%.0f", s / d }') $(awk -v r="$2" -v t=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }') $(awk -v r="$2" -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.0f", (t > 0 ? r * hz / t : 0) }')" >> "$dir/results"
	echo "$name $5 $6 $7 $8 $9" >> "$dir/mix"
}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
rss0_bft=$(rss "$bft_pid") rss0_chr=$(rss "$chr_pid")
: > "$dir/results"
for r in $(seq 1 "$rounds"); do
	# bftimed between the two echoes, so that each of its runs has both
	# limits measured next to it (pair, below).
	run echo "$echo_pid" --server 127.0.0.1:8123 --echo
	run bftimed.ntp "$bft_pid" --server 127.0.0.1:6123
	run echo.ts "$echots_pid" --server 127.0.0.1:8124 --echo
	run chronyd.ntp "$chr_pid" --server 127.0.0.1:7123
	run bftimed.nts "$bft_pid" --server 127.0.0.1:6123 --nts 127.0.0.1:6460 --ca "$dir/ca.pem"
	run chronyd.nts "$chr_pid" --server 127.0.0.1:7123 --nts 127.0.0.1:7460 --ca "$dir/ca.pem"
	mix bftimed.mix-nolimit "$bft_pid" 6123
	mix bftimed.mix-limited "$rl_pid" 6124
done
rss1_bft=$(rss "$bft_pid") rss1_chr=$(rss "$chr_pid") rss_rl=$(rss "$rl_pid")
grep -q 'System clock was stepped\|Could not adjust' "$dir/chronyd.log" && echo "chronyd log mentions the clock: check it" >&2

# Medians and ranges; ratios to chronyd's median in the same mode; by the
# server's process time and by its core's busy time.
awk -v secs="$secs" -v rounds="$rounds" '
	function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo = a[1]; hi = a[n]; return a[int((n + 1) / 2)] }
	function pair(a, b, label, w,   r, lst, x) { lst = ""
		for (r = 1; r <= rounds; r++) if (w[b, r] > 0) { x = sprintf("%.3f", w[a, r] / w[b, r]); lst = lst " " x }
		if (lst != "") printf "%s, round by round:%s (median %.2f)\n", label, lst, med(lst) }
	function both(a, b, label) { pair(a, b, label " (process CPU)", v); pair(a, b, label " (core busy)", c) }
	{ rate[$1] = rate[$1] " " $2; cpu[$1] = cpu[$1] " " $3; cor[$1] = cor[$1] " " $4; v[$1, ++nr[$1]] = $3; c[$1, nr[$1]] = $4
	  if (!($1 in seen)) { order[++k] = $1; seen[$1] = 1 } }
	END {
		printf "NTP serving, %d rounds of %s s per target (servers on CPU 1, load on CPU 0)\n", rounds, secs
		printf "| target | replies/s (median) | replies per server process CPU-second: median [min, max] | ratio | replies per CPU-1 busy second: median [min, max] | ratio |\n| --- | --- | --- | --- | --- | --- |\n"
		for (i = 1; i <= k; i++) { n = order[i]; m[n] = med(cpu[n]); l[n] = lo; h[n] = hi; mc[n] = med(cor[n]); lc[n] = lo; hc[n] = hi; rs[n] = med(rate[n]) }
		for (i = 1; i <= k; i++) { n = order[i]; split(n, p, "."); ch = "chronyd." p[2]
			ratio = (p[2] != "" && (ch in m) && m[ch] > 0) ? sprintf("%.2f", m[n] / m[ch]) : "-"
			ratioc = (p[2] != "" && (ch in mc) && mc[ch] > 0) ? sprintf("%.2f", mc[n] / mc[ch]) : "-"
			if (n == "echo" || n == "echo.ts") { ratio = sprintf("%.2f", m[n] / m["chronyd.ntp"]); ratioc = sprintf("%.2f", mc[n] / mc["chronyd.ntp"]) }
			if (n ~ /^bftimed.mix/) { ratio = ratioc = "-" }
			printf "| %s | %d | %d [%d, %d] | %s | %d [%d, %d] | %s |\n", n, rs[n], m[n], l[n], h[n], ratio, mc[n], lc[n], hc[n], ratioc }
		printf "(ratios to chronyd in the same mode; for echo and echo.ts, to chronyd plain NTP)\n"
		printf "bftimed plain NTP / echo limit: %.2f (process CPU), %.2f (core busy)\n", m["bftimed.ntp"] / m["echo"], mc["bftimed.ntp"] / mc["echo"]
		both("bftimed.ntp", "echo", "bftimed plain NTP / echo limit")
		both("bftimed.ntp", "echo.ts", "bftimed plain NTP / echo with receive stamps")
		both("bftimed.ntp", "chronyd.ntp", "bftimed / chronyd, NTP")
		both("bftimed.nts", "chronyd.nts", "bftimed / chronyd, NTS")
		if (m["bftimed.mix-nolimit"] > 0)
			printf "client mix, requests per server CPU-second, limits 16/s burst 32 / limits off: %.2f (process CPU), %.2f (core busy)\n",
				m["bftimed.mix-limited"] / m["bftimed.mix-nolimit"], mc["bftimed.mix-limited"] / mc["bftimed.mix-nolimit"]
		both("bftimed.mix-limited", "bftimed.mix-nolimit", "client mix, limits on / off")
	}' "$dir/results"
awk '{ n = $1; if (!(n in cs)) order[++o] = n; cs[n] += $2; ca[n] += $3; as[n] += $4; aa[n] += $5; k[n] += $6 }
	END { for (i = 1; i <= o; i++) { n = order[i]; if (cs[n]) printf "%s: clients answered %d of %d requests (%.2f %%), abusers %d of %d (%.2f %%), %d KoD RATE\n", n, ca[n], cs[n], 100 * ca[n] / cs[n], aa[n], as[n], (as[n] ? 100 * aa[n] / as[n] : 0), k[n] } }' "$dir/mix"
echo "VmRSS before and after the load: bftimed $rss0_bft -> $rss1_bft KiB, chronyd $rss0_chr -> $rss1_chr KiB; the limited bftimed after its mix runs $rss_rl KiB"
