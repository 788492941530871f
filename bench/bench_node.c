/* SPDX-License-Identifier: MIT */
/*
 * Node-level benchmarks, in memory (no sockets, no clocks: raw time is a
 * counter the benchmark advances).
 *
 *   node.exchange.<signer>  n full signed exchanges between two bft_node
 *       objects: each is one poll of node A with its one peer B. Both get a
 *       reference reading (so both are synchronized and every message yields
 *       a reading), A's poll timer fires (fusion, estimate, REQUEST), then
 *       REQUEST -> B, RESPONSE -> A, FOLLOWUP -> B, each encoded, signed,
 *       decoded and verified by the real node code, and a reading stored on
 *       both sides. A node serving as many peers as it polls does this
 *       much work per exchange (2 signs + 1 verify as requester, 1 sign + 2
 *       verifies as responder), so 1e9 * n / median_ns is the exchanges per
 *       second one node sustains on one core; per message, divide by 3n.
 *   msg.seal_open.<signer>  n messages encoded, signed, sealed, decoded and
 *       verified outside the node: the per-message floor of the exchange.
 *   wire.decode             n signed messages decoded (no verification).
 *   proof.decode            n time proofs decoded.
 *   proof.chain_sha3        n proofs decoded and chain-checked (SHA3-256 of
 *       the predecessor, seq, node, key, time): no signatures.
 *   proof.verify.ed25519_pinned   decode + Ed25519 verify under the embedded
 *       key checked against a pinned one + chain check: what a store does
 *       with a submitted proof from a peer it has no signer context for.
 *   proof.verify.ed25519_keyring  the same with the key from a keyring
 *       (no per-proof key parsing).
 *
 * Signers: ed25519 (OpenSSL, what bftimed runs) and sim (the simulator's
 * keyed-hash stand-in, not secure), so the difference is the crypto.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "node/node.h"
#include "proto/proof.h"
#include "proto/sign.h"
#include "proto/wire.h"

#define COUNT 1000
#define HOP_NS INT64_C(100000) /* one-way delay of the in-memory network */

static void die(const char *what)
{
	fprintf(stderr, "bench_node: %s\n", what);
	exit(1);
}

/* ---- keys ----------------------------------------------------------------- */

static const uint8_t seed_a[BFT_ED25519_KEY] = { 0xa1, 1, 2, 3 }, seed_b[BFT_ED25519_KEY] = { 0xb2, 4, 5, 6 };

/* A node's keyring as bftimed builds it: its own private key and its peer's
 * pinned public key. */
static bft_keyring *keyring_for(uint32_t self, const uint8_t *self_seed, uint32_t peer, const uint8_t *peer_seed)
{
	bft_keyring *kr;
	uint8_t pub[BFT_ED25519_KEY];
	if (bft_keyring_create(&kr, 2) != 0 || bft_keyring_add_private(kr, self, self_seed) != 0 ||
	    bft_ed25519_public(pub, peer_seed) != 0 || bft_keyring_add_public(kr, peer, pub) != 0)
		die("keyring setup failed");
	return kr;
}

/* ---- two nodes exchanging --------------------------------------------------- */

struct pair {
	bft_node *a, *b;
	int64_t t;       /* raw time, shared by both (one machine, no drift) */
	int64_t a_timer; /* A's next poll */
	size_t count;
};

static void reference(bft_node *n, int64_t t)
{
	if (bft_node_on_reference(n, t, 0, bft_iv(t - 1000000, t + 1000000)) != 0)
		die("reference rejected");
}

/* Deliver every queued action of `from`: SENDs to `to` (after one hop),
 * TIMERs of A remembered; ESTIMATEs dropped. Returns the SENDs delivered. */
