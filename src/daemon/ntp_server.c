/* SPDX-License-Identifier: MIT */
/*
 * The NTP server (ntp_server.h): standard NTP clients (ntpd, chrony,
 * ntpdig, systemd-timesyncd) read the node's consensus clock. The packet
 * logic is pure and lives in src/proto/ntp.c; this file is the socket, the
 * clock reads and the counters. docs/ntp.md says what is served and why.
 *
 * What is served, in short: the node's disciplined clock (slew-limited and
 * monotonic, so clients see no jumps), stamped at the kernel's arrival time
 * of the request and as late as possible before the send; root delay 0 and
 * root dispersion covering the node's interval on either side, so a client's
 * root distance contains true time whenever the node's interval does;
 * stratum 2 (see below); leap indicator 3 ("unsynchronized", and stratum 16)
 * until the node is synchronized, and again whenever it is in alarm.
 */
#include "daemon/ntp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/udp.h"
#include "proto/ntp.h"
#include "sys/clock.h"

/* Why stratum 2, fixed: the node's time is a fault-tolerant consensus of
 * references and peers, one step removed from any one of them, like a
 * stratum 2 server that combines stratum 1s. Claiming 1 would make ntpd's
 * selection (which sorts by stratum before distance) prefer us over real
 * primary servers on the label alone; the root dispersion says how good the
 * time actually is. */
#define NTPS_STRATUM 2
#define NTPS_RECV_BURST 64   /* datagrams per service call, so peers and references are not starved */
#define NTPS_KOD_PER_S 4     /* kiss-o'-death RATE replies per second, all clients together */

struct bftd_ntps {
	int fd;
	char listen[64];
	uint32_t rate_per_s, burst;
	int8_t precision;
	int64_t poll_ns;     /* the node fuses once per poll: the age we state for its last update */
	int64_t holdover_ns; /* ... and after this long without one it is in holdover */
	struct {
		uint64_t requests, replies, unsync_replies, rate_limited, kod_sent, malformed, oversized, not_client,
			bad_version, extensions, send_errors;
	} ctr;
	bftd_ratelimit kod; /* one bucket for every KoD: rate-limited traffic is not reflected 1:1 */
	struct sockaddr_storage kod_from; /* all zero: the one address of that bucket */
	bftd_ratelimit rl;  /* per client address */
};

/* The precision field: log2 of the smallest step between two raw clock
 * reads (at least the cost of reading it), as chrony measures it. */
static int8_t measure_precision(void)
{
	int64_t best = INT64_MAX;
	for (int i = 0; i < 200; i++) {
		int64_t a = bft_clock_raw_ns(), b = bft_clock_raw_ns();
		if (b > a && b - a < best)
			best = b - a;
	}
	int8_t p = -30; /* 0.93 ns */
	while (p < 0 && (BFT_NS_PER_SEC >> -p) < best)
		p++;
	return p;
}

static uint64_t rand64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v ^= (uint64_t)bft_clock_mono_ns() * 0x9e3779b97f4a7c15u; /* only a hash key */
	return v;
}

int bftd_ntps_open(bftd_ntps **out, const bftd_config *cfg, char *err, size_t errlen)
{
	*out = NULL;
	bftd_ntps *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "ntp_server: out of memory");
		return BFT_ENOMEM;
	}
	char e[160];
	s->fd = bftd_udp_open(&cfg->ntp_listen, e, sizeof e);
	if (s->fd < 0) {
		snprintf(err, errlen, "ntp_server: %s", e);
		free(s);
		return BFT_EINVAL;
	}
	snprintf(s->listen, sizeof s->listen, "%s", cfg->ntp_listen.text);
	s->rate_per_s = cfg->ntp_rate_per_s;
	s->burst = cfg->ntp_rate_burst;
	s->precision = measure_precision();
	s->poll_ns = cfg->node.poll_ns;
	s->holdover_ns = cfg->node.disc.holdover_after_ns;
	bftd_ratelimit_init(&s->rl, s->rate_per_s, s->burst, rand64());
	bftd_ratelimit_init(&s->kod, NTPS_KOD_PER_S, NTPS_KOD_PER_S, rand64());
	bftd_log(LOG_NOTICE, "NTP server on %s (stratum %d when synchronized, precision 2^%d s, %u/s per client)",
	         s->listen, NTPS_STRATUM, s->precision, s->rate_per_s);
	*out = s;
	return 0;
}

int bftd_ntps_fd(const bftd_ntps *s) { return s ? s->fd : -1; }

/* The node's clock at raw time raw as the reply states it. */
static bool served(bft_node *node, int64_t raw, bft_estimate *e)
{
	if (bft_node_read(node, raw, e) != 0)
		return false;
	/* In alarm the node has proved more than f of its sources faulty and
	 * holds over; its interval stays honest, but NTP clients see no interval,
	 * only "synchronized or not", and most accept any root distance below
	 * 1.5 s. "Unsynchronized" makes them drop us for their other servers
	 * (or hold over themselves), which is what an alarm should cause. */
	return e->state != BFT_DISC_UNSYNCHRONIZED && !e->alarm && bft_iv_valid(e->bounds) &&
	       e->bounds.lo_ns != INT64_MIN && e->bounds.hi_ns != INT64_MAX;
}

