/* SPDX-License-Identifier: MIT */
/*
 * The `ntp` reference driver (refclock.h): one NTP server queried in client
 * mode (RFC 5905), each good reply one reading "at raw time t4, true time was
 * in iv". The packet checks and the interval are pure code in
 * src/proto/ntp.c (bft_ntp_client_sample); this file is the socket, the
 * schedule and the bookkeeping.
 *
 * Why the interval is honest: the round trip bounds the server's clock
 * against our raw oscillator at the receive stamp (bft_exchange_round_trip: however
 * the delay splits between the two directions, with drift over the round
 * trip), and the server's root distance (root delay / 2 + root dispersion)
 * bounds true time against its clock, as RFC 5905 has it. A server that
 * states a root distance smaller than its real error makes a faulty reading:
 * the one fault kind the node's fusion tolerates.
 *
 * Forgery: every request carries a fresh random transmit timestamp (the
 * origin cookie, as chrony and ntpd send), and only a reply echoing the
 * latest one is used, once; the socket is connected, so the kernel drops
 * datagrams from any other address. An off-path attacker must guess 64 bits.
 *
 * A server name that does not resolve at start (no network or DNS yet at
 * boot) is not fatal: it is logged, and retried in the background
 * (getaddrinfo_a, so a slow resolver never stalls the daemon's loop) with a
 * doubling backoff from 2 s to 5 min until it resolves.
 *
 * With `nts: true` (RFC 8915, docs/nts.md) an on-path attacker is refused
 * too: NTS-KE over TLS 1.3 (nts_client.c) gives keys and cookies, every
 * request carries a cookie and an authenticator, and a reply is looked at
 * only once its unique identifier is ours and its authenticator verifies;
 * then it goes through the same checks as above. There is no fallback: a
 * reference configured with NTS that cannot get keys, or whose replies do
 * not authenticate, gives no readings and says why in its state.
 */
#define _GNU_SOURCE /* getaddrinfo_a */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "refclock/refclock.h"
#include "core/prng.h"
#include "proto/ntp.h"
#include "refclock/ntp_burst.h"
#include "refclock/nts_client.h"
#include "util/value.h"

#define BURST 4                       /* quick queries at start (iburst-like), so the node syncs in seconds */
#define BURST_GAP_NS (2 * BFT_NS_PER_SEC) /* ntpd's and chrony's iburst spacing; shorter at short polls (burst_gap_ns) */
/* Then, while the reference is young (burst_for, default 15 minutes), each
 * poll is a burst of `burst` exchanges (default 8 at polls under 64 s, 4
 * from 64 s on) spaced by burst_gap_ns, the last at the poll's time: the
 * node's frequency fit and each source's point start from a few minutes of
 * readings, and the readings make the points tighter just when liars
 * inside the noise are hardest to tell (clknetsim Internet, 3 of 7 servers
 * walking away at 1 ppm, seeds 1-5: worst error 0.28-0.62 ms with one
 * exchange per poll, 0.11-0.29 with 4 exchanges 2 s apart, 0.08-0.13 with
 * 8 exchanges 1 s apart; no attack 0.14-0.21, 0.08-0.18, 0.08-0.14 ms; the
 * anchor's matrix 74, 76, 79 of 80 rows, docs/anchor.md). That is one query
 * per 2 s at the default 16 s poll for 15 minutes, a spacing under the 2 s
 * minimum and a rate over the 8 s average that ntpd's `discard` and
 * chronyd's `ratelimit` default to: for servers of one's own, or `burst: 1`
 * (or 4); a kiss-o'-death ends it. 8 exchanges also at 64 s polls measured
 * worse there (Internet seed 4: 0.25-0.27 ms against chronyd's 0.240), so
 * those keep 4. With an `every` over 64 s every poll is a burst
 * (`burst_for: always`), as ntpd's `burst` option does: four queries per
 * 1024 s (one per 256 s, a quarter of a 64 s poll's; chronyd's adaptive
 * 64-1024 s polls sent one per 434 s in the same worlds), and the fit gets
 * four times the readings where a long poll leaves it few (clknetsim,
 * 1024 s, seeds 1-10, worst error against chronyd's, geometric mean:
 * Internet 0.85x -> 0.49x, 7 -> 9 of 10 rows as good as chronyd in worst
 * and RMS error; LAN 0.72x -> 0.53x, 7 -> 10 of 10, with the discipline's
 * chosen window, discipline.c); 8 exchanges there took LAN seed 4 to 36 ms
 * (1 s apart) and seed 2 to 10 ms (2 s apart): the fit's frequency diverged
 * within a round (cured since: the discipline fits uncarried points, and 8
 * exchanges then give LAN 0.06-0.21 ms, but LAN seed 4 0.211 against
 * chronyd's 0.207, so 4 stay; docs/algorithms-fusion.md). */
