/* SPDX-License-Identifier: MIT */
/*
 * The proof store (store.h) on SQLite. Why SQLite: a single file, atomic
 * transactions and a write-ahead log give us "an acknowledged proof is never
 * lost and a bad one never damages what is stored" without our own file
 * format. Every statement is prepared once at open with bound parameters:
 * proof bytes come from the network and never become SQL text.
 *
 * An insertion verifies the signature first (the expensive part, needing no
 * database state), then runs every chain check and the write inside one
 * BEGIN IMMEDIATE transaction, so the checks see exactly what the write
 * will extend, and any failure rolls everything back.
 *
 * Why check what we wrote ourselves: the file is not ours alone. A disk, a
 * restore from backup, an operator with sqlite3 or a truncating copy can
 * change it under us, and SQLite checks only its own structure, not that a
 * row still holds the proof it was given. So open refuses what cannot be a
 * sound database before SQLite touches it, bft_store_check walks every row
 * at start, and every proof handed out is checked on its way out.
 */
#include "daemon/store.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#define SCHEMA_VERSION 1

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_GET,        /* bytes, hash of (node, seq) */
	S_NODE_PUB,
	S_NODE_ADD,
	S_CLEAR_GAP,
	S_INSERT,
	S_LAST,
	S_RECENT_ALL_ASC,
	S_RECENT_ALL_DESC,
	S_RECENT_NODE_ASC,
	S_RECENT_NODE_DESC,
	S_COUNT_ALL,
	S_COUNT_NODE,
	S_CHAIN,
	S_ALL,
	S_EV_PUT,
	S_EV_ALL,
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_GET] = "SELECT bytes, hash, node, seq FROM proofs WHERE node=?1 AND seq=?2",
	[S_NODE_PUB] = "SELECT pub FROM nodes WHERE node=?1",
	[S_NODE_ADD] = "INSERT INTO nodes(node, pub) VALUES(?1, ?2)",
	[S_CLEAR_GAP] = "UPDATE proofs SET gap=0 WHERE node=?1 AND seq=?2",
	[S_INSERT] = "INSERT INTO proofs(node, seq, hash, time_ns, raw_ns, earliest_ns, latest_ns, gap, bytes) "
	             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* Every read that hands a proof out selects (bytes, hash, node, seq):
	 * what row_served checks. */
	[S_LAST] = "SELECT bytes, hash, node, seq FROM proofs WHERE node=?1 ORDER BY seq DESC LIMIT 1",
	[S_RECENT_ALL_ASC] =
	        "SELECT bytes, hash, node, seq FROM proofs WHERE time_ns>=?1 ORDER BY time_ns, node, seq LIMIT ?2",
	[S_RECENT_ALL_DESC] = "SELECT bytes, hash, node, seq FROM proofs WHERE time_ns>=?1 "
	                      "ORDER BY time_ns DESC, node DESC, seq DESC LIMIT ?2",
	[S_RECENT_NODE_ASC] = "SELECT bytes, hash, node, seq FROM proofs WHERE node=?3 AND time_ns>=?1 "
	                      "ORDER BY time_ns, seq LIMIT ?2",
	[S_RECENT_NODE_DESC] = "SELECT bytes, hash, node, seq FROM proofs WHERE node=?3 AND time_ns>=?1 "
	                       "ORDER BY time_ns DESC, seq DESC LIMIT ?2",
	[S_COUNT_ALL] = "SELECT count(*) FROM proofs",
	[S_COUNT_NODE] = "SELECT count(*) FROM proofs WHERE node=?1",
	[S_CHAIN] = "SELECT seq, bytes, hash FROM proofs WHERE node=?1 ORDER BY seq",
	[S_ALL] = "SELECT node, seq, hash, time_ns, raw_ns, earliest_ns, latest_ns, bytes FROM proofs ORDER BY node, seq",
	[S_EV_PUT] = "INSERT OR REPLACE INTO evidence(pub, node, bytes) VALUES(?1, ?2, ?3)",
	[S_EV_ALL] = "SELECT bytes FROM evidence ORDER BY rowid",
};

/* WITHOUT ROWID: the primary key is the natural one, and rows are looked up
 * by it. Times are kept as columns for the since= queries; the bytes are the
 * proof itself, so nothing here can disagree with what was signed. */
static const char schema[] =
        "CREATE TABLE IF NOT EXISTS proofs("
        " node INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
        " time_ns INTEGER NOT NULL, raw_ns INTEGER NOT NULL,"
        " earliest_ns INTEGER NOT NULL, latest_ns INTEGER NOT NULL,"
        " gap INTEGER NOT NULL, bytes BLOB NOT NULL,"
        " PRIMARY KEY(node, seq)) WITHOUT ROWID;"
        "CREATE INDEX IF NOT EXISTS proofs_time ON proofs(time_ns);"
        "CREATE INDEX IF NOT EXISTS proofs_node_time ON proofs(node, time_ns);"
        "CREATE TABLE IF NOT EXISTS nodes(node INTEGER PRIMARY KEY, pub BLOB NOT NULL);"
        /* Equivocation evidence, one row per key (store.h). Added within
         * schema version 1: older stores gain the table at open, and older
         * daemons never read it. */
        "CREATE TABLE IF NOT EXISTS evidence(pub BLOB PRIMARY KEY, node INTEGER NOT NULL, bytes BLOB NOT NULL);";

