/* SPDX-License-Identifier: MIT */
/*
 * The simulated Sun (solar.h). A slot every `every`: each member whose Sun
 * is above the mask records a block that starts at the same true time T on
 * every antenna (the signal is what differs: the Sun's wavefront reaches
 * each antenna at its geometric delay, bft_sun_delay_s, applied below one
 * sample by bft_solarsim_array), stamps it with its oscillator's raw time at
 * T (the simulated stamps are exact; the stated stamp_uncertainty bounds the
 * latency a real receiver has) and its node's estimate of true time there
 * (the published stamp, its half-width the node's own interval's), and
 * publishes a fragment when the node is synchronized. Every other member
 * in daylight correlates it: the engine's reading is checked against true
 * time (the world's T), and the peers' readings fused (peers_f) become the
 * node's reading of its solar reference. A liar publishes stamps `lie` off
 * from lie_from on, stating the same uncertainty, as a node whose clock is
 * wrong but claims otherwise would.
 *
 * The world is made as hard as real receivers and skies make it (each
 * part switched off by its key set to 0, docs/simulator.md): every pair of
 * antennas correlates as its own projected baseline allows (the visibility
 * matrix, bft_solarsim_array_vis), the signal is drawn twice a block long
 * so a delay brings other samples into the block rather than its own
 * wrapped edge; each station has its own T_sys and dish (spreads), its
 * T_sys rises and the Sun's signal fades with the airmass at its own
 * elevation (3 K of atmosphere and 0.01 nepers at the zenith: 1.4 GHz);
 * each block starts up to start_jitter before the slot, differently at
 * each antenna, and its stamps are taken up to stamp_uncertainty off its
 * first sample (stamp_errors); the wavefront reaches each antenna through
 * its own atmosphere (per site: wet zenith delay up to wet_max, the
 * hydrostatic model 3% off, vertical TEC within tec_max with tec_jitter
 * per block), of which the engine knows only the model and the bounds;
 * antennas stand on `sites` sites site_spacing apart north-south (or
 * east-west, around the globe: `site_direction: east`). What is
 * still simple: fragments arrive within the slot (the reading is anchored
 * at the block's raw stamp, so transit time does not enter it); the Sun's
 * flux is the quiet Sun's but for radio bursts when a scenario asks
 * (`bursts_per_hour`: T_sun up to `burst_factor` times, the same at every
 * antenna, no change of the disk's size); the visibility is the same across
 * the band.
 */
#include "sim/solar.h"

#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "core/solarsim.h"
#include "core/sun.h"
#include "proto/fragment.h"
#include "refclock/solar.h"
#include "sim/world.h"

#define CENTRE_HZ SIM_SOLAR_CENTRE_HZ
#define DEG (M_PI / 180.0)

struct member {
	uint32_t node;
	size_t site;
	bft_geodetic pos;
	bft_vec3 ecef;
	double t_sys_k, t_sun_k, gain;           /* its receiver and dish (spreads applied) */
	double wet_zd_m, hydro_err, tec_tecu;    /* its site's atmosphere */
	bftd_solar *eng;
	bool liar, copier; /* a copier is counted with the liars */
	uint8_t *frag;
	size_t frag_len;
	int64_t raw_ns;
	int64_t coarse_err_ns; /* its coarse clock's error while unsynchronized */
	int64_t truth_ns;      /* true time at its block's raw stamp this slot */
	int64_t pub_err_ns;    /* its published start minus the true time of its first sample */
	int64_t stamp_off_ns;  /* its stamps' error this slot */
	size_t victim;         /* a copier: whose fragment (day index) it copied this slot, SIZE_MAX none */
};

struct sim_solar {
	struct member *m;
	size_t n;
	double complex **buf;
	double *vis;          /* the day members' visibility matrix this slot */
	int64_t *late_ns;     /* each day member's block start before the slot */
	int64_t *stamp_off_ns; /* and its stamps' error */
	uint8_t *copy;         /* a copier's fragment being made */
	size_t *day; /* members in daylight this slot */
	bft_rng rng;
	uint32_t seq;
	sim_solar_stats st;
	/* the bursts (bursts_per_hour > 0): the current one's span and peak, the next start */
	bool burst_drawn;
	int64_t burst_start_ns, burst_end_ns, burst_next_ns;
	double burst_peak;
};

