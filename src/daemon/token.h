/* SPDX-License-Identifier: MIT */
/*
 * The node key in a PKCS#11 token (docs/pq.md): node.key set to an RFC 7512
 * URI ("pkcs11:token=bftime;object=node1;pin-source=/etc/bftime/pin")
 * instead of a key file. The private key was generated on the token
 * (bftime keygen --pkcs11 URI) and never leaves it: the token signs every
 * message and proof. Ed25519 (CKM_EDDSA) or ECDSA P-256 (CKM_ECDSA, an
 * ATECC608A's only kind): the peers pin a P-256 node by its point
 * (proto/p256.h), and it issues version-2 proofs of scheme p256.
 *
 * A signature the token refuses (removed, locked, an error) is logged once
 * with the PKCS#11 return code and counted; the message is not sent, so the
 * node keeps its time and stops signing. sign_pkcs11.c reopens the session
 * at the next signature, and the first that works again is logged.
 */
#ifndef BFTIME_DAEMON_TOKEN_H
#define BFTIME_DAEMON_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"
#include "proto/sign_pkcs11.h"

/* Whether a node.key value names a token rather than a file. */
bool bftd_key_is_pkcs11(const char *key);

typedef struct bftd_token bftd_token;

/* Open the token and its key: into pub the Ed25519 public key, or a P-256
 * key's id (SHA3-256 of its point, bftd_token_p256). On failure err says
 * why (the PKCS#11 call and code, or the key's kind). */
int bftd_token_open(bftd_token **out, const char *uri, uint8_t pub[32], char *err, size_t errlen);
/* The key's 65-byte P-256 point, or NULL for an Ed25519 key. */
const uint8_t *bftd_token_p256(const bftd_token *t);
/* Whether node.proofs fits the key: a P-256 key signs p256 proofs only, and
 * p256 proofs need a P-256 key (t NULL: a key file). 0 or BFT_EINVAL with
 * err saying what to set. */
int bftd_token_check_proofs(const bftd_token *t, const char *uri, uint8_t proof_scheme, char *err, size_t errlen);
void bftd_token_close(bftd_token *t);

/* The signer: node self signs on the token; peers' signatures are checked
 * by peers (their pinned keys). t and peers must outlive it. */
void bftd_token_signer(bft_signer *out, bftd_token *t, uint32_t self, const bft_signer *peers);

/* Signatures the token refused since open, and whether the last one failed. */
uint64_t bftd_token_failures(const bftd_token *t);
bool bftd_token_failing(const bftd_token *t);

#endif
