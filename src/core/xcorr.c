/* SPDX-License-Identifier: MIT */
/*
 * Cross-correlation of a fragment against a recording (xcorr.h). Three
 * transforms of the recording's length (recording, zero-padded fragment,
 * inverse of the cross-spectrum), a scan of the lag window, then Newton
 * steps on |c(tau)|^2 where c(tau) is the cross-spectrum's inverse transform
 * evaluated at a fractional lag: the band-limited interpolation of the
 * correlation, which is the maximum-likelihood delay for flat spectra
 * (Knapp & Carter 1976: with equal flat coherence the ML weighting of the
 * generalised cross-correlation is uniform). docs/solar.md derives the bound.
 */
#include "core/xcorr.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct bft_xcorr {
	size_t len;
	double complex *a, *b, *g, *c;
	double *e; /* prefix sums of |rec|^2, len + 1 */
	fftw_plan pa, pb, pc;
};

bft_xcorr *bft_xcorr_new(size_t rec_n)
{
	if (rec_n < 4 || rec_n > (size_t)1 << 30)
		return NULL;
	bft_xcorr *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->len = rec_n;
	x->a = fftw_malloc(rec_n * sizeof *x->a);
	x->b = fftw_malloc(rec_n * sizeof *x->b);
	x->g = fftw_malloc(rec_n * sizeof *x->g);
	x->c = fftw_malloc(rec_n * sizeof *x->c);
	x->e = malloc((rec_n + 1) * sizeof *x->e);
	if (!x->a || !x->b || !x->g || !x->c || !x->e) {
		bft_xcorr_free(x);
		return NULL;
	}
	/* double complex and fftw_complex share a layout (FFTW manual 4.1.1). */
	x->pa = fftw_plan_dft_1d((int)rec_n, (fftw_complex *)x->a, (fftw_complex *)x->a, FFTW_FORWARD, FFTW_ESTIMATE);
	x->pb = fftw_plan_dft_1d((int)rec_n, (fftw_complex *)x->b, (fftw_complex *)x->b, FFTW_FORWARD, FFTW_ESTIMATE);
	x->pc = fftw_plan_dft_1d((int)rec_n, (fftw_complex *)x->g, (fftw_complex *)x->c, FFTW_BACKWARD, FFTW_ESTIMATE);
	if (!x->pa || !x->pb || !x->pc) {
		bft_xcorr_free(x);
		return NULL;
	}
	return x;
}

void bft_xcorr_free(bft_xcorr *x)
{
	if (!x)
		return;
	if (x->pa)
		fftw_destroy_plan(x->pa);
	if (x->pb)
		fftw_destroy_plan(x->pb);
	if (x->pc)
		fftw_destroy_plan(x->pc);
	fftw_free(x->a);
	fftw_free(x->b);
	fftw_free(x->g);
	fftw_free(x->c);
	free(x->e);
	free(x);
}

double bft_xcorr_crb(double rho, size_t n, double bw_frac)
{
	if (!(rho > 0) || n == 0 || !(bw_frac > 0))
		return INFINITY;
	double r2 = fmin(rho * rho, 1.0);
	return sqrt(12.0 * (1.0 - r2) / (8.0 * M_PI * M_PI * (double)n * bw_frac * bw_frac * bw_frac * r2));
}

/* Upper tail of the standard normal, and its density (0 at infinity). */
static double q_tail(double a) { return isinf(a) ? (a > 0 ? 0.0 : 1.0) : 0.5 * erfc(a / M_SQRT2); }
static double pdf(double a) { return isinf(a) ? 0.0 : exp(-0.5 * a * a) / sqrt(2 * M_PI); }

/* One quantiser cell [lo, hi) in standard units of the conditional noise:
 * (d P / d mu)^2 / P times s^2. P from the tail on the cell's side, so
 * that cells far out keep their digits. */
static double cell_info(double lo, double hi)
{
	double p = lo >= 0 ? q_tail(lo) - q_tail(hi) : hi <= 0 ? q_tail(-hi) - q_tail(-lo) : 1 - q_tail(-lo) - q_tail(hi);
	double d = pdf(lo) - pdf(hi);
	return p > 1e-300 ? d * d / p : 0.0;
}

