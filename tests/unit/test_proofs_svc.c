/* SPDX-License-Identifier: MIT */
/*
 * The daemon's proof service over stores that lie (issue 13, finding 7):
 * with its newest row deleted, a store once made the node sign a different
 * proof under that sequence number; emptied to 0 bytes, it made the chain
 * start again at seq 0; a damaged store was refused as "out of memory" or
 * "invalid argument", or not at all; a store whose writes failed was a 503
 * for ever. Here: the head record carries the chain past what the store
 * lost, never signing a seq twice; a damaged store or head record is refused
 * with the damage and what to do; a failing store is an alarm in the
 * health, and heals when its cause goes away. Each test in its own
 * mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bftime/common.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/proofs_svc.h"
#include "daemon/store.h"
#include "proto/proof.h"
#include "proto/sign.h"

static const uint8_t seed1[32] = { 0x11, 0x22 };

struct fx {
	char dir[64];
	bftd_config cfg;
	bft_keyring *kr;
	bft_signer s;
	uint8_t pub[32];
	int64_t t;
	char err[1024];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	strcpy(f->dir, "/tmp/bftime-psvc-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cfg.id = 1;
	snprintf(f->cfg.store_path, sizeof f->cfg.store_path, "%s/proofs.db", f->dir);
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
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[400];
		snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	bft_keyring_destroy(f->kr);
	free(f);
	return 0;
}

static int try_open(struct fx *f, bftd_proofs **ps)
{
	f->err[0] = 0;
	*ps = NULL;
	int rc = bftd_proofs_open(ps, &f->cfg, f->pub, &f->s, f->err, sizeof f->err);
	if (rc != 0)
		print_message("refused: %s\n", f->err);
	return rc;
}

static bftd_proofs *open_ok(struct fx *f)
{
	bftd_proofs *ps;
	assert_int_equal(try_open(f, &ps), 0);
	return ps;
}

/* Issue one proof a minute after the last; its seq. */
static uint64_t issue(struct fx *f, bftd_proofs *ps, bft_proof *out)
{
	f->t += 60 * BFT_NS_PER_SEC;
	bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = f->t / 2, .time_ns = f->t,
		              .offset_ns = f->t - f->t / 2, .bounds = bft_iv(f->t - 1000, f->t + 1000) };
	bft_proof p;
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), 0);
	if (out)
		*out = p;
	return p.seq;
}

static int encoded(const bft_proof *p, uint8_t *buf)
{
	int n = bft_proof_encode(buf, BFT_PROOF_MAX, p);
	assert_true(n > 0);
	return n;
}

static void db_exec(struct fx *f, const char *sql_text)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->cfg.store_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql_text, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void unlink_store(struct fx *f, bool also_record)
{
	const char *sfx[] = { "", "-wal", "-shm", ".head" };
	for (int i = 0; i < (also_record ? 4 : 3); i++) {
		char p[4200];
		snprintf(p, sizeof p, "%s%s", f->cfg.store_path, sfx[i]);
		unlink(p);
	}
}

/* Stored own proof seq equals p, byte for byte. */
static void assert_stored(bftd_proofs *ps, const bft_proof *p)
{
	uint8_t want[BFT_PROOF_MAX], got[BFT_PROOF_MAX];
	int n = encoded(p, want);
	assert_int_equal(bft_store_get(bftd_proofs_store(ps), 1, p->seq, got, sizeof got), n);
	assert_memory_equal(got, want, (size_t)n);
}

static void test_restart_continues(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	for (int i = 0; i < 5; i++)
		assert_int_equal(issue(f, ps, NULL), (uint64_t)i);
	bftd_proofs_close(ps);
	ps = open_ok(f);
	assert_int_equal(issue(f, ps, NULL), 5);
	uint64_t links, gaps;
	assert_int_equal(bft_store_verify_chain(bftd_proofs_store(ps), 1, true, &links, &gaps), 0);
	assert_true(links == 5 && gaps == 0);
	bftd_proofs_close(ps);
}

