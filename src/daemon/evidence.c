/* SPDX-License-Identifier: MIT */
/*
 * Equivocation evidence in the daemon (evidence.h). Why the key, not the
 * node id, is what becomes faulty: the evidence proves that whoever holds
 * that key signed two histories; the node's operator can recover only by
 * making a new key, and a node id pinned to a new key starts clean. Why the
 * evidence is kept in memory as well as in the store: it is consulted for
 * every datagram and every proof submitted, and it is bounded (one piece
 * per pinned key).
 */
#include "daemon/evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/keys.h"
#include "daemon/log.h"
#include "proto/wire.h"

struct piece {
	uint32_t node_id;
	uint8_t pub[BFT_PROOF_KEY];
	uint8_t kind;
	uint64_t seq_a, seq_b;
	uint8_t id[BFT_PROOF_HASH];
	uint8_t *bytes; /* its own allocation: v2 evidence reaches 100 kB, v1 is 483 bytes */
	size_t len;
};

struct bftd_evidence {
	const bftd_config *cfg;
	const uint8_t *self_pub;
	const uint8_t *self_slh; /* this node's own SLH-DSA public key (bftd_evidence_set_self_slh), or NULL */
	size_t self_slh_len;
	struct piece *p;
	size_t n, cap; /* cap: the pinned keys */
	bftd_evidence_stats stats;
};

int bftd_evidence_create(bftd_evidence **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY])
{
	bftd_evidence *ev = calloc(1, sizeof *ev);
	if (!ev)
		return BFT_ENOMEM;
	ev->cfg = cfg;
	ev->self_pub = self_pub;
	ev->cap = cfg->n_peers + 1;
	if (!(ev->p = calloc(ev->cap, sizeof *ev->p))) {
		free(ev);
		return BFT_ENOMEM;
	}
	*out = ev;
	return 0;
}

void bftd_evidence_destroy(bftd_evidence *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->n; i++)
		free(ev->p[i].bytes);
	free(ev->p);
	free(ev);
}

/* The key pinned for node_id: this node's or a configured peer's. */
static const uint8_t *pinned(const bftd_evidence *ev, uint32_t node_id)
{
	if (node_id == ev->cfg->id)
		return ev->self_pub;
	for (size_t i = 0; i < ev->cfg->n_peers; i++)
		if (ev->cfg->peers[i].id == node_id)
			return ev->cfg->peers[i].pubkey;
	return NULL;
}

void bftd_evidence_set_self_slh(bftd_evidence *ev, const uint8_t *pk, size_t len)
{
	if (!ev)
		return;
	ev->self_slh = len ? pk : NULL;
	ev->self_slh_len = pk ? len : 0;
}

bool bftd_evidence_key_faulty(const bftd_evidence *ev, const uint8_t pub[BFT_PROOF_KEY])
{
	for (size_t i = 0; ev && i < ev->n; i++)
		if (memcmp(ev->p[i].pub, pub, BFT_PROOF_KEY) == 0)
			return true;
	return false;
}

bool bftd_evidence_node_faulty(const bftd_evidence *ev, uint32_t node_id)
{
	const uint8_t *k = ev ? pinned(ev, node_id) : NULL;
	return k && bftd_evidence_key_faulty(ev, k);
}

bool bftd_evidence_self_faulty(const bftd_evidence *ev) { return ev && bftd_evidence_key_faulty(ev, ev->self_pub); }

