/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SLH-DSA key file parser (daemon/slhkey.h): any
 * bytes parse or are refused without reading outside them; a key that
 * parses names a known set and, written back as the file format, parses to
 * the same key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/slhkey.h"
#include "util/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const bft_slhdsa_params *pp = NULL, *again = NULL;
	uint8_t sk[BFT_SLHDSA_MAX_SK], sk2[BFT_SLHDSA_MAX_SK];
	if (bftd_slhkey_parse(&pp, sk, data, size) != 0)
		return 0;
	if (!pp || bft_slhdsa_params_get(pp->id) != pp)
		abort();
	char text[BFTD_SLHKEY_FILE_MAX + 1];
	size_t nl = (size_t)snprintf(text, sizeof text, "%s\n", pp->name);
	bftd_hex(text + nl, sk, pp->sk_len);
	if (bftd_slhkey_parse(&again, sk2, (const uint8_t *)text, nl + 2 * pp->sk_len) != 0 || again != pp ||
	    memcmp(sk, sk2, pp->sk_len) != 0)
		abort();
	return 0;
}
