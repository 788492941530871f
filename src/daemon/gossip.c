/* SPDX-License-Identifier: MIT */
/*
 * Proof gossip (gossip.h) over libcurl's multi-socket interface. curl calls
 * on_socket to say which fds it waits on and on_timer to say when it wants
 * to be called without I/O; the loop polls those fds beside its own and
 * calls curl_multi_socket_action for each ready one. This is curl's
 * event-driven API, the one meant for a foreign loop, and it never blocks:
 * the peers' addresses are numeric, so there is no resolver to wait on.
 */
#include "daemon/gossip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include <bftime/common.h>

#include "daemon/http.h"
#include "daemon/keys.h"
#include "daemon/log.h"
#include "sys/clock.h"

#define RESP_MAX (64 * 1024)              /* answers to POSTs: a few results */
#define FETCH_MAX (4 * 1024 * 1024)        /* a catch-up answer: a batch of version-2 proofs as hex */
#define RETRY_MIN_NS (BFT_NS_PER_SEC)
#define RETRY_MAX_NS (30 * BFT_NS_PER_SEC)
/* A catch-up GET is small, and a node waiting for its quorum issues nothing
 * until a peer that came back is asked again: back off to 8 s at most. */
#define FETCH_RETRY_MAX_NS (8 * BFT_NS_PER_SEC)

struct target {
	bftd_gossip_target_info info;
	char url[600];
	bool in_flight;
	bool fetching;     /* the transfer in flight is the catch-up GET */
	bool fetched;      /* catch-up done for this peer (answered, or gave up) */
	int64_t fetch_at_mono;   /* next catch-up attempt after a failed one (0: now) */
	int64_t fetch_backoff_ns;
	bool posting_ev;   /* the transfer in flight is a POST /v1/evidence */
	size_t ev_sent;    /* pieces of evidence the peer has acknowledged (or refused) */
	size_t ev_batch;   /* pieces held when the POST in flight was built */
	uint64_t batch_from, batch_to;
	/* The backward walk (next_after): the first seq of the lowest batch
	 * answered "gap" since the peer last took a batch at or above it;
	 * UINT64_MAX: no walk under way. */
	uint64_t gap_low;
	int64_t retry_at_mono; /* 0: not waiting */
	int64_t backoff_ns;
	bool warned;
	CURL *easy;
	CURL *solar_easy;  /* a solar fragment's POST in flight (bftd_gossip_solar), beside the proofs' */
	struct curl_slist *solar_headers;
	struct curl_slist *headers;
	char *resp;
	size_t resp_len;
	char errbuf[CURL_ERROR_SIZE];
};

struct bftd_gossip {
	bftd_proofs *ps;
	uint32_t self_id;
	CURLM *multi;
	struct target *t;
	size_t n;
	struct pollfd fds[BFTD_GOSSIP_MAX_POLLFDS];
	size_t n_fds;
	int64_t timer_mono; /* curl's deadline, INT64_MAX when none */
	int64_t catchup_until_mono; /* 0: no catch-up */
	bftd_gossip_stats stats;
};

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	(void)socketp;
	bftd_gossip *g = userp;
	size_t i = 0;
	while (i < g->n_fds && g->fds[i].fd != s)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < g->n_fds)
			g->fds[i] = g->fds[--g->n_fds];
		return 0;
	}
	if (i == g->n_fds) {
		if (g->n_fds == BFTD_GOSSIP_MAX_POLLFDS)
			return -1; /* curl fails that transfer */
		g->n_fds++;
	}
	g->fds[i] = (struct pollfd){ .fd = s,
		                     .events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
		                                       (what & CURL_POLL_OUT ? POLLOUT : 0)) };
	return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	bftd_gossip *g = userp;
	g->timer_mono = timeout_ms < 0 ? INT64_MAX : bft_clock_mono_ns() + (int64_t)timeout_ms * 1000000;
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct target *t = userp;
	size_t n = size * nmemb;
	size_t max = t->fetching ? FETCH_MAX : RESP_MAX;
	if (n > max - t->resp_len)
		return 0; /* a response this large is not ours: fail the transfer */
	char *b = realloc(t->resp, t->resp_len + n + 1);
	if (!b)
		return 0;
	memcpy(b + t->resp_len, data, n);
	t->resp = b;
	t->resp_len += n;
	t->resp[t->resp_len] = 0;
	return n;
}

