/* SPDX-License-Identifier: MIT */
/*
 * GPS plausibility checks (gps_guard.h): pure functions and the small state
 * they keep across fixes.
 */
#include "refclock/gps_guard.h"

#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "core/civil.h"
#include "core/gpstime.h"
#include "refclock/refclock.h"
#include "util/timetext.h"

static const char *const reasons[BFTD_GPS_SUSPECT_KINDS] = {
	[BFTD_GPS_SNR_IDENTICAL] = "identical signal strength on every satellite",
	[BFTD_GPS_SNR_RANGE] = "signal stronger than any satellite's on the ground",
	[BFTD_GPS_TOO_MANY_SATS] = "more satellites than a real sky has",
	[BFTD_GPS_NO_SATS_3D] = "3D fix without satellites",
	[BFTD_GPS_MOVED] = "fixed station moved",
	[BFTD_GPS_BACKWARDS] = "time went backwards",
	[BFTD_GPS_JUMP] = "time jumped against the raw clock",
	[BFTD_GPS_BEFORE_FLOOR] = "date before this software: week rollover or replay",
	[BFTD_GPS_FAR_FROM_SYSTEM] = "date a day or more from the system clock",
};

static const char *const keys[BFTD_GPS_SUSPECT_KINDS] = {
	[BFTD_GPS_SNR_IDENTICAL] = "snr_identical", [BFTD_GPS_SNR_RANGE] = "snr_range",
	[BFTD_GPS_TOO_MANY_SATS] = "too_many_sats", [BFTD_GPS_NO_SATS_3D] = "no_sats_3d",
	[BFTD_GPS_MOVED] = "moved",                 [BFTD_GPS_BACKWARDS] = "backwards",
	[BFTD_GPS_JUMP] = "jump",                   [BFTD_GPS_BEFORE_FLOOR] = "before_floor",
	[BFTD_GPS_FAR_FROM_SYSTEM] = "far_from_system",
};

const char *bftd_gps_suspect_reason(enum bftd_gps_suspect s)
{
	return (unsigned)s < BFTD_GPS_SUSPECT_KINDS ? reasons[s] : "?";
}

const char *bftd_gps_suspect_key(enum bftd_gps_suspect s)
{
	return (unsigned)s < BFTD_GPS_SUSPECT_KINDS ? keys[s] : "?";
}

const char *bftd_gps_suspect_first(uint32_t mask)
{
	for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++)
		if (mask & (1u << i))
			return reasons[i];
	return NULL;
}

bftd_gps_snr bftd_gps_sky_snr(const bftd_gps_sky *sky)
{
	bftd_gps_snr s = { 0 };
	double sum = 0, usum = 0;
	int un = 0;
	for (size_t i = 0; i < sky->n && i < BFTD_GPS_MAX_SATS; i++) {
		double v = sky->sat[i].snr;
		if (!(v > 0)) /* also NaN */
			continue;
		if (s.tracked == 0 || v < s.min)
			s.min = v;
		if (s.tracked == 0 || v > s.max)
			s.max = v;
		s.tracked++;
		sum += v;
		if (sky->sat[i].used) {
			usum += v;
			un++;
		}
	}
	if (s.tracked)
		s.mean = sum / s.tracked;
	if (un)
		s.used_mean = usum / un;
	return s;
}

