/* SPDX-License-Identifier: MIT */
/*
 * Randomized exact algorithms for Theil-Sen and the repeated median.
 *
 * Both keep a bracket [lo, hi] of slopes that contains the answer, and
 * shrink it in rounds: sample, propose a narrower bracket where the answer
 * should be, count (in O(n log n), regress_arr.c) which pairs fall below,
 * inside and above it, and keep the proposal if the counts show the answer
 * is still inside (otherwise widen the margin and propose again). Once few
 * pairs remain inside, they are listed, their computed slopes compared with
 * lo and hi one by one, and the answer selected among them. Sampling only
 * decides how fast the bracket shrinks; the answer comes from exact counts
 * and exact slopes, so it is the one of the O(n^2) definition whatever the
 * seed. When the sampling cannot make progress (many exactly equal slopes,
 * keys that would overflow, or bad luck several times in a row) the
 * functions fall back to an exact O(n^2) method that needs only O(n) memory.
 *
 * Theil-Sen follows the randomized slope selection of Matousek (1991) and
 * Dillencourt, Mount and Netanyahu (1992): sample pair slopes uniformly
 * among the candidates, take the sample's order statistics around the
 * target rank, plus and minus a few standard deviations, as the new bracket.
 *
 * The repeated median follows Matousek, Mount and Netanyahu (1998): classify
 * each point's row (its slopes to every other point) by whether the row's
 * median is surely below lo, surely above hi, or still active; sample about
 * sqrt(n) active rows and sqrt(n) candidate slopes of each to estimate their
 * medians; take order statistics of those estimates around the outer target
 * rank as the new bracket. At the end only the active rows' candidate slopes
 * are listed and their medians computed exactly.
 *
 * docs/algorithms-regress.md section 3 has the parameters' reasoning and
 * the measurements.
 */
#include <math.h>
#include <string.h>

#include "order.h"
#include "regress_arr.h"
#include "regress_fast.h"
#include "regress_ref.h"

#define MAX_ROUNDS 64
#define MAX_ATTEMPTS 4
/* Rounds in a row whose candidate count did not fall below 7/8 of the
 * previous one before giving up on sampling (exact ties cannot be split). */
#define MAX_STALLS 3

/* Candidate slopes listed at the end: O(n), large enough that the last
 * sampling round usually lands below it. */
static size_t cap_of(size_t n) { return 8 * n + 1024; }
/* Theil-Sen samples per round. */
static size_t ts_samples(size_t n) { return n > 1024 ? n : 1024; }
/* Repeated median: rows sampled per round, and slopes sampled per row. */
static size_t rm_rows(size_t n)
{
	size_t r = (size_t)ceil(sqrt((double)n)) + 8;
	return r > 48 ? r : 48;
}
static size_t rm_per_row(size_t n) { return (size_t)ceil(sqrt((double)n)) + 16; }

static size_t r8(size_t b) { return (b + 7) & ~(size_t)7; }

static size_t ts_bytes(size_t n)
{
	size_t m = ts_samples(n);
	return bft_arr_bytes(n) + 2 * bft_bracket_bytes(n, false) + r8(2 * m * sizeof(uint64_t)) +
	       r8(m * sizeof(double)) + r8(cap_of(n) * sizeof(double));
}

static size_t rm_q(size_t n)
{
	size_t q = cap_of(n), s = rm_rows(n) * rm_per_row(n);
	return q > s ? q : s;
}

static size_t rm_bytes(size_t n)
{
	size_t q = rm_q(n);
	return bft_arr_bytes(n) + 2 * bft_bracket_bytes(n, true) + r8(2 * n * sizeof(uint32_t)) +
	       r8((n + 1) * sizeof(uint32_t)) + r8(q * sizeof(double)) + r8(rm_rows(n) * sizeof(double)) +
	       r8(2 * n * sizeof(double));
}

size_t bft_fast_scratch_bytes(size_t n)
{
	if (n > BFT_ARR_MAX_N)
		return 0;
	size_t a = ts_bytes(n), b = rm_bytes(n);
	return a > b ? a : b;
}

