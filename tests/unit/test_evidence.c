/* SPDX-License-Identifier: MIT */
/*
 * Equivocation evidence (issue 13, finding 6): before, a twin with a node's
 * key forked its chain and the only trace was a counter. Here, the codec
 * and checks (proto/evidence.h): a fork and two chains are evidence, and
 * each way of not being evidence is refused with its own reason; and the
 * daemon's side (daemon/evidence.h through the proof service): a fork the
 * store finds becomes evidence, kept across a reopen, the key's proofs are
 * refused from then on, offered evidence is checked (unknown keys, dups),
 * a node whose own key is shown faulty issues no more proofs, and a store
 * holding a node that is no longer pinned still opens (the recovery).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bftime/common.h>

#include "daemon/config.h"
#include "daemon/evidence.h"
#include "daemon/proofs_svc.h"
#include "daemon/store.h"
#include "proto/evidence.h"
#include "proto/p256.h"
#include "tests/fuzz/evidence_seed.h"

static const uint8_t self_seed[32] = { 0x51, 0x52 };
static const uint8_t other_seed[32] = { 0x77 };

/* The two proofs of an encoded piece. */
static void split(const uint8_t *b, size_t len, bft_proof *a, bft_proof *c)
{
	bft_evidence ev;
	assert_int_equal(bft_evidence_decode(&ev, b, len), BFT_EV_OK);
	*a = ev.a;
	*c = ev.b;
}

/* Encode a pair as given, in this order, bypassing make()'s ordering. */
static int raw_pair(uint8_t *out, const bft_proof *a, const bft_proof *c)
{
	uint8_t x[BFT_PROOF_MAX], y[BFT_PROOF_MAX];
	int lx = bft_proof_encode(x, sizeof x, a), ly = bft_proof_encode(y, sizeof y, c);
	assert_true(lx > 0 && ly > 0);
	out[0] = 'B', out[1] = 'E', out[2] = 1, out[3] = (uint8_t)lx;
	memcpy(out + 4, x, (size_t)lx);
	out[4 + lx] = (uint8_t)ly;
	memcpy(out + 5 + lx, y, (size_t)ly);
	return 5 + lx + ly;
}

static void test_fork_and_link_are_evidence(void **state)
{
	(void)state;
	uint8_t b[BFT_EVIDENCE_MAX], again[BFT_EVIDENCE_MAX];
	for (uint8_t kind = BFT_EV_FORK; kind <= BFT_EV_LINK; kind++) {
		int l = ev_seed_make(kind, 7, NULL, b, sizeof b, NULL);
		assert_true(l > 0);
		bft_evidence ev;
		assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_OK);
		assert_int_equal(ev.kind, kind);
		assert_int_equal(bft_evidence_verify(&ev), BFT_EV_OK);
		assert_int_equal(bft_evidence_encode(again, sizeof again, &ev), l);
		assert_memory_equal(again, b, (size_t)l);
		if (kind == BFT_EV_FORK)
			assert_int_equal(ev.a.seq, ev.b.seq);
		else
			assert_int_equal(ev.a.seq + 1, ev.b.seq);
		/* Every truncation and every extension is refused, never read past. */
		for (int k = 0; k < l; k++)
			assert_int_equal(bft_evidence_decode(&ev, b, (size_t)k), BFT_EV_BAD_ENCODING);
		assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l + 1), BFT_EV_BAD_ENCODING);
	}
}

