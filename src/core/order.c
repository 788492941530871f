/* SPDX-License-Identifier: MIT */
/*
 * Introsort and introselect, instantiated for int64_t and double from one
 * template so both types share a single, tested implementation. Doubles must
 * not be NaN (callers reject NaN input at their boundary).
 *
 * Selection has its own partitions, tuned for what dominates the profile: the
 * median of a few thousand random-looking doubles (the discipline's Theil-Sen
 * over 64 samples: the median of 2016 pair slopes, then of 64 residuals, on
 * every fit). There the sort's Hoare partition spends most of its time in
 * mispredicted branches, as whether the next element is below the pivot is a
 * coin flip. Selection instead
 *
 *   - partitions branch-free: Lomuto's scheme with the comparison's result
 *     added to the write index, so the loop has no data-dependent branch (the
 *     point of BlockQuicksort, Edelkamp & Weiss, ESA 2016, made with the
 *     simpler one-sided scheme); about 0.75 ns per element, where a Hoare
 *     pass on fresh random data costs about 3 ns;
 *   - on large ranges, takes two pivots from a sample just below and just
 *     above the k-th (Floyd & Rivest, "Algorithm 489: SELECT", CACM 18(3),
 *     1975), so that one pass over the range and one over the side holding k
 *     leave a narrow band: n + min(k, n - k) element visits plus the band's
 *     and the sample's (2.2n in all for the median of 2016, 1.9n of 12000),
 *     where a quickselect needs 2.4n (ninther) to 2.8n (median of 3);
 *   - on smaller ranges, takes one pivot: the median of 3 or the median of 3
 *     medians of 3 (Tukey's ninther; Bentley & McIlroy, "Engineering a sort
 *     function", SP&E 1993).
 *
 * Measured on fresh random inputs (AMD EPYC, gcc 12 -O2), the
 * median of 2016 pair slopes takes 4.8x less time than with the sort's
 * partition, of 64 doubles 2.9x, of 12000 7x. The value returned is the
 * k-th by value, whatever the algorithm, so results are bit for bit those of
 * the old quickselect; only the order left in a[] differs.
 *
 * The depth limit is kept: a step of the loop costs O(range), and after
 * 2 log2(n) + 2 of them the rest is heapsorted, so Byzantine inputs built to
 * defeat the sample or the ninther (tests/unit/test_interval.c has one) still
 * cost O(n log n).
 */
#include <math.h>
#include <stdbool.h>

#include "order.h"

#define INSERTION_MAX 16
/* Selection stops partitioning at this many elements (insertion sort). */
#define SELECT_SMALL 4
/* Below this many elements the single pivot is the median of 3, not 9. */
#define NINTHER_MIN 64
/* From this many elements on, the two pivots come from a sample. Below it the
 * sample's own selection costs more than its narrower band saves (measured:
 * break-even between 1000 and 2000 elements). */
#define SAMPLE_MIN 1024

static unsigned depth_limit(size_t n)
{
	unsigned d = 0;
	while (n > 1) {
		n >>= 1;
		d++;
	}
	return 2 * d + 2;
}

/*
 * The sample for a range of m elements and the half-width of the band around
 * the target's rank in it: Floyd and Rivest's size, m^(2/3) / 2 (80 of 2016),
 * and one standard deviation of the target's sample rank (plus 1). So narrow a
 * band misses k a quarter of the time, but a miss is cheap: k is then near an
 * end of the part that remains, which the next sample pins (measured best of
 * 1 to 3 deviations and of sizes m^(2/3) / 4 to 2 m^(2/3)).
 */
static size_t sample_size(size_t m)
{
	double dm = (double)m;
	return (size_t)(0.5 * cbrt(dm * dm));
}

static size_t sample_delta(size_t s, size_t ks)
{
	return (size_t)sqrt((double)ks * (double)(s - ks) / (double)s) + 1;
}