int bftd_gossip_create(bftd_gossip **out, const bftd_config *cfg, bftd_proofs *ps, char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl failed to initialize");
		return BFT_ENOMEM;
	}
	bftd_gossip *g = calloc(1, sizeof *g);
	size_t n = cfg->n_peers + 1;
	if (g)
		g->t = calloc(n, sizeof *g->t);
	if (!g || !g->t || !(g->multi = curl_multi_init())) {
		if (g)
			free(g->t);
		free(g);
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	g->ps = ps;
	g->self_id = cfg->id;
	g->timer_mono = INT64_MAX;
	curl_multi_setopt(g->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(g->multi, CURLMOPT_SOCKETDATA, g);
	curl_multi_setopt(g->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(g->multi, CURLMOPT_TIMERDATA, g);
	uint64_t head = 0;
	bool have = bftd_proofs_head(ps, &head, NULL, NULL);
	for (size_t i = 0; i < cfg->n_peers; i++) {
		if (!cfg->peers[i].have_api)
			continue;
		struct target *t = &g->t[g->n++];
		snprintf(t->url, sizeof t->url, "http://%s/v1/proofs", cfg->peers[i].api.text);
		t->info.is_peer = true;
		t->info.peer_id = cfg->peers[i].id;
	}
	if (cfg->da_forward[0]) {
		struct target *t = &g->t[g->n++];
		snprintf(t->url, sizeof t->url, "%s", cfg->da_forward);
	}
	size_t n_peers = 0;
	for (size_t i = 0; i < g->n; i++) {
		g->t[i].fetched = !g->t[i].info.is_peer;
		n_peers += g->t[i].info.is_peer;
	}
	if (n_peers)
		g->catchup_until_mono = bft_clock_mono_ns() + BFTD_GOSSIP_CATCHUP_NS;
	bftd_proofs_catchup_begin(ps, n_peers);
	for (size_t i = 0; i < g->n; i++) {
		g->t[i].info.url = g->t[i].url;
		g->t[i].info.next_seq = have ? head : 0; /* resend the head once: see gossip.h */
		g->t[i].backoff_ns = g->t[i].fetch_backoff_ns = RETRY_MIN_NS;
		g->t[i].gap_low = UINT64_MAX;
	}
	*out = g;
	return 0;
}

static void finish(bftd_gossip *g, struct target *t)
{
	if (t->easy) {
		curl_multi_remove_handle(g->multi, t->easy);
		curl_easy_cleanup(t->easy);
		t->easy = NULL;
	}
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->resp);
	t->resp = NULL;
	t->resp_len = 0;
	t->in_flight = false;
}

static void solar_finish(bftd_gossip *g, struct target *t)
{
	if (t->solar_easy) {
		curl_multi_remove_handle(g->multi, t->solar_easy);
		curl_easy_cleanup(t->solar_easy);
		t->solar_easy = NULL;
	}
	curl_slist_free_all(t->solar_headers);
	t->solar_headers = NULL;
}

/* The answer's body is not kept: a sink. */
static size_t solar_sink(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

void bftd_gossip_solar(bftd_gossip *g, const uint8_t *buf, size_t len)
{
	if (!g || len > BFTD_HTTP_MAX_BODY)
		return;
	for (size_t i = 0; i < g->n; i++) {
		struct target *t = &g->t[i];
		if (!t->info.is_peer)
			continue;
		if (t->solar_easy) {
			g->stats.solar_dropped++;
			continue;
		}
		char url[sizeof t->url + 16];
		/* the peer's API base: t->url ends in /v1/proofs */
		snprintf(url, sizeof url, "%.*s/v1/solar", (int)(strlen(t->url) - strlen("/v1/proofs")), t->url);
		CURL *e = t->solar_easy = curl_easy_init();
		t->solar_headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
		if (!e || !t->solar_headers) {
			solar_finish(g, t);
			g->stats.solar_failed++;
			continue;
		}
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->solar_headers);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, (const char *)buf);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, solar_sink);
		curl_easy_setopt(e, CURLOPT_PRIVATE, t);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "bftimed");
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
		if (curl_multi_add_handle(g->multi, e) != CURLM_OK) {
			solar_finish(g, t);
			g->stats.solar_failed++;
			continue;
		}
		g->stats.solar_posts++;
	}
}

