/* SPDX-License-Identifier: MIT */
/*
 * The Nakamoto chain engine's state machine (docs/nakamoto.md): one node's
 * view of the proof-of-work chain of offset statements. It validates blocks
 * (work, difficulty, height, timestamps, signatures, plausibility of every
 * offset against the node's own measurement), keeps a block tree in a fixed
 * number of caller-provided slots, chooses the chain with the most
 * cumulative work, handles reorganisations, holds orphans for a while, and
 * turns the best chain's recent statements into the consensus correction:
 * per reference, the median offset with at most one statement per node,
 * the node's phase to the consensus clock with an interval it can state
 * honestly, and a frequency steer.
 *
 * Pure: no I/O, no clock reads, no globals, no allocation. The caller owns
 * every byte (the chain struct, its slots, its orphan pool, scratch) and
 * passes its own view of time and of the references with each call, as the
 * node passes readings to fusion. Prefix bft_nk_ (Nakamoto), to tell it from
 * the per-node proof chains of proof.h.
 *
 * Costs: bft_nk_add is O(slots + orphans) for lookups plus one signature
 * verification per statement (Ed25519: ~50 us each, so at most ~3 ms for a
 * full block); bft_nk_consensus is O(window * 64 * log) in its scratch, O(window + n)
 * while the window's blocks stay the same.
 */
#ifndef BFTIME_NODE_CHAIN_H
#define BFTIME_NODE_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "proto/chain_wire.h"

__extension__ typedef unsigned __int128 bft_nk_work; /* cumulative work: sums of 64-bit difficulties */

/* Statements the consensus looks at; a median of more than this many
 * nodes' statements per reference uses the newest this many. */
#define BFT_NK_WINDOW_MAX 256

typedef struct bft_nk_cfg {
	uint8_t genesis[BFT_BLOCK_HASH]; /* the parent hash of height-1 blocks (height 0 is virtual) */
	int64_t genesis_time_ns;         /* height 0's timestamp: the first retarget span starts here */
	uint64_t genesis_difficulty;     /* difficulty of heights 1..retarget_blocks, >= 1 */
	int64_t interval_ns;             /* the block interval difficulty aims at, > 0 */
	uint32_t retarget_blocks;        /* N: difficulty changes every N blocks, >= 2 */
	uint32_t max_step;               /* a retarget changes D by at most this factor either way, >= 2 */
	int64_t future_tol_ns;           /* a timestamp may be this far past the node's latest true time */
	int64_t stmt_age_ns;             /* statements measured at most this long before their block */
	int64_t agree_ns;                /* plausibility allowance for honest clocks' disagreement */
	int64_t drift_ppb;               /* bound on |d(offset)/dt| of an honest statement (drift + steer) */
	uint32_t window_blocks;          /* consensus: statements of the last this many best-chain blocks */
	int64_t orphan_ttl_ns;           /* an orphan is dropped after this long (node's clock) */
	uint32_t min_stmts;              /* consensus needs statements from at least this many nodes, >= 1 */
	const bft_signer *signer;        /* knows every participating node's key; verify only */
} bft_nk_cfg;

/* One measurement of the node's own: the same quantities a statement
 * carries. Plausibility compares statements with these. */
typedef struct bft_nk_meas {
	bft_cref ref;
	int64_t offset_ns, unc_ns, local_ns;
} bft_nk_meas;

/* What the node knows when a block arrives. */
typedef struct bft_nk_view {
	int64_t now_ns;              /* the node's clock now (orphan ages) */
	int64_t true_hi_ns;          /* the latest true time the node allows now (its interval's hi) */
	const bft_nk_meas *meas;     /* its newest measurement per reference */
	size_t n_meas;
} bft_nk_view;

/* A statement as the chain keeps it, its signature checked and dropped. */
typedef struct bft_nk_stmt {
	uint32_t node_id;
	bft_cref ref;
	int64_t offset_ns, unc_ns, local_ns;
} bft_nk_stmt;

typedef struct bft_nk_entry {
	bool used;
	bool pruned;        /* taken on its header alone (bft_nk_add_header): no statements */
	bool unverified;    /* some statement's reference was not measured here when it came (bft_nk_recheck) */
	bool dropped;       /* bft_nk_recheck's mark while it runs */
	bool untimed;       /* taken while the node knew no latest true time: its timestamp's future
	                     * rule is judged when it does (bft_nk_recheck_time) */
	int32_t parent;     /* slot of the parent; -1 genesis; -2 forgotten (evicted) */
	bft_block_hdr h;
	uint8_t hash[BFT_BLOCK_HASH];
	bft_nk_work work;   /* cumulative, genesis excluded */
	uint8_t n_stmts;
	bft_nk_stmt stmts[BFT_BLOCK_MAX_STMTS];
} bft_nk_entry;

