/* SPDX-License-Identifier: MIT */
/*
 * Tests of AEAD_AES_SIV_CMAC_256 (src/proto/aes_siv.c) and of the NTS codec
 * (src/proto/nts.c): RFC 5297's two test vectors through both paths, OpenSSL's
 * EVP "AES-128-SIV" and ours (CMAC on EVP AES-128-CBC, the counter mode on
 * AES-128-ECB); the two paths byte-identical on 4000 seeded random inputs of
 * 1..1200 bytes with 1..4 associated data (keys coming back, now and then
 * several CBC calls' worth), each opening the other's output; the empty plaintext
 * (which only ours can do) deterministic and tamper-evident; NTS-KE
 * messages built and parsed back, incomplete, malformed and semantically
 * refused; cookies sealed and opened under the current and the previous
 * server key, and refused under a forgotten one; a whole NTS exchange,
 * client request -> server check -> reply -> client check, and each way it
 * must fail: a flipped bit anywhere, another exchange's UID (a replay), an
 * NTS NAK, a reply stripped of its authenticator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>

#include "proto/aes_siv.h"
#include "proto/nts.h"

static size_t unhex(uint8_t *out, const char *h)
{
	size_t n = 0;
	while (*h) {
		if (*h == ' ') {
			h++;
			continue;
		}
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static bft_siv *siv;

static void test_rfc5297_a1(void **state)
{
	(void)state;
	uint8_t key[32], ad[64], pt[64], want[64], out[64], back[64];
	unhex(key, "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	size_t adl = unhex(ad, "101112131415161718191a1b1c1d1e1f2021222324252627");
	size_t ptl = unhex(pt, "112233445566778899aabbccddee");
	size_t wl = unhex(want, "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c");
	assert_int_equal(wl, ptl + 16);
	bft_siv_ad a[1] = { { ad, adl } };
	assert_int_equal(bft_siv_seal_evp(siv, out, key, a, 1, pt, ptl), 0);
	assert_memory_equal(out, want, wl);
	assert_int_equal(bft_siv_open_evp(siv, back, key, a, 1, out, wl), 0);
	assert_memory_equal(back, pt, ptl);
	assert_int_equal(bft_siv_seal(siv, out, key, a, 1, pt, ptl), 0);
	assert_memory_equal(out, want, wl);
	assert_int_equal(bft_siv_open(siv, back, key, a, 1, out, wl), 0);
	assert_memory_equal(back, pt, ptl);
	out[3] ^= 1;
	assert_int_equal(bft_siv_open(siv, back, key, a, 1, out, wl), BFT_EINVAL);
}

static void test_rfc5297_a2(void **state)
{
	(void)state;
	uint8_t key[32], ad1[64], ad2[16], nonce[16], pt[64], want[96], out[96], back[64];
	unhex(key, "7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f");
	size_t l1 = unhex(ad1, "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100");
	size_t l2 = unhex(ad2, "102030405060708090a0");
	size_t nl = unhex(nonce, "09f911029d74e35bd84156c5635688c0");
	size_t ptl = unhex(pt, "7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553");
	size_t wl = unhex(want, "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17"
	                        "dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d");
	assert_int_equal(wl, ptl + 16);
	bft_siv_ad a[3] = { { ad1, l1 }, { ad2, l2 }, { nonce, nl } };
	assert_int_equal(bft_siv_seal_evp(siv, out, key, a, 3, pt, ptl), 0);
	assert_memory_equal(out, want, wl);
	assert_int_equal(bft_siv_seal(siv, out, key, a, 3, pt, ptl), 0);
	assert_memory_equal(out, want, wl);
	assert_int_equal(bft_siv_open(siv, back, key, a, 3, out, wl), 0);
	assert_memory_equal(back, pt, ptl);
	/* Swapping two AD components changes the SIV. */
	bft_siv_ad b[3] = { { ad2, l2 }, { ad1, l1 }, { nonce, nl } };
	assert_int_equal(bft_siv_open(siv, back, key, b, 3, out, wl), BFT_EINVAL);
}

