/* SPDX-License-Identifier: MIT */
/*
 * Graph measures for the topology report (sim/topo.h). Distances are exact:
 * a breadth-first search from 64 sources at once, one bit per source in a
 * word per node, costs one pass over the edges per level for 64 sources, so
 * all pairs of a 10,000-node 16-regular graph take well under a second and no
 * sampling (with its lower-bound diameter) is needed.
 */
#include "sim/topo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bftime/agree.h"
#include "sim/rng.h"

int sim_graph_build(sim_graph *g, size_t n, const uint32_t *adj, size_t k, const bool *keep, uint32_t *map)
{
	memset(g, 0, sizeof *g);
	if (!adj) {
		if (n > SIM_GRAPH_MESH_MAX)
			return -1;
		k = n ? n - 1 : 0;
	}
	uint32_t *id = malloc((n ? n : 1) * sizeof *id);
	if (!id)
		return -1;
	size_t m = 0;
	for (size_t v = 0; v < n; v++)
		id[v] = !keep || keep[v] ? (uint32_t)m++ : UINT32_MAX;
	g->n = m;
	g->off = calloc(m + 1, sizeof *g->off);
	g->nbr = malloc((m * k > 0 ? m * k : 1) * sizeof *g->nbr);
	if (!g->off || !g->nbr) {
		free(id);
		sim_graph_free(g);
		return -1;
	}
	size_t e = 0;
	for (size_t v = 0; v < n; v++) {
		if (id[v] == UINT32_MAX)
			continue;
		g->off[id[v]] = e;
		for (size_t j = 0; j < k; j++) {
			/* the full mesh: every other node, in order */
			size_t u = adj ? adj[v * k + j] : (j < v ? j : j + 1);
			if (id[u] != UINT32_MAX)
				g->nbr[e++] = id[u];
		}
	}
	g->off[m] = e;
	if (map)
		memcpy(map, id, n * sizeof *id);
	free(id);
	return 0;
}

void sim_graph_free(sim_graph *g)
{
	free(g->off);
	free(g->nbr);
	memset(g, 0, sizeof *g);
}

void sim_graph_degrees(const sim_graph *g, sim_graph_degree *out)
{
	memset(out, 0, sizeof *out);
	if (!g->n)
		return;
	out->min = SIZE_MAX;
	for (size_t v = 0; v < g->n; v++) {
		size_t d = g->off[v + 1] - g->off[v];
		if (d < out->min)
			out->min = d;
		if (d > out->max)
			out->max = d;
	}
	out->mean = (double)g->off[g->n] / (double)g->n;
	out->regular = out->min == out->max;
}

static size_t count_components(const sim_graph *g)
{
	size_t n = g->n, comps = 0;
	uint32_t *q = malloc((n ? n : 1) * sizeof *q);
	bool *seen = calloc(n ? n : 1, sizeof *seen);
	if (!q || !seen) {
		free(q), free(seen);
		return SIZE_MAX;
	}
	for (size_t s = 0; s < n; s++) {
		if (seen[s])
			continue;
		comps++;
		size_t head = 0, tail = 0;
		q[tail++] = (uint32_t)s;
		seen[s] = true;
		while (head < tail) {
			uint32_t v = q[head++];
			for (size_t e = g->off[v]; e < g->off[v + 1]; e++)
				if (!seen[g->nbr[e]]) {
					seen[g->nbr[e]] = true;
					q[tail++] = g->nbr[e];
				}
		}
	}
	free(q), free(seen);
	return comps;
}

