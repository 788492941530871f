/* SPDX-License-Identifier: MIT */
/*
 * Tests of the NTP codec, timestamps, server reply and client interval
 * (src/proto/ntp.c): hand-checked constants, the 2036 era rollover, every
 * reason a request is dropped or a reply refused, and a seeded simulation of
 * exchanges between the real reply builder and the real client check, with
 * drifting clocks and asymmetric delays: the interval must hold true time
 * whenever the server's claim does, and may miss it when the server
 * understates its error (so the property can fail).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bftime/common.h>

#include "proto/ntp.h"

#define S BFT_NS_PER_SEC
#define MS INT64_C(1000000)
#define US INT64_C(1000)
/* 2036-02-07T06:28:16Z: NTP era 0 ends (2^32 s after 1900). */
#define ERA1_UNIX_S (INT64_C(4294967296) - BFT_NTP_UNIX_OFFSET_S)

static uint64_t rng = 1;
static uint64_t rnd(void)
{
	uint64_t x = rng += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}
static double unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static void test_codec_round_trip(void **state)
{
	(void)state;
	rng = 7;
	for (int i = 0; i < 10000; i++) {
		bft_ntp_packet p, q;
		memset(&p, 0, sizeof p);
		p.leap = rnd() & 3;
		p.version = rnd() & 7;
		p.mode = rnd() & 7;
		p.stratum = (uint8_t)rnd();
		p.poll = (int8_t)rnd();
		p.precision = (int8_t)rnd();
		p.root_delay = (uint32_t)rnd();
		p.root_dispersion = (uint32_t)rnd();
		uint32_t id = (uint32_t)rnd();
		memcpy(p.refid, &id, 4);
		p.ref_ts = rnd();
		p.origin_ts = rnd();
		p.receive_ts = rnd();
		p.transmit_ts = rnd();
		uint8_t buf[48];
		bft_ntp_encode(buf, &p);
		assert_int_equal(bft_ntp_decode(&q, buf, sizeof buf), 0);
		assert_memory_equal(&p, &q, sizeof p);
	}
	/* A known packet, byte for byte: LI 0, VN 4, mode 3 is 0x23. */
	bft_ntp_packet p;
	uint8_t buf[48];
	bft_ntp_client_request(buf, UINT64_C(0x0123456789abcdef));
	assert_int_equal(buf[0], 0x23);
	for (int i = 1; i < 40; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[40], 0x01);
	assert_int_equal(buf[47], 0xef);
	assert_int_equal(bft_ntp_decode(&p, buf, sizeof buf), 0);
	assert_true(p.transmit_ts == UINT64_C(0x0123456789abcdef) && p.mode == 3 && p.version == 4);
}

static void test_decode_tail(void **state)
{
	(void)state;
	uint8_t buf[200];
	bft_ntp_packet p;
	memset(buf, 0, sizeof buf);
	buf[0] = 0x23;
	assert_int_equal(bft_ntp_decode(&p, buf, 47), BFT_EINVAL);
	assert_int_equal(bft_ntp_decode(&p, buf, 0), BFT_EINVAL);
	assert_int_equal(bft_ntp_decode(&p, NULL, 48), BFT_EINVAL);
	assert_int_equal(bft_ntp_decode(&p, buf, 48), 0);
	assert_true(p.n_ext == 0 && p.mac_len == 0);
	/* Legacy MACs: key id + MD5 (20), + SHA-1 (24); crypto-NAK (4). */
	assert_int_equal(bft_ntp_decode(&p, buf, 68), 0);
	assert_true(p.n_ext == 0 && p.mac_len == 20);
	assert_int_equal(bft_ntp_decode(&p, buf, 72), 0);
	assert_true(p.mac_len == 24);
	assert_int_equal(bft_ntp_decode(&p, buf, 52), 0);
	assert_true(p.mac_len == 4);
	/* Extension fields: 16 bytes, then 28 bytes and a MAC. */
	buf[48 + 3] = 16;
	assert_int_equal(bft_ntp_decode(&p, buf, 64), 0);
	assert_true(p.n_ext == 1 && p.mac_len == 0);
	buf[64 + 3] = 28;
	assert_int_equal(bft_ntp_decode(&p, buf, 48 + 16 + 28 + 20), 0);
	assert_true(p.n_ext == 2 && p.mac_len == 20);
	/* Malformed: a field longer than the datagram, shorter than 16, not a
	 * multiple of 4, and a stray tail. */
	buf[48 + 3] = 60;
	assert_int_equal(bft_ntp_decode(&p, buf, 64), BFT_EINVAL);
	buf[48 + 3] = 12;
	assert_int_equal(bft_ntp_decode(&p, buf, 64), BFT_EINVAL);
	buf[48 + 3] = 18;
	assert_int_equal(bft_ntp_decode(&p, buf, 68 + 16), BFT_EINVAL);
	assert_int_equal(bft_ntp_decode(&p, buf, 48 + 8), BFT_EINVAL);
	buf[48 + 2] = 0xFF; /* 65280 + 18: far past the end */
	assert_int_equal(bft_ntp_decode(&p, buf, sizeof buf), BFT_EINVAL);
}