static int drain(struct pair *p, bft_node *from, bft_node *to)
{
	bft_action act;
	int sent = 0;
	while (bft_node_next_action(from, &act)) {
		if (act.kind == BFT_ACT_TIMER && from == p->a) {
			p->a_timer = act.at_raw_ns;
		} else if (act.kind == BFT_ACT_SEND && act.to == bft_node_id(to)) {
			p->t += HOP_NS;
			if (bft_node_on_packet(to, p->t, act.buf, act.len) != 0)
				die("a packet was dropped: the benchmark would not measure the exchange");
			sent++;
		}
	}
	return sent;
}

/* One poll of A with its peer B: a full triple-transfer exchange. */
static void one_exchange(struct pair *p)
{
	p->t = p->a_timer > p->t ? p->a_timer : p->t + 1;
	reference(p->a, p->t);
	reference(p->b, p->t);
	if (bft_node_on_timer(p->a, p->t) != 0)
		die("timer rejected");
	/* Ping-pong until both are quiet: REQUEST, RESPONSE, FOLLOWUP. */
	while (drain(p, p->a, p->b) + drain(p, p->b, p->a) > 0) {
	}
}

static void run_exchanges(void *arg)
{
	struct pair *p = arg;
	for (size_t i = 0; i < p->count; i++)
		one_exchange(p);
	bench_sink((int64_t)bft_node_get_counters(p->a)->exchanges);
}

static void pair_init(struct pair *p, const bft_signer *sa, const bft_signer *sb)
{
	static const uint32_t peer_of_a[] = { 2 }, peer_of_b[] = { 1 };
	bft_node_config cfg;
	bft_node_config_default(&cfg);
	cfg.poll_ns = BFT_NS_PER_SEC;
	cfg.max_refs = 1;
	cfg.f = 0;
	cfg.n_peers = 1;
	cfg.id = 1;
	cfg.peers = peer_of_a;
	cfg.signer = sa;
	cfg.seed = 11;
	memset(p, 0, sizeof *p);
	if (bft_node_create(&p->a, &cfg) != 0)
		die("node A");
	cfg.id = 2;
	cfg.peers = peer_of_b;
	cfg.signer = sb;
	cfg.seed = 22;
	if (bft_node_create(&p->b, &cfg) != 0)
		die("node B");
	p->t = INT64_C(1700000000) * BFT_NS_PER_SEC;
	if (bft_node_start(p->a, p->t) != 0 || bft_node_start(p->b, p->t) != 0)
		die("start");
	/* Warm up until both are synchronized and storing readings. A node
	 * synchronizes at its first poll (references' news fuses only after
	 * it), so B's poll timer runs here too, and only here: the measured
	 * exchanges are A's alone. */
	for (int i = 0; i < 32; i++) {
		one_exchange(p);
		if (bft_node_on_timer(p->b, p->t) != 0)
			die("timer rejected");
		while (drain(p, p->b, p->a) + drain(p, p->a, p->b) > 0) {
		}
	}
	const bft_node_counters *ca = bft_node_get_counters(p->a), *cb = bft_node_get_counters(p->b);
	uint64_t ea = ca->exchanges, eb = cb->exchanges;
	one_exchange(p);
	if (ca->exchanges != ea + 1 || cb->exchanges != eb + 1 || ca->rx_bad_sig || cb->rx_bad_sig || ca->rx_replay ||
	    cb->rx_replay)
		die("the exchange did not yield a reading on both sides");
	p->count = COUNT;
}

static void pair_free(struct pair *p)
{
	bft_node_destroy(p->a);
	bft_node_destroy(p->b);
}

/* ---- messages outside the node ------------------------------------------------ */

struct msgs {
	const bft_signer *sa, *sb; /* A signs, B verifies */
	uint8_t (*buf)[BFT_WIRE_MAX];
	size_t *len;
	size_t count;
};

