/* SPDX-License-Identifier: MIT */
/*
 * The node's side of the Nakamoto engine (node_chain.h): measurements,
 * statements, mining in bounded steps, block gossip in fragments, and the
 * chain's correction of the clock's point.
 *
 * Why fragments over the peers' datagram path rather than the daemon's HTTP
 * gossip (src/daemon/gossip.c): the node is sans-I/O and one implementation
 * for the daemon and the simulator. Datagrams of at most BFT_WIRE_MAX bytes
 * are what both drivers already carry for it (SEND actions, the simulator's
 * network model with its delays, loss and partitions), so the chain gossips
 * through the node's own actions with no new path in either driver; HTTP
 * would have needed a second transport in the daemon and a model of it in
 * the simulator, and blocks would not have met the network model at all.
 * The costs, stated: a block of n statements is ceil((104 + 109 n) / 213)
 * datagrams (3 for 4 statements, 34 for a full block), a lost fragment loses
 * the block until a child arrives and the receiver asks for it again
 * ("BG"), and the daemon's per-address limit for datagrams that are not
 * exchange messages (udp.c, rate_per_s) applies to fragments.
 */
#include "node/node_chain.h"

#include <stdlib.h>
#include <string.h>

#include "proto/bytes.h"

#define CAND_MAX 128 /* statements heard, newest per (node, reference) */
/* Encoded blocks kept (to send, to store, to answer parent requests): as
 * many as the block tree has slots, so a peer that fell behind can be sent
 * every block this node still knows, down to its finality horizon. With the
 * 16 newest only (shared with the other side's relays), the two sides of a
 * 300 s partition in the simulator (17 blocks on the heavier side) never
 * merged again. The cost: n_slots blocks of up to BFT_BLOCK_MAX bytes (1.8 MB
 * for bftimed's default of 256 slots). */
#define BLOB_RING_MIN 16
#define SEND_MAX 16
#define STMT_Q 32 /* statements to send: own (a few per poll) and relayed ones */
#define GET_Q 4
/* Blocks announced to us and not yet held: each asked of one announcer at
 * a time; if it has not arrived ASK_RETRY_NS later, of the next announcer
 * (or the same again), at most ASK_TRIES times in all. */
#define ASKED_N 16
#define ASK_ANN 4
#define ASK_RETRY_NS (1 * BFT_NS_PER_SEC)
#define ASK_TRIES 6
#define RX_SLOTS 4
#define FRAG_HDR 43
#define FRAG_PAY (BFT_WIRE_MAX - FRAG_HDR) /* 213 */
#define FRAG_MAX ((BFT_BLOCK_MAX + FRAG_PAY - 1) / FRAG_PAY)
#define RX_TTL_NS (30 * BFT_NS_PER_SEC)
#define ALL UINT32_MAX
#define WITHHOLD_MAX 12
#define ALARM_LEAD 6 /* blocks of work an implausible chain must lead by to raise the alarm */

struct blob {
	bool used, store_due, private_;
	uint8_t hash[BFT_BLOCK_HASH];
	size_t len;
	uint8_t bytes[BFT_BLOCK_MAX];
};

/* How a queued block goes out: whole to every recipient; or, relayed,
 * whole to a share of them (relay_whole) and announced to the rest. */
enum send_mode { SEND_WHOLE, SEND_SHARE, SEND_ANNOUNCE };

struct send {
	bool used;
	enum send_mode mode;
	unsigned blob;
	uint32_t to, except;
	size_t peer;
	unsigned frag;
};

struct rx {
	bool used;
	uint8_t hash[BFT_BLOCK_HASH];
	uint32_t from;
	size_t len;
	unsigned n;
	uint64_t have;
	int64_t started_raw;
	uint32_t only_from; /* ALL, or the one peer whose fragments it takes (a contested block) */
	uint8_t bytes[BFT_BLOCK_MAX];
};

struct meas {
	bool have;
	bool settled; /* the clock read this reference within agree_ns / 2 (its own offset, not a test lie) */
	bool judged;  /* the tree was rechecked (bft_nk_recheck) since this reference joined the view */
	bft_nk_meas m;
};

struct bft_nkn {
	bft_node_nk_config cfg;
	uint32_t *keys; /* the chain's index (bft_nk_set_index) */
	uint32_t id;
	uint32_t *peers;
	size_t n_peers;
	bft_cref *refs;
	size_t n_refs;
	bft_nk_chain chain;
	bft_nk_entry *slots;
	bft_nk_orphan *orphans;
	bft_nk_arch *arch;
	struct meas *meas;
	bft_nk_meas *vmeas; /* the view's copy */
	bft_stmt cand[CAND_MAX];
	/* Each candidate's author and time, in the same order: every statement
	 * heard is looked up here (1.5 KB), not in the 19 KB of statements. */
	uint32_t cand_node[CAND_MAX];
	int64_t cand_local[CAND_MAX];
	size_t n_cand;
	struct {
		bool used;
		size_t peer;
		bool v2;      /* "BS" v2 (a hops byte): relayed, or to be */
		uint8_t hops; /* v2: further hops its receivers may relay it */
		bft_stmt s;
	} stmt_q[STMT_Q];
	struct {
		bool used;
		uint32_t to;
		uint8_t hash[BFT_BLOCK_HASH];
	} get_q[GET_Q];
	struct {
		bool used;
		uint32_t to;
		bft_block_hdr h;
	} hdr_q[GET_Q];
	struct asked {
		uint8_t hash[BFT_BLOCK_HASH];
		int64_t raw_ns; /* when last asked (or the push was under way); INT64_MIN: free */
		uint32_t ann[ASK_ANN]; /* the peers that announced it */
		unsigned n_ann, next, tries;
		/* A copy of it failed its hash (a wrong fragment: fragments are
		 * not signed): its fragments are then taken only from the peer
		 * last asked, so that one peer's wrong bytes cannot spoil every
		 * copy (ALL: not contested). */
		uint32_t locked;
	} asked[ASKED_N];
	bool have_work;
	bft_block work;
	int64_t next_mine_raw;
	struct blob *blobs;
	unsigned n_blobs; /* max(BLOB_RING_MIN, n_slots) */
	unsigned blob_next;
	unsigned withheld[WITHHOLD_MAX]; /* TEST-ONLY private blocks, oldest first: blob index */
	uint64_t withheld_h[WITHHOLD_MAX]; /* and height */
	unsigned n_withheld;
	uint64_t pub_h; /* selfish miner: the highest block made public (received, or released here) */
	bool race;      /* selfish miner: released a block to tie the honest chain's newest */
	struct send sends[SEND_MAX];
	/* Something may be queued for bft_nkn_next_action: set by every queue
	 * above, cleared when a scan of them all finds nothing. The driver
	 * asks after every event, and most events queue nothing. */
	bool outbox;
	struct rx *rx;
	void *scratch;
	bft_block tmp; /* decoding */
	int64_t last_point_raw; /* the last fusion the correction chose a point for */
	bft_node_chain_info info;
};

/*
 * Whether the node's clock is settled: it reads one of its references
 * within agree_ns / 2 (with the reading's uncertainty). The plausibility
 * rule assumes honest clocks within agree_ns of each other; a clock still
 * converging (the first minutes, or after a step) is not yet one of them,
 * and its measurements would make honest statements look implausible, or
 * its own look implausible to others: a node refusing the honest chain for
 * that, or mining blocks every settled node refuses, splits off for good
 * (refusals are remembered). So an unsettled node states nothing, mines
 * nothing, and judges no offset: it follows the chain by work alone
 * (every statement unverifiable to it) until it has settled.
 */
