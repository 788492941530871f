/* SPDX-License-Identifier: MIT */
/*
 * NTS client: NTS-KE over non-blocking TLS 1.3 and the cookie jar
 * (nts_client.h).
 */
#include "refclock/nts_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#define KE_TIMEOUT_NS (10 * BFT_NS_PER_SEC)
#define JAR BFT_NTSKE_MAX_COOKIES

enum kstate { K_IDLE = 0, K_CONNECT, K_HANDSHAKE, K_WRITE, K_READ };

struct bftd_ntsc {
	const bftd_refclock_host *host;
	char name[256];
	struct sockaddr_storage ke;
	socklen_t ke_len;
	SSL_CTX *tls;
	bft_siv *siv;
	/* NTS-KE in progress */
	enum kstate st;
	int fd;
	SSL *ssl;
	short events;
	int64_t deadline_mono_ns;
	uint8_t req[64];
	size_t req_len, req_off, in_len;
	uint8_t in[BFT_NTSKE_MAX_MSG];
	/* the session */
	bool have_keys;
	uint8_t c2s[BFT_NTS_KEY_LEN], s2c[BFT_NTS_KEY_LEN];
	int ntp_port;
	size_t n_cookies, first; /* a ring of cookies, oldest at first */
	size_t cookie_len[JAR];
	uint8_t cookie[JAR][BFT_NTS_MAX_COOKIE_LEN];
	bool outstanding;
	/* An NTS NAK is not authenticated (RFC 8915 5.7): one is believed only
	 * when the next request gets no valid reply either. */
	bool nak_seen;  /* a NAK came, no authenticated reply since */
	bool nak_probe; /* and the request since then is the one that decides */
	uint8_t uid[32];
	char error[512];
	struct {
		uint64_t ke_ok, ke_failed, requests, authenticated, cookies_received;
		uint64_t rejected[BFT_NTS_CLI_COUNT];
	} ctr;
};

int bftd_ntsc_new(bftd_ntsc **out, const bftd_refclock_host *host, const char *name,
                  const struct sockaddr_storage *ke, socklen_t ke_len, const char *ca_file, char *err, size_t errlen)
{
	*out = NULL;
	bftd_ntsc *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	c->host = host;
	c->fd = -1;
	c->ntp_port = -1;
	snprintf(c->name, sizeof c->name, "%s", name);
	memcpy(&c->ke, ke, sizeof c->ke);
	c->ke_len = ke_len;
	char e[200];
	if (bft_siv_new(&c->siv, e, sizeof e) != 0) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	c->tls = SSL_CTX_new(TLS_client_method());
	if (!c->tls || SSL_CTX_set_min_proto_version(c->tls, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "TLS 1.3 unavailable");
		goto fail;
	}
	static const unsigned char alpn[] = "\x07ntske/1";
	SSL_CTX_set_verify(c->tls, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_alpn_protos(c->tls, alpn, sizeof alpn - 1) != 0 ||
	    (ca_file[0] ? SSL_CTX_load_verify_locations(c->tls, ca_file, NULL)
	                : SSL_CTX_set_default_verify_paths(c->tls)) != 1) {
		unsigned long x = ERR_get_error();
		ERR_error_string_n(x, e, sizeof e);
		snprintf(err, errlen, "CA certificates %s: %s", ca_file[0] ? ca_file : "(system store)", e);
		ERR_clear_error();
		goto fail;
	}
	*out = c;
	return 0;
fail:
	bftd_ntsc_free(c);
	return BFT_EINVAL;
}

static void ke_close(bftd_ntsc *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->st = K_IDLE;
}

static void forget(bftd_ntsc *c)
{
	OPENSSL_cleanse(c->c2s, sizeof c->c2s);
	OPENSSL_cleanse(c->s2c, sizeof c->s2c);
	OPENSSL_cleanse(c->cookie, sizeof c->cookie);
	c->have_keys = false;
	c->n_cookies = c->first = 0;
	c->outstanding = c->nak_seen = c->nak_probe = false;
}

