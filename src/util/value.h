/* SPDX-License-Identifier: MIT */
/*
 * Option values as text, the one grammar of every configuration face
 * (bftimed's YAML, the reference drivers' options, the simulator's
 * scenarios and command line): decimals, durations, integers, booleans,
 * names. Pure: no I/O, no allocation; each reader takes the text (NULL: the
 * value was not a scalar) and on error writes a sentence into err that a
 * caller prefixes with where the value stood ("FILE:LINE:COL: ").
 *
 * A duration is a decimal number and a unit: ns, us, ms, s, m (minutes),
 * h; at most the unit's precision in ns ("1.5ms", "250us", "16s", "2m"),
 * a sign allowed; a bare 0 is also a duration.
 */
#ifndef BFTIME_UTIL_VALUE_H
#define BFTIME_UTIL_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decimal number with at most frac_digits fractional digits (further
 * digits must be 0), times 10^frac_digits, exactly; *end: the first
 * character after it. 0, BFT_EINVAL (no digits) or BFT_ERANGE. */
int bft_decimal_parse(const char *s, int frac_digits, int64_t *out, const char **end);

/* A duration (above) into ns; 0, BFT_EINVAL or BFT_ERANGE. */
int bft_duration_parse(int64_t *out_ns, const char *text);

/* The readers: 0, or BFT_EINVAL with err set. */
int bft_value_str(const char *s, char *buf, size_t cap, char *err, size_t errlen);
int bft_value_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);
/* A decimal in some unit, exactly scaled by 10^frac (ppm -> ppb: 3). */
int bft_value_fixed(const char *s, int frac, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);
int bft_value_duration(const char *s, int64_t min, int64_t max, int64_t *out_ns, char *err, size_t errlen);
/* true/yes/on, false/no/off. */
int bft_value_bool(const char *s, bool *out, char *err, size_t errlen);
/* One of a NULL-terminated list of names; its index into *out. */
int bft_value_enum(const char *s, const char *const *names, int *out, char *err, size_t errlen);

#endif
