/* SPDX-License-Identifier: MIT */
/*
 * Reading the OS clocks (clock.h). Reads only: bftime never sets the system
 * clock from here (a future clock-adjusting driver would live beside this
 * file, behind its own interface, and run in a privileged parent).
 */
#include "sys/clock.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include <bftime/interval.h>

static int64_t knob_offset_ns, knob_freq_ppb, anchor_ns;

/* clock_gettime, or a test's fake (bft_clock_set_reader). */
static int (*gettime)(clockid_t, struct timespec *) = clock_gettime;

/* 0, or -1 when the clock cannot be read (CLOCK_BOOTTIME under a
 * system-call simulator such as clknetsim fails with EINVAL). */
static int try_read_ns(clockid_t id, int64_t *ns)
{
	struct timespec ts;
	if (gettime(id, &ts) != 0)
		return -1;
	*ns = (int64_t)ts.tv_sec * BFT_NS_PER_SEC + ts.tv_nsec;
	return 0;
}

static int64_t read_ns(clockid_t id)
{
	int64_t ns = 0;
	(void)try_read_ns(id, &ns); /* cannot fail for the other clock ids on Linux */
	return ns;
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

/* What is known of D = CLOCK_BOOTTIME - CLOCK_MONOTONIC, which is constant
 * except that a suspend adds its length. A BOOTTIME read b between
 * MONOTONIC reads m0 and m1 brackets it: D lies in [b - m1, b - m0], as
 * wide as the reads are apart. Two reads alone (b - m) are off by however
 * long the process was preempted between them, and a flood of work makes
 * that milliseconds: a suspend that never was, and the daemon restarting
 * its node for it (issue 13). So: several brackets per call, the narrowest
 * kept (a preemption spoils one, not the next, which runs in the fresh time
 * slice); their intersection over calls in [lo, hi]; and growth only when a
 * bracket lies wholly above hi, which no preemption can make (it widens a
 * bracket, it never moves one off D). `reported` is the lower end of the
 * bracket that saw the growth, and stays until the next one. */
#define SLEPT_TRIES 16
#define SLEPT_GOOD_NS 10000 /* a bracket this narrow ends the tries (~100 ns is usual) */

static struct {
	bool known;
	int64_t lo, hi, reported;
} slept;

int64_t bft_clock_slept_ns(void)
{
	int64_t m0, b, m1, lo = 0, hi = 0;
	if (try_read_ns(CLOCK_MONOTONIC, &m0) != 0)
		return slept.reported;
	for (int i = 0; i < SLEPT_TRIES; i++, m0 = m1) {
		/* no BOOTTIME (clknetsim): no suspend is ever seen, and the
		 * answer is what it was, 0 if it never could be read */
		if (try_read_ns(CLOCK_BOOTTIME, &b) != 0 || try_read_ns(CLOCK_MONOTONIC, &m1) != 0)
			return slept.reported;
		if (i == 0 || m1 - m0 < hi - lo) {
			lo = b - m1;
			hi = b - m0;
		}
		if (hi - lo <= SLEPT_GOOD_NS)
			break;
	}
	if (!slept.known || lo > slept.hi) {
		/* the first read, or certain growth: the machine slept */
		slept.known = true;
		slept.lo = lo;
		slept.hi = hi;
		slept.reported = lo;
	} else if (hi < slept.lo) {
		/* D went back, which it cannot: start again from this bracket
		 * (the answer goes down, which no caller takes for a suspend) */
		slept.lo = slept.reported = lo;
		slept.hi = hi;
	} else {
		slept.lo = lo > slept.lo ? lo : slept.lo;
		slept.hi = hi < slept.hi ? hi : slept.hi;
	}
	return slept.reported;
}

/* Marks: (CLOCK_REALTIME - CLOCK_MONOTONIC_RAW) as it stood at the loop's
 * wakes, at least MARK_GAP_NS apart, the last MARKS of them (over 3 s): how
 * much the system clock was stepped or slewed since a stamp was taken. */
#define MARKS 64
#define MARK_GAP_NS (BFT_NS_PER_SEC / 20)
/* The shortest stretch of marks a rate is drawn from, and the error never
 * claimed below (two reads of two clocks, a few tens of ns apart). */
#define LINE_MIN_NS (BFT_NS_PER_SEC / 5)
#define LINE_FLOOR_NS 200.0
/* A pair of raw reads around a realtime read (a mark's, a conversion's)
 * this close is not tried again. */
#define PAIR_OK_NS 1000

static struct mark {
	int64_t mono, rt, diff;
} marks[MARKS];
static unsigned n_marks, next_mark;

void bft_clock_set_reader(int (*fn)(clockid_t id, struct timespec *ts))
{
	gettime = fn ? fn : clock_gettime;
	memset(&slept, 0, sizeof slept);
	n_marks = next_mark = 0; /* marks of the other clock mean nothing */
}

/* The newest mark taken no later than the stamp t_rt, or NULL. */
static const struct mark *mark_before(int64_t t_rt)
{
	for (unsigned i = 1; i <= n_marks; i++) {
		const struct mark *k = &marks[(next_mark + MARKS - i) % MARKS];
		if (k->rt <= t_rt)
			return k;
	}
	return NULL;
}

void bft_clock_mark(void)
{
	const struct mark *last = n_marks ? &marks[(next_mark + MARKS - 1) % MARKS] : NULL;
	if (last && read_ns(CLOCK_MONOTONIC_RAW) - last->mono < MARK_GAP_NS)
		return;
	/* CLOCK_REALTIME read between two raw reads, the best of a few tries
	 * as a conversion reads them: a preemption between a lone pair of
	 * reads put the mark off the line by its length, a false step of the
	 * system clock that widened every conversion for the marks' 3 s (a CI
	 * run's test_solar saw its readings 2.3 us wider for one). A host
	 * whose clock reads are slow (a VM's clock source) keeps its marks,
	 * their error in the line's as before. */
	int64_t m = 0, rt = 0, gap = INT64_MAX;
	for (int t = 0; t < 4 && (t < 2 || gap > PAIR_OK_NS); t++) {
		int64_t a = read_ns(CLOCK_MONOTONIC_RAW), r = read_ns(CLOCK_REALTIME), b = read_ns(CLOCK_MONOTONIC_RAW);
		if (b - a < gap) /* the raw read just before, as a conversion pairs them */
			gap = b - a, m = a, rt = r;
	}
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
	const struct mark *k = mark_before(t_rt);
	if (!k)
		return -1;
	int64_t d = (rt_now - mono_now) - k->diff;
	return d < 0 ? -d : d;
}

/* The system clock's offset from the raw clock (CLOCK_REALTIME minus
 * CLOCK_MONOTONIC_RAW) as it stood when CLOCK_REALTIME read t_rt, and how
 * far off that may be (*err_ns); -1 when the stamp is older than every mark.
 *
 * Two estimates; the one with the smaller error is taken.
 * - The bracket: the offset between the marks on either side of the stamp
 *   (the later one may be now), interpolated; it lay between the two as
 *   long as the clock was not slewed both ways within those 50-100 ms.
 * - The line: the offset moves steadily at the host's own frequency
 *   correction (an NTP daemon's, tens of ppm on many machines: 30 us in a
 *   second), so the line from the oldest mark to now predicts it. Its
 *   error is the largest departure of any mark from that line (a step, a
 *   change of slew, a preempted read show up there), twice over for the
 *   unseen stretch around the stamp. */
static int offset_at(int64_t t_rt, int64_t rt_now, int64_t mono_now, int64_t *diff_ns, int64_t *err_ns)
{
	const struct mark *k0 = mark_before(t_rt);
	if (!k0)
		return -1;
	unsigned i0 = (unsigned)(k0 - marks);
	struct mark k1 = { mono_now, rt_now, rt_now - mono_now };
	if ((i0 + 1) % MARKS != next_mark)
		k1 = marks[(i0 + 1) % MARKS];
	double frac = k1.rt > k0->rt ? (double)(t_rt - k0->rt) / (double)(k1.rt - k0->rt) : 1;
	frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
	double moved = fabs((double)(k1.diff - k0->diff));
	*diff_ns = k0->diff + llround(frac * (double)(k1.diff - k0->diff));
	*err_ns = (int64_t)ceil(moved * (frac > 0.5 ? frac : 1 - frac) + LINE_FLOOR_NS);
	const struct mark *a = &marks[(next_mark + MARKS - n_marks) % MARKS]; /* the oldest */
	int64_t d_now = rt_now - mono_now, base = mono_now - a->mono;
	if (n_marks < 3 || base < LINE_MIN_NS)
		return 0;
	double rate = (double)(d_now - a->diff) / (double)base;
	double worst = 0;
	for (unsigned i = 0; i < n_marks; i++) {
		const struct mark *k = &marks[(next_mark + MARKS - n_marks + i) % MARKS];
		double dev = fabs((double)k->diff - ((double)a->diff + rate * (double)(k->mono - a->mono)));
		worst = dev > worst ? dev : worst;
	}
	double err = 2 * worst + LINE_FLOOR_NS;
	if (err >= (double)*err_ns)
		return 0;
	int64_t m_stamp = k0->mono + (t_rt - k0->rt); /* to a few ppm of the interval */
	*diff_ns = a->diff + llround(rate * (double)(m_stamp - a->mono));
	*err_ns = (int64_t)ceil(err);
	return 0;
}

/* ns of CLOCK_REALTIME elapsed, as raw ns (the test knob's frequency). */
static int64_t knobbed(int64_t el)
{
	if (knob_freq_ppb && el > -BFT_NS_PER_SEC * 1000 && el < BFT_NS_PER_SEC * 1000)
		el += (el / BFT_NS_PER_SEC) * knob_freq_ppb + (el % BFT_NS_PER_SEC) * knob_freq_ppb / BFT_NS_PER_SEC;
	return el;
}

void bft_clock_now_read(bft_clock_now *now)
{
	now->mono_ns = read_ns(CLOCK_MONOTONIC_RAW);
	now->realtime_ns = read_ns(CLOCK_REALTIME);
	now->raw_ns = bft_clock_raw_ns();
}

int64_t bft_clock_arrival_raw_ns(int64_t krt_ns)
{
	bft_clock_now now;
	bft_clock_now_read(&now);
	return bft_clock_arrival_raw_at(&now, krt_ns);
}

int64_t bft_clock_arrival_raw_at(const bft_clock_now *now, int64_t krt_ns)
{
	int64_t m = now->mono_ns, rt = now->realtime_ns, raw = now->raw_ns;
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
	 * gap between them. A preemption shows up as a wide gap: the best of
	 * a few tries (as chrony reads a PHC), done once one is under 1 us;
	 * never the first alone: its reads find cold caches, and on a VM that
	 * made the pair 200-300 ns wider than the second try's. */
	int64_t r0 = 0, m = 0, rt = 0, r1 = INT64_MAX;
	for (int t = 0; t < 4 && (t < 2 || r1 - r0 > PAIR_OK_NS); t++) {
		int64_t a = bft_clock_raw_ns();
		int64_t am = read_ns(CLOCK_MONOTONIC_RAW);
		int64_t art = read_ns(CLOCK_REALTIME);
		int64_t b = bft_clock_raw_ns();
		if (t == 0 || b - a < r1 - r0)
			r0 = a, m = am, rt = art, r1 = b;
	}
	/* Raw time elapsed since the stamp: realtime elapsed, less what the
	 * system clock gained on the raw one meanwhile (offset_at). Unknown
	 * (a stamp older than every mark): a span of a whole second, which
	 * callers treat as no usable conversion. */
	int64_t d_then = 0, err = BFT_NS_PER_SEC;
	int64_t gained = offset_at(rt_ns, rt, m, &d_then, &err) == 0 ? (rt - m) - d_then : 0;
	int64_t el = knobbed(bft_sat_sub(bft_sat_sub(rt, rt_ns), gained));
	if (span_ns)
		*span_ns = bft_sat_add(r1 - r0, err);
	return bft_sat_sub(r0 + (r1 - r0) / 2, el);
}
