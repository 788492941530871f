/* SPDX-License-Identifier: MIT */
/*
 * bftime status | peers | time | proofs | validate: clients of a daemon's
 * HTTP API (docs/api.md), with libcurl. Human output by default, the API's
 * JSON with --json. The API address comes from --api URL, else from the
 * `api` of --config FILE, else http://127.0.0.1:7380.
 *
 * `proofs --verify` does not trust the daemon: it decodes every proof's
 * canonical bytes itself, checks each signature under the key the proof
 * embeds (and, with --config, that this key is the one pinned there), and
 * checks every link of each node's chain (seq + 1, prev_hash, time order).
 *
 * The answers are read by the pure functions of client.h (fuzzed): any
 * field may be missing or of another type, and is then printed as "-" or 0.
 */
#include <getopt.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <json-c/json.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "cli.h"
#include "client.h"
#include "daemon/api.h"
#include "daemon/config.h"
#include "daemon/keys.h"
#include "daemon/slhkey.h"
#include "proto/proof.h"
#include "proto/sign.h"
#include "proto/p256.h"
#include "proto/sign_pkcs11.h"
#include "util/value.h"

#define DEFAULT_API "http://127.0.0.1:7380"

struct opts {
	char api[600];
	const char *config;
	bool json;
	bool verify;
	bool have_node;
	uint32_t node;
	unsigned limit;
	const char *tolerance;
	const char *positional;
	bftd_config cfg;
	bool have_cfg;
	bool quiet;            /* request() prints no error (bftime wait retries) */
	const char *timeout;   /* bftime wait */
	const char *max_dist;  /* bftime wait */
};

struct resp {
	char *p;
	size_t len;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct resp *r = userp;
	size_t n = size * nmemb;
	if (n > CLI_MAX_RESPONSE - r->len)
		return 0;
	char *b = realloc(r->p, r->len + n + 1);
	if (!b)
		return 0;
	memcpy(b + r->len, data, n);
	r->p = b;
	r->len += n;
	r->p[r->len] = 0;
	return n;
}

/* GET (body NULL) or POST a JSON body; the parsed JSON response, or NULL
 * with a message printed. *status the HTTP status. */
