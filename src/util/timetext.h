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

/* The fields of an RFC 3339 date-time, as written (UTC when off_s is 0). */
typedef struct bftd_rfc3339_fields {
	int64_t year, month, day, hour, min, sec;
	int64_t frac_ns; /* the fraction, in ns */
	int64_t off_s;   /* the offset from UTC, seconds (+hh:mm ahead) */
} bftd_rfc3339_fields;

/* What a reader accepts beyond the strict form. */
#define BFTD_RFC3339_LEAP 1u    /* second 60 (a receiver reporting a leap second) */
#define BFTD_RFC3339_LONG 2u    /* more than nine fractional digits, cut at ns */
#define BFTD_RFC3339_Z_ONLY 4u  /* only 'T' and 'Z' (no 't', ' ', 'z' or an offset) */

/* The one reader of RFC 3339 text: "2024-05-01T12:00:00.123456789Z", or an
 * offset +hh:mm / -hh:mm, 'T', 't' or ' ' between date and time, up to nine
 * fractional digits, a day that exists in its month; flags as above. Any
 * year of four digits: the callers bound it. 0 or BFT_EINVAL. */
int bftd_rfc3339_scan(const char *s, size_t len, unsigned flags, bftd_rfc3339_fields *out);

/* RFC 3339 (bftd_rfc3339_scan, no flags; years 1970..2262) into ns since
 * the epoch. 0 or BFT_EINVAL. Leap second 60 is refused. */
int bftd_rfc3339_parse(const char *s, size_t len, int64_t *out_ns);

/* ns since the epoch as RFC 3339 UTC with nine fractional digits; out must
 * hold 36 bytes. Returns out. */
char *bftd_rfc3339_format(char *out, size_t cap, int64_t ns);

/* A time given as an RFC 3339 string or integer ns (decimal digits, optional sign). */
int bftd_time_arg_parse(const char *s, int64_t *out_ns);

#endif
