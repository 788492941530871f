/* SPDX-License-Identifier: MIT */
/* Tests of time proof version 2 (proto/proof_v2.h): the Merkle tree against
 * RFC 9162's recursive definition, every leaf's path, batch signing under
 * each scheme (Ed25519, SLH-DSA, hybrid), strict decoding and canonical
 * round trips, a flipped bit anywhere in the authenticator, pinned keys,
 * the root cache, and a chain that moves from version 1 to version 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>
#include "proto/proof.h"
#include "proto/sign.h"

/* RFC 9162 section 2.1.1, written from its definition: the reference the
 * level-by-level build is checked against. */
static void mth(uint8_t out[32], const uint8_t (*leaves)[32], size_t n)
{
	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	uint8_t b[65];
	b[0] = 1;
	mth(b + 1, leaves, k);
	mth(b + 33, leaves + k, n - k);
	assert_int_equal(bft_sha3_256(out, b, sizeof b), 0);
}

static void test_merkle(void **state)
{
	(void)state;
	enum { N = 70 };
	uint8_t leaves[N][32], root[32], want[32], got[32];
	uint8_t *paths = malloc(N * BFT_MERKLE_MAX_DEPTH * 32);
	assert_non_null(paths);
	for (size_t i = 0; i < N; i++) {
		uint8_t body[8] = { (uint8_t)i, 1, 2, 3 };
		assert_int_equal(bft_merkle_leaf(leaves[i], body, sizeof body), 0);
	}
	for (size_t n = 1; n <= N; n++) {
		assert_int_equal(bft_merkle_build(root, paths, (const uint8_t(*)[32])leaves, n), 0);
		mth(want, (const uint8_t(*)[32])leaves, n);
		assert_memory_equal(root, want, 32);
		for (size_t i = 0; i < n; i++) {
			unsigned pl = bft_merkle_path_len((uint32_t)i, (uint32_t)n);
			const uint8_t *p = paths + i * BFT_MERKLE_MAX_DEPTH * 32;
			assert_int_equal(bft_merkle_root_from_path(got, leaves[i], (uint32_t)i, (uint32_t)n, p, pl), 0);
			assert_memory_equal(got, root, 32);
			/* Another leaf, a wrong length or another position fail. */
			if (n > 1) {
				assert_int_equal(bft_merkle_root_from_path(got, leaves[(i + 1) % n], (uint32_t)i, (uint32_t)n, p, pl), 0);
				assert_memory_not_equal(got, root, 32);
				assert_int_not_equal(bft_merkle_root_from_path(got, leaves[i], (uint32_t)i, (uint32_t)n, p, pl + 1), 0);
			}
			assert_int_not_equal(bft_merkle_root_from_path(got, leaves[i], (uint32_t)n, (uint32_t)n, p, pl), 0);
		}
	}
	/* A leaf is never a node: a one-leaf tree's root is its leaf hash, not the body. */
	assert_int_equal(bft_merkle_build(root, NULL, (const uint8_t(*)[32])leaves, 1), 0);
	assert_memory_equal(root, leaves[0], 32);
	assert_int_not_equal(bft_merkle_build(root, NULL, (const uint8_t(*)[32])leaves, 0), 0);
	free(paths);
}

struct fixture {
	bft_keyring *kr;
	bft_signer ed;
	bft_slhdsa_keyring *skr;
	bft_signer slh;
	uint8_t pub[32];
	uint8_t slh_pk[BFT_SLHDSA_MAX_PK], slh_sk[BFT_SLHDSA_MAX_SK];
	const bft_slhdsa_params *pp;
};

static const uint8_t seed[32] = { 5, 4, 3, 2, 1 };

