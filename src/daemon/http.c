/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server (http.h). libmicrohttpd runs without a thread of its own:
 * with epoll (Linux) the loop polls one fd, MHD's epoll set, and calls
 * MHD_run when it is readable or MHD's timeout expires; without epoll the
 * select sets MHD_get_fdset2 fills are turned into pollfds and back. Either
 * way every request is handled on the loop's thread, which is what keeps the
 * daemon single-threaded and deterministic given its inputs.
 *
 * Bodies are collected per connection up to BFTD_HTTP_MAX_BODY; a larger
 * declared Content-Length is refused (413) before the body is read, and a
 * chunked body that grows too large is read and discarded (up to
 * BFTD_HTTP_MAX_DISCARD more), then refused.
 *
 * An answer given before the body was read (413, or 429 to a request with
 * a body) must not be lost to a reset: libmicrohttpd sends it, shuts down
 * the writing side and closes the socket with the unread body in its
 * receive queue, and closing a TCP socket with unread data sends an RST,
 * which can reach the client before it has read the answer (curl then
 * reports no status at all: test_api.sh failed so in one CI run; a client
 * that sends on after the answer meets the reset every time). So such a
 * connection lingers, as nginx's and Apache's do: when libmicrohttpd
 * tells us it closes it, the socket is kept open on a
 * duplicate descriptor and read and dropped until the client closes, for
 * at most BFTD_HTTP_LINGER_MS and BFTD_HTTP_MAX_DISCARD bytes, at most
 * BFTD_HTTP_LINGER connections at once (beyond, it is closed as before).
 *
 * The limits of http.h: libmicrohttpd caps the connections in all and per
 * address, and closes a connection on which nothing moved for
 * BFTD_HTTP_TIMEOUT_S; but a slowloris client moves a byte now and then,
 * so the deadlines and the reserve are ours. Every connection is tracked
 * from its start to its close (MHD_OPTION_NOTIFY_CONNECTION), with when it
 * began to wait for a request and when that request's headers came; after
 * each MHD_run the ones past a deadline, or the longest waiting when the
 * reserve is short, are shut down (shutdown(2): MHD sees the end of the
 * stream at its next look and closes it itself, as if the client had).
 * The scan is linear in the connections (at most BFTD_HTTP_MAX_CONN), which
 * costs microseconds per loop turn.
 */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "sys/clock.h"

/* One per TCP connection, from its start to its close, in accept order. */
struct conn {
	struct conn *prev, *next;
	int fd;
	int64_t wait_mono;    /* waiting for a request since: the accept, or the previous answer */
	int64_t headers_mono; /* the current request's headers came then; 0: none yet */
	bool answered;        /* the current request's answer is queued */
	bool doomed;          /* shut down by us; MHD closes it at its next look */
	bool linger;          /* answered before its body was read: linger at the close */
};

/* A closed connection whose client may still be sending (see the top). */
struct lingering {
	int fd;          /* our duplicate of the socket; -1: a free slot */
	int64_t until;   /* mono ns: closed then, whatever comes */
	size_t dropped;  /* bytes read and dropped */
};

/* A client address's request bucket: credit in ns of the refill rate. */
struct bucket {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint8_t family;   /* 0: free */
	int64_t credit_ns, last_mono;
};

struct bftd_http {
	struct MHD_Daemon *mhd;
	struct bucket buckets[BFTD_HTTP_RATE_SLOTS];
	bool epoll;
	int epoll_fd;
	bftd_http_handler fn;
	void *ctx;
	bftd_http_stats stats;
	struct conn *head, *tail;
	size_t n_doomed;
	unsigned reserve;
	struct conn **cand; /* scratch: conn_limit entries */
	struct lingering linger[BFTD_HTTP_LINGER];
	size_t n_linger;
};

/* Per-request state, from the first call of the access handler to completion. */
struct req_state {
	uint8_t *body;
	size_t len, cap;
	bool cut;      /* refused: the body is dropped, nothing is handled */
	bool pending;  /* cut mid-body (chunked): the 413 goes when the body ends */
	size_t dropped; /* body bytes dropped since the cut */
};

