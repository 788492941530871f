/* SPDX-License-Identifier: MIT */
/*
 * Tests of the exchange patterns: hand-computed cases, the Sensor Fusion
 * Framework's repeated-transfer example, and seeded property tests that
 * simulate two drifting clocks and random delays, checking that the interval
 * holds the true offset whenever the assumptions hold, and that a broken
 * assumption can make it miss (so the property can fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <bftime/exchange.h>

#define S BFT_NS_PER_SEC
#define MS INT64_C(1000000)

static void test_sff_example(void **state)
{
	(void)state;
	/* The exact case: [2.0 s, 3.0 s] then [1.5 s, 2.5 s] measured
	 * 1000 s later, 100 ppm bound: the first widens to [1.8 s, 3.2 s]. */
	bft_reading r[2] = {
		{ .local_ns = 0, .offset = { 2 * S, 3 * S }, .delay_ns = -1 },
		{ .local_ns = 1000 * S, .offset = { 3 * S / 2, 5 * S / 2 }, .delay_ns = -1 },
	};
	bft_reading out;
	assert_int_equal(bft_exchange_repeated_intersect(&out, r, 2, 100000, 1000 * S), 0);
	assert_true(out.offset.lo_ns == 18 * S / 10);
	assert_true(out.offset.hi_ns == 5 * S / 2);
	assert_true(out.local_ns == 1000 * S);
	/* Without the drift widening they would give the narrower [2.0, 2.5]. */
	assert_int_equal(bft_exchange_repeated_intersect(&out, r, 2, 0, 1000 * S), 0);
	assert_true(out.offset.lo_ns == 2 * S && out.offset.hi_ns == 5 * S / 2);
	/* Disjoint after widening: a reading broke its assumptions. */
	r[1].offset = bft_iv(0, S);
	assert_int_equal(bft_exchange_repeated_intersect(&out, r, 2, 100000, 1000 * S), BFT_EFAULTS);
	assert_int_equal(bft_exchange_repeated_intersect(&out, r, 0, 100000, 0), BFT_EEMPTY);
}

static void test_round_trip_hand(void **state)
{
	(void)state;
	/* Remote is 5 ms ahead, 10 ms each way, 1 ms processing, no drift. */
	bft_exchange_params p = { .dmin_ns = 2 * MS };
	bft_reading r;
	int64_t t1 = 100 * MS, t2 = t1 + 5 * MS + 10 * MS, t3 = t2 + 1 * MS, t4 = t3 - 5 * MS + 10 * MS;
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t3, t4), 0);
	assert_true(r.delay_ns == 20 * MS);
	/* [t3 - t4 + dmin, t2 - t1 - dmin] = [-5+2, 15-2] ms */
	assert_true(r.offset.lo_ns == -3 * MS && r.offset.hi_ns == 13 * MS);
	assert_true(bft_iv_contains(r.offset, 5 * MS));
	assert_true(r.local_ns == t4);
	/* A known dmax tightens it: [15-12, -5+12] = [3, 7] ms. */
	p.dmax_ns = 12 * MS;
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t3, t4), 0);
	assert_true(r.offset.lo_ns == 3 * MS && r.offset.hi_ns == 7 * MS);
	/* A round trip shorter than 2*dmin is impossible: faulty. */
	p.dmax_ns = 0;
	p.dmin_ns = 11 * MS;
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t3, t4), BFT_EFAULTS);
	assert_int_equal(bft_exchange_round_trip(&r, &p, t4, t2, t3, t1), BFT_EINVAL);
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t3, t2, t4), BFT_EINVAL);
	p.dmin_ns = -1;
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t3, t4), BFT_EINVAL);
	/* Hostile timestamps saturate instead of overflowing. */
	p.dmin_ns = 0;
	assert_int_equal(bft_exchange_round_trip(&r, &p, INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX), 0);
	assert_true(r.offset.hi_ns == INT64_MAX);
}

