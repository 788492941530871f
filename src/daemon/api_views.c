/* SPDX-License-Identifier: MIT */
/*
 * The API's JSON views (api_int.h): the estimate, a source, the counters, a
 * proof, and the helpers that write integer ns beside RFC 3339 text.
 */
#include "daemon/api_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "daemon/keys.h"
#include "daemon/testkit.h"
#include "refclock/refclock.h"
#include "sys/clock.h"
#include "util/timetext.h"

/* ---- helpers ------------------------------------------------------------ */

void add_i64(json_object *o, const char *k, int64_t v) { json_object_object_add(o, k, json_object_new_int64(v)); }
void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}
void add_bool(json_object *o, const char *k, bool v) { json_object_object_add(o, k, json_object_new_boolean(v)); }
void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}
void add_time(json_object *o, const char *k, int64_t ns)
{
	char buf[48], key[64];
	snprintf(key, sizeof key, "%s_ns", k);
	add_i64(o, key, ns);
	add_str(o, k, bftd_rfc3339_format(buf, sizeof buf, ns));
}
void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char buf[2 * BFT_PROOF_MAX + 1];
	bftd_hex(buf, b, n);
	add_str(o, k, buf);
}

void json_reply(bftd_http_response *resp, unsigned status, json_object *o)
{
	bftd_http_reply_json(resp, status, o);
}

struct now read_now(const bftd_api_env *env)
{
	struct now n = { 0 };
	n.raw = bft_clock_raw_ns();
	n.rt = bft_clock_realtime_ns();
	n.ok = bft_node_read(env->node, n.raw, &n.e) == 0;
	n.synced = n.ok && n.e.state != BFT_DISC_UNSYNCHRONIZED;
	return n;
}

void add_estimate(json_object *o, const struct now *n)
{
	add_bool(o, "synced", n->synced);
	add_str(o, "state", n->ok ? bftd_state_name(&n->e) : "unknown");
	add_bool(o, "alarm", n->ok && n->e.alarm);
	add_bool(o, "degraded", n->ok && n->e.degraded);
	add_time(o, "as_of", n->rt);
	add_i64(o, "raw_ns", n->raw);
	if (n->synced) {
		add_time(o, "earliest", n->e.bounds.lo_ns);
		add_time(o, "latest", n->e.bounds.hi_ns);
		add_time(o, "estimate", n->e.estimate_ns);
		add_i64(o, "width_ns", bft_iv_width(n->e.bounds));
		add_i64(o, "system_offset_ns", bft_sat_sub(n->e.estimate_ns, n->rt));
	} else {
		add_str(o, "earliest", NULL);
		add_str(o, "latest", NULL);
		add_str(o, "estimate", NULL);
	}
	if (n->ok) {
		add_i64(o, "sources", n->e.sources);
		add_i64(o, "used", n->e.used);
		/* The network clock (internal synchronization, docs/internal-sync.md). */
		json_object *net = json_object_new_object();
		bool clock = n->synced || n->e.net_running;
		add_str(net, "state", n->synced ? "true_time" : !n->e.net_running ? "none" : n->e.agreed ? "agreed" : "booting");
		if (clock) { /* the wire clock: with true time, plus its agreement offset */
			add_time(net, "time", n->e.net_time_ns);
			add_i64(net, "time_ns", n->e.net_time_ns);
		}
		if (n->e.net_running || n->e.precision_ns > 0) {
			add_i64(net, "precision_bound_ns", n->e.precision_ns);
			add_i64(net, "precision_bound_hard_ns", n->e.precision_hard_ns);
		}
		json_object_object_add(o, "network", net);
	}
}

