/* SPDX-License-Identifier: MIT */
/*
 * Dropping root (loop.h: bftd_drop_privileges), keeping CAP_SYS_TIME alone
 * when the adjtimex export needs it.
 */
#include "daemon/loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bftime/common.h>

#include "daemon/log.h"

/* Keep only CAP_SYS_TIME (effective and permitted) across setuid: what the
 * adjtimex export needs, and nothing else. Raw capget/capset, as libcap
 * would do for one capability. */
static int keep_sys_time(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct c[2];
	memset(c, 0, sizeof c);
	c[CAP_TO_INDEX(CAP_SYS_TIME)].effective = c[CAP_TO_INDEX(CAP_SYS_TIME)].permitted = CAP_TO_MASK(CAP_SYS_TIME);
	return (int)syscall(SYS_capset, &h, c);
}

int bftd_drop_privileges(const char *user, bool keep_clock, char *err, size_t errlen)
{
	if (!user || !user[0] || geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user '%s' does not exist", user);
		return BFT_EINVAL;
	}
	if (keep_clock && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0) {
		snprintf(err, errlen, "cannot keep CAP_SYS_TIME for exports.adjtimex: %s", strerror(errno));
		return BFT_EINVAL;
	}
	if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return BFT_EINVAL;
	}
	if (keep_clock) {
		if (keep_sys_time() != 0) {
			snprintf(err, errlen, "cannot keep CAP_SYS_TIME for exports.adjtimex: %s", strerror(errno));
			return BFT_EINVAL;
		}
		(void)prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	}
	/* Make sure root cannot be regained. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "privileges could be regained after dropping to '%s'", user);
		return BFT_EINVAL;
	}
	bftd_log(LOG_INFO, "running as user %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}
