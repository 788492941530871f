/* SPDX-License-Identifier: MIT */
/*
 * AEAD_AES_SIV_CMAC_256 on OpenSSL 3's EVP (aes_siv.h): RFC 5297 composed
 * of AES-128, CMAC (RFC 4493) for S2V and the counter mode, and OpenSSL's
 * own EVP "AES-128-SIV" as the reference the tests hold it to. CMAC runs on
 * EVP "AES-128-CBC" (CMAC is CBC-MAC with its last block tweaked, so a whole
 * message is one call), the counter mode's key stream on EVP "AES-128-ECB":
 * OpenSSL's AES, with the CPU's AES instructions inside it where it has
 * them; see aes_siv.h for why.
 */
#include "proto/aes_siv.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <bftime/common.h>

struct bft_siv {
	EVP_CIPHER *cipher; /* AES-128-SIV: the reference path (bft_siv_seal_evp) */
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *ecb;    /* AES-128-ECB: the counter mode's key stream */
	EVP_CIPHER *cbc;    /* AES-128-CBC: CMAC (S2V), a message per call */
	/* Keyed contexts, two of each, least recently used replaced: an NTS
	 * server alternates between its cookie key and a session's keys, so
	 * the cookie key's schedule, CMAC subkeys and S2V's first block
	 * (CMAC of zero) stay computed. The keys are held until
	 * bft_siv_free, which wipes them. */
	struct slot {
		EVP_CIPHER_CTX *ctx;
		bool valid;
		uint64_t used;
		uint8_t key[16];
		uint8_t k1[16], k2[16], d0[16]; /* CMAC slots: subkeys, CMAC(0^128) */
		uint8_t chain[16]; /* CMAC slots: the CBC context's chaining value (its last output) */
	} e[2], c[2];
	struct slot *cur; /* the CMAC slot in use */
	uint64_t tick;
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
	s->ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	s->cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	s->cur = &s->e[0];
	if (!s->cipher || !s->ecb || !s->cbc || EVP_CIPHER_get_key_length(s->cipher) != BFT_SIV_KEY_LEN) {
		snprintf(err, errlen, "OpenSSL has no %s (AEAD_AES_SIV_CMAC_256 needs OpenSSL 3.0's default provider)",
		         !s->cipher ? "AES-128-SIV cipher" : !s->ecb ? "AES-128-ECB" : !s->cbc ? "AES-128-CBC"
		                                                                        : "32-byte AES-128-SIV key");
		bft_siv_free(s);
		return BFT_EINVAL;
	}
	s->ctx = EVP_CIPHER_CTX_new();
	bool ok = s->ctx != NULL;
	/* The ciphers are bound once: a later init with a NULL cipher only
	 * re-keys (with one, OpenSSL frees and reallocates the context). */
	for (int i = 0; i < 2; i++) {
		s->e[i].ctx = EVP_CIPHER_CTX_new();
		s->c[i].ctx = EVP_CIPHER_CTX_new();
		ok = ok && s->e[i].ctx && s->c[i].ctx && EVP_EncryptInit_ex2(s->e[i].ctx, s->cbc, NULL, NULL, NULL) == 1 &&
		     EVP_CIPHER_CTX_set_padding(s->e[i].ctx, 0) == 1 &&
		     EVP_EncryptInit_ex2(s->c[i].ctx, s->ecb, NULL, NULL, NULL) == 1 &&
		     EVP_CIPHER_CTX_set_padding(s->c[i].ctx, 0) == 1;
	}
	if (!ok) {
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
	for (int i = 0; i < 2; i++) {
		EVP_CIPHER_CTX_free(s->e[i].ctx);
		EVP_CIPHER_CTX_free(s->c[i].ctx);
	}
	EVP_CIPHER_free(s->cipher);
	EVP_CIPHER_free(s->ecb);
	EVP_CIPHER_free(s->cbc);
	OPENSSL_cleanse(s->e, sizeof s->e);
	OPENSSL_cleanse(s->c, sizeof s->c);
	free(s);
}

/* d ^= a over n bytes, eight at a time (byte loops were most of this
 * file's own time in a profile of the NTS server). */
static void xor_into(uint8_t *d, const uint8_t *a, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, d + i, 8);
		memcpy(&y, a + i, 8);
		x ^= y;
		memcpy(d + i, &x, 8);
	}
	for (; i < n; i++)
		d[i] ^= a[i];
}

