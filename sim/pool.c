/* SPDX-License-Identifier: MIT */
/* Slot allocator for in-flight packets; grows by doubling, never shrinks. */
#include "sim/pool.h"

#include <stdlib.h>

int sim_pool_init(sim_pool *p, size_t cap_hint)
{
	p->cap = p->n_free = p->in_use = p->peak = 0;
	p->slots = NULL;
	p->free_list = NULL;
	(void)cap_hint;
	return 0;
}

void sim_pool_free(sim_pool *p)
{
	free(p->slots);
	free(p->free_list);
	p->slots = NULL;
	p->free_list = NULL;
}

uint32_t sim_pool_get(sim_pool *p)
{
	if (p->n_free == 0) {
		size_t ncap = p->cap ? 2 * p->cap : 256;
		if (ncap >= UINT32_MAX)
			return UINT32_MAX;
		sim_packet *s = realloc(p->slots, ncap * sizeof *s);
		if (!s)
			return UINT32_MAX;
		p->slots = s;
		uint32_t *fl = realloc(p->free_list, ncap * sizeof *fl);
		if (!fl)
			return UINT32_MAX;
		p->free_list = fl;
		/* Push new slots so that the lowest index is handed out first. */
		for (size_t i = ncap; i > p->cap; i--)
			p->free_list[p->n_free++] = (uint32_t)(i - 1);
		p->cap = ncap;
	}
	p->in_use++;
	if (p->in_use > p->peak)
		p->peak = p->in_use;
	return p->free_list[--p->n_free];
}

void sim_pool_put(sim_pool *p, uint32_t slot)
{
	p->free_list[p->n_free++] = slot;
	p->in_use--;
}
