/* SPDX-License-Identifier: MIT */
/*
 * RFC 7512 PKCS#11 URI parser; the header states what is accepted. One
 * pass: split at '?', then the path at ';' and the query at '&', each
 * attribute at its first '='; values decoded into the record's fixed
 * buffers with their bounds checked, so nothing is allocated.
 */
#include "proto/pkcs11_uri.h"

#include <string.h>

#include <openssl/crypto.h>

#include <bftime/common.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode v[0..n) into out (cap bytes); *out_len the length.
 * Raw characters must be printable ASCII other than the separators of the
 * part the value is in (already split off) and '%' outside an escape. */
static int decode(const char *v, size_t n, uint8_t *out, size_t cap, size_t *out_len, const char **why)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		int b;
		if (c == '%') {
			if (i + 2 >= n) {
				*why = "truncated percent escape";
				return BFT_EINVAL;
			}
			int h = hexval(v[i + 1]), l = hexval(v[i + 2]);
			if (h < 0 || l < 0) {
				*why = "bad percent escape";
				return BFT_EINVAL;
			}
			b = h * 16 + l;
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f) {
			*why = "a character that must be percent-encoded (space, control or non-ASCII)";
			return BFT_EINVAL;
		} else {
			b = c;
		}
		if (o == cap) {
			*why = "attribute value too long";
			return BFT_EINVAL;
		}
		out[o++] = (uint8_t)b;
	}
	*out_len = o;
	return 0;
}

/* A string attribute: decoded, no NUL, NUL-terminated in out[cap]. */
static int str_attr(const char *v, size_t n, char *out, size_t cap, const char **why)
{
	size_t len;
	if (out[0]) {
		*why = "attribute given twice";
		return BFT_EINVAL;
	}
	if (decode(v, n, (uint8_t *)out, cap - 1, &len, why))
		return BFT_EINVAL;
	if (memchr(out, 0, len)) {
		*why = "NUL (%00) in a string attribute";
		return BFT_EINVAL;
	}
	if (len == 0) {
		*why = "empty attribute value";
		return BFT_EINVAL;
	}
	out[len] = 0;
	return 0;
}

static int is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(name, want, n) == 0;
}

static int path_attr(bft_pkcs11_uri *u, const char *a, size_t n, const char **why)
{
	const char *eq = memchr(a, '=', n);
	if (!eq) {
		*why = "path attribute without '='";
		return BFT_EINVAL;
	}
	size_t kn = (size_t)(eq - a), vn = n - kn - 1;
	const char *v = eq + 1;
	if (is(a, kn, "token"))
		return str_attr(v, vn, u->token, sizeof u->token, why);
	if (is(a, kn, "manufacturer"))
		return str_attr(v, vn, u->manufacturer, sizeof u->manufacturer, why);
	if (is(a, kn, "serial"))
		return str_attr(v, vn, u->serial, sizeof u->serial, why);
	if (is(a, kn, "model"))
		return str_attr(v, vn, u->model, sizeof u->model, why);
	if (is(a, kn, "object"))
		return str_attr(v, vn, u->object, sizeof u->object, why);
	if (is(a, kn, "id")) {
		if (u->has_id) {
			*why = "attribute given twice";
			return BFT_EINVAL;
		}
		if (decode(v, vn, u->id, sizeof u->id, &u->id_len, why))
			return BFT_EINVAL;
		if (u->id_len == 0) {
			*why = "empty attribute value";
			return BFT_EINVAL;
		}
		u->has_id = 1;
		return 0;
	}
	if (is(a, kn, "type")) {
		static const char *const names[] = { "public", "private", "cert", "secret-key", "data" };
		if (u->type != BFT_P11_TYPE_ANY) {
			*why = "attribute given twice";
			return BFT_EINVAL;
		}
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (is(v, vn, names[i])) {
				u->type = (enum bft_pkcs11_objtype)(i + 1);
				return 0;
			}
		*why = "type is not public, private, cert, secret-key or data";
		return BFT_EINVAL;
	}
	if (is(a, kn, "slot-id")) {
		unsigned long x = 0;
		if (u->has_slot_id || vn == 0 || vn > 19) {
			*why = u->has_slot_id ? "attribute given twice" : "slot-id is not a decimal number";
			return BFT_EINVAL;
		}
		for (size_t i = 0; i < vn; i++) {
			if (v[i] < '0' || v[i] > '9') {
				*why = "slot-id is not a decimal number";
				return BFT_EINVAL;
			}
			x = x * 10 + (unsigned long)(v[i] - '0');
		}
		u->slot_id = x;
		u->has_slot_id = 1;
		return 0;
	}
	if (kn >= 2 && a[0] == 'x' && a[1] == '-')
		return 0; /* vendor-specific: RFC 7512 lets us skip it */
	if (kn == 0) {
		*why = "empty attribute name";
		return BFT_EINVAL;
	}
	*why = "unsupported path attribute (only token, manufacturer, serial, model, slot-id, object, id, type)";
	return BFT_EINVAL;
}

