/* SPDX-License-Identifier: MIT */
/*
 * Byzantine nodes. A lying node runs the real node code; what it sends is
 * rewritten here: decoded with the real decoder, its clock stamps shifted
 * (and its stated uncertainty optionally shrunk) per strategy and per
 * recipient, re-encoded, re-signed as that node (a Byzantine node owns its
 * key, so its lies are validly signed) and sealed. The simulator is
 * omniscient: max-bias uses true time to place its lie just inside it.
 */
#ifndef SIM_ADVERSARY_H
#define SIM_ADVERSARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"
#include "proto/wire.h"
#include "sim/rng.h"
#include "sim/scenario.h"

typedef struct sim_adv_out {
	size_t n;                       /* messages to send: 0, 1 or 2 */
	size_t len[2];
	uint8_t buf[2][BFT_WIRE_MAX];
	size_t lies;                    /* of which differ from what the honest node said */
	bool second_first;              /* n == 2: deliver buf[1] before buf[0] */
} sim_adv_out;

/* What the omniscient adversary knows about one message. */
typedef struct sim_adv_view {
	int64_t now;       /* simulation time */
	int64_t true_ns;   /* true time now */
	int64_t delay_ns;  /* the one-way delay this message will have (-1: lost) */
	int64_t dmin_ns;   /* the minimum delay the recipient assumes */
} sim_adv_view;

/* Rewrite the message buf[0..len) that node `self` sends. Returns 0, or a
 * negative code when the message could not be re-encoded (it is then sent
 * unchanged). */
int sim_adv_rewrite(const sim_adversary *a, const sim_adv_view *v, sim_rng *rng, const bft_signer *signer,
                    uint32_t self, const uint8_t *buf, size_t len, sim_adv_out *out);

#endif
