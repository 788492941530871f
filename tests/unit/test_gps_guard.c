/* SPDX-License-Identifier: MIT */
/* Tests of the GPS plausibility checks and reading intervals (gps_guard.h):
 * each anti-spoofing check on the data that must trip it and on real-sky
 * data that must not, the haversine against known distances, the time step
 * and date checks, the reading intervals (honest for every lateness they
 * claim to cover, checked by a seeded sweep), the ISO time parser and GPS
 * week arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>
#include "refclock/gps_guard.h"
#include "refclock/refclock.h"
#include "proto/nmea.h"

#define S BFT_NS_PER_SEC
#define MS (BFT_NS_PER_SEC / 1000)
#define NOW (INT64_C(1767225600) * S) /* 2026-01-01T00:00:00Z */

/* The sky of gpsd's ublox-lea-5h capture at 08:55:16 (13 in view, 8 used). */
static void real_sky(bftd_gps_sky *s)
{
	static const struct { int prn; double snr; bool used; } v[] = {
		{ 8, 17, false }, { 9, 43, true }, { 11, 0, false }, { 12, 29, true }, { 15, 40, true },
		{ 17, 25, true }, { 18, 39, true }, { 22, 38, true }, { 24, 0, false }, { 26, 0, false },
		{ 27, 44, true }, { 28, 30, true }, { 33, 38, false },
	};
	memset(s, 0, sizeof *s);
	s->valid = true;
	s->used = -1;
	s->one_report = true; /* as gpsd's SKY */
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		s->sat[s->n++] = (bftd_gps_sat){ v[i].prn, BFTD_GNSS_GPS, v[i].snr, v[i].used };
	s->visible = (int)s->n;
}

#define BIT(x) (1u << (x))

static void test_sky_real_passes(void **st)
{
	(void)st;
	bftd_gps_sky s;
	real_sky(&s);
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	bftd_gps_snr q = bftd_gps_sky_snr(&s);
	assert_int_equal(q.tracked, 10);
	assert_true(q.min == 17 && q.max == 44);
	assert_true(fabs(q.used_mean - (43 + 29 + 40 + 25 + 39 + 38 + 44 + 30) / 8.0) < 1e-9);
}

static void test_sky_identical(void **st)
{
	(void)st;
	bftd_gps_sky s;
	real_sky(&s);
	for (size_t i = 0; i < s.n; i++)
		if (s.sat[i].snr > 0)
			s.sat[i].snr = 42;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_SNR_IDENTICAL));
	/* five equal are not enough to say (a small real sky may) */
	bftd_gps_sky t;
	real_sky(&t);
	t.n = 7; /* 6 tracked: 17 43 29 40 25 39 */
	for (size_t i = 0; i < t.n; i++)
		if (t.sat[i].snr > 0)
			t.sat[i].snr = 35;
	assert_int_equal(bftd_gps_check_sky(&t, 3, 3), BIT(BFTD_GPS_SNR_IDENTICAL));
	t.sat[0].snr = 0; /* 5 tracked */
	assert_int_equal(bftd_gps_check_sky(&t, 3, 3), 0);
}

