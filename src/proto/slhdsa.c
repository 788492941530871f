/* SPDX-License-Identifier: MIT */
/*
 * SLH-DSA (FIPS 205) on OpenSSL EVP hashes: WOTS+ one-time signatures, XMSS
 * trees of them stacked into a hypertree, and FORS few-time signatures at
 * the bottom, all driven by one parameter record. Algorithm numbers in the
 * comments are FIPS 205's. The header states the contract.
 *
 * Two departures from the standard's pseudocode, both producing identical
 * output: a tree's authentication path and root come from one pass over its
 * leaves (a treehash stack) instead of one xmss_node / fors_node recursion per
 * path node plus xmss_pkFromSig, which halves signing; and for the SHA-2 sets
 * the first SHA-256 / SHA-512 block (PK.seed padded with zeros, FIPS 205
 * section 11.2) is hashed once per call and its state copied for each hash.
 */
#include "proto/slhdsa.h"

#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <bftime/common.h>

#define LEN_MAX (2 * BFT_SLHDSA_MAX_N + 3) /* WOTS+ chains for lg_w = 4 */
#define W 16

/* FIPS 205 table 2; sizes follow from the other columns. */
#define SET(nm, id, sh, n, h, d, a, k, m)                                                                        \
	{ nm, id, sh, n, h, d, (h) / (d), a, k, m, 2 * (n), 4 * (n),                                                \
	  (size_t)(n) * (1 + (size_t)(k) * (1 + (a)) + (h) + (size_t)(d) * (2 * (n) + 3)) }
static const bft_slhdsa_params sets[BFT_SLHDSA_COUNT] = {
	SET("SLH-DSA-SHA2-128s", BFT_SLHDSA_SHA2_128S, 0, 16, 63, 7, 12, 14, 30),
	SET("SLH-DSA-SHA2-128f", BFT_SLHDSA_SHA2_128F, 0, 16, 66, 22, 6, 33, 34),
	SET("SLH-DSA-SHA2-192s", BFT_SLHDSA_SHA2_192S, 0, 24, 63, 7, 14, 17, 39),
	SET("SLH-DSA-SHA2-192f", BFT_SLHDSA_SHA2_192F, 0, 24, 66, 22, 8, 33, 42),
	SET("SLH-DSA-SHA2-256s", BFT_SLHDSA_SHA2_256S, 0, 32, 64, 8, 14, 22, 47),
	SET("SLH-DSA-SHA2-256f", BFT_SLHDSA_SHA2_256F, 0, 32, 68, 17, 9, 35, 49),
	SET("SLH-DSA-SHAKE-128s", BFT_SLHDSA_SHAKE_128S, 1, 16, 63, 7, 12, 14, 30),
	SET("SLH-DSA-SHAKE-128f", BFT_SLHDSA_SHAKE_128F, 1, 16, 66, 22, 6, 33, 34),
	SET("SLH-DSA-SHAKE-192s", BFT_SLHDSA_SHAKE_192S, 1, 24, 63, 7, 14, 17, 39),
	SET("SLH-DSA-SHAKE-192f", BFT_SLHDSA_SHAKE_192F, 1, 24, 66, 22, 8, 33, 42),
	SET("SLH-DSA-SHAKE-256s", BFT_SLHDSA_SHAKE_256S, 1, 32, 64, 8, 14, 22, 47),
	SET("SLH-DSA-SHAKE-256f", BFT_SLHDSA_SHAKE_256F, 1, 32, 68, 17, 9, 35, 49),
};
#undef SET

const bft_slhdsa_params *bft_slhdsa_params_get(bft_slhdsa_id id)
{
	return (unsigned)id < BFT_SLHDSA_COUNT ? &sets[id] : NULL;
}

const bft_slhdsa_params *bft_slhdsa_params_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (strncasecmp(name, "SLH-DSA-", 8) == 0)
		name += 8;
	for (int i = 0; i < BFT_SLHDSA_COUNT; i++)
		if (strcasecmp(name, sets[i].name + 8) == 0)
			return &sets[i];
	return NULL;
}

/* ---- Addresses (section 4.2): 32 bytes, big-endian words. ---- */

enum { WOTS_HASH = 0, WOTS_PK = 1, TREE = 2, FORS_TREE = 3, FORS_ROOTS = 4, WOTS_PRF = 5, FORS_PRF = 6 };

