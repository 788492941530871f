#!/bin/sh
# SPDX-License-Identifier: MIT
# One abusive client against the HTTP API of a real bftimed on loopback
# (docs/api.md, "Limits"): while it holds 150 slowloris connections (a
# header line every 2 s), 1,000 idle connections, a keep-alive request
# flood, and finally all of them at once with 600 more slow connections
# from 40 further addresses (more than the server's whole connection cap),
# spread over source addresses of 127.0.0.0/8, a well-behaved client at
# 127.0.0.1 must keep getting GET /v1/time answered: at least 9 of 10
# probes answered 200 within 2 s in every phase. The server's own figures
# (/metrics) must show why: connections closed at their deadlines and
# under pressure, the flood answered 429 by the per-address rate limit, and
# never more open than the cap. bftimed runs under an open-file limit of
# 1024 (a common default), the clients under 4096. Without the limits
# (before issue 13) the probes got 0, 4, 10 and 0 of 10 answers.
# Helper: tests/system/api_abuse.py (python3, standard library). About 65 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
N=1
dir=$(mktemp -d /tmp/bftime-abuse.XXXXXX) || exit 1
port=21100 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
api=127.0.0.1:$((port + 1))
H=tests/system/api_abuse.py
. tests/system/lib.sh
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; stop_nodes 20' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed missing: run make"; exit 1; }
if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
	echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (python3 or curl missing: skipped)"; exit 77
fi
# The clients need about 2,400 sockets at once.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 2600 ] || {
	echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (open-file limit $(ulimit -n) < 2600: skipped)"; exit 77
}

make_keys
cat > "$dir/n1.yaml" <<EOF
node: {id: 1, listen: 127.0.0.1:$port, key: $dir/n1.key}
consensus: {f: 0, poll: 1s}
references:
  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}
api: $api
store: $dir/n1.db
proof_interval: 1s
EOF
(ulimit -n 1024; exec "$D" --config "$dir/n1.yaml" > "$dir/n1.log" 2>&1) &
echo $! > "$dir/n1.pid"
k=0
until curl -s --max-time 1 "http://$api/v1/time" 2>/dev/null | grep -q '"synced":true' || [ $k -ge 40 ]; do sleep 0.5; k=$((k + 1)); done

# Source addresses: 127.0.0.2 .. 127.0.0.9 for the attack, 127.0.1.1 .. 127.0.1.40 for its last wave.
eight=$(seq -s, -f '127.0.0.%g' 2 9)
forty=$(seq -s, -f '127.0.1.%g' 1 40)
attack() { # mode, conns, sources, seconds
	python3 "$H" "$1" --target "$api" --conns "$2" --from "$3" --duration "$4" --every 2 >> "$dir/attack.out" 2>&1 &
	pids="$pids $!"
}
# 10 probes from 127.0.0.1, 1 s apart, after the attack has had 3 s to take
# hold; then the attack's end is awaited.
probes() { # tag
	python3 "$H" probe --target "$api" --from 127.0.0.1 --count 10 --every 1 --timeout 2 --delay 3 > "$dir/probe.$1"
	for p in $pids; do wait "$p"; done
	pids=
}
answered() { # tag: at least 9 of 10
	r=$(cat "$dir/probe.$1")
	a=$(echo "$r" | sed -n 's/.*answered=\([0-9]*\).*/\1/p')
	[ -n "$a" ] && [ "$a" -ge 9 ] || { echo "$r"; return 1; }
	echo "$r" | sed 's/^mode=probe //'
}
metric() { curl -s --max-time 2 "http://$api/metrics" | sed -n "s/^$1 //p"; }

echo "[==========] bftimed with the HTTP API on $api; attacks from 127.0.0.2-9 and 127.0.1.1-40, probes from 127.0.0.1"
check "undisturbed: 10 of 10 probes answered within 2 s" sh -c "python3 $H probe --target $api --count 10 --every 0.2 --timeout 2 | grep -q 'answered=10 '"

attack slowloris 150 "$eight" 15
probes slowloris
check "150 slowloris connections: probes answered" answered slowloris
attack idle 1000 "$eight" 15
probes idle
check "1,000 idle connections: probes answered" answered idle
attack flood 32 "$eight" 15
probes flood
check "request flood (32 keep-alive connections): probes answered" answered flood
attack slowloris 150 "$eight" 15
attack idle 1000 "$eight" 15
attack flood 32 "$eight" 15
attack slowloris 600 "$forty" 15
probes all
check "all at once, and 600 slow connections from 40 more addresses: probes answered" answered all

echo "--- the clients' figures"
cat "$dir/attack.out"
conns_ok() {
	m=$(metric bftime_http_connections_max)
	[ -n "$m" ] || { echo "no bftime_http_connections_max in /metrics"; return 1; }
	[ "$m" -le 256 ] || { echo "$m connections open at once"; return 1; }
	echo "at most $m open at once"
}
check "never more connections open than the cap (256)" conns_ok
closed_ok() {
	dl=$(metric bftime_http_closed_deadline_total) pr=$(metric bftime_http_closed_pressure_total)
	[ -n "$dl" ] && [ "$dl" -gt 0 ] && [ -n "$pr" ] && [ "$pr" -gt 0 ] || { echo "deadline '$dl', pressure '$pr'"; return 1; }
	echo "$dl closed at their deadlines, $pr under pressure"
}
check "slow connections closed at their deadlines and under pressure" closed_ok
check "the flood met the per-address rate limit (429)" sh -c "[ \"\$(curl -s --max-time 2 http://$api/metrics | sed -n 's/^bftime_http_rate_limited_total //p')\" -gt 0 ]"
check "the node stayed synchronized" sh -c "curl -s --max-time 2 http://$api/v1/time | grep -q '\"synced\":true'"
check "bftimed still running" kill -0 "$(cat "$dir/n1.pid")"
summary
