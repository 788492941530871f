/* SPDX-License-Identifier: MIT */
/*
 * The exports (src/daemon/exports.c) against fakes: a clock that returns
 * chosen readings, a unix socket standing in for chronyd, the SHM segment
 * read back as ntpd would, the time-bounds page read through the library,
 * and a fake adjtime that records what the policy would have done to the
 * system clock. The real clock is only ever read (modes = 0).
 *
 * The chrony and SHM layouts are written out here again from chrony's and
 * ntpd's documentation rather than shared with exports.c, so that a wrong
 * layout there cannot hide behind the same mistake here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bftime/timebounds.h>

#include "daemon/exports.h"
#include "sys/adjtime.h"

#define S BFT_NS_PER_SEC
#define T0 (INT64_C(1800000000) * S) /* CLOCK_REALTIME of the fake clock */
#define M0 (INT64_C(5000) * S)       /* CLOCK_MONOTONIC_RAW of the fake clock */

/* The fake clock: mono before = mono, raw = mono + raw_off, realtime, and
 * mono after = mono + window. */
static struct fake_clock {
	int64_t mono, raw_off, realtime, window;
} fc;

static void fake_clocks(void *ctx, int64_t *mb, int64_t *raw, int64_t *rt, int64_t *ma)
{
	(void)ctx;
	*mb = fc.mono;
	*raw = fc.mono + fc.raw_off;
	*rt = fc.realtime;
	*ma = fc.mono + fc.window;
}

/* The fake kernel: records every call, answers reads with a status word. */
#define MAX_CALLS 16
static struct fake_kernel {
	struct timex calls[MAX_CALLS];
	int n;
	int status;
	int fail; /* -errno to return, 0: succeed */
} fk;

static int fake_adjtime(void *ctx, struct timex *tx)
{
	(void)ctx;
	if (fk.n < MAX_CALLS)
		fk.calls[fk.n++] = *tx;
	if (fk.fail)
		return fk.fail;
	if (tx->modes == 0)
		tx->status = fk.status;
	else if (tx->modes & ADJ_STATUS)
		fk.status = tx->status;
	return TIME_OK;
}

static const bft_adjtime_ops fake_ops = { fake_adjtime, NULL };
static const bftd_exports_env fake_env = { fake_clocks, NULL, &fake_ops };

static bftd_config *config(void)
{
	bftd_config *c = calloc(1, sizeof *c);
	assert_non_null(c);
	c->ntp_shm_unit = -1;
	c->node.disc.rho_ppb = 100000;
	return c;
}

/* A synchronized sample read at raw time fc.mono + fc.raw_off - age_ns:
 * true time T0 + off_ns +- 1 ms at that moment. */
static bftd_export_sample sample(int64_t off_ns, int64_t age_ns)
{
	memset(&fc, 0, sizeof fc);
	fc.mono = M0;
	fc.realtime = T0;
	bftd_export_sample s;
	memset(&s, 0, sizeof s);
	s.raw_ns = M0 - age_ns;
	s.mono_raw_ns = M0;
	s.realtime_ns = T0;
	s.e.raw_ns = s.raw_ns;
	s.e.time_ns = T0 + off_ns - age_ns;
	s.e.estimate_ns = s.e.time_ns;
	s.e.bounds = bft_iv(s.e.estimate_ns - 1000000, s.e.estimate_ns + 1000000);
	s.e.state = BFT_DISC_SYNCHRONIZED;
	s.rho_ppb = 600000;
	return s;
}

static void test_nothing_enabled(void **state)
{
	(void)state;
	bftd_config *c = config();
	bftd_exports *x;
	char err[256];
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	assert_int_equal(bftd_exports_next_mono(x), INT64_MAX);
	bftd_export_sample s = sample(0, 0);
	bftd_exports_publish(x, &s);
	json_object *o = json_object_new_object();
	bftd_exports_status(x, o);
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(o);
	bftd_exports_close(x);
	bftd_exports_close(NULL);
	free(c);
}

