/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the API's request parsers (src/daemon/api.h): the
 * POST /v1/proofs and /v1/validate bodies, RFC 3339 and time arguments.
 * Any bytes must be accepted or refused without touching memory outside
 * the buffers; what parses must be within its documented ranges, and an
 * RFC 3339 time must format back to a string that parses to the same ns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[BFTD_API_MAX_PROOFS][BFT_PROOF_MAX];
	size_t lens[BFTD_API_MAX_PROOFS], n;
	char err[200];
	if (bftd_api_parse_proofs(data, size, size & 1 ? "application/octet-stream" : "application/json", out, lens,
	                          BFTD_API_MAX_PROOFS, &n, err, sizeof err) == 0) {
		if (n == 0 || n > BFTD_API_MAX_PROOFS)
			abort();
		for (size_t i = 0; i < n; i++)
			if (lens[i] < BFT_PROOF_MIN || lens[i] > BFT_PROOF_MAX)
				abort();
	}
	int64_t ts, tol;
	if (bftd_api_parse_validate(data, size, &ts, &tol, err, sizeof err) == 0 && (tol < 0 || tol > 86400 * BFT_NS_PER_SEC))
		abort();
	if (bftd_rfc3339_parse((const char *)data, size, &ts) == 0) {
		char buf[48];
		int64_t back;
		bftd_rfc3339_format(buf, sizeof buf, ts);
		if (bftd_rfc3339_parse(buf, strlen(buf), &back) != 0 || back != ts)
			abort();
	}
	char s[64];
	size_t l = size < sizeof s - 1 ? size : sizeof s - 1;
	memcpy(s, data, l);
	s[l] = 0;
	(void)bftd_time_arg_parse(s, &ts);
	return 0;
}
