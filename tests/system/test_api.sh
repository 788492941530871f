#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTTP API, time proofs and the CLI with three real bftimed on loopback
# (f = 1, each with a simulated reference, its own artificial oscillator, a
# proof store and an API address; proofs every 2 s). Checks, with curl and
# build/bftime: /v1/time intervals overlap and hold CLOCK_REALTIME; validate
# says yes for now and no for now + 10 s; proofs accumulate, are gossiped
# into every store and verify (signatures and chains, checked by the CLI
# itself); bad requests get 4xx JSON and lose nothing; kill -9 and restart
# of a node continues its chain with no acknowledged proof lost, and a node
# whose store was deleted continues it from its peers' copy; /metrics is
# Prometheus text. Prints a cmocka-style summary; about 45 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
C=$B/bftime
N=3
dir=$(mktemp -d /tmp/bftime-api.XXXXXX) || exit 1
base=21000 # fixed, below the ephemeral range (32768-60999): a $$-derived one there met a client port
. tests/system/lib.sh
trap 'stop_nodes 8' EXIT
trap 'exit 130' INT TERM HUP PIPE

api() { echo "127.0.0.1:$((base + 10 + $1))"; }
get() { curl -s --max-time 5 "http://$(api "$1")$2"; }
# HTTP status of a request: code METHOD-ARGS...
code() { curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 "$@"; }

[ -x "$D" ] && [ -x "$C" ] || { echo "build/bftimed missing: run make"; exit 1; }
command -v curl >/dev/null || { echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (curl missing: skipped)"; exit 77; }

make_keys
osc_off="0 2.5 -4"
osc_ppm="0 30 -45"
for i in $(seq 1 $N); do
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), api: $(api "$j"), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: 1s}"
		echo "references:"
		echo "  - {kind: simulated, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "api: $(api "$i")"
		echo "store: $dir/n$i.db"
		echo "proof_interval: 2s"
		echo "oscillator: {offset_ms: $(echo $osc_off | cut -d' ' -f"$i"), freq_ppm: $(echo $osc_ppm | cut -d' ' -f"$i")}"
	} > "$dir/n$i.yaml"
done
start() { "$D" --config "$dir/n$1.yaml" >> "$dir/n$1.log" 2>&1 & echo $! > "$dir/n$1.pid"; }

echo "[==========] $N bftimed with the HTTP API on $(api 1)-$(api $N), proofs every 2 s"
check "config with api, store, proof_interval and peer api accepted" sh -c "\"$D\" --config \"$dir/n1.yaml\" --check-config >/dev/null"
sed 's/^proof_interval: 2s/proof_interval: 2 s/' "$dir/n1.yaml" > "$dir/bad.yaml"
refuses() { # pattern, args...
	pat=$1; shift
	if out=$("$D" "$@" 2>&1); then echo "started"; return 1; fi
	printf '%s\n' "$out" | grep -q -- "$pat" || { echo "message: $out"; return 1; }
}
check "a bad proof_interval names file:line:column, not started" refuses "bad.yaml:10:[0-9]*: expected a duration" --config "$dir/bad.yaml"
for i in $(seq 1 $N); do start "$i"; done

synced_all() {
	for i in $(seq 1 $N); do
		get "$i" /v1/time > "$dir/t$i.json" 2>/dev/null || return 1
		[ "$(field "$dir/t$i.json" synced)" = true ] || return 1
	done
}
k=0
while ! synced_all && [ $k -lt 40 ]; do sleep 0.5; k=$((k + 1)); done
check "every node synchronized (GET /v1/time)" synced_all

# Each interval, carried from its as-of time to the local clock read right
# after, must hold CLOCK_REALTIME (100 ppm drift allowance + 2 ms read skew);
# the intervals carried to a common time overlap pairwise.
time_ok() {
	: > "$dir/iv"
	for i in $(seq 1 $N); do
		get "$i" /v1/time > "$dir/t$i.json"
		t=$(now_ns)
		s=$dir/t$i.json
		a=$(field "$s" as_of_ns) lo=$(field "$s" earliest_ns) hi=$(field "$s" latest_ns)
		[ -n "$lo" ] || { echo "node $i: no interval"; return 1; }
		el=$((t - a)) d=$(((t - a) / 10000 + 2000000))
		if [ $((lo + el - d)) -gt "$t" ] || [ $((hi + el + d)) -lt "$t" ]; then
			echo "node $i: CLOCK_REALTIME outside [$((lo - a)), $((hi - a))] ns of as-of"; return 1
		fi
		echo "$i $a $lo $hi" >> "$dir/iv"
	done
	T=0
	while read -r _ a _ _; do [ "$a" -gt "$T" ] && T=$a; done < "$dir/iv"
	while read -r i ai loi hii; do
		while read -r j aj loj hij; do
			[ "$i" -lt "$j" ] || continue
			di=$(((T - ai) / 10000 + 1000)) dj=$(((T - aj) / 10000 + 1000))
			if [ $((loi + T - ai - di)) -gt $((hij + T - aj + dj)) ] || [ $((loj + T - aj - dj)) -gt $((hii + T - ai + di)) ]; then
				echo "nodes $i and $j disjoint"; return 1
			fi
		done < "$dir/iv"
	done < "$dir/iv"
	printf 'widths'; while read -r i _ lo hi; do printf ' %d us' $(((hi - lo) / 1000)); done < "$dir/iv"
}
check "/v1/time intervals hold the local clock and overlap pairwise" time_ok
check "/v1/time has RFC 3339 strings beside the ns" sh -c "grep -q '\"earliest\":\"20[0-9-]*T[0-9:]*\.[0-9]\{9\}Z\"' \"$dir/t1.json\""

