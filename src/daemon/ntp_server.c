/* SPDX-License-Identifier: MIT */
/* The NTP server (ntp_server.h): not written yet (issue 5). */
#include "daemon/ntp_server.h"

#include <stdio.h>

#include <bftime/common.h>

int bftd_ntps_open(bftd_ntps **out, const bftd_config *cfg, char *err, size_t errlen)
{
	(void)cfg;
	*out = NULL;
	snprintf(err, errlen, "ntp_server is not available yet");
	return BFT_EINVAL;
}

int bftd_ntps_fd(const bftd_ntps *s)
{
	(void)s;
	return -1;
}

void bftd_ntps_service(bftd_ntps *s, bft_node *node)
{
	(void)s;
	(void)node;
}

void bftd_ntps_status(const bftd_ntps *s, struct json_object *o)
{
	(void)s;
	(void)o;
}

void bftd_ntps_close(bftd_ntps *s) { (void)s; }
