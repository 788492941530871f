/* SPDX-License-Identifier: MIT */
/*
 * bftimed's core: one single-threaded poll() loop, as chrony's and
 * OpenNTPD's, driving the sans-I/O node (src/node/node.h) with a real UDP
 * socket, the OS clocks (src/sys/clock.h, read only) and the reference
 * drivers (refclock.h), the NTP server (ntp_server.h) and the exports (exports.h):
 *
 *   datagram in     -> rate limit per source address -> bft_node_on_packet,
 *                      stamped with the raw clock read right after recv
 *   node TIMER      -> the poll() timeout -> bft_node_on_timer
 *   reference due   -> bft_node_on_reference
 *   node SEND       -> (test-only Byzantine rewrite) -> sendto the peer's address
 *   node ESTIMATE   -> one log line, and the JSON status file
 *   SIGINT/SIGTERM  -> clean stop; SIGHUP -> reread the configuration, say what differs (reload.h)
 *
 * Malformed, oversized, unsigned or rate-limited datagrams are counted and
 * dropped; nothing a peer sends stops the loop.
 */
#ifndef BFTIME_DAEMON_LOOP_H
#define BFTIME_DAEMON_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

typedef struct bftd bftd;

typedef struct bftd_counters {
	uint64_t datagrams, rate_limited, malformed, dropped_by_node, send_errors, byz_rewritten, estimates;
} bftd_counters;

/* Build the daemon from a validated config and the node's private key seed
 * (copied into the keyring; the caller wipes its copy), and bind its socket.
 * Nothing runs until bftd_run. Returns 0, or a negative code with err set. */
int bftd_create(bftd **out, const bftd_config *cfg, const uint8_t seed[32], char *err, size_t errlen);

/* Drop root for cfg->user (no-op unless running as root with a user set);
 * with keep_clock, keep CAP_SYS_TIME alone (exports.adjtimex needs it). */
int bftd_drop_privileges(const char *user, bool keep_clock, char *err, size_t errlen);

/* Open the proof store (cfg->store) and start gossip: after dropping root,
 * so the database and its WAL files belong to the user the daemon runs as.
 * A no-op without a store. 0, or an error with err set. */
int bftd_open_store(bftd *d, char *err, size_t errlen);

/* systemd's watchdog (WatchdogSec): call kick every every_ns from the
 * loop's turns, so that a loop that stops turning stops kicking. */
void bftd_set_watchdog(bftd *d, int64_t every_ns, void (*kick)(void));

/* Run until SIGINT or SIGTERM; 0 on a clean stop. */
int bftd_run(bftd *d);

const bftd_counters *bftd_get_counters(const bftd *d);

void bftd_destroy(bftd *d);

#endif
