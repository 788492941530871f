/* SPDX-License-Identifier: MIT */
/*
 * Equivocation evidence (evidence.h): the codec and the checks. Why the
 * decoder rejects the other order of a valid pair: with one encoding per
 * pair, nodes name a piece of evidence by its hash and a store keeps one
 * row per pair, however it was forwarded.
 */
#include "proto/evidence.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t magic[2] = { 'B', 'E' };

/* A proof's canonical encoding in a new allocation (v2 proofs reach 50 kB:
 * not on the stack); its length, or negative. */
static int enc(const bft_proof *p, uint8_t **out)
{
	*out = NULL;
	size_t n = bft_proof_size(p);
	if (n == 0 || n > BFT_PROOF_MAX || !(*out = malloc(n)))
		return n ? BFT_ENOMEM : BFT_EINVAL;
	int l = bft_proof_encode(*out, n, p);
	if (l < 0) {
		free(*out);
		*out = NULL;
	}
	return l;
}

/* Two version-2 proofs with one body are one proof, whatever their
 * authenticators (a proof's hash is its body's). */
static bool same_body(const bft_proof *x, const bft_proof *y)
{
	uint8_t bx[BFT_PROOF_V2_BODY_MIN + BFT_PROOF_REF_LEN], by[sizeof bx];
	int lx = bft_proof_v2_encode_body(bx, sizeof bx, x), ly = bft_proof_v2_encode_body(by, sizeof by, y);
	return lx > 0 && lx == ly && memcmp(bx, by, (size_t)lx) == 0;
}

/* The conflict between two decoded proofs, in canonical order into *ev. */
int bft_evidence_make(bft_evidence *ev, const bft_proof *x, const bft_proof *y)
{
	if (!x || !y || (x->version != BFT_PROOF_VERSION && x->version != BFT_PROOF_VERSION_2) ||
	    (y->version != BFT_PROOF_VERSION && y->version != BFT_PROOF_VERSION_2))
		return BFT_EV_BAD_ENCODING;
	uint8_t *bx = NULL, *by = NULL;
	int lx = enc(x, &bx), ly = enc(y, &by), rc = BFT_EV_OK;
	if (lx < 0 || ly < 0) {
		rc = BFT_EV_BAD_ENCODING;
	} else if (x->node_id != y->node_id || memcmp(x->pub, y->pub, BFT_PROOF_KEY) != 0) {
		rc = BFT_EV_KEYS_DIFFER;
	} else if ((lx == ly && memcmp(bx, by, (size_t)lx) == 0) ||
	           (x->version == BFT_PROOF_VERSION_2 && y->version == BFT_PROOF_VERSION_2 && same_body(x, y))) {
		rc = BFT_EV_SAME_PROOF;
	} else if (x->seq == y->seq) {
		size_t m = (size_t)(lx < ly ? lx : ly);
		int c = memcmp(bx, by, m);
		bool x_first = c < 0 || (c == 0 && lx < ly);
		ev->kind = BFT_EV_FORK;
		ev->a = x_first ? *x : *y;
		ev->b = x_first ? *y : *x;
	} else {
		const bft_proof *lo = x->seq < y->seq ? x : y, *hi = x->seq < y->seq ? y : x;
		uint8_t h[BFT_PROOF_HASH];
		if (hi->seq - lo->seq != 1)
			rc = BFT_EV_NO_CONFLICT;
		else if (bft_proof_hash(h, lo) != 0)
			rc = BFT_EV_BAD_ENCODING;
		else if (memcmp(h, hi->prev_hash, BFT_PROOF_HASH) == 0)
			rc = BFT_EV_NO_CONFLICT; /* they link: one chain (a time going back is a bad chain, not two) */
		if (rc == BFT_EV_OK) {
			ev->kind = BFT_EV_LINK;
			ev->a = *lo;
			ev->b = *hi;
		}
	}
	free(bx);
	free(by);
	return rc;
}

int bft_evidence_encode(uint8_t *buf, size_t cap, const bft_evidence *ev)
{
	uint8_t *a = NULL, *b = NULL;
	int la = enc(&ev->a, &a), lb = enc(&ev->b, &b), rc;
	bool v1 = ev->a.version == BFT_PROOF_VERSION && ev->b.version == BFT_PROOF_VERSION;
	size_t w = v1 ? 1 : 2; /* the width of a length */
	size_t len = 3 + w + (size_t)la + w + (size_t)lb;
	if (la < 0 || lb < 0 || (ev->kind != BFT_EV_FORK && ev->kind != BFT_EV_LINK)) {
		rc = BFT_EINVAL;
	} else if (!buf || cap < len) {
		rc = BFT_ERANGE;
	} else {
		uint8_t *q = buf;
		*q++ = magic[0];
		*q++ = magic[1];
		*q++ = v1 ? BFT_EVIDENCE_VERSION : BFT_EVIDENCE_VERSION_2;
		if (!v1)
			*q++ = (uint8_t)(la >> 8);
		*q++ = (uint8_t)la;
		memcpy(q, a, (size_t)la);
		q += la;
		if (!v1)
			*q++ = (uint8_t)(lb >> 8);
		*q++ = (uint8_t)lb;
		memcpy(q, b, (size_t)lb);
		rc = (int)len;
	}
	free(a);
	free(b);
	return rc;
}