static void test_sky_range_and_count(void **st)
{
	(void)st;
	bftd_gps_sky s;
	real_sky(&s);
	s.sat[1].snr = 61;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_SNR_RANGE));
	s.sat[1].snr = 60; /* the threshold itself passes */
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	s.sat[1].snr = -3;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_SNR_RANGE));
	real_sky(&s);
	/* 17 GPS satellites tracked (9 of the sky's, 8 more; PRN 33 is SBAS):
	 * more than ever rise above one horizon */
	for (int p = 1; s.n < 21; p++)
		if (p != 8 && p != 9 && p != 11 && p != 12 && p != 15 && p != 17 && p != 18 && p != 22 && p != 24 &&
		    p != 26 && p != 27 && p != 28)
			s.sat[s.n++] = (bftd_gps_sat){ p, BFTD_GNSS_GPS, 20 + p, false };
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_TOO_MANY_SATS));
	/* but 17 of several systems are an ordinary multi-GNSS sky */
	for (size_t i = 10; i < s.n; i++)
		s.sat[i].gnss = 6; /* GLONASS */
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	/* 17 GPS listed but only the 10 with a signal tracked: a receiver's
	 * almanac list, not a claim to see them */
	for (size_t i = 10; i < s.n; i++) {
		s.sat[i].gnss = BFTD_GNSS_GPS;
		s.sat[i].snr = 0;
	}
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	/* more than 100 tracked of all systems together */
	real_sky(&s);
	for (int p = 200; s.n < 13 + BFTD_GPS_MAX_TRACKED - 10 + 1; p++) /* 10 tracked + 91 */
		s.sat[s.n++] = (bftd_gps_sat){ p, BFTD_GNSS_UNKNOWN, 30 + p % 10, false };
	s.visible = (int)s.n;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_TOO_MANY_SATS));
	s.n--; /* exactly 100 tracked (10 GPS + 90 others): passes */
	s.visible = (int)s.n;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	real_sky(&s);
	s.visible = 65; /* many listed, few tracked: not judged */
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), 0);
	real_sky(&s);
	s.used = 14; /* more used than in view */
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_TOO_MANY_SATS));
}

static void test_sky_no_sats_3d(void **st)
{
	(void)st;
	bftd_gps_sky s;
	real_sky(&s);
	for (size_t i = 0; i < s.n; i++)
		s.sat[i].used = false;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_NO_SATS_3D));
	/* just acquired: the sky report may still be the previous cycle's */
	assert_int_equal(bftd_gps_check_sky(&s, 3, 1), 0);
	assert_int_equal(bftd_gps_check_sky(&s, 2, 2), 0);
	s.used = 0; /* stated by the receiver, list or not */
	s.n = 0;
	assert_int_equal(bftd_gps_check_sky(&s, 3, 3), BIT(BFTD_GPS_NO_SATS_3D));
	assert_int_equal(bftd_gps_check_sky(NULL, 3, 3), 0);
}

static void test_distance(void **st)
{
	(void)st;
	/* one degree of latitude: pi/180 * 6371008.8 m */
	assert_true(fabs(bftd_gps_distance_m(0, 0, 1, 0) - 111195.08) < 0.1);
	assert_true(fabs(bftd_gps_distance_m(51.9259, 4.5776, 51.9259, 4.5776)) < 1e-6);
	/* across the antimeridian: 0.002 deg of longitude on the equator */
	assert_true(fabs(bftd_gps_distance_m(0, 179.999, 0, -179.999) - 222.39) < 0.1);
	/* Paris - London, great circle, about 343.5 km */
	double d = bftd_gps_distance_m(48.8566, 2.3522, 51.5074, -0.1278);
	assert_true(d > 343000 && d < 344500);
	/* antipodes: half the circumference, no NaN */
	assert_true(fabs(bftd_gps_distance_m(10, 20, -10, -160) - 3.14159265358979 * 6371008.8) < 1);
}

