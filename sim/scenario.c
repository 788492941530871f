/* SPDX-License-Identifier: MIT */
/*
 * Scenario loader: libyaml's document API, then a walk over the tree with
 * one small parser per section. Every value error names file:line, and
 * unknown keys are errors too, so a typo never silently runs the default.
 * Durations are "250ms", "2s", "1h", "20us", "5ns", "3m": a decimal and a
 * unit (bft_duration_parse); a bare number is refused, but for 0.
 */
#include "util/value.h"
#include "util/yamlkit.h"
#include "sim/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "daemon/config.h" /* bftimed's clock defaults (node.defaults: bftimed) */

typedef struct ctx {
	yaml_document_t *doc;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
} ctx;

static int fail(ctx *c, yaml_node_t *n, const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = 1;
	int k = snprintf(c->err, c->errlen, "%s:%lu: ", c->path, n ? (unsigned long)n->start_mark.line + 1 : 0UL);
	if (k < 0 || (size_t)k >= c->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *node_at(ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

static const char *scalar(const yaml_node_t *n) { return bft_yaml_scalar(n); }

static char *xstrdup(const char *s)
{
	size_t l = strlen(s) + 1;
	char *d = malloc(l);
	if (d)
		memcpy(d, s, l);
	return d;
}

/* ---- value parsers -------------------------------------------------- */

/* The one duration grammar (src/util/value.h: a decimal and a unit, ns us
 * ms s m h, or a bare 0). 0, -1 bad number, -2 bad unit, -3 out of range. */
static int parse_duration(const char *s, int64_t *out)
{
	int rc = bft_duration_parse(out, s);
	if (rc == BFT_ERANGE)
		return -3;
	if (rc == 0)
		return 0;
	const char *end;
	int64_t v;
	/* a number with something else after it: the unit is what is wrong */
	if (bft_decimal_parse(s, 9, &v, &end) == 0 && *end)
		return -2;
	return -1;
}

int sim_parse_duration(const char *s, int64_t *out)
{
	return s && parse_duration(s, out) == 0 ? 0 : -1;
}

/* A signed duration (offsets, lies). */
static int p_sduration(ctx *c, yaml_node_t *n, int64_t *out)
{
	const char *s = scalar(n);
	if (!s)
		return fail(c, n, "expected a duration");
	switch (parse_duration(s, out)) {
	case 0:
		return 0;
	case -2:
		return fail(c, n, "bad duration unit in '%s' (ns, us, ms, s, m, h)", s);
	case -3:
		return fail(c, n, "duration '%s' out of range", s);
	default:
		return fail(c, n, "bad duration '%s'", s);
	}
}

/* Every other duration (times, delays, jitter, periods) is non-negative. */
static int p_duration(ctx *c, yaml_node_t *n, int64_t *out)
{
	int64_t v;
	if (p_sduration(c, n, &v))
		return -1;
	if (v < 0)
		return fail(c, n, "duration '%s' must not be negative", scalar(n));
	*out = v;
	return 0;
}

/* A rate in ppb: |rate| <= 1e9 (one second per second), so lies stay finite. */
static int p_rate(ctx *c, yaml_node_t *n, int64_t *out)
{
	const char *s = scalar(n);
	char *end;
	if (!s)
		return fail(c, n, "expected a rate in ppb");
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < -1000000000LL || v > 1000000000LL)
		return fail(c, n, "bad rate '%s' (integer ppb in [-1e9, 1e9])", s);
	*out = v;
	return 0;
}

static int p_double(ctx *c, yaml_node_t *n, double *out)
{
	const char *s = scalar(n);
	char *end;
	if (!s)
		return fail(c, n, "expected a number");
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return fail(c, n, "bad number '%s'", s);
	*out = v;
	return 0;
}

static int p_size(ctx *c, yaml_node_t *n, size_t *out)
{
	const char *s = scalar(n);
	char *end;
	if (!s)
		return fail(c, n, "expected a count");
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *end || errno || s[0] == '-' || v > 100000000ULL)
		return fail(c, n, "bad count '%s'", s);
	*out = (size_t)v;
	return 0;
}

static int p_i64(ctx *c, yaml_node_t *n, int64_t *out)
{
	const char *s = scalar(n);
	char *end;
	if (!s)
		return fail(c, n, "expected an integer");
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno)
		return fail(c, n, "bad integer '%s'", s);
	*out = v;
	return 0;
}

static int p_bool(ctx *c, yaml_node_t *n, bool *out)
{
	char e[64];
	return bft_value_bool(scalar(n), out, e, sizeof e) ? fail(c, n, "%s", e) : 0;
}

static int p_string(ctx *c, yaml_node_t *n, char **out)
{
	const char *s = scalar(n);
	if (!s)
		return fail(c, n, "expected a string");
	free(*out);
	*out = xstrdup(s);
	return *out ? 0 : fail(c, n, "out of memory");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* A key given twice in one mapping is an error (the first would leak or be
 * silently overridden). */
static int dup_key(ctx *c, yaml_node_t *map, yaml_node_pair_t *p)
{
	const yaml_node_t *prev = bft_yaml_dup_key(c->doc, map, (size_t)(p - map->data.mapping.pairs.start));
	if (prev)
		return fail(c, node_at(c, p->key), "duplicate key '%s' (first at line %lu)", scalar(node_at(c, p->key)),
		            (unsigned long)prev->start_mark.line + 1);
	return 0;
}

/* A node set: "all", "none", [ids], {count: k, spread: bool}, {fraction: x}. */
static int p_set(ctx *c, yaml_node_t *n, sim_set *out)
{
	free(out->ids);
	memset(out, 0, sizeof *out);
	out->line = n ? (unsigned)n->start_mark.line + 1 : 0;
	const char *s = scalar(n);
	if (s) {
		if (!strcmp(s, "all")) {
			out->kind = SIM_SET_ALL;
			return 0;
		}
		if (!strcmp(s, "none")) {
			out->kind = SIM_SET_NONE;
			return 0;
		}
		size_t id;
		if (p_size(c, n, &id))
			return -1;
		out->kind = SIM_SET_LIST;
		out->ids = malloc(sizeof *out->ids);
		if (!out->ids)
			return fail(c, n, "out of memory");
		out->ids[0] = (uint32_t)id;
		out->n_ids = 1;
		return 0;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
		out->kind = SIM_SET_LIST;
		out->ids = calloc(len ? len : 1, sizeof *out->ids);
		if (!out->ids)
			return fail(c, n, "out of memory");
		for (size_t i = 0; i < len; i++) {
			size_t id;
			if (p_size(c, node_at(c, n->data.sequence.items.start[i]), &id))
				return -1;
			out->ids[i] = (uint32_t)id;
		}
		out->n_ids = len;
		qsort(out->ids, len, sizeof *out->ids, cmp_u32);
		return 0;
	}
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const char *k = scalar(node_at(c, p->key));
			if (dup_key(c, n, p))
				return -1;
			yaml_node_t *v = node_at(c, p->value);
			if (k && !strcmp(k, "count")) {
				out->kind = SIM_SET_COUNT;
				if (p_size(c, v, &out->count))
					return -1;
			} else if (k && !strcmp(k, "fraction")) {
				out->kind = SIM_SET_FRACTION;
				if (p_double(c, v, &out->fraction))
					return -1;
				if (out->fraction < 0 || out->fraction > 1)
					return fail(c, v, "fraction must be in [0, 1]");
			} else if (k && !strcmp(k, "spread")) {
				if (p_bool(c, v, &out->spread))
					return -1;
			} else if (k && !strcmp(k, "per_neighbourhood")) {
				out->kind = SIM_SET_COUNT;
				if (p_size(c, v, &out->per_nbhd))
					return -1;
				if (!out->per_nbhd)
					return fail(c, v, "per_neighbourhood must be at least 1");
			} else if (k && !strcmp(k, "placement")) {
				const char *pl = scalar(v);
				if (pl && !strcmp(pl, "clustered"))
					out->clustered = true;
				else if (!pl || strcmp(pl, "spread"))
					return fail(c, v, "placement: spread or clustered");
			} else {
				return fail(c, node_at(c, p->key),
				            "unknown key '%s' in a node set (count, fraction, spread, per_neighbourhood, placement)",
				            k ? k : "?");
			}
		}
		if (out->kind == SIM_SET_NONE)
			return fail(c, n, "a node set mapping needs count or fraction");
		return 0;
	}
	return fail(c, n, "expected a node set: all, none, an id, [ids], {count: k} or {fraction: x}");
}

