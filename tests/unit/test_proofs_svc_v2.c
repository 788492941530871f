/* SPDX-License-Identifier: MIT */
/*
 * The daemon's proof service issuing version-2 proofs (node.proofs; docs/
 * pq.md): statements queue until the batch is full, the batch's SLH-DSA
 * signature is made on a thread and collected by bftd_proofs_poll, its
 * proofs stored in order and chained; the head record carries a v2 proof
 * and a restart continues from it; a v1 store moves to v2 batches; a
 * service closed while a batch is being signed drops that batch (never
 * published) and the next start signs those sequence numbers again without
 * a fork. Under ASan/UBSan like every unit test, so the thread's hand-over
 * is checked for races on memory it should not touch. Each test in its own
 * mkdtemp directory.
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
#include <time.h>
#include <unistd.h>

#include <bftime/common.h>
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/proofs_svc.h"
#include "daemon/slhkey.h"
#include "daemon/store.h"
#include "proto/proof.h"
#include "proto/sign.h"

static const uint8_t seed1[32] = { 0x31, 0x41 };

struct fx {
	char dir[64];
	bftd_config cfg;
	bft_keyring *kr;
	bft_signer s;
	uint8_t pub[32], slh_pk[BFT_SLHDSA_MAX_PK];
	int64_t t;
	char err[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/bftime-psvc2-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg.id = 1;
	snprintf(f->cfg.store_path, sizeof f->cfg.store_path, "%s/proofs.db", f->dir);
	snprintf(f->cfg.slhdsa_key_path, sizeof f->cfg.slhdsa_key_path, "%s/node.slh", f->dir);
	assert_int_equal(bftd_slhkey_generate(f->cfg.slhdsa_key_path, bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128F),
	                                      f->slh_pk, f->err, sizeof f->err),
	                 0);
	f->cfg.proof_scheme = BFT_PSCHEME_HYBRID;
	f->cfg.proof_batch = 3;
	assert_int_equal(bft_keyring_create(&f->kr, 2), 0);
	assert_int_equal(bft_keyring_add_private(f->kr, 1, seed1), 0);
	assert_int_equal(bft_ed25519_public(f->pub, seed1), 0);
	bft_signer_ed25519(&f->s, f->kr);
	f->t = INT64_C(1700000000000000000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			char p[400];
			snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
			unlink(p);
		}
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
	if (rc != 0)
		print_message("refused: %s\n", f->err);
	assert_int_equal(rc, 0);
	return ps;
}

static int issue(struct fx *f, bftd_proofs *ps)
{
	f->t += 60 * BFT_NS_PER_SEC;
	bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = f->t / 2, .time_ns = f->t,
		              .offset_ns = f->t - f->t / 2, .bounds = bft_iv(f->t - 1000, f->t + 1000) };
	bft_proof p;
	return bftd_proofs_issue(ps, &c, &p);
}

/* Poll until the signing thread's batch is stored (at most 20 s). */
static void wait_stored(bftd_proofs *ps)
{
	for (int i = 0; i < 2000; i++) {
		int rc = bftd_proofs_poll(ps);
		assert_true(rc >= 0);
		if (rc == 1)
			return;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("the batch was never stored");
}

static uint64_t stored(bftd_proofs *ps)
{
	uint64_t n = 0;
	assert_int_equal(bft_store_count(bftd_proofs_store(ps), false, 1, &n), 0);
	return n;
}

static void test_batches(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	assert_int_equal(stored(ps), 0);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED); /* full: signing on its thread */
	/* The next statements queue meanwhile, chained past the batch. */
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	wait_stored(ps);
	assert_int_equal(stored(ps), 3);
	uint64_t seq = 0;
	assert_true(bftd_proofs_head(ps, &seq, NULL, NULL));
	assert_int_equal(seq, 2);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	wait_stored(ps);
	assert_int_equal(stored(ps), 6);
	uint64_t links = 0, gaps = 0;
	assert_int_equal(bft_store_verify_chain(bftd_proofs_store(ps), 1, true, &links, &gaps), 0);
	assert_int_equal(links, 5);
	assert_int_equal(gaps, 0);
	bftd_proofs_close(ps);

	/* Restart: the store's check and the head record (a v2 proof) agree;
	 * the chain continues. */
	ps = open_ok(f);
	assert_true(bftd_proofs_head(ps, &seq, NULL, NULL));
	assert_int_equal(seq, 5);
	/* Closed while a batch is being signed: dropped, never stored. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	bftd_proofs_close(ps);
	ps = open_ok(f);
	assert_true(bftd_proofs_head(ps, &seq, NULL, NULL));
	assert_int_equal(seq, 5); /* close joins the thread and drops its batch: seq 6..8 are signed again */
	for (int i = 0; i < 3; i++)
		assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	wait_stored(ps);
	assert_int_equal(bft_store_verify_chain(bftd_proofs_store(ps), 1, true, &links, &gaps), 0);
	assert_int_equal(links, 8);
	assert_int_equal(stored(ps), 9);
	bftd_proofs_close(ps);
}

/* A node with v1 proofs in its store moves to v2 batches: one chain. */
static void test_v1_store_moves_to_v2(void **state)
{
	struct fx *f = *state;
	f->cfg.proof_scheme = 0;
	bftd_proofs *ps = open_ok(f);
	assert_int_equal(issue(f, ps), 0);
	assert_int_equal(issue(f, ps), 0);
	bftd_proofs_close(ps);
	f->cfg.proof_scheme = BFT_PSCHEME_ED25519;
	f->cfg.proof_batch = 2;
	ps = open_ok(f);
	assert_int_equal(issue(f, ps), BFTD_PROOFS_QUEUED);
	assert_int_equal(issue(f, ps), 0); /* Ed25519 alone: signed and stored at once */
	uint64_t links = 0, gaps = 0, seq = 0;
	assert_int_equal(bft_store_verify_chain(bftd_proofs_store(ps), 1, true, &links, &gaps), 0);
	assert_int_equal(links, 3);
	assert_true(bftd_proofs_head(ps, &seq, NULL, NULL));
	assert_int_equal(seq, 3);
	bftd_proofs_close(ps);
	ps = open_ok(f); /* the store's check walks v1 and v2 rows */
	bftd_proofs_close(ps);
}

int main(void)
{
	bftd_log_open(false, LOG_WARNING, "test_proofs_svc_v2");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_store_moves_to_v2, setup, teardown),
	};
	return cmocka_run_group_tests_name("proofs_svc_v2", tests, NULL, NULL);
}