static void test_fixed_station(void **st)
{
	(void)st;
	bftd_gps_guard g;
	bftd_gps_guard_init(&g, true, 100, BFTD_GPS_STEP_TOL_NS);
	bftd_gps_fix f = { NOW, 3, true, 51.9259, 4.5776, 2 };
	int64_t raw = 1000 * S;
	uint32_t m = 0;
	for (int i = 0; i < 20; i++, f.time_ns += S, raw += S) {
		f.lat_deg = 51.9259 + (i % 3 - 1) * 1e-6; /* 10 cm of noise */
		m |= bftd_gps_guard_check(&g, &f, NULL, raw, NOW);
	}
	assert_int_equal(m, 0);
	assert_int_equal(g.anchor_n, BFTD_GPS_ANCHOR_FIXES);
	/* a slow walk, 5 m a fix: stays unflagged until 100 m from the anchor,
	 * the anchor does not follow */
	int first = -1;
	for (int i = 1; i <= 40; i++, f.time_ns += S, raw += S) {
		f.lat_deg = 51.9259 + i * 5.0 / 111195.0;
		if (bftd_gps_guard_check(&g, &f, NULL, raw, NOW) & BIT(BFTD_GPS_MOVED)) {
			if (first < 0)
				first = i;
		} else {
			assert_true(first < 0);
		}
	}
	assert_true(first == 20 || first == 21); /* 100 m from 51.9259, the anchor within cm of it */
	assert_true(g.count[BFTD_GPS_MOVED] == (uint64_t)(41 - first));
	/* not a fixed station: moving is fine */
	bftd_gps_guard_init(&g, false, 100, BFTD_GPS_STEP_TOL_NS);
	for (int i = 0; i < 20; i++, f.time_ns += S, raw += S) {
		f.lat_deg = 51.9259 + i * 50.0 / 111195.0;
		assert_int_equal(bftd_gps_guard_check(&g, &f, NULL, raw, NOW), 0);
	}
}

static void test_step(void **st)
{
	(void)st;
	int64_t t = NOW, r = 5 * S, tol = BFTD_GPS_STEP_TOL_NS;
	assert_int_equal(bftd_gps_check_step(t, r, t + S, r + S + 300 * MS, tol), 0);
	assert_int_equal(bftd_gps_check_step(t, r, t + S, r + S - 399 * MS, tol), 0);
	assert_int_equal(bftd_gps_check_step(t, r, t + S, r + S + 403 * MS, tol), BIT(BFTD_GPS_JUMP));
	assert_int_equal(bftd_gps_check_step(t, r, t + 4 * S, r + S, tol), BIT(BFTD_GPS_JUMP));
	assert_int_equal(bftd_gps_check_step(t, r, t, r + S, tol), BIT(BFTD_GPS_BACKWARDS));
	assert_int_equal(bftd_gps_check_step(t, r, t - S, r + S, tol), BIT(BFTD_GPS_BACKWARDS));
	/* after an hour without fixes: 1000 ppm of it (3.6 s) on top */
	assert_int_equal(bftd_gps_check_step(t, r, t + 3600 * S, r + 3600 * S + 3 * S, tol), 0);
	assert_int_equal(bftd_gps_check_step(t, r, t + 3600 * S, r + 3600 * S + 5 * S, tol), BIT(BFTD_GPS_JUMP));
	/* absurd values saturate, never overflow */
	assert_int_equal(bftd_gps_check_step(INT64_MIN, r, INT64_MAX, r + S, tol), BIT(BFTD_GPS_JUMP));
	assert_int_equal(bftd_gps_check_step(t, r, t + S, r - S, tol), BIT(BFTD_GPS_JUMP));
	/* the guard flags one step, not every later one */
	bftd_gps_guard g;
	bftd_gps_guard_init(&g, false, 100, tol);
	bftd_gps_fix f = { NOW, 3, false, 0, 0, 0 };
	assert_int_equal(bftd_gps_guard_check(&g, &f, NULL, r, NOW), 0);
	f.time_ns += 3 * S;
	assert_int_equal(bftd_gps_guard_check(&g, &f, NULL, r + S, NOW), BIT(BFTD_GPS_JUMP));
	f.time_ns += S;
	assert_int_equal(bftd_gps_guard_check(&g, &f, NULL, r + 2 * S, NOW), 0);
	bftd_gps_guard_reset_time(&g);
	f.time_ns += 100 * S; /* after a reconnection: not judged */
	assert_int_equal(bftd_gps_guard_check(&g, &f, NULL, r + 3 * S, NOW), 0);
	assert_int_equal(g.suspect, 1);
}