const char *why_not(const bft_source_info *s, const struct now *n, char *buf, size_t len)
{
	switch (s->quarantine) {
	case BFT_Q_JUMP: return "quarantined: a reading jumped outside the node's own interval (spoofing?)";
	case BFT_Q_CONSENSUS: return "quarantined: it disagreed with the consensus of the other sources";
	case BFT_Q_SUSPECT:
		snprintf(buf, len, "quarantined: its driver found its readings implausible: %s",
		         s->suspect ? s->suspect : "?");
		return buf;
	case BFT_Q_NONE: break;
	}
	if (s->used)
		return NULL;
	if (!s->fresh && s->is_peer && s->bad_sig > 0) {
		/* Its datagrams arrive but fail the check under the key we hold
		 * for it: most often a public_key mistyped in the configuration
		 * (issue 14: shown as "not heard from"). */
		snprintf(buf, len,
		         "no fresh reading: %llu datagrams naming it failed the signature check under its configured "
		         "public_key (wrong key?)",
		         (unsigned long long)s->bad_sig);
		return buf;
	}
	if (!s->fresh)
		return "no fresh reading (not heard from within max_age)";
	if (!n->synced)
		return "not synchronized yet";
	if (n->e.alarm)
		return "alarm: more than f sources disagree, none followed";
	return "its interval misses the fused interval (falseticker)";
}

json_object *source_json(const bftd_api_env *env, const bft_source_info *s, const struct now *n)
{
	json_object *so = json_object_new_object();
	add_str(so, "type", s->is_peer ? "peer" : "reference");
	add_i64(so, "id", s->id);
	if (s->is_peer) {
		const bftd_peer *p = bftd_config_peer(env->cfg, s->id);
		add_str(so, "address", p ? p->addr.text : "?");
		bftd_evidence_peer_json(bftd_proofs_evidence(env->proofs), s->id, so); /* "faulty": "equivocation" */
	} else if (s->id < env->cfg->n_refs) {
		add_str(so, "name", env->cfg->refs[s->id].name);
		add_str(so, "kind", env->ref_kinds ? env->ref_kinds[s->id] : "?");
		if (env->refs) {
			const bftd_refclock *rc = &env->refs[s->id];
			add_str(so, "device_state", rc->state);
			add_u64(so, "readings", rc->readings);
			add_u64(so, "input_errors", rc->errors);
			if (rc->drv && rc->drv->status)
				rc->drv->status(rc, so); /* the driver's own fields: satellites, server, ... */
		}
	}
	add_bool(so, "fresh", s->fresh);
	add_bool(so, "used", s->used);
	char why[160];
	add_str(so, "why_not", why_not(s, n, why, sizeof why));
	if (!s->is_peer) {
		add_str(so, "quarantine", bft_quarantine_name(s->quarantine));
		add_i64(so, "quarantines", (int64_t)s->quarantines);
		if (s->quarantine == BFT_Q_SUSPECT)
			add_str(so, "suspect", s->suspect);
		else if (s->quarantine != BFT_Q_NONE)
			add_i64(so, "quarantine_by_ns", s->q_by_ns);
		if (s->quarantine != BFT_Q_NONE)
			add_i64(so, "agreeing_ns", s->agreeing_ns);
	}
	if (s->fresh) {
		int64_t our_off = bft_sat_sub(n->e.estimate_ns, n->raw);
		if (n->synced)
			add_i64(so, "offset_ns", bft_sat_sub(bft_iv_mid(s->offset), our_off));
		add_i64(so, "width_ns", bft_iv_width(s->offset));
		add_i64(so, "age_ns", s->age_ns);
	}
	if (s->is_peer)
		add_i64(so, "delay_ns", s->delay_ns);
	/* As chronyc sources: reach (an 8-bit register, bit 0 the last poll),
	 * the last answer's age and the poll. */
	add_i64(so, "reach", s->reach);
	if (s->last_rx_raw != INT64_MIN) /* as of this request, not of the snapshot */
		add_i64(so, "last_rx_ago_ns", bft_sat_sub(bft_clock_raw_ns(), s->last_rx_raw));
	else
		add_str(so, "last_rx_ago_ns", NULL);
	add_i64(so, "poll_ns", env->cfg->node.poll_ns);
	if (s->is_peer) {
		add_u64(so, "bad_signature", s->bad_sig);
		/* Internal synchronization: how often the agreement took its
		 * clock, and trimmed it (a liar: every time). */
		add_u64(so, "agreement_used", s->agree_used);
		add_u64(so, "agreement_trimmed", s->agree_trimmed);
	}
	return so;
}