#define BURST_DEFAULT 8      /* young polls at `every` under BURST_EVERY_MAX_NS */
#define BURST_DEFAULT_LONG 4 /* at 64 s and over */
#define BURST_EVERY_MAX_NS (64 * BFT_NS_PER_SEC)
#define BURST_FOR_DEFAULT_NS (900 * BFT_NS_PER_SEC)
#define BURST_ALWAYS INT64_MAX
#define MAX_BACKOFF_NS (1024 * BFT_NS_PER_SEC)
/* `every` is the steady query interval; a longer one is reached from at
 * most START_EVERY_NS, doubling after GROW_AFTER good replies in a row, as
 * chronyd climbs from minpoll to maxpoll: the node's first frequency fit
 * needs several readings, and until it has them the clock runs at the
 * oscillator's raw error (100 ppm over a 1024 s first gap is 0.1 s).
 * From 16 s, the default every: from 64 s the first fit's few readings
 * left a clknetsim client 0.9-1.5 ms off for 15 minutes (docs/ntp.md). */
#define START_EVERY_NS (16 * BFT_NS_PER_SEC)
#define GROW_AFTER 8
#define DENY_POLL_NS (3600 * BFT_NS_PER_SEC)
/* The local oscillator's drift over one round trip: the node's rho
 * (rc->rho_ppb); this only if a caller left it unset. */
#define CLIENT_RHO_PPB 1000000
/* The server's clock rate error over its processing time t3 - t2 (tens of
 * us): chrony may slew at up to 83333 ppm, so 10 %. */
#define SERVER_RATE_PPB 100000
#define STAMP_ERR_NS 1000 /* our send stamp precedes the send; the kernel receive stamp on the raw clock */

#define RESOLVE_FIRST_NS (2 * BFT_NS_PER_SEC)
#define RESOLVE_MAX_NS (300 * BFT_NS_PER_SEC)

typedef struct ntpc {
	int fd;              /* -1 until the server's name resolved and the socket is connected */
	char addr[80];       /* the resolved address, for status */
	/* Resolving in the background (fd -1): */
	char host[256], port[16];
	struct addrinfo hints;
	struct gaicb gcb;
	bool resolving;      /* gcb is in flight */
	int64_t resolve_gap_ns;
	char resolve_err[96]; /* the last failure, logged once */
	uint64_t cookie;     /* of the outstanding request; 0: none outstanding */
	int64_t t1_raw;
	int burst_left;
	int64_t start_mono_ns; /* of the first query: the reference is young burst_for after it (0: none yet) */
	bool young;            /* its polls are bursts */
	int64_t interval_ns; /* every, or shorter while climbing to it, or longer after a KoD */
	int good_run;        /* good replies in a row at interval_ns */
	bool regular;        /* the outstanding query is at a poll's time: not the start burst's, nor a young poll's lead-in */
	uint64_t queries, replies, timeouts, unreachable;
	uint64_t bad[BFT_NTP_REJ_COUNT];
	char kiss[5];
	bool have_last;
	bft_ntp_sample last;
	int64_t last_sys_offset_ns; /* the server's clock - CLOCK_REALTIME, for the status only */
	bftd_ntsc *nts;             /* NULL: plain NTP */
	int64_t ke_retry_ns, ke_next_mono_ns; /* NTS-KE after a failure: backing off */
	struct sockaddr_storage ss; /* the server's address (its NTP port until NTS-KE names one) */
	socklen_t ss_len;
} ntpc;

#define KE_RETRY_MIN_NS (4 * BFT_NS_PER_SEC)
#define KE_RETRY_MAX_NS (1024 * BFT_NS_PER_SEC)

/* rc->state, truncated if need be (a status line, not data). */
__attribute__((format(printf, 2, 3))) static void set_state(bftd_refclock *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rc->state, sizeof rc->state, fmt, ap);
	va_end(ap);
}

/* The cookie must be unpredictable to an off-path attacker: from the
 * kernel's generator, mixed with the seeded one only if that fails. */
static uint64_t cookie(bftd_refclock *rc)
{
	uint64_t v = 0;
	if (!rc->host->random_u64(&v))
		v ^= bft_prng_u64(&rc->rng);
	return v ? v : 1;
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 address. */
static int split_host_port(const char *s, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon = strrchr(s, ':');
	snprintf(port, pcap, "%d", BFT_NTP_PORT);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (end[1] && (end[1] != ':' || !end[2])))
			return -1;
		if ((size_t)(end - s - 1) >= hcap)
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
		if (end[1])
			snprintf(port, pcap, "%s", end + 2);
		return 0;
	}
	if (colon && strchr(s, ':') == colon) { /* exactly one colon: host:port */
		if ((size_t)(colon - s) >= hcap || !colon[1])
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		snprintf(port, pcap, "%s", colon + 1);
		return 0;
	}
	if (strlen(s) >= hcap)
		return -1;
	snprintf(host, hcap, "%s", s);
	return host[0] ? 0 : -1;
}

