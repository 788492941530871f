/* SPDX-License-Identifier: MIT */
/*
 * The time-bounds page (timebounds.h): the seqlock both sides use, the pure
 * extrapolation, and the reader's handle. The daemon's writer
 * (src/daemon/exports.c) calls bft_timebounds_page_init/store on its mapping of
 * the same file, so the protocol lives in exactly one place.
 *
 * The seqlock follows Boehm's "Can seqlocks get along with programming
 * language memory models?" (MSPC 2012): every field is a C11 atomic accessed
 * relaxed, so a reader racing a writer reads torn *snapshots* but never
 * performs a data race; the writer's release fence after making the
 * sequence odd, and the reader's acquire fence before re-reading it, order
 * the field accesses between the two sequence accesses. The fields must be
 * lock-free atomics (they are shared between processes: a lock inside a
 * libatomic fallback would not be), which the static asserts check.
 */
#include <bftime/timebounds.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bftime/interval.h>

/* The layout of timebounds.h, offsets as documented there. */
struct page {
	uint32_t magic;
	uint16_t version;
	uint16_t size;
	_Atomic uint64_t seq;
	_Atomic int64_t as_of_mono_ns;
	_Atomic int64_t earliest_ns;
	_Atomic int64_t latest_ns;
	_Atomic int64_t estimate_ns;
	_Atomic int64_t rate_ppb;
	_Atomic int64_t rho_ppb;
	_Atomic int64_t void_after_mono_ns;
	_Atomic int64_t status;
	_Atomic int64_t slept_ns;
	_Atomic int64_t net_state;
	_Atomic int64_t net_time_ns;
	_Atomic int64_t precision_ns;
	_Atomic int64_t precision_hard_ns;
	uint8_t reserved[8];
};

_Static_assert(sizeof(struct page) == BFT_TIMEBOUNDS_PAGE_LAYOUT, "page layout is 128 bytes");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "the page needs lock-free 64-bit atomics");
_Static_assert(sizeof(_Atomic int64_t) == 8 && sizeof(_Atomic uint64_t) == 8, "atomics are plain words");

/* Enough for any writer that is running: an update is a few stores. A
 * writer killed between its two sequence stores leaves the sequence odd for
 * ever, and readers must not spin on it. */
#define LOAD_TRIES 10000

void bft_timebounds_page_init(void *mem)
{
	struct page *p = mem;
	memset(p, 0, sizeof *p);
	p->magic = BFT_TIMEBOUNDS_PAGE_MAGIC;
	p->version = BFT_TIMEBOUNDS_PAGE_VERSION;
	p->size = BFT_TIMEBOUNDS_PAGE_LAYOUT;
	atomic_init(&p->seq, 0);
	atomic_init(&p->earliest_ns, INT64_MIN);
	atomic_init(&p->latest_ns, INT64_MAX);
	atomic_init(&p->status, BFT_TIMEBOUNDS_UNKNOWN);
}

void bft_timebounds_page_store(void *mem, const bft_timebounds_snapshot *s)
{
	struct page *p = mem;
	uint64_t q = atomic_load_explicit(&p->seq, memory_order_relaxed);
	/* An odd sequence left by a writer that died mid-update (a previous
	 * daemon on the same file): start from the next even one. */
	q = (q + 1) & ~(uint64_t)1;
	atomic_store_explicit(&p->seq, q + 1, memory_order_relaxed);
	/* Release fence: no field store below may become visible before the
	 * odd sequence (a reader that sees a new field also sees it odd, or a
	 * later sequence, and retries). */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&p->as_of_mono_ns, s->as_of_mono_ns, memory_order_relaxed);
	atomic_store_explicit(&p->earliest_ns, s->earliest_ns, memory_order_relaxed);
	atomic_store_explicit(&p->latest_ns, s->latest_ns, memory_order_relaxed);
	atomic_store_explicit(&p->estimate_ns, s->estimate_ns, memory_order_relaxed);
	atomic_store_explicit(&p->rate_ppb, s->rate_ppb, memory_order_relaxed);
	atomic_store_explicit(&p->rho_ppb, s->rho_ppb, memory_order_relaxed);
	atomic_store_explicit(&p->void_after_mono_ns, s->void_after_mono_ns, memory_order_relaxed);
	atomic_store_explicit(&p->status, (int64_t)s->status, memory_order_relaxed);
	atomic_store_explicit(&p->slept_ns, s->slept_ns, memory_order_relaxed);
	atomic_store_explicit(&p->net_state, (int64_t)s->net_state, memory_order_relaxed);
	atomic_store_explicit(&p->net_time_ns, s->net_time_ns, memory_order_relaxed);
	atomic_store_explicit(&p->precision_ns, s->precision_ns, memory_order_relaxed);
	atomic_store_explicit(&p->precision_hard_ns, s->precision_hard_ns, memory_order_relaxed);
	/* Release store: the fields above are visible to whoever acquires the
	 * even sequence. */
	atomic_store_explicit(&p->seq, q + 2, memory_order_release);
}