static void *take(unsigned char **mem, size_t bytes)
{
	void *p = *mem;
	*mem += r8(bytes);
	return p;
}

static int start(const bft_fit *out, const double *x, const double *y, size_t n, const void *scratch)
{
	int rc = bft_regress_check(out, x, y, n, scratch);
	if (rc)
		return rc;
	if (n > BFT_ARR_MAX_N)
		return BFT_EINVAL;
	return n < 2 ? BFT_EEMPTY : BFT_OK;
}

static double max_of(const double *v, size_t n)
{
	double m = v[0];
	for (size_t i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/*
 * v[0..cnt) are the computed slopes of every pair not already known to be
 * below lo (below of them are) or above hi. If the ranks klo <= khi are
 * inside [lo, hi], set *res to the median of those two ranks and return
 * true. Reorders v.
 */
static bool select_in(double *v, size_t cnt, uint64_t below, double lo, double hi, uint64_t klo, uint64_t khi,
                      double *res)
{
	uint64_t L = below;
	size_t s = 0;
	for (size_t i = 0; i < cnt; i++) {
		if (v[i] < lo)
			L++;
		else if (v[i] <= hi)
			v[s++] = v[i];
	}
	if (L > klo || khi >= L + s)
		return false;
	size_t i_hi = (size_t)(khi - L);
	double b = bft_select_f64(v, s, i_hi);
	*res = klo == khi ? b : bft_mean2(max_of(v, i_hi), b);
	return true;
}

static void sort_draws(uint64_t *idx, uint64_t *tmp, size_t m, uint64_t bound, bft_rng *rng)
{
	for (size_t i = 0; i < m; i++)
		idx[i] = bft_rng_below(rng, bound);
	bft_sort_u64(idx, tmp, m);
}

/* Order statistics i_lo < i_hi of v[0..m) as a proposed bracket; an index
 * outside [0, m) keeps the current end. Reorders v. */
static void propose(double *v, size_t m, double ilo, double ihi, double cur_lo, double cur_hi, double *lo, double *hi)
{
	size_t top = m;
	*hi = cur_hi;
	if (ihi < (double)m) {
		top = (size_t)ihi;
		*hi = bft_select_f64(v, m, top);
	}
	*lo = cur_lo;
	if (ilo >= 0) {
		size_t k = (size_t)ilo;
		/* After the first selection v[0..top) holds the smallest. */
		*lo = k < top ? bft_select_f64(v, top, k) : *hi;
	}
	if (*lo > *hi)
		*lo = *hi;
}

/*
 * The margin, in sample ranks, around the target's expected position: a
 * few standard deviations of a sample rank (at most sqrt(m)/2), doubled on
 * each miss. After a round that barely shrank the bracket, start at 1/8 of
 * it: an end stuck on a block of exactly equal slopes next to the answer
 * moves past the block only with a tight guess (the counts still check it).
 */
static double margin(double base, int att, unsigned stalls)
{
	return ldexp(base, stalls ? att - 3 : att);
}

static void count_stats(bft_fast_stats *st, int fallback, unsigned rounds, unsigned retries, unsigned straddle)
{
	if (st) {
		st->fallback = fallback;
		st->rounds = rounds;
		st->retries = retries;
		st->straddle = straddle;
	}
}

/* ---- Theil-Sen ---------------------------------------------------------- */

int bft_theil_sen_fast(bft_fit *out, const double *x, const double *y, size_t n, void *scratch, uint64_t seed,
                       bft_fast_stats *stats)
{
	int rc = start(out, x, y, n, scratch);
	if (rc)
		return rc;
	unsigned char *mem = scratch;
	bft_arr a;
	bft_bracket b[2];
	bft_arr_init(&a, x, y, n, &mem);
	bft_bracket_init(&b[0], n, false, &mem);
	bft_bracket_init(&b[1], n, false, &mem);
	size_t m = ts_samples(n), cap = cap_of(n);
	uint64_t *idx = take(&mem, 2 * m * sizeof(uint64_t)), *tmp = idx + m;
	double *samp = take(&mem, m * sizeof(double));
	double *buf = take(&mem, cap * sizeof(double));
	if (a.pairs == 0)
		return BFT_EEMPTY;

	uint64_t N = a.pairs, klo = (N - 1) / 2, khi = N / 2;
	bft_rng rng = { seed ^ 0x5eed0f7e11u };
	bft_bracket *cur = &b[0], *tri = &b[1];
	bft_bracket_open(&a, cur);
	unsigned rounds = 0, retries = 0, stalls = 0;
	int why = BFT_FB_ROUNDS;
	double slope;
	for (unsigned r = 0; r < MAX_ROUNDS; r++) {
		if (cur->cand <= cap) {
			bft_bracket_list(&a, cur, NULL, buf);
			if (select_in(buf, (size_t)cur->cand, cur->below, cur->lo, cur->hi, klo, khi, &slope)) {
				count_stats(stats, 0, rounds, retries, 0);
				return bft_regress_finish(out, slope, x, y, n, buf);
			}
			why = BFT_FB_FINAL; /* a pair inside a margin was not */
			break;
		}
		sort_draws(idx, tmp, m, cur->cand, &rng);
		bft_bracket_sample(&a, cur, idx, m, samp);
		/* Where the target ranks fall among the sorted candidates. */
		double c = (double)cur->cand, rlo = (double)(klo - cur->below), rhi = (double)(khi - cur->below) + 1;
		bool ok = false;
		int atts = stalls ? MAX_ATTEMPTS + 3 : MAX_ATTEMPTS;
		for (int att = 0; att < atts && !ok; att++) {
			double delta = margin(2 * sqrt((double)m), att, stalls) + 1;
			double lo, hi;
			propose(samp, m, floor(rlo * (double)m / c - delta), ceil(rhi * (double)m / c + delta), cur->lo,
			        cur->hi, &lo, &hi);
			if (!bft_bracket_set(&a, tri, lo, hi)) {
				why = BFT_FB_OVERFLOW;
				goto fallback;
			}
			ok = tri->below <= klo && tri->above <= N - 1 - khi;
			retries += !ok;
		}
		if (!ok) {
			why = BFT_FB_MISSED;
			goto fallback;
		}
		stalls = tri->cand * 8 > cur->cand * 7 ? stalls + 1 : 0;
		if (stalls >= MAX_STALLS) {
			why = BFT_FB_STALLED;
			goto fallback;
		}
		bft_bracket *t = cur;
		cur = tri;
		tri = t;
		rounds++;
	}
fallback:
	count_stats(stats, why, rounds, retries, 0);
	return bft_theil_sen_scan(out, x, y, n, scratch, seed);
}

/* ---- Theil-Sen by passes over all pairs (fallback) ---------------------- */

struct pass {
	uint64_t lt, in; /* slopes < lo, slopes in [lo, hi] */
	size_t kept;     /* of the in-slopes, in the reservoir */
};

static void scan_pass(const double *x, const double *y, size_t n, double lo, double hi, double *buf, size_t cap,
                      bft_rng *rng, struct pass *p)
{
	p->lt = p->in = 0;
	p->kept = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (x[i] == x[j])
				continue;
			double s = bft_pair_slope(x[i], y[i], x[j], y[j]);
			if (s < lo) {
				p->lt++;
			} else if (s <= hi) {
				p->in++;
				if (p->kept < cap) {
					buf[p->kept++] = s;
				} else {
					uint64_t r = bft_rng_below(rng, p->in);
					if (r < cap)
						buf[r] = s;
				}
			}
		}
	}
}

