/* SPDX-License-Identifier: MIT */
/*
 * NTS (RFC 8915) records, extension fields and cookies (nts.h). Pure: no
 * I/O, no clock, no randomness of its own, no globals.
 */
#include "proto/nts.h"

#include <string.h>

#include <openssl/crypto.h>

#include <bftime/common.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xFFFF);
}
static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* ---- NTS-KE records ------------------------------------------------------ */

#define CRIT 0x8000u

int bft_ntske_parse(bft_ntske_msg *m, const uint8_t *buf, size_t len, const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	memset(m, 0, sizeof *m);
	m->error = m->warning = m->port = -1;
	if (!buf && len)
		return *why = "no buffer", BFT_EINVAL;
	size_t pos = 0;
	while (len - pos >= 4) {
		unsigned t = get16(buf + pos);
		bool crit = t & CRIT;
		t &= ~CRIT;
		size_t blen = get16(buf + pos + 2);
		if (pos + 4 + blen > BFT_NTSKE_MAX_MSG)
			return *why = "NTS-KE message longer than 4096 bytes", BFT_EINVAL;
		if (pos + 4 + blen > len)
			break; /* the record's body is still on its way */
		const uint8_t *b = buf + pos + 4;
		switch (t) {
		case BFT_NTSKE_END:
			if (blen)
				return *why = "End of Message record with a body", BFT_EINVAL;
			m->len = pos + 4;
			if (m->len != len)
				return *why = "bytes after End of Message", BFT_EINVAL;
			return 0;
		case BFT_NTSKE_NEXT_PROTO:
			if (blen % 2)
				return *why = "Next Protocol record of odd length", BFT_EINVAL;
			m->n_next_proto++;
			for (size_t i = 0; i < blen; i += 2)
				m->ntpv4 |= get16(b + i) == BFT_NTS_PROTO_NTPV4;
			break;
		case BFT_NTSKE_ERROR:
		case BFT_NTSKE_WARNING:
			if (blen != 2)
				return *why = "Error or Warning record not 2 bytes", BFT_EINVAL;
			*(t == BFT_NTSKE_ERROR ? &m->error : &m->warning) = get16(b);
			break;
		case BFT_NTSKE_AEAD:
			if (blen % 2)
				return *why = "AEAD record of odd length", BFT_EINVAL;
			m->n_aead++;
			for (size_t i = 0; i < blen; i += 2)
				m->siv_cmac_256 |= get16(b + i) == BFT_NTS_AEAD_SIV_CMAC_256;
			break;
		case BFT_NTSKE_COOKIE:
			if (blen == 0 || blen > BFT_NTS_MAX_COOKIE_LEN)
				return *why = "New Cookie record empty or longer than 256 bytes", BFT_EINVAL;
			if (m->n_cookies < BFT_NTSKE_MAX_COOKIES) {
				m->cookie[m->n_cookies] = b;
				m->cookie_len[m->n_cookies++] = blen;
			}
			break;
		case BFT_NTSKE_SERVER:
			if (blen == 0 || blen >= sizeof m->server)
				return *why = "Server record empty or longer than 255 bytes", BFT_EINVAL;
			for (size_t i = 0; i < blen; i++)
				if (b[i] <= 0x20 || b[i] >= 0x7F)
					return *why = "Server record not a printable name", BFT_EINVAL;
			memcpy(m->server, b, blen);
			m->server[blen] = 0;
			break;
		case BFT_NTSKE_PORT_REC:
			if (blen != 2)
				return *why = "Port record not 2 bytes", BFT_EINVAL;
			m->port = get16(b);
			break;
		default:
			m->unknown_critical |= crit;
			break;
		}
		pos += 4 + blen;
	}
	if (len >= BFT_NTSKE_MAX_MSG)
		return *why = "NTS-KE message longer than 4096 bytes", BFT_EINVAL;
	return 1;
}

static size_t rec(uint8_t *out, size_t cap, size_t pos, unsigned type, const uint8_t *body, size_t blen)
{
	if (pos == 0 && cap == 0)
		return 0;
	if (pos > cap || cap - pos < 4 + blen || blen > 0xFFFF)
		return 0;
	put16(out + pos, type);
	put16(out + pos + 2, (unsigned)blen);
	if (blen)
		memcpy(out + pos + 4, body, blen);
	return pos + 4 + blen;
}

