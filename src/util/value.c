/* SPDX-License-Identifier: MIT */
/* Option values as text (value.h). */
#include "util/value.h"

#include <stdio.h>
#include <string.h>

#include <bftime/common.h>

int bft_decimal_parse(const char *s, int frac_digits, int64_t *out, const char **end)
{
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	int64_t v = 0;
	int digits = 0, frac = 0;
	bool dot = false;
	for (;; s++) {
		if (*s == '.' && !dot) {
			dot = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		digits++;
		if (dot && ++frac > frac_digits) {
			if (*s != '0')
				return BFT_ERANGE; /* finer than the unit can hold */
			continue;
		}
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return BFT_ERANGE;
	}
	if (!digits)
		return BFT_EINVAL;
	for (; frac < frac_digits; frac++)
		if (__builtin_mul_overflow(v, 10, &v))
			return BFT_ERANGE;
	*out = neg ? -v : v;
	*end = s;
	return 0;
}

int bft_duration_parse(int64_t *out_ns, const char *text)
{
	static const struct {
		const char *unit;
		int frac;       /* fractional digits the unit keeps in ns */
		int64_t mult;   /* then multiplied by */
	} units[] = {
		{ "ns", 0, 1 }, { "us", 3, 1 }, { "ms", 6, 1 }, { "s", 9, 1 }, { "m", 9, 60 }, { "h", 9, 3600 },
	};
	if (strcmp(text, "0") == 0) {
		*out_ns = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		size_t ul = strlen(units[i].unit), tl = strlen(text);
		if (tl <= ul || strcmp(text + tl - ul, units[i].unit) != 0)
			continue;
		/* "ms" also ends in "s": the longest unit that leaves a number wins. */
		int64_t v;
		const char *end;
		if (bft_decimal_parse(text, units[i].frac, &v, &end) != 0 || end != text + tl - ul)
			continue;
		if (__builtin_mul_overflow(v, units[i].mult, &v))
			return BFT_ERANGE;
		*out_ns = v;
		return 0;
	}
	return BFT_EINVAL;
}

static int say(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return BFT_EINVAL;
}

int bft_value_str(const char *s, char *buf, size_t cap, char *err, size_t errlen)
{
	if (!s)
		return say(err, errlen, "expected a string");
	size_t l = strlen(s);
	if (l == 0)
		return say(err, errlen, "empty value");
	if (l >= cap) {
		snprintf(err, errlen, "value too long (at most %zu characters)", cap - 1);
		return BFT_EINVAL;
	}
	memcpy(buf, s, l + 1);
	return 0;
}

int bft_value_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	const char *end;
	int64_t v;
	if (!s || bft_decimal_parse(s, 0, &v, &end) != 0 || *end)
		return say(err, errlen, "expected an integer");
	if (v < min || v > max) {
		snprintf(err, errlen, "%lld is out of range [%lld, %lld]", (long long)v, (long long)min, (long long)max);
		return BFT_EINVAL;
	}
	*out = v;
	return 0;
}

int bft_value_fixed(const char *s, int frac, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	const char *end;
	int64_t v;
	int rc = s ? bft_decimal_parse(s, frac, &v, &end) : BFT_EINVAL;
	if (rc == 0 && *end)
		rc = BFT_EINVAL;
	if (rc == BFT_ERANGE) {
		snprintf(err, errlen, "number out of range or too precise (at most %d decimals)", frac);
		return BFT_EINVAL;
	}
	if (rc)
		return say(err, errlen, "expected a number");
	if (v < min || v > max)
		return say(err, errlen, "value out of range");
	*out = v;
	return 0;
}

int bft_value_duration(const char *s, int64_t min, int64_t max, int64_t *out_ns, char *err, size_t errlen)
{
	if (!s || bft_duration_parse(out_ns, s) != 0)
		return say(err, errlen, "expected a duration with a unit, such as 16s, 500ms, 250us, 100ns, 2m");
	if (*out_ns < min || *out_ns > max) {
		snprintf(err, errlen, "duration '%s' out of range", s);
		return BFT_EINVAL;
	}
	return 0;
}

int bft_value_bool(const char *s, bool *out, char *err, size_t errlen)
{
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")))
		*out = false;
	else
		return say(err, errlen, "expected true or false");
	return 0;
}

int bft_value_enum(const char *s, const char *const *names, int *out, char *err, size_t errlen)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	char list[256] = "";
	for (int i = 0; names[i]; i++) {
		strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
		strncat(list, names[i], sizeof list - strlen(list) - 1);
	}
	snprintf(err, errlen, "expected one of: %s", list);
	return BFT_EINVAL;
}
