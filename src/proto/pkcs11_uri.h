/* SPDX-License-Identifier: MIT */
/*
 * PKCS#11 URIs (RFC 7512), the way a key on a token is named:
 *   pkcs11:token=bftime;object=node1;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/bftime/pin
 * A pure parser (no I/O), fuzzed by tests/fuzz/fuzz_pkcs11_uri.c. It
 * accepts the path attributes that select a token and a key (token,
 * manufacturer, serial, model, slot-id, object, id, type) and the query
 * attributes that say how to reach it (module-path, module-name,
 * pin-source, pin-value); vendor attributes ("x-...") are skipped, as RFC
 * 7512 allows. Any other attribute is refused rather than ignored: an
 * ignored constraint could select a key the operator did not mean.
 * Values are percent-decoded; a string attribute may not contain NUL, an
 * id may hold any bytes. An attribute given twice is refused.
 */
#ifndef BFTIME_PROTO_PKCS11_URI_H
#define BFTIME_PROTO_PKCS11_URI_H

#include <stddef.h>
#include <stdint.h>

enum bft_pkcs11_objtype {
	BFT_P11_TYPE_ANY = 0,
	BFT_P11_TYPE_PUBLIC,
	BFT_P11_TYPE_PRIVATE,
	BFT_P11_TYPE_CERT,
	BFT_P11_TYPE_SECRET_KEY,
	BFT_P11_TYPE_DATA,
};

/* Sizes: PKCS#11's fixed token fields (32 / 32 / 16 / 16 characters), and
 * bounds generous for labels, ids and paths. Empty string: not given. */
typedef struct bft_pkcs11_uri {
	char token[33], manufacturer[33], serial[17], model[17];
	char object[129];
	uint8_t id[64];
	size_t id_len;
	int has_id, has_slot_id;
	unsigned long slot_id;
	enum bft_pkcs11_objtype type;
	char module_path[257], module_name[65], pin_source[257], pin_value[129];
} bft_pkcs11_uri;

/* Parse len bytes of s (need not be NUL-terminated). 0, or BFT_EINVAL with
 * *why (if why is not NULL) a static sentence naming the problem; out is
 * then cleared (it may have held a PIN). */
int bft_pkcs11_uri_parse(bft_pkcs11_uri *out, const char *s, size_t len, const char **why);

#endif
