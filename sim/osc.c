/* SPDX-License-Identifier: MIT */
/*
 * Oscillator model. Between grid points the clock is linear, which makes
 * raw(t) cheap and exactly invertible on a segment; the random walk is
 * drawn once per grid step from the node's own stream, whether or not
 * anybody read the clock in that step. A kick splits the current segment.
 */
#include "sim/osc.h"

#include <math.h>

void sim_osc_init(sim_osc *o, const sim_osc_config *c, uint64_t seed, uint64_t stream)
{
	o->t0_ns = 0;
	o->raw0_ns = c->raw_at_zero_ns;
	o->freq_ppb = c->freq_ppb;
	o->frac_ns = 0;
	o->wander_ppb = c->wander_ppb;
	o->step_ns = c->step_ns > 0 ? c->step_ns : 1000000000;
	o->aging_ppb_per_step = c->aging_ppb_per_s * ((double)o->step_ns / 1e9);
	o->limit_ppb = c->limit_ppb;
	sim_rng_seed(&o->rng, seed, stream);
}

static double clamp(double f, double lim)
{
	return f > lim ? lim : f < -lim ? -lim : f;
}

/* Advance the anchor by dt within the current rate. */
static void move(sim_osc *o, int64_t dt)
{
	double d = (double)dt * o->freq_ppb * 1e-9 + o->frac_ns;
	double w = floor(d);
	o->frac_ns = d - w;
	o->raw0_ns += dt + (int64_t)w;
	o->t0_ns += dt;
}

static void advance(sim_osc *o, int64_t t)
{
	/* Grid points are multiples of step_ns in true time. */
	for (;;) {
		int64_t next = (o->t0_ns / o->step_ns + 1) * o->step_ns;
		if (next > t)
			break;
		move(o, next - o->t0_ns);
		double f = o->freq_ppb + o->aging_ppb_per_step;
		if (o->wander_ppb > 0)
			f += o->wander_ppb * sim_rng_normal(&o->rng);
		o->freq_ppb = clamp(f, o->limit_ppb);
	}
}

int64_t sim_osc_raw(sim_osc *o, int64_t t)
{
	if (t > o->t0_ns)
		advance(o, t);
	int64_t dt = t - o->t0_ns;
	return o->raw0_ns + dt + (int64_t)floor((double)dt * o->freq_ppb * 1e-9 + o->frac_ns);
}

int64_t sim_osc_when(sim_osc *o, int64_t now, int64_t raw)
{
	int64_t rn = sim_osc_raw(o, now);
	if (raw <= rn)
		return now;
	double dt = (double)(raw - rn) / (1.0 + o->freq_ppb * 1e-9);
	int64_t t = now + (int64_t)ceil(dt);
	return t > now ? t : now + 1;
}

void sim_osc_kick(sim_osc *o, int64_t t, double dppb)
{
	if (t > o->t0_ns)
		advance(o, t);
	move(o, t - o->t0_ns);
	o->freq_ppb = clamp(o->freq_ppb + dppb, o->limit_ppb);
}

double sim_osc_freq(sim_osc *o, int64_t t)
{
	if (t > o->t0_ns)
		advance(o, t);
	return o->freq_ppb;
}
