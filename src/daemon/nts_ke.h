/* SPDX-License-Identifier: MIT */
/*
 * The NTS-KE server (RFC 8915 section 4) and the cookie keys it shares with
 * the NTP server (nts_ke.c). NTS-KE is TLS 1.3 over TCP with ALPN "ntske/1":
 * the client sends one request, we answer with the negotiated protocol and
 * AEAD, eight cookies and the NTP port, and close. The TLS session's
 * exporter gives both sides the two AEAD keys the cookies carry.
 *
 * Everything runs in the daemon's one event loop: sockets are non-blocking,
 * each connection is a small state machine (handshake, read the request,
 * write the response, shut down) advanced when poll says its socket is
 * ready, so a slow or hostile client costs one slot and never blocks the NTP
 * path. At most max_connections are open at once (the listener is not
 * polled while they are, so further clients wait in the kernel's backlog),
 * and each is closed after ke_timeout whatever its state.
 *
 * The cookie keys live in memory only: a fresh random key every key_rotate,
 * the previous one still accepted, so a client's cookies outlive one
 * rotation. A restart forgets both: clients then get an NTS NAK and run
 * NTS-KE again, which is what RFC 8915 expects of them.
 */
#ifndef BFTIME_DAEMON_NTS_KE_H
#define BFTIME_DAEMON_NTS_KE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "proto/nts.h"

struct json_object;

typedef struct bftd_ntske bftd_ntske;

/* Load the certificate and key, bind the listener. ntp_port goes into the
 * response's Port record. 0, or BFT_EINVAL with err set. */
int bftd_ntske_open(bftd_ntske **out, const struct bftd_nts_server_config *c, const bftd_addr *ntp_listen,
                    char *err, size_t errlen);
void bftd_ntske_close(bftd_ntske *ke);
/* For --check-config: the certificate and key load and match. 0, or
 * BFT_EINVAL with err set. */
int bftd_ntske_check(const struct bftd_nts_server_config *c, char *err, size_t errlen);

/* The most pollfds bftd_ntske_pollfds fills. */
#define BFTD_NTSKE_MAX_POLLFDS (1 + 1024)
size_t bftd_ntske_pollfds(bftd_ntske *ke, struct pollfd *pfd, size_t max);
/* Advance every connection (pfd as filled above, n 0 after a poll timeout),
 * expire old ones, rotate the key when due. */
void bftd_ntske_service(bftd_ntske *ke, const struct pollfd *pfd, size_t n, int64_t now_mono_ns);
/* Milliseconds until the next deadline (a connection's, the rotation), -1 none. */
int bftd_ntske_timeout_ms(const bftd_ntske *ke, int64_t now_mono_ns);

/* The cookie keys, newest first (1 or 2), and the AEAD object the NTP
 * server may use too (one thread). */
const bft_nts_server_key *bftd_ntske_keys(const bftd_ntske *ke, size_t *n);
bft_siv *bftd_ntske_siv(bftd_ntske *ke);
/* Seal a cookie for (c2s, s2c) under the newest key, with a fresh nonce. */
int bftd_ntske_cookie(bftd_ntske *ke, uint8_t out[BFT_NTS_COOKIE_LEN], const uint8_t c2s[BFT_NTS_KEY_LEN],
                      const uint8_t s2c[BFT_NTS_KEY_LEN]);

/* n random bytes (nonces), from a pool refilled by getrandom. 0 or -1. */
int bftd_ntske_random(bftd_ntske *ke, uint8_t *out, size_t n);

void bftd_ntske_status(const bftd_ntske *ke, struct json_object *o);

#endif
