/* SPDX-License-Identifier: MIT */
/* Benchmarks of the regress module (placeholder until the module lands). */
#include "bench.h"

void bench_suite_regress(void)
{
}
