/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks of the fusion module: every function on n = 100, 1,000 and
 * 10,000 readings of which f = n/3 (3,333 of 10,000) are faulty.
 *
 * "realistic" readings: a correct reading is an interval of half-width
 * 10 us..1 ms whose centre is off the true time by less than its half-width;
 * a faulty one has the same shape but is centred anywhere within +-1 s and
 * misses the truth. "collude" readings (10,000 only): every faulty reading
 * touches the truth from one side or the other, so all their endpoints sit
 * among the correct ones, the hardest case for the windowed sweeps. Point
 * functions get the readings' midpoints.
 *
 * Each repetition is one call on const input: the functions copy what they
 * need into scratch themselves, so nothing is copied here.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#include <bftime/fusion.h>

struct fcase {
	const bft_interval *iv;
	const int64_t *v;
	size_t n, f;
	void *scratch;
};

static void sink_result(int rc, const bft_fusion_result *r)
{
	bench_sink(rc == 0 ? r->estimate_ns : rc);
}

static void run_marzullo(void *arg)
{
	struct fcase *c = arg;
	bft_fusion_result r;
	sink_result(bft_fusion_marzullo(&r, c->iv, c->n, c->f, c->scratch), &r);
}

static void run_brooks_iyengar(void *arg)
{
	struct fcase *c = arg;
	bft_fusion_result r;
	sink_result(bft_fusion_brooks_iyengar(&r, c->iv, c->n, c->f, c->scratch), &r);
}

static void run_ft_intersection(void *arg)
{
	struct fcase *c = arg;
	bft_fusion_result r;
	sink_result(bft_fusion_ft_intersection(&r, c->iv, c->n, c->f, c->scratch), &r);
}

static void run_ntp(void *arg)
{
	struct fcase *c = arg;
	bft_fusion_result r;
	sink_result(bft_exchange_ntp_intersection(&r, c->iv, c->n, c->scratch), &r);
}

static void run_ft_midpoint(void *arg)
{
	struct fcase *c = arg;
	int64_t x = 0;
	int rc = bft_fusion_ft_midpoint(&x, c->v, c->n, c->f, c->scratch);
	bench_sink(rc == 0 ? x : rc);
}

static void run_ft_average(void *arg)
{
	struct fcase *c = arg;
	int64_t x = 0;
	int rc = bft_fusion_ft_average(&x, c->v, c->n, c->f, c->scratch);
	bench_sink(rc == 0 ? x : rc);
}

static void run_shortest_mean(void *arg)
{
	struct fcase *c = arg;
	int64_t x = 0;
	int rc = bft_fusion_ft_shortest_mean(&x, c->v, c->n, c->f, c->scratch);
	bench_sink(rc == 0 ? x : rc);
}

static void run_median(void *arg)
{
	struct fcase *c = arg;
	int64_t x = 0;
	int rc = bft_fusion_median(&x, c->v, c->n, c->scratch);
	bench_sink(rc == 0 ? x : rc);
}

static int64_t uniform_ns(int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(bench_rand() % (uint64_t)(hi - lo + 1));
}

/* n readings, the f faulty ones placed by the given pattern, in random order. */
static void make_readings(bft_interval *iv, int64_t *v, size_t n, size_t f, int collude)
{
	const int64_t truth = INT64_C(1700000000000000000);
	for (size_t i = 0; i < n; i++) {
		int64_t half = uniform_ns(10000, 1000000), centre;
		if (i >= f) {
			centre = truth + uniform_ns(-half, half);
		} else if (collude) {
			/* touching-but-missing: starts at truth + 1 or ends at truth - 1 */
			centre = bench_rand() & 1 ? truth + 1 + half : truth - 1 - half;
		} else {
			centre = truth + uniform_ns(-BFT_NS_PER_SEC, BFT_NS_PER_SEC);
			if (centre - half <= truth && truth <= centre + half)
				centre += centre >= truth ? 2 * half + 1 : -2 * half - 1;
		}
		iv[i] = bft_iv(centre - half, centre + half);
	}
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(bench_rand() % i);
		bft_interval t = iv[i - 1];
		iv[i - 1] = iv[j];
		iv[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = bft_iv_mid(iv[i]);
}

static void bench_n(size_t n, int collude)
{
	struct fcase c;
	bft_interval *iv = malloc(n * sizeof *iv);
	int64_t *v = malloc(n * sizeof *v);
	void *scratch = malloc(bft_fusion_scratch_bytes(n));
	if (!iv || !v || !scratch) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	c.iv = iv;
	c.v = v;
	c.n = n;
	c.f = n / 3;
	c.scratch = scratch;
	make_readings(iv, v, n, c.f, collude);

	bench_baseline(n);
	if (collude) {
		bench_case("fusion.marzullo.collude", n, run_marzullo, &c);
		bench_case("fusion.brooks_iyengar.collude", n, run_brooks_iyengar, &c);
		bench_case("fusion.ntp_intersection.collude", n, run_ntp, &c);
	} else {
		bench_case("fusion.marzullo", n, run_marzullo, &c);
		bench_case("fusion.brooks_iyengar", n, run_brooks_iyengar, &c);
		bench_case("fusion.ft_intersection", n, run_ft_intersection, &c);
		bench_case("fusion.ntp_intersection", n, run_ntp, &c);
		bench_case("fusion.ft_midpoint", n, run_ft_midpoint, &c);
		bench_case("fusion.ft_average", n, run_ft_average, &c);
		bench_case("fusion.median", n, run_median, &c);
		bench_case("fusion.ft_shortest_mean", n, run_shortest_mean, &c);
	}
	free(iv);
	free(v);
	free(scratch);
}

void bench_suite_fusion(void)
{
	bench_n(100, 0);
	bench_n(1000, 0);
	bench_n(10000, 0);
	bench_n(10000, 1);
}
