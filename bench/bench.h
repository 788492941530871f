/* SPDX-License-Identifier: MIT */
/*
 * A tiny benchmark harness: each case runs until it has enough repetitions
 * (or time), and reports the median. Every suite measures the baseline
 * (qsort of 2n doubles) at the sizes it uses, so ratios compare numbers taken
 * on the same machine in the same run.
 */
#ifndef BFTIME_BENCH_H
#define BFTIME_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* fn(arg) is one repetition; it must redo all its work each call (copy its
 * input into scratch first if it works in place). */
void bench_case(const char *name, size_t n, void (*fn)(void *), void *arg);

/* Measure baseline.qsort at n (qsort of 2n random doubles); idempotent. */
void bench_baseline(size_t n);

/* Deterministic pseudo-random numbers for inputs (xoshiro256**). */
uint64_t bench_rand(void);
double bench_uniform(void); /* [0, 1) */

/* Defeat dead-code elimination of a result. */
void bench_sink(int64_t v);

/* Suites, one per core module. */
void bench_suite_fusion(void);
void bench_suite_regress(void);
void bench_suite_exchange(void);
void bench_suite_node(void);
void bench_suite_proto(void);
void bench_suite_solar(void);
void bench_suite_sign(void);

#endif
