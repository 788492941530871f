/* SPDX-License-Identifier: MIT */
/*
 * Driver-level plausibility checks of GPS fixes (anti-spoofing), shared by
 * the nmea and gpsd drivers. A receiver believes whatever arrives at its
 * antenna; a spoofer or a replay (a record of old sky, a simulator) gives
 * itself away by data no real sky produces: every satellite at the same
 * signal strength, signals stronger than any satellite's at the Earth's
 * surface, more satellites than orbit above one horizon, a 3D fix from no
 * satellites, a fixed antenna that moves, time that runs backwards or jumps
 * against the elapsed raw time, or a date that cannot be now.
 *
 * These are local sanity checks, each cheap and with a threshold chosen so
 * that a healthy receiver never trips it (docs/gps-drivers.md gives each
 * threshold and why). They do not replace the node's own checks: a patient
 * spoofer who moves time slowly passes every one of them; the node's
 * fusion with its peers and its prediction are what bound it.
 *
 * Everything here is pure: no I/O, no clock reads (the caller passes the raw
 * and system times), no allocation.
 */
#ifndef BFTIME_DAEMON_GPS_GUARD_H
#define BFTIME_DAEMON_GPS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refclock/pps.h"
#include "proto/nmea.h"

#define BFTD_GPS_MAX_SATS 128

/* GNSS systems, as gpsd's gnssid numbers them. */
enum { BFTD_GNSS_GPS = 0, BFTD_GNSS_UNKNOWN = 255 };

typedef struct bftd_gps_sat {
	int prn;      /* as reported (gpsd PRN, NMEA satellite id) */
	uint8_t gnss; /* BFTD_GNSS_*, or gpsd's gnssid; UNKNOWN when not stated */
	double snr;   /* C/N0, dB-Hz; <= 0: not tracked */
	bool used;    /* in the solution */
} bftd_gps_sat;

/* What the receiver says about the sky: one SKY message, or one NMEA
 * GSV+GSA cycle. */
typedef struct bftd_gps_sky {
	bool valid;         /* a sky report has been seen */
	int64_t raw_ns;     /* raw clock when it arrived */
	size_t n;           /* entries in sat[] */
	bftd_gps_sat sat[BFTD_GPS_MAX_SATS];
	int visible;        /* satellites in view (>= n when the list was cut) */
	int used;           /* satellites in the solution (-1: not stated, count sat[].used) */
	bool used_unknown;  /* nothing says which or how many are used (NMEA without GSA
	                     * or GGA count): the used checks are not judged */
	bool one_report;    /* list and used count from one report (gpsd's SKY): more used
	                     * than listed is then a contradiction; NMEA's GSA and GSV come
	                     * from different cycles and lists (geos-1m lists 1, uses 5) */
} bftd_gps_sky;

/* The signal summary of a sky for status and proofs. */
typedef struct bftd_gps_snr {
	int tracked;      /* satellites with a signal */
	double min, mean, max; /* over tracked satellites; 0 when none */
	double used_mean; /* mean over used satellites with a signal (proof's snr); 0 when none */
} bftd_gps_snr;

typedef struct bftd_gps_fix {
	int64_t time_ns;  /* UTC, Unix ns, of the second (or instant) the fix names */
	int mode;         /* 1 no fix, 2 2D, 3 3D */
	bool have_pos;
	double lat_deg, lon_deg, alt_m;
} bftd_gps_fix;

/* The reasons, one bit each (a fix may trip several). */
enum bftd_gps_suspect {
	BFTD_GPS_SNR_IDENTICAL, /* >= 6 tracked satellites, all at one signal strength */
	BFTD_GPS_SNR_RANGE,     /* a C/N0 above 60 dB-Hz */
	BFTD_GPS_TOO_MANY_SATS, /* more tracked than orbit above a horizon, or more used than in view */
	BFTD_GPS_NO_SATS_3D,    /* a continuing 3D fix with no satellite in the solution, twice running */
	BFTD_GPS_MOVED,         /* a fixed station away from its anchor by more than max_move */
	BFTD_GPS_BACKWARDS,     /* fix time not after the previous fix's */
	BFTD_GPS_JUMP,          /* fix time advanced unlike the raw clock */
	BFTD_GPS_BEFORE_FLOOR,  /* a date before this software was written: week rollover or replay */
	BFTD_GPS_FAR_FROM_SYSTEM, /* a day or more away from a plausibly set system clock */
	BFTD_GPS_SUSPECT_KINDS
};

