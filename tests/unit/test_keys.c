/* SPDX-License-Identifier: MIT */
/*
 * Key files (src/daemon/keys.h): the accepted forms, the refused ones, and
 * the file checks. The parser's fuzz target is tests/fuzz/fuzz_keys.c; its
 * corpus holds these cases too.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/keys.h"

static const char hex[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

static void test_parse(void **state)
{
	(void)state;
	uint8_t seed[BFTD_KEY_LEN], raw[BFTD_KEY_LEN];
	char buf[200];
	snprintf(buf, sizeof buf, "%s\n", hex);
	assert_int_equal(bftd_key_parse(seed, (const uint8_t *)buf, strlen(buf)), 0);
	assert_int_equal(seed[0], 0x9d);
	assert_int_equal(seed[31], 0x60);
	snprintf(buf, sizeof buf, "%s\r\n  \n", hex);
	assert_int_equal(bftd_key_parse(seed, (const uint8_t *)buf, strlen(buf)), 0);
	for (size_t i = 0; i < sizeof raw; i++)
		raw[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(bftd_key_parse(seed, raw, sizeof raw), 0);
	assert_memory_equal(seed, raw, sizeof raw);
	/* Refused, and the seed wiped: short, a bad digit, junk after the
	 * digits, 33 raw bytes, and whitespace past the longest key file (the
	 * daemon once read 80 bytes and took a key whatever followed them). */
	static const char *const bad[] = {
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n",
		"9g61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\nextra\n",
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60                                  x",
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60                                   ",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(seed, 0xa5, sizeof seed);
		assert_int_not_equal(bftd_key_parse(seed, (const uint8_t *)bad[i], strlen(bad[i])), 0);
		for (size_t k = 0; k < sizeof seed; k++)
			assert_int_equal(seed[k], 0);
	}
	uint8_t raw33[33] = { 1 };
	assert_int_not_equal(bftd_key_parse(seed, raw33, sizeof raw33), 0);
	/* Labelled (issue 14): a private key loads and says so; a public key
	 * is refused however well formed; a label with a bad key is refused. */
	enum bftd_key_format fmt;
	snprintf(buf, sizeof buf, "%s%s\n", BFTD_KEY_LABEL_PRIVATE, hex);
	assert_int_equal(bftd_key_parse_fmt(seed, (const uint8_t *)buf, strlen(buf), &fmt), 0);
	assert_int_equal(fmt, BFTD_KEY_LABELLED);
	assert_int_equal(seed[0], 0x9d);
	snprintf(buf, sizeof buf, "%s\n", hex);
	assert_int_equal(bftd_key_parse_fmt(seed, (const uint8_t *)buf, strlen(buf), &fmt), 0);
	assert_int_equal(fmt, BFTD_KEY_UNLABELLED);
	snprintf(buf, sizeof buf, "%s%s\n", BFTD_KEY_LABEL_PUBLIC, hex);
	memset(seed, 0xa5, sizeof seed);
	assert_int_not_equal(bftd_key_parse_fmt(seed, (const uint8_t *)buf, strlen(buf), &fmt), 0);
	assert_int_equal(fmt, BFTD_KEY_PUBLIC);
	for (size_t k = 0; k < sizeof seed; k++)
		assert_int_equal(seed[k], 0);
	snprintf(buf, sizeof buf, "%s%.63s\n", BFTD_KEY_LABEL_PRIVATE, hex);
	assert_int_not_equal(bftd_key_parse_fmt(seed, (const uint8_t *)buf, strlen(buf), &fmt), 0);
}

static void put_file(const char *path, const char *text, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_keys.XXXXXX", path[64], err[512], buf[200];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/k", dir);
	uint8_t seed[BFTD_KEY_LEN];
	snprintf(buf, sizeof buf, "%s\n", hex);
	put_file(path, buf, strlen(buf), 0600);
	assert_int_equal(bftd_key_load(seed, path, err, sizeof err), 0);
	assert_int_equal(seed[0], 0x9d);
	/* A longer file is refused, not cut at the reader's buffer. */
	snprintf(buf, sizeof buf, "%s%*s#", hex, 40, "");
	put_file(path, buf, strlen(buf), 0600);
	assert_int_not_equal(bftd_key_load(seed, path, err, sizeof err), 0);
	assert_non_null(strstr(err, "32 raw bytes or 64 hex digits"));
	/* A labelled public key given as the node's key: refused, saying so. */
	snprintf(buf, sizeof buf, "%s%s\n", BFTD_KEY_LABEL_PUBLIC, hex);
	put_file(path, buf, strlen(buf), 0600);
	assert_int_not_equal(bftd_key_load(seed, path, err, sizeof err), 0);
	assert_non_null(strstr(err, "holds a public key"));
	/* Readable by others: refused whatever it holds. */
	snprintf(buf, sizeof buf, "%s\n", hex);
	put_file(path, buf, strlen(buf), 0644);
	assert_int_not_equal(bftd_key_load(seed, path, err, sizeof err), 0);
	assert_non_null(strstr(err, "mode 0644"));
	unlink(path);
	assert_int_not_equal(bftd_key_load(seed, path, err, sizeof err), 0);
	rmdir(dir);
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t in[5] = { 0, 0x0f, 0xf0, 0xab, 0xff }, out[5];
	char h[11];
	bftd_hex(h, in, sizeof in);
	assert_string_equal(h, "000ff0abff");
	assert_int_equal(bftd_unhex(out, "000FF0ABff", 5), 10);
	assert_memory_equal(out, in, 5);
	assert_int_equal(bftd_unhex(out, "00x", 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
