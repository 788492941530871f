/* SPDX-License-Identifier: MIT */
/*
 * Robust estimation of a clock's offset and rate from samples y = a + b x
 * (x: local time, y: offset of a reference to the local clock, both ns as
 * doubles; callers subtract a base time first so doubles keep ns precision).
 * b is then the local clock's frequency error as a fraction (50e-6 = 50 ppm).
 *
 * Up to a fraction of samples may be arbitrarily corrupted (the breakdown
 * point): about 29.3% for Theil-Sen (median of pairwise slopes), 50% for the
 * repeated median. See docs/algorithms-regress.md for the algorithms, the
 * bounds and the sources.
 *
 * Contract of bft_regress_theil_sen and bft_regress_repeated_median:
 *  - Pairs with equal x define no slope and are skipped; a pair's slope is
 *    the double (y_j - y_i) / (x_j - x_i). A median of an even count is the
 *    mean of the two middle values (rounded, never outside them); a zero
 *    result is reported as +0.
 *  - The result is exactly (bit for bit) the one of the O(n^2) definition.
 *    Large n runs randomized slope selection whose randomness is internal
 *    and seeded: it decides only how fast the answer is found, never what it
 *    is. Expected O(n log n) time for data in general position (under 5 ms
 *    at n = 4096); when many slopes are exactly equal at the median (for
 *    instance most points exactly collinear) the sampling cannot split them
 *    and an exact O(n^2)-time method takes over.
 *  - Scratch: at least bft_regress_scratch_bytes(n) bytes, aligned for
 *    double (malloc is fine); O(n) for large n. 0 means n is too large.
 *  - Errors: BFT_EINVAL for NULL pointers or an x or y that is NaN, infinite
 *    or larger in magnitude than 2^1022 (so that differences stay finite);
 *    BFT_EEMPTY when no two samples have different x (n < 2 included);
 *    BFT_ERANGE when the slope or intercept is not a finite double (slopes
 *    of nearly equal x can overflow). *out is written only on success.
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
 * a = median over i of y_i - b x_i (computed as the double y[i] - b * x[i]).
 * Needs at least two distinct x. */
BFT_API BFT_WARN_UNUSED int bft_regress_theil_sen(bft_fit *out, const double *x, const double *y, size_t n, void *scratch);

/* Siegel's repeated median: b = med_i med_{j: x_j != x_i} slope(i, j),
 * a = med_i (y_i - b x_i). Every point has a partner once two x differ. */
BFT_API BFT_WARN_UNUSED int bft_regress_repeated_median(bft_fit *out, const double *x, const double *y, size_t n,
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
 *
 * Model: the true offset is theta(x) = theta(x_ref) + b (x - x_ref) over the
 * history, one rate b with |b| <= rho_ppb; a sample is correct when its
 * interval holds theta(x_i), faulty otherwise (callers fold frequency wander
 * into the intervals). Soundness, precisely (docs/algorithms-regress.md):
 *  - a pair of correct samples with x_i < x_j holds b in
 *    [(y_j.lo - y_i.hi) / dx, (y_j.hi - y_i.lo) / dx], computed exactly in
 *    128-bit integers and rounded outward to fs/s;
 *  - a pair whose interval misses the prior [-rho, rho] has a faulty sample:
 *    it is dropped and one fewer faulty pair is tolerated;
 *  - at most T = min(f(n-1) - f(f-1)/2, sum of the f largest numbers of
 *    partners with a different x) pairs touch a faulty sample, so fusing the
 *    remaining pairs tolerating T minus the dropped ones holds b. When they
 *    cannot outvote that many (too few pairs), the rate is the prior itself;
 *  - every correct sample carried to x_ref along the fused rate interval
 *    (widened outward) holds theta(x_ref); fusing them tolerating f holds it.
 * Returns 0; BFT_EFAULTS when the samples prove more than f faulty (more
 * dropped pairs than T, or a fusion finds no point covered often enough);
 * BFT_EEMPTY for n == 0; BFT_EINVAL for NULL pointers, scratch not aligned
 * for int64_t, f >= n, rho_ppb < 0, an unknown method or an interval with
 * lo > hi. With fewer than two distinct x the rate is the prior. Values
 * saturate at the int64 range rather than overflow. *out is written only on
 * success. Scratch: bft_regress_interval_scratch_bytes(n), about 48 n^2 / 2
 * bytes (0 when too large).
 */
enum bft_fuse { BFT_FUSE_MARZULLO, BFT_FUSE_BROOKS_IYENGAR };

typedef struct bft_interval_fit {
	bft_interval slope_fsps;  /* rate interval, femtoseconds per second (1e-15) */
	int64_t slope_est_fsps;   /* rate point estimate (the fusion's; 0 when the rate is the prior) */
	bft_interval offset_ns;   /* offset interval at x_ref */
	int64_t offset_est_ns;    /* offset point estimate at x_ref (the fusion's) */
} bft_interval_fit;

BFT_API size_t bft_regress_interval_scratch_bytes(size_t n);

BFT_API BFT_WARN_UNUSED int bft_regress_interval(bft_interval_fit *out, const int64_t *x_ns, const bft_interval *y,
                                                 size_t n, size_t f, int64_t rho_ppb, int64_t x_ref_ns,
                                                 enum bft_fuse how, void *scratch);

#endif
