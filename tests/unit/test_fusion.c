/* SPDX-License-Identifier: MIT */
/*
 * Tests of the fusion module: hand-computed cases (textbook examples, rounding,
 * INT64 extremes, argument checks), then property tests over thousands of
 * deterministic seeds in which the faulty readings are placed adversarially
 * (touching-but-missing the truth, straddling correct clusters, colluding on
 * one side, two-faced, huge, tiny, duplicated), and cross-checks against
 * straightforward O(n^2) reference implementations written independently of
 * the windowed sweeps in src/core/fusion.c.
 *
 * Every call gets input and scratch in heap blocks of exactly the documented
 * size, so ASan catches any read or write past them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/fusion.h>

__extension__ typedef __int128 i128;

/* ------------------------------------------------------------------------ */
/* Deterministic randomness and failure context                             */

static uint64_t rng_state;
static void rng_seed(uint64_t seed) { rng_state = seed * 0x9e3779b97f4a7c15u ^ 0x632be59bd9b4e019u; }
static uint64_t rng(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}
static uint64_t below(uint64_t m) { return m ? rng() % m : 0; }
static bool chance(unsigned pct) { return below(100) < pct; }

static char ctx[160];
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			print_error("%s: check failed at line %d: %s\n", ctx, __LINE__, #c); \
			fail();                                                               \
		}                                                                             \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Calls with exactly-sized heap copies of input and scratch                */

enum fn { F_MARZULLO, F_BI, F_FTI, F_NTP };

static int call_iv(enum fn which, bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f)
{
	bft_interval *in = malloc(n * sizeof *in + 1);
	void *scratch = malloc(bft_fusion_scratch_bytes(n) + 1);
	assert_non_null(in);
	assert_non_null(scratch);
	memcpy(in, iv, n * sizeof *in);
	int rc = BFT_EINVAL;
	switch (which) {
	case F_MARZULLO: rc = bft_fusion_marzullo(out, in, n, f, scratch); break;
	case F_BI: rc = bft_fusion_brooks_iyengar(out, in, n, f, scratch); break;
	case F_FTI: rc = bft_fusion_ft_intersection(out, in, n, f, scratch); break;
	case F_NTP: rc = bft_exchange_ntp_intersection(out, in, n, scratch); break;
	}
	CHECK(memcmp(in, iv, n * sizeof *in) == 0); /* input untouched */
	free(in);
	free(scratch);
	return rc;
}

enum pfn { P_FTM, P_FTA, P_MEDIAN };

static int call_pt(enum pfn which, int64_t *out, const int64_t *v, size_t n, size_t f)
{
	int64_t *in = malloc(n * sizeof *in + 1);
	void *scratch = malloc(bft_fusion_scratch_bytes(n) + 1);
	assert_non_null(in);
	assert_non_null(scratch);
	memcpy(in, v, n * sizeof *in);
	int rc = BFT_EINVAL;
	switch (which) {
	case P_FTM: rc = bft_fusion_ft_midpoint(out, in, n, f, scratch); break;
	case P_FTA: rc = bft_fusion_ft_average(out, in, n, f, scratch); break;
	case P_MEDIAN: rc = bft_fusion_median(out, in, n, scratch); break;
	}
	CHECK(memcmp(in, v, n * sizeof *in) == 0);
	free(in);
	free(scratch);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reference implementations: direct, quadratic, exact                      */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* floor((a + b) / 2) for a <= b, in 128 bits. */
static int64_t ref_mid(int64_t a, int64_t b) { return (int64_t)((i128)a + ((i128)b - a) / 2); }

static i128 floor_div(i128 s, i128 m)
{
	i128 q = s / m;
	return (s % m < 0) ? q - 1 : q;
}

static size_t coverage(const bft_interval *iv, size_t n, int64_t x)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += iv[i].lo_ns <= x && x <= iv[i].hi_ns;
	return c;
}

static size_t max_coverage(const bft_interval *iv, size_t n)
{
	size_t best = 0;
	for (size_t i = 0; i < n; i++) {
		size_t c = coverage(iv, n, iv[i].lo_ns);
		if (c > best)
			best = c;
	}
	return best;
}

static size_t intersecting(const bft_interval *iv, size_t n, bft_interval r)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += iv[i].lo_ns <= r.hi_ns && iv[i].hi_ns >= r.lo_ns;
	return c;
}

/* Marzullo by definition: the extreme points covered n - f times are
 * endpoints, and so is a point of maximum coverage. */
static int ref_marzullo(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f)
{
	size_t need = n - f, best = 0;
	bool any = false;
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		size_t c = coverage(iv, n, iv[i].lo_ns);
		if (c > best)
			best = c;
		if (c >= need && (!any || iv[i].lo_ns < lo)) {
			lo = iv[i].lo_ns;
			any = true;
		}
	}
	if (!any)
		return BFT_EFAULTS;
	hi = lo;
	for (size_t i = 0; i < n; i++)
		if (coverage(iv, n, iv[i].hi_ns) >= need && iv[i].hi_ns > hi)
			hi = iv[i].hi_ns;
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = ref_mid(lo, hi);
	out->count = best;
	return 0;
}

/* Readings covering the whole open stretch (a, b) between consecutive
 * distinct endpoints a < b. */
static size_t open_coverage(const bft_interval *iv, size_t n, int64_t a, int64_t b)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += iv[i].lo_ns <= a && iv[i].hi_ns >= b;
	return c;
}

/* Brooks-Iyengar by the region definition in fusion.h: stretches between
 * consecutive distinct endpoints, and points covered more than both
 * neighbouring stretches. Weighted sum of midpoints directly in 128 bits. */
static int ref_bi(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f)
{
	size_t need = n - f, d = 0;
	int64_t *vals = malloc(2 * n * sizeof *vals);
	assert_non_null(vals);
	for (size_t i = 0; i < n; i++) {
		vals[2 * i] = iv[i].lo_ns;
		vals[2 * i + 1] = iv[i].hi_ns;
	}
	qsort(vals, 2 * n, sizeof *vals, cmp_i64);
	for (size_t i = 0; i < 2 * n; i++)
		if (d == 0 || vals[i] != vals[d - 1])
			vals[d++] = vals[i];
	i128 sum = 0, wsum = 0;
	bool any = false;
	int64_t lo = 0, hi = 0;
	for (size_t k = 0; k < d; k++) {
		int64_t v = vals[k];
		size_t cp = coverage(iv, n, v);
		size_t gl = k > 0 ? open_coverage(iv, n, vals[k - 1], v) : 0;
		size_t gr = k + 1 < d ? open_coverage(iv, n, v, vals[k + 1]) : 0;
		if (cp > gl && cp > gr && cp >= need) {
			if (!any)
				lo = v;
			any = true;
			hi = v;
			sum += (i128)cp * v;
			wsum += cp;
		}
		if (k + 1 < d && gr >= need) {
			if (!any)
				lo = v;
			any = true;
			hi = vals[k + 1];
			sum += (i128)gr * ref_mid(v, vals[k + 1]);
			wsum += gr;
		}
	}
	free(vals);
	if (!any)
		return BFT_EFAULTS;
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = (int64_t)floor_div(sum, wsum);
	out->count = intersecting(iv, n, out->iv);
	return 0;
}

static int ref_fti(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t f)
{
	int64_t *l = malloc(n * sizeof *l), *h = malloc(n * sizeof *h);
	assert_non_null(l);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++) {
		l[i] = iv[i].lo_ns;
		h[i] = iv[i].hi_ns;
	}
	qsort(l, n, sizeof *l, cmp_i64);
	qsort(h, n, sizeof *h, cmp_i64);
	int64_t lo = l[n - f - 1], hi = h[f];
	free(l);
	free(h);
	if (lo > hi)
		return BFT_EFAULTS;
	out->iv = bft_iv(lo, hi);
	out->estimate_ns = ref_mid(lo, hi);
	out->count = n - f;
	return 0;
}

