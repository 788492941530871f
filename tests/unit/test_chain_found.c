/* SPDX-License-Identifier: MIT */
/*
 * The node's external-mining entry point (src/node/node_chain.h,
 * bft_node_chain_work / bft_node_chain_found; docs/nakamoto.md, "Poisson
 * mining"): what the simulator's Poisson mode uses to have the node make the
 * block of a find it drew. One nakamoto node that does not hash itself
 * (mine: false), settled on one reference: no work before it is settled;
 * then the header it hands out at the genesis difficulty; a nonce without
 * the work, and a header that is not the current work (another timestamp,
 * with valid work for it), refused and no block made; the right nonce makes
 * exactly one block, announced (BLOCK) with that header's hash, the node's
 * best tip; handing the same find in again is refused (the work is used up).
 * Then the relay: its own block went out whole, and announcements ("BI") of
 * a block it lacks make it ask for it, again each second while it does not
 * come, the announcers in turn, six times at most.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <bftime/common.h>

#include "node/node.h"
#include "proto/chain_wire.h"
#include "proto/sign.h"

#define RAW0 INT64_C(1000000000000)
#define TRUE_OFF (INT64_C(1767225600000000000) - RAW0)
#define D0 4

static const uint64_t secret = 0x15;
static const uint32_t peers[] = { 2, 3, 4 };

struct out {
	int64_t timer;
	size_t blocks;
	uint8_t block_hash[BFT_BLOCK_HASH];
	size_t sent[26]; /* chain datagrams sent, by kind ('F' fragments, 'G' requests, 'I' announcements) */
	uint32_t last_to;
};

static void drain(bft_node *n, struct out *o)
{
	bft_action a;
	static bft_block b;
	while (bft_node_next_action(n, &a)) {
		if (a.kind == BFT_ACT_TIMER)
			o->timer = a.at_raw_ns;
		if (a.kind == BFT_ACT_SEND && a.len >= 3 && a.buf[0] == 'B' && a.buf[1] >= 'A' && a.buf[1] <= 'Z') {
			o->sent[a.buf[1] - 'A']++;
			o->last_to = a.to;
		}
		if (a.kind == BFT_ACT_BLOCK) {
			assert_non_null(a.blob);
			assert_int_equal(bft_block_decode(&b, a.blob, a.blob_len), 0);
			assert_int_equal(bft_block_hash(o->block_hash, &b.h), 0);
			o->blocks++;
		}
	}
}

static bft_node *make_node_relay(bft_signer *signer, bft_node_nk_config *nk, uint32_t relay_hops)
{
	memset(nk, 0, sizeof *nk);
	*nk = (bft_node_nk_config){ .n_slots = 32, .n_orphans = 4, .mine = false, .relay_hops = relay_hops };
	memset(nk->chain.genesis, 0x42, sizeof nk->chain.genesis);
	nk->chain.genesis_time_ns = RAW0 + TRUE_OFF;
	nk->chain.genesis_difficulty = D0;
	nk->chain.interval_ns = 10 * BFT_NS_PER_SEC;
	nk->chain.retarget_blocks = 4;
	nk->chain.max_step = 4;
	nk->chain.future_tol_ns = 10 * BFT_NS_PER_SEC;
	nk->chain.stmt_age_ns = 60 * BFT_NS_PER_SEC;
	nk->chain.agree_ns = 1000000;
	nk->chain.drift_ppb = 1000;
	nk->chain.window_blocks = 4;
	nk->chain.orphan_ttl_ns = 30 * BFT_NS_PER_SEC;
	nk->chain.min_stmts = 1;
	nk->steer = (bft_nk_steer){ .tau_phase_ns = 8 * BFT_NS_PER_SEC, .tau_ref_ns = 60 * BFT_NS_PER_SEC,
		                    .ref_slew_ppb = 10000, .max_ppb = 10000 };
	bft_signer_sim(signer, &secret);
	bft_node_config cfg;
	bft_node_config_default(&cfg);
	cfg.id = 1;
	cfg.peers = peers;
	cfg.n_peers = 3;
	cfg.max_refs = 1;
	cfg.f = 1;
	cfg.engine = BFT_ENGINE_NAKAMOTO;
	cfg.poll_ns = 2 * BFT_NS_PER_SEC;
	cfg.signer = signer;
	cfg.nk = nk;
	bft_node *n = NULL;
	assert_int_equal(bft_node_create(&n, &cfg), 0);
	return n;
}

