/* SPDX-License-Identifier: MIT */
/*
 * Tests of the theoretical bounds: hand-computed values for every function
 * and its argument checks, plus seeded property tests where a bound is about
 * something we can simulate: the round-trip bound against exchanges between
 * two drifting clocks with random delays (it must hold, and be reached), the
 * Marzullo width bound against a brute-force fault-tolerant intersection of
 * random and adversarial intervals, and the round count against iterating
 * the contraction itself.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <bftime/bounds.h>
#include <bftime/interval.h>

#define S BFT_NS_PER_SEC
#define MS INT64_C(1000000)

static uint64_t rng_state = 0x243f6a8885a308d3u;
static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
static double uniform01(void) { return (double)(next_u64() >> 11) * 0x1p-53; }
static int64_t uniform_i64(int64_t lo, int64_t hi) { return lo + (int64_t)(next_u64() % (uint64_t)(hi - lo + 1)); }

static void test_min_n(void **state)
{
	(void)state;
	size_t n = 0;
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_FT_MIDPOINT, 1), 0);
	assert_true(n == 4);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_DLPSW_SYNC, 3), 0);
	assert_true(n == 10);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_DLPSW_ASYNC, 2), 0);
	assert_true(n == 11);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_MEDIAN, 3), 0);
	assert_true(n == 7);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_MARZULLO, 2), 0);
	assert_true(n == 5);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_BROOKS_IYENGAR, 1), 0);
	assert_true(n == 3);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_SRIKANTH_TOUEG_AUTH, 4), 0);
	assert_true(n == 9);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_FT_MIDPOINT, 0), 0);
	assert_true(n == 1);
	n = 77;
	assert_int_equal(bft_bound_min_n(&n, (enum bft_bound_alg)99, 1), BFT_EINVAL);
	assert_int_equal(bft_bound_min_n(&n, BFT_BOUND_DLPSW_ASYNC, SIZE_MAX / 4), BFT_EINVAL);
	assert_int_equal(bft_bound_min_n(NULL, BFT_BOUND_MEDIAN, 1), BFT_EINVAL);
	assert_true(n == 77); /* untouched on error */
}

static void test_convergence(void **state)
{
	(void)state;
	double k = -1;
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_FT_MIDPOINT, 4, 1), 0);
	assert_true(k == 0.5);
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_FT_MIDPOINT, 100, 1), 0);
	assert_true(k == 0.5); /* the midpoint does not get better with n */
	/* c = floor((n-2f-1)/f) + 1 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 4, 1), 0);
	assert_true(k == 0.5); /* floor(1/1)+1 = 2 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 7, 1), 0);
	assert_true(k == 0.2); /* floor(4/1)+1 = 5 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 10, 3), 0);
	assert_true(k == 0.5); /* floor(3/3)+1 = 2 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 13, 3), 0);
	assert_true(fabs(k - 1.0 / 3) < 1e-15); /* floor(6/3)+1 = 3 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 12, 3), 0);
	assert_true(k == 0.5); /* floor(5/3)+1 = 2 */
	/* asynchronous: c = floor((n-3f-1)/(2f)) + 1 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_ASYNC, 6, 1), 0);
	assert_true(k == 0.5); /* floor(2/2)+1 */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_ASYNC, 21, 2), 0);
	assert_true(k == 0.25); /* floor(14/4)+1 = 4 */
	/* f = 0: everyone computes the same value */
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_SYNC, 5, 0), 0);
	assert_true(k == 0.0);
	k = 7;
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_FT_MIDPOINT, 3, 1), BFT_EINVAL);
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_DLPSW_ASYNC, 5, 1), BFT_EINVAL);
	assert_int_equal(bft_bound_convergence(&k, BFT_BOUND_MEDIAN, 5, 1), BFT_EINVAL);
	assert_true(k == 7);
}

