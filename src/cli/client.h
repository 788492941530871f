/* SPDX-License-Identifier: MIT */
/*
 * How the bftime CLI reads a daemon's answers (client.c), apart from the
 * HTTP that fetches them, so that they are pure functions of the answer and
 * fuzzed (tests/fuzz/fuzz_cli.c): the daemon answering may not be ours, or
 * not well, so every field may be missing, of another type, or absurd, and
 * the CLI must print what it can without reading outside its buffers.
 */
#ifndef BFTIME_CLI_CLIENT_H
#define BFTIME_CLI_CLIENT_H

#include <stdio.h>

#include <json-c/json.h>

#include "daemon/config.h"

#define CLI_MAX_RESPONSE (16 << 20) /* an answer larger than this is refused */
#define CLI_JSON_DEPTH 32           /* nesting; the API's answers need 5 */

/* An answer's body (len bytes, no NUL needed) as JSON: one value and
 * whitespace, no NUL byte; NULL otherwise. The caller puts it. */
json_object *cli_parse_answer(const char *body, size_t len);

/* Human output of GET /v1/time, /v1/status, /v1/peers and /v1/proofs. */
void cli_print_time(FILE *out, json_object *j);
void cli_print_status(FILE *out, json_object *j);
void cli_print_peers(FILE *out, json_object *j);
/* GET /v1/chain as text (chain_print.c). */
void cli_print_chain(FILE *out, json_object *j);
void cli_print_proofs(FILE *out, json_object *j);
/* bftime sources and tracking: GET /v1/status as chronyc prints them. */
void cli_print_sources(FILE *out, json_object *j);
void cli_print_tracking(FILE *out, json_object *j);
/* bftime wait: 1 when answer j of GET /v1/time is synchronized, without
 * alarm and, max_dist_ns > 0, its estimate within that of both ends. */
int cli_wait_ready(json_object *j, int64_t max_dist_ns);

/* bftime proofs --verify: decode every proof of the array arr itself,
 * check its signature (under the key pinned in cfg for its node when cfg is
 * given, else the key it embeds) and every link of each node's chain; a
 * line per node to out. Returns the number of failures. */
int cli_verify_proofs(FILE *out, json_object *arr, const bftd_config *cfg);

/* Human output of POST /v1/validate; returns the command's exit status:
 * 0 yes, 1 no, 3 unknown (or an answer without a result). */
int cli_print_validate(FILE *out, json_object *j);

#endif