static int p_windows(ctx *c, yaml_node_t *n, sim_window **out, size_t *nout);

/* ---- mapping walker -------------------------------------------------- */

typedef int (*field_fn)(ctx *c, yaml_node_t *v, void *obj);
typedef struct field {
	const char *key;
	field_fn fn;
} field;

static int walk(ctx *c, yaml_node_t *n, const field *fields, void *obj, const char *what)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping", what);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node_at(c, p->key);
		const char *k = scalar(kn);
		if (dup_key(c, n, p))
			return -1;
		const field *f = fields;
		while (f->key && (!k || strcmp(f->key, k)))
			f++;
		if (!f->key) {
			char known[512] = "";
			size_t used = 0;
			for (const field *g = fields; g->key; g++) {
				int w = snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", g->key);
				if (w < 0 || (size_t)w >= sizeof known - used)
					break;
				used += (size_t)w;
			}
			return fail(c, kn, "unknown key '%s' in %s (known: %s)", k ? k : "?", what, known);
		}
		if (f->fn(c, node_at(c, p->value), obj))
			return -1;
	}
	return 0;
}

typedef int (*item_fn)(ctx *c, yaml_node_t *item, void *arr, size_t i);

static int seq(ctx *c, yaml_node_t *n, void **arr, size_t *count, size_t elem, item_fn fn, const char *what)
{
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list", what);
	size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	void *a = calloc(len ? len : 1, elem);
	if (!a)
		return fail(c, n, "out of memory");
	*arr = a;
	*count = len;
	for (size_t i = 0; i < len; i++)
		if (fn(c, node_at(c, n->data.sequence.items.start[i]), a, i))
			return -1;
	return 0;
}

#define S(obj) ((sim_scenario *)(obj))
#define DUR(name, field_)                                                                                    \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &S(o)->field_); }

/* ---- top-level fields ------------------------------------------------ */

static int f_name(ctx *c, yaml_node_t *v, void *o) { return p_string(c, v, &S(o)->name); }
static int f_desc(ctx *c, yaml_node_t *v, void *o) { return p_string(c, v, &S(o)->description); }
static int f_seed(ctx *c, yaml_node_t *v, void *o)
{
	int64_t s = 0;
	if (p_i64(c, v, &s))
		return -1;
	if (s < 0)
		return fail(c, v, "seed must not be negative");
	S(o)->seed = (uint64_t)s;
	return 0;
}
DUR(f_duration, duration_ns)
DUR(f_warmup, warmup_ns)
DUR(f_sample, sample_ns)
DUR(f_poll, poll_ns)
static int f_nodes(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &S(o)->nodes))
		return -1;
	return S(o)->nodes ? 0 : fail(c, v, "nodes must be at least 1");
}
static int f_compare(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &S(o)->compare_honest); }
static int f_crypto(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "sim"))
		S(o)->ed25519 = false;
	else if (s && !strcmp(s, "ed25519"))
		S(o)->ed25519 = true;
	else
		return fail(c, v, "crypto: sim or ed25519");
	return 0;
}
static int f_engine(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "fusion"))
		S(o)->engine = BFT_ENGINE_FUSION;
	else if (s && !strcmp(s, "median"))
		S(o)->engine = BFT_ENGINE_MEDIAN;
	else if (s && !strcmp(s, "nakamoto"))
		S(o)->engine = BFT_ENGINE_NAKAMOTO;
	else
		return fail(c, v, "engine: fusion, median or nakamoto");
	return 0;
}
static int f_alg(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "marzullo"))
		S(o)->alg = BFT_ALG_MARZULLO;
	else if (s && !strcmp(s, "brooks_iyengar"))
		S(o)->alg = BFT_ALG_BROOKS_IYENGAR;
	else if (s && !strcmp(s, "ft_midpoint"))
		S(o)->alg = BFT_ALG_FT_MIDPOINT;
	else
		return fail(c, v, "alg: marzullo, brooks_iyengar or ft_midpoint");
	return 0;
}
static int f_f(ctx *c, yaml_node_t *v, void *o) { return p_size(c, v, &S(o)->f); }
/* topology: {graph: ring|random_regular|small_world, rewire: x} (docs/simulator.md) */
static int t_graph(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "ring"))
		S(o)->topology = SIM_TOPO_RING;
	else if (s && !strcmp(s, "random_regular"))
		S(o)->topology = SIM_TOPO_RANDOM_REGULAR;
	else if (s && !strcmp(s, "small_world"))
		S(o)->topology = SIM_TOPO_SMALL_WORLD;
	else
		return fail(c, v, "graph: ring, random_regular or small_world");
	return 0;
}
static int t_rewire(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->rewire))
		return -1;
	return S(o)->rewire >= 0 && S(o)->rewire <= 1 ? 0 : fail(c, v, "rewire in [0, 1]");
}
static const field topo_fields[] = { { "graph", t_graph }, { "rewire", t_rewire }, { NULL, NULL } };
static int f_topo(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, topo_fields, o, "topology"); }
static int f_peers(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "all")) {
		S(o)->peers = 0;
		S(o)->no_peers = false;
		return 0;
	}
	if (s && !strcmp(s, "none")) {
		S(o)->no_peers = true;
		return 0;
	}
	if (p_size(c, v, &S(o)->peers))
		return -1;
	if (S(o)->peers % 2)
		return fail(c, v, "peers: %zu is odd; ring peers are k/2 on each side, so k must be even (or all, none)",
		            S(o)->peers);
	S(o)->no_peers = S(o)->peers == 0;
	return 0;
}

/* node: */
DUR(n_dmin, node_dmin_ns)
DUR(n_dmax, node_dmax_ns)
DUR(n_stamp, stamp_err_ns)
DUR(n_maxerr, max_err_ns)
DUR(n_maxage, max_age_ns)
static int n_rho(ctx *c, yaml_node_t *v, void *o)
{
	double ppm;
	if (p_double(c, v, &ppm))
		return -1;
	if (ppm < 0 || ppm > 1000)
		return fail(c, v, "rho_ppm in [0, 1000]");
	S(o)->rho_ppb = (int64_t)llround(ppm * 1000);
	S(o)->rho_given = true;
	return 0;
}
static int n_defaults(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "library"))
		S(o)->bftimed_defaults = false;
	else if (s && !strcmp(s, "bftimed"))
		S(o)->bftimed_defaults = true;
	else
		return fail(c, v, "defaults: library or bftimed");
	return 0;
}
static int n_history(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &S(o)->history_len))
		return -1;
	return S(o)->history_len >= 2 && S(o)->history_len <= 4096 ? 0 : fail(c, v, "history in [2, 4096]");
}
DUR(n_hspan, history_span_ns)
static const field node_fields[] = {
	{ "dmin", n_dmin }, { "dmax", n_dmax }, { "stamp_err", n_stamp }, { "max_err", n_maxerr },
	{ "max_age", n_maxage }, { "rho_ppm", n_rho }, { "defaults", n_defaults }, { "history", n_history },
	{ "history_span", n_hspan }, { NULL, NULL },
};
static int f_node(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, node_fields, o, "node"); }

