/* SPDX-License-Identifier: MIT */
/*
 * The simulator's randomness: xoshiro256** streams seeded through splitmix64
 * from (scenario seed, stream id), so every node, link and reference draws
 * from its own stream and a run is a pure function of the seed. Nothing here
 * reads time() or calls rand().
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

typedef struct sim_rng {
	uint64_t s[4];
} sim_rng;

/* Independent streams for one seed: stream ids are the caller's namespace. */
void sim_rng_seed(sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_u64(sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_unit(sim_rng *r);
/* Uniform integer in [0, n), n > 0 (rejection: no modulo bias). */
uint64_t sim_rng_below(sim_rng *r, uint64_t n);
/* Exponential with the given mean; 0 for mean <= 0. */
double sim_rng_exp(sim_rng *r, double mean);
/* Standard normal (Box-Muller, one value per call: simple and deterministic). */
double sim_rng_normal(sim_rng *r);
/* splitmix64 step, exported for deriving keys and sub-seeds. */
uint64_t sim_splitmix64(uint64_t *state);

#endif
