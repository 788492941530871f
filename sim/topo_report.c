/* SPDX-License-Identifier: MIT */
/*
 * The topology report (sim/topo_report.h). Two graphs: the peer graph as
 * deployed (every node; the spectral certificate is about it, as LeBlanc et
 * al.'s (2f+1)-robustness condition is about the whole network with f-local
 * adversaries in it), and the honest graph, the scenario's adversary
 * placement removed (what true time can travel over: its distances and the
 * CPA closure from the honest reference holders). The CPA closure of the
 * peer graph with every node honest is given beside it, for comparison.
 */
#include "sim/topo_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report.h"
#include "sim/topo.h"

/* Power iteration: enough steps for a 10,000-node 16-regular graph to settle
 * to 1e-9 per step (3,214 steps on the seed-1 graph of sparse-rr16-10k-bench,
 * a fraction of a second; the estimate approaches from below and moved by
 * 3e-4 between 1e-7 and 1e-9, as the eigenvalues near lambda2 are dense). */
#define LAMBDA_MAX_ITER 20000
#define LAMBDA_TOL 1e-9
/* The contraction's rounds: a spread of 1e15 falls below the 1e4 floor in
 * about 50 rounds at c = 0.6. */
#define CONTRACT_ROUNDS 60

typedef struct measures {
	sim_graph_degree deg;
	sim_graph_dist dist;
	bool spectral;          /* regular with >= 2 nodes: lambda2 computed */
	sim_graph_spectrum sp;
	unsigned robust;        /* the certified r (spectral only) */
	size_t holders;
	size_t cpa[3];          /* closure for t = f+1, 2f+1, 3f+1 */
	bool contraction;       /* measured (the peer graph, adversaries in place) */
	sim_graph_contract ct[2]; /* SIM_ATTACK_SPLIT, SIM_ATTACK_PUSH */
} measures;

static const char *topo_name(const sim_world *w)
{
	const sim_scenario *sc = w->sc;
	if (sc->no_peers)
		return "none";
	if (!w->adj)
		return "full_mesh";
	if (!w->adj_k)
		return "none";
	switch (sc->topology) {
	case SIM_TOPO_RANDOM_REGULAR: return "random_regular";
	case SIM_TOPO_SMALL_WORLD: return "small_world";
	default: return "ring";
	}
}

/* keep: the nodes of the graph measured (NULL: all); bad: the adversaries,
 * for the contraction (NULL: not measured). */
static int measure(const sim_world *w, const bool *keep, const bool *holder_old, const bool *bad, measures *m)
{
	size_t n = w->n, f = w->sc->f;
	memset(m, 0, sizeof *m);
	sim_graph g;
	uint32_t *map = malloc((n ? n : 1) * sizeof *map);
	if (!map || sim_graph_build(&g, n, w->adj, w->adj_k, keep, map)) {
		free(map);
		return -1;
	}
	bool *holder = calloc(g.n ? g.n : 1, sizeof *holder);
	int rc = holder ? 0 : -1;
	for (size_t v = 0; v < n && !rc; v++)
		if (map[v] != UINT32_MAX && holder_old[v]) {
			holder[map[v]] = true;
			m->holders++;
		}
	sim_graph_degrees(&g, &m->deg);
	if (!rc)
		rc = sim_graph_distances(&g, &m->dist);
	if (!rc && m->deg.regular && g.n >= 2) {
		rc = sim_graph_lambda2(&g, LAMBDA_MAX_ITER, LAMBDA_TOL, w->sc->seed, &m->sp);
		m->spectral = true;
		m->robust = sim_graph_robust_cert(m->deg.min, m->sp.lambda2);
	}
	for (int a = 0; a < 2 && bad && !rc; a++) {
		rc = sim_graph_contraction(&g, bad, f, a, CONTRACT_ROUNDS, w->sc->seed, &m->ct[a]);
		m->contraction = true;
	}
	for (size_t i = 0; i < 3 && !rc; i++)
		if ((m->cpa[i] = sim_graph_cpa(&g, holder, (i + 1) * f + 1, NULL)) == SIZE_MAX)
			rc = -1;
	free(holder);
	free(map);
	sim_graph_free(&g);
	return rc;
}

