/* SPDX-License-Identifier: MIT */
/*
 * Slope-selection machinery (see regress_arr.h for the idea and the
 * exactness argument): orders of the points by y - t x via LSD radix sort,
 * inversion counting with a Fenwick tree, and sampling or listing the pairs
 * that are inversions between two orders.
 *
 * Why radix sort: every round of the fast estimators sorts n keys twice, and
 * a stable radix sort is O(n) with no comparisons to mispredict; being
 * stable, it also applies the tie-breaking order for free by sorting an
 * array that is already in that order.
 */
#include <math.h>
#include <string.h>

#include "regress_arr.h"
#include "regress_ref.h"

double bft_slope_down(double t)
{
	if (isinf(t))
		return t;
	/* 2^-49 = 16u relative, against an error of at most 3.01u plus the
	 * rounding of this subtraction; 2^-1070 covers the underflow term. */
	return t - (fabs(t) * 0x1p-49 + 0x1p-1070);
}

double bft_slope_up(double t)
{
	if (isinf(t))
		return t;
	return t + (fabs(t) * 0x1p-49 + 0x1p-1070);
}

/* Order-preserving map of a non-NaN double to uint64 (-0 and +0 are one). */
static inline uint64_t key_bits(double d)
{
	d += 0.0;
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return (u >> 63) ? ~u : (u | UINT64_C(0x8000000000000000));
}

static size_t round8(size_t b) { return (b + 7) & ~(size_t)7; }

size_t bft_arr_bytes(size_t n)
{
	return round8(2 * n * sizeof(uint64_t)) + round8(5 * n * sizeof(uint32_t)) + round8((2 * n + 2) * sizeof(uint32_t)) +
	       round8(n * sizeof(uint32_t));
}

size_t bft_bracket_bytes(size_t n, bool per_point)
{
	return round8((per_point ? 6 : 4) * n * sizeof(uint32_t));
}

static void *carve(unsigned char **mem, size_t bytes)
{
	void *p = *mem;
	*mem += round8(bytes);
	return p;
}

/*
 * Stable sort of ids[0..n) by k[0..n) (k[p] is the key of ids[p]), 8 bits a
 * pass, skipping the passes whose byte is the same for every key (most of
 * them for keys of similar magnitude).
 */
static void radix_sort(bft_arr *a, uint32_t *ids, uint64_t *k, size_t n)
{
	if (n == 0)
		return;
	uint32_t hist[8][256];
	memset(hist, 0, sizeof hist);
	for (size_t p = 0; p < n; p++)
		for (int d = 0; d < 8; d++)
			hist[d][(k[p] >> (8 * d)) & 0xff]++;
	uint64_t *ks = k, *kd = (k == a->key) ? a->key2 : a->key;
	uint32_t *is = ids, *id = a->id2;
	for (int d = 0; d < 8; d++) {
		uint32_t *h = hist[d];
		if (h[(ks[0] >> (8 * d)) & 0xff] == n)
			continue;
		uint32_t sum = 0;
		for (int b = 0; b < 256; b++) {
			uint32_t c = h[b];
			h[b] = sum;
			sum += c;
		}
		for (size_t p = 0; p < n; p++) {
			uint32_t q = h[(ks[p] >> (8 * d)) & 0xff]++;
			kd[q] = ks[p];
			id[q] = is[p];
		}
		uint64_t *tk = ks;
		ks = kd;
		kd = tk;
		uint32_t *ti = is;
		is = id;
		id = ti;
	}
	if (is != ids)
		memcpy(ids, is, n * sizeof *ids);
}

static void ranks_of(const uint32_t *order, uint32_t *rank, size_t n)
{
	for (size_t p = 0; p < n; p++)
		rank[order[p]] = (uint32_t)p;
}

void bft_arr_init(bft_arr *a, const double *x, const double *y, size_t n, unsigned char **mem)
{
	a->n = n;
	a->x = x;
	a->y = y;
	a->key = carve(mem, n * sizeof(uint64_t));
	a->key2 = carve(mem, n * sizeof(uint64_t));
	uint32_t *u = carve(mem, 5 * n * sizeof(uint32_t));
	a->p0 = u;
	a->r0 = u + n;
	a->pinf = u + 2 * n;
	a->rinf = u + 3 * n;
	a->deg = u + 4 * n;
	a->bit = carve(mem, (2 * n + 2) * sizeof(uint32_t));
	a->id2 = carve(mem, n * sizeof(uint32_t));

	/* Two stable passes: by y, then by x (ascending for p0, descending for
	 * pinf), so ties in x are ordered by y then index in both. */
	for (int side = 0; side < 2; side++) {
		uint32_t *o = side ? a->pinf : a->p0;
		for (size_t i = 0; i < n; i++) {
			o[i] = (uint32_t)i;
			a->key[i] = key_bits(y[i]);
		}
		radix_sort(a, o, a->key, n);
		for (size_t p = 0; p < n; p++)
			a->key[p] = key_bits(side ? -x[o[p]] : x[o[p]]);
		radix_sort(a, o, a->key, n);
		ranks_of(o, side ? a->rinf : a->r0, n);
	}

	uint64_t twice = 0;
	for (size_t p = 0; p < n;) {
		size_t q = p + 1;
		while (q < n && x[a->p0[q]] == x[a->p0[p]])
			q++;
		for (size_t r = p; r < q; r++)
			a->deg[a->p0[r]] = (uint32_t)(n - (q - p));
		twice += (uint64_t)(q - p) * (n - (q - p));
		p = q;
	}
	a->pairs = twice / 2;
}

