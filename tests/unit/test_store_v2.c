/* SPDX-License-Identifier: MIT */
/* The proof store with version-2 proofs (proto/proof_v2.h): a store whose
 * node has v1 rows takes the same chain on in v2 batches (the migration a
 * running node makes when its config moves to node.proofs: hybrid), serves
 * them, survives a reopen and the start-up check, keeps v1 rows working;
 * a v2 proof whose authenticator was changed on disk is never served (its
 * hash covers only its body: the verification cache keys on all its bytes),
 * and the start-up check finds a bad signature at a stretch's top; a pinned
 * SLH-DSA key decides which carried key counts. Each test works in its own mkdtemp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bftime/common.h>
#include "daemon/store.h"
#include "proto/proof.h"
#include "proto/sign.h"

static const uint8_t seed1[32] = { 1, 2, 3 };

struct fx {
	char dir[64], path[96];
	bft_keyring *kr;
	bft_signer ed;
	bft_slhdsa_keyring *skr;
	bft_signer slh;
	uint8_t pub[32], slh_pk[BFT_SLHDSA_MAX_PK], slh_sk[BFT_SLHDSA_MAX_SK];
	const bft_slhdsa_params *pp;
	bft_proof_gen g;
	bool pin_slh, wrong_pin;
};

static int pinned_cb(void *ctx, uint32_t id, uint8_t pub[32])
{
	struct fx *f = ctx;
	if (id != 1)
		return -1;
	memcpy(pub, f->pub, 32);
	return 0;
}

static int pinned_slh_cb(void *ctx, uint32_t id, uint8_t *pk, size_t *len)
{
	struct fx *f = ctx;
	if (id != 1 || !f->pin_slh)
		return -1;
	memcpy(pk, f->slh_pk, f->pp->pk_len);
	if (f->wrong_pin)
		pk[0] ^= 1;
	*len = f->pp->pk_len;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/bftime-storev2-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/proofs.db", f->dir);
	assert_int_equal(bft_keyring_create(&f->kr, 2), 0);
	assert_int_equal(bft_keyring_add_private(f->kr, 1, seed1), 0);
	assert_int_equal(bft_ed25519_public(f->pub, seed1), 0);
	bft_signer_ed25519(&f->ed, f->kr);
	f->pp = bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128F);
	assert_int_equal(bft_slhdsa_keygen(f->pp, f->slh_sk, f->slh_pk), 0);
	assert_int_equal(bft_slhdsa_keyring_create(&f->skr, f->pp->id, 1), 0);
	assert_int_equal(bft_slhdsa_keyring_add_private(f->skr, 1, f->slh_sk), 0);
	bft_signer_slhdsa(&f->slh, f->skr);
	assert_int_equal(bft_proof_gen_init(&f->g, 1, f->pub, &f->ed), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	bft_keyring_destroy(f->kr);
	bft_slhdsa_keyring_destroy(f->skr);
	free(f);
	return 0;
}

static bft_store *open_store(struct fx *f)
{
	bft_store_config c = { .path = f->path, .pinned_key = pinned_cb, .pinned_ctx = f, .require_pinned = true,
		               .pinned_slh_key = pinned_slh_cb };
	bft_store *st = NULL;
	char err[256];
	assert_int_equal(bft_store_open(&st, &c, err, sizeof err), 0);
	return st;
}

static bft_proof_clock clock_at(int64_t t)
{
	bft_proof_clock c;
	memset(&c, 0, sizeof c);
	c.flags = BFT_PROOFF_SYNCED;
	c.raw_ns = t - 10;
	c.time_ns = t;
	c.bounds = bft_iv(t - 100, t + 100);
	return c;
}

static int64_t t_next = 1000 * BFT_NS_PER_SEC;

static void put_v1(struct fx *f, bft_store *st, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t nonce[32] = { (uint8_t)i, 1 };
		bft_proof p;
		bft_proof_clock c = clock_at(t_next += BFT_NS_PER_SEC);
		assert_int_equal(bft_proof_gen_next(&f->g, &p, &c, nonce), 0);
		enum bft_store_result r;
		assert_int_equal(bft_store_put_proof(st, &p, &r), 0);
		assert_int_equal(r, BFT_STORE_NEW);
		assert_int_equal(bft_proof_gen_accept(&f->g, &p), 0);
	}
}

/* A signed batch of n continuing f->g (advanced past it): bytes in *buf. */
static void batch(struct fx *f, uint8_t scheme, size_t n, uint8_t **buf, size_t *offs, size_t *lens)
{
	bft_proof body[8];
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		uint8_t nonce[32] = { (uint8_t)i, 2 };
		bft_proof_clock c = clock_at(t_next += BFT_NS_PER_SEC);
		assert_int_equal(bft_proof_gen_statement(&f->g, &body[i], &c, nonce), 0);
		assert_int_equal(bft_proof_gen_accept(&f->g, &body[i]), 0);
	}
	bft_proof_batch_signer s = { .scheme = scheme, .set = scheme == BFT_PSCHEME_ED25519 ? 0 : (uint8_t)f->pp->id,
		                     .ed = &f->ed, .slh = &f->slh, .slh_pk = f->slh_pk };
	assert_int_equal(bft_proof_batch_sign(&s, body, n, buf, offs, lens), 0);
}

