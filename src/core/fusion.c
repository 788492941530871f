/* SPDX-License-Identifier: MIT */
/*
 * Fault-tolerant fusion: Marzullo, Brooks-Iyengar, Schmid's fault-tolerant
 * intersection, NTP's intersection, and the point fusions (Welch-Lynch
 * fault-tolerant midpoint, fault-tolerant average, median).
 *
 * The interval functions share one idea. Every point covered by at least k
 * readings lies inside the window [k-th smallest lo, (n-k+1)-th smallest hi]
 * (k readings start at or before it and k end at or after it), and both
 * window edges are found by selection in O(n). Endpoints outside the window
 * can never bound or weigh an answer, so they collapse into four counts and
 * only the endpoints inside are sorted and swept. The worst case is still the
 * O(n log n) sort of every endpoint; with realistic readings the window holds
 * a small fraction of them, which is what keeps 10,000 readings under 1 ms.
 *
 * Sweeps visit, at equal values, starts before ends: intervals are closed, so
 * touching intervals share a point. Arithmetic on values is done in unsigned
 * or 128-bit integers so that readings near INT64_MIN / INT64_MAX neither
 * overflow nor lose precision.
 */
#include <bftime/fusion.h>

#include <math.h>
#include <stdbool.h>

#include "order.h"

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

/* Scratch words per reading: lo, hi and mid endpoints plus NTP's level table
 * (at most n/2 + 1 entries, which fit in the fourth n since n >= 1). */
#define WORDS_PER_READING 4

size_t bft_fusion_scratch_bytes(size_t n)
{
	if ((uint64_t)n > BFT_FUSION_MAX_N || n > SIZE_MAX / (WORDS_PER_READING * sizeof(int64_t)))
		return 0;
	return n * WORDS_PER_READING * sizeof(int64_t);
}

static bool scratch_ok(const void *p)
{
	return p && (uintptr_t)p % _Alignof(int64_t) == 0;
}

/* Common argument checks, in the documented order: out, then n == 0 (which
 * allows NULL input and scratch, as a caller with nothing has nothing to
 * pass), then the rest. */
static int check_args(const void *out, const void *in, size_t n, const void *scratch)
{
	if (!out)
		return BFT_EINVAL;
	if (n == 0)
		return BFT_EEMPTY;
	if (!in || !scratch_ok(scratch) || (uint64_t)n > BFT_FUSION_MAX_N)
		return BFT_EINVAL;
	return BFT_OK;
}

/* Midpoint of a <= b rounded toward a; unsigned so it cannot overflow. */
static int64_t mid_i64(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + ((uint64_t)b - (uint64_t)a) / 2);
}

/* Number of elements of sorted x[0..n) that are < v, and that are <= v. */
static size_t count_lt(const int64_t *x, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (x[m] < v)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static size_t count_le(const int64_t *x, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (x[m] <= v)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/*
 * The readings seen through the window [a, b]: the sorted endpoints inside it
 * and counts of those outside.
 */
struct window {
	int64_t a, b;
	int64_t *lo, *hi; /* sorted lo values in [a, b], sorted hi values in [a, b] */
	size_t nlo, nhi;
	size_t lo_below, hi_below; /* readings with lo < a, with hi < a */
	size_t lo_above, hi_above; /* readings with lo > b, with hi > b */
};

/* Validate every reading, then open the window of the points that can be
 * covered by k >= 1 readings. buf_lo and buf_hi hold n words each.
 * Returns BFT_EINVAL, BFT_EFAULTS (window empty: no point has coverage k) or 0. */
static int open_window(struct window *w, const bft_interval *iv, size_t n, size_t k, int64_t *buf_lo,
                       int64_t *buf_hi)
{
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		buf_lo[i] = iv[i].lo_ns;
		buf_hi[i] = iv[i].hi_ns;
		bad |= iv[i].lo_ns > iv[i].hi_ns;
	}
	if (bad)
		return BFT_EINVAL;
	w->a = bft_select_i64(buf_lo, n, k - 1);
	w->b = bft_select_i64(buf_hi, n, n - k);
	if (w->a > w->b)
		return BFT_EFAULTS;

	/* Branch-free filter: whether an endpoint falls inside is as random
	 * as the readings, and a mispredicted branch per endpoint would cost
	 * more than the whole pass. Each store lands at or below index i. */
	int64_t a = w->a, b = w->b;
	size_t nlo = 0, nhi = 0, lo_below = 0, hi_below = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t lo = iv[i].lo_ns, hi = iv[i].hi_ns;
		buf_lo[nlo] = lo;
		nlo += (size_t)((lo >= a) & (lo <= b));
		lo_below += (size_t)(lo < a);
		buf_hi[nhi] = hi;
		nhi += (size_t)((hi >= a) & (hi <= b));
		hi_below += (size_t)(hi < a);
	}
	w->lo = buf_lo;
	w->hi = buf_hi;
	w->nlo = nlo;
	w->nhi = nhi;
	w->lo_below = lo_below;
	w->hi_below = hi_below;
	w->lo_above = n - lo_below - nlo;
	w->hi_above = n - hi_below - nhi;
	bft_sort_i64(w->lo, w->nlo);
	bft_sort_i64(w->hi, w->nhi);
	return BFT_OK;
}

