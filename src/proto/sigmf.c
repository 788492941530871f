/* SPDX-License-Identifier: MIT */
/*
 * SigMF reader and writer (sigmf.h). The meta text is parsed by json-c into
 * a tree, then every field used is type- and range-checked, so a hostile or
 * broken file gets a reason naming the field, never a guess; the fuzz target
 * tests/fuzz/fuzz_sigmf.c holds the parser to that. Unknown keys are
 * ignored (SigMF extensions add their own namespaces).
 */
#include "proto/sigmf.h"

#include <errno.h>

#include <bftime/common.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil.h"

static const struct {
	const char *name;
	bft_sigmf_type type;
	size_t size;
} types[] = {
	{ "ci8", BFT_SIGMF_CI8, 2 },
	{ "cu8", BFT_SIGMF_CU8, 2 },
	{ "ci16_le", BFT_SIGMF_CI16_LE, 4 },
	{ "cf32_le", BFT_SIGMF_CF32_LE, 8 },
};

size_t bft_sigmf_sample_size(bft_sigmf_type t)
{
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (types[i].type == t)
			return types[i].size;
	return 0;
}

const char *bft_sigmf_type_name(bft_sigmf_type t)
{
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (types[i].type == t)
			return types[i].name;
	return "?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return BFT_EINVAL;
}

/* RFC 3339 UTC: YYYY-MM-DDTHH:MM:SS[.fraction]Z; digits beyond ns dropped. */
static int parse_datetime(const char *s, int64_t *t_ns)
{
	int64_t v[6] = { 0 };
	const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	const char seps[6] = { '-', '-', 'T', ':', ':', 0 };
	for (int f = 0; f < 6; f++) {
		for (int i = 0; i < widths[f]; i++, s++) {
			if (*s < '0' || *s > '9')
				return BFT_EINVAL;
			v[f] = v[f] * 10 + (*s - '0');
		}
		if (seps[f] && *s++ != seps[f])
			return BFT_EINVAL;
	}
	int64_t frac = 0;
	if (*s == '.') {
		s++;
		int digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*s - '0');
		if (digits == 0)
			return BFT_EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (s[0] != 'Z' || s[1] != 0)
		return BFT_EINVAL;
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (v[0] < BFT_CIVIL_YEAR_MIN || v[0] > BFT_CIVIL_YEAR_MAX || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > mdays[v[1] - 1] || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return BFT_EINVAL;
	int64_t days = bft_days_from_civil(v[0], v[1], v[2]);
	int64_t y, mo, d;
	bft_civil_from_days(days, &y, &mo, &d);
	if (mo != v[1]) /* 29 February of a common year */
		return BFT_EINVAL;
	/* A leap second (60) is taken as the next second's start. */
	*t_ns = ((days * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) * 1000000000) + frac;
	return 0;
}

static int get_u64(json_object *o, const char *key, uint64_t *out, int required, char *err, size_t errlen,
		   const char *where)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return required ? fail(err, errlen, "%s: %s missing", where, key) : 0;
	if (!json_object_is_type(v, json_type_int))
		return fail(err, errlen, "%s: %s is not an integer", where, key);
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (x < 0 || errno == EINVAL)
		return fail(err, errlen, "%s: %s is negative or out of range", where, key);
	/* json-c saturates beyond int64; such a count is not a sample index. */
	if (x == INT64_MAX)
		return fail(err, errlen, "%s: %s out of range", where, key);
	*out = (uint64_t)x;
	return 1;
}

static int get_num(json_object *o, const char *key, double *out, char *err, size_t errlen, const char *where)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return fail(err, errlen, "%s: %s is not a number", where, key);
	double x = json_object_get_double(v);
	if (!isfinite(x))
		return fail(err, errlen, "%s: %s is not finite", where, key);
	*out = x + 0.0; /* -0 as 0: one value, one encoding */
	return 1;
}

