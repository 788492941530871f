/* SPDX-License-Identifier: MIT */
/* Tests of the solar reference's core (issue 18, docs/solar.md): the Sun's
 * position against almanac values (declination at a solstice, the equation
 * of time through the subsolar longitude), WGS84, the geometric delay and
 * the disk's visibility; then the correlator on synthetic recordings at
 * several SNRs: every reported interval holds the true offset and the lag's
 * spread is within 1.5x of the Cramer-Rao bound; weak and edge cases give no
 * reading; the cheat checks catch a copied fragment, a false position and a
 * shifted stamp, and pass honest series. SOLAR_MC=N runs N recordings per
 * SNR instead of the quick count and prints the table scripts/solar.sh puts
 * in docs/results.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/civil.h"
#include "core/solarsim.h"
#include "core/sun.h"
#include "core/xcorr.h"
#include "proto/fragment.h"

#define DEG (M_PI / 180.0)

static int64_t utc_ns(int y, int mo, int d, int h, int mi, int s)
{
	return (bft_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * INT64_C(1000000000);
}

static void test_sun_position(void **state)
{
	(void)state;
	/* June solstice 2024-06-20 20:51 UTC: declination +23.44 deg. */
	bft_vec3 s = bft_sun_dir_ecef(utc_ns(2024, 6, 20, 20, 51, 0), NULL);
	assert_true(fabs(asin(s.z) / DEG - 23.44) < 0.02);
	assert_true(fabs(bft_vec3_norm(s) - 1) < 1e-12);
	/* 2024-11-03 12:00 UTC: the equation of time is +16.4 min, so the Sun
	 * stands over longitude -4.1 deg; declination -15.301 deg (Meeus ch. 25's
	 * fuller series, with nutation and aberration). */
	s = bft_sun_dir_ecef(utc_ns(2024, 11, 3, 12, 0, 0), NULL);
	assert_true(fabs(atan2(s.y, s.x) / DEG + 4.1) < 0.05);
	assert_true(fabs(asin(s.z) / DEG + 15.301) < 0.02);
	/* Perihelion (early January) 0.9833 AU. */
	double au;
	bft_sun_dir_ecef(utc_ns(2025, 1, 4, 13, 28, 0), &au);
	assert_true(fabs(au - 0.98333) < 2e-4);
	/* Elevation: near 90 deg at the subsolar point, below 0 opposite. */
	bft_geodetic sub = { asin(s.z), atan2(s.y, s.x), 0 }, anti = { -asin(s.z), atan2(s.y, s.x) + M_PI, 0 };
	assert_true(bft_sun_elevation_rad(sub, utc_ns(2024, 11, 3, 12, 0, 0)) > 89.8 * DEG);
	assert_true(bft_sun_elevation_rad(anti, utc_ns(2024, 11, 3, 12, 0, 0)) < -89.8 * DEG);
}