struct tuple {
	int64_t v;
	int type; /* -1 lo, 0 mid, +1 hi */
};

static int cmp_tuple(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;
	if (x->v != y->v)
		return (x->v > y->v) - (x->v < y->v);
	return x->type - y->type;
}

/* RFC 5905 section 11.2.1 steps 1-6, transcribed literally (one full scan per
 * candidate number of falsetickers), with the closed-interval test low <= high
 * documented in fusion.h. *allow_out receives the number of falsetickers. */
static int ref_ntp(bft_fusion_result *out, const bft_interval *iv, size_t n, size_t *allow_out)
{
	size_t m = 3 * n;
	struct tuple *t = malloc(m * sizeof *t);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		t[3 * i] = (struct tuple){ iv[i].lo_ns, -1 };
		t[3 * i + 1] = (struct tuple){ ref_mid(iv[i].lo_ns, iv[i].hi_ns), 0 };
		t[3 * i + 2] = (struct tuple){ iv[i].hi_ns, +1 };
	}
	qsort(t, m, sizeof *t, cmp_tuple);
	int rc = BFT_EFAULTS;
	for (size_t allow = 0; 2 * allow < n; allow++) {
		long chime = 0;
		size_t found = 0;
		bool got_lo = false, got_hi = false;
		int64_t low = 0, high = 0;
		for (size_t i = 0; i < m; i++) {
			chime -= t[i].type;
			if (chime >= (long)(n - allow)) {
				low = t[i].v;
				got_lo = true;
				break;
			}
			if (t[i].type == 0)
				found++;
		}
		chime = 0;
		for (size_t i = m; i-- > 0;) {
			chime += t[i].type;
			if (chime >= (long)(n - allow)) {
				high = t[i].v;
				got_hi = true;
				break;
			}
			if (t[i].type == 0)
				found++;
		}
		if (found > allow)
			continue;
		if (got_lo && got_hi && low <= high) {
			out->iv = bft_iv(low, high);
			out->estimate_ns = ref_mid(low, high);
			out->count = intersecting(iv, n, out->iv);
			*allow_out = allow;
			rc = 0;
			break;
		}
	}
	free(t);
	return rc;
}

static void ref_points(int64_t res[3], const int64_t *v, size_t n, size_t f)
{
	int64_t *s = malloc(n * sizeof *s);
	assert_non_null(s);
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_i64);
	i128 sum = 0;
	for (size_t i = f; i < n - f; i++)
		sum += s[i];
	res[P_FTM] = ref_mid(s[f], s[n - 1 - f]);
	res[P_FTA] = (int64_t)floor_div(sum, (i128)(n - 2 * f));
	res[P_MEDIAN] = s[(n - 1) / 2];
	free(s);
}

static bool same_result(const bft_fusion_result *a, const bft_fusion_result *b)
{
	return a->iv.lo_ns == b->iv.lo_ns && a->iv.hi_ns == b->iv.hi_ns && a->estimate_ns == b->estimate_ns &&
	       a->count == b->count;
}

static bool subset(bft_interval a, bft_interval b) { return b.lo_ns <= a.lo_ns && a.hi_ns <= b.hi_ns; }
static i128 width(bft_interval a) { return (i128)a.hi_ns - a.lo_ns; }

/* ------------------------------------------------------------------------ */
/* Hand-computed cases                                                      */

static void test_marzullo_textbook(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "textbook");
	bft_fusion_result r;
	/* Marzullo's classic example: 10+-2, 12+-1, 11+-1 agree on [11, 12]. */
	const bft_interval a[] = { { 8, 12 }, { 11, 13 }, { 10, 12 } };
	assert_int_equal(call_iv(F_MARZULLO, &r, a, 3, 0), 0);
	assert_true(r.iv.lo_ns == 11 && r.iv.hi_ns == 12 && r.count == 3 && r.estimate_ns == 11);
	/* 14+-1 disagrees: with f = 0 nothing is covered 3 times. */
	const bft_interval b[] = { { 8, 12 }, { 11, 13 }, { 14, 15 } };
	assert_int_equal(call_iv(F_MARZULLO, &r, b, 3, 0), BFT_EFAULTS);
	assert_int_equal(call_iv(F_MARZULLO, &r, b, 3, 1), 0);
	assert_true(r.iv.lo_ns == 11 && r.iv.hi_ns == 12 && r.count == 2);
	/* Closed intervals: touching ones share their point. */
	const bft_interval c[] = { { 0, 5 }, { 5, 10 } };
	assert_int_equal(call_iv(F_MARZULLO, &r, c, 2, 0), 0);
	assert_true(r.iv.lo_ns == 5 && r.iv.hi_ns == 5 && r.count == 2 && r.estimate_ns == 5);
	assert_int_equal(call_iv(F_BI, &r, c, 2, 0), 0);
	assert_true(r.iv.lo_ns == 5 && r.iv.hi_ns == 5 && r.count == 2 && r.estimate_ns == 5);
}

/* The Brooks-Iyengar example of five sensors (values x100) with one faulty:
 * [2.7,6.7] [0,3.2] [1.5,4.5] [0.8,2.8] [1.4,4.6]. Regions covered >= 4:
 * [150,270] by 4, [270,280] by 5, [280,320] by 4; midpoints 210, 275, 300;
 * (4*210 + 5*275 + 4*300) / 13 = 3415 / 13 = 262.69 -> 262. */
static void test_brooks_iyengar_textbook(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "bi textbook");
	const bft_interval s[] = { { 270, 670 }, { 0, 320 }, { 150, 450 }, { 80, 280 }, { 140, 460 } };
	bft_fusion_result r;
	assert_int_equal(call_iv(F_BI, &r, s, 5, 1), 0);
	assert_true(r.iv.lo_ns == 150 && r.iv.hi_ns == 320);
	assert_int_equal(r.estimate_ns, 262);
	assert_int_equal(r.count, 5);
	assert_int_equal(call_iv(F_MARZULLO, &r, s, 5, 1), 0);
	assert_true(r.iv.lo_ns == 150 && r.iv.hi_ns == 320 && r.count == 5 && r.estimate_ns == 235);
	/* f = 0: only [270, 280], covered by all five. */
	assert_int_equal(call_iv(F_BI, &r, s, 5, 0), 0);
	assert_true(r.iv.lo_ns == 270 && r.iv.hi_ns == 280 && r.estimate_ns == 275);
	/* FTI: f = 1 -> [4th smallest lo, 2nd smallest hi] = [150, 320];
	 * f = 2 -> [140, 450], equal to Marzullo's there. */
	assert_int_equal(call_iv(F_FTI, &r, s, 5, 1), 0);
	assert_true(r.iv.lo_ns == 150 && r.iv.hi_ns == 320 && r.count == 4);
	assert_int_equal(call_iv(F_FTI, &r, s, 5, 2), 0);
	assert_true(r.iv.lo_ns == 140 && r.iv.hi_ns == 450 && r.count == 3);
	assert_int_equal(call_iv(F_MARZULLO, &r, s, 5, 2), 0);
	assert_true(r.iv.lo_ns == 140 && r.iv.hi_ns == 450);
	/* A point region: [0,10] [0,5] [5,10], f = 1: stretches [0,5] and
	 * [5,10] covered by 2, the point 5 by 3: (2*2 + 3*5 + 2*7) / 7 = 33/7. */
	const bft_interval p[] = { { 0, 10 }, { 0, 5 }, { 5, 10 } };
	assert_int_equal(call_iv(F_BI, &r, p, 3, 1), 0);
	assert_true(r.iv.lo_ns == 0 && r.iv.hi_ns == 10 && r.estimate_ns == 4 && r.count == 3);
}

