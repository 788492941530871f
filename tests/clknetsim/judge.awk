# SPDX-License-Identifier: MIT
# Judge one clknetsim world (world.sh): clknetsim's own statistics of the
# two clients' true clock errors, and every poll bftimed logged held against
# the truth. Inputs, in order: clknetsim's stats, its offset log (one line a
# simulated second, a column a node: clock - true time), bftimed's log.
#
# A poll line says "offset X ms to system time, interval [LO, HI] ms", all
# relative to the system clock when it was logged; true - system is -err,
# err interpolated at the line's true time. The interval holds the truth
# when LO <= -err <= HI; the log prints microseconds, so 0.001 ms of
# rounding is allowed on each side.
FILENAME == ARGV[1] {
	if ($0 ~ /^-+ Node [0-9]+ -+$/) node = $3
	if ($1 == "RMS" && $2 == "offset:") rms[node] = $3
	if ($1 == "Maximum" && $3 == "offset:") mx[node] = $4
	next
}
FILENAME == ARGV[2] { err[FNR - 1] = $col * 1000; nerr = FNR; next }
# Only the poll report: at the simulation's end clknetsim fails the loop's
# own poll(2) ("error: poll: Invalid argument"), which is no poll report
# (read as one, split:100 seed 5 ended "synchronized" with an old interval).
/ poll: (offset|unsynchronized)/ {
	split(substr($1, 12, 12), hms, ":")
	split(substr($1, 1, 10), ymd, "-")
	t = (ymd[3] - 1) * 86400 + hms[1] * 3600 + hms[2] * 60 + hms[3]
	i = int(t); if (i >= nerr - 1) next
	tt = t - (err[i] + (err[i + 1] - err[i]) * (t - i)) / 1000
	i = int(tt); if (i < 0 || i >= nerr - 1) next
	e = err[i] + (err[i + 1] - err[i]) * (tt - i)
	if (tt < reset) next
	polls++
	state = $0 ~ /ALARM/ ? "alarm" : $0 ~ /unsynchronized/ ? "unsynchronized" : $0 ~ /holdover/ ? "holdover" : "synchronized"
	if (state == "alarm") alarms++
	if (state == "synchronized") { synced++; if (first_sync == "") first_sync = int(tt) }
	if (state == "alarm") { last_alarm = int(tt); if (first_alarm == "") first_alarm = int(tt) }
	if ($0 ~ /unsynchronized/) next  # no interval: nothing claimed
	gsub(/[\[\],]/, " ")
	for (k = 1; k <= NF; k++) if ($k == "interval") { lo = $(k + 1); hi = $(k + 2) }
	truth = -e
	miss = truth < lo - 0.001 ? lo - truth : truth > hi + 0.001 ? truth - hi : 0
	if (miss > 0) { misses++; if (miss > worst) worst = miss }
	if (state == "synchronized" && miss > 0) synced_misses++
}
END {
	printf "world=%s attack=%s seed=%s poll=%s chrony_max_ms=%.3f chrony_rms_ms=%.3f bft_max_ms=%.3f bft_rms_ms=%.3f polls=%d misses=%d worst_miss_ms=%.3f alarm_polls=%d synced_polls=%d synced_misses=%d last_state=%s first_sync_s=%s first_alarm_s=%s last_alarm_s=%s\n", \
		world, attack, seed, poll, mx[chrony] * 1000, rms[chrony] * 1000, mx[bft] * 1000, rms[bft] * 1000, \
		polls, misses, worst, alarms, synced, synced_misses, state, first_sync == "" ? "-" : first_sync, first_alarm == "" ? "-" : first_alarm, last_alarm == "" ? "-" : last_alarm
}