/* Static strings: the reason (a sentence for logs and `suspect`) and a
 * short key (for status counters). */
const char *bftd_gps_suspect_reason(enum bftd_gps_suspect s);
const char *bftd_gps_suspect_key(enum bftd_gps_suspect s);
/* The reason of the lowest set bit of mask, NULL when mask is 0. */
const char *bftd_gps_suspect_first(uint32_t mask);

/* Thresholds (docs/gps-drivers.md). */
#define BFTD_GPS_SNR_MAX_DBHZ 60.0
#define BFTD_GPS_IDENTICAL_MIN 6
/* Satellites with a signal (C/N0 > 0), each counted once: a receiver may
 * list others (almanac predictions, below the mask) that it does not see. */
#define BFTD_GPS_MAX_TRACKED 100   /* all constellations together: GPS 14 + GLONASS 12 + Galileo 12 +
                                    * BeiDou 30 (Asia: GEO + IGSO + MEO) + QZSS 7 + SBAS 6 + NavIC 7 = 88 */
#define BFTD_GPS_MAX_TRACKED_GPS 16 /* GPS alone: at most ~14 of 31 are ever above one horizon */
#define BFTD_GPS_ANCHOR_FIXES 8   /* a fixed station's anchor: median of its first 3D fixes */
#define BFTD_GPS_STEP_TOL_NS (INT64_C(400) * 1000000) /* fix-to-fix step vs raw: 400 ms + 1000 ppm */
#define BFTD_GPS_TIME_FLOOR_NS (INT64_C(1735689600) * 1000000000) /* 2025-01-01T00:00:00Z */
#define BFTD_GPS_SYSTEM_TOL_NS (INT64_C(86400) * 1000000000)     /* one day */

/* Summary of sky's signals. */
bftd_gps_snr bftd_gps_sky_snr(const bftd_gps_sky *sky);

/* The sky checks (SNR_IDENTICAL, SNR_RANGE, TOO_MANY_SATS, NO_SATS_3D):
 * a mask of reasons. mode is the fix's; prev_mode the previous fix's (a
 * 3D fix just acquired may come before the sky report that shows it). */
uint32_t bftd_gps_check_sky(const bftd_gps_sky *sky, int mode, int prev_mode);

/* The sky of an NMEA fix (its GSV view and GSA list, or GGA's count alone)
 * into *s, stamped raw_ns; *s is left as it was when the fix has no sky
 * data at all. With a GSV view, "used" is GSA's list once a GSA has been
 * seen, else GGA's count, else unknown. */
void bftd_gps_sky_from_nmea(bftd_gps_sky *s, const bft_nmea_fix *f, int64_t raw_ns);

/* Great-circle distance in metres (haversine on a sphere of the mean Earth
 * radius; good to 0.5 %, plenty for a max_move of metres to kilometres). */
double bftd_gps_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/* The time step check between two consecutive fixes: BACKWARDS, JUMP or 0.
 * A fix time must advance like the raw clock, within tol_ns plus 1000 ppm
 * (ten times any oscillator's drift bound) of the elapsed raw time. */
uint32_t bftd_gps_check_step(int64_t prev_time_ns, int64_t prev_raw_ns, int64_t time_ns, int64_t raw_ns,
                             int64_t tol_ns);

/* The date checks: BEFORE_FLOOR, and FAR_FROM_SYSTEM when the system clock
 * itself is past the floor (a machine booted without a clock at 1970 says
 * nothing about the receiver). */
uint32_t bftd_gps_check_epoch(int64_t time_ns, int64_t realtime_ns);

/* The per-reference state the checks need across fixes. Zero it to start
 * (or to restart after a reconnection: the time baseline is forgotten; the
 * anchor is kept by bftd_gps_guard_reset_time). */
