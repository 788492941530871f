/* SPDX-License-Identifier: MIT */
/*
 * Time proofs (proof.h, docs/proofs.md): the canonical codec, SHA3-256
 * hashing, signing and verification, chain links and the generator. The
 * layout is fixed rather than TLV because a proof is hashed and signed as
 * bytes: with one field order, one width per field and range checks on both
 * sides, there is exactly one encoding per proof, so two parties that agree
 * on a proof agree on its hash. The decoder is the code that touches hostile
 * bytes (the API's POST /v1/proofs, gossip): it checks the length first and
 * has a libFuzzer target (tests/fuzz/fuzz_proof.c).
 */
#include "proto/proof.h"
#include "proto/bytes.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static const uint8_t magic[2] = { 'B', 'P' };
static const uint8_t zero_hash[BFT_PROOF_HASH];

static bool ref_valid(const bft_proof_ref *r)
{
	if (r->kind == BFT_REF_NONE)
		return r->week == 0 && r->tow_ns == 0 && r->sats_used == 0 && r->sats_visible == 0 && r->snr_cdbhz == 0;
	if (r->kind != BFT_REF_GPS && r->kind != BFT_REF_SIM_GPS)
		return false;
	return r->tow_ns >= 0 && r->tow_ns < BFT_GPS_WEEK_NS && r->sats_used <= r->sats_visible;
}

bool bft_proof_valid(const bft_proof *p)
{
	if (!p || (p->version != BFT_PROOF_VERSION && p->version != BFT_PROOF_VERSION_2) ||
	    (p->flags & ~BFT_PROOFF_ALL) || p->seq > BFT_PROOF_SEQ_MAX || p->bounds.lo_ns > p->bounds.hi_ns ||
	    !ref_valid(&p->ref))
		return false;
	/* Version 2 has no signature of its own: the field stays zero, so the
	 * statement has one in-memory form. */
	if (p->version == BFT_PROOF_VERSION_2)
		for (size_t i = 0; i < BFT_PROOF_SIG; i++)
			if (p->sig[i])
				return false;
	/* The genesis rule: only the first proof has no predecessor. A real
	 * SHA3-256 of anything is all zeros with probability 2^-256. */
	bool zero = memcmp(p->prev_hash, zero_hash, BFT_PROOF_HASH) == 0;
	return (p->seq == 0) == zero;
}

size_t bft_proof_size(const bft_proof *p)
{
	if (p && p->version == BFT_PROOF_VERSION_2)
		return bft_proof_v2_body_size(p) + p->auth_len;
	return p && p->ref.kind != BFT_REF_NONE ? BFT_PROOF_V1_MAX : BFT_PROOF_V1_MIN;
}

size_t bft_proof_v2_body_size(const bft_proof *p)
{
	return BFT_PROOF_V2_BODY_MIN + (p->ref.kind != BFT_REF_NONE ? BFT_PROOF_REF_LEN : 0);
}

/* The statement: every field up to the nonce, the same layout in both
 * versions. */
static uint8_t *put_statement(uint8_t *q, const bft_proof *p)
{
	q = bft_be_put_bytes(q, magic, sizeof magic);
	q = bft_be_put(q, p->version, 1);
	q = bft_be_put(q, p->flags, 1);
	q = bft_be_put(q, p->node_id, 4);
	q = bft_be_put_bytes(q, p->pub, BFT_PROOF_KEY);
	q = bft_be_put(q, p->seq, 8);
	q = bft_be_put(q, (uint64_t)p->raw_ns, 8);
	q = bft_be_put(q, (uint64_t)p->time_ns, 8);
	q = bft_be_put(q, (uint64_t)p->offset_ns, 8);
	q = bft_be_put(q, (uint64_t)p->freq_ppb, 8);
	q = bft_be_put(q, (uint64_t)p->bounds.lo_ns, 8);
	q = bft_be_put(q, (uint64_t)p->bounds.hi_ns, 8);
	q = bft_be_put(q, p->ref.kind, 1);
	if (p->ref.kind != BFT_REF_NONE) {
		q = bft_be_put(q, p->ref.week, 2);
		q = bft_be_put(q, (uint64_t)p->ref.tow_ns, 8);
		q = bft_be_put(q, p->ref.sats_used, 1);
		q = bft_be_put(q, p->ref.sats_visible, 1);
		q = bft_be_put(q, p->ref.snr_cdbhz, 2);
	}
	q = bft_be_put_bytes(q, p->prev_hash, BFT_PROOF_HASH);
	q = bft_be_put_bytes(q, p->nonce, BFT_PROOF_NONCE);
	return q;
}

