/* SPDX-License-Identifier: MIT */
/*
 * Encoder and decoder of the peer wire format (wire.h, docs/protocol.md).
 * The decoder is the first code that touches hostile bytes: it checks every
 * length before reading, accepts each field once, and rejects rather than
 * guesses. It has a libFuzzer target (tests/fuzz/fuzz_wire.c).
 */
#include "proto/wire.h"

#include <string.h>

#include <bftime/common.h>

enum tag {
	TAG_FROM = 0x01,
	TAG_TO = 0x02,
	TAG_NONCE = 0x03,
	TAG_T_A = 0x04,
	TAG_T_B = 0x05,
	TAG_ERR_LO = 0x06,
	TAG_ERR_HI = 0x07,
	TAG_FLAGS = 0x08,
	TAG_EPOCH = 0x09,
	TAG_NONCE2 = 0x0A,
	TAG_PT = 0x0B,
	TAG_PAD = 0x80, /* optional, any length, ignored */
	TAG_SIG = 0xFF, /* last; covers every byte before it */
};

#define HEADER_LEN 4
/* The unsigned length of a RESPONSE or FOLLOWUP, the largest messages. */
#define FULL_LEN (HEADER_LEN + 2 * (2 + 4) + 7 * (2 + 8) + 2 * (2 + 1))

/* The uncertainty [-err_lo, err_hi] must be a valid interval. */
static int err_ok(const bft_msg *m)
{
	int64_t sum;
	return !__builtin_add_overflow(m->err_lo_ns, m->err_hi_ns, &sum) && sum >= 0;
}

size_t bft_wire_request_pad(void) { return FULL_LEN; }

