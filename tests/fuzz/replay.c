/* SPDX-License-Identifier: MIT */
/*
 * Runs a libFuzzer target over files (its seed corpus and any crash found
 * since), so `make test` replays every corpus under the sanitizers with any
 * compiler; `make fuzz` builds the real fuzzers with clang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		static uint8_t buf[1 << 20];
		size_t len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		n++;
	}
	printf("[==========] %d corpus input(s) replayed.\n[  PASSED  ] 1 test(s).\n", n);
	return 0;
}
