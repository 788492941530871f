/* SPDX-License-Identifier: MIT */
/*
 * Exports (exports.h): bftime's interval handed to the rest of the machine.
 * docs/exports.md describes each format and the interop measured with real
 * chronyd. Four independent exports, each optional:
 *
 *  - chrony SOCK: one struct sock_sample datagram per estimate to the unix
 *    socket chronyd listens on (refclock SOCK path); chronyd not running is
 *    normal (counted, retried), never fatal;
 *  - NTP SHM: the shmTime segment of ntpd's refclock_shm (mode 1, the
 *    count/valid protocol), read by ntpd, ntpsec and chrony (refclock SHM);
 *  - the time-bounds page: the seqlocked file of include/bftime/timebounds.h,
 *    refreshed every second so that its void-after time never lapses while
 *    the daemon lives;
 *  - adjtimex: the daemon disciplines CLOCK_REALTIME itself, through
 *    src/sys/adjtime.h, off by default; to its true-time estimate, or with
 *    `source: network` to the network clock its peers agree on (internal
 *    synchronization, docs/internal-sync.md), which a node without
 *    references runs too.
 *
 * chrony and SHM get a sample only while the node is synchronized and not
 * in alarm: they cannot take an interval, and a point estimate from a node
 * holding over or refusing its sources would be passed on as if it were a
 * measurement. The page carries the full state instead.
 */
#include "daemon/privsep.h"
#include "daemon/exports.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include <bftime/common.h>
#include <bftime/interval.h>
#include <bftime/timebounds.h>

#include "daemon/log.h"
#include "daemon/udp.h"
#include "sys/adjtime.h"
#include "sys/clock.h"

/* The page is refreshed this often, and void this long after its as-of
 * time: three refreshes may be missed (a slow disk under the proof store)
 * before readers are told the daemon is gone. */
#define REFRESH_NS BFT_NS_PER_SEC
#define VOID_AFTER_NS (3 * BFT_NS_PER_SEC)
/* chronyd away: try to reconnect at most this often. */
#define CHRONY_RETRY_NS BFT_NS_PER_SEC

/* chrony's refclock_sock.c sample (chrony 1.x .. 4.x, unchanged). */
#define SOCK_MAGIC 0x534f434b
struct sock_sample {
	struct timeval tv; /* system time of the sample */
	double offset;     /* true time - system time, seconds */
	int pulse;         /* 0: a full time sample, not a PPS edge */
	int leap;          /* 0 normal, 1 insert, 2 delete */
	int _pad;
	int magic;
};

/* ntpd's refclock_shm.c segment (struct shmTime), as ntpd, ntpsec, chrony
 * and gpsd lay it out. */
#define SHM_KEY_BASE 0x4e545030 /* "NTP0" */
struct shm_time {
	int mode; /* 1: the count/valid protocol */
	volatile int count;
	time_t clock_sec; /* the reference: true time */
	int clock_usec;
	time_t receive_sec; /* system time when it was taken */
	int receive_usec;
	int leap;
	int precision; /* log2 seconds */
	int nsamples;
	volatile int valid;
	unsigned clock_nsec; /* newer readers use these when usec == nsec / 1000 */
	unsigned receive_nsec;
	int dummy[8];
};
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(struct shm_time) == 96, "shmTime is 96 bytes on LP64 Linux");
#endif

struct bftd_exports {
	bftd_exports_env env;
	int64_t rho_ppb;    /* the discipline's drift bound: bounds widen by it over raw time */
	int64_t next_mono;  /* INT64_MAX: nothing needs refreshing */

	/* chrony */
	char chrony_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int chrony_fd;
	int64_t chrony_retry_mono;
	uint64_t chrony_sent, chrony_failed;
	int chrony_errno; /* last failure, 0 after a success */

	/* SHM */
	int shm_unit;
	struct shm_time *shm;
	uint64_t shm_writes;

	/* time-bounds page */
	char tb_path[256];
	void *tb;
	uint64_t tb_updates;
	enum bft_timebounds_status tb_status;

	/* adjtimex */
	bool adj;
	bool adj_active;      /* we have set the clock's state at least once */
	bool adj_network;     /* source: network: follow the wire clock, also without true time */
	uint64_t adj_updates, adj_steps, adj_refused_steps, adj_errors;
	int64_t adj_offset_ns, adj_freq_ppb;
	int adj_errno;
};

