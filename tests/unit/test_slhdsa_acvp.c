/* SPDX-License-Identifier: MIT */
/*
 * NIST ACVP signature-verification vectors for SLH-DSA (FIPS 205): eight
 * cases of the vsId 53 sigVer sample (tests/unit/data/slhdsa_sigver_acvp.txt
 * says where they come from), five parameter sets (SHA2-192s, SHA2-256f,
 * SHAKE-192s, SHAKE-256f, SHAKE-128f), accepted and rejected ones (a wrong
 * length, a changed signature). Each must get NIST's verdict from
 * bft_slhdsa_verify_internal; each accepted one must be refused with one
 * bit of its signature or message changed. With the keyGen vectors and the
 * noble comparisons in test_slhdsa.c, this covers verification of every
 * hash family and size class against published answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/slhdsa.h"

#define DATA "tests/unit/data/slhdsa_sigver_acvp.txt" /* make test runs from the top directory */

static size_t unhex(uint8_t *out, size_t cap, const char *h)
{
	if (!strcmp(h, "-"))
		return 0;
	size_t n = strlen(h);
	assert_int_equal(n % 2, 0);
	assert_true(n / 2 <= cap);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

static void test_sigver(void **state)
{
	(void)state;
	FILE *f = fopen(DATA, "r");
	if (!f)
		fail_msg("cannot open %s (run from the top directory, as make test does)", DATA);
	size_t cap = 2 * (BFT_SLHDSA_MAX_SIG + 16384) + 4096;
	char *line = malloc(cap);
	uint8_t *msg = malloc(16384), *sig = malloc(BFT_SLHDSA_MAX_SIG + 16), pk[BFT_SLHDSA_MAX_PK];
	assert_true(line && msg && sig);
	int cases = 0, accepted = 0, sets_seen = 0;
	unsigned seen_mask = 0;
	while (fgets(line, (int)cap, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *save = NULL;
		int tc = atoi(strtok_r(line, " ", &save));
		const bft_slhdsa_params *p = bft_slhdsa_params_by_name(strtok_r(NULL, " ", &save));
		assert_non_null(p);
		int expect = atoi(strtok_r(NULL, " ", &save));
		size_t pl = unhex(pk, sizeof pk, strtok_r(NULL, " ", &save));
		size_t ml = unhex(msg, 16384, strtok_r(NULL, " ", &save));
		size_t sl = unhex(sig, BFT_SLHDSA_MAX_SIG + 16, strtok_r(NULL, " \n", &save));
		assert_int_equal(pl, p->pk_len);
		int ok = bft_slhdsa_verify_internal(p, msg, ml, sig, sl, pk) == 0;
		if (ok != expect)
			fail_msg("ACVP sigVer tcId %d (%s): NIST says %s, bftime %s", tc, p->name,
			         expect ? "valid" : "invalid", ok ? "valid" : "invalid");
		if (expect) {
			sig[sl / 2] ^= 0x01;
			assert_int_not_equal(bft_slhdsa_verify_internal(p, msg, ml, sig, sl, pk), 0);
			sig[sl / 2] ^= 0x01;
			if (ml) {
				msg[0] ^= 0x80;
				assert_int_not_equal(bft_slhdsa_verify_internal(p, msg, ml, sig, sl, pk), 0);
			}
			accepted++;
		}
		if (!(seen_mask & (1u << p->id)))
			sets_seen++;
		seen_mask |= 1u << p->id;
		cases++;
	}
	fclose(f);
	free(line);
	free(msg);
	free(sig);
	print_message("%d ACVP sigVer cases (%d valid) over %d parameter sets agree with NIST\n", cases, accepted, sets_seen);
	assert_int_equal(cases, 8);
	assert_int_equal(accepted, 5);
	assert_int_equal(sets_seen, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
