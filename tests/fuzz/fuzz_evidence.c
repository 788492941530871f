/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for equivocation evidence, the bytes a possibly hostile
 * peer or client sends to POST /v1/evidence. The first byte picks the
 * parser: even, the evidence decoder (proto/evidence.h) on the rest; odd,
 * the request body parser (bftd_evidence_parse_body), then the decoder on
 * every piece it yields. Whatever decodes must re-encode to the very same
 * bytes (one encoding per pair), have an id, and pass or fail the
 * signature check without crashing; the body parser must never yield more
 * pieces than asked for or a piece longer than the maximum.
 * With FUZZ_EVIDENCE_SEEDS=DIR set, the target first writes its seed
 * corpus there (tests/fuzz/corpus/evidence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/evidence.h"
#include "daemon/keys.h"
#include "evidence_seed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void seed(const char *dir, const char *name, uint8_t mode, const void *b, size_t len)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(b, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static void write_seeds(const char *dir)
{
	/* static: version-2 evidence reaches 100 kB, its hex and a body 4x */
	static uint8_t fork[BFT_EVIDENCE_MAX], link[BFT_EVIDENCE_MAX], v2[BFT_EVIDENCE_MAX];
	int fl = ev_seed_make(BFT_EV_FORK, 1, NULL, fork, sizeof fork, NULL);
	int ll = ev_seed_make(BFT_EV_LINK, 1, NULL, link, sizeof link, NULL);
	if (fl < 0 || ll < 0)
		abort();
	seed(dir, "fork", 0, fork, (size_t)fl);
	seed(dir, "link", 0, link, (size_t)ll);
	int vl = ev_seed_make_v2(BFT_EV_FORK, 1, NULL, v2, sizeof v2, NULL);
	if (vl < 0)
		abort();
	seed(dir, "fork_v2", 0, v2, (size_t)vl);
	if ((vl = ev_seed_make_v2(BFT_EV_LINK, 1, NULL, v2, sizeof v2, NULL)) < 0)
		abort();
	seed(dir, "link_v2", 0, v2, (size_t)vl);
	static uint8_t bad[BFT_EVIDENCE_MAX];
	memcpy(bad, fork, (size_t)fl);
	bad[fl - 1] ^= 1;
	seed(dir, "fork_bad_sig", 0, bad, (size_t)fl);
	seed(dir, "short", 0, fork, 40);
	static char hex[2 * BFT_EVIDENCE_MAX + 1], text[4 * sizeof hex + 64];
	bftd_hex(hex, fork, (size_t)fl);
	snprintf(text, sizeof text, "{\"evidence\": \"%s\"}", hex);
	seed(dir, "body_one", 1, text, strlen(text));
	static char hex2[2 * BFT_EVIDENCE_MAX + 1];
	bftd_hex(hex2, link, (size_t)ll);
	snprintf(text, sizeof text, "{\"evidence\": [\"%s\", \"%s\"]}\n", hex, hex2);
	seed(dir, "body_two", 1, text, strlen(text));
	seed(dir, "body_empty", 1, "{\"evidence\": []}", 16);
	seed(dir, "body_odd", 1, "{\"evidence\": \"abc\"}", 19);
}

static void decode_one(const uint8_t *b, size_t len)
{
	bft_evidence ev;
	if (bft_evidence_decode(&ev, b, len) != BFT_EV_OK)
		return;
	static uint8_t again[BFT_EVIDENCE_MAX];
	uint8_t id[BFT_PROOF_HASH];
	int l = bft_evidence_encode(again, sizeof again, &ev);
	if (l < 0 || (size_t)l != len || memcmp(again, b, len) != 0)
		abort();
	if (ev.kind != BFT_EV_FORK && ev.kind != BFT_EV_LINK)
		abort();
	if (bft_evidence_id(id, &ev) != 0)
		abort();
	int v = bft_evidence_verify(&ev);
	if (v != BFT_EV_OK && v != BFT_EV_BAD_SIG)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool seeded;
	if (!seeded) {
		seeded = true;
		const char *dir = getenv("FUZZ_EVIDENCE_SEEDS");
		if (dir)
			write_seeds(dir);
	}
	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		decode_one(data + 1, size - 1);
		return 0;
	}
	static uint8_t out[4][BFT_EVIDENCE_MAX];
	size_t lens[4], n = 99;
	char err[200];
	if (bftd_evidence_parse_body((const char *)data + 1, size - 1, out, lens, 4, &n, err, sizeof err) != 0)
		return 0;
	if (n == 0 || n > 4)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (lens[i] == 0 || lens[i] > BFT_EVIDENCE_MAX)
			abort();
		decode_one(out[i], lens[i]);
	}
	return 0;
}