static uint64_t rng = 17;
static uint8_t rnd8(void)
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (uint8_t)(rng >> 56);
}

/* Random keys, associated data and plaintexts, the fast path against
 * OpenSSL's own SIV. Keys come back (one of three, or a fresh one), as an
 * NTS server's cookie key does between sessions' keys, so the kept
 * schedules and their CBC chaining values carry from call to call; now and
 * then an AD spans several of the CMAC's 64-block calls. */
static void test_paths_agree(void **state)
{
	(void)state;
	static uint8_t ad[4][2100];
	uint8_t keys[3][32], pt[1200], a[1216], b[1216], back[1200];
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 32; i++)
			keys[k][i] = rnd8();
	for (int it = 0; it < 4000; it++) {
		size_t n_ad = 1 + rnd8() % 4, len = 1 + (size_t)(rnd8() | rnd8() << 8) % 1200;
		bft_siv_ad v[4];
		uint8_t *key = keys[rnd8() % 3];
		if (rnd8() % 4 == 0)
			for (int i = 0; i < 32; i++)
				key[i] = rnd8();
		for (size_t i = 0; i < n_ad; i++) {
			v[i].p = ad[i];
			v[i].len = it % 8 ? 1 + (size_t)(rnd8() % 64) : 1 + (size_t)(rnd8() | rnd8() << 8) % sizeof ad[i];
			for (size_t j = 0; j < v[i].len; j++)
				ad[i][j] = rnd8();
		}
		for (size_t j = 0; j < len; j++)
			pt[j] = rnd8();
		assert_int_equal(bft_siv_seal(siv, a, key, v, n_ad, pt, len), 0);
		assert_int_equal(bft_siv_seal_evp(siv, b, key, v, n_ad, pt, len), 0);
		assert_memory_equal(a, b, len + 16);
		assert_int_equal(bft_siv_open_evp(siv, back, key, v, n_ad, a, len + 16), 0);
		assert_memory_equal(back, pt, len);
		assert_int_equal(bft_siv_open(siv, back, key, v, n_ad, b, len + 16), 0);
		assert_memory_equal(back, pt, len);
		b[rnd8() % (len + 16)] ^= (uint8_t)(1 << (rnd8() % 8));
		assert_int_equal(bft_siv_open(siv, back, key, v, n_ad, b, len + 16), BFT_EINVAL);
	}
}

static void test_empty_plaintext(void **state)
{
	(void)state;
	uint8_t key[32], ad[48], nonce[16], tag[16], tag2[16];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	memset(ad, 0x23, sizeof ad);
	memset(nonce, 0x5a, sizeof nonce);
	bft_siv_ad a[2] = { { ad, sizeof ad }, { nonce, sizeof nonce } };
	assert_int_equal(bft_siv_seal(siv, tag, key, a, 2, NULL, 0), 0);
	assert_int_equal(bft_siv_seal(siv, tag2, key, a, 2, NULL, 0), 0);
	assert_memory_equal(tag, tag2, 16); /* deterministic */
	assert_int_equal(bft_siv_open(siv, NULL, key, a, 2, tag, 16), 0);
	tag[15] ^= 0x80;
	assert_int_equal(bft_siv_open(siv, NULL, key, a, 2, tag, 16), BFT_EINVAL);
	tag[15] ^= 0x80;
	ad[47] ^= 1;
	assert_int_equal(bft_siv_open(siv, NULL, key, a, 2, tag, 16), BFT_EINVAL);
	ad[47] ^= 1;
	key[20] ^= 1; /* the CTR half matters nothing without plaintext, the CMAC half does */
	assert_int_equal(bft_siv_open(siv, NULL, key, a, 2, tag, 16), 0);
	key[3] ^= 1;
	assert_int_equal(bft_siv_open(siv, NULL, key, a, 2, tag, 16), BFT_EINVAL);
	/* An empty AD component would be skipped by OpenSSL: refused. */
	bft_siv_ad e[1] = { { ad, 0 } };
	assert_int_equal(bft_siv_seal(siv, tag, key, e, 1, ad, 4), BFT_EINVAL);
}

