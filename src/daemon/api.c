/* SPDX-License-Identifier: MIT */
/*
 * The API routes (api.h). Times go out twice: as integer ns since the epoch
 * (exact: a JSON double would round them to ~0.2 us) and as RFC 3339 strings
 * with nine decimals, for people. Every response is built with json-c, so
 * nothing a client sends can break the JSON we write.
 */
#include "daemon/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "core/civil.h"
#include "daemon/refclock.h"
#include "daemon/keys.h"
#include "sys/clock.h"

/* ---- time text ---------------------------------------------------------- */

static bool digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int bftd_rfc3339_parse(const char *s, size_t len, int64_t *out_ns)
{
	int64_t y, mo, d, h, mi, se, frac = 0;
	if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return BFT_EINVAL;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return BFT_EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return BFT_EINVAL;
	size_t i = 19;
	if (i < len && s[i] == '.') {
		size_t nd = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 9)
				return BFT_EINVAL; /* finer than a ns */
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return BFT_EINVAL;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	int64_t off_s = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int64_t oh, om;
		if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return BFT_EINVAL;
		off_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return BFT_EINVAL;
	}
	if (i != len || y < 1970 || y > 2262)
		return BFT_EINVAL;
	int64_t secs = bft_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off_s;
	/* 2262-04-11 is where int64 ns end. */
	if (secs < -86400 || secs > INT64_MAX / BFT_NS_PER_SEC - 1)
		return BFT_EINVAL;
	*out_ns = secs * BFT_NS_PER_SEC + frac;
	return 0;
}

char *bftd_rfc3339_format(char *out, size_t cap, int64_t ns)
{
	int64_t secs = ns / BFT_NS_PER_SEC, frac = ns % BFT_NS_PER_SEC;
	if (frac < 0) {
		frac += BFT_NS_PER_SEC;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y, m, d;
	bft_civil_from_days(days, &y, &m, &d);
	snprintf(out, cap, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
	                   ".%09" PRId64 "Z",
	         y, m, d, rem / 3600, rem / 60 % 60, rem % 60, frac);
	return out;
}

int bftd_time_arg_parse(const char *s, int64_t *out_ns)
{
	size_t l = strlen(s);
	if (l == 0)
		return BFT_EINVAL;
	if (bftd_rfc3339_parse(s, l, out_ns) == 0)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || (s[0] != '-' && s[0] != '+' && (s[0] < '0' || s[0] > '9')))
		return BFT_EINVAL;
	*out_ns = v;
	return 0;
}

/* ---- body parsers ------------------------------------------------------- */

static int perr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BFT_EINVAL;
}

