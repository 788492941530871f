/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader (config.h). libyaml builds the document tree;
 * this file walks it with a fixed schema. Every value is checked where it is
 * read, with the node's line and column, so the message points at the
 * mistake. The walk only follows keys of the schema, whose depth is fixed,
 * so YAML aliases (even self-referencing ones) cannot make it loop, and
 * collections are capped in size, so no input makes it slow.
 */
#include "daemon/config.h"
#include "daemon/keys.h"
#include "daemon/testkit.h"
#include "proto/p256.h"
#include "refclock/refclock.h"
#include "util/value.h"
#include "util/yamlkit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <yaml.h>

#include <bftime/common.h>

#define MAX_MAP_KEYS 64

struct ctx {
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
	/* Keys the cross-field checks (validate) point at, so that their
	 * messages name the line at fault, not the top of the file. */
	const yaml_node_t *f_key;
	const yaml_node_t *engine_key;  /* consensus.engine */
	bool genesis_time_set;          /* consensus.nakamoto.genesis_time given */
	const yaml_node_t *peer_id_key[BFTD_MAX_PEERS], *peer_addr_key[BFTD_MAX_PEERS];
	const yaml_node_t *dir_item[BFTD_MAX_DIRECTORY];
	bool any_build; /* BFTD_CONFIG_ANY_BUILD: what only the test kit runs is read, not refused */
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	int k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, n ? n->start_mark.line + 1 : 1,
	                 n ? n->start_mark.column + 1 : 1);
	if (k >= 0 && (size_t)k < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return BFT_EINVAL;
}

/* ---- scalars ------------------------------------------------------------ */

static const char *scalar(const yaml_node_t *n) { return bft_yaml_scalar(n); }

/* The value readers (src/util/value.h), their sentence placed at node n. */
#define VALUE(c, n, call)                                    \
	do {                                                 \
		char e_[256];                                \
		if ((call) != 0)                             \
			return fail(c, n, "%s", e_);         \
		return 0;                                    \
	} while (0)

static int get_str(struct ctx *c, const yaml_node_t *n, char *buf, size_t cap)
{
	VALUE(c, n, bft_value_str(scalar(n), buf, cap, e_, sizeof e_));
}

static int get_int(struct ctx *c, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
	VALUE(c, n, bft_value_int(scalar(n), min, max, out, e_, sizeof e_));
}

static int get_fixed(struct ctx *c, const yaml_node_t *n, int frac, int64_t min, int64_t max, int64_t *out)
{
	VALUE(c, n, bft_value_fixed(scalar(n), frac, min, max, out, e_, sizeof e_));
}

static int get_duration(struct ctx *c, const yaml_node_t *n, int64_t min, int64_t max, int64_t *out)
{
	VALUE(c, n, bft_value_duration(scalar(n), min, max, out, e_, sizeof e_));
}

static int get_bool(struct ctx *c, const yaml_node_t *n, bool *out)
{
	VALUE(c, n, bft_value_bool(scalar(n), out, e_, sizeof e_));
}

static int get_enum(struct ctx *c, const yaml_node_t *n, const char *const *names, int *out)
{
	VALUE(c, n, bft_value_enum(scalar(n), names, out, e_, sizeof e_));
}

static int get_key32(struct ctx *c, const yaml_node_t *n, uint8_t out[32])
{
	const char *s = scalar(n);
	if (!s || strlen(s) != 64)
		return fail(c, n, "expected a public key of 64 hex digits (bftime keygen prints it)");
	size_t ok = bftd_unhex(out, s, 32);
	if (ok != 64)
		return fail(c, n, "public key: not a hex digit at position %zu", ok + 1);
	return 0;
}

/* A peer's public_key: Ed25519's 64 hex digits, or an ECDSA P-256 point
 * (a secure element's key: 130 hex digits, 04 || x || y, as bftime keygen
 * --pkcs11 URI --p256 prints it), pinned by its key id (p256.h). */
static int get_peer_key(struct ctx *c, const yaml_node_t *n, bftd_peer *p)
{
	const char *s = scalar(n);
	if (!s || strlen(s) != 2 * BFT_P256_PUB)
		return get_key32(c, n, p->pubkey);
	size_t ok = bftd_unhex(p->p256_pub, s, BFT_P256_PUB);
	if (ok != 2 * BFT_P256_PUB)
		return fail(c, n, "public key: not a hex digit at position %zu", ok + 1);
	if (bft_p256_key_id(p->pubkey, p->p256_pub) != 0)
		return fail(c, n, "public key: 130 hex digits but not an ECDSA P-256 point (04 || x || y on the curve)");
	p->p256 = true;
	return 0;
}

int bftd_addr_parse(bftd_addr *out, const char *text)
{
	memset(out, 0, sizeof *out);
	if (strlen(text) >= sizeof out->text)
		return BFT_EINVAL;
	char host[64];
	const char *port;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host)
			return BFT_EINVAL;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = 0;
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon || (size_t)(colon - text) >= sizeof host)
			return BFT_EINVAL;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = 0;
		port = colon + 1;
	}
	int64_t p;
	const char *end;
	if (bft_decimal_parse(port, 0, &p, &end) != 0 || *end || p < 1 || p > 65535 || port[0] < '0' || port[0] > '9')
		return BFT_EINVAL;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
	if (text[0] != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		out->len = sizeof *a4;
	} else if (text[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		out->len = sizeof *a6;
	} else {
		return BFT_EINVAL;
	}
	strcpy(out->text, text);
	return 0;
}

static int get_addr(struct ctx *c, const yaml_node_t *n, bftd_addr *out)
{
	const char *s = scalar(n);
	if (!s || bftd_addr_parse(out, s) != 0)
		return fail(c, n, "expected a numeric address and port, such as 127.0.0.1:7301 or [::1]:7301");
	return 0;
}

/* The same address and port, however written (127.0.0.1:7301 and
 * 127.000.000.001 are refused by the parser; [::1] and [0::1] are one). */
static bool same_endpoint(const bftd_addr *a, const bftd_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
	return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
}

