/* SPDX-License-Identifier: MIT */
/*
 * The event loop (loop.h). Why poll() and one thread: the node is a state
 * machine that must see events one at a time in raw-time order, and a single
 * loop keeps the daemon deterministic given its inputs, so it can later run
 * unmodified under clock and network simulators. Signals reach the loop
 * through a self-pipe, so a stop request never waits for the next timeout.
 */
#include "daemon/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include <bftime/common.h>

#include "daemon/api.h"
#include "daemon/rng.h"
#include "daemon/gossip.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/proofs_svc.h"
#include "daemon/exports.h"
#include "daemon/ntp_server.h"
#include "daemon/refclock.h"
#include "daemon/udp.h"
#include "node/node.h"
#include "proto/sign.h"
#include "sys/clock.h"

#define RECV_BURST 64 /* datagrams read per wake-up, so timers are not starved */

struct bftd {
	bftd_config cfg; /* owns its copy of the peers array */
	bft_keyring *kr;
	bft_signer signer;
	bft_node *node;
	int fd;
	bftd_ratelimit rl;
	bftd_refclock refs[BFTD_MAX_REFS];
	int64_t timer_raw; /* the node's pending TIMER, INT64_MAX when none */
	int64_t start_mono;
	uint64_t byz_rng;
	bool alarm_logged;
	int64_t last_log_mono;
	bftd_counters ctr;
	bft_source_info *srcs;
	size_t n_srcs;
	uint8_t self_pub[32];
	/* the last reading of each reference: the proofs' reference block */
	bftd_reading ref_last[BFTD_MAX_REFS]; /* the last reading of each, raw_ns 0: none yet */
	const char *ref_kinds[BFTD_MAX_REFS];
	bftd_proofs *proofs;  /* NULL without a store */
	bftd_gossip *gossip;  /* NULL without a store */
	bftd_http *http;      /* NULL with api: none */
	bftd_api_env api;
	int64_t next_proof_mono;
	bftd_exports *exports;
	bftd_ntps *ntps;      /* NULL without ntp_server */
	size_t ref_nfds[BFTD_MAX_REFS]; /* pollfds each driver asked for this turn */
	enum bft_quarantine ref_q[BFTD_MAX_REFS]; /* as last logged */
	bft_node_config nc;   /* the node's configuration (peers: ids) */
	uint32_t *ids;
	int64_t slept_ns;     /* bft_clock_slept_ns at the last wake */
};

/* A stop request: set by the handler, read by the loop. Why not a
 * self-pipe: a syscall-level simulator (clknetsim, which tests/clknetsim
 * runs bftimed under) treats every descriptor it does not own as always
 * readable, so simulated time would never advance. The handler is installed
 * without SA_RESTART, so a signal during poll() ends it with EINTR; one that
 * lands between the check and poll() waits at most STOP_POLL_MS. */
static volatile sig_atomic_t stop_requested;
#define STOP_POLL_MS 1000

static void on_signal(int sig)
{
	stop_requested = sig;
}

static uint64_t random_u64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v ^= (uint64_t)bft_clock_mono_ns() * 0x9e3779b97f4a7c15u; /* not for secrets */
	return v;
}

static int64_t raw_now_cb(void *ctx)
{
	(void)ctx;
	return bft_clock_raw_ns();
}

