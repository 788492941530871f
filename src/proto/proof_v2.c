/* SPDX-License-Identifier: MIT */
/*
 * Time proof version 2 (proof_v2.h): the authenticator's codec, the Merkle
 * tree, batch signing and verification. The tree is built level by level,
 * pairing neighbours and carrying an odd last node up unchanged: that is
 * exactly RFC 9162's MTH (split at the largest power of two below n), and
 * it gives every leaf's path in one O(n) pass instead of one recursion per
 * leaf. The authenticator parser touches hostile bytes (gossip, the API)
 * through bft_proof_decode, which has a libFuzzer target
 * (tests/fuzz/fuzz_proof_v2.c).
 */
#include "proto/proof.h"
#include "proto/bytes.h"
#include "proto/p256.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static const char domain[] = "bftime-proof-batch-v2"; /* 21 bytes, no NUL signed */
static const uint8_t slh_context[] = "bftime";          /* sign_slhdsa.c's */

const char *bft_proof_scheme_name(uint8_t scheme)
{
	switch (scheme) {
	case BFT_PSCHEME_ED25519: return "ed25519";
	case BFT_PSCHEME_SLHDSA: return "slhdsa";
	case BFT_PSCHEME_HYBRID: return "hybrid";
	case BFT_PSCHEME_P256: return "p256";
	default: return NULL;
	}
}

/* has_ed: the scheme has the 64-byte classical signature (Ed25519, or
 * ECDSA P-256's r || s under the key the authenticator carries). */
static bool has_ed(uint8_t scheme)
{
	return scheme == BFT_PSCHEME_ED25519 || scheme == BFT_PSCHEME_HYBRID || scheme == BFT_PSCHEME_P256;
}
static bool has_p256(uint8_t scheme) { return scheme == BFT_PSCHEME_P256; }
static bool has_slh(uint8_t scheme) { return scheme == BFT_PSCHEME_SLHDSA || scheme == BFT_PSCHEME_HYBRID; }

unsigned bft_merkle_path_len(uint32_t index, uint32_t size)
{
	/* One node per level at which the leaf's ancestor has a sibling: at
	 * each level the last node of an odd count has none and moves up. */
	unsigned n = 0;
	while (size > 1) {
		if (!(index == size - 1 && size % 2 == 1))
			n++;
		index /= 2;
		size = (size + 1) / 2;
	}
	return n;
}

size_t bft_proof_auth_size(uint8_t scheme, uint8_t set, uint16_t batch_size, uint16_t index)
{
	size_t len = 7 + (size_t)bft_merkle_path_len(index, batch_size) * 32;
	if (has_slh(scheme)) {
		const bft_slhdsa_params *pp = bft_slhdsa_params_get((bft_slhdsa_id)set);
		if (!pp)
			return 0;
		len += pp->pk_len + pp->sig_len;
	}
	if (has_p256(scheme))
		len += BFT_P256_PUB;
	if (has_ed(scheme))
		len += BFT_PROOF_SIG;
	return len;
}

int bft_proof_auth_parse(bft_proof_auth *a, const uint8_t *buf, size_t len)
{
	if (!a || !buf || len < 7)
		return BFT_EINVAL;
	memset(a, 0, sizeof *a);
	const uint8_t *q = buf;
	a->scheme = (uint8_t)bft_be_get(&q, 1);
	a->set = (uint8_t)bft_be_get(&q, 1);
	a->batch_size = (uint16_t)bft_be_get(&q, 2);
	a->index = (uint16_t)bft_be_get(&q, 2);
	a->path_len = (uint8_t)bft_be_get(&q, 1);
	if (!bft_proof_scheme_name(a->scheme) || a->batch_size == 0 || a->index >= a->batch_size ||
	    a->path_len != bft_merkle_path_len(a->index, a->batch_size))
		return BFT_EINVAL;
	if (has_slh(a->scheme)) {
		if (!(a->params = bft_slhdsa_params_get((bft_slhdsa_id)a->set)))
			return BFT_EINVAL;
	} else if (a->set != 0) {
		return BFT_EINVAL; /* one encoding: no set without SLH-DSA */
	}
	if (len != bft_proof_auth_size(a->scheme, a->set, a->batch_size, a->index))
		return BFT_EINVAL;
	a->path = q;
	q += (size_t)a->path_len * 32;
	if (a->params) {
		a->slh_pk = q;
		q += a->params->pk_len;
	}
	if (has_p256(a->scheme)) {
		a->p256_pk = q;
		q += BFT_P256_PUB;
	}
	if (has_ed(a->scheme)) {
		a->ed_sig = q;
		q += BFT_PROOF_SIG;
	}
	if (a->params)
		a->slh_sig = q;
	return 0;
}

