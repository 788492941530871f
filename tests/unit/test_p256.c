/* SPDX-License-Identifier: MIT */
/* Tests of ECDSA P-256 (proto/p256.h): key ids, r || s signatures checked
 * against OpenSSL's DER verdict, refused points and signatures (off the
 * curve, compressed, r or s zero or not below n, a flipped bit), the
 * keyring holding P-256 beside Ed25519 nodes (neither scheme's signature
 * passes for the other), and version-2 proofs of scheme p256: a batch
 * signed, decoded, verified by key id and by a keyring, every flipped bit
 * refused, a carried point that is not the body's key refused, and a
 * P-256 node's v1 proof refused (v1 is Ed25519 only). The token side is
 * test_pkcs11.c (SoftHSM2 signs, these functions verify). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>
#include "proto/p256.h"
#include "proto/proof.h"
#include "proto/sign.h"

static const uint8_t msg[] = "bftime exchange over P-256";

/* P-256's group order n (FIPS 186-4 D.1.2.3). */
static const uint8_t order_n[32] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
	                             0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
	                             0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51 };

static void test_sign_verify(void **state)
{
	(void)state;
	uint8_t priv[32], pub[65], pub2[65], sig[64], id[32], id2[32];
	assert_int_equal(bft_p256_keygen(priv, pub), 0);
	assert_int_equal(pub[0], 0x04);
	assert_int_equal(bft_p256_public(pub2, priv), 0);
	assert_memory_equal(pub, pub2, 65);
	assert_int_equal(bft_p256_key_id(id, pub), 0);
	assert_int_equal(bft_sha3_256(id2, pub, 65), 0);
	assert_memory_equal(id, id2, 32);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(bft_p256_sign(priv, msg, sizeof msg, sig), 0);
		assert_int_equal(bft_p256_verify(pub, msg, sizeof msg, sig), 0);
		assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg - 1, sig), 0);
		for (int bit = 0; bit < 512; bit += 37) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg, sig), 0);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	/* r or s zero, or s >= n, is never a signature. */
	uint8_t bad[64];
	memcpy(bad, sig, 64);
	memset(bad, 0, 32);
	assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg, bad), 0);
	memcpy(bad, sig, 64);
	memset(bad + 32, 0, 32);
	assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg, bad), 0);
	memcpy(bad + 32, order_n, 32);
	assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg, bad), 0);
	memcpy(bad, sig, 32);
	memset(bad + 32, 0xff, 32);
	assert_int_not_equal(bft_p256_verify(pub, msg, sizeof msg, bad), 0);
	/* Another key. */
	uint8_t priv2[32];
	assert_int_equal(bft_p256_keygen(priv2, pub2), 0);
	assert_int_not_equal(bft_p256_verify(pub2, msg, sizeof msg, sig), 0);
	/* Points: off the curve, compressed prefix, zero, not 0x04. */
	memcpy(pub2, pub, 65);
	pub2[64] ^= 1;
	assert_int_not_equal(bft_p256_key_id(id, pub2), 0);
	assert_int_not_equal(bft_p256_verify(pub2, msg, sizeof msg, sig), 0);
	memcpy(pub2, pub, 65);
	pub2[0] = 0x02;
	assert_int_not_equal(bft_p256_key_id(id, pub2), 0);
	memset(pub2, 0, 65);
	pub2[0] = 0x04;
	assert_int_not_equal(bft_p256_key_id(id, pub2), 0);
	/* Scalars: zero and n are not keys. */
	memset(priv2, 0, 32);
	assert_int_not_equal(bft_p256_public(pub2, priv2), 0);
	assert_int_not_equal(bft_p256_public(pub2, order_n), 0);
}

/* A keyring with Ed25519 node 1 and P-256 nodes 2 (private) and 3 (pinned):
 * the table signs and verifies each with its own scheme only. */
