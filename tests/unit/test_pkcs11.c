/* SPDX-License-Identifier: MIT */
/*
 * PKCS#11: URIs (src/proto/pkcs11_uri.h, RFC 7512): the accepted forms with
 * their decoded values, and each refused form with its reason (the fuzz
 * target tests/fuzz/fuzz_pkcs11_uri.c checks any bytes; its corpus holds
 * these cases too). And the token signer (src/proto/sign_pkcs11.h) against
 * a real PKCS#11 module, SoftHSM2, with a token created by the test in a
 * temporary directory (SOFTHSM2_CONF): Ed25519 and P-256 keys generated on
 * the token, their signatures checked with OpenSSL; a wrong PIN, a PIN file
 * others can read, a missing module, an unknown token; a token removed
 * while in use (its directory moved away) gives a clear error and signing
 * resumes when it comes back. Without softhsm2 those tests are skipped,
 * saying so.
 */
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
#include <dlfcn.h>
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <bftime/common.h>

#include "proto/pkcs11_uri.h"
#include "proto/sign.h"
#include "proto/p256.h"
#include "proto/sign_pkcs11.h"

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

/* SoftHSM 2.6.1 leaks one ASN.1 string per EdDSA signature inside its
 * C_Sign (an OpenSSL d2i it never frees; the module is unloaded by then, so
 * LeakSanitizer shows its frames as "<unknown module>"). Nothing of ours
 * calls d2i on this path: suppressed here, in this test only. */
/* Visible to the sanitizer runtime although the build hides symbols. */
#define SAN_HOOK __attribute__((visibility("default")))
SAN_HOOK const char *__lsan_default_suppressions(void);
SAN_HOOK const char *__lsan_default_suppressions(void) { return "leak:ASN1_item_d2i_ex\n"; }
/* libcrypto has no frame pointers: the slow unwinder sees past it. */
SAN_HOOK const char *__asan_default_options(void);
SAN_HOOK const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

static int parse(bft_pkcs11_uri *u, const char *s, const char **why)
{
	return bft_pkcs11_uri_parse(u, s, strlen(s), why);
}

static void test_accepted(void **state)
{
	(void)state;
	bft_pkcs11_uri u;
	const char *why = NULL;
	assert_int_equal(parse(&u,
	                       "pkcs11:token=bftime;object=node1;type=private?module-path=/usr/lib/softhsm/"
	                       "libsofthsm2.so&pin-source=file:/etc/bftime/pin",
	                       &why),
	                 0);
	assert_string_equal(u.token, "bftime");
	assert_string_equal(u.object, "node1");
	assert_int_equal(u.type, BFT_P11_TYPE_PRIVATE);
	assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(u.pin_source, "file:/etc/bftime/pin");
	assert_int_equal(u.has_id, 0);
	assert_int_equal(u.has_slot_id, 0);

	assert_int_equal(parse(&u, "pkcs11:object=my%20key;id=%01%02%ff;slot-id=3;serial=ABC;model=SoftHSM%20v2", &why), 0);
	assert_string_equal(u.object, "my key");
	assert_int_equal(u.id_len, 3);
	assert_memory_equal(u.id, "\x01\x02\xff", 3);
	assert_int_equal(u.slot_id, 3);
	assert_string_equal(u.serial, "ABC");
	assert_string_equal(u.model, "SoftHSM v2");

	assert_int_equal(parse(&u, "pkcs11:", &why), 0); /* every object of every token */
	assert_int_equal(parse(&u, "pkcs11:x-vendor=1;object=k?x-foo=bar&pin-value=1234", &why), 0);
	assert_string_equal(u.object, "k");
	assert_string_equal(u.pin_value, "1234");
	assert_int_equal(parse(&u, "pkcs11:token=%41%62;manufacturer=SoftHSM%20project", &why), 0);
	assert_string_equal(u.token, "Ab");
	/* Not NUL-terminated input: only len bytes are read. */
	assert_int_equal(bft_pkcs11_uri_parse(&u, "pkcs11:object=abcdef", 17, &why), 0);
	assert_string_equal(u.object, "abc");
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *uri, *why_has;
	} bad[] = {
		{ "pkcs:object=k", "must start with" },
		{ "pkcs11:token=A;token=B", "twice" },
		{ "pkcs11:object=a%4", "truncated" },
		{ "pkcs11:object=a%zz", "bad percent" },
		{ "pkcs11:object=a%00b", "NUL" },
		{ "pkcs11:library-version=1", "unsupported path" },
		{ "pkcs11:object=k?pin-value=1&pin-source=file:/p", "both" },
		{ "pkcs11:object=k;", "trailing" },
		{ "pkcs11:object=k?", "empty query" },
		{ "pkcs11:object=k?module-path=/a&", "trailing" },
		{ "pkcs11:type=secret", "type is not" },
		{ "pkcs11:object=a b", "percent-encoded" },
		{ "pkcs11:object=", "empty attribute value" },
		{ "pkcs11:object", "without '='" },
		{ "pkcs11:slot-id=1x", "decimal" },
		{ "pkcs11:object=k?module-dir=/x", "unsupported query" },
		{ "pkcs11:serial=12345678901234567", "too long" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bft_pkcs11_uri u;
		const char *why = NULL;
		memset(&u, 0x5a, sizeof u);
		if (parse(&u, bad[i].uri, &why) != BFT_EINVAL)
			fail_msg("accepted: %s", bad[i].uri);
		assert_non_null(why);
		if (!strstr(why, bad[i].why_has))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].uri, why, bad[i].why_has);
		static const bft_pkcs11_uri zero;
		assert_memory_equal(&u, &zero, sizeof u); /* wiped: it may have held a PIN */
	}
	assert_int_equal(bft_pkcs11_uri_parse(NULL, "pkcs11:", 7, NULL), BFT_EINVAL);
}