/* Hashes of proofs whose signature was verified since open, direct-mapped
 * by their first bytes: a proof read again whose bytes still hash to one of
 * them needs no second verification (SHA3-256 is ~100 times cheaper than
 * Ed25519). 4096 x 32 bytes: the newest proofs, the ones usually asked for. */
#define VCACHE 4096

struct bft_store {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bft_store_config cfg;
	bft_store_stats stats;
	bool was_empty;
	char errmsg[256];
	uint8_t vcache[VCACHE][BFT_PROOF_HASH];
	uint8_t vcache_set[VCACHE / 8];
	bft_proof_rootcache roots; /* version 2: batches whose signatures verified */
	/* store_check: the bytes of the stretch's top so far (a version-2
	 * proof's authenticator is a view into them; SQLite's row is gone by
	 * the time the top is known). */
	uint8_t *top_bytes;
	size_t top_len;
};

/* The hash column of a proof's bytes (proof.h): version 1, all of them;
 * version 2, its body. p is b decoded. */
static int bytes_hash(uint8_t out[BFT_PROOF_HASH], const bft_proof *p, const void *b, size_t blen)
{
	return bft_sha3_256(out, b, p->version == BFT_PROOF_VERSION_2 ? bft_proof_v2_body_size(p) : blen);
}

/* What the verification cache keys on: the hash, which covers a v1 proof's
 * signature, or for version 2 (whose hash does not cover its authenticator)
 * the SHA3-256 of all its bytes. */
static int vcache_key(uint8_t out[BFT_PROOF_HASH], const bft_proof *p, const uint8_t hash[BFT_PROOF_HASH],
                      const void *b, size_t blen)
{
	if (p->version != BFT_PROOF_VERSION_2) {
		memcpy(out, hash, BFT_PROOF_HASH);
		return 0;
	}
	return bft_sha3_256(out, b, blen);
}

static int exec(sqlite3 *db, const char *s)
{
	return sqlite3_exec(db, s, NULL, NULL, NULL) == SQLITE_OK ? 0 : BFT_ENOMEM;
}

static void say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Keep SQLite's message of the last failure (bft_store_errmsg). */
static void note_db_error(bft_store *st)
{
	int se = st->db ? sqlite3_system_errno(st->db) : 0;
	snprintf(st->errmsg, sizeof st->errmsg, "%s%s%s", st->db ? sqlite3_errmsg(st->db) : "no database",
	         se ? ": " : "", se ? strerror(se) : "");
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* What is at path, before SQLite reads it: nothing (SQLite creates it), an
 * empty file (*empty), or a regular file whose header is SQLite's and whose
 * size is whole pages, no fewer than its header counts. Why here: SQLite
 * reports every one of these as SQLITE_NOTADB, SQLITE_CANTOPEN or
 * SQLITE_CORRUPT, or not at all until the damaged page is read, and the
 * operator needs to know which. */
static int precheck(const char *path, bool *empty, char *err, size_t errlen)
{
	struct stat sb;
	*empty = false;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		say(err, errlen, "cannot look at it: %s", strerror(errno));
		return BFT_ENOMEM;
	}
	if (S_ISDIR(sb.st_mode)) {
		say(err, errlen, "it is a directory, not a database file (store: names the file, created if missing)");
		return BFT_EINVAL;
	}
	if (!S_ISREG(sb.st_mode)) {
		say(err, errlen, "it is not a regular file");
		return BFT_EINVAL;
	}
	if (sb.st_size == 0) {
		*empty = true;
		return 0;
	}
	uint8_t h[100];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(err, errlen, "cannot read it: %s", strerror(errno));
		return BFT_ENOMEM;
	}
	ssize_t n = read(fd, h, sizeof h);
	close(fd);
	if (n < 0) {
		say(err, errlen, "cannot read it: %s", strerror(errno));
		return BFT_ENOMEM;
	}
	if (n < 16 || memcmp(h, "SQLite format 3", 16) != 0) {
		say(err, errlen, "it is not an SQLite database: its first bytes are not SQLite's header (a damaged header, "
		                 "or another kind of file)");
		return BFT_EINVAL;
	}
	if (n < (ssize_t)sizeof h) {
		say(err, errlen, "it is truncated: %lld bytes, shorter than SQLite's 100-byte header", (long long)sb.st_size);
		return BFT_EINVAL;
	}
	uint32_t page = (uint32_t)h[16] << 8 | h[17];
	if (page == 1)
		page = 65536;
	if (page < 512 || page > 65536 || (page & (page - 1)) != 0) {
		say(err, errlen, "its SQLite header is damaged: page size %u", page);
		return BFT_EINVAL;
	}
	if (sb.st_size % page != 0) {
		say(err, errlen, "it is truncated or padded: %lld bytes is not a whole number of %u-byte pages",
		    (long long)sb.st_size, page);
		return BFT_EINVAL;
	}
	/* The page count in the header is valid when the change counter
	 * (offset 24) equals the version-valid-for number (offset 92). Not
	 * judged while a -wal file beside it holds frames: a checkpoint cut
	 * short (a kill -9) writes page 1, with the new count, before the
	 * pages that grow the file, and SQLite replays the WAL at open (found
	 * by review: such a store was refused as truncated, and the message
	 * advised moving it aside). */
	uint32_t pages = be32(h + 28);
	char wal[4200];
	struct stat wb;
	bool wal_frames = snprintf(wal, sizeof wal, "%s-wal", path) < (int)sizeof wal && stat(wal, &wb) == 0 &&
	                  S_ISREG(wb.st_mode) && wb.st_size > 32;
	if (pages && !wal_frames && be32(h + 24) == be32(h + 92) && (uint64_t)sb.st_size < (uint64_t)pages * page) {
		say(err, errlen, "it is truncated: %lld bytes, where its header counts %u pages of %u bytes (%llu bytes)",
		    (long long)sb.st_size, pages, page, (unsigned long long)pages * page);
		return BFT_EINVAL;
	}
	return 0;
}

