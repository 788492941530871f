/* SPDX-License-Identifier: MIT */
/* Tests of the solar reference's formats (issue 18, docs/solar.md): SigMF
 * meta parsing (a complete file, every required field's absence, wrong
 * types, bad dates, trailing bytes, limits), samples of every type written
 * and read back, the sample-time rule; fragments packed, signed, opened and
 * refused when altered in any field, truncated, extended or re-padded; and
 * the whole chain on files: two synthetic SigMF recordings with a known
 * clock offset and geometry, a signed 2-bit fragment from one, correlated
 * against the other, give an interval holding the offset. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/solarsim.h"
#include "core/sun.h"
#include "core/xcorr.h"
#include "proto/fragment.h"
#include "proto/sigmf.h"

#define DEG (M_PI / 180.0)

static const char *good_meta =
	"{\"global\": {\"core:datatype\": \"ci16_le\", \"core:version\": \"1.0.0\", \"core:sample_rate\": 2400000,"
	" \"core:hw\": \"RTL-SDR v3, 1 m dish\", \"core:geolocation\": {\"type\": \"Point\", \"coordinates\": [11.5, 48.1, 520]},"
	" \"x:other\": [1, 2]},"
	" \"captures\": [{\"core:sample_start\": 0, \"core:frequency\": 1.42e9, \"core:datetime\": \"2026-06-01T12:00:00.5Z\"},"
	" {\"core:sample_start\": 2400000, \"core:frequency\": 1.42e9, \"core:datetime\": \"2026-06-01T12:00:01.500000001Z\"}],"
	" \"annotations\": [{\"core:sample_start\": 100, \"core:sample_count\": 50, \"core:label\": \"burst\","
	" \"core:freq_lower_edge\": 1.419e9, \"core:freq_upper_edge\": 1.421e9}]}\n";

static void test_meta_good(void **state)
{
	(void)state;
	bft_sigmf_meta m;
	char err[200] = "";
	assert_int_equal(bft_sigmf_parse_meta(good_meta, strlen(good_meta), &m, err, sizeof err), 0);
	assert_int_equal(m.type, BFT_SIGMF_CI16_LE);
	assert_true(m.sample_rate_hz == 2400000);
	assert_string_equal(m.hw, "RTL-SDR v3, 1 m dish");
	assert_true(m.has_geo && m.lat_deg == 48.1 && m.lon_deg == 11.5 && m.alt_m == 520);
	assert_int_equal(m.ncaptures, 2);
	assert_true(m.captures[0].freq_hz == 1.42e9);
	int64_t t;
	assert_int_equal(bft_sigmf_sample_time(&m, 0, &t), 0);
	assert_int_equal(t, INT64_C(1780315200500000000));
	assert_int_equal(bft_sigmf_sample_time(&m, 1200000, &t), 0);
	assert_int_equal(t, INT64_C(1780315201000000000));
	assert_int_equal(bft_sigmf_sample_time(&m, 2400000, &t), 0);
	assert_int_equal(t, INT64_C(1780315201500000001));
	assert_int_equal(m.nannotations, 1);
	assert_string_equal(m.annotations[0].label, "burst");
	assert_int_equal(m.annotations[0].sample_count, 50);
	/* Format and parse back: the same struct. */
	char buf[8192];
	int n = bft_sigmf_format_meta(&m, buf, sizeof buf);
	assert_true(n > 0);
	bft_sigmf_meta m2;
	assert_int_equal(bft_sigmf_parse_meta(buf, (size_t)n, &m2, err, sizeof err), 0);
	assert_memory_equal(&m, &m2, sizeof m);
	assert_int_equal(bft_sigmf_format_meta(&m, buf, 10), BFT_EINVAL);
}

static void expect_bad(const char *text, const char *reason)
{
	bft_sigmf_meta m;
	char err[200] = "";
	assert_int_equal(bft_sigmf_parse_meta(text, strlen(text), &m, err, sizeof err), BFT_EINVAL);
	if (!strstr(err, reason))
		fail_msg("\"%s\": error \"%s\" lacks \"%s\"", text, err, reason);
}

#define G(x) "{\"global\": {\"core:datatype\": \"cf32_le\", \"core:version\": \"1.0.0\", \"core:sample_rate\": 1e6" x "}, "
#define C0 "\"captures\": [{\"core:sample_start\": 0}]}"

