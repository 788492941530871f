/* SPDX-License-Identifier: MIT */
/*
 * The API's pure parts (src/daemon/api.h): RFC 3339 in and out, the
 * POST /v1/proofs and /v1/validate body parsers, the validate verdict, and
 * the router's 404 / 405 answers. The routes themselves run against real
 * daemons in tests/system/test_api.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/api.h"

static void test_rfc3339(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(bftd_rfc3339_parse("1970-01-01T00:00:00Z", 20, &t), 0);
	assert_int_equal(t, 0);
	const char *s = "2024-02-29T12:34:56.123456789Z";
	assert_int_equal(bftd_rfc3339_parse(s, strlen(s), &t), 0);
	assert_int_equal(t, INT64_C(1709210096123456789));
	char buf[48];
	assert_string_equal(bftd_rfc3339_format(buf, sizeof buf, t), s);
	s = "2024-02-29T14:34:56.5+02:00";
	assert_int_equal(bftd_rfc3339_parse(s, strlen(s), &t), 0);
	assert_int_equal(t, INT64_C(1709210096500000000));
	assert_string_equal(bftd_rfc3339_format(buf, sizeof buf, -1), "1969-12-31T23:59:59.999999999Z");
	/* Round trip over a spread of times. */
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t v = (int64_t)(x % (uint64_t)(INT64_MAX - 2 * BFT_NS_PER_SEC));
		int64_t back;
		bftd_rfc3339_format(buf, sizeof buf, v);
		assert_int_equal(bftd_rfc3339_parse(buf, strlen(buf), &back), 0);
		assert_int_equal(back, v);
	}
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
		"2024-01-01T00:00:00", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567891Z", "1969-12-31T00:00:00Z",
		"2024-01-01T00:00:00+0100", "2024-01-01T00:00:00Zjunk", "9999-01-01T00:00:00Z", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_rfc3339_parse(bad[i], strlen(bad[i]), &t), 0);
	assert_int_equal(bftd_time_arg_parse("-5", &t), 0);
	assert_int_equal(t, -5);
	assert_int_not_equal(bftd_time_arg_parse("5x", &t), 0);
	assert_int_not_equal(bftd_time_arg_parse("99999999999999999999", &t), 0);
}

static void test_parse_proofs(void **state)
{
	(void)state;
	static uint8_t out[4][BFT_PROOF_MAX];
	size_t lens[4], n;
	char err[200];
	char body[4 * BFT_PROOF_MAX + 64];
	char hex[2 * BFT_PROOF_MIN + 1];
	memset(hex, 'a', 2 * BFT_PROOF_MIN);
	hex[2 * BFT_PROOF_MIN] = 0;
	snprintf(body, sizeof body, "{\"proof\": \"%s\"}\n", hex);
	assert_int_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), "application/json", out, lens, 4, &n,
	                                       err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lens[0], BFT_PROOF_MIN);
	assert_int_equal(out[0][0], 0xaa);
	snprintf(body, sizeof body, "{\"proofs\": [\"%s\", \"%s\"]}", hex, hex);
	assert_int_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), NULL, out, lens, 4, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	static const char *const bad[] = {
		"", "garbage", "[]", "{}", "{\"proof\": 5}", "{\"proof\": \"abc\"}", "{\"proofs\": []}", "{\"proofs\": {}}",
		"{\"proof\": \"00\", \"x\": 1}", "{\"proofs\": [1]}", "{\"proof\": \"zz\"} trailing",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_api_parse_proofs((const uint8_t *)bad[i], strlen(bad[i]), NULL, out, lens, 4, &n, err,
		                                           sizeof err), 0);
	/* More than cap. */
	snprintf(body, sizeof body, "{\"proofs\": [\"%s\", \"%s\"]}", hex, hex);
	assert_int_not_equal(bftd_api_parse_proofs((const uint8_t *)body, strlen(body), NULL, out, lens, 1, &n, err, sizeof err), 0);
	/* Raw bytes. */
	uint8_t raw[BFT_PROOF_MIN] = { 0 };
	assert_int_equal(bftd_api_parse_proofs(raw, sizeof raw, "application/octet-stream", out, lens, 4, &n, err, sizeof err), 0);
	assert_int_not_equal(bftd_api_parse_proofs(raw, 10, "application/octet-stream", out, lens, 4, &n, err, sizeof err), 0);
}

static void test_validate(void **state)
{
	(void)state;
	int64_t ts, tol;
	char err[200];
	const char *b = "{\"timestamp\": \"1970-01-01T00:00:01Z\", \"tolerance\": \"1ms\"}";
	assert_int_equal(bftd_api_parse_validate((const uint8_t *)b, strlen(b), &ts, &tol, err, sizeof err), 0);
	assert_int_equal(ts, BFT_NS_PER_SEC);
	assert_int_equal(tol, 1000000);
	b = "{\"timestamp\": 42}";
	assert_int_equal(bftd_api_parse_validate((const uint8_t *)b, strlen(b), &ts, &tol, err, sizeof err), 0);
	assert_int_equal(ts, 42);
	assert_int_equal(tol, 0);
	static const char *const bad[] = {
		"{}", "{\"timestamp\": \"x\"}", "{\"timestamp\": 1, \"tolerance\": -1}", "{\"timestamp\": 1, \"tolerance\": \"2d\"}",
		"{\"timestamp\": 1, \"other\": 1}", "{\"timestamp\": 1.5}", "{\"timestamp\": 1, \"tolerance\": \"25h\"}",
		"{\"timestamp\": 99999999999999999999}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_not_equal(bftd_api_parse_validate((const uint8_t *)bad[i], strlen(bad[i]), &ts, &tol, err, sizeof err), 0);
	int64_t d;
	bft_interval iv = bft_iv(1000, 2000);
	assert_true(bftd_api_validate(1500, 0, iv, &d) && d == 0);
	assert_true(bftd_api_validate(2100, 100, iv, &d) && d == 0);
	assert_false(bftd_api_validate(2101, 100, iv, &d));
	assert_int_equal(d, 1);
	assert_false(bftd_api_validate(800, 100, iv, &d));
	assert_int_equal(d, 100);
	assert_true(bftd_api_validate(INT64_MAX, INT64_MAX, bft_iv(INT64_MIN, INT64_MAX), &d));
}

static void test_router_errors(void **state)
{
	(void)state;
	bftd_api_env env = { 0 };
	bftd_http_request req = { .method = "GET", .path = "/nope" };
	bftd_http_response resp = { 0 };
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 404);
	assert_non_null(strstr(resp.body, "\"error\":\"not_found\""));
	free(resp.body);
	memset(&resp, 0, sizeof resp);
	req.path = "/v1/validate"; /* POST only */
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 405);
	free(resp.body);
	memset(&resp, 0, sizeof resp);
	req.method = "DELETE";
	req.path = "/v1/proofs";
	bftd_api_handle(&env, &req, &resp);
	assert_int_equal(resp.status, 405);
	free(resp.body);
	/* An error message with quotes stays valid JSON. */
	memset(&resp, 0, sizeof resp);
	bftd_http_error(&resp, 400, "bad", "a \"quoted\" message\n");
	assert_non_null(strstr(resp.body, "a \\\"quoted\\\" message\\n"));
	free(resp.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_parse_proofs),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_router_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
