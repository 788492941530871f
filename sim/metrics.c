/* SPDX-License-Identifier: MIT */
/*
 * Sampling. One pass per sample over the honest nodes; the median uses the
 * core's introselect (bft_fusion_median), so a 10,000-node sample is O(n).
 */
#include "sim/metrics.h"

#include <stdlib.h>

#include <bftime/fusion.h>

int sim_metrics_init(sim_metrics *m, size_t n, int64_t warmup_ns, int64_t bound_precision_ns)
{
	*m = (sim_metrics){ 0 };
	m->warmup_ns = warmup_ns;
	m->bound_precision_ns = bound_precision_ns;
	m->first_miss_t_ns = -1;
	m->last_bad_ns = -1;
	m->all_synced_after_warmup = true;
	m->first_unsynced_t_ns = -1;
	m->net_first_agreed_ns = -1;
	m->net_last_unagreed_ns = -1;
	m->scratch_off = calloc(n ? n : 1, sizeof *m->scratch_off);
	m->fusion_scratch = malloc(bft_fusion_scratch_bytes(n ? n : 1) + 16);
	m->alarmed = calloc(n ? n : 1, sizeof *m->alarmed);
	return m->scratch_off && m->fusion_scratch && m->alarmed ? 0 : -1;
}

void sim_metrics_free(sim_metrics *m)
{
	free(m->rows);
	free(m->scratch_off);
	free(m->fusion_scratch);
	free(m->alarmed);
}

void sim_metrics_alarm(sim_metrics *m, uint32_t id)
{
	if (!m->alarmed[id]) {
		m->alarmed[id] = true;
		m->alarm_nodes++;
	}
}

static int64_t iabs(int64_t x)
{
	return x < 0 ? -x : x;
}

void sim_metrics_system(sim_metrics *m, int64_t t, int64_t err, bool first)
{
	if (m->n_rows) { /* the sample's row, written just before */
		sim_row *row = &m->rows[m->n_rows - 1];
		if (first || err < row->sys_min_ns)
			row->sys_min_ns = err;
		if (first || err > row->sys_max_ns)
			row->sys_max_ns = err;
	}
	if (t < m->warmup_ns)
		return;
	m->sys_samples++;
	m->sys_sum_sq += (double)err * (double)err;
	if (iabs(err) > m->sys_worst_ns)
		m->sys_worst_ns = iabs(err);
}

/* The network clock's figures for one sample (metrics.h). */
static void net_sample(sim_metrics *m, int64_t t, int64_t true_ns, const bft_estimate *est, size_t k)
{
	bool post = t >= m->warmup_ns, any = false;
	int64_t lo = 0, hi = 0, bound = 0;
	size_t running = 0, agreed = 0, cut = 0, outside = 0;
	for (size_t i = 0; i < k; i++) {
		const bft_estimate *e = &est[i];
		if (m->net_cut && m->net_cut[i]) {
			cut++;
			continue;
		}
		bool synced = e->state != BFT_DISC_UNSYNCHRONIZED;
		/* A node that holds true time but cannot read 2f + 1 peers'
		 * clocks (every exchange a man in the middle delays) states no
		 * bound and is not held to the others': it knows, and says so. */
		if (synced && !e->net_running && e->agree_short) {
			outside++;
			continue;
		}
		if (!synced && !e->net_running)
			continue;
		running++;
		if (synced || e->agreed)
			agreed++;
		int64_t off = e->net_time_ns - true_ns; /* the wire clock */
		if (!any || off < lo)
			lo = off;
		if (!any || off > hi)
			hi = off;
		any = true;
		if (e->precision_ns > bound)
			bound = e->precision_ns;
		if (post) {
			if (e->precision_ns > m->net_bound_ns)
				m->net_bound_ns = e->precision_ns;
			if (e->precision_hard_ns > m->net_bound_hard_ns)
				m->net_bound_hard_ns = e->precision_hard_ns;
			if (iabs(off) > m->net_offset_max_ns)
				m->net_offset_max_ns = iabs(off);
		}
	}
	size_t kk = k - cut - outside; /* the nodes the network figures judge now */
	if (agreed == kk && kk) {
		if (m->net_first_agreed_ns < 0)
			m->net_first_agreed_ns = t;
	} else {
		m->net_last_unagreed_ns = t;
	}
	if (!post)
		return;
	m->net_samples += running;
	m->net_agreed += agreed;
	m->net_considered += kk;
	m->net_cut_samples += cut;
	m->net_outside_samples += outside;
	m->net_rows++;
	int64_t spread = any ? hi - lo : 0;
	if (running == kk) {
		m->net_rows_all++;
		if (spread <= 1000000)
			m->net_rows_1ms++;
		if (spread <= 10000000)
			m->net_rows_10ms++;
	}
	if (spread > m->net_precision_ns)
		m->net_precision_ns = spread;
	/* Against the largest bound an honest node states now; a sample where
	 * only true-time clocks run (bound 0) is not judged here. */
	if (bound > 0) {
		m->net_rows_bounded++;
		if (spread <= bound)
			m->net_rows_within++;
		else if (spread - bound > m->net_worst_excess_ns)
			m->net_worst_excess_ns = spread - bound;
	}
}

