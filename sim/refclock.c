/* SPDX-License-Identifier: MIT */
/*
 * Reference clock models (see refclock.h). The NTP exchange is simulated in
 * true time and only the client's stamps go through its oscillator (the
 * world does that), so the server's lie and the path's asymmetry reach the
 * client exactly as they would over a real network.
 */
#include "sim/refclock.h"

#include <bftime/exchange.h>

#include "node/refmodel.h"

bool sim_ref_in_outage(const sim_ref_tmpl *r, int64_t now)
{
	for (size_t i = 0; i < r->n_outages; i++)
		if (now >= r->outages[i].from_ns && now < r->outages[i].to_ns)
			return true;
	return false;
}

bool sim_gps_implausible(const sim_scenario *s, const sim_ref_tmpl *r, int64_t now)
{
	for (size_t i = 0; i < s->n_gps_lies; i++) {
		const sim_gps_lie *l = &s->gps_lies[i];
		if (l->implausible && l->region == r->region && now >= l->from_ns && now < l->to_ns)
			return true;
	}
	return false;
}

bool sim_ref_is_liar(const sim_ref_tmpl *r, uint32_t inst, int64_t now)
{
	return inst < r->liars && now >= r->lie_from_ns;
}

bft_interval sim_gps_read(const sim_scenario *s, const sim_ref_tmpl *r, sim_rng *rng, int64_t now)
{
	double normal = sim_rng_normal(rng);
	int64_t lie = 0;
	for (size_t i = 0; i < s->n_gps_lies; i++) {
		const sim_gps_lie *l = &s->gps_lies[i];
		if (l->region == r->region && now < l->to_ns)
			lie += bft_refmodel_lie(l->from_ns, l->offset_ns, l->rate_ppb, now);
	}
	return bft_refmodel_gps_read(now, r->noise_ns, r->uncertainty_ns, normal, lie);
}

static int64_t one_way(const sim_ref_tmpl *r, sim_rng *rng, bool up)
{
	double j = sim_rng_exp(rng, (double)r->jitter_ns);
	if (j > (double)r->jitter_max_ns)
		j = (double)r->jitter_max_ns;
	return r->delay_ns + (int64_t)j + (up ? r->asym_ns : 0);
}

int64_t sim_ntp_serve(const sim_ref_tmpl *r, uint32_t inst, sim_rng *rng, int64_t t1_true, int64_t *t2, int64_t *t3)
{
	double u1 = sim_rng_unit(rng), u2 = sim_rng_unit(rng);
	int64_t d1 = one_way(r, rng, true), d2 = one_way(r, rng, false);
	int64_t recv = t1_true + d1, send = recv + r->hold_ns;
	int64_t lie = inst < r->liars ? bft_refmodel_lie(r->lie_from_ns, r->lie_ns, r->lie_rate_ppb, recv) : 0;
	*t2 = recv + lie;
	*t3 = send + lie;
	if (u1 < r->loss || u2 < r->loss)
		return INT64_MIN;
	return send + d2;
}

bool sim_ntp_interval(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns, int64_t t1, int64_t t2,
                      int64_t t3, int64_t t4, bft_interval *out)
{
	bft_exchange_params p = { .dmin_ns = r->assume_dmin_ns, .dmax_ns = 0, .rho_ppb = rho_ppb,
		                  .stamp_err_ns = stamp_err_ns };
	bft_reading rd;
	if (bft_round_trip(&rd, &p, t1, t2, t3, t4) != 0)
		return false;
	/* offset = server - raw at t4, so true time (per the server) at raw t4: */
	*out = bft_iv_shift(rd.offset, t4);
	return true;
}

int64_t sim_ref_max_width(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns)
{
	if (r->kind == SIM_REF_GPS)
		return 2 * r->uncertainty_ns;
	/* Round-trip width: rtt - hold - 2 dmin_assumed + drift + stamp errors. */
	int64_t rtt = 2 * (r->delay_ns + r->jitter_max_ns) + r->asym_ns + r->hold_ns;
	int64_t w = rtt - r->hold_ns - 2 * r->assume_dmin_ns;
	return w + 2 * bft_drift_ns(rho_ppb, rtt) + 4 * stamp_err_ns;
}