static void test_geodesy_delay(void **state)
{
	(void)state;
	bft_vec3 e = bft_geodetic_to_ecef((bft_geodetic){ 0, 0, 0 });
	assert_true(fabs(e.x - 6378137.0) < 1e-6 && fabs(e.y) < 1e-6 && fabs(e.z) < 1e-6);
	bft_vec3 np = bft_geodetic_to_ecef((bft_geodetic){ M_PI / 2, 0, 100 });
	assert_true(fabs(np.z - 6356852.3142) < 1e-3);
	/* b 300 m closer to the Sun than a: the wavefront reaches a 1.0007 us later. */
	int64_t t = utc_ns(2026, 3, 1, 10, 0, 0);
	bft_vec3 s = bft_sun_dir_ecef(t, NULL), a = bft_geodetic_to_ecef((bft_geodetic){ 48 * DEG, 11 * DEG, 500 });
	bft_vec3 b = { a.x + 300 * s.x, a.y + 300 * s.y, a.z + 300 * s.z };
	assert_true(fabs(bft_sun_delay_s(a, b, t) - 300 / BFT_C_M_S) < 1e-15);
	assert_true(bft_sun_baseline_perp_m(a, b, t) < 1e-3);
	/* Rate of a 1000 km east-west baseline is at most omega_E b / c. */
	bft_vec3 c = bft_geodetic_to_ecef((bft_geodetic){ 48 * DEG, 24.4 * DEG, 500 });
	double rate = bft_sun_delay_rate(a, c, t), lim = 7.2921e-5 * bft_vec3_norm(bft_vec3_sub(c, a)) / BFT_C_M_S;
	assert_true(fabs(rate) > 0 && fabs(rate) <= lim * 1.001);
	/* Its error bound: 1000 km * 5.3e-4 rad = 530 m = 1.77 us. */
	assert_true(fabs(bft_sun_delay_err_s(a, c, 0, 0) * BFT_C_M_S - bft_vec3_norm(bft_vec3_sub(c, a)) * 5.3e-4) < 1);
	/* Visibility: 1 at zero, a null at x = 3.8317 (28 m at 1.4 GHz). */
	assert_true(fabs(bft_disk_visibility(0, 1.4e9, BFT_SUN_DIAM_RAD) - 1) < 1e-12);
	double null_m = 3.8317 * BFT_C_M_S / (M_PI * BFT_SUN_DIAM_RAD * 1.4e9);
	assert_true(bft_disk_visibility(null_m, 1.4e9, BFT_SUN_DIAM_RAD) < 1e-4);
	assert_true(null_m > 27 && null_m < 29);
	/* Atmosphere: 1.4 GHz, 100 TECU zenith = 20.6 m = 69 ns. */
	double io = bft_iono_bound_s(M_PI / 2, 1.4e9, 100);
	assert_true(fabs(io * BFT_C_M_S - 40.3e18 / (1.4e9 * 1.4e9)) < 0.01);
	assert_true(bft_iono_bound_s(10 * DEG, 1.4e9, 100) > 2.5 * io);
	assert_true(fabs(bft_tropo_delay_s(M_PI / 2, 0) * BFT_C_M_S - 2.3) < 1e-9);
	/* Two antennas' residuals (dry model off by up to 5% either way, wet
	 * delay 0 .. 0.4 m at the zenith, each mapped at its own elevation):
	 * every extreme combination's difference lies within the bound, and
	 * the worst one reaches it. */
	const double els[] = { 90 * DEG, 40 * DEG, 15 * DEG, 3 * DEG };
	const double hs[] = { 0, 100, 2500 };
	for (size_t ia = 0; ia < 4; ia++)
		for (size_t ib = 0; ib < 4; ib++)
			for (size_t h = 0; h < 3; h++) {
				double ea = els[ia], eb = els[ib], ha = hs[h], hb = hs[2 - h];
				double bound = bft_tropo_diff_bound_s(ea, ha, eb, hb), worst = 0;
				for (int k = 0; k < 16; k++) {
					double ra = ((k & 1) ? 0.05 : -0.05) * bft_tropo_delay_s(ea, ha) +
						    ((k & 2) ? 0.4 / sin(ea) / BFT_C_M_S : 0);
					double rb = ((k & 4) ? 0.05 : -0.05) * bft_tropo_delay_s(eb, hb) +
						    ((k & 8) ? 0.4 / sin(eb) / BFT_C_M_S : 0);
					worst = fmax(worst, fabs(ra - rb));
				}
				assert_true(worst <= bound * (1 + 1e-12));
				assert_true(worst >= bound * (1 - 1e-12));
				/* The larger of the two residual bounds (the rule before)
				 * falls short of it. */
				assert_true(fmax(bft_tropo_residual_bound_s(ea, ha), bft_tropo_residual_bound_s(eb, hb)) < worst);
			}
}

/* One synthetic trial: returns 0 and the lag error (samples) and whether the
 * interval held the truth; BFT_XCORR_E_* when no reading. */
struct trial {
	double err, sigma;
	int held;
	double rho_low;
};