static int get_str(json_object *o, const char *key, const char **out, char *err, size_t errlen, const char *where)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, errlen, "%s: %s is not a string", where, key);
	*out = json_object_get_string(v);
	return 1;
}

static int parse_global(json_object *g, bft_sigmf_meta *m, char *err, size_t errlen)
{
	const char *s;
	int rc = get_str(g, "core:datatype", &s, err, errlen, "global");
	if (rc <= 0)
		return rc < 0 ? rc : fail(err, errlen, "global: core:datatype missing");
	size_t i;
	for (i = 0; i < sizeof types / sizeof *types; i++)
		if (strcmp(s, types[i].name) == 0)
			break;
	if (i == sizeof types / sizeof *types)
		return fail(err, errlen, "global: core:datatype \"%.32s\" not supported (complex ci8, cu8, ci16_le, cf32_le)", s);
	m->type = types[i].type;
	rc = get_str(g, "core:version", &s, err, errlen, "global");
	if (rc <= 0)
		return rc < 0 ? rc : fail(err, errlen, "global: core:version missing");
	if (strncmp(s, "1.", 2) != 0 || strlen(s) >= sizeof m->version)
		return fail(err, errlen, "global: core:version \"%.16s\" is not 1.x", s);
	strcpy(m->version, s);
	rc = get_num(g, "core:sample_rate", &m->sample_rate_hz, err, errlen, "global");
	if (rc <= 0)
		return rc < 0 ? rc : fail(err, errlen, "global: core:sample_rate missing");
	if (!(m->sample_rate_hz > 0))
		return fail(err, errlen, "global: core:sample_rate must be > 0");
	rc = get_str(g, "core:hw", &s, err, errlen, "global");
	if (rc < 0)
		return rc;
	if (rc)
		snprintf(m->hw, sizeof m->hw, "%s", s);
	json_object *geo, *coord;
	if (json_object_object_get_ex(g, "core:geolocation", &geo)) {
		if (!json_object_is_type(geo, json_type_object) || !json_object_object_get_ex(geo, "coordinates", &coord) ||
		    !json_object_is_type(coord, json_type_array))
			return fail(err, errlen, "global: core:geolocation is not a GeoJSON point");
		size_t n = json_object_array_length(coord);
		if (n < 2 || n > 3)
			return fail(err, errlen, "global: core:geolocation needs [lon, lat] or [lon, lat, alt]");
		double v[3] = { 0 };
		for (size_t k = 0; k < n; k++) {
			json_object *e = json_object_array_get_idx(coord, k);
			if (!json_object_is_type(e, json_type_double) && !json_object_is_type(e, json_type_int))
				return fail(err, errlen, "global: core:geolocation coordinate %zu is not a number", k);
			v[k] = json_object_get_double(e) + 0.0;
		}
		if (!(fabs(v[0]) <= 180 && fabs(v[1]) <= 90 && fabs(v[2]) <= 100000))
			return fail(err, errlen, "global: core:geolocation out of range");
		m->lon_deg = v[0], m->lat_deg = v[1], m->alt_m = v[2], m->has_geo = 1;
	}
	return 0;
}

