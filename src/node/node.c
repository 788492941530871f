/* SPDX-License-Identifier: MIT */
/*
 * The node state machine (node.h). Each poll it (1) fuses the fresh readings
 * of its sources with the consensus engine and disciplines its clock with the
 * result, then (2) starts one signed exchange with every peer. An exchange is
 * a triple transfer: REQUEST (t1) -> RESPONSE (t2, t3) -> FOLLOWUP (t4, t5),
 * after which both sides hold a reading of the other. Stamps on the wire are
 * the sender's disciplined clock; stamps a node keeps for itself are raw
 * oscillator times, whose drift the discipline's rho bounds.
 *
 * A reading of a peer is an interval of (true time - our raw clock): the
 * exchange bounds (peer clock - our raw clock), and the peer's own stated
 * uncertainty bounds (true time - peer clock). An honest peer's reading holds
 * the truth, so a faulty reading is exactly what fusion tolerates.
 */
#include "node/node.h"
#include "node/engine.h"
#include "node/node_chain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/agree.h>
#include <bftime/exchange.h>
#include <bftime/fusion.h>

#include "core/prng.h"

#define QUEUE_CAP 4        /* queued non-REQUEST actions; the driver drains after every event */
#define RECOVER_FUSIONS 3  /* agreeing fusions before an alarm clears */

#define FILTER_MAX 8      /* readings kept per peer for repeated-transfer filtering */
#define REF_FILTER_MAX 32 /* ... per reference (source_point says why more) */
#define EDGE_NS (86400 * BFT_NS_PER_SEC) /* references this close to the int64 ends are refused */

struct past_reading {
	int64_t raw_ns;   /* raw time the reading refers to */
	bft_interval off; /* true - raw at raw_ns */
	int64_t pt_ns;    /* the source's own point estimate of true - raw: for a peer,
	                   * its clock (which need not be mid-interval) */
};

struct source {
	bool used;
	bool fused;       /* among the sources of the latest fusion (select_sources) */
	bool primary;     /* a reference, or a peer stating its references' interval */
	uint8_t level;    /* of true time: 0 a reference or PRIMARY peer, k a peer k hops from references
	                   * (LEVEL_UNKNOWN: stated none) */
	uint8_t n, next, len; /* readings in hist, next slot, slots */
	uint8_t reach;    /* chronyc's reach: bit 0 the last poll, 1 when the source answered in it */
	bool heard;       /* it answered since the last poll */
	bool heard_ever;  /* last_rx_raw is set */
	bool memo_ok, memo_any; /* carried()'s last answer, for memo_raw, still holds */
	int64_t delay_ns; /* of the newest reading */
	int64_t last_rx_raw; /* raw time of its last answer (INT64_MIN: none) */
	int64_t gap_ns;      /* the interval it answers at (add_reading; 0: no readings) */
	struct past_reading *hist; /* a ring of len readings in the node's hist_pool */
	int64_t point_ns;          /* its point (source_point) when last fused: true - raw at last_fuse_raw */
	int64_t memo_raw;
	bft_interval memo_iv;
};

/* A reference's guard state (node.h), beside its source: references only,
 * so a peer's source stays small (the simulator holds a million of them). */
struct guard {
	enum bft_quarantine q;
	int64_t q_by_ns, q_since_raw;
	int64_t agree_since_raw; /* first of the unbroken run of agreeing readings; INT64_MIN: none */
	const char *suspect;
	uint64_t quarantines;
	/* Its newest reading while in quarantine: not fused, but counted when
	 * the node checks for more than f faults (fuse). */
	bool have_last;
	int64_t last_raw;
	bft_interval last_off; /* true - raw at last_raw */
	bool announce;         /* its quarantine changed: a QUARANTINE action is due */
};

struct peer {
	uint32_t id;
	struct source src;
	/* Our exchange with it, as requester. */
	bool req_pending;
	uint32_t bad_sig; /* datagrams naming it that failed its key's signature check (a wrong key?) */
	uint64_t req_nonce;
	int64_t t1_raw;
	/* Its exchange with us, as responder. */
	bool resp_pending;
	uint64_t resp_nonce, resp_nonce2;
	uint8_t resp_epoch;
	int64_t t1_remote, t2_raw, t3_raw;
	int64_t last_req_raw; /* the last REQUEST answered: rate limiting */
	int64_t req_ta;       /* the newest REQUEST's sender stamp, answered or not */
	int64_t stale_since_raw; /* first REQUEST refused as not newer, since a newer one */
	bool seen_req, answered, stale;
	/* Its clock, newest reading, for the agreement (any peer, synced or
	 * not): C_j - our raw in [ck_lo, ck_hi] at our raw time ck_raw. */
	bool ck_have, ck_agreed, ck_synced;
	int64_t ck_raw_ns, ck_lo_ns, ck_hi_ns;
	/* Its part in the agreement steps: the value taken at the current
	 * step (ag_in), and how often it was used and trimmed. */
	bool ag_in;
	int64_t ag_val_ns;
	uint64_t ag_used, ag_trimmed;
};

#define AGREE_ERR_ROUNDS 8 /* e is the largest reading error over this many rounds */
#define AGREE_PULL_DIV 4   /* a holder's pull towards its true time: e / this per round */
#define LEVEL_UNKNOWN 254  /* a peer that states no level (from before levels) */

struct bft_node {
	bft_node_config cfg;
	const bft_engine *engine;
	struct peer *peers; /* sorted by id */
	uint32_t *peer_ids; /* their ids, in the same order: every packet looks its peer up
	                     * here, in one cache line for 16 peers, not in 256-byte peers */
	struct source *refs;
	struct guard *guards; /* one per reference */
	bft_disc *disc;
	uint64_t rng;
	uint8_t epoch;
	bool started;
	int64_t next_poll_raw;
	int64_t timer_set_raw; /* the last TIMER action's time (arm_timer) */
	size_t send_cursor; /* next peer to send a REQUEST to, n_peers when done */
	int64_t send_raw;   /* raw time the poll's REQUESTs are stamped at */
	bool alarm;
	unsigned agree;  /* consecutive fusions agreeing with our clock while alarmed */
	bool degraded; /* fewer than f + 1 sources at the last fusion */
	bool fused_once;
	bool have_update;       /* the discipline followed a fusion at last_update_raw */
	int64_t last_update_raw;
	int64_t last_update_half_ns; /* half the interval's width then */
	int64_t last_fuse_raw;
	uint8_t level;         /* our level of true time at the last fusion (BFT_LEVEL_NONE: not relayable) */
	uint8_t sel_level;     /* SEL_LEVEL: peers up to this level */
	bool have_primary;     /* our references' fused interval, stated to peers */
	int64_t primary_raw_ns;
	bft_interval primary;  /* true - raw at primary_raw_ns */
	int64_t primary_pt_ns; /* our references' robust point of true - raw then */
	uint32_t last_sources, last_used;
	bft_node_counters ctr;
	bft_action queue[QUEUE_CAP];
	size_t q_head, q_len;
	size_t announce_due; /* guards with announce set */
	/* fusion work areas, sized for every source */
	struct past_reading *hist_pool; /* the sources' rings */
	bft_interval *ivs;
	int64_t *mids;
	int64_t *ages;       /* how far each of mids was carried */
	int64_t *quals;      /* ... and how far each may err (source_point) */
	int64_t mids_freq_ppb; /* ... and at what frequency */
	void *scratch;
	/* Internal synchronization (docs/internal-sync.md). */
	bool agreed;
	int64_t net_off_ns; /* with true time: wire clock - true-time clock, steered by agreement
	                     * with peers that have no true time, pulled back towards 0 */
	unsigned agree_good, agree_bad; /* consecutive rounds within / without the bound */
	int64_t agree_err[AGREE_ERR_ROUNDS];
	unsigned agree_err_next;
	bft_agree_info ai;
	int64_t *agree_vals; /* one per peer */
	bft_nkn *nk;         /* engine NAKAMOTO: the chain (node_chain.h) */
};

void bft_node_config_default(bft_node_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->engine = BFT_ENGINE_FUSION;
	cfg->alg = BFT_ALG_MARZULLO;
	cfg->poll_ns = 16 * BFT_NS_PER_SEC;
	cfg->dmin_ns = 0;
	cfg->stamp_err_ns = 1000;
	cfg->max_err_ns = 10 * BFT_NS_PER_SEC;
	cfg->filter_len = FILTER_MAX;
	cfg->ref_filter_len = REF_FILTER_MAX;
	bft_disc_config_default(&cfg->disc);
	cfg->agreement = true;
	cfg->agree_max_err_ns = 10 * BFT_NS_PER_SEC / 1000;
	cfg->agree_claim_rounds = 4;
	cfg->agree_step_ns = 128 * BFT_NS_PER_SEC / 1000;
	cfg->agree_contraction_ppm = 500000;
}

static uint64_t next_rand(bft_node *n) { return bft_prng_u64(&n->rng); }

static int cmp_peer(const void *a, const void *b)
{
	uint32_t x = ((const struct peer *)a)->id, y = ((const struct peer *)b)->id;
	return (x > y) - (x < y);
}

