/* SPDX-License-Identifier: MIT */
/* GPS time (gpstime.h). */
#include "core/gpstime.h"

#include <bftime/interval.h>

int64_t bft_gps_from_utc_ns(int64_t utc_ns, int64_t leap_s)
{
	/* leap_s (0..255 in a config) clamped so that its product cannot
	 * overflow; the rest saturates. */
	const int64_t leap_max_s = INT64_C(1000000000);
	if (leap_s < -leap_max_s || leap_s > leap_max_s)
		leap_s = leap_s < 0 ? -leap_max_s : leap_max_s;
	return bft_sat_add(bft_sat_sub(utc_ns, BFT_GPS_EPOCH_UNIX_S * BFT_NS_PER_SEC), leap_s * BFT_NS_PER_SEC);
}
