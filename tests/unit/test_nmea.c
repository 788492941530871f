/* SPDX-License-Identifier: MIT */
/* Tests of the NMEA 0183 decoder: checksums, every sentence type we use and
 * every talker, date handling (midnight, 2-digit years, century, GPS week
 * rollover), GPS time conversion, hostile input (garbage, NUL, overlong
 * lines), and that splitting the input anywhere gives the same events. When
 * gpsd's regression captures are present (../shared/data/gpsd-nmea, or
 * $GPSD_NMEA_DIR), every one is decoded here too, under ASan and UBSan, in
 * one chunk and byte by byte. */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/nmea.h"

#define S(x) ((int64_t)(x) * 1000000000LL)

/* Decodes text fed in chunks of `chunk` bytes (0: all at once); appends a
 * line per event to log (if not NULL) and returns the FIX events' times. */
struct run {
	int64_t times[256];
	int nfix, nerr, nsent;
	bft_nmea_fix last;
	bft_nmea_err last_err;
	char log[1 << 16];
	size_t loglen;
	bft_nmea_stats st;
};

static void drain(bft_nmea *p, struct run *r)
{
	bft_nmea_event ev;
	while (bft_nmea_next(p, &ev)) {
		if (r->loglen < sizeof r->log - 128)
			r->loglen += (size_t)snprintf(r->log + r->loglen, sizeof r->log - r->loglen,
			                              "%d %llu %d %s %lld %d\n", ev.type, (unsigned long long)ev.line,
			                              ev.err, ev.sentence,
			                              ev.type == BFT_NMEA_EV_FIX ? (long long)ev.fix.time_ns : 0LL,
			                              ev.type == BFT_NMEA_EV_FIX ? ev.fix.mode : 0);
		if (ev.type == BFT_NMEA_EV_FIX) {
			assert_true(ev.fix.time_ns > 0);
			if (r->nfix < 256)
				r->times[r->nfix] = ev.fix.time_ns;
			r->nfix++;
			r->last = ev.fix;
		} else if (ev.type == BFT_NMEA_EV_ERROR) {
			r->nerr++;
			r->last_err = ev.err;
		} else {
			r->nsent++;
		}
	}
}

static void run_cfg(struct run *r, const bft_nmea_config *cfg, const char *text, size_t len, size_t chunk)
{
	memset(r, 0, sizeof *r);
	bft_nmea *p = bft_nmea_new(cfg);
	assert_non_null(p);
	size_t off = 0;
	while (off < len) {
		size_t want = chunk ? (len - off < chunk ? len - off : chunk) : len - off;
		size_t n = bft_nmea_feed(p, text + off, want);
		assert_true(n > 0 && n <= want);
		off += n;
		drain(p, r);
	}
	bft_nmea_flush(p);
	drain(p, r);
	r->st = *bft_nmea_get_stats(p);
	bft_nmea_free(p);
}

static void run(struct run *r, const char *text)
{
	run_cfg(r, NULL, text, strlen(text), 0);
}

/* A sentence with its checksum: "$" body "*hh\r\n". */
static const char *nmea(const char *body)
{
	static char buf[8][600];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, 600, "$%s*%02X\r\n", body, bft_nmea_checksum(body, strlen(body)));
	return b;
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	/* independent of the decoder: via timegm's arithmetic, by hand */
	int64_t days = 0;
	for (int yy = 1970; yy < y; yy++)
		days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0)) ? 366 : 365;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int m = 1; m < mo; m++)
		days += mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
	days += d - 1;
	return S(days * 86400 + h * 3600 + mi * 60 + s);
}

