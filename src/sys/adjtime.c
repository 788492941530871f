/* SPDX-License-Identifier: MIT */
/*
 * Adjusting the OS clock (adjtime.h): a thin wrapper over clock_adjtime so
 * that exactly one function in the tree can change the system clock, and
 * the daemon reaches it only through the ops table.
 */
/* clock_adjtime is a GNU extension in glibc's <sys/timex.h>. */
#define _GNU_SOURCE
#include "sys/adjtime.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static int system_adjtime(void *ctx, struct timex *tx)
{
	(void)ctx;
	int rc = clock_adjtime(CLOCK_REALTIME, tx);
	return rc < 0 ? -errno : rc;
}

const bft_adjtime_ops bft_adjtime_system = { system_adjtime, NULL };

int bft_adjtime_read(const bft_adjtime_ops *ops, struct timex *out)
{
	memset(out, 0, sizeof *out);
	out->modes = 0;
	return ops->adjtime(ops->ctx, out);
}