/* FTI is Lipschitz but detects less: five disjoint readings, f = 2: no point
 * is covered 3 times (Marzullo refuses), yet FTI = [4, 5] is non-empty. */
static void test_fti_weaker_detection(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "fti detection");
	const bft_interval s[] = { { 8, 9 }, { 0, 1 }, { 4, 5 }, { 2, 3 }, { 6, 7 } };
	bft_fusion_result r;
	assert_int_equal(call_iv(F_MARZULLO, &r, s, 5, 2), BFT_EFAULTS);
	assert_int_equal(call_iv(F_BI, &r, s, 5, 2), BFT_EFAULTS);
	assert_int_equal(call_iv(F_FTI, &r, s, 5, 2), 0);
	assert_true(r.iv.lo_ns == 4 && r.iv.hi_ns == 5);
	assert_int_equal(call_iv(F_FTI, &r, s, 5, 1), BFT_EFAULTS);
}

/* The width bounds are tight: n = 3f readings (f = 1), truth 1, correct
 * [0,1] and [1,2] of width 1, faulty [-10,10]: Marzullo gives [0,2], twice
 * the widest correct reading, and no longer inside any correct one. */
static void test_width_bound_tight(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "width");
	const bft_interval s[] = { { 0, 1 }, { 1, 2 }, { -10, 10 } };
	bft_fusion_result r;
	assert_int_equal(call_iv(F_MARZULLO, &r, s, 3, 1), 0);
	assert_true(r.iv.lo_ns == 0 && r.iv.hi_ns == 2);
	/* Add one more correct reading (n = 4 = 3f + 1): back inside one. */
	const bft_interval t[] = { { 0, 1 }, { 1, 2 }, { -10, 10 }, { 1, 1 } };
	assert_int_equal(call_iv(F_MARZULLO, &r, t, 4, 1), 0);
	assert_true(r.iv.lo_ns == 1 && r.iv.hi_ns == 1);
}

/* NTP: three good sources and one falseticker (offset +- root distance):
 * A 10+-5, B 12+-4, C 9+-6, D 30+-3. a = 0 fails (D is disjoint); a = 1:
 * the lower scan reaches 3 at B's lo 8, the upper scan passes D's midpoint
 * 30 (found = 1 <= 1) and reaches 3 at 15: [8, 15], truechimers A, B, C. */
static void test_ntp_textbook(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "ntp textbook");
	const bft_interval s[] = { { 5, 15 }, { 8, 16 }, { 3, 15 }, { 27, 33 } };
	bft_fusion_result r;
	assert_int_equal(call_iv(F_NTP, &r, s, 4, 0), 0);
	assert_true(r.iv.lo_ns == 8 && r.iv.hi_ns == 15 && r.count == 3 && r.estimate_ns == 11);
	/* The midpoint rule widens the answer: all three intersect in [45,60],
	 * but C's midpoint 122 lies outside, so a = 0 is rejected; a = 1 gives
	 * [40, 100], which holds every midpoint but C's (found 1 <= 1). */
	const bft_interval m[] = { { 0, 100 }, { 40, 60 }, { 45, 200 } };
	assert_int_equal(call_iv(F_NTP, &r, m, 3, 0), 0);
	assert_true(r.iv.lo_ns == 40 && r.iv.hi_ns == 100 && r.count == 3);
	assert_int_equal(call_iv(F_MARZULLO, &r, m, 3, 0), 0);
	assert_true(r.iv.lo_ns == 45 && r.iv.hi_ns == 60);
	/* Closed intervals: a single shared point is an intersection (the RFC's
	 * strict low < high would reject it). */
	const bft_interval c[] = { { 10, 10 }, { 0, 20 } };
	assert_int_equal(call_iv(F_NTP, &r, c, 2, 0), 0);
	assert_true(r.iv.lo_ns == 10 && r.iv.hi_ns == 10 && r.count == 2);
	/* Touching at 10 but both midpoints (5, 15) outside it, and n = 2
	 * allows no falseticker: the midpoint rule refuses. */
	const bft_interval e[] = { { 0, 10 }, { 10, 20 } };
	assert_int_equal(call_iv(F_NTP, &r, e, 2, 0), BFT_EFAULTS);
	/* NTP cannot know f: truth 1, two correct [0,10], one faulty [5,6].
	 * All three meet in [5,6] with every midpoint inside, so a = 0 wins and
	 * the answer misses the truth; Marzullo told f = 1 keeps it. */
	const bft_interval u[] = { { 0, 10 }, { 5, 6 }, { 0, 10 } };
	assert_int_equal(call_iv(F_NTP, &r, u, 3, 0), 0);
	assert_true(r.iv.lo_ns == 5 && r.iv.hi_ns == 6 && !bft_iv_contains(r.iv, 1));
	assert_int_equal(call_iv(F_MARZULLO, &r, u, 3, 1), 0);
	assert_true(r.iv.lo_ns == 0 && r.iv.hi_ns == 10 && r.count == 3);
	/* No majority: two disjoint, or three pairwise disjoint. */
	const bft_interval d[] = { { 0, 1 }, { 2, 3 }, { 4, 5 } };
	assert_int_equal(call_iv(F_NTP, &r, d, 2, 0), BFT_EFAULTS);
	assert_int_equal(call_iv(F_NTP, &r, d, 3, 0), BFT_EFAULTS);
	assert_int_equal(call_iv(F_NTP, &r, d, 1, 0), 0);
	assert_true(r.iv.lo_ns == 0 && r.iv.hi_ns == 1 && r.count == 1);
}

static void test_points_hand(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "points");
	int64_t r;
	const int64_t v[] = { 3, 100, -50, 1, 2 };
	assert_int_equal(call_pt(P_FTM, &r, v, 5, 1), 0);
	assert_int_equal(r, 2);
	assert_int_equal(call_pt(P_FTA, &r, v, 5, 1), 0);
	assert_int_equal(r, 2);
	assert_int_equal(call_pt(P_MEDIAN, &r, v, 5, 0), 0);
	assert_int_equal(r, 2);
	assert_int_equal(call_pt(P_FTM, &r, v, 5, 0), 0); /* (-50 + 100) / 2 */
	assert_int_equal(r, 25);
	assert_int_equal(call_pt(P_FTA, &r, v, 5, 0), 0); /* 56 / 5 */
	assert_int_equal(r, 11);
	/* Rounding: lower median, midpoint toward the smaller, mean toward -inf. */
	const int64_t e[] = { 1, 0 };
	assert_int_equal(call_pt(P_MEDIAN, &r, e, 2, 0), 0);
	assert_int_equal(r, 0);
	const int64_t g[] = { -1, -2 };
	assert_int_equal(call_pt(P_FTM, &r, g, 2, 0), 0);
	assert_int_equal(r, -2);
	assert_int_equal(call_pt(P_FTA, &r, g, 2, 0), 0);
	assert_int_equal(r, -2);
	/* Extremes: no overflow in midpoints or sums. */
	const int64_t x[] = { INT64_MAX, INT64_MIN, INT64_MAX };
	assert_int_equal(call_pt(P_FTM, &r, x, 3, 0), 0);
	assert_true(r == -1);
	assert_int_equal(call_pt(P_FTA, &r, x, 3, 0), 0); /* (2^63 - 2) / 3 */
	assert_true(r == (INT64_MAX - 1) / 3);
	assert_int_equal(call_pt(P_FTA, &r, x, 3, 1), 0);
	assert_true(r == INT64_MAX);
	const int64_t y[] = { INT64_MAX, INT64_MAX };
	assert_int_equal(call_pt(P_FTA, &r, y, 2, 0), 0);
	assert_true(r == INT64_MAX);
	const int64_t z[] = { INT64_MIN, INT64_MIN, INT64_MIN + 1 };
	assert_int_equal(call_pt(P_FTA, &r, z, 3, 0), 0);
	assert_true(r == INT64_MIN);
}

