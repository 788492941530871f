/* SPDX-License-Identifier: MIT */
/*
 * The Nakamoto chain's wire format (docs/nakamoto.md): signed offset
 * statements and the proof-of-work blocks that carry them.
 *
 * A statement is one node's signed claim "at my local time local_ns, the
 * reference ref read offset_ns ahead of my clock, within unc_ns" (offset
 * signs as in bftime/common.h: reference - local clock). A block is a fixed
 * 104-byte header (version, miner, height, parent hash, timestamp, the
 * difficulty D that stands for its target, nonce, SHA3-256 of its
 * statements) followed by at most BFT_BLOCK_MAX_STMTS statements of 109
 * bytes each, sorted strictly by (node, reference, local time).
 *
 * Proof of work: the block hash is SHA3-256 of the header; the block meets
 * its target iff hash * D < 2^256 (hash read as a 256-bit big-endian
 * integer), so the target is 2^256 / D, a block is expected to take D
 * hashes and its work is exactly D. Any D >= 1 is one canonical value,
 * which Bitcoin's compact nBits (several encodings of one target) is not.
 *
 * Canonical: every field has one width and a checked range, statements one
 * order, signatures one padding, so decode(encode(b)) == b and
 * encode(decode(x)) == x; the decoder refuses everything else with a
 * specific bft_block_error and never reads outside its buffer.
 */
#ifndef BFTIME_PROTO_CHAIN_WIRE_H
#define BFTIME_PROTO_CHAIN_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/common.h>

#include "proto/sign.h"

#define BFT_BLOCK_VERSION 1
#define BFT_BLOCK_HASH 32            /* SHA3-256 */
#define BFT_CREF_ID 16               /* reference identity bytes */
#define BFT_STMT_SIG 64              /* Ed25519; shorter signers zero-padded */
#define BFT_STMT_LEN 109             /* 4 + 1 + 16 + 3 * 8 + 64 */
#define BFT_STMT_SIGNED (BFT_STMT_LEN - BFT_STMT_SIG)
#define BFT_BLOCK_HDR_LEN 104        /* 2 + 1 + 1 + 4 + 8 + 32 + 8 + 8 + 8 + 32 */
#define BFT_BLOCK_MAX_STMTS 64
#define BFT_BLOCK_MAX (BFT_BLOCK_HDR_LEN + BFT_BLOCK_MAX_STMTS * BFT_STMT_LEN) /* 7080 */
#define BFT_STMT_OFFSET_MAX (INT64_C(1) << 62) /* |offset|, |local|, |time| bound: sums never overflow */
#define BFT_STMT_UNC_MAX (INT64_C(1) << 40)    /* ~1100 s: no useful measurement is vaguer */

/* Kinds of reference a statement can be about; the identity bytes' meaning
 * and canonical form depend on the kind. */
enum bft_cref_kind {
	BFT_CREF_GNSS = 1,  /* id[0]: constellation (BFT_GNSS_*); the rest zero */
	BFT_CREF_NTP = 2,   /* id: the server's IPv6 address (IPv4-mapped for IPv4), not all zero */
	BFT_CREF_SOLAR = 3, /* id[0..3]: the radio band's centre in kHz, big-endian, nonzero; the rest zero */
	BFT_CREF_SIM = 4,   /* the simulator's reference: id[0..3] its number; the rest zero. Says so. */
};
enum bft_gnss { BFT_GNSS_GPS = 1, BFT_GNSS_GALILEO = 2, BFT_GNSS_GLONASS = 3, BFT_GNSS_BEIDOU = 4 };

typedef struct bft_cref {
	uint8_t kind; /* enum bft_cref_kind */
	uint8_t id[BFT_CREF_ID];
} bft_cref;

typedef struct bft_stmt {
	uint32_t node_id;
	bft_cref ref;
	int64_t offset_ns; /* reference - node's clock, at local_ns */
	int64_t unc_ns;    /* half-width of the measurement's uncertainty, >= 0 */
	int64_t local_ns;  /* the node's clock when it measured */
	uint8_t sig[BFT_STMT_SIG];
} bft_stmt;

typedef struct bft_block_hdr {
	uint8_t version;     /* BFT_BLOCK_VERSION */
	uint8_t n_stmts;     /* <= BFT_BLOCK_MAX_STMTS */
	uint32_t miner_id;   /* who claims to have mined it: not authenticated, statistics only */
	uint64_t height;     /* >= 1: height 0 is the configured genesis, never encoded */
	uint8_t parent[BFT_BLOCK_HASH];
	int64_t time_ns;     /* the miner's timestamp (true-time estimate) */
	uint64_t difficulty; /* D >= 1: target 2^256 / D, work D */
	uint64_t nonce;
	uint8_t stmt_root[BFT_BLOCK_HASH]; /* SHA3-256 of the encoded statements, in order */
} bft_block_hdr;

typedef struct bft_block {
	bft_block_hdr h;
	bft_stmt stmts[BFT_BLOCK_MAX_STMTS];
} bft_block;