static void test_one_way_hand(void **state)
{
	(void)state;
	bft_exchange_params p = { .dmin_ns = 1 * MS, .dmax_ns = 30 * MS };
	bft_reading r;
	assert_int_equal(bft_exchange_one_way(&r, &p, 50 * MS, 40 * MS), 0);
	assert_true(r.offset.lo_ns == 11 * MS && r.offset.hi_ns == 40 * MS && r.delay_ns == -1);
	p.dmax_ns = 0;
	assert_int_equal(bft_exchange_one_way(&r, &p, 50 * MS, 40 * MS), 0);
	assert_true(r.offset.hi_ns == INT64_MAX);
	assert_true(bft_exchange_min_delay(&r, 1) == -1);
}

/* --- simulated clocks --------------------------------------------------- */

static uint64_t rng;
static double uni(void) /* [0,1) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) * 0x1.0p-53;
}

struct clk {
	double base_ns, rate; /* reading = base + rate * true_time */
};
static int64_t rd(const struct clk *c, double t) { return (int64_t)(c->base_ns + c->rate * t + 0.5); }

struct world {
	struct clk a, b; /* a: initiator, b: responder */
	double dmin, dmax;
	bft_exchange_params p;
};

static void make_world(struct world *w, int64_t rho_ppb)
{
	double rho = (double)rho_ppb * 1e-9;
	w->a.base_ns = 1e12 * uni();
	w->b.base_ns = w->a.base_ns + (uni() - 0.5) * 2e9;
	w->a.rate = 1 + rho * (2 * uni() - 1);
	w->b.rate = 1 + rho * (2 * uni() - 1);
	w->dmin = 1e6 * uni();
	w->dmax = w->dmin + 50e6 * uni();
	w->p = (bft_exchange_params){ .dmin_ns = (int64_t)w->dmin, .dmax_ns = (int64_t)w->dmax + 1, .rho_ppb = rho_ppb,
		                      .stamp_err_ns = 1 };
}

static double delay(const struct world *w) { return w->dmin + (w->dmax - w->dmin) * uni(); }

static void test_round_trip_property(void **state)
{
	(void)state;
	int ok = 0, cases = 0;
	rng = 0x1234567u;
	for (int seed = 0; seed < 20000; seed++) {
		struct world w;
		make_world(&w, seed % 2 ? 100000 : 20000);
		if (seed % 3 == 0)
			w.p.dmax_ns = 0;
		double s = 1e9 + 1e10 * uni(), d1 = delay(&w), proc = 1e9 * uni(), d2 = delay(&w);
		double T2 = s + d1, T3 = T2 + proc, T4 = T3 + d2;
		bft_reading r;
		int rc = bft_exchange_round_trip(&r, &w.p, rd(&w.a, s), rd(&w.b, T2), rd(&w.b, T3), rd(&w.a, T4));
		assert_int_equal(rc, 0);
		int64_t truth = rd(&w.b, T4) - rd(&w.a, T4);
		cases++;
		ok += bft_iv_contains(r.offset, truth);
		/* The responder's view through the third message. */
		double d3 = delay(&w), T5 = T4 + 1e6 * uni(), T6 = T5 + d3;
		rc = bft_exchange_triple_responder(&r, &w.p, rd(&w.a, s), rd(&w.b, T2), rd(&w.b, T3), rd(&w.a, T4), rd(&w.a, T5),
		                          rd(&w.b, T6));
		assert_int_equal(rc, 0);
		cases++;
		ok += bft_iv_contains(r.offset, rd(&w.a, T6) - rd(&w.b, T6));
	}
	printf("round trip + triple transfer: %d of %d intervals hold the true offset\n", ok, cases);
	assert_int_equal(ok, cases);
}

/* Repeated transfers over hours with drifting clocks: the intersection of
 * drift-widened readings still holds the truth, and it is no wider than the
 * least-delayed reading carried to the same time. */