/* Readings that intersect [lo, hi], a sub-interval of the window: all but
 * those ending before lo and those starting after hi. */
static size_t count_intersecting(const struct window *w, size_t n, int64_t lo, int64_t hi)
{
	size_t end_before = w->hi_below + count_lt(w->hi, w->nhi, lo);
	size_t start_after = w->lo_above + (w->nlo - count_le(w->lo, w->nlo, hi));
	return n - end_before - start_after;
}

/* Coverage of the points just left of the window: readings with lo < a <= hi.
 * Never underflows, since hi < a implies lo < a. */
static size_t coverage_left_of(const struct window *w)
{
	return w->lo_below - w->hi_below;
}

/* The common start of the f-tolerant interval functions: check the
 * arguments and open the window of points covered by n - f readings. */
static int open_fused(struct window *w, const void *out, const bft_interval *iv, size_t n, size_t f, void *scratch)
{
	int err = check_args(out, iv, n, scratch);
	if (err)
		return err;
	if (f >= n)
		return BFT_EINVAL;
	int64_t *buf = scratch;
	return open_window(w, iv, n, n - f, buf, buf + n);
}

int bft_fusion_marzullo(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f, void *scratch)
{
	struct window w;
	int err = open_fused(&w, out, iv, n, f, scratch);
	if (err)
		return err;
	const size_t need = n - f;

	/* c is the coverage of the current point; a start raises it, an end
	 * lowers it only after every start at the same value was counted. */
	size_t c = coverage_left_of(&w), best = c, i = 0, j = 0;
	int64_t lo = w.a, hi = w.b;
	bool found = false;
	while (i < w.nlo || j < w.nhi) {
		if (i < w.nlo && (j == w.nhi || w.lo[i] <= w.hi[j])) {
			if (++c > best)
				best = c;
			if (!found && c >= need) {
				found = true;
				lo = w.lo[i];
			}
			i++;
		} else {
			/* The first end at a value sees the full coverage there. */
			if (c >= need)
				hi = w.hi[j];
			c--;
			j++;
		}
	}
	if (best < need)
		return BFT_EFAULTS;
	/* Outside the window no point reaches need, so on success the maximum
	 * found inside it is the global one. */
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = mid_i64(lo, hi);
	out->count = best;
	return BFT_OK;
}

/*
 * Exact weighted mean of region midpoints. Midpoints are kept as unsigned
 * offsets from the first region's start (< 2^64) split into 32-bit halves, so
 * each half-sum is below W * 2^32 where the total weight W <= 4n * n <= 2^82
 * for n <= BFT_FUSION_MAX_N: far inside 128 bits, no rounding anywhere.
 */
struct wmean {
	bool any;
	int64_t first_lo, last_hi;
	u128 sum_hi, sum_lo, weight;
};

static void wmean_add(struct wmean *m, int64_t a, int64_t b, size_t weight)
{
	if (!m->any) {
		m->any = true;
		m->first_lo = a;
	}
	m->last_hi = b;
	uint64_t off = (uint64_t)mid_i64(a, b) - (uint64_t)m->first_lo;
	m->sum_hi += (u128)weight * (off >> 32);
	m->sum_lo += (u128)weight * (off & 0xffffffffu);
	m->weight += weight;
}

static int64_t wmean_value(const struct wmean *m)
{
	/* floor((sum_hi * 2^32 + sum_lo) / W), one 32-bit digit at a time. */
	u128 q1 = m->sum_hi / m->weight, r1 = m->sum_hi % m->weight;
	u128 q2 = ((r1 << 32) + m->sum_lo) / m->weight;
	uint64_t mean_off = (uint64_t)((q1 << 32) + q2);
	return (int64_t)((uint64_t)m->first_lo + mean_off);
}

