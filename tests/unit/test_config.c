/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader (src/daemon/config.c): the documented example
 * parses; each mistake is refused with FILE:LINE:COL and the message an
 * operator needs, pointing at the line at fault. The fuzz target shows it
 * never crashes; this shows it says the right thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "proto/p256.h"

#define K0 "0000000000000000000000000000000000000000000000000000000000000000"
#define K1 "1111111111111111111111111111111111111111111111111111111111111111"
#define NODE "node: {id: 1, listen: 127.0.0.1:7301, key: /k}\n"

static void test_example_parses(void **st)
{
	(void)st;
	FILE *f = fopen("etc/bftime.yaml", "rb");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	bftd_config c;
	char err[512];
	int rc = bftd_config_parse(&c, buf, n, "etc/bftime.yaml", err, sizeof err);
	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(c.id, 1);
	assert_int_equal(c.n_peers, 3);
	bftd_config_free(&c);
}

static void test_mistakes(void **st)
{
	(void)st;
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ NODE "references:\n  - {kind: nmea, device: /dev/ttyS0, speed: 12345}\n",
		  "t.yaml:3:45: speed: not a standard baud rate" },
		{ NODE "references:\n  - {kind: gpsd, speed: 115200}\n", "t.yaml:3:5: reference: device and speed apply to kind nmea only" },
		{ NODE "references:\n  - {kind: gpsd, device: /dev/ttyS0}\n", "t.yaml:3:5: reference: device and speed apply" },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1, fixed: true}\n",
		  "t.yaml:3:5: reference: pps, delay, leap_seconds, fixed and max_move apply to kinds nmea and gpsd only" },
		{ NODE "references:\n  - {kind: system, noise: 1ms}\n", "noise, offset and offset_after apply to kind simulated only" },
		{ NODE "references:\n  - {kind: nmea}\n", "t.yaml:3:5: reference: kind nmea needs a device" },
		{ NODE "references:\n  - {kind: ntp}\n", "kind ntp needs a server" },
		{ NODE "references:\n  - {kind: gpsd, burst: 2}\n", "t.yaml:3:5: reference: burst and burst_for apply to kind ntp only" },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1, burst: 9}\n", "t.yaml:3:43: 9 is out of range [1, 8]" },
		{ NODE "references:\n  - {kind: sundial}\n", "t.yaml:3:12: expected one of: simulated, system, nmea, gpsd, ntp" },
		{ NODE "references:\n  - {kind: system, every: 2 seconds}\n", "t.yaml:3:27: expected a duration with a unit" },
		{ NODE "references:\n  - {kind: system, colour: blue}\n", "t.yaml:3:20: unknown option 'colour' in reference" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\n"
		       "  - {id: 2, address: 127.0.0.1:7303, public_key: " K1 "}\n",
		  "t.yaml:4:5: peer id 2 listed twice" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\n"
		       "  - {id: 3, address: 127.0.0.1:7303, public_key: " K0 "}\n",
		  "t.yaml:4:5: peer 3 has the public key of peer 2" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: 12ab}\n", "t.yaml:3:50: expected a public key of 64 hex digits" },
		/* the directory (issue 15): other nodes' keys, never a peer or this node */
		{ NODE "references:\n  - {kind: system}\ndirectory:\n  - {id: 3, public_key: " K0 "}\n  - {id: 3, public_key: " K1 "}\n",
		  "t.yaml:6:5: directory: node 3 listed twice" },
		{ NODE "references:\n  - {kind: system}\ndirectory:\n  - {id: 3, public_key: " K0 "}\n  - {id: 4, public_key: " K0 "}\n",
		  "t.yaml:6:5: directory: node 4 has the public key of node 3: one key counts as one node" },
		{ NODE "references:\n  - {kind: system}\ndirectory:\n  - {id: 1, public_key: " K0 "}\n",
		  "t.yaml:5:5: directory: node 1 is this node" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\ndirectory:\n  - {id: 2, public_key: " K1 "}\n",
		  "t.yaml:5:5: directory: node 2 is a peer (its key is pinned with it under peers)" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\ndirectory:\n  - {id: 3, public_key: " K0 "}\n",
		  "t.yaml:5:5: directory: node 3 has the public key of peer 2: one key counts as one node" },
		{ NODE "references:\n  - {kind: system}\ndirectory:\n  - {id: 3}\n", "t.yaml:5:5: directory: each entry needs id and public_key" },
		{ NODE "references:\n  - {kind: system}\ndirectory:\n  - {id: 3, public_key: " K0 ", address: 127.0.0.1:7303}\n",
		  "unknown option 'address' in directory entry" },
		{ NODE "references:\n  - {kind: system}\ndirectory: {id: 3}\n", "directory: expected a list of nodes" },
		/* issue 13: the cross-field checks point at the key at fault, not at 1:1 */
		{ NODE "references:\n  - {kind: system}\nconsensus: {f: 1}\n",
		  "t.yaml:4:13: consensus.f = 1 needs more than f sources (there are 1)" },
		{ NODE "references:\n  - {kind: system}\n  - {kind: system}\nconsensus:\n  poll: 1s\n  f: 3\n",
		  "t.yaml:7:3: consensus.f = 3 needs more than f sources (there are 2)" },
		{ NODE "peers:\n  - {id: 1, address: 127.0.0.1:7302, public_key: " K0 "}\n",
		  "t.yaml:3:6: peer 1 has this node's own id" },
		{ "peers:\n  - public_key: " K0 "\n    address: 127.0.0.1:7302\n    id: 5\nnode: {id: 5, listen: 127.0.0.1:7301, key: /k}\n",
		  "t.yaml:4:5: peer 5 has this node's own id" },
		{ NODE "peers:\n  - {id: 2, address: \"[::1]:7302\", public_key: " K0 "}\n",
		  "t.yaml:3:13: peer 2: address family differs from node.listen's ([::1]:7302 vs 127.0.0.1:7301)" },
		/* issue 13: two peers at one address, a peer at our own */
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\n"
		       "  - {id: 3, address: 127.0.0.1:7302, public_key: " K1 "}\n",
		  "t.yaml:4:13: peer 3 has the address of peer 2 (127.0.0.1:7302): one address is one node" },
		{ "node: {id: 1, listen: \"[::1]:7301\", key: /k}\npeers:\n"
		  "  - {id: 2, address: \"[::1]:7302\", public_key: " K0 "}\n"
		  "  - {id: 3, address: \"[0:0::1]:7302\", public_key: " K1 "}\n",
		  "t.yaml:4:13: peer 3 has the address of peer 2 ([0:0::1]:7302)" },
		{ NODE "peers:\n  - {id: 2, address: 127.0.0.1:7301, public_key: " K0 "}\n",
		  "t.yaml:3:13: peer 2: address 127.0.0.1:7301 is this node's own (node.listen 127.0.0.1:7301)" },
		{ "node: {id: 1, listen: 0.0.0.0:7301, key: /k}\npeers:\n  - {id: 2, address: 127.0.0.5:7301, public_key: " K0 "}\n",
		  "t.yaml:3:13: peer 2: address 127.0.0.5:7301 is this node's own (node.listen 0.0.0.0:7301)" },
		{ "node: {id: 1, listen: \"[::]:7301\", key: /k}\npeers:\n  - {id: 2, address: \"[::1]:7301\", public_key: " K0 "}\n",
		  "t.yaml:3:13: peer 2: address [::1]:7301 is this node's own" },
		{ NODE "consensus: {f: 0}\n", "no sources: configure peers or references" },
		{ NODE "references:\n  - {kind: system}\nrate_limit: {rate: 0}\n", "t.yaml:4:20: 0 is out of range [1, 1000000]" },
		{ "node: {id: 1, listen: 127.0.0.1:7301}\nreferences:\n  - {kind: system}\n", "node: id, listen and key are required" },
		{ NODE "references:\n  - {kind: system}\nnode: {id: 2}\n", "t.yaml:4:1: duplicate key 'node' (first at line 1)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bftd_config c;
		char err[512] = "";
		int rc = bftd_config_parse(&c, cases[i].yaml, strlen(cases[i].yaml), "t.yaml", err, sizeof err);
		if (rc == 0 || !strstr(err, cases[i].want))
			print_message("case %zu: rc %d, said '%s', want '%s'\n", i, rc, err, cases[i].want);
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(err, cases[i].want));
	}
}

