/* SPDX-License-Identifier: MIT */
/*
 * The proof service (proofs_svc.h). Why the order issue -> store -> accept:
 * the generator only advances once the store has committed the proof with
 * synchronous=FULL, so after kill -9 or a power loss the store's last own
 * proof is exactly the chain head every peer may have seen, and the chain
 * continues from it without a fork.
 *
 * Why a head record beside the store: the store is one file, and a file can
 * be emptied, cut short, rolled back to an old copy or have rows deleted.
 * Peers hold copies of what was gossiped, but not of a proof issued just
 * before a crash, and not when none of them answers at start. The newest own
 * proof, written again to a small file of its own after each commit, lets
 * the chain continue past whatever the store lost, without asking anyone
 * and without ever signing a sequence number twice; it is the proof itself
 * (hex), so it checks itself (our own signature) and cannot be forged.
 */
#include "daemon/proofs_svc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <bftime/common.h>

#include "daemon/keys.h"
#include "daemon/log.h"
#include "daemon/slhkey.h"
#include "sys/clock.h"

#define REOPEN_EVERY_NS (30 * BFT_NS_PER_SEC)

/* A batch being signed with SLH-DSA on a thread (issue_v2). */
struct sign_job {
	bft_proof_batch b;
	pthread_t th;
	int rc;            /* the thread's result, read after done */
	atomic_int done;   /* set by the thread when rc is */
	bool running;      /* a thread was started and not joined */
	int64_t t0;        /* CLOCK_MONOTONIC at prepare */
};
#define HEAD_SUFFIX ".head"

struct bftd_proofs {
	const bftd_config *cfg;
	uint8_t self_pub[BFT_PROOF_KEY];
	bft_store *store;
	bft_proof_gen gen;
	bftd_proofs_stats stats;
	char head_path[sizeof ((bftd_config *)0)->store_path + sizeof HEAD_SUFFIX];
	/* The head record's proof, when it is newer than anything stored: where
	 * the chain continues at the first issue unless the peers' copies got
	 * there first. */
	bft_proof floor;
	bool have_floor;
	/* health */
	bool failing;  /* the last write failed */
	bool conflict; /* the head record and the store hold two histories: nothing is signed */
	char fail_why[512];
	int64_t failing_since_mono, last_reopen_mono, reopen_every_ns;
	uint64_t failures, reopened, damaged_logged;
	char reopen_why[512];
	char conflict_why[sizeof ((bftd_config *)0)->store_path + 128];
	int64_t conflict_since_mono;
	bool head_failing;
	bool first_logged;
	bftd_evidence *ev;
	/* the catch-up quorum (proofs_svc.h) */
	bool head_unknown;    /* at open: no own proof stored, no head record */
	size_t quorum, asked; /* answers needed, peers asked */
	uint32_t *answered;   /* distinct peers that answered */
	size_t n_answered;
	bool quorum_logged;
	/* version-2 proofs (cfg->proof_scheme != 0; docs/pq.md) */
	const bft_signer *ed;           /* the node's Ed25519 signer */
	bft_slhdsa_keyring *skr;        /* its SLH-DSA key, when the scheme has SLH-DSA */
	bft_signer slh;
	const bft_slhdsa_params *slh_params;
	uint8_t slh_pk[BFT_SLHDSA_MAX_PK];
	uint8_t p256_pk[65];            /* scheme p256: the token key's point (bftd_proofs_set_p256) */
	bool have_p256;
	bft_proof *pending;             /* statements of the batch being filled, chained */
	size_t n_pending;
	bft_proof_gen pgen;             /* the generator past the pending statements */
	uint64_t batches_signed;
	int64_t last_batch_sign_ns;     /* how long the last batch's signatures took */
	struct sign_job job;            /* the batch whose SLH-DSA signature a thread is making */
	uint8_t *rec_bytes;             /* the head record's bytes (a v2 proof's authenticator points here) */
};

/* Signature check of one of our own proofs (the head record), under our
 * pinned keys. */
static int self_verify(const bftd_proofs *ps, const bft_proof *p)
{
	if (p->version == BFT_PROOF_VERSION_2)
		return bft_proof_v2_verify(p, ps->self_pub, ps->slh_params ? ps->slh_pk : NULL,
		                           ps->slh_params ? ps->slh_params->pk_len : 0, NULL);
	return bft_proof_verify_key(p, ps->self_pub);
}

static int pinned_slh_cb(void *ctx, uint32_t id, uint8_t *pk, size_t *len)
{
	const bftd_proofs *ps = ctx;
	if (id == ps->cfg->id) {
		if (!ps->slh_params)
			return -1;
		memcpy(pk, ps->slh_pk, ps->slh_params->pk_len);
		*len = ps->slh_params->pk_len;
		return 0;
	}
	for (size_t i = 0; i < ps->cfg->n_peers; i++)
		if (ps->cfg->peers[i].id == id && ps->cfg->peers[i].slh_pk_len) {
			memcpy(pk, ps->cfg->peers[i].slh_pk, ps->cfg->peers[i].slh_pk_len);
			*len = ps->cfg->peers[i].slh_pk_len;
			return 0;
		}
	return -1;
}