static bool settled(const bft_nkn *k)
{
	for (size_t i = 0; i < k->n_refs; i++)
		if (k->meas[i].have && k->meas[i].settled)
			return true;
	return false;
}

static void now_view(bft_nkn *k, const bft_nkn_now *now, bft_nk_view *v)
{
	size_t m = 0;
	for (size_t i = 0; i < k->n_refs && settled(k); i++)
		if (k->meas[i].have)
			k->vmeas[m++] = k->meas[i].m;
	*v = (bft_nk_view){ .now_ns = now->time_ns, .true_hi_ns = now->hi_ns, .meas = k->vmeas, .n_meas = m };
}

int bft_nkn_create(bft_nkn **out, const bft_node_config *cfg)
{
	const bft_node_nk_config *nc = cfg->nk;
	if (!nc || nc->n_slots < 2 * (size_t)nc->chain.retarget_blocks + 12 || nc->n_slots > INT32_MAX ||
	    (nc->mine && (nc->hashes_per_step == 0 || nc->mine_step_ns <= 0)) || nc->steer.tau_phase_ns <= 0 ||
	    nc->steer.tau_ref_ns <= 0 || nc->byz_withhold > WITHHOLD_MAX)
		return BFT_EINVAL;
	bft_nkn *k = calloc(1, sizeof *k);
	if (!k)
		return BFT_ENOMEM;
	k->cfg = *nc;
	k->cfg.refs = NULL;
	if (!k->cfg.chain.signer)
		k->cfg.chain.signer = cfg->signer;
	k->id = cfg->id;
	k->n_peers = cfg->n_peers;
	k->n_refs = cfg->max_refs;
	k->peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *k->peers);
	k->refs = calloc(k->n_refs ? k->n_refs : 1, sizeof *k->refs);
	k->meas = calloc(k->n_refs ? k->n_refs : 1, sizeof *k->meas);
	k->vmeas = calloc(k->n_refs ? k->n_refs : 1, sizeof *k->vmeas);
	k->slots = calloc(nc->n_slots, sizeof *k->slots);
	k->orphans = calloc(nc->n_orphans ? nc->n_orphans : 1, sizeof *k->orphans);
	k->arch = calloc(nc->n_archive ? nc->n_archive : 1, sizeof *k->arch);
	k->n_blobs = (unsigned)(nc->n_slots > BLOB_RING_MIN ? nc->n_slots : BLOB_RING_MIN);
	k->blobs = calloc(k->n_blobs, sizeof *k->blobs);
	k->rx = calloc(RX_SLOTS, sizeof *k->rx);
	k->scratch = calloc(1, bft_nk_consensus_scratch_bytes());
	if (!k->peers || !k->refs || !k->meas || !k->vmeas || !k->slots || !k->orphans || !k->arch || !k->blobs ||
	    !k->rx || !k->scratch) {
		bft_nkn_destroy(k);
		return BFT_ENOMEM;
	}
	if (cfg->n_peers)
		memcpy(k->peers, cfg->peers, cfg->n_peers * sizeof *k->peers);
	for (size_t i = 0; i < k->n_refs; i++) {
		if (nc->refs) {
			k->refs[i] = nc->refs[i];
		} else {
			k->refs[i].kind = BFT_CREF_SIM;
			bft_be_put(k->refs[i].id, (uint32_t)i + 1, 4); /* the sim's reference numbers start at 1 */
		}
		if (!bft_cref_valid(&k->refs[i])) {
			bft_nkn_destroy(k);
			return BFT_EINVAL;
		}
	}
	if (bft_nk_init(&k->chain, &k->cfg.chain, k->slots, nc->n_slots, k->orphans, nc->n_orphans) != 0) {
		bft_nkn_destroy(k);
		return BFT_EINVAL;
	}
	bft_nk_set_archive(&k->chain, k->arch, nc->n_archive);
	k->keys = calloc(bft_nk_index_len(&k->chain), sizeof *k->keys);
	if (!k->keys) {
		bft_nkn_destroy(k);
		return BFT_ENOMEM;
	}
	bft_nk_set_index(&k->chain, k->keys);
	k->next_mine_raw = INT64_MIN;
	for (size_t i = 0; i < ASKED_N; i++)
		k->asked[i].raw_ns = INT64_MIN;
	k->info.on = true;
	*out = k;
	return 0;
}

void bft_nkn_destroy(bft_nkn *k)
{
	if (!k)
		return;
	free(k->peers);
	free(k->refs);
	free(k->meas);
	free(k->vmeas);
	free(k->slots);
	free(k->orphans);
	free(k->arch);
	free(k->keys);
	free(k->blobs);
	free(k->rx);
	free(k->scratch);
	free(k);
}

/* ---- statements ----------------------------------------------------------- */

static void put_candidate(bft_nkn *k, size_t i, const bft_stmt *s)
{
	k->cand[i] = *s;
	k->cand_node[i] = s->node_id;
	k->cand_local[i] = s->local_ns;
}

/* Keep s as a candidate: the newest per (node, reference); when full, the
 * oldest measurement gives way. */
static void add_candidate(bft_nkn *k, const bft_stmt *s)
{
	size_t oldest = 0;
	for (size_t i = 0; i < k->n_cand; i++) {
		if (k->cand_node[i] == s->node_id && bft_cref_equal(&k->cand[i].ref, &s->ref)) {
			if (s->local_ns > k->cand_local[i])
				put_candidate(k, i, s);
			return;
		}
		if (k->cand_local[i] < k->cand_local[oldest])
			oldest = i;
	}
	size_t at = k->n_cand < CAND_MAX ? k->n_cand++ : oldest;
	put_candidate(k, at, s);
}

static bool have_candidate(const bft_nkn *k, const bft_stmt *s)
{
	for (size_t i = 0; i < k->n_cand; i++)
		if (k->cand_node[i] == s->node_id && k->cand_local[i] >= s->local_ns &&
		    bft_cref_equal(&k->cand[i].ref, &s->ref))
			return true;
	return false;
}

/*
 * Blocks taken while a reference was not in the view (the node unsettled,
 * or not yet measuring it) carry statements nobody here judged: judged
 * again each time a reference joins the view, so that a liar's block taken
 * in the first minutes does not stay in the chain for good
 * (bft_nk_recheck drops it with everything above it).
 */
static void recheck(bft_nkn *k, const bft_nkn_now *now)
{
	bool on = settled(k), gained = false;
	for (size_t i = 0; i < k->n_refs; i++) {
		struct meas *m = &k->meas[i];
		if (!on || !m->have)
			m->judged = false;
		else if (!m->judged)
			gained = m->judged = true;
	}
	if (!gained)
		return;
	bft_nk_view v;
	now_view(k, now, &v);
	int n = bft_nk_recheck(&k->chain, &v);
	if (n > 0)
		k->have_work = false; /* the tip may have moved */
}

/* Blocks taken while the node knew no latest true time (unsynchronized,
 * or replayed at start) meet the future rule once it knows one
 * (bft_nk_recheck_time: a far-future block dropped with those above it). */