static void test_timestamps(void **state)
{
	(void)state;
	/* The Unix epoch is 2208988800 s after the NTP epoch. */
	assert_true(bft_ntp_ts_from_unix_ns(0) == (uint64_t)BFT_NTP_UNIX_OFFSET_S << 32);
	assert_true(bft_ntp_ts_from_unix_ns(S / 2) == ((uint64_t)BFT_NTP_UNIX_OFFSET_S << 32 | 0x80000000u));
	assert_true(bft_ntp_ts_to_unix_ns((uint64_t)BFT_NTP_UNIX_OFFSET_S << 32, 0) == 0);
	/* 1 ns is 4.29 units: the last ns of a second is 2^32 - 4 (rounded to
	 * nearest), and never carries into the next second. */
	assert_true(bft_ntp_ts_from_unix_ns(S - 1) == ((uint64_t)BFT_NTP_UNIX_OFFSET_S << 32 | 0xFFFFFFFCu));
	assert_true(bft_ntp_ts_from_unix_ns(1) == ((uint64_t)BFT_NTP_UNIX_OFFSET_S << 32 | 4u));
	/* Round trips within 1 ns, for times from 1970 to 2100, pivot anywhere
	 * within 60 years. */
	rng = 11;
	for (int i = 0; i < 100000; i++) {
		int64_t t = (int64_t)(rnd() % (uint64_t)(INT64_C(130) * 365 * 86400 * S));
		int64_t pivot = t + (int64_t)(rnd() % (uint64_t)(INT64_C(120) * 365 * 86400 * S)) - INT64_C(60) * 365 * 86400 * S;
		int64_t back = bft_ntp_ts_to_unix_ns(bft_ntp_ts_from_unix_ns(t), pivot);
		assert_true(back - t <= 1 && t - back <= 1);
	}
	/* Before 1970 too (an era starts in 1900). */
	assert_true(bft_ntp_ts_to_unix_ns(bft_ntp_ts_from_unix_ns(-5 * S), 0) == -5 * S);
	/* Saturation at the int64 range does not overflow. */
	(void)bft_ntp_ts_to_unix_ns(UINT64_MAX, INT64_MAX);
	(void)bft_ntp_ts_to_unix_ns(0, INT64_MIN);
}