/* Whether datagrams to peer address a reach our own socket, bound to
 * listen: a is listen itself, or listen is a wildcard (0.0.0.0, [::]) and a
 * is a loopback address at its port. This machine's other addresses behind
 * a wildcard would take its interfaces, which a config check must not
 * depend on (--check-config may run elsewhere). */
static bool is_own_address(const bftd_addr *a, const bftd_addr *listen)
{
	if (same_endpoint(a, listen))
		return true;
	if (a->ss.ss_family != listen->ss.ss_family)
		return false;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *l = (const struct sockaddr_in *)&listen->ss;
		return x->sin_port == l->sin_port && l->sin_addr.s_addr == htonl(INADDR_ANY) &&
		       (ntohl(x->sin_addr.s_addr) >> 24) == 127;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *l = (const struct sockaddr_in6 *)&listen->ss;
	return x->sin6_port == l->sin6_port && IN6_IS_ADDR_UNSPECIFIED(&l->sin6_addr) &&
	       IN6_IS_ADDR_LOOPBACK(&x->sin6_addr);
}

/* ---- collections -------------------------------------------------------- */

/* Check n is a mapping with scalar, unique keys; *npairs is its size. */
static int mapping(struct ctx *c, const yaml_node_t *n, const char *what, yaml_node_pair_t **pairs, size_t *npairs)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping (key: value lines)", what);
	*pairs = n->data.mapping.pairs.start;
	*npairs = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (*npairs > MAX_MAP_KEYS)
		return fail(c, n, "%s: too many keys", what);
	for (size_t i = 0; i < *npairs; i++) {
		const yaml_node_t *k = yaml_document_get_node(c->doc, (*pairs)[i].key);
		if (!k || !scalar(k))
			return fail(c, k ? k : n, "%s: keys must be plain names", what);
		const yaml_node_t *prev = bft_yaml_dup_key(c->doc, n, i);
		if (prev)
			return fail(c, k, "duplicate key '%s' (first at line %zu)", scalar(k), prev->start_mark.line + 1);
	}
	return 0;
}

/* Iterate the pairs of mapping N (checked by mapping()) as nodes K, V. */
#define FOR_PAIRS(c, N, what, K, V)                                                             \
	yaml_node_pair_t *pairs_;                                                               \
	size_t npairs_;                                                                         \
	int rc_ = mapping(c, N, what, &pairs_, &npairs_);                                       \
	if (rc_)                                                                                \
		return rc_;                                                                     \
	for (size_t i_ = 0; i_ < npairs_; i_++)                                                 \
		for (const yaml_node_t *K = yaml_document_get_node((c)->doc, pairs_[i_].key),    \
		                       *V = yaml_document_get_node((c)->doc, pairs_[i_].value);  \
		     K && V; K = NULL)

static int unknown(struct ctx *c, const yaml_node_t *k, const char *section)
{
	return fail(c, k, "unknown option '%s' in %s (docs/config.md lists them)", scalar(k), section);
}

#define TRY(x)                     \
	do {                       \
		int r_ = (x);      \
		if (r_)            \
			return r_; \
	} while (0)

/* ---- sections ----------------------------------------------------------- */

struct seen {
	bool id, listen, key;
};

static int parse_node(struct ctx *c, const yaml_node_t *n, bftd_config *cfg, struct seen *seen)
{
	FOR_PAIRS(c, n, "node", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "id")) {
			TRY(get_int(c, v, 0, UINT32_MAX, &x));
			cfg->id = (uint32_t)x;
			seen->id = true;
		} else if (!strcmp(name, "listen")) {
			TRY(get_addr(c, v, &cfg->listen));
			seen->listen = true;
		} else if (!strcmp(name, "key")) {
			TRY(get_str(c, v, cfg->key_path, sizeof cfg->key_path));
			seen->key = true;
		} else if (!strcmp(name, "proofs")) { /* time proof version and scheme (docs/pq.md) */
			const char *s = scalar(v);
			static const char *const names[] = { "v1", "ed25519", "slhdsa", "hybrid", "p256" };
			size_t i = 0;
			while (s && i < 5 && strcmp(s, names[i]))
				i++;
			if (!s || i == 5)
				return fail(c, v, "node.proofs: expected v1, ed25519, slhdsa, hybrid or p256");
			cfg->proof_scheme = (uint8_t)i; /* 0 or enum bft_proof_scheme */
		} else if (!strcmp(name, "proof_batch")) {
			TRY(get_int(c, v, 1, 65535, &x));
			cfg->proof_batch = (uint32_t)x;
		} else if (!strcmp(name, "slhdsa_key")) {
			TRY(get_str(c, v, cfg->slhdsa_key_path, sizeof cfg->slhdsa_key_path));
		} else {
			return unknown(c, k, "node");
		}
	}
	return 0;
}

static int parse_peer(struct ctx *c, const yaml_node_t *n, bftd_peer *p, size_t idx)
{
	bool id = false, addr = false, key = false;
	FOR_PAIRS(c, n, "peer", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "id")) {
			TRY(get_int(c, v, 0, UINT32_MAX, &x));
			p->id = (uint32_t)x;
			c->peer_id_key[idx] = k;
			id = true;
		} else if (!strcmp(name, "address")) {
			TRY(get_addr(c, v, &p->addr));
			c->peer_addr_key[idx] = k;
			addr = true;
		} else if (!strcmp(name, "public_key")) {
			TRY(get_peer_key(c, v, p));
			key = true;
		} else if (!strcmp(name, "api")) {
			TRY(get_addr(c, v, &p->api));
			p->have_api = true;
		} else if (!strcmp(name, "slhdsa_public_key")) {
			const char *s = scalar(v);
			size_t len = s ? strlen(s) : 0;
			if ((len != 64 && len != 96 && len != 128) || bftd_unhex(p->slh_pk, s, len / 2) != len)
				return fail(c, v, "slhdsa_public_key: expected 64, 96 or 128 hex digits (bftime keygen --slhdsa prints it)");
			p->slh_pk_len = len / 2;
		} else {
			return unknown(c, k, "peer");
		}
	}
	if (!id || !addr || !key)
		return fail(c, n, "peer: needs id, address and public_key");
	return 0;
}

