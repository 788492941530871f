/* SPDX-License-Identifier: MIT */
/*
 * The node state machine driven by a tiny in-test world: drifting clocks,
 * fixed delays, a few nodes in full mesh, some with a reference clock. It
 * checks that nodes without references learn time from their peers, that
 * every reported interval holds true time, that a lying peer within f cannot
 * move the others out of their bounds, and that hostile packets are dropped
 * and counted. (bftime-sim is the full instrument; this is the unit test.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/node.h"

#define MS INT64_C(1000000)
#define S INT64_C(1000000000)
#define N 5
#define MAXEV 4096

struct ev {
	int64_t t; /* true time */
	int kind;  /* 0 timer, 1 packet, 2 reference */
	int node;
	size_t len;
	uint8_t buf[BFT_WIRE_MAX];
};

struct world {
	bft_node *node[N];
	int64_t off[N];  /* raw = off + t * (1 + ppb[i]/1e9) */
	int64_t ppb[N];
	bool has_ref[N];
	int liar;        /* node whose outgoing t_a/t_b are shifted, -1 none */
	int64_t lie_ns;
	struct ev ev[MAXEV];
	int nev;
	uint64_t secret;
	bft_signer signer;
	uint8_t last_resp[BFT_WIRE_MAX];
	size_t last_resp_len;
	int last_resp_to;
	/* the last complete exchange 0 -> 1: its REQUEST and FOLLOWUP */
	uint8_t req01[BFT_WIRE_MAX], fup01[BFT_WIRE_MAX], req_tmp[BFT_WIRE_MAX];
	size_t req01_len, fup01_len, req_tmp_len;
};

static int64_t raw_at(const struct world *w, int i, int64_t t)
{
	return w->off[i] + t + (int64_t)((__int128)t * w->ppb[i] / S);
}

static int64_t true_at(const struct world *w, int i, int64_t raw)
{
	int64_t t = raw - w->off[i];
	for (int k = 0; k < 3; k++) /* fixed point: raw_at(t) = raw */
		t += raw - raw_at(w, i, t);
	while (raw_at(w, i, t) < raw)
		t++;
	return t;
}

static void add_ev(struct world *w, struct ev e)
{
	assert_true(w->nev < MAXEV);
	int i = w->nev++;
	while (i > 0 && w->ev[i - 1].t > e.t) {
		w->ev[i] = w->ev[i - 1];
		i--;
	}
	w->ev[i] = e;
}

static void lie(struct world *w, int from, struct ev *e)
{
	bft_msg m;
	size_t sl;
	assert_int_equal(bft_wire_decode(&m, &sl, e->buf, e->len), 0);
	m.t_a += w->lie_ns;
	m.t_b += w->lie_ns;
	int len = bft_wire_encode(e->buf, sizeof e->buf, &m);
	uint8_t sig[BFT_WIRE_SIG_MAX];
	w->signer.sign(w->signer.ctx, (uint32_t)from, e->buf, (size_t)len, sig);
	e->len = (size_t)bft_wire_seal(e->buf, sizeof e->buf, (size_t)len, sig, w->signer.sig_len);
}

static void drain(struct world *w, int i, int64_t t)
{
	bft_action a;
	while (bft_node_next_action(w->node[i], &a)) {
		if (a.kind == BFT_ACT_TIMER) {
			add_ev(w, (struct ev){ .t = true_at(w, i, a.at_raw_ns), .kind = 0, .node = i });
		} else if (a.kind == BFT_ACT_SEND) {
			struct ev e = { .t = t + 5 * MS + (int64_t)(a.to * 100000), .kind = 1, .node = (int)a.to, .len = a.len };
			memcpy(e.buf, a.buf, a.len);
			if (i == w->liar)
				lie(w, i, &e);
			bft_msg m;
			size_t sl;
			if (bft_wire_decode(&m, &sl, e.buf, e.len) == 0 && m.type == BFT_MSG_RESPONSE) {
				memcpy(w->last_resp, e.buf, e.len);
				w->last_resp_len = e.len;
				w->last_resp_to = (int)a.to;
			}
			if (i == 0 && a.to == 1 && m.type == BFT_MSG_REQUEST) {
				memcpy(w->req_tmp, e.buf, e.len);
				w->req_tmp_len = e.len;
			}
			if (i == 0 && a.to == 1 && m.type == BFT_MSG_FOLLOWUP && w->req_tmp_len) {
				memcpy(w->req01, w->req_tmp, w->req_tmp_len);
				w->req01_len = w->req_tmp_len;
				memcpy(w->fup01, e.buf, e.len);
				w->fup01_len = e.len;
			}
			add_ev(w, e);
		}
	}
}

