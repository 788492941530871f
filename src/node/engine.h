/* SPDX-License-Identifier: MIT */
/*
 * Consensus engines behind one interface: given the node's fresh readings
 * (intervals of true time - raw clock, carried to now) and each source's own
 * point estimate, fuse them tolerating f faulty. The node does everything
 * else (gathering, alarms, discipline), so an engine is one pure function and
 * adding one (the Nakamoto chain's, next) is adding a table entry.
 */
#ifndef BFTIME_NODE_ENGINE_H
#define BFTIME_NODE_ENGINE_H

#include <bftime/fusion.h>

#include "node/node.h"

typedef struct bft_engine {
	const char *name; /* as configs and reports spell it */
	/*
	 * Fuse k readings iv[] with points pt[] (pt may be overwritten) and
	 * the points' uncertainties u[],
	 * tolerating f, in scratch of bft_fusion_scratch_bytes(k). On 0,
	 * res->iv is the engine's answer and res->estimate_ns its point, inside
	 * res->iv. BFT_EFAULTS: more than f readings are provably faulty.
	 */
	int (*fuse)(const bft_interval *iv, int64_t *pt, const int64_t *u, size_t k, size_t f, void *scratch, bft_fusion_result *res);
} bft_engine;

/* The engine for a configuration; NULL for an unknown one. */
const bft_engine *bft_engine_find(enum bft_engine_kind kind, enum bft_fusion_alg alg);

#endif
