/* SPDX-License-Identifier: MIT */
/*
 * The NTP server's rate limiter: one token bucket per client address
 * (rate_per_s, burst), in a table that grows with the clients it has to
 * remember, up to a bound. Why not the peer gate's table (udp.h, a fixed
 * 1024 buckets indexed by a hash of the address): there every address that
 * hashes alike shares one bucket, so a server with more than about
 * 1024 x rate_per_s requests per second from all its clients together
 * refuses honest clients, and an abuser's bucket is shared by every client
 * that hashes with it. Here each address has its own bucket.
 *
 * The table is set-associative (a keyed hash of the address picks a set of
 * BFTD_CLIENTS_WAYS entries), like chrony's client log. A bucket that has
 * refilled to full holds nothing a new bucket would not, so its entry is
 * free for another address: the table needs to hold only the clients heard
 * from within about burst / rate_per_s (2 s with the defaults). When a set
 * has no such entry the table doubles, up to BFTD_CLIENTS_MAX entries; past
 * that the entry refilled longest ago is given up, and its client starts
 * again with a full bucket (so a bound on memory costs at worst a burst
 * more for a client pushed out, never a refusal of anyone).
 */
#ifndef BFTIME_DAEMON_NTP_CLIENTS_H
#define BFTIME_DAEMON_NTP_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BFTD_CLIENTS_WAYS 8
#define BFTD_CLIENTS_MIN 1024      /* entries at the start (32 KiB) */
#define BFTD_CLIENTS_MAX (1 << 20) /* entries at most (32 MiB) */

typedef struct bftd_clients bftd_clients;

/* NULL when out of memory. key: a random hash key. */
bftd_clients *bftd_clients_new(uint32_t rate_per_s, uint32_t burst, uint64_t key);
void bftd_clients_free(bftd_clients *t);

/* True if a request from `from` at mono time now_ns is within its
 * address's bucket (a token is taken). Addresses other than IPv4 and IPv6
 * share one bucket. */
bool bftd_clients_allow(bftd_clients *t, const struct sockaddr_storage *from, int64_t now_ns);

/* Entries in the table now, and how many were given up while their bucket
 * was not full (the table at its bound). */
size_t bftd_clients_capacity(const bftd_clients *t);
uint64_t bftd_clients_evicted(const bftd_clients *t);

#endif
