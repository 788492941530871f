/* SPDX-License-Identifier: MIT */
/*
 * Byzantine nodes, for tests: bftime-sim's adversaries and bftimed's
 * test-only `byzantine:` section run these same strategies. A lying node
 * runs the real node code; what it sends is rewritten here: decoded with
 * the real decoder, its clock stamps shifted (and its stated uncertainty
 * optionally shrunk) per strategy and per recipient, re-encoded, re-signed
 * as that node (a Byzantine node owns its key, so its lies are validly
 * signed) and sealed. Pure: the caller supplies time, what it knows of the
 * world, and the one uniform draw a message may use.
 */
#ifndef BFTIME_TESTKIT_ADVERSARY_H
#define BFTIME_TESTKIT_ADVERSARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"
#include "proto/wire.h"

enum bft_adv_strategy {
	BFT_ADV_NONE,
	BFT_ADV_CRASH,      /* stops at `from` */
	BFT_ADV_CONSTANT,   /* shifts every stamp by offset */
	BFT_ADV_RANDOM,     /* uniform in +-offset, fresh per message */
	BFT_ADV_TWO_FACED,  /* +offset to even-numbered recipients, -offset to odd */
	BFT_ADV_WALKAWAY,   /* shared offset growing at rate_ppb from `from` */
	BFT_ADV_MAXBIAS,    /* claimed interval's low end just at true time: pulls up, stays "correct" */
	BFT_ADV_EQUIVOCATE, /* two different signed responses to each request */
};

typedef struct bft_adversary {
	enum bft_adv_strategy strategy;
	int64_t from_ns;       /* lies from this time on (the caller's clock: the view's now) */
	int64_t offset_ns;
	int64_t rate_ppb;      /* walkaway */
	int64_t claim_err_ns;  /* >= 0: claim this uncertainty (err_lo = err_hi) instead of the real one */
	int64_t margin_ns;     /* max-bias: how far inside the truth the low end stays */
	bool claim_primary;    /* state PRIMARY (own references' interval): credible to peers */
} bft_adversary;

/* What the adversary knows about one message. The simulator is omniscient;
 * bftimed knows its own clock only (delay -1: unknown, taken as dmin). */
typedef struct bft_adv_view {
	int64_t now;       /* the caller's time, as from_ns */
	int64_t true_ns;   /* true time now */
	int64_t delay_ns;  /* the one-way delay this message will have (-1: lost or unknown) */
	int64_t dmin_ns;   /* the minimum delay the recipient assumes */
} bft_adv_view;

typedef struct bft_adv_out {
	size_t n;                       /* messages to send: 0, 1 or 2 */
	size_t len[2];
	uint8_t buf[2][BFT_WIRE_MAX];
	size_t lies;                    /* of which differ from what the honest node said */
	bool second_first;              /* n == 2: deliver buf[1] before buf[0] */
} bft_adv_out;

/* Rewrite the message buf[0..len) that node `self` sends; u is a uniform
 * draw in [0, 1) (the random strategy's). Returns 0, or a negative code when
 * the message could not be re-encoded (it is then sent unchanged). A crashed
 * node's messages are still in out (n = 1): the caller drops them, as
 * bft_adv_crashed says. */
int bft_adv_rewrite(const bft_adversary *a, const bft_adv_view *v, double u, const bft_signer *signer, uint32_t self,
                    const uint8_t *buf, size_t len, bft_adv_out *out);

/* Whether a crashed adversary is silent at now. */
bool bft_adv_crashed(const bft_adversary *a, int64_t now);

/* Names as configs spell them: crash, constant, random, two_faced,
 * walkaway, maxbias, equivocate. parse: the strategy, or BFT_ADV_NONE. */
const char *bft_adv_name(enum bft_adv_strategy s);
enum bft_adv_strategy bft_adv_parse(const char *name);

#endif
