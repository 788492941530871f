/* SPDX-License-Identifier: MIT */
/*
 * What the daemon says about each estimate (loop_int.h): the log line, the
 * status file, the exports; and the log of a reference's quarantine.
 */
#include "daemon/loop_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/testkit.h"
#include "sys/clock.h"

void bftd_write_status(bftd *d)
{
	if (!d->cfg.status_path[0] || !d->status.filled)
		return;
	const bftd_status *st = &d->status;
	const bft_estimate *e = &st->e;
	int64_t raw_now = st->raw_ns, rt_now = st->rt_ns;
	json_object *o = json_object_new_object();
	bool synced = e->state != BFT_DISC_UNSYNCHRONIZED;
	json_object_object_add(o, "node", json_object_new_int64(d->cfg.id));
	json_object_object_add(o, "as_of_realtime_ns", json_object_new_int64(rt_now));
	json_object_object_add(o, "raw_ns", json_object_new_int64(raw_now));
	json_object_object_add(o, "synced", json_object_new_boolean(synced));
	json_object_object_add(o, "state", json_object_new_string(bftd_state_name(e)));
	json_object_object_add(o, "alarm", json_object_new_boolean(e->alarm));
	json_object_object_add(o, "degraded", json_object_new_boolean(e->degraded));
	if (synced) {
		json_object_object_add(o, "earliest_ns", json_object_new_int64(e->bounds.lo_ns));
		json_object_object_add(o, "latest_ns", json_object_new_int64(e->bounds.hi_ns));
		json_object_object_add(o, "estimate_ns", json_object_new_int64(e->estimate_ns));
		json_object_object_add(o, "width_ns", json_object_new_int64(bft_iv_width(e->bounds)));
		json_object_object_add(o, "system_offset_ns",
		                       json_object_new_int64(bft_sat_sub(e->estimate_ns, rt_now)));
	}
	json_object_object_add(o, "sources", json_object_new_int64(e->sources));
	json_object_object_add(o, "used", json_object_new_int64(e->used));
	size_t n = st->n_src;
	json_object *refs = json_object_new_array(), *peers = json_object_new_array();
	int64_t our_off = bft_sat_sub(e->estimate_ns, raw_now); /* estimate - raw */
	for (size_t i = 0; i < n; i++) {
		const bft_source_info *s = &st->src[i];
		json_object *so = json_object_new_object();
		json_object_object_add(so, "id", json_object_new_int64(s->id));
		json_object_object_add(so, "fresh", json_object_new_boolean(s->fresh));
		json_object_object_add(so, "used", json_object_new_boolean(s->used));
		if (s->fresh && synced) {
			json_object_object_add(so, "offset_ns",
			                       json_object_new_int64(bft_sat_sub(bft_iv_mid(s->offset), our_off)));
			json_object_object_add(so, "width_ns", json_object_new_int64(bft_iv_width(s->offset)));
		}
		if (s->is_peer) {
			const bftd_peer *p = bftd_config_peer(&d->cfg, s->id);
			json_object_object_add(so, "address", json_object_new_string(p ? p->addr.text : "?"));
			json_object_object_add(so, "delay_ns", json_object_new_int64(s->delay_ns));
			json_object_array_add(peers, so);
		} else {
			const bftd_refclock *rc = &d->refs[s->id];
			json_object_object_add(so, "kind", json_object_new_string(rc->drv->name));
			json_object_object_add(so, "name", json_object_new_string(d->cfg.refs[s->id].name));
			json_object_object_add(so, "device_state", json_object_new_string(rc->state));
			json_object_object_add(so, "readings", json_object_new_int64((int64_t)rc->readings));
			json_object_object_add(so, "input_errors", json_object_new_int64((int64_t)rc->errors));
			if (rc->drv->status)
				rc->drv->status(rc, so);
			json_object_object_add(so, "quarantine", json_object_new_string(bft_quarantine_name(s->quarantine)));
			json_object_object_add(so, "quarantines", json_object_new_int64((int64_t)s->quarantines));
			if (s->quarantine != BFT_Q_NONE) {
				if (s->quarantine == BFT_Q_SUSPECT && s->suspect)
					json_object_object_add(so, "suspect", json_object_new_string(s->suspect));
				else
					json_object_object_add(so, "quarantine_by_ns", json_object_new_int64(s->q_by_ns));
				json_object_object_add(so, "agreeing_ns", json_object_new_int64(s->agreeing_ns));
			}
			json_object_array_add(refs, so);
		}
	}
	json_object_object_add(o, "references", refs);
	json_object_object_add(o, "peers", peers);
	json_object *c = json_object_new_object();
	bftd_status_counters_json(st, c);
	json_object_object_add(o, "counters", c);
	json_object *x = json_object_new_object();
	bftd_exports_status(d->exports, x);
	json_object_object_add(o, "exports", x);
	if (d->ntps) {
		json_object *ns = json_object_new_object();
		bftd_ntps_status(d->ntps, ns);
		json_object_object_add(o, "ntp_server", ns);
	}
	if (d->cfg.byz)
		json_object_object_add(o, "byzantine", json_object_new_string(bftd_liar_name(d->cfg.byz)));

	/* Atomic: write a temporary file beside it, then rename over. */
	char tmp[sizeof d->cfg.status_path + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", d->cfg.status_path);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	FILE *f = fopen(tmp, "w");
	bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, d->cfg.status_path) != 0) {
		static bool warned;
		if (!warned)
			bftd_log(LOG_WARNING, "cannot write status file %s: %s", d->cfg.status_path, strerror(errno));
		warned = true;
		unlink(tmp);
	}
	json_object_put(o);
}