static int parse_captures(json_object *a, bft_sigmf_meta *m, char *err, size_t errlen)
{
	if (!json_object_is_type(a, json_type_array))
		return fail(err, errlen, "captures is not an array");
	size_t n = json_object_array_length(a);
	if (n == 0)
		return fail(err, errlen, "captures is empty");
	if (n > BFT_SIGMF_CAPTURES)
		return fail(err, errlen, "captures: %zu segments (at most %d)", n, BFT_SIGMF_CAPTURES);
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i);
		char where[32];
		snprintf(where, sizeof where, "captures[%zu]", i);
		bft_sigmf_capture *cap = &m->captures[i];
		memset(cap, 0, sizeof *cap);
		if (!json_object_is_type(c, json_type_object))
			return fail(err, errlen, "%s is not an object", where);
		if (get_u64(c, "core:sample_start", &cap->sample_start, 1, err, errlen, where) < 0)
			return BFT_EINVAL;
		if (i > 0 && cap->sample_start <= m->captures[i - 1].sample_start)
			return fail(err, errlen, "%s: core:sample_start not increasing", where);
		if (get_num(c, "core:frequency", &cap->freq_hz, err, errlen, where) < 0)
			return BFT_EINVAL;
		if (cap->freq_hz < 0)
			return fail(err, errlen, "%s: core:frequency negative", where);
		const char *s;
		int rc = get_str(c, "core:datetime", &s, err, errlen, where);
		if (rc < 0)
			return BFT_EINVAL;
		if (rc) {
			if (parse_datetime(s, &cap->datetime_ns))
				return fail(err, errlen, "%s: core:datetime \"%.40s\" is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.f]Z, years %d-%d)",
					    where, s, BFT_CIVIL_YEAR_MIN, BFT_CIVIL_YEAR_MAX);
			cap->has_datetime = 1;
		}
	}
	m->ncaptures = n;
	return 0;
}

static int parse_annotations(json_object *a, bft_sigmf_meta *m, char *err, size_t errlen)
{
	if (!json_object_is_type(a, json_type_array))
		return fail(err, errlen, "annotations is not an array");
	size_t n = json_object_array_length(a);
	if (n > BFT_SIGMF_ANNOTATIONS)
		return fail(err, errlen, "annotations: %zu (at most %d)", n, BFT_SIGMF_ANNOTATIONS);
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);
		char where[32];
		snprintf(where, sizeof where, "annotations[%zu]", i);
		bft_sigmf_annotation *an = &m->annotations[i];
		memset(an, 0, sizeof *an);
		if (!json_object_is_type(o, json_type_object))
			return fail(err, errlen, "%s is not an object", where);
		if (get_u64(o, "core:sample_start", &an->sample_start, 1, err, errlen, where) < 0 ||
		    get_u64(o, "core:sample_count", &an->sample_count, 0, err, errlen, where) < 0 ||
		    get_num(o, "core:freq_lower_edge", &an->freq_lo_hz, err, errlen, where) < 0 ||
		    get_num(o, "core:freq_upper_edge", &an->freq_hi_hz, err, errlen, where) < 0)
			return BFT_EINVAL;
		const char *s;
		int rc = get_str(o, "core:label", &s, err, errlen, where);
		if (rc < 0)
			return BFT_EINVAL;
		if (rc)
			snprintf(an->label, sizeof an->label, "%s", s);
	}
	m->nannotations = n;
	return 0;
}

int bft_sigmf_parse_meta(const char *text, size_t len, bft_sigmf_meta *m, char *err, size_t errlen)
{
	if (!text || !m)
		return fail(err, errlen, "no meta");
	memset(m, 0, sizeof *m);
	if (len > BFT_SIGMF_META_MAX)
		return fail(err, errlen, "meta larger than %u bytes", BFT_SIGMF_META_MAX);
	if (memchr(text, 0, len))
		return fail(err, errlen, "meta contains a NUL byte");
	json_tokener *tok = json_tokener_new_ex(32);
	if (!tok)
		return fail(err, errlen, "out of memory");
	json_object *root = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return fail(err, errlen, "meta is not valid JSON: %s",
			    jerr == json_tokener_continue ? "truncated" : json_tokener_error_desc(jerr));
	}
	for (size_t i = used; i < len; i++)
		if (!strchr(" \t\r\n", text[i])) {
			json_object_put(root);
			return fail(err, errlen, "meta has bytes after the JSON object (offset %zu)", i);
		}
	int rc = -1;
	json_object *g, *c, *a;
	if (!json_object_is_type(root, json_type_object))
		fail(err, errlen, "meta is not a JSON object");
	else if (!json_object_object_get_ex(root, "global", &g) || !json_object_is_type(g, json_type_object))
		fail(err, errlen, "global object missing");
	else if (parse_global(g, m, err, errlen) == 0) {
		if (!json_object_object_get_ex(root, "captures", &c))
			fail(err, errlen, "captures missing");
		else if (parse_captures(c, m, err, errlen) == 0) {
			if (!json_object_object_get_ex(root, "annotations", &a) || parse_annotations(a, m, err, errlen) == 0)
				rc = 0;
		}
	}
	json_object_put(root);
	if (rc)
		memset(m, 0, sizeof *m);
	return rc;
}