int bft_evidence_decode(bft_evidence *ev, const uint8_t *buf, size_t len)
{
	if (!buf || len < BFT_EVIDENCE_MIN || len > BFT_EVIDENCE_MAX || buf[0] != magic[0] || buf[1] != magic[1] ||
	    (buf[2] != BFT_EVIDENCE_VERSION && buf[2] != BFT_EVIDENCE_VERSION_2))
		return BFT_EV_BAD_ENCODING;
	bool v1 = buf[2] == BFT_EVIDENCE_VERSION;
	size_t w = v1 ? 1 : 2, at = 3;
	size_t la = v1 ? buf[at] : (size_t)buf[at] << 8 | buf[at + 1];
	at += w;
	if (la < BFT_PROOF_MIN || la > (v1 ? BFT_PROOF_V1_MAX : BFT_PROOF_MAX) || at + la + w > len)
		return BFT_EV_BAD_ENCODING;
	const uint8_t *pa = buf + at;
	at += la;
	size_t lb = v1 ? buf[at] : (size_t)buf[at] << 8 | buf[at + 1];
	at += w;
	if (at + lb != len)
		return BFT_EV_BAD_ENCODING;
	bft_proof x, y;
	if (bft_proof_decode(&x, pa, la) != 0 || bft_proof_decode(&y, buf + at, lb) != 0)
		return BFT_EV_BAD_ENCODING;
	/* One encoding per pair: version 1 exactly when both proofs are. */
	if (v1 != (x.version == BFT_PROOF_VERSION && y.version == BFT_PROOF_VERSION))
		return BFT_EV_BAD_ENCODING;
	int rc = bft_evidence_make(ev, &x, &y);
	if (rc != BFT_EV_OK)
		return rc;
	/* make() put them in canonical order: it must be the order given. */
	uint8_t *first = NULL;
	int lf = enc(&ev->a, &first);
	rc = lf == (int)la && memcmp(first, pa, la) == 0 ? BFT_EV_OK : BFT_EV_NOT_CANONICAL;
	free(first);
	return rc;
}

static int verify_one(const bft_proof *p, const uint8_t *pinned, const uint8_t *slh, size_t slh_len)
{
	if (p->version == BFT_PROOF_VERSION_2)
		return bft_proof_v2_verify(p, pinned, slh, slh_len, NULL);
	return bft_proof_verify_key(p, pinned);
}

int bft_evidence_verify_pinned(const bft_evidence *ev, const uint8_t *slh, size_t slh_len)
{
	return verify_one(&ev->a, ev->b.pub, slh, slh_len) == 0 && verify_one(&ev->b, ev->a.pub, slh, slh_len) == 0
	               ? BFT_EV_OK
	               : BFT_EV_BAD_SIG;
}

int bft_evidence_verify(const bft_evidence *ev) { return bft_evidence_verify_pinned(ev, NULL, 0); }

int bft_evidence_id(uint8_t out[BFT_PROOF_HASH], const bft_evidence *ev)
{
	uint8_t *buf = malloc(BFT_EVIDENCE_MAX);
	int len = buf ? bft_evidence_encode(buf, BFT_EVIDENCE_MAX, ev) : BFT_ENOMEM;
	if (len >= 0)
		len = bft_sha3_256(out, buf, (size_t)len);
	free(buf);
	return len < 0 ? len : 0;
}

const char *bft_evidence_kind_name(uint8_t kind)
{
	return kind == BFT_EV_FORK ? "fork" : kind == BFT_EV_LINK ? "link" : "?";
}

const char *bft_evidence_error_name(int err)
{
	static const char *const names[BFT_EV_ERRORS] = {
		[BFT_EV_OK] = "ok", [BFT_EV_BAD_ENCODING] = "bad_encoding", [BFT_EV_NOT_CANONICAL] = "not_canonical",
		[BFT_EV_SAME_PROOF] = "same_proof", [BFT_EV_KEYS_DIFFER] = "keys_differ",
		[BFT_EV_NO_CONFLICT] = "no_conflict", [BFT_EV_BAD_SIG] = "bad_signature",
	};
	return err >= 0 && err < BFT_EV_ERRORS ? names[err] : "?";
}

const char *bft_evidence_error_text(int err)
{
	switch (err) {
	case BFT_EV_OK: return "valid evidence: one key signed two histories";
	case BFT_EV_BAD_ENCODING:
		return "not evidence: \"BE\", version 1 (two v1 proofs, 1-byte lengths) or 2 (2-byte lengths), then two "
		       "length-prefixed canonical proofs";
	case BFT_EV_NOT_CANONICAL: return "the two proofs are in the wrong order (the first must sort first)";
	case BFT_EV_SAME_PROOF: return "the same proof twice is no conflict";
	case BFT_EV_KEYS_DIFFER: return "the two proofs are of different nodes or keys: no single key signed both";
	case BFT_EV_NO_CONFLICT:
		return "the two proofs fit one chain: their sequence numbers are neither equal nor consecutive, or the "
		       "second links to the first";
	case BFT_EV_BAD_SIG: return "a signature does not verify under the key the proofs embed";
	default: return "?";
	}
}
