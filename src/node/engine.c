/* SPDX-License-Identifier: MIT */
/*
 * The consensus engines. Each answers with an interval, which carries the
 * guarantee, and a point inside it, which only chooses where the clock goes.
 *
 * Why the fusion engines' points are not the fused interval's midpoint:
 * Marzullo's midpoint is the minimax point of its interval, but colluders
 * overlapping the honest edges stretch that interval to one side and drag
 * its midpoint along. Robust statistics over the sources' own points do not
 * move with them: the shortest-window mean (far liars drop out, near ones
 * move it less than the honest spread), weighted by the sources' delays, for Marzullo, the Welch-Lynch
 * midpoint for FT_MIDPOINT. Brooks-Iyengar keeps its own weighted estimate.
 */
#include "node/engine.h"

static int64_t clamp_into(int64_t v, bft_interval iv)
{
	return v < iv.lo_ns ? iv.lo_ns : v > iv.hi_ns ? iv.hi_ns : v;
}

/* Marzullo's interval with a robust point of the sources' points. */
static int fuse_interval_point(const bft_interval *iv, int64_t *pt, size_t k, size_t f, void *scratch,
                               bft_fusion_result *res,
                               int (*point)(int64_t *, const int64_t *, size_t, size_t, void *))
{
	int rc = bft_fusion_marzullo(res, iv, k, f, scratch);
	if (rc)
		return rc;
	/* With k <= 2f the interval is wide (the hull of every region k - f
	 * sources share) and its midpoint moves with the extreme readings, so
	 * the point still comes from the sources' points, trimming as many as
	 * k allows. It chooses a point only; the interval keeps the guarantee. */
	int64_t v;
	size_t trim = k >= 2 * f + 1 ? f : (k - 1) / 2;
	if (point(&v, pt, k, trim, scratch) == 0)
		res->estimate_ns = clamp_into(v, res->iv);
	return 0;
}

/* Marzullo's interval; the point the shortest-window mean of the sources'
 * points, each weighted by how far it may err (u: its best reading's width,
 * mostly its exchange's delay, plus its carry at the fitted frequency's
 * uncertainty; node.c, source_point). Not by the width of its carried
 * interval: that grows by rho (500 ppm) per unit of age, which says what
 * is guaranteed, not how good the point is, and at 1024 s polls it left
 * the source that answered last alone in the mean (the carried ones 1 s
 * wide). */
static int fuse_marzullo(const bft_interval *iv, int64_t *pt, const int64_t *u, size_t k, size_t f, void *scratch,
                         bft_fusion_result *res)
{
	int rc = bft_fusion_marzullo(res, iv, k, f, scratch);
	if (rc)
		return rc;
	int64_t v;
	size_t trim = k >= 2 * f + 1 ? f : (k - 1) / 2;
	if (bft_fusion_ft_shortest_wmean(&v, pt, u, k, trim, scratch) == 0)
		res->estimate_ns = clamp_into(v, res->iv);
	return 0;
}

static int fuse_ft_midpoint(const bft_interval *iv, int64_t *pt, const int64_t *u, size_t k, size_t f, void *scratch,
                            bft_fusion_result *res)
{
	(void)u;
	return fuse_interval_point(iv, pt, k, f, scratch, res, bft_fusion_ft_midpoint);
}

static int fuse_brooks_iyengar(const bft_interval *iv, int64_t *pt, const int64_t *u, size_t k, size_t f, void *scratch,
                               bft_fusion_result *res)
{
	(void)pt;
	(void)u;
	return bft_fusion_brooks_iyengar(res, iv, k, f, scratch);
}

/* The seed design's engine: the median of the readings' midpoints; its
 * interval is the median reading's own, only as honest as that one source,
 * and it can never tell that more than f lie. Kept to be measured against. */
static int fuse_median(const bft_interval *iv, int64_t *pt, const int64_t *u, size_t k, size_t f, void *scratch,
                       bft_fusion_result *res)
{
	(void)f;
	(void)u;
	for (size_t i = 0; i < k; i++)
		pt[i] = bft_iv_mid(iv[i]);
	int64_t med;
	int rc = bft_fusion_median(&med, pt, k, scratch);
	if (rc)
		return rc;
	res->iv = iv[0];
	for (size_t i = 0; i < k; i++)
		if (bft_iv_mid(iv[i]) == med) {
			res->iv = iv[i];
			break;
		}
	res->estimate_ns = med;
	res->count = k;
	return 0;
}

static const bft_engine engines[] = {
	{ "fusion/marzullo", fuse_marzullo },
	{ "fusion/brooks-iyengar", fuse_brooks_iyengar },
	{ "fusion/ft-midpoint", fuse_ft_midpoint },
	{ "median", fuse_median },
	/* The chain's engine: Marzullo's interval keeps the guarantee; the node
	 * moves the point by the chain's correction (node_chain.h). */
	{ "nakamoto", fuse_marzullo },
};

const bft_engine *bft_engine_find(enum bft_engine_kind kind, enum bft_fusion_alg alg)
{
	if (kind == BFT_ENGINE_MEDIAN)
		return &engines[3];
	if (kind == BFT_ENGINE_NAKAMOTO)
		return &engines[4];
	if (kind != BFT_ENGINE_FUSION)
		return NULL;
	switch (alg) {
	case BFT_ALG_MARZULLO: return &engines[0];
	case BFT_ALG_BROOKS_IYENGAR: return &engines[1];
	case BFT_ALG_FT_MIDPOINT: return &engines[2];
	}
	return NULL;
}
