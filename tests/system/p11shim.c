/* SPDX-License-Identifier: MIT */
/*
 * A PKCS#11 module for tests that wraps a real one (SoftHSM2, or the
 * module named by P11SHIM_MODULE) and makes it behave as a token that
 * counts wrong PINs would, which SoftHSM2 does not: with P11SHIM_FLAGS set
 * (a number), C_GetTokenInfo adds those flags (CKF_USER_PIN_COUNT_LOW
 * 0x10000, CKF_USER_PIN_FINAL_TRY 0x20000, CKF_USER_PIN_LOCKED 0x40000);
 * with P11SHIM_LOGIN_RV set, C_Login answers that return code without
 * asking the real module (0xa4: CKR_PIN_LOCKED). Every C_Login call is
 * counted in p11shim_logins, which a test reads with dlsym, so a test sees
 * what reached the module, not what the caller believes it sent.
 * Everything else is the real module's. Built as build/tests/p11shim.so.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit-1/p11-kit/pkcs11.h>

#define REAL_DEFAULT "/usr/lib/softhsm/libsofthsm2.so"

__attribute__((visibility("default"))) unsigned long p11shim_logins;

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST *real;

static unsigned long env_ul(const char *name, int *set)
{
	const char *v = getenv(name);
	*set = v && *v;
	return *set ? strtoul(v, NULL, 0) : 0;
}

static CK_RV shim_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
	CK_RV rv = real->C_GetTokenInfo(slot, info);
	int set;
	unsigned long flags = env_ul("P11SHIM_FLAGS", &set);
	if (rv == CKR_OK && set)
		info->flags |= flags;
	return rv;
}

static CK_RV shim_Login(CK_SESSION_HANDLE s, CK_USER_TYPE type, CK_UTF8CHAR *pin, CK_ULONG len)
{
	p11shim_logins++;
	int set;
	unsigned long rv = env_ul("P11SHIM_LOGIN_RV", &set);
	return set ? (CK_RV)rv : real->C_Login(s, type, pin, len);
}

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST **out);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST **out)
{
	if (!real) {
		const char *path = getenv("P11SHIM_MODULE");
		void *dl = dlopen(path && *path ? path : REAL_DEFAULT, RTLD_NOW | RTLD_LOCAL);
		CK_C_GetFunctionList get = dl ? (CK_C_GetFunctionList)(unsigned long)dlsym(dl, "C_GetFunctionList") : NULL;
		if (!get || get(&real) != CKR_OK || !real)
			return CKR_GENERAL_ERROR;
		shim = *real;
		shim.C_GetTokenInfo = shim_GetTokenInfo;
		shim.C_Login = shim_Login;
	}
	*out = &shim;
	return CKR_OK;
}
