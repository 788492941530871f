/* SPDX-License-Identifier: MIT */
/*
 * The Nakamoto chain engine (chain.h, docs/nakamoto.md): block validation,
 * the block tree in caller-owned slots, fork choice by cumulative work,
 * reorganisations, orphans, time-warp-immune retargeting and the consensus
 * correction. Written like core/fusion.c: the caller owns memory, nothing
 * here reads a clock, and every rule says why it is there.
 *
 * Lookups are linear scans over the slots. A node keeps a few hundred
 * blocks (about two retarget periods plus the consensus window), so a scan
 * costs well under the one signature verification per statement that a
 * block costs anyway, and there is no index to keep consistent.
 */
#include "node/chain.h"

#include <string.h>

#include "core/order.h"

typedef bft_nk_work u128;
__extension__ typedef __int128 i128;

static const char *const result_names[] = {
	"best", "side", "orphan", "duplicate",
};
static const char *const reason_names[BFT_NK_NREASONS] = {
	"ok", "format", "work", "difficulty", "height", "timestamp before median of 11",
	"timestamp in the future", "signature", "implausible offset", "stale statement",
	"descends from a refused block", "ancestry forgotten", "orphan too easy", "invalid argument",
};

const char *bft_nk_reason_key(int r)
{
	static const char *const keys[BFT_NK_NREASONS] = {
		"ok",       "format", "work",   "difficulty", "height",   "past",    "future",
		"signature", "implausible", "stale", "parent", "ancestry", "low_work", "invalid",
	};
	return r < 0 && -r < BFT_NK_NREASONS ? keys[-r] : "unknown";
}

const char *bft_nk_strresult(int r)
{
	if (r >= 0 && r <= BFT_NK_DUP)
		return result_names[r];
	if (r < 0 && -r < BFT_NK_NREASONS)
		return reason_names[-r];
	return "unknown";
}

int bft_nk_init(bft_nk_chain *c, const bft_nk_cfg *cfg, bft_nk_entry *slots, size_t n_slots,
                bft_nk_orphan *orphans, size_t n_orphans)
{
	if (!c || !cfg || !slots || (!orphans && n_orphans) || !cfg->signer || cfg->genesis_difficulty == 0 ||
	    cfg->interval_ns <= 0 || cfg->retarget_blocks < 2 || cfg->max_step < 2 || cfg->future_tol_ns < 0 ||
	    cfg->stmt_age_ns < 0 || cfg->agree_ns < 0 || cfg->drift_ppb < 0 || cfg->drift_ppb > BFT_PPB_PER_UNIT ||
	    cfg->window_blocks == 0 || cfg->min_stmts == 0 || n_slots > INT32_MAX ||
	    n_slots < 2 * (size_t)cfg->retarget_blocks + 12)
		return BFT_EINVAL;
	memset(c, 0, sizeof *c);
	c->cfg = *cfg;
	c->slots = slots;
	c->n_slots = n_slots;
	c->orphans = orphans;
	c->n_orphans = n_orphans;
	c->best = -1;
	for (size_t i = 0; i < n_slots; i++)
		slots[i].used = slots[i].untimed = false;
	for (size_t i = 0; i < n_orphans; i++)
		orphans[i].used = false;
	return 0;
}

/* ---- the tree ---- */

/* The index (bft_nk_set_index): a hash's first 4 bytes, for slot i at
 * keys[i], orphan i's hash at keys[n_slots + i] and its parent's at
 * keys[n_slots + n_orphans + i]. Written wherever a slot or an orphan gets
 * its block; an entry given up keeps its key (used is checked on a match). */
static uint32_t key_of(const uint8_t hash[BFT_BLOCK_HASH])
{
	uint32_t k;
	memcpy(&k, hash, sizeof k);
	return k;
}

static void key_slot(bft_nk_chain *c, size_t i)
{
	if (c->keys)
		c->keys[i] = key_of(c->slots[i].hash);
}

static void key_orphan(bft_nk_chain *c, size_t i)
{
	if (c->keys) {
		c->keys[c->n_slots + i] = key_of(c->orphans[i].hash);
		c->keys[c->n_slots + c->n_orphans + i] = key_of(c->orphans[i].b.h.parent);
	}
}

size_t bft_nk_index_len(const bft_nk_chain *c)
{
	return c ? c->n_slots + 2 * c->n_orphans : 0;
}

void bft_nk_set_index(bft_nk_chain *c, uint32_t *keys)
{
	if (!c)
		return;
	c->keys = keys;
	for (size_t i = 0; keys && i < c->n_slots; i++)
		key_slot(c, i);
	for (size_t i = 0; keys && i < c->n_orphans; i++)
		key_orphan(c, i);
}

/* The first used slot holding hash, as a scan of the slots would find it. */
static int32_t find(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	uint32_t k = key_of(hash);
	for (size_t i = 0; i < c->n_slots; i++)
		if ((!c->keys || c->keys[i] == k) && c->slots[i].used &&
		    memcmp(c->slots[i].hash, hash, BFT_BLOCK_HASH) == 0)
			return (int32_t)i;
	return -2;
}

/* The ring entry of a refused block, or NULL. */
static const struct bft_nk_bad *find_bad(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	for (unsigned i = 0; i < c->bad_count; i++)
		if (memcmp(c->bad[i].hash, hash, BFT_BLOCK_HASH) == 0)
			return &c->bad[i];
	return NULL;
}

static void mark_bad(bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], bool implausible, u128 work)
{
	struct bft_nk_bad *e = &c->bad[c->bad_next];
	memcpy(e->hash, hash, BFT_BLOCK_HASH);
	e->implausible = implausible;
	e->work = work;
	c->bad_next = (c->bad_next + 1) % 64;
	if (c->bad_count < 64)
		c->bad_count++;
	if (implausible && work > c->implausible_work)
		c->implausible_work = work;
}

void bft_nk_forget_refusals(bft_nk_chain *c)
{
	if (!c)
		return;
	c->bad_count = c->bad_next = 0;
	c->implausible_work = 0;
}

/* Height, time, difficulty and work of a slot, or of genesis for -1. */
static uint64_t height_of(const bft_nk_chain *c, int32_t i)
{
	return i < 0 ? 0 : c->slots[i].h.height;
}
static int64_t time_of(const bft_nk_chain *c, int32_t i)
{
	return i < 0 ? c->cfg.genesis_time_ns : c->slots[i].h.time_ns;
}
static uint64_t diff_of(const bft_nk_chain *c, int32_t i)
{
	return i < 0 ? c->cfg.genesis_difficulty : c->slots[i].h.difficulty;
}
static u128 work_of(const bft_nk_chain *c, int32_t i)
{
	return i < 0 ? 0 : c->slots[i].work;
}
static const uint8_t *hash_of(const bft_nk_chain *c, int32_t i)
{
	return i < 0 ? c->cfg.genesis : c->slots[i].hash;
}

