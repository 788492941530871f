/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA (src/proto/slhdsa.c) against known answers and its own contract.
 *
 * Known answers, two sources:
 *  - NIST ACVP, FIPS 205 key generation: repository usnistgov/ACVP-Server,
 *    file gen-val/json-files/SLH-DSA-keyGen-FIPS205/expectedResults.json,
 *    commit 203f667c26e10a1be89dfe8da7a54498fde2d848 (vsId 53). Each case's
 *    "sk" is SK.seed || SK.prf || PK.seed || PK.root, so the seeds in it must
 *    give back PK.root. Cases: tcId 1, 2 (SHA2-128s), 11, 12 (SHAKE-128s),
 *    21, 22 (SHA2-128f), 31, 32 (SHAKE-128f), 41 (SHA2-192s), 51
 *    (SHAKE-192s), 61 (SHA2-192f), 71 (SHAKE-192f), 81 (SHA2-256s), 91
 *    (SHAKE-256s), 101 (SHA2-256f), 111 (SHAKE-256f): every parameter set.
 *    ACVP's signature files are not in the reference index this was built
 *    from (sigGen: only prompt.json, without signatures; sigVer: only
 *    expectedResults.json, without the signatures it judges), so:
 *  - @noble/post-quantum 0.7.1 (npm; an independent FIPS 205 implementation
 *    whose own tests run NIST's ACVP sigGen/sigVer files): SHA-256 digests of
 *    its deterministic signatures, pure and pre-hash (SHA-512), with the
 *    keys above, message "SLH-DSA in bftime" and context "bftime-test".
 *    tests/system/test_slhdsa_noble.sh compares the two implementations live
 *    on random keys and messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <bftime/common.h>

#include "proto/sign.h"
#include "proto/slhdsa.h"

static const struct {
	const char *set;
	const char *sk;
} keygen_vectors[] = {
	{ "SLH-DSA-SHA2-128s", "AC379F047FAAB2004F3AE32350AC9A3D829FFF0AA59E956A87F3971C4D58E710"
	                       "0566D240CC519834322EAFBCC73C79F5A4B84F02E8BF0CBD54017B2D3C494B57" },
	{ "SLH-DSA-SHA2-128s", "20D43B51FB11AF1FE3C6459B7BB90D504F63BA1D6CC9B355D47E49C958658160"
	                       "F420447CFE8F1823CE5BBFF0030CC69D31A2F32390C22B1AB974B5F5A2B3844E" },
	{ "SLH-DSA-SHAKE-128s", "2A2CCF3CD8F9F86E131BE654CFF6C0B4FDFCEB1AA2F0BA2C3C1388194F6116C7"
	                        "890CC7F4A46FE6C34D3F26A62FF962E1E8C88D2BDCBA6F66E50403E77FA92EFE" },
	{ "SLH-DSA-SHAKE-128s", "35DE5545D627E5AFC8F8669662A8728C51569550F70E010898462443C877CAAA"
	                        "E756D06936FD4C3B6E41C5013D2B36BC44C0B9567B59F7A02D3034CAA491129C" },
	{ "SLH-DSA-SHA2-128f", "AED6F6F5C5408BBFFA1136BC9049A7014D4CE0711E176A0C8A023508A692C207"
	                       "74D98D5000AF53B98F36389A1292BED3F4A650C56C426FCFDB88E3355459440C" },
	{ "SLH-DSA-SHA2-128f", "70B19FCA9B6522347E32344FF3293053B4ED68C937BBEAE268A4948C72B044BA"
	                       "C5BF30C4A6787951315A0126C16566C9B2A4A872833E75A686AE7371F74286B8" },
	{ "SLH-DSA-SHAKE-128f", "CD4A308C03D970508572C0815D7488B7F3FD6D2DCC7E5120FA544846AEDDED81"
	                        "BC435C3E66E4C2E4FBC09779DA5F74D44EA0E0DF05C2457BCC81F59928433390" },
	{ "SLH-DSA-SHAKE-128f", "E37CA2AD739B79C21EB965C52CE5A2D5802E2DABAF381A4D274690BF4DEB2550"
	                        "043076AD7906A7A35CA4D35096681332861281E9FFE4FA3C7436D6F77FB1E369" },
	{ "SLH-DSA-SHA2-192s", "3BFAED208B7DC795BF3647F86E4B48BF9ADB8D6784C50155A20311739497C3FCB860EE47E09EDE03"
	                       "6F7AE8A939155BC0A67856A81A6ADBCED7F1A2780CC48A06681BA5E8C7938506BD031BC8124F95F0"
	                       "BAE2BECB2A3FBBAEC453C04A6E918FFB" },
	{ "SLH-DSA-SHAKE-192s", "915173EE0D17F30877E1D463E3DEC914E71F436867AD7615ED782E7033C4963A7FF0B67181DE0F0E"
	                        "A7EFABB326D40A86520660F654D537DA6934F96E5EE01B24A2F36102F68DCD10AA206FC79803E638"
	                        "50DA5E86969569FC8FB021B6C40616E2" },
	{ "SLH-DSA-SHA2-192f", "45D7131C727DF1CC51DB85B44E37868215DF8AEC5D1B552F92BC5FC8A2969FE0A522492082E994DE"
	                       "1DDC90FA984F847B8330589C20701AA9F11B473B67E1D67E1C6A2EB6C86265ED13A3EA895C4EEEAD"
	                       "DE8A796BBA5233F0D86EE5CBF2A6F99C" },
	{ "SLH-DSA-SHAKE-192f", "855000FDFFFBA76962809C69432452F3DC79428F662C59B143B1FC381C300B5ECEC7571B5DE2FCA1"
	                        "6737E4C14911F683124623BA6CA1BC1B0E1A303099E2A608B0AC41715BC788A19873C783378F9357"
	                        "94ABC0313243EFC3F4A10A619CB1B1FE" },
	{ "SLH-DSA-SHA2-256s", "2FBEAB9A6A80FD817E7EFCDF834EFBD4F0A36195D7598408A6A151E93DE6A5575D0B37D1ECBC6826"
	                       "5B0AFEECBBA783DD27EAFDBDF3143E4AF3E5057FD5C2DADA1322F94917AE67D0DB420203178D5912"
	                       "83C08BE8A1385A16CE70CD9FBAFD2AC640041EAB68A4A653F89CAB7585F6B410603326DBBAAF733E"
	                       "7E72CB6097A4A452" },
	{ "SLH-DSA-SHAKE-256s", "7D88445A7B0022F12E9E2D74755431505FF6DB1C38A8CE44864D34CFF1A12CE0FF2CD133AD00728E"
	                        "B29DD0CE881C41C640F2E28861555B59D4E0BAA0447BB54287A133B92EB6C81771AE002819B4C030"
	                        "0FA63CD7181C805096BFB16067F52A45CC785237C24D9235B6BC3194B79E5A9F953388EA745D7CFB"
	                        "87826A94E5B271D5" },
	{ "SLH-DSA-SHA2-256f", "B8ABC485122BE003CF36D677BEE7F47EA1017C39D96D0C56A87A7ADAD24F731A9222684FFACF803D"
	                       "44CB98222C44B3C519698B798D8F7A759FE2FA6EF173CF640D50E82BEDB42E03CC967E7FD24C1277"
	                       "7855A946FD49471184330F096A75B5617FB65FBD08D05F24F20CB3875E28FAC4A52A2513C7EF447B"
	                       "8E9328632A684CF7" },
	{ "SLH-DSA-SHAKE-256f", "3DE4B54A5F5FB98D6638FB3D8899355CC3582E8A397D0990CAD032D78EE9E199DA7F71D21D0182A9"
	                        "9DE34E2796FE5DDE046D9C9E961DCE24C2562728BE7D9632B3EF3825A515E0B2E4164DB7EC805B4C"
	                        "F1C7A2DE6E63D7DF359B99B1F3063F25AEC38FF53C46AAD930166957CA0DB5C5466D0CBE9A119709"
	                        "87A230EBBB5450A4" },
};

/* noble's deterministic signatures: SHA-256 of the pure one and of the
 * SHA-512 pre-hash one; key = the first keygen vector of the set. */
static const struct {
	const char *set;
	const char *pure, *prehash;
} sig_digests[] = {
	{ "SLH-DSA-SHA2-128s", "8a2539637c683545f0243c41c591c1008edc40f566fb618a5cabb33db3b3e73e",
	  "33b07eec9c5c625c8c4f8fcc1f58d243b588ab43b75d1abd0873f84bcf00a6c0" },
	{ "SLH-DSA-SHA2-128f", "dd63df3126ecf81ee0f9abdec9a999f16478c40afa04d122f221e01b89d5d22b",
	  "bcd58cef78437946d5e32f144878386f6a4e7339d0c39b10a0bacad89fb44332" },
	{ "SLH-DSA-SHAKE-128f", "8ca60afc953a853d93a2a8ee2c50013425396a662de485ecdf7042102076c807",
	  "3bf27cea7b9502dca8d697ea2e953b30e113f526ba83d74b5bc5f6b7a3e6f201" },
	{ "SLH-DSA-SHA2-192f", "13693b37b3ab1bc2f896e4f09539b0f225bb79deca55cb02897a8baee86d18cb",
	  "809c921a43cca9231fbc5e5214e24136eb5dc1887b99eb32f19fac3f8d36e6af" },
	{ "SLH-DSA-SHAKE-192f", "e8a487a5d99a7b7c6d996f021157afddbef817ccbb320e6f49a2b2bdaddf3b2d",
	  "000a0c0994d50990beb1564379219dacb064dc05662053e739427d233d7c0204" },
	{ "SLH-DSA-SHA2-256f", "62cf32b22d87e198b5bfbc8a768f9c97dec034b057f39208e6452999324ef97e",
	  "0e741a53a2fbfb1fd567cea117abd47a2a054e50c0e3563c5d313b47205eface" },
	{ "SLH-DSA-SHAKE-256f", "65029766e8b03df1bcd45cd0169d9be77152a3d942a4643b6d754796696af667",
	  "35cad0cbf0a63b9bdd159bdfda7fc06d3164a25e251ec6468c727023fdfbc801" },
};

static const uint8_t msg[] = "SLH-DSA in bftime";
static const uint8_t ctx[] = "bftime-test";
#define MSG_LEN (sizeof msg - 1)
#define CTX_LEN (sizeof ctx - 1)

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sscanf(h + 2 * i, "%2hhx", &out[i]), 1);
	return n;
}

