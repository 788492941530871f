/* SPDX-License-Identifier: MIT */
/*
 * SplitMix64 (Steele, Lea and Flood; the constants of Vigna's reference),
 * the one seeded, non-cryptographic random stream of the house: the node's
 * timer jitter, the reference drivers' poll jitter and the simulated
 * reference's noise, a test liar's draws, the regression's sampling, the
 * simulator's seeding of its xoshiro256** streams. Pure: the caller owns the
 * 64-bit state. Never for secrets or cookies: those come from getrandom().
 */
#ifndef BFTIME_CORE_PRNG_H
#define BFTIME_CORE_PRNG_H

#include <stdint.h>

/* The next value of the stream whose state is *state (advanced). Inline:
 * the regression's sampling draws it in its inner loop. */
static inline uint64_t bft_prng_u64(uint64_t *state)
{
	uint64_t x = *state += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}
/* Uniform in (0, 1), never 0 (safe for log). */
double bft_prng_unit(uint64_t *state);
/* Standard normal (Box-Muller, two draws). */
double bft_prng_normal(uint64_t *state);

#endif