static void recheck_time(bft_nkn *k, const bft_nkn_now *now)
{
	if (!now->running || now->hi_ns == INT64_MAX || !bft_nk_untimed(&k->chain))
		return;
	if (bft_nk_recheck_time(&k->chain, now->hi_ns) > 0)
		k->have_work = false; /* the tip may have moved */
}

void bft_nkn_on_reading(bft_nkn *k, uint32_t ref_id, bft_interval true_time, const bft_nkn_now *now)
{
	recheck_time(k, now);
	if (ref_id >= k->n_refs || !now->running)
		return;
	struct meas *m = &k->meas[ref_id];
	int64_t half = bft_sat_sub(true_time.hi_ns, true_time.lo_ns) / 2;
	m->have = half <= BFT_STMT_UNC_MAX;
	m->m.ref = k->refs[ref_id];
	/* TEST-ONLY: a Byzantine miner states offsets byz_offset_ns off and
	 * believes them (judges others' blocks by them). */
	int64_t off = bft_sat_sub(bft_iv_mid(true_time), now->time_ns);
	m->settled = bft_sat_add(off < 0 ? bft_sat_sub(0, off) : off, half) <= k->cfg.chain.agree_ns / 2;
	m->m.offset_ns = bft_sat_add(off, k->cfg.byz_offset_ns);
	m->m.unc_ns = half + 1;
	m->m.local_ns = now->time_ns;
	recheck(k, now);
}

/* Whether reference i has a measured reference of the same identity
 * before it (a node's several receivers of one constellation): one
 * statement and one correction per identity. */
static bool shadowed(const bft_nkn *k, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (k->meas[j].have && bft_cref_equal(&k->refs[j], &k->refs[i]))
			return true;
	return false;
}

/* Queue s for every peer; false when the queue is full (counted). */
static bool queue_stmt(bft_nkn *k, const bft_stmt *s, bool v2, uint8_t hops)
{
	if (!k->n_peers)
		return false;
	for (size_t i = 0; i < STMT_Q; i++)
		if (!k->stmt_q[i].used) {
			k->stmt_q[i].used = true;
			k->outbox = true;
			k->stmt_q[i].peer = 0;
			k->stmt_q[i].v2 = v2;
			k->stmt_q[i].hops = hops;
			k->stmt_q[i].s = *s;
			return true;
		}
	k->info.stmts_q_full++;
	return false;
}

void bft_nkn_on_poll(bft_nkn *k, const bft_nkn_now *now)
{
	recheck_time(k, now);
	if (!now->running || !settled(k))
		return;
	for (size_t i = 0; i < k->n_refs; i++) {
		const struct meas *m = &k->meas[i];
		/* A statement of a measurement older than the chain accepts is
		 * no use to anyone. */
		if (!m->have || shadowed(k, i) || bft_sat_sub(now->time_ns, m->m.local_ns) > k->cfg.chain.stmt_age_ns / 2)
			continue;
		bft_stmt s = { .node_id = k->id, .ref = m->m.ref, .offset_ns = m->m.offset_ns, .unc_ns = m->m.unc_ns,
			       .local_ns = m->m.local_ns };
		if (!bft_stmt_valid(&s) || bft_stmt_sign(&s, k->cfg.chain.signer) != 0)
			continue;
		k->info.stmts_made++;
		add_candidate(k, &s);
		(void)queue_stmt(k, &s, k->cfg.relay_hops > 0,
		                 (uint8_t)(k->cfg.relay_hops < BFT_NK_RELAY_MAX ? k->cfg.relay_hops : BFT_NK_RELAY_MAX));
	}
	k->have_work = false; /* new statements: a new template at the next step */
}

/* ---- blocks ----------------------------------------------------------------- */

/* Whether the chain holds the block: in its tree or among its orphans. Not
 * the blob ring: it also keeps the bytes of orphans the pool has since
 * dropped, and a dropped orphan must be taken again when it is fetched
 * again (counted as known, a line longer than the orphan pool was asked
 * for and then thrown away as it came: the eclipsed node never joined). */
static bool known(const bft_nkn *k, const uint8_t hash[BFT_BLOCK_HASH])
{
	return bft_nk_known(&k->chain, hash);
}

static void cancel_sends(bft_nkn *k, unsigned blob)
{
	for (size_t i = 0; i < SEND_MAX; i++)
		if (k->sends[i].used && k->sends[i].blob == blob)
			k->sends[i].used = false;
}

/* Keep an encoded block in the ring; its index. Withheld blocks are not
 * overwritten while held. */
static unsigned keep_blob(bft_nkn *k, const uint8_t *buf, size_t len, const uint8_t hash[BFT_BLOCK_HASH], bool store)
{
	unsigned i = k->blob_next;
	for (unsigned t = 0; t < k->n_blobs && k->blobs[i].private_; t++)
		i = (i + 1) % k->n_blobs;
	k->blob_next = (i + 1) % k->n_blobs;
	cancel_sends(k, i);
	struct blob *b = &k->blobs[i];
	b->used = true;
	b->private_ = false;
	b->store_due = store;
	k->outbox |= store;
	memcpy(b->hash, hash, BFT_BLOCK_HASH);
	memcpy(b->bytes, buf, len);
	b->len = len;
	return i;
}

static void queue_send_kind(bft_nkn *k, unsigned blob, uint32_t to, uint32_t except, enum send_mode mode)
{
	size_t free_i = SEND_MAX;
	for (size_t i = 0; i < SEND_MAX; i++)
		if (!k->sends[i].used) {
			free_i = i;
			break;
		}
	if (free_i == SEND_MAX)
		return; /* the driver is not draining: the block is lost to these peers (a child re-asks) */
	k->sends[free_i] = (struct send){ .used = true, .mode = mode, .blob = blob, .to = to, .except = except };
	k->outbox = true;
}

static void queue_send(bft_nkn *k, unsigned blob, uint32_t to, uint32_t except)
{
	queue_send_kind(k, blob, to, except, SEND_WHOLE);
}

/* A relayed block goes whole to every peer of a node with fewer than
 * RELAY_FLOOD_BELOW of them (the small meshes, where the copies cost little
 * and an announcement's extra round trip showed: over six seeds of the
 * 7-node worlds, 2 points more stale blocks in the partition); with more, to
 * about RELAY_WHOLE of them (those whose index plus the hash's first byte is
 * a multiple of n_peers / RELAY_WHOLE: different ones for each block), and
 * is announced by its hash to the others. As Bitcoin's compact blocks in
 * high-bandwidth mode push to three peers: a few whole copies keep the
 * propagation of pushing, the announcements give the rest a block in one
 * more round trip and a second source if a copy is lost. */
#define RELAY_FLOOD_BELOW 8
#define RELAY_WHOLE 3
static bool relay_whole(const bft_nkn *k, const struct blob *b, size_t peer)
{
	return k->n_peers < RELAY_FLOOD_BELOW || (peer + b->hash[0]) % (k->n_peers / RELAY_WHOLE) == 0;
}

static bool is_peer(const bft_nkn *k, uint32_t id)
{
	for (size_t i = 0; i < k->n_peers; i++)
		if (k->peers[i] == id)
			return true;
	return false;
}

static void queue_get(bft_nkn *k, uint32_t to, const uint8_t hash[BFT_BLOCK_HASH])
{
	if (!is_peer(k, to))
		return;
	for (size_t i = 0; i < GET_Q; i++)
		if (!k->get_q[i].used) {
			k->get_q[i].used = true;
			k->outbox = true;
			k->get_q[i].to = to;
			memcpy(k->get_q[i].hash, hash, BFT_BLOCK_HASH);
			return;
		}
}