int bft_store_open(bft_store **out, const bft_store_config *cfg, char *err, size_t errlen)
{
	say(err, errlen, "no error");
	if (!out || !cfg || !cfg->path) {
		say(err, errlen, "no path");
		return BFT_EINVAL;
	}
	*out = NULL;
	bool empty = false;
	int rc = precheck(cfg->path, &empty, err, errlen);
	if (rc != 0)
		return rc;
	bft_store *st = calloc(1, sizeof *st);
	if (!st) {
		say(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	st->cfg = *cfg;
	st->was_empty = empty;
	rc = BFT_ENOMEM;
	const char *what = "cannot open it";
	if (sqlite3_open_v2(cfg->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		goto fail;
	/* A CLI reading the same file may hold a lock for a moment. */
	sqlite3_busy_timeout(st->db, 2000);
	/* journal_mode=WAL answers with the mode in effect; anything else
	 * (a read-only medium, an in-memory path) is not the store we promise. */
	sqlite3_stmt *jm = NULL;
	what = "cannot read it";
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &jm, NULL) != SQLITE_OK)
		goto fail;
	int ok = sqlite3_step(jm) == SQLITE_ROW && sqlite3_column_text(jm, 0) &&
	         strcmp((const char *)sqlite3_column_text(jm, 0), "wal") == 0;
	sqlite3_finalize(jm);
	if (!ok) {
		what = "cannot put it in WAL mode (a read-only medium?)";
		goto fail;
	}
	sqlite3_stmt *uv = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &uv, NULL) != SQLITE_OK)
		goto fail;
	int version = sqlite3_step(uv) == SQLITE_ROW ? sqlite3_column_int(uv, 0) : -1;
	sqlite3_finalize(uv);
	if (version < 0)
		goto fail;
	if (version > SCHEMA_VERSION) {
		say(err, errlen, "its schema version %d is newer than this bftimed's (%d)", version, SCHEMA_VERSION);
		rc = BFT_EINVAL;
		goto fail_quiet;
	}
	what = "cannot write it";
	if (exec(st->db, "PRAGMA synchronous=FULL") != 0 ||
	    exec(st->db, "BEGIN IMMEDIATE") != 0)
		goto fail;
	if (exec(st->db, schema) != 0 || exec(st->db, "PRAGMA user_version=1") != 0 ||
	    exec(st->db, "COMMIT") != 0) {
		if ((sqlite3_errcode(st->db) & 0xff) != SQLITE_ERROR)
			goto fail; /* I/O, a full disk, a lock: not the file's fault */
		say(err, errlen, "it is not a proof store (its tables are not ours): %s", sqlite3_errmsg(st->db));
		exec(st->db, "ROLLBACK");
		rc = BFT_EINVAL; /* a file that is not ours, or a clashing schema */
		goto fail_quiet;
	}
	what = "it is not a proof store (its tables are not ours)";
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->st[i], NULL) != SQLITE_OK)
			goto fail;
	*out = st;
	return 0;
fail:
	if (st->db) {
		int e = sqlite3_errcode(st->db) & 0xff;
		if (e == SQLITE_NOTADB || e == SQLITE_CORRUPT)
			rc = BFT_EINVAL; /* not a database, or a damaged one: we refuse it and leave it alone */
		int se = sqlite3_system_errno(st->db);
		say(err, errlen, "%s: %s%s%s", what, sqlite3_errmsg(st->db), se ? ": " : "", se ? strerror(se) : "");
	} else {
		say(err, errlen, "%s: out of memory", what);
	}
fail_quiet:
	bft_store_close(st);
	return rc;
}

bool bft_store_was_empty(const bft_store *st) { return st && st->was_empty; }

const char *bft_store_errmsg(const bft_store *st) { return st ? st->errmsg : "no store"; }

void bft_store_carry_stats(bft_store *to, const bft_store *from)
{
	if (to && from)
		to->stats = from->stats;
}

void bft_store_close(bft_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db); /* every statement is finalized: this cannot be busy */
	free(st->top_bytes);
	free(st);
}

/* Run a statement that returns no rows (or whose rows we ignore). */
static int run(bft_store *st, enum stmt s)
{
	sqlite3_stmt *q = st->st[s];
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && s != S_ROLLBACK)
		note_db_error(st); /* a ROLLBACK after a failed COMMIT would hide why */
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : BFT_ENOMEM;
}

static void done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

/* Signature and pinned-key checks: no database state needed. */
/* stored: p is a stored row, not an insertion. A node no longer pinned
 * (taken out of the configuration, or given a new id after its key was
 * shown faulty) keeps its stored history: its rows are checked under the
 * key they embed, which the check at open holds to the one stored for the
 * node; only new proofs must come from a pinned node. */