static int parse_peers(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "peers: expected a list of peers ('- id: ...')");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > BFTD_MAX_PEERS)
		return fail(c, n, "peers: at most %d", BFTD_MAX_PEERS);
	cfg->peers = calloc(count ? count : 1, sizeof *cfg->peers);
	if (!cfg->peers)
		return BFT_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
		if (!item)
			return fail(c, n, "peers: bad item");
		TRY(parse_peer(c, item, &cfg->peers[i], i));
		cfg->n_peers++;
		for (size_t j = 0; j < i; j++) {
			if (cfg->peers[j].id == cfg->peers[i].id)
				return fail(c, item, "peer id %u listed twice", cfg->peers[i].id);
			/* Two ids at one address: one node counted as two sources
			 * (or a typo that leaves a peer unreached). */
			if (same_endpoint(&cfg->peers[j].addr, &cfg->peers[i].addr))
				return fail(c, c->peer_addr_key[i],
				            "peer %u has the address of peer %u (%s): one address is one node",
				            cfg->peers[i].id, cfg->peers[j].id, cfg->peers[i].addr.text);
			/* One key is one node: under two ids it would count as two
			 * sources, and f would no longer bound the liars. */
			if (!memcmp(cfg->peers[j].pubkey, cfg->peers[i].pubkey, sizeof cfg->peers[i].pubkey))
				return fail(c, item, "peer %u has the public key of peer %u: one key counts as one node",
				            cfg->peers[i].id, cfg->peers[j].id);
		}
	}
	return 0;
}

/* directory: the network's other nodes, id and public key each (their
 * statements reach us inside blocks a peer mined, their proofs through the
 * gossip): pinned like the peers' keys, and never sources. */
static int parse_directory(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "directory: expected a list of nodes ('- {id: ..., public_key: ...}')");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > BFTD_MAX_DIRECTORY)
		return fail(c, n, "directory: at most %d nodes", BFTD_MAX_DIRECTORY);
	free(cfg->directory);
	cfg->n_directory = 0;
	cfg->directory = calloc(count ? count : 1, sizeof *cfg->directory);
	if (!cfg->directory)
		return BFT_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
		if (!item)
			return fail(c, n, "directory: bad item");
		bftd_peer *e = &cfg->directory[i];
		bool id = false, key = false;
		FOR_PAIRS(c, item, "directory entry", k, v)
		{
			const char *name = scalar(k);
			int64_t x;
			if (!strcmp(name, "id")) {
				TRY(get_int(c, v, 0, UINT32_MAX, &x));
				e->id = (uint32_t)x;
				id = true;
			} else if (!strcmp(name, "public_key")) {
				TRY(get_peer_key(c, v, e));
				key = true;
			} else {
				return unknown(c, k, "directory entry");
			}
		}
		if (!id || !key)
			return fail(c, item, "directory: each entry needs id and public_key");
		cfg->n_directory++;
		for (size_t j = 0; j < i; j++) {
			if (cfg->directory[j].id == e->id)
				return fail(c, item, "directory: node %u listed twice", e->id);
			if (!memcmp(cfg->directory[j].pubkey, e->pubkey, sizeof e->pubkey))
				return fail(c, item, "directory: node %u has the public key of node %u: one key counts as one node",
				            e->id, cfg->directory[j].id);
		}
		c->dir_item[i] = item;
	}
	return 0;
}

/* consensus.nakamoto (docs/nakamoto.md). */
static int parse_nakamoto(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	bft_node_nk_config *k = &cfg->nk;
	FOR_PAIRS(c, n, "nakamoto", kk, v)
	{
		const char *name = scalar(kk);
		int64_t x;
		if (!strcmp(name, "genesis")) {
			TRY(get_key32(c, v, k->chain.genesis));
		} else if (!strcmp(name, "genesis_time")) { /* seconds since 1970 */
			TRY(get_int(c, v, 0, INT64_C(1) << 33, &x));
			k->chain.genesis_time_ns = x * BFT_NS_PER_SEC;
			c->genesis_time_set = true;
		} else if (!strcmp(name, "difficulty")) {
			TRY(get_int(c, v, 1, INT64_MAX, &x));
			k->chain.genesis_difficulty = (uint64_t)x;
		} else if (!strcmp(name, "interval")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC / 10, 86400 * BFT_NS_PER_SEC, &k->chain.interval_ns));
		} else if (!strcmp(name, "retarget")) {
			TRY(get_int(c, v, 2, 10000, &x));
			k->chain.retarget_blocks = (uint32_t)x;
		} else if (!strcmp(name, "max_step")) {
			TRY(get_int(c, v, 2, 1000, &x));
			k->chain.max_step = (uint32_t)x;
		} else if (!strcmp(name, "future")) {
			TRY(get_duration(c, v, 0, 86400 * BFT_NS_PER_SEC, &k->chain.future_tol_ns));
		} else if (!strcmp(name, "statement_age")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC, &k->chain.stmt_age_ns));
		} else if (!strcmp(name, "agree")) {
			TRY(get_duration(c, v, 0, 60 * BFT_NS_PER_SEC, &k->chain.agree_ns));
		} else if (!strcmp(name, "drift_ppb")) {
			TRY(get_int(c, v, 0, 1000000, &k->chain.drift_ppb));
		} else if (!strcmp(name, "window")) {
			TRY(get_int(c, v, 1, 10000, &x));
			k->chain.window_blocks = (uint32_t)x;
		} else if (!strcmp(name, "orphan_ttl")) {
			TRY(get_duration(c, v, 0, 86400 * BFT_NS_PER_SEC, &k->chain.orphan_ttl_ns));
		} else if (!strcmp(name, "min_statements")) {
			TRY(get_int(c, v, 1, 1000, &x));
			k->chain.min_stmts = (uint32_t)x;
		} else if (!strcmp(name, "slots")) {
			TRY(get_int(c, v, 16, 100000, &x));
			k->n_slots = (size_t)x;
		} else if (!strcmp(name, "orphans")) {
			TRY(get_int(c, v, 0, 10000, &x));
			k->n_orphans = (size_t)x;
		} else if (!strcmp(name, "archive")) {
			TRY(get_int(c, v, 0, 1000000, &x));
			k->n_archive = (size_t)x;
		} else if (!strcmp(name, "mine")) {
			TRY(get_bool(c, v, &k->mine));
		} else if (!strcmp(name, "relay_hops")) {
			TRY(get_int(c, v, 0, BFT_NK_RELAY_MAX, &x));
			k->relay_hops = (uint32_t)x;
		} else if (!strcmp(name, "hashes_per_step")) {
			TRY(get_int(c, v, 1, INT64_C(1) << 32, &x));
			k->hashes_per_step = (uint64_t)x;
		} else if (!strcmp(name, "step")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC / 1000, 60 * BFT_NS_PER_SEC, &k->mine_step_ns));
		} else if (!strcmp(name, "tau_phase")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC, &k->steer.tau_phase_ns));
		} else if (!strcmp(name, "tau_ref")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC * 30, &k->steer.tau_ref_ns));
		} else if (!strcmp(name, "ref_slew_ppb")) {
			TRY(get_int(c, v, 0, 1000000, &k->steer.ref_slew_ppb));
		} else if (!strcmp(name, "max_steer_ppb")) {
			TRY(get_int(c, v, 0, 1000000, &k->steer.max_ppb));
		} else if (!strcmp(name, "store")) {
			TRY(get_str(c, v, cfg->chain_store, sizeof cfg->chain_store));
		} else if (!strcmp(name, "test_offset")) {
			/* TEST-ONLY: state offsets this far off (an implausible
			 * miner, node.h byz_offset_ns); bftimed-test only, as byzantine:. */
			if (!&bftd_testkit_liar && !c->any_build)
				return fail(c, v, "test_offset: a test liar; this bftimed is built without the test kit "
				                  "(use bftimed-test)");
			TRY(get_duration(c, v, 0, 60 * BFT_NS_PER_SEC, &k->byz_offset_ns));
		} else {
			return unknown(c, kk, "nakamoto");
		}
	}
	if (k->n_slots < 2 * (size_t)k->chain.retarget_blocks + 12)
		return fail(c, n, "nakamoto: slots must be at least 2 * retarget + 12 (%zu)",
		            2 * (size_t)k->chain.retarget_blocks + 12);
	return 0;
}