static void real_clocks(void *ctx, int64_t *mb, int64_t *raw, int64_t *rt, int64_t *ma)
{
	(void)ctx;
	*mb = bft_clock_mono_ns();
	*raw = bft_clock_raw_ns();
	*rt = bft_clock_realtime_ns();
	*ma = bft_clock_mono_ns();
}

/* The sample carried to the moment the clocks were read. */
typedef struct now {
	int64_t mono_ns;     /* as-of: the mono read before the raw one */
	int64_t window_ns;   /* mono after - mono before: where the raw read really was */
	int64_t realtime_ns;
	bft_interval bounds;
	int64_t estimate_ns;
	enum bft_timebounds_status status;
	int64_t net_time_ns; /* the network clock carried to now (0: none runs) */
	int64_t wire_ns;     /* the clock the node stamps on the wire (e.net_time_ns) carried to now */
} now_t;

/* x * ppb / 1e9 rounded away from zero, signed, saturating. */
static int64_t scale_ppb(int64_t x, int64_t ppb)
{
	if (ppb == INT64_MIN)
		ppb = -INT64_MAX;
	int64_t m = bft_drift_ns(ppb < 0 ? -ppb : ppb, x);
	return (x < 0) != (ppb < 0) ? -m : m;
}

static enum bft_timebounds_status status_of(const bft_estimate *e)
{
	if (e->state == BFT_DISC_UNSYNCHRONIZED)
		return BFT_TIMEBOUNDS_UNKNOWN;
	if (e->alarm)
		return BFT_TIMEBOUNDS_DISRUPTED;
	return e->state == BFT_DISC_HOLDOVER ? BFT_TIMEBOUNDS_FREE_RUNNING : BFT_TIMEBOUNDS_SYNCHRONIZED;
}

static void carry(const bftd_exports *x, const bftd_export_sample *s, now_t *n)
{
	int64_t mb, raw, rt, ma;
	x->env.read_clocks(x->env.ctx, &mb, &raw, &rt, &ma);
	n->mono_ns = mb;
	n->window_ns = ma > mb ? ma - mb : 0;
	n->realtime_ns = rt;
	n->status = status_of(&s->e);
	/* The network clock (as /v1/time states it): time_ns, carried at the
	 * clock's own frequency. */
	int64_t dtn = bft_sat_sub(raw, s->raw_ns);
	n->net_time_ns = s->e.state != BFT_DISC_UNSYNCHRONIZED || s->e.net_running
	                         ? bft_sat_add(bft_sat_add(s->e.time_ns, dtn), scale_ppb(dtn, s->e.freq_ppb))
	                         : 0;
	n->wire_ns = n->net_time_ns ? bft_sat_add(bft_sat_add(s->e.net_time_ns, dtn), scale_ppb(dtn, s->e.freq_ppb)) : 0;
	if (n->status == BFT_TIMEBOUNDS_UNKNOWN) {
		n->bounds = bft_iv(INT64_MIN, INT64_MAX);
		n->estimate_ns = 0;
		return;
	}
	/* From the sample's raw time to now, as the discipline itself would:
	 * true time moved by dt * (1 + e), |e| <= rho; the estimate moves at
	 * the fitted frequency. */
	int64_t dt = bft_sat_sub(raw, s->raw_ns);
	n->bounds = bft_iv_widen_drift(bft_iv_shift(s->e.bounds, dt), x->rho_ppb, dt);
	int64_t est = bft_sat_add(bft_sat_add(s->e.estimate_ns, dt), scale_ppb(dt, s->e.freq_ppb));
	n->estimate_ns = est < n->bounds.lo_ns ? n->bounds.lo_ns : est > n->bounds.hi_ns ? n->bounds.hi_ns : est;
}

/* ---- chrony SOCK ---- */

static void chrony_close(bftd_exports *x)
{
	if (x->chrony_fd >= 0)
		close(x->chrony_fd);
	x->chrony_fd = -1;
}

