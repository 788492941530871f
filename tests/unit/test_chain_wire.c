/* SPDX-License-Identifier: MIT */
/* Tests of the Nakamoto chain's codec: canonical round trips, one specific
 * error code for each way a block can be malformed, signatures that catch
 * every bit flip, and the proof-of-work comparison at its edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/chain_wire.h"

static const uint64_t secret = 7;

static void signer(bft_signer *s)
{
	bft_signer_sim(s, &secret);
}

static void make_block(bft_block *b, int n, const bft_signer *s)
{
	memset(b, 0, sizeof *b);
	b->h.version = BFT_BLOCK_VERSION;
	b->h.height = 5;
	b->h.difficulty = 4;
	b->h.time_ns = INT64_C(1700000000000000000);
	b->h.parent[0] = 0xab;
	b->h.n_stmts = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		bft_stmt *st = &b->stmts[i];
		st->node_id = (uint32_t)(10 + i);
		st->ref.kind = BFT_CREF_GNSS;
		st->ref.id[0] = BFT_GNSS_GALILEO;
		st->offset_ns = -1234 * i;
		st->unc_ns = 500;
		st->local_ns = b->h.time_ns - 1000;
		assert_int_equal(bft_stmt_sign(st, s), 0);
	}
	assert_int_equal(bft_block_seal(b), 0);
}

static void test_roundtrip_and_flips(void **state)
{
	(void)state;
	bft_signer s;
	signer(&s);
	static bft_block b, d;
	static uint8_t buf[BFT_BLOCK_MAX], buf2[BFT_BLOCK_MAX];
	for (int n = 0; n <= BFT_BLOCK_MAX_STMTS; n += 7) {
		make_block(&b, n, &s);
		int len = bft_block_encode(buf, sizeof buf, &b);
		assert_int_equal(len, BFT_BLOCK_HDR_LEN + n * BFT_STMT_LEN);
		assert_int_equal(bft_block_decode(&d, buf, (size_t)len), 0);
		assert_int_equal(bft_block_encode(buf2, sizeof buf2, &d), len);
		assert_memory_equal(buf, buf2, (size_t)len);
		for (int i = 0; i < n; i++)
			assert_int_equal(bft_stmt_verify(&d.stmts[i], &s), 0);
	}
	/* Every single-bit flip of a statement's bytes is refused by the
	 * decoder (root) or, with the root recomputed, by the signature. */
	make_block(&b, 2, &s);
	int len = bft_block_encode(buf, sizeof buf, &b);
	for (int bit = 0; bit < BFT_STMT_LEN * 8; bit++) {
		memcpy(buf2, buf, (size_t)len);
		buf2[BFT_BLOCK_HDR_LEN + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(bft_block_decode(&d, buf2, (size_t)len) < 0);
		/* The same flip in memory (signature bits, then offset bits)
		 * fails verification. */
		bft_stmt st = b.stmts[0];
		if (bit < 64 * 8)
			st.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		else
			st.offset_ns ^= INT64_C(1) << (bit % 62);
		assert_int_not_equal(bft_stmt_verify(&st, &s), 0);
	}
	/* Header bit flips change the hash. */
	uint8_t h1[32], h2[32];
	assert_int_equal(bft_block_hash(h1, &b.h), 0);
	d = b;
	d.h.nonce ^= 1;
	assert_int_equal(bft_block_hash(h2, &d.h), 0);
	assert_memory_not_equal(h1, h2, 32);
}

static void test_error_codes(void **state)
{
	(void)state;
	bft_signer s;
	signer(&s);
	static bft_block b, d;
	static uint8_t buf[BFT_BLOCK_MAX + 1];
	make_block(&b, 3, &s);
	int len = bft_block_encode(buf, sizeof buf, &b);
	assert_true(len > 0);
	assert_int_equal(bft_block_decode(&d, buf, 10), BFT_BLK_ELEN);
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len - 1), BFT_BLK_ELEN);
	buf[len] = 0;
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len + 1), BFT_BLK_ELEN);
	buf[0] = 'X';
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len), BFT_BLK_EMAGIC);
	buf[0] = 'B';
	buf[2] = 2;
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len), BFT_BLK_EVERSION);
	buf[2] = 1;
	buf[3] = BFT_BLOCK_MAX_STMTS + 1;
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len), BFT_BLK_ECOUNT);
	buf[3] = 3;
	assert_int_equal(bft_block_decode(&d, buf, (size_t)len), 0);

	/* Field rules, through the encoder's identical checks. */
	d = b;
	d.h.height = 0;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EFIELD);
	d = b;
	d.h.difficulty = 0;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EFIELD);
	d = b;
	d.h.time_ns = INT64_MAX;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EFIELD);
	d = b;
	d.stmts[1].ref.id[5] = 1; /* GNSS identity with junk after the constellation */
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EREF);
	d = b;
	d.stmts[1].ref.kind = 9;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EREF);
	d = b;
	d.stmts[1].unc_ns = -1;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_ESTMT);
	d = b;
	d.stmts[1].offset_ns = INT64_MIN;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_ESTMT);
	d = b;
	d.stmts[2] = d.stmts[1];
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EORDER);
	d = b;
	d.h.stmt_root[0] ^= 1;
	assert_int_equal(bft_block_encode(buf, sizeof buf, &d), BFT_BLK_EROOT);
	assert_int_equal(bft_block_encode(buf, 50, &b), BFT_BLK_EINVAL);
	for (int e = 0; e >= -12; e--)
		assert_non_null(bft_block_strerror(e));
	assert_string_equal(bft_block_strerror(BFT_BLK_EROOT), "statement root does not match");

	/* Signature padding must be zero: one statement, one encoding. */
	bft_stmt st = b.stmts[0];
	st.sig[BFT_STMT_SIG - 1] = 1;
	assert_int_not_equal(bft_stmt_verify(&st, &s), 0);
	/* A statement is node-bound: another node's id fails. */
	st = b.stmts[0];
	st.node_id++;
	assert_int_not_equal(bft_stmt_verify(&st, &s), 0);
}

