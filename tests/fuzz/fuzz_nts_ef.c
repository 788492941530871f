/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NTS extension-field code (src/proto/nts.c): any
 * bytes as a request to the server's check (under a fixed server key) and
 * as a reply to the client's check (fixed session key and UID), and the
 * bare field walker from offset 0 (the decrypted-plaintext case). Nothing is
 * read outside the buffer; pointers the walker returns lie inside it; a
 * request the server accepts yields a reply no longer than the request that
 * the client, holding the cookie's keys, accepts in turn.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bft_siv *siv;

static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && (p < data || p + n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!siv) {
		char err[160];
		if (bft_siv_new(&siv, err, sizeof err) != 0)
			abort();
	}
	bft_nts_ef_view v;
	if (bft_nts_ef_parse(&v, data, 0, size, NULL) == 0) {
		inside(v.uid, v.uid_len, data, size);
		inside(v.cookie, v.cookie_len, data, size);
		if (v.have_auth) {
			inside(v.nonce, v.nonce_len, data, size);
			inside(v.ct, v.ct_len, data, size);
		}
	}
	static const bft_nts_server_key k = { .id = 1, .key = { 7 } };
	bft_nts_request rq;
	const char *why;
	enum bft_nts_srv s = bft_nts_server_check(siv, &rq, &k, 1, data, size, &why);
	if (s >= BFT_NTS_SRV_COUNT)
		abort();
	if (s == BFT_NTS_SRV_OK) {
		uint8_t cookie[BFT_NTS_COOKIE_LEN], nonce[16] = { 3 }, out[BFT_NTS_MAX_PACKET];
		const uint8_t *cs[BFT_NTSKE_MAX_COOKIES];
		size_t cl[BFT_NTSKE_MAX_COOKIES];
		if (bft_nts_cookie_seal(siv, cookie, &k, nonce, rq.c2s, rq.s2c) != 0)
			abort();
		for (size_t i = 0; i < rq.n_cookies_wanted; i++)
			cs[i] = cookie, cl[i] = sizeof cookie;
		size_t n = bft_nts_server_reply(siv, out, sizeof out, data, &rq, nonce, cs, cl, rq.n_cookies_wanted);
		bft_nts_cookies ck;
		if (n == 0 || n > size ||
		    bft_nts_client_check(siv, &ck, rq.s2c, rq.v.uid, rq.v.uid_len, out, n) != BFT_NTS_CLI_OK ||
		    ck.n != rq.n_cookies_wanted)
			abort();
	}
	uint8_t uid[32] = { 0 }, s2c[32] = { 0 };
	bft_nts_cookies ck;
	enum bft_nts_cli c = bft_nts_client_check(siv, &ck, s2c, uid, sizeof uid, data, size);
	if (c >= BFT_NTS_CLI_COUNT || ck.n > BFT_NTSKE_MAX_COOKIES)
		abort();
	return 0;
}
