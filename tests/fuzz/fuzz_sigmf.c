/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SigMF reader: any bytes as a .sigmf-meta must
 * parse or be refused with a reason, without touching memory outside the
 * buffer; whatever parses must format and parse back to the same struct,
 * give sample times that never go backwards, and its datatype must decode
 * the input's bytes as samples (or refuse a non-finite float).
 */
#include <complex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sigmf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bft_sigmf_meta m, again;
	static char text[1 << 17];
	char err[200];
	err[0] = 0;
	if (bft_sigmf_parse_meta((const char *)data, size, &m, err, sizeof err) != 0) {
		if (!err[0])
			abort(); /* every refusal has a reason */
		return 0;
	}
	if (m.ncaptures == 0 || m.ncaptures > BFT_SIGMF_CAPTURES || !(m.sample_rate_hz > 0))
		abort();
	int n = bft_sigmf_format_meta(&m, text, sizeof text);
	if (n < 0)
		abort();
	if (bft_sigmf_parse_meta(text, (size_t)n, &again, err, sizeof err) != 0 || memcmp(&m, &again, sizeof m) != 0)
		abort();
	int64_t prev = INT64_MIN, t;
	for (uint64_t k = 0; k < 4; k++)
		if (bft_sigmf_sample_time(&m, m.captures[0].sample_start + k * 1000, &t) == 0) {
			if (t < prev)
				abort();
			prev = t;
		}
	double complex s[64];
	size_t sz = bft_sigmf_sample_size(m.type), cnt = size / sz < 64 ? size / sz : 64;
	(void)bft_sigmf_decode(m.type, data, size, 0, cnt, s);
	return 0;
}