/* A forgotten block's archive entry (NULL: not there). */
static const bft_nk_arch *arch_entry(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	for (size_t k = 0; k < c->n_arch; k++)
		if (c->arch[k].used && memcmp(c->arch[k].hash, hash, BFT_BLOCK_HASH) == 0)
			return &c->arch[k];
	return NULL;
}

/* The header of a forgotten block, from the archive (NULL: not there). */
static const bft_block_hdr *archived(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	const bft_nk_arch *a = arch_entry(c, hash);
	return a ? &a->h : NULL;
}

/* A cursor up a block's ancestry: slot i (-1: genesis) or, past a block
 * the tree forgot, the archived header h. */
struct up {
	int32_t i;
	const bft_block_hdr *h;
};

static int64_t up_time(const bft_nk_chain *c, const struct up *u)
{
	return u->h ? u->h->time_ns : time_of(c, u->i);
}

/* To the parent: false at genesis, or when the parent is in neither the
 * tree nor the archive. */
static bool up_step(const bft_nk_chain *c, struct up *u)
{
	const uint8_t *p;
	if (u->h) {
		p = u->h->parent;
	} else if (u->i == -1) {
		return false;
	} else if (c->slots[u->i].parent >= -1) {
		u->i = c->slots[u->i].parent;
		return true;
	} else {
		p = c->slots[u->i].h.parent;
	}
	int32_t s = memcmp(p, c->cfg.genesis, BFT_BLOCK_HASH) == 0 ? -1 : find(c, p);
	if (s >= -1) {
		u->i = s;
		u->h = NULL;
		return true;
	}
	u->h = archived(c, p);
	return u->h != NULL;
}

/*
 * The timestamp of the block k blocks back from slot i (-1: genesis): up
 * the tree's parents and, past a block the tree forgot, the archive of the
 * headers it forgot (each validated here while it was in the tree). -1
 * when an ancestor is in neither, or k reaches past genesis. A line that
 * joins the tree at its lowest blocks needs this at its retarget heights:
 * the tree gives up its lowest blocks first, the line's retarget
 * ancestors among them (seen in a run of the simulator's eclipse in which
 * the eclipsed node's own chain had grown to fill its tree: it refused the
 * heavier line at its first retarget height and stayed on its own).
 */
static int ancestor_time(const bft_nk_chain *c, int32_t i, uint64_t k, int64_t *t)
{
	struct up u = { i, NULL };
	for (; k > 0; k--)
		if (!up_step(c, &u))
			return -1;
	*t = up_time(c, &u);
	return 0;
}

/* Median of the timestamps of block i and up to 10 ancestors (genesis
 * counts as one), Bitcoin's median time past: up the tree and, past a
 * block it forgot, the archive, as ancestor_time walks (a line joined at
 * a forgotten parent was judged against as few as its own 1-3 blocks,
 * where a node holding the whole ancestry judged it against 11: found by
 * review). Ancestors in neither leave fewer. */
static int64_t mtp(const bft_nk_chain *c, int32_t i)
{
	int64_t t[11] = { 0 };
	size_t n = 0;
	struct up u = { i, NULL };
	do
		t[n++] = up_time(c, &u);
	while (n < 11 && up_step(c, &u));
	for (size_t a = 1; a < n; a++) /* insertion sort: at most 11 */
		for (size_t b = a; b > 0 && t[b - 1] > t[b]; b--) {
			int64_t x = t[b];
			t[b] = t[b - 1];
			t[b - 1] = x;
		}
	return n ? t[n / 2] : INT64_MIN; /* a forgotten block: no constraint left to apply */
}

/*
 * The difficulty a child of block p must carry. Heights 1..N use genesis
 * difficulty; height pN + 1 retargets from the span ts(pN) - ts((p-1)N)
 * that the previous N blocks took: D' = D (N - 1) interval / span, the span
 * clamped so that D' is within a factor max_step of D either way. Blocks
 * are found as a Poisson process, so the span is a sum of N exponential
 * gaps, and (N - 1) / span, not N / span, is the unbiased estimate of their
 * rate (E[1 / Gamma(N)] = 1 / (N - 1)): with N, as Bitcoin has it
 * (negligible at 2016), the difficulty settled N / (N - 1) too high and
 * blocks came that much slower than the interval, 8/7 with 8-block periods
 * (docs/nakamoto.md).
 *
 * Time-warp immunity: consecutive spans share their endpoint block (the
 * period's last block is the next period's first reference), so the spans
 * telescope: their sum is ts(last) - genesis_time, which the future rule
 * keeps within future_tol of real time. Bitcoin's periods do not share
 * endpoints (the off-by-one), which is what lets a majority reset its
 * lagging timestamps every period and lower the difficulty without bound.
 * The lower clamp (span >= expected / max_step) can only raise difficulty.
 * Returns 0 when an ancestor is forgotten.
 */
static uint64_t next_difficulty(const bft_nk_chain *c, int32_t p)
{
	uint64_t N = c->cfg.retarget_blocks, h = height_of(c, p) + 1;
	uint64_t d = diff_of(c, p);
	if (h == 1 || (h - 1) % N != 0)
		return d;
	int64_t t0;
	if (ancestor_time(c, p, N, &t0) != 0)
		return 0;
	i128 expected = (i128)(N - 1) * c->cfg.interval_ns;
	i128 span = (i128)time_of(c, p) - t0;
	i128 lo = expected / c->cfg.max_step, hi = expected * c->cfg.max_step;
	if (lo < 1)
		lo = 1;
	span = span < lo ? lo : span > hi ? hi : span;
	u128 nd = (u128)d * (u128)expected / (u128)span;
	/* At most max_step either way, after the roundings too: the span's
	 * lower clamp is a truncated division, and at it d * expected / span
	 * came out a little above d * max_step (found by review). */
	u128 floor_d = ((u128)d + c->cfg.max_step - 1) / c->cfg.max_step, ceil_d = (u128)d * c->cfg.max_step;
	if (nd < floor_d)
		nd = floor_d;
	if (nd > ceil_d)
		nd = ceil_d;
	if (nd == 0)
		nd = 1;
	return nd > UINT64_MAX ? UINT64_MAX : (uint64_t)nd;
}

