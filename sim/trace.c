/* SPDX-License-Identifier: MIT */
/* The report's per-node trace and events (trace.h). */
#include "sim/trace.h"

#include <stdlib.h>
#include <string.h>

#include <bftime/interval.h>

int sim_trace_init(sim_trace *t, size_t n, const uint32_t *honest, size_t n_honest)
{
	memset(t, 0, sizeof *t);
	t->n_traced = n_honest < SIM_TRACE_NODES ? n_honest : SIM_TRACE_NODES;
	for (size_t k = 0; k < t->n_traced; k++) {
		t->idx[k] = k * n_honest / t->n_traced; /* evenly spread; every one when few */
		t->ids[k] = honest[t->idx[k]];
	}
	t->alarm_now = calloc(n ? n : 1, 1);
	return t->alarm_now ? 0 : -1;
}

void sim_trace_free(sim_trace *t)
{
	free(t->t_ns);
	free(t->pts);
	free(t->alarm_now);
	memset(t, 0, sizeof *t);
}

int sim_trace_sample(sim_trace *t, int64_t t_ns, int64_t true_ns, const bft_estimate *est)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? 2 * t->cap_rows : 1024;
		int64_t *tn = realloc(t->t_ns, cap * sizeof *tn);
		if (!tn)
			return -1;
		t->t_ns = tn;
		sim_trace_point *p = realloc(t->pts, cap * (t->n_traced ? t->n_traced : 1) * sizeof *p);
		if (!p)
			return -1;
		t->pts = p;
		t->cap_rows = cap;
	}
	t->t_ns[t->n_rows] = t_ns;
	sim_trace_point *row = &t->pts[t->n_rows * t->n_traced];
	for (size_t k = 0; k < t->n_traced; k++) {
		const bft_estimate *e = &est[t->idx[k]];
		bool synced = e->state != BFT_DISC_UNSYNCHRONIZED; /* as metrics.c counts it */
		row[k] = (sim_trace_point){ .synced = synced, .alarm = e->alarm, .net = !synced && e->net_running };
		if (row[k].net)
			row[k].net_off_ns = bft_sat_sub(e->time_ns, true_ns);
		if (synced) {
			row[k].off_ns = bft_sat_sub(e->estimate_ns, true_ns);
			row[k].lo_ns = bft_sat_sub(e->bounds.lo_ns, true_ns);
			row[k].hi_ns = bft_sat_sub(e->bounds.hi_ns, true_ns);
		}
	}
	t->n_rows++;
	return 0;
}

static void add(sim_trace *t, sim_trace_event e)
{
	if (t->n_ev < SIM_TRACE_EVENTS)
		t->ev[t->n_ev++] = e;
	else
		t->ev_dropped++;
}

void sim_trace_alarm(sim_trace *t, int64_t t_ns, uint32_t id, bool alarm)
{
	if (t->alarm_now[id] == alarm)
		return;
	t->alarm_now[id] = alarm;
	add(t, (sim_trace_event){ .t_ns = t_ns, .node = id, .kind = alarm ? SIM_TE_ALARM : SIM_TE_ALARM_CLEARED });
}

void sim_trace_quarantine(sim_trace *t, int64_t t_ns, uint32_t id, uint32_t ref, enum bft_quarantine q)
{
	add(t, (sim_trace_event){ .t_ns = t_ns, .node = id, .ref = (uint16_t)ref,
	                          .kind = q == BFT_Q_NONE ? SIM_TE_READMIT : SIM_TE_QUARANTINE, .reason = (uint8_t)q });
}
