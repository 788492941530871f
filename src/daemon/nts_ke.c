/* SPDX-License-Identifier: MIT */
/*
 * The NTS-KE server and the cookie keys (nts_ke.h): OpenSSL's TLS 1.3 on
 * non-blocking sockets, driven from the event loop. The records themselves
 * are parsed and built by src/proto/nts.c.
 */
#define _GNU_SOURCE /* accept4 */
#include "daemon/nts_ke.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/udp.h"

#define NTSKE_BACKLOG 64
#define NTSKE_COOKIES 8 /* per response: RFC 8915 4.1.6 suggests eight */

enum cstate { C_FREE = 0, C_HANDSHAKE, C_READ, C_WRITE, C_SHUTDOWN };

struct conn {
	int fd;
	SSL *ssl;
	enum cstate st;
	short events;
	int64_t deadline_mono_ns;
	size_t in_len, out_len, out_off;
	uint8_t in[BFT_NTSKE_MAX_MSG];
	uint8_t out[NTSKE_COOKIES * (4 + BFT_NTS_COOKIE_LEN) + 64];
};

struct bftd_ntske {
	SSL_CTX *tls;
	int lfd;
	char listen[64];
	int ntp_port;
	size_t max_conns, n_open;
	struct conn *conns;
	size_t *polled; /* conns index of each pollfd after the listener's */
	size_t n_polled;
	int64_t timeout_ns, rotate_ns, next_rotate_mono_ns;
	bft_siv *siv;
	bft_nts_server_key keys[2];
	size_t n_keys;
	uint8_t pool[4096]; /* random bytes for nonces, drawn in bulk */
	size_t pool_left;
	struct {
		uint64_t accepted, handshakes, handshake_failures, no_alpn, sessions, malformed, refused, timeouts,
			io_errors, incomplete, cookies_issued, key_rotations, internal;
		const char *last_refused; /* why the last malformed or refused request was (static), NULL none */
	} ctr;
};

static int rand_bytes(bftd_ntske *ke, uint8_t *out, size_t n)
{
	while (n) {
		if (ke->pool_left == 0) {
			if (getrandom(ke->pool, sizeof ke->pool, 0) != (ssize_t)sizeof ke->pool)
				return -1;
			ke->pool_left = sizeof ke->pool;
		}
		size_t k = n < ke->pool_left ? n : ke->pool_left;
		uint8_t *src = ke->pool + sizeof ke->pool - ke->pool_left;
		memcpy(out, src, k);
		OPENSSL_cleanse(src, k); /* a nonce is public, but a key drawn from here is not */
		ke->pool_left -= k;
		out += k;
		n -= k;
	}
	return 0;
}

static int new_key(bftd_ntske *ke, bft_nts_server_key *k, uint32_t id)
{
	k->id = id;
	return rand_bytes(ke, k->key, sizeof k->key);
}