/* The newest row deleted: the chain continues after it, and the store gets
 * it back from the head record; seq 7 is never signed again. */
static void test_lost_newest_row(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bft_proof p[8];
	for (int i = 0; i < 8; i++)
		issue(f, ps, &p[i]);
	bftd_proofs_close(ps);
	db_exec(f, "DELETE FROM proofs WHERE node=1 AND seq=7");
	ps = open_ok(f);
	bft_proof next;
	assert_int_equal(issue(f, ps, &next), 8);
	assert_stored(ps, &p[7]);
	uint64_t links, gaps;
	assert_int_equal(bft_store_verify_chain(bftd_proofs_store(ps), 1, true, &links, &gaps), 0);
	assert_true(links == 8 && gaps == 0);
	bftd_proofs_close(ps);
}

/* The store emptied to 0 bytes (its WAL gone too): the chain continues
 * after the head record's seq, not at 0. */
static void test_empty_store(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bft_proof p[11];
	for (int i = 0; i < 11; i++)
		issue(f, ps, &p[i]);
	bftd_proofs_close(ps);
	unlink_store(f, false);
	FILE *fp = fopen(f->cfg.store_path, "w");
	assert_non_null(fp);
	fclose(fp);
	ps = open_ok(f);
	assert_int_equal(issue(f, ps, NULL), 11);
	assert_stored(ps, &p[10]);
	uint64_t n = 0;
	assert_int_equal(bft_store_count(bftd_proofs_store(ps), false, 1, &n), 0);
	assert_int_equal(n, 2); /* 10, from the record, and 11; the peers hold 0..9 */
	bftd_proofs_close(ps);
	/* The store deleted and the record kept: the same. */
	unlink_store(f, false);
	ps = open_ok(f);
	assert_int_equal(issue(f, ps, NULL), 12);
	bftd_proofs_close(ps);
}

/* An own proof at the record's seq already came back from a peer: the
 * record is not needed, and nothing is signed twice either. */
static void test_peers_first(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bft_proof p[4];
	for (int i = 0; i < 4; i++)
		issue(f, ps, &p[i]);
	bftd_proofs_close(ps);
	unlink_store(f, false);
	ps = open_ok(f);
	uint8_t buf[BFT_PROOF_MAX];
	enum bft_store_result r;
	for (int i = 2; i < 4; i++) { /* the catch-up's newest copies */
		int n = encoded(&p[i], buf);
		assert_int_equal(bftd_proofs_submit(ps, buf, (size_t)n, &r), 0);
	}
	assert_int_equal(bftd_proofs_get_stats(ps)->recovered, 2);
	assert_int_equal(issue(f, ps, NULL), 4);
	bftd_proofs_close(ps);
}

static void test_damage_refused(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	for (int i = 0; i < 6; i++)
		issue(f, ps, NULL);
	bftd_proofs_close(ps);
	/* A changed byte of a stored proof. */
	db_exec(f, "UPDATE proofs SET bytes=substr(bytes,1,150)||x'55'||substr(bytes,152) WHERE node=1 AND seq=2");
	assert_int_equal(try_open(f, &ps), BFT_EINVAL);
	assert_non_null(strstr(f->err, "refusing the proof store"));
	assert_non_null(strstr(f->err, "proof (node 1, seq 2) is damaged"));
	assert_non_null(strstr(f->err, "move it aside"));
	/* A directory where the store should be. */
	unlink_store(f, false);
	assert_int_equal(mkdir(f->cfg.store_path, 0700), 0);
	assert_int_equal(try_open(f, &ps), BFT_EINVAL);
	assert_non_null(strstr(f->err, "is a directory"));
	assert_int_equal(rmdir(f->cfg.store_path), 0);
}