/* Free a slot for a new block: the lowest one, side chains first at equal
 * height, never the best tip nor keep (the new block's parent). Its
 * children forget their parent. */
static int32_t take_slot(bft_nk_chain *c, int32_t keep)
{
	int32_t victim = -1;
	for (size_t i = 0; i < c->n_slots; i++) {
		if (!c->slots[i].used)
			return (int32_t)i;
		if ((int32_t)i == c->best || (int32_t)i == keep)
			continue;
		if (victim < 0 || c->slots[i].h.height < c->slots[victim].h.height)
			victim = (int32_t)i;
	}
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].used && c->slots[i].parent == victim)
			c->slots[i].parent = -2;
	/* A header taken back from the archive (reseat) is usually still
	 * there: not written twice. */
	if (c->n_arch && !(c->slots[victim].pruned && arch_entry(c, c->slots[victim].hash))) {
		bft_nk_arch *a = &c->arch[c->arch_next];
		a->used = true;
		a->h = c->slots[victim].h;
		memcpy(a->hash, c->slots[victim].hash, BFT_BLOCK_HASH);
		a->work = c->slots[victim].work;
		c->arch_next = (c->arch_next + 1) % c->n_arch;
	}
	c->n_untimed -= c->slots[victim].untimed;
	c->slots[victim].used = c->slots[victim].untimed = false;
	c->st.evicted++;
	return victim;
}

/* ---- validity ---- */

static const bft_nk_meas *own_meas(const bft_nk_view *v, const bft_cref *ref)
{
	for (size_t i = 0; i < v->n_meas; i++)
		if (bft_cref_equal(&v->meas[i].ref, ref))
			return &v->meas[i];
	return NULL;
}

static i128 absdiff(int64_t a, int64_t b)
{
	i128 d = (i128)a - b;
	return d < 0 ? -d : d;
}

/* How far an honest offset may move between times a and b at drift_ppb
 * (>= 0): |a - b| * drift / 10^9, truncated. In 64 bits while the product
 * fits (ages under 5 hours at 1000 ppm, 21 days at 10 ppm), the same
 * quotient without a 128-bit division: the consensus asks it of every
 * statement at every fusion (test_chain, test_consensus_widths). */
static i128 drift_between(int64_t a, int64_t b, int64_t drift_ppb)
{
	int64_t d;
	uint64_t prod;
	if (!__builtin_sub_overflow(a, b, &d) &&
	    !__builtin_mul_overflow(d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d, (uint64_t)drift_ppb, &prod))
		return (i128)(prod / (uint64_t)BFT_PPB_PER_UNIT);
	return absdiff(a, b) * drift_ppb / BFT_PPB_PER_UNIT;
}

bool bft_nk_plausible(const bft_nk_cfg *cfg, const bft_nk_stmt *s, const bft_nk_meas *m)
{
	/* Both offsets move by at most drift between their measurement times;
	 * honest clocks differ by at most agree; each reading is off by at most
	 * its uncertainty. All terms are bounded (chain_wire.h), so i128 is exact. */
	i128 bound = (i128)s->unc_ns + m->unc_ns + cfg->agree_ns + drift_between(s->local_ns, m->local_ns, cfg->drift_ppb);
	return absdiff(s->offset_ns, m->offset_ns) <= bound;
}

static void to_nk(bft_nk_stmt *o, const bft_stmt *s)
{
	o->node_id = s->node_id;
	o->ref = s->ref;
	o->offset_ns = s->offset_ns;
	o->unc_ns = s->unc_ns;
	o->local_ns = s->local_ns;
}

/* The statement rules, shared by validation and the miner's template. */
static int stmt_check(const bft_nk_chain *c, const bft_stmt *s, int64_t block_time, const bft_nk_view *v,
                      bool *unverifiable)
{
	if ((i128)s->local_ns < (i128)block_time - c->cfg.stmt_age_ns ||
	    (i128)s->local_ns > (i128)block_time + c->cfg.future_tol_ns)
		return BFT_NK_ESTALE;
	if (bft_stmt_verify(s, c->cfg.signer) != 0)
		return BFT_NK_ESIG;
	const bft_nk_meas *m = own_meas(v, &s->ref);
	*unverifiable = !m;
	if (m) {
		bft_nk_stmt k;
		to_nk(&k, s);
		if (!bft_nk_plausible(&c->cfg, &k, m))
			return BFT_NK_EIMPLAUSIBLE;
	}
	return 0;
}

/* Every rule that needs the parent (slot p) and the view. */
static int validate(bft_nk_chain *c, const bft_block_hdr *h, const bft_stmt *stmts, int32_t p, const bft_nk_view *v,
                    size_t *unverifiable)
{
	if (h->height != height_of(c, p) + 1)
		return BFT_NK_EHEIGHT;
	uint64_t need = next_difficulty(c, p);
	if (need == 0)
		return BFT_NK_EANCESTRY;
	if (h->difficulty != need)
		return BFT_NK_EDIFF;
	if (h->time_ns <= mtp(c, p))
		return BFT_NK_EPAST;
	if (v->true_hi_ns != INT64_MAX && (i128)h->time_ns > (i128)v->true_hi_ns + c->cfg.future_tol_ns)
		return BFT_NK_EFUTURE;
	*unverifiable = 0;
	for (size_t i = 0; stmts && i < h->n_stmts; i++) {
		bool unv = false;
		int rc = stmt_check(c, &stmts[i], h->time_ns, v, &unv);
		if (rc < 0)
			return rc;
		*unverifiable += unv;
	}
	return 0;
}

/* Whether slot a is an ancestor of (or equal to) slot d. */
static bool descends(const bft_nk_chain *c, int32_t d, int32_t a)
{
	uint64_t ha = height_of(c, a);
	while (d >= 0 && height_of(c, d) > ha)
		d = c->slots[d].parent;
	return d == a;
}

/* A block walked down to: a slot, or a forgotten one by its archived
 * header (slot -2). */
struct cursor {
	int32_t slot;
	uint64_t height;
	const uint8_t *hash, *parent;
};

static struct cursor at_slot(const bft_nk_chain *c, int32_t i)
{
	return (struct cursor){ i, height_of(c, i), hash_of(c, i), i >= 0 ? c->slots[i].h.parent : NULL };
}

/* Its parent, in the tree or the archive; false at genesis or when neither
 * holds it. */