static void test_era_2036(void **state)
{
	(void)state;
	int64_t wrap = ERA1_UNIX_S * S;
	/* One second before the wrap: the last second of era 0. */
	assert_true(bft_ntp_ts_from_unix_ns(wrap - S) == UINT64_C(0xFFFFFFFF) << 32);
	/* At the wrap the seconds field is 0 again; an exact 0 is "no time" on
	 * the wire, so it is moved by one unit (0.23 ns). */
	assert_true(bft_ntp_ts_from_unix_ns(wrap) == 1);
	assert_true(bft_ntp_ts_from_unix_ns(wrap + S) == UINT64_C(1) << 32);
	/* Read back in the right era from pivots before and after the wrap,
	 * the system clock of 2026 and of 2090 included. */
	int64_t pivots[] = { wrap, wrap - 10 * S, wrap + 10 * S, INT64_C(1795000000) * S, wrap + 50 * 365 * 86400 * S };
	for (size_t i = 0; i < sizeof pivots / sizeof *pivots; i++) {
		assert_true(bft_ntp_ts_to_unix_ns(UINT64_C(0xFFFFFFFF) << 32, pivots[i]) == wrap - S);
		assert_true(bft_ntp_ts_to_unix_ns(UINT64_C(1) << 32, pivots[i]) == wrap + S);
		assert_true(bft_ntp_ts_to_unix_ns(1, pivots[i]) == wrap);
	}
	/* Era 0's 1970 with a 2040 pivot would be era 1's 2106: nearest wins. */
	assert_true(bft_ntp_ts_to_unix_ns(bft_ntp_ts_from_unix_ns(0), wrap + 4 * 365 * 86400 * S) ==
	            (INT64_C(4294967296)) * S);
}

static void test_short_format(void **state)
{
	(void)state;
	assert_true(bft_ntp_short_from_ns(0) == 0);
	assert_true(bft_ntp_short_from_ns(-5) == 0);
	assert_true(bft_ntp_short_from_ns(S) == 0x10000u);
	assert_true(bft_ntp_short_from_ns(1) == 1); /* rounded up: never understated */
	assert_true(bft_ntp_short_from_ns(65536 * S) == 0xFFFFFFFFu);
	assert_true(bft_ntp_short_from_ns(INT64_MAX) == 0xFFFFFFFFu);
	assert_true(bft_ntp_short_to_ns(0x10000u) == S);
	assert_true(bft_ntp_short_to_ns(0x8000u) == S / 2);
	assert_true(bft_ntp_short_to_ns(1) == 15259); /* 15258.79 up */
	rng = 3;
	for (int i = 0; i < 100000; i++) {
		int64_t ns = (int64_t)(rnd() % (uint64_t)(3600 * S));
		int64_t back = bft_ntp_short_to_ns(bft_ntp_short_from_ns(ns));
		assert_true(back >= ns && back - ns <= 15259 + 1);
	}
}

/* A client request of the given version and mode, transmit = cookie. */
static void request(uint8_t *buf, int version, int mode, uint64_t cookie)
{
	bft_ntp_client_request(buf, cookie);
	buf[0] = (uint8_t)(version << 3 | mode);
}

static bft_ntp_server_info info_at(int64_t t, int64_t below, int64_t above, bool synced)
{
	bft_ntp_server_info s = { .rx_ns = t, .rx_iv = { t - below, t + above }, .synchronized = synced,
	                          .stratum = 2, .precision = -24, .refid = { 'B', 'F', 'T', 0 }, .ref_ns = t - 16 * S };
	return s;
}