static void json_graph(FILE *out, const measures *m, size_t n)
{
	fprintf(out, "\"nodes\":%zu,\"degree\":{\"min\":%zu,\"mean\":%.4f,\"max\":%zu},\"regular\":%s,", n, m->deg.min,
	        m->deg.mean, m->deg.max, m->deg.regular ? "true" : "false");
	fprintf(out,
	        "\"components\":%zu,\"diameter\":%u,\"mean_distance\":%.4f,\"connected_pairs\":%llu,"
	        "\"unreachable_pairs\":%llu,\"distances\":\"exact: breadth-first search from every node\"",
	        m->dist.components, m->dist.diameter, m->dist.mean, (unsigned long long)m->dist.pairs,
	        (unsigned long long)m->dist.unreachable);
}

static void json_cpa(FILE *out, const measures *m, size_t n, size_t f)
{
	fprintf(out, "\"holders\":%zu,\"closure\":[", m->holders);
	for (size_t i = 0; i < 3; i++)
		fprintf(out, "%s{\"t\":%zu,\"reached\":%zu,\"fraction\":%.6f}", i ? "," : "", (i + 1) * f + 1, m->cpa[i],
		        n ? (double)m->cpa[i] / (double)n : 0.0);
	fputc(']', out);
}

static void print_json(FILE *out, const sim_world *w, const measures *all, const measures *hon)
{
	const sim_scenario *sc = w->sc;
	size_t f = sc->f, need = 2 * f + 1;
	fprintf(out, "{\"scenario\":");
	sim_json_str(out, sc->name);
	fprintf(out, ",\"seed\":%llu,\"nodes\":%zu,\"f\":%zu,\"topology\":\"%s\",\"peers\":%zu,",
	        (unsigned long long)sc->seed, w->n, f, topo_name(w), w->adj ? w->adj_k : (w->n ? w->n - 1 : 0));
	if (w->adj && sc->topology == SIM_TOPO_SMALL_WORLD)
		fprintf(out, "\"rewire\":%.4f,", sc->rewire);
	fprintf(out, "\"graph\":{");
	json_graph(out, all, w->n);
	if (all->spectral) {
		fprintf(out,
		        ",\"lambda2\":{\"value\":%.6f,\"iterations\":%u,\"converged\":%s,\"last_relative_change\":%.3g,"
		        "\"tolerance\":%.3g,\"method\":\"power iteration on the all-ones complement (estimate from below)\"}",
		        all->sp.lambda2, all->sp.iterations, all->sp.converged ? "true" : "false",
		        isfinite(all->sp.last_change) ? all->sp.last_change : 1.0, LAMBDA_TOL);
		/* r stays certified while the true lambda2 < d - 2 (r - 1). */
		double below = all->robust ? (double)all->deg.min - 2.0 * (all->robust - 1) - SIM_GRAPH_CERT_SLACK : 0;
		fprintf(out,
		        ",\"robustness\":{\"r\":%u,\"needed\":%zu,\"certified\":%s,\"holds_while_lambda2_below\":%.4f,"
		        "\"method\":\"Alon-Milman: every S with |S| <= n/2 has a node with >= ceil((d - lambda2)/2) "
		        "neighbours outside\"}",
		        all->robust, need, all->robust >= need ? "true" : "false", below);
	} else {
		fprintf(out, ",\"lambda2\":null,\"robustness\":\"not applicable: %s\"",
		        all->deg.regular ? "fewer than 2 nodes" : "the graph is not regular");
	}
	if (all->contraction)
		for (int a = 0; a < 2; a++)
			fprintf(out,
			        "%s{\"attack\":\"%s\",\"c\":%.4f,\"rounds\":%u,\"spread_start\":%.4g,\"spread_end\":%.4g}%s",
			        a ? "," : ",\"contraction\":{\"model\":\"synchronous W-MSR midpoint rounds (bft_agree_midpoint), "
			                  "adversaries in place, no reading errors or drift\",\"attacks\":[",
			        a ? "push" : "split", all->ct[a].c, all->ct[a].rounds, all->ct[a].spread0, all->ct[a].spread,
			        a ? "]}" : "");
	fprintf(out, ",\"cpa_all_honest\":{\"graph\":\"the peer graph, every node counted honest\",");
	json_cpa(out, all, w->n, f);
	fprintf(out, "}},\"honest\":{\"adversaries_removed\":%zu,", w->n - w->n_honest);
	json_graph(out, hon, w->n_honest);
	fprintf(out, ",\"cpa\":{\"graph\":\"honest graph (the scenario's adversary placement removed)\",");
	json_cpa(out, hon, w->n_honest, f);
	fprintf(out, "}}}\n");
}

