/* SPDX-License-Identifier: MIT */
/*
 * The only code in bftime that may change the operating system's clock
 * (exports.adjtimex, off by default). Everything goes through one call,
 * Linux's clock_adjtime(CLOCK_REALTIME, struct timex *), behind an ops
 * table so the policy in src/daemon/exports.c can be tested against a fake
 * that records what it would have done: a test must never adjust the clock
 * of the machine it runs on. Tests may call the real implementation only
 * with modes = 0 (bft_adjtime_read), which reads and changes nothing.
 */
#ifndef BFTIME_SYS_ADJTIME_H
#define BFTIME_SYS_ADJTIME_H

#include <sys/timex.h>

typedef struct bft_adjtime_ops {
	/* clock_adjtime(CLOCK_REALTIME, tx): the clock state (TIME_OK,
	 * TIME_ERROR, ...) or -errno. tx is read and written as the kernel
	 * does (on return it holds the current values). */
	int (*adjtime)(void *ctx, struct timex *tx);
	void *ctx;
} bft_adjtime_ops;

/* The real clock. */
extern const bft_adjtime_ops bft_adjtime_system;

/* Read the kernel's clock state (modes = 0: changes nothing). */
int bft_adjtime_read(const bft_adjtime_ops *ops, struct timex *out);

#endif