/* TEST-ONLY Byzantine miners: send the n oldest private blocks to every peer. */
static void release(bft_nkn *k, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		k->blobs[k->withheld[i]].private_ = false;
		queue_send(k, k->withheld[i], ALL, ALL);
		if (k->withheld_h[i] > k->pub_h)
			k->pub_h = k->withheld_h[i];
	}
	k->info.released += n;
	k->n_withheld -= n;
	memmove(k->withheld, k->withheld + n, k->n_withheld * sizeof *k->withheld);
	memmove(k->withheld_h, k->withheld_h + n, k->n_withheld * sizeof *k->withheld_h);
}

static void hold(bft_nkn *k, unsigned bi, uint64_t height)
{
	if (k->n_withheld == WITHHOLD_MAX)
		release(k, 1);
	k->blobs[bi].private_ = true;
	k->withheld[k->n_withheld] = bi;
	k->withheld_h[k->n_withheld++] = height;
	k->info.withheld++;
}

/*
 * TEST-ONLY selfish mining (Eyal and Sirer, "Majority is not enough:
 * Bitcoin mining is vulnerable", FC 2014, Algorithm 1), on heights: the
 * private chain is the node's own best chain; a block from the others at a
 * new public height H leaves the private lead L = (private tip height) - H:
 * L < 0, the honest chain is ahead (fork choice has moved the node to it):
 * give the private blocks up; L = 0, release them all and race (first seen
 * wins each honest node); L = 1, release them all: the private chain is
 * longer and orphans the honest block; L >= 2, release up to height H,
 * keeping the lead. A block found during a race is released at once (it
 * wins the race). Own blocks are otherwise kept private.
 */
static void selfish_public(bft_nkn *k, uint64_t h)
{
	if (h <= k->pub_h)
		return;
	k->pub_h = h;
	k->race = false;
	uint64_t priv = k->n_withheld ? k->withheld_h[k->n_withheld - 1] : 0;
	if (!k->n_withheld || priv < h) {
		for (unsigned i = 0; i < k->n_withheld; i++)
			k->blobs[k->withheld[i]].private_ = false;
		k->n_withheld = 0;
	} else if (priv - h <= 1) {
		k->race = priv == h;
		release(k, k->n_withheld);
	} else {
		unsigned n = 0;
		while (n < k->n_withheld && k->withheld_h[n] <= h)
			n++;
		release(k, n);
	}
}

static struct asked *find_asked(bft_nkn *k, const uint8_t hash[BFT_BLOCK_HASH])
{
	for (size_t i = 0; i < ASKED_N; i++)
		if (k->asked[i].raw_ns != INT64_MIN && memcmp(k->asked[i].hash, hash, BFT_BLOCK_HASH) == 0)
			return &k->asked[i];
	return NULL;
}

/* A free entry of the asked table for hash, announced by from (a full
 * table gives up its most tried entry). */
static struct asked *new_asked(bft_nkn *k, const bft_nkn_now *now, const uint8_t hash[BFT_BLOCK_HASH], uint32_t from)
{
	struct asked *a = &k->asked[0];
	for (size_t i = 0; i < ASKED_N; i++) {
		if (k->asked[i].raw_ns == INT64_MIN) {
			a = &k->asked[i];
			break;
		}
		if (k->asked[i].tries > a->tries)
			a = &k->asked[i];
	}
	*a = (struct asked){ .raw_ns = now->raw_ns, .ann = { from }, .n_ann = 1, .locked = ALL };
	memcpy(a->hash, hash, BFT_BLOCK_HASH);
	return a;
}

/* Ask an announcer of a, the next in turn, for the block. */
static void ask(bft_nkn *k, const bft_nkn_now *now, struct asked *a)
{
	uint32_t to = a->ann[a->next % a->n_ann];
	a->next++;
	a->tries++;
	a->raw_ns = now->raw_ns;
	if (a->locked != ALL)
		a->locked = to;
	queue_get(k, to, a->hash);
	k->info.getblocks_tx++;
}

/* Note from among a's announcers (up to ASK_ANN), once. */
static void add_announcer(struct asked *a, uint32_t from)
{
	for (unsigned i = 0; i < a->n_ann; i++)
		if (a->ann[i] == from)
			return;
	if (a->n_ann < ASK_ANN)
		a->ann[a->n_ann++] = from;
}

/*
 * The block a line of orphans (or of archived headers) is missing
 * (bft_nk_line_missing: the orphan's parent, or, if the chain already holds
 * that parent as an orphan too, the parent of the lowest orphan down that
 * line), asked of the peer that sent the line, now, and again by ask_again
 * while it does not come, like an announced block. Asking for the orphan's
 * own parent, as first built, asked for blocks already held, so a line was
 * only asked down once; asking once only, a lost request or an answer
 * dropped by the peer's full queue (its header queue holds GET_Q) left the
 * line waiting for the next orphan of its own, which never came once the
 * pool held only the line's bottom: in seeds 3, 6 and 7 of nakamoto-eclipse
 * the eclipsed node ended 20 to 100 blocks behind, on a tip of its own
 * (rejoined in seeds 1 to 12 since). The line is fetched downwards one
 * round trip per block, as deep as the peers' kept blocks reach (n_blobs),
 * then their archived headers.
 */
static void want_block(bft_nkn *k, const bft_nkn_now *now, uint32_t from, const uint8_t hash[BFT_BLOCK_HASH])
{
	if (!is_peer(k, from))
		return;
	struct asked *a = find_asked(k, hash);
	if (a) {
		add_announcer(a, from);
		if (bft_sat_sub(now->raw_ns, a->raw_ns) < ASK_RETRY_NS)
			return;
	} else {
		a = new_asked(k, now, hash, from);
	}
	ask(k, now, a);
}

/* A decoded block from `from` (ALL: loaded from the store; the node's own
 * id: mined here). */
static int take_block(bft_nkn *k, const bft_nkn_now *now, const bft_block *b, const uint8_t *buf, size_t len,
                      const uint8_t hash[BFT_BLOCK_HASH], uint32_t from)
{
	bft_nk_view v;
	now_view(k, now, &v);
	int r = bft_nk_add(&k->chain, b, &v);
	if (r == BFT_NK_DUP || r < 0)
		return r;
	bool loaded = from == ALL, mined = from == k->id;
	unsigned bi = keep_blob(k, buf, len, hash, !loaded);
	if (loaded)
		return r;
	if (mined && k->cfg.byz_selfish) {
		hold(k, bi, b->h.height);
		if (k->race) { /* found during a race: released, it wins it */
			k->race = false;
			release(k, k->n_withheld);
		}
		return r;
	}
	if (mined && k->cfg.byz_withhold) {
		/* TEST-ONLY: a private chain, released all at once. */
		hold(k, bi, b->h.height);
		if (k->n_withheld >= k->cfg.byz_withhold)
			release(k, k->n_withheld);
		return r;
	}
	if (!mined && k->cfg.byz_selfish && (r == BFT_NK_BEST || r == BFT_NK_SIDE))
		selfish_public(k, b->h.height);
	if (r == BFT_NK_ORPHAN) {
		want_block(k, now, from, bft_nk_line_missing(&k->chain, b->h.parent));
		return r;
	}
	/* Our own block goes out whole; a relayed one whole to a few peers
	 * (relay_whole) and by its hash to the rest, who ask for it ("BG") if
	 * no copy has reached them, and again while none does (ask_again):
	 * each node receives a few copies rather than one from each peer (at
	 * 10,000 nodes of degree 16 the copies were most of what the simulated
	 * day spent its time on). */
	if (mined) {
		k->info.released++;
		queue_send(k, bi, ALL, from);
	} else {
		queue_send_kind(k, bi, ALL, from, SEND_SHARE);
		queue_send_kind(k, bi, ALL, from, SEND_ANNOUNCE);
	}
	return r;
}

