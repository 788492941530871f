/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for bftime-sim's scenario loader (sim/scenario.c): any
 * bytes must load into a scenario or be refused with a message naming the
 * file, without touching memory outside what was allocated, and whatever
 * loads must hold the loader's own checks (a positive duration, sample and
 * poll, a warmup shorter than the duration).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sim_scenario *s = NULL;
	char err[512];
	if (sim_scenario_parse(&s, (const char *)data, size, "fuzz.yaml", err, sizeof err) != 0) {
		if (strncmp(err, "fuzz.yaml", 9) != 0)
			abort();
		return 0;
	}
	if (!s || s->duration_ns <= 0 || s->sample_ns <= 0 || s->poll_ns <= 0 || s->warmup_ns >= s->duration_ns ||
	    !s->name)
		abort();
	sim_scenario_free(s);
	return 0;
}