typedef struct bftd_gps_guard {
	bool fixed;          /* check the position against the anchor */
	double max_move_m;
	int64_t step_tol_ns;
	/* anchor: the median, component by component, of the first 3D fixes'
	 * unit vectors (no trouble at the antimeridian; one bad acquisition fix
	 * does not move it, as it would a mean; 2D fixes, with an assumed
	 * altitude, are not part of it), frozen after BFTD_GPS_ANCHOR_FIXES so
	 * that a spoofer walking the position slowly cannot drag it along */
	int anchor_n;
	double ax[BFTD_GPS_ANCHOR_FIXES], ay[BFTD_GPS_ANCHOR_FIXES], az[BFTD_GPS_ANCHOR_FIXES];
	double anchor_lat_deg, anchor_lon_deg;
	double last_move_m;  /* distance of the latest fix from the anchor */
	/* the previous fix */
	bool have_prev;
	int64_t prev_time_ns, prev_raw_ns;
	int prev_mode;
	bool prev_no_sats; /* the previous fix's sky said a 3D fix without satellites */
	/* counts */
	uint64_t checked, suspect;
	uint64_t count[BFTD_GPS_SUSPECT_KINDS];
	uint32_t last_mask;
} bftd_gps_guard;

void bftd_gps_guard_init(bftd_gps_guard *g, bool fixed, int64_t max_move_m, int64_t step_tol_ns);

/* Forget the previous fix (after a reconnection or a gap in the input:
 * the next step cannot be judged). */
void bftd_gps_guard_reset_time(bftd_gps_guard *g);

/* Every check on one fix arriving at raw_ns (sky may be NULL or not
 * valid): returns the mask of reasons, counts them, and remembers the fix
 * as the previous one. */
uint32_t bftd_gps_guard_check(bftd_gps_guard *g, const bftd_gps_fix *fix, const bftd_gps_sky *sky, int64_t raw_ns,
                              int64_t realtime_ns);

/* ---- the interval of a reading (pure) ------------------------------------
 * A fix naming UTC second t arrives (its last byte read) at arrival_raw_ns.
 * The reading is stated at the raw time of the second's start and says true
 * time was then t +- half:
 *  - PPS paired: at the edge, +- uncertainty + the edge's conversion error;
 *  - delay configured (d >= 0): at arrival - d, +- u_nmea;
 *  - delay auto, lateness measured against PPS (median m, spread s = the
 *    window's largest distance from m): at arrival - m, +- u_nmea + 2 s + 10 ms;
 *  - delay auto, nothing measured: the sentence came 0 to 1 s after its
 *    second: at arrival - 0.5 s, +- u_nmea + 0.5 s.
 * u_nmea is the configured uncertainty, but at least 100 ms when pps is
 * configured (the uncertainty then states the pulse's jitter, far too
 * small for a sentence). */
enum bftd_gps_timing { BFTD_GPS_T_PPS, BFTD_GPS_T_DELAY, BFTD_GPS_T_MEASURED, BFTD_GPS_T_DEFAULT };

typedef struct bftd_gps_delay {
	int64_t delay_ns;       /* configured, -1: auto */
	int64_t uncertainty_ns;
	bool pps;               /* a PPS source is configured */
	bool have_est;          /* the measured lateness: median, min, max */
	int64_t est_ns, est_min_ns, est_max_ns;
} bftd_gps_delay;

#define BFTD_GPS_NMEA_MIN_UNC_NS (INT64_C(100) * 1000000)
#define BFTD_GPS_DEFAULT_LATE_NS (INT64_C(500) * 1000000)

/* The reading of a sentence alone: *raw_ns, *lo_ns, *hi_ns; returns how it
 * was timed (DELAY, MEASURED or DEFAULT). */
enum bftd_gps_timing bftd_gps_nmea_reading(const bftd_gps_delay *d, int64_t t_ns, int64_t arrival_raw_ns,
                                           int64_t *raw_ns, int64_t *lo_ns, int64_t *hi_ns);

/* The reading of a PPS edge naming second t. */
void bftd_gps_pps_reading(const bftd_gps_delay *d, int64_t t_ns, int64_t edge_raw_ns, int64_t edge_err_ns,
                          int64_t *raw_ns, int64_t *lo_ns, int64_t *hi_ns);

const char *bftd_gps_timing_name(enum bftd_gps_timing t);

/* "2030-04-06T08:37:29.000Z" (gpsd's time; 0 to 9 decimals, Z) into Unix
 * ns. 0, or BFT_EINVAL for malformed text or a year outside 1900..2200
 * (BFT_CIVIL_YEAR_MIN..MAX: not a date a receiver can mean). */
