/* SPDX-License-Identifier: MIT */
/*
 * AEAD_AES_SIV_CMAC_256 (RFC 5297, as RFC 8915's NTS uses it): a 32-byte key
 * (the first half keys CMAC, the second CTR), any number of associated-data
 * components (the nonce, when there is one, is the last of them), and the
 * output SIV || ciphertext, 16 bytes longer than the plaintext.
 *
 * OpenSSL 3.0 provides the mode as "AES-128-SIV" through EVP_CIPHER_fetch
 * (checked at bft_siv_new, which fails cleanly when a provider lacks it), and
 * bft_siv_seal_evp/bft_siv_open_evp use it. The NTS paths use
 * bft_siv_seal/bft_siv_open instead: the same RFC 5297 construction composed
 * here of EVP AES-128-CBC (CMAC, RFC 4493, for S2V: CBC-MAC with its last
 * block tweaked, a message per call) and AES-128-ECB (the counter mode's
 * key stream), for two reasons.
 * OpenSSL's SIV refuses an empty plaintext (its final step fails unless a
 * non-empty encrypt ran), and NTS clients authenticate requests with nothing
 * to encrypt. And it is slow for packets this small: each init looks up its
 * CBC and CTR ciphers and CMAC by name and allocates contexts, which made an
 * NTS exchange cost 3x chronyd's (docs/benchmarks.md), and OpenSSL's
 * EVP_MAC CMAC spends more on parameter lookups than on AES for a few
 * blocks; the composed path keeps the last two keys of each half scheduled
 * (with the CBC context's chaining value, which stands in for CMAC's zero
 * IV) and then only encrypts blocks. The two
 * paths are held to each other on random inputs and to RFC 5297's vectors
 * in tests/unit/test_nts.c.
 *
 * An object holds the fetched algorithms and their contexts, so a caller
 * pays the fetch once; it is not thread-safe (one per thread). Keys are the
 * caller's; contexts are reset after each use.
 */
#ifndef BFTIME_PROTO_AES_SIV_H
#define BFTIME_PROTO_AES_SIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFT_SIV_KEY_LEN 32
#define BFT_SIV_TAG_LEN 16
#define BFT_SIV_MAX_AD 8 /* associated-data components per call */

typedef struct bft_siv bft_siv;

typedef struct bft_siv_ad {
	const uint8_t *p;
	size_t len;
} bft_siv_ad;

/* 0, or BFT_EINVAL when OpenSSL has no AES-128-SIV or CMAC (err names it),
 * BFT_ENOMEM. */
int bft_siv_new(bft_siv **out, char *err, size_t errlen);
void bft_siv_free(bft_siv *s);

/* out[0 .. pt_len + 16) = SIV || ciphertext. out may not overlap pt.
 * Returns 0 or BFT_EINVAL (n_ad > BFT_SIV_MAX_AD, or OpenSSL failed). */
int bft_siv_seal(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad, size_t n_ad,
                 const uint8_t *pt, size_t pt_len);

/* Checks and decrypts in[0 .. in_len) (SIV || ciphertext, in_len >= 16) into
 * out[0 .. in_len - 16). Returns 0, or BFT_EINVAL when the input does not
 * authenticate (out is then zeroed) or is shorter than the SIV. */
__attribute__((warn_unused_result)) int bft_siv_open(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN],
                                                     const bft_siv_ad *ad, size_t n_ad, const uint8_t *in,
                                                     size_t in_len);

/* The same through OpenSSL's EVP "AES-128-SIV" (a non-empty plaintext
 * only: BFT_EINVAL for an empty one): the reference for the tests. */
int bft_siv_seal_evp(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN], const bft_siv_ad *ad,
                     size_t n_ad, const uint8_t *pt, size_t pt_len);
__attribute__((warn_unused_result)) int bft_siv_open_evp(bft_siv *s, uint8_t *out, const uint8_t key[BFT_SIV_KEY_LEN],
                                                         const bft_siv_ad *ad, size_t n_ad, const uint8_t *in,
                                                         size_t in_len);

#endif