static void chrony_failed(bftd_exports *x, int err, int64_t mono)
{
	if (x->chrony_errno != err)
		bftd_log(LOG_WARNING, "chrony socket %s: %s (chronyd not running? retrying every second)",
		         x->chrony_path, strerror(err));
	x->chrony_errno = err;
	x->chrony_failed++;
	x->chrony_retry_mono = mono + CHRONY_RETRY_NS;
	chrony_close(x);
}

/* chronyd binds the socket; we are a client that connects and sends. A
 * restarted chronyd binds a new socket at the same path, so any failure
 * drops the connection and the next sample (after a second) reconnects. */
static void chrony_send(bftd_exports *x, const now_t *n)
{
	if (x->chrony_fd < 0) {
		if (n->mono_ns < x->chrony_retry_mono)
			return;
		x->chrony_fd = bftd_socket(AF_UNIX, SOCK_DGRAM);
		if (x->chrony_fd < 0) {
			chrony_failed(x, errno, n->mono_ns);
			return;
		}
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		memcpy(a.sun_path, x->chrony_path, sizeof a.sun_path);
		if (connect(x->chrony_fd, (struct sockaddr *)&a, sizeof a) != 0) {
			chrony_failed(x, errno, n->mono_ns);
			return;
		}
	}
	struct sock_sample m;
	memset(&m, 0, sizeof m);
	/* tv has microseconds: the offset is taken against the truncated
	 * system time, so nothing is lost but the estimate's own error. */
	int64_t rt_us = n->realtime_ns / 1000 - (n->realtime_ns % 1000 < 0);
	m.tv.tv_sec = (time_t)(rt_us / 1000000 - (rt_us % 1000000 < 0));
	m.tv.tv_usec = (suseconds_t)(rt_us - (int64_t)m.tv.tv_sec * 1000000);
	m.offset = (double)bft_sat_sub(n->estimate_ns, rt_us * 1000) / 1e9;
	m.pulse = 0;
	m.leap = 0;
	m.magic = SOCK_MAGIC;
	if (send(x->chrony_fd, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) {
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK) {
			x->chrony_failed++; /* chronyd busy: drop this one sample */
			return;
		}
		chrony_failed(x, e, n->mono_ns);
		return;
	}
	if (x->chrony_errno)
		bftd_log(LOG_NOTICE, "chrony socket %s: sending samples again", x->chrony_path);
	x->chrony_errno = 0;
	x->chrony_sent++;
}

/* ---- NTP SHM ---- */

static int shm_open_unit(bftd_exports *x, int unit, char *err, size_t errlen)
{
	/* ntpd's convention: units 0 and 1 are for root-only clients (a
	 * privileged ntpd), 2 and up are world-writable so that an
	 * unprivileged gpsd can feed them. */
	int perm = unit <= 1 ? 0600 : 0666;
	int id = shmget((key_t)(SHM_KEY_BASE + unit), sizeof(struct shm_time), IPC_CREAT | perm);
	if (id < 0) {
		snprintf(err, errlen, "exports.ntp_shm: shmget(0x%x): %s%s", SHM_KEY_BASE + unit, strerror(errno),
		         errno == EINVAL ? " (a segment of another size exists: ipcrm it)" : "");
		return BFT_EINVAL;
	}
	void *p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		snprintf(err, errlen, "exports.ntp_shm: shmat(0x%x): %s", SHM_KEY_BASE + unit, strerror(errno));
		return BFT_EINVAL;
	}
	x->shm = p;
	x->shm_unit = unit;
	return 0;
}

static void split_ns(int64_t t, time_t *sec, int *usec, unsigned *nsec)
{
	int64_t s = t / BFT_NS_PER_SEC, r = t % BFT_NS_PER_SEC;
	if (r < 0) {
		s--;
		r += BFT_NS_PER_SEC;
	}
	*sec = (time_t)s;
	*usec = (int)(r / 1000);
	*nsec = (unsigned)r;
}

/* Mode 1, as ntpd's reader expects: valid cleared, count bumped, fields
 * written, count bumped again, valid set; a reader that sees count change
 * across its copy discards it. The fences keep the compiler and the CPU
 * from moving field stores outside the two count stores. */