static void summary_cpa(FILE *out, const measures *m, size_t n, size_t f)
{
	for (size_t i = 0; i < 3; i++)
		fprintf(out, "%s t=%zu: %zu (%.1f%%)", i ? "," : "", (i + 1) * f + 1, m->cpa[i],
		        n ? 100.0 * (double)m->cpa[i] / (double)n : 0.0);
	fputc('\n', out);
}

static void summary_graph(FILE *out, const measures *m)
{
	if (m->deg.regular)
		fprintf(out, "%zu-regular", m->deg.min);
	else
		fprintf(out, "degree %zu..%zu (mean %.2f)", m->deg.min, m->deg.max, m->deg.mean);
	fprintf(out, ", %zu component%s, diameter %u, mean distance %.3f (exact, all pairs)", m->dist.components,
	        m->dist.components == 1 ? "" : "s", m->dist.diameter, m->dist.mean);
	if (m->dist.unreachable)
		fprintf(out, ", %llu ordered pairs unreachable", (unsigned long long)m->dist.unreachable);
	fputc('\n', out);
}

static void print_summary(FILE *out, const sim_world *w, const measures *all, const measures *hon)
{
	const sim_scenario *sc = w->sc;
	size_t f = sc->f;
	fprintf(out, "%s: %s topology, %zu nodes, f = %zu, seed %llu\n", sc->name, topo_name(w), w->n, f,
	        (unsigned long long)sc->seed);
	fprintf(out, "peer graph: ");
	summary_graph(out, all);
	if (all->spectral) {
		fprintf(out, "lambda2 = %.4f (power iteration, %u steps, %s: last relative change %.2g)\n", all->sp.lambda2,
		        all->sp.iterations, all->sp.converged ? "converged" : "NOT converged", all->sp.last_change);
		fprintf(out, "robustness: %u-robust by Alon-Milman (ceil((%zu - lambda2)/2)); 2f+1 = %zu: %s\n", all->robust,
		        all->deg.min, 2 * f + 1, all->robust >= 2 * f + 1 ? "certified" : "not certified");
	} else {
		fprintf(out, "lambda2, robustness certificate: not applicable (%s)\n",
		        all->deg.regular ? "fewer than 2 nodes" : "the graph is not regular");
	}
	if (all->contraction)
		fprintf(out, "contraction c (model: synchronous midpoint rounds, adversaries in place): split %.3f, push %.3f\n",
		        all->ct[0].c, all->ct[1].c);
	fprintf(out, "honest graph (%zu adversaries removed): %zu nodes, ", w->n - w->n_honest, w->n_honest);
	summary_graph(out, hon);
	fprintf(out, "CPA closure from %zu honest reference holders, adversaries removed:", hon->holders);
	summary_cpa(out, hon, w->n_honest, f);
	fprintf(out, "CPA closure from %zu reference holders, every node counted honest:", all->holders);
	summary_cpa(out, all, w->n, f);
}

int sim_topo_report(FILE *out, const sim_world *w, bool json, char *err, size_t errlen)
{
	size_t n = w->n;
	if (!w->adj && n > SIM_GRAPH_MESH_MAX) {
		snprintf(err, errlen, "a full mesh of %zu nodes is too large for the topology report (at most %d)", n,
		         SIM_GRAPH_MESH_MAX);
		return -1;
	}
	bool *keep = calloc(n ? n : 1, sizeof *keep), *holder = calloc(n ? n : 1, sizeof *holder);
	bool *bad = calloc(n ? n : 1, sizeof *bad);
	int rc = keep && holder && bad ? 0 : -1;
	for (size_t h = 0; h < w->n_honest && !rc; h++)
		keep[w->honest[h]] = true;
	for (size_t v = 0; v < n && !rc; v++)
		bad[v] = !keep[v];
	for (size_t v = 0; v < n && !rc; v++)
		holder[v] = w->nodes[v].n_refs > 0;
	measures all, hon;
	if (!rc)
		rc = measure(w, NULL, holder, bad, &all);
	if (!rc)
		rc = measure(w, keep, holder, NULL, &hon);
	free(keep);
	free(holder);
	free(bad);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (json)
		print_json(out, w, &all, &hon);
	else
		print_summary(out, w, &all, &hon);
	return 0;
}