static json_object *request(const struct opts *o, const char *path, const char *body, long *status)
{
	char url[1200];
	snprintf(url, sizeof url, "%s%s", o->api, path);
	CURL *c = curl_easy_init();
	if (!c) {
		fprintf(stderr, "bftime: libcurl failed\n");
		return NULL;
	}
	struct resp r = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bftime-cli");
	if (body) {
		h = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	CURLcode cc = curl_easy_perform(c);
	*status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK && o->quiet) {
		free(r.p);
		return NULL;
	}
	if (cc != CURLE_OK) {
		fprintf(stderr, "bftime: %s: %s\n", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		free(r.p);
		return NULL;
	}
	json_object *j = r.p ? cli_parse_answer(r.p, r.len) : NULL;
	if (o->quiet)
		; /* the caller retries */
	else if (!j)
		fprintf(stderr, "bftime: %s: HTTP %ld, not JSON\n", url, *status);
	else if (*status >= 400) {
		json_object *m;
		fprintf(stderr, "bftime: %s: HTTP %ld: %s\n", url, *status,
		        json_object_object_get_ex(j, "message", &m) && json_object_is_type(m, json_type_string)
		                ? json_object_get_string(m)
		                : "(no message)");
	}
	free(r.p);
	/* With --config, the daemon answering must be that node (issue 14:
	 * with its API address taken, `bftime status` answered for another). */
	json_object *nd;
	if (j && o->have_cfg && json_object_object_get_ex(j, "node", &nd) && json_object_is_type(nd, json_type_int) &&
	    json_object_get_int64(nd) != (int64_t)o->cfg.id) {
		fprintf(stderr, "bftime: %s answers for node %" PRId64 ", not node %u of %s: another daemon holds its API address\n",
		        url, json_object_get_int64(nd), o->cfg.id, o->config);
		json_object_put(j);
		return NULL;
	}
	return j;
}

static void print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

json_object *cli_parse_answer(const char *body, size_t len)
{
	if (!body || len == 0 || len > CLI_MAX_RESPONSE || memchr(body, 0, len))
		return NULL;
	json_tokener *tok = json_tokener_new_ex(CLI_JSON_DEPTH);
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success;
	for (size_t i = ok ? json_tokener_get_parse_end(tok) : len; i < len; i++)
		if (body[i] != ' ' && body[i] != '\n' && body[i] != '\r' && body[i] != '\t')
			ok = false;
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}
/* An array member, or NULL: json-c asserts on array calls on other types,
 * and the daemon answering may not be ours. */
static json_object *geta(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return json_object_is_type(v, json_type_array) ? v : NULL;
}
static int64_t geti(json_object *o, const char *k) { return json_object_get_int64(get(o, k)); }
static bool getb(json_object *o, const char *k) { return json_object_get_boolean(get(o, k)); }
static const char *gets_(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "-";
}

static int usage_common(const char *cmd, const char *extra)
{
	fprintf(stderr, "usage: bftime %s%s [--api URL | --config FILE] [--json]\n", cmd, extra);
	return 2;
}

/* What a subcommand takes beyond --api, --config and --json. */
enum { OPT_VERIFY = 1, OPT_NODE = 2, OPT_LIMIT = 4, OPT_TOLERANCE = 8, OPT_TIMESTAMP = 16, OPT_TIMEOUT = 32,
       OPT_MAX_DIST = 64 };

/* Options shared by the API subcommands (getopt_long; those in allow, and
 * the usage line extra says so); 0, or 2 for a usage error. */
static int parse_opts(struct opts *o, int argc, char **argv, const char *extra, unsigned allow)
{
	memset(o, 0, sizeof *o);
	o->limit = BFTD_API_MAX_LIMIT;
	const char *api = NULL;
	static const struct option opts[] = {
		{ "api", required_argument, NULL, 'a' },   { "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },        { "verify", no_argument, NULL, OPT_VERIFY },
		{ "node", required_argument, NULL, OPT_NODE }, { "limit", required_argument, NULL, OPT_LIMIT },
		{ "tolerance", required_argument, NULL, OPT_TOLERANCE }, { "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "max-distance", required_argument, NULL, OPT_MAX_DIST }, { NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0; /* the usage line says it all */
	for (int ch; (ch = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (ch >= OPT_VERIFY && ch <= OPT_MAX_DIST && (ch & (ch - 1)) == 0 && ch != OPT_TIMESTAMP &&
		    !(allow & (unsigned)ch))
			return usage_common(argv[0], extra);
		char *end;
		unsigned long v;
		switch (ch) {
		case 'a': api = optarg; break;
		case 'c': o->config = optarg; break;
		case 'j': o->json = true; break;
		case OPT_VERIFY: o->verify = true; break;
		case OPT_NODE:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v > UINT32_MAX)
				return usage_common(argv[0], extra);
			o->node = (uint32_t)v;
			o->have_node = true;
			break;
		case OPT_LIMIT:
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > BFTD_API_MAX_LIMIT)
				return usage_common(argv[0], extra);
			o->limit = (unsigned)v;
			break;
		case OPT_TOLERANCE: o->tolerance = optarg; break;
		case OPT_TIMEOUT: o->timeout = optarg; break;
		case OPT_MAX_DIST: o->max_dist = optarg; break;
		default: return usage_common(argv[0], extra);
		}
	}
	/* Operands (getopt_long moved them last): the timestamp, where one is taken. */
	if (optind < argc && (allow & OPT_TIMESTAMP))
		o->positional = argv[optind++];
	if (optind < argc)
		return usage_common(argv[0], extra);
	if (o->config) {
		char err[512];
		if (bftd_config_load_flags(&o->cfg, o->config, BFTD_CONFIG_ANY_BUILD, err, sizeof err) != 0) {
			fprintf(stderr, "bftime: %s\n", err);
			return 1;
		}
		o->have_cfg = true;
	}
	if (api)
		snprintf(o->api, sizeof o->api, "%s%s", strstr(api, "://") ? "" : "http://", api);
	else if (o->have_cfg)
		snprintf(o->api, sizeof o->api, "http://%s", o->cfg.api.text);
	else
		snprintf(o->api, sizeof o->api, "%s", DEFAULT_API);
	size_t l = strlen(o->api);
	while (l && o->api[l - 1] == '/')
		o->api[--l] = 0;
	return 0;
}

static void done_opts(struct opts *o)
{
	if (o->have_cfg)
		bftd_config_free(&o->cfg);
}

static void print_interval(FILE *out, json_object *j)
{
	if (!getb(j, "synced")) {
		fprintf(out, "  not synchronized: no interval for true time\n");
		return;
	}
	fprintf(out, "  estimate   %s\n", gets_(j, "estimate"));
	fprintf(out, "  earliest   %s\n", gets_(j, "earliest"));
	fprintf(out, "  latest     %s\n", gets_(j, "latest"));
	fprintf(out, "  width      %.3f ms\n", (double)geti(j, "width_ns") / 1e6);
	fprintf(out, "  offset     %+.3f ms to this machine's system clock (as of %s)\n",
	        (double)geti(j, "system_offset_ns") / 1e6, gets_(j, "as_of"));
}

static const char *state_line(json_object *j, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", gets_(j, "state"), getb(j, "alarm") ? ", ALARM" : "",
	         getb(j, "degraded") ? ", degraded" : "");
	return buf;
}

/*
 * The shared start of the plain GET commands (time, status, peers): parse the
 * options, fetch path, and print it as JSON when --json was asked. Returns
 * the answer for human output, or NULL with *rc the command's exit status.
 */
static json_object *fetch_or_print(int argc, char **argv, const char *path, int *rc)
{
	struct opts o;
	*rc = parse_opts(&o, argc, argv, "", 0);
	if (*rc)
		return NULL;
	long st;
	json_object *j = request(&o, path, NULL, &st);
	done_opts(&o);
	if (!j || st != 200) {
		json_object_put(j);
		*rc = 1;
		return NULL;
	}
	if (o.json) {
		print_json(j);
		json_object_put(j);
		*rc = 0;
		return NULL;
	}
	return j;
}

void cli_print_time(FILE *out, json_object *j)
{
	char buf[96];
	fprintf(out, "node %" PRId64 ": %s\n", geti(j, "node"), state_line(j, buf, sizeof buf));
	print_interval(out, j);
}

int cmd_time(int argc, char **argv)
{
	/* Exit 3 when the node knows no interval for true time (as validate's
	 * "unknown"): a script must not take an unsynchronized answer for a
	 * time (issue 14: it exited 0). --json prints the answer either way. */
	struct opts o;
	int rc = parse_opts(&o, argc, argv, "", 0);
	if (rc)
		return rc;
	long st;
	json_object *j = request(&o, "/v1/time", NULL, &st);
	bool json = o.json;
	done_opts(&o);
	if (!j || st != 200) {
		json_object_put(j);
		return 1;
	}
	if (json)
		print_json(j);
	else
		cli_print_time(stdout, j);
	rc = getb(j, "synced") ? 0 : 3;
	json_object_put(j);
	return rc;
}

/* A source's offset and width in ms ("-" when it has none), and why it is
 * not used (or dflt), ending the line: `status` and `sources` share it. */
static void print_offset_width_why(FILE *out, json_object *s, const char *dflt)
{
	if (get(s, "offset_ns"))
		fprintf(out, " %+11.3f", (double)geti(s, "offset_ns") / 1e6);
	else
		fprintf(out, " %11s", "-");
	if (get(s, "width_ns"))
		fprintf(out, " %9.3f", (double)geti(s, "width_ns") / 1e6);
	else
		fprintf(out, " %9s", "-");
	json_object *w = get(s, "why_not");
	fprintf(out, "  %s\n", w && json_object_is_type(w, json_type_string) ? json_object_get_string(w) : dflt);
}

static void print_source(FILE *out, json_object *s)
{
	const char *who = !strcmp(gets_(s, "type"), "peer") ? gets_(s, "address") : gets_(s, "name");
	fprintf(out, "  %-9s %-5" PRId64 " %-22s %-4s", gets_(s, "type"), geti(s, "id"), who, getb(s, "used") ? "yes" : "no");
	print_offset_width_why(out, s, "");
	/* A reference's driver: its kind and what its device is doing. */
	json_object *k = get(s, "kind"), *st = get(s, "device_state");
	if (k && st && json_object_is_type(k, json_type_string) && json_object_is_type(st, json_type_string))
		fprintf(out, "  %-9s %-5s %s: %s\n", "", "", json_object_get_string(k), json_object_get_string(st));
}

void cli_print_status(FILE *out, json_object *j)
{
	char buf[96];
	fprintf(out, "node %" PRId64 " on %s: %s, f=%" PRId64 ", engine %s%s%s\n", geti(j, "node"), gets_(j, "listen"),
	        state_line(j, buf, sizeof buf), geti(j, "f"), gets_(j, "engine"), get(j, "byzantine") ? ", BYZANTINE: " : "",
	        get(j, "byzantine") ? gets_(j, "byzantine") : "");
	print_interval(out, j);
	fprintf(out, "sources: %" PRId64 " fresh, %" PRId64 " used\n", geti(j, "sources"), geti(j, "used"));
	fprintf(out, "  %-9s %-5s %-22s %-4s %11s %9s  %s\n", "type", "id", "name/address", "used", "offset ms",
	        "width ms", "why not");
	json_object *arr = geta(j, "sources_detail");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		print_source(out, json_object_array_get_idx(arr, i));
	/* json_object_object_foreach dereferences what it is given: only an object. */
	json_object *c = get(j, "counters");
	fprintf(out, "counters:");
	int k = 0;
	if (json_object_is_type(c, json_type_object)) {
		json_object_object_foreach(c, key, val)
		{
			if (json_object_is_type(val, json_type_int))
				fprintf(out, "%s %s=%" PRId64, k++ % 6 ? "" : "\n ", key, json_object_get_int64(val));
		}
	}
	fprintf(out, "\n");
	json_object *p = get(j, "proofs");
	if (p && getb(p, "enabled")) {
		json_object *h = get(p, "head");
		if (h)
			fprintf(out, "proofs: %" PRId64 " stored; chain head seq %" PRId64 " at %s, hash %.16s...\n",
			        geti(p, "stored"), geti(h, "seq"), gets_(h, "time"), gets_(h, "hash"));
		else
			fprintf(out, "proofs: %" PRId64 " stored; no own proof yet\n", geti(p, "stored"));
	} else {
		fprintf(out, "proofs: disabled (no store configured)\n");
	}
	json_object *chn = get(j, "chain"); /* engine nakamoto: `bftime chain` has the rest */
	if (chn) {
		json_object *ch = get(chn, "head"), *rej = get(chn, "rejected");
		int64_t refused = 0;
		if (rej) {
			json_object_object_foreach(rej, key, v)
			{
				(void)key;
				refused += json_object_get_int64(v);
			}
		}
		fprintf(out, "chain: height %" PRId64 ", head %.16s...%s; %" PRId64 " blocks refused\n", geti(ch, "height"),
		        gets_(ch, "hash"), getb(chn, "alarm") ? ", ALARM (out-worked by a chain it finds implausible)" : "",
		        refused);
	}
}

int cmd_status(int argc, char **argv)
{
	int rc;
	json_object *j = fetch_or_print(argc, argv, "/v1/status", &rc);
	if (!j)
		return rc;
	cli_print_status(stdout, j);
	json_object_put(j);
	return 0;
}

void cli_print_peers(FILE *out, json_object *j)
{
	fprintf(out, "%-5s %-22s %-4s %11s %9s %9s %-8s %s\n", "id", "address", "used", "offset ms", "width ms",
	        "delay ms", "proofs", "gossip");
	json_object *arr = geta(j, "peers");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i), *g = get(p, "gossip"), *pr = get(p, "proofs");
		fprintf(out, "%-5" PRId64 " %-22s %-4s", geti(p, "id"), gets_(p, "address"), getb(p, "used") ? "yes" : "no");
		if (get(p, "offset_ns"))
			fprintf(out, " %+11.3f", (double)geti(p, "offset_ns") / 1e6);
		else
			fprintf(out, " %11s", "-");
		if (get(p, "width_ns"))
			fprintf(out, " %9.3f", (double)geti(p, "width_ns") / 1e6);
		else
			fprintf(out, " %9s", "-");
		fprintf(out, " %9.3f", (double)geti(p, "delay_ns") / 1e6);
		if (pr)
			fprintf(out, " %-8" PRId64, geti(pr, "stored"));
		else
			fprintf(out, " %-8s", "-");
		if (g)
			fprintf(out, " next seq %" PRId64 ", %" PRId64 " ok, %" PRId64 " failed%s%s", geti(g, "next_seq"),
			        geti(g, "ok"), geti(g, "failed"), get(g, "last_error") ? ": " : "",
			        get(g, "last_error") ? gets_(g, "last_error") : "");
		else
			fprintf(out, " -");
		json_object *w = get(p, "why_not");
		if (w && json_object_is_type(w, json_type_string))
			fprintf(out, "  (not used: %s)", json_object_get_string(w));
		fprintf(out, "\n");
	}
}

