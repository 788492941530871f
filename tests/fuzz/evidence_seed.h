/* SPDX-License-Identifier: MIT */
/*
 * Valid equivocation evidence for tests: proofs of one node signed with a
 * fixed Ed25519 seed, and evidence of a fork (two proofs at one seq) or of
 * two chains (a proof and a successor of another). Shared by the fuzz
 * target's seed corpus (fuzz_evidence.c) and the unit test (test_evidence.c).
 */
#ifndef BFTIME_TESTS_EVIDENCE_SEED_H
#define BFTIME_TESTS_EVIDENCE_SEED_H

#include <stdlib.h>
#include <string.h>

#include "proto/evidence.h"
#include "proto/sign.h"

static const uint8_t ev_seed_key[32] = { 13, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	                                 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };

/* Proofs of node_id (key: ev_seed_key, or the signer's own) chaining from
 * g: the next one at time t_ns with nonce byte n. 0 or negative. */
static int ev_seed_next(bft_proof_gen *g, bft_proof *out, int64_t t_ns, uint8_t n)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t_ns - 1000;
	c.time_ns = t_ns;
	c.bounds.lo_ns = t_ns - 1000000;
	c.bounds.hi_ns = t_ns + 1000000;
	uint8_t nonce[BFT_PROOF_NONCE];
	memset(nonce, n, sizeof nonce);
	return bft_proof_gen_next(g, out, &c, nonce);
}

/* Evidence of kind (BFT_EV_FORK or BFT_EV_LINK) against node node_id under
 * seed (NULL: ev_seed_key): encoded into buf, returns the length, or
 * negative. *pub (may be NULL) gets the public key. */
static int ev_seed_make(uint8_t kind, uint32_t node_id, const uint8_t *seed, uint8_t *buf, size_t cap,
                        uint8_t pub[32])
{
	bft_keyring *kr = NULL;
	uint8_t p[32];
	int rc = -1;
	if (!seed)
		seed = ev_seed_key;
	if (bft_keyring_create(&kr, 2) != 0 || bft_keyring_add_private(kr, node_id, seed) != 0 ||
	    bft_ed25519_public(p, seed) != 0)
		goto out;
	bft_signer s;
	bft_signer_ed25519(&s, kr);
	bft_proof_gen g;
	bft_proof a0, a1, b1, b2;
	if (bft_proof_gen_init(&g, node_id, p, &s) != 0)
		goto out;
	int64_t t = INT64_C(1717243200000000000);
	if (ev_seed_next(&g, &a0, t, 1) != 0 || bft_proof_gen_accept(&g, &a0) != 0)
		goto out;
	bft_proof_gen h = g; /* two histories from a0 on */
	if (ev_seed_next(&g, &a1, t + 1000000000, 2) != 0 || ev_seed_next(&h, &b1, t + 1000000001, 3) != 0 ||
	    bft_proof_gen_accept(&h, &b1) != 0 || ev_seed_next(&h, &b2, t + 2000000000, 4) != 0)
		goto out;
	bft_evidence ev;
	if (bft_evidence_make(&ev, &a1, kind == BFT_EV_FORK ? &b1 : &b2) != BFT_EV_OK)
		goto out;
	rc = bft_evidence_encode(buf, cap, &ev);
	if (pub)
		memcpy(pub, p, 32);
out:
	bft_keyring_destroy(kr);
	return rc;
}

/* The same as version-2 proofs (proof_v2.h, scheme Ed25519): history A
 * is a batch of seq 0 and 1, history B, from A's seq 0, a batch of seq 1
 * and 2; FORK pairs the two seq 1, LINK A's seq 1 with B's seq 2. The
 * evidence is version 2 (2-byte lengths, proofs with authenticators). */
static int ev_seed_v2_statement(bft_proof_gen *g, bft_proof *out, int64_t t_ns, uint8_t n)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t_ns - 1000;
	c.time_ns = t_ns;
	c.bounds.lo_ns = t_ns - 1000000;
	c.bounds.hi_ns = t_ns + 1000000;
	uint8_t nonce[BFT_PROOF_NONCE];
	memset(nonce, n, sizeof nonce);
	return bft_proof_gen_statement(g, out, &c, nonce) == 0 && bft_proof_gen_accept(g, out) == 0 ? 0 : -1;
}

static int ev_seed_make_v2(uint8_t kind, uint32_t node_id, const uint8_t *seed, uint8_t *buf, size_t cap,
                           uint8_t pub[32])
{
	bft_keyring *kr = NULL;
	uint8_t p[32], *ba = NULL, *bb = NULL;
	int rc = -1;
	if (!seed)
		seed = ev_seed_key;
	if (bft_keyring_create(&kr, 2) != 0 || bft_keyring_add_private(kr, node_id, seed) != 0 ||
	    bft_ed25519_public(p, seed) != 0)
		goto out;
	bft_signer s;
	bft_signer_ed25519(&s, kr);
	bft_proof_gen g;
	bft_proof A[2], B[2], a1, bx;
	if (bft_proof_gen_init(&g, node_id, p, &s) != 0)
		goto out;
	int64_t t = INT64_C(1717243200000000000);
	if (ev_seed_v2_statement(&g, &A[0], t, 1) != 0)
		goto out;
	bft_proof_gen h = g; /* two histories from A[0] on */
	if (ev_seed_v2_statement(&g, &A[1], t + 1000000000, 2) != 0 ||
	    ev_seed_v2_statement(&h, &B[0], t + 1000000001, 3) != 0 ||
	    ev_seed_v2_statement(&h, &B[1], t + 2000000000, 4) != 0)
		goto out;
	bft_proof_batch_signer bs = { .scheme = BFT_PSCHEME_ED25519, .ed = &s };
	size_t oa[2], la[2], ob[2], lb[2];
	if (bft_proof_batch_sign(&bs, A, 2, &ba, oa, la) != 0 || bft_proof_batch_sign(&bs, B, 2, &bb, ob, lb) != 0)
		goto out;
	int j = kind == BFT_EV_FORK ? 0 : 1;
	if (bft_proof_decode(&a1, ba + oa[1], la[1]) != 0 || bft_proof_decode(&bx, bb + ob[j], lb[j]) != 0)
		goto out;
	bft_evidence ev;
	if (bft_evidence_make(&ev, &a1, &bx) != BFT_EV_OK)
		goto out;
	rc = bft_evidence_encode(buf, cap, &ev);
	if (pub)
		memcpy(pub, p, 32);
out:
	free(ba);
	free(bb);
	bft_keyring_destroy(kr);
	return rc;
}

#endif