static bft_node *make_node(bft_signer *signer, bft_node_nk_config *nk) { return make_node_relay(signer, nk, 0); }

static void test_work_and_found(void **state)
{
	(void)state;
	bft_signer signer;
	bft_node_nk_config nk;
	bft_node *n = make_node(&signer, &nk);
	struct out o = { .timer = INT64_MAX };
	bft_block_hdr h, x;
	int64_t raw = RAW0;

	assert_int_equal(bft_node_chain_work(n, raw, &h), BFT_EINVAL); /* not started */
	assert_int_equal(bft_node_start(n, raw), 0);
	drain(n, &o);
	assert_int_equal(bft_node_chain_work(n, raw, &h), BFT_EEMPTY); /* not settled: no mining */
	assert_int_equal(bft_node_chain_next_difficulty(n), D0);

	/* A reference that agrees with the clock, read every 0.5 s; the node's
	 * polls as its TIMERs come, until it hands out work (settled). */
	int got = BFT_EEMPTY;
	for (int i = 0; i < 400 && got != 0; i++) {
		raw += BFT_NS_PER_SEC / 2;
		if (raw >= o.timer) {
			o.timer = INT64_MAX;
			assert_int_equal(bft_node_on_timer(n, raw), 0);
		}
		int64_t t = raw + TRUE_OFF;
		assert_int_equal(bft_node_on_reference(n, raw, 0, bft_iv(t - 1000, t + 1000)), 0);
		drain(n, &o);
		got = bft_node_chain_work(n, raw, &h);
	}
	assert_int_equal(got, 0);
	assert_int_equal(h.height, 1);
	assert_int_equal(h.difficulty, D0);
	assert_int_equal(h.miner_id, 1);
	assert_int_equal(o.blocks, 0);

	/* A nonce without the work: refused, no block. */
	x = h;
	uint8_t hash[BFT_BLOCK_HASH];
	for (;; x.nonce++) {
		assert_int_equal(bft_block_hash(hash, &x), 0);
		if (!bft_work_meets(hash, x.difficulty))
			break;
	}
	assert_int_equal(bft_node_chain_found(n, raw, &x), BFT_EINVAL);

	/* Not the current work (another timestamp), even with valid work. */
	x = h;
	x.time_ns++;
	assert_int_equal(bft_block_mine(&x, UINT64_C(1) << 20), 1);
	assert_int_equal(bft_node_chain_found(n, raw, &x), BFT_EINVAL);
	drain(n, &o);
	assert_int_equal(o.blocks, 0);

	/* The find: one block, the node's best tip. */
	assert_int_equal(bft_block_mine(&h, UINT64_C(1) << 20), 1);
	assert_int_equal(bft_node_chain_found(n, raw, &h), BFT_NK_BEST);
	drain(n, &o);
	assert_int_equal(o.blocks, 1);
	assert_int_equal(bft_block_hash(hash, &h), 0);
	assert_memory_equal(o.block_hash, hash, BFT_BLOCK_HASH);
	bft_node_chain_info ci;
	assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
	assert_int_equal(ci.mined, 1);
	assert_int_equal(ci.tip.height, 1);
	assert_memory_equal(ci.tip.hash, hash, BFT_BLOCK_HASH);

	/* The same find again: the work is used up. */
	assert_int_equal(bft_node_chain_found(n, raw, &h), BFT_EINVAL);
	drain(n, &o);
	assert_int_equal(o.blocks, 1);
	/* The next work builds on it. */
	assert_int_equal(bft_node_chain_work(n, raw, &x), 0);
	assert_int_equal(x.height, 2);
	assert_memory_equal(x.parent, hash, BFT_BLOCK_HASH);

	/* Its own block went out whole, to each of its 3 peers; a relayed
	 * block is announced by its hash (docs/nakamoto.md). An announcement
	 * of a block it lacks makes it ask that peer ("BG") and arm a TIMER a
	 * second later; another peer's announcement of it asks nobody at once.
	 * Each TIMER while the block has not come asks again, the announcers
	 * in turn, six times in all; a block it holds, or a sender that is not
	 * a peer, asks nothing. */
	assert_int_equal(o.sent['F' - 'A'] % 3, 0);
	assert_true(o.sent['F' - 'A'] >= 3);
	assert_int_equal(o.sent['I' - 'A'], 0);
	uint8_t ann[39] = { 'B', 'I', 1, 0, 0, 0, 2 };
	memset(ann + 7, 0x5a, BFT_BLOCK_HASH);
	o.timer = INT64_MAX;
	assert_int_equal(bft_node_on_packet(n, raw, ann, sizeof ann), 0);
	drain(n, &o);
	assert_int_equal(o.sent['G' - 'A'], 1);
	assert_int_equal(o.last_to, 2);
	assert_true(o.timer <= raw + BFT_NS_PER_SEC);
	ann[6] = 3;
	assert_int_equal(bft_node_on_packet(n, raw + BFT_NS_PER_SEC / 2, ann, sizeof ann), 0);
	drain(n, &o);
	assert_int_equal(o.sent['G' - 'A'], 1);
	uint32_t to[6] = { 2 };
	for (int i = 1; i < 8; i++) { /* asks again: 3, 2, 3, 2, 3, then no more */
		assert_int_equal(bft_node_on_timer(n, raw + i * BFT_NS_PER_SEC), 0);
		drain(n, &o);
		if (i < 6)
			to[i] = o.last_to;
	}
	assert_int_equal(o.sent['G' - 'A'], 6);
	for (int i = 1; i < 6; i++)
		assert_int_equal(to[i], i % 2 ? 3 : 2);
	memcpy(ann + 7, hash, BFT_BLOCK_HASH);
	assert_int_equal(bft_node_on_packet(n, raw + 9 * BFT_NS_PER_SEC, ann, sizeof ann), 0);
	ann[6] = 9;
	memset(ann + 7, 0x6b, BFT_BLOCK_HASH);
	assert_true(bft_node_on_packet(n, raw + 9 * BFT_NS_PER_SEC, ann, sizeof ann) < 0);
	assert_true(bft_node_on_packet(n, raw + 9 * BFT_NS_PER_SEC, ann, sizeof ann - 1) < 0);
	assert_int_equal(bft_node_on_timer(n, raw + 11 * BFT_NS_PER_SEC), 0);
	drain(n, &o);
	assert_int_equal(o.sent['G' - 'A'], 6);
	assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
	assert_int_equal(ci.announces_rx, 4); /* the short one is no announcement */
	assert_int_equal(ci.getblocks_tx, 6);
	bft_node_destroy(n);
}

