/* SPDX-License-Identifier: MIT */
/*
 * Signature schemes side by side in one run: Ed25519 (OpenSSL) and the
 * twelve SLH-DSA parameter sets (src/proto/slhdsa.c), each through the
 * bft_signer table where it signs and verifies (as the node would), plus key
 * generation. One repetition is one operation on a 128-byte message, about
 * the size of a time proof's signed fields; n = 1 throughout.
 *   sign.<scheme>.keygen   a fresh key pair (OpenSSL's DRBG for the seeds)
 *   sign.<scheme>.sign     one signature (SLH-DSA: hedged, context "bftime")
 *   sign.<scheme>.verify   one verification of a valid signature
 * The 's' sets take seconds per signature, so this suite runs for about two
 * minutes; --filter sign.slh-dsa-sha2-128 narrows it.
 */
#include "bench.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "proto/sign.h"
#include "proto/slhdsa.h"

struct sign_arg {
	bft_signer s;
	const bft_slhdsa_params *p; /* NULL: Ed25519 */
	uint8_t msg[128];
	uint8_t *sig;
	uint8_t sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK];
};

static void run_keygen(void *arg)
{
	struct sign_arg *a = arg;
	int rc;
	if (a->p) {
		rc = bft_slhdsa_keygen(a->p, a->sk, a->pk);
	} else {
		rc = RAND_priv_bytes(a->sk, BFT_ED25519_KEY) == 1 ? bft_ed25519_public(a->pk, a->sk) : -1;
	}
	if (rc)
		abort();
	bench_sink(a->pk[0]);
}

static void run_sign(void *arg)
{
	struct sign_arg *a = arg;
	a->msg[0]++;
	if (a->s.sign(a->s.ctx, 1, a->msg, sizeof a->msg, a->sig))
		abort();
	bench_sink(a->sig[0]);
}

static void run_verify(void *arg)
{
	struct sign_arg *a = arg;
	if (a->s.verify(a->s.ctx, 1, a->msg, sizeof a->msg, a->sig, a->s.sig_len))
		abort();
	bench_sink(1);
}

static void cases(const char *scheme, struct sign_arg *a)
{
	char name[64], lower[48];
	size_t i = 0;
	for (; scheme[i] && i + 1 < sizeof lower; i++)
		lower[i] = (char)tolower((unsigned char)scheme[i]);
	lower[i] = 0;
	snprintf(name, sizeof name, "sign.%s.keygen", lower);
	bench_case(name, 1, run_keygen, a);
	snprintf(name, sizeof name, "sign.%s.sign", lower);
	bench_case(name, 1, run_sign, a);
	a->msg[0]++;
	if (a->s.sign(a->s.ctx, 1, a->msg, sizeof a->msg, a->sig)) /* the filter may have skipped sign */
		abort();
	snprintf(name, sizeof name, "sign.%s.verify", lower);
	bench_case(name, 1, run_verify, a);
}

void bench_suite_sign(void)
{
	bench_baseline(1);
	struct sign_arg *a = calloc(1, sizeof *a);
	if (!a || !(a->sig = malloc(BFT_SLHDSA_MAX_SIG)))
		abort();
	for (size_t i = 0; i < sizeof a->msg; i++)
		a->msg[i] = (uint8_t)bench_rand();

	bft_keyring *kr;
	uint8_t seed[BFT_ED25519_KEY];
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (uint8_t)bench_rand();
	if (bft_keyring_create(&kr, 2) || bft_keyring_add_private(kr, 1, seed))
		abort();
	bft_signer_ed25519(&a->s, kr);
	cases("ed25519", a);
	bft_keyring_destroy(kr);

	for (int id = 0; id < BFT_SLHDSA_COUNT; id++) {
		bft_slhdsa_keyring *sk;
		a->p = bft_slhdsa_params_get((bft_slhdsa_id)id);
		if (bft_slhdsa_keygen(a->p, a->sk, a->pk) || bft_slhdsa_keyring_create(&sk, (bft_slhdsa_id)id, 2) ||
		    bft_slhdsa_keyring_add_private(sk, 1, a->sk))
			abort();
		bft_signer_slhdsa(&a->s, sk);
		cases(a->p->name, a);
		bft_slhdsa_keyring_destroy(sk);
	}
	free(a->sig);
	free(a);
}