static void test_server_reply_fields(void **state)
{
	(void)state;
	uint8_t req[48], out[64];
	bft_ntp_packet p;
	enum bft_ntp_drop why;
	int64_t t = INT64_C(1795000000) * S + 123456789;
	request(req, 4, 3, 0xfeedface12345678u);
	/* Synchronized, interval 0.3 ms below and 0.7 ms above the served
	 * time: root dispersion covers the larger side, not half the width. */
	bft_ntp_server_info s = info_at(t, 300 * US, 700 * US, true);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	assert_int_equal(why, BFT_NTP_ANSWER);
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_int_equal(p.leap, BFT_NTP_LEAP_NONE);
	assert_int_equal(p.version, 4);
	assert_int_equal(p.mode, BFT_NTP_MODE_SERVER);
	assert_int_equal(p.stratum, 2);
	assert_int_equal(p.precision, -24);
	assert_int_equal(p.root_delay, 0);
	assert_true(p.root_dispersion == bft_ntp_short_from_ns(700 * US));
	assert_true(bft_ntp_short_to_ns(p.root_dispersion) >= 700 * US);
	assert_memory_equal(p.refid, "BFT", 4);
	assert_true(p.origin_ts == 0xfeedface12345678u);
	assert_true(p.receive_ts == bft_ntp_ts_from_unix_ns(t));
	assert_true(p.transmit_ts == p.receive_ts);
	assert_true(p.ref_ts == bft_ntp_ts_from_unix_ns(t - 16 * S));
	/* The transmit stamp, later, with a wider interval there. */
	bft_ntp_reply_stamp(out, t + 20 * US, bft_iv(t - 1 * MS, t + 20 * US + 300 * US));
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_true(p.transmit_ts == bft_ntp_ts_from_unix_ns(t + 20 * US));
	assert_true(p.root_dispersion == bft_ntp_short_from_ns(1 * MS + 20 * US));
	/* ... but never narrowed by it. */
	bft_ntp_reply_stamp(out, t + 30 * US, bft_iv(t + 29 * US, t + 31 * US));
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_true(p.root_dispersion == bft_ntp_short_from_ns(1 * MS + 20 * US));
	/* A served time outside its interval counts the far edge. */
	s = info_at(t, -2 * MS, 3 * MS, true);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_true(p.root_dispersion == bft_ntp_short_from_ns(3 * MS));
	/* Unsynchronized: leap 3, stratum 16, dispersion at its maximum, no
	 * reference time. */
	s = info_at(t, 1 * MS, 1 * MS, false);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_int_equal(p.leap, BFT_NTP_LEAP_UNSYNC);
	assert_int_equal(p.stratum, 16);
	assert_true(p.root_dispersion == 0xFFFFFFFFu && p.ref_ts == 0);
	bft_ntp_reply_stamp(out, t + 1, bft_iv(t, t + 2));
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_true(p.root_dispersion == 0xFFFFFFFFu);
	/* A stratum outside 1..15 is clamped: 0 would be a kiss-o'-death. */
	s = info_at(t, 1, 1, true);
	s.stratum = 0;
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	assert_int_equal(out[1], 1);
	s.stratum = 200;
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	assert_int_equal(out[1], 15);
	/* KoD RATE: stratum 0, leap 3, the code as refid, origin kept. */
	bft_ntp_kod(out, "RATE");
	assert_int_equal(bft_ntp_decode(&p, out, 48), 0);
	assert_true(p.stratum == 0 && p.leap == 3 && p.origin_ts == 0xfeedface12345678u);
	assert_memory_equal(p.refid, "RATE", 4);
}

static void test_server_drops(void **state)
{
	(void)state;
	uint8_t req[128], out[48];
	enum bft_ntp_drop why;
	bft_ntp_server_info s = info_at(INT64_C(1795000000) * S, MS, MS, true);
	/* Versions 1 to 4 are answered in their own version; NTPv1's mode 0
	 * is a client request. */
	for (int v = 1; v <= 4; v++) {
		request(req, v, 3, 42);
		assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
		assert_int_equal(out[0] & 0x3F, v << 3 | 4);
	}
	request(req, 1, 0, 42);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 48);
	request(req, 2, 0, 42);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 0);
	assert_int_equal(why, BFT_NTP_DROP_MODE);
	/* Every mode but client: symmetric, server, broadcast, control (6) and
	 * private (7, ntpd's monlist) are not answered. */
	int modes[] = { 1, 2, 4, 5, 6, 7 };
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		request(req, 4, modes[i], 42);
		assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 0);
		assert_int_equal(why, BFT_NTP_DROP_MODE);
	}
	int versions[] = { 0, 5, 6, 7 };
	for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
		request(req, versions[i], 3, 42);
		assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48, &s, &why), 0);
		assert_int_equal(why, BFT_NTP_DROP_VERSION);
	}
	/* Short, a malformed tail, extension fields, a MAC. */
	request(req, 4, 3, 42);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 47, &s, &why), 0);
	assert_int_equal(why, BFT_NTP_DROP_SHORT);
	memset(req + 48, 0, 80);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48 + 8, &s, &why), 0);
	assert_int_equal(why, BFT_NTP_DROP_SHORT);
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48 + 20, &s, &why), 0);
	assert_int_equal(why, BFT_NTP_DROP_EXTENSION);
	req[48 + 3] = 32;
	assert_int_equal(bft_ntp_server_reply(out, sizeof out, req, 48 + 32, &s, &why), 0);
	assert_int_equal(why, BFT_NTP_DROP_EXTENSION);
	/* No room for the reply: dropped rather than overrun. */
	assert_int_equal(bft_ntp_server_reply(out, 47, req, 48, &s, &why), 0);
}

