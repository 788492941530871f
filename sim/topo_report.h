/* SPDX-License-Identifier: MIT */
/*
 * `bftime-sim SCENARIO --topology-report`: the measures of sim/topo.h on the
 * peer graph, adversary placement and reference holders of a world built by
 * sim_world_create (the simulator's own construction, the same seed), as one
 * JSON object or a short summary. The world is built, never run.
 */
#ifndef SIM_TOPO_REPORT_H
#define SIM_TOPO_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/world.h"

/* 0, or -1 when out of memory or the graph is too large to build (a full
 * mesh beyond SIM_GRAPH_MESH_MAX nodes); err says which. */
int sim_topo_report(FILE *out, const sim_world *w, bool json, char *err, size_t errlen);

#endif