/* oscillator: */
static int o_freq(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->freq_ppm))
		return -1;
	return S(o)->freq_ppm >= 0 && S(o)->freq_ppm <= 1000 ? 0 : fail(c, v, "freq_ppm in [0, 1000]");
}
static int o_meanfreq(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->mean_freq_ppm))
		return -1;
	return fabs(S(o)->mean_freq_ppm) <= 1000 ? 0 : fail(c, v, "mean_freq_ppm in [-1000, 1000]");
}
static int o_wander(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->wander_ppb))
		return -1;
	return S(o)->wander_ppb >= 0 && S(o)->wander_ppb <= 1e6 ? 0 : fail(c, v, "wander_ppb in [0, 1e6]");
}
static int o_aging(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->aging_ppb_per_day))
		return -1;
	return fabs(S(o)->aging_ppb_per_day) <= 1e6 ? 0 : fail(c, v, "aging_ppb_per_day in [-1e6, 1e6]");
}
static int o_step(ctx *c, yaml_node_t *v, void *o)
{
	if (p_duration(c, v, &S(o)->osc_step_ns))
		return -1;
	if (S(o)->osc_step_ns < 1000000 || S(o)->osc_step_ns > 3600 * BFT_NS_PER_SEC)
		return fail(c, v, "oscillator step must be in [1ms, 1h] (the random walk has one step per grid point)");
	return 0;
}
DUR(o_offset, raw_offset_ns)
static int temp_f_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &((sim_temp_step *)o)->nodes); }
static int temp_f_at(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &((sim_temp_step *)o)->at_ns); }
static int temp_f_ppb(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &((sim_temp_step *)o)->ppb))
		return -1;
	return fabs(((sim_temp_step *)o)->ppb) <= 1e6 ? 0 : fail(c, v, "ppb in [-1e6, 1e6]");
}
static const field temp_fields[] = {
	{ "nodes", temp_f_nodes }, { "at", temp_f_at }, { "ppb", temp_f_ppb }, { NULL, NULL },
};
static int temp_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_temp_step *t = (sim_temp_step *)arr + i;
	t->nodes.kind = SIM_SET_ALL;
	return walk(c, it, temp_fields, t, "temperature step");
}
static int o_temps(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->temps, &S(o)->n_temps, sizeof(sim_temp_step), temp_item, "temperature_steps");
}
static const field osc_fields[] = {
	{ "freq_ppm", o_freq }, { "mean_freq_ppm", o_meanfreq }, { "wander_ppb", o_wander },
	{ "aging_ppb_per_day", o_aging }, { "step", o_step }, { "offset", o_offset }, { "temperature_steps", o_temps },
	{ NULL, NULL },
};
static int f_osc(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, osc_fields, o, "oscillator"); }

/* system_clock: */
static int y_offset(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &S(o)->sys.offset_ns); }
DUR(y_tau, sys.tau_ns)
DUR(y_update, sys.update_ns)
DUR(y_step, sys.step_ns)
static int y_slew(ctx *c, yaml_node_t *v, void *o)
{
	double ppm;
	if (p_double(c, v, &ppm))
		return -1;
	if (ppm < 0 || ppm > 500000)
		return fail(c, v, "max_slew_ppm in [0, 500000]");
	S(o)->sys.max_slew_ppb = (int64_t)llround(ppm * 1000);
	return 0;
}
static const field sys_fields[] = {
	{ "offset", y_offset }, { "tau", y_tau }, { "update", y_update }, { "step", y_step },
	{ "max_slew_ppm", y_slew }, { NULL, NULL },
};
static int f_sys(ctx *c, yaml_node_t *v, void *o)
{
	/* bftimed's exports.adjtimex (src/daemon/exports.c): ADJ_TAU_S,
	 * the refresh every second, ADJ_STEP_NS, ADJ_MAX_SLEW_PPB. */
	sim_sysclock *y = &S(o)->sys;
	*y = (sim_sysclock){ .on = true, .tau_ns = 16 * BFT_NS_PER_SEC, .update_ns = BFT_NS_PER_SEC,
		             .step_ns = 128000000, .max_slew_ppb = 83333333 };
	if (walk(c, v, sys_fields, o, "system_clock"))
		return -1;
	if (y->tau_ns <= 0 || y->update_ns <= 0)
		return fail(c, v, "system_clock: tau and update must be positive");
	return 0;
}

/* network: */
DUR(w_delay, net_delay_ns)
DUR(w_jitter, net_jitter_ns)
DUR(w_jmax, net_jitter_max_ns)
DUR(w_asym, net_asym_ns)
static int w_loss(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->net_loss))
		return -1;
	return S(o)->net_loss >= 0 && S(o)->net_loss <= 1 ? 0 : fail(c, v, "loss in [0, 1]");
}
static int rp_prob(ctx *c, yaml_node_t *v, void *o) { return p_double(c, v, &S(o)->replay_prob); }
DUR(rp_delay, replay_delay_ns)
static const field replay_fields[] = { { "prob", rp_prob }, { "delay", rp_delay }, { NULL, NULL } };
static int w_replay(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, replay_fields, o, "replay"); }
#define P(o) ((sim_partition *)(o))
static int pa_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &P(o)->nodes); }
static int pa_from(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &P(o)->from_ns); }
static int pa_to(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &P(o)->to_ns); }
static int pa_except(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &P(o)->except); }
static const field part_fields[] = { { "nodes", pa_nodes }, { "except", pa_except }, { "from", pa_from },
	                             { "to", pa_to }, { NULL, NULL } };
static int part_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_partition *p = (sim_partition *)arr + i;
	p->to_ns = INT64_MAX;
	return walk(c, it, part_fields, p, "partition");
}
static int w_parts(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->partitions, &S(o)->n_partitions, sizeof(sim_partition), part_item,
	           "partitions");
}
#define M(o) ((sim_mitm *)(o))
static int mi_from(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &M(o)->from); }
static int mi_to(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &M(o)->to); }
static int mi_extra(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &M(o)->extra_ns); }
static int mi_start(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &M(o)->start_ns); }
static int mi_end(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &M(o)->end_ns); }
static const field mitm_fields[] = {
	{ "from", mi_from }, { "to", mi_to }, { "extra", mi_extra }, { "start", mi_start }, { "end", mi_end },
	{ NULL, NULL },
};
static int mitm_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_mitm *m = (sim_mitm *)arr + i;
	m->from.kind = m->to.kind = SIM_SET_ALL;
	m->end_ns = INT64_MAX;
	return walk(c, it, mitm_fields, m, "mitm");
}
static int w_mitm(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->mitms, &S(o)->n_mitms, sizeof(sim_mitm), mitm_item, "mitm");
}
static const field net_fields[] = {
	{ "delay", w_delay }, { "jitter", w_jitter }, { "jitter_max", w_jmax }, { "asymmetry", w_asym },
	{ "loss", w_loss }, { "replay", w_replay }, { "partitions", w_parts }, { "mitm", w_mitm }, { NULL, NULL },
};
static int f_net(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, net_fields, o, "network"); }

