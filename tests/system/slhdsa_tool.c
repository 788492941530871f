/* SPDX-License-Identifier: MIT */
/*
 * Test tool: bftime's SLH-DSA (src/proto/slhdsa.c) on the command line, with
 * the same arguments as tests/system/noble_slhdsa.mjs, so that
 * test_slhdsa_noble.sh can sign with either and verify with the other.
 * Bytes are hex ("-" for none); signatures travel in files.
 *   keygen SET SEED3N                        -> "SK PK" (SEED3N: SK.seed SK.prf PK.seed)
 *   sign SET SK MSG CTX det|rand [PREHASH]   -> signature hex
 *   verify SET PK MSG CTX SIGFILE [PREHASH]  -> exit 0 valid, 1 invalid
 * PREHASH: sha256, sha512, shake128 or shake256.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/slhdsa.h"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	if (strcmp(h, "-") == 0)
		return 0;
	size_t len = strlen(h);
	while (len && (h[len - 1] == '\n' || h[len - 1] == '\r' || h[len - 1] == ' '))
		len--;
	if (len % 2 || len / 2 > cap) {
		fprintf(stderr, "slhdsa-tool: bad hex (%zu digits)\n", len);
		exit(2);
	}
	for (size_t i = 0; i < len / 2; i++)
		if (sscanf(h + 2 * i, "%2hhx", &out[i]) != 1) {
			fprintf(stderr, "slhdsa-tool: bad hex digit\n");
			exit(2);
		}
	return len / 2;
}

static void puthex(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
}

static int prehash_id(const char *name)
{
	static const struct {
		const char *name;
		bft_slhdsa_prehash ph;
	} t[] = { { "sha256", BFT_SLHDSA_PH_SHA256 }, { "sha512", BFT_SLHDSA_PH_SHA512 },
		  { "shake128", BFT_SLHDSA_PH_SHAKE128 }, { "shake256", BFT_SLHDSA_PH_SHAKE256 } };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(name, t[i].name) == 0)
			return (int)t[i].ph;
	fprintf(stderr, "slhdsa-tool: unknown prehash %s\n", name);
	exit(2);
}

static uint8_t msg[1 << 16], ctx[256], key[BFT_SLHDSA_MAX_SK], sig[BFT_SLHDSA_MAX_SIG];
static char sighex[2 * BFT_SLHDSA_MAX_SIG + 8];

int main(int argc, char **argv)
{
	const bft_slhdsa_params *p = argc > 2 ? bft_slhdsa_params_by_name(argv[2]) : NULL;
	if (!p) {
		fprintf(stderr, "usage: slhdsa-tool keygen|sign|verify SET ...\n");
		return 2;
	}
	if (strcmp(argv[1], "keygen") == 0 && argc == 4) {
		uint8_t seed[3 * BFT_SLHDSA_MAX_N], pk[BFT_SLHDSA_MAX_PK];
		if (unhex(argv[3], seed, sizeof seed) != 3 * p->n ||
		    bft_slhdsa_keygen_internal(p, key, pk, seed, seed + p->n, seed + 2 * p->n))
			return 2;
		puthex(key, p->sk_len);
		printf(" ");
		puthex(pk, p->pk_len);
		printf("\n");
		return 0;
	}
	if (strcmp(argv[1], "sign") == 0 && (argc == 7 || argc == 8)) {
		size_t kl = unhex(argv[3], key, sizeof key), ml = unhex(argv[4], msg, sizeof msg),
		       cl = unhex(argv[5], ctx, sizeof ctx);
		int rnd = strcmp(argv[6], "rand") == 0;
		if (kl != p->sk_len)
			return 2;
		int rc = argc == 8 ? bft_slhdsa_sign_prehash(p, sig, msg, ml, ctx, cl, prehash_id(argv[7]), key, rnd)
		                   : bft_slhdsa_sign(p, sig, msg, ml, ctx, cl, key, rnd);
		if (rc)
			return 2;
		puthex(sig, p->sig_len);
		printf("\n");
		return 0;
	}
	if (strcmp(argv[1], "verify") == 0 && (argc == 7 || argc == 8)) {
		size_t kl = unhex(argv[3], key, sizeof key), ml = unhex(argv[4], msg, sizeof msg),
		       cl = unhex(argv[5], ctx, sizeof ctx);
		FILE *f = fopen(argv[6], "r");
		size_t got = f ? fread(sighex, 1, sizeof sighex - 1, f) : 0;
		if (f)
			fclose(f);
		sighex[got] = 0;
		size_t sl = unhex(sighex, sig, sizeof sig);
		if (kl != p->pk_len)
			return 2;
		int rc = argc == 8 ? bft_slhdsa_verify_prehash(p, msg, ml, ctx, cl, prehash_id(argv[7]), sig, sl, key)
		                   : bft_slhdsa_verify(p, msg, ml, ctx, cl, sig, sl, key);
		return rc == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: slhdsa-tool keygen|sign|verify SET ...\n");
	return 2;
}
