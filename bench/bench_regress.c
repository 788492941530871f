/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks of the regress module: Theil-Sen and the repeated median (fast
 * paths) at n = 256, 1024 and 4096, where the target is under 5 ms at 4096;
 * their O(n^2) definitions at 1024 for comparison; both at n = 64, the
 * discipline's window, where they take the O(n^2) path (Theil-Sen: the median
 * of 2016 pair slopes); the interval variant with Marzullo and Brooks-Iyengar
 * at n = 64 and 256; and the selection under those medians (src/core/order.c)
 * on the 2016 pair slopes of 64 such points and on uniform doubles.
 *
 * Inputs look like a node's history: samples 16 s apart (jittered) of a
 * clock 47.5 ppm fast with 100 us of noise, a fifth of them replaced by
 * outliers; for the interval variant, offset intervals 0.2-2 ms wide and
 * (n-1)/4 of them faulty.
 */
#include "bench.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/regress.h>
#include "core/order.h"
#include "core/regress_ref.h"

/*
 * Inputs that matter at small n come in SETS different arrays, one per
 * repetition in turn. On one array repeated, the branch predictor learns a
 * quickselect's comparisons (a 2016-element median then looks 3x faster than
 * on fresh data), which measures what the discipline never sees: its every
 * fit has new samples.
 */
enum { SETS = 256 };

/* sets point sets of n points each, one per repetition in turn. */
struct fit_arg {
	const double *x, *y;
	size_t n, sets, next;
	void *scratch;
};

static size_t next_set(struct fit_arg *a)
{
	size_t at = a->next * a->n;
	a->next = (a->next + 1) % a->sets;
	return at;
}

static void run_ts(void *p)
{
	struct fit_arg *a = p;
	size_t at = next_set(a);
	bft_fit f;
	if (bft_regress_theil_sen(&f, a->x + at, a->y + at, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_rm(void *p)
{
	struct fit_arg *a = p;
	size_t at = next_set(a);
	bft_fit f;
	if (bft_regress_repeated_median(&f, a->x + at, a->y + at, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_ts_exact(void *p)
{
	struct fit_arg *a = p;
	size_t at = next_set(a);
	bft_fit f;
	if (bft_ref_theil_sen(&f, a->x + at, a->y + at, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_rm_exact(void *p)
{
	struct fit_arg *a = p;
	size_t at = next_set(a);
	bft_fit f;
	if (bft_ref_repeated_median(&f, a->x + at, a->y + at, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

struct iv_arg {
	const int64_t *x;
	const bft_interval *y;
	size_t n, f;
	enum bft_fuse how;
	void *scratch;
};

static void run_iv(void *p)
{
	struct iv_arg *a = p;
	bft_interval_fit r;
	if (bft_regress_interval(&r, a->x, a->y, a->n, a->f, 100000, a->x[a->n - 1], a->how, a->scratch) == 0)
		bench_sink(r.offset_est_ns + r.slope_est_fsps);
}

static void *alloc_or_die(size_t bytes)
{
	void *p = malloc(bytes ? bytes : 1);
	if (!p) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return p;
}

static void fill_points(double *x, double *y, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i * 16e9 + bench_uniform() * 1e9;
		double noise = (bench_uniform() + bench_uniform() + bench_uniform() - 1.5) * 2e5;
		y[i] = 3.2e6 + 47.5e-6 * x[i] + noise;
		if (bench_uniform() < 0.2)
			y[i] += 1e6 + bench_uniform() * 1e9;
	}
}

/* The fits of sets point sets in turn (1: the same input every repetition). */
static void bench_points(size_t n, bool exact, size_t sets)
{
	double *x = alloc_or_die(sets * n * sizeof *x), *y = alloc_or_die(sets * n * sizeof *y);
	size_t bytes = bft_regress_scratch_bytes(n);
	if (exact && bft_ref_theil_sen_scratch_bytes(n) > bytes)
		bytes = bft_ref_theil_sen_scratch_bytes(n);
	struct fit_arg a = { x, y, n, sets, 0, alloc_or_die(bytes) };
	for (size_t s = 0; s < sets; s++)
		fill_points(x + s * n, y + s * n, n);
	bench_baseline(n);
	bench_case("regress.theil_sen", n, run_ts, &a);
	bench_case("regress.repeated_median", n, run_rm, &a);
	if (exact) {
		bench_case("regress.theil_sen_exact_n2", n, run_ts_exact, &a);
		bench_case("regress.repeated_median_exact_n2", n, run_rm_exact, &a);
	}
	free(a.scratch);
	free(x);
	free(y);
}

static void bench_interval(size_t n)
{
	int64_t *x = alloc_or_die(n * sizeof *x);
	bft_interval *y = alloc_or_die(n * sizeof *y);
	size_t f = (n - 1) / 4;
	for (size_t i = 0; i < n; i++) {
		x[i] = (int64_t)i * 16000000000 + (int64_t)(bench_uniform() * 1e9);
		int64_t truth = 3200000 + (int64_t)(47.5e-6 * (double)x[i]);
		int64_t w = 100000 + (int64_t)(bench_uniform() * 900000);
		y[i] = bft_iv(truth - w, truth + w);
	}
	for (size_t k = 0; k < f; k++) {
		size_t i = (size_t)(bench_rand() % n);
		y[i] = bft_iv(y[i].hi_ns + 1, y[i].hi_ns + 1000000);
	}
	struct iv_arg a = { x, y, n, f, BFT_FUSE_MARZULLO, alloc_or_die(bft_regress_interval_scratch_bytes(n)) };
	bench_baseline(n);
	bench_case("regress.interval_marzullo", n, run_iv, &a);
	a.how = BFT_FUSE_BROOKS_IYENGAR;
	bench_case("regress.interval_brooks_iyengar", n, run_iv, &a);
	free(a.scratch);
	free(x);
	free(y);
}

struct select_arg {
	double *src, *work;
	size_t n, k, next;
};

static void run_select(void *p)
{
	struct select_arg *a = p;
	memcpy(a->work, a->src + a->next * a->n, a->n * sizeof *a->work);
	a->next = (a->next + 1) % SETS;
	bench_sink((int64_t)(bft_select_f64(a->work, a->n, a->k) * 1e12));
}

/* The pair slopes of 64 points as fill_points makes them (n = 2016), or n
 * uniform doubles; the median. */
static void bench_select(const char *name, size_t n, bool slopes)
{
	struct select_arg a = { alloc_or_die(SETS * n * sizeof(double)), alloc_or_die(n * sizeof(double)), n,
		                n / 2, 0 };
	for (size_t s = 0; s < SETS; s++) {
		double *v = a.src + s * n;
		if (slopes) {
			double x[64], y[64];
			fill_points(x, y, 64);
			size_t m = 0;
			for (size_t i = 0; i < 64; i++)
				for (size_t j = i + 1; j < 64; j++)
					v[m++] = bft_pair_slope(x[i], y[i], x[j], y[j]);
		} else {
			for (size_t i = 0; i < n; i++)
				v[i] = bench_uniform();
		}
	}
	bench_baseline(n);
	bench_case(name, n, run_select, &a);
	free(a.src);
	free(a.work);
}

void bench_suite_regress(void)
{
	bench_points(64, false, SETS);
	bench_select("order.select_f64_slopes", 2016, true);
	bench_select("order.select_f64", 300, false);
	bench_select("order.select_f64", 4000, false);
	bench_select("order.select_f64", 12000, false);
	bench_points(256, false, 1);
	bench_points(1024, true, 1);
	bench_points(4096, false, 1);
	bench_interval(64);
	bench_interval(256);
}