static void test_rounds(void **state)
{
	(void)state;
	unsigned r = 99;
	/* halving 1000 ns to 10: 1000/2^7 = 7.8 <= 10 < 15.6 */
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, 1000, 10, 0), 0);
	assert_true(r == 7);
	/* c = 5: 1000/125 = 8 <= 10 < 40 */
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_DLPSW_SYNC, 7, 1, 1000, 10, 0), 0);
	assert_true(r == 3);
	/* exact landing: 1024 -> 1 in 10 halvings */
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, 1024, 1, 0), 0);
	assert_true(r == 10);
	/* with 5 ns added per round the fixed point is 10: to 15 needs
	 * 10 + 990/2^k <= 15, k = 8 */
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, 1000, 15, 5), 0);
	assert_true(r == 8);
	r = 99;
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, 1000, 10, 5), BFT_ERANGE);
	assert_true(r == 99);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, 10, 10, 5), 0);
	assert_true(r == 0);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 0, 1000, 10, 0), 0);
	assert_true(r == 1);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 0, 1000, 10, 11), BFT_ERANGE);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, -1, 10, 0), BFT_EINVAL);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 3, 1, 100, 10, 0), BFT_EINVAL);
	/* the extremes do not overflow: 2^63-1 down to 1 by halving is 63 rounds */
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_FT_MIDPOINT, 4, 1, INT64_MAX, 1, 0), 0);
	assert_true(r == 63);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_DLPSW_SYNC, SIZE_MAX, 1, INT64_MAX, 0, 0), BFT_ERANGE);
	assert_int_equal(bft_bound_rounds(&r, BFT_BOUND_DLPSW_SYNC, SIZE_MAX, 1, INT64_MAX, 1, 0), 0);
	assert_true(r == 1);

	/* Property: iterating s <- s/c + e in long double reaches the target
	 * after exactly the reported number of rounds (away from ties). */
	for (int i = 0; i < 2000; i++) {
		size_t f = (size_t)uniform_i64(1, 4), n = 3 * f + 1 + (size_t)uniform_i64(0, 12);
		enum bft_bound_alg alg = i % 2 ? BFT_BOUND_FT_MIDPOINT : BFT_BOUND_DLPSW_SYNC;
		int64_t s0 = uniform_i64(0, 1000000000), e = uniform_i64(0, 1000), tg = uniform_i64(0, 1000000);
		double k;
		assert_int_equal(bft_bound_convergence(&k, alg, n, f), 0);
		int rc = bft_bound_rounds(&r, alg, n, f, s0, tg, e);
		long double c = 1.0L / (long double)k, fix = (long double)e * c / (c - 1), s = (long double)s0;
		if (rc == BFT_ERANGE) {
			assert_true((long double)tg <= fix * (1 + 1e-12L) && s0 > tg);
			continue;
		}
		assert_int_equal(rc, 0);
		for (unsigned j = 0; j < r; j++) {
			if (j + 1 < r) /* not yet there before the last round */
				assert_true(s / c + e > (long double)tg * (1 - 1e-12L));
			s = s / c + e;
		}
		assert_true(s <= (long double)tg * (1 + 1e-12L) + 1e-9L);
	}
}

static void test_welch_lynch(void **state)
{
	(void)state;
	int64_t p = -1;
	/* eps 1 ms, rho 100 ppm, P 10 s: 4 ms + 4 * 1 ms */
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, MS, 100000, 10 * S), 0);
	assert_true(p == 8 * MS);
	/* fault-free: 2 ms + 2 ms */
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 0, MS, 100000, 10 * S), 0);
	assert_true(p == 4 * MS);
	/* rounds up: 4 * 1 ppb * 1 ns is a fraction of a ns */
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, 0, 1, 1), 0);
	assert_true(p == 1);
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, 0, 0, 10 * S), 0);
	assert_true(p == 0);
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, INT64_MAX, 999999999, INT64_MAX), 0);
	assert_true(p == INT64_MAX); /* saturates */
	p = -1;
	assert_int_equal(bft_bound_wl_precision_ns(&p, 3, 1, MS, 100000, S), BFT_EINVAL);
	assert_int_equal(bft_bound_wl_precision_ns(&p, 0, 0, MS, 100000, S), BFT_EINVAL);
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, -1, 100000, S), BFT_EINVAL);
	assert_int_equal(bft_bound_wl_precision_ns(&p, 4, 1, MS, 1000000000, S), BFT_EINVAL);
	assert_true(p == -1);
}

