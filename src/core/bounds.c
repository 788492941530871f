/* SPDX-License-Identifier: MIT */
/*
 * Theoretical bounds (bounds.h). Every formula is evaluated in exact integer
 * arithmetic (128-bit intermediates) and rounded once, in the conservative
 * direction, so a test that holds a measurement against a bound never fails
 * because of the bound's own rounding. Sources and derivations are in
 * docs/algorithms-discipline-bounds.md.
 */
#include <bftime/bounds.h>
#include <bftime/interval.h>

typedef unsigned __int128 u128;

#define PPB ((u128)1000000000u)

static int64_t sat_u128(u128 v)
{
	return v > (u128)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static u128 div_ceil(u128 a, u128 b)
{
	return a / b + (a % b != 0);
}

static bool rho_ok(int64_t rho_ppb)
{
	return rho_ppb >= 0 && rho_ppb < (int64_t)PPB;
}

int bft_bound_min_n(size_t *n_out, enum bft_bound_alg alg, size_t f)
{
	size_t k;
	switch (alg) {
	case BFT_BOUND_FT_MIDPOINT:
	case BFT_BOUND_DLPSW_SYNC: k = 3; break;
	case BFT_BOUND_DLPSW_ASYNC: k = 5; break;
	case BFT_BOUND_MEDIAN:
	case BFT_BOUND_MARZULLO:
	case BFT_BOUND_BROOKS_IYENGAR:
	case BFT_BOUND_SRIKANTH_TOUEG_AUTH: k = 2; break;
	default: return BFT_EINVAL;
	}
	if (!n_out || f > (SIZE_MAX - 1) / k)
		return BFT_EINVAL;
	*n_out = k * f + 1;
	return BFT_OK;
}

/* The integer c of the convergence factor 1/c; 0 stands for "infinite"
 * (f = 0: exact agreement after one round). */
static int conv_c(uint64_t *c, enum bft_bound_alg alg, size_t n, size_t f)
{
	if (alg != BFT_BOUND_FT_MIDPOINT && alg != BFT_BOUND_DLPSW_SYNC && alg != BFT_BOUND_DLPSW_ASYNC)
		return BFT_EINVAL;
	size_t min_n;
	int rc = bft_bound_min_n(&min_n, alg, f);
	if (rc != BFT_OK)
		return rc;
	if (n < min_n)
		return BFT_EINVAL;
	if (f == 0) {
		*c = 0;
		return BFT_OK;
	}
	switch (alg) {
	case BFT_BOUND_FT_MIDPOINT: *c = 2; break;
	case BFT_BOUND_DLPSW_SYNC: *c = (uint64_t)((n - 2 * f - 1) / f) + 1; break;
	default: *c = (uint64_t)((n - 3 * f - 1) / (2 * f)) + 1; break;
	}
	return BFT_OK;
}

int bft_bound_convergence(double *factor_out, enum bft_bound_alg alg, size_t n, size_t f)
{
	uint64_t c;
	if (!factor_out)
		return BFT_EINVAL;
	int rc = conv_c(&c, alg, n, f);
	if (rc != BFT_OK)
		return rc;
	*factor_out = c ? 1.0 / (double)c : 0.0;
	return BFT_OK;
}

int bft_bound_rounds(unsigned *rounds_out, enum bft_bound_alg alg, size_t n, size_t f, int64_t initial_ns,
                     int64_t target_ns, int64_t per_round_err_ns)
{
	uint64_t c;
	if (!rounds_out || initial_ns < 0 || target_ns < 0 || per_round_err_ns < 0)
		return BFT_EINVAL;
	int rc = conv_c(&c, alg, n, f);
	if (rc != BFT_OK)
		return rc;
	if (initial_ns <= target_ns) {
		*rounds_out = 0;
		return BFT_OK;
	}
	if (c == 0) {
		if (per_round_err_ns > target_ns)
			return BFT_ERANGE;
		*rounds_out = 1;
		return BFT_OK;
	}
	/* s_k = s* + (s0 - s*)/c^k with s* = e*c/(c-1). s_k <= target iff
	 * A <= B*c^k, A = s0(c-1) - e*c, B = target(c-1) - e*c; needs B > 0
	 * (target above the fixed point). Both fit in 128 bits unsigned:
	 * < 2^63 * 2^64. */
	u128 cm1 = (u128)(c - 1), e_c = (u128)per_round_err_ns * c;
	u128 s0 = (u128)initial_ns * cm1, tg = (u128)target_ns * cm1;
	if (tg <= e_c)
		return BFT_ERANGE;
	u128 B = tg - e_c;
	u128 A = s0 > e_c ? s0 - e_c : 0; /* s0 > target > s* here, so s0 > e_c */
	unsigned k = 0;
	while (B < A) {
		/* B*c >= A without overflow if B > (A-1)/c. */
		if (B > (A - 1) / c) {
			k++;
			break;
		}
		B *= c;
		k++;
	}
	*rounds_out = k;
	return BFT_OK;
}

int bft_bound_wl_precision_ns(int64_t *out_ns, size_t n, size_t f, int64_t eps_ns, int64_t rho_ppb,
                              int64_t period_ns)
{
	if (!out_ns || n == 0 || eps_ns < 0 || period_ns < 0 || !rho_ok(rho_ppb))
		return BFT_EINVAL;
	unsigned k = 2;
	if (f > 0) {
		if (f > (SIZE_MAX - 1) / 3 || n < 3 * f + 1)
			return BFT_EINVAL;
		k = 4;
	}
	u128 drift = div_ceil((u128)k * (u128)rho_ppb * (u128)period_ns, PPB);
	*out_ns = sat_u128((u128)k * (u128)eps_ns + drift);
	return BFT_OK;
}

int bft_bound_ll_lower_ns(int64_t *out_ns, size_t n, int64_t u_ns)
{
	if (!out_ns || n == 0 || u_ns < 0)
		return BFT_EINVAL;
	*out_ns = (int64_t)((u128)u_ns * (u128)(n - 1) / (u128)n);
	return BFT_OK;
}

int bft_bound_roundtrip_ns(int64_t *out_ns, int64_t rtt_ns, int64_t hold_ns, int64_t min_delay_ns,
                           int64_t rho_local_ppb, int64_t rho_remote_ppb, int64_t age_ns)
{
	if (!out_ns || rtt_ns < 0 || hold_ns < 0 || hold_ns > rtt_ns || min_delay_ns < 0 || age_ns < 0 ||
	    !rho_ok(rho_local_ppb) || !rho_ok(rho_remote_ppb))
		return BFT_EINVAL;
	if (min_delay_ns > (rtt_ns - hold_ns) / 2)
		return BFT_EINVAL; /* the timestamps contradict the delay bound */
	u128 den = PPB - (u128)rho_local_ppb;
	/* The longest the exchange can have lasted in true time, as the
	 * remote clock (running up to rho_r fast) would count it. */
	u128 span = div_ceil((u128)rtt_ns * (PPB + (u128)rho_remote_ppb), den);
	/* bft_exchange_round_trip subtracts dmin as a clock running up to rho slow may
	 * read it, dmin(1 - rho) on each side; bound that interval, not only
	 * the exact one, so measurements of it can be held against this. */
	u128 dmin_read = 2 * (u128)min_delay_ns -
	                 ((u128)min_delay_ns * ((u128)rho_local_ppb + (u128)rho_remote_ppb)) / PPB;
	u128 w = span - (u128)hold_ns - dmin_read;
	u128 half = div_ceil(w, 2);
	u128 aged = div_ceil(((u128)rho_local_ppb + (u128)rho_remote_ppb) * (u128)age_ns, den);
	*out_ns = sat_u128(half + aged);
	return BFT_OK;
}

int bft_bound_marzullo_width_ns(int64_t *out_ns, size_t n, size_t f, int64_t widest_correct_ns)
{
	if (!out_ns || widest_correct_ns < 0 || f >= n || f > (SIZE_MAX - 1) / 3)
		return BFT_EINVAL;
	if (n >= 3 * f + 1) {
		*out_ns = widest_correct_ns;
		return BFT_OK;
	}
	if (n >= 2 * f + 1) {
		*out_ns = bft_sat_add(widest_correct_ns, widest_correct_ns);
		return BFT_OK;
	}
	return BFT_EINVAL;
}

int bft_bound_holdover_width_ns(int64_t *out_ns, int64_t width_ns, int64_t rho_ppb, int64_t elapsed_ns)
{
	if (!out_ns || width_ns < 0 || rho_ppb < 0)
		return BFT_EINVAL;
	int64_t d = bft_drift_ns(rho_ppb, elapsed_ns);
	*out_ns = bft_sat_add(width_ns, bft_sat_add(d, d));
	return BFT_OK;
}