static bool step_down(const bft_nk_chain *c, struct cursor *k)
{
	if (k->slot == -1)
		return false;
	if (k->slot >= 0 && c->slots[k->slot].parent >= -1) {
		*k = at_slot(c, c->slots[k->slot].parent);
		return true;
	}
	if (memcmp(k->parent, c->cfg.genesis, BFT_BLOCK_HASH) == 0) {
		*k = at_slot(c, -1);
		return true;
	}
	int32_t p = find(c, k->parent);
	if (p >= 0) {
		*k = at_slot(c, p);
		return true;
	}
	const bft_nk_arch *a = arch_entry(c, k->parent);
	if (!a)
		return false;
	*k = (struct cursor){ -2, a->h.height, a->hash, a->h.parent };
	return true;
}

/* The height of the last common block of slots x and y, down the tree and
 * the archive (0 if only genesis joins them, or their ancestry is
 * forgotten: the depth of a reorganisation is then counted from genesis,
 * an upper bound). At most the two chains' depths in steps, each a lookup:
 * a reorganisation is rare. */
static uint64_t fork_height(const bft_nk_chain *c, int32_t x, int32_t y)
{
	struct cursor a = at_slot(c, x), b = at_slot(c, y);
	while (memcmp(a.hash, b.hash, BFT_BLOCK_HASH) != 0) {
		if (!(a.height >= b.height ? step_down(c, &a) : step_down(c, &b)))
			return 0;
	}
	return a.height;
}

static void set_best(bft_nk_chain *c, int32_t n)
{
	int32_t old = c->best;
	c->st.best_changes++;
	if (old >= 0 && !descends(c, n, old)) {
		uint64_t depth = height_of(c, old) - fork_height(c, old, n);
		c->st.reorgs++;
		if (depth > c->st.max_reorg_depth)
			c->st.max_reorg_depth = depth;
	}
	c->best = n;
}

static int reject(bft_nk_chain *c, int rc, const uint8_t hash[BFT_BLOCK_HASH])
{
	c->st.rejected[-rc]++;
	/* Refusals that may pass later or on a re-send (future timestamp,
	 * forgotten ancestry, too little work for the tip of the moment) are
	 * not remembered, nor a failed proof of work: checking it again costs
	 * the one hash already made, and remembering it would let anyone flush
	 * the ring with blocks that cost nothing (found by review: a valid
	 * block first refused as a too-easy orphan was refused for good, with
	 * its descendants). Implausible ones are, with their work, by the
	 * caller. */
	if (rc != BFT_NK_EFUTURE && rc != BFT_NK_EIMPLAUSIBLE && rc != BFT_NK_EANCESTRY && rc != BFT_NK_EINVAL &&
	    rc != BFT_NK_ELOWORK && rc != BFT_NK_EWORK)
		mark_bad(c, hash, false, 0);
	return rc;
}

/* An implausible block (or a descendant of one) claiming work `work`. */
static int reject_implausible(bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], u128 work)
{
	if (work > work_of(c, c->best))
		c->st.implausible_heavier++;
	mark_bad(c, hash, true, work);
	return reject(c, BFT_NK_EIMPLAUSIBLE, hash);
}

/* Add a block whose parent is known (slot p); stmts NULL: its header
 * alone (pruned). */
static int connect(bft_nk_chain *c, const bft_block_hdr *h, const bft_stmt *stmts, const uint8_t hash[BFT_BLOCK_HASH],
                   int32_t p, const bft_nk_view *v)
{
	size_t unv = 0;
	int rc = validate(c, h, stmts, p, v, &unv);
	if (rc == BFT_NK_EIMPLAUSIBLE)
		return reject_implausible(c, hash, work_of(c, p) + h->difficulty);
	if (rc < 0)
		return reject(c, rc, hash);
	c->st.unverifiable += unv;
	/* The parent is never the slot given up: when it was the lowest block
	 * of a full tree, the new block forgot its ancestry and its work began
	 * again at its own difficulty, and so did that of every block
	 * connected above it (test_chain: test_parent_kept_in_full_tree). */
	int32_t s = take_slot(c, p);
	bft_nk_entry *e = &c->slots[s];
	e->used = true;
	e->pruned = !stmts;
	e->unverified = unv > 0;
	e->untimed = v->true_hi_ns == INT64_MAX;
	c->n_untimed += e->untimed;
	e->dropped = false;
	e->parent = p;
	e->h = *h;
	memcpy(e->hash, hash, BFT_BLOCK_HASH);
	key_slot(c, (size_t)s);
	e->work = (p >= -1 ? work_of(c, p) : 0) + h->difficulty;
	e->n_stmts = stmts ? h->n_stmts : 0;
	for (size_t i = 0; i < e->n_stmts; i++)
		to_nk(&e->stmts[i], &stmts[i]);
	c->st.accepted++;
	c->st.headers += !stmts;
	/* Most work wins; at equal work the first seen stays (Bitcoin's rule). */
	if (e->work > work_of(c, c->best)) {
		set_best(c, s);
		return BFT_NK_BEST;
	}
	return BFT_NK_SIDE;
}

static void expire_orphans(bft_nk_chain *c, int64_t now_ns)
{
	for (size_t i = 0; i < c->n_orphans; i++)
		if (c->orphans[i].used && (i128)now_ns - c->orphans[i].received_ns > c->cfg.orphan_ttl_ns) {
			c->orphans[i].used = false;
			c->st.orphans_expired++;
		}
}

/* The held orphan whose hash (by_parent: whose parent) is hash, or NULL. */
static const bft_nk_orphan *orphan_with(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], bool by_parent)
{
	uint32_t k = key_of(hash);
	const uint32_t *keys = c->keys ? c->keys + c->n_slots + (by_parent ? c->n_orphans : 0) : NULL;
	for (size_t i = 0; i < c->n_orphans; i++)
		if ((!keys || keys[i] == k) && c->orphans[i].used &&
		    memcmp(by_parent ? c->orphans[i].b.h.parent : c->orphans[i].hash, hash, BFT_BLOCK_HASH) == 0)
			return &c->orphans[i];
	return NULL;
}

static bool orphan_known(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	return orphan_with(c, hash, false) != NULL;
}

bool bft_nk_known(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	return c && hash && (find(c, hash) >= 0 || orphan_known(c, hash));
}

/* Each walk takes at most n_orphans steps: a line is no longer than the
 * pool (and a cycle of hashes would need a hash collision). */
const uint8_t *bft_nk_line_missing(const bft_nk_chain *c, const uint8_t parent[BFT_BLOCK_HASH])
{
	const uint8_t *h = parent;
	const bft_nk_orphan *o;
	for (size_t n = 0; c && n < c->n_orphans && (o = orphan_with(c, h, false)) != NULL; n++)
		h = o->b.h.parent;
	return h;
}

