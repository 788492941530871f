/* SPDX-License-Identifier: MIT */
/*
 * The gate in front of the node (src/daemon/udp.c). The per-address token
 * bucket: its burst, its rate under a stream of any spacing (a review found
 * that datagrams closer together than a thousandth of a token's worth
 * refilled nothing at all), the cap after a silence, and addresses kept
 * apart. The gate (issue 13, finding 5: garbage under a peer's address
 * emptied that peer's bucket and cut it off): a pinned peer's answers to our
 * own messages get through whatever floods its address; its REQUESTs are
 * verified within the address's budget; signature verifications stay
 * bounded per address, per key and in total, whoever sends what; replays
 * and forgeries cannot empty a key's bucket; the node's own check of a
 * verified datagram is answered without verifying it again.
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
#include "proto/sign.h"
#include "proto/wire.h"

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


/* ---- the gate ----------------------------------------------------------- */

static const uint8_t seed1[32] = { 1 }, seed2[32] = { 2 }, seed3[32] = { 3 };

struct gfx {
	bft_keyring *kr;
	bft_signer ed;      /* the keyring's, counting what it verifies */
	bft_signer node;    /* what the node verifies with: wrapped by the gate */
	uint64_t verifies;  /* Ed25519 verifications actually run */
	bftd_peer peers[2];
	bftd_config cfg;
	bftd_ratelimit rl;
	uint64_t rng;
};
static struct gfx G;

static int counting_verify(void *ctx, uint32_t from, const uint8_t *m, size_t len, const uint8_t *sig, size_t sl)
{
	(void)ctx;
	G.verifies++;
	return G.ed.verify(G.ed.ctx, from, m, len, sig, sl);
}

static int counting_sign(void *ctx, uint32_t self, const uint8_t *m, size_t len, uint8_t *sig)
{
	(void)ctx;
	return G.ed.sign(G.ed.ctx, self, m, len, sig);
}

