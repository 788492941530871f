/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration loader: any bytes must parse into
 * a config or be rejected with a message naming file:line:column, without
 * touching memory outside what was allocated, and whatever parses must be
 * self-consistent (the loader's validation holds).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bftd_config cfg;
	char err[512];
	int rc = bftd_config_parse(&cfg, (const char *)data, size, "fuzz.yaml", err, sizeof err);
	if (rc != 0) {
		/* Every error names the file. */
		if (strncmp(err, "fuzz.yaml", 9) != 0)
			abort();
		return 0;
	}
	if (cfg.n_peers + cfg.n_refs == 0 || cfg.node.f >= cfg.n_peers + cfg.n_refs || cfg.n_refs > BFTD_MAX_REFS ||
	    cfg.n_peers > BFTD_MAX_PEERS || cfg.node.poll_ns <= 0 || !cfg.key_path[0])
		abort();
	for (size_t i = 0; i < cfg.n_peers; i++)
		if (cfg.peers[i].id == cfg.id)
			abort();
	bftd_config_free(&cfg);
	return 0;
}