/* A socket connected to res; 0, or an errno value. */
static int connect_to(bftd_refclock *rc, ntpc *n, const struct addrinfo *res)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, res->ai_addr, res->ai_addrlen <= sizeof ss ? res->ai_addrlen : sizeof ss);
	int fd = rc->host->socket(res->ai_family, SOCK_DGRAM);
	int one = 1, e = 0;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	/* Connected: the kernel delivers only the server's datagrams, and an
	 * ICMP port unreachable shows up as ECONNREFUSED. */
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return e ? e : EINVAL;
	}
	n->fd = fd;
	n->ss = ss;
	n->ss_len = res->ai_addrlen <= sizeof ss ? (socklen_t)res->ai_addrlen : (socklen_t)sizeof ss;
	rc->host->addr_format(n->addr, sizeof n->addr, &ss);
	return 0;
}

/* Not resolved or not connected (why): say so once per reason, and try
 * again after the backoff. */
static void retry_later(bftd_refclock *rc, ntpc *n, int64_t now_mono_ns, const char *why)
{
	n->resolve_gap_ns = !n->resolve_gap_ns ? RESOLVE_FIRST_NS
	                  : n->resolve_gap_ns * 2 > RESOLVE_MAX_NS ? RESOLVE_MAX_NS
	                                                           : n->resolve_gap_ns * 2;
	rc->next_mono_ns = now_mono_ns + n->resolve_gap_ns;
	if (strcmp(n->resolve_err, why) != 0) {
		snprintf(n->resolve_err, sizeof n->resolve_err, "%s", why);
		bftd_refclock_log(rc->host, LOG_WARNING, "reference %s: server '%s': %s; retrying (up to every %.0f s)",
		                  rc->cfg->name, rc->cfg->server, why, (double)RESOLVE_MAX_NS / 1e9);
	}
	set_state(rc, "server '%s': %s, retrying", rc->cfg->server, why);
}

/* The server's address is known: with nts, the NTS-KE client for it (the
 * key exchange on nts_port of the same address, the certificate checked
 * against the configured name). Its failure is the configuration's (a CA
 * file that cannot be read): 0, or BFT_EINVAL with err. */
static int connected(bftd_refclock *rc, ntpc *n, int64_t now_mono_ns, char *err, size_t errlen)
{
	const bftd_ref *c = rc->cfg;
	if (c->nts && !n->nts) {
		struct sockaddr_storage ke = n->ss;
		uint16_t kp = htons((uint16_t)(c->nts_port > 0 ? c->nts_port : BFT_NTSKE_PORT));
		if (ke.ss_family == AF_INET)
			((struct sockaddr_in *)&ke)->sin_port = kp;
		else
			((struct sockaddr_in6 *)&ke)->sin6_port = kp;
		char e[256];
		if (bftd_ntsc_new(&n->nts, rc->host, n->host, &ke, n->ss_len, c->ca, e, sizeof e) != 0) {
			snprintf(err, errlen, "reference %s: nts: %s", c->name, e);
			return BFT_EINVAL;
		}
		n->ke_retry_ns = KE_RETRY_MIN_NS;
	}
	if (n->resolve_err[0])
		bftd_refclock_log(rc->host, LOG_NOTICE, "reference %s: server '%s' is %s", rc->cfg->name, rc->cfg->server,
		                  n->addr);
	n->resolve_err[0] = 0;
	n->resolve_gap_ns = 0;
	rc->next_mono_ns = now_mono_ns;
	set_state(rc, "querying %s", n->addr);
	return 0;
}

