/* SPDX-License-Identifier: MIT */
/* Tests of time proofs: canonical round trips, strict rejection of every
 * malformed or out-of-range encoding, signatures that catch every bit flip,
 * pinned keys, chain links and the generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>
#include "proto/proof.h"
#include "proto/sign.h"

static const uint8_t seed1[32] = { 1, 2, 3 }, seed2[32] = { 9, 8, 7 };

struct keys {
	bft_keyring *kr;
	bft_signer s;
	uint8_t pub1[32], pub2[32];
};

static void keys_init(struct keys *k)
{
	assert_int_equal(bft_keyring_create(&k->kr, 4), 0);
	assert_int_equal(bft_keyring_add_private(k->kr, 1, seed1), 0);
	assert_int_equal(bft_keyring_add_private(k->kr, 2, seed2), 0);
	assert_int_equal(bft_ed25519_public(k->pub1, seed1), 0);
	assert_int_equal(bft_ed25519_public(k->pub2, seed2), 0);
	bft_signer_ed25519(&k->s, k->kr);
}

static bft_proof_clock clock_at(int64_t t, bool gps)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t - 12345;
	c.time_ns = t;
	c.offset_ns = 12345;
	c.freq_ppb = -4200;
	c.bounds = bft_iv(t - 1000, t + 2000);
	if (gps) {
		c.ref.kind = BFT_REF_GPS;
		c.ref.week = 2345;
		c.ref.tow_ns = BFT_GPS_WEEK_NS - 1;
		c.ref.sats_used = 9;
		c.ref.sats_visible = 12;
		c.ref.snr_cdbhz = 4250;
	}
	return c;
}

static void nonce_for(uint8_t nonce[32], uint64_t i)
{
	for (int b = 0; b < 32; b++)
		nonce[b] = (uint8_t)(i * 31 + (uint64_t)b * 7);
}

static void test_sha3_known_answer(void **state)
{
	(void)state;
	static const uint8_t want[32] = { 0x3a, 0x98, 0x5d, 0xa7, 0x4f, 0xe2, 0x25, 0xb2, 0x04, 0x5c, 0x17,
		                          0x2d, 0x6b, 0xd3, 0x90, 0xbd, 0x85, 0x5f, 0x08, 0x6e, 0x3e, 0x9d,
		                          0x52, 0x5b, 0x46, 0xbf, 0xe2, 0x45, 0x11, 0x43, 0x15, 0x32 };
	uint8_t h[32];
	assert_int_equal(bft_sha3_256(h, (const uint8_t *)"abc", 3), 0);
	assert_memory_equal(h, want, 32);
}

static void test_roundtrip_and_bitflips(void **state)
{
	(void)state;
	struct keys k;
	keys_init(&k);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 1, k.pub1, &k.s), 0);
	for (int gps = 0; gps <= 1; gps++) {
		bft_proof p, d;
		uint8_t nonce[32], buf[BFT_PROOF_V1_MAX + 8], again[BFT_PROOF_V1_MAX];
		nonce_for(nonce, 5);
		bft_proof_clock c = clock_at(INT64_C(1700000000) * BFT_NS_PER_SEC, gps);
		assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), 0);
		int len = bft_proof_encode(buf, sizeof buf, &p);
		assert_int_equal(len, gps ? BFT_PROOF_V1_MAX : BFT_PROOF_V1_MIN);
		assert_int_equal((size_t)len, bft_proof_size(&p));
		assert_int_equal(bft_proof_decode(&d, buf, (size_t)len), 0);
		assert_int_equal(bft_proof_encode(again, sizeof again, &d), len);
		assert_memory_equal(again, buf, (size_t)len);
		assert_true(d.node_id == 1 && d.seq == 0 && d.time_ns == c.time_ns && d.raw_ns == c.raw_ns);
		assert_true(d.offset_ns == c.offset_ns && d.freq_ppb == c.freq_ppb && d.flags == c.flags);
		assert_true(d.bounds.lo_ns == c.bounds.lo_ns && d.bounds.hi_ns == c.bounds.hi_ns);
		assert_true(d.ref.kind == c.ref.kind && d.ref.week == c.ref.week && d.ref.tow_ns == c.ref.tow_ns);
		assert_true(d.ref.sats_used == c.ref.sats_used && d.ref.sats_visible == c.ref.sats_visible);
		assert_true(d.ref.snr_cdbhz == c.ref.snr_cdbhz);
		assert_memory_equal(d.nonce, nonce, 32);
		assert_memory_equal(d.pub, k.pub1, 32);
		assert_int_equal(bft_proof_verify_key(&d, NULL), 0);
		assert_int_equal(bft_proof_verify_key(&d, k.pub1), 0);
		assert_int_equal(bft_proof_verify_signer(&d, &k.s), 0);
		uint8_t h1[32], h2[32];
		assert_int_equal(bft_proof_hash(h1, &d), 0);
		assert_int_equal(bft_sha3_256(h2, buf, (size_t)len), 0);
		assert_memory_equal(h1, h2, 32);

		/* Every single-bit flip is caught by the decoder or the signature,
		 * under the embedded key and under the signer's pinned key. */
		for (int i = 0; i < len * 8; i++) {
			buf[i / 8] ^= (uint8_t)(1u << (i % 8));
			bool dec = bft_proof_decode(&d, buf, (size_t)len) == 0;
			assert_false(dec && bft_proof_verify_key(&d, NULL) == 0);
			assert_false(dec && bft_proof_verify_signer(&d, &k.s) == 0);
			buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		/* Every other length is rejected: truncations and trailing bytes. */
		for (size_t l = 0; l <= sizeof buf; l++)
			if (l != (size_t)len)
				assert_int_not_equal(bft_proof_decode(&d, buf, l), 0);
		assert_int_equal(bft_proof_encode(buf, (size_t)len - 1, &p), BFT_ERANGE);
	}
	bft_keyring_destroy(k.kr);
}

