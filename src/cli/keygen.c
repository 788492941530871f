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
#include "daemon/slhkey.h"
#include "proto/sign.h"
#include "proto/sign_pkcs11.h"

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

/* bftime keygen --slhdsa [SET] --out FILE: an SLH-DSA key for version-2
 * time proofs (slhkey.h); the public key is printed for the peers'
 * slhdsa_public_key. SET defaults to SLH-DSA-SHA2-128s (docs/pq.md). */
static int keygen_slhdsa(int argc, char **argv)
{
	static const char usage[] = "usage: bftime keygen --slhdsa [SET] --out FILE (SET: SLH-DSA-SHA2-128s, ...)\n";
	const char *out = NULL, *set = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strncmp(argv[i], "--out=", 6))
			out = argv[i] + 6;
		else if (!strcmp(argv[i], "--slhdsa"))
			continue;
		else if (!strncmp(argv[i], "--slhdsa=", 9))
			set = argv[i] + 9;
		else if (argv[i][0] != '-' && !set)
			set = argv[i];
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	const bft_slhdsa_params *pp = bft_slhdsa_params_get(BFT_SLHDSA_PROOF_DEFAULT);
	if (set && !(pp = bft_slhdsa_params_by_name(set))) {
		fprintf(stderr, "bftime keygen: unknown SLH-DSA parameter set %s\n", set);
		return 2;
	}
	if (!out) {
		fputs(usage, stderr); /* the secret key is 64-128 bytes and names its set: a file, not stdout */
		return 2;
	}
	uint8_t pk[BFT_SLHDSA_MAX_PK];
	char hex[2 * BFT_SLHDSA_MAX_PK + 1], err[512];
	if (bftd_slhkey_generate(out, pp, pk, err, sizeof err) != 0) {
		fprintf(stderr, "bftime keygen: %s\n", err);
		return 1;
	}
	bftd_hex(hex, pk, pp->pk_len);
	printf("%s\n", hex);
	fprintf(stderr, "%s public key (slhdsa_public_key in the peers' configurations): above\n", pp->name);
	return 0;
}

/* bftime keygen --pkcs11 URI [--p256]: a key pair generated on a PKCS#11
 * token (sign_pkcs11.h), labelled with the URI's object and id; the private
 * key never leaves it. Prints the public key: Ed25519's 64 hex digits, as
 * the peers pin them (node.key is then the same URI), or P-256's
 * uncompressed point (an ATECC608A's kind: 130 hex digits, the peers'
 * public_key for it; the node then needs node.proofs: p256). */
static int keygen_pkcs11(int argc, char **argv)
{
	static const char usage[] = "usage: bftime keygen --pkcs11 URI [--p256]\n"
	                            "  URI: pkcs11:token=...;object=NAME;pin-source=FILE (RFC 7512)\n";
	const char *uri = NULL;
	bool p256 = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pkcs11") && i + 1 < argc)
			uri = argv[++i];
		else if (!strncmp(argv[i], "--pkcs11=", 9))
			uri = argv[i] + 9;
		else if (!strcmp(argv[i], "--p256"))
			p256 = true;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!uri) {
		fputs(usage, stderr);
		return 2;
	}
	char err[512];
	bft_pkcs11 *t = NULL;
	if (bft_pkcs11_open(&t, uri, err, sizeof err) != 0) {
		fprintf(stderr, "bftime keygen: %s\n", err);
		return 1;
	}
	uint8_t pub[BFT_PKCS11_MAX_PUB];
	size_t plen = sizeof pub;
	if (bft_pkcs11_keygen(t, p256 ? BFT_PKCS11_P256 : BFT_PKCS11_ED25519, pub, &plen) != 0) {
		fprintf(stderr, "bftime keygen: %s\n", bft_pkcs11_error(t));
		bft_pkcs11_close(t);
		return 1;
	}
	bft_pkcs11_close(t);
	char hex[2 * BFT_PKCS11_MAX_PUB + 1];
	bftd_hex(hex, pub, plen);
	printf("%s\n", hex);
	return 0;
}

int cmd_keygen(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--slhdsa", 8))
			return keygen_slhdsa(argc, argv);
		if (!strncmp(argv[i], "--pkcs11", 8))
			return keygen_pkcs11(argc, argv);
	}
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
