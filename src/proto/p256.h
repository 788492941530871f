/* SPDX-License-Identifier: MIT */
/*
 * ECDSA P-256 as bftime uses it: the signature a secure element such as
 * the ATECC608A makes (CKM_ECDSA through sign_pkcs11.c), so that peers and
 * proof verifiers can check a node whose key lives in one. Public keys are
 * SEC 1 uncompressed points (0x04 || x || y, 65 bytes), what the token
 * and `bftime keygen --pkcs11 URI --p256` give; signatures are r || s (32
 * bytes each, big-endian) over SHA-256 of the message, the 64 bytes the
 * wire format carries where an Ed25519 signature would be.
 *
 * A P-256 node is named where an Ed25519 key would be (a proof's 32-byte
 * key field, the pinned key the store and evidence compare) by its key
 * id: SHA3-256 of its 65-byte point. The point itself travels in the
 * version-2 proof's authenticator (proof_v2.h, scheme p256) and sits in
 * the peers' configurations; the id binds it.
 *
 * Everything goes through OpenSSL 3 EVP; the software signer (from a
 * 32-byte scalar) exists for the unit tests and the benchmark: bftimed
 * signs P-256 only on a token.
 */
#ifndef BFTIME_PROTO_P256_H
#define BFTIME_PROTO_P256_H

#include <stddef.h>
#include <stdint.h>

#include <bftime/common.h>

#define BFT_P256_PUB 65
#define BFT_P256_PRIV 32
#define BFT_P256_SIG 64
#define BFT_P256_ID 32

/* The key id of a point: SHA3-256(point). 0, or BFT_EINVAL when pub is not
 * an uncompressed point on P-256. */
BFT_WARN_UNUSED int bft_p256_key_id(uint8_t id[BFT_P256_ID], const uint8_t pub[BFT_P256_PUB]);

/* 0 if sig (r || s) is pub's ECDSA signature over SHA-256(msg); BFT_EINVAL
 * otherwise (including r or s zero or not below the group order). */
BFT_WARN_UNUSED int bft_p256_verify(const uint8_t pub[BFT_P256_PUB], const uint8_t *msg, size_t len,
                                    const uint8_t sig[BFT_P256_SIG]);

/* Software keys (tests, benchmark): a fresh scalar, its point, a signature. */
int bft_p256_keygen(uint8_t priv[BFT_P256_PRIV], uint8_t pub[BFT_P256_PUB]);
int bft_p256_public(uint8_t pub[BFT_P256_PUB], const uint8_t priv[BFT_P256_PRIV]);
int bft_p256_sign(const uint8_t priv[BFT_P256_PRIV], const uint8_t *msg, size_t len, uint8_t sig[BFT_P256_SIG]);

/* For the keyring (sign_ed25519.c): an EVP_PKEY from a point (priv NULL)
 * or a scalar, and sign / verify with one. */
struct evp_pkey_st;
struct evp_pkey_st *bft_p256_pkey(const uint8_t *pub, const uint8_t *priv);
int bft_p256_sign_pkey(struct evp_pkey_st *key, const uint8_t *msg, size_t len, uint8_t sig[BFT_P256_SIG]);
int bft_p256_verify_pkey(struct evp_pkey_st *key, const uint8_t *msg, size_t len, const uint8_t sig[BFT_P256_SIG]);

#endif