uint32_t bftd_gps_check_sky(const bftd_gps_sky *sky, int mode, int prev_mode)
{
	if (!sky || !sky->valid)
		return 0;
	uint32_t m = 0;
	bftd_gps_snr s = bftd_gps_sky_snr(sky);
	/* A simulator or repeater transmits every satellite at one power; a
	 * real sky spreads them over 10-20 dB by elevation and obstruction.
	 * Six exactly equal values among real ones are a few in a million. */
	if (s.tracked >= BFTD_GPS_IDENTICAL_MIN && s.max - s.min < 0.05)
		m |= 1u << BFTD_GPS_SNR_IDENTICAL;
	/* Outdoor L1 C/A arrives at 35-50 dB-Hz, about 55 at best; more is
	 * a transmitter nearby. A negative value is not a C/N0 at all. */
	int gps_tracked = 0, tracked = 0, used = 0;
	for (size_t i = 0; i < sky->n && i < BFTD_GPS_MAX_SATS; i++) {
		double v = sky->sat[i].snr;
		if (v > BFTD_GPS_SNR_MAX_DBHZ || v < 0 || isnan(v))
			m |= 1u << BFTD_GPS_SNR_RANGE;
		if (v > 0) {
			tracked++;
			if (sky->sat[i].gnss == BFTD_GNSS_GPS && sky->sat[i].prn >= 1 && sky->sat[i].prn <= 32)
				gps_tracked++;
		}
		used += sky->sat[i].used;
	}
	/* Only satellites with a signal count: receivers list almanac
	 * predictions they do not track (a MyGuide 3100 lists 19 GPS). */
	int visible = sky->visible > (int)sky->n ? sky->visible : (int)sky->n;
	if (sky->used >= 0)
		used = sky->used;
	bool judge_used = !sky->used_unknown;
	if (tracked > BFTD_GPS_MAX_TRACKED || gps_tracked > BFTD_GPS_MAX_TRACKED_GPS ||
	    used > BFTD_GPS_MAX_TRACKED || (judge_used && sky->one_report && sky->n > 0 && used > visible))
		m |= 1u << BFTD_GPS_TOO_MANY_SATS;
	/* A 3D fix needs four satellites: none used, or none in view, is a
	 * receiver repeating a solution it has no signal for (or a spoofer's
	 * careless script). Judged only when the previous fix
	 * was 3D too: at acquisition the sky report of the cycle before the
	 * fix still says none. */
	if (mode >= 3 && prev_mode >= 3 && ((judge_used && used == 0) || (sky->visible == 0 && sky->n == 0)))
		m |= 1u << BFTD_GPS_NO_SATS_3D;
	return m;
}

void bftd_gps_sky_from_nmea(bftd_gps_sky *s, const bft_nmea_fix *f, int64_t raw_ns)
{
	const bft_nmea_sky *k = &f->sky;
	if (k->visible <= 0 && k->n <= 0 && k->used <= 0 && f->sats_used < 0)
		return; /* no GSV, GSA or GGA count yet: no sky to judge */
	s->valid = true;
	s->raw_ns = raw_ns;
	s->n = 0;
	s->used_unknown = false;
	for (int i = 0; i < k->n && i < BFT_NMEA_SATS_MAX && s->n < BFTD_GPS_MAX_SATS; i++) {
		const bft_nmea_sat *x = &k->sats[i];
		bftd_gps_sat *y = &s->sat[s->n++];
		y->prn = x->prn;
		/* NMEA 2.x-4.0 numbering: 1-32 are GPS under the GP and GN talkers */
		y->gnss = x->prn >= 1 && x->prn <= 32 && (!strcmp(x->talker, "GP") || !strcmp(x->talker, "GN"))
		                  ? BFTD_GNSS_GPS
		                  : BFTD_GNSS_UNKNOWN;
		y->snr = x->snr_db > 0 ? x->snr_db : 0; /* -1: not tracked */
		y->used = x->used != 0;
	}
	/* With a sky view (GSV), GSA's list says which satellites are used
	 * (an empty list is then "none"), once a GSA has been seen at all;
	 * receivers that send no GSA state GGA's count only. Without a view
	 * (RMC and GGA only), GGA's count is all there is, and nothing is
	 * known of the satellites in view. */
	int used = k->used >= 0 ? k->used : f->sats_used;
	if (k->n > 0) {
		s->visible = k->visible;
		s->used = used;
	} else {
		s->visible = -1;
		s->used = used;
	}
	s->used_unknown = used < 0;
}

double bftd_gps_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
	const double r = 6371008.8, k = 3.14159265358979323846 / 180.0; /* mean Earth radius (IUGG) */
	double p1 = lat1_deg * k, p2 = lat2_deg * k;
	double dp = p2 - p1, dl = (lon2_deg - lon1_deg) * k;
	double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
	if (a > 1)
		a = 1;
	return 2 * r * asin(sqrt(a));
}

