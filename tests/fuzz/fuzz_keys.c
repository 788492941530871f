/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for key files (src/daemon/keys.h): any bytes must be
 * taken as a seed or refused, never read past; a refused file leaves the
 * seed wiped; a taken one is the 32 raw bytes, or the 64 hex digits it
 * starts with (hex of the seed, in either case). The same bytes written to
 * a 0600 file must load exactly as they parse (the read loop, the size
 * bound). The hex codec round-trips.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_keys.XXXXXX", path[64];

static void remove_dir(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[BFTD_KEY_LEN], again[BFTD_KEY_LEN];
	enum bftd_key_format fmt;
	int rc = bftd_key_parse_fmt(seed, data, size, &fmt);
	size_t lp = sizeof BFTD_KEY_LABEL_PRIVATE - 1;
	if (fmt == BFTD_KEY_PUBLIC && rc == 0)
		abort(); /* a public key is never a seed */
	if (rc == 0 && fmt == BFTD_KEY_LABELLED) {
		/* the label, then the hex of the seed, then whitespace */
		char hex[2 * BFTD_KEY_LEN + 1];
		bftd_hex(hex, seed, BFTD_KEY_LEN);
		if (size < lp + 2 * BFTD_KEY_LEN || size > BFTD_KEY_FILE_MAX || memcmp(data, BFTD_KEY_LABEL_PRIVATE, lp) ||
		    strncasecmp(hex, (const char *)data + lp, 2 * BFTD_KEY_LEN) != 0)
			abort();
		for (size_t i = lp + 2 * BFTD_KEY_LEN; i < size; i++)
			if (data[i] != '\n' && data[i] != '\r' && data[i] != ' ')
				abort();
	} else if (rc == 0) {
		if (size == BFTD_KEY_LEN) {
			if (memcmp(seed, data, BFTD_KEY_LEN) != 0)
				abort();
		} else {
			char hex[2 * BFTD_KEY_LEN + 1];
			bftd_hex(hex, seed, BFTD_KEY_LEN);
			if (size < 2 * BFTD_KEY_LEN || size > BFTD_KEY_UNLABELLED_MAX || strncasecmp(hex, (const char *)data, 2 * BFTD_KEY_LEN) != 0)
				abort();
			for (size_t i = 2 * BFTD_KEY_LEN; i < size; i++)
				if (data[i] != '\n' && data[i] != '\r' && data[i] != ' ')
					abort();
		}
	} else {
		for (size_t i = 0; i < BFTD_KEY_LEN; i++)
			if (seed[i])
				abort(); /* not wiped */
	}
	/* The file path: load must agree with parse. */
	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof path, "%s/key", dir);
		atexit(remove_dir);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) != 0)
		abort();
	char err[300];
	if (bftd_key_load(again, path, err, sizeof err) != rc || (rc == 0 && memcmp(seed, again, BFTD_KEY_LEN) != 0))
		abort();
	/* hex <-> bytes: the hex of the input's first bytes parses back. */
	size_t n = size / 2 < 64 ? size / 2 : 64;
	char hex[129];
	uint8_t back[64];
	bftd_hex(hex, data, n);
	if (bftd_unhex(back, hex, n) != 2 * n || memcmp(back, data, n) != 0)
		abort();
	return 0;
}
