/* SPDX-License-Identifier: MIT */
/*
 * Ed25519 signatures through OpenSSL libcrypto, behind the bft_signer table.
 * Keys live in a keyring: an open-addressing table from node id to the
 * node's EVP_PKEY (private for our own keys, public for pinned peers). A
 * slot may hold an ECDSA P-256 key instead (a node whose key is in a
 * secure element, p256.h): its signatures are 64 bytes too, and the
 * table's sign and verify dispatch on the key's type.
 */
#include "proto/sign.h"

#include <stdlib.h>

#include <openssl/evp.h>

#include <bftime/common.h>

#include "proto/p256.h"

struct slot {
	uint32_t id;
	int used;
	EVP_PKEY *key;
};

struct bft_keyring {
	size_t cap, count; /* cap is a power of two, at least 2x max_keys */
	struct slot *slots;
};

int bft_keyring_create(bft_keyring **out, size_t max_keys)
{
	if (!out || max_keys == 0 || max_keys > (SIZE_MAX / sizeof(struct slot)) / 4)
		return BFT_EINVAL;
	size_t cap = 16;
	while (cap < 2 * max_keys)
		cap *= 2;
	bft_keyring *kr = calloc(1, sizeof *kr);
	struct slot *s = calloc(cap, sizeof *s);
	if (!kr || !s) {
		free(kr);
		free(s);
		return BFT_ENOMEM;
	}
	kr->cap = cap;
	kr->slots = s;
	*out = kr;
	return 0;
}

void bft_keyring_destroy(bft_keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->cap; i++)
		EVP_PKEY_free(kr->slots[i].key);
	free(kr->slots);
	free(kr);
}

static struct slot *find(const bft_keyring *kr, uint32_t id, int insert)
{
	size_t mask = kr->cap - 1, i = (size_t)(id * 0x9e3779b1u) & mask;
	for (;;) {
		struct slot *s = &kr->slots[i];
		if (!s->used)
			return insert ? s : NULL;
		if (s->id == id)
			return s;
		i = (i + 1) & mask;
	}
}

static int add(bft_keyring *kr, uint32_t id, EVP_PKEY *key)
{
	if (!key)
		return BFT_EINVAL;
	struct slot *s = find(kr, id, 1);
	if (!s->used) {
		if (2 * (kr->count + 1) > kr->cap) {
			EVP_PKEY_free(key);
			return BFT_ENOMEM;
		}
		kr->count++;
	}
	EVP_PKEY_free(s->key);
	s->id = id;
	s->used = 1;
	s->key = key;
	return 0;
}

int bft_keyring_add_private(bft_keyring *kr, uint32_t id, const uint8_t seed[BFT_ED25519_KEY])
{
	if (!kr || !seed)
		return BFT_EINVAL;
	return add(kr, id, EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, BFT_ED25519_KEY));
}

int bft_keyring_add_public(bft_keyring *kr, uint32_t id, const uint8_t pub[BFT_ED25519_KEY])
{
	if (!kr || !pub)
		return BFT_EINVAL;
	return add(kr, id, EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, BFT_ED25519_KEY));
}

/* A P-256 node (a key in a secure element, p256.h): its slot holds an EC
 * key, and sign / verify below take the ECDSA path for it. */
int bft_keyring_add_public_p256(bft_keyring *kr, uint32_t id, const uint8_t pub[BFT_P256_PUB])
{
	if (!kr || !pub)
		return BFT_EINVAL;
	return add(kr, id, bft_p256_pkey(pub, NULL));
}

int bft_keyring_add_private_p256(bft_keyring *kr, uint32_t id, const uint8_t priv[BFT_P256_PRIV])
{
	if (!kr || !priv)
		return BFT_EINVAL;
	return add(kr, id, bft_p256_pkey(NULL, priv));
}

int bft_ed25519_public(uint8_t pub[BFT_ED25519_KEY], const uint8_t seed[BFT_ED25519_KEY])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, BFT_ED25519_KEY);
	size_t len = BFT_ED25519_KEY;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == BFT_ED25519_KEY;
	EVP_PKEY_free(k);
	return ok ? 0 : BFT_EINVAL;
}

static int ed_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	struct slot *s = find(ctx, self, 0);
	if (!s)
		return BFT_EINVAL;
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_EC)
		return bft_p256_sign_pkey(s->key, msg, len, sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sl = BFT_ED25519_SIG;
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, s->key) == 1 &&
	         EVP_DigestSign(md, sig, &sl, msg, len) == 1 && sl == BFT_ED25519_SIG;
	EVP_MD_CTX_free(md);
	return ok ? 0 : BFT_EINVAL;
}

static int ed_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	struct slot *s = find(ctx, from, 0);
	if (!s || sig_len != BFT_ED25519_SIG)
		return BFT_EINVAL;
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_EC) /* both signatures are 64 bytes */
		return bft_p256_verify_pkey(s->key, msg, len, sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, s->key) == 1 &&
	         EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : BFT_EINVAL;
}

void bft_signer_ed25519(bft_signer *out, bft_keyring *kr)
{
	out->name = "ed25519";
	out->sig_len = BFT_ED25519_SIG;
	out->sign = ed_sign;
	out->verify = ed_verify;
	out->ctx = kr;
}
