/* SPDX-License-Identifier: MIT */
/*
 * The synthetic solar source (solarsim.h). Everything is drawn in the
 * frequency domain: the common solar spectrum, each station's independent
 * solar part (1 - visibility) and its receiver noise, all zero outside the
 * band; each station's solar part is delayed by a phase ramp, then one
 * inverse transform per station. Powers: solar T_sun, noise T_sys, in kelvin
 * units of variance per complex sample, times gain^2.
 */
#include "core/solarsim.h"

#include <fftw3.h>
#include <math.h>

#include <bftime/common.h>
#include <stdlib.h>

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void bft_rng_seed(bft_rng *r, uint64_t seed)
{
	/* splitmix64 fills the state (never all zero). */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15u);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		r->s[i] = z ^ (z >> 31);
	}
}

uint64_t bft_rng_next(bft_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
	return res;
}

double bft_rng_gauss(bft_rng *r)
{
	double u = ((double)(bft_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
	double v = (double)(bft_rng_next(r) >> 11) * 0x1.0p-53;
	return sqrt(-2.0 * log(u)) * cos(2 * M_PI * v);
}

double bft_solarsim_t_sun(double flux_sfu, double dish_m, double eff)
{
	double area = eff * M_PI * dish_m * dish_m / 4.0;
	return area * flux_sfu * BFT_SFU / (2.0 * BFT_BOLTZMANN);
}

double bft_solarsim_rho(const bft_solarsim_station st[2], double visibility)
{
	double fa = st[0].t_sun_k / (st[0].t_sun_k + st[0].t_sys_k);
	double fb = st[1].t_sun_k / (st[1].t_sun_k + st[1].t_sys_k);
	return visibility * sqrt(fa * fb);
}

/* A complex Gaussian of variance var (var/2 per component). */
static double complex cgauss(bft_rng *r, double var)
{
	double s = sqrt(var / 2);
	double re = bft_rng_gauss(r) * s;
	return re + I * (bft_rng_gauss(r) * s);
}

int bft_solarsim_pair(bft_rng *rng, size_t n, double bw_frac, double visibility, const bft_solarsim_station st[2],
		      double complex *out_a, double complex *out_b)
{
	double complex *outs[2] = { out_a, out_b };
	return bft_solarsim_array(rng, n, bw_frac, visibility, 2, st, outs);
}

int bft_solarsim_array(bft_rng *rng, size_t n, double bw_frac, double visibility, size_t m,
		       const bft_solarsim_station *st, double complex *const *outs)
{
	if (!rng || !st || !outs || m < 1 || m > 4096 || n < 2 || n > (size_t)1 << 30 || !(bw_frac > 0 && bw_frac <= 1) ||
	    !(visibility >= 0 && visibility <= 1))
		return BFT_EINVAL;
	for (size_t i = 0; i < m; i++)
		if (!outs[i] || !(st[i].t_sun_k >= 0 && st[i].t_sys_k >= 0 && st[i].gain > 0 && isfinite(st[i].delay_samples)))
			return BFT_EINVAL;
	double complex *common = fftw_malloc(n * sizeof *common);
	double complex *spec = fftw_malloc(n * sizeof *spec);
	if (!common || !spec) {
		fftw_free(common), fftw_free(spec);
		return BFT_EINVAL;
	}
	double half = bw_frac * (double)n / 2.0;
	/* Per-bin variance n * T makes the inverse transform's samples T. */
	for (size_t k = 0; k < n; k++) {
		double kk = k < (n + 1) / 2 ? (double)k : (double)k - (double)n;
		common[k] = fabs(kk) <= half ? cgauss(rng, (double)n) : 0;
	}
	for (size_t i = 0; i < m; i++) {
		fftw_plan p = fftw_plan_dft_1d((int)n, (fftw_complex *)spec, (fftw_complex *)outs[i], FFTW_BACKWARD,
					       FFTW_ESTIMATE);
		if (!p) {
			fftw_free(common), fftw_free(spec);
			return BFT_EINVAL;
		}
		double ts = st[i].t_sun_k;
		for (size_t k = 0; k < n; k++) {
			double kk = k < (n + 1) / 2 ? (double)k : (double)k - (double)n;
			if (fabs(kk) > half) {
				spec[k] = 0;
				continue;
			}
			double complex sun = sqrt(visibility) * common[k] + cgauss(rng, (1 - visibility) * (double)n);
			/* A delay d: x(t - d) has spectrum X(f) e^{-j 2 pi f d}. */
			sun *= cexp(-I * 2 * M_PI * kk * st[i].delay_samples / (double)n);
			spec[k] = (sqrt(ts) * sun + cgauss(rng, st[i].t_sys_k * (double)n)) * st[i].gain;
		}
		fftw_execute(p);
		fftw_destroy_plan(p);
		for (size_t j = 0; j < n; j++)
			outs[i][j] /= (double)n * sqrt(bw_frac);
	}
	fftw_free(common);
	fftw_free(spec);
	return 0;
}

/* L with L L^T = a (m x m, row major), lower triangular; a pivot at or
 * below rounding (the near-singular matrix of antennas that see the same
 * Sun) leaves its column zero, the semidefinite factor. -1 when a is not
 * semidefinite (a pivot clearly negative). */
static int chol_psd(size_t m, const double *a, double *l)
{
	for (size_t i = 0; i < m * m; i++)
		l[i] = 0;
	for (size_t j = 0; j < m; j++) {
		double d = a[j * m + j];
		for (size_t k = 0; k < j; k++)
			d -= l[j * m + k] * l[j * m + k];
		if (d < -1e-9)
			return -1;
		if (d <= 1e-12)
			continue;
		double r = sqrt(d);
		l[j * m + j] = r;
		for (size_t i = j + 1; i < m; i++) {
			double v = a[i * m + j];
			for (size_t k = 0; k < j; k++)
				v -= l[i * m + k] * l[j * m + k];
			l[i * m + j] = v / r;
		}
	}
	return 0;
}

int bft_solarsim_array_vis(bft_rng *rng, size_t n_gen, size_t n, double bw_frac, size_t m, const double *vis,
			   const bft_solarsim_station *st, double complex *const *outs)
{
	if (!rng || !st || !outs || !vis || m < 1 || m > 256 || n < 2 || n_gen < n || n_gen > (size_t)1 << 30 ||
	    !(bw_frac > 0 && bw_frac <= 1))
		return BFT_EINVAL;
	for (size_t i = 0; i < m; i++) {
		if (!outs[i] || !(st[i].t_sun_k >= 0 && st[i].t_sys_k >= 0 && st[i].gain > 0 && isfinite(st[i].delay_samples)))
			return BFT_EINVAL;
		for (size_t j = 0; j < m; j++) {
			double v = vis[i * m + j];
			if (!(fabs(v) <= 1) || v != vis[j * m + i] || (i == j && v != 1.0))
				return BFT_EINVAL;
		}
	}
	double *l = malloc(m * m * sizeof *l);
	double complex *z = malloc(m * sizeof *z);
	double complex *spec = fftw_malloc(m * n_gen * sizeof *spec), *time = fftw_malloc(n_gen * sizeof *time);
	fftw_plan p = NULL;
	int rc = BFT_EINVAL;
	if (!l || !z || !spec || !time || chol_psd(m, vis, l) != 0)
		goto out;
	p = fftw_plan_dft_1d((int)n_gen, (fftw_complex *)spec, (fftw_complex *)time, FFTW_BACKWARD, FFTW_ESTIMATE);
	if (!p)
		goto out;
	double half = bw_frac * (double)n_gen / 2.0;
	for (size_t k = 0; k < n_gen; k++) {
		double kk = k < (n_gen + 1) / 2 ? (double)k : (double)k - (double)n_gen;
		if (fabs(kk) > half) {
			for (size_t i = 0; i < m; i++)
				spec[i * n_gen + k] = 0;
			continue;
		}
		for (size_t j = 0; j < m; j++)
			z[j] = cgauss(rng, (double)n_gen);
		for (size_t i = 0; i < m; i++) {
			double complex sun = 0;
			for (size_t j = 0; j <= i; j++)
				sun += l[i * m + j] * z[j];
			sun *= cexp(-I * 2 * M_PI * kk * st[i].delay_samples / (double)n_gen);
			spec[i * n_gen + k] = (sqrt(st[i].t_sun_k) * sun + cgauss(rng, st[i].t_sys_k * (double)n_gen)) * st[i].gain;
		}
	}
	for (size_t i = 0; i < m; i++) {
		fftw_execute_dft(p, (fftw_complex *)(spec + i * n_gen), (fftw_complex *)time);
		for (size_t j = 0; j < n; j++)
			outs[i][j] = time[j] / ((double)n_gen * sqrt(bw_frac));
	}
	rc = 0;
out:
	if (p)
		fftw_destroy_plan(p);
	free(l);
	free(z);
	fftw_free(spec);
	fftw_free(time);
	return rc;
}