static void fixture_init(struct fixture *f, bft_slhdsa_id set)
{
	memset(f, 0, sizeof *f);
	assert_int_equal(bft_keyring_create(&f->kr, 2), 0);
	assert_int_equal(bft_keyring_add_private(f->kr, 7, seed), 0);
	assert_int_equal(bft_ed25519_public(f->pub, seed), 0);
	bft_signer_ed25519(&f->ed, f->kr);
	f->pp = bft_slhdsa_params_get(set);
	assert_int_equal(bft_slhdsa_keygen(f->pp, f->slh_sk, f->slh_pk), 0);
	assert_int_equal(bft_slhdsa_keyring_create(&f->skr, set, 2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_private(f->skr, 7, f->slh_sk), 0);
	bft_signer_slhdsa(&f->slh, f->skr);
}

static void fixture_fini(struct fixture *f)
{
	bft_keyring_destroy(f->kr);
	bft_slhdsa_keyring_destroy(f->skr);
}

static bft_proof_clock clock_at(int64_t t, bool gps)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t - 777;
	c.time_ns = t;
	c.offset_ns = 777;
	c.freq_ppb = 12;
	c.bounds = bft_iv(t - 500, t + 900);
	if (gps) {
		c.ref.kind = BFT_REF_GPS;
		c.ref.week = 2400;
		c.ref.tow_ns = 5 * BFT_NS_PER_SEC;
		c.ref.sats_used = 7;
		c.ref.sats_visible = 9;
		c.ref.snr_cdbhz = 3900;
	}
	return c;
}

/* n chained statements continuing g (advanced past them). */
static void statements(bft_proof_gen *g, bft_proof *out, size_t n, int64_t t0)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t nonce[32] = { (uint8_t)i, 0x5a };
		bft_proof_clock c = clock_at(t0 + (int64_t)i * BFT_NS_PER_SEC, i % 2 == 1);
		assert_int_equal(bft_proof_gen_statement(g, &out[i], &c, nonce), 0);
		assert_null(out[i].auth);
		assert_int_equal(bft_proof_gen_accept(g, &out[i]), 0);
	}
}

/* Sign a batch of n under scheme and check every proof: decode, canonical
 * re-encoding, hash of the body, chain links, verification, the cache. */