typedef struct bft_nk_orphan {
	bool used;
	bool pruned;        /* a header alone: b's statements are not there */
	int64_t received_ns;
	bft_block b;
	uint8_t hash[BFT_BLOCK_HASH];
} bft_nk_orphan;

/* The header of a block the tree forgot to make room (bft_nk_set_archive):
 * what a peer further behind than the tree's slots needs to fetch the line
 * it is missing. */
typedef struct bft_nk_arch {
	bool used;
	bft_block_hdr h;
	uint8_t hash[BFT_BLOCK_HASH];
	bft_nk_work work; /* cumulative, as the tree had it: a line joining here adds to it */
} bft_nk_arch;

/* Outcomes of bft_nk_add: >= 0 kept, < 0 refused (and counted). */
enum bft_nk_result {
	BFT_NK_BEST = 0,       /* valid; the best chain now ends with it */
	BFT_NK_SIDE = 1,       /* valid, on a chain with less work than the best */
	BFT_NK_ORPHAN = 2,     /* parent unknown: held until it arrives or the orphan expires */
	BFT_NK_DUP = 3,        /* already known */
	BFT_NK_EFORMAT = -1,   /* fails the codec's checks (bft_block_check) */
	BFT_NK_EWORK = -2,     /* hash does not meet the block's own target */
	BFT_NK_EDIFF = -3,     /* difficulty is not the one retargeting requires */
	BFT_NK_EHEIGHT = -4,   /* height is not parent's + 1 */
	BFT_NK_EPAST = -5,     /* timestamp not after the median of the previous 11 */
	BFT_NK_EFUTURE = -6,   /* timestamp beyond the node's latest true time + future_tol_ns */
	BFT_NK_ESIG = -7,      /* a statement's signature fails (or its node is unknown) */
	BFT_NK_EIMPLAUSIBLE = -8, /* an offset disagrees with the node's own measurement */
	BFT_NK_ESTALE = -9,    /* a statement measured too long before (or after) its block */
	BFT_NK_EPARENT = -10,  /* descends from a block refused before */
	BFT_NK_EANCESTRY = -11,/* its retarget needs ancestors this node no longer keeps */
	BFT_NK_ELOWORK = -12,  /* an orphan, or a block joining at the archive, too easy to be worth holding (flooding defence) */
	BFT_NK_EINVAL = -13,   /* bad arguments */
};
#define BFT_NK_NREASONS 14 /* rejected[] is indexed by -result */

typedef struct bft_nk_stats {
	uint64_t accepted;         /* valid blocks stored */
	uint64_t best_changes;     /* times the best tip changed */
	uint64_t reorgs;           /* best-tip changes that left the old tip's chain */
	uint64_t max_reorg_depth;  /* blocks undone by the deepest reorganisation */
	uint64_t duplicates;
	uint64_t orphans_held, orphans_adopted, orphans_expired, orphans_dropped;
	uint64_t evicted;          /* old blocks forgotten to make room */
	uint64_t headers;          /* blocks taken on their header alone (bft_nk_add_header) */
	uint64_t reseated;         /* forgotten blocks put back from the archive for a line to join */
	uint64_t unverifiable;     /* statements about references the node does not measure */
	uint64_t rechecked_out;    /* blocks dropped from the tree by bft_nk_recheck (and their descendants) */
	uint64_t rejected[BFT_NK_NREASONS];
	uint64_t implausible_heavier; /* implausible blocks that would have had the most work */
} bft_nk_stats;

typedef struct bft_nk_chain {
	bft_nk_cfg cfg;
	bft_nk_entry *slots;
	size_t n_slots;
	bft_nk_orphan *orphans;
	size_t n_orphans;
	int32_t best; /* slot of the best tip, -1 for genesis */
	bft_nk_arch *arch; /* ring of forgotten blocks' headers (bft_nk_set_archive) */
	size_t n_arch, arch_next;
	/* The first 4 bytes of each slot's hash, then of each orphan's hash and
	 * parent, in their order (bft_nk_set_index; NULL: none): the lookups by
	 * hash scan these, a match checked against the entry, instead of one
	 * cache line or more per 3-7 KB entry. */
	uint32_t *keys;
	/* Ring of refused blocks, so their descendants are refused at once:
	 * final refusals, and implausible ones with the work their chain
	 * claims (the alarm below). */
	struct bft_nk_bad {
		uint8_t hash[BFT_BLOCK_HASH];
		bool implausible;
		bft_nk_work work;
	} bad[64];
	unsigned bad_next, bad_count;
	bft_nk_work implausible_work; /* most work seen on a chain this node finds implausible */
	size_t n_untimed;             /* slots with untimed set */
	bft_nk_stats st;
} bft_nk_chain;

