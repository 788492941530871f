/* SPDX-License-Identifier: MIT */
/*
 * The simulated network between nodes: per-link one-way delay (minimum +
 * exponential jitter truncated at jitter_max, plus a fixed asymmetry on the
 * direction from the lower id to the higher), loss, partitions that heal,
 * man-in-the-middle delay on chosen directed links, and a replaying network
 * attacker. Reordering needs no code: independent random delays reorder.
 * Pure decisions; the world schedules the deliveries.
 */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/rng.h"
#include "sim/scenario.h"

typedef struct sim_net_stats {
	uint64_t sent, delivered, lost, partitioned, mitm_delayed, replayed, to_crashed;
} sim_net_stats;

enum sim_net_verdict { SIM_NET_DELIVER, SIM_NET_LOST, SIM_NET_PARTITIONED };

/* Decide the fate of a packet from -> to sent at true time now; on DELIVER
 * *delay_ns is its one-way delay and *replay_at_ns, when not INT64_MIN, is a
 * second (replayed) delivery time. */
enum sim_net_verdict sim_net_route(const sim_scenario *s, sim_rng *rng, uint32_t from, uint32_t to, int64_t now,
                                   int64_t *delay_ns, int64_t *replay_at_ns, sim_net_stats *st);

/* Largest one-way delay an honest link can produce (without MITM). */
int64_t sim_net_max_delay(const sim_scenario *s);

#endif
