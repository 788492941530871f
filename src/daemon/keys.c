/* SPDX-License-Identifier: MIT */
/*
 * Key files (keys.h). The permission check is made on the open descriptor
 * (fstat), not the path, so the file checked is the file read. Every buffer
 * that held key material is wiped with OPENSSL_cleanse, which the compiler
 * cannot optimise away.
 */
#include "daemon/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <bftime/common.h>

#include "proto/sign.h"

/* 64 hex digits at buf, then nothing but newlines, carriage returns and
 * spaces up to len. */
static int hex_line(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len)
{
	size_t n = len;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	return n == 2 * BFTD_KEY_LEN && bftd_unhex(seed, (const char *)buf, BFTD_KEY_LEN) == 2 * BFTD_KEY_LEN ? 0
	                                                                                              : BFT_EINVAL;
}

int bftd_key_parse_fmt(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len, enum bftd_key_format *fmt)
{
	enum bftd_key_format f = BFTD_KEY_UNLABELLED;
	int rc = BFT_EINVAL;
	size_t lp = sizeof BFTD_KEY_LABEL_PRIVATE - 1, lq = sizeof BFTD_KEY_LABEL_PUBLIC - 1;
	if (len > BFTD_KEY_FILE_MAX) {
		rc = BFT_EINVAL;
	} else if (len >= lp && !memcmp(buf, BFTD_KEY_LABEL_PRIVATE, lp)) {
		f = BFTD_KEY_LABELLED;
		rc = hex_line(seed, buf + lp, len - lp);
	} else if (len >= lq && !memcmp(buf, BFTD_KEY_LABEL_PUBLIC, lq)) {
		f = BFTD_KEY_PUBLIC; /* never a seed, whatever follows */
	} else if (len == BFTD_KEY_LEN) {
		memcpy(seed, buf, BFTD_KEY_LEN);
		rc = 0;
	} else if (len <= BFTD_KEY_UNLABELLED_MAX) {
		rc = hex_line(seed, buf, len);
	}
	if (fmt)
		*fmt = f;
	if (rc)
		OPENSSL_cleanse(seed, BFTD_KEY_LEN);
	return rc;
}

int bftd_key_parse(uint8_t seed[BFTD_KEY_LEN], const uint8_t *buf, size_t len)
{
	return bftd_key_parse_fmt(seed, buf, len, NULL);
}

int bftd_key_load(uint8_t seed[BFTD_KEY_LEN], const char *path, char *err, size_t errlen)
{
	enum bftd_key_format fmt;
	return bftd_key_load_fmt(seed, path, &fmt, err, errlen);
}

int bftd_key_load_fmt(uint8_t seed[BFTD_KEY_LEN], const char *path, enum bftd_key_format *fmt, char *err,
                      size_t errlen)
{
	*fmt = BFTD_KEY_UNLABELLED;
	uint8_t buf[BFTD_KEY_FILE_MAX + 1];
	size_t len = 0;
	if (bftd_secret_file_read(path, buf, sizeof buf, &len, err, errlen) != 0)
		return BFT_EINVAL;
	/* A file longer than the longest key file is refused: the read stops
	 * one byte past BFTD_KEY_FILE_MAX, so the parser sees it is too long. */
	int rc = bftd_key_parse_fmt(seed, buf, len, fmt);
	OPENSSL_cleanse(buf, sizeof buf);
	/* An unlabelled file's bytes cannot tell a seed from a public key, its
	 * name can: `bftime keygen --out node.key > node.pub` is how public key
	 * files are made (issue 14: node.pub given as the key was taken). */
	size_t pl = strlen(path);
	if (rc == 0 && *fmt == BFTD_KEY_UNLABELLED && pl >= 4 && !strcmp(path + pl - 4, ".pub")) {
		OPENSSL_cleanse(seed, BFTD_KEY_LEN);
		snprintf(err, errlen,
		         "key file %s: an unlabelled key file named .pub is taken for a public key, not this node's "
		         "private key: give the file bftime keygen --out wrote (rename it if it truly is a private key)",
		         path);
		*fmt = BFTD_KEY_PUBLIC;
		return BFT_EINVAL;
	}
	if (rc && *fmt == BFTD_KEY_PUBLIC)
		snprintf(err, errlen,
		         "key file %s holds a public key (\"%s\"), not this node's private key: give the file "
		         "bftime keygen --out wrote",
		         path, BFTD_KEY_LABEL_PUBLIC "...");
	else if (rc)
		snprintf(err, errlen,
		         "key file %s: expected \"%s\" and 64 hex digits (bftime keygen), or an older key file's "
		         "32 raw bytes or 64 hex digits",
		         path, BFTD_KEY_LABEL_PRIVATE);
	return rc;
}

int bftd_secret_file_read(const char *path, uint8_t *buf, size_t cap, size_t *out_len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return BFT_EINVAL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s: not a regular file", path);
		close(fd);
		return BFT_EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
		         "key file %s: mode %04o lets group or others read it; refusing to use a key that may have "
		         "been copied (chmod 600 it, or make a new one with bftime keygen)",
		         path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return BFT_EINVAL;
	}
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap)
			break;
	}
	close(fd);
	*out_len = len;
	return 0;
}

int bftd_key_generate(const char *path, uint8_t pub[BFTD_KEY_LEN], char *err, size_t errlen)
{
	uint8_t seed[BFTD_KEY_LEN];
	char hex[sizeof BFTD_KEY_LABEL_PRIVATE + 2 * BFTD_KEY_LEN + 1];
	if (RAND_priv_bytes(seed, sizeof seed) != 1 || bft_ed25519_public(pub, seed) != 0) {
		snprintf(err, errlen, "cannot generate a key (OpenSSL random generator failed)");
		OPENSSL_cleanse(seed, sizeof seed);
		return BFT_EINVAL;
	}
	size_t lp = sizeof BFTD_KEY_LABEL_PRIVATE - 1;
	memcpy(hex, BFTD_KEY_LABEL_PRIVATE, lp);
	bftd_hex(hex + lp, seed, sizeof seed);
	OPENSSL_cleanse(seed, sizeof seed);
	hex[lp + 2 * BFTD_KEY_LEN] = '\n';
	hex[lp + 2 * BFTD_KEY_LEN + 1] = 0;
	int rc = bftd_secret_file_write(path, hex, lp + 2 * BFTD_KEY_LEN + 1, err, errlen);
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}

int bftd_secret_file_write(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
	int rc = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BFT_EINVAL;
	}
	/* The umask can only remove bits; fchmod makes 0600 exact. */
	if (fchmod(fd, 0600) != 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = BFT_EINVAL;
	}
	if (close(fd) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = BFT_EINVAL;
	}
	if (rc)
		unlink(path);
	return rc;
}