bool bftd_ntsc_before_request(bftd_ntsc *c)
{
	if (c->nak_probe) { /* the request after a NAK got no valid reply */
		forget(c);
		return false;
	}
	c->nak_probe = c->nak_seen;
	return true;
}

void bftd_ntsc_free(bftd_ntsc *c)
{
	if (!c)
		return;
	ke_close(c);
	forget(c);
	SSL_CTX_free(c->tls);
	bft_siv_free(c->siv);
	free(c);
}

bool bftd_ntsc_ready(const bftd_ntsc *c) { return c->have_keys && c->n_cookies > 0; }
bool bftd_ntsc_busy(const bftd_ntsc *c) { return c->st != K_IDLE; }
const char *bftd_ntsc_error(const bftd_ntsc *c) { return c->error; }
int bftd_ntsc_ntp_port(const bftd_ntsc *c) { return c->ntp_port; }
int64_t bftd_ntsc_next_mono_ns(const bftd_ntsc *c) { return c->st != K_IDLE ? c->deadline_mono_ns : INT64_MAX; }

static int fail(bftd_ntsc *c, const char *what)
{
	char e[160] = "";
	unsigned long x = ERR_get_error();
	long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	/* The certificate's verdict says more than OpenSSL's error queue
	 * ("certificate verify failed"): which check failed. */
	if (v != X509_V_OK)
		snprintf(e, sizeof e, "certificate: %s", X509_verify_cert_error_string(v));
	else if (x)
		ERR_error_string_n(x, e, sizeof e);
	snprintf(c->error, sizeof c->error, "NTS-KE with %s: %s%s%s", c->name, what, e[0] ? ": " : "", e);
	ERR_clear_error();
	ke_close(c);
	c->ctr.ke_failed++;
	return -1;
}

void bftd_ntsc_start(bftd_ntsc *c, int64_t now)
{
	if (c->st != K_IDLE)
		return;
	forget(c);
	c->in_len = c->req_off = 0;
	c->req_len = bft_ntske_client_request(c->req, sizeof c->req);
	c->deadline_mono_ns = bft_sat_add(now, KE_TIMEOUT_NS);
	c->fd = c->host->socket(c->ke.ss_family, SOCK_STREAM);
	if (c->fd < 0) {
		fail(c, strerror(errno));
		return;
	}
	c->st = K_CONNECT;
	c->events = POLLOUT;
	if (connect(c->fd, (const struct sockaddr *)&c->ke, c->ke_len) != 0 && errno != EINPROGRESS) {
		fail(c, strerror(errno));
		return;
	}
}

size_t bftd_ntsc_pollfds(bftd_ntsc *c, struct pollfd *pfd, size_t max)
{
	if (c->st == K_IDLE || max < 1)
		return 0;
	pfd[0] = (struct pollfd){ .fd = c->fd, .events = c->events };
	return 1;
}

/* After an SSL call returned r <= 0: 0 to wait, -1 failed. */
static int wait_or_fail(bftd_ntsc *c, int r, const char *what)
{
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->events = POLLIN;
		return 0;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->events = POLLOUT;
		return 0;
	}
	return fail(c, what);
}

/* The response is complete: keys from the exporter, cookies, port. */
static int finish(bftd_ntsc *c)
{
	bft_ntske_msg m;
	const char *why = NULL;
	if (bft_ntske_parse(&m, c->in, c->in_len, &why) != 0 || bft_ntske_client_check(&m, &why) != 0) {
		char w[120];
		snprintf(w, sizeof w, "%s", why ? why : "response incomplete");
		if (m.error >= 0)
			snprintf(w, sizeof w, "the server sent Error %d", m.error);
		return fail(c, w);
	}
	static const uint8_t ctx_c2s[5] = { 0, BFT_NTS_PROTO_NTPV4, 0, BFT_NTS_AEAD_SIV_CMAC_256, 0 };
	static const uint8_t ctx_s2c[5] = { 0, BFT_NTS_PROTO_NTPV4, 0, BFT_NTS_AEAD_SIV_CMAC_256, 1 };
	const char *label = BFT_NTSKE_EXPORTER_LABEL;
	if (SSL_export_keying_material(c->ssl, c->c2s, sizeof c->c2s, label, strlen(label), ctx_c2s, 5, 1) != 1 ||
	    SSL_export_keying_material(c->ssl, c->s2c, sizeof c->s2c, label, strlen(label), ctx_s2c, 5, 1) != 1)
		return fail(c, "key export");
	c->n_cookies = c->first = 0;
	for (size_t i = 0; i < m.n_cookies && i < JAR; i++) {
		if (m.cookie_len[i] % 4)
			continue; /* could not be sent unpadded (nts.h) */
		memcpy(c->cookie[c->n_cookies], m.cookie[i], m.cookie_len[i]);
		c->cookie_len[c->n_cookies++] = m.cookie_len[i];
	}
	if (c->n_cookies == 0)
		return fail(c, "no usable cookie");
	c->ntp_port = m.port;
	c->have_keys = true;
	c->ctr.ke_ok++;
	c->ctr.cookies_received += c->n_cookies;
	c->error[0] = 0;
	(void)SSL_shutdown(c->ssl);
	ke_close(c);
	return 1;
}