double bft_xcorr_quant_info(int bits, double rho)
{
	if (bits == 0)
		return 1.0;
	if ((bits != 1 && bits != 2) || !(rho >= 0))
		return NAN;
	/* Per component, in units of the fragment's rms: x = mu + s w with
	 * mu = rho u (u, w standard normal; mu is what the own recording
	 * predicts of x) and s^2 = 1 - rho^2. The edges are the quantiser's:
	 * 0 for one bit; -1, 0, +1 (one rms) for two. */
	double r = fmin(rho, 0.9999), s = sqrt(1 - r * r);
	static const double e1[] = { -INFINITY, 0, INFINITY }, e2[] = { -INFINITY, -1, 0, 1, INFINITY };
	const double *e = bits == 1 ? e1 : e2;
	size_t cells = bits == 1 ? 2 : 4;
	/* E over u by Simpson's rule on [-9, 9]: the integrand is smooth on a
	 * scale of s / rho, at least 0.014 here, against a step of 0.0025. */
	enum { STEPS = 7200 };
	const double lo = -9, h = 18.0 / STEPS;
	double sum = 0;
	for (int i = 0; i <= STEPS; i++) {
		double u = lo + h * i, mu = r * u, g = 0;
		for (size_t c = 0; c < cells; c++)
			g += cell_info((e[c] - mu) / s, (e[c + 1] - mu) / s);
		sum += (i == 0 || i == STEPS ? 1 : i % 2 ? 4 : 2) * g * pdf(u);
	}
	return sum * h / 3;
}

double bft_xcorr_crb_quant(double rho, size_t n, double bw_frac, int bits)
{
	double keep = bft_xcorr_quant_info(bits, rho);
	return keep > 0 ? bft_xcorr_crb(rho, n, bw_frac) / sqrt(keep) : INFINITY;
}

/* c(tau) and its first two derivatives from the cross-spectrum (scaled by
 * len like FFTW's unnormalised inverse), over the bins within the band
 * (outside it the spectrum holds only noise the receivers' filters left).
 * The twiddles are recomputed every 256 bins so rounding cannot
 * accumulate. Real arithmetic: without -ffast-math C's complex multiply
 * may call libgcc to handle infinities on every product. */
static void interp(const bft_xcorr *x, double tau, double bw_frac, double complex *c0, double complex *c1,
		   double complex *c2)
{
	long L = (long)x->len, kmax = (long)ceil(bw_frac * (double)L / 2.0);
	if (kmax > L / 2)
		kmax = L / 2;
	double s0r = 0, s0i = 0, s1r = 0, s1i = 0, s2r = 0, s2i = 0;
	double th = 2 * M_PI * tau / (double)L, sr = cos(th), si = sin(th);
	const double *g = (const double *)x->g;
	double dom = 2 * M_PI / (double)L, wr = 0, wi = 0;
	int until_exact = 0;
	for (long kk = -kmax; kk <= kmax; kk++) {
		if (until_exact-- == 0)
			wr = cos(th * (double)kk), wi = sin(th * (double)kk), until_exact = 255;
		long k = kk < 0 ? kk + L : kk;
		if (!(kk < 0 && k <= kmax)) {
			double gr = g[2 * k], gi = g[2 * k + 1];
			double tr = gr * wr - gi * wi, ti = gr * wi + gi * wr;
			double om = dom * (double)kk;
			s0r += tr, s0i += ti;
			s1r -= om * ti, s1i += om * tr; /* i om t */
			s2r -= om * om * tr, s2i -= om * om * ti;
		}
		double nr = wr * sr - wi * si;
		wi = wr * si + wi * sr, wr = nr;
	}
	*c0 = s0r + I * s0i, *c1 = s1r + I * s1i, *c2 = s2r + I * s2i;
}