uint64_t bft_nk_line_top(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH])
{
	uint64_t top = 0;
	const uint8_t *want = hash;
	const bft_nk_orphan *o;
	for (size_t n = 0; c && n < c->n_orphans && (o = orphan_with(c, want, true)) != NULL; n++) {
		top = o->b.h.height;
		want = o->hash;
	}
	return top;
}

static int hold_orphan(bft_nk_chain *c, const bft_block_hdr *h, const bft_stmt *stmts,
                       const uint8_t hash[BFT_BLOCK_HASH], const bft_nk_view *v)
{
	/* Anyone can make easy blocks with made-up parents; only blocks at
	 * least as hard as the tip's child allows, divided by two retarget
	 * steps, may occupy the pool. */
	uint64_t need = next_difficulty(c, c->best);
	uint64_t floor_d = need / ((uint64_t)c->cfg.max_step * c->cfg.max_step);
	if (h->difficulty < floor_d)
		return reject(c, BFT_NK_ELOWORK, hash);
	/* A full pool gives up its highest orphan for a lower one, else its
	 * oldest. A node fetching a line longer than the pool downwards (one
	 * block per round trip, each the parent of the last) keeps the bottom,
	 * which is what joins the tree; the blocks above come again with the
	 * next pass. Dropping the oldest kept the top and lost the bottom, so a
	 * line longer than the pool never joined (the simulator's eclipsed
	 * node: 57 blocks against 32 orphans). */
	size_t slot = c->n_orphans, oldest = c->n_orphans, highest = c->n_orphans;
	for (size_t i = 0; i < c->n_orphans; i++) {
		if (!c->orphans[i].used) {
			slot = i;
			break;
		}
		if (oldest == c->n_orphans || c->orphans[i].received_ns < c->orphans[oldest].received_ns)
			oldest = i;
		if (highest == c->n_orphans || c->orphans[i].b.h.height > c->orphans[highest].b.h.height)
			highest = i;
	}
	if (slot == c->n_orphans) {
		if (oldest == c->n_orphans) { /* no pool at all */
			c->st.orphans_dropped++;
			return BFT_NK_ORPHAN;
		}
		slot = c->orphans[highest].b.h.height > h->height ? highest : oldest;
		c->st.orphans_dropped++;
	}
	bft_nk_orphan *o = &c->orphans[slot];
	o->used = true;
	o->pruned = !stmts;
	o->received_ns = v->now_ns;
	o->b.h = *h;
	for (size_t i = 0; stmts && i < h->n_stmts; i++)
		o->b.stmts[i] = stmts[i];
	memcpy(o->hash, hash, BFT_BLOCK_HASH);
	key_orphan(c, slot);
	c->st.orphans_held++;
	return BFT_NK_ORPHAN;
}

/* Connect every orphan whose parent is now known, until none is. */
static void adopt_orphans(bft_nk_chain *c, const bft_nk_view *v)
{
	bool again = true;
	while (again) {
		again = false;
		for (size_t i = 0; i < c->n_orphans; i++) {
			bft_nk_orphan *o = &c->orphans[i];
			if (!o->used)
				continue;
			int32_t p = memcmp(o->b.h.parent, c->cfg.genesis, BFT_BLOCK_HASH) == 0 ? -1 : find(c, o->b.h.parent);
			const struct bft_nk_bad *bad = find_bad(c, o->b.h.parent);
			if (p < -1 && !bad)
				continue;
			o->used = false;
			if (bad) {
				if (bad->implausible)
					reject_implausible(c, o->hash, bad->work + o->b.h.difficulty);
				else
					reject(c, BFT_NK_EPARENT, o->hash);
				continue;
			}
			c->st.orphans_adopted++;
			connect(c, &o->b.h, o->pruned ? NULL : o->b.stmts, o->hash, p, v);
			again = true;
		}
	}
}

/* The lowest height the tree holds or its archive remembers (0 when
 * both are empty): a line that joins anything this node knows joins above
 * it. */
static uint64_t lowest_known(const bft_nk_chain *c)
{
	uint64_t lo = 0;
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].used && (lo == 0 || c->slots[i].h.height < lo))
			lo = c->slots[i].h.height;
	for (size_t i = 0; i < c->n_arch; i++)
		if (c->arch[i].used && (lo == 0 || c->arch[i].h.height < lo))
			lo = c->arch[i].h.height;
	return lo;
}

/*
 * The slot of a new block's parent: genesis (-1), a block of the tree, or
 * a forgotten one the archive remembers, put back into the tree as a
 * header with the cumulative work it had; -2 when none. A line forking
 * below the tree's lowest block (the lighter side of a partition longer
 * than the slots) can only join there: before, it could not join at all
 * and the two sides kept their own chains after the partition healed
 * (bftime-sim, 7 nodes, 10 s blocks, cut for 30 minutes: two tips to the
 * end, 537 headers refused). Its ancestors for the median time past are
 * those the tree still links (at least itself; ancestor_time reads the
 * archive for retargets); the work is what the header then had, which this
 * node computed itself. Only a block as hard as an orphan must be joins so
 * (hold_orphan's floor; else -3): blocks forked from an old, easy part of
 * the chain would otherwise cost little and, evicted in turn, flush the
 * archive that catch-up needs.
 */
static int32_t parent_slot(bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], uint64_t difficulty)
{
	if (memcmp(hash, c->cfg.genesis, BFT_BLOCK_HASH) == 0)
		return -1;
	int32_t p = find(c, hash);
	if (p >= 0)
		return p;
	const bft_nk_arch *a = arch_entry(c, hash);
	if (!a)
		return -2;
	if (difficulty < next_difficulty(c, c->best) / ((uint64_t)c->cfg.max_step * c->cfg.max_step))
		return -3;
	bft_nk_arch keep = *a; /* take_slot may archive over it */
	int32_t s = take_slot(c, -1);
	bft_nk_entry *e = &c->slots[s];
	e->used = true;
	e->pruned = true;
	e->unverified = false;
	e->untimed = false; /* from the archive: judged when it first came */
	e->dropped = false;
	e->parent = memcmp(keep.h.parent, c->cfg.genesis, BFT_BLOCK_HASH) == 0 ? -1 : find(c, keep.h.parent);
	e->h = keep.h;
	memcpy(e->hash, keep.hash, BFT_BLOCK_HASH);
	key_slot(c, (size_t)s);
	e->work = keep.work;
	e->n_stmts = 0;
	c->st.reseated++;
	return s;
}

