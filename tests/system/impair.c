/* SPDX-License-Identifier: MIT */
/*
 * impair: the delay, jitter and loss of `tc qdisc ... netem`, for kernels
 * built without sch_netem (the test machines'), used by test_netns.sh. Run
 * inside a network namespace, it receives the packets an iptables NFQUEUE
 * rule hands it (that namespace's egress) and gives each its verdict later:
 * NF_DROP with probability `loss`, else NF_ACCEPT after `delay` plus a
 * uniform draw in [-jitter, +jitter] (netem's default distribution, so
 * packets may be reordered, as with netem). Packets wait in the kernel's
 * queue meanwhile; only their metadata crosses (NFQNL_COPY_META).
 *
 *   impair --queue N --delay 5ms [--jitter 2ms] [--loss 1] [--seed S] [--stats FILE]
 *
 * It prints "ready" once the queue is bound, so the caller can start what
 * it impairs, and on SIGTERM or SIGINT writes one line of counts to FILE (or
 * standard output): "packets P accepted A dropped D delay_min_us X
 * delay_max_us Y". A test tool, not part of bftime: it reads the clock it
 * needs (CLOCK_MONOTONIC) itself.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/value.h"

#define PENDING_MAX 65536

typedef struct {
	int64_t due_ns;
	uint32_t id;
} pending;

static struct {
	struct nfq_q_handle *qh;
	int64_t delay_ns, jitter_ns;
	double loss;
	uint64_t rng;
	pending heap[PENDING_MAX]; /* min-heap on due_ns */
	size_t n;
	uint64_t packets, accepted, dropped, overflow;
	int64_t dmin_ns, dmax_ns;
} S;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: reproducible draws from --seed */
static uint64_t next_u64(void)
{
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * UINT64_C(2685821657736338717);
}

static double uniform01(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static void heap_push(int64_t due, uint32_t id)
{
	size_t i = S.n++;
	while (i > 0 && S.heap[(i - 1) / 2].due_ns > due) {
		S.heap[i] = S.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	S.heap[i] = (pending){ due, id };
}

static pending heap_pop(void)
{
	pending top = S.heap[0], last = S.heap[--S.n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= S.n)
			break;
		if (c + 1 < S.n && S.heap[c + 1].due_ns < S.heap[c].due_ns)
			c++;
		if (S.heap[c].due_ns >= last.due_ns)
			break;
		S.heap[i] = S.heap[c];
		i = c;
	}
	if (S.n)
		S.heap[i] = last;
	return top;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	(void)msg;
	(void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	S.packets++;
	if (uniform01() * 100.0 < S.loss) {
		S.dropped++;
		return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
	}
	int64_t d = S.delay_ns;
	if (S.jitter_ns > 0)
		d += (int64_t)((2.0 * uniform01() - 1.0) * (double)S.jitter_ns);
	if (d < 0)
		d = 0;
	if (S.n == PENDING_MAX) { /* the kernel's queue would overflow first */
		S.overflow++;
		S.accepted++;
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
	}
	heap_push(now_ns() + d, id);
	if (d < S.dmin_ns)
		S.dmin_ns = d;
	if (d > S.dmax_ns)
		S.dmax_ns = d;
	return 0;
}

static void release_due(int64_t now)
{
	while (S.n && S.heap[0].due_ns <= now) {
		pending p = heap_pop();
		nfq_set_verdict(S.qh, p.id, NF_ACCEPT, 0, NULL);
		S.accepted++;
	}
}

/* A duration in the one grammar (src/util/value.h: "5ms", "200us", "1s",
 * "0"), not negative: nanoseconds, or -1. */
static int64_t parse_duration(const char *s)
{
	int64_t v;
	return bft_duration_parse(&v, s) == 0 && v >= 0 ? v : -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: impair --queue N --delay D [--jitter D] [--loss PERCENT] [--seed S] [--stats FILE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int queue = -1;
	const char *stats = NULL;
	S.delay_ns = -1;
	S.dmin_ns = INT64_MAX;
	S.rng = 0x9e3779b97f4a7c15u;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage();
		if (!strcmp(a, "--queue"))
			queue = atoi(v);
		else if (!strcmp(a, "--delay"))
			S.delay_ns = parse_duration(v);
		else if (!strcmp(a, "--jitter"))
			S.jitter_ns = parse_duration(v);
		else if (!strcmp(a, "--loss"))
			S.loss = strtod(v, NULL);
		else if (!strcmp(a, "--seed"))
			S.rng = strtoull(v, NULL, 0) | 1;
		else if (!strcmp(a, "--stats"))
			stats = v;
		else
			return usage();
		i++;
	}
	if (queue < 0 || queue > 65535 || S.delay_ns < 0 || S.jitter_ns < 0 || S.loss < 0 || S.loss > 100)
		return usage();

	struct nfq_handle *h = nfq_open();
	if (!h) {
		perror("impair: nfq_open");
		return 1;
	}
	nfq_unbind_pf(h, AF_INET); /* older kernels want it; newer ignore it */
	if (nfq_bind_pf(h, AF_INET) < 0) {
		perror("impair: nfq_bind_pf");
		return 1;
	}
	S.qh = nfq_create_queue(h, (uint16_t)queue, on_packet, NULL);
	if (!S.qh) {
		perror("impair: nfq_create_queue");
		return 1;
	}
	if (nfq_set_mode(S.qh, NFQNL_COPY_META, 0) < 0 || nfq_set_queue_maxlen(S.qh, 8192) < 0) {
		perror("impair: queue setup");
		return 1;
	}
	int fd = nfq_fd(h);
	int one = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

	/* The stop signals are blocked except inside ppoll, so one that comes
	 * between the loop's test and the wait still ends the wait. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	printf("ready\n");
	fflush(stdout);

	char buf[65536];
	while (!stop) {
		struct timespec ts, *tp = NULL;
		if (S.n) {
			int64_t w = S.heap[0].due_ns - now_ns();
			if (w < 0)
				w = 0;
			ts.tv_sec = w / 1000000000;
			ts.tv_nsec = w % 1000000000;
			tp = &ts;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = ppoll(&p, 1, tp, &waitmask);
		if (r < 0 && errno != EINTR) {
			perror("impair: ppoll");
			break;
		}
		if (r > 0) {
			for (;;) {
				ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
				if (k <= 0)
					break;
				nfq_handle_packet(h, buf, (int)k);
			}
		}
		release_due(now_ns());
	}
	/* what is still held goes out now rather than being lost */
	while (S.n) {
		pending q = heap_pop();
		nfq_set_verdict(S.qh, q.id, NF_ACCEPT, 0, NULL);
		S.accepted++;
	}
	FILE *out = stats ? fopen(stats, "w") : stdout;
	if (out) {
		fprintf(out, "packets %llu accepted %llu dropped %llu delay_min_us %lld delay_max_us %lld overflow %llu\n",
		        (unsigned long long)S.packets, (unsigned long long)S.accepted, (unsigned long long)S.dropped,
		        (long long)(S.dmin_ns == INT64_MAX ? 0 : S.dmin_ns / 1000), (long long)(S.dmax_ns / 1000), (unsigned long long)S.overflow);
		if (out != stdout)
			fclose(out);
	}
	nfq_destroy_queue(S.qh);
	nfq_close(h);
	return 0;
}
