/* SPDX-License-Identifier: MIT */
/*
 * The Nakamoto chain's codec (chain_wire.h): statements, blocks, their
 * signatures, SHA3-256 hashes and proof-of-work check. Fixed big-endian
 * layouts, as for proofs (proof.c), because blocks are hashed as bytes: one
 * encoding per block is what makes "the same block" mean the same hash on
 * every node. The decoder handles hostile bytes from gossip and has a
 * libFuzzer target (tests/fuzz/fuzz_chain.c).
 *
 * Why SHA3-256: it is already the project's one hash (proofs), it is in
 * OpenSSL's libcrypto (no new dependency), it has no length extension (so
 * Bitcoin's double hashing is unnecessary), and no shortcut to partial
 * preimages is known, which is all proof of work needs. It also keeps the
 * chain out of reach of the SHA-256d hash power built for Bitcoin: an
 * attacker could rent a sliver of that and outmine a small time network.
 */
#include "proto/chain_wire.h"
#include "proto/bytes.h"

#include <string.h>

#include "proto/proof.h"

static const uint8_t magic[2] = { 'B', 'K' };
static const char stmt_tag[] = "bftime chain statement v1";

const char *bft_block_strerror(int err)
{
	switch (err) {
	case BFT_BLK_OK: return "ok";
	case BFT_BLK_ELEN: return "block length does not match its statement count";
	case BFT_BLK_EMAGIC: return "not a block (bad magic)";
	case BFT_BLK_EVERSION: return "unknown block version";
	case BFT_BLK_ECOUNT: return "too many statements";
	case BFT_BLK_EFIELD: return "header field out of range";
	case BFT_BLK_EREF: return "unknown or non-canonical reference";
	case BFT_BLK_ESTMT: return "statement field out of range";
	case BFT_BLK_EORDER: return "statements not strictly sorted";
	case BFT_BLK_EROOT: return "statement root does not match";
	case BFT_BLK_EHASH: return "hashing failed";
	case BFT_BLK_EINVAL: return "invalid argument";
	default: return "unknown block error";
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

bool bft_cref_valid(const bft_cref *r)
{
	if (!r)
		return false;
	switch (r->kind) {
	case BFT_CREF_GNSS:
		return r->id[0] >= BFT_GNSS_GPS && r->id[0] <= BFT_GNSS_BEIDOU && all_zero(r->id + 1, BFT_CREF_ID - 1);
	case BFT_CREF_NTP:
		return !all_zero(r->id, BFT_CREF_ID);
	case BFT_CREF_SOLAR:
		return !all_zero(r->id, 4) && all_zero(r->id + 4, BFT_CREF_ID - 4);
	case BFT_CREF_SIM:
		return all_zero(r->id + 4, BFT_CREF_ID - 4);
	default:
		return false;
	}
}

bool bft_cref_equal(const bft_cref *a, const bft_cref *b)
{
	return a->kind == b->kind && memcmp(a->id, b->id, BFT_CREF_ID) == 0;
}

const char *bft_cref_kind_name(uint8_t kind)
{
	static const char *const kinds[] = { "?", "gnss", "ntp", "solar", "simulated" };
	return kind < sizeof kinds / sizeof kinds[0] ? kinds[kind] : "?";
}

bool bft_cref_solar(bft_cref *r, int64_t centre_hz)
{
	int64_t khz = centre_hz / 1000;
	if (!r || khz <= 0 || khz > UINT32_MAX)
		return false;
	memset(r, 0, sizeof *r);
	r->kind = BFT_CREF_SOLAR;
	bft_be_put(r->id, (uint64_t)khz, 4);
	return true;
}

static bool in_range(int64_t v)
{
	return v >= -BFT_STMT_OFFSET_MAX && v <= BFT_STMT_OFFSET_MAX;
}

bool bft_stmt_valid(const bft_stmt *s)
{
	return s && bft_cref_valid(&s->ref) && in_range(s->offset_ns) && in_range(s->local_ns) && s->unc_ns >= 0 &&
	       s->unc_ns <= BFT_STMT_UNC_MAX;
}

int bft_stmt_cmp(const bft_stmt *a, const bft_stmt *b)
{
	if (a->node_id != b->node_id)
		return a->node_id < b->node_id ? -1 : 1;
	if (a->ref.kind != b->ref.kind)
		return a->ref.kind < b->ref.kind ? -1 : 1;
	int c = memcmp(a->ref.id, b->ref.id, BFT_CREF_ID);
	if (c)
		return c < 0 ? -1 : 1;
	if (a->local_ns != b->local_ns)
		return a->local_ns < b->local_ns ? -1 : 1;
	return 0;
}

static const uint8_t *get_bytes(void *dst, const uint8_t *q, size_t n)
{
	memcpy(dst, q, n);
	return q + n;
}

/* The signed part of a statement (everything but the signature). */
static uint8_t *stmt_put_signed(uint8_t *q, const bft_stmt *s)
{
	q = bft_be_put(q, s->node_id, 4);
	q = bft_be_put(q, s->ref.kind, 1);
	q = bft_be_put_bytes(q, s->ref.id, BFT_CREF_ID);
	q = bft_be_put(q, (uint64_t)s->offset_ns, 8);
	q = bft_be_put(q, (uint64_t)s->unc_ns, 8);
	return bft_be_put(q, (uint64_t)s->local_ns, 8);
}

size_t bft_stmt_message(uint8_t out[BFT_STMT_MSG_MAX], const bft_stmt *s)
{
	uint8_t *q = bft_be_put_bytes(out, stmt_tag, sizeof stmt_tag); /* the NUL ends the tag unambiguously */
	q = stmt_put_signed(q, s);
	return (size_t)(q - out);
}

int bft_stmt_sign(bft_stmt *s, const bft_signer *signer)
{
	if (!s || !signer || !signer->sign || signer->sig_len == 0 || signer->sig_len > BFT_STMT_SIG ||
	    !bft_stmt_valid(s))
		return BFT_EINVAL;
	uint8_t msg[BFT_STMT_MSG_MAX], sig[BFT_STMT_SIG] = { 0 };
	size_t len = bft_stmt_message(msg, s);
	int rc = signer->sign(signer->ctx, s->node_id, msg, len, sig);
	if (rc < 0)
		return rc;
	memcpy(s->sig, sig, sizeof sig);
	return 0;
}

int bft_stmt_verify(const bft_stmt *s, const bft_signer *signer)
{
	if (!s || !signer || !signer->verify || signer->sig_len == 0 || signer->sig_len > BFT_STMT_SIG ||
	    !bft_stmt_valid(s))
		return BFT_EINVAL;
	/* The padding is part of the hashed block: a signature that verifies
	 * with junk after it would give one statement many encodings. */
	if (!all_zero(s->sig + signer->sig_len, BFT_STMT_SIG - signer->sig_len))
		return BFT_EINVAL;
	uint8_t msg[BFT_STMT_MSG_MAX];
	size_t len = bft_stmt_message(msg, s);
	return signer->verify(signer->ctx, s->node_id, msg, len, s->sig, signer->sig_len) == 0 ? 0 : BFT_EINVAL;
}

/* One statement alone (the node's statement datagrams): the block's
 * statement encoding, so there is one. */
int bft_stmt_encode(uint8_t out[BFT_STMT_LEN], const bft_stmt *s)
{
	if (!out || !s)
		return BFT_BLK_EINVAL;
	if (!bft_stmt_valid(s))
		return bft_cref_valid(&s->ref) ? BFT_BLK_ESTMT : BFT_BLK_EREF;
	uint8_t *q = stmt_put_signed(out, s);
	bft_be_put_bytes(q, s->sig, BFT_STMT_SIG);
	return BFT_STMT_LEN;
}

int bft_stmt_decode(bft_stmt *s, const uint8_t *buf, size_t len)
{
	if (!s || !buf)
		return BFT_BLK_EINVAL;
	if (len != BFT_STMT_LEN)
		return BFT_BLK_ELEN;
	const uint8_t *q = buf;
	s->node_id = (uint32_t)bft_be_get(&q, 4);
	s->ref.kind = (uint8_t)bft_be_get(&q, 1);
	q = get_bytes(s->ref.id, q, BFT_CREF_ID);
	s->offset_ns = (int64_t)bft_be_get(&q, 8);
	s->unc_ns = (int64_t)bft_be_get(&q, 8);
	s->local_ns = (int64_t)bft_be_get(&q, 8);
	get_bytes(s->sig, q, BFT_STMT_SIG);
	if (!bft_cref_valid(&s->ref))
		return BFT_BLK_EREF;
	return bft_stmt_valid(s) ? 0 : BFT_BLK_ESTMT;
}

size_t bft_block_size(const bft_block *b)
{
	size_t n = b && b->h.n_stmts <= BFT_BLOCK_MAX_STMTS ? b->h.n_stmts : 0;
	return BFT_BLOCK_HDR_LEN + n * BFT_STMT_LEN;
}

void bft_block_hdr_encode(uint8_t out[BFT_BLOCK_HDR_LEN], const bft_block_hdr *h)
{
	uint8_t *q = bft_be_put_bytes(out, magic, sizeof magic);
	q = bft_be_put(q, h->version, 1);
	q = bft_be_put(q, h->n_stmts, 1);
	q = bft_be_put(q, h->miner_id, 4);
	q = bft_be_put(q, h->height, 8);
	q = bft_be_put_bytes(q, h->parent, BFT_BLOCK_HASH);
	q = bft_be_put(q, (uint64_t)h->time_ns, 8);
	q = bft_be_put(q, h->difficulty, 8);
	q = bft_be_put(q, h->nonce, 8);
	bft_be_put_bytes(q, h->stmt_root, BFT_BLOCK_HASH);
}

static int stmts_root(uint8_t out[BFT_BLOCK_HASH], const bft_stmt *s, size_t n)
{
	uint8_t buf[BFT_BLOCK_MAX_STMTS * BFT_STMT_LEN];
	uint8_t *q = buf;
	for (size_t i = 0; i < n; i++) {
		q = stmt_put_signed(q, &s[i]);
		q = bft_be_put_bytes(q, s[i].sig, BFT_STMT_SIG);
	}
	return bft_sha3_256(out, buf, (size_t)(q - buf)) == 0 ? 0 : BFT_BLK_EHASH;
}

int bft_block_seal(bft_block *b)
{
	if (!b || b->h.n_stmts > BFT_BLOCK_MAX_STMTS)
		return BFT_BLK_EINVAL;
	return stmts_root(b->h.stmt_root, b->stmts, b->h.n_stmts);
}

int bft_block_hdr_check(const bft_block_hdr *h)
{
	if (!h)
		return BFT_BLK_EINVAL;
	if (h->version != BFT_BLOCK_VERSION)
		return BFT_BLK_EVERSION;
	if (h->n_stmts > BFT_BLOCK_MAX_STMTS)
		return BFT_BLK_ECOUNT;
	if (h->height == 0 || h->height > (uint64_t)INT64_MAX || h->difficulty == 0 || !in_range(h->time_ns))
		return BFT_BLK_EFIELD;
	return BFT_BLK_OK;
}

/* Every context-free rule; the root is checked separately (it costs a hash). */
static int check_block(const bft_block *b)
{
	int rc = bft_block_hdr_check(&b->h);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < b->h.n_stmts; i++) {
		if (!bft_cref_valid(&b->stmts[i].ref))
			return BFT_BLK_EREF;
		if (!bft_stmt_valid(&b->stmts[i]))
			return BFT_BLK_ESTMT;
		if (i > 0 && bft_stmt_cmp(&b->stmts[i - 1], &b->stmts[i]) >= 0)
			return BFT_BLK_EORDER;
	}
	return BFT_BLK_OK;
}

static int check_root(const bft_block *b)
{
	uint8_t root[BFT_BLOCK_HASH];
	int rc = stmts_root(root, b->stmts, b->h.n_stmts);
	if (rc < 0)
		return rc;
	return memcmp(root, b->h.stmt_root, BFT_BLOCK_HASH) == 0 ? BFT_BLK_OK : BFT_BLK_EROOT;
}

int bft_block_check(const bft_block *b)
{
	if (!b)
		return BFT_BLK_EINVAL;
	int rc = check_block(b);
	return rc < 0 ? rc : check_root(b);
}

int bft_block_encode(uint8_t *buf, size_t cap, const bft_block *b)
{
	if (!buf || !b)
		return BFT_BLK_EINVAL;
	int rc = check_block(b);
	if (rc == BFT_BLK_OK)
		rc = check_root(b);
	if (rc < 0)
		return rc;
	size_t len = bft_block_size(b);
	if (cap < len)
		return BFT_BLK_EINVAL;
	bft_block_hdr_encode(buf, &b->h);
	uint8_t *q = buf + BFT_BLOCK_HDR_LEN;
	for (size_t i = 0; i < b->h.n_stmts; i++) {
		q = stmt_put_signed(q, &b->stmts[i]);
		q = bft_be_put_bytes(q, b->stmts[i].sig, BFT_STMT_SIG);
	}
	return (int)len;
}

/* The header's fields from its 104 bytes (buf holds at least that many;
 * the magic is checked by the callers). */
static const uint8_t *get_hdr(bft_block_hdr *h, const uint8_t *buf)
{
	const uint8_t *q = buf + sizeof magic;
	h->version = (uint8_t)bft_be_get(&q, 1);
	h->n_stmts = (uint8_t)bft_be_get(&q, 1);
	h->miner_id = (uint32_t)bft_be_get(&q, 4);
	h->height = bft_be_get(&q, 8);
	q = get_bytes(h->parent, q, BFT_BLOCK_HASH);
	h->time_ns = (int64_t)bft_be_get(&q, 8);
	h->difficulty = bft_be_get(&q, 8);
	h->nonce = bft_be_get(&q, 8);
	return get_bytes(h->stmt_root, q, BFT_BLOCK_HASH);
}

int bft_block_hdr_decode(bft_block_hdr *h, const uint8_t *buf, size_t len)
{
	if (!h || (!buf && len))
		return BFT_BLK_EINVAL;
	if (len != BFT_BLOCK_HDR_LEN)
		return BFT_BLK_ELEN;
	if (memcmp(buf, magic, sizeof magic) != 0)
		return BFT_BLK_EMAGIC;
	get_hdr(h, buf);
	return bft_block_hdr_check(h);
}

int bft_block_decode(bft_block *b, const uint8_t *buf, size_t len)
{
	if (!b || (!buf && len))
		return BFT_BLK_EINVAL;
	if (len < BFT_BLOCK_HDR_LEN)
		return BFT_BLK_ELEN;
	if (memcmp(buf, magic, sizeof magic) != 0)
		return BFT_BLK_EMAGIC;
	bft_block_hdr *h = &b->h;
	const uint8_t *q = get_hdr(h, buf);
	if (h->version != BFT_BLOCK_VERSION)
		return BFT_BLK_EVERSION;
	if (h->n_stmts > BFT_BLOCK_MAX_STMTS)
		return BFT_BLK_ECOUNT;
	/* The length follows from the count: checked before any statement is read. */
	if (len != BFT_BLOCK_HDR_LEN + (size_t)h->n_stmts * BFT_STMT_LEN)
		return BFT_BLK_ELEN;
	for (size_t i = 0; i < h->n_stmts; i++) {
		bft_stmt *s = &b->stmts[i];
		s->node_id = (uint32_t)bft_be_get(&q, 4);
		s->ref.kind = (uint8_t)bft_be_get(&q, 1);
		q = get_bytes(s->ref.id, q, BFT_CREF_ID);
		s->offset_ns = (int64_t)bft_be_get(&q, 8);
		s->unc_ns = (int64_t)bft_be_get(&q, 8);
		s->local_ns = (int64_t)bft_be_get(&q, 8);
		q = get_bytes(s->sig, q, BFT_STMT_SIG);
	}
	int rc = check_block(b);
	return rc < 0 ? rc : check_root(b);
}

int bft_block_hash(uint8_t out[BFT_BLOCK_HASH], const bft_block_hdr *h)
{
	uint8_t buf[BFT_BLOCK_HDR_LEN];
	if (!out || !h)
		return BFT_BLK_EINVAL;
	bft_block_hdr_encode(buf, h);
	return bft_sha3_256(out, buf, sizeof buf) == 0 ? 0 : BFT_BLK_EHASH;
}

bool bft_work_meets(const uint8_t hash[BFT_BLOCK_HASH], uint64_t difficulty)
{
	__extension__ typedef unsigned __int128 u128;
	if (difficulty == 0)
		return false;
	/* hash * D as 4 64-bit limbs from the least significant; it fits in
	 * 256 bits iff no carry leaves the top limb. */
	u128 carry = 0;
	for (int limb = 3; limb >= 0; limb--) {
		uint64_t w = 0;
		for (int i = 0; i < 8; i++)
			w = w << 8 | hash[limb * 8 + i];
		carry += (u128)w * difficulty;
		carry >>= 64;
	}
	return carry == 0;
}

int bft_block_mine(bft_block_hdr *h, uint64_t max_tries)
{
	uint8_t hash[BFT_BLOCK_HASH];
	for (uint64_t i = 0; i < max_tries; i++, h->nonce++) {
		if (bft_block_hash(hash, h) < 0)
			return BFT_BLK_EHASH;
		if (bft_work_meets(hash, h->difficulty))
			return 1;
	}
	return 0;
}