/*
 * The k-th smallest pair slope, and in *le the number of slopes <= it.
 * Invariant: #{s < lo} <= k < #{s <= hi}. Each pass either finds the answer
 * or narrows the bracket: to the proposal when it holds the answer (and
 * differs from the bracket), otherwise to one side of it, which excludes at
 * least the proposal's end, a value inside the bracket.
 */
static double scan_select(const double *x, const double *y, size_t n, uint64_t k, double *buf, size_t cap,
                          bft_rng *rng, uint64_t *le)
{
	double lo = -INFINITY, hi = INFINITY, plo = lo, phi = hi;
	for (;;) {
		struct pass p;
		scan_pass(x, y, n, plo, phi, buf, cap, rng, &p);
		if (k < p.lt) {
			hi = nextafter(plo, -INFINITY);
			plo = lo;
			phi = hi;
			continue;
		}
		if (k >= p.lt + p.in) {
			lo = nextafter(phi, INFINITY);
			plo = lo;
			phi = hi;
			continue;
		}
		if (p.in <= cap) {
			size_t i = (size_t)(k - p.lt);
			double v = bft_select_f64(buf, p.kept, i);
			uint64_t c = p.lt + i + 1;
			for (size_t q = i + 1; q < p.kept; q++)
				c += buf[q] == v;
			*le = c;
			return v;
		}
		if (plo == phi) {
			*le = p.lt + p.in;
			return plo;
		}
		bool stuck = plo == lo && phi == hi;
		lo = plo;
		hi = phi;
		double w = (double)p.in, m = (double)cap, r = (double)(k - p.lt);
		if (stuck) {
			/* Propose a single value, which settles or excludes it. */
			size_t i = (size_t)(r * m / w);
			plo = phi = bft_select_f64(buf, cap, i < cap ? i : cap - 1);
		} else {
			double delta = 2 * sqrt(m) + 1;
			propose(buf, cap, floor(r * m / w - delta), ceil((r + 1) * m / w + delta), lo, hi, &plo, &phi);
		}
	}
}

