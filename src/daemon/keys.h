/* SPDX-License-Identifier: MIT */
/*
 * Node identity: the Ed25519 private key file. The file holds the 32-byte
 * seed, either raw (32 bytes) or as 64 hex digits with an optional newline.
 * It must be readable by its owner only: a key that group or others can read
 * may have been copied, so the daemon refuses it rather than sign with it.
 */
#ifndef BFTIME_DAEMON_KEYS_H
#define BFTIME_DAEMON_KEYS_H

#include "util/hex.h" /* the key file's hex */

#include <stddef.h>
#include <stdint.h>

#define BFTD_KEY_LEN 32

/* Read the seed from path into seed; on error write a message to err and
 * return a negative code. The seed must be wiped by the caller. */
int bftd_key_load(uint8_t seed[BFTD_KEY_LEN], const char *path, char *err, size_t errlen);

/* The seed from a key file's bytes (pure: fuzzed by tests/fuzz/fuzz_keys.c):
 * exactly 32 raw bytes, or 64 hex digits followed by nothing but newlines,
 * carriage returns and spaces (at most BFTD_KEY_FILE_MAX bytes in all).
 * 0, or BFT_EINVAL with seed wiped. */
#define BFTD_KEY_FILE_MAX 80
int bftd_key_parse(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len);

/* Read a secret file (at most cap bytes) after checking that it is a
 * regular file only its owner can read; the caller wipes buf. 0, or
 * BFT_EINVAL with err naming the path and the problem. */
int bftd_secret_file_read(const char *path, uint8_t *buf, size_t cap, size_t *out_len, char *err, size_t errlen);

/* Create a new random seed in a new file (mode 0600, never overwriting), as
 * 64 hex digits and a newline; its public key into pub. */
int bftd_key_generate(const char *path, uint8_t pub[BFTD_KEY_LEN], char *err, size_t errlen);

#endif
