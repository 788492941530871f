/* SPDX-License-Identifier: MIT */
/*
 * Pulse per second: the edge that marks the start of each GPS second, far
 * sharper (microseconds) than the NMEA sentence that later names it (tens to
 * hundreds of ms late, jittering). Two parts:
 *
 *  - a device behind a small ops table: the RFC 2783 kernel API
 *    (time_pps_create, setparams with PPS_CAPTUREASSERT, time_pps_fetch with
 *    a zero timeout) in bftd_pps_rfc2783, and a fake in the unit tests;
 *    assert timestamps are CLOCK_REALTIME and are converted to the raw clock
 *    at once;
 *  - the pairing (pure): each fix's second is matched with the edge that
 *    started it, and the sentence's lateness after that edge is measured
 *    (a running median of the last samples), which is the automatic delay
 *    estimate the NMEA-only readings use when the pulse is missing.
 *
 * A paired reading says: at the edge's raw time, true time was the second
 * the sentence names, +- the PPS jitter bound and the conversion's error.
 */
#ifndef BFTIME_DAEMON_PPS_H
#define BFTIME_DAEMON_PPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refclock/host.h"

/* The device. open returns an opaque handle in *h; fetch reports the
 * latest assert edge: its sequence number and CLOCK_REALTIME timestamp
 * (0), or nothing yet (BFT_EEMPTY), or a failure (other negative). */
typedef struct bftd_pps_ops {
	int (*open)(const char *path, void **h, char *err, size_t errlen);
	int (*fetch)(void *h, uint64_t *seq, int64_t *assert_rt_ns);
	void (*close)(void *h);
} bftd_pps_ops;

extern const bftd_pps_ops bftd_pps_rfc2783;

typedef struct bftd_pps_dev {
	const bftd_pps_ops *ops;
	void *h;
	const bftd_refclock_host *host; /* the clocks the edge is moved onto raw time with */
	bool have_seq;
	uint64_t seq;
	uint64_t edges, errors;
} bftd_pps_dev;

/* Open path with ops (NULL: RFC 2783). 0, or an error with err set. */
int bftd_pps_dev_open(bftd_pps_dev *d, const bftd_pps_ops *ops, const bftd_refclock_host *host, const char *path,
                      char *err, size_t errlen);
void bftd_pps_dev_close(bftd_pps_dev *d);

/* A new edge since the last call: true with its raw time and the
 * conversion's error bound (the realtime-raw read span plus a slew of
 * 500 ppm over the edge's age). */
bool bftd_pps_dev_poll(bftd_pps_dev *d, int64_t *edge_raw_ns, int64_t *err_ns);

/* ---- pairing (pure) ---------------------------------------------------- */

#define BFTD_PPS_EDGES 8      /* recent edges kept */
#define BFTD_PPS_WINDOW 16    /* lateness samples in the running median */
#define BFTD_PPS_MAX_LATE_NS (INT64_C(900) * 1000000)  /* a sentence later than this after its edge is not paired */
#define BFTD_PPS_MATCH_NS (INT64_C(300) * 1000000)     /* once locked: lateness within this of the median */
#define BFTD_PPS_LOCK_SAMPLES 4

typedef struct bftd_pps_edge {
	int64_t raw_ns;
	int64_t err_ns;
} bftd_pps_edge;

typedef struct bftd_pps_pair {
	bftd_pps_edge edge[BFTD_PPS_EDGES]; /* ring */
	size_t n_edges, next_edge;
	int64_t late[BFTD_PPS_WINDOW];      /* arrival - edge, ns: ring */
	size_t n_late, next_late;
	uint64_t paired, unpaired;
} bftd_pps_pair;

void bftd_pps_pair_init(bftd_pps_pair *p);

/* An edge at raw_ns, its error bound err_ns. */
void bftd_pps_pair_edge(bftd_pps_pair *p, int64_t raw_ns, int64_t err_ns);

/* A sentence naming a whole second arrived at arrival_raw_ns: the edge
 * that started that second, if one is known (true), and its lateness is
 * added to the estimate. Before the estimate is locked, the latest edge
 * at most BFTD_PPS_MAX_LATE_NS before the arrival; after, the edge whose
 * lateness is nearest the median, within BFTD_PPS_MATCH_NS. */
bool bftd_pps_pair_fix(bftd_pps_pair *p, int64_t arrival_raw_ns, bftd_pps_edge *edge);

/* The lateness estimate: median, min and max of the window. False until
 * BFTD_PPS_LOCK_SAMPLES samples. */
bool bftd_pps_pair_delay(const bftd_pps_pair *p, int64_t *median_ns, int64_t *min_ns, int64_t *max_ns);

#endif