static int query_attr(bft_pkcs11_uri *u, const char *a, size_t n, const char **why)
{
	const char *eq = memchr(a, '=', n);
	if (!eq) {
		*why = "query attribute without '='";
		return BFT_EINVAL;
	}
	size_t kn = (size_t)(eq - a), vn = n - kn - 1;
	const char *v = eq + 1;
	if (is(a, kn, "module-path"))
		return str_attr(v, vn, u->module_path, sizeof u->module_path, why);
	if (is(a, kn, "module-name"))
		return str_attr(v, vn, u->module_name, sizeof u->module_name, why);
	if (is(a, kn, "pin-source"))
		return str_attr(v, vn, u->pin_source, sizeof u->pin_source, why);
	if (is(a, kn, "pin-value"))
		return str_attr(v, vn, u->pin_value, sizeof u->pin_value, why);
	if (kn >= 2 && a[0] == 'x' && a[1] == '-')
		return 0;
	*why = "unsupported query attribute (only module-path, module-name, pin-source, pin-value)";
	return BFT_EINVAL;
}

int bft_pkcs11_uri_parse(bft_pkcs11_uri *out, const char *s, size_t len, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!out || (!s && len)) {
		*why = "no URI";
		return BFT_EINVAL;
	}
	memset(out, 0, sizeof *out);
	if (len < 7 || memcmp(s, "pkcs11:", 7) != 0) {
		*why = "not a PKCS#11 URI (it must start with \"pkcs11:\")";
		return BFT_EINVAL;
	}
	const char *p = s + 7, *end = s + len;
	const char *q = memchr(p, '?', (size_t)(end - p));
	const char *path_end = q ? q : end;
	int rc = 0;
	while (rc == 0 && p < path_end) {
		const char *sep = memchr(p, ';', (size_t)(path_end - p));
		const char *e = sep ? sep : path_end;
		rc = path_attr(out, p, (size_t)(e - p), why);
		p = sep ? sep + 1 : path_end;
		if (rc == 0 && sep && p == path_end) {
			*why = "empty path attribute (a trailing ';')";
			rc = BFT_EINVAL;
		}
	}
	if (rc == 0 && q) {
		p = q + 1;
		if (p == end) {
			*why = "empty query after '?'";
			rc = BFT_EINVAL;
		}
		while (rc == 0 && p < end) {
			const char *sep = memchr(p, '&', (size_t)(end - p));
			const char *e = sep ? sep : end;
			rc = query_attr(out, p, (size_t)(e - p), why);
			p = sep ? sep + 1 : end;
			if (rc == 0 && sep && p == end) {
				*why = "empty query attribute (a trailing '&')";
				rc = BFT_EINVAL;
			}
		}
	}
	if (rc == 0 && out->pin_source[0] && out->pin_value[0]) {
		*why = "both pin-source and pin-value";
		rc = BFT_EINVAL;
	}
	if (rc)
		OPENSSL_cleanse(out, sizeof *out);
	return rc;
}