/* references: */
#define R(o) ((sim_ref_tmpl *)(o))
static int r_kind(ctx *c, yaml_node_t *v, void *o)
{
	const char *s = scalar(v);
	if (s && !strcmp(s, "gps"))
		R(o)->kind = SIM_REF_GPS;
	else if (s && !strcmp(s, "ntp"))
		R(o)->kind = SIM_REF_NTP;
	else
		return fail(c, v, "kind: gps or ntp");
	return 0;
}
static int r_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &R(o)->nodes); }
static int r_count(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &R(o)->count))
		return -1;
	return R(o)->count >= 1 && R(o)->count <= 64 ? 0 : fail(c, v, "count in [1, 64]");
}
static int r_liars(ctx *c, yaml_node_t *v, void *o) { return p_size(c, v, &R(o)->liars); }
static int r_region(ctx *c, yaml_node_t *v, void *o)
{
	size_t r;
	if (p_size(c, v, &r))
		return -1;
	R(o)->region = (uint32_t)r;
	return 0;
}
static int r_loss(ctx *c, yaml_node_t *v, void *o) { return p_double(c, v, &R(o)->loss); }
static int r_rate(ctx *c, yaml_node_t *v, void *o) { return p_rate(c, v, &R(o)->lie_rate_ppb); }
#define RDUR(name, f_)                                                                                       \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &R(o)->f_); }
RDUR(r_poll, poll_ns)
RDUR(r_phase, phase_ns)
RDUR(r_noise, noise_ns)
RDUR(r_unc, uncertainty_ns)
RDUR(r_delay, delay_ns)
RDUR(r_jitter, jitter_ns)
RDUR(r_jmax, jitter_max_ns)
RDUR(r_asym, asym_ns)
RDUR(r_hold, hold_ns)
RDUR(r_admin, assume_dmin_ns)
static int r_lie(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &R(o)->lie_ns); }
RDUR(r_liefrom, lie_from_ns)
RDUR(r_lieto, lie_to_ns)
static int r_outages(ctx *c, yaml_node_t *v, void *o) { return p_windows(c, v, &R(o)->outages, &R(o)->n_outages); }
static int r_wire(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &R(o)->wire); }
static int r_prec(ctx *c, yaml_node_t *v, void *o)
{
	int64_t x;
	if (p_i64(c, v, &x))
		return -1;
	if (x < -30 || x > 0)
		return fail(c, v, "precision: log2 seconds in [-30, 0] (chronyd: -23 under clknetsim, ~-25 on a PC)");
	R(o)->precision_log2 = (int)x;
	R(o)->has_precision = true;
	return 0;
}
RDUR(r_rdelay, root_delay_ns)
RDUR(r_rdisp, root_dispersion_ns)
static int r_burst(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &R(o)->burst))
		return -1;
	return R(o)->burst <= 64 ? 0 : fail(c, v, "burst in [0, 64]");
}
RDUR(r_bgap, burst_gap_ns)
static int r_pburst(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &R(o)->poll_burst))
		return -1;
	return R(o)->poll_burst <= 8 ? 0 : fail(c, v, "poll_burst in [0, 8]");
}
/* poll_burst_for: a duration, or "always" (the driver's at an every over 64 s) */
static int r_pburst_for(ctx *c, yaml_node_t *v, void *o)
{
	if (!strcmp(scalar(v), "always")) {
		R(o)->poll_burst_for_ns = INT64_MAX;
		return 0;
	}
	return p_duration(c, v, &R(o)->poll_burst_for_ns);
}
static int r_pjit(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &R(o)->poll_jitter))
		return -1;
	return R(o)->poll_jitter >= 0 && R(o)->poll_jitter <= 1 ? 0 : fail(c, v, "poll_jitter in [0, 1] (of poll)");
}
RDUR(r_pstart, poll_start_ns)
static int r_pgrow(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &R(o)->poll_grow_after))
		return -1;
	return R(o)->poll_grow_after >= 1 ? 0 : fail(c, v, "poll_grow_after must be at least 1");
}
static const field ref_fields[] = {
	{ "kind", r_kind }, { "nodes", r_nodes }, { "count", r_count }, { "poll", r_poll }, { "phase", r_phase },
	{ "noise", r_noise }, { "uncertainty", r_unc }, { "region", r_region }, { "delay", r_delay },
	{ "jitter", r_jitter }, { "jitter_max", r_jmax }, { "asymmetry", r_asym }, { "hold", r_hold },
	{ "assume_dmin", r_admin }, { "loss", r_loss }, { "liars", r_liars }, { "lie", r_lie },
	{ "lie_from", r_liefrom }, { "lie_to", r_lieto }, { "lie_rate_ppb", r_rate }, { "outages", r_outages }, { "wire", r_wire },
	{ "precision", r_prec }, { "root_delay", r_rdelay }, { "root_dispersion", r_rdisp }, { "burst", r_burst },
	{ "burst_gap", r_bgap }, { "poll_jitter", r_pjit }, { "poll_start", r_pstart }, { "poll_grow_after", r_pgrow },
	{ "poll_burst", r_pburst }, { "poll_burst_for", r_pburst_for },
	{ NULL, NULL },
};
static int ref_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_ref_tmpl *r = (sim_ref_tmpl *)arr + i;
	r->kind = SIM_REF_GPS;
	r->nodes.kind = SIM_SET_ALL;
	r->count = 1;
	r->poll_ns = -1;
	r->phase_ns = -1;
	r->noise_ns = 20;
	r->uncertainty_ns = 100;
	r->delay_ns = 10000000;
	r->jitter_ns = 2000000;
	r->jitter_max_ns = -1;
	r->hold_ns = 10000;
	r->assume_dmin_ns = -1;
	r->precision_log2 = -30;
	r->burst_gap_ns = 2 * BFT_NS_PER_SEC;
	r->poll_start_ns = -1;
	r->poll_grow_after = 8;
	r->lie_to_ns = INT64_MAX;
	if (walk(c, it, ref_fields, r, "reference"))
		return -1;
	if (r->kind != SIM_REF_NTP && (r->wire || r->has_precision || r->root_delay_ns || r->root_dispersion_ns))
		return fail(c, it, "wire, precision, root_delay and root_dispersion are NTP server properties");
	if (!r->wire && (r->has_precision || r->root_delay_ns || r->root_dispersion_ns))
		return fail(c, it, "precision, root_delay and root_dispersion travel in an NTP packet: they need wire: true");
	if (r->wire && r->assume_dmin_ns > 0)
		return fail(c, it, "wire: the client is bftimed's ntp driver, which assumes no minimum delay (assume_dmin: 0)");
	if (r->wire)
		r->assume_dmin_ns = 0;
	if (r->lie_to_ns <= r->lie_from_ns)
		return fail(c, it, "lie_to must be after lie_from");
	if ((r->burst || r->poll_burst > 1) && r->burst_gap_ns <= 0)
		return fail(c, it, "burst_gap must be positive");
	if (r->poll_ns < 0)
		r->poll_ns = r->kind == SIM_REF_GPS ? 1000000000 : 16000000000;
	if (r->poll_ns <= 0)
		return fail(c, it, "reference poll must be positive");
	if (r->poll_start_ns < 0 || r->poll_start_ns > r->poll_ns)
		r->poll_start_ns = r->poll_ns; /* a start above poll: poll, as bftimed's driver takes min(every, start) */
	if (r->poll_start_ns <= 0)
		return fail(c, it, "poll_start must be positive");
	if (r->jitter_max_ns < 0)
		r->jitter_max_ns = 10 * r->jitter_ns;
	if (r->assume_dmin_ns < 0)
		r->assume_dmin_ns = r->delay_ns;
	if (r->liars > r->count)
		return fail(c, it, "liars (%zu) > count (%zu)", r->liars, r->count);
	if (r->noise_ns > r->uncertainty_ns)
		return fail(c, it, "GPS noise must not exceed the stated uncertainty (it is truncated there)");
	return 0;
}
static int f_refs(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->refs, &S(o)->n_refs, sizeof(sim_ref_tmpl), ref_item, "references");
}
#define G(o) ((sim_gps_lie *)(o))
static int g_region(ctx *c, yaml_node_t *v, void *o)
{
	size_t r;
	if (p_size(c, v, &r))
		return -1;
	G(o)->region = (uint32_t)r;
	return 0;
}
static int g_from(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &G(o)->from_ns); }
static int g_to(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &G(o)->to_ns); }
static int g_impl(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &G(o)->implausible); }
static int g_off(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &G(o)->offset_ns); }
static int g_rate(ctx *c, yaml_node_t *v, void *o) { return p_rate(c, v, &G(o)->rate_ppb); }
static const field glie_fields[] = {
	{ "region", g_region }, { "from", g_from }, { "to", g_to }, { "offset", g_off }, { "rate_ppb", g_rate },
	{ "implausible", g_impl }, { NULL, NULL },
};
static int glie_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_gps_lie *l = (sim_gps_lie *)arr + i;
	l->to_ns = INT64_MAX;
	if (walk(c, it, glie_fields, l, "gps_lies item"))
		return -1;
	return l->to_ns > l->from_ns ? 0 : fail(c, it, "gps_lies item: to must be after from");
}
static int f_glies(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->gps_lies, &S(o)->n_gps_lies, sizeof(sim_gps_lie), glie_item, "gps_lies");
}