static const uint8_t NTPV4[2] = { 0, BFT_NTS_PROTO_NTPV4 };
static const uint8_t SIV15[2] = { 0, BFT_NTS_AEAD_SIV_CMAC_256 };

size_t bft_ntske_client_request(uint8_t *out, size_t cap)
{
	size_t p = rec(out, cap, 0, CRIT | BFT_NTSKE_NEXT_PROTO, NTPV4, 2);
	p = p ? rec(out, cap, p, CRIT | BFT_NTSKE_AEAD, SIV15, 2) : 0;
	return p ? rec(out, cap, p, CRIT | BFT_NTSKE_END, NULL, 0) : 0;
}

int bft_ntske_server_check(const bft_ntske_msg *m, const char **why)
{
	if (m->unknown_critical)
		return *why = "unrecognized critical record", BFT_NTSKE_ERR_UNRECOGNIZED_CRITICAL;
	if (m->n_next_proto != 1)
		return *why = "not exactly one Next Protocol record", BFT_NTSKE_ERR_BAD_REQUEST;
	if (!m->ntpv4)
		return *why = "NTPv4 not among the next protocols", BFT_NTSKE_ERR_BAD_REQUEST;
	if (m->n_aead != 1)
		return *why = "not exactly one AEAD record", BFT_NTSKE_ERR_BAD_REQUEST;
	if (!m->siv_cmac_256)
		return *why = "AEAD_AES_SIV_CMAC_256 not offered", BFT_NTSKE_ERR_BAD_REQUEST;
	if (m->error >= 0 || m->n_cookies)
		return *why = "Error or New Cookie record in a request", BFT_NTSKE_ERR_BAD_REQUEST;
	return -1;
}

size_t bft_ntske_server_response(uint8_t *out, size_t cap, const uint8_t *const *cookies, const size_t *cookie_len,
                                 size_t n_cookies, int port)
{
	size_t p = rec(out, cap, 0, CRIT | BFT_NTSKE_NEXT_PROTO, NTPV4, 2);
	p = p ? rec(out, cap, p, CRIT | BFT_NTSKE_AEAD, SIV15, 2) : 0;
	for (size_t i = 0; p && i < n_cookies; i++)
		p = rec(out, cap, p, BFT_NTSKE_COOKIE, cookies[i], cookie_len[i]);
	if (p && port >= 0 && port <= 0xFFFF) {
		uint8_t b[2];
		put16(b, (unsigned)port);
		p = rec(out, cap, p, CRIT | BFT_NTSKE_PORT_REC, b, 2);
	}
	return p ? rec(out, cap, p, CRIT | BFT_NTSKE_END, NULL, 0) : 0;
}

size_t bft_ntske_server_error(uint8_t *out, size_t cap, int code)
{
	uint8_t b[2];
	put16(b, (unsigned)code & 0xFFFF);
	size_t p = rec(out, cap, 0, CRIT | BFT_NTSKE_ERROR, b, 2);
	return p ? rec(out, cap, p, CRIT | BFT_NTSKE_END, NULL, 0) : 0;
}

int bft_ntske_client_check(const bft_ntske_msg *m, const char **why)
{
	if (m->error >= 0)
		return *why = "the server sent an Error record", BFT_EINVAL;
	if (m->unknown_critical)
		return *why = "unrecognized critical record", BFT_EINVAL;
	if (m->n_next_proto != 1 || !m->ntpv4)
		return *why = "the server did not agree to NTPv4", BFT_EINVAL;
	if (m->n_aead != 1 || !m->siv_cmac_256)
		return *why = "the server did not agree to AEAD_AES_SIV_CMAC_256", BFT_EINVAL;
	if (m->n_cookies == 0)
		return *why = "no cookies in the response", BFT_EINVAL;
	return 0;
}

/* ---- extension fields ---------------------------------------------------- */