int bft_sigmf_decode(bft_sigmf_type t, const uint8_t *data, size_t len, size_t first, size_t count,
		     double complex *out)
{
	size_t sz = bft_sigmf_sample_size(t);
	if (!sz || !data || first > len / sz || count > len / sz - first)
		return BFT_EINVAL;
	const uint8_t *p = data + first * sz;
	for (size_t i = 0; i < count; i++, p += sz) {
		double re, im;
		switch (t) {
		case BFT_SIGMF_CI8: re = (int8_t)p[0], im = (int8_t)p[1]; break;
		case BFT_SIGMF_CU8: re = p[0] - 127.5, im = p[1] - 127.5; break;
		case BFT_SIGMF_CI16_LE:
			re = (int16_t)(uint16_t)(p[0] | p[1] << 8), im = (int16_t)(uint16_t)(p[2] | p[3] << 8);
			break;
		default: {
			uint32_t a = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
			uint32_t b = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
			float fa, fb;
			memcpy(&fa, &a, 4), memcpy(&fb, &b, 4);
			re = fa, im = fb;
			if (!isfinite(re) || !isfinite(im)) /* a NaN would poison every lag */
				return BFT_EINVAL;
		}
		}
		out[i] = re + I * im;
	}
	return 0;
}

int bft_sigmf_sample_time(const bft_sigmf_meta *m, uint64_t k, int64_t *t_ns)
{
	for (size_t i = m->ncaptures; i-- > 0;) {
		const bft_sigmf_capture *c = &m->captures[i];
		if (c->sample_start > k || !c->has_datetime)
			continue;
		double dt = (double)(k - c->sample_start) / m->sample_rate_hz * 1e9;
		if (!(dt < 9e18))
			return BFT_EINVAL;
		if (__builtin_add_overflow(c->datetime_ns, (int64_t)llround(dt), t_ns))
			return BFT_EINVAL;
		return 0;
	}
	return BFT_EINVAL;
}