int sim_graph_distances(const sim_graph *g, sim_graph_dist *out)
{
	memset(out, 0, sizeof *out);
	size_t n = g->n;
	if (!n)
		return 0;
	out->components = count_components(g);
	uint64_t *vis = malloc(n * sizeof *vis), *front = malloc(n * sizeof *front), *next = malloc(n * sizeof *next);
	if (out->components == SIZE_MAX || !vis || !front || !next) {
		free(vis), free(front), free(next);
		return -1;
	}
	double sum = 0;
	for (size_t s0 = 0; s0 < n; s0 += 64) {
		memset(vis, 0, n * sizeof *vis);
		memset(front, 0, n * sizeof *front);
		for (size_t i = 0; i < 64 && s0 + i < n; i++)
			vis[s0 + i] = front[s0 + i] = UINT64_C(1) << i;
		for (unsigned level = 1;; level++) {
			bool any = false;
			for (size_t v = 0; v < n; v++) {
				uint64_t acc = 0;
				for (size_t e = g->off[v]; e < g->off[v + 1]; e++)
					acc |= front[g->nbr[e]];
				acc &= ~vis[v];
				next[v] = acc;
				if (acc) {
					unsigned c = (unsigned)__builtin_popcountll(acc);
					out->pairs += c;
					sum += (double)c * level;
					out->diameter = level;
					any = true;
				}
			}
			if (!any)
				break;
			for (size_t v = 0; v < n; v++)
				vis[v] |= next[v];
			uint64_t *t = front;
			front = next;
			next = t;
		}
	}
	free(vis), free(front), free(next);
	out->mean = out->pairs ? sum / (double)out->pairs : 0;
	out->unreachable = (uint64_t)n * (uint64_t)(n - 1) - out->pairs;
	return 0;
}

/* y = A x with the mean removed (the all-ones component deflated). */
static void mul_deflated(const sim_graph *g, const double *x, double *y)
{
	double mean = 0;
	for (size_t v = 0; v < g->n; v++) {
		double s = 0;
		for (size_t e = g->off[v]; e < g->off[v + 1]; e++)
			s += x[g->nbr[e]];
		y[v] = s;
		mean += s;
	}
	mean /= (double)g->n;
	for (size_t v = 0; v < g->n; v++)
		y[v] -= mean;
}