static void solar_done(bftd_gossip *g, struct target *t, CURLcode cc)
{
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(t->solar_easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 200 && status < 300)
		g->stats.solar_ok++;
	else
		g->stats.solar_failed++;
	solar_finish(g, t);
}

void bftd_gossip_destroy(bftd_gossip *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		finish(g, &g->t[i]);
		solar_finish(g, &g->t[i]);
	}
	curl_multi_cleanup(g->multi);
	free(g->t);
	free(g);
	curl_global_cleanup();
}

bool bftd_gossip_catching_up(const bftd_gossip *g, int64_t now_mono)
{
	if (!g || !g->catchup_until_mono)
		return false;
	/* The head is unknown: no deadline, a quorum of answers (proofs_svc.h). */
	if (bftd_proofs_catchup_waiting(g->ps))
		return true;
	if (now_mono >= g->catchup_until_mono)
		return false;
	for (size_t i = 0; i < g->n; i++)
		if (!g->t[i].fetched)
			return true;
	return false;
}

static void set_common(struct target *t, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "bftimed");
	if (t->info.is_peer)
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* peers are addressed directly */
	t->errbuf[0] = 0;
}

/* The catch-up GET of this node's newest proofs from a peer. */
static void start_fetch(bftd_gossip *g, struct target *t)
{
	char url[sizeof t->url + 64];
	snprintf(url, sizeof url, "%s?node=%u&order=newest&limit=%d", t->url, g->self_id, BFTD_GOSSIP_BATCH);
	if (!(t->easy = curl_easy_init()))
		return;
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	set_common(t, t->easy);
	if (curl_multi_add_handle(g->multi, t->easy) != CURLM_OK) {
		finish(g, t);
		return;
	}
	t->in_flight = t->fetching = true;
}

/* A peer's answer as a JSON object, or NULL: at most FETCH_MAX bytes (on_write
 * held each kind of answer to its own limit), no NUL,
 * nesting at most 8 deep (our own answers need 4), nothing but whitespace
 * after the value. */
static json_object *parse_answer(const char *body, size_t len)
{
	if (!body || len == 0 || len > FETCH_MAX || memchr(body, 0, len))
		return NULL;
	json_tokener *tok = json_tokener_new_ex(8);
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	bool ok = o && json_tokener_get_error(tok) == json_tokener_success && json_object_is_type(o, json_type_object);
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

size_t bftd_gossip_parse_catchup(const char *body, size_t len, uint8_t (*out)[BFT_PROOF_MAX], size_t *lens,
                                 size_t cap)
{
	json_object *o = parse_answer(body, len), *arr;
	size_t got = 0;
	if (o && json_object_object_get_ex(o, "proofs", &arr) && json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);
		for (size_t i = 0; i < n && got < cap; i++) {
			json_object *p = json_object_array_get_idx(arr, i), *hex;
			if (!json_object_is_type(p, json_type_object) || !json_object_object_get_ex(p, "bytes", &hex) ||
			    !json_object_is_type(hex, json_type_string))
				continue;
			const char *h = json_object_get_string(hex);
			size_t hl = (size_t)json_object_get_string_len(hex);
			if (hl % 2 || hl / 2 > BFT_PROOF_MAX || hl / 2 < BFT_PROOF_MIN || bftd_unhex(out[got], h, hl / 2) != hl)
				continue;
			lens[got++] = hl / 2;
		}
	}
	json_object_put(o);
	/* Newest first as listed; oldest first as they chain. */
	for (size_t i = 0; i < got / 2; i++) {
		uint8_t tmp[BFT_PROOF_MAX];
		size_t j = got - 1 - i, tl = lens[i];
		memcpy(tmp, out[i], sizeof tmp);
		memcpy(out[i], out[j], sizeof tmp);
		memcpy(out[j], tmp, sizeof tmp);
		lens[i] = lens[j];
		lens[j] = tl;
	}
	return got;
}

