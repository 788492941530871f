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
 *
 * With ntp_server.nts, requests carrying extension fields are NTS requests
 * (RFC 8915, docs/nts.md): the cookie is opened under the NTS-KE server's
 * keys (nts_ke.c), the authenticator checked, and the reply carries the
 * echoed unique identifier and fresh cookies, sealed under the session's
 * server-to-client key. A cookie we cannot open gets an NTS NAK (kiss code
 * NTSN); a bad authenticator or malformed fields get nothing. Each is
 * counted.
 */
#define _GNU_SOURCE /* recvmmsg */
#include "daemon/ntp_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/ntp_clients.h"
#include "daemon/nts_ke.h"
#include "daemon/udp.h"
#include "proto/ntp.h"
#include "proto/nts.h"
#include "sys/clock.h"

/* Why stratum 2, fixed: the node's time is a fault-tolerant consensus of
 * references and peers, one step removed from any one of them, like a
 * stratum 2 server that combines stratum 1s. Claiming 1 would make ntpd's
 * selection (which sorts by stratum before distance) prefer us over real
 * primary servers on the label alone; the root dispersion says how good the
 * time actually is. */
#define NTPS_STRATUM 2
#define NTPS_RECV_BURST 64   /* datagrams per recvmmsg */
/* Datagrams per service call at most: recvmmsg is called again while it
 * finds any (requests that came in while the last batch was served), up to
 * this many. Under load a turn of the event loop (poll and a dozen clock
 * reads) is then paid once per many requests instead of per batch, and one
 * failed recvmmsg when the queue is empty costs less than that turn; peers
 * and references wait at most this many requests' work (about 1 ms at
 * saturation). */
#define NTPS_RECV_MAX 256
/* Replies sent per sendmmsg: at most NTPS_SEND_BATCH, of which at most
 * NTPS_NTS_SEND_BATCH NTS replies. They are stamped just before the call
 * (plain replies all from one clock read, each NTS reply then sealed, about
 * 1 us), so the last of a batch leaves after the kernel has sent the others
 * (about 2 us each on loopback, where the send also delivers) and the later
 * NTS ones were sealed: up to about 130 us for 64 plain replies, 50 us for
 * 16 NTS replies, and only when requests queue (a batch of one otherwise).
 * Late means t3 is early, which widens a bftime client's interval and never
 * makes it false. Why 64: sendmmsg of 16 left plain NTP at 0.90-0.92 of the
 * echo limit, 64 reached 0.96 (docs/benchmarks.md); NTS, where sealing
 * dominates, gains nothing from more than 16. */