static int one_trial(bft_rng *rng, bft_xcorr *x, size_t L, size_t N, double rho_target, double bw, int quant_bits,
		     struct trial *t, double complex *a, double complex *b)
{
	/* T_sys 1, T_sun set so sqrt(fa fb) = rho: f = rho. */
	bft_solarsim_station st[2] = { { rho_target / (1 - rho_target), 1, 1.7, 0 },
				       { rho_target / (1 - rho_target), 1, 0.3, 0 } };
	double lag_true = 1000 + (double)(bft_rng_next(rng) % 100000) / 1000.0; /* 1000 .. 1100 */
	st[0].delay_samples = lag_true;
	if (bft_solarsim_pair(rng, L, bw, 1.0, st, a, b))
		return -99;
	double complex *frag = b;
	double complex q[8192];
	if (quant_bits) {
		assert_true(N <= 8192);
		bft_quant_roundtrip(b, N, quant_bits, q);
		frag = q;
	}
	bft_xcorr_params p = { 900, 1200, bw, 0 };
	bft_xcorr_result r;
	int rc = bft_xcorr_run(x, a, L, frag, N, &p, &r);
	if (rc)
		return rc;
	t->err = r.lag - lag_true;
	t->sigma = r.sigma_crb;
	t->rho_low = r.rho_low;
	/* The interval: own clock 1.234567 s ahead of the peer, fs 2.4 MHz, the
	 * lag carries the true offset, and no geometry. */
	double fs = 2.4e6;
	int64_t off_true = -1234567;
	/* Peer stamp = true + off; lag = (t_peer_true - t_own_true) fs. */
	int64_t t_own = utc_ns(2026, 6, 1, 12, 0, 0);
	int64_t t_peer_true = t_own + (int64_t)llround(lag_true / fs * 1e9);
	bft_solar_reading_in in = { t_own, t_peer_true + off_true, fs, r.lag, r.sigma_crb, BFT_SOLAR_K_SIGMA, 0, 0, 0, 0, 0, 0 };
	/* llround above moved the truth by < 0.5 ns: one ns of stamp error. */
	in.stamp_err_own_ns = 1;
	bft_interval iv = bft_solar_offset_interval(&in);
	t->held = bft_iv_contains(iv, off_true);
	return 0;
}

/* One row per (band, quantisation, rho): the white band (bw 1) is where the
 * quantised bound is exact, so its rows are the quantised ones only. */
