/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the robust regressions (regress.h):
 *  - the fast randomized algorithms return exactly what the O(n^2)
 *    definitions return, for every seed, on noisy lines and on the inputs
 *    that break naive implementations (ties in x, repeated slopes, n = 2, 3,
 *    collinear points, huge and tiny magnitudes);
 *  - up to each estimator's breakdown point, adversarial outliers cannot
 *    push the estimate outside a bound computed from the clean samples
 *    alone, and beyond it they can (so the bound test can fail);
 *  - the interval variant contains the true rate and offset whenever at most
 *    f samples are faulty, with Marzullo and with Brooks-Iyengar.
 * Each property test prints how many cases it checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/regress.h>
#include "core/regress_arr.h"
#include "core/regress_fast.h"
#include "core/regress_ref.h"

__extension__ typedef __int128 i128;

/* Deterministic inputs: SplitMix64, reseeded by each case. */
static uint64_t rng_s;
static uint64_t rnd(void)
{
	uint64_t z = (rng_s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) * 0x1.0p-53; }
static double gauss(void)
{
	double u1 = unif(), u2 = unif();
	return sqrt(-2.0 * log(u1 + 0x1p-60)) * cos(6.283185307179586 * u2);
}
static size_t below(size_t k) { return (size_t)(rnd() % k); }

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static bool same_fit(int rc1, const bft_fit *a, int rc2, const bft_fit *b)
{
	if (rc1 != rc2)
		return false;
	return rc1 != 0 || (memcmp(&a->slope, &b->slope, sizeof(double)) == 0 &&
	                    memcmp(&a->intercept, &b->intercept, sizeof(double)) == 0);
}

/* ---- Shapes of input for the equality tests ---------------------------- */

enum { SHAPES = 10 };

static void make_shape(int shape, double *x, double *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (shape) {
		case 0: /* noisy line, ns scale */
			x[i] = (double)i * 16e9 + unif() * 1e9;
			y[i] = 3.2e6 + 47.5e-6 * x[i] + gauss() * 1e5;
			break;
		case 1: /* small integer grid: many equal x and equal slopes */
			x[i] = floor(unif() * 12);
			y[i] = floor(unif() * 6);
			break;
		case 2: /* exactly collinear with integer data */
			x[i] = (double)i;
			y[i] = 3.0 * (double)i - 7;
			break;
		case 3: /* duplicated x, 70% exactly on a line, outliers */
			x[i] = floor(unif() * (double)(n / 3 + 1));
			y[i] = 2 * x[i] + (unif() < 0.3 ? floor(unif() * 1e6) : 0);
			break;
		case 4: /* every x equal but one */
			x[i] = i == n / 2 ? 1.0 : 0.0;
			y[i] = unif();
			break;
		case 5: /* huge magnitudes: slopes and keys y - t x overflow */
			x[i] = 1e9 + unif();
			y[i] = (unif() - 0.5) * 0x1p1000;
			break;
		case 6: /* tiny magnitudes, subnormal slopes possible */
			x[i] = unif() * 1e-150;
			y[i] = unif() * 1e-300;
			break;
		case 7: /* 45% gross outliers on a second line */
			x[i] = unif() * 1e12;
			y[i] = unif() < 0.45 ? 1e9 - 3e-4 * x[i] : 50e-6 * x[i] + gauss() * 1e3;
			break;
		case 8: /* few distinct y, descending x: many exact ties in slope */
			x[i] = (double)(n - i) * 0.5;
			y[i] = (double)(i % 3);
			break;
		default: /* random signs and scales */
			x[i] = (unif() - 0.5) * pow(10, floor(unif() * 8));
			y[i] = (unif() - 0.5) * pow(10, floor(unif() * 8));
			break;
		}
	}
}

/*
 * The classification behind the fast algorithms (regress_arr.h), pair by
 * pair: for brackets whose ends are actual slopes, their neighbours in
 * double, or infinite, every pair with different x is in exactly one class;
 * "below" pairs have a computed slope < lo and "above" pairs > hi; pairs
 * with equal x are in none; the counts, per point and in total, match.
 */