const char *bftd_http_arg(const bftd_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_args; i++)
		if (!strcmp(req->arg_name[i], name))
			return req->arg_value[i];
	return NULL;
}

void bftd_http_error(bftd_http_response *resp, unsigned status, const char *code, const char *message)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(code));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	free(resp->body);
	resp->body = malloc(l + 2);
	if (resp->body) {
		memcpy(resp->body, s, l);
		resp->body[l] = '\n';
		resp->body[l + 1] = 0;
		resp->body_len = l + 1;
	} else {
		resp->body_len = 0;
	}
	resp->status = status;
	resp->content_type = "application/json";
	json_object_put(o);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	bftd_http_request *req = cls;
	if (req->n_args >= BFTD_HTTP_MAX_ARGS)
		return MHD_NO; /* stop iterating: further arguments are ignored */
	req->arg_name[req->n_args] = key ? key : "";
	req->arg_value[req->n_args] = value ? value : ""; /* "?node": present, empty: a bad value, not none */
	req->n_args++;
	return MHD_YES;
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd closes fd (after shutting down its writing side): keep the
 * socket open on a duplicate and drop what the client still sends. */
static void linger_start(bftd_http *h, int fd)
{
	if (h->n_linger >= BFTD_HTTP_LINGER) {
		h->stats.linger_full++;
		return;
	}
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		return;
	int fl = fcntl(dup, F_GETFL);
	if (fl < 0 || fcntl(dup, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(dup);
		return;
	}
	for (size_t i = 0; i < BFTD_HTTP_LINGER; i++)
		if (h->linger[i].fd < 0) {
			h->linger[i] = (struct lingering){ .fd = dup,
				                        .until = bft_clock_mono_ns() + (int64_t)BFTD_HTTP_LINGER_MS * 1000000 };
			h->n_linger++;
			h->stats.lingered++;
			return;
		}
	close(dup); /* not reached: n_linger counts the used slots */
}

/* Read and drop what the lingering sockets hold; close those whose client
 * closed (or reset), that passed their time or their byte bound. */
static void linger_drain(bftd_http *h, int64_t now)
{
	for (size_t i = 0; i < BFTD_HTTP_LINGER && h->n_linger; i++) {
		struct lingering *l = &h->linger[i];
		if (l->fd < 0)
			continue;
		bool done = now >= l->until;
		while (!done) {
			char buf[16384];
			ssize_t r = read(l->fd, buf, sizeof buf);
			if (r > 0) {
				l->dropped += (size_t)r;
				done = l->dropped > BFTD_HTTP_MAX_DISCARD;
			} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				done = true;
			} else if (errno != EINTR) {
				break;
			}
		}
		if (done) {
			close(l->fd);
			l->fd = -1;
			h->n_linger--;
		}
	}
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	bftd_http *h = cls;
	struct conn *c = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(c = calloc(1, sizeof *c)))
			return; /* untracked: only libmicrohttpd's own timeout applies */
		c->fd = ci->connect_fd;
		c->wait_mono = bft_clock_mono_ns();
		c->prev = h->tail;
		if (h->tail)
			h->tail->next = c;
		else
			h->head = c;
		h->tail = c;
		*socket_context = c;
		h->stats.connections++;
		h->stats.connections_total++;
		if (h->stats.connections > h->stats.connections_max)
			h->stats.connections_max = h->stats.connections;
		return;
	}
	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		h->tail = c->prev;
	if (c->doomed)
		h->n_doomed--;
	else if (c->linger)
		linger_start(h, c->fd);
	h->stats.connections--;
	free(c);
	*socket_context = NULL;
}

static void doom(bftd_http *h, struct conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->doomed = true;
	h->n_doomed++;
}

static int by_wait(const void *a, const void *b)
{
	const struct conn *x = *(struct conn *const *)a, *y = *(struct conn *const *)b;
	return x->wait_mono < y->wait_mono ? -1 : x->wait_mono > y->wait_mono;
}