static int enc(const bft_proof *p)
{
	uint8_t buf[BFT_PROOF_V1_MAX];
	return bft_proof_encode(buf, sizeof buf, p);
}

/* Whether the decoder takes buf: it checks every range itself. */
static bool decodes(uint8_t *buf, size_t len)
{
	bft_proof d;
	return bft_proof_decode(&d, buf, len) == 0;
}

static void test_strict_fields(void **state)
{
	(void)state;
	uint64_t secret = 5;
	bft_signer s;
	bft_signer_sim(&s, &secret);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 3, NULL, &s), 0);
	uint8_t nonce[32] = { 0 }, buf[BFT_PROOF_V1_MAX];
	bft_proof_clock c = clock_at(1000, true);
	bft_proof p, q;
	assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), 0);
	assert_true(bft_proof_valid(&p));

	/* Each rule, on the encoder's side. */
	uint8_t pad[32] = { 0 };
	pad[7] = 1;
	q = p, q.version = 2, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.flags = 0x10, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.seq = BFT_PROOF_SEQ_MAX + 1, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.bounds = bft_iv(5, 4), assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.ref.kind = 3, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.ref.tow_ns = BFT_GPS_WEEK_NS, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.ref.tow_ns = -1, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.ref.sats_used = 13, assert_int_equal(enc(&q), BFT_EINVAL);
	q = p, q.ref.kind = BFT_REF_NONE, assert_int_equal(enc(&q), BFT_EINVAL); /* leftover GPS fields */
	q = p, memcpy(q.prev_hash, pad, 32), assert_int_equal(enc(&q), BFT_EINVAL); /* seq 0 has none */
	q = p, q.seq = 1, assert_int_equal(enc(&q), BFT_EINVAL); /* seq 1 must have one */
	q = p, q.seq = 1, memcpy(q.prev_hash, pad, 32), assert_int_equal(enc(&q), BFT_PROOF_V1_MAX);
	q = p, q.bounds = bft_iv(INT64_MIN, INT64_MAX), assert_int_equal(enc(&q), BFT_PROOF_V1_MAX);

	/* The same rules on the decoder's side, on patched bytes. Offsets per
	 * docs/proofs.md: version 2, flags 3, seq 40, earliest 80, kind 96,
	 * tow 99, used 107, prev_hash 111. */
	int len = bft_proof_encode(buf, sizeof buf, &p);
	assert_int_equal(len, BFT_PROOF_V1_MAX);
	assert_true(decodes(buf, (size_t)len));
	struct { size_t off; uint8_t val; } bad[] = {
		{ 0, 'X' }, { 1, 'T' }, { 2, 2 }, { 2, 0 }, { 3, 0x80 }, { 40, 0x80 }, { 80, 0x7f },
		{ 96, 0 }, { 96, 3 }, { 99, 0xff }, { 107, 200 }, { 111, 1 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t save = buf[bad[i].off];
		buf[bad[i].off] = bad[i].val;
		assert_false(decodes(buf, (size_t)len));
		buf[bad[i].off] = save;
	}
	assert_true(decodes(buf, (size_t)len));
	/* A reference kind that disagrees with the length. */
	q = p;
	memset(&q.ref, 0, sizeof q.ref);
	len = bft_proof_encode(buf, sizeof buf, &q);
	assert_int_equal(len, BFT_PROOF_V1_MIN);
	buf[96] = BFT_REF_GPS;
	assert_false(decodes(buf, (size_t)len));

	/* Sim signatures are zero-padded; non-zero padding is rejected. */
	assert_int_equal(bft_proof_verify_signer(&p, &s), 0);
	q = p;
	q.sig[63] = 1;
	assert_int_not_equal(bft_proof_verify_signer(&q, &s), 0);
	/* Zero key: not an Ed25519 signature. */
	assert_int_not_equal(bft_proof_verify_key(&p, NULL), 0);
}