static const char *sk_of(const char *set)
{
	for (size_t i = 0; i < sizeof keygen_vectors / sizeof keygen_vectors[0]; i++)
		if (strcmp(keygen_vectors[i].set, set) == 0)
			return keygen_vectors[i].sk;
	fail_msg("no key for %s", set);
	return NULL;
}

static void sha256_hex(const uint8_t *b, size_t len, char out[65])
{
	uint8_t d[32];
	unsigned dl = 0;
	assert_int_equal(EVP_Digest(b, len, d, &dl, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_params(void **state)
{
	(void)state;
	/* FIPS 205 table 2's sizes. */
	static const size_t sig[BFT_SLHDSA_COUNT] = { 7856, 17088, 16224, 35664, 29792, 49856,
		                                      7856, 17088, 16224, 35664, 29792, 49856 };
	for (int i = 0; i < BFT_SLHDSA_COUNT; i++) {
		const bft_slhdsa_params *p = bft_slhdsa_params_get((bft_slhdsa_id)i);
		assert_non_null(p);
		assert_int_equal(p->id, i);
		assert_int_equal(p->sig_len, sig[i]);
		assert_int_equal(p->pk_len, 2 * p->n);
		assert_int_equal(p->sk_len, 4 * p->n);
		assert_int_equal(p->h, p->d * p->hp);
		assert_true(p->sig_len <= BFT_SLHDSA_MAX_SIG);
		assert_ptr_equal(bft_slhdsa_params_by_name(p->name), p);
		assert_ptr_equal(bft_slhdsa_params_by_name(p->name + 8), p);
	}
	assert_ptr_equal(bft_slhdsa_params_by_name("sha2-128s"), bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128S));
	assert_null(bft_slhdsa_params_by_name("SHA2-128"));
	assert_null(bft_slhdsa_params_by_name(NULL));
	assert_null(bft_slhdsa_params_get(BFT_SLHDSA_COUNT));
}

static void test_acvp_keygen(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof keygen_vectors / sizeof keygen_vectors[0]; i++) {
		const bft_slhdsa_params *p = bft_slhdsa_params_by_name(keygen_vectors[i].set);
		assert_non_null(p);
		uint8_t want[BFT_SLHDSA_MAX_SK], sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK];
		assert_int_equal(unhex(keygen_vectors[i].sk, want), p->sk_len);
		size_t n = p->n;
		assert_int_equal(bft_slhdsa_keygen_internal(p, sk, pk, want, want + n, want + 2 * n), 0);
		if (memcmp(sk, want, p->sk_len) != 0)
			fail_msg("%s vector %zu: PK.root differs", p->name, i);
		assert_memory_equal(pk, want + 2 * n, p->pk_len);
	}
}

