/* SPDX-License-Identifier: MIT */
/*
 * The daemon's side of the reference drivers' host interface
 * (src/refclock/host.h): the OS clocks through src/sys, the daemon's log,
 * getrandom, and the daemon's socket helpers (src/daemon/udp.h).
 */
#include "daemon/refhost.h"

#include <sys/random.h>

#include "daemon/log.h"
#include "daemon/udp.h"
#include "sys/clock.h"

static bool kernel_random(uint64_t *out)
{
	return getrandom(out, sizeof *out, GRND_NONBLOCK) == (ssize_t)sizeof *out;
}

const bftd_refclock_host bftd_refhost = {
	.log = bftd_vlog,
	.raw_ns = bft_clock_raw_ns,
	.realtime_ns = bft_clock_realtime_ns,
	.realtime_to_raw_ns = bft_clock_realtime_to_raw_ns,
	.arrival_raw_ns = bft_clock_arrival_raw_ns,
	.random_u64 = kernel_random,
	.socket = bftd_socket,
	.udp_recv = bftd_udp_recv,
	.addr_format = bftd_addr_format,
};