/*
 * The deadlines and the reserve at mono time now: with act, shut down the
 * connections past their deadline, then, while fewer than the reserve are
 * free, the ones without an answer queued that waited longest (at least
 * BFTD_HTTP_PRESSURE_MS). Returns the next time something falls due
 * (INT64_MAX: nothing).
 */
static int64_t enforce(bftd_http *h, int64_t now, bool act)
{
	int64_t next = INT64_MAX;
	size_t n_cand = 0;
	for (struct conn *c = h->head; c; c = c->next) {
		if (c->doomed)
			continue;
		int64_t due = c->headers_mono ? c->headers_mono + (int64_t)BFTD_HTTP_REQUEST_MS * 1000000
		                              : c->wait_mono + (int64_t)BFTD_HTTP_HEADER_MS * 1000000;
		if (now >= due && act) {
			doom(h, c);
			h->stats.closed_deadline++;
			continue;
		}
		if (due < next)
			next = due;
		if (!c->answered && n_cand < h->stats.conn_limit)
			h->cand[n_cand++] = c;
	}
	size_t live = h->stats.connections - h->n_doomed, keep = h->stats.conn_limit - h->reserve;
	if (live <= keep)
		return next;
	qsort(h->cand, n_cand, sizeof *h->cand, by_wait);
	for (size_t i = 0; i < n_cand && live > keep; i++) {
		int64_t due = h->cand[i]->wait_mono + (int64_t)BFTD_HTTP_PRESSURE_MS * 1000000;
		if (now < due || !act) {
			if (due < next)
				next = due;
			break;
		}
		doom(h, h->cand[i]);
		h->stats.closed_pressure++;
		live--;
	}
	return next;
}

#define RATE_COST_NS (BFT_NS_PER_SEC / BFTD_HTTP_RATE_PER_S)

/* Charge one request to the client address sa at now: false when its
 * bucket is empty. Addresses hash to a run of 8 slots; a new one takes the
 * least recently used of its run, so many addresses can only make the
 * limit forget one (fail open), never refuse a client that asks slowly. */
static bool rate_ok(bftd_http *h, const struct sockaddr *sa, int64_t now)
{
	uint8_t key[16] = { 0 }, family;
	if (sa && sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		family = 4;
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		family = 6;
	} else {
		return true; /* not an IP client (a test's socketpair) */
	}
	uint64_t x = 1469598103934665603u; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		x = (x ^ key[i]) * 1099511628211u;
	size_t first = (size_t)(x % BFTD_HTTP_RATE_SLOTS), pick = first;
	struct bucket *b = NULL;
	for (size_t k = 0; k < 8 && !b; k++) {
		struct bucket *c = &h->buckets[(first + k) % BFTD_HTTP_RATE_SLOTS];
		if (c->family == family && !memcmp(c->addr, key, sizeof key))
			b = c;
		else if (!c->family || c->last_mono < h->buckets[pick].last_mono)
			pick = (first + k) % BFTD_HTTP_RATE_SLOTS;
	}
	const int64_t cap = (int64_t)BFTD_HTTP_RATE_BURST * RATE_COST_NS;
	if (!b) {
		b = &h->buckets[pick];
		memcpy(b->addr, key, sizeof key);
		b->family = family;
		b->credit_ns = cap;
		b->last_mono = now;
	}
	int64_t el = now - b->last_mono;
	b->last_mono = now;
	b->credit_ns = el > cap - b->credit_ns ? cap : b->credit_ns + (el > 0 ? el : 0);
	if (b->credit_ns < RATE_COST_NS)
		return false;
	b->credit_ns -= RATE_COST_NS;
	return true;
}