/* Deterministic signatures equal noble's (by digest), and verify. */
static void test_deterministic_signatures(void **state)
{
	(void)state;
	uint8_t *sig = malloc(BFT_SLHDSA_MAX_SIG);
	assert_non_null(sig);
	for (size_t i = 0; i < sizeof sig_digests / sizeof sig_digests[0]; i++) {
		const bft_slhdsa_params *p = bft_slhdsa_params_by_name(sig_digests[i].set);
		uint8_t sk[BFT_SLHDSA_MAX_SK];
		unhex(sk_of(p->name), sk);
		const uint8_t *pk = sk + 2 * p->n;
		char hex[65];
		assert_int_equal(bft_slhdsa_sign(p, sig, msg, MSG_LEN, ctx, CTX_LEN, sk, 0), 0);
		sha256_hex(sig, p->sig_len, hex);
		if (strcmp(hex, sig_digests[i].pure) != 0)
			fail_msg("%s pure: digest %s, noble's %s", p->name, hex, sig_digests[i].pure);
		assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, ctx, CTX_LEN, sig, p->sig_len, pk), 0);
		assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, sig, p->sig_len, pk), 0);
		assert_int_not_equal(bft_slhdsa_verify_prehash(p, msg, MSG_LEN, ctx, CTX_LEN, BFT_SLHDSA_PH_SHA512, sig,
		                                               p->sig_len, pk),
		                     0);

		assert_int_equal(
			bft_slhdsa_sign_prehash(p, sig, msg, MSG_LEN, ctx, CTX_LEN, BFT_SLHDSA_PH_SHA512, sk, 0), 0);
		sha256_hex(sig, p->sig_len, hex);
		if (strcmp(hex, sig_digests[i].prehash) != 0)
			fail_msg("%s pre-hash: digest %s, noble's %s", p->name, hex, sig_digests[i].prehash);
		assert_int_equal(bft_slhdsa_verify_prehash(p, msg, MSG_LEN, ctx, CTX_LEN, BFT_SLHDSA_PH_SHA512, sig,
		                                           p->sig_len, pk),
		                 0);
		assert_int_not_equal(bft_slhdsa_verify_prehash(p, msg, MSG_LEN, ctx, CTX_LEN, BFT_SLHDSA_PH_SHA256, sig,
		                                               p->sig_len, pk),
		                     0);
		assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, ctx, CTX_LEN, sig, p->sig_len, pk), 0);
	}
	free(sig);
}

