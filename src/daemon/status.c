/* SPDX-License-Identifier: MIT */
/* The status snapshot and the counters' one table (status.h). */
#include "daemon/status.h"

#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/gossip.h"
#include "daemon/http.h"
#include "daemon/loop.h"
#include "daemon/proofs_svc.h"

const bftd_counter_def bftd_counter_defs[BFTD_C_COUNT] = {
	[BFTD_C_DATAGRAMS] = { "datagrams", "bftime_datagrams_total", "datagrams received", BFTD_CG_NODE, false },
	[BFTD_C_RATE_LIMITED] = { "rate_limited", "bftime_rate_limited_total", "datagrams dropped by the rate limit", BFTD_CG_NODE, false },
	[BFTD_C_MALFORMED] = { "malformed", "bftime_malformed_total", "malformed datagrams", BFTD_CG_NODE, false },
	[BFTD_C_BAD_SIGNATURE] = { "bad_signature", "bftime_bad_signature_total", "datagrams with a bad signature", BFTD_CG_NODE, false },
	[BFTD_C_UNKNOWN_PEER] = { "unknown_peer", "bftime_unknown_peer_total", "datagrams from unknown peers", BFTD_CG_NODE, false },
	[BFTD_C_REPLAYED] = { "replayed", "bftime_replayed_total", "replayed datagrams", BFTD_CG_NODE, false },
	[BFTD_C_NOT_FOR_US] = { "not_for_us", "bftime_misaddressed_total", "datagrams addressed to another node (promtool reads _us_ as a unit)", BFTD_CG_NODE, false },
	[BFTD_C_SENT] = { "sent", "bftime_sent_total", "datagrams sent", BFTD_CG_NODE, false },
	[BFTD_C_SEND_ERRORS] = { "send_errors", "bftime_send_errors_total", "datagrams the kernel refused to send", BFTD_CG_NODE, false },
	[BFTD_C_EXCHANGES] = { "exchanges", "bftime_exchanges_total", "completed exchanges", BFTD_CG_NODE, false },
	[BFTD_C_READINGS_REJECTED] = { "readings_rejected", "bftime_readings_rejected_total", "readings rejected", BFTD_CG_NODE, false },
	[BFTD_C_ALARMS] = { "alarms", "bftime_alarms_total", "alarms raised", BFTD_CG_NODE, false },
	[BFTD_C_FUSIONS] = { "fusions", "bftime_fusions_total", "fusions", BFTD_CG_NODE, false },
	[BFTD_C_REF_QUARANTINES] = { "reference_quarantines", "bftime_reference_quarantines_total", "references quarantined (anti-spoofing)", BFTD_CG_NODE, false },
	[BFTD_C_REF_READMISSIONS] = { "reference_readmissions", "bftime_reference_readmissions_total", "quarantined references readmitted", BFTD_CG_NODE, false },
	[BFTD_C_REF_READINGS_QUARANTINED] = { "reference_readings_quarantined", "bftime_reference_readings_quarantined_total", "readings of quarantined references held out", BFTD_CG_NODE, false },
	[BFTD_C_ESTIMATES] = { "estimates", "bftime_estimates_total", "estimates published", BFTD_CG_NODE, false },
	[BFTD_C_LIES] = { "byzantine_lies", "bftime_byzantine_lies_total", "messages sent that lie (a test liar)", BFTD_CG_LIAR, false },
	[BFTD_C_HTTP_REQUESTS] = { "http_requests", "bftime_http_requests_total", "API requests answered", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_4XX] = { "http_4xx", "bftime_http_bad_requests_total", "API requests answered 4xx", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_5XX] = { "http_5xx", "bftime_http_errors_total", "API requests answered 5xx", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_TOO_LARGE] = { "http_too_large", "bftime_http_too_large_total", "API requests refused as too large", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_CONNECTIONS] = { "http_connections", "bftime_http_connections", "API connections open", BFTD_CG_HTTP, true },
	[BFTD_C_HTTP_CONNECTIONS_MAX] = { "http_connections_max", "bftime_http_connections_max", "the most API connections open at once", BFTD_CG_HTTP, true },
	[BFTD_C_HTTP_CONNECTIONS_TOTAL] = { "http_connections_total", "bftime_http_connections_total", "API connections accepted", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_CLOSED_DEADLINE] = { "http_closed_deadline", "bftime_http_closed_deadline_total", "API connections closed for missing a header or request deadline", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_CLOSED_PRESSURE] = { "http_closed_pressure", "bftime_http_closed_pressure_total", "API connections closed to keep the reserve free", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_RATE_LIMITED] = { "http_rate_limited", "bftime_http_rate_limited_total", "API requests answered 429 (per-address rate limit)", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_CONNECTION_LIMIT] = { "http_connection_limit", "bftime_http_connection_limit", "the API's connection cap in force", BFTD_CG_HTTP, true },
	[BFTD_C_HTTP_LINGERED] = { "http_lingered", "bftime_http_lingered_total", "API connections answered before their body was read, then read until the client closed", BFTD_CG_HTTP, false },
	[BFTD_C_HTTP_LINGER_FULL] = { "http_linger_full", "bftime_http_linger_full_total", "API connections answered before their body was read and closed at once, 16 others lingering", BFTD_CG_HTTP, false },
	[BFTD_C_PROOFS_ISSUED] = { "proofs_issued", "bftime_proofs_issued_total", "own proofs stored and acknowledged", BFTD_CG_PROOFS, false },
	[BFTD_C_PROOFS_ISSUE_FAILED] = { "proofs_issue_failed", "bftime_proofs_issue_failed_total", "own proofs not issued", BFTD_CG_PROOFS, false },
	[BFTD_C_PROOFS_SUBMITTED] = { "proofs_submitted", "bftime_proofs_submitted_total", "proofs submitted by peers and the API", BFTD_CG_PROOFS, false },
	[BFTD_C_PROOFS_ACCEPTED] = { "proofs_accepted", "bftime_proofs_accepted_total", "submitted proofs stored as new", BFTD_CG_PROOFS, false },
	[BFTD_C_GOSSIP_POSTS] = { "gossip_posts", "bftime_gossip_posts_total", "proof POSTs to peers and the DA endpoint", BFTD_CG_GOSSIP, false },
	[BFTD_C_GOSSIP_OK] = { "gossip_ok", "bftime_gossip_ok_total", "proof POSTs answered 2xx", BFTD_CG_GOSSIP, false },
	[BFTD_C_GOSSIP_FAILED] = { "gossip_failed", "bftime_gossip_failed_total", "failed proof POSTs", BFTD_CG_GOSSIP, false },
	[BFTD_C_GOSSIP_PROOFS_SENT] = { "gossip_proofs_sent", "bftime_gossip_proofs_sent_total", "proofs delivered (2xx)", BFTD_CG_GOSSIP, false },
};