/*
 * The block this node would mine now, in k->work: rebuilt when the best tip
 * moved, when new statements came (have_work cleared), or when fresh (an
 * external miner's find: its timestamp is the moment of the find). 0, or
 * negative when no template can be made.
 */
static int prepare_work(bft_nkn *k, const bft_nkn_now *now, bool fresh)
{
	bft_nk_tip tip;
	if (bft_nk_best(&k->chain, &tip) != 0)
		return BFT_EINVAL;
	if (k->have_work && (fresh || memcmp(k->work.h.parent, tip.hash, BFT_BLOCK_HASH) != 0 ||
	                     k->work.h.height != tip.height + 1))
		k->have_work = false;
	if (!k->have_work) {
		bft_nk_view v;
		now_view(k, now, &v);
		uint64_t nonce = k->work.h.nonce;
		/* TEST-ONLY time warp: every timestamp the least the past rule
		 * allows (the template's median time past + 1 ns), but a retarget
		 * period's last block at the miner's time, so that a rule measuring
		 * each period from its own first block (Bitcoin's) would see every
		 * period as long as the whole accumulated lag (docs/nakamoto.md). */
		int64_t t = now->est_ns;
		if (k->cfg.byz_timewarp && (tip.height + 1) % k->cfg.chain.retarget_blocks != 0)
			t = INT64_MIN;
		if (bft_nk_template(&k->chain, &k->work, k->id, t, k->cand, k->n_cand, &v) < 0)
			return BFT_EEMPTY;
		/* Nonces carry on from the last template: with the same
		 * statements and time, the same header is not hashed twice. */
		k->work.h.nonce = nonce;
		k->have_work = true;
	}
	return 0;
}

/* k->work's nonce meets its target: the block is made, judged by the chain
 * like any other (its work included), kept, and relayed or withheld. The
 * chain's result (negative: refused). */
static int found_work(bft_nkn *k, const bft_nkn_now *now)
{
	uint8_t hash[BFT_BLOCK_HASH], buf[BFT_BLOCK_MAX];
	int len = bft_block_encode(buf, sizeof buf, &k->work);
	if (len < 0 || bft_block_hash(hash, &k->work.h) != 0)
		return BFT_EINVAL;
	k->info.mined++;
	int r = take_block(k, now, &k->work, buf, (size_t)len, hash, k->id);
	k->work.h.nonce++;
	k->have_work = false;
	return r;
}

static void mine_step(bft_nkn *k, const bft_nkn_now *now)
{
	if (prepare_work(k, now, false) != 0)
		return;
	uint64_t before = k->work.h.nonce;
	int found = bft_block_mine(&k->work.h, k->cfg.hashes_per_step);
	k->info.hashes += found == 1 ? k->work.h.nonce - before + 1 : k->work.h.nonce - before;
	if (found == 1)
		(void)found_work(k, now);
}

int bft_nkn_work(bft_nkn *k, const bft_nkn_now *now, bft_block_hdr *out)
{
	/* As the node's own steps: no mining unsettled (bft_nkn_on_timer). */
	if (!now->running || !settled(k))
		return BFT_EEMPTY;
	int r = prepare_work(k, now, true);
	if (r == 0)
		*out = k->work.h;
	return r;
}

int bft_nkn_found(bft_nkn *k, const bft_nkn_now *now, const bft_block_hdr *h)
{
	if (!k->have_work)
		return BFT_EINVAL;
	/* The header bft_nkn_work handed out, but for its nonce: anything else
	 * (the template moved on since) is stale work. */
	uint8_t a[BFT_BLOCK_HDR_LEN], b[BFT_BLOCK_HDR_LEN];
	bft_block_hdr x = *h;
	x.nonce = k->work.h.nonce;
	bft_block_hdr_encode(a, &x);
	bft_block_hdr_encode(b, &k->work.h);
	if (memcmp(a, b, sizeof a) != 0)
		return BFT_EINVAL;
	uint8_t hash[BFT_BLOCK_HASH];
	x.nonce = h->nonce;
	if (bft_block_hash(hash, &x) != 0 || !bft_work_meets(hash, x.difficulty))
		return BFT_EINVAL; /* no work: not a find (the chain would refuse it too) */
	k->info.hashes++; /* the find itself; the finder's other tries are its own */
	k->work.h.nonce = h->nonce;
	return found_work(k, now);
}

uint64_t bft_nkn_next_difficulty(const bft_nkn *k)
{
	bft_nk_tip tip;
	return bft_nk_best(&k->chain, &tip) == 0 ? tip.next_difficulty : 0;
}

static void ask_again(bft_nkn *k, const bft_nkn_now *now);

void bft_nkn_on_timer(bft_nkn *k, const bft_nkn_now *now)
{
	ask_again(k, now);
	if (!k->cfg.mine || now->raw_ns < k->next_mine_raw)
		return;
	k->next_mine_raw = bft_sat_add(now->raw_ns, k->cfg.mine_step_ns);
	/* Mine only settled (settled()): unsettled, every statement is
	 * unverifiable to us, and a block carrying a liar's statement would be
	 * refused by every settled node, leaving us alone on a fork. */
	if (now->running && settled(k))
		mine_step(k, now);
}

int64_t bft_nkn_next_timer(const bft_nkn *k)
{
	int64_t t = !k->cfg.mine ? INT64_MAX : k->next_mine_raw;
	for (size_t i = 0; i < ASKED_N; i++)
		if (k->asked[i].raw_ns != INT64_MIN) {
			int64_t due = bft_sat_add(k->asked[i].raw_ns, ASK_RETRY_NS);
			t = due < t ? due : t;
		}
	return t;
}

/* ---- datagrams -------------------------------------------------------------- */

bool bft_nkn_is_chain(const uint8_t *buf, size_t len)
{
	return buf && len >= 3 && buf[0] == 'B' &&
	       ((buf[1] == 'S' && (buf[2] == 1 || buf[2] == 2)) ||
	        ((buf[1] == 'F' || buf[1] == 'G' || buf[1] == 'I' || buf[1] == 'H') && buf[2] == 1));
}

/*
 * "BS" v1: a statement from its author, one of our peers. "BS" v2: one
 * more byte before the statement, the hops its receivers may still relay
 * it (0 .. BFT_NK_RELAY_MAX), from the author or a relaying node: its author
 * any node whose key we know. New statements (not held already: the relay
 * ends there) are kept, and relayed on with one hop less when hops are left
 * and this node relays (relay_hops > 0). The hops byte is not signed: a
 * relayer can only lengthen a statement's path up to the cap, and every
 * node forwards a statement once.
 */
