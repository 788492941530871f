/* SPDX-License-Identifier: MIT */
/* Unit tests of interval arithmetic and of the core's sort/select primitives. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/interval.h>
#include "core/order.h"

static void test_saturation(void **state)
{
	(void)state;
	assert_true(bft_sat_add(INT64_MAX, 1) == INT64_MAX);
	assert_true(bft_sat_add(INT64_MIN, -1) == INT64_MIN);
	assert_true(bft_sat_sub(INT64_MIN, 1) == INT64_MIN);
	assert_true(bft_sat_sub(INT64_MAX, -1) == INT64_MAX);
	assert_true(bft_sat_add(5, -7) == -2);
	bft_interval all = bft_iv(INT64_MIN, INT64_MAX);
	assert_true(bft_iv_width(all) == INT64_MAX);
	assert_true(bft_iv_mid(all) == -1 || bft_iv_mid(all) == 0);
	assert_true(bft_iv_mid(bft_iv(-3, 4)) == 0);
	assert_true(bft_iv_widen(all, 10, 10).lo_ns == INT64_MIN);
}

static void test_drift(void **state)
{
	(void)state;
	/* 100 ppm over 1000 s is exactly 100 ms. */
	assert_true(bft_drift_ns(100000, 1000 * BFT_NS_PER_SEC) == 100000000);
	/* Rounds up: 1 ppb over 1 ns is a fraction of a ns, reported as 1. */
	assert_true(bft_drift_ns(1, 1) == 1);
	assert_true(bft_drift_ns(1, -1) == 1);
	assert_true(bft_drift_ns(0, INT64_MAX) == 0);
	assert_true(bft_drift_ns(INT64_MAX, INT64_MAX) == INT64_MAX);
	assert_true(bft_drift_ns(1000000, INT64_MIN) > 0);
	bft_interval w = bft_iv_widen_drift(bft_iv(0, 10), 50000, 2 * BFT_NS_PER_SEC);
	assert_true(w.lo_ns == -100000 && w.hi_ns == 100010);
}

static void test_intersect_hull_shift(void **state)
{
	(void)state;
	bft_interval out = bft_iv(7, 7);
	assert_true(bft_iv_intersect(bft_iv(0, 10), bft_iv(5, 20), &out));
	assert_true(out.lo_ns == 5 && out.hi_ns == 10);
	/* Closed intervals: touching ones share the point. */
	assert_true(bft_iv_intersect(bft_iv(0, 5), bft_iv(5, 20), &out));
	assert_true(out.lo_ns == 5 && out.hi_ns == 5);
	out = bft_iv(7, 7);
	assert_false(bft_iv_intersect(bft_iv(0, 4), bft_iv(5, 20), &out));
	assert_true(out.lo_ns == 7); /* untouched */
	bft_interval h = bft_iv_hull(bft_iv(0, 4), bft_iv(5, 20));
	assert_true(h.lo_ns == 0 && h.hi_ns == 20);
	bft_interval s = bft_iv_shift(bft_iv(1, 2), -3);
	assert_true(s.lo_ns == -2 && s.hi_ns == -1);
	assert_true(bft_iv_contains(s, -2) && !bft_iv_contains(s, 0));
}

static uint64_t xs = 88172645463325252u;
static uint64_t next(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return xs;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Sort and select agree with qsort on random, few-distinct, sorted, reversed
 * and organ-pipe inputs (the shapes that break naive quicksort). */
static void test_sort_select(void **state)
{
	(void)state;
	enum { N = 2000 };
	int64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c);
	double *d = malloc(N * sizeof *d);
	assert_non_null(a);
	for (int shape = 0; shape < 5; shape++) {
		for (size_t n = 0; n <= N; n = n ? n * 3 : 1) {
			for (size_t i = 0; i < n; i++) {
				switch (shape) {
				case 0: a[i] = (int64_t)next(); break;
				case 1: a[i] = (int64_t)(next() % 3); break;
				case 2: a[i] = (int64_t)i; break;
				case 3: a[i] = -(int64_t)i; break;
				default: a[i] = (int64_t)(i < n / 2 ? i : n - i); break;
				}
				b[i] = a[i];
				d[i] = (double)a[i];
			}
			qsort(b, n, sizeof *b, cmp);
			for (size_t k = 0; k < n; k += 1 + n / 7) {
				for (size_t i = 0; i < n; i++)
					c[i] = a[i];
				assert_true(bft_select_i64(c, n, k) == b[k]);
				for (size_t i = 0; i < k; i++)
					assert_true(c[i] <= c[k]);
				for (size_t i = k + 1; i < n; i++)
					assert_true(c[i] >= c[k]);
			}
			bft_sort_i64(a, n);
			bft_sort_f64(d, n);
			for (size_t i = 0; i < n; i++) {
				assert_true(a[i] == b[i]);
				assert_true(d[i] == (double)b[i]);
			}
		}
	}
	free(a);
	free(b);
	free(c);
	free(d);
}