uint32_t bftd_gps_check_step(int64_t prev_time_ns, int64_t prev_raw_ns, int64_t time_ns, int64_t raw_ns,
                             int64_t tol_ns)
{
	if (time_ns <= prev_time_ns)
		return 1u << BFTD_GPS_BACKWARDS;
	/* Differences of int64 ns that span more than 292 years saturate; any
	 * such step is a jump anyway. */
	int64_t dt = bft_sat_sub(time_ns, prev_time_ns), dr = bft_sat_sub(raw_ns, prev_raw_ns);
	if (dr < 0)
		return 1u << BFTD_GPS_JUMP; /* the raw clock is monotonic: the caller mixed fixes up */
	int64_t tol = bft_sat_add(tol_ns, dr / 1000);
	int64_t diff = bft_sat_sub(dt, dr);
	if (diff > tol || diff < -tol)
		return 1u << BFTD_GPS_JUMP;
	return 0;
}

uint32_t bftd_gps_check_epoch(int64_t time_ns, int64_t realtime_ns)
{
	uint32_t m = 0;
	if (time_ns < BFTD_GPS_TIME_FLOOR_NS)
		m |= 1u << BFTD_GPS_BEFORE_FLOOR;
	if (realtime_ns >= BFTD_GPS_TIME_FLOOR_NS) {
		int64_t d = bft_sat_sub(time_ns, realtime_ns);
		if (d >= BFTD_GPS_SYSTEM_TOL_NS || d <= -BFTD_GPS_SYSTEM_TOL_NS)
			m |= 1u << BFTD_GPS_FAR_FROM_SYSTEM;
	}
	return m;
}

void bftd_gps_guard_init(bftd_gps_guard *g, bool fixed, int64_t max_move_m, int64_t step_tol_ns)
{
	memset(g, 0, sizeof *g);
	g->fixed = fixed;
	g->max_move_m = (double)max_move_m;
	g->step_tol_ns = step_tol_ns;
}

void bftd_gps_guard_reset_time(bftd_gps_guard *g)
{
	g->have_prev = false;
	g->prev_mode = 0;
	g->prev_no_sats = false;
}

