/* SPDX-License-Identifier: MIT */
/*
 * AEAD_AES_SIV_CMAC_256 on OpenSSL 3 (aes_siv.h): EVP "AES-128-SIV" for a
 * non-empty plaintext, S2V on EVP_MAC "CMAC" for an empty one (OpenSSL's
 * SIV cannot finish without a plaintext).
 */
#include "proto/aes_siv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <bftime/common.h>

struct bft_siv {
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx;
};

int bft_siv_new(bft_siv **out, char *err, size_t errlen)
{
	*out = NULL;
	bft_siv *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	s->cipher = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
	s->mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!s->cipher || !s->mac || EVP_CIPHER_get_key_length(s->cipher) != BFT_SIV_KEY_LEN) {
		snprintf(err, errlen, "OpenSSL has no %s (AEAD_AES_SIV_CMAC_256 needs OpenSSL 3.0's default provider)",
		         !s->cipher ? "AES-128-SIV cipher" : !s->mac ? "CMAC" : "32-byte AES-128-SIV key");
		bft_siv_free(s);
		return BFT_EINVAL;
	}
	s->ctx = EVP_CIPHER_CTX_new();
	s->mctx = EVP_MAC_CTX_new(s->mac);
	if (!s->ctx || !s->mctx) {
		snprintf(err, errlen, "out of memory");
		bft_siv_free(s);
		return BFT_ENOMEM;
	}
	*out = s;
	return 0;
}

void bft_siv_free(bft_siv *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	EVP_MAC_CTX_free(s->mctx);
	EVP_CIPHER_free(s->cipher);
	EVP_MAC_free(s->mac);
	free(s);
}

static int cmac(bft_siv *s, uint8_t out[16], const uint8_t key[16], const uint8_t *p, size_t len)
{
	char cbc[] = "AES-128-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc, 0), OSSL_PARAM_END };
	size_t n = 0;
	if (EVP_MAC_init(s->mctx, key, 16, params) != 1 || EVP_MAC_update(s->mctx, p, len) != 1 ||
	    EVP_MAC_final(s->mctx, out, &n, 16) != 1 || n != 16)
		return BFT_EINVAL;
	return 0;
}

/* Doubling in GF(2^128) (RFC 5297 2.3). */
static void dbl(uint8_t d[16])
{
	uint8_t carry = d[0] >> 7;
	for (int i = 0; i < 15; i++)
		d[i] = (uint8_t)(d[i] << 1 | d[i + 1] >> 7);
	d[15] = (uint8_t)(d[15] << 1 ^ (carry ? 0x87 : 0));
}

/* S2V (RFC 5297 2.4) over the AD components and an EMPTY plaintext: the SIV
 * of (ad, "") is the whole output. */
static int s2v_empty(bft_siv *s, uint8_t v[16], const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad,
                     size_t n_ad)
{
	static const uint8_t zero[16];
	uint8_t d[16], t[16];
	if (cmac(s, d, key, zero, sizeof zero) != 0)
		return BFT_EINVAL;
	for (size_t i = 0; i < n_ad; i++) {
		if (cmac(s, t, key, ad[i].p, ad[i].len) != 0)
			return BFT_EINVAL;
		dbl(d);
		for (int j = 0; j < 16; j++)
			d[j] ^= t[j];
	}
	/* The last string is empty, shorter than a block: dbl(D) xor pad(""). */
	dbl(d);
	d[0] ^= 0x80;
	int rc = cmac(s, v, key, d, sizeof d);
	OPENSSL_cleanse(d, sizeof d);
	OPENSSL_cleanse(t, sizeof t);
	return rc;
}

static int check_ad(const bft_siv_ad *ad, size_t n_ad)
{
	/* OpenSSL skips a zero-length AD update instead of making it a
	 * component; NTS never has one, so refuse rather than differ. */
	if (n_ad > BFT_SIV_MAX_AD)
		return BFT_EINVAL;
	for (size_t i = 0; i < n_ad; i++)
		if (!ad[i].p || ad[i].len == 0 || ad[i].len > INT32_MAX)
			return BFT_EINVAL;
	return 0;
}

int bft_siv_seal(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                 const uint8_t *pt, size_t pt_len)
{
	if (!s || !out || !key || check_ad(ad, n_ad) != 0 || pt_len > INT32_MAX - 16)
		return BFT_EINVAL;
	if (pt_len == 0)
		return s2v_empty(s, out, key, ad, n_ad);
	int l = 0, ok = EVP_EncryptInit_ex2(s->ctx, s->cipher, key, NULL, NULL) == 1;
	for (size_t i = 0; ok && i < n_ad; i++)
		ok = EVP_EncryptUpdate(s->ctx, NULL, &l, ad[i].p, (int)ad[i].len) == 1;
	ok = ok && EVP_EncryptUpdate(s->ctx, out + BFT_SIV_TAG_LEN, &l, pt, (int)pt_len) == 1 && l == (int)pt_len;
	ok = ok && EVP_EncryptFinal_ex(s->ctx, out + BFT_SIV_TAG_LEN + pt_len, &l) == 1;
	ok = ok && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, BFT_SIV_TAG_LEN, out) == 1;
	return ok ? 0 : BFT_EINVAL;
}

int bft_siv_open(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                 const uint8_t *in, size_t in_len)
{
	if (!s || !key || !in || in_len < BFT_SIV_TAG_LEN || in_len > INT32_MAX || check_ad(ad, n_ad) != 0)
		return BFT_EINVAL;
	size_t n = in_len - BFT_SIV_TAG_LEN;
	if (n == 0) {
		uint8_t v[16];
		int rc = s2v_empty(s, v, key, ad, n_ad);
		if (rc == 0 && CRYPTO_memcmp(v, in, 16) != 0)
			rc = BFT_EINVAL;
		return rc;
	}
	if (!out)
		return BFT_EINVAL;
	int l = 0, ok = EVP_DecryptInit_ex2(s->ctx, s->cipher, key, NULL, NULL) == 1;
	ok = ok && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_SET_TAG, BFT_SIV_TAG_LEN, (void *)in) == 1;
	for (size_t i = 0; ok && i < n_ad; i++)
		ok = EVP_DecryptUpdate(s->ctx, NULL, &l, ad[i].p, (int)ad[i].len) == 1;
	ok = ok && EVP_DecryptUpdate(s->ctx, out, &l, in + BFT_SIV_TAG_LEN, (int)n) == 1 && l == (int)n;
	ok = ok && EVP_DecryptFinal_ex(s->ctx, out + n, &l) == 1;
	if (!ok) {
		memset(out, 0, n);
		return BFT_EINVAL;
	}
	return 0;
}
