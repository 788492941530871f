/* SPDX-License-Identifier: MIT */
/*
 * Time proofs (docs/proofs.md): a node's signed statement "at this moment my
 * oscillator read R, my disciplined clock read T, I believed true time was in
 * [earliest, latest], and my reference said ...". Each proof names the
 * SHA3-256 hash of the node's previous proof, so a node's proofs form a hash
 * chain: it cannot later rewrite or reorder what it stated without signing
 * two proofs with the same sequence number (a fork), which anyone holding
 * both can show.
 *
 * The canonical encoding is a fixed big-endian layout (no optional fields
 * except the reference block, whose presence the reference kind byte fixes),
 * so every valid proof has exactly one encoding: decode(encode(p)) == p and
 * encode(decode(b)) == b. The signature covers every byte before it; the
 * hash covers every byte including it. Encoding, decoding and chain checks
 * are pure; hashing and Ed25519 go through OpenSSL libcrypto.
 */
#ifndef BFTIME_PROTO_PROOF_H
#define BFTIME_PROTO_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gpstime.h" /* BFT_GPS_WEEK_NS */
#include <bftime/common.h>
#include <bftime/interval.h>

#include "proto/sign.h"

#define BFT_PROOF_VERSION 1
#define BFT_PROOF_VERSION_2 2 /* batched, any signature scheme: proof_v2 below */
#define BFT_PROOF_KEY 32   /* Ed25519 public key */
#define BFT_PROOF_HASH 32  /* SHA3-256 */
#define BFT_PROOF_NONCE 32
#define BFT_PROOF_SIG 64   /* Ed25519; shorter signers are zero-padded */
#define BFT_PROOF_REF_LEN 14 /* the reference block, present when ref.kind != NONE */
#define BFT_PROOF_V1_MIN 225 /* version 1's encoded size without a reference block */
#define BFT_PROOF_V1_MAX (BFT_PROOF_V1_MIN + BFT_PROOF_REF_LEN) /* 239 */
#define BFT_PROOF_MIN BFT_PROOF_V1_MIN /* no proof of any version is smaller */
/* Version 2: the statement (the body, v1 without its signature) and an
 * authenticator: scheme, set, batch size, index, path, SLH-DSA public key,
 * signatures. The largest: a reference block, a 65,535-proof batch's
 * 16-node path, SLH-DSA-*-256f (64-byte key, 49,856-byte signature) and
 * Ed25519 (hybrid). */
#define BFT_PROOF_V2_BODY_MIN (BFT_PROOF_V1_MIN - BFT_PROOF_SIG) /* 161 */
#define BFT_PROOF_V2_AUTH_MAX (7 + 16 * BFT_PROOF_HASH + 64 + BFT_PROOF_SIG + 49856)
#define BFT_PROOF_MAX (BFT_PROOF_V2_BODY_MIN + BFT_PROOF_REF_LEN + BFT_PROOF_V2_AUTH_MAX) /* 50,670 */
#define BFT_PROOF_SIGNED(len) ((len) - BFT_PROOF_SIG)     /* bytes a v1 signature covers */
#define BFT_PROOF_SEQ_MAX ((uint64_t)INT64_MAX) /* sequence numbers fit SQLite's int64 */

/* Flags a node states about itself in a proof; other bits must be zero. */
#define BFT_PROOFF_SYNCED 0x01   /* its interval is finite and it was synchronized */
#define BFT_PROOFF_ALARM 0x02    /* its last fusion proved more than f sources faulty */
#define BFT_PROOFF_DEGRADED 0x04 /* synced from fewer than f + 1 sources */
#define BFT_PROOFF_HOLDOVER 0x08 /* no fresh measurement: the interval is widening */
#define BFT_PROOFF_ALL 0x0F

enum bft_proof_ref_kind {
	BFT_REF_NONE = 0,    /* no reference reading: no reference block */
	BFT_REF_GPS = 1,     /* a GPS receiver */
	BFT_REF_SIM_GPS = 2, /* the simulated GPS reference: says so in every proof it backs */
};

