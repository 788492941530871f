/* SPDX-License-Identifier: MIT */
/*
 * Test tool: synthetic SigMF recordings of the quiet Sun for the solar
 * reference's system test (test_solar.sh) and for trying the driver by hand.
 * M antennas 4 m apart on an east-west line at the place where the Sun is
 * highest at the start (so the test runs at any hour), 1 m dishes at 1.42
 * GHz, 50 sfu, T_sys 150 K (docs/solar.md "What the physics allows"),
 * 2.4 MS/s with 80% of the band flat, ci16. Each recording holds `blocks`
 * captures of `block` samples, capture k recorded at true time start + k
 * every; station i's stamps (core:datetime) are its clock's: true time plus
 * its offset, so the offsets between the stations' clocks are known
 * exactly. The geometric delay of the wavefront between the antennas
 * (bft_sun_delay_s) is in the samples, as the Sun puts it there.
 *
 *   solar-gen [-b CAPTURE] DIR START_NS BLOCKS EVERY_NS OFFSET_NS...
 *
 * (-b: samples per capture, default 16384; test_solar_soapy.sh takes longer
 * captures than the daemon's blocks, as a receiver streams before and
 * after the moment a block is read).
 *
 * writes DIR/nI.sigmf-meta and DIR/nI.sigmf-data (I = 1..M, one per
 * offset) and prints, per station, "I LAT LON HEIGHT" (degrees, metres).
 */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/solarsim.h"
#include "core/sun.h"
#include "proto/sigmf.h"

#define FS_HZ 2.4e6
#define CENTRE_HZ 1.42e9
#define BLOCK_DEFAULT 16384
#define MAX_ST 8
#define DEG (M_PI / 180.0)

int main(int argc, char **argv)
{
	size_t block = BLOCK_DEFAULT;
	if (argc > 2 && strcmp(argv[1], "-b") == 0) {
		long b = atol(argv[2]);
		if (b < 1024 || b > (1L << 22)) {
			fprintf(stderr, "solar-gen: -b 1024..4194304\n");
			return 2;
		}
		block = (size_t)b;
		argc -= 2, argv += 2;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: solar-gen [-b CAPTURE] DIR START_NS BLOCKS EVERY_NS OFFSET_NS...\n");
		return 2;
	}
	const char *dir = argv[1];
	long long start = atoll(argv[2]), every = atoll(argv[4]);
	int blocks = atoi(argv[3]);
	size_t m = (size_t)(argc - 5);
	if (blocks < 1 || blocks > BFT_SIGMF_CAPTURES || every <= 0 || m > MAX_ST) {
		fprintf(stderr, "solar-gen: 1..%d blocks, every > 0, at most %d stations\n", BFT_SIGMF_CAPTURES, MAX_ST);
		return 2;
	}
	long long off[MAX_ST];
	for (size_t i = 0; i < m; i++)
		off[i] = atoll(argv[5 + i]);
	/* The site: where the Sun is highest at the middle of the run, within
	 * +-60 degrees of latitude (a plausible antenna). */
	int64_t mid = start + (int64_t)blocks * every / 2;
	double best = -10, blat = 0, blon = 0;
	for (int la = -60; la <= 60; la++)
		for (int lo = -180; lo < 180; lo++) {
			bft_geodetic g = { la * DEG, lo * DEG, 100 };
			double e = bft_sun_elevation_rad(g, mid);
			if (e > best)
				best = e, blat = la, blon = lo;
		}
	bft_geodetic gs[MAX_ST];
	bft_vec3 ps[MAX_ST];
	for (size_t i = 0; i < m; i++) {
		gs[i] = (bft_geodetic){ blat * DEG, blon * DEG + 4.0 * (double)i / (6378137.0 * cos(blat * DEG)), 100 };
		ps[i] = bft_geodetic_to_ecef(gs[i]);
		printf("%zu %.9f %.9f %.3f\n", i + 1, gs[i].lat_rad / DEG, gs[i].lon_rad / DEG, gs[i].height_m);
	}
	double complex *x[MAX_ST];
	for (size_t i = 0; i < m; i++)
		if (!(x[i] = malloc((size_t)blocks * block * sizeof *x[i])))
			return 1;
	bft_rng rng;
	bft_rng_seed(&rng, (uint64_t)start);
	double t_sun = bft_solarsim_t_sun(50, 1.0, 0.5);
	for (int k = 0; k < blocks; k++) {
		int64_t t = start + (int64_t)k * every;
		bft_solarsim_station st[MAX_ST];
		double complex *outs[MAX_ST];
		/* visibility on the longest baseline: the array's smallest */
		double vis = bft_disk_visibility(bft_sun_baseline_perp_m(ps[0], ps[m - 1], t), CENTRE_HZ, BFT_SUN_DIAM_RAD);
		for (size_t i = 0; i < m; i++) {
			/* Station i's sample j holds the wavefront that reached station 1
			 * at true t + j/fs - (arrival at i minus at 1). */
			st[i] = (bft_solarsim_station){ t_sun, 150, 300, bft_sun_delay_s(ps[i], ps[0], t) * FS_HZ };
			outs[i] = x[i] + (size_t)k * block;
		}
		if (bft_solarsim_array(&rng, block, 0.8, m > 1 ? vis : 1, m, st, outs) != 0)
			return 1;
	}
	for (size_t i = 0; i < m; i++) {
		bft_sigmf_meta meta;
		memset(&meta, 0, sizeof meta);
		meta.type = BFT_SIGMF_CI16_LE;
		meta.sample_rate_hz = FS_HZ;
		snprintf(meta.hw, sizeof meta.hw, "synthetic (solar-gen): 1 m dish, 50 sfu, T_sys 150 K, station %zu", i + 1);
		meta.has_geo = 1;
		meta.lat_deg = gs[i].lat_rad / DEG, meta.lon_deg = gs[i].lon_rad / DEG, meta.alt_m = gs[i].height_m;
		meta.ncaptures = (size_t)blocks;
		for (int k = 0; k < blocks; k++) {
			bft_sigmf_capture *c = &meta.captures[k];
			c->sample_start = (uint64_t)k * block;
			c->freq_hz = CENTRE_HZ;
			c->has_datetime = 1;
			c->datetime_ns = start + (int64_t)k * every + off[i]; /* the station's clock */
		}
		char base[512];
		snprintf(base, sizeof base, "%s/n%zu", dir, i + 1);
		/* scale: samples of rms sqrt(T) * gain ~ 4000 counts in ci16 */
		if (bft_sigmf_write(base, &meta, x[i], (size_t)blocks * block, 1.0) != 0) {
			perror(base);
			return 1;
		}
		free(x[i]);
	}
	return 0;
}