int bft_nts_ef_parse(bft_nts_ef_view *v, const uint8_t *buf, size_t off, size_t len, const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	memset(v, 0, sizeof *v);
	if (off > len || (!buf && len))
		return *why = "shorter than the NTP header", BFT_EINVAL;
	size_t pos = off;
	while (pos < len) {
		if (len - pos < 4)
			return *why = "truncated extension field", BFT_EINVAL;
		unsigned type = get16(buf + pos);
		size_t flen = get16(buf + pos + 2);
		if (flen < 16 || flen % 4 || flen > len - pos)
			return *why = "extension field length under 16, not a multiple of 4, or overrunning", BFT_EINVAL;
		if (v->have_auth)
			return *why = "extension field after the NTS Authenticator", BFT_EINVAL;
		const uint8_t *b = buf + pos + 4;
		size_t blen = flen - 4;
		switch (type) {
		case BFT_NTS_EF_UID:
			if (v->uid)
				return *why = "two Unique Identifiers", BFT_EINVAL;
			if (blen < BFT_NTS_UID_MIN || blen > BFT_NTS_UID_MAX)
				return *why = "Unique Identifier shorter than 32 or longer than 256 bytes", BFT_EINVAL;
			v->uid = b;
			v->uid_len = blen;
			break;
		case BFT_NTS_EF_COOKIE:
			if (v->n_cookies++ == 0) {
				v->cookie = b;
				v->cookie_len = blen;
			}
			break;
		case BFT_NTS_EF_PLACEHOLDER:
			v->n_placeholders++;
			v->placeholder_bytes += flen;
			break;
		case BFT_NTS_EF_AUTH: {
			size_t nl = get16(b), cl = get16(b + 2);
			if (4 + pad4(nl) + pad4(cl) > blen)
				return *why = "NTS Authenticator's nonce and ciphertext overrun it", BFT_EINVAL;
			v->have_auth = true;
			v->auth_off = pos;
			v->nonce = b + 4;
			v->nonce_len = nl;
			v->ct = b + 4 + pad4(nl);
			v->ct_len = cl;
			break;
		}
		default:
			v->n_unknown++;
			break;
		}
		v->n_fields++;
		pos += flen;
	}
	return 0;
}

/* Append a field type || length || body || zero padding at out[pos]. */
static size_t ef(uint8_t *out, size_t cap, size_t pos, unsigned type, const uint8_t *body, size_t blen)
{
	size_t flen = 4 + pad4(blen);
	if (pos == 0 || pos > cap || cap - pos < flen || flen > 0xFFFF)
		return 0;
	put16(out + pos, type);
	put16(out + pos + 2, (unsigned)flen);
	if (body)
		memcpy(out + pos + 4, body, blen);
	else
		memset(out + pos + 4, 0, blen);
	memset(out + pos + 4 + blen, 0, flen - 4 - blen);
	return pos + flen;
}

/* The Authenticator at out[pos]: nonce, then SIV || E(pt) under key with
 * AAD out[0 .. pos). */
static size_t auth(bft_siv *siv, uint8_t *out, size_t cap, size_t pos, const uint8_t key[BFT_NTS_KEY_LEN],
                   const uint8_t nonce[BFT_NTS_NONCE_LEN], const uint8_t *pt, size_t pt_len)
{
	size_t cl = BFT_SIV_TAG_LEN + pt_len;
	size_t flen = 4 + 4 + BFT_NTS_NONCE_LEN + pad4(cl);
	if (pos == 0 || pos > cap || cap - pos < flen || flen > 0xFFFF)
		return 0;
	uint8_t *b = out + pos + 4;
	put16(out + pos, BFT_NTS_EF_AUTH);
	put16(out + pos + 2, (unsigned)flen);
	put16(b, BFT_NTS_NONCE_LEN);
	put16(b + 2, (unsigned)cl);
	memcpy(b + 4, nonce, BFT_NTS_NONCE_LEN);
	bft_siv_ad ad[2] = { { out, pos }, { nonce, BFT_NTS_NONCE_LEN } };
	if (bft_siv_seal(siv, b + 4 + BFT_NTS_NONCE_LEN, key, ad, 2, pt, pt_len) != 0)
		return 0;
	memset(b + 4 + BFT_NTS_NONCE_LEN + cl, 0, pad4(cl) - cl);
	return pos + flen;
}