static int on_stmt(bft_nkn *k, const uint8_t *buf, size_t len)
{
	bft_stmt s;
	k->info.stmts_rx++;
	size_t at = buf[2] == 2 ? 4 : 3;
	uint8_t hops = buf[2] == 2 && len > 3 ? buf[3] : 0;
	if (len <= at || hops > BFT_NK_RELAY_MAX || bft_stmt_decode(&s, buf + at, len - at) != 0) {
		k->info.stmts_bad++;
		return BFT_EINVAL;
	}
	if (s.node_id == k->id || have_candidate(k, &s))
		return 0;
	if ((buf[2] == 1 && !is_peer(k, s.node_id)) || bft_stmt_verify(&s, k->cfg.chain.signer) != 0) {
		k->info.stmts_bad++;
		return BFT_EINVAL;
	}
	add_candidate(k, &s);
	k->have_work = false;
	if (hops > 0 && k->cfg.relay_hops > 0 && queue_stmt(k, &s, true, (uint8_t)(hops - 1)))
		k->info.stmts_relayed++;
	return 0;
}

/* "BG" and "BI": the sender and a block hash, 39 bytes. */
static int hash_msg(const uint8_t *buf, size_t len, uint32_t *from, const uint8_t **hash)
{
	if (len != 39)
		return BFT_EINVAL;
	const uint8_t *q = buf + 3;
	*from = (uint32_t)bft_be_get(&q, 4);
	*hash = q;
	return 0;
}

static int on_get(bft_nkn *k, const uint8_t *buf, size_t len)
{
	uint32_t from;
	const uint8_t *q;
	if (hash_msg(buf, len, &from, &q))
		return BFT_EINVAL;
	k->info.getblocks_rx++;
	if (!is_peer(k, from))
		return BFT_EINVAL;
	for (unsigned i = 0; i < k->n_blobs; i++)
		if (k->blobs[i].used && !k->blobs[i].private_ && memcmp(k->blobs[i].hash, q, BFT_BLOCK_HASH) == 0) {
			queue_send(k, i, from, ALL);
			return 0;
		}
	/* Forgotten whole but remembered by its header (the chain's archive):
	 * the header, for a peer further behind than our tree ("BH"). A full
	 * queue drops the answer; the asker asks again with its next orphan. */
	bft_block_hdr h;
	if (bft_nk_header(&k->chain, q, &h) != 0)
		return BFT_EEMPTY;
	for (size_t i = 0; i < GET_Q; i++)
		if (!k->hdr_q[i].used) {
			k->hdr_q[i].used = true;
			k->outbox = true;
			k->hdr_q[i].to = from;
			k->hdr_q[i].h = h;
			return 0;
		}
	return BFT_EEMPTY;
}

/*
 * "BH": the header of a block a peer keeps no more than that of. Taken only
 * as the block a line of held orphans is missing (what on_get's answers
 * carry; anything else is refused: a header alone adds work and no
 * statement, so a peer must not be able to feed us headers instead of the
 * blocks whose statements the consensus reads), and only if at least
 * window_blocks of that line sit above it: the consensus window is then
 * made of whole blocks. Like an orphan block, a header whose parent is
 * unknown asks the sender for the line's next missing block.
 */
static int on_header(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len)
{
	k->info.headers_rx++;
	bft_block_hdr h;
	uint8_t hash[BFT_BLOCK_HASH];
	if (len != 7 + BFT_BLOCK_HDR_LEN) {
		k->info.headers_refused++;
		return BFT_EINVAL;
	}
	const uint8_t *q = buf + 3;
	uint32_t from = (uint32_t)bft_be_get(&q, 4);
	if (!is_peer(k, from) || bft_block_hdr_decode(&h, q, BFT_BLOCK_HDR_LEN) != 0 || bft_block_hash(hash, &h) != 0) {
		k->info.headers_refused++;
		return BFT_EINVAL;
	}
	/* The line whose missing block this is: its highest orphan. */
	uint64_t top = bft_nk_line_top(&k->chain, hash);
	if (top < h.height + k->cfg.chain.window_blocks) {
		k->info.headers_refused++;
		return BFT_EINVAL;
	}
	bft_nk_view v;
	now_view(k, now, &v);
	int r = bft_nk_add_header(&k->chain, &h, &v);
	struct asked *a = find_asked(k, hash);
	if (a && r >= 0) /* the header came: asked for no more */
		a->raw_ns = INT64_MIN;
	if (r == BFT_NK_ORPHAN)
		want_block(k, now, from, bft_nk_line_missing(&k->chain, h.parent));
	if (r < 0)
		k->info.headers_refused++;
	return r < 0 ? BFT_EINVAL : 0;
}

/* "BI": a peer has a block. Unless we hold it, note the peer among its
 * announcers; the first announcement asks that peer for it ("BG"), or, if
 * the block's fragments are already arriving (pushed by its miner), only
 * starts the clock. bft_nkn_on_timer asks again, the next announcer in
 * turn, while the block has not come: a lost fragment, request or answer
 * costs ASK_RETRY_NS, not the wait for the block's child. A full table
 * drops its most tried entry: announcements of blocks that never come (a
 * liar's) can delay a real one, which then still comes with its child. */
static int on_announce(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len)
{
	uint32_t from;
	const uint8_t *q;
	if (hash_msg(buf, len, &from, &q))
		return BFT_EINVAL;
	k->info.announces_rx++;
	if (!is_peer(k, from))
		return BFT_EINVAL;
	if (known(k, q))
		return 0;
	struct asked *a = find_asked(k, q);
	if (a) {
		add_announcer(a, from);
		return 0;
	}
	a = new_asked(k, now, q, from);
	for (size_t i = 0; i < RX_SLOTS; i++)
		if (k->rx[i].used && memcmp(k->rx[i].hash, q, BFT_BLOCK_HASH) == 0)
			return 0; /* arriving: asked only if it stalls */
	ask(k, now, a);
	return 0;
}

/* The blocks asked for that are overdue: held now (forgotten), or asked
 * again. */
static void ask_again(bft_nkn *k, const bft_nkn_now *now)
{
	for (size_t i = 0; i < ASKED_N; i++) {
		struct asked *a = &k->asked[i];
		if (a->raw_ns == INT64_MIN || bft_sat_sub(now->raw_ns, a->raw_ns) < ASK_RETRY_NS)
			continue;
		if (known(k, a->hash) || a->tries >= ASK_TRIES) {
			a->raw_ns = INT64_MIN;
			continue;
		}
		ask(k, now, a);
	}
}

static int complete(bft_nkn *k, const bft_nkn_now *now, struct rx *r)
{
	uint8_t hash[BFT_BLOCK_HASH];
	r->used = false;
	k->info.blocks_rx++;
	if (bft_block_decode(&k->tmp, r->bytes, r->len) != 0 || bft_block_hash(hash, &k->tmp.h) != 0 ||
	    memcmp(hash, r->hash, BFT_BLOCK_HASH) != 0) {
		k->info.blocks_bad++;
		/* Contested: asked again at once, of the next announcer, whose
		 * fragments alone are taken for it from now on. */
		struct asked *c = find_asked(k, r->hash);
		if (c && c->tries < ASK_TRIES) {
			c->locked = 0;
			ask(k, now, c);
		}
		return BFT_EINVAL;
	}
	/* The block itself came: taken or refused, it is not asked for again. */
	struct asked *a = find_asked(k, hash);
	if (a)
		a->raw_ns = INT64_MIN;
	int rc = take_block(k, now, &k->tmp, r->bytes, r->len, hash, r->from);
	return rc < 0 && rc != BFT_NK_DUP ? BFT_EINVAL : 0;
}

