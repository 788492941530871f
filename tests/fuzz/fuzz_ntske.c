/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NTS-KE record parser (src/proto/nts.c), both the
 * server's and the client's view of a message: nothing is read outside the
 * buffer; every prefix of a complete message is "read more" (1), never a
 * different verdict; a complete message's length is the input's; the
 * semantic checks return their documented values; the kept cookies lie
 * inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_ntske_msg m;
	const char *why = NULL;
	int rc = bft_ntske_parse(&m, data, size, &why);
	if (rc != 0 && rc != 1 && rc != -1)
		abort();
	if (rc == -1 && !why)
		abort();
	if (rc == 0) {
		if (m.len != size || m.n_cookies > BFT_NTSKE_MAX_COOKIES)
			abort();
		for (size_t i = 0; i < m.n_cookies; i++)
			if (m.cookie[i] < data || m.cookie[i] + m.cookie_len[i] > data + size)
				abort();
		int e = bft_ntske_server_check(&m, &why);
		if (e < -1 || e > BFT_NTSKE_ERR_INTERNAL)
			abort();
		(void)bft_ntske_client_check(&m, &why);
		/* A prefix of a complete message is incomplete, never an error. */
		bft_ntske_msg p;
		if (size > 0 && bft_ntske_parse(&p, data, size - 1, &why) != 1)
			abort();
	}
	return 0;
}