static enum MHD_Result send_response(bftd_http *h, struct MHD_Connection *conn, bftd_http_response *resp)
{
	struct conn *c = conn_of(conn);
	if (c)
		c->answered = true;
	h->stats.requests++;
	if (resp->status >= 200 && resp->status < 300)
		h->stats.status_2xx++;
	else if (resp->status >= 400 && resp->status < 500)
		h->stats.status_4xx++;
	else if (resp->status >= 500)
		h->stats.status_5xx++;
	struct MHD_Response *r = MHD_create_response_from_buffer(resp->body ? resp->body_len : 0,
	                                                         resp->body ? resp->body : (char *)"",
	                                                         resp->body ? MHD_RESPMEM_MUST_FREE
	                                                                    : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(resp->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        resp->content_type ? resp->content_type : "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (resp->status == 429) {
		/* The flooder reconnects for its next request, under the per-address cap. */
		MHD_add_response_header(r, "Retry-After", "1");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_too_large(bftd_http *h, struct MHD_Connection *conn)
{
	bftd_http_response resp = { 0 };
	bftd_http_error(&resp, 413, "too_large", "request body larger than 2 MiB");
	return send_response(h, conn, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	bftd_http *h = cls;
	struct req_state *st = *con_cls;
	if (!st) {
		/* First call: the headers are in. Refuse a declared oversized body
		 * before reading it. */
		st = calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		*con_cls = st;
		struct conn *c = conn_of(conn);
		int64_t now = bft_clock_mono_ns();
		if (c) {
			c->headers_mono = now;
			c->answered = false;
		}
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (!rate_ok(h, ci ? ci->client_addr : NULL, now)) {
			st->cut = true; /* never handled, whatever body follows */
			if (c && ((cl && strtoull(cl, NULL, 10) > 0) ||
			          MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)))
				c->linger = true; /* a body follows the 429 */
			h->stats.rate_limited++;
			bftd_http_response resp = { 0 };
			bftd_http_error(&resp, 429, "rate_limited", "too many requests from this address; retry in a second");
			return send_response(h, conn, &resp);
		}
		if (cl && strtoull(cl, NULL, 10) > BFTD_HTTP_MAX_BODY) {
			st->cut = true;
			if (c)
				c->linger = true;
			h->stats.too_large++;
			return send_too_large(h, conn);
		}
		return MHD_YES;
	}
	if (st->cut) {
		/* After the cut: never handled. The body is read and dropped, up
		 * to BFTD_HTTP_MAX_DISCARD (beyond, the connection is closed),
		 * and a 413 held back (a chunked body, cut mid-way: libmicrohttpd
		 * cannot queue an answer then) is queued when the body ends. */
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (n) {
			st->dropped += n;
			return st->dropped > BFTD_HTTP_MAX_DISCARD ? MHD_NO : MHD_YES;
		}
		if (!st->pending)
			return MHD_YES;
		st->pending = false;
		return send_too_large(h, conn);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (n > BFTD_HTTP_MAX_BODY - st->len) {
			/* No Content-Length (chunked) and now too large: the body
			 * collected is freed and the rest dropped (above); a slow
			 * sender is bounded by BFTD_HTTP_REQUEST_MS like any other. */
			st->cut = true;
			st->pending = true;
			st->dropped = n;
			free(st->body);
			st->body = NULL;
			st->len = st->cap = 0;
			h->stats.too_large++;
			return MHD_YES;
		}
		if (st->len + n > st->cap) {
			size_t cap = st->cap ? st->cap : 4096;
			while (cap < st->len + n)
				cap *= 2;
			if (cap > BFTD_HTTP_MAX_BODY)
				cap = BFTD_HTTP_MAX_BODY;
			uint8_t *b = realloc(st->body, cap);
			if (!b)
				return MHD_NO;
			st->body = b;
			st->cap = cap;
		}
		memcpy(st->body + st->len, upload_data, n);
		st->len += n;
		return MHD_YES;
	}
	bftd_http_response resp = { 0 };
	bftd_http_request req = { .method = method, .path = url, .body = st->body, .body_len = st->len };
	req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req);
	h->fn(h->ctx, &req, &resp);
	if (!resp.status)
		bftd_http_error(&resp, 500, "internal", "no response");
	return send_response(h, conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	/* The next request on this connection (keep-alive) waits from now. */
	struct conn *c = conn_of(conn);
	if (c) {
		c->wait_mono = bft_clock_mono_ns();
		c->headers_mono = 0;
		c->answered = false;
	}
	struct req_state *st = *con_cls;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[256];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t l = strlen(buf);
	while (l && buf[l - 1] == '\n')
		buf[--l] = 0;
	bftd_log(LOG_DEBUG, "http: %s", buf);
}

/* The connection cap in force: BFTD_HTTP_MAX_CONN, or less under a low
 * open-file limit (each connection is a descriptor, and the store, the
 * sockets and the references need some), so that libmicrohttpd refuses
 * connections rather than fail to accept them. */
static unsigned conn_limit(void)
{
	struct rlimit rl;
	unsigned lim = BFTD_HTTP_MAX_CONN;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)BFTD_HTTP_MAX_CONN + 2 * BFTD_HTTP_FD_MARGIN)
		lim = rl.rlim_cur > 3 * BFTD_HTTP_FD_MARGIN ? (unsigned)(rl.rlim_cur - 2 * BFTD_HTTP_FD_MARGIN)
		                                           : (unsigned)(rl.rlim_cur / 3 > 8 ? rl.rlim_cur / 3 : 8);
	return lim;
}

int bftd_http_start(bftd_http **out, const bftd_addr *addr, bftd_http_handler fn, void *ctx, char *err,
                    size_t errlen)
{
	bftd_http *h = calloc(1, sizeof *h);
	unsigned limit = conn_limit();
	if (h)
		h->cand = calloc(limit, sizeof *h->cand);
	if (!h || !h->cand) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	h->fn = fn;
	h->ctx = ctx;
	h->epoll_fd = -1;
	for (size_t i = 0; i < BFTD_HTTP_LINGER; i++)
		h->linger[i].fd = -1;
	h->stats.conn_limit = limit;
	h->reserve = limit / 4 < BFTD_HTTP_RESERVE ? limit / 4 : BFTD_HTTP_RESERVE;
	if (limit < BFTD_HTTP_MAX_CONN)
		bftd_log(LOG_NOTICE, "http: at most %u connections (the open-file limit is low)", limit);
	h->epoll = MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES;
	unsigned flags = MHD_USE_ERROR_LOG;
	if (h->epoll)
		flags |= MHD_USE_EPOLL;
	uint16_t port = 0;
	if (!addr)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	else if (addr->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (addr)
		port = ntohs(addr->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&addr->ss)->sin6_port
		                                            : ((const struct sockaddr_in *)&addr->ss)->sin_port);
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, h },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)limit, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)BFTD_HTTP_PER_IP, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)BFTD_HTTP_TIMEOUT_S, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(32 * 1024), NULL },
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL },
		{ addr ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_END, 0, addr ? (void *)&addr->ss : NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	errno = 0;
	h->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot serve the HTTP API on %s: %s", addr ? addr->text : "(no address)",
		         errno ? strerror(errno) : "libmicrohttpd refused");
		free(h->cand);
		free(h);
		return BFT_EINVAL;
	}
	if (h->epoll) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
		h->epoll_fd = di ? di->epoll_fd : -1;
		if (h->epoll_fd < 0)
			h->epoll = false;
	}
	*out = h;
	return 0;
}