static uint8_t *put(uint8_t *p, uint8_t tag, uint64_t v, unsigned bytes)
{
	*p++ = tag;
	*p++ = (uint8_t)bytes;
	for (unsigned i = bytes; i-- > 0;)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

int bft_wire_encode(uint8_t *buf, size_t cap, const bft_msg *m)
{
	if (!buf || !m || m->type < BFT_MSG_REQUEST || m->type > BFT_MSG_FOLLOWUP || !err_ok(m))
		return BFT_EINVAL;
	if (cap < FULL_LEN)
		return BFT_ERANGE;
	uint8_t *p = buf;
	*p++ = 'B';
	*p++ = 'T';
	*p++ = BFT_WIRE_VERSION;
	*p++ = m->type;
	p = put(p, TAG_FROM, m->from, 4);
	p = put(p, TAG_TO, m->to, 4);
	p = put(p, TAG_NONCE, m->nonce, 8);
	p = put(p, TAG_FLAGS, m->flags, 1);
	p = put(p, TAG_EPOCH, m->epoch, 1);
	p = put(p, TAG_ERR_LO, (uint64_t)m->err_lo_ns, 8);
	p = put(p, TAG_ERR_HI, (uint64_t)m->err_hi_ns, 8);
	p = put(p, TAG_T_A, (uint64_t)m->t_a, 8);
	if (m->type == BFT_MSG_REQUEST) {
		/* Pad to the response's size: a response is never larger than
		 * its request, so a forged source address gains no amplification. */
		size_t pad = FULL_LEN - (size_t)(p - buf) - 2;
		*p++ = TAG_PAD;
		*p++ = (uint8_t)pad;
		memset(p, 0, pad);
		p += pad;
	} else {
		p = put(p, TAG_T_B, (uint64_t)m->t_b, 8);
		p = put(p, TAG_NONCE2, m->nonce2, 8);
		p = put(p, TAG_PT, (uint64_t)m->pt_ns, 8);
	}
	return (int)(p - buf);
}

int bft_wire_seal(uint8_t *buf, size_t cap, size_t len, const uint8_t *sig, size_t sig_len)
{
	if (!buf || !sig || sig_len == 0 || sig_len > BFT_WIRE_SIG_MAX)
		return BFT_EINVAL;
	if (len + 2 + sig_len > cap || len + 2 + sig_len > BFT_WIRE_MAX)
		return BFT_ERANGE;
	buf[len] = TAG_SIG;
	buf[len + 1] = (uint8_t)sig_len;
	memcpy(buf + len + 2, sig, sig_len);
	return (int)(len + 2 + sig_len);
}

int bft_wire_decode(bft_msg *m, size_t *signed_len, const uint8_t *buf, size_t len)
{
	if (!m || !signed_len || !buf)
		return BFT_EINVAL;
	if (len < HEADER_LEN || len > BFT_WIRE_MAX || buf[0] != 'B' || buf[1] != 'T' || buf[2] != BFT_WIRE_VERSION)
		return BFT_EINVAL;
	memset(m, 0, sizeof *m);
	m->type = buf[3];
	if (m->type < BFT_MSG_REQUEST || m->type > BFT_MSG_FOLLOWUP)
		return BFT_EINVAL;
	uint32_t seen = 0; /* bit per known tag */
	size_t i = HEADER_LEN;
	while (i < len) {
		if (len - i < 2)
			return BFT_EINVAL;
		uint8_t tag = buf[i], l = buf[i + 1];
		const uint8_t *v = buf + i + 2;
		if (len - i - 2 < l)
			return BFT_EINVAL;
		if (tag == TAG_SIG) {
			if (i + 2 + l != len || l == 0 || l > BFT_WIRE_SIG_MAX)
				return BFT_EINVAL;
			*signed_len = i;
			m->sig_len = l;
			memcpy(m->sig, v, l);
			break;
		}
		if (tag >= 0x80) { /* optional: skip (TAG_PAD among them) */
			i += 2 + (size_t)l;
			continue;
		}
		static const uint8_t size[] = {
			[TAG_FROM] = 4,  [TAG_TO] = 4,     [TAG_NONCE] = 8,  [TAG_T_A] = 8,   [TAG_T_B] = 8,
			[TAG_ERR_LO] = 8, [TAG_ERR_HI] = 8, [TAG_FLAGS] = 1, [TAG_EPOCH] = 1, [TAG_NONCE2] = 8,
			[TAG_PT] = 8,
		};
		if (tag >= sizeof size || size[tag] == 0 || l != size[tag] || (seen & (1u << tag)))
			return BFT_EINVAL; /* unknown critical tag, wrong length, or repeated */
		seen |= 1u << tag;
		uint64_t x = get(v, l);
		switch (tag) {
		case TAG_FROM: m->from = (uint32_t)x; break;
		case TAG_TO: m->to = (uint32_t)x; break;
		case TAG_NONCE: m->nonce = x; break;
		case TAG_T_A: m->t_a = (int64_t)x; break;
		case TAG_T_B: m->t_b = (int64_t)x; break;
		case TAG_ERR_LO: m->err_lo_ns = (int64_t)x; break;
		case TAG_ERR_HI: m->err_hi_ns = (int64_t)x; break;
		case TAG_FLAGS: m->flags = (uint8_t)x; break;
		case TAG_EPOCH: m->epoch = (uint8_t)x; break;
		case TAG_NONCE2: m->nonce2 = x; break;
		case TAG_PT: m->pt_ns = (int64_t)x; break;
		}
		i += 2 + (size_t)l;
	}
	if (m->sig_len == 0)
		return BFT_EINVAL; /* unsigned */
	uint32_t need = 1u << TAG_FROM | 1u << TAG_TO | 1u << TAG_NONCE | 1u << TAG_T_A | 1u << TAG_ERR_LO |
	                1u << TAG_ERR_HI | 1u << TAG_FLAGS | 1u << TAG_EPOCH;
	if (m->type != BFT_MSG_REQUEST)
		need |= 1u << TAG_T_B | 1u << TAG_NONCE2 | 1u << TAG_PT;
	if ((seen & need) != need || !err_ok(m))
		return BFT_EINVAL;
	/* An unpadded REQUEST would be answered by a larger RESPONSE: to a
	 * forged source address, an amplifier. Only padded ones are valid. */
	if (m->type == BFT_MSG_REQUEST && *signed_len < FULL_LEN)
		return BFT_EINVAL;
	return 0;
}