static void put32(uint8_t *a, uint32_t v)
{
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

static void adrs_layer(uint8_t *a, uint32_t l) { put32(a, l); }
static void adrs_tree(uint8_t *a, uint64_t t)
{
	put32(a + 4, 0);
	put32(a + 8, (uint32_t)(t >> 32));
	put32(a + 12, (uint32_t)t);
}
static void adrs_type_clear(uint8_t *a, uint32_t y)
{
	put32(a + 16, y);
	memset(a + 20, 0, 12);
}
static void adrs_keypair(uint8_t *a, uint32_t v) { put32(a + 20, v); }
static void adrs_chain(uint8_t *a, uint32_t v) { put32(a + 24, v); } /* = tree height */
static void adrs_hash(uint8_t *a, uint32_t v) { put32(a + 28, v); }  /* = tree index */

/* ---- Hash functions (section 11). ---- */

struct piece {
	const uint8_t *p;
	size_t len;
};

struct hctx {
	const bft_slhdsa_params *p;
	const uint8_t *pk_seed, *sk_seed;
	EVP_MD *md_small, *md_big; /* SHAKE256 twice, or SHA-256 and SHA-256/SHA-512 */
	EVP_MD_CTX *work;
	EVP_MD_CTX *seeded_small, *seeded_big; /* SHA-2: state after the padded PK.seed block */
	int err;
};

static void hctx_free(struct hctx *c)
{
	EVP_MD_CTX_free(c->work);
	EVP_MD_CTX_free(c->seeded_small);
	EVP_MD_CTX_free(c->seeded_big);
	EVP_MD_free(c->md_small);
	EVP_MD_free(c->md_big);
}

static EVP_MD_CTX *seeded(EVP_MD *md, const uint8_t *pk_seed, size_t n, size_t block)
{
	static const uint8_t zeros[128];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, pk_seed, n) == 1 &&
	    EVP_DigestUpdate(c, zeros, block - n) == 1)
		return c;
	EVP_MD_CTX_free(c);
	return NULL;
}

static int hctx_init(struct hctx *c, const bft_slhdsa_params *p, const uint8_t *pk_seed, const uint8_t *sk_seed)
{
	memset(c, 0, sizeof *c);
	c->p = p;
	c->pk_seed = pk_seed;
	c->sk_seed = sk_seed;
	c->work = EVP_MD_CTX_new();
	if (p->shake) {
		c->md_small = EVP_MD_fetch(NULL, "SHAKE-256", NULL);
		c->md_big = EVP_MD_fetch(NULL, "SHAKE-256", NULL);
	} else {
		/* Category 1 uses SHA-256 throughout; 3 and 5 use SHA-512 for H,
		 * T_l, H_msg and PRF_msg (section 11.2.2). */
		c->md_small = EVP_MD_fetch(NULL, "SHA2-256", NULL);
		c->md_big = EVP_MD_fetch(NULL, p->n == 16 ? "SHA2-256" : "SHA2-512", NULL);
		if (c->md_small && c->md_big) {
			c->seeded_small = seeded(c->md_small, pk_seed, p->n, 64);
			c->seeded_big = seeded(c->md_big, pk_seed, p->n, p->n == 16 ? 64 : 128);
		}
		if (!c->seeded_small || !c->seeded_big) {
			hctx_free(c);
			return BFT_ENOMEM;
		}
	}
	if (!c->work || !c->md_small || !c->md_big) {
		hctx_free(c);
		return BFT_ENOMEM;
	}
	return 0;
}

/* F, H, T_l and PRF: one tweakable hash of PK.seed, ADRS and in (PRF's in
 * is SK.seed). big selects H / T_l, which the SHA-2 sets of categories 3
 * and 5 compute with SHA-512. The output is truncated to n bytes. */
static void thash(struct hctx *c, const uint8_t adrs[32], const uint8_t *in, size_t in_len, uint8_t *out, int big)
{
	size_t n = c->p->n;
	int ok;
	if (c->p->shake) {
		ok = EVP_DigestInit_ex2(c->work, c->md_small, NULL) == 1 &&
		     EVP_DigestUpdate(c->work, c->pk_seed, n) == 1 && EVP_DigestUpdate(c->work, adrs, 32) == 1 &&
		     EVP_DigestUpdate(c->work, in, in_len) == 1 && EVP_DigestFinalXOF(c->work, out, n) == 1;
	} else {
		/* ADRSc (section 11.2): layer byte, 8 tree-address bytes, type
		 * byte, the last 12 bytes. */
		uint8_t ac[22], h[64];
		ac[0] = adrs[3];
		memcpy(ac + 1, adrs + 8, 8);
		ac[9] = adrs[19];
		memcpy(ac + 10, adrs + 20, 12);
		ok = EVP_MD_CTX_copy_ex(c->work, big ? c->seeded_big : c->seeded_small) == 1 &&
		     EVP_DigestUpdate(c->work, ac, sizeof ac) == 1 && EVP_DigestUpdate(c->work, in, in_len) == 1 &&
		     EVP_DigestFinal_ex(c->work, h, NULL) == 1;
		memcpy(out, h, n);
		OPENSSL_cleanse(h, sizeof h); /* a PRF output is a WOTS+ / FORS secret */
	}
	if (!ok)
		c->err = 1;
}

static void prf(struct hctx *c, const uint8_t adrs[32], uint8_t *out)
{
	thash(c, adrs, c->sk_seed, c->p->n, out, 0);
}