/* Fragment idx of an encoded block as peer `from` sends it ("BF"). */
static size_t frag_msg(uint8_t *buf, uint32_t from, const uint8_t hash[BFT_BLOCK_HASH], const uint8_t *blob,
                       size_t len, unsigned idx)
{
	const size_t pay_max = 256 - 43;
	unsigned cnt = (unsigned)((len + pay_max - 1) / pay_max);
	size_t off = idx * pay_max, pay = len - off < pay_max ? len - off : pay_max;
	buf[0] = 'B', buf[1] = 'F', buf[2] = 1;
	buf[3] = (uint8_t)(from >> 24), buf[4] = (uint8_t)(from >> 16), buf[5] = (uint8_t)(from >> 8), buf[6] = (uint8_t)from;
	memcpy(buf + 7, hash, BFT_BLOCK_HASH);
	buf[39] = (uint8_t)(len >> 8), buf[40] = (uint8_t)len, buf[41] = (uint8_t)idx, buf[42] = (uint8_t)cnt;
	memcpy(buf + 43, blob + off, pay);
	return 43 + pay;
}

/* Fragments are not signed: a peer that sends a wrong fragment of a block
 * first spoiled the copy every sender filled (the real fragment counted a
 * duplicate, the block refused by its hash), each time it was asked for
 * again. Now the failed copy makes the block contested: asked again at
 * once, and its fragments taken only from the peer asked (found by
 * review). Peer 2 announces a block of three fragments; peer 3 sends a
 * wrong first fragment before each of peer 2's copies. */