int bftd_ntsc_service(bftd_ntsc *c, const struct pollfd *pfd, size_t n, int64_t now)
{
	if (c->st == K_IDLE)
		return 0;
	if (now >= c->deadline_mono_ns)
		return fail(c, "timed out");
	if (n == 0 || pfd[0].fd != c->fd || !pfd[0].revents)
		return 0;
	for (;;) {
		int r;
		switch (c->st) {
		case K_CONNECT: {
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr)
				return fail(c, strerror(soerr ? soerr : errno));
			c->ssl = SSL_new(c->tls);
			if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
				return fail(c, "out of memory");
			SSL_set_connect_state(c->ssl);
			/* The name checked: an IP literal against the certificate's
			 * IP addresses, else a DNS name (and sent as SNI). */
			unsigned char ip[16];
			X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
			bool literal = inet_pton(AF_INET, c->name, ip) == 1 || inet_pton(AF_INET6, c->name, ip) == 1;
			if (literal ? X509_VERIFY_PARAM_set1_ip_asc(vp, c->name) != 1
			            : (SSL_set1_host(c->ssl, c->name) != 1 || SSL_set_tlsext_host_name(c->ssl, c->name) != 1))
				return fail(c, "cannot set the name to verify");
			c->st = K_HANDSHAKE;
			break;
		}
		case K_HANDSHAKE: {
			r = SSL_do_handshake(c->ssl);
			if (r != 1)
				return wait_or_fail(c, r, "TLS handshake");
			const unsigned char *a = NULL;
			unsigned al = 0;
			SSL_get0_alpn_selected(c->ssl, &a, &al);
			if (al != 7 || memcmp(a, "ntske/1", 7) != 0)
				return fail(c, "the server did not select ALPN ntske/1");
			c->st = K_WRITE;
			break;
		}
		case K_WRITE:
			r = SSL_write(c->ssl, c->req + c->req_off, (int)(c->req_len - c->req_off));
			if (r <= 0)
				return wait_or_fail(c, r, "sending the request");
			c->req_off += (size_t)r;
			if (c->req_off == c->req_len)
				c->st = K_READ;
			break;
		case K_READ: {
			r = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof c->in - c->in_len));
			if (r <= 0) {
				if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
					return c->in_len ? finish(c) : fail(c, "closed before a response");
				return wait_or_fail(c, r, "reading the response");
			}
			c->in_len += (size_t)r;
			bft_ntske_msg m;
			int p = bft_ntske_parse(&m, c->in, c->in_len, NULL);
			if (p == 1 && c->in_len < sizeof c->in)
				break;
			return finish(c);
		}
		case K_IDLE:
			return 0;
		}
	}
}

