/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the time-proof decoder: any bytes must decode or be
 * rejected without touching memory outside the buffer, and whatever decodes
 * must be valid, re-encode to exactly the same bytes (the encoding is
 * canonical: one proof, one byte string, one hash), and pass the chain check
 * against itself only as a sequence error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_proof p, again;
	if (bft_proof_decode(&p, data, size) != 0)
		return 0;
	if (!bft_proof_valid(&p) || bft_proof_size(&p) != size)
		abort();
	uint8_t buf[BFT_PROOF_MAX];
	int len = bft_proof_encode(buf, sizeof buf, &p);
	if (len < 0 || (size_t)len != size || memcmp(buf, data, size) != 0)
		abort();
	if (bft_proof_decode(&again, buf, (size_t)len) != 0 || again.seq != p.seq || again.node_id != p.node_id ||
	    again.time_ns != p.time_ns || memcmp(again.sig, p.sig, sizeof p.sig) != 0)
		abort();
	if (bft_proof_chain_check(&p, NULL, &p) != BFT_CHAIN_SEQ)
		abort();
	return 0;
}