static void run_table(size_t reps, int print)
{
	const double rhos[] = { 0.2, 0.3, 0.5, 0.7, 0.9 };
	const int quants[] = { 0, 2, 1 };
	const double bws[] = { 0.8, 1.0 };
	size_t L = 4096, N = 2048;
	bft_xcorr *x = bft_xcorr_new(L);
	double complex *a = malloc(L * sizeof *a), *b = malloc(L * sizeof *b);
	assert_non_null(x);
	assert_non_null(a);
	assert_non_null(b);
	bft_rng rng;
	bft_rng_seed(&rng, 18);
	if (print)
		printf("| band | rho | quantised | recordings | readings | containment | lag std (samples) | CRB at rho (samples) | "
		       "std / CRB | CRB of the quantised fragment | std / that | mean half-width / CRB |\n"
		       "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t bi = 0; bi < 2; bi++)
		for (size_t qi = 0; qi < 3; qi++)
			for (size_t ri = 0; ri < sizeof rhos / sizeof *rhos; ri++) {
				double bw = bws[bi];
				if (bw == 1.0 && (quants[qi] == 0 || (rhos[ri] != 0.5 && rhos[ri] != 0.9)))
					continue;
				double s2 = 0, sum = 0, hw = 0;
				size_t ok = 0, held = 0;
				for (size_t k = 0; k < reps; k++) {
					struct trial t;
					int rc = one_trial(&rng, x, L, N, rhos[ri], bw, quants[qi], &t, a, b);
					assert_true(rc == 0 || rc == BFT_XCORR_E_WEAK);
					if (rc)
						continue;
					ok++, held += t.held;
					s2 += t.err * t.err, sum += t.err, hw += BFT_SOLAR_K_SIGMA * t.sigma;
				}
				double crb = bft_xcorr_crb(rhos[ri], N, bw);
				double crb_q = bft_xcorr_crb_quant(rhos[ri], N, bw, quants[qi]);
				double sd = ok > 1 ? sqrt((s2 - sum * sum / (double)ok) / (double)(ok - 1)) : NAN;
				if (print)
					printf("| %.1f | %.2f | %s | %zu | %zu | %.4f | %.5f | %.5f | %.2f | %.5f | %.2f | %.1f |\n", bw,
					       rhos[ri], quants[qi] == 0 ? "no" : quants[qi] == 2 ? "2 bit" : "1 bit", reps, ok,
					       ok ? (double)held / (double)ok : NAN, sd, crb, sd / crb, crb_q, sd / crb_q,
					       ok ? hw / (double)ok / crb : NAN);
				/* Containment 1.0 always. */
				assert_int_equal(held, ok);
				/* Strong enough: every recording gives a reading. */
				if (rhos[ri] >= 0.3)
					assert_int_equal(ok, reps);
				/* The spread within 1.5x of the bound of the data the
				 * correlator has: the fragment as it was sent. */
				if (ok >= 30)
					assert_true(sd <= 1.5 * crb_q);
			}
	bft_xcorr_free(x);
	free(a);
	free(b);
}

/* The quantised fragment's share of the Fisher information
 * (bft_xcorr_quant_info): the classical low-SNR figures at rho -> 0 (2/pi
 * for one bit, Van Vleck; for two bits at one rms the closed form
 * 2 [phi(1)^2 / Q(1) + (phi(0) - phi(1))^2 / (1/2 - Q(1))]), values from an
 * independent quadrature (midpoint rule, step 0.0005 on [-10, 10], Python's
 * math.erfc; docs/solar.md), and the shape: falling with rho. */
static void test_quant_info(void **state)
{
	(void)state;
	double phi0 = 1 / sqrt(2 * M_PI), phi1 = exp(-0.5) / sqrt(2 * M_PI), q1 = 0.5 * erfc(1 / M_SQRT2);
	double two0 = 2 * (phi1 * phi1 / q1 + (phi0 - phi1) * (phi0 - phi1) / (0.5 - q1));
	assert_float_equal(bft_xcorr_quant_info(1, 0), 2 / M_PI, 1e-7);
	assert_float_equal(bft_xcorr_quant_info(2, 0), two0, 1e-7);
	assert_float_equal(bft_xcorr_quant_info(1, 0.5), 0.570084, 2e-6);
	assert_float_equal(bft_xcorr_quant_info(1, 0.9), 0.307435, 2e-6);
	assert_float_equal(bft_xcorr_quant_info(1, 0.99), 0.101435, 2e-6);
	assert_float_equal(bft_xcorr_quant_info(2, 0.5), 0.850637, 2e-6);
	assert_float_equal(bft_xcorr_quant_info(2, 0.9), 0.623566, 2e-6);
	assert_float_equal(bft_xcorr_quant_info(2, 0.99), 0.224755, 2e-6);
	for (int bits = 1; bits <= 2; bits++) {
		double prev = 1;
		for (double r = 0; r <= 1.0001; r += 0.01) {
			double v = bft_xcorr_quant_info(bits, r);
			assert_true(v > 0 && v <= prev);
			prev = v;
		}
		/* Two bits keep more than one. */
		assert_true(bft_xcorr_quant_info(2, 0.7) > bft_xcorr_quant_info(1, 0.7));
	}
	assert_float_equal(bft_xcorr_quant_info(0, 0.9), 1.0, 0);
	assert_true(isnan(bft_xcorr_quant_info(3, 0.5)));
	assert_true(isnan(bft_xcorr_quant_info(1, -0.1)));
	assert_float_equal(bft_xcorr_crb_quant(0.5, 2048, 0.8, 0), bft_xcorr_crb(0.5, 2048, 0.8), 0);
	assert_float_equal(bft_xcorr_crb_quant(0.9, 2048, 0.8, 1), bft_xcorr_crb(0.9, 2048, 0.8) / sqrt(0.307435), 1e-6);
}

/* Realistic hardware (docs/solar.md): two 1 m dishes (aperture efficiency
 * 0.5) at 1.42 GHz, system temperature 150 K, an RTL-SDR at 2.4 MS/s with
 * 0.8 of it flat, the quiet Sun at 50 sfu, 2-bit fragments. For each
 * baseline (the quiet Sun's visibility) and precision (1 sigma of the lag),
 * the recording length the Cramer-Rao bound asks for, then synthetic
 * recordings of that length where it is at most 2^19 samples, their lag
 * spread measured. */
static void hardware_table(size_t reps)
{
	const double fs = 2.4e6, f0 = 1.42e9, bw = 0.8, tsys = 150;
	double tsun = bft_solarsim_t_sun(50, 1.0, 0.5);
	const double bases[] = { 0, 10, 20, 100, 1000, 100000 };
	const double prec_ns[] = { 1, 10, 100 };
	printf("\nT_sun %.1f K, T_sys %.0f K, f = %.3f per antenna\n\n", tsun, tsys, tsun / (tsun + tsys));
	printf("| projected baseline | visibility | rho (2-bit) | 1-sigma precision | samples | recording | simulated: recordings, lag std / CRB |\n"
	       "| --- | --- | --- | --- | --- | --- | --- |\n");
	bft_rng rng;
	bft_rng_seed(&rng, 1420);
	for (size_t i = 0; i < sizeof bases / sizeof *bases; i++)
		for (size_t j = 0; j < sizeof prec_ns / sizeof *prec_ns; j++) {
			double vis = bft_disk_visibility(bases[i], f0, BFT_SUN_DIAM_RAD);
			double rho = vis * tsun / (tsun + tsys) * BFT_QUANT2_GAIN;
			double sig_s = prec_ns[j] * 1e-9 * fs, c = rho * rho;
			double n = 12 * (1 - c) / (8 * M_PI * M_PI * bw * bw * bw * c * sig_s * sig_s);
			/* Detection: rho sqrt(bw n) >= 8 (docs/solar.md). */
			double ndet = 64 / (bw * c);
			if (n < ndet)
				n = ndet;
			char sim[96] = "-";
			if (n <= 524288 && reps) {
				size_t N = 1;
				while ((double)N < n)
					N <<= 1;
				size_t L = 2 * N;
				bft_xcorr *x = bft_xcorr_new(L);
				double complex *a = malloc(L * sizeof *a), *b = malloc(L * sizeof *b), *q = malloc(N * sizeof *q);
				bft_solarsim_station st[2] = { { tsun, tsys, 1, 0 }, { tsun, tsys, 1, 0 } };
				double s2 = 0;
				/* 200 recordings, 50 of the longest (2^19 samples: 0.2 s) */
				size_t ok = 0, runs = reps < 200 ? reps : N > 131072 ? 50 : 200;
				for (size_t k = 0; k < runs; k++) {
					double lag = 300 + (double)(bft_rng_next(&rng) % 1000) / 1000.0;
					st[0].delay_samples = lag;
					assert_int_equal(bft_solarsim_pair(&rng, L, bw, vis, st, a, b), 0);
					bft_quant_roundtrip(b, N, 2, q);
					bft_xcorr_params p = { 200, 400, bw, 0 };
					bft_xcorr_result r;
					if (bft_xcorr_run(x, a, L, q, N, &p, &r) == 0)
						ok++, s2 += (r.lag - lag) * (r.lag - lag);
				}
				snprintf(sim, sizeof sim, "%zu of %zu, %.2f (N = %zu)", ok, runs,
					 ok ? sqrt(s2 / (double)ok) / bft_xcorr_crb(rho, N, bw) : NAN, N);
				bft_xcorr_free(x);
				free(a), free(b), free(q);
			}
			char len[32];
			double secs = n / fs;
			if (secs < 1)
				snprintf(len, sizeof len, "%.3g ms", secs * 1e3);
			else if (secs < 3600)
				snprintf(len, sizeof len, "%.3g s", secs);
			else if (secs < 86400 * 365)
				snprintf(len, sizeof len, "%.3g h", secs / 3600);
			else
				snprintf(len, sizeof len, "%.2g years", secs / 86400 / 365);
			printf("| %.0f m | %.2g | %.3g | %.0f ns | %.3g | %s | %s |\n", bases[i], vis, rho, prec_ns[j], n, len, sim);
		}
}

static void test_xcorr_crb(void **state)
{
	(void)state;
	const char *mc = getenv("SOLAR_MC");
	size_t reps = mc ? strtoul(mc, NULL, 10) : 60;
	run_table(reps ? reps : 60, mc != NULL);
	if (mc)
		hardware_table(reps);
}

static void test_xcorr_no_reading(void **state)
{
	(void)state;
	size_t L = 4096, N = 2048;
	bft_xcorr *x = bft_xcorr_new(L);
	double complex *a = calloc(L, sizeof *a), *b = calloc(L, sizeof *b);
	bft_rng rng;
	bft_rng_seed(&rng, 7);
	/* Independent noise: no common Sun. */
	bft_solarsim_station st[2] = { { 0, 1, 1, 0 }, { 0, 1, 1, 0 } };
	assert_int_equal(bft_solarsim_pair(&rng, L, 1, 0, st, a, b), 0);
	bft_xcorr_params p = { 0, L - N, 1, 0 };
	bft_xcorr_result r;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(bft_solarsim_pair(&rng, L, 1, 0, st, a, b), 0);
		assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), BFT_XCORR_E_WEAK);
	}
	/* Silence. */
	memset(b, 0, L * sizeof *b);
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), BFT_XCORR_E_WEAK);
	/* A strong peak at lag 500 with the window ending there: an edge. */
	st[0].t_sun_k = st[1].t_sun_k = 10, st[0].delay_samples = 500;
	assert_int_equal(bft_solarsim_pair(&rng, L, 1, 1, st, a, b), 0);
	p.lag_min = 100, p.lag_max = 500;
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), BFT_XCORR_E_EDGE);
	p.lag_max = 600;
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), 0);
	assert_true(fabs(r.lag - 500) < 0.01);
	/* Bad windows and lengths. */
	p.lag_max = L - N + 1;
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), BFT_XCORR_E_ARGS);
	p.lag_max = 600, p.bw_frac = 0;
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), BFT_XCORR_E_ARGS);
	p.bw_frac = 1;
	assert_int_equal(bft_xcorr_run(x, a, L - 1, b, N, &p, &r), BFT_XCORR_E_ARGS);
	bft_xcorr_free(x);
	free(a);
	free(b);
}