#define NTPS_SEND_BATCH 64
#define NTPS_NTS_SEND_BATCH 16
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
	bftd_clients *clients; /* per client address (ntp_clients.h) */
	bftd_ntske *ke;     /* NTS: the KE server and its cookie keys; NULL without */
	struct ntps_rx {    /* recvmmsg's arrays (80 KiB: on the heap) */
		struct mmsghdr mm[NTPS_RECV_BURST];
		struct iovec iov[NTPS_RECV_BURST];
		struct sockaddr_storage from[NTPS_RECV_BURST];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct timespec))];
		} ctl[NTPS_RECV_BURST];
		uint8_t buf[NTPS_RECV_BURST][BFT_NTS_MAX_PACKET];
		/* replies waiting for one sendmmsg (flush_replies) */
		int n_tx, n_tx_nts;
		struct mmsghdr tx[NTPS_SEND_BATCH];
		struct iovec tx_iov[NTPS_SEND_BATCH];
		struct ntps_tx {
			enum { TX_PLAIN, TX_PLAIN_KOD, TX_NTS, TX_NTS_KOD, TX_NTS_NAK } kind;
			bool unsync;
			size_t len;
			struct sockaddr_storage to;
			socklen_t to_len;
			uint8_t buf[BFT_NTS_MAX_PACKET];
			/* TX_NTS, TX_NTS_KOD: sealed at the flush, after the stamp */
			uint8_t hdr[BFT_NTP_HEADER_LEN], nonce[BFT_NTS_NONCE_LEN];
			bft_nts_request rq;
			size_t n_cookies;
			uint8_t cookies[BFT_NTSKE_MAX_COOKIES][BFT_NTS_COOKIE_LEN];
		} txe[NTPS_SEND_BATCH];
	} *rx;
	struct {
		uint64_t requests, replies, naks, malformed, bad_auth, cookies_issued, kod_sent;
		const char *last_refused; /* why the last refused NTS request was (a static string), NULL none */
	} nts;
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
	s->rx = calloc(1, sizeof *s->rx);
	if (!s->rx) {
		snprintf(err, errlen, "ntp_server: out of memory");
		free(s);
		return BFT_ENOMEM;
	}
	s->fd = bftd_udp_open(&cfg->ntp_listen, e, sizeof e);
	if (s->fd < 0) {
		snprintf(err, errlen, "ntp_server: %s", e);
		free(s->rx);
		free(s);
		return BFT_EINVAL;
	}
	snprintf(s->listen, sizeof s->listen, "%s", cfg->ntp_listen.text);
	s->rate_per_s = cfg->ntp_rate_per_s;
	s->burst = cfg->ntp_rate_burst;
	s->precision = measure_precision();
	s->poll_ns = cfg->node.poll_ns;
	s->holdover_ns = cfg->node.disc.holdover_after_ns;
	s->clients = bftd_clients_new(s->rate_per_s, s->burst, rand64());
	if (!s->clients) {
		snprintf(err, errlen, "ntp_server: out of memory");
		close(s->fd);
		free(s->rx);
		free(s);
		return BFT_ENOMEM;
	}
	bftd_ratelimit_init(&s->kod, NTPS_KOD_PER_S, NTPS_KOD_PER_S, rand64());
	if (cfg->ntp_nts.enabled && bftd_ntske_open(&s->ke, &cfg->ntp_nts, &cfg->ntp_listen, err, errlen) != 0) {
		bftd_clients_free(s->clients);
		close(s->fd);
		free(s->rx);
		free(s);
		return BFT_EINVAL;
	}
	bftd_log(LOG_NOTICE, "NTP server on %s (stratum %d when synchronized, precision 2^%d s, %u/s per client)",
	         s->listen, NTPS_STRATUM, s->precision, s->rate_per_s);
	*out = s;
	return 0;
}

int bftd_ntps_fd(const bftd_ntps *s) { return s ? s->fd : -1; }

bftd_ntske *bftd_ntps_ke(bftd_ntps *s) { return s ? s->ke : NULL; }

static void count_drop(bftd_ntps *s, enum bft_ntp_drop why)
{
	switch (why) {
	case BFT_NTP_DROP_MODE: s->ctr.not_client++; break;
	case BFT_NTP_DROP_VERSION: s->ctr.bad_version++; break;
	case BFT_NTP_DROP_EXTENSION: s->ctr.extensions++; break;
	default: s->ctr.malformed++; break;
	}
}

/* An NTS request (one with extension fields while NTS is on): checked,
 * and its reply prepared in e (new cookies made, the reply's header built),
 * or NAKed, or dropped: 0 when e is to be sent, -1 nothing. The costly part
 * (opening the cookie, verifying, sealing new cookies) is done here; what
 * follows the transmit stamp, sealing the reply itself, is left to
 * flush_replies, just before the send: the stamp must be sealed in, so it
 * is taken as late as that allows. */
