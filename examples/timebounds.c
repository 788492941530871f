/* SPDX-License-Identifier: MIT */
/*
 * Reading bftimed's time-bounds page from an application: open the page,
 * ask for [earliest, latest] and the status, print them with CLOCK_REALTIME
 * for comparison. Build: make (build/examples/timebounds); run:
 *
 *   build/examples/timebounds [PATH] [--count N] [--interval-ms M]
 *
 * One line per reading, "key=value" pairs that scripts can pick apart:
 *   status=synchronized earliest_ns=... latest_ns=... estimate_ns=... realtime_ns=... width_ns=...
 * Exit status 0, or 1 if the page cannot be opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bftime/timebounds.h>

int main(int argc, char **argv)
{
	const char *path = NULL;
	long count = 1, interval_ms = 1000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc)
			interval_ms = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else {
			fprintf(stderr, "usage: %s [PATH] [--count N] [--interval-ms M]\n", argv[0]);
			return 2;
		}
	}
	bft_timebounds *clk;
	char why[512];
	if (bft_timebounds_open_why(&clk, path, why, sizeof why) != 0) {
		fprintf(stderr, "cannot open the time-bounds page %s\n", why);
		return 1;
	}
	for (long n = 0; n < count; n++) {
		if (n > 0) {
			struct timespec d = { interval_ms / 1000, (interval_ms % 1000) * 1000000 };
			nanosleep(&d, NULL);
		}
		int64_t lo, hi, est;
		enum bft_timebounds_status st;
		struct timespec rt;
		bft_timebounds_now_estimate(clk, &lo, &hi, &est, &st);
		clock_gettime(CLOCK_REALTIME, &rt);
		long long rt_ns = (long long)rt.tv_sec * 1000000000LL + rt.tv_nsec;
		if (st == BFT_TIMEBOUNDS_UNKNOWN)
			printf("status=%s realtime_ns=%lld\n", bft_timebounds_status_name(st), rt_ns);
		else
			printf("status=%s earliest_ns=%lld latest_ns=%lld estimate_ns=%lld realtime_ns=%lld "
			       "width_ns=%lld\n",
			       bft_timebounds_status_name(st), (long long)lo, (long long)hi, (long long)est, rt_ns,
			       (long long)(hi - lo));
		fflush(stdout);
	}
	bft_timebounds_close(clk);
	return 0;
}
