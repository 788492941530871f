/* SPDX-License-Identifier: MIT */
/*
 * PKCS#11 signer: the header states the contract. The module is loaded
 * with dlopen and driven through its function list; one read-write user
 * session per token. Every failing call records a sentence with the call
 * and its CKR_ code, so an operator reads "C_Login: CKR_PIN_INCORRECT"
 * rather than "signing failed". A session lost to a removed token is
 * reopened on the next signature.
 *
 * Logging in is the one call that can destroy a token: a real one (a smart
 * card, an HSM, an ATECC608A's PIN slot) locks its user PIN after a few
 * wrong ones, and a node signs several messages a second. So a PIN the
 * token refused is never offered again (its SHA-256 is kept to tell: only
 * a changed PIN file is tried, once), and no login is attempted while the
 * token reports its PIN locked or one failure from locking
 * (CKF_USER_PIN_LOCKED, CKF_USER_PIN_FINAL_TRY): an operator logs in by
 * hand, which resets the token's counter. Attempts are counted.
 */
#include "proto/sign_pkcs11.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <p11-kit-1/p11-kit/pkcs11.h>

#include <bftime/common.h>

#include "proto/pkcs11_uri.h"

#define P11_KIT_PROXY "p11-kit-proxy.so"

struct bft_pkcs11 {
	bft_pkcs11_uri uri; /* holds the PIN when given by value: wiped on close */
	void *dl;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	int have_session, logged_in, initialized;
	int down; /* we finalised the module and could not initialise it again yet */
	CK_OBJECT_HANDLE key;
	enum bft_pkcs11_kind kind;
	uint32_t self;
	bft_signer peers;
	/* logins (the header's bft_pkcs11_logins) and the PIN refused last */
	uint64_t login_attempts, login_refusals;
	CK_RV pin_rv;             /* CKR_OK, or what the token answered the refused PIN */
	uint8_t pin_refused[32];  /* SHA-256 of that PIN: never offered again */
	char err[256];
};

