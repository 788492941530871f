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

#define SIM_MAX_VIOLATIONS 8

typedef struct sim_result {
	double containment;        /* 1.0 when there were no samples */
	double mean_width_ns, rms_error_ns;
	double convergence_s;      /* -1: never */
	bool alarm;
	size_t n_violations;
	char violations[SIM_MAX_VIOLATIONS][160];
} sim_result;

void sim_report_evaluate(const sim_world *w, sim_result *r);
void sim_report_summary(FILE *out, const sim_world *w, const sim_result *r);
void sim_report_json(FILE *out, const sim_world *w, const sim_result *r);
/* One markdown table row (and the header when header is true). */
void sim_report_markdown_row(FILE *out, const sim_world *w, const sim_result *r, bool header);
int sim_report_csv(const char *path, const sim_world *w);
int sim_report_svg(const char *path, const sim_world *w);

#endif