static uint64_t rnd(void)
{
	G.rng += 0x9e3779b97f4a7c15u;
	uint64_t z = G.rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Node 1 (us), pinning peers 2 and 3; the gate at 20/s, burst 40. */
static void gate_setup(void)
{
	bft_keyring_destroy(G.kr);
	memset(&G, 0, sizeof G);
	assert_int_equal(bft_keyring_create(&G.kr, 5), 0);
	assert_int_equal(bft_keyring_add_private(G.kr, 9, seed3), 0); /* a node we do not pin */
	assert_int_equal(bft_keyring_add_private(G.kr, 1, seed1), 0);
	assert_int_equal(bft_keyring_add_private(G.kr, 2, seed2), 0);
	assert_int_equal(bft_keyring_add_private(G.kr, 3, seed3), 0);
	bft_signer_ed25519(&G.ed, G.kr);
	G.node = (bft_signer){ .name = "counting", .sig_len = G.ed.sig_len, .sign = counting_sign,
		               .verify = counting_verify, .ctx = NULL };
	G.peers[0].id = 2;
	G.peers[1].id = 3;
	G.cfg.id = 1;
	G.cfg.peers = G.peers;
	G.cfg.n_peers = 2;
	bftd_ratelimit_init(&G.rl, 20, 40, 777);
	bftd_gate_attach(&G.rl, &G.node);
	G.rng = 42;
}

/* A message as node `from` signs it (with a flipped signature byte when
 * forged); its length. */
static size_t make_msg(uint8_t *buf, uint8_t type, uint32_t from, uint32_t to, uint64_t nonce, uint64_t nonce2,
                       int64_t t_a, bool forged)
{
	bft_msg m = { .type = type, .from = from, .to = to, .nonce = nonce, .nonce2 = nonce2, .t_a = t_a,
		      .t_b = t_a + 1000, .flags = BFT_MSGF_SYNCED, .err_lo_ns = 1000, .err_hi_ns = 1000 };
	int len = bft_wire_encode(buf, BFT_WIRE_MAX, &m);
	assert_true(len > 0);
	uint8_t sig[BFT_WIRE_SIG_MAX];
	assert_int_equal(G.ed.sign(G.ed.ctx, from, buf, (size_t)len, sig), 0);
	if (forged)
		sig[7] ^= 0x20;
	len = bft_wire_seal(buf, BFT_WIRE_MAX, (size_t)len, sig, G.ed.sig_len);
	assert_true(len > 0);
	return (size_t)len;
}

/* One datagram through the gate and, unless dropped, the node's own
 * signature check (as bft_node_on_packet makes it): the verdict, and in
 * *sig_ok whether the node found the signature good. */
static enum bftd_gate_verdict deliver(const uint8_t *buf, size_t len, const struct sockaddr_storage *from, int64_t t,
                                      bool *sig_ok)
{
	enum bftd_gate_verdict v = bftd_gate_check(&G.rl, &G.cfg, buf, len, from, t);
	*sig_ok = false;
	if (v == BFTD_GATE_DROP)
		return v;
	bft_msg m;
	size_t sl;
	int rc = BFT_EINVAL;
	if (bft_wire_decode(&m, &sl, buf, len) == 0 && m.to == 1 && (m.from == 2 || m.from == 3)) {
		rc = G.node.verify(G.node.ctx, m.from, buf, sl, m.sig, m.sig_len);
		*sig_ok = rc == 0;
	}
	bftd_gate_done(&G.rl, rc);
	return v;
}

static void test_gate_sorts(void **st)
{
	(void)st;
	gate_setup();
	struct sockaddr_storage a = v4("192.0.2.9"), p2 = v4("192.0.2.2");
	int64_t t = BFT_NS_PER_SEC;
	uint8_t buf[BFT_WIRE_MAX + 1];
	bool ok;
	/* Not a pinned peer's claim: passed to the node (which refuses it
	 * without verifying), 40 of them, then the address's bucket is empty. */
	size_t n = make_msg(buf, BFT_MSG_REQUEST, 9, 1, 5, 0, 100, false); /* an unknown sender */
	assert_int_equal(deliver(buf, n, &a, t, &ok), BFTD_GATE_PASS);
	n = make_msg(buf, BFT_MSG_REQUEST, 2, 7, 5, 0, 100, false); /* not for us */
	assert_int_equal(deliver(buf, n, &a, t, &ok), BFTD_GATE_PASS);
	memset(buf, 0xAB, sizeof buf);
	int passed = 0;
	for (int i = 0; i < 100; i++)
		passed += deliver(buf, 1 + (size_t)i % BFT_WIRE_MAX, &a, t, &ok) == BFTD_GATE_PASS;
	assert_int_equal(passed, 38);
	assert_int_equal(G.verifies, 0);
	/* A pinned peer's REQUEST from the same (now empty) address's bucket:
	 * verified, once: the node's check is answered by the gate. */
	n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, 5, 0, 100, false);
	assert_int_equal(deliver(buf, n, &a, t, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
	assert_int_equal(G.verifies, 1);
	/* A forgery: checked, found bad, and the node is told so (it counts
	 * bad_signature) without a second verification. */
	n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, 6, 0, 200, true);
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_CHECKED);
	assert_false(ok);
	assert_int_equal(G.verifies, 2);
	assert_int_equal(G.rl.stats.bad_sig, 1);
	/* The answer is served once, for that buffer only: another check of the
	 * same bytes is a real verification. */
	bft_msg m;
	size_t sl;
	assert_int_equal(bft_wire_decode(&m, &sl, buf, n), 0);
	assert_int_not_equal(G.node.verify(G.node.ctx, 2, buf, sl, m.sig, m.sig_len), 0);
	assert_int_equal(G.verifies, 3);
	/* Signing goes through to the keyring. */
	uint8_t sig[BFT_WIRE_SIG_MAX];
	assert_int_equal(G.node.sign(G.node.ctx, 1, buf, sl, sig), 0);
	assert_int_equal(G.ed.verify(G.ed.ctx, 1, buf, sl, sig, G.ed.sig_len), 0);
}

/* Finding 5, as a unit: 10 s of a flood under peer 2's address (40,000
 * datagrams a second: garbage, forged REQUESTs and answers claiming peer 2,
 * and replays of one of peer 2's genuine REQUESTs). Every second we poll
 * peer 2 and peer 3, and each answers; each also sends its own REQUEST.
 * Peer 2's answers all get through; peer 3 does not notice the flood; the
 * verifications stay within the address's budget. */
