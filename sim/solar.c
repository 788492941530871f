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
 * The model's simplifications, which docs/solar.md repeats: one visibility
 * for the whole array (its longest baseline's); the blocks are periodic
 * (the phase-ramp delay is circular), so a block's edges hold no extra
 * decorrelation; fragments arrive within the slot (the reading is anchored
 * at the block's raw stamp, so transit time does not enter it).
 */
#include "sim/solar.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "core/solarsim.h"
#include "core/sun.h"
#include "proto/fragment.h"
#include "refclock/solar.h"
#include "sim/world.h"

#define CENTRE_HZ 1.42e9
#define DEG (M_PI / 180.0)

struct member {
	uint32_t node;
	bft_geodetic pos;
	bft_vec3 ecef;
	bftd_solar *eng;
	bool liar;
	uint8_t *frag;
	size_t frag_len;
	int64_t raw_ns;
	int64_t coarse_err_ns; /* its coarse clock's error while unsynchronized */
};

struct sim_solar {
	struct member *m;
	size_t n;
	double complex **buf;
	size_t *day; /* members in daylight this slot */
	bft_rng rng;
	uint32_t seq;
	sim_solar_stats st;
};

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
	if (!s->m || !s->buf || !s->day) {
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
		/* An east-west line from the site (or its antipode), spacing apart. */
		double lat = night ? -c->lat_deg : c->lat_deg, lon = night ? c->lon_deg + 180 : c->lon_deg;
		size_t k = night ? night_i++ : day_i++;
		m->pos = (bft_geodetic){ lat * DEG, lon * DEG + c->spacing_m * (double)k / (6378137.0 * cos(lat * DEG)), 100 };
		m->ecef = bft_geodetic_to_ecef(m->pos);
		m->liar = sim_set_has(&c->liars, i);
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
		};
		m->frag = malloc(BFT_FRAG_MAX_BYTES);
		s->buf[s->n] = malloc(c->block_n * sizeof **s->buf);
		s->n++;
		if (!m->frag || !s->buf[s->n - 1] || bftd_solar_create(&m->eng, &p, &w->signer, err, errlen) != 0) {
			sim_solar_destroy(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

const sim_solar_stats *sim_solar_get_stats(const sim_solar *s) { return &s->st; }

int sim_solar_slot(sim_solar *s, sim_world *w, sim_solar_emit emit)
{
	const sim_solar_cfg *c = &w->sc->solar;
	int64_t t = w->now_ns, abs_ns = w->epoch_ns + t;
	s->st.slots++;
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
	double t_sun = bft_solarsim_t_sun(c->flux_sfu, c->dish_m, 0.5);
	const struct member *m0 = &s->m[s->day[0]], *ml = &s->m[s->day[nd - 1]];
	double vis = nd > 1 ? bft_disk_visibility(bft_sun_baseline_perp_m(m0->ecef, ml->ecef, abs_ns), CENTRE_HZ,
	                                          BFT_SUN_DIAM_RAD)
	                    : 1.0;
	for (size_t j = 0; j < nd; j++) {
		const struct member *m = &s->m[s->day[j]];
		/* Antenna j's sample k holds the wavefront that reached antenna 0 at
		 * T + k/fs - (arrival at j minus at 0). */
		st[j] = (bft_solarsim_station){ t_sun, c->t_sys_k, 1.0, bft_sun_delay_s(m->ecef, m0->ecef, abs_ns) * c->fs_hz };
		outs[j] = s->buf[s->day[j]];
	}
	int rc = bft_solarsim_array(&s->rng, c->block_n, c->bw_frac, vis, nd, st, outs);
	free(st);
	free(outs);
	if (rc != 0)
		return -1;
	s->seq++;
	for (size_t j = 0; j < nd; j++) {
		struct member *m = &s->m[s->day[j]];
		sim_node *n = &w->nodes[m->node];
		m->raw_ns = sim_osc_raw(&n->osc, t);
		bft_estimate e;
		bool synced = bft_node_read(n->node, m->raw_ns, &e) == 0 && e.state != BFT_DISC_UNSYNCHRONIZED &&
		              bft_iv_valid(e.bounds) && e.bounds.hi_ns - e.bounds.lo_ns < BFT_NS_PER_SEC;
		/* Unsynchronized: the coarse clock only places the search window
		 * (nothing is published with it). */
		int64_t pub = synced ? e.estimate_ns : abs_ns + m->coarse_err_ns, half = 0;
		if (synced)
			half = e.bounds.hi_ns - e.estimate_ns > e.estimate_ns - e.bounds.lo_ns ? e.bounds.hi_ns - e.estimate_ns
			                                                                      : e.estimate_ns - e.bounds.lo_ns;
		if (m->liar && t >= c->lie_from_ns) {
			pub += c->lie_ns;
			s->st.lies++;
		}
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
			if (why != 0) {
				s->st.refused++;
				continue;
			}
			bool held = bft_iv_contains(r.iv, abs_ns);
			if (from->liar) {
				s->st.peer_readings_liar++;
				s->st.peer_misses_liar += !held;
				continue;
			}
			s->st.peer_readings++;
			s->st.peer_misses_honest += !held;
			int64_t err = bft_iv_mid(r.iv) - abs_ns;
			s->st.peer_err_sum2_ns2 += (double)err * (double)err;
			if (llabs(err) > s->st.peer_err_max_ns)
				s->st.peer_err_max_ns = llabs(err);
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
		int64_t truth = abs_ns; /* the block started at T */
		s->st.fused++;
		s->st.fused_misses += !bft_iv_contains(iv, truth);
		s->st.fused_width_sum_ns += (double)(iv.hi_ns - iv.lo_ns);
		if (emit(w, m->node, w->nodes[m->node].n_refs, raw, iv) != 0)
			return -1;
	}
	return 0;
}

void sim_solar_report(const sim_solar *s, FILE *out)
{
	const sim_solar_stats *x = &s->st;
	double rms = x->peer_readings ? sqrt(x->peer_err_sum2_ns2 / (double)x->peer_readings) : 0;
	fprintf(out,
	        "  solar: %llu slots, blocks %llu in daylight (%llu unsynchronized) and %llu at night, %llu fragments "
	        "(%llu shifted by liars); honest peers' readings %llu, missing the truth %llu (RMS error %.1f ns, "
	        "worst %lld ns); readings of liars' fragments %llu, missing %llu; refused %llu; fused readings %llu, missing %llu, "
	        "mean width %.0f ns; too few peers %llu, more than f lying %llu\n",
	        (unsigned long long)x->slots, (unsigned long long)x->day_blocks, (unsigned long long)x->unsynced_blocks,
	        (unsigned long long)x->night_blocks, (unsigned long long)x->fragments, (unsigned long long)x->lies,
	        (unsigned long long)x->peer_readings, (unsigned long long)x->peer_misses_honest, rms,
	        (long long)x->peer_err_max_ns, (unsigned long long)x->peer_readings_liar,
	        (unsigned long long)x->peer_misses_liar, (unsigned long long)x->refused, (unsigned long long)x->fused,
	        (unsigned long long)x->fused_misses, x->fused ? x->fused_width_sum_ns / (double)x->fused : 0,
	        (unsigned long long)x->fuse_few, (unsigned long long)x->fuse_faults);
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
}
