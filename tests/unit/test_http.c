/* SPDX-License-Identifier: MIT */
/*
 * The API's pure parts (src/daemon/api.h): RFC 3339 in and out, the
 * POST /v1/proofs and /v1/validate body parsers, the GET /v1/proofs query,
 * the validate verdict, and the router's 404 / 405 answers; gossip's
 * reading of a peer's answers (src/daemon/gossip.h); and the server's
 * limits per address and its reserve (src/daemon/http.h), on connections
 * handed to it through socketpairs. The routes themselves run against real
 * daemons in tests/system/test_api.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/api.h"
#include "daemon/gossip.h"

static void test_rfc3339(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(bftd_rfc3339_parse("1970-01-01T00:00:00Z", 20, &t), 0);
	assert_int_equal(t, 0);
	const char *s = "2024-02-29T12:34:56.123456789Z";
	assert_int_equal(bftd_rfc3339_parse(s, strlen(s), &t), 0);
	assert_int_equal(t, INT64_C(1709210096123456789));
	char buf[48];
	assert_string_equal(bftd_rfc3339_format(buf, sizeof buf, t), s);
	s = "2024-02-29T14:34:56.5+02:00";
	assert_int_equal(bftd_rfc3339_parse(s, strlen(s), &t), 0);
	assert_int_equal(t, INT64_C(1709210096500000000));
	assert_string_equal(bftd_rfc3339_format(buf, sizeof buf, -1), "1969-12-31T23:59:59.999999999Z");
	/* Round trip over a spread of times. */
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t v = (int64_t)(x % (uint64_t)(INT64_MAX - 2 * BFT_NS_PER_SEC));
		int64_t back;
		bftd_rfc3339_format(buf, sizeof buf, v);
		assert_int_equal(bftd_rfc3339_parse(buf, strlen(buf), &back), 0);
		assert_int_equal(back, v);
	}
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
		"2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567891Z", "1969-12-31T00:00:00Z",
		"2024-01-01T00:00:00+0100", "2024-01-01T00:00:00Zjunk", "9999-01-01T00:00:00Z", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_rfc3339_parse(bad[i], strlen(bad[i]), &t), 0);
	assert_int_equal(bftd_time_arg_parse("-5", &t), 0);
	assert_int_equal(t, -5);
	assert_int_not_equal(bftd_time_arg_parse("5x", &t), 0);
	assert_int_not_equal(bftd_time_arg_parse("99999999999999999999", &t), 0);
}

static void test_parse_proofs(void **state)
{
	(void)state;
	static uint8_t out[4][BFT_PROOF_MAX];
	size_t lens[4], n;
	char err[200];
	char body[4 * BFT_PROOF_MAX + 64];
	char hex[2 * BFT_PROOF_MIN + 1];
	memset(hex, 'a', 2 * BFT_PROOF_MIN);
	hex[2 * BFT_PROOF_MIN] = 0;
	snprintf(body, sizeof body, "{\"proof\": \"%s\"}\n", hex);
	assert_int_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), "application/json", out, lens, 4, &n,
	                                       err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lens[0], BFT_PROOF_MIN);
	assert_int_equal(out[0][0], 0xaa);
	snprintf(body, sizeof body, "{\"proofs\": [\"%s\", \"%s\"]}", hex, hex);
	assert_int_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), NULL, out, lens, 4, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	static const char *const bad[] = {
		"", "garbage", "[]", "{}", "{\"proof\": 5}", "{\"proof\": \"abc\"}", "{\"proofs\": []}", "{\"proofs\": {}}",
		"{\"proof\": \"00\", \"x\": 1}", "{\"proofs\": [1]}", "{\"proof\": \"zz\"} trailing",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_api_parse_proofs((const uint8_t *)bad[i], strlen(bad[i]), NULL, out, lens, 4, &n, err,
		                                           sizeof err), 0);
	/* More than cap. */
	snprintf(body, sizeof body, "{\"proofs\": [\"%s\", \"%s\"]}", hex, hex);
	assert_int_not_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), NULL, out, lens, 1, &n, err, sizeof err), 0);
	/* Raw bytes. */
	uint8_t raw[BFT_PROOF_MIN] = { 0 };
	assert_int_equal(bftd_api_parse_proofs(raw, sizeof raw, "application/octet-stream", out, lens, 4, &n, err, sizeof err), 0);
	assert_int_not_equal(bftd_api_parse_proofs(raw, 10, "application/octet-stream", out, lens, 4, &n, err, sizeof err), 0);
}