static int node_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t b[65];
	b[0] = 0x01;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	return bft_sha3_256(out, b, sizeof b);
}

int bft_merkle_leaf(uint8_t out[32], const uint8_t *body, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	static const uint8_t zero = 0x00;
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) == 1 && EVP_DigestUpdate(md, &zero, 1) == 1 &&
	         EVP_DigestUpdate(md, body, len) == 1 && EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : BFT_ENOMEM;
}

int bft_merkle_build(uint8_t root[32], uint8_t *paths, const uint8_t (*leaves)[32], size_t n)
{
	if (!root || !leaves || n == 0 || n > BFT_MERKLE_MAX_LEAVES)
		return BFT_EINVAL;
	uint8_t(*level)[32] = malloc(n * 32);
	uint8_t *depth = paths ? calloc(n, 1) : NULL;
	if (!level || (paths && !depth)) {
		free(level);
		free(depth);
		return BFT_ENOMEM;
	}
	memcpy(level, leaves, n * 32);
	size_t count = n, span = 1; /* a node at this level covers leaves [i * span, (i + 1) * span) */
	int rc = 0;
	while (count > 1 && rc == 0) {
		size_t next = 0;
		for (size_t i = 0; i < count; i += 2) {
			if (i + 1 == count) { /* the odd last node moves up unchanged */
				memmove(level[next++], level[i], 32);
				continue;
			}
			if (paths) {
				/* Each leaf under the left node gets the right one, and
				 * the other way round. */
				for (size_t leaf = i * span; leaf < (i + 2) * span && leaf < n; leaf++) {
					const uint8_t *sib = leaf < (i + 1) * span ? level[i + 1] : level[i];
					memcpy(paths + (leaf * BFT_MERKLE_MAX_DEPTH + depth[leaf]) * 32, sib, 32);
					depth[leaf]++;
				}
			}
			uint8_t h[32];
			if ((rc = node_hash(h, level[i], level[i + 1])) != 0)
				break;
			memcpy(level[next++], h, 32);
		}
		count = next;
		span *= 2;
	}
	if (rc == 0)
		memcpy(root, level[0], 32);
	free(level);
	free(depth);
	return rc;
}

int bft_merkle_root_from_path(uint8_t root[32], const uint8_t leaf[32], uint32_t index, uint32_t size,
                              const uint8_t *path, unsigned path_len)
{
	if (!root || !leaf || size == 0 || index >= size || path_len != bft_merkle_path_len(index, size) ||
	    (path_len && !path))
		return BFT_EINVAL;
	uint8_t r[32];
	memcpy(r, leaf, 32);
	unsigned used = 0;
	while (size > 1) {
		if (!(index == size - 1 && size % 2 == 1)) {
			const uint8_t *p = path + (size_t)used++ * 32;
			int rc = index % 2 ? node_hash(r, p, r) : node_hash(r, r, p);
			if (rc != 0)
				return rc;
		}
		index /= 2;
		size = (size + 1) / 2;
	}
	memcpy(root, r, 32);
	return 0;
}

size_t bft_proof_v2_message(uint8_t *out, uint8_t scheme, uint8_t set, uint32_t node_id, const uint8_t pub[32],
                            const uint8_t *slh_pk, size_t slh_pk_len, uint16_t batch_size, const uint8_t root[32])
{
	uint8_t *q = bft_be_put_bytes(out, domain, sizeof domain - 1);
	q = bft_be_put(q, scheme, 1);
	q = bft_be_put(q, set, 1);
	q = bft_be_put(q, node_id, 4);
	q = bft_be_put_bytes(q, pub, 32);
	if (slh_pk && slh_pk_len)
		q = bft_be_put_bytes(q, slh_pk, slh_pk_len);
	q = bft_be_put(q, batch_size, 2);
	q = bft_be_put_bytes(q, root, 32);
	return (size_t)(q - out);
}

