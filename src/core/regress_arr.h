/* SPDX-License-Identifier: MIT */
/*
 * Private to the regress module: the machinery of randomized slope selection.
 *
 * The pair slopes of n points are never listed (there are n(n-1)/2 of them).
 * Instead, for a threshold t, the points are ordered by the key y - t x: for a
 * pair with x_i < x_j the key of j is below the key of i exactly when the
 * slope of the pair is below t. Sorting the keys at two thresholds lo < hi
 * therefore splits the pairs into three classes, each found by counting
 * inversions between two orders in O(n log n): pairs below lo, pairs above
 * hi, and the candidates in between, which can be sampled uniformly or
 * listed without looking at the others.
 *
 * Exactness. The estimators must return exactly what the O(n^2) definitions
 * in regress_ref.c return, so "below" must be a certainty about the computed
 * slope RN(RN(y_j - y_i) / RN(x_j - x_i)), not about the real one. Two facts
 * give that:
 *  - keys are computed with one rounding, fma(-t, x, y), and rounding is
 *    monotone, so a strict inequality between two keys is a true inequality
 *    between the real values y - t x, hence between the real slope and t;
 *  - the computed slope is within a relative 3.01 u (u = 2^-53) plus an
 *    underflow term 2^-1075 of the real one, so a real slope below
 *    bft_slope_down(t) has a computed slope below t (and symmetrically).
 * Ties of keys are decided by fixed orders of the points, so every pair lands
 * in exactly one class; pairs that are ambiguous (ties, or real slopes inside
 * the margin) land among the candidates, whose computed slopes are then
 * compared with t directly. Pairs with equal x keep their order in every
 * order used and never count anywhere.
 *
 * Points are indexed by uint32_t: n is limited to BFT_ARR_MAX_N.
 */
#ifndef BFTIME_CORE_REGRESS_ARR_H
#define BFTIME_CORE_REGRESS_ARR_H

#include "core/prng.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFT_ARR_MAX_N ((size_t)1 << 30)

__extension__ typedef unsigned __int128 bft_u128;

/*
 * A small PRNG (SplitMix64) owned by one call. The fast algorithms only use
 * it to choose samples; their results do not depend on it.
 */
typedef struct bft_rng {
	uint64_t s;
} bft_rng;

static inline uint64_t bft_rng_next(bft_rng *r) { return bft_prng_u64(&r->s); }

/* Uniform in [0, bound), bound >= 1 (Lemire's multiply-shift; the rare
 * rejection keeps it unbiased). */
static inline uint64_t bft_rng_below(bft_rng *r, uint64_t bound)
{
	for (;;) {
		bft_u128 m = (bft_u128)bft_rng_next(r) * bound;
		uint64_t lo = (uint64_t)m;
		if (lo >= bound || lo >= (0 - bound) % bound)
			return (uint64_t)(m >> 64);
	}
}

/*
 * Thresholds moved outward by more than the error of a computed slope (see
 * above): a real slope below bft_slope_down(t) computes to a value below t,
 * a real slope above bft_slope_up(t) to a value above t. Infinite t stays.
 */
double bft_slope_down(double t);
double bft_slope_up(double t);

/* The points and the orders at t = -inf and t = +inf, built once per call. */
typedef struct bft_arr {
	size_t n;
	const double *x, *y;
	uint32_t *p0, *r0;     /* order by (x, y, index) = keys at -inf; rank in it */
	uint32_t *pinf, *rinf; /* order by (x descending, y, index) = keys at +inf */
	uint32_t *deg;         /* per point: partners with a different x */
	uint64_t pairs;        /* pairs with different x */
	uint32_t *bit;         /* Fenwick tree, n + 1 (padded to 2n + 2) */
	uint64_t *key, *key2;  /* radix sort buffers */
	uint32_t *id2;
} bft_arr;

/*
 * A bracket [lo, hi] of slopes with the orders of the points at
 * bft_slope_down(lo) and bft_slope_up(hi), the pair counts of the three
 * classes, and (when b_i/a_i are set) the per-point counts.
 */
typedef struct bft_bracket {
	double lo, hi;
	uint32_t *ol, *rl; /* order at lo, rank in it */
	uint32_t *oh, *rh; /* order at hi, rank in it */
	uint32_t *b_i, *a_i; /* per point: partners surely below lo, surely above hi */
	uint64_t below, above, cand;
} bft_bracket;

/* Bytes bft_arr_init and one bracket need (without per-point counts). */
size_t bft_arr_bytes(size_t n);
size_t bft_bracket_bytes(size_t n, bool per_point);

/* Carve the arrays out of *mem (advanced past them), order the points. */
void bft_arr_init(bft_arr *a, const double *x, const double *y, size_t n, unsigned char **mem);
void bft_bracket_init(bft_bracket *b, size_t n, bool per_point, unsigned char **mem);

/* The bracket (-inf, +inf): every pair is a candidate. */
void bft_bracket_open(const bft_arr *a, bft_bracket *b);

/*
 * Set b to [lo, hi] (lo <= hi; either may be infinite) and count its
 * classes. Returns false when a key would overflow (huge slopes times huge
 * x); the caller then falls back to an exact method.
 */
bool bft_bracket_set(bft_arr *a, bft_bracket *b, double lo, double hi);

/*
 * Sample: for m indices idx[] sorted ascending in [0, b->cand), write into
 * out[] the slope of the candidate pair with that index (in a fixed
 * enumeration order of the candidates). O((n + m) log n).
 */
void bft_bracket_sample(bft_arr *a, const bft_bracket *b, const uint64_t *idx, size_t m, double *out);

/* The candidate partners of point e, into out[] (n slots); returns their
 * number, deg[e] - b_i[e] - a_i[e]. O(n). */
size_t bft_bracket_row(const bft_arr *a, const bft_bracket *b, uint32_t e, uint32_t *out);

/*
 * List the slopes of all candidates. With cursor NULL they fill out[0 ..
 * b->cand). Otherwise only points with cursor[e] != UINT32_MAX collect: each
 * candidate slope of such a point is written at out[cursor[e]++].
 * O(n log n + b->cand).
 */
void bft_bracket_list(bft_arr *a, const bft_bracket *b, uint32_t *cursor, double *out);

/* Sort v[0..m) ascending (LSD radix; tmp holds m). */
void bft_sort_u64(uint64_t *v, uint64_t *tmp, size_t m);

#endif