static void test_gate_spoofed_flood(void **st)
{
	(void)st;
	gate_setup();
	struct sockaddr_storage p2 = v4("192.0.2.2"), p3 = v4("192.0.2.3");
	uint8_t buf[BFT_WIRE_MAX], replay[BFT_WIRE_MAX], junk[BFT_WIRE_MAX];
	/* 3 x 64 forgeries, taken at random (signing 300,000 would be slow) */
	static uint8_t forged[192][BFT_WIRE_MAX];
	size_t flen[192];
	for (int i = 0; i < 192; i++)
		flen[i] = make_msg(forged[i], (uint8_t)(BFT_MSG_REQUEST + i % 3), 2, 1, rnd(), rnd(),
		                   (int64_t)(rnd() >> 2), true);
	bool ok;
	size_t rlen = make_msg(replay, BFT_MSG_REQUEST, 2, 1, 77, 0, 5, false);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rnd();
	/* the replayed REQUEST was taken once, before the flood */
	assert_int_equal(deliver(replay, rlen, &p2, BFT_NS_PER_SEC / 2, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
	int answers2 = 0, answers3 = 0, requests3 = 0, requests2 = 0;
	uint64_t forged_ok = 0;
	const int secs = 10;
	for (int s = 1; s <= secs; s++) {
		int64_t t0 = (int64_t)s * BFT_NS_PER_SEC;
		for (int k = 0; k < 1000; k++) { /* a millisecond's worth of flood, 40 datagrams */
			int64_t t = t0 + (int64_t)k * 1000000;
			for (int j = 0; j < 10; j++) {
				(void)deliver(junk, 1 + (size_t)(rnd() % BFT_WIRE_MAX), &p2, t, &ok);
				for (int f = 0; f < 2; f++) {
					size_t x = rnd() % 192;
					(void)deliver(forged[x], flen[x], &p2, t, &ok);
					forged_ok += ok;
				}
				(void)deliver(replay, rlen, &p2, t, &ok);
			}
			if (k == 500) { /* the poll: our REQUESTs out, their RESPONSEs back */
				for (uint32_t id = 2; id <= 3; id++) {
					uint64_t nonce = rnd();
					size_t n = make_msg(buf, BFT_MSG_REQUEST, 1, id, nonce, 0, t, false);
					bftd_gate_sent(&G.rl, id - 2, buf, n);
					n = make_msg(buf, BFT_MSG_RESPONSE, id, 1, nonce, rnd(), t + 10, false);
					if (deliver(buf, n, id == 2 ? &p2 : &p3, t + 2000000, &ok) == BFTD_GATE_CHECKED && ok)
						*(id == 2 ? &answers2 : &answers3) += 1;
					n = make_msg(buf, BFT_MSG_REQUEST, id, 1, rnd(), 0, t + 20, false);
					if (deliver(buf, n, id == 2 ? &p2 : &p3, t + 3000000, &ok) == BFTD_GATE_CHECKED && ok)
						*(id == 2 ? &requests2 : &requests3) += 1;
				}
			}
		}
	}
	print_message("peer 2 answered %d/%d polls through the flood, its REQUESTs %d/%d; peer 3 %d/%d and %d/%d; "
	              "%llu verifications (%llu bad), dropped: %llu address, %llu verify budget, %llu key\n",
	              answers2, secs, requests2, secs, answers3, secs, requests3, secs,
	              (unsigned long long)G.rl.stats.verified, (unsigned long long)G.rl.stats.bad_sig,
	              (unsigned long long)G.rl.stats.dropped_addr, (unsigned long long)G.rl.stats.dropped_verify,
	              (unsigned long long)G.rl.stats.dropped_key);
	assert_int_equal(answers2, secs);
	assert_int_equal(answers3, secs);
	assert_int_equal(requests3, secs);
	assert_int_equal(forged_ok, 0);
	/* Peer 2's address: at most its burst and rate of verifications of
	 * claims, plus the answers to our polls (and the replay taken before). */
	assert_true(G.verifies <= 40 + 20 * (uint64_t)secs + 2 * (uint64_t)secs + (uint64_t)requests3 + 2);
	assert_true(G.rl.stats.dropped_addr > 0 && G.rl.stats.dropped_verify > 0);
}

/* Forged claims from 20,000 addresses, and a pinned but Byzantine peer 3
 * sending valid fresh REQUESTs from 1,000: the total and the key's budgets
 * hold whatever the address count. Replays of peer 2's genuine REQUESTs
 * from everywhere never empty peer 2's key bucket. */
static void test_gate_budgets(void **st)
{
	(void)st;
	gate_setup();
	uint8_t buf[BFT_WIRE_MAX];
	bool ok;
	int64_t t = BFT_NS_PER_SEC;
	for (int i = 0; i < 20000; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		struct sockaddr_storage a = v4(ip);
		size_t n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, rnd(), 0, (int64_t)(rnd() >> 2), true);
		(void)deliver(buf, n, &a, t + i * 10000, &ok); /* 20,000 in 0.2 s */
	}
	print_message("20,000 forged claims from as many addresses in 0.2 s: %llu verified (total budget %d + %d/s)\n",
	              (unsigned long long)G.verifies, BFTD_VERIFY_BURST, BFTD_VERIFY_PER_S);
	assert_true(G.verifies <= BFTD_VERIFY_BURST + BFTD_VERIFY_PER_S / 5 + 1);
	assert_true(G.verifies >= BFTD_VERIFY_BURST);

	gate_setup();
	uint64_t taken = 0;
	for (int i = 0; i < 5000; i++) { /* 5,000 in 1 s, fresh and valid */
		char ip[32];
		snprintf(ip, sizeof ip, "10.9.%d.%d", i / 5 >> 8 & 255, i / 5 & 255);
		struct sockaddr_storage a = v4(ip);
		size_t n = make_msg(buf, BFT_MSG_REQUEST, 3, 1, rnd(), 0, 1000 + i, false);
		taken += deliver(buf, n, &a, t + i * 200000, &ok) == BFTD_GATE_CHECKED && ok;
	}
	print_message("a pinned peer's own flood, 5,000 valid REQUESTs in 1 s from 1,000 addresses: %llu verified, %llu taken\n",
	              (unsigned long long)G.verifies, (unsigned long long)taken);
	assert_true(G.verifies <= 40 + 20 + 1);
	assert_true(taken >= 40);

	gate_setup();
	struct sockaddr_storage p2 = v4("192.0.2.2");
	size_t n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, 1, 0, 1000, false);
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
	int64_t key_before = G.rl.peer[0].key.tokens_milli;
	for (int i = 0; i < 5000; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.8.%d.%d", i >> 8 & 255, i & 255);
		struct sockaddr_storage a = v4(ip);
		(void)deliver(buf, n, &a, t + 1000 + i, &ok); /* the same REQUEST, replayed */
	}
	assert_int_equal(G.rl.peer[0].key.tokens_milli, key_before);
	n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, 2, 0, 2000, false); /* the peer's next one */
	assert_int_equal(deliver(buf, n, &p2, t + BFT_NS_PER_SEC, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
}

/* An expected answer is worth BFTD_GATE_TRIES verifications, and none once
 * answered: someone who saw the nonce cannot make it cost more. */
static void test_gate_expected_bounded(void **st)
{
	(void)st;
	gate_setup();
	struct sockaddr_storage p2 = v4("192.0.2.2");
	uint8_t buf[BFT_WIRE_MAX];
	bool ok;
	int64_t t = BFT_NS_PER_SEC;
	/* empty the address's verification budget first */
	for (int i = 0; i < 100; i++) {
		size_t n = make_msg(buf, BFT_MSG_REQUEST, 2, 1, rnd(), 0, i, true);
		(void)deliver(buf, n, &p2, t, &ok);
	}
	uint64_t before = G.verifies;
	size_t n = make_msg(buf, BFT_MSG_REQUEST, 1, 2, 4242, 0, t, false);
	bftd_gate_sent(&G.rl, 0, buf, n);
	for (int i = 0; i < 10; i++) { /* forged answers with the right nonce */
		n = make_msg(buf, BFT_MSG_RESPONSE, 2, 1, 4242, rnd(), t, true);
		(void)deliver(buf, n, &p2, t, &ok);
		assert_false(ok);
	}
	assert_int_equal(G.verifies - before, BFTD_GATE_TRIES);
	/* Our next REQUEST, its genuine answer, then the same answer again. */
	n = make_msg(buf, BFT_MSG_REQUEST, 1, 2, 4343, 0, t, false);
	bftd_gate_sent(&G.rl, 0, buf, n);
	n = make_msg(buf, BFT_MSG_RESPONSE, 2, 1, 4343, 99, t, false);
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_DROP); /* no longer expected; budget empty */
	/* Our RESPONSE to peer 2, and its FOLLOWUP echoing both nonces. */
	n = make_msg(buf, BFT_MSG_RESPONSE, 1, 2, 55, 66, t, false);
	bftd_gate_sent(&G.rl, 0, buf, n);
	n = make_msg(buf, BFT_MSG_FOLLOWUP, 2, 1, 55, 67, t, false); /* wrong nonce2: not ours */
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_DROP);
	n = make_msg(buf, BFT_MSG_FOLLOWUP, 2, 1, 55, 66, t, false);
	assert_int_equal(deliver(buf, n, &p2, t, &ok), BFTD_GATE_CHECKED);
	assert_true(ok);
	bft_keyring_destroy(G.kr);
	G.kr = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_rate),
		cmocka_unit_test(test_cap_after_silence),
		cmocka_unit_test(test_addresses_apart),
		cmocka_unit_test(test_gate_sorts),
		cmocka_unit_test(test_gate_spoofed_flood),
		cmocka_unit_test(test_gate_budgets),
		cmocka_unit_test(test_gate_expected_bounded),
	};
	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