static void test_extremes(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "extremes");
	bft_fusion_result r;
	bft_interval all[4];
	for (int i = 0; i < 4; i++)
		all[i] = bft_iv(INT64_MIN, INT64_MAX);
	for (enum fn w = F_MARZULLO; w <= F_NTP; w++) {
		assert_int_equal(call_iv(w, &r, all, 4, 1), 0);
		assert_true(r.iv.lo_ns == INT64_MIN && r.iv.hi_ns == INT64_MAX && r.estimate_ns == -1);
	}
	/* Touching at the very top and bottom of the range. */
	const bft_interval top[] = { { INT64_MAX, INT64_MAX }, { INT64_MIN, INT64_MAX }, { INT64_MAX - 1, INT64_MAX } };
	assert_int_equal(call_iv(F_BI, &r, top, 3, 0), 0);
	assert_true(r.iv.lo_ns == INT64_MAX && r.iv.hi_ns == INT64_MAX && r.estimate_ns == INT64_MAX && r.count == 3);
	const bft_interval bot[] = { { INT64_MIN, INT64_MIN }, { INT64_MIN, INT64_MAX }, { INT64_MIN, INT64_MIN + 1 } };
	assert_int_equal(call_iv(F_BI, &r, bot, 3, 1), 0);
	assert_true(r.iv.lo_ns == INT64_MIN && r.iv.hi_ns == INT64_MIN + 1 && r.estimate_ns == INT64_MIN);
	/* Huge weights on far-apart regions: the weighted mean stays exact.
	 * Regions [MIN, -1] covered by 2 and [0, MAX] by 2, f = 1, n = 3:
	 * midpoints MIN/2 - 1 and MAX/2: (2(MIN/2 - 1) + 2(MAX/2)) / 4. */
	const bft_interval h[] = { { INT64_MIN, -1 }, { 0, INT64_MAX }, { INT64_MIN, INT64_MAX } };
	assert_int_equal(call_iv(F_BI, &r, h, 3, 1), 0);
	assert_true(r.iv.lo_ns == INT64_MIN && r.iv.hi_ns == INT64_MAX);
	bft_fusion_result ref;
	assert_int_equal(ref_bi(&ref, h, 3, 1), 0);
	assert_true(same_result(&r, &ref));
	assert_true(r.estimate_ns == -1);
}

static void test_arguments(void **state)
{
	(void)state;
	snprintf(ctx, sizeof ctx, "arguments");
	int64_t scratch[64];
	const bft_interval ok[] = { { 0, 1 }, { 0, 1 }, { 0, 1 } };
	const bft_interval bad[] = { { 0, 1 }, { 0, 1 }, { 2, 1 } };
	const int64_t v[] = { 1, 2, 3 };
	bft_fusion_result r, keep;
	memset(&keep, 0x5a, sizeof keep);
	r = keep;

	assert_true(bft_fusion_scratch_bytes(0) == 0);
	assert_true(bft_fusion_scratch_bytes(10) >= 4 * 10 * sizeof(int64_t));
	assert_true(bft_fusion_scratch_bytes(SIZE_MAX) == 0);
	assert_true(bft_fusion_scratch_bytes(SIZE_MAX / 8) == 0);
	assert_true(bft_fusion_scratch_bytes((size_t)BFT_FUSION_MAX_N + 1) == 0);

	void *mis = (char *)scratch + 1;
	int (*ivf[3])(bft_fusion_result *, const bft_interval *, size_t, size_t, void *) = {
		bft_fusion_marzullo, bft_fusion_brooks_iyengar, bft_fusion_ft_intersection
	};
	for (int k = 0; k < 3; k++) {
		assert_int_equal(ivf[k](NULL, ok, 3, 0, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, NULL, 0, 0, NULL), BFT_EEMPTY);
		assert_int_equal(ivf[k](&r, NULL, 3, 0, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, ok, 3, 0, NULL), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, ok, 3, 0, mis), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, ok, 3, 3, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, ok, 3, SIZE_MAX, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, bad, 3, 0, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, bad, 3, 2, scratch), BFT_EINVAL);
		assert_int_equal(ivf[k](&r, ok, (size_t)BFT_FUSION_MAX_N + 1, 0, scratch), BFT_EINVAL);
		assert_memory_equal(&r, &keep, sizeof r);
		assert_int_equal(ivf[k](&r, ok, 3, 2, scratch), 0);
		r = keep;
	}
	assert_int_equal(bft_exchange_ntp_intersection(NULL, ok, 3, scratch), BFT_EINVAL);
	assert_int_equal(bft_exchange_ntp_intersection(&r, NULL, 0, NULL), BFT_EEMPTY);
	assert_int_equal(bft_exchange_ntp_intersection(&r, ok, 3, NULL), BFT_EINVAL);
	assert_int_equal(bft_exchange_ntp_intersection(&r, ok, 3, mis), BFT_EINVAL);
	assert_int_equal(bft_exchange_ntp_intersection(&r, bad, 3, scratch), BFT_EINVAL);
	assert_memory_equal(&r, &keep, sizeof r);

	int64_t out = 77;
	int (*pf[2])(int64_t *, const int64_t *, size_t, size_t, void *) = { bft_fusion_ft_midpoint, bft_fusion_ft_average };
	for (int k = 0; k < 2; k++) {
		assert_int_equal(pf[k](NULL, v, 3, 0, scratch), BFT_EINVAL);
		assert_int_equal(pf[k](&out, NULL, 0, 0, NULL), BFT_EEMPTY);
		assert_int_equal(pf[k](&out, NULL, 3, 0, scratch), BFT_EINVAL);
		assert_int_equal(pf[k](&out, v, 3, 0, NULL), BFT_EINVAL);
		assert_int_equal(pf[k](&out, v, 3, 0, mis), BFT_EINVAL);
		assert_int_equal(pf[k](&out, v, 3, 2, scratch), BFT_EINVAL); /* n < 2f + 1 */
		assert_int_equal(pf[k](&out, v, 2, 1, scratch), BFT_EINVAL);
		assert_int_equal(pf[k](&out, v, 3, SIZE_MAX, scratch), BFT_EINVAL);
		assert_int_equal(out, 77);
		assert_int_equal(pf[k](&out, v, 3, 1, scratch), 0);
		assert_int_equal(out, 2);
		out = 77;
	}
	assert_int_equal(bft_fusion_median(NULL, v, 3, scratch), BFT_EINVAL);
	assert_int_equal(bft_fusion_median(&out, NULL, 0, NULL), BFT_EEMPTY);
	assert_int_equal(bft_fusion_median(&out, v, 3, NULL), BFT_EINVAL);
	assert_int_equal(bft_fusion_median(&out, v, 3, mis), BFT_EINVAL);
	assert_int_equal(out, 77);
	assert_string_equal(bft_strerror(BFT_EFAULTS), "more than f readings are faulty");
}

/* ------------------------------------------------------------------------ */
/* Adversarial scenarios                                                    */

#define MAXN 10000

struct scen {
	size_t n, f, k; /* readings, tolerated faults, actual faulty readings */
	int64_t t;      /* the true value */
	bft_interval a[MAXN], b[MAXN]; /* what two fusing nodes receive */
	bool bad[MAXN];
	char what[64];
};

static struct scen S;

/* Property counters: scenarios checked (each from its own seed) and calls
 * whose result was checked. */
struct prop {
	const char *name;
	long scen, cases;
};