bool bftd_gossip_first_is_gap(const char *body, size_t len)
{
	json_object *o = parse_answer(body, len), *results, *first, *res;
	bool gap = o && json_object_object_get_ex(o, "results", &results) &&
	           json_object_is_type(results, json_type_array) && json_object_array_length(results) > 0 &&
	           (first = json_object_array_get_idx(results, 0)) && json_object_is_type(first, json_type_object) &&
	           json_object_object_get_ex(first, "result", &res) && json_object_is_type(res, json_type_string) &&
	           !strcmp(json_object_get_string(res), "gap");
	json_object_put(o);
	return gap;
}

/* The catch-up answer: submit the proofs, oldest first (the first may be a
 * gap in our store, the rest chain onto it). We asked for a batch: a peer
 * that sends more gets its newest batch read, so a hostile peer cannot make
 * us verify more signatures than we asked for. Whatever happens, this peer
 * is done: a peer that is down must not hold up proofs for long. */
static void fetched(bftd_gossip *g, struct target *t, CURLcode cc, int64_t now_mono)
{
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	t->fetching = false;
	bool answered = status == 200 && bftd_gossip_is_catchup(t->resp, t->resp_len);
	static uint8_t bufs[BFTD_GOSSIP_BATCH][BFT_PROOF_MAX]; /* single-threaded loop */
	size_t lens[BFTD_GOSSIP_BATCH];
	size_t n = status == 200 ? bftd_gossip_parse_catchup(t->resp, t->resp_len, bufs, lens, BFTD_GOSSIP_BATCH) : 0;
	size_t got = 0;
	for (size_t i = 0; i < n; i++) {
		enum bft_store_result r;
		if (bftd_proofs_submit(g->ps, bufs[i], lens[i], &r) == 0 && (r == BFT_STORE_NEW || r == BFT_STORE_GAP))
			got++;
	}
	if (answered) {
		/* Its proofs are in the store: now it counts towards the quorum. */
		t->fetched = true;
		bftd_proofs_catchup_answer(g->ps, t->info.peer_id);
	} else {
		/* Asked again with backoff while the catch-up lasts (start_due). */
		t->fetch_at_mono = now_mono + t->fetch_backoff_ns;
		t->fetch_backoff_ns =
		        t->fetch_backoff_ns * 2 > FETCH_RETRY_MAX_NS ? FETCH_RETRY_MAX_NS : t->fetch_backoff_ns * 2;
	}
	bftd_log(answered ? LOG_INFO : LOG_NOTICE, "catch-up from peer %u: %s, %zu own proofs new to this store%s",
	         t->info.peer_id,
	         answered ? "answered" : cc != CURLE_OK ? curl_easy_strerror(cc) : status == 200 ? "not a proofs list"
	                                                                               : "refused",
	         got, answered ? "" : "; asked again with backoff");
	finish(g, t);
}

bool bftd_gossip_is_catchup(const char *body, size_t len)
{
	json_object *o = parse_answer(body, len), *arr;
	bool ok = o && json_object_object_get_ex(o, "proofs", &arr) && json_object_is_type(arr, json_type_array);
	json_object_put(o);
	return ok;
}

/* POST every piece of evidence held to peer t (at most a few: one per
 * pinned key, BFTD_EVIDENCE_MAX_POST a request). Pushed at every start to
 * every peer, retried with backoff until answered: a peer that was down, or
 * started later, gets it as soon as it answers. False when not started. */
static bool start_evidence(bftd_gossip *g, struct target *t)
{
	bftd_evidence *ev = bftd_proofs_evidence(g->ps);
	size_t n = bftd_evidence_count(ev);
	if (n > t->ev_sent + BFTD_EVIDENCE_MAX_POST)
		n = t->ev_sent + BFTD_EVIDENCE_MAX_POST;
	size_t cap = 32 + (n - t->ev_sent) * (2 * BFT_EVIDENCE_MAX + 4), len;
	char *body = malloc(cap), url[sizeof t->url + 16];
	if (!body)
		return false;
	len = (size_t)snprintf(body, cap, "{\"evidence\":[");
	for (size_t i = t->ev_sent; i < n; i++) {
		uint8_t b[BFT_EVIDENCE_MAX];
		int l = bftd_evidence_bytes(ev, i, b, sizeof b);
		if (l <= 0)
			continue;
		if (i > t->ev_sent)
			body[len++] = ',';
		body[len++] = '"';
		bftd_hex(body + len, b, (size_t)l);
		len += 2 * (size_t)l;
		body[len++] = '"';
	}
	len += (size_t)snprintf(body + len, cap - len, "]}");
	/* the peer's API base: t->url ends in /v1/proofs */
	snprintf(url, sizeof url, "%.*s/v1/evidence", (int)(strlen(t->url) - strlen("/v1/proofs")), t->url);
	t->easy = curl_easy_init();
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!t->easy || !t->headers) {
		free(body);
		finish(g, t);
		return false;
	}
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS, body);
	set_common(t, t->easy);
	free(body);
	if (curl_multi_add_handle(g->multi, t->easy) != CURLM_OK) {
		finish(g, t);
		return false;
	}
	t->in_flight = t->posting_ev = true;
	t->ev_batch = n;
	return true;
}