/* Doubling in GF(2^128) (RFC 5297 2.3): d as a 128-bit big-endian
 * number shifted left by one, 0x87 folded in when a bit falls off. */
static void dbl(uint8_t d[16])
{
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | d[i];
		lo = lo << 8 | d[8 + i];
	}
	uint64_t carry = hi >> 63;
	hi = hi << 1 | lo >> 63;
	lo = lo << 1 ^ (0x87 & (0 - carry));
	for (int i = 7; i >= 0; i--) {
		d[i] = (uint8_t)hi;
		d[8 + i] = (uint8_t)lo;
		hi >>= 8;
		lo >>= 8;
	}
}

/* n blocks through the CMAC slot's CBC context (out may be in): each
 * output is AES of its input xored with the previous output, the first's
 * with the chaining value the slot carries. */
static int cbc(bft_siv *s, uint8_t *out, const uint8_t *in, size_t n)
{
	int l = 0;
	if (EVP_EncryptUpdate(s->cur->ctx, out, &l, in, (int)(16 * n)) != 1 || l != (int)(16 * n))
		return BFT_EINVAL;
	memcpy(s->cur->chain, out + 16 * (n - 1), 16);
	return 0;
}

/* One AES block under the CMAC key: fed xored with the chaining value,
 * which the CBC step xors back out. */
static int aes(bft_siv *s, uint8_t out[16], const uint8_t in[16])
{
	uint8_t x[16];
	memcpy(x, in, 16);
	xor_into(x, s->cur->chain, 16);
	return cbc(s, out, x, 1);
}

/* The slot of t holding key (hit: 1), or the least recently used one,
 * marked invalid, for the caller to key (miss: 0). */
static int slot_for(bft_siv *s, struct slot *t, const uint8_t key[16], struct slot **out)
{
	struct slot *lru = &t[0];
	for (int i = 0; i < 2; i++) {
		if (t[i].valid && CRYPTO_memcmp(t[i].key, key, 16) == 0) {
			t[i].used = ++s->tick;
			*out = &t[i];
			return 1;
		}
		if (t[i].used < lru->used)
			lru = &t[i];
	}
	lru->valid = false;
	lru->used = ++s->tick;
	*out = lru;
	return 0;
}

static int cmac(bft_siv *s, uint8_t out[16], const uint8_t *p, size_t len, const uint8_t *tail_xor);

/* Key the CMAC: AES key schedule and the subkeys K1 = dbl(L), K2 = dbl(K1),
 * L = AES(0) (RFC 4493 2.3); and S2V's first block, CMAC(0^128). */
static int cmac_key(bft_siv *s, const uint8_t key[16])
{
	static const uint8_t zero[16];
	if (slot_for(s, s->e, key, &s->cur))
		return 0;
	struct slot *e = s->cur;
	if (EVP_EncryptInit_ex2(e->ctx, NULL, key, zero, NULL) != 1)
		return BFT_EINVAL;
	memset(e->chain, 0, 16); /* the IV just set */
	if (aes(s, e->k1, zero) != 0)
		return BFT_EINVAL;
	dbl(e->k1);
	memcpy(e->k2, e->k1, 16);
	dbl(e->k2);
	if (cmac(s, e->d0, zero, sizeof zero, NULL) != 0)
		return BFT_EINVAL;
	memcpy(e->key, key, 16);
	e->valid = true;
	return 0;
}

#define CMAC_CHUNK 64 /* blocks per CBC call; an NTS packet is at most 80 */

/*
 * CMAC (RFC 4493) of p[0 .. len), its last 16 bytes xored with tail_xor
 * when given (S2V's "xorend"; len >= 16 then): CBC-MAC with a zero IV over
 * the message, its last block xored with K1 when complete, else padded
 * (0x80, zeros) and xored with K2; the tag is the last CBC output. The
 * message is copied into a buffer a chunk at a time, the tweaks applied
 * there, and the first block xored with the slot's chaining value, which
 * stands in for the zero IV; a message of up to 64 blocks is one call.
 */
