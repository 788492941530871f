/* SPDX-License-Identifier: MIT */
/*
 * The time-bounds page (include/bftime/timebounds.h): the pure
 * extrapolation, the seqlock under a writer thread updating as fast as it
 * can while reader threads check every snapshot they get is one the writer
 * wrote (all fields a known function of one sequence number), and the file
 * handle: open, now, after/before, stale pages and a replaced file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bftime/timebounds.h>

#define S BFT_NS_PER_SEC

static int64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (int64_t)ts.tv_sec * S + ts.tv_nsec;
}

/* CLOCK_BOOTTIME - CLOCK_MONOTONIC now: the machine's time suspended. */
static int64_t slept_now(void)
{
	struct timespec m, b;
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_BOOTTIME, &b);
	return ((int64_t)b.tv_sec - m.tv_sec) * S + (b.tv_nsec - m.tv_nsec);
}

static bft_timebounds_snapshot snap(int64_t as_of, int64_t lo, int64_t hi, enum bft_timebounds_status st)
{
	bft_timebounds_snapshot s = { .as_of_mono_ns = as_of, .earliest_ns = lo, .latest_ns = hi,
		                 .estimate_ns = lo + (hi - lo) / 2, .rate_ppb = 0, .rho_ppb = 100000,
		                 .void_after_mono_ns = as_of + 3 * S, .status = st, .slept_ns = slept_now() };
	return s;
}