static void batch_roundtrip(struct fixture *f, uint8_t scheme, size_t n)
{
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 7, f->pub, &f->ed), 0);
	bft_proof *bodies = calloc(n, sizeof *bodies);
	size_t *offs = calloc(n, sizeof *offs), *lens = calloc(n, sizeof *lens);
	assert_true(bodies && offs && lens);
	statements(&g, bodies, n, 1000 * BFT_NS_PER_SEC);
	bft_proof_batch_signer s = { .scheme = scheme, .set = scheme == BFT_PSCHEME_ED25519 ? 0 : (uint8_t)f->pp->id,
		                     .ed = &f->ed, .slh = &f->slh, .slh_pk = f->slh_pk };
	uint8_t *buf = NULL;
	assert_int_equal(bft_proof_batch_sign(&s, bodies, n, &buf, offs, lens), 0);
	bft_proof_rootcache cache;
	memset(&cache, 0, sizeof cache);
	const uint8_t *pin_slh = scheme == BFT_PSCHEME_ED25519 ? NULL : f->slh_pk;
	size_t pin_len = pin_slh ? f->pp->pk_len : 0;
	bft_proof prev;
	uint8_t prev_hash[32];
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = buf + offs[i];
		bft_proof p;
		assert_int_equal(bft_proof_decode(&p, b, lens[i]), 0);
		assert_int_equal(p.version, BFT_PROOF_VERSION_2);
		assert_int_equal(bft_proof_size(&p), lens[i]);
		uint8_t *again = malloc(lens[i]);
		assert_int_equal(bft_proof_encode(again, lens[i], &p), (int)lens[i]);
		assert_memory_equal(again, b, lens[i]);
		free(again);
		/* the hash is the body's, the same as the unsigned statement's */
		uint8_t h[32], hb[32], hs[32];
		assert_int_equal(bft_proof_hash(h, &p), 0);
		assert_int_equal(bft_proof_hash_bytes(hb, b, lens[i]), 0);
		assert_int_equal(bft_proof_hash(hs, &bodies[i]), 0);
		assert_memory_equal(h, hb, 32);
		assert_memory_equal(h, hs, 32);
		if (i > 0)
			assert_int_equal(bft_proof_chain_check(&prev, prev_hash, &p), BFT_CHAIN_OK);
		prev = p;
		memcpy(prev_hash, h, 32);
		assert_int_equal(bft_proof_v2_verify(&p, f->pub, pin_slh, pin_len, &cache), 0);
		if (scheme != BFT_PSCHEME_SLHDSA) {
			assert_int_equal(bft_proof_verify_key(&p, f->pub), 0); /* no SLH-DSA pin: hybrid still binds */
			assert_int_equal(bft_proof_verify_signer(&p, &f->ed), 0);
		} else {
			assert_int_not_equal(bft_proof_verify_key(&p, f->pub), 0); /* nothing binds the key */
		}
		bft_proof_auth a;
		assert_int_equal(bft_proof_auth_parse(&a, p.auth, p.auth_len), 0);
		assert_int_equal(a.batch_size, n);
		assert_int_equal(a.index, i);
	}
	assert_int_equal(cache.misses, 1); /* one signature check for the whole batch */
	assert_int_equal(cache.hits, n - 1);

	/* Any flipped bit of the last proof (body or authenticator) is refused,
	 * by the decoder or the verifier; sample the long signatures. */
	size_t last = n - 1, len = lens[last];
	uint8_t *b = malloc(len);
	size_t step = len > 4000 ? 97 : 1;
	for (size_t at = 0; at < len; at += step) {
		memcpy(b, buf + offs[last], len);
		b[at] ^= 0x10;
		bft_proof p;
		if (bft_proof_decode(&p, b, len) != 0)
			continue;
		bft_proof_rootcache fresh;
		memset(&fresh, 0, sizeof fresh);
		assert_int_not_equal(bft_proof_v2_verify(&p, NULL, pin_slh, pin_len, &fresh), 0);
		/* the cache of the good batch does not vouch for other bytes */
		assert_int_not_equal(bft_proof_v2_verify(&p, NULL, pin_slh, pin_len, &cache), 0);
	}
	/* Truncated, extended: not a proof. */
	bft_proof p;
	assert_int_not_equal(bft_proof_decode(&p, buf + offs[last], len - 1), 0);
	uint8_t *longer = calloc(1, len + 1);
	memcpy(longer, buf + offs[last], len);
	assert_int_not_equal(bft_proof_decode(&p, longer, len + 1), 0);
	free(longer);
	/* Another pinned key. */
	assert_int_equal(bft_proof_decode(&p, buf + offs[last], len), 0);
	uint8_t other[BFT_SLHDSA_MAX_PK];
	memcpy(other, f->pub, 32);
	other[0] ^= 1;
	assert_int_not_equal(bft_proof_v2_verify(&p, other, pin_slh, pin_len, NULL), 0);
	if (pin_slh) {
		memcpy(other, f->slh_pk, pin_len);
		other[pin_len - 1] ^= 1;
		assert_int_not_equal(bft_proof_v2_verify(&p, f->pub, other, pin_len, NULL), 0);
	}
	free(b);
	free(buf);
	free(bodies);
	free(offs);
	free(lens);
}

static void test_batch_ed25519(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, BFT_SLHDSA_SHA2_128F);
	for (size_t n = 1; n <= 9; n++)
		batch_roundtrip(&f, BFT_PSCHEME_ED25519, n);
	fixture_fini(&f);
}

static void test_batch_hybrid(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, BFT_SLHDSA_SHA2_128F);
	batch_roundtrip(&f, BFT_PSCHEME_HYBRID, 5);
	batch_roundtrip(&f, BFT_PSCHEME_HYBRID, 1);
	fixture_fini(&f);
	fixture_init(&f, BFT_SLHDSA_SHAKE_128F);
	batch_roundtrip(&f, BFT_PSCHEME_HYBRID, 3);
	fixture_fini(&f);
}

