/* SPDX-License-Identifier: MIT */
/* Exports (exports.h): not written yet (issue 5). */
#include "daemon/exports.h"

#include <stdio.h>
#include <stdlib.h>

#include <bftime/common.h>

struct bftd_exports {
	int unused;
};

int bftd_exports_open(bftd_exports **out, const bftd_config *cfg, char *err, size_t errlen)
{
	if (cfg->chrony_sock[0] || cfg->ntp_shm_unit >= 0 || cfg->timebounds_path[0] || cfg->adjtimex) {
		snprintf(err, errlen, "exports are not available yet");
		return BFT_EINVAL;
	}
	*out = calloc(1, sizeof **out);
	return *out ? 0 : BFT_ENOMEM;
}

void bftd_exports_publish(bftd_exports *x, const bftd_export_sample *s)
{
	(void)x;
	(void)s;
}

int64_t bftd_exports_next_mono(const bftd_exports *x)
{
	(void)x;
	return INT64_MAX;
}

void bftd_exports_status(const bftd_exports *x, struct json_object *o)
{
	(void)x;
	(void)o;
}

void bftd_exports_close(bftd_exports *x) { free(x); }