/* The CMAC chain runs through one CBC context per key, whose chain carries
 * over from call to call; the keys live in two slots, least recently used
 * replaced. Three keys in turn (every seal evicts a slot), AD components
 * and plaintexts longer than the 32 blocks of one CBC call, and empty
 * plaintexts between: the same bytes as OpenSSL's own SIV every time. */
static void test_chain_across_keys(void **state)
{
	(void)state;
	uint8_t keys[3][32], ad[3][700], pt[2000], a[2016], b[2016], back[2000];
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 32; i++)
			keys[k][i] = rnd8();
	for (int it = 0; it < 600; it++) {
		const uint8_t *key = keys[it % 3];
		size_t n_ad = 1 + rnd8() % 3, len = (size_t)(rnd8() | rnd8() << 8) % 2000;
		bft_siv_ad v[3];
		for (size_t i = 0; i < n_ad; i++) {
			v[i].p = ad[i];
			v[i].len = 1 + (size_t)(rnd8() | rnd8() << 8) % 700;
			for (size_t j = 0; j < v[i].len; j++)
				ad[i][j] = rnd8();
		}
		for (size_t j = 0; j < len; j++)
			pt[j] = rnd8();
		assert_int_equal(bft_siv_seal(siv, a, key, v, n_ad, pt, len), 0);
		if (len == 0) { /* OpenSSL's SIV cannot: sealed twice, opened */
			assert_int_equal(bft_siv_seal(siv, b, key, v, n_ad, pt, 0), 0);
			assert_memory_equal(a, b, 16);
			assert_int_equal(bft_siv_open(siv, NULL, key, v, n_ad, a, 16), 0);
			continue;
		}
		assert_int_equal(bft_siv_seal_evp(siv, b, key, v, n_ad, pt, len), 0);
		assert_memory_equal(a, b, len + 16);
		assert_int_equal(bft_siv_open(siv, back, key, v, n_ad, b, len + 16), 0);
		assert_memory_equal(back, pt, len);
	}
}

static void test_ntske_round_trip(void **state)
{
	(void)state;
	uint8_t buf[1024];
	bft_ntske_msg m;
	const char *why = NULL;
	size_t n = bft_ntske_client_request(buf, sizeof buf);
	assert_int_equal(n, 16);
	assert_int_equal(bft_ntske_parse(&m, buf, n, &why), 0);
	assert_int_equal(m.len, n);
	assert_int_equal(bft_ntske_server_check(&m, &why), -1);
	/* Every prefix is "read more", never an error. */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(bft_ntske_parse(&m, buf, k, &why), 1);
	buf[n] = 0;
	assert_int_equal(bft_ntske_parse(&m, buf, n + 1, &why), BFT_EINVAL);
	assert_string_equal(why, "bytes after End of Message");

	uint8_t c1[104], c2[104];
	memset(c1, 1, sizeof c1);
	memset(c2, 2, sizeof c2);
	const uint8_t *cs[2] = { c1, c2 };
	size_t cl[2] = { sizeof c1, sizeof c2 };
	n = bft_ntske_server_response(buf, sizeof buf, cs, cl, 2, 12345);
	assert_int_equal(bft_ntske_parse(&m, buf, n, &why), 0);
	assert_int_equal(bft_ntske_client_check(&m, &why), 0);
	assert_int_equal(m.n_cookies, 2);
	assert_memory_equal(m.cookie[1], c2, 104);
	assert_int_equal(m.port, 12345);
	assert_int_equal(bft_ntske_server_response(buf, 100, cs, cl, 2, 1), 0); /* too small */

	n = bft_ntske_server_error(buf, sizeof buf, BFT_NTSKE_ERR_BAD_REQUEST);
	assert_int_equal(bft_ntske_parse(&m, buf, n, &why), 0);
	assert_int_equal(m.error, 1);
	assert_int_equal(bft_ntske_client_check(&m, &why), BFT_EINVAL);
}

