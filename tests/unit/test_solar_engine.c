/* SPDX-License-Identifier: MIT */
/*
 * The solar reference's engine (src/refclock/solar.h): parameters refused
 * with a sentence; a block at night publishes nothing and answers nothing;
 * a peer's fragment of the same moment gives an interval holding true time;
 * refusals by reason (own fragment, a flipped bit, another band, no block
 * within the window, a sender on the night side); the fusion of the peers'
 * readings holds true time with one liar among three and wants 2f + 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/solarsim.h"
#include "core/sun.h"
#include "proto/fragment.h"
#include "proto/sign.h"
#include "refclock/solar.h"
#include "refclock/solar_track.h"

#define DEG (M_PI / 180.0)
#define FS 2.4e6
#define BLOCK 8192
#define FRAG 2048
/* 2026-06-01T12:00:00Z: the Sun high over Europe, down over the Pacific */
#define T0 INT64_C(1780315200000000000)

static const uint64_t secret = 0x5eed;

static bftd_solar_params params(uint32_t node, double lat, double lon_east_m)
{
	bftd_solar_params p = {
		.node = node,
		.fs_hz = FS,
		.centre_hz = 1.42e9,
		.bw_hz = 0.8 * FS,
		.pos = { lat * DEG, 11.5 * DEG + lon_east_m / (6378137.0 * cos(lat * DEG)), 500 },
		.pos_err_m = 0.01,
		.mask_rad = 10 * DEG,
		.frag_n = FRAG,
		.block_n = BLOCK,
		.bits = 2,
		.tec_max_tecu = 150,
		.window_ns = 50000,
		.rate_err_ppb = 2000,
		.keep_blocks = 2,
	};
	return p;
}

static void test_params(void **state)
{
	(void)state;
	bft_signer s;
	bft_signer_sim(&s, &secret);
	char err[200];
	bftd_solar *e;
	bftd_solar_params p = params(1, 48.1, 0);
	p.block_n = FRAG + 10;
	assert_int_equal(bftd_solar_create(&e, &p, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "block must hold the fragment"));
	p = params(1, 48.1, 0);
	p.bits = 3;
	assert_int_equal(bftd_solar_create(&e, &p, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, "bits"));
	p = params(1, 48.1, 0);
	assert_int_equal(bftd_solar_create(&e, &p, NULL, err, sizeof err), -1);
	assert_int_equal(bftd_solar_create(&e, &p, &s, err, sizeof err), 0);
	bftd_solar_destroy(e);
	bftd_solar_destroy(NULL);
}

/* n engines at the given latitudes, lon_m metres east of 11.5 E, blocks of
 * one moment with the real geometric delays, and clock errors err_ns in
 * their published stamps; raw stamps 1000, 2000, ... */
struct rig {
	bft_signer s;
	bftd_solar *e[4];
	double complex *x[4];
	uint8_t frag[4][BFT_FRAG_MAX_BYTES];
	size_t len[4];
	int made[4];
};

static void rig_up(struct rig *r, size_t n, const int64_t *err_ns, const double *lat, const double *lon_m, uint64_t seed)
{
	bft_signer_sim(&r->s, &secret);
	bft_solarsim_station st[4];
	bft_vec3 p0 = { 0 };
	for (size_t i = 0; i < n; i++) {
		char err[200];
		bftd_solar_params p = params((uint32_t)i + 1, lat[i], lon_m[i]);
		assert_int_equal(bftd_solar_create(&r->e[i], &p, &r->s, err, sizeof err), 0);
		bft_vec3 pi = bft_geodetic_to_ecef(p.pos);
		if (i == 0)
			p0 = pi;
		st[i] = (bft_solarsim_station){ 300, 150, 1, bft_sun_delay_s(pi, p0, T0) * FS };
		r->x[i] = malloc(BLOCK * sizeof *r->x[i]);
	}
	bft_rng rng;
	bft_rng_seed(&rng, seed);
	assert_int_equal(bft_solarsim_array(&rng, BLOCK, 0.8, 0.95, n, st, r->x), 0);
	for (size_t i = 0; i < n; i++)
		r->made[i] = bftd_solar_record(r->e[i], r->x[i], BLOCK, 1000 * (int64_t)(i + 1), 50, T0 + err_ns[i], 100,
		                               7, r->frag[i], sizeof r->frag[i], &r->len[i]);
}

