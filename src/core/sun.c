/* SPDX-License-Identifier: MIT */
/*
 * The Sun's position and the delays of its wavefront (sun.h). Sources:
 * The Astronomical Almanac, section C, "low precision formulas for the
 * Sun" (0.01 deg for 1950-2050, the same as Meeus, Astronomical Algorithms
 * 2nd ed., ch. 25 low accuracy); GMST: Meeus eq. 12.4; WGS84: NIMA TR8350.2;
 * ionosphere: 40.3 TEC/f^2 (Hofmann-Wellenhof, GNSS, 2008, ch. 5);
 * troposphere: Saastamoinen 1972 zenith hydrostatic delay (2.3 m at sea
 * level). The bounds and their derivation: docs/solar.md.
 */
#include "core/sun.h"

#include <math.h>
#include <stddef.h>

#define DEG (M_PI / 180.0)
#define WGS84_A 6378137.0
#define WGS84_F (1.0 / 298.257223563)

double bft_vec3_dot(bft_vec3 a, bft_vec3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
double bft_vec3_norm(bft_vec3 a) { return sqrt(bft_vec3_dot(a, a)); }
bft_vec3 bft_vec3_sub(bft_vec3 a, bft_vec3 b)
{
	bft_vec3 r = { a.x - b.x, a.y - b.y, a.z - b.z };
	return r;
}

bft_vec3 bft_geodetic_to_ecef(bft_geodetic g)
{
	double e2 = WGS84_F * (2 - WGS84_F);
	double s = sin(g.lat_rad), c = cos(g.lat_rad);
	double n = WGS84_A / sqrt(1 - e2 * s * s);
	bft_vec3 r = { (n + g.height_m) * c * cos(g.lon_rad), (n + g.height_m) * c * sin(g.lon_rad),
		       (n * (1 - e2) + g.height_m) * s };
	return r;
}

bft_vec3 bft_sun_dir_ecef(int64_t t_ns, double *dist_au)
{
	/* Days from J2000.0 (JD 2451545.0 = 2000-01-01T12:00 = Unix 946728000). */
	double n = ((double)(t_ns / 1000000000 - 946728000) + (double)(t_ns % 1000000000) * 1e-9) / 86400.0;
	double L = fmod(280.460 + 0.9856474 * n, 360.0) * DEG;
	double g = fmod(357.528 + 0.9856003 * n, 360.0) * DEG;
	double lam = L + (1.915 * sin(g) + 0.020 * sin(2 * g)) * DEG;
	double eps = (23.439 - 0.0000004 * n) * DEG;
	if (dist_au)
		*dist_au = 1.00014 - 0.01671 * cos(g) - 0.00014 * cos(2 * g);
	double ra = atan2(cos(eps) * sin(lam), cos(lam));
	double dec = asin(sin(eps) * sin(lam));
	double gmst = fmod(280.46061837 + 360.98564736629 * n, 360.0) * DEG;
	double h = ra - gmst; /* the Sun's longitude in the Earth-fixed frame */
	bft_vec3 s = { cos(dec) * cos(h), cos(dec) * sin(h), sin(dec) };
	return s;
}

double bft_sun_elevation_rad(bft_geodetic g, int64_t t_ns)
{
	bft_vec3 s = bft_sun_dir_ecef(t_ns, NULL);
	/* Up: the ellipsoid normal. The Sun is far enough for the direction
	 * from the centre to serve (parallax 8.8": in the error bound). */
	bft_vec3 up = { cos(g.lat_rad) * cos(g.lon_rad), cos(g.lat_rad) * sin(g.lon_rad), sin(g.lat_rad) };
	return asin(fmax(-1.0, fmin(1.0, bft_vec3_dot(s, up))));
}

double bft_sun_delay_s(bft_vec3 a, bft_vec3 b, int64_t t_ns)
{
	return bft_vec3_dot(bft_vec3_sub(b, a), bft_sun_dir_ecef(t_ns, NULL)) / BFT_C_M_S;
}

double bft_sun_delay_rate(bft_vec3 a, bft_vec3 b, int64_t t_ns)
{
	return (bft_sun_delay_s(a, b, t_ns + 1000000000) - bft_sun_delay_s(a, b, t_ns - 1000000000)) / 2.0;
}

double bft_sun_delay_err_s(bft_vec3 a, bft_vec3 b, double pos_err_a_m, double pos_err_b_m)
{
	/* (b - a).s with s off by at most d: the change is at most |b - a| sin d. */
	return (bft_vec3_norm(bft_vec3_sub(b, a)) * sin(BFT_SUN_DIR_ERR_RAD) + fabs(pos_err_a_m) + fabs(pos_err_b_m)) /
	       BFT_C_M_S;
}

double bft_sun_baseline_perp_m(bft_vec3 a, bft_vec3 b, int64_t t_ns)
{
	bft_vec3 d = bft_vec3_sub(b, a), s = bft_sun_dir_ecef(t_ns, NULL);
	double along = bft_vec3_dot(d, s), len2 = bft_vec3_dot(d, d);
	return sqrt(fmax(0.0, len2 - along * along));
}

/* Slant factor, floored at 3 degrees where 1/sin grows without meaning. */
static double slant(double elev_rad) { return 1.0 / sin(fmax(elev_rad, 3 * DEG)); }

double bft_tropo_delay_s(double elev_rad, double height_m)
{
	return 2.3 * exp(-height_m / 8434.0) * slant(elev_rad) / BFT_C_M_S;
}

/* What the dry model leaves, at the zenith: its error (5% of it, either
 * sign) and the wet delay it leaves out (0 .. 0.4 m, the tropical maximum). */
static double dry_err_zenith_m(double height_m) { return 0.05 * 2.3 * exp(-height_m / 8434.0); }
#define WET_ZENITH_MAX_M 0.4

double bft_tropo_residual_bound_s(double elev_rad, double height_m)
{
	return (dry_err_zenith_m(height_m) + WET_ZENITH_MAX_M) * slant(elev_rad) / BFT_C_M_S;
}

double bft_tropo_diff_bound_s(double elev_a_rad, double height_a_m, double elev_b_rad, double height_b_m)
{
	/* Their difference: both dry errors add up, the wet delays (same sign)
	 * differ by at most the larger one. */
	double dry_a = dry_err_zenith_m(height_a_m) * slant(elev_a_rad);
	double dry_b = dry_err_zenith_m(height_b_m) * slant(elev_b_rad);
	return (dry_a + dry_b + WET_ZENITH_MAX_M * fmax(slant(elev_a_rad), slant(elev_b_rad))) / BFT_C_M_S;
}

double bft_iono_bound_s(double elev_rad, double freq_hz, double tec_max_tecu)
{
	const double re = 6371000.0, hi = 350000.0;
	double c = re * cos(fmax(elev_rad, 0.0)) / (re + hi);
	double m = 1.0 / sqrt(1.0 - c * c);
	return 40.3 * tec_max_tecu * 1e16 / (freq_hz * freq_hz) * m / BFT_C_M_S;
}

double bft_disk_visibility_signed(double baseline_perp_m, double freq_hz, double diam_rad)
{
	double x = M_PI * diam_rad * baseline_perp_m * freq_hz / BFT_C_M_S;
	if (x < 1e-6)
		return 1.0;
	return 2.0 * j1(x) / x;
}

double bft_disk_visibility(double baseline_perp_m, double freq_hz, double diam_rad)
{
	return fabs(bft_disk_visibility_signed(baseline_perp_m, freq_hz, diam_rad));
}