int cmd_peers(int argc, char **argv)
{
	int rc;
	json_object *j = fetch_or_print(argc, argv, "/v1/peers", &rc);
	if (!j)
		return rc;
	cli_print_peers(stdout, j);
	json_object_put(j);
	return 0;
}

int cmd_chain(int argc, char **argv)
{
	int rc;
	json_object *j = fetch_or_print(argc, argv, "/v1/chain", &rc);
	if (!j)
		return rc;
	cli_print_chain(stdout, j);
	json_object_put(j);
	return 0;
}

/* ---- proofs ------------------------------------------------------------- */

struct item {
	bft_proof p;
	uint8_t hash[BFT_PROOF_HASH];
	bool ok_decode;
};

static int by_node_seq(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->p.node_id != y->p.node_id)
		return x->p.node_id < y->p.node_id ? -1 : 1;
	return x->p.seq < y->p.seq ? -1 : x->p.seq > y->p.seq;
}

static bool pinned_key(const bftd_config *cfg, uint32_t id, uint8_t pub[32])
{
	if (!cfg)
		return false;
	if (id == cfg->id && strncmp(cfg->key_path, "pkcs11:", 7) == 0) {
		/* The node's own key is on a token: its public key, when this user
		 * may open the token (the URI's PIN). */
		bft_pkcs11 *t = NULL;
		char err[512];
		enum bft_pkcs11_kind kind = BFT_PKCS11_NONE;
		uint8_t p[BFT_PKCS11_MAX_PUB];
		size_t plen = sizeof p;
		bool ok = bft_pkcs11_open(&t, cfg->key_path, err, sizeof err) == 0 &&
		          bft_pkcs11_load_key(t, &kind, p, &plen) == 0;
		bft_pkcs11_close(t);
		if (ok && kind == BFT_PKCS11_P256 && plen == BFT_P256_PUB)
			return bft_p256_key_id(pub, p) == 0; /* a P-256 node is pinned by its key id */
		if (ok && kind == BFT_PKCS11_ED25519 && plen == 32) {
			memcpy(pub, p, 32);
			return true;
		}
		return false;
	}
	if (id == cfg->id) {
		/* The node's own key, when this user may read the key file. */
		uint8_t seed[BFTD_KEY_LEN];
		char err[512];
		if (bftd_key_load(seed, cfg->key_path, err, sizeof err) != 0)
			return false;
		int rc = bft_ed25519_public(pub, seed);
		OPENSSL_cleanse(seed, sizeof seed);
		return rc == 0;
	}
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].id == id) {
			memcpy(pub, cfg->peers[i].pubkey, 32);
			return true;
		}
	return false;
}