static int cmac(bft_siv *s, uint8_t out[16], const uint8_t *p, size_t len, const uint8_t *tail_xor)
{
	const struct slot *e = s->cur;
	uint8_t buf[CMAC_CHUNK * 16];
	size_t nb = len ? (len + 15) / 16 : 1, used = 0;
	int rc = 0;
	for (size_t b = 0; b < nb && rc == 0;) {
		size_t k = nb - b < CMAC_CHUNK ? nb - b : CMAC_CHUNK, off = 16 * b;
		size_t have = len - off < 16 * k ? len - off : 16 * k; /* message bytes in this chunk */
		if (have)
			memcpy(buf, p + off, have);
		if (tail_xor) { /* the part of [len - 16, len) in this chunk */
			size_t t0 = len - 16, g0 = t0 > off ? t0 : off, g1 = off + have;
			if (g0 == t0 && g1 == len)
				xor_into(buf + (t0 - off), tail_xor, 16);
			else /* it straddles two chunks */
				for (size_t g = g0; g < g1; g++)
					buf[g - off] ^= tail_xor[g - t0];
		}
		if (b + k == nb) { /* the last block */
			uint8_t *last = buf + 16 * (k - 1);
			const uint8_t *key = len && len % 16 == 0 ? e->k1 : e->k2;
			if (have < 16 * k) {
				buf[have] = 0x80;
				memset(buf + have + 1, 0, 16 * k - have - 1);
			}
			xor_into(last, key, 16);
		}
		if (b == 0)
			xor_into(buf, e->chain, 16);
		rc = cbc(s, buf, buf, k);
		used = used > 16 * k ? used : 16 * k;
		b += k;
	}
	if (rc == 0)
		memcpy(out, s->cur->chain, 16);
	OPENSSL_cleanse(buf, used);
	return rc;
}

/* S2V (RFC 5297 2.4) under the first half of key, over the AD components
 * and the plaintext pt (possibly empty). */
static int s2v(bft_siv *s, uint8_t v[16], const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
               const uint8_t *pt, size_t pt_len)
{
	uint8_t d[16], t[16];
	int rc = BFT_EINVAL;
	if (cmac_key(s, key) != 0)
		goto out;
	memcpy(d, s->cur->d0, 16);
	for (size_t i = 0; i < n_ad; i++) {
		if (cmac(s, t, ad[i].p, ad[i].len, NULL) != 0)
			goto out;
		dbl(d);
		xor_into(d, t, 16);
	}
	if (pt_len >= 16) {
		rc = cmac(s, v, pt, pt_len, d); /* T = pt xorend D */
	} else {
		/* T = dbl(D) xor pad(pt): pt, then 0x80, then zeros. */
		dbl(d);
		for (size_t j = 0; j < pt_len; j++)
			d[j] ^= pt[j];
		d[pt_len] ^= 0x80;
		rc = cmac(s, v, d, 16, NULL);
	}
out:
	OPENSSL_cleanse(d, sizeof d);
	OPENSSL_cleanse(t, sizeof t);
	return rc;
}

/* AES-CTR under the second half of key from the SIV with bits 31 and 63
 * (counting from the right) cleared, as RFC 5297 2.5 has it. The key
 * stream is AES-ECB of the counter blocks, up to 32 blocks per call: with
 * the key kept scheduled in a slot, there is no per-message init at all
 * (EVP's CTR needs one to set the IV, with its parameter lookups). */