static json_object *parse_json(const uint8_t *body, size_t len)
{
	if (len == 0 || len > BFTD_HTTP_MAX_BODY || memchr(body, 0, len))
		return NULL;
	json_tokener *tok = json_tokener_new_ex(8);
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	/* Anything but whitespace after the value is an error. */
	if (o && e == json_tokener_success) {
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (body[i] != ' ' && body[i] != '\n' && body[i] != '\r' && body[i] != '\t') {
				json_object_put(o);
				o = NULL;
				break;
			}
	} else {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* A proof as hex: its bytes into out, length into *len. */
static int proof_hex(json_object *v, uint8_t out[BFT_PROOF_MAX], size_t *len)
{
	if (!json_object_is_type(v, json_type_string))
		return BFT_EINVAL;
	const char *s = json_object_get_string(v);
	size_t l = (size_t)json_object_get_string_len(v);
	if (l % 2 || l / 2 > BFT_PROOF_MAX || l / 2 < BFT_PROOF_MIN)
		return BFT_EINVAL;
	if (bftd_unhex(out, s, l / 2) != l)
		return BFT_EINVAL;
	*len = l / 2;
	return 0;
}

int bftd_api_parse_proofs(const uint8_t *body, size_t len, const char *content_type,
                          uint8_t (*out)[BFT_PROOF_MAX], size_t *lens, size_t cap, size_t *n, char *err,
                          size_t errlen)
{
	*n = 0;
	if (content_type && !strncmp(content_type, "application/octet-stream", 24)) {
		if (len < BFT_PROOF_MIN || len > BFT_PROOF_MAX || cap < 1)
			return perr(err, errlen, "a raw proof is %d or %d bytes, got %zu", BFT_PROOF_MIN, BFT_PROOF_MAX, len);
		memcpy(out[0], body, len);
		lens[0] = len;
		*n = 1;
		return 0;
	}
	json_object *o = parse_json(body, len), *v;
	int rc = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		rc = perr(err, errlen, "expected a JSON object {\"proofs\": [hex, ...]} or {\"proof\": hex}");
	} else if (json_object_object_get_ex(o, "proof", &v)) {
		if (json_object_object_length(o) != 1)
			rc = perr(err, errlen, "unexpected keys beside \"proof\"");
		else if (cap < 1 || proof_hex(v, out[0], &lens[0]) != 0)
			rc = perr(err, errlen, "\"proof\": expected the proof's canonical bytes as hex (%d or %d bytes)",
			          BFT_PROOF_MIN, BFT_PROOF_MAX);
		else
			*n = 1;
	} else if (json_object_object_get_ex(o, "proofs", &v)) {
		if (json_object_object_length(o) != 1) {
			rc = perr(err, errlen, "unexpected keys beside \"proofs\"");
		} else if (!json_object_is_type(v, json_type_array)) {
			rc = perr(err, errlen, "\"proofs\": expected an array");
		} else if (json_object_array_length(v) == 0 || json_object_array_length(v) > cap) {
			rc = perr(err, errlen, "\"proofs\": 1 to %zu proofs per request", cap);
		} else {
			for (size_t i = 0; i < json_object_array_length(v); i++) {
				if (proof_hex(json_object_array_get_idx(v, i), out[i], &lens[i]) != 0) {
					rc = perr(err, errlen, "\"proofs\"[%zu]: expected canonical bytes as hex", i);
					*n = 0;
					break;
				}
				*n = i + 1;
			}
		}
	} else {
		rc = perr(err, errlen, "expected a key \"proofs\" or \"proof\"");
	}
	json_object_put(o);
	return rc;
}

int bftd_api_parse_validate(const uint8_t *body, size_t len, int64_t *ts_ns, int64_t *tol_ns, char *err,
                            size_t errlen)
{
	json_object *o = parse_json(body, len), *v;
	int rc = 0;
	*tol_ns = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		rc = perr(err, errlen, "expected a JSON object {\"timestamp\": ..., \"tolerance\": ...}");
		goto out;
	}
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (strcmp(key, "timestamp") && strcmp(key, "tolerance")) {
			rc = perr(err, errlen, "unknown key \"%.40s\"", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, "timestamp", &v)) {
		rc = perr(err, errlen, "\"timestamp\" is required (RFC 3339 or integer ns since the epoch)");
		goto out;
	}
	if (json_object_is_type(v, json_type_int)) {
		/* json-c saturates out-of-range integers: refuse the extremes. */
		*ts_ns = json_object_get_int64(v);
		if (*ts_ns == INT64_MAX || *ts_ns == INT64_MIN)
			rc = perr(err, errlen, "\"timestamp\": integer out of range");
	} else if (!json_object_is_type(v, json_type_string) ||
	           bftd_rfc3339_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v), ts_ns) != 0) {
		rc = perr(err, errlen, "\"timestamp\": expected RFC 3339 (2024-05-01T12:00:00.5Z) or integer ns");
	}
	if (rc)
		goto out;
	if (json_object_object_get_ex(o, "tolerance", &v)) {
		if (json_object_is_type(v, json_type_int)) {
			*tol_ns = json_object_get_int64(v);
		} else if (!json_object_is_type(v, json_type_string) ||
		           bftd_duration_parse(tol_ns, json_object_get_string(v)) != 0) {
			rc = perr(err, errlen, "\"tolerance\": expected a duration (\"1ms\") or integer ns");
		}
		if (!rc && (*tol_ns < 0 || *tol_ns > 86400 * BFT_NS_PER_SEC))
			rc = perr(err, errlen, "\"tolerance\": must be within 0 .. 1 day");
	}
out:
	json_object_put(o);
	return rc;
}

bool bftd_api_validate(int64_t ts_ns, int64_t tol_ns, bft_interval iv, int64_t *distance_ns)
{
	int64_t lo = bft_sat_sub(ts_ns, tol_ns), hi = bft_sat_add(ts_ns, tol_ns);
	if (hi < iv.lo_ns) {
		*distance_ns = bft_sat_sub(iv.lo_ns, hi);
		return false;
	}
	if (lo > iv.hi_ns) {
		*distance_ns = bft_sat_sub(lo, iv.hi_ns);
		return false;
	}
	*distance_ns = 0;
	return true;
}

/* ---- helpers ------------------------------------------------------------ */

static void add_i64(json_object *o, const char *k, int64_t v) { json_object_object_add(o, k, json_object_new_int64(v)); }
static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v));
}
static void add_bool(json_object *o, const char *k, bool v) { json_object_object_add(o, k, json_object_new_boolean(v)); }
static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}
static void add_time(json_object *o, const char *k, int64_t ns)
{
	char buf[48], key[64];
	snprintf(key, sizeof key, "%s_ns", k);
	add_i64(o, key, ns);
	add_str(o, k, bftd_rfc3339_format(buf, sizeof buf, ns));
}
static void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char buf[2 * BFT_PROOF_MAX + 1];
	bftd_hex(buf, b, n);
	add_str(o, k, buf);
}

