/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the wire decoder: any bytes must decode or be
 * rejected without touching memory outside the buffer, and whatever decodes
 * must re-encode to a message that decodes to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_msg m, again;
	size_t signed_len;
	if (bft_wire_decode(&m, &signed_len, data, size) != 0)
		return 0;
	if (signed_len >= size)
		abort();
	uint8_t buf[BFT_WIRE_MAX];
	int len = bft_wire_encode(buf, sizeof buf, &m);
	if (len < 0)
		abort();
	len = bft_wire_seal(buf, sizeof buf, (size_t)len, m.sig, m.sig_len);
	if (len < 0 || bft_wire_decode(&again, &signed_len, buf, (size_t)len) != 0)
		abort();
	if (again.type != m.type || again.from != m.from || again.to != m.to || again.nonce != m.nonce ||
	    again.t_a != m.t_a || (m.type != BFT_MSG_REQUEST && again.t_b != m.t_b) ||
	    again.err_lo_ns != m.err_lo_ns || again.err_hi_ns != m.err_hi_ns || again.flags != m.flags ||
	    again.epoch != m.epoch || again.sig_len != m.sig_len || memcmp(again.sig, m.sig, m.sig_len) != 0)
		abort();
	return 0;
}