static void test_extrapolate_forward_and_back(void **state)
{
	(void)state;
	int64_t T = INT64_C(1700000000) * S;
	bft_timebounds_snapshot s = snap(1000 * S, T - 1000000, T + 1000000, BFT_TIMEBOUNDS_SYNCHRONIZED);
	int64_t lo, hi, est;
	assert_int_equal(bft_timebounds_extrapolate(&s, 1000 * S, &lo, &hi, &est), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(lo, T - 1000000);
	assert_int_equal(hi, T + 1000000);
	assert_int_equal(est, T);
	/* 2 s later at 100 ppm: shifted by 2 s, widened by 200 us each side. */
	assert_int_equal(bft_timebounds_extrapolate(&s, 1002 * S, &lo, &hi, &est), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(lo, T + 2 * S - 1000000 - 200000);
	assert_int_equal(hi, T + 2 * S + 1000000 + 200000);
	assert_int_equal(est, T + 2 * S);
	/* Half a second before as-of (a reader whose clock read preceded the
	 * update): shifted back, still widened outward. */
	assert_int_equal(bft_timebounds_extrapolate(&s, 1000 * S - S / 2, &lo, &hi, NULL), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(lo, T - S / 2 - 1000000 - 50000);
	assert_int_equal(hi, T - S / 2 + 1000000 + 50000);
	/* Widening rounds outward: 1 ns at 100 ppm is 1 ns of drift. */
	assert_int_equal(bft_timebounds_extrapolate(&s, 1000 * S + 1, &lo, &hi, NULL), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(lo, T - 1000000 + 1 - 1);
	assert_int_equal(hi, T + 1000000 + 1 + 1);
}

static void test_extrapolate_rate_and_clamp(void **state)
{
	(void)state;
	int64_t T = INT64_C(1700000000) * S;
	bft_timebounds_snapshot s = snap(0, T - 1000, T + 1000, BFT_TIMEBOUNDS_FREE_RUNNING);
	s.rho_ppb = 0;
	s.rate_ppb = 50000; /* 50 ppm */
	int64_t lo, hi, est;
	/* With rho 0 the interval only shifts; the estimate runs 50 ppm fast
	 * and is clamped to latest after 1000 / 50e-6 ns = 20 ms. */
	assert_int_equal(bft_timebounds_extrapolate(&s, 10000000, &lo, &hi, &est), BFT_TIMEBOUNDS_FREE_RUNNING);
	assert_int_equal(est, T + 10000000 + 500);
	assert_int_equal(bft_timebounds_extrapolate(&s, 100000000, &lo, &hi, &est), BFT_TIMEBOUNDS_FREE_RUNNING);
	assert_int_equal(hi, T + 100000000 + 1000);
	assert_int_equal(est, hi);
	s.rate_ppb = -50000;
	assert_int_equal(bft_timebounds_extrapolate(&s, 100000000, &lo, &hi, &est), BFT_TIMEBOUNDS_FREE_RUNNING);
	assert_int_equal(est, lo);
}

static void test_extrapolate_unknown(void **state)
{
	(void)state;
	int64_t lo = 1, hi = 2, est = 3;
	bft_timebounds_snapshot s = snap(0, 0, 1000, BFT_TIMEBOUNDS_UNKNOWN);
	assert_int_equal(bft_timebounds_extrapolate(&s, 0, &lo, &hi, &est), BFT_TIMEBOUNDS_UNKNOWN);
	assert_true(lo == INT64_MIN && hi == INT64_MAX && est == 0);
	s.status = BFT_TIMEBOUNDS_SYNCHRONIZED;
	/* Past void-after: the writer is presumed dead. At it: still fine. */
	assert_int_equal(bft_timebounds_extrapolate(&s, 3 * S, NULL, NULL, NULL), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(bft_timebounds_extrapolate(&s, 3 * S + 1, &lo, &hi, NULL), BFT_TIMEBOUNDS_UNKNOWN);
	assert_true(lo == INT64_MIN && hi == INT64_MAX);
	/* Malformed snapshots are unknown, never an inverted interval. */
	bft_timebounds_snapshot b = snap(0, 1000, 0, BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_int_equal(bft_timebounds_extrapolate(&b, 0, NULL, NULL, NULL), BFT_TIMEBOUNDS_UNKNOWN);
	b = snap(0, 0, 1000, BFT_TIMEBOUNDS_SYNCHRONIZED);
	b.rho_ppb = -1;
	assert_int_equal(bft_timebounds_extrapolate(&b, 0, NULL, NULL, NULL), BFT_TIMEBOUNDS_UNKNOWN);
	b = snap(0, 0, 1000, (enum bft_timebounds_status)7);
	assert_int_equal(bft_timebounds_extrapolate(&b, 0, NULL, NULL, NULL), BFT_TIMEBOUNDS_UNKNOWN);
	/* Saturation: near the end of int64 nothing wraps. */
	b = snap(0, INT64_MAX - 10, INT64_MAX - 5, BFT_TIMEBOUNDS_SYNCHRONIZED);
	b.void_after_mono_ns = INT64_MAX;
	assert_int_equal(bft_timebounds_extrapolate(&b, 1000 * S, &lo, &hi, NULL), BFT_TIMEBOUNDS_SYNCHRONIZED);
	assert_true(lo <= hi);
	assert_int_equal(hi, INT64_MAX);
}

/* Field by field: the struct has padding after status. */
static bool same(const bft_timebounds_snapshot *a, const bft_timebounds_snapshot *b)
{
	return a->as_of_mono_ns == b->as_of_mono_ns && a->earliest_ns == b->earliest_ns &&
	       a->latest_ns == b->latest_ns && a->estimate_ns == b->estimate_ns && a->rate_ppb == b->rate_ppb &&
	       a->rho_ppb == b->rho_ppb && a->void_after_mono_ns == b->void_after_mono_ns && a->status == b->status;
}

static void *page_alloc(void)
{
	void *p = aligned_alloc(64, BFT_TIMEBOUNDS_PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0, BFT_TIMEBOUNDS_PAGE_SIZE);
	return p;
}

static void test_page_roundtrip(void **state)
{
	(void)state;
	void *p = page_alloc();
	bft_timebounds_snapshot out;
	assert_int_equal(bft_timebounds_page_load(p, &out), BFT_EINVAL); /* no magic */
	bft_timebounds_page_init(p);
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	assert_int_equal(out.status, BFT_TIMEBOUNDS_UNKNOWN);
	assert_true(out.earliest_ns == INT64_MIN && out.latest_ns == INT64_MAX);
	bft_timebounds_snapshot s = snap(5, 10, 20, BFT_TIMEBOUNDS_DISRUPTED);
	s.rate_ppb = -7;
	bft_timebounds_page_store(p, &s);
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	assert_true(same(&s, &out));
	/* The documented layout, byte for byte. */
	const unsigned char *b = p;
	uint32_t magic;
	uint16_t version, size;
	uint64_t seq;
	int64_t f[8];
	memcpy(&magic, b, 4);
	memcpy(&version, b + 4, 2);
	memcpy(&size, b + 6, 2);
	memcpy(&seq, b + 8, 8);
	memcpy(f, b + 16, sizeof f);
	assert_int_equal(magic, BFT_TIMEBOUNDS_PAGE_MAGIC);
	assert_memory_equal(b, "BFTB", 4);
	assert_int_equal(version, 1);
	assert_int_equal(size, 128);
	assert_int_equal(seq, 2);
	assert_int_equal(f[0], 5);
	assert_int_equal(f[1], 10);
	assert_int_equal(f[2], 20);
	assert_int_equal(f[3], 15);
	assert_int_equal(f[4], -7);
	assert_int_equal(f[5], 100000);
	assert_int_equal(f[6], 5 + 3 * S);
	assert_int_equal(f[7], BFT_TIMEBOUNDS_DISRUPTED);
	/* A writer that died mid-update leaves the sequence odd: readers give
	 * up instead of spinning, and the next writer starts over cleanly. */
	seq = 7;
	memcpy((unsigned char *)p + 8, &seq, 8);
	assert_int_equal(bft_timebounds_page_load(p, &out), BFT_EEMPTY);
	bft_timebounds_page_store(p, &s);
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	memcpy(&seq, b + 8, 8);
	assert_int_equal(seq, 10);
	/* Another version is refused. */
	version = 2;
	memcpy((unsigned char *)p + 4, &version, 2);
	assert_int_equal(bft_timebounds_page_load(p, &out), BFT_EINVAL);
	free(p);
}

/* The concurrent test: every snapshot the writer stores is a function of
 * one counter k, so a torn read (fields from two different stores) shows
 * up as fields that disagree about k. */
#define READERS 4
static atomic_bool stop;
static atomic_ulong reads, writes;

static bft_timebounds_snapshot of_k(int64_t k)
{
	bft_timebounds_snapshot s;
	s.as_of_mono_ns = k;
	s.earliest_ns = k * 1000;
	s.latest_ns = k * 1000 + 7 * k + 3;
	s.estimate_ns = k * 1000 + (7 * k + 3) / 2;
	s.rate_ppb = -k;
	s.rho_ppb = k % 100000;
	s.void_after_mono_ns = k + 3 * S;
	s.status = (enum bft_timebounds_status)(1 + k % 3);
	return s;
}

static void *writer(void *arg)
{
	for (int64_t k = 1; !atomic_load(&stop); k++) {
		bft_timebounds_snapshot s = of_k(k);
		bft_timebounds_page_store(arg, &s);
		atomic_fetch_add_explicit(&writes, 1, memory_order_relaxed);
	}
	return NULL;
}

static void *reader(void *arg)
{
	uintptr_t bad = 0;
	int64_t last = 0;
	while (!atomic_load(&stop)) {
		bft_timebounds_snapshot s;
		int rc = bft_timebounds_page_load(arg, &s);
		if (rc == BFT_EEMPTY)
			continue; /* starved by a fast writer on a busy machine: allowed, just retry */
		if (rc != 0) {
			bad++;
			break;
		}
		atomic_fetch_add_explicit(&reads, 1, memory_order_relaxed);
		int64_t k = s.as_of_mono_ns;
		if (k == 0 && s.status == BFT_TIMEBOUNDS_UNKNOWN)
			continue; /* the initial page */
		bft_timebounds_snapshot want = of_k(k);
		/* Fields must all come from store k, and k never goes back:
		 * acquire on the sequence orders successive reads too. */
		if (!same(&s, &want) || s.earliest_ns > s.latest_ns || k < last)
			bad++;
		last = k;
	}
	return (void *)bad;
}

static void test_page_concurrent(void **state)
{
	(void)state;
	void *p = page_alloc();
	bft_timebounds_page_init(p);
	atomic_store(&stop, false);
	atomic_store(&reads, 0);
	atomic_store(&writes, 0);
	pthread_t w, r[READERS];
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, reader, p), 0);
	assert_int_equal(pthread_create(&w, NULL, writer, p), 0);
	struct timespec d = { 0, 700000000 };
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	assert_int_equal(pthread_join(w, NULL), 0);
	uintptr_t bad = 0;
	for (int i = 0; i < READERS; i++) {
		void *b;
		assert_int_equal(pthread_join(r[i], &b), 0);
		bad += (uintptr_t)b;
	}
	print_message("    %lu stores, %lu consistent loads by %d readers, %lu torn\n",
	              (unsigned long)atomic_load(&writes), (unsigned long)atomic_load(&reads), READERS,
	              (unsigned long)bad);
	assert_int_equal(bad, 0);
	assert_true(atomic_load(&writes) > 1000);
	assert_true(atomic_load(&reads) > 1000);
	free(p);
}

/* A page file as the daemon makes it: written in full under a temporary
 * name, renamed into place, then mapped read-write for updates. */
static void *make_file(const char *path)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, BFT_TIMEBOUNDS_PAGE_SIZE), 0);
	void *m = mmap(NULL, BFT_TIMEBOUNDS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	close(fd);
	bft_timebounds_page_init(m);
	assert_int_equal(rename(tmp, path), 0);
	return m;
}

/* The network clock's fields (docs/internal-sync.md, section 9): at bytes
 * 88..119, zero on a page of an older writer (read as none); the reader
 * carries the clock at rate_ppb and widens the precision by 2 rho per unit
 * of age. */
static void test_network_fields(void **state)
{
	(void)state;
	void *p = page_alloc();
	bft_timebounds_page_init(p);
	bft_timebounds_snapshot out;
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	assert_int_equal(out.net_state, BFT_TIMEBOUNDS_NET_NONE);
	bft_timebounds_snapshot s = snap(5, 10, 20, BFT_TIMEBOUNDS_UNKNOWN);
	s.net_state = BFT_TIMEBOUNDS_NET_AGREED;
	s.net_time_ns = 123456789;
	s.precision_ns = 1500000;
	s.precision_hard_ns = 9000000;
	bft_timebounds_page_store(p, &s);
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	assert_int_equal(out.net_state, BFT_TIMEBOUNDS_NET_AGREED);
	assert_true(out.net_time_ns == 123456789 && out.precision_ns == 1500000 && out.precision_hard_ns == 9000000);
	int64_t f[5];
	memcpy(f, (const unsigned char *)p + 88, sizeof f);
	assert_true(f[0] == 2 && f[1] == 123456789 && f[2] == 1500000 && f[3] == 9000000 && f[4] == 0);
	/* An out-of-range state reads as none. */
	int64_t bad = 9;
	memcpy((unsigned char *)p + 88, &bad, 8);
	assert_int_equal(bft_timebounds_page_load(p, &out), 0);
	assert_int_equal(out.net_state, BFT_TIMEBOUNDS_NET_NONE);
	free(p);

	char path[64];
	snprintf(path, sizeof path, "/tmp/bftime-tb-net.%d", (int)getpid());
	void *m = make_file(path);
	bft_timebounds *c;
	assert_int_equal(bft_timebounds_open(&c, path), 0);
	int64_t t, prec;
	assert_int_equal(bft_timebounds_network(c, &t, &prec), BFT_TIMEBOUNDS_NET_NONE);
	assert_true(t == 0 && prec == 0);
	int64_t now = mono_now(), N = INT64_C(1700000000) * S;
	s = snap(now, N - 1000, N + 1000, BFT_TIMEBOUNDS_UNKNOWN);
	s.net_state = BFT_TIMEBOUNDS_NET_AGREED;
	s.net_time_ns = N;
	s.precision_ns = 1000000;
	s.rate_ppb = 1000; /* 1 ppm */
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_network(c, &t, &prec), BFT_TIMEBOUNDS_NET_AGREED);
	int64_t el = mono_now() - now;
	assert_true(t >= N && t <= N + el + el / 1000 + 1);
	assert_true(prec >= 1000000 && prec <= 1000000 + 2 * (el / 10000 + 1)); /* rho 100 ppm */
	/* Past void_after: none. */
	s.void_after_mono_ns = now - 1;
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_network(c, &t, &prec), BFT_TIMEBOUNDS_NET_NONE);
	assert_int_equal(bft_timebounds_network(NULL, NULL, NULL), BFT_TIMEBOUNDS_NET_NONE);
	assert_string_equal(bft_timebounds_net_name(BFT_TIMEBOUNDS_NET_TRUE_TIME), "true-time");
	bft_timebounds_close(c);
	munmap(m, BFT_TIMEBOUNDS_PAGE_SIZE);
	unlink(path);
}