static void rig_down(struct rig *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bftd_solar_destroy(r->e[i]);
		free(r->x[i]);
	}
}

static void test_reading(void **state)
{
	(void)state;
	struct rig r;
	int64_t err[3] = { 0, 3000, -2000 };
	double lat[3] = { 48.1, 48.1, -80 }, lon[3] = { 0, 4, 4 }; /* -80: polar night in June */
	rig_up(&r, 3, err, lat, lon, 1);
	assert_int_equal(r.made[0], 1);
	assert_int_equal(r.made[1], 1);
	/* Station 3 is on the night side: no fragment, and it takes none. */
	assert_false(bftd_solar_sun_up(r.e[2], T0));
	assert_int_equal(r.made[2], 0);
	assert_int_equal(bftd_solar_get_stats(r.e[2])->night_blocks, 1);
	bftd_solar_reading rd;
	assert_int_equal(bftd_solar_on_fragment(r.e[2], r.frag[0], r.len[0], &rd), BFTD_SOLAR_E_NIGHT);
	/* Station 2 reads station 1: true time at station 2's raw stamp (2000)
	 * is T0 (both blocks start then); station 2's stamps are 3 us ahead. */
	assert_int_equal(bftd_solar_on_fragment(r.e[1], r.frag[0], r.len[0], &rd), 0);
	print_message("reading: offset %lld ns +- %lld ns, rho %.3f, snr %.1f\n", (long long)rd.offset_ns,
	              (long long)rd.half_ns, rd.rho, rd.snr);
	assert_int_equal(rd.peer, 1);
	assert_int_equal(rd.raw_ns, 2000);
	assert_true(bft_iv_contains(rd.iv, T0));
	assert_true(llabs(rd.offset_ns - (-3000)) <= rd.half_ns);
	assert_true(rd.half_ns < 1000);
	/* ... and the other way. */
	assert_int_equal(bftd_solar_on_fragment(r.e[0], r.frag[1], r.len[1], &rd), 0);
	assert_true(bft_iv_contains(rd.iv, T0 + 3000)); /* per station 2's stamps: its clock's error */
	/* Refusals. */
	assert_int_equal(bftd_solar_on_fragment(r.e[0], r.frag[0], r.len[0], &rd), BFTD_SOLAR_E_SELF);
	uint8_t bad[BFT_FRAG_MAX_BYTES];
	memcpy(bad, r.frag[0], r.len[0]);
	bad[BFT_FRAG_HEADER + 5] ^= 1;
	assert_int_equal(bftd_solar_on_fragment(r.e[1], bad, r.len[0], &rd), BFTD_SOLAR_E_FRAGMENT);
	assert_int_equal(bftd_solar_on_fragment(r.e[1], bad, 10, &rd), BFTD_SOLAR_E_FRAGMENT);
	assert_int_equal(bftd_solar_get_stats(r.e[1])->refused_fragment, 2);
	rig_down(&r, 3);
}