static void test_keyring(void **state)
{
	(void)state;
	static const uint8_t seed[32] = { 9, 8, 7 };
	uint8_t priv[32], pub[65], edpub[32], sig[64], sig_ed[64];
	assert_int_equal(bft_p256_keygen(priv, pub), 0);
	assert_int_equal(bft_ed25519_public(edpub, seed), 0);
	bft_keyring *kr = NULL, *peer = NULL;
	assert_int_equal(bft_keyring_create(&kr, 4), 0);
	assert_int_equal(bft_keyring_create(&peer, 4), 0);
	assert_int_equal(bft_keyring_add_private(kr, 1, seed), 0);
	assert_int_equal(bft_keyring_add_private_p256(kr, 2, priv), 0);
	assert_int_equal(bft_keyring_add_public(peer, 1, edpub), 0);
	assert_int_equal(bft_keyring_add_public_p256(peer, 2, pub), 0);
	uint8_t bad[65];
	memcpy(bad, pub, 65);
	bad[1] ^= 1;
	assert_int_not_equal(bft_keyring_add_public_p256(peer, 3, bad), 0);
	bft_signer s, v;
	bft_signer_ed25519(&s, kr);
	bft_signer_ed25519(&v, peer);
	assert_int_equal(s.sign(s.ctx, 2, msg, sizeof msg, sig), 0);
	assert_int_equal(s.sign(s.ctx, 1, msg, sizeof msg, sig_ed), 0);
	assert_int_equal(bft_p256_verify(pub, msg, sizeof msg, sig), 0);
	assert_int_equal(v.verify(v.ctx, 2, msg, sizeof msg, sig, 64), 0);
	assert_int_equal(v.verify(v.ctx, 1, msg, sizeof msg, sig_ed, 64), 0);
	assert_int_not_equal(v.verify(v.ctx, 1, msg, sizeof msg, sig, 64), 0);    /* P-256 sig as node 1 */
	assert_int_not_equal(v.verify(v.ctx, 2, msg, sizeof msg, sig_ed, 64), 0); /* Ed25519 sig as node 2 */
	assert_int_not_equal(v.verify(v.ctx, 2, msg, sizeof msg, sig, 63), 0);
	assert_int_not_equal(v.verify(v.ctx, 4, msg, sizeof msg, sig, 64), 0);    /* unknown node */
	bft_keyring_destroy(kr);
	bft_keyring_destroy(peer);
}

static bft_proof_clock clock_at(int64_t t)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t - 5;
	c.time_ns = t;
	c.offset_ns = 5;
	c.bounds = bft_iv(t - 300, t + 300);
	return c;
}