int bft_fusion_brooks_iyengar(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f, void *scratch)
{
	struct window w;
	int err = open_fused(&w, out, iv, n, f, scratch);
	if (err)
		return err;
	const size_t need = n - f;

	/* Walk the distinct endpoint values v. cur is the coverage of the open
	 * stretch just left of v; at v it rises by the s starts there, and right
	 * of v it is that minus the e ends there. */
	struct wmean m = { 0 };
	size_t cur = coverage_left_of(&w), i = 0, j = 0;
	while (i < w.nlo || j < w.nhi) {
		int64_t v = (i < w.nlo && (j == w.nhi || w.lo[i] <= w.hi[j])) ? w.lo[i] : w.hi[j];
		size_t s = 0, e = 0;
		while (i < w.nlo && w.lo[i] == v) {
			i++;
			s++;
		}
		while (j < w.nhi && w.hi[j] == v) {
			j++;
			e++;
		}
		size_t at_v = cur + s;
		/* A point above both neighbours (something ends and something
		 * starts here) is a region of its own. */
		if (s && e && at_v >= need)
			wmean_add(&m, v, v, at_v);
		cur = at_v - e;
		if (cur >= need) {
			/* A stretch covered by need readings lies inside the
			 * window, so its right end (an end point <= b) is still
			 * ahead in the sweep. */
			if (i == w.nlo && j == w.nhi)
				break;
			int64_t next = (i < w.nlo && (j == w.nhi || w.lo[i] <= w.hi[j])) ? w.lo[i] : w.hi[j];
			wmean_add(&m, v, next, cur);
		}
	}
	if (!m.any)
		return BFT_EFAULTS;
	out->iv = bft_iv(m.first_lo, m.last_hi);
	out->estimate_ns = wmean_value(&m);
	out->count = count_intersecting(&w, n, m.first_lo, m.last_hi);
	return BFT_OK;
}

int bft_fusion_ft_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f, void *scratch)
{
	int err = check_args(out, iv, n, scratch);
	if (err)
		return err;
	if (f >= n)
		return BFT_EINVAL;
	int64_t *buf = scratch;
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		buf[i] = iv[i].lo_ns;
		bad |= iv[i].lo_ns > iv[i].hi_ns;
	}
	if (bad)
		return BFT_EINVAL;
	/* (n-f)-th smallest lo: at least n-f correct readings start at or
	 * before the truth, so this does too. Symmetrically for hi. */
	int64_t lo = bft_select_i64(buf, n, n - f - 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = iv[i].hi_ns;
	int64_t hi = bft_select_i64(buf, n, f);
	if (lo > hi)
		return BFT_EFAULTS;
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = mid_i64(lo, hi);
	out->count = n - f;
	return BFT_OK;
}

/*
 * Copy v and partially order it so that buf[f..n-1-f] holds exactly the
 * values of ranks f..n-1-f (the ones left after discarding the f smallest
 * and the f largest), with buf[f] the smallest and buf[n-1-f] the largest of
 * them. Requires n >= 2f + 1.
 */
static void trim(int64_t *buf, const int64_t *v, size_t n, size_t f)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = v[i];
	size_t top = n - 1 - f;
	bft_select_i64(buf, n, f);
	if (top > f)
		bft_select_i64(buf + f + 1, n - f - 1, top - f - 1);
}

static int check_points(const int64_t *out_ns, const int64_t *v, size_t n, size_t f, const void *scratch)
{
	int err = check_args(out_ns, v, n, scratch);
	if (err)
		return err;
	if (f > (n - 1) / 2) /* n >= 2f + 1, without overflow */
		return BFT_EINVAL;
	return BFT_OK;
}

/* sum / m rounded toward -infinity (C division truncates). */
static int64_t div_floor_i128(i128 sum, i128 m)
{
	i128 q = sum / m;
	if (sum % m < 0)
		q--;
	return (int64_t)q;
}

int bft_fusion_ft_midpoint(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch)
{
	int err = check_points(out_ns, v, n, f, scratch);
	if (err)
		return err;
	int64_t *buf = scratch;
	trim(buf, v, n, f);
	*out_ns = mid_i64(buf[f], buf[n - 1 - f]);
	return BFT_OK;
}

