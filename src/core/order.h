/* SPDX-License-Identifier: MIT */
/*
 * Private ordering primitives of the core: in-place sort and k-th element
 * selection for int64_t and double arrays.
 *
 * Why not qsort: the fusion functions must run within a small factor of a
 * qsort baseline on 10,000 readings, and an inlined comparison is 2-3x faster
 * than qsort's callback. Why introsort/introselect: readings come from
 * Byzantine peers who may choose values to drive a naive quicksort or
 * quickselect into O(n^2); the depth limit falls back to heapsort, keeping
 * O(n log n) worst case whatever the input.
 */
#ifndef BFTIME_CORE_ORDER_H
#define BFTIME_CORE_ORDER_H

#include <stddef.h>
#include <stdint.h>

void bft_sort_i64(int64_t *a, size_t n);
void bft_sort_f64(double *a, size_t n);

/*
 * Reorder a so that a[k] is the value a sorted array would hold there, every
 * a[i < k] <= a[k] and every a[i > k] >= a[k]; returns a[k]. Requires k < n.
 * Average O(n), worst case O(n log n).
 */
int64_t bft_select_i64(int64_t *a, size_t n, size_t k);
double bft_select_f64(double *a, size_t n, size_t k);

#endif