/* Uniform in [-1, 1). */
static double uniform(bft_rng *r) { return 2.0 * (double)(bft_rng_next(r) >> 11) * 0x1.0p-53 - 1.0; }

/* The wavefront's true delay through this antenna's atmosphere at
 * elevation el (s): the hydrostatic model off by the site's error, the wet
 * delay the model leaves out, the ionosphere's group delay at this block's
 * TEC. The engine subtracts only the model and bounds the rest. */
static double atmosphere_s(const sim_solar_cfg *c, const struct member *m, double el, double tec)
{
	double slant = 1.0 / sin(fmax(el, 3 * DEG));
	return bft_tropo_delay_s(el, m->pos.height_m) * (1 + m->hydro_err) + m->wet_zd_m * slant / BFT_C_M_S +
	       bft_iono_bound_s(el, CENTRE_HZ, tec) * (c->tec_max > 0 ? 1 : 0);
}

bool sim_solar_member(const sim_world *w, uint32_t id)
{
	return w->sc->solar.on && sim_set_has(&w->sc->solar.nodes, id);
}

void sim_solar_destroy(sim_solar *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		bftd_solar_destroy(s->m[i].eng);
		free(s->m[i].frag);
		if (s->buf)
			free(s->buf[i]);
	}
	free(s->buf);
	free(s->m);
	free(s->day);
	free(s->vis);
	free(s->late_ns);
	free(s->stamp_off_ns);
	free(s->copy);
	free(s);
}

