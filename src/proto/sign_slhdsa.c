/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA (src/proto/slhdsa.h) behind the bft_signer table: a keyring of
 * one parameter set holding our own secret keys and peers' pinned public
 * keys, by node id. Signatures are pure SLH-DSA with the context string
 * "bftime" (so a bftime signature can never be taken for another protocol's
 * over the same bytes) and hedged: fresh randomness each time, as FIPS 205
 * recommends against fault attacks. Secret keys are wiped when replaced and
 * when the keyring is destroyed.
 */
#include "proto/sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <bftime/common.h>

#include "proto/slhdsa.h"

static const uint8_t context[] = "bftime";

struct slhdsa_slot {
	uint32_t id;
	int used, secret;
	uint8_t key[BFT_SLHDSA_MAX_SK]; /* sk (which ends with pk), or pk */
};

struct bft_slhdsa_keyring {
	const bft_slhdsa_params *p;
	size_t cap;
	struct slhdsa_slot *slots; /* linear: a node pins tens of keys, not thousands */
};

int bft_slhdsa_keyring_create(bft_slhdsa_keyring **out, bft_slhdsa_id set, size_t max_keys)
{
	const bft_slhdsa_params *p = bft_slhdsa_params_get(set);
	if (!out || !p || max_keys == 0 || max_keys > SIZE_MAX / sizeof(struct slhdsa_slot))
		return BFT_EINVAL;
	bft_slhdsa_keyring *kr = calloc(1, sizeof *kr);
	struct slhdsa_slot *s = calloc(max_keys, sizeof *s);
	if (!kr || !s) {
		free(kr);
		free(s);
		return BFT_ENOMEM;
	}
	kr->p = p;
	kr->cap = max_keys;
	kr->slots = s;
	*out = kr;
	return 0;
}

void bft_slhdsa_keyring_destroy(bft_slhdsa_keyring *kr)
{
	if (!kr)
		return;
	OPENSSL_cleanse(kr->slots, kr->cap * sizeof *kr->slots);
	free(kr->slots);
	free(kr);
}

const bft_slhdsa_params *bft_slhdsa_keyring_params(const bft_slhdsa_keyring *kr)
{
	return kr ? kr->p : NULL;
}

static struct slhdsa_slot *slot(const bft_slhdsa_keyring *kr, uint32_t id, int insert)
{
	struct slhdsa_slot *free_slot = NULL;
	for (size_t i = 0; i < kr->cap; i++) {
		if (kr->slots[i].used && kr->slots[i].id == id)
			return &kr->slots[i];
		if (!kr->slots[i].used && !free_slot)
			free_slot = &kr->slots[i];
	}
	return insert ? free_slot : NULL;
}

static int add(bft_slhdsa_keyring *kr, uint32_t id, const uint8_t *key, int secret)
{
	if (!kr || !key)
		return BFT_EINVAL;
	struct slhdsa_slot *s = slot(kr, id, 1);
	if (!s)
		return BFT_ENOMEM;
	OPENSSL_cleanse(s->key, sizeof s->key);
	memcpy(s->key, key, secret ? kr->p->sk_len : kr->p->pk_len);
	s->id = id;
	s->used = 1;
	s->secret = secret;
	return 0;
}

int bft_slhdsa_keyring_add_private(bft_slhdsa_keyring *kr, uint32_t id, const uint8_t *sk)
{
	return add(kr, id, sk, 1);
}

int bft_slhdsa_keyring_add_public(bft_slhdsa_keyring *kr, uint32_t id, const uint8_t *pk)
{
	return add(kr, id, pk, 0);
}

static int slh_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	bft_slhdsa_keyring *kr = ctx;
	struct slhdsa_slot *s = slot(kr, self, 0);
	if (!s || !s->secret)
		return BFT_EINVAL;
	return bft_slhdsa_sign(kr->p, sig, msg, len, context, sizeof context - 1, s->key, 1);
}

static int slh_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	bft_slhdsa_keyring *kr = ctx;
	struct slhdsa_slot *s = slot(kr, from, 0);
	if (!s)
		return BFT_EINVAL;
	/* A secret key ends with its public key (SK.seed SK.prf PK.seed PK.root). */
	const uint8_t *pk = s->secret ? s->key + 2 * kr->p->n : s->key;
	return bft_slhdsa_verify(kr->p, msg, len, context, sizeof context - 1, sig, sig_len, pk);
}

void bft_signer_slhdsa(bft_signer *out, bft_slhdsa_keyring *kr)
{
	out->name = kr->p->name;
	out->sig_len = kr->p->sig_len;
	out->sign = slh_sign;
	out->verify = slh_verify;
	out->ctx = kr;
}
