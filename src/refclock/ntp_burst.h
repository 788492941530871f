/* SPDX-License-Identifier: MIT */
/*
 * The spacing of the ntp driver's bursts (ntp.c), shared with bftime-sim's
 * mirror of its schedule (sim/world.c) so that the two cannot drift apart:
 * a sixteenth of the poll (1 s at 16 s, so that 8 exchanges fit the poll's
 * first half), at least 1 s, at most max_ns (the driver's 2 s), and never
 * longer than the poll itself. The floor keeps short polls as they were:
 * at `every: 1s` a sixteenth would make each second a burst of 8 queries
 * 62 ms apart, which burned a test's 8 NTS cookies in the second its server
 * was down (test_nts_client.sh); at 1 s the burst is longer than half the
 * poll, so young polls stay single queries there.
 */
#ifndef BFTIME_REFCLOCK_NTP_BURST_H
#define BFTIME_REFCLOCK_NTP_BURST_H

#include <stdint.h>

#include <bftime/common.h>

#define BFTD_NTP_BURST_GAP_MIN_NS BFT_NS_PER_SEC

static inline int64_t bftd_ntp_burst_gap_ns(int64_t interval_ns, int64_t max_ns)
{
	int64_t g = interval_ns / 16;
	g = g < BFTD_NTP_BURST_GAP_MIN_NS ? BFTD_NTP_BURST_GAP_MIN_NS : g;
	g = g < max_ns ? g : max_ns;
	return g < interval_ns ? g : interval_ns;
}

#endif