static enum bft_store_result check_sig(bft_store *st, const bft_proof *p, bool stored)
{
	uint8_t pinned[BFT_PROOF_KEY];
	bool have_pin = false;
	if (st->cfg.pinned_key) {
		have_pin = st->cfg.pinned_key(st->cfg.pinned_ctx, p->node_id, pinned) == 0;
		if (!have_pin && st->cfg.require_pinned && !stored)
			return BFT_STORE_BAD_KEY;
		if (have_pin && CRYPTO_memcmp(pinned, p->pub, BFT_PROOF_KEY) != 0)
			return BFT_STORE_BAD_KEY;
	}
	int rc;
	uint8_t slh[BFT_SLHDSA_MAX_PK];
	size_t slh_len = 0;
	bool have_slh = !st->cfg.signer && st->cfg.pinned_slh_key &&
	                st->cfg.pinned_slh_key(st->cfg.pinned_ctx, p->node_id, slh, &slh_len) == 0;
	/* A node whose SLH-DSA key is pinned signs its new proofs with it: a
	 * v1 proof, or a v2 one signed by Ed25519 alone, is a downgrade a
	 * quantum adversary holding the Ed25519 key could forge (found by
	 * review: pinning gave no post-quantum security). Proofs stored before
	 * stay as they are. */
	if (have_slh && !stored && p->version != BFT_PROOF_VERSION_2)
		return BFT_STORE_BAD_KEY;
	if (p->version == BFT_PROOF_VERSION_2 && !st->cfg.signer) {
		/* Path and root signatures, the root checked once per batch; the
		 * SLH-DSA key carried must be the one pinned, when one is. */
		bft_proof_auth a;
		if (bft_proof_auth_parse(&a, p->auth, p->auth_len) != 0)
			return BFT_STORE_BAD_SIG;
		if (have_slh && !a.slh_pk && !stored)
			return BFT_STORE_BAD_KEY;
		if (have_slh && a.slh_pk && (a.params->pk_len != slh_len || CRYPTO_memcmp(slh, a.slh_pk, slh_len) != 0))
			return BFT_STORE_BAD_KEY;
		rc = bft_proof_v2_verify(p, have_pin ? pinned : NULL, have_slh ? slh : NULL, slh_len, &st->roots);
	} else {
		rc = st->cfg.signer ? bft_proof_verify_signer(p, st->cfg.signer)
		                    : bft_proof_verify_key(p, have_pin ? pinned : NULL);
	}
	return rc == 0 ? BFT_STORE_NEW : BFT_STORE_BAD_SIG;
}

static size_t vcache_slot(const uint8_t h[BFT_PROOF_HASH]) { return ((size_t)h[0] << 8 | h[1]) % VCACHE; }

static bool vcache_has(const bft_store *st, const uint8_t h[BFT_PROOF_HASH])
{
	size_t i = vcache_slot(h);
	return (st->vcache_set[i / 8] >> (i % 8) & 1) && memcmp(st->vcache[i], h, BFT_PROOF_HASH) == 0;
}

static void vcache_put(bft_store *st, const uint8_t h[BFT_PROOF_HASH])
{
	size_t i = vcache_slot(h);
	memcpy(st->vcache[i], h, BFT_PROOF_HASH);
	st->vcache_set[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The checks of a row that cost no signature: its bytes are a proof, the
 * one its (node, seq) columns name, and hash to its hash column. NULL, or
 * what is wrong; p and hash filled when NULL. */
static const char *row_damage(const void *b, int blen, const void *h, int hlen, uint32_t node, uint64_t seq,
                              bft_proof *p, uint8_t hash[BFT_PROOF_HASH])
{
	if (!b || blen <= 0 || blen > BFT_PROOF_MAX || bft_proof_decode(p, b, (size_t)blen) != 0)
		return "its bytes are not a proof";
	if (p->node_id != node || p->seq != seq)
		return "its bytes are another proof than its node and seq columns say";
	if (!h || hlen != BFT_PROOF_HASH)
		return "its hash column is damaged";
	if (bytes_hash(hash, p, b, (size_t)blen) != 0)
		return "it cannot be hashed (out of memory)";
	if (memcmp(hash, h, BFT_PROOF_HASH) != 0)
		return "its bytes do not match the hash stored with them";
	return NULL;
}

static void note_damage(bft_store *st, uint32_t node, uint64_t seq, const char *why)
{
	snprintf(st->errmsg, sizeof st->errmsg, "proof (node %u, seq %llu) is damaged: %s", node,
	         (unsigned long long)seq, why);
}

/* A damaged row met by a read: counted, noted, never handed out. */
static int damaged(bft_store *st, uint32_t node, uint64_t seq, const char *why)
{
	st->stats.by_result[BFT_STORE_DAMAGED]++;
	note_damage(st, node, seq, why);
	return BFT_EINVAL;
}

/* A row about to be handed out, its columns (bytes, hash, node, seq) at
 * q's current row: the checks above, then its signature, unless this very
 * hash was verified since open. 0 (p filled, may be NULL), or BFT_EINVAL:
 * counted DAMAGED and never handed out. */
static int row_served(bft_store *st, sqlite3_stmt *q, bft_proof *p)
{
	bft_proof tmp;
	if (!p)
		p = &tmp;
	uint8_t hash[BFT_PROOF_HASH];
	uint32_t node = (uint32_t)sqlite3_column_int64(q, 2);
	uint64_t seq = (uint64_t)sqlite3_column_int64(q, 3);
	const void *b = sqlite3_column_blob(q, 0);
	int blen = sqlite3_column_bytes(q, 0);
	const char *why = row_damage(b, blen, sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1), node, seq, p, hash);
	uint8_t vkey[BFT_PROOF_HASH];
	if (!why && vcache_key(vkey, p, hash, b, (size_t)blen) != 0)
		why = "it cannot be hashed (out of memory)";
	if (!why && !vcache_has(st, vkey)) {
		enum bft_store_result r = check_sig(st, p, true);
		if (r == BFT_STORE_NEW)
			vcache_put(st, vkey);
		else
			why = r == BFT_STORE_BAD_KEY ? "it names another key than the node's" : "its signature does not verify";
	}
	/* The statement is handed out; the authenticator's view into SQLite's
	 * row would dangle after the next step. */
	p->auth = NULL;
	p->auth_len = 0;
	return why ? damaged(st, node, seq, why) : 0;
}

/* Look (node, seq) up for an insertion's checks: 1 found (proof decoded,
 * hash copied), 0 not found, BFT_ENOMEM on a database error, BFT_EINVAL for
 * a damaged row (counted). Its signature is not checked here: the new
 * proof's link to it is. */
static int get_row(bft_store *st, uint32_t node, uint64_t seq, bft_proof *p, uint8_t hash[BFT_PROOF_HASH])
{
	sqlite3_stmt *q = st->st[S_GET];
	sqlite3_bind_int64(q, 1, node);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)seq);
	int rc = sqlite3_step(q);
	int ret;
	if (rc == SQLITE_DONE) {
		ret = 0;
	} else if (rc != SQLITE_ROW) {
		note_db_error(st);
		ret = BFT_ENOMEM;
	} else {
		const char *why = row_damage(sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0), sqlite3_column_blob(q, 1),
		                             sqlite3_column_bytes(q, 1), node, seq, p, hash);
		ret = why ? damaged(st, node, seq, why) : 1;
	}
	done(q);
	return ret;
}

