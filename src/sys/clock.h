/* SPDX-License-Identifier: MIT */
/*
 * The only code in bftime that reads the operating system's clocks. It reads
 * two of them and never writes either:
 *
 *  - the raw oscillator: CLOCK_MONOTONIC_RAW in ns, the free-running clock
 *    the node disciplines (never slewed or stepped by NTP or anyone else);
 *  - system time: CLOCK_REALTIME in ns since the Unix epoch, which the
 *    `system` and `simulated` reference drivers read as their notion of
 *    true time.
 *
 * Test-only knobs: every bftimed on one machine shares one oscillator, which
 * makes a local cluster dull (every node's raw clock agrees). An artificial
 * offset and frequency error, applied to the raw reading only, give each
 * daemon an oscillator of its own:
 *
 *   raw(t) = mono_raw(t) + offset_ns + (mono_raw(t) - mono_raw(init)) * freq_ppb / 1e9
 *
 * Nothing here is thread-safe or needs to be: the daemon is single-threaded.
 */
#ifndef BFTIME_SYS_CLOCK_H
#define BFTIME_SYS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Set the test-only oscillator knobs (0, 0: the real oscillator). The
 * frequency error must satisfy |freq_ppb| < 1e8 (10 %). Returns 0 or BFT_EINVAL. */
int bft_clock_init(int64_t offset_ns, int64_t freq_ppb);

/* The raw oscillator, ns (with the knobs applied). Monotonic. */
int64_t bft_clock_raw_ns(void);

/* CLOCK_REALTIME, ns since the epoch. */
int64_t bft_clock_realtime_ns(void);

/* CLOCK_MONOTONIC_RAW without the knobs: for timeouts and rate limits, which
 * are about the machine's elapsed time, not the node's oscillator. */
int64_t bft_clock_mono_ns(void);

/* The raw clock at the moment CLOCK_REALTIME read rt_ns (a kernel PPS
 * timestamp, gpsd's stamp of a sentence), found by reading both clocks now:
 * raw_now - (realtime_now - rt_ns), the elapsed part scaled by the test
 * knob's frequency error. Good while the system clock was not stepped in
 * between; a slew of r ppm costs r * (now - rt) more, which the caller
 * bounds. *span_ns (may be NULL): the error of the paired read itself. */
int64_t bft_clock_realtime_to_raw_ns(int64_t rt_ns, int64_t *span_ns);

/* How long the machine has been suspended since boot (CLOCK_BOOTTIME -
 * CLOCK_MONOTONIC). The raw clock stops during a suspend and true time does
 * not: when this grows, everything measured on the raw clock before is off
 * by the growth, and no drift bound covers it.
 *
 * It grows only when a suspend certainly happened: a preemption between the
 * clock reads (however long: a flood of work) never makes it grow, because
 * each BOOTTIME read is bracketed by MONOTONIC reads and only a bracket
 * wholly above everything known before counts. Between suspends it is
 * constant; it is the difference as read at the suspend's detection, low by
 * at most that read's bracket (10 us unless 16 reads in a row were each
 * preempted). A suspend shorter than the brackets so far may be seen late,
 * summed with the next. Where CLOCK_BOOTTIME cannot be read (EINVAL under
 * clknetsim) it is 0, and never changes. */
int64_t bft_clock_slept_ns(void);

/* Tests only: read every clock through fn (clock_gettime's signature; NULL
 * restores clock_gettime), and forget what bft_clock_slept_ns has learned. */
void bft_clock_set_reader(int (*fn)(clockid_t id, struct timespec *ts));

/* The daemon's loop calls this at every wake: it remembers (the last 3 s or
 * more) how CLOCK_REALTIME stood against the raw clock, so that conversions
 * of kernel CLOCK_REALTIME stamps can see a step or a fast slew of the system
 * clock since the stamp (*span_ns above includes it; a stamp older than
 * every mark gets a span of 1 s). */
void bft_clock_mark(void);

/* The raw clock when a datagram arrived, from the kernel's CLOCK_REALTIME
 * receive stamp krt_ns (0: none), read now. The wait is taken off the raw
 * clock read now only as far as it is certain: shrunk by 10 % (a slewing
 * system clock may run that much fast) and by any step since the stamp (the
 * marks), and not at all for a stamp older than every mark or than 1 s. So
 * the result errs late, never early: a receive stamp that is late only
 * widens the intervals built from it. */
int64_t bft_clock_arrival_raw_ns(int64_t krt_ns);

/* The same for many stamps against one read of the clocks: a server that
 * receives datagrams in batches (recvmmsg) reads the clocks once after the
 * batch arrived, not once per datagram; every stamp of the batch is older
 * than that read, so each result still errs late, never early. */
typedef struct bft_clock_now {
	int64_t mono_ns;     /* CLOCK_MONOTONIC_RAW (bft_clock_mono_ns) */
	int64_t realtime_ns; /* CLOCK_REALTIME */
	int64_t raw_ns;      /* bft_clock_raw_ns */
} bft_clock_now;
void bft_clock_now_read(bft_clock_now *now);
int64_t bft_clock_arrival_raw_at(const bft_clock_now *now, int64_t krt_ns);

#endif
