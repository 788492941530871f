/* SPDX-License-Identifier: MIT */
/*
 * GPS time, the one place its epoch, week and leap seconds are written:
 * GPS time counts from 1980-01-06T00:00:00Z without leap seconds, so it runs
 * ahead of UTC by the leap seconds inserted since (18 since 2017-01-01).
 * The NMEA decoder, the GPS drivers' checks and the time proofs' reference
 * block all convert through here. Pure.
 */
#ifndef BFTIME_CORE_GPSTIME_H
#define BFTIME_CORE_GPSTIME_H

#include <stdint.h>

#include <bftime/common.h>

#define BFT_GPS_EPOCH_UNIX_S INT64_C(315964800) /* 1980-01-06T00:00:00Z */
#define BFT_GPS_LEAP_S 18                        /* GPS - UTC since 2017-01-01 (the default) */
#define BFT_GPS_WEEK_NS (INT64_C(604800) * BFT_NS_PER_SEC)

/* GPS time of UTC time utc_ns (Unix ns), GPS - UTC = leap_s: ns since the
 * GPS epoch, negative before it. Saturating (any utc_ns, any leap_s). */
int64_t bft_gps_from_utc_ns(int64_t utc_ns, int64_t leap_s);

#endif