struct hsm {
	char dir[64], uri[512], conf[128];
};

static int run(const char *cmd)
{
	int rc = system(cmd);
	return rc;
}

/* A fresh SoftHSM2 token "bftime" (user PIN 1234) in a temporary directory,
 * and a PIN file; skipped where softhsm2 is not installed. */
static int hsm_setup(void **state)
{
	if (access(SOFTHSM, R_OK) != 0 || run("command -v softhsm2-util >/dev/null") != 0) {
		printf("[  SKIPPED ] SoftHSM2 tests: %s or softhsm2-util missing (Debian package softhsm2)\n", SOFTHSM);
		*state = NULL;
		return 0;
	}
	struct hsm *h = calloc(1, sizeof *h);
	assert_non_null(h);
	snprintf(h->dir, sizeof h->dir, "/tmp/bftime-p11.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	char path[256], cmd[512];
	snprintf(path, sizeof path, "%s/tokens", h->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(h->conf, sizeof h->conf, "%s/softhsm2.conf", h->dir);
	FILE *f = fopen(h->conf, "w");
	assert_non_null(f);
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n", h->dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", h->conf, 1);
	snprintf(cmd, sizeof cmd,
	         "softhsm2-util --init-token --free --label bftime --pin 1234 --so-pin 5678 >/dev/null 2>&1");
	assert_int_equal(run(cmd), 0);
	snprintf(path, sizeof path, "%s/pin", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("1234\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(h->uri, sizeof h->uri, "pkcs11:token=bftime;object=%%s?module-path=%s&pin-source=file:%s/pin",
	         SOFTHSM, h->dir);
	*state = h;
	return 0;
}

static int hsm_teardown(void **state)
{
	struct hsm *h = *state;
	if (h) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", h->dir);
		run(cmd);
		free(h);
	}
	return 0;
}

static void uri_for(const struct hsm *h, const char *object, char *out, size_t cap)
{
	snprintf(out, cap, h->uri, object);
}

/* OpenSSL's verdict on a P-256 r || s signature over msg. */
static int p256_verify(const uint8_t pub[65], const uint8_t *msg, size_t len, const uint8_t sig[64])
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	int ok = pc && EVP_PKEY_fromdata_init(pc) == 1 && EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) == 1;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char der[80], *p = der;
	int der_len = 0;
	if (ok && es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL;
		der_len = i2d_ECDSA_SIG(es, &p);
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = ok && der_len > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return ok ? 0 : -1;
}