static void test_ntske_refused(void **state)
{
	(void)state;
	bft_ntske_msg m;
	const char *why;
	/* An unknown critical record; then the same non-critical (ignored). */
	uint8_t a[] = { 0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0x80, 0x33, 0, 0, 0x80, 0, 0, 0 };
	assert_int_equal(bft_ntske_parse(&m, a, sizeof a, &why), 0);
	assert_int_equal(bft_ntske_server_check(&m, &why), BFT_NTSKE_ERR_UNRECOGNIZED_CRITICAL);
	a[12] = 0;
	assert_int_equal(bft_ntske_parse(&m, a, sizeof a, &why), 0);
	assert_int_equal(bft_ntske_server_check(&m, &why), -1);
	/* Only AES-SIV-CMAC-512 (17) offered. */
	a[11] = 17;
	assert_int_equal(bft_ntske_parse(&m, a, sizeof a, &why), 0);
	assert_int_equal(bft_ntske_server_check(&m, &why), BFT_NTSKE_ERR_BAD_REQUEST);
	/* Odd-length protocol list; an End with a body; an oversized record. */
	uint8_t b[] = { 0x80, 1, 0, 1, 0, 0x80, 0, 0, 0 };
	assert_int_equal(bft_ntske_parse(&m, b, sizeof b, &why), BFT_EINVAL);
	uint8_t c[] = { 0x80, 0, 0, 2, 0, 0 };
	assert_int_equal(bft_ntske_parse(&m, c, sizeof c, &why), BFT_EINVAL);
	uint8_t d[] = { 0x80, 1, 0xFF, 0xFF };
	assert_int_equal(bft_ntske_parse(&m, d, sizeof d, &why), BFT_EINVAL);
	assert_string_equal(why, "NTS-KE message longer than 4096 bytes");
}

static const bft_nts_server_key K1 = { .id = 7, .key = { 1, 2, 3 } }, K2 = { .id = 8, .key = { 9, 9, 9 } };

static void test_cookies_rotate(void **state)
{
	(void)state;
	uint8_t c2s[32], s2c[32], a[32], b[32], cookie[BFT_NTS_COOKIE_LEN], nonce[16] = { 4 };
	memset(c2s, 0xc2, 32);
	memset(s2c, 0x2c, 32);
	assert_int_equal(BFT_NTS_COOKIE_LEN % 4, 0);
	assert_int_equal(bft_nts_cookie_seal(siv, cookie, &K1, nonce, c2s, s2c), 0);
	bft_nts_server_key both[2] = { K2, K1 }; /* after a rotation: K2 current, K1 previous */
	assert_int_equal(bft_nts_cookie_open(siv, a, b, both, 2, cookie, sizeof cookie), 0);
	assert_memory_equal(a, c2s, 32);
	assert_memory_equal(b, s2c, 32);
	/* K1 forgotten: refused. */
	assert_int_equal(bft_nts_cookie_open(siv, a, b, &K2, 1, cookie, sizeof cookie), BFT_EINVAL);
	/* The id says K1 but the key is another: refused, keys zeroed. */
	bft_nts_server_key fake = K2;
	fake.id = 7;
	assert_int_equal(bft_nts_cookie_open(siv, a, b, &fake, 1, cookie, sizeof cookie), BFT_EINVAL);
	static const uint8_t zero[32];
	assert_memory_equal(a, zero, 32);
	cookie[50] ^= 1;
	assert_int_equal(bft_nts_cookie_open(siv, a, b, both, 2, cookie, sizeof cookie), BFT_EINVAL);
	assert_int_equal(bft_nts_cookie_open(siv, a, b, both, 2, cookie, sizeof cookie - 4), BFT_EINVAL);
}