static void test_not_evidence_each_reason(void **state)
{
	(void)state;
	uint8_t b[BFT_EVIDENCE_MAX], o[BFT_EVIDENCE_MAX];
	int l = ev_seed_make(BFT_EV_FORK, 7, NULL, b, sizeof b, NULL);
	bft_proof a, c, d, e;
	split(b, (size_t)l, &a, &c);
	bft_evidence ev;
	/* The other order. */
	int n = raw_pair(o, &c, &a);
	assert_int_equal(bft_evidence_decode(&ev, o, (size_t)n), BFT_EV_NOT_CANONICAL);
	/* The same proof twice. */
	n = raw_pair(o, &a, &a);
	assert_int_equal(bft_evidence_decode(&ev, o, (size_t)n), BFT_EV_SAME_PROOF);
	/* Two keys: the same history signed by another key for another node. */
	int l2 = ev_seed_make(BFT_EV_FORK, 8, other_seed, o, sizeof o, NULL);
	assert_true(l2 > 0);
	split(o, (size_t)l2, &d, &e);
	n = raw_pair(o, &a, &d);
	assert_int_equal(bft_evidence_make(&ev, &a, &d), BFT_EV_KEYS_DIFFER);
	assert_int_equal(bft_evidence_decode(&ev, o, (size_t)n), BFT_EV_KEYS_DIFFER);
	/* Linked proofs, and proofs two apart: no conflict. */
	uint8_t lb[BFT_EVIDENCE_MAX];
	int ll = ev_seed_make(BFT_EV_LINK, 7, NULL, lb, sizeof lb, NULL);
	bft_proof la, lc; /* a1 and b2; b2 follows b1, b1 and a1 share a0 */
	split(lb, (size_t)ll, &la, &lc);
	bft_proof b1 = a.seq == la.seq && memcmp(&a, &la, sizeof a) == 0 ? c : a;
	assert_int_equal(bft_evidence_make(&ev, &b1, &lc), BFT_EV_NO_CONFLICT);
	bft_proof far = lc;
	far.seq += 5;
	assert_int_equal(bft_evidence_make(&ev, &la, &far), BFT_EV_NO_CONFLICT);
	/* A changed signature byte: decodes (signatures are not the
	 * decoder's), refused by verify. */
	b[l - 1] ^= 1;
	assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_OK);
	assert_int_equal(bft_evidence_verify(&ev), BFT_EV_BAD_SIG);
	/* Not the magic. */
	b[0] = 'X';
	assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_BAD_ENCODING);
	for (int r = 0; r < BFT_EV_ERRORS; r++) {
		assert_string_not_equal(bft_evidence_error_name(r), "?");
		assert_string_not_equal(bft_evidence_error_text(r), "?");
	}
}

