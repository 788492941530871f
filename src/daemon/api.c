/* SPDX-License-Identifier: MIT */
/*
 * The API routes (api.h). Times go out twice: as integer ns since the epoch
 * (exact: a JSON double would round them to ~0.2 us) and as RFC 3339 strings
 * with nine decimals, for people. Every response is built with json-c, so
 * nothing a client sends can break the JSON we write.
 */
#include "daemon/api.h"
#include "daemon/chain.h"
#include "daemon/api_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "core/civil.h"
#include "proto/fragment.h"
#include "refclock/refclock.h"
#include "daemon/keys.h"
#include "daemon/testkit.h"
#include "sys/clock.h"
#include "util/value.h"

/* ---- routes ------------------------------------------------------------- */

static void get_time(const bftd_api_env *env, bftd_http_response *resp)
{
	struct now n = read_now(env);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	add_estimate(o, &n);
	json_reply(resp, 200, o);
}

static void get_status(const bftd_api_env *env, bftd_http_response *resp)
{
	bftd_status local;
	const bftd_status *st = status_of(env, &local);
	struct now n = now_of(st);
	json_object *o = json_object_new_object();
	add_i64(o, "node", env->cfg->id);
	if (env->self_pub)
		add_hex(o, "public_key", env->self_pub, 32);
	add_str(o, "listen", env->cfg->listen.text);
	add_estimate(o, &n);
	add_i64(o, "f", (int64_t)env->cfg->node.f);
	add_str(o, "engine", env->cfg->node.engine == BFT_ENGINE_MEDIAN     ? "median"
	                     : env->cfg->node.engine == BFT_ENGINE_NAKAMOTO ? "nakamoto"
	                                                                    : "fusion");
	add_i64(o, "uptime_ns", bft_clock_mono_ns() - env->start_mono);
	if (env->cfg->byz)
		add_str(o, "byzantine", bftd_liar_name(env->cfg->byz));
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < st->n_src; i++)
		json_object_array_add(arr, source_json(env, &st->src[i], &n));
	json_object_object_add(o, "sources_detail", arr);
	json_object_object_add(o, "counters", counters_json(env, st));
	const bft_agree_info ai = st->agree;
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
	add_bool(ag, "wide", ai.wide);
	add_bool(ag, "outside", ai.outside);
	add_u64(ag, "short", st->agree_short);
	add_u64(ag, "violations", st->agree_violations);
	add_u64(ag, "steps", st->agree_steps);
	json_object_object_add(o, "agreement", ag);
	json_object_object_add(o, "tracking", tracking_json(st));
	bftd_status_free(&local);
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
		bftd_proofs_catchup_json(env->proofs, proofs); /* the catch-up quorum (proofs_svc.h) */
	}
	json_object_object_add(proofs, "head", chain_head_json(env));
	json_object_object_add(o, "proofs", proofs);
	json_object *chain = bftd_chain_json(env->node, env->chain); /* engine nakamoto only */
	if (chain)
		json_object_object_add(o, "chain", chain);
	bftd_evidence_status_json(bftd_proofs_evidence(env->proofs), o); /* equivocation evidence (evidence.h) */
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
			bftd_evidence_peer_json(bftd_proofs_evidence(env->proofs), p->id, po);
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
			add_u64(g, "gap_loops", gt[k].gap_loops);
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

static int visit_proof(void *ctx, const uint8_t *buf, size_t len)
{
	json_object *pj = proof_json(buf, len);
	if (pj)
		json_object_array_add(ctx, pj);
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
	if (status != 200) { /* the API's error shape too (docs/api.md), beside the results */
		char msg[96];
		snprintf(msg, sizeof msg, "%" PRIu64 " of %zu proofs rejected; each one's result is in results", rejected, n);
		add_str(o, "error", "rejected");
		add_str(o, "message", msg);
		add_i64(o, "status", status);
	}
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
	/* "now": this host's system clock as the node was read, so that no
	 * request latency enters the comparison (a caller's own reading of
	 * "now" is older by the request's way here: under load, more than a
	 * tight tolerance, and a healthy clock was judged "no"). */
	if (ts == BFTD_VALIDATE_NOW)
		ts = n.rt;
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

/* POST /v1/solar: the bytes go to the solar references as they are; the
 * driver verifies them when it services its queue (solar.h). */
static void post_solar(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp)
{
	if (!env->on_solar) {
		bftd_http_error(resp, 404, "not_found", "this node has no solar reference");
		return;
	}
	if (req->body_len == 0) {
		bftd_http_error(resp, 400, "bad_request", "the body must be one solar fragment's bytes");
		return;
	}
	int rc = env->on_solar(env->on_solar_ctx, (const uint8_t *)req->body, req->body_len);
	if (rc == BFT_ERANGE) { /* counted by the driver (fragments_too_large) */
		char why[96];
		snprintf(why, sizeof why, "a solar fragment is at most %d bytes, this body has %zu", (int)BFT_FRAG_MAX_BYTES,
		         req->body_len);
		bftd_http_error(resp, 413, "too_large", why);
		return;
	}
	if (rc != 0) {
		bftd_http_error(resp, 503, "busy", "the fragment was not queued: the queue is full");
		return;
	}
	json_object *o = json_object_new_object();
	add_str(o, "result", "queued");
	json_reply(resp, 202, o);
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
		{ "/v1/evidence", false }, { "/v1/evidence", true }, { "/v1/solar", true },
		{ "/", false }, { "/dashboard", false }, { "/v1/history", false }, { "/v1/chain", false },
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
		case 7: /* fall through: evidence.c answers both */
		case 8: {
			bft_store *st = env->proofs ? bftd_proofs_store(env->proofs) : NULL;
			if (i == 7)
				bftd_evidence_api_get(bftd_proofs_evidence(env->proofs), st, resp);
			else
				bftd_evidence_api_post(bftd_proofs_evidence(env->proofs), st, req, resp);
			return;
		}
		case 9: post_solar(env, req, resp); return;
		case 10: /* fall through: the dashboard (dashboard.c) */
		case 11: bftd_dashboard_page(resp); return;
		case 12: bftd_dashboard_history(env, req, resp); return;
		case 13: { /* the Nakamoto engine's chain (chain.h) */
			json_object *ch = bftd_chain_json(env->node, env->chain);
			if (ch)
				json_reply(resp, 200, ch);
			else
				bftd_http_error(resp, 404, "no_chain", "this node does not run the nakamoto engine");
			return;
		}
		case 6: get_metrics(env, resp); return;
		default: return;
		}
	}
	if (path_known)
		bftd_http_error(resp, 405, "method_not_allowed", "this method is not allowed on this path");
	else
		bftd_http_error(resp, 404, "not_found",
		                "no such endpoint: /v1/time, /v1/status, /v1/peers, /v1/proofs, /v1/validate, /v1/evidence, /v1/solar, /v1/chain, /v1/history, "
		                "/metrics, /dashboard");
}
