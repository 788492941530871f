/* SPDX-License-Identifier: MIT */
/* Benchmarks of the exchange module (placeholder until the module lands). */
#include "bench.h"

void bench_suite_exchange(void)
{
}
