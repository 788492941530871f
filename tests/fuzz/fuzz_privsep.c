/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the clock helper's one message (src/daemon/privsep.h):
 * any bytes from the engine, which is treated as hostile. The handler must
 * never read past them, must call the (fake) clock only for a message of
 * exactly a request's size, of the one kind, with modes within the exports'
 * set and a step only forward, and must give a reason for every refusal.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int calls;
static int fake(void *ctx, struct timex *tx)
{
	(void)ctx;
	(void)tx;
	calls++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const bft_adjtime_ops clock = { fake, NULL };
	/* In a buffer exactly its size: the handler must not look past it. */
	uint8_t *msg = malloc(size ? size : 1);
	if (!msg)
		return 0;
	memcpy(msg, data, size);
	bftd_privsep_rep rep;
	const char *why;
	calls = 0;
	int rc = bftd_privsep_handle(msg, size, &clock, &rep, &why);
	if (calls) {
		bftd_privsep_req q;
		if (size != sizeof q || why || rc != 0)
			abort();
		memcpy(&q, msg, sizeof q);
		if (q.kind != BFTD_PRIVSEP_ADJTIME || q.len != sizeof q || (q.tx.modes & ~(unsigned)BFTD_PRIVSEP_MODES) ||
		    ((q.tx.modes & ADJ_SETOFFSET) && q.tx.time.tv_sec < 0))
			abort();
	} else if (rc != -EPERM || !why || rep.rc != -EPERM) {
		abort();
	}
	free(msg);
	return 0;
}
