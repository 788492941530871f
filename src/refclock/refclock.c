/* SPDX-License-Identifier: MIT */
/*
 * The driver table, the options every reference has, and the driver
 * without a device (refclock.h): `system`, read on a schedule of `every`
 * (as the test kit's `simulated` is, src/testkit/refclock_sim.c).
 */
#include "refclock/refclock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bftime/common.h>

#include "refclock/gps_stream.h"
#include "util/value.h"

/* ---- drivers read on a schedule (refclock.h) ------------------------------ */

void bftd_refclock_read_realtime(const bftd_refclock_host *h, int64_t *raw_ns, int64_t *rt_ns, int64_t *span_ns)
{
	int64_t r0 = h->raw_ns();
	*rt_ns = h->realtime_ns();
	int64_t r1 = h->raw_ns();
	*raw_ns = r1;
	/* The span in raw ns; doubled and +1 us for the skewed test oscillator
	 * and a preempted read. */
	*span_ns = 2 * (r1 - r0) + 1000;
}

/* Due when next_mono_ns has come; keep the schedule's phase and skip
 * missed slots rather than burst. */
bool bftd_refclock_due(bftd_refclock *rc, int64_t now_mono_ns)
{
	if (now_mono_ns < rc->next_mono_ns)
		return false;
	rc->next_mono_ns += rc->cfg->every_ns;
	if (rc->next_mono_ns <= now_mono_ns)
		rc->next_mono_ns = now_mono_ns + rc->cfg->every_ns;
	return true;
}

int bftd_refclock_sched_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	rc->next_mono_ns = now_mono_ns;
	snprintf(rc->state, sizeof rc->state, "%s", "reading CLOCK_REALTIME");
	return 0;
}

int bftd_refclock_realtime_finish(bftd_ref *r, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (r->uncertainty_ns < 0)
		r->uncertainty_ns = BFT_NS_PER_SEC / 1000;
	return 0;
}

bool bftd_refclock_sched_read(bftd_refclock *rc, int64_t now_mono_ns, bftd_reading *out, size_t max, int64_t *rt_ns,
                              int64_t *span_ns)
{
	if (max == 0 || !bftd_refclock_due(rc, now_mono_ns))
		return false;
	memset(out, 0, sizeof *out);
	bftd_refclock_read_realtime(rc->host, &out->raw_ns, rt_ns, span_ns);
	return true;
}

/* `system`: CLOCK_REALTIME +- uncertainty, the read's span on top. */
static size_t system_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                             bftd_reading *out, size_t max)
{
	(void)pfd;
	(void)n;
	int64_t rt, span;
	if (!bftd_refclock_sched_read(rc, now_mono_ns, out, max, &rt, &span))
		return 0;
	int64_t u = rc->cfg->uncertainty_ns;
	out->iv = bft_iv(bft_sat_sub(rt, u), bft_sat_add(bft_sat_add(rt, u), span));
	rc->readings++;
	return 1;
}

const bftd_refclock_driver bftd_refclock_system = {
	"system", "system", 0, NULL, bftd_refclock_realtime_finish,
	bftd_refclock_sched_open, NULL, NULL, system_service, NULL, NULL
};

/* ---- the simulated model's options ----------------------------------------
 * Read here, though its driver is the test kit's: a program without the kit
 * (the CLI, the production bftimed) still reads every configuration the
 * test build runs, and the daemon refuses the kind when it has no driver
 * (bftd_refclock_available). */

static int opt_noise(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_duration(v, 0, 3600 * BFT_NS_PER_SEC, &r->noise_ns, err, errlen);
}

static int opt_offset(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_duration(v, -86400 * BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC, &r->offset_ns, err, errlen);
}

static int opt_offset_after(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_duration(v, 0, 86400 * BFT_NS_PER_SEC, &r->offset_after_ns, err, errlen);
}

const bftd_ref_opt bftd_ref_sim_options[] = {
	{ "noise", BFTD_REF_OPT_SIM, opt_noise },
	{ "offset", BFTD_REF_OPT_SIM, opt_offset },
	{ "offset_after", BFTD_REF_OPT_SIM, opt_offset_after },
	{ NULL, 0, NULL },
};

/* The kind without its driver: options and defaults, no open. */
static const bftd_refclock_driver sim_absent = {
	"simulated", "sim", BFTD_REF_OPT_SIM, bftd_ref_sim_options, bftd_refclock_realtime_finish,
	NULL, NULL, NULL, NULL, NULL, NULL
};

static const bftd_refclock_driver *const drivers[BFTD_REF_KINDS] = {
	[BFTD_REF_SIMULATED] = &sim_absent, /* bftd_refclock_simulated when linked: driver_of */
	[BFTD_REF_SYSTEM] = &bftd_refclock_system,
	[BFTD_REF_NMEA] = &bftd_refclock_nmea,
	[BFTD_REF_GPSD] = &bftd_refclock_gpsd,
	[BFTD_REF_NTP] = &bftd_refclock_ntp,
	[BFTD_REF_SOLAR] = &bftd_refclock_solar,
};

static const bftd_refclock_driver *driver_of(enum bftd_ref_kind k)
{
	if (k == BFTD_REF_SIMULATED && &bftd_refclock_simulated)
		return &bftd_refclock_simulated;
	return (size_t)k < BFTD_REF_KINDS ? drivers[k] : NULL;
}

bool bftd_refclock_available(enum bftd_ref_kind k)
{
	const bftd_refclock_driver *d = driver_of(k);
	return d && d->open;
}

/* ---- options (refclock.h) ------------------------------------------------ */

