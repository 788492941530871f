/* SPDX-License-Identifier: MIT */
/*
 * Virtual oscillators. raw(t) is what a node's free-running clock reads at
 * true time t: piecewise linear, with the rate error freq (ppb) changed on a
 * fixed per-node grid by a random walk (and aging, and explicit temperature
 * steps). The grid does not depend on when the clock is read, so results do
 * not depend on the query pattern. Reads must come at non-decreasing true
 * times (the simulator's clock only moves forward); the state is advanced
 * lazily to the time of the read.
 */
#ifndef SIM_OSC_H
#define SIM_OSC_H

#include <stdint.h>

#include "sim/rng.h"

typedef struct sim_osc_config {
	double freq_ppb;         /* initial rate error */
	double wander_ppb;       /* standard deviation of the random-walk step, per grid step */
	int64_t step_ns;         /* grid */
	double aging_ppb_per_s;  /* linear frequency drift */
	double limit_ppb;        /* |freq| is clamped here (keep it inside the node's rho) */
	int64_t raw_at_zero_ns;  /* raw(0) */
} sim_osc_config;

typedef struct sim_osc {
	int64_t t0_ns, raw0_ns; /* anchor: start of the current grid step */
	double freq_ppb;
	double frac_ns;         /* sub-ns remainder carried between steps */
	double wander_ppb, aging_ppb_per_step, limit_ppb;
	int64_t step_ns;
	sim_rng rng;
} sim_osc;

void sim_osc_init(sim_osc *o, const sim_osc_config *c, uint64_t seed, uint64_t stream);
/* Raw time at true time t (t >= the last time read). */
int64_t sim_osc_raw(sim_osc *o, int64_t t_ns);
/* Earliest true time >= now at which raw reaches raw_ns, under the current
 * rate (the rate may change before then: callers re-check when it comes). */
int64_t sim_osc_when(sim_osc *o, int64_t now_ns, int64_t raw_ns);
/* A temperature step: the rate changes by dppb from true time t on. */
void sim_osc_kick(sim_osc *o, int64_t t_ns, double dppb);
/* Current rate error (after advancing to t). */
double sim_osc_freq(sim_osc *o, int64_t t_ns);

#endif
