/* SPDX-License-Identifier: MIT */
/*
 * Cross-correlation of a peer's fragment of solar noise with the own
 * recording (issue 18, docs/solar.md): FFTW's transforms of the recording's
 * length, the peak in a lag window, its refinement below one sample (Newton
 * on the band-limited interpolation of the correlation, evaluated from the
 * cross-spectrum), the correlation coefficient and its lower bound, the
 * Cramer-Rao bound of the delay at that coefficient, bandwidth and length,
 * and the interval for the offset between the two clocks. Pure: a context
 * holds the plans and scratch; FFTW's planner is not thread-safe, so
 * contexts are made from one thread (FFTW_ESTIMATE: no timing, no wisdom).
 */
#ifndef BFTIME_CORE_XCORR_H
#define BFTIME_CORE_XCORR_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/interval.h>

enum {
	BFT_XCORR_E_ARGS = -1, /* window outside the recording, lengths, bandwidth */
	BFT_XCORR_E_WEAK = -2, /* no peak above the detection threshold: no reading */
	BFT_XCORR_E_EDGE = -3, /* the peak sits on the window's edge: widen the window */
	BFT_XCORR_E_NOMEM = -4,
};

typedef struct bft_xcorr bft_xcorr;

/* A context for recordings of rec_n samples; NULL when out of memory. */
bft_xcorr *bft_xcorr_new(size_t rec_n);
void bft_xcorr_free(bft_xcorr *x);

typedef struct bft_xcorr_params {
	size_t lag_min, lag_max; /* window: frag[n] ~ rec[n + lag]; lag_max + frag_n <= rec_n */
	double bw_frac;		 /* the flat signal band as a fraction of the sample rate (0, 1] */
	double fringe_cps;	 /* counter-rotation applied to the fragment, cycles per sample */
} bft_xcorr_params;

typedef struct bft_xcorr_result {
	double lag;	  /* samples, below one sample: frag[n] ~ rec(n + lag) */
	double r_peak;	  /* |normalised correlation| at lag */
	double noise;	  /* rms of the normalised correlation off the peak (>= 1/sqrt(n)) */
	double snr;	  /* r_peak / noise */
	double rho;	  /* correlation coefficient, noise bias removed */
	double rho_low;	  /* its lower bound (r_peak - 4 noise) */
	double sigma_crb; /* Cramer-Rao std of lag at rho_low, samples */
	size_t n;	  /* fragment length */
} bft_xcorr_result;

/* Correlates; 0 with *out filled, or a BFT_XCORR_E_* code. */
int bft_xcorr_run(bft_xcorr *x, const double complex *rec, size_t rec_n, const double complex *frag, size_t frag_n,
		  const bft_xcorr_params *p, bft_xcorr_result *out);

/* The Cramer-Rao bound (std, samples) of the delay between two complex
 * baseband recordings of n samples sharing a Gaussian signal with
 * correlation coefficient rho, flat over bw_frac of the sample rate:
 * sigma^2 = 12 (1 - rho^2) / (8 pi^2 n bw^3 rho^2). docs/solar.md. */
double bft_xcorr_crb(double rho, size_t n, double bw_frac);

/* The share of that bound's Fisher information a fragment quantised to
 * bits (1 or 2, per component, as bft_quant_roundtrip does; 0: none, 1.0)
 * keeps when the own recording is not quantised: E over the own recording's
 * prediction mu of x of sum over the quantiser's cells of
 * (dP/dmu)^2 / P, times s^2 (docs/solar.md, "Quantised fragments"). 2/pi
 * and 0.8825 at rho -> 0, falling with rho (0.307 for one bit at 0.9).
 * Exact when the band is the whole sample rate (the conditional noise is
 * white); for narrower bands it treats the samples as independent given the
 * own recording. NAN for other bits or rho < 0. */
double bft_xcorr_quant_info(int bits, double rho);
/* bft_xcorr_crb over the square root of that share: the bound for a
 * quantised fragment against an unquantised recording. */
double bft_xcorr_crb_quant(double rho, size_t n, double bw_frac, int bits);

/* The reading: the offset (peer clock minus own clock) as an interval.
 * t0s are the first samples' stamps on each clock; delay_s is the predicted
 * arrival at the own antenna minus at the peer's (geometry + troposphere
 * model); the half-width adds k_sigma * sigma_crb, delay_err_s (ephemeris,
 * positions, atmosphere), both stamps' uncertainties and the sample clocks'
 * rate error over the span. Rounded outward to ns. */
typedef struct bft_solar_reading_in {
	int64_t t0_own_ns, t0_peer_ns;
	double fs_hz;
	double lag, sigma_samples, k_sigma;
	double delay_s, delay_err_s;
	int64_t stamp_err_own_ns, stamp_err_peer_ns;
	double rate_err_ppb; /* both sample clocks' rate error bound, summed */
	double span_s;	     /* recording span the rate error acts over */
} bft_solar_reading_in;
bft_interval bft_solar_offset_interval(const bft_solar_reading_in *in);

/* The k_sigma the driver uses: the estimate's error stays within 1.5x of
 * the CRB (tested) and rho_low < rho, so 6 keeps misses below 1e-6. */
#define BFT_SOLAR_K_SIGMA 6.0

/* ---- Checks that catch cheats (solar_check.c) ---- */

/* The largest correlation coefficient two honest antennas can show: the
 * visibility times sqrt(f_own f_peer), f = T_sun / (T_sun + T_sys) the
 * fraction of each receiver's power that comes from the Sun, times the
 * quantisation's loss (1 for none, sqrt(2/pi) for one 1-bit side, 0.9381 for
 * a 2-bit side at the optimal threshold). A copied fragment correlates its
 * receiver noise too and exceeds it. 1 when rho_low is above the bound. */
int bft_solar_copy_suspect(double rho_low, double f_own, double f_peer, double visibility, double quant_gain);

/* A series of readings of one peer over a day: residuals (measured offset
 * minus the model) at times t_s, with their std sigma_s, and the Sun's ECEF
 * direction at each. Fits resid = a + b t + (dx sx + dy sy) / c by weighted
 * least squares; an honest peer fits with d = 0 (its clock is a line over
 * the fit's span). The component along the Earth's axis is not observable
 * within a day (it moves the residual by a constant the clock absorbs).
 * *d_m gets |d| (equatorial) in metres, *d_se_m its standard error. 1 when
 * |d| > max(z_se * se, tol_m): the peer's position (or a relayed fragment's
 * origin) is not what it claims; 0 when it fits; negative when the series
 * cannot tell (fewer than 6 readings, or the Sun's directions degenerate). */
int bft_solar_position_suspect(size_t n, const double *t_s, const double *resid_s, const double *sigma_s,
			       const double (*sun_dir)[3], double z_se, double tol_m, double *d_m, double *d_se_m);

/* Fits resid = a + b t + dt * rate(t) (rate: the geometric delay's rate at
 * each reading): a fragment whose claimed start was shifted by dt while the
 * geometry was taken at the claimed time leaves dt * rate. 1 when |dt| >
 * max(z_se * se, tol_s); 0 when it fits; negative when it cannot tell. */
int bft_solar_shift_suspect(size_t n, const double *t_s, const double *resid_s, const double *sigma_s,
			    const double *rate, double z_se, double tol_s, double *dt_s, double *dt_se_s);

#endif