static void test_lundelius_lynch(void **state)
{
	(void)state;
	int64_t p = -1;
	assert_int_equal(bft_bound_ll_lower_ns(&p, 4, 1000), 0);
	assert_true(p == 750);
	assert_int_equal(bft_bound_ll_lower_ns(&p, 3, 1000), 0);
	assert_true(p == 666); /* 666.67 rounded down: a lower bound */
	assert_int_equal(bft_bound_ll_lower_ns(&p, 1, 1000), 0);
	assert_true(p == 0); /* one clock agrees with itself */
	assert_int_equal(bft_bound_ll_lower_ns(&p, SIZE_MAX, INT64_MAX), 0);
	assert_true(p == INT64_MAX - 1);
	assert_int_equal(bft_bound_ll_lower_ns(&p, 0, 1000), BFT_EINVAL);
	assert_int_equal(bft_bound_ll_lower_ns(&p, 2, -1), BFT_EINVAL);
	/* the lower bound stays below the Welch-Lynch upper bound with eps = u */
	for (size_t n = 4; n < 40; n++) {
		int64_t lo, hi;
		assert_int_equal(bft_bound_ll_lower_ns(&lo, n, 3 * MS), 0);
		assert_int_equal(bft_bound_wl_precision_ns(&hi, n, (n - 1) / 3, 3 * MS, 0, 0), 0);
		assert_true(lo < hi);
	}
}

static void test_roundtrip_hand(void **state)
{
	(void)state;
	int64_t b = -1;
	/* rtt 10 ms, hold 2 ms, dmin 1 ms, perfect clocks: (10-2)/2 - 1 = 3 ms */
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, MS, 0, 0, 0), 0);
	assert_true(b == 3 * MS);
	/* 100 ppm each: span = ceil(1e7 * 1.0001/0.9999) = 10002001,
	 * W = 10002001 - 2e6 - (2 - 2e-4) * 1e6 = 6002201, half = 3001101 */
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, MS, 100000, 100000, 0), 0);
	assert_true(b == 3001101);
	/* and 1000 s later: + ceil(2e-4 * 1e12 / 0.9999) = 200020003 */
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, MS, 100000, 100000, 1000 * S), 0);
	assert_true(b == 203021104);
	/* one-sided drift */
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, MS, 100000, 0, 0), 0);
	assert_true(b == 3000551);
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, MS, 0, 100000, 0), 0);
	assert_true(b == 3000550);
	/* a zero-width round trip: rtt = hold + 2 dmin */
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, 4 * MS, 0, 0, 0), 0);
	assert_true(b == 0);
	b = -1;
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 11 * MS, 0, 0, 0, 0), BFT_EINVAL);
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10 * MS, 2 * MS, 5 * MS, 0, 0, 0), BFT_EINVAL);
	assert_int_equal(bft_bound_roundtrip_ns(&b, -1, 0, 0, 0, 0, 0), BFT_EINVAL);
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10, 0, 0, 0, 0, -1), BFT_EINVAL);
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10, 0, 0, -1, 0, 0), BFT_EINVAL);
	assert_int_equal(bft_bound_roundtrip_ns(&b, 10, 0, 0, 0, 1000000000, 0), BFT_EINVAL);
	assert_true(b == -1);
	assert_int_equal(bft_bound_roundtrip_ns(&b, INT64_MAX, 0, 0, 999999999, 999999999, INT64_MAX), 0);
	assert_true(b == INT64_MAX);
}

/* Simulated exchanges: client clock C = c0 + (1+ec) t, server clock
 * S = s0 + (1+es) t, |ec| <= rho_l, |es| <= rho_r, delays >= dmin. The true
 * offset S - C at t4 (and age later) lies in [lo, lo + 2*half] with
 * lo = t3 - t4 + dmin*(1 - rho_r), and within half + aged of that
 * interval's centre; extreme delays and rates reach the edge. */
