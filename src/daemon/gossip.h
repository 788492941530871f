/* SPDX-License-Identifier: MIT */
/*
 * Proof gossip: this node's new proofs, pushed to every peer's HTTP API
 * (POST /v1/proofs, docs/api.md) and optionally to an external
 * data-availability endpoint (`da_forward`), with libcurl's multi interface
 * driven from the daemon's poll() loop: curl tells us which sockets to watch
 * and when to time out, the loop polls them with everything else, and no
 * transfer ever blocks it.
 *
 * Delivery is at-least-once, per target: a cursor (the next own seq to
 * send) advances only when the target answered 2xx. A failed POST is
 * retried with backoff (1 s doubling to 30 s); one request per target is in
 * flight at a time, at most BFTD_GOSSIP_BATCH proofs each, read back from
 * the store, so a peer that was down catches up in batches. When a peer
 * answers that the first proof of a batch left a gap (it lacks the
 * predecessor), the cursor moves back a batch: the peer's copy of the chain
 * is back-filled without any other bookkeeping. After a restart the cursor
 * starts at the last own proof (resent: the peer answers "duplicate"), so a
 * proof acknowledged just before a crash is never left unsent.
 *
 * Catch-up at start: before the node issues its first proof, it asks every
 * peer for the newest proofs it holds of this node (GET /v1/proofs?node=
 * SELF&order=newest), and submits them to its own store: a node whose store
 * was lost or restored from an old copy continues its chain from the newest
 * proof any peer has, instead of forking it. Each answer is reported to the
 * proof service; a peer that did not answer is asked again with backoff (1 s
 * doubling to 8 s). Issuing waits until every peer answered or
 * BFTD_GOSSIP_CATCHUP_NS passed; when the node's own head is unknown (store
 * and head record both lost), until a quorum of peers answered, however
 * long that takes (proofs_svc.h says which quorum, and why).
 */
#ifndef BFTIME_DAEMON_GOSSIP_H
#define BFTIME_DAEMON_GOSSIP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/proofs_svc.h"

#define BFTD_GOSSIP_BATCH 16
#define BFTD_GOSSIP_MAX_POLLFDS 64
#define BFTD_GOSSIP_CATCHUP_NS (10 * BFT_NS_PER_SEC)

typedef struct bftd_gossip bftd_gossip;

typedef struct bftd_gossip_target_info {
	const char *url;
	uint32_t peer_id;      /* 0 with is_peer false: the DA endpoint */
	bool is_peer;
	uint64_t next_seq;     /* the next own seq to send */
	uint64_t posts, ok, failed, proofs_sent;
	uint64_t gap_loops;    /* a batch answered "gap" again before the peer took one at or above it: sent past */
	int64_t last_ok_mono;  /* 0: never */
	long last_status;      /* last HTTP status, 0 when the connection failed */
	const char *last_error;
} bftd_gossip_target_info;

typedef struct bftd_gossip_stats {
	uint64_t posts, ok, failed, proofs_sent;
	/* solar fragments (bftd_gossip_solar): posted, answered 2xx, failed,
	 * dropped because the previous one to that peer was still in flight */
	uint64_t solar_posts, solar_ok, solar_failed, solar_dropped;
} bftd_gossip_stats;

/* Targets: every peer with an `api` address, and cfg->da_forward when set.
 * ps must outlive the gossip. 0 or negative with err. */
int bftd_gossip_create(bftd_gossip **out, const bftd_config *cfg, bftd_proofs *ps, char *err, size_t errlen);
void bftd_gossip_destroy(bftd_gossip *g);

/* A new own proof was acknowledged: send it (and anything before it that a
 * target lacks) at the next bftd_gossip_service. */
void bftd_gossip_announce(bftd_gossip *g);

/* Whether the start-up catch-up is still running at mono time now (the
 * node must not issue proofs yet). */
bool bftd_gossip_catching_up(const bftd_gossip *g, int64_t now_mono);

/* A signed solar fragment (src/refclock/solar.h, at most
 * BFT_FRAG_MAX_BYTES) to every peer's POST /v1/solar, as
 * application/octet-stream, once: a fragment is worth something only while
 * the peers still hold their recording of the same moment, so a failed or
 * busy post is counted and not retried. */
void bftd_gossip_solar(bftd_gossip *g, const uint8_t *buf, size_t len);

size_t bftd_gossip_pollfds(bftd_gossip *g, struct pollfd *out, size_t cap);
/* ms until curl's or a retry's deadline, -1 for none. */
int bftd_gossip_timeout_ms(bftd_gossip *g, int64_t now_mono);
/* After poll(): drive curl on the ready sockets and its timer, finish
 * transfers, start due ones. Never blocks. */
void bftd_gossip_service(bftd_gossip *g, const struct pollfd *pfds, size_t n, int64_t now_mono);

size_t bftd_gossip_targets(const bftd_gossip *g, bftd_gossip_target_info *out, size_t cap);
const bftd_gossip_stats *bftd_gossip_get_stats(const bftd_gossip *g);

/* ---- a peer's answers, parsed -------------------------------------------
 * Pure functions (no I/O), fuzzed by tests/fuzz/fuzz_gossip.c: the peer
 * answering may be hostile, so its answers are read with a bounded size
 * and nesting depth and trusted for nothing but their syntax (the store
 * checks every proof they carry). */

/* A catch-up answer (GET /v1/proofs?node=SELF&order=newest): the canonical
 * bytes of the proofs in its "proofs" array (each member's "bytes", as
 * hex), at most cap of them, into out and lens OLDEST FIRST, the order in
 * which they chain. The answer lists the newest first, so the first cap
 * usable members are the ones taken; members that are not hex of a proof's
 * size are skipped. Returns how many were taken (0 for an answer that is
 * not such JSON). */
size_t bftd_gossip_parse_catchup(const char *body, size_t len, uint8_t (*out)[BFT_PROOF_MAX], size_t *lens,
                                 size_t cap);

/* Whether a catch-up answer is one: a JSON object with a "proofs" array
 * (which may be empty: the peer holds nothing of this node). What counts
 * towards the catch-up quorum (proofs_svc.h). */
bool bftd_gossip_is_catchup(const char *body, size_t len);

/* A POST /v1/proofs answer: whether its first result is "gap" (the peer
 * lacks the predecessor of the batch's first proof). */
bool bftd_gossip_first_is_gap(const char *body, size_t len);

#endif
