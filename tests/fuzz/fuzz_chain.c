/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Nakamoto chain's block decoder (chain_wire.h):
 * any bytes must decode or be refused with a bft_block_error without
 * touching memory outside the buffer; whatever decodes must re-encode to
 * exactly the same bytes (the encoding is canonical), hash, and go through
 * signature verification and the work check without crashing. The first
 * BFT_BLOCK_HDR_LEN bytes also go to the header decoder ("BH" answers): it
 * must agree with the block decoder on every header the latter accepts and
 * re-encode what it accepts to the same bytes.
 *
 * Seeds (tests/fuzz/corpus/chain, signed with the simulator signer, secret
 * 42): empty_block, three_refs_mined (GNSS, NTP and solar statements mined at
 * difficulty 16), full_block (64 statements: the size bound), and refused
 * ones: bad_root, trailing_missing, trailing_byte, duplicate_stmt (EORDER).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/chain_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bft_block b;
	static uint8_t buf[BFT_BLOCK_MAX];
	bft_block_hdr h;
	int hrc = bft_block_hdr_decode(&h, data, size < BFT_BLOCK_HDR_LEN ? size : BFT_BLOCK_HDR_LEN);
	if (hrc == 0) {
		uint8_t hb[BFT_BLOCK_HDR_LEN];
		bft_block_hdr_encode(hb, &h);
		if (memcmp(hb, data, BFT_BLOCK_HDR_LEN) != 0)
			abort();
	} else if (hrc > 0 || hrc < BFT_BLK_EINVAL) {
		abort();
	}
	int rc = bft_block_decode(&b, data, size);
	if (rc != 0) {
		if (rc > 0 || rc < BFT_BLK_EINVAL || !bft_block_strerror(rc)[0])
			abort();
		return 0;
	}
	if (bft_block_size(&b) != size || size > BFT_BLOCK_MAX || hrc != 0)
		abort();
	uint8_t hb[BFT_BLOCK_HDR_LEN];
	bft_block_hdr_encode(hb, &b.h); /* the same fields as the header decoder's (the header re-encoded to data) */
	if (memcmp(hb, data, BFT_BLOCK_HDR_LEN) != 0)
		abort();
	int len = bft_block_encode(buf, sizeof buf, &b);
	if (len < 0 || (size_t)len != size || memcmp(buf, data, size) != 0)
		abort();
	uint8_t hash[BFT_BLOCK_HASH];
	if (bft_block_hash(hash, &b.h) != 0)
		abort();
	(void)bft_work_meets(hash, b.h.difficulty);
	uint64_t secret = 42;
	bft_signer s;
	bft_signer_sim(&s, &secret);
	/* The seeds are signed with this secret: count what verifies so the
	 * result is used (and the verifier runs on hostile statements). */
	size_t ok = 0;
	for (size_t i = 0; i < b.h.n_stmts; i++)
		ok += bft_stmt_verify(&b.stmts[i], &s) == 0;
	if (ok > b.h.n_stmts)
		abort();
	return 0;
}