static int on_frag(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len)
{
	k->info.frags_rx++;
	if (len < FRAG_HDR + 1) {
		k->info.frags_bad++;
		return BFT_EINVAL;
	}
	const uint8_t *q = buf + 3;
	uint32_t from = (uint32_t)bft_be_get(&q, 4);
	const uint8_t *hash = q;
	q += BFT_BLOCK_HASH;
	size_t total = (size_t)bft_be_get(&q, 2);
	unsigned idx = (unsigned)bft_be_get(&q, 1), cnt = (unsigned)bft_be_get(&q, 1);
	size_t pay = len - FRAG_HDR;
	if (total < BFT_BLOCK_HDR_LEN || total > BFT_BLOCK_MAX || cnt != (total + FRAG_PAY - 1) / FRAG_PAY ||
	    idx >= cnt || pay != (idx + 1 == cnt ? total - (size_t)idx * FRAG_PAY : FRAG_PAY) || !is_peer(k, from)) {
		k->info.frags_bad++;
		return BFT_EINVAL;
	}
	if (known(k, hash)) {
		k->info.frags_dup++;
		return 0;
	}
	struct rx *r = NULL, *victim = &k->rx[0];
	for (size_t i = 0; i < RX_SLOTS; i++) {
		struct rx *c = &k->rx[i];
		if (c->used && memcmp(c->hash, hash, BFT_BLOCK_HASH) == 0 && c->len == total) {
			r = c;
			break;
		}
		if (!c->used || bft_sat_sub(now->raw_ns, c->started_raw) > RX_TTL_NS)
			victim = c, victim->used = false;
		else if (victim->used && c->started_raw < victim->started_raw)
			victim = c;
	}
	if (!r) {
		/* Every slot in use: the oldest gives way, counted. A peer can
		 * push the others' blocks out by starting blocks of made-up
		 * hashes (one fragment each); they are asked for again
		 * (ask_again). Left so: a rule sparing them (a sender evicting
		 * only its own) changed how released bursts spread in the
		 * withholding scenarios (docs/nakamoto.md, "Gossip: fragments"). */
		if (victim->used)
			k->info.rx_evicted++;
		struct asked *c = find_asked(k, hash);
		r = victim;
		*r = (struct rx){ .used = true, .from = from, .len = total, .n = cnt, .started_raw = now->raw_ns,
			          .only_from = c && c->locked != ALL ? c->locked : ALL };
		memcpy(r->hash, hash, BFT_BLOCK_HASH);
	}
	if (r->only_from != ALL && from != r->only_from) {
		k->info.frags_bad++; /* a contested block's fragment from a peer not asked for it */
		if (r->have == 0)
			r->used = false; /* the slot was made for it alone */
		return 0;
	}
	if (r->have & (UINT64_C(1) << idx)) {
		k->info.frags_dup++;
		return 0;
	}
	memcpy(r->bytes + (size_t)idx * FRAG_PAY, buf + FRAG_HDR, pay);
	r->have |= UINT64_C(1) << idx;
	if (r->have != (cnt == 64 ? UINT64_MAX : (UINT64_C(1) << cnt) - 1))
		return 0;
	return complete(k, now, r);
}

int bft_nkn_on_packet(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len)
{
	switch (buf[1]) {
	case 'S': return on_stmt(k, buf, len);
	case 'G': return on_get(k, buf, len);
	case 'I': return on_announce(k, now, buf, len);
	case 'H': return on_header(k, now, buf, len);
	default: return on_frag(k, now, buf, len);
	}
}

int bft_nkn_load(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len)
{
	uint8_t hash[BFT_BLOCK_HASH];
	if (!buf || bft_block_decode(&k->tmp, buf, len) != 0 || bft_block_hash(hash, &k->tmp.h) != 0)
		return BFT_EINVAL;
	return take_block(k, now, &k->tmp, buf, len, hash, ALL);
}

/* ---- actions ------------------------------------------------------------------ */

static void clear_action(bft_action *out, enum bft_action_kind kind)
{
	memset(out, 0, offsetof(bft_action, buf));
	out->kind = kind;
	out->blob = NULL;
	out->blob_len = 0;
}

/* A SEND to `to` of a message that starts "B" kind, version 1, our id;
 * where the rest goes. */
static uint8_t *msg_head(const bft_nkn *k, bft_action *out, uint32_t to, char kind)
{
	clear_action(out, BFT_ACT_SEND);
	out->to = to;
	uint8_t *q = out->buf;
	*q++ = 'B';
	*q++ = (uint8_t)kind;
	*q++ = 1;
	return bft_be_put(q, k->id, 4);
}

/* Fragment idx of blob b, to `to` ("BF", docs/nakamoto.md). */
static void frag_out(const bft_nkn *k, const struct blob *b, unsigned idx, uint32_t to, bft_action *out)
{
	unsigned cnt = (unsigned)((b->len + FRAG_PAY - 1) / FRAG_PAY);
	size_t off = (size_t)idx * FRAG_PAY, pay = b->len - off < FRAG_PAY ? b->len - off : FRAG_PAY;
	uint8_t *q = msg_head(k, out, to, 'F');
	q = bft_be_put_bytes(q, b->hash, BFT_BLOCK_HASH);
	q = bft_be_put(q, b->len, 2);
	q = bft_be_put(q, idx, 1);
	q = bft_be_put(q, cnt, 1);
	memcpy(q, b->bytes + off, pay);
	out->len = FRAG_HDR + pay;
}