/* The background resolution (fd -1): start one, or collect its answer. */
static void resolve_step(bftd_refclock *rc, ntpc *n, int64_t now_mono_ns)
{
	if (!n->resolving) {
		if (now_mono_ns < rc->next_mono_ns)
			return;
		memset(&n->gcb, 0, sizeof n->gcb);
		n->hints = (struct addrinfo){ .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
		n->gcb.ar_name = n->host;
		n->gcb.ar_service = n->port;
		n->gcb.ar_request = &n->hints;
		struct gaicb *list[1] = { &n->gcb };
		int g = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
		if (g != 0) {
			retry_later(rc, n, now_mono_ns, gai_strerror(g));
			return;
		}
		n->resolving = true;
		rc->next_mono_ns = now_mono_ns + BFT_NS_PER_SEC / 4; /* look again soon */
		return;
	}
	int g = gai_error(&n->gcb);
	if (g == EAI_INPROGRESS) {
		rc->next_mono_ns = now_mono_ns + BFT_NS_PER_SEC / 4;
		return;
	}
	n->resolving = false;
	struct addrinfo *res = n->gcb.ar_result;
	n->gcb.ar_result = NULL;
	int e = g == 0 && res ? connect_to(rc, n, res) : 0;
	if (res)
		freeaddrinfo(res);
	if (g != 0 || !res)
		retry_later(rc, n, now_mono_ns, g ? gai_strerror(g) : "no address");
	else if (e)
		retry_later(rc, n, now_mono_ns, strerror(e));
	else {
		char why[300];
		if (connected(rc, n, now_mono_ns, why, sizeof why) != 0) {
			/* Resolved late, and NTS cannot start: say why, and stay
			 * without readings (never plain NTP instead). */
			bftd_refclock_log(rc->host, LOG_ERR, "%s; no readings from it", why);
			set_state(rc, "%s; no readings", why);
			close(n->fd);
			n->fd = -1;
			rc->next_mono_ns = INT64_MAX;
		}
	}
}

static int ntp_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	const bftd_ref *c = rc->cfg;
	char host[256], port[16];
	if (split_host_port(c->server, host, sizeof host, port, sizeof port) != 0) {
		snprintf(err, errlen, "reference %s: server '%s': expected host, host:port or [v6]:port", c->name,
		         c->server);
		return BFT_EINVAL;
	}
	ntpc *n = calloc(1, sizeof *n);
	if (!n) {
		snprintf(err, errlen, "reference %s: out of memory", c->name);
		return BFT_ENOMEM;
	}
	n->fd = -1;
	snprintf(n->host, sizeof n->host, "%s", host);
	snprintf(n->port, sizeof n->port, "%s", port);
	n->burst_left = BURST;
	n->young = c->burst > 1 && c->burst_for_ns > 0;
	n->interval_ns = c->every_ns < START_EVERY_NS ? c->every_ns : START_EVERY_NS;
	rc->priv = n;
	/* Numeric first, so a configured address never waits on a resolver;
	 * a name is resolved once (a time daemon's sources should not move
	 * with DNS at run time), here, and if it does not resolve now (boot,
	 * no network yet), in the background until it does. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV }, *res = NULL;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g == EAI_NONAME) {
		hints.ai_flags = AI_NUMERICSERV;
		g = getaddrinfo(host, port, &hints, &res);
	}
	if (g == EAI_SERVICE) { /* the port: a configuration error, fatal */
		snprintf(err, errlen, "reference %s: server '%s': %s", c->name, c->server, gai_strerror(g));
		rc->priv = NULL;
		free(n);
		return BFT_EINVAL;
	}
	if (g != 0 || !res) {
		retry_later(rc, n, now_mono_ns, g ? gai_strerror(g) : "no address");
		return 0;
	}
	int e = connect_to(rc, n, res);
	freeaddrinfo(res);
	if (e) {
		retry_later(rc, n, now_mono_ns, strerror(e));
	} else if (connected(rc, n, now_mono_ns, err, errlen) != 0) {
		close(n->fd);
		rc->priv = NULL;
		free(n);
		return BFT_EINVAL;
	}
	return 0;
}

static void ntp_close(bftd_refclock *rc)
{
	ntpc *n = rc->priv;
	if (!n)
		return;
	if (n->resolving && gai_cancel(&n->gcb) == EAI_NOTCANCELED) {
		/* Its thread still writes n->gcb: wait for it (a resolver's
		 * timeouts at most), or leave n allocated rather than free it
		 * under that thread. */
		const struct gaicb *list[1] = { &n->gcb };
		struct timespec ts = { 1, 0 };
		for (int i = 0; i < 30 && gai_error(&n->gcb) == EAI_INPROGRESS; i++)
			(void)gai_suspend(list, 1, &ts);
		if (gai_error(&n->gcb) == EAI_INPROGRESS) {
			rc->priv = NULL;
			return;
		}
	}
	if (n->gcb.ar_result)
		freeaddrinfo(n->gcb.ar_result);
	if (n->fd >= 0)
		close(n->fd);
	bftd_ntsc_free(n->nts);
	free(n);
	rc->priv = NULL;
}

static size_t ntp_pollfds(bftd_refclock *rc, struct pollfd *pfd, size_t max)
{
	ntpc *n = rc->priv;
	if (!n || n->fd < 0 || max < 1)
		return 0;
	pfd[0] = (struct pollfd){ .fd = n->fd, .events = POLLIN };
	return 1 + (n->nts ? bftd_ntsc_pollfds(n->nts, pfd + 1, max - 1) : 0);
}