static void test_arrangement_classes(void **state)
{
	(void)state;
	enum { NMAX = 60 };
	double x[NMAX], y[NMAX], sl[NMAX * NMAX];
	void *mem = malloc(bft_arr_bytes(NMAX) + bft_bracket_bytes(NMAX, true));
	uint32_t row[NMAX];
	assert_non_null(mem);
	unsigned brackets = 0;
	uint64_t pairs = 0;
	for (int shape = 0; shape < SHAPES; shape++) {
		for (int seed = 0; seed < 20; seed++) {
			rng_s = 5000u + (unsigned)shape * 100u + (unsigned)seed;
			size_t n = 2 + below(NMAX - 1);
			make_shape(shape, x, y, n);
			unsigned char *m = mem;
			bft_arr a;
			bft_bracket b;
			bft_arr_init(&a, x, y, n, &m);
			bft_bracket_init(&b, n, true, &m);
			size_t ns = 0;
			for (size_t i = 0; i < n; i++)
				for (size_t j = i + 1; j < n; j++)
					if (x[i] != x[j])
						sl[ns++] = bft_pair_slope(x[i], y[i], x[j], y[j]);
			for (int t = 0; t < 12; t++) {
				double lo = ns ? sl[below(ns)] : 0, hi = ns ? sl[below(ns)] : 0;
				if (lo > hi) {
					double u = lo;
					lo = hi;
					hi = u;
				}
				if (t % 4 == 1)
					lo = nextafter(lo, INFINITY), hi = lo > hi ? lo : hi;
				if (t % 4 == 2)
					hi = nextafter(hi, -INFINITY), lo = lo < hi ? lo : hi;
				if (t == 3)
					lo = -INFINITY;
				if (t == 7)
					hi = INFINITY;
				if (!bft_bracket_set(&a, &b, lo, hi))
					continue; /* keys would overflow: the callers fall back */
				uint64_t nb = 0, na = 0, nc = 0;
				for (size_t i = 0; i < n; i++) {
					uint32_t cb = 0, ca = 0, cc = 0;
					for (size_t j = 0; j < n; j++) {
						if (j == i)
							continue;
						size_t u = x[i] < x[j] ? i : j, v = u == i ? j : i;
						bool eq = x[i] == x[j];
						/* below: inverted between the -inf order and lo's */
						bool isb = !eq && (a.r0[u] < a.r0[v]) != (b.rl[u] < b.rl[v]);
						bool isa = !eq && (b.rh[u] < b.rh[v]) != (a.rinf[u] < a.rinf[v]);
						bool isc = (b.rl[u] < b.rl[v]) != (b.rh[u] < b.rh[v]);
						assert_true(eq ? !isb && !isa && !isc : (int)isb + (int)isa + (int)isc == 1);
						double s = bft_pair_slope(x[i], y[i], x[j], y[j]);
						if (isb)
							assert_true(s < lo);
						if (isa)
							assert_true(s > hi);
						cb += isb;
						ca += isa;
						cc += isc;
						pairs += i < j;
					}
					assert_int_equal(cb, b.b_i[i]);
					assert_int_equal(ca, b.a_i[i]);
					assert_int_equal(cc, a.deg[i] - b.b_i[i] - b.a_i[i]);
					assert_int_equal(cc, bft_bracket_row(&a, &b, (uint32_t)i, row));
					nb += cb;
					na += ca;
					nc += cc;
				}
				assert_true(nb == 2 * b.below && na == 2 * b.above && nc == 2 * b.cand);
				brackets++;
			}
		}
	}
	printf("arrangement classes: %u brackets over %d shapes x 20 inputs, %llu pairs classified\n", brackets,
	       SHAPES, (unsigned long long)pairs);
	free(mem);
}

/* Fast == exact, for every size, shape and several seeds; the public entry
 * points too; and the full-pass fallback. */
static void test_fast_equals_exact(void **state)
{
	(void)state;
	static const size_t sizes[] = { 2, 3, 4, 5, 6, 7, 9, 12, 17, 31, 50, 64, 100, 161, 257, 400, 700 };
	size_t nmax = 700;
	double *x = malloc(nmax * sizeof *x), *y = malloc(nmax * sizeof *y);
	size_t bytes = bft_ref_theil_sen_scratch_bytes(nmax);
	size_t fb = bft_fast_scratch_bytes(nmax), pb = bft_regress_scratch_bytes(nmax);
	bytes = bytes > fb ? bytes : fb;
	bytes = bytes > pb ? bytes : pb;
	void *s = malloc(bytes);
	assert_non_null(x);
	assert_non_null(y);
	assert_non_null(s);
	unsigned cases = 0, fast_runs = 0, fallbacks[SHAPES] = { 0 }, noisy_fallbacks = 0, straddles = 0;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t n = sizes[si];
		int seeds = n <= 64 ? 12 : n <= 257 ? 4 : 2;
		for (int shape = 0; shape < SHAPES; shape++) {
			for (int seed = 0; seed < seeds; seed++) {
				rng_s = (uint64_t)(n * 1000 + (size_t)shape * 37 + (size_t)seed);
				make_shape(shape, x, y, n);
				bft_fit ts_ref, rm_ref, f1;
				int rc_ts = bft_ref_theil_sen(&ts_ref, x, y, n, s);
				int rc_rm = bft_ref_repeated_median(&rm_ref, x, y, n, s);
				for (uint64_t k = 0; k < 3; k++) {
					bft_fast_stats st;
					int rc = bft_theil_sen_fast(&f1, x, y, n, s, k * 0x9e37u + (uint64_t)seed, &st);
					if (!same_fit(rc, &f1, rc_ts, &ts_ref))
						fail_msg("theil-sen n=%zu shape=%d seed=%d k=%d: %d %.17g vs %d %.17g", n,
						         shape, seed, (int)k, rc, f1.slope, rc_ts, ts_ref.slope);
					fallbacks[shape] += st.fallback != 0;
					noisy_fallbacks += (unsigned)(st.fallback && shape == 0 && n >= 100);
					rc = bft_repeated_median_fast(&f1, x, y, n, s, k * 0x9e37u + (uint64_t)seed, &st);
					if (!same_fit(rc, &f1, rc_rm, &rm_ref))
						fail_msg("rep. median n=%zu shape=%d seed=%d k=%d: %d %.17g vs %d %.17g", n,
						         shape, seed, (int)k, rc, f1.slope, rc_rm, rm_ref.slope);
					fallbacks[shape] += st.fallback != 0;
					noisy_fallbacks += (unsigned)(st.fallback && shape == 0 && n >= 100);
					straddles += st.straddle;
					fast_runs += 2;
				}
				assert_true(same_fit(bft_regress_theil_sen(&f1, x, y, n, s), &f1, rc_ts, &ts_ref));
				assert_true(same_fit(bft_regress_repeated_median(&f1, x, y, n, s), &f1, rc_rm, &rm_ref));
				if (n <= 257)
					assert_true(same_fit(bft_theil_sen_scan(&f1, x, y, n, s, (uint64_t)seed), &f1, rc_ts,
					                     &ts_ref));
				cases++;
			}
		}
	}
	/* On noisy data the fast path itself must give the answer; and the
	 * repeated median's path for rows whose middle pair straddles an end
	 * of the bracket (odd n) must have run. */
	assert_int_equal(noisy_fallbacks, 0);
	assert_true(straddles > 0);
	printf("fast == exact: %u inputs (%zu sizes x %d shapes x 2-12 seeds), %u fast runs (3 PRNG seeds each, "
	       "both estimators); runs per shape that took the exact fallback:",
	       cases, sizeof sizes / sizeof sizes[0], SHAPES, fast_runs);
	for (int shape = 0; shape < SHAPES; shape++)
		printf(" %u", fallbacks[shape]);
	printf("; rows recomputed in full: %u\n", straddles);
	free(x);
	free(y);
	free(s);
}