enum {
	PR_CONTAIN,   /* Marzullo/BI/FTI contain the truth with <= f faulty */
	PR_SUBSET,    /* Marzullo subset of FTI, BI interval == Marzullo's */
	PR_HULL,      /* n > 2f: Marzullo and BI estimate inside hull(correct) */
	PR_WIDTH2,    /* n >= 2f+1: width <= 2 * widest correct (Marzullo, FTI) */
	PR_WIDTH1,    /* n >= 3f+1: inside one correct reading (Marzullo, FTI) */
	PR_REF,       /* equal to the O(n^2) references (Marzullo, BI, FTI, NTP) */
	PR_NTP,       /* NTP: contains truth when faulty <= its allowance */
	PR_ORDER,     /* result independent of input order */
	PR_TWOFACED,  /* both nodes of a two-faced attack satisfy the above */
	PR_DETECT,    /* > f faulty with no n-f coverage -> BFT_EFAULTS */
	PR_POINTS,    /* FTM/FTA/median within [min, max] of correct values */
	PR_POINTREF,  /* FTM/FTA/median equal to a sorted reference */
	PR_N
};

static struct prop props[PR_N] = {
	[PR_CONTAIN] = { "contains truth (Marzullo, BI, FTI; any f < n)", 0, 0 },
	[PR_SUBSET] = { "Marzullo in FTI, BI iv == Marzullo iv", 0, 0 },
	[PR_HULL] = { "n>2f: Marzullo iv, BI estimate in correct hull", 0, 0 },
	[PR_WIDTH2] = { "n>=2f+1: width <= 2 x widest correct", 0, 0 },
	[PR_WIDTH1] = { "n>=3f+1: inside one correct reading", 0, 0 },
	[PR_REF] = { "equal to O(n^2) references", 0, 0 },
	[PR_NTP] = { "NTP contains truth if faulty <= allow", 0, 0 },
	[PR_ORDER] = { "independent of input order", 0, 0 },
	[PR_TWOFACED] = { "two-faced: both nodes correct", 0, 0 },
	[PR_DETECT] = { "> f faulty, no n-f point -> EFAULTS", 0, 0 },
	[PR_POINTS] = { "FTM/FTA/median in correct range (n>=2f+1)", 0, 0 },
	[PR_POINTREF] = { "FTM/FTA/median equal sorted reference", 0, 0 },
};

static void print_props(const char *title, int first, int last)
{
	for (int p = first; p <= last; p++)
		printf("[ PROPERTY ] %s: %-46s %6ld seeds, %7ld cases\n", title, props[p].name, props[p].scen,
		       props[p].cases);
}

static int64_t rand_width(int cls)
{
	switch (cls) {
	case 0: return 0;
	case 1: return (int64_t)below(4);
	case 2: return (int64_t)below(1000000);
	case 3: return (int64_t)below(UINT64_C(1) << 40);
	default: return (int64_t)(rng() >> 1);
	}
}

static int64_t rand_truth(void)
{
	switch (below(7)) {
	case 0: return 0;
	case 1: return INT64_MAX - (int64_t)below(3);
	case 2: return INT64_MIN + (int64_t)below(3);
	case 3: return (int64_t)rng();
	case 4: return (int64_t)below(20) - 10;
	default: return INT64_C(1700000000000000000) + (int64_t)below(1000000000);
	}
}

/* Shuffle, sort by lo, reverse-sort, or leave faulty last: the same
 * permutation for both nodes. */
struct slot {
	bft_interval a, b;
	bool bad;
};
static struct slot slots[MAXN];

static int cmp_slot_lo(const void *x, const void *y)
{
	const struct slot *p = x, *q = y;
	return (p->a.lo_ns > q->a.lo_ns) - (p->a.lo_ns < q->a.lo_ns);
}

static void reorder(size_t n)
{
	int how = (int)below(4);
	if (how == 3)
		return;
	for (size_t i = 0; i < n; i++)
		slots[i] = (struct slot){ S.a[i], S.b[i], S.bad[i] };
	if (how == 0) {
		for (size_t i = n; i > 1; i--) {
			size_t j = (size_t)below(i);
			struct slot t = slots[i - 1];
			slots[i - 1] = slots[j];
			slots[j] = t;
		}
	} else {
		qsort(slots, n, sizeof slots[0], cmp_slot_lo);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = how == 2 ? n - 1 - i : i;
		S.a[i] = slots[j].a;
		S.b[i] = slots[j].b;
		S.bad[i] = slots[j].bad;
	}
}

/*
 * One faulty reading, missing the truth t on the given side, by attack:
 * 0 random anywhere, 1 touching (starts at t+1 / ends at t-1), 2 straddling
 * the correct readings (from t+1 to the far edge of a correct one, so it
 * overlaps them all but misses t), 3 tiny point next to t, 4 huge (to the end
 * of the int64 range), 5 between the edges of two correct readings.
 */
static bft_interval faulty(int attack, bool right, int wcls, size_t ncorrect)
{
	int64_t t = S.t, w = rand_width(wcls);
	if (right && t == INT64_MAX)
		right = false;
	if (!right && t == INT64_MIN)
		right = true;
	int64_t near = right ? t + 1 : t - 1;
	bft_interval c1 = bft_iv(t, t), c2 = c1;
	if (ncorrect) {
		c1 = S.a[below(ncorrect)];
		c2 = S.a[below(ncorrect)];
	}
	switch (attack) {
	case 0: {
		int64_t lo = bft_sat_add(t, (int64_t)rng() >> below(64));
		bft_interval x = bft_iv(lo, bft_sat_add(lo, w));
		if (!bft_iv_contains(x, t))
			return x;
		break;
	}
	case 2: {
		int64_t edge = right ? c1.hi_ns : c1.lo_ns;
		if (right && edge > near)
			return bft_iv(near, edge);
		if (!right && edge < near)
			return bft_iv(edge, near);
		break;
	}
	case 3: {
		int64_t d = 1 + (int64_t)below(3);
		return right ? bft_iv(bft_sat_add(t, d), bft_sat_add(t, d)) : bft_iv(bft_sat_sub(t, d), bft_sat_sub(t, d));
	}
	case 4: return right ? bft_iv(near, INT64_MAX) : bft_iv(INT64_MIN, near);
	case 5: {
		int64_t x = right ? c1.hi_ns : c1.lo_ns, y = right ? c2.hi_ns : c2.lo_ns;
		int64_t lo = x < y ? x : y, hi = x < y ? y : x;
		if (right && lo < near)
			lo = near;
		if (!right && hi > near)
			hi = near;
		if (lo <= hi && !bft_iv_contains(bft_iv(lo, hi), t))
			return bft_iv(lo, hi);
		break;
	}
	default: break;
	}
	/* touching, and the fallback of the others */
	return right ? bft_iv(near, bft_sat_add(near, w)) : bft_iv(bft_sat_sub(near, w), near);
}

/* Fill readings [nc, nc + nf) of one node's array with faulty ones. */
static void place_faulty(bft_interval *dst, size_t nc, size_t nf, char *what, size_t whatlen)
{
	int mode = (int)below(4); /* 0 collude, 1 same attack one side, 2 mixed, 3 duplicates */
	int attack = (int)below(6), wcls = (int)below(5);
	bool right = chance(50);
	bft_interval one = faulty(attack, right, wcls, nc);
	snprintf(what, whatlen, "mode %d attack %d side %c w%d", mode, attack, right ? 'R' : 'L', wcls);
	for (size_t i = nc; i < nc + nf; i++) {
		switch (mode) {
		case 0: dst[i] = one; break;
		case 1: dst[i] = faulty(attack, right, wcls, nc); break;
		case 2: dst[i] = faulty((int)below(6), chance(50), (int)below(5), nc); break;
		default: dst[i] = (i > nc && chance(60)) ? dst[nc + below(i - nc)] : faulty(attack, right, wcls, nc); break;
		}
	}
}