/* NTS-KE done: use the NTP port the server named, if it named one. */
static void nts_keyed(bftd_refclock *rc, ntpc *n)
{
	int port = bftd_ntsc_ntp_port(n->nts);
	n->ke_retry_ns = KE_RETRY_MIN_NS;
	if (port < 0)
		return;
	struct sockaddr_storage ss = n->ss;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	if (connect(n->fd, (const struct sockaddr *)&ss, n->ss_len) != 0) {
		set_state(rc, "cannot use NTP port %d from NTS-KE: %s", port, strerror(errno));
		return;
	}
	rc->host->addr_format(n->addr, sizeof n->addr, &ss);
}

/* A burst's spacing (ntp_burst.h, shared with bftime-sim's mirror). */
static int64_t burst_gap_ns(int64_t interval_ns) { return bftd_ntp_burst_gap_ns(interval_ns, BURST_GAP_NS); }

static void send_query(bftd_refclock *rc, ntpc *n, int64_t now_mono_ns)
{
	if (n->cookie) {
		n->timeouts++;
		n->good_run = 0;
		set_state(rc, "no reply from %s", n->addr);
	}
	uint8_t hdr[BFT_NTP_HEADER_LEN], nreq[BFT_NTS_MAX_PACKET];
	const uint8_t *req = hdr;
	size_t len = sizeof hdr;
	n->cookie = cookie(rc);
	bft_ntp_client_request(hdr, n->cookie);
	if (n->nts) {
		/* No keys or cookies: NTS-KE first (never plain NTP instead). */
		if (bftd_ntsc_ready(n->nts) && !bftd_ntsc_before_request(n->nts))
			set_state(rc, "NTS NAK from %s confirmed (no authenticated reply since): running NTS-KE again",
			          n->addr);
		if (!bftd_ntsc_ready(n->nts)) {
			n->cookie = 0;
			if (!bftd_ntsc_busy(n->nts) && now_mono_ns >= n->ke_next_mono_ns)
				bftd_ntsc_start(n->nts, now_mono_ns);
			rc->next_mono_ns = bftd_ntsc_busy(n->nts) ? bftd_ntsc_next_mono_ns(n->nts) : n->ke_next_mono_ns;
			return;
		}
		len = bftd_ntsc_request(n->nts, nreq, sizeof nreq, hdr);
		req = nreq;
		if (!len) {
			n->cookie = 0;
			set_state(rc, "cannot build an NTS request (no randomness)");
			rc->next_mono_ns = now_mono_ns + n->interval_ns;
			return;
		}
	}
	/* t1 read before the send: the true departure is later, which only
	 * widens the interval (docs/ntp.md). */
	n->t1_raw = rc->host->raw_ns();
	if (send(n->fd, req, len, 0) != (ssize_t)len)
		set_state(rc, "cannot send to %s: %s", n->addr, strerror(errno));
	else
		n->queries++;
	int64_t gap = n->interval_ns;
	n->regular = n->burst_left == 0;
	if (!n->start_mono_ns)
		n->start_mono_ns = now_mono_ns;
	if (n->young && now_mono_ns - n->start_mono_ns >= rc->cfg->burst_for_ns)
		n->young = false;
	if (n->burst_left > 0) {
		n->burst_left--;
		gap = burst_gap_ns(n->interval_ns);
	} else {
		/* Jitter up to 1/16 of the interval: many nodes started together
		 * should not query a server in lock step. */
		gap += (int64_t)(bft_prng_u64(&rc->rng) % (uint64_t)(gap / 16 + 1));
		/* Young: the next poll is a burst ending where it would have been. */
		int64_t lead = (int64_t)(rc->cfg->burst - 1) * burst_gap_ns(n->interval_ns);
		if (n->young && lead > 0 && lead < gap / 2) {
			n->burst_left = rc->cfg->burst - 1;
			gap -= lead;
		}
	}
	rc->next_mono_ns = now_mono_ns + gap;
}

/* RFC 5905 7.4: RATE asks us to slow down; DENY and RSTR to stop. We keep
 * asking rarely after DENY, in case access is granted again. */