static int parse_consensus(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	static const char *const engines[] = { "fusion", "median", "nakamoto", NULL };
	static const char *const algs[] = { "marzullo", "brooks-iyengar", "ft-midpoint", NULL };
	bft_node_config *nc = &cfg->node;
	FOR_PAIRS(c, n, "consensus", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		int e;
		if (!strcmp(name, "f")) {
			TRY(get_int(c, v, 0, BFTD_MAX_PEERS + BFTD_MAX_REFS, &x));
			nc->f = (size_t)x;
			c->f_key = k;
		} else if (!strcmp(name, "engine")) {
			TRY(get_enum(c, v, engines, &e));
			nc->engine = e == 2 ? BFT_ENGINE_NAKAMOTO : e ? BFT_ENGINE_MEDIAN : BFT_ENGINE_FUSION;
			c->engine_key = k;
		} else if (!strcmp(name, "nakamoto")) {
			TRY(parse_nakamoto(c, v, cfg));
		} else if (!strcmp(name, "algorithm")) {
			TRY(get_enum(c, v, algs, &e));
			nc->alg = e == 0 ? BFT_ALG_MARZULLO : e == 1 ? BFT_ALG_BROOKS_IYENGAR : BFT_ALG_FT_MIDPOINT;
		} else if (!strcmp(name, "poll")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC / 10, 3600 * BFT_NS_PER_SEC, &nc->poll_ns));
		} else if (!strcmp(name, "max_age")) {
			TRY(get_duration(c, v, 0, 86400 * BFT_NS_PER_SEC, &nc->max_age_ns));
		} else if (!strcmp(name, "dmin")) {
			TRY(get_duration(c, v, 0, 60 * BFT_NS_PER_SEC, &nc->dmin_ns));
		} else if (!strcmp(name, "dmax")) {
			TRY(get_duration(c, v, 0, 60 * BFT_NS_PER_SEC, &nc->dmax_ns));
		} else if (!strcmp(name, "stamp_error")) {
			TRY(get_duration(c, v, 0, BFT_NS_PER_SEC, &nc->stamp_err_ns));
		} else if (!strcmp(name, "max_error")) {
			TRY(get_duration(c, v, 1, 86400 * BFT_NS_PER_SEC, &nc->max_err_ns));
		} else if (!strcmp(name, "readmit")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 7 * 86400 * BFT_NS_PER_SEC, &nc->ref_readmit_ns));
		} else if (!strcmp(name, "agreement")) { /* internal synchronization (docs/internal-sync.md) */
			TRY(get_bool(c, v, &nc->agreement));
		} else {
			return unknown(c, k, "consensus");
		}
	}
	return 0;
}

static int parse_clock(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	static const char *const estimators[] = { "theil-sen", "repeated-median", NULL };
	static const char *const disjoint[] = { "take-measurement", "hull", NULL };
	bft_disc_config *d = &cfg->node.disc;
	FOR_PAIRS(c, n, "clock", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		int e;
		if (!strcmp(name, "rho_ppm")) {
			TRY(get_fixed(c, v, 3, 0, 100000000, &d->rho_ppb));
		} else if (!strcmp(name, "max_slew_ppm")) {
			TRY(get_fixed(c, v, 3, 0, 500000000, &d->max_slew_ppb));
		} else if (!strcmp(name, "initial_freq_ppm")) {
			TRY(get_fixed(c, v, 3, -100000000, 100000000, &d->initial_freq_ppb));
		} else if (!strcmp(name, "holdover_after")) {
			TRY(get_duration(c, v, 0, 86400 * BFT_NS_PER_SEC * 365, &d->holdover_after_ns));
		} else if (!strcmp(name, "history")) {
			TRY(get_int(c, v, 2, 4096, &x));
			d->history_len = (size_t)x;
		} else if (!strcmp(name, "min_fit_samples")) {
			TRY(get_int(c, v, 2, 4096, &x));
			d->min_fit_samples = (size_t)x;
		} else if (!strcmp(name, "history_span")) {
			TRY(get_duration(c, v, 0, INT64_MAX, &d->max_span_ns));
		} else if (!strcmp(name, "max_sample_width")) {
			TRY(get_duration(c, v, 1, INT64_MAX, &d->max_sample_width_ns));
		} else if (!strcmp(name, "estimator")) {
			TRY(get_enum(c, v, estimators, &e));
			d->estimator = e ? BFT_DISC_REPEATED_MEDIAN : BFT_DISC_THEIL_SEN;
		} else if (!strcmp(name, "on_disjoint")) {
			TRY(get_enum(c, v, disjoint, &e));
			d->on_disjoint = e ? BFT_DISC_HULL : BFT_DISC_TAKE_MEASUREMENT;
		} else if (!strcmp(name, "model_bounds")) {
			TRY(get_bool(c, v, &d->model_bounds));
		} else if (!strcmp(name, "wander_ppm")) {
			TRY(get_fixed(c, v, 3, 0, 100000000, &d->wander_ppb));
		} else {
			return unknown(c, k, "clock");
		}
	}
	return 0;
}