static void shm_write(bftd_exports *x, const now_t *n)
{
	struct shm_time *t = x->shm;
	volatile struct shm_time *v = t;
	v->valid = 0;
	atomic_thread_fence(memory_order_seq_cst);
	v->count = v->count + 1;
	atomic_thread_fence(memory_order_seq_cst);
	v->mode = 1;
	time_t sec;
	int usec;
	unsigned nsec;
	split_ns(n->estimate_ns, &sec, &usec, &nsec);
	v->clock_sec = sec;
	v->clock_usec = usec;
	v->clock_nsec = nsec;
	split_ns(n->realtime_ns, &sec, &usec, &nsec);
	v->receive_sec = sec;
	v->receive_usec = usec;
	v->receive_nsec = nsec;
	v->leap = 0;
	/* Precision: log2 of the half-width in seconds, rounded up, so ntpd's
	 * dispersion is never smaller than what the interval says. */
	double half = (double)bft_iv_width(n->bounds) / 2e9;
	int prec = half > 0 ? (int)ceil(log2(half)) : -30;
	v->precision = prec < -30 ? -30 : prec > 0 ? 0 : prec;
	v->nsamples = 0;
	atomic_thread_fence(memory_order_seq_cst);
	v->count = v->count + 1;
	atomic_thread_fence(memory_order_seq_cst);
	v->valid = 1;
	x->shm_writes++;
}

/* ---- time-bounds page ---- */

/* Created whole under a temporary name and renamed into place, so a reader
 * opening the path never sees a short or uninitialised file; then updated
 * in place under the seqlock. A reader still mapping a previous daemon's
 * page sees it go void and re-opens the path (timebounds.c). */
static int tb_open(bftd_exports *x, const char *path, char *err, size_t errlen)
{
	char tmp[sizeof x->tb_path + 32];
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	/* A new file or nothing: the directory is usually /dev/shm, which
	 * every user may write, and this runs as root. A name planted in
	 * advance (a symlink to /etc/shadow) makes it fail, not follow. */
	unlink(tmp);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "exports.timebounds: %s: %s", tmp, strerror(errno));
		return BFT_EINVAL;
	}
	void *m = MAP_FAILED;
	/* fchmod: the umask must not make the page unreadable to applications. */
	if (fchmod(fd, 0644) == 0 && ftruncate(fd, BFT_TIMEBOUNDS_PAGE_SIZE) == 0)
		m = mmap(NULL, BFT_TIMEBOUNDS_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		unlink(tmp);
		snprintf(err, errlen, "exports.timebounds: %s: %s", tmp, strerror(e));
		return BFT_EINVAL;
	}
	bft_timebounds_page_init(m);
	if (rename(tmp, path) != 0) {
		e = errno;
		munmap(m, BFT_TIMEBOUNDS_PAGE_SIZE);
		unlink(tmp);
		snprintf(err, errlen, "exports.timebounds: rename to %s: %s", path, strerror(e));
		return BFT_EINVAL;
	}
	x->tb = m;
	snprintf(x->tb_path, sizeof x->tb_path, "%s", path);
	return 0;
}