/* A 4xx that says "not now" rather than "no": 408 (the peer gave up
 * waiting) and 429 (its rate limit, which nodes behind one address share).
 * Retried with backoff like a 5xx; they were taken as final refusals, the
 * evidence counted delivered and the proofs skipped (found by review). */
static bool temporary(long status) { return status == 408 || status == 429; }

/* Answered (2xx, or 4xx: the peer refused it, e.g. a key it does not pin;
 * resending cannot help): those pieces are sent. Else retry with backoff. */
static void evidence_posted(bftd_gossip *g, struct target *t, CURLcode cc, int64_t now_mono)
{
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	t->posting_ev = false;
	if (cc == CURLE_OK && status >= 200 && status < 500 && !temporary(status)) {
		if (status >= 300)
			bftd_log(LOG_NOTICE, "gossip: peer %u refused evidence with HTTP %ld: %.200s", t->info.peer_id, status,
			         t->resp ? t->resp : "");
		else
			bftd_log(LOG_INFO, "gossip: evidence delivered to peer %u", t->info.peer_id);
		t->ev_sent = t->ev_batch;
		t->retry_at_mono = 0;
		t->backoff_ns = RETRY_MIN_NS;
	} else {
		t->retry_at_mono = now_mono + t->backoff_ns;
		t->backoff_ns = t->backoff_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : t->backoff_ns * 2;
	}
	finish(g, t);
}

void bftd_gossip_announce(bftd_gossip *g)
{
	/* The head is read from the proof service at every service call; this
	 * is where a push-on-issue policy (e.g. immediate vs. batched) would go. */
	(void)g;
}

/* Start a POST of own proofs [next_seq, min(next_seq + BATCH - 1, head)].
 * False when it could not (out of memory, curl refused the transfer). */
static bool start(bftd_gossip *g, struct target *t, uint64_t head)
{
	uint64_t from = t->info.next_seq, to = head;
	if (to - from >= BFTD_GOSSIP_BATCH)
		to = from + BFTD_GOSSIP_BATCH - 1;
	size_t cap = 32 + (size_t)(to - from + 1) * (2 * BFT_PROOF_MAX + 4);
	char *body = malloc(cap);
	if (!body)
		return false;
	size_t len = (size_t)snprintf(body, cap, "{\"proofs\":[");
	uint64_t sent = 0;
	for (uint64_t s = from; s <= to; s++) {
		uint8_t buf[BFT_PROOF_MAX];
		int l = bft_store_get(bftd_proofs_store(g->ps), g->self_id, s, buf, sizeof buf);
		if (l <= 0)
			continue; /* not stored (cannot happen for own proofs below the head) */
		body[len++] = sent ? ',' : ' ';
		body[len++] = '"';
		bftd_hex(body + len, buf, (size_t)l);
		len += 2 * (size_t)l;
		body[len++] = '"';
		sent++;
	}
	len += (size_t)snprintf(body + len, cap - len, "]}");
	if (!sent) {
		free(body);
		t->info.next_seq = to + 1;
		return true;
	}
	t->easy = curl_easy_init();
	t->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!t->easy || !t->headers) {
		free(body);
		finish(g, t);
		return false;
	}
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, t->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	set_common(t, e);
	free(body);
	if (curl_multi_add_handle(g->multi, e) != CURLM_OK) {
		finish(g, t);
		return false;
	}
	t->in_flight = true;
	t->batch_from = from;
	t->batch_to = to;
	t->info.posts++;
	g->stats.posts++;
	return true;
}