static void test_fragment_poisoning(void **state)
{
	(void)state;
	bft_signer signer;
	bft_node_nk_config nk;
	bft_node *n = make_node(&signer, &nk);
	struct out o = { .timer = INT64_MAX };
	int64_t raw = RAW0;
	assert_int_equal(bft_node_start(n, raw), 0);
	drain(n, &o);
	/* A valid block at height 1 with statements enough for 3 fragments. */
	static bft_block b;
	memset(&b, 0, sizeof b);
	b.h.version = BFT_BLOCK_VERSION;
	b.h.miner_id = 2;
	b.h.height = 1;
	memcpy(b.h.parent, nk.chain.genesis, BFT_BLOCK_HASH);
	b.h.time_ns = RAW0 + TRUE_OFF + BFT_NS_PER_SEC;
	b.h.difficulty = D0;
	b.h.n_stmts = 4;
	for (uint32_t i = 0; i < 4; i++) {
		bft_stmt *st = &b.stmts[i];
		*st = (bft_stmt){ .node_id = 2 + i, .offset_ns = 1000, .unc_ns = 100, .local_ns = b.h.time_ns };
		st->ref.kind = BFT_CREF_SIM;
		st->ref.id[3] = 1;
		assert_int_equal(bft_stmt_sign(st, &signer), 0);
	}
	assert_int_equal(bft_block_seal(&b), 0);
	assert_int_equal(bft_block_mine(&b.h, UINT64_C(1) << 20), 1);
	static uint8_t blob[8192];
	int len = bft_block_encode(blob, sizeof blob, &b);
	assert_true(len > 2 * (256 - 43) && len <= 3 * (256 - 43));
	uint8_t hash[BFT_BLOCK_HASH], msg[256], bad[256];
	assert_int_equal(bft_block_hash(hash, &b.h), 0);
	size_t bad_len = frag_msg(bad, 3, hash, blob, (size_t)len, 0);
	bad[50] ^= 0xff; /* peer 3's wrong first fragment */

	uint8_t ann[39] = { 'B', 'I', 1, 0, 0, 0, 2 };
	memcpy(ann + 7, hash, BFT_BLOCK_HASH);
	assert_int_equal(bft_node_on_packet(n, raw, ann, sizeof ann), 0);
	drain(n, &o);
	assert_int_equal(o.sent['G' - 'A'], 1);
	bft_node_chain_info ci;
	for (int round = 0; round < 2; round++) {
		raw += BFT_NS_PER_SEC / 10;
		(void)bft_node_on_packet(n, raw, bad, bad_len);
		for (unsigned i = 0; i < 3; i++) {
			size_t l = frag_msg(msg, 2, hash, blob, (size_t)len, i);
			(void)bft_node_on_packet(n, raw, msg, l);
		}
		drain(n, &o);
		assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
		if (round == 0) { /* spoiled: contested, asked again of peer 2 at once */
			assert_int_equal(ci.blocks_bad, 1);
			assert_int_equal(ci.tip.height, 0);
			assert_int_equal(o.sent['G' - 'A'], 2);
			assert_int_equal(o.last_to, 2);
		}
	}
	/* The second copy: peer 3's fragment refused, peer 2's block taken. */
	assert_int_equal(ci.blocks_bad, 1);
	assert_int_equal(ci.tip.height, 1);
	assert_memory_equal(ci.tip.hash, hash, BFT_BLOCK_HASH);
	assert_true(ci.frags_bad >= 1);
	bft_node_destroy(n);
}

/* Statement relay (relay_hops, docs/nakamoto.md "Sparse networks"): a
 * statement of node 9 (not a peer) arriving as "BS" v2 with 2 hops left is
 * kept and sent on to the three peers with 1 hop left; the same statement
 * again is not (each node forwards once); one with 1 hop left is sent on
 * with 0 (still v2: its author is no peer of the receivers); one with 0
 * left is kept and not sent on; node 9's statement as v1 (from a non-peer
 * author) and a v2 with 9 hops are refused and counted; a node that does
 * not relay (relay_hops 0) keeps a relayed statement and sends nothing. */