void bft_proof_batch_free(bft_proof_batch *b)
{
	if (!b)
		return;
	free(b->paths);
	free(b->bodies);
	free(b->slh_sig);
	memset(b, 0, sizeof *b);
}

int bft_proof_batch_prepare(bft_proof_batch *b, const bft_proof_batch_signer *s, const bft_proof *bodies, size_t n)
{
	if (!b)
		return BFT_EINVAL;
	memset(b, 0, sizeof *b);
	if (!s || !bodies || n == 0 || n > BFT_MERKLE_MAX_LEAVES || !bft_proof_scheme_name(s->scheme) ||
	    (has_ed(s->scheme) && (!s->ed || s->ed->sig_len != BFT_PROOF_SIG)))
		return BFT_EINVAL;
	const bft_slhdsa_params *pp = NULL;
	if (has_slh(s->scheme)) {
		pp = bft_slhdsa_params_get((bft_slhdsa_id)s->set);
		if (!pp || !s->slh || !s->slh_pk || s->slh->sig_len != pp->sig_len)
			return BFT_EINVAL;
	} else if (s->set != 0) {
		return BFT_EINVAL;
	}
	if (has_p256(s->scheme)) {
		uint8_t id[BFT_P256_ID];
		if (!s->p256_pk || bft_p256_key_id(id, s->p256_pk) != 0 || memcmp(id, bodies[0].pub, 32) != 0)
			return BFT_EINVAL; /* the bodies must name this point */
	}
	for (size_t i = 0; i < n; i++)
		if (bodies[i].version != BFT_PROOF_VERSION_2 || !bft_proof_valid(&bodies[i]) ||
		    bodies[i].node_id != bodies[0].node_id || memcmp(bodies[i].pub, bodies[0].pub, 32) != 0)
			return BFT_EINVAL;
	b->s = *s;
	b->pp = pp;
	b->n = n;
	uint8_t(*leaves)[32] = malloc(n * 32);
	b->paths = malloc(n * BFT_MERKLE_MAX_DEPTH * 32);
	b->bodies = malloc(n * sizeof *bodies);
	b->slh_sig = pp ? malloc(pp->sig_len) : NULL;
	int rc = BFT_ENOMEM;
	if (!leaves || !b->paths || !b->bodies || (pp && !b->slh_sig))
		goto out;
	memcpy(b->bodies, bodies, n * sizeof *bodies);
	for (size_t i = 0; i < n; i++) {
		b->bodies[i].auth = NULL;
		b->bodies[i].auth_len = 0;
		uint8_t body[BFT_PROOF_V2_BODY_MIN + BFT_PROOF_REF_LEN];
		int bl = bft_proof_v2_encode_body(body, sizeof body, &bodies[i]);
		if (bl < 0) {
			rc = bl;
			goto out;
		}
		if ((rc = bft_merkle_leaf(leaves[i], body, (size_t)bl)) != 0)
			goto out;
	}
	if ((rc = bft_merkle_build(b->root, b->paths, (const uint8_t(*)[32])leaves, n)) != 0)
		goto out;
	b->msg_len = bft_proof_v2_message(b->msg, s->scheme, s->set, bodies[0].node_id, bodies[0].pub,
	                                  pp ? s->slh_pk : NULL, pp ? pp->pk_len : 0, (uint16_t)n, b->root);
	rc = 0;
out:
	free(leaves);
	if (rc != 0)
		bft_proof_batch_free(b);
	return rc;
}

int bft_proof_batch_sign_ed(bft_proof_batch *b)
{
	if (!b || !b->n)
		return BFT_EINVAL;
	if (!has_ed(b->s.scheme))
		return 0;
	int rc = b->s.ed->sign(b->s.ed->ctx, b->bodies[0].node_id, b->msg, b->msg_len, b->ed_sig);
	b->ed_done = rc == 0;
	return rc < 0 ? rc : rc ? BFT_EINVAL : 0;
}

int bft_proof_batch_sign_slh(bft_proof_batch *b)
{
	if (!b || !b->n)
		return BFT_EINVAL;
	if (!b->pp)
		return 0;
	int rc = b->s.slh->sign(b->s.slh->ctx, b->bodies[0].node_id, b->msg, b->msg_len, b->slh_sig);
	b->slh_done = rc == 0;
	return rc < 0 ? rc : rc ? BFT_EINVAL : 0;
}

