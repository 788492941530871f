/* SPDX-License-Identifier: MIT */
/*
 * The simulator's mining model for the Nakamoto chain engine
 * (src/node/chain.h, docs/nakamoto.md): n nodes, each with a hash share,
 * its own chain view, a free-running clock and a reference (GPS, true time
 * plus noise) it measures and states. Block discovery is a Poisson process
 * at each node's share of the total rate divided by the difficulty of the
 * tip it mines on (memoryless, so a node that switches tip just draws
 * again); or, in real-hashing mode, each node tries its share of nonces
 * every step with SHA3-256 at the chain's (tiny) difficulty. Blocks travel
 * with delays from a caller-supplied function, so the world's network model
 * can drive it. One node may attack: implausible offsets, or plausible
 * biased offsets on a private chain that excludes everyone else's
 * statements (censorship).
 *
 * Not wired into sim/world.c yet: docs/nakamoto.md says how. Allocates its
 * own state (it is the simulator); deterministic for a seed.
 */
#ifndef SIM_NAKAMOTO_H
#define SIM_NAKAMOTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/chain.h"

/* Seconds block b takes from node `from` to node `to`. */
typedef double (*nksim_delay_fn)(void *ctx, size_t from, size_t to);

enum nksim_attack {
	NKSIM_NONE = 0,
	NKSIM_IMPLAUSIBLE = 1, /* states offsets lie_ns off; believes them; mines on its own tip */
	NKSIM_CENSOR = 2,      /* states offsets lie_ns off (keep it plausible); includes only its own
	                        * statements; never builds on others' blocks (a private chain, published) */
};

typedef struct nksim_cfg {
	size_t n_nodes;
	const double *share;      /* hash share per node, summing to 1 */
	double hash_rate;         /* total hashes per second (virtual in Poisson mode) */
	bft_nk_cfg chain;         /* every node's chain configuration (signer: the sim signer) */
	nksim_delay_fn delay;
	void *delay_ctx;
	double stmt_period_s;     /* each node measures and states every this long */
	double stmt_delay_s;      /* a statement reaches every miner this long after it is made */
	double clock_spread_ns;   /* node clock offsets uniform in +-this (free running) */
	double noise_ns;          /* reference measurement noise (standard deviation) */
	int64_t unc_ns;           /* the uncertainty nodes state */
	int attacker;             /* node index, or -1 */
	enum nksim_attack attack;
	int64_t lie_ns;
	bool real_hash;           /* real SHA3-256 nonces instead of Poisson draws */
	double real_step_s;       /* real-hashing step */
	double duration_s;
	uint64_t seed;
} nksim_cfg;

typedef struct nksim_result {
	uint64_t mined, mined_honest;       /* blocks found */
	uint64_t best_height;               /* of the first honest node's best chain */
	uint64_t best_recent;               /* its last blocks looked at (<= 100) */
	uint64_t best_attacker_blocks;      /* attacker blocks among them */
	uint64_t stale;                     /* valid blocks it stored that are not in its best chain */
	double stale_rate;                  /* stale / blocks it stored: the orphan rate */
	uint64_t rejected_implausible;      /* summed over honest nodes */
	size_t alarmed;                     /* honest nodes outworked by an implausible chain */
	size_t honest, with_consensus;      /* honest nodes; of them, with a consensus */
	double precision_ns;                /* spread of honest corrected clocks (max - min) */
	double accuracy_ns;                 /* worst |corrected clock - true time| among honest nodes */
	double mean_median_stmts;           /* statements per consensus (mean over honest nodes) */
	uint64_t reorgs, max_reorg_depth;   /* summed / max over honest nodes */
} nksim_result;

/* Run the model. 0, BFT_EINVAL or BFT_ENOMEM. */
int nksim_run(const nksim_cfg *cfg, nksim_result *out);

#endif