/* PRF_msg(SK.prf, opt_rand, M): SHAKE256 or HMAC-SHA-256/512. */
static int prf_msg(struct hctx *c, const uint8_t *sk_prf, const uint8_t *opt_rand, const struct piece *m, int nm,
                   uint8_t *out)
{
	size_t n = c->p->n;
	int ok;
	if (c->p->shake) {
		ok = EVP_DigestInit_ex2(c->work, c->md_small, NULL) == 1 && EVP_DigestUpdate(c->work, sk_prf, n) == 1 &&
		     EVP_DigestUpdate(c->work, opt_rand, n) == 1;
		for (int i = 0; ok && i < nm; i++)
			ok = EVP_DigestUpdate(c->work, m[i].p, m[i].len) == 1;
		return ok && EVP_DigestFinalXOF(c->work, out, n) == 1 ? 0 : BFT_EINVAL;
	}
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mc = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char digest[16];
	memcpy(digest, n == 16 ? "SHA2-256" : "SHA2-512", 9);
	OSSL_PARAM params[] = { OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END };
	uint8_t h[64];
	size_t hl = 0;
	ok = mc && EVP_MAC_init(mc, sk_prf, n, params) == 1 && EVP_MAC_update(mc, opt_rand, n) == 1;
	for (int i = 0; ok && i < nm; i++)
		ok = EVP_MAC_update(mc, m[i].p, m[i].len) == 1;
	ok = ok && EVP_MAC_final(mc, h, &hl, sizeof h) == 1 && hl >= n;
	if (ok)
		memcpy(out, h, n);
	OPENSSL_cleanse(h, sizeof h);
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	return ok ? 0 : BFT_EINVAL;
}

/* H_msg(R, PK.seed, PK.root, M): m bytes. SHA-2: MGF1 over
 * R || PK.seed || SHA-x(R || PK.seed || PK.root || M). */
static int h_msg(struct hctx *c, const uint8_t *r, const uint8_t *pk_root, const struct piece *m, int nm,
                 uint8_t *out)
{
	size_t n = c->p->n, len = c->p->m;
	EVP_MD *md = c->md_big;
	int ok = EVP_DigestInit_ex2(c->work, md, NULL) == 1 && EVP_DigestUpdate(c->work, r, n) == 1 &&
	         EVP_DigestUpdate(c->work, c->pk_seed, n) == 1 && EVP_DigestUpdate(c->work, pk_root, n) == 1;
	for (int i = 0; ok && i < nm; i++)
		ok = EVP_DigestUpdate(c->work, m[i].p, m[i].len) == 1;
	if (c->p->shake)
		return ok && EVP_DigestFinalXOF(c->work, out, len) == 1 ? 0 : BFT_EINVAL;
	uint8_t seed[2 * BFT_SLHDSA_MAX_N + 64 + 4], blk[64];
	unsigned dl = 0;
	ok = ok && EVP_DigestFinal_ex(c->work, seed + 2 * n, &dl) == 1;
	memcpy(seed, r, n);
	memcpy(seed + n, c->pk_seed, n);
	size_t sl = 2 * n + dl;
	for (uint32_t ctr = 0, done = 0; ok && done < len; ctr++) {
		put32(seed + sl, ctr);
		ok = EVP_Digest(seed, sl + 4, blk, &dl, md, NULL) == 1;
		size_t take = len - done < dl ? len - done : dl;
		memcpy(out + done, blk, take);
		done += (uint32_t)take;
	}
	return ok ? 0 : BFT_EINVAL;
}

/* ---- WOTS+ (section 5). ---- */

static unsigned wots_len(const bft_slhdsa_params *p) { return 2 * p->n + 3; }

/* base_2b(M, 4, 2n) followed by the checksum's three digits (algorithm 7's
 * csum << 4 as two bytes, read as base-16 digits). */
static void wots_digits(const bft_slhdsa_params *p, const uint8_t *msg, unsigned *d)
{
	unsigned len1 = 2 * p->n, csum = 0;
	for (unsigned i = 0; i < p->n; i++) {
		d[2 * i] = msg[i] >> 4;
		d[2 * i + 1] = msg[i] & 15;
	}
	for (unsigned i = 0; i < len1; i++)
		csum += W - 1 - d[i];
	csum <<= 4;
	d[len1] = (csum >> 12) & 15;
	d[len1 + 1] = (csum >> 8) & 15;
	d[len1 + 2] = (csum >> 4) & 15;
}

/* Algorithm 5: s steps of F from position i; x is updated in place. */
static void chain(struct hctx *c, uint8_t *x, unsigned i, unsigned s, uint8_t adrs[32])
{
	for (unsigned j = i; j < i + s; j++) {
		adrs_hash(adrs, j);
		thash(c, adrs, x, c->p->n, x, 0);
	}
}

/* The secret value of chain i of the WOTS+ key at adrs (type WOTS_HASH). */
static void wots_sk(struct hctx *c, const uint8_t adrs[32], unsigned i, uint8_t *out)
{
	uint8_t sk_adrs[32];
	memcpy(sk_adrs, adrs, 32);
	adrs_type_clear(sk_adrs, WOTS_PRF);
	memcpy(sk_adrs + 20, adrs + 20, 4); /* key pair address */
	adrs_chain(sk_adrs, i);
	prf(c, sk_adrs, out);
}

static void wots_compress(struct hctx *c, const uint8_t adrs[32], const uint8_t *tmp, uint8_t *pk)
{
	uint8_t pk_adrs[32];
	memcpy(pk_adrs, adrs, 32);
	adrs_type_clear(pk_adrs, WOTS_PK);
	memcpy(pk_adrs + 20, adrs + 20, 4);
	thash(c, pk_adrs, tmp, (size_t)wots_len(c->p) * c->p->n, pk, 1);
}