static int ctr(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const uint8_t siv[16], const uint8_t *in,
               size_t len)
{
	uint8_t q[16], blocks[32 * 16], ks[32 * 16];
	memcpy(q, siv, 16);
	q[8] &= 0x7F;
	q[12] &= 0x7F;
	struct slot *c;
	if (!slot_for(s, s->c, key + 16, &c)) {
		if (EVP_EncryptInit_ex2(c->ctx, NULL, key + 16, NULL, NULL) != 1)
			return BFT_EINVAL;
		memcpy(c->key, key + 16, 16);
		c->valid = true;
	}
	int rc = 0;
	size_t used = 0; /* bytes of ks written: wiped at the end */
	for (size_t done = 0; done < len && rc == 0;) {
		size_t n = (len - done + 15) / 16;
		if (n > 32)
			n = 32;
		for (size_t b = 0; b < n; b++) {
			memcpy(blocks + 16 * b, q, 16);
			for (int i = 15; i >= 0 && ++q[i] == 0; i--) /* the counter: +1 mod 2^128 */
				;
		}
		used = used > 16 * n ? used : 16 * n;
		int l = 0;
		if (EVP_EncryptUpdate(c->ctx, ks, &l, blocks, (int)(16 * n)) != 1 || l != (int)(16 * n)) {
			rc = BFT_EINVAL;
			break;
		}
		size_t k = len - done < 16 * n ? len - done : 16 * n;
		if (out + done != in + done)
			memmove(out + done, in + done, k);
		xor_into(out + done, ks, k);
		done += k;
	}
	OPENSSL_cleanse(ks, used);
	return rc;
}

static int check_ad(const bft_siv_ad *ad, size_t n_ad)
{
	/* OpenSSL's SIV skips a zero-length AD update instead of making it a
	 * component, and the two paths must agree; NTS never has one. */
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
	if (!s || !out || !key || check_ad(ad, n_ad) != 0 || pt_len > INT32_MAX - 16 || (pt_len && !pt))
		return BFT_EINVAL;
	if (s2v(s, out, key, ad, n_ad, pt, pt_len) != 0)
		return BFT_EINVAL;
	return pt_len ? ctr(s, out + BFT_SIV_TAG_LEN, key, out, pt, pt_len) : 0;
}

int bft_siv_open(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                 const uint8_t *in, size_t in_len)
{
	if (!s || !key || !in || in_len < BFT_SIV_TAG_LEN || in_len > INT32_MAX || check_ad(ad, n_ad) != 0)
		return BFT_EINVAL;
	size_t n = in_len - BFT_SIV_TAG_LEN;
	if (n && !out)
		return BFT_EINVAL;
	uint8_t v[16];
	int rc = n ? ctr(s, out, key, in, in + BFT_SIV_TAG_LEN, n) : 0;
	if (rc == 0)
		rc = s2v(s, v, key, ad, n_ad, out, n);
	if (rc == 0 && CRYPTO_memcmp(v, in, 16) != 0)
		rc = BFT_EINVAL;
	if (rc != 0 && n)
		OPENSSL_cleanse(out, n);
	return rc;
}

/* ---- the reference path: OpenSSL's own AES-128-SIV ---------------------- */

int bft_siv_seal_evp(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                     const uint8_t *pt, size_t pt_len)
{
	if (!s || !out || !key || check_ad(ad, n_ad) != 0 || pt_len == 0 || pt_len > INT32_MAX - 16)
		return BFT_EINVAL;
	int l = 0, ok = EVP_EncryptInit_ex2(s->ctx, s->cipher, key, NULL, NULL) == 1;
	for (size_t i = 0; ok && i < n_ad; i++)
		ok = EVP_EncryptUpdate(s->ctx, NULL, &l, ad[i].p, (int)ad[i].len) == 1;
	ok = ok && EVP_EncryptUpdate(s->ctx, out + BFT_SIV_TAG_LEN, &l, pt, (int)pt_len) == 1 && l == (int)pt_len;
	ok = ok && EVP_EncryptFinal_ex(s->ctx, out + BFT_SIV_TAG_LEN + pt_len, &l) == 1;
	ok = ok && EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_AEAD_GET_TAG, BFT_SIV_TAG_LEN, out) == 1;
	return ok ? 0 : BFT_EINVAL;
}

int bft_siv_open_evp(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                 const uint8_t *in, size_t in_len)
{
	if (!s || !key || !in || in_len < BFT_SIV_TAG_LEN || in_len > INT32_MAX || check_ad(ad, n_ad) != 0)
		return BFT_EINVAL;
	size_t n = in_len - BFT_SIV_TAG_LEN;
	if (n == 0)
		return BFT_EINVAL; /* OpenSSL's SIV cannot: see aes_siv.h */
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