int bftd_create(bftd **out, const bftd_config *cfg, const uint8_t seed[32], char *err, size_t errlen)
{
	bftd *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	d->fd = -1;
	d->cfg = *cfg;
	d->cfg.peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *cfg->peers);
	uint32_t *ids = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *ids);
	d->n_srcs = cfg->n_peers + cfg->n_refs;
	d->srcs = calloc(d->n_srcs ? d->n_srcs : 1, sizeof *d->srcs);
	int rc = BFT_ENOMEM;
	if (!d->cfg.peers || !ids || !d->srcs)
		goto fail_mem;
	memcpy(d->cfg.peers, cfg->peers, cfg->n_peers * sizeof *cfg->peers);
	if ((rc = bft_keyring_create(&d->kr, cfg->n_peers + 1)) != 0)
		goto fail_mem;
	if ((rc = bft_keyring_add_private(d->kr, cfg->id, seed)) != 0) {
		snprintf(err, errlen, "the node key was rejected by OpenSSL");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_peers; i++) {
		ids[i] = cfg->peers[i].id;
		if ((rc = bft_keyring_add_public(d->kr, cfg->peers[i].id, cfg->peers[i].pubkey)) != 0) {
			snprintf(err, errlen, "peer %u: public key rejected by OpenSSL", cfg->peers[i].id);
			goto fail;
		}
	}
	bft_signer_ed25519(&d->signer, d->kr);
	bft_node_config nc = cfg->node;
	nc.id = cfg->id;
	nc.peers = ids;
	nc.n_peers = cfg->n_peers;
	nc.max_refs = cfg->n_refs;
	nc.signer = &d->signer;
	nc.seed = random_u64();
	nc.raw_now = raw_now_cb; /* transmit stamps right before signing */
	/* The network clock starts at the time of day; the test knob's offset
	 * (oscillator.offset_ms) shows in it as a mis-set system clock would. */
	nc.agree_seed_ns = bft_clock_realtime_ns() - bft_clock_raw_ns() + cfg->osc_offset_ns;
	if ((rc = bft_node_create(&d->node, &nc)) != 0) {
		snprintf(err, errlen, "cannot create the node: %s", bft_strerror(rc));
		goto fail;
	}
	d->nc = nc; /* kept, with ids, to start the node over after a suspend */
	d->ids = ids;
	ids = NULL;
	d->slept_ns = bft_clock_slept_ns();
	d->start_mono = bft_clock_mono_ns();
	for (size_t i = 0; i < cfg->n_refs; i++)
		if ((rc = bftd_refclock_open(&d->refs[i], &d->cfg.refs[i], d->cfg.node.disc.rho_ppb, random_u64(),
		                             d->start_mono, err, errlen)) !=
		    0)
			goto fail;
	if ((rc = bftd_exports_open(&d->exports, &d->cfg, err, errlen)) != 0)
		goto fail;
	if (d->cfg.have_ntp_server && (rc = bftd_ntps_open(&d->ntps, &d->cfg, err, errlen)) != 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_refs; i++)
		d->ref_kinds[i] = d->refs[i].drv->name;
	if (bft_ed25519_public(d->self_pub, seed) != 0) {
		snprintf(err, errlen, "the node key was rejected by OpenSSL");
		rc = BFT_EINVAL;
		goto fail;
	}
	d->next_proof_mono = d->start_mono; /* the first proof as soon as the node is synchronized */
	d->api = (bftd_api_env){ .cfg = &d->cfg, .node = d->node, .ref_kinds = d->ref_kinds, .refs = d->refs,
		                 .self_pub = d->self_pub,
		                 .proofs = d->proofs, .gossip = d->gossip, .ctr = &d->ctr, .start_mono = d->start_mono };
	if (!d->cfg.api_disabled) {
		char herr[256];
		if (bftd_http_start(&d->http, &d->cfg.api, bftd_api_handle, &d->api, herr, sizeof herr) != 0) {
			if (d->cfg.have_api) {
				snprintf(err, errlen, "%s", herr);
				rc = BFT_EINVAL;
				goto fail;
			}
			/* Only the default address: several daemons on one machine
			 * cannot all have it; run without the API rather than not at all. */
			bftd_log(LOG_WARNING, "%s (the default api address); running without the HTTP API", herr);
		} else {
			d->api.http = bftd_http_get_stats(d->http);
		}
	}
	bftd_ratelimit_init(&d->rl, cfg->rate_per_s, cfg->rate_burst, random_u64());
	d->byz_rng = random_u64();
	d->timer_raw = INT64_MAX;
	if ((d->fd = bftd_udp_open(&cfg->listen, err, errlen)) < 0) {
		rc = BFT_EINVAL;
		goto fail;
	}
	*out = d;
	return 0;
fail_mem:
	snprintf(err, errlen, "out of memory");
fail:
	free(ids);
	bftd_destroy(d);
	return rc ? rc : BFT_EINVAL;
}