static void test_refusals(void **state)
{
	(void)state;
	struct rig r;
	/* Station 2's stamps 10 ms off: beyond any block's window. */
	int64_t err[2] = { 0, 10000000 };
	double lat[2] = { 48.1, 48.1 }, lon[2] = { 0, 4 };
	rig_up(&r, 2, err, lat, lon, 2);
	bftd_solar_reading rd;
	assert_int_equal(bftd_solar_on_fragment(r.e[1], r.frag[0], r.len[0], &rd), BFTD_SOLAR_E_NOBLOCK);
	/* Another band: an engine tuned elsewhere refuses it. */
	char e[200];
	bftd_solar *other;
	bftd_solar_params p = params(9, 48.1, 8);
	p.centre_hz = 1.6e9;
	assert_int_equal(bftd_solar_create(&other, &p, &r.s, e, sizeof e), 0);
	assert_int_equal(bftd_solar_on_fragment(other, r.frag[0], r.len[0], &rd), BFTD_SOLAR_E_BAND);
	bftd_solar_destroy(other);
	/* Nothing recorded yet: no block. */
	p = params(9, 48.1, 8);
	assert_int_equal(bftd_solar_create(&other, &p, &r.s, e, sizeof e), 0);
	assert_int_equal(bftd_solar_on_fragment(other, r.frag[0], r.len[0], &rd), BFTD_SOLAR_E_NOBLOCK);
	bftd_solar_destroy(other);
	rig_down(&r, 2);
}

static void test_fuse(void **state)
{
	(void)state;
	struct rig r;
	/* Station 4 lies by 40 us (within the window, far beyond any width). */
	int64_t err[4] = { 0, 0, 0, 40000 };
	double lat[4] = { 48.1, 48.1, 48.1, 48.1 }, lon[4] = { 0, 2, 4, 6 };
	rig_up(&r, 4, err, lat, lon, 3);
	bftd_solar_reading rd;
	size_t got = 0;
	for (size_t j = 1; j < 4; j++)
		got += bftd_solar_on_fragment(r.e[0], r.frag[j], r.len[j], &rd) == 0;
	assert_int_equal(got, 3);
	assert_false(bft_iv_contains(rd.iv, T0)); /* the liar's reading misses */
	int64_t raw;
	bft_interval iv;
	size_t used;
	assert_int_equal(bftd_solar_fuse(r.e[0], 1, 100000, 1000, 10 * INT64_C(1000000000), &raw, &iv, &used), 0);
	assert_int_equal(used, 3);
	assert_int_equal(raw, 1000);
	assert_true(bft_iv_contains(iv, T0));
	assert_int_equal(bftd_solar_fuse(r.e[0], 2, 100000, 1000, 10 * INT64_C(1000000000), &raw, &iv, &used),
	                 BFTD_SOLAR_E_FEW);
	/* f = 0: the liar's reading and the honest ones share no point. */
	assert_int_equal(bftd_solar_fuse(r.e[0], 0, 100000, 1000, 10 * INT64_C(1000000000), &raw, &iv, &used),
	                 BFTD_SOLAR_E_FAULTS);
	/* Stale: nothing within max_age of a much later now. */
	assert_int_equal(bftd_solar_fuse(r.e[0], 0, 100000, 1000 + 20 * INT64_C(1000000000), 10 * INT64_C(1000000000),
	                                 &raw, &iv, &used),
	                 BFTD_SOLAR_E_FEW);
	rig_down(&r, 4);
}

/* The track's residual from a lying peer on top of the honest one's. */
typedef double (*lie_fn)(const void *ctx, int64_t t_ns);

/* 480 readings 30 s apart from 2025-01-01 00:00 UTC (the Sun high at the
 * site), of a peer on the baseline own -> peer (the claimed geometry): both
 * tracks get the clock line (line0 + slope per reading) and uniform noise of
 * 20 ns (an LCG from seed), the liar's its lie on top; the honest track is
 * never flagged. Returns the reading at which the liar was first found (-1:
 * never), which must be found as a false position. */