static void test_meta_bad(void **state)
{
	(void)state;
	expect_bad("", "not valid JSON");
	expect_bad("{\"global\": ", "truncated");
	expect_bad("[1]", "not a JSON object");
	expect_bad("{}", "global object missing");
	expect_bad(G("") C0 " x", "bytes after the JSON");
	expect_bad("{\"global\": {\"core:version\": \"1.0.0\", \"core:sample_rate\": 1}, " C0, "core:datatype missing");
	expect_bad("{\"global\": {\"core:datatype\": \"rf32_le\", \"core:version\": \"1.0.0\", \"core:sample_rate\": 1}, " C0,
		   "not supported");
	expect_bad("{\"global\": {\"core:datatype\": 5, \"core:version\": \"1.0.0\", \"core:sample_rate\": 1}, " C0, "not a string");
	expect_bad("{\"global\": {\"core:datatype\": \"ci8\", \"core:version\": \"0.9\", \"core:sample_rate\": 1}, " C0, "not 1.x");
	expect_bad("{\"global\": {\"core:datatype\": \"ci8\", \"core:version\": \"1.0.0\"}, " C0, "core:sample_rate missing");
	expect_bad("{\"global\": {\"core:datatype\": \"ci8\", \"core:version\": \"1.0.0\", \"core:sample_rate\": -5}, " C0, "> 0");
	expect_bad("{\"global\": {\"core:datatype\": \"ci8\", \"core:version\": \"1.0.0\", \"core:sample_rate\": \"1\"}, " C0,
		   "not a number");
	expect_bad(G("") "\"x\": 1}", "captures missing");
	expect_bad(G("") "\"captures\": []}", "captures is empty");
	expect_bad(G("") "\"captures\": {}}", "not an array");
	expect_bad(G("") "\"captures\": [{}]}", "core:sample_start missing");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": -1}]}", "negative");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 1.5}]}", "not an integer");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 5}, {\"core:sample_start\": 5}]}", "not increasing");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0, \"core:datetime\": \"2026-06-01 12:00:00Z\"}]}", "RFC 3339");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0, \"core:datetime\": \"2026-02-29T12:00:00Z\"}]}", "RFC 3339");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0, \"core:datetime\": \"2026-06-01T12:00:00+02:00\"}]}", "RFC 3339");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0, \"core:datetime\": \"2301-06-01T12:00:00Z\"}]}", "RFC 3339");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0, \"core:datetime\": \"2026-06-01T12:00:00.Z\"}]}", "RFC 3339");
	expect_bad(G(", \"core:geolocation\": {\"type\": \"Point\", \"coordinates\": [200, 0]}") C0, "out of range");
	expect_bad(G(", \"core:geolocation\": {\"type\": \"Point\", \"coordinates\": [1]}") C0, "[lon, lat]");
	expect_bad(G(", \"core:geolocation\": 3") C0, "GeoJSON");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0}], \"annotations\": [{\"core:label\": 1, \"core:sample_start\": 0}]}",
		   "not a string");
	expect_bad(G("") "\"captures\": [{\"core:sample_start\": 0}], \"annotations\": 7}", "not an array");
	/* Nesting deeper than 32 levels. */
	char deep[200] = "";
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	expect_bad(deep, "not valid JSON");
	/* NUL inside. */
	bft_sigmf_meta m;
	char err[200];
	assert_int_equal(bft_sigmf_parse_meta("{\0}", 3, &m, err, sizeof err), BFT_EINVAL);
}

static void test_samples(void **state)
{
	(void)state;
	const bft_sigmf_type ts[] = { BFT_SIGMF_CI8, BFT_SIGMF_CU8, BFT_SIGMF_CI16_LE, BFT_SIGMF_CF32_LE };
	double complex x[5] = { 0, 1.5 - 2 * I, -100 + 100 * I, 127 - 128 * I, 3 + 300 * I }, y[5];
	uint8_t buf[64];
	for (size_t i = 0; i < 4; i++) {
		size_t clipped = bft_sigmf_encode(ts[i], x, 5, 1.0, buf);
		assert_int_equal(bft_sigmf_decode(ts[i], buf, 5 * bft_sigmf_sample_size(ts[i]), 0, 5, y), 0);
		if (ts[i] == BFT_SIGMF_CF32_LE) {
			assert_int_equal(clipped, 0);
			for (int k = 0; k < 5; k++)
				assert_true(cabs(x[k] - y[k]) < 1e-5);
		} else {
			assert_true(cabs(y[2] - x[2]) < 1);
			assert_int_equal(clipped, ts[i] == BFT_SIGMF_CI16_LE ? 0 : 1); /* 300 (cu8: -0.5 rounds to 0) */
		}
		/* Out of range requests. */
		assert_int_equal(bft_sigmf_decode(ts[i], buf, 5 * bft_sigmf_sample_size(ts[i]), 4, 2, y), BFT_EINVAL);
		assert_int_equal(bft_sigmf_decode(ts[i], buf, 5 * bft_sigmf_sample_size(ts[i]), 6, 0, y), BFT_EINVAL);
	}
	/* A NaN in cf32 is refused. */
	double complex nan_x = NAN;
	bft_sigmf_encode(BFT_SIGMF_CF32_LE, &nan_x, 1, 1.0, buf);
	assert_int_equal(bft_sigmf_decode(BFT_SIGMF_CF32_LE, buf, 8, 0, 1, y), BFT_EINVAL);
}

