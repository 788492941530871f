/* SPDX-License-Identifier: MIT */
/* The topology report's graph measures (sim/topo.c) on small graphs whose
 * answers are known in closed form: cycles (odd: lambda2 = 2cos(pi/n); even:
 * bipartite, |-2| = d, so no robustness is certified), the complete graph
 * (lambda2 = 1), the ring lattice C12(1,2,3) of the daemon's isync test
 * (eigenvalues sum_j 2cos(2 pi j m / n)), two disjoint K4 (disconnected:
 * lambda2 = d, unreachable pairs counted) and a path (not regular: no
 * spectrum); diameters, mean distances and certified-propagation closures
 * counted by hand; the agreement step's contraction where it is known (a full
 * mesh with n >= 3f + 1: at most 1/2; f = 0 on a full mesh: one step to
 * agreement; a cycle with f = 1: too few neighbours to step, no contraction). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/topo.h"

#define TOL 1e-6

/* The ring lattice on 0..n-1: k/2 neighbours each side (k = 2: the cycle). */
static uint32_t *lattice(size_t n, size_t k)
{
	uint32_t *adj = calloc(n * k, sizeof *adj);
	assert_non_null(adj);
	for (size_t i = 0; i < n; i++)
		for (size_t d = 1; d <= k / 2; d++) {
			adj[i * k + 2 * (d - 1)] = (uint32_t)((i + d) % n);
			adj[i * k + 2 * (d - 1) + 1] = (uint32_t)((i + n - d) % n);
		}
	return adj;
}

static double lambda2_of(const sim_graph *g)
{
	sim_graph_spectrum sp;
	assert_int_equal(sim_graph_lambda2(g, 100000, 1e-13, 7, &sp), 0);
	assert_true(sp.converged);
	return sp.lambda2;
}

static size_t cpa(const sim_graph *g, const uint32_t *holders, size_t nh, size_t t)
{
	bool *h = calloc(g->n, sizeof *h);
	assert_non_null(h);
	for (size_t i = 0; i < nh; i++)
		h[holders[i]] = true;
	size_t r = sim_graph_cpa(g, h, t, NULL);
	free(h);
	return r;
}

static void test_cycle_odd(void **state)
{
	(void)state;
	uint32_t *adj = lattice(7, 2);
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, 7, adj, 2, NULL, NULL), 0);
	sim_graph_degree deg;
	sim_graph_degrees(&g, &deg);
	assert_true(deg.regular);
	assert_int_equal(deg.min, 2);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.components, 1);
	assert_int_equal(d.diameter, 3);
	assert_true(fabs(d.mean - 2.0) < TOL); /* 1,1,2,2,3,3 */
	assert_int_equal(d.unreachable, 0);
	assert_int_equal(d.pairs, 42);
	double l2 = lambda2_of(&g);
	assert_true(fabs(l2 - 2 * cos(M_PI / 7)) < TOL);
	assert_int_equal(sim_graph_robust_cert(2, l2), 1);
	/* CPA: one holder reaches everyone at t = 1, no one at t = 2; two
	 * holders two apart pull in the node between them, and no further. */
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0 }, 1, 1), 7);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0 }, 1, 2), 1);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 2 }, 2, 2), 3);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1 }, 2, 2), 2);
	sim_graph_free(&g);
	free(adj);
}

static void test_cycle_even(void **state)
{
	(void)state;
	uint32_t *adj = lattice(8, 2);
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, 8, adj, 2, NULL, NULL), 0);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.diameter, 4);
	assert_true(fabs(d.mean - 16.0 / 7) < TOL); /* 1,1,2,2,3,3,4 */
	/* Bipartite: -2 is an eigenvalue, |lambda2| = d, nothing certified. */
	double l2 = lambda2_of(&g);
	assert_true(fabs(l2 - 2.0) < TOL);
	assert_int_equal(sim_graph_robust_cert(2, l2), 0);
	sim_graph_free(&g);
	free(adj);
}