static void test_fringe(void **state)
{
	(void)state;
	size_t L = 4096, N = 2048;
	bft_xcorr *x = bft_xcorr_new(L);
	double complex *a = calloc(L, sizeof *a), *b = calloc(L, sizeof *b);
	bft_rng rng;
	bft_rng_seed(&rng, 9);
	bft_solarsim_station st[2] = { { 1, 1, 1, 300.25 }, { 1, 1, 1, 0 } };
	assert_int_equal(bft_solarsim_pair(&rng, L, 1, 1, st, a, b), 0);
	for (size_t i = 0; i < N; i++)
		b[i] *= cexp(I * 2 * M_PI * 0.003 * (double)i);
	bft_xcorr_params p = { 200, 400, 1, 0 };
	bft_xcorr_result r, r2;
	int rc = bft_xcorr_run(x, a, L, b, N, &p, &r);
	p.fringe_cps = 0.003;
	assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r2), 0);
	assert_true(fabs(r2.lag - 300.25) < 0.05 && fabs(r2.rho - 0.5) < 0.1);
	/* 6 turns across the fragment wash the correlation out. */
	assert_true(rc == BFT_XCORR_E_WEAK || r.rho < 0.2);
	bft_xcorr_free(x);
	free(a);
	free(b);
}

static void test_copy_check(void **state)
{
	(void)state;
	size_t L = 4096, N = 2048;
	bft_xcorr *x = bft_xcorr_new(L);
	double complex *a = calloc(L, sizeof *a), *b = calloc(L, sizeof *b), *q = calloc(N, sizeof *q);
	bft_rng rng;
	bft_rng_seed(&rng, 11);
	/* T_sun / T_sys = 0.6 each: f = 0.375, honest rho <= 0.375. */
	bft_solarsim_station st[2] = { { 60, 100, 1, 250 }, { 60, 100, 1, 0 } };
	double f = 60.0 / 160.0;
	bft_xcorr_params p = { 200, 300, 1, 0 };
	bft_xcorr_result r;
	int honest_flags = 0;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(bft_solarsim_pair(&rng, L, 1, 1, st, a, b), 0);
		assert_int_equal(bft_xcorr_run(x, a, L, b, N, &p, &r), 0);
		honest_flags += bft_solar_copy_suspect(r.rho_low, f, f, 1, 1);
		/* 2-bit quantised: its gain in the bound. */
		bft_quant_roundtrip(b, N, 2, q);
		assert_int_equal(bft_xcorr_run(x, a, L, q, N, &p, &r), 0);
		honest_flags += bft_solar_copy_suspect(r.rho_low, f, f, 1, BFT_QUANT2_GAIN);
	}
	assert_int_equal(honest_flags, 0);
	/* A copy of the verifier's own recording, 1-bit quantised, shifted. */
	bft_quant_roundtrip(a + 250, N, 1, q);
	assert_int_equal(bft_xcorr_run(x, a, L, q, N, &p, &r), 0);
	assert_true(r.rho_low > 0.7);
	assert_true(bft_solar_copy_suspect(r.rho_low, f, 1.0, 1, BFT_QUANT1_GAIN));
	bft_xcorr_free(x);
	free(a);
	free(b);
	free(q);
}

