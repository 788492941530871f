/* SPDX-License-Identifier: MIT */
/* The ntp reference driver: not written yet (issue 5). */
#include <stdio.h>

#include <bftime/common.h>

#include "daemon/refclock.h"

static int ntp_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	(void)now_mono_ns;
	snprintf(err, errlen, "reference %s: the ntp driver is not available yet", rc->cfg->name);
	return BFT_EINVAL;
}

static size_t ntp_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                          bftd_reading *out, size_t max)
{
	(void)rc; (void)pfd; (void)n; (void)now_mono_ns; (void)out; (void)max;
	return 0;
}

const bftd_refclock_driver bftd_refclock_ntp = { "ntp", ntp_open, NULL, NULL, ntp_service, NULL };