/* The checks and the write, inside the caller's transaction. */
static enum bft_store_result insert_locked(bft_store *st, const bft_proof *p, const uint8_t *buf, size_t len,
                                           const uint8_t hash[BFT_PROOF_HASH])
{
	bft_proof other;
	uint8_t other_hash[BFT_PROOF_HASH];
	int rc = get_row(st, p->node_id, p->seq, &other, other_hash);
	if (rc < 0)
		return BFT_STORE_IO;
	if (rc == 1)
		return memcmp(other_hash, hash, BFT_PROOF_HASH) == 0 ? BFT_STORE_DUP : BFT_STORE_FORK;

	/* One key per node for the store's lifetime: a node cannot switch keys
	 * across a gap, where the chain check cannot see it. */
	sqlite3_stmt *q = st->st[S_NODE_PUB];
	sqlite3_bind_int64(q, 1, p->node_id);
	rc = sqlite3_step(q);
	bool known = rc == SQLITE_ROW;
	bool same = known && sqlite3_column_bytes(q, 0) == BFT_PROOF_KEY &&
	            memcmp(sqlite3_column_blob(q, 0), p->pub, BFT_PROOF_KEY) == 0;
	done(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return BFT_STORE_IO;
	if (known && !same)
		return BFT_STORE_BAD_KEY;

	bool gap = false;
	if (p->seq > 0) {
		rc = get_row(st, p->node_id, p->seq - 1, &other, other_hash);
		if (rc < 0)
			return BFT_STORE_IO;
		if (rc == 0)
			gap = true;
		else if (bft_proof_chain_check(&other, other_hash, p) != BFT_CHAIN_OK)
			return BFT_STORE_BAD_CHAIN;
	}
	bool succ = false;
	if (p->seq < BFT_PROOF_SEQ_MAX) {
		rc = get_row(st, p->node_id, p->seq + 1, &other, other_hash);
		if (rc < 0)
			return BFT_STORE_IO;
		if (rc == 1) {
			if (bft_proof_chain_check(p, hash, &other) != BFT_CHAIN_OK)
				return BFT_STORE_BAD_CHAIN;
			succ = true;
		}
	}

	if (!known) {
		q = st->st[S_NODE_ADD];
		sqlite3_bind_int64(q, 1, p->node_id);
		sqlite3_bind_blob(q, 2, p->pub, BFT_PROOF_KEY, SQLITE_STATIC);
		if (run(st, S_NODE_ADD) != 0)
			return BFT_STORE_IO;
	}
	if (succ) {
		q = st->st[S_CLEAR_GAP];
		sqlite3_bind_int64(q, 1, p->node_id);
		sqlite3_bind_int64(q, 2, (sqlite3_int64)(p->seq + 1));
		if (run(st, S_CLEAR_GAP) != 0)
			return BFT_STORE_IO;
	}
	q = st->st[S_INSERT];
	sqlite3_bind_int64(q, 1, p->node_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)p->seq);
	sqlite3_bind_blob(q, 3, hash, BFT_PROOF_HASH, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, p->time_ns);
	sqlite3_bind_int64(q, 5, p->raw_ns);
	sqlite3_bind_int64(q, 6, p->bounds.lo_ns);
	sqlite3_bind_int64(q, 7, p->bounds.hi_ns);
	sqlite3_bind_int(q, 8, gap);
	sqlite3_bind_blob(q, 9, buf, (int)len, SQLITE_STATIC);
	if (run(st, S_INSERT) != 0)
		return BFT_STORE_IO;
	return gap ? BFT_STORE_GAP : BFT_STORE_NEW;
}