static void test_epoch(void **st)
{
	(void)st;
	assert_int_equal(bftd_gps_check_epoch(NOW, NOW + 3600 * S), 0);
	int64_t old = INT64_C(1282379716) * S; /* 2010-08-21, a replay */
	assert_int_equal(bftd_gps_check_epoch(old, NOW), BIT(BFTD_GPS_BEFORE_FLOOR) | BIT(BFTD_GPS_FAR_FROM_SYSTEM));
	int64_t ro = INT64_C(1901696116) * S; /* the same, after gpsd's 1024-week correction: 2030 */
	assert_int_equal(bftd_gps_check_epoch(ro, NOW), BIT(BFTD_GPS_FAR_FROM_SYSTEM));
	/* a system clock at 1970 (no RTC) says nothing */
	assert_int_equal(bftd_gps_check_epoch(NOW, 5 * S), 0);
	assert_int_equal(bftd_gps_check_epoch(NOW + 86399 * S, NOW), 0);
	assert_int_equal(bftd_gps_check_epoch(NOW - 86400 * S, NOW), BIT(BFTD_GPS_FAR_FROM_SYSTEM));
}

static void test_reasons(void **st)
{
	(void)st;
	assert_null(bftd_gps_suspect_first(0));
	assert_string_equal(bftd_gps_suspect_first(BIT(BFTD_GPS_MOVED) | BIT(BFTD_GPS_JUMP)), "fixed station moved");
	for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++) {
		assert_non_null(bftd_gps_suspect_reason((enum bftd_gps_suspect)i));
		assert_true(strlen(bftd_gps_suspect_key((enum bftd_gps_suspect)i)) > 2);
	}
}

static uint64_t rng = 0x1234567;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every timing mode's interval holds true time whenever the lateness is
 * within what the mode assumes: a seeded sweep of 10^4 sentences each. */
static void test_reading_honest(void **st)
{
	(void)st;
	int64_t t = NOW; /* the second the sentence names */
	for (int k = 0; k < 10000; k++) {
		int64_t edge_raw = 77 * S + (int64_t)(next() % (1000 * S)); /* raw time of the second's start */
		/* true time at raw r is t + (r - edge_raw) (an ideal oscillator
		 * over one second: drift is the node's to bound) */
		bftd_gps_delay d = { -1, 100 * MS, false, false, 0, 0, 0 };
		int64_t late = (int64_t)(next() % S), raw, lo, hi;
		assert_int_equal(bftd_gps_nmea_reading(&d, t, edge_raw + late, &raw, &lo, &hi), BFTD_GPS_T_DEFAULT);
		int64_t truth = t + (raw - edge_raw);
		assert_true(lo <= truth && truth <= hi);
		/* configured delay, true lateness within +-uncertainty of it */
		d.delay_ns = 300 * MS;
		late = 200 * MS + (int64_t)(next() % (200 * MS));
		assert_int_equal(bftd_gps_nmea_reading(&d, t, edge_raw + late, &raw, &lo, &hi), BFTD_GPS_T_DELAY);
		truth = t + (raw - edge_raw);
		assert_true(lo <= truth && truth <= hi);
		/* measured: median 450 ms, window 420..480; lateness within it */
		d = (bftd_gps_delay){ -1, 20 * 1000, true, true, 450 * MS, 420 * MS, 480 * MS };
		late = 420 * MS + (int64_t)(next() % (60 * MS));
		assert_int_equal(bftd_gps_nmea_reading(&d, t, edge_raw + late, &raw, &lo, &hi), BFTD_GPS_T_MEASURED);
		truth = t + (raw - edge_raw);
		assert_true(lo <= truth && truth <= hi);
		/* the NMEA half-width never falls to the PPS jitter */
		assert_true(hi - lo >= 2 * BFTD_GPS_NMEA_MIN_UNC_NS);
		/* PPS: at the edge */
		bftd_gps_pps_reading(&d, t, edge_raw, 3000, &raw, &lo, &hi);
		assert_int_equal(raw, edge_raw);
		assert_int_equal(lo, t - 23000);
		assert_int_equal(hi, t + 23000);
	}
}