static const uint8_t msg[] = "time proof: 2026-12-04T19:55:00Z";

static void test_token_ed25519(void **state)
{
	struct hsm *h = *state;
	if (!h)
		skip();
	char uri[512], err[256] = "";
	uri_for(h, "node1", uri, sizeof uri);
	bft_pkcs11 *t = NULL;
	if (bft_pkcs11_open(&t, uri, err, sizeof err) != 0)
		fail_msg("open: %s", err);
	uint8_t pub[BFT_PKCS11_MAX_PUB], pub2[BFT_PKCS11_MAX_PUB], sig[BFT_PKCS11_SIG];
	size_t pub_len = 0, pub2_len = 0;
	if (bft_pkcs11_keygen(t, BFT_PKCS11_ED25519, pub, &pub_len) != 0)
		fail_msg("keygen: %s", bft_pkcs11_error(t));
	assert_int_equal(pub_len, 32);
	/* Through the table, verified by an ordinary Ed25519 keyring holding
	 * the token key's public half, as a peer would. */
	bft_keyring *kr;
	assert_int_equal(bft_keyring_create(&kr, 4), 0);
	assert_int_equal(bft_keyring_add_public(kr, 7, pub), 0);
	bft_signer peers, s;
	bft_signer_ed25519(&peers, kr);
	bft_signer_pkcs11(&s, t, 7, &peers);
	assert_string_equal(s.name, "pkcs11-ed25519");
	assert_int_equal(s.sign(s.ctx, 7, msg, sizeof msg, sig), 0);
	assert_int_equal(s.verify(s.ctx, 7, msg, sizeof msg, sig, sizeof sig), 0);
	assert_int_equal(peers.verify(peers.ctx, 7, msg, sizeof msg, sig, sizeof sig), 0);
	sig[5] ^= 1;
	assert_int_not_equal(peers.verify(peers.ctx, 7, msg, sizeof msg, sig, sizeof sig), 0);
	assert_int_not_equal(s.sign(s.ctx, 8, msg, sizeof msg, sig), 0); /* not our node id */
	bft_pkcs11_close(t);

	/* Reopened: the key is found on the token, same public key, and the
	 * private key is sensitive and not extractable (checked by softhsm2). */
	assert_int_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	enum bft_pkcs11_kind kind = BFT_PKCS11_NONE;
	if (bft_pkcs11_load_key(t, &kind, pub2, &pub2_len) != 0)
		fail_msg("load: %s", bft_pkcs11_error(t));
	assert_int_equal(kind, BFT_PKCS11_ED25519);
	assert_memory_equal(pub, pub2, 32);
	assert_int_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	assert_int_equal(peers.verify(peers.ctx, 7, msg, sizeof msg, sig, sizeof sig), 0);

	/* The token removed while in use (its directory moved away): signing
	 * fails with a sentence naming the cause, and resumes on its return. */
	char tokens[128], away[128];
	snprintf(tokens, sizeof tokens, "%s/tokens", h->dir);
	snprintf(away, sizeof away, "%s/away", h->dir);
	assert_int_equal(rename(tokens, away), 0);
	int rc = bft_pkcs11_sign(t, msg, sizeof msg, sig);
	if (rc == 0)
		rc = bft_pkcs11_sign(t, msg, sizeof msg, sig); /* the first may still be served from memory */
	assert_int_not_equal(rc, 0);
	printf("token removed: %s\n", bft_pkcs11_error(t));
	assert_true(strlen(bft_pkcs11_error(t)) > 0);
	assert_int_equal(rename(away, tokens), 0);
	rc = bft_pkcs11_sign(t, msg, sizeof msg, sig);
	if (rc != 0)
		fail_msg("after the token returned: %s", bft_pkcs11_error(t));
	assert_int_equal(peers.verify(peers.ctx, 7, msg, sizeof msg, sig, sizeof sig), 0);
	bft_pkcs11_close(t);
	bft_keyring_destroy(kr);
}

