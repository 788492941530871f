/* SPDX-License-Identifier: MIT */
/*
 * The driver table and the two drivers without a device (refclock.h):
 * `system` and `simulated`, read on a schedule of `every`.
 */
#include "refclock/refclock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bftime/common.h>

#include "core/prng.h"
#include "node/refmodel.h"

static int read_realtime(const bftd_refclock_host *h, int64_t *raw_ns, int64_t *rt_ns, int64_t *span_ns)
{
	int64_t r0 = h->raw_ns();
	*rt_ns = h->realtime_ns();
	int64_t r1 = h->raw_ns();
	*raw_ns = r1;
	/* The span in raw ns; doubled and +1 us for the skewed test oscillator
	 * and a preempted read. */
	*span_ns = 2 * (r1 - r0) + 1000;
	return 0;
}

/* Both read on a schedule: due when next_mono_ns has come; keep the
 * schedule's phase and skip missed slots rather than burst. */
static bool due(bftd_refclock *rc, int64_t now_mono_ns)
{
	if (now_mono_ns < rc->next_mono_ns)
		return false;
	rc->next_mono_ns += rc->cfg->every_ns;
	if (rc->next_mono_ns <= now_mono_ns)
		rc->next_mono_ns = now_mono_ns + rc->cfg->every_ns;
	return true;
}

static int sched_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	rc->next_mono_ns = now_mono_ns;
	snprintf(rc->state, sizeof rc->state, "%s", rc->cfg->kind == BFTD_REF_SIMULATED ? "a GPS model on CLOCK_REALTIME, for tests only" : "reading CLOCK_REALTIME");
	return 0;
}

/* Both drivers: CLOCK_REALTIME +- uncertainty; `simulated` adds its noise
 * and lie (config refuses both for `system`, so there they are 0). */
static size_t realtime_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                          bftd_reading *out, size_t max)
{
	(void)pfd;
	(void)n;
	if (max == 0 || !due(rc, now_mono_ns))
		return 0;
	memset(out, 0, sizeof *out);
	int64_t rt, span;
	read_realtime(rc->host, &out->raw_ns, &rt, &span);
	const bftd_ref *c = rc->cfg;
	/* The simulator's GPS model (src/node/refmodel.c) on CLOCK_REALTIME,
	 * its lie from offset_after on; the read's span on top. */
	int64_t lie = bft_refmodel_lie(c->offset_after_ns, c->offset_ns, 0, now_mono_ns - rc->opened_mono_ns);
	out->iv = bft_refmodel_gps_read(rt, c->noise_ns, c->uncertainty_ns, c->noise_ns > 0 ? bft_prng_normal(&rc->rng) : 0, lie);
	out->iv.hi_ns = bft_sat_add(out->iv.hi_ns, span);
	rc->readings++;
	return 1;
}

const bftd_refclock_driver bftd_refclock_simulated = { "simulated", sched_open, NULL, NULL, realtime_service, NULL, NULL };
const bftd_refclock_driver bftd_refclock_system = { "system", sched_open, NULL, NULL, realtime_service, NULL, NULL };

static const bftd_refclock_driver *const drivers[BFTD_REF_KINDS] = {
	[BFTD_REF_SIMULATED] = &bftd_refclock_simulated,
	[BFTD_REF_SYSTEM] = &bftd_refclock_system,
	[BFTD_REF_NMEA] = &bftd_refclock_nmea,
	[BFTD_REF_GPSD] = &bftd_refclock_gpsd,
	[BFTD_REF_NTP] = &bftd_refclock_ntp,
};

int bftd_refclock_open(bftd_refclock *rc, const bftd_ref *cfg, const bftd_refclock_host *host, int64_t rho_ppb, uint64_t seed, int64_t now_mono_ns,
                       char *err, size_t errlen)
{
	memset(rc, 0, sizeof *rc);
	if ((size_t)cfg->kind >= BFTD_REF_KINDS || !drivers[cfg->kind]) {
		snprintf(err, errlen, "reference %s: no driver for this kind", cfg->name);
		return BFT_EINVAL;
	}
	rc->drv = drivers[cfg->kind];
	rc->cfg = cfg;
	rc->host = host;
	rc->rng = seed;
	rc->next_mono_ns = INT64_MAX;
	rc->opened_mono_ns = now_mono_ns;
	rc->rho_ppb = rho_ppb;
	return rc->drv->open(rc, now_mono_ns, err, errlen);
}

void bftd_refclock_close(bftd_refclock *rc)
{
	if (rc->drv && rc->drv->close)
		rc->drv->close(rc);
	rc->drv = NULL;
}

/* ---- byte-stream drivers: when their bytes arrived (refclock.h) ---------- */

void bftd_watch_empty(bftd_input_watch *w, int64_t raw_ns)
{
	w->have_empty = true;
	w->empty_raw_ns = raw_ns;
}

void bftd_watch_read(bftd_input_watch *w, int64_t raw_ns)
{
	w->span_ns = w->have_empty ? raw_ns - w->empty_raw_ns : 0;
}

void bftd_watch_done(bftd_input_watch *w) { w->span_ns = 0; }

void bftd_watch_probe(bftd_input_watch *w, const bftd_refclock_host *host, int fd, bool events,
                      int64_t now_mono_ns)
{
	if (now_mono_ns < w->probe_next_mono_ns)
		return;
	struct pollfd q = { .fd = fd, .events = POLLIN };
	if (!events && poll(&q, 1, 0) == 0)
		bftd_watch_empty(w, host->raw_ns());
	w->probe_next_mono_ns = now_mono_ns + BFTD_INPUT_PROBE_NS;
}

void bftd_refclock_log(const bftd_refclock_host *host, int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	host->log(priority, fmt, ap);
	va_end(ap);
}