static void test_file_handle(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof path, "/tmp/bftime-tb-test.%d", (int)getpid());
	bft_timebounds *c;
	assert_int_equal(bft_timebounds_open(&c, path), BFT_EINVAL); /* no file */
	assert_null(c);
	void *m = make_file(path);
	assert_int_equal(bft_timebounds_open(&c, path), 0);
	int64_t lo, hi;
	enum bft_timebounds_status st;
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_UNKNOWN);
	assert_false(bft_timebounds_after(c, INT64_MIN + 1));
	assert_false(bft_timebounds_before(c, INT64_MAX - 1));

	int64_t T = INT64_C(1700000000) * S, now = mono_now();
	bft_timebounds_snapshot s = snap(now, T - 1000000, T + 1000000, BFT_TIMEBOUNDS_SYNCHRONIZED);
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_SYNCHRONIZED);
	int64_t el = mono_now() - now;
	assert_true(lo >= T - 1000000 && lo <= T - 1000000 + el);
	assert_true(hi >= T + 1000000 && hi <= T + 1000000 + 2 * el + 1000);
	assert_true(bft_timebounds_after(c, T - 2000000));
	assert_false(bft_timebounds_after(c, T));
	assert_true(bft_timebounds_before(c, T + 3 * S));
	assert_false(bft_timebounds_before(c, T));
	/* The machine slept since the snapshot (CLOCK_MONOTONIC_RAW stopped,
	 * true time did not): no rate bound holds, so unknown. */
	s.slept_ns -= 10 * 1000000;
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_UNKNOWN);
	assert_false(bft_timebounds_after(c, T - 2000000));
	s.slept_ns += 10 * 1000000;
	/* Disrupted: bounds still reported, but nothing is certified. */
	s.status = BFT_TIMEBOUNDS_DISRUPTED;
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_DISRUPTED);
	assert_true(lo < hi && hi < T + 3 * S);
	assert_false(bft_timebounds_after(c, T - 2000000));
	assert_false(bft_timebounds_before(c, T + 3 * S));
	/* Stale: void-after in the past. */
	s = snap(mono_now() - 10 * S, T - 1000000, T + 1000000, BFT_TIMEBOUNDS_SYNCHRONIZED);
	bft_timebounds_page_store(m, &s);
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_UNKNOWN);
	assert_true(lo == INT64_MIN && hi == INT64_MAX);
	/* A restarted daemon renames a new page into place: the stale handle
	 * finds and maps it (checking at most once a second). */
	struct timespec sec = { 1, 50000000 };
	nanosleep(&sec, NULL);
	void *m2 = make_file(path);
	s = snap(mono_now(), T - 1000000, T + 1000000, BFT_TIMEBOUNDS_FREE_RUNNING);
	bft_timebounds_page_store(m2, &s);
	assert_int_equal(bft_timebounds_now(c, &lo, &hi, &st), 0);
	assert_int_equal(st, BFT_TIMEBOUNDS_FREE_RUNNING);
	assert_true(bft_timebounds_after(c, T - 2000000));
	bft_timebounds_close(c);
	bft_timebounds_close(NULL);
	munmap(m, BFT_TIMEBOUNDS_PAGE_SIZE);
	munmap(m2, BFT_TIMEBOUNDS_PAGE_SIZE);
	unlink(path);
	/* A page someone else could have written: group- or world-writable,
	 * or owned by another user than root or this one. */
	m = make_file(path);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(bft_timebounds_open(&c, path), BFT_EINVAL);
	munmap(m, BFT_TIMEBOUNDS_PAGE_SIZE);
	unlink(path);
	if (geteuid() == 0) {
		m = make_file(path);
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(bft_timebounds_open(&c, path), BFT_EINVAL);
		munmap(m, BFT_TIMEBOUNDS_PAGE_SIZE);
		unlink(path);
	}
	/* Not a page: refused at open. */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, BFT_TIMEBOUNDS_PAGE_SIZE), 0);
	close(fd);
	assert_int_equal(bft_timebounds_open(&c, path), BFT_EINVAL);
	unlink(path);
	assert_string_equal(bft_timebounds_status_name(BFT_TIMEBOUNDS_FREE_RUNNING), "free-running");
	assert_string_equal(bft_timebounds_status_name((enum bft_timebounds_status)9), "unknown");
}

