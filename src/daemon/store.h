/* SPDX-License-Identifier: MIT */
/*
 * The proof store: the storage half of the data-availability layer. One
 * SQLite database (WAL mode, path from the config) holds the node's own
 * time proofs and its peers', keyed by (node id, seq), each as its canonical
 * bytes with its hash and times (docs/proofs.md has the schema).
 *
 * A proof is stored only after its signature verifies and it links to what
 * is already stored: its predecessor (node, seq - 1) when present must hash
 * to its prev_hash (else BAD_CHAIN), its successor when present must name
 * it (else BAD_CHAIN), and a different proof already at (node, seq) is a
 * FORK: the node signed two histories. A proof whose predecessor is missing
 * is stored and flagged as a gap until the predecessor arrives. Every
 * insertion is one transaction, so a rejected or failed insertion changes
 * nothing. Every proof commits with synchronous=FULL: an acknowledged proof
 * (own, or a peer's answered with 200) survives kill -9 and power loss.
 *
 * One store per connection; calls on one store must be serialized (the
 * daemon's loop is single-threaded). Statements are prepared once at open.
 */
#ifndef BFTIME_DAEMON_STORE_H
#define BFTIME_DAEMON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proof.h"
#include "proto/sign.h"

typedef struct bft_store_config {
	const char *path;      /* database file, created if missing */
	/* How signatures are checked: with signer (keyed by node id: the keyring
	 * of pinned peers, or the simulator's stand-in) when set, else as
	 * Ed25519 under the key the proof embeds. */
	const bft_signer *signer;
	/* Optional: node_id's pinned Ed25519 key: return 0 and fill pub when
	 * pinned, negative when not. A proof embedding another key is rejected. */
	int (*pinned_key)(void *ctx, uint32_t node_id, uint8_t pub[BFT_PROOF_KEY]);
	void *pinned_ctx;
	bool require_pinned;   /* reject proofs of nodes pinned_key does not know */
} bft_store_config;

/* What bft_store_put did with a proof. */
enum bft_store_result {
	BFT_STORE_NEW = 0,      /* stored, linked to its predecessor (or the first of its chain) */
	BFT_STORE_GAP,          /* stored; its predecessor is not (yet) in the store */
	BFT_STORE_DUP,          /* the same proof was already stored: nothing to do */
	BFT_STORE_BAD_ENCODING, /* not a canonical proof */
	BFT_STORE_BAD_SIG,      /* signature does not verify (or unknown node for the signer) */
	BFT_STORE_BAD_KEY,      /* embedded key differs from the pinned one or the one stored
	                         * for the node, or the node is not pinned and must be */
	BFT_STORE_FORK,         /* another proof with the same (node, seq) is stored */
	BFT_STORE_BAD_CHAIN,    /* does not link with its stored predecessor or successor */
	BFT_STORE_IO,           /* the database failed: nothing was changed */
	BFT_STORE_RESULTS
};

typedef struct bft_store_stats {
	uint64_t by_result[BFT_STORE_RESULTS]; /* bft_store_put calls since open, per result */
} bft_store_stats;

typedef struct bft_store bft_store;

/* Open (creating if needed) the database at cfg->path. cfg is copied; the
 * signer and pinned_ctx must outlive the store. 0, BFT_EINVAL (bad config,
 * not a proof store, or a newer schema) or BFT_ENOMEM (cannot open). */
BFT_WARN_UNUSED int bft_store_open(bft_store **out, const bft_store_config *cfg);

/* Close; NULL is fine. */
void bft_store_close(bft_store *st);

/* Verify and store one proof given as bytes (from a peer, the API). *res
 * (may be NULL) says what happened. Returns 0 for NEW, GAP and DUP,
 * BFT_EINVAL for a rejected proof, BFT_ENOMEM when the database failed
 * (disk full, I/O error, out of memory). */
BFT_WARN_UNUSED int bft_store_put(bft_store *st, const uint8_t *buf, size_t len, enum bft_store_result *res);

/* The same for a decoded proof (our own, fresh from the generator). */
BFT_WARN_UNUSED int bft_store_put_proof(bft_store *st, const bft_proof *p, enum bft_store_result *res);

/* The proof with the highest seq of node_id: how the node continues its own
 * chain after a restart. 0, BFT_EEMPTY (none), BFT_EINVAL, BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_last(bft_store *st, uint32_t node_id, bft_proof *out);

/* The canonical bytes of (node_id, seq) into buf; returns the length,
 * BFT_EEMPTY (not stored), BFT_ERANGE (cap too small) or BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_get(bft_store *st, uint32_t node_id, uint64_t seq, uint8_t *buf, size_t cap);

typedef struct bft_store_query {
	bool all_nodes;        /* every node, or only node_id */
	uint32_t node_id;
	int64_t since_ns;      /* proofs with time_ns >= since_ns */
	size_t limit;          /* at most this many; 0: no limit */
	bool newest_first;     /* descending time (the most recent first), else ascending */
} bft_store_query;

/* Called with each proof's canonical bytes; a non-zero return stops the
 * walk. It must not call into the store. */
typedef int (*bft_store_visit_fn)(void *ctx, const uint8_t *buf, size_t len);

/* get_recent_proofs: visit the proofs q selects, ordered by (time_ns, node,
 * seq). Returns the number visited, or BFT_EINVAL / BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_recent(bft_store *st, const bft_store_query *q, bft_store_visit_fn fn, void *ctx);

/* Number of stored proofs of node_id, or of every node when all_nodes. */
BFT_WARN_UNUSED int bft_store_count(bft_store *st, bool all_nodes, uint32_t node_id, uint64_t *out);

/* Walk node_id's stored chain in seq order: every row decodes, its hash
 * column is its hash, every adjacent pair links (bft_proof_chain_check) and,
 * when check_sigs, every signature verifies. *links and *gaps (may be NULL)
 * count the linked pairs and the missing stretches. 0, BFT_EINVAL at the
 * first bad row or link, BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_verify_chain(bft_store *st, uint32_t node_id, bool check_sigs, uint64_t *links,
                                           uint64_t *gaps);

/* Counters since open. */
const bft_store_stats *bft_store_get_stats(const bft_store *st);

/* A static name for a result ("new", "fork", ...), for logs and metrics. */
const char *bft_store_result_name(enum bft_store_result r);

#endif