int sim_solar_create(sim_solar **out, sim_world *w, char *err, size_t errlen)
{
	*out = NULL;
	const sim_solar_cfg *c = &w->sc->solar;
	if (!c->on)
		return 0;
	sim_solar *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	s->m = calloc(w->n, sizeof *s->m);
	s->buf = calloc(w->n, sizeof *s->buf);
	s->day = calloc(w->n, sizeof *s->day);
	s->vis = calloc((size_t)w->n * w->n, sizeof *s->vis);
	s->late_ns = calloc(w->n, sizeof *s->late_ns);
	s->stamp_off_ns = calloc(w->n, sizeof *s->stamp_off_ns);
	s->copy = malloc(BFT_FRAG_MAX_BYTES);
	if (!s->m || !s->buf || !s->day || !s->vis || !s->late_ns || !s->stamp_off_ns || !s->copy) {
		sim_solar_destroy(s);
		return -1;
	}
	bft_rng_seed(&s->rng, w->sc->seed ^ UINT64_C(0x736f6c6172)); /* "solar" */
	size_t day_i = 0, night_i = 0;
	for (uint32_t i = 0; i < w->n; i++) {
		if (!sim_solar_member(w, i))
			continue;
		struct member *m = &s->m[s->n];
		m->node = i;
		bool night = sim_set_has(&c->night, i);
		/* Round the sites (site_spacing apart north from the first, or
		 * east along its parallel), on each an east-west line spacing
		 * apart; the night ones at the antipode. */
		size_t k = night ? night_i++ : day_i++;
		m->site = k % c->sites;
		double lat0 = (night ? -c->lat_deg : c->lat_deg) * DEG, sep = c->site_spacing_m * (double)m->site;
		double lat = lat0 + (c->sites_east ? 0 : sep / 6378137.0);
		double lon = (night ? c->lon_deg + 180 : c->lon_deg) * DEG + (c->sites_east ? sep / (6378137.0 * cos(lat0)) : 0);
		lon = remainder(lon + c->spacing_m * (double)(k / c->sites) / (6378137.0 * cos(lat)), 2 * M_PI); /* [-pi, pi] */
		m->pos = (bft_geodetic){ lat, lon, 100 };
		m->t_sys_k = c->t_sys_k * (1 + c->t_sys_spread * uniform(&s->rng));
		m->t_sun_k = bft_solarsim_t_sun(c->flux_sfu, c->dish_m * (1 + c->dish_spread * uniform(&s->rng)), 0.5);
		m->gain = 1 + 0.5 * uniform(&s->rng);
		m->ecef = bft_geodetic_to_ecef(m->pos);
		m->copier = sim_set_has(&c->copiers, i);
		m->liar = sim_set_has(&c->liars, i) || m->copier;
		m->coarse_err_ns = (int64_t)((2.0 * (double)(bft_rng_next(&s->rng) >> 11) * 0x1.0p-53 - 1.0) * (double)c->coarse_ns);
		bftd_solar_params p = {
			.node = i,
			.fs_hz = c->fs_hz,
			.centre_hz = CENTRE_HZ,
			.bw_hz = c->bw_frac * c->fs_hz,
			.pos = m->liar && c->lie_position_m != 0
			               ? (bft_geodetic){ m->pos.lat_rad + c->lie_position_m / 6378137.0, m->pos.lon_rad,
			                                 m->pos.height_m }
			               : m->pos,
			.pos_err_m = 0.01,
			.mask_rad = c->mask_deg * DEG,
			.frag_n = (uint32_t)c->frag_n,
			.block_n = (uint32_t)c->block_n,
			.bits = (uint8_t)c->bits,
			.tec_max_tecu = c->tec_max,
			.window_ns = c->window_ns,
			/* The samplers are the nodes' oscillators: within rho each. */
			.rate_err_ppb = 2.0 * (double)w->sc->rho_ppb,
			.keep_blocks = 1,
			.sun_frac_max = c->sun_fraction,
			.peer_frac_max = c->peer_sun_fraction,
		};
		m->frag = malloc(BFT_FRAG_MAX_BYTES);
		s->buf[s->n] = malloc(c->block_n * sizeof **s->buf);
		s->n++;
		if (!m->frag || !s->buf[s->n - 1] || bftd_solar_create(&m->eng, &p, &w->signer, err, errlen) != 0) {
			sim_solar_destroy(s);
			return -1;
		}
	}
	/* Each site's atmosphere, shared by its antennas (drawn in site order). */
	for (size_t site = 0; site < c->sites; site++) {
		double wet = c->wet_max_m * (0.5 + 0.5 * uniform(&s->rng)), hydro = 0.03 * uniform(&s->rng);
		double tec = c->tec_max * (0.5 + 0.3 * uniform(&s->rng));
		for (size_t i = 0; i < s->n; i++)
			if (s->m[i].site == site)
				s->m[i].wet_zd_m = wet, s->m[i].hydro_err = hydro, s->m[i].tec_tecu = tec;
	}
	*out = s;
	return 0;
}

const sim_solar_stats *sim_solar_get_stats(const sim_solar *s) { return &s->st; }

/* An exponential draw of the given mean (ns). */
static int64_t exp_ns(bft_rng *r, double mean_ns) { return (int64_t)(-mean_ns * log(0.5 - 0.5 * uniform(r))); }

/* T_sun's factor at world time t (1: the quiet Sun). Bursts begin as a
 * Poisson process; each rises linearly over its first tenth to a peak drawn
 * log-uniformly in [10, burst_factor], then decays exponentially with a
 * third of its length as the time constant, and ends. Draws only when bursts
 * are on, so quiet worlds keep their random sequence. */