static void rotate(bftd_ntske *ke, int64_t now)
{
	bft_nts_server_key fresh;
	if (new_key(ke, &fresh, ke->keys[0].id + 1) != 0) {
		bftd_log(LOG_ERR, "nts: no randomness for a new cookie key; keeping the current one");
		ke->next_rotate_mono_ns = bft_sat_add(now, BFT_NS_PER_SEC);
		return;
	}
	ke->keys[1] = ke->keys[0];
	ke->keys[0] = fresh;
	OPENSSL_cleanse(&fresh, sizeof fresh);
	ke->n_keys = 2;
	ke->ctr.key_rotations++;
	ke->next_rotate_mono_ns = bft_sat_add(now, ke->rotate_ns);
	bftd_log(LOG_INFO, "nts: cookie key %u in use, %u still accepted", ke->keys[0].id, ke->keys[1].id);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	size_t want = strlen(BFT_NTSKE_ALPN);
	for (unsigned i = 0; i < inlen;) {
		unsigned l = in[i];
		if (i + 1 + l > inlen)
			break;
		if (l == want && memcmp(in + i + 1, BFT_NTSKE_ALPN, want) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 8915 4: ntske/1 or nothing */
}

static const char *ssl_err(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (!e)
		return "no detail";
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* The TLS 1.3 server context with the certificate chain and key: NULL and
 * err set when they do not load or do not match. */
static SSL_CTX *server_tls(const struct bftd_nts_server_config *c, char *err, size_t errlen)
{
	char e[256];
	SSL_CTX *tls = SSL_CTX_new(TLS_server_method());
	if (!tls || SSL_CTX_set_min_proto_version(tls, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "nts: TLS 1.3 unavailable: %s", ssl_err(e, sizeof e));
	} else if (SSL_CTX_use_certificate_chain_file(tls, c->certificate) != 1) {
		snprintf(err, errlen, "nts: certificate %s: %s", c->certificate, ssl_err(e, sizeof e));
	} else if (SSL_CTX_use_PrivateKey_file(tls, c->key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
			snprintf(err, errlen, "nts: key %s does not match certificate %s", c->key, c->certificate);
			ERR_clear_error();
		} else {
			snprintf(err, errlen, "nts: key %s: %s", c->key, ssl_err(e, sizeof e));
		}
	} else if (SSL_CTX_check_private_key(tls) != 1) {
		snprintf(err, errlen, "nts: key %s does not match certificate %s", c->key, c->certificate);
		ERR_clear_error();
	} else {
		return tls;
	}
	SSL_CTX_free(tls);
	return NULL;
}

int bftd_ntske_check(const struct bftd_nts_server_config *c, char *err, size_t errlen)
{
	SSL_CTX *tls = server_tls(c, err, errlen);
	SSL_CTX_free(tls);
	return tls ? 0 : BFT_EINVAL;
}

int bftd_ntske_open(bftd_ntske **out, const struct bftd_nts_server_config *c, const bftd_addr *ntp_listen,
                    char *err, size_t errlen)
{
	*out = NULL;
	char e[256];
	bftd_ntske *ke = calloc(1, sizeof *ke);
	if (!ke) {
		snprintf(err, errlen, "nts: out of memory");
		return BFT_ENOMEM;
	}
	ke->lfd = -1;
	ke->max_conns = c->max_connections ? c->max_connections : 32;
	if (ke->max_conns > BFTD_NTSKE_MAX_POLLFDS - 1)
		ke->max_conns = BFTD_NTSKE_MAX_POLLFDS - 1;
	ke->timeout_ns = c->ke_timeout_ns > 0 ? c->ke_timeout_ns : 5 * BFT_NS_PER_SEC;
	ke->rotate_ns = c->key_rotate_ns > 0 ? c->key_rotate_ns : 86400 * BFT_NS_PER_SEC;
	ke->conns = calloc(ke->max_conns, sizeof *ke->conns);
	ke->polled = calloc(ke->max_conns, sizeof *ke->polled);
	if (!ke->conns || !ke->polled) {
		snprintf(err, errlen, "nts: out of memory");
		goto fail;
	}
	if (bft_siv_new(&ke->siv, e, sizeof e) != 0) {
		snprintf(err, errlen, "nts: %s", e);
		goto fail;
	}
	uint32_t id0;
	if (rand_bytes(ke, (uint8_t *)&id0, sizeof id0) != 0 || new_key(ke, &ke->keys[0], id0) != 0) {
		snprintf(err, errlen, "nts: getrandom: %s", strerror(errno));
		goto fail;
	}
	ke->n_keys = 1;

	ke->tls = server_tls(c, err, errlen);
	if (!ke->tls)
		goto fail;
	SSL_CTX_set_alpn_select_cb(ke->tls, alpn_select, NULL);
	/* One request per connection: resumption would save nothing. */
	SSL_CTX_set_num_tickets(ke->tls, 0);
	SSL_CTX_set_session_cache_mode(ke->tls, SSL_SESS_CACHE_OFF);

	/* The KE address: as configured, or the NTP address's host at 4460. */
	bftd_addr a = c->ke_listen;
	if (a.len == 0) {
		a = *ntp_listen;
		if (a.ss.ss_family == AF_INET)
			((struct sockaddr_in *)&a.ss)->sin_port = htons(BFT_NTSKE_PORT);
		else
			((struct sockaddr_in6 *)&a.ss)->sin6_port = htons(BFT_NTSKE_PORT);
		const char *colon = strrchr(ntp_listen->text, ':');
		snprintf(a.text, sizeof a.text, "%.*s:%d", colon ? (int)(colon - ntp_listen->text) : 0, ntp_listen->text,
		         BFT_NTSKE_PORT);
	}
	snprintf(ke->listen, sizeof ke->listen, "%s", a.text);
	ke->ntp_port = ntohs(ntp_listen->ss.ss_family == AF_INET ? ((const struct sockaddr_in *)&ntp_listen->ss)->sin_port
	                                                         : ((const struct sockaddr_in6 *)&ntp_listen->ss)->sin6_port);
	ke->lfd = bftd_socket(a.ss.ss_family, SOCK_STREAM);
	int one = 1;
	if (ke->lfd < 0 || setsockopt(ke->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(ke->lfd, (const struct sockaddr *)&a.ss, a.len) != 0 || listen(ke->lfd, NTSKE_BACKLOG) != 0) {
		snprintf(err, errlen, "nts: NTS-KE listener on %s: %s", a.text, strerror(errno));
		goto fail;
	}
	bftd_log(LOG_NOTICE, "NTS-KE server on %s (TLS 1.3, ALPN %s, at most %zu connections), NTP port %d",
	         ke->listen, BFT_NTSKE_ALPN, ke->max_conns, ke->ntp_port);
	*out = ke;
	return 0;
fail:
	bftd_ntske_close(ke);
	return BFT_EINVAL;
}

static void conn_close(bftd_ntske *ke, struct conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	OPENSSL_cleanse(c->out, sizeof c->out); /* the cookies */
	c->ssl = NULL;
	c->fd = -1;
	c->st = C_FREE;
	ke->n_open--;
}

void bftd_ntske_close(bftd_ntske *ke)
{
	if (!ke)
		return;
	for (size_t i = 0; ke->conns && i < ke->max_conns; i++)
		if (ke->conns[i].st != C_FREE)
			conn_close(ke, &ke->conns[i]);
	if (ke->lfd >= 0)
		close(ke->lfd);
	SSL_CTX_free(ke->tls);
	bft_siv_free(ke->siv);
	OPENSSL_cleanse(ke->keys, sizeof ke->keys);
	OPENSSL_cleanse(ke->pool, sizeof ke->pool);
	free(ke->conns);
	free(ke->polled);
	free(ke);
}

const bft_nts_server_key *bftd_ntske_keys(const bftd_ntske *ke, size_t *n)
{
	*n = ke->n_keys;
	return ke->keys;
}

bft_siv *bftd_ntske_siv(bftd_ntske *ke) { return ke->siv; }

int bftd_ntske_random(bftd_ntske *ke, uint8_t *out, size_t n) { return rand_bytes(ke, out, n); }

int bftd_ntske_cookie(bftd_ntske *ke, uint8_t out[BFT_NTS_COOKIE_LEN], const uint8_t c2s[BFT_NTS_KEY_LEN],
                      const uint8_t s2c[BFT_NTS_KEY_LEN])
{
	uint8_t nonce[BFT_NTS_NONCE_LEN];
	if (rand_bytes(ke, nonce, sizeof nonce) != 0)
		return BFT_EINVAL;
	return bft_nts_cookie_seal(ke->siv, out, &ke->keys[0], nonce, c2s, s2c);
}

/* The response to a request parsed whole: keys from the TLS exporter,
 * eight cookies, the port. */
static void respond(bftd_ntske *ke, struct conn *c)
{
	bft_ntske_msg m;
	const char *why = NULL;
	int rc = bft_ntske_parse(&m, c->in, c->in_len, &why);
	int code = rc == 0 ? bft_ntske_server_check(&m, &why) : BFT_NTSKE_ERR_BAD_REQUEST;
	if (code < 0) {
		static const uint8_t ctx_c2s[5] = { 0, BFT_NTS_PROTO_NTPV4, 0, BFT_NTS_AEAD_SIV_CMAC_256, 0 };
		static const uint8_t ctx_s2c[5] = { 0, BFT_NTS_PROTO_NTPV4, 0, BFT_NTS_AEAD_SIV_CMAC_256, 1 };
		uint8_t c2s[BFT_NTS_KEY_LEN], s2c[BFT_NTS_KEY_LEN], cookies[NTSKE_COOKIES][BFT_NTS_COOKIE_LEN];
		const uint8_t *cp[NTSKE_COOKIES];
		size_t cl[NTSKE_COOKIES];
		const char *label = BFT_NTSKE_EXPORTER_LABEL;
		bool ok = SSL_export_keying_material(c->ssl, c2s, sizeof c2s, label, strlen(label), ctx_c2s, 5, 1) == 1 &&
		          SSL_export_keying_material(c->ssl, s2c, sizeof s2c, label, strlen(label), ctx_s2c, 5, 1) == 1;
		for (size_t i = 0; ok && i < NTSKE_COOKIES; i++) {
			ok = bftd_ntske_cookie(ke, cookies[i], c2s, s2c) == 0;
			cp[i] = cookies[i];
			cl[i] = BFT_NTS_COOKIE_LEN;
		}
		c->out_len = ok ? bft_ntske_server_response(c->out, sizeof c->out, cp, cl, NTSKE_COOKIES, ke->ntp_port) : 0;
		OPENSSL_cleanse(c2s, sizeof c2s);
		OPENSSL_cleanse(s2c, sizeof s2c);
		OPENSSL_cleanse(cookies, sizeof cookies);
		if (c->out_len) {
			ke->ctr.sessions++;
			ke->ctr.cookies_issued += NTSKE_COOKIES;
			return;
		}
		ke->ctr.internal++;
		bftd_log(LOG_ERR, "nts: could not build an NTS-KE response (key export or cookie sealing failed)");
		code = BFT_NTSKE_ERR_INTERNAL;
	} else if (rc != 0) {
		ke->ctr.malformed++;
		ke->ctr.last_refused = why ? why : "?";
		bftd_log(LOG_INFO, "nts: malformed NTS-KE request: %s", ke->ctr.last_refused);
	} else {
		ke->ctr.refused++;
		ke->ctr.last_refused = why ? why : "?";
		bftd_log(LOG_INFO, "nts: NTS-KE request refused (error %d): %s", code, ke->ctr.last_refused);
	}
	c->out_len = bft_ntske_server_error(c->out, sizeof c->out, code);
}

/* After an SSL call returned r <= 0: wait for the socket (1), or give up (0). */
static int wait_or_fail(bftd_ntske *ke, struct conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->events = POLLIN;
		return 1;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->events = POLLOUT;
		return 1;
	}
	char b[200];
	if (c->st == C_HANDSHAKE) {
		ke->ctr.handshake_failures++;
		bftd_log(LOG_DEBUG, "nts: TLS handshake failed: %s", ssl_err(b, sizeof b));
	} else if (c->st == C_READ && e == SSL_ERROR_ZERO_RETURN) {
		ke->ctr.incomplete++;
	} else if (c->st != C_SHUTDOWN) {
		ke->ctr.io_errors++;
		bftd_log(LOG_DEBUG, "nts: NTS-KE connection error: %s", ssl_err(b, sizeof b));
	}
	ERR_clear_error();
	return 0;
}

/* Advance c as far as the socket allows. */
static void step(bftd_ntske *ke, struct conn *c)
{
	for (;;) {
		int r;
		switch (c->st) {
		case C_HANDSHAKE:
			r = SSL_do_handshake(c->ssl);
			if (r != 1) {
				if (!wait_or_fail(ke, c, r))
					conn_close(ke, c);
				return;
			}
			{
				const unsigned char *alpn = NULL;
				unsigned alen = 0;
				SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
				if (alen == 0) { /* the client offered no ALPN at all */
					ke->ctr.no_alpn++;
					conn_close(ke, c);
					return;
				}
			}
			ke->ctr.handshakes++;
			c->st = C_READ;
			break;
		case C_READ:
			r = SSL_read(c->ssl, c->in + c->in_len, (int)(sizeof c->in - c->in_len));
			if (r <= 0) {
				if (!wait_or_fail(ke, c, r))
					conn_close(ke, c);
				return;
			}
			c->in_len += (size_t)r;
			{
				bft_ntske_msg m;
				if (bft_ntske_parse(&m, c->in, c->in_len, NULL) == 1 && c->in_len < sizeof c->in)
					break; /* more to come */
			}
			respond(ke, c);
			c->out_off = 0;
			c->st = C_WRITE;
			break;
		case C_WRITE:
			r = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));
			if (r <= 0) {
				if (!wait_or_fail(ke, c, r))
					conn_close(ke, c);
				return;
			}
			c->out_off += (size_t)r;
			if (c->out_off == c->out_len)
				c->st = C_SHUTDOWN;
			break;
		case C_SHUTDOWN:
			/* Our close_notify, then close: RFC 8915 4 has the server
			 * close after the response; the client's own close_notify
			 * is not worth a slot. */
			r = SSL_shutdown(c->ssl);
			if (r < 0 && wait_or_fail(ke, c, r))
				return;
			conn_close(ke, c);
			return;
		case C_FREE:
			return;
		}
	}
}

static void accept_new(bftd_ntske *ke, int64_t now)
{
	while (ke->n_open < ke->max_conns) {
		int fd = accept4(ke->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				bftd_log(LOG_DEBUG, "nts: accept: %s", strerror(errno));
			return;
		}
		struct conn *c = NULL;
		for (size_t i = 0; i < ke->max_conns && !c; i++)
			if (ke->conns[i].st == C_FREE)
				c = &ke->conns[i];
		c->fd = fd;
		c->ssl = SSL_new(ke->tls);
		ke->n_open++;
		ke->ctr.accepted++;
		if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
			ke->ctr.internal++;
			c->st = C_HANDSHAKE; /* so conn_close frees what there is */
			conn_close(ke, c);
			continue;
		}
		SSL_set_accept_state(c->ssl);
		c->st = C_HANDSHAKE;
		c->in_len = c->out_len = c->out_off = 0;
		c->events = POLLIN;
		c->deadline_mono_ns = bft_sat_add(now, ke->timeout_ns);
		step(ke, c);
	}
}

