/* SPDX-License-Identifier: MIT */
/*
 * Internal synchronization's pure parts (docs/internal-sync.md): the W-MSR
 * trimmed midpoint against a brute-force reference; a seeded property test
 * on full meshes with n = 3f+1 .. 3f+5 and f Byzantine values chosen per
 * receiver (the honest results stay in the honest range widened by the
 * reading error, and the spread at least halves up to 2e); the stated
 * precision formula; and the discipline's steered network clock (bounds stay
 * infinite, the first true-time measurement starts the clock over, a steer
 * after true time is refused, the clock never runs back without a step).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/agree.h>
#include <bftime/discipline.h>

#define MS INT64_C(1000000)
#define S INT64_C(1000000000)

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static int64_t rnd(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

/* The rule stated plainly: drop the f largest positive and the f smallest
 * negative values one at a time, keep 0, take the midpoint. */
static void reference(const int64_t *in, size_t n, size_t f, int64_t *move, int64_t *range, size_t *trimmed,
                      int64_t *kept_lo, int64_t *kept_hi)
{
	int64_t v[64];
	bool gone[64] = { false };
	memcpy(v, in, n * sizeof *v);
	*trimmed = 0;
	for (size_t k = 0; k < f; k++) {
		int best = -1;
		for (size_t i = 0; i < n; i++)
			if (!gone[i] && v[i] > 0 && (best < 0 || v[i] > v[best]))
				best = (int)i;
		if (best >= 0) {
			gone[best] = true;
			(*trimmed)++;
		}
		best = -1;
		for (size_t i = 0; i < n; i++)
			if (!gone[i] && v[i] < 0 && (best < 0 || v[i] < v[best]))
				best = (int)i;
		if (best >= 0) {
			gone[best] = true;
			(*trimmed)++;
		}
	}
	int64_t mn = 0, mx = 0;
	*kept_lo = INT64_MAX;
	*kept_hi = INT64_MIN;
	for (size_t i = 0; i < n; i++)
		if (!gone[i]) {
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
			*kept_lo = v[i] < *kept_lo ? v[i] : *kept_lo;
			*kept_hi = v[i] > *kept_hi ? v[i] : *kept_hi;
		}
	*move = mn / 2 + mx / 2;
	*range = mx - mn;
}

static void test_midpoint_reference(void **state)
{
	(void)state;
	uint64_t seed = 1;
	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)rnd(&seed, 0, 40), f = (size_t)rnd(&seed, 0, 6);
		int64_t v[64], w[64];
		for (size_t i = 0; i < n; i++)
			v[i] = it % 7 == 0 ? rnd(&seed, -3, 3) : rnd(&seed, -50 * MS, 50 * MS);
		memcpy(w, v, sizeof v);
		bft_agree_result r;
		assert_int_equal(bft_agree_midpoint(&r, w, n, f), 0);
		int64_t move, range, klo, khi;
		size_t trimmed;
		reference(v, n, f, &move, &range, &trimmed, &klo, &khi);
		assert_true(r.move_ns == move);
		assert_true(r.range_ns == range);
		assert_int_equal(r.trimmed, trimmed);
		/* The retained extremes name the trimmed values (node.c
		 * counts per peer with them): exactly, when values differ. */
		assert_true(r.kept_lo_ns == klo && r.kept_hi_ns == khi);
		size_t outside = 0;
		bool distinct = true;
		for (size_t i = 0; i < n; i++) {
			outside += v[i] < r.kept_lo_ns || v[i] > r.kept_hi_ns;
			for (size_t j = 0; j < i; j++)
				distinct = distinct && v[i] != v[j];
		}
		if (distinct)
			assert_int_equal(outside, trimmed);
	}
	/* Hostile extremes saturate instead of overflowing. */
	int64_t x[3] = { INT64_MAX, INT64_MIN, INT64_MAX };
	bft_agree_result r;
	assert_int_equal(bft_agree_midpoint(&r, x, 3, 0), 0);
	assert_true(r.range_ns == INT64_MAX);
	assert_int_equal(bft_agree_midpoint(NULL, x, 3, 0), BFT_EINVAL);
	assert_int_equal(bft_agree_midpoint(&r, NULL, 3, 0), BFT_EINVAL);
	assert_int_equal(bft_agree_midpoint(&r, NULL, 0, 0), 0);
	assert_true(r.move_ns == 0);
}

/* Full mesh, n >= 3f + 1, f faulty values per receiver chosen to hurt (far
 * above, far below, just outside the honest range, or split by receiver):
 * every honest result within [m - e, M + e], and the new spread at most
 * S/2 + 2e (docs/internal-sync.md, §3). */
static void test_mesh_property(void **state)
{
	(void)state;
	uint64_t seed = 7;
	for (size_t f = 0; f <= 4; f++)
		for (size_t n = 3 * f + 1; n <= 3 * f + 5; n++)
			for (int it = 0; it < 300; it++) {
				size_t h = n - f; /* honest */
				int64_t c[32], out[32], e = rnd(&seed, 0, 200000);
				int64_t m = INT64_MAX, M = INT64_MIN;
				for (size_t i = 0; i < h; i++) {
					c[i] = rnd(&seed, 0, 50 * MS);
					m = c[i] < m ? c[i] : m;
					M = c[i] > M ? c[i] : M;
				}
				int strategy = it % 4;
				for (size_t i = 0; i < h; i++) {
					int64_t v[32];
					size_t k = 0;
					for (size_t j = 0; j < h; j++)
						if (j != i)
							v[k++] = c[j] - c[i] + rnd(&seed, -e, e);
					for (size_t j = 0; j < f; j++) {
						int64_t lie;
						switch (strategy) {
						case 0: lie = (j % 2 ? 1 : -1) * 1000 * MS; break;
						case 1: lie = M + e + 1; break;
						case 2: lie = c[i] > (m + M) / 2 ? M + e : m - e; break; /* split */
						default: lie = rnd(&seed, m - 10 * MS, M + 10 * MS); break;
						}
						v[k++] = lie - c[i];
					}
					bft_agree_result r;
					assert_int_equal(bft_agree_midpoint(&r, v, k, f), 0);
					out[i] = c[i] + r.move_ns;
					assert_true(out[i] >= m - e - 1 && out[i] <= M + e + 1);
				}
				int64_t lo = INT64_MAX, hi = INT64_MIN;
				for (size_t i = 0; i < h; i++) {
					lo = out[i] < lo ? out[i] : lo;
					hi = out[i] > hi ? out[i] : hi;
				}
				assert_true(hi - lo <= (M - m) / 2 + 2 * e + 2);
			}
}