static double median(const double *v, int n)
{
	double s[BFTD_GPS_ANCHOR_FIXES];
	for (int i = 0; i < n; i++) { /* insertion sort: 8 values at most */
		int j = i;
		for (; j > 0 && s[j - 1] > v[i]; j--)
			s[j] = s[j - 1];
		s[j] = v[i];
	}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static uint32_t check_position(bftd_gps_guard *g, const bftd_gps_fix *f)
{
	if (!f->have_pos || f->mode < 2 || !isfinite(f->lat_deg) || !isfinite(f->lon_deg) || fabs(f->lat_deg) > 90 ||
	    fabs(f->lon_deg) > 180)
		return 0;
	const double k = 3.14159265358979323846 / 180.0;
	if (g->anchor_n < BFTD_GPS_ANCHOR_FIXES && f->mode >= 3) {
		double cl = cos(f->lat_deg * k);
		g->ax[g->anchor_n] = cl * cos(f->lon_deg * k);
		g->ay[g->anchor_n] = cl * sin(f->lon_deg * k);
		g->az[g->anchor_n] = sin(f->lat_deg * k);
		g->anchor_n++;
		double x = median(g->ax, g->anchor_n), y = median(g->ay, g->anchor_n), z = median(g->az, g->anchor_n);
		g->anchor_lat_deg = atan2(z, sqrt(x * x + y * y)) / k;
		g->anchor_lon_deg = atan2(y, x) / k;
	}
	if (g->anchor_n == 0)
		return 0; /* no 3D fix yet: nothing to compare with */
	g->last_move_m = bftd_gps_distance_m(g->anchor_lat_deg, g->anchor_lon_deg, f->lat_deg, f->lon_deg);
	/* While the anchor is still forming, a fix far from the first ones is
	 * as telling as later: the station is meant not to move at all. */
	return g->fixed && g->last_move_m > g->max_move_m ? 1u << BFTD_GPS_MOVED : 0;
}

uint32_t bftd_gps_guard_check(bftd_gps_guard *g, const bftd_gps_fix *fix, const bftd_gps_sky *sky, int64_t raw_ns,
                              int64_t realtime_ns)
{
	uint32_t m = 0;
	/* A sky report older than a few seconds describes another moment. */
	if (sky && sky->valid && raw_ns - sky->raw_ns <= 5 * BFT_NS_PER_SEC)
		m |= bftd_gps_check_sky(sky, fix->mode, g->have_prev ? g->prev_mode : 0);
	/* Receivers glitch for one cycle (an iTrek's empty 2D GSA, a
	 * Unicore's first cycle after a burst of inertial data): a 3D fix
	 * without satellites is judged when it is said twice running. */
	bool no_sats = m & (1u << BFTD_GPS_NO_SATS_3D);
	if (no_sats && !(g->have_prev && g->prev_no_sats))
		m &= ~(1u << BFTD_GPS_NO_SATS_3D);
	g->prev_no_sats = no_sats;
	m |= check_position(g, fix);
	if (g->have_prev)
		m |= bftd_gps_check_step(g->prev_time_ns, g->prev_raw_ns, fix->time_ns, raw_ns, g->step_tol_ns);
	m |= bftd_gps_check_epoch(fix->time_ns, realtime_ns);
	/* Each step is judged on its own: the new fix is the baseline even
	 * when it was a jump, so one bad fix flags one step rather than every
	 * later one (a lasting offset is the node's to catch, against its
	 * peers and its prediction). */
	g->have_prev = true;
	g->prev_time_ns = fix->time_ns;
	g->prev_raw_ns = raw_ns;
	g->prev_mode = fix->mode;
	g->checked++;
	if (m)
		g->suspect++;
	for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++)
		if (m & (1u << i))
			g->count[i]++;
	g->last_mask = m;
	return m;
}

/* ---- readings ----------------------------------------------------------- */

static int64_t nmea_unc(const bftd_gps_delay *d)
{
	return d->pps && d->uncertainty_ns < BFTD_GPS_NMEA_MIN_UNC_NS ? BFTD_GPS_NMEA_MIN_UNC_NS : d->uncertainty_ns;
}

enum bftd_gps_timing bftd_gps_nmea_reading(const bftd_gps_delay *d, int64_t t_ns, int64_t arrival_raw_ns,
                                           int64_t *raw_ns, int64_t *lo_ns, int64_t *hi_ns)
{
	int64_t u = nmea_unc(d), late, half;
	enum bftd_gps_timing how;
	if (d->delay_ns >= 0) {
		late = d->delay_ns;
		half = u;
		how = BFTD_GPS_T_DELAY;
	} else if (d->have_est) {
		/* Twice the spread seen in the window plus 10 ms: the window is
		 * a sample of the lateness, not its bound. */
		int64_t s = d->est_max_ns - d->est_ns;
		if (d->est_ns - d->est_min_ns > s)
			s = d->est_ns - d->est_min_ns;
		late = d->est_ns;
		half = bft_sat_add(u, bft_sat_add(2 * s, 10000000));
		how = BFTD_GPS_T_MEASURED;
	} else {
		late = BFTD_GPS_DEFAULT_LATE_NS;
		half = bft_sat_add(u, BFTD_GPS_DEFAULT_LATE_NS);
		how = BFTD_GPS_T_DEFAULT;
	}
	*raw_ns = bft_sat_sub(arrival_raw_ns, late);
	*lo_ns = bft_sat_sub(t_ns, half);
	*hi_ns = bft_sat_add(t_ns, half);
	return how;
}

void bftd_gps_pps_reading(const bftd_gps_delay *d, int64_t t_ns, int64_t edge_raw_ns, int64_t edge_err_ns,
                          int64_t *raw_ns, int64_t *lo_ns, int64_t *hi_ns)
{
	int64_t half = bft_sat_add(d->uncertainty_ns, edge_err_ns);
	*raw_ns = edge_raw_ns;
	*lo_ns = bft_sat_sub(t_ns, half);
	*hi_ns = bft_sat_add(t_ns, half);
}