int bft_proof_v2_encode_body(uint8_t *buf, size_t cap, const bft_proof *p)
{
	if (!buf || !bft_proof_valid(p) || p->version != BFT_PROOF_VERSION_2)
		return BFT_EINVAL;
	size_t len = bft_proof_v2_body_size(p);
	if (cap < len)
		return BFT_ERANGE;
	return (size_t)(put_statement(buf, p) - buf) == len ? (int)len : BFT_EINVAL;
}

int bft_proof_encode(uint8_t *buf, size_t cap, const bft_proof *p)
{
	if (!buf || !bft_proof_valid(p))
		return BFT_EINVAL;
	if (p->version == BFT_PROOF_VERSION_2) {
		/* Only with its authenticator (proof_v2.h): a body alone is not a proof. */
		bft_proof_auth a;
		if (!p->auth || bft_proof_auth_parse(&a, p->auth, p->auth_len) != 0)
			return BFT_EINVAL;
		size_t body = bft_proof_v2_body_size(p);
		if (cap < body + p->auth_len)
			return BFT_ERANGE;
		uint8_t *q = put_statement(buf, p);
		memcpy(q, p->auth, p->auth_len);
		return (int)(body + p->auth_len);
	}
	size_t len = bft_proof_size(p);
	if (cap < len)
		return BFT_ERANGE;
	uint8_t *q = put_statement(buf, p);
	q = bft_be_put_bytes(q, p->sig, BFT_PROOF_SIG);
	return (size_t)(q - buf) == len ? (int)len : BFT_EINVAL;
}

int bft_proof_decode(bft_proof *p, const uint8_t *buf, size_t len)
{
	if (!p || !buf)
		return BFT_EINVAL;
	/* The length alone tells whether a reference block is present; it must
	 * agree with the kind byte, checked below. */
	if (len < 3 || memcmp(buf, magic, sizeof magic) != 0)
		return BFT_EINVAL;
	bool v2 = buf[2] == BFT_PROOF_VERSION_2;
	/* The offset of the reference kind byte, the same in both versions. */
	const size_t kind_at = 2 + 1 + 1 + 4 + BFT_PROOF_KEY + 7 * 8;
	size_t body = 0;
	if (v2) {
		if (len <= kind_at)
			return BFT_EINVAL;
		body = BFT_PROOF_V2_BODY_MIN + (buf[kind_at] != BFT_REF_NONE ? BFT_PROOF_REF_LEN : 0);
		if (len <= body || len > BFT_PROOF_MAX)
			return BFT_EINVAL;
	} else if (len != BFT_PROOF_V1_MIN && len != BFT_PROOF_V1_MAX) {
		return BFT_EINVAL;
	}
	memset(p, 0, sizeof *p);
	const uint8_t *q = buf + sizeof magic;
	p->version = (uint8_t)bft_be_get(&q, 1);
	p->flags = (uint8_t)bft_be_get(&q, 1);
	p->node_id = (uint32_t)bft_be_get(&q, 4);
	memcpy(p->pub, q, BFT_PROOF_KEY);
	q += BFT_PROOF_KEY;
	p->seq = bft_be_get(&q, 8);
	p->raw_ns = (int64_t)bft_be_get(&q, 8);
	p->time_ns = (int64_t)bft_be_get(&q, 8);
	p->offset_ns = (int64_t)bft_be_get(&q, 8);
	p->freq_ppb = (int64_t)bft_be_get(&q, 8);
	p->bounds.lo_ns = (int64_t)bft_be_get(&q, 8);
	p->bounds.hi_ns = (int64_t)bft_be_get(&q, 8);
	p->ref.kind = (uint8_t)bft_be_get(&q, 1);
	if (!v2 && (p->ref.kind != BFT_REF_NONE) != (len == BFT_PROOF_V1_MAX))
		return BFT_EINVAL;
	if (p->ref.kind != BFT_REF_NONE) {
		p->ref.week = (uint16_t)bft_be_get(&q, 2);
		p->ref.tow_ns = (int64_t)bft_be_get(&q, 8);
		p->ref.sats_used = (uint8_t)bft_be_get(&q, 1);
		p->ref.sats_visible = (uint8_t)bft_be_get(&q, 1);
		p->ref.snr_cdbhz = (uint16_t)bft_be_get(&q, 2);
	}
	memcpy(p->prev_hash, q, BFT_PROOF_HASH);
	q += BFT_PROOF_HASH;
	memcpy(p->nonce, q, BFT_PROOF_NONCE);
	q += BFT_PROOF_NONCE;
	if (v2) {
		bft_proof_auth a;
		if ((size_t)(q - buf) != body || bft_proof_auth_parse(&a, q, len - body) != 0 || !bft_proof_valid(p))
			return BFT_EINVAL;
		p->auth = q;
		p->auth_len = len - body;
		return 0;
	}
	memcpy(p->sig, q, BFT_PROOF_SIG);
	q += BFT_PROOF_SIG;
	if ((size_t)(q - buf) != len || !bft_proof_valid(p) || p->version != BFT_PROOF_VERSION)
		return BFT_EINVAL;
	return 0;
}

