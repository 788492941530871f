/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the GPS reference drivers' byte streams: the first
 * byte picks the driver (even: nmea, odd: gpsd's JSON), the rest arrives in
 * chunks (split at byte 0xff) as if read from the device one second apart.
 * The nmea driver reads /dev/null and the gpsd driver connects to a closed
 * port, so only the injected bytes reach them. Nothing may crash, and every
 * reading a driver returns must be an interval (lo <= hi).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/refhost.h"
#include "refclock/refclock.h"
#include "sys/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		bftd_log_open(false, 0, "fuzz"); /* no log lines: errors are counted */
		quiet = true;
	}
	if (size < 1)
		return 0;
	bftd_ref cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.kind = data[0] & 1 ? BFTD_REF_GPSD : BFTD_REF_NMEA;
	strcpy(cfg.name, "fuzz");
	strcpy(cfg.device, "/dev/null");
	strcpy(cfg.server, "127.0.0.1:1");
	cfg.every_ns = BFT_NS_PER_SEC;
	cfg.uncertainty_ns = BFT_NS_PER_SEC / 10;
	cfg.speed = 9600;
	cfg.delay_ns = (data[0] & 2) ? -1 : BFT_NS_PER_SEC / 10;
	cfg.leap_s = 18;
	cfg.fixed = (data[0] & 4) != 0;
	cfg.max_move_m = 100;
	bftd_refclock rc;
	char err[256];
	int64_t mono = bft_clock_mono_ns();
	if (bftd_refclock_open(&rc, &cfg, &bftd_refhost, 100000, 1, mono, err, sizeof err) != 0)
		return 0;
	int64_t raw = bft_clock_raw_ns();
	const uint8_t *p = data + 1, *end = data + size;
	while (p < end) {
		const uint8_t *q = memchr(p, 0xff, (size_t)(end - p));
		size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
		rc.drv->inject(&rc, (const char *)p, n, raw);
		bftd_reading out[BFTD_REF_MAX_READINGS];
		size_t k = rc.drv->service(&rc, NULL, 0, mono, out, BFTD_REF_MAX_READINGS);
		for (size_t i = 0; i < k; i++)
			if (out[i].iv.lo_ns > out[i].iv.hi_ns)
				abort();
		raw += BFT_NS_PER_SEC;
		p += n + (q != NULL);
	}
	bftd_refclock_close(&rc);
	return 0;
}
