/* SPDX-License-Identifier: MIT */
/*
 * Interval arithmetic on int64 nanoseconds. Everything saturates rather than
 * wraps: an interval that would overflow becomes wider (less informative),
 * never wrong. Drift widening rounds up for the same reason.
 */
#include <bftime/interval.h>

const char *bft_strerror(int err)
{
	switch (err) {
	case BFT_OK: return "ok";
	case BFT_EINVAL: return "invalid argument";
	case BFT_EFAULTS: return "more than f readings are faulty";
	case BFT_ENOMEM: return "out of memory";
	case BFT_ERANGE: return "result out of range";
	case BFT_EEMPTY: return "no data";
	}
	return "unknown error";
}

int64_t bft_sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int64_t bft_sat_sub(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int64_t bft_drift_ns(int64_t rho_ppb, int64_t elapsed_ns)
{
	if (rho_ppb <= 0 || elapsed_ns == 0)
		return 0;
	/* |INT64_MIN| = 2^63 fits in uint64_t: take the magnitude unsigned. */
	uint64_t e = elapsed_ns < 0 ? (uint64_t)0 - (uint64_t)elapsed_ns : (uint64_t)elapsed_ns;
	/* Split e = q*1e9 + r so the products stay exact: rho*q may still
	 * overflow for absurd inputs, which we detect and saturate. */
	uint64_t q = e / 1000000000u, r = e % 1000000000u, hi;
	if (__builtin_mul_overflow(q, (uint64_t)rho_ppb, &hi))
		return INT64_MAX;
	/* r < 1e9 and rho fits comfortably after the check below. */
	if ((uint64_t)rho_ppb > UINT64_MAX / 1000000000u)
		return INT64_MAX;
	uint64_t lo = (r * (uint64_t)rho_ppb + 999999999u) / 1000000000u;
	uint64_t sum;
	if (__builtin_add_overflow(hi, lo, &sum) || sum > (uint64_t)INT64_MAX)
		return INT64_MAX;
	return (int64_t)sum;
}

int64_t bft_iv_width(bft_interval a)
{
	return bft_sat_sub(a.hi_ns, a.lo_ns);
}

int64_t bft_iv_mid(bft_interval a)
{
	/* lo + (hi - lo)/2 in unsigned arithmetic cannot overflow for lo <= hi. */
	uint64_t w = (uint64_t)a.hi_ns - (uint64_t)a.lo_ns;
	return (int64_t)((uint64_t)a.lo_ns + w / 2);
}

bft_interval bft_iv_shift(bft_interval a, int64_t d_ns)
{
	return bft_iv(bft_sat_add(a.lo_ns, d_ns), bft_sat_add(a.hi_ns, d_ns));
}

bft_interval bft_iv_widen(bft_interval a, int64_t lo_by_ns, int64_t hi_by_ns)
{
	if (lo_by_ns < 0)
		lo_by_ns = 0;
	if (hi_by_ns < 0)
		hi_by_ns = 0;
	return bft_iv(bft_sat_sub(a.lo_ns, lo_by_ns), bft_sat_add(a.hi_ns, hi_by_ns));
}

bft_interval bft_iv_widen_drift(bft_interval a, int64_t rho_ppb, int64_t elapsed_ns)
{
	int64_t d = bft_drift_ns(rho_ppb, elapsed_ns);
	return bft_iv_widen(a, d, d);
}

bool bft_iv_intersect(bft_interval a, bft_interval b, bft_interval *out)
{
	int64_t lo = a.lo_ns > b.lo_ns ? a.lo_ns : b.lo_ns;
	int64_t hi = a.hi_ns < b.hi_ns ? a.hi_ns : b.hi_ns;
	if (lo > hi)
		return false;
	*out = bft_iv(lo, hi);
	return true;
}

bft_interval bft_iv_hull(bft_interval a, bft_interval b)
{
	return bft_iv(a.lo_ns < b.lo_ns ? a.lo_ns : b.lo_ns, a.hi_ns > b.hi_ns ? a.hi_ns : b.hi_ns);
}
