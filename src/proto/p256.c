/* SPDX-License-Identifier: MIT */
/*
 * ECDSA P-256 on OpenSSL 3 (p256.h). The wire carries r || s; OpenSSL
 * speaks DER, so each signature is converted through ECDSA_SIG. Keys are
 * built with EVP_PKEY_fromdata (the EC_KEY API is deprecated in 3.0); the
 * point of a software scalar comes from EC_POINT_mul. Secret scalars are
 * wiped (BN_clear_free, OPENSSL_cleanse).
 */
#include "proto/p256.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "proto/proof.h" /* bft_sha3_256 */

EVP_PKEY *bft_p256_pkey(const uint8_t *pub, const uint8_t *priv)
{
	uint8_t point[BFT_P256_PUB];
	BIGNUM *d = NULL;
	EVP_PKEY *key = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!bld || !pc || (!pub && !priv))
		goto out;
	if (priv) {
		if (!(d = BN_secure_new()) || !BN_bin2bn(priv, BFT_P256_PRIV, d) || bft_p256_public(point, priv) != 0)
			goto out;
		pub = point;
	}
	if (pub[0] != 0x04)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, BFT_P256_PUB) != 1 ||
	    (d && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1) || !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	if (EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	/* A point off the curve is refused by fromdata itself (its decoding,
	 * EC_POINT_oct2point, checks the curve equation; test_p256 shows it);
	 * P-256's cofactor is 1, so EVP_PKEY_public_check's extra order check,
	 * a scalar multiplication per key, would add nothing but time. */
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	BN_clear_free(d);
	return key;
}

int bft_p256_public(uint8_t pub[BFT_P256_PUB], const uint8_t priv[BFT_P256_PRIV])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *d = BN_secure_new();
	EC_POINT *q = g ? EC_POINT_new(g) : NULL;
	int ok = g && d && q && BN_bin2bn(priv, BFT_P256_PRIV, d) && !BN_is_zero(d) &&
	         BN_cmp(d, EC_GROUP_get0_order(g)) < 0 && EC_POINT_mul(g, q, d, NULL, NULL, NULL) == 1 &&
	         EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, BFT_P256_PUB, NULL) == BFT_P256_PUB;
	EC_POINT_free(q);
	BN_clear_free(d);
	EC_GROUP_free(g);
	return ok ? 0 : BFT_EINVAL;
}

int bft_p256_keygen(uint8_t priv[BFT_P256_PRIV], uint8_t pub[BFT_P256_PUB])
{
	for (int tries = 0; tries < 16; tries++) /* a scalar >= n: about 2^-32 */
		if (RAND_priv_bytes(priv, BFT_P256_PRIV) == 1 && bft_p256_public(pub, priv) == 0)
			return 0;
	OPENSSL_cleanse(priv, BFT_P256_PRIV);
	return BFT_EINVAL;
}

int bft_p256_key_id(uint8_t id[BFT_P256_ID], const uint8_t pub[BFT_P256_PUB])
{
	EVP_PKEY *k = pub ? bft_p256_pkey(pub, NULL) : NULL;
	if (!k)
		return BFT_EINVAL;
	EVP_PKEY_free(k);
	return bft_sha3_256(id, pub, BFT_P256_PUB) == 0 ? 0 : BFT_EINVAL;
}

int bft_p256_sign_pkey(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[BFT_P256_SIG])
{
	uint8_t der[80];
	size_t dl = sizeof der;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = key && md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	         EVP_DigestSign(md, der, &dl, msg, len) == 1;
	EVP_MD_CTX_free(md);
	const uint8_t *p = der;
	ECDSA_SIG *es = ok ? d2i_ECDSA_SIG(NULL, &p, (long)dl) : NULL;
	ok = es && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	     BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	if (!ok)
		memset(sig, 0, BFT_P256_SIG);
	return ok ? 0 : BFT_EINVAL;
}

int bft_p256_verify_pkey(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[BFT_P256_SIG])
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	uint8_t der[80], *p = der;
	int dl = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL; /* owned by es now */
		if (i2d_ECDSA_SIG(es, NULL) <= (int)sizeof der)
			dl = i2d_ECDSA_SIG(es, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EVP_MD_CTX *md = dl > 0 && key ? EVP_MD_CTX_new() : NULL;
	/* OpenSSL refuses r or s of zero or >= n itself. */
	int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	         EVP_DigestVerify(md, der, (size_t)dl, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : BFT_EINVAL;
}

int bft_p256_verify(const uint8_t pub[BFT_P256_PUB], const uint8_t *msg, size_t len, const uint8_t sig[BFT_P256_SIG])
{
	EVP_PKEY *k = pub && sig ? bft_p256_pkey(pub, NULL) : NULL;
	int rc = k ? bft_p256_verify_pkey(k, msg, len, sig) : BFT_EINVAL;
	EVP_PKEY_free(k);
	return rc;
}

int bft_p256_sign(const uint8_t priv[BFT_P256_PRIV], const uint8_t *msg, size_t len, uint8_t sig[BFT_P256_SIG])
{
	EVP_PKEY *k = priv ? bft_p256_pkey(NULL, priv) : NULL;
	int rc = k ? bft_p256_sign_pkey(k, msg, len, sig) : BFT_EINVAL;
	EVP_PKEY_free(k);
	return rc;
}