static int sim_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	(void)ctx;
	uint64_t h = 1469598103934665603u ^ self;
	for (size_t i = 0; i < len; i++)
		h = (h ^ msg[i]) * 1099511628211u;
	memcpy(sig, &h, 8);
	return 0;
}
static int sim_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	uint8_t want[8];
	sim_sign(ctx, from, msg, len, want);
	return sig_len == 8 && memcmp(want, sig, 8) == 0 ? 0 : -1;
}

static bft_fragment sample_fragment(const uint8_t *packed, uint32_t n, uint8_t bits)
{
	bft_fragment f = { 0 };
	f.node = 7, f.seq = 42, f.start_ns = INT64_C(1780315200000000000), f.stamp_err_ns = 2000, f.n = n;
	f.fs_mhz = UINT64_C(2400000000), f.centre_hz = UINT64_C(1420000000), f.bw_hz = 2000000, f.height_mm = 520000;
	f.lat_ndeg = INT64_C(48100000000), f.lon_ndeg = INT64_C(11500000000), f.pos_err_mm = 100, f.bits = bits;
	f.samples = packed;
	return f;
}

static void test_fragment(void **state)
{
	(void)state;
	bft_signer s = { "test-fnv", 8, sim_sign, sim_verify, NULL };
	enum { N = 1000 };
	double complex x[N], y[N], z[N];
	bft_rng rng;
	bft_rng_seed(&rng, 1);
	for (int i = 0; i < N; i++)
		x[i] = bft_rng_gauss(&rng) + I * bft_rng_gauss(&rng);
	for (uint8_t bits = 1; bits <= 2; bits++) {
		uint8_t packed[BFT_FRAG_MAX_SAMPLES / 2], buf[BFT_FRAG_MAX_BYTES];
		assert_int_equal(bft_fragment_pack(x, N, bits, packed), 0);
		bft_fragment f = sample_fragment(packed, N, bits), g;
		size_t len;
		assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), 0);
		assert_int_equal(len, bft_fragment_size(bits, N, 8));
		assert_int_equal(len, 80 + N * 2 * bits / 8 + 8);
		assert_int_equal(bft_fragment_open(buf, len, &s, &g), 0);
		assert_int_equal(g.node, 7);
		assert_int_equal(g.start_ns, f.start_ns);
		assert_int_equal(g.lat_ndeg, f.lat_ndeg);
		assert_int_equal(g.height_mm, 520000);
		bft_fragment_unpack(g.samples, N, bits, y);
		bft_quant_roundtrip(x, N, bits, z);
		assert_memory_equal(y, z, sizeof y);
		/* The levels keep the correlation the gain says (within noise). */
		double sxy = 0, sxx = 0, syy = 0;
		for (int i = 0; i < N; i++)
			sxy += creal(x[i] * conj(y[i])), sxx += creal(x[i] * conj(x[i])), syy += creal(y[i] * conj(y[i]));
		double gain = sxy / sqrt(sxx * syy);
		assert_true(fabs(gain - (bits == 1 ? BFT_QUANT1_GAIN : BFT_QUANT2_GAIN)) < 0.02);
		/* Every single bit flipped anywhere is refused. */
		for (size_t i = 0; i < len; i++)
			for (int b = 0; b < 8; b++) {
				buf[i] ^= (uint8_t)(1 << b);
				assert_true(bft_fragment_open(buf, len, &s, &g) < 0);
				buf[i] ^= (uint8_t)(1 << b);
			}
		assert_int_equal(bft_fragment_open(buf, len - 1, &s, &g), BFT_FRAG_E_SHORT);
		assert_int_equal(bft_fragment_open(buf, len + 1, &s, &g), BFT_FRAG_E_LENGTH);
		assert_int_equal(bft_fragment_open(buf, 79, &s, &g), BFT_FRAG_E_SHORT);
		assert_int_equal(bft_fragment_encode(&f, &s, buf, len - 1, &len), BFT_FRAG_E_SPACE);
	}
	/* Field ranges on encode. */
	uint8_t packed[64] = { 0 }, buf[256];
	size_t len;
	bft_fragment f = sample_fragment(packed, 16, 3);
	assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), BFT_FRAG_E_FIELD);
	f = sample_fragment(packed, 15, 1);
	assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), BFT_FRAG_E_FIELD);
	f = sample_fragment(packed, 16, 1);
	f.lat_ndeg = INT64_C(90000000001);
	assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), BFT_FRAG_E_FIELD);
	f = sample_fragment(packed, 16, 1);
	f.bw_hz = 2400001;
	assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), BFT_FRAG_E_FIELD);
	/* Padding: 18 samples at 1 bit = 36 bits; a set bit 37 is refused. */
	f = sample_fragment(packed, 18, 1);
	assert_int_equal(bft_fragment_encode(&f, &s, buf, sizeof buf, &len), 0);
	buf[80 + 4] |= 0x20;
	assert_int_equal(bft_fragment_decode(buf, len, 8, &f), BFT_FRAG_E_PADDING);
	memcpy(buf, "XXXX", 4);
	assert_int_equal(bft_fragment_decode(buf, len, 8, &f), BFT_FRAG_E_MAGIC);
	assert_string_equal(bft_fragment_strerror(BFT_FRAG_E_PADDING), "fragment padding bits not zero");

	/* The daemon's signer: Ed25519 through the keyring. Node 7 signs; a
	 * verifier holding only its public key opens it; node 8's claim fails. */
	bft_keyring *kr, *pub;
	uint8_t seed[BFT_ED25519_KEY], pk[BFT_ED25519_KEY];
	memset(seed, 0x5a, sizeof seed);
	assert_int_equal(bft_keyring_create(&kr, 2), 0);
	assert_int_equal(bft_keyring_create(&pub, 2), 0);
	assert_int_equal(bft_keyring_add_private(kr, 7, seed), 0);
	assert_int_equal(bft_ed25519_public(pk, seed), 0);
	assert_int_equal(bft_keyring_add_public(pub, 7, pk), 0);
	bft_signer es, ev;
	bft_signer_ed25519(&es, kr);
	bft_signer_ed25519(&ev, pub);
	uint8_t big[BFT_FRAG_MAX_BYTES];
	f = sample_fragment(packed, 64, 2);
	assert_int_equal(bft_fragment_encode(&f, &es, big, sizeof big, &len), 0);
	assert_int_equal(len, bft_fragment_size(2, 64, BFT_ED25519_SIG));
	bft_fragment g;
	assert_int_equal(bft_fragment_open(big, len, &ev, &g), 0);
	big[8 + 3] = 8; /* node 8 */
	assert_int_equal(bft_fragment_open(big, len, &ev, &g), BFT_FRAG_E_SIG);
	bft_keyring_destroy(kr);
	bft_keyring_destroy(pub);
}

