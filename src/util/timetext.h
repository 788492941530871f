/* SPDX-License-Identifier: MIT */
/*
 * Time as text, the one place it is read and written: RFC 3339 (the API's
 * times, the CLI's arguments and output, gpsd's reports), and a time
 * argument given as RFC 3339 or integer ns. Pure: no clock reads, no
 * allocation.
 */
#ifndef BFTIME_UTIL_TIMETEXT_H
#define BFTIME_UTIL_TIMETEXT_H

#include <stddef.h>
#include <stdint.h>

/* RFC 3339 "2024-05-01T12:00:00.123456789Z" (or +hh:mm / -hh:mm; up to nine
 * fractional digits; 'T' or 't' or ' '; years 1970..2262) into ns since the
 * epoch. 0 or BFT_EINVAL. Leap second 60 is refused. */
int bftd_rfc3339_parse(const char *s, size_t len, int64_t *out_ns);

/* ns since the epoch as RFC 3339 UTC with nine fractional digits; out must
 * hold 36 bytes. Returns out. */
char *bftd_rfc3339_format(char *out, size_t cap, int64_t ns);

/* A time given as an RFC 3339 string or integer ns (decimal digits, optional sign). */
int bftd_time_arg_parse(const char *s, int64_t *out_ns);

#endif