static void test_validate(void **state)
{
	(void)state;
	int64_t ts, tol;
	char err[200];
	const char *b = "{\"timestamp\": \"1970-01-01T00:00:01Z\", \"tolerance\": \"1ms\"}";
	assert_int_equal(bftd_api_parse_validate((const uint8_t *)b, strlen(b), &ts, &tol, err, sizeof err), 0);
	assert_int_equal(ts, BFT_NS_PER_SEC);
	assert_int_equal(tol, 1000000);
	b = "{\"timestamp\": 42}";
	assert_int_equal(bftd_api_parse_validate((const uint8_t *)b, strlen(b), &ts, &tol, err, sizeof err), 0);
	assert_int_equal(ts, 42);
	assert_int_equal(tol, 0);
	b = "{\"timestamp\": \"now\", \"tolerance\": \"1ms\"}";
	assert_int_equal(bftd_api_parse_validate((const uint8_t *)b, strlen(b), &ts, &tol, err, sizeof err), 0);
	assert_true(ts == BFTD_VALIDATE_NOW);
	static const char *const bad[] = {
		"{}", "{\"timestamp\": \"x\"}", "{\"timestamp\": 1, \"tolerance\": -1}", "{\"timestamp\": 1, \"tolerance\": \"2d\"}",
		"{\"timestamp\": 1, \"other\": 1}", "{\"timestamp\": 1.5}", "{\"timestamp\": 1, \"tolerance\": \"25h\"}",
		"{\"timestamp\": 99999999999999999999}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_api_parse_validate((const uint8_t *)bad[i], strlen(bad[i]), &ts, &tol, err, sizeof err), 0);
	int64_t d;
	bft_interval iv = bft_iv(1000, 2000);
	assert_true(bftd_api_validate(1500, 0, iv, &d) && d == 0);
	assert_true(bftd_api_validate(2100, 100, iv, &d) && d == 0);
	assert_false(bftd_api_validate(2101, 100, iv, &d));
	assert_int_equal(d, 1);
	assert_false(bftd_api_validate(800, 100, iv, &d));
	assert_int_equal(d, 100);
	assert_true(bftd_api_validate(INT64_MAX, INT64_MAX, bft_iv(INT64_MIN, INT64_MAX), &d));
}

static void test_router_errors(void **state)
{
	(void)state;
	bftd_api_env env = { 0 };
	bftd_http_request req = { .method = "GET", .path = "/nope" };
	bftd_http_response resp = { 0 };
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 404);
	assert_non_null(strstr(resp.body, "\"error\":\"not_found\""));
	free(resp.body);
	memset(&resp, 0, sizeof resp);
	req.path = "/v1/validate"; /* POST only */
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 405);
	free(resp.body);
	memset(&resp, 0, sizeof resp);
	req.method = "DELETE";
	req.path = "/v1/proofs";
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 405);
	free(resp.body);
	/* An error message with quotes stays valid JSON. */
	memset(&resp, 0, sizeof resp);
	bftd_http_error(&resp, 400, "bad", "a \"quoted\" message\n");
	assert_non_null(strstr(resp.body, "a \\\"quoted\\\" message\\n"));
	free(resp.body);
}

