/* SPDX-License-Identifier: MIT */
/*
 * The loop's signal handling (loop_int.h): SIGINT and SIGTERM stop it,
 * SIGHUP rereads the configuration (reload.h), SIGPIPE and SIGXFSZ are
 * ignored.
 */
#include "daemon/loop_int.h"

#include <signal.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/reload.h"

/* A stop request: set by the handler, read by the loop. Why not a
 * self-pipe: a syscall-level simulator (clknetsim, which tests/clknetsim
 * runs bftimed under) treats every descriptor it does not own as always
 * readable, so simulated time would never advance. The handler is installed
 * without SA_RESTART, so a signal during poll() ends it with EINTR; one that
 * lands between the check and poll() waits at most STOP_POLL_MS. */
volatile sig_atomic_t bftd_stop_requested;

static void on_signal(int sig)
{
	bftd_stop_requested = sig;
}

/* SIGHUP: reread the configuration at the loop's next turn (reload.h). */
static void on_hup(int sig)
{
	(void)sig;
	bftd_reload_requested = 1;
}

int bftd_install_signals(void)
{
	bftd_stop_requested = 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	/* main.c holds them blocked from READY until here: a pending one now
	 * reaches the handler and stops the loop at its first turn. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (sigprocmask(SIG_UNBLOCK, &stop, NULL) != 0)
		return -1;
	/* SIGHUP rereads the configuration and says what differs (reload.h);
	 * main.c holds it blocked from its start: one sent while the daemon
	 * loaded is reread at the loop's first turn. */
	bftd_reload_requested = 0;
	sa.sa_handler = on_hup;
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	if (sigaction(SIGHUP, &sa, NULL) != 0 || sigprocmask(SIG_UNBLOCK, &hup, NULL) != 0)
		return -1;
	/* SIGXFSZ too: a store write past a file-size limit must fail with
	 * EFBIG (an alarm the proof service reports), not kill the daemon. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0 || sigaction(SIGXFSZ, &sa, NULL) != 0)
		return -1;
	return 0;
}

void bftd_close_signals(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
}