/* A whole exchange; returns the reply's length. */
static size_t exchange(uint8_t *reply, size_t cap, uint8_t *req, size_t *req_len, const uint8_t uid[32],
                       uint8_t c2s[32], uint8_t s2c[32], size_t n_placeholders, enum bft_nts_srv *srv)
{
	uint8_t cookie[BFT_NTS_COOKIE_LEN], nonce[16] = { 1, 2 }, hdr[48] = { 0x23 };
	for (int i = 0; i < 32; i++)
		c2s[i] = (uint8_t)(i * 3), s2c[i] = (uint8_t)(i * 5 + 1);
	assert_int_equal(bft_nts_cookie_seal(siv, cookie, &K1, nonce, c2s, s2c), 0);
	*req_len = bft_nts_client_request(siv, req, BFT_NTS_MAX_PACKET, hdr, uid, 32, cookie, sizeof cookie,
	                                  n_placeholders, c2s, nonce);
	assert_true(*req_len > 48);
	bft_nts_request rq;
	const char *why;
	*srv = bft_nts_server_check(siv, &rq, &K1, 1, req, *req_len, &why);
	if (*srv != BFT_NTS_SRV_OK)
		return 0;
	assert_int_equal(rq.n_cookies_wanted, 1 + n_placeholders);
	uint8_t fresh[8][BFT_NTS_COOKIE_LEN];
	const uint8_t *cs[8];
	size_t cl[8];
	for (size_t i = 0; i < rq.n_cookies_wanted; i++) {
		nonce[5] = (uint8_t)i;
		assert_int_equal(bft_nts_cookie_seal(siv, fresh[i], &K1, nonce, rq.c2s, rq.s2c), 0);
		cs[i] = fresh[i];
		cl[i] = BFT_NTS_COOKIE_LEN;
	}
	uint8_t rhdr[48] = { 0x24, 2 };
	nonce[0] = 99;
	return bft_nts_server_reply(siv, reply, cap, rhdr, &rq, nonce, cs, cl, rq.n_cookies_wanted);
}

