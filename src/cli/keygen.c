/* SPDX-License-Identifier: MIT */
/*
 * bftime keygen: a new Ed25519 node key. With --out FILE the private seed is
 * written there (mode 0600, never over an existing file) and the public key
 * is printed, ready for the peers' configurations; without it the private
 * seed goes to stdout (as `wg genkey` does) and the public key to stderr.
 * bftime pubkey FILE prints the public key of an existing key file.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cli.h"
#include "daemon/keys.h"
#include "proto/sign.h"

int cli_one_option(int argc, char **argv, const char *name, const char **value, const char *usage)
{
	const struct option opts[] = { { name, required_argument, NULL, 'v' }, { NULL, 0, NULL, 0 } };
	optind = 1;
	opterr = 0;
	bool bad = false;
	for (int ch; !bad && (ch = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (ch == 'v')
			*value = optarg;
		else
			bad = true;
	}
	if (bad || optind < argc) {
		fputs(usage, stderr);
		return 2;
	}
	return 0;
}

int cmd_keygen(int argc, char **argv)
{
	const char *out = NULL;
	if (cli_one_option(argc, argv, "out", &out, "usage: bftime keygen [--out FILE]\n"))
		return 2;
	uint8_t pub[BFTD_KEY_LEN];
	char hex[2 * BFTD_KEY_LEN + 1], err[512];
	if (out) {
		if (bftd_key_generate(out, pub, err, sizeof err) != 0) {
			fprintf(stderr, "bftime keygen: %s\n", err);
			return 1;
		}
		bftd_hex(hex, pub, sizeof pub);
		printf("%s\n", hex);
		return 0;
	}
	uint8_t seed[BFTD_KEY_LEN];
	if (RAND_priv_bytes(seed, sizeof seed) != 1 || bft_ed25519_public(pub, seed) != 0) {
		fprintf(stderr, "bftime keygen: the random generator failed\n");
		return 1;
	}
	bftd_hex(hex, seed, sizeof seed);
	OPENSSL_cleanse(seed, sizeof seed);
	printf("%s%s\n", BFTD_KEY_LABEL_PRIVATE, hex); /* a key file as --out writes it (keys.h) */
	OPENSSL_cleanse(hex, sizeof hex);
	bftd_hex(hex, pub, sizeof pub);
	fprintf(stderr, "public key: %s\n", hex);
	return 0;
}

int cmd_pubkey(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bftime pubkey KEYFILE\n");
		return 2;
	}
	uint8_t seed[BFTD_KEY_LEN], pub[BFTD_KEY_LEN];
	char hex[2 * BFTD_KEY_LEN + 1], err[512];
	if (bftd_key_load(seed, argv[1], err, sizeof err) != 0) {
		fprintf(stderr, "bftime pubkey: %s\n", err);
		return 1;
	}
	int rc = bft_ed25519_public(pub, seed);
	OPENSSL_cleanse(seed, sizeof seed);
	if (rc) {
		fprintf(stderr, "bftime pubkey: OpenSSL rejected the key\n");
		return 1;
	}
	bftd_hex(hex, pub, sizeof pub);
	printf("%s\n", hex);
	return 0;
}