static const bft_ntp_client_params CP = { .rho_ppb = 100000, .server_rate_ppb = 100000, .stamp_err_ns = 1 };

/* A reply from the builder to a request with cookie, shaped by edit. */
static size_t reply_to(uint8_t *out, uint64_t cookie, int64_t t2, int64_t t3, int64_t disp)
{
	uint8_t req[48];
	enum bft_ntp_drop why;
	bft_ntp_client_request(req, cookie);
	bft_ntp_server_info s = info_at(t2, disp, disp, true);
	s.precision = -30;
	size_t n = bft_ntp_server_reply(out, 48, req, 48, &s, &why);
	bft_ntp_reply_stamp(out, t3, bft_iv(t3 - disp, t3 + disp));
	return n;
}

static void test_client_rejects(void **state)
{
	(void)state;
	uint8_t buf[48];
	bft_ntp_sample smp;
	const uint64_t ck = 0x1122334455667788u;
	int64_t t = INT64_C(1795000000) * S, raw = 5 * S, piv = t;
	/* The good case, for contrast. */
	reply_to(buf, ck, t + 1 * MS, t + 1 * MS + 10 * US, 500 * US);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_OK);
	assert_true(smp.root_dist_ns >= 500 * US && smp.root_dist_ns < 500 * US + 20 * US);
	assert_true(smp.delay_ns == 2 * MS - 10 * US);
	assert_true(bft_iv_contains(smp.iv, t + 1 * MS + 10 * US + 1 * MS));
	/* Malformed: short. */
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 47, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_MALFORMED);
	/* Wrong mode: a client request, a symmetric or broadcast packet. */
	reply_to(buf, ck, t, t, 1);
	buf[0] = (uint8_t)((buf[0] & ~7) | 3);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_MODE);
	buf[0] = (uint8_t)((buf[0] & ~7) | 5);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_MODE);
	/* Version 0 and 5. */
	reply_to(buf, ck, t, t, 1);
	buf[0] = (uint8_t)(buf[0] & ~0x38);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_VERSION);
	buf[0] = (uint8_t)(buf[0] | 5 << 3);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_VERSION);
	/* Bogus: the origin is not our cookie (a stale reply, a replay, a
	 * forgery), and a forged KoD is refused as bogus, not obeyed. */
	reply_to(buf, ck + 1, t, t, 1);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_BOGUS);
	bft_ntp_kod(buf, "DENY");
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_BOGUS);
	/* KoD answering our cookie: the code is reported. */
	reply_to(buf, ck, t, t, 1);
	bft_ntp_kod(buf, "RATE");
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_KOD);
	assert_string_equal(smp.kiss, "RATE");
	buf[13] = 0x01; /* unprintable bytes are not passed on */
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_KOD);
	assert_string_equal(smp.kiss, "R?TE");
	/* Leap 3: unsynchronized (the builder's own unsynchronized reply). */
	{
		uint8_t req[48];
		enum bft_ntp_drop why;
		bft_ntp_client_request(req, ck);
		bft_ntp_server_info s = info_at(t, 1, 1, false);
		assert_int_equal(bft_ntp_server_reply(buf, 48, req, 48, &s, &why), 48);
		assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP),
		                 BFT_NTP_REJ_UNSYNC);
	}
	/* Stratum 16 with leap 0, and stratum 255. */
	reply_to(buf, ck, t, t, 1);
	buf[1] = 16;
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_STRATUM);
	buf[1] = 255;
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_STRATUM);
	/* Zero transmit, zero receive timestamp. */
	reply_to(buf, ck, t, t, 1);
	memset(buf + 40, 0, 8);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_ZERO_TIME);
	reply_to(buf, ck, t, t, 1);
	memset(buf + 32, 0, 8);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_ZERO_TIME);
	/* Root distance: 1.5 s is the default limit; root delay counts half. */
	reply_to(buf, ck, t, t, 1500 * MS);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_OK);
	reply_to(buf, ck, t, t, 1501 * MS);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_DISTANCE);
	reply_to(buf, ck, t, t, 1000 * MS);
	buf[4] = 0, buf[5] = 1, buf[6] = 0, buf[7] = 0x20; /* root delay 1.125 s: distance 1.5625 s */
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_DISTANCE);
	bft_ntp_client_params tight = CP;
	tight.max_root_dist_ns = 10 * MS;
	reply_to(buf, ck, t, t, 11 * MS);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &tight), BFT_NTP_REJ_DISTANCE);
	/* Timestamps that admit no offset: the server sent before it received;
	 * it claims to have held the request longer than our whole round trip;
	 * our receive precedes our send. */
	reply_to(buf, ck, t, t - 1 * US, 1);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_TIMES);
	reply_to(buf, ck, t, t + 3 * MS, 1);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw + 2 * MS, piv, &CP), BFT_NTP_REJ_TIMES);
	reply_to(buf, ck, t, t, 1);
	assert_int_equal(bft_ntp_client_sample(&smp, buf, 48, ck, raw, raw - 1 * MS, piv, &CP), BFT_NTP_REJ_TIMES);
	/* Names for every reason. */
	for (int i = 0; i < BFT_NTP_REJ_COUNT; i++)
		assert_true(strcmp(bft_ntp_reject_name((enum bft_ntp_reject)i), "?") != 0);
	assert_string_equal(bft_ntp_reject_name(BFT_NTP_REJ_COUNT), "?");
}

