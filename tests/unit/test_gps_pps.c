/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 600 /* posix_openpt, grantpt, unlockpt, ptsname */
/* Tests of PPS (pps.h) without a /dev/pps: the pairing of edges with the
 * seconds NMEA names and its lateness estimate (pure, synthetic raw times),
 * the device wrapper over a fake ops table (CLOCK_REALTIME stamps converted
 * to the raw clock), and the whole nmea driver on a pty with the fake PPS:
 * readings timed at the edge while pulses come, by the measured lateness
 * once they stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bftime/common.h>
#include "refclock/gps_guard.h"
#include "refclock/pps.h"
#include "daemon/refhost.h"
#include "refclock/refclock.h"
#include "proto/nmea.h"
#include "sys/clock.h"

#define S BFT_NS_PER_SEC
#define MS (BFT_NS_PER_SEC / 1000)

extern const bftd_pps_ops *bftd_refclock_nmea_pps_ops;

static void test_pair_unlocked_then_locked(void **st)
{
	(void)st;
	bftd_pps_pair p;
	bftd_pps_pair_init(&p);
	bftd_pps_edge e;
	int64_t med, lo, hi;
	assert_false(bftd_pps_pair_fix(&p, 5 * S, &e)); /* no edge yet */
	assert_false(bftd_pps_pair_delay(&p, &med, &lo, &hi));
	/* edges each second (+-3 us), sentences 380-420 ms after */
	for (int k = 0; k < 20; k++) {
		int64_t edge = 1000 * S + k * S + (k % 3 - 1) * 3000;
		bftd_pps_pair_edge(&p, edge, 2000);
		int64_t late = 380 * MS + (k * 7 % 5) * 10 * MS;
		assert_true(bftd_pps_pair_fix(&p, edge + late, &e));
		assert_int_equal(e.raw_ns, edge);
		assert_int_equal(e.err_ns, 2000);
	}
	assert_true(bftd_pps_pair_delay(&p, &med, &lo, &hi));
	assert_true(med >= 380 * MS && med <= 420 * MS);
	assert_true(lo >= 380 * MS - 3000 && hi <= 420 * MS + 3000);
	/* locked: a sentence 1.05 s after its edge (50 ms after the next
	 * edge) is paired with neither: not off by a second */
	int64_t e20 = 1020 * S, e21 = 1021 * S;
	bftd_pps_pair_edge(&p, e20, 2000);
	bftd_pps_pair_edge(&p, e21, 2000);
	assert_false(bftd_pps_pair_fix(&p, e20 + 1050 * MS, &e));
	assert_int_equal(p.unpaired, 2); /* with the one before any edge */
	/* and one 450 ms late pairs with its own edge even though a later edge exists */
	assert_true(bftd_pps_pair_fix(&p, e20 + 450 * MS, &e));
	assert_int_equal(e.raw_ns, e20);
}

static void test_pair_unlocked_limits(void **st)
{
	(void)st;
	bftd_pps_pair p;
	bftd_pps_pair_init(&p);
	bftd_pps_edge e;
	bftd_pps_pair_edge(&p, 10 * S, 1000);
	/* more than 900 ms after the only edge: the sentence may name the
	 * next second, whose edge we missed */
	assert_false(bftd_pps_pair_fix(&p, 10 * S + 950 * MS, &e));
	/* before the edge: not its second */
	assert_false(bftd_pps_pair_fix(&p, 10 * S - MS, &e));
	bftd_pps_pair_edge(&p, 11 * S, 1000);
	assert_true(bftd_pps_pair_fix(&p, 11 * S + 100 * MS, &e));
	assert_int_equal(e.raw_ns, 11 * S); /* unlocked: the latest edge */
	/* the ring keeps the last BFTD_PPS_EDGES edges */
	for (int k = 0; k < 3 * BFTD_PPS_EDGES; k++)
		bftd_pps_pair_edge(&p, (20 + k) * S, 1000);
	assert_int_equal(p.n_edges, BFTD_PPS_EDGES);
}

/* ---- a fake RFC 2783 device -------------------------------------------- */

static struct fake {
	int opens, closes;
	int fail_fetch;
	uint64_t seq;      /* 0: no edge yet */
	int64_t rt_ns;     /* CLOCK_REALTIME of the latest assert edge */
} fake;

