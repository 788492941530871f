/* SPDX-License-Identifier: MIT */
/*
 * Robust line fits (regress.h): the public entry points choose between the
 * O(n^2) definitions (regress_ref.c, faster for small n) and the randomized
 * exact algorithms (regress_fast.c), which return the same bits. The
 * interval variant is here; its soundness argument is in
 * docs/algorithms-regress.md section 4, and the comments below follow it.
 */
#include <bftime/regress.h>

#include <stdbool.h>

#include <bftime/fusion.h>

#include "order.h"
#include "regress_fast.h"
#include "regress_ref.h"

/* Up to these n the direct O(n^2) computation beats the fast path's set-up
 * (measured with bench/bench_regress.c). */
#define TS_SMALL_N 150
#define RM_SMALL_N 112
/* Any fixed seed: the results do not depend on it. */
#define SEED UINT64_C(0x6274696d65)

static size_t max2(size_t a, size_t b) { return a > b ? a : b; }

/* Enough for every n' <= n, not only n: callers (the discipline) size
 * scratch once for their largest history and fit fewer samples while it
 * fills, and the exact path below the thresholds needs more per sample than
 * the fast path above them. */
size_t bft_regress_scratch_bytes(size_t n)
{
	size_t f = bft_fast_scratch_bytes(n);
	if (!f)
		return 0;
	f = max2(f, bft_ref_theil_sen_scratch_bytes(n < TS_SMALL_N ? n : TS_SMALL_N));
	f = max2(f, bft_ref_repeated_median_scratch_bytes(n < RM_SMALL_N ? n : RM_SMALL_N));
	return f;
}

/* Theil-Sen's definition when x ascends strictly (the discipline's samples
 * do, sorted): no pair has equal x, so each row of slopes is one plain loop
 * of divisions, which the compiler vectorizes (Makefile). The same slopes
 * as bft_ref_theil_sen's, in the same order: the same median, bit for bit
 * (test_regress, test_ascending_equals_exact). */
static bool ascending(const double *x, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!(x[i - 1] < x[i]))
			return false;
	return n >= 2;
}

static int theil_sen_ascending(bft_fit *out, const double *x, const double *y, size_t n, double *s)
{
	size_t m = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		const double xi = x[i], yi = y[i];
		const double *xr = x + i + 1, *yr = y + i + 1;
		double *row = s + m;
		size_t len = n - 1 - i;
		for (size_t j = 0; j < len; j++)
			row[j] = (yr[j] - yi) / (xr[j] - xi);
		m += len;
	}
	return bft_regress_finish(out, bft_median_inplace(s, m), x, y, n, s);
}

int bft_regress_theil_sen(bft_fit *out, const double *x, const double *y, size_t n, void *scratch)
{
	if (n <= TS_SMALL_N) {
		if (bft_regress_check(out, x, y, n, scratch) == BFT_OK && ascending(x, n))
			return theil_sen_ascending(out, x, y, n, scratch);
		return bft_ref_theil_sen(out, x, y, n, scratch);
	}
	return bft_theil_sen_fast(out, x, y, n, scratch, SEED, NULL);
}

int bft_regress_repeated_median(bft_fit *out, const double *x, const double *y, size_t n, void *scratch)
{
	if (n <= RM_SMALL_N)
		return bft_ref_repeated_median(out, x, y, n, scratch);
	return bft_repeated_median_fast(out, x, y, n, scratch, SEED, NULL);
}

/* ---- Interval variant --------------------------------------------------- */

__extension__ typedef __int128 i128;

#define FSPS_PER_PPB INT64_C(1000000)           /* a rate of 1 ppb is 1e6 fs/s */
#define FS_PER_UNIT INT64_C(1000000000000000) /* a rate of 1 (ns per ns) in fs/s */