static void test_pinned_key(void **state)
{
	(void)state;
	struct keys k;
	keys_init(&k);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 1, k.pub1, &k.s), 0);
	uint8_t nonce[32] = { 0 };
	bft_proof_clock c = clock_at(0, false);
	bft_proof p;
	assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), 0);
	assert_int_equal(bft_proof_verify_key(&p, k.pub1), 0);
	assert_int_not_equal(bft_proof_verify_key(&p, k.pub2), 0);
	/* A node that embeds another node's key: its signature fails under it. */
	bft_proof q = p;
	memcpy(q.pub, k.pub2, 32);
	assert_int_not_equal(bft_proof_verify_key(&q, NULL), 0);
	/* Signed by node 1 but claiming node 2: the signer knows better. */
	q = p;
	q.node_id = 2;
	assert_int_not_equal(bft_proof_verify_signer(&q, &k.s), 0);
	/* A generator with node 2's id but node 1's key signs as node 2: the
	 * embedded key check fails. */
	assert_int_equal(bft_proof_gen_init(&g, 2, k.pub1, &k.s), 0);
	assert_int_equal(bft_proof_gen_next(&g, &q, &c, nonce), 0);
	assert_int_not_equal(bft_proof_verify_key(&q, NULL), 0);
	assert_int_equal(bft_proof_verify_signer(&q, &k.s), 0);
	bft_keyring_destroy(k.kr);
}

