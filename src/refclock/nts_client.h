/* SPDX-License-Identifier: MIT */
/*
 * The client side of NTS (RFC 8915) for the `ntp` reference driver
 * (nts_client.c): NTS-KE over TLS 1.3 to get the two AEAD keys and cookies,
 * then NTS-protected requests and the check of each reply. The wire work is
 * src/proto/nts.c's; this is the TLS connection, run as a non-blocking state
 * machine in the host's event loop like every other driver socket, and the
 * cookie jar.
 *
 * The server's certificate is verified against the CA file given (or the
 * system's store) and against the configured server's name or IP address.
 * Nothing here ever falls back to plain NTP: without keys and a cookie there
 * is no request to send, and a reply that does not authenticate is refused.
 */
#ifndef BFTIME_REFCLOCK_NTS_CLIENT_H
#define BFTIME_REFCLOCK_NTS_CLIENT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/nts.h"
#include "refclock/host.h"

struct json_object;

typedef struct bftd_ntsc bftd_ntsc;

/* name: the server as configured (checked against the certificate: a DNS
 * name, or an IP address literal); ke: its address with the NTS-KE port;
 * ca_file: PEM CA certificates, "" for the system store. 0, or BFT_EINVAL
 * with err set. */
int bftd_ntsc_new(bftd_ntsc **out, const bftd_refclock_host *host, const char *name,
                  const struct sockaddr_storage *ke, socklen_t ke_len, const char *ca_file, char *err, size_t errlen);
void bftd_ntsc_free(bftd_ntsc *c);

/* Keys and at least one cookie: a request can be sent. */
bool bftd_ntsc_ready(const bftd_ntsc *c);
/* Whether NTS-KE is under way. */
bool bftd_ntsc_busy(const bftd_ntsc *c);
/* Start NTS-KE now (forgetting keys and cookies) unless it is under way. */
void bftd_ntsc_start(bftd_ntsc *c, int64_t now_mono_ns);
size_t bftd_ntsc_pollfds(bftd_ntsc *c, struct pollfd *pfd, size_t max);
/* Advance NTS-KE. Returns 1 when it just succeeded, -1 when it just failed
 * (bftd_ntsc_error says why), 0 otherwise. */
int bftd_ntsc_service(bftd_ntsc *c, const struct pollfd *pfd, size_t n, int64_t now_mono_ns);
/* When the service is due without events (the KE deadline), INT64_MAX none. */
int64_t bftd_ntsc_next_mono_ns(const bftd_ntsc *c);
const char *bftd_ntsc_error(const bftd_ntsc *c);
/* The NTP port the server named (Port record), -1 none. */
int bftd_ntsc_ntp_port(const bftd_ntsc *c);

/* An NTS request around hdr (48 bytes), spending the oldest cookie; its
 * length, or 0 (not ready, no randomness). Remembers the unique identifier. */
size_t bftd_ntsc_request(bftd_ntsc *c, uint8_t *out, size_t cap, const uint8_t hdr[48]);
/* Before each request: false when the keys were just given up (the
 * request after an NTS NAK got no authenticated reply: NTS-KE again). */
bool bftd_ntsc_before_request(bftd_ntsc *c);
/* Check a reply against the outstanding request: BFT_NTS_CLI_OK (its new
 * cookies kept, the request no longer outstanding) or why not. An NTS NAK
 * is not authenticated, so (RFC 8915 5.7: the client waits for a valid
 * reply to a further request before it believes one) a first NAK keeps the
 * keys and leaves the request outstanding (a forged NAK may come before the
 * real reply) and makes the next request the test; a NAK to that one, or
 * no authenticated reply before the request after it, drops every key and
 * cookie (bftd_ntsc_ready false: the caller starts NTS-KE again). */
enum bft_nts_cli bftd_ntsc_check(bftd_ntsc *c, const uint8_t *pkt, size_t len);

void bftd_ntsc_status(const bftd_ntsc *c, struct json_object *o);

#endif