static void write_record(struct fx *f, const char *text)
{
	char p[4200];
	snprintf(p, sizeof p, "%s.head", f->cfg.store_path);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_head_record_checked(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	bft_proof p[5];
	for (int i = 0; i < 5; i++)
		issue(f, ps, &p[i]);
	bftd_proofs_close(ps);
	/* Garbage. */
	write_record(f, "not a proof\n");
	assert_int_equal(try_open(f, &ps), BFT_EINVAL);
	assert_non_null(strstr(f->err, "head record"));
	assert_non_null(strstr(f->err, "is damaged"));
	/* Another proof at seq 4, validly ours: two histories, refused. */
	bft_proof fork = p[4];
	fork.nonce[0] ^= 1;
	assert_int_equal(bft_proof_sign(&fork, &f->s), 0);
	uint8_t buf[BFT_PROOF_MAX];
	char hex[2 * BFT_PROOF_MAX + 2];
	int n = encoded(&fork, buf);
	for (int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	write_record(f, hex);
	assert_int_equal(try_open(f, &ps), BFT_EINVAL);
	assert_non_null(strstr(f->err, "two different own proofs at seq 4"));
	/* The genuine head, but one of its bytes changed: its signature fails. */
	n = encoded(&p[4], buf);
	buf[n - 1] ^= 1;
	for (int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	write_record(f, hex);
	assert_int_equal(try_open(f, &ps), BFT_EINVAL);
	assert_non_null(strstr(f->err, "signature"));
	/* Deleted: the store alone says where the chain is. */
	unlink_store(f, false);
	char rp[4200];
	snprintf(rp, sizeof rp, "%s.head", f->cfg.store_path);
	unlink(rp);
	ps = open_ok(f);
	assert_int_equal(issue(f, ps, NULL), 0); /* store and record both gone: a new chain (logged) */
	bftd_proofs_close(ps);
}

/* Writes that fail (here the file size limit, as a full disk): an alarm in
 * the health with SQLite's reason, no proof signed into the void, and it
 * works again when the cause is gone. */
static void test_failing_store_is_an_alarm(void **state)
{
	struct fx *f = *state;
	bftd_proofs *ps = open_ok(f);
	for (int i = 0; i < 3; i++)
		issue(f, ps, NULL);
	char wal[4200];
	snprintf(wal, sizeof wal, "%s-wal", f->cfg.store_path);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)sb.st_size;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	bftd_proofs_set_reopen_interval(ps, 0);
	bft_proof_clock c = { .flags = BFT_PROOFF_SYNCED, .raw_ns = f->t, .time_ns = f->t + BFT_NS_PER_SEC,
		              .bounds = bft_iv(f->t, f->t + 2 * BFT_NS_PER_SEC) };
	bft_proof p;
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), BFT_ENOMEM);
	bftd_proofs_health h;
	bftd_proofs_get_health(ps, &h);
	print_message("health: failing %d, error \"%s\", %llu failures\n", h.failing, h.error,
	              (unsigned long long)h.failures);
	assert_true(h.failing);
	assert_true(h.error[0] != 0);
	assert_true(h.failing_since_mono > 0);
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), BFT_ENOMEM);
	uint64_t head;
	assert_true(bftd_proofs_head(ps, &head, NULL, NULL));
	assert_int_equal(head, 2); /* nothing chained to a proof that was not stored */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(bftd_proofs_issue(ps, &c, &p), 0);
	assert_int_equal(p.seq, 3);
	bftd_proofs_get_health(ps, &h);
	print_message("after: failing %d, %llu failures, reopened %llu times\n", h.failing,
	              (unsigned long long)h.failures, (unsigned long long)h.reopened);
	assert_false(h.failing);
	assert_string_equal(h.error, "");
	assert_true(h.failures >= 2);
	bftd_proofs_close(ps);
}

int main(void)
{
	bftd_log_open(false, LOG_WARNING, "test_proofs_svc");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_newest_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peers_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_record_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_store_is_an_alarm, setup, teardown),
	};
	return cmocka_run_group_tests_name("proofs_svc", tests, NULL, NULL);
}