/* A reference: its options are its driver's (src/refclock/refclock.h). */
static int parse_ref(struct ctx *c, const yaml_node_t *n, bftd_ref *r, size_t idx)
{
	char e[256];
	bftd_ref_init(r);
	FOR_PAIRS(c, n, "reference", k, v)
	{
		int rc = bftd_ref_option(r, scalar(k), scalar(v), e, sizeof e);
		if (rc == 1)
			return unknown(c, k, "reference");
		if (rc != 0)
			return fail(c, v, "%s", e);
	}
	if (bftd_ref_finish(r, idx, e, sizeof e) != 0)
		return fail(c, n, "%s", e);
	if (!c->any_build && !bftd_refclock_available(r->kind))
		return fail(c, n, "reference: %s", BFTD_REF_NO_DRIVER);
	return 0;
}

static int parse_refs(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "references: expected a list ('- kind: ...')");
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count > BFTD_MAX_REFS)
		return fail(c, n, "references: at most %d", BFTD_MAX_REFS);
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = yaml_document_get_node(c->doc, n->data.sequence.items.start[i]);
		if (!item)
			return fail(c, n, "references: bad item");
		TRY(parse_ref(c, item, &cfg->refs[i], i));
		cfg->n_refs++;
	}
	return 0;
}

static int parse_rate(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	FOR_PAIRS(c, n, "rate_limit", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "rate")) {
			TRY(get_int(c, v, 1, 1000000, &x));
			cfg->rate_per_s = (uint32_t)x;
		} else if (!strcmp(name, "burst")) {
			TRY(get_int(c, v, 1, 1000000, &x));
			cfg->rate_burst = (uint32_t)x;
		} else {
			return unknown(c, k, "rate_limit");
		}
	}
	return 0;
}

static int parse_log(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	static const char *const targets[] = { "stderr", "syslog", NULL };
	static const char *const levels[] = { "error", "warning", "notice", "info", "debug", NULL };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
	FOR_PAIRS(c, n, "log", k, v)
	{
		const char *name = scalar(k);
		int e;
		if (!strcmp(name, "to")) {
			TRY(get_enum(c, v, targets, &e));
			cfg->log_target = e ? BFTD_LOG_SYSLOG : BFTD_LOG_STDERR;
		} else if (!strcmp(name, "level")) {
			TRY(get_enum(c, v, levels, &e));
			cfg->log_level = prio[e];
		} else {
			return unknown(c, k, "log");
		}
	}
	return 0;
}

static int parse_osc(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	FOR_PAIRS(c, n, "oscillator", k, v)
	{
		const char *name = scalar(k);
		if (!strcmp(name, "offset_ms")) {
			TRY(get_fixed(c, v, 6, -86400000000000, 86400000000000, &cfg->osc_offset_ns));
		} else if (!strcmp(name, "freq_ppm")) {
			TRY(get_fixed(c, v, 3, -1000000, 1000000, &cfg->osc_freq_ppb));
		} else {
			return unknown(c, k, "oscillator");
		}
	}
	return 0;
}

/* Test-only: the test kit's liar (testkit.h), when this bftimed has it. */
static int parse_byz(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	if (!&bftd_testkit_liar && c->any_build)
		return 0; /* a reader (the CLI) does not need the liar */
	if (!&bftd_testkit_liar)
		return fail(c, n, "byzantine: a test liar; this bftimed is built without the test kit "
		                  "(build/bftimed-test has it)");
	char e[256];
	FOR_PAIRS(c, n, "byzantine", k, v)
	{
		int rc = bftd_testkit_liar.liar_option(&cfg->byz, scalar(k), scalar(v), e, sizeof e);
		if (rc == 1)
			return unknown(c, k, "byzantine");
		if (rc != 0)
			return fail(c, v, "%s", e);
	}
	if (bftd_testkit_liar.liar_finish(cfg->byz, e, sizeof e) != 0)
		return fail(c, n, "%s", e);
	return 0;
}

static int parse_ntp_nts(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	struct bftd_nts_server_config *t = &cfg->ntp_nts;
	t->max_connections = 32;
	t->key_rotate_ns = 86400 * BFT_NS_PER_SEC;
	t->ke_timeout_ns = 5 * BFT_NS_PER_SEC;
	FOR_PAIRS(c, n, "ntp_server.nts", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "certificate")) {
			TRY(get_str(c, v, t->certificate, sizeof t->certificate));
		} else if (!strcmp(name, "key")) {
			TRY(get_str(c, v, t->key, sizeof t->key));
		} else if (!strcmp(name, "ke_listen")) {
			TRY(get_addr(c, v, &t->ke_listen));
		} else if (!strcmp(name, "max_connections")) {
			TRY(get_int(c, v, 1, 1024, &x));
			t->max_connections = (uint32_t)x;
		} else if (!strcmp(name, "key_rotate")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 30 * 86400 * BFT_NS_PER_SEC, &t->key_rotate_ns));
		} else if (!strcmp(name, "ke_timeout")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC / 10, 60 * BFT_NS_PER_SEC, &t->ke_timeout_ns));
		} else {
			return unknown(c, k, "ntp_server.nts");
		}
	}
	if (!t->certificate[0] || !t->key[0])
		return fail(c, n, "ntp_server.nts: needs certificate and key (PEM files)");
	t->enabled = true;
	return 0;
}