int bft_timebounds_page_load(const void *mem, bft_timebounds_snapshot *out)
{
	/* The fields are only ever read atomically; the cast drops const
	 * because C11's atomic loads take non-const pointers before C17. */
	struct page *p = (struct page *)(uintptr_t)mem;
	if (p->magic != BFT_TIMEBOUNDS_PAGE_MAGIC || p->version != BFT_TIMEBOUNDS_PAGE_VERSION || p->size < BFT_TIMEBOUNDS_PAGE_LAYOUT)
		return BFT_EINVAL;
	for (int i = 0; i < LOAD_TRIES; i++) {
		uint64_t q1 = atomic_load_explicit(&p->seq, memory_order_acquire);
		if (q1 & 1)
			continue;
		bft_timebounds_snapshot s;
		s.as_of_mono_ns = atomic_load_explicit(&p->as_of_mono_ns, memory_order_relaxed);
		s.earliest_ns = atomic_load_explicit(&p->earliest_ns, memory_order_relaxed);
		s.latest_ns = atomic_load_explicit(&p->latest_ns, memory_order_relaxed);
		s.estimate_ns = atomic_load_explicit(&p->estimate_ns, memory_order_relaxed);
		s.rate_ppb = atomic_load_explicit(&p->rate_ppb, memory_order_relaxed);
		s.rho_ppb = atomic_load_explicit(&p->rho_ppb, memory_order_relaxed);
		s.void_after_mono_ns = atomic_load_explicit(&p->void_after_mono_ns, memory_order_relaxed);
		int64_t st = atomic_load_explicit(&p->status, memory_order_relaxed);
		s.slept_ns = atomic_load_explicit(&p->slept_ns, memory_order_relaxed);
		int64_t ns = atomic_load_explicit(&p->net_state, memory_order_relaxed);
		s.net_time_ns = atomic_load_explicit(&p->net_time_ns, memory_order_relaxed);
		s.precision_ns = atomic_load_explicit(&p->precision_ns, memory_order_relaxed);
		s.precision_hard_ns = atomic_load_explicit(&p->precision_hard_ns, memory_order_relaxed);
		/* Acquire fence: the field loads above happen before the second
		 * sequence load; if it still reads q1, no store of a later
		 * update was seen by any of them. */
		atomic_thread_fence(memory_order_acquire);
		uint64_t q2 = atomic_load_explicit(&p->seq, memory_order_relaxed);
		if (q1 != q2)
			continue;
		s.status = st >= BFT_TIMEBOUNDS_UNKNOWN && st <= BFT_TIMEBOUNDS_DISRUPTED ? (enum bft_timebounds_status)st
		                                                                : BFT_TIMEBOUNDS_UNKNOWN;
		s.net_state = ns >= BFT_TIMEBOUNDS_NET_NONE && ns <= BFT_TIMEBOUNDS_NET_TRUE_TIME ? (enum bft_timebounds_net)ns
		                                                                           : BFT_TIMEBOUNDS_NET_NONE;
		*out = s;
		return 0;
	}
	return BFT_EEMPTY;
}

/* x * ppb / 1e9 rounded away from zero, signed, saturating. */
static int64_t scale_ppb(int64_t x, int64_t ppb)
{
	if (ppb == INT64_MIN)
		ppb = -INT64_MAX;
	int64_t m = bft_drift_ns(ppb < 0 ? -ppb : ppb, x);
	return (x < 0) != (ppb < 0) ? -m : m;
}

