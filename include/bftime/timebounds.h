/* SPDX-License-Identifier: MIT */
/*
 * The time-bounds page: how an application on the same machine asks bftimed
 * "what time is it, and how sure are you?" without a system call or a
 * socket, in the spirit of Spanner's TrueTime and AWS ClockBound.
 *
 * bftimed (exports.timebounds) keeps a small file, normally under /dev/shm,
 * that it and every reader mmap. The file holds one snapshot: an interval
 * [earliest, latest] of true time (ns since the Unix epoch) valid at an
 * as-of instant measured on CLOCK_MONOTONIC_RAW, with the rates needed to
 * carry it to any later instant of that clock. A reader reads
 * CLOCK_MONOTONIC_RAW (vDSO: no system call) and extrapolates:
 *
 *   el       = now_mono - as_of_mono
 *   earliest = earliest_0 + el - rho * |el|      (rounded down)
 *   latest   = latest_0   + el + rho * |el|      (rounded up)
 *   estimate = estimate_0 + el * (1 + rate), clamped into [earliest, latest]
 *
 * rho_ppb bounds |d(true time)/d(CLOCK_MONOTONIC_RAW) - 1|, so the interval
 * stays honest however long ago the snapshot was taken; the daemon still
 * refreshes it every second and sets void_after: past that instant the
 * daemon is presumed dead or stuck and the reader reports BFT_TIMEBOUNDS_UNKNOWN.
 *
 * The page is a seqlock: the writer makes the sequence odd, writes, makes it
 * even; readers retry until they read the same even sequence before and
 * after copying. bft_timebounds_page_store / bft_timebounds_page_load implement both
 * sides (C11 atomics, release/acquire); a reader in another language must
 * follow the same protocol on the layout below (native byte order):
 *
 *   offset size  field
 *        0    4  magic   0x42544642 (the bytes "BFTB" on little-endian machines)
 *        4    2  version 1 (a reader refuses other versions)
 *        6    2  size    of the layout in bytes (128); the file is 4096
 *        8    8  seq     u64, odd while the writer is in the middle of an update
 *       16    8  as_of_mono_ns       i64, CLOCK_MONOTONIC_RAW
 *       24    8  earliest_ns         i64, true time at as_of (INT64_MIN: unknown)
 *       32    8  latest_ns           i64, (INT64_MAX: unknown)
 *       40    8  estimate_ns         i64, best estimate, within [earliest, latest]
 *       48    8  rate_ppb            i64, d(true)/d(CLOCK_MONOTONIC_RAW) - 1, estimated
 *       56    8  rho_ppb             i64, bound on |d(true)/d(CLOCK_MONOTONIC_RAW) - 1|
 *       64    8  void_after_mono_ns  i64, CLOCK_MONOTONIC_RAW
 *       72    8  status              i64, enum bft_timebounds_status
 *       80    8  slept_ns            i64, CLOCK_BOOTTIME - CLOCK_MONOTONIC at as_of: the
 *                                    time the machine had spent suspended
 *       88    8  net_state           i64, enum bft_timebounds_net: the network clock (internal
 *                                    synchronization, docs/internal-sync.md); 0: none
 *       96    8  net_time_ns         i64, the network clock at as_of (0 when net_state is 0)
 *      104    8  precision_ns        i64, stated bound on its difference to any honest peer's
 *                                    network clock at as_of, model figure (0: none stated)
 *      112    8  precision_hard_ns   i64, the same, worst case (0: none stated)
 *      120    8  reserved (0)
 *
 * Bytes 88..119 were reserved (0) in the first writers of version 1: a zero
 * there reads as "no network clock", so the version did not change.
 *
 * CLOCK_MONOTONIC_RAW stops while the machine is suspended and true time
 * does not, so no rate bound carries a snapshot across a suspend: a reader
 * that finds the machine has slept since (CLOCK_BOOTTIME - CLOCK_MONOTONIC
 * grew by more than a millisecond) reports BFT_TIMEBOUNDS_UNKNOWN, and so does
 * bftimed until its sources have synchronized it again.
 *
 * Units and signs follow common.h. Nothing here allocates except
 * bft_timebounds_open; bft_timebounds_now and the pure functions are safe to call from
 * any number of threads on one handle.
 */