int bftd_http_add_connection(bftd_http *h, int fd, const struct sockaddr *peer, socklen_t peer_len)
{
	/* MHD closes fd when it refuses it. */
	return MHD_add_connection(h->mhd, fd, peer, peer_len) == MHD_YES ? 0 : BFT_EINVAL;
}

void bftd_http_stop(bftd_http *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd); /* closes every connection: on_connection frees each */
	for (size_t i = 0; i < BFTD_HTTP_LINGER; i++)
		if (h->linger[i].fd >= 0)
			close(h->linger[i].fd);
	free(h->cand);
	free(h);
}

/* The lingering sockets' pollfds after the first n of out. */
static size_t linger_pollfds(const bftd_http *h, struct pollfd *out, size_t n, size_t cap)
{
	for (size_t i = 0; i < BFTD_HTTP_LINGER && n < cap; i++)
		if (h->linger[i].fd >= 0)
			out[n++] = (struct pollfd){ .fd = h->linger[i].fd, .events = POLLIN };
	return n;
}

size_t bftd_http_pollfds(bftd_http *h, struct pollfd *out, size_t cap)
{
	if (cap == 0)
		return 0;
	if (h->epoll) {
		out[0] = (struct pollfd){ .fd = h->epoll_fd, .events = POLLIN };
		return linger_pollfds(h, out, 1, cap);
	}
	fd_set rs, ws, es;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	MHD_socket max = -1;
	if (MHD_get_fdset2(h->mhd, &rs, &ws, &es, &max, FD_SETSIZE) != MHD_YES)
		return 0;
	size_t n = 0;
	for (int fd = 0; fd <= max && n < cap; fd++) {
		short ev = (short)((FD_ISSET(fd, &rs) ? POLLIN : 0) | (FD_ISSET(fd, &ws) ? POLLOUT : 0));
		if (ev || FD_ISSET(fd, &es))
			out[n++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	return linger_pollfds(h, out, n, cap);
}

int bftd_http_timeout_ms(bftd_http *h)
{
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	int64_t ms = MHD_get_timeout(h->mhd, &mhd_ms) == MHD_YES ? (int64_t)(mhd_ms > 60000 ? 60000 : mhd_ms) : -1;
	int64_t now = bft_clock_mono_ns(), due = enforce(h, now, false);
	for (size_t i = 0; i < BFTD_HTTP_LINGER; i++)
		if (h->linger[i].fd >= 0 && h->linger[i].until < due)
			due = h->linger[i].until;
	if (due != INT64_MAX) {
		int64_t ours = due <= now ? 0 : (due - now + 999999) / 1000000;
		if (ms < 0 || ours < ms)
			ms = ours;
	}
	/* Shut down connections are closed by MHD when it sees them; should the
	 * wake-up be missed, look again soon. */
	if (h->n_doomed && (ms < 0 || ms > 50))
		ms = 50;
	return ms > 60000 ? 60000 : (int)ms;
}

void bftd_http_service(bftd_http *h, const struct pollfd *pfds, size_t n)
{
	if (h->epoll) {
		MHD_run(h->mhd); /* processes what epoll reports, and timeouts; never blocks */
	} else {
		fd_set rs, ws, es;
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		for (size_t i = 0; i < n; i++) {
			if (pfds[i].fd < 0 || pfds[i].fd >= FD_SETSIZE)
				continue;
			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
				FD_SET(pfds[i].fd, &rs);
			if (pfds[i].revents & (POLLOUT | POLLERR))
				FD_SET(pfds[i].fd, &ws);
		}
		MHD_run_from_select(h->mhd, &rs, &ws, &es);
	}
	/* What falls due later, bftd_http_timeout_ms tells the loop. A
	 * socket that began to linger in this MHD_run is read at once. */
	int64_t now = bft_clock_mono_ns();
	(void)enforce(h, now, true);
	linger_drain(h, now);
}

const bftd_http_stats *bftd_http_get_stats(const bftd_http *h) { return &h->stats; }

void bftd_http_reply_json(bftd_http_response *resp, unsigned status, void *obj)
{
	json_object *o = obj;
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t l = strlen(s);
	resp->body = malloc(l + 2);
	if (!resp->body) {
		json_object_put(o);
		bftd_http_error(resp, 500, "no_memory", "out of memory");
		return;
	}
	memcpy(resp->body, s, l);
	resp->body[l] = '\n';
	resp->body[l + 1] = 0;
	resp->body_len = l + 1;
	resp->status = status;
	resp->content_type = "application/json";
	json_object_put(o);
}
