/* SPDX-License-Identifier: MIT */
/*
 * The peer wire format, version 1 (docs/protocol.md). A message is
 *
 *   magic 'B' 'T' | version (1) | type (1) | TLV... | SIG TLV
 *
 * where each TLV is tag (1 byte), length (1 byte), value (big-endian
 * integers). The SIG TLV is last and signs every byte before it. Decoding is
 * strict: fields of a known tag must have their exact length and appear at
 * most once, the fields a type requires must be present, unknown tags below
 * 0x80 are critical (rejected), unknown tags from 0x80 are skipped so later
 * versions can add optional fields. Pure code: no I/O, no allocation.
 */
#ifndef BFTIME_PROTO_WIRE_H
#define BFTIME_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFT_WIRE_VERSION 1
#define BFT_WIRE_MAX 256     /* no message is larger */
#define BFT_WIRE_SIG_MAX 64  /* Ed25519 */

enum bft_msg_type {
	BFT_MSG_REQUEST = 1,  /* t_a = t1: the requester's clock at send */
	BFT_MSG_RESPONSE = 2, /* t_a = t2, t_b = t3: the responder's clock at receive and send */
	BFT_MSG_FOLLOWUP = 3, /* t_a = t4, t_b = t5: the requester's clock at receive and send */
};

/* Flags a sender states about itself. */
#define BFT_MSGF_SYNCED 0x01 /* its interval is finite: err_* are meaningful */
#define BFT_MSGF_ALARM 0x02  /* it saw more than f faulty sources */
#define BFT_MSGF_PRIMARY 0x04 /* err_* are its own references' interval, not relayed */
#define BFT_MSGF_AGREED 0x08  /* its stamps are a clock it claims agrees with its peers: true time, or a
                              * network clock (docs/internal-sync.md); v1 decoders accept any flag bits */
/* The high nibble: the sender's level of true time plus one (docs/internal-sync.md §5): 1 = level 0
 * (its own references), k + 1 = level k (learnt k hops from references), 15 = level 14, not to be
 * relayed (holdover, or fused without levels). 0: not stated (a sender from before levels). */
#define BFT_MSGF_LEVEL_SHIFT 4
#define BFT_LEVEL_NONE 14

typedef struct bft_msg {
	uint8_t type;
	uint8_t flags;
	uint8_t epoch;   /* sender's clock epoch: changes when its clock steps */
	uint32_t from, to;
	uint64_t nonce;  /* chosen by the requester, echoed by every message of the exchange */
	uint64_t nonce2; /* chosen by the responder in its RESPONSE, echoed by the FOLLOWUP:
	                  * an old FOLLOWUP replayed after a replayed REQUEST cannot match */
	int64_t t_a, t_b;
	/* The sender's uncertainty at its last stamp: true - clock in
	 * [-err_lo, +err_hi], so err_lo + err_hi >= 0 (either may be negative
	 * while the sender's clock slews back into its interval). */
	int64_t err_lo_ns, err_hi_ns;
	/* RESPONSE and FOLLOWUP: the sender's best point estimate of true time
	 * minus its clock at its last stamp (its references' robust point when
	 * PRIMARY, which need not be its clock nor its interval's midpoint). */
	int64_t pt_ns;
	size_t sig_len;
	uint8_t sig[BFT_WIRE_SIG_MAX];
} bft_msg;

/* Encode m without its signature into buf; returns the length, or a negative
 * BFT_E* code. The caller signs buf[0..len) and calls bft_wire_seal. */
int bft_wire_encode(uint8_t *buf, size_t cap, const bft_msg *m);

/* Append the SIG TLV; returns the new length or a negative code. */
int bft_wire_seal(uint8_t *buf, size_t cap, size_t len, const uint8_t *sig, size_t sig_len);

/* Decode; on success *signed_len is the number of bytes the signature covers.
 * Returns 0 or a negative code; never reads outside buf[0..len). */
int bft_wire_decode(bft_msg *m, size_t *signed_len, const uint8_t *buf, size_t len);

/* Requests are padded to this size so that no response is larger than the
 * request that caused it: the protocol cannot amplify traffic. */
size_t bft_wire_request_pad(void);

#endif
