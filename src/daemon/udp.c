/* SPDX-License-Identifier: MIT */
/*
 * UDP and the rate limiter (udp.h).
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

bool bftd_ratelimit_allow(bftd_ratelimit *rl, const struct sockaddr_storage *from, int64_t now_ns)
{
	size_t i = slot_of(rl, from);
	int64_t cap = (int64_t)rl->burst * 1000;
	if (rl->slot[i].last_ns == 0) {
		rl->slot[i].tokens_milli = cap;
		rl->slot[i].last_ns = now_ns;
	} else if (now_ns > rl->slot[i].last_ns) {
		/* tokens += elapsed * rate, in thousandths; elapsed capped first so
		 * the product cannot overflow after a long silence (rate <= 1e6). */
		int64_t el = now_ns - rl->slot[i].last_ns;
		if (el > 1000 * BFT_NS_PER_SEC)
			el = 1000 * BFT_NS_PER_SEC;
		int64_t add = el * (int64_t)rl->rate_per_s / 1000000;
		rl->slot[i].tokens_milli += add;
		if (rl->slot[i].tokens_milli >= cap) {
			rl->slot[i].tokens_milli = cap;
			rl->slot[i].last_ns = now_ns;
		} else {
			/* only the time those thousandths took: the remainder
			 * carries over, so datagrams closer together than a
			 * thousandth's worth still refill at the rate */
			rl->slot[i].last_ns += add * 1000000 / (int64_t)rl->rate_per_s;
		}
	}
	if (rl->slot[i].tokens_milli < 1000)
		return false;
	rl->slot[i].tokens_milli -= 1000;
	return true;
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
