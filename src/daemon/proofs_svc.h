/* SPDX-License-Identifier: MIT */
/*
 * The daemon's proof service: time proofs in bftimed (docs/proofs.md). It
 * owns the proof store and this node's proof generator:
 *
 *  - issue: build the next TimeProof from what the node states about its
 *    clock, sign it with the node's Ed25519 key, store it (own proofs commit
 *    with synchronous=FULL) and only then make it the chain's head, so a
 *    proof that failed to persist is never chained to nor announced;
 *  - on open, the chain continues from the store's last own proof; an own
 *    proof newer than that, submitted later (gossip fetches them from peers
 *    at start), moves the head to it: a node that lost its store continues
 *    its chain instead of forking it;
 *  - submit: a proof from a peer or the API, verified under the pinned key
 *    of its node (the configured peers and this node; unknown nodes are
 *    refused), linked against what is stored, then stored.
 *
 * Single-threaded, like the loop that calls it.
 */
#ifndef BFTIME_DAEMON_PROOFS_SVC_H
#define BFTIME_DAEMON_PROOFS_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/store.h"
#include "proto/proof.h"

typedef struct bftd_proofs bftd_proofs;

typedef struct bftd_proofs_stats {
	uint64_t issued;        /* own proofs stored and acknowledged */
	uint64_t issue_failed;  /* the generator or the store refused (logged) */
	uint64_t submitted;     /* bft_store_put calls from peers and the API */
	uint64_t accepted;      /* of which NEW or GAP */
	uint64_t recovered;     /* own proofs newer than the head, taken back from peers */
} bftd_proofs_stats;

/* Open the store at cfg->store_path for node cfg->id with public key
 * self_pub, signing with signer, and continue the chain from the store.
 * The config and signer must outlive the service. 0, or negative with err. */
int bftd_proofs_open(bftd_proofs **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY],
                     const bft_signer *signer, char *err, size_t errlen);

void bftd_proofs_close(bftd_proofs *ps);

/* Issue the next proof from clk: 0 and *out filled once it is stored, or
 * negative (BFT_ERANGE: the disciplined time went back, retry later). */
int bftd_proofs_issue(bftd_proofs *ps, const bft_proof_clock *clk, bft_proof *out);

/* Verify and store a proof's canonical bytes; *res says what happened.
 * Returns bft_store_put's code. */
int bftd_proofs_submit(bftd_proofs *ps, const uint8_t *buf, size_t len, enum bft_store_result *res);

/* Whether this node has a head yet, and its seq (the last own proof). */
bool bftd_proofs_head(const bftd_proofs *ps, uint64_t *seq, uint8_t hash[BFT_PROOF_HASH], int64_t *time_ns);

bft_store *bftd_proofs_store(bftd_proofs *ps);
const bftd_proofs_stats *bftd_proofs_get_stats(const bftd_proofs *ps);

/* The pinned key of node id (a configured peer or this node): 0 and pub, or -1. */
int bftd_proofs_pinned(const bftd_proofs *ps, uint32_t id, uint8_t pub[BFT_PROOF_KEY]);

#endif
