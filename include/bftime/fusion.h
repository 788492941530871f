/* SPDX-License-Identifier: MIT */
/*
 * Fault-tolerant fusion of n readings of which at most f may be faulty.
 *
 * Interval functions take readings as intervals that claim to contain the
 * true value; point functions take plain values (for example interval
 * midpoints, or offsets). Every function is O(n log n) or better, allocates
 * nothing and works in caller-provided scratch memory of at least
 * bft_fusion_scratch_bytes(n) bytes, aligned for int64_t. The input is never
 * modified. Inputs are not trusted: any values, any order, duplicates,
 * degenerate (zero-width) and enormous intervals are all legal; an interval
 * with lo > hi is rejected with BFT_EINVAL.
 *
 * Guarantees (see docs/algorithms.md for proofs and sources):
 *  - Marzullo: if at most f readings are faulty, the result contains the true
 *    value. If no point is covered by n - f readings, more than f are faulty
 *    and the function returns BFT_EFAULTS instead of an answer.
 *  - Brooks-Iyengar: same detection; with n > 2f its estimate lies inside the
 *    hull of the correct intervals.
 *  - Fault-tolerant midpoint / average and median: with n >= 2f + 1 the result
 *    lies within the range of the correct values. They cannot detect > f.
 *  - NTP intersection (RFC 5905 section 11.2.1): the variant NTP uses to find
 *    the truechimers without being told f; included for comparison.
 */
#ifndef BFTIME_FUSION_H
#define BFTIME_FUSION_H

#include <bftime/interval.h>

typedef struct bft_fusion_result {
	bft_interval iv;     /* fused interval (contains the truth under the function's assumption) */
	int64_t estimate_ns; /* point estimate inside iv */
	size_t count;        /* readings consistent with the result (see each function) */
} bft_fusion_result;

/* Bytes of scratch any function below needs for n readings; 0 on overflow. */
BFT_API size_t bft_fusion_scratch_bytes(size_t n);

/*
 * Marzullo's algorithm, in the form that tolerates f faults: out->iv is the
 * smallest interval containing every point covered by at least n - f
 * readings; out->count is the largest number of readings that share a point
 * (the classic Marzullo count); out->estimate_ns is the midpoint of out->iv.
 * Requires 1 <= n, f < n. Returns 0, BFT_EFAULTS or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_marzullo(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                         void *scratch);

/*
 * Brooks-Iyengar: the regions covered by at least n - f readings; out->iv
 * spans them, out->estimate_ns is the average of the regions' midpoints
 * weighted by how many readings cover each; out->count is the number of
 * readings that intersect out->iv. Requires 1 <= n, f < n.
 * Returns 0, BFT_EFAULTS or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_brooks_iyengar(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                               void *scratch);

/*
 * Fault-tolerant intersection (Schmid): [(n-f)-th smallest lo, (f+1)-th
 * smallest hi]. O(n); it contains the truth with at most f faulty, and is
 * never narrower than Marzullo's interval. out->count is n - f.
 * Returns 0, BFT_EFAULTS (empty) or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_ft_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                                void *scratch);

/*
 * Welch-Lynch fault-tolerant midpoint: discard the f smallest and f largest
 * values, return the midpoint of the smallest and largest remaining.
 * Requires n >= 2f + 1. Returns 0 or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_ft_midpoint(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch);

/* Fault-tolerant average: mean of the values left after discarding the f
 * smallest and f largest. Requires n >= 2f + 1. */
BFT_API BFT_WARN_UNUSED int bft_ft_average(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch);

/* Median (the lower median for even n). Requires n >= 1. */
BFT_API BFT_WARN_UNUSED int bft_median(int64_t *out_ns, const int64_t *v, size_t n, void *scratch);

/*
 * NTP's intersection algorithm (RFC 5905, clock_select), on intervals whose
 * midpoints are the sources' offsets: it searches for the smallest number of
 * falsetickers, up to but excluding n/2, for which an intersection exists
 * that also holds the midpoints of the rest. out->iv is that intersection,
 * out->count the truechimers (readings that intersect it). Returns
 * BFT_EFAULTS when no majority agrees.
 */
BFT_API BFT_WARN_UNUSED int bft_ntp_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n,
                                                 void *scratch);

#endif
