/* SPDX-License-Identifier: MIT */
/*
 * Time as text (timetext.h): RFC 3339 in and out, and a time argument given
 * either way. Pure: no clock reads, no allocation.
 */
#include "util/timetext.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "core/civil.h"

/* ---- time text ---------------------------------------------------------- */

static bool digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int bftd_rfc3339_scan(const char *s, size_t len, unsigned flags, bftd_rfc3339_fields *out)
{
	int64_t y, mo, d, h, mi, se, frac = 0;
	bool z_only = flags & BFTD_RFC3339_Z_ONLY;
	if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || (s[10] != 'T' && (z_only || (s[10] != 't' && s[10] != ' '))) ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return BFT_EINVAL;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    se > (flags & BFTD_RFC3339_LEAP ? 60 : 59))
		return BFT_EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return BFT_EINVAL;
	size_t i = 19;
	if (i < len && s[i] == '.') {
		size_t nd = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 9) {
				if (!(flags & BFTD_RFC3339_LONG))
					return BFT_EINVAL; /* finer than a ns */
				continue;
			}
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return BFT_EINVAL;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	int64_t off_s = 0;
	if (i < len && (s[i] == 'Z' || (!z_only && s[i] == 'z'))) {
		i++;
	} else if (!z_only && i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int64_t oh, om;
		if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return BFT_EINVAL;
		off_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return BFT_EINVAL;
	}
	if (i != len)
		return BFT_EINVAL;
	*out = (bftd_rfc3339_fields){ y, mo, d, h, mi, se, frac, off_s };
	return 0;
}

int bftd_rfc3339_parse(const char *s, size_t len, int64_t *out_ns)
{
	bftd_rfc3339_fields f;
	if (bftd_rfc3339_scan(s, len, 0, &f) != 0 || f.year < 1970 || f.year > 2262)
		return BFT_EINVAL;
	int64_t frac = f.frac_ns;
	int64_t secs = bft_days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.min * 60 + f.sec - f.off_s;
	/* 2262-04-11 is where int64 ns end. */
	if (secs < -86400 || secs > INT64_MAX / BFT_NS_PER_SEC - 1)
		return BFT_EINVAL;
	*out_ns = secs * BFT_NS_PER_SEC + frac;
	return 0;
}

char *bftd_rfc3339_format(char *out, size_t cap, int64_t ns)
{
	return bft_civil_format_rfc3339(out, cap, ns, 9);
}

int bftd_time_arg_parse(const char *s, int64_t *out_ns)
{
	size_t l = strlen(s);
	if (l == 0)
		return BFT_EINVAL;
	if (bftd_rfc3339_parse(s, l, out_ns) == 0)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s || (s[0] != '-' && s[0] != '+' && (s[0] < '0' || s[0] > '9')))
		return BFT_EINVAL;
	*out_ns = v;
	return 0;
}
