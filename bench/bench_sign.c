/* SPDX-License-Identifier: MIT */
/*
 * Signature schemes side by side in one run: Ed25519 and ECDSA P-256
 * (OpenSSL; P-256 in software here, a secure element's scheme: what its
 * peers pay to verify it) and the twelve SLH-DSA parameter sets (src/proto/slhdsa.c), each through the
 * bft_signer table where it signs and verifies (as the node would), plus key
 * generation. One repetition is one operation on a 128-byte message, about
 * the size of a time proof's signed fields; n = 1 throughout.
 *   sign.<scheme>.keygen   a fresh key pair (OpenSSL's DRBG for the seeds)
 *   sign.<scheme>.sign     one signature (SLH-DSA: hedged, context "bftime")
 *   sign.<scheme>.verify   one verification of a valid signature
 * The 's' sets take seconds per signature, so this suite runs for about two
 * minutes; --filter sign.slh-dsa-sha2-128 narrows it.
 *
 * Then time proofs (proof.h, proof_v2.h), as the daemon issues and a peer
 * verifies them; n is the number of proofs one repetition handles:
 *   proof.v1.issue / .verify             one Ed25519-signed v1 proof
 *   proof.v2.<scheme>.issue.bN           N statements and their batch signed
 *                                        (N = 1: unbatched), encoded
 *                                        (p256: a software key in place of
 *                                        the token's)
 *   proof.v2.<scheme>.verify.bN          all N proofs of a batch verified by a
 *                                        fresh verifier (one signature check,
 *                                        N paths: the root cache)
 * Per proof: divide by n (docs/pq.md has the table). --filter proof. runs
 * these alone.
 */
#include "bench.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "proto/p256.h"
#include "proto/proof.h"
#include "proto/sign.h"
#include "proto/slhdsa.h"

struct sign_arg {
	bft_signer s;
	const bft_slhdsa_params *p; /* NULL: Ed25519, or P-256 when p256 */
	bool p256;
	uint8_t p256_pk[BFT_P256_PUB];
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
	} else if (a->p256) {
		rc = bft_p256_keygen(a->sk, a->p256_pk);
	} else {
		rc = RAND_priv_bytes(a->sk, BFT_ED25519_KEY) == 1 ? bft_ed25519_public(a->pk, a->sk) : -1;
	}
	if (rc)
		abort();
	bench_sink(a->pk[0] ^ a->p256_pk[1]);
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

struct proof_arg {
	bft_proof_gen g;
	bft_proof_batch_signer bs;
	size_t n;
	bft_proof body[64];
	uint8_t *buf;
	size_t offs[64], lens[64];
	int64_t t;
};

static bft_proof_clock proof_clock(int64_t t)
{
	bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = t - 1234, .time_ns = t, .offset_ns = 1234,
		              .bounds = bft_iv(t - 500000, t + 500000) };
	return c;
}

static void run_v1_issue(void *arg)
{
	struct proof_arg *a = arg;
	uint8_t nonce[32] = { (uint8_t)a->t }, enc[BFT_PROOF_V1_MAX];
	bft_proof_clock c = proof_clock(a->t += 1000000000);
	if (bft_proof_gen_next(&a->g, &a->body[0], &c, nonce) || bft_proof_gen_accept(&a->g, &a->body[0]) ||
	    bft_proof_encode(enc, sizeof enc, &a->body[0]) < 0)
		abort();
	bench_sink(enc[100]);
}

static void run_v1_verify(void *arg)
{
	struct proof_arg *a = arg;
	if (bft_proof_verify_key(&a->body[0], a->g.pub))
		abort();
	bench_sink(1);
}

static void run_v2_issue(void *arg)
{
	struct proof_arg *a = arg;
	for (size_t i = 0; i < a->n; i++) {
		uint8_t nonce[32] = { (uint8_t)i };
		bft_proof_clock c = proof_clock(a->t += 1000000000);
		if (bft_proof_gen_statement(&a->g, &a->body[i], &c, nonce) || bft_proof_gen_accept(&a->g, &a->body[i]))
			abort();
	}
	free(a->buf);
	if (bft_proof_batch_sign(&a->bs, a->body, a->n, &a->buf, a->offs, a->lens))
		abort();
	bench_sink(a->buf[0]);
}