static void test_chain_and_generator(void **state)
{
	(void)state;
	struct keys k;
	keys_init(&k);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 1, k.pub1, &k.s), 0);
	bft_proof chain[12];
	int64_t t = INT64_C(1700000000) * BFT_NS_PER_SEC;
	for (int i = 0; i < 12; i++) {
		uint8_t nonce[32];
		nonce_for(nonce, (uint64_t)i);
		bft_proof_clock c = clock_at(t + (i == 5 ? 0 : i) * 60 * BFT_NS_PER_SEC, i % 2);
		if (i == 5)
			c.time_ns = chain[4].time_ns; /* equal time is allowed */
		bft_proof_gen before = g;
		assert_int_equal(bft_proof_gen_next(&g, &chain[i], &c, nonce), 0);
		assert_memory_equal(&before, &g, sizeof g); /* next does not advance */
		assert_int_equal(chain[i].seq, (uint64_t)i);
		assert_int_equal(bft_proof_verify_key(&chain[i], k.pub1), 0);
		assert_int_equal(bft_proof_gen_accept(&g, &chain[i]), 0);
		if (i > 0)
			assert_int_equal(bft_proof_chain_check(&chain[i - 1], NULL, &chain[i]), BFT_CHAIN_OK);
	}
	/* Time going back is refused by the generator and by the check. */
	uint8_t nonce[32] = { 0 };
	bft_proof_clock c = clock_at(chain[11].time_ns - 1, false);
	bft_proof p;
	assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), BFT_ERANGE);
	p = chain[11];
	p.time_ns = chain[10].time_ns - 1;
	assert_int_equal(bft_proof_sign(&p, &k.s), 0);
	assert_int_equal(bft_proof_chain_check(&chain[10], NULL, &p), BFT_CHAIN_TIME);
	/* Skipped, repeated and reordered links. */
	assert_int_equal(bft_proof_chain_check(&chain[3], NULL, &chain[5]), BFT_CHAIN_SEQ);
	assert_int_equal(bft_proof_chain_check(&chain[3], NULL, &chain[3]), BFT_CHAIN_SEQ);
	assert_int_equal(bft_proof_chain_check(&chain[4], NULL, &chain[3]), BFT_CHAIN_SEQ);
	/* A proof with the right seq but another predecessor: a fork. */
	p = chain[7];
	p.nonce[0] ^= 1;
	assert_int_equal(bft_proof_sign(&p, &k.s), 0);
	assert_int_equal(bft_proof_chain_check(&chain[6], NULL, &p), BFT_CHAIN_OK);
	assert_int_equal(bft_proof_chain_check(&p, NULL, &chain[8]), BFT_CHAIN_HASH);
	/* Another node's proof never links. */
	p = chain[8];
	p.node_id = 2;
	assert_int_equal(bft_proof_chain_check(&chain[7], NULL, &p), BFT_CHAIN_NODE);
	p = chain[8];
	memcpy(p.pub, k.pub2, 32);
	assert_int_equal(bft_proof_chain_check(&chain[7], NULL, &p), BFT_CHAIN_NODE);
	/* The generator refuses proofs of other nodes and invalid clocks. */
	assert_int_equal(bft_proof_gen_accept(&g, &p), BFT_EINVAL);
	c = clock_at(chain[11].time_ns, false);
	c.bounds = bft_iv(1, 0);
	assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), BFT_EINVAL);
	c = clock_at(chain[11].time_ns, false);
	c.flags = 0xF0;
	assert_int_equal(bft_proof_gen_next(&g, &p, &c, nonce), BFT_EINVAL);
	/* Restart: a fresh generator that accepts the last proof continues. */
	bft_proof_gen g2;
	assert_int_equal(bft_proof_gen_init(&g2, 1, k.pub1, &k.s), 0);
	assert_int_equal(bft_proof_gen_accept(&g2, &chain[11]), 0);
	c = clock_at(chain[11].time_ns + 1, true);
	assert_int_equal(bft_proof_gen_next(&g2, &p, &c, nonce), 0);
	assert_int_equal(bft_proof_chain_check(&chain[11], NULL, &p), BFT_CHAIN_OK);
	/* The sequence cannot run out silently. */
	g2.next_seq = BFT_PROOF_SEQ_MAX + 1;
	assert_int_equal(bft_proof_gen_next(&g2, &p, &c, nonce), BFT_ERANGE);
	/* No signer, no generator. */
	assert_int_equal(bft_proof_gen_init(&g2, 1, NULL, NULL), BFT_EINVAL);
	bft_keyring_destroy(k.kr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha3_known_answer),
		cmocka_unit_test(test_roundtrip_and_bitflips),
		cmocka_unit_test(test_strict_fields),
		cmocka_unit_test(test_pinned_key),
		cmocka_unit_test(test_chain_and_generator),
	};
	return cmocka_run_group_tests_name("proof", tests, NULL, NULL);
}