static void tb_write(bftd_exports *x, const now_t *n, const bftd_export_sample *s)
{
	bft_timebounds_snapshot p;
	p.status = n->status;
	p.as_of_mono_ns = n->mono_ns;
	p.void_after_mono_ns = bft_sat_add(n->mono_ns, VOID_AFTER_NS);
	/* The rates are against CLOCK_MONOTONIC_RAW, which the readers have,
	 * not the node's raw clock: they differ by the test knob k
	 * (raw = mono_raw * (1 + k) + c). True time runs at (1 + f)(1 + k)
	 * times mono_raw for the estimate, and within (1 +- rho)(1 + k) for
	 * the bounds, which a symmetric bound covers with rho + |k| + rho|k|.
	 * In production k = 0 and both are the node's own. */
	int64_t k = s->raw_freq_ppb, ak = k < 0 ? -k : k;
	p.rate_ppb = bft_sat_add(bft_sat_add(s->e.freq_ppb, k), scale_ppb(k, s->e.freq_ppb));
	p.rho_ppb = bft_sat_add(bft_sat_add(x->rho_ppb, ak), bft_drift_ns(x->rho_ppb, ak));
	if (n->status == BFT_TIMEBOUNDS_UNKNOWN) {
		p.earliest_ns = INT64_MIN;
		p.latest_ns = INT64_MAX;
		p.estimate_ns = 0;
	} else {
		/* The raw read happened somewhere in the mono window after
		 * as-of: widen by the window (at any rate below 2) so the
		 * interval holds wherever in it that was. */
		int64_t w = bft_sat_add(bft_sat_add(n->window_ns, n->window_ns), 1);
		p.earliest_ns = bft_sat_sub(n->bounds.lo_ns, w);
		p.latest_ns = bft_sat_add(n->bounds.hi_ns, w);
		p.estimate_ns = n->estimate_ns;
	}
	/* Readers refuse the page once the machine has slept since: since the
	 * state was found valid (s->slept_ns), not since this write (found by
	 * review: a suspend between the daemon's check and the write paired
	 * pre-suspend bounds with the post-suspend count). */
	p.slept_ns = s->slept_ns;
	/* The network clock and the precision this node states (internal
	 * synchronization, docs/internal-sync.md section 9). */
	bool synced = s->e.state != BFT_DISC_UNSYNCHRONIZED;
	p.net_state = synced ? BFT_TIMEBOUNDS_NET_TRUE_TIME
	            : !s->e.net_running ? BFT_TIMEBOUNDS_NET_NONE
	            : s->e.agreed ? BFT_TIMEBOUNDS_NET_AGREED : BFT_TIMEBOUNDS_NET_BOOTING;
	p.net_time_ns = p.net_state != BFT_TIMEBOUNDS_NET_NONE ? n->net_time_ns : 0;
	p.precision_ns = s->e.net_running ? s->e.precision_ns : 0;
	p.precision_hard_ns = s->e.net_running ? s->e.precision_hard_ns : 0;
	bft_timebounds_page_store(x->tb, &p);
	x->tb_status = p.status;
	x->tb_updates++;
}

/* ---- adjtimex ---- */

/* The policy (docs/exports.md). The kernel's own PLL is switched off: the
 * node already is the loop filter (its estimate is a robust fit over many
 * fused measurements, continuous and slew-limited), so the kernel gets a
 * plain rate every estimate: the node's frequency plus a proportional
 * correction of the remaining offset, offset / ADJ_TAU_S, the total capped
 * at ADJ_MAX_SLEW_PPB (chronyd's maxslewrate). The kernel's frequency takes
 * only +-500 ppm, so the rest goes into the tick length (one microsecond of
 * tick per USER_HZ tick is 100 ppm at HZ 100), as chronyd does: a 100 ms
 * error is gone in about ADJ_TAU_S * ln(offset / noise) seconds instead of
 * the 250 s the frequency alone needs. An offset beyond ADJ_STEP_NS is
 * stepped if the clock is behind; a clock that is ahead is never stepped
 * back (applications see time run backwards), only slewed at the cap. In
 * the alarm the loop stops steering: the clock runs on at the node's last
 * frequency with the tick back at nominal, so no slew is left behind in the
 * kernel while the node refuses its sources. */
#define ADJ_TAU_S 16
#define ADJ_STEP_NS INT64_C(128000000)
#define ADJ_MAX_SLEW_PPB INT64_C(83333333)
#define ADJ_MAX_FREQ_PPB INT64_C(500000)
#define ADJ_MAXERROR_US 16000000L /* NTP_PHASE_LIMIT: "unsynchronized" */

static long us_up(int64_t ns)
{
	if (ns <= 0)
		return 0;
	int64_t us = ns / 1000 + (ns % 1000 != 0);
	return us > ADJ_MAXERROR_US ? ADJ_MAXERROR_US : (long)us;
}

static int adj_call(bftd_exports *x, struct timex *tx)
{
	int rc = x->env.adjtime->adjtime(x->env.adjtime->ctx, tx);
	if (rc < 0) {
		if (x->adj_errno != -rc)
			bftd_log(LOG_WARNING, "adjtimex: %s", strerror(-rc));
		x->adj_errno = -rc;
		x->adj_errors++;
	} else {
		x->adj_errno = 0;
	}
	return rc;
}

/* Split a rate (ppb, against the oscillator) into the kernel's tick (us per
 * USER_HZ tick) and frequency (ppm with a 16-bit fraction). */