/*
 * One simulated exchange through the real builder and the real client
 * check. True time is Unix ns from t0; the client's raw clock runs at
 * (1 + fc) with an arbitrary origin; the server's clock at (1 + fs) with an
 * error e0 at t0, and it states an interval of true time that holds the
 * truth (or, with lie > 0, one that misses it by lie). Delays are drawn from
 * different distributions each way (asymmetric).
 */
struct sim {
	int64_t t0;
	double fc, fs, e0, raw0;
};

static int64_t rawc(const struct sim *w, double t) { return (int64_t)(w->raw0 + t * (1 + w->fc) + 0.5); }
static double srv(const struct sim *w, double t) { return w->e0 + t * (1 + w->fs); }

static int exchange(const struct sim *w, double ta, int64_t lie, int64_t *truth_out, bft_ntp_sample *smp)
{
	uint8_t req[48], rep[48];
	enum bft_ntp_drop why;
	uint64_t ck = rnd() | 1;
	double d1 = unit() * 30e6, d2 = unit() < 0.5 ? unit() * 2e6 : unit() * 80e6; /* up to 80 ms, asymmetric */
	double proc = unit() * 200e3;                                                /* server holds it up to 0.2 ms */
	double tb = ta + d1, tc = tb + proc, td = tc + d2;
	int64_t t1 = rawc(w, ta), t4 = rawc(w, td);
	bft_ntp_client_request(req, ck);
	/* The server's interval at its receive and transmit instants: true
	 * time is inside, the served clock near it; with lie, both the clock
	 * and the interval are off by lie (a consistent liar). */
	double sb = srv(w, tb) + (double)lie, sc = srv(w, tc) + (double)lie;
	int64_t T2 = w->t0 + (int64_t)sb, T3 = w->t0 + (int64_t)sc;
	int64_t trb = w->t0 + (int64_t)tb, trc = w->t0 + (int64_t)tc;
	int64_t slack = (int64_t)(unit() * 1e6);
	bft_interval ivb = bft_iv(trb - slack - 2 + lie, trb + (int64_t)(unit() * 1e6) + 2 + lie);
	bft_interval ivc = bft_iv(trc - slack - 2 + lie, trc + (int64_t)(unit() * 1e6) + 2 + lie);
	bft_ntp_server_info s = { .rx_ns = T2, .rx_iv = ivb, .synchronized = true, .stratum = 2, .precision = -29 };
	if (bft_ntp_server_reply(rep, sizeof rep, req, sizeof req, &s, &why) != 48)
		return -1;
	bft_ntp_reply_stamp(rep, T3, ivc);
	*truth_out = w->t0 + (int64_t)td;
	return bft_ntp_client_sample(smp, rep, sizeof rep, ck, t1, t4, w->t0 - 40 * 365 * 86400 * S, &CP);
}

