#!/bin/sh
# SPDX-License-Identifier: MIT
# The gpsd reference driver against a real gpsd fed by gpsfake (each on a
# free port of its own; never a system gpsd), run inside real bftimed
# processes (log level debug: one line per decoded fix; status file: the
# driver's fields).
#
#  1. decoding: real receiver captures from ../shared/data/gpsd-nmea replayed
#     fast; every fix time bftimed logs is a TPV time of the capture's .chk
#     (modulo 1024 GPS weeks: gpsd moves 2010 dates past its build date),
#     none is lost after the first, and at least half of them are decoded
#     (gpsfake feeds before bftimed connects); the replayed old dates are flagged
#     suspect (a day or more from the system clock) and quarantined;
#  2. anti-spoofing: doctored captures (tests/data/gps, re-dated to now)
#     replayed at one cycle a second: the honest one gives readings none of
#     which is suspect; each doctored one is flagged with its own reason,
#     visible in the status file's reference entry and the node's counters;
#  3. reconnection: bftimed started before gpsd says so in its state, and
#     connects once gpsd is up.
# Prints a cmocka-style summary; about 45 s.
cd "$(dirname "$0")/../.." || exit 1
B=$PWD/build
D=${BFTIMED:-$B/bftimed}
N=0
dir=$(mktemp -d /tmp/bftime-gpsd.XXXXXX) || exit 1
. tests/system/lib.sh
SHARED=${GPS_CAPTURES:-$PWD/../shared/data/gpsd-nmea}
pids=""
trap cleanup_pids EXIT
trap 'exit 130' INT TERM HUP PIPE

[ -x "$D" ] || { echo "build/bftimed missing: run make"; exit 1; }
if ! command -v gpsfake >/dev/null || ! command -v gpsd >/dev/null || ! command -v python3 >/dev/null; then
	echo "[==========] 0 test(s) run."; echo "[  PASSED  ] 0 test(s). (gpsd, gpsfake or python3 missing: skipped)"; exit 77
fi

free_port() { # tcp|udp
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1]=="udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
# A reference field of status file $1: reference 0's key $2 (a.b for nested).
ref_field() {
	python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["references"][0]
for k in sys.argv[2].split("."): r=r.get(k) if isinstance(r,dict) else None
print("" if r is None else r)' "$1" "$2" 2>/dev/null
}
counter() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"].get(sys.argv[2],""))' "$1" "$2" 2>/dev/null; }

# gpsd_has_device PORT: does the gpsd on PORT list a device (?DEVICES)?
# gpsfake hands its pty to gpsd through gpsd's control socket once that
# socket's file exists, and says nothing when the connection fails: the
# file appears at bind, before listen, so on a loaded machine the handover
# can be refused and gpsd never hears of the device. Its clients then get
# the greeting and no report, ever (a fresh-clone run: "identical SNRs
# flagged: snr_identical: 0", bftimed connected, 3 lines, no fix). A
# fixture in that state is started again, before any check depends on it.
gpsd_has_device() {
	python3 - "$1" <<-'EOF'
	import json, socket, sys, time
	end = time.time() + 5
	while time.time() < end:
	    try:
	        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
	            f = s.makefile("rb")
	            f.readline()  # VERSION
	            s.sendall(b"?DEVICES;\n")
	            for _ in range(4):
	                d = json.loads(f.readline() or b"{}")
	                if d.get("class") == "DEVICES":
	                    if d.get("devices"):
	                        sys.exit(0)
	                    break
	    except (OSError, ValueError):
	        pass
	    time.sleep(0.1)
	sys.exit(1)
	EOF
}