int bft_sha3_256(uint8_t out[BFT_PROOF_HASH], const uint8_t *data, size_t len)
{
	unsigned int n = 0;
	if (!out || (!data && len))
		return BFT_EINVAL;
	if (EVP_Digest(data, len, out, &n, EVP_sha3_256(), NULL) != 1 || n != BFT_PROOF_HASH)
		return BFT_ENOMEM;
	return 0;
}

int bft_proof_hash(uint8_t out[BFT_PROOF_HASH], const bft_proof *p)
{
	uint8_t buf[BFT_PROOF_V1_MAX];
	int len = p && p->version == BFT_PROOF_VERSION_2 ? bft_proof_v2_encode_body(buf, sizeof buf, p)
	                                                  : bft_proof_encode(buf, sizeof buf, p);
	if (len < 0)
		return len;
	return bft_sha3_256(out, buf, (size_t)len);
}

int bft_proof_hash_bytes(uint8_t out[BFT_PROOF_HASH], const uint8_t *buf, size_t len)
{
	bft_proof p;
	if (!out || bft_proof_decode(&p, buf, len) != 0)
		return BFT_EINVAL;
	size_t n = p.version == BFT_PROOF_VERSION_2 ? bft_proof_v2_body_size(&p) : len;
	return bft_sha3_256(out, buf, n);
}

int bft_proof_sign(bft_proof *p, const bft_signer *s)
{
	if (!p || !s || !s->sign || s->sig_len == 0 || s->sig_len > BFT_PROOF_SIG || p->version != BFT_PROOF_VERSION)
		return BFT_EINVAL;
	uint8_t buf[BFT_PROOF_V1_MAX], sig[BFT_PROOF_SIG] = { 0 };
	memset(p->sig, 0, sizeof p->sig);
	int len = bft_proof_encode(buf, sizeof buf, p);
	if (len < 0)
		return len;
	int rc = s->sign(s->ctx, p->node_id, buf, BFT_PROOF_SIGNED((size_t)len), sig);
	if (rc != 0)
		return rc < 0 ? rc : BFT_EINVAL;
	memcpy(p->sig, sig, sizeof sig);
	return 0;
}

int bft_proof_verify_signer(const bft_proof *p, const bft_signer *s)
{
	if (!p || !s || !s->verify || s->sig_len == 0 || s->sig_len > BFT_PROOF_SIG)
		return BFT_EINVAL;
	if (p->version == BFT_PROOF_VERSION_2) {
		/* The signer table knows keys by node id, not SLH-DSA keys: the
		 * batch's Ed25519 signature is checked under the signer's key
		 * through the message it signed. */
		return bft_proof_v2_verify_signer(p, s);
	}
	/* A shorter signature is zero-padded; the padding must be zero or the
	 * same signed content would have many encodings (and hashes). */
	for (size_t i = s->sig_len; i < BFT_PROOF_SIG; i++)
		if (p->sig[i])
			return BFT_EINVAL;
	uint8_t buf[BFT_PROOF_V1_MAX];
	int len = bft_proof_encode(buf, sizeof buf, p);
	if (len < 0)
		return len;
	return s->verify(s->ctx, p->node_id, buf, BFT_PROOF_SIGNED((size_t)len), p->sig, s->sig_len) == 0
	               ? 0
	               : BFT_EINVAL;
}

int bft_proof_verify_key(const bft_proof *p, const uint8_t *pinned)
{
	if (!p)
		return BFT_EINVAL;
	if (pinned && CRYPTO_memcmp(pinned, p->pub, BFT_PROOF_KEY) != 0)
		return BFT_EINVAL;
	if (p->version == BFT_PROOF_VERSION_2)
		return bft_proof_v2_verify(p, pinned, NULL, 0, NULL);
	uint8_t buf[BFT_PROOF_V1_MAX];
	int len = bft_proof_encode(buf, sizeof buf, p);
	if (len < 0)
		return len;
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p->pub, BFT_PROOF_KEY);
	EVP_MD_CTX *md = key ? EVP_MD_CTX_new() : NULL;
	int ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
	         EVP_DigestVerify(md, p->sig, BFT_PROOF_SIG, buf, BFT_PROOF_SIGNED((size_t)len)) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok ? 0 : BFT_EINVAL;
}

