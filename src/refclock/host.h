/* SPDX-License-Identifier: MIT */
/*
 * What a reference clock driver needs from the program that runs it, and
 * nothing more: logging, the clocks, kernel randomness and the two socket
 * calls the daemon wraps. The daemon's implementation (src/daemon/refhost.c)
 * reads the OS clocks through src/sys and logs through its logger; a
 * simulator or a test supplies virtual ones. Drivers never include daemon
 * headers: this table is the whole of their view of their host, so that
 * the same driver code runs under bftimed, the simulator and the tests.
 *
 * Every member is required (a host with nothing to say still fills log).
 */
#ifndef BFTIME_REFCLOCK_HOST_H
#define BFTIME_REFCLOCK_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <syslog.h>

typedef struct bftd_refclock_host {
	/* A log line at syslog priority (LOG_ERR .. LOG_DEBUG). */
	void (*log)(int priority, const char *fmt, va_list ap);
	/* The node's raw clock (src/sys/clock.h: bft_clock_raw_ns). */
	int64_t (*raw_ns)(void);
	/* The system clock, Unix ns (for date checks and offsets reported). */
	int64_t (*realtime_ns)(void);
	/* A CLOCK_REALTIME stamp (a PPS edge, gpsd's TOFF) moved onto the raw
	 * clock; *span_ns: the conversion's error bound. */
	int64_t (*realtime_to_raw_ns)(int64_t rt_ns, int64_t *span_ns);
	/* A kernel receive stamp (CLOCK_REALTIME ns, 0: none) onto the raw
	 * clock, erring late. */
	int64_t (*arrival_raw_ns)(int64_t krt_ns);
	/* 64 unpredictable bits (getrandom); false when the kernel has none. */
	bool (*random_u64)(uint64_t *out);
	/* A non-blocking, close-on-exec socket; -1 with errno set. */
	int (*socket)(int family, int type);
	/* One datagram (as src/daemon/udp.h bftd_udp_recv): length, 0 when
	 * none is waiting, -1 with errno set. */
	ssize_t (*udp_recv)(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from, socklen_t *fromlen,
	                    bool *truncated, int64_t *kernel_rt_ns);
	/* A socket address as text ("192.0.2.1:123", "[2001:db8::1]:123"). */
	void (*addr_format)(char *out, size_t cap, const struct sockaddr_storage *ss);
} bftd_refclock_host;

/* host->log with printf arguments. */
void bftd_refclock_log(const bftd_refclock_host *host, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