/* Where the cursor goes after a 2xx: back a batch when the peer lacks the
 * predecessor of the batch's first proof, else past the batch. The walk
 * back only goes down: a batch answered "gap" again before the peer took
 * one at or above it (a peer that says "gap" whatever it is sent) goes
 * past, counted, so that no peer keeps a node re-sending the same batches
 * for ever, with no backoff between (found by review). */
static uint64_t next_after(struct target *t)
{
	uint64_t past = t->batch_to + 1;
	if (!t->info.is_peer || !t->resp)
		return past;
	bool gap = t->batch_from > 0 && bftd_gossip_first_is_gap(t->resp, t->resp_len);
	if (!gap) {
		if (t->batch_from >= t->gap_low)
			t->gap_low = UINT64_MAX; /* taken where it said gap: the walk is over */
		return past;
	}
	if (t->batch_from >= t->gap_low) {
		t->info.gap_loops++;
		return past;
	}
	t->gap_low = t->batch_from;
	return t->batch_from > BFTD_GOSSIP_BATCH ? t->batch_from - BFTD_GOSSIP_BATCH : 0;
}

static void completed(bftd_gossip *g, struct target *t, CURLcode cc, int64_t now_mono)
{
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	t->info.last_status = status;
	if (cc == CURLE_OK && status >= 200 && status < 300) {
		t->info.ok++;
		g->stats.ok++;
		t->info.proofs_sent += t->batch_to - t->batch_from + 1;
		g->stats.proofs_sent += t->batch_to - t->batch_from + 1;
		t->info.last_ok_mono = now_mono;
		t->info.last_error = NULL;
		t->info.next_seq = next_after(t);
		t->backoff_ns = RETRY_MIN_NS;
		t->retry_at_mono = 0;
		if (t->warned)
			bftd_log(LOG_NOTICE, "gossip to %s works again", t->url);
		t->warned = false;
	} else if (cc == CURLE_OK && status >= 400 && status < 500 && !temporary(status)) {
		/* The target refused the proofs (a fork or chain error it holds):
		 * resending cannot help; move on and say so. */
		t->info.failed++;
		g->stats.failed++;
		t->info.last_error = "refused";
		bftd_log(LOG_WARNING, "gossip: %s refused own proofs %llu..%llu with HTTP %ld: %.200s", t->url,
		         (unsigned long long)t->batch_from, (unsigned long long)t->batch_to, status,
		         t->resp ? t->resp : "");
		t->info.next_seq = t->batch_to + 1;
	} else {
		t->info.failed++;
		g->stats.failed++;
		t->info.last_error = cc != CURLE_OK ? curl_easy_strerror(cc) : temporary(status) ? "busy (408 or 429)" : "server error";
		if (!t->warned)
			bftd_log(LOG_NOTICE, "gossip to %s failed (%s%s%s); retrying with backoff", t->url,
			         t->info.last_error, t->errbuf[0] ? ": " : "", t->errbuf);
		t->warned = true;
		t->retry_at_mono = now_mono + t->backoff_ns;
		t->backoff_ns = t->backoff_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : t->backoff_ns * 2;
	}
	finish(g, t);
}

/* Whether target t can start a POST at now: not busy, behind the head,
 * and not backing off. */
static bool due(const struct target *t, bool have, uint64_t head, int64_t now_mono)
{
	return have && !t->in_flight && t->info.next_seq <= head && (!t->retry_at_mono || now_mono >= t->retry_at_mono);
}

/* Whether peer target t lacks evidence this node holds and can be sent it now. */
static bool ev_due(const bftd_gossip *g, const struct target *t, int64_t now_mono)
{
	return t->info.is_peer && !t->in_flight && t->ev_sent < bftd_evidence_count(bftd_proofs_evidence(g->ps)) &&
	       (!t->retry_at_mono || now_mono >= t->retry_at_mono);
}

