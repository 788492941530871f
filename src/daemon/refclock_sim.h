/* SPDX-License-Identifier: MIT */
/*
 * Reference clock drivers of the daemon, as a table {name, init, poll}
 * (chrony's refclock_* pattern); real hardware drivers (NMEA, PPS, gpsd)
 * come with issue 5 behind the same table. Two for now:
 *
 *  - `system`: CLOCK_REALTIME, stated to be within +-uncertainty of true
 *    time. Honest only if whatever disciplines the system clock is.
 *
 *  - `simulated`: SIMULATED, FOR TESTS AND DEMOS ONLY. It models a GPS-like
 *    receiver attached to this machine, in real time: true time is taken to
 *    be CLOCK_REALTIME (the best this machine knows), a reading is true time
 *    plus Gaussian noise of the configured standard deviation truncated at
 *    the stated uncertainty (so the honest interval always holds "true"
 *    time), plus an optional constant offset, which makes it a lying
 *    reference. The interval is reading +- uncertainty.
 *
 * A reading is delivered as "at raw time raw_ns, true time was in iv", the
 * form bft_node_on_reference takes. Readings come every `every` of the
 * machine's elapsed time (CLOCK_MONOTONIC_RAW, not the test-skewed raw clock).
 */
#ifndef BFTIME_DAEMON_REFCLOCK_SIM_H
#define BFTIME_DAEMON_REFCLOCK_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include <bftime/interval.h>

#include "daemon/config.h"

typedef struct bftd_refclock {
	const struct bftd_refclock_driver *drv;
	const bftd_ref *cfg;
	uint64_t rng;
	int64_t next_mono_ns; /* when the next reading is due */
	uint64_t readings;
} bftd_refclock;

typedef struct bftd_refclock_driver {
	const char *name;
	int (*init)(bftd_refclock *rc, uint64_t seed);
	/* Take a reading now: 0 and *raw_ns, *iv filled, or negative (no reading). */
	int (*poll)(bftd_refclock *rc, int64_t *raw_ns, bft_interval *iv);
} bftd_refclock_driver;

/* Set up rc for reference cfg; its first reading is due at mono time now. */
int bftd_refclock_init(bftd_refclock *rc, const bftd_ref *cfg, uint64_t seed, int64_t now_mono_ns);

/* If a reading is due at mono time now, take it: returns 1 and fills the
 * reading, 0 when not due, negative on a failed reading (the next one is
 * scheduled either way). */
int bftd_refclock_service(bftd_refclock *rc, int64_t now_mono_ns, int64_t *raw_ns, bft_interval *iv);

#endif