/* Near misses of the address checks are fine: another port of this
 * machine, or another host at our port behind a wildcard listen. */
static void test_addresses_accepted(void **st)
{
	(void)st;
	const char *ok[] = {
		NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\n"
		     "  - {id: 3, address: 127.0.0.2:7302, public_key: " K1 "}\n",
		"node: {id: 1, listen: 0.0.0.0:7301, key: /k}\npeers:\n  - {id: 2, address: 10.0.0.2:7301, public_key: " K0 "}\n",
		"node: {id: 1, listen: 0.0.0.0:7301, key: /k}\npeers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " K0 "}\n",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		bftd_config c;
		char err[512] = "";
		int rc = bftd_config_parse(&c, ok[i], strlen(ok[i]), "t.yaml", err, sizeof err);
		if (rc)
			print_message("case %zu: %s\n", i, err);
		assert_int_equal(rc, 0);
		bftd_config_free(&c);
	}
}

/* A peer whose key is ECDSA P-256 (a secure element's, docs/pq.md): its
 * 130-digit point pinned, named by its key id; a point off the curve, and
 * node.proofs p256 without a token key, refused with what to do. */
#define P256 "04bacf075e5bdd8748b76e9c1349303a73882f265adf6a3ee3b5e0439eebb92d41f2a3c2d09a0309e80907ef014c11d0e6396c3ca1f9081a97edb6ee739da45eab"
static void test_p256_peer(void **st)
{
	(void)st;
	const char *ok = NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: " P256 "}\n"
	                      "  - {id: 3, address: 127.0.0.1:7303, public_key: " K1 "}\n";
	bftd_config c;
	char err[512] = "";
	int rc = bftd_config_parse(&c, ok, strlen(ok), "t.yaml", err, sizeof err);
	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
	assert_true(c.peers[0].p256);
	assert_false(c.peers[1].p256);
	assert_int_equal(c.peers[0].p256_pub[0], 0x04);
	uint8_t id[32];
	assert_int_equal(bft_p256_key_id(id, c.peers[0].p256_pub), 0);
	assert_memory_equal(id, c.peers[0].pubkey, 32);
	bftd_config_free(&c);
	char bad[1024];
	snprintf(bad, sizeof bad, NODE "peers:\n  - {id: 2, address: 127.0.0.1:7302, public_key: %.128s00}\n", P256);
	assert_int_not_equal(bftd_config_parse(&c, bad, strlen(bad), "t.yaml", err, sizeof err), 0);
	assert_non_null(strstr(err, "t.yaml:3:50: public key: 130 hex digits but not an ECDSA P-256 point"));
	const char *p = "node: {id: 1, listen: 127.0.0.1:7301, key: /k, proofs: p256}\n";
	assert_int_not_equal(bftd_config_parse(&c, p, strlen(p), "t.yaml", err, sizeof err), 0);
	assert_non_null(strstr(err, "node.proofs: p256 needs node.key to be a P-256 key on a PKCS#11 token"));
}