static int put(bft_store *st, const bft_proof *p, const uint8_t *buf, size_t len, enum bft_store_result *res)
{
	enum bft_store_result r = check_sig(st, p, false);
	uint8_t hash[BFT_PROOF_HASH], vkey[BFT_PROOF_HASH];
	if (r == BFT_STORE_NEW && (bytes_hash(hash, p, buf, len) != 0 || vcache_key(vkey, p, hash, buf, len) != 0))
		r = BFT_STORE_IO;
	if (r == BFT_STORE_NEW) {
		/* A committed proof is acknowledged: own proofs to the rest of the
		 * node (and chained to), peers' to the peer that posted them, which
		 * does not send them again. The connection runs synchronous=FULL,
		 * so the commit survives power loss, not only kill -9: one fsync
		 * per proof, a few a minute per node. */
		if (run(st, S_BEGIN) != 0) {
			r = BFT_STORE_IO;
		} else {
			r = insert_locked(st, p, buf, len, hash);
			bool keep = r == BFT_STORE_NEW || r == BFT_STORE_GAP;
			if (keep && run(st, S_COMMIT) != 0)
				r = BFT_STORE_IO;
			if (!keep || r == BFT_STORE_IO)
				(void)run(st, S_ROLLBACK); /* harmless when COMMIT already ended it */
			if (r == BFT_STORE_NEW || r == BFT_STORE_GAP)
				vcache_put(st, vkey); /* verified above: served without a second check */
		}
	}
	st->stats.by_result[r]++;
	if (res)
		*res = r;
	switch (r) {
	case BFT_STORE_NEW:
	case BFT_STORE_GAP:
	case BFT_STORE_DUP: return 0;
	case BFT_STORE_IO: return BFT_ENOMEM;
	default: return BFT_EINVAL;
	}
}

int bft_store_put(bft_store *st, const uint8_t *buf, size_t len, enum bft_store_result *res)
{
	if (!st || !buf)
		return BFT_EINVAL;
	bft_proof p;
	if (bft_proof_decode(&p, buf, len) != 0) {
		st->stats.by_result[BFT_STORE_BAD_ENCODING]++;
		if (res)
			*res = BFT_STORE_BAD_ENCODING;
		return BFT_EINVAL;
	}
	return put(st, &p, buf, len, res);
}

int bft_store_put_proof(bft_store *st, const bft_proof *p, enum bft_store_result *res)
{
	if (!st || !p)
		return BFT_EINVAL;
	uint8_t buf[BFT_PROOF_MAX];
	int len = bft_proof_encode(buf, sizeof buf, p);
	if (len < 0) {
		st->stats.by_result[BFT_STORE_BAD_ENCODING]++;
		if (res)
			*res = BFT_STORE_BAD_ENCODING;
		return BFT_EINVAL;
	}
	return put(st, p, buf, (size_t)len, res);
}

int bft_store_last(bft_store *st, uint32_t node_id, bft_proof *out)
{
	if (!st || !out)
		return BFT_EINVAL;
	sqlite3_stmt *q = st->st[S_LAST];
	sqlite3_bind_int64(q, 1, node_id);
	int rc = sqlite3_step(q), ret;
	if (rc == SQLITE_DONE) {
		ret = BFT_EEMPTY;
	} else if (rc != SQLITE_ROW) {
		note_db_error(st);
		ret = BFT_ENOMEM;
	} else {
		ret = row_served(st, q, out);
	}
	done(q);
	return ret;
}

int bft_store_get(bft_store *st, uint32_t node_id, uint64_t seq, uint8_t *buf, size_t cap)
{
	if (!st || !buf || seq > BFT_PROOF_SEQ_MAX)
		return BFT_EINVAL;
	sqlite3_stmt *q = st->st[S_GET];
	sqlite3_bind_int64(q, 1, node_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)seq);
	int rc = sqlite3_step(q), ret;
	if (rc == SQLITE_DONE) {
		ret = BFT_EEMPTY;
	} else if (rc != SQLITE_ROW) {
		note_db_error(st);
		ret = BFT_ENOMEM;
	} else if ((ret = row_served(st, q, NULL)) == 0) {
		const void *b = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		if ((size_t)n > cap) {
			ret = BFT_ERANGE;
		} else {
			memcpy(buf, b, (size_t)n);
			ret = n;
		}
	}
	done(q);
	return ret;
}

int bft_store_recent(bft_store *st, const bft_store_query *qy, bft_store_visit_fn fn, void *ctx)
{
	if (!st || !qy || !fn)
		return BFT_EINVAL;
	enum stmt s = qy->all_nodes ? (qy->newest_first ? S_RECENT_ALL_DESC : S_RECENT_ALL_ASC)
	                            : (qy->newest_first ? S_RECENT_NODE_DESC : S_RECENT_NODE_ASC);
	sqlite3_stmt *q = st->st[s];
	sqlite3_bind_int64(q, 1, qy->since_ns);
	/* LIMIT -1 is SQLite's "no limit"; a count beyond INT_MAX is no limit either. */
	sqlite3_bind_int64(q, 2, qy->limit == 0 || qy->limit > INT32_MAX ? -1 : (sqlite3_int64)qy->limit);
	if (!qy->all_nodes)
		sqlite3_bind_int64(q, 3, qy->node_id);
	int n = 0, rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (row_served(st, q, NULL) != 0)
			continue; /* counted DAMAGED; never handed out */
		n++;
		if (fn(ctx, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)) != 0 || n == INT32_MAX) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		note_db_error(st);
	done(q);
	return rc == SQLITE_DONE ? n : BFT_ENOMEM;
}