static void test_proof_p256(void **state)
{
	(void)state;
	enum { N = 5 };
	uint8_t priv[32], pub[65], id[32];
	assert_int_equal(bft_p256_keygen(priv, pub), 0);
	assert_int_equal(bft_p256_key_id(id, pub), 0);
	bft_keyring *kr = NULL, *peer = NULL;
	assert_int_equal(bft_keyring_create(&kr, 2), 0);
	assert_int_equal(bft_keyring_create(&peer, 2), 0);
	assert_int_equal(bft_keyring_add_private_p256(kr, 9, priv), 0);
	assert_int_equal(bft_keyring_add_public_p256(peer, 9, pub), 0);
	bft_signer s, v;
	bft_signer_ed25519(&s, kr);
	bft_signer_ed25519(&v, peer);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 9, id, &s), 0);
	bft_proof bodies[N];
	for (int i = 0; i < N; i++) {
		uint8_t nonce[32] = { (uint8_t)i };
		bft_proof_clock c = clock_at((100 + i) * BFT_NS_PER_SEC);
		assert_int_equal(bft_proof_gen_statement(&g, &bodies[i], &c, nonce), 0);
		assert_int_equal(bft_proof_gen_accept(&g, &bodies[i]), 0);
	}
	uint8_t *buf = NULL;
	size_t offs[N], lens[N];
	bft_proof_batch_signer bs = { .scheme = BFT_PSCHEME_P256, .ed = &s, .p256_pk = pub };
	/* The point must be the one the bodies name, and present. */
	uint8_t priv2[32], pub2[65];
	assert_int_equal(bft_p256_keygen(priv2, pub2), 0);
	bft_proof_batch_signer wrong = bs;
	wrong.p256_pk = pub2;
	assert_int_not_equal(bft_proof_batch_sign(&wrong, bodies, N, &buf, offs, lens), 0);
	wrong.p256_pk = NULL;
	assert_int_not_equal(bft_proof_batch_sign(&wrong, bodies, N, &buf, offs, lens), 0);
	assert_int_equal(bft_proof_batch_sign(&bs, bodies, N, &buf, offs, lens), 0);
	assert_string_equal(bft_proof_scheme_name(BFT_PSCHEME_P256), "p256");
	bft_proof_rootcache cache;
	memset(&cache, 0, sizeof cache);
	for (int i = 0; i < N; i++) {
		bft_proof p;
		assert_int_equal(bft_proof_decode(&p, buf + offs[i], lens[i]), 0);
		assert_int_equal(lens[i], bft_proof_v2_body_size(&p) + bft_proof_auth_size(BFT_PSCHEME_P256, 0, N, (uint16_t)i));
		bft_proof_auth a;
		assert_int_equal(bft_proof_auth_parse(&a, p.auth, p.auth_len), 0);
		assert_non_null(a.p256_pk);
		assert_memory_equal(a.p256_pk, pub, 65);
		assert_null(a.slh_pk);
		assert_int_equal(bft_proof_v2_verify(&p, id, NULL, 0, &cache), 0);
		assert_int_equal(bft_proof_verify_key(&p, id), 0);
		assert_int_equal(bft_proof_verify_signer(&p, &v), 0);
		uint8_t other[32];
		memcpy(other, id, 32);
		other[31] ^= 1;
		assert_int_not_equal(bft_proof_v2_verify(&p, other, NULL, 0, NULL), 0);
	}
	assert_int_equal(cache.misses, 1);
	assert_int_equal(cache.hits, N - 1);
	/* Every flipped bit of the last proof is refused. */
	size_t len = lens[N - 1];
	uint8_t *b = malloc(len);
	assert_non_null(b);
	for (size_t at = 0; at < len * 8; at++) {
		memcpy(b, buf + offs[N - 1], len);
		b[at / 8] ^= (uint8_t)(1u << (at % 8));
		bft_proof p;
		if (bft_proof_decode(&p, b, len) != 0)
			continue;
		bft_proof_rootcache fresh;
		memset(&fresh, 0, sizeof fresh);
		if (bft_proof_v2_verify(&p, NULL, NULL, 0, &fresh) == 0)
			fail_msg("bit %zu of %zu (auth at %zu) flipped and still verifies", at, len * 8,
			         (size_t)(p.auth - b));
		assert_int_not_equal(bft_proof_v2_verify(&p, NULL, NULL, 0, &cache), 0);
	}
	/* Another valid point in place of the carried one (and a signature by
	 * it over the same message): its id is not the body's key. */
	memcpy(b, buf + offs[N - 1], len);
	bft_proof p;
	assert_int_equal(bft_proof_decode(&p, b, len), 0);
	size_t at_pk = (size_t)(p.auth - b) + 7 + (size_t)bft_merkle_path_len(N - 1, N) * 32;
	memcpy(b + at_pk, pub2, 65);
	assert_int_equal(bft_proof_decode(&p, b, len), 0);
	assert_int_not_equal(bft_proof_v2_verify(&p, NULL, NULL, 0, NULL), 0);
	free(b);
	free(buf);
	/* A P-256 node's v1 proof (a P-256 signature in the Ed25519 field) is
	 * refused by a key-only verifier: v1 is Ed25519. */
	bft_proof_gen g1;
	assert_int_equal(bft_proof_gen_init(&g1, 9, id, &s), 0);
	bft_proof v1;
	uint8_t nonce[32] = { 1 };
	bft_proof_clock c = clock_at(50 * BFT_NS_PER_SEC);
	assert_int_equal(bft_proof_gen_next(&g1, &v1, &c, nonce), 0);
	assert_int_not_equal(bft_proof_verify_key(&v1, id), 0);
	bft_keyring_destroy(kr);
	bft_keyring_destroy(peer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_keyring),
		cmocka_unit_test(test_proof_p256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
