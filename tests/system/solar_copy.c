/* SPDX-License-Identifier: MIT */
/*
 * Measurement tool: how often the solar engine's copy check
 * (src/refclock/solar_engine.c, bft_solar_copy_suspect) flags a copied
 * fragment, and how often an honest one (issue 18; the table in
 * docs/results.md is written by scripts/results-solar-copy.sh).
 *
 * Each trial draws fresh synthetic recordings (src/core/solarsim.h) of two
 * antennas that see the same Sun: V, the verifier, and P, an honest peer
 * `baseline` metres east. Both run the engine as bftimed does; V then judges
 * four fragments, each signed by its sender:
 *   honest   P's own fragment (a flag is a false positive);
 *   own      node C's fragment whose samples are V's own published fragment
 *            (C has no antenna: it copies V's and claims a place 3 m east);
 *   own+noise  the same with Gaussian noise of `mix` times the samples'
 *            power added and quantised again (a copier hiding the copy);
 *   relayed  C's fragment whose samples are P's (a third node's copy).
 * Each is counted as flagged (BFTD_SOLAR_E_COPY), read (an interval), or
 * refused otherwise. The copy bound is the engine's: rho_low above
 * sqrt(f_own f_peer) x the quantisation's gain, f_peer = 1, f_own the
 * configured sun_frac_max (0: unknown, 1).
 *
 *   solar-copy TRIALS SEED FLUX_SFU DISH_M T_SYS_K BITS BASELINE_M MIX SUN_FRAC_MAX
 *
 * prints one line: "f_own rho_honest honest own own_noise relayed", each
 * count as flagged/read/trials, and rho_honest the mean of the honest
 * readings' rho.
 */
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

#define FS_HZ 2.4e6
#define BLOCK 16384
#define FRAG 2048
#define DEG (M_PI / 180.0)
/* 2026-06-21T09:00:00Z at 11.5 E, 23.4 N: the Sun high for the next 5.5 h (2000 trials) */
#define T0 INT64_C(1782032400000000000)
#define LAT (23.4 * DEG)
#define LON (11.5 * DEG)
#define V_ID 1
#define P_ID 2
#define C_ID 3

static const uint64_t secret = 0x5eed;

struct count {
	unsigned long flagged, read, other;
};

static bft_geodetic east(double m)
{
	return (bft_geodetic){ LAT, LON + m / (6378137.0 * cos(LAT)), 100 };
}

static int judge(bftd_solar *v, const uint8_t *buf, size_t len, struct count *c, double *rho)
{
	bftd_solar_reading r;
	int e = bftd_solar_on_fragment(v, buf, len, &r);
	if (e == BFTD_SOLAR_E_COPY)
		c->flagged++;
	else if (e == 0) {
		c->read++;
		if (rho)
			*rho += r.rho;
	} else
		c->other++;
	return e;
}

/* Fragment buf re-signed as C claiming position pos, its samples replaced by
 * packed (when not NULL). */
