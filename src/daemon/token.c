/* SPDX-License-Identifier: MIT */
/*
 * The node key in a PKCS#11 token (token.h): sign_pkcs11.c behind a thin
 * layer that logs a failing token once, and its return, instead of once per
 * message (a node signs several messages a second).
 */
#include "daemon/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "proto/p256.h"
#include "proto/proof.h"

struct bftd_token {
	bft_pkcs11 *tok;
	bft_signer inner;
	uint64_t failures;
	bool failing;
	bool pin_logged; /* the refused PIN's alarm is out (it may follow a removal's) */
	bool p256;                      /* the key is ECDSA P-256 (an ATECC608A's kind) */
	uint8_t p256_pub[BFT_P256_PUB];
};

bool bftd_key_is_pkcs11(const char *key)
{
	return key && strncmp(key, "pkcs11:", 7) == 0;
}

int bftd_token_open(bftd_token **out, const char *uri, uint8_t pub[32], char *err, size_t errlen)
{
	*out = NULL;
	bftd_token *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	char why[512];
	if (bft_pkcs11_open(&t->tok, uri, why, sizeof why) != 0) {
		snprintf(err, errlen, "node.key %s: %s", uri, why);
		free(t);
		return BFT_EINVAL;
	}
	enum bft_pkcs11_kind kind = BFT_PKCS11_NONE;
	uint8_t p[BFT_PKCS11_MAX_PUB];
	size_t plen = sizeof p;
	if (bft_pkcs11_load_key(t->tok, &kind, p, &plen) != 0) {
		snprintf(err, errlen, "node.key %s: %s", uri, bft_pkcs11_error(t->tok));
		bftd_token_close(t);
		return BFT_EINVAL;
	}
	if (kind == BFT_PKCS11_P256 && plen == BFT_P256_PUB && bft_p256_key_id(pub, p) == 0) {
		/* Named by its key id where an Ed25519 key would be (p256.h). */
		t->p256 = true;
		memcpy(t->p256_pub, p, BFT_P256_PUB);
		*out = t;
		return 0;
	}
	if (kind != BFT_PKCS11_ED25519 || plen != 32) {
		snprintf(err, errlen, "node.key %s: the token's key is %s (expected Ed25519 or ECDSA P-256)", uri,
		         kind == BFT_PKCS11_P256 ? "a P-256 key whose public point is not valid" : "of an unknown kind");
		bftd_token_close(t);
		return BFT_EINVAL;
	}
	memcpy(pub, p, 32);
	*out = t;
	return 0;
}

const uint8_t *bftd_token_p256(const bftd_token *t) { return t && t->p256 ? t->p256_pub : NULL; }

int bftd_token_check_proofs(const bftd_token *t, const char *uri, uint8_t proof_scheme, char *err, size_t errlen)
{
	bool p256 = t && t->p256;
	if (p256 && proof_scheme != BFT_PSCHEME_P256) {
		/* v1, ed25519 and hybrid proofs carry an Ed25519 signature under
		 * the 32-byte key in their body; a P-256 signature there would be
		 * refused by every verifier. */
		snprintf(err, errlen, "node.key %s is an ECDSA P-256 key: set node.proofs: p256 (version-2 proofs "
		                      "signed with it; v1, ed25519 and hybrid proofs are Ed25519)", uri);
		return BFT_EINVAL;
	}
	if (!p256 && proof_scheme == BFT_PSCHEME_P256) {
		snprintf(err, errlen, "node.proofs: p256 needs node.key to be a P-256 key on a token (bftime keygen "
		                      "--pkcs11 URI --p256); %s is not one", uri);
		return BFT_EINVAL;
	}
	return 0;
}

void bftd_token_close(bftd_token *t)
{
	if (!t)
		return;
	bft_pkcs11_close(t->tok);
	free(t);
}

static int token_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	bftd_token *t = ctx;
	int rc = t->inner.sign(t->inner.ctx, self, msg, len, sig);
	if (rc != 0) {
		t->failures++;
		bool pin = bft_pkcs11_pin_refused(t->tok);
		if (pin && !t->pin_logged && t->failing) /* a returned token that refuses the PIN */
			bftd_log(LOG_ERR, "ALARM: the PKCS#11 token refuses the PIN: %s", bft_pkcs11_error(t->tok));
		t->pin_logged = pin;
		if (!t->failing)
			bftd_log(LOG_ERR, "ALARM: the PKCS#11 token does not sign: %s; nothing is sent or issued until it "
			                  "does (the node keeps its time; retried at every signature%s)",
			         bft_pkcs11_error(t->tok),
			         bft_pkcs11_pin_refused(t->tok) ? ", but never with a PIN the token refused" : "");
		t->failing = true;
	} else if (t->failing) {
		t->pin_logged = false;
		uint64_t att, ref;
		bft_pkcs11_logins(t->tok, &att, &ref);
		bftd_log(LOG_NOTICE,
		         "the PKCS#11 token signs again (%llu signatures refused meanwhile; C_Login attempts since start: "
		         "%llu, %llu refused)",
		         (unsigned long long)t->failures, (unsigned long long)att, (unsigned long long)ref);
		t->failing = false;
	}
	return rc;
}

static int token_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	bftd_token *t = ctx;
	return t->inner.verify(t->inner.ctx, from, msg, len, sig, sig_len);
}

void bftd_token_signer(bft_signer *out, bftd_token *t, uint32_t self, const bft_signer *peers)
{
	bft_signer_pkcs11(&t->inner, t->tok, self, peers);
	*out = t->inner;
	out->sign = token_sign;
	out->verify = token_verify;
	out->ctx = t;
}

uint64_t bftd_token_failures(const bftd_token *t) { return t ? t->failures : 0; }
bool bftd_token_failing(const bftd_token *t) { return t && t->failing; }