static int parse_ntp_server(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	bool listen = false;
	FOR_PAIRS(c, n, "ntp_server", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "listen")) {
			TRY(get_addr(c, v, &cfg->ntp_listen));
			listen = true;
		} else if (!strcmp(name, "rate_per_s")) {
			TRY(get_int(c, v, 1, 1000000, &x));
			cfg->ntp_rate_per_s = (uint32_t)x;
		} else if (!strcmp(name, "burst")) {
			TRY(get_int(c, v, 1, 1000000, &x));
			cfg->ntp_rate_burst = (uint32_t)x;
		} else if (!strcmp(name, "nts")) {
			TRY(parse_ntp_nts(c, v, cfg));
		} else {
			return unknown(c, k, "ntp_server");
		}
	}
	if (!listen)
		return fail(c, n, "ntp_server: needs listen (e.g. 0.0.0.0:123)");
	cfg->have_ntp_server = true;
	return 0;
}

/* exports.adjtimex: true|false, or a mapping {source: estimate|network}
 * (which turns it on). */
static int parse_adjtimex(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	if (n->type != YAML_MAPPING_NODE)
		return get_bool(c, n, &cfg->adjtimex);
	static const char *const sources[] = { "estimate", "network", NULL };
	cfg->adjtimex = true;
	FOR_PAIRS(c, n, "exports.adjtimex", k, v)
	{
		int e;
		if (!strcmp(scalar(k), "source")) {
			TRY(get_enum(c, v, sources, &e));
			cfg->adjtimex_network = e == 1;
		} else {
			return unknown(c, k, "exports.adjtimex");
		}
	}
	return 0;
}

static int parse_exports(struct ctx *c, const yaml_node_t *n, bftd_config *cfg)
{
	FOR_PAIRS(c, n, "exports", k, v)
	{
		const char *name = scalar(k);
		int64_t x;
		if (!strcmp(name, "chrony_sock")) {
			TRY(get_str(c, v, cfg->chrony_sock, sizeof cfg->chrony_sock));
		} else if (!strcmp(name, "ntp_shm")) {
			TRY(get_int(c, v, 0, 255, &x));
			cfg->ntp_shm_unit = (int)x;
		} else if (!strcmp(name, "timebounds")) {
			TRY(get_str(c, v, cfg->timebounds_path, sizeof cfg->timebounds_path));
		} else if (!strcmp(name, "adjtimex")) {
			TRY(parse_adjtimex(c, v, cfg));
		} else if (!strcmp(name, "privsep")) { /* privsep.h; default true */
			bool on;
			TRY(get_bool(c, v, &on));
			cfg->no_privsep = !on;
		} else {
			return unknown(c, k, "exports");
		}
	}
	return 0;
}

static int parse_root(struct ctx *c, const yaml_node_t *root, bftd_config *cfg)
{
	struct seen seen = { 0 };
	bool have_node = false;
	FOR_PAIRS(c, root, "configuration", k, v)
	{
		const char *name = scalar(k);
		if (!strcmp(name, "node")) {
			TRY(parse_node(c, v, cfg, &seen));
			have_node = true;
		} else if (!strcmp(name, "peers")) {
			TRY(parse_peers(c, v, cfg));
		} else if (!strcmp(name, "directory")) {
			TRY(parse_directory(c, v, cfg));
		} else if (!strcmp(name, "consensus")) {
			TRY(parse_consensus(c, v, cfg));
		} else if (!strcmp(name, "clock")) {
			TRY(parse_clock(c, v, cfg));
		} else if (!strcmp(name, "references")) {
			TRY(parse_refs(c, v, cfg));
		} else if (!strcmp(name, "rate_limit")) {
			TRY(parse_rate(c, v, cfg));
		} else if (!strcmp(name, "log")) {
			TRY(parse_log(c, v, cfg));
		} else if (!strcmp(name, "user")) {
			TRY(get_str(c, v, cfg->user, sizeof cfg->user));
		} else if (!strcmp(name, "api")) {
			const char *s = scalar(v);
			if (s && (!strcmp(s, "none") || !strcmp(s, "off"))) {
				cfg->api_disabled = true;
			} else {
				TRY(get_addr(c, v, &cfg->api));
				cfg->have_api = true;
			}
		} else if (!strcmp(name, "proof_interval")) {
			TRY(get_duration(c, v, BFT_NS_PER_SEC, 86400 * BFT_NS_PER_SEC, &cfg->proof_interval_ns));
		} else if (!strcmp(name, "da_forward")) {
			TRY(get_str(c, v, cfg->da_forward, sizeof cfg->da_forward));
			if (strncmp(cfg->da_forward, "http://", 7) != 0 && strncmp(cfg->da_forward, "https://", 8) != 0)
				return fail(c, v, "da_forward: expected an http:// or https:// URL");
			for (const char *q = cfg->da_forward; *q; q++)
				if ((unsigned char)*q <= ' ' || *q == 0x7f)
					return fail(c, v, "da_forward: the URL contains a space or control character");
		} else if (!strcmp(name, "store")) {
			TRY(get_str(c, v, cfg->store_path, sizeof cfg->store_path));
		} else if (!strcmp(name, "status")) {
			TRY(get_str(c, v, cfg->status_path, sizeof cfg->status_path));
		} else if (!strcmp(name, "oscillator")) {
			TRY(parse_osc(c, v, cfg));
		} else if (!strcmp(name, "byzantine")) {
			TRY(parse_byz(c, v, cfg));
		} else if (!strcmp(name, "ntp_server")) {
			TRY(parse_ntp_server(c, v, cfg));
		} else if (!strcmp(name, "exports")) {
			TRY(parse_exports(c, v, cfg));
		} else {
			return unknown(c, k, "the top level");
		}
	}
	if (!have_node || !seen.id || !seen.listen || !seen.key)
		return fail(c, root, "node: id, listen and key are required");
	if ((cfg->proof_scheme == 2 || cfg->proof_scheme == 3) && !cfg->slhdsa_key_path[0])
		return fail(c, root, "node.proofs: slhdsa and hybrid need node.slhdsa_key (bftime keygen --slhdsa)");
	if (cfg->proof_scheme == 4 && strncmp(cfg->key_path, "pkcs11:", 7) != 0)
		return fail(c, root, "node.proofs: p256 needs node.key to be a P-256 key on a PKCS#11 token (pkcs11:...; "
		                     "bftime keygen --pkcs11 URI --p256)");
	return 0;
}

