/* SPDX-License-Identifier: MIT */
/*
 * What the HTML report (report_html.c, docs/dashboard.md) draws beyond the
 * aggregate rows of metrics.h: the offsets and intervals of up to
 * SIM_TRACE_NODES honest nodes one by one (every honest node when there are
 * that few, else nodes spread evenly over the honest ids), and the run's
 * events: each honest node's alarms raised and cleared, its references
 * quarantined and readmitted. Kept only when a report asks for it (the
 * world's trace option), so the simulator's other runs pay nothing.
 *
 * Memory: rows x traced nodes x 40 bytes (an hour at one sample a second,
 * 16 nodes: 2.3 MB), and at most SIM_TRACE_EVENTS events (more are
 * counted, not kept). Every value is a function of the world alone, so the
 * report built from it is deterministic.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"

#define SIM_TRACE_NODES 16
#define SIM_TRACE_EVENTS 4096

/* One traced node at one sample: estimate - true, and the interval's ends
 * minus true time (so it contains true time iff lo <= 0 <= hi); without
 * an interval but with a network clock (internal synchronization,
 * docs/internal-sync.md), that clock minus true time. */
typedef struct sim_trace_point {
	int64_t off_ns, lo_ns, hi_ns;
	int64_t net_off_ns;      /* net: time_ns - true */
	uint8_t synced, alarm, net;
} sim_trace_point;

enum sim_trace_event_kind { SIM_TE_ALARM = 1, SIM_TE_ALARM_CLEARED, SIM_TE_QUARANTINE, SIM_TE_READMIT };

typedef struct sim_trace_event {
	int64_t t_ns;
	uint32_t node;
	uint16_t ref;            /* QUARANTINE, READMIT: the node's reference index */
	uint8_t kind;            /* sim_trace_event_kind */
	uint8_t reason;          /* QUARANTINE: enum bft_quarantine */
} sim_trace_event;

typedef struct sim_trace {
	size_t n_traced;
	uint32_t ids[SIM_TRACE_NODES]; /* node ids traced */
	size_t idx[SIM_TRACE_NODES];   /* their index among the honest nodes */
	int64_t *t_ns;                 /* per row */
	sim_trace_point *pts;          /* n_rows x n_traced */
	size_t n_rows, cap_rows;
	sim_trace_event ev[SIM_TRACE_EVENTS];
	size_t n_ev;
	uint64_t ev_dropped;
	uint8_t *alarm_now;            /* per node id: the last estimate's alarm */
} sim_trace;

/* Trace up to SIM_TRACE_NODES of the n_honest honest ids, of n nodes in all.
 * 0 or -1 (out of memory). */
int sim_trace_init(sim_trace *t, size_t n, const uint32_t *honest, size_t n_honest);
void sim_trace_free(sim_trace *t);
/* A sample at t: est[h] is honest node h's estimate (as metrics_sample
 * takes it), true_ns true time. 0 or -1. */
int sim_trace_sample(sim_trace *t, int64_t t_ns, int64_t true_ns, const bft_estimate *est);
/* Honest node id published an estimate with this alarm flag. */
void sim_trace_alarm(sim_trace *t, int64_t t_ns, uint32_t id, bool alarm);
/* Honest node id quarantined (q != NONE) or readmitted reference ref. */
void sim_trace_quarantine(sim_trace *t, int64_t t_ns, uint32_t id, uint32_t ref, enum bft_quarantine q);

#endif