const char *bftd_gps_timing_name(enum bftd_gps_timing t)
{
	switch (t) {
	case BFTD_GPS_T_PPS: return "pps";
	case BFTD_GPS_T_DELAY: return "configured delay";
	case BFTD_GPS_T_MEASURED: return "measured delay";
	case BFTD_GPS_T_DEFAULT: return "default delay 0-1 s";
	}
	return "?";
}

int bftd_gps_civil_ns(int year, int month, int day, int hour, int min, int sec, int64_t *out_ns)
{
	/* Only the plausible years (core/civil.h): gpsd passes on whatever
	 * year its receiver (or whoever speaks to us as gpsd) says, and one
	 * past 2262 or before 1677 has no int64 ns. The other fields are the
	 * caller's (two digits each, so they cannot move the sum far). */
	if (year < BFT_CIVIL_YEAR_MIN || year > BFT_CIVIL_YEAR_MAX)
		return BFT_EINVAL;
	int64_t days = bft_days_from_civil(year, month, day);
	*out_ns = (days * 86400 + hour * 3600 + min * 60 + sec) * BFT_NS_PER_SEC;
	return 0;
}

int bftd_gps_parse_iso(const char *s, int64_t *out_ns)
{
	/* gpsd writes UTC with 'T' and 'Z', a leap second as :60, and as many
	 * fractional digits as its receiver gave: the one RFC 3339 reader
	 * (util/timetext.h) with those allowances; the plausible years are
	 * bftd_gps_civil_ns's. */
	bftd_rfc3339_fields f;
	int64_t t;
	if (bftd_rfc3339_scan(s, strlen(s), BFTD_RFC3339_LEAP | BFTD_RFC3339_LONG | BFTD_RFC3339_Z_ONLY, &f) != 0 ||
	    f.year > INT_MAX ||
	    bftd_gps_civil_ns((int)f.year, (int)f.month, (int)f.day, (int)f.hour, (int)f.min, (int)f.sec, &t) != 0)
		return BFT_EINVAL;
	*out_ns = t + f.frac_ns;
	return 0;
}

void bftd_gps_week(int64_t utc_ns, int64_t leap_s, uint16_t *week, int64_t *tow_ns)
{
	/* GPS epoch 1980-01-06T00:00:00Z = Unix 315964800; GPS runs ahead of
	 * UTC by the leap seconds since. Saturating: the fix times that reach
	 * here are plausible dates (the parsers refuse others), but a time is
	 * not something this function should trust either; leap_s (0..255 in
	 * the config) is clamped so that its product cannot overflow. */
	int64_t g = bft_gps_from_utc_ns(utc_ns, leap_s);
	const int64_t w = BFT_GPS_WEEK_NS;
	if (g < 0)
		g = 0;
	int64_t wk = g / w;
	*week = wk > 65535 ? 65535 : (uint16_t)wk;
	*tow_ns = g % w;
}

/* ---- the receiver ------------------------------------------------------- */

void bftd_gps_rx_init(bftd_gps_rx *rx, int64_t delay_ns, int64_t uncertainty_ns, bool pps, int64_t leap_s,
                      bool fixed, int64_t max_move_m)
{
	memset(rx, 0, sizeof *rx);
	bftd_gps_guard_init(&rx->guard, fixed, max_move_m, BFTD_GPS_STEP_TOL_NS);
	rx->delay.delay_ns = delay_ns;
	rx->delay.uncertainty_ns = uncertainty_ns;
	rx->delay.pps = pps;
	rx->leap_s = leap_s;
	rx->last_timing = BFTD_GPS_T_DEFAULT;
	bftd_pps_pair_init(&rx->pair);
}

void bftd_gps_rx_edge(bftd_gps_rx *rx, int64_t raw_ns, int64_t err_ns)
{
	bftd_pps_pair_edge(&rx->pair, raw_ns, err_ns);
	rx->pps_edges++;
}