static void setup_world(struct world *w, enum bft_engine_kind engine, size_t f)
{
	memset(w, 0, sizeof *w);
	w->secret = 12345;
	bft_signer_sim(&w->signer, &w->secret);
	w->liar = -1;
	for (int i = 0; i < N; i++) {
		w->off[i] = (i * 7919 % 23 - 11) * 100 * MS; /* up to +-1.1 s off */
		w->ppb[i] = (i * 31 % 11 - 5) * 10000;       /* up to +-50 ppm */
		w->has_ref[i] = i < 3;
		uint32_t peers[N - 1];
		size_t np = 0;
		for (int j = 0; j < N; j++)
			if (j != i)
				peers[np++] = (uint32_t)j;
		bft_node_config c;
		bft_node_config_default(&c);
		c.id = (uint32_t)i;
		c.peers = peers;
		c.n_peers = np;
		c.max_refs = 1;
		c.f = f;
		c.engine = engine;
		c.dmin_ns = 1 * MS;
		c.poll_ns = 8 * S;
		c.signer = &w->signer;
		c.seed = 77;
		assert_int_equal(bft_node_create(&w->node[i], &c), 0);
		assert_int_equal(bft_node_start(w->node[i], raw_at(w, i, 0)), 0);
		drain(w, i, 0);
		if (w->has_ref[i])
			add_ev(w, (struct ev){ .t = S, .kind = 2, .node = i });
	}
}

static void run(struct world *w, int64_t until, int *checks, int *held, int64_t *spread)
{
	int64_t next_check = 600 * S;
	*spread = 0;
	while (w->nev && w->ev[0].t <= until) {
		struct ev e = w->ev[0];
		memmove(w->ev, w->ev + 1, (size_t)--w->nev * sizeof *w->ev);
		while (e.t >= next_check) { /* every 10 s after warm-up: check honest nodes */
			int64_t lo = INT64_MAX, hi = INT64_MIN;
			for (int i = 0; i < N; i++) {
				if (i == w->liar)
					continue;
				bft_estimate est;
				assert_int_equal(bft_node_read(w->node[i], raw_at(w, i, next_check), &est), 0);
				assert_int_not_equal(est.state, BFT_DISC_UNSYNCHRONIZED);
				assert_true(est.used <= est.sources); /* "used of" the sources fused */
				(*checks)++;
				*held += bft_iv_contains(est.bounds, next_check);
				int64_t err = est.estimate_ns - next_check;
				if (getenv("NODE_DEBUG") && next_check % (300 * S) == 0)
					printf("  t=%lld node %d err %.3f ms iv [%.3f, %.3f] src %u used %u state %d\n", (long long)(next_check / S), i, (double)err / 1e6, (double)(est.bounds.lo_ns - next_check) / 1e6, (double)(est.bounds.hi_ns - next_check) / 1e6, est.sources, est.used, (int)est.state);
				lo = err < lo ? err : lo;
				hi = err > hi ? err : hi;
			}
			*spread = hi - lo > *spread ? hi - lo : *spread;
			if (getenv("NODE_DEBUG") && hi - lo > MS)
				printf("t=%lld spread %lld\n", (long long)(next_check / S), (long long)(hi - lo));
			next_check += 10 * S;
		}
		int i = e.node;
		int64_t raw = raw_at(w, i, e.t);
		if (e.kind == 0) {
			bft_node_on_timer(w->node[i], raw);
		} else if (e.kind == 1) {
			bft_node_on_packet(w->node[i], raw, e.buf, e.len);
		} else {
			/* A reference good to +-200 us, read every 4 s. */
			int64_t noise = (e.t / S * 7 % 5 - 2) * 50000;
			bft_node_on_reference(w->node[i], raw, 0, bft_iv(e.t + noise - 200000, e.t + noise + 200000));
			add_ev(w, (struct ev){ .t = e.t + 4 * S, .kind = 2, .node = i });
		}
		drain(w, i, e.t);
	}
}