size_t bft_nts_client_request(bft_siv *siv, uint8_t *out, size_t cap, const uint8_t hdr[48], const uint8_t *uid,
                              size_t uid_len, const uint8_t *cookie, size_t cookie_len, size_t n_placeholders,
                              const uint8_t c2s[BFT_NTS_KEY_LEN], const uint8_t nonce[BFT_NTS_NONCE_LEN])
{
	/* A cookie of a length not a multiple of 4 would reach the server with
	 * our padding in it: refuse to send it rather than send a bad one. */
	if (!out || cap < 48 || uid_len < BFT_NTS_UID_MIN || uid_len > BFT_NTS_UID_MAX || uid_len % 4 ||
	    cookie_len == 0 || cookie_len > BFT_NTS_MAX_COOKIE_LEN || cookie_len % 4 ||
	    n_placeholders >= BFT_NTSKE_MAX_COOKIES)
		return 0;
	memcpy(out, hdr, 48);
	size_t p = ef(out, cap, 48, BFT_NTS_EF_UID, uid, uid_len);
	p = ef(out, cap, p, BFT_NTS_EF_COOKIE, cookie, cookie_len);
	for (size_t i = 0; i < n_placeholders; i++)
		p = ef(out, cap, p, BFT_NTS_EF_PLACEHOLDER, NULL, cookie_len);
	return auth(siv, out, cap, p, c2s, nonce, NULL, 0);
}

const char *bft_nts_srv_name(enum bft_nts_srv r)
{
	static const char *const names[BFT_NTS_SRV_COUNT] = {
		[BFT_NTS_SRV_OK] = "ok",
		[BFT_NTS_SRV_MALFORMED] = "malformed",
		[BFT_NTS_SRV_COOKIE] = "bad_cookie",
		[BFT_NTS_SRV_AUTH] = "bad_authenticator",
	};
	return (unsigned)r < BFT_NTS_SRV_COUNT ? names[r] : "?";
}

enum bft_nts_srv bft_nts_server_check(bft_siv *siv, bft_nts_request *rq, const bft_nts_server_key *keys,
                                      size_t n_keys, const uint8_t *req, size_t len, const char **why)
{
	static const char *dummy;
	if (!why)
		why = &dummy;
	memset(rq, 0, sizeof *rq);
	if (len < 48 || len > BFT_NTS_MAX_PACKET)
		return *why = "NTS request shorter than 48 or longer than 1280 bytes", BFT_NTS_SRV_MALFORMED;
	if (bft_nts_ef_parse(&rq->v, req, 48, len, why) != 0)
		return BFT_NTS_SRV_MALFORMED;
	const bft_nts_ef_view *v = &rq->v;
	if (!v->uid || v->n_cookies != 1 || !v->have_auth)
		return *why = "NTS request without a Unique Identifier, exactly one cookie and an Authenticator",
		       BFT_NTS_SRV_MALFORMED;
	if (v->nonce_len < BFT_NTS_NONCE_MIN || v->ct_len < BFT_SIV_TAG_LEN)
		return *why = "NTS Authenticator with a nonce under 16 bytes or no SIV", BFT_NTS_SRV_MALFORMED;
	if (bft_nts_cookie_open(siv, rq->c2s, rq->s2c, keys, n_keys, v->cookie, v->cookie_len) != 0)
		return *why = "the cookie opens under no key we hold", BFT_NTS_SRV_COOKIE;
	uint8_t pt[BFT_NTS_MAX_PACKET];
	bft_siv_ad ad[2] = { { req, v->auth_off }, { v->nonce, v->nonce_len } };
	if (bft_siv_open(siv, pt, rq->c2s, ad, 2, v->ct, v->ct_len) != 0) {
		OPENSSL_cleanse(rq, sizeof *rq);
		return *why = "the Authenticator does not verify", BFT_NTS_SRV_AUTH;
	}
	/* One cookie for the one spent, and one per placeholder at least as
	 * long as one of ours, so a reply is never longer than its request. */
	size_t extra = v->placeholder_bytes / (4 + BFT_NTS_COOKIE_LEN);
	if (extra > v->n_placeholders)
		extra = v->n_placeholders;
	rq->n_cookies_wanted = 1 + extra > BFT_NTSKE_MAX_COOKIES ? BFT_NTSKE_MAX_COOKIES : 1 + extra;
	return BFT_NTS_SRV_OK;
}

