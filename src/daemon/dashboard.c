/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's routes (docs/dashboard.md): GET / and /dashboard answer
 * the page, dashboard.html, which the assembler embeds here at build time
 * (.incbin: the file is the source, no generated C and no copy to keep in
 * step; the Makefile names it as this object's prerequisite); GET
 * /v1/history answers the bounded history (history.h) the page draws.
 */
#include "daemon/api_int.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/history.h"

__asm__(".section .rodata\n"
        ".global bftd_dashboard_html\n"
        ".hidden bftd_dashboard_html\n"
        "bftd_dashboard_html:\n"
        ".incbin \"src/daemon/dashboard.html\"\n"
        ".global bftd_dashboard_html_end\n"
        ".hidden bftd_dashboard_html_end\n"
        "bftd_dashboard_html_end:\n"
        ".byte 0\n"
        ".previous\n");
extern const char bftd_dashboard_html[], bftd_dashboard_html_end[];

void bftd_dashboard_page(bftd_http_response *resp)
{
	size_t len = (size_t)(bftd_dashboard_html_end - bftd_dashboard_html);
	resp->body = malloc(len ? len : 1);
	if (!resp->body) {
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	memcpy(resp->body, bftd_dashboard_html, len);
	resp->body_len = len;
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
}

void bftd_dashboard_history(const bftd_api_env *env, const bftd_http_request *req, bftd_http_response *resp)
{
	int64_t window_ns;
	uint64_t after;
	char err[160];
	if (bftd_history_parse_query(req, &window_ns, &after, err, sizeof err) != 0) {
		bftd_http_error(resp, 400, "bad_argument", err);
		return;
	}
	json_object *o = bftd_history_json(env->history, env->cfg, window_ns, after);
	/* Plain, not pretty: an hour of columns is a megabyte either way less. */
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	resp->body = malloc(l + 1);
	if (!resp->body) {
		json_object_put(o);
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	memcpy(resp->body, s, l);
	resp->body[l] = '\n';
	resp->body_len = l + 1;
	resp->status = 200;
	resp->content_type = "application/json";
	json_object_put(o);
}