size_t bftd_ntsc_request(bftd_ntsc *c, uint8_t *out, size_t cap, const uint8_t hdr[48])
{
	if (!bftd_ntsc_ready(c))
		return 0;
	uint8_t nonce[BFT_NTS_NONCE_LEN];
	for (size_t i = 0; i < sizeof c->uid; i += 8) {
		uint64_t v;
		if (!c->host->random_u64(&v))
			return 0;
		memcpy(c->uid + i, &v, 8);
	}
	for (size_t i = 0; i < sizeof nonce; i += 8) {
		uint64_t v;
		if (!c->host->random_u64(&v))
			return 0;
		memcpy(nonce + i, &v, 8);
	}
	size_t k = c->first;
	/* Placeholders so the reply refills the jar to JAR cookies. */
	size_t left = c->n_cookies - 1, ph = JAR - 1 - left;
	size_t n = bft_nts_client_request(c->siv, out, cap, hdr, c->uid, sizeof c->uid, c->cookie[k], c->cookie_len[k],
	                                  ph, c->c2s, nonce);
	if (!n)
		return 0;
	/* A cookie is used once (RFC 8915 5.7: unlinkability). */
	OPENSSL_cleanse(c->cookie[k], sizeof c->cookie[k]);
	c->first = (c->first + 1) % JAR;
	c->n_cookies--;
	c->outstanding = true;
	c->ctr.requests++;
	return n;
}

enum bft_nts_cli bftd_ntsc_check(bftd_ntsc *c, const uint8_t *pkt, size_t len)
{
	bft_nts_cookies ck;
	enum bft_nts_cli r = c->have_keys && c->outstanding
	                         ? bft_nts_client_check(c->siv, &ck, c->s2c, c->uid, sizeof c->uid, pkt, len)
	                         : BFT_NTS_CLI_UID; /* nothing outstanding: a replay or a forgery */
	if (r == BFT_NTS_CLI_OK) {
		c->outstanding = false; /* a second copy is a replay */
		c->nak_seen = c->nak_probe = false;
		for (size_t i = 0; i < ck.n && c->n_cookies < JAR; i++) {
			if (ck.len[i] % 4)
				continue;
			size_t k = (c->first + c->n_cookies) % JAR;
			memcpy(c->cookie[k], ck.c[i], ck.len[i]);
			c->cookie_len[k] = ck.len[i];
			c->n_cookies++;
			c->ctr.cookies_received++;
		}
		OPENSSL_cleanse(&ck, sizeof ck);
		c->ctr.authenticated++;
	} else {
		c->ctr.rejected[r < BFT_NTS_CLI_COUNT ? r : BFT_NTS_CLI_MALFORMED]++;
		/* A NAK to the deciding request is believed; a first one only
		 * marks the next request as the test. The request stays
		 * outstanding: a forged NAK may come before the real reply. */
		if (r == BFT_NTS_CLI_NAK && c->nak_probe)
			forget(c);
		else if (r == BFT_NTS_CLI_NAK)
			c->nak_seen = true;
	}
	return r;
}

void bftd_ntsc_status(const bftd_ntsc *c, struct json_object *o)
{
	json_object *n = json_object_new_object();
	json_object_object_add(n, "keys", json_object_new_boolean(c->have_keys));
	json_object_object_add(n, "cookies", json_object_new_int64((int64_t)c->n_cookies));
	json_object_object_add(n, "ke_sessions", json_object_new_int64((int64_t)c->ctr.ke_ok));
	json_object_object_add(n, "ke_failures", json_object_new_int64((int64_t)c->ctr.ke_failed));
	json_object_object_add(n, "requests", json_object_new_int64((int64_t)c->ctr.requests));
	json_object_object_add(n, "authenticated_replies", json_object_new_int64((int64_t)c->ctr.authenticated));
	json_object_object_add(n, "cookies_received", json_object_new_int64((int64_t)c->ctr.cookies_received));
	if (c->ntp_port >= 0)
		json_object_object_add(n, "ntp_port", json_object_new_int(c->ntp_port));
	if (c->error[0])
		json_object_object_add(n, "last_error", json_object_new_string(c->error));
	json_object *bad = json_object_new_object();
	for (int i = 1; i < BFT_NTS_CLI_COUNT; i++)
		json_object_object_add(bad, bft_nts_cli_name((enum bft_nts_cli)i),
		                       json_object_new_int64((int64_t)c->ctr.rejected[i]));
	json_object_object_add(n, "rejected", bad);
	json_object_object_add(o, "nts", n);
}
