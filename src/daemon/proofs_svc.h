/* SPDX-License-Identifier: MIT */
/*
 * The daemon's proof service: time proofs in bftimed (docs/proofs.md). It
 * owns the proof store and this node's proof generator:
 *
 *  - issue: build the next TimeProof from what the node states about its
 *    clock, sign it with the node's Ed25519 key, store it (own proofs commit
 *    with synchronous=FULL) and only then make it the chain's head, so a
 *    proof that failed to persist is never chained to nor announced; then
 *    write it to the head record (store path + ".head"), a second copy of the
 *    head outside the database;
 *  - on open, the store is checked (bft_store_check) and refused, with the
 *    damage named and what to do, if it is not sound; the chain continues
 *    from the store's last own proof; an own proof newer than that,
 *    submitted later (gossip fetches them from peers at start), moves the
 *    head to it: a node that lost its store continues its chain instead of
 *    forking it; and a head record newer than both (the store lost proofs
 *    the peers did not return) is where the chain continues at the first
 *    issue: a sequence number is never signed twice;
 *  - submit: a proof from a peer or the API, verified under the pinned key
 *    of its node (the configured peers and this node; unknown nodes are
 *    refused), linked against what is stored, then stored;
 *  - a store that fails at run time is an alarm (logged once, in
 *    bftd_proofs_get_health), retried at every issue and reopened and
 *    checked again every 30 s, so it heals once its cause is gone.
 *
 * Single-threaded, like the loop that calls it.
 */
#ifndef BFTIME_DAEMON_PROOFS_SVC_H
#define BFTIME_DAEMON_PROOFS_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/evidence.h"
#include "daemon/store.h"
#include "proto/proof.h"

typedef struct bftd_proofs bftd_proofs;

typedef struct bftd_proofs_stats {
	uint64_t issued;        /* own proofs stored and acknowledged */
	uint64_t issue_failed;  /* proofs the generator, the signer or the store refused, or version-2 proofs
	                         * dropped because the chain's head moved under their batch (logged) */
	uint64_t submitted;     /* bft_store_put calls from peers and the API */
	uint64_t accepted;      /* of which NEW or GAP */
	uint64_t recovered;     /* own proofs newer than the head, taken back from peers */
} bftd_proofs_stats;

/* The store's state, for status and metrics: an alarm while failing. */
typedef struct bftd_proofs_health {
	bool failing;              /* the last write failed: no own proof is issued until one works */
	const char *error;         /* why ("" when not failing): SQLite's message or the damage found */
	int64_t failing_since_mono; /* CLOCK_MONOTONIC ns, 0 when not failing */
	uint64_t failures;         /* failed writes since start */
	uint64_t damaged;          /* stored proofs found damaged when read, never served */
	uint64_t reopened;         /* times the store was reopened and checked after failures */
	bool head_record_failing;  /* the head record could not be written at the last issue */
} bftd_proofs_health;

/* Open and check the store at cfg->store_path for node cfg->id with public
 * key self_pub, signing with signer, read the head record, and continue the
 * chain from the newest own proof of both. The config and signer must
 * outlive the service. 0, or negative with err: which damage, what to do. */
int bftd_proofs_open(bftd_proofs **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY],
                     const bft_signer *signer, char *err, size_t errlen);

void bftd_proofs_close(bftd_proofs *ps);

/* Scheme p256 (node.proofs: p256, a P-256 key on a token): the key's
 * 65-byte point, which each batch's authenticator carries; self_pub given
 * at open is its key id (proto/p256.h). Before the first issue. */
void bftd_proofs_set_p256(bftd_proofs *ps, const uint8_t pub[65]);

/* Issue the next proof from clk: 0 and *out filled once it is stored, or
 * negative (BFT_ERANGE: the disciplined time went back, retry later;
 * BFT_ENOMEM: the store failed, an alarm; BFT_EINVAL: the head record and
 * the store disagree, an alarm: nothing is signed). */
int bftd_proofs_issue(bftd_proofs *ps, const bft_proof_clock *clk, bft_proof *out);
/* Version-2 proofs (config node.proofs): the statement is in the batch
 * being filled, signed and stored with it (*out is the statement). */
#define BFTD_PROOFS_QUEUED 1

/* Version 2: store the batch whose SLH-DSA signature a thread finished, if
 * one did (call it often: the loop's every turn). 1 when a batch was
 * stored, 0 when none was ready, negative when one failed (logged). */
int bftd_proofs_poll(bftd_proofs *ps);

/* Verify and store a proof's canonical bytes; *res says what happened.
 * Returns bft_store_put's code. */
int bftd_proofs_submit(bftd_proofs *ps, const uint8_t *buf, size_t len, enum bft_store_result *res);

/* Whether this node has a head yet, and its seq (the last own proof). */
bool bftd_proofs_head(const bftd_proofs *ps, uint64_t *seq, uint8_t hash[BFT_PROOF_HASH], int64_t *time_ns);

/* The store: valid for as long as the service, though not always the same
 * object (a failing store is reopened): look it up at each use. */
bft_store *bftd_proofs_store(bftd_proofs *ps);
const bftd_proofs_stats *bftd_proofs_get_stats(const bftd_proofs *ps);
void bftd_proofs_get_health(const bftd_proofs *ps, bftd_proofs_health *out);

/* ---- the start-up catch-up's answers (gossip.h) ---------------------------
 * When this node starts without knowing its own chain's head (no own proof
 * in the store and no head record: both lost), any answer it has not heard
 * yet may hold its newest proofs, and issuing before hearing it would sign
 * a sequence number a peer already holds: a fork. So it issues nothing
 * until a quorum of the peers with an API answered the catch-up (each
 * answer's proofs submitted first): q = max(1, P - f) of the P such peers,
 * the most it can wait for while f of them may be down or lying silent;
 * with n >= 3f + 1 nodes, at least f + 1 of those answers come from honest
 * peers. A node that knows its head waits at most BFTD_GOSSIP_CATCHUP_NS, as
 * before: its head can only be behind by what gossip had not delivered. */

struct json_object;

/* Set up by gossip: peers_with_api peers will be asked. */
void bftd_proofs_catchup_begin(bftd_proofs *ps, size_t peers_with_api);
/* Peer peer_id answered the catch-up (HTTP 200, a proofs list, submitted). */
void bftd_proofs_catchup_answer(bftd_proofs *ps, uint32_t peer_id);
/* Whether issuing must wait for more answers (the head was unknown at
 * start and fewer than the quorum answered). */
bool bftd_proofs_catchup_waiting(const bftd_proofs *ps);
/* The "catchup" object of /v1/status, added to o. */
void bftd_proofs_catchup_json(const bftd_proofs *ps, struct json_object *o);

/* The equivocation evidence this node holds (evidence.h): made from the
 * conflicts the store finds on submit, and consulted there (proofs under a
 * faulty key are refused as BFT_STORE_FAULTY) and at issue (a node whose own
 * key is faulty issues no more proofs). */
bftd_evidence *bftd_proofs_evidence(bftd_proofs *ps);

/* How often a failing store is reopened and checked (30 s; tests shorten it). */
void bftd_proofs_set_reopen_interval(bftd_proofs *ps, int64_t ns);

/* The pinned key of node id (a configured peer or this node): 0 and pub, or -1. */
int bftd_proofs_pinned(const bftd_proofs *ps, uint32_t id, uint8_t pub[BFT_PROOF_KEY]);

#endif