static void test_complete(void **state)
{
	(void)state;
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, 6, NULL, 0, NULL, NULL), 0); /* full mesh K6 */
	sim_graph_degree deg;
	sim_graph_degrees(&g, &deg);
	assert_true(deg.regular);
	assert_int_equal(deg.min, 5);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.diameter, 1);
	assert_true(fabs(d.mean - 1.0) < TOL);
	double l2 = lambda2_of(&g);
	assert_true(fabs(l2 - 1.0) < TOL);
	/* K6 is 3-robust; the certificate is sound, not tight: ceil(4/2) = 2. */
	assert_int_equal(sim_graph_robust_cert(5, l2), 2);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1 }, 2, 2), 6);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1 }, 2, 3), 2);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1, 2 }, 3, 3), 6);
	/* K6 without node 0 is K5, renumbered in order. */
	bool keep[6] = { false, true, true, true, true, true };
	uint32_t map[6];
	sim_graph h;
	assert_int_equal(sim_graph_build(&h, 6, NULL, 0, keep, map), 0);
	assert_int_equal(h.n, 5);
	assert_int_equal(map[0], UINT32_MAX);
	assert_int_equal(map[3], 2);
	assert_true(fabs(lambda2_of(&h) - 1.0) < TOL);
	sim_graph_free(&h);
	/* A full mesh too large to build explicitly is refused. */
	assert_int_equal(sim_graph_build(&h, SIM_GRAPH_MESH_MAX + 1, NULL, 0, NULL, NULL), -1);
	sim_graph_free(&g);
}

static void test_ring_lattice(void **state)
{
	(void)state;
	size_t n = 12, k = 6;
	uint32_t *adj = lattice(n, k);
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, n, adj, k, NULL, NULL), 0);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.diameter, 2);
	assert_true(fabs(d.mean - 16.0 / 11) < TOL); /* six at 1 hop, five at 2 */
	double want = 0;
	for (size_t m = 1; m < n; m++) {
		double e = 0;
		for (size_t j = 1; j <= k / 2; j++)
			e += 2 * cos(2 * M_PI * (double)(j * m) / (double)n);
		if (fabs(e) > want)
			want = fabs(e);
	}
	assert_true(fabs(want - (1 + sqrt(3))) < TOL); /* m = 1: 2(cos 30 + cos 60 + cos 90) */
	double l2 = lambda2_of(&g);
	assert_true(fabs(l2 - want) < TOL);
	/* C12(1,2,3) is exactly 3-robust; the certificate says 2. */
	assert_int_equal(sim_graph_robust_cert(k, l2), 2);
	/* Two adjacent holders carry everyone at t = 2 (each next node sees the
	 * two before it), nobody at t = 3; three adjacent ones do at t = 3. */
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1 }, 2, 2), 12);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1 }, 2, 3), 2);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 1, 2 }, 3, 3), 12);
	/* Opposite holders: 3 and 9 see both, and from there everyone joins. */
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 6 }, 2, 2), 12);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 6 }, 2, 3), 2);
	sim_graph_free(&g);
	free(adj);
}

static void test_disconnected(void **state)
{
	(void)state;
	/* Two disjoint K4: 0..3 and 4..7. */
	uint32_t adj[8 * 3];
	for (uint32_t v = 0; v < 8; v++)
		for (uint32_t j = 0, o = v & ~3u, e = 0; j < 4; j++)
			if (o + j != v)
				adj[v * 3 + e++] = o + j;
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, 8, adj, 3, NULL, NULL), 0);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.components, 2);
	assert_int_equal(d.diameter, 1);
	assert_int_equal(d.pairs, 24);
	assert_int_equal(d.unreachable, 32);
	assert_true(fabs(d.mean - 1.0) < TOL);
	/* The other component's indicator (minus the mean) has eigenvalue d. */
	double l2 = lambda2_of(&g);
	assert_true(fabs(l2 - 3.0) < TOL);
	assert_int_equal(sim_graph_robust_cert(3, l2), 0);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0 }, 1, 1), 4);
	assert_int_equal(cpa(&g, (const uint32_t[]){ 0, 4 }, 2, 1), 8);
	sim_graph_free(&g);
}