static struct peer *find_peer(bft_node *n, uint32_t id)
{
	size_t lo = 0, hi = n->cfg.n_peers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->peer_ids[mid] == id)
			return &n->peers[mid];
		if (n->peer_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int bft_node_create(bft_node **out, const bft_node_config *cfg)
{
	if (!out || !cfg || !cfg->signer || (cfg->n_peers && !cfg->peers) || cfg->poll_ns <= 0 ||
	    cfg->n_peers > UINT32_MAX || cfg->max_refs > UINT32_MAX || cfg->filter_len < 1 || cfg->filter_len > FILTER_MAX ||
	    cfg->ref_filter_len < 1 || cfg->ref_filter_len > REF_FILTER_MAX)
		return BFT_EINVAL;
	size_t nsrc = cfg->n_peers + cfg->max_refs;
	bft_node *n = calloc(1, sizeof *n);
	if (!n)
		return BFT_ENOMEM;
	n->cfg = *cfg;
	n->engine = bft_engine_find(cfg->engine, cfg->alg);
	if (!n->engine) {
		free(n);
		return BFT_EINVAL;
	}
	if (n->cfg.max_age_ns <= 0)
		n->cfg.max_age_ns = 4 * cfg->poll_ns;
	if (n->cfg.ref_readmit_ns <= 0)
		n->cfg.ref_readmit_ns = 4 * cfg->poll_ns;
	n->peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *n->peers);
	n->peer_ids = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *n->peer_ids);
	n->refs = calloc(cfg->max_refs ? cfg->max_refs : 1, sizeof *n->refs);
	n->hist_pool = calloc(cfg->max_refs * cfg->ref_filter_len + cfg->n_peers * cfg->filter_len + 1,
	                      sizeof *n->hist_pool);
	n->guards = calloc(cfg->max_refs ? cfg->max_refs : 1, sizeof *n->guards);
	n->ivs = calloc(nsrc ? nsrc : 1, sizeof *n->ivs);
	n->mids = calloc(nsrc ? nsrc : 1, sizeof *n->mids);
	n->ages = calloc(nsrc ? nsrc : 1, sizeof *n->ages);
	n->quals = calloc(nsrc ? nsrc : 1, sizeof *n->quals);
	n->agree_vals = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *n->agree_vals);
	if (n->cfg.agree_max_err_ns <= 0)
		n->cfg.agree_max_err_ns = 10 * BFT_NS_PER_SEC / 1000;
	if (n->cfg.agree_claim_rounds == 0)
		n->cfg.agree_claim_rounds = 4;
	if (n->cfg.agree_step_ns <= 0)
		n->cfg.agree_step_ns = 128 * BFT_NS_PER_SEC / 1000;
	if (n->cfg.agree_contraction_ppm <= 0 || n->cfg.agree_contraction_ppm >= 1000000)
		n->cfg.agree_contraction_ppm = 500000;
	size_t sb = bft_fusion_scratch_bytes(nsrc ? nsrc : 1);
	n->scratch = sb ? malloc(sb) : NULL;
	/* Fusions come as often as references report; the frequency fit wants
	 * samples spread over a long span, so fit at most twice per poll, and
	 * at least every 8 s (as at the default 16 s poll): with long polls
	 * (1024 s) a fit waiting for four samples half a poll apart would leave
	 * the clock at the oscillator's raw error for over half an hour, and
	 * one waiting 32 s still held a LAN client 0.55 ms off after 7 minutes
	 * (clknetsim; 0.16 ms with 8 s). */
	if (n->cfg.disc.min_fit_spacing_ns == 0)
		n->cfg.disc.min_fit_spacing_ns =
			cfg->poll_ns / 2 < 8 * BFT_NS_PER_SEC ? cfg->poll_ns / 2 : 8 * BFT_NS_PER_SEC;
	int rc = bft_disc_create(&n->disc, &n->cfg.disc);
	if (rc || !n->peers || !n->peer_ids || !n->refs || !n->hist_pool || !n->guards || !n->ivs || !n->mids || !n->ages ||
	    !n->quals || !n->scratch || !n->agree_vals) {
		bft_node_destroy(n);
		return rc ? rc : BFT_ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_peers; i++)
		n->peers[i].id = cfg->peers[i];
	qsort(n->peers, cfg->n_peers, sizeof *n->peers, cmp_peer);
	for (size_t i = 1; i < cfg->n_peers; i++)
		if (n->peers[i].id == n->peers[i - 1].id) {
			bft_node_destroy(n);
			return BFT_EINVAL;
		}
	for (size_t i = 0; i < cfg->n_peers; i++)
		n->peer_ids[i] = n->peers[i].id;
	struct past_reading *ring = n->hist_pool;
	for (size_t i = 0; i < cfg->max_refs; i++, ring += cfg->ref_filter_len) {
		n->refs[i].hist = ring;
		n->refs[i].len = (uint8_t)cfg->ref_filter_len;
	}
	for (size_t i = 0; i < cfg->n_peers; i++, ring += cfg->filter_len) {
		n->peers[i].src.hist = ring;
		n->peers[i].src.len = (uint8_t)cfg->filter_len;
	}
	if (cfg->engine == BFT_ENGINE_NAKAMOTO) {
		rc = bft_nkn_create(&n->nk, cfg);
		if (rc) {
			bft_node_destroy(n);
			return rc;
		}
	}
	n->cfg.nk = NULL;    /* nor its chain settings (the chain holds its copy) */
	n->cfg.peers = NULL; /* the caller's array is not kept */
	n->rng = cfg->seed ^ ((uint64_t)cfg->id << 32);
	n->send_cursor = cfg->n_peers;
	*out = n;
	return 0;
}

void bft_node_destroy(bft_node *n)
{
	if (!n)
		return;
	bft_disc_destroy(n->disc);
	free(n->peers);
	free(n->peer_ids);
	free(n->refs);
	free(n->hist_pool);
	free(n->guards);
	free(n->ivs);
	free(n->mids);
	free(n->quals);
	free(n->ages);
	free(n->scratch);
	free(n->agree_vals);
	bft_nkn_destroy(n->nk);
	free(n);
}

const bft_node_config *bft_node_get_config(const bft_node *n) { return &n->cfg; }

uint32_t bft_node_id(const bft_node *n) { return n->cfg.id; }
const bft_node_counters *bft_node_get_counters(const bft_node *n) { return &n->ctr; }

/* ---- the clock ---------------------------------------------------------- */

int bft_estimate_carry(bft_estimate *e, int64_t raw_ns, const bft_node_config *cfg)
{
	if (!e || !cfg)
		return BFT_EINVAL;
	int64_t d = bft_sat_sub(raw_ns, e->raw_ns);
	if (d < 0 || d > BFT_CARRY_MAX_NS)
		return BFT_EINVAL;
	/* The drift bound over d, and 1 ns for the read's own rounding. */
	int64_t w = bft_sat_add(bft_drift_ns(cfg->disc.rho_ppb, d), 1);
	bft_interval b = bft_iv_widen(bft_iv_shift(e->bounds, d), w, w);
	/* The course's slowest rate: its frequency (freq_ppb, clamped to rho
	 * as the course's is) less a slew at the full rate; floored, and 1 ns
	 * less for the course's own flooring. d <= 1e5 and every rate below
	 * 1e9 ppb: the product fits easily. */
	int64_t q = d * (e->freq_ppb - cfg->disc.max_slew_ppb);
	int64_t shift = d + q / BFT_PPB_PER_UNIT - (q % BFT_PPB_PER_UNIT < 0) - 1;
	e->raw_ns = raw_ns;
	e->time_ns = bft_sat_add(e->time_ns, shift);
	if (e->net_time_ns)
		e->net_time_ns = bft_sat_add(e->net_time_ns, shift);
	if (e->bounds.lo_ns != INT64_MIN) /* an unbounded side stays unbounded */
		e->bounds.lo_ns = b.lo_ns;
	if (e->bounds.hi_ns != INT64_MAX)
		e->bounds.hi_ns = b.hi_ns;
	e->estimate_ns = e->time_ns < e->bounds.lo_ns ? e->bounds.lo_ns
	                 : e->time_ns > e->bounds.hi_ns ? e->bounds.hi_ns : e->time_ns;
	return 0;
}

int bft_node_read(bft_node *n, int64_t raw_ns, bft_estimate *out)
{
	bft_disc_reading r;
	int rc = bft_disc_read(n->disc, raw_ns, &r);
	if (rc)
		return rc;
	*out = (bft_estimate){
		.raw_ns = raw_ns,
		.time_ns = r.time_ns,
		.estimate_ns = r.estimate_ns,
		.bounds = r.bounds,
		.freq_ppb = r.freq_ppb,
		.state = r.state,
		.alarm = n->alarm,
		.degraded = n->degraded,
		.sources = n->last_sources,
		.used = n->last_used,
		.net_running = r.running && r.state == BFT_DISC_UNSYNCHRONIZED,
		.net_time_ns = !r.running ? 0
		               : r.state == BFT_DISC_UNSYNCHRONIZED ? r.time_ns : bft_sat_add(r.time_ns, n->net_off_ns),
		.agreed = n->agreed,
		.agree_short = n->ai.outside,
		.precision_ns = n->ai.precision_ns,
		.precision_hard_ns = n->ai.precision_hard_ns,
		.agree_used = n->ai.used,
		.agree_trimmed = n->ai.trimmed,
	};
	return 0;
}

int bft_node_disc_status(const bft_node *n, bft_disc_status *out)
{
	return bft_disc_get_status(n->disc, out);
}

void bft_node_agree_info(const bft_node *n, bft_agree_info *out)
{
	*out = n->ai;
	out->agreed = n->agreed;
}

/*
 * Our clock and uncertainty as stated on the wire at raw time raw_ns. The
 * uncertainty is that of our own references when we have them (PRIMARY),
 * else that of our fused clock. Why: an interval learned from peers and
 * stated back to them would be fused again by them, each hop adding the
 * exchange's uncertainty, and with f > 0 a lone narrow reference cannot
 * outvote the wide relayed ones, so intervals would only ever grow. Stating
 * primary intervals keeps each reading one exchange away from a reference.
 */
static void stamp(bft_node *n, int64_t raw_ns, bft_msg *m, int64_t *t)
{
	bft_estimate e;
	bool ok = bft_node_read(n, raw_ns, &e) == 0;
	if (!ok || e.state == BFT_DISC_UNSYNCHRONIZED) {
		/* No true time: the network clock when the agreement runs one
		 * (raw before), AGREED when it claims agreement. */
		*t = ok && e.net_running ? e.time_ns : bft_sat_add(raw_ns, n->cfg.agreement ? n->cfg.agree_seed_ns : 0);
		m->flags = (uint8_t)((n->alarm ? BFT_MSGF_ALARM : 0) | (n->agreed ? BFT_MSGF_AGREED : 0));
		m->err_lo_ns = m->err_hi_ns = 0;
		return;
	}
	/* In alarm we still state our clock and interval: both stay honest in
	 * holdover, and our references' interval is still our own measurement.
	 * Going silent instead would leave peers with only the liars. */
	/* The wire clock: the true-time clock, plus the offset that keeps it
	 * in agreement with peers that have no true time (0 where every peer
	 * has it); every field below is relative to it, so a reading of our
	 * true time is the same either way. */
	e.time_ns = bft_sat_add(e.time_ns, n->net_off_ns);
	*t = e.time_ns;
	/* A true-time clock is the common time an agreeing network seeks:
	 * AGREED too, unless in alarm. */
	m->flags = BFT_MSGF_SYNCED | (n->alarm ? BFT_MSGF_ALARM : BFT_MSGF_AGREED);
	/* Our level of true time; holdover is never relayed. */
	unsigned level = e.state == BFT_DISC_HOLDOVER || n->alarm ? BFT_LEVEL_NONE : n->level;
	m->flags = (uint8_t)(m->flags | (level + 1) << BFT_MSGF_LEVEL_SHIFT);
	bft_interval b = e.bounds;
	m->pt_ns = bft_sat_sub(e.estimate_ns, e.time_ns);
	int64_t age = bft_sat_sub(raw_ns, n->primary_raw_ns);
	if (n->have_primary && age >= 0 && age <= n->cfg.max_age_ns) {
		b = bft_iv_shift(bft_iv_widen_drift(n->primary, n->cfg.disc.rho_ppb, age), raw_ns);
		m->flags |= BFT_MSGF_PRIMARY;
		/* The references' point, carried at our fitted frequency. */
		bft_disc_reading dr;
		double drift = bft_disc_read(n->disc, raw_ns, &dr) == 0 ? (double)dr.freq_ppb * 1e-9 * (double)age : 0;
		int64_t pt = bft_sat_add(bft_sat_add(n->primary_pt_ns, (int64_t)drift), raw_ns);
		m->pt_ns = bft_sat_sub(pt, e.time_ns);
	}
	m->err_lo_ns = bft_sat_sub(e.time_ns, b.lo_ns);
	m->err_hi_ns = bft_sat_sub(b.hi_ns, e.time_ns);
}

/* ---- actions ------------------------------------------------------------ */

static bft_action *push(bft_node *n, enum bft_action_kind kind)
{
	if (n->q_len == QUEUE_CAP)
		return NULL; /* the driver did not drain; dropping is safe (a lost packet) */
	bft_action *a = &n->queue[(n->q_head + n->q_len++) % QUEUE_CAP];
	a->kind = kind;
	return a;
}

static int emit_msg(bft_node *n, bft_action *a, const bft_msg *m)
{
	const bft_signer *s = n->cfg.signer;
	int len = bft_wire_encode(a->buf, sizeof a->buf, m);
	uint8_t sig[BFT_WIRE_SIG_MAX];
	if (len < 0 || s->sig_len > sizeof sig || s->sign(s->ctx, n->cfg.id, a->buf, (size_t)len, sig) != 0)
		return BFT_EINVAL;
	len = bft_wire_seal(a->buf, sizeof a->buf, (size_t)len, sig, s->sig_len);
	if (len < 0)
		return len;
	a->len = (size_t)len;
	a->to = m->to;
	n->ctr.tx++;
	return 0;
}

