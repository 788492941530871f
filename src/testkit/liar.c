/* SPDX-License-Identifier: MIT */
/*
 * The test kit's daemon side (src/daemon/testkit.h): bftimed-test's
 * `byzantine:` section and send path, which run the simulator's strategies
 * (adversary.h) so that a real Byzantine daemon lies exactly as a simulated
 * one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/testkit.h"
#include "testkit/adversary.h"
#include "util/value.h"

static const char STRATEGIES[] = "crash, constant, random, two_faced, walkaway, maxbias, equivocate";

static int liar_option(bft_adversary **liar, const char *key, const char *v, char *err, size_t errlen)
{
	if (!*liar) {
		if (!(*liar = calloc(1, sizeof **liar))) {
			snprintf(err, errlen, "out of memory");
			return BFT_ENOMEM;
		}
		(*liar)->claim_err_ns = -1;
	}
	bft_adversary *b = *liar;
	int64_t x;
	if (!key)
		return 1;
	if (!strcmp(key, "strategy")) {
		/* the simulator's strategies, as its scenarios name them */
		if ((b->strategy = bft_adv_parse(v)) == BFT_ADV_NONE) {
			snprintf(err, errlen, "expected one of: %s", STRATEGIES);
			return BFT_EINVAL;
		}
		return 0;
	}
	if (!strcmp(key, "offset"))
		return bft_value_duration(v, -86400 * BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC, &b->offset_ns, err, errlen);
	if (!strcmp(key, "rate_ppm")) {
		if (bft_value_int(v, -1000000, 1000000, &x, err, errlen) != 0)
			return BFT_EINVAL;
		b->rate_ppb = x * 1000;
		return 0;
	}
	if (!strcmp(key, "after"))
		return bft_value_duration(v, 0, 86400 * BFT_NS_PER_SEC, &b->from_ns, err, errlen);
	if (!strcmp(key, "claim_error"))
		return bft_value_duration(v, 0, 3600 * BFT_NS_PER_SEC, &b->claim_err_ns, err, errlen);
	if (!strcmp(key, "claim_primary"))
		return bft_value_bool(v, &b->claim_primary, err, errlen);
	if (!strcmp(key, "margin"))
		return bft_value_duration(v, 0, 3600 * BFT_NS_PER_SEC, &b->margin_ns, err, errlen);
	return 1;
}

static int liar_finish(const bft_adversary *liar, char *err, size_t errlen)
{
	if (liar && liar->strategy != BFT_ADV_NONE)
		return 0;
	snprintf(err, errlen, "byzantine: needs a strategy (%s)", STRATEGIES);
	return BFT_EINVAL;
}

static bft_adversary *liar_dup(const bft_adversary *liar)
{
	bft_adversary *c = malloc(sizeof *c);
	if (c)
		*c = *liar;
	return c;
}

static const char *liar_name(const bft_adversary *liar) { return bft_adv_name(liar->strategy); }

static int64_t liar_offset_ns(const bft_adversary *liar) { return liar->offset_ns; }

static size_t liar_send(const bft_adversary *liar, int64_t now_ns, int64_t true_ns, int64_t dmin_ns, double u,
                        const bft_signer *signer, uint32_t self, const uint8_t *buf, size_t len,
                        const uint8_t *out[2], size_t out_len[2], uint64_t *lies)
{
	static bft_adv_out o; /* 2 x 256 bytes, off the stack; the daemon's loop is single-threaded */
	*lies = 0;
	if (bft_adv_crashed(liar, now_ns))
		return 0;
	/* It does not know the path's delay (the simulator does). */
	bft_adv_view v = { .now = now_ns, .true_ns = true_ns, .delay_ns = -1, .dmin_ns = dmin_ns };
	(void)bft_adv_rewrite(liar, &v, u, signer, self, buf, len, &o);
	*lies = o.lies;
	for (size_t i = 0; i < o.n; i++) { /* equivocation: the copy made second goes first */
		size_t k = o.second_first ? o.n - 1 - i : i;
		out[i] = o.buf[k];
		out_len[i] = o.len[k];
	}
	return o.n;
}

const bftd_testkit bftd_testkit_liar = { liar_option, liar_finish, liar_dup, liar_name, liar_offset_ns, liar_send };
