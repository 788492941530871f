/* SPDX-License-Identifier: MIT */
/*
 * A synthetic solar radio source for the tests now and the simulator later
 * (issue 18, docs/solar.md): complex baseband recordings of two antennas
 * that share band-limited Gaussian solar noise (its correlated part set by
 * the baseline's visibility) and each add their own receiver noise, with a
 * delay per antenna applied below one sample (a phase ramp across the
 * spectrum: exact for the periodic band-limited signal generated here), so
 * the true lag between the two recordings is known to double precision.
 * Pure: the random state is the caller's.
 */
#ifndef BFTIME_CORE_SOLARSIM_H
#define BFTIME_CORE_SOLARSIM_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#define BFT_BOLTZMANN 1.380649e-23
#define BFT_SFU 1e-22 /* solar flux unit, W m^-2 Hz^-1 */

typedef struct bft_rng {
	uint64_t s[4];
} bft_rng;
void bft_rng_seed(bft_rng *r, uint64_t seed);
uint64_t bft_rng_next(bft_rng *r); /* xoshiro256** */
double bft_rng_gauss(bft_rng *r);  /* N(0, 1) */

typedef struct bft_solarsim_station {
	double t_sun_k;	      /* antenna temperature from the Sun (bft_solarsim_t_sun) */
	double t_sys_k;	      /* system temperature: receiver, sky, spillover */
	double gain;	      /* voltage gain applied to the samples (> 0) */
	double delay_samples; /* when the wavefront reaches this antenna's samples, in samples */
} bft_solarsim_station;

/* Antenna temperature of a source of flux_sfu seen by a dish of diameter
 * dish_m with aperture efficiency eff, one polarisation: eff A S / (2 k). */
double bft_solarsim_t_sun(double flux_sfu, double dish_m, double eff);

/* The correlation coefficient two such stations show: visibility *
 * sqrt(f_a f_b), f = T_sun / (T_sun + T_sys). */
double bft_solarsim_rho(const bft_solarsim_station st[2], double visibility);

/* n samples for each of the two stations (out_a, out_b): the Sun's noise
 * occupies bw_frac of the sample rate (centred), the receivers' noise the
 * same band (their filters), visibility in [0, 1] the correlated fraction.
 * Station i's sample m holds the common signal of time m - delay_i, so a
 * fragment taken from b correlates with a at lag = delay_a - delay_b
 * (circularly: the recordings are periodic). 0, or BFT_EINVAL on bad arguments or
 * no memory. */
int bft_solarsim_pair(bft_rng *rng, size_t n, double bw_frac, double visibility, const bft_solarsim_station st[2],
		      double complex *out_a, double complex *out_b);

/* The same for m stations (a compact array: one visibility for every
 * pair), out[i] n samples each; bft_solarsim_pair is the case m = 2 and
 * draws the same numbers. */
int bft_solarsim_array(bft_rng *rng, size_t n, double bw_frac, double visibility, size_t m,
		       const bft_solarsim_station *st, double complex *const *outs);

/* A spread-out array as the simulator's Sun draws it: vis (m x m, row
 * major, symmetric, ones on the diagonal) the visibility of each pair with
 * its sign (bft_disk_visibility_signed), so every pair correlates as its
 * own baseline allows; each station's solar part has the covariance vis
 * (a semidefinite Cholesky factor of it mixes m independent spectra). The
 * signal is drawn n_gen >= n samples long and each station keeps its first
 * n: a delay moves other samples into the block (not its own wrapped
 * edge), as a continuous signal does, while |delay| <= n_gen - n. 0, or
 * BFT_EINVAL on bad arguments (vis not semidefinite, n_gen < n) or no
 * memory. */
int bft_solarsim_array_vis(bft_rng *rng, size_t n_gen, size_t n, double bw_frac, size_t m, const double *vis,
			   const bft_solarsim_station *st, double complex *const *outs);

#endif
