/* SPDX-License-Identifier: MIT */
/* Privilege separation: the clock helper and the engine's sandbox (privsep.h). */
#include "daemon/privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include <bftime/common.h>

#include "daemon/log.h"
#include "daemon/loop.h"

/* ---- the helper's side -------------------------------------------------- */

int bftd_privsep_handle(const void *msg, size_t len, const bft_adjtime_ops *clock, bftd_privsep_rep *rep,
                        const char **why)
{
	memset(rep, 0, sizeof *rep);
	rep->kind = BFTD_PRIVSEP_ADJTIME;
	rep->rc = -EPERM;
	*why = NULL;
	bftd_privsep_req q;
	if (len != sizeof q) {
		*why = "a message of another length";
		return rep->rc;
	}
	memcpy(&q, msg, sizeof q);
	const struct timex *t = &q.tx;
	/* Ranges: the kernel's own (freq +-500 ppm in 16.16 ppm, tick within
	 * 10 % of the nominal USER_HZ tick, as adjtimex(2) says), checked here
	 * so that a wrong value is refused by name, not passed on. */
	long nominal = 1000000 / sysconf(_SC_CLK_TCK);
	if (q.kind != BFTD_PRIVSEP_ADJTIME || q.len != sizeof q)
		*why = "another kind of message";
	else if (t->modes & ~(unsigned)BFTD_PRIVSEP_MODES)
		*why = "modes outside the exports' set";
	else if ((t->modes & ADJ_SETOFFSET) && (!(t->modes & ADJ_NANO) || t->time.tv_sec < 0 || t->time.tv_usec < 0 ||
	                                         t->time.tv_usec >= 1000000000 || (t->time.tv_sec == 0 && t->time.tv_usec == 0)))
		*why = "a step that is not forward (or not in ns)";
	else if ((t->modes & ADJ_FREQUENCY) && (t->freq > 500L * 65536 || t->freq < -500L * 65536))
		*why = "a frequency beyond +-500 ppm";
	else if ((t->modes & ADJ_TICK) && (t->tick < nominal - nominal / 10 || t->tick > nominal + nominal / 10))
		*why = "a tick beyond 10 % of the nominal";
	else if ((t->modes & ADJ_MAXERROR) && t->maxerror < 0)
		*why = "a negative maxerror";
	else if ((t->modes & ADJ_ESTERROR) && t->esterror < 0)
		*why = "a negative esterror";
	if (*why)
		return rep->rc;
	rep->tx = q.tx;
	rep->rc = clock->adjtime(clock->ctx, &rep->tx);
	return rep->rc;
}