static int fake_open(const char *path, void **h, char *err, size_t errlen)
{
	if (strcmp(path, "fake0") != 0) {
		snprintf(err, errlen, "%s: no such fake", path);
		return BFT_EINVAL;
	}
	fake.opens++;
	*h = &fake;
	return 0;
}

static int fake_fetch(void *h, uint64_t *seq, int64_t *rt)
{
	struct fake *f = h;
	if (f->fail_fetch)
		return BFT_EINVAL;
	if (!f->seq)
		return BFT_EEMPTY;
	*seq = f->seq;
	*rt = f->rt_ns;
	return 0;
}

static void fake_close(void *h)
{
	((struct fake *)h)->closes++;
}

static const bftd_pps_ops fake_ops = { fake_open, fake_fetch, fake_close };

/* An edge "now - ago_ns" as the kernel would have stamped it. */
static void fake_edge(int64_t ago_ns)
{
	fake.seq++;
	fake.rt_ns = bft_clock_realtime_ns() - ago_ns;
}

static void test_dev_fake(void **st)
{
	(void)st;
	memset(&fake, 0, sizeof fake);
	bftd_pps_dev d;
	char err[128];
	assert_int_not_equal(bftd_pps_dev_open(&d, &fake_ops, &bftd_refhost, "nope", err, sizeof err), 0);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(bftd_pps_dev_open(&d, &fake_ops, &bftd_refhost, "fake0", err, sizeof err), 0);
	int64_t raw, e;
	assert_false(bftd_pps_dev_poll(&d, &raw, &e)); /* no edge yet */
	bft_clock_mark(); /* as the daemon's loop does at every wake */
	usleep(350000);
	fake_edge(300 * MS);
	int64_t now = bft_clock_raw_ns();
	assert_true(bftd_pps_dev_poll(&d, &raw, &e));
	/* converted to the raw clock: 300 ms before now, to within the reads */
	assert_true(llabs(now - 300 * MS - raw) < 5 * MS);
	/* the error bound covers a 500 ppm slew over the 300 ms of age */
	assert_true(e >= 150000 && e < 5 * MS);
	assert_false(bftd_pps_dev_poll(&d, &raw, &e)); /* same sequence: nothing new */
	fake.fail_fetch = 1;
	assert_false(bftd_pps_dev_poll(&d, &raw, &e));
	assert_int_equal(d.errors, 1);
	fake.fail_fetch = 0;
	fake_edge(0);
	assert_true(bftd_pps_dev_poll(&d, &raw, &e));
	assert_int_equal(d.edges, 2);
	bftd_pps_dev_close(&d);
	assert_int_equal(fake.closes, 1);
	bftd_pps_dev_close(&d); /* twice is harmless */
	assert_int_equal(fake.closes, 1);
}

/* ---- the nmea driver on a pty with the fake PPS -------------------------- */

static void sentence(int fd, const char *body)
{
	char line[160];
	int n = snprintf(line, sizeof line, "$%s*%02X\r\n", body, bft_nmea_checksum(body, strlen(body)));
	assert_int_equal(write(fd, line, (size_t)n), n);
}

/* RMC and GGA for UTC second t (with 8 satellites, a 3D fix by GSA). */
static void cycle(int fd, int64_t t_s)
{
	time_t tt = (time_t)t_s;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char b[140];
	snprintf(b, sizeof b, "GPRMC,%02d%02d%02d.00,A,5155.55349,N,00434.65732,E,0.050,,%02d%02d%02d,,,A", tm.tm_hour,
	         tm.tm_min, tm.tm_sec, tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100);
	sentence(fd, b);
	snprintf(b, sizeof b, "GPGGA,%02d%02d%02d.00,5155.55349,N,00434.65732,E,1,08,1.00,2.0,M,46.0,M,,", tm.tm_hour,
	         tm.tm_min, tm.tm_sec);
	sentence(fd, b);
	sentence(fd, "GPGSA,A,3,15,27,09,28,18,17,22,12,,,,,1.69,1.00,1.37");
}