static void test_body_parser(void **state)
{
	(void)state;
	uint8_t out[2][BFT_EVIDENCE_MAX];
	size_t lens[2], n;
	char err[200];
	assert_int_equal(bftd_evidence_parse_body("{\"evidence\":\"4245\"}", 19, out, lens, 2, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lens[0], 2);
	const char *three = "{\"evidence\":[\"00\",\"00\",\"00\"]}";
	assert_int_equal(bftd_evidence_parse_body(three, strlen(three), out, lens, 2, &n, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "1 to 2 pieces"));
	const char *odd = "{\"evidence\":\"abc\"}";
	assert_int_equal(bftd_evidence_parse_body(odd, strlen(odd), out, lens, 2, &n, err, sizeof err), BFT_EINVAL);
	const char *junk = "{\"evidence\":\"00\"} x";
	assert_int_equal(bftd_evidence_parse_body(junk, strlen(junk), out, lens, 2, &n, err, sizeof err), BFT_EINVAL);
}

/* ---- the daemon's side -------------------------------------------------- */

struct fx {
	char dir[64];
	bftd_config cfg;
	bftd_peer peer;
	bft_keyring *kr;
	bft_signer s;
	uint8_t pub[32];
	char err[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/bftime-ev-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg.id = 1;
	snprintf(f->cfg.store_path, sizeof f->cfg.store_path, "%s/proofs.db", f->dir);
	assert_int_equal(bft_keyring_create(&f->kr, 2), 0);
	assert_int_equal(bft_keyring_add_private(f->kr, 1, self_seed), 0);
	assert_int_equal(bft_ed25519_public(f->pub, self_seed), 0);
	bft_signer_ed25519(&f->s, f->kr);
	/* Peer 2 is pinned with ev_seed_key: the key the evidence helpers sign with. */
	f->peer.id = 2;
	assert_int_equal(bft_ed25519_public(f->peer.pubkey, ev_seed_key), 0);
	f->cfg.peers = &f->peer;
	f->cfg.n_peers = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char p[400];
		snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	bft_keyring_destroy(f->kr);
	free(f);
	return 0;
}

static bftd_proofs *open_ok(struct fx *f)
{
	bftd_proofs *ps = NULL;
	int rc = bftd_proofs_open(&ps, &f->cfg, f->pub, &f->s, f->err, sizeof f->err);
	if (rc)
		print_message("%s\n", f->err);
	assert_int_equal(rc, 0);
	return ps;
}

static enum bft_store_result submit(bftd_proofs *ps, const bft_proof *p)
{
	uint8_t b[BFT_PROOF_MAX];
	int l = bft_proof_encode(b, sizeof b, p);
	assert_true(l > 0);
	enum bft_store_result r;
	(void)bftd_proofs_submit(ps, b, (size_t)l, &r);
	return r;
}

static void test_fork_becomes_evidence_and_key_faulty(void **state)
{
	struct fx *f = *state;
	uint8_t b[BFT_EVIDENCE_MAX], lb[BFT_EVIDENCE_MAX];
	int l = ev_seed_make(BFT_EV_FORK, 2, NULL, b, sizeof b, NULL);
	int ll = ev_seed_make(BFT_EV_LINK, 2, NULL, lb, sizeof lb, NULL);
	bft_proof a, c, la, b2;
	split(b, (size_t)l, &a, &c);
	split(lb, (size_t)ll, &la, &b2);
	bftd_proofs *ps = open_ok(f);
	bftd_evidence *ev = bftd_proofs_evidence(ps);
	assert_int_equal(submit(ps, &a), BFT_STORE_GAP);
	assert_false(bftd_evidence_node_faulty(ev, 2));
	assert_int_equal(submit(ps, &c), BFT_STORE_FORK);
	assert_true(bftd_evidence_node_faulty(ev, 2));
	assert_false(bftd_evidence_self_faulty(ev));
	assert_int_equal(bftd_evidence_get_stats(ev)->created, 1);
	assert_int_equal(bftd_evidence_count(ev), 1);
	uint8_t held[BFT_EVIDENCE_MAX];
	assert_int_equal(bftd_evidence_bytes(ev, 0, held, sizeof held), l);
	assert_memory_equal(held, b, (size_t)l); /* canonical: the same bytes as made elsewhere */
	/* From now on the key's proofs are refused. */
	assert_int_equal(submit(ps, &b2), BFT_STORE_FAULTY);
	assert_int_equal(bftd_evidence_get_stats(ev)->proofs_refused, 1);
	/* Offered again: a duplicate. */
	int why;
	assert_int_equal(bftd_evidence_submit(ev, bftd_proofs_store(ps), lb, (size_t)ll, &why), BFTD_EV_DUP);
	bftd_proofs_close(ps);
	/* Durable: a new service on the same store holds it. */
	ps = open_ok(f);
	ev = bftd_proofs_evidence(ps);
	assert_true(bftd_evidence_node_faulty(ev, 2));
	assert_int_equal(submit(ps, &b2), BFT_STORE_FAULTY);
	bftd_proofs_close(ps);
	/* The operator's recovery: node 2 is no longer pinned (it comes back
	 * under a new id and key). The store still opens (its rows of node 2
	 * are checked under the key they embed; before, it was refused as
	 * damaged), the old evidence stays on disk, inert, and node 2's old
	 * proofs are still served. */
	f->cfg.n_peers = 0;
	ps = open_ok(f);
	ev = bftd_proofs_evidence(ps);
	assert_int_equal(bftd_evidence_count(ev), 0);
	uint8_t got[BFT_PROOF_MAX];
	assert_true(bft_store_get(bftd_proofs_store(ps), 2, a.seq, got, sizeof got) > 0);
	assert_int_equal(submit(ps, &b2), BFT_STORE_BAD_KEY); /* new proofs of an unpinned node: refused */
	bftd_proofs_close(ps);
}

static void test_offered_evidence(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bftd_evidence *ev = bftd_proofs_evidence(ps);
	bft_store *st = bftd_proofs_store(ps);
	uint8_t b[BFT_EVIDENCE_MAX];
	int why;
	/* A node nobody here pins: ignored. */
	int l = ev_seed_make(BFT_EV_FORK, 3, NULL, b, sizeof b, NULL);
	assert_int_equal(bftd_evidence_submit(ev, st, b, (size_t)l, &why), BFTD_EV_UNKNOWN_KEY);
	/* Node 2 under another key than its pinned one: ignored. */
	l = ev_seed_make(BFT_EV_FORK, 2, other_seed, b, sizeof b, NULL);
	assert_int_equal(bftd_evidence_submit(ev, st, b, (size_t)l, &why), BFTD_EV_UNKNOWN_KEY);
	/* A bad signature: invalid, with its reason. */
	l = ev_seed_make(BFT_EV_LINK, 2, NULL, b, sizeof b, NULL);
	b[l - 1] ^= 1;
	assert_int_equal(bftd_evidence_submit(ev, st, b, (size_t)l, &why), BFTD_EV_INVALID);
	assert_int_equal(why, BFT_EV_BAD_SIG);
	assert_int_equal(bftd_evidence_get_stats(ev)->invalid[BFT_EV_BAD_SIG], 1);
	assert_false(bftd_evidence_node_faulty(ev, 2));
	b[l - 1] ^= 1;
	assert_int_equal(bftd_evidence_submit(ev, st, b, (size_t)l, &why), BFTD_EV_NEW);
	assert_true(bftd_evidence_node_faulty(ev, 2));
	bftd_proofs_close(ps);
}

static void test_own_key_faulty_stops_issuing(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bftd_evidence *ev = bftd_proofs_evidence(ps);
	int64_t t = INT64_C(1700000000000000000);
	bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = t / 2, .time_ns = t,
		              .offset_ns = t - t / 2, .bounds = bft_iv(t - 1000, t + 1000) };
	bft_proof p;
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), 0);
	uint8_t b[BFT_EVIDENCE_MAX];
	int l = ev_seed_make(BFT_EV_FORK, 1, self_seed, b, sizeof b, NULL);
	int why;
	assert_int_equal(bftd_evidence_submit(ev, bftd_proofs_store(ps), b, (size_t)l, &why), BFTD_EV_NEW);
	assert_true(bftd_evidence_self_faulty(ev));
	c.time_ns += BFT_NS_PER_SEC;
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), BFT_EINVAL);
	json_object *o = json_object_new_object();
	bftd_evidence_status_json(ev, o);
	json_object *e, *k;
	assert_true(json_object_object_get_ex(o, "evidence", &e) && json_object_object_get_ex(e, "own_key_faulty", &k));
	assert_true(json_object_get_boolean(k));
	json_object_put(o);
	bftd_proofs_close(ps);
}