static int resign(const bft_signer *s, const uint8_t *buf, size_t len, bft_geodetic pos, const uint8_t *packed,
                  uint8_t *out, size_t *out_len)
{
	bft_fragment f;
	if (bft_fragment_open(buf, len, s, &f) != BFT_FRAG_OK)
		return -1;
	f.node = C_ID;
	f.lat_ndeg = llround(pos.lat_rad / DEG * 1e9);
	f.lon_ndeg = llround(pos.lon_rad / DEG * 1e9);
	f.height_mm = (int32_t)lround(pos.height_m * 1e3);
	if (packed)
		f.samples = packed;
	return bft_fragment_encode(&f, s, out, BFT_FRAG_MAX_BYTES, out_len) == BFT_FRAG_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 10) {
		fprintf(stderr, "usage: solar-copy TRIALS SEED FLUX_SFU DISH_M T_SYS_K BITS BASELINE_M MIX SUN_FRAC_MAX\n");
		return 2;
	}
	long trials = atol(argv[1]);
	uint64_t seed = strtoull(argv[2], NULL, 0);
	double flux = atof(argv[3]), dish = atof(argv[4]), tsys = atof(argv[5]);
	int bits = atoi(argv[6]);
	double base_m = atof(argv[7]), mix = atof(argv[8]), fmax_own = atof(argv[9]);
	if (trials < 1 || (bits != 1 && bits != 2) || !(flux > 0) || !(dish > 0) || !(tsys > 0) || !(base_m >= 0) ||
	    !(mix >= 0)) {
		fprintf(stderr, "solar-copy: bad arguments\n");
		return 2;
	}
	bft_signer sg;
	bft_signer_sim(&sg, &secret);
	bftd_solar_params p = {
		.fs_hz = FS_HZ,
		.centre_hz = 1.42e9,
		.bw_hz = 0.8 * FS_HZ,
		.pos_err_m = 0.01,
		.mask_rad = 10 * DEG,
		.frag_n = FRAG,
		.block_n = BLOCK,
		.bits = (uint8_t)bits,
		.tec_max_tecu = 150,
		.window_ns = 100000,
		.rate_err_ppb = 1000,
		.keep_blocks = 1,
		.sun_frac_max = fmax_own,
		.peer_frac_max = fmax_own, /* the relay check: the same hardware everywhere */
	};
	char err[200];
	bftd_solar *v, *pe;
	p.node = V_ID, p.pos = east(0);
	if (bftd_solar_create(&v, &p, &sg, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	p.node = P_ID, p.pos = east(base_m);
	if (bftd_solar_create(&pe, &p, &sg, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t_sun = bft_solarsim_t_sun(flux, dish, 0.5), f_own = t_sun / (t_sun + tsys);
	bft_vec3 ev = bft_geodetic_to_ecef(east(0)), ep = bft_geodetic_to_ecef(east(base_m));
	double complex *xv = malloc(BLOCK * sizeof *xv), *xp = malloc(BLOCK * sizeof *xp), *tmp = malloc(FRAG * sizeof *tmp);
	uint8_t *fv = malloc(BFT_FRAG_MAX_BYTES), *fp = malloc(BFT_FRAG_MAX_BYTES), *fc = malloc(BFT_FRAG_MAX_BYTES);
	uint8_t *packed = malloc(bft_fragment_samples_size((uint8_t)bits, FRAG));
	if (!xv || !xp || !tmp || !fv || !fp || !fc || !packed)
		return 1;
	bft_rng rng;
	bft_rng_seed(&rng, seed);
	struct count honest = { 0 }, own = { 0 }, own_noise = { 0 }, relayed = { 0 };
	double rho_sum = 0;
	for (long i = 0; i < trials; i++) {
		int64_t t = T0 + i * INT64_C(10000000000); /* a block every 10 s */
		double vis = bft_disk_visibility(bft_sun_baseline_perp_m(ev, ep, t), 1.42e9, BFT_SUN_DIAM_RAD);
		bft_solarsim_station st[2] = {
			{ t_sun, tsys, 1.0, 0 },
			{ t_sun, tsys, 1.0, bft_sun_delay_s(ep, ev, t) * FS_HZ },
		};
		double complex *outs[2] = { xv, xp };
		if (bft_solarsim_array(&rng, BLOCK, 0.8, fabs(vis), 2, st, outs) != 0)
			return 1;
		size_t lv = 0, lp = 0, lc = 0;
		if (bftd_solar_record(v, xv, BLOCK, t, 100, t, 100, (uint32_t)i, fv, BFT_FRAG_MAX_BYTES, &lv) != 1 ||
		    bftd_solar_record(pe, xp, BLOCK, t, 100, t, 100, (uint32_t)i, fp, BFT_FRAG_MAX_BYTES, &lp) != 1) {
			fprintf(stderr, "solar-copy: no fragment (the Sun below the mask?)\n");
			return 1;
		}
		judge(v, fp, lp, &honest, &rho_sum);
		if (resign(&sg, fv, lv, east(3), NULL, fc, &lc) != 0)
			return 1;
		judge(v, fc, lc, &own, NULL);
		/* V's published samples, noise of mix times their power added, quantised again. */
		bft_fragment f;
		if (bft_fragment_open(fv, lv, &sg, &f) != BFT_FRAG_OK)
			return 1;
		bft_fragment_unpack(f.samples, FRAG, (uint8_t)bits, tmp);
		double pw = 0;
		for (size_t k = 0; k < FRAG; k++)
			pw += creal(tmp[k] * conj(tmp[k]));
		double sd = sqrt(mix * pw / FRAG / 2);
		for (size_t k = 0; k < FRAG; k++)
			tmp[k] += sd * (bft_rng_gauss(&rng) + I * bft_rng_gauss(&rng));
		bft_fragment_pack(tmp, FRAG, (uint8_t)bits, packed);
		if (resign(&sg, fv, lv, east(3), packed, fc, &lc) != 0)
			return 1;
		judge(v, fc, lc, &own_noise, NULL);
		if (resign(&sg, fp, lp, east(base_m), NULL, fc, &lc) != 0)
			return 1;
		judge(v, fc, lc, &relayed, NULL);
	}
	printf("%.3f %.3f %lu/%lu/%ld %lu/%lu/%ld %lu/%lu/%ld %lu/%lu/%ld\n", f_own,
	       honest.read ? rho_sum / (double)honest.read : 0.0, honest.flagged, honest.read, trials, own.flagged,
	       own.read, trials, own_noise.flagged, own_noise.read, trials, relayed.flagged, relayed.read, trials);
	bftd_solar_destroy(v);
	bftd_solar_destroy(pe);
	free(xv), free(xp), free(tmp), free(fv), free(fp), free(fc), free(packed);
	return 0;
}
