/* SPDX-License-Identifier: MIT */
/*
 * NTPv4 packets, timestamps, the server's reply and the client's interval
 * (ntp.h). Pure: no I/O, no clock reads, no globals.
 */
#include "proto/ntp.h"

#include <string.h>

#include <bftime/common.h>
#include <bftime/exchange.h>

#define TWO32 (INT64_C(1) << 32)

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int bft_ntp_decode(bft_ntp_packet *out, const uint8_t *buf, size_t len)
{
	if (!out || !buf || len < BFT_NTP_HEADER_LEN)
		return BFT_EINVAL;
	memset(out, 0, sizeof *out);
	out->leap = buf[0] >> 6;
	out->version = (buf[0] >> 3) & 7;
	out->mode = buf[0] & 7;
	out->stratum = buf[1];
	out->poll = (int8_t)buf[2];
	out->precision = (int8_t)buf[3];
	out->root_delay = get32(buf + 4);
	out->root_dispersion = get32(buf + 8);
	memcpy(out->refid, buf + 12, 4);
	out->ref_ts = get64(buf + 16);
	out->origin_ts = get64(buf + 24);
	out->receive_ts = get64(buf + 32);
	out->transmit_ts = get64(buf + 40);
	/* RFC 7822: extension fields (type 2 bytes, length 2 bytes counting the
	 * 4-byte header, >= 16 and a multiple of 4), then an optional MAC of a
	 * key id and a digest. A tail of exactly 4, 20 or 24 bytes is the MAC
	 * (4: crypto-NAK); RFC 7822 makes a lone last field at least 28 bytes
	 * precisely so that this is unambiguous. Only lengths are read. */
	size_t pos = BFT_NTP_HEADER_LEN;
	while (pos < len) {
		size_t rem = len - pos;
		if (rem == 4 || rem == 20 || rem == 24) {
			out->mac_len = rem;
			break;
		}
		if (rem < 16)
			return BFT_EINVAL;
		size_t flen = (size_t)buf[pos + 2] << 8 | buf[pos + 3];
		if (flen < 16 || flen % 4 != 0 || flen > rem)
			return BFT_EINVAL;
		pos += flen;
		out->n_ext++;
	}
	return 0;
}