int bft_store_count(bft_store *st, bool all_nodes, uint32_t node_id, uint64_t *out)
{
	if (!st || !out)
		return BFT_EINVAL;
	sqlite3_stmt *q = st->st[all_nodes ? S_COUNT_ALL : S_COUNT_NODE];
	if (!all_nodes)
		sqlite3_bind_int64(q, 1, node_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(q, 0);
	done(q);
	return rc == SQLITE_ROW ? 0 : BFT_ENOMEM;
}

/* The signature of the top of a stretch, which the links below it extend
 * to every row of the stretch. */
static const char *top_damage(bft_store *st, const bft_proof *p)
{
	bft_proof again;
	if (p->version == BFT_PROOF_VERSION_2) {
		/* Its authenticator from the copy of its row's bytes. */
		if (bft_proof_decode(&again, st->top_bytes, st->top_len) != 0 || again.seq != p->seq ||
		    again.node_id != p->node_id)
			return "its bytes are not a proof";
		p = &again;
	}
	enum bft_store_result r = check_sig(st, p, true);
	if (r == BFT_STORE_NEW)
		return NULL;
	return r == BFT_STORE_BAD_KEY ? "it names another key than the one pinned for its node"
	                              : "its signature does not verify";
}

int bft_store_check(bft_store *st, bft_store_report *rep, char *err, size_t errlen)
{
	bft_store_report r = { 0 };
	if (rep)
		*rep = r;
	if (!st) {
		say(err, errlen, "no store");
		return BFT_EINVAL;
	}
	/* SQLite's own structure first: pages, b-trees, free list. */
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(3)", -1, &q, NULL) != SQLITE_OK) {
		note_db_error(st);
		say(err, errlen, "SQLite cannot check it: %s", st->errmsg);
		return (sqlite3_errcode(st->db) & 0xff) == SQLITE_CORRUPT ? BFT_EINVAL : BFT_ENOMEM;
	}
	char what[200] = "";
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);
		if (t && strcmp(t, "ok") != 0 && !what[0])
			snprintf(what, sizeof what, "%s", t);
	}
	if (rc != SQLITE_DONE && !what[0]) {
		note_db_error(st);
		snprintf(what, sizeof what, "%.199s", st->errmsg);
	}
	sqlite3_finalize(q);
	for (char *c = what; *c; c++)
		if (*c == '\n')
			*c = ' '; /* "*** in database main ***\nPage 18: ...": one line for the log */
	if (what[0]) {
		say(err, errlen, "SQLite's integrity check failed: %s", what);
		snprintf(st->errmsg, sizeof st->errmsg, "SQLite's integrity check failed: %.200s", what);
		return BFT_EINVAL;
	}
	/* Then every row, as the proofs it must hold. */
	q = st->st[S_ALL];
	bft_proof prev, cur;
	uint8_t prev_hash[BFT_PROOF_HASH], h[BFT_PROOF_HASH], node_pub[BFT_PROOF_KEY];
	bool have_prev = false;
	const char *why = NULL;
	uint32_t node = 0;
	uint64_t seq = 0;
	int ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		node = (uint32_t)sqlite3_column_int64(q, 0);
		seq = (uint64_t)sqlite3_column_int64(q, 1);
		why = row_damage(sqlite3_column_blob(q, 7), sqlite3_column_bytes(q, 7), sqlite3_column_blob(q, 2),
		                 sqlite3_column_bytes(q, 2), node, seq, &cur, h);
		if (!why && (sqlite3_column_int64(q, 3) != cur.time_ns || sqlite3_column_int64(q, 4) != cur.raw_ns ||
		             sqlite3_column_int64(q, 5) != cur.bounds.lo_ns || sqlite3_column_int64(q, 6) != cur.bounds.hi_ns))
			why = "its time columns differ from its bytes";
		if (why)
			break;
		bool same_node = have_prev && prev.node_id == node;
		if (!same_node) {
			/* A new node: the stretch of the previous one ends; this
			 * node's key as stored. */
			if (have_prev && (why = top_damage(st, &prev)) != NULL) {
				node = prev.node_id;
				seq = prev.seq;
				break;
			}
			r.signatures += have_prev;
			r.nodes++;
			sqlite3_stmt *k = st->st[S_NODE_PUB];
			sqlite3_bind_int64(k, 1, node);
			int krc = sqlite3_step(k);
			bool ok = krc == SQLITE_ROW && sqlite3_column_bytes(k, 0) == BFT_PROOF_KEY;
			if (ok)
				memcpy(node_pub, sqlite3_column_blob(k, 0), BFT_PROOF_KEY);
			done(k);
			if (krc != SQLITE_ROW && krc != SQLITE_DONE) {
				note_db_error(st);
				ret = BFT_ENOMEM;
				break;
			}
			if (!ok) {
				why = "its node has no key stored (the nodes table is damaged)";
				break;
			}
			if (seq != 0)
				r.gaps++;
		} else if (seq != prev.seq + 1) {
			if ((why = top_damage(st, &prev)) != NULL) {
				seq = prev.seq;
				break;
			}
			r.signatures++;
			r.gaps++;
		} else {
			int c = bft_proof_chain_check(&prev, prev_hash, &cur);
			if (c != BFT_CHAIN_OK) {
				why = c == BFT_CHAIN_HASH ? "it does not name its predecessor's hash (a link is broken)"
				    : c == BFT_CHAIN_TIME ? "its time is before its predecessor's"
				                          : "it does not follow its predecessor";
				break;
			}
		}
		if (memcmp(cur.pub, node_pub, BFT_PROOF_KEY) != 0) {
			why = "it names another key than the one stored for its node";
			break;
		}
		if (cur.version == BFT_PROOF_VERSION_2) {
			size_t n = (size_t)sqlite3_column_bytes(q, 7);
			if (!st->top_bytes && !(st->top_bytes = malloc(BFT_PROOF_MAX))) {
				ret = BFT_ENOMEM;
				break;
			}
			memcpy(st->top_bytes, sqlite3_column_blob(q, 7), n); /* <= BFT_PROOF_MAX: it decoded */
			st->top_len = n;
		}
		prev = cur;
		prev.auth = NULL;
		memcpy(prev_hash, h, sizeof h);
		have_prev = true;
		r.rows++;
	}
	if (!why && ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		note_db_error(st);
		ret = (sqlite3_errcode(st->db) & 0xff) == SQLITE_CORRUPT ? BFT_EINVAL : BFT_ENOMEM;
		say(err, errlen, "SQLite cannot read it: %s", st->errmsg);
	}
	done(q);
	if (!why && ret == 0 && have_prev) {
		if ((why = top_damage(st, &prev)) != NULL) {
			node = prev.node_id;
			seq = prev.seq;
		} else {
			r.signatures++;
		}
	}
	if (why) {
		note_damage(st, node, seq, why);
		say(err, errlen, "%s", st->errmsg);
		return BFT_EINVAL;
	}
	if (ret == 0 && rep)
		*rep = r;
	return ret;
}