static void test_precision_formula(void **state)
{
	(void)state;
	/* pi = (2e + 2beta + D)/(1 - c): c = 1/2 gives 4e + 4beta + 2D. */
	assert_true(bft_agree_precision_ns(200000, 0, 64000, 500000) == 4 * 200000 + 2 * 64000);
	assert_true(bft_agree_precision_ns(200000, 200000, 64000, 500000) == 8 * 200000 + 2 * 64000);
	assert_true(bft_agree_precision_ns(100, 0, 0, 0) == 200);
	assert_true(bft_agree_precision_ns(-1, 0, 0, 500000) == INT64_MAX);
	assert_true(bft_agree_precision_ns(1, 0, 0, 1000000) == INT64_MAX);
	assert_true(bft_agree_precision_ns(INT64_MAX / 2, 0, 0, 900000) == INT64_MAX);
}

static void test_disc_steer(void **state)
{
	(void)state;
	bft_disc *d;
	assert_int_equal(bft_disc_create(&d, NULL), 0);
	int64_t raw = 1000 * S;
	bft_disc_reading r;
	bft_disc_update_info info;
	/* First steer: the clock starts at the target (a step), bounds infinite. */
	assert_int_equal(bft_disc_steer(d, raw, raw + 30 * MS, 100000, false, &info), 0);
	assert_true(info.initial_step);
	assert_int_equal(bft_disc_read(d, raw, &r), 0);
	assert_true(r.running);
	assert_int_equal(r.state, BFT_DISC_UNSYNCHRONIZED);
	assert_true(r.time_ns == raw + 30 * MS);
	assert_true(r.bounds.lo_ns == INT64_MIN && r.bounds.hi_ns == INT64_MAX);
	/* Later steers slew (monotonic), and the fit learns the network rate
	 * (targets running 20 ppm fast against raw) without steering by it. */
	int64_t last = r.time_ns;
	for (int k = 1; k <= 40; k++) {
		int64_t at = raw + k * 16 * S;
		for (int64_t t = at - 16 * S; t < at; t += S) {
			assert_int_equal(bft_disc_read(d, t, &r), 0);
			assert_true(r.time_ns >= last);
			last = r.time_ns;
			assert_true(r.bounds.lo_ns == INT64_MIN && r.bounds.hi_ns == INT64_MAX);
		}
		int64_t target = at + 30 * MS + (k * 16 * S) / 50000 + (k == 20 ? 5 * MS : 0);
		assert_int_equal(bft_disc_steer(d, at, target, 100000, false, &info), 0);
		assert_false(info.initial_step);
	}
	/* The fit measured the network's rate; the clock still runs at the
	 * oscillator's (phase corrections only). */
	assert_int_equal(bft_disc_read(d, raw + 40 * 16 * S, &r), 0);
	assert_true(r.trained);
	assert_true(r.freq_ppb == 0);
	bft_disc_status fs;
	assert_int_equal(bft_disc_get_status(d, &fs), 0);
	assert_true(fs.freq_ppb > 19000 && fs.freq_ppb < 21000);
	/* An allowed step moves the clock at once and is counted. */
	int64_t at = raw + 41 * 16 * S;
	assert_int_equal(bft_disc_steer(d, at, at - 200 * MS, 100000, true, &info), 0);
	assert_true(info.initial_step);
	assert_int_equal(bft_disc_read(d, at, &r), 0);
	assert_true(r.time_ns == at - 200 * MS);
	bft_disc_status st;
	assert_int_equal(bft_disc_get_status(d, &st), 0);
	assert_int_equal(st.steps, 1);
	assert_int_equal(bft_disc_steer(d, at - 1, at, 0, false, NULL), BFT_EINVAL); /* back in raw time */
	assert_int_equal(bft_disc_steer(d, at, at, -1, false, NULL), BFT_EINVAL);
	/* True time arrives: a first measurement (the clock set into it, a
	 * fresh fit), and the network course is gone for good. */
	at += 16 * S;
	bft_interval meas = bft_iv(at + 5 * S - MS, at + 5 * S + MS);
	assert_int_equal(bft_disc_update(d, at, meas, &info), 0);
	assert_true(info.initial_step);
	assert_int_equal(bft_disc_read(d, at, &r), 0);
	assert_int_equal(r.state, BFT_DISC_SYNCHRONIZED);
	assert_true(r.time_ns == at + 5 * S);
	assert_true(r.bounds.lo_ns == meas.lo_ns && r.bounds.hi_ns == meas.hi_ns);
	assert_false(r.trained);
	assert_int_equal(bft_disc_steer(d, at + S, at + S, 0, false, NULL), BFT_EINVAL);
	bft_disc_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_midpoint_reference),
		cmocka_unit_test(test_mesh_property),
		cmocka_unit_test(test_precision_formula),
		cmocka_unit_test(test_disc_steer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