/* Keep a checked piece in memory (not yet held for its key). */
static void keep(bftd_evidence *ev, const bft_evidence *e, const uint8_t *buf, size_t len)
{
	uint8_t *copy;
	if (ev->n == ev->cap || bftd_evidence_key_faulty(ev, e->a.pub) || !(copy = malloc(len)))
		return;
	struct piece *p = &ev->p[ev->n++];
	p->bytes = copy;
	p->node_id = e->a.node_id;
	memcpy(p->pub, e->a.pub, BFT_PROOF_KEY);
	p->kind = e->kind;
	p->seq_a = e->a.seq;
	p->seq_b = e->b.seq;
	memcpy(p->bytes, buf, len);
	p->len = len;
	if (bft_sha3_256(p->id, buf, len) != 0)
		memset(p->id, 0, sizeof p->id);
	bool self = memcmp(p->pub, ev->self_pub, BFT_PROOF_KEY) == 0;
	if (self)
		bftd_log(LOG_ERR,
		         "ALARM: this node's own key signed two histories (%s at seq %llu/%llu; GET /v1/evidence): it is "
		         "stolen, or a second machine runs with it. No more proofs are issued with it. Stop the other "
		         "machine, make a new key (bftime keygen) and pin its public key at every peer",
		         bft_evidence_kind_name(p->kind), (unsigned long long)p->seq_a, (unsigned long long)p->seq_b);
	else
		bftd_log(LOG_WARNING,
		         "ALARM: node %u's key signed two histories (%s at seq %llu/%llu; GET /v1/evidence): its proofs are "
		         "refused and its exchanges no longer used until a new key is pinned for it",
		         p->node_id, bft_evidence_kind_name(p->kind), (unsigned long long)p->seq_a,
		         (unsigned long long)p->seq_b);
}

/* Full check: the format, both signatures, and a key pinned here for the
 * node the proofs name. */
static enum bftd_ev_result check(const bftd_evidence *ev, const uint8_t *buf, size_t len, bft_evidence *e,
                                 int *reason)
{
	int rc = bft_evidence_decode(e, buf, len);
	if (rc == BFT_EV_OK) {
		/* A peer's pinned SLH-DSA key: its pure SLH-DSA v2 proofs verify
		 * only under it (proof_v2.h). */
		const uint8_t *slh = NULL;
		size_t slh_len = 0;
		if (e->a.node_id == ev->cfg->id) /* our own key's evidence (found by review: refused before) */
			slh = ev->self_slh, slh_len = ev->self_slh_len;
		for (size_t i = 0; i < ev->cfg->n_peers; i++)
			if (ev->cfg->peers[i].id == e->a.node_id && ev->cfg->peers[i].slh_pk_len) {
				slh = ev->cfg->peers[i].slh_pk;
				slh_len = ev->cfg->peers[i].slh_pk_len;
			}
		rc = bft_evidence_verify_pinned(e, slh, slh_len);
	}
	*reason = rc;
	if (rc != BFT_EV_OK)
		return BFTD_EV_INVALID;
	const uint8_t *k = pinned(ev, e->a.node_id);
	if (!k || memcmp(k, e->a.pub, BFT_PROOF_KEY) != 0)
		return BFTD_EV_UNKNOWN_KEY;
	return bftd_evidence_key_faulty(ev, e->a.pub) ? BFTD_EV_DUP : BFTD_EV_NEW;
}

struct load_ctx {
	bftd_evidence *ev;
};

static int load_one(void *ctx, const uint8_t *buf, size_t len)
{
	bftd_evidence *ev = ((struct load_ctx *)ctx)->ev;
	bft_evidence e;
	int reason;
	enum bftd_ev_result r = check(ev, buf, len, &e, &reason);
	if (r == BFTD_EV_NEW)
		keep(ev, &e, buf, len);
	else if (r == BFTD_EV_INVALID)
		ev->stats.stored_damaged++; /* changed on disk: not trusted, not served */
	/* UNKNOWN_KEY: a key no longer pinned (rotated away): kept on disk, inert */
	return 0;
}

int bftd_evidence_load(bftd_evidence *ev, bft_store *st)
{
	/* Adds to what is held: a store reopened after a failure may have lost
	 * a row that this node still knows (keep() skips keys already held). */
	struct load_ctx c = { ev };
	int rc = bft_store_evidence_all(st, load_one, &c);
	return rc < 0 ? rc : 0;
}

/* Store a checked piece, then hold it. */
static enum bftd_ev_result hold(bftd_evidence *ev, bft_store *st, const bft_evidence *e, const uint8_t *buf,
                                size_t len)
{
	int rc = bft_store_evidence_put(st, e->a.pub, e->a.node_id, buf, len);
	if (rc < 0) {
		bftd_log(LOG_WARNING, "evidence against node %u not stored: %s", e->a.node_id, bft_store_errmsg(st));
		return BFTD_EV_IO;
	}
	keep(ev, e, buf, len);
	return BFTD_EV_NEW;
}

