/* SPDX-License-Identifier: MIT */
/*
 * Dropping root (loop.h, bftd_drop_privileges) in a forked child: the uid
 * becomes the user's, and no capability is left, except CAP_SYS_TIME alone
 * when exports.adjtimex asks to keep it. Only reads /proc/self/status; the
 * clock is never touched. Skipped unless run as root with user nobody.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/log.h"
#include "daemon/loop.h"

#define CAP_SYS_TIME_BIT 25

static unsigned long long cap_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

/* Exit status of a child that drops to nobody and checks what it kept. */
static int child(bool keep)
{
	pid_t pid = fork();
	if (pid == 0) {
		char err[200];
		if (bftd_drop_privileges("nobody", keep, err, sizeof err) != 0)
			_exit(10);
		struct passwd *pw = getpwnam("nobody");
		if (!pw || getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
			_exit(11);
		unsigned long long want = keep ? 1ULL << CAP_SYS_TIME_BIT : 0;
		if (cap_field("CapEff") != want || cap_field("CapPrm") != want)
			_exit(12);
		if (setuid(0) == 0)
			_exit(13);
		_exit(0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

static void test_drop(void **state)
{
	(void)state;
	if (geteuid() != 0 || !getpwnam("nobody"))
		skip();
	assert_int_equal(child(false), 0);
	assert_int_equal(child(true), 0);
}

static void test_noop_without_user(void **state)
{
	(void)state;
	char err[64];
	assert_int_equal(bftd_drop_privileges(NULL, true, err, sizeof err), 0);
	assert_int_equal(bftd_drop_privileges("", false, err, sizeof err), 0);
	if (geteuid() == 0)
		assert_int_not_equal(bftd_drop_privileges("no-such-user-bftime", false, err, sizeof err), 0);
}

int main(void)
{
	bftd_log_open(false, 3, "test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_noop_without_user),
	};
	return cmocka_run_group_tests_name("privileges", tests, NULL, NULL);
}
