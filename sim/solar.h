/* SPDX-License-Identifier: MIT */
/*
 * The simulated world's Sun (scenario `solar:`, docs/solar.md): antennas at
 * real positions, day and night from the Sun's real path, simulated solar
 * and receiver noise in each block (src/core/solarsim.h), and every node
 * running the solar engine bftimed's `kind: solar` driver runs
 * (src/refclock/solar.h): its own blocks, its signed fragments, its peers'
 * fragments correlated into readings, fused tolerating peers_f liars, and
 * the fused reading handed to the node as a reference reading. The world
 * knows true time, so every reading's containment is counted here.
 */
#ifndef SIM_SOLAR_H
#define SIM_SOLAR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <bftime/interval.h>

struct sim_world;
typedef struct sim_solar sim_solar;

/* The simulated band's centre (the hydrogen line's neighbourhood, 1.42 GHz):
 * the fragments' band, and the Sun's identity as a chain reference. */
#define SIM_SOLAR_CENTRE_HZ 1.42e9

typedef struct sim_solar_stats {
	uint64_t slots, day_blocks, night_blocks, unsynced_blocks, fragments, lies;
	uint64_t peer_readings, peer_misses_honest, peer_readings_liar, peer_misses_liar, refused;
	uint64_t fused, fused_misses, fuse_few, fuse_faults;
	double fused_width_sum_ns, peer_err_sum2_ns2; /* for the mean width and the honest readings' RMS error */
	int64_t peer_err_max_ns;
	double corr_err_sum2_ns2; /* the honest readings' error less the stamps' (correlation and geometry) */
	int64_t corr_err_max_ns;
	uint64_t readings_by_liars, misses_by_liars; /* made by a liar's own engine: not counted as honest */
	uint64_t fused_by_liars, fused_misses_by_liars; /* a liar's own fused readings, likewise */
	/* copiers' fragments published; judged by honest antennas: their victim, the others; refused as copies */
	uint64_t copies, copy_judged_victim, copy_judged_other, copy_flag_victim, copy_flag_other, copy_flag_honest;
	/* Radio bursts: how many began, the slots inside one, the largest
	 * factor reached, the honest peers' readings made in them (missing the
	 * truth; their correlation-and-geometry error), honest fragments
	 * refused as copies in them. */
	uint64_t bursts, burst_slots, burst_readings, burst_misses, burst_copy_flag_honest;
	double burst_peak_max, burst_corr_err_sum2_ns2;
} sim_solar_stats;

/* Whether node id has an antenna (a solar reference: one more reference index). */
bool sim_solar_member(const struct sim_world *w, uint32_t id);
/* After the nodes exist: engines for the members. 0, or -1 with err. */
int sim_solar_create(sim_solar **out, struct sim_world *w, char *err, size_t errlen);
void sim_solar_destroy(sim_solar *s);
/* One slot at the world's present: blocks, fragments, readings; each fused
 * reading goes to emit (the world hands it to the node and drains it). */
typedef int (*sim_solar_emit)(struct sim_world *w, uint32_t node, uint32_t ref, int64_t raw_ns, bft_interval iv);
int sim_solar_slot(sim_solar *s, struct sim_world *w, sim_solar_emit emit);
const sim_solar_stats *sim_solar_get_stats(const sim_solar *s);
void sim_solar_report(const sim_solar *s, FILE *out);

#endif
