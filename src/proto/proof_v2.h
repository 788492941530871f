/* SPDX-License-Identifier: MIT */
/*
 * Time proof version 2 (docs/proofs.md, docs/pq.md): signatures of any
 * standard size under a named scheme, one signature per batch. A node
 * builds a batch of its proofs' statements (bodies), computes the SHA3-256
 * Merkle tree over them (RFC 9162's tree shape, with its 0x00 leaf and 0x01
 * node prefixes so that a leaf can never pass for a node), signs the root
 * once, and gives each proof its inclusion path. Verifying one proof is
 * its path (about log2(batch) hashes) and the root's signature, which a
 * verifier checks once per batch and caches.
 *
 * Encoding (big-endian):
 *   body   the v1 layout up to its nonce (161 or 175 bytes), version 2
 *   auth   scheme (1: Ed25519, 2: SLH-DSA, 3: hybrid, both; 4: ECDSA P-256)
 *          set (the SLH-DSA parameter set, bft_slhdsa_id; 0 for Ed25519)
 *          batch size (2, 1..65535), index (2, < size)
 *          path length (1) and the path, leaf to root (32 bytes each);
 *            its length is the one the (index, size) tree shape has
 *          the SLH-DSA public key (the set's pk_len), when SLH-DSA signs
 *          the P-256 public key (65, uncompressed), scheme p256
 *          the Ed25519 signature (64), when Ed25519 signs; for p256
 *            in its place the ECDSA signature r || s (64) over SHA-256
 *          the SLH-DSA signature (the set's sig_len), when SLH-DSA signs
 * Every field is fixed by the ones before it, so the encoding stays
 * canonical except for the authenticator as a whole: the proof's hash (what
 * the chain and the store key on) covers the body only, and two valid
 * authenticators of one body are one proof.
 *
 * What is signed: "bftime-proof-batch-v2" || scheme || set || node id (4)
 * || the body's Ed25519 key (32) || the SLH-DSA public key (when present)
 * || batch size (2) || root (32): the node, its keys and the batch, so a
 * root cannot be replayed for another node, key or tree. A P-256 node's
 * "Ed25519 key" field (in its bodies too) is its key id, SHA3-256 of its
 * point (p256.h), so the pinned 32 bytes that stores, chains and evidence
 * compare name it, and the carried point must hash to them. SLH-DSA signs it
 * as pure SLH-DSA with the context "bftime" (sign_slhdsa.c).
 *
 * Hybrid: both signatures must verify, so a forger has to break both
 * Ed25519 and SLH-DSA. The SLH-DSA key a proof carries counts only when it
 * is the one pinned for the node (post-quantum security) or, in hybrid
 * mode, because the pinned Ed25519 key signed it (classical security);
 * a pure SLH-DSA proof without a pinned SLH-DSA key is refused.
 */
#ifndef BFTIME_PROTO_PROOF_V2_H
#define BFTIME_PROTO_PROOF_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"
#include "proto/slhdsa.h"

/* Forward: proof.h includes this header at its end. */
struct bft_proof;

enum bft_proof_scheme {
	BFT_PSCHEME_ED25519 = 1,
	BFT_PSCHEME_SLHDSA = 2,
	BFT_PSCHEME_HYBRID = 3, /* Ed25519 and SLH-DSA: both must verify */
	BFT_PSCHEME_P256 = 4,   /* ECDSA P-256 (a secure element's key, proto/p256.h) */
};

#define BFT_MERKLE_MAX_LEAVES 65535
#define BFT_MERKLE_MAX_DEPTH 16

/* The authenticator, parsed: views into the proof's bytes. */
typedef struct bft_proof_auth {
	uint8_t scheme, set;
	uint16_t batch_size, index;
	uint8_t path_len;
	const uint8_t *path;                 /* path_len x 32 bytes, leaf to root */
	const uint8_t *slh_pk;               /* NULL when SLH-DSA does not sign */
	const uint8_t *ed_sig;               /* NULL when Ed25519 does not sign */
	const uint8_t *slh_sig;
	const bft_slhdsa_params *params;     /* NULL when SLH-DSA does not sign */
	const uint8_t *p256_pk;              /* scheme p256: the 65-byte point; ed_sig is its r || s */
} bft_proof_auth;

/* Parse and check an authenticator (exact length, known scheme and set,
 * index < size, the path length the tree shape gives). 0 or BFT_EINVAL. */
int bft_proof_auth_parse(bft_proof_auth *a, const uint8_t *buf, size_t len);

/* Size of an authenticator for the scheme, set and tree position. */
size_t bft_proof_auth_size(uint8_t scheme, uint8_t set, uint16_t batch_size, uint16_t index);

/* Number of path nodes of leaf index in a tree of size leaves. */
unsigned bft_merkle_path_len(uint32_t index, uint32_t size);

/* Leaf hash: SHA3-256(0x00 || body). */
int bft_merkle_leaf(uint8_t out[32], const uint8_t *body, size_t len);

/* The root of leaves[0..n) (1 <= n <= BFT_MERKLE_MAX_LEAVES), and when
 * paths is not NULL every leaf's path: paths + i * BFT_MERKLE_MAX_DEPTH * 32
 * receives leaf i's bft_merkle_path_len(i, n) nodes. O(n) hashes. 0,
 * BFT_EINVAL or BFT_ENOMEM. */
int bft_merkle_build(uint8_t root[32], uint8_t *paths, const uint8_t (*leaves)[32], size_t n);

/* The root a path leads to from leaf at index of size: 0 or BFT_EINVAL
 * (a path of the wrong length for that position). */