static double burst_mult(sim_solar *s, const sim_solar_cfg *c, int64_t t)
{
	if (!(c->bursts_per_hour > 0))
		return 1.0;
	double gap = 3600e9 / c->bursts_per_hour;
	if (!s->burst_drawn) {
		s->burst_drawn = true;
		s->burst_end_ns = INT64_MIN;
		s->burst_next_ns = t + exp_ns(&s->rng, gap);
	}
	if (t >= s->burst_end_ns && t >= s->burst_next_ns) {
		s->burst_start_ns = s->burst_next_ns;
		s->burst_end_ns = s->burst_start_ns + 1 + exp_ns(&s->rng, (double)c->burst_duration_ns);
		s->burst_peak = pow(10.0, 1.0 + (0.5 + 0.5 * uniform(&s->rng)) * (log10(c->burst_factor) - 1.0));
		s->burst_next_ns = s->burst_end_ns + exp_ns(&s->rng, gap);
		s->st.bursts++;
		if (s->burst_peak > s->st.burst_peak_max)
			s->st.burst_peak_max = s->burst_peak;
	}
	if (t < s->burst_start_ns || t >= s->burst_end_ns)
		return 1.0;
	double len = (double)(s->burst_end_ns - s->burst_start_ns), x = (double)(t - s->burst_start_ns);
	double shape = x < 0.1 * len ? x / (0.1 * len) : exp(-(x - 0.1 * len) / (len / 3));
	return 1.0 + (s->burst_peak - 1.0) * shape;
}