static void json_reply(bftd_http_response *resp, unsigned status, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	resp->body = malloc(l + 2);
	if (!resp->body) {
		json_object_put(o);
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	memcpy(resp->body, s, l);
	resp->body[l] = '\n';
	resp->body[l + 1] = 0;
	resp->body_len = l + 1;
	resp->status = status;
	resp->content_type = "application/json";
	json_object_put(o);
}

struct now {
	int64_t raw, rt;
	bft_estimate e;
	bool ok, synced;
};

static struct now read_now(const bftd_api_env *env)
{
	struct now n = { 0 };
	n.raw = bft_clock_raw_ns();
	n.rt = bft_clock_realtime_ns();
	n.ok = bft_node_read(env->node, n.raw, &n.e) == 0;
	n.synced = n.ok && n.e.state != BFT_DISC_UNSYNCHRONIZED;
	return n;
}

static void add_estimate(json_object *o, const struct now *n)
{
	add_bool(o, "synced", n->synced);
	add_str(o, "state", n->ok ? bft_disc_state_name(n->e.state) : "unknown");
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
		if (clock) {
			add_time(net, "time", n->e.time_ns);
			add_i64(net, "time_ns", n->e.time_ns);
		}
		if (n->e.net_running) {
			add_i64(net, "precision_bound_ns", n->e.precision_ns);
			add_i64(net, "precision_bound_hard_ns", n->e.precision_hard_ns);
		}
		json_object_object_add(o, "network", net);
	}
}

static const char *why_not(const bft_source_info *s, const struct now *n, char *buf, size_t len)
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
	if (!s->fresh)
		return "no fresh reading (not heard from within max_age)";
	if (!n->synced)
		return "not synchronized yet";
	if (n->e.alarm)
		return "alarm: more than f sources disagree, none followed";
	return "its interval misses the fused interval (falseticker)";
}

static const bftd_peer *peer_by_id(const bftd_config *cfg, uint32_t id)
{
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].id == id)
			return &cfg->peers[i];
	return NULL;
}