/* Algorithm 6: the WOTS+ public key at adrs (type WOTS_HASH, key pair set). */
static void wots_pkgen(struct hctx *c, uint8_t adrs[32], uint8_t *pk)
{
	size_t n = c->p->n;
	uint8_t tmp[LEN_MAX * BFT_SLHDSA_MAX_N];
	for (unsigned i = 0; i < wots_len(c->p); i++) {
		wots_sk(c, adrs, i, tmp + i * n);
		adrs_chain(adrs, i);
		chain(c, tmp + i * n, 0, W - 1, adrs);
	}
	wots_compress(c, adrs, tmp, pk);
}

/* Algorithm 7: sign the n-byte msg. */
static void wots_sign(struct hctx *c, const uint8_t *msg, uint8_t adrs[32], uint8_t *sig)
{
	size_t n = c->p->n;
	unsigned d[LEN_MAX];
	wots_digits(c->p, msg, d);
	for (unsigned i = 0; i < wots_len(c->p); i++) {
		wots_sk(c, adrs, i, sig + i * n);
		adrs_chain(adrs, i);
		chain(c, sig + i * n, 0, d[i], adrs);
	}
}

/* Algorithm 8. */
static void wots_pk_from_sig(struct hctx *c, const uint8_t *sig, const uint8_t *msg, uint8_t adrs[32], uint8_t *pk)
{
	size_t n = c->p->n;
	uint8_t tmp[LEN_MAX * BFT_SLHDSA_MAX_N];
	unsigned d[LEN_MAX];
	wots_digits(c->p, msg, d);
	memcpy(tmp, sig, (size_t)wots_len(c->p) * n);
	for (unsigned i = 0; i < wots_len(c->p); i++) {
		adrs_chain(adrs, i);
		chain(c, tmp + i * n, d[i], W - 1 - d[i], adrs);
	}
	wots_compress(c, adrs, tmp, pk);
}

/* ---- Trees: XMSS (section 6) and FORS (section 8) share this. ---- */

struct tree {
	uint8_t leaf_adrs[32]; /* XMSS: layer and tree set; FORS: type FORS_TREE and key pair set */
	uint8_t node_adrs[32]; /* the address of inner nodes, height and index still to set */
	int fors;
};

static void leaf(struct hctx *c, struct tree *t, uint32_t idx, uint8_t *out)
{
	uint8_t a[32];
	memcpy(a, t->leaf_adrs, 32);
	if (t->fors) {
		/* Algorithm 14's fors_skGen, then fors_node at height 0. */
		uint8_t sk[BFT_SLHDSA_MAX_N];
		uint8_t sk_adrs[32];
		memcpy(sk_adrs, a, 32);
		adrs_type_clear(sk_adrs, FORS_PRF);
		memcpy(sk_adrs + 20, a + 20, 4);
		adrs_hash(sk_adrs, idx);
		prf(c, sk_adrs, sk);
		adrs_chain(a, 0);
		adrs_hash(a, idx);
		thash(c, a, sk, c->p->n, out, 0);
		OPENSSL_cleanse(sk, sizeof sk);
	} else {
		adrs_type_clear(a, WOTS_HASH);
		adrs_keypair(a, idx);
		wots_pkgen(c, a, out);
	}
}

/* The root of the height-z tree whose leaves are first .. first + 2^z - 1
 * (global indices), and the authentication path of local leaf auth_idx
 * into auth (z nodes; NULL: none wanted). One pass, z + 1 nodes of stack:
 * equal to xmss_node / fors_node (algorithms 9 and 15) at every node. */
static void treehash(struct hctx *c, struct tree *t, unsigned z, uint32_t first, uint32_t auth_idx, uint8_t *auth,
                     uint8_t *root)
{
	size_t n = c->p->n;
	uint8_t stack[(15 + 1) * BFT_SLHDSA_MAX_N];
	unsigned height[15 + 1], sp = 0;
	for (uint32_t l = 0; l < (UINT32_C(1) << z); l++) {
		leaf(c, t, first + l, stack + sp * n);
		height[sp] = 0;
		if (auth && z > 0 && l == (auth_idx ^ 1))
			memcpy(auth, stack + sp * n, n);
		sp++;
		while (sp >= 2 && height[sp - 1] == height[sp - 2]) {
			unsigned hgt = height[sp - 1] + 1;
			adrs_chain(t->node_adrs, hgt);
			adrs_hash(t->node_adrs, (first + l) >> hgt);
			thash(c, t->node_adrs, stack + (sp - 2) * n, 2 * n, stack + (sp - 2) * n, 1);
			height[sp - 2] = hgt;
			sp--;
			if (auth && hgt < z && (l >> hgt) == ((auth_idx >> hgt) ^ 1))
				memcpy(auth + hgt * n, stack + (sp - 1) * n, n);
		}
	}
	memcpy(root, stack, n);
}

/* Climb from node (at height 0, global index idx) along auth, heights
 * 1..z: algorithms 11 and 17's loops. */
