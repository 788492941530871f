/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA, the stateless hash-based signature of FIPS 205 (SPHINCS+ as
 * standardised), implemented from the standard on OpenSSL's SHA-2, HMAC and
 * SHAKE256 (EVP): Debian 12's OpenSSL 3.0 has no SLH-DSA. All twelve
 * parameter sets (SHA2 / SHAKE x 128 / 192 / 256 x s / f) run through the same
 * code, driven by a parameter record. Internal to libbftime (src/proto), not
 * in include/bftime/: applications of the library read time, they do not sign.
 *
 * Sizes (bytes): public key 2n, secret key 4n, signature
 * n (1 + k (1 + a) + h + d (2n + 3)): 7,856 (128s) to 49,856 (256f).
 * Costs (docs/benchmarks.md): the 's' sets sign in 0.5 to 3 s and verify in
 * 0.2 to 2 ms; the 'f' sets sign ~10-20x faster, verify ~2-4x slower and
 * have signatures 2x larger. The SHA-2 sets are 3-5x faster than SHAKE.
 *
 * Secrets (SK.seed, SK.prf and every WOTS+ / FORS secret value derived from
 * them) are wiped with OPENSSL_cleanse before the functions return. No
 * branch or memory index depends on a secret: the indices that steer signing
 * (the FORS leaves, the hypertree leaf, the WOTS+ chain lengths) come from
 * the message digest and are public, as the signature reveals them.
 *
 * Messages: the "pure" functions sign M' = 0x00 || |ctx| || ctx || M, the
 * "prehash" ones M' = 0x01 || |ctx| || ctx || OID(PH) || PH(M) (FIPS 205
 * section 10.2), with a context string ctx of at most 255 bytes. The
 * *_internal functions are FIPS 205's slh_*_internal: they sign M as given
 * (ACVP tests them; protocols should not).
 *
 * Every function returns 0 on success or a negative BFT_E* code; verify
 * returns 0 only for a valid signature.
 */
#ifndef BFTIME_PROTO_SLHDSA_H
#define BFTIME_PROTO_SLHDSA_H

#include <stddef.h>
#include <stdint.h>

/* The largest sizes over all parameter sets, for callers' buffers. */
#define BFT_SLHDSA_MAX_N 32
#define BFT_SLHDSA_MAX_PK 64
#define BFT_SLHDSA_MAX_SK 128
#define BFT_SLHDSA_MAX_SIG 49856
#define BFT_SLHDSA_MAX_CTX 255

typedef enum bft_slhdsa_id {
	BFT_SLHDSA_SHA2_128S,
	BFT_SLHDSA_SHA2_128F,
	BFT_SLHDSA_SHA2_192S,
	BFT_SLHDSA_SHA2_192F,
	BFT_SLHDSA_SHA2_256S,
	BFT_SLHDSA_SHA2_256F,
	BFT_SLHDSA_SHAKE_128S,
	BFT_SLHDSA_SHAKE_128F,
	BFT_SLHDSA_SHAKE_192S,
	BFT_SLHDSA_SHAKE_192F,
	BFT_SLHDSA_SHAKE_256S,
	BFT_SLHDSA_SHAKE_256F,
	BFT_SLHDSA_COUNT
} bft_slhdsa_id;

/* One parameter set (FIPS 205 table 2). lg_w is 4 for every set. */
typedef struct bft_slhdsa_params {
	const char *name; /* "SLH-DSA-SHA2-128s", as FIPS 205 and ACVP spell it */
	bft_slhdsa_id id;
	int shake;        /* 1: SHAKE256 family; 0: SHA-2 family */
	unsigned n;       /* hash output, bytes: 16, 24 or 32 */
	unsigned h;       /* total hypertree height */
	unsigned d;       /* layers */
	unsigned hp;      /* h' = h / d, one XMSS tree's height */
	unsigned a;       /* FORS tree height */
	unsigned k;       /* FORS trees */
	unsigned m;       /* H_msg output, bytes */
	size_t pk_len, sk_len, sig_len;
} bft_slhdsa_params;

