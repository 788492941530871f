/* SPDX-License-Identifier: MIT */
/*
 * bftimed's HTTP/JSON API (docs/api.md): the routes behind http.h.
 *
 *   GET  /v1/time       the node's interval and estimate of true time now
 *   GET  /v1/status     state, alarm, sources (used or why not), counters, chain head
 *   GET  /v1/peers      peers: reading, key, gossip progress, proofs held
 *   GET  /v1/proofs     get_recent_proofs: ?node=&since=&limit=&order=
 *   POST /v1/proofs     submit_proof: verify signature and chain, then store
 *   POST /v1/validate   is a timestamp consistent with consensus time within a tolerance?
 *   GET  /v1/evidence   equivocation evidence held (daemon/evidence.h)
 *   POST /v1/evidence   offer evidence: both signatures checked under the pinned key
 *   GET  /metrics       Prometheus text format
 *   GET  /v1/history    the dashboard's recent samples (history.h): ?window=&after=
 *   GET  / , /dashboard the dashboard page (dashboard.c, docs/dashboard.md)
 *   POST /v1/solar      a peer's signed solar fragment (application/octet-stream) for the
 *                       solar reference (src/refclock/solar.h); 202 when queued
 *
 * The handler reads the node and the stores it is given in bftd_api_env and
 * the OS clocks (read only, through src/sys/clock.h); it never blocks. Bad
 * requests get a 4xx JSON error and change nothing. The body and query
 * parsers are pure functions (no I/O, no clock), fuzzed by
 * tests/fuzz/fuzz_http_api.c; whole requests go through the router in
 * tests/fuzz/fuzz_api.c, and as raw bytes on a connection in fuzz_http.c.
 */
#ifndef BFTIME_DAEMON_API_H
#define BFTIME_DAEMON_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/timetext.h" /* the time text the API reads and writes */
#include "daemon/config.h"
#include "daemon/gossip.h"
#include "daemon/http.h"
#include "daemon/loop.h"
#include "daemon/proofs_svc.h"
#include "node/node.h"

#define BFTD_API_MAX_PROOFS 64      /* proofs per POST /v1/proofs */
#define BFTD_API_MAX_LIMIT 1000     /* proofs per GET /v1/proofs */
#define BFTD_API_DEFAULT_LIMIT 100

/* What the handler may read; every pointer but cfg and node may be NULL. */
typedef struct bftd_api_env {
	const bftd_config *cfg;
	bft_node *node;
	const char *const *ref_kinds; /* cfg->n_refs driver names */
	const struct bftd_refclock *refs; /* cfg->n_refs drivers: their state and own fields; may be NULL */
	const uint8_t *self_pub;      /* 32 bytes */
	bftd_proofs *proofs;          /* NULL: no store configured */
	bftd_gossip *gossip;
	const bftd_counters *ctr;
	const bftd_http_stats *http;
	int64_t start_mono;
	/* The loop's status snapshot (status.h), filled once per estimate;
	 * NULL (or not filled yet): /v1/status and /metrics read the node. */
	const struct bftd_status *status;
	/* The dashboard's bounded history (history.h); NULL: an empty one. */
	const struct bftd_history *history;
	const struct bftd_chain *chain; /* the chain's block store (chain.h); NULL: none */
	/* called after a proof from the API was stored as new (for forwarding) */
	void (*on_stored)(void *ctx, const uint8_t *buf, size_t len);
	void *on_stored_ctx;
	/* POST /v1/solar: a peer's fragment for the solar references; 0 when
	 * one took it (checked there: the body is hostile), else negative. NULL:
	 * no solar reference, 404. */
	int (*on_solar)(void *ctx, const uint8_t *buf, size_t len);
	void *on_solar_ctx;
} bftd_api_env;

/* The http.h handler; ctx is a bftd_api_env. */
void bftd_api_handle(void *ctx, const bftd_http_request *req, bftd_http_response *resp);

/* ---- pure parsers and formatters ---------------------------------------- */

/* POST /v1/proofs body: {"proof": HEX} or {"proofs": [HEX, ...]} (JSON), or
 * one proof's raw canonical bytes (application/octet-stream). Fills up to
 * cap proofs (each BFT_PROOF_MAX bytes) and their lengths; *n the count.
 * Checks syntax and sizes only; the store checks the proofs. 0 or
 * BFT_EINVAL with err set. */
int bftd_api_parse_proofs(const uint8_t *body, size_t len, const char *content_type,
                          uint8_t (*out)[BFT_PROOF_MAX], size_t *lens, size_t cap, size_t *n, char *err,
                          size_t errlen);

/* POST /v1/validate body: {"timestamp": RFC3339 | int ns | "now", "tolerance":
 * DURATION ("1ms") | int ns (default 0, at most 1 day)}. "now" (this host's
 * system clock when the node is read) sets *ts_ns to BFTD_VALIDATE_NOW.
 * 0 or BFT_EINVAL. */
#define BFTD_VALIDATE_NOW INT64_MIN
int bftd_api_parse_validate(const uint8_t *body, size_t len, int64_t *ts_ns, int64_t *tol_ns, char *err,
                            size_t errlen);

/* GET /v1/proofs query arguments into q: node=ID (0 .. 2^32-1), since=TIME
 * (bftd_time_arg_parse), limit=N (1 .. BFTD_API_MAX_LIMIT, default
 * BFTD_API_DEFAULT_LIMIT), order=oldest|newest. Other arguments are
 * ignored; a named argument without a value ("?node") is a bad value. 0, or
 * BFT_EINVAL with err set (a message naming the argument). */
int bftd_api_parse_query(const bftd_http_request *req, bft_store_query *q, char *err, size_t errlen);

/* The verdict: "yes" if [ts - tol, ts + tol] meets [lo, hi], else "no";
 * *distance_ns how far outside (0 when yes). */
bool bftd_api_validate(int64_t ts_ns, int64_t tol_ns, bft_interval iv, int64_t *distance_ns);

#endif