static void send_msg(bft_node *n, const bft_msg *m)
{
	bft_action *a = push(n, BFT_ACT_SEND);
	if (a && emit_msg(n, a, m) != 0)
		n->q_len--; /* undo: nothing to send */
}

/* A transmit stamp: the driver's clock now if it has one, never before the
 * event being handled (node.h, raw_now). */
static int64_t late_raw(const bft_node *n, int64_t event_raw)
{
	if (!n->cfg.raw_now)
		return event_raw;
	int64_t t = n->cfg.raw_now(n->cfg.raw_now_ctx);
	return t > event_raw ? t : event_raw;
}

/* The node's clock as the chain needs it (node_chain.h). */
static void nk_now(bft_node *n, int64_t raw_ns, bft_nkn_now *out)
{
	bft_estimate e;
	bool ok = bft_node_read(n, raw_ns, &e) == 0;
	*out = (bft_nkn_now){ .raw_ns = raw_ns, .time_ns = ok ? e.time_ns : raw_ns, .est_ns = ok ? e.estimate_ns : raw_ns,
		              .hi_ns = ok ? e.bounds.hi_ns : INT64_MAX,
		              .running = ok && e.state != BFT_DISC_UNSYNCHRONIZED };
}

/* The next TIMER: the poll, or the chain's own (a mining step, a block to
 * ask for again) if sooner. */
static int64_t timer_at(const bft_node *n)
{
	int64_t t = n->nk ? bft_nkn_next_timer(n->nk) : INT64_MAX;
	return t < n->next_poll_raw ? t : n->next_poll_raw;
}

/* Ask the driver for a TIMER at timer_at (it replaces the pending one). */
static void arm_timer(bft_node *n)
{
	bft_action *a = push(n, BFT_ACT_TIMER);
	if (a) {
		a->at_raw_ns = timer_at(n);
		n->timer_set_raw = a->at_raw_ns;
	}
}

static void make_request(bft_node *n, struct peer *p, bft_action *a)
{
	bft_msg m = { .type = BFT_MSG_REQUEST, .from = n->cfg.id, .to = p->id, .epoch = n->epoch };
	if (p->req_pending)
		n->ctr.readings_rejected++; /* the last one went unanswered */
	m.nonce = next_rand(n);
	int64_t t1 = late_raw(n, n->send_raw);
	stamp(n, t1, &m, &m.t_a);
	p->req_pending = true;
	p->req_nonce = m.nonce;
	p->t1_raw = t1;
	a->kind = BFT_ACT_SEND;
	if (emit_msg(n, a, &m) != 0)
		p->req_pending = false;
}

bool bft_node_next_action(bft_node *n, bft_action *out)
{
	if (n->q_len) {
		*out = n->queue[n->q_head];
		n->q_head = (n->q_head + 1) % QUEUE_CAP;
		n->q_len--;
		return true;
	}
	for (size_t i = 0; n->announce_due && i < n->cfg.max_refs; i++) {
		struct guard *g = &n->guards[i];
		if (!g->announce)
			continue;
		g->announce = false;
		n->announce_due--;
		memset(out, 0, offsetof(bft_action, buf));
		out->kind = BFT_ACT_QUARANTINE;
		out->to = (uint32_t)i;
		out->q = g->q;
		out->q_by_ns = g->q_by_ns;
		out->suspect = g->suspect;
		return true;
	}
	/* The poll's REQUESTs are made one at a time as the driver asks, so the
	 * node needs no queue as large as its peer list. */
	while (n->send_cursor < n->cfg.n_peers) {
		make_request(n, &n->peers[n->send_cursor++], out);
		if (n->peers[n->send_cursor - 1].req_pending)
			return true;
	}
	/* The chain's statements, fragments and blocks to store, after the
	 * poll's REQUESTs (their stamps are taken when made, but a REQUEST
	 * queued behind 30 fragments in a socket buffer still waits). */
	return n->nk && bft_nkn_next_action(n->nk, out);
}

/* ---- fusion ------------------------------------------------------------- */

static struct source *source_at(bft_node *n, size_t i)
{
	return i < n->cfg.max_refs ? &n->refs[i] : &n->peers[i - n->cfg.max_refs].src;
}

/* The j-th newest reading of a source (j < s->n). */
static const struct past_reading *nth_newest(const struct source *s, unsigned j)
{
	return &s->hist[(s->next + s->len - 1 - j) % s->len];
}

/* The source answered at raw_ns (a peer's matching RESPONSE or FOLLOWUP, a
 * reference's reading): for reach and last receipt (node.h). */
static void heard_from(struct source *s, int64_t raw_ns)
{
	s->heard = s->heard_ever = true;
	s->last_rx_raw = raw_ns;
}

/* Readings closer than this are one poll's burst (the NTP driver's are 2 s
 * apart, docs/ntp.md). */
#define IN_BURST_NS (8 * BFT_NS_PER_SEC)

static void add_reading(struct source *s, int64_t raw_ns, bft_interval off, int64_t pt_ns)
{
	/* The interval at which the source answers: the newest gap between
	 * its readings wider than a burst's (the newest gap if none is). The
	 * gaps inside a burst made a reference polled every 1024 s look like
	 * one polled every 2 s, and the fit's window (fit_window) shrank to
	 * its minimum. */
	int64_t gap = 0, prev = raw_ns;
	for (unsigned j = 0; j < s->n; j++) {
		int64_t t = nth_newest(s, j)->raw_ns, g = bft_sat_sub(prev, t);
		if (j == 0)
			gap = g;
		if (g >= IN_BURST_NS) {
			gap = g;
			break;
		}
		prev = t;
	}
	s->gap_ns = gap;
	s->hist[s->next] = (struct past_reading){ raw_ns, off, pt_ns };
	s->memo_ok = false;
	s->next = (uint8_t)((s->next + 1) % s->len);
	if (s->n < s->len)
		s->n++;
}

/* While the references' polls climb toward their longest configured
 * interval (16 s doubling to 1024 s takes 2.5 hours), the fit's window is
 * eight of the intervals at which they answer now, never under
 * FIT_SPAN_MIN_NS; after, the configured window. A window sized for the
 * final interval held many more dense early samples than sparse late ones,
 * and the robust fit outvoted the late ones (clknetsim LAN at 1024 s polls:
 * 0.3 ms off for hours while every round said so). */
#define FIT_SPAN_MIN_NS (2048 * BFT_NS_PER_SEC)
static void fit_window(bft_node *n)
{
	int64_t gap = 0;
	for (size_t i = 0; i < n->cfg.max_refs; i++)
		if (n->refs[i].gap_ns > gap)
			gap = n->refs[i].gap_ns;
	int64_t span = 0; /* the configured window */
	if (n->cfg.longest_every_ns > 0 && gap < n->cfg.longest_every_ns / 2)
		span = gap <= FIT_SPAN_MIN_NS / 8 ? FIT_SPAN_MIN_NS : gap * 8;
	int rc = bft_disc_set_span(n->disc, span); /* fails only for a negative span */
	(void)rc;
}

/*
 * A source's readings carried to raw_ns and intersected: repeated transfers.
 * Each reading of true - raw holds the truth when honest, and moves by at
 * most rho per unit of our raw time, so the intersection does too; it keeps
 * the least-delayed reading's precision and removes most of the jitter. If
 * the carried readings are disjoint, one of them was wrong (a peer stepped,
 * or lies): only the newest is used. False when none is fresh enough.
 */
static bool carried(const bft_node *n, struct source *s, int64_t raw_ns, bft_interval *out)
{
	/* A fusion asks this of every source several times at one raw_ns
	 * (select_sources, select_by_level, the used marks, quarantine): the
	 * answer is kept until a reading comes or goes. */
	if (s->memo_ok && s->memo_raw == raw_ns) {
		*out = s->memo_iv;
		return s->memo_any;
	}
	bool any = false;
	bft_interval acc = { 0, 0 }, newest = { 0, 0 };
	for (unsigned j = 0; j < s->n; j++) {
		/* newest first */
		const struct past_reading *r = nth_newest(s, j);
		int64_t age = bft_sat_sub(raw_ns, r->raw_ns);
		if (age > n->cfg.max_age_ns || age < 0)
			continue;
		bft_interval iv = bft_iv_widen_drift(r->off, n->cfg.disc.rho_ppb, age);
		if (!any) {
			acc = newest = iv;
			any = true;
		} else if (!bft_iv_intersect(acc, iv, &acc)) {
			acc = newest;
			break;
		}
	}
	*out = acc;
	s->memo_ok = true;
	s->memo_raw = raw_ns;
	s->memo_iv = acc;
	s->memo_any = any;
	return any;
}

enum select { SEL_REFS, SEL_PRIMARY, SEL_ALL, SEL_LEVEL };

/*
 * A source's point estimate of true - raw now: its readings' midpoints
 * carried here at our fitted frequency, averaged with weights 1 / (e + s)^2,
 * e a reading's excess over the narrowest once carried (its width plus 2 *
 * phi_ppb per unit of age, phi the fitted frequency's uncertainty), s =
 * narrowest / 64 + 1 ns. The least-delayed exchange errs least (NTP's clock
 * filter takes it alone); weighting instead lets the nearly as good ones
 * average its remaining asymmetry down, and the width scale keeps a few ms
 * of extra delay on a 20 ms path worth little (clknetsim, 3 of 7 servers
 * 2 ms off inside 2 ms exponential delays, 10 seeds: worst error 0.30 ms
 * mean over seeds, 0.70 ms with the least-delayed reading alone, with the
 * fusion's weighted point). Without the age term an old narrow reading
 * carried at a wrong frequency would keep feeding the fit the frequency it
 * came from (a 100 ppm oscillator's first fit took 15 minutes to let go).
 * Readings older than max_age_ns stay out (the newest always counts):
 * carried that far at the fitted frequency they feed the fit the frequency
 * it came from. select_sources makes that a quarter of the fit's window, at
 * most FIT_SPAN_MIN_NS (at 1024 s polls a source's readings span hours:
 * clknetsim Internet, 1024 s: seed 2's worst error 0.77 -> 0.48 ms), and the
 * newest alone until the fit is trained. Two of the fit's samples closer
 * than the readings' age carry the same readings at the frequency then
 * fitted, so their pair slope is that frequency whatever the truth, and
 * Theil-Sen's median of such pairs held the fit where it was: with the
 * readings of the last 128 s and a window of a few minutes, a clknetsim
 * client of a 100 ppm oscillator fitted -102.8 ppm at 2 minutes (standard
 * deviation 0.5) and ran 0.5 ms off at 5. With a quarter of the window,
 * most pairs share no reading.
 * References keep 32 readings, peers 8: at 16 s polls the least delayed of
 * 32 errs about half as much as the least delayed of 8, which matters most
 * when liars sit just inside the honest noise (clknetsim Internet, 3 of 7
 * servers 2 ms off or walking away at 1-100 ppm, 20 worlds: worst error 1.3x
 * the no-attack worst, geometric mean, from 2.0x with 8 and no quarter
 * window), while the simulator's peers stay small.
 * A reference's point, once the frequency is fitted, is instead the
 * midpoint of its readings' intersection (cut): each reading carried at the
 * fitted frequency and widened by phi per unit of age, intersected newest
 * first up to the first that misses the rest. An exchange's interval is
 * [t - d - back, t + d + out] (d the path's least one-way delay, out and
 * back each leg's queueing), so the intersection is bounded by the least
 * out and the least back of the burst, wherever they fell, and its midpoint
 * errs by half their difference; the least-delayed exchange errs by half
 * its own legs' difference, which the least total delay does not make
 * small. Exponential queueing of mean q on each leg, 4 exchanges: 0.35 q
 * standard deviation against 0.55 q (8: 0.18 q against 0.36 q). clknetsim,
 * seeds 1-10, worst error against chronyd's, geometric mean: Internet
 * 0.49x -> 0.35x at 1024 s polls, 0.15x -> 0.11x at 16 s; LAN 0.56x ->
 * 0.48x at 1024 s; the anchor's offset and walk rows (16 s) 0.06-0.10 ms
 * worst, they were 0.08-0.13. Peers keep the weighted mean: their point is
 * their clock, not their interval's midpoint.
 * A statistic, not a guarantee: it only chooses a point inside the fused
 * interval, which alone carries the guarantee. *age_ns: the weighted mean
 * age, how far the point was carried; *qual_ns: how far it may err, the
 * least of its readings' widths plus 2 * phi_q_ppb per unit of their age
 * (the fusion's weight, engine.c). phi_q is the fit's own error (three
 * standard deviations), without phi's floor of the configured wander: a
 * bound, which at 1024 s polls made a point carried 1000 s 2 ms worse than
 * a fresh one and again left the freshest source most of the mean
 * (clknetsim Internet, 1024 s, seeds 1-10: worst error against chronyd's
 * 0.85x -> 0.78x, geometric mean).
 */
