/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation, as OpenNTPD does it (issue 14). The process that
 * parses peer datagrams, HTTP, NMEA, gpsd JSON and NTP replies (the engine:
 * bftimed's loop) holds no capability and runs under a seccomp filter that
 * refuses every clock-setting system call, among others. When it must
 * discipline the system clock (exports.adjtimex), a tiny helper process,
 * forked before the engine reads anything from the network, keeps
 * CAP_SYS_TIME alone and accepts one message kind over a socketpair: a
 * clock_adjtime request of exactly sizeof(bftd_privsep_req) bytes, whose
 * modes and values it checks (bftd_privsep_handle) before it passes it to
 * src/sys/adjtime.c; anything else is refused and logged. The engine
 * reaches it through an adjtime ops table (bftd_privsep_ops), so the
 * exports' policy code is the same with and without the helper.
 *
 * The helper is the engine's child: the engine stays the main process, the
 * one systemd expects READY and WATCHDOG from. It exits when the engine
 * closes the socketpair (or dies). Under clknetsim, which simulates one
 * process's system calls, exports.privsep: false keeps the clock in the
 * engine (as chronyd -u root does there).
 */
#ifndef BFTIME_DAEMON_PRIVSEP_H
#define BFTIME_DAEMON_PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/timex.h>

#include "sys/adjtime.h"

#define BFTD_PRIVSEP_ADJTIME UINT32_C(0x314a4441) /* "ADJ1": the one kind */

typedef struct bftd_privsep_req {
	uint32_t kind; /* BFTD_PRIVSEP_ADJTIME */
	uint32_t len;  /* sizeof(bftd_privsep_req) */
	struct timex tx;
} bftd_privsep_req;

typedef struct bftd_privsep_rep {
	uint32_t kind; /* BFTD_PRIVSEP_ADJTIME */
	int32_t rc;    /* the clock state, or -errno (-EPERM: refused) */
	struct timex tx;
} bftd_privsep_rep;

/* The modes the helper passes on: what src/daemon/exports.c sets, no more
 * (a read is modes 0). */
#define BFTD_PRIVSEP_MODES (ADJ_FREQUENCY | ADJ_TICK | ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR | ADJ_SETOFFSET | ADJ_NANO)

/* The helper's check and action for one message of len bytes: exactly a
 * bftd_privsep_req, kind ADJTIME, modes within BFTD_PRIVSEP_MODES, a step
 * (ADJ_SETOFFSET) forward only and with ADJ_NANO, frequency and tick within
 * the kernel's ranges. Only then is clock->adjtime called. Fills *rep and
 * returns rep->rc; *why (static) says why a message was refused. Pure but
 * for clock: fuzzed and unit-tested with a fake clock. */
int bftd_privsep_handle(const void *msg, size_t len, const bft_adjtime_ops *clock, bftd_privsep_rep *rep,
                        const char **why);

/* The helper's loop on fd (a SOCK_SEQPACKET end): one reply per message,
 * until the other end closes. Returns 0 then, or -errno. */
int bftd_privsep_serve(int fd, const bft_adjtime_ops *clock);

/* Fork the helper (clock: the real one, or a fake in tests), which drops to
 * user (when set and root) keeping CAP_SYS_TIME alone. In the caller
 * (the engine) afterwards, bftd_privsep_ops() forwards to it. 0, or an
 * error with err set. */
int bftd_privsep_start(const char *user, const bft_adjtime_ops *clock, char *err, size_t errlen);

/* The ops forwarding to the helper, or NULL when none was started. */
const bft_adjtime_ops *bftd_privsep_ops(void);

/* The engine's sandbox: every capability dropped (effective, permitted,
 * inheritable, ambient), no new privileges, and a seccomp filter (libseccomp)
 * refusing with EPERM the system calls that set the time (clock_settime,
 * clock_adjtime, adjtimex, settimeofday) and others it never needs (execve,
 * mount, reboot, kexec, modules, swap, bpf, perf_event_open, keyrings,
 * unshare, setns, iopl). A deny list: everything else stays allowed, so no
 * driver or library path the tests do not reach can be killed by it. 0, or
 * an error with err set. */
int bftd_sandbox_engine(char *err, size_t errlen);

#endif
