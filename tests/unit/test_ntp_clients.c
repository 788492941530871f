/* SPDX-License-Identifier: MIT */
/*
 * The NTP server's per-client rate limiter (src/daemon/ntp_clients.c): each
 * address its own bucket (burst, then the rate), however many clients there
 * are; the table grows for clients whose buckets are still refilling and
 * reuses the entries of full ones; an abuser stays limited while the table
 * grows around it; at the bound, entries are given up (counted) and no
 * fresh client is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/ntp_clients.h"

static struct sockaddr_storage v4(uint32_t a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(a);
	return ss;
}

#define T0 ((int64_t)1000 * BFT_NS_PER_SEC)
#define NS_PER_MS ((int64_t)1000000)

static void test_one_client(void **state)
{
	(void)state;
	bftd_clients *t = bftd_clients_new(16, 32, 7);
	assert_non_null(t);
	struct sockaddr_storage a = v4(0x7f010001), b = v4(0x7f010002);
	for (int i = 0; i < 32; i++)
		assert_true(bftd_clients_allow(t, &a, T0));
	assert_false(bftd_clients_allow(t, &a, T0));
	assert_true(bftd_clients_allow(t, &b, T0)); /* another address: its own bucket */
	/* 16/s: one token per 62.5 ms */
	assert_false(bftd_clients_allow(t, &a, T0 + 60 * NS_PER_MS));
	assert_true(bftd_clients_allow(t, &a, T0 + 63 * NS_PER_MS));
	assert_false(bftd_clients_allow(t, &a, T0 + 64 * NS_PER_MS));
	bftd_clients_free(t);
}

/* 200,000 clients, two requests each within a second, an abuser sending
 * all along: every client answered, the abuser held to its rate. */
static void test_many_clients_and_an_abuser(void **state)
{
	(void)state;
	bftd_clients *t = bftd_clients_new(16, 32, 11);
	assert_non_null(t);
	struct sockaddr_storage ab = v4(0x7f640001);
	size_t refused = 0, abuser_ok = 0;
	const int n = 200000;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < n; i++) {
			int64_t now = T0 + round * 500 * NS_PER_MS + (int64_t)i * 1000; /* 200k/s */
			struct sockaddr_storage c = v4(0x7f010000u + (uint32_t)i);
			refused += !bftd_clients_allow(t, &c, now);
			if (i % 10 == 0)
				abuser_ok += bftd_clients_allow(t, &ab, now);
		}
	assert_int_equal(refused, 0);
	/* 40,000 requests over about 0.7 s: the burst and 16/s */
	assert_true(abuser_ok >= 32 && abuser_ok <= 32 + 16);
	size_t cap = bftd_clients_capacity(t);
	assert_true(cap >= (size_t)n && cap <= BFTD_CLIENTS_MAX);
	assert_int_equal(bftd_clients_evicted(t), 0);
	/* Ten seconds later every bucket is full: a new crowd reuses the entries. */
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage c = v4(0x7f200000u + (uint32_t)i);
		assert_true(bftd_clients_allow(t, &c, T0 + 10 * BFT_NS_PER_SEC + (int64_t)i * 1000));
	}
	assert_int_equal(bftd_clients_capacity(t), cap);
	bftd_clients_free(t);
}

/* More clients at once than the bound: entries given up and counted, no
 * fresh client refused. */
static void test_bound(void **state)
{
	(void)state;
	bftd_clients *t = bftd_clients_new(16, 32, 13);
	assert_non_null(t);
	size_t refused = 0;
	for (uint32_t i = 0; i < BFTD_CLIENTS_MAX + BFTD_CLIENTS_MAX / 4; i++) {
		struct sockaddr_storage c = v4(0x7f000000u + i);
		refused += !bftd_clients_allow(t, &c, T0 + i); /* within 2 ms: every bucket refilling */
	}
	assert_int_equal(refused, 0);
	assert_int_equal(bftd_clients_capacity(t), BFTD_CLIENTS_MAX);
	assert_true(bftd_clients_evicted(t) >= BFTD_CLIENTS_MAX / 4);
	bftd_clients_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_client),
		cmocka_unit_test(test_many_clients_and_an_abuser),
		cmocka_unit_test(test_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