int bft_fusion_ft_average(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch)
{
	int err = check_points(out_ns, v, n, f, scratch);
	if (err)
		return err;
	int64_t *buf = scratch;
	trim(buf, v, n, f);
	/* |sum| < 2^40 * 2^63: exact in 128 bits. */
	i128 sum = 0;
	for (size_t i = f; i <= n - 1 - f; i++)
		sum += buf[i];
	*out_ns = div_floor_i128(sum, (i128)(n - 2 * f)); /* between the smallest and largest kept value */
	return BFT_OK;
}

int bft_fusion_median(int64_t *out_ns, const int64_t *v, size_t n, void *scratch)
{
	int err = check_args(out_ns, v, n, scratch);
	if (err)
		return err;
	int64_t *buf = scratch;
	for (size_t i = 0; i < n; i++)
		buf[i] = v[i];
	*out_ns = bft_select_i64(buf, n, (n - 1) / 2);
	return BFT_OK;
}

/*
 * The shortest window of n - f consecutive sorted values, averaged. At least
 * n - f values are correct, so some window of that many holds only correct
 * values and the shortest window is no wider than their range; with n >= 2f
 * + 1 it also holds a correct value. The window is then widened by its own
 * span on each side, so every kept value, and the mean, lies within twice the
 * correct values' range of them (derived here). Liars far away are
 * simply left out, and liars close by can move the mean by less than the
 * correct values' own spread: the median's worst case (the extreme correct
 * value) becomes an average.
 */
/* The kept range of the shortest-window means: v sorted into buf, the
 * n - f consecutive values spanning least, widened by that span on each
 * side (correct values just outside it, the window holding only n - f of
 * them, rejoin; far liars stay out; every kept value is within 2R of a
 * correct one). *base_ns: the window's first value. */
static void shortest_window(const int64_t *v, size_t n, size_t f, int64_t *buf, i128 *lo, i128 *hi, int64_t *base_ns)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = v[i];
	bft_sort_i64(buf, n);
	size_t w = n - f, best = 0;
	u128 best_range = UINT64_MAX;
	best_range += 1; /* larger than any int64 range */
	for (size_t i = 0; i + w <= n; i++) {
		u128 r = (u128)((uint64_t)buf[i + w - 1] - (uint64_t)buf[i]);
		if (r < best_range) {
			best_range = r;
			best = i;
		}
	}
	*lo = (i128)buf[best] - (i128)best_range;
	*hi = (i128)buf[best + w - 1] + (i128)best_range;
	*base_ns = buf[best];
}

int bft_fusion_ft_shortest_mean(int64_t *out_ns, const int64_t *v, size_t n, size_t f, void *scratch)
{
	int err = check_points(out_ns, v, n, f, scratch);
	if (err)
		return err;
	int64_t *buf = scratch, base;
	i128 lo, hi;
	shortest_window(v, n, f, buf, &lo, &hi, &base);
	i128 sum = 0, m = 0;
	for (size_t i = 0; i < n; i++)
		if ((i128)buf[i] >= lo && (i128)buf[i] <= hi) {
			sum += buf[i];
			m++;
		}
	*out_ns = div_floor_i128(sum, m);
	return BFT_OK;
}

/*
 * The shortest-window mean with the kept values weighted by quality. u[i] is
 * value i's uncertainty (for a source, its best reading's width, mostly its
 * exchange's delay, plus what its carry may have added: node.c), and a kept value weighs 1 / (u_i - u_min +
 * s)^2, s = u_min / 10 + 1 ns, u_min the least among the kept: a source
 * whose exchanges were delayed a few ms more than its neighbours' errs by
 * about that much more (the asymmetry is a share of the excess delay), so
 * it should count for less, but a scale s keeps the nearly equal ones
 * nearly equal (NTP's and chrony's weighting by distance, in the same
 * spirit). The window and its widening are bft_fusion_ft_shortest_mean's,
 * and a weighted mean of the kept values is a convex combination of them:
 * the same bound holds (within 2R of a correct value). In clknetsim, 3 of 7
 * servers 2 ms off inside 2 ms exponential delays, 10 seeds: worst error
 * 0.30 ms mean over seeds, 0.70 ms unweighted (with the sources' weighted
 * points of node.c, source_point).
 */
