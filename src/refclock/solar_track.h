/* SPDX-License-Identifier: MIT */
/*
 * The day-long checks of a solar peer (docs/solar.md, "Checks that catch
 * cheats"): each peer's readings are kept with the Sun's direction and the
 * geometric delay's rate at their time, and every few readings, once they
 * span hours, two fits of core/solar_check.c look for what an honest peer
 * cannot leave in its residuals: a position other than the one it claims
 * (or a fragment relayed from elsewhere), whose error follows the Sun's
 * direction as it turns through the day, and stamps shifted against the
 * geometry taken at them, whose error follows the delay's rate. A constant
 * shift is not one of them: it is indistinguishable from a clock offset,
 * which only the fusion of several peers (peers_f) can outvote.
 *
 * Pure: no I/O, no clock reads; the engine (solar_engine.c) feeds it.
 */
#ifndef BFTD_SOLAR_TRACK_H
#define BFTD_SOLAR_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFTD_SOLAR_TRACK_LEN 256                         /* readings kept per peer (a ring) */
#define BFTD_SOLAR_TRACK_MIN 24                          /* readings before a check */
#define BFTD_SOLAR_TRACK_SPAN_NS (INT64_C(7200) * 1000000000) /* 2 h: the Sun turns 30 degrees */
#define BFTD_SOLAR_TRACK_EVERY 16                        /* readings between checks */
#define BFTD_SOLAR_TRACK_Z 5.0                           /* standard errors a finding must exceed */
#define BFTD_SOLAR_TRACK_SHIFT_MAX_S 10.0                /* a larger "shift" is no stamp error */

enum bftd_solar_cheat { BFTD_SOLAR_HONEST = 0, BFTD_SOLAR_POSITION = 1, BFTD_SOLAR_SHIFT = 2 };

typedef struct bftd_solar_track {
	size_t n, next, since_check;
	int64_t base_ns;               /* the first reading's offset: the others are kept relative to it */
	enum bftd_solar_cheat verdict; /* sticky: a proven cheat stays one */
	double found;                  /* the finding: metres (position) or seconds (shift) */
	double t_s[BFTD_SOLAR_TRACK_LEN], off_s[BFTD_SOLAR_TRACK_LEN], sigma_s[BFTD_SOLAR_TRACK_LEN];
	double dir[BFTD_SOLAR_TRACK_LEN][3], rate[BFTD_SOLAR_TRACK_LEN];
} bftd_solar_track;

/* One reading: t_ns its time (Unix ns), off_ns the measured offset of the
 * peer's published clock against ours (both disciplined: the fits' clock
 * line takes up what remains of their difference), sigma_s its error,
 * sun_dir the Sun's unit vector (ECEF) and rate the geometric delay's rate
 * (s/s) at t_ns; tol_m and tol_s the position and stamp errors the peer
 * and we claim (findings within them are no cheat). Runs the checks when
 * due; returns the verdict (sticky). */
enum bftd_solar_cheat bftd_solar_track_add(bftd_solar_track *k, int64_t t_ns, int64_t off_ns, double sigma_s,
                                           const double sun_dir[3], double rate, double tol_m, double tol_s);

#endif