static void teardown_world(struct world *w)
{
	for (int i = 0; i < N; i++)
		bft_node_destroy(w->node[i]);
}

static void test_converge(void **state)
{
	(void)state;
	static struct world w;
	setup_world(&w, BFT_ENGINE_FUSION, 1);
	int checks = 0, held = 0;
	int64_t spread;
	run(&w, 3600 * S, &checks, &held, &spread);
	printf("honest, fusion: %d of %d intervals held true time; spread of estimates %.3f ms\n", held, checks,
	       (double)spread / 1e6);
	assert_int_equal(held, checks);
	assert_true(checks > 1000);
	assert_true(spread < 2 * MS);
	/* Nodes 3 and 4 have no reference: they learned time from peers. */
	bft_source_info src[N];
	assert_int_equal(bft_node_sources(w.node[4], src, N), N);
	int fresh = 0;
	for (int i = 0; i < N; i++)
		fresh += src[i].fresh && src[i].is_peer;
	assert_int_equal(fresh, N - 1);
	/* Reach and last receipt (bftime sources): every peer answered in
	 * each of the last eight polls, within the last poll. */
	for (int i = 0; i < N; i++)
		if (src[i].is_peer) {
			assert_int_equal(src[i].reach, 0377);
			assert_true(src[i].last_rx_raw != INT64_MIN);
			assert_int_equal(src[i].bad_sig, 0);
		}
	/* Levels of true time on the wire (docs/internal-sync.md §5): a node
	 * with a reference states level 0, one synchronized by f + 1 of them
	 * level 1 (the flags' high nibble is the level plus one). */
	bft_msg m;
	size_t sl;
	assert_int_equal(bft_wire_decode(&m, &sl, w.last_resp, w.last_resp_len), 0);
	assert_true(m.flags & BFT_MSGF_SYNCED);
	assert_int_equal(m.flags >> BFT_MSGF_LEVEL_SHIFT, w.has_ref[m.from] ? 1 : 2);
	const bft_node_counters *c = bft_node_get_counters(w.node[4]);
	assert_true(c->exchanges > 100);
	assert_int_equal(c->rx_bad + c->rx_bad_sig + c->alarms, 0);
	/* An estimate carried without a read (bft_estimate_carry, the NTP
	 * server's batches): never ahead of a read, behind it by at most
	 * 2 * max_slew per unit of raw time, its interval holding the read's
	 * and true time. */
	int carries = 0;
	for (int i = 0; i < N; i++) {
		const bft_node_config *cfg = bft_node_get_config(w.node[i]);
		int64_t r0 = raw_at(&w, i, 3601 * S);
		bft_estimate e0;
		assert_int_equal(bft_node_read(w.node[i], r0, &e0), 0);
		static const int64_t ds[] = { 0, 1, 999, 50000, BFT_CARRY_MAX_NS };
		for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
			bft_estimate ce = e0, rd;
			assert_int_equal(bft_estimate_carry(&ce, r0 + ds[k], cfg), 0);
			assert_int_equal(bft_node_read(w.node[i], r0 + ds[k], &rd), 0);
			assert_true(ce.time_ns <= rd.time_ns);
			assert_true(rd.time_ns - ce.time_ns <= 2 * cfg->disc.max_slew_ppb * ds[k] / S + 3);
			assert_true(ce.bounds.lo_ns <= rd.bounds.lo_ns && ce.bounds.hi_ns >= rd.bounds.hi_ns);
			assert_true(bft_iv_contains(ce.bounds, true_at(&w, i, r0 + ds[k])));
			assert_true(bft_iv_contains(ce.bounds, ce.estimate_ns));
			carries++;
		}
		bft_estimate ce = e0;
		assert_int_equal(bft_estimate_carry(&ce, r0 + BFT_CARRY_MAX_NS + 1, cfg), BFT_EINVAL);
		assert_int_equal(bft_estimate_carry(&ce, r0 - 1, cfg), BFT_EINVAL);
		assert_int_equal(ce.time_ns, e0.time_ns); /* refused: unchanged */
	}
	printf("carried estimates checked against reads: %d\n", carries);
	teardown_world(&w);
}

