/* SPDX-License-Identifier: MIT */
/*
 * What bftimed hands to the rest of the machine (exports.c):
 *
 *  - chrony's SOCK refclock protocol (exports.chrony_sock): a sample per
 *    estimate, so chronyd disciplines the system clock from bftime;
 *  - the NTP SHM refclock segment (exports.ntp_shm), for ntpd/ntpsec/chrony;
 *  - the time-bounds page (exports.timebounds) for applications, read with
 *    bft_timebounds_now() (include/bftime/timebounds.h);
 *  - optionally the system clock itself (exports.adjtimex, off by default),
 *    through src/sys/adjtime.c, the only code that may change it.
 *
 * The loop calls publish on every new estimate and again by next_mono, so
 * the page's void-after time never lapses while the node runs.
 */
#ifndef BFTIME_DAEMON_EXPORTS_H
#define BFTIME_DAEMON_EXPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "node/node.h"

struct json_object;

typedef struct bftd_exports bftd_exports;

typedef struct bftd_export_sample {
	int64_t raw_ns;      /* the node's raw clock (bft_clock_raw_ns, test knobs applied) */
	int64_t mono_raw_ns; /* CLOCK_MONOTONIC_RAW at the same moment, knobs not applied */
	int64_t realtime_ns; /* CLOCK_REALTIME at the same moment */
	bft_estimate e;      /* the node's clock and interval at raw_ns */
	int64_t rho_ppb;     /* the drift bound of the node's clock against true time (rho + max slew) */
	int64_t raw_freq_ppb; /* d(raw)/d(mono_raw) - 1: the test knob's frequency error, 0 in production */
	/* A network clock (e.net_running) runs at the oscillator's rate with a
	 * phase correction each poll; its mean rate against raw is the one the
	 * discipline's fit measures: net_rate_ppb, when net_rate_known. */
	bool net_rate_known;
	int64_t net_rate_ppb;
	/* bft_clock_slept_ns() when the node's state was last found valid (the
	 * daemon's suspend check): the page states it, so that a suspend after
	 * it, even one between that check and the page's write, makes readers
	 * refuse the page (they compare it with their own reading). */
	int64_t slept_ns;
} bftd_export_sample;

struct bft_adjtime_ops;

/*
 * What the exports read and change, replaceable by tests. read_clocks reads
 * CLOCK_MONOTONIC_RAW, the node's raw clock, CLOCK_REALTIME and
 * CLOCK_MONOTONIC_RAW again, in that order and as close together as it can:
 * publish carries the sample's estimate to that raw reading, so what is
 * exported is exact to within the two mono reads however late publish runs
 * after the estimate was read. adjtime: src/sys/adjtime.h's ops.
 */
typedef struct bftd_exports_env {
	void (*read_clocks)(void *ctx, int64_t *mono_before_ns, int64_t *raw_ns, int64_t *realtime_ns,
	                    int64_t *mono_after_ns);
	void *ctx;
	const struct bft_adjtime_ops *adjtime;
} bftd_exports_env;

/* Open what cfg enables (nothing: *out is still valid and publish is a no-op),
 * reading the real clocks and adjusting the real clock (if enabled). */
int bftd_exports_open(bftd_exports **out, const bftd_config *cfg, char *err, size_t errlen);
/* The same with env's clocks and adjtime ops (NULL members: the real ones). */
int bftd_exports_open_env(bftd_exports **out, const bftd_config *cfg, const bftd_exports_env *env, char *err,
                          size_t errlen);
void bftd_exports_publish(bftd_exports *x, const bftd_export_sample *s);
/* Mono time by which publish must be called again (INT64_MAX: no need). */
int64_t bftd_exports_next_mono(const bftd_exports *x);
/* Counters and state for the status file and API. */
void bftd_exports_status(const bftd_exports *x, struct json_object *o);
void bftd_exports_close(bftd_exports *x);

#endif