static void test_series_checks(void **state)
{
	(void)state;
	/* Twelve readings from 07:00 to 17:00 UTC on a 300 km baseline. */
	bft_vec3 own = bft_geodetic_to_ecef((bft_geodetic){ 50 * DEG, 8 * DEG, 100 });
	bft_vec3 peer = bft_geodetic_to_ecef((bft_geodetic){ 48 * DEG, 11 * DEG, 500 });
	enum { N = 12 };
	double t[N], honest[N], moved[N], shifted[N], sig[N], rate[N], dir[N][3];
	bft_rng rng;
	bft_rng_seed(&rng, 3);
	for (int i = 0; i < N; i++) {
		int64_t ts = utc_ns(2026, 6, 1, 7, 0, 0) + (int64_t)i * 3000 * INT64_C(1000000000);
		bft_vec3 s = bft_sun_dir_ecef(ts, NULL);
		dir[i][0] = s.x, dir[i][1] = s.y, dir[i][2] = s.z;
		t[i] = (double)i * 3000;
		sig[i] = 5e-9;
		rate[i] = bft_sun_delay_rate(own, peer, ts);
		double clock = 2e-6 + 1e-9 * t[i] + sig[i] * bft_rng_gauss(&rng); /* offset + 1 ppb drift */
		honest[i] = clock;
		/* The peer sits 200 m east of where it claims (or relays a fragment
		 * from there): the residual carries -(d . s)/c. */
		bft_vec3 d = { -200 * sin(11 * DEG), 200 * cos(11 * DEG), 0 };
		moved[i] = clock - bft_vec3_dot(d, s) / BFT_C_M_S;
		/* A stamp shifted by 30 s with the geometry taken at the stamp. */
		shifted[i] = clock + 30 * rate[i];
	}
	double d_m, se_m, dt, se_t;
	assert_int_equal(bft_solar_position_suspect(N, t, honest, sig, (const double (*)[3])dir, 6, 10, &d_m, &se_m), 0);
	assert_int_equal(bft_solar_position_suspect(N, t, moved, sig, (const double (*)[3])dir, 6, 10, &d_m, &se_m), 1);
	assert_true(fabs(d_m - 200) < 40);
	assert_int_equal(bft_solar_shift_suspect(N, t, honest, sig, rate, 6, 1, &dt, &se_t), 0);
	assert_int_equal(bft_solar_shift_suspect(N, t, shifted, sig, rate, 6, 1, &dt, &se_t), 1);
	assert_true(fabs(dt - 30) < 3);
	/* Too few readings: cannot tell. */
	assert_true(bft_solar_position_suspect(4, t, honest, sig, (const double (*)[3])dir, 6, 10, NULL, NULL) < 0);
}