/* bft_nk_add (stmts: the block's) and bft_nk_add_header (stmts NULL);
 * fmt: the codec's verdict on the block or header. */
static int add(bft_nk_chain *c, const bft_block_hdr *h, const bft_stmt *stmts, int fmt, const bft_nk_view *v)
{
	bool pruned = !stmts;
	if (!c || !h || !v || (!v->meas && v->n_meas)) {
		if (c)
			c->st.rejected[-BFT_NK_EINVAL]++;
		return BFT_NK_EINVAL;
	}
	expire_orphans(c, v->now_ns);
	uint8_t hash[BFT_BLOCK_HASH];
	if (fmt != 0 || bft_block_hash(hash, h) != 0) {
		c->st.rejected[-BFT_NK_EFORMAT]++;
		return BFT_NK_EFORMAT;
	}
	if (find(c, hash) >= 0 || orphan_known(c, hash)) {
		c->st.duplicates++;
		return BFT_NK_DUP;
	}
	if (find_bad(c, hash)) {
		c->st.duplicates++;
		return BFT_NK_EPARENT;
	}
	/* Work first: it is the cheap check that makes every other one (and
	 * every byte of storage) cost the sender real hashing. */
	if (!bft_work_meets(hash, h->difficulty))
		return reject(c, BFT_NK_EWORK, hash);
	/* Below the tree a header could join nothing the node holds, and
	 * fetching its parent in turn would walk the peers' archives down to
	 * their ends: refused, not remembered. */
	if (pruned && h->height <= lowest_known(c))
		return reject(c, BFT_NK_EANCESTRY, hash);
	const struct bft_nk_bad *bad = find_bad(c, h->parent);
	if (bad && bad->implausible)
		return reject_implausible(c, hash, bad->work + h->difficulty);
	if (bad)
		return reject(c, BFT_NK_EPARENT, hash);
	int32_t p = parent_slot(c, h->parent, h->difficulty);
	if (p == -3)
		return reject(c, BFT_NK_ELOWORK, hash);
	if (p < -1)
		return hold_orphan(c, h, stmts, hash, v);
	int rc = connect(c, h, stmts, hash, p, v);
	if (rc >= 0)
		adopt_orphans(c, v);
	return rc;
}

int bft_nk_add(bft_nk_chain *c, const bft_block *b, const bft_nk_view *v)
{
	return add(c, b ? &b->h : NULL, b ? b->stmts : NULL, b ? bft_block_check(b) : 0, v);
}

int bft_nk_add_header(bft_nk_chain *c, const bft_block_hdr *h, const bft_nk_view *v)
{
	return add(c, h, NULL, h ? bft_block_hdr_check(h) : 0, v);
}

/* Whether every statement of slot i has a measurement in v (*judged) and
 * whether one is implausible against it. */
static bool implausible_now(const bft_nk_chain *c, int32_t i, const bft_nk_view *v, bool *judged)
{
	const bft_nk_entry *e = &c->slots[i];
	*judged = true;
	for (size_t k = 0; k < e->n_stmts; k++) {
		const bft_nk_meas *m = own_meas(v, &e->stmts[k].ref);
		if (!m)
			*judged = false;
		else if (!bft_nk_plausible(&c->cfg, &e->stmts[k], m))
			return true;
	}
	return false;
}

/* Drop every slot marked dropped with every block above it; the best tip
 * moves to the heaviest block left. implausible: each is remembered as an
 * implausible refusal (bft_nk_recheck), else counted a future one and not
 * remembered (bft_nk_recheck_time). Returns the number dropped. */
static int drop_marked(bft_nk_chain *c, bool implausible)
{
	/* Everything above a dropped block goes with it: parents before
	 * children by height, one pass per height would do; a pass over the
	 * slots until nothing changes is as short here (rare, and a few
	 * hundred slots). */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < c->n_slots; i++) {
			bft_nk_entry *e = &c->slots[i];
			if (e->used && !e->dropped && e->parent >= 0 && c->slots[e->parent].dropped) {
				e->dropped = true;
				more = true;
			}
		}
	}
	/* The heaviest block left is the best: the old tip if it stays (it
	 * was the heaviest), else at equal work the lower slot, for
	 * determinism (arrival order is not kept). */
	int32_t best = c->best >= 0 && !c->slots[c->best].dropped ? c->best : -1;
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].used && !c->slots[i].dropped && c->slots[i].work > work_of(c, best))
			best = (int32_t)i;
	if (best != c->best)
		set_best(c, best); /* before the slots go: it measures the reorganisation on them */
	int n = 0;
	for (size_t i = 0; i < c->n_slots; i++) {
		bft_nk_entry *e = &c->slots[i];
		if (!e->used || !e->dropped)
			continue;
		if (implausible) {
			if (e->work > work_of(c, c->best))
				c->st.implausible_heavier++;
			mark_bad(c, e->hash, true, e->work);
			c->st.rejected[-BFT_NK_EIMPLAUSIBLE]++;
		} else {
			c->st.rejected[-BFT_NK_EFUTURE]++;
		}
		c->st.rechecked_out++;
		c->n_untimed -= e->untimed;
		e->used = e->dropped = e->untimed = false;
		n++;
	}
	return n;
}

int bft_nk_recheck(bft_nk_chain *c, const bft_nk_view *v)
{
	if (!c || !v || (!v->meas && v->n_meas))
		return BFT_EINVAL;
	if (v->n_meas == 0)
		return 0;
	bool any = false;
	for (size_t i = 0; i < c->n_slots; i++) {
		bft_nk_entry *e = &c->slots[i];
		if (!e->used || !e->unverified)
			continue;
		bool judged;
		e->dropped = implausible_now(c, (int32_t)i, v, &judged);
		e->unverified = !judged && !e->dropped;
		any |= e->dropped;
	}
	return any ? drop_marked(c, true) : 0;
}

int bft_nk_recheck_time(bft_nk_chain *c, int64_t true_hi_ns)
{
	if (!c || true_hi_ns == INT64_MAX)
		return c ? 0 : BFT_EINVAL;
	bool any = false;
	for (size_t i = 0; i < c->n_slots && c->n_untimed; i++) {
		bft_nk_entry *e = &c->slots[i];
		if (!e->used || !e->untimed)
			continue;
		e->dropped = (i128)e->h.time_ns > (i128)true_hi_ns + c->cfg.future_tol_ns;
		if (!e->dropped) {
			e->untimed = false;
			c->n_untimed--;
		}
		any |= e->dropped;
	}
	return any ? drop_marked(c, false) : 0;
}

