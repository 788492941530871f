/* SPDX-License-Identifier: MIT */
/*
 * The Nakamoto mining model (nakamoto.h): a discrete-event loop over three
 * kinds of event, a node finding a block, a block reaching a node, and a
 * node measuring its reference and stating the offset. Every node runs the
 * real chain engine (src/node/chain.c) on real, signed, really hashed
 * blocks; only the time between finds is drawn (Poisson mode) instead of
 * being spent hashing, which is what lets large worlds run fast: at the
 * tiny difficulties the model uses, mining a found block costs a few
 * SHA3-256 calls.
 */
#include "sim/nakamoto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

#define T0_NS (INT64_C(1000) * BFT_NS_PER_SEC) /* true time 0 of the run, as node clocks read it */
#define NSLOTS 128
#define NORPHANS 16

struct snode {
	bft_nk_chain c;
	bft_nk_entry *slots;
	bft_nk_orphan *orph;
	double off_ns;        /* clock - true time (free running, no drift within a run) */
	bft_nk_meas meas;     /* newest own measurement */
	bool have_meas;
	double next_mine, next_stmt;
	bft_stmt cur, prev;   /* newest and previous statement, with when they reach miners */
	double cur_at, prev_at;
	bool have_cur, have_prev;
};

struct delivery {
	double t;
	uint32_t block, to;
};

struct world {
	const nksim_cfg *cfg;
	sim_rng rng;
	struct snode *n;
	bft_block *blocks;
	size_t n_blocks, cap_blocks;
	uint32_t *block_miner;
	struct delivery *heap;
	size_t n_heap, cap_heap;
	bft_stmt *cand;
	nksim_result *res;
};

static int64_t true_ns(double t)
{
	return T0_NS + (int64_t)llround(t * 1e9);
}

static int64_t local_ns(const struct snode *s, double t)
{
	return true_ns(t) + (int64_t)llround(s->off_ns);
}

static bool honest(const struct world *w, size_t i)
{
	return (int)i != w->cfg->attacker || w->cfg->attack == NKSIM_NONE;
}

static bft_nk_view view(const struct world *w, const struct snode *s, double t)
{
	/* The node's interval for true time: its clock +- the clock spread. */
	int64_t now = local_ns(s, t);
	return (bft_nk_view){ now, now + (int64_t)w->cfg->clock_spread_ns + 1000, &s->meas, s->have_meas ? 1 : 0 };
}

/* ---- the delivery heap ---- */

static int heap_push(struct world *w, struct delivery d)
{
	if (w->n_heap == w->cap_heap) {
		size_t cap = w->cap_heap ? 2 * w->cap_heap : 1024;
		struct delivery *h = realloc(w->heap, cap * sizeof *h);
		if (!h)
			return BFT_ENOMEM;
		w->heap = h;
		w->cap_heap = cap;
	}
	size_t i = w->n_heap++;
	while (i > 0 && w->heap[(i - 1) / 2].t > d.t) {
		w->heap[i] = w->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	w->heap[i] = d;
	return 0;
}

static struct delivery heap_pop(struct world *w)
{
	struct delivery top = w->heap[0], last = w->heap[--w->n_heap];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->n_heap)
			break;
		if (c + 1 < w->n_heap && w->heap[c + 1].t < w->heap[c].t)
			c++;
		if (w->heap[c].t >= last.t)
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->n_heap)
		w->heap[i] = last;
	return top;
}

/* ---- events ---- */

/* Memoryless: a node's time to its next block depends only on its rate at
 * the difficulty of the tip it now mines on, so it is drawn afresh
 * whenever that tip changes. */
static void draw_mine(struct world *w, size_t i, double t)
{
	struct snode *s = &w->n[i];
	bft_nk_tip tp;
	double rate = w->cfg->share[i] * w->cfg->hash_rate;
	if (w->cfg->real_hash || rate <= 0 || bft_nk_best(&s->c, &tp) != 0 || tp.next_difficulty == 0) {
		s->next_mine = INFINITY;
		return;
	}
	s->next_mine = t + sim_rng_exp(&w->rng, (double)tp.next_difficulty / rate);
}

static void state(struct world *w, size_t i, double t)
{
	struct snode *s = &w->n[i];
	const nksim_cfg *cfg = w->cfg;
	double o = -s->off_ns + cfg->noise_ns * sim_rng_normal(&w->rng);
	bft_stmt st;
	memset(&st, 0, sizeof st);
	st.node_id = (uint32_t)i + 1;
	st.ref.kind = BFT_CREF_GNSS;
	st.ref.id[0] = BFT_GNSS_GPS;
	st.offset_ns = (int64_t)llround(o) + (honest(w, i) ? 0 : cfg->lie_ns);
	st.unc_ns = cfg->unc_ns;
	st.local_ns = local_ns(s, t);
	if (bft_stmt_sign(&st, cfg->chain.signer) != 0)
		return;
	/* The node believes its own reading, lie included (an attacker's view
	 * accepts its own blocks). */
	s->meas = (bft_nk_meas){ st.ref, st.offset_ns, st.unc_ns, st.local_ns };
	s->have_meas = true;
	s->prev = s->cur;
	s->prev_at = s->cur_at;
	s->have_prev = s->have_cur;
	s->cur = st;
	s->cur_at = t + cfg->stmt_delay_s;
	s->have_cur = true;
	s->next_stmt = t + cfg->stmt_period_s;
}