bool bftd_evidence_on_conflict(bftd_evidence *ev, bft_store *st, const uint8_t *buf, size_t len)
{
	bft_proof p;
	if (!ev || !st || bft_proof_decode(&p, buf, len) != 0 || bftd_evidence_key_faulty(ev, p.pub))
		return false;
	/* The stored proofs it may conflict with: the same seq (a fork), its
	 * predecessor and its successor (two chains). */
	uint64_t seqs[3] = { p.seq, p.seq - 1, p.seq + 1 };
	/* Version-2 proofs and their evidence are large (up to 50 and 100 kB). */
	uint8_t *other = malloc(BFT_PROOF_MAX), *eb = malloc(BFT_EVIDENCE_MAX);
	bool made = false;
	for (int i = 0; other && eb && i < 3; i++) {
		if ((i == 1 && p.seq == 0) || seqs[i] > BFT_PROOF_SEQ_MAX)
			continue;
		int ol = bft_store_get(st, p.node_id, seqs[i], other, BFT_PROOF_MAX);
		bft_proof q;
		bft_evidence e;
		int reason, el;
		if (ol <= 0 || bft_proof_decode(&q, other, (size_t)ol) != 0 || bft_evidence_make(&e, &p, &q) != BFT_EV_OK ||
		    (el = bft_evidence_encode(eb, BFT_EVIDENCE_MAX, &e)) < 0)
			continue;
		/* Both signatures are checked again (the store checked the new
		 * one, and the stored one when it was stored), and the key must
		 * be pinned: evidence is only ever made of what verifies. */
		if (check(ev, eb, (size_t)el, &e, &reason) != BFTD_EV_NEW)
			continue;
		if (hold(ev, st, &e, eb, (size_t)el) == BFTD_EV_NEW) {
			ev->stats.created++;
			made = true;
		}
		break;
	}
	free(other);
	free(eb);
	return made;
}

enum bftd_ev_result bftd_evidence_submit(bftd_evidence *ev, bft_store *st, const uint8_t *buf, size_t len,
                                         int *reason)
{
	bft_evidence e;
	int why = BFT_EV_OK;
	enum bftd_ev_result r = check(ev, buf, len, &e, &why);
	if (r == BFTD_EV_NEW)
		r = hold(ev, st, &e, buf, len);
	ev->stats.by_result[r]++;
	if (r == BFTD_EV_INVALID && why > 0 && why < BFT_EV_ERRORS)
		ev->stats.invalid[why]++;
	if (reason)
		*reason = why;
	return r;
}

void bftd_evidence_note_refused(bftd_evidence *ev)
{
	if (ev)
		ev->stats.proofs_refused++;
}

bool bftd_evidence_drop_datagram(bftd_evidence *ev, const uint8_t *buf, size_t len)
{
	if (!ev || ev->n == 0)
		return false;
	bft_msg m;
	size_t sl;
	if (bft_wire_decode(&m, &sl, buf, len) != 0 || m.from == ev->cfg->id || !bftd_evidence_node_faulty(ev, m.from))
		return false;
	ev->stats.datagrams_dropped++;
	return true;
}

size_t bftd_evidence_count(const bftd_evidence *ev) { return ev ? ev->n : 0; }

int bftd_evidence_bytes(const bftd_evidence *ev, size_t i, uint8_t *buf, size_t cap)
{
	if (!ev || i >= ev->n || cap < ev->p[i].len)
		return BFT_ERANGE;
	memcpy(buf, ev->p[i].bytes, ev->p[i].len);
	return (int)ev->p[i].len;
}

const bftd_evidence_stats *bftd_evidence_get_stats(const bftd_evidence *ev) { return &ev->stats; }