static int nts_prepare(bftd_ntps *s, const uint8_t *req, size_t len, const bft_ntp_server_info *info, bool limited,
                       int64_t mono_ns, struct ntps_tx *e)
{
	const char *why = NULL;
	size_t nk;
	const bft_nts_server_key *keys = bftd_ntske_keys(s->ke, &nk);
	bft_siv *siv = bftd_ntske_siv(s->ke);
	enum bft_ntp_drop d;
	s->nts.requests++;
	/* The header first, as for plain NTP: mode, version. */
	if (bft_ntp_server_reply(e->hdr, sizeof e->hdr, req, BFT_NTP_HEADER_LEN, info, &d) == 0) {
		count_drop(s, d);
		return -1;
	}
	enum bft_nts_srv v = bft_nts_server_check(siv, &e->rq, keys, nk, req, len, &why);
	if (v == BFT_NTS_SRV_MALFORMED || v == BFT_NTS_SRV_AUTH) {
		if (v == BFT_NTS_SRV_MALFORMED)
			s->nts.malformed++;
		else
			s->nts.bad_auth++;
		s->nts.last_refused = why ? why : "?";
		bftd_log(LOG_DEBUG, "ntp_server: NTS request dropped: %s", s->nts.last_refused);
		return -1;
	}
	if (v == BFT_NTS_SRV_COOKIE) {
		s->nts.last_refused = why ? why : "?";
		/* A client over its rate gets a NAK only within the kisses'
		 * shared budget, as a RATE kiss: unauthenticated and never
		 * larger than the request, a NAK still answers whoever a
		 * spoofed source names (the client was counted rate_limited). */
		if (limited && !bftd_ratelimit_allow(&s->kod, &s->kod_from, mono_ns))
			return -1;
		/* RFC 8915 5.7: the NTS NAK, so the client runs NTS-KE again. */
		bft_ntp_kod(e->hdr, "NTSN");
		e->len = bft_nts_server_nak(e->buf, sizeof e->buf, e->hdr, e->rq.v.uid, e->rq.v.uid_len);
		e->kind = TX_NTS_NAK;
		s->nts.naks++;
		return e->len ? 0 : -1;
	}
	e->kind = TX_NTS;
	if (limited) {
		if (!bftd_ratelimit_allow(&s->kod, &s->kod_from, mono_ns)) {
			OPENSSL_cleanse(&e->rq, sizeof e->rq);
			return -1;
		}
		bft_ntp_kod(e->hdr, "RATE"); /* authenticated at the flush, so a client can believe it */
		e->kind = TX_NTS_KOD;
		s->nts.kod_sent++;
	}
	e->n_cookies = e->rq.n_cookies_wanted;
	int ok = bftd_ntske_random(s->ke, e->nonce, sizeof e->nonce) == 0;
	for (size_t i = 0; ok && i < e->n_cookies; i++)
		ok = bftd_ntske_cookie(s->ke, e->cookies[i], e->rq.c2s, e->rq.s2c) == 0;
	if (!ok) {
		OPENSSL_cleanse(&e->rq, sizeof e->rq);
		OPENSSL_cleanse(e->cookies, e->n_cookies * sizeof e->cookies[0]);
		return -1;
	}
	return 0;
}

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

/* The receive reading of a batch's datagrams: the node is read at the
 * first arrival, and a later one within BFT_CARRY_MAX_NS (100 us) of that
 * read is carried from it (bft_estimate_carry: the interval still holds the
 * truth by the drift bound; the clock errs early by at most 103 ns, which
 * only raises the upper bound a client derives). Why: a read of the node
 * per datagram was a quarter of the server's own work (perf, plain NTP at
 * saturation: 0.85 % of 3.5 %). */
struct rx_read {
	bool have, sync;
	bft_estimate e;
};

static bool served_at(bft_node *node, struct rx_read *c, int64_t raw, bft_estimate *e)
{
	*e = c->e;
	if (c->have && bft_estimate_carry(e, raw, bft_node_get_config(node)) == 0)
		return c->sync;
	c->have = true;
	c->sync = served(node, raw, &c->e);
	*e = c->e;
	return c->sync;
}