size_t bftd_ntske_pollfds(bftd_ntske *ke, struct pollfd *pfd, size_t max)
{
	if (!ke || max == 0)
		return 0;
	ke->n_polled = 0;
	/* A full house: the listener rests, new clients wait in the backlog. */
	pfd[0] = (struct pollfd){ .fd = ke->n_open < ke->max_conns ? ke->lfd : -1, .events = POLLIN };
	size_t n = 1;
	for (size_t i = 0; i < ke->max_conns && n < max; i++) {
		if (ke->conns[i].st == C_FREE)
			continue;
		pfd[n++] = (struct pollfd){ .fd = ke->conns[i].fd, .events = ke->conns[i].events };
		ke->polled[ke->n_polled++] = i;
	}
	return n;
}

void bftd_ntske_service(bftd_ntske *ke, const struct pollfd *pfd, size_t n, int64_t now)
{
	if (!ke)
		return;
	for (size_t k = 1; k < n && k - 1 < ke->n_polled; k++) {
		struct conn *c = &ke->conns[ke->polled[k - 1]];
		if (c->st != C_FREE && c->fd == pfd[k].fd && pfd[k].revents)
			step(ke, c);
	}
	for (size_t i = 0; i < ke->max_conns; i++) {
		struct conn *c = &ke->conns[i];
		if (c->st != C_FREE && now >= c->deadline_mono_ns) {
			ke->ctr.timeouts++;
			conn_close(ke, c);
		}
	}
	if (n > 0 && pfd[0].fd >= 0 && (pfd[0].revents & POLLIN))
		accept_new(ke, now);
	if (ke->next_rotate_mono_ns == 0)
		ke->next_rotate_mono_ns = bft_sat_add(now, ke->rotate_ns);
	else if (now >= ke->next_rotate_mono_ns)
		rotate(ke, now);
}