static void test_token_p256(void **state)
{
	struct hsm *h = *state;
	if (!h)
		skip();
	char uri[512], err[256] = "";
	uri_for(h, "node1-p256;id=%01%02", uri, sizeof uri);
	bft_pkcs11 *t = NULL;
	if (bft_pkcs11_open(&t, uri, err, sizeof err) != 0)
		fail_msg("open: %s", err);
	uint8_t pub[BFT_PKCS11_MAX_PUB], sig[BFT_PKCS11_SIG];
	size_t pub_len = 0;
	if (bft_pkcs11_keygen(t, BFT_PKCS11_P256, pub, &pub_len) != 0)
		fail_msg("keygen: %s", bft_pkcs11_error(t));
	assert_int_equal(pub_len, 65);
	assert_int_equal(pub[0], 0x04);
	bft_signer s;
	bft_signer_pkcs11(&s, t, 3, NULL);
	assert_string_equal(s.name, "pkcs11-p256");
	assert_int_equal(s.sign(s.ctx, 3, msg, sizeof msg, sig), 0);
	assert_int_equal(p256_verify(pub, msg, sizeof msg, sig), 0);
	assert_int_not_equal(p256_verify(pub, msg, sizeof msg - 1, sig), 0);
	assert_int_not_equal(s.verify(s.ctx, 3, msg, sizeof msg, sig, sizeof sig), 0); /* no peers given */
	/* As a peer checks it (proto/p256.h): pinned by its point in a keyring. */
	assert_int_equal(bft_p256_verify(pub, msg, sizeof msg, sig), 0);
	bft_keyring *kr = NULL;
	assert_int_equal(bft_keyring_create(&kr, 2), 0);
	assert_int_equal(bft_keyring_add_public_p256(kr, 3, pub), 0);
	bft_signer peers;
	bft_signer_ed25519(&peers, kr);
	assert_int_equal(peers.verify(peers.ctx, 3, msg, sizeof msg, sig, sizeof sig), 0);
	sig[63] ^= 1;
	assert_int_not_equal(peers.verify(peers.ctx, 3, msg, sizeof msg, sig, sizeof sig), 0);
	bft_keyring_destroy(kr);
	bft_pkcs11_close(t);
}