/*
 * Initialise c over caller-owned slots (n_slots >= 2 * retarget_blocks + 12
 * so that retargets and the 11-block median always find their ancestors on
 * the best chain) and orphans (may be 0). The configuration is copied.
 * 0 or BFT_EINVAL.
 */
BFT_WARN_UNUSED int bft_nk_init(bft_nk_chain *c, const bft_nk_cfg *cfg, bft_nk_entry *slots, size_t n_slots,
                                bft_nk_orphan *orphans, size_t n_orphans);

/*
 * Offer a block (decoded, or built locally). Validates it against its
 * parent and the view, stores it, moves the best tip if it now has the most
 * work (ties keep the first seen), adopts orphans that were waiting for it,
 * and expires old orphans. Returns an enum bft_nk_result; refusals are
 * counted in stats.rejected[-result]. Refusals that do not depend on the
 * view are remembered so the block's descendants are refused too.
 */
int bft_nk_add(bft_nk_chain *c, const bft_block *b, const bft_nk_view *v);

/*
 * An index for the lookups by hash: keys, caller-owned, of
 * bft_nk_index_len(c) entries, kept by c from now on (NULL: none, the
 * entries scanned). The same answers either way; after bft_nk_init.
 */
size_t bft_nk_index_len(const bft_nk_chain *c);
void bft_nk_set_index(bft_nk_chain *c, uint32_t *keys);

/*
 * Keep the headers of the blocks the tree forgets to make room in arch[n]
 * (caller-owned, a ring; n = 0 keeps none, the default), so that
 * bft_nk_header can still answer for them.
 */
void bft_nk_set_archive(bft_nk_chain *c, bft_nk_arch *arch, size_t n);

/* The header of a block the tree holds, or forgot but archived: 0, or
 * BFT_EEMPTY (not known) or BFT_EINVAL. */
BFT_WARN_UNUSED int bft_nk_header(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH], bft_block_hdr *out);

/* Whether the block is in the tree or among the held orphans. */
bool bft_nk_known(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH]);

/* Lines of held orphans (a line: orphans each the parent of the next).
 * bft_nk_line_missing: the block the line below `parent` is missing: parent
 * itself, or, if parent is a held orphan too, the parent of the lowest
 * orphan down that line. bft_nk_line_top: the height of the highest orphan
 * of the line whose missing block is `hash` (0: no held orphan has it as
 * its parent). */
const uint8_t *bft_nk_line_missing(const bft_nk_chain *c, const uint8_t parent[BFT_BLOCK_HASH]);
uint64_t bft_nk_line_top(const bft_nk_chain *c, const uint8_t hash[BFT_BLOCK_HASH]);

/*
 * Offer a block by its header alone: a block a peer has forgotten all but
 * the header of, deeper than its tree's slots. Judged as bft_nk_add judges
 * a block (work, difficulty, height, timestamps, refused ancestry) except
 * its statements, which are not there: it adds its work and no statement
 * (docs/nakamoto.md: why that is safe below the consensus window). Taken
 * only above the lowest block the tree holds or its archive remembers (a
 * line below both could join nothing the node knows), and held as an
 * orphan while its parent is unknown. A block or header whose parent the
 * tree forgot but the archive holds joins there: the parent goes back into
 * the tree as a header, with the cumulative work it had (a partition longer
 * than the tree's slots heals so). Returns an enum bft_nk_result
 * (BFT_NK_EANCESTRY: below the tree and the archive).
 */
int bft_nk_add_header(bft_nk_chain *c, const bft_block_hdr *h, const bft_nk_view *v);

/*
 * Judge again the blocks the tree took while some of their statements were
 * unverifiable (the node measured none of their references: a node whose
 * clock has not settled follows the chain by work alone), now that v has
 * measurements. A block with a statement implausible against v is dropped
 * with every block above it, remembered as an implausible refusal (so it
 * is refused if it comes again, and its work counts toward the alarm), and
 * the best tip moves to the heaviest block left (a reorganisation). Call it
 * when the view gains a reference. Returns the number of blocks dropped,
 * or BFT_EINVAL.
 */
int bft_nk_recheck(bft_nk_chain *c, const bft_nk_view *v);

/*
 * The future rule for blocks taken while the node knew no latest true time
 * (its view's true_hi_ns INT64_MAX: an unsynchronized node, a replay at
 * start, which follow the chain by work alone): judged once it knows one.
 * True time at their arrival was at most true_hi_ns now, so a block whose
 * timestamp is beyond true_hi_ns + future_tol_ns now was beyond it then: it
 * is dropped with every block above it and counted a future refusal, not
 * remembered (it may pass later, as any); the best tip moves to the
 * heaviest block left. A block within it now is judged as any that comes
 * now. Returns the number of blocks dropped, or BFT_EINVAL.
 */