/* Hedged signing: fresh randomness each time, every copy verifies; any
 * changed byte of the signature (R, FORS, each hypertree layer's end), the
 * message or the key is refused. */
static void test_randomized_and_tampering(void **state)
{
	(void)state;
	const bft_slhdsa_params *p = bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128F);
	uint8_t sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK];
	assert_int_equal(bft_slhdsa_keygen(p, sk, pk), 0);
	uint8_t *a = malloc(p->sig_len), *b = malloc(p->sig_len);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(bft_slhdsa_sign(p, a, msg, MSG_LEN, NULL, 0, sk, 1), 0);
	assert_int_equal(bft_slhdsa_sign(p, b, msg, MSG_LEN, NULL, 0, sk, 1), 0);
	assert_memory_not_equal(a, b, p->n); /* R differs */
	assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len, pk), 0);
	assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, b, p->sig_len, pk), 0);

	size_t fors_end = p->n * (1 + (size_t)p->k * (1 + p->a)), layer = p->n * (2 * p->n + 3 + p->hp);
	size_t at[] = { 0, p->n, fors_end - 1, fors_end, fors_end + layer - 1, p->sig_len - layer, p->sig_len - 1 };
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		a[at[i]] ^= 0x10;
		if (bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len, pk) == 0)
			fail_msg("byte %zu changed and still valid", at[i]);
		a[at[i]] ^= 0x10;
	}
	uint8_t m2[MSG_LEN];
	memcpy(m2, msg, MSG_LEN);
	m2[3] ^= 1;
	assert_int_not_equal(bft_slhdsa_verify(p, m2, MSG_LEN, NULL, 0, a, p->sig_len, pk), 0);
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN - 1, NULL, 0, a, p->sig_len, pk), 0);
	pk[p->n] ^= 1; /* PK.root */
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len, pk), 0);
	pk[p->n] ^= 1;
	pk[0] ^= 1; /* PK.seed */
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len, pk), 0);
	pk[0] ^= 1;
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len - 1, pk), 0);
	assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, a, p->sig_len, pk), 0);
	free(a);
	free(b);
}