static void test_liar_within_f(void **state)
{
	(void)state;
	static struct world w;
	setup_world(&w, BFT_ENGINE_FUSION, 1);
	w.liar = 1; /* has a reference too, but says it is 30 ms ahead */
	w.lie_ns = 30 * MS;
	int checks = 0, held = 0;
	int64_t spread;
	run(&w, 3600 * S, &checks, &held, &spread);
	printf("one liar of 5 at +30 ms, fusion f=1: %d of %d intervals held; honest spread %.3f ms\n", held, checks,
	       (double)spread / 1e6);
	assert_int_equal(held, checks);
	assert_true(spread < 2 * MS);
	teardown_world(&w);
}

/*
 * Internal synchronization (docs/internal-sync.md): no node has a reference.
 * Each runs a network clock steered by the trimmed midpoint of its peers'
 * clocks; raw clocks start up to 1.1 s and 100 ppm apart (the first rounds
 * step, later ones slew). After warm-up every honest node claims agreement,
 * its bounds stay infinite (no true time), and the honest clocks stay within
 * the precision every one of them states, with one liar of five (f = 1).
 */
static void run_internal(int liar, int64_t lie_ns)
{
	static struct world w;
	setup_world(&w, BFT_ENGINE_FUSION, 1);
	w.liar = liar;
	w.lie_ns = lie_ns;
	for (int i = 0; i < N; i++)
		w.has_ref[i] = false;
	/* Drop the references' events (kind 2); keep the timers and packets. */
	int k = 0;
	for (int i = 0; i < w.nev; i++)
		if (w.ev[i].kind != 2)
			w.ev[k++] = w.ev[i];
	w.nev = k;
	int64_t worst = 0, bound = INT64_MAX, checks = 0;
	uint64_t used0[N][N] = { { 0 } }, trimmed0[N][N] = { { 0 } };
	for (int64_t t = 0; t < 3600 * S; t += 10 * S) {
		while (w.nev && w.ev[0].t <= t) {
			struct ev e = w.ev[0];
			memmove(w.ev, w.ev + 1, (size_t)--w.nev * sizeof *w.ev);
			int i = e.node;
			int64_t raw = raw_at(&w, i, e.t);
			if (e.kind == 0)
				bft_node_on_timer(w.node[i], raw);
			else if (e.kind == 1)
				bft_node_on_packet(w.node[i], raw, e.buf, e.len);
			drain(&w, i, e.t);
		}
		if (t < 1200 * S)
			continue;
		if (t == 1200 * S) /* the per-peer agreement counters from here on */
			for (int i = 0; i < N; i++) {
				bft_source_info si[2 * N];
				size_t ns = bft_node_sources(w.node[i], si, 2 * N);
				for (size_t j = 0; j < ns && j < 2 * N; j++)
					if (si[j].is_peer && si[j].id < N) {
						used0[i][si[j].id] = si[j].agree_used;
						trimmed0[i][si[j].id] = si[j].agree_trimmed;
					}
			}
		int64_t lo = INT64_MAX, hi = INT64_MIN, stated = 0;
		for (int i = 0; i < N; i++) {
			if (i == liar)
				continue;
			bft_estimate est;
			assert_int_equal(bft_node_read(w.node[i], raw_at(&w, i, t), &est), 0);
			assert_int_equal(est.state, BFT_DISC_UNSYNCHRONIZED);
			assert_true(est.bounds.lo_ns == INT64_MIN && est.bounds.hi_ns == INT64_MAX);
			assert_true(est.net_running);
			assert_true(est.agreed);
			assert_true(est.precision_ns > 0 && est.precision_hard_ns >= est.precision_ns);
			stated = est.precision_ns > stated ? est.precision_ns : stated;
			lo = est.time_ns - t < lo ? est.time_ns - t : lo;
			hi = est.time_ns - t > hi ? est.time_ns - t : hi;
			checks++;
		}
		worst = hi - lo > worst ? hi - lo : worst;
		bound = stated < bound ? stated : bound;
		assert_true(hi - lo <= stated);
	}
	printf("no references, liar %d at %+.0f ms: honest network clocks within %.3f ms (stated bound at least "
	       "%.3f ms), %lld checks\n",
	       liar, (double)lie_ns / 1e6, (double)worst / 1e6, (double)bound / 1e6, (long long)checks);
	assert_true(checks > 900);
	bft_agree_info ai;
	bft_node_agree_info(w.node[liar == 0 ? 1 : 0], &ai);
	assert_true(ai.agreed && ai.net_running && ai.round > 100 && ai.used >= 3);
	assert_int_equal(bft_node_get_counters(w.node[liar == 0 ? 1 : 0])->alarms, 0);
	/* Per peer (bft_source_info), since the network agreed: the liar,
	 * 30 ms ahead of clocks within a millisecond, is trimmed at every
	 * step that took its reading (the f = 1 largest above ours), so at
	 * most one honest reading a step is (the smallest below ours:
	 * W-MSR trims honest extremes too). */
	for (int i = 0; liar >= 0 && i < N; i++) {
		if (i == liar)
			continue;
		bft_source_info si[2 * N];
		size_t ns = bft_node_sources(w.node[i], si, 2 * N);
		uint64_t liar_used = 0, honest_trimmed = 0;
		for (size_t j = 0; j < ns && j < 2 * N; j++) {
			if (!si[j].is_peer)
				continue;
			uint64_t used = si[j].agree_used - used0[i][si[j].id], trimmed = si[j].agree_trimmed - trimmed0[i][si[j].id];
			assert_true(used > 200 && trimmed <= used);
			if ((int)si[j].id == liar) {
				assert_true(trimmed == used);
				liar_used = used;
			} else {
				honest_trimmed += trimmed;
			}
		}
		assert_true(liar_used > 0 && honest_trimmed <= liar_used);
	}
	teardown_world(&w);
}