/* The pinned SLH-DSA key of a node (version-2 proofs): a peer's
 * slhdsa_public_key, or the node's own key file when this user may read
 * it. Its length, or 0 when none. */
static size_t pinned_slh(const bftd_config *cfg, uint32_t id, uint8_t pk[BFT_SLHDSA_MAX_PK])
{
	if (!cfg)
		return 0;
	if (id == cfg->id) {
		const bft_slhdsa_params *pp;
		uint8_t sk[BFT_SLHDSA_MAX_SK];
		char err[512];
		if (!cfg->slhdsa_key_path[0] || bftd_slhkey_load(&pp, sk, cfg->slhdsa_key_path, err, sizeof err) != 0)
			return 0;
		bftd_slhkey_public(pp, sk, pk);
		OPENSSL_cleanse(sk, sizeof sk);
		return pp->pk_len;
	}
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].id == id && cfg->peers[i].slh_pk_len) {
			memcpy(pk, cfg->peers[i].slh_pk, cfg->peers[i].slh_pk_len);
			return cfg->peers[i].slh_pk_len;
		}
	return 0;
}

/* A proof's bytes from its hex: exactly hex digits (bftd_unhex), of a
 * proof's size at most. */
static int hexdecode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t l = strlen(s);
	if (l % 2 || l / 2 > cap || bftd_unhex(out, s, l / 2) != l)
		return -1;
	*len = l / 2;
	return 0;
}

