/* SPDX-License-Identifier: MIT */
/*
 * Big-endian integers in canonical encodings, the one codec the formats
 * share (time proofs, chain statements and blocks, solar fragments): write
 * `bytes` bytes of v at q and return the byte after; read as many from *q
 * and advance it. The caller has checked the room. Pure.
 */
#ifndef BFTIME_PROTO_BYTES_H
#define BFTIME_PROTO_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint8_t *bft_be_put(uint8_t *q, uint64_t v, unsigned bytes)
{
	for (unsigned i = bytes; i-- > 0;)
		*q++ = (uint8_t)(v >> (8 * i));
	return q;
}

static inline uint64_t bft_be_get(const uint8_t **q, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | (*q)[i];
	*q += bytes;
	return v;
}

static inline uint8_t *bft_be_put_bytes(uint8_t *q, const void *src, size_t n)
{
	memcpy(q, src, n);
	return q + n;
}

#endif