int bft_xcorr_run(bft_xcorr *x, const double complex *rec, size_t rec_n, const double complex *frag, size_t frag_n,
		  const bft_xcorr_params *p, bft_xcorr_result *out)
{
	if (!x || !rec || !frag || !p || !out || rec_n != x->len || frag_n < 16 || frag_n > rec_n ||
	    p->lag_min > p->lag_max || p->lag_max > rec_n - frag_n || !(p->bw_frac > 0 && p->bw_frac <= 1) ||
	    !isfinite(p->fringe_cps))
		return BFT_XCORR_E_ARGS;
	size_t L = x->len, N = frag_n;
	double ef = 0;
	x->e[0] = 0;
	for (size_t i = 0; i < L; i++) {
		x->a[i] = rec[i];
		double m = creal(rec[i]) * creal(rec[i]) + cimag(rec[i]) * cimag(rec[i]);
		x->e[i + 1] = x->e[i] + m;
	}
	for (size_t i = 0; i < L; i++) {
		double complex v = 0;
		if (i < N) {
			v = frag[i];
			if (p->fringe_cps != 0)
				v *= cexp(-I * 2 * M_PI * p->fringe_cps * (double)i);
			ef += creal(v) * creal(v) + cimag(v) * cimag(v);
		}
		x->b[i] = v;
	}
	if (!(ef > 0))
		return BFT_XCORR_E_WEAK;
	fftw_execute(x->pa);
	fftw_execute(x->pb);
	const double *fa = (const double *)x->a, *fb = (const double *)x->b;
	double *fg = (double *)x->g;
	for (size_t k = 0; k < L; k++) { /* a conj(b), in reals (see interp) */
		double ar = fa[2 * k], ai = fa[2 * k + 1], br = fb[2 * k], bi = fb[2 * k + 1];
		fg[2 * k] = ar * br + ai * bi, fg[2 * k + 1] = ai * br - ar * bi;
	}
	fftw_execute(x->pc);

	/* Normalised magnitude per lag; the peak and the off-peak rms. */
	size_t best = p->lag_min;
	double rbest = -1;
	for (size_t l = p->lag_min; l <= p->lag_max; l++) {
		double er = x->e[l + N] - x->e[l];
		double r = er > 0 ? cabs(x->c[l]) / (double)L / sqrt(ef * er) : 0;
		if (r > rbest)
			rbest = r, best = l;
	}
	double ss = 0;
	size_t cnt = 0;
	for (size_t l = p->lag_min; l <= p->lag_max; l++) {
		if (l + 16 >= best && l <= best + 16)
			continue;
		double er = x->e[l + N] - x->e[l];
		double r = er > 0 ? cabs(x->c[l]) / (double)L / sqrt(ef * er) : 0;
		ss += r * r, cnt++;
	}
	double noise = 1.0 / sqrt((double)N);
	if (cnt >= 32)
		noise = fmax(noise, sqrt(ss / (double)cnt));
	/* |noise|^2 / rms^2 is exponential: W lags exceed x^2 with probability
	 * W e^{-x^2}; ln W + 30 keeps a false peak below 1e-13 per fragment. */
	double w = (double)(p->lag_max - p->lag_min + 1);
	if (rbest * rbest < noise * noise * (log(w) + 30.0))
		return BFT_XCORR_E_WEAK;
	if (p->lag_max > p->lag_min && (best == p->lag_min || best == p->lag_max))
		return BFT_XCORR_E_EDGE;

	/* Parabolic start, then Newton on P = |c|^2 (P' = 2 Re(c' c*),
	 * P'' = 2 (|c'|^2 + Re(c'' c*))), kept within one sample. */
	double tau = (double)best;
	if (best > p->lag_min && best < p->lag_max) {
		double pm = cabs(x->c[best - 1]), p0 = cabs(x->c[best]), pp = cabs(x->c[best + 1]);
		double den = pm - 2 * p0 + pp;
		if (den < 0)
			tau += fmax(-0.5, fmin(0.5, 0.5 * (pm - pp) / den));
	}
	double complex c0, c1, c2;
	/* |c| at the last evaluation serves for r: at a maximum, moving tau
	 * by less than the tolerance changes |c| by its square. */
	for (int it = 0; it < 10; it++) {
		interp(x, tau, p->bw_frac, &c0, &c1, &c2);
		double d1 = 2 * creal(c1 * conj(c0));
		double d2 = 2 * (creal(c1 * conj(c1)) + creal(c2 * conj(c0)));
		double st = d2 < 0 ? -d1 / d2 : (d1 > 0 ? 0.05 : -0.05);
		st = fmax(-0.25, fmin(0.25, st));
		tau += st;
		tau = fmax((double)best - 1, fmin((double)best + 1, tau));
		if (fabs(st) < 1e-6)
			break;
	}
	double er = x->e[best + N] - x->e[best];
	double r = cabs(c0) / (double)L / sqrt(ef * er);
	out->lag = tau;
	out->r_peak = r;
	out->noise = noise;
	out->snr = r / noise;
	out->rho = sqrt(fmax(r * r - noise * noise, 0.0));
	out->rho_low = r - 4 * noise;
	out->sigma_crb = bft_xcorr_crb(out->rho_low, N, p->bw_frac);
	out->n = N;
	return 0;
}

bft_interval bft_solar_offset_interval(const bft_solar_reading_in *in)
{
	/* Peer sample n and own sample n + lag saw one wavefront; true start
	 * times differ by lag/fs - delay; stamps = true + clock error. */
	double frac_s = -in->lag / in->fs_hz + in->delay_s;
	double half_s = in->k_sigma * in->sigma_samples / in->fs_hz + in->delay_err_s +
			fabs(in->rate_err_ppb) * 1e-9 * in->span_s;
	int64_t base = in->t0_peer_ns - in->t0_own_ns;
	double lo = floor((frac_s - half_s) * 1e9) - (double)in->stamp_err_own_ns - (double)in->stamp_err_peer_ns;
	double hi = ceil((frac_s + half_s) * 1e9) + (double)in->stamp_err_own_ns + (double)in->stamp_err_peer_ns;
	if (!(fabs(lo) < 9e18 && fabs(hi) < 9e18))
		return bft_iv(INT64_MAX, INT64_MIN); /* invalid: lo > hi */
	return bft_iv(bft_sat_add(base, (int64_t)lo), bft_sat_add(base, (int64_t)hi));
}
