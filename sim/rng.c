/* SPDX-License-Identifier: MIT */
/*
 * xoshiro256** seeded by splitmix64 (Blackman & Vigna): small state (32 bytes
 * per stream, so every node can own one), fast, and good enough for
 * simulation. Floating point is used only for distribution shaping; the
 * operations are IEEE-exact or libm calls, so output is stable on one
 * platform and compiler, which is what byte-identical reruns need.
 */
#include "sim/rng.h"

#include <math.h>

#include "core/prng.h"

uint64_t sim_splitmix64(uint64_t *state) { return bft_prng_u64(state); }

void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t st = seed ^ (stream * 0xd1342543de82ef95u + 0x2545f4914f6cdd1du);
	/* Stir the combined value once so nearby seeds and streams diverge. */
	st = sim_splitmix64(&st);
	for (int i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&st);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_u64(sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double sim_rng_unit(sim_rng *r)
{
	return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	for (;;) {
		uint64_t x = sim_rng_u64(r);
		if (x < lim)
			return x % n;
	}
}

double sim_rng_exp(sim_rng *r, double mean)
{
	if (mean <= 0)
		return 0;
	return -mean * log1p(-sim_rng_unit(r));
}

double sim_rng_normal(sim_rng *r)
{
	double u1 = 1.0 - sim_rng_unit(r), u2 = sim_rng_unit(r);
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