void bftd_ntps_service(bftd_ntps *s, bft_node *node)
{
	/* Room for a request with extension fields to be seen whole and
	 * counted as such; anything longer is reported truncated and counted
	 * oversized. Replies are always 48 bytes. */
	uint8_t buf[1024], out[BFT_NTP_HEADER_LEN];
	if (!s)
		return;
	for (int i = 0; i < NTPS_RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = 0;
		bool trunc = false;
		int64_t krt;
		ssize_t r = bftd_udp_recv(s->fd, buf, sizeof buf, &from, &fromlen, &trunc, &krt);
		/* The arrival on the raw clock, erring late (clock.h): a late t2
		 * only raises the upper bound clients derive. */
		int64_t raw_rx = bft_clock_arrival_raw_ns(krt);
		if (r == 0)
			return;
		if (r < 0) {
			bftd_log(LOG_DEBUG, "ntp_server recv: %s", strerror(errno));
			return;
		}
		s->ctr.requests++;
		/* The rate limit first: a flood costs a hash and a compare. */
		bool limited = !bftd_ratelimit_allow(&s->rl, &from, bft_clock_mono_ns());
		if (limited)
			s->ctr.rate_limited++;
		if (trunc) {
			s->ctr.oversized++;
			continue;
		}
		bft_estimate rx;
		memset(&rx, 0, sizeof rx); /* a failed read leaves it unset: served unsynchronized */
		bft_ntp_server_info info = { .precision = s->precision, .refid = { 'B', 'F', 'T', 0 } };
		info.synchronized = served(node, raw_rx, &rx);
		info.rx_ns = rx.time_ns;
		info.rx_iv = rx.bounds;
		info.stratum = NTPS_STRATUM;
		/* The reference timestamp: when the clock was last corrected. The
		 * node fuses once per poll while synchronized; in holdover the last
		 * correction is at least holdover_after old. */
		info.ref_ns = bft_sat_sub(rx.time_ns, rx.state == BFT_DISC_HOLDOVER ? s->holdover_ns : s->poll_ns);
		enum bft_ntp_drop why;
		size_t n = bft_ntp_server_reply(out, sizeof out, buf, (size_t)r, &info, &why);
		if (n == 0) {
			switch (why) {
			case BFT_NTP_DROP_MODE: s->ctr.not_client++; break;
			case BFT_NTP_DROP_VERSION: s->ctr.bad_version++; break;
			case BFT_NTP_DROP_EXTENSION: s->ctr.extensions++; break;
			default: s->ctr.malformed++; break;
			}
			continue;
		}
		if (limited) {
			/* RFC 5905 KoD RATE: a well-behaved client backs off. One
			 * shared bucket, taken only for a request we would answer,
			 * keeps us from reflecting a flood. */
			if (!bftd_ratelimit_allow(&s->kod, &s->kod_from, bft_clock_mono_ns()))
				continue;
			bft_ntp_kod(out, "RATE");
		} else {
			/* Transmit stamp as late as possible: the last thing before sendto. */
			int64_t raw_tx = bft_clock_raw_ns();
			bft_estimate tx;
			if (bft_node_read(node, raw_tx, &tx) == 0)
				bft_ntp_reply_stamp(out, tx.time_ns, tx.bounds);
		}
		ssize_t w;
		do
			w = sendto(s->fd, out, n, 0, (const struct sockaddr *)&from, fromlen);
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)n) {
			s->ctr.send_errors++;
			continue;
		}
		if (limited) {
			s->ctr.kod_sent++;
		} else {
			s->ctr.replies++;
			if (!info.synchronized)
				s->ctr.unsync_replies++;
		}
	}
}

void bftd_ntps_status(const bftd_ntps *s, struct json_object *o)
{
	if (!s)
		return;
	json_object_object_add(o, "listen", json_object_new_string(s->listen));
	json_object_object_add(o, "stratum", json_object_new_int(NTPS_STRATUM));
	json_object_object_add(o, "precision", json_object_new_int(s->precision));
	json_object_object_add(o, "rate_per_s", json_object_new_int64(s->rate_per_s));
	json_object_object_add(o, "burst", json_object_new_int64(s->burst));
	json_object_object_add(o, "requests", json_object_new_int64((int64_t)s->ctr.requests));
	json_object_object_add(o, "replies", json_object_new_int64((int64_t)s->ctr.replies));
	json_object_object_add(o, "unsynchronized_replies", json_object_new_int64((int64_t)s->ctr.unsync_replies));
	json_object_object_add(o, "rate_limited", json_object_new_int64((int64_t)s->ctr.rate_limited));
	json_object_object_add(o, "kod_sent", json_object_new_int64((int64_t)s->ctr.kod_sent));
	json_object_object_add(o, "malformed", json_object_new_int64((int64_t)s->ctr.malformed));
	json_object_object_add(o, "oversized", json_object_new_int64((int64_t)s->ctr.oversized));
	json_object_object_add(o, "not_client", json_object_new_int64((int64_t)s->ctr.not_client));
	json_object_object_add(o, "bad_version", json_object_new_int64((int64_t)s->ctr.bad_version));
	json_object_object_add(o, "extensions", json_object_new_int64((int64_t)s->ctr.extensions));
	json_object_object_add(o, "send_errors", json_object_new_int64((int64_t)s->ctr.send_errors));
}

void bftd_ntps_close(bftd_ntps *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