static void adj_rate(struct timex *tx, int64_t rate_ppb)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	long nominal = 1000000L / hz;
	int64_t per_us = BFT_PPB_PER_UNIT / 1000000 * hz; /* ppb per us of tick: 100000 at HZ 100 */
	int64_t ticks = 0;
	if (rate_ppb > ADJ_MAX_FREQ_PPB || rate_ppb < -ADJ_MAX_FREQ_PPB)
		ticks = rate_ppb / per_us; /* toward zero: the rest stays within the frequency's range */
	tx->tick = nominal + (long)ticks;
	tx->freq = (long)((rate_ppb - ticks * per_us) * 65536 / 1000);
}

static void adj_apply(bftd_exports *x, const now_t *n, const bftd_export_sample *s)
{
	/* source: network without true time: the network clock once it
	 * AGREES with its peers (a booting one may still step). */
	bool net_only = x->adj_network && n->status == BFT_TIMEBOUNDS_UNKNOWN && s->e.net_running && s->e.agreed;
	if (n->status == BFT_TIMEBOUNDS_UNKNOWN && !net_only)
		return; /* never touch a clock we have nothing to say about */
	struct timex tx;
	if (bft_adjtime_read(x->env.adjtime, &tx) < 0) {
		x->adj_errors++;
		return;
	}
	int status = tx.status;
	/* Rates against CLOCK_MONOTONIC_RAW, the oscillator the kernel's
	 * frequency is applied to: (1 + f)(1 + k) - 1. */
	int64_t k = s->raw_freq_ppb;
	/* A network clock's own course runs at the oscillator's rate and is
	 * corrected in phase each poll: the kernel follows its mean rate, the
	 * fitted one (a proportional loop on top of the course's rate alone
	 * lagged its oscillator's error times the time constant: 2.8 ms
	 * between clocks 100 ppm apart in clknetsim). */
	int64_t f = net_only && s->net_rate_known ? s->net_rate_ppb : s->e.freq_ppb;
	int64_t base = bft_sat_add(bft_sat_add(f, k), scale_ppb(k, f));
	if (n->status == BFT_TIMEBOUNDS_DISRUPTED) {
		/* The alarm: tell applications (ntp_adjtime returns
		 * TIME_ERROR), stop correcting the offset, and hold over on
		 * the last good frequency. */
		if (!x->adj_active)
			return;
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_FREQUENCY | ADJ_TICK;
		tx.status = status | STA_UNSYNC;
		tx.maxerror = ADJ_MAXERROR_US;
		adj_rate(&tx, base);
		if (adj_call(x, &tx) >= 0)
			x->adj_freq_ppb = base;
		return;
	}
	/* source: network follows the clock the node stamps on the wire,
	 * which its peers' agreement bounds (for a node with true time, its
	 * true-time clock plus the offset agreement keeps it at). */
	int64_t target = x->adj_network ? n->wire_ns : n->estimate_ns;
	int64_t offset = bft_sat_sub(target, n->realtime_ns);
	int64_t sys_ns = n->realtime_ns; /* system time now, after any step */
	if (offset > ADJ_STEP_NS) {
		memset(&tx, 0, sizeof tx);
		tx.modes = ADJ_SETOFFSET | ADJ_NANO;
		tx.time.tv_sec = (time_t)(offset / BFT_NS_PER_SEC);
		tx.time.tv_usec = (suseconds_t)(offset % BFT_NS_PER_SEC); /* ns with ADJ_NANO; offset > 0 */
		if (adj_call(x, &tx) < 0)
			return;
		x->adj_steps++;
		bftd_log(LOG_NOTICE, "adjtimex: stepped the system clock forward by %.6f s", (double)offset / 1e9);
		sys_ns = target;
		offset = 0;
	} else if (offset < -ADJ_STEP_NS) {
		if (x->adj_refused_steps++ == 0)
			bftd_log(LOG_WARNING,
			         "adjtimex: the system clock is %.6f s ahead; not stepping it back, slewing at %lld ppm",
			         (double)-offset / 1e9, (long long)(ADJ_MAX_SLEW_PPB / 1000));
	}
	int64_t freq = bft_sat_add(base, offset / ADJ_TAU_S);
	freq = freq > ADJ_MAX_SLEW_PPB ? ADJ_MAX_SLEW_PPB : freq < -ADJ_MAX_SLEW_PPB ? -ADJ_MAX_SLEW_PPB : freq;
	memset(&tx, 0, sizeof tx);
	tx.modes = ADJ_FREQUENCY | ADJ_TICK | ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	adj_rate(&tx, freq);
	tx.status = status & ~(STA_UNSYNC | STA_PLL | STA_FLL | STA_PPSFREQ | STA_PPSTIME | STA_FREQHOLD);
	if (net_only) {
		/* Agreement with peers says nothing about true time: the
		 * kernel keeps saying so (TIME_ERROR to ntp_adjtime callers,
		 * no RTC writes), while the clock follows the network. */
		tx.status |= STA_UNSYNC;
		tx.maxerror = tx.esterror = ADJ_MAXERROR_US;
	} else {
		/* maxerror: how far system time may be from true time, from
		 * the interval as it stands after this correction (the part of
		 * the offset not yet slewed out counts); esterror: half the
		 * width. */
		int64_t ahead = bft_sat_sub(sys_ns, n->bounds.lo_ns), behind = bft_sat_sub(n->bounds.hi_ns, sys_ns);
		tx.maxerror = us_up(ahead > behind ? ahead : behind);
		tx.esterror = us_up(bft_iv_width(n->bounds) / 2);
	}
	if (adj_call(x, &tx) < 0)
		return;
	x->adj_active = true;
	x->adj_updates++;
	x->adj_offset_ns = offset;
	x->adj_freq_ppb = freq;
}

