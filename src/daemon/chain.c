/* SPDX-License-Identifier: MIT */
/*
 * The chain's store and faces (chain.h). The store is one table of encoded
 * blocks keyed by their hash: the bytes are the block itself, so nothing
 * kept can disagree with what was mined, and a replay judges every block
 * again through the node (bft_nk_add), as if it had just arrived. WAL with
 * synchronous=NORMAL: a committed block survives the process being killed
 * (the proofs' store makes the same choice).
 */
#include "daemon/chain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>

#include <sqlite3.h>

#include "daemon/log.h"
#include "proto/chain_wire.h"
#include "refclock/refclock.h"
#include "util/hex.h"

struct bftd_chain {
	sqlite3 *db;
	sqlite3_stmt *put;
	bftd_chain_stats st;
};

static const char schema[] = "PRAGMA journal_mode=WAL;"
                             "PRAGMA synchronous=NORMAL;"
                             "CREATE TABLE IF NOT EXISTS chain_blocks("
                             " hash BLOB PRIMARY KEY, height INTEGER NOT NULL, bytes BLOB NOT NULL) WITHOUT ROWID;"
                             "CREATE INDEX IF NOT EXISTS chain_blocks_height ON chain_blocks(height);";

int bftd_chain_open(bftd_chain **out, const char *path, char *err, size_t errlen)
{
	*out = NULL;
	bftd_chain *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	char *msg = NULL;
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT OR IGNORE INTO chain_blocks(hash, height, bytes) VALUES(?1, ?2, ?3)", -1,
	                       &c->put, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "chain store %s: %s", path, msg ? msg : c->db ? sqlite3_errmsg(c->db) : "cannot open");
		sqlite3_free(msg);
		bftd_chain_close(c);
		return BFT_EINVAL;
	}
	*out = c;
	return 0;
}

void bftd_chain_close(bftd_chain *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->put);
	sqlite3_close(c->db);
	free(c);
}

int bftd_chain_put(bftd_chain *c, const uint8_t *blob, size_t len)
{
	if (!c)
		return 0;
	bft_block *b = malloc(sizeof *b);
	uint8_t hash[BFT_BLOCK_HASH];
	int rc = BFT_EINVAL;
	if (b && bft_block_decode(b, blob, len) == 0 && bft_block_hash(hash, &b->h) == 0) {
		sqlite3_reset(c->put);
		sqlite3_bind_blob(c->put, 1, hash, sizeof hash, SQLITE_STATIC);
		sqlite3_bind_int64(c->put, 2, (sqlite3_int64)b->h.height);
		sqlite3_bind_blob(c->put, 3, blob, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(c->put) == SQLITE_DONE ? 0 : BFT_EINVAL;
		sqlite3_reset(c->put);
	}
	free(b);
	if (rc)
		c->st.put_failures++;
	else
		c->st.stored++;
	return rc;
}

int bftd_chain_replay(bftd_chain *c, bft_node *n, int64_t raw_ns, size_t *kept, size_t *orphans, size_t *refused,
                      char *err, size_t errlen)
{
	*kept = *orphans = *refused = 0;
	if (!c)
		return 0;
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(c->db, "SELECT bytes FROM chain_blocks ORDER BY height", -1, &q, NULL);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			const void *p = sqlite3_column_blob(q, 0);
			int len = sqlite3_column_bytes(q, 0);
			int r = p && len > 0 ? bft_node_chain_load(n, raw_ns, p, (size_t)len) : BFT_EINVAL;
			if (r == BFT_NK_ORPHAN)
				(*orphans)++;
			else if (r >= 0 && r != BFT_NK_DUP)
				(*kept)++;
			else if (r < 0)
				(*refused)++;
		}
	}
	/* A damaged or unreadable store ends the read early: said, counted,
	 * and the store left as it is (nothing here writes over it). */
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "the store's read stopped after %zu blocks: %s", *kept + *orphans + *refused,
		         sqlite3_errmsg(c->db));
	sqlite3_finalize(q);
	c->st.replayed += *kept + *orphans;
	c->st.replay_refused += *refused;
	if (rc != SQLITE_DONE) {
		c->st.replay_errors++;
		return BFT_EINVAL;
	}
	return 0;
}