static bft_msg sample_msg(size_t i)
{
	bft_msg m = { .type = (uint8_t)(1 + i % 3), .flags = BFT_MSGF_SYNCED | BFT_MSGF_PRIMARY, .epoch = 1,
		      .from = 1, .to = 2, .nonce = bench_rand(), .nonce2 = i % 3 == 0 ? 0 : bench_rand(),
		      .t_a = INT64_C(1700000000) * BFT_NS_PER_SEC + (int64_t)i * 1000, .err_lo_ns = 800000,
		      .err_hi_ns = 900000, .pt_ns = 12345 };
	m.t_b = m.t_a + 2000;
	return m;
}

/* Encode, sign and seal m as A; returns the length. */
static size_t seal(uint8_t *buf, const bft_msg *m, const bft_signer *s)
{
	uint8_t sig[BFT_WIRE_SIG_MAX];
	int len = bft_wire_encode(buf, BFT_WIRE_MAX, m);
	if (len < 0 || s->sign(s->ctx, m->from, buf, (size_t)len, sig) != 0)
		die("encode/sign");
	len = bft_wire_seal(buf, BFT_WIRE_MAX, (size_t)len, sig, s->sig_len);
	if (len < 0)
		die("seal");
	return (size_t)len;
}

static void run_seal_open(void *arg)
{
	struct msgs *ms = arg;
	int64_t acc = 0;
	for (size_t i = 0; i < ms->count; i++) {
		bft_msg m = sample_msg(i), d;
		uint8_t buf[BFT_WIRE_MAX];
		size_t len = seal(buf, &m, ms->sa), signed_len;
		if (bft_wire_decode(&d, &signed_len, buf, len) != 0 ||
		    ms->sb->verify(ms->sb->ctx, d.from, buf, signed_len, d.sig, d.sig_len) != 0)
			die("open");
		acc ^= d.t_a;
	}
	bench_sink(acc);
}

static void run_wire_decode(void *arg)
{
	struct msgs *ms = arg;
	int64_t acc = 0;
	for (size_t i = 0; i < ms->count; i++) {
		bft_msg d;
		size_t signed_len;
		if (bft_wire_decode(&d, &signed_len, ms->buf[i], ms->len[i]) != 0)
			die("decode");
		acc ^= d.t_a + (int64_t)signed_len;
	}
	bench_sink(acc);
}

/* ---- proofs ---------------------------------------------------------------- */

struct chain {
	uint8_t (*buf)[BFT_PROOF_V1_MAX]; /* v1 proofs: 239 bytes each, not v2's maximum */
	size_t *len;
	size_t count;
	uint8_t pub[BFT_PROOF_KEY];
	const bft_signer *verifier;
	enum { CH_DECODE, CH_SHA3, CH_PINNED, CH_KEYRING } mode;
};

static void run_chain(void *arg)
{
	struct chain *c = arg;
	bft_proof prev, cur;
	int64_t acc = 0;
	for (size_t i = 0; i < c->count; i++) {
		if (bft_proof_decode(&cur, c->buf[i], c->len[i]) != 0)
			die("proof decode");
		if (c->mode == CH_PINNED && bft_proof_verify_key(&cur, c->pub) != 0)
			die("proof signature (pinned)");
		if (c->mode == CH_KEYRING && bft_proof_verify_signer(&cur, c->verifier) != 0)
			die("proof signature (keyring)");
		if (c->mode != CH_DECODE && i > 0 && bft_proof_chain_check(&prev, NULL, &cur) != BFT_CHAIN_OK)
			die("proof chain");
		acc ^= cur.time_ns;
		prev = cur;
	}
	bench_sink(acc);
}

