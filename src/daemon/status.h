/* SPDX-License-Identifier: MIT */
/*
 * One status snapshot, as chrony fills its reports.h structures once and
 * its command module only serialises them: the loop fills it once per
 * estimate (bftd_status_fill), and every face only renders it: the status
 * file (report.c), /v1/status and /metrics (api*.c), and through
 * /v1/status the CLI. Every counter is named here once, with its JSON key
 * and its Prometheus name, so that no face can lack one another has.
 */
#ifndef BFTIME_DAEMON_STATUS_H
#define BFTIME_DAEMON_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/api.h"
#include "node/node.h"

/* Counters exist when their service does. */
enum { BFTD_CG_NODE = 1, BFTD_CG_LIAR = 2, BFTD_CG_HTTP = 4, BFTD_CG_PROOFS = 8, BFTD_CG_GOSSIP = 16 };

enum bftd_counter {
	BFTD_C_DATAGRAMS, BFTD_C_RATE_LIMITED, BFTD_C_MALFORMED, BFTD_C_BAD_SIGNATURE, BFTD_C_UNKNOWN_PEER,
	BFTD_C_REPLAYED, BFTD_C_NOT_FOR_US, BFTD_C_SENT, BFTD_C_SEND_ERRORS, BFTD_C_EXCHANGES,
	BFTD_C_READINGS_REJECTED, BFTD_C_ALARMS, BFTD_C_FUSIONS, BFTD_C_REF_QUARANTINES, BFTD_C_REF_READMISSIONS,
	BFTD_C_REF_READINGS_QUARANTINED, BFTD_C_ESTIMATES, BFTD_C_LIES,
	BFTD_C_HTTP_REQUESTS, BFTD_C_HTTP_4XX, BFTD_C_HTTP_5XX, BFTD_C_HTTP_TOO_LARGE, BFTD_C_HTTP_CONNECTIONS,
	BFTD_C_HTTP_CONNECTIONS_MAX, BFTD_C_HTTP_CONNECTIONS_TOTAL, BFTD_C_HTTP_CLOSED_DEADLINE,
	BFTD_C_HTTP_CLOSED_PRESSURE, BFTD_C_HTTP_RATE_LIMITED, BFTD_C_HTTP_CONNECTION_LIMIT,
	BFTD_C_HTTP_LINGERED, BFTD_C_HTTP_LINGER_FULL,
	BFTD_C_PROOFS_ISSUED, BFTD_C_PROOFS_ISSUE_FAILED, BFTD_C_PROOFS_SUBMITTED, BFTD_C_PROOFS_ACCEPTED,
	BFTD_C_GOSSIP_POSTS, BFTD_C_GOSSIP_OK, BFTD_C_GOSSIP_FAILED, BFTD_C_GOSSIP_PROOFS_SENT,
	BFTD_C_COUNT
};

typedef struct bftd_counter_def {
	const char *key;    /* in "counters" of the status file and /v1/status */
	const char *metric; /* in /metrics */
	const char *help;
	unsigned group;     /* BFTD_CG_* */
	bool gauge;         /* a level, not a running total */
} bftd_counter_def;

extern const bftd_counter_def bftd_counter_defs[BFTD_C_COUNT];

typedef struct bftd_status {
	bool filled;
	int64_t raw_ns, rt_ns; /* the raw clock and CLOCK_REALTIME when filled */
	bool ok, synced;       /* the node gave an estimate; and it is synchronized */
	bft_estimate e;
	bft_source_info *src;  /* every source, n_src of them */
	size_t n_src, cap_src;
	unsigned groups;       /* BFTD_CG_* present */
	uint64_t c[BFTD_C_COUNT];
	bft_agree_info agree;  /* internal synchronization (docs/internal-sync.md) */
	bool disc_ok;          /* disc is the discipline's status (bftime tracking) */
	bft_disc_status disc;
	uint64_t agree_short, agree_violations, agree_steps;
} bftd_status;

/* Room for n sources. 0 or BFT_ENOMEM. */
int bftd_status_init(bftd_status *s, size_t n_sources);
void bftd_status_free(bftd_status *s);

/* Fill s from the node and the services env reaches, as of raw_ns (rt_ns
 * the system clock then); e: the estimate already read at raw_ns, or NULL
 * to read it. */
void bftd_status_fill(bftd_status *s, const bftd_api_env *env, int64_t raw_ns, int64_t rt_ns, const bft_estimate *e);

/* The node's state as every face names it: the discipline's
 * (unsynchronized, synchronized, holdover), or "alarm" while the last fusion
 * proved more than f sources faulty: the node then follows no measurement
 * and holds over, whatever the discipline's last state (issue 14: ALARM read
 * "synchronized"). */
const char *bftd_state_name(const bft_estimate *e);
/* Holding over: in HOLDOVER, or in alarm. */
bool bftd_holding_over(const bft_estimate *e);

/* The counters present, into object c. */
void bftd_status_counters_json(const bftd_status *s, json_object *c);

#endif