void bftd_chain_get_stats(const bftd_chain *c, bftd_chain_stats *out)
{
	if (c)
		*out = c->st;
	else
		memset(out, 0, sizeof *out);
}

/* Unsigned: a difficulty may exceed INT64_MAX (retargets reach UINT64_MAX), once shown negative. */
static void add_u64(json_object *o, const char *k, uint64_t v) { json_object_object_add(o, k, json_object_new_uint64(v)); }
static void add_i64(json_object *o, const char *k, int64_t v) { json_object_object_add(o, k, json_object_new_int64(v)); }

static json_object *hex_json(const uint8_t *p, size_t n)
{
	char h[2 * BFT_BLOCK_HASH + 1];
	bftd_hex(h, p, n);
	return json_object_new_string(h);
}

static json_object *cref_json(const bft_cref *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(bft_cref_kind_name(r->kind)));
	json_object_object_add(o, "id", hex_json(r->id, BFT_CREF_ID));
	return o;
}

/* The work as a decimal string: it is a 128-bit sum. */
static json_object *work_json(bft_nk_work w)
{
	char buf[48], *p = buf + sizeof buf - 1;
	*p = 0;
	do {
		*--p = (char)('0' + (unsigned)(w % 10));
		w /= 10;
	} while (w);
	return json_object_new_string(p);
}