void bftd_destroy(bftd *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	bftd_http_stop(d->http);
	bftd_ntps_close(d->ntps);
	bftd_exports_close(d->exports);
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		bftd_refclock_close(&d->refs[i]);
	bftd_gossip_destroy(d->gossip);
	bftd_proofs_close(d->proofs);
	bft_node_destroy(d->node);
	bft_keyring_destroy(d->kr);
	free(d->cfg.peers);
	free(d->ids);
	free(d->srcs);
	free(d);
}

const bftd_counters *bftd_get_counters(const bftd *d) { return &d->ctr; }

int bftd_open_store(bftd *d, char *err, size_t errlen)
{
	if (!d->cfg.store_path[0] || d->proofs)
		return 0;
	int rc = bftd_proofs_open(&d->proofs, &d->cfg, d->self_pub, &d->signer, err, errlen);
	if (rc == 0)
		rc = bftd_gossip_create(&d->gossip, &d->cfg, d->proofs, err, errlen);
	/* The API serves proofs from now on (it holds a pointer to d->api). */
	d->api.proofs = d->proofs;
	d->api.gossip = d->gossip;
	return rc;
}

/* Keep only CAP_SYS_TIME (effective and permitted) across setuid: what the
 * adjtimex export needs, and nothing else. Raw capget/capset, as libcap
 * would do for one capability. */
static int keep_sys_time(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct c[2];
	memset(c, 0, sizeof c);
	c[CAP_TO_INDEX(CAP_SYS_TIME)].effective = c[CAP_TO_INDEX(CAP_SYS_TIME)].permitted = CAP_TO_MASK(CAP_SYS_TIME);
	return (int)syscall(SYS_capset, &h, c);
}

