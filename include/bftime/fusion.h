/* SPDX-License-Identifier: MIT */
/*
 * Fault-tolerant fusion of n readings of which at most f may be faulty.
 *
 * Interval functions take readings as closed intervals that claim to contain
 * the true value (touching intervals share their common point); point
 * functions take plain values (for example interval midpoints, or offsets).
 * Every function is O(n log n) worst case, allocates nothing and works in
 * caller-provided scratch memory of at least bft_fusion_scratch_bytes(n)
 * bytes, aligned for int64_t. The input is never modified. Inputs are not
 * trusted: any values, any order, duplicates, degenerate (zero-width) and
 * enormous intervals are all legal; an interval with lo > hi is rejected with
 * BFT_EINVAL.
 *
 * Errors, common to every function: n == 0 returns BFT_EEMPTY (no readings is
 * a run-time condition, not a caller bug, so it is told apart from EINVAL);
 * a NULL pointer, misaligned scratch, n > BFT_FUSION_MAX_N, or f outside the
 * function's requirement returns BFT_EINVAL. On any error *out is untouched.
 *
 * Guarantees (see docs/algorithms.md and docs/algorithms-fusion.md for proofs and sources):
 *  - Marzullo: if at most f readings are faulty, the result contains the true
 *    value, for any f < n. If no point is covered by n - f readings, more than
 *    f are faulty and the function returns BFT_EFAULTS instead of an answer.
 *    With n >= 3f + 1 the result lies inside one correct reading (so it is no
 *    wider than the widest correct one); with n >= 2f + 1 it is at most twice
 *    as wide and inside the hull of the correct readings.
 *  - Brooks-Iyengar: same interval and detection as Marzullo; with n > 2f its
 *    estimate lies inside the hull of the correct intervals.
 *  - Fault-tolerant intersection: contains Marzullo's interval, hence the
 *    truth; detects only some cases of more than f faulty (when empty).
 *  - Fault-tolerant midpoint / average and median: with n >= 2f + 1 the result
 *    lies within the range of the correct values. They cannot detect > f.
 *  - NTP intersection (RFC 5905 section 11.2.1): the variant NTP uses to find
 *    the truechimers without being told f; included for comparison.
 */
#ifndef BFTIME_FUSION_H
#define BFTIME_FUSION_H

#include <bftime/interval.h>

/*
 * Largest n accepted. Far beyond any memory (16 TiB of readings); it keeps the
 * exact 128-bit sums behind Brooks-Iyengar's weighted mean within range.
 */
#define BFT_FUSION_MAX_N (UINT64_C(1) << 40)

typedef struct bft_fusion_result {
	bft_interval iv;     /* fused interval (contains the truth under the function's assumption) */
	int64_t estimate_ns; /* point estimate inside iv */
	size_t count;        /* readings consistent with the result (see each function) */
} bft_fusion_result;

/* Bytes of scratch any function below needs for n readings; 0 on overflow or
 * n > BFT_FUSION_MAX_N (and 0 for n == 0, which needs none). */
BFT_API size_t bft_fusion_scratch_bytes(size_t n);

/*
 * Marzullo's algorithm, in the form that tolerates f faults: out->iv is the
 * smallest interval containing every point covered by at least n - f
 * readings; out->count is the largest number of readings that share a point
 * (the classic Marzullo count); out->estimate_ns is the midpoint of out->iv
 * (rounded toward lo). Requires f < n. Returns 0, BFT_EFAULTS, BFT_EEMPTY or
 * BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_marzullo(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                         void *scratch);

/*
 * Brooks-Iyengar: the regions covered by at least n - f readings; out->iv
 * spans them (it equals Marzullo's interval), out->estimate_ns is the average
 * of the regions' midpoints weighted by how many readings cover each (rounded
 * toward -infinity); out->count is the number of readings that intersect
 * out->iv. A region is a maximal stretch of constant coverage: an open
 * stretch between consecutive endpoints (weighted by its coverage, midpoint
 * of its closure), or a single point where some reading ends and another
 * starts (the limit of a tiny overlap). Requires f < n.
 * Returns 0, BFT_EFAULTS, BFT_EEMPTY or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_brooks_iyengar(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                               void *scratch);

/*
 * Fault-tolerant intersection (Schmid): [(n-f)-th smallest lo, (f+1)-th
 * smallest hi]. O(n) expected; it contains the truth with at most f faulty,
 * and always contains Marzullo's interval. out->estimate_ns is its midpoint,
 * out->count is n - f. Requires f < n. Returns 0, BFT_EFAULTS (empty: more
 * than f faulty; a non-empty result does NOT prove at most f are faulty),
 * BFT_EEMPTY or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_ft_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f,
                                                void *scratch);

/*
 * Welch-Lynch fault-tolerant midpoint: discard the f smallest and f largest
 * values, return the midpoint of the smallest and largest remaining (rounded
 * toward the smaller). Requires n >= 2f + 1. Returns 0, BFT_EEMPTY or
 * BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_ft_midpoint(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch);

/* Fault-tolerant average: mean of the values left after discarding the f
 * smallest and f largest, exact and rounded toward -infinity. Requires
 * n >= 2f + 1. Returns 0, BFT_EEMPTY or BFT_EINVAL. */
BFT_API BFT_WARN_UNUSED int bft_fusion_ft_average(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch);

/*
 * Shortest-window mean: the mean of the n - f consecutive sorted values that
 * span the least. With at most f faulty and n >= 2f + 1 the result lies
 * within [min correct - R, max correct + R], R the correct values' range;
 * liars far from the correct values are ignored entirely, so under collusion
 * it errs like an average of correct values rather than like the extreme one
 * (the median's and midpoint's worst case). Rounds toward -infinity.
 * Requires n >= 2f + 1. O(n log n). Returns 0, BFT_EEMPTY or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_ft_shortest_mean(int64_t *out_ns, const int64_t *v, size_t n, size_t f,
                                                 void *scratch);

/*
 * The shortest-window mean, its kept values weighted by 1 / (u_i - u_min +
 * u_min / 10 + 1 ns)^2, u_ns[i] value i's uncertainty (for a source, the
 * width of its carried interval). The same bound as the unweighted one.
 * Rounds to nearest. Requires n >= 2f + 1. Returns 0, BFT_EEMPTY or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_fusion_ft_shortest_wmean(int64_t *out_ns, const int64_t *v, const int64_t *u_ns,
                                                  size_t n, size_t f, void *scratch);

/* Median (the lower median for even n). Returns 0, BFT_EEMPTY or BFT_EINVAL. */
BFT_API BFT_WARN_UNUSED int bft_fusion_median(int64_t *out_ns, const int64_t *v, size_t n, void *scratch);

/*
 * NTP's intersection algorithm (RFC 5905, clock_select), on intervals whose
 * midpoints (bft_iv_mid) are the sources' offsets: it searches for the
 * smallest number of falsetickers a, 0 <= a < n/2, for which some point is
 * covered by n - a intervals and at most a midpoints lie outside the hull of
 * such points. out->iv is that hull, out->estimate_ns its midpoint, out->count
 * the truechimers (readings that intersect it). It contains the truth when at
 * most a readings are faulty, which NTP assumes but cannot check. Endpoint
 * ties sort lo < mid < hi, and, intervals being closed, a single-point
 * intersection is accepted (the RFC's test is strict: low < high).
 * Returns 0, BFT_EFAULTS when no majority agrees, BFT_EEMPTY or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_exchange_ntp_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n,
                                                 void *scratch);

#endif