static void test_internal_sync(void **state)
{
	(void)state;
	run_internal(-1, 0);
	run_internal(1, 30 * MS);
}

static void test_hostile_packets(void **state)
{
	(void)state;
	static struct world w;
	setup_world(&w, BFT_ENGINE_FUSION, 1);
	int checks = 0, held = 0;
	int64_t spread;
	/* Three REQUESTs of node 0 to node 1, recorded 50 s apart. */
	static uint8_t rec[2][BFT_WIRE_MAX];
	size_t rec_len[2];
	for (int k = 0; k < 2; k++) {
		run(&w, (600 + 50 * k) * S, &checks, &held, &spread);
		memcpy(rec[k], w.req01, w.req01_len);
		rec_len[k] = w.req01_len;
	}
	run(&w, 700 * S, &checks, &held, &spread);
	bft_node *n = w.node[w.last_resp_to];
	const bft_node_counters *c = bft_node_get_counters(n);
	uint64_t replay = c->rx_replay, bad = c->rx_bad, badsig = c->rx_bad_sig;
	/* Replay the last response: its nonce is no longer pending. */
	assert_int_not_equal(bft_node_on_packet(n, raw_at(&w, w.last_resp_to, 701 * S), w.last_resp, w.last_resp_len),
	                     0);
	assert_true(c->rx_replay == replay + 1);
	/* Replay a whole old exchange to node 1 later: the REQUEST is refused
	 * (stamped before the newest one answered) and nothing is sent back;
	 * the old FOLLOWUP matches no pending exchange: no reading is made. */
	bft_node *n1 = w.node[1];
	const bft_node_counters *c1 = bft_node_get_counters(n1);
	assert_true(w.req01_len && w.fup01_len);
	uint64_t ex1 = c1->exchanges, rp1 = c1->rx_replay;
	bft_action a;
	while (bft_node_next_action(n1, &a))
		;
	assert_int_not_equal(bft_node_on_packet(n1, raw_at(&w, 1, 705 * S), w.req01, w.req01_len), 0);
	while (bft_node_next_action(n1, &a))
		assert_int_not_equal(a.kind, BFT_ACT_SEND);
	assert_int_not_equal(bft_node_on_packet(n1, raw_at(&w, 1, 705 * S + MS), w.fup01, w.fup01_len), 0);
	assert_true(c1->exchanges == ex1 && c1->rx_replay == rp1 + 2);
	/* Stamps that are not newer for four polls are a restarted peer's:
	 * then the REQUEST is answered again. */
	int64_t poll = bft_node_get_config(n1)->poll_ns;
	assert_int_not_equal(bft_node_on_packet(n1, raw_at(&w, 1, 705 * S + 4 * poll - S), w.req01, w.req01_len), 0);
	assert_int_equal(bft_node_on_packet(n1, raw_at(&w, 1, 705 * S + 4 * poll + S), w.req01, w.req01_len), 0);
	bool sent = false;
	while (bft_node_next_action(n1, &a))
		sent |= a.kind == BFT_ACT_SEND;
	assert_true(sent);
	/* Our own restart: a new node 1 remembers no REQUEST. An attacker
	 * replays the recording in order, each newer than the last: answered,
	 * but only until the peer's genuine, newer REQUEST is seen, even when
	 * the quarter-poll limit leaves that one unanswered. */
	uint32_t peers1[N - 1] = { 0, 2, 3, 4 };
	bft_node_config c1cfg = *bft_node_get_config(n1);
	c1cfg.peers = peers1;
	c1cfg.n_peers = N - 1;
	bft_node *r1;
	assert_int_equal(bft_node_create(&r1, &c1cfg), 0);
	assert_int_equal(bft_node_start(r1, raw_at(&w, 1, 730 * S)), 0);
	assert_int_equal(bft_node_on_packet(r1, raw_at(&w, 1, 730 * S), rec[0], rec_len[0]), 0); /* oldest: answered */
	assert_int_not_equal(bft_node_on_packet(r1, raw_at(&w, 1, 730 * S + MS), w.req01, w.req01_len), 0); /* genuine: rate-limited */
	assert_int_not_equal(bft_node_on_packet(r1, raw_at(&w, 1, 730 * S + poll / 2), rec[1], rec_len[1]), 0);
	assert_int_equal(bft_node_get_counters(r1)->rx_replay, 2);
	bft_node_destroy(r1);
	/* A REQUEST without its padding would be answered by a larger
	 * RESPONSE: malformed, refused before its signature is checked. */
	bft_msg m;
	size_t sl;
	assert_int_equal(bft_wire_decode(&m, &sl, w.req01, w.req01_len), 0);
	uint8_t shortreq[BFT_WIRE_MAX];
	size_t hdr = 4 + 2 * (2 + 4) + 4 * (2 + 8) + 2 * (2 + 1); /* every field but the padding */
	memcpy(shortreq, w.req01, hdr);
	uint8_t sig[BFT_WIRE_SIG_MAX];
	w.signer.sign(w.signer.ctx, 0, shortreq, hdr, sig);
	int sl2 = bft_wire_seal(shortreq, sizeof shortreq, hdr, sig, w.signer.sig_len);
	assert_true(sl2 > 0 && (size_t)sl2 < w.req01_len);
	uint64_t bad1 = c1->rx_bad;
	assert_int_not_equal(bft_node_on_packet(n1, raw_at(&w, 1, 720 * S), shortreq, (size_t)sl2), 0);
	assert_true(c1->rx_bad == bad1 + 1);
	/* Garbage, empty, NULL, oversized. */
	uint8_t junk[300];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 37);
	assert_int_not_equal(bft_node_on_packet(n, 0, junk, sizeof junk), 0);
	assert_int_not_equal(bft_node_on_packet(n, 0, junk, 0), 0);
	assert_int_not_equal(bft_node_on_packet(n, 0, NULL, 10), 0);
	assert_true(c->rx_bad == bad + 3);
	/* A forged signature. */
	w.last_resp[w.last_resp_len - 1] ^= 1;
	assert_int_not_equal(bft_node_on_packet(n, 0, w.last_resp, w.last_resp_len), 0);
	assert_true(c->rx_bad_sig == badsig + 1);
	/* ... counted for the peer it names too (a wrong key shows there). */
	bft_msg fm;
	size_t fsl;
	assert_int_equal(bft_wire_decode(&fm, &fsl, w.last_resp, w.last_resp_len), 0);
	bft_source_info si[N];
	size_t ns = bft_node_sources(n, si, N);
	int named = 0;
	for (size_t i = 0; i < ns; i++)
		if (si[i].is_peer && si[i].id == fm.from) {
			assert_int_equal(si[i].bad_sig, 1);
			named++;
		} else {
			assert_int_equal(si[i].bad_sig, 0);
		}
	assert_int_equal(named, 1);
	teardown_world(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_converge),
		cmocka_unit_test(test_liar_within_f),
		cmocka_unit_test(test_hostile_packets),
		cmocka_unit_test(test_internal_sync),
	};
	return cmocka_run_group_tests_name("node", tests, NULL, NULL);
}
