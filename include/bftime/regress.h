/* SPDX-License-Identifier: MIT */
/*
 * Robust estimation of a clock's offset and rate from samples y = a + b x
 * (x: local time, y: offset of a reference to the local clock, both ns as
 * doubles; callers subtract a base time first so doubles keep ns precision).
 * b is then the local clock's frequency error as a fraction (50e-6 = 50 ppm).
 *
 * Up to a fraction of samples may be arbitrarily corrupted (the breakdown
 * point): about 29.3% for Theil-Sen (median of pairwise slopes), 50% for the
 * repeated median. Both run in expected O(n log n) time using randomized
 * slope selection, in caller-provided scratch memory of at least
 * bft_regress_scratch_bytes(n) bytes; results do not depend on the seed.
 * Pairs with equal x define no slope and are skipped. NaN and infinite input
 * is rejected with BFT_EINVAL.
 */
#ifndef BFTIME_REGRESS_H
#define BFTIME_REGRESS_H

#include <bftime/interval.h>

typedef struct bft_fit {
	double intercept; /* a, ns, at x = 0 */
	double slope;     /* b, dimensionless */
} bft_fit;

BFT_API size_t bft_regress_scratch_bytes(size_t n);

/* Theil-Sen: b = median over pairs i<j with x_i != x_j of (y_j-y_i)/(x_j-x_i),
 * a = median of y_i - b x_i. Needs at least two distinct x. */
BFT_API BFT_WARN_UNUSED int bft_theil_sen(bft_fit *out, const double *x, const double *y, size_t n, void *scratch);

/* Siegel's repeated median: b = med_i med_{j != i} slope(i, j),
 * a = med_i (y_i - b x_i). */
BFT_API BFT_WARN_UNUSED int bft_repeated_median(bft_fit *out, const double *x, const double *y, size_t n,
                                                void *scratch);

/*
 * The interval variant (Sensor Fusion Framework): samples are intervals of
 * offsets y_i = [lo, hi] at local times x_i (ns). The slope of every pair is
 * an interval; it is trimmed by the prior rate bound |b| <= rho_ppb, and the
 * pairs' slope intervals are fused with Marzullo or Brooks-Iyengar tolerating
 * every pair that touches one of at most f faulty samples; the offset at x_ref
 * is then fused from every sample carried to x_ref along the fused slope
 * interval, tolerating f. Intervals in, intervals out: with at most f samples
 * faulty, the results contain the true offset and rate.
 * O(n^2) pairs: meant for the short histories a node keeps (n <= a few hundred).
 */
enum bft_fuse { BFT_FUSE_MARZULLO, BFT_FUSE_BROOKS_IYENGAR };

typedef struct bft_interval_fit {
	bft_interval slope_fsps;  /* rate interval, femtoseconds per second (1e-15) */
	int64_t slope_est_fsps;   /* rate point estimate */
	bft_interval offset_ns;   /* offset interval at x_ref */
	int64_t offset_est_ns;    /* offset point estimate at x_ref */
} bft_interval_fit;

BFT_API size_t bft_interval_fit_scratch_bytes(size_t n);

BFT_API BFT_WARN_UNUSED int bft_interval_regress(bft_interval_fit *out, const int64_t *x_ns, const bft_interval *y,
                                                 size_t n, size_t f, int64_t rho_ppb, int64_t x_ref_ns,
                                                 enum bft_fuse how, void *scratch);

#endif
