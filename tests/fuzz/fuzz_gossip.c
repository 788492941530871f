/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what a peer answers the gossip (src/daemon/gossip.h):
 * the catch-up answer to GET /v1/proofs (whose proofs this node submits to
 * its own store at start) and the answer to a POST /v1/proofs (whose first
 * result moves the gossip cursor). The peer may be hostile: any bytes must
 * be taken or refused without touching memory outside the buffers, no more
 * proofs than asked for may come out, each of a proof's size, and what comes
 * out must be exactly the bytes the answer carried, oldest first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t all[BFTD_GOSSIP_BATCH][BFT_PROOF_MAX], some[BFTD_GOSSIP_BATCH][BFT_PROOF_MAX];
	size_t all_lens[BFTD_GOSSIP_BATCH], some_lens[BFTD_GOSSIP_BATCH];
	/* The first byte picks how many proofs were asked for (0 .. BATCH); the
	 * rest is the answer, in a buffer exactly its length (no NUL after it):
	 * the parsers must not read past it. */
	size_t cap = size ? data[0] % (BFTD_GOSSIP_BATCH + 1) : BFTD_GOSSIP_BATCH;
	size_t len = size ? size - 1 : 0;
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + (size ? 1 : 0), len);
	size_t n = bftd_gossip_parse_catchup(body, len, all, all_lens, BFTD_GOSSIP_BATCH);
	size_t k = bftd_gossip_parse_catchup(body, len, some, some_lens, cap);
	if (n > BFTD_GOSSIP_BATCH || k > cap || k > n || (k < cap && k != n))
		abort();
	/* The first k usable members, oldest first: the last k of the first n,
	 * in the same order. */
	for (size_t i = 0; i < k; i++)
		if (some_lens[i] != all_lens[n - k + i] || memcmp(some[i], all[n - k + i], some_lens[i]) != 0)
			abort();
	for (size_t i = 0; i < n; i++)
		if (all_lens[i] < BFT_PROOF_MIN || all_lens[i] > BFT_PROOF_MAX)
			abort();
	(void)bftd_gossip_first_is_gap(body, len);
	/* What counts towards the catch-up quorum: any usable member means the
	 * answer was a proofs list. */
	if (n > 0 && !bftd_gossip_is_catchup(body, len))
		abort();
	free(body);
	return 0;
}