int bft_theil_sen_scan(bft_fit *out, const double *x, const double *y, size_t n, void *scratch, uint64_t seed)
{
	int rc = start(out, x, y, n, scratch);
	if (rc)
		return rc;
	uint64_t N = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			N += x[i] != x[j];
	if (N == 0)
		return BFT_EEMPTY;
	/* The whole fast-path scratch is free here: use it as the reservoir. */
	size_t cap = bft_fast_scratch_bytes(n) / sizeof(double);
	double *buf = scratch;
	bft_rng rng = { seed ^ 0x5ca11ed5u };
	uint64_t klo = (N - 1) / 2, khi = N / 2, le;
	double b = scan_select(x, y, n, klo, buf, cap, &rng, &le);
	if (khi != klo && khi >= le) {
		/* The upper middle is the smallest slope above the lower one. */
		double next = INFINITY;
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (x[i] != x[j]) {
					double s = bft_pair_slope(x[i], y[i], x[j], y[j]);
					if (s > b && s < next)
						next = s;
				}
		b = bft_mean2(b, next);
	}
	return bft_regress_finish(out, b, x, y, n, buf);
}

/* ---- Repeated median ---------------------------------------------------- */

/* Ranks (0-based, within a row of d slopes) of the two middle slopes. */
static inline uint32_t mid_lo(uint32_t d) { return (d - 1) / 2; }
static inline uint32_t mid_hi(uint32_t d) { return d / 2; }

/*
 * A row's median is surely below lo when both middle slopes are among the
 * pairs surely below lo; surely above hi likewise. Counts the rows of each
 * kind, the active rest (listed in act when non-NULL) and their candidates.
 */
static void rm_classify(const bft_arr *a, const bft_bracket *b, uint32_t *act, size_t *nact, size_t *nlo,
                        size_t *nhi, uint64_t *sumc)
{
	size_t lo = 0, hi = 0, u = 0;
	uint64_t s = 0;
	for (size_t i = 0; i < a->n; i++) {
		uint32_t d = a->deg[i];
		if (b->b_i[i] > mid_hi(d)) {
			lo++;
		} else if (b->a_i[i] >= d - mid_lo(d)) {
			hi++;
		} else {
			if (act)
				act[u] = (uint32_t)i;
			u++;
			s += d - b->b_i[i] - b->a_i[i];
		}
	}
	*nact = u;
	*nlo = lo;
	*nhi = hi;
	*sumc = s;
}