/* One recvmmsg: up to NTPS_RECV_BURST datagrams, each with its kernel
 * arrival stamp. Why batched: under load the server's cost is mostly system
 * calls (about 90 % of its CPU in the kernel, perf), and one call for many
 * datagrams takes most of the receiving side away; the stamps come per
 * datagram, so nothing is lost in accuracy. Replies go out by sendmmsg,
 * NTPS_SEND_BATCH at a time, stamped just before it (NTS replies stamped,
 * then sealed; the costly NTS work is done before). Returns how many, 0 none
 * or an error (logged). */
static int recv_batch(bftd_ntps *s)
{
	struct ntps_rx *x = s->rx;
	for (int i = 0; i < NTPS_RECV_BURST; i++) {
		x->iov[i] = (struct iovec){ x->buf[i], sizeof x->buf[i] };
		x->mm[i].msg_hdr = (struct msghdr){ .msg_name = &x->from[i], .msg_namelen = sizeof x->from[i],
		                                    .msg_iov = &x->iov[i], .msg_iovlen = 1, .msg_control = x->ctl[i].buf,
		                                    .msg_controllen = sizeof x->ctl[i].buf };
		x->mm[i].msg_len = 0;
	}
	int got;
	do
		got = recvmmsg(s->fd, x->mm, NTPS_RECV_BURST, MSG_DONTWAIT, NULL);
	while (got < 0 && errno == EINTR);
	if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		bftd_log(LOG_DEBUG, "ntp_server recv: %s", strerror(errno));
	return got > 0 ? got : 0;
}

static int64_t rx_stamp(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			return (int64_t)ts.tv_sec * BFT_NS_PER_SEC + ts.tv_nsec;
		}
	return 0;
}

/* Stamp the waiting replies (the transmit timestamp as late as possible:
 * just before the send; NTS replies are sealed right after their stamp) and
 * send them in one call. */
static void flush_replies(bftd_ntps *s, bft_node *node)
{
	struct ntps_rx *x = s->rx;
	int n = 0;
	/* Plain replies share one read of the clock, taken at the first of them
	 * and again after any NTS reply was sealed (which takes a microsecond):
	 * stamping the rest of a batch takes nanoseconds, so each stamp is still
	 * no earlier than a per-reply read would be by more than that, and
	 * never late (the send follows). */
	bft_estimate tx;
	int tx_state = 0; /* 0: not read since the last seal, 1: read, -1: read failed */
	for (int k = 0; k < x->n_tx; k++) {
		struct ntps_tx *e = &x->txe[k];
		if (e->kind == TX_PLAIN) {
			if (tx_state == 0)
				tx_state = bft_node_read(node, bft_clock_raw_ns(), &tx) == 0 ? 1 : -1;
			if (tx_state == 1)
				bft_ntp_reply_stamp(e->buf, tx.time_ns, tx.bounds);
		}
		if (e->kind == TX_NTS || e->kind == TX_NTS_KOD) {
			bft_estimate ntx;
			if (e->kind == TX_NTS && bft_node_read(node, bft_clock_raw_ns(), &ntx) == 0)
				bft_ntp_reply_stamp(e->hdr, ntx.time_ns, ntx.bounds);
			tx_state = 0;
			const uint8_t *cp[BFT_NTSKE_MAX_COOKIES];
			size_t cl[BFT_NTSKE_MAX_COOKIES];
			for (size_t i = 0; i < e->n_cookies; i++) {
				cp[i] = e->cookies[i];
				cl[i] = BFT_NTS_COOKIE_LEN;
			}
			e->len = bft_nts_server_reply(bftd_ntske_siv(s->ke), e->buf, sizeof e->buf, e->hdr, &e->rq, e->nonce,
			                              cp, cl, e->n_cookies);
			OPENSSL_cleanse(&e->rq, sizeof e->rq);
			OPENSSL_cleanse(e->cookies, e->n_cookies * sizeof e->cookies[0]);
			if (!e->len) {
				s->ctr.send_errors++;
				continue;
			}
			s->nts.cookies_issued += e->n_cookies;
		}
		x->tx_iov[n] = (struct iovec){ e->buf, e->len };
		x->tx[n].msg_hdr = (struct msghdr){ .msg_name = &e->to, .msg_namelen = e->to_len, .msg_iov = &x->tx_iov[n],
		                                    .msg_iovlen = 1 };
		x->tx[n].msg_len = (unsigned)k; /* which entry; sendmmsg overwrites it, read first */
		n++;
	}
	int kind_of[NTPS_SEND_BATCH];
	bool unsync[NTPS_SEND_BATCH];
	for (int i = 0; i < n; i++) {
		kind_of[i] = x->txe[x->tx[i].msg_len].kind;
		unsync[i] = x->txe[x->tx[i].msg_len].unsync;
	}
	int done = 0;
	while (done < n) {
		int w = sendmmsg(s->fd, x->tx + done, (unsigned)(n - done), 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) { /* this one failed: count it, go on with the rest */
			s->ctr.send_errors++;
			done++;
			continue;
		}
		for (int i = done; i < done + w; i++) {
			switch (kind_of[i]) {
			case TX_PLAIN:
				s->ctr.replies++;
				s->ctr.unsync_replies += unsync[i];
				break;
			case TX_PLAIN_KOD: s->ctr.kod_sent++; break;
			case TX_NTS: s->nts.replies++; break;
			default: break; /* NTS KoD and NAK: counted when made */
			}
		}
		done += w;
	}
	x->n_tx = x->n_tx_nts = 0;
}