void bft_ntp_encode(uint8_t out[BFT_NTP_HEADER_LEN], const bft_ntp_packet *p)
{
	out[0] = (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
	out[1] = p->stratum;
	out[2] = (uint8_t)p->poll;
	out[3] = (uint8_t)p->precision;
	put32(out + 4, p->root_delay);
	put32(out + 8, p->root_dispersion);
	memcpy(out + 12, p->refid, 4);
	put64(out + 16, p->ref_ts);
	put64(out + 24, p->origin_ts);
	put64(out + 32, p->receive_ts);
	put64(out + 40, p->transmit_ts);
}

uint64_t bft_ntp_ts_from_unix_ns(int64_t unix_ns)
{
	int64_t s = floor_div(unix_ns, BFT_NS_PER_SEC);
	int64_t r = unix_ns - s * BFT_NS_PER_SEC; /* 0 .. 1e9-1 */
	uint64_t frac = (((uint64_t)r << 32) + (uint64_t)BFT_NS_PER_SEC / 2) / (uint64_t)BFT_NS_PER_SEC;
	/* Seconds modulo 2^32 (the era is not on the wire); a fraction rounded
	 * up to 2^32 carries into them, and past the era's end wraps, as the
	 * wire does. */
	uint64_t sec = (uint64_t)(s + BFT_NTP_UNIX_OFFSET_S) & 0xFFFFFFFFu;
	uint64_t ts = (sec << 32) + frac;
	return ts ? ts : 1;
}

int64_t bft_ntp_ts_to_unix_ns(uint64_t ts, int64_t pivot_unix_ns)
{
	int64_t sec = (int64_t)(ts >> 32);
	uint64_t frac = ts & 0xFFFFFFFFu;
	/* The era: the candidate sec + k * 2^32 nearest the pivot. */
	int64_t pivot_s = floor_div(pivot_unix_ns, BFT_NS_PER_SEC) + BFT_NTP_UNIX_OFFSET_S;
	int64_t k = floor_div(pivot_s - sec + TWO32 / 2, TWO32);
	int64_t unix_s = sec + k * TWO32 - BFT_NTP_UNIX_OFFSET_S;
	int64_t ns = (int64_t)((frac * (uint64_t)BFT_NS_PER_SEC + (UINT64_C(1) << 31)) >> 32); /* 0 .. 1e9 */
	if (unix_s > INT64_MAX / BFT_NS_PER_SEC - 1)
		return INT64_MAX;
	if (unix_s < INT64_MIN / BFT_NS_PER_SEC + 1)
		return INT64_MIN;
	return unix_s * BFT_NS_PER_SEC + ns;
}

uint32_t bft_ntp_short_from_ns(int64_t ns)
{
	if (ns <= 0)
		return 0;
	if (ns >= INT64_C(65536) * BFT_NS_PER_SEC)
		return 0xFFFFFFFFu;
	uint64_t v = ((uint64_t)ns * 65536u + (uint64_t)BFT_NS_PER_SEC - 1) / (uint64_t)BFT_NS_PER_SEC;
	return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v;
}

int64_t bft_ntp_short_to_ns(uint32_t v)
{
	return (int64_t)(((uint64_t)v * (uint64_t)BFT_NS_PER_SEC + 65535u) >> 16);
}

/* ---- the server ---------------------------------------------------------- */

/* How far true time may be from the served time t on either side: the
 * larger of the interval's two sides, not half its width, because the
 * served clock (slew-limited, monotonic) need not sit at the midpoint; a
 * client's symmetric root distance then still covers the whole interval.
 * An interval that misses t entirely counts its far edge. */
static uint32_t dispersion(int64_t t_ns, bft_interval iv)
{
	if (!bft_iv_valid(iv))
		return 0xFFFFFFFFu;
	int64_t below = bft_sat_sub(t_ns, iv.lo_ns), above = bft_sat_sub(iv.hi_ns, t_ns);
	return bft_ntp_short_from_ns(below > above ? below : above);
}

size_t bft_ntp_server_reply(uint8_t *out, size_t cap, const uint8_t *req, size_t len,
                            const bft_ntp_server_info *s, enum bft_ntp_drop *why)
{
	bft_ntp_packet q, r;
	*why = BFT_NTP_ANSWER;
	if (!out || cap < BFT_NTP_HEADER_LEN || !s || bft_ntp_decode(&q, req, len) != 0) {
		*why = BFT_NTP_DROP_SHORT;
		return 0;
	}
	if (q.version == 0 || q.version > BFT_NTP_VERSION) {
		*why = BFT_NTP_DROP_VERSION;
		return 0;
	}
	/* NTPv1 (RFC 1059) had no modes: its requests carry 0. ntpd answers
	 * them as client requests, and so do we. Anything else that is not
	 * mode 3 (symmetric, broadcast, control, private) is not for us: ntpd's
	 * mode 6/7 queries are the classic amplification vectors. */
	unsigned mode = q.mode == BFT_NTP_MODE_UNSPEC && q.version == 1 ? BFT_NTP_MODE_CLIENT : q.mode;
	if (mode != BFT_NTP_MODE_CLIENT) {
		*why = BFT_NTP_DROP_MODE;
		return 0;
	}
	/* We understand no extension field (NTS, autokey) and hold no keys: a
	 * reply without them would not be what the client asked for, and it
	 * would refuse it anyway. Dropping also keeps every reply at exactly
	 * the request's length. */
	if (q.n_ext || q.mac_len) {
		*why = BFT_NTP_DROP_EXTENSION;
		return 0;
	}
	memset(&r, 0, sizeof r);
	r.leap = s->synchronized ? BFT_NTP_LEAP_NONE : BFT_NTP_LEAP_UNSYNC;
	r.version = q.version;
	r.mode = BFT_NTP_MODE_SERVER;
	r.stratum = !s->synchronized ? BFT_NTP_MAX_STRATUM
	            : s->stratum < 1 ? 1
	            : s->stratum >= BFT_NTP_MAX_STRATUM ? BFT_NTP_MAX_STRATUM - 1
	                                                : s->stratum;
	r.poll = q.poll; /* echoed, as chrony does: it is the client's business */
	r.precision = s->precision;
	r.root_delay = 0; /* every delay on the way to our sources is inside the interval already */
	r.root_dispersion = s->synchronized ? dispersion(s->rx_ns, s->rx_iv) : 0xFFFFFFFFu;
	memcpy(r.refid, s->refid, 4);
	r.ref_ts = s->synchronized && s->ref_ns ? bft_ntp_ts_from_unix_ns(s->ref_ns) : 0;
	r.origin_ts = q.transmit_ts;
	r.receive_ts = bft_ntp_ts_from_unix_ns(s->rx_ns);
	r.transmit_ts = r.receive_ts;
	bft_ntp_encode(out, &r);
	return BFT_NTP_HEADER_LEN;
}

void bft_ntp_reply_stamp(uint8_t *reply, int64_t tx_ns, bft_interval tx_iv)
{
	put64(reply + 40, bft_ntp_ts_from_unix_ns(tx_ns));
	/* The client's bound rests on the server's claim at its transmit
	 * instant (docs/ntp.md), so the dispersion must cover that one. */
	if ((reply[0] >> 6) != BFT_NTP_LEAP_UNSYNC) {
		uint32_t d = dispersion(tx_ns, tx_iv);
		if (d > get32(reply + 8))
			put32(reply + 8, d);
	}
}

void bft_ntp_kod(uint8_t *reply, const char code[4])
{
	/* RFC 5905 7.4: leap 3, stratum 0, the kiss code as refid; the origin
	 * stays, so the client can tell it answers its own request. */
	reply[0] = (uint8_t)(BFT_NTP_LEAP_UNSYNC << 6 | (reply[0] & 0x3F));
	reply[1] = 0;
	memcpy(reply + 12, code, 4);
}

/* ---- the client ---------------------------------------------------------- */

const char *bft_ntp_reject_name(enum bft_ntp_reject r)
{
	static const char *const names[BFT_NTP_REJ_COUNT] = {
		[BFT_NTP_OK] = "ok",
		[BFT_NTP_REJ_MALFORMED] = "malformed",
		[BFT_NTP_REJ_MODE] = "mode",
		[BFT_NTP_REJ_VERSION] = "version",
		[BFT_NTP_REJ_BOGUS] = "bogus_origin",
		[BFT_NTP_REJ_KOD] = "kiss_of_death",
		[BFT_NTP_REJ_UNSYNC] = "unsynchronized",
		[BFT_NTP_REJ_STRATUM] = "stratum",
		[BFT_NTP_REJ_ZERO_TIME] = "zero_timestamp",
		[BFT_NTP_REJ_DISTANCE] = "root_distance",
		[BFT_NTP_REJ_TIMES] = "timestamps",
	};
	return (unsigned)r < BFT_NTP_REJ_COUNT ? names[r] : "?";
}

void bft_ntp_client_request(uint8_t out[BFT_NTP_HEADER_LEN], uint64_t cookie)
{
	bft_ntp_packet p;
	memset(&p, 0, sizeof p);
	p.version = BFT_NTP_VERSION;
	p.mode = BFT_NTP_MODE_CLIENT;
	p.transmit_ts = cookie ? cookie : 1; /* 0 would read as "no time" */
	bft_ntp_encode(out, &p);
}

/* 2^precision s in ns, rounded up; clamped to [1 ns, 1 s]. */
static int64_t precision_ns(int8_t precision)
{
	if (precision >= 0)
		return BFT_NS_PER_SEC;
	if (precision <= -30)
		return 1;
	return (BFT_NS_PER_SEC + (INT64_C(1) << -precision) - 1) >> -precision;
}

enum bft_ntp_reject bft_ntp_client_sample(bft_ntp_sample *out, const uint8_t *buf, size_t len, uint64_t cookie,
                                          int64_t t1, int64_t t4, int64_t pivot_unix_ns,
                                          const bft_ntp_client_params *p)
{
	memset(out, 0, sizeof *out);
	const bft_ntp_packet *k = &out->pkt;
	if (bft_ntp_decode(&out->pkt, buf, len) != 0)
		return BFT_NTP_REJ_MALFORMED;
	if (k->version == 0 || k->version > BFT_NTP_VERSION)
		return BFT_NTP_REJ_VERSION;
	if (k->mode != BFT_NTP_MODE_SERVER)
		return BFT_NTP_REJ_MODE;
	/* First the cookie: nothing else in a packet that does not answer our
	 * request, a forged kiss-o'-death included, may change what we do. */
	if (k->origin_ts != (cookie ? cookie : 1))
		return BFT_NTP_REJ_BOGUS;
	if (k->stratum == 0) {
		for (int i = 0; i < 4; i++)
			out->kiss[i] = k->refid[i] >= 0x20 && k->refid[i] < 0x7F ? (char)k->refid[i] : '?';
		return BFT_NTP_REJ_KOD;
	}
	if (k->leap == BFT_NTP_LEAP_UNSYNC)
		return BFT_NTP_REJ_UNSYNC;
	if (k->stratum >= BFT_NTP_MAX_STRATUM)
		return BFT_NTP_REJ_STRATUM;
	if (k->receive_ts == 0 || k->transmit_ts == 0)
		return BFT_NTP_REJ_ZERO_TIME;
	int64_t rd = bft_ntp_short_to_ns(k->root_delay);
	out->root_dist_ns = bft_sat_add((rd + 1) / 2, bft_ntp_short_to_ns(k->root_dispersion));
	int64_t max = p->max_root_dist_ns > 0 ? p->max_root_dist_ns : BFT_NTP_MAXDIST_NS;
	if (out->root_dist_ns > max)
		return BFT_NTP_REJ_DISTANCE;
	int64_t t2 = bft_ntp_ts_to_unix_ns(k->receive_ts, pivot_unix_ns);
	int64_t t3 = bft_ntp_ts_to_unix_ns(k->transmit_ts, pivot_unix_ns);
	/* The round trip bounds (server clock - local clock) at t4; the
	 * server's timestamps are off by up to its precision (and the 32.32
	 * format's 0.23 ns, inside the rounding of precision_ns). */
	bft_exchange_params ep = {
		.dmin_ns = 0,
		.dmax_ns = 0,
		.rho_ppb = p->rho_ppb,
		.stamp_err_ns = bft_sat_add(p->stamp_err_ns, precision_ns(k->precision)),
	};
	bft_reading r;
	if (p->rho_ppb < 0 || p->server_rate_ppb < 0 || p->stamp_err_ns < 0 || p->extra_ns < 0 ||
	    bft_exchange_round_trip(&r, &ep, t1, t2, t3, t4) != 0)
		return BFT_NTP_REJ_TIMES;
	/* The upper side subtracts the server's processing time t3 - t2 as read
	 * on its own clock; a server slewing fast (chrony may slew at 8 %) may
	 * have overstated it by its rate error. */
	bft_interval off = bft_iv_widen(r.offset, 0, bft_drift_ns(p->server_rate_ppb, bft_sat_sub(t3, t2)));
	/* The server says true time was within its root distance of its clock;
	 * RFC 5905 adds the same to its own bound. */
	int64_t margin = bft_sat_add(out->root_dist_ns, p->extra_ns);
	out->local_ns = t4;
	out->iv = bft_iv_widen(bft_iv_shift(off, t4), margin, margin);
	out->delay_ns = r.delay_ns;
	out->offset_ns = bft_sat_add(bft_sat_sub(t2, t1) / 2, bft_sat_sub(t3, t4) / 2);
	return BFT_NTP_OK;
}