int bft_proof_batch_finish(bft_proof_batch *b, uint8_t **out_buf, size_t *offsets, size_t *lens)
{
	if (!b || !b->n || !out_buf || !offsets || !lens || (has_ed(b->s.scheme) && !b->ed_done) ||
	    (b->pp && !b->slh_done))
		return BFT_EINVAL;
	*out_buf = NULL;
	size_t total = 0, n = b->n;
	for (size_t i = 0; i < n; i++) {
		offsets[i] = total;
		lens[i] = bft_proof_v2_body_size(&b->bodies[i]) + bft_proof_auth_size(b->s.scheme, b->s.set, (uint16_t)n, (uint16_t)i);
		total += lens[i];
	}
	uint8_t *buf = malloc(total);
	if (!buf)
		return BFT_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = buf + offsets[i];
		int bl = bft_proof_v2_encode_body(q, lens[i], &b->bodies[i]);
		if (bl < 0) {
			free(buf);
			return BFT_EINVAL;
		}
		q += bl;
		q = bft_be_put(q, b->s.scheme, 1);
		q = bft_be_put(q, b->s.set, 1);
		q = bft_be_put(q, n, 2);
		q = bft_be_put(q, i, 2);
		unsigned pl = bft_merkle_path_len((uint32_t)i, (uint32_t)n);
		q = bft_be_put(q, pl, 1);
		q = bft_be_put_bytes(q, b->paths + i * BFT_MERKLE_MAX_DEPTH * 32, (size_t)pl * 32);
		if (b->pp)
			q = bft_be_put_bytes(q, b->s.slh_pk, b->pp->pk_len);
		if (has_p256(b->s.scheme))
			q = bft_be_put_bytes(q, b->s.p256_pk, BFT_P256_PUB);
		if (has_ed(b->s.scheme))
			q = bft_be_put_bytes(q, b->ed_sig, sizeof b->ed_sig);
		if (b->pp)
			q = bft_be_put_bytes(q, b->slh_sig, b->pp->sig_len);
		if ((size_t)(q - (buf + offsets[i])) != lens[i]) {
			free(buf);
			return BFT_EINVAL;
		}
	}
	*out_buf = buf;
	return 0;
}

int bft_proof_batch_sign(const bft_proof_batch_signer *s, const bft_proof *bodies, size_t n, uint8_t **out_buf,
                         size_t *offsets, size_t *lens)
{
	if (!out_buf || !offsets || !lens)
		return BFT_EINVAL;
	*out_buf = NULL;
	bft_proof_batch b;
	int rc = bft_proof_batch_prepare(&b, s, bodies, n);
	if (rc != 0)
		return rc;
	/* One signature per scheme for the whole batch: the point of batching. */
	if ((rc = bft_proof_batch_sign_ed(&b)) == 0 && (rc = bft_proof_batch_sign_slh(&b)) == 0)
		rc = bft_proof_batch_finish(&b, out_buf, offsets, lens);
	bft_proof_batch_free(&b);
	return rc;
}

/* The root a decoded v2 proof's path leads to, and the message signed over
 * it. 0 or BFT_EINVAL. */
static int root_message(const bft_proof *p, bft_proof_auth *a, uint8_t *msg, size_t *ml)
{
	uint8_t body[BFT_PROOF_V2_BODY_MIN + BFT_PROOF_REF_LEN], leaf[32], root[32];
	if (!p || p->version != BFT_PROOF_VERSION_2 || !p->auth || bft_proof_auth_parse(a, p->auth, p->auth_len) != 0)
		return BFT_EINVAL;
	int bl = bft_proof_v2_encode_body(body, sizeof body, p);
	if (bl < 0 || bft_merkle_leaf(leaf, body, (size_t)bl) != 0 ||
	    bft_merkle_root_from_path(root, leaf, a->index, a->batch_size, a->path, a->path_len) != 0)
		return BFT_EINVAL;
	*ml = bft_proof_v2_message(msg, a->scheme, a->set, p->node_id, p->pub, a->slh_pk,
	                           a->params ? a->params->pk_len : 0, a->batch_size, root);
	return 0;
}

/* The cache key: the signed message and the signatures, so a cached root
 * never vouches for other signature bytes. */