/* Why a page cannot be opened, said (issue 14: a missing page was
 * "invalid argument"): missing, not a page, writable by others. */
static void test_open_why(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_tb_why.XXXXXX", path[64], why[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/page", dir);
	bft_timebounds *c = NULL;
	assert_int_equal(bft_timebounds_open_why(&c, path, why, sizeof why), BFT_EINVAL);
	assert_null(c);
	assert_non_null(strstr(why, "No such file or directory (is bftimed running, with exports: {timebounds:"));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	static const char junk[4096] = "not a page";
	assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
	close(fd);
	assert_int_equal(bft_timebounds_open_why(&c, path, why, sizeof why), BFT_EINVAL);
	assert_non_null(strstr(why, "not a bftime time-bounds page"));
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(bft_timebounds_open_why(&c, path, why, sizeof why), BFT_EINVAL);
	assert_non_null(strstr(why, "writable by group or others: not believed"));
	/* NULL why: the same answer, nothing written. */
	assert_int_equal(bft_timebounds_open_why(&c, path, NULL, 0), BFT_EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extrapolate_forward_and_back),
		cmocka_unit_test(test_extrapolate_rate_and_clamp),
		cmocka_unit_test(test_extrapolate_unknown),
		cmocka_unit_test(test_page_roundtrip),
		cmocka_unit_test(test_page_concurrent),
		cmocka_unit_test(test_network_fields),
		cmocka_unit_test(test_file_handle),
		cmocka_unit_test(test_open_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
