/* SPDX-License-Identifier: MIT */
/*
 * A reference's point estimate (node.c, source_point): a lone node fed one
 * NTP-like burst by hand. Each exchange's interval is [t - d - back, t + d +
 * out]: the truth t, the path's fixed one-way delay d and each leg's queueing
 * delay. The least-delayed exchange's midpoint errs by (out - back) / 2; the
 * intersection of the burst's intervals by (least out - least back) / 2,
 * which is what the node must report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/node.h"
#include "proto/sign.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)
#define S INT64_C(1000000000)
#define EPOCH (INT64_C(1700000000) * S)

/* The node's oscillator runs exactly at true time, 3 s behind. */
static int64_t raw_of(int64_t t) { return t + 3 * S; }

static void drain(bft_node *n)
{
	bft_action a;
	while (bft_node_next_action(n, &a)) {
	}
}

static void test_burst_point_is_the_intersections_midpoint(void **state)
{
	(void)state;
	uint64_t secret = 42;
	bft_signer signer;
	bft_signer_sim(&signer, &secret);
	bft_node_config c;
	bft_node_config_default(&c);
	c.id = 1;
	c.max_refs = 1;
	c.f = 0;
	c.signer = &signer;
	c.disc.rho_ppb = 1000; /* 1 ppm: a 6 s carry widens an interval by 6 ns */
	bft_node *n;
	assert_int_equal(bft_node_create(&n, &c), 0);
	assert_int_equal(bft_node_start(n, raw_of(0)), 0);

	/* First a fitted frequency: 30 minutes of wide readings every 16 s,
	 * centred on the truth (until the fit is trained a reference's point
	 * is its newest reading alone). */
	int64_t t = 0;
	for (; t < 1800 * S; t += 16 * S) {
		assert_int_equal(bft_node_on_reference(n, raw_of(t), 0, bft_iv(EPOCH + t - 50 * MS, EPOCH + t + 50 * MS)), 0);
		assert_int_equal(bft_node_on_timer(n, raw_of(t)), 0);
		drain(n);
	}
	/* Then four exchanges 2 s apart on a 10 ms path: (out, back) queueing
	 * in us. The least delayed, (2000, 0), is 1 ms off, and the others'
	 * weights in a delay-weighted mean are 1/20 of its; the least out
	 * (100) and the least back (0) put the intersection's midpoint 50 us
	 * off. */
	static const int64_t q[4][2] = { { 100, 3000 }, { 3000, 150 }, { 2500, 2500 }, { 2000, 0 } };
	for (size_t i = 0; i < 4; i++, t += 2 * S) {
		bft_interval iv = bft_iv(EPOCH + t - 10 * MS - q[i][1] * US, EPOCH + t + 10 * MS + q[i][0] * US);
		assert_int_equal(bft_node_on_reference(n, raw_of(t), 0, iv), 0);
		assert_int_equal(bft_node_on_timer(n, raw_of(t)), 0);
		drain(n);
	}
	bft_source_info si;
	assert_int_equal(bft_node_sources(n, &si, 1), 1);
	int64_t err = si.point_ns - (EPOCH - 3 * S); /* true - raw is EPOCH - 3 s */
	assert_true(err > 50 * US - 5 * US && err < 50 * US + 5 * US);
	bft_estimate e;
	assert_int_equal(bft_node_read(n, raw_of(t), &e), 0);
	assert_true(bft_iv_contains(e.bounds, EPOCH + t));
	bft_node_destroy(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_point_is_the_intersections_midpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