static json_object *source_json(const bftd_api_env *env, const bft_source_info *s, const struct now *n)
{
	json_object *so = json_object_new_object();
	add_str(so, "type", s->is_peer ? "peer" : "reference");
	add_i64(so, "id", s->id);
	if (s->is_peer) {
		const bftd_peer *p = peer_by_id(env->cfg, s->id);
		add_str(so, "address", p ? p->addr.text : "?");
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
	return so;
}

/* Sources into a fresh array; *n_out their number. The caller frees. */
static bft_source_info *sources(const bftd_api_env *env, size_t *n_out)
{
	size_t cap = env->cfg->n_peers + env->cfg->n_refs + 1;
	bft_source_info *s = calloc(cap, sizeof *s);
	*n_out = s ? bft_node_sources(env->node, s, cap) : 0;
	if (*n_out > cap)
		*n_out = cap;
	return s;
}

static json_object *chain_head_json(const bftd_api_env *env)
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

/* ---- routes ------------------------------------------------------------- */

static void get_time(const bftd_api_env *env, bftd_http_response *resp)
{
	struct now n = read_now(env);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	add_estimate(o, &n);
	json_reply(resp, 200, o);
}

static json_object *counters_json(const bftd_api_env *env)
{
	json_object *c = json_object_new_object();
	const bft_node_counters *nc = bft_node_get_counters(env->node);
	if (env->ctr) {
		add_u64(c, "datagrams", env->ctr->datagrams);
		add_u64(c, "rate_limited", env->ctr->rate_limited);
		add_u64(c, "malformed", env->ctr->malformed + nc->rx_bad);
		add_u64(c, "send_errors", env->ctr->send_errors);
		add_u64(c, "estimates", env->ctr->estimates);
	}
	add_u64(c, "bad_signature", nc->rx_bad_sig);
	add_u64(c, "unknown_peer", nc->rx_unknown_peer);
	add_u64(c, "replayed", nc->rx_replay);
	add_u64(c, "not_for_us", nc->rx_not_for_us);
	add_u64(c, "sent", nc->tx);
	add_u64(c, "exchanges", nc->exchanges);
	add_u64(c, "readings_rejected", nc->readings_rejected);
	add_u64(c, "alarms", nc->alarms);
	add_u64(c, "fusions", nc->fusions);
	if (env->http) {
		add_u64(c, "http_requests", env->http->requests);
		add_u64(c, "http_4xx", env->http->status_4xx);
		add_u64(c, "http_5xx", env->http->status_5xx);
		add_u64(c, "http_too_large", env->http->too_large);
		add_u64(c, "http_connections", env->http->connections);
		add_u64(c, "http_connections_max", env->http->connections_max);
		add_u64(c, "http_closed_deadline", env->http->closed_deadline);
		add_u64(c, "http_closed_pressure", env->http->closed_pressure);
		add_u64(c, "http_rate_limited", env->http->rate_limited);
	}
	if (env->proofs) {
		const bftd_proofs_stats *ps = bftd_proofs_get_stats(env->proofs);
		add_u64(c, "proofs_issued", ps->issued);
		add_u64(c, "proofs_issue_failed", ps->issue_failed);
		add_u64(c, "proofs_submitted", ps->submitted);
		add_u64(c, "proofs_accepted", ps->accepted);
		const bft_store_stats *ss = bft_store_get_stats(bftd_proofs_store(env->proofs));
		json_object *r = json_object_new_object();
		for (int i = 0; i < BFT_STORE_RESULTS; i++)
			add_u64(r, bft_store_result_name((enum bft_store_result)i), ss->by_result[i]);
		json_object_object_add(c, "store_results", r);
	}
	if (env->gossip) {
		const bftd_gossip_stats *gs = bftd_gossip_get_stats(env->gossip);
		add_u64(c, "gossip_posts", gs->posts);
		add_u64(c, "gossip_ok", gs->ok);
		add_u64(c, "gossip_failed", gs->failed);
		add_u64(c, "gossip_proofs_sent", gs->proofs_sent);
	}
	return c;
}

static void get_status(const bftd_api_env *env, bftd_http_response *resp)
{
	struct now n = read_now(env);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	if (env->self_pub)
		add_hex(o, "public_key", env->self_pub, 32);
	add_str(o, "listen", env->cfg->listen.text);
	add_estimate(o, &n);
	add_i64(o, "f", (int64_t)env->cfg->node.f);
	add_str(o, "engine", env->cfg->node.engine == BFT_ENGINE_MEDIAN ? "median" : "fusion");
	add_i64(o, "uptime_ns", bft_clock_mono_ns() - env->start_mono);
	if (env->cfg->byz.strategy != BFT_ADV_NONE)
		add_str(o, "byzantine", bft_adv_name(env->cfg->byz.strategy));
	size_t ns;
	bft_source_info *s = sources(env, &ns);
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < ns; i++)
		json_object_array_add(arr, source_json(env, &s[i], &n));
	free(s);
	json_object_object_add(o, "sources_detail", arr);
	json_object_object_add(o, "counters", counters_json(env));
	bft_agree_info ai;
	bft_node_agree_info(env->node, &ai);
	json_object *ag = json_object_new_object();
	add_bool(ag, "running", ai.net_running);
	add_bool(ag, "agreed", ai.agreed);
	add_u64(ag, "round", ai.round);
	add_i64(ag, "used", ai.used);
	add_i64(ag, "trimmed", ai.trimmed);
	add_i64(ag, "reading_err_ns", ai.reading_err_ns);
	add_i64(ag, "range_ns", ai.range_ns);
	add_i64(ag, "last_offset_ns", ai.offset_ns);
	add_i64(ag, "precision_bound_ns", ai.precision_ns);
	add_i64(ag, "precision_bound_hard_ns", ai.precision_hard_ns);
	const bft_node_counters *agc = bft_node_get_counters(env->node);
	add_u64(ag, "short", agc->agree_short);
	add_u64(ag, "violations", agc->agree_violations);
	add_u64(ag, "steps", agc->agree_steps);
	json_object_object_add(o, "agreement", ag);
	json_object *proofs = json_object_new_object();
	add_bool(proofs, "enabled", env->proofs != NULL);
	if (env->proofs) {
		add_i64(proofs, "interval_ns", env->cfg->proof_interval_ns);
		add_str(proofs, "store", env->cfg->store_path);
		uint64_t count = 0;
		if (bft_store_count(bftd_proofs_store(env->proofs), true, 0, &count) == 0)
			add_u64(proofs, "stored", count);
		/* The store's health (proofs_svc.h): a failing store is an alarm
		 * an operator must see here, not only in the log. */
		bftd_proofs_health h;
		bftd_proofs_get_health(env->proofs, &h);
		add_bool(proofs, "store_ok", !h.failing);
		if (h.failing) {
			add_str(proofs, "store_error", h.error ? h.error : "");
			add_i64(proofs, "failing_for_ns", bft_clock_mono_ns() - h.failing_since_mono);
		}
		add_u64(proofs, "store_failures", h.failures);
		add_u64(proofs, "damaged_reads", h.damaged);
		add_u64(proofs, "store_reopens", h.reopened);
		add_bool(proofs, "head_record_ok", !h.head_record_failing);
	}
	json_object_object_add(proofs, "head", chain_head_json(env));
	json_object_object_add(o, "proofs", proofs);
	json_reply(resp, 200, o);
}