int sim_metrics_sample(sim_metrics *m, int64_t t, int64_t true_ns, const bft_estimate *est, const uint32_t *ids, size_t k)
{
	net_sample(m, t, true_ns, est, k);
	if (m->n_rows == m->cap_rows) {
		size_t nc = m->cap_rows ? 2 * m->cap_rows : 1024;
		sim_row *r = realloc(m->rows, nc * sizeof *r);
		if (!r)
			return -1;
		m->rows = r;
		m->cap_rows = nc;
	}
	sim_row *row = &m->rows[m->n_rows++];
	*row = (sim_row){ .t_ns = t, .honest = (uint32_t)k };
	bool post = t >= m->warmup_ns;
	size_t ns = 0;
	double wsum = 0;
	for (size_t i = 0; i < k; i++) {
		const bft_estimate *e = &est[i];
		if (e->alarm) {
			row->alarmed++;
			sim_metrics_alarm(m, ids[i]);
		}
		if (e->state == BFT_DISC_UNSYNCHRONIZED) {
			if (post) {
				m->unsynced_post++;
				if (m->first_unsynced_t_ns < 0) {
					m->first_unsynced_t_ns = t;
					m->first_unsynced_node = ids[i];
				}
			}
			continue;
		}
		int64_t off = e->estimate_ns - true_ns;
		int64_t w = bft_iv_width(e->bounds);
		bool in = bft_iv_contains(e->bounds, true_ns);
		m->samples++;
		if (in) {
			m->contained++;
		} else {
			row->missed++;
			if (m->first_miss_t_ns < 0) {
				m->first_miss_t_ns = t;
				m->first_miss_node = ids[i];
			}
		}
		m->scratch_off[ns++] = off;
		wsum += (double)w;
		if (w > row->width_max_ns)
			row->width_max_ns = w;
		if (post) {
			m->post_samples++;
			m->sum_width += (double)w;
			m->sum_sq_err += (double)off * (double)off;
			if (iabs(off) > m->accuracy_ns)
				m->accuracy_ns = iabs(off);
			int64_t ce = iabs(e->time_ns - true_ns);
			if (ce > m->clock_error_ns)
				m->clock_error_ns = ce;
			if (w > m->max_width_ns)
				m->max_width_ns = w;
			if (m->hop) {
				m->hop_width_sum[m->hop[ids[i]]] += (double)w;
				m->hop_samples[m->hop[ids[i]]]++;
			}
		}
	}
	row->synced = (uint32_t)ns;
	if (post)
		m->alarm_samples += row->alarmed;
	int64_t spread = 0;
	if (ns) {
		int64_t lo = m->scratch_off[0], hi = lo;
		for (size_t i = 1; i < ns; i++) {
			if (m->scratch_off[i] < lo)
				lo = m->scratch_off[i];
			if (m->scratch_off[i] > hi)
				hi = m->scratch_off[i];
		}
		row->off_min_ns = lo;
		row->off_max_ns = hi;
		int64_t med = 0;
		void *scr = (void *)(((uintptr_t)m->fusion_scratch + 15) & ~(uintptr_t)15);
		if (bft_fusion_median(&med, m->scratch_off, ns, scr) == 0)
			row->off_med_ns = med;
		row->width_mean_ns = (int64_t)(wsum / (double)ns);
		spread = hi - lo;
	}
	if (post) {
		if (spread > m->precision_ns)
			m->precision_ns = spread;
		if (ns < k)
			m->all_synced_after_warmup = false;
	}
	bool bad = ns < k || (m->bound_precision_ns >= 0 && spread > m->bound_precision_ns);
	if (bad)
		m->last_bad_ns = t;
	else
		m->ever_good = true;
	return 0;
}