int bftd_gps_parse_iso(const char *s, int64_t *out_ns);

/* *out_ns: Unix ns of a UTC civil date and time (proleptic Gregorian).
 * BFT_EINVAL for a year outside BFT_CIVIL_YEAR_MIN..MAX (1900..2200); the
 * other fields are not checked beyond the caller's ranges (month 1..12,
 * day, hour, minute, second 0..99). */
int bftd_gps_civil_ns(int year, int month, int day, int hour, int min, int sec, int64_t *out_ns);

/* GPS week and time of week of UTC time t, GPS - UTC = leap_s. Any t and
 * leap_s: before the GPS epoch gives week 0, beyond week 65535 gives 65535
 * (saturating; no overflow). */
void bftd_gps_week(int64_t utc_ns, int64_t leap_s, uint16_t *week, int64_t *tow_ns);

/* ---- a receiver's state, shared by the nmea and gpsd drivers -------------
 * What both drivers do once a fix is decoded: pair it with a PPS edge, time
 * it (above), check it (the guard), fill the proof's GPS block, count, and
 * report in the status file. */
struct bftd_reading;
struct json_object;

typedef struct bftd_gps_rx {
	bftd_gps_guard guard;
	bftd_gps_delay delay;
	int64_t leap_s;
	bftd_gps_sky sky;        /* the latest sky report */
	bftd_gps_fix fix;        /* the latest fix (any mode) */
	bftd_pps_pair pair;
	bool have_last;          /* a reading was made for second last_t_ns */
	int64_t last_t_ns;
	enum bftd_gps_timing last_timing;
	const char *last_suspect;
	uint64_t fixes, sentences, pps_edges;
	uint64_t span_dropped;   /* fixes not used: waited too long unread with PPS about */
	int64_t last_span_ns;    /* the latest reading's arrival span */
} bftd_gps_rx;

void bftd_gps_rx_init(bftd_gps_rx *rx, int64_t delay_ns, int64_t uncertainty_ns, bool pps, int64_t leap_s,
                      bool fixed, int64_t max_move_m);

/* A PPS edge (from a device or gpsd) at raw_ns, error bound err_ns. */
void bftd_gps_rx_edge(bftd_gps_rx *rx, int64_t raw_ns, int64_t err_ns);

/* A fix whose last byte arrived at arrival_raw_ns (realtime_ns: the system
 * clock now, for the date check). Fills *out and returns true when it is
 * the first fix of a new time with mode >= 2; a repeat of the same second
 * only updates rx->fix. */
bool bftd_gps_rx_fix(bftd_gps_rx *rx, const bftd_gps_fix *fix, int64_t arrival_raw_ns, int64_t realtime_ns,
                     struct bftd_reading *out);

/* The same, for bytes that arrived somewhere in [arrival_raw_ns - span_ns,
 * arrival_raw_ns]: read at arrival_raw_ns, while the last read (or probe)
 * before found the buffer empty span_ns earlier. The loop may have been
 * busy (signing, a database commit) while they waited. The reading is
 * stated from the read, the latest the bytes can have come, and its
 * interval is widened upward by span_ns: had they come earlier, more true
 * time has passed at the stated raw time. With PPS edges about, a span
 * over BFTD_GPS_PPS_MAX_SPAN_NS gives no reading at all (the sentence could
 * be paired with the wrong edge, a whole second off); counted in
 * rx->span_dropped. */
bool bftd_gps_rx_fix_span(bftd_gps_rx *rx, const bftd_gps_fix *fix, int64_t arrival_raw_ns, int64_t span_ns,
                          int64_t realtime_ns, struct bftd_reading *out);

#define BFTD_GPS_PPS_MAX_SPAN_NS (INT64_C(25) * 1000000)

/* The status fields (fix mode, satellites, SNR, position, delay estimate,
 * suspect reason and counts, sentences). */
void bftd_gps_rx_status(const bftd_gps_rx *rx, struct json_object *o);

/* "3D fix, 7/12 satellites" into buf. */
void bftd_gps_rx_state(const bftd_gps_rx *rx, char *buf, size_t len);

#endif
