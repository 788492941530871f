/* SPDX-License-Identifier: MIT */
/*
 * What bftimed may take from the test kit (src/testkit/): a Byzantine liar
 * running the simulator's own strategies (`byzantine:` in the config) and
 * the `simulated` reference model. Only the test build, build/bftimed-test,
 * links the kit; in the production bftimed the kit is absent, these weak
 * symbols are NULL, and a configuration asking for either is refused. The
 * cluster tests that need a liar run bftimed-test.
 */
#ifndef BFTIME_DAEMON_TESTKIT_H
#define BFTIME_DAEMON_TESTKIT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"

struct bft_adversary;

typedef struct bftd_testkit {
	/* One option of the `byzantine:` section into *liar (allocated at the
	 * first; release with free). 0; BFT_EINVAL with err set (about the
	 * value); 1 for a key it does not know. */
	int (*liar_option)(struct bft_adversary **liar, const char *key, const char *value, char *err, size_t errlen);
	/* After the section: 0, or BFT_EINVAL with err set (it needs a strategy). */
	int (*liar_finish)(const struct bft_adversary *liar, char *err, size_t errlen);
	/* A copy of liar (free it), NULL when out of memory. */
	struct bft_adversary *(*liar_dup)(const struct bft_adversary *liar);
	/* The strategy's name, and its offset (for the start-up warning). */
	const char *(*liar_name)(const struct bft_adversary *liar);
	int64_t (*liar_offset_ns)(const struct bft_adversary *liar);
	/* What the liar sends instead of buf[0..len) at now_ns (since start;
	 * CLOCK_REALTIME true_ns stands for true time): 0, 1 or 2 messages,
	 * pointers into the kit's own buffer, valid until the next call; *lies:
	 * how many of them differ from the honest one. u: a uniform draw. */
	size_t (*liar_send)(const struct bft_adversary *liar, int64_t now_ns, int64_t true_ns, int64_t dmin_ns, double u,
	                    const bft_signer *signer, uint32_t self, const uint8_t *buf, size_t len,
	                    const uint8_t *out[2], size_t out_len[2], uint64_t *lies);
} bftd_testkit;

/* The kit's daemon side (src/testkit/liar.c); NULL in the production bftimed. */
extern const bftd_testkit bftd_testkit_liar __attribute__((weak));

/* The liar's name, or NULL when this node does not lie. */
static inline const char *bftd_liar_name(const struct bft_adversary *liar)
{
	return liar && &bftd_testkit_liar ? bftd_testkit_liar.liar_name(liar) : NULL;
}

#endif