/* NULL for an unknown id or name (names compare case-insensitively, and
 * the "SLH-DSA-" prefix is optional: "sha2-128s" works). */
const bft_slhdsa_params *bft_slhdsa_params_get(bft_slhdsa_id id);
const bft_slhdsa_params *bft_slhdsa_params_by_name(const char *name);

/* FIPS 205 algorithm 18: keys from the three n-byte seeds. sk: p->sk_len
 * bytes (SK.seed || SK.prf || PK.seed || PK.root), pk: p->pk_len. */
int bft_slhdsa_keygen_internal(const bft_slhdsa_params *p, uint8_t *sk, uint8_t *pk, const uint8_t *sk_seed,
                               const uint8_t *sk_prf, const uint8_t *pk_seed);
/* Algorithm 21: keys from OpenSSL's private DRBG (RAND_priv_bytes). */
int bft_slhdsa_keygen(const bft_slhdsa_params *p, uint8_t *sk, uint8_t *pk);

/* Algorithm 19 / 20 on M as given. addrnd: n bytes of fresh randomness for
 * hedged signing, or NULL for the deterministic variant (opt_rand = PK.seed).
 * sig: p->sig_len bytes. */
int bft_slhdsa_sign_internal(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                             const uint8_t *sk, const uint8_t *addrnd);
int bft_slhdsa_verify_internal(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                               size_t sig_len, const uint8_t *pk) __attribute__((warn_unused_result));

/* Pure SLH-DSA (algorithms 22 and 24). randomized: 1 draws addrnd from
 * RAND_priv_bytes (the default FIPS 205 recommends), 0 signs
 * deterministically. ctx may be NULL when ctx_len is 0. */
int bft_slhdsa_sign(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                    const uint8_t *ctx, size_t ctx_len, const uint8_t *sk, int randomized);
/* The same with the caller's addrnd (n bytes; NULL: deterministic): what
 * NIST's signature-generation vectors fix, to compare hedged signatures
 * byte for byte (tests/unit/test_slhdsa_acvp.c). */
int bft_slhdsa_sign_addrnd(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                           const uint8_t *ctx, size_t ctx_len, const uint8_t *sk, const uint8_t *addrnd);
int bft_slhdsa_verify(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *ctx,
                      size_t ctx_len, const uint8_t *sig, size_t sig_len, const uint8_t *pk)
	__attribute__((warn_unused_result));

/* Pre-hash SLH-DSA (algorithms 23 and 25): the pre-hash functions FIPS 205
 * lists with their OIDs. SHAKE128 yields 256 bits and SHAKE256 512. */
typedef enum bft_slhdsa_prehash {
	BFT_SLHDSA_PH_SHA224,
	BFT_SLHDSA_PH_SHA256,
	BFT_SLHDSA_PH_SHA384,
	BFT_SLHDSA_PH_SHA512,
	BFT_SLHDSA_PH_SHA512_224,
	BFT_SLHDSA_PH_SHA512_256,
	BFT_SLHDSA_PH_SHA3_224,
	BFT_SLHDSA_PH_SHA3_256,
	BFT_SLHDSA_PH_SHA3_384,
	BFT_SLHDSA_PH_SHA3_512,
	BFT_SLHDSA_PH_SHAKE128,
	BFT_SLHDSA_PH_SHAKE256,
	BFT_SLHDSA_PH_COUNT
} bft_slhdsa_prehash;

int bft_slhdsa_sign_prehash(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                            const uint8_t *ctx, size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sk,
                            int randomized);
int bft_slhdsa_sign_prehash_addrnd(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                                   const uint8_t *ctx, size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sk,
                                   const uint8_t *addrnd);
/* ACVP's names for the pre-hash functions ("SHA2-512/224", "SHAKE-128", ...). */
int bft_slhdsa_prehash_by_name(const char *name, bft_slhdsa_prehash *out);
int bft_slhdsa_verify_prehash(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *ctx,
                              size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sig, size_t sig_len,
                              const uint8_t *pk) __attribute__((warn_unused_result));

#endif