static const void *map_page(const char *path)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	void *m = mmap(NULL, BFT_TIMEBOUNDS_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void test_timebounds_page(void **state)
{
	(void)state;
	bftd_config *c = config();
	snprintf(c->timebounds_path, sizeof c->timebounds_path, "/tmp/bftime-test-exports.%d", (int)getpid());
	bftd_exports *x;
	char err[256];
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	assert_int_equal(bftd_exports_next_mono(x), 0); /* publish at once */
	const void *m = map_page(c->timebounds_path);
	bft_timebounds_snapshot p;
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_UNKNOWN);

	/* The estimate was read 1 ms of raw time before publish reads the
	 * clocks; the node's raw clock runs 20 ppm fast against mono_raw
	 * (the test knob) and the node fitted +10 ppm. */
	bftd_export_sample s = sample(0, 1000000);
	s.e.freq_ppb = 10000;
	s.raw_freq_ppb = 20000;
	s.slept_ns = 777; /* as the daemon's suspend check found it */
	fc.window = 100;
	bftd_exports_publish(x, &s);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_SYNCHRONIZED);
	/* The page states the sample's suspend count, not one read at the
	 * write: a suspend in between makes readers refuse it (found by
	 * review: it paired pre-suspend bounds with the later count). */
	assert_int_equal(p.slept_ns, 777);
	assert_int_equal(p.as_of_mono_ns, M0);
	assert_int_equal(p.void_after_mono_ns, M0 + 3 * S);
	assert_int_equal(bftd_exports_next_mono(x), M0 + S);
	/* Carried 1 ms: shifted by 1 ms, widened by rho * 1 ms = 100 ns, then
	 * by the 100 ns read window twice plus 1. */
	assert_int_equal(p.earliest_ns, T0 - 1000000 - 100 - 201);
	assert_int_equal(p.latest_ns, T0 + 1000000 + 100 + 201);
	assert_int_equal(p.estimate_ns, T0 + 10); /* 1 ms at +10 ppm */
	/* Against mono_raw: (1 + 10e-6)(1 + 20e-6) - 1 and rho + |k| + rho|k|,
	 * both rounded up. */
	assert_int_equal(p.rate_ppb, 30000 + 1);
	assert_int_equal(p.rho_ppb, 100000 + 20000 + 2);

	s = sample(0, 0);
	s.e.state = BFT_DISC_HOLDOVER;
	bftd_exports_publish(x, &s);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_FREE_RUNNING);
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_DISRUPTED);
	assert_true(p.earliest_ns < T0 && p.latest_ns > T0);
	s.e.alarm = false;
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	s.e.bounds = bft_iv(INT64_MIN, INT64_MAX);
	bftd_exports_publish(x, &s);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_UNKNOWN);
	assert_true(p.earliest_ns == INT64_MIN && p.latest_ns == INT64_MAX);

	json_object *o = json_object_new_object();
	bftd_exports_status(x, o);
	json_object *tb;
	assert_true(json_object_object_get_ex(o, "timebounds", &tb));
	json_object *u;
	assert_true(json_object_object_get_ex(tb, "updates", &u));
	assert_int_equal(json_object_get_int64(u), 4);
	json_object_put(o);

	/* Closing marks the page unknown at once. */
	s = sample(0, 0);
	bftd_exports_publish(x, &s);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_SYNCHRONIZED);
	bftd_exports_close(x);
	assert_int_equal(bft_timebounds_page_load(m, &p), 0);
	assert_int_equal(p.status, BFT_TIMEBOUNDS_UNKNOWN);
	munmap((void *)(uintptr_t)m, BFT_TIMEBOUNDS_PAGE_SIZE);
	unlink(c->timebounds_path);

	/* An unwritable path is a configuration error. */
	snprintf(c->timebounds_path, sizeof c->timebounds_path, "/nonexistent-dir/page");
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "exports.timebounds"));
	free(c);
}

/* chrony's refclock_sock.c sample, from its documentation. */
struct chrony_sample {
	struct timeval tv;
	double offset;
	int pulse;
	int leap;
	int _pad;
	int magic;
};

static int chrony_listen(const char *path)
{
	unlink(path);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static ssize_t chrony_recv(int fd, struct chrony_sample *m)
{
	char buf[128];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == (ssize_t)sizeof *m)
		memcpy(m, buf, sizeof *m);
	return n;
}

/* The fake clocks, el after the sample's moment: the estimate is carried
 * by el too, so the offset to system time stays what it was. */
static void at(int64_t el)
{
	fc.mono = M0 + el;
	fc.realtime = T0 + el;
}