/* adversaries: */
#define A(o) ((sim_adversary *)(o))
static int a_strategy(ctx *c, yaml_node_t *v, void *o)
{
	if ((A(o)->lie.strategy = bft_adv_parse(scalar(v))) != BFT_ADV_NONE)
		return 0;
	return fail(c, v, "strategy: crash, constant, random, two_faced, walkaway, maxbias or equivocate");
}
static int a_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &A(o)->nodes); }
static int a_from(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &A(o)->lie.from_ns); }
static int a_offset(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &A(o)->lie.offset_ns); }
static int a_rate(ctx *c, yaml_node_t *v, void *o) { return p_rate(c, v, &A(o)->lie.rate_ppb); }
static int a_primary(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &A(o)->lie.claim_primary); }
static int a_claim(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &A(o)->lie.claim_err_ns); }
static int a_margin(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &A(o)->lie.margin_ns); }
static const field adv_fields[] = {
	{ "strategy", a_strategy }, { "nodes", a_nodes }, { "from", a_from }, { "offset", a_offset },
	{ "rate_ppb", a_rate }, { "claim_err", a_claim }, { "margin", a_margin }, { "claim_primary", a_primary },
	{ NULL, NULL },
};
static int adv_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_adversary *a = (sim_adversary *)arr + i;
	a->lie.claim_err_ns = -1;
	a->line = (unsigned)it->start_mark.line + 1;
	if (walk(c, it, adv_fields, a, "adversary"))
		return -1;
	if (a->lie.strategy == BFT_ADV_NONE)
		return fail(c, it, "adversary needs a strategy");
	if (a->nodes.kind == SIM_SET_NONE || a->nodes.kind == SIM_SET_ALL)
		return fail(c, it, "adversary needs nodes: [ids] or {count: k}");
	return 0;
}
static int f_advs(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&S(o)->advs, &S(o)->n_advs, sizeof(sim_adversary), adv_item, "adversaries");
}

/* nakamoto: (docs/nakamoto.md) */
#define NK(o) (&S(o)->nk)
#define NKDUR(name, f_)                                                                                      \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &NK(o)->f_); }
#define NKSIZE(name, f_)                                                                                     \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_size(c, v, &NK(o)->f_); }
#define NKRATE(name, f_)                                                                                     \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_rate(c, v, &NK(o)->f_); }
NKDUR(k_interval, interval_ns)
NKDUR(k_step, step_ns)
NKDUR(k_agree, agree_ns)
NKDUR(k_age, stmt_age_ns)
NKDUR(k_future, future_ns)
NKDUR(k_ttl, orphan_ttl_ns)
NKDUR(k_tphase, tau_phase_ns)
NKDUR(k_tref, tau_ref_ns)
NKRATE(k_drift, drift_ppb)
NKRATE(k_slew, ref_slew_ppb)
NKRATE(k_max, max_ppb)
NKSIZE(k_retarget, retarget)
NKSIZE(k_hashes, hashes)
NKSIZE(k_window, window)
NKSIZE(k_slots, slots)
NKSIZE(k_orphans, orphans)
NKSIZE(k_archive, archive)
NKSIZE(k_minst, min_stmts)
static int k_mining(ctx *c, yaml_node_t *v, void *o)
{
	const char *m = scalar(v);
	if (m && !strcmp(m, "poisson"))
		NK(o)->poisson = true;
	else if (m && !strcmp(m, "real"))
		NK(o)->poisson = false;
	else
		return fail(c, v, "mining: poisson or real");
	return 0;
}
static int k_difficulty(ctx *c, yaml_node_t *v, void *o)
{
	size_t d;
	if (p_size(c, v, &d))
		return -1;
	NK(o)->difficulty = d;
	return d >= 1 ? 0 : fail(c, v, "difficulty >= 1");
}
#define KB(o) ((sim_nk_byz *)(o))
static int k_relay(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &NK(o)->relay_hops))
		return -1;
	return NK(o)->relay_hops <= BFT_NK_RELAY_MAX ? 0 : fail(c, v, "relay_hops in [0, %d]", BFT_NK_RELAY_MAX);
}
static int kb_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &KB(o)->nodes); }
static int kb_offset(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &KB(o)->offset_ns); }
static int kb_hash(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &KB(o)->hash))
		return -1;
	return KB(o)->hash > 0 && KB(o)->hash <= 1000 ? 0 : fail(c, v, "hash in (0, 1000]");
}
static int kb_withhold(ctx *c, yaml_node_t *v, void *o)
{
	if (p_size(c, v, &KB(o)->withhold))
		return -1;
	return KB(o)->withhold <= 12 ? 0 : fail(c, v, "withhold in [0, 12]");
}
static int kb_selfish(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &KB(o)->selfish); }
static int kb_timewarp(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &KB(o)->timewarp); }
static const field nkbyz_fields[] = {
	{ "nodes", kb_nodes }, { "offset", kb_offset }, { "hash", kb_hash }, { "withhold", kb_withhold },
	{ "selfish", kb_selfish }, { "timewarp", kb_timewarp }, { NULL, NULL },
};
static int nkbyz_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_nk_byz *b = (sim_nk_byz *)arr + i;
	b->hash = 1;
	b->line = (unsigned)it->start_mark.line + 1;
	if (walk(c, it, nkbyz_fields, b, "byzantine miner"))
		return -1;
	if (b->nodes.kind == SIM_SET_NONE || b->nodes.kind == SIM_SET_ALL)
		return fail(c, it, "byzantine miners need nodes: [ids] or {count: k}");
	if (b->selfish && b->withhold)
		return fail(c, it, "byzantine miner: selfish and withhold are two strategies; give one");
	return 0;
}
static int k_byz(ctx *c, yaml_node_t *v, void *o)
{
	return seq(c, v, (void **)&NK(o)->byz, &NK(o)->n_byz, sizeof(sim_nk_byz), nkbyz_item, "byzantine");
}
static const field nk_fields[] = {
	{ "interval", k_interval }, { "step", k_step }, { "agree", k_agree }, { "statement_age", k_age },
	{ "future", k_future }, { "orphan_ttl", k_ttl }, { "tau_phase", k_tphase }, { "tau_ref", k_tref },
	{ "drift_ppb", k_drift }, { "ref_slew_ppb", k_slew }, { "max_steer_ppb", k_max }, { "retarget", k_retarget },
	{ "hashes", k_hashes }, { "window", k_window }, { "slots", k_slots }, { "orphans", k_orphans }, { "archive", k_archive },
	{ "min_statements", k_minst }, { "difficulty", k_difficulty }, { "byzantine", k_byz }, { "mining", k_mining },
	{ "relay_hops", k_relay }, { NULL, NULL },
};
static int f_nk(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, nk_fields, o, "nakamoto"); }