json_object *bftd_chain_json(const bft_node *n, const bftd_chain *c)
{
	bft_node_chain_info *ci = malloc(sizeof *ci);
	if (!ci)
		return NULL;
	if (bft_node_chain_info_get(n, ci) != 0) {
		free(ci);
		return NULL;
	}
	json_object *o = json_object_new_object(), *head = json_object_new_object();
	json_object_object_add(head, "hash", hex_json(ci->tip.hash, BFT_BLOCK_HASH));
	add_u64(head, "height", ci->tip.height);
	add_i64(head, "time_ns", ci->tip.time_ns);
	add_u64(head, "difficulty", ci->tip.difficulty);
	add_u64(head, "next_difficulty", ci->tip.next_difficulty);
	json_object_object_add(head, "work", work_json(ci->tip.work));
	json_object_object_add(o, "head", head);
	json_object_object_add(o, "alarm", json_object_new_boolean(ci->tip.outworked_by_implausible));
	json_object *refs = json_object_new_array();
	for (size_t i = 0; i < ci->n_refs; i++) {
		json_object *r = json_object_new_object();
		json_object_object_add(r, "ref", cref_json(&ci->refs[i].ref));
		json_object_object_add(r, "consensus", json_object_new_boolean(ci->refs[i].have));
		if (ci->refs[i].have) {
			const bft_nk_correction *k = &ci->refs[i].c;
			add_u64(r, "n", k->n);
			add_u64(r, "f", k->f);
			add_i64(r, "median_ns", k->median_ns);
			add_i64(r, "phase_ns", k->phase_ns);
			add_i64(r, "phase_lo_ns", k->phase_iv.lo_ns);
			add_i64(r, "phase_hi_ns", k->phase_iv.hi_ns);
			add_i64(r, "steer_ppb", k->steer_ppb);
		}
		json_object_array_add(refs, r);
	}
	json_object_object_add(o, "references", refs);
	const bft_nk_stats *s = &ci->stats;
	json_object *forks = json_object_new_object();
	add_u64(forks, "accepted", s->accepted);
	add_u64(forks, "best_changes", s->best_changes);
	add_u64(forks, "reorgs", s->reorgs);
	add_u64(forks, "max_reorg_depth", s->max_reorg_depth);
	add_u64(forks, "headers_taken", s->headers);
	add_u64(forks, "joined_below_tree", s->reseated);
	add_u64(forks, "side_blocks", s->accepted > ci->tip.height ? s->accepted - ci->tip.height : 0);
	json_object_object_add(o, "forks", forks);
	json_object *orph = json_object_new_object();
	add_u64(orph, "held", s->orphans_held);
	add_u64(orph, "adopted", s->orphans_adopted);
	add_u64(orph, "expired", s->orphans_expired);
	add_u64(orph, "dropped", s->orphans_dropped);
	json_object_object_add(o, "orphans", orph);
	json_object *rej = json_object_new_object();
	for (int q = 1; q < BFT_NK_NREASONS; q++)
		add_u64(rej, bft_nk_reason_key(-q), s->rejected[q]);
	json_object_object_add(o, "rejected", rej);
	json_object *m = json_object_new_object();
	add_u64(m, "mined", ci->mined);
	add_u64(m, "hashes", ci->hashes);
	add_u64(m, "statements_made", ci->stmts_made);
	add_u64(m, "statements_received", ci->stmts_rx);
	add_u64(m, "statements_refused", ci->stmts_bad);
	add_u64(m, "statements_relayed", ci->stmts_relayed);
	add_u64(m, "statements_not_sent_queue_full", ci->stmts_q_full);
	add_u64(m, "fragments_received", ci->frags_rx);
	add_u64(m, "fragments_refused", ci->frags_bad);
	add_u64(m, "blocks_reassembled", ci->blocks_rx);
	add_u64(m, "blocks_malformed", ci->blocks_bad);
	add_u64(m, "reassemblies_evicted", ci->rx_evicted);
	add_u64(m, "parent_requests_sent", ci->getblocks_tx);
	add_u64(m, "parent_requests_answered", ci->getblocks_rx);
	add_u64(m, "announcements_sent", ci->announces_tx);
	add_u64(m, "announcements_received", ci->announces_rx);
	add_u64(m, "steered_fusions", ci->steered);
	add_u64(m, "alarmed_fusions", ci->alarms);
	add_u64(m, "unverifiable_statements", s->unverifiable);
	add_u64(m, "blocks_dropped_on_recheck", s->rechecked_out);
	json_object_object_add(o, "node", m);
	bftd_chain_stats cs;
	bftd_chain_get_stats(c, &cs);
	json_object *st = json_object_new_object();
	json_object_object_add(st, "enabled", json_object_new_boolean(c != NULL));
	add_u64(st, "stored", cs.stored);
	add_u64(st, "failures", cs.put_failures);
	add_u64(st, "replayed", cs.replayed);
	add_u64(st, "replay_refused", cs.replay_refused);
	add_u64(st, "replay_errors", cs.replay_errors);
	json_object_object_add(o, "store", st);
	free(ci);
	return o;
}

void bftd_chain_metrics(const bft_node *n, void (*line)(void *ctx, const char *text), void *ctx)
{
	bft_node_chain_info *ci = malloc(sizeof *ci);
	if (!ci)
		return;
	if (bft_node_chain_info_get(n, ci) != 0) {
		free(ci);
		return;
	}
	char b[256];
	snprintf(b, sizeof b, "# HELP bftime_chain_height height of the best chain\n# TYPE bftime_chain_height gauge\n"
	                      "bftime_chain_height %" PRIu64 "\n", ci->tip.height);
	line(ctx, b);
	snprintf(b, sizeof b, "# HELP bftime_chain_alarm 1 when a chain this node finds implausible has more work\n"
	                      "# TYPE bftime_chain_alarm gauge\nbftime_chain_alarm %d\n", ci->tip.outworked_by_implausible);
	line(ctx, b);
	snprintf(b, sizeof b, "# HELP bftime_chain_reorgs_total best-tip changes that left the old tip's chain\n"
	                      "# TYPE bftime_chain_reorgs_total counter\nbftime_chain_reorgs_total %" PRIu64 "\n",
	         ci->stats.reorgs);
	line(ctx, b);
	snprintf(b, sizeof b, "# HELP bftime_chain_mined_total blocks this node found\n"
	                      "# TYPE bftime_chain_mined_total counter\nbftime_chain_mined_total %" PRIu64 "\n", ci->mined);
	line(ctx, b);
	line(ctx, "# HELP bftime_chain_rejected_total blocks refused, by reason\n# TYPE bftime_chain_rejected_total counter\n");
	for (int q = 1; q < BFT_NK_NREASONS; q++) {
		snprintf(b, sizeof b, "bftime_chain_rejected_total{reason=\"%s\"} %" PRIu64 "\n", bft_nk_reason_key(-q),
		         ci->stats.rejected[q]);
		line(ctx, b);
	}
	free(ci);
}

