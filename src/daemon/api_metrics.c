/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics: the Prometheus text exposition (docs/api.md lists the
 * metrics).
 */
#include "daemon/api_int.h"
#include "daemon/chain.h"

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

/* The Makefile's VERSION (its rule for this file passes -DBFT_VERSION). */
#ifndef BFT_VERSION
#define BFT_VERSION "unknown"
#endif

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

/* A label value in the exposition's escapes (backslash, quote, newline):
 * names come from the configuration. */
static void label_value(char *out, size_t cap, const char *v)
{
	size_t k = 0;
	for (; v && *v && k + 3 < cap; v++) {
		char c = *v;
		if (c == '\\' || c == '"' || c == '\n') {
			out[k++] = '\\';
			c = c == '\n' ? 'n' : c;
		}
		out[k++] = c;
	}
	out[k] = 0;
}

/* A source's labels: type and id as before, and its name (a reference's
 * name, a peer's address) and kind (a reference's driver, or "peer"). */
static void source_labels(const bftd_api_env *env, const bft_source_info *s, char *lab, size_t cap)
{
	const char *name = "?", *kind = "peer";
	if (s->is_peer) {
		const bftd_peer *p = bftd_config_peer(env->cfg, s->id);
		if (p)
			name = p->addr.text;
	} else if (s->id < env->cfg->n_refs) {
		name = env->cfg->refs[s->id].name;
		kind = env->ref_kinds ? env->ref_kinds[s->id] : "?";
	}
	char en[160], ek[64];
	label_value(en, sizeof en, name);
	label_value(ek, sizeof ek, kind);
	snprintf(lab, cap, "{type=\"%s\",id=\"%u\",name=\"%s\",kind=\"%s\"}", s->is_peer ? "peer" : "reference", s->id,
	         en, ek);
}

/* Lines other modules write (evidence.h), appended as they are. */
static void metric_line(void *ctx, const char *line) { bput(ctx, "%s", line); }

