#!/bin/sh
# SPDX-License-Identifier: MIT
# The operator's diagnostics (issue 14): bftime sources, tracking and wait
# (chronyc's sources, tracking and waitsync) and their exit codes; /metrics
# with source names and kinds as labels, bftime_build_info, frequency and
# skew, clean under promtool check metrics; a peer whose public_key is one
# digit wrong shown as such (per-peer bad_signature), not as "not heard
# from"; ALARM shown as "alarm" with the holdover metric 1.
# Seven bftimed-test on loopback (an eighth for the SIGHUP at start), ports 22401-22458 (fixed: no other test
# uses 22400-22499):
#   1: simulated reference; peers 2 (right key) and 3 (one digit wrong)
#   2, 3: simulated reference; peer 1
#   4: its one peer never answers, its gpsd is not running, its NTP server's
#      name does not resolve: never synchronized
#   5: no reference, f = 0; peers 6 (honest) and 7 (lies by 1 s after 8 s):
#      synchronized, then the alarm
# About 30 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=7
base=22400 # fixed, below the ephemeral range (32768-60999)
dir=$(mktemp -d /tmp/bftime-diag.XXXXXX) || exit 1
. tests/system/lib.sh
trap '[ -f "$dir/n8.pid" ] && kill -9 "$(cat "$dir/n8.pid")" 2>/dev/null; stop_nodes 15' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl missing: skipped)"; exit 77; }