int bft_sigmf_format_meta(const bft_sigmf_meta *m, char *out, size_t cap)
{
	json_object *root = json_object_new_object(), *g = json_object_new_object();
	json_object *caps = json_object_new_array(), *anns = json_object_new_array();
	json_object_object_add(g, "core:datatype", json_object_new_string(bft_sigmf_type_name(m->type)));
	json_object_object_add(g, "core:version", json_object_new_string(m->version[0] ? m->version : "1.0.0"));
	json_object_object_add(g, "core:sample_rate", json_object_new_double(m->sample_rate_hz));
	if (m->hw[0])
		json_object_object_add(g, "core:hw", json_object_new_string(m->hw));
	if (m->has_geo) {
		json_object *geo = json_object_new_object(), *c = json_object_new_array();
		json_object_object_add(geo, "type", json_object_new_string("Point"));
		json_object_array_add(c, json_object_new_double(m->lon_deg));
		json_object_array_add(c, json_object_new_double(m->lat_deg));
		json_object_array_add(c, json_object_new_double(m->alt_m));
		json_object_object_add(geo, "coordinates", c);
		json_object_object_add(g, "core:geolocation", geo);
	}
	for (size_t i = 0; i < m->ncaptures && i < BFT_SIGMF_CAPTURES; i++) {
		const bft_sigmf_capture *c = &m->captures[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "core:sample_start", json_object_new_int64((int64_t)c->sample_start));
		if (c->freq_hz > 0)
			json_object_object_add(o, "core:frequency", json_object_new_double(c->freq_hz));
		if (c->has_datetime) {
			int64_t s = c->datetime_ns / 1000000000, ns = c->datetime_ns % 1000000000;
			if (ns < 0)
				ns += 1000000000, s--;
			int64_t days = s / 86400, sod = s % 86400;
			if (sod < 0)
				sod += 86400, days--;
			int64_t y, mo, d;
			bft_civil_from_days(days, &y, &mo, &d);
			char buf[48];
			snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09lldZ", (long long)y,
				 (long long)mo, (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
				 (long long)(sod % 60), (long long)ns);
			json_object_object_add(o, "core:datetime", json_object_new_string(buf));
		}
		json_object_array_add(caps, o);
	}
	for (size_t i = 0; i < m->nannotations && i < BFT_SIGMF_ANNOTATIONS; i++) {
		const bft_sigmf_annotation *a = &m->annotations[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "core:sample_start", json_object_new_int64((int64_t)a->sample_start));
		json_object_object_add(o, "core:sample_count", json_object_new_int64((int64_t)a->sample_count));
		if (a->freq_lo_hz != 0 || a->freq_hi_hz != 0) {
			json_object_object_add(o, "core:freq_lower_edge", json_object_new_double(a->freq_lo_hz));
			json_object_object_add(o, "core:freq_upper_edge", json_object_new_double(a->freq_hi_hz));
		}
		if (a->label[0])
			json_object_object_add(o, "core:label", json_object_new_string(a->label));
		json_object_array_add(anns, o);
	}
	json_object_object_add(root, "global", g);
	json_object_object_add(root, "captures", caps);
	json_object_object_add(root, "annotations", anns);
	const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	int rc = -1;
	if (n + 1 <= cap && n < (size_t)INT32_MAX) {
		memcpy(out, s, n + 1);
		rc = (int)n;
	}
	json_object_put(root);
	return rc;
}

static double clip(double v, double lo, double hi, size_t *clipped)
{
	v = nearbyint(v);
	if (v < lo || v > hi) {
		(*clipped)++;
		return v < lo ? lo : hi;
	}
	return v;
}

size_t bft_sigmf_encode(bft_sigmf_type t, const double complex *x, size_t n, double scale, uint8_t *out)
{
	size_t clipped = 0, sz = bft_sigmf_sample_size(t);
	for (size_t i = 0; i < n; i++) {
		double re = creal(x[i]) * scale, im = cimag(x[i]) * scale;
		uint8_t *p = out + i * sz;
		switch (t) {
		case BFT_SIGMF_CI8:
			p[0] = (uint8_t)(int8_t)clip(re, -128, 127, &clipped);
			p[1] = (uint8_t)(int8_t)clip(im, -128, 127, &clipped);
			break;
		case BFT_SIGMF_CU8:
			p[0] = (uint8_t)clip(re + 127.5, 0, 255, &clipped);
			p[1] = (uint8_t)clip(im + 127.5, 0, 255, &clipped);
			break;
		case BFT_SIGMF_CI16_LE: {
			uint16_t a = (uint16_t)(int16_t)clip(re, -32768, 32767, &clipped);
			uint16_t b = (uint16_t)(int16_t)clip(im, -32768, 32767, &clipped);
			p[0] = (uint8_t)a, p[1] = (uint8_t)(a >> 8), p[2] = (uint8_t)b, p[3] = (uint8_t)(b >> 8);
			break;
		}
		default: {
			float fa = (float)re, fb = (float)im;
			uint32_t a, b;
			memcpy(&a, &fa, 4), memcpy(&b, &fb, 4);
			for (int k = 0; k < 4; k++)
				p[k] = (uint8_t)(a >> 8 * k), p[4 + k] = (uint8_t)(b >> 8 * k);
		}
		}
	}
	return clipped;
}

