/* SPDX-License-Identifier: MIT */
/* Tests of the wire format and the signers: round trips, strict rejection of
 * malformed input, no amplification, signatures that catch tampering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>
#include "proto/sign.h"
#include "proto/wire.h"

static bft_msg sample(uint8_t type)
{
	return (bft_msg){ .type = type, .flags = BFT_MSGF_SYNCED, .epoch = 3, .from = 7, .to = 9,
		          .nonce = 0x0123456789abcdefu, .t_a = -5, .t_b = INT64_MAX, .err_lo_ns = -10, .err_hi_ns = 25 };
}

static int build(uint8_t *buf, const bft_msg *m, const bft_signer *s)
{
	int len = bft_wire_encode(buf, BFT_WIRE_MAX, m);
	assert_true(len > 0);
	uint8_t sig[BFT_WIRE_SIG_MAX];
	assert_int_equal(s->sign(s->ctx, m->from, buf, (size_t)len, sig), 0);
	return bft_wire_seal(buf, BFT_WIRE_MAX, (size_t)len, sig, s->sig_len);
}

static void test_roundtrip_and_sizes(void **state)
{
	(void)state;
	uint64_t secret = 99;
	bft_signer s;
	bft_signer_sim(&s, &secret);
	uint8_t buf[BFT_WIRE_MAX];
	int lens[4] = { 0 };
	for (uint8_t t = BFT_MSG_REQUEST; t <= BFT_MSG_FOLLOWUP; t++) {
		bft_msg m = sample(t), d;
		int len = build(buf, &m, &s);
		assert_true(len > 0);
		lens[t] = len;
		size_t signed_len;
		assert_int_equal(bft_wire_decode(&d, &signed_len, buf, (size_t)len), 0);
		assert_true(d.type == t && d.from == 7 && d.to == 9 && d.nonce == m.nonce && d.t_a == -5);
		assert_true(d.err_lo_ns == -10 && d.err_hi_ns == 25 && d.epoch == 3 && d.flags == BFT_MSGF_SYNCED);
		if (t != BFT_MSG_REQUEST)
			assert_true(d.t_b == INT64_MAX);
		assert_int_equal(s.verify(s.ctx, d.from, buf, signed_len, d.sig, d.sig_len), 0);
		/* Every single-bit flip is caught by the decoder or the signature. */
		for (int i = 0; i < len * 8; i++) {
			buf[i / 8] ^= (uint8_t)(1u << (i % 8));
			int ok = bft_wire_decode(&d, &signed_len, buf, (size_t)len) == 0 &&
			         s.verify(s.ctx, d.from, buf, signed_len, d.sig, d.sig_len) == 0;
			assert_false(ok);
			buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		}
		/* Every truncation is rejected. */
		for (int l = 0; l < len; l++)
			assert_int_not_equal(bft_wire_decode(&d, &signed_len, buf, (size_t)l), 0);
	}
	/* No amplification: a response is never larger than its request. */
	assert_true(lens[BFT_MSG_RESPONSE] <= lens[BFT_MSG_REQUEST]);
	assert_true(lens[BFT_MSG_FOLLOWUP] <= lens[BFT_MSG_REQUEST]);
}

static void test_rejects(void **state)
{
	(void)state;
	uint64_t secret = 1;
	bft_signer s;
	bft_signer_sim(&s, &secret);
	uint8_t buf[BFT_WIRE_MAX];
	bft_msg m = sample(BFT_MSG_RESPONSE), d;
	size_t sl;
	/* An invalid uncertainty cannot be encoded or decoded. */
	m.err_lo_ns = -30;
	assert_int_equal(bft_wire_encode(buf, sizeof buf, &m), BFT_EINVAL);
	m = sample(BFT_MSG_RESPONSE);
	int len = bft_wire_encode(buf, sizeof buf, &m);
	/* Unsigned. */
	assert_int_not_equal(bft_wire_decode(&d, &sl, buf, (size_t)len), 0);
	/* Unknown critical tag, repeated tag, optional tag skipped. */
	uint8_t x[BFT_WIRE_MAX];
	memcpy(x, buf, (size_t)len);
	uint8_t extra[] = { 0x40, 1, 0 };
	memcpy(x + len, extra, 3);
	uint8_t sig[16] = { 0 };
	int l2 = bft_wire_seal(x, sizeof x, (size_t)len + 3, sig, 16);
	assert_int_not_equal(bft_wire_decode(&d, &sl, x, (size_t)l2), 0);
	x[len] = 0x90; /* optional */
	assert_int_equal(bft_wire_decode(&d, &sl, x, (size_t)l2), 0);
	x[len] = 0x01; /* FROM again, wrong length too */
	assert_int_not_equal(bft_wire_decode(&d, &sl, x, (size_t)l2), 0);
	/* Bad magic, version, type. */
	l2 = bft_wire_seal(buf, sizeof buf, (size_t)len, sig, 16);
	for (int i = 0; i < 4; i++) {
		uint8_t save = buf[i];
		buf[i] = i == 3 ? 0 : 0xEE;
		assert_int_not_equal(bft_wire_decode(&d, &sl, buf, (size_t)l2), 0);
		buf[i] = save;
	}
	assert_int_equal(bft_wire_decode(&d, &sl, buf, (size_t)l2), 0);
	/* Oversized. */
	assert_int_not_equal(bft_wire_decode(&d, &sl, buf, BFT_WIRE_MAX + 1), 0);
}

static void test_ed25519(void **state)
{
	(void)state;
	bft_keyring *kr;
	assert_int_equal(bft_keyring_create(&kr, 4), 0);
	uint8_t seed_a[32] = { 1 }, seed_b[32] = { 2 }, pub_b[32];
	assert_int_equal(bft_keyring_add_private(kr, 1, seed_a), 0);
	assert_int_equal(bft_ed25519_public(pub_b, seed_b), 0);
	assert_int_equal(bft_keyring_add_public(kr, 2, pub_b), 0);
	bft_signer s;
	bft_signer_ed25519(&s, kr);
	const uint8_t msg[] = "clock reading";
	uint8_t sig[64];
	assert_int_equal(s.sign(s.ctx, 1, msg, sizeof msg, sig), 0);
	assert_int_equal(s.verify(s.ctx, 1, msg, sizeof msg, sig, 64), 0);
	assert_int_not_equal(s.verify(s.ctx, 2, msg, sizeof msg, sig, 64), 0); /* wrong signer */
	assert_int_not_equal(s.verify(s.ctx, 3, msg, sizeof msg, sig, 64), 0); /* unknown */
	assert_int_not_equal(s.sign(s.ctx, 2, msg, sizeof msg, sig), 0);       /* no private key */
	sig[5] ^= 1;
	assert_int_not_equal(s.verify(s.ctx, 1, msg, sizeof msg, sig, 64), 0);
	bft_keyring_destroy(kr);
	bft_keyring_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_sizes),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_ed25519),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
