/* SPDX-License-Identifier: MIT */
/*
 * bftime-ntpload: an NTP load generator for the serving benchmark
 * (scripts/bench_ntp_serve.sh, docs/benchmarks.md). It keeps a window of
 * requests in flight from a few UDP sockets, sending and receiving in
 * batches (sendmmsg/recvmmsg, 64 per call) so that one core of load can
 * saturate a server on the other, and prints how many replies came back.
 *
 *   bftime-ntpload --server 127.0.0.1:123 --seconds 5 [--window 256] [--sockets 8]
 *                  [--nts 127.0.0.1:4460 --ca ca.pem]
 *
 * Plain mode sends 48-byte NTPv4 client requests. NTS mode first runs
 * NTS-KE (TLS 1.3, blocking: this is a tool, not the daemon) for keys and a
 * cookie, four times (four sessions, as four clients), then sends their
 * four NTS requests, each built once, in turn, over and over: servers
 * (chronyd's and bftimed's alike) keep no record of spent cookies, so each
 * copy costs them a full NTS exchange (open the cookie, verify, seal new
 * cookies, seal the reply), which is what is measured. Four sessions and
 * not one, so that no server can keep one session's keys scheduled from
 * one request to the next (bftimed keeps the last two of each kind). A reply counts when
 * it is a mode 4 packet that is not a kiss-o'-death; echo servers are
 * counted by length. Output, one line: replies sent seconds replies_per_s.
 *
 * --mix N:A:P (plain NTP only) is a client mix for the rate limiter: each
 * request leaves from one of N client addresses (127.1.0.0 onwards, one
 * picked at random per request) or, P percent of them, from one of A
 * abusers (127.100.0.0 onwards, in turn), chosen per datagram with
 * IP_PKTINFO from unconnected sockets; replies are told apart by the
 * address they come back to. Only the clients' requests wait in the
 * window; the abusers' are sent on top, as a flood is, so that a server
 * refusing them is offered the same load as one answering them. The line
 * then goes on: client_sent
 * client_answered abuser_sent abuser_answered kod (a KoD RATE counts in kod
 * only).
 */
#define _GNU_SOURCE /* sendmmsg, recvmmsg */
#include <arpa/inet.h>
#include <stdint.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "proto/ntp.h"
#include "proto/nts.h"

#define BATCH 64
#define MAX_SOCKS 64

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *c = strrchr(s, ':');
	if (!c || (size_t)(c - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = 0;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* NTS-KE, blocking: keys and the first cookie. */
static int nts_ke(const char *ke, const char *ca, uint8_t c2s[32], uint8_t s2c[32], uint8_t *cookie, size_t *cookie_len,
                  int *port)
{
	struct sockaddr_in a;
	if (parse_addr(ke, &a) != 0)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("ntpload: NTS-KE connect");
		return -1;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		fprintf(stderr, "ntpload: cannot load %s\n", ca);
		return -1;
	}
	static const unsigned char alpn[] = "\x07ntske/1";
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	uint8_t req[64], in[BFT_NTSKE_MAX_MSG];
	size_t n = bft_ntske_client_request(req, sizeof req), got = 0;
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, (int)n) != (int)n) {
		fprintf(stderr, "ntpload: NTS-KE TLS failed\n");
		return -1;
	}
	bft_ntske_msg m;
	int r;
	while ((r = SSL_read(ssl, in + got, (int)(sizeof in - got))) > 0) {
		got += (size_t)r;
		if (bft_ntske_parse(&m, in, got, NULL) != 1)
			break;
	}
	const char *why = NULL;
	if (bft_ntske_parse(&m, in, got, &why) != 0 || bft_ntske_client_check(&m, &why) != 0) {
		fprintf(stderr, "ntpload: NTS-KE response: %s\n", why ? why : "incomplete");
		return -1;
	}
	static const uint8_t k0[5] = { 0, 0, 0, 15, 0 }, k1[5] = { 0, 0, 0, 15, 1 };
	const char *label = BFT_NTSKE_EXPORTER_LABEL;
	SSL_export_keying_material(ssl, c2s, 32, label, strlen(label), k0, 5, 1);
	SSL_export_keying_material(ssl, s2c, 32, label, strlen(label), k1, 5, 1);
	memcpy(cookie, m.cookie[0], m.cookie_len[0]);
	*cookie_len = m.cookie_len[0];
	*port = m.port;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *server = NULL, *ke = NULL, *ca = NULL;
	double seconds = 5;
	int window = 256, nsock = 8;
	bool echo = false;
	long mix_n = 0, mix_a = 0, mix_p = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(argv[i], "--server") && v)
			server = v, i++;
		else if (!strcmp(argv[i], "--seconds") && v)
			seconds = atof(v), i++;
		else if (!strcmp(argv[i], "--window") && v)
			window = atoi(v), i++;
		else if (!strcmp(argv[i], "--sockets") && v)
			nsock = atoi(v), i++;
		else if (!strcmp(argv[i], "--nts") && v)
			ke = v, i++;
		else if (!strcmp(argv[i], "--ca") && v)
			ca = v, i++;
		else if (!strcmp(argv[i], "--echo"))
			echo = true;
		else if (!strcmp(argv[i], "--mix") && v) {
			if (sscanf(v, "%ld:%ld:%ld", &mix_n, &mix_a, &mix_p) != 3 || mix_n < 1 || mix_n > (1 << 22) ||
			    mix_a < 0 || mix_a > 65536 || mix_p < 0 || mix_p > 100 || (mix_a == 0 && mix_p > 0)) {
				fprintf(stderr, "ntpload: --mix N:A:P (N clients up to 2^22, A abusers, P percent from them)\n");
				return 2;
			}
			i++;
		}
		else {
			fprintf(stderr, "usage: bftime-ntpload --server IP:PORT [--seconds S] [--window N] [--sockets N] "
			                "[--nts IP:PORT --ca FILE] [--echo] [--mix N:A:P]\n");
			return 2;
		}
	}
	struct sockaddr_in dst;
	if (!server || parse_addr(server, &dst) != 0 || window < 1 || nsock < 1 || nsock > MAX_SOCKS ||
	    (ke && !ca) || (mix_n && (ke || echo))) {
		fprintf(stderr, "ntpload: need --server IP:PORT (and --ca with --nts)\n");
		return 2;
	}