const char *bftd_evidence_result_name(enum bftd_ev_result r)
{
	switch (r) {
	case BFTD_EV_NEW: return "new";
	case BFTD_EV_DUP: return "duplicate";
	case BFTD_EV_INVALID: return "invalid";
	case BFTD_EV_UNKNOWN_KEY: return "unknown_key";
	case BFTD_EV_IO: return "io_error";
	case BFTD_EV_RESULTS: break;
	}
	return "?";
}

/* ---- the API ------------------------------------------------------------ */

static void reply(bftd_http_response *resp, unsigned status, json_object *o)
{
	bftd_http_reply_json(resp, status, o);
}

static void add_hex(json_object *o, const char *k, const uint8_t *b, size_t n)
{
	char *h = malloc(2 * n + 1);
	if (!h)
		return;
	bftd_hex(h, b, n);
	json_object_object_add(o, k, json_object_new_string(h));
	free(h);
}

static json_object *piece_json(const struct piece *p)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_int64(p->node_id));
	add_hex(o, "public_key", p->pub, BFT_PROOF_KEY);
	json_object_object_add(o, "kind", json_object_new_string(bft_evidence_kind_name(p->kind)));
	json_object *s = json_object_new_array();
	json_object_array_add(s, json_object_new_int64((int64_t)p->seq_a));
	json_object_array_add(s, json_object_new_int64((int64_t)p->seq_b));
	json_object_object_add(o, "seqs", s);
	add_hex(o, "id", p->id, sizeof p->id);
	add_hex(o, "bytes", p->bytes, p->len);
	return o;
}

void bftd_evidence_api_get(bftd_evidence *ev, bft_store *st, bftd_http_response *resp)
{
	if (!ev || !st) {
		bftd_http_error(resp, 503, "no_store", "this node has no proof store configured");
		return;
	}
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_add(o, "node", json_object_new_int64(ev->cfg->id));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)ev->n));
	for (size_t i = 0; i < ev->n; i++)
		json_object_array_add(arr, piece_json(&ev->p[i]));
	json_object_object_add(o, "evidence", arr);
	reply(resp, 200, o);
}

void bftd_evidence_api_post(bftd_evidence *ev, bft_store *st, const bftd_http_request *req,
                            bftd_http_response *resp)
{
	if (!ev || !st) {
		bftd_http_error(resp, 503, "no_store", "this node has no proof store configured");
		return;
	}
	static uint8_t bufs[BFTD_EVIDENCE_MAX_POST][BFT_EVIDENCE_MAX]; /* single-threaded loop */
	size_t lens[BFTD_EVIDENCE_MAX_POST], n = 0;
	char err[200];
	if (bftd_evidence_parse_body((const char *)req->body, req->body_len, bufs, lens, BFTD_EVIDENCE_MAX_POST, &n, err,
	                             sizeof err) != 0) {
		ev->stats.by_result[BFTD_EV_INVALID]++;
		ev->stats.invalid[BFT_EV_BAD_ENCODING]++;
		bftd_http_error(resp, 400, "bad_request", err);
		return;
	}
	json_object *arr = json_object_new_array();
	unsigned status = 200;
	for (size_t i = 0; i < n; i++) {
		int why = BFT_EV_OK;
		enum bftd_ev_result r = bftd_evidence_submit(ev, st, bufs[i], lens[i], &why);
		json_object *ro = json_object_new_object();
		json_object_object_add(ro, "result", json_object_new_string(bftd_evidence_result_name(r)));
		unsigned s = 200;
		if (r == BFTD_EV_INVALID) {
			json_object_object_add(ro, "reason", json_object_new_string(bft_evidence_error_name(why)));
			json_object_object_add(ro, "message", json_object_new_string(bft_evidence_error_text(why)));
			s = why == BFT_EV_BAD_ENCODING ? 400 : 422;
		} else if (r == BFTD_EV_UNKNOWN_KEY) {
			json_object_object_add(ro, "message",
			                       json_object_new_string("valid, but not about a key this node pins: ignored"));
			s = 422;
		} else if (r == BFTD_EV_IO) {
			s = 503;
		}
		json_object_array_add(arr, ro);
		if (s != 200 && status == 200)
			status = s;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "results", arr);
	if (status != 200) { /* the API's error shape too (docs/api.md), beside the results */
		json_object_object_add(o, "error", json_object_new_string("rejected"));
		json_object_object_add(o, "message", json_object_new_string("evidence refused; each piece's result is in results"));
		json_object_object_add(o, "status", json_object_new_int((int)status));
	}
	reply(resp, status, o);
}

