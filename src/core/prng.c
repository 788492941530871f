/* SPDX-License-Identifier: MIT */
/* SplitMix64 and the distributions drawn from it (prng.h). */
#include "core/prng.h"

#include <math.h>

double bft_prng_unit(uint64_t *s) { return ((double)(bft_prng_u64(s) >> 11) + 0.5) / 9007199254740992.0; }

double bft_prng_normal(uint64_t *s)
{
	double u = bft_prng_unit(s), v = bft_prng_unit(s);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