/* Version-2 proofs (batched, proof_v2.h): a fork and two chains are
 * evidence in the version-2 layout; one body under two authenticators is
 * one proof; the order, the container version, a v1/v2 mix, a changed
 * signature, and a P-256 node's proofs. */
static void test_v2_evidence(void **state)
{
	(void)state;
	uint8_t *b = malloc(BFT_EVIDENCE_MAX), *again = malloc(BFT_EVIDENCE_MAX);
	assert_true(b && again);
	for (int k = 0; k < 2; k++) {
		uint8_t kind = k ? BFT_EV_LINK : BFT_EV_FORK;
		int l = ev_seed_make_v2(kind, 2, NULL, b, BFT_EVIDENCE_MAX, NULL);
		assert_true(l > BFT_EVIDENCE_V1_MAX || l > 0);
		assert_int_equal(b[2], BFT_EVIDENCE_VERSION_2);
		bft_evidence ev;
		assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_OK);
		assert_int_equal(ev.kind, kind);
		assert_int_equal(ev.a.version, BFT_PROOF_VERSION_2);
		assert_int_equal(bft_evidence_verify(&ev), BFT_EV_OK);
		assert_int_equal(bft_evidence_encode(again, BFT_EVIDENCE_MAX, &ev), l);
		assert_memory_equal(again, b, (size_t)l);
		uint8_t id[32];
		assert_int_equal(bft_evidence_id(id, &ev), 0);
		/* The other order. */
		size_t la = (size_t)b[3] << 8 | b[4], lb = (size_t)l - 7 - la;
		again[0] = 'B', again[1] = 'E', again[2] = 2, again[3] = (uint8_t)(lb >> 8), again[4] = (uint8_t)lb;
		memcpy(again + 5, b + 7 + la, lb);
		again[5 + lb] = (uint8_t)(la >> 8), again[6 + lb] = (uint8_t)la;
		memcpy(again + 7 + lb, b + 5, la);
		if (kind == BFT_EV_FORK)
			assert_int_equal(bft_evidence_decode(&ev, again, (size_t)l), BFT_EV_NOT_CANONICAL);
		else
			assert_int_not_equal(bft_evidence_decode(&ev, again, (size_t)l), BFT_EV_OK);
		/* Version 1's container cannot hold them. */
		memcpy(again, b, (size_t)l);
		again[2] = BFT_EVIDENCE_VERSION;
		assert_int_equal(bft_evidence_decode(&ev, again, (size_t)l), BFT_EV_BAD_ENCODING);
		/* A changed byte in the last proof's signature. */
		memcpy(again, b, (size_t)l);
		again[l - 1] ^= 1;
		assert_int_equal(bft_evidence_decode(&ev, again, (size_t)l), BFT_EV_OK);
		assert_int_equal(bft_evidence_verify(&ev), BFT_EV_BAD_SIG);
		/* Truncated. */
		assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l - 1), BFT_EV_BAD_ENCODING);
	}

	/* One statement signed in two batches: one proof, not a fork; and a v1
	 * proof against a v2 one at the same seq: a fork. */
	bft_keyring *kr = NULL;
	uint8_t pub[32];
	assert_int_equal(bft_keyring_create(&kr, 4), 0);
	assert_int_equal(bft_keyring_add_private(kr, 2, ev_seed_key), 0);
	assert_int_equal(bft_ed25519_public(pub, ev_seed_key), 0);
	bft_signer s;
	bft_signer_ed25519(&s, kr);
	bft_proof_gen g;
	assert_int_equal(bft_proof_gen_init(&g, 2, pub, &s), 0);
	bft_proof st[2], x, y, v1;
	int64_t t = INT64_C(1717243200000000000);
	assert_int_equal(ev_seed_v2_statement(&g, &st[0], t, 1), 0);
	assert_int_equal(ev_seed_v2_statement(&g, &st[1], t + 1000000000, 2), 0);
	bft_proof_batch_signer bs = { .scheme = BFT_PSCHEME_ED25519, .ed = &s };
	uint8_t *b2 = NULL, *b1 = NULL;
	size_t o2[2], l2[2], o1[1], l1[1];
	assert_int_equal(bft_proof_batch_sign(&bs, st, 2, &b2, o2, l2), 0);
	assert_int_equal(bft_proof_batch_sign(&bs, &st[1], 1, &b1, o1, l1), 0);
	assert_int_equal(bft_proof_decode(&x, b2 + o2[1], l2[1]), 0);
	assert_int_equal(bft_proof_decode(&y, b1 + o1[0], l1[0]), 0);
	assert_int_not_equal(l2[1], l1[0]); /* another authenticator */
	bft_evidence ev;
	assert_int_equal(bft_evidence_make(&ev, &x, &y), BFT_EV_SAME_PROOF);
	bft_proof_gen g1;
	assert_int_equal(bft_proof_gen_init(&g1, 2, pub, &s), 0);
	assert_int_equal(bft_proof_gen_accept(&g1, &st[0]), 0);
	assert_int_equal(ev_seed_next(&g1, &v1, t + 1000000000, 9), 0);
	assert_int_equal(bft_evidence_make(&ev, &v1, &x), BFT_EV_OK);
	assert_int_equal(ev.kind, BFT_EV_FORK);
	int l = bft_evidence_encode(b, BFT_EVIDENCE_MAX, &ev);
	assert_true(l > 0);
	assert_int_equal(b[2], BFT_EVIDENCE_VERSION_2);
	assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_OK);
	assert_int_equal(bft_evidence_verify(&ev), BFT_EV_OK);
	free(b1);
	free(b2);

	/* A P-256 node (proto/p256.h): its p256 batches fork. */
	uint8_t priv[32], point[65], kid[32];
	assert_int_equal(bft_p256_keygen(priv, point), 0);
	assert_int_equal(bft_p256_key_id(kid, point), 0);
	assert_int_equal(bft_keyring_add_private_p256(kr, 3, priv), 0);
	bft_proof_gen gp;
	assert_int_equal(bft_proof_gen_init(&gp, 3, kid, &s), 0);
	bft_proof p0, pa, pb;
	assert_int_equal(ev_seed_v2_statement(&gp, &p0, t, 1), 0);
	bft_proof_gen gq = gp;
	assert_int_equal(ev_seed_v2_statement(&gp, &pa, t + 1000000000, 2), 0);
	assert_int_equal(ev_seed_v2_statement(&gq, &pb, t + 1000000000, 3), 0);
	bft_proof_batch_signer ps256 = { .scheme = BFT_PSCHEME_P256, .ed = &s, .p256_pk = point };
	assert_int_equal(bft_proof_batch_sign(&ps256, &pa, 1, &b1, o1, l1), 0);
	assert_int_equal(bft_proof_batch_sign(&ps256, &pb, 1, &b2, o2, l2), 0);
	assert_int_equal(bft_proof_decode(&x, b1 + o1[0], l1[0]), 0);
	assert_int_equal(bft_proof_decode(&y, b2 + o2[0], l2[0]), 0);
	assert_int_equal(bft_evidence_make(&ev, &x, &y), BFT_EV_OK);
	l = bft_evidence_encode(b, BFT_EVIDENCE_MAX, &ev);
	assert_int_equal(bft_evidence_decode(&ev, b, (size_t)l), BFT_EV_OK);
	assert_int_equal(bft_evidence_verify(&ev), BFT_EV_OK);
	free(b1);
	free(b2);
	bft_keyring_destroy(kr);
	free(b);
	free(again);
}

