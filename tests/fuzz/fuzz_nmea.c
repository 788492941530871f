/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NMEA 0183 decoder: any bytes, fed in one chunk
 * and again split at a point the input chooses, must decode without touching
 * memory outside the buffers, give the same events both ways (the parser is
 * a pure function of the byte stream), and never report a fix without a
 * time. The first byte picks the options and the split point.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nmea.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A running digest of the events, cheap enough for every input. */
static uint64_t digest(bft_nmea *p, uint64_t h)
{
	bft_nmea_event ev;
	while (bft_nmea_next(p, &ev)) {
		if (ev.type == BFT_NMEA_EV_FIX) {
			if (ev.fix.time_ns <= 0 || ev.fix.sky.n > BFT_NMEA_SATS_MAX || ev.fix.sky.visible != ev.fix.sky.n)
				abort();
			h = h * 1099511628211u ^ (uint64_t)ev.fix.time_ns;
			h = h * 1099511628211u ^ (uint64_t)ev.fix.mode;
		}
		if (ev.type == BFT_NMEA_EV_ERROR && (unsigned)ev.err >= BFT_NMEA_E__COUNT)
			abort();
		h = h * 1099511628211u ^ (uint64_t)ev.type;
		h = h * 1099511628211u ^ ev.line;
		h = h * 1099511628211u ^ (uint64_t)ev.err;
		for (const char *c = ev.sentence; *c; c++)
			h = h * 1099511628211u ^ (uint8_t)*c;
	}
	return h;
}

static uint64_t decode(const bft_nmea_config *cfg, const uint8_t *data, size_t size, size_t step)
{
	bft_nmea *p = bft_nmea_new(cfg);
	if (!p)
		abort();
	uint64_t h = 14695981039346656037u;
	size_t off = 0;
	while (off < size) {
		size_t want = step && size - off > step ? step : size - off;
		size_t n = bft_nmea_feed(p, data + off, want);
		if (n == 0 || n > want)
			abort();
		off += n;
		h = digest(p, h);
	}
	bft_nmea_flush(p);
	h = digest(p, h);
	bft_nmea_free(p);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bft_nmea_config cfg = { 0 };
	cfg.flags = data[0] & (BFT_NMEA_REQUIRE_CHECKSUM | BFT_NMEA_SKIP_COMMENTS | BFT_NMEA_WKRO_FIX);
	size_t step = (size_t)(data[0] >> 3) + 1;
	data++, size--;
	if (decode(&cfg, data, size, 0) != decode(&cfg, data, size, step))
		abort();
	return 0;
}