static void run_v2_verify(void *arg)
{
	struct proof_arg *a = arg;
	static bft_proof_rootcache cache;
	memset(&cache, 0, sizeof cache);
	for (size_t i = 0; i < a->n; i++) {
		bft_proof p;
		if (bft_proof_decode(&p, a->buf + a->offs[i], a->lens[i]) ||
		    bft_proof_v2_verify(&p, a->g.pub, a->bs.slh_pk, a->bs.slh_pk ? bft_slhdsa_params_get((bft_slhdsa_id)a->bs.set)->pk_len : 0, &cache))
			abort();
	}
	bench_sink((int64_t)cache.hits);
}

static void proof_cases(void)
{
	struct proof_arg *a = calloc(1, sizeof *a);
	bft_keyring *kr;
	uint8_t seed[BFT_ED25519_KEY] = { 7 }, pub[BFT_ED25519_KEY];
	bft_signer ed, slh;
	if (!a || bft_keyring_create(&kr, 2) || bft_keyring_add_private(kr, 1, seed) || bft_ed25519_public(pub, seed))
		abort();
	bft_signer_ed25519(&ed, kr);
	a->t = 1700000000000000000;
	if (bft_proof_gen_init(&a->g, 1, pub, &ed))
		abort();
	a->n = 1;
	bench_case("proof.v1.issue", 1, run_v1_issue, a);
	run_v1_issue(a);
	bench_case("proof.v1.verify", 1, run_v1_verify, a);

	static const struct {
		const char *name;
		uint8_t scheme;
		bft_slhdsa_id set;
	} schemes[] = {
		{ "ed25519", BFT_PSCHEME_ED25519, 0 },
		{ "hybrid-sha2-128s", BFT_PSCHEME_HYBRID, BFT_SLHDSA_SHA2_128S },
		{ "hybrid-sha2-128f", BFT_PSCHEME_HYBRID, BFT_SLHDSA_SHA2_128F },
		{ "p256", BFT_PSCHEME_P256, 0 },
	};
	static const size_t batches[] = { 1, 16, 64 };
	for (size_t b = 0; b < sizeof batches / sizeof *batches; b++)
		bench_baseline(batches[b]);
	uint8_t sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK], p256_pub[BFT_P256_PUB], p256_id[BFT_P256_ID];
	for (size_t s = 0; s < sizeof schemes / sizeof *schemes; s++) {
		bft_slhdsa_keyring *skr = NULL;
		a->bs = (bft_proof_batch_signer){ .scheme = schemes[s].scheme, .ed = &ed };
		if (schemes[s].scheme == BFT_PSCHEME_P256) {
			/* Node 2, a P-256 key in the same keyring: its proofs name
			 * the key id, the batch carries the point. */
			if (bft_p256_keygen(sk, p256_pub) || bft_p256_key_id(p256_id, p256_pub) ||
			    bft_keyring_add_private_p256(kr, 2, sk) || bft_proof_gen_init(&a->g, 2, p256_id, &ed))
				abort();
			a->bs.p256_pk = p256_pub;
		} else if (schemes[s].scheme != BFT_PSCHEME_ED25519) {
			const bft_slhdsa_params *pp = bft_slhdsa_params_get(schemes[s].set);
			if (bft_slhdsa_keygen(pp, sk, pk) || bft_slhdsa_keyring_create(&skr, pp->id, 1) ||
			    bft_slhdsa_keyring_add_private(skr, 1, sk))
				abort();
			bft_signer_slhdsa(&slh, skr);
			a->bs.set = (uint8_t)pp->id;
			a->bs.slh = &slh;
			a->bs.slh_pk = pk;
		}
		for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
			char name[64];
			a->n = batches[b];
			snprintf(name, sizeof name, "proof.v2.%s.issue.b%zu", schemes[s].name, a->n);
			bench_case(name, a->n, run_v2_issue, a);
			run_v2_issue(a); /* the filter may have skipped it: a batch to verify */
			snprintf(name, sizeof name, "proof.v2.%s.verify.b%zu", schemes[s].name, a->n);
			bench_case(name, a->n, run_v2_verify, a);
		}
		bft_slhdsa_keyring_destroy(skr);
	}
	free(a->buf);
	free(a);
	bft_keyring_destroy(kr);
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
	/* P-256 behind the same table: a fresh keyring holds node 1's scalar. */
	bft_keyring_destroy(kr);
	uint8_t priv[BFT_P256_PRIV], point[BFT_P256_PUB];
	if (bft_p256_keygen(priv, point) || bft_keyring_create(&kr, 2) || bft_keyring_add_private_p256(kr, 1, priv))
		abort();
	bft_signer_ed25519(&a->s, kr);
	a->p256 = true;
	cases("p256", a);
	a->p256 = false;
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
	proof_cases();
}