static int64_t sat64(i128 v)
{
	return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

/* Quotients rounded toward -inf / +inf; b > 0. */
static i128 div_floor(i128 a, i128 b)
{
	i128 q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static i128 div_ceil(i128 a, i128 b)
{
	i128 q = a / b;
	return (a % b != 0 && a > 0) ? q + 1 : q;
}

/* Pairs of n samples, or n when larger: the fused arrays hold either. */
static size_t readings_of(size_t n)
{
	if (n < 2)
		return n ? n : 1;
	if ((n - 1) / 2 > SIZE_MAX / n)
		return 0;
	size_t m = n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1);
	return m > n ? m : n;
}

size_t bft_regress_interval_scratch_bytes(size_t n)
{
	size_t m = readings_of(n);
	if (!m || m > SIZE_MAX / sizeof(bft_interval) || n > SIZE_MAX / sizeof(int64_t))
		return 0;
	size_t f = bft_fusion_scratch_bytes(m);
	if (!f)
		return 0;
	size_t a = m * sizeof(bft_interval), b = (n ? n : 1) * sizeof(int64_t);
	if (f > SIZE_MAX - a || f + a > SIZE_MAX - b)
		return 0;
	return f + a + b;
}

static int fuse(enum bft_fuse how, bft_fusion_result *r, const bft_interval *iv, size_t n, size_t f, void *scratch)
{
	if (how == BFT_FUSE_MARZULLO)
		return bft_fusion_marzullo(r, iv, n, f, scratch);
	return bft_fusion_brooks_iyengar(r, iv, n, f, scratch);
}

/*
 * How many pairs with different x can touch a set of f samples: at most
 * f(n-1) - f(f-1)/2 (every pair but those among the other n - f), and at
 * most the sum of the f largest degrees (partners with a different x). deg
 * is scratch of n.
 */
static uint64_t faulty_pairs_bound(const int64_t *x_ns, size_t n, size_t f, int64_t *deg)
{
	if (f == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		deg[i] = x_ns[i];
	bft_sort_i64(deg, n);
	/* Replace each x by its degree n - (size of its group of equal x). */
	for (size_t p = 0; p < n;) {
		size_t q = p + 1;
		while (q < n && deg[q] == deg[p])
			q++;
		for (size_t r = p; r < q; r++)
			deg[r] = (int64_t)(n - (q - p));
		p = q;
	}
	bft_sort_i64(deg, n);
	uint64_t top = 0;
	for (size_t i = n - f; i < n; i++)
		top += (uint64_t)deg[i];
	uint64_t all = (uint64_t)f * (n - 1) - (uint64_t)f * (f - 1) / 2;
	return top < all ? top : all;
}

int bft_regress_interval(bft_interval_fit *out, const int64_t *x_ns, const bft_interval *y, size_t n, size_t f,
                         int64_t rho_ppb, int64_t x_ref_ns, enum bft_fuse how, void *scratch)
{
	if (!out)
		return BFT_EINVAL;
	if (n == 0)
		return BFT_EEMPTY;
	if (!x_ns || !y || !scratch || (uintptr_t)scratch % _Alignof(int64_t) || f >= n || rho_ppb < 0 ||
	    (how != BFT_FUSE_MARZULLO && how != BFT_FUSE_BROOKS_IYENGAR) || !readings_of(n))
		return BFT_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!bft_iv_valid(y[i]))
			return BFT_EINVAL;

	size_t m = readings_of(n);
	void *fscratch = scratch;
	bft_interval *iv = (bft_interval *)((unsigned char *)scratch + bft_fusion_scratch_bytes(m));
	int64_t *deg = (int64_t *)(iv + m);

	/* Prior: |rate| <= rho, in fs/s. */
	int64_t R = sat64((i128)rho_ppb * FSPS_PER_PPB);
	bft_interval prior = bft_iv(-R, R);

	/*
	 * Every pair with different x bounds the rate: if both samples are
	 * correct, theta(x_j) - theta(x_i) = b (x_j - x_i) with theta(x_i) in
	 * y_i and theta(x_j) in y_j, so b lies in the pair's interval, computed
	 * exactly and rounded outward. Since b is also in the prior, a pair
	 * whose interval misses the prior has a faulty sample: it is dropped,
	 * and the number of faulty pairs left to tolerate drops with it.
	 */
	size_t mp = 0;
	uint64_t dropped = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (x_ns[i] == x_ns[j])
				continue;
			size_t a = x_ns[i] < x_ns[j] ? i : j, b = a == i ? j : i;
			i128 dx = (i128)x_ns[b] - x_ns[a];
			i128 lo = div_floor(((i128)y[b].lo_ns - y[a].hi_ns) * FS_PER_UNIT, dx);
			i128 hi = div_ceil(((i128)y[b].hi_ns - y[a].lo_ns) * FS_PER_UNIT, dx);
			bft_interval s = bft_iv(sat64(lo), sat64(hi)), t;
			if (bft_iv_intersect(s, prior, &t))
				iv[mp++] = t;
			else
				dropped++;
		}
	}
	uint64_t T = faulty_pairs_bound(x_ns, n, f, deg);
	if (dropped > T)
		return BFT_EFAULTS;
	T -= dropped;

	bft_interval_fit r;
	if (mp == 0 || T >= mp) {
		/* Too few pairs to outvote the faulty ones: the prior is all
		 * that is known (and it is sound). */
		r.slope_fsps = prior;
		r.slope_est_fsps = 0;
	} else {
		bft_fusion_result fr;
		int rc = fuse(how, &fr, iv, mp, (size_t)T, fscratch);
		if (rc)
			return rc;
		r.slope_fsps = fr.iv;
		r.slope_est_fsps = fr.estimate_ns;
	}

	/*
	 * Carry each sample to x_ref along every rate in the fused interval:
	 * theta(x_ref) = theta(x_i) + b (x_ref - x_i). A correct sample carried
	 * this way contains theta(x_ref) because b is in the fused interval; so
	 * fusing the carried samples tolerating f gives a sound offset.
	 */
	for (size_t i = 0; i < n; i++) {
		i128 d = (i128)x_ref_ns - x_ns[i];
		i128 bl = r.slope_fsps.lo_ns, bh = r.slope_fsps.hi_ns;
		i128 lo = d >= 0 ? div_floor(bl * d, FS_PER_UNIT) : div_floor(bh * d, FS_PER_UNIT);
		i128 hi = d >= 0 ? div_ceil(bh * d, FS_PER_UNIT) : div_ceil(bl * d, FS_PER_UNIT);
		iv[i] = bft_iv(sat64(y[i].lo_ns + lo), sat64(y[i].hi_ns + hi));
	}
	bft_fusion_result fo;
	int rc = fuse(how, &fo, iv, n, f, fscratch);
	if (rc)
		return rc;
	r.offset_ns = fo.iv;
	r.offset_est_ns = fo.estimate_ns;
	*out = r;
	return BFT_OK;
}