json_object *tracking_json(const bftd_status *st)
{
	struct now n = now_of(st);
	json_object *t = json_object_new_object();
	add_str(t, "state", n.ok ? bftd_state_name(&n.e) : "unknown");
	/* Leap: bftime carries no leap warning; like an NTP server's leap
	 * indicator, "unsynchronized" when the node knows no interval. */
	add_str(t, "leap", n.synced ? "normal" : "unsynchronized");
	add_bool(t, "holdover", n.ok && bftd_holding_over(&n.e));
	add_i64(t, "sources", n.ok ? n.e.sources : 0);
	add_i64(t, "used", n.ok ? n.e.used : 0);
	if (n.ok)
		add_i64(t, "frequency_ppb", n.e.freq_ppb);
	if (st->disc_ok) {
		add_bool(t, "frequency_trained", st->disc.trained);
		if (st->disc.freq_unc_ppb != INT64_MAX)
			add_i64(t, "skew_ppb", st->disc.freq_unc_ppb);
		else
			add_str(t, "skew_ppb", NULL);
		if (st->disc.freq_sd_ppb != INT64_MAX)
			add_i64(t, "frequency_sd_ppb", st->disc.freq_sd_ppb);
		add_u64(t, "measurements", st->disc.measurements);
	}
	if (n.synced) {
		/* Root distance's role: the most the estimate can be from true
		 * time, the longer side of the interval from it. */
		int64_t lo = bft_sat_sub(n.e.estimate_ns, n.e.bounds.lo_ns), hi = bft_sat_sub(n.e.bounds.hi_ns, n.e.estimate_ns);
		add_i64(t, "root_distance_ns", lo > hi ? lo : hi);
		add_i64(t, "width_ns", bft_iv_width(n.e.bounds));
		add_i64(t, "system_offset_ns", bft_sat_sub(n.e.estimate_ns, n.rt));
		add_time(t, "estimate", n.e.estimate_ns);
	} else {
		add_str(t, "root_distance_ns", NULL);
	}
	return t;
}

/* Sources into a fresh array; *n_out their number. The caller frees. */
bft_source_info *sources(const bftd_api_env *env, size_t *n_out)
{
	size_t cap = env->cfg->n_peers + env->cfg->n_refs + 1;
	bft_source_info *s = calloc(cap, sizeof *s);
	*n_out = s ? bft_node_sources(env->node, s, cap) : 0;
	if (*n_out > cap)
		*n_out = cap;
	return s;
}

json_object *chain_head_json(const bftd_api_env *env)
{
	uint64_t seq;
	uint8_t hash[BFT_PROOF_HASH];
	int64_t t;
	if (!env->proofs || !bftd_proofs_head(env->proofs, &seq, hash, &t))
		return NULL;
	json_object *h = json_object_new_object();
	add_u64(h, "seq", seq);
	add_hex(h, "hash", hash, sizeof hash);
	add_time(h, "time", t);
	return h;
}

json_object *counters_json(const bftd_api_env *env, const bftd_status *st)
{
	json_object *c = json_object_new_object();
	bftd_status_counters_json(st, c);
	if (env->proofs) {
		const bft_store_stats *ss = bft_store_get_stats(bftd_proofs_store(env->proofs));
		json_object *r = json_object_new_object();
		for (int i = 0; i < BFT_STORE_RESULTS; i++)
			add_u64(r, bft_store_result_name((enum bft_store_result)i), ss->by_result[i]);
		json_object_object_add(c, "store_results", r);
	}
	return c;
}

