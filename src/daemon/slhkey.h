/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA key files (docs/pq.md): a node's SLH-DSA secret key for its
 * version-2 time proofs. Text, two lines: the parameter set as FIPS 205
 * names it ("SLH-DSA-SHA2-128s") and the secret key in hex (SK.seed ||
 * SK.prf || PK.seed || PK.root: 64 to 128 bytes), so the file says which
 * set it is for and holds the public key too (its last 2n bytes). Readable
 * by its owner only, like the Ed25519 key file (keys.h).
 */
#ifndef BFTIME_DAEMON_SLHKEY_H
#define BFTIME_DAEMON_SLHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/slhdsa.h"

#define BFTD_SLHKEY_FILE_MAX 320 /* the longest name, a newline, 256 hex digits, a newline, slack */

/* Pure (fuzzed by tests/fuzz/fuzz_slhkey.c): the set and the secret key
 * (its sk_len bytes into sk, BFT_SLHDSA_MAX_SK of room) from a file's
 * bytes: a set name, one newline, exactly 2 * sk_len hex digits, then
 * nothing but newlines, carriage returns and spaces. 0, or BFT_EINVAL with
 * sk wiped. */
int bftd_slhkey_parse(const bft_slhdsa_params **pp, uint8_t *sk, const uint8_t *buf, size_t len);

/* Read and parse path (owner-only, keys.h); err says what is wrong. */
int bftd_slhkey_load(const bft_slhdsa_params **pp, uint8_t *sk, const char *path, char *err, size_t errlen);

/* A new key of set pp in a new file (mode 0600, never overwriting); its
 * public key (pp->pk_len bytes) into pk. */
int bftd_slhkey_generate(const char *path, const bft_slhdsa_params *pp, uint8_t *pk, char *err, size_t errlen);

/* The public key of a secret key: its last pk_len bytes. */
void bftd_slhkey_public(const bft_slhdsa_params *pp, const uint8_t *sk, uint8_t *pk);

#endif