int cli_verify_proofs(FILE *out, json_object *arr, const bftd_config *cfg)
{
	size_t n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	struct item *it = calloc(n ? n : 1, sizeof *it);
	if (!it)
		return 1;
	int bad = 0;
	size_t v2 = 0;
	static bft_proof_rootcache roots; /* a batch's signatures are checked once */
	memset(&roots, 0, sizeof roots);
	for (size_t i = 0; i < n; i++) {
		json_object *pj = json_object_array_get_idx(arr, i);
		static uint8_t buf[BFT_PROOF_MAX];
		size_t len;
		if (hexdecode(gets_(pj, "bytes"), buf, sizeof buf, &len) != 0 || bft_proof_decode(&it[i].p, buf, len) != 0 ||
		    bft_proof_hash(it[i].hash, &it[i].p) != 0) {
			fprintf(out, "proof #%zu: not a canonical proof\n", i);
			bad++;
			continue;
		}
		it[i].ok_decode = true;
		uint8_t pin[32];
		bool have_pin = pinned_key(cfg, it[i].p.node_id, pin);
		int vrc;
		if (it[i].p.version == BFT_PROOF_VERSION_2) {
			/* Path, then the batch's signatures under the pinned keys. */
			uint8_t slh[BFT_SLHDSA_MAX_PK];
			size_t slh_len = pinned_slh(cfg, it[i].p.node_id, slh);
			vrc = bft_proof_v2_verify(&it[i].p, have_pin ? pin : NULL, slh_len ? slh : NULL, slh_len, &roots);
			it[i].p.auth = NULL; /* a view into buf, reused for the next proof */
			v2++;
		} else {
			vrc = bft_proof_verify_key(&it[i].p, have_pin ? pin : NULL);
		}
		if (vrc != 0) {
			fprintf(out, "node %u seq %" PRIu64 ": BAD SIGNATURE%s\n", it[i].p.node_id, it[i].p.seq,
			        have_pin ? " (or not the pinned key)" : "");
			bad++;
		}
	}
	qsort(it, n, sizeof *it, by_node_seq);
	for (size_t i = 0; i < n;) {
		if (!it[i].ok_decode) {
			i++;
			continue;
		}
		size_t j = i;
		uint64_t links = 0, gaps = 0;
		int node_bad = 0;
		for (; j + 1 < n && it[j + 1].ok_decode && it[j + 1].p.node_id == it[i].p.node_id; j++) {
			const struct item *a = &it[j], *b = &it[j + 1];
			if (b->p.seq == a->p.seq) {
				if (memcmp(a->hash, b->hash, BFT_PROOF_HASH)) {
					fprintf(out, "node %u seq %" PRIu64 ": FORK (two different proofs)\n", a->p.node_id, a->p.seq);
					node_bad++;
				}
			} else if (b->p.seq != a->p.seq + 1) {
				gaps++;
			} else {
				int e = bft_proof_chain_check(&a->p, a->hash, &b->p);
				if (e != BFT_CHAIN_OK) {
					static const char *const why[] = { "ok", "node or key changed", "seq", "prev_hash",
						                           "time went back" };
					fprintf(out, "node %u seq %" PRIu64 " -> %" PRIu64 ": BROKEN LINK (%s)\n", a->p.node_id,
					        a->p.seq, b->p.seq, why[e < 5 && e > 0 ? e : 0]);
					node_bad++;
				} else {
					links++;
				}
			}
		}
		char hex[65];
		bftd_hex(hex, it[i].p.pub, 32);
		uint8_t pin[32];
		fprintf(out,
		        "node %u: %zu proofs, seq %" PRIu64 "..%" PRIu64 ", %" PRIu64 " links verified, %" PRIu64
		        " gaps, key %.16s...%s: %s\n",
		        it[i].p.node_id, j - i + 1, it[i].p.seq, it[j].p.seq, links, gaps, hex,
		        pinned_key(cfg, it[i].p.node_id, pin) ? " (pinned)" : "", node_bad ? "FAILED" : "OK");
		bad += node_bad;
		i = j + 1;
	}
	if (v2)
		fprintf(out, "%zu version-2 proofs: %" PRIu64 " batch signatures checked, %" PRIu64 " proofs by their path alone\n",
		        v2, roots.misses, roots.hits);
	free(it);
	return bad;
}