/* Larger n: a few inputs of 1,500 and 4,096 points, noisy and tie-heavy. */
static void test_fast_equals_exact_large(void **state)
{
	(void)state;
	size_t nmax = 4096;
	double *x = malloc(nmax * sizeof *x), *y = malloc(nmax * sizeof *y);
	size_t rb = bft_ref_theil_sen_scratch_bytes(nmax), fb = bft_regress_scratch_bytes(nmax);
	void *s = malloc(rb > fb ? rb : fb);
	assert_non_null(s);
	unsigned cases = 0;
	static const size_t sizes[] = { 1500, 4096 };
	static const int shapes[] = { 0, 7, 9, 3 };
	for (size_t si = 0; si < 2; si++) {
		for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
			size_t n = sizes[si];
			if (n == 4096 && shapes[k] == 3)
				continue; /* O(n^2) fallback under ASan: covered at 1500 */
			rng_s = 77 + n + k;
			make_shape(shapes[k], x, y, n);
			bft_fit a, b;
			bft_fast_stats st;
			int r1 = bft_ref_theil_sen(&a, x, y, n, s);
			int r2 = bft_theil_sen_fast(&b, x, y, n, s, 5, &st);
			assert_true(same_fit(r1, &a, r2, &b));
			if (shapes[k] != 3 && st.fallback)
				fail_msg("theil-sen fell back: n=%zu shape=%d rounds=%u retries=%u", n, shapes[k],
				         st.rounds, st.retries);
			r1 = bft_ref_repeated_median(&a, x, y, n, s);
			r2 = bft_repeated_median_fast(&b, x, y, n, s, 5, &st);
			assert_true(same_fit(r1, &a, r2, &b));
			if (shapes[k] != 3 && st.fallback)
				fail_msg("rep. median fell back: n=%zu shape=%d rounds=%u retries=%u", n, shapes[k],
				         st.rounds, st.retries);
			cases++;
		}
	}
	printf("fast == exact at n = 1500 and 4096: %u inputs, both estimators\n", cases);
	free(x);
	free(y);
	free(s);
}

/* The public Theil-Sen on x ascending (its own loop, regress.c) == the
 * definition, for every shape sorted by x (with ties in x: the reference's
 * path again), n = 0..150. */
static void test_ascending_equals_exact(void **state)
{
	(void)state;
	enum { NMAX = 150 };
	double x[NMAX], y[NMAX];
	void *s = malloc(bft_regress_scratch_bytes(NMAX) > bft_ref_theil_sen_scratch_bytes(NMAX)
	                     ? bft_regress_scratch_bytes(NMAX)
	                     : bft_ref_theil_sen_scratch_bytes(NMAX));
	assert_non_null(s);
	unsigned cases = 0, strict = 0;
	for (size_t n = 0; n <= NMAX; n += n < 70 ? 1 : 40) {
		for (int shape = 0; shape < SHAPES; shape++) {
			rng_s = 9000u + n * 31u + (unsigned)shape;
			make_shape(shape, x, y, n);
			for (size_t i = 1; i < n; i++) /* insertion sort by x, y along */
				for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
					double t = x[j];
					x[j] = x[j - 1];
					x[j - 1] = t;
					t = y[j];
					y[j] = y[j - 1];
					y[j - 1] = t;
				}
			bool asc = true;
			for (size_t i = 1; i < n; i++)
				asc = asc && x[i - 1] < x[i];
			bft_fit a, b;
			int r1 = bft_ref_theil_sen(&a, x, y, n, s);
			int r2 = bft_regress_theil_sen(&b, x, y, n, s);
			if (!same_fit(r1, &a, r2, &b))
				fail_msg("ascending n=%zu shape=%d: %d %.17g vs %d %.17g", n, shape, r2, b.slope, r1, a.slope);
			cases++;
			strict += asc && n >= 2;
		}
	}
	assert_true(strict > 100);
	printf("ascending x == exact: %u inputs, %u strictly ascending\n", cases, strict);
	free(s);
}