static int run_tracks(bft_vec3 e_own, bft_vec3 e_peer, lie_fn lie, const void *ctx, uint64_t seed, double line0,
		      double slope, bftd_solar_track *liar)
{
	bftd_solar_track *honest = calloc(1, sizeof *honest);
	assert_non_null(honest);
	int64_t t0 = INT64_C(1735689600) * 1000000000;
	int found_at = -1;
	for (int i = 0; i < 480; i++) {
		int64_t t = t0 + (int64_t)i * 30 * 1000000000;
		double au;
		bft_vec3 d = bft_sun_dir_ecef(t, &au);
		double dir[3] = { d.x, d.y, d.z };
		double rate = bft_sun_delay_rate(e_own, e_peer, t);
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		double noise = ((double)(seed >> 11) * 0x1.0p-53 - 0.5) * 20e-9;
		double line = line0 + slope * (double)i;
		int64_t off_liar = (int64_t)llround((line + lie(ctx, t) + noise) * 1e9);
		int64_t off_honest = (int64_t)llround((line + noise) * 1e9);
		enum bftd_solar_cheat v = bftd_solar_track_add(liar, t, off_liar, 10e-9, dir, rate, 1.0, 1e-9);
		assert_int_equal(bftd_solar_track_add(honest, t, off_honest, 10e-9, dir, rate, 1.0, 1e-9),
		                 BFTD_SOLAR_HONEST);
		if (v != BFTD_SOLAR_HONEST && found_at < 0) {
			assert_int_equal(v, BFTD_SOLAR_POSITION);
			found_at = i;
		}
	}
	free(honest);
	return found_at;
}

/* What the peer's fragment says once the claimed geometry is removed: the
 * real geometry minus the claimed one. */
struct false_pos {
	bft_vec3 own, real, claimed;
};
static double lie_position(const void *ctx, int64_t t)
{
	const struct false_pos *f = ctx;
	return bft_sun_delay_s(f->own, f->real, t) - bft_sun_delay_s(f->own, f->claimed, t);
}

/* The day-long checks on synthetic series (solar_track.h): a peer 5 km
 * north of where it claims, read every 30 s over 4 h with 10 ns errors and
 * a clock line between the two clocks, is found, as claiming a false
 * position, once its readings span 2 h; an honest peer with the same clock
 * line and noise is not; a verdict is final. */
static void test_track(void **state)
{
	(void)state;
	bft_geodetic own = { -23 * M_PI / 180, 175 * M_PI / 180, 100 }, claimed = own;
	claimed.lon_rad += 1.5 / (6378137.0 * cos(own.lat_rad));
	bft_geodetic real = claimed;
	real.lat_rad += 5000 / 6378137.0;
	struct false_pos f = { bft_geodetic_to_ecef(own), bft_geodetic_to_ecef(real), bft_geodetic_to_ecef(claimed) };
	bftd_solar_track *liar = calloc(1, sizeof *liar);
	assert_non_null(liar);
	int found_at = run_tracks(f.own, f.claimed, lie_position, &f, 12345, 3e-6, 2e-9, liar);
	assert_true(found_at >= 240); /* not before its readings span 2 h */
	assert_true(liar->found > 1000 && liar->found < 6000); /* metres, the equatorial part of 5 km */
	/* Final: even readings that fit now do not clear it. */
	double dir0[3] = { 1, 0, 0 };
	int64_t t0 = INT64_C(1735689600) * 1000000000;
	assert_int_equal(bftd_solar_track_add(liar, t0, 0, 10e-9, dir0, 0, 1.0, 1e-9), BFTD_SOLAR_POSITION);
	printf("[ MEASURED ] a peer 5 km off its claimed position found after %d readings (%.1f h), |d| = %.0f m\n",
	       found_at + 1, (double)found_at * 30 / 3600, liar->found);
	free(liar);
}

/* A fragment whose geometry was taken at a false time (its samples at t,
 * the delay removed for t + dt) leaves dt * rate(t) in the residuals. On a
 * baseline B the delay's rate is B . ds/dt / c with ds/dt = omega x s (the
 * Earth's turning; the Sun's own motion is 400 times slower), so the residual
 * is s . (B x omega) dt / c: exactly what a false position d = dt (omega x B)
 * leaves, and the track's position check, which runs first, finds it as one,
 * |d| = omega B dt for a baseline across the Earth's axis. Here: 10 km east,
 * geometry taken 1 h late, 20 ns of noise: caught as a position 2.6 km off;
 * an honest peer on the same baseline never is. (The shift fit alone, on a
 * series where it is the only model, recovers a 30 s shift within 3 s:
 * test_solar.c's test_series_checks.) */