static void test_solarsim(void **state)
{
	(void)state;
	/* 1 m dish, 50% efficiency, quiet Sun 50 sfu at 1.4 GHz: 71 K. */
	double ts = bft_solarsim_t_sun(50, 1.0, 0.5);
	assert_true(fabs(ts - 71.1) < 0.5);
	bft_solarsim_station st[2] = { { ts, 150, 2, 0 }, { ts, 150, 2, 0 } };
	assert_true(fabs(bft_solarsim_rho(st, 1) - ts / (ts + 150)) < 1e-12);
	/* Power per sample: gain^2 (T_sun + T_sys). */
	size_t n = 1 << 14;
	double complex *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	bft_rng rng;
	bft_rng_seed(&rng, 5);
	assert_int_equal(bft_solarsim_pair(&rng, n, 0.5, 1, st, a, b), 0);
	double pw = 0;
	for (size_t i = 0; i < n; i++)
		pw += creal(a[i] * conj(a[i]));
	pw /= (double)n;
	assert_true(fabs(pw / (4 * (ts + 150)) - 1) < 0.05);
	assert_int_equal(bft_solarsim_pair(&rng, n, 1.5, 1, st, a, b), BFT_EINVAL);
	st[0].gain = 0;
	assert_int_equal(bft_solarsim_pair(&rng, n, 1, 1, st, a, b), BFT_EINVAL);
	free(a);
	free(b);
}

