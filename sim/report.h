/* SPDX-License-Identifier: MIT */
/*
 * What a run reports: the verdict against the scenario's expectations, the
 * summary table, one JSON object, the CSV time series and an SVG plot. All
 * output is a function of the world's measurements only (no wall time, no
 * addresses), so it is byte-identical across runs with one seed.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/world.h"

#define SIM_MAX_VIOLATIONS 16

typedef struct sim_result {
	double containment;        /* 0 when there were no samples (and that is a violation) */
	double mean_width_ns, rms_error_ns;
	double convergence_s;      /* -1: never */
	bool alarm;
	/* compare_honest: the same world without any lie */
	bool has_honest;
	int64_t honest_worst_ns;
	double honest_rms_ns;
	size_t n_expected_violations; /* must_violate matched (self-checks) */
	size_t n_violations;
	char violations[SIM_MAX_VIOLATIONS][160];
} sim_result;

void sim_report_evaluate(const sim_world *w, sim_result *r);
/* RMS of the steered system clock's error after warmup (scenario system_clock). */
double sim_report_sys_rms(const sim_metrics *m);
/* compare_honest: note the honest run's figures (after evaluate). */
void sim_report_set_honest(sim_result *r, const sim_world *honest);
void sim_report_summary(FILE *out, const sim_world *w, const sim_result *r);
void sim_report_json(FILE *out, const sim_world *w, const sim_result *r);
/* One markdown table row (and the header when header is true). */
void sim_report_markdown_row(FILE *out, const sim_world *w, const sim_result *r, bool header);
int sim_report_csv(const char *path, const sim_world *w);
int sim_report_svg(const char *path, const sim_world *w);
/* The self-contained HTML report (report_html.c); needs the world's trace
 * (sim_world_options.trace). 0, or -1 (errno set, or no trace). */
int sim_report_html(const char *path, const sim_world *w, const sim_result *r);

/* Honest samples after warmup AGREED or synchronized, of all honest samples then. */
double sim_report_agreed_fraction(const sim_world *w);

/* s as a JSON string, quoted and escaped (the reports' and --topology-report's). */
void sim_json_str(FILE *out, const char *s);

#endif