enum bft_timebounds_status bft_timebounds_extrapolate(const bft_timebounds_snapshot *s, int64_t now_mono_ns, int64_t *earliest_ns,
                                            int64_t *latest_ns, int64_t *estimate_ns)
{
	int64_t lo = INT64_MIN, hi = INT64_MAX, est = 0;
	enum bft_timebounds_status st = s->status;
	if (st < BFT_TIMEBOUNDS_SYNCHRONIZED || st > BFT_TIMEBOUNDS_DISRUPTED || now_mono_ns > s->void_after_mono_ns ||
	    s->earliest_ns > s->latest_ns || s->rho_ppb < 0 || s->earliest_ns == INT64_MIN ||
	    s->latest_ns == INT64_MAX) {
		st = BFT_TIMEBOUNDS_UNKNOWN;
	} else {
		/* True time moved by el * (1 + e), |e| <= rho, in either
		 * direction of el: shift by el, widen by rho * |el| outward. */
		int64_t el = bft_sat_sub(now_mono_ns, s->as_of_mono_ns);
		bft_interval iv = bft_iv_widen_drift(bft_iv_shift(bft_iv(s->earliest_ns, s->latest_ns), el), s->rho_ppb, el);
		lo = iv.lo_ns;
		hi = iv.hi_ns;
		est = bft_sat_add(bft_sat_add(s->estimate_ns, el), scale_ppb(el, s->rate_ppb));
		est = est < lo ? lo : est > hi ? hi : est;
	}
	if (earliest_ns)
		*earliest_ns = lo;
	if (latest_ns)
		*latest_ns = hi;
	if (estimate_ns)
		*estimate_ns = est;
	return st;
}

const char *bft_timebounds_status_name(enum bft_timebounds_status s)
{
	switch (s) {
	case BFT_TIMEBOUNDS_SYNCHRONIZED:
		return "synchronized";
	case BFT_TIMEBOUNDS_FREE_RUNNING:
		return "free-running";
	case BFT_TIMEBOUNDS_DISRUPTED:
		return "disrupted";
	case BFT_TIMEBOUNDS_UNKNOWN:
	default:
		return "unknown";
	}
}

struct bft_timebounds {
	char *path;
	const void *_Atomic map; /* the page (never NULL once open) */
	/* The replacement check below is done by one thread at a time: the
	 * flag is a try-lock (a thread that finds it taken just reports the
	 * stale page), and dev, ino and checked_mono_ns are only touched
	 * while holding it. */
	atomic_flag checking;
	dev_t dev;
	ino_t ino;
	int64_t checked_mono_ns; /* last check: one stat() a second, not one per call */
};

static int64_t mono_raw_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC_RAW, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * BFT_NS_PER_SEC + ts.tv_nsec;
}

/* How long the machine has been suspended since boot: CLOCK_BOOTTIME runs
 * through a suspend, CLOCK_MONOTONIC does not (two vDSO reads, no system
 * call). Read apart, the two differ by the reads' own gap: the slack. */
#define SLEPT_SLACK_NS 1000000

static int64_t slept_ns(void)
{
	struct timespec m, b;
	if (clock_gettime(CLOCK_MONOTONIC, &m) != 0 || clock_gettime(CLOCK_BOOTTIME, &b) != 0)
		return 0;
	return ((int64_t)b.tv_sec - m.tv_sec) * 1000000000 + (b.tv_nsec - m.tv_nsec);
}

/* Map c->path; on success *map, *dev, *ino describe the new mapping; on
 * failure, why (when why is not NULL) says what was wrong. */