static int64_t source_point(const struct source *s, int64_t raw_ns, int64_t freq_ppb, int64_t phi_ppb,
                            int64_t phi_q_ppb, int64_t max_age_ns, int64_t *age_ns, int64_t *qual_ns, bool cut)
{
	int64_t wmin = INT64_MAX, ref = 0, qmin = INT64_MAX;
	unsigned nuse = 0;
	for (unsigned j = 0; j < s->n; j++) {
		const struct past_reading *r = nth_newest(s, j);
		int64_t age = bft_sat_sub(raw_ns, r->raw_ns);
		if (j > 0 && age > max_age_ns)
			break;
		nuse = j + 1;
		int64_t w = bft_sat_add(bft_iv_width(r->off), 2 * bft_drift_ns(phi_ppb, age < 0 ? -age : age));
		int64_t q = bft_sat_add(bft_iv_width(r->off), 2 * bft_drift_ns(phi_q_ppb, age < 0 ? -age : age));
		if (q < qmin)
			qmin = q;
		if (w < wmin) {
			wmin = w;
			ref = r->pt_ns; /* a reference value, so the sums stay small */
		}
	}
	/* With cut, the same readings, carried at the fitted frequency and
	 * widened by phi, are also intersected newest first (up to the first
	 * that misses the rest): the point is the midpoint of what is left. */
	double sw = 0, sv = 0, sa = 0, scale = (double)wmin / 64 + 1, lo = 0, hi = 0;
	unsigned used = 0;
	bool open = cut;
	for (unsigned j = 0; j < nuse; j++) {
		const struct past_reading *r = nth_newest(s, j);
		int64_t age = bft_sat_sub(raw_ns, r->raw_ns);
		int64_t d = bft_drift_ns(phi_ppb, age < 0 ? -age : age);
		int64_t w = bft_sat_add(bft_iv_width(r->off), 2 * d);
		double x = (double)bft_sat_sub(w, wmin) + scale, wt = 1 / (x * x);
		double c = (double)freq_ppb * 1e-9 * (double)age;
		sw += wt;
		sa += wt * (double)age;
		sv += wt * ((double)bft_sat_sub(r->pt_ns, ref) + c);
		if (open) {
			double l = (double)bft_sat_sub(r->off.lo_ns, ref) + c - (double)d;
			double h = (double)bft_sat_sub(r->off.hi_ns, ref) + c + (double)d;
			if (used > 0 && (l > hi || h < lo)) {
				open = false;
				continue;
			}
			lo = used == 0 || l > lo ? l : lo;
			hi = used == 0 || h < hi ? h : hi;
			used++;
		}
	}
	*age_ns = (int64_t)(sa / sw);
	*qual_ns = qmin;
	double mean = used >= 2 ? (lo + hi) / 2 : sv / sw;
	return isfinite(mean) ? bft_sat_add(ref, (int64_t)llround(mean)) : ref;
}

/* Fill n->ivs with the carried readings of the selected sources, and
 * n->mids with their point estimates. */
static size_t select_sources(bft_node *n, int64_t raw_ns, enum select which)
{
	size_t nsrc = which == SEL_REFS ? n->cfg.max_refs : n->cfg.max_refs + n->cfg.n_peers, k = 0;
	bft_disc_reading dr;
	int64_t freq = bft_disc_read(n->disc, raw_ns, &dr) == 0 ? dr.freq_ppb : 0;
	/* Until the fit is trained the frequency is a guess within rho; after,
	 * a point carried at the fitted frequency may miss by the fit's error
	 * (three of its standard deviations) or the oscillator's wander,
	 * whichever is larger. The fit's error in the points it was given the
	 * discipline takes out again at each refit (bft_disc_update_carried),
	 * but today's estimate rests on today's carry. Once the fit is good
	 * the least-delayed reading wins, as in NTP's clock filter, which
	 * honest readings need to stay tight around the truth when liars sit
	 * just inside the noise (clknetsim: 3 of 7 at +2 ms, 1.1 -> 0.4 ms). */
	bft_disc_status st;
	int64_t phi = n->cfg.disc.rho_ppb, max_age = 0, phi_q = phi;
	if (bft_disc_get_status(n->disc, &st) == 0 && st.trained && st.freq_sd_ppb != INT64_MAX) {
		int64_t sd3 = st.freq_sd_ppb > INT64_MAX / 3 ? INT64_MAX : 3 * st.freq_sd_ppb; /* found by fuzz_node */
		int64_t u = sd3 > n->cfg.disc.wander_ppb ? sd3 : n->cfg.disc.wander_ppb;
		phi = u < phi ? u : phi;
		phi_q = sd3 < phi ? sd3 : phi; /* without the wander floor: source_point */
		max_age = st.span_ns / 4 < FIT_SPAN_MIN_NS ? st.span_ns / 4 : FIT_SPAN_MIN_NS;
	}
	n->mids_freq_ppb = freq;
	for (size_t i = 0; i < n->cfg.max_refs + n->cfg.n_peers; i++)
		source_at(n, i)->fused = false;
	for (size_t i = 0; i < nsrc; i++) {
		struct source *s = source_at(n, i);
		if ((which != SEL_PRIMARY || s->primary) && (which != SEL_LEVEL || s->level <= n->sel_level) &&
		    carried(n, s, raw_ns, &n->ivs[k])) {
			n->mids[k] = source_point(s, raw_ns, freq, phi, phi_q, max_age, &n->ages[k], &n->quals[k],
			                          i < n->cfg.max_refs);
			s->point_ns = n->mids[k];
			s->fused = true;
			k++;
		}
	}
	return k;
}

/* How far iv lies outside ref (negative: below it), saturating: either may
 * be far out, a hostile reading or a holdover interval grown for days. */
static int64_t miss_by(bft_interval iv, bft_interval ref)
{
	return iv.hi_ns < ref.lo_ns ? bft_sat_sub(iv.hi_ns, ref.lo_ns) : bft_sat_sub(iv.lo_ns, ref.hi_ns);
}

/* A quarantined reference's newest reading (off: true - raw at raw_ns),
 * kept for the fault count only (more_than_f). */
static void keep_last(struct guard *g, int64_t raw_ns, bft_interval off)
{
	g->have_last = true;
	g->last_raw = raw_ns;
	g->last_off = off;
}

/* The driver hears of every change of a reference's quarantine: flagged
 * here, handed out by bft_node_next_action after the queued actions (not
 * queued: a fusion that quarantines several references must not crowd
 * its own estimate out of the small queue). */
static void announce_guard(bft_node *n, size_t ref)
{
	struct guard *g = &n->guards[ref];
	if (!g->announce)
		n->announce_due++;
	g->announce = true;
}

/* Returns whether the reference's quarantine changed (the caller announces
 * it once the reason is complete). */
static bool quarantine(bft_node *n, size_t ref, int64_t raw_ns, enum bft_quarantine why, int64_t by_ns)
{
	struct source *s = &n->refs[ref];
	struct guard *g = &n->guards[ref];
	bool changed = g->q != why;
	if (g->q == BFT_Q_NONE) {
		g->quarantines++;
		n->ctr.ref_quarantines++;
		g->q_since_raw = raw_ns;
	}
	g->q = why;
	g->q_by_ns = by_ns;
	g->agree_since_raw = INT64_MIN;
	/* Its past readings go too: a spoofer's walk may have begun before it
	 * was caught, and carried() would keep using them; the newest is kept
	 * for the fault count only (more_than_f). */
	if (s->n) {
		const struct past_reading *r = nth_newest(s, 0);
		keep_last(g, r->raw_ns, r->off);
	}
	s->n = s->next = 0;
	s->memo_ok = false;
	s->used = false;
	return changed;
}

/*
 * Do the k selected sources (n->ivs) and the quarantined references' newest
 * readings together prove more than f faults? Quarantine keeps a source out
 * of the fusion, but it must not keep it out of the count: with more than f
 * liars the fusion's interval can miss the truth undetected, the honest
 * readings then look like jumps or outvoted sources, and with them in
 * quarantine the liars would be a consistent majority for ever (clknetsim:
 * 2 of 4 servers walking away, f = 1, followed to +200 ms without an alarm).
 * Counted together, two groups that no longer overlap raise the alarm.
 */
static bool more_than_f(bft_node *n, int64_t raw_ns, size_t k, size_t f)
{
	size_t m = k;
	for (size_t i = 0; i < n->cfg.max_refs; i++) {
		const struct guard *g = &n->guards[i];
		int64_t age = bft_sat_sub(raw_ns, g->last_raw);
		if (g->q == BFT_Q_NONE || !g->have_last || age < 0 || age > n->cfg.max_age_ns)
			continue;
		/* n->ivs holds every source; a quarantined one is not among the k. */
		n->ivs[m++] = bft_iv_widen_drift(g->last_off, n->cfg.disc.rho_ppb, age);
	}
	if (m == k)
		return false;
	bft_fusion_result tmp;
	return bft_fusion_marzullo(&tmp, n->ivs, m, f, n->scratch) == BFT_EFAULTS;
}

/*
 * Fewer than f + 1 primaries (docs/internal-sync.md §5): true time travels
 * hop by hop. L is the (f+1)-th smallest level among fresh peers that state
 * one; the node fuses its references and every peer of level <= L, and its
 * own level is L + 1. An honest node fuses only strictly lower levels, so
 * no honest interval feeds back into itself (the runaway the PRIMARY rule
 * was made against), and a level reaches a node exactly when f + 1 of its
 * peers hold one: certified propagation, which no algorithm beats under
 * f-local faults (§5). A node with references of its own (level 0) fuses
 * only level 0: with fewer than f + 1 sources there, its references alone
 * (degraded). Peers stating no level (nodes from before levels) are fused
 * as before, all of them, when they are what makes up the f + 1.
 */
