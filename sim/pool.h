/* SPDX-License-Identifier: MIT */
/*
 * The packet pool: fixed-size slots for datagrams in flight (and the
 * timestamps of simulated NTP exchanges), recycled through a free list, so
 * memory follows the number of packets in flight, not the number sent.
 */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

typedef struct sim_packet {
	uint32_t from;
	uint16_t len;
	uint8_t buf[BFT_WIRE_MAX];
} sim_packet;

typedef struct sim_pool {
	sim_packet *slots;
	uint32_t *free_list;
	size_t cap, n_free, in_use, peak;
} sim_pool;

int sim_pool_init(sim_pool *p, size_t cap_hint);
void sim_pool_free(sim_pool *p);
/* A free slot's index, or UINT32_MAX on out-of-memory. */
uint32_t sim_pool_get(sim_pool *p);
void sim_pool_put(sim_pool *p, uint32_t slot);
static inline sim_packet *sim_pool_at(sim_pool *p, uint32_t slot)
{
	return &p->slots[slot];
}

#endif
