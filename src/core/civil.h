/* SPDX-License-Identifier: MIT */
/*
 * Proleptic Gregorian dates <-> days since 1970-01-01 (Howard Hinnant's
 * algorithms, exact for every int64 year that fits): the one calendar of
 * bftime, for NMEA dates, RFC 3339 text and the CLI. Pure, no time zone.
 */
#ifndef BFTIME_CORE_CIVIL_H
#define BFTIME_CORE_CIVIL_H

#include <stddef.h>
#include <stdint.h>

/* The years a clock source may plausibly name, 1900 to 2200: a date a GPS
 * receiver, gpsd or a capture states outside them is broken or hostile, and
 * is refused as a bad time. The bound is what keeps time arithmetic safe:
 * int64 ns since 1970 hold 1677-09-21 to 2262-04-11, and every time of these
 * years, even moved on by a GPS week-rollover correction (19.6 years), stays
 * far inside that. */
#define BFT_CIVIL_YEAR_MIN 1900
#define BFT_CIVIL_YEAR_MAX 2200

/* Days since 1970-01-01 of year y, month m (1..12), day d (1..31). */
int64_t bft_days_from_civil(int64_t y, int64_t m, int64_t d);

/* The date of day z since 1970-01-01. */
void bft_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d);

/* ns since the epoch as RFC 3339 UTC, "2024-05-01T12:00:00.123Z", with
 * `digits` (0..9) fractional digits, truncated; the one writer of time text
 * (the API's, the CLI's, the NMEA decoder's). out must hold 31 bytes; it is
 * returned. */
char *bft_civil_format_rfc3339(char *out, size_t cap, int64_t ns, int digits);

#endif
