/* SPDX-License-Identifier: MIT */
/*
 * Introsort and introselect, instantiated for int64_t and double from one
 * template so both types share a single, tested implementation. Doubles must
 * not be NaN (callers reject NaN input at their boundary).
 */
#include "order.h"

#define INSERTION_MAX 16

static unsigned depth_limit(size_t n)
{
	unsigned d = 0;
	while (n > 1) {
		n >>= 1;
		d++;
	}
	return 2 * d + 2;
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
	T bft_select_##SUF(T *a, size_t n, size_t k)                                 \
	{                                                                            \
		T *base = a;                                                         \
		size_t lo = 0, hi = n; /* a[k] lies in [lo, hi) */                  \
		unsigned depth = depth_limit(n);                                     \
		while (hi - lo > INSERTION_MAX) {                                    \
			if (depth-- == 0) {                                          \
				heapsort_##SUF(base + lo, hi - lo);                  \
				return base[k];                                      \
			}                                                            \
			size_t j = lo + partition_##SUF(base + lo, hi - lo) + 1;     \
			if (k < j)                                                   \
				hi = j;                                              \
			else                                                         \
				lo = j;                                              \
		}                                                                    \
		insertion_##SUF(base + lo, hi - lo);                                 \
		return base[k];                                                      \
	}

BFT_DEFINE_ORDER(i64, int64_t)
BFT_DEFINE_ORDER(f64, double)