/* The reference reading behind the proof (GPS today). */
typedef struct bft_proof_ref {
	uint8_t kind;            /* enum bft_proof_ref_kind; NONE: every other field zero */
	uint16_t week;           /* GPS week, full count (not modulo 1024) */
	int64_t tow_ns;          /* time of week, ns, in [0, 604800 s) */
	uint8_t sats_used;       /* satellites in the solution, <= sats_visible */
	uint8_t sats_visible;
	uint16_t snr_cdbhz;      /* mean C/N0 of the used satellites, 0.01 dB-Hz */
} bft_proof_ref;

typedef struct bft_proof {
	uint8_t version;         /* BFT_PROOF_VERSION */
	uint8_t flags;           /* BFT_PROOFF_* */
	uint32_t node_id;
	uint8_t pub[BFT_PROOF_KEY]; /* the node's Ed25519 public key (zeros with the sim signer) */
	uint64_t seq;            /* 0 for the first proof, +1 each; <= BFT_PROOF_SEQ_MAX */
	int64_t raw_ns;          /* the raw oscillator reading the proof was taken at */
	int64_t time_ns;         /* the disciplined clock at raw_ns: never decreases along a chain */
	int64_t offset_ns;       /* oscillator offset: estimate of true time - raw_ns (common.h signs) */
	int64_t freq_ppb;        /* oscillator frequency correction, d(true - raw)/d(raw) */
	bft_interval bounds;     /* [earliest, latest]: the node's interval for true time */
	bft_proof_ref ref;
	uint8_t prev_hash[BFT_PROOF_HASH]; /* hash of the previous proof; zeros iff seq == 0 */
	uint8_t nonce[BFT_PROOF_NONCE];    /* random, from the caller */
	uint8_t sig[BFT_PROOF_SIG];  /* version 1; zeros in version 2 */
	/* Version 2 only: the authenticator's bytes (proof_v2 below), a view
	 * into the buffer the proof was decoded from or the batch it was built
	 * in, valid only while that is; NULL in version 1. Everything else in
	 * the struct is the statement, which copies keep. */
	const uint8_t *auth;
	size_t auth_len;
} bft_proof;

/* Whether p satisfies every rule of the format (the decoder's checks). */
BFT_WARN_UNUSED bool bft_proof_valid(const bft_proof *p);

/* Encoded size of p (v1: 225 or 239; v2: its body and authenticator). */
size_t bft_proof_size(const bft_proof *p);

/* Canonical encoding of p, signature included, into buf; returns the
 * length, BFT_EINVAL (p not valid) or BFT_ERANGE (cap too small). The first
 * BFT_PROOF_SIGNED(len) bytes are what the signature covers. */
BFT_WARN_UNUSED int bft_proof_encode(uint8_t *buf, size_t cap, const bft_proof *p);

/* Strict decoding: exact layout, known version and reference kind, no
 * trailing bytes, every field within its range. 0 or BFT_EINVAL; never
 * reads outside buf[0..len). */
BFT_WARN_UNUSED int bft_proof_decode(bft_proof *p, const uint8_t *buf, size_t len);

/* SHA3-256 of data (OpenSSL EVP). 0 or BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_sha3_256(uint8_t out[BFT_PROOF_HASH], const uint8_t *data, size_t len);

/* The proof's hash, which the next proof of its chain names: version 1,
 * SHA3-256 of its canonical encoding, signature included; version 2,
 * SHA3-256 of its body (the statement), so a batch's proofs can be chained
 * before the batch is signed. */
BFT_WARN_UNUSED int bft_proof_hash(uint8_t out[BFT_PROOF_HASH], const bft_proof *p);

/* The same from a proof's encoding (decoded and checked first): 0 or
 * BFT_EINVAL. */
BFT_WARN_UNUSED int bft_proof_hash_bytes(uint8_t out[BFT_PROOF_HASH], const uint8_t *buf, size_t len);

/* Sign p in place as node p->node_id with s (its sig_len must be <= 64;
 * the rest of p->sig is zeroed). 0 or negative. */
BFT_WARN_UNUSED int bft_proof_sign(bft_proof *p, const bft_signer *s);