static size_t select_by_level(bft_node *n, int64_t raw_ns, bool holder, size_t f)
{
	if (holder)
		return 0;
	uint32_t count[BFT_LEVEL_NONE] = { 0 };
	size_t unknown = 0;
	for (size_t i = 0; i < n->cfg.n_peers; i++) {
		struct source *s = &n->peers[i].src;
		bft_interval iv;
		if (!carried(n, s, raw_ns, &iv))
			continue;
		if (s->level < BFT_LEVEL_NONE)
			count[s->level]++;
		else if (s->level == LEVEL_UNKNOWN)
			unknown++;
	}
	size_t sum = 0;
	for (unsigned l = 0; l + 1 < BFT_LEVEL_NONE; l++) {
		sum += count[l];
		if (sum > f) {
			n->sel_level = (uint8_t)l;
			n->level = (uint8_t)(l + 1);
			return select_sources(n, raw_ns, SEL_LEVEL);
		}
	}
	/* No peer states a relayable level at all, and we hold true time
	 * ourselves: the whole neighbourhood is in holdover (every reference
	 * lost, a jamming). Fused together as before, their honest holdover
	 * intervals keep the nodes together (12 nodes, 6 h jam: 0.9 ms apart;
	 * each alone on its own oscillator: 3.8 ms); the result is never
	 * relayed (level none), and a node without true time never gains it
	 * this way (that was the runaway: 1,000 nodes, 6% GPS, f = 3, errors of
	 * 28 ms inside 50 ms intervals). Peers from before levels: as before. */
	bft_estimate cur;
	bool holding = bft_node_read(n, raw_ns, &cur) == 0 && cur.state != BFT_DISC_UNSYNCHRONIZED;
	if (unknown || (sum == 0 && holding))
		return select_sources(n, raw_ns, SEL_ALL);
	return 0;
}

static void fuse(bft_node *n, int64_t raw_ns)
{
	size_t nsrc = n->cfg.max_refs + n->cfg.n_peers, f = n->cfg.f;
	n->ctr.fusions++;
	n->last_fuse_raw = raw_ns;
	size_t refs = select_sources(n, raw_ns, SEL_REFS);
	if (refs) {
		/* Our references' own fusion, stated to peers as our primary. */
		bft_fusion_result pr;
		size_t fr = f < (refs - 1) / 2 ? f : (refs - 1) / 2;
		n->have_primary = bft_fusion_marzullo(&pr, n->ivs, refs, fr, n->scratch) == 0;
		n->primary = pr.iv;
		n->primary_raw_ns = raw_ns;
		int64_t pt;
		n->primary_pt_ns = bft_fusion_median(&pt, n->mids, refs, n->scratch) == 0 ? pt : bft_iv_mid(pr.iv);
		if (n->primary_pt_ns < pr.iv.lo_ns || n->primary_pt_ns > pr.iv.hi_ns)
			n->primary_pt_ns = bft_iv_mid(pr.iv);
	}
	/* Primaries (references and peers stating theirs) first; relayed
	 * peers only when primaries cannot outvote f liars; and when nothing
	 * can, the node's own references by majority (its operator's
	 * equipment), so that a cluster can bootstrap: degraded until enough
	 * sources join. Peers alone are never followed below f + 1. */
	size_t k = select_sources(n, raw_ns, SEL_PRIMARY);
	n->level = refs && n->have_primary ? 0 : k > f ? 1 : BFT_LEVEL_NONE;
	if (k <= f)
		k = select_by_level(n, raw_ns, refs && n->have_primary, f);
	n->degraded = k <= f;
	if (n->degraded) {
		k = select_sources(n, raw_ns, SEL_REFS);
		f = k ? (k - 1) / 2 : 0;
	}
	n->last_sources = (uint32_t)k;
	if (k == 0) {
		n->last_used = 0;
		return;
	}
	n->fused_once = true; /* from now on references' news fuses too */
	bft_fusion_result res;
	int rc = more_than_f(n, raw_ns, k, f) ? BFT_EFAULTS : n->engine->fuse(n->ivs, n->mids, n->quals, k, f, n->scratch, &res);
	if (rc == BFT_EFAULTS) {
		/* More than f sources are provably faulty: refuse to follow. */
		n->alarm = true;
		n->agree = 0;
		n->ctr.alarms++;
		return;
	}
	if (rc)
		return;
	int64_t point = res.estimate_ns;
	/* The Nakamoto engine: the chain chooses the point within the fused
	 * interval, or refuses to follow when outworked by a chain it finds
	 * implausible (node_chain.h). */
	if (n->nk) {
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		if (bft_nkn_point(n->nk, &nw, n->cfg.poll_ns, res.iv, &point)) {
			n->alarm = true;
			n->agree = 0;
			n->ctr.alarms++;
			return;
		}
	}

	/* Mark which sources agree with the result (status output, and a
	 * reference that does not is quarantined below); the count is of those
	 * fused, so that it reads "used of" the sources fused (an agreeing
	 * source left out of this fusion, a peer while references suffice, made
	 * "4 used of 3"). */
	uint32_t used = 0;
	for (size_t i = 0; i < nsrc; i++) {
		struct source *s = source_at(n, i);
		bft_interval iv;
		s->used = false;
		if (carried(n, s, raw_ns, &iv) && bft_iv_intersect(iv, res.iv, &iv)) {
			s->used = true;
			used += s->fused;
		}
	}
	n->last_used = used;
	/* The fused interval is of true - raw; the discipline wants true time.
	 * A result disjoint from our own honest prediction means more than f
	 * sources lied consistently: alarm and hold over rather than follow. */
	bft_interval meas = bft_iv_shift(res.iv, raw_ns);
	bft_estimate cur;
	bft_interval tmp;
	bool running = bft_node_read(n, raw_ns, &cur) == 0 && cur.state != BFT_DISC_UNSYNCHRONIZED;
	if (running && !bft_iv_intersect(cur.bounds, meas, &tmp)) {
		n->alarm = true;
		n->agree = 0;
		n->ctr.alarms++;
		return;
	}
	/* Leaving an alarm: more than f sources lied, so a later consistent
	 * fusion may be the liars alone, met by our widening holdover interval.
	 * Follow again only once fusions hold our holdover clock's own estimate
	 * (which drifts only at our frequency error) several times running. */
	if (n->alarm && running) {
		if (!bft_iv_contains(meas, cur.estimate_ns) || ++n->agree < RECOVER_FUSIONS) {
			if (!bft_iv_contains(meas, cur.estimate_ns))
				n->agree = 0;
			return;
		}
	}
	/* A reference outvoted by every other source is quarantined: the
	 * fusion already ignores it now, quarantine keeps it out until it has
	 * agreed for a while, so a spoofer cannot flap in and out. Not while
	 * degraded with fewer than three references: two disagreeing ones
	 * prove a fault but not which. */
	for (size_t i = 0; i < n->cfg.max_refs && (!n->degraded || k >= 3); i++) {
		struct source *s = &n->refs[i];
		bft_interval iv;
		if (!s->used && n->guards[i].q == BFT_Q_NONE && carried(n, s, raw_ns, &iv))
			if (quarantine(n, i, raw_ns, BFT_Q_CONSENSUS, miss_by(iv, res.iv)))
				announce_guard(n, i);
	}

	/* The point was carried from the sources' readings at our frequency
	 * then: tell the discipline how far, so that its fit takes the point
	 * where the readings were, the carry taken out (bft_disc_update_carried). */
	int64_t carry = 0, youngest = INT64_MAX;
	for (size_t i = 0; i < k; i++) {
		carry = bft_sat_add(carry, n->ages[i] > 0 ? n->ages[i] / (int64_t)k : 0);
		youngest = n->ages[i] < youngest ? n->ages[i] : youngest;
	}
	/* A poll that only carries the same readings forward tells the fit
	 * nothing new: bft_disc_update_readings keeps it out of the history.
	 * (Fitted, each such point pinned the fit to its own frequency: at
	 * 64 s polls half the samples were copies, and a clknetsim client
	 * sat 0.9 ms off for ten minutes whose readings all said so.) */
	int64_t newest = youngest > 0 ? bft_sat_sub(raw_ns, youngest) : raw_ns;
	bft_disc_update_info info;
	if (bft_disc_update_readings(n->disc, raw_ns, meas, bft_sat_add(point, raw_ns), carry, n->mids_freq_ppb, newest,
	                             &info) != 0)
		return;
	if (info.initial_step)
		n->epoch++;
	n->alarm = false;
	n->have_update = true;
	n->last_update_raw = raw_ns;
	n->last_update_half_ns = bft_sat_sub(info.bounds.hi_ns, info.bounds.lo_ns) / 2 + 1;
}

/* ---- internal synchronization (docs/internal-sync.md) -------------------- */

/*
 * One agreement step at raw time raw_ns, for a node without true time: each
 * peer's newest clock reading of the last poll, carried to now at our fitted
 * (network) rate, relative to our network clock; the W-MSR trimmed midpoint
 * of those (f each side, own value kept) steers the clock. An AGREED node
 * uses AGREED peers only, so that a booting or restarted node's clock never
 * pulls the network; a node not yet AGREED joins through AGREED peers when
 * it has 2f + 1 of them, and otherwise (the network's boot) uses everyone.
 */
static int64_t poll_period(const bft_node *n);

/* Each peer's value at this step, then whether the step trimmed it. */
static void agree_take(struct peer *p, int64_t val_ns)
{
	p->ag_in = true;
	p->ag_val_ns = val_ns;
}

static void agree_count(bft_node *n, const bft_agree_result *res)
{
	for (size_t i = 0; i < n->cfg.n_peers; i++) {
		struct peer *p = &n->peers[i];
		if (!p->ag_in)
			continue;
		p->ag_in = false;
		if (!res)
			continue;
		p->ag_used++;
		if (p->ag_val_ns < res->kept_lo_ns || p->ag_val_ns > res->kept_hi_ns)
			p->ag_trimmed++;
	}
}

/*
 * A node with true time among peers without it (docs/internal-sync.md, §3,
 * the pull): its wire clock is its true-time clock plus net_off_ns, steered
 * by the same trimmed midpoint as a network clock and pulled back towards 0
 * (its own true time) by at most beta = e per round. So reference holders
 * too few to be believed (at most f in a neighbourhood look like liars and
 * are trimmed) neither split from the network nor are ignored by it: the
 * network is drawn towards their time at up to e per round, never faster
 * than its members can follow. A node whose true time is too wide to keep
 * the bound by itself agrees the same way, inside its interval ("wide",
 * below). Otherwise the offset only decays, and is 0 once it has: the wire
 * is then what it always was. Every node that reads 2f + 1 peers' clocks
 * states its bound.
 */
