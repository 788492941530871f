/* SPDX-License-Identifier: MIT */
/*
 * The `simulated` reference driver (src/refclock/refclock.h), FOR TESTS AND
 * DEMOS ONLY: a GPS-like receiver modelled on CLOCK_REALTIME (the best this
 * machine knows) by the simulator's own model (refmodel.h): true time plus
 * Gaussian noise truncated at the stated uncertainty, plus an optional
 * constant offset from `offset_after` on, which makes it a lying reference.
 * Part of the test kit: bftimed-test has it, the production bftimed does not.
 */
#include <stdio.h>
#include <string.h>

#include <bftime/common.h>

#include "core/prng.h"
#include "refclock/refclock.h"
#include "testkit/refmodel.h"

static int sim_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	int rc_ = bftd_refclock_sched_open(rc, now_mono_ns, err, errlen);
	snprintf(rc->state, sizeof rc->state, "%s", "a GPS model on CLOCK_REALTIME, for tests only");
	return rc_;
}

static size_t sim_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                          bftd_reading *out, size_t max)
{
	(void)pfd;
	(void)n;
	int64_t rt, span;
	if (!bftd_refclock_sched_read(rc, now_mono_ns, out, max, &rt, &span))
		return 0;
	const bftd_ref *c = rc->cfg;
	/* The simulator's GPS model on CLOCK_REALTIME, its lie from
	 * offset_after on; the read's span on top. */
	int64_t lie = bft_refmodel_lie(c->offset_after_ns, c->offset_ns, 0, now_mono_ns - rc->opened_mono_ns);
	out->iv = bft_refmodel_gps_read(rt, c->noise_ns, c->uncertainty_ns, c->noise_ns > 0 ? bft_prng_normal(&rc->rng) : 0, lie);
	out->iv.hi_ns = bft_sat_add(out->iv.hi_ns, span);
	rc->readings++;
	return 1;
}

const bftd_refclock_driver bftd_refclock_simulated = {
	"simulated", "sim", BFTD_REF_OPT_SIM, bftd_ref_sim_options, bftd_refclock_realtime_finish,
	sim_open, NULL, NULL, sim_service, NULL, NULL
};
