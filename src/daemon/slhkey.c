/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA key files (slhkey.h). Every buffer that held the secret key is
 * wiped with OPENSSL_cleanse.
 */
#include "daemon/slhkey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <bftime/common.h>

#include "daemon/keys.h"

int bftd_slhkey_parse(const bft_slhdsa_params **pp, uint8_t *sk, const uint8_t *buf, size_t len)
{
	if (!pp || !sk || !buf || len > BFTD_SLHKEY_FILE_MAX)
		return BFT_EINVAL;
	const uint8_t *nl = memchr(buf, '\n', len);
	char name[40];
	size_t nlen = nl ? (size_t)(nl - buf) : 0;
	if (!nl || nlen == 0 || nlen >= sizeof name)
		return BFT_EINVAL;
	memcpy(name, buf, nlen);
	name[nlen] = 0;
	const bft_slhdsa_params *p = bft_slhdsa_params_by_name(name);
	if (!p || strncmp(name, "SLH-DSA-", 8) != 0) /* the full name, one spelling per set */
		return BFT_EINVAL;
	const char *hex = (const char *)nl + 1;
	size_t rest = len - nlen - 1, n = rest;
	while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
		n--;
	if (n != 2 * p->sk_len || bftd_unhex(sk, hex, p->sk_len) != 2 * p->sk_len) {
		OPENSSL_cleanse(sk, BFT_SLHDSA_MAX_SK);
		return BFT_EINVAL;
	}
	*pp = p;
	return 0;
}

int bftd_slhkey_load(const bft_slhdsa_params **pp, uint8_t *sk, const char *path, char *err, size_t errlen)
{
	uint8_t buf[BFTD_SLHKEY_FILE_MAX + 1];
	size_t len = 0;
	if (bftd_secret_file_read(path, buf, sizeof buf, &len, err, errlen) != 0)
		return BFT_EINVAL;
	int rc = bftd_slhkey_parse(pp, sk, buf, len);
	OPENSSL_cleanse(buf, sizeof buf);
	if (rc)
		snprintf(err, errlen,
		         "SLH-DSA key file %s: expected a parameter set (SLH-DSA-SHA2-128s, ...) on the first line and the "
		         "secret key in hex on the second (bftime keygen --slhdsa)",
		         path);
	return rc;
}

void bftd_slhkey_public(const bft_slhdsa_params *pp, const uint8_t *sk, uint8_t *pk)
{
	memcpy(pk, sk + pp->sk_len - pp->pk_len, pp->pk_len);
}

int bftd_slhkey_generate(const char *path, const bft_slhdsa_params *pp, uint8_t *pk, char *err, size_t errlen)
{
	uint8_t sk[BFT_SLHDSA_MAX_SK];
	char text[BFTD_SLHKEY_FILE_MAX];
	if (bft_slhdsa_keygen(pp, sk, pk) != 0) {
		snprintf(err, errlen, "cannot generate an SLH-DSA key (OpenSSL failed)");
		OPENSSL_cleanse(sk, sizeof sk);
		return BFT_EINVAL;
	}
	size_t nl = (size_t)snprintf(text, sizeof text, "%s\n", pp->name);
	bftd_hex(text + nl, sk, pp->sk_len);
	OPENSSL_cleanse(sk, sizeof sk);
	size_t len = nl + 2 * pp->sk_len;
	text[len++] = '\n';
	int rc = bftd_secret_file_write(path, text, len, err, errlen);
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}