static void agree_offset(bft_node *n, int64_t raw_ns, const bft_disc_reading *dr)
{
	size_t f = n->cfg.f, need = 2 * f + 1, k = 0, net_peers = 0;
	int64_t period = poll_period(n), window = period + period / 4;
	int64_t rho = n->cfg.disc.rho_ppb, rho_x = n->cfg.disc.wander_ppb < rho ? n->cfg.disc.wander_ppb : rho;
	int64_t now_n = bft_sat_add(dr->time_ns, n->net_off_ns), e = 0;
	for (size_t i = 0; i < n->cfg.n_peers; i++) {
		const struct peer *p = &n->peers[i];
		int64_t age = bft_sat_sub(raw_ns, p->ck_raw_ns);
		if (!p->ck_have || !p->ck_agreed || age < 0 || age > window)
			continue;
		int64_t half = bft_sat_add(bft_sat_sub(p->ck_hi_ns, p->ck_lo_ns) / 2, 2 * bft_drift_ns(rho_x, age));
		if (half > n->cfg.agree_max_err_ns)
			continue;
		int64_t mid = p->ck_lo_ns + bft_sat_sub(p->ck_hi_ns, p->ck_lo_ns) / 2;
		double carry = (double)dr->freq_ppb * 1e-9 * (double)age;
		int64_t then_c = bft_sat_add(bft_sat_add(mid, p->ck_raw_ns), bft_sat_add(age, (int64_t)carry));
		n->agree_vals[k++] = bft_sat_sub(then_c, now_n);
		agree_take(&n->peers[i], n->agree_vals[k - 1]);
		if (half > e)
			e = half;
		if (!p->ck_synced)
			net_peers++;
	}
	/* The pull: e / 4 per round. A holder among peers without true time
	 * settles where its step towards them (half the distance to the
	 * retained range) equals the pull, about 2 beta from the network: with
	 * beta = e that was the whole spread of sparse worlds (2.0 ms, never
	 * within 1 ms, 1,000 nodes, random 16-regular, 1% GPS); with e / 4,
	 * 1.0 ms, and the network's distance to true time is unchanged where
	 * holders are too few to move it, and in the 31-node ring where they
	 * do (docs/internal-sync.md, section 0). */
	int64_t move = 0, beta = e / AGREE_PULL_DIV;
	/* The bound this node can state (model: D from the fitted rate; hard:
	 * each oscillator within rho). The bound keeps a pull term of e, not
	 * the e / 4 pulled: with 2 beta = e / 2 the 6-hour jamming of 1,000
	 * nodes (holders in holdover, their true-time points drifting apart)
	 * spread beyond it in 0.3 % of the samples (docs/internal-sync.md,
	 * section 0). */
	int64_t d_model = 2 * bft_drift_ns(bft_sat_add(rho_x, rho_x), period);
	int64_t pi = k >= need ? bft_agree_precision_ns(e, e, d_model, n->cfg.agree_contraction_ppm) : 0;
	/* Too wide a true time to keep the bound by itself: two true-time
	 * clocks each within their interval's half-width of true time are
	 * within the sum of the half-widths of each other, so a node whose
	 * half-width is over pi / 2 agrees too, its wire clock kept inside its
	 * interval (clamped below, where no peer lacks true time). Where references reach nodes only through
	 * levels of liars' tight claims, intervals 13-56 ms wide had wire clocks
	 * 38.9 ms apart against a stated 8.8 ms (docs/internal-sync.md, 13). */
	int64_t half_w = bft_iv_width(dr->bounds) / 2;
	bool wide = pi > 0 && half_w > pi / 2 && !n->alarm;
	n->ai.wide = wide;
	n->ai.outside = k < need;
	bft_agree_result res = { 0 };
	bool seen = k >= need && bft_agree_midpoint(&res, n->agree_vals, k, f) == 0;
	bool stepped = seen && (net_peers || wide);
	agree_count(n, stepped ? &res : NULL);
	if (stepped) {
		move = res.move_ns;
		n->ai.round++;
		n->ai.used = (uint32_t)k;
		n->ai.trimmed = (uint32_t)res.trimmed;
		n->ai.range_ns = res.range_ns;
		n->ctr.agree_rounds++;
	} else if (!net_peers && !wide) {
		beta = e > 100000 ? e : 100000; /* nobody to agree with: back to true time */
	}
	int64_t off = bft_sat_add(n->net_off_ns, move);
	off = off > beta ? off - beta : off < -beta ? off + beta : 0;
	/* Inside the interval, e from either end, when it agrees for being
	 * wide alone: a node among peers without true time follows them
	 * unclamped, as before (clamped too, it held its wire clock near true
	 * time while the network it should stay with sat up to 10 ms away: 1%
	 * holders on 10,000 nodes, spread 1.2 -> 10.2 ms). */
	if (wide && !net_peers) {
		int64_t lo = bft_sat_add(bft_sat_sub(dr->bounds.lo_ns, dr->time_ns), e);
		int64_t hi = bft_sat_sub(bft_sat_sub(dr->bounds.hi_ns, dr->time_ns), e);
		if (lo <= hi)
			off = off < lo ? lo : off > hi ? hi : off;
	}
	n->ai.offset_ns = bft_sat_sub(off, n->net_off_ns);
	n->net_off_ns = off;
	n->ai.net_running = false;
	n->ai.reading_err_ns = e;
	/* Stated by every node that can compute it, agreeing or not: a node
	 * whose true time is narrow enough keeps its wire clock within pi / 2
	 * of true time, one that is wide agrees. Before, only nodes with a peer
	 * without true time stated a bound, and the wide ones, silent, were
	 * judged by the others'. A node that reads fewer than 2f + 1 peers'
	 * clocks within agree_max_err (every exchange a man in the middle
	 * delays) can state none, and says it is outside (ai.outside). */
	if (pi > 0) {
		/* Not less than what it sees: right after true time widened (a
		 * man in the middle starting to delay the holders' packets),
		 * clocks that had followed their true time are still apart by
		 * more than the steady state's bound, until rounds of agreement
		 * draw them in (minref-mitm-fusion: within the bound in 97.2% of
		 * the samples without this, 98.5% with it). */
		int64_t seen_ns = seen ? bft_sat_add(res.range_ns, 2 * e) : 0;
		int64_t hard = bft_agree_precision_ns(e, e, 4 * bft_drift_ns(rho, period), n->cfg.agree_contraction_ppm);
		n->ai.precision_ns = pi > seen_ns ? pi : seen_ns;
		n->ai.precision_hard_ns = hard > seen_ns ? hard : seen_ns;
	} else {
		n->ai.precision_ns = n->ai.precision_hard_ns = 0;
	}
}

static void agree_step(bft_node *n, int64_t raw_ns)
{
	bft_disc_reading dr;
	if (!n->cfg.agreement || n->cfg.n_peers == 0 || bft_disc_read(n->disc, raw_ns, &dr) != 0)
		return;
	if (dr.running && dr.state != BFT_DISC_UNSYNCHRONIZED) {
		/* True time steers the clock (fuse); AGREED is then the
		 * SYNCED state itself (stamp), and only the wire clock's
		 * offset takes part in the agreement. */
		n->agreed = false;
		agree_offset(n, raw_ns, &dr);
		return;
	}
	n->ai.wide = n->ai.outside = false;
	size_t f = n->cfg.f, need = 2 * f + 1;
	int64_t rho = n->cfg.disc.rho_ppb, rho_x = rho;
	bft_disc_status st = { 0 };
	if (bft_disc_get_status(n->disc, &st) == 0 && st.trained && st.freq_sd_ppb != INT64_MAX) {
		int64_t sd3 = st.freq_sd_ppb > INT64_MAX / 3 ? INT64_MAX : 3 * st.freq_sd_ppb;
		int64_t u = sd3 > n->cfg.disc.wander_ppb ? sd3 : n->cfg.disc.wander_ppb;
		rho_x = u < rho ? u : rho;
	}
	int64_t period = poll_period(n), window = period + period / 4;
	size_t n_agreed = 0;
	for (size_t i = 0; i < n->cfg.n_peers; i++) {
		const struct peer *p = &n->peers[i];
		int64_t age = bft_sat_sub(raw_ns, p->ck_raw_ns);
		if (p->ck_have && p->ck_agreed && age >= 0 && age <= window)
			n_agreed++;
	}
	bool agreed_only = n->agreed || n_agreed >= need;
	int64_t now_n = dr.running ? dr.time_ns : bft_sat_add(raw_ns, n->cfg.agree_seed_ns), e = 0;
	size_t k = 0;
	for (size_t i = 0; i < n->cfg.n_peers; i++) {
		const struct peer *p = &n->peers[i];
		int64_t age = bft_sat_sub(raw_ns, p->ck_raw_ns);
		if (!p->ck_have || age < 0 || age > window || (agreed_only && !p->ck_agreed))
			continue;
		/* Its clock then, carried to now at the network's rate against
		 * our oscillator, widened by the rate's uncertainty both ways. */
		int64_t half = bft_sat_add(bft_sat_sub(p->ck_hi_ns, p->ck_lo_ns) / 2, 2 * bft_drift_ns(rho_x, age));
		if (half > n->cfg.agree_max_err_ns)
			continue;
		int64_t mid = p->ck_lo_ns + bft_sat_sub(p->ck_hi_ns, p->ck_lo_ns) / 2;
		double carry = (double)dr.freq_ppb * 1e-9 * (double)age;
		int64_t then_c = bft_sat_add(bft_sat_add(mid, p->ck_raw_ns), bft_sat_add(age, (int64_t)carry));
		n->agree_vals[k++] = bft_sat_sub(then_c, now_n);
		agree_take(&n->peers[i], n->agree_vals[k - 1]);
		if (half > e)
			e = half;
	}
	n->ai.round++;
	n->ai.net_running = true;
	if (k < need) {
		agree_count(n, NULL);
		n->ctr.agree_short++;
		n->ai.used = (uint32_t)k;
		n->ai.trimmed = 0;
		n->agree_good = 0;
		if (++n->agree_bad >= n->cfg.agree_claim_rounds)
			n->agreed = false;
		return;
	}
	n->agree_bad = 0;
	bft_agree_result res;
	int arc = bft_agree_midpoint(&res, n->agree_vals, k, f);
	agree_count(n, arc == 0 ? &res : NULL);
	if (arc != 0)
		return;
	n->agree_err[n->agree_err_next] = e;
	n->agree_err_next = (n->agree_err_next + 1) % AGREE_ERR_ROUNDS;
	int64_t e8 = 0;
	for (unsigned i = 0; i < AGREE_ERR_ROUNDS; i++)
		if (n->agree_err[i] > e8)
			e8 = n->agree_err[i];
	/* D: two clocks' drift over a round. Model: measured (below); hard:
	 * each oscillator within rho of true rate. No pull (beta = 0): a node
	 * without true time has no point to pull towards. */
	/* Our clock runs at our oscillator's rate (bft_disc_steer): against the
	 * network it drifts at the rate the fit measured, |nu|, give or take
	 * rho_x. Each node bounds its own part; the network's bound is the
	 * largest any honest node states, which covers a pair (2 max >= a + b). */
	int64_t nu = st.trained && st.freq_ppb != INT64_MIN ? (st.freq_ppb < 0 ? -st.freq_ppb : st.freq_ppb) : rho;
	int64_t rel = bft_sat_add(nu, rho_x) < rho ? bft_sat_add(nu, rho_x) : rho;
	int64_t d_model = 2 * bft_drift_ns(rel, period), d_hard = 4 * bft_drift_ns(rho, period);
	int64_t prec = bft_agree_precision_ns(e8, 0, d_model, n->cfg.agree_contraction_ppm);
	int64_t prec_hard = bft_agree_precision_ns(e8, 0, d_hard, n->cfg.agree_contraction_ppm);
	bool within = res.range_ns <= bft_sat_add(prec, 2 * e8);
	if (within) {
		if (++n->agree_good >= n->cfg.agree_claim_rounds)
			n->agreed = true;
	} else {
		n->agree_good = 0;
		if (n->agreed)
			n->ctr.agree_violations++;
	}
	bool step = !n->agreed && (res.move_ns > n->cfg.agree_step_ns || res.move_ns < -n->cfg.agree_step_ns);
	bft_disc_update_info info;
	if (bft_disc_steer(n->disc, raw_ns, bft_sat_add(now_n, res.move_ns), e8, step, &info) != 0)
		return;
	n->ctr.agree_rounds++;
	if (info.initial_step) {
		n->epoch++;
		if (dr.running)
			n->ctr.agree_steps++;
	}
	n->ai.used = (uint32_t)k;
	n->ai.trimmed = (uint32_t)res.trimmed;
	n->ai.reading_err_ns = e8;
	n->ai.range_ns = res.range_ns;
	n->ai.offset_ns = res.move_ns;
	n->ai.precision_ns = prec;
	n->ai.precision_hard_ns = prec_hard;
}

/* ---- events ------------------------------------------------------------- */

/* The poll period: the configured one, but at most 16 s until the node has
 * fused any source, so that a long poll (1024 s) does not leave a node that
 * found no source at its first poll unsynchronized for the whole of it. */
static int64_t poll_period(const bft_node *n)
{
	int64_t cap = 16 * BFT_NS_PER_SEC;
	return n->fused_once || n->cfg.poll_ns < cap ? n->cfg.poll_ns : cap;
}

