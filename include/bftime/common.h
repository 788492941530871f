/* SPDX-License-Identifier: MIT */
/*
 * Shared definitions for libbftime: the units every API uses, the error codes
 * every function returns, and the export macro.
 *
 * Units and signs, stated once for the whole library:
 *  - Times and offsets are signed 64-bit nanoseconds (int64_t, names end _ns).
 *    An int64_t of nanoseconds spans +-292 years, enough for any epoch we use.
 *  - An offset is (other clock - local clock): a positive offset means the
 *    other clock (reference, peer, true time) is ahead of ours, so adding the
 *    offset to a local reading gives the other clock's reading.
 *  - Frequency errors and drift bounds are parts per billion (int64_t, _ppb)
 *    where exactness matters, doubles in ppm only in human output.
 *  - Functions return 0 (or a non-negative count) on success and a negative
 *    BFT_E* code on failure. The library never exits and never prints.
 */
#ifndef BFTIME_COMMON_H
#define BFTIME_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BFT_API __attribute__((visibility("default")))
#define BFT_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define BFT_API
#define BFT_WARN_UNUSED
#endif

#define BFT_NS_PER_SEC INT64_C(1000000000)
#define BFT_PPB_PER_UNIT INT64_C(1000000000) /* 1.0 as parts per billion */

enum bft_error {
	BFT_OK = 0,
	BFT_EINVAL = -1,  /* argument outside the function's contract */
	BFT_EFAULTS = -2, /* the readings prove more than f of them are faulty */
	BFT_ENOMEM = -3,  /* allocation failed or size overflow */
	BFT_ERANGE = -4,  /* a result does not fit in int64 nanoseconds */
	BFT_EEMPTY = -5,  /* no data to work on */
};

/* A static string naming an error code, for logs. Never NULL. */
BFT_API const char *bft_strerror(int err);

#endif