struct late_geometry {
	bft_vec3 own, peer;
	double dt;
};
static double lie_late(const void *ctx, int64_t t)
{
	const struct late_geometry *g = ctx;
	/* The samples' geometry at t, the removed one at t + dt. */
	return bft_sun_delay_s(g->own, g->peer, t) - bft_sun_delay_s(g->own, g->peer, t + (int64_t)(g->dt * 1e9));
}

static void test_track_shift(void **state)
{
	(void)state;
	bft_geodetic own = { -23 * M_PI / 180, 175 * M_PI / 180, 100 }, peer = own;
	const double base_m = 10000, omega = 7.2921159e-5;
	peer.lon_rad += base_m / (6378137.0 * cos(own.lat_rad));
	struct late_geometry g = { bft_geodetic_to_ecef(own), bft_geodetic_to_ecef(peer), 3600 };
	bftd_solar_track *liar = calloc(1, sizeof *liar);
	assert_non_null(liar);
	int found_at = run_tracks(g.own, g.peer, lie_late, &g, 777, -1e-6, 1e-9, liar);
	assert_true(found_at >= 240); /* not before its readings span 2 h */
	double expect = omega * base_m * g.dt;
	assert_true(liar->found > 0.7 * expect && liar->found < 1.3 * expect);
	printf("[ MEASURED ] geometry taken %.0f s late on %.0f km: found as a position after %d readings (%.1f h), "
	       "|d| = %.0f m (omega B dt = %.0f m)\n",
	       g.dt, base_m / 1000, found_at + 1, (double)found_at * 30 / 3600, liar->found, expect);
	free(liar);
}

/* A peer stating a stamp error wider than the block holds (a node free-
 * running for long): the widest window the block holds is searched, and
 * the reading, made with the stated errors, holds true time. */
static void test_wide_stamp(void **state)
{
	(void)state;
	struct rig r;
	int64_t err[2] = { 0, 3000 };
	double lat[2] = { 48.1, 48.1 }, lon[2] = { 0, 4 };
	rig_up(&r, 2, err, lat, lon, 3);
	uint8_t frag[BFT_FRAG_MAX_BYTES];
	size_t len = 0;
	/* Station 1's block once more, stating 5 ms (12,000 samples: beyond the 8192-sample block). */
	assert_int_equal(bftd_solar_record(r.e[0], r.x[0], BLOCK, 1000, 50, T0 + 1500, 5000000, 8, frag, sizeof frag, &len), 1);
	bftd_solar_reading rd;
	assert_int_equal(bftd_solar_on_fragment(r.e[1], frag, len, &rd), 0);
	assert_true(bft_iv_contains(rd.iv, T0));
	assert_true(rd.half_ns >= 5000000);
	rig_down(&r, 2);
}

/* The copy check with the own solar fraction bounded (sun_frac_max): a
 * copy of our own fragment under another name is refused, an honest
 * peer's is read; unbounded, the copy passes. */
static void test_copy(void **state)
{
	(void)state;
	struct rig r;
	int64_t err[2] = { 0, 0 };
	double lat[2] = { 48.1, 48.1 }, lon[2] = { 0, 4 };
	rig_up(&r, 2, err, lat, lon, 4); /* T_sun 300 K, T_sys 150 K: f = 0.67 */
	bft_fragment f;
	assert_int_equal(bft_fragment_open(r.frag[1], r.len[1], &r.s, &f), BFT_FRAG_OK);
	f.node = 9;
	uint8_t copy[BFT_FRAG_MAX_BYTES];
	size_t len = 0;
	assert_int_equal(bft_fragment_encode(&f, &r.s, copy, sizeof copy, &len), BFT_FRAG_OK);
	bftd_solar_reading rd;
	assert_int_equal(bftd_solar_on_fragment(r.e[1], copy, len, &rd), 0); /* unbounded: passes */
	char e[200];
	bftd_solar *b;
	bftd_solar_params p = params(2, 48.1, 4);
	p.sun_frac_max = 0.7;
	assert_int_equal(bftd_solar_create(&b, &p, &r.s, e, sizeof e), 0);
	uint8_t own[BFT_FRAG_MAX_BYTES];
	size_t own_len = 0;
	assert_int_equal(bftd_solar_record(b, r.x[1], BLOCK, 2000, 50, T0, 100, 7, own, sizeof own, &own_len), 1);
	assert_int_equal(bftd_solar_on_fragment(b, copy, len, &rd), BFTD_SOLAR_E_COPY);
	assert_int_equal(bftd_solar_get_stats(b)->copies, 1);
	assert_int_equal(bftd_solar_on_fragment(b, r.frag[0], r.len[0], &rd), 0);
	bftd_solar_destroy(b);
	p.sun_frac_max = 1.5;
	assert_int_equal(bftd_solar_create(&b, &p, &r.s, e, sizeof e), BFT_EINVAL);
	assert_non_null(strstr(e, "sun fraction"));
	rig_down(&r, 2);
}