int bftd_drop_privileges(const char *user, bool keep_clock, char *err, size_t errlen)
{
	if (!user || !user[0] || geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return BFT_EINVAL;
	}
	if (keep_clock && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
		snprintf(err, errlen, "cannot keep CAP_SYS_TIME for exports.adjtimex: %s", strerror(errno));
		return BFT_EINVAL;
	}
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return BFT_EINVAL;
	}
	if (keep_clock) {
		if (keep_sys_time() != 0) {
			snprintf(err, errlen, "cannot keep CAP_SYS_TIME for exports.adjtimex: %s", strerror(errno));
			return BFT_EINVAL;
		}
		(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	}
	/* Make sure root cannot be regained. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "privileges could be regained after dropping to '%s'", user);
		return BFT_EINVAL;
	}
	bftd_log(LOG_INFO, "running as user %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

/* ---- output ------------------------------------------------------------- */

static const bftd_peer *peer_by_id(const bftd *d, uint32_t id)
{
	for (size_t i = 0; i < d->cfg.n_peers; i++)
		if (d->cfg.peers[i].id == id)
			return &d->cfg.peers[i];
	return NULL;
}

static void write_status(bftd *d, const bft_estimate *e, int64_t raw_now, int64_t rt_now)
{
	if (!d->cfg.status_path[0])
		return;
	json_object *o = json_object_new_object();
	bool synced = e->state != BFT_DISC_UNSYNCHRONIZED;
	json_object_object_add(o, "node", json_object_new_int64(d->cfg.id));
	json_object_object_add(o, "as_of_realtime_ns", json_object_new_int64(rt_now));
	json_object_object_add(o, "raw_ns", json_object_new_int64(raw_now));
	json_object_object_add(o, "synced", json_object_new_boolean(synced));
	json_object_object_add(o, "state", json_object_new_string(bft_disc_state_name(e->state)));
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
	size_t n = bft_node_sources(d->node, d->srcs, d->n_srcs);
	json_object *refs = json_object_new_array(), *peers = json_object_new_array();
	int64_t our_off = bft_sat_sub(e->estimate_ns, raw_now); /* estimate - raw */
	for (size_t i = 0; i < n && i < d->n_srcs; i++) {
		const bft_source_info *s = &d->srcs[i];
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
			const bftd_peer *p = peer_by_id(d, s->id);
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
	const bft_node_counters *nc = bft_node_get_counters(d->node);
	json_object *c = json_object_new_object();
	json_object_object_add(c, "datagrams", json_object_new_int64((int64_t)d->ctr.datagrams));
	json_object_object_add(c, "rate_limited", json_object_new_int64((int64_t)d->ctr.rate_limited));
	json_object_object_add(c, "malformed", json_object_new_int64((int64_t)(d->ctr.malformed + nc->rx_bad)));
	json_object_object_add(c, "bad_signature", json_object_new_int64((int64_t)nc->rx_bad_sig));
	json_object_object_add(c, "unknown_peer", json_object_new_int64((int64_t)nc->rx_unknown_peer));
	json_object_object_add(c, "replayed", json_object_new_int64((int64_t)nc->rx_replay));
	json_object_object_add(c, "not_for_us", json_object_new_int64((int64_t)nc->rx_not_for_us));
	json_object_object_add(c, "sent", json_object_new_int64((int64_t)nc->tx));
	json_object_object_add(c, "send_errors", json_object_new_int64((int64_t)d->ctr.send_errors));
	json_object_object_add(c, "exchanges", json_object_new_int64((int64_t)nc->exchanges));
	json_object_object_add(c, "readings_rejected", json_object_new_int64((int64_t)nc->readings_rejected));
	json_object_object_add(c, "alarms", json_object_new_int64((int64_t)nc->alarms));
	json_object_object_add(c, "reference_quarantines", json_object_new_int64((int64_t)nc->ref_quarantines));
	json_object_object_add(c, "reference_readmissions", json_object_new_int64((int64_t)nc->ref_readmissions));
	json_object_object_add(c, "reference_readings_quarantined",
	                       json_object_new_int64((int64_t)nc->ref_readings_quarantined));
	json_object_object_add(c, "estimates", json_object_new_int64((int64_t)d->ctr.estimates));
	if (d->cfg.byz.strategy != BFT_ADV_NONE) /* test-only: messages sent that lie */
		json_object_object_add(c, "byzantine_lies", json_object_new_int64((int64_t)d->ctr.byz_rewritten));
	json_object_object_add(o, "counters", c);
	json_object *x = json_object_new_object();
	bftd_exports_status(d->exports, x);
	json_object_object_add(o, "exports", x);
	if (d->ntps) {
		json_object *ns = json_object_new_object();
		bftd_ntps_status(d->ntps, ns);
		json_object_object_add(o, "ntp_server", ns);
	}
	if (d->cfg.byz.strategy != BFT_ADV_NONE)
		json_object_object_add(o, "byzantine", json_object_new_string(bft_adv_name(d->cfg.byz.strategy)));

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
static void publish_exports(bftd *d, int64_t raw_now, const bft_estimate *e)
{
	bftd_export_sample s = { .raw_ns = raw_now, .e = *e };
	/* The OS clocks, read as close to raw_now as the calls allow: this
	 * runs right after bft_node_read(raw_now), within microseconds. */
	s.mono_raw_ns = bft_clock_mono_ns();
	s.realtime_ns = bft_clock_realtime_ns();
	s.raw_ns = raw_now;
	s.rho_ppb = bft_sat_add(d->cfg.node.disc.rho_ppb, d->cfg.node.disc.max_slew_ppb);
	s.raw_freq_ppb = d->cfg.osc_freq_ppb;
	bftd_exports_publish(d->exports, &s);
}

/* Exports that must be refreshed between estimates (the time-bounds page's
 * void-after time): read the node now and publish. */
static void service_exports(bftd *d, int64_t now_mono)
{
	if (bftd_exports_next_mono(d->exports) > now_mono)
		return;
	int64_t raw_now = bft_clock_raw_ns();
	bft_estimate e;
	if (bft_node_read(d->node, raw_now, &e) == 0)
		publish_exports(d, raw_now, &e);
}

static void on_estimate(bftd *d)
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
		bftd_log(LOG_INFO,
		         "poll: offset %+.3f ms to system time, interval [%+.3f, %+.3f] ms (width %.3f ms), "
		         "sources %u used of %u, %s%s%s",
		         (double)off / 1e6, (double)lo / 1e6, (double)hi / 1e6,
		         (double)bft_iv_width(e.bounds) / 1e6, e.used, e.sources, bft_disc_state_name(e.state),
		         e.degraded ? ", degraded" : "", e.alarm ? ", ALARM" : "");
	}
	if (e.alarm && !d->alarm_logged)
		bftd_log(LOG_WARNING,
		         "ALARM: the sources prove more than f=%zu of them faulty; not following them, holding over "
		         "on the oscillator (the interval widens) until they agree again",
		         d->cfg.node.f);
	else if (!e.alarm && d->alarm_logged)
		bftd_log(LOG_NOTICE, "alarm cleared: at most f=%zu sources faulty again", d->cfg.node.f);
	d->alarm_logged = e.alarm;
	write_status(d, &e, raw_now, rt_now);
	publish_exports(d, raw_now, &e);
}

static void send_to_peer(bftd *d, bft_action *a)
{
	const bftd_peer *p = peer_by_id(d, a->to);
	if (!p)
		return;
	const uint8_t *buf[2] = { a->buf, NULL };
	size_t len[2] = { a->len, 0 }, n = 1;
	static bft_adv_out o; /* 2 x 256 bytes, off the stack; the loop is single-threaded */
	if (d->cfg.byz.strategy != BFT_ADV_NONE) {
		/* TEST-ONLY: the simulator's strategies (src/node/adversary.c).
		 * They see CLOCK_REALTIME as true time (as the simulated
		 * reference does) and do not know the path's delay. */
		int64_t now = bft_clock_mono_ns() - d->start_mono;
		if (bft_adv_crashed(&d->cfg.byz, now))
			return;
		bft_adv_view v = { .now = now, .true_ns = bft_clock_realtime_ns(), .delay_ns = -1,
			           .dmin_ns = d->cfg.node.dmin_ns };
		double u = bftd_rng_unit(&d->byz_rng);
		(void)bft_adv_rewrite(&d->cfg.byz, &v, u, &d->signer, d->cfg.id, a->buf, a->len, &o);
		d->ctr.byz_rewritten += o.lies;
		n = o.n;
		for (size_t i = 0; i < n; i++) { /* equivocation: the copy made second goes first */
			size_t k = o.second_first ? n - 1 - i : i;
			buf[i] = o.buf[k];
			len[i] = o.len[k];
		}
	}
	for (size_t i = 0; i < n; i++) {
		bftd_gate_sent(&d->rl, (size_t)(p - d->cfg.peers), buf[i], len[i]); /* the nonces its answer echoes */
		if (bftd_udp_send(d->fd, &p->addr, buf[i], len[i]) != 0 && d->ctr.send_errors++ == 0)
			bftd_log(LOG_WARNING, "send to peer %u at %s: %s (further errors counted only)", p->id,
			         p->addr.text, strerror(errno));
	}
}

static void drain(bftd *d)
{
	/* Sends first, the estimate's log line and status file after: a poll's
	 * REQUESTs carry the poll's raw time as t1, so any work done before
	 * they leave adds to the first leg's delay only, and an asymmetric
	 * delay biases every reading of a peer. */
	bft_action a;
	bool estimate = false;
	while (bft_node_next_action(d->node, &a)) {
		switch (a.kind) {
		case BFT_ACT_SEND: send_to_peer(d, &a); break;
		case BFT_ACT_TIMER: d->timer_raw = a.at_raw_ns; break;
		case BFT_ACT_ESTIMATE: estimate = true; break;
		}
	}
	if (estimate)
		on_estimate(d);
}

static void on_readable(bftd *d)
{
	uint8_t buf[BFT_WIRE_MAX + 1];
	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = 0;
		bool trunc = false;
		int64_t krt;
		ssize_t r = bftd_udp_recv(d->fd, buf, sizeof buf, &from, &fromlen, &trunc, &krt);
		/* The raw clock at the kernel's arrival stamp, erring late (clock.h). */
		int64_t raw = bft_clock_arrival_raw_ns(krt);
		if (r == 0)
			return;
		if (r < 0) {
			bftd_log(LOG_DEBUG, "recv: %s", strerror(errno));
			return;
		}
		d->ctr.datagrams++;
		/* The gate answers the node's signature check of what it has
		 * verified itself (udp.h): attached at the first datagram. */
		bftd_gate_attach(&d->rl, &d->signer);
		if (bftd_gate_check(&d->rl, &d->cfg, buf, (size_t)r, &from, bft_clock_mono_ns()) == BFTD_GATE_DROP) {
			if (d->ctr.rate_limited++ % 1000 == 0) {
				char who[80];
				bftd_addr_format(who, sizeof who, &from);
				bftd_log(LOG_NOTICE, "rate limit: dropping datagrams from %s (%llu so far)", who,
				         (unsigned long long)d->ctr.rate_limited);
			}
			continue;
		}
		if (trunc || (size_t)r > BFT_WIRE_MAX) {
			bftd_gate_done(&d->rl, BFT_EINVAL);
			d->ctr.malformed++;
			continue;
		}
		int nrc = bft_node_on_packet(d->node, raw, buf, (size_t)r);
		bftd_gate_done(&d->rl, nrc);
		if (nrc != 0)
			d->ctr.dropped_by_node++;
		drain(d);
	}
}