static void on_kiss(bftd_refclock *rc, ntpc *n, const char *kiss, int64_t now_mono_ns)
{
	snprintf(n->kiss, sizeof n->kiss, "%s", kiss);
	n->burst_left = 0;
	n->young = false;
	if (!strcmp(n->kiss, "RATE")) {
		n->interval_ns = n->interval_ns * 2 > MAX_BACKOFF_NS ? MAX_BACKOFF_NS : n->interval_ns * 2;
		if (n->interval_ns < rc->cfg->every_ns)
			n->interval_ns = rc->cfg->every_ns;
	} else if (!strcmp(n->kiss, "DENY") || !strcmp(n->kiss, "RSTR")) {
		n->interval_ns = DENY_POLL_NS;
	} else {
		return; /* other codes: informational, RFC 5905 says ignore */
	}
	rc->next_mono_ns = now_mono_ns + n->interval_ns;
	set_state(rc, "kiss-o'-death %s from %s: polling every %.0f s", n->kiss, n->addr,
	         (double)n->interval_ns / 1e9);
}

static size_t ntp_service(bftd_refclock *rc, const struct pollfd *pfd, size_t nfd, int64_t now_mono_ns,
                          bftd_reading *out, size_t max)
{
	ntpc *n = rc->priv;
	size_t got = 0;
	if (!n)
		return 0;
	if (n->fd < 0) {
		resolve_step(rc, n, now_mono_ns);
		return 0;
	}
	if (n->nts) {
		int k = bftd_ntsc_service(n->nts, pfd + (nfd > 0), nfd > 1 ? nfd - 1 : 0, now_mono_ns);
		if (k > 0) {
			nts_keyed(rc, n);
			set_state(rc, "NTS-KE with %s done: querying %s", rc->cfg->server, n->addr);
			rc->next_mono_ns = now_mono_ns;
		} else if (k < 0) {
			rc->errors++;
			set_state(rc, "%s; retrying in %.0f s, no readings meanwhile", bftd_ntsc_error(n->nts),
			          (double)n->ke_retry_ns / 1e9);
			n->ke_next_mono_ns = now_mono_ns + n->ke_retry_ns;
			rc->next_mono_ns = n->ke_next_mono_ns;
			n->ke_retry_ns = n->ke_retry_ns * 2 > KE_RETRY_MAX_NS ? KE_RETRY_MAX_NS : n->ke_retry_ns * 2;
		} else if (bftd_ntsc_busy(n->nts)) {
			rc->next_mono_ns = bftd_ntsc_next_mono_ns(n->nts);
		}
	}
	if (nfd > 0 && pfd[0].revents) {
		for (int i = 0; i < 8; i++) {
			uint8_t buf[BFT_NTS_MAX_PACKET];
			struct sockaddr_storage from;
			socklen_t fromlen = 0;
			bool trunc = false;
			int64_t krt;
			ssize_t r = rc->host->udp_recv(n->fd, buf, sizeof buf, &from, &fromlen, &trunc, &krt);
			/* t4: the kernel's arrival stamp moved onto the raw clock,
			 * erring late (clock.h): a late t4 only widens the interval. */
			int64_t t4 = rc->host->arrival_raw_ns(krt);
			int64_t rt_minus_raw = rc->host->realtime_ns() - rc->host->raw_ns();
			if (r == 0)
				break;
			if (r < 0) {
				if (errno == ECONNREFUSED) {
					n->unreachable++;
					set_state(rc, "%s: port unreachable", n->addr);
				}
				break;
			}
			bft_ntp_client_params p = { .rho_ppb = rc->rho_ppb > 0 ? rc->rho_ppb : CLIENT_RHO_PPB, .server_rate_ppb = SERVER_RATE_PPB,
			                            .stamp_err_ns = STAMP_ERR_NS, .extra_ns = rc->cfg->uncertainty_ns };
			bft_ntp_sample smp;
			memset(&smp, 0, sizeof smp);
			/* Without an outstanding request a reply is stale or a replay
			 * (and a kiss in it forged): not even looked at. */
			enum bft_ntp_reject why = BFT_NTP_REJ_MALFORMED;
			if (n->nts && !trunc) {
				/* Authentication before anything in the reply is believed,
				 * a kiss-o'-death included. */
				enum bft_nts_cli a = bftd_ntsc_check(n->nts, buf, (size_t)r);
				if (a != BFT_NTS_CLI_OK) {
					rc->errors++;
					if (a == BFT_NTS_CLI_NAK && !bftd_ntsc_ready(n->nts)) {
						n->cookie = 0;
						set_state(rc, "NTS NAK from %s, twice: running NTS-KE again", n->addr);
						bftd_ntsc_start(n->nts, now_mono_ns);
						rc->next_mono_ns = bftd_ntsc_next_mono_ns(n->nts);
					} else if (a == BFT_NTS_CLI_NAK) {
						/* Unauthenticated: believed only if the next
						 * request gets none but a NAK either, which is
						 * asked soon rather than a poll later. */
						set_state(rc, "NTS NAK from %s (not authenticated): one more request before NTS-KE",
						          n->addr);
						if (rc->next_mono_ns > now_mono_ns + BURST_GAP_NS)
							rc->next_mono_ns = now_mono_ns + BURST_GAP_NS;
					} else {
						set_state(rc, "reply from %s refused: %s", n->addr, bft_nts_cli_name(a));
					}
					continue;
				}
			}
			if (!trunc)
				why = !n->cookie ? BFT_NTP_REJ_BOGUS
				                 : bft_ntp_client_sample(&smp, buf, (size_t)r, n->cookie, n->t1_raw, t4,
				                                         rc->host->realtime_ns(), &p);
			/* The cookie is spent only by a reply that echoed it: junk that
			 * fails before that check must not cancel our real request. */
			if (why != BFT_NTP_REJ_BOGUS && why != BFT_NTP_REJ_MALFORMED && why != BFT_NTP_REJ_MODE &&
			    why != BFT_NTP_REJ_VERSION)
				n->cookie = 0; /* answered: a second copy is a replay */
			if (why != BFT_NTP_OK) {
				n->bad[why < BFT_NTP_REJ_COUNT ? why : BFT_NTP_REJ_MALFORMED]++;
				rc->errors++;
				if (why == BFT_NTP_REJ_KOD) {
					on_kiss(rc, n, smp.kiss, now_mono_ns);
				} else {
					set_state(rc, "reply from %s refused: %s", n->addr, bft_ntp_reject_name(why));
				}
				continue;
			}
			n->replies++;
			n->last = smp;
			/* theta is against the raw oscillator, which means nothing to a
			 * reader: state it against the system clock too. */
			n->last_sys_offset_ns = bft_sat_sub(smp.offset_ns, rt_minus_raw);
			n->have_last = true;
			/* A good reply after a RATE kiss: step back toward every. */
			if (n->interval_ns > rc->cfg->every_ns && n->interval_ns <= DENY_POLL_NS)
				n->interval_ns = n->interval_ns / 2 < rc->cfg->every_ns ? rc->cfg->every_ns : n->interval_ns / 2;
			/* Climbing toward every (START_EVERY_NS), counting replies
			 * at the interval only: the start burst's five readings
			 * span 8 s, which tells the frequency nothing (counted, they
			 * left 64 s after three rounds, and clknetsim's clock 2 ms
			 * off at 500 s). */
			if (n->interval_ns < rc->cfg->every_ns && n->regular && ++n->good_run >= GROW_AFTER) {
				n->good_run = 0;
				n->interval_ns = n->interval_ns * 2 > rc->cfg->every_ns ? rc->cfg->every_ns : n->interval_ns * 2;
			}
			set_state(rc, "%s stratum %u, offset %+.3f ms to the system clock, delay %.3f ms, root distance %.3f ms",
			          n->addr, smp.pkt.stratum, (double)n->last_sys_offset_ns / 1e6, (double)smp.delay_ns / 1e6,
			          (double)smp.root_dist_ns / 1e6);
			bftd_refclock_log(rc->host, LOG_DEBUG, "reference %s: offset %+.6f ms to the system clock, delay %.6f ms, width %.6f ms",
			         rc->cfg->name, (double)n->last_sys_offset_ns / 1e6, (double)smp.delay_ns / 1e6,
			         (double)bft_iv_width(smp.iv) / 1e6);
			if (got < max) {
				memset(&out[got], 0, sizeof out[got]);
				out[got].raw_ns = smp.local_ns;
				out[got].iv = smp.iv;
				got++;
				rc->readings++;
			}
		}
	}
	if (now_mono_ns >= rc->next_mono_ns)
		send_query(rc, n, now_mono_ns);
	return got;
}

