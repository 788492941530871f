/* SPDX-License-Identifier: MIT */
/*
 * The node's side of the Nakamoto engine (docs/nakamoto.md, "In the node"):
 * internal to src/node, driven by node.c. It owns the chain (bft_nk_chain
 * and its memory), the node's measurements and the statements it has heard,
 * the miner's work in progress, the gossip of statements and blocks (block
 * fragments, reassembly, parent requests) and the correction that chooses
 * the clock's point. node.c keeps the fusion, the alarm and the discipline;
 * this module tells it where in the fused interval the clock should go.
 *
 * Datagrams (never more than BFT_WIRE_MAX bytes, so they travel the same
 * path as the exchange's messages in the daemon and the simulator):
 *
 *   "BS" v1 | statement (109)                                  112 bytes
 *   "BF" v1 | from (4) | block hash (32) | length (2) | index (1) | count (1)
 *           | up to 213 bytes of the encoded block             <= 256 bytes
 *   "BG" v1 | from (4) | block hash (32)                       39 bytes
 *   "BI" v1 | from (4) | block hash (32)                       39 bytes
 *   "BH" v1 | from (4) | block header (104)                    111 bytes
 *
 * A block this node mined goes out whole ("BF" to every peer); one it
 * relays goes whole to a few peers (to all of them when it has fewer than
 * 8) and is announced by its hash ("BI") to the others; a peer that lacks
 * it asks an announcer for it ("BG", as for a missing parent), and again
 * each second while it does not come (node.c arms a TIMER for that). A
 * "BG" for a block the node keeps only the header of (forgotten from its
 * tree, kept in the chain's archive) is answered with the header ("BH"),
 * which the asker takes only as the block its line of orphans is missing,
 * at least a consensus window below that line's top (docs/nakamoto.md,
 * "Deep catch-up").
 * Statements are signed by their node; fragments, requests and
 * announcements are not: a reassembled block must hash to the hash its fragments announced
 * and decode with its statement root, so a forged fragment can only waste
 * a reassembly slot, and a block's worth is its work and signed statements,
 * whoever relays it.
 */
#ifndef BFTIME_NODE_CHAIN_NODE_H
#define BFTIME_NODE_CHAIN_NODE_H

#include "node/node.h"

typedef struct bft_nkn bft_nkn;

/* The node's clock at an event, as the chain needs it. */
typedef struct bft_nkn_now {
	int64_t raw_ns;
	int64_t time_ns;  /* disciplined clock: statements' local time, orphan ages */
	int64_t est_ns;   /* best estimate of true time: block timestamps */
	int64_t hi_ns;    /* latest true time (INT64_MAX unknown): the future rule */
	bool running;     /* the clock is set: statements are meaningful */
} bft_nkn_now;

int bft_nkn_create(bft_nkn **out, const bft_node_config *cfg);
void bft_nkn_destroy(bft_nkn *k);

/* A reference reading that passed the node's guard: true time in true_time at
 * the disciplined clock's time_ns. */
void bft_nkn_on_reading(bft_nkn *k, uint32_t ref_id, bft_interval true_time, const bft_nkn_now *now);
/* Once per poll: state the newest measurements, refresh the miner's block. */
void bft_nkn_on_poll(bft_nkn *k, const bft_nkn_now *now);
/* A mining step when due. The raw time of the next one (INT64_MAX: none). */
void bft_nkn_on_timer(bft_nkn *k, const bft_nkn_now *now);
int64_t bft_nkn_next_timer(const bft_nkn *k);

/*
 * External mining: the node's own steps hash hashes_per_step nonces per TIMER
 * (cfg.mine); these two let a miner outside the node do the hashing
 * instead, and the node make the block of what it finds, exactly as a step
 * that found it would. The simulator's Poisson mode (docs/nakamoto.md,
 * "Poisson mining") draws the moment of each find and searches the nonce
 * at its tiny difficulty; a daemon could hand the search to a thread, as
 * Bitcoin's getblocktemplate / submitblock do.
 *
 * bft_nkn_work: the header of the block the node would mine now (its
 * template on the best tip, rebuilt with now as its timestamp and the
 * statements it holds). 0, or BFT_EEMPTY: the node does not mine now (its
 * clock is not set or not settled), or no template can be made.
 * bft_nkn_found: that header with a nonce that meets its difficulty; the
 * block is made with it, judged by the chain like any block (proof of work
 * included), kept, and relayed or withheld as a mined one. The chain's
 * result (bft_nk_add, >= 0 kept), or BFT_EINVAL: not the header of the
 * current work (the template moved on since: stale), or no work.
 * bft_nkn_next_difficulty: what a block on the best tip must meet now (0
 * unknown): a miner's rate of finds is its hash rate over this.
 */
int bft_nkn_work(bft_nkn *k, const bft_nkn_now *now, bft_block_hdr *out);
int bft_nkn_found(bft_nkn *k, const bft_nkn_now *now, const bft_block_hdr *h);
uint64_t bft_nkn_next_difficulty(const bft_nkn *k);

/* Whether a datagram is one of the chain's (by its magic). */
bool bft_nkn_is_chain(const uint8_t *buf, size_t len);
/* Handle one; 0 used, negative dropped (and counted). */
int bft_nkn_on_packet(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len);
/* Replay a stored block: bft_nk_add's result or negative. */
int bft_nkn_load(bft_nkn *k, const bft_nkn_now *now, const uint8_t *buf, size_t len);

/* Next SEND (statement, fragment, parent request) or BLOCK; false: none. */
bool bft_nkn_next_action(bft_nkn *k, bft_action *out);

/*
 * The clock's point for a fusion at now: iv and *point are true - raw
 * (iv the fused interval, *point the engine's). With a consensus, *point
 * becomes the clock's own course moved by the chain's steer over one poll,
 * clamped into iv (the interval keeps the fusion's guarantee; the chain only
 * chooses the point). Returns true when the node must refuse to follow:
 * a chain it finds implausible has more work than its best (the alarm).
 */
bool bft_nkn_point(bft_nkn *k, const bft_nkn_now *now, int64_t poll_ns, bft_interval iv, int64_t *point);

void bft_nkn_info(const bft_nkn *k, bft_node_chain_info *out);
/* bft_node_chain_miners: the best chain's blocks by miner claim. */
uint64_t bft_nkn_miners(const bft_nkn *k, uint64_t *by_miner, size_t cap, uint64_t diff_range[2]);
/* Statements in the best chain's held blocks whose node id has its bit set
 * in marked[] (bit id % 8 of byte id / 8, ids below n_bits). */
uint64_t bft_nkn_stmts_of(const bft_nkn *k, const uint8_t *marked, size_t n_bits);

#endif