/* Say so in the log when the node quarantines or readmits a reference. */
static void log_guard(bftd *d, size_t ref)
{
	bft_source_info si;
	if (bft_node_sources(d->node, d->srcs, d->n_srcs) < ref + 1)
		return;
	si = d->srcs[ref];
	if (si.quarantine == d->ref_q[ref])
		return;
	const char *name = d->cfg.refs[ref].name;
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
	d->ref_q[ref] = si.quarantine;
}

static void service_refs(bftd *d, const struct pollfd *pfd, bool polled, int64_t now_mono)
{
	for (size_t i = 0; i < d->cfg.n_refs; i++) {
		bftd_refclock *rc = &d->refs[i];
		size_t nfd = polled ? d->ref_nfds[i] : 0;
		bool events = false;
		for (size_t k = 0; k < nfd; k++)
			events |= pfd[k].revents != 0;
		pfd += d->ref_nfds[i];
		if (!events && now_mono < rc->next_mono_ns)
			continue;
		bftd_reading r[BFTD_REF_MAX_READINGS];
		size_t n = rc->drv->service(rc, pfd - d->ref_nfds[i], nfd, now_mono, r, BFTD_REF_MAX_READINGS);
		for (size_t k = 0; k < n && k < BFTD_REF_MAX_READINGS; k++) {
			int rc2;
			if (r[k].suspect) {
				rc2 = bft_node_on_reference_suspect(d->node, r[k].raw_ns, (uint32_t)i, r[k].suspect);
			} else {
				d->ref_last[i] = r[k];
				rc2 = bft_node_on_reference(d->node, r[k].raw_ns, (uint32_t)i, r[k].iv);
			}
			if (rc2 != 0)
				bftd_log(LOG_DEBUG, "reference %s: reading refused by the node", d->cfg.refs[i].name);
			drain(d);
			log_guard(d, i);
		}
	}
}