static void get_peers(const bftd_api_env *env, bftd_http_response *resp)
{
	struct now n = read_now(env);
	size_t ns;
	bft_source_info *s = sources(env, &ns);
	bftd_gossip_target_info gt[BFTD_MAX_PEERS + 1];
	size_t ngt = env->gossip ? bftd_gossip_targets(env->gossip, gt, BFTD_MAX_PEERS + 1) : 0;
	if (ngt > BFTD_MAX_PEERS + 1)
		ngt = BFTD_MAX_PEERS + 1;
	json_object *arr = json_object_new_array();
	int64_t mono = bft_clock_mono_ns();
	for (size_t i = 0; i < env->cfg->n_peers; i++) {
		const bftd_peer *p = &env->cfg->peers[i];
		json_object *po = NULL;
		for (size_t k = 0; k < ns && !po; k++)
			if (s[k].is_peer && s[k].id == p->id)
				po = source_json(env, &s[k], &n);
		if (!po) {
			po = json_object_new_object();
			add_str(po, "type", "peer");
			add_i64(po, "id", p->id);
			add_str(po, "address", p->addr.text);
		}
		add_hex(po, "public_key", p->pubkey, 32);
		add_str(po, "api", p->have_api ? p->api.text : NULL);
		for (size_t k = 0; k < ngt; k++) {
			if (!gt[k].is_peer || gt[k].peer_id != p->id)
				continue;
			json_object *g = json_object_new_object();
			add_u64(g, "next_seq", gt[k].next_seq);
			add_u64(g, "posts", gt[k].posts);
			add_u64(g, "ok", gt[k].ok);
			add_u64(g, "failed", gt[k].failed);
			add_u64(g, "proofs_sent", gt[k].proofs_sent);
			if (gt[k].last_ok_mono)
				add_i64(g, "last_ok_age_ns", mono - gt[k].last_ok_mono);
			add_str(g, "last_error", gt[k].last_error);
			json_object_object_add(po, "gossip", g);
		}
		if (env->proofs) {
			bft_store *st = bftd_proofs_store(env->proofs);
			uint64_t count = 0;
			bft_proof last;
			json_object *pr = json_object_new_object();
			if (bft_store_count(st, false, p->id, &count) == 0)
				add_u64(pr, "stored", count);
			if (bft_store_last(st, p->id, &last) == 0) {
				add_u64(pr, "last_seq", last.seq);
				add_time(pr, "last_time", last.time_ns);
			}
			json_object_object_add(po, "proofs", pr);
		}
		json_object_array_add(arr, po);
	}
	free(s);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	json_object_object_add(o, "peers", arr);
	json_reply(resp, 200, o);
}

static const char *ref_kind_name(uint8_t k)
{
	return k == BFT_REF_GPS ? "gps" : k == BFT_REF_SIM_GPS ? "simulated-gps" : "none";
}

static json_object *proof_json(const uint8_t *buf, size_t len)
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
	add_hex(o, "signature", p.sig, sizeof p.sig);
	add_hex(o, "bytes", buf, len);
	return o;
}

static int visit_proof(void *ctx, const uint8_t *buf, size_t len)
{
	json_object *pj = proof_json(buf, len);
	if (pj)
		json_object_array_add(ctx, pj);
	return 0;
}