static void test_parse_query(void **state)
{
	(void)state;
	bftd_http_request req = { .method = "GET", .path = "/v1/proofs" };
	bft_store_query q;
	char err[120];
	assert_int_equal(bftd_api_parse_query(&req, &q, err, sizeof err), 0);
	assert_true(q.all_nodes);
	assert_int_equal(q.limit, BFTD_API_DEFAULT_LIMIT);
	assert_false(q.newest_first);
	const char *names[] = { "node", "limit", "order", "since", "other" };
	const char *values[] = { "4294967295", "1000", "newest", "2024-06-01T12:00:00Z", "x" };
	for (int i = 0; i < 5; i++) {
		req.arg_name[i] = names[i];
		req.arg_value[i] = values[i];
	}
	req.n_args = 5;
	assert_int_equal(bftd_api_parse_query(&req, &q, err, sizeof err), 0);
	assert_false(q.all_nodes);
	assert_int_equal(q.node_id, UINT32_MAX);
	assert_int_equal(q.limit, 1000);
	assert_true(q.newest_first);
	assert_int_equal(q.since_ns, INT64_C(1717243200000000000));
	/* Each bad value is refused with a message naming its argument. */
	static const struct {
		int arg;
		const char *value, *msg;
	} bad[] = {
		{ 0, "4294967296", "node:" }, { 0, "", "node:" },     { 0, "-1", "node:" }, { 0, "+1", "node:" },
		{ 0, "1x", "node:" },         { 1, "0", "limit:" },   { 1, "1001", "limit:" },
		{ 1, "18446744073709551617", "limit:" }, { 2, "NEWEST", "order:" }, { 2, "", "order:" },
		{ 3, "yesterday", "since:" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		req.arg_value[bad[i].arg] = bad[i].value;
		err[0] = 0;
		assert_int_equal(bftd_api_parse_query(&req, &q, err, sizeof err), BFT_EINVAL);
		assert_non_null(strstr(err, bad[i].msg));
		req.arg_value[bad[i].arg] = values[bad[i].arg];
	}
}

/* A catch-up answer with n proofs, seq n-1 first (newest first, as asked),
 * each proof BFT_PROOF_MIN bytes of its seq. */
static char *catchup_answer(size_t n, const char *extra)
{
	size_t cap = 64 + n * (2 * BFT_PROOF_MIN + 32) + strlen(extra);
	char *s = malloc(cap);
	assert_non_null(s);
	size_t l = (size_t)snprintf(s, cap, "{\"node\": 2, \"proofs\": [%s", extra);
	for (size_t i = 0; i < n; i++) {
		l += (size_t)snprintf(s + l, cap - l, "%s{\"seq\": %zu, \"bytes\": \"", i || *extra ? ", " : "", n - 1 - i);
		for (size_t k = 0; k < BFT_PROOF_MIN; k++)
			l += (size_t)snprintf(s + l, cap - l, "%02x", (unsigned)((n - 1 - i) & 0xff));
		l += (size_t)snprintf(s + l, cap - l, "\"}");
	}
	snprintf(s + l, cap - l, "]}\n");
	return s;
}

static void test_gossip_answers(void **state)
{
	(void)state;
	static uint8_t out[BFTD_GOSSIP_BATCH][BFT_PROOF_MAX];
	size_t lens[BFTD_GOSSIP_BATCH];
	/* A hostile peer sending more than the batch asked for: only the
	 * newest batch is taken, oldest first. */
	char *a = catchup_answer(40, "");
	assert_int_equal(bftd_gossip_parse_catchup(a, strlen(a), out, lens, BFTD_GOSSIP_BATCH), BFTD_GOSSIP_BATCH);
	for (size_t i = 0; i < BFTD_GOSSIP_BATCH; i++) {
		assert_int_equal(lens[i], BFT_PROOF_MIN);
		assert_int_equal(out[i][0], 40 - BFTD_GOSSIP_BATCH + i);
	}
	free(a);
	/* Members that are not hex proofs are skipped. */
	a = catchup_answer(3, "{\"bytes\": \"zz\"}, 5, null, {\"bytes\": 7}, [\"00\"]");
	assert_int_equal(bftd_gossip_parse_catchup(a, strlen(a), out, lens, BFTD_GOSSIP_BATCH), 3);
	assert_int_equal(out[0][0], 0);
	assert_int_equal(out[2][0], 2);
	/* The same answer with trailing garbage, a NUL, or cut short: nothing. */
	size_t l = strlen(a);
	a[l - 1] = 'x';
	assert_int_equal(bftd_gossip_parse_catchup(a, l, out, lens, BFTD_GOSSIP_BATCH), 0);
	a[l / 2] = 0;
	assert_int_equal(bftd_gossip_parse_catchup(a, l, out, lens, BFTD_GOSSIP_BATCH), 0);
	assert_int_equal(bftd_gossip_parse_catchup(a, l / 2, out, lens, BFTD_GOSSIP_BATCH), 0);
	free(a);
	/* Nested deeper than our answers ever are: refused. */
	const char *deep = "{\"proofs\": [[[[[[[[[[{\"bytes\": \"00\"}]]]]]]]]]]}";
	assert_int_equal(bftd_gossip_parse_catchup(deep, strlen(deep), out, lens, BFTD_GOSSIP_BATCH), 0);
	static const struct {
		const char *body;
		bool gap;
	} posts[] = {
		{ "{\"accepted\": 2, \"results\": [{\"node\": 1, \"seq\": 16, \"result\": \"gap\"}, {\"result\": \"new\"}]}", true },
		{ "{\"results\": [{\"result\": \"new\"}, {\"result\": \"gap\"}]}", false },
		{ "{\"results\": [\"gap\"]}", false },
		{ "{\"results\": {\"result\": \"gap\"}}", false },
		{ "{\"results\": [{\"result\": [\"gap\"]}]}", false },
		{ "{\"results\": []}", false },
		{ "[{\"result\": \"gap\"}]", false },
		{ "", false },
	};
	for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++)
		assert_int_equal(bftd_gossip_first_is_gap(posts[i].body, strlen(posts[i].body)), posts[i].gap);
}