bool bft_nk_untimed(const bft_nk_chain *c)
{
	return c && c->n_untimed > 0;
}

void bft_nk_set_archive(bft_nk_chain *c, bft_nk_arch *arch, size_t n)
{
	if (!c)
		return;
	c->arch = n ? arch : NULL;
	c->n_arch = arch ? n : 0;
	c->arch_next = 0;
	for (size_t i = 0; i < c->n_arch; i++)
		arch[i].used = false;
}

int bft_nk_header(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], bft_block_hdr *out)
{
	if (!c || !hash || !out)
		return BFT_EINVAL;
	int32_t i = find(c, hash);
	if (i >= 0) {
		*out = c->slots[i].h;
		return 0;
	}
	const bft_block_hdr *h = archived(c, hash);
	if (!h)
		return BFT_EEMPTY;
	*out = *h;
	return 0;
}

int bft_nk_best(const bft_nk_chain *c, bft_nk_tip *out)
{
	if (!c || !out)
		return BFT_EINVAL;
	out->height = height_of(c, c->best);
	memcpy(out->hash, hash_of(c, c->best), BFT_BLOCK_HASH);
	out->time_ns = time_of(c, c->best);
	out->difficulty = diff_of(c, c->best);
	out->next_difficulty = next_difficulty(c, c->best);
	out->mtp_ns = mtp(c, c->best);
	out->work = work_of(c, c->best);
	out->outworked_by_implausible = c->implausible_work > out->work;
	return 0;
}

/* ---- mining ---- */

static int cmp_newest_first(const bft_stmt *a, const bft_stmt *b)
{
	return a->local_ns > b->local_ns ? -1 : a->local_ns < b->local_ns ? 1 : bft_stmt_cmp(a, b);
}

static void sort_stmts(bft_stmt *s, size_t n, int (*cmp)(const bft_stmt *, const bft_stmt *))
{
	/* Insertion sort: at most a few hundred candidates per block. */
	for (size_t a = 1; a < n; a++) {
		bft_stmt x = s[a];
		size_t b = a;
		for (; b > 0 && cmp(&s[b - 1], &x) > 0; b--)
			s[b] = s[b - 1];
		s[b] = x;
	}
}

int bft_nk_template(const bft_nk_chain *c, bft_block *out, uint32_t miner_id, int64_t time_ns,
                    const bft_stmt *cand, size_t n_cand, const bft_nk_view *v)
{
	if (!c || !out || !v || (!cand && n_cand))
		return BFT_NK_EINVAL;
	memset(&out->h, 0, sizeof out->h);
	out->h.version = BFT_BLOCK_VERSION;
	out->h.miner_id = miner_id;
	out->h.height = height_of(c, c->best) + 1;
	memcpy(out->h.parent, hash_of(c, c->best), BFT_BLOCK_HASH);
	int64_t m = mtp(c, c->best);
	out->h.time_ns = time_ns > m ? time_ns : m + 1;
	out->h.difficulty = next_difficulty(c, c->best);
	if (out->h.difficulty == 0)
		return BFT_NK_EANCESTRY;
	/* Keep what this node would accept, newest first, one per (node, ref). */
	size_t n = 0;
	for (size_t i = 0; i < n_cand; i++) {
		bool unv;
		if (!bft_stmt_valid(&cand[i]) || stmt_check(c, &cand[i], out->h.time_ns, v, &unv) != 0)
			continue;
		size_t j = 0;
		for (; j < n; j++)
			if (out->stmts[j].node_id == cand[i].node_id && bft_cref_equal(&out->stmts[j].ref, &cand[i].ref))
				break;
		if (j < n) {
			if (cand[i].local_ns > out->stmts[j].local_ns)
				out->stmts[j] = cand[i];
			continue;
		}
		if (n < BFT_BLOCK_MAX_STMTS) {
			out->stmts[n++] = cand[i];
			continue;
		}
		/* Full: replace the oldest if this one is newer. */
		sort_stmts(out->stmts, n, cmp_newest_first);
		if (cand[i].local_ns > out->stmts[n - 1].local_ns)
			out->stmts[n - 1] = cand[i];
	}
	sort_stmts(out->stmts, n, bft_stmt_cmp);
	out->h.n_stmts = (uint8_t)n;
	if (bft_block_seal(out) != 0)
		return BFT_NK_EINVAL;
	return (int)n;
}

/* ---- the consensus correction ---- */

struct item {
	uint32_t node;
	int64_t offset_ns, unc_ns, local_ns;
};

/* The node table of bft_nk_consensus: a power of two, twice the items at
 * most in it, so a probe ends at a free slot. */
#define NODE_TAB (2 * BFT_NK_WINDOW_MAX)

/* node's slot in tab: where it is, or the free one where it goes. */
static size_t node_slot(const uint16_t *tab, const struct item *it, uint32_t node)
{
	size_t t = (size_t)((node * UINT32_C(2654435761)) >> 22) & (NODE_TAB - 1);
	while (tab[t] && it[tab[t] - 1].node != node)
		t = (t + 1) & (NODE_TAB - 1);
	return t;
}

/*
 * What the window's walk found, kept at the head of the scratch: which
 * statements count and their median depend only on the window's blocks
 * and the reference, while a node asks at every fusion (every few seconds
 * against a block every few minutes; 10% of a 2,000-node day's time in
 * bftime-sim). Kept by content, not by who asked: the blocks walked (slot,
 * hash, statements held; a block's hash commits to its statements) and the
 * reference. Another chain, or the same chain after any change, fails the
 * check and walks again; a chain whose window holds the same blocks has the
 * same statements. Only the widths, which grow with now, are redone.
 */
#define MEMO_BLOCKS 64
#define MEMO_MAGIC UINT64_C(0x626674696d656d6f) /* "bftimemo": a zeroed or foreign scratch never matches */
struct window_memo {
	uint64_t magic;
	bft_cref ref;
	uint32_t n_blocks; /* blocks walked: the window, or fewer at genesis */
	int32_t slot[MEMO_BLOCKS];
	uint8_t n_stmts[MEMO_BLOCKS];
	uint8_t hash[MEMO_BLOCKS][BFT_BLOCK_HASH];
	size_t n;         /* items found */
	int64_t median_ns;
};

size_t bft_nk_consensus_scratch_bytes(void)
{
	return sizeof(struct window_memo) + BFT_NK_WINDOW_MAX * (sizeof(struct item) + 2 * sizeof(int64_t)) +
	       NODE_TAB * sizeof(uint16_t);
}