static void test_v1_rows_then_v2(void **state)
{
	struct fx *f = *state;
	bft_store *st = open_store(f);
	put_v1(f, st, 3);
	uint8_t *buf;
	size_t offs[8], lens[8];
	batch(f, BFT_PSCHEME_HYBRID, 4, &buf, offs, lens);
	for (size_t i = 0; i < 4; i++) {
		enum bft_store_result r;
		assert_int_equal(bft_store_put(st, buf + offs[i], lens[i], &r), 0);
		assert_int_equal(r, BFT_STORE_NEW);
		assert_int_equal(bft_store_put(st, buf + offs[i], lens[i], &r), 0); /* the same again */
		assert_int_equal(r, BFT_STORE_DUP);
	}
	bft_store_close(st);

	/* Reopen: the check walks v1 and v2 rows, links across the switch. */
	st = open_store(f);
	bft_store_report rep;
	char err[256] = "";
	assert_int_equal(bft_store_check(st, &rep, err, sizeof err), 0);
	assert_int_equal(rep.rows, 7);
	assert_int_equal(rep.gaps, 0);
	uint64_t links = 0, gaps = 0;
	assert_int_equal(bft_store_verify_chain(st, 1, true, &links, &gaps), 0);
	assert_int_equal(links, 6);
	/* Served byte for byte; v1 rows too; the last is the chain's head. */
	static uint8_t got[BFT_PROOF_MAX];
	for (size_t i = 0; i < 4; i++) {
		int n = bft_store_get(st, 1, 3 + i, got, sizeof got);
		assert_int_equal(n, (int)lens[i]);
		assert_memory_equal(got, buf + offs[i], lens[i]);
	}
	assert_int_equal(bft_store_get(st, 1, 0, got, sizeof got), BFT_PROOF_V1_MIN);
	bft_proof last;
	assert_int_equal(bft_store_last(st, 1, &last), 0);
	assert_int_equal(last.seq, 6);
	assert_int_equal(last.version, BFT_PROOF_VERSION_2);
	assert_null(last.auth); /* a statement: no view into SQLite's row */
	bft_proof_gen g2;
	assert_int_equal(bft_proof_gen_init(&g2, 1, f->pub, &f->ed), 0);
	assert_int_equal(bft_proof_gen_accept(&g2, &last), 0);
	assert_memory_equal(g2.prev_hash, f->g.prev_hash, 32); /* a restart continues the same chain */
	bft_store_close(st);
	free(buf);
}

/* Change one byte of a stored v2 proof's authenticator (its hash, which
 * covers the body, still matches): never served, and the start-up check
 * names it when it is a stretch's top. */
static void test_damaged_auth(void **state)
{
	struct fx *f = *state;
	bft_store *st = open_store(f);
	uint8_t *buf;
	size_t offs[8], lens[8];
	batch(f, BFT_PSCHEME_ED25519, 3, &buf, offs, lens);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(bft_store_put(st, buf + offs[i], lens[i], NULL), 0);
	bft_store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "UPDATE proofs SET bytes=?1 WHERE node=1 AND seq=2", -1, &q, NULL), SQLITE_OK);
	uint8_t *b = malloc(lens[2]);
	memcpy(b, buf + offs[2], lens[2]);
	b[lens[2] - 5] ^= 0x40; /* inside the Ed25519 signature */
	sqlite3_bind_blob(q, 1, b, (int)lens[2], SQLITE_STATIC);
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);

	st = open_store(f);
	char err[256] = "";
	assert_int_equal(bft_store_check(st, NULL, err, sizeof err), BFT_EINVAL);
	assert_non_null(strstr(err, "signature"));
	static uint8_t got[BFT_PROOF_MAX];
	assert_int_equal(bft_store_get(st, 1, 2, got, sizeof got), BFT_EINVAL);
	assert_true(bft_store_get_stats(st)->by_result[BFT_STORE_DAMAGED] >= 1);
	assert_int_equal(bft_store_get(st, 1, 1, got, sizeof got), (int)lens[1]);
	bft_store_close(st);
	free(b);
	free(buf);
}

/* Pure SLH-DSA: refused without a pinned SLH-DSA key, BAD_KEY under
 * another, stored under the right one. */
static void test_pinned_slh(void **state)
{
	struct fx *f = *state;
	uint8_t *buf;
	size_t offs[8], lens[8];
	batch(f, BFT_PSCHEME_SLHDSA, 2, &buf, offs, lens);
	bft_store *st = open_store(f);
	enum bft_store_result r;
	f->pin_slh = false;
	assert_int_not_equal(bft_store_put(st, buf, lens[0], &r), 0);
	assert_int_equal(r, BFT_STORE_BAD_SIG);
	f->pin_slh = true, f->wrong_pin = true;
	assert_int_not_equal(bft_store_put(st, buf, lens[0], &r), 0);
	assert_int_equal(r, BFT_STORE_BAD_KEY);
	f->wrong_pin = false;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(bft_store_put(st, buf + offs[i], lens[i], &r), 0);
		assert_int_equal(r, BFT_STORE_NEW);
	}
	free(buf);
	/* Pinned, its next proofs must carry an SLH-DSA signature: an
	 * Ed25519-only v2 batch or a v1 proof extending the head is a
	 * downgrade, refused (it was stored: found by review). Unpinned, the
	 * same v1 proof is new. */
	batch(f, BFT_PSCHEME_ED25519, 1, &buf, offs, lens);
	assert_int_not_equal(bft_store_put(st, buf, lens[0], &r), 0);
	assert_int_equal(r, BFT_STORE_BAD_KEY);
	free(buf);
	uint8_t nonce[32] = { 9, 9 };
	bft_proof p;
	bft_proof_clock c = clock_at(t_next += BFT_NS_PER_SEC);
	assert_int_equal(bft_proof_gen_next(&f->g, &p, &c, nonce), 0);
	assert_int_not_equal(bft_store_put_proof(st, &p, &r), 0);
	assert_int_equal(r, BFT_STORE_BAD_KEY);
	f->pin_slh = false;
	assert_int_equal(bft_store_put_proof(st, &p, &r), 0);
	assert_int_equal(r, BFT_STORE_GAP);
	bft_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_rows_then_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pinned_slh, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