static bool parse_u64_arg(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

int bftd_api_parse_query(const bftd_http_request *req, bft_store_query *q, char *err, size_t errlen)
{
	*q = (bft_store_query){ .all_nodes = true, .since_ns = INT64_MIN, .limit = BFTD_API_DEFAULT_LIMIT };
	const char *a;
	uint64_t v;
	if ((a = bftd_http_arg(req, "node"))) {
		if (!parse_u64_arg(a, UINT32_MAX, &v))
			return perr(err, errlen, "node: expected a node id");
		q->all_nodes = false;
		q->node_id = (uint32_t)v;
	}
	if ((a = bftd_http_arg(req, "since")) && bftd_time_arg_parse(a, &q->since_ns) != 0)
		return perr(err, errlen, "since: expected RFC 3339 or integer ns since the epoch");
	if ((a = bftd_http_arg(req, "limit"))) {
		if (!parse_u64_arg(a, BFTD_API_MAX_LIMIT, &v) || v == 0)
			return perr(err, errlen, "limit: expected 1 .. %d", BFTD_API_MAX_LIMIT);
		q->limit = (size_t)v;
	}
	if ((a = bftd_http_arg(req, "order"))) {
		if (!strcmp(a, "newest"))
			q->newest_first = true;
		else if (strcmp(a, "oldest") != 0)
			return perr(err, errlen, "order: oldest or newest");
	}
	return 0;
}

static void get_proofs(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp)
{
	if (!env->proofs) {
		bftd_http_error(resp, 503, "no_store", "this node has no proof store configured");
		return;
	}
	bft_store_query q;
	char err[120];
	if (bftd_api_parse_query(req, &q, err, sizeof err) != 0) {
		bftd_http_error(resp, 400, "bad_argument", err);
		return;
	}
	json_object *arr = json_object_new_array();
	int rc = bft_store_recent(bftd_proofs_store(env->proofs), &q, visit_proof, arr);
	if (rc < 0) {
		json_object_put(arr);
		bftd_http_error(resp, 503, "store_error", "the proof store failed");
		return;
	}
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	add_i64(o, "count", (int64_t)json_object_array_length(arr));
	json_object_object_add(o, "proofs", arr);
	json_reply(resp, 200, o);
}

static unsigned result_status(enum bft_store_result r)
{
	switch (r) {
	case BFT_STORE_NEW:
	case BFT_STORE_GAP:
	case BFT_STORE_DUP: return 200;
	case BFT_STORE_BAD_ENCODING: return 400;
	case BFT_STORE_FORK: return 409;
	case BFT_STORE_IO: return 503;
	default: return 422; /* bad signature, key or chain */
	}
}

static void post_proofs(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp)
{
	if (!env->proofs) {
		bftd_http_error(resp, 503, "no_store", "this node has no proof store configured");
		return;
	}
	static uint8_t bufs[BFTD_API_MAX_PROOFS][BFT_PROOF_MAX]; /* single-threaded loop */
	size_t lens[BFTD_API_MAX_PROOFS], n;
	char err[200];
	if (bftd_api_parse_proofs(req->body, req->body_len, req->content_type, bufs, lens, BFTD_API_MAX_PROOFS, &n, err,
	                          sizeof err) != 0) {
		bftd_http_error(resp, 400, "bad_request", err);
		return;
	}
	json_object *arr = json_object_new_array();
	unsigned status = 200;
	uint64_t accepted = 0, rejected = 0;
	for (size_t i = 0; i < n; i++) {
		enum bft_store_result r = BFT_STORE_BAD_ENCODING;
		(void)bftd_proofs_submit(env->proofs, bufs[i], lens[i], &r);
		json_object *ro = json_object_new_object();
		bft_proof p;
		if (bft_proof_decode(&p, bufs[i], lens[i]) == 0) {
			add_i64(ro, "node", p.node_id);
			add_u64(ro, "seq", p.seq);
		}
		add_str(ro, "result", bft_store_result_name(r));
		json_object_array_add(arr, ro);
		unsigned s = result_status(r);
		if (s == 200) {
			accepted++;
			if ((r == BFT_STORE_NEW || r == BFT_STORE_GAP) && env->on_stored)
				env->on_stored(env->on_stored_ctx, bufs[i], lens[i]);
		} else {
			rejected++;
			if (status == 200)
				status = s; /* the first rejection's status */
		}
	}
	json_object *o = json_object_new_object();
	add_u64(o, "accepted", accepted);
	add_u64(o, "rejected", rejected);
	json_object_object_add(o, "results", arr);
	if (status != 200)
		add_str(o, "error", "rejected");
	json_reply(resp, status, o);
}

static void post_validate(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp)
{
	int64_t ts, tol;
	char err[200];
	if (bftd_api_parse_validate(req->body, req->body_len, &ts, &tol, err, sizeof err) != 0) {
		bftd_http_error(resp, 400, "bad_request", err);
		return;
	}
	struct now n = read_now(env);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	add_time(o, "timestamp", ts);
	add_i64(o, "tolerance_ns", tol);
	if (!n.synced) {
		add_str(o, "result", "unknown");
		add_str(o, "reason", "this node is not synchronized: it knows no interval for true time");
	} else {
		int64_t dist;
		bool yes = bftd_api_validate(ts, tol, n.e.bounds, &dist);
		add_str(o, "result", yes ? "yes" : "no");
		add_i64(o, "distance_ns", dist);
		add_str(o, "reason", yes ? "the timestamp, within the tolerance, meets the node's interval for true time"
		                         : "the timestamp, even with the tolerance, lies outside the node's interval");
	}
	add_estimate(o, &n);
	json_reply(resp, 200, o);
}

/* ---- metrics ------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void bput(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bput(struct buf *b, const char *fmt, ...)
{
	for (int tries = 0; tries < 2 && !b->oom; tries++) {
		va_list ap;
		va_start(ap, fmt);
		int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)k < b->cap - b->len) {
			b->len += (size_t)k;
			return;
		}
		size_t cap = b->cap * 2 + (size_t)k + 1;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void metric(struct buf *b, const char *name, const char *type, const char *help, const char *labels,
                   double v)
{
	if (help)
		bput(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	/* Integers (counters, seqs) exactly; measurements to 10 digits. */
	if (v < 9007199254740992.0 && v > -9007199254740992.0 && v == (double)(int64_t)v)
		bput(b, "%s%s %" PRId64 "\n", name, labels ? labels : "", (int64_t)v);
	else
		bput(b, "%s%s %.10g\n", name, labels ? labels : "", v);
}