void get_metrics(const bftd_api_env *env, bftd_http_response *resp)
{
	struct buf b = { .cap = 8192 };
	b.p = malloc(b.cap);
	if (!b.p) {
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	b.p[0] = 0;
	bftd_status local;
	const bftd_status *st = status_of(env, &local);
	struct now n = now_of(st);
	char lab[400];
	label_value(lab, sizeof lab, BFT_VERSION);
	bput(&b, "# HELP bftime_build_info the running build (always 1)\n# TYPE bftime_build_info gauge\n"
	         "bftime_build_info{version=\"%s\"} 1\n", lab);
	metric(&b, "bftime_synced", "gauge", "1 when the node knows an interval for true time", NULL, n.synced);
	metric(&b, "bftime_alarm", "gauge", "1 when the last fusion proved more than f sources faulty", NULL,
	       n.ok && n.e.alarm);
	metric(&b, "bftime_degraded", "gauge", "1 when synced from fewer than f+1 sources", NULL, n.ok && n.e.degraded);
	metric(&b, "bftime_holdover", "gauge", "1 in holdover (no fresh measurement, or in alarm: none followed)", NULL,
	       n.ok && bftd_holding_over(&n.e));
	if (n.ok)
		metric(&b, "bftime_frequency_ppb", "gauge", "fitted frequency correction of the raw oscillator, ppb", NULL,
		       (double)n.e.freq_ppb);
	if (st->disc_ok && st->disc.freq_unc_ppb != INT64_MAX)
		metric(&b, "bftime_frequency_skew_ppb", "gauge", "modelled uncertainty of the frequency, ppb", NULL,
		       (double)st->disc.freq_unc_ppb);
	if (n.synced) {
		metric(&b, "bftime_interval_width_seconds", "gauge", "width of [earliest, latest]", NULL,
		       (double)bft_iv_width(n.e.bounds) / 1e9);
		metric(&b, "bftime_system_offset_seconds", "gauge", "estimate of true time minus CLOCK_REALTIME", NULL,
		       (double)bft_sat_sub(n.e.estimate_ns, n.rt) / 1e9);
	}
	/* Internal synchronization (docs/internal-sync.md, section 9): the
	 * network clock's agreement and the precision this node states. */
	if (n.ok) {
		const bft_agree_info *ag = &st->agree;
		metric(&b, "bftime_network_agreed", "gauge",
		       "1 when the node claims agreement with its peers (the AGREED flag; a true-time clock does)", NULL,
		       n.synced ? !n.e.alarm : ag->agreed);
		if (ag->net_running && ag->precision_ns > 0) {
			bput(&b, "# HELP bftime_network_precision_bound_seconds stated bound on the network clock's "
			         "difference to any honest peer's\n# TYPE bftime_network_precision_bound_seconds gauge\n"
			         "bftime_network_precision_bound_seconds{kind=\"model\"} %.9f\n"
			         "bftime_network_precision_bound_seconds{kind=\"hard\"} %.9f\n",
			     (double)ag->precision_ns / 1e9, (double)ag->precision_hard_ns / 1e9);
		}
		metric(&b, "bftime_agreement_used", "gauge", "peers' clock readings used at the last agreement step", NULL,
		       ag->used);
		metric(&b, "bftime_agreement_trimmed", "gauge", "readings trimmed (f each side) at the last agreement step",
		       NULL, ag->trimmed);
		metric(&b, "bftime_agreement_violations_total", "counter",
		       "agreement steps whose retained range exceeded the stated bound", NULL, (double)st->agree_violations);
	}
	if (n.ok) {
		metric(&b, "bftime_sources", "gauge", "fresh sources at the last fusion", NULL, n.e.sources);
		metric(&b, "bftime_sources_used", "gauge", "sources consistent with the last fusion", NULL, n.e.used);
	}
	size_t ns = st->n_src;
	const bft_source_info *s = st->src;
	static const char *const sm[][2] = {
		{ "bftime_source_used", "1 when the source is consistent with the fused interval" },
		{ "bftime_source_fresh", "1 when the source has a reading within max_age" },
		{ "bftime_source_offset_seconds", "source midpoint minus this node's estimate" },
		{ "bftime_source_width_seconds", "width of the source's interval" },
		{ "bftime_source_quarantined", "1 when a reference is quarantined (jump, consensus or implausible)" },
		{ "bftime_source_reach", "the source's reach register (bit 0: it answered in the last poll)" },
		{ "bftime_source_last_rx_seconds", "time since the source last answered" },
		{ "bftime_source_bad_signature_total", "datagrams naming the peer that failed its key's signature check" },
		{ "bftime_source_agreement_used_total", "agreement steps that took the peer's clock reading" },
		{ "bftime_source_agreement_trimmed_total", "agreement steps that trimmed the peer's clock reading" },
	};
	int64_t our_off = bft_sat_sub(n.e.estimate_ns, n.raw), raw_now = bft_clock_raw_ns();
	for (int m = 0; m < 10; m++) {
		bool head = false;
		for (size_t i = 0; i < ns; i++) {
			if ((m == 2 || m == 3) && (!s[i].fresh || (m == 2 && !n.synced)))
				continue;
			if ((m == 4 && s[i].is_peer) || (m == 6 && s[i].last_rx_raw == INT64_MIN) || (m >= 7 && !s[i].is_peer))
				continue;
			source_labels(env, &s[i], lab, sizeof lab);
			double v = m == 0 ? s[i].used
			         : m == 1 ? s[i].fresh
			         : m == 2 ? (double)bft_sat_sub(bft_iv_mid(s[i].offset), our_off) / 1e9
			         : m == 3 ? (double)bft_iv_width(s[i].offset) / 1e9
			         : m == 4 ? s[i].quarantine != BFT_Q_NONE
			         : m == 5 ? s[i].reach
			         : m == 6 ? (double)bft_sat_sub(raw_now, s[i].last_rx_raw) / 1e9
			         : m == 7 ? (double)s[i].bad_sig
			         : m == 8 ? (double)s[i].agree_used
			                  : (double)s[i].agree_trimmed;
			metric(&b, sm[m][0], m >= 7 ? "counter" : "gauge", head ? NULL : sm[m][1], lab, v);
			head = true;
		}
	}
	/* Every counter the snapshot has, as status.h names it. */
	for (int i = 0; i < BFTD_C_COUNT; i++)
		if (st->groups & bftd_counter_defs[i].group)
			metric(&b, bftd_counter_defs[i].metric, bftd_counter_defs[i].gauge ? "gauge" : "counter",
			       bftd_counter_defs[i].help, NULL, (double)st->c[i]);
	bftd_status_free(&local);
	if (env->proofs) {
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
		bft_store *store = bftd_proofs_store(env->proofs);
		uint64_t count;
		if (bft_store_count(store, false, env->cfg->id, &count) == 0) {
			snprintf(lab, sizeof lab, "{node=\"%u\"}", env->cfg->id);
			metric(&b, "bftime_proofs_stored", "gauge", "proofs in the store per node", lab, (double)count);
		}
		for (size_t i = 0; i < env->cfg->n_peers; i++)
			if (bft_store_count(store, false, env->cfg->peers[i].id, &count) == 0) {
				snprintf(lab, sizeof lab, "{node=\"%u\"}", env->cfg->peers[i].id);
				metric(&b, "bftime_proofs_stored", "gauge", NULL, lab, (double)count);
			}
	}
	bftd_evidence_metrics(bftd_proofs_evidence(env->proofs), metric_line, &b); /* evidence.h */
	bftd_chain_metrics(env->node, metric_line, &b); /* engine nakamoto (chain.h) */
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