int bft_merkle_root_from_path(uint8_t root[32], const uint8_t leaf[32], uint32_t index, uint32_t size,
                              const uint8_t *path, unsigned path_len);

/* The message a batch's signatures cover (at most BFT_PROOF_V2_MSG_MAX
 * bytes); returns its length. */
#define BFT_PROOF_V2_MSG_MAX (21 + 2 + 4 + 32 + 64 + 2 + 32)
size_t bft_proof_v2_message(uint8_t *out, uint8_t scheme, uint8_t set, uint32_t node_id, const uint8_t pub[32],
                            const uint8_t *slh_pk, size_t slh_pk_len, uint16_t batch_size, const uint8_t root[32]);

/*
 * Signing a batch. ed: the node's Ed25519 signer (NULL unless the scheme
 * has Ed25519); slh: its SLH-DSA signer (sign_slhdsa.c: pure, context
 * "bftime") with its public key slh_pk of set (NULL unless the scheme has
 * SLH-DSA). bodies: the n statements, version 2, each chained to the one
 * before (bft_proof_gen_statement), all of one node.
 *
 * bft_proof_batch_sign fills out[i] with proof i's full encoding (body and
 * authenticator) in one allocation: out_buf (freed by the caller) holds
 * them, offsets[i] and lens[i] locate each. 0, BFT_EINVAL, BFT_ENOMEM, or
 * the signer's error.
 */
typedef struct bft_proof_batch_signer {
	uint8_t scheme;
	uint8_t set;                 /* bft_slhdsa_id when SLH-DSA signs */
	const bft_signer *ed;
	const bft_signer *slh;
	const uint8_t *slh_pk;       /* the set's pk_len bytes */
	const uint8_t *p256_pk;      /* scheme p256: the 65-byte point whose key id the bodies carry; ed
	                              * is then the P-256 signer (a token's) */
} bft_proof_batch_signer;

int bft_proof_batch_sign(const bft_proof_batch_signer *s, const struct bft_proof *bodies, size_t n,
                         uint8_t **out_buf, size_t *offsets, size_t *lens);

/* The same in steps, so the slow SLH-DSA signature can be made on another
 * thread while the caller goes on (bftimed's proof service): prepare
 * (copies the bodies, builds the tree and the message to sign), sign_ed
 * and sign_slh (each touches only b and its own signer; sign_slh is the
 * slow one), finish (the proofs' encodings, as bft_proof_batch_sign gives
 * them), free (always; NULL-safe, idempotent). */
typedef struct bft_proof_batch {
	bft_proof_batch_signer s;
	const bft_slhdsa_params *pp;
	size_t n;
	struct bft_proof *bodies;
	uint8_t *paths;
	uint8_t root[32];
	uint8_t msg[BFT_PROOF_V2_MSG_MAX];
	size_t msg_len;
	uint8_t ed_sig[64];
	uint8_t *slh_sig;
	bool ed_done, slh_done;
} bft_proof_batch;
int bft_proof_batch_prepare(bft_proof_batch *b, const bft_proof_batch_signer *s, const struct bft_proof *bodies,
                            size_t n);
int bft_proof_batch_sign_ed(bft_proof_batch *b);
int bft_proof_batch_sign_slh(bft_proof_batch *b);
int bft_proof_batch_finish(bft_proof_batch *b, uint8_t **out_buf, size_t *offsets, size_t *lens);
void bft_proof_batch_free(bft_proof_batch *b);

/* Verified roots: the SHA3-256 of (message || signatures) of each batch
 * whose signatures verified, so the other proofs of the batch cost only
 * their path. A small direct-mapped table; the caller owns it (zero it to
 * start). */
#define BFT_ROOTCACHE 64
typedef struct bft_proof_rootcache {
	uint8_t key[BFT_ROOTCACHE][32];
	uint8_t set[BFT_ROOTCACHE];
	uint64_t hits, misses;
} bft_proof_rootcache;

/* Verify a version-2 proof p (decoded: p->auth set): its path leads from
 * its body to a root whose signatures verify under p->pub (Ed25519, when
 * the scheme has it) and the SLH-DSA key it carries, which must equal
 * pinned_slh (pinned_slh_len bytes) when that is given, and must be given
 * for the pure SLH-DSA scheme. pinned_ed (may be NULL) must equal p->pub.
 * cache may be NULL. 0 or BFT_EINVAL. */
int bft_proof_v2_verify(const struct bft_proof *p, const uint8_t *pinned_ed, const uint8_t *pinned_slh,
                        size_t pinned_slh_len, bft_proof_rootcache *cache);

/* The same with a signer table keyed by node id (the simulator's, or a
 * keyring of pinned Ed25519 keys) in place of p->pub for the Ed25519
 * signature; the SLH-DSA key is taken as carried (hybrid only: a pure
 * SLH-DSA proof is refused here). 0 or BFT_EINVAL. */
int bft_proof_v2_verify_signer(const struct bft_proof *p, const bft_signer *s);

/* Body length of a version-2 proof (161 or 175), from its statement. */
size_t bft_proof_v2_body_size(const struct bft_proof *p);

/* Encode a version-2 proof's body only (what its hash and leaf cover):
 * the length or BFT_EINVAL / BFT_ERANGE. */
int bft_proof_v2_encode_body(uint8_t *buf, size_t cap, const struct bft_proof *p);

/* A scheme's name ("ed25519", "slhdsa", "hybrid", "p256") or NULL. */
const char *bft_proof_scheme_name(uint8_t scheme);

#endif
