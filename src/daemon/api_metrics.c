/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics: the Prometheus text exposition (docs/api.md lists the
 * metrics).
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

#include "refclock/refclock.h"
#include "sys/clock.h"

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

void get_metrics(const bftd_api_env *env, bftd_http_response *resp)
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