/*
 * Property test of selection: for arrays of sizes 1 to 5000 in shapes that
 * stress a quickselect (random, few distinct values, many duplicates, all
 * equal, sorted, reversed, organ pipe, sawtooth, Musser's median-of-3 killer,
 * nearly sorted, the type's extremes; for doubles also Theil-Sen's pair slopes
 * and a mix of signed zeros, infinities and subnormals), bft_select_*(v, n, k)
 * must return the k-th of a sorted copy (qsort) and leave v a permutation of
 * the input with v[0..k) <= v[k] <= v(k..n), which callers rely on (the lower
 * median as the maximum of v[0..k)). Every k is checked up to n = 100 and at
 * the sizes around the selection's thresholds (SAMPLE_MIN 1024, and 2016, the
 * slopes of 64 points); elsewhere the ends, the middle and 32 random ranks.
 * Sizes either side of 1024 exercise both the single-pivot and the sampling
 * paths.
 */
enum { PROP_MAX = 5000, PROP_SHAPES = 11, PROP_F64_SHAPES = PROP_SHAPES + 2 };

/* Musser's median-of-3 killer (1997) for even n, with n appended for odd n:
 * 1, k+1, 3, k+3, ..., then 2, 4, ..., 2k. */
static int64_t m3killer(size_t n, size_t i)
{
	size_t k = n / 2;
	if (i >= 2 * k)
		return (int64_t)n;
	if (i < k)
		return (int64_t)(i % 2 ? k + i : i + 1);
	return (int64_t)(2 * (i - k + 1));
}

static void fill_shape(int64_t *a, size_t n, int shape)
{
	for (size_t i = 0; i < n; i++) {
		switch (shape) {
		case 0: a[i] = (int64_t)next(); break;
		case 1: a[i] = (int64_t)(next() % 3); break;
		case 2: a[i] = (int64_t)(next() % (n / 8 + 1)); break;
		case 3: a[i] = 42; break;
		case 4: a[i] = (int64_t)i; break;
		case 5: a[i] = (int64_t)(n - i); break;
		case 6: a[i] = (int64_t)(i < n / 2 ? i : n - i); break;
		case 7: a[i] = (int64_t)(i % 17); break;
		case 8: a[i] = m3killer(n, i); break;
		case 9: a[i] = (int64_t)i; break;
		default: a[i] = next() % 2 ? INT64_MAX - (int64_t)(next() % 3) : INT64_MIN + (int64_t)(next() % 3); break;
		}
	}
	if (shape == 9) /* nearly sorted: a few random swaps */
		for (size_t s = 0; s < n / 50 + 1; s++) {
			size_t i = next() % n, j = next() % n;
			int64_t t = a[i];
			a[i] = a[j];
			a[j] = t;
		}
}

static void fill_shape_f64(double *d, const int64_t *a, size_t n, int shape)
{
	static const double odd[] = { -INFINITY, -DBL_MAX, -1.0, -DBL_TRUE_MIN, -0.0, 0.0, DBL_MIN / 4, 1.0, DBL_MAX, INFINITY };
	if (shape < PROP_SHAPES) {
		for (size_t i = 0; i < n; i++)
			d[i] = (double)a[i];
	} else if (shape == PROP_SHAPES) {
		/* Pair slopes of points 32e9 apart on a line with noise, as in
		 * Theil-Sen: row i holds the slopes from point i to the next. */
		double x[101], y[101];
		size_t p = 2;
		while (p < 101 && p * (p - 1) / 2 < n)
			p++;
		for (size_t i = 0; i < p; i++) {
			x[i] = (double)i * 32e9 + (double)(next() % 1000000000);
			y[i] = 1e-5 * x[i] + ((double)(next() % 2000001) - 1e6) * 0.1;
		}
		size_t m = 0;
		for (size_t i = 0; i < p && m < n; i++)
			for (size_t j = i + 1; j < p && m < n; j++)
				d[m++] = (y[j] - y[i]) / (x[j] - x[i]);
		for (; m < n; m++)
			d[m] = d[next() % m];
	} else {
		for (size_t i = 0; i < n; i++)
			d[i] = odd[next() % (sizeof odd / sizeof odd[0])];
	}
}

/* An order-independent digest of the bit patterns: equal for a permutation
 * (signed zeros told apart), and for anything else equal with chance 2^-64. */