void cli_print_proofs(FILE *out, json_object *j)
{
	json_object *arr = geta(j, "proofs");
	fprintf(out, "%-5s %-7s %-31s %-10s %-20s %s\n", "node", "seq", "time", "width ms", "flags", "hash");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *p = json_object_array_get_idx(arr, i), *fl = geta(p, "flags");
		char flags[64] = "";
		for (size_t k = 0; fl && k < json_object_array_length(fl); k++) {
			json_object *f = json_object_array_get_idx(fl, k);
			size_t used = strlen(flags);
			snprintf(flags + used, sizeof flags - used, "%s%s", k ? "," : "",
			         json_object_is_type(f, json_type_string) ? json_object_get_string(f) : "?");
		}
		/* Saturating: a daemon may send any two integers. */
		double w = get(p, "earliest_ns") ? (double)bft_sat_sub(geti(p, "latest_ns"), geti(p, "earliest_ns")) / 1e6 : -1;
		fprintf(out, "%-5" PRId64 " %-7" PRId64 " %-31s %-10.3f %-20s %.16s\n", geti(p, "node"), geti(p, "seq"),
		        gets_(p, "time"), w, flags, gets_(p, "hash"));
	}
}

int cmd_proofs(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(&o, argc, argv, " [--verify] [--node N] [--limit N]", OPT_VERIFY | OPT_NODE | OPT_LIMIT);
	if (rc)
		return rc;
	char path[128];
	if (o.have_node)
		snprintf(path, sizeof path, "/v1/proofs?node=%u&limit=%u", o.node, o.limit);
	else
		snprintf(path, sizeof path, "/v1/proofs?limit=%u", o.limit);
	long st;
	json_object *j = request(&o, path, NULL, &st);
	if (!j || st != 200) {
		json_object_put(j);
		done_opts(&o);
		return 1;
	}
	json_object *arr = geta(j, "proofs");
	int bad = 0;
	if (o.json)
		print_json(j);
	else if (!o.verify)
		cli_print_proofs(stdout, j);
	if (o.verify && !arr) {
		fprintf(stderr, "bftime: the answer has no \"proofs\" array: nothing verified\n");
		bad = 1;
	} else if (o.verify) {
		bad = cli_verify_proofs(stdout, arr, o.have_cfg ? &o.cfg : NULL);
		if (!o.json)
			printf("%zu proofs checked: %s\n", json_object_array_length(arr),
			       bad ? "VERIFICATION FAILED" : "all signatures and links OK");
	}
	json_object_put(j);
	done_opts(&o);
	return bad ? 1 : 0;
}

int cli_print_validate(FILE *out, json_object *j)
{
	const char *res = gets_(j, "result");
	fprintf(out, "%s: %s within %.3f ms of node %" PRId64 "'s interval\n", res, gets_(j, "timestamp"),
	        (double)geti(j, "tolerance_ns") / 1e6, geti(j, "node"));
	if (get(j, "distance_ns") && geti(j, "distance_ns"))
		fprintf(out, "  outside by %.3f ms\n", (double)geti(j, "distance_ns") / 1e6);
	if (!strcmp(res, "unknown"))
		fprintf(out, "  %s\n", gets_(j, "reason"));
	print_interval(out, j);
	return !strcmp(res, "yes") ? 0 : !strcmp(res, "no") ? 1 : 3;
}

