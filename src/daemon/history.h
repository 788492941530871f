/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's memory (docs/dashboard.md): a bounded ring of the status
 * snapshots the loop fills (status.h), at most one sample per
 * BFTD_HISTORY_STEP_NS of the raw clock, BFTD_HISTORY_CAP of them (about
 * an hour at one a second), so that a page opened now can draw the last
 * minutes: the fused interval and estimate, each source's offset interval
 * against the estimate, the frequency, the agreement's stated precision.
 *
 * Memory is fixed at creation: BFTD_HISTORY_CAP samples of (n_sources + 1)
 * source entries (24 bytes each); recording a sample is O(n_sources) with
 * no allocation, on the loop's thread after each estimate, so it costs the
 * time path a copy. Rendering (GET /v1/history) is linear in the values
 * answered: at most BFTD_HISTORY_MAX_CELLS (samples x (sources + 1)), every
 * stride-th sample when the window holds more (the newest always among
 * them), so a node with many peers answers a long window in tens of
 * milliseconds of the loop; a client that polls asks only for the samples
 * after the last sequence number it has (?after=SEQ), a few each time.
 *
 * Sign conventions: offsets and bounds are relative to the node's estimate
 * of true time at the sample (lo_ns <= 0 <= hi_ns when synchronized); a
 * source's offset is the middle of its interval minus the estimate, so a
 * liar 50 ms ahead shows as +50 ms; the estimate's own offset is estimate
 * minus CLOCK_REALTIME.
 */
#ifndef BFTIME_DAEMON_HISTORY_H
#define BFTIME_DAEMON_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "daemon/http.h"

#define BFTD_HISTORY_CAP 4096                  /* samples kept */
#define BFTD_HISTORY_STEP_NS 900000000LL       /* at most one sample per this much raw time */
#define BFTD_HISTORY_MAX_CELLS 50000            /* samples x (sources + 1) per answer: 0.5 MB of JSON at most */
#define BFTD_HISTORY_MAX_POINTS 600             /* samples per answer at most (a chart's width) */
#define BFTD_HISTORY_MAX_WINDOW_NS (24LL * 3600 * 1000000000) /* ?window= at most a day */

struct bftd_status;
struct bftd_config;
typedef struct bftd_history bftd_history;

/* Room for n_sources sources per sample. 0 or BFT_ENOMEM. */
int bftd_history_create(bftd_history **out, size_t n_sources);
void bftd_history_destroy(bftd_history *h); /* NULL is fine */

/* Keep the filled snapshot st as a sample, unless the last sample is less
 * than BFTD_HISTORY_STEP_NS of raw time older. No allocation. */
void bftd_history_record(bftd_history *h, const struct bftd_status *st);

/* The query of GET /v1/history: window=DURATION (default 15m, 1s .. 1 day),
 * after=SEQ (only samples with a larger sequence number; default none).
 * Other arguments are ignored. 0, or BFT_EINVAL with err naming the argument. */
int bftd_history_parse_query(const bftd_http_request *req, int64_t *window_ns, uint64_t *after, char *err,
                             size_t errlen);

/* The samples within window_ns of the newest and after `after`, columnar
 * (docs/api.md, GET /v1/history), every "stride"-th of them when there are
 * more than the limits above allow; cfg names the sources. h NULL: an empty
 * history. A new object the caller owns. */
json_object *bftd_history_json(const bftd_history *h, const struct bftd_config *cfg, int64_t window_ns,
                               uint64_t after);

#endif