/* The node k, or the root where there is none (k is NULL). */
static const yaml_node_t *at(const yaml_node_t *k, const yaml_node_t *root)
{
	return k ? k : root;
}

/* Cross-field checks, once everything is read (node may come after peers);
 * they point at the key at fault where there is one, else at the root. */
static int validate(struct ctx *c, const yaml_node_t *root, bftd_config *cfg)
{
	bft_node_config *nc = &cfg->node;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const bftd_peer *p = &cfg->peers[i];
		if (p->id == cfg->id)
			return fail(c, at(c->peer_id_key[i], root), "peer %u has this node's own id", cfg->id);
		if (p->addr.ss.ss_family != cfg->listen.ss.ss_family)
			return fail(c, at(c->peer_addr_key[i], root),
			            "peer %u: address family differs from node.listen's (%s vs %s)", p->id,
			            p->addr.text, cfg->listen.text);
		/* Our own datagrams back: a source that always agrees with us. */
		if (is_own_address(&p->addr, &cfg->listen))
			return fail(c, at(c->peer_addr_key[i], root),
			            "peer %u: address %s is this node's own (node.listen %s)", p->id, p->addr.text,
			            cfg->listen.text);
	}
	/* The directory names nodes that are not peers (a peer's key is pinned
	 * with it), nor this node, each with a key no peer has. */
	for (size_t i = 0; i < cfg->n_directory; i++) {
		const bftd_peer *e = &cfg->directory[i];
		if (e->id == cfg->id)
			return fail(c, at(c->dir_item[i], root), "directory: node %u is this node", e->id);
		for (size_t j = 0; j < cfg->n_peers; j++) {
			if (cfg->peers[j].id == e->id)
				return fail(c, at(c->dir_item[i], root),
				            "directory: node %u is a peer (its key is pinned with it under peers)", e->id);
			if (!memcmp(cfg->peers[j].pubkey, e->pubkey, sizeof e->pubkey))
				return fail(c, at(c->dir_item[i], root),
				            "directory: node %u has the public key of peer %u: one key counts as one node", e->id,
				            cfg->peers[j].id);
		}
	}
	size_t nsrc = cfg->n_peers + cfg->n_refs;
	if (nsrc == 0)
		return fail(c, root, "no sources: configure peers or references");
	if (nc->f >= nsrc)
		return fail(c, at(c->f_key, root), "consensus.f = %zu needs more than f sources (there are %zu)", nc->f,
		            nsrc);
	if (nc->dmax_ns && nc->dmax_ns < nc->dmin_ns)
		return fail(c, root, "consensus.dmax is below dmin");
	/* The retarget spans telescope to ts(last) - genesis_time, which the
	 * future rule bounds only if genesis_time is the chain's real start:
	 * from 1970 a majority miner would have 56 years of spans to claim,
	 * the difficulty falling by max_step every period (docs/nakamoto.md,
	 * "The defence here"). Every node must state the same one. */
	if (nc->engine == BFT_ENGINE_NAKAMOTO && !c->genesis_time_set)
		return fail(c, at(c->engine_key, root),
		            "engine nakamoto needs consensus.nakamoto.genesis_time: the chain's start in seconds since "
		            "1970, the same on every node (the difficulty's retargeting counts from it)");
	int64_t longest = nc->poll_ns;
	for (size_t i = 0; i < cfg->n_refs; i++)
		if (cfg->refs[i].every_ns > longest)
			longest = cfg->refs[i].every_ns;
	if (nc->disc.max_span_ns < 0) {
		/* Not given: 68 minutes, or four of the longest intervals at
		 * which readings come (the poll, a reference's `every`), so that
		 * a fit at long polls still spans enough readings to average
		 * their noise (at 1024 s two rounds took a clknetsim Internet
		 * client to 4 ms), and no more, so that it follows the
		 * oscillator's wander. Since each reference's point is the
		 * midpoint of its readings' intersection (node.c, source_point)
		 * four rounds are enough: clknetsim, 1024 s polls, seeds 1-10,
		 * Internet and LAN, every row as good as chronyd's (8192 s: 19 of
		 * 20; Internet seed 4 0.304 -> 0.187 ms, chronyd 0.240; 2.3 hours
		 * had been needed with the least-delayed readings alone). */
		nc->disc.max_span_ns = bftd_default_history_span(longest);
	}
	/* The node shortens the window while its references' polls climb
	 * toward this (node.h, fit_window). */
	nc->longest_every_ns = longest;
	const bft_disc_config *d = &nc->disc;
	if (d->rho_ppb + d->max_slew_ppb >= BFT_PPB_PER_UNIT)
		return fail(c, root, "clock: rho_ppm + max_slew_ppm must stay below 1e6");
	if (d->initial_freq_ppb > d->rho_ppb || d->initial_freq_ppb < -d->rho_ppb)
		return fail(c, root, "clock.initial_freq_ppm exceeds rho_ppm");
	if (d->min_fit_samples > d->history_len)
		return fail(c, root, "clock.min_fit_samples exceeds clock.history");
	if (cfg->osc_freq_ppb * 1 > d->rho_ppb || -cfg->osc_freq_ppb > d->rho_ppb)
		return fail(c, root, "oscillator.freq_ppm exceeds clock.rho_ppm: the drift bound would be false");
	if (cfg->rate_burst == 0) /* not given: two seconds' worth */
		cfg->rate_burst = 2 * cfg->rate_per_s;
	if (cfg->ntp_rate_burst == 0)
		cfg->ntp_rate_burst = 2 * cfg->ntp_rate_per_s;
	/* The discipline checks the rest of its own contract. */
	bft_disc *probe;
	if (bft_disc_create(&probe, d) != 0)
		return fail(c, root, "clock: inconsistent discipline options");
	bft_disc_destroy(probe);
	return 0;
}

