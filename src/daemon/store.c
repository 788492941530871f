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
 */
#include "daemon/store.h"

#include <stdlib.h>
#include <string.h>

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
	S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_GET] = "SELECT bytes, hash FROM proofs WHERE node=?1 AND seq=?2",
	[S_NODE_PUB] = "SELECT pub FROM nodes WHERE node=?1",
	[S_NODE_ADD] = "INSERT INTO nodes(node, pub) VALUES(?1, ?2)",
	[S_CLEAR_GAP] = "UPDATE proofs SET gap=0 WHERE node=?1 AND seq=?2",
	[S_INSERT] = "INSERT INTO proofs(node, seq, hash, time_ns, raw_ns, earliest_ns, latest_ns, gap, bytes) "
	             "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_LAST] = "SELECT bytes FROM proofs WHERE node=?1 ORDER BY seq DESC LIMIT 1",
	[S_RECENT_ALL_ASC] = "SELECT bytes FROM proofs WHERE time_ns>=?1 ORDER BY time_ns, node, seq LIMIT ?2",
	[S_RECENT_ALL_DESC] =
	        "SELECT bytes FROM proofs WHERE time_ns>=?1 ORDER BY time_ns DESC, node DESC, seq DESC LIMIT ?2",
	[S_RECENT_NODE_ASC] =
	        "SELECT bytes FROM proofs WHERE node=?3 AND time_ns>=?1 ORDER BY time_ns, seq LIMIT ?2",
	[S_RECENT_NODE_DESC] =
	        "SELECT bytes FROM proofs WHERE node=?3 AND time_ns>=?1 ORDER BY time_ns DESC, seq DESC LIMIT ?2",
	[S_COUNT_ALL] = "SELECT count(*) FROM proofs",
	[S_COUNT_NODE] = "SELECT count(*) FROM proofs WHERE node=?1",
	[S_CHAIN] = "SELECT seq, bytes, hash FROM proofs WHERE node=?1 ORDER BY seq",
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
        "CREATE TABLE IF NOT EXISTS nodes(node INTEGER PRIMARY KEY, pub BLOB NOT NULL);";

struct bft_store {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bft_store_config cfg;
	bft_store_stats stats;
};

static int exec(sqlite3 *db, const char *s)
{
	return sqlite3_exec(db, s, NULL, NULL, NULL) == SQLITE_OK ? 0 : BFT_ENOMEM;
}

int bft_store_open(bft_store **out, const bft_store_config *cfg)
{
	if (!out || !cfg || !cfg->path)
		return BFT_EINVAL;
	*out = NULL;
	bft_store *st = calloc(1, sizeof *st);
	if (!st)
		return BFT_ENOMEM;
	st->cfg = *cfg;
	int rc = BFT_ENOMEM;
	if (sqlite3_open_v2(cfg->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		goto fail;
	/* A CLI reading the same file may hold a lock for a moment. */
	sqlite3_busy_timeout(st->db, 2000);
	/* journal_mode=WAL answers with the mode in effect; anything else
	 * (a read-only medium, an in-memory path) is not the store we promise. */
	sqlite3_stmt *jm = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &jm, NULL) != SQLITE_OK)
		goto fail;
	int ok = sqlite3_step(jm) == SQLITE_ROW && sqlite3_column_text(jm, 0) &&
	         strcmp((const char *)sqlite3_column_text(jm, 0), "wal") == 0;
	sqlite3_finalize(jm);
	if (!ok)
		goto fail;
	sqlite3_stmt *uv = NULL;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &uv, NULL) != SQLITE_OK)
		goto fail;
	int version = sqlite3_step(uv) == SQLITE_ROW ? sqlite3_column_int(uv, 0) : -1;
	sqlite3_finalize(uv);
	if (version < 0 || version > SCHEMA_VERSION) {
		rc = BFT_EINVAL;
		goto fail;
	}
	if (exec(st->db, "PRAGMA synchronous=FULL") != 0 ||
	    exec(st->db, "BEGIN IMMEDIATE") != 0)
		goto fail;
	if (exec(st->db, schema) != 0 || exec(st->db, "PRAGMA user_version=1") != 0 ||
	    exec(st->db, "COMMIT") != 0) {
		exec(st->db, "ROLLBACK");
		rc = BFT_EINVAL; /* a file that is not ours, or a clashing schema */
		goto fail;
	}
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->st[i], NULL) != SQLITE_OK)
			goto fail;
	*out = st;
	return 0;