void bftd_evidence_status_json(const bftd_evidence *ev, json_object *o)
{
	if (!ev)
		return;
	json_object *e = json_object_new_object(), *f = json_object_new_array();
	json_object_object_add(e, "held", json_object_new_int64((int64_t)ev->n));
	for (size_t i = 0; i < ev->n; i++)
		if (pinned(ev, ev->p[i].node_id))
			json_object_array_add(f, json_object_new_int64(ev->p[i].node_id));
	json_object_object_add(e, "faulty_nodes", f);
	bool self = bftd_evidence_self_faulty(ev);
	json_object_object_add(e, "own_key_faulty", json_object_new_boolean(self));
	if (self)
		json_object_object_add(e, "advice",
		                       json_object_new_string("this node's key signed two histories: it is stolen or "
		                                              "in use on a second machine. Stop that machine, make a "
		                                              "new key (bftime keygen) and pin it at every peer"));
	const bftd_evidence_stats *s = &ev->stats;
	json_object_object_add(e, "created", json_object_new_int64((int64_t)s->created));
	json_object_object_add(e, "received", json_object_new_int64((int64_t)s->by_result[BFTD_EV_NEW]));
	json_object_object_add(e, "duplicate", json_object_new_int64((int64_t)s->by_result[BFTD_EV_DUP]));
	json_object_object_add(e, "invalid", json_object_new_int64((int64_t)s->by_result[BFTD_EV_INVALID]));
	json_object_object_add(e, "unknown_key", json_object_new_int64((int64_t)s->by_result[BFTD_EV_UNKNOWN_KEY]));
	json_object_object_add(e, "proofs_refused", json_object_new_int64((int64_t)s->proofs_refused));
	json_object_object_add(e, "datagrams_dropped", json_object_new_int64((int64_t)s->datagrams_dropped));
	json_object_object_add(o, "evidence", e);
}

void bftd_evidence_peer_json(const bftd_evidence *ev, uint32_t peer_id, json_object *po)
{
	if (bftd_evidence_node_faulty(ev, peer_id))
		json_object_object_add(po, "faulty", json_object_new_string("equivocation"));
}

void bftd_evidence_metrics(const bftd_evidence *ev, void (*put)(void *ctx, const char *line), void *ctx)
{
	if (!ev)
		return;
	char l[200];
	const bftd_evidence_stats *s = &ev->stats;
	put(ctx, "# HELP bftime_evidence_total equivocation evidence: made here, and offered by result\n"
	         "# TYPE bftime_evidence_total counter\n");
	snprintf(l, sizeof l, "bftime_evidence_total{result=\"created\"} %llu\n", (unsigned long long)s->created);
	put(ctx, l);
	for (int r = 0; r < BFTD_EV_RESULTS; r++) {
		snprintf(l, sizeof l, "bftime_evidence_total{result=\"%s\"} %llu\n",
		         bftd_evidence_result_name((enum bftd_ev_result)r), (unsigned long long)s->by_result[r]);
		put(ctx, l);
	}
	put(ctx, "# HELP bftime_evidence_invalid_total evidence refused, by reason\n"
	         "# TYPE bftime_evidence_invalid_total counter\n");
	for (int r = 1; r < BFT_EV_ERRORS; r++) {
		snprintf(l, sizeof l, "bftime_evidence_invalid_total{reason=\"%s\"} %llu\n", bft_evidence_error_name(r),
		         (unsigned long long)s->invalid[r]);
		put(ctx, l);
	}
	snprintf(l, sizeof l,
	         "# HELP bftime_evidence_held pieces of evidence held (one per faulty key)\n"
	         "# TYPE bftime_evidence_held gauge\nbftime_evidence_held %zu\n",
	         ev->n);
	put(ctx, l);
	put(ctx, "# HELP bftime_key_faulty 1 when the key pinned for a node signed two histories\n"
	         "# TYPE bftime_key_faulty gauge\n");
	snprintf(l, sizeof l, "bftime_key_faulty{node=\"%u\"} %d\n", ev->cfg->id, bftd_evidence_self_faulty(ev));
	put(ctx, l);
	for (size_t i = 0; i < ev->cfg->n_peers; i++) {
		snprintf(l, sizeof l, "bftime_key_faulty{node=\"%u\"} %d\n", ev->cfg->peers[i].id,
		         bftd_evidence_node_faulty(ev, ev->cfg->peers[i].id));
		put(ctx, l);
	}
	snprintf(l, sizeof l,
	         "# HELP bftime_faulty_key_proofs_refused_total proofs refused because their key is faulty\n"
	         "# TYPE bftime_faulty_key_proofs_refused_total counter\nbftime_faulty_key_proofs_refused_total %llu\n",
	         (unsigned long long)s->proofs_refused);
	put(ctx, l);
	snprintf(l, sizeof l,
	         "# HELP bftime_faulty_key_datagrams_dropped_total datagrams of a faulty peer dropped\n"
	         "# TYPE bftime_faulty_key_datagrams_dropped_total counter\n"
	         "bftime_faulty_key_datagrams_dropped_total %llu\n",
	         (unsigned long long)s->datagrams_dropped);
	put(ctx, l);
}