static void climb(struct hctx *c, uint8_t adrs[32], uint32_t idx, unsigned z, const uint8_t *auth, uint8_t *node)
{
	size_t n = c->p->n;
	uint8_t buf[2 * BFT_SLHDSA_MAX_N];
	for (unsigned j = 0; j < z; j++) {
		adrs_chain(adrs, j + 1);
		adrs_hash(adrs, idx >> (j + 1));
		if (((idx >> j) & 1) == 0) {
			memcpy(buf, node, n);
			memcpy(buf + n, auth + j * n, n);
		} else {
			memcpy(buf, auth + j * n, n);
			memcpy(buf + n, node, n);
		}
		thash(c, adrs, buf, 2 * n, node, 1);
	}
}

/* base_2b (algorithm 4) for the FORS indices. */
static void base_2b(const uint8_t *x, unsigned b, unsigned out_len, uint32_t *out)
{
	size_t in = 0;
	unsigned bits = 0;
	uint32_t total = 0;
	for (unsigned i = 0; i < out_len; i++) {
		while (bits < b) {
			total = (total << 8) + x[in++];
			bits += 8;
		}
		bits -= b;
		out[i] = (total >> bits) & ((UINT32_C(1) << b) - 1);
	}
}

static void fors_roots_pk(struct hctx *c, const uint8_t fors_adrs[32], const uint8_t *roots, uint8_t *pk)
{
	uint8_t a[32];
	memcpy(a, fors_adrs, 32);
	adrs_type_clear(a, FORS_ROOTS);
	memcpy(a + 20, fors_adrs + 20, 4);
	thash(c, a, roots, (size_t)c->p->k * c->p->n, pk, 1);
}

/* Algorithm 16, and the FORS public key from the same pass. */
static void fors_sign(struct hctx *c, const uint8_t *md, const uint8_t adrs[32], uint8_t *sig, uint8_t *pk)
{
	const bft_slhdsa_params *p = c->p;
	size_t n = p->n;
	uint32_t idx[35];
	uint8_t roots[35 * BFT_SLHDSA_MAX_N];
	struct tree t = { .fors = 1 };
	memcpy(t.leaf_adrs, adrs, 32);
	memcpy(t.node_adrs, adrs, 32);
	base_2b(md, p->a, p->k, idx);
	for (unsigned i = 0; i < p->k; i++) {
		uint32_t first = i << p->a;
		uint8_t *s = sig + (size_t)i * (1 + p->a) * n;
		uint8_t sk_adrs[32];
		memcpy(sk_adrs, adrs, 32);
		adrs_type_clear(sk_adrs, FORS_PRF);
		memcpy(sk_adrs + 20, adrs + 20, 4);
		adrs_hash(sk_adrs, first + idx[i]);
		prf(c, sk_adrs, s);
		treehash(c, &t, p->a, first, idx[i], s + n, roots + i * n);
	}
	fors_roots_pk(c, adrs, roots, pk);
}

/* Algorithm 17. */
static void fors_pk_from_sig(struct hctx *c, const uint8_t *sig, const uint8_t *md, const uint8_t adrs[32],
                             uint8_t *pk)
{
	const bft_slhdsa_params *p = c->p;
	size_t n = p->n;
	uint32_t idx[35];
	uint8_t roots[35 * BFT_SLHDSA_MAX_N], a[32];
	memcpy(a, adrs, 32);
	base_2b(md, p->a, p->k, idx);
	for (unsigned i = 0; i < p->k; i++) {
		const uint8_t *s = sig + (size_t)i * (1 + p->a) * n;
		uint32_t g = (i << p->a) + idx[i];
		adrs_chain(a, 0);
		adrs_hash(a, g);
		thash(c, a, s, n, roots + i * n, 0);
		climb(c, a, g, p->a, s + n, roots + i * n);
	}
	fors_roots_pk(c, adrs, roots, pk);
}

/* ---- Hypertree (section 7). ---- */

static void xmss_tree(struct tree *t, uint32_t layer, uint64_t tree)
{
	memset(t, 0, sizeof *t);
	adrs_layer(t->leaf_adrs, layer);
	adrs_tree(t->leaf_adrs, tree);
	memcpy(t->node_adrs, t->leaf_adrs, 32);
	adrs_type_clear(t->node_adrs, TREE);
}

/* Algorithm 12 with algorithm 10 inside: msg is PK_FORS. */
static void ht_sign(struct hctx *c, const uint8_t *msg, uint64_t idx_tree, uint32_t idx_leaf, uint8_t *sig)
{
	const bft_slhdsa_params *p = c->p;
	size_t n = p->n, wl = (size_t)wots_len(p) * n;
	uint8_t root[BFT_SLHDSA_MAX_N];
	memcpy(root, msg, n);
	for (unsigned j = 0; j < p->d; j++) {
		struct tree t;
		xmss_tree(&t, j, idx_tree);
		uint8_t *s = sig + (size_t)j * (wl + p->hp * n);
		uint8_t a[32];
		memcpy(a, t.leaf_adrs, 32);
		adrs_type_clear(a, WOTS_HASH);
		adrs_keypair(a, idx_leaf);
		wots_sign(c, root, a, s);
		/* The tree's root signs the next layer up (at the top it is PK.root). */
		treehash(c, &t, p->hp, 0, idx_leaf, s + wl, root);
		idx_leaf = (uint32_t)(idx_tree & ((UINT64_C(1) << p->hp) - 1));
		idx_tree >>= p->hp;
	}
}

