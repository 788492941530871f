/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the API's request handling (src/daemon/api.h): a
 * request as the HTTP server hands it over (method, path, query
 * arguments, content type, body) through the router to every route, with
 * a synchronized node and a proof store holding two chains (api_env.h), and
 * the GET /v1/proofs query parser (node, since, limit, order) and the GET
 * /v1/history one (window, after) on their own.
 *
 * Input, as lines: METHOD \n PATH \n CONTENT-TYPE (empty: none) \n QUERY
 * (name=value&name&...) \n BODY (the rest, any bytes). Every answer must
 * have a status of 200..599 and a body; a JSON answer must be one JSON
 * value; a query the parser accepts must be within its documented ranges.
 * With FUZZ_API_SEEDS=DIR set, the target first writes its seed corpus
 * into DIR (the proofs in it are signed by the fixed keys of api_env.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seeds(const char *dir)
{
	static const struct {
		const char *name, *text;
	} plain[] = {
		{ "time", "GET\n/v1/time\n\n\n" },
		{ "time_head", "HEAD\n/v1/time\n\n\n" },
		{ "status", "GET\n/v1/status\n\n\n" },
		{ "peers", "GET\n/v1/peers\n\n\n" },
		{ "metrics", "GET\n/metrics\n\n\n" },
		{ "proofs", "GET\n/v1/proofs\n\n\n" },
		{ "proofs_node_newest", "GET\n/v1/proofs\n\nnode=1&order=newest&limit=16\n" },
		{ "proofs_since_rfc3339", "GET\n/v1/proofs\n\nsince=2024-06-01T12:00:02.5Z&limit=3&order=oldest\n" },
		{ "proofs_since_ns", "GET\n/v1/proofs\n\nsince=1717243203000000000&node=2\n" },
		{ "proofs_bad_limit", "GET\n/v1/proofs\n\nlimit=0\n" },
		{ "proofs_big_limit", "GET\n/v1/proofs\n\nlimit=18446744073709551617\n" },
		{ "proofs_node_flag", "GET\n/v1/proofs\n\nnode&limit=-1\n" },
		{ "proofs_order_bad", "GET\n/v1/proofs\n\norder=NEWEST&node=4294967296\n" },
		{ "proofs_many_args", "GET\n/v1/proofs\n\na&b&c&d&e&f&g&h&i&j&k&l&m&n&o&p&q&node=1\n" },
		{ "validate", "POST\n/v1/validate\napplication/json\n\n{\"timestamp\":\"2024-06-01T12:00:00Z\",\"tolerance\":\"1ms\"}" },
		{ "validate_ns", "POST\n/v1/validate\n\n\n{\"timestamp\":1717243200000000000,\"tolerance\":5}" },
		{ "validate_get", "GET\n/v1/validate\n\n\n" },
		{ "post_time", "POST\n/v1/time\n\n\n{}" },
		{ "unknown", "PUT\n/v2/anything\n\nx=y\n" },
		{ "proofs_octet_short", "POST\n/v1/proofs\napplication/octet-stream\n\nBP" },
		{ "history", "GET\n/v1/history\n\n\n" },
		{ "history_window_after", "GET\n/v1/history\n\nwindow=1m&after=3\n" },
		{ "history_bad", "GET\n/v1/history\n\nwindow=forever&after=-1\n" },
		{ "history_flags", "GET\n/v1/history\n\nwindow&after\n" },
		{ "dashboard", "GET\n/dashboard\n\n\n" },
		{ "root_head", "HEAD\n/\n\n\n" },
		{ "dashboard_post", "POST\n/dashboard\n\n\n{}" },
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		fuzz_api_write_seed(dir, plain[i].name, plain[i].text);
	char hex[4][2 * BFT_PROOF_MAX + 1], text[4 * sizeof hex[0] + 256];
	fuzz_api_proof_hex(hex[0], 1, FUZZ_CHAIN);     /* new */
	fuzz_api_proof_hex(hex[1], 2, FUZZ_CHAIN - 1); /* duplicate */
	fuzz_api_proof_hex(hex[2], 2, FUZZ_CHAIN + 1); /* gap */
	fuzz_api_proof_hex(hex[3], 1, 3);              /* with a reference block */
	snprintf(text, sizeof text, "POST\n/v1/proofs\napplication/json\n\n{\"proof\": \"%s\"}\n", hex[0]);
	fuzz_api_write_seed(dir, "post_proof_new", text);
	snprintf(text, sizeof text, "POST\n/v1/proofs\n\n\n{\"proofs\": [\"%s\", \"%s\", \"%s\"]}", hex[1], hex[2], hex[3]);
	fuzz_api_write_seed(dir, "post_proofs_dup_gap", text);
	/* A changed byte: a bad signature (or another proof at a stored seq: a fork). */
	hex[1][2 * 100] = hex[1][2 * 100] == '0' ? '1' : '0';
	snprintf(text, sizeof text, "POST\n/v1/proofs\napplication/json; charset=utf-8\n\n{\"proofs\":[\"%s\"]}", hex[1]);
	fuzz_api_write_seed(dir, "post_proof_bad_sig", text);
	uint8_t raw[BFT_PROOF_MAX];
	size_t l = strlen(hex[3]) / 2;
	bftd_unhex(raw, hex[3], l);
	snprintf(text, sizeof text, "POST\n/v1/proofs\napplication/octet-stream\n\n");
	size_t tl = strlen(text);
	memcpy(text + tl, raw, l);
	char p[512];
	snprintf(p, sizeof p, "%s/post_proof_octets", dir);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(text, 1, tl + l, f) != tl + l || fclose(f) != 0)
		abort();
}

/* Split off the next line of [*s, end): NUL-terminated in place. */
static char *line(char **s, char *end)
{
	char *start = *s, *nl = memchr(start, '\n', (size_t)(end - start));
	if (!nl) {
		*s = end;
		return start; /* end is a NUL (the buffer has one more byte) */
	}
	*nl = 0;
	*s = nl + 1;
	return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const bftd_api_env *env = fuzz_api_env();
	static bool seeded;
	if (!seeded) {
		seeded = true;
		const char *dir = getenv("FUZZ_API_SEEDS");
		if (dir)
			write_seeds(dir);
	}
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	char *s = buf, *end = buf + size;
	bftd_http_request req = { 0 };
	req.method = line(&s, end);
	req.path = line(&s, end);
	const char *ct = line(&s, end);
	req.content_type = *ct ? ct : NULL;
	char *query = line(&s, end);
	req.body = (const uint8_t *)s;
	req.body_len = (size_t)(end - s);
	/* Arguments as the server collects them: name, value ("" without '='). */
	for (char *q = query; *q && req.n_args < BFTD_HTTP_MAX_ARGS;) {
		char *amp = strchr(q, '&'), *next = amp ? amp + 1 : q + strlen(q);
		if (amp)
			*amp = 0;
		char *eq = strchr(q, '=');
		if (eq)
			*eq = 0;
		req.arg_name[req.n_args] = q;
		req.arg_value[req.n_args] = eq ? eq + 1 : "";
		req.n_args++;
		q = next;
	}
	bft_store_query sq;
	char err[200];
	if (bftd_api_parse_query(&req, &sq, err, sizeof err) == 0) {
		if (sq.limit < 1 || sq.limit > BFTD_API_MAX_LIMIT)
			abort();
	} else if (!err[0]) {
		abort(); /* a refusal says why */
	}
	/* The dashboard's history query (history.h): within its ranges, or refused saying why. */
	int64_t window_ns;
	uint64_t after;
	err[0] = 0;
	if (bftd_history_parse_query(&req, &window_ns, &after, err, sizeof err) == 0) {
		if (window_ns < BFT_NS_PER_SEC || window_ns > BFTD_HISTORY_MAX_WINDOW_NS || after > INT64_MAX)
			abort();
	} else if (!err[0]) {
		abort();
	}
	bftd_http_response resp = { 0 };
	bftd_api_handle((void *)env, &req, &resp);
	if (resp.status < 200 || resp.status > 599 || !resp.body || !resp.content_type)
		abort();
	if (!strcmp(resp.content_type, "application/json")) {
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, resp.body, (int)resp.body_len);
		if (!o || json_tokener_get_error(tok) != json_tokener_success)
			abort();
		json_object_put(o);
		json_tokener_free(tok);
	}
	free(resp.body);
	free(buf);
	return 0;
}
