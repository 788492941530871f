/* SPDX-License-Identifier: MIT */
/* Unit tests of interval arithmetic and of the core's sort/select primitives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saturation),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_intersect_hull_shift),
		cmocka_unit_test(test_sort_select),
	};
	return cmocka_run_group_tests_name("interval", tests, NULL, NULL);
}
