/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for PKCS#11 URIs (src/proto/pkcs11_uri.h): any bytes are
 * parsed or refused with a reason, never read past; a refused URI leaves the
 * record zeroed (it may have held a PIN); an accepted one has NUL-terminated
 * strings, not both pin-source and pin-value, and survives a round trip:
 * written back with every byte percent-encoded, it parses to the same record.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pkcs11_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t put(char *out, size_t o, const char *name, const uint8_t *v, size_t n, char sep)
{
	o += (size_t)sprintf(out + o, "%c%s=", sep, name);
	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(out + o, "%%%02X", v[i]);
	return o;
}

static size_t put_str(char *out, size_t o, const char *name, const char *v, char sep)
{
	return v[0] ? put(out, o, name, (const uint8_t *)v, strlen(v), sep) : o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_pkcs11_uri u, again;
	static const bft_pkcs11_uri zero;
	const char *why = NULL;
	if (bft_pkcs11_uri_parse(&u, (const char *)data, size, &why) != 0) {
		if (!why || memcmp(&u, &zero, sizeof u) != 0)
			abort();
		return 0;
	}
	const char *strs[] = { u.token, u.manufacturer, u.serial, u.model, u.object,
		               u.module_path, u.module_name, u.pin_source, u.pin_value };
	size_t caps[] = { sizeof u.token, sizeof u.manufacturer, sizeof u.serial, sizeof u.model, sizeof u.object,
		          sizeof u.module_path, sizeof u.module_name, sizeof u.pin_source, sizeof u.pin_value };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (!memchr(strs[i], 0, caps[i]))
			abort();
	if (u.pin_source[0] && u.pin_value[0])
		abort();
	if (u.id_len > sizeof u.id || (u.has_id && u.id_len == 0))
		abort();

	static char out[8192];
	static const char *const types[] = { "", "public", "private", "cert", "secret-key", "data" };
	size_t o = (size_t)sprintf(out, "pkcs11:");
	char sep = 0;
	/* The first path attribute has no ';' before it: write it, then drop
	 * the separator character. */
#define PATH(name, v)                                                                                            \
	do {                                                                                                     \
		size_t before = o;                                                                               \
		o = put_str(out, o, name, v, ';');                                                               \
		if (o != before && !sep) {                                                                       \
			memmove(out + before, out + before + 1, o - before - 1);                                 \
			o--;                                                                                     \
			sep = ';';                                                                               \
		}                                                                                                \
	} while (0)
	PATH("token", u.token);
	PATH("manufacturer", u.manufacturer);
	PATH("serial", u.serial);
	PATH("model", u.model);
	PATH("object", u.object);
	if (u.has_id) {
		o = put(out, o, "id", u.id, u.id_len, ';');
		if (!sep) {
			memmove(out + 7, out + 8, o - 8);
			o--;
			sep = ';';
		}
	}
	if (u.type != BFT_P11_TYPE_ANY)
		o += (size_t)sprintf(out + o, "%stype=%s", sep ? ";" : "", types[u.type]), sep = ';';
	if (u.has_slot_id)
		o += (size_t)sprintf(out + o, "%sslot-id=%lu", sep ? ";" : "", u.slot_id), sep = ';';
	char qsep = '?';
	const char *q[] = { u.module_path, u.module_name, u.pin_source, u.pin_value };
	const char *qn[] = { "module-path", "module-name", "pin-source", "pin-value" };
	for (int i = 0; i < 4; i++)
		if (q[i][0]) {
			o = put_str(out, o, qn[i], q[i], qsep);
			qsep = '&';
		}
	if (bft_pkcs11_uri_parse(&again, out, o, &why) != 0 || memcmp(&u, &again, sizeof u) != 0) {
		fprintf(stderr, "round trip failed: %.*s (%s)\n", (int)o, out, why ? why : "");
		abort();
	}
	return 0;
}