static void make_sim(struct sim *w, int64_t t0)
{
	w->t0 = t0;
	w->fc = (unit() * 2 - 1) * 100e-6; /* within CP.rho_ppb */
	w->fs = (unit() * 2 - 1) * 500e-6; /* a slewing server clock */
	w->e0 = (unit() * 2 - 1) * 5e6;    /* its error, up to 5 ms */
	w->raw0 = unit() * 1e15;
}

static void test_interval_property(void **state)
{
	(void)state;
	rng = 2026;
	double worst = 1e18;
	for (int i = 0; i < 20000; i++) {
		struct sim w;
		/* Half of them around the 2036 rollover: the exchange straddles it. */
		make_sim(&w, i % 2 ? INT64_C(1795000000) * S : ERA1_UNIX_S * S - 50 * MS);
		int64_t truth;
		bft_ntp_sample smp;
		int rc = exchange(&w, unit() * 100e6, 0, &truth, &smp);
		assert_int_equal(rc, BFT_NTP_OK);
		if (!bft_iv_contains(smp.iv, truth))
			fail_msg("exchange %d: truth - lo = %lld ns, width %lld ns", i, (long long)(truth - smp.iv.lo_ns),
			         (long long)(smp.iv.hi_ns - smp.iv.lo_ns));
		double margin = (double)(truth - smp.iv.lo_ns) < (double)(smp.iv.hi_ns - truth)
		                ? (double)(truth - smp.iv.lo_ns) : (double)(smp.iv.hi_ns - truth);
		if (margin < worst)
			worst = margin;
		/* Width: round trip + 2 * root distance + small allowances. */
		assert_true(bft_iv_width(smp.iv) <= smp.delay_ns + 2 * smp.root_dist_ns + smp.delay_ns / 100 + 200 * US);
	}
	printf("20000 simulated exchanges: every interval holds true time (closest edge %.0f ns)\n", worst);
}

static void test_lying_server_misses(void **state)
{
	(void)state;
	/* A server whose stated interval misses the truth by more than the
	 * round trip can hide: the reading must be able to miss too. */
	rng = 99;
	int missed = 0;
	for (int i = 0; i < 1000; i++) {
		struct sim w;
		make_sim(&w, INT64_C(1795000000) * S);
		int64_t truth;
		bft_ntp_sample smp;
		assert_int_equal(exchange(&w, 1e6, 200 * MS, &truth, &smp), BFT_NTP_OK);
		if (!bft_iv_contains(smp.iv, truth))
			missed++;
	}
	printf("server understating its error by 200 ms: %d of 1000 intervals miss the truth\n", missed);
	assert_true(missed > 900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_decode_tail),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_era_2036),
		cmocka_unit_test(test_short_format),
		cmocka_unit_test(test_server_reply_fields),
		cmocka_unit_test(test_server_drops),
		cmocka_unit_test(test_client_rejects),
		cmocka_unit_test(test_interval_property),
		cmocka_unit_test(test_lying_server_misses),
	};
	return cmocka_run_group_tests_name("ntp", tests, NULL, NULL);
}
