/* SPDX-License-Identifier: MIT */
/*
 * bftime-echo: a batched UDP echo server (recvmmsg/sendmmsg, 64 datagrams
 * per call), the serving benchmark's yardstick: what this machine's path
 * (loopback, the kernel's UDP code, one core) allows a server that does no
 * work of its own (scripts/bench_ntp_serve.sh, docs/benchmarks.md).
 *
 *   bftime-echo IP:PORT [--timestamps]     runs until killed
 *
 * --timestamps: each datagram is received with its kernel arrival stamp
 * (SO_TIMESTAMPNS, a control message per datagram), as an NTP server must
 * (its receive timestamp), and nothing is done with it: the yardstick for
 * the part of the kernel's work an honest NTP server cannot avoid.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

int main(int argc, char **argv)
{
	int ts = argc == 3 && !strcmp(argv[2], "--timestamps");
	if ((argc != 2 && !ts) || !strchr(argv[1], ':')) {
		fprintf(stderr, "usage: bftime-echo IP:PORT [--timestamps]\n");
		return 2;
	}
	char host[64];
	snprintf(host, sizeof host, "%.*s", (int)(strrchr(argv[1], ':') - argv[1]), argv[1]);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(strrchr(argv[1], ':') + 1)) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 1 << 22;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	int one = 1;
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    (ts && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) != 0)) {
		perror("bftime-echo");
		return 1;
	}
	static unsigned char buf[BATCH][2048];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	static union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl[BATCH];
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof buf[i] };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i], .msg_namelen = sizeof from[i],
			                                     .msg_iov = &iov[i], .msg_iovlen = 1,
			                                     .msg_control = ts ? ctl[i].buf : NULL,
			                                     .msg_controllen = ts ? sizeof ctl[i].buf : 0 } };
		}
		int r = recvmmsg(fd, m, BATCH, MSG_WAITFORONE, NULL);
		if (r <= 0)
			continue;
		for (int i = 0; i < r; i++) {
			iov[i].iov_len = m[i].msg_len;
			m[i].msg_hdr.msg_control = NULL; /* the stamp is not sent back */
			m[i].msg_hdr.msg_controllen = 0;
		}
		sendmmsg(fd, m, (unsigned)r, 0);
	}
}