static int map_page(const char *path, const void **map, dev_t *dev, ino_t *ino, char *why, size_t why_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (why)
			snprintf(why, why_len, "%s: %s%s", path, strerror(e),
			         e == ENOENT ? " (is bftimed running, with exports: {timebounds: ...} in its configuration?)"
			                     : "");
		return BFT_EINVAL;
	}
	struct stat st;
	void *m = MAP_FAILED;
	/* Only a page bftimed can have written: owned by root (the daemon
	 * creates it before dropping root) or by this reader's own user, and
	 * writable by nobody else. Anyone may create files in /dev/shm; a page
	 * planted there claiming "synchronized" must not be believed. */
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		bad = "owned by another user than root or this one: not believed (anyone may create files there)";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		bad = "writable by group or others: not believed";
	else if (st.st_size < BFT_TIMEBOUNDS_PAGE_LAYOUT)
		bad = "too short for a time-bounds page";
	else if ((m = mmap(NULL, BFT_TIMEBOUNDS_PAGE_LAYOUT, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		bad = strerror(errno);
	close(fd);
	if (bad) {
		if (why)
			snprintf(why, why_len, "%s: %s", path, bad);
		return BFT_EINVAL;
	}
	const struct page *p = m;
	if (p->magic != BFT_TIMEBOUNDS_PAGE_MAGIC || p->version != BFT_TIMEBOUNDS_PAGE_VERSION ||
	    p->size < BFT_TIMEBOUNDS_PAGE_LAYOUT) {
		if (why && p->magic != BFT_TIMEBOUNDS_PAGE_MAGIC)
			snprintf(why, why_len, "%s: not a bftime time-bounds page", path);
		else if (why)
			snprintf(why, why_len, "%s: a time-bounds page of version %u, this library reads version %d", path,
			         (unsigned)p->version, BFT_TIMEBOUNDS_PAGE_VERSION);
		munmap(m, BFT_TIMEBOUNDS_PAGE_LAYOUT);
		return BFT_EINVAL;
	}
	*map = m;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int bft_timebounds_open(bft_timebounds **out, const char *path)
{
	return bft_timebounds_open_why(out, path, NULL, 0);
}

int bft_timebounds_open_why(bft_timebounds **out, const char *path, char *why, size_t why_len)
{
	*out = NULL;
	if (why && why_len)
		why[0] = 0;
	bft_timebounds *c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path ? path : BFT_TIMEBOUNDS_DEFAULT_PATH))) {
		free(c);
		if (why && why_len)
			snprintf(why, why_len, "out of memory");
		return BFT_ENOMEM;
	}
	atomic_flag_clear(&c->checking);
	const void *m;
	int rc = map_page(c->path, &m, &c->dev, &c->ino, why && why_len ? why : NULL, why_len);
	if (rc != 0) {
		bft_timebounds_close(c);
		return rc;
	}
	atomic_init(&c->map, m);
	*out = c;
	return 0;
}

void bft_timebounds_close(bft_timebounds *c)
{
	if (!c)
		return;
	const void *m = atomic_load(&c->map);
	if (m)
		munmap((void *)(uintptr_t)m, BFT_TIMEBOUNDS_PAGE_LAYOUT);
	free(c->path);
	free(c);
}

/* The page went stale: if a restarted daemon renamed a new file into place,
 * map that one instead. */
static void maybe_remap(bft_timebounds *c, int64_t now)
{
	if (atomic_flag_test_and_set_explicit(&c->checking, memory_order_acquire))
		return;
	struct stat st;
	const void *m;
	dev_t dev;
	ino_t ino;
	if (c->checked_mono_ns != 0 && now - c->checked_mono_ns < BFT_NS_PER_SEC)
		goto out;
	c->checked_mono_ns = now;
	if (stat(c->path, &st) != 0 || (st.st_dev == c->dev && st.st_ino == c->ino))
		goto out;
	if (map_page(c->path, &m, &dev, &ino, NULL, 0) != 0)
		goto out;
	/* The old mapping is deliberately leaked (one page per daemon
	 * restart): another thread may be reading it right now, and unmapping
	 * it under that thread would crash it. */
	c->dev = dev;
	c->ino = ino;
	atomic_store_explicit(&c->map, m, memory_order_release);
out:
	atomic_flag_clear_explicit(&c->checking, memory_order_release);
}