/* The chain on files, every step the driver will take: station A (own,
 * Munich) and B (peer, 8 m east on the same roof: inside the quiet Sun's
 * first visibility null), A's clock 1.0 us ahead and B's 2.7 us behind. */
static void test_chain(void **state)
{
	(void)state;
	const double fs = 2.4e6, f0 = 1.42e9;
	const size_t L = 1 << 14, N = 4096;
	int64_t t_true = INT64_C(1780315200000000000); /* 2026-06-01T12:00:00Z, the Sun up in Europe */
	bft_geodetic ga = { 48.1 * DEG, 11.5 * DEG, 520 };
	bft_geodetic gb = ga;
	gb.lon_rad += 8.0 / (6378137.0 * cos(ga.lat_rad));
	bft_vec3 pa = bft_geodetic_to_ecef(ga), pb = bft_geodetic_to_ecef(gb);
	assert_true(bft_sun_elevation_rad(ga, t_true) > 10 * DEG);
	double tau_g = bft_sun_delay_s(pa, pb, t_true); /* arrival at A minus at B */
	double vis = bft_disk_visibility(bft_sun_baseline_perp_m(pa, pb, t_true), f0, BFT_SUN_DIAM_RAD);
	assert_true(vis > 0.2);
	/* Clock errors: A +1.000 us, B -2.700 us. Recordings both start at
	 * their clocks' 12:00:00.000000; true starts differ. */
	int64_t err_a = 1000, err_b = -2700;
	int64_t start_a = t_true - err_a, start_b = t_true - err_b; /* true times of sample 0 */
	/* Delay of the wavefront in each recording's samples: A's sample m is at
	 * true start_a + m/fs and sees the signal that reached B tau_g earlier. */
	double t_sun = bft_solarsim_t_sun(50, 1.0, 0.5);
	bft_solarsim_station st[2] = { { t_sun, 120, 300, 0 }, { t_sun, 150, 300, 0 } };
	/* Signal s(t) arrives at B at t, at A at t + tau_g: A's sample m holds
	 * s(start_a + m/fs - tau_g), B's sample k holds s(start_b + k/fs). In
	 * samples relative to start_b: delay_a = (start_b - start_a)/T + tau_g fs. */
	st[0].delay_samples = ((double)(start_b - start_a) * 1e-9 + tau_g) * fs;
	st[1].delay_samples = 0;
	double complex *a = malloc(L * sizeof *a), *b = malloc(L * sizeof *b);
	bft_rng rng;
	bft_rng_seed(&rng, 2026);
	assert_int_equal(bft_solarsim_pair(&rng, L, 0.8, vis, st, a, b), 0);
	/* Both written as SigMF ci16 with their own clock's stamps, read back. */
	char dir[] = "/tmp/bft-sigmf-XXXXXX", base_a[128], base_b[128];
	assert_non_null(mkdtemp(dir));
	snprintf(base_a, sizeof base_a, "%s/a", dir);
	snprintf(base_b, sizeof base_b, "%s/b", dir);
	bft_sigmf_meta m = { 0 };
	m.type = BFT_SIGMF_CI16_LE, m.sample_rate_hz = fs, m.ncaptures = 1;
	strcpy(m.hw, "synthetic: 1 m dish, 50 sfu");
	m.captures[0].freq_hz = f0, m.captures[0].has_datetime = 1;
	m.captures[0].datetime_ns = start_a + err_a;
	m.has_geo = 1, m.lat_deg = ga.lat_rad / DEG, m.lon_deg = ga.lon_rad / DEG, m.alt_m = ga.height_m;
	assert_int_equal(bft_sigmf_write(base_a, &m, a, L, 1.0), 0);
	m.captures[0].datetime_ns = start_b + err_b;
	m.lon_deg = gb.lon_rad / DEG;
	assert_int_equal(bft_sigmf_write(base_b, &m, b, L, 1.0), 0);
	bft_sigmf_meta ma, mb;
	double complex *ra, *rb;
	size_t na, nb;
	char err[256];
	assert_int_equal(bft_sigmf_read(base_a, &ma, &ra, &na, err, sizeof err), 0);
	assert_int_equal(bft_sigmf_read(base_b, &mb, &rb, &nb, err, sizeof err), 0);
	assert_int_equal(na, L);
	/* B publishes a signed 2-bit fragment of N samples from its sample 1000. */
	bft_signer s = { "test-fnv", 8, sim_sign, sim_verify, NULL };
	uint8_t packed[BFT_FRAG_MAX_SAMPLES / 2], wire[BFT_FRAG_MAX_BYTES];
	assert_int_equal(bft_fragment_pack(rb + 1000, N, 2, packed), 0);
	bft_fragment f = sample_fragment(packed, (uint32_t)N, 2), g;
	int64_t tb;
	assert_int_equal(bft_sigmf_sample_time(&mb, 1000, &tb), 0);
	f.start_ns = tb, f.stamp_err_ns = 0;
	f.lat_ndeg = llround(mb.lat_deg * 1e9), f.lon_ndeg = llround(mb.lon_deg * 1e9), f.height_mm = (int32_t)lround(mb.alt_m * 1e3);
	size_t len;
	assert_int_equal(bft_fragment_encode(&f, &s, wire, sizeof wire, &len), 0);
	/* A receives it. */
	assert_int_equal(bft_fragment_open(wire, len, &s, &g), 0);
	double complex *frag = malloc(N * sizeof *frag);
	bft_fragment_unpack(g.samples, g.n, g.bits, frag);
	bft_geodetic gpeer = { (double)g.lat_ndeg * 1e-9 * DEG, (double)g.lon_ndeg * 1e-9 * DEG, g.height_mm * 1e-3 };
	bft_vec3 ppeer = bft_geodetic_to_ecef(gpeer);
	int64_t ta;
	assert_int_equal(bft_sigmf_sample_time(&ma, 0, &ta), 0);
	double delay = bft_sun_delay_s(pa, ppeer, ta);
	/* Expected lag with no prior on the offset beyond +-300 samples. */
	double fsr = (double)g.fs_mhz * 1e-3;
	double expect = ((double)(g.start_ns - ta) * 1e-9 + delay) * fsr;
	bft_xcorr *x = bft_xcorr_new(L);
	assert_true(expect > 300);
	bft_xcorr_params p = { (size_t)(expect - 300), (size_t)(expect + 300), 0.8, 0 };
	bft_xcorr_result r;
	assert_int_equal(bft_xcorr_run(x, ra, L, frag, N, &p, &r), 0);
	double el_a = bft_sun_elevation_rad(ga, ta);
	bft_solar_reading_in in = { ta, g.start_ns, fsr, r.lag, r.sigma_crb, BFT_SOLAR_K_SIGMA, delay,
				    bft_sun_delay_err_s(pa, ppeer, 0.1, (double)g.pos_err_mm * 1e-3) +
					    bft_tropo_residual_bound_s(el_a, 520) + bft_iono_bound_s(el_a, f0, 150),
				    0, (int64_t)g.stamp_err_ns, 0, 0 };
	bft_interval iv = bft_solar_offset_interval(&in);
	/* Peer minus own: err_b - err_a = -3.7 us. */
	print_message("chain: lag %.4f sigma %.4f rho %.3f interval [%lld, %lld] ns (truth %lld)\n", r.lag, r.sigma_crb,
		      r.rho, (long long)iv.lo_ns, (long long)iv.hi_ns, (long long)(err_b - err_a));
	assert_true(bft_iv_contains(iv, err_b - err_a));
	bft_xcorr_free(x);
	free(a), free(b), free(ra), free(rb), free(frag);
	char path[160];
	const char *names[] = { "a.sigmf-meta", "a.sigmf-data", "b.sigmf-meta", "b.sigmf-data" };
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	/* A missing or broken file: an error naming it. */
	assert_int_equal(bft_sigmf_read("/nonexistent/x", &ma, &ra, &na, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "/nonexistent/x.sigmf-meta"));
}