static int64_t clamp64(i128 x, int64_t lim)
{
	return x > lim ? lim : x < -lim ? -lim : (int64_t)x;
}

/* Does memo describe c's window for ref as it is now? */
static bool memo_holds(const struct window_memo *memo, const bft_nk_chain *c, const bft_cref *ref)
{
	if (memo->magic != MEMO_MAGIC || !bft_cref_equal(&memo->ref, ref) || c->cfg.window_blocks > MEMO_BLOCKS)
		return false;
	uint32_t k = 0;
	for (int32_t b = c->best; k < c->cfg.window_blocks && b >= 0; k++, b = c->slots[b].parent) {
		const bft_nk_entry *e = &c->slots[b];
		if (k >= memo->n_blocks || memo->slot[k] != b || memo->n_stmts[k] != e->n_stmts ||
		    memcmp(memo->hash[k], e->hash, BFT_BLOCK_HASH) != 0)
			return false;
	}
	return k == memo->n_blocks;
}

/* Walk the window: each node's newest statement about ref (a node, or a
 * miner repeating one node's statements, counts once, whoever mined it),
 * into it with node, offset, uncertainty and time; their median; noted in
 * memo. */
static void memo_walk(struct window_memo *memo, const bft_nk_chain *c, const bft_cref *ref, struct item *it,
                      int64_t *lo, uint16_t *tab)
{
	/* Node id -> 1 + its index in it (0: none yet), open addressing: a
	 * window holds hundreds of statements. */
	memset(tab, 0, NODE_TAB * sizeof *tab);
	size_t n = 0;
	uint32_t k = 0;
	int32_t b = c->best;
	for (; k < c->cfg.window_blocks && b >= 0; k++, b = c->slots[b].parent) {
		const bft_nk_entry *e = &c->slots[b];
		if (k < MEMO_BLOCKS) {
			memo->slot[k] = b;
			memo->n_stmts[k] = e->n_stmts;
			memcpy(memo->hash[k], e->hash, BFT_BLOCK_HASH);
		}
		for (size_t i = 0; i < e->n_stmts; i++) {
			const bft_nk_stmt *s = &e->stmts[i];
			if (!bft_cref_equal(&s->ref, ref))
				continue;
			size_t t = node_slot(tab, it, s->node_id), j = tab[t] ? tab[t] - 1u : n;
			if (j < n && it[j].local_ns >= s->local_ns)
				continue;
			if (j == n) {
				if (n == BFT_NK_WINDOW_MAX)
					continue;
				tab[t] = (uint16_t)++n;
			}
			it[j] = (struct item){ s->node_id, s->offset_ns, s->unc_ns, s->local_ns };
		}
	}
	memo->ref = *ref;
	memo->n_blocks = k;
	memo->n = n;
	memo->median_ns = 0;
	if (n) {
		/* The median: the mean of the two middle values for even n (both
		 * lie in the f-trimmed range, so either would do); rounded down. */
		for (size_t i = 0; i < n; i++)
			lo[i] = it[i].offset_ns;
		int64_t m1 = bft_select_i64(lo, n, (n - 1) / 2), m2 = bft_select_i64(lo, n, n / 2);
		i128 sum = (i128)m1 + m2;
		memo->median_ns = (int64_t)(sum >= 0 ? sum / 2 : (sum - 1) / 2);
	}
	/* A window longer than the memo can note is walked at every call. */
	memo->magic = k <= MEMO_BLOCKS ? MEMO_MAGIC : 0;
}

int bft_nk_consensus(const bft_nk_chain *c, const bft_nk_meas *own, int64_t now_ns, const bft_nk_steer *steer,
                     void *scratch, bft_nk_correction *out)
{
	if (!c || !own || !steer || !out || !scratch || (uintptr_t)scratch % _Alignof(int64_t) ||
	    steer->tau_phase_ns <= 0 || steer->tau_ref_ns <= 0 || steer->ref_slew_ppb < 0 || steer->max_ppb < 0 ||
	    !bft_cref_valid(&own->ref))
		return BFT_EINVAL;
	struct window_memo *memo = scratch;
	struct item *it = (struct item *)(memo + 1);
	int64_t *lo = (int64_t *)(it + BFT_NK_WINDOW_MAX), *hi = lo + BFT_NK_WINDOW_MAX;
	uint16_t *tab = (uint16_t *)(hi + BFT_NK_WINDOW_MAX);
	if (!memo_holds(memo, c, &own->ref))
		memo_walk(memo, c, &own->ref, it, lo, tab);
	size_t n = memo->n;
	if (n < c->cfg.min_stmts || n == 0)
		return BFT_EEMPTY;
	size_t f = (n - 1) / 2;
	int64_t m = memo->median_ns;
	/* The fault-tolerant bounds: lo_(f+1) and hi_(n-f) (1-based), each
	 * statement's interval carried to now: an honest offset moves at most
	 * drift per unit time, so its interval widens by drift * age. */
	for (size_t i = 0; i < n; i++) {
		i128 w = (i128)it[i].unc_ns + drift_between(now_ns, it[i].local_ns, c->cfg.drift_ppb);
		int64_t wi = w > BFT_STMT_OFFSET_MAX ? BFT_STMT_OFFSET_MAX : (int64_t)w;
		lo[i] = it[i].offset_ns - wi;
		hi[i] = it[i].offset_ns + wi;
	}
	int64_t lob = bft_select_i64(lo, n, f), hib = bft_select_i64(hi, n, n - f - 1);
	out->n = n;
	out->f = f;
	out->median_ns = m;
	out->phase_ns = own->offset_ns - m;
	/* The node's own measurement is carried to now as the statements are:
	 * taken a poll ago, its offset has moved by up to drift since (found
	 * by review: an interval of [o, o] missed o + drift * age). */
	i128 ow = (i128)own->unc_ns + drift_between(now_ns, own->local_ns, c->cfg.drift_ppb);
	int64_t owi = ow > BFT_STMT_OFFSET_MAX ? BFT_STMT_OFFSET_MAX : (int64_t)ow;
	out->phase_iv.lo_ns = own->offset_ns - owi - hib;
	out->phase_iv.hi_ns = own->offset_ns + owi - lob;
	i128 phase_term = (i128)out->phase_ns * BFT_PPB_PER_UNIT / steer->tau_phase_ns;
	i128 ref_term = (i128)m * BFT_PPB_PER_UNIT / steer->tau_ref_ns;
	out->steer_ppb = clamp64((i128)clamp64(phase_term, steer->max_ppb) + clamp64(ref_term, steer->ref_slew_ppb),
	                         steer->max_ppb);
	return 0;
}