static void test_batch_slhdsa(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, BFT_SLHDSA_SHA2_128F);
	batch_roundtrip(&f, BFT_PSCHEME_SLHDSA, 4);
	fixture_fini(&f);
}

/* A node that moves from v1 to v2 keeps one chain: the first v2 statement
 * names the last v1 proof's full hash. */
static void test_v1_to_v2_chain(void **state)
{
	(void)state;
	struct fixture f;
	fixture_init(&f, BFT_SLHDSA_SHA2_128F);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 7, f.pub, &f.ed), 0);
	bft_proof v1;
	uint8_t nonce[32] = { 1 };
	bft_proof_clock c = clock_at(50 * BFT_NS_PER_SEC, false);
	assert_int_equal(bft_proof_gen_next(&g, &v1, &c, nonce), 0);
	assert_int_equal(bft_proof_gen_accept(&g, &v1), 0);
	bft_proof body[2];
	statements(&g, body, 2, 51 * BFT_NS_PER_SEC);
	uint8_t *buf = NULL;
	size_t offs[2], lens[2];
	bft_proof_batch_signer s = { .scheme = BFT_PSCHEME_ED25519, .ed = &f.ed };
	assert_int_equal(bft_proof_batch_sign(&s, body, 2, &buf, offs, lens), 0);
	bft_proof p;
	assert_int_equal(bft_proof_decode(&p, buf + offs[0], lens[0]), 0);
	assert_int_equal(bft_proof_chain_check(&v1, NULL, &p), BFT_CHAIN_OK);
	assert_int_equal(bft_proof_verify_key(&v1, f.pub), 0);
	assert_int_equal(bft_proof_verify_key(&p, f.pub), 0);
	/* A v1 proof cannot be signed as v2 nor a v2 statement as v1. */
	assert_int_not_equal(bft_proof_sign(&body[0], &f.ed), 0);
	/* An unsigned statement does not encode: only with its authenticator. */
	uint8_t tmp[BFT_PROOF_V1_MAX];
	assert_int_not_equal(bft_proof_encode(tmp, sizeof tmp, &body[0]), 0);
	free(buf);
	fixture_fini(&f);
}

/* Hand-made authenticators: each field out of range is refused. */
static void test_auth_strict(void **state)
{
	(void)state;
	uint8_t a[7 + 64 + 64] = { BFT_PSCHEME_ED25519, 0, 0, 1, 0, 0, 0 };
	bft_proof_auth x;
	assert_int_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0);
	assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 63), 0);
	assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 65), 0);
	a[0] = 0, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0);
	a[0] = 4, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0); /* p256 carries its point */
	a[0] = 5, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0);
	a[0] = BFT_PSCHEME_ED25519, a[1] = 1, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0);
	a[1] = 0, a[3] = 0, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0); /* size 0 */
	a[3] = 1, a[5] = 1, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64), 0); /* index 1 of 1 */
	a[5] = 0, a[6] = 1, assert_int_not_equal(bft_proof_auth_parse(&x, a, 7 + 64 + 32), 0); /* path of 1 */
	/* size 2, index 1: one path node */
	a[3] = 2, a[5] = 1, assert_int_equal(bft_proof_auth_parse(&x, a, 7 + 32 + 64), 0);
	a[1] = BFT_SLHDSA_COUNT, a[0] = BFT_PSCHEME_HYBRID;
	assert_int_not_equal(bft_proof_auth_parse(&x, a, sizeof a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle),
		cmocka_unit_test(test_batch_ed25519),
		cmocka_unit_test(test_batch_hybrid),
		cmocka_unit_test(test_batch_slhdsa),
		cmocka_unit_test(test_v1_to_v2_chain),
		cmocka_unit_test(test_auth_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
