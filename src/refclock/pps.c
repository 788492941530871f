/* SPDX-License-Identifier: MIT */
/*
 * PPS through RFC 2783 and the pairing of edges with NMEA seconds (pps.h).
 */
#include "refclock/pps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timepps.h>
#include <unistd.h>

#include <bftime/common.h>
#include <bftime/interval.h>


/* ---- RFC 2783 ---------------------------------------------------------- */

struct rfc_pps {
	int fd;
	pps_handle_t h;
};

static int rfc_open(const char *path, void **out, char *err, size_t errlen)
{
	struct rfc_pps *p = calloc(1, sizeof *p);
	if (!p)
		return BFT_ENOMEM;
	/* O_RDWR: setparams needs write access to the device on Linux. */
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(p);
		return BFT_EINVAL;
	}
	int mode = 0;
	pps_params_t prm;
	if (time_pps_create(p->fd, &p->h) < 0) {
		snprintf(err, errlen, "%s: not a PPS device (time_pps_create: %s)", path, strerror(errno));
		goto fail;
	}
	if (time_pps_getcap(p->h, &mode) < 0 || !(mode & PPS_CAPTUREASSERT) || !(mode & PPS_TSFMT_TSPEC)) {
		snprintf(err, errlen, "%s: cannot capture assert edges as timespecs", path);
		goto fail_h;
	}
	if (time_pps_getparams(p->h, &prm) < 0) {
		snprintf(err, errlen, "%s: time_pps_getparams: %s", path, strerror(errno));
		goto fail_h;
	}
	/* Assert edges only, no kernel offset correction (the pairing
	 * measures the sentence against the edge as it is). */
	prm.mode |= PPS_CAPTUREASSERT | PPS_TSFMT_TSPEC;
	prm.mode &= ~(PPS_CAPTURECLEAR | PPS_OFFSETASSERT);
	if (time_pps_setparams(p->h, &prm) < 0) {
		snprintf(err, errlen, "%s: time_pps_setparams: %s", path, strerror(errno));
		goto fail_h;
	}
	*out = p;
	return 0;
fail_h:
	time_pps_destroy(p->h);
fail:
	close(p->fd);
	free(p);
	return BFT_EINVAL;
}

static int rfc_fetch(void *h, uint64_t *seq, int64_t *assert_rt_ns)
{
	struct rfc_pps *p = h;
	pps_info_t info;
	struct timespec zero = { 0, 0 }; /* never block the loop */
	memset(&info, 0, sizeof info);
	if (time_pps_fetch(p->h, PPS_TSFMT_TSPEC, &info, &zero) < 0)
		return errno == ETIMEDOUT || errno == EINTR ? BFT_EEMPTY : BFT_EINVAL;
	if (info.assert_sequence == 0)
		return BFT_EEMPTY;
	*seq = info.assert_sequence;
	*assert_rt_ns = (int64_t)info.assert_timestamp.tv_sec * BFT_NS_PER_SEC + info.assert_timestamp.tv_nsec;
	return 0;
}

static void rfc_close(void *h)
{
	struct rfc_pps *p = h;
	if (!p)
		return;
	time_pps_destroy(p->h);
	close(p->fd);
	free(p);
}

const bftd_pps_ops bftd_pps_rfc2783 = { rfc_open, rfc_fetch, rfc_close };

int bftd_pps_dev_open(bftd_pps_dev *d, const bftd_pps_ops *ops, const bftd_refclock_host *host, const char *path,
                      char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->host = host;
	d->ops = ops ? ops : &bftd_pps_rfc2783;
	int rc = d->ops->open(path, &d->h, err, errlen);
	if (rc != 0)
		d->ops = NULL;
	return rc;
}

void bftd_pps_dev_close(bftd_pps_dev *d)
{
	if (d->ops && d->ops->close)
		d->ops->close(d->h);
	d->ops = NULL;
	d->h = NULL;
}

bool bftd_pps_dev_poll(bftd_pps_dev *d, int64_t *edge_raw_ns, int64_t *err_ns)
{
	if (!d->ops)
		return false;
	uint64_t seq;
	int64_t rt;
	int rc = d->ops->fetch(d->h, &seq, &rt);
	if (rc == BFT_EEMPTY)
		return false;
	if (rc != 0) {
		d->errors++;
		return false;
	}
	if (d->have_seq && seq == d->seq)
		return false;
	d->have_seq = true;
	d->seq = seq;
	int64_t span;
	*edge_raw_ns = d->host->realtime_to_raw_ns(rt, &span);
	/* The system clock may be slewed by up to 500 ppm (the kernel's limit)
	 * between the edge and now: that, the paired read's span and 1 us. */
	int64_t age = d->host->raw_ns() - *edge_raw_ns;
	if (age < 0)
		age = 0;
	*err_ns = span + age / 2000 + 1000;
	d->edges++;
	return true;
}

/* ---- pairing ----------------------------------------------------------- */

void bftd_pps_pair_init(bftd_pps_pair *p) { memset(p, 0, sizeof *p); }

void bftd_pps_pair_edge(bftd_pps_pair *p, int64_t raw_ns, int64_t err_ns)
{
	p->edge[p->next_edge] = (bftd_pps_edge){ raw_ns, err_ns };
	p->next_edge = (p->next_edge + 1) % BFTD_PPS_EDGES;
	if (p->n_edges < BFTD_PPS_EDGES)
		p->n_edges++;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

bool bftd_pps_pair_delay(const bftd_pps_pair *p, int64_t *median_ns, int64_t *min_ns, int64_t *max_ns)
{
	if (p->n_late < BFTD_PPS_LOCK_SAMPLES)
		return false;
	int64_t v[BFTD_PPS_WINDOW];
	memcpy(v, p->late, p->n_late * sizeof v[0]);
	qsort(v, p->n_late, sizeof v[0], cmp_i64); /* 16 values */
	*median_ns = v[p->n_late / 2];
	*min_ns = v[0];
	*max_ns = v[p->n_late - 1];
	return true;
}

bool bftd_pps_pair_fix(bftd_pps_pair *p, int64_t arrival_raw_ns, bftd_pps_edge *edge)
{
	int64_t med, lo, hi;
	bool locked = bftd_pps_pair_delay(p, &med, &lo, &hi);
	int best = -1;
	int64_t best_key = 0;
	for (size_t i = 0; i < p->n_edges; i++) {
		int64_t late = arrival_raw_ns - p->edge[i].raw_ns;
		if (late < 0 || late > BFTD_PPS_MAX_LATE_NS)
			continue;
		/* Unlocked: the latest edge (least late). Locked: the one whose
		 * lateness is nearest the usual one, so that a sentence that
		 * arrives just after the next edge is not paired with it. */
		int64_t key = locked ? (late > med ? late - med : med - late) : late;
		if (locked && key > BFTD_PPS_MATCH_NS)
			continue;
		if (best < 0 || key < best_key) {
			best = (int)i;
			best_key = key;
		}
	}
	if (best < 0) {
		p->unpaired++;
		return false;
	}
	*edge = p->edge[best];
	p->late[p->next_late] = arrival_raw_ns - edge->raw_ns;
	p->next_late = (p->next_late + 1) % BFTD_PPS_WINDOW;
	if (p->n_late < BFTD_PPS_WINDOW)
		p->n_late++;
	p->paired++;
	return true;
}
