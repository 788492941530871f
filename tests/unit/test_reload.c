/* SPDX-License-Identifier: MIT */
/*
 * bftd_config_diff (src/daemon/reload.h): what SIGHUP says differs between
 * the running configuration and the file reread. The same text differs in
 * nothing; each section changed alone is named alone; several are listed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/reload.h"

static const char base[] =
	"node: {id: 1, listen: 127.0.0.1:7301, key: /tmp/k.key}\n"
	"peers:\n"
	"  - {id: 2, address: 127.0.0.1:7302, public_key: "
	"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a}\n"
	"consensus: {f: 0, poll: 1s}\n"
	"references:\n"
	"  - {kind: system}\n"
	"api: 127.0.0.1:7380\n";

/* An SLH-DSA-SHA2-128s public key's 64 hex digits (32 bytes). */
#define SLH_PK "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void parse(bftd_config *c, const char *text)
{
	char err[512];
	int rc = bftd_config_parse(c, text, strlen(text), "t.yaml", err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
}

/* base with the first occurrence of from replaced by to. */
static void variant(char *out, size_t cap, const char *from, const char *to)
{
	const char *p = strstr(base, from);
	assert_non_null(p);
	snprintf(out, cap, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
}

static void test_diff(void **state)
{
	(void)state;
	static bftd_config a, b;
	char buf[512], text[2048];
	parse(&a, base);
	parse(&b, base);
	assert_int_equal(bftd_config_diff(&a, &b, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	bftd_config_free(&b);
	static const struct {
		const char *from, *to, *names;
	} cases[] = {
		{ "listen: 127.0.0.1:7301", "listen: 127.0.0.1:7309", "node.listen" },
		{ "707511a}", "707511b}", "peers" },
		{ "poll: 1s", "poll: 2s", "consensus" },
		{ "{kind: system}", "{kind: system, uncertainty: 2ms}", "references" },
		{ "api: 127.0.0.1:7380", "api: none", "api" },
		{ "api: 127.0.0.1:7380\n", "api: 127.0.0.1:7380\nstore: /tmp/x.db\n", "store" },
		{ "poll: 1s}\n", "poll: 2s}\nlog: {level: debug}\n", "consensus, log" },
		/* Sections a reread once called "no change" (found by review). */
		{ "key: /tmp/k.key}", "key: /tmp/k.key, proof_batch: 32}", "node.proofs" },
		{ "poll: 1s}", "poll: 1s, nakamoto: {interval: 123s}}", "consensus.nakamoto" },
		{ "poll: 1s}", "poll: 1s, nakamoto: {store: /tmp/chain.db}}", "consensus.nakamoto" },
		{ "707511a}", "707511a, slhdsa_public_key: " SLH_PK "}", "peers" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		variant(text, sizeof text, cases[i].from, cases[i].to);
		parse(&b, text);
		size_t n = bftd_config_diff(&a, &b, buf, sizeof buf);
		assert_string_equal(buf, cases[i].names);
		assert_int_equal(n, strchr(cases[i].names, ',') ? 2 : 1);
		bftd_config_free(&b);
	}
	/* A short buffer: cut, NUL ended, the count still right. */
	variant(text, sizeof text, "poll: 1s}\n", "poll: 2s}\nlog: {level: debug}\n");
	parse(&b, text);
	assert_int_equal(bftd_config_diff(&a, &b, buf, 5), 2);
	assert_true(strlen(buf) < 5);
	bftd_config_free(&b);
	bftd_config_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