int bft_timebounds_now_estimate(bft_timebounds *c, int64_t *earliest_ns, int64_t *latest_ns, int64_t *estimate_ns,
                           enum bft_timebounds_status *status)
{
	if (!c)
		return BFT_EINVAL;
	bft_timebounds_snapshot s;
	enum bft_timebounds_status st = BFT_TIMEBOUNDS_UNKNOWN;
	for (int pass = 0; pass < 2; pass++) {
		/* Read the clock first, then the page: a page updated in
		 * between has as_of after now, which extrapolate handles. */
		int64_t now = mono_raw_ns(), slept = slept_ns();
		const void *m = atomic_load_explicit(&c->map, memory_order_acquire);
		st = bft_timebounds_page_load(m, &s) == 0 && slept - s.slept_ns < SLEPT_SLACK_NS
		             ? bft_timebounds_extrapolate(&s, now, earliest_ns, latest_ns, estimate_ns)
		             : BFT_TIMEBOUNDS_UNKNOWN;
		if (st != BFT_TIMEBOUNDS_UNKNOWN || pass == 1)
			break;
		const void *before = m;
		maybe_remap(c, now);
		if (atomic_load_explicit(&c->map, memory_order_acquire) == before)
			break;
	}
	if (st == BFT_TIMEBOUNDS_UNKNOWN) {
		if (earliest_ns)
			*earliest_ns = INT64_MIN;
		if (latest_ns)
			*latest_ns = INT64_MAX;
		if (estimate_ns)
			*estimate_ns = 0;
	}
	if (status)
		*status = st;
	return 0;
}

enum bft_timebounds_net bft_timebounds_network(bft_timebounds *c, int64_t *net_ns, int64_t *precision_ns)
{
	enum bft_timebounds_net st = BFT_TIMEBOUNDS_NET_NONE;
	int64_t t = 0, prec = 0;
	if (c) {
		int64_t now = mono_raw_ns(), slept = slept_ns();
		const void *m = atomic_load_explicit(&c->map, memory_order_acquire);
		bft_timebounds_snapshot s;
		if (bft_timebounds_page_load(m, &s) == 0 && slept - s.slept_ns < SLEPT_SLACK_NS &&
		    now <= s.void_after_mono_ns && s.net_state != BFT_TIMEBOUNDS_NET_NONE && s.rho_ppb >= 0) {
			int64_t dt = bft_sat_sub(now, s.as_of_mono_ns);
			int64_t adt = dt < 0 ? -dt : dt;
			/* rate_ppb * dt / 1e9, in 128 bits (both may be large) */
			__extension__ __int128 drift = (__int128)s.rate_ppb * dt / 1000000000;
			int64_t d = drift > INT64_MAX ? INT64_MAX : drift < INT64_MIN ? INT64_MIN : (int64_t)drift;
			st = s.net_state;
			t = bft_sat_add(bft_sat_add(s.net_time_ns, dt), d);
			prec = s.precision_ns > 0 ? bft_sat_add(s.precision_ns, 2 * bft_drift_ns(s.rho_ppb, adt)) : 0;
		}
	}
	if (net_ns)
		*net_ns = t;
	if (precision_ns)
		*precision_ns = prec;
	return st;
}

const char *bft_timebounds_net_name(enum bft_timebounds_net s)
{
	switch (s) {
	case BFT_TIMEBOUNDS_NET_NONE: return "none";
	case BFT_TIMEBOUNDS_NET_BOOTING: return "booting";
	case BFT_TIMEBOUNDS_NET_AGREED: return "agreed";
	case BFT_TIMEBOUNDS_NET_TRUE_TIME: return "true-time";
	}
	return "none";
}

int bft_timebounds_now(bft_timebounds *c, int64_t *earliest_ns, int64_t *latest_ns, enum bft_timebounds_status *status)
{
	return bft_timebounds_now_estimate(c, earliest_ns, latest_ns, NULL, status);
}

static bool certain(enum bft_timebounds_status st)
{
	return st == BFT_TIMEBOUNDS_SYNCHRONIZED || st == BFT_TIMEBOUNDS_FREE_RUNNING;
}

bool bft_timebounds_after(bft_timebounds *c, int64_t t_ns)
{
	int64_t lo, hi;
	enum bft_timebounds_status st;
	return bft_timebounds_now(c, &lo, &hi, &st) == 0 && certain(st) && lo > t_ns;
}

bool bft_timebounds_before(bft_timebounds *c, int64_t t_ns)
{
	int64_t lo, hi;
	enum bft_timebounds_status st;
	return bft_timebounds_now(c, &lo, &hi, &st) == 0 && certain(st) && hi < t_ns;
}