static int opt_kind(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	/* The kinds there are, whether this program has their driver or not. */
	static const char *const names[] = { "simulated", "system", "nmea", "gpsd", "ntp", "solar", NULL };
	int e;
	if (bft_value_enum(v, names, &e, err, errlen) != 0)
		return BFT_EINVAL;
	r->kind = (enum bftd_ref_kind)e;
	return 0;
}

static int opt_name(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_str(v, r->name, sizeof r->name, err, errlen);
}

static int opt_every(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_duration(v, BFT_NS_PER_SEC / 100, 3600 * BFT_NS_PER_SEC, &r->every_ns, err, errlen);
}

static int opt_uncertainty(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_duration(v, 0, 3600 * BFT_NS_PER_SEC, &r->uncertainty_ns, err, errlen);
}

int bftd_ref_opt_server(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_str(v, r->server, sizeof r->server, err, errlen);
}

static const bftd_ref_opt common_options[] = {
	{ "kind", BFTD_REF_OPT_KIND, opt_kind },
	{ "name", BFTD_REF_OPT_COMMON, opt_name },
	{ "every", BFTD_REF_OPT_EVERY, opt_every },
	{ "uncertainty", BFTD_REF_OPT_COMMON, opt_uncertainty },
	{ "server", BFTD_REF_OPT_SERVER, bftd_ref_opt_server }, /* gpsd, ntp */
	{ NULL, 0, NULL },
};

/* Tables more than one driver takes: the common ones, the GPS receivers'. */
static const bftd_ref_opt *const shared_options[] = { common_options, bftd_gps_stream_options };

void bftd_ref_init(bftd_ref *r)
{
	memset(r, 0, sizeof *r);
	r->every_ns = BFT_NS_PER_SEC;
	r->uncertainty_ns = -1; /* each kind's own default (its finish) */
	r->speed = 9600;
	r->delay_ns = -1;
	r->leap_s = 18;
	r->max_move_m = 100;
	r->burst_for_ns = -1; /* ntp: its default (ntp_finish) */
	bftd_ref_solar_init(&r->solar);
}

static const bftd_ref_opt *find_option(const bftd_ref_opt *t, const char *key)
{
	for (; t && t->key; t++)
		if (!strcmp(t->key, key))
			return t;
	return NULL;
}

int bftd_ref_option(bftd_ref *r, const char *key, const char *value, char *err, size_t errlen)
{
	if (!key)
		return 1;
	/* The key decides who reads it: the kind may come later. */
	const bftd_ref_opt *o = NULL;
	for (size_t i = 0; !o && i < sizeof shared_options / sizeof shared_options[0]; i++)
		o = find_option(shared_options[i], key);
	for (size_t i = 0; !o && i < BFTD_REF_KINDS; i++)
		o = find_option(drivers[i]->options, key);
	if (!o)
		return 1;
	if (o->parse(r, value, err, errlen) != 0)
		return BFT_EINVAL;
	r->set |= o->group;
	return 0;
}

static int refuse(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "reference: %s", what);
	return BFT_EINVAL;
}

int bftd_ref_finish(bftd_ref *r, size_t idx, char *err, size_t errlen)
{
	/* Options of a group the kind does not take, in the order they were
	 * always reported, what the kind needs (its finish) before server. */
	static const struct {
		uint32_t group;
		const char *why;
	} foreign[] = {
		{ BFTD_REF_OPT_SIM, "noise, offset and offset_after apply to kind simulated only" },
		{ BFTD_REF_OPT_GPS, "pps, delay, leap_seconds, fixed and max_move apply to kinds nmea and gpsd only" },
		{ BFTD_REF_OPT_DEV, "device and speed apply to kind nmea only" },
		{ BFTD_REF_OPT_SERVER, "server applies to kinds ntp and gpsd only" },
		{ BFTD_REF_OPT_SOLAR, "recording, soapy, centre, bandwidth, sample_rate, latitude, longitude, height, "
		                      "position_error, elevation_mask, fragment, block, bits, stamp_uncertainty, tec_max, "
		                      "window, sample_clock, gain, peers_f, sun_fraction and peer_sun_fraction apply to kind "
		                      "solar only" },
		{ BFTD_REF_OPT_NTS, "nts, ca and nts_port apply to kind ntp only" },
		{ BFTD_REF_OPT_NTP, "burst and burst_for apply to kind ntp only" },
	};
	if (!(r->set & BFTD_REF_OPT_KIND))
		return refuse(err, errlen, "needs a kind (simulated, system, nmea, gpsd, ntp or solar)");
	const bftd_refclock_driver *d = drivers[r->kind];
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		if (foreign[i].group == BFTD_REF_OPT_SERVER && d->finish && d->finish(r, err, errlen) != 0)
			return BFT_EINVAL;
		if ((r->set & foreign[i].group) && !(d->groups & foreign[i].group))
			return refuse(err, errlen, foreign[i].why);
	}
	if (!r->name[0])
		snprintf(r->name, sizeof r->name, "%s%zu", d->prefix, idx);
	return 0;
}

int bftd_refclock_open(bftd_refclock *rc, const bftd_ref *cfg, const bftd_refclock_host *host, int64_t rho_ppb, uint64_t seed, int64_t now_mono_ns,
                       char *err, size_t errlen)
{
	memset(rc, 0, sizeof *rc);
	if (!bftd_refclock_available(cfg->kind)) {
		snprintf(err, errlen, "reference %s: %s", cfg->name, BFTD_REF_NO_DRIVER);
		return BFT_EINVAL;
	}
	rc->drv = driver_of(cfg->kind);
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
