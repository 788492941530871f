# SPDX-License-Identifier: MIT
# Shared by the system tests (sourced, not run): cmocka-style reporting, the
# status-file readers, key generation, stopping nodes, and the checks every
# cluster test makes of an honest node. Expects $dir (the test's directory),
# $N (nodes), $B (build dir); node_ok also $POLL and $LIAR.

pass=0 fail=0 skip=0

ok() { echo "[       OK ] $1"; pass=$((pass + 1)); }
ko() { echo "[  FAILED  ] $1${2:+: $2}"; fail=$((fail + 1)); }
skipped() { echo "[  SKIPPED ] $1"; skip=$((skip + 1)); }
check() { name=$1; shift; if msg=$("$@"); then ok "$name${msg:+ ($msg)}"; else ko "$name" "$msg"; fi; }
# The closing lines, and the exit status.
summary() {
	echo "[==========] $((pass + fail)) test(s) run."
	echo "[  PASSED  ] $pass test(s)."
	[ "$skip" -gt 0 ] && echo "[  SKIPPED ] $skip test(s)."
	[ "$fail" -eq 0 ] || { echo "[  FAILED  ] $fail test(s)."; exit 1; }
	exit 0
}

now_ns() { date +%s%N; }
# A top-level integer, boolean or string of a status file or API answer
# (json-c pretty output: top-level keys are indented by two spaces). Shell
# arithmetic is 64-bit; jq and awk would round ns since the epoch to doubles.
field() { sed -n "s/^  \"$2\":\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$1" | head -n 1; }
# "used" of peer $2 in status file $1.
peer_used() {
	awk -v id="$2" '/"peers":/ { p = 1 } p && $0 ~ "\"id\":" id "," { f = 1 } f && /"used":/ { gsub(/[^a-z]/, ""); sub(/used/, ""); print; exit }' "$1"
}

# Keys n1..nN in $dir: nI.key (0600) and nI.pub (hex).
make_keys() {
	for i in $(seq 1 $N); do
		"$B/bftime" keygen --out "$dir/n$i.key" > "$dir/n$i.pub" || exit 1
	done
}