/* Whole file into memory, at most max bytes. */
static int slurp(const char *path, size_t max, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	uint8_t *b = NULL;
	size_t n = 0, capb = 0;
	for (;;) {
		if (n == capb) {
			if (capb >= max) {
				free(b);
				fclose(f);
				return fail(err, errlen, "%s: larger than %zu bytes", path, max);
			}
			capb = capb ? capb * 2 : 65536;
			if (capb > max)
				capb = max;
			uint8_t *nb = realloc(b, capb + 1);
			if (!nb) {
				free(b);
				fclose(f);
				return fail(err, errlen, "%s: out of memory", path);
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, capb - n, f);
		n += r;
		if (r == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b);
		return fail(err, errlen, "%s: read error", path);
	}
	*buf = b, *len = n;
	return 0;
}

int bft_sigmf_read(const char *base, bft_sigmf_meta *m, double complex **out, size_t *n, char *err, size_t errlen)
{
	char path[4096];
	uint8_t *meta = NULL, *data = NULL;
	size_t mlen, dlen;
	if (snprintf(path, sizeof path, "%s.sigmf-meta", base) >= (int)sizeof path)
		return fail(err, errlen, "path too long");
	if (slurp(path, BFT_SIGMF_META_MAX, &meta, &mlen, err, errlen))
		return BFT_EINVAL;
	char perr[200];
	int rc = bft_sigmf_parse_meta((const char *)meta, mlen, m, perr, sizeof perr);
	free(meta);
	if (rc)
		return fail(err, errlen, "%s: %s", path, perr);
	snprintf(path, sizeof path, "%s.sigmf-data", base);
	if (slurp(path, (size_t)1 << 32, &data, &dlen, err, errlen))
		return BFT_EINVAL;
	size_t sz = bft_sigmf_sample_size(m->type);
	if (dlen % sz) {
		free(data);
		return fail(err, errlen, "%s: %zu bytes is not a whole number of %s samples", path, dlen, bft_sigmf_type_name(m->type));
	}
	size_t count = dlen / sz;
	double complex *x = malloc((count ? count : 1) * sizeof *x);
	if (!x || bft_sigmf_decode(m->type, data, dlen, 0, count, x)) {
		free(x);
		free(data);
		return fail(err, errlen, "%s: %s", path, x ? "non-finite sample" : "out of memory");
	}
	free(data);
	/* A capture that starts past the data describes no sample: taken as
	 * given, its blocks would be read from beyond the recording. */
	for (size_t k = 0; k < m->ncaptures; k++)
		if (m->captures[k].sample_start >= count) {
			free(x);
			snprintf(path, sizeof path, "%s.sigmf-meta", base);
			return fail(err, errlen, "%s: capture %zu starts at sample %llu, past the %zu samples of the data", path,
			            k, (unsigned long long)m->captures[k].sample_start, count);
		}
	*out = x, *n = count;
	return 0;
}

int bft_sigmf_write(const char *base, const bft_sigmf_meta *m, const double complex *x, size_t n, double scale)
{
	char path[4096];
	size_t sz = bft_sigmf_sample_size(m->type);
	uint8_t *data = malloc(n * sz + 1);
	char *meta = malloc(BFT_SIGMF_META_MAX);
	int rc = -1;
	if (!data || !meta)
		goto out;
	bft_sigmf_encode(m->type, x, n, scale, data);
	int ml = bft_sigmf_format_meta(m, meta, BFT_SIGMF_META_MAX);
	if (ml < 0)
		goto out;
	const char *ext[2] = { "sigmf-data", "sigmf-meta" };
	const void *buf[2] = { data, meta };
	size_t len[2] = { n * sz, (size_t)ml };
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s.%s", base, ext[i]);
		FILE *f = fopen(path, "wb");
		if (!f)
			goto out;
		size_t w = fwrite(buf[i], 1, len[i], f);
		if (fclose(f) != 0 || w != len[i])
			goto out;
	}
	rc = 0;
out:
	free(data);
	free(meta);
	return rc;
}