bool bft_nkn_next_action(bft_nkn *k, bft_action *out)
{
	if (!k->outbox)
		return false;
	for (unsigned i = 0; i < k->n_blobs; i++) {
		struct blob *b = &k->blobs[i];
		if (b->used && b->store_due) {
			b->store_due = false;
			clear_action(out, BFT_ACT_BLOCK);
			out->blob = b->bytes;
			out->blob_len = b->len;
			return true;
		}
	}
	for (size_t i = 0; i < STMT_Q; i++) {
		if (!k->stmt_q[i].used)
			continue;
		/* Not back to its author (a relayed one's author may be a peer). */
		if (k->peers[k->stmt_q[i].peer] == k->stmt_q[i].s.node_id && ++k->stmt_q[i].peer >= k->n_peers) {
			k->stmt_q[i].used = false;
			continue;
		}
		clear_action(out, BFT_ACT_SEND);
		out->to = k->peers[k->stmt_q[i].peer];
		bool v2 = k->stmt_q[i].v2;
		size_t at = v2 ? 4 : 3;
		out->buf[0] = 'B';
		out->buf[1] = 'S';
		out->buf[2] = v2 ? 2 : 1;
		out->buf[3] = k->stmt_q[i].hops;
		if (bft_stmt_encode(out->buf + at, &k->stmt_q[i].s) != BFT_STMT_LEN) {
			k->stmt_q[i].used = false;
			continue;
		}
		out->len = at + BFT_STMT_LEN;
		if (++k->stmt_q[i].peer >= k->n_peers)
			k->stmt_q[i].used = false;
		return true;
	}
	for (size_t i = 0; i < GET_Q; i++) {
		if (!k->get_q[i].used)
			continue;
		k->get_q[i].used = false;
		bft_be_put_bytes(msg_head(k, out, k->get_q[i].to, 'G'), k->get_q[i].hash, BFT_BLOCK_HASH);
		out->len = 39;
		return true;
	}
	for (size_t i = 0; i < GET_Q; i++) {
		if (!k->hdr_q[i].used)
			continue;
		k->hdr_q[i].used = false;
		bft_block_hdr_encode(msg_head(k, out, k->hdr_q[i].to, 'H'), &k->hdr_q[i].h);
		out->len = 7 + BFT_BLOCK_HDR_LEN;
		k->info.headers_tx++;
		return true;
	}
	for (size_t i = 0; i < SEND_MAX; i++) {
		struct send *s = &k->sends[i];
		if (!s->used)
			continue;
		const struct blob *b = &k->blobs[s->blob];
		unsigned cnt = (unsigned)((b->len + FRAG_PAY - 1) / FRAG_PAY);
		/* The next recipient: one peer, or every peer but the sender (of
		 * those the share takes, or leaves to the announcement). */
		while (s->peer < k->n_peers &&
		       ((s->to != ALL && k->peers[s->peer] != s->to) || (s->to == ALL && k->peers[s->peer] == s->except) ||
		        (s->mode == SEND_SHARE && !relay_whole(k, b, s->peer)) ||
		        (s->mode == SEND_ANNOUNCE && relay_whole(k, b, s->peer))))
			s->peer++;
		if (s->peer >= k->n_peers) {
			s->used = false;
			continue;
		}
		if (s->mode == SEND_ANNOUNCE) {
			bft_be_put_bytes(msg_head(k, out, k->peers[s->peer], 'I'), b->hash, BFT_BLOCK_HASH);
			out->len = 39;
			k->info.announces_tx++;
			s->peer++;
			return true;
		}
		frag_out(k, b, s->frag, k->peers[s->peer], out);
		if (++s->frag >= cnt) {
			s->frag = 0;
			s->peer++;
		}
		return true;
	}
	k->outbox = false;
	return false;
}

/* ---- the correction ------------------------------------------------------------ */

bool bft_nkn_point(bft_nkn *k, const bft_nkn_now *now, int64_t poll_ns, bft_interval iv, int64_t *point)
{
	/* The alarm: a chain we refuse as implausible leads ours by more than
	 * ALARM_LEAD blocks of work. Any lead at all (the engine's flag) also
	 * fires on luck: at start a liar's first block outworks an honest chain
	 * not yet begun. Six blocks is Nakamoto's confirmation depth: a 30%
	 * miner gets that far ahead with probability (0.3/0.7)^6 < 0.7%. A
	 * TEST-ONLY liar (byz_offset_ns) never holds over: an attacker would
	 * not, and its clock must stay settled for it to keep mining. */
	bft_nk_tip tip; /* no implausible work seen, none outworks us: spare the tip's summary */
	if (k->chain.implausible_work > 0 && bft_nk_best(&k->chain, &tip) == 0 && tip.outworked_by_implausible &&
	    !k->cfg.byz_offset_ns &&
	    k->chain.implausible_work - tip.work > (bft_nk_work)ALARM_LEAD * tip.next_difficulty) {
		k->info.alarms++;
		k->info.alarmed = true;
		return true;
	}
	k->info.alarmed = false;
	if (!now->running)
		return false;
	int64_t dt = k->last_point_raw ? bft_sat_sub(now->raw_ns, k->last_point_raw) : poll_ns;
	dt = dt < 0 ? 0 : dt > poll_ns ? poll_ns : dt;
	k->last_point_raw = now->raw_ns;
	int64_t sum = 0;
	size_t have = 0, n = 0;
	for (size_t i = 0; i < k->n_refs; i++) {
		if (!k->meas[i].have || shadowed(k, i))
			continue;
		bft_nk_correction c;
		bool ok = bft_nk_consensus(&k->chain, &k->meas[i].m, now->time_ns, &k->cfg.steer, k->scratch, &c) == 0;
		if (n < BFT_NODE_NK_REFS) {
			k->info.refs[n].ref = k->meas[i].m.ref;
			k->info.refs[n].have = ok;
			if (ok)
				k->info.refs[n].c = c;
			n++;
		}
		if (!ok)
			continue;
		/* The consensus clock as a measurement: it reads our clock plus
		 * the phase (own offset - median), so the discipline fits its
		 * offset and frequency as it fits a reference's (common view: the
		 * reference's own error cancels). The ensemble is pulled towards
		 * the reference itself by at most ref_slew_ppb: the median,
		 * clamped to what that rate gains over the time since the last
		 * fusion. A reference lying to everyone drags the clocks no faster. */
		int64_t pull = bft_drift_ns(k->cfg.steer.ref_slew_ppb, dt);
		int64_t m = c.median_ns < -pull ? -pull : c.median_ns > pull ? pull : c.median_ns;
		sum = bft_sat_add(sum, bft_sat_add(c.phase_ns, m));
		have++;
	}
	k->info.n_refs = n;
	/* Unsettled, the node's own measurement disagrees with its clock by
	 * more than agree / 2: the phase (own offset - median) would carry the
	 * clock to its own reference, a locally spoofed one included (the
	 * simulator's regional spoof: 0.9 ms). The fusion's point holds it
	 * with its peers instead. A TEST-ONLY liar keeps the fusion's point
	 * too: steering by its own lie would carry its clock away. */
	if (!have || !settled(k) || k->cfg.byz_offset_ns)
		return false;
	int64_t course = bft_sat_sub(now->time_ns, now->raw_ns);
	int64_t p = bft_sat_add(course, sum / (int64_t)have);
	*point = p < iv.lo_ns ? iv.lo_ns : p > iv.hi_ns ? iv.hi_ns : p;
	k->info.steered++;
	return false;
}

void bft_nkn_info(const bft_nkn *k, bft_node_chain_info *out)
{
	*out = k->info;
	out->on = true;
	out->stats = k->chain.st;
	if (bft_nk_best(&k->chain, &out->tip) != 0)
		memset(&out->tip, 0, sizeof out->tip);
}

uint64_t bft_nkn_stmts_of(const bft_nkn *k, const uint8_t *marked, size_t n_bits)
{
	uint64_t n = 0, walked = 0;
	for (int32_t i = k->chain.best; i >= 0 && walked < k->chain.n_slots; i = k->slots[i].parent, walked++)
		for (size_t j = 0; j < k->slots[i].n_stmts; j++) {
			uint32_t id = k->slots[i].stmts[j].node_id;
			n += id < n_bits && (marked[id / 8] >> (id % 8) & 1);
		}
	return n;
}

uint64_t bft_nkn_miners(const bft_nkn *k, uint64_t *by_miner, size_t cap, uint64_t diff_range[2])
{
	uint64_t n = 0, lo = UINT64_MAX, hi = 0;
	for (int32_t i = k->chain.best; i >= 0 && n < k->chain.n_slots; i = k->slots[i].parent, n++) {
		const bft_block_hdr *h = &k->slots[i].h;
		if (h->miner_id < cap)
			by_miner[h->miner_id]++;
		lo = h->difficulty < lo ? h->difficulty : lo;
		hi = h->difficulty > hi ? h->difficulty : hi;
	}
	if (diff_range) {
		diff_range[0] = n ? lo : 0;
		diff_range[1] = hi;
	}
	return n;
}
