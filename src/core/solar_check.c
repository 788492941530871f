/* SPDX-License-Identifier: MIT */
/*
 * Checks that catch a cheating peer of the solar reference (xcorr.h): a
 * copied fragment (more correlation than two receivers' independent noise
 * allows), a relayed fragment or a false position (residuals following the
 * Sun's direction over the day), a fragment whose stamp was shifted while
 * the geometry was taken at the stamp (residuals following the delay rate).
 * The series checks are weighted least squares with a clock line as
 * nuisance; their thresholds are in standard errors. docs/solar.md.
 */
#include "core/xcorr.h"

#include <math.h>

#include <bftime/common.h>
#include <stdlib.h>
#include <string.h>

#include "core/sun.h"

int bft_solar_copy_suspect(double rho_low, double f_own, double f_peer, double visibility, double quant_gain)
{
	double f1 = fmin(fmax(f_own, 0.0), 1.0), f2 = fmin(fmax(f_peer, 0.0), 1.0);
	double max = fmin(1.0, fabs(visibility)) * sqrt(f1 * f2) * fmin(fmax(quant_gain, 0.0), 1.0);
	return rho_low > max;
}

#define NP_MAX 5

/* Weighted least squares by the normal equations (k <= 5 columns, scaled
 * to unit diagonal so the times' seconds do not ruin the conditioning).
 * beta and se get the estimates and their standard errors; -1 when the
 * design is degenerate. */
static int wls(size_t n, size_t k, const double (*x)[NP_MAX], const double *y, const double *sigma, double *beta,
	       double *se)
{
	double a[NP_MAX][NP_MAX] = { { 0 } }, b[NP_MAX] = { 0 }, inv[NP_MAX][NP_MAX] = { { 0 } };
	for (size_t i = 0; i < n; i++) {
		if (!(sigma[i] > 0))
			return BFT_EINVAL;
		double w = 1.0 / (sigma[i] * sigma[i]);
		for (size_t r = 0; r < k; r++) {
			b[r] += w * x[i][r] * y[i];
			for (size_t c = 0; c < k; c++)
				a[r][c] += w * x[i][r] * x[i][c];
		}
	}
	double sc[NP_MAX];
	for (size_t r = 0; r < k; r++) {
		if (!(a[r][r] > 0))
			return BFT_EINVAL;
		sc[r] = 1.0 / sqrt(a[r][r]);
	}
	for (size_t r = 0; r < k; r++) {
		b[r] *= sc[r];
		for (size_t c = 0; c < k; c++)
			a[r][c] *= sc[r] * sc[c];
		inv[r][r] = 1;
	}
	/* Gauss-Jordan with partial pivoting on the scaled matrix. */
	for (size_t c = 0; c < k; c++) {
		size_t piv = c;
		for (size_t r = c + 1; r < k; r++)
			if (fabs(a[r][c]) > fabs(a[piv][c]))
				piv = r;
		if (fabs(a[piv][c]) < 1e-9)
			return BFT_EINVAL;
		if (piv != c) {
			double t[NP_MAX];
			memcpy(t, a[c], sizeof t), memcpy(a[c], a[piv], sizeof t), memcpy(a[piv], t, sizeof t);
			memcpy(t, inv[c], sizeof t), memcpy(inv[c], inv[piv], sizeof t), memcpy(inv[piv], t, sizeof t);
		}
		double d = a[c][c];
		for (size_t j = 0; j < k; j++)
			a[c][j] /= d, inv[c][j] /= d;
		for (size_t r = 0; r < k; r++) {
			if (r == c)
				continue;
			double f = a[r][c];
			for (size_t j = 0; j < k; j++)
				a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
		}
	}
	for (size_t r = 0; r < k; r++) {
		double s = 0;
		for (size_t c = 0; c < k; c++)
			s += inv[r][c] * b[c];
		beta[r] = s * sc[r];
		se[r] = sqrt(fmax(inv[r][r], 0.0)) * sc[r];
	}
	return 0;
}

int bft_solar_position_suspect(size_t n, const double *t_s, const double *resid_s, const double *sigma_s,
			       const double (*sun_dir)[3], double z_se, double tol_m, double *d_m, double *d_se_m)
{
	if (n < 6 || n > 100000)
		return BFT_EINVAL;
	double (*x)[NP_MAX] = calloc(n, sizeof *x);
	if (!x)
		return BFT_EINVAL;
	double t0 = t_s[0];
	/* Over a day the Sun's declination is nearly constant: the position's
	 * component along the Earth's axis moves the residual by a constant,
	 * which the clock's offset absorbs. Only the equatorial components
	 * are observable; they are fitted. */
	for (size_t i = 0; i < n; i++) {
		x[i][0] = 1, x[i][1] = t_s[i] - t0;
		x[i][2] = sun_dir[i][0] / BFT_C_M_S, x[i][3] = sun_dir[i][1] / BFT_C_M_S;
	}
	double beta[NP_MAX], se[NP_MAX];
	int rc = wls(n, 4, (const double (*)[NP_MAX])x, resid_s, sigma_s, beta, se);
	free(x);
	if (rc)
		return BFT_EINVAL;
	/* |d| and a conservative se (the larger component's). */
	double d = sqrt(beta[2] * beta[2] + beta[3] * beta[3]);
	double s = fmax(se[2], se[3]);
	if (d_m)
		*d_m = d;
	if (d_se_m)
		*d_se_m = s;
	return d > fmax(z_se * s * sqrt(2.0), tol_m);
}

int bft_solar_shift_suspect(size_t n, const double *t_s, const double *resid_s, const double *sigma_s,
			    const double *rate, double z_se, double tol_s, double *dt_s, double *dt_se_s)
{
	if (n < 6 || n > 100000)
		return BFT_EINVAL;
	double (*x)[NP_MAX] = calloc(n, sizeof *x);
	if (!x)
		return BFT_EINVAL;
	for (size_t i = 0; i < n; i++)
		x[i][0] = 1, x[i][1] = t_s[i] - t_s[0], x[i][2] = rate[i];
	double beta[NP_MAX], se[NP_MAX];
	int rc = wls(n, 3, (const double (*)[NP_MAX])x, resid_s, sigma_s, beta, se);
	free(x);
	if (rc)
		return BFT_EINVAL;
	if (dt_s)
		*dt_s = beta[2];
	if (dt_se_s)
		*dt_se_s = se[2];
	return fabs(beta[2]) > fmax(z_se * se[2], tol_s);
}
