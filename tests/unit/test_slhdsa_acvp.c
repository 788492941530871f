/* SPDX-License-Identifier: MIT */
/*
 * NIST ACVP vectors for SLH-DSA (FIPS 205).
 *
 * Signature generation: 21 cases of the vsId 53 sigGen sample
 * (tests/unit/data/slhdsa_siggen_acvp.txt says where they come from and
 * which), every parameter set, deterministic and hedged (NIST's
 * additionalRandomness as addrnd), pure and each of the twelve pre-hash
 * functions, with contexts: bftime's signature must be NIST's byte for byte
 * (compared by SHA-256 and its first 16 bytes) and verify.
 *
 * Signature verification: eight
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

#include <openssl/evp.h>

#include "proto/slhdsa.h"

#define DATA "tests/unit/data/slhdsa_sigver_acvp.txt" /* make test runs from the top directory */
#define SIGGEN "tests/unit/data/slhdsa_siggen_acvp.txt"

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

static void hex_of(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_siggen(void **state)
{
	(void)state;
	FILE *f = fopen(SIGGEN, "r");
	if (!f)
		fail_msg("cannot open %s (run from the top directory, as make test does)", SIGGEN);
	size_t cap = 2 * 16384 + 4096;
	char *line = malloc(cap);
	uint8_t *msg = malloc(16384), *sig = malloc(BFT_SLHDSA_MAX_SIG), sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK];
	uint8_t ctx[255], rnd[BFT_SLHDSA_MAX_N];
	assert_true(line && msg && sig);
	int cases = 0, hedged = 0, prehashed = 0;
	unsigned sets = 0, phs = 0;
	while (fgets(line, (int)cap, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *save = NULL;
		int tc = atoi(strtok_r(line, " ", &save));
		(void)strtok_r(NULL, " ", &save); /* tgId */
		const bft_slhdsa_params *p = bft_slhdsa_params_by_name(strtok_r(NULL, " ", &save));
		assert_non_null(p);
		int det = atoi(strtok_r(NULL, " ", &save));
		const char *mode = strtok_r(NULL, " ", &save);
		size_t skl = unhex(sk, sizeof sk, strtok_r(NULL, " ", &save));
		size_t ml = unhex(msg, 16384, strtok_r(NULL, " ", &save));
		size_t cl = unhex(ctx, sizeof ctx, strtok_r(NULL, " ", &save));
		size_t rl = unhex(rnd, sizeof rnd, strtok_r(NULL, " ", &save));
		const char *want_sha = strtok_r(NULL, " ", &save), *want_head = strtok_r(NULL, " \n", &save);
		assert_non_null(want_head);
		assert_int_equal(skl, p->sk_len);
		assert_int_equal(rl, det ? 0 : p->n);
		const uint8_t *addrnd = det ? NULL : rnd;
		int rc;
		bft_slhdsa_prehash ph = BFT_SLHDSA_PH_COUNT;
		if (!strcmp(mode, "pure")) {
			rc = bft_slhdsa_sign_addrnd(p, sig, msg, ml, ctx, cl, sk, addrnd);
		} else {
			assert_int_equal(bft_slhdsa_prehash_by_name(mode, &ph), 0);
			rc = bft_slhdsa_sign_prehash_addrnd(p, sig, msg, ml, ctx, cl, ph, sk, addrnd);
			prehashed++;
			phs |= 1u << ph;
		}
		assert_int_equal(rc, 0);
		uint8_t dg[32];
		unsigned dl = 0;
		assert_int_equal(EVP_Digest(sig, p->sig_len, dg, &dl, EVP_sha256(), NULL), 1);
		char got_sha[65], got_head[33];
		hex_of(got_sha, dg, 32);
		hex_of(got_head, sig, 16);
		if (strcmp(got_sha, want_sha) || strcmp(got_head, want_head))
			fail_msg("ACVP sigGen tcId %d (%s, %s, %s): signature starts %s, NIST's %s (SHA-256 %s, NIST's %s)",
			         tc, p->name, det ? "deterministic" : "hedged", mode, got_head, want_head, got_sha, want_sha);
		/* It verifies under the public key in sk (PK.seed || PK.root). */
		memcpy(pk, sk + 2 * p->n, p->pk_len);
		if (ph == BFT_SLHDSA_PH_COUNT)
			assert_int_equal(bft_slhdsa_verify(p, msg, ml, ctx, cl, sig, p->sig_len, pk), 0);
		else
			assert_int_equal(bft_slhdsa_verify_prehash(p, msg, ml, ctx, cl, ph, sig, p->sig_len, pk), 0);
		hedged += !det;
		sets |= 1u << p->id;
		cases++;
	}
	fclose(f);
	free(line);
	free(msg);
	free(sig);
	print_message("%d ACVP sigGen cases (%d hedged, %d pre-hashed) over %d parameter sets and %d pre-hash functions "
	              "match NIST's signatures\n",
	              cases, hedged, prehashed, __builtin_popcount(sets), __builtin_popcount(phs));
	assert_int_equal(cases, 21);
	assert_int_equal(__builtin_popcount(sets), BFT_SLHDSA_COUNT);
	assert_int_equal(__builtin_popcount(phs), BFT_SLHDSA_PH_COUNT);
	assert_true(hedged > 0 && hedged < cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siggen),
		cmocka_unit_test(test_sigver),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
