/* SPDX-License-Identifier: MIT */
/*
 * Reference-clock models for tests, one implementation for both users:
 * bftime-sim's GPS-like receivers and bftimed's test-only `simulated`
 * reference, which replays the same model in real time on CLOCK_REALTIME.
 * Pure: the caller supplies true time and the random draw.
 */
#ifndef BFTIME_TESTKIT_REFMODEL_H
#define BFTIME_TESTKIT_REFMODEL_H

#include <stdint.h>

#include <bftime/interval.h>

/* A GPS-like receiver's reading of true time true_ns: the receiver's error,
 * a standard normal draw scaled by noise_ns and truncated at its stated
 * uncertainty (an honest receiver's error stays within what it states),
 * plus lie_ns; the interval is that reading +- uncertainty_ns. */
bft_interval bft_refmodel_gps_read(int64_t true_ns, int64_t noise_ns, int64_t uncertainty_ns, double normal,
                                   int64_t lie_ns);

/* A lie that starts at from_ns with offset_ns and grows at rate_ppb: its
 * size at now_ns (0 before from_ns). */
int64_t bft_refmodel_lie(int64_t from_ns, int64_t offset_ns, int64_t rate_ppb, int64_t now_ns);

#endif