/* ---- the server's limits, through socketpairs ---------------------------- */

static void ok_handler(void *ctx, const bftd_http_request *req, bftd_http_response *resp)
{
	(void)ctx;
	(void)req;
	resp->status = 200;
	resp->content_type = "text/plain";
	resp->body = strdup("ok\n");
	resp->body_len = 3;
}

/* A client connection "from" 10.0.0.ip (0: not an IP client); -1 when refused. */
static int client(bftd_http *h, int ip)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u | (uint32_t)ip) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int rc = ip ? bftd_http_add_connection(h, sv[0], (struct sockaddr *)&in, sizeof in)
	            : bftd_http_add_connection(h, sv[0], (struct sockaddr *)&un, sizeof un);
	if (rc != 0) {
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

/* Serve and read the answer's status line (0: none). */
static int answer(bftd_http *h, int fd)
{
	char buf[512];
	size_t got = 0;
	for (int turn = 0; turn < 200 && got < sizeof buf - 1; turn++) {
		bftd_http_service(h, NULL, 0);
		ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
		if (r > 0)
			got += (size_t)r;
		if (r == 0 || memchr(buf, '\n', got))
			break;
	}
	buf[got] = 0;
	int status = 0;
	return sscanf(buf, "HTTP/1.1 %d", &status) == 1 ? status : 0;
}

/* Send a GET, serve, and return the answer's status (0: none, closed). */
static int ask(bftd_http *h, int fd)
{
	const char *rq = "GET /v1/time HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	assert_int_equal(write(fd, rq, strlen(rq)), (ssize_t)strlen(rq));
	return answer(h, fd);
}

static void serve_until_closed(bftd_http *h)
{
	for (int turn = 0; turn < 200 && bftd_http_get_stats(h)->connections; turn++)
		bftd_http_service(h, NULL, 0);
}

static void test_limits(void **state)
{
	(void)state;
	bftd_http *h;
	char err[200];
	assert_int_equal(bftd_http_start(&h, NULL, ok_handler, NULL, err, sizeof err), 0);
	const bftd_http_stats *st = bftd_http_get_stats(h);
	/* Per address: 16 connections at once; a 17th is refused, another
	 * address is not. */
	int fds[BFTD_HTTP_MAX_CONN];
	for (int i = 0; i < BFTD_HTTP_PER_IP; i++)
		assert_true((fds[i] = client(h, 1)) >= 0);
	assert_int_equal(client(h, 1), -1);
	int other = client(h, 2);
	assert_true(other >= 0);
	assert_int_equal(ask(h, other), 200);
	close(other);
	for (int i = 0; i < BFTD_HTTP_PER_IP; i++)
		close(fds[i]);
	serve_until_closed(h);
	assert_int_equal(st->connections, 0);
	/* The rate per address: a burst of 100, then 429 (the connection closed). */
	int ok = 0, limited = 0;
	for (int i = 0; i < BFTD_HTTP_RATE_BURST + 10; i++) {
		int fd = client(h, 3), s = ask(h, fd);
		ok += s == 200;
		limited += s == 429;
		close(fd);
		serve_until_closed(h);
	}
	assert_true(ok >= BFTD_HTTP_RATE_BURST && ok < BFTD_HTTP_RATE_BURST + 10);
	assert_int_equal(ok + limited, BFTD_HTTP_RATE_BURST + 10);
	assert_int_equal(st->rate_limited, (uint64_t)limited);
	/* The reserve: with more than cap - reserve connections waiting for a
	 * request, the ones waiting longest are closed; one that asks is answered. */
	unsigned keep = st->conn_limit - (st->conn_limit / 4 < BFTD_HTTP_RESERVE ? st->conn_limit / 4 : BFTD_HTTP_RESERVE);
	int n = 0;
	for (int ip = 10; n < (int)keep + 20; ip++)
		for (int k = 0; k < BFTD_HTTP_PER_IP && n < (int)keep + 20; k++)
			assert_true((fds[n++] = client(h, ip)) >= 0);
	bftd_http_service(h, NULL, 0);
	assert_int_equal(st->closed_pressure, 0); /* not yet: none has waited BFTD_HTTP_PRESSURE_MS */
	usleep((BFTD_HTTP_PRESSURE_MS + 20) * 1000);
	bftd_http_service(h, NULL, 0);
	assert_int_equal(st->closed_pressure, 20);
	serve_until_closed(h); /* no-op while others stay open: bounded turns */
	assert_true(st->connections <= keep);
	int late = client(h, 200);
	assert_true(late >= 0);
	assert_int_equal(ask(h, late), 200);
	close(late);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	serve_until_closed(h);
	assert_int_equal(st->connections, 0);
	assert_int_equal(st->closed_deadline, 0);
	bftd_http_stop(h);
}

/* Write all of buf to the client socket, serving between writes. */
static void send_all(bftd_http *h, int fd, const char *buf, size_t len)
{
	for (int turn = 0; len && turn < 100000; turn++) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
		} else {
			assert_true(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		}
		bftd_http_service(h, NULL, 0);
	}
	assert_int_equal(len, 0);
}