static int cache_key(uint8_t key[32], const uint8_t *msg, size_t ml, const bft_proof_auth *a)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha3_256(), NULL) == 1 && EVP_DigestUpdate(md, msg, ml) == 1 &&
	         (!a->ed_sig || EVP_DigestUpdate(md, a->ed_sig, BFT_PROOF_SIG) == 1) &&
	         (!a->slh_sig || EVP_DigestUpdate(md, a->slh_sig, a->params->sig_len) == 1) &&
	         EVP_DigestFinal_ex(md, key, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	return ok ? 0 : BFT_ENOMEM;
}

static int ed_verify(const uint8_t pub[32], const uint8_t *msg, size_t ml, const uint8_t *sig)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *md = key ? EVP_MD_CTX_new() : NULL;
	int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
	         EVP_DigestVerify(md, sig, BFT_PROOF_SIG, msg, ml) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok ? 0 : BFT_EINVAL;
}

static int verify(const bft_proof *p, const uint8_t *pinned_ed, const uint8_t *pinned_slh, size_t pinned_slh_len,
                  bft_proof_rootcache *cache, const bft_signer *s)
{
	bft_proof_auth a;
	uint8_t msg[BFT_PROOF_V2_MSG_MAX], key[32];
	size_t ml = 0;
	if (root_message(p, &a, msg, &ml) != 0)
		return BFT_EINVAL;
	if (pinned_ed && CRYPTO_memcmp(pinned_ed, p->pub, 32) != 0)
		return BFT_EINVAL;
	if (a.slh_pk) {
		/* The carried SLH-DSA key counts when pinned, or (hybrid) when the
		 * pinned Ed25519 key signs it below. */
		if (pinned_slh && (pinned_slh_len != a.params->pk_len || CRYPTO_memcmp(pinned_slh, a.slh_pk, pinned_slh_len)))
			return BFT_EINVAL;
		if (!pinned_slh && a.scheme == BFT_PSCHEME_SLHDSA)
			return BFT_EINVAL;
	}
	if (a.p256_pk) {
		/* The carried point counts only as the one the body names (before the
		 * cache: its key covers the message and signatures, not the point;
		 * a point off the curve fails the signature check below). */
		uint8_t id[BFT_P256_ID];
		if (bft_sha3_256(id, a.p256_pk, BFT_P256_PUB) != 0 || CRYPTO_memcmp(id, p->pub, 32) != 0)
			return BFT_EINVAL;
	}
	size_t slot = 0;
	if (cache) {
		if (cache_key(key, msg, ml, &a) != 0)
			return BFT_EINVAL;
		slot = ((size_t)key[0] << 8 | key[1]) % BFT_ROOTCACHE;
		if (cache->set[slot] && memcmp(cache->key[slot], key, 32) == 0) {
			cache->hits++;
			return 0;
		}
		cache->misses++;
	}
	if (a.p256_pk && !s) {
		if (bft_p256_verify(a.p256_pk, msg, ml, a.ed_sig) != 0)
			return BFT_EINVAL;
	} else if (a.ed_sig) {
		int rc = s ? (s->verify && s->sig_len == BFT_PROOF_SIG &&
		                              s->verify(s->ctx, p->node_id, msg, ml, a.ed_sig, BFT_PROOF_SIG) == 0
		                      ? 0
		                      : BFT_EINVAL)
		           : ed_verify(p->pub, msg, ml, a.ed_sig);
		if (rc != 0)
			return BFT_EINVAL;
	}
	if (a.slh_sig && bft_slhdsa_verify(a.params, msg, ml, slh_context, sizeof slh_context - 1, a.slh_sig,
	                                   a.params->sig_len, a.slh_pk) != 0)
		return BFT_EINVAL;
	if (cache) {
		memcpy(cache->key[slot], key, 32);
		cache->set[slot] = 1;
	}
	return 0;
}

int bft_proof_v2_verify(const bft_proof *p, const uint8_t *pinned_ed, const uint8_t *pinned_slh,
                        size_t pinned_slh_len, bft_proof_rootcache *cache)
{
	return verify(p, pinned_ed, pinned_slh, pinned_slh_len, cache, NULL);
}

int bft_proof_v2_verify_signer(const bft_proof *p, const bft_signer *s)
{
	if (!s)
		return BFT_EINVAL;
	return verify(p, NULL, NULL, 0, NULL, s);
}