static void ntp_status(const bftd_refclock *rc, struct json_object *o)
{
	const ntpc *n = rc->priv;
	if (!n)
		return;
	json_object_object_add(o, "server", json_object_new_string(rc->cfg->server));
	json_object_object_add(o, "address", n->fd >= 0 ? json_object_new_string(n->addr) : NULL);
	if (n->fd < 0)
		json_object_object_add(o, "resolve_error", json_object_new_string(n->resolve_err));
	json_object_object_add(o, "poll_ns", json_object_new_int64(n->interval_ns));
	json_object_object_add(o, "queries", json_object_new_int64((int64_t)n->queries));
	json_object_object_add(o, "replies", json_object_new_int64((int64_t)n->replies));
	json_object_object_add(o, "timeouts", json_object_new_int64((int64_t)n->timeouts));
	json_object_object_add(o, "unreachable", json_object_new_int64((int64_t)n->unreachable));
	/* Every reading of an NTS reference passed the authenticator. */
	json_object_object_add(o, "authenticated", json_object_new_boolean(n->nts != NULL));
	if (n->nts)
		bftd_ntsc_status(n->nts, o);
	if (n->have_last) {
		char refid[16];
		const uint8_t *r = n->last.pkt.refid;
		if (n->last.pkt.stratum <= 1)
			snprintf(refid, sizeof refid, "%.4s", (const char *)r);
		else
			snprintf(refid, sizeof refid, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
		for (char *p = refid; *p; p++)
			if (*p < 0x20 || *p > 0x7E)
				*p = '?';
		json_object_object_add(o, "stratum", json_object_new_int(n->last.pkt.stratum));
		json_object_object_add(o, "refid", json_object_new_string(refid));
		json_object_object_add(o, "last_offset_ns", json_object_new_int64(n->last_sys_offset_ns));
		json_object_object_add(o, "last_delay_ns", json_object_new_int64(n->last.delay_ns));
		json_object_object_add(o, "root_distance_ns", json_object_new_int64(n->last.root_dist_ns));
		json_object_object_add(o, "last_width_ns", json_object_new_int64(bft_iv_width(n->last.iv)));
	}
	if (n->kiss[0])
		json_object_object_add(o, "last_kiss", json_object_new_string(n->kiss));
	json_object *bad = json_object_new_object();
	for (int i = 1; i < BFT_NTP_REJ_COUNT; i++)
		json_object_object_add(bad, bft_ntp_reject_name((enum bft_ntp_reject)i),
		                       json_object_new_int64((int64_t)n->bad[i]));
	json_object_object_add(o, "rejected", bad);
}

/* A server is needed; queried every 16 s unless told (RFC 5905's
 * minimum poll); the uncertainty is the round trip's and the server's root
 * distance, nothing added unless told. */
static int ntp_finish(bftd_ref *r, char *err, size_t errlen)
{
	if (!r->server[0]) {
		snprintf(err, errlen, "reference: kind ntp needs a server (host or host:port)");
		return BFT_EINVAL;
	}
	if (!(r->set & BFTD_REF_OPT_EVERY))
		r->every_ns = 16 * BFT_NS_PER_SEC;
	if (r->uncertainty_ns < 0)
		r->uncertainty_ns = 0;
	if (!r->nts && (r->ca[0] || r->nts_port)) {
		snprintf(err, errlen, "reference: ca and nts_port need nts: true");
		return BFT_EINVAL;
	}
	if (!r->burst)
		r->burst = r->every_ns < BURST_EVERY_MAX_NS ? BURST_DEFAULT : BURST_DEFAULT_LONG;
	if (r->burst_for_ns < 0)
		r->burst_for_ns = r->every_ns <= BURST_EVERY_MAX_NS ? BURST_FOR_DEFAULT_NS : BURST_ALWAYS;
	return 0;
}

static int opt_nts(bftd_ref *r, const char *v, char *err, size_t errlen) { return bft_value_bool(v, &r->nts, err, errlen); }
static int opt_ca(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_str(v, r->ca, sizeof r->ca, err, errlen);
}
static int int32_in(const char *v, int32_t lo, int32_t hi, int32_t *out, char *err, size_t errlen)
{
	int64_t x;
	if (bft_value_int(v, lo, hi, &x, err, errlen) != 0)
		return BFT_EINVAL;
	*out = (int32_t)x;
	return 0;
}
static int opt_nts_port(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return int32_in(v, 1, 65535, &r->nts_port, err, errlen);
}
static int opt_burst(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return int32_in(v, 1, 8, &r->burst, err, errlen);
}
static int opt_burst_for(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "always")) {
		r->burst_for_ns = BURST_ALWAYS;
		return 0;
	}
	return bft_value_duration(v, 0, 86400 * BFT_NS_PER_SEC, &r->burst_for_ns, err, errlen);
}

static const bftd_ref_opt ntp_options[] = {
	{ "burst", BFTD_REF_OPT_NTP, opt_burst },
	{ "burst_for", BFTD_REF_OPT_NTP, opt_burst_for },
	{ "nts", BFTD_REF_OPT_NTS, opt_nts },
	{ "ca", BFTD_REF_OPT_NTS, opt_ca },
	{ "nts_port", BFTD_REF_OPT_NTS, opt_nts_port },
	{ NULL, 0, NULL },
};

const bftd_refclock_driver bftd_refclock_ntp = { "ntp", "ntp", BFTD_REF_OPT_SERVER | BFTD_REF_OPT_NTS | BFTD_REF_OPT_NTP, ntp_options, ntp_finish, ntp_open, ntp_close, ntp_pollfds, ntp_service, ntp_status,
                                                 NULL };
