/* SPDX-License-Identifier: MIT */
/*
 * Theil-Sen and the repeated median straight from their definitions: every
 * pair slope is computed and the medians are selected with introselect. This
 * is the oracle the fast algorithms in regress.c are tested against for exact
 * equality, and their path for small n. The argument checks and the
 * intercept live here too so both paths share them bit for bit.
 */
#include <math.h>

#include "order.h"
#include "regress_ref.h"

/* Inputs are bounded so that a difference of two of them cannot overflow
 * (2^1022 - (-2^1022) = 2^1023 is finite): slopes can then be infinite but
 * never NaN, and infinite results are reported as BFT_ERANGE. */
#define INPUT_MAX 0x1p1022

int bft_regress_check(const bft_fit *out, const double *x, const double *y, size_t n, const void *scratch)
{
	if (!out || (n > 0 && (!x || !y || !scratch || (uintptr_t)scratch % _Alignof(double))))
		return BFT_EINVAL;
	for (size_t i = 0; i < n; i++) {
		/* !(a <= b) is also true for NaN. */
		if (!(fabs(x[i]) <= INPUT_MAX) || !(fabs(y[i]) <= INPUT_MAX))
			return BFT_EINVAL;
	}
	return BFT_OK;
}

double bft_median_inplace(double *v, size_t n)
{
	size_t hi = n / 2;
	double b = bft_select_f64(v, n, hi);
	if (n % 2)
		return b;
	/* After selection v[0..hi) holds the hi smallest: the lower middle is
	 * their maximum. */
	double a = v[0];
	for (size_t i = 1; i < hi; i++)
		if (v[i] > a)
			a = v[i];
	return bft_mean2(a, b);
}

int bft_regress_finish(bft_fit *out, double slope, const double *x, const double *y, size_t n, double *work)
{
	if (!isfinite(slope))
		return BFT_ERANGE;
	/* -0 and +0 are the same order statistic; different pairs can give
	 * either, so both paths report +0. */
	slope += 0.0;
	for (size_t i = 0; i < n; i++)
		work[i] = y[i] - slope * x[i];
	double a = bft_median_inplace(work, n);
	if (!isfinite(a))
		return BFT_ERANGE;
	out->intercept = a + 0.0;
	out->slope = slope;
	return BFT_OK;
}

size_t bft_ref_theil_sen_scratch_bytes(size_t n)
{
	if (n < 2)
		return sizeof(double);
	if (n > SIZE_MAX / n)
		return 0;
	size_t pairs = n * (n - 1) / 2;
	if (pairs > SIZE_MAX / sizeof(double) - n)
		return 0;
	return (pairs + n) * sizeof(double);
}

size_t bft_ref_repeated_median_scratch_bytes(size_t n)
{
	if (n > SIZE_MAX / (2 * sizeof(double)))
		return 0;
	return (n ? 2 * n : 1) * sizeof(double);
}

int bft_ref_theil_sen(bft_fit *out, const double *x, const double *y, size_t n, void *scratch)
{
	int rc = bft_regress_check(out, x, y, n, scratch);
	if (rc)
		return rc;
	double *s = scratch;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (x[i] != x[j])
				s[m++] = bft_pair_slope(x[i], y[i], x[j], y[j]);
	if (m == 0)
		return BFT_EEMPTY;
	double b = bft_median_inplace(s, m);
	return bft_regress_finish(out, b, x, y, n, s);
}

int bft_ref_repeated_median(bft_fit *out, const double *x, const double *y, size_t n, void *scratch)
{
	int rc = bft_regress_check(out, x, y, n, scratch);
	if (rc)
		return rc;
	double *row = scratch, *med = row + n;
	size_t rows = 0;
	for (size_t i = 0; i < n; i++) {
		size_t d = 0;
		for (size_t j = 0; j < n; j++)
			if (x[j] != x[i])
				row[d++] = bft_pair_slope(x[i], y[i], x[j], y[j]);
		/* A row without a partner only exists when every x is equal. */
		if (d)
			med[rows++] = bft_median_inplace(row, d);
	}
	if (rows == 0)
		return BFT_EEMPTY;
	double b = bft_median_inplace(med, rows);
	return bft_regress_finish(out, b, x, y, n, row);
}