/* Algorithm 13: 0 if the hypertree signature leads to pk_root. */
static int ht_verify(struct hctx *c, const uint8_t *msg, const uint8_t *sig, uint64_t idx_tree, uint32_t idx_leaf,
                     const uint8_t *pk_root)
{
	const bft_slhdsa_params *p = c->p;
	size_t n = p->n, wl = (size_t)wots_len(p) * n;
	uint8_t node[BFT_SLHDSA_MAX_N];
	memcpy(node, msg, n);
	for (unsigned j = 0; j < p->d; j++) {
		struct tree t;
		xmss_tree(&t, j, idx_tree);
		const uint8_t *s = sig + (size_t)j * (wl + p->hp * n);
		uint8_t a[32];
		memcpy(a, t.leaf_adrs, 32);
		adrs_type_clear(a, WOTS_HASH);
		adrs_keypair(a, idx_leaf);
		wots_pk_from_sig(c, s, node, a, node);
		climb(c, t.node_adrs, idx_leaf, p->hp, s + wl, node);
		idx_leaf = (uint32_t)(idx_tree & ((UINT64_C(1) << p->hp) - 1));
		idx_tree >>= p->hp;
	}
	return CRYPTO_memcmp(node, pk_root, n) == 0 ? 0 : BFT_EINVAL;
}

/* ---- SLH-DSA (section 9). ---- */

int bft_slhdsa_keygen_internal(const bft_slhdsa_params *p, uint8_t *sk, uint8_t *pk, const uint8_t *sk_seed,
                               const uint8_t *sk_prf, const uint8_t *pk_seed)
{
	if (!p || !sk || !pk || !sk_seed || !sk_prf || !pk_seed)
		return BFT_EINVAL;
	size_t n = p->n;
	uint8_t s[4 * BFT_SLHDSA_MAX_N];
	memcpy(s, sk_seed, n);
	memcpy(s + n, sk_prf, n);
	memcpy(s + 2 * n, pk_seed, n);
	struct hctx c;
	int rc = hctx_init(&c, p, s + 2 * n, s);
	if (rc == 0) {
		struct tree t;
		xmss_tree(&t, p->d - 1, 0);
		treehash(&c, &t, p->hp, 0, 0, NULL, s + 3 * n);
		rc = c.err ? BFT_EINVAL : 0;
		hctx_free(&c);
	}
	if (rc == 0) {
		memcpy(sk, s, 4 * n);
		memcpy(pk, s + 2 * n, 2 * n);
	}
	OPENSSL_cleanse(s, sizeof s);
	return rc;
}

int bft_slhdsa_keygen(const bft_slhdsa_params *p, uint8_t *sk, uint8_t *pk)
{
	if (!p)
		return BFT_EINVAL;
	uint8_t seeds[3 * BFT_SLHDSA_MAX_N];
	int rc = RAND_priv_bytes(seeds, (int)(3 * p->n)) == 1
	                 ? bft_slhdsa_keygen_internal(p, sk, pk, seeds, seeds + p->n, seeds + 2 * p->n)
	                 : BFT_EINVAL;
	OPENSSL_cleanse(seeds, sizeof seeds);
	return rc;
}

/* The FORS message digest and the hypertree indices out of H_msg's output
 * (algorithm 19 lines 7 to 12). */
static void split_digest(const bft_slhdsa_params *p, const uint8_t *digest, const uint8_t **md, uint64_t *idx_tree,
                         uint32_t *idx_leaf)
{
	size_t md_len = (p->k * p->a + 7) / 8, tree_len = (p->h - p->hp + 7) / 8, leaf_len = (p->hp + 7) / 8;
	uint64_t t = 0;
	uint32_t l = 0;
	for (size_t i = 0; i < tree_len; i++)
		t = (t << 8) | digest[md_len + i];
	for (size_t i = 0; i < leaf_len; i++)
		l = (l << 8) | digest[md_len + tree_len + i];
	unsigned tree_bits = p->h - p->hp;
	*md = digest;
	*idx_tree = tree_bits >= 64 ? t : t & ((UINT64_C(1) << tree_bits) - 1);
	*idx_leaf = l & ((UINT32_C(1) << p->hp) - 1);
}

static int sign_pieces(const bft_slhdsa_params *p, uint8_t *sig, const struct piece *m, int nm, const uint8_t *sk,
                       const uint8_t *addrnd)
{
	if (!p || !sig || !sk)
		return BFT_EINVAL;
	size_t n = p->n;
	const uint8_t *sk_prf = sk + n, *pk_seed = sk + 2 * n, *pk_root = sk + 3 * n;
	struct hctx c;
	int rc = hctx_init(&c, p, pk_seed, sk);
	if (rc)
		return rc;
	uint8_t digest[64], pk_fors[BFT_SLHDSA_MAX_N];
	rc = prf_msg(&c, sk_prf, addrnd ? addrnd : pk_seed, m, nm, sig);
	if (rc == 0)
		rc = h_msg(&c, sig, pk_root, m, nm, digest);
	if (rc == 0) {
		const uint8_t *md;
		uint64_t idx_tree;
		uint32_t idx_leaf;
		split_digest(p, digest, &md, &idx_tree, &idx_leaf);
		uint8_t adrs[32] = { 0 };
		adrs_tree(adrs, idx_tree);
		adrs_type_clear(adrs, FORS_TREE);
		adrs_keypair(adrs, idx_leaf);
		uint8_t *sig_fors = sig + n;
		fors_sign(&c, md, adrs, sig_fors, pk_fors);
		ht_sign(&c, pk_fors, idx_tree, idx_leaf, sig_fors + (size_t)p->k * (1 + p->a) * n);
		rc = c.err ? BFT_EINVAL : 0;
	}
	hctx_free(&c);
	if (rc)
		OPENSSL_cleanse(sig, p->sig_len); /* never half a signature */
	return rc;
}

