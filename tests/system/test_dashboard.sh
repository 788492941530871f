#!/bin/sh
# SPDX-License-Identifier: MIT
# The dashboard as a person sees it (docs/dashboard.md): four bftimed-test on
# loopback, f = 1, node 4 lying by +50 ms; once node 1 is synchronized and
# has left the liar out, headless Chromium (tests/system/cdp.py) opens node
# 1's dashboard and must find the liar marked rejected (with the reason),
# the honest peers used, the fused interval stated and drawn, a line per
# source, and live updates arriving (more polls answered and new samples
# from the node, in real time); the screenshot stays in
# build/test-artifacts/dashboard.png. Before that, curl checks the routes:
# the page is HTML that loads nothing from elsewhere, /v1/history answers
# columns and refuses a bad window. Ports: UDP 22201-22204, API 22211-22214
# (a fixed base of this test's own). About 40 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed-test}
POLL=1
N=4
LIAR=4
base=22200 # fixed, below the ephemeral range (32768-60999): a client port there took the API once (CI)
dir=$(mktemp -d /tmp/bftime-dash.XXXXXX) || exit 1
. tests/system/lib.sh
trap 'stop_nodes 8' EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] && [ -x "$B/bftime" ] || { echo "build/bftimed-test missing: run make"; exit 1; }
command -v chromium >/dev/null || { echo "chromium missing: run scripts/deps.sh"; exit 1; }

make_keys
for i in $(seq 1 $N); do
	{
		echo "node: {id: $i, listen: 127.0.0.1:$((base + i)), key: $dir/n$i.key}"
		echo "api: 127.0.0.1:$((base + 10 + i))"
		echo "peers:"
		for j in $(seq 1 $N); do
			[ "$j" = "$i" ] && continue
			echo "  - {id: $j, address: 127.0.0.1:$((base + j)), public_key: $(cat "$dir/n$j.pub")}"
		done
		echo "consensus: {f: 1, poll: ${POLL}s}"
		echo "references:"
		echo "  - {kind: simulated, name: gps, every: 1s, noise: 200us, uncertainty: 1ms}"
		echo "status: $dir/n$i.json"
		echo "oscillator: {offset_ms: $((i - 2)), freq_ppm: $((i * 10 - 25))}"
		[ "$i" = "$LIAR" ] && echo "byzantine: {strategy: constant, offset: 50ms}"
		[ "$i" = 1 ] && printf 'store: %s\nproof_interval: 2s\n' "$dir/n1.db" # the page shows the chain head
	} > "$dir/n$i.yaml"
done
for i in $(seq 1 $N); do
	"$D" --config "$dir/n$i.yaml" >> "$dir/n$i.log" 2>&1 &
	echo $! > "$dir/n$i.pid"
done
url=http://127.0.0.1:$((base + 11))
echo "[==========] dashboard of node 1 at $url/dashboard; node $LIAR lies by +50 ms"

# Node 1 synchronized and leaving the liar out, with five samples of
# history (a line needs two): a state, waited for up to 60 s.
samples() { curl -sS "$url/v1/history?window=1m" 2>/dev/null | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["t_ms"]))' 2>/dev/null || echo 0; }
ready() {
	for _ in $(seq 1 240); do
		if [ -f "$dir/n1.json" ] && cp "$dir/n1.json" "$dir/snap.json" && [ "$(field "$dir/snap.json" synced)" = true ] &&
			[ "$(peer_used "$dir/snap.json" $LIAR)" = false ] && [ "$(peer_used "$dir/snap.json" 2)" = true ] &&
			[ "$(peer_used "$dir/snap.json" 3)" = true ] && [ "$(samples)" -ge 5 ]; then
			return 0
		fi
		sleep 0.25
	done
	echo "node 1 not synchronized with the liar left out within 60 s"
	return 1
}
check "node 1 synchronized, the liar left out, 5 samples of history" ready