static inline uint32_t cand_of(const bft_arr *a, const bft_bracket *b, uint32_t e)
{
	return a->deg[e] - b->b_i[e] - b->a_i[e];
}

/* The median of row e computed in full: O(n). */
static double row_median(const bft_arr *a, uint32_t e, double *row)
{
	size_t d = 0;
	for (size_t j = 0; j < a->n; j++)
		if (a->x[j] != a->x[e])
			row[d++] = bft_pair_slope(a->x[e], a->y[e], a->x[j], a->y[j]);
	size_t h = d / 2;
	double b = bft_select_f64(row, d, h);
	return d % 2 ? b : bft_mean2(max_of(row, h), b);
}

int bft_repeated_median_fast(bft_fit *out, const double *x, const double *y, size_t n, void *scratch,
                             uint64_t seed, bft_fast_stats *stats)
{
	int rc = start(out, x, y, n, scratch);
	if (rc)
		return rc;
	unsigned char *mem = scratch;
	bft_arr a;
	bft_bracket b[2];
	bft_arr_init(&a, x, y, n, &mem);
	bft_bracket_init(&b[0], n, true, &mem);
	bft_bracket_init(&b[1], n, true, &mem);
	size_t R = rm_rows(n), P = rm_per_row(n), cap = cap_of(n), q = rm_q(n);
	uint32_t *act = take(&mem, 2 * n * sizeof(uint32_t)), *tmp = act + n;
	uint32_t *off = take(&mem, (n + 1) * sizeof(uint32_t));
	double *vals = take(&mem, q * sizeof(double));
	double *est = take(&mem, R * sizeof(double));
	double *med = take(&mem, 2 * n * sizeof(double)), *row = med + n;
	if (a.pairs == 0)
		return BFT_EEMPTY;

	size_t Klo = (n - 1) / 2, Khi = n / 2;
	bft_rng rng = { seed ^ 0x7e9ea7edu };
	bft_bracket *cur = &b[0], *tri = &b[1];
	bft_bracket_open(&a, cur);
	unsigned rounds = 0, retries = 0, stalls = 0;
	int why = BFT_FB_ROUNDS;
	size_t U, nlo, nhi;
	uint64_t sumc;
	rm_classify(&a, cur, act, &U, &nlo, &nhi, &sumc);
	for (unsigned r = 0;; r++) {
		if (sumc <= cap)
			break;
		if (r == MAX_ROUNDS)
			goto fallback;
		/* Sample rows without replacement (partial Fisher-Yates). */
		size_t nr = R < U ? R : U;
		for (size_t i = 0; i < nr; i++) {
			size_t j = i + (size_t)bft_rng_below(&rng, U - i);
			uint32_t t = act[i];
			act[i] = act[j];
			act[j] = t;
		}
		/* Sample P candidate slopes of each, with replacement. */
		for (size_t i = 0; i < nr; i++) {
			uint32_t e = act[i];
			size_t c = bft_bracket_row(&a, cur, e, tmp);
			double *v = vals + i * P;
			for (size_t k = 0; k < P && c; k++) {
				uint32_t q2 = tmp[bft_rng_below(&rng, c)];
				v[k] = bft_pair_slope(x[e], y[e], x[q2], y[q2]);
			}
			/* The row's lower middle, as a rank among its candidates. */
			int64_t rho = (int64_t)mid_lo(a.deg[e]) - cur->b_i[e];
			if (c == 0)
				est[i] = isfinite(cur->lo) ? cur->lo : cur->hi;
			else if (rho < 0)
				est[i] = cur->lo;
			else if ((uint64_t)rho >= c)
				est[i] = cur->hi;
			else {
				size_t k = (size_t)(((double)rho + 0.5) * (double)P / (double)c);
				est[i] = bft_select_f64(v, P, k < P ? k : P - 1);
			}
		}
		/* Where the outer target ranks fall among the active rows. */
		double u = (double)U, kl = (double)(Klo - nlo), kh = (double)(Khi - nlo) + 1, m = (double)nr;
		bool ok = false;
		size_t U2 = 0, nlo2 = 0, nhi2 = 0;
		uint64_t sumc2 = 0;
		int atts = stalls ? MAX_ATTEMPTS + 3 : MAX_ATTEMPTS;
		for (int att = 0; att < atts && !ok; att++) {
			double delta = margin(1.5 * sqrt(m), att, stalls) + 1;
			double lo, hi;
			propose(est, nr, floor(kl * m / u - delta), ceil(kh * m / u + delta), cur->lo, cur->hi, &lo, &hi);
			if (!bft_bracket_set(&a, tri, lo, hi)) {
				why = BFT_FB_OVERFLOW;
				goto fallback;
			}
			rm_classify(&a, tri, NULL, &U2, &nlo2, &nhi2, &sumc2);
			ok = nlo2 <= Klo && Khi < n - nhi2;
			retries += !ok;
		}
		if (!ok) {
			why = BFT_FB_MISSED;
			goto fallback;
		}
		stalls = sumc2 * 8 > sumc * 7 ? stalls + 1 : 0;
		if (stalls >= MAX_STALLS) {
			why = BFT_FB_STALLED;
			goto fallback;
		}
		bft_bracket *t = cur;
		cur = tri;
		tri = t;
		rounds++;
		rm_classify(&a, cur, act, &U, &nlo, &nhi, &sumc);
	}

	/* List every candidate slope of the active rows and settle each row. */
	memset(off, 0, (n + 1) * sizeof *off);
	for (size_t i = 0; i < U; i++)
		off[act[i] + 1] = cand_of(&a, cur, act[i]);
	for (size_t i = 0; i < n; i++)
		off[i + 1] += off[i];
	for (size_t i = 0; i < n; i++)
		tmp[i] = UINT32_MAX;
	for (size_t i = 0; i < U; i++)
		tmp[act[i]] = off[act[i]];
	bft_bracket_list(&a, cur, tmp, vals);
	size_t nin = 0;
	unsigned straddle = 0;
	for (size_t i = 0; i < U; i++) {
		uint32_t e = act[i], d = a.deg[e];
		double *v = vals + off[e];
		size_t c = off[e + 1] - off[e], s = 0;
		uint64_t L = cur->b_i[e];
		for (size_t k = 0; k < c; k++) {
			double sl = v[k];
			if (sl < cur->lo)
				L++;
			else if (sl <= cur->hi)
				v[s++] = sl;
		}
		double mi;
		if (L <= mid_lo(d) && mid_hi(d) < L + s) {
			size_t h = mid_hi(d) - L;
			double bh = bft_select_f64(v, s, h);
			mi = d % 2 ? bh : bft_mean2(max_of(v, h), bh);
		} else if (mid_hi(d) < L) {
			nlo++;
			continue;
		} else if (mid_lo(d) >= L + s) {
			nhi++;
			continue;
		} else {
			/* The middle pair straddles an end of the bracket: the
			 * slope on the far side is not listed. */
			straddle++;
			mi = row_median(&a, e, row);
			if (mi < cur->lo) {
				nlo++;
				continue;
			}
			if (mi > cur->hi) {
				nhi++;
				continue;
			}
		}
		med[nin++] = mi;
	}
	if (nlo <= Klo && Khi < nlo + nin) {
		size_t h = Khi - nlo;
		double bh = bft_select_f64(med, nin, h);
		double slope = Klo == Khi ? bh : bft_mean2(max_of(med, h), bh);
		count_stats(stats, 0, rounds, retries, straddle);
		return bft_regress_finish(out, slope, x, y, n, vals);
	}
	why = BFT_FB_FINAL;
fallback:
	count_stats(stats, why, rounds, retries, 0);
	return bft_ref_repeated_median(out, x, y, n, scratch);
}
