/* SPDX-License-Identifier: MIT */
/*
 * The signer interface: how the node signs its messages and checks its
 * peers', without knowing the algorithm. Implementations: Ed25519 through
 * OpenSSL (sign_ed25519.c), and a cheap keyed-hash stand-in for the
 * simulator's large runs (sign_sim.c), which is not secure and says so.
 * A PKCS#11 token holding an Ed25519 or an ECDSA P-256 key plugs in
 * behind the same table (sign_pkcs11.h); peers pin P-256 keys in the same
 * keyring (below, proto/p256.h). SLH-DSA (sign_slhdsa.c, below) does too, as far as
 * the node goes, but its signatures (7,856 to 49,856 bytes, FIPS 205)
 * do not fit the formats: wire v1 caps a message at 256 bytes and a TLV at
 * 255, proofs carry a 64-byte signature. docs/protocol.md says what a v2
 * would change.
 */
#ifndef BFTIME_PROTO_SIGN_H
#define BFTIME_PROTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

typedef struct bft_signer {
	const char *name;
	size_t sig_len;
	/* Sign msg as node `self`: 0 or negative. */
	int (*sign)(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig);
	/* 0 if sig is node `from`'s signature over msg (its key pinned in ctx);
	 * negative otherwise, including for unknown nodes. */
	int (*verify)(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len);
	void *ctx;
} bft_signer;

#endif

/*
 * The simulator's stand-in: a keyed 128-bit hash, where every node's key is
 * derived from one secret the whole simulated world shares. It catches
 * corruption and misattribution in simulation and costs ~20 ns; it is NOT a
 * signature (anyone with the secret can forge), so only bftime-sim uses it.
 * *secret must outlive the signer.
 */
void bft_signer_sim(bft_signer *out, const uint64_t *secret);

/*
 * Ed25519 through OpenSSL libcrypto: a keyring holding private keys (the
 * node's own; the simulator holds every node's) and pinned public keys.
 */
#define BFT_ED25519_KEY 32
#define BFT_ED25519_SIG 64
typedef struct bft_keyring bft_keyring;
int bft_keyring_create(bft_keyring **out, size_t max_keys);
void bft_keyring_destroy(bft_keyring *kr);
/* Add node id's private key from a 32-byte seed (its public key follows). */
int bft_keyring_add_private(bft_keyring *kr, uint32_t id, const uint8_t seed[BFT_ED25519_KEY]);
/* Pin node id's public key. */
int bft_keyring_add_public(bft_keyring *kr, uint32_t id, const uint8_t pub[BFT_ED25519_KEY]);
int bft_ed25519_public(uint8_t pub[BFT_ED25519_KEY], const uint8_t seed[BFT_ED25519_KEY]);
void bft_signer_ed25519(bft_signer *out, bft_keyring *kr);
/* A node whose key is ECDSA P-256 (a secure element's, proto/p256.h): pin
 * its 65-byte uncompressed point, or (tests, benchmark) hold its scalar.
 * The same table signs and verifies it (64-byte r || s over SHA-256). */
int bft_keyring_add_public_p256(bft_keyring *kr, uint32_t id, const uint8_t pub[65]);
int bft_keyring_add_private_p256(bft_keyring *kr, uint32_t id, const uint8_t priv[32]);

/*
 * SLH-DSA (FIPS 205, src/proto/slhdsa.h) through the same table, for time
 * proofs, never for the per-exchange datagrams (their wire format carries a
 * 64-byte Ed25519 signature; docs/pq.md). One parameter set per keyring;
 * signatures are pure SLH-DSA with context "bftime", hedged.
 *
 * Default for proofs: SLH-DSA-SHA2-128s. Against 128f its signature is less
 * than half the size (7,856 vs 17,088 bytes: every stored, gossiped and
 * served proof carries one) and it verifies ~3x faster (every verifier pays
 * that, per proof), while its slower signing (~0.6 s, docs/benchmarks.md) is
 * paid once per batch by the signer alone. SHA-2 over SHAKE: ~4x faster with
 * OpenSSL's SHA-256 here, same security category.
 */
#include "proto/slhdsa.h"
#define BFT_SLHDSA_PROOF_DEFAULT BFT_SLHDSA_SHA2_128S
typedef struct bft_slhdsa_keyring bft_slhdsa_keyring;
int bft_slhdsa_keyring_create(bft_slhdsa_keyring **out, bft_slhdsa_id set, size_t max_keys);
void bft_slhdsa_keyring_destroy(bft_slhdsa_keyring *kr);
const bft_slhdsa_params *bft_slhdsa_keyring_params(const bft_slhdsa_keyring *kr);
/* Our own key: sk is the set's sk_len bytes (bft_slhdsa_keygen's output). */
int bft_slhdsa_keyring_add_private(bft_slhdsa_keyring *kr, uint32_t id, const uint8_t *sk);
/* Pin node id's public key (pk_len bytes). */
int bft_slhdsa_keyring_add_public(bft_slhdsa_keyring *kr, uint32_t id, const uint8_t *pk);
void bft_signer_slhdsa(bft_signer *out, bft_slhdsa_keyring *kr);