static void test_errors(void **state)
{
	(void)state;
	double x[4] = { 0, 1, 2, 3 }, y[4] = { 0, 1, 2, 3 };
	void *s = malloc(bft_regress_scratch_bytes(4096));
	bft_fit f;
	assert_int_equal(bft_regress_theil_sen(NULL, x, y, 4, s), BFT_EINVAL);
	assert_int_equal(bft_regress_theil_sen(&f, NULL, y, 4, s), BFT_EINVAL);
	assert_int_equal(bft_regress_repeated_median(&f, x, y, 4, NULL), BFT_EINVAL);
	assert_int_equal(bft_regress_theil_sen(&f, x, y, 0, s), BFT_EEMPTY);
	assert_int_equal(bft_regress_theil_sen(&f, x, y, 1, s), BFT_EEMPTY);
	assert_int_equal(bft_regress_repeated_median(&f, x, y, 1, s), BFT_EEMPTY);
	y[2] = NAN;
	assert_int_equal(bft_regress_theil_sen(&f, x, y, 4, s), BFT_EINVAL);
	y[2] = INFINITY;
	assert_int_equal(bft_regress_repeated_median(&f, x, y, 4, s), BFT_EINVAL);
	y[2] = 0x1p1023;
	assert_int_equal(bft_regress_theil_sen(&f, x, y, 4, s), BFT_EINVAL);
	y[2] = 2;
	double same[4] = { 5, 5, 5, 5 };
	assert_int_equal(bft_regress_theil_sen(&f, same, y, 4, s), BFT_EEMPTY);
	assert_int_equal(bft_regress_repeated_median(&f, same, y, 4, s), BFT_EEMPTY);
	assert_int_equal(bft_theil_sen_fast(&f, same, y, 4, s, 1, NULL), BFT_EEMPTY);
	assert_int_equal(bft_repeated_median_fast(&f, same, y, 4, s, 1, NULL), BFT_EEMPTY);
	/* A slope that overflows double. */
	double xo[2] = { 0, 0x1p-1000 }, yo[2] = { 0, 0x1p1000 };
	assert_int_equal(bft_regress_theil_sen(&f, xo, yo, 2, s), BFT_ERANGE);
	assert_int_equal(bft_theil_sen_fast(&f, xo, yo, 2, s, 1, NULL), BFT_ERANGE);
	/* Exact answers on tiny inputs: median of slopes {1, 2, 3} is 2;
	 * of {1, 3} it is 2 (mean of the middle two). */
	double x3[3] = { 0, 1, 2 }, y3[3] = { 0, 1, 4 };
	assert_int_equal(bft_regress_theil_sen(&f, x3, y3, 3, s), 0);
	assert_true(f.slope == 2.0 && f.intercept == 0.0);
	assert_int_equal(bft_regress_theil_sen(&f, x3, y3, 2, s), 0);
	assert_true(f.slope == 1.0 && f.intercept == 0.0);
	/* Rows {1, 2}, {1, 3}, {2, 3} -> medians 1.5, 2, 2.5 -> 2. */
	assert_int_equal(bft_regress_repeated_median(&f, x3, y3, 3, s), 0);
	assert_true(f.slope == 2.0);
	free(s);
}

/* ---- Breakdown ---------------------------------------------------------- */

enum adversary { ADV_ONE_WAY, ADV_SECOND_LINE, ADV_HUGE, ADV_LEVERAGE, ADVERSARIES };

struct sim {
	size_t n, nbad;
	double *x, *y, *yclean;
	bool *bad;
};

/* n samples 16 s apart of a clock 3.2 ms off and 50 ppm fast, noise sigma
 * (Gaussian or uniform of the same sigma), nbad of them replaced. */
static void simulate(struct sim *s, int noise, double sigma, enum adversary adv)
{
	size_t n = s->n;
	for (size_t i = 0; i < n; i++) {
		s->x[i] = (double)i * 16e9;
		double e = noise ? (unif() - 0.5) * sigma * sqrt(12.0) : gauss() * sigma;
		s->yclean[i] = 3.2e6 + 50e-6 * s->x[i] + e;
		s->y[i] = s->yclean[i];
		s->bad[i] = false;
	}
	/* Which samples are bad: the last ones (leverage) or random ones. */
	for (size_t k = 0; k < s->nbad; k++) {
		size_t i;
		if (adv == ADV_LEVERAGE)
			i = n - 1 - k;
		else
			do
				i = below(n);
			while (s->bad[i]);
		s->bad[i] = true;
		switch (adv) {
		case ADV_ONE_WAY: s->y[i] = s->yclean[i] + 1e6 + unif() * 1e9; break;
		case ADV_SECOND_LINE: s->y[i] = -5e7 + 500e-6 * s->x[i]; break;
		case ADV_HUGE: s->y[i] = 1e15 * (1 + unif()); break;
		default: /* above the truth by 100 ms, then 1000 ppm steeper */
			s->y[i] = s->yclean[i] + 1e8 + 1e-3 * (s->x[i] - s->x[n - s->nbad]);
			break;
		}
	}
}

/* The k-th smallest of v[0..m) (sorts v). */
static double kth(double *v, size_t m, size_t k)
{
	qsort(v, m, sizeof *v, cmp_dbl);
	return v[k];
}