/* 0 if p's signature verifies with the signer's key for p->node_id (and the
 * bytes past s->sig_len are zero); negative otherwise. */
BFT_WARN_UNUSED int bft_proof_verify_signer(const bft_proof *p, const bft_signer *s);

/* 0 if p's signature verifies as Ed25519 under the public key it embeds,
 * and, when pinned is not NULL, that key equals pinned; negative otherwise.
 * Version 2: bft_proof_v2_verify with no pinned SLH-DSA key and no cache
 * (so a pure SLH-DSA proof is refused: nothing binds its key to the node). */
BFT_WARN_UNUSED int bft_proof_verify_key(const bft_proof *p, const uint8_t *pinned);

/* Reasons bft_proof_chain_check rejects a link. */
enum bft_chain_error {
	BFT_CHAIN_OK = 0,
	BFT_CHAIN_NODE = 1, /* different node id or public key */
	BFT_CHAIN_SEQ = 2,  /* next.seq != prev.seq + 1 */
	BFT_CHAIN_HASH = 3, /* next.prev_hash != hash(prev) */
	BFT_CHAIN_TIME = 4, /* next.time_ns < prev.time_ns */
};

/* Whether next directly follows prev in one node's chain: same node and
 * key, seq + 1, prev_hash = hash(prev), disciplined time not decreasing.
 * prev_hash_known (may be NULL) is hash(prev) if the caller has it, saving
 * a hash. Returns BFT_CHAIN_OK or the first failing rule. Signatures are not
 * checked here. */
BFT_WARN_UNUSED int bft_proof_chain_check(const bft_proof *prev, const uint8_t *prev_hash_known,
                                          const bft_proof *next);

/* What a node states in a proof, as its driver reads it from the node. */
typedef struct bft_proof_clock {
	uint8_t flags;
	int64_t raw_ns, time_ns, offset_ns, freq_ppb;
	bft_interval bounds;
	bft_proof_ref ref;
} bft_proof_clock;

/*
 * The proof generator: the little state that continues one node's chain
 * (next seq, previous hash, previous time). bft_proof_gen_next builds and
 * signs the next proof without changing the generator; the caller stores it
 * and then calls bft_proof_gen_accept, so a proof that failed to persist is
 * never chained to. After a restart, accept the store's last own proof.
 */
typedef struct bft_proof_gen {
	uint32_t node_id;
	uint8_t pub[BFT_PROOF_KEY];
	const bft_signer *signer;
	uint64_t next_seq;
	uint8_t prev_hash[BFT_PROOF_HASH];
	int64_t prev_time_ns;
	bool have_prev;
} bft_proof_gen;

/* pub may be NULL (zeros: for the simulator's signer). */
int bft_proof_gen_init(bft_proof_gen *g, uint32_t node_id, const uint8_t *pub, const bft_signer *signer);

/* Build and sign the next proof. BFT_EINVAL for an invalid clock (bounds
 * lo > hi, bad reference, unknown flags); BFT_ERANGE when clock->time_ns is
 * before the previous proof's (the chain would break: wait and retry) or
 * the sequence is exhausted. */
BFT_WARN_UNUSED int bft_proof_gen_next(const bft_proof_gen *g, bft_proof *out, const bft_proof_clock *clock,
                                       const uint8_t nonce[BFT_PROOF_NONCE]);

/* The same statement as version 2, unsigned (p->auth NULL): for a batch
 * (proof_v2.h), which signs it with the others. Chain each next statement
 * by accepting the previous one first, on a copy of the generator when the
 * batch may yet fail. */
BFT_WARN_UNUSED int bft_proof_gen_statement(const bft_proof_gen *g, bft_proof *out, const bft_proof_clock *clock,
                                            const uint8_t nonce[BFT_PROOF_NONCE]);

/* Make p (built by gen_next and stored, or the stored last proof after a
 * restart) the chain's head. BFT_EINVAL if p is another node's or invalid. */
BFT_WARN_UNUSED int bft_proof_gen_accept(bft_proof_gen *g, const bft_proof *p);

#include "proto/proof_v2.h"

#endif