#define BFT_DEFINE_ORDER(SUF, T)                                                     \
	static void swap_##SUF(T *a, size_t i, size_t j)                             \
	{                                                                            \
		T t = a[i];                                                          \
		a[i] = a[j];                                                         \
		a[j] = t;                                                            \
	}                                                                            \
                                                                                     \
	static void insertion_##SUF(T *a, size_t n)                                  \
	{                                                                            \
		for (size_t i = 1; i < n; i++) {                                     \
			T v = a[i];                                                  \
			size_t j = i;                                                \
			while (j > 0 && a[j - 1] > v) {                              \
				a[j] = a[j - 1];                                     \
				j--;                                                 \
			}                                                            \
			a[j] = v;                                                    \
		}                                                                    \
	}                                                                            \
                                                                                     \
	static void sift_##SUF(T *a, size_t root, size_t n)                          \
	{                                                                            \
		for (;;) {                                                           \
			size_t c = 2 * root + 1;                                     \
			if (c >= n)                                                  \
				return;                                              \
			if (c + 1 < n && a[c + 1] > a[c])                            \
				c++;                                                 \
			if (!(a[c] > a[root]))                                       \
				return;                                              \
			swap_##SUF(a, root, c);                                      \
			root = c;                                                    \
		}                                                                    \
	}                                                                            \
                                                                                     \
	static void heapsort_##SUF(T *a, size_t n)                                   \
	{                                                                            \
		for (size_t i = n / 2; i-- > 0;)                                     \
			sift_##SUF(a, i, n);                                         \
		for (size_t end = n; end-- > 1;) {                                   \
			swap_##SUF(a, 0, end);                                       \
			sift_##SUF(a, 0, end);                                       \
		}                                                                    \
	}                                                                            \
                                                                                     \
	/* Hoare partition around the median of three; returns the split j:       \
	 * a[0..j] <= pivot <= a[j+1..n-1], with 0 <= j < n-1. */                    \
	static size_t partition_##SUF(T *a, size_t n)                                \
	{                                                                            \
		size_t m = n / 2;                                                    \
		if (a[m] < a[0])                                                     \
			swap_##SUF(a, m, 0);                                         \
		if (a[n - 1] < a[0])                                                 \
			swap_##SUF(a, n - 1, 0);                                     \
		if (a[n - 1] < a[m])                                                 \
			swap_##SUF(a, n - 1, m);                                     \
		T p = a[m];                                                          \
		size_t i = 0, j = n - 1;                                             \
		for (;;) {                                                           \
			while (a[i] < p)                                             \
				i++;                                                 \
			while (p < a[j])                                             \
				j--;                                                 \
			if (i >= j)                                                  \
				return j;                                            \
			swap_##SUF(a, i, j);                                         \
			i++;                                                         \
			j--;                                                         \
		}                                                                    \
	}                                                                            \
                                                                                     \
	static void introsort_##SUF(T *a, size_t n, unsigned depth)                  \
	{                                                                            \
		while (n > INSERTION_MAX) {                                          \
			if (depth-- == 0) {                                          \
				heapsort_##SUF(a, n);                                \
				return;                                              \
			}                                                            \
			size_t j = partition_##SUF(a, n) + 1;                        \
			/* Recurse on the smaller side to bound the stack. */        \
			if (j < n - j) {                                             \
				introsort_##SUF(a, j, depth);                        \
				a += j;                                              \
				n -= j;                                              \
			} else {                                                     \
				introsort_##SUF(a + j, n - j, depth);                \
				n = j;                                               \
			}                                                            \
		}                                                                    \
		insertion_##SUF(a, n);                                               \
	}                                                                            \
                                                                                     \
	void bft_sort_##SUF(T *a, size_t n)                                          \
	{                                                                            \
		if (n > 1)                                                           \
			introsort_##SUF(a, n, depth_limit(n));                       \
	}                                                                            \
                                                                                     \
	/* Branch-free Lomuto partition: move the elements < p (or <= p, upto) to   \
	 * the front, in any order, and return their count. Every element is        \
	 * swapped with the first of the rest: when it is not below p both stay in  \
	 * the rest, a harmless swap that costs less than the mispredicted branch   \
	 * that would skip it. Loading both before storing either measured 10-15%   \
	 * faster than the textbook order. */                                       \
	static inline size_t part_##SUF(T *a, size_t n, T p, bool upto)            \
	{                                                                            \
		size_t j = 0;                                                        \
		for (size_t i = 0; i < n; i++) {                                     \
			T x = a[i], y = a[j];                                        \
			a[j] = x;                                                    \
			a[i] = y;                                                    \
			j += (size_t)((x < p) | (upto & (x == p)));                  \
		}                                                                    \
		return j;                                                            \
	}                                                                            \
                                                                                     \
	static T med3_##SUF(T x, T y, T z)                                           \
	{                                                                            \
		T lo = x < y ? x : y, hi = x < y ? y : x;                            \
		T t = hi < z ? hi : z;                                               \
		return lo < t ? t : lo;                                              \
	}                                                                            \
                                                                                     \
	/* One pivot: the median of the quartiles, or from NINTHER_MIN elements      \
	 * the median of 3 medians of 3 spread over the range. Not the first,        \
	 * middle and last element: after a Lomuto pass the upper part of a          \
	 * descending run has its least elements first and last, so such pivots      \
	 * shrank reversed input by about 2 per step, into the depth limit. */       \
	static T pivot_##SUF(const T *b, size_t m)                                   \
	{                                                                            \
		if (m < NINTHER_MIN)                                                 \
			return med3_##SUF(b[m / 4], b[m / 2], b[3 * m / 4]);         \
		size_t e = m / 8;                                                    \
		T x = med3_##SUF(b[0], b[e], b[2 * e]);                              \
		T y = med3_##SUF(b[3 * e], b[4 * e], b[5 * e]);                      \
		T z = med3_##SUF(b[6 * e], b[7 * e], b[m - 1]);                      \
		return med3_##SUF(x, y, z);                                          \
	}                                                                            \
                                                                                     \
	/*                                                                           \
	 * Introselect as a loop over the range [lo, hi) that holds position k:      \
	 * each step partitions it and keeps the part holding k. A part below or     \
	 * above a pivot excludes the pivot itself (taken from the range), so it     \
	 * is smaller; a band between two pivots may not be, and then the next       \
	 * step is a single pivot's; a range of equal values returns at once. On     \
	 * return a[lo..k) <= a[k] <= a(k..hi) by the partitions and the final       \
	 * insertion sort, and everything left of lo (right of hi) is <= (>=)        \
	 * all of the range: the documented postcondition.                           \
	 */                                                                          \
	T bft_select_##SUF(T *a, size_t n, size_t k)                                 \
	{                                                                            \
		size_t lo = 0, hi = n;                                               \
		unsigned depth = depth_limit(n);                                     \
		bool sample = true;                                                  \
		while (hi - lo > SELECT_SMALL) {                                     \
			if (depth-- == 0) {                                          \
				heapsort_##SUF(a + lo, hi - lo);                     \
				return a[k];                                         \
			}                                                            \
			size_t m = hi - lo, r = k - lo;                              \
			T *b = a + lo;                                               \
			if (!sample || m < SAMPLE_MIN) {                             \
				T p = pivot_##SUF(b, m);                             \
				size_t j = lo + part_##SUF(b, m, p, false);                \
				if (k < j) {                                         \
					hi = j;                                      \
				} else if (j > lo) {                                 \
					lo = j;                                      \
				} else {                                             \
					/* p is the least: split off its equals. */  \
					j = lo + part_##SUF(b, m, p, true);                \
					if (k < j)                                   \
						return a[k];                         \
					lo = j;                                      \
				}                                                    \
				continue;                                            \
			}                                                            \
			/* Floyd-Rivest: a strided sample at the front of the range, \
			 * then pivots pl <= ph at ranks d either side of k's rank   \
			 * in it. Selecting kl within the kh smallest leaves ph in   \
			 * place. Strided, not contiguous: callers' arrays have      \
			 * structure (pair slopes come row by row). */               \
			size_t s = sample_size(m), step = m / s;                     \
			for (size_t i = 1; i < s; i++)                               \
				swap_##SUF(b, i, i * step);                          \
			size_t ks = (size_t)((double)r * (double)s / (double)m);     \
			size_t d = sample_delta(s, ks);                              \
			size_t kl = ks > d ? ks - d : 0;                             \
			size_t kh = ks + d < s ? ks + d : s - 1;                     \
			T ph = bft_select_##SUF(b, s, kh);                           \
			T pl = kl < kh ? bft_select_##SUF(b, kh, kl) : ph;           \
			/* Three parts, [lo, j0) < pl <= [j0, j1) <= ph < [j1, hi):  \
			 * a pass over the range, then one over the side holding k,  \
			 * the smaller side for a k off the middle. */               \
			size_t j0, j1;                                               \
			if (r < m / 2) {                                             \
				j1 = lo + part_##SUF(b, m, ph, true);                      \
				if (k >= j1) {                                       \
					lo = j1;                                     \
					continue;                                    \
				}                                                    \
				j0 = lo + part_##SUF(b, j1 - lo, pl, false);               \
				if (k < j0) {                                        \
					hi = j0;                                     \
					continue;                                    \
				}                                                    \
			} else {                                                     \
				j0 = lo + part_##SUF(b, m, pl, false);                     \
				if (k < j0) {                                        \
					hi = j0;                                     \
					continue;                                    \
				}                                                    \
				j1 = j0 + part_##SUF(a + j0, hi - j0, ph, true);           \
				if (k >= j1) {                                       \
					lo = j1;                                     \
					continue;                                    \
				}                                                    \
			}                                                            \
			if (!(pl < ph))                                              \
				return a[k]; /* the band is all equal */             \
			/* A band that is the whole range (few distinct values)      \
			 * would not shrink: single pivots from here on. */          \
			sample = j1 - j0 < m;                                        \
			lo = j0;                                                     \
			hi = j1;                                                     \
		}                                                                    \
		insertion_##SUF(a + lo, hi - lo);                                    \
		return a[k];                                                         \
	}

BFT_DEFINE_ORDER(i64, int64_t)
BFT_DEFINE_ORDER(f64, double)