int cmd_validate(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(&o, argc, argv, " TIMESTAMP|now [--tolerance D]", OPT_TOLERANCE | OPT_TIMESTAMP);
	if (rc)
		return rc;
	if (!o.positional) {
		done_opts(&o);
		return usage_common(argv[0], " TIMESTAMP|now [--tolerance D]");
	}
	json_object *req = json_object_new_object();
	int64_t ts;
	if (!strcmp(o.positional, "now")) {
		/* The daemon's host clock as it reads its interval (api.h): read
		 * here, the request's latency would count against the tolerance. */
		json_object_object_add(req, "timestamp", json_object_new_string("now"));
	} else if (bftd_time_arg_parse(o.positional, &ts) == 0) {
		json_object_object_add(req, "timestamp", json_object_new_int64(ts));
	} else {
		fprintf(stderr, "bftime validate: '%s' is not RFC 3339 (2024-05-01T12:00:00.5Z), ns since the epoch or now\n",
		        o.positional);
		json_object_put(req);
		done_opts(&o);
		return 2;
	}
	if (o.tolerance) {
		int64_t tol;
		if (bft_duration_parse(&tol, o.tolerance) != 0) {
			fprintf(stderr, "bftime validate: --tolerance takes a duration with a unit (1ms, 250us)\n");
			json_object_put(req);
			done_opts(&o);
			return 2;
		}
		json_object_object_add(req, "tolerance", json_object_new_int64(tol));
	}
	long st;
	json_object *j = request(&o, "/v1/validate", json_object_to_json_string(req), &st);
	json_object_put(req);
	done_opts(&o);
	if (!j || st != 200) {
		json_object_put(j);
		return 4;
	}
	if (o.json) {
		print_json(j);
		const char *res = gets_(j, "result");
		rc = !strcmp(res, "yes") ? 0 : !strcmp(res, "no") ? 1 : 3;
	} else {
		rc = cli_print_validate(stdout, j);
	}
	json_object_put(j);
	return rc;
}

/* ---- sources, tracking, wait: chronyc's diagnostics ---------------------- */

/* A duration in ns as text with a unit that fits it ("-" when absent). */
static const char *dur_text(char *buf, size_t cap, json_object *v)
{
	if (!v || !json_object_is_type(v, json_type_int))
		return "-";
	int64_t ns = json_object_get_int64(v);
	double a = ns < 0 ? -(double)ns : (double)ns;
	if (a >= 3600e9)
		snprintf(buf, cap, "%.1fh", (double)ns / 3600e9);
	else if (a >= 100e9)
		snprintf(buf, cap, "%.0fs", (double)ns / 1e9);
	else if (a >= 1e9)
		snprintf(buf, cap, "%.1fs", (double)ns / 1e9);
	else if (a >= 1e6)
		snprintf(buf, cap, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, cap, "%.0fus", (double)ns / 1e3);
	return buf;
}

void cli_print_sources(FILE *out, json_object *j)
{
	fprintf(out, "%-2s %-9s %-5s %-22s %-10s %5s %6s %8s %11s %9s  %s\n", "", "type", "id", "name/address", "kind",
	        "reach", "poll", "last rx", "offset ms", "width ms", "used / why not");
	json_object *arr = geta(j, "sources_detail");
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *s = json_object_array_get_idx(arr, i);
		bool peer = !strcmp(gets_(s, "type"), "peer");
		char b1[32], b2[32];
		/* '*' used; '?' never answered or not fresh; 'x' quarantined or
		 * a falseticker; '-' fresh but not used for another reason. */
		json_object *q = get(s, "quarantine");
		const char *mark = getb(s, "used") ? "*"
		                 : q && strcmp(gets_(s, "quarantine"), "none") ? "x"
		                 : !getb(s, "fresh") ? "?"
		                                     : "-";
		fprintf(out, "%-2s %-9s %-5" PRId64 " %-22s %-10s %5" PRIo64 " %6s %8s", mark, gets_(s, "type"),
		        geti(s, "id"), peer ? gets_(s, "address") : gets_(s, "name"), peer ? "peer" : gets_(s, "kind"),
		        (uint64_t)geti(s, "reach") & 0377, dur_text(b1, sizeof b1, get(s, "poll_ns")),
		        dur_text(b2, sizeof b2, get(s, "last_rx_ago_ns")));
		print_offset_width_why(out, s, "used");
	}
}

