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
 * A store cannot lie about what it holds: a file that is not a plausible
 * database (a directory, a garbage header, shorter than its header says) is
 * refused at open with the damage named; bft_store_check walks all of it
 * (SQLite's quick_check, then every row against its hash, its key and its
 * neighbours, and a signature at the top of every stretch, which the hash
 * links extend to every row below it); and every proof handed out is
 * checked again on the way out (its bytes against its hash, its signature
 * unless that very hash was verified since open), so a byte changed on disk
 * is never served: the row is skipped and counted DAMAGED.
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
	/* Optional, version-2 proofs: node_id's pinned SLH-DSA public key (0,
	 * *len and pk filled, up to BFT_SLHDSA_MAX_PK bytes; negative when
	 * none). A proof carrying another is BAD_KEY; without one, only a
	 * hybrid proof's SLH-DSA key counts (the pinned Ed25519 key signs it)
	 * and a pure SLH-DSA proof is BAD_SIG (proof_v2.h). */
	int (*pinned_slh_key)(void *ctx, uint32_t node_id, uint8_t *pk, size_t *len);
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
	BFT_STORE_DAMAGED,      /* never a result of put: counts stored proofs found damaged
	                         * when read (skipped, never handed out) */
	BFT_STORE_FAULTY,       /* never a result of put: the proof service refused it because
	                         * its key was shown to sign two histories (evidence.h) */
	BFT_STORE_RESULTS
};

typedef struct bft_store_stats {
	uint64_t by_result[BFT_STORE_RESULTS]; /* bft_store_put calls since open, per result;
	                                        * DAMAGED: rows found damaged when read */
} bft_store_stats;

typedef struct bft_store bft_store;

/* Open (creating if needed) the database at cfg->path. cfg is copied; the
 * signer and pinned_ctx must outlive the store. 0, BFT_EINVAL (bad config,
 * not a proof store, a newer schema, or a file that cannot be a sound
 * database: a directory, not a regular file, a header that is not SQLite's
 * or shorter than a header, fewer bytes than its header counts or not whole
 * pages) or BFT_ENOMEM (cannot open: missing directory, permissions, I/O).
 * err (may be NULL) says which, in a sentence without the path. A file of 0
 * bytes opens (SQLite makes it a new database): bft_store_was_empty says so,
 * for the caller to know the store lost whatever it held. */
BFT_WARN_UNUSED int bft_store_open(bft_store **out, const bft_store_config *cfg, char *err, size_t errlen);

/* Whether the file was 0 bytes long at open. */
bool bft_store_was_empty(const bft_store *st);

typedef struct bft_store_report {
	uint64_t rows, nodes;  /* proofs and nodes stored */
	uint64_t gaps;         /* missing stretches (a node's chain not from seq 0 counts one) */
	uint64_t signatures;   /* verified: the top of every stretch */
} bft_store_report;

/* The start-up check, O(rows): SQLite's quick_check; then every row, in
 * (node, seq) order: it decodes, its key and derived columns are the
 * proof's own, its hash column is its hash, its key is the one stored for
 * its node; consecutive seqs of a node link (bft_proof_chain_check); and
 * the newest proof of every stretch without a gap carries a valid signature,
 * which the links extend to every proof below it (a forger would need the
 * node's key, or a SHA3-256 collision). 0 and *rep (may be NULL) filled;
 * BFT_EINVAL with err naming the first damage found; BFT_ENOMEM when the
 * database cannot be read (err says why). Cost: about a microsecond per row
 * plus a verification per stretch. */
BFT_WARN_UNUSED int bft_store_check(bft_store *st, bft_store_report *rep, char *err, size_t errlen);

/* SQLite's message for the store's last failure ("database or disk is
 * full", ...), or the last damage found when read: for logs. */
const char *bft_store_errmsg(const bft_store *st);

/* Carry the counters of from (a store being replaced) over to to. */
void bft_store_carry_stats(bft_store *to, const bft_store *from);

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
 * chain after a restart. 0, BFT_EEMPTY (none), BFT_EINVAL (that row is
 * damaged: counted, not handed out), BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_last(bft_store *st, uint32_t node_id, bft_proof *out);

/* The canonical bytes of (node_id, seq) into buf; returns the length,
 * BFT_EEMPTY (not stored), BFT_ERANGE (cap too small), BFT_EINVAL (the row
 * is damaged: counted, not handed out) or BFT_ENOMEM. */
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
 * seq); a damaged row is skipped (and counted). Returns the number visited,
 * or BFT_EINVAL / BFT_ENOMEM. */
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

/* Count a result decided outside put (BFT_STORE_FAULTY). */
void bft_store_count_result(bft_store *st, enum bft_store_result r);

/* ---- equivocation evidence (proto/evidence.h, daemon/evidence.h) ---------
 * One piece per key: the first that showed the key signed two histories is
 * enough, and a table bounded by the pinned keys cannot be flooded. Rows
 * are the evidence's canonical bytes; the caller verified them, and checks
 * them again when it reads them back (a changed row is not trusted). Each
 * insertion commits with synchronous=FULL, like a proof. */

/* Store buf as the evidence against pub, replacing a row held for pub
 * (the caller stores only a key's first valid piece: a row already there is
 * one that no longer verifies). 0, or BFT_ENOMEM when the database failed. */
BFT_WARN_UNUSED int bft_store_evidence_put(bft_store *st, const uint8_t pub[BFT_PROOF_KEY], uint32_t node_id,
                                           const uint8_t *buf, size_t len);

/* Visit every stored piece of evidence, oldest first; the number visited
 * or BFT_ENOMEM. */
BFT_WARN_UNUSED int bft_store_evidence_all(bft_store *st, bft_store_visit_fn fn, void *ctx);

/* A static name for a result ("new", "fork", ...), for logs and metrics. */
const char *bft_store_result_name(enum bft_store_result r);

#endif
