/* SPDX-License-Identifier: MIT */
/*
 * bftime demo: the core on generated readings. Round trips to n simulated
 * sources (real exchange arithmetic on simulated timestamps) give offset
 * intervals; some sources lie, colluding just outside the honest range; every
 * fusion algorithm then answers, and we show which answers hold the truth.
 * A second round adds one liar too many, to show detection instead of a
 * confident wrong answer. Then a drifting clock's history is fitted by the
 * robust estimators with a third of the samples corrupted.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/exchange.h>
#include <bftime/fusion.h>
#include <bftime/regress.h>

#include "core/prng.h"
#include "cli.h"

static uint64_t rng_state;

static double uniform(void)
{
	return (double)(bft_prng_u64(&rng_state) >> 11) * 0x1.0p-53;
}

static double ms(int64_t ns) { return (double)ns / 1e6; }

static void show(const char *name, int rc, bft_interval iv, int64_t est, int64_t truth)
{
	if (rc == BFT_EFAULTS) {
		printf("  %-22s ALARM: %s\n", name, bft_strerror(rc));
	} else if (rc) {
		printf("  %-22s error: %s\n", name, bft_strerror(rc));
	} else if (iv.lo_ns == iv.hi_ns) {
		printf("  %-22s %28s  %+9.3f ms\n", name, "(point estimate)", ms(est - truth));
	} else {
		char buf[64];
		snprintf(buf, sizeof buf, "[%+.3f, %+.3f] ms", ms(iv.lo_ns - truth), ms(iv.hi_ns - truth));
		printf("  %-22s %28s  %+9.3f ms  %s\n", name, buf, ms(est - truth),
		       bft_iv_contains(iv, truth) ? "holds truth" : "MISSES truth");
	}
}

static int fuse_round(size_t n, size_t f, size_t liars, int64_t lie_ns, int64_t truth)
{
	bft_interval *iv = calloc(n, sizeof *iv);
	int64_t *mid = calloc(n, sizeof *mid);
	void *scratch = malloc(bft_fusion_scratch_bytes(n));
	if (!iv || !mid || !scratch) {
		fprintf(stderr, "bftime demo: out of memory\n");
		free(iv);
		free(mid);
		free(scratch);
		return 1;
	}
	bft_exchange_params p = { .dmin_ns = 2000000, .rho_ppb = 50000, .stamp_err_ns = 1000 };
	printf("\n%zu sources, fusion told f = %zu, %zu of them lie by about %+.0f ms:\n", n, f, liars, ms(lie_ns));
	for (size_t i = 0; i < n; i++) {
		/* One round trip: 10 ms + exponential-ish jitter each way. */
		double d1 = 10e6 + 2e6 * -__builtin_log(1 - uniform()), d2 = 10e6 + 2e6 * -__builtin_log(1 - uniform());
		int64_t lie = 0;
		if (i < liars) /* collude, all one way */
			lie = lie_ns + (int64_t)(i * 100000);
		int64_t t1 = 1000000000, t2 = t1 + truth + lie + (int64_t)d1, t3 = t2 + 50000;
		int64_t t4 = t3 - truth - lie + (int64_t)d2;
		bft_reading r;
		if (bft_exchange_round_trip(&r, &p, t1, t2, t3, t4) != 0)
			r.offset = bft_iv(INT64_MIN, INT64_MAX);
		iv[i] = r.offset;
		mid[i] = bft_iv_mid(r.offset);
		printf("  source %2zu %-5s [%+8.3f, %+8.3f] ms  delay %.3f ms\n", i, i < liars ? "LIAR" : "", ms(iv[i].lo_ns - truth),
		       ms(iv[i].hi_ns - truth), ms(r.delay_ns));
	}
	printf("  %-22s %28s  %12s\n", "algorithm", "interval (rel. to truth)", "error");
	bft_fusion_result res;
	int rc = bft_fusion_marzullo(&res, iv, n, f, scratch);
	show("marzullo", rc, res.iv, res.estimate_ns, truth);
	rc = bft_fusion_brooks_iyengar(&res, iv, n, f, scratch);
	show("brooks-iyengar", rc, res.iv, res.estimate_ns, truth);
	rc = bft_fusion_ft_intersection(&res, iv, n, f, scratch);
	show("ft-intersection", rc, res.iv, res.estimate_ns, truth);
	rc = bft_exchange_ntp_intersection(&res, iv, n, scratch);
	show("ntp-intersection", rc, res.iv, res.estimate_ns, truth);
	int64_t v = 0;
	rc = bft_fusion_ft_midpoint(&v, mid, n, f, scratch);
	show("ft-midpoint", rc, bft_iv(v, v), v, truth);
	rc = bft_fusion_ft_average(&v, mid, n, f, scratch);
	show("ft-average", rc, bft_iv(v, v), v, truth);
	rc = bft_fusion_median(&v, mid, n, scratch);
	show("median", rc, bft_iv(v, v), v, truth);
	free(iv);
	free(mid);
	free(scratch);
	return 0;
}

static int regress_round(size_t n, double corrupt)
{
	double *x = calloc(n, sizeof *x), *y = calloc(n, sizeof *y);
	void *scratch = malloc(bft_regress_scratch_bytes(n));
	if (!x || !y || !scratch) {
		free(x);
		free(y);
		free(scratch);
		return 1;
	}
	const double a = 3.2e6, b = 47.5e-6; /* 3.2 ms offset, 47.5 ppm fast */
	size_t bad = (size_t)((double)n * corrupt);
	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i * 16e9;
		y[i] = a + b * x[i] + (uniform() - 0.5) * 2e5;
		if (i % (n / bad + 1) == 0) /* spoofed samples: a second, steeper line */
			y[i] = a + 400e-6 * x[i] + 5e6;
	}
	printf("\nrate and offset from %zu samples 16 s apart, %.0f%% corrupted (truth: %.3f ms, %.3f ppm):\n", n,
	       corrupt * 100, a / 1e6, b * 1e6);
	bft_fit fit;
	if (bft_regress_theil_sen(&fit, x, y, n, scratch) == 0)
		printf("  %-22s %.3f ms, %.3f ppm\n", "theil-sen", fit.intercept / 1e6, fit.slope * 1e6);
	if (bft_regress_repeated_median(&fit, x, y, n, scratch) == 0)
		printf("  %-22s %.3f ms, %.3f ppm\n", "repeated median", fit.intercept / 1e6, fit.slope * 1e6);
	free(x);
	free(y);
	free(scratch);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	unsigned long seed = 1;
	const char *s = NULL;
	if (cli_one_option(argc, argv, "seed", &s, "usage: bftime demo [--seed N]\n"))
		return 2;
	if (s)
		seed = strtoul(s, NULL, 10);
	rng_state = seed;
	printf("bftime demo (seed %lu): offsets of simulated sources to our clock, as intervals.\n", seed);
	int64_t truth = 7300000; /* the sources are 7.3 ms ahead of us */
	/* f liars inside the honest range: every interval answer holds the truth.
	 * f + 1 liars far off: the interval functions raise the alarm. f + 1
	 * liars overlapping the honest range cannot be told from honest ones by
	 * any algorithm; the answers move, which is why f must be sized right. */
	if (fuse_round(10, 3, 3, 14000000, truth) || fuse_round(10, 3, 4, 40000000, truth) ||
	    fuse_round(10, 3, 4, 14000000, truth) || regress_round(200, 0.25))
		return 1;
	return 0;
}