/* Parse yaml, which must be valid, into *c. */
static void parse_ok(bftd_config *c, const char *yaml)
{
	char err[256];
	int rc = bftd_config_parse(c, yaml, strlen(yaml), "t.yaml", err, sizeof err);
	if (rc)
		print_message("%s\n", err);
	assert_int_equal(rc, 0);
}

/* The rate limit's burst: given, it stays; not given, two seconds' worth. */
static void test_rate_defaults(void **st)
{
	(void)st;
	bftd_config c;
	parse_ok(&c, NODE "references:\n  - {kind: system}\nrate_limit: {rate: 1000, burst: 5}\n");
	assert_int_equal(c.rate_burst, 5);
	bftd_config_free(&c);
	parse_ok(&c, NODE "references:\n  - {kind: system}\nrate_limit: {rate: 1000}\n");
	assert_int_equal(c.rate_burst, 2000);
	bftd_config_free(&c);
}

/* An NTP reference's polls are bursts while it is young (ntp.c): 8
 * exchanges under a 64 s poll, 4 from 64 s on, for 15 minutes unless
 * configured (always over 64 s); burst: 1 turns it off. */
static void test_ntp_burst(void **st)
{
	(void)st;
	bftd_config c;
	parse_ok(&c, NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\n");
	assert_int_equal(c.refs[0].burst, 8);
	assert_int_equal(c.refs[0].burst_for_ns, 900 * BFT_NS_PER_SEC);
	bftd_config_free(&c);
	parse_ok(&c, NODE "references:\n  - {kind: ntp, server: 127.0.0.1, every: 64s}\n");
	assert_int_equal(c.refs[0].burst, 4);
	assert_int_equal(c.refs[0].burst_for_ns, 900 * BFT_NS_PER_SEC);
	bftd_config_free(&c);
	parse_ok(&c, NODE "references:\n  - {kind: ntp, server: 127.0.0.1, burst: 1, burst_for: 0s}\n");
	assert_int_equal(c.refs[0].burst, 1);
	assert_int_equal(c.refs[0].burst_for_ns, 0);
	bftd_config_free(&c);
	parse_ok(&c, NODE "references:\n  - {kind: ntp, server: 127.0.0.1, every: 1024s}\n");
	assert_int_equal(c.refs[0].burst, 4);
	assert_int_equal(c.refs[0].burst_for_ns, INT64_MAX);
	bftd_config_free(&c);
	parse_ok(&c, NODE "references:\n  - {kind: ntp, server: 127.0.0.1, burst_for: always}\n");
	assert_int_equal(c.refs[0].burst_for_ns, INT64_MAX);
	bftd_config_free(&c);
}

/* consensus.nakamoto (docs/nakamoto.md): the keys land in cfg.nk, the
 * slot bound is checked, unknown keys are named. */
static void test_nakamoto(void **st)
{
	(void)st;
	const char *a = NODE "references:\n  - {kind: system}\nconsensus:\n  engine: nakamoto\n"
	                "  nakamoto: {genesis_time: 1796342400, difficulty: 5000, interval: 2s, retarget: 8, slots: 40, "
	                "hashes_per_step: 300, step: 50ms, agree: 1ms, store: /tmp/x.chain}\n";
	bftd_config c;
	char err[256];
	assert_int_equal(bftd_config_parse(&c, a, strlen(a), "a", err, sizeof err), 0);
	assert_int_equal(c.nk.chain.genesis_time_ns, INT64_C(1796342400) * BFT_NS_PER_SEC);
	assert_int_equal(c.node.engine, BFT_ENGINE_NAKAMOTO);
	assert_int_equal(c.nk.chain.genesis_difficulty, 5000);
	assert_int_equal(c.nk.chain.interval_ns, 2 * BFT_NS_PER_SEC);
	assert_int_equal(c.nk.chain.retarget_blocks, 8);
	assert_int_equal(c.nk.n_slots, 40);
	assert_int_equal(c.nk.hashes_per_step, 300);
	assert_int_equal(c.nk.mine_step_ns, 50000000);
	assert_int_equal(c.nk.chain.agree_ns, 1000000);
	assert_string_equal(c.chain_store, "/tmp/x.chain");
	bftd_config_free(&c);
	const char *b = NODE "references:\n  - {kind: system}\nconsensus:\n  nakamoto: {retarget: 60, slots: 100}\n";
	assert_int_not_equal(bftd_config_parse(&c, b, strlen(b), "b", err, sizeof err), 0);
	assert_non_null(strstr(err, "slots must be at least 2 * retarget + 12 (132)"));
	const char *d = NODE "references:\n  - {kind: system}\nconsensus:\n  nakamoto: {colour: blue}\n";
	assert_int_not_equal(bftd_config_parse(&c, d, strlen(d), "d", err, sizeof err), 0);
	assert_non_null(strstr(err, "unknown option 'colour' in nakamoto"));
	/* No genesis_time: from 1970 the retarget spans would have decades to
	 * claim (the time-warp defence rests on the chain's real start). */
	const char *g = NODE "references:\n  - {kind: system}\nconsensus:\n  engine: nakamoto\n"
	                "  nakamoto: {difficulty: 5000}\n";
	assert_int_not_equal(bftd_config_parse(&c, g, strlen(g), "g", err, sizeof err), 0);
	assert_non_null(strstr(err, "g:5:3: engine nakamoto needs consensus.nakamoto.genesis_time"));
	/* Other engines do not need it. */
	const char *h = NODE "references:\n  - {kind: system}\nconsensus:\n  nakamoto: {difficulty: 5000}\n";
	assert_int_equal(bftd_config_parse(&c, h, strlen(h), "h", err, sizeof err), 0);
	bftd_config_free(&c);
}

/* exports.adjtimex: a bool as before, or {source: estimate|network}, which
 * turns it on; a wrong source or key is named. */
static void test_adjtimex_source(void **st)
{
	(void)st;
	static const struct {
		const char *yaml;
		int rc;
		bool on, network;
		const char *want;
	} cases[] = {
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: true}\n", 0, true, false, NULL },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: false}\n", 0, false, false, NULL },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: {source: estimate}}\n", 0, true, false, NULL },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: {source: network}}\n", 0, true, true, NULL },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: {source: gps}}\n", 1, false, false,
		  "t.yaml:4:30: expected one of: estimate, network" },
		{ NODE "references:\n  - {kind: ntp, server: 127.0.0.1}\nexports: {adjtimex: {colour: blue}}\n", 1, false, false,
		  "unknown option 'colour' in exports.adjtimex" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bftd_config c;
		char err[512] = "";
		int rc = bftd_config_parse(&c, cases[i].yaml, strlen(cases[i].yaml), "t.yaml", err, sizeof err);
		if ((rc != 0) != cases[i].rc || (cases[i].want && !strstr(err, cases[i].want)))
			print_message("case %zu: rc %d, said '%s'\n", i, rc, err);
		assert_int_equal(rc != 0, cases[i].rc);
		if (rc) {
			assert_non_null(strstr(err, cases[i].want));
			continue;
		}
		assert_int_equal(c.adjtimex, cases[i].on);
		assert_int_equal(c.adjtimex_network, cases[i].network);
		bftd_config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_parses),
		cmocka_unit_test(test_mistakes),
		cmocka_unit_test(test_addresses_accepted),
		cmocka_unit_test(test_p256_peer),
		cmocka_unit_test(test_rate_defaults),
		cmocka_unit_test(test_ntp_burst),
		cmocka_unit_test(test_nakamoto),
		cmocka_unit_test(test_adjtimex_source),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