static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	{ CKR_OK, "CKR_OK" },
	{ CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR" },
	{ CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD" },
	{ CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID" },
	{ CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR" },
	{ CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED" },
	{ CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED" },
	{ CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID" },
	{ CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID" },
	{ CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID" },
	{ CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT" },
	{ CKR_PIN_LOCKED, "CKR_PIN_LOCKED" },
	{ CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED" },
	{ CKR_PIN_INVALID, "CKR_PIN_INVALID" },
	{ CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE" },
	{ CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED" },
	{ CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID" },
	{ CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT" },
	{ CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT" },
	{ CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED" },
	{ CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN" },
	{ CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED" },
	{ CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED" },
};

static void fail(bft_pkcs11 *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(bft_pkcs11 *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	va_end(ap);
}

static int ckfail(bft_pkcs11 *t, const char *call, CK_RV rv)
{
	for (size_t i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++)
		if (rv_names[i].rv == rv) {
			fail(t, "%s: %s", call, rv_names[i].name);
			return BFT_EINVAL;
		}
	fail(t, "%s: CKR 0x%lx", call, (unsigned long)rv);
	return BFT_EINVAL;
}

/* A fixed-width, space-padded PKCS#11 field equals the URI's string. */
static int field_is(const unsigned char *field, size_t width, const char *want)
{
	size_t n = width;
	while (n && field[n - 1] == ' ')
		n--;
	return strlen(want) == n && memcmp(field, want, n) == 0;
}

/* The PIN from pin-value or from the pin-source file (its first line). */
static int read_pin(bft_pkcs11 *t, char *pin, size_t cap)
{
	if (t->uri.pin_value[0]) {
		snprintf(pin, cap, "%s", t->uri.pin_value);
		return 0;
	}
	const char *path = t->uri.pin_source;
	if (!path[0]) {
		fail(t, "no PIN: the URI has neither pin-source nor pin-value");
		return BFT_EINVAL;
	}
	if (strncmp(path, "file:", 5) == 0)
		path += 5;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fail(t, "PIN file %s cannot be opened", path);
		if (fd >= 0)
			close(fd);
		return BFT_EINVAL;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		fail(t, "PIN file %s is not a regular file readable by its owner only (chmod 600)", path);
		return BFT_EINVAL;
	}
	ssize_t n = read(fd, pin, cap - 1);
	close(fd);
	if (n <= 0) {
		fail(t, "PIN file %s is empty or unreadable", path);
		return BFT_EINVAL;
	}
	pin[n] = 0;
	pin[strcspn(pin, "\r\n")] = 0;
	if (!pin[0]) {
		fail(t, "PIN file %s starts with an empty line", path);
		return BFT_EINVAL;
	}
	return 0;
}

static void close_session(bft_pkcs11 *t)
{
	if (t->have_session)
		t->f->C_CloseSession(t->session);
	t->have_session = t->logged_in = 0;
	t->key = CK_INVALID_HANDLE;
}

static int find_slot(bft_pkcs11 *t);

static const char *rv_name(CK_RV rv)
{
	for (size_t i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return "CKR_?";
}

/* A PIN the token refused: wrong, locked, expired, malformed. */
static int pin_refusal(CK_RV rv)
{
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED || rv == CKR_PIN_INVALID ||
	       rv == CKR_PIN_LEN_RANGE;
}

/* C_Login with pin on the open session, unless that could lock the token
 * (the file's header comment). 0 or BFT_EINVAL with the reason in t->err. */
static int login(bft_pkcs11 *t, const char *pin)
{
	uint8_t h[32];
	unsigned hl = 0;
	if (EVP_Digest(pin, strlen(pin), h, &hl, EVP_sha256(), NULL) != 1 || hl != sizeof h) {
		fail(t, "cannot hash the PIN (OpenSSL)");
		return BFT_EINVAL;
	}
	int same = t->pin_rv != CKR_OK && CRYPTO_memcmp(h, t->pin_refused, sizeof h) == 0;
	OPENSSL_cleanse(h, sizeof h);
	if (same) {
		fail(t, "C_Login: the token refused this PIN (%s) and it is not offered again, so as not to lock the "
		        "token (%llu login attempts, %llu refused): %s", rv_name(t->pin_rv),
		     (unsigned long long)t->login_attempts, (unsigned long long)t->login_refusals,
		     t->pin_rv == CKR_PIN_LOCKED
		             ? "unlock the token with the security officer's PIN and restart bftimed"
		             : "correct the PIN file; it is read again at the next signature");
		return BFT_EINVAL;
	}
	CK_TOKEN_INFO ti;
	memset(&ti, 0, sizeof ti);
	if (t->f->C_GetTokenInfo(t->slot, &ti) == CKR_OK) {
		if (ti.flags & CKF_USER_PIN_LOCKED) {
			fail(t, "C_Login: not tried: the token's user PIN is locked (CKF_USER_PIN_LOCKED); unlock it with "
			        "the security officer's PIN (C_InitPIN, e.g. pkcs11-tool --init-pin)");
			return BFT_EINVAL;
		}
		if (ti.flags & CKF_USER_PIN_FINAL_TRY) {
			fail(t, "C_Login: not tried: one more wrong PIN locks the token (CKF_USER_PIN_FINAL_TRY); log in "
			        "once by hand with the right PIN (e.g. pkcs11-tool --login --test), which resets the "
			        "token's count, then start again");
			return BFT_EINVAL;
		}
	}
	t->login_attempts++;
	CK_RV rv = t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		t->pin_rv = CKR_OK;
		return 0;
	}
	if (pin_refusal(rv)) {
		t->login_refusals++;
		t->pin_rv = rv;
		if (EVP_Digest(pin, strlen(pin), t->pin_refused, &hl, EVP_sha256(), NULL) != 1)
			memset(t->pin_refused, 0, sizeof t->pin_refused);
		fail(t, "C_Login: %s%s; this PIN is not offered again (a token locks after a few wrong PINs)",
		     rv_name(rv), rv == CKR_PIN_INCORRECT && (ti.flags & CKF_USER_PIN_COUNT_LOW)
		                          ? " (the token already counted wrong PINs: CKF_USER_PIN_COUNT_LOW)"
		                          : "");
		return BFT_EINVAL;
	}
	return ckfail(t, "C_Login", rv);
}

/* Find the URI's token, open a session, log in. A module that no longer
 * lists the token (removed, then returned) may need to be reinitialised to
 * see it again (SoftHSM2 does): done once, when we initialised it. */
static int open_session(bft_pkcs11 *t)
{
	/* Still ours to reinitialise when that failed (SoftHSM2's C_Initialize
	 * fails while its token directory is gone): try again each time, or a
	 * token that returns would never be seen. */
	int rc = t->down ? BFT_EINVAL : find_slot(t);
	if (rc && t->initialized) {
		if (!t->down)
			t->f->C_Finalize(NULL);
		CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
		CK_RV rv = t->f->C_Initialize(&args);
		if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			t->down = 1;
			return ckfail(t, "C_Initialize", rv);
		}
		t->down = 0;
		rc = find_slot(t);
	}
	if (rc)
		return rc;
	CK_RV rv = t->f->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->session);
	if (rv != CKR_OK)
		return ckfail(t, "C_OpenSession", rv);
	t->have_session = 1;
	char pin[129];
	if (read_pin(t, pin, sizeof pin)) {
		close_session(t);
		return BFT_EINVAL;
	}
	rc = login(t, pin);
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc) {
		close_session(t);
		return rc;
	}
	t->logged_in = 1;
	return 0;
}

static int find_slot(bft_pkcs11 *t)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = sizeof slots / sizeof slots[0];
	CK_RV rv = t->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		return ckfail(t, "C_GetSlotList", rv);
	int found = 0;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (t->uri.has_slot_id && slots[i] != t->uri.slot_id)
			continue;
		if (t->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if ((t->uri.token[0] && !field_is(ti.label, sizeof ti.label, t->uri.token)) ||
		    (t->uri.manufacturer[0] &&
		     !field_is(ti.manufacturerID, sizeof ti.manufacturerID, t->uri.manufacturer)) ||
		    (t->uri.serial[0] && !field_is(ti.serialNumber, sizeof ti.serialNumber, t->uri.serial)) ||
		    (t->uri.model[0] && !field_is(ti.model, sizeof ti.model, t->uri.model)))
			continue;
		t->slot = slots[i];
		found = 1;
	}
	if (!found) {
		fail(t, "no token matches the URI (token=\"%s\") among %lu present: removed?", t->uri.token,
		     (unsigned long)n);
		return BFT_EINVAL;
	}
	return 0;
}

int bft_pkcs11_open(bft_pkcs11 **out, const char *uri, char *err, size_t err_len)
{
	if (!out || !uri)
		return BFT_EINVAL;
	*out = NULL;
	bft_pkcs11 *t = calloc(1, sizeof *t);
	if (!t)
		return BFT_ENOMEM;
	const char *why;
	int rc = 0;
	if (bft_pkcs11_uri_parse(&t->uri, uri, strlen(uri), &why)) {
		fail(t, "bad PKCS#11 URI: %s", why);
		rc = BFT_EINVAL;
	}
	const char *module = t->uri.module_path[0] ? t->uri.module_path : P11_KIT_PROXY;
	if (rc == 0 && !(t->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL))) {
		fail(t, "cannot load PKCS#11 module %s: %s", module, dlerror());
		rc = BFT_EINVAL;
	}
	if (rc == 0) {
		CK_C_GetFunctionList get = (CK_C_GetFunctionList)(uintptr_t)dlsym(t->dl, "C_GetFunctionList");
		CK_RV rv = get ? get(&t->f) : CKR_FUNCTION_FAILED;
		if (rv != CKR_OK || !t->f) {
			rc = ckfail(t, "C_GetFunctionList", rv);
		} else {
			CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
			rv = t->f->C_Initialize(&args);
			if (rv == CKR_OK)
				t->initialized = 1;
			else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
				rc = ckfail(t, "C_Initialize", rv);
		}
	}
	if (rc == 0)
		rc = open_session(t);
	if (rc) {
		if (err && err_len)
			snprintf(err, err_len, "%s", t->err);
		bft_pkcs11_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

void bft_pkcs11_close(bft_pkcs11 *t)
{
	if (!t)
		return;
	if (t->f) {
		close_session(t);
		if (t->initialized && !t->down)
			t->f->C_Finalize(NULL);
	}
	if (t->dl)
		dlclose(t->dl);
	OPENSSL_cleanse(t, sizeof *t);
	free(t);
}

const char *bft_pkcs11_error(const bft_pkcs11 *t) { return t ? t->err : "no token"; }

void bft_pkcs11_logins(const bft_pkcs11 *t, uint64_t *attempts, uint64_t *refused)
{
	*attempts = t ? t->login_attempts : 0;
	*refused = t ? t->login_refusals : 0;
}

int bft_pkcs11_pin_refused(const bft_pkcs11 *t) { return t && t->pin_rv != CKR_OK; }

/* DER OIDs of the curves (CKA_EC_PARAMS). */
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* CKA_EC_POINT: a DER OCTET STRING (most modules) or the raw point. */
static int ec_point(bft_pkcs11 *t, CK_OBJECT_HANDLE pub_obj, enum bft_pkcs11_kind kind, uint8_t *pub,
                    size_t *pub_len)
{
	uint8_t buf[128];
	CK_ATTRIBUTE a = { CKA_EC_POINT, buf, sizeof buf };
	CK_RV rv = t->f->C_GetAttributeValue(t->session, pub_obj, &a, 1);
	if (rv != CKR_OK)
		return ckfail(t, "C_GetAttributeValue(CKA_EC_POINT)", rv);
	size_t want = kind == BFT_PKCS11_ED25519 ? 32 : 65, n = a.ulValueLen;
	const uint8_t *p = buf;
	if (n == want + 2 && buf[0] == 0x04 && buf[1] == want) {
		p += 2;
		n -= 2;
	}
	if (n != want || (kind == BFT_PKCS11_P256 && p[0] != 0x04)) {
		fail(t, "the token's public key has an unexpected encoding (%lu bytes)", (unsigned long)a.ulValueLen);
		return BFT_EINVAL;
	}
	memcpy(pub, p, n);
	*pub_len = n;
	return 0;
}

int bft_pkcs11_keygen(bft_pkcs11 *t, enum bft_pkcs11_kind kind, uint8_t *pub, size_t *pub_len)
{
	if (!t || !pub || !pub_len || (kind != BFT_PKCS11_ED25519 && kind != BFT_PKCS11_P256))
		return BFT_EINVAL;
	if (!t->uri.object[0]) {
		fail(t, "keygen needs object=LABEL in the URI");
		return BFT_EINVAL;
	}
	if (!t->have_session && open_session(t))
		return BFT_EINVAL;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	const uint8_t *oid = kind == BFT_PKCS11_ED25519 ? oid_ed25519 : oid_p256;
	CK_ULONG oid_len = kind == BFT_PKCS11_ED25519 ? sizeof oid_ed25519 : sizeof oid_p256;
	CK_ULONG label_len = strlen(t->uri.object), id_len = t->uri.has_id ? t->uri.id_len : 0;
	CK_ATTRIBUTE pub_t[] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_VERIFY, &yes, sizeof yes },
		{ CKA_EC_PARAMS, (void *)oid, oid_len },
		{ CKA_LABEL, t->uri.object, label_len },
		{ CKA_ID, t->uri.id, id_len },
	};
	CK_ATTRIBUTE priv_t[] = {
		{ CKA_TOKEN, &yes, sizeof yes },   { CKA_PRIVATE, &yes, sizeof yes },
		{ CKA_SIGN, &yes, sizeof yes },    { CKA_SENSITIVE, &yes, sizeof yes },
		{ CKA_EXTRACTABLE, &no, sizeof no }, { CKA_LABEL, t->uri.object, label_len },
		{ CKA_ID, t->uri.id, id_len },
	};
	CK_MECHANISM mech = { kind == BFT_PKCS11_ED25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL,
		              0 };
	CK_OBJECT_HANDLE pub_obj, priv_obj;
	CK_ULONG npub = sizeof pub_t / sizeof pub_t[0] - (id_len ? 0 : 1),
	         npriv = sizeof priv_t / sizeof priv_t[0] - (id_len ? 0 : 1);
	CK_RV rv = t->f->C_GenerateKeyPair(t->session, &mech, pub_t, npub, priv_t, npriv, &pub_obj, &priv_obj);
	if (rv != CKR_OK)
		return ckfail(t, "C_GenerateKeyPair", rv);
	if (ec_point(t, pub_obj, kind, pub, pub_len))
		return BFT_EINVAL;
	t->key = priv_obj;
	t->kind = kind;
	return 0;
}

/* The first object of class cls matching the URI's label and id. */
static int find(bft_pkcs11 *t, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *obj)
{
	CK_ATTRIBUTE q[3] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_ULONG nq = 1, got = 0;
	if (t->uri.object[0])
		q[nq++] = (CK_ATTRIBUTE){ CKA_LABEL, t->uri.object, strlen(t->uri.object) };
	if (t->uri.has_id)
		q[nq++] = (CK_ATTRIBUTE){ CKA_ID, t->uri.id, t->uri.id_len };
	CK_RV rv = t->f->C_FindObjectsInit(t->session, q, nq);
	if (rv != CKR_OK)
		return ckfail(t, "C_FindObjectsInit", rv);
	rv = t->f->C_FindObjects(t->session, obj, 1, &got);
	t->f->C_FindObjectsFinal(t->session);
	if (rv != CKR_OK)
		return ckfail(t, "C_FindObjects", rv);
	if (got != 1) {
		fail(t, "no %s key object=\"%s\" on token \"%s\"", cls == CKO_PRIVATE_KEY ? "private" : "public",
		     t->uri.object, t->uri.token);
		return BFT_EINVAL;
	}
	return 0;
}

static int select_key(bft_pkcs11 *t)
{
	CK_OBJECT_HANDLE k;
	CK_KEY_TYPE kt = 0;
	if (find(t, CKO_PRIVATE_KEY, &k))
		return BFT_EINVAL;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof kt };
	CK_RV rv = t->f->C_GetAttributeValue(t->session, k, &a, 1);
	if (rv != CKR_OK)
		return ckfail(t, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
	if (kt == CKK_EC_EDWARDS) {
		t->kind = BFT_PKCS11_ED25519;
	} else if (kt == CKK_EC) {
		t->kind = BFT_PKCS11_P256; /* the curve is checked through the public key's size */
	} else {
		fail(t, "key object=\"%s\" is neither Ed25519 nor EC P-256", t->uri.object);
		return BFT_EINVAL;
	}
	t->key = k;
	return 0;
}

int bft_pkcs11_load_key(bft_pkcs11 *t, enum bft_pkcs11_kind *kind, uint8_t *pub, size_t *pub_len)
{
	if (!t || !kind || !pub || !pub_len)
		return BFT_EINVAL;
	if (!t->have_session && open_session(t))
		return BFT_EINVAL;
	CK_OBJECT_HANDLE p;
	if (select_key(t) || find(t, CKO_PUBLIC_KEY, &p) || ec_point(t, p, t->kind, pub, pub_len))
		return BFT_EINVAL;
	*kind = t->kind;
	return 0;
}

/* Return codes after which the session is gone: reopen before the next try. */
static int session_lost(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
	       rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_KEY_HANDLE_INVALID ||
	       rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_DEVICE_ERROR || rv == CKR_GENERAL_ERROR;
}

int bft_pkcs11_sign(bft_pkcs11 *t, const uint8_t *msg, size_t len, uint8_t sig[BFT_PKCS11_SIG])
{
	if (!t || !sig || (!msg && len))
		return BFT_EINVAL;
	if (!t->have_session || t->key == CK_INVALID_HANDLE) {
		if (t->kind == BFT_PKCS11_NONE) {
			fail(t, "no key selected (bft_pkcs11_keygen or bft_pkcs11_load_key first)");
			return BFT_EINVAL;
		}
		enum bft_pkcs11_kind was = t->kind;
		if ((!t->have_session && open_session(t)) || select_key(t))
			return BFT_EINVAL;
		if (t->kind != was) {
			fail(t, "the key on the token changed type");
			return BFT_EINVAL;
		}
	}
	uint8_t digest[32];
	const uint8_t *in = msg;
	CK_ULONG in_len = len, sig_len = BFT_PKCS11_SIG;
	CK_MECHANISM mech = { CKM_EDDSA, NULL, 0 };
	if (t->kind == BFT_PKCS11_P256) {
		unsigned dl = 0;
		if (EVP_Digest(msg, len, digest, &dl, EVP_sha256(), NULL) != 1)
			return BFT_EINVAL;
		in = digest;
		in_len = sizeof digest;
		mech.mechanism = CKM_ECDSA;
	}
	CK_RV rv = t->f->C_SignInit(t->session, &mech, t->key);
	if (rv == CKR_OK)
		rv = t->f->C_Sign(t->session, (CK_BYTE *)in, in_len, sig, &sig_len);
	if (rv == CKR_OK && sig_len != BFT_PKCS11_SIG)
		rv = CKR_FUNCTION_FAILED;
	if (rv != CKR_OK) {
		if (session_lost(rv))
			close_session(t);
		return ckfail(t, "C_Sign", rv);
	}
	t->err[0] = 0;
	return 0;
}

static int p11_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	bft_pkcs11 *t = ctx;
	return self == t->self ? bft_pkcs11_sign(t, msg, len, sig) : BFT_EINVAL;
}

static int p11_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	bft_pkcs11 *t = ctx;
	if (!t->peers.verify)
		return BFT_EINVAL;
	return t->peers.verify(t->peers.ctx, from, msg, len, sig, sig_len);
}

void bft_signer_pkcs11(bft_signer *out, bft_pkcs11 *t, uint32_t self, const bft_signer *peers)
{
	t->self = self;
	if (peers)
		t->peers = *peers;
	out->name = t->kind == BFT_PKCS11_P256 ? "pkcs11-p256" : "pkcs11-ed25519";
	out->sig_len = BFT_PKCS11_SIG;
	out->sign = p11_sign;
	out->verify = p11_verify;
	out->ctx = t;
}