static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15u;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int cmp_f64(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-th of 40 ranks checked in n > 100: the ends, the middle, random. */
static size_t pick_k(size_t q, size_t n)
{
	if (q < 3)
		return q;
	if (q < 6)
		return n - 1 - (q - 3);
	if (q < 8)
		return n / 2 - (q - 6);
	return next() % n;
}

#define DEFINE_PROP(SUF, T, CMP)                                                                   \
	static uint64_t digest_##SUF(const T *v, size_t n)                                         \
	{                                                                                          \
		uint64_t h = 0;                                                                    \
		for (size_t i = 0; i < n; i++) {                                                   \
			uint64_t b;                                                                \
			memcpy(&b, &v[i], sizeof b);                                               \
			h += mix(b);                                                               \
		}                                                                                  \
		return h;                                                                          \
	}                                                                                          \
                                                                                                   \
	static void prop_##SUF(const T *in, T *v, T *sorted, size_t n, int shape)                  \
	{                                                                                          \
		memcpy(sorted, in, n * sizeof *sorted);                                            \
		qsort(sorted, n, sizeof *sorted, CMP);                                             \
		uint64_t h = digest_##SUF(in, n);                                                  \
		bool every = n <= 100 || (n >= 1022 && n <= 1026) || n == 2016;                    \
		size_t nk = every ? n : 40;                                                        \
		for (size_t q = 0; q < nk; q++) {                                                  \
			size_t k = every ? q : pick_k(q, n);                                       \
			memcpy(v, in, n * sizeof *v);                                              \
			T r = bft_select_##SUF(v, n, k);                                           \
			bool ok = r == sorted[k] && v[k] == r;                                     \
			for (size_t i = 0; i < k; i++)                                             \
				ok &= v[i] <= v[k];                                                \
			for (size_t i = k + 1; i < n; i++)                                         \
				ok &= v[i] >= v[k];                                                \
			if (!ok || digest_##SUF(v, n) != h)                                        \
				fail_msg(#SUF " select: shape %d, n %zu, k %zu", shape, n, k);     \
		}                                                                                  \
	}

DEFINE_PROP(i64, int64_t, cmp)
DEFINE_PROP(f64, double, cmp_f64)

/*
 * A permutation of 0..63 built by McIlroy's adversary ("A killer adversary for
 * quicksort", SP&E 1999) against this selection's pivots for k = 32: each
 * pivot turns out among the least of its range, so the range shrinks by a few
 * per step and the depth limit hands the last 41 elements to heapsort. If the
 * pivot rule changes it is just another permutation.
 */
static const int64_t killer64[64] = {
	1,  18, 6,  12, 24, 23, 10, 16, 0,  25, 26, 27, 28, 29, 30, 31, 32, 7,  15, 9,  33, 34,
	35, 36, 3,  37, 38, 39, 40, 22, 20, 14, 2,  8,  41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
	51, 52, 53, 54, 5,  55, 56, 57, 58, 21, 59, 19, 4,  17, 60, 13, 61, 11, 62, 63,
};

static void test_select_property(void **state)
{
	(void)state;
	int64_t *a = malloc(PROP_MAX * sizeof *a), *v = malloc(PROP_MAX * sizeof *v), *s = malloc(PROP_MAX * sizeof *s);
	double *d = malloc(PROP_MAX * sizeof *d), *dv = malloc(PROP_MAX * sizeof *dv), *ds = malloc(PROP_MAX * sizeof *ds);
	assert_non_null(a);
	assert_non_null(v);
	assert_non_null(s);
	assert_non_null(d);
	assert_non_null(dv);
	assert_non_null(ds);
	for (size_t i = 0; i < 64; i++)
		d[i] = (double)killer64[i];
	prop_i64(killer64, v, s, 64, -1);
	prop_f64(d, dv, ds, 64, -1);
	static const size_t extra[] = { 1022, 1023, 1024, 1025, 1026, 2016, PROP_MAX };
	size_t n = 1, e = 0;
	while (n <= PROP_MAX) {
		for (int shape = 0; shape < PROP_F64_SHAPES; shape++) {
			fill_shape(a, n, shape < PROP_SHAPES ? shape : 0);
			if (shape < PROP_SHAPES)
				prop_i64(a, v, s, n, shape);
			fill_shape_f64(d, a, n, shape);
			prop_f64(d, dv, ds, n, shape);
		}
		/* Every size to 100, then about 12% apart, with the thresholds. */
		size_t next_n = n < 100 ? n + 1 : n + n / 8;
		while (e < sizeof extra / sizeof extra[0] && extra[e] <= n)
			e++;
		n = e < sizeof extra / sizeof extra[0] && extra[e] < next_n ? extra[e] : next_n;
	}
	free(a);
	free(v);
	free(s);
	free(d);
	free(dv);
	free(ds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_intersect_hull_shift),
		cmocka_unit_test(test_sort_select),
		cmocka_unit_test(test_select_property),
	};
	return cmocka_run_group_tests_name("interval", tests, NULL, NULL);
}