/* ---- the body parser ---------------------------------------------------- */

static bool take(json_object *h, uint8_t *out, size_t *len)
{
	if (!json_object_is_type(h, json_type_string))
		return false;
	size_t hl = (size_t)json_object_get_string_len(h);
	if (hl % 2 || hl == 0 || hl / 2 > BFT_EVIDENCE_MAX || bftd_unhex(out, json_object_get_string(h), hl / 2) != hl)
		return false;
	*len = hl / 2;
	return true;
}

int bftd_evidence_parse_body(const char *body, size_t len, uint8_t (*out)[BFT_EVIDENCE_MAX], size_t *lens,
                             size_t cap, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	if (!body || len == 0 || len > BFTD_HTTP_MAX_BODY || memchr(body, 0, len)) {
		snprintf(err, errlen, "the body must be JSON: {\"evidence\": HEX} or {\"evidence\": [HEX, ...]}");
		return BFT_EINVAL;
	}
	json_tokener *tok = json_tokener_new_ex(4);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return BFT_EINVAL;
	}
	json_object *o = json_tokener_parse_ex(tok, body, (int)len), *v = NULL;
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success && json_object_is_type(o, json_type_object);
	for (size_t i = ok ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (body[i] != ' ' && body[i] != '\n' && body[i] != '\r' && body[i] != '\t')
			ok = false;
	json_tokener_free(tok);
	int rc = 0;
	if (!ok || !json_object_object_get_ex(o, "evidence", &v)) {
		snprintf(err, errlen, "the body must be JSON: {\"evidence\": HEX} or {\"evidence\": [HEX, ...]}");
		rc = BFT_EINVAL;
	} else if (json_object_is_type(v, json_type_array)) {
		size_t k = json_object_array_length(v);
		if (k == 0 || k > cap) {
			snprintf(err, errlen, "\"evidence\": 1 to %zu pieces per request, not %zu", cap, k);
			rc = BFT_EINVAL;
		}
		for (size_t i = 0; rc == 0 && i < k; i++)
			if (!take(json_object_array_get_idx(v, i), out[i], &lens[i])) {
				snprintf(err, errlen, "\"evidence\"[%zu]: not the hex of at most %d bytes", i, BFT_EVIDENCE_MAX);
				rc = BFT_EINVAL;
			}
		if (rc == 0)
			*n = k;
	} else if (cap > 0 && take(v, out[0], &lens[0])) {
		*n = 1;
	} else {
		snprintf(err, errlen, "\"evidence\": not the hex of at most %d bytes", BFT_EVIDENCE_MAX);
		rc = BFT_EINVAL;
	}
	json_object_put(o);
	return rc;
}
