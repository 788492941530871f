/* SPDX-License-Identifier: MIT */
/*
 * PKCS#11 URIs (src/proto/pkcs11_uri.h, RFC 7512): the accepted forms with
 * their decoded values, and each refused form with its reason. The fuzz
 * target tests/fuzz/fuzz_pkcs11_uri.c checks any bytes; its corpus holds
 * these cases too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <bftime/common.h>

#include "proto/pkcs11_uri.h"

static int parse(bft_pkcs11_uri *u, const char *s, const char **why)
{
	return bft_pkcs11_uri_parse(u, s, strlen(s), why);
}

static void test_accepted(void **state)
{
	(void)state;
	bft_pkcs11_uri u;
	const char *why = NULL;
	assert_int_equal(parse(&u,
	                       "pkcs11:token=bftime;object=node1;type=private?module-path=/usr/lib/softhsm/"
	                       "libsofthsm2.so&pin-source=file:/etc/bftime/pin",
	                       &why),
	                 0);
	assert_string_equal(u.token, "bftime");
	assert_string_equal(u.object, "node1");
	assert_int_equal(u.type, BFT_P11_TYPE_PRIVATE);
	assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(u.pin_source, "file:/etc/bftime/pin");
	assert_int_equal(u.has_id, 0);
	assert_int_equal(u.has_slot_id, 0);

	assert_int_equal(parse(&u, "pkcs11:object=my%20key;id=%01%02%ff;slot-id=3;serial=ABC;model=SoftHSM%20v2", &why), 0);
	assert_string_equal(u.object, "my key");
	assert_int_equal(u.id_len, 3);
	assert_memory_equal(u.id, "\x01\x02\xff", 3);
	assert_int_equal(u.slot_id, 3);
	assert_string_equal(u.serial, "ABC");
	assert_string_equal(u.model, "SoftHSM v2");

	assert_int_equal(parse(&u, "pkcs11:", &why), 0); /* every object of every token */
	assert_int_equal(parse(&u, "pkcs11:x-vendor=1;object=k?x-foo=bar&pin-value=1234", &why), 0);
	assert_string_equal(u.object, "k");
	assert_string_equal(u.pin_value, "1234");
	assert_int_equal(parse(&u, "pkcs11:token=%41%62;manufacturer=SoftHSM%20project", &why), 0);
	assert_string_equal(u.token, "Ab");
	/* Not NUL-terminated input: only len bytes are read. */
	assert_int_equal(bft_pkcs11_uri_parse(&u, "pkcs11:object=abcdef", 17, &why), 0);
	assert_string_equal(u.object, "abc");
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *uri, *why_has;
	} bad[] = {
		{ "pkcs:object=k", "must start with" },
		{ "pkcs11:token=A;token=B", "twice" },
		{ "pkcs11:object=a%4", "truncated" },
		{ "pkcs11:object=a%zz", "bad percent" },
		{ "pkcs11:object=a%00b", "NUL" },
		{ "pkcs11:library-version=1", "unsupported path" },
		{ "pkcs11:object=k?pin-value=1&pin-source=file:/p", "both" },
		{ "pkcs11:object=k;", "trailing" },
		{ "pkcs11:object=k?", "empty query" },
		{ "pkcs11:object=k?module-path=/a&", "trailing" },
		{ "pkcs11:type=secret", "type is not" },
		{ "pkcs11:object=a b", "percent-encoded" },
		{ "pkcs11:object=", "empty attribute value" },
		{ "pkcs11:object", "without '='" },
		{ "pkcs11:slot-id=1x", "decimal" },
		{ "pkcs11:object=k?module-dir=/x", "unsupported query" },
		{ "pkcs11:serial=12345678901234567", "too long" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bft_pkcs11_uri u;
		const char *why = NULL;
		memset(&u, 0x5a, sizeof u);
		if (parse(&u, bad[i].uri, &why) != BFT_EINVAL)
			fail_msg("accepted: %s", bad[i].uri);
		assert_non_null(why);
		if (!strstr(why, bad[i].why_has))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].uri, why, bad[i].why_has);
		static const bft_pkcs11_uri zero;
		assert_memory_equal(&u, &zero, sizeof u); /* wiped: it may have held a PIN */
	}
	assert_int_equal(bft_pkcs11_uri_parse(NULL, "pkcs11:", 7, NULL), BFT_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