/* A capture that starts past the data (the second at sample 10^9 of 100
 * samples) is refused by name: the solar driver read blocks from there. */
static void test_capture_past_data(void **state)
{
	(void)state;
	char dir[] = "/tmp/bft-sigmf-XXXXXX", base[128], err[256] = "";
	assert_non_null(mkdtemp(dir));
	snprintf(base, sizeof base, "%s/r", dir);
	double complex x[100] = { 0 };
	bft_sigmf_meta m = { 0 }, back;
	m.type = BFT_SIGMF_CI16_LE, m.sample_rate_hz = 2400000, m.ncaptures = 2;
	m.captures[0].has_datetime = m.captures[1].has_datetime = 1;
	m.captures[0].datetime_ns = m.captures[1].datetime_ns = INT64_C(1780315200000000000);
	m.captures[1].sample_start = 1000000000;
	assert_int_equal(bft_sigmf_write(base, &m, x, 100, 1.0), 0);
	double complex *r = NULL;
	size_t n = 0;
	assert_int_equal(bft_sigmf_read(base, &back, &r, &n, err, sizeof err), BFT_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "r.sigmf-meta: capture 1 starts at sample 1000000000, past the 100 samples of the data"));
	/* At 99 it holds a sample: read. */
	m.captures[1].sample_start = 99;
	assert_int_equal(bft_sigmf_write(base, &m, x, 100, 1.0), 0);
	assert_int_equal(bft_sigmf_read(base, &back, &r, &n, err, sizeof err), 0);
	assert_int_equal(n, 100);
	free(r);
	char path[160];
	snprintf(path, sizeof path, "%s.sigmf-meta", base);
	unlink(path);
	snprintf(path, sizeof path, "%s.sigmf-data", base);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_good), cmocka_unit_test(test_meta_bad), cmocka_unit_test(test_samples),
		cmocka_unit_test(test_fragment),  cmocka_unit_test(test_chain), cmocka_unit_test(test_capture_past_data),
	};
	return cmocka_run_group_tests_name("sigmf", tests, NULL, NULL);
}