# Kill every node still recorded in $dir/nI.pid; on failure show the last
# $1 lines of each log; keep $dir with KEEP=1, else remove it.
stop_nodes() {
	for i in $(seq 1 $N); do
		[ -f "$dir/n$i.pid" ] && kill -9 "$(cat "$dir/n$i.pid")" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$fail" -ne 0 ] && [ -z "${KEEP:-}" ]; then
		for i in $(seq 1 $N); do echo "--- node $i log (tail)"; tail -n "$1" "$dir/n$i.log" 2>/dev/null; done
	fi
	[ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}

# SIGTERM every node: each must log that it stopped on the signal.
stops_cleanly() {
	for i in $(seq 1 $N); do kill -TERM "$(cat "$dir/n$i.pid")" 2>/dev/null; done
	sleep 0.5
	bad=0
	for i in $(seq 1 $N); do grep -q 'stopping on signal 15' "$dir/n$i.log" || bad=1; rm -f "$dir/n$i.pid"; done
	test "$bad" = 0
}

# Snapshot status file $1 into $2, then, as of that read: synchronized, and
# the interval, carried from its as-of time to now (true time advanced by
# the age el, within the drift bound of 100 ppm and 1 ms of scheduling
# slack), holds CLOCK_REALTIME. Leaves s (the snapshot), t, a, lo, hi, el.
holds_realtime() { # status file, snapshot
	[ -f "$1" ] || { echo "no status file"; return 1; }
	cp "$1" "$2"
	t=$(now_ns) s=$2
	[ "$(field "$s" synced)" = true ] || { echo "not synced"; return 1; }
	a=$(field "$s" as_of_realtime_ns) lo=$(field "$s" earliest_ns) hi=$(field "$s" latest_ns)
	el=$((t - a))
	d=$((el / 10000 + 1000000))
	if [ $((lo + el - d)) -gt "$t" ] || [ $((hi + el + d)) -lt "$t" ]; then
		echo "CLOCK_REALTIME outside [$((lo - a)), $((hi - a))] ns (relative to as-of)"
		return 1
	fi
}

# The checks on one honest node's status file, right after reading it:
# synced, no alarm, fresh, its interval holds CLOCK_REALTIME, not pulled
# away, and not using the liar. Records the interval for overlap_ok.
node_ok() { # node, tag
	holds_realtime "$dir/n$1.json" "$dir/snap$1.json" || return 1
	[ "$(field "$s" alarm)" = false ] || { echo "alarm raised"; return 1; }
	[ "$el" -ge 0 ] && [ "$el" -le $((3 * POLL * 1000000000)) ] || { echo "status is stale ($el ns old)"; return 1; }
	off=$(field "$s" system_offset_ns)
	[ "${off#-}" -lt 5000000 ] || { echo "offset $off ns: pulled away"; return 1; }
	[ "$1" = "$LIAR" ] || [ "$(peer_used "$s" $LIAR)" = false ] || { echo "the liar is used"; return 1; }
	echo "$1 $a $lo $hi $off" >> "$dir/measured.$2"
	printf 'offset %+d us to CLOCK_REALTIME, interval width %d us' $((off / 1000)) $(((hi - lo) / 1000))
}

# Pairwise overlap of the intervals node_ok recorded under a tag: each
# carried to a common time T with the drift allowance, then intersected.
overlap_ok() { # tag
	T=0
	while read -r _ a _ _ _; do [ "$a" -gt "$T" ] && T=$a; done < "$dir/measured.$1"
	while read -r i ai loi hii _; do
		while read -r j aj loj hij _; do
			[ "$i" -lt "$j" ] || continue
			di=$(((T - ai) / 10000 + 1000)) dj=$(((T - aj) / 10000 + 1000))
			l1=$((loi + T - ai - di)) h1=$((hii + T - ai + di))
			l2=$((loj + T - aj - dj)) h2=$((hij + T - aj + dj))
			if [ "$l1" -gt "$h2" ] || [ "$l2" -gt "$h1" ]; then echo "nodes $i and $j disjoint"; return 1; fi
		done < "$dir/measured.$1"
	done < "$dir/measured.$1"
	echo "$(wc -l < "$dir/measured.$1") intervals"
}

# Stop process $1 (recorded by the test, never found by name): TERM, up to
# a second's grace, then KILL it and its own children (gpsfake may ignore
# TERM once its gpsd is gone).
stop_pid() {
	kill "$1" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	pkill -9 -P "$1" 2>/dev/null
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Stop every pid in $pids; on failure show each $dir/*.log's tail; keep
# $dir with KEEP=1, else remove it.
cleanup_pids() {
	for p in $pids; do stop_pid "$p"; done
	if [ "$fail" -ne 0 ] && [ -z "${KEEP:-}" ]; then
		for f in "$dir"/*.log; do [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 15 "$f"; }; done
	fi
	[ -n "${KEEP:-}" ] && echo "kept $dir" || rm -rf "$dir"
}

# ---- network namespaces (test_netns, test_isync_netns) ----------------------
# netns_make NAME: a namespace with lo up, added to $nslist (netns_clean
# deletes them). netns_star HUB NET N PREFIX: a bridge br0 in HUB, and
# namespaces PREFIX1..N, each joined to it by a veth pair, eth0 = NET.i/24.
# Each returns non-zero with the reason in $netns_why (callers skip).
nslist=""
netns_make() {
	netns_why=$(ip netns add "$1" 2>&1) || { netns_why="cannot create a network namespace ($netns_why)"; return 1; }
	nslist="$nslist $1"
	netns_why=$(ip -n "$1" link set lo up 2>&1) || { netns_why="cannot configure a network namespace ($netns_why)"; return 1; }
}
netns_star() { # hub net n prefix
	netns_make "$1" || return 1
	netns_why=$(ip -n "$1" link add br0 type bridge 2>&1) || { netns_why="cannot create a bridge ($netns_why)"; return 1; }
	ip -n "$1" link set br0 up
	for i in $(seq 1 "$3"); do
		netns_make "$4$i" || return 1
		netns_why=$(ip -n "$4$i" link add eth0 type veth peer name "${1%-hub}h$i" 2>&1) ||
			{ netns_why="cannot create a veth pair ($netns_why)"; return 1; }
		ip -n "$4$i" link set "${1%-hub}h$i" netns "$1" &&
			ip -n "$1" link set "${1%-hub}h$i" master br0 &&
			ip -n "$1" link set "${1%-hub}h$i" up &&
			ip -n "$4$i" addr add "$2.$i/24" dev eth0 &&
			ip -n "$4$i" link set eth0 up || { netns_why="cannot configure the veth pair of node $i"; return 1; }
	done
}
netns_clean() { for ns in $nslist; do ip netns del "$ns" 2>/dev/null; done; nslist=""; }

# ---- SoftHSM2 (the PKCS#11 tests) -------------------------------------------
SOFTHSM_MOD=/usr/lib/softhsm/libsofthsm2.so
# Exit 77 (skipped) without SoftHSM2 or curl.
need_softhsm() {
	if [ ! -r "$SOFTHSM_MOD" ] || ! command -v softhsm2-util >/dev/null || ! command -v curl >/dev/null; then
		echo "SKIP: softhsm2 ($SOFTHSM_MOD, softhsm2-util) or curl missing (Debian packages softhsm2, curl)"
		exit 77
	fi
}
# softhsm_token DIR LABEL: a token store of its own in DIR (configuration
# DIR/conf, for SOFTHSM2_CONF) holding one token LABEL, user PIN 1234, SO
# PIN 5678.
softhsm_token() {
	mkdir -p "$1/tokens"
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$1" > "$1/conf"
	SOFTHSM2_CONF=$1/conf softhsm2-util --init-token --free --label "$2" --pin 1234 --so-pin 5678 >/dev/null 2>&1
}

# The Nakamoto tests (test_nakamoto*.sh; they define get NODE PATH and dir):
# every node's /v1/chain: one head, at least height $1. Its variable is
# min_h, not h: shell functions share the script's variables, and the caller's
# h (the height the growth check starts from) was once overwritten here, so
# the check after wait_for asked for 4 blocks instead of 2 and failed whenever
# the chain took longer than its 5 s of retries to grow the last 2.
one_head() { # min height, nodes...
	min_h=$1; shift
	for i in "$@"; do get "$i" /v1/chain > "$dir/c$i.json" || { echo "node $i: no answer"; return 1; }; done
	v=$(cd "$dir" && jq -rs --argjson h "$min_h" '
		(map(.head.hash) | unique | length) as $heads | (map(.head.height) | min) as $min
		| if $heads != 1 then "\($heads) heads: \(map(.head.height))"
		  elif $min < $h then "height \($min) < \($h)"
		  else "ok height \($min)" end' $(for i in "$@"; do echo "c$i.json"; done))
	case "$v" in ok*) echo "${v#ok }" ;; *) echo "$v"; return 1 ;; esac
}
# One head, allowing for propagation: a block found a moment before the
# reads may have reached some nodes only; asked again a second later.
heads_agree() { # min height, nodes...
	for _ in 1 2 3 4 5; do one_head "$@" > "$dir/heads" && { cat "$dir/heads"; return 0; }; sleep 1; done
	cat "$dir/heads"; return 1
}
