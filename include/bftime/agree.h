/* SPDX-License-Identifier: MIT */
/*
 * Approximate agreement on clocks (docs/internal-sync.md): one step of the
 * W-MSR rule (LeBlanc, Zhang, Koutsoukos, Sundaram, IEEE JSAC 31(4), 2013)
 * with the Welch-Lynch fault-tolerant midpoint (Welch & Lynch, Inf. Comput.
 * 77(1), 1988), and the precision bound a node states for it. Pure
 * functions: no clocks, no allocation, no globals.
 *
 * Values are neighbours' clocks relative to the node's own (own = 0), in ns.
 * The step removes up to f of the values above 0 (the largest) and up to f
 * below 0 (the smallest), and moves to the midpoint of what is left together
 * with 0. On a full mesh with n >= 3f + 1 honest-or-not neighbours (at most
 * f faulty) every honest result lies in the honest range and the honest
 * spread at least halves, up to the reading errors; on a graph where each
 * honest node has at most f faulty neighbours, the honest values converge
 * when the graph is (2f + 1)-robust (LeBlanc et al.), without a proven rate.
 */
#ifndef BFTIME_AGREE_H
#define BFTIME_AGREE_H

#include <stddef.h>
#include <stdint.h>

#include <bftime/common.h>

typedef struct bft_agree_result {
	int64_t move_ns;  /* the midpoint of the retained values and 0: add to the own clock */
	int64_t range_ns; /* max - min of the retained values and 0 */
	size_t trimmed;   /* values removed (at most 2f) */
	/* The retained values' extremes (0 excluded): a value below kept_lo_ns
	 * or above kept_hi_ns was trimmed (ties: retained). None retained:
	 * INT64_MAX, INT64_MIN. */
	int64_t kept_lo_ns, kept_hi_ns;
} bft_agree_result;

/*
 * One W-MSR midpoint step over vals[0..n) (sorted in place). Any n is valid
 * (n = 0: no move); the caller decides how many values a step needs (2f + 1
 * for the guarantees above). Saturating arithmetic: hostile values cannot
 * overflow. Returns 0 or BFT_EINVAL (NULL with n > 0, or out NULL). O(n log n).
 */
BFT_API BFT_WARN_UNUSED int bft_agree_midpoint(bft_agree_result *out, int64_t *vals, size_t n, size_t f);

/*
 * The precision a node states: pi = (2e + 2beta + D) / (1 - c), the fixed
 * point of "two honest results differ by at most c*S + 2e + 2beta after a
 * step, then drift D apart during the round" (docs/internal-sync.md, §7).
 * e: reading error (half-width), beta: the largest pull towards the node's
 * own true-time point per round (0 when it has none), D: the drift of two
 * clocks over a round, c = contraction_ppm / 1e6 in [0, 1). Saturates at
 * INT64_MAX; negative inputs or c >= 1: INT64_MAX (no bound).
 */
BFT_API int64_t bft_agree_precision_ns(int64_t e_ns, int64_t beta_ns, int64_t drift_ns, int64_t contraction_ppm);

#endif