static void test_roundtrip_property(void **state)
{
	(void)state;
	double worst_slack = 1e300;
	for (int i = 0; i < 20000; i++) {
		int64_t rl = uniform_i64(0, 200000), rr = uniform_i64(0, 200000);
		if (i % 4 == 0)
			rl = rr = 0;
		double ec = (uniform01() * 2 - 1) * (double)rl * 1e-9, es = (uniform01() * 2 - 1) * (double)rr * 1e-9;
		if (i % 3 == 0) { /* extreme rates, the worst case for the bound */
			ec = -(double)rl * 1e-9;
			es = (double)rr * 1e-9;
		}
		double dmin = (double)uniform_i64(0, 5 * MS);
		double d1 = dmin + (i % 5 == 0 ? 0 : uniform01() * 20e6), d2 = dmin + (i % 7 == 0 ? 0 : uniform01() * 20e6);
		double hold = uniform01() * 5e6, age = i % 2 ? uniform01() * 100e9 : 0;
		double c0 = 1e12 + uniform01() * 1e9, s0 = 1e12 + uniform01() * 1e9;
		double tau2 = d1, tau3 = d1 + hold, tau4 = tau3 + d2, tau5 = tau4 + age / (1 + ec);
		/* Timestamps are integers taken by truncation of the clocks. */
		int64_t t1 = (int64_t)floor(c0), t2 = (int64_t)floor(s0 + (1 + es) * tau2),
			t3 = (int64_t)floor(s0 + (1 + es) * tau3), t4 = (int64_t)floor(c0 + (1 + ec) * tau4);
		double theta = (s0 + (1 + es) * tau5) - (c0 + (1 + ec) * tau5);
		int64_t b;
		int64_t dm = (int64_t)dmin;
		if (2 * dm > (t4 - t1) - (t3 - t2))
			dm = ((t4 - t1) - (t3 - t2)) / 2; /* truncation can shave a ns off */
		if (dm < 0)
			dm = 0;
		int64_t age_ns = (int64_t)ceil(age);
		assert_int_equal(bft_bound_roundtrip_ns(&b, t4 - t1, t3 - t2, dm, rl, rr, age_ns), 0);
		int64_t half0;
		assert_int_equal(bft_bound_roundtrip_ns(&half0, t4 - t1, t3 - t2, dm, rl, rr, 0), 0);
		double lo = (double)(t3 - t4) + (double)dm * (1 - (double)rr * 1e-9);
		double centre = lo + (double)half0;
		/* 3 ns: timestamp truncation (1 ns each side) and doubles */
		double slack = (double)b + 3 - fabs(theta - centre);
		assert_true(slack >= 0);
		if (slack < worst_slack)
			worst_slack = slack;
	}
	/* the bound is reached, up to the rounding allowance */
	assert_true(worst_slack < 10);
}

/* Fault-tolerant intersection by brute force: the hull of the endpoints
 * covered by at least n - f intervals. Returns false if there is none. */
static bool marzullo_brute(const bft_interval *iv, size_t n, size_t f, bft_interval *out)
{
	bool any = false;
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < 2 * n; i++) {
		int64_t p = i < n ? iv[i].lo_ns : iv[i - n].hi_ns;
		size_t cover = 0;
		for (size_t j = 0; j < n; j++)
			cover += iv[j].lo_ns <= p && p <= iv[j].hi_ns;
		if (cover + f >= n) {
			if (!any || p < lo)
				lo = p;
			if (!any || p > hi)
				hi = p;
			any = true;
		}
	}
	*out = bft_iv(lo, hi);
	return any;
}