int bftd_ntske_timeout_ms(const bftd_ntske *ke, int64_t now)
{
	if (!ke)
		return -1;
	int64_t next = ke->next_rotate_mono_ns ? ke->next_rotate_mono_ns : bft_sat_add(now, ke->rotate_ns);
	for (size_t i = 0; i < ke->max_conns; i++)
		if (ke->conns[i].st != C_FREE && ke->conns[i].deadline_mono_ns < next)
			next = ke->conns[i].deadline_mono_ns;
	int64_t ms = (next - now + 999999) / 1000000;
	return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

void bftd_ntske_status(const bftd_ntske *ke, struct json_object *o)
{
	if (!ke)
		return;
	json_object_object_add(o, "ke_listen", json_object_new_string(ke->listen));
	json_object_object_add(o, "ke_open", json_object_new_int64((int64_t)ke->n_open));
	json_object_object_add(o, "ke_max_connections", json_object_new_int64((int64_t)ke->max_conns));
#define C(name) json_object_object_add(o, "ke_" #name, json_object_new_int64((int64_t)ke->ctr.name))
	C(accepted);
	C(handshakes);
	C(handshake_failures);
	C(no_alpn);
	C(sessions);
	C(malformed);
	C(refused);
	C(timeouts);
	C(io_errors);
	C(incomplete);
	C(internal);
#undef C
	if (ke->ctr.last_refused)
		json_object_object_add(o, "ke_last_refused", json_object_new_string(ke->ctr.last_refused));
	json_object_object_add(o, "cookies_issued_ke", json_object_new_int64((int64_t)ke->ctr.cookies_issued));
	json_object_object_add(o, "key_id", json_object_new_int64(ke->keys[0].id));
	json_object_object_add(o, "key_rotations", json_object_new_int64((int64_t)ke->ctr.key_rotations));
}
