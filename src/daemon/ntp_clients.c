/* SPDX-License-Identifier: MIT */
/*
 * The NTP server's per-client rate limiter (ntp_clients.h): a
 * set-associative table of token buckets keyed by the client's address,
 * doubling when a set is full of buckets still refilling.
 */
#include "daemon/ntp_clients.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/udp.h"

typedef struct entry {
	uint8_t addr[16]; /* IPv6, or IPv4 mapped (::ffff:a.b.c.d) */
	bftd_bucket b;    /* last_ns 0: the entry is free */
} entry;

struct bftd_clients {
	uint32_t rate_per_s, burst;
	uint64_t key;
	size_t n_sets; /* a power of two */
	entry *e;      /* n_sets * BFTD_CLIENTS_WAYS */
	uint64_t evicted;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15u;
	return h ^ (h >> 29);
}

static uint64_t hash_of(const bftd_clients *t, const uint8_t a[16])
{
	uint64_t w[2];
	memcpy(w, a, sizeof w);
	return mix(mix(mix(t->key, w[0]), w[1]), t->key);
}

bftd_clients *bftd_clients_new(uint32_t rate_per_s, uint32_t burst, uint64_t key)
{
	bftd_clients *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->rate_per_s = rate_per_s;
	t->burst = burst;
	t->key = key | 1;
	t->n_sets = BFTD_CLIENTS_MIN / BFTD_CLIENTS_WAYS;
	t->e = calloc(t->n_sets * BFTD_CLIENTS_WAYS, sizeof *t->e);
	if (!t->e) {
		free(t);
		return NULL;
	}
	return t;
}

void bftd_clients_free(bftd_clients *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

size_t bftd_clients_capacity(const bftd_clients *t) { return t ? t->n_sets * BFTD_CLIENTS_WAYS : 0; }

uint64_t bftd_clients_evicted(const bftd_clients *t) { return t ? t->evicted : 0; }

/* Twice the sets, the entries still refilling moved over (each old set
 * splits into two new ones, so none overflows); full ones are dropped. 0, or
 * -1 at the bound or out of memory (the table stays as it was). */
static int grow(bftd_clients *t, int64_t now_ns)
{
	size_t n = t->n_sets * 2;
	if (n * BFTD_CLIENTS_WAYS > BFTD_CLIENTS_MAX)
		return -1;
	entry *ne = calloc(n * BFTD_CLIENTS_WAYS, sizeof *ne);
	if (!ne)
		return -1;
	for (size_t i = 0; i < t->n_sets * BFTD_CLIENTS_WAYS; i++) {
		const entry *o = &t->e[i];
		if (bftd_bucket_full_at(&o->b, t->rate_per_s, t->burst, now_ns))
			continue;
		entry *set = &ne[(hash_of(t, o->addr) & (n - 1)) * BFTD_CLIENTS_WAYS];
		for (int w = 0; w < BFTD_CLIENTS_WAYS; w++)
			if (set[w].b.last_ns == 0) {
				set[w] = *o;
				break;
			}
	}
	free(t->e);
	t->e = ne;
	t->n_sets = n;
	return 0;
}

bool bftd_clients_allow(bftd_clients *t, const struct sockaddr_storage *from, int64_t now_ns)
{
	uint8_t a[16] = { 0 };
	if (from->ss_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)from)->sin_addr, 4);
	} else if (from->ss_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)from)->sin6_addr, 16);
	uint64_t h = hash_of(t, a);
	for (int tries = 0; tries < 2; tries++) {
		entry *set = &t->e[(h & (t->n_sets - 1)) * BFTD_CLIENTS_WAYS];
		entry *spare = NULL, *oldest = &set[0];
		for (int w = 0; w < BFTD_CLIENTS_WAYS; w++) {
			entry *x = &set[w];
			if (x->b.last_ns != 0 && memcmp(x->addr, a, 16) == 0)
				return bftd_bucket_take(&x->b, t->rate_per_s, t->burst, now_ns);
			if (!spare && bftd_bucket_full_at(&x->b, t->rate_per_s, t->burst, now_ns))
				spare = x;
			if (x->b.last_ns < oldest->b.last_ns)
				oldest = x;
		}
		if (!spare && tries == 0 && grow(t, now_ns) == 0)
			continue; /* the set again, in the larger table */
		if (!spare) { /* at the bound: the bucket refilled longest ago */
			spare = oldest;
			t->evicted++;
		}
		memcpy(spare->addr, a, 16);
		spare->b = (bftd_bucket){ 0 };
		return bftd_bucket_take(&spare->b, t->rate_per_s, t->burst, now_ns);
	}
	return true; /* not reached */
}