/*
 * Bounds that hold whatever the bad samples are, computed from the good
 * ones: if the estimate's target ranks are klo <= khi among M values of
 * which G are "good" values g (the rest arbitrary), the estimate lies in
 * [g_(klo - (M - G)), g_(khi)], provided klo >= M - G and khi < G.
 */
static bool rank_bounds(double *g, size_t G, size_t M, size_t klo, size_t khi, double *lo, double *hi)
{
	size_t bad = M - G;
	if (klo < bad || khi >= G)
		return false;
	qsort(g, G, sizeof *g, cmp_dbl);
	*lo = g[klo - bad];
	*hi = g[khi];
	return true;
}

/* Bounds on Theil-Sen's slope from the good-good pair slopes. */
static bool ts_bounds(const struct sim *s, double *work, double *lo, double *hi)
{
	size_t n = s->n, G = 0, M = n * (n - 1) / 2;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!s->bad[i] && !s->bad[j])
				work[G++] = bft_pair_slope(s->x[i], s->y[i], s->x[j], s->y[j]);
	return rank_bounds(work, G, M, (M - 1) / 2, M / 2, lo, hi);
}

/* Bounds on the repeated median's slope: each good row's median is bounded
 * by its good slopes, then the outer median by those bounds. */
static bool rm_bounds(const struct sim *s, double *work, double *rowlo, double *rowhi, double *lo, double *hi)
{
	size_t n = s->n, g = 0;
	for (size_t i = 0; i < n; i++) {
		if (s->bad[i])
			continue;
		size_t G = 0;
		for (size_t j = 0; j < n; j++)
			if (j != i && !s->bad[j])
				work[G++] = bft_pair_slope(s->x[i], s->y[i], s->x[j], s->y[j]);
		if (!rank_bounds(work, G, n - 1, (n - 2) / 2, (n - 1) / 2, &rowlo[g], &rowhi[g]))
			return false;
		g++;
	}
	size_t nbad = n - g;
	if ((n - 1) / 2 < nbad || n / 2 >= g)
		return false;
	*lo = kth(rowlo, g, (n - 1) / 2 - nbad);
	*hi = kth(rowhi, g, n / 2);
	return true;
}

/* Bounds on the intercept med(y - b x) for the fitted b, same argument. */
static bool icpt_bounds(const struct sim *s, double b, double *work, double *lo, double *hi)
{
	size_t G = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!s->bad[i])
			work[G++] = s->y[i] - b * s->x[i];
	return rank_bounds(work, G, s->n, (s->n - 1) / 2, s->n / 2, lo, hi);
}

static void sim_alloc(struct sim *s, size_t n)
{
	s->n = n;
	s->x = malloc(n * sizeof(double));
	s->y = malloc(n * sizeof(double));
	s->yclean = malloc(n * sizeof(double));
	s->bad = malloc(n * sizeof(bool));
	assert_non_null(s->bad);
}

static void sim_free(struct sim *s)
{
	free(s->x);
	free(s->y);
	free(s->yclean);
	free(s->bad);
}

/*
 * Up to the breakdown point: Theil-Sen with 25% and the repeated median with
 * 45% of the samples replaced by each adversary, Gaussian and uniform noise,
 * many seeds. The estimate must lie within the bounds computed from the
 * good samples only (so set by the noise alone, whatever the adversary
 * does). As plain numbers: the rate within 80 (Theil-Sen) and 250 (repeated
 * median) standard errors of least squares on clean data, the offset within
 * 8 sigma. The multiples are large because the leverage adversary, which
 * controls the last samples, biases both estimators by that much this close
 * to their breakdown points (about 0.45 and 1.2 ppm here, against 100+ ppm
 * once past it, see below).
 */
static void test_breakdown_holds(void **state)
{
	(void)state;
	const size_t n = 200;
	const double sigma = 1e5;
	struct sim s;
	sim_alloc(&s, n);
	double *work = malloc(n * n * sizeof(double)), *rl = malloc(n * sizeof(double)), *rh = malloc(n * sizeof(double));
	void *scratch = malloc(bft_regress_scratch_bytes(n));
	assert_non_null(work);
	assert_non_null(scratch);
	unsigned cases = 0;
	double worst_ts = 0, worst_rm = 0;
	/* Standard error of the least-squares rate without outliers. */
	const double se = sigma / (16e9 * sqrt((double)n * ((double)n * (double)n - 1) / 12));
	for (int est = 0; est < 2; est++) {
		s.nbad = est == 0 ? n / 4 : n * 45 / 100;
		for (int adv = 0; adv < ADVERSARIES; adv++) {
			for (int noise = 0; noise < 2; noise++) {
				for (int seed = 0; seed < 25; seed++) {
					rng_s = 1000u * (unsigned)est + 100u * (unsigned)adv + 10u * (unsigned)noise +
					        (unsigned)seed * 7919u;
					simulate(&s, noise, sigma, (enum adversary)adv);
					bft_fit f;
					double lo, hi;
					if (est == 0) {
						assert_int_equal(bft_regress_theil_sen(&f, s.x, s.y, n, scratch), 0);
						assert_true(ts_bounds(&s, work, &lo, &hi));
					} else {
						assert_int_equal(bft_regress_repeated_median(&f, s.x, s.y, n, scratch), 0);
						assert_true(rm_bounds(&s, work, rl, rh, &lo, &hi));
					}
					if (!(lo <= f.slope && f.slope <= hi))
						fail_msg("est %d adv %d: slope %.9g outside [%.9g, %.9g]", est, adv, f.slope,
						         lo, hi);
					assert_true(icpt_bounds(&s, f.slope, work, &lo, &hi));
					assert_true(lo <= f.intercept && f.intercept <= hi);
					double err = fabs(f.slope - 50e-6);
					assert_true(err < (est == 0 ? 80 : 250) * se);
					assert_true(fabs(f.intercept - 3.2e6) < 8 * sigma);
					if (est == 0 && err > worst_ts)
						worst_ts = err;
					if (est == 1 && err > worst_rm)
						worst_rm = err;
					cases++;
				}
			}
		}
	}
	printf("breakdown holds: %u cases (n=200; Theil-Sen 25%%, repeated median 45%% bad; %d adversaries x "
	       "2 noises x 25 seeds each); worst rate error %.3f ppm = %.0f SE / %.3f ppm = %.0f SE "
	       "(SE of least squares without outliers: %.4f ppm)\n",
	       cases, ADVERSARIES, worst_ts * 1e6, worst_ts / se, worst_rm * 1e6, worst_rm / se, se * 1e6);
	sim_free(&s);
	free(work);
	free(rl);
	free(rh);
	free(scratch);
}

