/* SPDX-License-Identifier: MIT */
/*
 * Binary heap of sim_event. Ordering by (t, seq) is total, so two runs that
 * push the same events in the same order pop them in the same order.
 */
#include "sim/queue.h"

#include <stdlib.h>

static inline bool before(const sim_event *a, const sim_event *b)
{
	return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->seq < b->seq);
}

int sim_queue_init(sim_queue *q, size_t cap_hint)
{
	q->len = 0;
	q->peak = 0;
	q->next_seq = 0;
	q->cap = cap_hint < 64 ? 64 : cap_hint;
	q->heap = malloc(q->cap * sizeof *q->heap);
	return q->heap ? 0 : -1;
}

void sim_queue_free(sim_queue *q)
{
	free(q->heap);
	q->heap = NULL;
	q->len = q->cap = 0;
}

int sim_queue_push(sim_queue *q, sim_event ev)
{
	if (q->len == q->cap) {
		if (q->cap > SIZE_MAX / 2 / sizeof *q->heap)
			return -1;
		sim_event *h = realloc(q->heap, 2 * q->cap * sizeof *h);
		if (!h)
			return -1;
		q->heap = h;
		q->cap *= 2;
	}
	ev.seq = q->next_seq++;
	size_t i = q->len++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(&ev, &q->heap[p]))
			break;
		q->heap[i] = q->heap[p];
		i = p;
	}
	q->heap[i] = ev;
	if (q->len > q->peak)
		q->peak = q->len;
	return 0;
}

bool sim_queue_pop(sim_queue *q, sim_event *out)
{
	if (q->len == 0)
		return false;
	*out = q->heap[0];
	sim_event last = q->heap[--q->len];
	size_t i = 0, n = q->len;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && before(&q->heap[c + 1], &q->heap[c]))
			c++;
		if (!before(&q->heap[c], &last))
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (n)
		q->heap[i] = last;
	return true;
}

int64_t sim_queue_peek_time(const sim_queue *q)
{
	return q->len ? q->heap[0].t_ns : INT64_MAX;
}
