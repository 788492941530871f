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
 * chunked body that grows too large is read and discarded, then refused.
 */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include <bftime/common.h>

#include "daemon/log.h"

struct bftd_http {
	struct MHD_Daemon *mhd;
	bool epoll;
	int epoll_fd;
	bftd_http_handler fn;
	void *ctx;
	bftd_http_stats stats;
};

/* Per-request state, from the first call of the access handler to completion. */
struct req_state {
	uint8_t *body;
	size_t len, cap;
	bool cut; /* the body passed the limit: nothing more is read, nothing is handled */
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

static enum MHD_Result send_response(bftd_http *h, struct MHD_Connection *conn, bftd_http_response *resp)
{
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
	enum MHD_Result ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
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
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > BFTD_HTTP_MAX_BODY) {
			h->stats.too_large++;
			bftd_http_response resp = { 0 };
			bftd_http_error(&resp, 413, "too_large", "request body larger than 65536 bytes");
			return send_response(h, conn, &resp);
		}
		return MHD_YES;
	}
	if (st->cut) { /* after the cut-off: never handled; more body closes, the end lets a queued 413 go */
		bool more = *upload_data_size != 0;
		*upload_data_size = 0;
		return more ? MHD_NO : MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (n > BFTD_HTTP_MAX_BODY - st->len) {
			st->cut = true;
			/* No Content-Length (chunked) and now too large: answer 413
			 * at once rather than reading the rest, so a slow sender
			 * cannot hold one of the connections for as long as it
			 * likes; if libmicrohttpd cannot queue a reply mid-body,
			 * MHD_NO closes the connection. */
			h->stats.too_large++;
			bftd_http_response resp = { 0 };
			bftd_http_error(&resp, 413, "too_large", "request body larger than 65536 bytes");
			return send_response(h, conn, &resp);
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
	(void)conn;
	(void)toe;
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

int bftd_http_start(bftd_http **out, const bftd_addr *addr, bftd_http_handler fn, void *ctx, char *err,
                    size_t errlen)
{
	bftd_http *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	h->fn = fn;
	h->ctx = ctx;
	h->epoll_fd = -1;
	h->epoll = MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES;
	unsigned flags = MHD_USE_ERROR_LOG;
	if (h->epoll)
		flags |= MHD_USE_EPOLL;
	if (addr->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = ntohs(addr->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&addr->ss)->sin6_port
	                                                     : ((const struct sockaddr_in *)&addr->ss)->sin_port);
	errno = 0;
	h->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
	                          MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr->ss,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)BFTD_HTTP_MAX_CONN,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)BFTD_HTTP_TIMEOUT_S,
	                          MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	                          MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                          MHD_OPTION_END);
	if (!h->mhd) {
		snprintf(err, errlen, "cannot serve the HTTP API on %s: %s", addr->text,
		         errno ? strerror(errno) : "libmicrohttpd refused");
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

void bftd_http_stop(bftd_http *h)
{
	if (!h)
		return;
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	free(h);
}

size_t bftd_http_pollfds(bftd_http *h, struct pollfd *out, size_t cap)
{
	if (cap == 0)
		return 0;
	if (h->epoll) {
		out[0] = (struct pollfd){ .fd = h->epoll_fd, .events = POLLIN };
		return 1;
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
	return n;
}

int bftd_http_timeout_ms(bftd_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (int)ms;
}

void bftd_http_service(bftd_http *h, const struct pollfd *pfds, size_t n)
{
	if (h->epoll) {
		MHD_run(h->mhd); /* processes what epoll reports, and timeouts; never blocks */
		return;
	}
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

const bftd_http_stats *bftd_http_get_stats(const bftd_http *h) { return &h->stats; }
