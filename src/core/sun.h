/* SPDX-License-Identifier: MIT */
/*
 * Geometry for the solar reference (issue 18, docs/solar.md): the Sun's
 * direction from the Astronomical Almanac's low-precision formulas (0.01
 * degree, 1950-2050), WGS84 positions to ECEF, the geometric delay of the
 * Sun's wavefront between two antennas and its rate, the elevation mask, the
 * bounds of the troposphere's and the ionosphere's residual delays at the
 * band, and the quiet Sun's fringe visibility on a baseline (a uniform disk:
 * the reason long baselines see almost no correlated quiet-Sun noise). Pure:
 * times are arguments (Unix ns, UTC taken as UT1: the 0.9 s difference is in
 * the stated accuracy), nothing read, nothing global.
 */
#ifndef BFTIME_CORE_SUN_H
#define BFTIME_CORE_SUN_H

#include <stdint.h>

#define BFT_C_M_S 299792458.0
/* The direction's error bound, radians: 0.01 deg (the almanac formula) +
 * 0.005 deg (GMST without nutation: the equation of the equinoxes) + 0.004
 * deg (UT1-UTC <= 0.9 s) + 0.003 deg (the Sun's horizontal parallax),
 * rounded up to 0.03 deg. docs/solar.md. */
#define BFT_SUN_DIR_ERR_RAD 5.3e-4

typedef struct bft_vec3 {
	double x, y, z;
} bft_vec3;

typedef struct bft_geodetic {
	double lat_rad, lon_rad, height_m; /* WGS84, height above the ellipsoid */
} bft_geodetic;

bft_vec3 bft_geodetic_to_ecef(bft_geodetic g);
double bft_vec3_dot(bft_vec3 a, bft_vec3 b);
double bft_vec3_norm(bft_vec3 a);
bft_vec3 bft_vec3_sub(bft_vec3 a, bft_vec3 b);

/* Unit vector from the Earth's centre to the Sun in ECEF at t_ns (Unix ns);
 * *dist_au (may be NULL) gets the distance in astronomical units. */
bft_vec3 bft_sun_dir_ecef(int64_t t_ns, double *dist_au);

/* The Sun's elevation above the ellipsoid's horizon at g, radians. */
double bft_sun_elevation_rad(bft_geodetic g, int64_t t_ns);

/* Geometric delay: arrival of one solar wavefront at antenna a minus its
 * arrival at antenna b, seconds (plane wave: (b - a) . s / c). */
double bft_sun_delay_s(bft_vec3 a, bft_vec3 b, int64_t t_ns);
/* Its rate, s/s (central difference over +-1 s; the delay is smooth). */
double bft_sun_delay_rate(bft_vec3 a, bft_vec3 b, int64_t t_ns);
/* Bound of the delay's error from the ephemeris (BFT_SUN_DIR_ERR_RAD times
 * the baseline) and the two antennas' position errors, seconds. */
double bft_sun_delay_err_s(bft_vec3 a, bft_vec3 b, double pos_err_a_m, double pos_err_b_m);
/* Projected baseline length perpendicular to the Sun's direction, metres. */
double bft_sun_baseline_perp_m(bft_vec3 a, bft_vec3 b, int64_t t_ns);

/* Tropospheric slant delay model (Saastamoinen-like zenith dry 2.3 m scaled
 * by height, 1/sin(el) mapping), seconds; and the bound of what the model
 * leaves (5% of the dry part + 0.4 m wet zenith, mapped), seconds. */
double bft_tropo_delay_s(double elev_rad, double height_m);
double bft_tropo_residual_bound_s(double elev_rad, double height_m);
/* The bound of the difference of two antennas' residuals (a's minus b's):
 * the dry model's errors may have either sign, so both add; the wet delays
 * share theirs, so the larger one bounds their difference. */
double bft_tropo_diff_bound_s(double elev_a_rad, double height_a_m, double elev_b_rad, double height_b_m);
/* Ionospheric group delay bound at freq_hz for a vertical TEC of at most
 * tec_max_tecu (1 TECU = 1e16 e/m^2), thin shell at 350 km, seconds:
 * 40.3 TEC / (c f^2) times the slant factor. Uncorrected: a single band
 * cannot measure it. */
double bft_iono_bound_s(double elev_rad, double freq_hz, double tec_max_tecu);

/* Visibility amplitude of a uniform disk of angular diameter diam_rad on a
 * projected baseline (|2 J1(x) / x|, x = pi diam b / lambda): the fraction
 * of the Sun's flux that correlates between the two antennas. */
double bft_disk_visibility(double baseline_perp_m, double freq_hz, double diam_rad);
/* The same with its sign (2 J1(x) / x, negative between the first and
 * second nulls): a set of antennas' visibilities with their signs form a
 * positive semidefinite matrix, which the simulator's array draws from. */
double bft_disk_visibility_signed(double baseline_perp_m, double freq_hz, double diam_rad);
#define BFT_SUN_DIAM_RAD 9.3e-3 /* optical disk, 0.533 deg; larger in radio */

#endif
