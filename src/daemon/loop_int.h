/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state (struct bftd) and the loop's parts in other files:
 * report.c (what is said about each estimate: log, status file, exports),
 * issue.c (time proofs), signals.c. Not for the rest of the daemon, which
 * sees bftd through loop.h.
 */
#ifndef BFTIME_DAEMON_LOOP_INT_H
#define BFTIME_DAEMON_LOOP_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/api.h"
#include "daemon/exports.h"
#include "daemon/gossip.h"
#include "daemon/history.h"
#include "daemon/http.h"
#include "daemon/loop.h"
#include "daemon/ntp_server.h"
#include "daemon/proofs_svc.h"
#include "daemon/status.h"
#include "daemon/udp.h"
#include "daemon/token.h"
#include "node/node.h"
#include "proto/sign.h"
#include "refclock/refclock.h"

struct bftd {
	bftd_config cfg; /* owns its copy of the peers array */
	bft_keyring *kr;
	bft_signer signer;
	bftd_token *token;       /* node.key in a PKCS#11 token (token.h), else NULL */
	bft_signer peer_signer;  /* with a token: the peers' pinned keys */
	bft_node *node;
	struct bftd_chain *chain; /* engine nakamoto with a chain store (chain.h); NULL otherwise */
	bft_cref nk_refs[BFTD_MAX_REFS]; /* engine nakamoto: the references' identities (bftd_chain_refs) */
	int fd;
	bftd_ratelimit rl;
	bftd_refclock refs[BFTD_MAX_REFS];
	int64_t timer_raw; /* the node's pending TIMER, INT64_MAX when none */
	int64_t start_mono;
	uint64_t byz_rng;
	bool alarm_logged;
	int64_t last_log_mono;
	bftd_counters ctr;
	bft_source_info *srcs;
	size_t n_srcs;
	uint8_t self_pub[32];
	/* the last reading of each reference: the proofs' reference block */
	bftd_reading ref_last[BFTD_MAX_REFS]; /* the last reading of each, raw_ns 0: none yet */
	const char *ref_kinds[BFTD_MAX_REFS];
	bftd_proofs *proofs;  /* NULL without a store */
	bftd_gossip *gossip;  /* NULL without a store */
	bftd_http *http;      /* NULL with api: none */
	bftd_api_env api;
	int64_t next_proof_mono;
	bftd_exports *exports;
	bftd_ntps *ntps;      /* NULL without ntp_server */
	size_t ref_nfds[BFTD_MAX_REFS]; /* pollfds each driver asked for this turn */
	bft_node_config nc;   /* the node's configuration (peers: ids) */
	uint32_t *ids;
	int64_t slept_ns;     /* bft_clock_slept_ns at the last wake */
	bftd_status status;   /* filled once per estimate; every face renders it (status.h) */
	bftd_history *history; /* the dashboard's recent samples (history.h) */
	void (*wd_kick)(void); /* systemd's watchdog (bftd_set_watchdog); NULL: none */
	int64_t wd_every_ns, wd_next_mono;
};

/* report.c */
/* The status file, rendered from d->status. */
void bftd_write_status(bftd *d);
void bftd_publish_exports(bftd *d, int64_t raw_now, const bft_estimate *e);
void bftd_service_exports(bftd *d, int64_t now_mono);
void bftd_on_estimate(bftd *d);
/* The node announced a reference entering or leaving quarantine. */
void bftd_log_quarantine(bftd *d, const bft_action *a);

/* issue.c */
void bftd_proof_ref(const bftd *d, bft_proof_ref *ref);
void bftd_service_proofs(bftd *d, int64_t now_mono);

/* signals.c: the signal that asked the loop to stop, 0 until one did */
extern volatile sig_atomic_t bftd_stop_requested;
#define STOP_POLL_MS 1000
int bftd_install_signals(void);
void bftd_close_signals(void);

#endif
