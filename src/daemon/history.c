/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's bounded history (history.h). A ring of fixed-size samples
 * and one block of source entries behind it, both allocated once: the loop
 * records without allocating, and a page that polls is answered only the
 * samples it lacks. The JSON is columnar (one array per series) and
 * printed without indentation: an hour of samples is about a megabyte
 * that way, three times that pretty-printed.
 */
#include "daemon/history.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/config.h"
#include "daemon/status.h"
#include "util/value.h"

#define NONE INT64_MIN /* no value: null in the JSON */

/* A source at a sample. state: 'u' used, 'r' fresh but rejected (its
 * interval misses the fused one), 'q' quarantined (reference), 's' stale. */
struct hsrc {
	int64_t off_ns, width_ns;
	uint32_t id;
	uint8_t peer;
	char state;
};

struct sample {
	uint64_t seq;          /* 1, 2, ...: the sample's number since start */
	int64_t raw_ns, rt_ns; /* when the snapshot was filled */
	int64_t est_off_ns;    /* estimate - CLOCK_REALTIME (NONE: not synchronized) */
	int64_t lo_ns, hi_ns;  /* the fused interval, relative to the estimate */
	int64_t freq_ppb;
	int64_t precision_ns;  /* the agreement's stated precision (NONE: not running) */
	uint8_t synced, alarm;
	uint32_t n_src;
};

struct bftd_history {
	struct sample s[BFTD_HISTORY_CAP];
	struct hsrc *src; /* BFTD_HISTORY_CAP x per */
	size_t per;       /* source entries per sample */
	uint64_t seq;     /* of the newest sample; 0: none yet */
};

int bftd_history_create(bftd_history **out, size_t n_sources)
{
	bftd_history *h = calloc(1, sizeof *h);
	if (!h)
		return BFT_ENOMEM;
	h->per = n_sources + 1;
	h->src = calloc(BFTD_HISTORY_CAP, h->per * sizeof *h->src);
	if (!h->src) {
		free(h);
		return BFT_ENOMEM;
	}
	*out = h;
	return 0;
}

void bftd_history_destroy(bftd_history *h)
{
	if (!h)
		return;
	free(h->src);
	free(h);
}

static const struct sample *at(const bftd_history *h, uint64_t seq) { return &h->s[(seq - 1) % BFTD_HISTORY_CAP]; }
static const struct hsrc *src_at(const bftd_history *h, uint64_t seq)
{
	return &h->src[((seq - 1) % BFTD_HISTORY_CAP) * h->per];
}

void bftd_history_record(bftd_history *h, const bftd_status *st)
{
	if (!h || !st->filled)
		return;
	if (h->seq && st->raw_ns - at(h, h->seq)->raw_ns < BFTD_HISTORY_STEP_NS)
		return;
	uint64_t seq = h->seq + 1;
	size_t slot = (seq - 1) % BFTD_HISTORY_CAP;
	struct sample *s = &h->s[slot];
	const bft_estimate *e = &st->e;
	*s = (struct sample){ .seq = seq, .raw_ns = st->raw_ns, .rt_ns = st->rt_ns, .est_off_ns = NONE,
		              .lo_ns = NONE, .hi_ns = NONE, .freq_ppb = st->ok ? e->freq_ppb : 0,
		              .precision_ns = NONE, .synced = st->synced, .alarm = st->ok && e->alarm };
	if (st->synced) {
		s->est_off_ns = bft_sat_sub(e->estimate_ns, st->rt_ns);
		s->lo_ns = bft_sat_sub(e->bounds.lo_ns, e->estimate_ns);
		s->hi_ns = bft_sat_sub(e->bounds.hi_ns, e->estimate_ns);
	}
	if (st->ok && e->net_running && e->precision_ns > 0)
		s->precision_ns = e->precision_ns;
	int64_t our_off = bft_sat_sub(e->estimate_ns, st->raw_ns); /* estimate - raw */
	struct hsrc *d = &h->src[slot * h->per];
	size_t n = st->n_src < h->per ? st->n_src : h->per;
	for (size_t i = 0; i < n; i++) {
		const bft_source_info *si = &st->src[i];
		struct hsrc *o = &d[i];
		o->id = si->id;
		o->peer = si->is_peer;
		o->state = si->quarantine != BFT_Q_NONE ? 'q' : !si->fresh ? 's' : si->used ? 'u' : 'r';
		o->off_ns = si->fresh && st->synced ? bft_sat_sub(bft_iv_mid(si->offset), our_off) : NONE;
		o->width_ns = si->fresh ? bft_iv_width(si->offset) : NONE;
	}
	s->n_src = (uint32_t)n;
	h->seq = seq;
}

int bftd_history_parse_query(const bftd_http_request *req, int64_t *window_ns, uint64_t *after, char *err,
                             size_t errlen)
{
	*window_ns = 15LL * 60 * 1000000000;
	*after = 0;
	char e[120];
	const char *w = NULL, *a = NULL;
	for (size_t i = 0; i < req->n_args; i++) {
		if (!strcmp(req->arg_name[i], "window"))
			w = req->arg_value[i] ? req->arg_value[i] : "";
		else if (!strcmp(req->arg_name[i], "after"))
			a = req->arg_value[i] ? req->arg_value[i] : "";
	}
	if (w && bft_value_duration(w, 1000000000, BFTD_HISTORY_MAX_WINDOW_NS, window_ns, e, sizeof e) != 0) {
		snprintf(err, errlen, "window: %s", e);
		return BFT_EINVAL;
	}
	int64_t v;
	if (a) {
		if (bft_value_int(a, 0, INT64_MAX, &v, e, sizeof e) != 0) {
			snprintf(err, errlen, "after: %s", e);
			return BFT_EINVAL;
		}
		*after = (uint64_t)v;
	}
	return 0;
}

