/* SPDX-License-Identifier: MIT */
/* The GPS byte-stream drivers' common skeleton (gps_stream.h). */
#include "refclock/gps_stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bftime/common.h>

#include "util/value.h"

/* ---- options ------------------------------------------------------------- */

static int opt_pps(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_str(v, r->pps, sizeof r->pps, err, errlen);
}

static int opt_delay(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	if (v && !strcmp(v, "auto")) {
		r->delay_ns = -1;
		return 0;
	}
	return bft_value_duration(v, 0, BFT_NS_PER_SEC, &r->delay_ns, err, errlen);
}

static int opt_leap(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_int(v, 0, 255, &r->leap_s, err, errlen);
}

static int opt_fixed(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_bool(v, &r->fixed, err, errlen);
}

static int opt_max_move(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	size_t l = v ? strlen(v) : 0;
	char num[32];
	if (!v || l < 2 || l >= sizeof num || v[l - 1] != 'm') {
		snprintf(err, errlen, "max_move: expected a distance in metres, e.g. 100m");
		return BFT_EINVAL;
	}
	memcpy(num, v, l - 1);
	num[l - 1] = 0;
	const char *end;
	if (bft_decimal_parse(num, 0, &r->max_move_m, &end) != 0 || *end || r->max_move_m < 1 ||
	    r->max_move_m > 100000) {
		snprintf(err, errlen, "max_move: expected 1m to 100000m");
		return BFT_EINVAL;
	}
	return 0;
}

const bftd_ref_opt bftd_gps_stream_options[] = {
	{ "pps", BFTD_REF_OPT_GPS, opt_pps },
	{ "delay", BFTD_REF_OPT_GPS, opt_delay },
	{ "leap_seconds", BFTD_REF_OPT_GPS, opt_leap },
	{ "fixed", BFTD_REF_OPT_GPS, opt_fixed },
	{ "max_move", BFTD_REF_OPT_GPS, opt_max_move },
	{ NULL, 0, NULL },
};

void bftd_gps_stream_finish(bftd_ref *r)
{
	if (r->uncertainty_ns < 0)
		r->uncertainty_ns = r->pps[0] ? BFT_NS_PER_SEC / 1000 : BFT_NS_PER_SEC / 10;
}

/* ---- the stream ----------------------------------------------------------- */

void bftd_gps_stream_init(bftd_gps_stream *s, const bftd_refclock *rc)
{
	const bftd_ref *c = rc->cfg;
	s->fd = -1;
	s->backoff_ns = BFTD_GPS_BACKOFF_MIN_NS;
	bftd_gps_rx_init(&s->rx, c->delay_ns, c->uncertainty_ns, c->pps[0] != 0, c->leap_s, c->fixed, c->max_move_m);
}

int bftd_gps_stream_open_pps(bftd_gps_stream *s, const bftd_refclock *rc, const bftd_pps_ops *ops,
                             int64_t now_mono_ns, char *err, size_t errlen)
{
	if (!rc->cfg->pps[0])
		return 0;
	char e2[200];
	if (bftd_pps_dev_open(&s->pps, ops, rc->host, rc->cfg->pps, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "pps %s", e2);
		return BFT_EINVAL;
	}
	s->have_pps_dev = true;
	s->pps_next_mono_ns = now_mono_ns;
	return 0;
}

void bftd_gps_stream_close(bftd_gps_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->have_pps_dev)
		bftd_pps_dev_close(&s->pps);
	s->have_pps_dev = false;
}

void bftd_gps_stream_failed(bftd_gps_stream *s, int64_t now_mono_ns, const char *why)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	bftd_gps_guard_reset_time(&s->rx.guard);
	snprintf(s->why, sizeof s->why, "%s", why);
	s->retry_mono_ns = now_mono_ns + s->backoff_ns;
	s->backoff_ns = s->backoff_ns * 2 > BFTD_GPS_BACKOFF_MAX_NS ? BFTD_GPS_BACKOFF_MAX_NS : s->backoff_ns * 2;
}

void bftd_gps_stream_enqueue(bftd_gps_stream *s, const bftd_reading *r)
{
	if (s->qn == BFTD_GPS_QUEUE) { /* the loop has not called for a while: the oldest is the stalest */
		s->qhead = (s->qhead + 1) % BFTD_GPS_QUEUE;
		s->qn--;
		s->dropped++;
	}
	s->q[(s->qhead + s->qn) % BFTD_GPS_QUEUE] = *r;
	s->qn++;
}

size_t bftd_gps_stream_pollfds(const bftd_gps_stream *s, short events, struct pollfd *pfd, size_t max)
{
	if (!max || s->fd < 0)
		return 0;
	pfd[0] = (struct pollfd){ .fd = s->fd, .events = events };
	return 1;
}

short bftd_gps_stream_begin(bftd_gps_stream *s, const struct pollfd *pfd, size_t n, int64_t now_mono_ns)
{
	if (s->have_pps_dev && now_mono_ns >= s->pps_next_mono_ns) {
		int64_t raw, e;
		if (bftd_pps_dev_poll(&s->pps, &raw, &e))
			bftd_gps_rx_edge(&s->rx, raw, e);
		s->pps_next_mono_ns = now_mono_ns + BFTD_GPS_PPS_POLL_NS;
	}
	return n > 0 && s->fd >= 0 && pfd[0].fd == s->fd ? pfd[0].revents : 0;
}

const char *bftd_gps_stream_read(bftd_refclock *rc, bftd_gps_stream *s, char *buf, size_t cap, const char *eof_why,
                                 void (*feed)(bftd_refclock *rc, const char *buf, size_t n, int64_t raw_ns))
{
	for (int k = 0; k < 16; k++) {
		ssize_t r = read(s->fd, buf, cap);
		int64_t raw = rc->host->raw_ns(); /* right after read(): the latest these bytes arrived */
		if (r > 0) {
			s->backoff_ns = BFTD_GPS_BACKOFF_MIN_NS; /* a working input */
			bftd_watch_read(&s->watch, raw);
			feed(rc, buf, (size_t)r, raw);
			bftd_watch_done(&s->watch);
			continue;
		}
		/* With O_NONBLOCK "nothing now" is EAGAIN, so 0 is the end: a
		 * FIFO's writer gone, a pty's master closed, gpsd gone. */
		if (r == 0)
			return eof_why;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return strerror(errno); /* EIO: pty closed, USB unplugged */
		bftd_watch_empty(&s->watch, raw);
		return NULL;
	}
	return NULL;
}

size_t bftd_gps_stream_end(bftd_refclock *rc, bftd_gps_stream *s, bool live, bool down, short events,
                           int64_t now_mono_ns, bftd_reading *out, size_t max)
{
	if (live) /* the next bytes' arrival known to within a probe period */
		bftd_watch_probe(&s->watch, rc->host, s->fd, events != 0, now_mono_ns);
	size_t k = 0;
	while (k < max && s->qn) {
		out[k++] = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % BFTD_GPS_QUEUE;
		s->qn--;
	}
	int64_t next = INT64_MAX;
	if (s->qn)
		next = now_mono_ns;
	if (down && s->retry_mono_ns < next)
		next = s->retry_mono_ns;
	if (s->have_pps_dev && s->pps_next_mono_ns < next)
		next = s->pps_next_mono_ns;
	if (live && s->watch.probe_next_mono_ns < next)
		next = s->watch.probe_next_mono_ns;
	rc->next_mono_ns = next;
	return k;
}
