/* SPDX-License-Identifier: MIT */
/*
 * Equivocation evidence (docs/proofs.md, "Equivocation is evidence"): two
 * time proofs signed by one key that cannot both belong to one chain. A
 * key's owner signs exactly one proof per sequence number, each naming the
 * hash of the one before it, so two validly signed proofs of one key are a
 * misbehaviour proof when
 *
 *   FORK:  they have the same sequence number and are different proofs, or
 *   LINK:  b.seq == a.seq + 1 and b.prev_hash is not the hash of a (b
 *          continues another proof at a's sequence number: two chains).
 *
 * The evidence is transferable: it is just the two signed proofs, and
 * anyone holding the public key (it is embedded in both, and pinned by
 * every node that knows the signer) can check it without trusting whoever
 * forwards it. Whoever signed them holds the key: the owner equivocated,
 * or the key is stolen; either way, nothing signed with it can be trusted.
 *
 * The encoding is canonical, so one pair has one encoding (and one id):
 *   "BE", version 1, len(a) (1 byte), a, len(b) (1 byte), b
 * when both proofs are version 1, and when either is version 2 (batched,
 * any signature size: proof_v2.h)
 *   "BE", version 2, len(a) (2 bytes, big-endian), a, len(b) (2 bytes), b
 * with both proofs in their canonical encoding (a v2 proof with its
 * authenticator: its path and the batch's signatures), and for a FORK a's
 * bytes sorting before b's, for a LINK a the lower sequence number. At most
 * BFT_EVIDENCE_MAX bytes (v1 pairs: BFT_EVIDENCE_V1_MAX). Two v2 proofs
 * with one body and different authenticators are one proof (its hash is
 * its body's), not a fork. Decoding checks everything but the signatures
 * (cheap, pure, fuzzed by tests/fuzz/fuzz_evidence.c); bft_evidence_verify
 * checks both signatures under the key the proofs embed. A decoded v2
 * proof's authenticator is a view into the bytes it was decoded from (and
 * bft_evidence_make keeps the views of the proofs given): encode, verify
 * and id while those bytes live.
 */
#ifndef BFTIME_PROTO_EVIDENCE_H
#define BFTIME_PROTO_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proof.h"

#define BFT_EVIDENCE_VERSION 1
#define BFT_EVIDENCE_VERSION_2 2 /* either proof is version 2 */
#define BFT_EVIDENCE_V1_MAX (3 + 2 * (1 + BFT_PROOF_V1_MAX)) /* 483: two version-1 proofs */
#define BFT_EVIDENCE_MAX (3 + 2 * (2 + BFT_PROOF_MAX))     /* 101,347: two of the largest v2 proofs */
#define BFT_EVIDENCE_MIN (3 + 2 * (1 + BFT_PROOF_V1_MIN))

enum bft_evidence_kind {
	BFT_EV_FORK = 1, /* two different proofs with one sequence number */
	BFT_EV_LINK = 2, /* consecutive sequence numbers that do not link: two chains */
};

/* Why a pair is not evidence (bft_evidence_error_name / _text). */
enum bft_evidence_error {
	BFT_EV_OK = 0,
	BFT_EV_BAD_ENCODING,  /* not the layout above, or a proof that is not canonical */
	BFT_EV_NOT_CANONICAL, /* the two proofs in the other order */
	BFT_EV_SAME_PROOF,    /* the same proof twice */
	BFT_EV_KEYS_DIFFER,   /* two nodes or two keys: nobody signed both */
	BFT_EV_NO_CONFLICT,   /* the two proofs fit one chain (or are too far apart to tell) */
	BFT_EV_BAD_SIG,       /* a signature does not verify under the embedded key */
	BFT_EV_ERRORS
};

typedef struct bft_evidence {
	uint8_t kind; /* enum bft_evidence_kind */
	bft_proof a, b;
} bft_evidence;

/* Make evidence of x and y (in either order): fills *ev in canonical order.
 * BFT_EV_OK or the reason they are not evidence (signatures unchecked). */
int bft_evidence_make(bft_evidence *ev, const bft_proof *x, const bft_proof *y);

/* Canonical encoding; returns the length, or BFT_EINVAL / BFT_ERANGE. */
int bft_evidence_encode(uint8_t *buf, size_t cap, const bft_evidence *ev);

/* Strict decoding of hostile bytes, never reading outside buf[0..len):
 * BFT_EV_OK and *ev, or the reason (signatures unchecked). */
int bft_evidence_decode(bft_evidence *ev, const uint8_t *buf, size_t len);

/* Both signatures under the key the proofs embed: BFT_EV_OK or BFT_EV_BAD_SIG.
 * A v2 proof signed by SLH-DSA alone needs its node's pinned SLH-DSA key:
 * bft_evidence_verify_pinned (slh NULL: none, as bft_evidence_verify). */
int bft_evidence_verify(const bft_evidence *ev);
int bft_evidence_verify_pinned(const bft_evidence *ev, const uint8_t *slh, size_t slh_len);

/* The evidence's id: SHA3-256 of its encoding. 0 or negative. */
int bft_evidence_id(uint8_t out[BFT_PROOF_HASH], const bft_evidence *ev);

const char *bft_evidence_kind_name(uint8_t kind);     /* "fork", "link" */
const char *bft_evidence_error_name(int err);         /* "bad_encoding", ... */
const char *bft_evidence_error_text(int err);         /* a sentence */

#endif