/* The internal interface (what ACVP calls slh_sign_internal): addrnd NULL
 * means opt_rand = PK.seed, so it equals an explicit PK.seed; the pure
 * interface is the internal one over 0 || |ctx| || ctx || M. */
static void test_internal_interface(void **state)
{
	(void)state;
	const bft_slhdsa_params *p = bft_slhdsa_params_get(BFT_SLHDSA_SHAKE_128F);
	uint8_t sk[BFT_SLHDSA_MAX_SK], pk[BFT_SLHDSA_MAX_PK];
	assert_int_equal(bft_slhdsa_keygen(p, sk, pk), 0);
	uint8_t *a = malloc(p->sig_len), *b = malloc(p->sig_len);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(bft_slhdsa_sign_internal(p, a, msg, MSG_LEN, sk, NULL), 0);
	assert_int_equal(bft_slhdsa_sign_internal(p, b, msg, MSG_LEN, sk, pk), 0);
	assert_memory_equal(a, b, p->sig_len);
	assert_int_equal(bft_slhdsa_verify_internal(p, msg, MSG_LEN, a, p->sig_len, pk), 0);
	uint8_t framed[2 + CTX_LEN + MSG_LEN] = { 0, CTX_LEN };
	memcpy(framed + 2, ctx, CTX_LEN);
	memcpy(framed + 2 + CTX_LEN, msg, MSG_LEN);
	assert_int_equal(bft_slhdsa_sign(p, b, msg, MSG_LEN, ctx, CTX_LEN, sk, 0), 0);
	assert_int_equal(bft_slhdsa_verify_internal(p, framed, sizeof framed, b, p->sig_len, pk), 0);
	assert_int_equal(bft_slhdsa_sign_internal(p, a, framed, sizeof framed, sk, NULL), 0);
	assert_memory_equal(a, b, p->sig_len);
	free(a);
	free(b);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	const bft_slhdsa_params *p = bft_slhdsa_params_get(BFT_SLHDSA_SHA2_128F);
	uint8_t sk[BFT_SLHDSA_MAX_SK] = { 0 }, pk[BFT_SLHDSA_MAX_PK] = { 0 }, big_ctx[256] = { 0 };
	uint8_t *sig = calloc(1, p->sig_len);
	assert_non_null(sig);
	assert_int_equal(bft_slhdsa_sign(p, sig, msg, MSG_LEN, big_ctx, 256, sk, 0), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, big_ctx, 256, sig, p->sig_len, pk), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_sign(p, sig, msg, MSG_LEN, NULL, 3, sk, 0), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_sign(NULL, sig, msg, MSG_LEN, NULL, 0, sk, 0), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_sign(p, sig, NULL, 5, NULL, 0, sk, 0), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_sign_prehash(p, sig, msg, MSG_LEN, NULL, 0, BFT_SLHDSA_PH_COUNT, sk, 0), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_keygen(NULL, sk, pk), BFT_EINVAL);
	assert_int_equal(bft_slhdsa_keygen_internal(p, sk, pk, NULL, sk, sk), BFT_EINVAL);
	/* An all-zero signature is well-formed and wrong. */
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, sig, p->sig_len, pk), 0);
	/* The empty message and a 255-byte context sign and verify. */
	assert_int_equal(bft_slhdsa_keygen(p, sk, pk), 0);
	assert_int_equal(bft_slhdsa_sign(p, sig, NULL, 0, big_ctx, 255, sk, 1), 0);
	assert_int_equal(bft_slhdsa_verify(p, NULL, 0, big_ctx, 255, sig, p->sig_len, pk), 0);
	/* Every pre-hash function FIPS 205 lists works. */
	for (int ph = 0; ph < BFT_SLHDSA_PH_COUNT; ph++) {
		assert_int_equal(bft_slhdsa_sign_prehash(p, sig, msg, MSG_LEN, NULL, 0, (bft_slhdsa_prehash)ph, sk, 0), 0);
		assert_int_equal(bft_slhdsa_verify_prehash(p, msg, MSG_LEN, NULL, 0, (bft_slhdsa_prehash)ph, sig,
		                                           p->sig_len, pk),
		                 0);
	}
	free(sig);
}

