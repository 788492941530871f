/* SPDX-License-Identifier: MIT */
/*
 * Reading the OS clocks (clock.h). Reads only: bftime never sets the system
 * clock from here (a future clock-adjusting driver would live beside this
 * file, behind its own interface, and run in a privileged parent).
 */
#include "sys/clock.h"

#include <time.h>

#include <bftime/interval.h>

static int64_t knob_offset_ns, knob_freq_ppb, anchor_ns;

static int64_t read_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0; /* cannot happen for these clock ids on Linux */
	return (int64_t)ts.tv_sec * BFT_NS_PER_SEC + ts.tv_nsec;
}

int bft_clock_init(int64_t offset_ns, int64_t freq_ppb)
{
	if (freq_ppb <= -100000000 || freq_ppb >= 100000000)
		return BFT_EINVAL;
	knob_offset_ns = offset_ns;
	knob_freq_ppb = freq_ppb;
	anchor_ns = read_ns(CLOCK_MONOTONIC_RAW);
	return 0;
}

int64_t bft_clock_mono_ns(void) { return read_ns(CLOCK_MONOTONIC_RAW); }

int64_t bft_clock_raw_ns(void)
{
	int64_t m = read_ns(CLOCK_MONOTONIC_RAW);
	if (!knob_freq_ppb)
		return bft_sat_add(m, knob_offset_ns);
	/* The elapsed time times ppb overflows int64 after ~9e9 s / 1e8 ppb:
	 * split into whole seconds and the rest so it never does in practice. */
	int64_t el = m - anchor_ns;
	int64_t extra = (el / BFT_NS_PER_SEC) * knob_freq_ppb + (el % BFT_NS_PER_SEC) * knob_freq_ppb / BFT_NS_PER_SEC;
	return bft_sat_add(bft_sat_add(m, knob_offset_ns), extra);
}

int64_t bft_clock_realtime_ns(void) { return read_ns(CLOCK_REALTIME); }

int64_t bft_clock_realtime_to_raw_ns(int64_t rt_ns, int64_t *span_ns)
{
	/* Realtime read between two raw reads: the pair is as good as the
	 * gap between them (a preemption shows up as a wide span). */
	int64_t r0 = bft_clock_raw_ns();
	int64_t rt = read_ns(CLOCK_REALTIME);
	int64_t r1 = bft_clock_raw_ns();
	int64_t el = bft_sat_sub(rt, rt_ns);
	if (knob_freq_ppb && el > -BFT_NS_PER_SEC * 1000 && el < BFT_NS_PER_SEC * 1000)
		el += (el / BFT_NS_PER_SEC) * knob_freq_ppb + (el % BFT_NS_PER_SEC) * knob_freq_ppb / BFT_NS_PER_SEC;
	if (span_ns)
		*span_ns = r1 - r0;
	return bft_sat_sub(r0 + (r1 - r0) / 2, el);
}
