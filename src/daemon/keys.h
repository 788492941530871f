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

/*
 * Key file formats. A key file is labelled (since issue 14):
 *   bftime-private-key: <64 hex digits>
 * so that a public key given as the node's key is refused, not taken for a
 * seed (the node would run under another identity). Files made before are
 * unlabelled, 64 hex digits or 32 raw bytes: they still load, but cannot be
 * told from a public key by their bytes, so the daemon says so (and refuses
 * one equal to a peer's pinned key). A labelled public key
 *   bftime-public-key: <64 hex digits>
 * is recognised, and refused as a node key.
 */
#define BFTD_KEY_LABEL_PRIVATE "bftime-private-key: "
#define BFTD_KEY_LABEL_PUBLIC "bftime-public-key: "
enum bftd_key_format { BFTD_KEY_LABELLED, BFTD_KEY_UNLABELLED, BFTD_KEY_PUBLIC };

/* Read a secret file (at most cap bytes) after checking that it is a
 * regular file only its owner can read; the caller wipes buf. 0, or
 * BFT_EINVAL with err naming the path and the problem. */
int bftd_secret_file_read(const char *path, uint8_t *buf, size_t cap, size_t *out_len, char *err, size_t errlen);

/* Write a new secret file (mode 0600 exactly, never overwriting, synced);
 * on failure nothing is left at path. 0, or BFT_EINVAL with err. */
int bftd_secret_file_write(const char *path, const void *buf, size_t len, char *err, size_t errlen);

/* bftd_key_load, and which format the file had (*fmt BFTD_KEY_PUBLIC with
 * an error: a public key file: labelled so, or unlabelled and named *.pub). */
int bftd_key_load_fmt(uint8_t seed[BFTD_KEY_LEN], const char *path, enum bftd_key_format *fmt, char *err,
                      size_t errlen);

/* The seed from a key file's bytes (pure: fuzzed by tests/fuzz/fuzz_keys.c):
 * BFTD_KEY_LABEL_PRIVATE and 64 hex digits, or (unlabelled) exactly 32 raw
 * bytes, or 64 hex digits, each followed by nothing but newlines, carriage
 * returns and spaces (at most BFTD_KEY_FILE_MAX bytes in all, an unlabelled
 * file BFTD_KEY_UNLABELLED_MAX). 0, or BFT_EINVAL with seed wiped (*fmt
 * BFTD_KEY_PUBLIC when it is a labelled public key). fmt may be NULL. */
#define BFTD_KEY_FILE_MAX 128
#define BFTD_KEY_UNLABELLED_MAX 80
int bftd_key_parse(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len);
int bftd_key_parse_fmt(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len, enum bftd_key_format *fmt);

/* Create a new random seed in a new file (mode 0600, never overwriting),
 * labelled: BFTD_KEY_LABEL_PRIVATE, 64 hex digits and a newline; its public
 * key into pub. */
int bftd_key_generate(const char *path, uint8_t pub[BFTD_KEY_LEN], char *err, size_t errlen);

#endif
