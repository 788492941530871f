/* SPDX-License-Identifier: MIT */
/*
 * TEST-ONLY: a Byzantine bftimed, configured by the `byzantine:` section.
 * The node itself runs honestly; what it sends is rewritten on the way out:
 * decoded with the real decoder, its clock stamps shifted per strategy (and
 * its stated uncertainty optionally replaced), re-encoded and re-signed with
 * the node's own key, as a real liar that owns its key would. The strategies
 * mirror the simulator's adversaries (sim/adversary.c).
 */
#ifndef BFTIME_DAEMON_BYZANTINE_H
#define BFTIME_DAEMON_BYZANTINE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "proto/sign.h"

/* Rewrite buf[0..*len) (capacity BFT_WIRE_MAX) sent `elapsed_ns` after
 * start. Returns 1 to send buf (possibly rewritten), 0 to drop it (crash). */
int bftd_byz_rewrite(const bftd_byzantine *b, int64_t elapsed_ns, uint64_t *rng, const bft_signer *signer,
                     uint32_t self, uint8_t *buf, size_t *len);

#endif
