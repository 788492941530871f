/* SPDX-License-Identifier: MIT */
/*
 * Issuing the node's time proofs (loop_int.h): every proof_interval, the
 * node's statement about its clock with its reference block, signed,
 * stored, gossiped.
 */
#include "daemon/loop_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "core/gpstime.h"
#include "daemon/log.h"
#include "sys/clock.h"

/* The reference block: a GPS receiver's latest fix (its own week, time of
 * week and satellites), else the latest reading of a simulated reference
 * stated as a receiver would (its satellite summary a fixed placeholder;
 * the kind byte, SIM_GPS, says it is simulated). */
void bftd_proof_ref(const bftd *d, bft_proof_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	/* A real receiver's latest fix first: it states its own week and
	 * satellites. */
	int best = -1;
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		if (d->ref_last[i].have_gps && (best < 0 || d->ref_last[i].raw_ns > d->ref_last[best].raw_ns))
			best = (int)i;
	if (best >= 0) {
		*ref = d->ref_last[best].gps;
		return;
	}
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		if (d->cfg.refs[i].kind == BFTD_REF_SIMULATED && d->ref_last[i].raw_ns &&
		    (best < 0 || d->ref_last[i].raw_ns > d->ref_last[best].raw_ns))
			best = (int)i;
	if (best < 0)
		return;
	int64_t gps = bft_gps_from_utc_ns(bft_iv_mid(d->ref_last[best].iv), BFT_GPS_LEAP_S); /* the simulated receiver's */
	if (gps < 0 || gps / BFT_GPS_WEEK_NS > UINT16_MAX)
		return;
	ref->kind = BFT_REF_SIM_GPS;
	ref->week = (uint16_t)(gps / BFT_GPS_WEEK_NS);
	ref->tow_ns = gps % BFT_GPS_WEEK_NS;
	ref->sats_used = 8;
	ref->sats_visible = 11;
	ref->snr_cdbhz = 4200;
}

/* Every proof_interval: the node's statement about its clock, signed,
 * stored durably, then gossiped. Not while unsynchronized (the disciplined
 * clock is not running, and its time could go back across a restart). */
void bftd_service_proofs(bftd *d, int64_t now_mono)
{
	if (d->proofs && bftd_proofs_poll(d->proofs) > 0) /* a v2 batch signed off the loop: stored now */
		bftd_gossip_announce(d->gossip);
	if (!d->proofs || now_mono < d->next_proof_mono)
		return;
	if (bftd_gossip_catching_up(d->gossip, now_mono)) {
		d->next_proof_mono = now_mono + BFT_NS_PER_SEC / 4; /* the chain's head may still come from a peer */
		return;
	}
	int64_t raw = bft_clock_raw_ns();
	bft_estimate e;
	if (bft_node_read(d->node, raw, &e) != 0 || e.state == BFT_DISC_UNSYNCHRONIZED) {
		d->next_proof_mono = now_mono + BFT_NS_PER_SEC; /* look again soon */
		return;
	}
	bft_proof_clock clk = { 0 };
	clk.flags = (uint8_t)(BFT_PROOFF_SYNCED | (e.alarm ? BFT_PROOFF_ALARM : 0) |
	                      (e.degraded ? BFT_PROOFF_DEGRADED : 0) |
	                      (e.state == BFT_DISC_HOLDOVER ? BFT_PROOFF_HOLDOVER : 0));
	clk.raw_ns = raw;
	clk.time_ns = e.time_ns;
	clk.offset_ns = bft_sat_sub(e.estimate_ns, raw);
	/* The fitted frequency correction, slew excluded. (Never read the clock
	 * ahead of now to measure a rate: reads advance the discipline's notion
	 * of the latest time seen.) */
	clk.freq_ppb = e.freq_ppb;
	clk.bounds = e.bounds;
	bftd_proof_ref(d, &clk.ref);
	bft_proof p;
	int rc = bftd_proofs_issue(d->proofs, &clk, &p);
	if (rc == 0 || rc == BFTD_PROOFS_QUEUED) { /* queued: in a version-2 batch, stored when it is full */
		bftd_log(LOG_DEBUG, "proof seq %llu %s", (unsigned long long)p.seq, rc ? "queued" : "issued");
		bftd_gossip_announce(d->gossip);
		d->next_proof_mono += d->cfg.proof_interval_ns;
		if (d->next_proof_mono <= now_mono)
			d->next_proof_mono = now_mono + d->cfg.proof_interval_ns;
	} else {
		bftd_log(rc == BFT_ERANGE ? LOG_NOTICE : LOG_WARNING, "no proof this time: %s%s", bft_strerror(rc),
		         rc == BFT_ERANGE ? " (the disciplined clock is behind the last proof; retrying)" : "");
		d->next_proof_mono = now_mono + BFT_NS_PER_SEC;
	}
}