/* The estimate read at raw_now, with the other clocks read around it. */
void bftd_publish_exports(bftd *d, int64_t raw_now, const bft_estimate *e)
{
	bftd_export_sample s = { .raw_ns = raw_now, .e = *e };
	/* The OS clocks, read as close to raw_now as the calls allow: this
	 * runs right after bft_node_read(raw_now), within microseconds. */
	s.mono_raw_ns = bft_clock_mono_ns();
	s.realtime_ns = bft_clock_realtime_ns();
	s.raw_ns = raw_now;
	s.rho_ppb = bft_sat_add(d->cfg.node.disc.rho_ppb, d->cfg.node.disc.max_slew_ppb);
	s.raw_freq_ppb = d->cfg.osc_freq_ppb;
	s.slept_ns = d->slept_ns; /* as the last suspend check found it (loop.c: check_suspend) */
	bft_disc_status st;
	if (e->net_running && bft_node_disc_status(d->node, &st) == 0 && st.trained && st.freq_ppb != INT64_MIN) {
		s.net_rate_known = true;
		s.net_rate_ppb = st.freq_ppb;
	}
	bftd_exports_publish(d->exports, &s);
}

/* Exports that must be refreshed between estimates (the time-bounds page's
 * void-after time): read the node now and publish. */
void bftd_service_exports(bftd *d, int64_t now_mono)
{
	if (bftd_exports_next_mono(d->exports) > now_mono)
		return;
	int64_t raw_now = bft_clock_raw_ns();
	bft_estimate e;
	if (bft_node_read(d->node, raw_now, &e) == 0)
		bftd_publish_exports(d, raw_now, &e);
}

