/* SPDX-License-Identifier: MIT */
/* Hex text (hex.h). */
#include "util/hex.h"

void bftd_hex(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = 0;
}

static int hexdigit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

size_t bftd_unhex(uint8_t *out, const char *hex, size_t len)
{
	for (size_t i = 0; i < 2 * len; i++) {
		int v = hexdigit(hex[i]);
		if (v < 0)
			return i;
		out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] & 0xf0) | v : v << 4);
	}
	return 2 * len;
}