static void defaults(bftd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	bft_node_config_default(&cfg->node);
	/* A daemon disciplines a real oscillator, and PC crystals are often
	 * 100 ppm off before their wander: the library's 100 ppm default would
	 * make every interval rest on a false bound. chronyd assumes 500. */
	cfg->node.disc.rho_ppb = BFTD_DEFAULT_RHO_PPB;
	/* One node, so a longer fit window costs nothing: 128 samples (about
	 * 17 minutes at the default poll) halve the wander of the estimate
	 * against the library's 64, measured in clknetsim (docs/anchor.md),
	 * and still track a frequency random walk 30 times stronger than a
	 * PC crystal's far better than chronyd does. The simulator's
	 * thousands of nodes keep the library's 64. */
	cfg->node.disc.history_len = BFTD_DEFAULT_HISTORY;
	/* ... but never wider than 34 minutes at short polls (at 16 s they
	 * would not span more anyway), or eight reading intervals at long
	 * ones: 128 samples at 1024 s would span more than a day of wander. Set
	 * when the file is read (check()), since it depends on the polls. */
	cfg->node.disc.max_span_ns = -1;
	cfg->node.f = 0;
	cfg->rate_per_s = 20;
	cfg->log_target = BFTD_LOG_STDERR;
	cfg->log_level = LOG_INFO;
	bftd_addr_parse(&cfg->api, "127.0.0.1:7380");
	cfg->proof_interval_ns = 60 * BFT_NS_PER_SEC;
	cfg->proof_batch = 16;
	cfg->ntp_rate_per_s = 16;
	cfg->ntp_shm_unit = -1;
	/* The Nakamoto engine (docs/nakamoto.md, "Config"): one-minute blocks
	 * of a network whose genesis the operator names. */
	cfg->nk.chain = (bft_nk_cfg){ .genesis_time_ns = 0, .genesis_difficulty = 1000000,
		                      .interval_ns = 60 * BFT_NS_PER_SEC, .retarget_blocks = 60, .max_step = 4,
		                      .future_tol_ns = 10 * BFT_NS_PER_SEC, .stmt_age_ns = 600 * BFT_NS_PER_SEC,
		                      .agree_ns = 200000, .drift_ppb = 1000, .window_blocks = 30,
		                      .orphan_ttl_ns = 600 * BFT_NS_PER_SEC, .min_stmts = 3 };
	memset(cfg->nk.chain.genesis, 0x42, sizeof cfg->nk.chain.genesis);
	cfg->nk.steer = (bft_nk_steer){ .tau_phase_ns = 64 * BFT_NS_PER_SEC, .tau_ref_ns = 600 * BFT_NS_PER_SEC,
		                        .ref_slew_ppb = 10000, .max_ppb = 10000 };
	cfg->nk.n_slots = 256;
	cfg->nk.n_orphans = 32;
	cfg->nk.n_archive = 4096;
	cfg->nk.mine = true;
	cfg->nk.hashes_per_step = 10000;
	cfg->nk.mine_step_ns = BFT_NS_PER_SEC / 10;
}

int bftd_config_parse(bftd_config *out, const char *buf, size_t len, const char *filename, char *err,
                      size_t errlen)
{
	return bftd_config_parse_flags(out, buf, len, filename, 0, err, errlen);
}

int bftd_config_parse_flags(bftd_config *out, const char *buf, size_t len, const char *filename, unsigned flags,
                            char *err, size_t errlen)
{
	struct ctx c = { .file = filename ? filename : "(config)", .err = err, .errlen = errlen,
	                 .any_build = (flags & BFTD_CONFIG_ANY_BUILD) != 0 };
	defaults(out);
	if (errlen)
		err[0] = 0;
	if (len > BFTD_CONFIG_MAX_BYTES)
		return fail(&c, NULL, "file larger than %d bytes", BFTD_CONFIG_MAX_BYTES);
	yaml_parser_t p;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&p))
		return BFT_ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	int rc;
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: YAML syntax: %s%s%s", c.file, p.problem_mark.line + 1,
		         p.problem_mark.column + 1, p.problem ? p.problem : "error", p.context ? " " : "",
		         p.context ? p.context : "");
		yaml_parser_delete(&p);
		return BFT_EINVAL;
	}
	c.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = fail(&c, NULL, "empty configuration");
	} else {
		rc = parse_root(&c, root, out);
		if (rc == 0)
			rc = validate(&c, root, out);
		if (rc == 0) {
			/* One document per file: a second one is probably a mistake. */
			yaml_document_t next;
			if (!yaml_parser_load(&p, &next)) {
				rc = fail(&c, root, "YAML syntax error after the first document");
			} else {
				if (yaml_document_get_root_node(&next))
					rc = fail(&c, yaml_document_get_root_node(&next),
					          "only one YAML document is allowed");
				yaml_document_delete(&next);
			}
		}
	}
	if (rc == BFT_ENOMEM && errlen)
		snprintf(err, errlen, "%s: out of memory", c.file);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (rc) {
		bftd_config_free(out);
		defaults(out);
	}
	return rc;
}

int bftd_config_load(bftd_config *out, const char *path, char *err, size_t errlen)
{
	return bftd_config_load_flags(out, path, 0, err, errlen);
}

int bftd_config_load_flags(bftd_config *out, const char *path, unsigned flags, char *err, size_t errlen)
{
	defaults(out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return BFT_EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > BFTD_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path, BFTD_CONFIG_MAX_BYTES);
		close(fd);
		return BFT_EINVAL;
	}
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return BFT_ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return BFT_EINVAL;
		}
		if (r == 0 || (len += (size_t)r) == cap)
			break;
	}
	close(fd);
	int rc = len == cap ? BFT_EINVAL : bftd_config_parse_flags(out, buf, len, path, flags, err, errlen);
	if (len == cap)
		snprintf(err, errlen, "%s: file grew while being read", path);
	free(buf);
	return rc;
}

const bftd_peer *bftd_config_peer(const bftd_config *c, uint32_t id)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (c->peers[i].id == id)
			return &c->peers[i];
	return NULL;
}

void bftd_config_free(bftd_config *c)
{
	if (!c)
		return;
	free(c->peers);
	c->peers = NULL;
	c->n_peers = 0;
	free(c->directory);
	c->directory = NULL;
	c->n_directory = 0;
	free(c->byz);
	c->byz = NULL;
}