size_t bft_nts_server_reply(bft_siv *siv, uint8_t *out, size_t cap, const uint8_t hdr[48],
                            const bft_nts_request *rq, const uint8_t nonce[BFT_NTS_NONCE_LEN],
                            const uint8_t *const *cookies, const size_t *cookie_len, size_t n_cookies)
{
	uint8_t pt[BFT_NTSKE_MAX_COOKIES * (4 + BFT_NTS_MAX_COOKIE_LEN)];
	size_t n = 0;
	if (!out || cap < 48 || !rq->v.uid || n_cookies > BFT_NTSKE_MAX_COOKIES)
		return 0;
	/* The cookies as encrypted extension fields: pt is built like a packet
	 * tail (ef needs pos > 0, so it starts at a dummy 4 and is moved). */
	for (size_t i = 0; i < n_cookies; i++) {
		if (cookie_len[i] == 0 || cookie_len[i] > BFT_NTS_MAX_COOKIE_LEN)
			return 0;
		size_t p = ef(pt, sizeof pt, n ? n : 4, BFT_NTS_EF_COOKIE, cookies[i], cookie_len[i]);
		if (!p)
			return 0;
		if (!n)
			memmove(pt, pt + 4, p - 4), p -= 4;
		n = p;
	}
	memcpy(out, hdr, 48);
	size_t p = ef(out, cap, 48, BFT_NTS_EF_UID, rq->v.uid, rq->v.uid_len);
	p = auth(siv, out, cap, p, rq->s2c, nonce, pt, n);
	OPENSSL_cleanse(pt, n);
	return p;
}

size_t bft_nts_server_nak(uint8_t *out, size_t cap, const uint8_t hdr[48], const uint8_t *uid, size_t uid_len)
{
	if (!out || cap < 48 || !uid)
		return 0;
	memcpy(out, hdr, 48);
	return ef(out, cap, 48, BFT_NTS_EF_UID, uid, uid_len);
}

int bft_nts_cookie_seal(bft_siv *siv, uint8_t *out, const bft_nts_server_key *k, const uint8_t nonce[BFT_NTS_NONCE_LEN],
                        const uint8_t c2s[BFT_NTS_KEY_LEN], const uint8_t s2c[BFT_NTS_KEY_LEN])
{
	uint8_t pt[4 + 2 * BFT_NTS_KEY_LEN];
	put16(pt, BFT_NTS_AEAD_SIV_CMAC_256);
	put16(pt + 2, 0);
	memcpy(pt + 4, c2s, BFT_NTS_KEY_LEN);
	memcpy(pt + 4 + BFT_NTS_KEY_LEN, s2c, BFT_NTS_KEY_LEN);
	put32(out, k->id);
	memcpy(out + 4, nonce, BFT_NTS_NONCE_LEN);
	bft_siv_ad ad[2] = { { out, 4 }, { out + 4, BFT_NTS_NONCE_LEN } };
	int rc = bft_siv_seal(siv, out + 4 + BFT_NTS_NONCE_LEN, k->key, ad, 2, pt, sizeof pt);
	OPENSSL_cleanse(pt, sizeof pt);
	return rc;
}