/*
 * Beyond the breakdown point the adversary wins: with 40% of the samples
 * (the last ones) raised onto a steep line, every pair involving one of them
 * has a high slope and they are the majority of pairs: Theil-Sen's rate moves
 * by more than 100 ppm, while the repeated median still holds (it did at 45%
 * above). With 55% of the samples on a second line, the repeated median
 * follows that line. In both cases the bound of the test above no longer
 * exists (too few good pairs or rows): that test can fail, and does past the
 * breakdown point.
 */
static void test_breakdown_exceeded(void **state)
{
	(void)state;
	const size_t n = 200;
	struct sim s;
	sim_alloc(&s, n);
	double *work = malloc(n * n * sizeof(double)), *rl = malloc(n * sizeof(double)), *rh = malloc(n * sizeof(double));
	void *scratch = malloc(bft_regress_scratch_bytes(n));
	unsigned cases = 0;
	for (int seed = 0; seed < 20; seed++) {
		double lo, hi;
		bft_fit f;
		rng_s = 424242u + (unsigned)seed;
		s.nbad = n * 40 / 100;
		simulate(&s, seed % 2, 1e5, ADV_LEVERAGE);
		assert_int_equal(bft_regress_theil_sen(&f, s.x, s.y, n, scratch), 0);
		assert_true(fabs(f.slope - 50e-6) > 100e-6);
		assert_false(ts_bounds(&s, work, &lo, &hi));
		assert_int_equal(bft_regress_repeated_median(&f, s.x, s.y, n, scratch), 0);
		assert_true(fabs(f.slope - 50e-6) < 1e-6);
		rng_s = 434343u + (unsigned)seed;
		s.nbad = n * 55 / 100;
		simulate(&s, 0, 1e5, ADV_SECOND_LINE);
		assert_int_equal(bft_regress_repeated_median(&f, s.x, s.y, n, scratch), 0);
		assert_true(fabs(f.slope - 500e-6) < 1e-9);
		assert_false(rm_bounds(&s, work, rl, rh, &lo, &hi));
		cases += 2;
	}
	printf("breakdown exceeded: %u cases (Theil-Sen 40%%, repeated median 55%% bad): every estimate moved "
	       "(and the repeated median held at 40%%)\n",
	       cases);
	sim_free(&s);
	free(work);
	free(rl);
	free(rh);
	free(scratch);
}

/* ---- Interval variant --------------------------------------------------- */