#ifndef BFTIME_TIMEBOUNDS_H
#define BFTIME_TIMEBOUNDS_H

#include <stdbool.h>
#include <bftime/common.h>

#define BFT_TIMEBOUNDS_PAGE_MAGIC UINT32_C(0x42544642) /* the bytes "BFTB" on little-endian machines */
#define BFT_TIMEBOUNDS_PAGE_VERSION 1
#define BFT_TIMEBOUNDS_PAGE_LAYOUT 128   /* bytes the layout uses */
#define BFT_TIMEBOUNDS_PAGE_SIZE 4096    /* bytes of the file */
#define BFT_TIMEBOUNDS_DEFAULT_PATH "/dev/shm/bftime-timebounds"

enum bft_timebounds_status {
	BFT_TIMEBOUNDS_UNKNOWN = 0,      /* no daemon, stale page, never synchronized: no bounds */
	BFT_TIMEBOUNDS_SYNCHRONIZED = 1, /* bounds from recent measurements */
	BFT_TIMEBOUNDS_FREE_RUNNING = 2, /* holdover: no measurement for a while; bounds honest, widening by rho */
	BFT_TIMEBOUNDS_DISRUPTED = 3,    /* alarm: sources proved more than f faulty; bounds rest on the
	                             * oscillator alone since then. after/before refuse to answer yes */
};

/* The network clock's state (docs/internal-sync.md): the clock nodes without
 * true time keep in agreement with each other, which a validator set can
 * timestamp with when no reference is left. */
enum bft_timebounds_net {
	BFT_TIMEBOUNDS_NET_NONE = 0,      /* no network clock (page writers before it: 0 too) */
	BFT_TIMEBOUNDS_NET_BOOTING = 1,   /* running, not yet in agreement */
	BFT_TIMEBOUNDS_NET_AGREED = 2,    /* in agreement with the peers, no true time */
	BFT_TIMEBOUNDS_NET_TRUE_TIME = 3, /* the true-time clock (plus its agreement offset) */
};

/* One snapshot, as stored in the page. */
typedef struct bft_timebounds_snapshot {
	int64_t as_of_mono_ns;
	int64_t earliest_ns;
	int64_t latest_ns;
	int64_t estimate_ns;
	int64_t rate_ppb;
	int64_t rho_ppb;
	int64_t void_after_mono_ns;
	enum bft_timebounds_status status;
	int64_t slept_ns;
	enum bft_timebounds_net net_state;
	int64_t net_time_ns;
	int64_t precision_ns;
	int64_t precision_hard_ns;
} bft_timebounds_snapshot;

/*
 * Pure extrapolation (no clock read): the snapshot carried to now_mono_ns.
 * Writes *earliest_ns, *latest_ns, *estimate_ns (each may be NULL) and
 * returns the status: BFT_TIMEBOUNDS_UNKNOWN (and INT64_MIN, INT64_MAX, 0) when
 * the snapshot says unknown, now_mono_ns is past void_after_mono_ns, or the
 * snapshot is malformed (earliest > latest, rho < 0); otherwise its status.
 * Works for now_mono_ns before as_of too (a reader that read its clock just
 * before the writer's update). All arithmetic saturates.
 */
BFT_API enum bft_timebounds_status bft_timebounds_extrapolate(const bft_timebounds_snapshot *s, int64_t now_mono_ns,
                                                    int64_t *earliest_ns, int64_t *latest_ns,
                                                    int64_t *estimate_ns);