void cli_print_tracking(FILE *out, json_object *j)
{
	json_object *t = get(j, "tracking");
	char b[32];
	fprintf(out, "Node            : %" PRId64 " (%s)\n", geti(j, "node"), gets_(j, "listen"));
	fprintf(out, "State           : %s%s\n", gets_(t, "state"), getb(j, "degraded") ? ", degraded" : "");
	fprintf(out, "Leap status     : %s\n", gets_(t, "leap"));
	fprintf(out, "Estimate        : %s\n", gets_(t, "estimate"));
	fprintf(out, "Interval        : [%s, %s]\n", gets_(j, "earliest"), gets_(j, "latest"));
	if (get(t, "root_distance_ns") && json_object_is_type(get(t, "root_distance_ns"), json_type_int))
		fprintf(out, "Root distance   : %.6f seconds (interval width %.6f s)\n",
		        (double)geti(t, "root_distance_ns") / 1e9, (double)geti(t, "width_ns") / 1e9);
	else
		fprintf(out, "Root distance   : - (no interval for true time)\n");
	if (get(t, "system_offset_ns")) {
		double off = (double)geti(t, "system_offset_ns") / 1e9; /* estimate - system clock */
		fprintf(out, "System time     : %.9f seconds %s of the estimate\n", off < 0 ? -off : off,
		        off < 0 ? "fast" : "slow");
	}
	if (get(t, "frequency_ppb"))
		fprintf(out, "Frequency       : %.3f ppm%s\n", (double)geti(t, "frequency_ppb") / 1e3,
		        get(t, "frequency_trained") && !getb(t, "frequency_trained") ? " (not yet fitted)" : "");
	if (get(t, "skew_ppb") && json_object_is_type(get(t, "skew_ppb"), json_type_int))
		fprintf(out, "Skew            : %.3f ppm\n", (double)geti(t, "skew_ppb") / 1e3);
	else
		fprintf(out, "Skew            : -\n");
	fprintf(out, "Sources         : %" PRId64 " fresh, %" PRId64 " used (f=%" PRId64 ")\n", geti(t, "sources"),
	        geti(t, "used"), geti(j, "f"));
	json_object *arr = geta(j, "sources_detail");
	fprintf(out, "Update interval : %s\n",
	        arr && json_object_array_length(arr) ? dur_text(b, sizeof b, get(json_object_array_get_idx(arr, 0), "poll_ns"))
	                                             : "-");
}

/* GET /v1/status printed by print (or as JSON). */
static int status_view(int argc, char **argv, void (*print)(FILE *, json_object *))
{
	int rc;
	json_object *j = fetch_or_print(argc, argv, "/v1/status", &rc);
	if (!j)
		return rc;
	print(stdout, j);
	json_object_put(j);
	return 0;
}

int cmd_sources(int argc, char **argv) { return status_view(argc, argv, cli_print_sources); }
int cmd_tracking(int argc, char **argv) { return status_view(argc, argv, cli_print_tracking); }

/* Monotonic ms, for wait's deadline (not the clock under test). */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_wait_ready(json_object *j, int64_t max_dist_ns)
{
	if (!getb(j, "synced") || getb(j, "alarm"))
		return 0;
	if (max_dist_ns <= 0)
		return 1;
	int64_t e = geti(j, "estimate_ns"), lo = geti(j, "earliest_ns"), hi = geti(j, "latest_ns");
	int64_t d1 = bft_sat_sub(e, lo), d2 = bft_sat_sub(hi, e);
	return (d1 > d2 ? d1 : d2) <= max_dist_ns;
}

int cmd_wait(int argc, char **argv)
{
	/* chronyc waitsync's role: 0 once synchronized (an interval for true
	 * time, no alarm, within --max-distance when given); 3 when --timeout
	 * passes with the daemon answering unsynchronized, 1 when it passes
	 * without an answer; 2 usage. */
	static const char *const extra = " [--timeout D] [--max-distance D]";
	struct opts o;
	int rc = parse_opts(&o, argc, argv, extra, OPT_TIMEOUT | OPT_MAX_DIST);
	if (rc)
		return rc;
	int64_t timeout_ns = -1, max_dist_ns = 0;
	if ((o.timeout && bft_duration_parse(&timeout_ns, o.timeout) != 0) ||
	    (o.max_dist && bft_duration_parse(&max_dist_ns, o.max_dist) != 0)) {
		fprintf(stderr, "bftime wait: --timeout and --max-distance take a duration with a unit (30s, 5ms)\n");
		done_opts(&o);
		return 2;
	}
	o.quiet = true;
	int64_t start = mono_ms(), limit_ms = timeout_ns < 0 ? -1 : timeout_ns / 1000000;
	bool answered = false;
	json_object *last = NULL;
	for (;;) {
		long st;
		json_object *j = request(&o, "/v1/time", NULL, &st);
		if (j && st == 200) {
			answered = true;
			json_object_put(last);
			last = j;
			if (cli_wait_ready(j, max_dist_ns)) {
				rc = 0;
				break;
			}
		} else {
			json_object_put(j);
		}
		int64_t left = limit_ms < 0 ? 500 : limit_ms - (mono_ms() - start);
		if (left <= 0) {
			rc = answered ? 3 : 1;
			break;
		}
		struct timespec ts = { 0, (left < 500 ? left : 500) * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (rc == 1)
		fprintf(stderr, "bftime wait: no answer from %s/v1/time within %s\n", o.api, o.timeout);
	else if (o.json && last)
		print_json(last);
	else if (last) {
		if (rc == 3)
			printf("not synchronized within %s:\n", o.timeout);
		cli_print_time(stdout, last);
	}
	json_object_put(last);
	done_opts(&o);
	return rc;
}