/* The relay check with the peers' solar fraction bounded (peer_frac_max):
 * a third node's fragment under another name, its stamp moved, is refused
 * after the original; honest peers' fragments, which share the Sun's noise
 * with each other (f = 0.67 here), are read; unbounded, the relay passes. */
static void test_relay(void **state)
{
	(void)state;
	struct rig r;
	int64_t err[3] = { 0, 0, 0 };
	double lat[3] = { 48.1, 48.1, 48.1 }, lon[3] = { 0, 4, 9 };
	rig_up(&r, 3, err, lat, lon, 5); /* T_sun 300 K, T_sys 150 K: f = 0.67 */
	bft_fragment f;
	assert_int_equal(bft_fragment_open(r.frag[1], r.len[1], &r.s, &f), BFT_FRAG_OK);
	f.node = 9;
	f.start_ns += 2000; /* the relayer's claimed stamp */
	uint8_t relay[BFT_FRAG_MAX_BYTES];
	size_t len = 0;
	assert_int_equal(bft_fragment_encode(&f, &r.s, relay, sizeof relay, &len), BFT_FRAG_OK);
	for (int bounded = 0; bounded < 2; bounded++) {
		char e[200];
		bftd_solar *v;
		bftd_solar_params p = params(1, 48.1, 0);
		p.peer_frac_max = bounded ? 0.8 : 0;
		assert_int_equal(bftd_solar_create(&v, &p, &r.s, e, sizeof e), 0);
		uint8_t own[BFT_FRAG_MAX_BYTES];
		size_t own_len = 0;
		assert_int_equal(bftd_solar_record(v, r.x[0], BLOCK, 1000, 50, T0, 100, 7, own, sizeof own, &own_len), 1);
		bftd_solar_reading rd;
		assert_int_equal(bftd_solar_on_fragment(v, r.frag[1], r.len[1], &rd), 0);
		assert_int_equal(bftd_solar_on_fragment(v, r.frag[2], r.len[2], &rd), 0);
		assert_int_equal(bftd_solar_on_fragment(v, relay, len, &rd), bounded ? BFTD_SOLAR_E_COPY : 0);
		assert_int_equal(bftd_solar_get_stats(v)->relays, bounded ? 1 : 0);
		/* The original again (its next fragment, say) is still read. */
		assert_int_equal(bftd_solar_on_fragment(v, r.frag[1], r.len[1], &rd), 0);
		bftd_solar_destroy(v);
	}
	char e[200];
	bftd_solar *v;
	bftd_solar_params p = params(1, 48.1, 0);
	p.peer_frac_max = 1.5;
	assert_int_equal(bftd_solar_create(&v, &p, &r.s, e, sizeof e), BFT_EINVAL);
	assert_non_null(strstr(e, "peers' sun fraction"));
	rig_down(&r, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_reading),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_fuse),
		cmocka_unit_test(test_track), cmocka_unit_test(test_track_shift),
		cmocka_unit_test(test_wide_stamp),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_relay),
	};
	return cmocka_run_group_tests_name("solar_engine", tests, NULL, NULL);
}
