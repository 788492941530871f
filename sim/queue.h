/* SPDX-License-Identifier: MIT */
/*
 * The event queue: a binary min-heap keyed by (true time, sequence number).
 * The sequence number is assigned at insertion, so events due at the same
 * nanosecond run in the order they were scheduled: the run is deterministic
 * whatever the heap's internal order. Entries are 32 bytes; payloads (packet
 * bytes) live in the packet pool (sim/pool.h), never in the heap.
 */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_event {
	int64_t t_ns;   /* true time */
	uint64_t seq;
	uint32_t kind;  /* enum sim_event_kind (sim/world.h) */
	uint32_t node;
	uint32_t a, b;  /* kind-specific: pool slot, reference index, generation */
} sim_event;

typedef struct sim_queue {
	sim_event *heap;
	size_t len, cap, peak;
	uint64_t next_seq;
} sim_queue;

int sim_queue_init(sim_queue *q, size_t cap_hint);
void sim_queue_free(sim_queue *q);
/* Schedule; ev->seq is assigned here. Returns 0 or -1 on out-of-memory. */
int sim_queue_push(sim_queue *q, sim_event ev);
/* Pop the earliest event; false when empty. */
bool sim_queue_pop(sim_queue *q, sim_event *out);
/* Time of the earliest event; INT64_MAX when empty. */
int64_t sim_queue_peek_time(const sim_queue *q);

#endif