# start_fake CAPTURE CYCLE OUT: gpsfake on a free port of its own; sets gp
# and fp. Another test's gpsd may take the port between our choice and
# gpsd's bind (several test runs at once): the listener must be the child
# of our gpsfake, else try another port. And gpsd must have the device
# (gpsd_has_device), else start it again.
start_fake() {
	for _ in 1 2 3 4 5; do
		gp=$(free_port tcp)
		gpsfake -q -1 -c "$2" -P "$gp" "$1" > "$3" 2>&1 &
		fp=$!
		pids="$pids $fp"
		t=0
		while [ $t -lt 50 ] && kill -0 "$fp" 2>/dev/null; do
			if ! command -v ss >/dev/null; then sleep 1; return 0; fi
			lp=$(ss -Hltnp "sport = :$gp" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
			if [ -n "$lp" ]; then
				if [ "$(ps -o ppid= -p "$lp" 2>/dev/null | tr -d ' ')" = "$fp" ]; then
					gpsd_has_device "$gp" && return 0
					echo "note: gpsd on port $gp had no device after 5 s (gpsfake's handover lost): starting gpsfake again" >&2
				fi
				break
			fi
			sleep 0.1
			t=$((t + 1))
		done
		stop_pid "$fp"
	done
	return 1
}

# start_run NAME CAPTURE CYCLE [extra reference options]: gpsfake + bftimed,
# until the capture has been replayed (finish_run); leaves $dir/NAME.json
# and $dir/NAME.log.
start_run() {
	name=$1 cap=$2 cyc=$3 extra=${4:-} api=none
	[ -n "${5:-}" ] && { api=127.0.0.1:$(free_port tcp); echo "$api" > "$dir/$name.api"; }
	# -1: replay once. gpsfake does not exit at the end by itself: the run
	# lasts as long as the replay (sentences x cycle) plus startup.
	start_fake "$cap" "$cyc" "$dir/$name.fake" || { echo "gpsfake for $name did not start"; return 1; }
	echo $(( $(date +%s) + $(grep -c '^\$' "$cap" | awk -v c="$cyc" '{ printf "%d", $1 * c + 0.999 }') + 2 )) > "$dir/$name.end"
	echo "$fp" > "$dir/$name.fpid"
	up=$(free_port udp)
	"$B/bftime" keygen --out "$dir/$name.key" >/dev/null || return 1
	cat > "$dir/$name.yaml" <<-EOF
	node: {id: 1, listen: 127.0.0.1:$up, key: $dir/$name.key}
	consensus: {f: 0, poll: 500ms}
	references:
	  - {kind: gpsd, server: 127.0.0.1:$gp$extra}
	api: $api
	status: $dir/$name.json
	log: {level: debug}
	EOF
	"$D" --config "$dir/$name.yaml" > "$dir/$name.log" 2>&1 &
	echo $! > "$dir/$name.dpid"
	pids="$pids $!"
}
finish_run() { # name
	fp=$(cat "$dir/$1.fpid") dp=$(cat "$dir/$1.dpid") end=$(cat "$dir/$1.end")
	while kill -0 "$fp" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
	stop_pid "$fp"
	sleep 1.2 # the last reading into the status file (poll 0.5 s)
	if [ -f "$dir/$1.api" ]; then # what an operator sees, before the node stops
		"$B/bftime" status --api "$(cat "$dir/$1.api")" > "$dir/$1.status" 2>&1
		curl -s --max-time 5 "http://$(cat "$dir/$1.api")/metrics" > "$dir/$1.metrics" 2>&1
	fi
	stop_pid "$dp"
	cp "$dir/$1.json" "$dir/$1.final.json" 2>/dev/null
}

# ---- 1. decoding real captures -------------------------------------------
# decoded_ok NAME CAPTURE: the fix times bftimed logged against the .chk.
decoded_ok() {
	python3 - "$dir/$1.log" "$2.chk" <<-'EOF'
	import re, sys, datetime
	wk = 1024 * 604800
	got = [int(m.group(1)) for m in re.finditer(r"fix (\d+)\.000000000 mode", open(sys.argv[1]).read())]
	want = []
	for line in open(sys.argv[2], encoding="latin-1"):
	    m = re.search(r'"class":"TPV".*?"mode":([23]).*?"time":"([^"]+)"', line)
	    if m:
	        t = datetime.datetime.strptime(m.group(2)[:19], "%Y-%m-%dT%H:%M:%S")
	        s = int(t.replace(tzinfo=datetime.timezone.utc).timestamp())
	        if s not in want:
	            want.append(s)
	if not got:
	    print("no fix decoded"); sys.exit(1)
	bad = [g for g in got if g % wk not in {w % wk for w in want}]
	if bad:
	    print("decoded %d times not in the .chk, e.g. %d" % (len(bad), bad[0])); sys.exit(1)
	if len(set(got)) != len(got):
	    print("a second decoded twice"); sys.exit(1)
	# gpsd starts the replay before bftimed's first connection attempt
	# succeeds (fast pacing): from the first decoded fix on, none is lost
	wm = [w % wk for w in want]
	tail = wm[wm.index(got[0] % wk):]
	if [g % wk for g in got] != tail:
	    print("decoded %d, the capture has %d from the first decoded one on" % (len(got), len(tail))); sys.exit(1)
	if len(got) < len(want) // 2:
	    print("only %d of %d fix times decoded" % (len(got), len(want))); sys.exit(1)
	print("%d of %d fix times, none lost after the first" % (len(got), len(want)))
	EOF
}

echo "[==========] gpsd driver: gpsd $(gpsd -V 2>/dev/null | awk '{print $2}') fed by gpsfake, read by bftimed"
if [ -d "$SHARED" ]; then
	for c in ublox-lea-5h mt3339 navika-100-fix; do
		# 0.06 s a sentence (a third of real time): gpsfake feeds from its
		# start, and what bftimed misses before it connects must stay under
		# half. At 0.02 s (mt3339: 30 fixes in 2.8 s) a fresh-clone run under
		# load decoded 13 of 30: bftimed had connected 1.5 s into the replay.
		[ -f "$SHARED/$c.log" ] && start_run "$c" "$SHARED/$c.log" 0.06
	done
	for c in ublox-lea-5h mt3339 navika-100-fix; do
		[ -f "$SHARED/$c.log" ] || { skipped "decode $c (capture missing)"; continue; }
		finish_run "$c"
		check "$c: fix times decoded match the capture's .chk" decoded_ok "$c" "$SHARED/$c.log"
	done
	s=$dir/ublox-lea-5h.final.json
	check "replayed 2010 capture flagged suspect (a day or more from the system clock) and quarantined" sh -c "
		n=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"references\"][0][\"suspect_reasons\"][\"far_from_system\"])' $s 2>/dev/null)
		q=\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"counters\"].get(\"reference_readings_quarantined\",-1))' $s 2>/dev/null)
		[ \"\${n:-0}\" -gt 0 ] && [ \"\${q:-0}\" != 0 ] && echo \"\$n flagged, node quarantined \$q\""
	check "status reports satellites, SNR, position and sentences" sh -c "
		python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))[\"references\"][0]
need=[\"fix_mode\",\"sats_used\",\"sats_visible\",\"snr_min\",\"snr_mean\",\"snr_max\",\"lat\",\"lon\",\"sentences\",\"suspect\",\"suspect_count\",\"timing\"]
miss=[k for k in need if k not in r]
assert not miss, miss
assert r[\"fix_mode\"]==3 and 0<r[\"sats_used\"]<=r[\"sats_visible\"] and 0<r[\"snr_min\"]<=r[\"snr_mean\"]<=r[\"snr_max\"]<60
assert abs(r[\"lat\"]-51.9259)<0.001 and abs(r[\"lon\"]-4.5776)<0.001
print(\"%d/%d satellites, SNR %.0f/%.1f/%.0f dB-Hz, %d lines, %s\" % (r[\"sats_used\"],r[\"sats_visible\"],r[\"snr_min\"],r[\"snr_mean\"],r[\"snr_max\"],r[\"sentences\"],r[\"device_state\"]))' $s"
else
	skipped "real captures ($SHARED missing)"
fi

# ---- 2. doctored captures, re-dated to now, one cycle a second ------------
epoch=$(( $(date +%s) + 2 ))
for v in honest snr-identical strong walk timejump nosats; do
	python3 tests/data/gps/gpsdoctor.py redate "tests/data/gps/$v.log" "$dir/$v.nmea" "$epoch" || exit 1
	extra=""
	[ "$v" = walk ] && extra=", fixed: true, max_move: 100m"
	[ "$v" = honest ] && extra=", fixed: true"
	api=""
	[ "$v" = snr-identical ] && api=1
	start_run "$v" "$dir/$v.nmea" 0.142857 "$extra" "$api"
done
for v in honest snr-identical strong walk timejump nosats; do finish_run "$v"; done

suspects() { # name key: the count of that reason; and the node's quarantine counter
	s=$dir/$1.final.json
	n=$(ref_field "$s" "suspect_reasons.$2") r=$(ref_field "$s" readings) q=$(counter "$s" reference_readings_quarantined)
	echo "${n:-0} ${r:-0} ${q:-0}"
}
honest_ok() {
	s=$dir/honest.final.json
	set -- $(suspects honest jump)
	r=$2 sc=$(ref_field "$s" suspect_count)
	[ "$r" -ge 12 ] || { echo "only $r readings"; return 1; }
	[ "${sc:-x}" = 0 ] || { echo "$sc suspect: $(ref_field "$s" suspect_reasons)"; return 1; }
	[ "$(field "$s" synced)" = true ] || { echo "node not synced on it"; return 1; }
	echo "$r readings, none suspect; moved $(ref_field "$s" moved_m) m"
}
check "honest capture: readings, none suspect, node synced" honest_ok
# What a failed check shows of a run: the driver's state and counts, the
# ends of bftimed's log and of gpsfake's output (the run's files are gone
# with the test's directory).
run_facts() { # name
	s=$dir/$1.final.json
	echo "readings $(ref_field "$s" readings), sentences $(ref_field "$s" sentences), state '$(ref_field "$s" device_state)'"
	echo "bftimed log, first and last lines:"; grep -v ' info: poll: ' "$dir/$1.log" 2>/dev/null | head -n 8 | sed 's/^/    /'
	echo "    ..."; tail -n 4 "$dir/$1.log" 2>/dev/null | sed 's/^/    /'
	echo "gpsfake, last lines:"; tail -n 4 "$dir/$1.fake" 2>/dev/null | sed 's/^/    /'
}
flagged() { # name reason-key min
	set -- "$1" "$2" "$3" $(suspects "$1" "$2")
	[ "$4" -ge "$3" ] || { echo "$2: $4 (want >= $3); reasons: $(ref_field "$dir/$1.final.json" suspect_reasons)"; run_facts "$1"; return 1; }
	[ "$6" -gt 0 ] || { echo "node quarantined none"; return 1; }
	echo "$4 of $5 readings flagged $2, node quarantined $6: $(ref_field "$dir/$1.final.json" suspect)"
}
check "identical SNRs flagged" flagged snr-identical snr_identical 10
operator_ok() { # the same alarm where an operator looks: log, bftime status, metrics
	grep -q 'ALARM: reference gpsd0 quarantined, its readings are implausible: identical signal strength' "$dir/snr-identical.log" ||
		{ echo "no ALARM line in the log"; run_facts snr-identical; return 1; }
	line=$(grep ' gpsd0 ' "$dir/snr-identical.status") || { echo "bftime status: $(head -n 3 "$dir/snr-identical.status")"; return 1; }
	echo "$line" | grep -q ' no .*implausible: identical signal strength' || { echo "bftime status: $line"; return 1; }
	grep -q '^bftime_source_quarantined{type="reference",id="0",[^}]*} 1$' "$dir/snr-identical.metrics" ||
		{ echo "metrics: $(grep quarantin "$dir/snr-identical.metrics" | head -n 3)"; return 1; }
	echo "log ALARM; bftime status:$(echo "$line" | sed 's/.* no  *[-0-9. ]*//'); bftime_source_quarantined 1"
}
check "identical SNRs: ALARM in the log, bftime status, metrics" operator_ok
check "SNR above 60 dB-Hz flagged" flagged strong snr_range 10
check "fixed station walking away flagged" flagged walk moved 4
check "time jumps flagged (3 s ahead, 2 s back)" flagged timejump jump 1
check "time going backwards flagged" flagged timejump backwards 1
check "3D fix with no satellite used flagged" flagged nosats no_sats_3d 10

# ---- 3. gpsd down at start -------------------------------------------------
down_then_up() {
	gp=$(free_port tcp) up=$(free_port udp)
	"$B/bftime" keygen --out "$dir/r.key" >/dev/null
	printf 'node: {id: 1, listen: 127.0.0.1:%s, key: %s}\nconsensus: {f: 0, poll: 500ms}\nreferences:\n  - {kind: gpsd, server: 127.0.0.1:%s}\napi: none\nstatus: %s\n' \
		"$up" "$dir/r.key" "$gp" "$dir/r.json" > "$dir/r.yaml"
	"$D" --config "$dir/r.yaml" > "$dir/r.log" 2>&1 &
	dp=$!
	pids="$pids $dp"
	# Wait for the state (bounded), not a fixed time: a loaded machine
	# starts the daemon and writes its first status late (failed here as
	# "state while gpsd is down: ''" under a parallel build).
	t=0 st1=
	while [ "$t" -lt 150 ]; do
		st1=$(ref_field "$dir/r.json" device_state)
		case "$st1" in *refused*retrying*) break ;; esac
		sleep 0.1; t=$((t + 1))
	done
	case "$st1" in *refused*retrying*) ;; *) echo "state while gpsd is down: '$st1'"; stop_pid $dp; return 1;; esac
	python3 tests/data/gps/gpsdoctor.py redate tests/data/gps/honest.log "$dir/r.nmea" $(( $(date +%s) + 2 ))
	gpsfake -q -1 -c 0.142857 -P "$gp" "$dir/r.nmea" > "$dir/r.fake" 2>&1 &
	fp=$!
	pids="$pids $fp"
	t=0
	while [ "$t" -lt 300 ]; do
		r=$(ref_field "$dir/r.json" readings)
		[ "${r:-0}" -ge 3 ] && break
		sleep 0.1; t=$((t + 1))
	done
	stop_pid $fp
	stop_pid $dp
	[ "${r:-0}" -ge 3 ] || { echo "no readings after gpsd came up (state: $(ref_field "$dir/r.json" device_state))"; return 1; }
	echo "'$st1', then $r readings after $((t / 10)) s"
}
check "gpsd down at start: retried with backoff, connects when it comes up" down_then_up

summary
