/* SPDX-License-Identifier: MIT */
/* The daemon's seeded random streams (rng.h). */
#include "daemon/rng.h"

#include <math.h>

uint64_t bftd_rng_u64(uint64_t *s)
{
	uint64_t x = *s += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

double bftd_rng_unit(uint64_t *s) { return ((double)(bftd_rng_u64(s) >> 11) + 0.5) / 9007199254740992.0; }

double bftd_rng_normal(uint64_t *s)
{
	double u = bftd_rng_unit(s), v = bftd_rng_unit(s);
	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