/* Behind the signer table: our key signs and verifies, a pinned peer key
 * verifies the peer's signatures only, unknown nodes and public-only keys
 * cannot sign, a signature of another length or another node is refused. */
static void test_signer_table(void **state)
{
	(void)state;
	bft_slhdsa_keyring *kr = NULL, *peer_kr = NULL;
	assert_int_equal(bft_slhdsa_keyring_create(&kr, BFT_SLHDSA_SHA2_128F, 4), 0);
	assert_int_equal(bft_slhdsa_keyring_create(&peer_kr, BFT_SLHDSA_SHA2_128F, 4), 0);
	const bft_slhdsa_params *p = bft_slhdsa_keyring_params(kr);
	uint8_t sk1[BFT_SLHDSA_MAX_SK], pk1[BFT_SLHDSA_MAX_PK], sk2[BFT_SLHDSA_MAX_SK], pk2[BFT_SLHDSA_MAX_PK];
	assert_int_equal(bft_slhdsa_keygen(p, sk1, pk1), 0);
	assert_int_equal(bft_slhdsa_keygen(p, sk2, pk2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_private(kr, 1, sk1), 0);
	assert_int_equal(bft_slhdsa_keyring_add_public(kr, 2, pk2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_private(peer_kr, 2, sk2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_public(peer_kr, 1, pk1), 0);
	bft_signer s, peer;
	bft_signer_slhdsa(&s, kr);
	bft_signer_slhdsa(&peer, peer_kr);
	assert_string_equal(s.name, "SLH-DSA-SHA2-128f");
	assert_int_equal(s.sig_len, 17088);
	uint8_t *sig = malloc(s.sig_len), *sig2 = malloc(s.sig_len);
	assert_non_null(sig);
	assert_non_null(sig2);
	assert_int_equal(s.sign(s.ctx, 1, msg, MSG_LEN, sig), 0);
	assert_int_equal(s.verify(s.ctx, 1, msg, MSG_LEN, sig, s.sig_len), 0);
	assert_int_equal(peer.verify(peer.ctx, 1, msg, MSG_LEN, sig, s.sig_len), 0);
	assert_int_not_equal(peer.verify(peer.ctx, 2, msg, MSG_LEN, sig, s.sig_len), 0);
	assert_int_not_equal(peer.verify(peer.ctx, 3, msg, MSG_LEN, sig, s.sig_len), 0);
	assert_int_not_equal(peer.verify(peer.ctx, 1, msg, MSG_LEN, sig, s.sig_len - 1), 0);
	assert_int_not_equal(s.sign(s.ctx, 2, msg, MSG_LEN, sig2), 0); /* public key only */
	assert_int_not_equal(s.sign(s.ctx, 9, msg, MSG_LEN, sig2), 0);
	assert_int_equal(peer.sign(peer.ctx, 2, msg, MSG_LEN, sig2), 0);
	assert_int_equal(s.verify(s.ctx, 2, msg, MSG_LEN, sig2, s.sig_len), 0);
	/* The signer signs with context "bftime": not a context-free signature. */
	assert_int_not_equal(bft_slhdsa_verify(p, msg, MSG_LEN, NULL, 0, sig, p->sig_len, pk1), 0);
	assert_int_equal(bft_slhdsa_verify(p, msg, MSG_LEN, (const uint8_t *)"bftime", 6, sig, p->sig_len, pk1), 0);
	/* A full keyring refuses one more node but replaces a known one. */
	assert_int_equal(bft_slhdsa_keyring_add_public(kr, 3, pk2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_public(kr, 4, pk2), 0);
	assert_int_equal(bft_slhdsa_keyring_add_public(kr, 5, pk2), BFT_ENOMEM);
	assert_int_equal(bft_slhdsa_keyring_add_public(kr, 2, pk1), 0);
	assert_int_not_equal(s.verify(s.ctx, 2, msg, MSG_LEN, sig2, s.sig_len), 0);
	assert_int_equal(bft_slhdsa_keyring_create(&peer_kr, BFT_SLHDSA_COUNT, 4) == BFT_EINVAL, 1);
	free(sig);
	free(sig2);
	bft_slhdsa_keyring_destroy(kr);
	bft_slhdsa_keyring_destroy(peer.ctx);
	bft_slhdsa_keyring_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_acvp_keygen),
		cmocka_unit_test(test_deterministic_signatures),
		cmocka_unit_test(test_randomized_and_tampering),
		cmocka_unit_test(test_internal_interface),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_signer_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
