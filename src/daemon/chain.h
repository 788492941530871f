/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of the Nakamoto engine (docs/nakamoto.md): the blocks
 * the node accepted kept in SQLite (consensus.nakamoto.store) and replayed
 * into the node at start, so a restart (or kill -9) does not lose the
 * chain; and the chain's state rendered for GET /v1/chain, the status and
 * the metrics, all read from the node's bft_node_chain_info at once.
 */
#ifndef BFTIME_DAEMON_CHAIN_H
#define BFTIME_DAEMON_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "node/node.h"

typedef struct bftd_chain bftd_chain;

/* Open (creating) the block store at path. 0, or a negative code with a
 * message in err. */
int bftd_chain_open(bftd_chain **out, const char *path, char *err, size_t errlen);
void bftd_chain_close(bftd_chain *c);
/* Keep one block the node announced (BFT_ACT_BLOCK); a block already kept
 * is not an error. 0 or negative (counted in failures). */
int bftd_chain_put(bftd_chain *c, const uint8_t *blob, size_t len);
/* Replay every kept block into the node, lowest height first: *kept the
 * blocks the node put in its tree (best or side), *orphans those it holds
 * as orphans (their parent is not stored: a block taken on its header
 * alone, while catching up, is not kept in the store), *refused those it
 * refused. BFT_EINVAL when the store could not be read to the end (err
 * says where and why; the blocks read before are kept, the store
 * untouched). */
int bftd_chain_replay(bftd_chain *c, bft_node *n, int64_t raw_ns, size_t *kept, size_t *orphans, size_t *refused,
                      char *err, size_t errlen);

/*
 * The identity each configured reference's statements name (chain_wire.h):
 * a GPS receiver (nmea, gpsd) "GNSS GPS", so that every node's receivers
 * of the one constellation are one reference; an NTP server its address
 * (IPv6, or IPv4-mapped), a name resolved once, here, at start (the
 * driver resolves it the same way: a time source should not move with
 * DNS); solar radio its band's centre in kHz; the simulated and system
 * references, and an NTP server whose name does not resolve at start
 * (logged), "simulated i + 1", which says what it is and matches only
 * nodes configured alike. out has n entries.
 */
struct bftd_ref;
void bftd_chain_refs(const struct bftd_ref *refs, size_t n, bft_cref *out);

typedef struct bftd_chain_stats {
	uint64_t stored, put_failures, replayed, replay_refused, replay_errors;
} bftd_chain_stats;
void bftd_chain_get_stats(const bftd_chain *c, bftd_chain_stats *out);

/* The chain object of /v1/chain and /v1/status (c may be NULL: no store);
 * NULL when the node does not run the Nakamoto engine. */
json_object *bftd_chain_json(const bft_node *n, const bftd_chain *c);
/* Prometheus lines (bftime_chain_*), each through line(ctx, text). */
void bftd_chain_metrics(const bft_node *n, void (*line)(void *ctx, const char *text), void *ctx);

#endif