static void test_exchange(void **state)
{
	(void)state;
	uint8_t req[BFT_NTS_MAX_PACKET], reply[BFT_NTS_MAX_PACKET], uid[32], other[32], c2s[32], s2c[32];
	memset(uid, 0x11, 32);
	memset(other, 0x12, 32);
	size_t rl;
	enum bft_nts_srv srv;
	size_t n = exchange(reply, sizeof reply, req, &rl, uid, c2s, s2c, 3, &srv);
	assert_int_equal(srv, BFT_NTS_SRV_OK);
	assert_int_equal(n, rl); /* placeholders make the reply exactly as long: no amplification */
	bft_nts_cookies ck;
	assert_int_equal(bft_nts_client_check(siv, &ck, s2c, uid, 32, reply, n), BFT_NTS_CLI_OK);
	assert_int_equal(ck.n, 4);
	assert_int_equal(ck.len[3], BFT_NTS_COOKIE_LEN);
	uint8_t a[32], b[32];
	assert_int_equal(bft_nts_cookie_open(siv, a, b, &K1, 1, ck.c[3], ck.len[3]), 0);
	assert_memory_equal(a, c2s, 32);
	/* A replay: the reply to another request (another UID). */
	assert_int_equal(bft_nts_client_check(siv, &ck, s2c, other, 32, reply, n), BFT_NTS_CLI_UID);
	/* Every bit of the reply matters (the header too: it is the AAD). */
	for (size_t i = 0; i < n; i += 7) {
		reply[i] ^= 4;
		enum bft_nts_cli r = bft_nts_client_check(siv, &ck, s2c, uid, 32, reply, n);
		assert_int_not_equal(r, BFT_NTS_CLI_OK);
		reply[i] ^= 4;
	}
	/* Wrong key. */
	assert_int_equal(bft_nts_client_check(siv, &ck, c2s, uid, 32, reply, n), BFT_NTS_CLI_AUTH);
	/* Stripped of the authenticator: unauthenticated. */
	uint8_t hdr[48] = { 0x24, 2 };
	size_t m = bft_nts_server_nak(reply, sizeof reply, hdr, uid, 32);
	assert_int_equal(bft_nts_client_check(siv, &ck, s2c, uid, 32, reply, m), BFT_NTS_CLI_UNAUTH);
	/* An NTS NAK for our UID. */
	hdr[1] = 0;
	memcpy(hdr + 12, "NTSN", 4);
	m = bft_nts_server_nak(reply, sizeof reply, hdr, uid, 32);
	assert_int_equal(bft_nts_client_check(siv, &ck, s2c, uid, 32, reply, m), BFT_NTS_CLI_NAK);

	/* The server side: a flipped bit in the request's fields. */
	bft_nts_request rq;
	const char *why;
	assert_int_equal(bft_nts_server_check(siv, &rq, &K1, 1, req, rl, &why), BFT_NTS_SRV_OK);
	req[50 + 36 + 10] ^= 1; /* inside the cookie */
	assert_int_equal(bft_nts_server_check(siv, &rq, &K1, 1, req, rl, &why), BFT_NTS_SRV_COOKIE);
	req[50 + 36 + 10] ^= 1;
	req[5] ^= 1; /* the header */
	assert_int_equal(bft_nts_server_check(siv, &rq, &K1, 1, req, rl, &why), BFT_NTS_SRV_AUTH);
	req[5] ^= 1;
	assert_int_equal(bft_nts_server_check(siv, &rq, &K2, 1, req, rl, &why), BFT_NTS_SRV_COOKIE);
	assert_int_equal(bft_nts_server_check(siv, &rq, &K1, 1, req, 60, &why), BFT_NTS_SRV_MALFORMED);
	assert_int_equal(bft_nts_server_check(siv, &rq, &K1, 1, req, 48, &why), BFT_NTS_SRV_MALFORMED);
}

static void test_ef_parse_refuses(void **state)
{
	(void)state;
	uint8_t p[200] = { 0 };
	bft_nts_ef_view v;
	const char *why;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 48, &why), 0);
	/* A UID of 12 bytes. */
	p[48] = 1, p[49] = 4, p[50] = 0, p[51] = 16;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 64, &why), BFT_EINVAL);
	/* An authenticator whose ciphertext overruns it. */
	p[48] = 4, p[49] = 4, p[50] = 0, p[51] = 40, p[52] = 0, p[53] = 16, p[54] = 0, p[55] = 17;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 88, &why), BFT_EINVAL);
	p[55] = 16;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 88, &why), 0);
	assert_true(v.have_auth);
	/* A field after it. */
	p[88] = 0x7, p[89] = 0, p[90] = 0, p[91] = 16;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 104, &why), BFT_EINVAL);
	/* Length 18: not a multiple of 4. */
	p[51] = 18;
	assert_int_equal(bft_nts_ef_parse(&v, p, 48, 88, &why), BFT_EINVAL);
}

int main(void)
{
	char err[160];
	if (bft_siv_new(&siv, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5297_a1),      cmocka_unit_test(test_rfc5297_a2),
		cmocka_unit_test(test_paths_agree),     cmocka_unit_test(test_chain_across_keys),
		cmocka_unit_test(test_empty_plaintext), cmocka_unit_test(test_ntske_round_trip),
		cmocka_unit_test(test_ntske_refused),   cmocka_unit_test(test_cookies_rotate),
		cmocka_unit_test(test_exchange),        cmocka_unit_test(test_ef_parse_refuses),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	bft_siv_free(siv);
	return rc;
}