int bft_proof_chain_check(const bft_proof *prev, const uint8_t *prev_hash_known, const bft_proof *next)
{
	if (!prev || !next)
		return BFT_EINVAL;
	if (prev->node_id != next->node_id || memcmp(prev->pub, next->pub, BFT_PROOF_KEY) != 0)
		return BFT_CHAIN_NODE;
	if (prev->seq >= BFT_PROOF_SEQ_MAX || next->seq != prev->seq + 1)
		return BFT_CHAIN_SEQ;
	uint8_t h[BFT_PROOF_HASH];
	if (!prev_hash_known) {
		if (bft_proof_hash(h, prev) != 0)
			return BFT_CHAIN_HASH; /* prev itself is not a valid proof */
		prev_hash_known = h;
	}
	if (memcmp(prev_hash_known, next->prev_hash, BFT_PROOF_HASH) != 0)
		return BFT_CHAIN_HASH;
	if (next->time_ns < prev->time_ns)
		return BFT_CHAIN_TIME;
	return BFT_CHAIN_OK;
}

int bft_proof_gen_init(bft_proof_gen *g, uint32_t node_id, const uint8_t *pub, const bft_signer *signer)
{
	if (!g || !signer)
		return BFT_EINVAL;
	memset(g, 0, sizeof *g);
	g->node_id = node_id;
	if (pub)
		memcpy(g->pub, pub, BFT_PROOF_KEY);
	g->signer = signer;
	return 0;
}

static int gen_build(const bft_proof_gen *g, bft_proof *out, const bft_proof_clock *clock,
                     const uint8_t nonce[BFT_PROOF_NONCE], uint8_t version)
{
	if (!g || !out || !clock || !nonce)
		return BFT_EINVAL;
	if (g->next_seq > BFT_PROOF_SEQ_MAX)
		return BFT_ERANGE;
	if (g->have_prev && clock->time_ns < g->prev_time_ns)
		return BFT_ERANGE;
	bft_proof p;
	memset(&p, 0, sizeof p);
	p.version = version;
	p.flags = clock->flags;
	p.node_id = g->node_id;
	memcpy(p.pub, g->pub, BFT_PROOF_KEY);
	p.seq = g->next_seq;
	p.raw_ns = clock->raw_ns;
	p.time_ns = clock->time_ns;
	p.offset_ns = clock->offset_ns;
	p.freq_ppb = clock->freq_ppb;
	p.bounds = clock->bounds;
	p.ref = clock->ref;
	memcpy(p.prev_hash, g->prev_hash, BFT_PROOF_HASH);
	memcpy(p.nonce, nonce, BFT_PROOF_NONCE);
	if (!bft_proof_valid(&p))
		return BFT_EINVAL;
	if (version == BFT_PROOF_VERSION) {
		int rc = bft_proof_sign(&p, g->signer);
		if (rc != 0)
			return rc;
	}
	*out = p;
	return 0;
}

int bft_proof_gen_next(const bft_proof_gen *g, bft_proof *out, const bft_proof_clock *clock,
                       const uint8_t nonce[BFT_PROOF_NONCE])
{
	return gen_build(g, out, clock, nonce, BFT_PROOF_VERSION);
}

int bft_proof_gen_statement(const bft_proof_gen *g, bft_proof *out, const bft_proof_clock *clock,
                            const uint8_t nonce[BFT_PROOF_NONCE])
{
	return gen_build(g, out, clock, nonce, BFT_PROOF_VERSION_2);
}

int bft_proof_gen_accept(bft_proof_gen *g, const bft_proof *p)
{
	if (!g || !p || p->node_id != g->node_id || memcmp(p->pub, g->pub, BFT_PROOF_KEY) != 0)
		return BFT_EINVAL;
	uint8_t h[BFT_PROOF_HASH];
	int rc = bft_proof_hash(h, p);
	if (rc != 0)
		return rc;
	memcpy(g->prev_hash, h, sizeof h);
	g->next_seq = p->seq + 1; /* p->seq <= SEQ_MAX, so at most SEQ_MAX + 1: gen_next refuses it */
	g->prev_time_ns = p->time_ns;
	g->have_prev = true;
	return 0;
}