static int verify_pieces(const bft_slhdsa_params *p, const struct piece *m, int nm, const uint8_t *sig,
                         size_t sig_len, const uint8_t *pk)
{
	if (!p || !sig || !pk || sig_len != p->sig_len)
		return BFT_EINVAL;
	size_t n = p->n;
	struct hctx c;
	int rc = hctx_init(&c, p, pk, NULL);
	if (rc)
		return rc;
	uint8_t digest[64], pk_fors[BFT_SLHDSA_MAX_N];
	rc = h_msg(&c, sig, pk + n, m, nm, digest);
	if (rc == 0) {
		const uint8_t *md;
		uint64_t idx_tree;
		uint32_t idx_leaf;
		split_digest(p, digest, &md, &idx_tree, &idx_leaf);
		uint8_t adrs[32] = { 0 };
		adrs_tree(adrs, idx_tree);
		adrs_type_clear(adrs, FORS_TREE);
		adrs_keypair(adrs, idx_leaf);
		fors_pk_from_sig(&c, sig + n, md, adrs, pk_fors);
		rc = ht_verify(&c, pk_fors, sig + n + (size_t)p->k * (1 + p->a) * n, idx_tree, idx_leaf, pk + n);
		if (c.err)
			rc = BFT_EINVAL;
	}
	hctx_free(&c);
	return rc;
}

int bft_slhdsa_sign_internal(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                             const uint8_t *sk, const uint8_t *addrnd)
{
	if (!msg && msg_len)
		return BFT_EINVAL;
	struct piece m = { msg, msg_len };
	return sign_pieces(p, sig, &m, 1, sk, addrnd);
}

int bft_slhdsa_verify_internal(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
                               size_t sig_len, const uint8_t *pk)
{
	if (!msg && msg_len)
		return BFT_EINVAL;
	struct piece m = { msg, msg_len };
	return verify_pieces(p, &m, 1, sig, sig_len, pk);
}

/* The addrnd of the signing wrappers: hedged, fresh randomness from
 * OpenSSL's private DRBG in rnd (the caller cleanses it); else NULL,
 * deterministic (opt_rand = PK.seed). */
static int draw_addrnd(const bft_slhdsa_params *p, int randomized, uint8_t rnd[BFT_SLHDSA_MAX_N],
                       const uint8_t **addrnd)
{
	*addrnd = NULL;
	if (!randomized)
		return 0;
	if (!p || RAND_priv_bytes(rnd, (int)p->n) != 1)
		return BFT_EINVAL;
	*addrnd = rnd;
	return 0;
}

