/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks of the regress module: Theil-Sen and the repeated median (fast
 * paths) at n = 256, 1024 and 4096, where the target is under 5 ms at 4096;
 * their O(n^2) definitions at 1024 for comparison; and the interval variant
 * with Marzullo and Brooks-Iyengar at n = 64 and 256.
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

#include <bftime/regress.h>
#include "core/regress_ref.h"

struct fit_arg {
	const double *x, *y;
	size_t n;
	void *scratch;
};

static void run_ts(void *p)
{
	struct fit_arg *a = p;
	bft_fit f;
	if (bft_regress_theil_sen(&f, a->x, a->y, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_rm(void *p)
{
	struct fit_arg *a = p;
	bft_fit f;
	if (bft_regress_repeated_median(&f, a->x, a->y, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_ts_exact(void *p)
{
	struct fit_arg *a = p;
	bft_fit f;
	if (bft_ref_theil_sen(&f, a->x, a->y, a->n, a->scratch) == 0)
		bench_sink((int64_t)(f.slope * 1e12));
}

static void run_rm_exact(void *p)
{
	struct fit_arg *a = p;
	bft_fit f;
	if (bft_ref_repeated_median(&f, a->x, a->y, a->n, a->scratch) == 0)
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

static void bench_points(size_t n, bool exact)
{
	double *x = alloc_or_die(n * sizeof *x), *y = alloc_or_die(n * sizeof *y);
	size_t bytes = bft_regress_scratch_bytes(n);
	if (exact && bft_ref_theil_sen_scratch_bytes(n) > bytes)
		bytes = bft_ref_theil_sen_scratch_bytes(n);
	struct fit_arg a = { x, y, n, alloc_or_die(bytes) };
	fill_points(x, y, n);
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

void bench_suite_regress(void)
{
	bench_points(256, false);
	bench_points(1024, true);
	bench_points(4096, false);
	bench_interval(64);
	bench_interval(256);
}
