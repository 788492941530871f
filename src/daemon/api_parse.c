/* SPDX-License-Identifier: MIT */
/*
 * The API's request parsers (api.h): bodies of POST /v1/proofs and
 * /v1/validate, the query of GET /v1/proofs. Pure: no I/O, so the fuzz
 * targets drive exactly what the daemon runs.
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
#include "util/timetext.h"
#include "util/value.h"

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
			return perr(err, errlen, "a raw proof is %d to %d bytes, got %zu", BFT_PROOF_MIN, BFT_PROOF_MAX, len);
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
			rc = perr(err, errlen, "\"proof\": expected the proof's canonical bytes as hex (%d to %d bytes)",
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
	} else if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), "now")) {
		*ts_ns = BFTD_VALIDATE_NOW;
	} else if (!json_object_is_type(v, json_type_string) ||
	           bftd_rfc3339_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v), ts_ns) != 0) {
		rc = perr(err, errlen, "\"timestamp\": expected RFC 3339 (2024-05-01T12:00:00.5Z), integer ns or \"now\"");
	}
	if (rc)
		goto out;
	if (json_object_object_get_ex(o, "tolerance", &v)) {
		if (json_object_is_type(v, json_type_int)) {
			*tol_ns = json_object_get_int64(v);
		} else if (!json_object_is_type(v, json_type_string) ||
		           bft_duration_parse(tol_ns, json_object_get_string(v)) != 0) {
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
