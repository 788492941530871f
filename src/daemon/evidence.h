/* SPDX-License-Identifier: MIT */
/*
 * The daemon's equivocation evidence (docs/proofs.md, "Equivocation is
 * evidence"; the format in proto/evidence.h). When the proof store refuses
 * a validly signed proof as a FORK or BAD_CHAIN, the proof and the stored
 * one it conflicts with are two histories signed by one key: this module
 * makes them evidence, keeps it durably (the proof store's evidence table,
 * one piece per key), serves it (GET /v1/evidence), accepts it from peers
 * and clients (POST /v1/evidence, after checking both signatures under the
 * pinned key), and gossip pushes it to every peer. From then on the key is
 * faulty at this node: its proofs are refused (BFT_STORE_FAULTY, HTTP 422
 * "faulty_key"), its datagrams are dropped before the node sees them (the
 * peer is no longer a time source), status and metrics say so, and when
 * the key is this node's own, the node stops issuing proofs and tells the
 * operator to rotate the key. Evidence is about a key, not a node id: a new
 * key pinned for the node (the operator's recovery) is not faulty.
 *
 * Only keys this node pins (its peers' and its own) are accepted: evidence
 * about a key nobody here trusts changes nothing, and this bounds what a
 * client can make the node store to one row per pinned key.
 *
 * Single-threaded, like the loop that calls it.
 */
#ifndef BFTIME_DAEMON_EVIDENCE_H
#define BFTIME_DAEMON_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/config.h"
#include "daemon/http.h"
#include "daemon/store.h"
#include "proto/evidence.h"

#define BFTD_EVIDENCE_MAX_POST 16 /* pieces per POST /v1/evidence */

typedef struct bftd_evidence bftd_evidence;

/* What became of a piece of evidence offered to bftd_evidence_submit. */
enum bftd_ev_result {
	BFTD_EV_NEW = 0,     /* valid, stored: the key is faulty from now on */
	BFTD_EV_DUP,         /* valid; evidence against that key is held already */
	BFTD_EV_INVALID,     /* not evidence (the reason: enum bft_evidence_error) */
	BFTD_EV_UNKNOWN_KEY, /* valid, but the key is not one this node pins */
	BFTD_EV_IO,          /* the store failed: nothing kept (offer it again) */
	BFTD_EV_RESULTS
};

typedef struct bftd_evidence_stats {
	uint64_t created;                   /* made here from a conflict the store found */
	uint64_t by_result[BFTD_EV_RESULTS]; /* offers by result (API and gossip) */
	uint64_t invalid[BFT_EV_ERRORS];    /* refused offers by reason */
	uint64_t proofs_refused;            /* proofs under a faulty key refused */
	uint64_t datagrams_dropped;         /* datagrams of a faulty peer dropped */
	uint64_t stored_damaged;            /* stored rows that no longer verify (ignored) */
} bftd_evidence_stats;

/* cfg and self_pub must outlive it. 0 or BFT_ENOMEM. */
int bftd_evidence_create(bftd_evidence **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY]);
/* This node's own SLH-DSA public key (pk, len: kept, not copied), so that
 * evidence against its own key made of pure SLH-DSA proofs verifies, as a
 * peer's does under its pinned key. */
void bftd_evidence_set_self_slh(bftd_evidence *ev, const uint8_t *pk, size_t len);
void bftd_evidence_destroy(bftd_evidence *ev);

/* Add what st holds (at open, and after the store was reopened) to what
 * is held; every row is checked again. 0 or BFT_ENOMEM. */
int bftd_evidence_load(bftd_evidence *ev, bft_store *st);

/* The store refused the proof buf as a FORK or BAD_CHAIN: make evidence of
 * it and the stored proof it conflicts with, and keep it. True when new
 * evidence was made. */
bool bftd_evidence_on_conflict(bftd_evidence *ev, bft_store *st, const uint8_t *buf, size_t len);

/* Check and keep evidence offered as bytes; *reason (may be NULL) is the
 * enum bft_evidence_error for BFTD_EV_INVALID. */
enum bftd_ev_result bftd_evidence_submit(bftd_evidence *ev, bft_store *st, const uint8_t *buf, size_t len,
                                         int *reason);

/* Whether evidence against key pub is held. */
bool bftd_evidence_key_faulty(const bftd_evidence *ev, const uint8_t pub[BFT_PROOF_KEY]);
/* Whether the key pinned for node_id (a peer or this node) is faulty. */
bool bftd_evidence_node_faulty(const bftd_evidence *ev, uint32_t node_id);
/* Whether this node's own key is faulty (it must issue no more proofs). */
bool bftd_evidence_self_faulty(const bftd_evidence *ev);

/* Count a proof refused because its key is faulty. */
void bftd_evidence_note_refused(bftd_evidence *ev);

/* A datagram, before the node sees it: true (drop it, counted) when it is
 * from a peer whose key is faulty. */
bool bftd_evidence_drop_datagram(bftd_evidence *ev, const uint8_t *buf, size_t len);

/* How many pieces are held, and the bytes of the i-th (oldest first):
 * the length, or BFT_ERANGE. */
size_t bftd_evidence_count(const bftd_evidence *ev);
int bftd_evidence_bytes(const bftd_evidence *ev, size_t i, uint8_t *buf, size_t cap);

const bftd_evidence_stats *bftd_evidence_get_stats(const bftd_evidence *ev);
const char *bftd_evidence_result_name(enum bftd_ev_result r);

/* ---- for the API (self-contained: api.c only routes to them) ------------ */

/* GET /v1/evidence and POST /v1/evidence (docs/api.md). ev and st may be
 * NULL (no store: 503). */
void bftd_evidence_api_get(bftd_evidence *ev, bft_store *st, bftd_http_response *resp);
void bftd_evidence_api_post(bftd_evidence *ev, bft_store *st, const bftd_http_request *req,
                            bftd_http_response *resp);
/* The "evidence" object of /v1/status, added to o. */
void bftd_evidence_status_json(const bftd_evidence *ev, json_object *o);
/* A peer's entry in /v1/status and /v1/peers: "faulty": "equivocation" when its key is. */
void bftd_evidence_peer_json(const bftd_evidence *ev, uint32_t peer_id, json_object *po);
/* The Prometheus lines, appended through put (api.c's buffer). */
void bftd_evidence_metrics(const bftd_evidence *ev, void (*put)(void *ctx, const char *line), void *ctx);

/* ---- pure, fuzzed (tests/fuzz/fuzz_evidence.c) --------------------------- */

/* A POST /v1/evidence body: {"evidence": HEX} or {"evidence": [HEX, ...]}
 * (at most cap), each the hex of at most BFT_EVIDENCE_MAX bytes. Syntax and
 * sizes only. 0 and *n, or BFT_EINVAL with err. */
int bftd_evidence_parse_body(const char *body, size_t len, uint8_t (*out)[BFT_EVIDENCE_MAX], size_t *lens,
                             size_t cap, size_t *n, char *err, size_t errlen);

#endif
