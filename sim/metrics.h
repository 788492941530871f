/* SPDX-License-Identifier: MIT */
/*
 * What a run measured: per-sample rows of the honest nodes' offsets to true
 * time and interval widths (the time series behind the CSV and SVG), and the
 * totals behind the summary (precision, accuracy, containment, ...). Only
 * honest nodes are measured; a node counts once it is synchronized or in
 * holdover (a finite interval).
 */
#ifndef SIM_METRICS_H
#define SIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/node.h"

typedef struct sim_row {
	int64_t t_ns;
	int64_t off_min_ns, off_med_ns, off_max_ns; /* estimate - true, over synced honest nodes */
	int64_t width_mean_ns, width_max_ns;
	uint32_t synced, honest, alarmed, missed;   /* missed: intervals without true time */
	int64_t sys_min_ns, sys_max_ns;             /* system_clock: system - true over honest nodes */
} sim_row;

typedef struct sim_metrics {
	int64_t warmup_ns, bound_precision_ns; /* inputs: bound < 0 when none */
	sim_row *rows;
	size_t n_rows, cap_rows;
	int64_t *scratch_off;   /* n honest offsets of one sample */
	void *fusion_scratch;
	/* containment: over every sample of a synced honest node, warmup included */
	uint64_t samples, contained;
	int64_t first_miss_t_ns;
	uint32_t first_miss_node;
	/* after warmup */
	uint64_t post_samples;
	double sum_width, sum_sq_err;
	int64_t precision_ns, accuracy_ns, max_width_ns;
	bool all_synced_after_warmup;
	uint64_t unsynced_post;     /* honest samples after warmup with no finite interval */
	int64_t first_unsynced_t_ns;
	uint32_t first_unsynced_node;
	int64_t clock_error_ns;     /* largest |time_ns - true| after warmup: the disciplined clock */
	/* system_clock: the steered system clock, every honest sample after
	 * warmup whatever the node's state (as clknetsim counts it) */
	uint64_t sys_samples;
	double sys_sum_sq;
	int64_t sys_worst_ns;
	/* convergence: last sample where some honest node was unsynchronized or
	 * the spread exceeded the precision bound */
	int64_t last_bad_ns;
	bool ever_good;
	/* alarms */
	uint64_t alarm_samples;
	uint32_t alarm_nodes;   /* honest nodes that ever reported the alarm */
	bool *alarmed;          /* per node */
	/* The network clock (internal synchronization, docs/internal-sync.md):
	 * time_ns of every honest node whose clock runs (a network clock, or
	 * true time), after warmup. */
	const uint8_t *net_cut;     /* input for the next sample, or NULL: per honest index, non-zero = cut off
	                             * by a partition now or rejoining after one (not yet agreeing again),
	                             * left out of the network figures (world.c, on_sample) */
	uint64_t net_considered;    /* honest samples after warmup not left out (agreed_fraction's base) */
	uint64_t net_cut_samples;   /* honest samples after warmup left out as cut off or rejoining */
	uint64_t net_outside_samples; /* ... left out as outside the agreement: true time, fewer than 2f + 1
	                               * peers' clocks readable (bft_estimate.agree_short) */
	int64_t net_rejoin_max_ns;  /* longest from a node's last cut-off sample to its agreeing again */
	uint64_t net_samples;       /* honest samples after warmup with a running clock */
	uint64_t net_agreed;        /* of which AGREED or synchronized to true time */
	uint64_t net_rows, net_rows_1ms, net_rows_10ms; /* samples after warmup; spread within 1 ms, 10 ms */
	uint64_t net_rows_all, net_rows_within; /* samples with every honest clock running; spread <= stated bound */
	uint64_t net_rows_bounded;  /* samples after warmup in which some honest node stated a bound */
	int64_t net_precision_ns;   /* largest spread of time_ns - true after warmup */
	int64_t net_bound_ns;       /* largest stated precision bound (model) of an honest node after warmup */
	int64_t net_bound_hard_ns;  /* ... worst case */
	int64_t net_worst_excess_ns; /* largest (spread - the sample's largest stated bound), 0 if none */
	int64_t net_first_agreed_ns; /* first sample with every honest clock AGREED or synced; -1: never */
	int64_t net_last_unagreed_ns; /* last sample with some honest clock neither; -1: none */
	int64_t net_offset_max_ns;  /* largest |time_ns - true| after warmup (the network clock vs true time) */
	/* Interval width by hop distance from the nearest reference holder
	 * (synchronized honest samples after warmup); hop set by the world. */
	const uint8_t *hop;         /* per node id, SIM_HOPS - 1 = that far or unreachable; NULL: none */
	double hop_width_sum[16];
	uint64_t hop_samples[16];
} sim_metrics;
#define SIM_HOPS 16

int sim_metrics_init(sim_metrics *m, size_t n_nodes, int64_t warmup_ns, int64_t bound_precision_ns);
void sim_metrics_free(sim_metrics *m);
/* One sample at true time t: est[i] for the k honest nodes ids[i]. */
int sim_metrics_sample(sim_metrics *m, int64_t t_ns, int64_t true_ns, const bft_estimate *est, const uint32_t *ids, size_t k);
/* One honest node's steered system clock error (system - true) at t, after
 * sim_metrics_sample for t (first: the first node of that sample). */
void sim_metrics_system(sim_metrics *m, int64_t t_ns, int64_t err_ns, bool first);
/* Record an alarm of honest node id seen in an ESTIMATE action. */
void sim_metrics_alarm(sim_metrics *m, uint32_t id);

#endif