int bft_fusion_ft_shortest_wmean(int64_t *out_ns, const int64_t *v, const int64_t *u_ns, size_t n, size_t f,
                                 void *scratch)
{
	int err = check_points(out_ns, v, n, f, scratch);
	if (err)
		return err;
	if (!u_ns)
		return BFT_EINVAL;
	int64_t *buf = scratch, base, umin = INT64_MAX;
	i128 lo, hi;
	shortest_window(v, n, f, buf, &lo, &hi, &base);
	for (size_t i = 0; i < n; i++)
		if ((i128)v[i] >= lo && (i128)v[i] <= hi && u_ns[i] < umin)
			umin = u_ns[i] < 0 ? 0 : u_ns[i];
	long double sw = 0, sv = 0, scale = (long double)umin / 10 + 1;
	for (size_t i = 0; i < n; i++) {
		if ((i128)v[i] < lo || (i128)v[i] > hi)
			continue;
		long double x = ((long double)u_ns[i] - (long double)umin) + scale;
		long double wt = 1 / (x * x);
		sw += wt;
		sv += wt * (long double)((i128)v[i] - base);
	}
	/* A convex combination of kept values: inside [lo, hi], so in range. */
	i128 r = (i128)base + (i128)floorl(sv / sw + 0.5L);
	if (r < lo)
		r = lo;
	if (r > hi)
		r = hi;
	*out_ns = (int64_t)r;
	return BFT_OK;
}

/*
 * RFC 5905's loop tries a = 0, 1, ... while 2a < n and stops at the first a
 * for which (1) some point is covered by t = n - a intervals and (2) at most a
 * midpoints lie outside [low_t, high_t], the hull of such points. Rather than
 * rescanning per a (O(n^2)), note that as t grows low_t moves right and
 * high_t left, so the midpoints outside can only grow while the allowance
 * n - t shrinks: condition (2) holds for every level up to some t* and for
 * none above. One ascending sweep records low_t for each level t > n/2, one
 * descending sweep walks high_t up the levels and stops at the first failure;
 * the last level that passed is t*, giving the RFC's smallest a = n - t*.
 */
int bft_exchange_ntp_intersection(bft_fusion_result *out, const bft_interval *iv, size_t n, void *scratch)
{
	int err = check_args(out, iv, n, scratch);
	if (err)
		return err;
	const size_t t0 = n / 2 + 1; /* the lowest level, a = n - t0 < n/2 */
	int64_t *buf = scratch, *mids = buf + 2 * n, *low = buf + 3 * n;
	struct window w;
	err = open_window(&w, iv, n, t0, buf, buf + n);
	if (err)
		return err;

	/* Midpoints outside the window are outside every candidate hull. */
	size_t mid_below = 0, nm = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t m = bft_iv_mid(iv[i]);
		mids[nm] = m;
		nm += (size_t)((m >= w.a) & (m <= w.b));
		mid_below += (size_t)(m < w.a);
	}
	size_t mid_above = n - mid_below - nm;
	bft_sort_i64(mids, nm);

	/* Ascending: low[t - t0] is where coverage first reaches t. Coverage
	 * left of the window is below t0, so every level >= t0 is first
	 * reached inside it. */
	size_t c = coverage_left_of(&w), top = c, i = 0, j = 0;
	while (i < w.nlo || j < w.nhi) {
		if (i < w.nlo && (j == w.nhi || w.lo[i] <= w.hi[j])) {
			if (++c > top) {
				top = c;
				if (c >= t0)
					low[c - t0] = w.lo[i];
			}
			i++;
		} else {
			c--;
			j++;
		}
	}
	if (top < t0)
		return BFT_EFAULTS;

	/* Descending, ends first at equal values (they start the interval in
	 * this direction): the first time coverage reaches t, high_t is here. */
	size_t best = 0;
	int64_t lo = 0, hi = 0;
	c = w.hi_above - w.lo_above; /* readings with lo <= b < hi */
	top = c;
	i = w.nlo;
	j = w.nhi;
	while (i > 0 || j > 0) {
		if (j > 0 && (i == 0 || w.hi[j - 1] >= w.lo[i - 1])) {
			if (++c > top) {
				top = c;
				if (c >= t0) {
					int64_t l = low[c - t0], h = w.hi[j - 1];
					size_t outside = mid_below + count_lt(mids, nm, l) + mid_above +
					                 (nm - count_le(mids, nm, h));
					if (outside > n - c)
						break;
					best = c;
					lo = l;
					hi = h;
				}
			}
			j--;
		} else {
			c--;
			i--;
		}
	}
	if (best == 0)
		return BFT_EFAULTS;
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = mid_i64(lo, hi);
	out->count = count_intersecting(&w, n, lo, hi);
	return BFT_OK;
}