void bftd_on_estimate(bftd *d)
{
	d->ctr.estimates++;
	int64_t raw_now = bft_clock_raw_ns();
	int64_t rt_now = bft_clock_realtime_ns();
	bft_estimate e;
	if (bft_node_read(d->node, raw_now, &e) != 0)
		return;
	/* The node publishes on every fusion, and references make it fuse more
	 * often than it polls: log once a poll, and on any alarm change. */
	int64_t mono = bft_clock_mono_ns();
	bool log_now = e.alarm != d->alarm_logged || d->last_log_mono == 0 ||
	               mono - d->last_log_mono >= d->cfg.node.poll_ns - d->cfg.node.poll_ns / 8;
	if (log_now)
		d->last_log_mono = mono;
	if (!log_now) {
		if (e.state != BFT_DISC_UNSYNCHRONIZED)
			bftd_log(LOG_DEBUG, "estimate: offset %+.6f ms to system time, interval [%+.6f, %+.6f] ms",
			         (double)bft_sat_sub(e.estimate_ns, rt_now) / 1e6,
			         (double)bft_sat_sub(e.bounds.lo_ns, rt_now) / 1e6,
			         (double)bft_sat_sub(e.bounds.hi_ns, rt_now) / 1e6);
	} else if (e.state == BFT_DISC_UNSYNCHRONIZED) {
		bftd_log(LOG_INFO, "poll: unsynchronized, %u sources%s", e.sources, e.alarm ? ", ALARM" : "");
	} else {
		int64_t off = bft_sat_sub(e.estimate_ns, rt_now);
		int64_t lo = bft_sat_sub(e.bounds.lo_ns, rt_now), hi = bft_sat_sub(e.bounds.hi_ns, rt_now);
		/* The oscillator's fitted frequency (true - raw per raw second) and
		 * the fit's standard deviation, as chronyc tracking shows them. */
		bft_disc_status ds;
		char freq[64] = "";
		if (bft_node_disc_status(d->node, &ds) == 0 && ds.trained && ds.freq_sd_ppb != INT64_MAX)
			snprintf(freq, sizeof freq, ", frequency %+.3f ppm (sd %.3f)", (double)e.freq_ppb / 1e3,
			         (double)ds.freq_sd_ppb / 1e3);
		bftd_log(LOG_INFO,
		         "poll: offset %+.3f ms to system time, interval [%+.3f, %+.3f] ms (width %.3f ms), "
		         "sources %u used of %u%s, %s%s%s",
		         (double)off / 1e6, (double)lo / 1e6, (double)hi / 1e6, (double)bft_iv_width(e.bounds) / 1e6,
		         e.used, e.sources, freq, bft_disc_state_name(e.state), e.degraded ? ", degraded" : "",
		         e.alarm ? ", ALARM" : "");
	}
	if (e.alarm && !d->alarm_logged)
		bftd_log(LOG_WARNING,
		         "ALARM: the sources prove more than f=%zu of them faulty; not following them, holding over "
		         "on the oscillator (the interval widens) until they agree again",
		         d->cfg.node.f);
	else if (!e.alarm && d->alarm_logged)
		bftd_log(LOG_NOTICE, "alarm cleared: at most f=%zu sources faulty again", d->cfg.node.f);
	d->alarm_logged = e.alarm;
	bftd_status_fill(&d->status, &d->api, raw_now, rt_now, &e);
	bftd_history_record(d->history, &d->status); /* the dashboard's (history.h) */
	bftd_write_status(d);
	bftd_publish_exports(d, raw_now, &e);
}

/* Say so in the log when the node quarantines or readmits a reference. */
void bftd_log_quarantine(bftd *d, const bft_action *a)
{
	if (a->to >= d->cfg.n_refs)
		return;
	const struct {
		enum bft_quarantine quarantine;
		int64_t q_by_ns;
		const char *suspect;
	} si = { a->q, a->q_by_ns, a->suspect };
	const char *name = d->cfg.refs[a->to].name;
	double readmit_s = (double)bft_node_get_config(d->node)->ref_readmit_ns / 1e9;
	if (si.quarantine == BFT_Q_NONE)
		bftd_log(LOG_NOTICE, "reference %s readmitted: its readings agreed with the node's clock for %.0f s", name,
		         readmit_s);
	else if (si.quarantine == BFT_Q_SUSPECT)
		bftd_log(LOG_WARNING, "ALARM: reference %s quarantined, its readings are implausible: %s", name,
		         si.suspect ? si.suspect : "?");
	else
		bftd_log(LOG_WARNING,
		         "ALARM: reference %s quarantined: %s by %+.6f ms; holding it out until it agrees for %.0f s", name,
		         si.quarantine == BFT_Q_JUMP ? "it jumped against the oscillator's prediction"
		                                     : "it disagrees with the other sources' consensus",
		         (double)si.q_by_ns / 1e6, readmit_s);
}