int bftd_privsep_serve(int fd, const bft_adjtime_ops *clock)
{
	uint64_t refused = 0;
	for (;;) {
		/* One byte more than a request: a longer message shows as longer,
		 * not cut to size (SOCK_SEQPACKET keeps boundaries; MSG_TRUNC
		 * gives the real length). */
		union {
			bftd_privsep_req q;
			uint8_t b[sizeof(bftd_privsep_req) + 1];
		} in;
		ssize_t n = recv(fd, in.b, sizeof in.b, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0; /* the engine closed it, or died */
		bftd_privsep_rep rep;
		const char *why;
		bftd_privsep_handle(in.b, (size_t)n, clock, &rep, &why);
		if (why && refused++ < 16)
			bftd_log(LOG_ERR, "clock helper: refused %s from the engine (%zd bytes)", why, n);
		if (send(fd, &rep, sizeof rep, MSG_NOSIGNAL) != (ssize_t)sizeof rep)
			return errno ? -errno : -EIO;
	}
}

/* ---- the engine's side -------------------------------------------------- */

static int helper_fd = -1;

static int forward(void *ctx, struct timex *tx)
{
	(void)ctx;
	bftd_privsep_req q;
	memset(&q, 0, sizeof q);
	q.kind = BFTD_PRIVSEP_ADJTIME;
	q.len = sizeof q;
	q.tx = *tx;
	if (send(helper_fd, &q, sizeof q, MSG_NOSIGNAL) != (ssize_t)sizeof q)
		return -(errno ? errno : EIO);
	bftd_privsep_rep rep;
	ssize_t n;
	do
		n = recv(helper_fd, &rep, sizeof rep, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof rep || rep.kind != BFTD_PRIVSEP_ADJTIME)
		return n == 0 ? -EPIPE : -EIO;
	if (rep.rc >= 0)
		*tx = rep.tx;
	return rep.rc;
}

static const bft_adjtime_ops forward_ops = { forward, NULL };

const bft_adjtime_ops *bftd_privsep_ops(void)
{
	return helper_fd >= 0 ? &forward_ops : NULL;
}

/* Capabilities: keep CAP_SYS_TIME alone (the helper) or none (the engine),
 * in every set, ambient ones included. Raw capset, as privs.c does. */
static int set_caps(bool sys_time)
{
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct c[2];
	memset(c, 0, sizeof c);
	if (sys_time)
		c[CAP_TO_INDEX(CAP_SYS_TIME)].effective = c[CAP_TO_INDEX(CAP_SYS_TIME)].permitted =
			CAP_TO_MASK(CAP_SYS_TIME);
	return (int)syscall(SYS_capset, &h, c);
}

int bftd_privsep_start(const char *user, const bft_adjtime_ops *clock, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "clock helper: socketpair: %s", strerror(errno));
		return BFT_EINVAL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "clock helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return BFT_EINVAL;
	}
	if (pid == 0) {
		/* The helper: nothing of the engine's but its end and stderr. */
		close(sv[0]);
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				(void)close(fd);
		signal(SIGINT, SIG_IGN); /* stops with the engine: EOF on its end */
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0L, 0L, 0L);
		char e2[256];
		if (bftd_drop_privileges(user, true, e2, sizeof e2) != 0) {
			bftd_log(LOG_ERR, "clock helper: %s", e2);
			_exit(1);
		}
		if (set_caps(true) != 0 && errno != EPERM) {
			bftd_log(LOG_ERR, "clock helper: cannot drop capabilities: %s", strerror(errno));
			_exit(1);
		}
		(void)prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L);
		int rc = bftd_privsep_serve(sv[1], clock);
		_exit(rc == 0 ? 0 : 1);
	}
	close(sv[1]);
	helper_fd = sv[0];
	return 0;
}

int bftd_sandbox_engine(char *err, size_t errlen)
{
	if (set_caps(false) != 0) {
		snprintf(err, errlen, "sandbox: cannot drop capabilities: %s", strerror(errno));
		return BFT_EINVAL;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0) {
		snprintf(err, errlen, "sandbox: no_new_privs: %s", strerror(errno));
		return BFT_EINVAL;
	}
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f) {
		snprintf(err, errlen, "sandbox: seccomp_init failed");
		return BFT_EINVAL;
	}
	/* The clock's, which must be refused (a failure to add one is fatal),
	 * then the rest (some do not exist on every architecture: skipped). */
	static const int clock_calls[] = { SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex),
		                           SCMP_SYS(settimeofday) };
	static const int other_calls[] = {
		SCMP_SYS(stime),        SCMP_SYS(execve),        SCMP_SYS(execveat),    SCMP_SYS(mount),
		SCMP_SYS(umount2),      SCMP_SYS(pivot_root),    SCMP_SYS(chroot),      SCMP_SYS(reboot),
		SCMP_SYS(kexec_load),   SCMP_SYS(kexec_file_load), SCMP_SYS(init_module), SCMP_SYS(finit_module),
		SCMP_SYS(delete_module), SCMP_SYS(swapon),       SCMP_SYS(swapoff),     SCMP_SYS(bpf),
		SCMP_SYS(perf_event_open), SCMP_SYS(keyctl),     SCMP_SYS(add_key),     SCMP_SYS(request_key),
		SCMP_SYS(unshare),      SCMP_SYS(setns),         SCMP_SYS(acct),        SCMP_SYS(iopl),
		SCMP_SYS(ioperm),
	};
	/* Every thread of the engine, should a library have started one. */
	int rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; i < sizeof clock_calls / sizeof clock_calls[0] && rc == 0; i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), clock_calls[i], 0);
	for (size_t i = 0; i < sizeof other_calls / sizeof other_calls[0] && rc == 0; i++)
		(void)seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), other_calls[i], 0);
	if (rc == 0)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc != 0) {
		snprintf(err, errlen, "sandbox: seccomp: %s", strerror(-rc));
		return BFT_EINVAL;
	}
	return 0;
}