/* The spread-out array: each pair correlates as its own visibility says
 * (zero-lag coefficient of the two stations' samples: vis_ij sqrt(f_i
 * f_j), here with T_sys 0, so vis_ij itself); a matrix no sky can make
 * (not semidefinite) is refused, as is a generation shorter than the block. */
static void test_solarsim_vis(void **state)
{
	(void)state;
	size_t n = 1 << 15, m = 3;
	double vis[9] = { 1, 0.9, 0.1, 0.9, 1, -0.2, 0.1, -0.2, 1 };
	bft_solarsim_station st[3] = { { 100, 0, 1, 0 }, { 100, 0, 2, 0 }, { 100, 0, 1, 0 } };
	double complex *x[3];
	for (size_t i = 0; i < m; i++)
		x[i] = malloc(n * sizeof *x[i]);
	bft_rng rng;
	bft_rng_seed(&rng, 9);
	assert_int_equal(bft_solarsim_array_vis(&rng, 2 * n, n, 0.8, m, vis, st, x), 0);
	for (size_t i = 0; i < m; i++)
		for (size_t j = i + 1; j < m; j++) {
			double complex c = 0;
			double pi = 0, pj = 0;
			for (size_t k = 0; k < n; k++) {
				c += x[i][k] * conj(x[j][k]);
				pi += creal(x[i][k] * conj(x[i][k]));
				pj += creal(x[j][k] * conj(x[j][k]));
			}
			double r = creal(c) / sqrt(pi * pj);
			assert_true(fabs(r - vis[i * m + j]) < 0.03);
		}
	double bad[9] = { 1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1 };
	assert_int_equal(bft_solarsim_array_vis(&rng, 2 * n, n, 0.8, m, bad, st, x), BFT_EINVAL);
	assert_int_equal(bft_solarsim_array_vis(&rng, n - 1, n, 0.8, m, vis, st, x), BFT_EINVAL);
	for (size_t i = 0; i < m; i++)
		free(x[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sun_position), cmocka_unit_test(test_geodesy_delay),
		cmocka_unit_test(test_solarsim),     cmocka_unit_test(test_xcorr_no_reading),
		cmocka_unit_test(test_fringe),	     cmocka_unit_test(test_copy_check),
		cmocka_unit_test(test_series_checks), cmocka_unit_test(test_xcorr_crb), cmocka_unit_test(test_quant_info),
		cmocka_unit_test(test_solarsim_vis),
	};
	return cmocka_run_group_tests_name("solar", tests, NULL, NULL);
}