int bft_store_verify_chain(bft_store *st, uint32_t node_id, bool check_sigs, uint64_t *links, uint64_t *gaps)
{
	if (!st)
		return BFT_EINVAL;
	uint64_t nl = 0, ng = 0;
	bft_proof prev, cur;
	uint8_t prev_hash[BFT_PROOF_HASH], h[BFT_PROOF_HASH];
	bool have_prev = false;
	int ret = 0, rc;
	sqlite3_stmt *q = st->st[S_CHAIN];
	sqlite3_bind_int64(q, 1, node_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(q, 0);
		const void *b = sqlite3_column_blob(q, 1);
		int len = sqlite3_column_bytes(q, 1);
		const void *hc = sqlite3_column_blob(q, 2);
		if (!b || !hc || sqlite3_column_bytes(q, 2) != BFT_PROOF_HASH ||
		    bft_proof_decode(&cur, b, (size_t)len) != 0 || cur.seq != seq || cur.node_id != node_id ||
		    bytes_hash(h, &cur, b, (size_t)len) != 0 || memcmp(h, hc, BFT_PROOF_HASH) != 0) {
			ret = BFT_EINVAL;
			break;
		}
		if (check_sigs) {
			int v = check_sig(st, &cur, true) == BFT_STORE_NEW ? 0 : BFT_EINVAL;
			if (v != 0) {
				ret = BFT_EINVAL;
				break;
			}
		}
		if (have_prev ? cur.seq != prev.seq + 1 : cur.seq != 0) {
			ng++;
		} else if (have_prev) {
			if (bft_proof_chain_check(&prev, prev_hash, &cur) != BFT_CHAIN_OK) {
				ret = BFT_EINVAL;
				break;
			}
			nl++;
		}
		prev = cur;
		prev.auth = NULL; /* a view into the row, gone at the next step */
		memcpy(prev_hash, h, sizeof h);
		have_prev = true;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = BFT_ENOMEM;
	done(q);
	if (links)
		*links = nl;
	if (gaps)
		*gaps = ng;
	return ret;
}

const bft_store_stats *bft_store_get_stats(const bft_store *st)
{
	return &st->stats;
}

const char *bft_store_result_name(enum bft_store_result r)
{
	switch (r) {
	case BFT_STORE_NEW: return "new";
	case BFT_STORE_GAP: return "gap";
	case BFT_STORE_DUP: return "duplicate";
	case BFT_STORE_BAD_ENCODING: return "bad_encoding";
	case BFT_STORE_BAD_SIG: return "bad_signature";
	case BFT_STORE_BAD_KEY: return "bad_key";
	case BFT_STORE_FORK: return "fork";
	case BFT_STORE_BAD_CHAIN: return "bad_chain";
	case BFT_STORE_IO: return "io_error";
	case BFT_STORE_DAMAGED: return "damaged";
	case BFT_STORE_FAULTY: return "faulty_key";
	case BFT_STORE_RESULTS: break;
	}
	return "unknown";
}

void bft_store_count_result(bft_store *st, enum bft_store_result r)
{
	if (st && r >= 0 && r < BFT_STORE_RESULTS)
		st->stats.by_result[r]++;
}

int bft_store_evidence_put(bft_store *st, const uint8_t pub[BFT_PROOF_KEY], uint32_t node_id, const uint8_t *buf,
                           size_t len)
{
	if (!st || !pub || !buf || len == 0 || len > INT32_MAX)
		return BFT_EINVAL;
	sqlite3_stmt *q = st->st[S_EV_PUT];
	sqlite3_bind_blob(q, 1, pub, BFT_PROOF_KEY, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, node_id);
	sqlite3_bind_blob(q, 3, buf, (int)len, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		note_db_error(st);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : BFT_ENOMEM;
}

int bft_store_evidence_all(bft_store *st, bft_store_visit_fn fn, void *ctx)
{
	if (!st || !fn)
		return BFT_EINVAL;
	sqlite3_stmt *q = st->st[S_EV_ALL];
	int n = 0, rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 0);
		int l = sqlite3_column_bytes(q, 0);
		n++;
		if (b && l > 0 && fn(ctx, b, (size_t)l) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note_db_error(st);
	bool failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	sqlite3_reset(q);
	return failed ? BFT_ENOMEM : n;
}