/* Service the driver until `ms` have passed; readings into r[*n]. */
static void pump(bftd_refclock *rc, int ms, bftd_reading *r, size_t *n, size_t cap)
{
	int64_t end = bft_clock_mono_ns() + ms * MS;
	for (;;) {
		int64_t now = bft_clock_mono_ns();
		if (now >= end)
			break;
		struct pollfd pfd[BFTD_REF_MAX_FDS];
		size_t nf = rc->drv->pollfds(rc, pfd, BFTD_REF_MAX_FDS);
		int64_t wait = end - now;
		if (rc->next_mono_ns < INT64_MAX && rc->next_mono_ns - now < wait)
			wait = rc->next_mono_ns - now;
		int to = wait < 0 ? 0 : (int)(wait / MS) + 1;
		int pr = poll(pfd, nf, to);
		assert_true(pr >= 0);
		bft_clock_mark(); /* as the daemon's loop does at every wake */
		bftd_reading out[BFTD_REF_MAX_READINGS];
		size_t k = rc->drv->service(rc, pfd, pr > 0 ? nf : 0, bft_clock_mono_ns(), out, BFTD_REF_MAX_READINGS);
		for (size_t i = 0; i < k && *n < cap; i++)
			r[(*n)++] = out[i];
	}
}

/* An nmea driver on a new pty (its master in *m), with the fake PPS device
 * when pps, the uncertainty given. */
static void open_pty_driver(bftd_refclock *rc, int *m, bool pps, int64_t uncertainty_ns)
{
	*m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(*m >= 0);
	assert_int_equal(grantpt(*m), 0);
	assert_int_equal(unlockpt(*m), 0);
	bftd_ref cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.kind = BFTD_REF_NMEA;
	snprintf(cfg.name, sizeof cfg.name, "gps0");
	snprintf(cfg.device, sizeof cfg.device, "%s", ptsname(*m));
	if (pps)
		snprintf(cfg.pps, sizeof cfg.pps, "fake0");
	cfg.speed = 9600;
	cfg.every_ns = S;
	cfg.delay_ns = -1;
	cfg.uncertainty_ns = uncertainty_ns;
	cfg.leap_s = 18;
	cfg.max_move_m = 100;
	char err[256];
	assert_int_equal(bftd_refclock_open(rc, &cfg, &bftd_refhost, 100000, 1, bft_clock_mono_ns(), err, sizeof err), 0);
}

static void test_driver_pty_fake_pps(void **st)
{
	(void)st;
	memset(&fake, 0, sizeof fake);
	bftd_refclock_nmea_pps_ops = &fake_ops;
	int m;
	bftd_refclock rc;
	open_pty_driver(&rc, &m, true, 10000); /* the pulse's jitter bound: 10 us */
	assert_int_equal(fake.opens, 1);

	/* Each "second" (150 ms here): the pulse, then 100 ms later the
	 * sentences naming it. */
	int64_t t0 = bft_clock_realtime_ns() / S;
	bftd_reading r[64];
	size_t n = 0;
	int64_t edge_raw[9];
	for (int k = 0; k < 9; k++) {
		fake_edge(0);
		edge_raw[k] = bft_clock_raw_ns();
		pump(&rc, 100, r, &n, 64);
		cycle(m, t0 + k);
		pump(&rc, 50, r, &n, 64);
	}
	assert_true(n >= 7);
	size_t pps = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].have_gps);
		int64_t t = r[i].iv.lo_ns + (r[i].iv.hi_ns - r[i].iv.lo_ns) / 2;
		int k = (int)(t / S - t0);
		assert_true(k >= 0 && k <= 8);
		assert_int_equal(t % S, 0);
		if (llabs(r[i].raw_ns - edge_raw[k]) < 2 * MS) {
			/* at the edge, +- the jitter bound and the conversion error */
			assert_true(r[i].iv.hi_ns - t >= 10000 && r[i].iv.hi_ns - t < 2 * MS);
			pps++;
		}
	}
	assert_true(pps >= 6);
	/* the lateness estimate: about 100 ms */
	struct json_object *o = json_object_new_object();
	rc.drv->status(&rc, o);
	struct json_object *x;
	assert_true(json_object_object_get_ex(o, "delay_ns", &x));
	int64_t est = json_object_get_int64(x);
	assert_true(est > 90 * MS && est < 140 * MS);
	assert_true(json_object_object_get_ex(o, "pps_paired", &x));
	assert_true(json_object_get_int64(x) >= 6);
	json_object_put(o);

	/* The pulse stops: after a second (every edge is then too old to pair)
	 * sentences are timed by the measured lateness. */
	pump(&rc, 1000, r, &n, 64);
	size_t n0 = n;
	for (int k = 9; k < 13; k++) {
		cycle(m, t0 + k);
		pump(&rc, 150, r, &n, 64);
	}
	assert_true(n > n0);
	o = json_object_new_object();
	rc.drv->status(&rc, o);
	assert_true(json_object_object_get_ex(o, "timing", &x));
	assert_string_equal(json_object_get_string(x), "measured delay");
	json_object_put(o);
	for (size_t i = n0; i < n; i++) {
		int64_t half = (r[i].iv.hi_ns - r[i].iv.lo_ns) / 2;
		int64_t t = r[i].iv.lo_ns + half;
		if (t / S < t0 + 9)
			continue; /* the last PPS second, reported when the next began */
		/* at least the NMEA floor (100 ms), not the pulse's 10 us */
		assert_true(half >= BFTD_GPS_NMEA_MIN_UNC_NS);
	}
	bftd_refclock_close(&rc);
	assert_int_equal(fake.closes, 1);
	close(m);
	bftd_refclock_nmea_pps_ops = NULL;
}