# validate: now is consistent, now + 10 s is not (1 ms tolerance).
check "bftime validate now --tolerance 1ms: yes" sh -c "\"$C\" validate now --tolerance 1ms --api $(api 1) | grep -q '^yes'"
later=$(( $(now_ns) + 10000000000 ))
check "bftime validate now+10s --tolerance 1ms: no (exit 1)" sh -c "\"$C\" validate $later --tolerance 1ms --api $(api 2) > \"$dir/v\"; [ \$? -eq 1 ] && grep -q '^no' \"$dir/v\""
# The RFC 3339 form is what is checked here, not latency: a tolerance far
# above any scheduling delay (50 ms failed under load; the "no" case is 10 s
# off, above).
rfc=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
check "POST /v1/validate with an RFC 3339 timestamp: yes" sh -c "curl -s -d '{\"timestamp\":\"$rfc\",\"tolerance\":\"2s\"}' http://$(api 3)/v1/validate | grep -q '\"result\":\"yes\"'"
check "POST /v1/validate with garbage: 400 JSON error" sh -c "[ \"\$(curl -s -o $dir/b -w '%{http_code}' -d '{\"timestamp\":\"yesterday\"}' http://$(api 1)/v1/validate)\" = 400 ] && grep -q '\"error\"' $dir/b"

sleep 7
proofs_ok() { # api node: each node's chain stored there verifies and has >= 3 proofs
	out=$("$C" proofs --verify --config "$dir/n$1.yaml") || { echo "$out" | tail -n 3; return 1; }
	for j in $(seq 1 $N); do
		line=$(echo "$out" | grep "^node $j:") || { echo "no proofs of node $j"; return 1; }
		n=$(echo "$line" | sed 's/^node [0-9]*: \([0-9]*\) proofs.*/\1/')
		[ "$n" -ge 3 ] || { echo "node $j: only $n proofs"; return 1; }
		echo "$line" | grep -q ' 0 gaps.*(pinned): OK$' || { echo "$line"; return 1; }
	done
	echo "$out" | tail -n 1
}
for i in $(seq 1 $N); do check "node $i's store: own and gossiped proofs of all 3 nodes verify (bftime proofs --verify)" proofs_ok "$i"; done