static int deliver_all(struct world *w, uint32_t b, size_t from, double t)
{
	for (size_t j = 0; j < w->cfg->n_nodes; j++) {
		if (j == from)
			continue;
		/* The censoring attacker never builds on anyone else's block. */
		if ((int)j == w->cfg->attacker && w->cfg->attack == NKSIM_CENSOR)
			continue;
		double d = w->cfg->delay ? w->cfg->delay(w->cfg->delay_ctx, from, j) : 0;
		if (heap_push(w, (struct delivery){ t + (d > 0 ? d : 0), b, (uint32_t)j }) != 0)
			return BFT_ENOMEM;
	}
	return 0;
}

static void receive(struct world *w, struct delivery d)
{
	struct snode *s = &w->n[d.to];
	int32_t before = s->c.best;
	bft_nk_view v = view(w, s, d.t);
	(void)bft_nk_add(&s->c, &w->blocks[d.block], &v);
	if (s->c.best != before)
		draw_mine(w, d.to, d.t);
}

/* Node i found (or, in real-hashing mode, tries to find) a block at t.
 * max_tries 0: Poisson mode, hash until found. Returns 1 if a block was
 * made, 0 if not, negative on error. */
static int mine(struct world *w, size_t i, double t, uint64_t max_tries)
{
	struct snode *s = &w->n[i];
	const nksim_cfg *cfg = w->cfg;
	size_t k = 0;
	if (honest(w, i) || cfg->attack == NKSIM_IMPLAUSIBLE) {
		for (size_t j = 0; j < cfg->n_nodes; j++) {
			const struct snode *o = &w->n[j];
			if (o->have_cur && o->cur_at <= t)
				w->cand[k++] = o->cur;
			else if (o->have_prev && o->prev_at <= t)
				w->cand[k++] = o->prev;
		}
	} else if (s->have_cur) {
		w->cand[k++] = s->cur; /* the censor: its own statement only */
	}
	if (w->n_blocks == w->cap_blocks) {
		size_t cap = w->cap_blocks ? 2 * w->cap_blocks : 256;
		bft_block *nb = realloc(w->blocks, cap * sizeof *nb);
		if (!nb)
			return BFT_ENOMEM;
		w->blocks = nb;
		uint32_t *nm = realloc(w->block_miner, cap * sizeof *nm);
		if (!nm)
			return BFT_ENOMEM;
		w->block_miner = nm;
		w->cap_blocks = cap;
	}
	bft_block *b = &w->blocks[w->n_blocks];
	bft_nk_view v = view(w, s, t);
	if (bft_nk_template(&s->c, b, (uint32_t)i + 1, local_ns(s, t), w->cand, k, &v) < 0)
		return 0;
	b->h.nonce = sim_rng_u64(&w->rng) >> 1;
	int found = bft_block_mine(&b->h, max_tries ? max_tries : UINT64_MAX);
	if (found <= 0)
		return found;
	uint32_t id = (uint32_t)w->n_blocks++;
	w->block_miner[id] = (uint32_t)i;
	w->res->mined++;
	w->res->mined_honest += honest(w, i);
	(void)bft_nk_add(&s->c, b, &v);
	draw_mine(w, i, t);
	return deliver_all(w, id, i, t) < 0 ? BFT_ENOMEM : 1;
}

/* ---- results ---- */