void bft_bracket_init(bft_bracket *b, size_t n, bool per_point, unsigned char **mem)
{
	uint32_t *u = carve(mem, (per_point ? 6 : 4) * n * sizeof(uint32_t));
	b->ol = u;
	b->rl = u + n;
	b->oh = u + 2 * n;
	b->rh = u + 3 * n;
	b->b_i = per_point ? u + 4 * n : NULL;
	b->a_i = per_point ? u + 5 * n : NULL;
}

void bft_bracket_open(const bft_arr *a, bft_bracket *b)
{
	size_t n = a->n;
	memcpy(b->ol, a->p0, n * sizeof(uint32_t));
	memcpy(b->rl, a->r0, n * sizeof(uint32_t));
	memcpy(b->oh, a->pinf, n * sizeof(uint32_t));
	memcpy(b->rh, a->rinf, n * sizeof(uint32_t));
	if (b->b_i) {
		memset(b->b_i, 0, n * sizeof(uint32_t));
		memset(b->a_i, 0, n * sizeof(uint32_t));
	}
	b->lo = -INFINITY;
	b->hi = INFINITY;
	b->below = b->above = 0;
	b->cand = a->pairs;
}

/* Fenwick tree over ranks 0..n-1 (stored at 1..n). */
static inline uint32_t bit_prefix(const uint32_t *bit, uint32_t r)
{
	uint32_t s = 0;
	for (uint32_t i = r; i > 0; i &= i - 1)
		s += bit[i];
	return s;
}

static inline void bit_add(uint32_t *bit, size_t n, uint32_t r)
{
	for (size_t i = (size_t)r + 1; i <= n; i += i & (0 - i))
		bit[i]++;
}

static size_t top_bit(size_t n)
{
	size_t t = 1;
	while (t * 2 <= n)
		t *= 2;
	return t;
}

/* Empty tree; the cells past n up to 2 top read as "too many", so that
 * bit_kth needs no bounds test. */
static void bit_reset(uint32_t *bit, size_t n)
{
	memset(bit, 0, (n + 1) * sizeof *bit);
	for (size_t i = n + 1; i < 2 * top_bit(n); i++)
		bit[i] = UINT32_MAX;
}

/* The rank of the (k+1)-th smallest rank in the tree. Branch-free: the
 * descent is data-dependent and would mispredict at every level. */
static inline uint32_t bit_kth(const uint32_t *bit, size_t top, uint32_t k)
{
	size_t pos = 0;
	uint32_t rem = k + 1;
	for (size_t step = top; step; step >>= 1) {
		uint32_t v = bit[pos + step];
		bool go = v < rem;
		pos += go ? step : 0;
		rem -= go ? v : 0;
	}
	return (uint32_t)pos;
}

/*
 * Pairs (u before v in seq, rank[u] > rank[v]); per[u], when set, gets the
 * number of such pairs u belongs to. One sweep: the elements ranked below u
 * that are not before u are after it.
 */
static uint64_t inversions(bft_arr *a, const uint32_t *seq, const uint32_t *rank, uint32_t *per)
{
	size_t n = a->n;
	uint32_t *bit = a->bit;
	bit_reset(bit, n);
	uint64_t total = 0;
	for (size_t p = 0; p < n; p++) {
		uint32_t u = seq[p], r = rank[u];
		uint32_t c = bit_prefix(bit, r);
		uint32_t left_greater = (uint32_t)p - c;
		total += left_greater;
		if (per)
			per[u] = left_greater + (r - c);
		bit_add(bit, n, r);
	}
	return total;
}

/* Order the points by fma(-t, x, y), ties in the order of base. */
static bool order_at(bft_arr *a, double t, const uint32_t *base, uint32_t *order, uint32_t *rank)
{
	size_t n = a->n;
	for (size_t p = 0; p < n; p++) {
		uint32_t e = base[p];
		double k = fma(-t, a->x[e], a->y[e]);
		if (!isfinite(k))
			return false;
		order[p] = e;
		a->key[p] = key_bits(k);
	}
	radix_sort(a, order, a->key, n);
	ranks_of(order, rank, n);
	return true;
}