static void test_checksum(void **state)
{
	(void)state;
	/* from the NMEA documentation and gpsd's captures */
	assert_int_equal(bft_nmea_checksum("$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20*04", 54), 0x04);
	assert_int_equal(bft_nmea_checksum("GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20", 49), 0x04);
	struct run r;
	run(&r, "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20*04\r\n");
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.nsent, 1);
	run(&r, "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20*05\r\n");
	assert_int_equal(r.nerr, 1);
	assert_int_equal(r.last_err, BFT_NMEA_E_CHECKSUM);
	run(&r, "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20*0\r\n");
	assert_int_equal(r.last_err, BFT_NMEA_E_CHECKSUM);
	run(&r, "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20*0G\r\n");
	assert_int_equal(r.last_err, BFT_NMEA_E_CHECKSUM);
	/* lower-case hex is accepted */
	char lower[80];
	snprintf(lower, sizeof lower, "$GPGLL,,,,,,V,A*%02x\n", bft_nmea_checksum("GPGLL,,,,,,V,A", 14));
	assert_non_null(strstr(lower, "*6b"));
	run(&r, lower);
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.nsent, 1);
	/* no checksum: accepted and counted (gpsd accepts it), unless required */
	run(&r, "$GPVTG,,T,,M,0.211,N,0.391,K,A\r\n");
	assert_int_equal(r.nerr, 0);
	assert_int_equal(r.st.no_checksum, 1);
	/* without '*' gpsd drops the last field: a GSA then has too few */
	run(&r, "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20\r\n");
	assert_int_equal(r.last_err, BFT_NMEA_E_FIELDS);
	bft_nmea_config c = { .flags = BFT_NMEA_REQUIRE_CHECKSUM };
	const char *t = "$GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20\r\n";
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_int_equal(r.last_err, BFT_NMEA_E_NO_CHECKSUM);
	assert_int_equal(r.st.errors[BFT_NMEA_E_NO_CHECKSUM], 1);
}

/* One cycle of each time-bearing sentence type; the cycle detector reports
 * the first fix once the time of day moves on. */