static void get_metrics(const bftd_api_env *env, bftd_http_response *resp)
{
	struct buf b = { .cap = 8192 };
	b.p = malloc(b.cap);
	if (!b.p) {
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	b.p[0] = 0;
	struct now n = read_now(env);
	char lab[96];
	metric(&b, "bftime_synced", "gauge", "1 when the node knows an interval for true time", NULL, n.synced);
	metric(&b, "bftime_alarm", "gauge", "1 when the last fusion proved more than f sources faulty", NULL,
	       n.ok && n.e.alarm);
	metric(&b, "bftime_degraded", "gauge", "1 when synced from fewer than f+1 sources", NULL, n.ok && n.e.degraded);
	metric(&b, "bftime_holdover", "gauge", "1 in holdover (no fresh measurement)", NULL,
	       n.ok && n.e.state == BFT_DISC_HOLDOVER);
	if (n.synced) {
		metric(&b, "bftime_interval_width_seconds", "gauge", "width of [earliest, latest]", NULL,
		       (double)bft_iv_width(n.e.bounds) / 1e9);
		metric(&b, "bftime_system_offset_seconds", "gauge", "estimate of true time minus CLOCK_REALTIME", NULL,
		       (double)bft_sat_sub(n.e.estimate_ns, n.rt) / 1e9);
	}
	if (n.ok) {
		metric(&b, "bftime_sources", "gauge", "fresh sources at the last fusion", NULL, n.e.sources);
		metric(&b, "bftime_sources_used", "gauge", "sources consistent with the last fusion", NULL, n.e.used);
	}
	size_t ns;
	bft_source_info *s = sources(env, &ns);
	static const char *const sm[][2] = {
		{ "bftime_source_used", "1 when the source is consistent with the fused interval" },
		{ "bftime_source_fresh", "1 when the source has a reading within max_age" },
		{ "bftime_source_offset_seconds", "source midpoint minus this node's estimate" },
		{ "bftime_source_width_seconds", "width of the source's interval" },
		{ "bftime_source_quarantined", "1 when a reference is quarantined (jump, consensus or implausible)" },
	};
	int64_t our_off = bft_sat_sub(n.e.estimate_ns, n.raw);
	for (int m = 0; m < 5; m++) {
		bool head = false;
		for (size_t i = 0; i < ns; i++) {
			if ((m == 2 || m == 3) && (!s[i].fresh || (m == 2 && !n.synced)))
				continue;
			if (m == 4 && s[i].is_peer)
				continue;
			snprintf(lab, sizeof lab, "{type=\"%s\",id=\"%u\"}", s[i].is_peer ? "peer" : "reference", s[i].id);
			double v = m == 0 ? s[i].used
			         : m == 1 ? s[i].fresh
			         : m == 2 ? (double)bft_sat_sub(bft_iv_mid(s[i].offset), our_off) / 1e9
			         : m == 3 ? (double)bft_iv_width(s[i].offset) / 1e9
			                  : s[i].quarantine != BFT_Q_NONE;
			metric(&b, sm[m][0], "gauge", head ? NULL : sm[m][1], lab, v);
			head = true;
		}
	}
	free(s);
	const bft_node_counters *nc = bft_node_get_counters(env->node);
	const struct {
		const char *name, *help;
		uint64_t v;
	} ctrs[] = {
		{ "bftime_datagrams_total", "datagrams received", env->ctr ? env->ctr->datagrams : 0 },
		{ "bftime_rate_limited_total", "datagrams dropped by the rate limit", env->ctr ? env->ctr->rate_limited : 0 },
		{ "bftime_malformed_total", "malformed datagrams", (env->ctr ? env->ctr->malformed : 0) + nc->rx_bad },
		{ "bftime_bad_signature_total", "datagrams with a bad signature", nc->rx_bad_sig },
		{ "bftime_unknown_peer_total", "datagrams from unknown peers", nc->rx_unknown_peer },
		{ "bftime_replayed_total", "replayed datagrams", nc->rx_replay },
		{ "bftime_sent_total", "datagrams sent", nc->tx },
		{ "bftime_exchanges_total", "completed exchanges", nc->exchanges },
		{ "bftime_readings_rejected_total", "readings rejected", nc->readings_rejected },
		{ "bftime_alarms_total", "alarms raised", nc->alarms },
		{ "bftime_reference_quarantines_total", "references quarantined (anti-spoofing)", nc->ref_quarantines },
		{ "bftime_reference_readmissions_total", "quarantined references readmitted", nc->ref_readmissions },
		{ "bftime_fusions_total", "fusions", nc->fusions },
		{ "bftime_http_requests_total", "API requests answered", env->http ? env->http->requests : 0 },
		{ "bftime_http_bad_requests_total", "API requests answered 4xx", env->http ? env->http->status_4xx : 0 },
		{ "bftime_http_errors_total", "API requests answered 5xx", env->http ? env->http->status_5xx : 0 },
		{ "bftime_http_connections_total", "API connections accepted", env->http ? env->http->connections_total : 0 },
		{ "bftime_http_closed_deadline_total", "API connections closed for missing a header or request deadline",
		  env->http ? env->http->closed_deadline : 0 },
		{ "bftime_http_closed_pressure_total", "API connections closed to keep the reserve free",
		  env->http ? env->http->closed_pressure : 0 },
		{ "bftime_http_rate_limited_total", "API requests answered 429 (per-address rate limit)",
		  env->http ? env->http->rate_limited : 0 },
	};
	for (size_t i = 0; i < sizeof ctrs / sizeof ctrs[0]; i++)
		metric(&b, ctrs[i].name, "counter", ctrs[i].help, NULL, (double)ctrs[i].v);
	if (env->http) {
		metric(&b, "bftime_http_connections", "gauge", "API connections open", NULL, (double)env->http->connections);
		metric(&b, "bftime_http_connections_max", "gauge", "the most API connections open at once", NULL,
		       (double)env->http->connections_max);
		metric(&b, "bftime_http_connection_limit", "gauge", "the API's connection cap in force", NULL,
		       (double)env->http->conn_limit);
	}
	if (env->proofs) {
		const bftd_proofs_stats *ps = bftd_proofs_get_stats(env->proofs);
		metric(&b, "bftime_proofs_issued_total", "counter", "own proofs stored and acknowledged", NULL,
		       (double)ps->issued);
		metric(&b, "bftime_proofs_issue_failed_total", "counter", "own proofs not issued", NULL,
		       (double)ps->issue_failed);
		uint64_t seq;
		if (bftd_proofs_head(env->proofs, &seq, NULL, NULL))
			metric(&b, "bftime_proof_chain_head_seq", "gauge", "seq of the last own proof", NULL, (double)seq);
		bftd_proofs_health h;
		bftd_proofs_get_health(env->proofs, &h);
		metric(&b, "bftime_proof_store_failing", "gauge", "1 while the proof store's writes fail (an alarm)", NULL,
		       h.failing ? 1 : 0);
		metric(&b, "bftime_proof_store_reopens_total", "counter", "times a failing store was reopened and checked",
		       NULL, (double)h.reopened);
		metric(&b, "bftime_proof_store_damaged_reads_total", "counter",
		       "stored proofs found damaged when read (never served)", NULL, (double)h.damaged);
		const bft_store_stats *ss = bft_store_get_stats(bftd_proofs_store(env->proofs));
		for (int i = 0; i < BFT_STORE_RESULTS; i++) {
			snprintf(lab, sizeof lab, "{result=\"%s\"}", bft_store_result_name((enum bft_store_result)i));
			metric(&b, "bftime_proof_store_results_total", "counter",
			       i ? NULL : "proof insertions by result", lab, (double)ss->by_result[i]);
		}
		bft_store *st = bftd_proofs_store(env->proofs);
		uint64_t count;
		if (bft_store_count(st, false, env->cfg->id, &count) == 0) {
			snprintf(lab, sizeof lab, "{node=\"%u\"}", env->cfg->id);
			metric(&b, "bftime_proofs_stored", "gauge", "proofs in the store per node", lab, (double)count);
		}
		for (size_t i = 0; i < env->cfg->n_peers; i++)
			if (bft_store_count(st, false, env->cfg->peers[i].id, &count) == 0) {
				snprintf(lab, sizeof lab, "{node=\"%u\"}", env->cfg->peers[i].id);
				metric(&b, "bftime_proofs_stored", "gauge", NULL, lab, (double)count);
			}
	}
	if (env->gossip) {
		const bftd_gossip_stats *gs = bftd_gossip_get_stats(env->gossip);
		metric(&b, "bftime_gossip_posts_total", "counter", "proof POSTs to peers and the DA endpoint", NULL,
		       (double)gs->posts);
		metric(&b, "bftime_gossip_failed_total", "counter", "failed proof POSTs", NULL, (double)gs->failed);
		metric(&b, "bftime_gossip_proofs_sent_total", "counter", "proofs delivered (2xx)", NULL,
		       (double)gs->proofs_sent);
	}
	if (b.oom) {
		free(b.p);
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = b.p;
	resp->body_len = b.len;
}

/* ---- router ------------------------------------------------------------- */

void bftd_api_handle(void *ctx, const bftd_http_request *req, bftd_http_response *resp)
{
	const bftd_api_env *env = ctx;
	static const struct {
		const char *path;
		bool post;
	} routes[] = {
		{ "/v1/time", false }, { "/v1/status", false }, { "/v1/peers", false }, { "/v1/proofs", false },
		{ "/v1/proofs", true }, { "/v1/validate", true }, { "/metrics", false },
	};
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	bool post = !strcmp(req->method, "POST");
	bool path_known = false;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strcmp(req->path, routes[i].path) != 0)
			continue;
		path_known = true;
		if (routes[i].post ? !post : !get)
			continue;
		switch (i) {
		case 0: get_time(env, resp); return;
		case 1: get_status(env, resp); return;
		case 2: get_peers(env, resp); return;
		case 3: get_proofs(env, req, resp); return;
		case 4: post_proofs(env, req, resp); return;
		case 5: post_validate(env, req, resp); return;
		default: get_metrics(env, resp); return;
		}
	}
	if (path_known)
		bftd_http_error(resp, 405, "method_not_allowed", "this method is not allowed on this path");
	else
		bftd_http_error(resp, 404, "not_found",
		                "no such endpoint: /v1/time, /v1/status, /v1/peers, /v1/proofs, /v1/validate, /metrics");
}
