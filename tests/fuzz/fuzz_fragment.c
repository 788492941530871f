/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the solar fragment decoder: any bytes must decode or
 * be refused without touching memory outside the buffer, and whatever
 * decodes must re-encode to exactly the same bytes (the encoding is
 * canonical: one fragment, one byte string to sign) and unpack its samples
 * to the four levels only. The first byte picks the signature length (0, 8
 * or 64); the "signer" copies the input's signature, so re-encoding
 * compares every byte.
 */
#include <complex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/fragment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *given_sig;

static int copy_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	(void)self, (void)msg, (void)len;
	memcpy(sig, given_sig, *(size_t *)ctx);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const size_t lens[3] = { 0, 8, 64 };
	size_t sig_len = lens[data[0] % 3];
	data++, size--;
	bft_fragment f;
	if (bft_fragment_decode(data, size, sig_len, &f) != 0)
		return 0;
	if (size != bft_fragment_size(f.bits, f.n, sig_len) || f.samples != data + BFT_FRAG_HEADER)
		abort();
	given_sig = data + size - sig_len;
	bft_signer s = { "copy", sig_len, copy_sign, NULL, &sig_len };
	static uint8_t buf[BFT_FRAG_MAX_BYTES];
	size_t len = 0;
	if (bft_fragment_encode(&f, &s, buf, sizeof buf, &len) != 0 || len != size || memcmp(buf, data, size) != 0)
		abort();
	static double complex x[BFT_FRAG_MAX_SAMPLES];
	bft_fragment_unpack(f.samples, f.n, f.bits, x);
	for (uint32_t i = 0; i < f.n; i++) {
		double re = creal(x[i]), im = cimag(x[i]);
		if (!(re == 1 || re == -1 || re == 3 || re == -3) || !(im == 1 || im == -1 || im == 3 || im == -3))
			abort();
		if (f.bits == 1 && (re * re != 1 || im * im != 1))
			abort();
	}
	return 0;
}
