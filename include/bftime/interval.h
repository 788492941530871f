/* SPDX-License-Identifier: MIT */
/*
 * Time intervals: the currency of bftime. Every clock reading, every fused
 * estimate and every answer the product gives is an interval [lo, hi] of
 * nanoseconds that claims to contain the true value. A reading is *faulty*
 * exactly when its interval misses the truth; that is the only fault kind the
 * fusion algorithms reason about.
 *
 * All arithmetic saturates at INT64_MIN / INT64_MAX instead of overflowing, and
 * widening always rounds outward, so an interval is never made narrower than
 * the bounds honestly allow. An interval is valid when lo <= hi.
 */
#ifndef BFTIME_INTERVAL_H
#define BFTIME_INTERVAL_H

#include <stdbool.h>
#include <bftime/common.h>

typedef struct bft_interval {
	int64_t lo_ns;
	int64_t hi_ns;
} bft_interval;

/* Saturating int64 helpers, used throughout the core. */
BFT_API int64_t bft_sat_add(int64_t a, int64_t b);
BFT_API int64_t bft_sat_sub(int64_t a, int64_t b);

/*
 * rho_ppb * elapsed_ns / 1e9 rounded up (away from zero), saturating; the
 * amount a clock with drift bound rho can gain or lose over elapsed_ns.
 * elapsed_ns is taken as |elapsed_ns|; rho_ppb must be >= 0.
 */
BFT_API int64_t bft_drift_ns(int64_t rho_ppb, int64_t elapsed_ns);

static inline bft_interval bft_iv(int64_t lo_ns, int64_t hi_ns)
{
	bft_interval iv = { lo_ns, hi_ns };
	return iv;
}
static inline bool bft_iv_valid(bft_interval a) { return a.lo_ns <= a.hi_ns; }
static inline bool bft_iv_contains(bft_interval a, int64_t t_ns)
{
	return a.lo_ns <= t_ns && t_ns <= a.hi_ns;
}
/* Width (hi - lo), saturating. */
BFT_API int64_t bft_iv_width(bft_interval a);
/* Midpoint, rounded toward lo, computed without overflow. */
BFT_API int64_t bft_iv_mid(bft_interval a);
/* [lo + d, hi + d]. */
BFT_API bft_interval bft_iv_shift(bft_interval a, int64_t d_ns);
/* [lo - lo_by, hi + hi_by]: widen by non-negative amounts (negative is EINVAL-free: clamped to 0). */
BFT_API bft_interval bft_iv_widen(bft_interval a, int64_t lo_by_ns, int64_t hi_by_ns);
/* Widen both sides by the drift a clock bounded by rho_ppb accrues over elapsed_ns. */
BFT_API bft_interval bft_iv_widen_drift(bft_interval a, int64_t rho_ppb, int64_t elapsed_ns);
/* Intersection; returns false (and leaves *out untouched) when disjoint. */
BFT_API bool bft_iv_intersect(bft_interval a, bft_interval b, bft_interval *out);
/* Smallest interval containing both. */
BFT_API bft_interval bft_iv_hull(bft_interval a, bft_interval b);

#endif