static void write_pin(const char *path, const char *pin)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(pin, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* A token that returns with a PIN it refuses (the PIN file changed while
 * it was away): the refused PIN is offered once and never again, however
 * often the node signs, so a real token that locks after a few wrong PINs
 * is not locked; a corrected PIN file is tried at the next signature. */
static void test_token_wrong_pin_not_retried(void **state)
{
	struct hsm *h = *state;
	if (!h)
		skip();
	char uri[512], pinfile[256], err[256] = "";
	snprintf(pinfile, sizeof pinfile, "%s/pin-retry", h->dir);
	write_pin(pinfile, "1234\n");
	snprintf(uri, sizeof uri, "pkcs11:token=bftime;object=retry?module-path=%s&pin-source=file:%s", SOFTHSM, pinfile);
	bft_pkcs11 *t = NULL;
	if (bft_pkcs11_open(&t, uri, err, sizeof err) != 0)
		fail_msg("open: %s", err);
	uint8_t pub[BFT_PKCS11_MAX_PUB], sig[BFT_PKCS11_SIG];
	size_t pub_len = 0;
	if (bft_pkcs11_keygen(t, BFT_PKCS11_ED25519, pub, &pub_len) != 0)
		fail_msg("keygen: %s", bft_pkcs11_error(t));
	assert_int_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	uint64_t att, ref;
	bft_pkcs11_logins(t, &att, &ref);
	assert_int_equal(att, 1);
	assert_int_equal(ref, 0);

	char tokens[128], away[128];
	snprintf(tokens, sizeof tokens, "%s/tokens", h->dir);
	snprintf(away, sizeof away, "%s/away", h->dir);
	assert_int_equal(rename(tokens, away), 0);
	int rc = bft_pkcs11_sign(t, msg, sizeof msg, sig);
	if (rc == 0)
		rc = bft_pkcs11_sign(t, msg, sizeof msg, sig);
	assert_int_not_equal(rc, 0);
	write_pin(pinfile, "9999\n");
	assert_int_equal(rename(away, tokens), 0);
	/* The token is back: one login with the wrong PIN, refused. */
	assert_int_not_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	printf("wrong PIN: %s\n", bft_pkcs11_error(t));
	assert_non_null(strstr(bft_pkcs11_error(t), "C_Login: CKR_PIN_INCORRECT"));
	assert_true(bft_pkcs11_pin_refused(t));
	bft_pkcs11_logins(t, &att, &ref);
	assert_int_equal(att, 2);
	assert_int_equal(ref, 1);
	/* A node signs several messages a second: none of them logs in. */
	for (int i = 0; i < 50; i++)
		assert_int_not_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	printf("then: %s\n", bft_pkcs11_error(t));
	assert_non_null(strstr(bft_pkcs11_error(t), "not offered again"));
	bft_pkcs11_logins(t, &att, &ref);
	assert_int_equal(att, 2);
	/* The same wrong PIN written again: still not offered. */
	write_pin(pinfile, "9999\n");
	assert_int_not_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	bft_pkcs11_logins(t, &att, &ref);
	assert_int_equal(att, 2);
	/* The operator corrects the PIN file: one login, and it signs. */
	write_pin(pinfile, "1234\n");
	if (bft_pkcs11_sign(t, msg, sizeof msg, sig) != 0)
		fail_msg("after the PIN was corrected: %s", bft_pkcs11_error(t));
	assert_false(bft_pkcs11_pin_refused(t));
	bft_pkcs11_logins(t, &att, &ref);
	assert_int_equal(att, 3);
	assert_int_equal(ref, 1);
	bft_pkcs11_close(t);
}

/* What SoftHSM2 cannot do, through build/tests/p11shim.so (a module that
 * wraps it): a token reporting its user PIN locked or one failure from
 * locking gets no login at all, and a login answered CKR_PIN_LOCKED is
 * not repeated. The shim counts the C_Login calls that reach it. */
#define P11SHIM "build/tests/p11shim.so"
static void test_token_pin_flags(void **state)
{
	struct hsm *h = *state;
	char shim[PATH_MAX];
	if (!h)
		skip();
	if (!realpath(P11SHIM, shim)) {
		printf("[  SKIPPED ] PIN flags: %s missing (make builds it)\n", P11SHIM);
		skip();
	}
	unsetenv("P11SHIM_FLAGS");
	unsetenv("P11SHIM_LOGIN_RV");
	char uri[PATH_MAX + 256], err[512] = "";
	snprintf(uri, sizeof uri, "pkcs11:token=bftime;object=flags?module-path=%s&pin-source=file:%s/pin", shim, h->dir);
	bft_pkcs11 *t0 = NULL, *t = NULL;
	if (bft_pkcs11_open(&t0, uri, err, sizeof err) != 0)
		fail_msg("open through the shim: %s", err);
	void *dl = dlopen(shim, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(dl);
	unsigned long *logins = (unsigned long *)dlsym(dl, "p11shim_logins");
	assert_non_null(logins);
	assert_int_equal(*logins, 1);
	uint8_t pub[BFT_PKCS11_MAX_PUB], sig[BFT_PKCS11_SIG];
	size_t pub_len = 0;
	if (bft_pkcs11_keygen(t0, BFT_PKCS11_ED25519, pub, &pub_len) != 0)
		fail_msg("keygen: %s", bft_pkcs11_error(t0));

	setenv("P11SHIM_FLAGS", "0x40000", 1); /* CKF_USER_PIN_LOCKED */
	assert_int_not_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	printf("PIN locked: %s\n", err);
	assert_non_null(strstr(err, "not tried") && strstr(err, "CKF_USER_PIN_LOCKED") ? err : NULL);
	assert_int_equal(*logins, 1);
	setenv("P11SHIM_FLAGS", "0x20000", 1); /* CKF_USER_PIN_FINAL_TRY */
	assert_int_not_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	printf("final try: %s\n", err);
	assert_non_null(strstr(err, "not tried") && strstr(err, "CKF_USER_PIN_FINAL_TRY") ? err : NULL);
	assert_int_equal(*logins, 1);
	unsetenv("P11SHIM_FLAGS");
	setenv("P11SHIM_LOGIN_RV", "0xa4", 1); /* CKR_PIN_LOCKED */
	assert_int_not_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	printf("locked at login: %s\n", err);
	assert_non_null(strstr(err, "C_Login: CKR_PIN_LOCKED"));
	assert_int_equal(*logins, 2);

	/* The open handle's token is removed and returns locked: one login,
	 * then none, however often it signs. */
	unsetenv("P11SHIM_LOGIN_RV");
	assert_int_equal(bft_pkcs11_sign(t0, msg, sizeof msg, sig), 0);
	char tokens[128], away[128];
	snprintf(tokens, sizeof tokens, "%s/tokens", h->dir);
	snprintf(away, sizeof away, "%s/away", h->dir);
	assert_int_equal(rename(tokens, away), 0);
	int rc = bft_pkcs11_sign(t0, msg, sizeof msg, sig);
	if (rc == 0)
		rc = bft_pkcs11_sign(t0, msg, sizeof msg, sig);
	assert_int_not_equal(rc, 0);
	assert_int_equal(rename(away, tokens), 0);
	setenv("P11SHIM_LOGIN_RV", "0xa4", 1);
	unsigned long before = *logins;
	for (int i = 0; i < 30; i++)
		assert_int_not_equal(bft_pkcs11_sign(t0, msg, sizeof msg, sig), 0);
	printf("returned locked: %s\n", bft_pkcs11_error(t0));
	assert_int_equal(*logins, before + 1);
	assert_true(bft_pkcs11_pin_refused(t0));
	unsetenv("P11SHIM_LOGIN_RV");
	dlclose(dl);
	bft_pkcs11_close(t0);
}

static void expect_open_error(const char *uri, const char *has)
{
	bft_pkcs11 *t = (bft_pkcs11 *)1;
	char err[256] = "";
	assert_int_not_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	assert_null(t);
	if (!strstr(err, has))
		fail_msg("%s: error \"%s\" lacks \"%s\"", uri, err, has);
	printf("refused as expected: %s\n", err);
}

static void test_token_errors(void **state)
{
	struct hsm *h = *state;
	if (!h)
		skip();
	char uri[512], path[256];
	snprintf(path, sizeof path, "%s/badpin", h->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("9999\n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(uri, sizeof uri, "pkcs11:token=bftime;object=k?module-path=%s&pin-source=file:%s", SOFTHSM, path);
	expect_open_error(uri, "C_Login: CKR_PIN_INCORRECT");
	chmod(path, 0644);
	expect_open_error(uri, "readable by its owner only");
	snprintf(uri, sizeof uri, "pkcs11:token=nosuchtoken?module-path=%s&pin-value=1234", SOFTHSM);
	expect_open_error(uri, "no token matches");
	expect_open_error("pkcs11:token=bftime?module-path=/nonexistent/module.so&pin-value=1234",
	                  "cannot load PKCS#11 module");
	expect_open_error("pkcs11:token=bftime;bogus=1", "bad PKCS#11 URI");
	/* A key that is not there. */
	snprintf(uri, sizeof uri, "pkcs11:token=bftime;object=absent?module-path=%s&pin-value=1234", SOFTHSM);
	bft_pkcs11 *t = NULL;
	char err[256];
	assert_int_equal(bft_pkcs11_open(&t, uri, err, sizeof err), 0);
	enum bft_pkcs11_kind kind;
	uint8_t pub[BFT_PKCS11_MAX_PUB], sig[BFT_PKCS11_SIG];
	size_t pub_len;
	assert_int_not_equal(bft_pkcs11_load_key(t, &kind, pub, &pub_len), 0);
	assert_non_null(strstr(bft_pkcs11_error(t), "no private key object=\"absent\""));
	assert_int_not_equal(bft_pkcs11_sign(t, msg, sizeof msg, sig), 0);
	assert_non_null(strstr(bft_pkcs11_error(t), "no key selected"));
	bft_pkcs11_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_token_ed25519),
		cmocka_unit_test(test_token_p256),
		cmocka_unit_test(test_token_errors),
		cmocka_unit_test(test_token_wrong_pin_not_retried),
		cmocka_unit_test(test_token_pin_flags),
	};
	/* One token directory for the process: SoftHSM2 reads its configuration
	 * once per process. */
	return cmocka_run_group_tests(tests, hsm_setup, hsm_teardown);
}