int sim_solar_slot(sim_solar *s, sim_world *w, sim_solar_emit emit)
{
	const sim_solar_cfg *c = &w->sc->solar;
	int64_t t = w->now_ns, abs_ns = w->epoch_ns + t;
	s->st.slots++;
	double mult = burst_mult(s, c, t);
	bool in_burst = mult > 1.0;
	s->st.burst_slots += in_burst;
	size_t nd = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->m[i].frag_len = 0;
		if (bftd_solar_sun_up(s->m[i].eng, abs_ns))
			s->day[nd++] = i;
		else
			s->st.night_blocks++;
	}
	if (nd == 0)
		return 0;
	bft_solarsim_station *st = calloc(nd, sizeof *st);
	double complex **outs = calloc(nd, sizeof *outs);
	if (!st || !outs) {
		free(st), free(outs);
		return -1;
	}
	/* This slot's timing: each block starts late_ns before the slot (its
	 * receiver's own start latency) and is stamped stamp_off_ns off its
	 * first sample; all of it no later than the slot, so no stamp lies in
	 * the node's future. */
	for (size_t j = 0; j < nd; j++) {
		int64_t jit = (int64_t)((0.5 + 0.5 * uniform(&s->rng)) * (double)c->start_jitter_ns);
		int64_t se = c->stamp_errors ? (int64_t)(uniform(&s->rng) * (double)c->stamp_err_ns) : 0;
		s->late_ns[j] = jit + c->stamp_err_ns;
		s->stamp_off_ns[j] = se;
	}
	const struct member *m0 = &s->m[s->day[0]];
	for (size_t j = 0; j < nd; j++)
		for (size_t k = 0; k < nd; k++) {
			const struct member *a = &s->m[s->day[j]], *b = &s->m[s->day[k]];
			s->vis[j * nd + k] = j == k ? 1.0
			                            : bft_disk_visibility_signed(bft_sun_baseline_perp_m(a->ecef, b->ecef, abs_ns),
			                                                         CENTRE_HZ, BFT_SUN_DIAM_RAD);
		}
	double atm0 = 0;
	for (size_t j = 0; j < nd; j++) {
		const struct member *m = &s->m[s->day[j]];
		double el = bft_sun_elevation_rad(m->pos, abs_ns), airmass = 1.0 / sin(fmax(el, 3 * DEG));
		double tec = m->tec_tecu + c->tec_jitter * bft_rng_gauss(&s->rng);
		tec = fmin(fmax(tec, 0.0), c->tec_max);
		double atm = c->atmosphere ? atmosphere_s(c, m, el, tec) : 0;
		if (j == 0)
			atm0 = atm;
		/* Antenna j's sample k holds the wavefront that reached antenna
		 * 0 at T - late_j + k/fs - (arrival at j minus at 0). */
		double d_s = bft_sun_delay_s(m->ecef, m0->ecef, abs_ns) + atm - atm0 + (double)s->late_ns[j] * 1e-9;
		st[j] = (bft_solarsim_station){ m->t_sun_k * mult * exp(-0.01 * airmass), m->t_sys_k + 3.0 * airmass, m->gain,
			                        d_s * c->fs_hz };
		outs[j] = s->buf[s->day[j]];
	}
	int rc = bft_solarsim_array_vis(&s->rng, 2 * c->block_n, c->block_n, c->bw_frac, nd, s->vis, st, outs);
	free(st);
	free(outs);
	if (rc != 0)
		return -1;
	s->seq++;
	for (size_t j = 0; j < nd; j++) {
		struct member *m = &s->m[s->day[j]];
		sim_node *n = &w->nodes[m->node];
		/* The stamps: read at the block's first sample plus the stamp's error. */
		int64_t t_stamp = t - s->late_ns[j] + s->stamp_off_ns[j];
		m->raw_ns = sim_osc_raw(&n->osc, t_stamp);
		m->truth_ns = w->epoch_ns + t_stamp; /* true time at the raw stamp, which the readings claim */
		bft_estimate e;
		bool synced = bft_node_read(n->node, m->raw_ns, &e) == 0 && e.state != BFT_DISC_UNSYNCHRONIZED &&
		              bft_iv_valid(e.bounds) && e.bounds.hi_ns - e.bounds.lo_ns < BFT_NS_PER_SEC;
		/* Unsynchronized: the coarse clock only places the search window
		 * (nothing is published with it). */
		int64_t pub = synced ? e.estimate_ns : m->truth_ns + m->coarse_err_ns, half = 0;
		if (synced)
			half = e.bounds.hi_ns - e.estimate_ns > e.estimate_ns - e.bounds.lo_ns ? e.bounds.hi_ns - e.estimate_ns
			                                                                      : e.estimate_ns - e.bounds.lo_ns;
		if (m->liar && !m->copier && t >= c->lie_from_ns) {
			pub += c->lie_ns;
			s->st.lies++;
		}
		m->stamp_off_ns = s->stamp_off_ns[j];
		m->pub_err_ns = pub - (w->epoch_ns + t - s->late_ns[j]);
		size_t len = 0;
		int made = bftd_solar_record(m->eng, s->buf[s->day[j]], c->block_n, m->raw_ns, c->stamp_err_ns, pub,
		                             half + c->stamp_err_ns, s->seq, m->frag, BFT_FRAG_MAX_BYTES, &len);
		s->st.day_blocks++;
		if (made == 1 && synced) {
			m->frag_len = len;
			s->st.fragments++;
		} else if (!synced) {
			s->st.unsynced_blocks++;
		}
	}
	/* Copiers: each publishes the samples of the first honest fragment of
	 * the slot (its victim's) under its own name, stamp and position. */
	for (size_t j = 0; j < nd; j++) {
		struct member *m = &s->m[s->day[j]];
		m->victim = SIZE_MAX;
		if (!m->copier || !m->frag_len)
			continue;
		for (size_t k = 0; k < nd && m->victim == SIZE_MAX; k++) {
			const struct member *v = &s->m[s->day[k]];
			if (k != j && !v->liar && v->frag_len)
				m->victim = k;
		}
		if (m->victim == SIZE_MAX)
			continue;
		const struct member *v = &s->m[s->day[m->victim]];
		bft_fragment own, theirs;
		size_t len = 0;
		if (bft_fragment_open(m->frag, m->frag_len, &w->signer, &own) != BFT_FRAG_OK ||
		    bft_fragment_open(v->frag, v->frag_len, &w->signer, &theirs) != BFT_FRAG_OK)
			return -1;
		own.samples = theirs.samples;
		if (bft_fragment_encode(&own, &w->signer, s->copy, BFT_FRAG_MAX_BYTES, &len) != BFT_FRAG_OK)
			return -1;
		memcpy(m->frag, s->copy, len);
		m->frag_len = len;
		s->st.copies++;
	}
	/* Every fragment to every other antenna in daylight. */
	for (size_t j = 0; j < nd; j++) {
		const struct member *from = &s->m[s->day[j]];
		if (!from->frag_len)
			continue;
		for (size_t k = 0; k < nd; k++) {
			struct member *to = &s->m[s->day[k]];
			if (k == j)
				continue;
			bftd_solar_reading r;
			int why = bftd_solar_on_fragment(to->eng, from->frag, from->frag_len, &r);
			if (why != 0 && w->debug) /* BFTIME_SIM_DEBUG */
				fprintf(stderr, "solar %u <- %u: %s\n", to->node, from->node, bftd_solar_strerror(why));
			if (why == BFTD_SOLAR_E_COPY && !to->liar) {
				if (!from->copier)
					s->st.copy_flag_honest++, s->st.burst_copy_flag_honest += in_burst;
				else if (from->victim == k)
					s->st.copy_flag_victim++;
				else
					s->st.copy_flag_other++;
			}
			if (from->copier && !to->liar)
				s->st.copy_judged_victim += from->victim == k, s->st.copy_judged_other += from->victim != k;
			if (why != 0) {
				s->st.refused++;
				continue;
			}
			bool held = bft_iv_contains(r.iv, to->truth_ns);
			if (to->liar) { /* a liar's own engine (its false position, say): not an honest reading */
				s->st.readings_by_liars++;
				s->st.misses_by_liars += !held;
				continue;
			}
			if (from->liar) {
				s->st.peer_readings_liar++;
				s->st.peer_misses_liar += !held;
				continue;
			}
			s->st.peer_readings++;
			s->st.peer_misses_honest += !held;
			int64_t err = bft_iv_mid(r.iv) - to->truth_ns;
			s->st.peer_err_sum2_ns2 += (double)err * (double)err;
			if (llabs(err) > s->st.peer_err_max_ns)
				s->st.peer_err_max_ns = llabs(err);
			/* Less what the two stamps contribute (the publisher's clock
			 * and both stamps' errors): the correlation's and the
			 * geometry's (atmosphere included) own error, comparable with
			 * bftimed's test on recordings with known offsets. */
			int64_t ce = err - from->pub_err_ns + to->stamp_off_ns;
			s->st.corr_err_sum2_ns2 += (double)ce * (double)ce;
			if (in_burst) {
				s->st.burst_readings++;
				s->st.burst_misses += !held;
				s->st.burst_corr_err_sum2_ns2 += (double)ce * (double)ce;
			}
			if (llabs(ce) > s->st.corr_err_max_ns)
				s->st.corr_err_max_ns = llabs(ce);
		}
	}
	/* Each antenna's reading: its peers fused. */
	for (size_t k = 0; k < nd; k++) {
		struct member *m = &s->m[s->day[k]];
		int64_t raw;
		bft_interval iv;
		size_t used;
		int e = bftd_solar_fuse(m->eng, c->peers_f, w->sc->rho_ppb, m->raw_ns, 3 * c->every_ns, &raw, &iv, &used);
		if (e == BFTD_SOLAR_E_FEW) {
			s->st.fuse_few++;
			continue;
		}
		if (e != 0) {
			s->st.fuse_faults++;
			continue;
		}
		if (raw != m->raw_ns)
			continue; /* no peer's reading of this slot: nothing new to say */
		int64_t truth = m->truth_ns; /* true time at the block's raw stamp */
		if (m->liar) { /* a liar's own fusion (its false claims in its engine): apart */
			s->st.fused_by_liars++;
			s->st.fused_misses_by_liars += !bft_iv_contains(iv, truth);
		} else {
			s->st.fused++;
			s->st.fused_misses += !bft_iv_contains(iv, truth);
			s->st.fused_width_sum_ns += (double)(iv.hi_ns - iv.lo_ns);
		}
		if (emit(w, m->node, w->nodes[m->node].n_refs, raw, iv) != 0)
			return -1;
	}
	return 0;
}