/* An NTP server's address as a statement's identity: 16 bytes of IPv6, IPv4
 * mapped (::ffff:a.b.c.d). server is "host", "host:port", "[v6]:port" or a
 * bare IPv6 address, as the ntp driver reads it. 0, or -1 if it does not
 * resolve. */
static int ntp_identity(const char *server, uint8_t id[BFT_CREF_ID])
{
	char host[256];
	const char *colon = strchr(server, ':');
	if (server[0] == '[') {
		const char *end = strchr(server, ']');
		if (!end || (size_t)(end - server - 1) >= sizeof host)
			return -1;
		memcpy(host, server + 1, (size_t)(end - server - 1));
		host[end - server - 1] = 0;
	} else if (colon && colon == strrchr(server, ':')) { /* exactly one colon: host:port */
		if ((size_t)(colon - server) >= sizeof host)
			return -1;
		memcpy(host, server, (size_t)(colon - server));
		host[colon - server] = 0;
	} else if (snprintf(host, sizeof host, "%s", server) >= (int)sizeof host) {
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST }, *res = NULL;
	int g = getaddrinfo(host, NULL, &hints, &res);
	if (g == EAI_NONAME) {
		hints.ai_flags = 0;
		g = getaddrinfo(host, NULL, &hints, &res);
	}
	if (g != 0 || !res)
		return -1;
	int rc = -1;
	memset(id, 0, BFT_CREF_ID);
	if (res->ai_family == AF_INET6) {
		memcpy(id, &((const struct sockaddr_in6 *)(const void *)res->ai_addr)->sin6_addr, 16);
		rc = 0;
	} else if (res->ai_family == AF_INET) {
		id[10] = id[11] = 0xff;
		memcpy(id + 12, &((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr, 4);
		rc = 0;
	}
	freeaddrinfo(res);
	return rc;
}

void bftd_chain_refs(const bftd_ref *refs, size_t n, bft_cref *out)
{
	for (size_t i = 0; i < n; i++) {
		bft_cref *r = &out[i];
		memset(r, 0, sizeof *r);
		switch (refs[i].kind) {
		case BFTD_REF_NMEA:
		case BFTD_REF_GPSD:
			r->kind = BFT_CREF_GNSS;
			r->id[0] = BFT_GNSS_GPS;
			break;
		case BFTD_REF_NTP:
			if (ntp_identity(refs[i].server, r->id) == 0) {
				r->kind = BFT_CREF_NTP;
				break;
			}
			bftd_log(LOG_WARNING, "reference %s: server '%s' did not resolve at start: its chain statements name "
			                      "'simulated %zu' and match only nodes configured alike", refs[i].name, refs[i].server,
			         i + 1);
			break;
		case BFTD_REF_SOLAR:
			(void)bft_cref_solar(r, (int64_t)refs[i].solar.centre_hz);
			break;
		default:
			break;
		}
		if (!r->kind || !bft_cref_valid(r)) { /* simulated, system, or unresolved: "simulated i + 1" */
			memset(r, 0, sizeof *r);
			r->kind = BFT_CREF_SIM;
			r->id[0] = (uint8_t)((i + 1) >> 24);
			r->id[1] = (uint8_t)((i + 1) >> 16);
			r->id[2] = (uint8_t)((i + 1) >> 8);
			r->id[3] = (uint8_t)(i + 1);
		}
	}
}