fail:
	if (st->db && (sqlite3_errcode(st->db) & 0xff) == SQLITE_NOTADB)
		rc = BFT_EINVAL; /* not a database: we refuse it and leave it alone */
	bft_store_close(st);
	return rc;
}

void bft_store_close(bft_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->st[i]);
	sqlite3_close(st->db); /* every statement is finalized: this cannot be busy */
	free(st);
}

/* Run a statement that returns no rows (or whose rows we ignore). */
static int run(bft_store *st, enum stmt s)
{
	sqlite3_stmt *q = st->st[s];
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : BFT_ENOMEM;
}

static void done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

/* Look (node, seq) up: 1 found (proof decoded, hash copied), 0 not found,
 * negative on a database error or a row that does not decode. */
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
		ret = BFT_ENOMEM;
	} else {
		const void *b = sqlite3_column_blob(q, 0);
		int blen = sqlite3_column_bytes(q, 0);
		const void *h = sqlite3_column_blob(q, 1);
		int hlen = sqlite3_column_bytes(q, 1);
		if (!b || !h || hlen != BFT_PROOF_HASH || bft_proof_decode(p, b, (size_t)blen) != 0) {
			ret = BFT_EINVAL;
		} else {
			memcpy(hash, h, BFT_PROOF_HASH);
			ret = 1;
		}
	}
	done(q);
	return ret;
}

/* Signature and pinned-key checks: no database state needed. */
static enum bft_store_result check_sig(bft_store *st, const bft_proof *p)
{
	uint8_t pinned[BFT_PROOF_KEY];
	bool have_pin = false;
	if (st->cfg.pinned_key) {
		have_pin = st->cfg.pinned_key(st->cfg.pinned_ctx, p->node_id, pinned) == 0;
		if (!have_pin && st->cfg.require_pinned)
			return BFT_STORE_BAD_KEY;
		if (have_pin && CRYPTO_memcmp(pinned, p->pub, BFT_PROOF_KEY) != 0)
			return BFT_STORE_BAD_KEY;
	}
	int rc = st->cfg.signer ? bft_proof_verify_signer(p, st->cfg.signer)
	                        : bft_proof_verify_key(p, have_pin ? pinned : NULL);
	return rc == 0 ? BFT_STORE_NEW : BFT_STORE_BAD_SIG;
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
	enum bft_store_result r = check_sig(st, p);
	uint8_t hash[BFT_PROOF_HASH];
	if (r == BFT_STORE_NEW && bft_sha3_256(hash, buf, len) != 0)
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
	if (rc == SQLITE_DONE)
		ret = BFT_EEMPTY;
	else if (rc != SQLITE_ROW)
		ret = BFT_ENOMEM;
	else
		ret = bft_proof_decode(out, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)) == 0
		              ? 0
		              : BFT_EINVAL;
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
		ret = BFT_ENOMEM;
	} else {
		const void *b = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		if (!b || n <= 0)
			ret = BFT_EINVAL;
		else if ((size_t)n > cap)
			ret = BFT_ERANGE;
		else {
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
		const void *b = sqlite3_column_blob(q, 0);
		int len = sqlite3_column_bytes(q, 0);
		if (!b || len <= 0 || len > BFT_PROOF_MAX)
			continue; /* cannot happen for rows we wrote; never hand it out */
		n++;
		if (fn(ctx, b, (size_t)len) != 0 || n == INT32_MAX) {
			rc = SQLITE_DONE;
			break;
		}
	}
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
		    bft_sha3_256(h, b, (size_t)len) != 0 || memcmp(h, hc, BFT_PROOF_HASH) != 0) {
			ret = BFT_EINVAL;
			break;
		}
		if (check_sigs) {
			int v = st->cfg.signer ? bft_proof_verify_signer(&cur, st->cfg.signer)
			                       : bft_proof_verify_key(&cur, NULL);
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
	case BFT_STORE_RESULTS: break;
	}
	return "unknown";
}
