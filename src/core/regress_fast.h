/* SPDX-License-Identifier: MIT */
/*
 * Private to the regress module and its tests: the randomized algorithms
 * behind bft_regress_theil_sen and bft_regress_repeated_median for large n, with the seed
 * and a report of how each run went exposed, so tests can check that the
 * result does not depend on the seed and that the fast path (not a fallback)
 * produced it.
 */
#ifndef BFTIME_CORE_REGRESS_FAST_H
#define BFTIME_CORE_REGRESS_FAST_H

#include <bftime/regress.h>

/* Why the exact O(n^2) method produced the result (0: it did not). */
enum bft_fast_fallback {
	BFT_FB_NONE,
	BFT_FB_ROUNDS,   /* too many rounds */
	BFT_FB_OVERFLOW, /* a key y - t x would overflow */
	BFT_FB_MISSED,   /* every proposed bracket missed the answer */
	BFT_FB_STALLED,  /* the bracket stopped shrinking (exactly equal slopes) */
	BFT_FB_FINAL,    /* the listed candidates did not hold the answer */
};

typedef struct bft_fast_stats {
	unsigned rounds;   /* contraction rounds that were accepted */
	unsigned retries;  /* proposed brackets that missed and were widened */
	unsigned straddle; /* repeated median: rows recomputed in full */
	int fallback;      /* enum bft_fast_fallback */
} bft_fast_stats;

/* Bytes the functions below need (scratch aligned for double); 0 on overflow
 * or when n exceeds what the fast path indexes (2^30 points). */
size_t bft_fast_scratch_bytes(size_t n);

/*
 * Same contract and results as bft_ref_theil_sen / bft_ref_repeated_median
 * (exactly, for every seed), for any n; expected O(n log n) time, O(n)
 * memory. stats may be NULL.
 */
int bft_theil_sen_fast(bft_fit *out, const double *x, const double *y, size_t n, void *scratch, uint64_t seed,
                       bft_fast_stats *stats);
int bft_repeated_median_fast(bft_fit *out, const double *x, const double *y, size_t n, void *scratch,
                             uint64_t seed, bft_fast_stats *stats);

/*
 * The fallback of bft_theil_sen_fast: exact Theil-Sen by full passes over
 * the pairs, narrowing a bracket with a reservoir sample each pass. O(n^2)
 * time per pass (a few passes), O(n) memory, any input.
 */
int bft_theil_sen_scan(bft_fit *out, const double *x, const double *y, size_t n, void *scratch, uint64_t seed);

#endif
