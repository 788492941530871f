/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for time proof version 2 (proto/proof_v2.h): any bytes
 * must decode or be rejected without touching memory outside the buffer;
 * whatever decodes as version 2 must carry an authenticator that parses,
 * re-encode to exactly the same bytes, hash by its body (the same hash from
 * the bytes and from the statement), and go through verification (path,
 * root message, signatures, the root cache) without a crash, whether or not
 * it verifies. Seeds: tests/fuzz/corpus/proof_v2 (Ed25519, SLH-DSA-SHA2-128f
 * and hybrid batches, made by tests/fuzz/gen_proof_v2_seeds.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_proof p;
	if (bft_proof_decode(&p, data, size) != 0 || p.version != BFT_PROOF_VERSION_2)
		return 0;
	bft_proof_auth a;
	if (!p.auth || bft_proof_auth_parse(&a, p.auth, p.auth_len) != 0 || bft_proof_size(&p) != size)
		abort();
	uint8_t *buf = malloc(size);
	if (!buf || bft_proof_encode(buf, size, &p) != (int)size || memcmp(buf, data, size) != 0)
		abort();
	free(buf);
	uint8_t h1[32], h2[32];
	if (bft_proof_hash(h1, &p) != 0 || bft_proof_hash_bytes(h2, data, size) != 0 || memcmp(h1, h2, 32) != 0)
		abort();
	static bft_proof_rootcache cache;
	if (bft_proof_v2_verify(&p, NULL, a.slh_pk, a.params ? a.params->pk_len : 0, &cache) == 0 && p.seq > BFT_PROOF_SEQ_MAX)
		abort();
	if (bft_proof_verify_key(&p, NULL) == 0 && !a.ed_sig)
		abort(); /* nothing but Ed25519 binds a key when no SLH-DSA key is pinned */
	return 0;
}