/* ---- the module ---- */

int bftd_exports_open(bftd_exports **out, const bftd_config *cfg, char *err, size_t errlen)
{
	/* The clock through the helper when one runs (privsep.h). */
	bftd_exports_env env = { .adjtime = bftd_privsep_ops() };
	return bftd_exports_open_env(out, cfg, &env, err, errlen);
}

int bftd_exports_open_env(bftd_exports **out, const bftd_config *cfg, const bftd_exports_env *env, char *err,
                          size_t errlen)
{
	*out = NULL;
	if (cfg->adjtimex) {
		/* These references read CLOCK_REALTIME as true time: disciplining
		 * that clock from them is a loop that chases its own tail. */
		for (size_t i = 0; i < cfg->n_refs; i++)
			if (cfg->refs[i].kind == BFTD_REF_SYSTEM || cfg->refs[i].kind == BFTD_REF_SIMULATED) {
				snprintf(err, errlen,
				         "exports.adjtimex: reference %s reads the system clock it would adjust",
				         cfg->refs[i].name);
				return BFT_EINVAL;
			}
	}
	bftd_exports *x = calloc(1, sizeof *x);
	if (!x) {
		snprintf(err, errlen, "exports: out of memory");
		return BFT_ENOMEM;
	}
	x->env.read_clocks = env && env->read_clocks ? env->read_clocks : real_clocks;
	x->env.ctx = env && env->read_clocks ? env->ctx : NULL;
	x->env.adjtime = env && env->adjtime ? env->adjtime : &bft_adjtime_system;
	x->rho_ppb = cfg->node.disc.rho_ppb;
	x->next_mono = INT64_MAX;
	x->chrony_fd = -1;
	x->shm_unit = -1;
	x->tb_status = BFT_TIMEBOUNDS_UNKNOWN;
	int rc = 0;
	if (cfg->chrony_sock[0]) {
		if (strlen(cfg->chrony_sock) >= sizeof x->chrony_path) {
			snprintf(err, errlen, "exports.chrony_sock: path too long");
			rc = BFT_EINVAL;
			goto fail;
		}
		snprintf(x->chrony_path, sizeof x->chrony_path, "%s", cfg->chrony_sock);
	}
	if (cfg->ntp_shm_unit >= 0 && (rc = shm_open_unit(x, cfg->ntp_shm_unit, err, errlen)) != 0)
		goto fail;
	if (cfg->timebounds_path[0]) {
		if ((rc = tb_open(x, cfg->timebounds_path, err, errlen)) != 0)
			goto fail;
		x->next_mono = 0; /* publish as soon as the loop runs */
	}
	if (cfg->adjtimex) {
		/* Fail now rather than at the first estimate if the kernel
		 * interface is missing (reading changes nothing). Writing
		 * needs CAP_SYS_TIME, which only the first write can tell:
		 * its failure is logged and counted. */
		struct timex tx;
		if (bft_adjtime_read(x->env.adjtime, &tx) < 0) {
			snprintf(err, errlen, "exports.adjtimex: cannot read the kernel clock state");
			rc = BFT_EINVAL;
			goto fail;
		}
		x->adj = true;
		x->adj_network = cfg->adjtimex_network;
	}
	*out = x;
	return 0;
fail:
	bftd_exports_close(x);
	return rc;
}

