/* SPDX-License-Identifier: MIT */
/*
 * bftimed's log: one line per event to stderr (with a UTC timestamp) or to
 * syslog, filtered by a syslog priority (LOG_ERR .. LOG_DEBUG).
 */
#ifndef BFTIME_DAEMON_LOG_H
#define BFTIME_DAEMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

void bftd_log_open(bool use_syslog, int max_priority, const char *ident);
void bftd_log_close(void);
void bftd_vlog(int priority, const char *fmt, va_list ap);
void bftd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
