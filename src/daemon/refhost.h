/* SPDX-License-Identifier: MIT */
/*
 * The host the daemon gives its reference drivers (src/refclock/host.h):
 * the real clocks, log, randomness and sockets.
 */
#ifndef BFTIME_DAEMON_REFHOST_H
#define BFTIME_DAEMON_REFHOST_H

#include "refclock/host.h"

extern const bftd_refclock_host bftd_refhost;

#endif