# Bad input: garbage, a tampered proof, an unknown path, a wrong method, an
# oversized body. All 4xx with a JSON error; the store keeps every proof.
count1() { get 1 /metrics | sed -n 's/^bftime_proofs_stored{node="1"} \([0-9]*\)$/\1/p'; }
before=$(count1)
bad_ok() {
	c=$(code -d 'garbage' "http://$(api 1)/v1/proofs"); [ "$c" = 400 ] || { echo "garbage: $c"; return 1; }
	grep -q '"error"' "$dir/body" || { echo "no JSON error"; return 1; }
	hex=$(get 2 "/v1/proofs?node=2&limit=1&order=newest" | sed -n 's/^      "bytes":"\([0-9a-f]*\)",\{0,1\}$/\1/p' | head -n 1)
	[ -n "$hex" ] || { echo "no proof to tamper with"; return 1; }
	c=$(code -d "{\"proof\":\"$hex\"}" "http://$(api 3)/v1/proofs"); [ "$c" = 200 ] || { echo "a genuine proof: $c"; return 1; }
	grep -q '"result":"duplicate\|"result":"new' "$dir/body" || { echo "genuine: $(cat "$dir/body")"; return 1; }
	t=$(echo "$hex" | sed 's/^\(.\{200\}\)\(.\)/\1f\2/; s/^\(.\{201\}\)./\1/')
	[ "$t" != "$hex" ] || t=$(echo "$hex" | sed 's/^\(.\{200\}\)./\10/')
	c=$(code -d "{\"proof\":\"$t\"}" "http://$(api 1)/v1/proofs"); [ "${c#4}" != "$c" ] || { echo "tampered: $c"; return 1; }
	# The error shape of docs/api.md, beside the results.
	grep -q '"error":"rejected"' "$dir/body" && grep -q '"message":"1 of 1 proofs rejected' "$dir/body" &&
		grep -q "\"status\":$c" "$dir/body" || { echo "rejection's shape: $(cat "$dir/body")"; return 1; }
	c=$(code -H 'Content-Type: application/octet-stream' --data-binary 'short' "http://$(api 1)/v1/proofs"); [ "$c" = 400 ] || { echo "short raw: $c"; return 1; }
	c=$(code "http://$(api 1)/v1/nothing"); [ "$c" = 404 ] || { echo "unknown path: $c"; return 1; }
	c=$(code -X DELETE "http://$(api 1)/v1/proofs"); [ "$c" = 405 ] || { echo "DELETE: $c"; return 1; }
	head -c 2200000 /dev/zero | tr '\0' 'a' > "$dir/big"
	# (no Expect: 100-continue, which curl adds above 1 MiB: the body is sent as before)
	c=$(code -H 'Expect:' --data-binary @"$dir/big" "http://$(api 1)/v1/proofs"); [ "$c" = 413 ] || { echo "2.2 MB body: $c"; return 1; }
	# chunked (no Content-Length): read and dropped past 2 MiB, then 413
	c=$(code -H 'Expect:' -H 'Transfer-Encoding: chunked' --data-binary @"$dir/big" "http://$(api 1)/v1/proofs")
	[ "$c" = 413 ] || { echo "2.2 MB chunked body: $c"; return 1; }
	c=$(code "http://$(api 1)/v1/proofs?limit=0"); [ "$c" = 400 ] || { echo "limit=0: $c"; return 1; }
	echo "400, 4xx, 400, 404, 405, 413, chunked 413, 400"
}
check "bad requests: 4xx with a JSON error" bad_ok
# The 413 above is answered before the body is read. A client that goes on
# sending after it must still read it: the server lingers instead of closing
# with unread data, which resets the connection (before: 3 of 3 lost, EPIPE).
early_413() {
	python3 - "$(api 1)" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
for i in range(3):
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(b"POST /v1/proofs HTTP/1.1\r\nHost: t\r\nContent-Length: 3000000\r\nConnection: close\r\n\r\n" + b"a" * 100000)
    time.sleep(0.2)  # the 413 is sent and libmicrohttpd has closed its socket
    try:
        s.sendall(b"a" * 100000)
        answer = s.recv(4096)
    except OSError as e:
        sys.exit("attempt %d: %s" % (i + 1, e))
    if not answer.startswith(b"HTTP/1.1 413"):
        sys.exit("attempt %d: %r" % (i + 1, answer[:40]))
    s.close()
print("3 of 3 read their 413 after sending on")
PY
}
check "an answer before the body survives the client sending on" early_413
after=$(count1)
check "the store lost nothing ($before -> $after own proofs)" test "${after:-0}" -ge "${before:-1}"
check "4xx counted in /metrics" sh -c "curl -s http://$(api 1)/metrics | grep -q '^bftime_http_bad_requests_total [1-9]'"

# kill -9 node 2 mid-run: the proofs it acknowledged before are all there
# after the restart and its chain continues (seq + 1, prev_hash linked).
get 2 /v1/status > "$dir/s2.json"
head_before=$(sed -n '/"head":{/,/}/s/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' "$dir/s2.json" | head -n 1)
kill -9 "$(cat "$dir/n2.pid")"
echo "[ RUN      ] kill -9 node 2 (chain head seq ${head_before:-?}), restart it"
sleep 1
start 2
sleep 8
restart_ok() {
	[ -n "$head_before" ] || { echo "no head before"; return 1; }
	grep -q "proof chain continues from seq" "$dir/n2.log" || { echo "no continuation logged"; return 1; }
	out=$("$C" proofs --verify --node 2 --api "$(api 2)") || { echo "$out" | tail -n 2; return 1; }
	line=$(echo "$out" | grep '^node 2:')
	first=$(echo "$line" | sed 's/.* seq \([0-9]*\)\.\.\([0-9]*\),.*/\1/') last=$(echo "$line" | sed 's/.* seq \([0-9]*\)\.\.\([0-9]*\),.*/\2/')
	n=$(echo "$line" | sed 's/^node 2: \([0-9]*\) proofs.*/\1/')
	[ "$first" = 0 ] && [ "$n" = $((last + 1)) ] || { echo "$line"; return 1; }
	[ "$last" -gt "$head_before" ] || { echo "no new proofs after restart ($line)"; return 1; }
	echo "$line" | grep -q ' 0 gaps' || { echo "$line"; return 1; }
	echo "seq 0..$last, head was $head_before"
}
check "after kill -9: node 2's chain continues, no acknowledged proof lost" restart_ok
check "after restart: node 1 holds node 2's chain without a fork" sh -c "\"$C\" proofs --verify --node 2 --config \"$dir/n1.yaml\" | grep -q '^node 2: .* 0 gaps.*: OK'"