void bftd_exports_publish(bftd_exports *x, const bftd_export_sample *s)
{
	if (!x || (!x->chrony_path[0] && !x->shm && !x->tb && !x->adj))
		return;
	now_t n;
	carry(x, s, &n);
	bool sample = n.status == BFT_TIMEBOUNDS_SYNCHRONIZED;
	if (x->chrony_path[0] && sample)
		chrony_send(x, &n);
	if (x->shm && sample)
		shm_write(x, &n);
	if (x->tb)
		tb_write(x, &n, s);
	/* adjtimex too is refreshed every second, not only at estimates: its
	 * rate holds a proportional correction of the offset measured now,
	 * which left in force for a whole poll (1024 s) would overshoot by
	 * poll / ADJ_TAU_S times that offset and run away (seconds, in
	 * clknetsim). */
	if (x->tb || x->adj)
		x->next_mono = bft_sat_add(n.mono_ns, REFRESH_NS);
	if (x->adj)
		adj_apply(x, &n, s);
}

int64_t bftd_exports_next_mono(const bftd_exports *x) { return x ? x->next_mono : INT64_MAX; }

void bftd_exports_status(const bftd_exports *x, struct json_object *o)
{
	if (!x)
		return;
	if (x->chrony_path[0]) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "path", json_object_new_string(x->chrony_path));
		json_object_object_add(c, "sent", json_object_new_int64((int64_t)x->chrony_sent));
		json_object_object_add(c, "failed", json_object_new_int64((int64_t)x->chrony_failed));
		json_object_object_add(c, "error", x->chrony_errno ? json_object_new_string(strerror(x->chrony_errno)) : NULL);
		json_object_object_add(o, "chrony", c);
	}
	if (x->shm) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "unit", json_object_new_int(x->shm_unit));
		json_object_object_add(c, "writes", json_object_new_int64((int64_t)x->shm_writes));
		json_object_object_add(o, "ntp_shm", c);
	}
	if (x->tb) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "path", json_object_new_string(x->tb_path));
		json_object_object_add(c, "updates", json_object_new_int64((int64_t)x->tb_updates));
		json_object_object_add(c, "status", json_object_new_string(bft_timebounds_status_name(x->tb_status)));
		json_object_object_add(o, "timebounds", c);
	}
	if (x->adj) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "source", json_object_new_string(x->adj_network ? "network" : "estimate"));
		json_object_object_add(c, "updates", json_object_new_int64((int64_t)x->adj_updates));
		json_object_object_add(c, "steps", json_object_new_int64((int64_t)x->adj_steps));
		json_object_object_add(c, "refused_steps", json_object_new_int64((int64_t)x->adj_refused_steps));
		json_object_object_add(c, "errors", json_object_new_int64((int64_t)x->adj_errors));
		json_object_object_add(c, "offset_ns", json_object_new_int64(x->adj_offset_ns));
		json_object_object_add(c, "freq_ppb", json_object_new_int64(x->adj_freq_ppb));
		json_object_object_add(o, "adjtimex", c);
	}
}

void bftd_exports_close(bftd_exports *x)
{
	if (!x)
		return;
	chrony_close(x);
	if (x->shm)
		shmdt(x->shm); /* the segment stays: ntpd or chronyd may own it */
	if (x->tb) {
		/* Readers learn at once that nobody stands behind the page,
		 * rather than at void-after. The file stays: readers map it. */
		bft_timebounds_snapshot p = { .earliest_ns = INT64_MIN, .latest_ns = INT64_MAX, .status = BFT_TIMEBOUNDS_UNKNOWN };
		bft_timebounds_page_store(x->tb, &p);
		munmap(x->tb, BFT_TIMEBOUNDS_PAGE_SIZE);
	}
	free(x);
}