static void test_chrony_sock(void **state)
{
	(void)state;
	bftd_config *c = config();
	snprintf(c->chrony_sock, sizeof c->chrony_sock, "/tmp/bftime-test-chrony.%d", (int)getpid());
	int fd = chrony_listen(c->chrony_sock);
	bftd_exports *x;
	char err[256];
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	assert_int_equal(bftd_exports_next_mono(x), INT64_MAX); /* no page: no refresh needed */

	/* True time 2.5 ms ahead of system time; realtime with a sub-us part
	 * that the timeval drops and the offset must make up for. */
	bftd_export_sample s = sample(2500000, 0);
	fc.realtime = T0 + 789;
	bftd_exports_publish(x, &s);
	struct chrony_sample m;
	assert_int_equal(sizeof m, 40);
	assert_int_equal(chrony_recv(fd, &m), 40);
	assert_int_equal(m.magic, 0x534f434b);
	assert_int_equal(m.tv.tv_sec, T0 / S);
	assert_int_equal(m.tv.tv_usec, 0);
	assert_int_equal(m.pulse, 0);
	assert_int_equal(m.leap, 0);
	/* offset = true - system (chrony adds it to tv to get true time). */
	assert_true(m.offset > 0.0025 - 1e-12 && m.offset < 0.0025 + 1e-12);

	/* Nothing while unsynchronized, holding over or in alarm. */
	s.e.state = BFT_DISC_HOLDOVER;
	bftd_exports_publish(x, &s);
	s.e.state = BFT_DISC_SYNCHRONIZED;
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	s.e.alarm = false;
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	bftd_exports_publish(x, &s);
	assert_int_equal(chrony_recv(fd, &m), -1);
	assert_int_equal(errno, EAGAIN);

	/* chronyd goes away: counted, no crash; it comes back (a new socket
	 * at the same path): the next sample after the retry delay reaches
	 * it, not one before. */
	close(fd);
	unlink(c->chrony_sock);
	s = sample(-1000, 0);
	bftd_exports_publish(x, &s);
	fd = chrony_listen(c->chrony_sock);
	at(S / 2);
	bftd_exports_publish(x, &s);
	assert_int_equal(chrony_recv(fd, &m), -1);
	at(S);
	bftd_exports_publish(x, &s);
	assert_int_equal(chrony_recv(fd, &m), 40);
	assert_true(m.offset < -0.9e-6 && m.offset > -1.1e-6);
	/* Restart while connected: the old connection is refused, dropped,
	 * and the one after the delay reconnects. */
	close(fd);
	unlink(c->chrony_sock);
	fd = chrony_listen(c->chrony_sock);
	at(2 * S);
	bftd_exports_publish(x, &s);
	at(3 * S);
	bftd_exports_publish(x, &s);
	assert_int_equal(chrony_recv(fd, &m), 40);

	json_object *o = json_object_new_object();
	bftd_exports_status(x, o);
	json_object *ch, *v;
	assert_true(json_object_object_get_ex(o, "chrony", &ch));
	assert_true(json_object_object_get_ex(ch, "sent", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(ch, "failed", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	json_object_put(o);
	bftd_exports_close(x);
	close(fd);
	unlink(c->chrony_sock);
	free(c);
}

/* ntpd's struct shmTime, from its refclock_shm documentation. */
struct ntp_shm {
	int mode;
	volatile int count;
	time_t clock_sec;
	int clock_usec;
	time_t receive_sec;
	int receive_usec;
	int leap;
	int precision;
	int nsamples;
	volatile int valid;
	unsigned clock_nsec;
	unsigned receive_nsec;
	int dummy[8];
};

static void test_ntp_shm(void **state)
{
	(void)state;
	/* A unit nobody uses: gpsd takes 0-7, other tests run beside us. */
	int unit = 300 + (int)(getpid() % 500);
	while (shmget(0x4e545030 + unit, 0, 0) >= 0)
		unit++;
	bftd_config *c = config();
	c->ntp_shm_unit = unit;
	bftd_exports *x;
	char err[256];
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	int id = shmget(0x4e545030 + unit, 0, 0);
	assert_true(id >= 0);
	struct shmid_ds ds;
	assert_int_equal(shmctl(id, IPC_STAT, &ds), 0);
	assert_int_equal(ds.shm_perm.mode & 0777, 0666); /* unit >= 2: world-writable, as ntpd documents */
	assert_int_equal(ds.shm_segsz, sizeof(struct ntp_shm));
	struct ntp_shm *t = shmat(id, NULL, 0);
	assert_true(t != (void *)-1);

	bftd_export_sample s = sample(2500000, 0);
	fc.realtime = T0 + 1234567;
	s.e.estimate_ns += 1234567;
	s.e.bounds = bft_iv_shift(s.e.bounds, 1234567);
	bftd_exports_publish(x, &s);
	assert_int_equal(t->mode, 1);
	assert_int_equal(t->count, 2); /* bumped before and after: even when complete */
	assert_int_equal(t->valid, 1);
	assert_int_equal(t->clock_sec, T0 / S);
	assert_int_equal(t->clock_nsec, 2500000 + 1234567);
	assert_int_equal(t->clock_usec, (2500000 + 1234567) / 1000);
	assert_int_equal(t->receive_sec, T0 / S);
	assert_int_equal(t->receive_nsec, 1234567);
	assert_int_equal(t->receive_usec, 1234);
	assert_int_equal(t->leap, 0);
	assert_int_equal(t->precision, -9); /* half-width 1 ms: 2^-9 s = 1.95 ms covers it */

	/* The reader takes it and clears valid; nothing new while not
	 * synchronized. */
	t->valid = 0;
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	s.e.alarm = false;
	s.e.state = BFT_DISC_HOLDOVER;
	bftd_exports_publish(x, &s);
	assert_int_equal(t->valid, 0);
	assert_int_equal(t->count, 2);
	s.e.state = BFT_DISC_SYNCHRONIZED;
	bftd_exports_publish(x, &s);
	assert_int_equal(t->valid, 1);
	assert_int_equal(t->count, 4);
	bftd_exports_close(x);
	shmdt(t);
	shmctl(id, IPC_RMID, NULL);

	/* Units 0 and 1 are root's (0600), a segment of another size is
	 * refused with a hint. */
	int key = 0x4e545030 + unit;
	id = shmget(key, 8, IPC_CREAT | 0600);
	assert_true(id >= 0);
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "ipcrm"));
	shmctl(id, IPC_RMID, NULL);
	free(c);
}

/* The adjtimex policy: every call the fake kernel saw. */
static void test_adjtimex_policy(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	fk.status = STA_UNSYNC | STA_PLL | STA_NANO;
	bftd_config *c = config();
	c->adjtimex = true;
	bftd_exports *x;
	char err[256];
	/* A reference that reads the clock we would adjust is refused. */
	c->n_refs = 1;
	c->refs[0].kind = BFTD_REF_SYSTEM;
	snprintf(c->refs[0].name, sizeof c->refs[0].name, "system1");
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "system1"));
	c->refs[0].kind = BFTD_REF_NTP;
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	assert_int_equal(fk.n, 1);
	assert_int_equal(fk.calls[0].modes, 0); /* open only reads */

	/* Unsynchronized: the clock is not touched, not even read. */
	fk.n = 0;
	bftd_export_sample s = sample(1000000, 0);
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	s.e.bounds = bft_iv(INT64_MIN, INT64_MAX);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 0);
	/* Alarm before we ever set the clock: still nothing. */
	s = sample(1000000, 0);
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 1);
	assert_int_equal(fk.calls[0].modes, 0);

	/* Synchronized, system 1 ms behind, node frequency +10 ppm: slew,
	 * frequency 10 ppm + 1 ms / 16 s = 72.5 ppm, kernel PLL off, unsync
	 * cleared; maxerror 2 ms (system time to the far end of the
	 * interval), esterror 1 ms (half the width). */
	fk.n = 0;
	s = sample(1000000, 0);
	s.e.freq_ppb = 10000;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 2);
	assert_int_equal(fk.calls[0].modes, 0);
	struct timex *t = &fk.calls[1];
	assert_int_equal(t->modes, ADJ_FREQUENCY | ADJ_TICK | ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR);
	assert_int_equal(t->freq, 72500L * 65536 / 1000);
	assert_int_equal(t->tick, 1000000L / sysconf(_SC_CLK_TCK)); /* within +-500 ppm: nominal tick */
	assert_int_equal(t->status, STA_NANO);
	assert_int_equal(t->maxerror, 2000);
	assert_int_equal(t->esterror, 1000);

	/* The test knob: rates are against mono_raw, (1 + f)(1 + k) - 1. */
	fk.n = 0;
	s = sample(0, 0);
	s.e.freq_ppb = -30000;
	s.raw_freq_ppb = 45000;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].freq, 14998 * 65536 / 1000); /* -30000 + 45000 - 1.35 rounded away */

	/* 1 s behind: step forward (ADJ_SETOFFSET, ns), then run at the
	 * node's frequency with nothing left to slew. */
	fk.n = 0;
	s = sample(S + 5, 0);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 3);
	assert_int_equal(fk.calls[1].modes, ADJ_SETOFFSET | ADJ_NANO);
	assert_int_equal(fk.calls[1].time.tv_sec, 1);
	assert_int_equal(fk.calls[1].time.tv_usec, 5);
	assert_int_equal(fk.calls[2].freq, 0);
	assert_int_equal(fk.calls[2].maxerror, 1000);

	/* 1 s ahead: never stepped back; slewed at 1 s / 16 s = 62500 ppm,
	 * beyond the kernel frequency's +-500 ppm: the tick takes 625 us of
	 * it per USER_HZ tick at HZ 100 (100 ppm each), the frequency the rest. */
	long hz = sysconf(_SC_CLK_TCK), nominal = 1000000L / hz, per_us = 1000 * hz; /* ppb per us of tick */
	fk.n = 0;
	s = sample(-S, 0);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 2);
	assert_int_equal(fk.calls[1].modes & ADJ_SETOFFSET, 0);
	assert_int_equal(fk.calls[1].tick, nominal - 62500000L / per_us);
	assert_int_equal(fk.calls[1].freq, (-62500000L + 62500000L / per_us * per_us) * 65536 / 1000);
	/* 100 ms ahead (under the step threshold): slewed at 6250 ppm. */
	fk.n = 0;
	s = sample(-100000000, 0);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].tick, nominal - 6250000L / per_us);
	assert_int_equal(fk.calls[1].freq, (-6250000L + 6250000L / per_us * per_us) * 65536 / 1000);
	/* 100 s ahead: capped at 83333 ppm (chronyd's maxslewrate). */
	fk.n = 0;
	s = sample(-100 * S, 0);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].tick, nominal - 83333333L / per_us);

	/* Alarm after we have been disciplining: STA_UNSYNC, maxerror at
	 * the NTP limit, frequency left alone. */
	fk.n = 0;
	s = sample(0, 0);
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 2);
	/* and the offset no longer corrected: the tick back at nominal and
	 * the frequency the node's own (here 0), no slew left behind. */
	assert_int_equal(fk.calls[1].modes, ADJ_STATUS | ADJ_MAXERROR | ADJ_FREQUENCY | ADJ_TICK);
	assert_true(fk.calls[1].status & STA_UNSYNC);
	assert_int_equal(fk.calls[1].maxerror, 16000000);
	assert_int_equal(fk.calls[1].tick, nominal);
	assert_int_equal(fk.calls[1].freq, 0);
	/* Holdover: disciplined as before (maxerror from the wider interval). */
	fk.n = 0;
	s = sample(0, 0);
	s.e.state = BFT_DISC_HOLDOVER;
	s.e.bounds = bft_iv(T0 - 50000000, T0 + 50000000);
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].status & STA_UNSYNC, 0);
	assert_int_equal(fk.calls[1].maxerror, 50000);

	/* EPERM (no CAP_SYS_TIME): counted, no crash. */
	fk.fail = -EPERM;
	bftd_exports_publish(x, &s);
	fk.fail = 0;
	json_object *o = json_object_new_object();
	bftd_exports_status(x, o);
	json_object *a, *v;
	assert_true(json_object_object_get_ex(o, "adjtimex", &a));
	assert_true(json_object_object_get_ex(a, "steps", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_true(json_object_object_get_ex(a, "refused_steps", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(a, "errors", &v));
	assert_true(json_object_get_int64(v) >= 1);
	json_object_put(o);
	bftd_exports_close(x);
	free(c);
}

/* exports.adjtimex.source: network (docs/internal-sync.md): a node
 * without references disciplines the system clock to the network clock
 * once it is AGREED, telling the kernel it knows nothing of true time; a
 * node with true time follows the clock it stamps on the wire. */
static void test_adjtimex_network(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	fk.status = STA_UNSYNC | STA_PLL | STA_NANO;
	bftd_config *c = config();
	c->adjtimex = true;
	bftd_exports *x;
	char err[256];
	/* source: estimate (the default) never follows a network clock. */
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	fk.n = 0;
	bftd_export_sample s = sample(1000000, 0);
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	s.e.bounds = bft_iv(INT64_MIN, INT64_MAX);
	s.e.net_running = s.e.agreed = true;
	s.e.net_time_ns = s.e.time_ns;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 0);
	bftd_exports_close(x);

	c->adjtimex_network = true;
	assert_int_equal(bftd_exports_open_env(&x, c, &fake_env, err, sizeof err), 0);
	/* Booting (not AGREED yet: it may still step): not touched. */
	fk.n = 0;
	s.e.agreed = false;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 0);
	/* AGREED, its clock 1 ms ahead of the system's, read 2 s ago at
	 * +20 ppm: carried to now at that rate, slewed at 20 ppm + 1 ms / 16 s;
	 * STA_UNSYNC stays set and maxerror, esterror at the NTP limit. */
	fk.n = 0;
	s = sample(1000000, 2 * S);
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	s.e.bounds = bft_iv(INT64_MIN, INT64_MAX);
	s.e.estimate_ns = s.e.time_ns = T0 + 1000000 - 2 * S - 40000; /* + 20 ppm of 2 s to now */
	s.e.net_time_ns = s.e.time_ns;
	s.e.freq_ppb = 20000;
	s.e.net_running = s.e.agreed = true;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 2);
	assert_int_equal(fk.calls[0].modes, 0);
	struct timex *t = &fk.calls[1];
	assert_int_equal(t->modes, ADJ_FREQUENCY | ADJ_TICK | ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR);
	assert_int_equal(t->freq, (20000L + 62500) * 65536 / 1000);
	assert_int_equal(t->status, STA_UNSYNC | STA_NANO); /* the kernel PLL off, unsync kept */
	assert_int_equal(t->maxerror, 16000000);
	assert_int_equal(t->esterror, 16000000);
	/* The network clock's mean rate, as the fit measures it (its course
	 * runs at the oscillator's, corrected in phase each poll): the base. */
	fk.n = 0;
	s.net_rate_known = true;
	s.net_rate_ppb = 50000;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].freq, (50000L + 62500) * 65536 / 1000);
	s.net_rate_known = false;
	/* 1 s behind the network: stepped forward to it. */
	fk.n = 0;
	s.e.estimate_ns = s.e.time_ns = s.e.net_time_ns = T0 + S + 7 - 2 * S - 40000;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 3);
	assert_int_equal(fk.calls[1].modes, ADJ_SETOFFSET | ADJ_NANO);
	assert_int_equal(fk.calls[1].time.tv_sec, 1);
	assert_int_equal(fk.calls[1].time.tv_usec, 7);
	assert_int_equal(fk.calls[2].freq, 20000L * 65536 / 1000);
	/* With true time: the wire clock (true-time clock + 2 ms the
	 * agreement keeps it at), the interval's maxerror from the system
	 * time: 1 ms either side of T0 seen from T0. */
	fk.n = 0;
	s = sample(0, 0);
	s.e.net_time_ns = s.e.time_ns + 2000000;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 2);
	assert_int_equal(fk.calls[1].freq, 125000L * 65536 / 1000);
	assert_int_equal(fk.calls[1].status, STA_NANO);
	assert_int_equal(fk.calls[1].maxerror, 1000);
	assert_int_equal(fk.calls[1].esterror, 1000);
	/* The alarm: as with source estimate (STA_UNSYNC, no slew left). */
	fk.n = 0;
	s.e.alarm = true;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.calls[1].modes, ADJ_STATUS | ADJ_MAXERROR | ADJ_FREQUENCY | ADJ_TICK);
	assert_int_equal(fk.calls[1].freq, 0);
	/* The network clock lost (no agreement): not touched again. */
	fk.n = 0;
	s = sample(0, 0);
	s.e.state = BFT_DISC_UNSYNCHRONIZED;
	s.e.bounds = bft_iv(INT64_MIN, INT64_MAX);
	s.e.net_running = true;
	s.e.net_time_ns = s.e.time_ns;
	bftd_exports_publish(x, &s);
	assert_int_equal(fk.n, 0);
	json_object *o = json_object_new_object();
	bftd_exports_status(x, o);
	json_object *a, *v;
	assert_true(json_object_object_get_ex(o, "adjtimex", &a));
	assert_true(json_object_object_get_ex(a, "source", &v));
	assert_string_equal(json_object_get_string(v), "network");
	assert_true(json_object_object_get_ex(a, "steps", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	json_object_put(o);
	bftd_exports_close(x);
	free(c);
}

/* The real clock, read only: modes = 0 changes nothing. */
static void test_adjtime_real_read_only(void **state)
{
	(void)state;
	struct timex tx;
	int rc = bft_adjtime_read(&bft_adjtime_system, &tx);
	assert_true(rc >= 0);
	assert_int_equal(tx.modes, 0);
	assert_true(tx.maxerror >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_enabled),      cmocka_unit_test(test_timebounds_page),
		cmocka_unit_test(test_chrony_sock),          cmocka_unit_test(test_ntp_shm),
		cmocka_unit_test(test_adjtimex_policy),      cmocka_unit_test(test_adjtime_real_read_only),
		cmocka_unit_test(test_adjtimex_network),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
