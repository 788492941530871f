/* SPDX-License-Identifier: MIT */
/* Benchmarks of the exchange patterns: round trips and repeated-transfer
 * intersection over n readings. */
#include "bench.h"

#include <stdlib.h>
#include <bftime/exchange.h>

struct rt_arg {
	int64_t *t;
	size_t n;
};

static void run_round_trips(void *arg)
{
	struct rt_arg *a = arg;
	bft_exchange_params p = { .dmin_ns = 1000, .rho_ppb = 50000, .stamp_err_ns = 10 };
	bft_reading r;
	int64_t acc = 0;
	for (size_t i = 0; i < a->n; i++) {
		const int64_t *t = &a->t[4 * i];
		if (bft_exchange_round_trip(&r, &p, t[0], t[1], t[2], t[3]) == 0)
			acc += r.offset.lo_ns;
	}
	bench_sink(acc);
}

struct rep_arg {
	bft_reading *r;
	size_t n;
};

static void run_repeated(void *arg)
{
	struct rep_arg *a = arg;
	bft_reading out;
	if (bft_exchange_repeated_intersect(&out, a->r, a->n, 50000, a->r[a->n - 1].local_ns) == 0)
		bench_sink(out.offset.lo_ns);
}

void bench_suite_exchange(void)
{
	enum { N = 10000 };
	struct rt_arg rt = { malloc(4 * N * sizeof(int64_t)), N };
	struct rep_arg rep = { malloc(N * sizeof(bft_reading)), N };
	if (!rt.t || !rep.r)
		abort();
	for (size_t i = 0; i < N; i++) {
		int64_t t1 = (int64_t)i * 1000000000, d = 5000000 + (int64_t)(bench_rand() % 1000000);
		rt.t[4 * i] = t1;
		rt.t[4 * i + 1] = t1 + d + 3000000;
		rt.t[4 * i + 2] = t1 + d + 3100000;
		rt.t[4 * i + 3] = t1 + 2 * d + 100000;
		rep.r[i] = (bft_reading){ t1, { -d, d }, 2 * d };
	}
	bench_baseline(N);
	bench_case("exchange.round_trip_x10000", N, run_round_trips, &rt);
	bench_case("exchange.repeated_intersect", N, run_repeated, &rep);
	free(rt.t);
	free(rep.r);
}
