/* SPDX-License-Identifier: MIT */
/* Benchmarks of the fusion module (placeholder until the module lands). */
#include "bench.h"

void bench_suite_fusion(void)
{
}