bool bftd_gps_rx_fix(bftd_gps_rx *rx, const bftd_gps_fix *fix, int64_t arrival_raw_ns, int64_t realtime_ns,
                     bftd_reading *out)
{
	return bftd_gps_rx_fix_span(rx, fix, arrival_raw_ns, 0, realtime_ns, out);
}

bool bftd_gps_rx_fix_span(bftd_gps_rx *rx, const bftd_gps_fix *fix, int64_t arrival_raw_ns, int64_t span_ns,
                          int64_t realtime_ns, bftd_reading *out)
{
	if (span_ns < 0)
		span_ns = 0;
	rx->fix = *fix;
	if (fix->mode < 2)
		return false;
	/* Receivers and gpsd restate a second's fix as more sentences of its
	 * cycle arrive; the first one is the least late, the one to time. */
	if (rx->have_last && fix->time_ns == rx->last_t_ns)
		return false;
	rx->have_last = true;
	rx->last_t_ns = fix->time_ns;
	rx->fixes++;
	memset(out, 0, sizeof *out);
	int64_t raw, lo, hi;
	bftd_pps_edge e;
	bool whole = fix->time_ns % BFT_NS_PER_SEC == 0;
	if (rx->pair.n_edges && span_ns > BFTD_GPS_PPS_MAX_SPAN_NS) {
		/* Unread for long: which edge it follows is not known for sure
		 * (a stall near a second pairs it with the next one), and its
		 * lateness would spoil the estimate. This second gives nothing;
		 * its restatements, read later still, neither. */
		rx->span_dropped++;
		return false;
	}
	rx->last_span_ns = span_ns;
	if (whole && rx->pair.n_edges && bftd_pps_pair_fix(&rx->pair, arrival_raw_ns, &e)) {
		bftd_gps_pps_reading(&rx->delay, fix->time_ns, e.raw_ns, e.err_ns, &raw, &lo, &hi);
		rx->last_timing = BFTD_GPS_T_PPS;
	} else {
		rx->delay.have_est = bftd_pps_pair_delay(&rx->pair, &rx->delay.est_ns, &rx->delay.est_min_ns,
		                                         &rx->delay.est_max_ns);
		rx->last_timing = bftd_gps_nmea_reading(&rx->delay, fix->time_ns, arrival_raw_ns, &raw, &lo, &hi);
		/* Stated from the read: the bytes came up to span_ns before it,
		 * and then more true time has passed at raw. */
		hi = bft_sat_add(hi, span_ns);
	}
	rx->delay.have_est = bftd_pps_pair_delay(&rx->pair, &rx->delay.est_ns, &rx->delay.est_min_ns,
	                                         &rx->delay.est_max_ns);
	out->raw_ns = raw;
	out->iv = bft_iv(lo, hi);
	/* The checks see the fix at the second's start on the raw clock (the
	 * same estimate the reading states), so a jittering sentence is not a
	 * time jump. */
	uint32_t m = bftd_gps_guard_check(&rx->guard, fix, &rx->sky, raw, realtime_ns);
	out->suspect = rx->last_suspect = bftd_gps_suspect_first(m);
	out->have_gps = true;
	out->gps.kind = BFT_REF_GPS;
	bftd_gps_week(fix->time_ns, rx->leap_s, &out->gps.week, &out->gps.tow_ns);
	if (rx->sky.valid) {
		int used = rx->sky.used;
		if (used < 0) {
			used = 0;
			for (size_t i = 0; i < rx->sky.n; i++)
				used += rx->sky.sat[i].used;
		}
		int vis = rx->sky.visible > (int)rx->sky.n ? rx->sky.visible : (int)rx->sky.n;
		if (vis > 255)
			vis = 255;
		if (used > vis)
			used = vis; /* the proof format insists; the guard has flagged it */
		out->gps.sats_used = (uint8_t)used;
		out->gps.sats_visible = (uint8_t)vis;
		double snr = bftd_gps_sky_snr(&rx->sky).used_mean * 100.0;
		out->gps.snr_cdbhz = snr > 65535 ? 65535 : snr > 0 ? (uint16_t)(snr + 0.5) : 0;
	}
	return true;
}