/* The daemon: a fork of version-2 proofs the store finds becomes evidence,
 * the same bytes as made elsewhere, and the key is faulty from then on. */
static void test_v2_fork_becomes_evidence(void **state)
{
	struct fx *f = *state;
	uint8_t *b = malloc(BFT_EVIDENCE_MAX), *lb = malloc(BFT_EVIDENCE_MAX), *held = malloc(BFT_EVIDENCE_MAX);
	assert_true(b && lb && held);
	int l = ev_seed_make_v2(BFT_EV_FORK, 2, NULL, b, BFT_EVIDENCE_MAX, NULL);
	int ll = ev_seed_make_v2(BFT_EV_LINK, 2, NULL, lb, BFT_EVIDENCE_MAX, NULL);
	bft_proof a, c, la, b2;
	split(b, (size_t)l, &a, &c);
	split(lb, (size_t)ll, &la, &b2);
	bftd_proofs *ps = open_ok(f);
	bftd_evidence *ev = bftd_proofs_evidence(ps);
	assert_int_equal(submit(ps, &a), BFT_STORE_GAP);
	assert_int_equal(submit(ps, &c), BFT_STORE_FORK);
	assert_true(bftd_evidence_node_faulty(ev, 2));
	assert_int_equal(bftd_evidence_get_stats(ev)->created, 1);
	assert_int_equal(bftd_evidence_bytes(ev, 0, held, BFT_EVIDENCE_MAX), l);
	assert_memory_equal(held, b, (size_t)l);
	assert_int_equal(submit(ps, &b2), BFT_STORE_FAULTY);
	int why;
	assert_int_equal(bftd_evidence_submit(ev, bftd_proofs_store(ps), lb, (size_t)ll, &why), BFTD_EV_DUP);
	bftd_proofs_close(ps);
	ps = open_ok(f); /* durable */
	assert_true(bftd_evidence_node_faulty(bftd_proofs_evidence(ps), 2));
	bftd_proofs_close(ps);
	free(b);
	free(lb);
	free(held);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_and_link_are_evidence),
		cmocka_unit_test(test_not_evidence_each_reason),
		cmocka_unit_test(test_body_parser),
		cmocka_unit_test_setup_teardown(test_fork_becomes_evidence_and_key_faulty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offered_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_key_faulty_stops_issuing, setup, teardown),
		cmocka_unit_test(test_v2_evidence),
		cmocka_unit_test_setup_teardown(test_v2_fork_becomes_evidence, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