static i128 fdiv(i128 a, i128 b)
{
	i128 q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* True offset at x: theta0 + b_fsps * x / 1e15, as floor and ceil in ns. */
static void truth_at(int64_t theta0, int64_t b_fsps, int64_t x, int64_t *fl, int64_t *ce)
{
	i128 num = (i128)b_fsps * x;
	i128 q = fdiv(num, (i128)1000000000000000);
	*fl = theta0 + (int64_t)q;
	*ce = *fl + (num - q * (i128)1000000000000000 != 0);
}

enum { FAULT_RANDOM, FAULT_COLLUDE, FAULT_HUGE, FAULT_NEAR, FAULTS };

/*
 * Random histories: n samples at irregular local times (duplicates
 * included), correct ones hold the true offset (widths 0..200 us), f of
 * them faulty in one of four ways (random garbage; colluding on a second
 * line inside the prior; enormous; just missing the truth). With at most f
 * faulty, the fused rate must hold the true rate, the offset the true
 * offset, both with Marzullo and Brooks-Iyengar, and the rate must lie in
 * the prior.
 */
static void test_interval_contains_truth(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 3, 4, 7, 10, 16, 25, 40 };
	size_t nmax = 40;
	int64_t *x = malloc(nmax * sizeof *x);
	bft_interval *y = malloc(nmax * sizeof *y);
	bool *bad = malloc(nmax);
	void *scratch = malloc(bft_regress_interval_scratch_bytes(nmax));
	assert_non_null(scratch);
	unsigned cases = 0, narrower = 0;
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		size_t n = sizes[si];
		for (int seed = 0; seed < 60; seed++) {
			rng_s = 99991u * n + (unsigned)seed;
			int64_t rho = 1000 + (int64_t)below(200000); /* ppb */
			int64_t b = (int64_t)(rnd() % (uint64_t)(2 * rho + 1)) - rho;
			b *= 1000000; /* fs/s, anywhere in the prior */
			if (seed % 7 == 0)
				b = rho * 1000000; /* on the prior's edge */
			int64_t theta0 = (int64_t)(rnd() % 2000000000) - 1000000000;
			size_t f = n > 1 ? below((n - 1) / 3 + 1) : 0;
			int kind = (int)below(FAULTS);
			for (size_t i = 0; i < n; i++) {
				x[i] = (int64_t)below(1000) * 1000000000 + (int64_t)below(1000);
				if (i > 0 && below(8) == 0)
					x[i] = x[i - 1];
				int64_t fl, ce;
				truth_at(theta0, b, x[i], &fl, &ce);
				y[i] = bft_iv(fl - (int64_t)below(100000), ce + (int64_t)below(100000));
				bad[i] = false;
			}
			for (size_t k = 0; k < f; k++) {
				size_t i;
				do
					i = below(n);
				while (bad[i]);
				bad[i] = true;
				int64_t fl, ce;
				switch (kind) {
				case FAULT_RANDOM: {
					int64_t c = (int64_t)(rnd() % 4000000000u) - 2000000000;
					y[i] = bft_iv(c, c + (int64_t)below(1000000));
					break;
				}
				case FAULT_COLLUDE: /* consistent with rate -b, offset +1 ms */
					truth_at(theta0 + 1000000, -b, x[i], &fl, &ce);
					y[i] = bft_iv(fl, ce);
					break;
				case FAULT_HUGE:
					y[i] = bft_iv(INT64_MIN / 2, INT64_MIN / 2 + 5);
					break;
				default: /* just above the truth, narrow */
					truth_at(theta0, b, x[i], &fl, &ce);
					y[i] = bft_iv(ce + 1, ce + 1 + (int64_t)below(1000));
					break;
				}
			}
			int64_t xref = (int64_t)below(1200) * 1000000000;
			int64_t tfl, tce;
			truth_at(theta0, b, xref, &tfl, &tce);
			for (int how = 0; how < 2; how++) {
				bft_interval_fit r;
				int rc = bft_regress_interval(&r, x, y, n, f, rho, xref, (enum bft_fuse)how, scratch);
				if (rc)
					fail_msg("n=%zu seed=%d how=%d f=%zu kind=%d: %s", n, seed, how, f, kind,
					         bft_strerror(rc));
				assert_true(bft_iv_contains(r.slope_fsps, b));
				assert_true(bft_iv_contains(r.slope_fsps, r.slope_est_fsps));
				assert_true(r.slope_fsps.lo_ns >= -rho * 1000000 && r.slope_fsps.hi_ns <= rho * 1000000);
				/* The true offset is theta(xref), between tfl and tce. */
				assert_true(r.offset_ns.lo_ns <= tfl && tce <= r.offset_ns.hi_ns);
				assert_true(bft_iv_contains(r.offset_ns, r.offset_est_ns));
				narrower += r.slope_fsps.hi_ns - r.slope_fsps.lo_ns < 2 * rho * 1000000;
				cases++;
			}
		}
	}
	printf("interval variant: %u cases (%zu sizes x 60 seeds x {Marzullo, Brooks-Iyengar}, f up to (n-1)/3, "
	       "4 fault kinds): rate and offset always held the truth; rate narrower than the prior in %u\n",
	       cases, sizeof sizes / sizeof sizes[0], narrower);
	free(x);
	free(y);
	free(bad);
	free(scratch);
}