/* Bodies over BFTD_HTTP_MAX_BODY: a declared one is answered 413 before it
 * is read, and the connection lingers: the client can go on sending after
 * the answer (with a plain close it would meet a reset, EPIPE here) until
 * it closes. A chunked one is read and dropped to its end, then 413. */
static void test_too_large(void **state)
{
	(void)state;
	bftd_http *h;
	char err[200];
	assert_int_equal(bftd_http_start(&h, NULL, ok_handler, NULL, err, sizeof err), 0);
	const bftd_http_stats *st = bftd_http_get_stats(h);
	static char chunk[65536];
	memset(chunk, 'a', sizeof chunk);

	int fd = client(h, 1);
	assert_true(fd >= 0);
	const char *rq = "POST /v1/proofs HTTP/1.1\r\nHost: t\r\nContent-Length: 2300000\r\n\r\n";
	send_all(h, fd, rq, strlen(rq));
	assert_int_equal(answer(h, fd), 413);
	serve_until_closed(h);
	assert_int_equal(st->connections, 0);
	assert_int_equal(st->lingered, 1);
	for (int i = 0; i < 8; i++) /* still read (and dropped): no EPIPE */
		send_all(h, fd, chunk, sizeof chunk);
	close(fd);
	bftd_http_service(h, NULL, 0);

	fd = client(h, 2);
	assert_true(fd >= 0);
	rq = "POST /v1/proofs HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
	send_all(h, fd, rq, strlen(rq));
	for (size_t sent = 0; sent < BFTD_HTTP_MAX_BODY + 200000; sent += sizeof chunk) {
		char head[32];
		int n = snprintf(head, sizeof head, "%zx\r\n", sizeof chunk);
		send_all(h, fd, head, (size_t)n);
		send_all(h, fd, chunk, sizeof chunk);
		send_all(h, fd, "\r\n", 2);
	}
	send_all(h, fd, "0\r\n\r\n", 5);
	assert_int_equal(answer(h, fd), 413);
	assert_int_equal(st->too_large, 2);
	close(fd);
	serve_until_closed(h);
	assert_int_equal(st->connections, 0);
	bftd_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_parse_proofs),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_router_errors),
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_gossip_answers),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_too_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