api() { echo "127.0.0.1:$((base + 50 + $1))"; }
make_keys
# Peer 3's key as node 1 holds it: one hex digit changed.
k3=$(cat "$dir/n3.pub")
d=$(printf '%s' "$k3" | cut -c21)
wrong3="$(printf '%s' "$k3" | cut -c1-20)$([ "$d" = 0 ] && echo 1 || echo 0)$(printf '%s' "$k3" | cut -c22-)"
[ "$wrong3" != "$(cat "$dir/n3.pub")" ] && [ ${#wrong3} = 64 ] || { echo "could not make the wrong key"; exit 1; }

peer() { # id [key]
	echo "  - {id: $1, address: 127.0.0.1:$((base + $1)), public_key: ${2:-$(cat "$dir/n$1.pub")}}"
}
conf() { # id f has-reference peers... (id or id=key)
	i=$1 f=$2 ref=$3
	shift 3
	echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
	echo "peers:"
	for p in "$@"; do peer "${p%%=*}" "$(case $p in *=*) echo "${p#*=}" ;; esac)"; done
	echo "consensus: {f: $f, poll: 1s}"
	if [ "$ref" = 1 ]; then
		echo "references:"
		echo "  - {name: gps-sim$i, kind: simulated, every: 1s, noise: 100us, uncertainty: 1ms}"
	fi
	echo "api: $(api "$i")"
}
conf 1 0 1 2 "3=$wrong3" > "$dir/n1.yaml"
conf 2 0 1 1 > "$dir/n2.yaml"
conf 3 0 1 1 > "$dir/n3.yaml"
conf 4 0 0 1 > "$dir/n4.yaml"
sed -i "s/127.0.0.1:$((base + 1)),/127.0.0.1:$((base + 49)),/" "$dir/n4.yaml" # nobody there
printf 'references:\n  - {name: gpsd0, kind: gpsd, server: 127.0.0.1:%s}\n' $((base + 48)) >> "$dir/n4.yaml" # no gpsd there
printf '  - {name: ntp0, kind: ntp, server: no-such-host.invalid}\n' >> "$dir/n4.yaml" # a name that never resolves
conf 5 0 0 6 7 > "$dir/n5.yaml"
conf 6 0 1 5 > "$dir/n6.yaml"
conf 7 0 1 5 > "$dir/n7.yaml"
echo "byzantine: {strategy: constant, offset: 1s, after: 8s}" >> "$dir/n7.yaml"
for i in $(seq 1 $N); do
	"$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
	echo $! > "$dir/n$i.pid"
done

echo "[==========] bftime sources, tracking, wait; /metrics; $N bftimed on 127.0.0.1:$((base + 1))-$((base + N))"
cli() { c=$1 i=$2; shift 2; "$C" "$c" --api "$(api "$i")" "$@"; }

# wait: 0 once synchronized; 3 on a node that never is; 1 without a daemon.
wait_ok() {
	cli wait 1 --timeout 20s > "$dir/w1" 2>&1
	rc=$?
	[ "$rc" = 0 ] && grep -q "synchronized" "$dir/w1" || { echo "exit $rc: $(cat "$dir/w1")"; return 1; }
}
check "bftime wait --timeout 20s: exit 0 once synchronized" wait_ok
wait_never() {
	cli wait 4 --timeout 2s > "$dir/w4" 2>&1
	rc=$?
	[ "$rc" = 3 ] && grep -q "not synchronized within 2s" "$dir/w4" || { echo "exit $rc: $(cat "$dir/w4")"; return 1; }
}
check "bftime wait on a node that never synchronizes: exit 3 at the timeout" wait_never
wait_nobody() {
	"$C" wait --api 127.0.0.1:$((base + 99)) --timeout 1s > "$dir/w0" 2>&1
	rc=$?
	[ "$rc" = 1 ] && grep -q "bftime wait: no answer from http://127.0.0.1:$((base + 99))/v1/time within 1s" "$dir/w0" ||
		{ echo "exit $rc: $(cat "$dir/w0")"; return 1; }
}
check "bftime wait with no daemon there: exit 1, saying so" wait_nobody
usage_rc() {
	"$C" wait --tolerance 1s > /dev/null 2>&1; a=$?
	"$C" wait --timeout soon > /dev/null 2>&1; b=$?
	"$C" sources --api 127.0.0.1:$((base + 99)) > /dev/null 2>&1; c=$?
	"$C" tracking --bogus > /dev/null 2>&1; d=$?
	[ "$a$b$c$d" = 2212 ] || { echo "exits $a $b $c $d, not 2 2 1 2"; return 1; }
}
check "usage errors exit 2, an unreachable daemon 1" usage_rc
wait_dist() { cli wait 1 --timeout 10s --max-distance 50ms > /dev/null || { echo "exit $?"; return 1; }; }
check "bftime wait --max-distance 50ms: exit 0" wait_dist

sleep 3 # a few polls: reach fills
sources_ok() {
	cli sources 1 > "$dir/s1" 2>&1 || { echo "exit $?"; return 1; }
	grep -q '^\* *reference *0 *gps-sim1 *simulated *[1-7][0-7]* *1.0s ' "$dir/s1" &&
		grep -q "^\* *peer *2 *127.0.0.1:$((base + 2)) *peer *[1-7][0-7]* " "$dir/s1" ||
		{ cat "$dir/s1"; return 1; }
}
check "bftime sources: the reference and peer 2 used, reach nonzero, poll 1.0s" sources_ok
wrong_key() {
	cli sources 1 > "$dir/s1" 2>&1
	grep -q "^? *peer *3 .* no fresh reading: [0-9]* datagrams naming it failed the signature check under its configured public_key (wrong key?)" "$dir/s1" ||
		{ cat "$dir/s1"; return 1; }
	curl -s "http://$(api 1)/v1/status" > "$dir/st1.json"
	grep -q '"bad_signature":[1-9]' "$dir/st1.json" || { echo "no per-peer bad_signature"; return 1; }
}
check "a peer key one digit wrong: said so for that peer, bad_signature counted" wrong_key
tracking_ok() {
	cli tracking 1 > "$dir/t1" 2>&1 || { echo "exit $?"; return 1; }
	for l in "State           : synchronized" "Leap status     : normal" "Root distance   : 0.00" \
	         "Frequency       : -\{0,1\}[0-9.]* ppm" "Skew            : [0-9.]* ppm" "Update interval : 1.0s" \
	         "System time     : 0.00"; do
		grep -q "^$l" "$dir/t1" || { echo "no '$l' in: $(cat "$dir/t1")"; return 1; }
	done
}
check "bftime tracking: state, leap, root distance, frequency, skew, update interval" tracking_ok
tracking_never() {
	cli tracking 4 > "$dir/t4" 2>&1 || { echo "exit $?"; return 1; }
	grep -q "^State           : unsynchronized" "$dir/t4" && grep -q "^Leap status     : unsynchronized" "$dir/t4" &&
		grep -q "^Root distance   : - " "$dir/t4" || { cat "$dir/t4"; return 1; }
}
check "bftime tracking on an unsynchronized node says so" tracking_never
gpsd_down() {
	k=0
	while ! grep -q "reference gpsd0: no connection to gpsd at 127.0.0.1:$((base + 48)): Connection refused (is gpsd running?); retrying" "$dir/n4.log"; do
		[ $k -lt 10 ] || { echo "not logged: $(grep gpsd "$dir/n4.log")"; return 1; }
		sleep 0.5
		k=$((k + 1))
	done
	n=$(grep -c "no connection to gpsd" "$dir/n4.log")
	[ "$n" = 1 ] || { echo "logged $n times, not once"; return 1; }
}
check "gpsd not running: logged once, saying so" gpsd_down
unresolved() {
	grep -q "reference ntp0: server 'no-such-host.invalid': .*; retrying (up to every 300 s)" "$dir/n4.log" ||
		{ echo "not logged: $(grep ntp0 "$dir/n4.log")"; return 1; }
	kill -0 "$(cat "$dir/n4.pid")" || { echo "the daemon stopped"; return 1; }
	curl -s "http://$(api 4)/v1/status" | grep -q '"resolve_error":"[^"]' || { echo "no resolve_error in the status"; return 1; }
}
check "an NTP server name that does not resolve at start: logged, retried, not fatal" unresolved
# The API address taken: fatal, saying so; and the CLI, given node 9's
# configuration, refuses node 1's answer there (issue 14).
api_taken() {
	sed "s/id: 1,/id: 9,/; s/:$((base + 1)),/:$((base + 9)),/" "$dir/n1.yaml" > "$dir/n9.yaml"
	"$B/bftime" keygen --out "$dir/n9.key" > /dev/null
	sed -i "s|key: $dir/n1.key|key: $dir/n9.key|" "$dir/n9.yaml"
	timeout 10 "$D" --config "$dir/n9.yaml" > "$dir/n9.out" 2>&1 && { echo "started"; return 1; }
	grep -q "cannot serve the HTTP API on $(api 1): Address already in use: another bftimed, or another program, serves there" "$dir/n9.out" ||
		{ echo "daemon: $(cat "$dir/n9.out")"; return 1; }
	"$C" status --config "$dir/n9.yaml" > "$dir/c9" 2>&1 && { echo "status answered"; return 1; }
	grep -q "answers for node 1, not node 9 of $dir/n9.yaml: another daemon holds its API address" "$dir/c9" ||
		{ echo "cli: $(cat "$dir/c9")"; return 1; }
	"$C" status --config "$dir/n1.yaml" > /dev/null || { echo "its own daemon refused"; return 1; }
}
check "API address taken: the daemon refuses to start; the CLI refuses another node's answer" api_taken
# SIGHUP: the file reread, what differs named, nothing applied (issue 14).
hup() { # node, expected log line, count of SIGHUP lines before
	kill -HUP "$(cat "$dir/n$1.pid")" || { echo "no process"; return 1; }
	k=0
	while [ "$(grep -c 'SIGHUP' "$dir/n$1.log")" -le "$3" ]; do
		[ $k -lt 20 ] || { echo "nothing logged"; return 1; }
		sleep 0.2
		k=$((k + 1))
	done
	grep 'SIGHUP' "$dir/n$1.log" | tail -n 1 | grep -qF "$2" || { echo "logged: $(grep SIGHUP "$dir/n$1.log" | tail -n 1)"; return 1; }
	kill -0 "$(cat "$dir/n$1.pid")" || { echo "the daemon stopped"; return 1; }
}
sighup() {
	y=$(readlink -f "$dir/n2.yaml")
	hup 2 "SIGHUP: $y reread: no change from the running configuration" 0 || return 1
	cp "$dir/n2.yaml" "$dir/n2.orig"
	sed -i 's/poll: 1s/poll: 2s/; s/noise: 100us/noise: 200us/' "$dir/n2.yaml"
	hup 2 "SIGHUP: $y reread: it differs in consensus, references; bftimed applies configuration changes only at a restart" 1 || return 1
	echo "peers: [" >> "$dir/n2.yaml"
	hup 2 "SIGHUP: $y:" 2 || return 1
	grep SIGHUP "$dir/n2.log" | tail -n 1 | grep -q "the running configuration is kept" || { echo "not kept"; return 1; }
	cp "$dir/n2.orig" "$dir/n2.yaml"
	cli time 2 > /dev/null || { echo "node 2 not synchronized after"; return 1; }
}
check "SIGHUP: rereads, names what differs (a restart applies it), keeps running on a broken file" sighup
# A SIGHUP while the daemon loads (here held 1.5 s in the open of its key
# file by strace's fault injection) is reread once the loop runs; it killed
# the daemon by the default action before the loop had its handler.
hup_early() {
	command -v strace > /dev/null || { echo "strace missing: run scripts/deps.sh"; return 1; }
	sed "s/id: 2,/id: 8,/; s/:$((base + 2)),/:$((base + 8)),/; s|$(api 2)|$(api 8)|; s|n2.key|n8.key|" "$dir/n2.yaml" > "$dir/n8.yaml"
	"$B/bftime" keygen --out "$dir/n8.key" > /dev/null || return 1
	strace -o /dev/null -e trace=openat -e inject=openat:delay_enter=1500000 -P "$dir/n8.key" \
		"$D" --config "$dir/n8.yaml" >> "$dir/n8.log" 2>&1 &
	st=$!
	# The daemon, once it has sat 0.3 s in a tracing stop (the delayed
	# open; strace's stops for other opens last microseconds).
	k=0 held=0 p=""
	while [ $k -lt 100 ] && [ $held -lt 3 ]; do
		[ -z "$p" ] && p=$(pgrep -P "$st" -x "$(basename "$D")")
		if [ -n "$p" ] && grep -q '^State:.*t (tracing stop)' /proc/"$p"/status 2>/dev/null; then
			held=$((held + 1))
		else
			held=0
		fi
		sleep 0.1
		k=$((k + 1))
	done
	[ $held -ge 3 ] || { echo "never held in the key's open: $(cat "$dir/n8.log")"; kill $st; return 1; }
	echo "$p" > "$dir/n8.pid"
	kill -HUP "$p"
	k=0
	while ! grep -q 'SIGHUP' "$dir/n8.log"; do
		[ $k -lt 40 ] || break
		sleep 0.2
		k=$((k + 1))
	done
	kill -0 "$p" 2>/dev/null || { wait $st; echo "the daemon died (strace: exit $?): $(tail -n 3 "$dir/n8.log")"; return 1; }
	grep -q "SIGHUP: $(readlink -f "$dir/n8.yaml") reread: no change from the running configuration" "$dir/n8.log" ||
		{ echo "logged: $(grep SIGHUP "$dir/n8.log")"; return 1; }
}
check "SIGHUP while the daemon loads: reread once it runs, not fatal" hup_early
# The engine as it runs (privsep.h): no capability, under seccomp, and the
# log says so (the test runs as root: the daemon dropped them itself).
sandboxed() {
	p=$(cat "$dir/n1.pid")
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/"$p"/status) prm=$(sed -n 's/^CapPrm:[[:space:]]*//p' /proc/"$p"/status)
	sec=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/"$p"/status)
	[ "$eff" = 0000000000000000 ] && [ "$prm" = 0000000000000000 ] && [ "$sec" = 2 ] ||
		{ echo "CapEff $eff CapPrm $prm Seccomp $sec"; return 1; }
	grep -q "engine sandboxed: no capabilities, no clock-setting system calls" "$dir/n1.log" || { echo "not logged"; return 1; }
}
check "the running engine: no capabilities, a seccomp filter" sandboxed
json_ok() {
	cli sources 1 --json > "$dir/sj" && grep -q '"reach":' "$dir/sj" && grep -q '"last_rx_ago_ns":' "$dir/sj" &&
		grep -q '"poll_ns":1000000000' "$dir/sj" && cli tracking 1 --json | grep -q '"skew_ppb":' ||
		{ echo "fields missing"; return 1; }
}
check "--json: reach, last_rx_ago_ns, poll_ns, skew_ppb" json_ok

metrics_ok() {
	curl -s "http://$(api 1)/metrics" > "$dir/m1" || { echo "no answer"; return 1; }
	for l in 'bftime_build_info{version="[0-9][^"]*"} 1' \
	         'bftime_source_used{type="reference",id="0",name="gps-sim1",kind="simulated"} 1' \
	         "bftime_source_used{type=\"peer\",id=\"2\",name=\"127.0.0.1:$((base + 2))\",kind=\"peer\"} 1" \
	         'bftime_source_reach{type="reference",id="0",name="gps-sim1",kind="simulated"} [0-9]' \
	         'bftime_source_bad_signature_total{type="peer",id="3",[^}]*} [1-9]' \
	         'bftime_frequency_ppb -\{0,1\}[0-9]' 'bftime_frequency_skew_ppb [0-9]'; do
		grep -q "^$l" "$dir/m1" || { echo "no '$l'"; return 1; }
	done
}
check "/metrics: build info, source name and kind labels, reach, bad signatures, frequency, skew" metrics_ok
promtool_ok() {
	for i in 1 4 5; do
		curl -s "http://$(api "$i")/metrics" > "$dir/m$i" || { echo "node $i: no answer"; return 1; }
		promtool check metrics < "$dir/m$i" > "$dir/p$i" 2>&1 || { echo "node $i: $(cat "$dir/p$i")"; return 1; }
	done
}
if command -v promtool > /dev/null; then
	check "promtool check metrics: clean (nodes 1, 4, 5)" promtool_ok
else
	skipped "promtool check metrics (Debian's prometheus not installed: scripts/deps.sh)"
fi

# Node 5: synchronized on peers 6 and 7, then 7 lies by 1 s: with f = 0,
# two disjoint sources are more than f faulty.
alarm_ok() {
	k=0
	while [ $k -lt 30 ]; do
		curl -s "http://$(api 5)/v1/time" > "$dir/a5.json"
		[ "$(field "$dir/a5.json" alarm)" = true ] && break
		sleep 0.5
		k=$((k + 1))
	done
	[ "$(field "$dir/a5.json" alarm)" = true ] || { echo "no alarm: $(cat "$dir/a5.json")"; return 1; }
	[ "$(field "$dir/a5.json" state)" = alarm ] || { echo "state $(field "$dir/a5.json" state)"; return 1; }
	curl -s "http://$(api 5)/metrics" | grep -q '^bftime_holdover 1$' || { echo "holdover metric not 1"; return 1; }
	cli tracking 5 | grep -q "^State           : alarm" || { echo "tracking: $(cli tracking 5)"; return 1; }
}
check "ALARM: state \"alarm\" (API, tracking), bftime_holdover 1" alarm_ok
wait_alarm() {
	cli wait 5 --timeout 1s > "$dir/w5" 2>&1
	rc=$?
	[ "$rc" = 3 ] || { echo "exit $rc: $(cat "$dir/w5")"; return 1; }
}
check "bftime wait in alarm: not synchronized (exit 3)" wait_alarm
summary
