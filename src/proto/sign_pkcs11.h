/* SPDX-License-Identifier: MIT */
/*
 * A signer whose private key lives on a PKCS#11 token (a secure element, an
 * HSM, SoftHSM2 in the tests) and never leaves it: the key is generated on
 * the token (sensitive, not extractable) and the token signs. Ed25519
 * (CKM_EDDSA) and ECDSA P-256 (CKM_ECDSA over SHA-256, the only signature an
 * ATECC608A makes); both give 64-byte signatures (r || s for P-256).
 *
 * The token and key are named by an RFC 7512 URI (src/proto/pkcs11_uri.h).
 * The module is module-path, else p11-kit's proxy (every module p11-kit
 * knows); the PIN comes from pin-source (a file, "file:/path" or "/path",
 * not readable by others) or pin-value. The module is loaded with dlopen.
 *
 * A token that is removed, locked or answers errors makes sign fail with a
 * sentence naming the PKCS#11 return code (bft_pkcs11_error); the next sign
 * reopens the session (slot, login, key) so signing resumes when the token
 * returns. Peers' signatures are verified by the signer given at creation
 * (their pinned keys are ordinary public keys).
 *
 * Wired into bftimed (daemon/token.c, node.key: pkcs11:...) and the CLI
 * (bftime keygen --pkcs11); docs/pq.md.
 */
#ifndef BFTIME_PROTO_SIGN_PKCS11_H
#define BFTIME_PROTO_SIGN_PKCS11_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"

enum bft_pkcs11_kind { BFT_PKCS11_NONE = 0, BFT_PKCS11_ED25519 = 1, BFT_PKCS11_P256 = 2 };

#define BFT_PKCS11_SIG 64
#define BFT_PKCS11_MAX_PUB 65 /* P-256 uncompressed point; Ed25519: 32 */

typedef struct bft_pkcs11 bft_pkcs11;

/* Load the module, find the token, open a session and log in. On failure
 * *out is NULL and err holds the reason. */
int bft_pkcs11_open(bft_pkcs11 **out, const char *uri, char *err, size_t err_len);
void bft_pkcs11_close(bft_pkcs11 *t);
/* The last error, a sentence ("" if none). */
const char *bft_pkcs11_error(const bft_pkcs11 *t);

/* Logging in never locks a token (sign_pkcs11.c): a PIN the token refused
 * (CKR_PIN_INCORRECT, _LOCKED, _EXPIRED, _INVALID, _LEN_RANGE) is never
 * offered again, only a changed PIN file is tried; no login is attempted
 * while the token reports CKF_USER_PIN_LOCKED or CKF_USER_PIN_FINAL_TRY.
 * C_Login calls made and refused since open, and whether the last PIN
 * was refused. */
void bft_pkcs11_logins(const bft_pkcs11 *t, uint64_t *attempts, uint64_t *refused);
int bft_pkcs11_pin_refused(const bft_pkcs11 *t);

/* Generate a key pair on the token, labelled with the URI's object and id
 * (object is required), and select it. pub: Ed25519's 32 bytes or P-256's
 * 65-byte uncompressed point. */
int bft_pkcs11_keygen(bft_pkcs11 *t, enum bft_pkcs11_kind kind, uint8_t *pub, size_t *pub_len);
/* Select the URI's existing private key; its kind and public key out. */
int bft_pkcs11_load_key(bft_pkcs11 *t, enum bft_pkcs11_kind *kind, uint8_t *pub, size_t *pub_len);
/* Sign len bytes with the selected key: 64 bytes. */
int bft_pkcs11_sign(bft_pkcs11 *t, const uint8_t *msg, size_t len, uint8_t sig[BFT_PKCS11_SIG]);

/* The table: sign as node self with the token; verify with peers. */
void bft_signer_pkcs11(bft_signer *out, bft_pkcs11 *t, uint32_t self, const bft_signer *peers);

#endif