static void test_references(void **state)
{
	(void)state;
	bft_cref r;
	memset(&r, 0, sizeof r);
	assert_false(bft_cref_valid(&r));
	r.kind = BFT_CREF_NTP;
	assert_false(bft_cref_valid(&r)); /* the unspecified address names no server */
	r.id[15] = 1;
	assert_true(bft_cref_valid(&r));
	memset(&r, 0, sizeof r);
	r.kind = BFT_CREF_SOLAR;
	assert_false(bft_cref_valid(&r));
	r.id[2] = 0x27; /* 10 GHz-ish band in kHz */
	assert_true(bft_cref_valid(&r));
	r.id[4] = 1;
	assert_false(bft_cref_valid(&r));
	memset(&r, 0, sizeof r);
	r.kind = BFT_CREF_GNSS;
	for (int c = 0; c < 8; c++) {
		r.id[0] = (uint8_t)c;
		assert_int_equal(bft_cref_valid(&r), c >= BFT_GNSS_GPS && c <= BFT_GNSS_BEIDOU);
	}
	/* The Sun by its band's centre in kHz (bftimed's kind: solar, the
	 * simulator's antennas), and the kinds' names in status and reports. */
	assert_true(bft_cref_solar(&r, 1420405752));
	const bft_cref sun = { .kind = BFT_CREF_SOLAR, .id = { 0x00, 0x15, 0xac, 0x75 } }; /* 1420405 kHz */
	assert_true(bft_cref_equal(&r, &sun) && bft_cref_valid(&r));
	assert_false(bft_cref_solar(&r, 999));                         /* under 1 kHz */
	assert_false(bft_cref_solar(&r, (INT64_C(1) << 32) * 1000));   /* beyond 32 bits of kHz */
	assert_true(bft_cref_equal(&r, &sun));                         /* untouched */
	assert_string_equal(bft_cref_kind_name(BFT_CREF_GNSS), "gnss");
	assert_string_equal(bft_cref_kind_name(BFT_CREF_SOLAR), "solar");
	assert_string_equal(bft_cref_kind_name(BFT_CREF_SIM), "simulated");
	assert_string_equal(bft_cref_kind_name(0), "?");
	assert_string_equal(bft_cref_kind_name(200), "?");
}

/* A statement alone (the node's statement datagrams): the block's encoding
 * of it, round trip, and the decoder's refusals. */
static void test_stmt_codec(void **state)
{
	(void)state;
	bft_signer s;
	signer(&s);
	bft_stmt a = { .node_id = 9, .ref = { .kind = BFT_CREF_GNSS }, .offset_ns = -1234, .unc_ns = 50, .local_ns = 77 };
	a.ref.id[0] = BFT_GNSS_GPS;
	assert_int_equal(bft_stmt_sign(&a, &s), 0);
	uint8_t buf[BFT_STMT_LEN];
	assert_int_equal(bft_stmt_encode(buf, &a), BFT_STMT_LEN);
	bft_stmt b;
	assert_int_equal(bft_stmt_decode(&b, buf, sizeof buf), 0);
	assert_memory_equal(&a.ref, &b.ref, sizeof a.ref);
	assert_true(a.node_id == b.node_id && a.offset_ns == b.offset_ns && a.unc_ns == b.unc_ns && a.local_ns == b.local_ns);
	assert_memory_equal(a.sig, b.sig, BFT_STMT_SIG);
	assert_int_equal(bft_stmt_verify(&b, &s), 0);
	assert_int_equal(bft_stmt_decode(&b, buf, sizeof buf - 1), BFT_BLK_ELEN);
	buf[4] = 9; /* reference kind */
	assert_int_equal(bft_stmt_decode(&b, buf, sizeof buf), BFT_BLK_EREF);
	a.unc_ns = -1;
	assert_int_equal(bft_stmt_encode(buf, &a), BFT_BLK_ESTMT);
}

static void test_work(void **state)
{
	(void)state;
	uint8_t h[32];
	memset(h, 0xff, sizeof h);
	assert_true(bft_work_meets(h, 1));   /* D = 1: every hash, the target is 2^256 */
	assert_false(bft_work_meets(h, 2));
	assert_false(bft_work_meets(h, 0));
	memset(h, 0, sizeof h);
	assert_true(bft_work_meets(h, UINT64_MAX));
	h[0] = 0x7f;
	memset(h + 1, 0xff, 31); /* 2^255 - 1 */
	assert_true(bft_work_meets(h, 2));
	assert_false(bft_work_meets(h, 3));
	h[0] = 0x80;
	memset(h + 1, 0, 31); /* 2^255 */
	assert_false(bft_work_meets(h, 2));
	/* Real mining at D = 64 finds a nonce in the expected few hundred tries
	 * and the found block passes. */
	bft_signer s;
	signer(&s);
	static bft_block b;
	make_block(&b, 1, &s);
	b.h.difficulty = 64;
	assert_int_equal(bft_block_mine(&b.h, 1u << 20), 1);
	assert_int_equal(bft_block_hash(h, &b.h), 0);
	assert_true(bft_work_meets(h, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_flips),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_work),
		cmocka_unit_test(test_stmt_codec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