const bftd_status *status_of(const bftd_api_env *env, bftd_status *local)
{
	memset(local, 0, sizeof *local);
	if (env->status && env->status->filled)
		return env->status;
	(void)bftd_status_init(local, env->cfg->n_peers + env->cfg->n_refs); /* no room: no sources, still the rest */
	bftd_status_fill(local, env, bft_clock_raw_ns(), bft_clock_realtime_ns(), NULL);
	return local;
}

struct now now_of(const bftd_status *st)
{
	struct now n = { .raw = st->raw_ns, .rt = st->rt_ns, .e = st->e, .ok = st->ok, .synced = st->synced };
	return n;
}

const char *ref_kind_name(uint8_t k)
{
	return k == BFT_REF_GPS ? "gps" : k == BFT_REF_SIM_GPS ? "simulated-gps" : "none";
}

json_object *proof_json(const uint8_t *buf, size_t len)
{
	bft_proof p;
	uint8_t hash[BFT_PROOF_HASH];
	if (bft_proof_decode(&p, buf, len) != 0 || bft_proof_hash(hash, &p) != 0)
		return NULL;
	json_object *o = json_object_new_object();
	add_i64(o, "node", p.node_id);
	add_u64(o, "seq", p.seq);
	add_hex(o, "hash", hash, sizeof hash);
	add_hex(o, "prev_hash", p.prev_hash, sizeof p.prev_hash);
	add_time(o, "time", p.time_ns);
	add_i64(o, "raw_ns", p.raw_ns);
	add_i64(o, "offset_ns", p.offset_ns);
	add_i64(o, "freq_ppb", p.freq_ppb);
	if (p.bounds.lo_ns != INT64_MIN || p.bounds.hi_ns != INT64_MAX) {
		add_time(o, "earliest", p.bounds.lo_ns);
		add_time(o, "latest", p.bounds.hi_ns);
	} else {
		add_str(o, "earliest", NULL);
		add_str(o, "latest", NULL);
	}
	json_object *fl = json_object_new_array();
	static const char *const names[] = { "synced", "alarm", "degraded", "holdover" };
	for (int i = 0; i < 4; i++)
		if (p.flags & (1u << i))
			json_object_array_add(fl, json_object_new_string(names[i]));
	json_object_object_add(o, "flags", fl);
	if (p.ref.kind != BFT_REF_NONE) {
		json_object *r = json_object_new_object();
		add_str(r, "kind", ref_kind_name(p.ref.kind));
		add_i64(r, "gps_week", p.ref.week);
		add_i64(r, "tow_ns", p.ref.tow_ns);
		add_i64(r, "sats_used", p.ref.sats_used);
		add_i64(r, "sats_visible", p.ref.sats_visible);
		json_object_object_add(r, "cn0_dbhz", json_object_new_double(p.ref.snr_cdbhz / 100.0));
		json_object_object_add(o, "reference", r);
	} else {
		json_object_object_add(o, "reference", NULL);
	}
	add_hex(o, "public_key", p.pub, sizeof p.pub);
	add_hex(o, "nonce", p.nonce, sizeof p.nonce);
	add_i64(o, "version", p.version);
	bft_proof_auth a;
	if (p.version == BFT_PROOF_VERSION_2 && bft_proof_auth_parse(&a, p.auth, p.auth_len) == 0) {
		/* One signature per batch (docs/pq.md): the scheme and the proof's place in it. */
		add_str(o, "signature", NULL);
		json_object *b = json_object_new_object();
		add_str(b, "scheme", bft_proof_scheme_name(a.scheme));
		add_str(b, "slhdsa", a.params ? a.params->name : NULL);
		add_i64(b, "size", a.batch_size);
		add_i64(b, "index", a.index);
		if (a.slh_pk)
			add_hex(b, "slhdsa_public_key", a.slh_pk, a.params->pk_len);
		if (a.p256_pk) /* public_key above is its key id (proto/p256.h) */
			add_hex(b, "p256_public_key", a.p256_pk, 65);
		json_object_object_add(o, "batch", b);
	} else {
		add_hex(o, "signature", p.sig, sizeof p.sig);
	}
	add_hex(o, "bytes", buf, len);
	return o;
}
