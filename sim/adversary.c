/* SPDX-License-Identifier: MIT */
/*
 * The lying strategies. Each computes one shift delta for the message and
 * applies it to every clock stamp in it (t_a, and t_b for responses and
 * follow-ups): a consistent lie "my clock reads delta more", which is the
 * strongest a single message can tell; random lies are inconsistent across
 * messages by construction.
 *
 * Max-bias, pulling up (offset >= 0): the node claims its clock reads
 * stamp' with uncertainty [-err_lo', +err_hi'], so it claims true time is in
 * [stamp' - err_lo', stamp' + err_hi']. Setting stamp' = now - margin +
 * err_lo' puts the low end margin below true time: the claim still holds
 * the truth (so no fusion can call it faulty), while its bulk sits as far
 * above the truth as the claimed width allows, and every colluder pulls the
 * same way. With claim_err it also shrinks its stated uncertainty (a
 * narrower interval weighs more in Brooks-Iyengar and stays harder to
 * exclude). Pulling down (offset < 0) mirrors it at the high end.
 */
#include "sim/adversary.h"

#include <string.h>

#include <bftime/common.h>

static int64_t send_stamp(const bft_msg *m)
{
	return m->type == BFT_MSG_REQUEST ? m->t_a : m->t_b;
}

static int reseal(const bft_signer *s, uint32_t self, const bft_msg *m, uint8_t *buf, size_t *len)
{
	uint8_t sig[BFT_WIRE_SIG_MAX];
	int l = bft_wire_encode(buf, BFT_WIRE_MAX, m);
	if (l < 0 || s->sig_len > sizeof sig)
		return l < 0 ? l : BFT_EINVAL;
	if (s->sign(s->ctx, self, buf, (size_t)l, sig) != 0)
		return BFT_EINVAL;
	l = bft_wire_seal(buf, BFT_WIRE_MAX, (size_t)l, sig, s->sig_len);
	if (l < 0)
		return l;
	*len = (size_t)l;
	return 0;
}

static void shift(bft_msg *m, int64_t d)
{
	m->t_a = bft_sat_add(m->t_a, d);
	if (m->type != BFT_MSG_REQUEST)
		m->t_b = bft_sat_add(m->t_b, d);
}

int sim_adv_rewrite(const sim_adversary *a, int64_t now, int64_t true_ns, sim_rng *rng, const bft_signer *signer, uint32_t self,
                    const uint8_t *buf, size_t len, sim_adv_out *out)
{
	out->n = 1;
	out->len[0] = len;
	memcpy(out->buf[0], buf, len);
	/* One draw per message whatever the strategy keeps streams aligned. */
	double u = sim_rng_unit(rng);
	if (now < a->from_ns || a->strategy == SIM_ADV_CRASH)
		return 0;
	bft_msg m;
	size_t signed_len;
	if (bft_wire_decode(&m, &signed_len, buf, len) != 0)
		return BFT_EINVAL;
	if (a->claim_err_ns >= 0 && (m.flags & BFT_MSGF_SYNCED))
		m.err_lo_ns = m.err_hi_ns = a->claim_err_ns;
	/* A liar never admits an alarm, and claims to be synchronized once its
	 * stamps are meaningful enough to lie with. */
	m.flags &= (uint8_t)~BFT_MSGF_ALARM;
	int64_t d = 0;
	switch (a->strategy) {
	case SIM_ADV_CONSTANT:
		d = a->offset_ns;
		break;
	case SIM_ADV_RANDOM:
		d = (int64_t)((2.0 * u - 1.0) * (double)a->offset_ns);
		break;
	case SIM_ADV_TWO_FACED:
		d = (m.to % 2 == 0) ? a->offset_ns : -a->offset_ns;
		break;
	case SIM_ADV_WALKAWAY: {
		double el = (double)(now - a->from_ns);
		d = a->offset_ns + (int64_t)(el * (double)a->rate_ppb * 1e-9);
		break;
	}
	case SIM_ADV_MAXBIAS:
		if (!(m.flags & BFT_MSGF_SYNCED))
			return 0; /* nothing credible to bend yet */
		if (a->offset_ns >= 0)
			d = (true_ns - a->margin_ns + m.err_lo_ns) - send_stamp(&m);
		else
			d = (true_ns + a->margin_ns - m.err_hi_ns) - send_stamp(&m);
		break;
	case SIM_ADV_EQUIVOCATE:
		if (m.type != BFT_MSG_RESPONSE)
			return 0;
		shift(&m, a->offset_ns);
		if (reseal(signer, self, &m, out->buf[0], &out->len[0]) != 0)
			return BFT_EINVAL;
		shift(&m, -2 * a->offset_ns);
		if (reseal(signer, self, &m, out->buf[1], &out->len[1]) != 0)
			return BFT_EINVAL;
		out->n = 2;
		return 0;
	default:
		return 0;
	}
	shift(&m, d);
	if (reseal(signer, self, &m, out->buf[0], &out->len[0]) != 0) {
		out->len[0] = len;
		memcpy(out->buf[0], buf, len);
		return BFT_EINVAL;
	}
	return 0;
}