page() {
	curl -sS -D "$dir/page.h" -o "$dir/page.html" "$url/dashboard" || { echo "no answer"; return 1; }
	grep -qi '^content-type: text/html' "$dir/page.h" || { echo "content type: $(grep -i content-type "$dir/page.h")"; return 1; }
	grep -q '<title>bftime node</title>' "$dir/page.html" || { echo "not the dashboard"; return 1; }
	cmp -s "$dir/page.html" src/daemon/dashboard.html || { echo "served page differs from src/daemon/dashboard.html"; return 1; }
	curl -sS -o "$dir/root.html" "$url/" && cmp -s "$dir/root.html" "$dir/page.html" || { echo "/ is not the dashboard"; return 1; }
	# Self-contained: nothing loaded from elsewhere (the SVG namespace is a name, not a load).
	if grep -o 'https\{0,1\}://[^"]*' "$dir/page.html" | grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
		echo "external URL: $(grep -o 'https\{0,1\}://[^"]*' "$dir/page.html" | grep -v w3.org | head -1)"
		return 1
	fi
	echo "$(wc -c < "$dir/page.html") bytes"
}
check "GET /dashboard and / answer the embedded page, loading nothing from elsewhere" page

history() {
	curl -sS "$url/v1/history?window=1m" > "$dir/h.json" || return 1
	python3 - "$dir/h.json" $LIAR <<'PY'
import json, sys
h = json.load(open(sys.argv[1])); liar = int(sys.argv[2])
n = len(h["t_ms"])
assert n >= 2, f"{n} samples"
for k in ("synced", "alarm", "offset_ns", "lo_ns", "hi_ns", "freq_ppb", "precision_ns"):
    assert len(h[k]) == n, k
assert h["last_seq"] - h["first_seq"] + 1 == n, "sequence numbers"
src = {(s["type"], s["id"]): s for s in h["sources"]}
l = src[("peer", liar)]
assert len(l["state"]) == n and l["state"][-1] == "r", "liar state " + l["state"]
assert 40e6 < l["offset_ns"][-1] < 60e6, f"liar offset {l['offset_ns'][-1]}"
assert h["lo_ns"][-1] <= 0 <= h["hi_ns"][-1], "estimate outside its interval"
print(f"{n} samples, liar at +{l['offset_ns'][-1] / 1e6:.1f} ms, state r")
PY
}
check "GET /v1/history: columns, the liar rejected at about +50 ms" history
after() {
	last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_seq"])' "$dir/h.json")
	curl -sS "$url/v1/history?after=$last&window=1h" > "$dir/h2.json" || return 1
	python3 -c '
import json, sys
h = json.load(open(sys.argv[1])); last = int(sys.argv[2])
assert h["first_seq"] > last, "repeated samples"
assert len(h["t_ms"]) == max(0, h["last_seq"] - last), "missing samples"
print(str(len(h["t_ms"])) + " new")' "$dir/h2.json" "$last"
}
check "GET /v1/history?after=SEQ answers only newer samples" after
bad() {
	code=$(curl -sS -o "$dir/bad.json" -w '%{http_code}' "$url/v1/history?window=forever") || return 1
	[ "$code" = 400 ] && grep -q '"window: ' "$dir/bad.json" || { echo "HTTP $code: $(cat "$dir/bad.json")"; return 1; }
}
check "a bad window is refused with 400, naming the argument" bad

mkdir -p "$B/test-artifacts"
python3 tests/system/cdp.py dashboard "$url/dashboard" "$B/test-artifacts/dashboard.png" $LIAR > "$dir/cdp.out" 2>&1
while IFS= read -r line; do
	case $line in
	"OK "*) ok "chromium: ${line#OK }" ;;
	"FAIL "*) ko "chromium: ${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done < "$dir/cdp.out"
grep -q '^OK screenshot kept' "$dir/cdp.out" && echo "screenshot: $B/test-artifacts/dashboard.png"
check "every node still running" sh -c "for i in \$(seq 1 $N); do kill -0 \$(cat $dir/n\$i.pid) || exit 1; done"
summary