static int stmt_msg(uint8_t *buf, const bft_signer *signer, uint32_t author, int64_t local_ns, int version, uint8_t hops)
{
	bft_stmt st = { .node_id = author, .offset_ns = 1000, .unc_ns = 100, .local_ns = local_ns };
	st.ref.kind = BFT_CREF_SIM;
	st.ref.id[3] = 1;
	assert_true(bft_stmt_valid(&st));
	assert_int_equal(bft_stmt_sign(&st, signer), 0);
	size_t at = version == 2 ? 4 : 3;
	buf[0] = 'B', buf[1] = 'S', buf[2] = (uint8_t)version, buf[3] = hops;
	assert_int_equal(bft_stmt_encode(buf + at, &st), BFT_STMT_LEN);
	return (int)(at + BFT_STMT_LEN);
}

/* The statement datagrams a node sends now: how many, all of the version
 * and hops given (-1: any). */
static size_t stmt_sends(bft_node *n, int version, int hops)
{
	bft_action a;
	size_t sent = 0;
	while (bft_node_next_action(n, &a))
		if (a.kind == BFT_ACT_SEND && a.len >= 3 && a.buf[0] == 'B' && a.buf[1] == 'S') {
			if (version >= 0)
				assert_int_equal(a.buf[2], version);
			if (hops >= 0)
				assert_int_equal(a.buf[3], hops);
			assert_int_equal(a.len, (a.buf[2] == 2 ? 4 : 3) + BFT_STMT_LEN);
			sent++;
		}
	return sent;
}

static void test_stmt_relay(void **state)
{
	(void)state;
	bft_signer signer;
	bft_node_nk_config nk;
	bft_node *n = make_node_relay(&signer, &nk, 2);
	uint8_t buf[128];
	bft_node_chain_info ci;
	int64_t raw = RAW0 + BFT_NS_PER_SEC, t = raw + TRUE_OFF;
	assert_int_equal(bft_node_start(n, RAW0), 0);
	stmt_sends(n, -1, -1);
	int len = stmt_msg(buf, &signer, 9, t, 2, 2);
	assert_int_equal(bft_node_on_packet(n, raw, buf, (size_t)len), 0);
	assert_int_equal(stmt_sends(n, 2, 1), 3);
	/* Again: held already, not forwarded. */
	assert_int_equal(bft_node_on_packet(n, raw, buf, (size_t)len), 0);
	assert_int_equal(stmt_sends(n, -1, -1), 0);
	/* A newer one with 1 hop left goes on with 0, still as v2. */
	len = stmt_msg(buf, &signer, 9, t + 1000, 2, 1);
	assert_int_equal(bft_node_on_packet(n, raw, buf, (size_t)len), 0);
	assert_int_equal(stmt_sends(n, 2, 0), 3);
	/* With 0 left: kept, not sent on. */
	len = stmt_msg(buf, &signer, 9, t + 1500, 2, 0);
	assert_int_equal(bft_node_on_packet(n, raw, buf, (size_t)len), 0);
	assert_int_equal(stmt_sends(n, -1, -1), 0);
	/* Refused: v1 from a non-peer author, v2 with 9 hops. */
	assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
	uint64_t bad = ci.stmts_bad;
	len = stmt_msg(buf, &signer, 9, t + 2000, 1, 0);
	assert_true(bft_node_on_packet(n, raw, buf, (size_t)len) != 0);
	len = stmt_msg(buf, &signer, 9, t + 4000, 2, 9);
	assert_true(bft_node_on_packet(n, raw, buf, (size_t)len) != 0);
	assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
	assert_int_equal(ci.stmts_bad, bad + 2);
	assert_int_equal(ci.stmts_relayed, 2);
	bft_node_destroy(n);
	/* A node that does not relay keeps it and sends nothing. */
	n = make_node_relay(&signer, &nk, 0);
	assert_int_equal(bft_node_start(n, RAW0), 0);
	stmt_sends(n, -1, -1);
	len = stmt_msg(buf, &signer, 9, t, 2, 2);
	assert_int_equal(bft_node_on_packet(n, raw, buf, (size_t)len), 0);
	assert_int_equal(stmt_sends(n, -1, -1), 0);
	assert_int_equal(bft_node_chain_info_get(n, &ci), 0);
	assert_int_equal(ci.stmts_bad, 0);
	bft_node_destroy(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_work_and_found), cmocka_unit_test(test_stmt_relay),
		cmocka_unit_test(test_fragment_poisoning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
