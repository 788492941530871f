/* SPDX-License-Identifier: MIT */
/*
 * The per-address token bucket in front of every datagram (src/daemon/udp.c):
 * its burst, its rate under a stream of any spacing (a review found that
 * datagrams closer together than a thousandth of a token's worth refilled
 * nothing at all), the cap after a silence, and addresses kept apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/udp.h"

#define MS (BFT_NS_PER_SEC / 1000)
#define US (BFT_NS_PER_SEC / 1000000)

static struct sockaddr_storage v4(const char *ip)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(7300);
	assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
	return ss;
}

/* Datagrams every step_ns for span_ns: how many get through. */
static int stream(bftd_ratelimit *rl, const struct sockaddr_storage *from, int64_t t0, int64_t step_ns, int64_t span_ns)
{
	int ok = 0;
	for (int64_t t = t0; t < t0 + span_ns; t += step_ns)
		ok += bftd_ratelimit_allow(rl, from, t);
	return ok;
}

static void test_burst_and_rate(void **st)
{
	(void)st;
	static bftd_ratelimit rl;
	struct sockaddr_storage a = v4("192.0.2.1");
	/* Every spacing, from a flood 1 us apart to one a few ms apart: the
	 * burst, then the rate (20/s over 10 s: 200), never more, and never
	 * (as before the fix) the burst alone. */
	const int64_t steps[] = { 1 * US, 40 * US, 49 * US, 50 * US, 333 * US, 3 * MS, 7 * MS };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		bftd_ratelimit_init(&rl, 20, 40, 12345);
		int ok = stream(&rl, &a, BFT_NS_PER_SEC, steps[i], 10 * BFT_NS_PER_SEC);
		print_message("step %lld ns: %d of a stream passed (burst 40 + 20/s x 10 s = 240)\n", (long long)steps[i], ok);
		assert_in_range(ok, 239, 241);
	}
}

static void test_cap_after_silence(void **st)
{
	(void)st;
	static bftd_ratelimit rl;
	bftd_ratelimit_init(&rl, 20, 40, 1);
	struct sockaddr_storage a = v4("192.0.2.1");
	int64_t t = BFT_NS_PER_SEC;
	assert_int_equal(stream(&rl, &a, t, US, MS), 40); /* the burst, then nothing */
	t += 3600 * BFT_NS_PER_SEC;                         /* an hour of silence: the burst again, no more */
	assert_int_equal(stream(&rl, &a, t, US, MS), 40);
	/* A clock that does not advance (or steps back) refills nothing. */
	assert_false(bftd_ratelimit_allow(&rl, &a, t));
	assert_false(bftd_ratelimit_allow(&rl, &a, t - BFT_NS_PER_SEC));
}

static void test_addresses_apart(void **st)
{
	(void)st;
	static bftd_ratelimit rl;
	bftd_ratelimit_init(&rl, 1, 2, 99);
	struct sockaddr_storage flood = v4("198.51.100.7");
	int64_t t = BFT_NS_PER_SEC;
	assert_int_equal(stream(&rl, &flood, t, US, MS), 2);
	/* Others still pass (1024 slots; the key makes collisions unforeseeable). */
	int others = 0;
	for (int i = 1; i <= 50; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "203.0.113.%d", i);
		struct sockaddr_storage o = v4(ip);
		others += bftd_ratelimit_allow(&rl, &o, t + MS);
	}
	assert_true(others >= 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_rate),
		cmocka_unit_test(test_cap_after_silence),
		cmocka_unit_test(test_addresses_apart),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