/* ---- time proofs -------------------------------------------------------- */

#define GPS_EPOCH_UNIX_S INT64_C(315964800) /* 1980-01-06T00:00:00Z */
#define GPS_LEAP_S 18                         /* GPS - UTC since 2017; the simulated receiver's */

/* The reference block: a GPS receiver's latest fix (its own week, time of
 * week and satellites), else the latest reading of a simulated reference
 * stated as a receiver would (its satellite summary a fixed placeholder;
 * the kind byte, SIM_GPS, says it is simulated). */
static void proof_ref(const bftd *d, bft_proof_ref *ref)
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
	int64_t gps = bft_sat_add(bft_sat_sub(bft_iv_mid(d->ref_last[best].iv), GPS_EPOCH_UNIX_S * BFT_NS_PER_SEC),
	                          GPS_LEAP_S * BFT_NS_PER_SEC);
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
static void service_proofs(bftd *d, int64_t now_mono)
{
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
	proof_ref(d, &clk.ref);
	bft_proof p;
	int rc = bftd_proofs_issue(d->proofs, &clk, &p);
	if (rc == 0) {
		bftd_log(LOG_DEBUG, "proof seq %llu issued", (unsigned long long)p.seq);
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

/* Milliseconds until the earliest of the node's timer and the references'. */
static int next_timeout_ms(const bftd *d, int64_t raw_now, int64_t mono_now)
{
	int64_t wait = 60 * BFT_NS_PER_SEC;
	if (d->timer_raw != INT64_MAX && bft_sat_sub(d->timer_raw, raw_now) < wait)
		wait = bft_sat_sub(d->timer_raw, raw_now);
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		if (d->refs[i].next_mono_ns != INT64_MAX && d->refs[i].next_mono_ns - mono_now < wait)
			wait = d->refs[i].next_mono_ns - mono_now;
	int64_t x = bftd_exports_next_mono(d->exports);
	if (x != INT64_MAX && x - mono_now < wait)
		wait = x - mono_now;
	if (d->proofs && d->next_proof_mono - mono_now < wait)
		wait = d->next_proof_mono - mono_now;
	if (wait <= 0)
		return 0;
	return (int)((wait + 999999) / 1000000); /* round up: never wake early and spin */
}

/* The raw clock stopped while the machine was suspended, and true time did
 * not: the node's clock, interval and every reading it holds are off by the
 * time slept, which no drift bound covers. Start the node over: it is
 * unsynchronized (and says so to peers, NTP clients and the time-bounds
 * page) until its sources synchronize it again. */
static void check_suspend(bftd *d)
{
	int64_t slept = bft_clock_slept_ns(), grown = slept - d->slept_ns;
	d->slept_ns = slept;
	if (grown < BFT_NS_PER_SEC / 1000)
		return;
	bft_node *fresh = NULL;
	d->nc.seed = random_u64();
	if (bft_node_create(&fresh, &d->nc) != 0 || bft_node_start(fresh, bft_clock_raw_ns()) != 0) {
		bft_node_destroy(fresh);
		bftd_log(LOG_ERR, "the machine was suspended for %.3f s, and the node could not be started over",
		         (double)grown / 1e9);
		return;
	}
	bft_node_destroy(d->node);
	d->node = fresh;
	d->api.node = fresh;
	d->timer_raw = INT64_MAX;
	memset(d->ref_q, 0, sizeof d->ref_q);
	bftd_log(LOG_WARNING,
	         "the machine was suspended for %.3f s: the oscillator did not run, so the clock and its interval "
	         "are void; synchronizing again from the sources",
	         (double)grown / 1e9);
	drain(d);
}

static int install_signals(void)
{
	stop_requested = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	/* main.c holds them blocked from READY until here: a pending one now
	 * reaches the handler and stops the loop at its first turn. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_UNBLOCK, &stop, NULL) != 0)
		return -1;
	/* SIGXFSZ too: a store write past a file-size limit must fail with
	 * EFBIG (an alarm the proof service reports), not kill the daemon.
	 * SIGHUP is ignored, not a reload: say so once, where an operator used
	 * to `systemctl reload` or `kill -HUP` will look for it. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGPIPE, &sa, NULL) != 0 || sigaction(SIGXFSZ, &sa, NULL) != 0)
		return -1;
	bftd_log(LOG_INFO, "SIGHUP is ignored: the configuration is not reloaded; restart bftimed to apply any change");
	return 0;
}

static void close_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

int bftd_run(bftd *d)
{
	if (install_signals() != 0) {
		bftd_log(LOG_ERR, "cannot install signal handlers: %s", strerror(errno));
		close_signals();
		return BFT_EINVAL;
	}
	bftd_log(LOG_NOTICE, "node %u listening on %s, %zu peers, %zu references, f=%zu, poll %.1f s%s%s",
	         d->cfg.id, d->cfg.listen.text, d->cfg.n_peers, d->cfg.n_refs, d->cfg.node.f,
	         (double)d->cfg.node.poll_ns / 1e9, d->cfg.byz.strategy ? ", BYZANTINE (test): " : "",
	         d->cfg.byz.strategy ? bft_adv_name(d->cfg.byz.strategy) : "");
	if (bft_node_start(d->node, bft_clock_raw_ns()) != 0) {
		close_signals();
		return BFT_EINVAL;
	}
	drain(d);
	int stop_sig = 0;
	/* [0] peers, [1] unused (-1), [2] NTP server (-1 fd when off), then the
	 * references', the HTTP server's and gossip's. */
	struct pollfd pfd[3 + BFTD_MAX_REFS * BFTD_REF_MAX_FDS + BFTD_HTTP_MAX_POLLFDS + BFTD_GOSSIP_MAX_POLLFDS];
	while (!(stop_sig = stop_requested)) {
		int64_t raw_now = bft_clock_raw_ns(), mono_now = bft_clock_mono_ns();
		pfd[0] = (struct pollfd){ .fd = d->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = -1 };
		pfd[2] = (struct pollfd){ .fd = d->ntps ? bftd_ntps_fd(d->ntps) : -1, .events = POLLIN };
		size_t n_refs = 0;
		struct pollfd *rp = pfd + 3;
		for (size_t i = 0; i < d->cfg.n_refs; i++) {
			bftd_refclock *rc = &d->refs[i];
			d->ref_nfds[i] = rc->drv->pollfds ? rc->drv->pollfds(rc, rp + n_refs, BFTD_REF_MAX_FDS) : 0;
			n_refs += d->ref_nfds[i];
		}
		struct pollfd *hp = rp + n_refs;
		size_t n_http = d->http ? bftd_http_pollfds(d->http, hp, BFTD_HTTP_MAX_POLLFDS) : 0;
		size_t n_gossip = d->gossip ? bftd_gossip_pollfds(d->gossip, hp + n_http, BFTD_GOSSIP_MAX_POLLFDS) : 0;
		int timeout = next_timeout_ms(d, raw_now, mono_now);
		int t2 = d->http ? bftd_http_timeout_ms(d->http) : -1;
		if (t2 >= 0 && t2 < timeout)
			timeout = t2;
		t2 = d->gossip ? bftd_gossip_timeout_ms(d->gossip, mono_now) : -1;
		if (t2 >= 0 && t2 < timeout)
			timeout = t2;
		if (timeout < 0 || timeout > STOP_POLL_MS)
			timeout = STOP_POLL_MS;
		int r = poll(pfd, (nfds_t)(3 + n_refs + n_http + n_gossip), timeout);
		bft_clock_mark();
		check_suspend(d);
		if (r < 0 && errno != EINTR) {
			bftd_log(LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[0].revents & (POLLIN | POLLERR)))
			on_readable(d);
		if (r > 0 && d->ntps && (pfd[2].revents & (POLLIN | POLLERR)))
			bftd_ntps_service(d->ntps, d->node);
		service_refs(d, rp, r > 0, bft_clock_mono_ns());
		/* HTTP after the datagrams: a burst of API requests cannot delay a
		 * peer's packet, whose receive stamp is already taken anyway. */
		if (d->http)
			bftd_http_service(d->http, hp, r > 0 ? n_http : 0);
		service_proofs(d, bft_clock_mono_ns());
		if (d->gossip)
			bftd_gossip_service(d->gossip, hp + n_http, r > 0 ? n_gossip : 0, bft_clock_mono_ns());
		service_exports(d, bft_clock_mono_ns());
		raw_now = bft_clock_raw_ns();
		if (d->timer_raw != INT64_MAX && raw_now >= d->timer_raw) {
			d->timer_raw = INT64_MAX; /* the node queues the next one */
			bft_node_on_timer(d->node, raw_now);
			drain(d);
			/* Had the node's queue been full, its TIMER would be lost and
			 * the loop would never poll again: check back a poll later
			 * (an early on_timer is harmless, the node ignores it). */
			if (d->timer_raw == INT64_MAX)
				d->timer_raw = bft_sat_add(raw_now, d->cfg.node.poll_ns);
		}
	}
	if (stop_sig)
		bftd_log(LOG_NOTICE, "stopping on signal %d", stop_sig);
	close_signals();
	return stop_sig ? 0 : BFT_EINVAL;
}
