/* SPDX-License-Identifier: MIT */
/*
 * The exchange patterns (one-way, round trip, triple transfer, repeated
 * transfers) turned into offset intervals. Every bound is derived from the
 * delay and drift assumptions alone and rounded outward; timestamps come from
 * the network and may be hostile, so all arithmetic saturates.
 */
#include <bftime/exchange.h>

static int params_ok(const bft_exchange_params *p)
{
	return p && p->dmin_ns >= 0 && p->dmax_ns >= 0 && (p->dmax_ns == 0 || p->dmax_ns >= p->dmin_ns) &&
	       p->rho_ppb >= 0 && p->stamp_err_ns >= 0;
}

int64_t bft_relative_drift_ns(int64_t rho_ppb, int64_t elapsed_ns)
{
	return bft_drift_ns(bft_sat_add(rho_ppb, rho_ppb), elapsed_ns);
}

/* The smallest a delay of at least dmin (true time) can read on a clock
 * running up to rho slow. */
static int64_t dmin_read(const bft_exchange_params *p)
{
	return p->dmin_ns - bft_drift_ns(p->rho_ppb, p->dmin_ns);
}

static int64_t dmax_read(const bft_exchange_params *p)
{
	return bft_sat_add(p->dmax_ns, bft_drift_ns(p->rho_ppb, p->dmax_ns));
}

/* Each offset bound is a difference of two timestamps, each off by up to
 * stamp_err. */
static bft_interval widen_stamps(bft_interval iv, const bft_exchange_params *p)
{
	int64_t e = bft_sat_add(p->stamp_err_ns, p->stamp_err_ns);
	return bft_iv_widen(iv, e, e);
}

int bft_exchange_one_way(bft_reading *out, const bft_exchange_params *p, int64_t t1_remote_ns, int64_t t2_local_ns)
{
	if (!out || !params_ok(p))
		return BFT_EINVAL;
	/* At the instant of receipt the remote clock reads t1 + (transit on its
	 * clock), ours reads t2. */
	int64_t base = bft_sat_sub(t1_remote_ns, t2_local_ns);
	int64_t lo = bft_sat_add(base, dmin_read(p));
	int64_t hi = p->dmax_ns ? bft_sat_add(base, dmax_read(p)) : INT64_MAX;
	out->local_ns = t2_local_ns;
	out->offset = widen_stamps(bft_iv(lo, hi), p);
	out->delay_ns = -1;
	return BFT_OK;
}

int bft_exchange_round_trip(bft_reading *out, const bft_exchange_params *p, int64_t t1, int64_t t2, int64_t t3, int64_t t4)
{
	/* Each stamp may err by stamp_err, so an honest exchange can read
	 * t3 < t2 (or t4 < t1) by up to twice that: a fast server that
	 * randomizes the bits below its precision, as chronyd does, reads so
	 * about half the time. The bounds below are widened by the same
	 * errors, so such an exchange still bounds the offset honestly. */
	int64_t e2 = p ? bft_sat_add(p->stamp_err_ns, p->stamp_err_ns) : 0;
	if (!out || !params_ok(p) || bft_sat_sub(t1, t4) > e2 || bft_sat_sub(t2, t3) > e2)
		return BFT_EINVAL;
	int64_t up = bft_sat_sub(t2, t1);   /* offset + request transit */
	int64_t down = bft_sat_sub(t3, t4); /* offset - response transit */
	/* The request bound holds at the remote's receive instant; the offset
	 * may drift by the relative drift until t4, at most t4 - t1 later. */
	int64_t carry = bft_relative_drift_ns(p->rho_ppb, bft_sat_sub(t4, t1));

	int64_t lo = bft_sat_add(down, dmin_read(p));
	int64_t hi = bft_sat_add(bft_sat_sub(up, dmin_read(p)), carry);
	if (p->dmax_ns) {
		int64_t lo2 = bft_sat_sub(bft_sat_sub(up, dmax_read(p)), carry);
		int64_t hi2 = bft_sat_add(down, dmax_read(p));
		lo = lo2 > lo ? lo2 : lo;
		hi = hi2 < hi ? hi2 : hi;
	}
	bft_interval iv = widen_stamps(bft_iv(lo, hi), p);
	if (!bft_iv_valid(iv))
		return BFT_EFAULTS;
	out->local_ns = t4;
	out->offset = iv;
	out->delay_ns = bft_sat_sub(bft_sat_sub(t4, t1), bft_sat_sub(t3, t2));
	return BFT_OK;
}

int bft_exchange_triple_responder(bft_reading *out, const bft_exchange_params *p, int64_t t1, int64_t t2, int64_t t3,
                         int64_t t4, int64_t t5, int64_t t6)
{
	bft_reading rt, ow;
	if (!out)
		return BFT_EINVAL;
	int rc = bft_exchange_round_trip(&rt, p, t3, t4, t5, t6);
	if (rc)
		return rc;
	if (t6 < t2)
		return BFT_EINVAL;
	rc = bft_exchange_one_way(&ow, p, t1, t2);
	if (rc)
		return rc;
	bft_interval both;
	if (!bft_iv_intersect(rt.offset, bft_exchange_reading_at(&ow, p->rho_ppb, t6), &both))
		return BFT_EFAULTS;
	*out = rt;
	out->offset = both;
	return BFT_OK;
}

bft_interval bft_exchange_reading_at(const bft_reading *r, int64_t rho_ppb, int64_t at_local_ns)
{
	int64_t d = bft_relative_drift_ns(rho_ppb, bft_sat_sub(at_local_ns, r->local_ns));
	return bft_iv_widen(r->offset, d, d);
}

long bft_exchange_min_delay(const bft_reading *r, size_t n)
{
	long best = -1;
	for (size_t i = 0; i < n; i++)
		if (r[i].delay_ns >= 0 && (best < 0 || r[i].delay_ns < r[best].delay_ns))
			best = (long)i;
	return best;
}

int bft_exchange_repeated_intersect(bft_reading *out, const bft_reading *r, size_t n, int64_t rho_ppb, int64_t at_local_ns)
{
	if (!out || (n && !r) || rho_ppb < 0)
		return BFT_EINVAL;
	if (n == 0)
		return BFT_EEMPTY;
	bft_interval acc = bft_exchange_reading_at(&r[0], rho_ppb, at_local_ns);
	for (size_t i = 1; i < n; i++)
		if (!bft_iv_intersect(acc, bft_exchange_reading_at(&r[i], rho_ppb, at_local_ns), &acc))
			return BFT_EFAULTS;
	long best = bft_exchange_min_delay(r, n);
	out->local_ns = at_local_ns;
	out->offset = acc;
	out->delay_ns = best < 0 ? -1 : r[best].delay_ns;
	return BFT_OK;
}