static const char *mode_name(int mode) { return mode >= 3 ? "3D" : mode == 2 ? "2D" : "no fix"; }

void bftd_gps_rx_state(const bftd_gps_rx *rx, char *buf, size_t len)
{
	if (!rx->fixes && rx->fix.mode < 2) {
		snprintf(buf, len, "no fix yet");
		return;
	}
	int used = rx->sky.used, vis = rx->sky.visible > (int)rx->sky.n ? rx->sky.visible : (int)rx->sky.n;
	if (rx->sky.valid && used >= 0)
		snprintf(buf, len, "%s%s, %d/%d satellites%s", mode_name(rx->fix.mode), rx->fix.mode >= 2 ? " fix" : "",
		         used, vis, rx->last_suspect ? ", suspect" : "");
	else
		snprintf(buf, len, "%s%s%s", mode_name(rx->fix.mode), rx->fix.mode >= 2 ? " fix" : "",
		         rx->last_suspect ? ", suspect" : "");
}

static void add_i64(json_object *o, const char *k, int64_t v) { json_object_object_add(o, k, json_object_new_int64(v)); }
static void add_dbl(json_object *o, const char *k, double v) { json_object_object_add(o, k, json_object_new_double(v)); }

void bftd_gps_rx_status(const bftd_gps_rx *rx, json_object *o)
{
	add_i64(o, "fix_mode", rx->fix.mode);
	if (rx->have_last)
		add_i64(o, "fix_time_ns", rx->last_t_ns);
	if (rx->sky.valid) {
		int used = rx->sky.used;
		if (used < 0) {
			used = 0;
			for (size_t i = 0; i < rx->sky.n; i++)
				used += rx->sky.sat[i].used;
		}
		add_i64(o, "sats_used", used);
		add_i64(o, "sats_visible", rx->sky.visible > (int)rx->sky.n ? rx->sky.visible : (int)rx->sky.n);
		bftd_gps_snr s = bftd_gps_sky_snr(&rx->sky);
		add_dbl(o, "snr_min", s.min);
		add_dbl(o, "snr_mean", s.mean);
		add_dbl(o, "snr_max", s.max);
	}
	if (rx->fix.have_pos) {
		add_dbl(o, "lat", rx->fix.lat_deg);
		add_dbl(o, "lon", rx->fix.lon_deg);
		add_dbl(o, "alt_m", rx->fix.alt_m);
	}
	if (rx->guard.fixed && rx->guard.anchor_n)
		add_dbl(o, "moved_m", rx->guard.last_move_m);
	json_object_object_add(o, "timing", json_object_new_string(bftd_gps_timing_name(rx->last_timing)));
	if (rx->delay.delay_ns >= 0)
		add_i64(o, "delay_ns", rx->delay.delay_ns);
	else if (rx->delay.have_est) {
		add_i64(o, "delay_ns", rx->delay.est_ns);
		add_i64(o, "delay_min_ns", rx->delay.est_min_ns);
		add_i64(o, "delay_max_ns", rx->delay.est_max_ns);
	}
	add_i64(o, "pps_edges", (int64_t)rx->pps_edges);
	add_i64(o, "pps_paired", (int64_t)rx->pair.paired);
	add_i64(o, "arrival_span_ns", rx->last_span_ns);
	add_i64(o, "span_dropped", (int64_t)rx->span_dropped);
	json_object_object_add(o, "suspect", rx->last_suspect ? json_object_new_string(rx->last_suspect) : NULL);
	add_i64(o, "suspect_count", (int64_t)rx->guard.suspect);
	json_object *r = json_object_new_object();
	for (int i = 0; i < BFTD_GPS_SUSPECT_KINDS; i++)
		add_i64(r, bftd_gps_suspect_key((enum bftd_gps_suspect)i), (int64_t)rx->guard.count[i]);
	json_object_object_add(o, "suspect_reasons", r);
	add_i64(o, "fixes", (int64_t)rx->fixes);
	add_i64(o, "sentences", (int64_t)rx->sentences);
}
