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

int64_t bft_clock_slept_ns(void)
{
	int64_t m = read_ns(CLOCK_MONOTONIC);
	return read_ns(CLOCK_BOOTTIME) - m;
}

/* Marks: (CLOCK_REALTIME - CLOCK_MONOTONIC_RAW) as it stood at the loop's
 * wakes, at least MARK_GAP_NS apart, the last MARKS of them (over 3 s): how
 * much the system clock was stepped or slewed since a stamp was taken. */
#define MARKS 64
#define MARK_GAP_NS (BFT_NS_PER_SEC / 20)

static struct mark {
	int64_t mono, rt, diff;
} marks[MARKS];
static unsigned n_marks, next_mark;

void bft_clock_mark(void)
{
	int64_t m = read_ns(CLOCK_MONOTONIC_RAW), rt = read_ns(CLOCK_REALTIME);
	const struct mark *last = n_marks ? &marks[(next_mark + MARKS - 1) % MARKS] : NULL;
	if (last && m - last->mono < MARK_GAP_NS)
		return;
	marks[next_mark] = (struct mark){ m, rt, rt - m };
	next_mark = (next_mark + 1) % MARKS;
	if (n_marks < MARKS)
		n_marks++;
}

/* How far CLOCK_REALTIME moved against the raw clock since the newest mark
 * taken no later than the stamp t_rt (a step, or a slew of its rate), at
 * realtime now; -1 when the stamp is older than every mark. */
static int64_t realtime_drift(int64_t t_rt, int64_t rt_now, int64_t mono_now)
{
	for (unsigned i = 1; i <= n_marks; i++) {
		const struct mark *k = &marks[(next_mark + MARKS - i) % MARKS];
		if (k->rt <= t_rt) {
			int64_t d = (rt_now - mono_now) - k->diff;
			return d < 0 ? -d : d;
		}
	}
	return -1;
}

/* ns of CLOCK_REALTIME elapsed, as raw ns (the test knob's frequency). */
static int64_t knobbed(int64_t el)
{
	if (knob_freq_ppb && el > -BFT_NS_PER_SEC * 1000 && el < BFT_NS_PER_SEC * 1000)
		el += (el / BFT_NS_PER_SEC) * knob_freq_ppb + (el % BFT_NS_PER_SEC) * knob_freq_ppb / BFT_NS_PER_SEC;
	return el;
}

int64_t bft_clock_arrival_raw_ns(int64_t krt_ns)
{
	int64_t m = read_ns(CLOCK_MONOTONIC_RAW);
	int64_t rt = read_ns(CLOCK_REALTIME);
	int64_t raw = bft_clock_raw_ns();
	int64_t waited = rt - krt_ns, drift = realtime_drift(krt_ns, rt, m);
	if (!krt_ns || waited <= 0 || waited >= BFT_NS_PER_SEC || drift < 0)
		return raw;
	/* Late, never early: a slewing system clock may run up to 10 % fast
	 * (chrony slews at most 8.3 %), and a step since the mark shows up in
	 * the drift; both are taken off the wait. */
	waited -= waited / 10 + drift + 1000;
	return waited > 0 ? raw - knobbed(waited) : raw;
}

int64_t bft_clock_realtime_to_raw_ns(int64_t rt_ns, int64_t *span_ns)
{
	/* Realtime read between two raw reads: the pair is as good as the
	 * gap between them (a preemption shows up as a wide span). */
	int64_t r0 = bft_clock_raw_ns();
	int64_t m = read_ns(CLOCK_MONOTONIC_RAW);
	int64_t rt = read_ns(CLOCK_REALTIME);
	int64_t r1 = bft_clock_raw_ns();
	int64_t el = knobbed(bft_sat_sub(rt, rt_ns));
	if (span_ns) {
		/* The pair's own error, and any step or rate change of the system
		 * clock since the last mark (unknown: a whole second, which
		 * callers treat as no usable conversion). */
		int64_t drift = realtime_drift(rt_ns, rt, m);
		*span_ns = bft_sat_add(r1 - r0, drift < 0 ? BFT_NS_PER_SEC : drift);
	}
	return bft_sat_sub(r0 + (r1 - r0) / 2, el);
}