#define SESSIONS 4
	static uint8_t pkts[SESSIONS][BFT_NTS_MAX_PACKET];
	uint8_t *pkt = pkts[0];
	size_t len = BFT_NTP_HEADER_LEN;
	uint64_t ck;
	if (getrandom(&ck, sizeof ck, 0) != sizeof ck)
		ck = 1;
	bft_ntp_client_request(pkt, ck);
	for (int k = 1; k < SESSIONS; k++)
		memcpy(pkts[k], pkt, BFT_NTP_HEADER_LEN);
	for (int k = 0; ke && k < SESSIONS; k++) {
		uint8_t c2s[32], s2c[32], cookie[BFT_NTS_MAX_COOKIE_LEN], uid[32], nonce[16], hdr[48];
		size_t cl;
		int port;
		pkt = pkts[k];
		if (nts_ke(ke, ca, c2s, s2c, cookie, &cl, &port) != 0)
			return 1;
		if (port > 0)
			dst.sin_port = htons((uint16_t)port);
		if (getrandom(uid, sizeof uid, 0) != sizeof uid || getrandom(nonce, sizeof nonce, 0) != sizeof nonce)
			return 1;
		memcpy(hdr, pkt, 48);
		bft_siv *siv;
		char err[160];
		if (bft_siv_new(&siv, err, sizeof err) != 0) {
			fprintf(stderr, "ntpload: %s\n", err);
			return 1;
		}
		/* One cookie back per request, as a client in its steady state
		 * asks (no placeholders): the same work on both servers. */
		len = bft_nts_client_request(siv, pkt, sizeof pkts[k], hdr, uid, sizeof uid, cookie, cl, 0, c2s, nonce);
		bft_siv_free(siv);
		if (!len)
			return 1;
	}
	int fds[MAX_SOCKS];
	for (int i = 0; i < nsock; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int big = 1 << 22;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		int one = 1;
		if (fds[i] < 0 || (mix_n ? setsockopt(fds[i], IPPROTO_IP, IP_PKTINFO, &one, sizeof one)
		                         : connect(fds[i], (struct sockaddr *)&dst, sizeof dst)) != 0) {
			perror("ntpload: socket");
			return 1;
		}
	}
	/* --mix: the source address of each datagram, by IP_PKTINFO */
	union pktctl {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	};
	static union pktctl octl[BATCH], ictl[BATCH];
	static struct in_pktinfo *opi[BATCH];
	uint64_t c_sent = 0, c_ans = 0, a_sent = 0, a_ans = 0, kods = 0, lcg = 88172645463325252u, nreq = 0;
	struct mmsghdr out[BATCH], inm[BATCH];
	struct iovec oiov[BATCH], iiov[BATCH];
	static uint8_t rbuf[BATCH][BFT_NTS_MAX_PACKET];
	for (int i = 0; i < BATCH; i++) {
		oiov[i] = (struct iovec){ pkts[i % SESSIONS], len };
		out[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &oiov[i], .msg_iovlen = 1 } };
		iiov[i] = (struct iovec){ rbuf[i], sizeof rbuf[i] };
		if (mix_n) {
			out[i].msg_hdr.msg_name = &dst;
			out[i].msg_hdr.msg_namelen = sizeof dst;
			out[i].msg_hdr.msg_control = octl[i].buf;
			out[i].msg_hdr.msg_controllen = sizeof octl[i].buf;
			struct cmsghdr *c = CMSG_FIRSTHDR(&out[i].msg_hdr);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			opi[i] = (struct in_pktinfo *)CMSG_DATA(c);
			memset(opi[i], 0, sizeof *opi[i]);
		}
	}
	/* Each socket keeps window / nsock requests in flight; a request not
	 * answered within 20 ms is forgotten (lost), so losses do not shrink
	 * the window for good. */
	int per = window / nsock > 0 ? window / nsock : 1;
	long inflight[MAX_SOCKS] = { 0 };
	double last_rx[MAX_SOCKS];
	uint64_t sent = 0, replies = 0;
	double t0 = now_s(), end = t0 + seconds;
	for (int i = 0; i < nsock; i++)
		last_rx[i] = t0;
	while (now_s() < end) {
		double t = now_s();
		for (int s = 0; s < nsock; s++) {
			if (inflight[s] > 0 && t - last_rx[s] > 0.02) {
				inflight[s] = 0;
				last_rx[s] = t;
			}
			int want = per - (int)inflight[s];
			while (want > 0) {
				int k = want < BATCH ? want : BATCH;
				for (int i = 0; mix_n && i < k; i++) { /* each datagram's source */
					uint32_t a;
					if ((long)((nreq + (uint64_t)i) % 100) < mix_p)
						a = (127u << 24 | 100u << 16) + (uint32_t)((nreq + (uint64_t)i) / 100 % (uint64_t)mix_a);
					else {
						lcg = lcg * 6364136223846793005u + 1442695040888963407u;
						a = (127u << 24 | 1u << 16) + (uint32_t)((lcg >> 33) % (uint64_t)mix_n);
					}
					opi[i]->ipi_spec_dst.s_addr = htonl(a);
				}
				int w = sendmmsg(fds[s], out, (unsigned)k, 0);
				int clients = w > 0 ? w : 0;
				for (int i = 0; mix_n && i < w; i++) {
					if ((long)(nreq % 100) < mix_p) {
						a_sent++;
						clients--;
					} else
						c_sent++;
					nreq++;
				}
				if (w <= 0)
					break;
				sent += (uint64_t)w;
				/* --mix: only the clients' requests wait for their
				 * answers; the abusers' are sent on top, as a flood
				 * is, so that a server refusing them is offered the
				 * same load as one answering them. */
				inflight[s] += clients;
				want -= w;
			}
		}
		struct pollfd p[MAX_SOCKS];
		for (int s = 0; s < nsock; s++)
			p[s] = (struct pollfd){ .fd = fds[s], .events = POLLIN };
		if (poll(p, (nfds_t)nsock, 1) <= 0)
			continue;
		for (int s = 0; s < nsock; s++) {
			if (!(p[s].revents & POLLIN))
				continue;
			for (;;) {
				for (int i = 0; i < BATCH; i++)
					inm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iiov[i], .msg_iovlen = 1,
					                                        .msg_control = mix_n ? ictl[i].buf : NULL,
					                                        .msg_controllen = mix_n ? sizeof ictl[i].buf : 0 } };
				int r = recvmmsg(fds[s], inm, BATCH, MSG_DONTWAIT, NULL);
				if (r <= 0)
					break;
				int answered = mix_n ? 0 : r; /* --mix: the clients' answers */
				for (int i = 0; i < r; i++) {
					const uint8_t *b = rbuf[i];
					size_t n = inm[i].msg_len;
					bool ok = echo ? n == len
					               : n >= BFT_NTP_HEADER_LEN && (b[0] & 7) == BFT_NTP_MODE_SERVER && b[1] != 0 &&
					                     (!ke || n > BFT_NTP_HEADER_LEN);
					replies += ok;
					if (!mix_n || n < BFT_NTP_HEADER_LEN || (b[0] & 7) != BFT_NTP_MODE_SERVER)
						continue;
					bool abuser = false;
					for (struct cmsghdr *c = CMSG_FIRSTHDR(&inm[i].msg_hdr); c;
					     c = CMSG_NXTHDR(&inm[i].msg_hdr, c)) {
						if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_PKTINFO)
							continue;
						struct in_pktinfo pi;
						memcpy(&pi, CMSG_DATA(c), sizeof pi);
						abuser = (ntohl(pi.ipi_addr.s_addr) >> 16 & 0xff) == 100;
					}
					answered += !abuser;
					if (b[1] == 0)
						kods++;
					else if (abuser)
						a_ans++;
					else
						c_ans++;
				}
				inflight[s] -= answered;
				if (inflight[s] < 0)
					inflight[s] = 0;
				last_rx[s] = now_s();
				if (r < BATCH)
					break;
			}
		}
	}
	double dt = now_s() - t0;
	if (mix_n)
		printf("%llu %llu %.3f %.0f %llu %llu %llu %llu %llu\n", (unsigned long long)replies,
		       (unsigned long long)sent, dt, (double)replies / dt, (unsigned long long)c_sent,
		       (unsigned long long)c_ans, (unsigned long long)a_sent, (unsigned long long)a_ans,
		       (unsigned long long)kods);
	else
		printf("%llu %llu %.3f %.0f\n", (unsigned long long)replies, (unsigned long long)sent, dt,
		       (double)replies / dt);
	return 0;
}