int bft_nts_cookie_open(bft_siv *siv, uint8_t c2s[BFT_NTS_KEY_LEN], uint8_t s2c[BFT_NTS_KEY_LEN],
                        const bft_nts_server_key *keys, size_t n_keys, const uint8_t *cookie, size_t len)
{
	memset(c2s, 0, BFT_NTS_KEY_LEN);
	memset(s2c, 0, BFT_NTS_KEY_LEN);
	if (!cookie || len != BFT_NTS_COOKIE_LEN)
		return BFT_EINVAL;
	uint32_t id = get32(cookie);
	const bft_nts_server_key *k = NULL;
	for (size_t i = 0; i < n_keys && !k; i++)
		if (keys[i].id == id)
			k = &keys[i];
	if (!k)
		return BFT_EINVAL;
	uint8_t pt[4 + 2 * BFT_NTS_KEY_LEN];
	bft_siv_ad ad[2] = { { cookie, 4 }, { cookie + 4, BFT_NTS_NONCE_LEN } };
	if (bft_siv_open(siv, pt, k->key, ad, 2, cookie + 4 + BFT_NTS_NONCE_LEN, len - 4 - BFT_NTS_NONCE_LEN) != 0)
		return BFT_EINVAL;
	int rc = BFT_EINVAL;
	if (get16(pt) == BFT_NTS_AEAD_SIV_CMAC_256) {
		memcpy(c2s, pt + 4, BFT_NTS_KEY_LEN);
		memcpy(s2c, pt + 4 + BFT_NTS_KEY_LEN, BFT_NTS_KEY_LEN);
		rc = 0;
	}
	OPENSSL_cleanse(pt, sizeof pt);
	return rc;
}

const char *bft_nts_cli_name(enum bft_nts_cli r)
{
	static const char *const names[BFT_NTS_CLI_COUNT] = {
		[BFT_NTS_CLI_OK] = "ok",
		[BFT_NTS_CLI_MALFORMED] = "nts_malformed",
		[BFT_NTS_CLI_UID] = "nts_unique_id",
		[BFT_NTS_CLI_NAK] = "nts_nak",
		[BFT_NTS_CLI_UNAUTH] = "nts_unauthenticated",
		[BFT_NTS_CLI_AUTH] = "nts_bad_authenticator",
	};
	return (unsigned)r < BFT_NTS_CLI_COUNT ? names[r] : "?";
}

enum bft_nts_cli bft_nts_client_check(bft_siv *siv, bft_nts_cookies *out, const uint8_t s2c[BFT_NTS_KEY_LEN],
                                      const uint8_t *uid, size_t uid_len, const uint8_t *pkt, size_t len)
{
	bft_nts_ef_view v, in;
	out->n = 0;
	if (len < 48 || len > BFT_NTS_MAX_PACKET || bft_nts_ef_parse(&v, pkt, 48, len, NULL) != 0)
		return BFT_NTS_CLI_MALFORMED;
	if (!v.uid || v.uid_len != uid_len || CRYPTO_memcmp(v.uid, uid, uid_len) != 0)
		return BFT_NTS_CLI_UID;
	if (pkt[1] == 0 && memcmp(pkt + 12, "NTSN", 4) == 0)
		return BFT_NTS_CLI_NAK;
	if (!v.have_auth || v.nonce_len == 0 || v.ct_len < BFT_SIV_TAG_LEN)
		return BFT_NTS_CLI_UNAUTH;
	uint8_t pt[BFT_NTS_MAX_PACKET];
	bft_siv_ad ad[2] = { { pkt, v.auth_off }, { v.nonce, v.nonce_len } };
	if (bft_siv_open(siv, pt, s2c, ad, 2, v.ct, v.ct_len) != 0)
		return BFT_NTS_CLI_AUTH;
	size_t n = v.ct_len - BFT_SIV_TAG_LEN;
	/* Inside: the new cookies (other fields ignored). Authenticated but
	 * still the server's bytes: walked with the same checks. */
	if (bft_nts_ef_parse(&in, pt, 0, n, NULL) != 0)
		return BFT_NTS_CLI_MALFORMED;
	for (size_t pos = 0; pos < n;) {
		unsigned type = get16(pt + pos);
		size_t flen = get16(pt + pos + 2);
		if (type == BFT_NTS_EF_COOKIE && out->n < BFT_NTSKE_MAX_COOKIES && flen - 4 <= BFT_NTS_MAX_COOKIE_LEN) {
			memcpy(out->c[out->n], pt + pos + 4, flen - 4);
			out->len[out->n++] = flen - 4;
		}
		pos += flen;
	}
	OPENSSL_cleanse(pt, n);
	return BFT_NTS_CLI_OK;
}