/* A scenario: n readings, k of them faulty (missing the truth), placed by a
 * random adversarial strategy; node b sees different faulty readings. */
static void make_scenario(size_t n, size_t f, size_t k)
{
	S.n = n;
	S.f = f;
	S.k = k;
	S.t = rand_truth();
	size_t nc = n - k;
	int profile = (int)below(5);
	for (size_t i = 0; i < nc; i++) {
		int cls;
		switch (profile) {
		case 0: cls = (int)below(2); break;
		case 1: cls = 2; break;
		case 2: cls = (int)below(5); break;
		case 3: cls = 3 + (int)below(2); break;
		default: cls = 1 + (int)below(3); break;
		}
		int64_t lw = rand_width(cls), hw = rand_width(cls);
		if (profile == 4) { /* two clusters of correct readings: leaning left or right */
			if (chance(50))
				lw = (int64_t)below(3);
			else
				hw = (int64_t)below(3);
		}
		S.a[i] = bft_iv(bft_sat_sub(S.t, lw), bft_sat_add(S.t, hw));
		if (i > 0 && chance(10)) /* duplicated correct readings */
			S.a[i] = S.a[below(i)];
		S.b[i] = S.a[i];
		S.bad[i] = false;
	}
	char wa[32], wb[32];
	place_faulty(S.a, nc, k, wa, sizeof wa);
	place_faulty(S.b, nc, k, wb, sizeof wb);
	for (size_t i = nc; i < n; i++) {
		S.bad[i] = true;
		assert_false(bft_iv_contains(S.a[i], S.t));
		assert_false(bft_iv_contains(S.b[i], S.t));
	}
	reorder(n);
	snprintf(S.what, sizeof S.what, "%s", wa);
}

/* Check every interval property on one node's readings. */
static void check_node(const bft_interval *iv, bool use_refs)
{
	size_t n = S.n, f = S.f, k = S.k;
	bft_fusion_result m, bi, fti, ntp, ref;
	int rm = call_iv(F_MARZULLO, &m, iv, n, f);
	int rb = call_iv(F_BI, &bi, iv, n, f);
	int rf = call_iv(F_FTI, &fti, iv, n, f);
	int rn = call_iv(F_NTP, &ntp, iv, n, 0);

	/* Correct readings: hull and widest. */
	int64_t clo = INT64_MAX, chi = INT64_MIN;
	i128 wmax = 0;
	for (size_t i = 0; i < n; i++) {
		if (S.bad[i])
			continue;
		if (iv[i].lo_ns < clo)
			clo = iv[i].lo_ns;
		if (iv[i].hi_ns > chi)
			chi = iv[i].hi_ns;
		if (width(iv[i]) > wmax)
			wmax = width(iv[i]);
	}

	if (k <= f) {
		CHECK(rm == 0 && rb == 0 && rf == 0);
		CHECK(bft_iv_contains(m.iv, S.t));
		CHECK(bft_iv_contains(bi.iv, S.t));
		CHECK(bft_iv_contains(fti.iv, S.t));
		props[PR_CONTAIN].cases += 3;

		CHECK(subset(m.iv, fti.iv));
		CHECK(bi.iv.lo_ns == m.iv.lo_ns && bi.iv.hi_ns == m.iv.hi_ns);
		CHECK(bft_iv_contains(bi.iv, bi.estimate_ns) && bft_iv_contains(m.iv, m.estimate_ns));
		CHECK(m.count >= n - f && bi.count >= n - f);
		props[PR_SUBSET].cases += 2;

		if (n > 2 * f) {
			CHECK(subset(m.iv, bft_iv(clo, chi)));
			CHECK(bi.estimate_ns >= clo && bi.estimate_ns <= chi);
			props[PR_HULL].cases += 2;
			CHECK(width(m.iv) <= 2 * wmax);
			CHECK(width(fti.iv) <= 2 * wmax);
			props[PR_WIDTH2].cases += 2;
		}
		if (n >= 3 * f + 1) {
			bool in_m = false, in_f = false;
			for (size_t i = 0; i < n; i++) {
				if (S.bad[i])
					continue;
				in_m |= subset(m.iv, iv[i]);
				in_f |= subset(fti.iv, iv[i]);
			}
			CHECK(in_m && in_f);
			CHECK(width(m.iv) <= wmax && width(fti.iv) <= wmax);
			props[PR_WIDTH1].cases += 2;
		}
	} else if (use_refs && max_coverage(iv, n) < n - f) {
		CHECK(rm == BFT_EFAULTS && rb == BFT_EFAULTS);
		props[PR_DETECT].cases += 2;
	}

	size_t allow = 0;
	int rr = use_refs ? ref_ntp(&ref, iv, n, &allow) : rn;
	if (use_refs) {
		CHECK(rr == rn);
		if (rr == 0)
			CHECK(same_result(&ref, &ntp));
	}
	if (rn == 0) {
		if (use_refs) {
			/* NTP's hull is Marzullo's at f = allow. */
			bft_fusion_result ma;
			CHECK(call_iv(F_MARZULLO, &ma, iv, n, allow) == 0);
			CHECK(ma.iv.lo_ns == ntp.iv.lo_ns && ma.iv.hi_ns == ntp.iv.hi_ns);
			if (k <= allow) {
				CHECK(bft_iv_contains(ntp.iv, S.t));
				props[PR_NTP].cases++;
			}
		}
		if (k == 0) {
			CHECK(bft_iv_contains(ntp.iv, S.t));
			props[PR_NTP].cases++;
		}
		CHECK(bft_iv_contains(ntp.iv, ntp.estimate_ns));
	}

	if (use_refs) {
		CHECK(ref_marzullo(&ref, iv, n, f) == rm);
		if (rm == 0)
			CHECK(same_result(&ref, &m));
		CHECK(ref_bi(&ref, iv, n, f) == rb);
		if (rb == 0)
			CHECK(same_result(&ref, &bi));
		CHECK(ref_fti(&ref, iv, n, f) == rf);
		if (rf == 0)
			CHECK(same_result(&ref, &fti));
		props[PR_REF].cases += 4;
	}

	/* Same answers in another order (the adversary chooses the order). */
	bft_interval *p = malloc(n * sizeof *p);
	assert_non_null(p);
	memcpy(p, iv, n * sizeof *p);
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)below(i);
		bft_interval t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
	bft_fusion_result x;
	CHECK(call_iv(F_MARZULLO, &x, p, n, f) == rm && (rm || same_result(&x, &m)));
	CHECK(call_iv(F_BI, &x, p, n, f) == rb && (rb || same_result(&x, &bi)));
	CHECK(call_iv(F_FTI, &x, p, n, f) == rf && (rf || same_result(&x, &fti)));
	CHECK(call_iv(F_NTP, &x, p, n, 0) == rn && (rn || same_result(&x, &ntp)));
	props[PR_ORDER].cases += 4;
	free(p);
}

static void count_scen(int first, int last)
{
	for (int p = first; p <= last; p++)
		props[p].scen++;
}

/* Regimes of f and of the number k of faulty readings. */
enum { R_THIRD, R_HALF, R_ANY, R_EXCESS, R_COUNT };