/* expect: */
static int e_cont(ctx *c, yaml_node_t *v, void *o)
{
	S(o)->expect.has_containment = true;
	return p_double(c, v, &S(o)->expect.containment);
}
static int e_alarm(ctx *c, yaml_node_t *v, void *o)
{
	bool b;
	if (p_bool(c, v, &b))
		return -1;
	S(o)->expect.alarm = b;
	return 0;
}
static int e_prec(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &S(o)->expect.precision_within_bound); }
static int e_acc(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &S(o)->expect.accuracy_within_bound); }
static int e_worst(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &S(o)->expect.max_worst_error_ns); }
static int e_maxprec(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &S(o)->expect.max_precision_ns); }
static int e_maxclock(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &S(o)->expect.max_clock_error_ns); }
static int e_alarmfrac(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->expect.min_alarm_fraction))
		return -1;
	double x = S(o)->expect.min_alarm_fraction;
	return x >= 0 && x <= 1 ? 0 : fail(c, v, "min_alarm_fraction in [0, 1]");
}
static int e_unsynced(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &S(o)->expect.unsynced_ok); }
static int e_netprec(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &S(o)->expect.net_precision_within_bound); }
static int e_maxnet(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &S(o)->expect.max_net_precision_ns); }
static int e_agreedfrac(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->expect.min_agreed_fraction))
		return -1;
	double x = S(o)->expect.min_agreed_fraction;
	return x >= 0 && x <= 1 ? 0 : fail(c, v, "min_agreed_fraction in [0, 1]");
}
static int e_minq(ctx *c, yaml_node_t *v, void *o)
{
	size_t x;
	if (p_size(c, v, &x))
		return -1;
	S(o)->expect.min_quarantines = x;
	return 0;
}
static int e_minr(ctx *c, yaml_node_t *v, void *o)
{
	size_t x;
	if (p_size(c, v, &x))
		return -1;
	S(o)->expect.min_readmissions = x;
	return 0;
}
static int e_must(ctx *c, yaml_node_t *v, void *o)
{
	sim_expect *e = &S(o)->expect;
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return fail(c, v, "must_violate: expected a list of strings");
	size_t len = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	e->must_violate = calloc(len ? len : 1, sizeof *e->must_violate);
	if (!e->must_violate)
		return fail(c, v, "out of memory");
	for (size_t i = 0; i < len; i++) {
		if (p_string(c, node_at(c, v->data.sequence.items.start[i]), &e->must_violate[i]))
			return -1;
		e->n_must_violate = i + 1;
	}
	return 0;
}
static int e_maxtips(ctx *c, yaml_node_t *v, void *o)
{
	int64_t n;
	if (p_i64(c, v, &n))
		return -1;
	S(o)->expect.max_tips = (uint64_t)n;
	return n >= 1 ? 0 : fail(c, v, "max_tips >= 1");
}
static int e_medians(ctx *c, yaml_node_t *v, void *o)
{
	int64_t n;
	if (p_i64(c, v, &n))
		return -1;
	S(o)->expect.medians = (uint64_t)n;
	return n >= 1 ? 0 : fail(c, v, "medians >= 1");
}
static int e_minstmts(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->expect.min_statements))
		return -1;
	return S(o)->expect.min_statements >= 1 ? 0 : fail(c, v, "min_statements >= 1");
}
static int e_maxstale(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->expect.max_stale))
		return -1;
	return S(o)->expect.max_stale >= 0 && S(o)->expect.max_stale <= 1 ? 0 : fail(c, v, "max_stale: 0 .. 1");
}
static int e_maxlies(ctx *c, yaml_node_t *v, void *o)
{
	if (p_i64(c, v, &S(o)->expect.max_lies_in_best))
		return -1;
	return S(o)->expect.max_lies_in_best >= 0 ? 0 : fail(c, v, "max_lies_in_best >= 0");
}
static int e_findsig(ctx *c, yaml_node_t *v, void *o)
{
	if (p_double(c, v, &S(o)->expect.find_sigmas))
		return -1;
	return S(o)->expect.find_sigmas > 0 ? 0 : fail(c, v, "find_sigmas > 0");
}
static int e_findrate(ctx *c, yaml_node_t *v, void *o)
{
	double *r = S(o)->expect.find_rate;
	if (!v || v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top - v->data.sequence.items.start != 2)
		return fail(c, v, "find_rate: [lo, hi]");
	if (p_double(c, node_at(c, v->data.sequence.items.start[0]), &r[0]) ||
	    p_double(c, node_at(c, v->data.sequence.items.start[1]), &r[1]))
		return -1;
	return r[0] >= 0 && r[1] > r[0] ? 0 : fail(c, v, "find_rate: 0 <= lo < hi");
}
static const field expect_fields[] = {
	{ "containment", e_cont }, { "alarm", e_alarm }, { "precision_within_bound", e_prec },
	{ "accuracy_within_bound", e_acc }, { "max_worst_error", e_worst }, { "max_precision", e_maxprec },
	{ "max_clock_error", e_maxclock }, { "min_alarm_fraction", e_alarmfrac }, { "unsynced_ok", e_unsynced },
	{ "must_violate", e_must }, { "min_quarantines", e_minq }, { "min_readmissions", e_minr },
	{ "net_precision_within_bound", e_netprec }, { "max_net_precision", e_maxnet },
	{ "min_agreed_fraction", e_agreedfrac }, { "find_sigmas", e_findsig }, { "find_rate", e_findrate },
	{ "max_tips", e_maxtips }, { "max_stale", e_maxstale }, { "medians", e_medians }, { "min_statements", e_minstmts },
	{ "max_lies_in_best", e_maxlies }, { NULL, NULL },
};
static int f_expect(ctx *c, yaml_node_t *v, void *o) { return walk(c, v, expect_fields, o, "expect"); }

/* solar: */
#define SO(o) ((sim_solar_cfg *)(o))
static int so_nodes(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &SO(o)->nodes); }
static int so_night(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &SO(o)->night); }
static int so_liars(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &SO(o)->liars); }
static int so_copiers(ctx *c, yaml_node_t *v, void *o) { return p_set(c, v, &SO(o)->copiers); }
#define SODBL(name, f_)                                                                                      \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_double(c, v, &SO(o)->f_); }
SODBL(so_lat, lat_deg)
SODBL(so_lon, lon_deg)
SODBL(so_spacing, spacing_m)
SODBL(so_flux, flux_sfu)
SODBL(so_dish, dish_m)
SODBL(so_tsys, t_sys_k)
SODBL(so_mask, mask_deg)
SODBL(so_tec, tec_max)
SODBL(so_fs, fs_hz)
SODBL(so_bw, bw_frac)
SODBL(so_liepos, lie_position_m)
SODBL(so_tsys_spread, t_sys_spread)
SODBL(so_dish_spread, dish_spread)
SODBL(so_wet, wet_max_m)
SODBL(so_tecj, tec_jitter)
SODBL(so_site_sp, site_spacing_m)
SODBL(so_sunfrac, sun_fraction)
SODBL(so_peersunfrac, peer_sun_fraction)
SODBL(so_bursts, bursts_per_hour)
SODBL(so_burstf, burst_factor)
#define SOSIZE(name, f_)                                                                                     \
	static int name(ctx *c, yaml_node_t *v, void *o) { return p_size(c, v, &SO(o)->f_); }
SOSIZE(so_frag, frag_n)
SOSIZE(so_block, block_n)
SOSIZE(so_bits, bits)
SOSIZE(so_pf, peers_f)
SOSIZE(so_sites, sites)
static int so_jitter(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->start_jitter_ns); }
static int so_stamperr(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &SO(o)->stamp_errors); }
static int so_atmos(ctx *c, yaml_node_t *v, void *o) { return p_bool(c, v, &SO(o)->atmosphere); }
static int so_every(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->every_ns); }
static int so_stamp(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->stamp_err_ns); }
static int so_lie(ctx *c, yaml_node_t *v, void *o) { return p_sduration(c, v, &SO(o)->lie_ns); }
static int so_liefrom(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->lie_from_ns); }
static int so_window(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->window_ns); }
static int so_coarse(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->coarse_ns); }
static int so_burstd(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &SO(o)->burst_duration_ns); }
static int so_sitedir(ctx *c, yaml_node_t *v, void *o)
{
	const char *d = scalar(v);
	if (!d || (strcmp(d, "north") && strcmp(d, "east")))
		return fail(c, v, "solar: site_direction north or east");
	SO(o)->sites_east = !strcmp(d, "east");
	return 0;
}
static const field solar_fields[] = {
	{ "nodes", so_nodes }, { "night", so_night }, { "liars", so_liars }, { "latitude", so_lat },
	{ "longitude", so_lon }, { "spacing", so_spacing }, { "flux", so_flux }, { "dish", so_dish },
	{ "t_sys", so_tsys }, { "elevation_mask", so_mask }, { "tec_max", so_tec }, { "sample_rate", so_fs },
	{ "band", so_bw }, { "fragment", so_frag }, { "block", so_block }, { "bits", so_bits },
	{ "peers_f", so_pf }, { "every", so_every }, { "stamp_uncertainty", so_stamp }, { "lie", so_lie },
	{ "lie_from", so_liefrom }, { "window", so_window }, { "coarse", so_coarse },
	{ "lie_position", so_liepos }, { "t_sys_spread", so_tsys_spread }, { "dish_spread", so_dish_spread },
	{ "start_jitter", so_jitter }, { "stamp_errors", so_stamperr }, { "atmosphere", so_atmos },
	{ "wet_max", so_wet }, { "tec_jitter", so_tecj }, { "sites", so_sites }, { "site_spacing", so_site_sp },
	{ "copiers", so_copiers }, { "sun_fraction", so_sunfrac }, { "peer_sun_fraction", so_peersunfrac },
	{ "bursts_per_hour", so_bursts }, { "burst_duration", so_burstd }, { "burst_factor", so_burstf },
	{ "site_direction", so_sitedir },
	{ NULL, NULL },
};
static int f_solar(ctx *c, yaml_node_t *v, void *o)
{
	sim_solar_cfg *so = &((sim_scenario *)o)->solar;
	so->on = true;
	so->nodes.kind = SIM_SET_ALL;
	so->lat_deg = -23, so->lon_deg = 175; /* the Sun near the zenith at the simulation's epoch, 1 Jan 00:00 UTC */
	so->spacing_m = 1.5, so->flux_sfu = 50, so->dish_m = 1, so->t_sys_k = 150, so->mask_deg = 10, so->tec_max = 150;
	so->fs_hz = 2.4e6, so->bw_frac = 0.8;
	so->frag_n = 2048, so->block_n = 16384, so->bits = 2, so->peers_f = 1;
	so->every_ns = 10 * BFT_NS_PER_SEC, so->stamp_err_ns = 1000, so->window_ns = 1000000, so->coarse_ns = 500000;
	/* The harder world by default: what real receivers and skies do. */
	so->t_sys_spread = 0.2, so->dish_spread = 0.1, so->start_jitter_ns = 100000, so->stamp_errors = true;
	so->atmosphere = true, so->wet_max_m = 0.3, so->tec_jitter = 0.5, so->sites = 1, so->site_spacing_m = 1000000;
	so->burst_factor = 1000, so->burst_duration_ns = 60 * BFT_NS_PER_SEC; /* when bursts_per_hour is set */
	if (walk(c, v, solar_fields, so, "solar"))
		return -1;
	if (!(so->bursts_per_hour >= 0 && so->bursts_per_hour <= 3600) || !(so->burst_factor >= 10 && so->burst_factor <= 1e6) ||
	    so->burst_duration_ns <= 0)
		return fail(c, v, "solar: bursts_per_hour in [0, 3600], burst_factor in [10, 1e6], burst_duration positive");
	if (so->bits < 1 || so->bits > 2)
		return fail(c, v, "solar: bits 1 or 2");
	if (so->every_ns <= 0)
		return fail(c, v, "solar: every must be positive");
	if (so->coarse_ns > so->window_ns)
		return fail(c, v, "solar: the window must cover the coarse clock's error (coarse <= window)");
	if (!(so->t_sys_spread >= 0 && so->t_sys_spread < 1) || !(so->dish_spread >= 0 && so->dish_spread < 1))
		return fail(c, v, "solar: t_sys_spread and dish_spread in [0, 1)");
	if (!(so->wet_max_m >= 0 && so->wet_max_m <= 0.4) || !(so->tec_jitter >= 0) || !(so->site_spacing_m >= 0))
		return fail(c, v, "solar: wet_max in [0, 0.4] m (the engine's bound), tec_jitter and site_spacing >= 0");
	if (!(so->sun_fraction >= 0 && so->sun_fraction <= 1))
		return fail(c, v, "solar: sun_fraction in [0, 1]");
	if (!(so->peer_sun_fraction >= 0 && so->peer_sun_fraction <= 1))
		return fail(c, v, "solar: peer_sun_fraction in [0, 1]");
	if (so->sites < 1 || so->sites > 64)
		return fail(c, v, "solar: sites 1 .. 64");
	if (so->coarse_ns + so->start_jitter_ns > so->window_ns)
		return fail(c, v, "solar: the window must cover the coarse clock's error and the blocks' start jitter "
		                  "(coarse + start_jitter <= window)");
	if (!(so->bw_frac > 0 && so->bw_frac <= 1) || !(so->fs_hz >= 1e3))
		return fail(c, v, "solar: band in (0, 1] of sample_rate, sample_rate >= 1 kHz");
	return 0;
}