static void test_interval_exact_and_errors(void **state)
{
	(void)state;
	void *s = malloc(bft_regress_interval_scratch_bytes(10));
	bft_interval_fit r;
	/* Slope 1/3 ns per ns: 333333333333333.33 fs/s, rounded outward. */
	int64_t x[2] = { 0, 3 };
	bft_interval y[2] = { { 0, 0 }, { 1, 1 } };
	/* f = 0, a prior of 1e9 ppb (100%) does not trim it. */
	assert_int_equal(bft_regress_interval(&r, x, y, 2, 0, 1000000000, 3, BFT_FUSE_MARZULLO, s), 0);
	assert_true(r.slope_fsps.lo_ns == 333333333333333 && r.slope_fsps.hi_ns == 333333333333334);
	assert_true(r.offset_ns.lo_ns == 1 && r.offset_ns.hi_ns == 1);
	/* A prior of 100 ppm trims the pair away: it proves a fault, > f = 0. */
	assert_int_equal(bft_regress_interval(&r, x, y, 2, 0, 100000, 3, BFT_FUSE_MARZULLO, s), BFT_EFAULTS);
	/* With f = 1 the one pair may be the faulty one: the rate is the prior. */
	assert_int_equal(bft_regress_interval(&r, x, y, 2, 1, 100000, 0, BFT_FUSE_BROOKS_IYENGAR, s), 0);
	assert_true(r.slope_fsps.lo_ns == -100000000000 && r.slope_fsps.hi_ns == 100000000000);
	/* Three samples on a line, one off by 1 s with f = 0: detected. */
	int64_t x3[3] = { 0, 1000000000, 2000000000 };
	bft_interval y3[3] = { { 0, 10 }, { 50000, 50010 }, { 1000100000, 1000100010 } };
	assert_int_equal(bft_regress_interval(&r, x3, y3, 3, 0, 1000000000, 0, BFT_FUSE_MARZULLO, s), BFT_EFAULTS);
	/* A single sample: rate from the prior, offset carried along it. */
	assert_int_equal(bft_regress_interval(&r, x3, y3, 1, 0, 1000, 1000000000, BFT_FUSE_MARZULLO, s), 0);
	assert_true(r.slope_fsps.lo_ns == -1000000000 && r.offset_ns.lo_ns == -1000 && r.offset_ns.hi_ns == 1010);
	/* Prior trimming: samples 1 ms apart with +-1 ms intervals bound the
	 * rate only to +-2 (ns per ns); a 50 ppm prior confines it. */
	int64_t xt[10];
	bft_interval yt[10];
	for (int i = 0; i < 10; i++) {
		xt[i] = i * INT64_C(1000000);
		yt[i] = bft_iv(-1000000 + 20 * i, 1000000 + 20 * i); /* truth: 20 ppm, offset 0 */
	}
	for (int how = 0; how < 2; how++) {
		assert_int_equal(bft_regress_interval(&r, xt, yt, 10, 2, 50000, 0, (enum bft_fuse)how, s), 0);
		assert_true(r.slope_fsps.lo_ns >= -50000000000 && r.slope_fsps.hi_ns <= 50000000000);
		assert_true(bft_iv_contains(r.slope_fsps, 20000000000) && bft_iv_contains(r.offset_ns, 0));
	}
	/* Detection: 4 of 10 tight samples shifted by 10 ms, f = 1. */
	for (int i = 0; i < 10; i++) {
		xt[i] = i * INT64_C(1000000000);
		yt[i] = bft_iv(-10 + 20000 * i, 10 + 20000 * i);
		if (i % 3 == 1)
			yt[i] = bft_iv_shift(yt[i], 10000000);
	}
	assert_int_equal(bft_regress_interval(&r, xt, yt, 10, 1, 50000, 0, BFT_FUSE_MARZULLO, s), BFT_EFAULTS);
	assert_int_equal(bft_regress_interval(&r, xt, yt, 10, 1, 50000, 0, BFT_FUSE_BROOKS_IYENGAR, s), BFT_EFAULTS);
	/* Errors. */
	assert_int_equal(bft_regress_interval(NULL, x3, y3, 3, 0, 100, 0, BFT_FUSE_MARZULLO, s), BFT_EINVAL);
	assert_int_equal(bft_regress_interval(&r, x3, y3, 0, 0, 100, 0, BFT_FUSE_MARZULLO, s), BFT_EEMPTY);
	assert_int_equal(bft_regress_interval(&r, x3, y3, 3, 3, 100, 0, BFT_FUSE_MARZULLO, s), BFT_EINVAL);
	assert_int_equal(bft_regress_interval(&r, x3, y3, 3, 0, -1, 0, BFT_FUSE_MARZULLO, s), BFT_EINVAL);
	assert_int_equal(bft_regress_interval(&r, x3, y3, 3, 0, 100, 0, (enum bft_fuse)7, s), BFT_EINVAL);
	assert_int_equal(bft_regress_interval(&r, x3, y3, 3, 0, 100, 0, BFT_FUSE_MARZULLO, NULL), BFT_EINVAL);
	bft_interval inv[3] = { { 5, 4 }, { 0, 1 }, { 0, 1 } };
	assert_int_equal(bft_regress_interval(&r, x3, inv, 3, 0, 100, 0, BFT_FUSE_MARZULLO, s), BFT_EINVAL);
	/* Extreme values saturate instead of overflowing. */
	int64_t xe[3] = { INT64_MIN, 0, INT64_MAX };
	bft_interval ye[3] = { { INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MAX } };
	assert_int_equal(bft_regress_interval(&r, xe, ye, 3, 1, INT64_MAX, INT64_MIN, BFT_FUSE_BROOKS_IYENGAR, s), 0);
	assert_true(r.offset_ns.lo_ns == INT64_MIN && r.offset_ns.hi_ns == INT64_MAX);
	free(s);
}

/* Callers size scratch once for their largest n and then fit fewer
 * samples: the size must cover every smaller n (a history of 200 once
 * overflowed at 117..150 samples). */
static void test_scratch_monotone(void **state)
{
	(void)state;
	for (size_t n = 3; n <= 5000; n++)
		assert_true(bft_regress_scratch_bytes(n) >= bft_regress_scratch_bytes(n - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scratch_monotone),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_arrangement_classes),
		cmocka_unit_test(test_fast_equals_exact),
		cmocka_unit_test(test_ascending_equals_exact),
		cmocka_unit_test(test_fast_equals_exact_large),
		cmocka_unit_test(test_breakdown_holds),
		cmocka_unit_test(test_breakdown_exceeded),
		cmocka_unit_test(test_interval_contains_truth),
		cmocka_unit_test(test_interval_exact_and_errors),
	};
	return cmocka_run_group_tests_name("regress", tests, NULL, NULL);
}
