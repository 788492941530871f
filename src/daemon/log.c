/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log (log.h). Process-wide state is fine here: one daemon per
 * process, and the node and core never log (they return codes and counters).
 */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <bftime/common.h>

#include "sys/clock.h"

static bool to_syslog;
static int max_prio = LOG_INFO;
static const char *log_ident = "bftimed";

void bftd_log_open(bool use_syslog, int max_priority, const char *ident)
{
	to_syslog = use_syslog;
	max_prio = max_priority;
	log_ident = ident ? ident : "bftimed";
	if (to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void bftd_log_close(void)
{
	if (to_syslog)
		closelog();
	to_syslog = false;
}

void bftd_vlog(int priority, const char *fmt, va_list ap)
{
	if (priority > max_prio)
		return;
	if (to_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		static const char *const names[] = { "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug" };
		int64_t now = bft_clock_realtime_ns();
		time_t s = (time_t)(now / BFT_NS_PER_SEC);
		struct tm tm;
		char ts[32] = "";
		if (gmtime_r(&s, &tm))
			strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03dZ %s %s: ", ts, (int)(now % BFT_NS_PER_SEC / 1000000), log_ident,
		        names[priority & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
}

void bftd_log(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bftd_vlog(priority, fmt, ap);
	va_end(ap);
}