static const field top_fields[] = {
	{ "name", f_name }, { "description", f_desc }, { "seed", f_seed }, { "duration", f_duration },
	{ "warmup", f_warmup }, { "sample", f_sample }, { "nodes", f_nodes }, { "crypto", f_crypto },
	{ "engine", f_engine }, { "alg", f_alg }, { "f", f_f }, { "poll", f_poll }, { "peers", f_peers },
	{ "topology", f_topo },
	{ "node", f_node }, { "oscillator", f_osc }, { "network", f_net }, { "references", f_refs },
	{ "gps_lies", f_glies }, { "adversaries", f_advs }, { "expect", f_expect },
	{ "compare_honest", f_compare }, { "system_clock", f_sys }, { "solar", f_solar }, { "nakamoto", f_nk },
	{ NULL, NULL },
};

#define W(o) ((sim_window *)(o))
static int wi_from(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &W(o)->from_ns); }
static int wi_to(ctx *c, yaml_node_t *v, void *o) { return p_duration(c, v, &W(o)->to_ns); }
static const field win_fields[] = { { "from", wi_from }, { "to", wi_to }, { NULL, NULL } };
static int win_item(ctx *c, yaml_node_t *it, void *arr, size_t i)
{
	sim_window *w = (sim_window *)arr + i;
	w->to_ns = INT64_MAX;
	return walk(c, it, win_fields, w, "window");
}
static int p_windows(ctx *c, yaml_node_t *n, sim_window **out, size_t *nout)
{
	return seq(c, n, (void **)out, nout, sizeof(sim_window), win_item, "outages");
}

static void defaults(sim_scenario *s)
{
	s->seed = 1;
	s->duration_ns = 600 * BFT_NS_PER_SEC;
	s->warmup_ns = -1;
	s->sample_ns = BFT_NS_PER_SEC;
	s->nodes = 1;
	s->engine = BFT_ENGINE_FUSION;
	s->alg = BFT_ALG_MARZULLO;
	s->poll_ns = 16 * BFT_NS_PER_SEC;
	s->node_dmin_ns = -1;
	s->node_dmax_ns = -1;
	s->stamp_err_ns = 1000;
	s->max_err_ns = -1;
	s->max_age_ns = -1;
	s->rho_ppb = 100000;
	s->history_span_ns = -1;
	s->freq_ppm = 50;
	s->wander_ppb = 1;
	s->osc_step_ns = BFT_NS_PER_SEC;
	s->raw_offset_ns = 100000000;
	s->net_delay_ns = 1000000;
	s->net_jitter_ns = 200000;
	s->net_jitter_max_ns = -1;
	s->replay_delay_ns = 5 * BFT_NS_PER_SEC;
	s->expect.alarm = -1;
	s->expect.max_stale = -1;
	s->expect.max_lies_in_best = -1;
	/* nakamoto: 10 s blocks from `hashes` a second per node (difficulty 0:
	 * nodes * hashes * interval), a retarget every 16 blocks. */
	s->nk = (sim_nk){ .interval_ns = 10 * BFT_NS_PER_SEC, .step_ns = BFT_NS_PER_SEC, .agree_ns = 200000,
		          .stmt_age_ns = 120 * BFT_NS_PER_SEC, .future_ns = 10 * BFT_NS_PER_SEC,
		          .orphan_ttl_ns = 600 * BFT_NS_PER_SEC, .tau_phase_ns = 64 * BFT_NS_PER_SEC,
		          .tau_ref_ns = 600 * BFT_NS_PER_SEC, .drift_ppb = 1000, .ref_slew_ppb = 10000, .max_ppb = 10000,
		          .difficulty = 0, .retarget = 16, .hashes = 1000, .window = 12, .slots = 64,
		          /* bftimed's default: a 300 s partition's line of 17 blocks is fetched
		           * downwards through the pool (with 8 the sides never merged again) */
		          .orphans = 32, .archive = 128, .min_stmts = 3 };
}

static int from_doc(sim_scenario **out, yaml_document_t *doc, const char *path, char *err, size_t errlen);

/* Load the YAML document parser is set up to read; path names it in errors. */
static int load(sim_scenario **out, yaml_parser_t *parser, const char *path, char *err, size_t errlen)
{
	yaml_document_t doc;
	if (!yaml_parser_load(parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: %s", path, (unsigned long)parser->problem_mark.line + 1,
		         parser->problem ? parser->problem : "YAML syntax error");
		return -1;
	}
	return from_doc(out, &doc, path, err, errlen);
}