static void push(json_object *arr, int64_t v)
{
	json_object_array_add(arr, v == NONE ? NULL : json_object_new_int64(v));
}

/* The entry of source (peer, id) in a sample; its index there is
 * usually the source's own (the node lists its sources in a fixed order),
 * so the search starts there. */
static const struct hsrc *find(const bftd_history *h, uint64_t seq, bool peer, uint32_t id, size_t hint)
{
	const struct hsrc *d = src_at(h, seq);
	uint32_t n = at(h, seq)->n_src;
	if (hint < n && d[hint].peer == peer && d[hint].id == id)
		return &d[hint];
	for (uint32_t i = 0; i < n; i++)
		if (d[i].peer == peer && d[i].id == id)
			return &d[i];
	return NULL;
}

json_object *bftd_history_json(const bftd_history *h, const bftd_config *cfg, int64_t window_ns, uint64_t after)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "node", json_object_new_int64(cfg->id));
	json_object_object_add(o, "capacity", json_object_new_int64(BFTD_HISTORY_CAP));
	json_object_object_add(o, "step_ns", json_object_new_int64(BFTD_HISTORY_STEP_NS));
	json_object_object_add(o, "window_ns", json_object_new_int64(window_ns));
	uint64_t last = h ? h->seq : 0, first = last ? last : 1; /* first > last: none */
	/* Back from the newest: within the window, after `after`, still in the ring. */
	if (last) {
		int64_t newest_raw = at(h, last)->raw_ns;
		while (first > 1 && first - 1 > after && last - (first - 1) < BFTD_HISTORY_CAP &&
		       newest_raw - at(h, first - 1)->raw_ns <= window_ns)
			first--;
		if (first <= after)
			first = last + 1; /* nothing new */
	}
	/* Every stride-th sample, ending on the newest, within the limits. */
	size_t n_src = cfg->n_peers + cfg->n_refs;
	uint64_t count = first <= last ? last - first + 1 : 0, max_pts = BFTD_HISTORY_MAX_CELLS / (n_src + 1);
	if (max_pts > BFTD_HISTORY_MAX_POINTS)
		max_pts = BFTD_HISTORY_MAX_POINTS;
	if (max_pts < 2)
		max_pts = 2;
	uint64_t stride = count > max_pts ? (count + max_pts - 1) / max_pts : 1;
	if (count)
		first += (count - 1) % stride;
	json_object_object_add(o, "last_seq", json_object_new_int64((int64_t)last));
	json_object_object_add(o, "first_seq", json_object_new_int64((int64_t)first));
	json_object_object_add(o, "stride", json_object_new_int64((int64_t)stride));
	static const char *const keys[] = { "offset_ns", "lo_ns", "hi_ns", "freq_ppb", "precision_ns" };
	json_object *t = json_object_new_array(), *sy = json_object_new_array(), *al = json_object_new_array();
	json_object *col[5];
	for (int k = 0; k < 5; k++)
		col[k] = json_object_new_array();
	for (uint64_t q = first; q <= last; q += stride) {
		const struct sample *s = at(h, q);
		/* ms since the epoch as a double: exact to a microsecond, which
		 * the page's time axis needs; ns would not survive a JS number. */
		json_object_array_add(t, json_object_new_double((double)(s->rt_ns / 1000) / 1000.0));
		json_object_array_add(sy, json_object_new_boolean(s->synced));
		json_object_array_add(al, json_object_new_boolean(s->alarm));
		push(col[0], s->est_off_ns);
		push(col[1], s->lo_ns);
		push(col[2], s->hi_ns);
		push(col[3], s->freq_ppb);
		push(col[4], s->precision_ns);
	}
	json_object_object_add(o, "t_ms", t);
	json_object_object_add(o, "synced", sy);
	json_object_object_add(o, "alarm", al);
	for (int k = 0; k < 5; k++)
		json_object_object_add(o, keys[k], col[k]);
	json_object *srcs = json_object_new_array();
	size_t len = first <= last ? (size_t)((last - first) / stride + 1) : 0;
	for (size_t i = 0; i < n_src; i++) {
		bool peer = i < cfg->n_peers;
		uint32_t id = peer ? cfg->peers[i].id : (uint32_t)(i - cfg->n_peers);
		json_object *so = json_object_new_object(), *off = json_object_new_array(), *w = json_object_new_array();
		json_object_object_add(so, "type", json_object_new_string(peer ? "peer" : "reference"));
		json_object_object_add(so, "id", json_object_new_int64(id));
		if (!peer)
			json_object_object_add(so, "name", json_object_new_string(cfg->refs[id].name));
		char *state = malloc(len + 1);
		size_t j = 0;
		for (uint64_t q = first; q <= last; q += stride, j++) {
			const struct hsrc *e = find(h, q, peer, id, i);
			push(off, e ? e->off_ns : NONE);
			push(w, e ? e->width_ns : NONE);
			if (state)
				state[j] = e ? e->state : '-';
		}
		if (state)
			state[len] = 0;
		json_object_object_add(so, "offset_ns", off);
		json_object_object_add(so, "width_ns", w);
		/* One letter a sample: u used, r rejected, q quarantined, s stale, - absent. */
		json_object_object_add(so, "state", state ? json_object_new_string(state) : NULL);
		free(state);
		json_object_array_add(srcs, so);
	}
	json_object_object_add(o, "sources", srcs);
	return o;
}
