/* SPDX-License-Identifier: MIT */
/*
 * Serving NTPv4 to standard clients (ntp_server.c): a mode 3 request in, a
 * mode 4 reply out, from the node's consensus time. Stratum, root delay and
 * root dispersion come from the node's interval; the leap indicator says
 * "unsynchronized" until the node is synchronized. Rate limited per client
 * address; a reply is never larger than its request (no amplification).
 */
#ifndef BFTIME_DAEMON_NTP_SERVER_H
#define BFTIME_DAEMON_NTP_SERVER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "node/node.h"

struct json_object;

typedef struct bftd_ntps bftd_ntps;

int bftd_ntps_open(bftd_ntps **out, const bftd_config *cfg, char *err, size_t errlen);
/* The socket to poll for POLLIN. */
int bftd_ntps_fd(const bftd_ntps *s);
/* Answer every waiting request from the node's clock. */
void bftd_ntps_service(bftd_ntps *s, bft_node *node);
/* The NTS-KE server when ntp_server.nts is configured, else NULL; the loop
 * polls and services it (nts_ke.h). */
struct bftd_ntske *bftd_ntps_ke(bftd_ntps *s);
void bftd_ntps_status(const bftd_ntps *s, struct json_object *o);
void bftd_ntps_close(bftd_ntps *s);

#endif
