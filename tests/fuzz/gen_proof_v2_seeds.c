/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz_proof_v2 (tests/fuzz/corpus/proof_v2): a
 * batch of three Ed25519 proofs (with and without a reference block), one
 * SLH-DSA-SHA2-128f proof, a hybrid batch of two and an ECDSA P-256 batch
 * of two (scheme p256, its own node and key). Not built by make; run
 * once by hand when the format changes:
 *   cc -Iinclude -Isrc tests/fuzz/gen_proof_v2_seeds.c build/libbftime.a -lcrypto -lm -o /tmp/gen
 *   /tmp/gen tests/fuzz/corpus/proof_v2
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>
#include "proto/p256.h"
#include "proto/proof.h"
#include "proto/sign.h"

static void write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	static const uint8_t seed[32] = { 42 };
	uint8_t pub[32], pk[BFT_SLHDSA_MAX_PK], sk[BFT_SLHDSA_MAX_SK];
	bft_keyring *kr;
	bft_signer ed, slh;
	bft_slhdsa_keyring *skr;
	const bft_slhdsa_params *pp = bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128F);
	if (bft_keyring_create(&kr, 2) || bft_keyring_add_private(kr, 3, seed) || bft_ed25519_public(pub, seed) ||
	    bft_slhdsa_keygen(pp, sk, pk) || bft_slhdsa_keyring_create(&skr, pp->id, 1) ||
	    bft_slhdsa_keyring_add_private(skr, 3, sk))
		return 1;
	bft_signer_ed25519(&ed, kr);
	bft_signer_slhdsa(&slh, skr);
	bft_proof_gen g;
	if (bft_proof_gen_init(&g, 3, pub, &ed))
		return 1;
	bft_proof body[3];
	for (int i = 0; i < 3; i++) {
		bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = 1000 + i, .time_ns = 2000 + i,
			              .bounds = bft_iv(1990 + i, 2010 + i) };
		if (i == 1)
			c.ref = (bft_proof_ref){ .kind = BFT_REF_GPS, .week = 2300, .tow_ns = 7, .sats_used = 5, .sats_visible = 8 };
		uint8_t nonce[32] = { (uint8_t)i };
		if (bft_proof_gen_statement(&g, &body[i], &c, nonce) || bft_proof_gen_accept(&g, &body[i]))
			return 1;
	}
	struct {
		const char *name;
		uint8_t scheme;
		size_t n;
	} runs[] = { { "ed25519_%zu", BFT_PSCHEME_ED25519, 3 }, { "slhdsa_%zu", BFT_PSCHEME_SLHDSA, 1 },
		     { "hybrid_%zu", BFT_PSCHEME_HYBRID, 2 } };
	for (size_t r = 0; r < 3; r++) {
		bft_proof_batch_signer s = { .scheme = runs[r].scheme,
			                     .set = runs[r].scheme == BFT_PSCHEME_ED25519 ? 0 : (uint8_t)pp->id,
			                     .ed = &ed, .slh = &slh, .slh_pk = pk };
		uint8_t *buf;
		size_t offs[3], lens[3];
		if (bft_proof_batch_sign(&s, body, runs[r].n, &buf, offs, lens))
			return 1;
		for (size_t i = 0; i < runs[r].n; i++) {
			char name[64];
			snprintf(name, sizeof name, runs[r].name, i);
			write_file(argv[1], name, buf + offs[i], lens[i]);
		}
		free(buf);
	}
	/* Scheme p256: node 4, a software P-256 key (a token's in bftimed). */
	uint8_t priv[BFT_P256_PRIV], point[BFT_P256_PUB], id[BFT_P256_ID];
	bft_proof_gen g4;
	if (bft_p256_keygen(priv, point) || bft_p256_key_id(id, point) || bft_keyring_add_private_p256(kr, 4, priv) ||
	    bft_proof_gen_init(&g4, 4, id, &ed))
		return 1;
	for (int i = 0; i < 2; i++) {
		bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = 1000 + i, .time_ns = 2000 + i,
			              .bounds = bft_iv(1990 + i, 2010 + i) };
		uint8_t nonce[32] = { (uint8_t)i, 4 };
		if (bft_proof_gen_statement(&g4, &body[i], &c, nonce) || bft_proof_gen_accept(&g4, &body[i]))
			return 1;
	}
	bft_proof_batch_signer s4 = { .scheme = BFT_PSCHEME_P256, .ed = &ed, .p256_pk = point };
	uint8_t *buf4;
	size_t offs4[2], lens4[2];
	if (bft_proof_batch_sign(&s4, body, 2, &buf4, offs4, lens4))
		return 1;
	for (size_t i = 0; i < 2; i++) {
		char name[64];
		snprintf(name, sizeof name, "p256_%zu", i);
		write_file(argv[1], name, buf4 + offs4[i], lens4[i]);
	}
	free(buf4);
	bft_keyring_destroy(kr);
	bft_slhdsa_keyring_destroy(skr);
	return 0;
}
