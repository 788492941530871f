/* SPDX-License-Identifier: MIT */
/*
 * SIGHUP (issue 14): bftimed rereads its configuration file and says
 * exactly which of its sections differ from the running configuration and
 * so need a restart. It applies none of them: the node's peers, sources,
 * keys and sockets are fixed at creation (its state, the proof chain and
 * the drop of privileges are built on them), and a half-applied change
 * would be worse than none. A file that no longer parses is said, and the
 * running configuration kept.
 */
#ifndef BFTIME_DAEMON_RELOAD_H
#define BFTIME_DAEMON_RELOAD_H

#include <signal.h>
#include <stddef.h>

#include "daemon/config.h"

/* Set by the SIGHUP handler (signals.c), cleared by the loop. */
extern volatile sig_atomic_t bftd_reload_requested;

/* The configuration file SIGHUP rereads (main.c); NULL: none. */
void bftd_reload_set_path(const char *path);

/* The names of the configuration's sections that differ between a and b,
 * ", "-separated into buf (len bytes, NUL ended; "" when none). Returns how
 * many differ. Pure: for tests. */
size_t bftd_config_diff(const bftd_config *a, const bftd_config *b, char *buf, size_t len);

/* Reread the file, compare it with running, and log the result. */
void bftd_reload(const bftd_config *running);

#endif