void sim_solar_report(const sim_solar *s, FILE *out)
{
	const sim_solar_stats *x = &s->st;
	double rms = x->peer_readings ? sqrt(x->peer_err_sum2_ns2 / (double)x->peer_readings) : 0;
	double crms = x->peer_readings ? sqrt(x->corr_err_sum2_ns2 / (double)x->peer_readings) : 0;
	fprintf(out,
	        "  solar: %llu slots, blocks %llu in daylight (%llu unsynchronized) and %llu at night, %llu fragments "
	        "(%llu shifted by liars); honest peers' readings %llu, missing the truth %llu (RMS error %.1f ns, "
	        "worst %lld ns; correlation and geometry alone RMS %.1f ns, worst %lld ns); readings of liars' fragments %llu, missing %llu; refused %llu; fused readings %llu, missing %llu, "
	        "mean width %.0f ns; too few peers %llu, more than f lying %llu; readings made by liars %llu, missing %llu; "
	        "fused by liars %llu, missing %llu\n",
	        (unsigned long long)x->slots, (unsigned long long)x->day_blocks, (unsigned long long)x->unsynced_blocks,
	        (unsigned long long)x->night_blocks, (unsigned long long)x->fragments, (unsigned long long)x->lies,
	        (unsigned long long)x->peer_readings, (unsigned long long)x->peer_misses_honest, rms,
	        (long long)x->peer_err_max_ns, crms, (long long)x->corr_err_max_ns, (unsigned long long)x->peer_readings_liar,
	        (unsigned long long)x->peer_misses_liar, (unsigned long long)x->refused, (unsigned long long)x->fused,
	        (unsigned long long)x->fused_misses, x->fused ? x->fused_width_sum_ns / (double)x->fused : 0,
	        (unsigned long long)x->fuse_few, (unsigned long long)x->fuse_faults, (unsigned long long)x->readings_by_liars,
	        (unsigned long long)x->misses_by_liars, (unsigned long long)x->fused_by_liars,
	        (unsigned long long)x->fused_misses_by_liars);
	/* The day-long checks (src/refclock/solar_track.h), over every member's engine. */
	/* Judged by honest members only: a liar's own engine, with its false
	 * position, finds every honest peer false (and is not believed). Each
	 * honest member proving each liar and nobody else is liars x honest. */
	unsigned long long pos = 0, shift = 0, refused = 0, honest = 0, liars = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->m[i].liar) {
			liars++;
			continue;
		}
		honest++;
		const bftd_solar_stats *e = bftd_solar_get_stats(s->m[i].eng);
		pos += e->position_cheats;
		shift += e->shift_cheats;
		refused += e->cheat_refused;
	}
	fprintf(out, "  solar checks (honest judges %llu, liars %llu): peers proven to claim a false position %llu, "
	             "shifted stamps %llu; readings refused from them %llu\n", honest, liars, pos, shift, refused);
	if (x->bursts) {
		double quiet_n = (double)(x->peer_readings - x->burst_readings);
		double quiet2 = x->corr_err_sum2_ns2 - x->burst_corr_err_sum2_ns2;
		fprintf(out, "  solar bursts: %llu, peak factor up to %.0f, %llu slots inside; honest peers' readings in "
		             "bursts %llu, missing %llu, correlation and geometry RMS %.1f ns (quiet Sun %.1f ns); honest "
		             "fragments refused as copies in bursts %llu\n",
		        (unsigned long long)x->bursts, x->burst_peak_max, (unsigned long long)x->burst_slots,
		        (unsigned long long)x->burst_readings, (unsigned long long)x->burst_misses,
		        x->burst_readings ? sqrt(x->burst_corr_err_sum2_ns2 / (double)x->burst_readings) : 0,
		        quiet_n > 0 ? sqrt(quiet2 / quiet_n) : 0, (unsigned long long)x->burst_copy_flag_honest);
	}
	fprintf(out, "  solar copies: %llu published; refused as copies by their victims %llu of %llu, by other honest "
	             "antennas %llu of %llu; honest fragments refused as copies %llu\n", (unsigned long long)x->copies,
	        (unsigned long long)x->copy_flag_victim, (unsigned long long)x->copy_judged_victim,
	        (unsigned long long)x->copy_flag_other, (unsigned long long)x->copy_judged_other,
	        (unsigned long long)x->copy_flag_honest);
}
