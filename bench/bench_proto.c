/* SPDX-License-Identifier: MIT */
/* Benchmarks of the reference-clock codecs: NMEA decoding (bytes of a
 * receiver's 1 Hz stream per second), the NTP server's reply and the NTP
 * client's check of a reply. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nmea.h"
#include "proto/ntp.h"

#define NS INT64_C(1000000000)

/* One receiver second: RMC, GGA, GSA and three GSV sentences, like a
 * u-blox at 1 Hz (about 450 bytes). */
static size_t nmea_second(char *out, size_t cap, int s)
{
	static const char *const body[] = {
		"GPRMC,%02d%02d%02d.00,A,4717.11399,N,00833.91590,E,0.004,77.52,091202,,,A",
		"GPGGA,%02d%02d%02d.00,4717.11399,N,00833.91590,E,1,08,1.01,499.6,M,48.0,M,,",
		"GPGSA,A,3,02,04,05,09,12,24,25,29,,,,,1.94,1.01,1.66",
		"GPGSV,3,1,10,02,35,291,44,04,45,057,47,05,15,141,38,09,23,197,42",
		"GPGSV,3,2,10,12,64,123,48,24,15,311,37,25,28,223,41,29,59,050,46",
		"GPGSV,3,3,10,30,09,101,,31,05,332,",
	};
	size_t len = 0;
	for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
		char s1[128];
		int n = snprintf(s1, sizeof s1, body[i], s / 3600 % 24, s / 60 % 60, s % 60);
		len += (size_t)snprintf(out + len, cap - len, "$%.*s*%02X\r\n", n, s1, bft_nmea_checksum(s1, (size_t)n));
	}
	return len;
}

struct nmea_arg {
	char *buf;
	size_t len;
	bft_nmea *p;
};

static void run_nmea(void *arg)
{
	struct nmea_arg *a = arg;
	bft_nmea_free(a->p);
	a->p = bft_nmea_new(NULL);
	int64_t acc = 0;
	for (size_t off = 0; off < a->len;) {
		off += bft_nmea_feed(a->p, a->buf + off, a->len - off);
		bft_nmea_event ev;
		while (bft_nmea_next(a->p, &ev))
			if (ev.type == BFT_NMEA_EV_FIX)
				acc += ev.fix.time_ns;
	}
	bench_sink(acc);
}

struct ntp_arg {
	uint8_t req[BFT_NTP_HEADER_LEN];
	uint8_t reply[BFT_NTP_HEADER_LEN];
	size_t n;
};

static void run_ntp_server(void *arg)
{
	struct ntp_arg *a = arg;
	bft_ntp_server_info s = { .rx_ns = 1790000000 * NS, .rx_iv = { 1790000000 * NS - 500000, 1790000000 * NS + 500000 },
		                  .synchronized = true, .stratum = 2, .precision = -20, .refid = { 'B', 'F', 'T', 0 } };
	uint8_t out[BFT_NTP_HEADER_LEN];
	enum bft_ntp_drop why;
	int64_t acc = 0;
	for (size_t i = 0; i < a->n; i++) {
		s.rx_ns += 1000;
		acc += (int64_t)bft_ntp_server_reply(out, sizeof out, a->req, sizeof a->req, &s, &why);
		bft_ntp_reply_stamp(out, s.rx_ns + 20000, bft_iv(s.rx_iv.lo_ns + 20000, s.rx_iv.hi_ns + 20000));
	}
	bench_sink(acc + out[47]);
}

static void run_ntp_client(void *arg)
{
	struct ntp_arg *a = arg;
	bft_ntp_client_params p = { .rho_ppb = 100000, .server_rate_ppb = 100000000, .stamp_err_ns = 1000 };
	bft_ntp_sample smp;
	int64_t acc = 0;
	for (size_t i = 0; i < a->n; i++)
		if (bft_ntp_client_sample(&smp, a->reply, sizeof a->reply, 0x1234567890abcdefu, 5 * NS, 5 * NS + 200000,
		                          1790000000 * NS, &p) == BFT_NTP_OK)
			acc += smp.iv.lo_ns;
	bench_sink(acc);
}

void bench_suite_proto(void)
{
	enum { SECONDS = 3600, N = 10000 };
	struct nmea_arg na = { malloc(SECONDS * 512), 0, NULL };
	if (!na.buf)
		abort();
	for (int s = 0; s < SECONDS; s++)
		na.len += nmea_second(na.buf + na.len, SECONDS * 512 - na.len, s);
	bench_baseline(SECONDS);
	bench_case("nmea.decode_1h_at_1Hz", SECONDS, run_nmea, &na);
	bench_baseline(N);
	struct ntp_arg ta = { .n = N };
	ta.req[0] = 0x23; /* leap 0, version 4, mode 3 */
	bft_ntp_server_info s = { .rx_ns = 1790000000 * NS, .rx_iv = { 1790000000 * NS - 500000, 1790000000 * NS + 500000 },
		                  .synchronized = true, .stratum = 2, .precision = -20, .refid = { 'B', 'F', 'T', 0 } };
	uint8_t req[BFT_NTP_HEADER_LEN];
	bft_ntp_client_request(req, 0x1234567890abcdefu);
	enum bft_ntp_drop why;
	if (bft_ntp_server_reply(ta.reply, sizeof ta.reply, req, sizeof req, &s, &why) != BFT_NTP_HEADER_LEN)
		abort();
	bft_ntp_reply_stamp(ta.reply, s.rx_ns + 20000, bft_iv(s.rx_iv.lo_ns + 20000, s.rx_iv.hi_ns + 20000));
	memcpy(ta.req, req, sizeof req);
	bench_case("ntp.server_reply_x10000", N, run_ntp_server, &ta);
	bench_case("ntp.client_sample_x10000", N, run_ntp_client, &ta);
	bft_nmea_free(na.p);
	free(na.buf);
}
