/* SPDX-License-Identifier: MIT */
/*
 * The lying strategies (adversary.h). Each computes one shift delta for the message and
 * applies it to every clock stamp in it (t_a, and t_b for responses and
 * follow-ups): a consistent lie "my clock reads delta more", which is the
 * strongest a single message can tell; random lies are inconsistent across
 * messages by construction.
 *
 * Max-bias, pulling up (offset >= 0), from the receiver's view. A message
 * stamped s' (stating uncertainty [-err_lo', +err_hi']) that takes the one-way
 * delay D gives its receiver, which assumes at least dmin, the low end
 *     true - raw >= s' - err_lo' - (arrival raw) + dmin
 * (minus drift and stamp-error padding, which only lowers it further). The
 * omniscient simulator knows D before delivery, so it sets
 *     s' = true_now + (D - dmin) + err_lo' - margin,
 * putting the low end of the receiver's interval exactly margin below the
 * truth: the reading still holds the truth (no fusion can call it faulty),
 * its bulk sits as far above it as the claimed width and the path's slack
 * allow, and every colluder pulls the same way. With claim_err it also shrinks
 * its stated uncertainty (and may claim PRIMARY: a credible, narrow source),
 * and states its point (PT) at the top of its claim.
 * Pulling down (offset < 0) works at the high end, which depends on the
 * *other* leg's delay; not knowing it, the liar assumes it took dmin (so the
 * reading still holds the truth): s' = true_now - err_hi' + margin.
 *
 * Equivocation: every RESPONSE and FOLLOWUP is sent twice, shifted +offset and
 * -offset, both validly signed; the copy sent second is delivered first, and
 * which one that is alternates with the recipient's parity, so in one
 * request wave different peers accept different signed answers and each also
 * receives the conflicting one.
 */
#include "testkit/adversary.h"

#include <string.h>

#include <bftime/common.h>
#include <bftime/interval.h>

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

int bft_adv_rewrite(const bft_adversary *a, const bft_adv_view *v, double u, const bft_signer *signer, uint32_t self,
                    const uint8_t *buf, size_t len, bft_adv_out *out)
{
	out->n = 1;
	out->lies = 0;
	out->second_first = false;
	out->len[0] = len;
	memcpy(out->buf[0], buf, len);
	if (v->now < a->from_ns || a->strategy == BFT_ADV_CRASH)
		return 0;
	bft_msg m, orig;
	size_t signed_len;
	if (bft_wire_decode(&m, &signed_len, buf, len) != 0)
		return BFT_EINVAL;
	orig = m;
	if (a->claim_err_ns >= 0 && (a->strategy == BFT_ADV_MAXBIAS || (m.flags & BFT_MSGF_SYNCED))) {
		/* Omniscient liars need no clock of their own to claim one. */
		m.flags |= BFT_MSGF_SYNCED;
		m.err_lo_ns = m.err_hi_ns = a->claim_err_ns;
	}
	/* Its stated point (true - clock, relative to its stamps) stays inside
	 * its claimed uncertainty, or it would be a lie anyone could spot. */
	if (m.pt_ns < -m.err_lo_ns)
		m.pt_ns = -m.err_lo_ns;
	if (m.pt_ns > m.err_hi_ns)
		m.pt_ns = m.err_hi_ns;
	/* A liar never admits an alarm. */
	m.flags &= (uint8_t)~BFT_MSGF_ALARM;
	if (a->claim_primary && (m.flags & BFT_MSGF_SYNCED))
		m.flags |= BFT_MSGF_PRIMARY;
	int64_t d = 0;
	switch (a->strategy) {
	case BFT_ADV_CONSTANT:
		d = a->offset_ns;
		break;
	case BFT_ADV_RANDOM:
		d = (int64_t)((2.0 * u - 1.0) * (double)a->offset_ns);
		break;
	case BFT_ADV_TWO_FACED:
		d = (m.to % 2 == 0) ? a->offset_ns : -a->offset_ns;
		break;
	case BFT_ADV_WALKAWAY: {
		double x = (double)a->offset_ns + (double)(v->now - a->from_ns) * (double)a->rate_ppb * 1e-9;
		d = x > 9e18 ? INT64_C(9000000000000000000) : x < -9e18 ? -INT64_C(9000000000000000000) : (int64_t)x;
		break;
	}
	case BFT_ADV_MAXBIAS: {
		if (!(m.flags & BFT_MSGF_SYNCED))
			return 0; /* nothing credible to bend yet */
		int64_t slack = v->delay_ns > v->dmin_ns ? v->delay_ns - v->dmin_ns : 0;
		/* ... and states its point at the far edge of its claim. */
		if (a->offset_ns >= 0) {
			d = (v->true_ns + slack + m.err_lo_ns - a->margin_ns) - send_stamp(&m);
			m.pt_ns = m.err_hi_ns;
		} else {
			d = (v->true_ns - m.err_hi_ns + a->margin_ns) - send_stamp(&m);
			m.pt_ns = -m.err_lo_ns;
		}
		break;
	}
	case BFT_ADV_EQUIVOCATE: {
		if (m.type == BFT_MSG_REQUEST)
			break; /* a second REQUEST is only rate-limited; answers are what count */
		int64_t s = (m.to % 2 == 0) ? a->offset_ns : -a->offset_ns;
		bft_msg m2 = m;
		shift(&m, s);
		shift(&m2, -s);
		if (reseal(signer, self, &m, out->buf[0], &out->len[0]) != 0 ||
		    reseal(signer, self, &m2, out->buf[1], &out->len[1]) != 0) {
			out->len[0] = len;
			memcpy(out->buf[0], buf, len);
			return BFT_EINVAL;
		}
		out->n = 2;
		out->second_first = true;
		out->lies = (size_t)(s != 0) * 2;
		return 0;
	}
	default:
		break;
	}
	shift(&m, d);
	if (m.t_a == orig.t_a && m.t_b == orig.t_b && m.flags == orig.flags && m.err_lo_ns == orig.err_lo_ns &&
	    m.err_hi_ns == orig.err_hi_ns && m.pt_ns == orig.pt_ns)
		return 0; /* nothing changed: send the original bytes */
	if (reseal(signer, self, &m, out->buf[0], &out->len[0]) != 0) {
		out->len[0] = len;
		memcpy(out->buf[0], buf, len);
		return BFT_EINVAL;
	}
	out->lies = 1;
	return 0;
}

bool bft_adv_crashed(const bft_adversary *a, int64_t now)
{
	return a->strategy == BFT_ADV_CRASH && now >= a->from_ns;
}

static const char *const names[] = {
	[BFT_ADV_NONE] = "none",       [BFT_ADV_CRASH] = "crash",       [BFT_ADV_CONSTANT] = "constant",
	[BFT_ADV_RANDOM] = "random",   [BFT_ADV_TWO_FACED] = "two_faced", [BFT_ADV_WALKAWAY] = "walkaway",
	[BFT_ADV_MAXBIAS] = "maxbias", [BFT_ADV_EQUIVOCATE] = "equivocate",
};

const char *bft_adv_name(enum bft_adv_strategy s)
{
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

enum bft_adv_strategy bft_adv_parse(const char *name)
{
	for (size_t i = 1; name && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(name, names[i]))
			return (enum bft_adv_strategy)i;
	return BFT_ADV_NONE;
}
