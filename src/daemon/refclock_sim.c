/* SPDX-License-Identifier: MIT */
/*
 * The `system` and `simulated` reference drivers (refclock_sim.h).
 *
 * Both read CLOCK_REALTIME between two raw readings. The realtime read
 * happened somewhere between them, so at the second raw reading true time
 * (as far as CLOCK_REALTIME is true) lies in [rt, rt + elapsed]; the interval
 * is widened by that span rather than assuming the reads were simultaneous.
 */
#include "daemon/refclock_sim.h"

#include <math.h>

#include <bftime/common.h>

#include "sys/clock.h"

static uint64_t next_u64(uint64_t *s)
{
	uint64_t x = *s += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static double unit(uint64_t *s) { return ((double)(next_u64(s) >> 11) + 0.5) / 9007199254740992.0; }

/* Standard normal (Box-Muller). */
static double gauss(uint64_t *s)
{
	double u = unit(s), v = unit(s);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int read_realtime(int64_t *raw_ns, int64_t *rt_ns, int64_t *span_ns)
{
	int64_t r0 = bft_clock_raw_ns();
	*rt_ns = bft_clock_realtime_ns();
	int64_t r1 = bft_clock_raw_ns();
	*raw_ns = r1;
	/* The span in raw ns; doubled and +1 us for the skewed test oscillator
	 * and a preempted read. */
	*span_ns = 2 * (r1 - r0) + 1000;
	return 0;
}

static int sim_init(bftd_refclock *rc, uint64_t seed)
{
	rc->rng = seed;
	return 0;
}

static int sim_poll(bftd_refclock *rc, int64_t *raw_ns, bft_interval *iv)
{
	int64_t rt, span;
	read_realtime(raw_ns, &rt, &span);
	const bftd_ref *c = rc->cfg;
	int64_t noise = 0;
	if (c->noise_ns > 0) {
		/* Truncated at the stated uncertainty, as a receiver's honest
		 * error bound would be: redraw, and clamp after a few tries. */
		double x = 0;
		for (int i = 0; i < 8; i++) {
			x = gauss(&rc->rng) * (double)c->noise_ns;
			if (fabs(x) <= (double)c->uncertainty_ns)
				break;
		}
		if (x > (double)c->uncertainty_ns)
			x = (double)c->uncertainty_ns;
		if (x < -(double)c->uncertainty_ns)
			x = -(double)c->uncertainty_ns;
		noise = (int64_t)x;
	}
	int64_t reading = bft_sat_add(bft_sat_add(rt, noise), c->offset_ns);
	*iv = bft_iv(bft_sat_sub(reading, c->uncertainty_ns), bft_sat_add(bft_sat_add(reading, c->uncertainty_ns), span));
	return 0;
}

static int sys_poll(bftd_refclock *rc, int64_t *raw_ns, bft_interval *iv)
{
	int64_t rt, span;
	read_realtime(raw_ns, &rt, &span);
	*iv = bft_iv(bft_sat_sub(rt, rc->cfg->uncertainty_ns), bft_sat_add(bft_sat_add(rt, rc->cfg->uncertainty_ns), span));
	return 0;
}

static const bftd_refclock_driver drivers[] = {
	[BFTD_REF_SIMULATED] = { "simulated", sim_init, sim_poll },
	[BFTD_REF_SYSTEM] = { "system", sim_init, sys_poll },
};

int bftd_refclock_init(bftd_refclock *rc, const bftd_ref *cfg, uint64_t seed, int64_t now_mono_ns)
{
	if ((size_t)cfg->kind >= sizeof drivers / sizeof drivers[0])
		return BFT_EINVAL;
	rc->drv = &drivers[cfg->kind];
	rc->cfg = cfg;
	rc->next_mono_ns = now_mono_ns;
	rc->readings = 0;
	return rc->drv->init(rc, seed);
}

int bftd_refclock_service(bftd_refclock *rc, int64_t now_mono_ns, int64_t *raw_ns, bft_interval *iv)
{
	if (now_mono_ns < rc->next_mono_ns)
		return 0;
	/* Keep the schedule's phase; skip missed slots rather than burst. */
	rc->next_mono_ns += rc->cfg->every_ns;
	if (rc->next_mono_ns <= now_mono_ns)
		rc->next_mono_ns = now_mono_ns + rc->cfg->every_ns;
	int rc2 = rc->drv->poll(rc, raw_ns, iv);
	if (rc2)
		return rc2;
	rc->readings++;
	return 1;
}