bool bft_bracket_set(bft_arr *a, bft_bracket *b, double lo, double hi)
{
	size_t n = a->n;
	b->lo = lo;
	b->hi = hi;
	if (lo == -INFINITY) {
		memcpy(b->ol, a->p0, n * sizeof(uint32_t));
		memcpy(b->rl, a->r0, n * sizeof(uint32_t));
		if (b->b_i)
			memset(b->b_i, 0, n * sizeof(uint32_t));
		b->below = 0;
	} else {
		if (!order_at(a, bft_slope_down(lo), a->p0, b->ol, b->rl))
			return false;
		b->below = inversions(a, a->p0, b->rl, b->b_i);
	}
	if (hi == INFINITY) {
		memcpy(b->oh, a->pinf, n * sizeof(uint32_t));
		memcpy(b->rh, a->rinf, n * sizeof(uint32_t));
		if (b->a_i)
			memset(b->a_i, 0, n * sizeof(uint32_t));
		b->above = 0;
	} else {
		if (!order_at(a, bft_slope_up(hi), a->pinf, b->oh, b->rh))
			return false;
		b->above = inversions(a, b->oh, a->rinf, b->a_i);
	}
	/* The classes partition the pairs (regress_arr.h); lo <= hi keeps
	 * "below" and "above" disjoint. */
	b->cand = a->pairs - b->below - b->above;
	return true;
}

static inline double slope_of(const bft_arr *a, uint32_t u, uint32_t v)
{
	return bft_pair_slope(a->x[u], a->y[u], a->x[v], a->y[v]);
}

/*
 * Candidates are numbered in sweep order of ol: the pairs whose later point
 * is ol[p] come before those of ol[p+1]; within them, by rank in oh of the
 * earlier point.
 */
void bft_bracket_sample(bft_arr *a, const bft_bracket *b, const uint64_t *idx, size_t m, double *out)
{
	size_t n = a->n, top = top_bit(n), s = 0;
	uint32_t *bit = a->bit;
	bit_reset(bit, n);
	uint64_t cum = 0;
	for (size_t p = 0; p < n && s < m; p++) {
		uint32_t e = b->ol[p], r = b->rh[e];
		uint32_t c = bit_prefix(bit, r);
		uint64_t cl = (uint64_t)p - c; /* earlier points ranked above e at hi */
		while (s < m && idx[s] < cum + cl) {
			uint32_t j = (uint32_t)(idx[s] - cum);
			uint32_t v = b->oh[bit_kth(bit, top, c + j)];
			out[s++] = slope_of(a, e, v);
		}
		cum += cl;
		bit_add(bit, n, r);
	}
}

size_t bft_bracket_row(const bft_arr *a, const bft_bracket *b, uint32_t e, uint32_t *out)
{
	uint32_t le = b->rl[e], he = b->rh[e];
	size_t c = 0;
	for (size_t q = 0; q < a->n; q++) {
		/* Ranks are distinct, so for q != e this is "inverted"; for
		 * q == e both sides are false. */
		out[c] = (uint32_t)q;
		c += (b->rl[q] > le) != (b->rh[q] > he);
	}
	return c;
}

/*
 * Bottom-up merge sort of ol by rank in oh; when an element of a right run
 * overtakes the rest of the left run, each of those pairs is a candidate.
 * O(n log n + cand).
 */
void bft_bracket_list(bft_arr *a, const bft_bracket *b, uint32_t *cursor, double *out)
{
	size_t n = a->n, cnt = 0;
	uint64_t *w = a->key, *w2 = a->key2;
	for (size_t p = 0; p < n; p++) {
		uint32_t e = b->ol[p];
		w[p] = ((uint64_t)b->rh[e] << 32) | e;
	}
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi) {
				if (w[i] < w[j]) {
					w2[k++] = w[i++];
					continue;
				}
				uint32_t v = (uint32_t)w[j];
				if (!cursor) {
					for (size_t q = i; q < mid; q++)
						out[cnt++] = slope_of(a, (uint32_t)w[q], v);
				} else {
					for (size_t q = i; q < mid; q++) {
						uint32_t u = (uint32_t)w[q];
						if (cursor[u] == UINT32_MAX && cursor[v] == UINT32_MAX)
							continue;
						double sl = slope_of(a, u, v);
						if (cursor[u] != UINT32_MAX)
							out[cursor[u]++] = sl;
						if (cursor[v] != UINT32_MAX)
							out[cursor[v]++] = sl;
					}
				}
				w2[k++] = w[j++];
			}
			while (i < mid)
				w2[k++] = w[i++];
			while (j < hi)
				w2[k++] = w[j++];
		}
		uint64_t *t = w;
		w = w2;
		w2 = t;
	}
}

void bft_sort_u64(uint64_t *v, uint64_t *tmp, size_t m)
{
	uint32_t hist[8][256];
	memset(hist, 0, sizeof hist);
	for (size_t p = 0; p < m; p++)
		for (int d = 0; d < 8; d++)
			hist[d][(v[p] >> (8 * d)) & 0xff]++;
	uint64_t *src = v, *dst = tmp;
	for (int d = 0; d < 8 && m > 0; d++) {
		uint32_t *h = hist[d];
		if (h[(src[0] >> (8 * d)) & 0xff] == m)
			continue;
		uint32_t sum = 0;
		for (int k = 0; k < 256; k++) {
			uint32_t c = h[k];
			h[k] = sum;
			sum += c;
		}
		for (size_t p = 0; p < m; p++)
			dst[h[(src[p] >> (8 * d)) & 0xff]++] = src[p];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, m * sizeof *v);
}