static void start_due(bftd_gossip *g, int64_t now_mono)
{
	/* The catch-up: every peer until it answered, failures asked again
	 * with backoff, as long as the catch-up lasts; then it is over for the
	 * peers that never answered. */
	bool catching = bftd_gossip_catching_up(g, now_mono);
	for (size_t i = 0; i < g->n; i++) {
		struct target *t = &g->t[i];
		if (t->fetched || t->in_flight)
			continue;
		if (!catching)
			t->fetched = true; /* gave up: the node issues without its answer */
		else if (now_mono >= t->fetch_at_mono)
			start_fetch(g, t);
	}
	/* Evidence before proofs, whatever the catch-up: a peer that has not
	 * seen it may still be accepting a faulty key's proofs. */
	for (size_t i = 0; i < g->n; i++)
		if (ev_due(g, &g->t[i], now_mono) && !start_evidence(g, &g->t[i])) {
			g->t[i].retry_at_mono = now_mono + g->t[i].backoff_ns;
			g->t[i].backoff_ns = g->t[i].backoff_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : g->t[i].backoff_ns * 2;
		}
	if (bftd_gossip_catching_up(g, now_mono))
		return; /* pushes after: the head may still move */
	uint64_t head = 0;
	bool have = bftd_proofs_head(g->ps, &head, NULL, NULL);
	for (size_t i = 0; i < g->n; i++) {
		struct target *t = &g->t[i];
		/* A batch of proofs missing from the store is skipped by start();
		 * bound the work per call anyway. */
		for (int k = 0; k < 4 && due(t, have, head, now_mono); k++) {
			t->retry_at_mono = 0;
			if (!start(g, t, head)) {
				/* not started: try again later, not at once (the loop's
				 * poll timeout would be 0 while it stays due) */
				t->retry_at_mono = now_mono + t->backoff_ns;
				t->backoff_ns = t->backoff_ns * 2 > RETRY_MAX_NS ? RETRY_MAX_NS : t->backoff_ns * 2;
				break;
			}
		}
	}
}

size_t bftd_gossip_pollfds(bftd_gossip *g, struct pollfd *out, size_t cap)
{
	size_t n = g->n_fds < cap ? g->n_fds : cap;
	memcpy(out, g->fds, n * sizeof *out);
	return n;
}

int bftd_gossip_timeout_ms(bftd_gossip *g, int64_t now_mono)
{
	int64_t deadline = g->timer_mono;
	uint64_t head = 0;
	bool have = bftd_proofs_head(g->ps, &head, NULL, NULL);
	for (size_t i = 0; i < g->n; i++) {
		const struct target *t = &g->t[i];
		if (due(t, have, head, now_mono) || ev_due(g, t, now_mono))
			return 0;
		if (!t->in_flight && t->ev_sent < bftd_evidence_count(bftd_proofs_evidence(g->ps)) &&
		    t->retry_at_mono < deadline)
			deadline = t->retry_at_mono;
		if (!t->fetched && !t->in_flight && t->fetch_at_mono < deadline)
			deadline = t->fetch_at_mono;
		if (have && !t->in_flight && t->info.next_seq <= head && t->retry_at_mono < deadline)
			deadline = t->retry_at_mono;
	}
	if (deadline == INT64_MAX)
		return -1;
	if (deadline <= now_mono)
		return 0;
	int64_t ms = (deadline - now_mono + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

void bftd_gossip_service(bftd_gossip *g, const struct pollfd *pfds, size_t n, int64_t now_mono)
{
	int running = 0;
	for (size_t i = 0; i < n; i++) {
		if (!pfds[i].revents)
			continue;
		int ev = (pfds[i].revents & POLLIN ? CURL_CSELECT_IN : 0) | (pfds[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0) |
		         (pfds[i].revents & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(g->multi, pfds[i].fd, ev, &running);
	}
	if (g->timer_mono != INT64_MAX && now_mono >= g->timer_mono) {
		g->timer_mono = INT64_MAX;
		curl_multi_socket_action(g->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(g->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct target *t = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		if (t && m->easy_handle == t->solar_easy)
			solar_done(g, t, m->data.result);
		else if (t && t->fetching)
			fetched(g, t, m->data.result, now_mono);
		else if (t && t->posting_ev)
			evidence_posted(g, t, m->data.result, now_mono);
		else if (t)
			completed(g, t, m->data.result, now_mono);
	}
	start_due(g, now_mono);
}

size_t bftd_gossip_targets(const bftd_gossip *g, bftd_gossip_target_info *out, size_t cap)
{
	for (size_t i = 0; i < g->n && i < cap; i++)
		out[i] = g->t[i].info;
	return g->n;
}

const bftd_gossip_stats *bftd_gossip_get_stats(const bftd_gossip *g) { return &g->stats; }