static void test_iso_and_week(void **st)
{
	(void)st;
	int64_t t;
	assert_int_equal(bftd_gps_parse_iso("2010-08-21T08:55:16.000Z", &t), 0);
	assert_int_equal(t, INT64_C(1282380916) * S);
	assert_int_equal(bftd_gps_parse_iso("2030-04-06T08:37:29.5Z", &t), 0);
	assert_int_equal(t, INT64_C(1901695049) * S + 500 * MS);
	assert_int_equal(bftd_gps_parse_iso("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(bftd_gps_parse_iso("2000-02-29T23:59:59.123456789123Z", &t), 0);
	assert_int_equal(t, INT64_C(951868799) * S + 123456789);
	const char *bad[] = { "", "2010-08-21", "2010-08-21T08:55:16", "2010-13-01T00:00:00Z", "2010-08-21T24:00:00Z",
		              "2010-08-21T08:55:16.Z", "2010-08-21T08:55:16Zx", "2010-8-21T08:55:16Z", "+010-08-21T08:55:16Z" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(bftd_gps_parse_iso(bad[i], &t), BFT_EINVAL);
	uint16_t wk;
	int64_t tow;
	/* 2010-08-21T08:55:16Z: GPS week 1597 (Saturday), leap 15 s then */
	bftd_gps_week(INT64_C(1282380916) * S, 15, &wk, &tow);
	assert_int_equal(wk, 1597);
	assert_int_equal(tow, (6 * 86400 + 8 * 3600 + 55 * 60 + 16 + 15) * S);
	/* the GPS epoch itself */
	bftd_gps_week(INT64_C(315964800) * S, 0, &wk, &tow);
	assert_int_equal(wk, 0);
	assert_int_equal(tow, 0);
}

/* Issue 13: a gpsd TPV time past 2262 (or before 1677) had no int64 ns;
 * the product overflowed (UBSan) and the wrapped time overflowed again in
 * bftd_gps_week. Only years 1900..2200 are dates a receiver can mean: the
 * others are refused (the gpsd driver counts the report in its errors). */
static void test_iso_implausible_years(void **st)
{
	(void)st;
	int64_t t = 42;
	const char *bad[] = { "2263-01-01T00:00:00.000Z", "9999-12-31T23:59:60.999999999Z", "2201-01-01T00:00:00Z",
		              "1677-09-21T00:12:43Z",     "0000-01-01T00:00:00Z",            "1899-12-31T23:59:59Z" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(bftd_gps_parse_iso(bad[i], &t), BFT_EINVAL);
		assert_int_equal(t, 42); /* untouched */
	}
	/* the ends of the plausible years still parse */
	assert_int_equal(bftd_gps_parse_iso("2200-12-31T23:59:59.999Z", &t), 0);
	assert_int_equal(t, INT64_C(7289654399) * S + 999 * MS);
	assert_int_equal(bftd_gps_parse_iso("1900-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, INT64_C(-2208988800) * S);
	assert_int_equal(bftd_gps_civil_ns(2263, 1, 1, 0, 0, 0, &t), BFT_EINVAL);
	assert_int_equal(bftd_gps_civil_ns(-2147483647 - 1, 1, 1, 0, 0, 0, &t), BFT_EINVAL);
	/* and bftd_gps_week saturates whatever it is given */
	uint16_t wk;
	int64_t tow;
	bftd_gps_week(INT64_MIN, 18, &wk, &tow);
	assert_int_equal(wk, 0);
	assert_int_equal(tow, 0);
	const int64_t w = INT64_C(604800) * S;
	bftd_gps_week(INT64_MAX, 18, &wk, &tow);
	assert_int_equal(wk, (INT64_MAX - INT64_C(315964800) * S + 18 * S) / w);
	assert_true(tow >= 0 && tow < w);
	bftd_gps_week(INT64_MAX, INT64_MAX, &wk, &tow); /* saturates at INT64_MAX */
	assert_int_equal(wk, INT64_MAX / w);
	assert_int_equal(tow, INT64_MAX % w);
	bftd_gps_week(INT64_MIN, INT64_MIN, &wk, &tow);
	assert_int_equal(wk, 0);
}

/* The shared receiver: one reading per new second, the proof block, the
 * suspect reason carried through. */
static void test_rx(void **st)
{
	(void)st;
	bftd_gps_rx rx;
	bftd_gps_rx_init(&rx, -1, 100 * MS, false, 18, false, 100);
	real_sky(&rx.sky);
	rx.sky.raw_ns = 10 * S;
	bftd_gps_fix f = { NOW, 3, true, 51.9, 4.5, 0 };
	bftd_reading r;
	assert_true(bftd_gps_rx_fix(&rx, &f, 10 * S + 300 * MS, NOW, &r));
	assert_true(r.have_gps);
	assert_int_equal(r.gps.kind, BFT_REF_GPS);
	assert_int_equal(r.gps.sats_used, 8);
	assert_int_equal(r.gps.sats_visible, 13);
	assert_int_equal(r.gps.snr_cdbhz, 3600); /* (43+29+40+25+39+38+44+30)/8 = 36 */
	assert_null(r.suspect);
	assert_int_equal(r.raw_ns, 10 * S + 300 * MS - BFTD_GPS_DEFAULT_LATE_NS);
	/* the same second restated: no new reading */
	assert_false(bftd_gps_rx_fix(&rx, &f, 10 * S + 400 * MS, NOW, &r));
	/* no fix: none */
	f.time_ns += S;
	f.mode = 1;
	assert_false(bftd_gps_rx_fix(&rx, &f, 11 * S + 300 * MS, NOW, &r));
	f.mode = 3;
	for (size_t i = 0; i < rx.sky.n; i++)
		if (rx.sky.sat[i].snr > 0)
			rx.sky.sat[i].snr = 40;
	assert_true(bftd_gps_rx_fix(&rx, &f, 11 * S + 300 * MS, NOW, &r));
	assert_string_equal(r.suspect, "identical signal strength on every satellite");
	assert_int_equal(rx.guard.suspect, 1);
}

/* Bytes that waited unread (the loop busy signing or committing) for up to
 * span_ns: the reading is stated from the read and only its upper bound
 * moves, by the span; with PPS edges about, a long wait gives no reading
 * (it could pair with the wrong edge) and is counted. */
static void test_rx_span(void **st)
{
	(void)st;
	bftd_gps_rx a, b;
	bftd_gps_rx_init(&a, 120 * MS, 5 * MS, false, 18, false, 100);
	bftd_gps_rx_init(&b, 120 * MS, 5 * MS, false, 18, false, 100);
	bftd_gps_fix f = { NOW, 3, false, 0, 0, 0 };
	bftd_reading ra, rb;
	assert_true(bftd_gps_rx_fix(&a, &f, 10 * S + 130 * MS, NOW, &ra));
	assert_true(bftd_gps_rx_fix_span(&b, &f, 10 * S + 130 * MS, 40 * MS, NOW, &rb));
	assert_int_equal(rb.raw_ns, ra.raw_ns);
	assert_int_equal(rb.iv.lo_ns, ra.iv.lo_ns);
	assert_int_equal(rb.iv.hi_ns, ra.iv.hi_ns + 40 * MS);
	assert_int_equal(b.last_span_ns, 40 * MS);
	/* True time: the second began 120 ms before the bytes arrived, which
	 * was 35 ms before they were read. The plain reading (taken as if they
	 * arrived at the read) misses it; the widened one holds it. */
	int64_t truth = NOW + 120 * MS + 35 * MS; /* at raw 10 s + 130 ms */
	int64_t at_raw = truth - (10 * S + 130 * MS - rb.raw_ns);
	assert_true(at_raw > ra.iv.hi_ns);
	assert_true(at_raw >= rb.iv.lo_ns && at_raw <= rb.iv.hi_ns);
	/* negative spans are none */
	f.time_ns += S;
	assert_true(bftd_gps_rx_fix_span(&b, &f, 11 * S + 130 * MS, -5, NOW + S, &rb));
	assert_int_equal(rb.iv.hi_ns - rb.iv.lo_ns, ra.iv.hi_ns - ra.iv.lo_ns);
	/* with PPS edges about: a short wait is used, a long one is not */
	bftd_gps_rx_edge(&b, 12 * S + 2 * MS, 1000);
	f.time_ns += S;
	assert_true(bftd_gps_rx_fix_span(&b, &f, 12 * S + 130 * MS, BFTD_GPS_PPS_MAX_SPAN_NS, NOW + 2 * S, &rb));
	assert_int_equal(b.span_dropped, 0);
	bftd_gps_rx_edge(&b, 13 * S + 2 * MS, 1000);
	f.time_ns += S;
	assert_false(bftd_gps_rx_fix_span(&b, &f, 13 * S + 130 * MS, BFTD_GPS_PPS_MAX_SPAN_NS + 1, NOW + 3 * S, &rb));
	assert_int_equal(b.span_dropped, 1);
	/* and its restatement, read later still, neither */
	assert_false(bftd_gps_rx_fix_span(&b, &f, 13 * S + 140 * MS, 0, NOW + 3 * S, &rb));
}

/* ---- every real capture through the checks --------------------------------
 * gpsd's regression captures (../shared/data/gpsd-nmea, GPSD_NMEA_DIR) are
 * honest receivers: replayed through the parser, the NMEA sky conversion and
 * the receiver's checks (bftd_gps_rx_fix) as a fixed station, no reading may
 * be flagged, except for the reasons listed below, each a property of the
 * recording rather than of the checks:
 *  - the date: a recording is judged as if the system clock were set to its
 *    own time (far_from_system cannot trip), and before_floor is not judged
 *    at all: a recording made before 2025 is exactly what it exists to flag;
 *  - receivers that genuinely moved (the check is for fixed stations);
 *  - captures spliced from several sessions, whose time runs backwards.
 * The raw clock of the replay advances like the fix times (the receiver's
 * seconds as they passed), one second when they run backwards. */
struct replay {
	int readings, flagged;
	uint32_t mask;
	uint64_t count[BFTD_GPS_SUSPECT_KINDS];
};

static void replay_capture(const char *path, struct replay *out)
{
	memset(out, 0, sizeof *out);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	static char buf[1 << 21];
	size_t len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	bft_nmea_config c = { .flags = BFT_NMEA_SKIP_COMMENTS | BFT_NMEA_WKRO_FIX, .leap_s = 18 };
	bft_nmea *p = bft_nmea_new(&c);
	assert_non_null(p);
	static bftd_gps_rx rx;
	bftd_gps_rx_init(&rx, -1, 100 * MS, false, 18, true, 100);
	bool have = false;
	int64_t prev_t = 0, raw = 1000 * S;
	const char *b = buf;
	while (len > 0) {
		size_t k = bft_nmea_feed(p, b, len);
		b += k;
		len -= k;
		bft_nmea_event ev;
		while (bft_nmea_next(p, &ev)) {
			if (ev.type != BFT_NMEA_EV_FIX)
				continue;
			const bft_nmea_fix *x = &ev.fix;
			if (x->mode >= 2) {
				if (have && x->time_ns != prev_t)
					raw += x->time_ns > prev_t ? x->time_ns - prev_t : S;
				have = true;
				prev_t = x->time_ns;
			}
			int64_t arrival = raw + 100 * MS;
			bftd_gps_sky_from_nmea(&rx.sky, x, arrival);
			bftd_gps_fix g = { x->time_ns, x->mode, false, 0, 0, 0 };
			if (isfinite(x->lat_deg) && isfinite(x->lon_deg)) {
				g.have_pos = true;
				g.lat_deg = x->lat_deg;
				g.lon_deg = x->lon_deg;
				g.alt_m = isfinite(x->alt_m) ? x->alt_m : 0;
			}
			bftd_reading r;
			if (!bftd_gps_rx_fix(&rx, &g, arrival, x->time_ns, &r))
				continue;
			uint32_t m = rx.guard.last_mask & ~BIT(BFTD_GPS_BEFORE_FLOOR);
			if (getenv("DBG") && m)
				fprintf(stderr, "%s line %llu mask %x n %zu vis %d used %d unk %d ggaused %d mode %d\n", path,
				        (unsigned long long)ev.line, m, rx.sky.n, rx.sky.visible, rx.sky.used,
				        rx.sky.used_unknown, x->sats_used, x->mode);
			out->readings++;
			if (m)
				out->flagged++;
			out->mask |= m;
			for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++)
				if (m & BIT(i))
					out->count[i]++;
		}
	}
	bft_nmea_free(p);
}

static void test_captures_honest(void **st)
{
	(void)st;
	/* The captures that are flagged for a reason of their own (above). */
	static const struct { const char *name; uint32_t allowed; const char *why; } expect[] = {
		{ "ublox-lea-4h.log", BIT(BFTD_GPS_MOVED),
		  "a cold start: its first 3D fixes (HDOP 10) are 600 m from the later ones, and the capture "
		  "has only 8: no anchor is right for both halves" },
		{ "bt451.log", BIT(BFTD_GPS_MOVED) | BIT(BFTD_GPS_BACKWARDS),
		  "spliced from two sessions (15:25, then 14:33) 2 km apart, moving" },
		{ "quectel-eg25-g.log", BIT(BFTD_GPS_MOVED), "a phone (PinePhone) whose fixes wander over 200 m" },
		{ "telit-he910.log", BIT(BFTD_GPS_BACKWARDS),
		  "the receiver states 10:51:53.71 and then 10:51:53.408: its own time runs backwards" },
		{ NULL, 0, NULL },
	};
	const char *dir = getenv("GPSD_NMEA_DIR");
	if (!dir)
		dir = "../shared/data/gpsd-nmea";
	DIR *d = opendir(dir);
	if (!d) {
		print_message("captures: %s missing, skipped\n", dir);
		skip();
	}
	struct dirent *e;
	int files = 0, flagged_files = 0, bad = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".log") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct replay r;
		replay_capture(path, &r);
		files++;
		uint32_t allowed = 0;
		for (size_t i = 0; expect[i].name; i++)
			if (!strcmp(expect[i].name, e->d_name))
				allowed = expect[i].allowed;
		if (r.mask) {
			flagged_files++;
			char why[256] = "";
			for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++)
				if (r.mask & BIT(i))
					snprintf(why + strlen(why), sizeof why - strlen(why), " %s:%llu",
					         bftd_gps_suspect_key((enum bftd_gps_suspect)i), (unsigned long long)r.count[i]);
			print_message("captures: %s: %d of %d readings flagged:%s%s\n", e->d_name, r.flagged, r.readings,
			              why, r.mask & ~allowed ? "  UNEXPECTED" : " (expected)");
		}
		if (r.mask & ~allowed)
			bad++;
	}
	closedir(d);
	print_message("captures: %d replayed, %d flagged, %d unexpectedly\n", files, flagged_files, bad);
	assert_true(files > 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sky_real_passes), cmocka_unit_test(test_sky_identical),
		cmocka_unit_test(test_sky_range_and_count), cmocka_unit_test(test_sky_no_sats_3d),
		cmocka_unit_test(test_distance), cmocka_unit_test(test_fixed_station),
		cmocka_unit_test(test_step), cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_reasons), cmocka_unit_test(test_reading_honest),
		cmocka_unit_test(test_iso_and_week), cmocka_unit_test(test_iso_implausible_years),
		cmocka_unit_test(test_rx), cmocka_unit_test(test_rx_span),
		cmocka_unit_test(test_captures_honest),
	};
	return cmocka_run_group_tests_name("gps_guard", tests, NULL, NULL);
}
