/* SPDX-License-Identifier: MIT */
/* Calendar arithmetic (civil.h). */
#include "core/civil.h"

#include <inttypes.h>
#include <stdio.h>

int64_t bft_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void bft_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

char *bft_civil_format_rfc3339(char *out, size_t cap, int64_t ns, int digits)
{
	const int64_t S = 1000000000;
	int64_t secs = ns / S, frac = ns % S;
	if (frac < 0) {
		frac += S;
		secs--;
	}
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y, m, d;
	bft_civil_from_days(days, &y, &m, &d);
	if (digits < 0)
		digits = 0;
	if (digits > 9)
		digits = 9;
	for (int i = digits; i < 9; i++)
		frac /= 10;
	if (digits == 0)
		snprintf(out, cap, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 "Z", y, m, d,
		         rem / 3600, rem / 60 % 60, rem % 60);
	else
		snprintf(out, cap,
		         "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%0*" PRId64 "Z", y,
		         m, d, rem / 3600, rem / 60 % 60, rem % 60, digits, frac);
	return out;
}
