/* SPDX-License-Identifier: MIT */
/*
 * Approximate agreement on clocks (agree.h): the W-MSR trimmed midpoint and
 * the precision it lets a node state. Why trimming is relative to the own
 * value (0) rather than symmetric: LeBlanc et al.'s proofs need the node's
 * own value kept, and a node never removes a value on the side where it has
 * fewer than f; on a full mesh with n >= 3f + 1 the (f+1)-th smallest honest
 * value still lies in every honest node's retained range, which is what
 * halves the spread (docs/internal-sync.md, §3).
 */
#include <stdlib.h>

#include <bftime/agree.h>
#include <bftime/interval.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int bft_agree_midpoint(bft_agree_result *out, int64_t *vals, size_t n, size_t f)
{
	if (!out || (n && !vals))
		return BFT_EINVAL;
	*out = (bft_agree_result){ .kept_lo_ns = INT64_MAX, .kept_hi_ns = INT64_MIN };
	if (n == 0)
		return BFT_OK;
	qsort(vals, n, sizeof *vals, cmp_i64);
	size_t neg = 0, pos = 0;
	for (size_t i = 0; i < n; i++) {
		if (vals[i] < 0)
			neg++;
		else if (vals[i] > 0)
			pos++;
	}
	size_t lo = neg < f ? neg : f, hi = pos < f ? pos : f;
	out->trimmed = lo + hi;
	int64_t mn = 0, mx = 0;
	if (lo + hi < n) {
		/* Retained: vals[lo .. n - hi), together with 0. */
		out->kept_lo_ns = vals[lo];
		out->kept_hi_ns = vals[n - hi - 1];
		if (vals[lo] < mn)
			mn = vals[lo];
		if (vals[n - hi - 1] > mx)
			mx = vals[n - hi - 1];
	}
	out->range_ns = bft_sat_sub(mx, mn);
	/* mn <= 0 <= mx: mn/2 + mx/2 cannot overflow (within 1 ns of the midpoint). */
	out->move_ns = mn / 2 + mx / 2;
	return BFT_OK;
}

int64_t bft_agree_precision_ns(int64_t e_ns, int64_t beta_ns, int64_t drift_ns, int64_t contraction_ppm)
{
	if (e_ns < 0 || beta_ns < 0 || drift_ns < 0 || contraction_ppm < 0 || contraction_ppm >= 1000000)
		return INT64_MAX;
	int64_t num = bft_sat_add(bft_sat_add(bft_sat_add(e_ns, e_ns), bft_sat_add(beta_ns, beta_ns)), drift_ns);
	double v = (double)num / (1.0 - (double)contraction_ppm / 1e6);
	if (!(v < 9.2e18))
		return INT64_MAX;
	return (int64_t)(v + 0.999999);
}
