/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for HTTP request handling as a client meets it: the
 * input is the raw bytes a client sends on one connection (request lines,
 * headers, query strings, bodies plain or chunked, several pipelined
 * requests), handed to the daemon's HTTP server (src/daemon/http.c, with
 * libmicrohttpd) through a socketpair, then the client's end half-closes.
 * The server's answers go to the API's router (api_env.h: a synchronized
 * node and a store with two chains). Nothing may read outside its
 * buffers; every answer must be HTTP; the connection must be closed and
 * forgotten (the server's connection count back to 0) once the client is
 * gone. With FUZZ_HTTP_SEEDS=DIR set, the target first writes its seed
 * corpus into DIR; with FUZZ_HTTP_DUMP set, it prints the answers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_env.h"
#include "daemon/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_seeds(const char *dir)
{
	static const struct {
		const char *name, *text;
	} plain[] = {
		{ "time", "GET /v1/time HTTP/1.1\r\nHost: bftime\r\n\r\n" },
		{ "time_close", "GET /v1/time HTTP/1.1\r\nHost: bftime\r\nConnection: close\r\n\r\n" },
		{ "time_http10", "GET /v1/time HTTP/1.0\r\n\r\n" },
		{ "head_status", "HEAD /v1/status HTTP/1.1\r\nHost: x\r\n\r\n" },
		{ "pipelined", "GET /v1/time HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/peers HTTP/1.1\r\nHost: a\r\n\r\n"
		               "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "proofs_args", "GET /v1/proofs?node=2&limit=3&order=newest&since=2024-06-01T12%3A00%3A02Z HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "proofs_args_bad", "GET /v1/proofs?node=%zz&limit=&order&&=x&limit=1001 HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "proofs_many_args", "GET /v1/proofs?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12&m=13&n=14&o=15&p=16&node=1 HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "validate", "POST /v1/validate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 56\r\n\r\n"
		              "{\"timestamp\":\"2024-06-01T12:00:00Z\",\"tolerance\":\"1ms\"}\r\n" },
		{ "validate_chunked", "POST /v1/validate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		                      "10\r\n{\"timestamp\":171\r\n15\r\n7243200000000000}   \r\n0\r\n\r\n" },
		{ "too_large", "POST /v1/proofs HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n{\"proofs\":[" },
		{ "chunked_huge", "POST /v1/proofs HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nxx" },
		{ "expect_continue", "POST /v1/validate HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}" },
		{ "bad_request_line", "GET\r\n\r\n" },
		{ "no_version", "GET /v1/time\r\n\r\n" },
		{ "folded_header", "GET /v1/time HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n" },
		{ "options_star", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "unknown_path", "DELETE /v1/proofs/../../etc HTTP/1.1\r\nHost: a\r\n\r\n" },
		{ "incomplete", "GET /v1/time HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n" },
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		fuzz_api_write_seed(dir, plain[i].name, plain[i].text);
	char hex[2 * BFT_PROOF_MAX + 1], body[2 * BFT_PROOF_MAX + 64], text[sizeof body + 256];
	fuzz_api_proof_hex(hex, 2, FUZZ_CHAIN);
	snprintf(body, sizeof body, "{\"proofs\":[\"%s\"]}", hex);
	snprintf(text, sizeof text,
	         "POST /v1/proofs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	         strlen(body), body);
	fuzz_api_write_seed(dir, "post_proof", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bftd_http *h;
	if (!h) {
		char err[200];
		if (bftd_http_start(&h, NULL, bftd_api_handle, (void *)fuzz_api_env(), err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
		const char *dir = getenv("FUZZ_HTTP_SEEDS");
		if (dir)
			write_seeds(dir);
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	/* Not an IP client: neither the per-address cap nor the rate limit
	 * applies, so every input meets the same server. */
	struct sockaddr_un peer = { .sun_family = AF_UNIX };
	if (bftd_http_add_connection(h, sv[0], (const struct sockaddr *)&peer, sizeof peer) != 0) {
		close(sv[1]);
		return 0;
	}
	size_t off = 0;
	static uint8_t answer[1 << 20];
	size_t got = 0;
	bool closed = false, wrapped = false;
	for (int turn = 0; turn < 200 && !closed; turn++) {
		if (off < size) {
			ssize_t w = write(sv[1], data + off, size - off);
			if (w > 0)
				off += (size_t)w;
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		} else if (size == 0 && turn == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		bftd_http_service(h, NULL, 0);
		for (;;) {
			ssize_t r = read(sv[1], answer + got, sizeof answer - got);
			if (r > 0) {
				got += (size_t)r;
				if (got == sizeof answer) {
					/* The answer starts as HTTP does, checked before the
					 * buffer is reused for the rest (50 pipelined requests
					 * for the 28 kB dashboard fill it). */
					if (memcmp(answer, "HTTP/", 5) != 0)
						abort();
					wrapped = true;
					got = 0;
				}
				continue;
			}
			if (r == 0)
				closed = true;
			break;
		}
	}
	if (!wrapped && got >= 5 && memcmp(answer, "HTTP/", 5) != 0)
		abort();
	if (getenv("FUZZ_HTTP_DUMP")) /* what the server answered, to see what an input reaches */
		fwrite(answer, 1, got, stderr);
	close(sv[1]);
	/* The client is gone: the server must let go of the connection. */
	for (int turn = 0; turn < 100 && bftd_http_get_stats(h)->connections; turn++)
		bftd_http_service(h, NULL, 0);
	if (bftd_http_get_stats(h)->connections)
		abort();
	return 0;
}