/* Why the decoder (or the encoder's validity check) refuses a block. */
enum bft_block_error {
	BFT_BLK_OK = 0,
	BFT_BLK_ELEN = -1,     /* shorter than its header says, or trailing bytes */
	BFT_BLK_EMAGIC = -2,   /* not "BK" */
	BFT_BLK_EVERSION = -3, /* unknown version */
	BFT_BLK_ECOUNT = -4,   /* more than BFT_BLOCK_MAX_STMTS statements */
	BFT_BLK_EFIELD = -5,   /* a header field out of range: height 0, difficulty 0, |time| too large */
	BFT_BLK_EREF = -6,     /* unknown reference kind or non-canonical identity */
	BFT_BLK_ESTMT = -7,    /* a statement field out of range (offset, uncertainty, time) */
	BFT_BLK_EORDER = -8,   /* statements not strictly sorted (duplicates included) */
	BFT_BLK_EROOT = -9,    /* stmt_root is not the hash of the statements */
	BFT_BLK_EHASH = -10,   /* hashing failed (out of memory in libcrypto) */
	BFT_BLK_EINVAL = -11,  /* a NULL argument or too small a buffer */
};

/* A static string for a bft_block_error. Never NULL. */
const char *bft_block_strerror(int err);

/* Whether a reference and a statement are canonical (the decoder's checks). */
bool bft_cref_valid(const bft_cref *r);
bool bft_stmt_valid(const bft_stmt *s);
/* Order of statements in a block: node, reference kind, id, local time. */
int bft_stmt_cmp(const bft_stmt *a, const bft_stmt *b);
bool bft_cref_equal(const bft_cref *a, const bft_cref *b);
/* The reference kind's name in status and reports ("gnss", "ntp", "solar",
 * "simulated"; "?" for any other). Never NULL. */
const char *bft_cref_kind_name(uint8_t kind);
/* The Sun on a band centred at centre_hz: kind solar, the centre in kHz. false
 * (r untouched) when that is 0 or beyond 32 bits. */
bool bft_cref_solar(bft_cref *r, int64_t centre_hz);

/* The bytes a statement's signature covers: a domain tag (so a statement
 * signature can never pass as a wire message's or a proof's) then the
 * statement without its signature. Returns the length written (<= 96). */
#define BFT_STMT_MSG_MAX 96
size_t bft_stmt_message(uint8_t out[BFT_STMT_MSG_MAX], const bft_stmt *s);
/* Sign s in place as s->node_id (sig_len <= 64, rest zeroed). 0 or negative. */
BFT_WARN_UNUSED int bft_stmt_sign(bft_stmt *s, const bft_signer *signer);
/* 0 iff s's signature verifies as node s->node_id's under signer and the
 * padding past signer->sig_len is zero; negative otherwise. */
BFT_WARN_UNUSED int bft_stmt_verify(const bft_stmt *s, const bft_signer *signer);

/* One statement's canonical encoding (as inside a block), for statement
 * datagrams. encode: BFT_STMT_LEN or a negative bft_block_error (EREF,
 * ESTMT); decode: 0 or negative (ELEN, EREF, ESTMT). Signatures are not
 * checked here. */
BFT_WARN_UNUSED int bft_stmt_encode(uint8_t out[BFT_STMT_LEN], const bft_stmt *s);
BFT_WARN_UNUSED int bft_stmt_decode(bft_stmt *s, const uint8_t *buf, size_t len);
/* Encoded size of a block with b->h.n_stmts statements. */
size_t bft_block_size(const bft_block *b);
/* Set b->h.stmt_root from its statements. 0 or BFT_BLK_EHASH. */
BFT_WARN_UNUSED int bft_block_seal(bft_block *b);
/* Canonical encoding; returns the length or a negative bft_block_error
 * (the block must be what the decoder accepts, stmt_root included). */
BFT_WARN_UNUSED int bft_block_encode(uint8_t *buf, size_t cap, const bft_block *b);
/* Strict decoding; 0 or a negative bft_block_error. Checks everything that
 * needs no context (not work, signatures, or anything about the chain). */
BFT_WARN_UNUSED int bft_block_decode(bft_block *b, const uint8_t *buf, size_t len);
/* The decoder's checks on a block already in memory (fields, order,
 * root). 0 or a negative bft_block_error. */
BFT_WARN_UNUSED int bft_block_check(const bft_block *b);
/* Header encoding (what the hash and the work cover). */
void bft_block_hdr_encode(uint8_t out[BFT_BLOCK_HDR_LEN], const bft_block_hdr *h);
/* A header alone (a block whose statements a peer no longer keeps): exactly
 * BFT_BLOCK_HDR_LEN bytes, the header's context-free rules checked. 0 or a
 * negative bft_block_error (ELEN, EMAGIC, EVERSION, ECOUNT, EFIELD). */
BFT_WARN_UNUSED int bft_block_hdr_decode(bft_block_hdr *h, const uint8_t *buf, size_t len);
/* The header's context-free rules (version, count, height, difficulty,
 * time). 0 or a negative bft_block_error. */
BFT_WARN_UNUSED int bft_block_hdr_check(const bft_block_hdr *h);
/* SHA3-256 of the header. 0 or BFT_BLK_EHASH. */
BFT_WARN_UNUSED int bft_block_hash(uint8_t out[BFT_BLOCK_HASH], const bft_block_hdr *h);
/* Whether hash * difficulty < 2^256 (false for difficulty 0). */
bool bft_work_meets(const uint8_t hash[BFT_BLOCK_HASH], uint64_t difficulty);
/* Real hashing: try nonces from h->nonce upward, at most max_tries; on
 * success h->nonce is the winning one and 1 is returned, else 0 (h->nonce
 * advanced past the tries) or BFT_BLK_EHASH. Expected tries: difficulty. */
int bft_block_mine(bft_block_hdr *h, uint64_t max_tries);

#endif
