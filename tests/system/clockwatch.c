/* SPDX-License-Identifier: MIT */
/*
 * clockwatch: watches this host's clocks while the tests run, so that a
 * system test failing against CLOCK_REALTIME can be told apart from the host
 * clock moving under it. Most system tests take CLOCK_REALTIME as the truth
 * (the `simulated` reference reads it); a step of it by anyone (a VM's
 * guest agent after a pause, an operator) is a step of the truth, which
 * bftimed refuses as a jump, as designed. One CI run failed three such
 * tests in one ten-minute window with signs of a 445 ms step; nothing of
 * ours adjusts the clock (README, "Tests and the host clock").
 *
 *   clockwatch --out FILE [--every-ms 10] [--step-us 1000] [--stall-ms 250] [--max-s 14400]
 *
 * Every `every` ms it reads CLOCK_MONOTONIC_RAW, CLOCK_REALTIME and
 * CLOCK_BOOTTIME, and writes a line to FILE when, since the last read,
 * - REALTIME moved against MONOTONIC_RAW by more than `step` ("step"): a
 *   step or a slew faster than step per `every`;
 * - BOOTTIME moved against MONOTONIC_RAW by more than `step` ("suspend");
 * - MONOTONIC_RAW advanced by more than `stall` ("stall"): this process did
 *   not run for that long (a paused VM, a starved host).
 * Each line: the REALTIME of the read (seconds, 3 decimals, UTC), the kind,
 * and the size in microseconds. A test tool, not part of bftime: it reads
 * the clocks itself and never sets one. It stops on SIGTERM or SIGINT or
 * after max-s seconds (bounded, as every loop of a test).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: clockwatch --out FILE [--every-ms N] [--step-us N] [--stall-ms N] [--max-s N]\n");
	return 2;
}

static int num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	int64_t every_ms = 10, step_us = 1000, stall_ms = 250, max_s = 14400;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		const char *k = argv[i], *v = argv[++i];
		int bad = 0;
		if (!strcmp(k, "--out"))
			out = v;
		else if (!strcmp(k, "--every-ms"))
			bad = num(v, 1, 1000, &every_ms);
		else if (!strcmp(k, "--step-us"))
			bad = num(v, 1, 10000000, &step_us);
		else if (!strcmp(k, "--stall-ms"))
			bad = num(v, 1, 600000, &stall_ms);
		else if (!strcmp(k, "--max-s"))
			bad = num(v, 1, 7 * 86400, &max_s);
		else
			return usage();
		if (bad) {
			fprintf(stderr, "clockwatch: %s: not a number in range: %s\n", k, v);
			return 2;
		}
	}
	if (!out)
		return usage();
	FILE *f = fopen(out, "a");
	if (!f) {
		fprintf(stderr, "clockwatch: %s: %s\n", out, strerror(errno));
		return 1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int64_t raw0 = now_ns(CLOCK_MONOTONIC_RAW), prev_raw = raw0;
	int64_t prev_rt = now_ns(CLOCK_REALTIME) - raw0, prev_boot = now_ns(CLOCK_BOOTTIME) - raw0;
	struct timespec nap = { 0, (long)(every_ms * 1000000) };
	uint64_t reads = 0, events = 0;
	while (!stop && prev_raw - raw0 < max_s * 1000000000) {
		nanosleep(&nap, NULL);
		int64_t a = now_ns(CLOCK_MONOTONIC_RAW), rt = now_ns(CLOCK_REALTIME), bt = now_ns(CLOCK_BOOTTIME);
		int64_t b = now_ns(CLOCK_MONOTONIC_RAW), raw = a + (b - a) / 2;
		int64_t d_rt = (rt - raw) - prev_rt, d_bt = (bt - raw) - prev_boot;
		reads++;
		/* A read pair split by a preemption reads as a move of its own
		 * length: such a read is dropped, the baseline kept. */
		if (b - a > step_us * 1000 / 2)
			continue;
		char when[32];
		snprintf(when, sizeof when, "%lld.%03lld", (long long)(rt / 1000000000), (long long)(rt % 1000000000 / 1000000));
		if (d_rt > step_us * 1000 || d_rt < -step_us * 1000)
			fprintf(f, "%s step %+lld us\n", when, (long long)(d_rt / 1000)), events++;
		if (d_bt > step_us * 1000 || d_bt < -step_us * 1000)
			fprintf(f, "%s suspend %+lld us\n", when, (long long)(d_bt / 1000)), events++;
		if (raw - prev_raw > stall_ms * 1000000)
			fprintf(f, "%s stall %lld us\n", when, (long long)((raw - prev_raw) / 1000)), events++;
		prev_raw = raw, prev_rt = rt - raw, prev_boot = bt - raw;
	}
	fprintf(f, "# %llu reads over %lld s, %llu events\n", (unsigned long long)reads,
	        (long long)((prev_raw - raw0) / 1000000000), (unsigned long long)events);
	fclose(f);
	return 0;
}
