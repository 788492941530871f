/* SPDX-License-Identifier: MIT */
/*
 * UDP, the rate limits and the gate in front of the node (udp.h).
 */
#include "daemon/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bftime/common.h>

int bftd_socket(int family, int type)
{
	/* Not SOCK_NONBLOCK | SOCK_CLOEXEC in the type: a syscall-level
	 * simulator (clknetsim, tests/clknetsim) accepts only the plain types,
	 * and the two fcntl calls cost nothing at start-up. */
	int fd = socket(family, type, 0);
	if (fd < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int bftd_udp_open(const bftd_addr *addr, char *err, size_t errlen)
{
	int fd = bftd_socket(addr->ss.ss_family, SOCK_DGRAM);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	/* Kernel arrival stamps: the loop may be busy when a datagram arrives,
	 * and the exchange must be stamped when it arrived, not when it was read. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	if (addr->ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) != 0) {
		snprintf(err, errlen, "bind %s: %s", addr->text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t bftd_udp_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from, socklen_t *fromlen,
                      bool *truncated, int64_t *kernel_rt_ns)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct msghdr mh = { .msg_name = from, .msg_namelen = sizeof *from, .msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	*kernel_rt_ns = 0;
	ssize_t r;
	do
		r = recvmsg(fd, &mh, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	*fromlen = mh.msg_namelen;
	*truncated = (mh.msg_flags & MSG_TRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			*kernel_rt_ns = (int64_t)ts.tv_sec * BFT_NS_PER_SEC + ts.tv_nsec;
		}
	return r;
}

int bftd_udp_send(int fd, const bftd_addr *to, const uint8_t *buf, size_t len)
{
	ssize_t r;
	do
		r = sendto(fd, buf, len, 0, (const struct sockaddr *)&to->ss, to->len);
	while (r < 0 && errno == EINTR);
	return r == (ssize_t)len ? 0 : -1;
}

void bftd_ratelimit_init(bftd_ratelimit *rl, uint32_t rate_per_s, uint32_t burst, uint64_t key)
{
	memset(rl, 0, sizeof *rl);
	rl->rate_per_s = rate_per_s;
	rl->burst = burst;
	rl->key = key | 1;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15u;
	return h ^ (h >> 29);
}

static size_t slot_of(const bftd_ratelimit *rl, const struct sockaddr_storage *ss)
{
	uint64_t h = rl->key;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		h = mix(h, a->sin_addr.s_addr);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		uint64_t w[2];
		memcpy(w, &a->sin6_addr, sizeof w);
		h = mix(mix(h, w[0]), w[1]);
	}
	return (size_t)(mix(h, rl->key) % BFTD_RL_SLOTS);
}

/* Bring bucket b up to now_ns: a new bucket starts full. */
static void refill(bftd_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ns)
{
	int64_t cap = (int64_t)burst * 1000;
	if (b->last_ns == 0) {
		b->tokens_milli = cap;
		b->last_ns = now_ns;
	} else if (now_ns > b->last_ns && rate_per_s > 0) {
		/* tokens += elapsed * rate, in thousandths; elapsed capped first so
		 * the product cannot overflow after a long silence (rate <= 1e6). */
		int64_t el = now_ns - b->last_ns;
		if (el > 1000 * BFT_NS_PER_SEC)
			el = 1000 * BFT_NS_PER_SEC;
		int64_t add = el * (int64_t)rate_per_s / 1000000;
		b->tokens_milli += add;
		if (b->tokens_milli >= cap) {
			b->tokens_milli = cap;
			b->last_ns = now_ns;
		} else {
			/* only the time those thousandths took: the remainder
			 * carries over, so datagrams closer together than a
			 * thousandth's worth still refill at the rate */
			b->last_ns += add * 1000000 / (int64_t)rate_per_s;
		}
	}
}

static bool take(bftd_bucket *b)
{
	if (b->tokens_milli < 1000)
		return false;
	b->tokens_milli -= 1000;
	return true;
}

bool bftd_bucket_take(bftd_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ns)
{
	refill(b, rate_per_s, burst, now_ns);
	return take(b);
}

bool bftd_bucket_full_at(const bftd_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ns)
{
	if (b->last_ns == 0)
		return true;
	int64_t missing = (int64_t)burst * 1000 - b->tokens_milli; /* thousandths */
	if (missing <= 0)
		return true;
	if (rate_per_s == 0 || now_ns <= b->last_ns)
		return false;
	int64_t el = now_ns - b->last_ns;
	return el >= 1000 * BFT_NS_PER_SEC || el * (int64_t)rate_per_s / 1000000 >= missing;
}

bool bftd_ratelimit_allow(bftd_ratelimit *rl, const struct sockaddr_storage *from, int64_t now_ns)
{
	bftd_bucket *b = &rl->slot[slot_of(rl, from)];
	refill(b, rl->rate_per_s, rl->burst, now_ns);
	return take(b);
}

/* ---- the gate ----------------------------------------------------------- */

static int gate_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	bftd_ratelimit *rl = ctx;
	/* The node checking the datagram the gate has just verified: the same
	 * buffer, length, claimed sender and signature. Answered once. */
	if (rl->cur.set && msg == rl->cur.msg && len == rl->cur.len && from == rl->cur.from &&
	    sig_len == rl->cur.sig_len && memcmp(sig, rl->cur.sig, sig_len) == 0) {
		rl->cur.set = false;
		return rl->cur.result;
	}
	return rl->inner.verify(rl->inner.ctx, from, msg, len, sig, sig_len);
}

static int gate_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	bftd_ratelimit *rl = ctx;
	return rl->inner.sign(rl->inner.ctx, self, msg, len, sig);
}

void bftd_gate_attach(bftd_ratelimit *rl, bft_signer *s)
{
	if (rl->outer == s && s->ctx == rl)
		return;
	rl->inner = *s;
	rl->outer = s;
	s->verify = gate_verify;
	s->sign = gate_sign;
	s->ctx = rl;
}

enum bftd_gate_verdict bftd_gate_check(bftd_ratelimit *rl, const bftd_config *cfg, const uint8_t *buf, size_t len,
                                       const struct sockaddr_storage *from, int64_t now_ns)
{
	rl->cur.set = false;
	rl->cur.msg = NULL;
	/* The checks that cost no cryptography: a well-formed message, to us,
	 * from a pinned peer. */
	bft_msg m;
	size_t signed_len = 0, i = SIZE_MAX;
	if (bft_wire_decode(&m, &signed_len, buf, len) == 0 && m.to == cfg->id)
		for (size_t k = 0; k < cfg->n_peers && k < BFTD_MAX_PEERS; k++)
			if (cfg->peers[k].id == m.from) {
				i = k;
				break;
			}
	if (i == SIZE_MAX) {
		if (!bftd_ratelimit_allow(rl, from, now_ns)) {
			rl->stats.dropped_addr++;
			return BFTD_GATE_DROP;
		}
		return BFTD_GATE_PASS;
	}
	bftd_gate_peer *p = &rl->peer[i];
	/* An answer to our own last message: its nonces are the proof that
	 * whoever sent it saw ours, which an attacker off the path cannot. */
	bool expected = false;
	if (m.type == BFT_MSG_RESPONSE && p->req_tries && m.nonce == p->req_nonce) {
		p->req_tries--;
		expected = true;
	} else if (m.type == BFT_MSG_FOLLOWUP && p->resp_tries && m.nonce == p->resp_nonce &&
	           m.nonce2 == p->resp_nonce2) {
		p->resp_tries--;
		expected = true;
	}
	bool fresh = m.type == BFT_MSG_REQUEST && (!p->seen_req || m.t_a > p->req_ta);
	if (!expected) {
		/* Anyone can claim to be this peer: spend a verification only
		 * within the key's, the address's and the total budget. The key's
		 * is only looked at here; only a valid fresh REQUEST takes from it. */
		bftd_bucket *v = &rl->vslot[slot_of(rl, from)];
		refill(&p->key, rl->rate_per_s, rl->burst, now_ns);
		refill(v, rl->rate_per_s, rl->burst, now_ns);
		refill(&rl->total, BFTD_VERIFY_PER_S, BFTD_VERIFY_BURST, now_ns);
		if (p->key.tokens_milli < 1000) {
			rl->stats.dropped_key++;
			return BFTD_GATE_DROP;
		}
		if (v->tokens_milli < 1000 || rl->total.tokens_milli < 1000) {
			rl->stats.dropped_verify++;
			return BFTD_GATE_DROP;
		}
		(void)take(v);
		(void)take(&rl->total);
	}
	if (!rl->outer)
		return BFTD_GATE_PASS; /* no verifier attached: the node checks it itself */
	int ok = rl->inner.verify(rl->inner.ctx, m.from, buf, signed_len, m.sig, m.sig_len);
	rl->stats.verified++;
	rl->stats.expected += expected;
	if (ok != 0) {
		rl->stats.bad_sig++;
	} else {
		if (expected && m.type == BFT_MSG_RESPONSE)
			p->req_tries = 0; /* answered: the node takes it and expects no other */
		else if (expected)
			p->resp_tries = 0;
		if (fresh) {
			(void)take(&p->key);
			p->seen_req = true;
			p->req_ta = m.t_a;
		}
	}
	rl->cur.set = true;
	rl->cur.result = ok;
	rl->cur.msg = buf;
	rl->cur.len = signed_len;
	rl->cur.from = m.from;
	memcpy(rl->cur.sig, m.sig, m.sig_len);
	rl->cur.sig_len = m.sig_len;
	rl->cur.peer = i;
	rl->cur.type = m.type;
	rl->cur.t_a = m.t_a;
	return BFTD_GATE_CHECKED;
}

void bftd_gate_done(bftd_ratelimit *rl, int node_rc)
{
	/* A REQUEST the node took may be older than the newest seen: the node
	 * starts a peer over whose stamps went back for four polls (it
	 * restarted), and so does the gate's idea of fresh. */
	if (rl->cur.msg && rl->cur.result == 0 && rl->cur.type == BFT_MSG_REQUEST && node_rc == 0) {
		rl->peer[rl->cur.peer].seen_req = true;
		rl->peer[rl->cur.peer].req_ta = rl->cur.t_a;
	}
	rl->cur.set = false;
	rl->cur.msg = NULL;
}

void bftd_gate_sent(bftd_ratelimit *rl, size_t peer, const uint8_t *buf, size_t len)
{
	bft_msg m;
	size_t signed_len;
	if (peer >= BFTD_MAX_PEERS || bft_wire_decode(&m, &signed_len, buf, len) != 0)
		return;
	bftd_gate_peer *p = &rl->peer[peer];
	if (m.type == BFT_MSG_REQUEST) {
		p->req_nonce = m.nonce;
		p->req_tries = BFTD_GATE_TRIES;
	} else if (m.type == BFT_MSG_RESPONSE) {
		p->resp_nonce = m.nonce;
		p->resp_nonce2 = m.nonce2;
		p->resp_tries = BFTD_GATE_TRIES;
	}
}

void bftd_addr_format(char *out, size_t cap, const struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s:%u", host, ntohs(a->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		snprintf(out, cap, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		snprintf(out, cap, "(family %d)", ss->ss_family);
	}
}
