/* SPDX-License-Identifier: MIT */
/*
 * The simulator's stand-in signer (see sign.h): a keyed hash, cheap enough
 * for hundreds of millions of messages. Not cryptographically secure, and
 * never used outside bftime-sim; --real-crypto replaces it with Ed25519.
 */
#include "proto/sign.h"

#include <string.h>

#include <bftime/common.h>

#define SIM_SIG_LEN 16

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9u;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static void tag(uint64_t secret, uint32_t id, const uint8_t *msg, size_t len, uint8_t out[SIM_SIG_LEN])
{
	uint64_t a = mix(secret ^ id), b = mix(a + 0x9e3779b97f4a7c15u);
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;
		size_t k = len - i < 8 ? len - i : 8;
		memcpy(&w, msg + i, k);
		a = mix(a ^ w);
		b = mix(b + w + a);
	}
	a = mix(a ^ len);
	b = mix(b ^ a);
	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}

static int sim_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	tag(*(const uint64_t *)ctx, self, msg, len, sig);
	return 0;
}

static int sim_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t want[SIM_SIG_LEN];
	if (sig_len != SIM_SIG_LEN)
		return BFT_EINVAL;
	tag(*(const uint64_t *)ctx, from, msg, len, want);
	uint8_t diff = 0;
	for (size_t i = 0; i < SIM_SIG_LEN; i++)
		diff |= (uint8_t)(want[i] ^ sig[i]);
	return diff ? BFT_EINVAL : 0;
}

void bft_signer_sim(bft_signer *out, const uint64_t *secret)
{
	out->name = "sim-keyed-hash";
	out->sig_len = SIM_SIG_LEN;
	out->sign = sim_sign;
	out->verify = sim_verify;
	out->ctx = (void *)(uintptr_t)secret;
}