int sim_scenario_load(sim_scenario **out, const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	int rc = load(out, &parser, path, err, errlen);
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

int sim_scenario_parse(sim_scenario **out, const char *buf, size_t len, const char *name, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	int rc = load(out, &parser, name, err, errlen);
	yaml_parser_delete(&parser);
	return rc;
}

/* The scenario in doc (deleted here). */
static int from_doc(sim_scenario **out, yaml_document_t *docp, const char *path, char *err, size_t errlen)
{
	yaml_document_t doc = *docp;

	sim_scenario *s = calloc(1, sizeof *s);
	ctx c = { &doc, path, err, errlen, 0 };
	if (!s) {
		yaml_document_delete(&doc);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	defaults(s);
	s->path = xstrdup(path);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = root ? walk(&c, root, top_fields, s, "scenario") : fail(&c, NULL, "empty document");
	if (!rc && !s->name) {
		/* Default name: the file's base name without .yaml. */
		const char *b = strrchr(path, '/');
		b = b ? b + 1 : path;
		s->name = xstrdup(b);
		char *dot = s->name ? strrchr(s->name, '.') : NULL;
		if (dot)
			*dot = 0;
	}
	if (!rc && s->warmup_ns < 0)
		s->warmup_ns = s->duration_ns / 5;
	if (!rc && s->bftimed_defaults && !s->rho_given)
		s->rho_ppb = BFTD_DEFAULT_RHO_PPB;
	if (!rc && s->sample_ns <= 0)
		rc = fail(&c, root, "sample must be positive");
	if (!rc && s->poll_ns <= 0)
		rc = fail(&c, root, "poll must be positive");
	if (!rc && s->net_jitter_max_ns < 0)
		s->net_jitter_max_ns = 10 * s->net_jitter_ns;
	if (!rc && s->duration_ns <= 0)
		rc = fail(&c, root, "duration must be positive");
	if (!rc && s->warmup_ns >= s->duration_ns)
		rc = fail(&c, root, "warmup (%.3f s) must be shorter than the duration (%.3f s)", (double)s->warmup_ns / 1e9,
		          (double)s->duration_ns / 1e9);
	for (size_t i = 0; !rc && i < s->n_refs; i++)
		if (s->refs[i].liars && s->refs[i].lie_from_ns >= s->duration_ns)
			rc = fail(&c, root, "reference %zu: lie_from (%.3f s) is not before the end: its liars never lie", i,
			          (double)s->refs[i].lie_from_ns / 1e9);
	for (size_t i = 0; !rc && i < s->n_gps_lies; i++)
		if (s->gps_lies[i].from_ns >= s->duration_ns)
			rc = fail(&c, root, "gps_lies %zu: from (%.3f s) is not before the end: it never lies", i,
			          (double)s->gps_lies[i].from_ns / 1e9);
	for (size_t i = 0; !rc && i < s->n_advs; i++)
		if (s->advs[i].lie.from_ns >= s->duration_ns) {
			snprintf(err, errlen, "%s:%u: adversary starts at %.3f s, not before the end (%.3f s): it would never act",
			         path, s->advs[i].line, (double)s->advs[i].lie.from_ns / 1e9, (double)s->duration_ns / 1e9);
			rc = -1;
		}
	yaml_document_delete(&doc);
	if (rc) {
		sim_scenario_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static void set_free(sim_set *s)
{
	free(s->ids);
}

void sim_scenario_free(sim_scenario *s)
{
	if (!s)
		return;
	free(s->path);
	free(s->name);
	free(s->description);
	for (size_t i = 0; i < s->n_temps; i++)
		set_free(&s->temps[i].nodes);
	free(s->temps);
	for (size_t i = 0; i < s->n_partitions; i++) {
		set_free(&s->partitions[i].nodes);
		set_free(&s->partitions[i].except);
	}
	free(s->partitions);
	for (size_t i = 0; i < s->n_mitms; i++) {
		set_free(&s->mitms[i].from);
		set_free(&s->mitms[i].to);
	}
	free(s->mitms);
	for (size_t i = 0; i < s->n_refs; i++) {
		set_free(&s->refs[i].nodes);
		free(s->refs[i].outages);
	}
	free(s->refs);
	free(s->gps_lies);
	set_free(&s->solar.nodes);
	set_free(&s->solar.night);
	set_free(&s->solar.liars);
	set_free(&s->solar.copiers);
	for (size_t i = 0; i < s->n_advs; i++)
		set_free(&s->advs[i].nodes);
	free(s->advs);
	for (size_t i = 0; i < s->nk.n_byz; i++)
		set_free(&s->nk.byz[i].nodes);
	free(s->nk.byz);
	for (size_t i = 0; i < s->expect.n_must_violate; i++)
		free(s->expect.must_violate[i]);
	free(s->expect.must_violate);
	free(s);
}

void sim_scenario_strip_lies(sim_scenario *s)
{
	for (size_t i = 0; i < s->n_advs; i++)
		set_free(&s->advs[i].nodes);
	free(s->advs);
	s->advs = NULL;
	s->n_advs = 0;
	free(s->gps_lies);
	s->gps_lies = NULL;
	s->n_gps_lies = 0;
	for (size_t i = 0; i < s->n_refs; i++)
		s->refs[i].liars = 0;
	set_free(&s->solar.liars);
	s->solar.liars = (sim_set){ .kind = SIM_SET_NONE };
	set_free(&s->solar.copiers);
	s->solar.copiers = (sim_set){ .kind = SIM_SET_NONE };
	for (size_t i = 0; i < s->nk.n_byz; i++)
		set_free(&s->nk.byz[i].nodes);
	free(s->nk.byz);
	s->nk.byz = NULL;
	s->nk.n_byz = 0;
}

static int64_t scale_t(int64_t t, double k)
{
	if (t == INT64_MAX || t <= 0)
		return t;
	double v = (double)t * k;
	return v >= 9.2e18 ? INT64_MAX : (int64_t)llround(v);
}

void sim_scenario_rescale(sim_scenario *s, int64_t d)
{
	double k = (double)d / (double)s->duration_ns;
	s->warmup_ns = scale_t(s->warmup_ns, k);
	for (size_t i = 0; i < s->n_advs; i++)
		s->advs[i].lie.from_ns = scale_t(s->advs[i].lie.from_ns, k);
	for (size_t i = 0; i < s->n_gps_lies; i++)
		s->gps_lies[i].from_ns = scale_t(s->gps_lies[i].from_ns, k);
	for (size_t i = 0; i < s->n_gps_lies; i++)
		if (s->gps_lies[i].to_ns != INT64_MAX)
			s->gps_lies[i].to_ns = scale_t(s->gps_lies[i].to_ns, k);
	for (size_t i = 0; i < s->n_refs; i++) {
		s->refs[i].lie_from_ns = scale_t(s->refs[i].lie_from_ns, k);
		s->refs[i].lie_to_ns = scale_t(s->refs[i].lie_to_ns, k);
		for (size_t j = 0; j < s->refs[i].n_outages; j++) {
			s->refs[i].outages[j].from_ns = scale_t(s->refs[i].outages[j].from_ns, k);
			s->refs[i].outages[j].to_ns = scale_t(s->refs[i].outages[j].to_ns, k);
		}
	}
	for (size_t i = 0; i < s->n_partitions; i++) {
		s->partitions[i].from_ns = scale_t(s->partitions[i].from_ns, k);
		s->partitions[i].to_ns = scale_t(s->partitions[i].to_ns, k);
	}
	for (size_t i = 0; i < s->n_mitms; i++) {
		s->mitms[i].start_ns = scale_t(s->mitms[i].start_ns, k);
		s->mitms[i].end_ns = scale_t(s->mitms[i].end_ns, k);
	}
	for (size_t i = 0; i < s->n_temps; i++)
		s->temps[i].at_ns = scale_t(s->temps[i].at_ns, k);
	s->solar.lie_from_ns = scale_t(s->solar.lie_from_ns, k);
	s->duration_ns = d;
}

bool sim_set_has(const sim_set *s, uint32_t id)
{
	switch (s->kind) {
	case SIM_SET_ALL:
		return true;
	case SIM_SET_LIST: {
		size_t lo = 0, hi = s->n_ids;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->ids[mid] < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < s->n_ids && s->ids[lo] == id;
	}
	default:
		return false; /* COUNT/FRACTION are resolved to lists by the world */
	}
}

const char *sim_engine_name(const sim_scenario *s)
{
	if (s->engine == BFT_ENGINE_MEDIAN)
		return "median";
	if (s->engine == BFT_ENGINE_NAKAMOTO)
		return "nakamoto";
	switch (s->alg) {
	case BFT_ALG_MARZULLO:
		return "fusion/marzullo";
	case BFT_ALG_BROOKS_IYENGAR:
		return "fusion/brooks-iyengar";
	case BFT_ALG_FT_MIDPOINT:
		return "fusion/ft-midpoint";
	}
	return "?";
}