static void test_path_not_regular(void **state)
{
	(void)state;
	/* The cycle C8 without node 0: the path 1-2-...-7. */
	uint32_t *adj = lattice(8, 2);
	bool keep[8] = { false, true, true, true, true, true, true, true };
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, 8, adj, 2, keep, NULL), 0);
	sim_graph_degree deg;
	sim_graph_degrees(&g, &deg);
	assert_false(deg.regular);
	assert_int_equal(deg.min, 1);
	assert_int_equal(deg.max, 2);
	assert_true(fabs(deg.mean - 12.0 / 7) < TOL);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.diameter, 6);
	assert_true(fabs(d.mean - 112.0 / 42) < TOL);
	sim_graph_spectrum sp;
	assert_int_equal(sim_graph_lambda2(&g, 100, 1e-9, 1, &sp), -1);
	sim_graph_free(&g);
	free(adj);
}

/* Distances need more than one 64-source pass: a cycle of 130 nodes. */
static void test_many_sources(void **state)
{
	(void)state;
	size_t n = 130;
	uint32_t *adj = lattice(n, 2);
	sim_graph g;
	assert_int_equal(sim_graph_build(&g, n, adj, 2, NULL, NULL), 0);
	sim_graph_dist d;
	assert_int_equal(sim_graph_distances(&g, &d), 0);
	assert_int_equal(d.diameter, 65);
	/* From any node: 1..64 twice and 65 once. */
	assert_true(fabs(d.mean - (2.0 * 64 * 65 / 2 + 65) / 129) < TOL);
	assert_int_equal(d.pairs, (uint64_t)n * (n - 1));
	sim_graph_free(&g);
	free(adj);
}

static void test_contraction(void **state)
{
	(void)state;
	sim_graph g;
	sim_graph_contract ct;
	/* K7, f = 2, nodes 5 and 6 adversaries: the honest spread at least halves. */
	assert_int_equal(sim_graph_build(&g, 7, NULL, 0, NULL, NULL), 0);
	bool bad7[7] = { [5] = true, [6] = true };
	for (int a = SIM_ATTACK_SPLIT; a <= SIM_ATTACK_PUSH; a++) {
		assert_int_equal(sim_graph_contraction(&g, bad7, 2, a, 30, 3, &ct), 0);
		assert_true(ct.rounds > 0);
		assert_true(ct.c <= 0.5 + 1e-3);
		assert_true(ct.spread < ct.spread0);
	}
	sim_graph_free(&g);
	/* K4, f = 0, no adversaries: everyone moves to the same midpoint at once. */
	assert_int_equal(sim_graph_build(&g, 4, NULL, 0, NULL, NULL), 0);
	bool none[8] = { false };
	assert_int_equal(sim_graph_contraction(&g, none, 0, SIM_ATTACK_SPLIT, 30, 3, &ct), 0);
	assert_int_equal(ct.rounds, 1);
	assert_true(ct.c == 0.0);
	sim_graph_free(&g);
	/* C8, f = 1: 2 neighbours < 2f + 1, nobody steps, c = 1. */
	uint32_t *adj = lattice(8, 2);
	assert_int_equal(sim_graph_build(&g, 8, adj, 2, NULL, NULL), 0);
	assert_int_equal(sim_graph_contraction(&g, none, 1, SIM_ATTACK_SPLIT, 10, 3, &ct), 0);
	assert_int_equal(ct.rounds, 10);
	assert_true(ct.c == 1.0);
	assert_true(ct.spread == ct.spread0);
	sim_graph_free(&g);
	free(adj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycle_odd),      cmocka_unit_test(test_cycle_even),
		cmocka_unit_test(test_complete),       cmocka_unit_test(test_ring_lattice),
		cmocka_unit_test(test_disconnected),   cmocka_unit_test(test_path_not_regular),
		cmocka_unit_test(test_many_sources),   cmocka_unit_test(test_contraction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