int bft_nk_recheck_time(bft_nk_chain *c, int64_t true_hi_ns);
/* Whether some block in the tree awaits bft_nk_recheck_time. */
bool bft_nk_untimed(const bft_nk_chain *c);

/* Whether statement s is plausible against the node's own measurement m
 * of the same reference: |s.offset - m.offset| <= s.unc + m.unc + agree +
 * drift * |s.local - m.local|. */
bool bft_nk_plausible(const bft_nk_cfg *cfg, const bft_nk_stmt *s, const bft_nk_meas *m);

typedef struct bft_nk_tip {
	uint64_t height;
	uint8_t hash[BFT_BLOCK_HASH];
	int64_t time_ns;
	uint64_t difficulty;      /* of the tip */
	uint64_t next_difficulty; /* a child of the tip must have this */
	int64_t mtp_ns;           /* a child's timestamp must exceed this */
	bft_nk_work work;
	/* Alarm: a chain this node refuses as implausible has more work than
	 * its best. Either a majority of the hash power writes offsets this
	 * node cannot accept, or this node's own reference is wrong (spoofed
	 * locally): its phase to the consensus must not be trusted until an
	 * operator or a second reference says which. */
	bool outworked_by_implausible;
} bft_nk_tip;

/* The best tip (genesis before any block). 0 or BFT_EINVAL. */
int bft_nk_best(const bft_nk_chain *c, bft_nk_tip *out);

/*
 * A block for a miner to work on: child of the best tip, timestamp
 * max(time_ns, mtp + 1), the required difficulty, and those of the
 * candidate statements that this node would itself accept (signed,
 * fresh, plausible), at most one per (node, reference) and newest first up
 * to BFT_BLOCK_MAX_STMTS, in canonical order; sealed, nonce 0. Returns the
 * number of statements included, or BFT_NK_EANCESTRY / BFT_NK_EINVAL.
 */
int bft_nk_template(const bft_nk_chain *c, bft_block *out, uint32_t miner_id, int64_t time_ns,
                    const bft_stmt *cand, size_t n_cand, const bft_nk_view *v);

/* Parameters of the frequency steer. */
typedef struct bft_nk_steer {
	int64_t tau_phase_ns;   /* time constant pulling the node to the consensus clock, > 0 */
	int64_t tau_ref_ns;     /* time constant pulling the ensemble to the reference, > 0 */
	int64_t ref_slew_ppb;   /* bound on the reference term: what a lying reference can drag per s */
	int64_t max_ppb;        /* bound on the whole steer */
} bft_nk_steer;

typedef struct bft_nk_correction {
	size_t n;             /* nodes whose newest statement in the window was used */
	size_t f;             /* faulty statements tolerated: (n - 1) / 2 */
	int64_t median_ns;    /* m: reference - consensus clock */
	int64_t phase_ns;     /* own.offset - m: consensus clock - own clock */
	bft_interval phase_iv;/* honest interval for the phase (docs/nakamoto.md derives it) */
	int64_t steer_ppb;    /* frequency correction to add (positive: run faster) */
} bft_nk_correction;

/* Scratch bytes bft_nk_consensus needs. */
size_t bft_nk_consensus_scratch_bytes(void);

/*
 * The consensus correction for one reference, from the statements in the
 * best chain's last window_blocks blocks: each node's newest statement
 * about ref (so no miner stuffs the median), its interval widened by
 * drift * age at now_ns, the median m, and the node's own measurement own
 * (same reference) turned into a phase, its interval and a steer.
 * scratch: bft_nk_consensus_scratch_bytes(), aligned for int64_t; it keeps
 * the window's walk between calls (the statements and their median, reused
 * while the window holds the same blocks, checked by slot, hash and
 * statement count at each call), so pass the same scratch each time. Any
 * scratch (zeroed, another chain's) gives the same answer.
 * 0, BFT_EEMPTY (fewer than min_stmts nodes) or BFT_EINVAL.
 */
BFT_WARN_UNUSED int bft_nk_consensus(const bft_nk_chain *c, const bft_nk_meas *own, int64_t now_ns,
                                     const bft_nk_steer *steer, void *scratch, bft_nk_correction *out);

/* Forget every remembered refusal (and the alarm): for a node whose own
 * measurement was found wrong, so that blocks re-sent to it are judged
 * again against its corrected view. */
void bft_nk_forget_refusals(bft_nk_chain *c);

/* A static name for a bft_nk_result. */
const char *bft_nk_strresult(int r);
/* A one-word key for a refusal (-r of BFT_NK_E*: "work", "implausible",
 * ...), for metrics labels and JSON keys; "unknown" otherwise. */
const char *bft_nk_reason_key(int r);

#endif
