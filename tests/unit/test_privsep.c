/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation (src/daemon/privsep.h), without ever touching this
 * machine's clock: the helper is tested with a fake clock backend, and the
 * sandbox with calls that change nothing even if the filter were missing
 * (a read, an unsettable clock, NULL arguments).
 *  - bftd_privsep_handle: the one message kind passes, with the fake clock
 *    called; every other message (length, kind, modes, a backward step,
 *    out-of-range values) is refused with -EPERM and a reason, the clock
 *    not called.
 *  - the real helper process (bftd_privsep_start with the fake clock) over
 *    its socketpair: answers the engine's ops, refuses short and long
 *    messages, and exits when the engine closes its end.
 *  - bftd_sandbox_engine in a child: no capability left, and the clock's
 *    system calls answer EPERM (without the filter they would answer
 *    EINVAL or EOPNOTSUPP, or read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/privsep.h"

#define FAKE_STATE 42

static int fake_calls;

/* The fake clock: counts, marks what it saw, and answers FAKE_STATE. */
static int fake_adjtime(void *ctx, struct timex *tx)
{
	(void)ctx;
	fake_calls++;
	tx->constant = 777; /* "the kernel's" value on return */
	return FAKE_STATE;
}
static const bft_adjtime_ops fake = { fake_adjtime, NULL };

static bftd_privsep_req good(unsigned modes)
{
	bftd_privsep_req q;
	memset(&q, 0, sizeof q);
	q.kind = BFTD_PRIVSEP_ADJTIME;
	q.len = sizeof q;
	q.tx.modes = modes;
	q.tx.tick = 1000000 / sysconf(_SC_CLK_TCK);
	q.tx.freq = 10 * 65536;
	return q;
}

static void test_handle(void **state)
{
	(void)state;
	bftd_privsep_rep rep;
	const char *why;
	/* Accepted: a read, the exports' frequency update, a forward step. */
	unsigned ok_modes[] = { 0, ADJ_FREQUENCY | ADJ_TICK | ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR,
		                ADJ_SETOFFSET | ADJ_NANO };
	for (size_t i = 0; i < 3; i++) {
		bftd_privsep_req q = good(ok_modes[i]);
		if (ok_modes[i] & ADJ_SETOFFSET)
			q.tx.time.tv_sec = 1;
		fake_calls = 0;
		assert_int_equal(bftd_privsep_handle(&q, sizeof q, &fake, &rep, &why), FAKE_STATE);
		assert_null(why);
		assert_int_equal(fake_calls, 1);
		assert_int_equal(rep.rc, FAKE_STATE);
		assert_int_equal(rep.tx.constant, 777);
	}
	/* Refused, the clock not called. */
	struct {
		bftd_privsep_req q;
		size_t len;
		const char *why;
	} bad[12];
	size_t n = 0;
	bad[n].q = good(0), bad[n].len = sizeof bad[n].q - 1, bad[n++].why = "another length";
	bad[n].q = good(0), bad[n].len = 0, bad[n++].why = "another length";
	bad[n].q = good(0), bad[n].q.kind ^= 1, bad[n].len = sizeof bad[n].q, bad[n++].why = "another kind";
	bad[n].q = good(0), bad[n].q.len = 8, bad[n].len = sizeof bad[n].q, bad[n++].why = "another kind";
	bad[n].q = good(ADJ_OFFSET), bad[n].len = sizeof bad[n].q, bad[n++].why = "modes outside";
	bad[n].q = good(ADJ_TAI), bad[n].len = sizeof bad[n].q, bad[n++].why = "modes outside";
	bad[n].q = good(ADJ_SETOFFSET | ADJ_NANO), bad[n].q.tx.time.tv_sec = -1, bad[n].len = sizeof bad[n].q,
	bad[n++].why = "not forward";
	bad[n].q = good(ADJ_SETOFFSET), bad[n].q.tx.time.tv_sec = 1, bad[n].len = sizeof bad[n].q,
	bad[n++].why = "not forward";
	bad[n].q = good(ADJ_SETOFFSET | ADJ_NANO), bad[n].len = sizeof bad[n].q, bad[n++].why = "not forward"; /* zero */
	bad[n].q = good(ADJ_FREQUENCY), bad[n].q.tx.freq = 600L * 65536, bad[n].len = sizeof bad[n].q,
	bad[n++].why = "beyond +-500 ppm";
	bad[n].q = good(ADJ_TICK), bad[n].q.tx.tick *= 2, bad[n].len = sizeof bad[n].q, bad[n++].why = "tick beyond";
	bad[n].q = good(ADJ_MAXERROR), bad[n].q.tx.maxerror = -1, bad[n].len = sizeof bad[n].q,
	bad[n++].why = "negative maxerror";
	for (size_t i = 0; i < n; i++) {
		fake_calls = 0;
		assert_int_equal(bftd_privsep_handle(&bad[i].q, bad[i].len, &fake, &rep, &why), -EPERM);
		assert_int_equal(rep.rc, -EPERM);
		assert_non_null(why);
		if (!strstr(why, bad[i].why))
			fail_msg("case %zu: '%s', expected '%s'", i, why, bad[i].why);
		assert_int_equal(fake_calls, 0);
	}
}

static void test_helper_process(void **state)
{
	(void)state;
	char err[256];
	assert_null(bftd_privsep_ops());
	assert_int_equal(bftd_privsep_start(NULL, &fake, err, sizeof err), 0);
	const bft_adjtime_ops *ops = bftd_privsep_ops();
	assert_non_null(ops);
	/* The engine's ops: answered by the helper's fake clock. */
	struct timex tx;
	memset(&tx, 0, sizeof tx);
	assert_int_equal(ops->adjtime(ops->ctx, &tx), FAKE_STATE);
	assert_int_equal(tx.constant, 777);
	/* A step back through the ops: refused by the helper, tx untouched. */
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_SETOFFSET | ADJ_NANO;
	tx.time.tv_sec = -5;
	assert_int_equal(ops->adjtime(ops->ctx, &tx), -EPERM);
	assert_int_equal(tx.constant, 0);
}

/* The raw socketpair: a fake clock serving in a child; short and long
 * messages refused (a long one is not cut to size), the good one passed,
 * and the child gone when its peer closes. */
static void test_serve(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(bftd_privsep_serve(sv[1], &fake) == 0 ? 0 : 1);
	}
	close(sv[1]);
	bftd_privsep_rep rep;
	bftd_privsep_req q = good(0);
	uint8_t big[sizeof q + 8];
	memset(big, 0, sizeof big);
	memcpy(big, &q, sizeof q);
	assert_int_equal(send(sv[0], &q, sizeof q - 4, 0), (ssize_t)(sizeof q - 4));
	assert_int_equal(recv(sv[0], &rep, sizeof rep, 0), (ssize_t)sizeof rep);
	assert_int_equal(rep.rc, -EPERM);
	assert_int_equal(send(sv[0], big, sizeof big, 0), (ssize_t)sizeof big);
	assert_int_equal(recv(sv[0], &rep, sizeof rep, 0), (ssize_t)sizeof rep);
	assert_int_equal(rep.rc, -EPERM);
	assert_int_equal(send(sv[0], &q, sizeof q, 0), (ssize_t)sizeof q);
	assert_int_equal(recv(sv[0], &rep, sizeof rep, 0), (ssize_t)sizeof rep);
	assert_int_equal(rep.rc, FAKE_STATE);
	close(sv[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* In a child: sandboxed, then calls that change nothing whatever happens. */
static void test_sandbox(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256];
		if (bftd_sandbox_engine(err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			_exit(100);
		}
		int bad = 0;
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
		struct __user_cap_data_struct c[2];
		memset(c, 0, sizeof c);
		long g = syscall(SYS_capget, &h, c);
		if (g != 0 || c[0].effective || c[1].effective || c[0].permitted || c[1].permitted) {
			fprintf(stderr, "capget %ld (%s): effective %x %x, permitted %x %x\n", g, strerror(errno), c[0].effective,
			        c[1].effective, c[0].permitted, c[1].permitted);
			bad |= 1; /* a capability left */
		}
		/* CLOCK_MONOTONIC cannot be set: without the filter, EINVAL. */
		struct timespec ts = { 1, 0 };
		errno = 0;
		if (clock_settime(CLOCK_MONOTONIC, &ts) != -1 || errno != EPERM)
			bad |= 2;
		/* A read (modes 0) of an unadjustable clock: EOPNOTSUPP without it. */
		struct timex tx;
		memset(&tx, 0, sizeof tx);
		errno = 0;
		if (syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx) != -1 || errno != EPERM)
			bad |= 4;
		/* A read of the real clock's state (modes 0): allowed without it. */
		memset(&tx, 0, sizeof tx);
		errno = 0;
		if (adjtimex(&tx) != -1 || errno != EPERM)
			bad |= 8;
		/* settimeofday(NULL, NULL) (the system call: glibc dereferences NULL) sets nothing: EPERM only by the filter
		 * (or by a missing CAP_SYS_TIME, already checked above). */
		errno = 0;
		if (syscall(SYS_settimeofday, NULL, NULL) != -1 || errno != EPERM)
			bad |= 16;
		/* And no program can be run from it (one that would fail the
		 * test, should the exec go through). */
		char *argv[] = { "/bin/false", NULL };
		errno = 0;
		execv("/bin/false", argv);
		if (errno != EPERM)
			bad |= 32;
		_exit(bad);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("sandboxed child: failures 0x%x (1 caps, 2 clock_settime, 4 clock_adjtime, 8 adjtimex, "
		         "16 settimeofday, 32 execve; 100 no sandbox)", WEXITSTATUS(st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handle),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_helper_process),
		cmocka_unit_test(test_sandbox),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