static void run_scenario(uint64_t seed, size_t n, int regime, bool use_refs)
{
	rng_seed(seed);
	size_t maxf = regime == R_THIRD ? (n - 1) / 3 : regime == R_HALF ? (n - 1) / 2 : n - 1;
	size_t f = chance(50) ? maxf : (size_t)below(maxf + 1), k;
	if (regime == R_EXCESS) {
		if (f == n - 1) /* k > f impossible */
			f = n > 1 ? (size_t)below(n - 1) : 0;
		if (f + 1 > n)
			return;
		k = f + 1 + (size_t)below(n - f);
	} else {
		k = chance(70) ? f : (size_t)below(f + 1);
	}
	make_scenario(n, f, k);
	snprintf(ctx, sizeof ctx, "seed %llu regime %d n %zu f %zu k %zu t %lld %s", (unsigned long long)seed, regime,
	         n, f, k, (long long)S.t, S.what);
	long before_detect = props[PR_DETECT].cases, before_ntp = props[PR_NTP].cases;
	check_node(S.a, use_refs);
	check_node(S.b, use_refs);
	if (k <= f) {
		count_scen(PR_CONTAIN, PR_SUBSET);
		if (n > 2 * f) {
			count_scen(PR_HULL, PR_WIDTH2);
		}
		if (n >= 3 * f + 1)
			count_scen(PR_WIDTH1, PR_WIDTH1);
		props[PR_TWOFACED].scen++;
		props[PR_TWOFACED].cases += 2;
	}
	if (use_refs)
		props[PR_REF].scen++;
	props[PR_ORDER].scen++;
	if (props[PR_DETECT].cases > before_detect)
		props[PR_DETECT].scen++;
	if (props[PR_NTP].cases > before_ntp)
		props[PR_NTP].scen++;
}

#define SEEDS 2500

static void test_interval_properties(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		rng_seed(seed ^ 0xabcdef);
		size_t n = chance(30) ? 1 + (size_t)below(8) : 1 + (size_t)below(64);
		for (int regime = 0; regime < R_COUNT; regime++)
			run_scenario(seed * R_COUNT + (uint64_t)regime, n, regime, true);
	}
	/* A few large n. References are quadratic: only up to 1000. */
	const size_t big[] = { 1000, 4097, 10000 };
	for (size_t b = 0; b < 3; b++)
		for (uint64_t seed = 1; seed <= 6; seed++)
			for (int regime = 0; regime < R_COUNT; regime++)
				run_scenario(1000000 + seed * 16 + (uint64_t)regime + b * 4096, big[b], regime,
				             big[b] <= 1000);
}

/*
 * More than f faulty, arranged so that no point has n - f coverage: the
 * readings form disjoint clusters of at most n - f - 1 readings each, often
 * touching-but-missing (a cluster ends at x, the next starts at x + 1), near
 * the int64 limits or not, the truth inside one cluster. Marzullo and
 * Brooks-Iyengar must refuse; NTP must when no cluster is a majority.
 */
static void test_detection(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		rng_seed(seed * 7919);
		size_t n = 2 + (size_t)below(63), f = (size_t)below(n - 1), g = n - f - 1, biggest = 0;
		bool touching = chance(60), top = chance(20);
		int64_t step = touching ? 0 : (int64_t)below(1000);
		int64_t base = top ? INT64_MAX - (int64_t)(n * 2100) : (chance(50) ? INT64_MIN : (int64_t)rng() >> 2);
		bft_interval *iv = malloc(n * sizeof *iv);
		assert_non_null(iv);
		size_t i = 0;
		int64_t truth = 0;
		while (i < n) {
			size_t sz = 1 + (size_t)below(g);
			if (sz > n - i)
				sz = n - i;
			if (sz > biggest)
				biggest = sz;
			int64_t w = (int64_t)below(1000), cend = base;
			for (size_t j = 0; j < sz; j++, i++) {
				int64_t lo = base + (int64_t)below((uint64_t)w + 1);
				int64_t hi = lo + (int64_t)below((uint64_t)(base + w - lo) + 1);
				iv[i] = chance(20) && j > 0 ? iv[i - 1] : bft_iv(lo, hi);
				if (iv[i].hi_ns > cend)
					cend = iv[i].hi_ns;
			}
			if (i == sz)
				truth = iv[0].lo_ns;
			base = cend + 1 + step;
		}
		/* shuffle */
		for (size_t a = n; a > 1; a--) {
			size_t b = (size_t)below(a);
			bft_interval t = iv[a - 1];
			iv[a - 1] = iv[b];
			iv[b] = t;
		}
		snprintf(ctx, sizeof ctx, "detect seed %llu n %zu f %zu g %zu", (unsigned long long)seed, n, f, g);
		size_t faulty = 0;
		for (size_t a = 0; a < n; a++)
			faulty += !bft_iv_contains(iv[a], truth);
		CHECK(faulty > f);
		CHECK(max_coverage(iv, n) <= g);
		bft_fusion_result r, ref;
		CHECK(call_iv(F_MARZULLO, &r, iv, n, f) == BFT_EFAULTS);
		CHECK(call_iv(F_BI, &r, iv, n, f) == BFT_EFAULTS);
		int rf = call_iv(F_FTI, &r, iv, n, f);
		CHECK(ref_fti(&ref, iv, n, f) == rf);
		if (rf == 0)
			CHECK(same_result(&r, &ref));
		size_t allow;
		int rn = call_iv(F_NTP, &r, iv, n, 0);
		CHECK(ref_ntp(&ref, iv, n, &allow) == rn);
		if (2 * biggest <= n)
			CHECK(rn == BFT_EFAULTS);
		props[PR_DETECT].scen++;
		props[PR_DETECT].cases += 3;
		free(iv);
	}
	print_props("fusion", PR_CONTAIN, PR_DETECT);
}

/* Point fusion: correct values within +-w of the truth, faulty ones at the
 * int64 limits, just outside the correct range, colluding on one side,
 * random, or duplicating a correct value; a second node sees other faulty
 * values (two-faced). */
static void check_points(const int64_t *v, size_t n, size_t f, int64_t cmin, int64_t cmax)
{
	int64_t got[3], want[3];
	CHECK(call_pt(P_FTM, &got[P_FTM], v, n, f) == 0);
	CHECK(call_pt(P_FTA, &got[P_FTA], v, n, f) == 0);
	CHECK(call_pt(P_MEDIAN, &got[P_MEDIAN], v, n, 0) == 0);
	for (int p = 0; p < 3; p++)
		CHECK(got[p] >= cmin && got[p] <= cmax);
	props[PR_POINTS].cases += 3;
	ref_points(want, v, n, f);
	CHECK(got[P_FTM] == want[P_FTM] && got[P_FTA] == want[P_FTA] && got[P_MEDIAN] == want[P_MEDIAN]);
	props[PR_POINTREF].cases += 3;
}

static void point_scenario(uint64_t seed, size_t n, bool third)
{
	rng_seed(seed);
	size_t maxf = third ? (n - 1) / 3 : (n - 1) / 2;
	size_t f = chance(60) ? maxf : (size_t)below(maxf + 1);
	size_t k = chance(70) ? f : (size_t)below(f + 1);
	int64_t t = rand_truth(), w = rand_width((int)below(5));
	int64_t *v = malloc(n * sizeof *v), *v2 = malloc(n * sizeof *v2);
	assert_non_null(v);
	assert_non_null(v2);
	int64_t cmin = INT64_MAX, cmax = INT64_MIN;
	for (size_t i = 0; i < n - k; i++) {
		int64_t d = (int64_t)below((uint64_t)w + 1);
		v[i] = chance(50) ? bft_sat_add(t, d) : bft_sat_sub(t, d);
		if (i > 0 && chance(10))
			v[i] = v[below(i)];
		if (v[i] < cmin)
			cmin = v[i];
		if (v[i] > cmax)
			cmax = v[i];
		v2[i] = v[i];
	}
	for (int node = 0; node < 2; node++) {
		int64_t *dst = node ? v2 : v;
		int attack = (int)below(5);
		bool up = chance(50);
		int64_t one = (int64_t)rng();
		for (size_t i = n - k; i < n; i++) {
			switch (attack) {
			case 0: dst[i] = up ? INT64_MAX : INT64_MIN; break;
			case 1: dst[i] = up ? bft_sat_add(cmax, 1) : bft_sat_sub(cmin, 1); break;
			case 2: dst[i] = one; break;
			case 3: dst[i] = (int64_t)rng(); break;
			default: dst[i] = dst[below(n - k)]; break;
			}
		}
	}
	/* adversarial order: sorted descending half the time */
	if (chance(50)) {
		qsort(v, n, sizeof *v, cmp_i64);
		for (size_t i = 0; i < n / 2; i++) {
			int64_t x = v[i];
			v[i] = v[n - 1 - i];
			v[n - 1 - i] = x;
		}
	}
	snprintf(ctx, sizeof ctx, "points seed %llu n %zu f %zu k %zu", (unsigned long long)seed, n, f, k);
	check_points(v, n, f, cmin, cmax);
	check_points(v2, n, f, cmin, cmax);
	props[PR_POINTS].scen++;
	props[PR_POINTREF].scen++;
	free(v);
	free(v2);
}