/*
 * The seqlock, on a page of at least BFT_TIMEBOUNDS_PAGE_LAYOUT bytes aligned to
 * 8 (an mmapped file, or any buffer in tests).
 *
 * init: write magic, version, size, seq 0 and an UNKNOWN snapshot (call on
 * memory nobody reads yet, e.g. before renaming the file into place).
 * store: one writer at a time (the caller serializes writers).
 * load: copies a consistent snapshot; 0, BFT_EINVAL (not a version-1 page)
 * or BFT_EEMPTY (no consistent copy after many retries: a writer died in the
 * middle of an update, or is far slower than any real one).
 */
BFT_API void bft_timebounds_page_init(void *page);
BFT_API void bft_timebounds_page_store(void *page, const bft_timebounds_snapshot *s);
BFT_API BFT_WARN_UNUSED int bft_timebounds_page_load(const void *page, bft_timebounds_snapshot *out);

/* A reader's handle on the page file. */
typedef struct bft_timebounds bft_timebounds;

/* Map the page at path (NULL: BFT_TIMEBOUNDS_DEFAULT_PATH), read-only. Returns 0,
 * BFT_EINVAL (cannot open, or not a page), BFT_ENOMEM. */
BFT_API BFT_WARN_UNUSED int bft_timebounds_open(bft_timebounds **out, const char *path);
/* The same, and on failure a sentence into why (why_len bytes, NUL ended)
 * saying what is wrong: the page missing (with the error and the likely
 * cause), not believed (owner, mode), or not a page of this version. */
BFT_API BFT_WARN_UNUSED int bft_timebounds_open_why(bft_timebounds **out, const char *path, char *why, size_t why_len);
/* Unmap; NULL is fine. */
BFT_API void bft_timebounds_close(bft_timebounds *c);

/*
 * [earliest, latest] of true time now (ns since the epoch), and the status.
 * Reads CLOCK_MONOTONIC_RAW and the page; no other system call, except when
 * the page is stale: then the file is checked once for replacement (the
 * daemon restarted and renamed a new page into place) and remapped. Any of
 * the outputs may be NULL. Status UNKNOWN comes with INT64_MIN, INT64_MAX.
 * Returns 0, or BFT_EINVAL for a NULL handle.
 */
BFT_API int bft_timebounds_now(bft_timebounds *c, int64_t *earliest_ns, int64_t *latest_ns, enum bft_timebounds_status *status);

/* As bft_timebounds_now, with the best estimate too (within the bounds). */
BFT_API int bft_timebounds_now_estimate(bft_timebounds *c, int64_t *earliest_ns, int64_t *latest_ns, int64_t *estimate_ns,
                                   enum bft_timebounds_status *status);

/*
 * TrueTime's TT.after(t): true iff t has certainly passed (earliest > t).
 * TT.before(t): true iff t has certainly not arrived yet (latest < t).
 * Both are false unless the status is SYNCHRONIZED or FREE_RUNNING: a
 * disrupted or unknown clock never certifies anything.
 */
BFT_API bool bft_timebounds_after(bft_timebounds *c, int64_t t_ns);
BFT_API bool bft_timebounds_before(bft_timebounds *c, int64_t t_ns);

/*
 * The network clock now (docs/internal-sync.md): *net_ns its reading carried
 * from the page at rate_ppb, *precision_ns the stated bound on its difference
 * to any honest peer's network clock, widened by 2 rho per unit of age (each
 * of two clocks may run rho off) and 0 when none is stated. What a validator
 * timestamps with when no node has true time; true-time users keep
 * bft_timebounds_now. Returns the state (BFT_TIMEBOUNDS_NET_NONE, with 0 and
 * 0, when the page is stale, the machine slept since, or no network clock
 * runs). Outputs may be NULL; a NULL handle is NONE.
 */
BFT_API enum bft_timebounds_net bft_timebounds_network(bft_timebounds *c, int64_t *net_ns, int64_t *precision_ns);

/* A static name ("none", "booting", "agreed", "true-time"). */
BFT_API const char *bft_timebounds_net_name(enum bft_timebounds_net s);

/* A static name ("unknown", "synchronized", "free-running", "disrupted"). */
BFT_API const char *bft_timebounds_status_name(enum bft_timebounds_status s);

#endif
