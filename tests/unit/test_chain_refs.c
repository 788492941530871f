/* SPDX-License-Identifier: MIT */
/*
 * The identities bftimed's chain statements name for its configured
 * references (src/daemon/chain.c, bftd_chain_refs; docs/nakamoto.md): GPS
 * receivers the constellation, NTP servers their address (IPv4 mapped into
 * IPv6), solar radio its band's centre, and "simulated i + 1" for what has
 * no shared identity (a simulated or system reference, a server that does
 * not resolve). No name here needs DNS: numeric addresses only, and the
 * empty name, which fails without asking a resolver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/chain.h"
#include "proto/chain_wire.h"
#include "refclock/refclock.h"

static void expect_sim(const bft_cref *r, uint32_t n)
{
	bft_cref want = { .kind = BFT_CREF_SIM };
	want.id[0] = (uint8_t)(n >> 24);
	want.id[1] = (uint8_t)(n >> 16);
	want.id[2] = (uint8_t)(n >> 8);
	want.id[3] = (uint8_t)n;
	assert_true(bft_cref_equal(r, &want));
}

static void test_identities(void **state)
{
	(void)state;
	bftd_ref refs[9];
	memset(refs, 0, sizeof refs);
	refs[0].kind = BFTD_REF_NMEA;
	refs[1].kind = BFTD_REF_GPSD;
	refs[2].kind = BFTD_REF_NTP;
	strcpy(refs[2].server, "192.0.2.7:123");
	refs[3].kind = BFTD_REF_NTP;
	strcpy(refs[3].server, "[2001:db8::1]:4123");
	refs[4].kind = BFTD_REF_NTP;
	strcpy(refs[4].server, "2001:db8::2");
	refs[5].kind = BFTD_REF_NTP; /* does not resolve: the simulated identity, logged */
	strcpy(refs[5].name, "nowhere");
	refs[6].kind = BFTD_REF_SOLAR;
	refs[6].solar.centre_hz = 1420405752;
	refs[7].kind = BFTD_REF_SIMULATED;
	refs[8].kind = BFTD_REF_SYSTEM;
	bft_cref out[9];
	bftd_chain_refs(refs, 9, out);
	for (size_t i = 0; i < 9; i++)
		assert_true(bft_cref_valid(&out[i]));

	bft_cref gps = { .kind = BFT_CREF_GNSS, .id = { BFT_GNSS_GPS } };
	assert_true(bft_cref_equal(&out[0], &gps));
	assert_true(bft_cref_equal(&out[1], &gps)); /* one constellation, whatever the driver */

	bft_cref v4 = { .kind = BFT_CREF_NTP, .id = { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 7 } };
	assert_true(bft_cref_equal(&out[2], &v4)); /* the port is not part of it */
	bft_cref v6 = { .kind = BFT_CREF_NTP, .id = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
	assert_true(bft_cref_equal(&out[3], &v6));
	v6.id[15] = 2;
	assert_true(bft_cref_equal(&out[4], &v6));
	expect_sim(&out[5], 6);

	bft_cref solar = { .kind = BFT_CREF_SOLAR, .id = { 0x00, 0x15, 0xac, 0x75 } }; /* 1420405 kHz */
	assert_true(bft_cref_equal(&out[6], &solar));
	expect_sim(&out[7], 8);
	expect_sim(&out[8], 9);
}

static void test_solar_without_band(void **state)
{
	(void)state;
	bftd_ref r;
	memset(&r, 0, sizeof r);
	r.kind = BFTD_REF_SOLAR; /* no centre: nothing to name; the simulated identity */
	bft_cref out;
	bftd_chain_refs(&r, 1, &out);
	expect_sim(&out, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_solar_without_band),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