# Lose node 3's whole store: kill -9, delete it, restart. Before its first
# new proof it fetches its newest proofs from its peers, so its chain
# continues (no seq 0 again, no fork at the peers).
get 3 /v1/status > "$dir/s3.json"
head3=$(sed -n '/"head":{/,/}/s/^ *"seq":\([0-9]*\),\{0,1\}$/\1/p' "$dir/s3.json" | head -n 1)
kill -9 "$(cat "$dir/n3.pid")"
rm -f "$dir/n3.db" "$dir/n3.db-wal" "$dir/n3.db-shm"
echo "[ RUN      ] kill -9 node 3 (chain head seq ${head3:-?}), delete its store, restart it"
sleep 1
start 3
sleep 8
recover_ok() {
	[ -n "$head3" ] || { echo "no head before"; return 1; }
	grep -q "own proof chain recovered from a peer up to seq $head3" "$dir/n3.log" ||
		{ grep 'recovered\|catch-up' "$dir/n3.log" | tail -n 3; return 1; }
	out=$("$C" proofs --verify --node 3 --config "$dir/n1.yaml") || { echo "$out" | tail -n 2; return 1; }
	line=$(echo "$out" | grep '^node 3:')
	last=$(echo "$line" | sed 's/.* seq \([0-9]*\)\.\.\([0-9]*\),.*/\2/')
	[ "${last:-0}" -gt "$head3" ] || { echo "no new proofs after the restart ($line)"; return 1; }
	echo "$line" | grep -q ' 0 gaps.*: OK' || { echo "$line"; return 1; }
	echo "head was $head3, node 1 holds seq 0..$last unforked"
}
check "after losing its store: node 3's chain continues from its peers' copy, no fork" recover_ok

metrics_ok() {
	get 3 /metrics > "$dir/m"
	grep -q '^bftime_synced 1$' "$dir/m" || { echo "bftime_synced"; return 1; }
	grep -q '^bftime_proofs_issued_total [1-9]' "$dir/m" || { echo "proofs issued"; return 1; }
	grep -q '^bftime_source_used{type="peer",id="1",[^}]*} 1$' "$dir/m" || { echo "peer 1 used"; return 1; }
	grep -q '^# TYPE bftime_interval_width_seconds gauge$' "$dir/m" || { echo "TYPE line"; return 1; }
	bad=$(grep -v '^#' "$dir/m" | grep -cv '^[a-z_][a-z0-9_]*\({[a-z_]*="[^"]*"\(,[a-z_]*="[^"]*"\)*}\)\{0,1\} -\{0,1\}[0-9][0-9.e+-]*$')
	[ "$bad" = 0 ] || { echo "$bad malformed lines"; return 1; }
	echo "$(grep -cv '^#' "$dir/m") samples"
}
check "GET /metrics is Prometheus text" metrics_ok

cli_ok() {
	"$C" status --api "$(api 1)" > "$dir/o1" || return 1
	grep -q '^node 1 on 127.0.0.1' "$dir/o1" && grep -q 'chain head seq' "$dir/o1" || { head -n 3 "$dir/o1"; return 1; }
	"$C" peers --config "$dir/n1.yaml" > "$dir/o2" || return 1
	[ "$(grep -c '^[23] ' "$dir/o2")" = 2 ] || { cat "$dir/o2"; return 1; }
	"$C" time --api "http://$(api 3)/" | grep -q 'earliest' || return 1
	"$C" time --json --api "$(api 3)" | grep -q '"latest_ns"' || return 1
	"$C" proofs --node 1 --limit 2 --api "$(api 1)" > "$dir/o3" || return 1
	[ "$(wc -l < "$dir/o3")" = 3 ] || { cat "$dir/o3"; return 1; }
	"$C" status --api 127.0.0.1:1 2>/dev/null && return 1
	# --json: one JSON document each, with the fields a script needs
	for c in "status:node,sources_detail,counters" "peers:peers" "time:earliest_ns,latest_ns,synced" \
		"proofs --node 2 --limit 3:proofs,count" "validate now --tolerance 5ms:result,earliest_ns"; do
		"$C" ${c%%:*} --json --api "$(api 1)" > "$dir/j" || { echo "bftime ${c%%:*} --json failed"; return 1; }
		python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
miss = [k for k in sys.argv[2].split(",") if k not in d]
assert not miss, miss' "$dir/j" "${c#*:}" || { echo "bftime ${c%%:*} --json: $(head -c 200 "$dir/j")"; return 1; }
	done
	return 0
}
check "bftime status, peers, time, proofs, validate (human and --json)" cli_ok

check "SIGTERM stops every node cleanly" stops_cleanly
summary
