/* SPDX-License-Identifier: MIT */
/*
 * Hex text, the one codec: key files, pinned public keys in the config,
 * proofs in the API and the CLI. Pure.
 */
#ifndef BFTIME_UTIL_HEX_H
#define BFTIME_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
void bftd_hex(char *out, const uint8_t *in, size_t len);
/* Parse 2 * len hex digits (either case) into len bytes. Returns how many
 * digits were valid: 2 * len on success, else the index of the first bad one
 * (out is then partly written). */
size_t bftd_unhex(uint8_t *out, const char *hex, size_t len);

#endif
