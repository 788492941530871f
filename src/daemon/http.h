/* SPDX-License-Identifier: MIT */
/*
 * bftimed's HTTP server: libmicrohttpd in external polling mode, driven from
 * the daemon's single poll() loop (no thread of its own), so a request is
 * handled between two node events like any datagram.
 *
 *   bftd_http_pollfds   the fds the loop must poll (MHD's epoll fd when the
 *                       library has epoll, else its select set as pollfds)
 *   bftd_http_timeout_ms  how long the loop may sleep for MHD's sake
 *   bftd_http_service   after poll(): let MHD read, call the handler, write
 *
 * Requests reach a handler as plain data (method, path, query arguments,
 * body), which answers with a status, a content type and a body: the
 * routes (api.h) know nothing of libmicrohttpd and are unit-tested without
 * sockets. Request bodies are bounded (BFTD_HTTP_MAX_BODY: a larger body is
 * answered 413 without being buffered), connections are capped and time
 * out, so no client can make the daemon hold much memory or stall the loop.
 */
#ifndef BFTIME_DAEMON_HTTP_H
#define BFTIME_DAEMON_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

#define BFTD_HTTP_MAX_BODY (64 * 1024) /* request bodies; 413 beyond */
#define BFTD_HTTP_MAX_ARGS 16          /* query arguments kept per request */
#define BFTD_HTTP_MAX_CONN 64          /* open connections */
#define BFTD_HTTP_TIMEOUT_S 10         /* an idle connection is closed after this */
#define BFTD_HTTP_MAX_POLLFDS 80       /* what bftd_http_pollfds may fill */

typedef struct bftd_http_request {
	const char *method;       /* "GET", "POST", ... */
	const char *path;         /* without the query string */
	const char *content_type; /* NULL when absent */
	const char *arg_name[BFTD_HTTP_MAX_ARGS];
	const char *arg_value[BFTD_HTTP_MAX_ARGS]; /* NULL for "?flag" without '=' */
	size_t n_args;
	const uint8_t *body;      /* not NUL-terminated */
	size_t body_len;
} bftd_http_request;

typedef struct bftd_http_response {
	unsigned status;          /* 200, 404, ... */
	const char *content_type; /* a static string */
	char *body;               /* malloc'd (freed by the server), may be NULL */
	size_t body_len;
} bftd_http_response;

/* The value of query argument name, NULL when absent (or given without '='). */
const char *bftd_http_arg(const bftd_http_request *req, const char *name);

/* The handler fills resp (its body malloc'd or NULL). It runs on the loop's
 * thread, between node events, and must not block. */
typedef void (*bftd_http_handler)(void *ctx, const bftd_http_request *req, bftd_http_response *resp);

typedef struct bftd_http_stats {
	uint64_t requests, status_2xx, status_4xx, status_5xx, too_large;
} bftd_http_stats;

typedef struct bftd_http bftd_http;

/* Listen on addr (numeric, from the config). 0, or a negative code with err set. */
int bftd_http_start(bftd_http **out, const bftd_addr *addr, bftd_http_handler fn, void *ctx, char *err,
                    size_t errlen);

/* Stop and free; NULL is fine. */
void bftd_http_stop(bftd_http *h);

/* Fill up to cap pollfds with what MHD waits for; returns the count. */
size_t bftd_http_pollfds(bftd_http *h, struct pollfd *out, size_t cap);

/* Milliseconds MHD can wait (connection timeouts, pending work), -1 for no limit. */
int bftd_http_timeout_ms(bftd_http *h);

/* Do MHD's work after poll(): pfds/n as filled by bftd_http_pollfds and
 * returned by poll(). Never blocks. */
void bftd_http_service(bftd_http *h, const struct pollfd *pfds, size_t n);

const bftd_http_stats *bftd_http_get_stats(const bftd_http *h);

/* A JSON error body {"error": code, "message": text}, malloc'd into resp with status. */
void bftd_http_error(bftd_http_response *resp, unsigned status, const char *code, const char *message);

#endif