/* A void RMC (no fix yet: the receiver's own clock, status V) names
 * second T; 300 ms later the first valid RMC and GGA name T too. The
 * reading is timed from the valid sentences, not the void one: timed from
 * it, it was stated 300 ms early (a second early on a receiver, its
 * interval missing the truth: found by review). No PPS, the default
 * uncertainty. */
static void test_void_sentence_names_nothing(void **st)
{
	(void)st;
	int m;
	bftd_refclock rc;
	open_pty_driver(&rc, &m, false, 100 * MS);
	int64_t t = bft_clock_realtime_ns() / S;
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char b[140];
	snprintf(b, sizeof b, "GPRMC,%02d%02d%02d.00,V,,,,,,,%02d%02d%02d,,,N", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100);
	sentence(m, b);
	snprintf(b, sizeof b, "GPGGA,%02d%02d%02d.00,,,,,0,00,99.99,,,,,,", tm.tm_hour, tm.tm_min, tm.tm_sec);
	sentence(m, b);
	bftd_reading r[16];
	size_t n = 0;
	pump(&rc, 300, r, &n, 16);
	int64_t valid_raw = bft_clock_raw_ns();
	cycle(m, t);
	pump(&rc, 150, r, &n, 16);
	cycle(m, t + 1); /* the next second's sentences close the first */
	pump(&rc, 150, r, &n, 16);
	assert_true(n >= 1);
	print_message("void line 300 ms before the valid one: reading at raw %+.1f ms from the valid line\n",
	              (double)(r[0].raw_ns - valid_raw) / 1e6);
	/* Without a PPS a sentence stands for a second it arrives within: the
	 * reading is stated half a second before its line (timed from the
	 * void line, 300 ms earlier still: -800 ms). */
	assert_true(r[0].raw_ns > valid_raw - 600 * MS);
	/* One line of 40 sentences with bad checksums: 40 errors counted (the
	 * parser's queue holds 16 events: counted from its events, 16). */
	char junk[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(junk, "$GPZZZ*00");
	strcat(junk, "\r\n");
	struct json_object *o = json_object_new_object(), *x;
	rc.drv->status(&rc, o);
	assert_true(json_object_object_get_ex(o, "errors", &x));
	int64_t before = json_object_get_int64(x);
	json_object_put(o);
	assert_int_equal(write(m, junk, strlen(junk)), (ssize_t)strlen(junk));
	pump(&rc, 100, r, &n, 16);
	o = json_object_new_object();
	rc.drv->status(&rc, o);
	assert_true(json_object_object_get_ex(o, "errors", &x));
	print_message("a line of 40 bad sentences: %lld errors counted\n", (long long)(json_object_get_int64(x) - before));
	assert_true(json_object_get_int64(x) - before >= 40);
	json_object_put(o);
	bftd_refclock_close(&rc);
	close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_unlocked_then_locked),
		cmocka_unit_test(test_pair_unlocked_limits),
		cmocka_unit_test(test_dev_fake),
		cmocka_unit_test(test_driver_pty_fake_pps),
		cmocka_unit_test(test_void_sentence_names_nothing),
	};
	return cmocka_run_group_tests_name("gps_pps", tests, NULL, NULL);
}