int bftd_proofs_pinned(const bftd_proofs *ps, uint32_t id, uint8_t pub[BFT_PROOF_KEY])
{
	if (id == ps->cfg->id) {
		memcpy(pub, ps->self_pub, BFT_PROOF_KEY);
		return 0;
	}
	for (size_t i = 0; i < ps->cfg->n_peers; i++)
		if (ps->cfg->peers[i].id == id) {
			memcpy(pub, ps->cfg->peers[i].pubkey, BFT_PROOF_KEY);
			return 0;
		}
	return -1;
}

static int pinned_cb(void *ctx, uint32_t id, uint8_t pub[BFT_PROOF_KEY])
{
	return bftd_proofs_pinned(ctx, id, pub);
}

/* Open and check the store at the configured path: 0, or negative with why. */
static int open_checked(bftd_proofs *ps, bft_store **out, bft_store_report *rep, char *why, size_t whylen)
{
	/* Signatures are checked as Ed25519 under the embedded key, which must be
	 * the pinned one: a node outside the configuration is refused. */
	bft_store_config sc = { .path = ps->cfg->store_path, .signer = NULL,
	                        .pinned_key = pinned_cb, .pinned_ctx = ps, .require_pinned = true,
	                        .pinned_slh_key = pinned_slh_cb };
	int rc = bft_store_open(out, &sc, why, whylen);
	if (rc != 0)
		return rc;
	if ((rc = bft_store_check(*out, rep, why, whylen)) != 0) {
		bft_store_close(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- the head record ---------------------------------------------------- */

/* 1 and *p (verified: ours, under our key), 0 when there is none, -1 with
 * why when it is there but not a proof of ours. */
static int head_read(const bftd_proofs *ps, bft_proof *p, char *why, size_t whylen)
{
	int fd = open(ps->head_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	static char text[2 * BFT_PROOF_MAX + 8]; /* single-threaded; 100 kB */
	ssize_t n = read(fd, text, sizeof text);
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
		return -1;
	}
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	/* Kept for the service's life: a v2 proof's authenticator points into it. */
	uint8_t *buf = ps->rec_bytes;
	size_t len = (size_t)n / 2;
	if (n % 2 || len < BFT_PROOF_MIN || len > BFT_PROOF_MAX || bftd_unhex(buf, text, len) != (size_t)n ||
	    bft_proof_decode(p, buf, len) != 0) {
		snprintf(why, whylen, "it does not hold a proof (%zd bytes of text)", n);
		return -1;
	}
	if (p->node_id != ps->cfg->id || memcmp(p->pub, ps->self_pub, BFT_PROOF_KEY) != 0) {
		snprintf(why, whylen, "it holds node %u's proof under another key, not this node's", p->node_id);
		return -1;
	}
	if (self_verify(ps, p) != 0) {
		snprintf(why, whylen, "its proof (seq %llu) does not carry this node's valid signature",
		         (unsigned long long)p->seq);
		return -1;
	}
	return 1;
}

/* Write p as the head record: a temporary file, fsync, rename over, fsync
 * the directory, so a crash leaves the old record or the new one. */
static int head_write_bytes(const bftd_proofs *ps, const uint8_t *buf, int len);

static int head_write(const bftd_proofs *ps, const bft_proof *p)
{
	uint8_t buf[BFT_PROOF_V1_MAX];
	int len = bft_proof_encode(buf, sizeof buf, p);
	if (len < 0)
		return BFT_EINVAL;
	return head_write_bytes(ps, buf, len);
}

static int head_write_bytes(const bftd_proofs *ps, const uint8_t *buf, int len)
{
	static char text[2 * BFT_PROOF_MAX + 2]; /* single-threaded; 100 kB */
	char tmp[sizeof ps->head_path + 8];
	bftd_hex(text, buf, (size_t)len);
	text[2 * len] = '\n';
	snprintf(tmp, sizeof tmp, "%s.tmp", ps->head_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return BFT_ENOMEM;
	bool ok = write(fd, text, (size_t)(2 * len + 1)) == 2 * len + 1 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, ps->head_path) != 0) {
		unlink(tmp);
		return BFT_ENOMEM;
	}
	char dir[sizeof ps->head_path];
	snprintf(dir, sizeof dir, "%s", ps->head_path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof dir, ".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* ---- open --------------------------------------------------------------- */

/* Reconcile the head record with the store: a record at or below the
 * store's head must be the stored proof (or fill its missing row); one
 * above must link to the stored predecessor when that is there, and
 * becomes the floor. 0, or BFT_EINVAL with err. */
static int reconcile(bftd_proofs *ps, const bft_proof *rec, char *err, size_t errlen)
{
	const char *path = ps->cfg->store_path;
	static uint8_t want[BFT_PROOF_MAX], got[BFT_PROOF_MAX]; /* single-threaded */
	int wl = bft_proof_encode(want, sizeof want, rec);
	if (ps->gen.have_prev && rec->seq < ps->gen.next_seq) {
		int gl = bft_store_get(ps->store, ps->cfg->id, rec->seq, got, sizeof got);
		if (gl == wl && memcmp(got, want, (size_t)gl) == 0)
			return 0;
		if (gl > 0) {
			snprintf(err, errlen,
			         "the proof store %s and its head record %s hold two different own proofs at seq %llu: one of "
			         "them is not this node's history (a store or record of another machine with the same key?). "
			         "Nothing is signed until one of them is moved aside",
			         path, ps->head_path, (unsigned long long)rec->seq);
			return BFT_EINVAL;
		}
		/* The row is missing below the head: put it back. */
		enum bft_store_result r;
		if (bft_store_put_proof(ps->store, rec, &r) != 0) {
			snprintf(err, errlen, "the head record %s (seq %llu) does not fit the proof store %s: %s", ps->head_path,
			         (unsigned long long)rec->seq, path, bft_store_result_name(r));
			return BFT_EINVAL;
		}
		bftd_log(LOG_WARNING, "the proof store %s had lost own proof seq %llu: put back from its head record",
		         path, (unsigned long long)rec->seq);
		return 0;
	}
	/* Newer than anything stored: the store lost proofs. */
	if (rec->seq > 0) {
		bft_proof pred;
		int gl = bft_store_get(ps->store, ps->cfg->id, rec->seq - 1, got, sizeof got);
		if (gl > 0 && (bft_proof_decode(&pred, got, (size_t)gl) != 0 ||
		               bft_proof_chain_check(&pred, NULL, rec) != BFT_CHAIN_OK)) {
			snprintf(err, errlen,
			         "the head record %s (seq %llu) does not follow the own proof seq %llu in the proof store %s: "
			         "they are two histories. Nothing is signed until one of them is moved aside",
			         ps->head_path, (unsigned long long)rec->seq, (unsigned long long)rec->seq - 1, path);
			return BFT_EINVAL;
		}
	}
	ps->floor = *rec;
	ps->have_floor = true;
	unsigned long long from = ps->gen.have_prev ? (unsigned long long)ps->gen.next_seq : 0;
	bftd_log(LOG_WARNING,
	         "the proof store %s lacks own proofs seq %llu..%llu that this node issued (its head record %s holds seq "
	         "%llu): the store lost them (emptied, rows deleted, or an older copy restored). The chain continues "
	         "after seq %llu, never below; the peers' copies are fetched back into the store",
	         path, from, (unsigned long long)rec->seq, ps->head_path, (unsigned long long)rec->seq,
	         (unsigned long long)rec->seq);
	return 0;
}

int bftd_proofs_open(bftd_proofs **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY],
                     const bft_signer *signer, char *err, size_t errlen)
{
	bftd_proofs *ps = calloc(1, sizeof *ps);
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	ps->cfg = cfg;
	ps->reopen_every_ns = REOPEN_EVERY_NS;
	memcpy(ps->self_pub, self_pub, BFT_PROOF_KEY);
	ps->ed = signer;
	if (!(ps->rec_bytes = malloc(BFT_PROOF_MAX)) ||
	    (cfg->proof_scheme && !(ps->pending = calloc(cfg->proof_batch ? cfg->proof_batch : 1, sizeof *ps->pending)))) {
		snprintf(err, errlen, "out of memory");
		bftd_proofs_close(ps);
		return BFT_ENOMEM;
	}
	if (cfg->proof_scheme == BFT_PSCHEME_SLHDSA || cfg->proof_scheme == BFT_PSCHEME_HYBRID) {
		/* Before the store: its check verifies our own v2 proofs under
		 * this key. */
		uint8_t sk[BFT_SLHDSA_MAX_SK];
		if (bftd_slhkey_load(&ps->slh_params, sk, cfg->slhdsa_key_path, err, errlen) != 0) {
			bftd_proofs_close(ps);
			return BFT_EINVAL;
		}
		bftd_slhkey_public(ps->slh_params, sk, ps->slh_pk);
		int krc = bft_slhdsa_keyring_create(&ps->skr, ps->slh_params->id, 1);
		if (krc == 0)
			krc = bft_slhdsa_keyring_add_private(ps->skr, cfg->id, sk);
		OPENSSL_cleanse(sk, sizeof sk);
		if (krc != 0) {
			snprintf(err, errlen, "SLH-DSA key file %s: the key was refused", cfg->slhdsa_key_path);
			bftd_proofs_close(ps);
			return BFT_EINVAL;
		}
		bft_signer_slhdsa(&ps->slh, ps->skr);
		char hex[2 * BFT_SLHDSA_MAX_PK + 1];
		bftd_hex(hex, ps->slh_pk, ps->slh_params->pk_len);
		bftd_log(LOG_INFO, "time proofs: version 2, %s with %s, %u per batch; SLH-DSA public key %s",
		         bft_proof_scheme_name(cfg->proof_scheme), ps->slh_params->name, cfg->proof_batch, hex);
	} else if (cfg->proof_scheme) {
		bftd_log(LOG_INFO, "time proofs: version 2, %s, %u per batch", bft_proof_scheme_name(cfg->proof_scheme),
		         cfg->proof_batch);
	}
	snprintf(ps->head_path, sizeof ps->head_path, "%s%s", cfg->store_path, HEAD_SUFFIX);
	const char *path = cfg->store_path;
	char why[512];
	bft_store_report rep;
	int64_t t0 = bft_clock_mono_ns();
	int rc = open_checked(ps, &ps->store, &rep, why, sizeof why);
	if (rc == BFT_EINVAL) {
		snprintf(err, errlen,
		         "refusing the proof store %s: %s. Restore it from a backup, or move it aside (with its -wal and -shm "
		         "files) to start a new one: the chain then continues from the head record %s and the peers' copies",
		         path, why, ps->head_path);
		bftd_proofs_close(ps);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot open the proof store %s: %s", path, why);
		bftd_proofs_close(ps);
		return rc;
	}
	bftd_log(LOG_INFO, "proof store %s checked in %.2f s: %llu proofs of %llu nodes, %llu gaps, %llu signatures "
	                   "verified, SQLite quick_check ok",
	         path, (double)(bft_clock_mono_ns() - t0) / 1e9, (unsigned long long)rep.rows,
	         (unsigned long long)rep.nodes, (unsigned long long)rep.gaps, (unsigned long long)rep.signatures);
	/* Evidence first: a key shown to sign two histories is faulty from the
	 * first proof this node handles. */
	int erc = bftd_evidence_create(&ps->ev, cfg, ps->self_pub);
	if (erc == 0 && ps->slh_params) /* our own pure SLH-DSA proofs in evidence verify under it */
		bftd_evidence_set_self_slh(ps->ev, ps->slh_pk, ps->slh_params->pk_len);
	if (erc != 0 || bftd_evidence_load(ps->ev, ps->store) != 0) {
		snprintf(err, errlen, "cannot read the evidence in the proof store %s: %s", path,
		         bft_store_errmsg(ps->store));
		bftd_proofs_close(ps);
		return BFT_ENOMEM;
	}
	if (bftd_evidence_count(ps->ev))
		bftd_log(LOG_NOTICE, "the proof store %s holds equivocation evidence against %zu key(s)", path,
		         bftd_evidence_count(ps->ev));
	bft_proof_gen_init(&ps->gen, cfg->id, self_pub, signer);
	bft_proof last, rec;
	rc = bft_store_last(ps->store, cfg->id, &last);
	if (rc == 0) {
		if (memcmp(last.pub, self_pub, BFT_PROOF_KEY) != 0) {
			snprintf(err, errlen, "the proof store %s holds node %u's proofs under another key", path, cfg->id);
			rc = BFT_EINVAL;
		} else if ((rc = bft_proof_gen_accept(&ps->gen, &last)) != 0) {
			snprintf(err, errlen, "the last own proof in %s (seq %llu) is not usable", path,
			         (unsigned long long)last.seq);
		} else {
			bftd_log(LOG_NOTICE, "proof chain continues from seq %llu in %s", (unsigned long long)last.seq, path);
		}
	} else if (rc == BFT_EEMPTY) {
		rc = 0;
	} else {
		snprintf(err, errlen, "cannot read the proof store %s: %s", path, bft_store_errmsg(ps->store));
	}
	if (rc == 0 && bft_store_was_empty(ps->store))
		bftd_log(LOG_WARNING, "the proof store %s was an empty file (0 bytes): it lost every proof it held", path);
	if (rc == 0) {
		int h = head_read(ps, &rec, why, sizeof why);
		if (h < 0) {
			snprintf(err, errlen,
			         "the head record %s is damaged: %s. If the proof store %s is sound, delete the record: the chain "
			         "then continues from the store's and the peers' newest own proof",
			         ps->head_path, why, path);
			rc = BFT_EINVAL;
		} else if (h > 0) {
			rc = reconcile(ps, &rec, err, errlen);
		} else if (!ps->gen.have_prev) {
			bftd_log(LOG_NOTICE,
			         "proof store %s has no own proofs and there is no head record %s: the chain starts at seq 0 "
			         "unless a peer holds newer ones (with peers, not before a quorum of them answered)",
			         path, ps->head_path);
			ps->head_unknown = true;
		}
	}
	if (rc != 0) {
		bftd_proofs_close(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

void bftd_proofs_set_p256(bftd_proofs *ps, const uint8_t pub[65])
{
	if (!ps || !pub)
		return;
	memcpy(ps->p256_pk, pub, sizeof ps->p256_pk);
	ps->have_p256 = true;
}

void bftd_proofs_close(bftd_proofs *ps)
{
	if (!ps)
		return;
	bft_store_close(ps->store);
	if (ps->job.running) { /* its batch is dropped: never published, signed again at the next start */
		pthread_join(ps->job.th, NULL);
		ps->job.running = false;
	}
	bft_proof_batch_free(&ps->job.b);
	bftd_evidence_destroy(ps->ev);
	free(ps->answered);
	bft_slhdsa_keyring_destroy(ps->skr);
	free(ps->pending);
	free(ps->rec_bytes);
	free(ps);
}

/* ---- health ------------------------------------------------------------- */

/* Reopen and check the store, keeping the old connection unless the new one
 * is sound (the API and gossip look the store up at each use). */
static void try_reopen(bftd_proofs *ps)
{
	char why[512];
	bft_store *fresh = NULL;
	int rc = open_checked(ps, &fresh, NULL, why, sizeof why);
	if (rc != 0) {
		if (strcmp(why, ps->reopen_why) != 0 && rc == BFT_EINVAL)
			bftd_log(LOG_WARNING,
			         "ALARM: the proof store %s is damaged: %s. Restore it from a backup, or stop bftimed, move it "
			         "aside (with its -wal and -shm files) and start again: the chain continues from the head record "
			         "%s and the peers' copies",
			         ps->cfg->store_path, why, ps->head_path);
		else if (strcmp(why, ps->reopen_why) != 0)
			bftd_log(LOG_WARNING, "the proof store %s cannot be reopened yet: %s (tried again in %.0f s)",
			         ps->cfg->store_path, why, (double)ps->reopen_every_ns / 1e9);
		snprintf(ps->reopen_why, sizeof ps->reopen_why, "%s", why);
		return;
	}
	bft_store_carry_stats(fresh, ps->store);
	bft_store_close(ps->store);
	ps->store = fresh;
	(void)bftd_evidence_load(ps->ev, fresh); /* what the store holds now; the memory keeps the rest */
	ps->reopened++;
	ps->reopen_why[0] = 0;
	bftd_log(LOG_NOTICE, "the proof store %s was reopened and checked: sound", ps->cfg->store_path);
}

/* A write failed: an alarm, logged once until it works again. */
static void store_failed(bftd_proofs *ps, const char *why)
{
	int64_t now = bft_clock_mono_ns();
	ps->failures++;
	if (!ps->failing) {
		ps->failing = true;
		ps->failing_since_mono = now;
		ps->last_reopen_mono = now;
		bftd_log(LOG_WARNING,
		         "ALARM: the proof store %s failed: %s; no own proof is issued until it works again (retried at every "
		         "proof, reopened and checked every %d s)",
		         ps->cfg->store_path, why, (int)(ps->reopen_every_ns / BFT_NS_PER_SEC));
	}
	snprintf(ps->fail_why, sizeof ps->fail_why, "%s", why);
	if (now - ps->last_reopen_mono >= ps->reopen_every_ns) {
		ps->last_reopen_mono = now;
		try_reopen(ps);
	}
}

static void store_works(bftd_proofs *ps)
{
	if (!ps->failing)
		return;
	bftd_log(LOG_NOTICE, "the proof store %s works again (it failed for %.0f s)", ps->cfg->store_path,
	         (double)(bft_clock_mono_ns() - ps->failing_since_mono) / 1e9);
	ps->failing = false;
	ps->failing_since_mono = 0;
	ps->fail_why[0] = 0;
}

/* Damaged rows met by reads since the last look: an alarm each time more
 * are found. */
static void check_damage(bftd_proofs *ps)
{
	uint64_t d = bft_store_get_stats(ps->store)->by_result[BFT_STORE_DAMAGED];
	if (d <= ps->damaged_logged)
		return;
	bftd_log(LOG_WARNING,
	         "ALARM: %llu stored proofs found damaged when read (never served), the last: %s. The store %s was "
	         "changed on disk: restore it from a backup, or stop bftimed and move it aside (the chain continues from "
	         "the head record and the peers' copies)",
	         (unsigned long long)(d - ps->damaged_logged), bft_store_errmsg(ps->store), ps->cfg->store_path);
	ps->damaged_logged = d;
}

void bftd_proofs_get_health(const bftd_proofs *ps, bftd_proofs_health *out)
{
	memset(out, 0, sizeof *out);
	out->failing = ps->failing || ps->conflict;
	out->error = ps->conflict ? ps->conflict_why : ps->failing ? ps->fail_why : "";
	out->failing_since_mono = ps->conflict ? ps->conflict_since_mono : ps->failing_since_mono;
	out->failures = ps->failures;
	out->damaged = bft_store_get_stats(ps->store)->by_result[BFT_STORE_DAMAGED];
	out->reopened = ps->reopened;
	out->head_record_failing = ps->head_failing;
}

/* ---- issue and submit --------------------------------------------------- */

/* The head record is newer than the chain's head: the store lost proofs the
 * peers did not bring back. Store it and continue from it. */
static int adopt_floor(bftd_proofs *ps)
{
	if (!ps->have_floor)
		return 0;
	if (ps->gen.have_prev && ps->floor.seq < ps->gen.next_seq) {
		ps->have_floor = false; /* the peers' copies got there */
		return 0;
	}
	enum bft_store_result r;
	int rc = bft_store_put_proof(ps->store, &ps->floor, &r);
	if (rc == BFT_ENOMEM) {
		store_failed(ps, bft_store_errmsg(ps->store));
		return rc;
	}
	if (rc != 0) {
		/* A store that now holds another own proof at that seq, or one
		 * the record does not follow: two histories. Sign nothing. */
		if (!ps->conflict) {
			snprintf(ps->conflict_why, sizeof ps->conflict_why,
			         "the head record %s (seq %llu) does not fit the store: %s", ps->head_path,
			         (unsigned long long)ps->floor.seq, bft_store_result_name(r));
			bftd_log(LOG_WARNING, "ALARM: %s; no own proof is issued until the store or the record is moved aside",
			         ps->conflict_why);
			ps->conflict = true;
			ps->conflict_since_mono = bft_clock_mono_ns();
		}
		return BFT_EINVAL;
	}
	if ((rc = bft_proof_gen_accept(&ps->gen, &ps->floor)) != 0)
		return rc;
	ps->have_floor = false;
	bftd_log(LOG_NOTICE, "own proof chain continues from seq %llu, kept in the head record %s (no peer returned it)",
	         (unsigned long long)ps->floor.seq, ps->head_path);
	return 0;
}

/* ---- version 2: batches (docs/pq.md) --------------------------------------
 * The statement joins the pending batch, chained to the one before; a full
 * batch is prepared (its Merkle tree), signed with Ed25519 on the loop (the
 * node's signer, which may be a token), and its SLH-DSA signature, half a
 * second for SHA2-128s, is made on a thread of its own so the loop keeps
 * answering its peers; the loop collects it (bftd_proofs_poll) and stores
 * the batch's proofs in order, each then the chain's head. Nothing pending
 * or being signed has left this process, so a batch that fails is dropped
 * and its sequence numbers signed again later without a fork. The thread
 * touches only the job's own copies and the SLH-DSA keyring, which nothing
 * else uses. */

static void *slh_thread(void *arg)
{
	struct sign_job *j = arg;
	j->rc = bft_proof_batch_sign_slh(&j->b);
	atomic_store(&j->done, 1);
	return NULL;
}

/* Store a signed batch: 0 when at least one proof was stored (*out the
 * last), else negative. */
static int store_batch(bftd_proofs *ps, bft_proof_batch *b, bft_proof *out)
{
	size_t n = b->n;
	/* The head moved while it was signed (an own proof recovered from a
	 * peer): it no longer continues the chain. */
	if (b->bodies[0].seq != (ps->gen.have_prev ? ps->gen.next_seq : 0) ||
	    memcmp(b->bodies[0].prev_hash, ps->gen.prev_hash, BFT_PROOF_HASH) != 0) {
		bftd_log(LOG_NOTICE, "dropping a signed batch of %zu proofs: the chain's head moved under it", n);
		ps->stats.issue_failed += n; /* proofs not issued, counted (found by review: logged only) */
		return BFT_EINVAL;
	}
	uint8_t *buf = NULL;
	size_t *offs = calloc(n, sizeof *offs), *lens = calloc(n, sizeof *lens);
	int rc = offs && lens ? bft_proof_batch_finish(b, &buf, offs, lens) : BFT_ENOMEM;
	size_t stored = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		enum bft_store_result res = BFT_STORE_IO;
		rc = bft_store_put(ps->store, buf + offs[i], lens[i], &res);
		if (rc != 0 || (res != BFT_STORE_NEW && res != BFT_STORE_GAP)) {
			if (res == BFT_STORE_IO)
				store_failed(ps, bft_store_errmsg(ps->store));
			else if (!ps->failing)
				bftd_log(LOG_WARNING, "own proof seq %llu not stored: %s", (unsigned long long)b->bodies[i].seq,
				         bft_store_result_name(res));
			rc = rc ? rc : BFT_EINVAL;
			break;
		}
		/* Durable now: chain to it. */
		if ((rc = bft_proof_gen_accept(&ps->gen, &b->bodies[i])) != 0)
			break;
		stored++;
		ps->stats.issued++;
	}
	if (stored) {
		store_works(ps);
		if (out)
			*out = b->bodies[stored - 1];
		bool hf = head_write_bytes(ps, buf + offs[stored - 1], (int)lens[stored - 1]) != 0;
		if (hf && !ps->head_failing)
			bftd_log(LOG_WARNING, "cannot write the head record %s: %s (retried at every batch)", ps->head_path,
			         strerror(errno));
		ps->head_failing = hf;
		bftd_log(LOG_DEBUG, "batch of %zu proofs (seq %llu..%llu) stored, signed in %.1f ms", n,
		         (unsigned long long)b->bodies[0].seq, (unsigned long long)b->bodies[stored - 1].seq,
		         (double)ps->last_batch_sign_ns / 1e6);
	}
	if (stored < n)
		ps->stats.issue_failed += n - stored; /* each proof of the batch not stored */
	free(buf);
	free(offs);
	free(lens);
	return stored ? 0 : rc ? rc : BFT_EINVAL;
}

/* Collect the signing thread's batch when it is done (or wait for it):
 * 1 when a batch was stored, 0 when none was ready, negative when one
 * failed. */
static int collect(bftd_proofs *ps, bool wait)
{
	struct sign_job *j = &ps->job;
	if (!j->running || (!wait && !atomic_load(&j->done)))
		return 0;
	pthread_join(j->th, NULL);
	j->running = false;
	ps->last_batch_sign_ns = bft_clock_mono_ns() - j->t0;
	int rc = j->rc;
	if (rc != 0) {
		bftd_log(LOG_WARNING, "cannot sign a batch of %zu proofs with SLH-DSA: %s", j->b.n, bft_strerror(rc));
		ps->stats.issue_failed += j->b.n; /* each proof of the batch */
	} else {
		rc = store_batch(ps, &j->b, NULL);
		if (rc == 0) {
			ps->batches_signed++;
			rc = 1;
		}
	}
	bft_proof_batch_free(&j->b);
	return rc;
}

int bftd_proofs_poll(bftd_proofs *ps)
{
	return ps ? collect(ps, false) : 0;
}

static int issue_v2(bftd_proofs *ps, const bft_proof_clock *clk, bft_proof *out, const uint8_t nonce[BFT_PROOF_NONCE])
{
	size_t batch = ps->cfg->proof_batch ? ps->cfg->proof_batch : 1;
	(void)collect(ps, false);
	/* The head moved under the pending batch (an own proof came back from
	 * a peer, or the batch before failed): it no longer continues it. While
	 * a batch is being signed, the pending one continues that batch. */
	if (ps->n_pending && !ps->job.running &&
	    (ps->pending[0].seq != (ps->gen.have_prev ? ps->gen.next_seq : 0) ||
	     memcmp(ps->pending[0].prev_hash, ps->gen.prev_hash, BFT_PROOF_HASH) != 0)) {
		bftd_log(LOG_NOTICE, "dropping %zu unsigned proof statements: the chain's head moved under them",
		         ps->n_pending);
		ps->stats.issue_failed += ps->n_pending;
		ps->n_pending = 0;
	}
	if (ps->n_pending == 0 && !ps->job.running)
		ps->pgen = ps->gen;
	bft_proof *st = &ps->pending[ps->n_pending];
	int rc = bft_proof_gen_statement(&ps->pgen, st, clk, nonce);
	if (rc == 0)
		rc = bft_proof_gen_accept(&ps->pgen, st);
	if (rc != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	*out = *st;
	if (++ps->n_pending < batch)
		return BFTD_PROOFS_QUEUED;

	/* Full. A batch still being signed is waited for: signing takes
	 * longer than filling a batch only with absurd settings. */
	(void)collect(ps, true);
	size_t n = ps->n_pending;
	ps->n_pending = 0;
	bft_proof_batch_signer bs = { .scheme = ps->cfg->proof_scheme,
		                      .set = ps->slh_params ? (uint8_t)ps->slh_params->id : 0,
		                      .ed = ps->ed,
		                      .slh = ps->slh_params ? &ps->slh : NULL,
		                      .slh_pk = ps->slh_params ? ps->slh_pk : NULL,
		                      .p256_pk = ps->have_p256 ? ps->p256_pk : NULL };
	struct sign_job *j = &ps->job;
	j->t0 = bft_clock_mono_ns();
	if ((rc = bft_proof_batch_prepare(&j->b, &bs, ps->pending, n)) != 0 || (rc = bft_proof_batch_sign_ed(&j->b)) != 0) {
		bftd_log(LOG_WARNING, "cannot sign a batch of %zu proofs: %s", n, bft_strerror(rc));
		ps->stats.issue_failed++;
		bft_proof_batch_free(&j->b);
		return rc;
	}
	if (!ps->slh_params) { /* Ed25519 alone: done here */
		ps->last_batch_sign_ns = bft_clock_mono_ns() - j->t0;
		rc = store_batch(ps, &j->b, out);
		if (rc == 0)
			ps->batches_signed++;
		bft_proof_batch_free(&j->b);
		return rc;
	}
	atomic_store(&j->done, 0);
	j->rc = 0;
	if (pthread_create(&j->th, NULL, slh_thread, j) != 0) {
		/* No thread: sign here, holding the loop this once. */
		rc = bft_proof_batch_sign_slh(&j->b);
		ps->last_batch_sign_ns = bft_clock_mono_ns() - j->t0;
		if (rc == 0 && (rc = store_batch(ps, &j->b, out)) == 0)
			ps->batches_signed++;
		bft_proof_batch_free(&j->b);
		return rc;
	}
	j->running = true;
	return BFTD_PROOFS_QUEUED;
}

int bftd_proofs_issue(bftd_proofs *ps, const bft_proof_clock *clk, bft_proof *out)
{
	check_damage(ps);
	/* Our own key signed two histories (evidence.h): whatever it signs now
	 * is worthless, and every peer refuses it. The alarm was logged when
	 * the evidence arrived; status says what to do. */
	if (bftd_evidence_self_faulty(ps->ev)) {
		ps->stats.issue_failed++;
		return BFT_EINVAL;
	}
	int rc = adopt_floor(ps);
	if (rc != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	uint8_t nonce[BFT_PROOF_NONCE];
	if (RAND_bytes(nonce, sizeof nonce) != 1) {
		ps->stats.issue_failed++;
		return BFT_ENOMEM;
	}
	if (ps->cfg->proof_scheme)
		return issue_v2(ps, clk, out, nonce);
	rc = bft_proof_gen_next(&ps->gen, out, clk, nonce);
	if (rc != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	enum bft_store_result res;
	rc = bft_store_put_proof(ps->store, out, &res);
	if (rc != 0 || (res != BFT_STORE_NEW && res != BFT_STORE_GAP)) {
		ps->stats.issue_failed++;
		if (res == BFT_STORE_IO) {
			store_failed(ps, bft_store_errmsg(ps->store));
		} else if (!ps->failing) {
			bftd_log(LOG_WARNING, "own proof seq %llu not stored: %s", (unsigned long long)out->seq,
			         bft_store_result_name(res));
		}
		return rc ? rc : BFT_EINVAL;
	}
	store_works(ps);
	/* Durable now: chain to it. */
	if ((rc = bft_proof_gen_accept(&ps->gen, out)) != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	ps->stats.issued++;
	if (out->seq == 0 && !ps->first_logged)
		bftd_log(LOG_NOTICE, "own proof seq 0 issued: a new chain (no own proof in the store, the head record %s or "
		                     "from any peer that answered)",
		         ps->head_path);
	ps->first_logged = true;
	/* The second copy of the head. Its failure loses nothing stored: the
	 * record only falls behind, and says less after a loss of the store. */
	bool hf = head_write(ps, out) != 0;
	if (hf && !ps->head_failing)
		bftd_log(LOG_WARNING, "cannot write the head record %s: %s (retried at every proof)", ps->head_path,
		         strerror(errno));
	else if (!hf && ps->head_failing)
		bftd_log(LOG_NOTICE, "the head record %s is written again", ps->head_path);
	ps->head_failing = hf;
	return 0;
}

int bftd_proofs_submit(bftd_proofs *ps, const uint8_t *buf, size_t len, enum bft_store_result *res)
{
	enum bft_store_result r = BFT_STORE_BAD_ENCODING;
	int rc;
	bft_proof d;
	ps->stats.submitted++;
	if (bftd_evidence_count(ps->ev) && bft_proof_decode(&d, buf, len) == 0 && bftd_evidence_key_faulty(ps->ev, d.pub)) {
		/* A key shown to sign two histories: nothing it signs is stored. */
		r = BFT_STORE_FAULTY;
		rc = BFT_EINVAL;
		bft_store_count_result(ps->store, r);
		bftd_evidence_note_refused(ps->ev);
		if (res)
			*res = r;
		return rc;
	}
	rc = bft_store_put(ps->store, buf, len, &r);
	if (r == BFT_STORE_FORK || r == BFT_STORE_BAD_CHAIN)
		(void)bftd_evidence_on_conflict(ps->ev, ps->store, buf, len);
	if (r == BFT_STORE_IO)
		store_failed(ps, bft_store_errmsg(ps->store));
	if (rc == 0 && (r == BFT_STORE_NEW || r == BFT_STORE_GAP)) {
		store_works(ps);
		ps->stats.accepted++;
		/* One of our own proofs, newer than our head, came back from a
		 * peer: this node lost the end of its chain (a lost or old store).
		 * Continue from it rather than fork: its signature was checked
		 * under our own pinned key, so only we can have made it. */
		bft_proof p;
		if (bft_proof_decode(&p, buf, len) == 0 && p.node_id == ps->cfg->id &&
		    (!ps->gen.have_prev || p.seq >= ps->gen.next_seq) && bft_proof_gen_accept(&ps->gen, &p) == 0) {
			ps->stats.recovered++;
			bftd_log(LOG_NOTICE, "own proof chain recovered from a peer up to seq %llu", (unsigned long long)p.seq);
		}
	}
	if (res)
		*res = r;
	return rc;
}

bool bftd_proofs_head(const bftd_proofs *ps, uint64_t *seq, uint8_t hash[BFT_PROOF_HASH], int64_t *time_ns)
{
	if (!ps->gen.have_prev)
		return false;
	if (seq)
		*seq = ps->gen.next_seq - 1;
	if (hash)
		memcpy(hash, ps->gen.prev_hash, BFT_PROOF_HASH);
	if (time_ns)
		*time_ns = ps->gen.prev_time_ns;
	return true;
}

void bftd_proofs_set_reopen_interval(bftd_proofs *ps, int64_t ns) { ps->reopen_every_ns = ns; }

bft_store *bftd_proofs_store(bftd_proofs *ps) { return ps->store; }
bftd_evidence *bftd_proofs_evidence(bftd_proofs *ps) { return ps ? ps->ev : NULL; }
const bftd_proofs_stats *bftd_proofs_get_stats(const bftd_proofs *ps) { return &ps->stats; }

/* ---- the catch-up quorum ------------------------------------------------- */

void bftd_proofs_catchup_begin(bftd_proofs *ps, size_t peers_with_api)
{
	free(ps->answered);
	ps->answered = peers_with_api ? calloc(peers_with_api, sizeof *ps->answered) : NULL;
	ps->asked = ps->answered ? peers_with_api : 0;
	ps->n_answered = 0;
	size_t f = ps->cfg->node.f;
	ps->quorum = ps->asked == 0 ? 0 : ps->asked > f + 1 ? ps->asked - f : 1;
	if (ps->head_unknown && ps->quorum)
		bftd_log(LOG_NOTICE,
		         "this node's own chain head is unknown (no own proof stored, no head record): no proof is issued "
		         "until %zu of the %zu peers with an API answered the catch-up (all but f=%zu: the most that can "
		         "be waited for with f peers down), so a sequence number a peer holds is never signed again",
		         ps->quorum, ps->asked, f);
}

void bftd_proofs_catchup_answer(bftd_proofs *ps, uint32_t peer_id)
{
	for (size_t i = 0; i < ps->n_answered; i++)
		if (ps->answered[i] == peer_id)
			return;
	if (ps->n_answered < ps->asked)
		ps->answered[ps->n_answered++] = peer_id;
	if (ps->head_unknown && ps->n_answered == ps->quorum && !ps->quorum_logged) {
		ps->quorum_logged = true;
		uint64_t seq;
		if (bftd_proofs_head(ps, &seq, NULL, NULL))
			bftd_log(LOG_NOTICE, "catch-up quorum reached (%zu of %zu peers answered): the chain continues after "
			                     "seq %llu, the newest own proof they hold",
			         ps->n_answered, ps->asked, (unsigned long long)seq);
		else
			bftd_log(LOG_NOTICE, "catch-up quorum reached (%zu of %zu peers answered): none holds an own proof of "
			                     "this node, the chain starts at seq 0",
			         ps->n_answered, ps->asked);
	}
}

bool bftd_proofs_catchup_waiting(const bftd_proofs *ps)
{
	return ps && ps->head_unknown && ps->n_answered < ps->quorum;
}

void bftd_proofs_catchup_json(const bftd_proofs *ps, struct json_object *o)
{
	if (!ps)
		return;
	json_object *c = json_object_new_object();
	json_object_object_add(c, "head_known_at_start", json_object_new_boolean(!ps->head_unknown));
	json_object_object_add(c, "peers_asked", json_object_new_int64((int64_t)ps->asked));
	json_object_object_add(c, "answered", json_object_new_int64((int64_t)ps->n_answered));
	json_object_object_add(c, "quorum", json_object_new_int64(ps->head_unknown ? (int64_t)ps->quorum : 0));
	bool w = bftd_proofs_catchup_waiting(ps);
	json_object_object_add(c, "waiting", json_object_new_boolean(w));
	if (w)
		json_object_object_add(c, "why",
		                       json_object_new_string("this node's own chain head is unknown (store and head record "
		                                              "lost): no proof is issued until a quorum of peers answered, "
		                                              "so no sequence number they hold is signed again"));
	json_object_object_add(o, "catchup", c);
}
