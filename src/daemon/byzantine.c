/* SPDX-License-Identifier: MIT */
/*
 * The test-only message rewriter (byzantine.h). Every clock stamp of a
 * message is shifted by one delta: "my clock reads delta more", the most
 * consistent lie one message can tell. A message that cannot be re-encoded
 * is sent unchanged: a liar that fails to lie is just honest.
 */
#include "daemon/byzantine.h"

#include <string.h>

#include <bftime/common.h>

#include "proto/wire.h"

static uint64_t next_u64(uint64_t *s)
{
	uint64_t x = *s += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

int bftd_byz_rewrite(const bftd_byzantine *b, int64_t elapsed_ns, uint64_t *rng, const bft_signer *signer,
                     uint32_t self, uint8_t *buf, size_t *len)
{
	if (b->strategy == BFTD_BYZ_NONE || elapsed_ns < b->after_ns)
		return 1;
	if (b->strategy == BFTD_BYZ_CRASH)
		return 0;
	bft_msg m;
	size_t signed_len;
	if (bft_wire_decode(&m, &signed_len, buf, *len) != 0)
		return 1;
	int64_t d = b->offset_ns;
	if (b->strategy == BFTD_BYZ_TWO_FACED && m.to % 2)
		d = -d;
	if (b->strategy == BFTD_BYZ_RANDOM) {
		uint64_t span = (uint64_t)(b->offset_ns < 0 ? -b->offset_ns : b->offset_ns);
		d = span ? (int64_t)(next_u64(rng) % (2 * span + 1)) - (int64_t)span : 0;
	}
	m.t_a = bft_sat_add(m.t_a, d);
	if (m.type != BFT_MSG_REQUEST)
		m.t_b = bft_sat_add(m.t_b, d);
	if (b->claim_error_ns >= 0 && (m.flags & BFT_MSGF_SYNCED))
		m.err_lo_ns = m.err_hi_ns = b->claim_error_ns;
	m.flags &= (uint8_t)~BFT_MSGF_ALARM; /* a liar never admits an alarm */
	uint8_t out[BFT_WIRE_MAX], sig[BFT_WIRE_SIG_MAX];
	int l = bft_wire_encode(out, sizeof out, &m);
	if (l < 0 || signer->sig_len > sizeof sig || signer->sign(signer->ctx, self, out, (size_t)l, sig) != 0)
		return 1;
	l = bft_wire_seal(out, sizeof out, (size_t)l, sig, signer->sig_len);
	if (l < 0)
		return 1;
	memcpy(buf, out, (size_t)l);
	*len = (size_t)l;
	return 1;
}