static void serve_batch(bftd_ntps *s, bft_node *node, int got);

void bftd_ntps_service(bftd_ntps *s, bft_node *node)
{
	if (!s)
		return;
	for (int total = 0; total < NTPS_RECV_MAX;) {
		int got = recv_batch(s);
		if (got == 0)
			break;
		serve_batch(s, node, got);
		total += got;
	}
}

/* The got datagrams recv_batch left in s->rx: answered (replies queued and
 * flushed), dropped or refused. */
static void serve_batch(bftd_ntps *s, bft_node *node, int got)
{
	/* Room for a request with extension fields to be seen whole and
	 * counted as such (NTS requests up to BFT_NTS_MAX_PACKET); anything
	 * longer is reported truncated and counted oversized. */
	uint8_t out[BFT_NTS_MAX_PACKET];
	/* One read of the clocks for the batch, after all of it arrived
	 * (clock.h: bft_clock_arrival_raw_at): per datagram it cost more than
	 * the server's own work. */
	bft_clock_now now;
	if (got > 0)
		bft_clock_now_read(&now);
	struct rx_read rd = { .have = false };
	for (int i = 0; i < got; i++) {
		struct msghdr *mh = &s->rx->mm[i].msg_hdr;
		uint8_t *buf = s->rx->buf[i];
		const struct sockaddr_storage *from = &s->rx->from[i];
		socklen_t fromlen = mh->msg_namelen;
		bool trunc = (mh->msg_flags & MSG_TRUNC) != 0;
		ssize_t r = (ssize_t)s->rx->mm[i].msg_len;
		/* The arrival on the raw clock, erring late (clock.h): a late t2
		 * only raises the upper bound clients derive. */
		int64_t raw_rx = bft_clock_arrival_raw_at(&now, rx_stamp(mh));
		s->ctr.requests++;
		/* The rate limit first: a flood costs a hash and a compare. */
		bool limited = !bftd_clients_allow(s->clients, from, now.mono_ns);
		if (limited)
			s->ctr.rate_limited++;
		if (trunc) {
			s->ctr.oversized++;
			continue;
		}
		bft_estimate rx;
		memset(&rx, 0, sizeof rx); /* a failed read leaves it unset: served unsynchronized */
		bft_ntp_server_info info = { .precision = s->precision, .refid = { 'B', 'F', 'T', 0 } };
		info.synchronized = served_at(node, &rd, raw_rx, &rx);
		info.rx_ns = rx.time_ns;
		info.rx_iv = rx.bounds;
		info.stratum = NTPS_STRATUM;
		/* The reference timestamp: when the clock was last corrected. The
		 * node fuses once per poll while synchronized; in holdover the last
		 * correction is at least holdover_after old. */
		info.ref_ns = bft_sat_sub(rx.time_ns, rx.state == BFT_DISC_HOLDOVER ? s->holdover_ns : s->poll_ns);
		struct ntps_rx *x = s->rx;
		struct ntps_tx *e = &x->txe[x->n_tx];
		if (s->ke && (size_t)r > BFT_NTP_HEADER_LEN) {
			if (nts_prepare(s, buf, (size_t)r, &info, limited, now.mono_ns, e) != 0)
				continue;
			memcpy(&e->to, from, fromlen <= sizeof e->to ? fromlen : sizeof e->to);
			e->to_len = fromlen;
			x->n_tx_nts++;
			if (++x->n_tx == NTPS_SEND_BATCH || x->n_tx_nts == NTPS_NTS_SEND_BATCH)
				flush_replies(s, node);
			continue;
		}
		enum bft_ntp_drop why;
		size_t n = bft_ntp_server_reply(out, sizeof out, buf, (size_t)r, &info, &why);
		if (n == 0) {
			count_drop(s, why);
			continue;
		}
		if (limited) {
			/* RFC 5905 KoD RATE: a well-behaved client backs off. One
			 * shared bucket, taken only for a request we would answer,
			 * keeps us from reflecting a flood. */
			if (!bftd_ratelimit_allow(&s->kod, &s->kod_from, now.mono_ns))
				continue;
			bft_ntp_kod(out, "RATE");
		}
		memcpy(e->buf, out, BFT_NTP_HEADER_LEN);
		e->len = n;
		memcpy(&e->to, from, fromlen <= sizeof e->to ? fromlen : sizeof e->to);
		e->to_len = fromlen;
		e->kind = limited ? TX_PLAIN_KOD : TX_PLAIN;
		e->unsync = !info.synchronized;
		x->n_tx++;
		if (x->n_tx == NTPS_SEND_BATCH)
			flush_replies(s, node);
	}
	flush_replies(s, node);
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
	json_object_object_add(o, "client_table_entries", json_object_new_int64((int64_t)bftd_clients_capacity(s->clients)));
	json_object_object_add(o, "client_table_evicted", json_object_new_int64((int64_t)bftd_clients_evicted(s->clients)));
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
	if (s->ke) {
		struct json_object *n = json_object_new_object();
		json_object_object_add(n, "requests", json_object_new_int64((int64_t)s->nts.requests));
		json_object_object_add(n, "replies", json_object_new_int64((int64_t)s->nts.replies));
		json_object_object_add(n, "naks", json_object_new_int64((int64_t)s->nts.naks));
		json_object_object_add(n, "malformed", json_object_new_int64((int64_t)s->nts.malformed));
		json_object_object_add(n, "bad_authenticator", json_object_new_int64((int64_t)s->nts.bad_auth));
		json_object_object_add(n, "kod_sent", json_object_new_int64((int64_t)s->nts.kod_sent));
		if (s->nts.last_refused)
			json_object_object_add(n, "last_refused", json_object_new_string(s->nts.last_refused));
		json_object_object_add(n, "cookies_issued_ntp", json_object_new_int64((int64_t)s->nts.cookies_issued));
		bftd_ntske_status(s->ke, n);
		json_object_object_add(o, "nts", n);
	}
}

void bftd_ntps_close(bftd_ntps *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	bftd_ntske_close(s->ke);
	bftd_clients_free(s->clients);
	free(s->rx);
	free(s);
}