static void chain_build(struct chain *c, const bft_signer *signer, const uint8_t *pub)
{
	c->count = COUNT;
	c->buf = malloc(COUNT * sizeof *c->buf);
	c->len = malloc(COUNT * sizeof *c->len);
	if (!c->buf || !c->len)
		die("out of memory");
	memcpy(c->pub, pub, BFT_PROOF_KEY);
	bft_proof_gen g;
	if (bft_proof_gen_init(&g, 1, pub, signer) != 0)
		die("proof generator");
	int64_t t = INT64_C(1700000000) * BFT_NS_PER_SEC;
	for (size_t i = 0; i < COUNT; i++, t += 60 * BFT_NS_PER_SEC) {
		bft_proof_clock clk = {
			.flags = BFT_PROOFF_SYNCED, .raw_ns = t - 12345, .time_ns = t, .offset_ns = 12345,
			.freq_ppb = -4200, .bounds = bft_iv(t - 800000, t + 900000),
			.ref = { .kind = BFT_REF_SIM_GPS, .week = 2345, .tow_ns = (int64_t)(i % 604800) * BFT_NS_PER_SEC,
				 .sats_used = 9, .sats_visible = 12, .snr_cdbhz = 4250 },
		};
		uint8_t nonce[BFT_PROOF_NONCE];
		for (size_t b = 0; b < sizeof nonce; b++)
			nonce[b] = (uint8_t)bench_rand();
		bft_proof p;
		if (bft_proof_gen_next(&g, &p, &clk, nonce) != 0 || bft_proof_gen_accept(&g, &p) != 0)
			die("proof generation");
		int len = bft_proof_encode(c->buf[i], BFT_PROOF_V1_MAX, &p);
		if (len < 0)
			die("proof encode");
		c->len[i] = (size_t)len;
	}
}

void bench_suite_node(void)
{
	bft_keyring *ka = keyring_for(1, seed_a, 2, seed_b), *kb = keyring_for(2, seed_b, 1, seed_a);
	bft_signer ed_a, ed_b, sim;
	bft_signer_ed25519(&ed_a, ka);
	bft_signer_ed25519(&ed_b, kb);
	static const uint64_t secret = 0x5eed5eed5eed5eedu;
	bft_signer_sim(&sim, &secret);

	bench_baseline(COUNT);

	struct pair p;
	pair_init(&p, &ed_a, &ed_b);
	bench_case("node.exchange.ed25519", COUNT, run_exchanges, &p);
	pair_free(&p);
	pair_init(&p, &sim, &sim);
	bench_case("node.exchange.sim", COUNT, run_exchanges, &p);
	pair_free(&p);

	struct msgs ms = { .sa = &ed_a, .sb = &ed_b, .count = COUNT };
	bench_case("msg.seal_open.ed25519", COUNT, run_seal_open, &ms);
	ms.sa = ms.sb = &sim;
	bench_case("msg.seal_open.sim", COUNT, run_seal_open, &ms);

	ms.buf = malloc(COUNT * sizeof *ms.buf);
	ms.len = malloc(COUNT * sizeof *ms.len);
	if (!ms.buf || !ms.len)
		die("out of memory");
	for (size_t i = 0; i < COUNT; i++) {
		bft_msg m = sample_msg(i);
		ms.len[i] = seal(ms.buf[i], &m, &ed_a);
	}
	bench_case("wire.decode", COUNT, run_wire_decode, &ms);
	free(ms.buf);
	free(ms.len);

	uint8_t pub_a[BFT_ED25519_KEY];
	if (bft_ed25519_public(pub_a, seed_a) != 0)
		die("public key");
	struct chain c = { .verifier = &ed_b };
	chain_build(&c, &ed_a, pub_a);
	c.mode = CH_DECODE;
	bench_case("proof.decode", COUNT, run_chain, &c);
	c.mode = CH_SHA3;
	bench_case("proof.chain_sha3", COUNT, run_chain, &c);
	c.mode = CH_PINNED;
	bench_case("proof.verify.ed25519_pinned", COUNT, run_chain, &c);
	c.mode = CH_KEYRING;
	bench_case("proof.verify.ed25519_keyring", COUNT, run_chain, &c);
	free(c.buf);
	free(c.len);

	bft_keyring_destroy(ka);
	bft_keyring_destroy(kb);
}
