/* SPDX-License-Identifier: MIT */
/*
 * Graph measures of a peer graph, for `bftime-sim --topology-report`
 * (docs/internal-sync.md §7, §10): degrees, hop distances (exact all-pairs
 * BFS, 64 sources per pass), the second adjacency eigenvalue of a regular
 * graph by power iteration, the spectral robustness certificate derived in
 * docs/internal-sync.md §7 from it, and the closure of certified propagation
 * (CPA) from a set of holders. Pure: no I/O, no world; the report
 * (sim/topo_report.c) builds the graph from the world the simulator builds.
 */
#ifndef SIM_TOPO_H
#define SIM_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An undirected graph in compressed rows: the neighbours of v are
 * nbr[off[v]] .. nbr[off[v + 1] - 1]. */
typedef struct sim_graph {
	size_t n;
	size_t *off; /* n + 1 */
	uint32_t *nbr;
} sim_graph;

/* The largest full mesh the report builds explicitly (n (n - 1) entries). */
#define SIM_GRAPH_MESH_MAX 4096

/* The subgraph induced by the nodes with keep[v] (keep NULL: all) of the
 * graph `adj` (k neighbours per node, n * k entries; NULL: the full mesh on
 * n nodes). Kept nodes are renumbered in order; map (n entries, may be
 * NULL) receives each old id's new id or UINT32_MAX. 0, or -1 (out of
 * memory, or a full mesh larger than SIM_GRAPH_MESH_MAX). */
int sim_graph_build(sim_graph *g, size_t n, const uint32_t *adj, size_t k, const bool *keep, uint32_t *map);
void sim_graph_free(sim_graph *g);

typedef struct sim_graph_degree {
	size_t min, max;
	double mean;
	bool regular; /* min == max, n > 0 */
} sim_graph_degree;
void sim_graph_degrees(const sim_graph *g, sim_graph_degree *out);

/* Hop distances over every ordered pair of distinct nodes (exact). */
typedef struct sim_graph_dist {
	size_t components;      /* connected components */
	unsigned diameter;      /* the largest finite distance (0: no pair connected) */
	double mean;            /* mean over connected ordered pairs (0: none) */
	uint64_t pairs;         /* connected ordered pairs */
	uint64_t unreachable;   /* ordered pairs with no path */
} sim_graph_dist;
int sim_graph_distances(const sim_graph *g, sim_graph_dist *out);

/* The second-largest adjacency eigenvalue in absolute value of a d-regular
 * graph (the all-ones vector, eigenvalue d, deflated): power iteration from
 * a seeded random vector orthogonal to it, |lambda| estimated by ||A x|| for
 * the unit x of each step (a Rayleigh quotient of A^2: it never decreases and
 * approaches the true value from below). Stops when the relative change of
 * one step is below tol or after max_iter steps. */
typedef struct sim_graph_spectrum {
	double lambda2;
	unsigned iterations;
	double last_change;     /* relative change of the last step */
	bool converged;         /* last_change < tol */
} sim_graph_spectrum;
int sim_graph_lambda2(const sim_graph *g, unsigned max_iter, double tol, uint64_t seed, sim_graph_spectrum *out);

/* The robustness a d-regular graph with second eigenvalue lambda2 is
 * certified for (docs/internal-sync.md §7, Alon-Milman): every S with
 * |S| <= n/2 has e(S, V\S) >= (d - lambda2)|S|/2, so some node of S has at
 * least ceil((d - lambda2)/2) neighbours outside; of two disjoint sets one
 * is at most n/2, so the graph is r-robust with that r (0 if lambda2 >= d).
 * lambda2 is taken SIM_GRAPH_CERT_SLACK higher than given. */
#define SIM_GRAPH_CERT_SLACK 1e-6
unsigned sim_graph_robust_cert(size_t d, double lambda2);

/* Certified propagation with threshold t: starting from the holders
 * (holder[v]), a node joins once at least t of its neighbours hold, to the
 * fixed point. in (n entries, may be NULL) receives the closure. Returns the
 * closure's size (holders included), or SIZE_MAX when out of memory. */
size_t sim_graph_cpa(const sim_graph *g, const bool *holder, size_t t, bool *in);

/* The contraction of the agreement step on graph g with the adversaries
 * bad[v] in place: synchronous rounds of the W-MSR midpoint the node runs
 * (bft_agree_midpoint, src/core/agree.c), no reading errors, no drift. Honest
 * values start uniform over 1e15 (seeded); an honest node steps only with at
 * least 2f + 1 neighbours, as the node does. Attacks: SPLIT, each adversary
 * tells an honest neighbour the honest maximum when that neighbour is at or
 * above the honest median and the minimum otherwise (pulling the two halves
 * apart); PUSH, each tells everyone the honest maximum. c is the geometric
 * mean of the spread's ratio per round, over `rounds` rounds or until the
 * spread falls below 1e4 (integer resolution); 1 when it never shrinks. */
enum { SIM_ATTACK_SPLIT = 0, SIM_ATTACK_PUSH = 1 };
typedef struct sim_graph_contract {
	double c;
	unsigned rounds;        /* rounds measured */
	double spread0, spread; /* honest spread at the start, at the end */
} sim_graph_contract;
int sim_graph_contraction(const sim_graph *g, const bool *bad, size_t f, int attack, unsigned rounds, uint64_t seed,
                          sim_graph_contract *out);

#endif