static double norm(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

int sim_graph_lambda2(const sim_graph *g, unsigned max_iter, double tol, uint64_t seed, sim_graph_spectrum *out)
{
	memset(out, 0, sizeof *out);
	size_t n = g->n;
	sim_graph_degree deg;
	sim_graph_degrees(g, &deg);
	if (!deg.regular || n < 2)
		return -1;
	double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
	if (!x || !y) {
		free(x), free(y);
		return -1;
	}
	sim_rng r;
	sim_rng_seed(&r, seed, 0x746f706f /* "topo" */);
	double mean = 0;
	for (size_t v = 0; v < n; v++)
		mean += x[v] = 2 * sim_rng_unit(&r) - 1;
	mean /= (double)n;
	for (size_t v = 0; v < n; v++)
		x[v] -= mean;
	double nx = norm(x, n), est = 0;
	for (size_t v = 0; v < n; v++)
		x[v] /= nx;
	out->last_change = INFINITY;
	for (unsigned it = 1; it <= max_iter; it++) {
		mul_deflated(g, x, y);
		double ny = norm(y, n);
		out->iterations = it;
		if (ny == 0) { /* x in the kernel: every other eigenvalue is 0 */
			est = 0;
			out->last_change = 0;
			break;
		}
		out->last_change = est > 0 ? fabs(ny - est) / ny : INFINITY;
		est = ny;
		for (size_t v = 0; v < n; v++)
			x[v] = y[v] / ny;
		if (out->last_change < tol)
			break;
	}
	out->lambda2 = est;
	out->converged = out->last_change < tol;
	free(x), free(y);
	return 0;
}

unsigned sim_graph_robust_cert(size_t d, double lambda2)
{
	/* An estimate within SIM_GRAPH_CERT_SLACK below a threshold certifies the
	 * lower r: power iteration approaches lambda2 from below (an even cycle's
	 * exact -2 comes out as 1.9999999999, which must not certify 1-robust). */
	double h = ((double)d - lambda2 - SIM_GRAPH_CERT_SLACK) / 2;
	return h > 0 ? (unsigned)ceil(h) : 0;
}

size_t sim_graph_cpa(const sim_graph *g, const bool *holder, size_t t, bool *in)
{
	size_t n = g->n, head = 0, tail = 0;
	uint32_t *q = malloc((n ? n : 1) * sizeof *q), *cnt = calloc(n ? n : 1, sizeof *cnt);
	bool *mine = in ? in : malloc(n ? n : 1);
	if (!q || !cnt || !mine) {
		free(q), free(cnt);
		if (mine != in)
			free(mine);
		return SIZE_MAX;
	}
	for (size_t v = 0; v < n; v++) {
		mine[v] = holder[v];
		if (holder[v])
			q[tail++] = (uint32_t)v;
	}
	/* Each node enters the queue once, when it joins; its neighbours count it. */
	while (head < tail) {
		uint32_t v = q[head++];
		for (size_t e = g->off[v]; e < g->off[v + 1]; e++) {
			uint32_t u = g->nbr[e];
			if (!mine[u] && ++cnt[u] >= t) {
				mine[u] = true;
				q[tail++] = u;
			}
		}
	}
	free(q), free(cnt);
	if (mine != in)
		free(mine);
	return tail;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int sim_graph_contraction(const sim_graph *g, const bool *bad, size_t f, int attack, unsigned rounds, uint64_t seed,
                          sim_graph_contract *out)
{
	memset(out, 0, sizeof *out);
	size_t n = g->n, maxdeg = 0, nh = 0;
	for (size_t v = 0; v < n; v++) {
		if (g->off[v + 1] - g->off[v] > maxdeg)
			maxdeg = g->off[v + 1] - g->off[v];
		nh += !bad[v];
	}
	out->c = 1;
	if (nh < 2)
		return 0;
	int64_t *x = malloc(n * sizeof *x), *nx = malloc(n * sizeof *nx), *srt = malloc(nh * sizeof *srt);
	int64_t *vals = malloc((maxdeg ? maxdeg : 1) * sizeof *vals);
	if (!x || !nx || !srt || !vals) {
		free(x), free(nx), free(srt), free(vals);
		return -1;
	}
	sim_rng r;
	sim_rng_seed(&r, seed, 0x636f6e74 /* "cont" */);
	for (size_t v = 0; v < n; v++)
		x[v] = bad[v] ? 0 : (int64_t)(sim_rng_unit(&r) * 1e15);
	double s0 = 0, s = 0;
	int rc = 0;
	for (unsigned k = 0;; k++) {
		size_t m = 0;
		for (size_t v = 0; v < n; v++)
			if (!bad[v])
				srt[m++] = x[v];
		qsort(srt, m, sizeof *srt, cmp_i64);
		int64_t lo = srt[0], hi = srt[m - 1], med = srt[m / 2];
		s = (double)(hi - lo);
		if (k == 0)
			s0 = s;
		out->rounds = k;
		if (k == rounds || s < 1e4)
			break;
		for (size_t v = 0; v < n && !rc; v++) {
			nx[v] = x[v];
			if (bad[v] || g->off[v + 1] - g->off[v] < 2 * f + 1)
				continue;
			size_t d = 0;
			for (size_t e = g->off[v]; e < g->off[v + 1]; e++) {
				uint32_t u = g->nbr[e];
				int64_t val = !bad[u] ? x[u] : attack == SIM_ATTACK_PUSH || x[v] >= med ? hi : lo;
				vals[d++] = val - x[v];
			}
			bft_agree_result res;
			if (bft_agree_midpoint(&res, vals, d, f) != 0)
				rc = -1;
			else
				nx[v] = x[v] + res.move_ns;
		}
		if (rc)
			break;
		int64_t *t = x;
		x = nx;
		nx = t;
	}
	if (!rc && out->rounds > 0 && s0 > 0)
		out->c = s > 0 ? pow(s / s0, 1.0 / out->rounds) : 0;
	if (out->c > 1)
		out->c = 1; /* it grew: no contraction */
	out->spread0 = s0;
	out->spread = s;
	free(x), free(nx), free(srt), free(vals);
	return rc;
}