static void measure(struct world *w, double t)
{
	nksim_result *r = w->res;
	const nksim_cfg *cfg = w->cfg;
	static const bft_nk_steer steer = { 100 * BFT_NS_PER_SEC, 100000 * BFT_NS_PER_SEC, 10, 1000 };
	static int64_t scratch[BFT_NK_WINDOW_MAX * 10]; /* >= bft_nk_consensus_scratch_bytes() */
	double lo = INFINITY, hi = -INFINITY, worst = 0, stmts = 0;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		struct snode *s = &w->n[i];
		if (!honest(w, i))
			continue;
		r->honest++;
		r->rejected_implausible += s->c.st.rejected[-BFT_NK_EIMPLAUSIBLE];
		r->reorgs += s->c.st.reorgs;
		if (s->c.st.max_reorg_depth > r->max_reorg_depth)
			r->max_reorg_depth = s->c.st.max_reorg_depth;
		bft_nk_tip tp;
		if (bft_nk_best(&s->c, &tp) == 0 && tp.outworked_by_implausible)
			r->alarmed++;
		bft_nk_correction cr;
		if (!s->have_meas || bft_nk_consensus(&s->c, &s->meas, local_ns(s, t), &steer, scratch, &cr) != 0)
			continue;
		r->with_consensus++;
		stmts += (double)cr.n;
		/* The corrected clock reads C + phase; C - true = off. */
		double err = s->off_ns + (double)cr.phase_ns;
		lo = err < lo ? err : lo;
		hi = err > hi ? err : hi;
		worst = fabs(err) > worst ? fabs(err) : worst;
	}
	r->precision_ns = r->with_consensus ? hi - lo : NAN;
	r->accuracy_ns = r->with_consensus ? worst : NAN;
	r->mean_median_stmts = r->with_consensus ? stmts / (double)r->with_consensus : 0;
	/* Node 0's best chain (node 0 is honest in every configuration the
	 * tests use; otherwise the first honest node). */
	size_t ref = 0;
	while (ref < cfg->n_nodes && !honest(w, ref))
		ref++;
	if (ref == cfg->n_nodes)
		return;
	const bft_nk_chain *c = &w->n[ref].c;
	/* Who mined the best chain's last blocks (as far as the slots reach,
	 * at most 100: the recent chain the consensus reads). */
	uint64_t walked = 0;
	for (int32_t b = c->best; b >= 0 && walked < 100; b = c->slots[b].parent, walked++)
		r->best_attacker_blocks += !honest(w, c->slots[b].h.miner_id - 1);
	r->best_recent = walked;
	r->best_height = c->best >= 0 ? c->slots[c->best].h.height : 0;
	/* Orphan (stale) rate as node 0 saw it: valid blocks it stored that
	 * are not in its best chain. */
	r->stale = c->st.accepted > r->best_height ? c->st.accepted - r->best_height : 0;
	r->stale_rate = c->st.accepted ? (double)r->stale / (double)c->st.accepted : 0;
}

static void world_free(struct world *w)
{
	if (w->n)
		for (size_t i = 0; i < w->cfg->n_nodes; i++) {
			free(w->n[i].slots);
			free(w->n[i].orph);
		}
	free(w->n);
	free(w->blocks);
	free(w->block_miner);
	free(w->heap);
	free(w->cand);
}

int nksim_run(const nksim_cfg *cfg, nksim_result *out)
{
	if (!cfg || !out || cfg->n_nodes == 0 || cfg->n_nodes > 100000 || !cfg->share || cfg->hash_rate <= 0 ||
	    cfg->stmt_period_s <= 0 || cfg->duration_s <= 0 || (cfg->real_hash && cfg->real_step_s <= 0))
		return BFT_EINVAL;
	memset(out, 0, sizeof *out);
	struct world w = { .cfg = cfg, .res = out };
	sim_rng_seed(&w.rng, cfg->seed, 0x4e414b41u /* "NAKA" */);
	w.n = calloc(cfg->n_nodes, sizeof *w.n);
	w.cand = calloc(cfg->n_nodes, sizeof *w.cand);
	int rc = w.n && w.cand ? 0 : BFT_ENOMEM;
	for (size_t i = 0; rc == 0 && i < cfg->n_nodes; i++) {
		struct snode *s = &w.n[i];
		s->slots = calloc(NSLOTS, sizeof *s->slots);
		s->orph = calloc(NORPHANS, sizeof *s->orph);
		if (!s->slots || !s->orph) {
			rc = BFT_ENOMEM;
			break;
		}
		rc = bft_nk_init(&s->c, &cfg->chain, s->slots, NSLOTS, s->orph, NORPHANS);
		s->off_ns = cfg->clock_spread_ns * (2 * sim_rng_unit(&w.rng) - 1);
		s->next_stmt = cfg->stmt_period_s * sim_rng_unit(&w.rng);
		draw_mine(&w, i, 0);
	}
	double next_step = cfg->real_hash ? 0 : INFINITY;
	while (rc == 0) {
		/* The earliest event: a delivery, a statement, a find, a step. */
		double t = w.n_heap ? w.heap[0].t : INFINITY;
		int kind = 0;
		size_t who = 0;
		for (size_t i = 0; i < cfg->n_nodes; i++) {
			if (w.n[i].next_stmt < t) {
				t = w.n[i].next_stmt;
				kind = 1;
				who = i;
			}
			if (w.n[i].next_mine < t) {
				t = w.n[i].next_mine;
				kind = 2;
				who = i;
			}
		}
		if (next_step < t) {
			t = next_step;
			kind = 3;
		}
		if (t > cfg->duration_s)
			break;
		if (kind == 0) {
			receive(&w, heap_pop(&w));
		} else if (kind == 1) {
			state(&w, who, t);
		} else if (kind == 2) {
			rc = mine(&w, who, t, 0) < 0 ? BFT_ENOMEM : 0;
		} else {
			/* Real hashing: each node tries its share of the step's
			 * nonces (the fraction carried by a coin). */
			for (size_t i = 0; rc == 0 && i < cfg->n_nodes; i++) {
				double want = cfg->share[i] * cfg->hash_rate * cfg->real_step_s;
				uint64_t tries = (uint64_t)want + (sim_rng_unit(&w.rng) < want - floor(want));
				if (tries)
					rc = mine(&w, i, t, tries) < 0 ? BFT_ENOMEM : 0;
			}
			next_step = t + cfg->real_step_s;
		}
	}
	if (rc == 0)
		measure(&w, cfg->duration_s);
	world_free(&w);
	return rc;
}