int bftd_status_init(bftd_status *s, size_t n_sources)
{
	memset(s, 0, sizeof *s);
	s->cap_src = n_sources + 1;
	s->src = calloc(s->cap_src, sizeof *s->src);
	return s->src ? 0 : BFT_ENOMEM;
}

void bftd_status_free(bftd_status *s)
{
	free(s->src);
	memset(s, 0, sizeof *s);
}

void bftd_status_fill(bftd_status *s, const bftd_api_env *env, int64_t raw_ns, int64_t rt_ns, const bft_estimate *e)
{
	s->raw_ns = raw_ns;
	s->rt_ns = rt_ns;
	if (e) {
		s->e = *e;
		s->ok = true;
	} else {
		s->ok = bft_node_read(env->node, raw_ns, &s->e) == 0;
	}
	s->synced = s->ok && s->e.state != BFT_DISC_UNSYNCHRONIZED;
	s->n_src = s->src ? bft_node_sources(env->node, s->src, s->cap_src) : 0;
	if (s->n_src > s->cap_src)
		s->n_src = s->cap_src;
	memset(s->c, 0, sizeof s->c);
	const bft_node_counters *nc = bft_node_get_counters(env->node);
	bft_node_agree_info(env->node, &s->agree);
	s->disc_ok = bft_node_disc_status(env->node, &s->disc) == 0;
	s->agree_short = nc->agree_short;
	s->agree_violations = nc->agree_violations;
	s->agree_steps = nc->agree_steps;
	const bftd_counters *d = env->ctr;
	s->groups = BFTD_CG_NODE;
	uint64_t *c = s->c;
	if (d) {
		c[BFTD_C_DATAGRAMS] = d->datagrams;
		c[BFTD_C_RATE_LIMITED] = d->rate_limited;
		c[BFTD_C_MALFORMED] = d->malformed;
		c[BFTD_C_SEND_ERRORS] = d->send_errors;
		c[BFTD_C_ESTIMATES] = d->estimates;
		c[BFTD_C_LIES] = d->byz_rewritten;
	}
	c[BFTD_C_MALFORMED] += nc->rx_bad;
	c[BFTD_C_BAD_SIGNATURE] = nc->rx_bad_sig;
	c[BFTD_C_UNKNOWN_PEER] = nc->rx_unknown_peer;
	c[BFTD_C_REPLAYED] = nc->rx_replay;
	c[BFTD_C_NOT_FOR_US] = nc->rx_not_for_us;
	c[BFTD_C_SENT] = nc->tx;
	c[BFTD_C_EXCHANGES] = nc->exchanges;
	c[BFTD_C_READINGS_REJECTED] = nc->readings_rejected;
	c[BFTD_C_ALARMS] = nc->alarms;
	c[BFTD_C_FUSIONS] = nc->fusions;
	c[BFTD_C_REF_QUARANTINES] = nc->ref_quarantines;
	c[BFTD_C_REF_READMISSIONS] = nc->ref_readmissions;
	c[BFTD_C_REF_READINGS_QUARANTINED] = nc->ref_readings_quarantined;
	if (env->cfg->byz)
		s->groups |= BFTD_CG_LIAR;
	if (env->http) {
		const bftd_http_stats *h = env->http;
		s->groups |= BFTD_CG_HTTP;
		c[BFTD_C_HTTP_REQUESTS] = h->requests;
		c[BFTD_C_HTTP_4XX] = h->status_4xx;
		c[BFTD_C_HTTP_5XX] = h->status_5xx;
		c[BFTD_C_HTTP_TOO_LARGE] = h->too_large;
		c[BFTD_C_HTTP_CONNECTIONS] = h->connections;
		c[BFTD_C_HTTP_CONNECTIONS_MAX] = h->connections_max;
		c[BFTD_C_HTTP_CONNECTIONS_TOTAL] = h->connections_total;
		c[BFTD_C_HTTP_CLOSED_DEADLINE] = h->closed_deadline;
		c[BFTD_C_HTTP_CLOSED_PRESSURE] = h->closed_pressure;
		c[BFTD_C_HTTP_RATE_LIMITED] = h->rate_limited;
		c[BFTD_C_HTTP_CONNECTION_LIMIT] = h->conn_limit;
		c[BFTD_C_HTTP_LINGERED] = h->lingered;
		c[BFTD_C_HTTP_LINGER_FULL] = h->linger_full;
	}
	if (env->proofs) {
		const bftd_proofs_stats *ps = bftd_proofs_get_stats(env->proofs);
		s->groups |= BFTD_CG_PROOFS;
		c[BFTD_C_PROOFS_ISSUED] = ps->issued;
		c[BFTD_C_PROOFS_ISSUE_FAILED] = ps->issue_failed;
		c[BFTD_C_PROOFS_SUBMITTED] = ps->submitted;
		c[BFTD_C_PROOFS_ACCEPTED] = ps->accepted;
	}
	if (env->gossip) {
		const bftd_gossip_stats *gs = bftd_gossip_get_stats(env->gossip);
		s->groups |= BFTD_CG_GOSSIP;
		c[BFTD_C_GOSSIP_POSTS] = gs->posts;
		c[BFTD_C_GOSSIP_OK] = gs->ok;
		c[BFTD_C_GOSSIP_FAILED] = gs->failed;
		c[BFTD_C_GOSSIP_PROOFS_SENT] = gs->proofs_sent;
	}
	s->filled = true;
}

const char *bftd_state_name(const bft_estimate *e)
{
	return e->alarm ? "alarm" : bft_disc_state_name(e->state);
}

bool bftd_holding_over(const bft_estimate *e)
{
	return e->state == BFT_DISC_HOLDOVER || (e->alarm && e->state != BFT_DISC_UNSYNCHRONIZED);
}

void bftd_status_counters_json(const bftd_status *s, json_object *c)
{
	for (int i = 0; i < BFTD_C_COUNT; i++)
		if (s->groups & bftd_counter_defs[i].group)
			json_object_object_add(c, bftd_counter_defs[i].key,
			                       json_object_new_int64(s->c[i] > INT64_MAX ? INT64_MAX : (int64_t)s->c[i]));
}
