/* SPDX-License-Identifier: MIT */
/*
 * The daemon's seeded, non-cryptographic random streams (splitmix64): poll
 * jitter, the simulated reference's noise, a test liar's draws. Never for
 * secrets or cookies: those come from getrandom().
 */
#ifndef BFTIME_DAEMON_RNG_H
#define BFTIME_DAEMON_RNG_H

#include <stdint.h>

uint64_t bftd_rng_u64(uint64_t *state);
/* Uniform in (0, 1), never 0 (safe for log). */
double bftd_rng_unit(uint64_t *state);
/* Standard normal (Box-Muller, two draws). */
double bftd_rng_normal(uint64_t *state);

#endif
