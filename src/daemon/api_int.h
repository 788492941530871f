/* SPDX-License-Identifier: MIT */
/*
 * Shared by the API's files (api.c: routes and router; api_views.c: JSON
 * views; api_metrics.c: /metrics; api_parse.c: request parsers). Not for
 * the rest of the daemon.
 */
#ifndef BFTIME_DAEMON_API_INT_H
#define BFTIME_DAEMON_API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/api.h"
#include "daemon/status.h"

/* The node read once for a request. */
struct now {
	int64_t raw, rt;
	bft_estimate e;
	bool ok, synced;
};

void add_i64(json_object *o, const char *k, int64_t v);
void add_u64(json_object *o, const char *k, uint64_t v);
void add_bool(json_object *o, const char *k, bool v);
void add_str(json_object *o, const char *k, const char *v);
/* k_ns as integer ns and k as RFC 3339 text. */
void add_time(json_object *o, const char *k, int64_t ns);
void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n);
/* o as the response body (consumed). */
void json_reply(bftd_http_response *resp, unsigned status, json_object *o);
struct now read_now(const bftd_api_env *env);
void add_estimate(json_object *o, const struct now *n);
/* Why source s is not used, NULL when it is. */
const char *why_not(const bft_source_info *s, const struct now *n, char *buf, size_t len);
json_object *source_json(const bftd_api_env *env, const bft_source_info *s, const struct now *n);
/* Sources into a fresh array; *n_out their number. The caller frees. */
bft_source_info *sources(const bftd_api_env *env, size_t *n_out);
/* chronyc tracking's facts (state, leap, frequency, skew, root distance). */
json_object *tracking_json(const bftd_status *st);
json_object *chain_head_json(const bftd_api_env *env);
json_object *counters_json(const bftd_api_env *env, const bftd_status *st);
/* The loop's snapshot, or (none filled yet, or no loop: the fuzz targets)
 * one filled now into *local; bftd_status_free(local) after either. */
const bftd_status *status_of(const bftd_api_env *env, bftd_status *local);
/* The estimate as the snapshot holds it. */
struct now now_of(const bftd_status *st);
const char *ref_kind_name(uint8_t k);
json_object *proof_json(const uint8_t *buf, size_t len);
void get_metrics(const bftd_api_env *env, bftd_http_response *resp);
/* dashboard.c: the page, and GET /v1/history. */
void bftd_dashboard_page(bftd_http_response *resp);
void bftd_dashboard_history(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp);

#endif
