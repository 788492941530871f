/* SPDX-License-Identifier: MIT */
/*
 * Private to the regress module and its tests: the estimators computed
 * straight from their O(n^2) definitions, plus the few primitives (pair
 * slope, median of two values) that the fast algorithms must share with them
 * bit for bit.
 *
 * Why keep these: they are the test oracle the fast algorithms are checked
 * against for exact equality, and the small-n path of the public functions,
 * where they beat the fast algorithms' set-up cost.
 */
#ifndef BFTIME_CORE_REGRESS_REF_H
#define BFTIME_CORE_REGRESS_REF_H

#include <bftime/regress.h>

/*
 * The slope of the pair (i, j), computed as (y_j - y_i) / (x_j - x_i) in
 * double. Swapping i and j negates both differences exactly, so the result
 * does not depend on the order of the pair. Requires x_i != x_j.
 */
static inline double bft_pair_slope(double xi, double yi, double xj, double yj)
{
	return (yj - yi) / (xj - xi);
}

/*
 * The median convention of the module: for an even count, the mean of the two
 * middle values a <= b. Halving each first avoids overflow; clamping to
 * [a, b] keeps the rounded mean between them (halving a subnormal rounds),
 * which the fast algorithms rely on when they decide "median < t" from
 * "both middle values < t".
 */
static inline double bft_mean2(double a, double b)
{
	if (a == b)
		return a;
	double m = 0.5 * a + 0.5 * b;
	if (m < a)
		m = a;
	if (m > b)
		m = b;
	return m;
}

/* The median of v[0..n) with the convention above; reorders v. n >= 1. */
double bft_median_inplace(double *v, size_t n);

/* Bytes bft_ref_theil_sen needs: n(n-1)/2 + n doubles; 0 on overflow. */
size_t bft_ref_theil_sen_scratch_bytes(size_t n);
/* Bytes bft_ref_repeated_median needs: 2n doubles; 0 on overflow. */
size_t bft_ref_repeated_median_scratch_bytes(size_t n);

/*
 * The definitions of regress.h, pair by pair. Same contract and error codes
 * as bft_regress_theil_sen / bft_regress_repeated_median, except for the scratch sizes above.
 * Theil-Sen is O(n^2) time and memory, the repeated median O(n^2) time and
 * O(n) memory.
 */
int bft_ref_theil_sen(bft_fit *out, const double *x, const double *y, size_t n, void *scratch);
int bft_ref_repeated_median(bft_fit *out, const double *x, const double *y, size_t n, void *scratch);

/* Shared by both paths: argument checks (BFT_EINVAL for NULL or non-finite
 * input), and the intercept med_i (y_i - b x_i) with its range check. */
int bft_regress_check(const bft_fit *out, const double *x, const double *y, size_t n, const void *scratch);
int bft_regress_finish(bft_fit *out, double slope, const double *x, const double *y, size_t n, double *work);

#endif