static void test_marzullo_width(void **state)
{
	(void)state;
	int64_t w = -1;
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 4, 1, 100), 0);
	assert_true(w == 100);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 3, 1, 100), 0);
	assert_true(w == 200);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 1, 0, 100), 0);
	assert_true(w == 100);
	w = -1;
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 2, 1, 100), BFT_EINVAL);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 1, 1, 100), BFT_EINVAL);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 4, 1, -1), BFT_EINVAL);
	assert_true(w == -1);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 3, 1, INT64_MAX), 0);
	assert_true(w == INT64_MAX);

	/* The 2x case is tight: correct [0, 10] and [10, 20] (truth 10), a
	 * faulty [0, 20]; every point of [0, 20] is covered twice. */
	bft_interval ex[3] = { { 0, 10 }, { 10, 20 }, { 0, 20 } }, res;
	assert_true(marzullo_brute(ex, 3, 1, &res));
	assert_true(res.lo_ns == 0 && res.hi_ns == 20);
	assert_int_equal(bft_bound_marzullo_width_ns(&w, 3, 1, 10), 0);
	assert_true(bft_iv_width(res) == w);

	/* Random instances: correct intervals hold the truth (0), the faulty
	 * ones are random or hug the correct ones' extremes to stretch the
	 * result as far as they can. The bound holds and the truth is inside. */
	for (int i = 0; i < 20000; i++) {
		size_t f = (size_t)uniform_i64(0, 4), n = 2 * f + 1 + (size_t)uniform_i64(0, 2 * f + 2);
		bft_interval iv[32];
		int64_t widest = 0, minlo = 0, maxhi = 0;
		size_t bad = (size_t)uniform_i64(0, (int64_t)f);
		for (size_t j = 0; j < n - bad; j++) {
			int64_t a = uniform_i64(0, 1000), b = uniform_i64(0, 1000);
			iv[j] = bft_iv(-a, b);
			widest = a + b > widest ? a + b : widest;
			minlo = -a < minlo ? -a : minlo;
			maxhi = b > maxhi ? b : maxhi;
		}
		for (size_t j = n - bad; j < n; j++) {
			if (i % 2) {
				int64_t c = uniform_i64(-3000, 3000), h = uniform_i64(0, 1500);
				iv[j] = bft_iv(c - h, c + h);
			} else {
				iv[j] = j % 2 ? bft_iv(minlo - 5000, minlo) : bft_iv(maxhi, maxhi + 5000);
			}
		}
		assert_true(marzullo_brute(iv, n, f, &res));
		assert_true(bft_iv_contains(res, 0));
		assert_int_equal(bft_bound_marzullo_width_ns(&w, n, f, widest), 0);
		assert_true(bft_iv_width(res) <= w);
	}
}

static void test_holdover_width(void **state)
{
	(void)state;
	int64_t w = -1;
	/* 2 us wide, 100 ppm, 1000 s: + 2 * 100 ms */
	assert_int_equal(bft_bound_holdover_width_ns(&w, 2000, 100000, 1000 * S), 0);
	assert_true(w == 200002000);
	assert_int_equal(bft_bound_holdover_width_ns(&w, 0, 1, 1), 0);
	assert_true(w == 2); /* each side rounds up */
	assert_int_equal(bft_bound_holdover_width_ns(&w, 10, 100000, -1000 * S), 0);
	assert_true(w == 200000010); /* carried backwards widens the same */
	assert_true(bft_iv_width(bft_iv_widen_drift(bft_iv(0, 10), 100000, -1000 * S)) == w);
	assert_int_equal(bft_bound_holdover_width_ns(&w, INT64_MAX, 1, 1), 0);
	assert_true(w == INT64_MAX);
	w = -1;
	assert_int_equal(bft_bound_holdover_width_ns(&w, -1, 1, 1), BFT_EINVAL);
	assert_int_equal(bft_bound_holdover_width_ns(&w, 1, -1, 1), BFT_EINVAL);
	assert_true(w == -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_min_n),
		cmocka_unit_test(test_convergence),
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_welch_lynch),
		cmocka_unit_test(test_lundelius_lynch),
		cmocka_unit_test(test_roundtrip_hand),
		cmocka_unit_test(test_roundtrip_property),
		cmocka_unit_test(test_marzullo_width),
		cmocka_unit_test(test_holdover_width),
	};
	return cmocka_run_group_tests_name("bounds", tests, NULL, NULL);
}
