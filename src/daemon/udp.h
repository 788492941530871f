/* SPDX-License-Identifier: MIT */
/*
 * UDP sockets for the peer protocol, and the per-source-address rate limit
 * applied to incoming datagrams before any decoding or signature check.
 *
 * The rate limiter is a fixed table of token buckets indexed by a keyed hash
 * of the source address (no allocation, O(1) per packet). Two addresses
 * sharing a slot share a bucket, which can only make the limit stricter; the
 * key is random per process so a sender cannot aim at a victim's slot.
 */
#ifndef BFTIME_DAEMON_UDP_H
#define BFTIME_DAEMON_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/config.h"

/* socket(family, type, 0), made non-blocking and close-on-exec; the fd, or
 * -1 with errno set. Every socket of the daemon is opened through it. */
int bftd_socket(int family, int type);

/* A non-blocking UDP socket bound to addr; the fd, or -1 with err set. */
int bftd_udp_open(const bftd_addr *addr, char *err, size_t errlen);

/* Receive one datagram; its length, 0 if none is waiting, -1 on error.
 * A datagram longer than cap is reported with *truncated set. *kernel_rt_ns
 * is the kernel's arrival stamp (CLOCK_REALTIME ns), 0 when there is none. */
ssize_t bftd_udp_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from, socklen_t *fromlen,
                      bool *truncated, int64_t *kernel_rt_ns);

/* Send one datagram; 0 or -1 (errno set). */
int bftd_udp_send(int fd, const bftd_addr *to, const uint8_t *buf, size_t len);

#define BFTD_RL_SLOTS 1024

typedef struct bftd_ratelimit {
	uint32_t rate_per_s, burst;
	uint64_t key;
	struct {
		int64_t last_ns;
		int64_t tokens_milli; /* thousandths of a token */
	} slot[BFTD_RL_SLOTS];
} bftd_ratelimit;

void bftd_ratelimit_init(bftd_ratelimit *rl, uint32_t rate_per_s, uint32_t burst, uint64_t key);

/* True if a datagram from `from` at mono time now_ns is allowed (a token is taken). */
bool bftd_ratelimit_allow(bftd_ratelimit *rl, const struct sockaddr_storage *from, int64_t now_ns);

/* Printable "addr:port" of a socket address. */
void bftd_addr_format(char *out, size_t cap, const struct sockaddr_storage *ss);

#endif
