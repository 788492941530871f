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
 * answered 413 without being buffered), so no client can make the daemon
 * hold much memory or stall the loop.
 *
 * No client may hold the API either (docs/api.md, "Limits"): connections
 * are capped in all (BFTD_HTTP_MAX_CONN, and below the process's open-file
 * limit) and per client address (BFTD_HTTP_PER_IP); a request's headers
 * must arrive within BFTD_HTTP_HEADER_MS of the connection opening (or of
 * the previous answer on it), whatever trickles in meanwhile, and its body
 * and answer must be through within BFTD_HTTP_REQUEST_MS of its headers;
 * and a reserve of BFTD_HTTP_RESERVE connections is kept free: when fewer
 * are, the connections that have waited longest for a request (idle,
 * trickling headers or a body) are closed, oldest first, once they have
 * waited BFTD_HTTP_PRESSURE_MS. Requests are limited per client address
 * too (a token bucket, BFTD_HTTP_RATE_PER_S sustained, BFTD_HTTP_RATE_BURST
 * at once): beyond, a short 429 closes the connection, so a flood costs the
 * loop little and leaves it free to accept. A client that connects and asks at once,
 * as every real client does, is answered before any of these applies:
 * that is what keeps GET /v1/time answering while one client, from many
 * addresses, holds every connection it can.
 */
#ifndef BFTIME_DAEMON_HTTP_H
#define BFTIME_DAEMON_HTTP_H

#include <poll.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

/* Request bodies; 413 beyond. 2 MiB: a gossip batch of 16 version-2
 * proofs as hex (at most 16 x 2 x 50,670 bytes, with SLH-DSA-256f). */
#define BFTD_HTTP_MAX_BODY (2 * 1024 * 1024)
#define BFTD_HTTP_MAX_ARGS 16          /* query arguments kept per request */
#define BFTD_HTTP_MAX_CONN 256        /* open connections, in all */
#define BFTD_HTTP_PER_IP 16            /* open connections per client address */
#define BFTD_HTTP_RESERVE 64           /* connections kept free for clients that ask at once */
#define BFTD_HTTP_HEADER_MS 5000       /* from connection (or previous answer) to a request's headers */
#define BFTD_HTTP_REQUEST_MS 10000     /* from a request's headers to its answer sent */
#define BFTD_HTTP_PRESSURE_MS 50       /* waiting this long is too long when the reserve is short */
#define BFTD_HTTP_RATE_PER_S 50       /* requests per client address and second, sustained */
#define BFTD_HTTP_RATE_BURST 100      /* ... and at once */
#define BFTD_HTTP_RATE_SLOTS 1024     /* client addresses remembered (the least recent make room) */
#define BFTD_HTTP_TIMEOUT_S 10         /* no byte moved for this long: closed (libmicrohttpd) */
#define BFTD_HTTP_FD_MARGIN 64         /* open files left to the rest of the daemon */
#define BFTD_HTTP_MAX_DISCARD (2 * 1024 * 1024) /* body bytes read and dropped after a refusal; beyond, closed */
#define BFTD_HTTP_LINGER 16            /* closed connections read until their client closes (http.c) */
#define BFTD_HTTP_LINGER_MS 2000       /* ... for at most this long */
#define BFTD_HTTP_MAX_POLLFDS (BFTD_HTTP_MAX_CONN + 16 + BFTD_HTTP_LINGER) /* what bftd_http_pollfds may fill (without epoll: a pollfd per connection) */

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
	uint64_t connections;      /* open now */
	uint64_t connections_max;  /* the most open at once */
	uint64_t connections_total; /* accepted since start */
	uint64_t closed_deadline;  /* closed for missing BFTD_HTTP_HEADER_MS or BFTD_HTTP_REQUEST_MS */
	uint64_t closed_pressure;  /* closed to keep the reserve */
	uint64_t rate_limited;     /* requests answered 429 */
	uint64_t lingered;         /* closed connections read until their client closed (an answer before the body) */
	uint64_t linger_full;      /* ... closed at once instead: BFTD_HTTP_LINGER were lingering */
	unsigned conn_limit;       /* the cap in force (BFTD_HTTP_MAX_CONN or less, for the file limit) */
} bftd_http_stats;

typedef struct bftd_http bftd_http;

/* Listen on addr (numeric, from the config). 0, or a negative code with err set.
 * addr NULL: no listening socket, connections come from bftd_http_add_connection. */
int bftd_http_start(bftd_http **out, const bftd_addr *addr, bftd_http_handler fn, void *ctx, char *err,
                    size_t errlen);

/* Serve a connected stream socket (ownership passes, even on failure) as if
 * accepted from peer: for tests and the fuzz target (tests/fuzz/fuzz_http.c),
 * which feed the server bytes through a socketpair. 0 or BFT_EINVAL. */
int bftd_http_add_connection(bftd_http *h, int fd, const struct sockaddr *peer, socklen_t peer_len);

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

/* Answer with o (a json_object *, pretty-printed, a newline after it),
 * malloc'd into resp with status; o is released. Out of memory: a 500. */
void bftd_http_reply_json(bftd_http_response *resp, unsigned status, void *o);

#endif