int bft_slhdsa_sign(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                    const uint8_t *ctx, size_t ctx_len, const uint8_t *sk, int randomized)
{
	uint8_t rnd[BFT_SLHDSA_MAX_N];
	const uint8_t *addrnd;
	if (draw_addrnd(p, randomized, rnd, &addrnd))
		return BFT_EINVAL;
	int rc = bft_slhdsa_sign_addrnd(p, sig, msg, msg_len, ctx, ctx_len, sk, addrnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	return rc;
}

int bft_slhdsa_sign_addrnd(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                           const uint8_t *ctx, size_t ctx_len, const uint8_t *sk, const uint8_t *addrnd)
{
	if (!p || ctx_len > BFT_SLHDSA_MAX_CTX || (!ctx && ctx_len) || (!msg && msg_len))
		return BFT_EINVAL;
	uint8_t hdr[2] = { 0, (uint8_t)ctx_len };
	struct piece m[3] = { { hdr, 2 }, { ctx, ctx_len }, { msg, msg_len } };
	return sign_pieces(p, sig, m, 3, sk, addrnd);
}

int bft_slhdsa_verify(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *ctx,
                      size_t ctx_len, const uint8_t *sig, size_t sig_len, const uint8_t *pk)
{
	if (ctx_len > BFT_SLHDSA_MAX_CTX || (!ctx && ctx_len) || (!msg && msg_len))
		return BFT_EINVAL;
	uint8_t hdr[2] = { 0, (uint8_t)ctx_len };
	struct piece m[3] = { { hdr, 2 }, { ctx, ctx_len }, { msg, msg_len } };
	return verify_pieces(p, m, 3, sig, sig_len, pk);
}

/* Section 10.2.2: the pre-hash functions, OpenSSL's names, their output
 * lengths and the last byte of their OIDs under 2.16.840.1.101.3.4.2. */
static const struct {
	const char *name;
	unsigned out_len, oid_last;
} prehashes[BFT_SLHDSA_PH_COUNT] = {
	[BFT_SLHDSA_PH_SHA224] = { "SHA2-224", 28, 4 },      [BFT_SLHDSA_PH_SHA256] = { "SHA2-256", 32, 1 },
	[BFT_SLHDSA_PH_SHA384] = { "SHA2-384", 48, 2 },      [BFT_SLHDSA_PH_SHA512] = { "SHA2-512", 64, 3 },
	[BFT_SLHDSA_PH_SHA512_224] = { "SHA2-512/224", 28, 5 }, [BFT_SLHDSA_PH_SHA512_256] = { "SHA2-512/256", 32, 6 },
	[BFT_SLHDSA_PH_SHA3_224] = { "SHA3-224", 28, 7 },    [BFT_SLHDSA_PH_SHA3_256] = { "SHA3-256", 32, 8 },
	[BFT_SLHDSA_PH_SHA3_384] = { "SHA3-384", 48, 9 },    [BFT_SLHDSA_PH_SHA3_512] = { "SHA3-512", 64, 10 },
	[BFT_SLHDSA_PH_SHAKE128] = { "SHAKE-128", 32, 11 },  [BFT_SLHDSA_PH_SHAKE256] = { "SHAKE-256", 64, 12 },
};

/* 0x01 || |ctx| || ctx || OID || PH(M): hdr gets the first two bytes, oid_ph
 * the OID (11 bytes) and the digest. */
static int prehash(bft_slhdsa_prehash ph, const uint8_t *msg, size_t msg_len, size_t ctx_len, uint8_t hdr[2],
                   uint8_t oid_ph[11 + 64], size_t *oid_ph_len)
{
	if ((unsigned)ph >= BFT_SLHDSA_PH_COUNT || ctx_len > BFT_SLHDSA_MAX_CTX || (!msg && msg_len))
		return BFT_EINVAL;
	static const uint8_t oid[10] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02 };
	memcpy(oid_ph, oid, sizeof oid);
	oid_ph[10] = (uint8_t)prehashes[ph].oid_last;
	EVP_MD *md = EVP_MD_fetch(NULL, prehashes[ph].name, NULL);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = prehashes[ph].out_len;
	int xof = ph == BFT_SLHDSA_PH_SHAKE128 || ph == BFT_SLHDSA_PH_SHAKE256;
	int ok = md && c && EVP_DigestInit_ex2(c, md, NULL) == 1 && EVP_DigestUpdate(c, msg, msg_len) == 1 &&
	         (xof ? EVP_DigestFinalXOF(c, oid_ph + 11, len) == 1 : EVP_DigestFinal_ex(c, oid_ph + 11, &len) == 1);
	EVP_MD_CTX_free(c);
	EVP_MD_free(md);
	hdr[0] = 1;
	hdr[1] = (uint8_t)ctx_len;
	*oid_ph_len = 11 + (size_t)len;
	return ok ? 0 : BFT_EINVAL;
}

int bft_slhdsa_sign_prehash(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                            const uint8_t *ctx, size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sk,
                            int randomized)
{
	uint8_t rnd[BFT_SLHDSA_MAX_N];
	const uint8_t *addrnd;
	if (draw_addrnd(p, randomized, rnd, &addrnd))
		return BFT_EINVAL;
	int rc = bft_slhdsa_sign_prehash_addrnd(p, sig, msg, msg_len, ctx, ctx_len, ph, sk, addrnd);
	OPENSSL_cleanse(rnd, sizeof rnd);
	return rc;
}

int bft_slhdsa_sign_prehash_addrnd(const bft_slhdsa_params *p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                                   const uint8_t *ctx, size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sk,
                                   const uint8_t *addrnd)
{
	uint8_t hdr[2], oid_ph[11 + 64];
	size_t ol;
	if (!p || (!ctx && ctx_len) || prehash(ph, msg, msg_len, ctx_len, hdr, oid_ph, &ol))
		return BFT_EINVAL;
	struct piece m[3] = { { hdr, 2 }, { ctx, ctx_len }, { oid_ph, ol } };
	return sign_pieces(p, sig, m, 3, sk, addrnd);
}

int bft_slhdsa_prehash_by_name(const char *name, bft_slhdsa_prehash *out)
{
	for (int i = 0; name && i < BFT_SLHDSA_PH_COUNT; i++)
		if (!strcmp(name, prehashes[i].name)) {
			*out = (bft_slhdsa_prehash)i;
			return 0;
		}
	return BFT_EINVAL;
}

int bft_slhdsa_verify_prehash(const bft_slhdsa_params *p, const uint8_t *msg, size_t msg_len, const uint8_t *ctx,
                              size_t ctx_len, bft_slhdsa_prehash ph, const uint8_t *sig, size_t sig_len,
                              const uint8_t *pk)
{
	uint8_t hdr[2], oid_ph[11 + 64];
	size_t ol;
	if ((!ctx && ctx_len) || prehash(ph, msg, msg_len, ctx_len, hdr, oid_ph, &ol))
		return BFT_EINVAL;
	struct piece m[3] = { { hdr, 2 }, { ctx, ctx_len }, { oid_ph, ol } };
	return verify_pieces(p, m, 3, sig, sig_len, pk);
}