static void test_point_properties(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		rng_seed(seed + 555);
		size_t n = 1 + (size_t)below(64);
		point_scenario(seed * 2, n, true);
		point_scenario(seed * 2 + 1, n, false);
	}
	const size_t big[] = { 1000, 4097, 10000 };
	for (size_t b = 0; b < 3; b++)
		for (uint64_t seed = 1; seed <= 6; seed++)
			point_scenario(900000 + seed * 2 + b * 100, big[b], seed & 1);
	print_props("fusion", PR_POINTS, PR_POINTREF);
}

/* The shortest-window mean: hand cases, and a seeded property with liars
 * placed near, far and straddling: with n >= 2f + 1 and at most f faulty the
 * result stays within twice the correct values' range of them. */
static void test_shortest_mean(void **state)
{
	(void)state;
	int64_t scratch[64], out;
	const int64_t far[] = { 0, 1, 2, 3, 1000, 1001, 1002 };
	assert_int_equal(bft_fusion_ft_shortest_mean(&out, far, 7, 3, scratch), 0);
	assert_true(out == 1); /* floor(mean(0..3)) */
	const int64_t all[] = { 5, 1, 3, 2, 4 };
	assert_int_equal(bft_fusion_ft_shortest_mean(&out, all, 5, 0, scratch), 0);
	assert_true(out == 3);
	assert_int_equal(bft_fusion_ft_shortest_mean(&out, all, 5, 3, scratch), BFT_EINVAL);
	assert_int_equal(bft_fusion_ft_shortest_mean(&out, all, 0, 0, scratch), BFT_EEMPTY);
	const int64_t ext[] = { INT64_MIN, INT64_MIN, INT64_MAX };
	assert_int_equal(bft_fusion_ft_shortest_mean(&out, ext, 3, 1, scratch), 0);
	assert_true(out == INT64_MIN);
	rng_state = 0xabcdef;
	int cases = 0;
	for (int seed = 0; seed < 20000; seed++) {
		size_t n = 1 + below(40), f = below((n - 1) / 2 + 1), bad = below(f + 1);
		int64_t v[64], lo = INT64_MAX, hi = INT64_MIN;
		int64_t base = (int64_t)below(1u << 30), spread = 1 + (int64_t)below(1000000);
		for (size_t i = 0; i < n - bad; i++) {
			v[i] = base + (int64_t)below((uint64_t)spread);
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		int64_t r = hi - lo;
		for (size_t i = n - bad; i < n; i++) {
			switch (below(4)) {
			case 0: v[i] = hi + 1 + (int64_t)below((uint64_t)r + 1); break;   /* just above */
			case 1: v[i] = lo - 1 - (int64_t)below((uint64_t)r + 1); break;   /* just below */
			case 2: v[i] = hi + 3 * r + (int64_t)below(1u << 20); break;      /* far */
			default: v[i] = lo + (int64_t)below((uint64_t)r + 1); break;      /* inside */
			}
		}
		assert_int_equal(bft_fusion_ft_shortest_mean(&out, v, n, f, scratch), 0);
		assert_true(out >= lo - 2 * r - 1 && out <= hi + 2 * r);
		cases++;
	}
	printf("[ PROPERTY ] fusion: shortest-window mean within 2R of the correct values %11d cases\n", cases);
}

/* The weighted shortest-window mean: the same window, the kept values
 * weighted by 1 / (u - u_min + u_min / 10 + 1)^2; hand cases, and the same
 * 2R property as the unweighted one under random weights, liars given the
 * best weights. */
static void test_shortest_wmean(void **state)
{
	(void)state;
	int64_t scratch[64], out;
	const int64_t far[] = { 0, 1, 2, 3, 1000, 1001, 1002 };
	const int64_t eq[] = { 10, 10, 10, 10, 10, 10, 10 };
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, far, eq, 7, 3, scratch), 0);
	assert_true(out == 2); /* mean(0..3) = 1.5, rounded to nearest */
	/* Value 0 ten times narrower-excess than the others: it dominates.
	 * u_min = 100, scale 11: weights 1/11^2 against 1/(100+11)^2. */
	const int64_t vals[] = { 0, 300, 300, 300 };
	const int64_t u[] = { 100, 200, 200, 200 };
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, vals, u, 4, 0, scratch), 0);
	assert_true(out > 0 && out < 10);
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, vals, NULL, 4, 0, scratch), BFT_EINVAL);
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, vals, u, 4, 2, scratch), BFT_EINVAL);
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, vals, u, 0, 0, scratch), BFT_EEMPTY);
	const int64_t ext[] = { INT64_MIN, INT64_MIN, INT64_MAX };
	const int64_t uext[] = { INT64_MAX, 0, 0 };
	assert_int_equal(bft_fusion_ft_shortest_wmean(&out, ext, uext, 3, 1, scratch), 0);
	assert_true(out == INT64_MIN);
	rng_state = 0x5eed;
	int cases = 0;
	for (int seed = 0; seed < 20000; seed++) {
		size_t n = 1 + below(40), f = below((n - 1) / 2 + 1), bad = below(f + 1);
		int64_t v[64], w[64], lo = INT64_MAX, hi = INT64_MIN;
		int64_t base = (int64_t)below(1u << 30), spread = 1 + (int64_t)below(1000000);
		for (size_t i = 0; i < n - bad; i++) {
			v[i] = base + (int64_t)below((uint64_t)spread);
			w[i] = 1000 + (int64_t)below(1u << 24);
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
		int64_t r = hi - lo;
		for (size_t i = n - bad; i < n; i++) {
			w[i] = (int64_t)below(1000); /* liars claim the narrowest */
			switch (below(3)) {
			case 0: v[i] = hi + 1 + (int64_t)below((uint64_t)r + 1); break;
			case 1: v[i] = lo - 1 - (int64_t)below((uint64_t)r + 1); break;
			default: v[i] = hi + 3 * r + (int64_t)below(1u << 20); break;
			}
		}
		assert_int_equal(bft_fusion_ft_shortest_wmean(&out, v, w, n, f, scratch), 0);
		assert_true(out >= lo - 2 * r - 1 && out <= hi + 2 * r + 1);
		cases++;
	}
	printf("[ PROPERTY ] fusion: weighted shortest-window mean within 2R of the correct values %d cases\n", cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marzullo_textbook),
		cmocka_unit_test(test_shortest_mean),
		cmocka_unit_test(test_shortest_wmean),
		cmocka_unit_test(test_brooks_iyengar_textbook),
		cmocka_unit_test(test_fti_weaker_detection),
		cmocka_unit_test(test_width_bound_tight),
		cmocka_unit_test(test_ntp_textbook),
		cmocka_unit_test(test_points_hand),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_interval_properties),
		cmocka_unit_test(test_detection),
		cmocka_unit_test(test_point_properties),
	};
	return cmocka_run_group_tests_name("fusion", tests, NULL, NULL);
}