static void test_repeated_property(void **state)
{
	(void)state;
	enum { K = 16 };
	int ok = 0, cases = 0;
	rng = 0xfeedbeefu;
	for (int seed = 0; seed < 5000; seed++) {
		struct world w;
		make_world(&w, 50000);
		bft_reading r[K];
		double t = 0;
		for (int k = 0; k < K; k++) {
			t += 1e9 + 600e9 * uni();
			double d1 = delay(&w), d2 = delay(&w);
			assert_int_equal(bft_exchange_round_trip(&r[k], &w.p, rd(&w.a, t), rd(&w.b, t + d1), rd(&w.b, t + d1 + 1e5),
			                                 rd(&w.a, t + d1 + 1e5 + d2)),
			                 0);
		}
		double tq = t + 1e11 * uni();
		bft_reading out;
		assert_int_equal(bft_exchange_repeated_intersect(&out, r, K, w.p.rho_ppb, rd(&w.a, tq)), 0);
		cases++;
		ok += bft_iv_contains(out.offset, rd(&w.b, tq) - rd(&w.a, tq));
		long best = bft_exchange_min_delay(r, K);
		assert_true(best >= 0);
		assert_true(bft_iv_width(out.offset) <= bft_iv_width(bft_exchange_reading_at(&r[best], w.p.rho_ppb, rd(&w.a, tq))));
	}
	printf("repeated transfers: %d of %d intersections hold the true offset\n", ok, cases);
	assert_int_equal(ok, cases);
}

/* A delay shorter than the claimed dmin (a broken assumption, as an attacker
 * on the path can arrange) must be able to produce an interval that misses:
 * otherwise the property above could not fail. */
static void test_broken_assumption_misses(void **state)
{
	(void)state;
	int missed = 0;
	rng = 42;
	for (int seed = 0; seed < 1000; seed++) {
		struct world w;
		make_world(&w, 0);
		w.p.dmax_ns = 0;
		w.p.dmin_ns = (int64_t)(w.dmax * 2); /* claimed, but false */
		double s = 1e9, d1 = delay(&w), d2 = delay(&w) + 3 * w.dmax;
		bft_reading r;
		int rc = bft_exchange_round_trip(&r, &w.p, rd(&w.a, s), rd(&w.b, s + d1), rd(&w.b, s + d1), rd(&w.a, s + d1 + d2));
		if (rc == 0 && !bft_iv_contains(r.offset, rd(&w.b, s + d1 + d2) - rd(&w.a, s + d1 + d2)))
			missed++;
	}
	printf("broken dmin assumption: %d of 1000 intervals miss the truth\n", missed);
	assert_true(missed > 0);
}

/* A fast server that randomizes the bits below its precision (chronyd)
 * can stamp its transmit before its receive: within twice the stamp error
 * the exchange is honest and accepted, and its interval holds the truth;
 * beyond that no honest stamps can read so. */
static void test_round_trip_t3_before_t2(void **state)
{
	(void)state;
	const int64_t US = 1000;
	bft_exchange_params p = { .stamp_err_ns = 2 * US };
	/* True offset +5 ms, 1 ms each way, no processing time: honest
	 * stamps t2 = 1006 ms, t3 = 1006 ms, read 3 us apart the wrong way. */
	bft_reading r;
	int64_t t1 = 1000 * MS, t4 = 1002 * MS, t2 = 1006 * MS + 1 * US, t3 = 1006 * MS - 2 * US;
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t3, t4), 0);
	assert_true(r.offset.lo_ns <= 5 * MS && 5 * MS <= r.offset.hi_ns);
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t2 - 4 * US, t4), 0);
	assert_int_equal(bft_exchange_round_trip(&r, &p, t1, t2, t2 - 4 * US - 1, t4), BFT_EINVAL);
	assert_int_equal(bft_exchange_round_trip(&r, &p, t4 + 4 * US + 1, t2, t3, t4), BFT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sff_example),
		cmocka_unit_test(test_round_trip_hand),
		cmocka_unit_test(test_round_trip_t3_before_t2),
		cmocka_unit_test(test_one_way_hand),
		cmocka_unit_test(test_round_trip_property),
		cmocka_unit_test(test_repeated_property),
		cmocka_unit_test(test_broken_assumption_misses),
	};
	return cmocka_run_group_tests_name("exchange", tests, NULL, NULL);
}
