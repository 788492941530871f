/* SPDX-License-Identifier: MIT */
/*
 * The OS clock module's conversions of kernel CLOCK_REALTIME stamps to the
 * raw clock (sys/clock.h). Reads only. The step and slew cases cannot be
 * made here (the clock is never changed), so the tests check the rules that
 * keep the result late: no correction without a mark before the stamp, a
 * correction shrunk by 10 %, none beyond 1 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <bftime/common.h>

#include "sys/clock.h"

#define MS INT64_C(1000000)

static void test_arrival(void **state)
{
	(void)state;
	/* A stamp older than every mark: no correction, the read itself. */
	int64_t before = bft_clock_raw_ns();
	int64_t a = bft_clock_arrival_raw_ns(bft_clock_realtime_ns() - 10 * MS);
	assert_true(a >= before && a - before < 5 * MS);
	bft_clock_mark();
	usleep(60000);
	/* A stamp 20 ms ago, after the mark: moved back by 90 % of the wait
	 * (less the microsecond for the reads), never more than the wait. */
	int64_t krt = bft_clock_realtime_ns() - 20 * MS;
	int64_t raw_now = bft_clock_raw_ns();
	a = bft_clock_arrival_raw_ns(krt);
	int64_t back = raw_now - a;
	assert_true(back >= 17 * MS && back <= 20 * MS);
	/* No stamp, a stamp from the future, or one over a second old. */
	raw_now = bft_clock_raw_ns();
	assert_true(bft_clock_arrival_raw_ns(0) >= raw_now);
	assert_true(bft_clock_arrival_raw_ns(bft_clock_realtime_ns() + 5 * MS) >= raw_now);
	assert_true(bft_clock_arrival_raw_ns(bft_clock_realtime_ns() - 2 * BFT_NS_PER_SEC) >= raw_now);
}

static void test_realtime_to_raw_span(void **state)
{
	(void)state;
	int64_t span;
	/* Older than every mark: a span of a second (no usable conversion). */
	(void)bft_clock_realtime_to_raw_ns(bft_clock_realtime_ns() - 3600 * BFT_NS_PER_SEC, &span);
	assert_true(span >= BFT_NS_PER_SEC);
	bft_clock_mark();
	usleep(60000);
	int64_t rt = bft_clock_realtime_ns() - 10 * MS, now = bft_clock_raw_ns();
	int64_t raw = bft_clock_realtime_to_raw_ns(rt, &span);
	assert_true(span < MS); /* no step since the mark: the reads' own error */
	assert_true(llabs(now - 10 * MS - raw) < 2 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arrival),
		cmocka_unit_test(test_realtime_to_raw_span),
	};
	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
