/* SPDX-License-Identifier: MIT */
/*
 * Equivocation evidence (evidence.h): the codec and the checks. Why the
 * decoder rejects the other order of a valid pair: with one encoding per
 * pair, nodes name a piece of evidence by its hash and a store keeps one
 * row per pair, however it was forwarded.
 */
#include "proto/evidence.h"

#include <string.h>

static const uint8_t magic[2] = { 'B', 'E' };

/* The conflict between two decoded proofs, in canonical order into *ev. */
int bft_evidence_make(bft_evidence *ev, const bft_proof *x, const bft_proof *y)
{
	/* Version 1 only: its 1-byte lengths cannot hold a v2 proof, and a v2
	 * proof's authenticator is a view into bytes the evidence would
	 * outlive (docs/pq.md, what is left). */
	if (!x || !y || x->version != BFT_PROOF_VERSION || y->version != BFT_PROOF_VERSION)
		return BFT_EV_BAD_ENCODING;
	uint8_t bx[BFT_PROOF_V1_MAX], by[BFT_PROOF_V1_MAX];
	int lx = bft_proof_encode(bx, sizeof bx, x), ly = bft_proof_encode(by, sizeof by, y);
	if (lx < 0 || ly < 0)
		return BFT_EV_BAD_ENCODING;
	if (x->node_id != y->node_id || memcmp(x->pub, y->pub, BFT_PROOF_KEY) != 0)
		return BFT_EV_KEYS_DIFFER;
	if (lx == ly && memcmp(bx, by, (size_t)lx) == 0)
		return BFT_EV_SAME_PROOF;
	if (x->seq == y->seq) {
		size_t m = (size_t)(lx < ly ? lx : ly);
		int c = memcmp(bx, by, m);
		bool x_first = c < 0 || (c == 0 && lx < ly);
		ev->kind = BFT_EV_FORK;
		ev->a = x_first ? *x : *y;
		ev->b = x_first ? *y : *x;
		return BFT_EV_OK;
	}
	const bft_proof *lo = x->seq < y->seq ? x : y, *hi = x->seq < y->seq ? y : x;
	if (hi->seq - lo->seq != 1)
		return BFT_EV_NO_CONFLICT;
	uint8_t h[BFT_PROOF_HASH];
	if (bft_proof_hash(h, lo) != 0)
		return BFT_EV_BAD_ENCODING;
	if (memcmp(h, hi->prev_hash, BFT_PROOF_HASH) == 0)
		return BFT_EV_NO_CONFLICT; /* they link: one chain (a time going back is a bad chain, not two) */
	ev->kind = BFT_EV_LINK;
	ev->a = *lo;
	ev->b = *hi;
	return BFT_EV_OK;
}

int bft_evidence_encode(uint8_t *buf, size_t cap, const bft_evidence *ev)
{
	uint8_t a[BFT_PROOF_V1_MAX], b[BFT_PROOF_V1_MAX];
	int la = bft_proof_encode(a, sizeof a, &ev->a), lb = bft_proof_encode(b, sizeof b, &ev->b);
	if (la < 0 || lb < 0 || (ev->kind != BFT_EV_FORK && ev->kind != BFT_EV_LINK))
		return BFT_EINVAL;
	size_t len = 3 + 1 + (size_t)la + 1 + (size_t)lb;
	if (cap < len)
		return BFT_ERANGE;
	uint8_t *q = buf;
	*q++ = magic[0];
	*q++ = magic[1];
	*q++ = BFT_EVIDENCE_VERSION;
	*q++ = (uint8_t)la;
	memcpy(q, a, (size_t)la);
	q += la;
	*q++ = (uint8_t)lb;
	memcpy(q, b, (size_t)lb);
	return (int)len;
}

int bft_evidence_decode(bft_evidence *ev, const uint8_t *buf, size_t len)
{
	if (!buf || len < BFT_EVIDENCE_MIN || len > BFT_EVIDENCE_MAX || buf[0] != magic[0] || buf[1] != magic[1] ||
	    buf[2] != BFT_EVIDENCE_VERSION)
		return BFT_EV_BAD_ENCODING;
	size_t la = buf[3];
	if (la < BFT_PROOF_V1_MIN || la > BFT_PROOF_V1_MAX || 4 + la >= len)
		return BFT_EV_BAD_ENCODING;
	size_t lb = buf[4 + la];
	if (5 + la + lb != len)
		return BFT_EV_BAD_ENCODING;
	bft_proof x, y;
	if (bft_proof_decode(&x, buf + 4, la) != 0 || bft_proof_decode(&y, buf + 5 + la, lb) != 0)
		return BFT_EV_BAD_ENCODING;
	int rc = bft_evidence_make(ev, &x, &y);
	if (rc != BFT_EV_OK)
		return rc;
	/* make() put them in canonical order: it must be the order given. */
	uint8_t first[BFT_PROOF_V1_MAX];
	int lf = bft_proof_encode(first, sizeof first, &ev->a);
	if (lf != (int)la || memcmp(first, buf + 4, la) != 0)
		return BFT_EV_NOT_CANONICAL;
	return BFT_EV_OK;
}

int bft_evidence_verify(const bft_evidence *ev)
{
	return bft_proof_verify_key(&ev->a, ev->b.pub) == 0 && bft_proof_verify_key(&ev->b, ev->a.pub) == 0
	               ? BFT_EV_OK
	               : BFT_EV_BAD_SIG;
}

int bft_evidence_id(uint8_t out[BFT_PROOF_HASH], const bft_evidence *ev)
{
	uint8_t buf[BFT_EVIDENCE_MAX];
	int len = bft_evidence_encode(buf, sizeof buf, ev);
	if (len < 0)
		return len;
	return bft_sha3_256(out, buf, (size_t)len);
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
	case BFT_EV_BAD_ENCODING: return "not evidence: \"BE\", version 1, then two length-prefixed canonical proofs";
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