static void schedule_poll(bft_node *n, int64_t raw_ns)
{
	/* +-1/16 poll of jitter keeps nodes from polling in lock step. */
	int64_t period = poll_period(n);
	int64_t j = period / 8;
	int64_t jitter = j ? (int64_t)(next_rand(n) % (uint64_t)j) - j / 2 : 0;
	n->next_poll_raw = bft_sat_add(raw_ns, period + jitter);
	arm_timer(n);
}

static void publish(bft_node *n, int64_t raw_ns)
{
	bft_action *a = push(n, BFT_ACT_ESTIMATE);
	if (a && bft_node_read(n, raw_ns, &a->est) != 0)
		n->q_len--;
}

int bft_node_start(bft_node *n, int64_t raw_ns)
{
	if (!n || n->started)
		return BFT_EINVAL;
	n->started = true;
	/* First poll soon, at a random phase, so a cluster started together
	 * spreads its traffic; not at once, so that the references' first
	 * answers are in (a sixteenth of a poll at least, after the jitter);
	 * with long polls within seconds all the same (poll_period). */
	int64_t p = poll_period(n), first = p / 4;
	if (n->nk) { /* the first mining step one step from now */
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		bft_nkn_on_timer(n->nk, &nw);
	}
	n->next_poll_raw = raw_ns;
	schedule_poll(n, raw_ns - p + p / 8 + (first ? (int64_t)(next_rand(n) % (uint64_t)first) : 0));
	return 0;
}

int bft_node_on_timer(bft_node *n, int64_t raw_ns)
{
	if (!n || !n->started)
		return BFT_EINVAL;
	if (n->nk) {
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		bft_nkn_on_timer(n->nk, &nw);
		if (raw_ns < n->next_poll_raw) { /* the chain's step: the next TIMER */
			arm_timer(n);
			return 0;
		}
	}
	if (raw_ns < n->next_poll_raw)
		return 0; /* early: the pending TIMER action still stands */
	for (size_t i = 0; i < n->cfg.max_refs + n->cfg.n_peers; i++) {
		struct source *src = source_at(n, i);
		src->reach = (uint8_t)(src->reach << 1 | src->heard);
		src->heard = false;
	}
	fuse(n, raw_ns);
	agree_step(n, raw_ns);
	publish(n, raw_ns);
	if (n->nk) {
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		bft_nkn_on_poll(n->nk, &nw);
	}
	n->send_raw = raw_ns;
	n->send_cursor = 0;
	schedule_poll(n, raw_ns);
	return 0;
}

/*
 * Where a quarantined reference must read to count as agreeing: around the
 * node's estimate, as wide as the interval the node had at the last
 * measurement it followed, grown by as much as the estimate can have drifted
 * since (the fitted frequency's modelled uncertainty plus the oscillator's
 * wander, times the time since), within the honest interval. The honest
 * interval alone widens at rho, hundreds of times faster in holdover, and
 * would soon let a spoofer back in.
 */
static bft_interval estimate_band(bft_node *n, int64_t raw_ns, const bft_estimate *cur)
{
	bft_disc_status st;
	if (bft_disc_get_status(n->disc, &st) != 0 || st.freq_unc_ppb == INT64_MAX || !n->have_update)
		return cur->bounds;
	int64_t dt = bft_sat_sub(raw_ns, n->last_update_raw);
	int64_t tol = bft_sat_add(bft_drift_ns(bft_sat_add(st.freq_unc_ppb, n->cfg.disc.wander_ppb), dt < 0 ? 0 : dt),
	                          n->last_update_half_ns);
	bft_interval band = bft_iv(bft_sat_sub(cur->estimate_ns, tol), bft_sat_add(cur->estimate_ns, tol)), out;
	return bft_iv_intersect(band, cur->bounds, &out) ? out : cur->bounds;
}

int bft_node_on_reference(bft_node *n, int64_t raw_ns, uint32_t ref_id, bft_interval true_time)
{
	/* A reading within a day of the int64 ends (before 1677 or after 2262)
	 * is no time at all: the clock it would set saturates, and a
	 * saturated clock cannot keep its promise never to run back (found by
	 * fuzz_node). The drivers already refuse dates outside 1900..2200. */
	if (!n || ref_id >= n->cfg.max_refs || !bft_iv_valid(true_time) || true_time.lo_ns < INT64_MIN + EDGE_NS ||
	    true_time.hi_ns > INT64_MAX - EDGE_NS)
		return BFT_EINVAL;
	struct source *s = &n->refs[ref_id];
	struct guard *g = &n->guards[ref_id];
	heard_from(s, raw_ns);
	/* The guard. Against the node's own honest interval: a reading
	 * disjoint from it is a jump no oscillator within rho could explain.
	 * Readmission asks more: the reading must meet the estimate band
	 * (estimate_band: in holdover it widens only at the frequency error,
	 * where the interval widens at rho), unbroken for ref_readmit_ns. A
	 * liar within that band is readmitted, and fusion bounds it as any. */
	bft_estimate cur;
	bool running = bft_node_read(n, raw_ns, &cur) == 0 && cur.state != BFT_DISC_UNSYNCHRONIZED;
	bft_interval tmp;
	if (g->q != BFT_Q_NONE && running)
		cur.bounds = estimate_band(n, raw_ns, &cur);
	/* The node's interval is evidence against a reading only when it rests
	 * on more than f sources, or when the reading's own source is all the
	 * node has: an interval from a degraded fusion of a few references
	 * (the first ones heard, say) would let whichever group answered
	 * first shut the other out; their readings go to the fusion instead,
	 * which raises the alarm when more than f disagree. */
	bool judge = running && !n->alarm && (!n->degraded || n->cfg.max_refs == 1);
	if (g->q == BFT_Q_NONE) {
		if (judge && !bft_iv_intersect(cur.bounds, true_time, &tmp)) {
			if (quarantine(n, ref_id, raw_ns, BFT_Q_JUMP, miss_by(true_time, cur.bounds)))
				announce_guard(n, ref_id);
			keep_last(g, raw_ns, bft_iv_shift(true_time, -raw_ns));
			n->ctr.ref_readings_quarantined++;
			return 0;
		}
	} else {
		keep_last(g, raw_ns, bft_iv_shift(true_time, -raw_ns));
		bool agrees = !running || bft_iv_intersect(true_time, cur.bounds, &tmp);
		if (!agrees) {
			g->agree_since_raw = INT64_MIN;
			if (running)
				g->q_by_ns = miss_by(true_time, cur.bounds);
			n->ctr.ref_readings_quarantined++;
			return 0;
		}
		if (g->agree_since_raw == INT64_MIN)
			g->agree_since_raw = raw_ns;
		if (bft_sat_sub(raw_ns, g->agree_since_raw) < n->cfg.ref_readmit_ns) {
			n->ctr.ref_readings_quarantined++;
			return 0;
		}
		g->q = BFT_Q_NONE;
		g->suspect = NULL;
		n->ctr.ref_readmissions++;
		announce_guard(n, ref_id);
	}
	bft_interval off = bft_iv_shift(true_time, -raw_ns);
	add_reading(s, raw_ns, off, bft_iv_mid(off));
	fit_window(n);
	if (n->nk) {
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		bft_nkn_on_reading(n->nk, ref_id, true_time, &nw);
	}
	s->delay_ns = -1;
	s->primary = true;
	/* References are the fast sensors (GPS every second): fuse on their
	 * news rather than only once per poll, at most once per poll / 16 but
	 * never holding news back longer than a second (so 16 times per poll
	 * at polls up to 16 s, and up to once a second at longer ones: at
	 * 1024 s, poll / 16 would have held news back for a minute); but not
	 * before the first poll, so that the first synchronization hears
	 * every reference that answers at start, not only the first one. */
	int64_t gap = n->cfg.poll_ns / 16 < BFT_NS_PER_SEC ? n->cfg.poll_ns / 16 : BFT_NS_PER_SEC;
	if (n->started && n->fused_once && bft_sat_sub(raw_ns, n->last_fuse_raw) >= gap) {
		fuse(n, raw_ns);
		publish(n, raw_ns);
	}
	return 0;
}

int bft_node_on_reference_suspect(bft_node *n, int64_t raw_ns, uint32_t ref_id, const char *why)
{
	if (!n || ref_id >= n->cfg.max_refs)
		return BFT_EINVAL;
	bool changed = quarantine(n, ref_id, raw_ns, BFT_Q_SUSPECT, 0);
	n->guards[ref_id].suspect = why;
	if (changed)
		announce_guard(n, ref_id);
	n->ctr.ref_readings_quarantined++;
	return 0;
}

const char *bft_quarantine_name(enum bft_quarantine q)
{
	switch (q) {
	case BFT_Q_NONE: return "none";
	case BFT_Q_JUMP: return "jump";
	case BFT_Q_CONSENSUS: return "consensus";
	case BFT_Q_SUSPECT: return "suspect";
	}
	return "?";
}

/* A peer's clock, for the agreement: the exchange's interval of its clock
 * minus our raw clock, and whether it claims agreement. */
static void note_clock(struct peer *p, const bft_reading *r, const bft_msg *m)
{
	if (bft_sat_add(r->local_ns, r->offset.lo_ns) < INT64_MIN + EDGE_NS ||
	    bft_sat_add(r->local_ns, r->offset.hi_ns) > INT64_MAX - EDGE_NS)
		return; /* no clock at all (store_reading) */
	p->ck_have = true;
	p->ck_agreed = (m->flags & BFT_MSGF_AGREED) != 0;
	p->ck_synced = (m->flags & BFT_MSGF_SYNCED) != 0;
	p->ck_raw_ns = r->local_ns;
	p->ck_lo_ns = r->offset.lo_ns;
	p->ck_hi_ns = r->offset.hi_ns;
}

/* The exchange's interval of (peer clock - our raw) turned into a reading of
 * (true - our raw) by the peer's stated uncertainty, grown for the time since
 * the peer stated it. */
static void store_reading(bft_node *n, struct peer *p, const bft_reading *r, const bft_msg *m, int64_t since_ns)
{
	int64_t grow = bft_drift_ns(bft_sat_add(n->cfg.disc.rho_ppb, n->cfg.disc.max_slew_ppb), since_ns);
	int64_t lo = bft_sat_sub(bft_sat_sub(r->offset.lo_ns, m->err_lo_ns), grow);
	int64_t hi = bft_sat_add(bft_sat_add(r->offset.hi_ns, m->err_hi_ns), grow);
	/* As for references (bft_node_on_reference): a peer's reading within a
	 * day of the int64 ends is no time (fuzz_node: a peer's year 2262 took
	 * the clock to saturation, where it ran back 223 us). */
	if (lo > hi || bft_sat_sub(hi, lo) > bft_sat_add(n->cfg.max_err_ns, n->cfg.max_err_ns) ||
	    bft_sat_add(r->local_ns, lo) < INT64_MIN + EDGE_NS || bft_sat_add(r->local_ns, hi) > INT64_MAX - EDGE_NS) {
		n->ctr.readings_rejected++;
		return;
	}
	/* The peer's point: its clock (the exchange's midpoint) plus what it
	 * says its best estimate is relative to its clock, kept inside. */
	int64_t pt = bft_sat_add(bft_iv_mid(r->offset), m->pt_ns);
	pt = pt < lo ? lo : pt > hi ? hi : pt;
	add_reading(&p->src, r->local_ns, bft_iv(lo, hi), pt);
	p->src.delay_ns = r->delay_ns;
	p->src.primary = (m->flags & BFT_MSGF_PRIMARY) != 0;
	unsigned nib = m->flags >> BFT_MSGF_LEVEL_SHIFT;
	p->src.level = (uint8_t)(nib ? nib - 1 : p->src.primary ? 0 : LEVEL_UNKNOWN);
	n->ctr.exchanges++;
}