static void test_sentences(void **state)
{
	(void)state;
	struct run r;
	char text[4096];
	/* RMC alone: every RMC is a fix (gpsd reports it while it has no
	 * reliable cycle end, then RMC becomes the cycle ender) */
	snprintf(text, sizeof text, "%s%s%s", nmea("GPRMC,083723.00,A,5155.55442,N,00434.65873,E,0.211,,210810,,,A"),
	         nmea("GPRMC,083724.00,A,5155.55430,N,00434.65878,E,0.392,,210810,,,A"),
	         nmea("GPRMC,083725.00,A,5155.55467,N,00434.65870,E,0.274,,210810,,,A"));
	run(&r, text);
	assert_int_equal(r.nerr, 0);
	assert_true(r.nfix >= 3);
	assert_true(r.times[0] == utc(2010, 8, 21, 8, 37, 23));
	assert_true(r.last.time_ns == utc(2010, 8, 21, 8, 37, 25));
	assert_true(fabs(r.last.lat_deg - 51.925911) < 1e-5);
	assert_true(fabs(r.last.lon_deg - 4.577645) < 1e-5);
	assert_int_equal(r.last.valid, 1);
	assert_string_equal(r.last.sentence, "GPRMC");

	/* ZDA gives the date, GGA and GLL only the time of day */
	snprintf(text, sizeof text, "%s%s%s%s%s%s", nmea("GPZDA,160012.71,11,03,2004,-1,00"),
	         nmea("GPGGA,160012.71,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1"),
	         nmea("GPGLL,4807.038,N,01131.324,E,160012.71,A,A"),
	         nmea("GPGGA,160013.71,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGLL,4807.038,N,01131.324,E,160013.71,A,A"));
	run(&r, text);
	assert_int_equal(r.nerr, 0);
	assert_true(r.nfix >= 2);
	assert_true(r.times[0] == utc(2004, 3, 11, 16, 0, 12) + 710000000);
	assert_true(r.last.time_ns == utc(2004, 3, 11, 16, 0, 13) + 710000000);
	assert_int_equal(r.last.mode, BFT_NMEA_MODE_3D);
	assert_true(fabs(r.last.alt_m - 545.4) < 1e-9);
	assert_int_equal(r.last.sats_used, 8);
	assert_true(fabs(r.last.hdop - 0.9) < 1e-9);
	assert_string_equal(r.last.sentence, "GPGLL");

	/* GGA without any date: no time, so no fix */
	run(&r, nmea("GPGGA,160013.71,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	assert_int_equal(r.nfix, 0);

	/* GNS (NMEA 4) after an RMC */
	snprintf(text, sizeof text, "%s%s%s", nmea("GNRMC,224749.00,A,3333.4268304,N,11153.3538273,W,,,020819,,,D"),
	         nmea("GNGNS,224749.00,3333.4268304,N,11153.3538273,W,D,19,0.6,406.110,-26.294,6.0,0138,S"),
	         nmea("GNGNS,224750.00,3333.4268304,N,11153.3538273,W,D,19,0.6,406.110,-26.294,6.0,0138,S"));
	run(&r, text);
	assert_int_equal(r.nerr, 0);
	assert_true(r.last.time_ns == utc(2019, 8, 2, 22, 47, 50));
	assert_true(r.last.lon_deg < -111.0);

	/* VTG, TXT and unknown sentences decode but never make a fix */
	snprintf(text, sizeof text, "%s%s%s", nmea("GPVTG,,T,,M,0.211,N,0.391,K,A"), nmea("GPTXT,01,01,02,ANTSTATUS=OK"),
	         nmea("PUBX,00,foo"));
	run(&r, text);
	assert_int_equal(r.nsent, 3);
	assert_int_equal(r.nfix, 0);
	assert_int_equal(r.nerr, 0);

	/* RMC with status V: no position, no fix time */
	run(&r, nmea("GPRMC,083723.00,V,,,,,,,210810,,,N"));
	assert_int_equal(r.nfix, 0);

	/* too few fields for a known sentence */
	run(&r, nmea("GPRMC,083723.00,A,5155.55442"));
	assert_int_equal(r.last_err, BFT_NMEA_E_FIELDS);
	/* malformed time, malformed position */
	snprintf(text, sizeof text, "%s", nmea("GPRMC,08x723.00,A,5155.55442,N,00434.65873,E,0.211,,210810,,,A"));
	run(&r, text);
	assert_int_equal(r.last_err, BFT_NMEA_E_TIME);
	run(&r, nmea("GPRMC,083723.00,A,51x55.5,N,00434.65873,E,0.211,,210810,,,A"));
	assert_int_equal(r.last_err, BFT_NMEA_E_POSITION);
}

/* The same fix through every talker: all decode to the same time. */
static void test_talkers(void **state)
{
	(void)state;
	static const char *const talkers[] = { "GP", "GN", "GL", "GA", "GB", "BD", "GQ", "QZ", "GI", "IN" };
	for (size_t i = 0; i < sizeof talkers / sizeof talkers[0]; i++) {
		char b1[200], b2[200], text[600];
		snprintf(b1, sizeof b1, "%sRMC,120000.00,A,4807.038,N,01131.324,E,0.0,0.0,150324,,,A", talkers[i]);
		snprintf(b2, sizeof b2, "%sRMC,120001.00,A,4807.038,N,01131.324,E,0.0,0.0,150324,,,A", talkers[i]);
		snprintf(text, sizeof text, "%s%s", nmea(b1), nmea(b2));
		struct run r;
		run(&r, text);
		assert_int_equal(r.nerr, 0);
		assert_true(r.nfix >= 2);
		assert_true(r.last.time_ns == utc(2024, 3, 15, 12, 0, 1));
		assert_int_equal(strncmp(r.last.sentence, talkers[i], 2), 0);
	}
}

/* GSV + GSA: the sky summary (satellites, SNR) a spoofing check reads. */
static void test_sky(void **state)
{
	(void)state;
	char text[4096];
	snprintf(text, sizeof text, "%s%s%s%s%s%s%s", nmea("GPRMC,083723.00,A,5155.55442,N,00434.65873,E,0.2,,210810,,,A"),
	         nmea("GPGSA,A,3,27,15,09,,,,,,,,,,3.33,2.51,2.20"),
	         nmea("GLGSA,A,3,02,,,,,,,,,,,,3.33,2.51,2.20"),
	         nmea("GPGSV,2,1,05,27,62,276,36,15,78,214,34,09,43,270,37,12,03,212,"),
	         nmea("GPGSV,2,2,05,05,04,187,"),
	         nmea("GLGSV,1,1,01,02,40,100,41"),
	         nmea("GPRMC,083724.00,A,5155.55442,N,00434.65873,E,0.2,,210810,,,A"));
	struct run r;
	run(&r, text);
	assert_int_equal(r.nerr, 0);
	const bft_nmea_sky *s = &r.last.sky;
	assert_int_equal(s->visible, 6);
	assert_int_equal(s->used, 4);
	assert_int_equal(s->with_snr, 4);
	assert_int_equal(s->snr_min, 34);
	assert_int_equal(s->snr_max, 41);
	assert_true(fabs(s->snr_mean - 37.0) < 1e-9);
	int used = 0;
	for (int i = 0; i < s->n; i++)
		used += s->sats[i].used;
	assert_int_equal(used, 4);
	assert_int_equal(s->sats[5].prn, 66); /* GLONASS 2 -> 65 + 1 */
	assert_int_equal(s->sats[5].used, 1);
}

/* Dates: midnight on time-only sentences, RMC's 2-digit years and century,
 * gpsd's 2080 fold, ZDA's 4-digit year. */
static void test_dates(void **state)
{
	(void)state;
	char text[4096];
	struct run r;
	/* midnight: GGA after the last RMC of the day moves to the next day */
	snprintf(text, sizeof text, "%s%s%s%s", nmea("GPRMC,235959.00,A,4807.038,N,01131.324,E,0,0,280224,,,A"),
	         nmea("GPGGA,235959.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGGA,000000.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGGA,000001.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	run(&r, text);
	assert_true(r.last.time_ns == utc(2024, 2, 29, 0, 0, 1)); /* leap year */
	/* the end of a month and of a year */
	snprintf(text, sizeof text, "%s%s%s", nmea("GPZDA,235959.50,31,12,2023,00,00"),
	         nmea("GPGGA,235959.50,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGGA,000000.50,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	run(&r, text);
	assert_true(r.last.time_ns == utc(2024, 1, 1, 0, 0, 0) + 500000000);
	/* an hour going back is a discontinuity, not a new day */
	snprintf(text, sizeof text, "%s%s%s", nmea("GPRMC,152508.00,A,4807.038,N,01131.324,E,0,0,091209,,,A"),
	         nmea("GPGGA,152508.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGGA,143306.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	run(&r, text);
	assert_true(r.last.time_ns == utc(2009, 12, 9, 14, 33, 6));
	/* 2-digit years: 99 then 00 moves the century on */
	snprintf(text, sizeof text, "%s%s", nmea("GPRMC,235959.00,A,4807.038,N,01131.324,E,0,0,311299,,,A"),
	         nmea("GPRMC,000000.00,A,4807.038,N,01131.324,E,0,0,010100,,,A"));
	run(&r, text);
	assert_true(r.times[0] == utc(1999, 12, 31, 23, 59, 59));
	assert_true(r.last.time_ns == utc(2000, 1, 1, 0, 0, 0));
	/* the configured century; years from 80 on fold back (gpsd) */
	bft_nmea_config c = { .century = 2000 };
	const char *t = nmea("GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,150379,,,A");
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_true(r.last.time_ns == utc(2079, 3, 15, 12, 0, 0));
	t = nmea("GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,150380,,,A");
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_true(r.last.time_ns == utc(1980, 3, 15, 12, 0, 0));
	/* ZDA's year sets the century for later RMCs */
	snprintf(text, sizeof text, "%s%s%s", nmea("GPZDA,120000.00,15,03,1998,00,00"),
	         nmea("GPRMC,120001.00,A,4807.038,N,01131.324,E,0,0,150398,,,A"),
	         nmea("GPRMC,120002.00,A,4807.038,N,01131.324,E,0,0,150398,,,A"));
	run(&r, text);
	assert_true(r.last.time_ns == utc(1998, 3, 15, 12, 0, 2));
	/* invalid dates */
	run(&r, nmea("GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,321324,,,A"));
	assert_int_equal(r.nfix, 0);
	assert_int_equal(r.last_err, BFT_NMEA_E_TIME);
	run(&r, nmea("GPZDA,120000.00,15,13,2024,00,00"));
	assert_int_equal(r.last_err, BFT_NMEA_E_TIME);
}

/* Issue 13: only dates in the plausible years (1900..2200) give a time.
 * Before, RMC dates alternating 31-12-99 and 01-01-00 raised the century by
 * 100 a pair without end (gpsd does), and four pairs overflowed the ns
 * product (UBSan); midnights on time-only sentences ran the day on without
 * end too. Now each such date is a counted BFT_NMEA_E_TIME and no fix. */
static void test_implausible_dates(void **state)
{
	(void)state;
	static char text[1 << 13];
	size_t len = 0;
	for (int i = 0; i < 6; i++) /* the fuzz reproducer: six pairs */
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
		                        nmea("GPRMC,235959.00,A,4807.038,N,01131.324,E,0,0,311299,,,A"),
		                        nmea("GPRMC,000000.00,A,4807.038,N,01131.324,E,0,0,010100,,,A"));
	struct run r;
	run(&r, text);
	/* 1999/2000, 2099/2100 (gpsd's fold), 2199/2200; then 2299 is refused
	 * three times and the century stops: 01-01-00 stays 2200 */
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 3);
	assert_true(r.times[0] == utc(1999, 12, 31, 23, 59, 59));
	for (int i = 0; i < r.nfix && i < 256; i++)
		assert_true(r.times[i] <= utc(2200, 1, 1, 0, 0, 0));
	assert_true(r.last.time_ns == utc(2200, 1, 1, 0, 0, 0));

	/* with the week-rollover fix (the daemon's driver) 1999 becomes 2019
	 * and ends the climb, but a ZDA in 2099 starts it again */
	bft_nmea_config wk = { .flags = BFT_NMEA_WKRO_FIX };
	len = (size_t)snprintf(text, sizeof text, "%s", nmea("GPZDA,235959.00,31,12,2099,00,00"));
	for (int i = 0; i < 5; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
		                        nmea("GPRMC,000000.00,A,4807.038,N,01131.324,E,0,0,010100,,,A"),
		                        nmea("GPRMC,235959.00,A,4807.038,N,01131.324,E,0,0,311299,,,A"));
	run_cfg(&r, &wk, text, len, 0);
	assert_true(r.st.errors[BFT_NMEA_E_TIME] >= 1);
	for (int i = 0; i < r.nfix && i < 256; i++)
		assert_true(r.times[i] < utc(2201, 1, 1, 0, 0, 0));

	/* A time of day or a day of the month out of range is refused and
	 * counted, not rolled over (25:61:99 was 02:02:39 the next day, 31-02
	 * the 3rd of March); 23:59:60, a leap second, is a time. */
	static const char *const bad[] = {
		"GPRMC,256199.00,A,4807.038,N,01131.324,E,0,0,100325,,,A",
		"GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,310225,,,A",
		"GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,290225,,,A",
		"GPZDA,120000.00,30,02,2024,00,00",
		"GPZDA,120000.00,31,04,2024,00,00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(&r, nmea(bad[i]));
		assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);
		assert_int_equal(r.nfix, 0);
	}
	run(&r, nmea("GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,290224,,,A"));
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 0);
	assert_true(r.last.time_ns == utc(2024, 2, 29, 12, 0, 0));
	run(&r, nmea("GPZDA,235960.00,31,12,2016,00,00"));
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 0);

	/* ZDA's 4-digit year: 1900..2200 */
	run(&r, nmea("GPZDA,120000.00,15,03,2201,00,00"));
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);
	run(&r, nmea("GPZDA,120000.00,15,03,1899,00,00"));
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);

	/* a midnight on GGA past 2200-12-31: no time, counted, no fix */
	len = (size_t)snprintf(text, sizeof text, "%s%s%s", nmea("GPZDA,235958.00,31,12,2200,00,00"),
	                       nmea("GPGGA,235959.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	                       nmea("GPGGA,000000.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	run(&r, text);
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);
	for (int i = 0; i < r.nfix && i < 256; i++)
		assert_true(r.times[i] < utc(2201, 1, 1, 0, 0, 0));

	/* ... and 23 000 of them, into 2263, where the product overflowed */
	bft_nmea *p = bft_nmea_new(NULL);
	assert_non_null(p);
	const char *zda = nmea("GPZDA,120000.00,01,01,2200,00,00");
	bft_nmea_feed(p, zda, strlen(zda));
	char late[128], early[128];
	snprintf(late, sizeof late, "%s", nmea("GPGGA,230000.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	snprintf(early, sizeof early, "%s", nmea("GPGGA,000000.00,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"));
	bft_nmea_event ev;
	int64_t newest = 0;
	for (int i = 0; i < 23000; i++) {
		for (int k = 0; k < 2; k++) {
			const char *line = k ? early : late;
			size_t off = 0, n = strlen(line);
			while (off < n)
				off += bft_nmea_feed(p, line + off, n - off);
			while (bft_nmea_next(p, &ev))
				if (ev.type == BFT_NMEA_EV_FIX && ev.fix.time_ns > newest)
					newest = ev.fix.time_ns;
		}
	}
	assert_true(newest > utc(2200, 1, 1, 0, 0, 0) && newest < utc(2201, 1, 1, 0, 0, 0));
	assert_true(bft_nmea_get_stats(p)->errors[BFT_NMEA_E_TIME] > 20000);
	bft_nmea_free(p);

	/* the week-rollover correction cannot carry a date past 2200 */
	bft_nmea_config c = { .flags = BFT_NMEA_WKRO_FIX, .wkro_floor_ns = INT64_MAX };
	const char *t = nmea("GPZDA,120000.00,01,06,2190,00,00");
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);
	assert_int_equal(r.nfix, 0);
	/* nor a configured century far from the plausible ones */
	c = (bft_nmea_config){ .century = INT_MAX - 50 };
	t = nmea("GPRMC,120000.00,A,4807.038,N,01131.324,E,0,0,150379,,,A");
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_int_equal(r.st.errors[BFT_NMEA_E_TIME], 1);
	assert_int_equal(r.nfix, 0);
}

/* A receiver that lost a GPS week rollover reports 1024 weeks early. */
static void test_week_rollover(void **state)
{
	(void)state;
	const char *t = nmea("GPRMC,000435.00,A,4807.038,N,01131.324,E,0,0,220899,,,A");
	struct run r;
	run(&r, t);
	assert_true(r.last.time_ns == utc(1999, 8, 22, 0, 4, 35)); /* as reported, gpsd's default */
	bft_nmea_config c = { .flags = BFT_NMEA_WKRO_FIX };
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_true(r.last.time_ns == utc(1999, 8, 22, 0, 4, 35) + 1024 * BFT_NMEA_WEEK_NS);
	assert_true(r.last.time_ns == utc(2019, 4, 7, 0, 4, 35));
	c.wkro_floor_ns = utc(2030, 1, 1, 0, 0, 0); /* two rollovers */
	run_cfg(&r, &c, t, strlen(t), 0);
	assert_true(r.last.time_ns == utc(2038, 11, 21, 0, 4, 35));
	/* the full week from a 10-bit one, nearest to a reference */
	assert_int_equal(bft_nmea_week_unroll(2048 - 1024 - 1, 2048), 2047);
	assert_int_equal(bft_nmea_week_unroll(1, 2047), 2049);
	assert_int_equal(bft_nmea_week_unroll(1023, 2049), 2047);
	assert_int_equal(bft_nmea_week_unroll(300, 2300), 2348);
}

/* UTC <-> GPS week and time of week with leap seconds. */
static void test_gps_time(void **state)
{
	(void)state;
	int week;
	int64_t tow;
	assert_int_equal(bft_nmea_utc_to_gps(S(BFT_NMEA_GPS_EPOCH_UNIX_S), 0, &week, &tow), 0);
	assert_int_equal(week, 0);
	assert_true(tow == 0);
	/* 2017-01-01T00:00:00Z, GPS - UTC = 18 s: week 1930, Sunday + 18 s */
	assert_int_equal(bft_nmea_utc_to_gps(utc(2017, 1, 1, 0, 0, 0), 18, &week, &tow), 0);
	assert_int_equal(week, 1930);
	assert_true(tow == S(18));
	/* 2019-04-06T23:59:42Z = GPS 2019-04-07T00:00:00 = week 2048, the second rollover */
	assert_int_equal(bft_nmea_utc_to_gps(utc(2019, 4, 6, 23, 59, 42), 18, &week, &tow), 0);
	assert_int_equal(week, 2048);
	assert_true(tow == 0);
	assert_true(bft_nmea_gps_to_utc(2048, 0, 18) == utc(2019, 4, 6, 23, 59, 42));
	/* a leap second is caller-supplied: 17 s before 2017 */
	assert_int_equal(bft_nmea_utc_to_gps(utc(2016, 6, 1, 12, 0, 0) + 123, 17, &week, &tow), 0);
	assert_true(bft_nmea_gps_to_utc(week, tow, 17) == utc(2016, 6, 1, 12, 0, 0) + 123);
	assert_int_equal(bft_nmea_utc_to_gps(S(0), 18, &week, &tow), -1);
	char buf[40];
	bft_nmea_iso8601(utc(2014, 5, 26, 8, 14, 11) + 999999999, buf, sizeof buf);
	assert_string_equal(buf, "2014-05-26T08:14:11.999Z");
	bft_nmea_iso8601(utc(1999, 12, 31, 23, 59, 59), buf, sizeof buf);
	assert_string_equal(buf, "1999-12-31T23:59:59.000Z");
}

/* Hostile input: garbage, NUL, binary, overlong lines, runs of '$'. */
static void test_garbage(void **state)
{
	(void)state;
	struct run r;
	char text[4096];
	run(&r, "hello world\n");
	assert_int_equal(r.last_err, BFT_NMEA_E_GARBAGE);
	static const char nul[] = "$GPGGA,12\0003456*00\r\n";
	run_cfg(&r, NULL, nul, sizeof nul - 1, 0);
	assert_int_equal(r.last_err, BFT_NMEA_E_CHARS);
	run(&r, "$\n$$$$\n$*\n$,,,*00\n*\n\r\n\n");
	assert_int_equal(r.nsent, 0);
	assert_true(r.nerr >= 3);
	/* binary then a sentence on the same line: the sentence survives */
	snprintf(text, sizeof text, "\x01\xff\xb5\x62%s", nmea("GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20"));
	run(&r, text);
	assert_int_equal(r.nsent, 1);
	assert_int_equal(r.st.errors[BFT_NMEA_E_GARBAGE], 1);
	/* sentences run together by a buffer overflow */
	snprintf(text, sizeof text, "$GPGSA,A,1,,,,,,,,,,,,,,,*1E%s", nmea("GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20"));
	run(&r, text);
	assert_int_equal(r.nsent, 2);
	/* overlong: dropped whole, counted once, and the next line is fine */
	memset(text, 'A', 3000);
	text[0] = '$';
	snprintf(text + 3000, sizeof text - 3000, "\n%s", nmea("GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20"));
	run(&r, text);
	assert_int_equal(r.st.errors[BFT_NMEA_E_OVERLONG], 1);
	assert_int_equal(r.nsent, 1);
	/* a field count far over anything real */
	memset(text, ',', 400);
	memcpy(text, "GPGSV,9,1,99", 12);
	text[400] = '\0';
	run(&r, nmea(text));
	assert_int_equal(r.nsent, 1);
	/* a last line without LF is decoded by flush */
	const char *t = nmea("GPGSA,A,3,27,15,09,28,18,08,,,,,,,3.33,2.51,2.20");
	run_cfg(&r, NULL, t, strlen(t) - 2, 0);
	assert_int_equal(r.nsent, 1);
	/* comments are garbage unless asked to skip them */
	run(&r, "# gpsd capture header\n");
	assert_int_equal(r.last_err, BFT_NMEA_E_GARBAGE);
	bft_nmea_config c = { .flags = BFT_NMEA_SKIP_COMMENTS };
	run_cfg(&r, &c, "# gpsd capture header\n", 22, 0);
	assert_int_equal(r.nerr, 0);
	bft_nmea_free(NULL);
}

/* The same bytes, split anywhere, give the same events. */
static void check_splits(const char *text, size_t len, const bft_nmea_config *cfg)
{
	static struct run whole, part;
	run_cfg(&whole, cfg, text, len, 0);
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 4093 };
	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		run_cfg(&part, cfg, text, len, chunks[i]);
		assert_int_equal(part.loglen, whole.loglen);
		assert_memory_equal(part.log, whole.log, whole.loglen);
	}
}

static void test_split_feeds(void **state)
{
	(void)state;
	char text[4096];
	snprintf(text, sizeof text, "%s%s%s%s\x01\x02junk\n%s%s%s", nmea("GPZDA,160012.71,11,03,2004,-1,00"),
	         nmea("GPGGA,160012.71,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGSV,2,1,05,27,62,276,36,15,78,214,34,09,43,270,37,12,03,212,"),
	         nmea("GPGSV,2,2,05,05,04,187,"), nmea("GPGLL,4807.038,N,01131.324,E,160012.71,A,A"),
	         nmea("GPGGA,160013.71,4807.038,N,01131.324,E,1,08,0.9,545.4,M,46.9,M,,"),
	         nmea("GPGLL,4807.038,N,01131.324,E,160013.71,A,A"));
	check_splits(text, strlen(text), NULL);
	/* LF-only line ends give the same fixes as CR LF */
	struct run a, b;
	run(&a, text);
	char lf[4096];
	size_t n = 0;
	for (const char *c = text; *c; c++)
		if (*c != '\r')
			lf[n++] = *c;
	lf[n] = '\0';
	run(&b, lf);
	assert_int_equal(a.nfix, b.nfix);
	assert_memory_equal(a.times, b.times, sizeof a.times);
}

/* gpsd's captures, if present: each decodes without a sanitizer report, and
 * the same in one chunk and byte by byte. */
static void test_captures(void **state)
{
	(void)state;
	const char *dir = getenv("GPSD_NMEA_DIR");
	if (!dir)
		dir = "../shared/data/gpsd-nmea";
	DIR *d = opendir(dir);
	if (!d) {
		print_message("captures: %s missing, skipped\n", dir);
		skip();
	}
	struct dirent *e;
	int files = 0;
	bft_nmea_config c = { .flags = BFT_NMEA_SKIP_COMMENTS };
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".log") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		static char buf[1 << 20];
		size_t len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		static struct run whole, bytes;
		run_cfg(&whole, &c, buf, len, 0);
		run_cfg(&bytes, &c, buf, len, 1);
		assert_int_equal(whole.loglen, bytes.loglen);
		assert_memory_equal(whole.log, bytes.log, whole.loglen);
		assert_true(whole.nsent > 0);
		files++;
	}
	closedir(d);
	print_message("captures: %d decoded, split feeds identical\n", files);
	assert_true(files > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),    cmocka_unit_test(test_sentences),     cmocka_unit_test(test_talkers),
		cmocka_unit_test(test_sky),         cmocka_unit_test(test_dates),         cmocka_unit_test(test_week_rollover),
		cmocka_unit_test(test_gps_time),    cmocka_unit_test(test_garbage),       cmocka_unit_test(test_split_feeds),
		cmocka_unit_test(test_captures),    cmocka_unit_test(test_implausible_dates),
	};
	return cmocka_run_group_tests_name("nmea", tests, NULL, NULL);
}