static bft_exchange_params peer_params(const bft_node *n)
{
	/* A peer's wire clock is disciplined: its rate error is bounded by its
	 * oscillator's rho plus its largest slew. */
	return (bft_exchange_params){
		.dmin_ns = n->cfg.dmin_ns,
		.dmax_ns = n->cfg.dmax_ns,
		.rho_ppb = bft_sat_add(n->cfg.disc.rho_ppb, n->cfg.disc.max_slew_ppb),
		.stamp_err_ns = n->cfg.stamp_err_ns,
	};
}

static int on_request(bft_node *n, struct peer *p, const bft_msg *m, int64_t raw_ns)
{
	/* Fresh: stamped after the newest REQUEST seen from this peer. A signed
	 * REQUEST captured on the path and replayed (from anywhere: UDP sources
	 * are not checked) is older than the genuine one that followed it, so
	 * once that one is seen the replay cannot take its place in the rate
	 * limit below, nor its pending FOLLOWUP. The newest stamp is kept even
	 * when the rate limit leaves that REQUEST unanswered: after our own
	 * restart an attacker can replay captured REQUESTs in order only until
	 * the peer's next genuine one arrives. A peer's stamps run forward (its
	 * disciplined clock is monotonic, and its first sync moves them from
	 * its raw clock to the time of day), except when it restarts before it
	 * synchronizes: stamps that are not newer for four polls start it over
	 * (docs/protocol.md: what an attacker can still contest). */
	if (p->seen_req && m->t_a <= p->req_ta) {
		if (!p->stale) {
			p->stale = true;
			p->stale_since_raw = raw_ns;
		}
		if (bft_sat_sub(raw_ns, p->stale_since_raw) < 4 * n->cfg.poll_ns) {
			n->ctr.rx_replay++;
			return BFT_EINVAL;
		}
	}
	p->seen_req = true;
	p->stale = false;
	p->req_ta = m->t_a;
	/* Answer at most four requests per poll from one peer: a flood costs
	 * the flooder more than us, and never yields more than one reply each. */
	if (p->answered && bft_sat_sub(raw_ns, p->last_req_raw) < n->cfg.poll_ns / 4) {
		n->ctr.rx_replay++;
		return BFT_EINVAL;
	}
	p->answered = true;
	p->last_req_raw = raw_ns;
	p->resp_pending = true;
	p->resp_nonce = m->nonce;
	p->resp_epoch = m->epoch;
	p->t1_remote = m->t_a;
	p->t2_raw = raw_ns;
	p->resp_nonce2 = next_rand(n);
	bft_msg r = { .type = BFT_MSG_RESPONSE, .from = n->cfg.id, .to = p->id, .nonce = m->nonce,
		      .nonce2 = p->resp_nonce2, .epoch = n->epoch };
	stamp(n, raw_ns, &r, &r.t_a);
	p->t3_raw = late_raw(n, raw_ns);
	if (p->t3_raw == raw_ns)
		r.t_b = r.t_a;
	else
		stamp(n, p->t3_raw, &r, &r.t_b);
	send_msg(n, &r);
	return 0;
}

static int on_response(bft_node *n, struct peer *p, const bft_msg *m, int64_t raw_ns)
{
	if (!p->req_pending || m->nonce != p->req_nonce) {
		n->ctr.rx_replay++; /* a replay, a duplicate, or an equivocating second answer */
		return BFT_EINVAL;
	}
	p->req_pending = false;
	heard_from(&p->src, raw_ns);
	/* Third message first: the peer measures us even if we reject it. */
	bft_msg f = { .type = BFT_MSG_FOLLOWUP, .from = n->cfg.id, .to = p->id, .nonce = m->nonce,
		      .nonce2 = m->nonce2, .epoch = n->epoch };
	stamp(n, raw_ns, &f, &f.t_a);
	int64_t t5 = late_raw(n, raw_ns);
	if (t5 == raw_ns)
		f.t_b = f.t_a;
	else
		stamp(n, t5, &f, &f.t_b);
	send_msg(n, &f);
	bft_exchange_params ep = peer_params(n);
	bft_reading r;
	if (!(m->flags & BFT_MSGF_SYNCED)) {
		/* No true time from it, but its clock counts for the agreement. */
		if (n->cfg.agreement && bft_exchange_round_trip(&r, &ep, p->t1_raw, m->t_a, m->t_b, raw_ns) == 0)
			note_clock(p, &r, m);
		return 0;
	}
	if (bft_exchange_round_trip(&r, &ep, p->t1_raw, m->t_a, m->t_b, raw_ns) != 0) {
		n->ctr.readings_rejected++;
		return BFT_EFAULTS;
	}
	note_clock(p, &r, m);
	store_reading(n, p, &r, m, bft_sat_sub(raw_ns, p->t1_raw));
	return 0;
}

static int on_followup(bft_node *n, struct peer *p, const bft_msg *m, int64_t raw_ns)
{
	if (!p->resp_pending || m->nonce != p->resp_nonce || m->nonce2 != p->resp_nonce2) {
		n->ctr.rx_replay++;
		return BFT_EINVAL;
	}
	p->resp_pending = false;
	heard_from(&p->src, raw_ns);
	bool synced = (m->flags & BFT_MSGF_SYNCED) != 0;
	if (!synced && !n->cfg.agreement)
		return 0;
	bft_exchange_params ep = peer_params(n);
	bft_reading r;
	int rc;
	/* The REQUEST's stamp adds a one-way bound, valid only if the
	 * requester's clock did not step in between. */
	if (m->epoch == p->resp_epoch)
		rc = bft_exchange_triple_responder(&r, &ep, p->t1_remote, p->t2_raw, p->t3_raw, m->t_a, m->t_b, raw_ns);
	else
		rc = bft_exchange_round_trip(&r, &ep, p->t3_raw, m->t_a, m->t_b, raw_ns);
	if (!synced) { /* its clock only, for the agreement (on_response) */
		if (rc == 0)
			note_clock(p, &r, m);
		return 0;
	}
	if (rc != 0) {
		n->ctr.readings_rejected++;
		return BFT_EFAULTS;
	}
	note_clock(p, &r, m);
	store_reading(n, p, &r, m, bft_sat_sub(raw_ns, p->t3_raw));
	return 0;
}

int bft_node_on_packet(bft_node *n, int64_t raw_ns, const uint8_t *buf, size_t len)
{
	if (!n || !n->started)
		return BFT_EINVAL;
	n->ctr.rx++;
	if (n->nk && bft_nkn_is_chain(buf, len)) {
		bft_nkn_now nw;
		nk_now(n, raw_ns, &nw);
		int r = bft_nkn_on_packet(n->nk, &nw, buf, len);
		if (timer_at(n) < n->timer_set_raw) /* a block to ask for again */
			arm_timer(n);
		return r;
	}
	bft_msg m;
	size_t signed_len;
	if (!buf || bft_wire_decode(&m, &signed_len, buf, len) != 0) {
		n->ctr.rx_bad++;
		return BFT_EINVAL;
	}
	if (m.to != n->cfg.id) {
		n->ctr.rx_not_for_us++;
		return BFT_EINVAL;
	}
	struct peer *p = find_peer(n, m.from);
	if (!p) {
		n->ctr.rx_unknown_peer++;
		return BFT_EINVAL;
	}
	const bft_signer *s = n->cfg.signer;
	if (s->verify(s->ctx, m.from, buf, signed_len, m.sig, m.sig_len) != 0) {
		n->ctr.rx_bad_sig++;
		p->bad_sig++;
		return BFT_EINVAL;
	}
	switch (m.type) {
	case BFT_MSG_REQUEST: return on_request(n, p, &m, raw_ns);
	case BFT_MSG_RESPONSE: return on_response(n, p, &m, raw_ns);
	default: return on_followup(n, p, &m, raw_ns);
	}
}

size_t bft_node_sources(const bft_node *n, bft_source_info *out, size_t cap)
{
	size_t nsrc = n->cfg.max_refs + n->cfg.n_peers;
	for (size_t i = 0; i < nsrc && i < cap; i++) {
		bool peer = i >= n->cfg.max_refs;
		const struct source *s = peer ? &n->peers[i - n->cfg.max_refs].src : &n->refs[i];
		out[i] = (bft_source_info){
			.is_peer = peer,
			.id = peer ? n->peers[i - n->cfg.max_refs].id : (uint32_t)i,
			.fresh = s->n > 0,
			.used = s->used,
			.age_ns = s->n ? n->last_fuse_raw - nth_newest(s, 0)->raw_ns : 0,
			.offset = s->n ? nth_newest(s, 0)->off : bft_iv(0, 0),
			.point_ns = s->point_ns,
			.delay_ns = s->delay_ns,
			.reach = s->reach,
			.last_rx_raw = s->heard_ever ? s->last_rx_raw : INT64_MIN,
			.bad_sig = peer ? n->peers[i - n->cfg.max_refs].bad_sig : 0,
			.agree_used = peer ? n->peers[i - n->cfg.max_refs].ag_used : 0,
			.agree_trimmed = peer ? n->peers[i - n->cfg.max_refs].ag_trimmed : 0,
		};
		if (!peer) {
			const struct guard *g = &n->guards[i];
			out[i].quarantine = g->q;
			out[i].q_by_ns = g->q_by_ns;
			out[i].suspect = g->suspect;
			out[i].q_since_ns = g->q_since_raw;
			out[i].agreeing_ns = g->q && g->agree_since_raw != INT64_MIN ? n->last_fuse_raw - g->agree_since_raw : 0;
			out[i].quarantines = g->quarantines;
		}
	}
	return nsrc;
}

int bft_node_chain_info_get(const bft_node *n, bft_node_chain_info *out)
{
	if (!n || !out)
		return BFT_EINVAL;
	if (!n->nk) {
		memset(out, 0, sizeof *out);
		return BFT_EINVAL;
	}
	bft_nkn_info(n->nk, out);
	return 0;
}

uint64_t bft_node_chain_miners(const bft_node *n, uint64_t *by_miner, size_t cap, uint64_t diff_range[2])
{
	return n && n->nk && (by_miner || !cap) ? bft_nkn_miners(n->nk, by_miner, cap, diff_range) : 0;
}

uint64_t bft_node_chain_stmts_of(const bft_node *n, const uint8_t *marked, size_t n_bits)
{
	return n && n->nk && (marked || !n_bits) ? bft_nkn_stmts_of(n->nk, marked, n_bits) : 0;
}

int bft_node_chain_work(bft_node *n, int64_t raw_ns, bft_block_hdr *out)
{
	if (!n || !n->nk || !out || !n->started)
		return BFT_EINVAL;
	bft_nkn_now nw;
	nk_now(n, raw_ns, &nw);
	return bft_nkn_work(n->nk, &nw, out);
}

int bft_node_chain_found(bft_node *n, int64_t raw_ns, const bft_block_hdr *h)
{
	if (!n || !n->nk || !h || !n->started)
		return BFT_EINVAL;
	bft_nkn_now nw;
	nk_now(n, raw_ns, &nw);
	return bft_nkn_found(n->nk, &nw, h);
}

uint64_t bft_node_chain_next_difficulty(const bft_node *n)
{
	return n && n->nk ? bft_nkn_next_difficulty(n->nk) : 0;
}

int bft_node_chain_load(bft_node *n, int64_t raw_ns, const uint8_t *buf, size_t len)
{
	if (!n || !n->nk || !buf)
		return BFT_EINVAL;
	bft_nkn_now nw;
	nk_now(n, raw_ns, &nw);
	return bft_nkn_load(n->nk, &nw, buf, len);
}
