/* SPDX-License-Identifier: MIT */
/*
 * The nmea reference driver (refclock.h): a GPS receiver's NMEA 0183 on a
 * serial port (or a pty or FIFO), PPS optional.
 *
 * The port is opened O_RDONLY | O_NOCTTY | O_NONBLOCK and, when it is a
 * terminal, put in raw mode at `speed`, 8N1, no flow control, modem lines
 * ignored. Bytes go to the streaming parser (src/proto/nmea.h) one line at
 * a time, each line stamped with the raw clock right after the read() that
 * returned its end.
 *
 * The parser reports a fix when gpsd would (at the sentence that ends the
 * receiver's cycle, learned from the data), which can be well after the
 * first sentence naming that second, and before it has learned the cycle,
 * at the first sentence of the next one. For timing, the least late
 * evidence counts: the driver remembers when a line first named each time
 * of day (its own scan of the time field of RMC, GGA, GLL, GNS, checksum
 * verified; not ZDA, whose time may run ahead of the fix's) and times the
 * fix from there, never from a naming before the previous reading's. A fix then becomes a reading (gps_guard.h:
 * bftd_gps_rx_fix): paired with a PPS edge when `pps` is set, else timed
 * by the configured or measured delay, or the conservative 0-1 s default.
 *
 * A device that fails (read error, end of file: a USB receiver unplugged,
 * the writer of a FIFO gone) is closed and reopened with a doubling
 * backoff (0.5 s to 16 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "refclock/gps_stream.h"
#include "refclock/pps.h"
#include "refclock/refclock.h"
#include "proto/nmea.h"
#include "util/value.h"

#define TOD_RING 4
#define NS_PER_DAY (INT64_C(86400) * BFT_NS_PER_SEC)

typedef struct nmea_priv {
	bftd_gps_stream s; /* the port (s.fd), PPS, receiver state, input watch, queue */
	bool is_tty;
	bft_nmea *parser;
	/* when a line first named each recent time of day (ns into the day) */
	struct { int64_t tod_ns, raw_ns, span_ns; } tod[TOD_RING];
	size_t tod_next;
	char scan[BFT_NMEA_LINE_MAX + 2]; /* the line being received, for the time scan */
	size_t scan_len;
	bool scan_over; /* longer than scan[]: not scanned */
	/* the arrival a reading was last timed from: a later second cannot
	 * have been named before it */
	bool have_used;
	int64_t used_raw_ns;
	uint64_t opens;
	uint64_t parser_errors; /* the parser's errors already added to rc->errors */
} nmea_priv;

/* Test hook (tests/unit/test_gps_pps.c): the PPS device operations used
 * when `pps` is configured; NULL means RFC 2783. */
const bftd_pps_ops *bftd_refclock_nmea_pps_ops;

static speed_t baud(uint32_t s)
{
	switch (s) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 921600: return B921600;
	default: return 0;
	}
}

bool bftd_nmea_speed_ok(uint32_t speed) { return baud(speed) != 0; }

static int open_port(bftd_refclock *rc, char *err, size_t errlen)
{
	nmea_priv *p = rc->priv;
	int fd = open(rc->cfg->device, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%.100s: %s", rc->cfg->device, strerror(errno));
		return BFT_EINVAL;
	}
	struct termios t;
	p->is_tty = tcgetattr(fd, &t) == 0;
	if (p->is_tty) {
		speed_t b = baud(rc->cfg->speed);
		if (!b) {
			snprintf(err, errlen, "%.100s: speed %u is not a standard baud rate", rc->cfg->device, rc->cfg->speed);
			close(fd);
			return BFT_EINVAL;
		}
		/* Raw 8N1: no echo, no line editing, no CR/LF translation (the
		 * parser handles CRLF), no software or hardware flow control,
		 * modem lines ignored (CLOCAL: a receiver rarely drives DCD,
		 * and PPS on DCD is the kernel's business, not a hangup). */
		cfmakeraw(&t);
		t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
		t.c_cflag |= CS8 | CLOCAL | CREAD;
		t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
		/* VMIN 1: with O_NONBLOCK an empty port then says EAGAIN, and a
		 * read of 0 means hangup (with VMIN 0 it would mean "nothing"). */
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		cfsetispeed(&t, b);
		cfsetospeed(&t, b);
		if (tcsetattr(fd, TCSANOW, &t) != 0) {
			snprintf(err, errlen, "%.100s: tcsetattr: %s", rc->cfg->device, strerror(errno));
			close(fd);
			return BFT_EINVAL;
		}
		tcflush(fd, TCIFLUSH); /* bytes queued before we listened have no arrival time */
	}
	p->s.fd = fd;
	p->opens++;
	p->scan_len = 0;
	p->scan_over = false;
	bftd_watch_empty(&p->s.watch, rc->host->raw_ns()); /* nothing queued from before (flushed, or not ours) */
	p->s.why[0] = 0;
	snprintf(rc->state, sizeof rc->state, "reading %.60s, no fix yet", rc->cfg->device);
	return 0;
}

static void port_failed(bftd_refclock *rc, int64_t now_mono_ns, const char *why)
{
	nmea_priv *p = rc->priv;
	bftd_gps_stream_failed(&p->s, now_mono_ns, why);
	snprintf(rc->state, sizeof rc->state, "%.40s: %.40s, reopening", rc->cfg->device, why);
	bftd_refclock_log(rc->host, LOG_WARNING, "reference %s: %s: %s", rc->cfg->name, rc->cfg->device, why);
}

static int nmea_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	nmea_priv *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "reference %s: out of memory", rc->cfg->name);
		return BFT_ENOMEM;
	}
	rc->priv = p;
	/* The week-rollover fix as gpsd does it (a receiver 1024 weeks behind
	 * is moved forward); comment lines skipped so that recorded captures
	 * can be replayed through a pty. */
	bft_nmea_config pc = { .flags = BFT_NMEA_SKIP_COMMENTS | BFT_NMEA_WKRO_FIX, .leap_s = (int)rc->cfg->leap_s };
	p->parser = bft_nmea_new(&pc);
	char e2[200];
	if (!p->parser) {
		snprintf(err, errlen, "reference %s: out of memory", rc->cfg->name);
		goto fail;
	}
	bftd_gps_stream_init(&p->s, rc);
	if (open_port(rc, e2, sizeof e2) != 0) {
		/* At start a missing device is fatal: most likely a typo. */
		snprintf(err, errlen, "reference %s: %s", rc->cfg->name, e2);
		goto fail;
	}
	if (bftd_gps_stream_open_pps(&p->s, rc, bftd_refclock_nmea_pps_ops, now_mono_ns, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "reference %s: %s", rc->cfg->name, e2);
		bftd_gps_stream_close(&p->s);
		goto fail;
	}
	/* Served at once: the first call probes the port, and from then on
	 * every BFTD_INPUT_PROBE_NS, so that the first bytes' arrival span is a
	 * probe period, not the time since the port was opened (which gave a
	 * first reading 2.9 s wide). */
	rc->next_mono_ns = now_mono_ns;
	return 0;
fail:
	bft_nmea_free(p->parser);
	free(p);
	rc->priv = NULL;
	return BFT_EINVAL;
}

static void nmea_close(bftd_refclock *rc)
{
	nmea_priv *p = rc->priv;
	if (!p)
		return;
	bftd_gps_stream_close(&p->s);
	bft_nmea_free(p->parser);
	free(p);
	rc->priv = NULL;
}

static size_t nmea_pollfds(bftd_refclock *rc, struct pollfd *pfd, size_t max)
{
	nmea_priv *p = rc->priv;
	return bftd_gps_stream_pollfds(&p->s, POLLIN, pfd, max);
}

/* ---- when each second was first named ---------------------------------- */

/* Field k (0: the sentence's address) of a checked body s[0..n): its
 * start and length; false when the body has fewer fields. */
static bool nth_field(const char *s, size_t n, int k, size_t *at, size_t *len)
{
	size_t i = 0;
	for (int f = 0; f < k; i++) {
		if (i >= n)
			return false;
		if (s[i] == ',')
			f++;
	}
	size_t e = i;
	while (e < n && s[e] != ',')
		e++;
	*at = i, *len = e - i;
	return true;
}

/* Whether the sentence states a fix: RMC and GLL status A (or D), GGA
 * quality above 0, GNS a mode other than N. A receiver without a fix
 * sends its own clock's time marked void, which may be a second ahead of
 * the first fix's (found by review: a void RMC's naming timed the first
 * valid fix of that second a second early, its interval missing the
 * truth by about 0.9 s). */
static bool states_fix(const char *s, size_t n, const char *type)
{
	size_t at, len;
	if (!strcmp(type, "RMC"))
		return nth_field(s, n, 2, &at, &len) && len == 1 && (s[at] == 'A' || s[at] == 'D');
	if (!strcmp(type, "GLL"))
		return nth_field(s, n, 6, &at, &len) && len == 1 && (s[at] == 'A' || s[at] == 'D');
	if (!strcmp(type, "GGA"))
		return nth_field(s, n, 6, &at, &len) && len >= 1 && s[at] >= '1' && s[at] <= '9';
	if (!nth_field(s, n, 6, &at, &len) || len == 0) /* GNS: one mode letter per system */
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[at + i] != 'N')
			return true;
	return false;
}

/* The time of day a sentence names, ns into the UTC day: "$GPRMC,hhmmss.ss,"
 * and the like. Only for timing: the parser does the real decoding. Only
 * sentences whose checksum is right count (a corrupt line's time must not
 * become the first naming of a second), only those that state the time of
 * the fix they carry: RMC, GGA, GNS, GLL, and only when they state a fix
 * (states_fix). Not ZDA: receivers send it with a time of their own (an
 * AC12 sends, in the burst of second T, a ZDA naming T + 2), and a second
 * "named" early times its fix early. */
static bool line_tod(const char *s, size_t n, int64_t *tod_ns)
{
	static const struct { const char *name; int field; } tf[] = {
		{ "RMC", 1 }, { "GGA", 1 }, { "GNS", 1 }, { "GLL", 5 },
	};
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (n < 7 || s[0] != '$')
		return false;
	long body = bft_nmea_checked_body(s, n);
	if (body < 0)
		return false;
	n = (size_t)body;
	int field = -1;
	const char *type = NULL;
	for (size_t i = 0; i < sizeof tf / sizeof tf[0]; i++)
		if (!memcmp(s + 3, tf[i].name, 3) && (n == 6 || s[6] == ','))
			field = tf[i].field, type = tf[i].name;
	size_t i, flen;
	if (field < 0 || !states_fix(s, n, type) || !nth_field(s, n, field, &i, &flen))
		return false;
	int v[3];
	for (int k = 0; k < 3; k++, i += 2) {
		if (i + 1 >= n || s[i] < '0' || s[i] > '9' || s[i + 1] < '0' || s[i + 1] > '9')
			return false;
		v[k] = (s[i] - '0') * 10 + (s[i + 1] - '0');
	}
	if (v[0] > 23 || v[1] > 59 || v[2] > 60)
		return false;
	int64_t frac = 0, scale = BFT_NS_PER_SEC / 10;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9' && scale > 0; i++, scale /= 10)
			frac += (s[i] - '0') * scale;
	*tod_ns = ((int64_t)v[0] * 3600 + v[1] * 60 + v[2]) * BFT_NS_PER_SEC + frac;
	return true;
}

static void note_line(nmea_priv *p, int64_t raw_ns, int64_t span_ns)
{
	int64_t tod;
	if (p->scan_over || !line_tod(p->scan, p->scan_len, &tod))
		return;
	for (size_t i = 0; i < TOD_RING; i++)
		if (p->tod[i].raw_ns && p->tod[i].tod_ns == tod)
			return; /* named before: the first naming counts */
	p->tod[p->tod_next].tod_ns = tod;
	p->tod[p->tod_next].raw_ns = raw_ns;
	p->tod[p->tod_next].span_ns = span_ns;
	p->tod_next = (p->tod_next + 1) % TOD_RING;
}

/* When the fix's second was first named, else the fix line's own arrival.
 * A naming not after the arrival the previous reading was timed from is
 * not believed: seconds are named in order, so it named this one early. */
static int64_t first_named(const nmea_priv *p, int64_t time_ns, int64_t fallback_raw_ns, int64_t fallback_span_ns,
                           int64_t *span_ns)
{
	*span_ns = fallback_span_ns;
	int64_t tod = time_ns % NS_PER_DAY;
	if (tod < 0)
		tod += NS_PER_DAY;
	for (size_t i = 0; i < TOD_RING; i++)
		if (p->tod[i].raw_ns && p->tod[i].tod_ns == tod && p->tod[i].raw_ns <= fallback_raw_ns &&
		    !(p->have_used && p->tod[i].raw_ns <= p->used_raw_ns)) {
			*span_ns = p->tod[i].span_ns;
			return p->tod[i].raw_ns;
		}
	return fallback_raw_ns;
}

/* ---- fixes --------------------------------------------------------------- */

static void on_fix(bftd_refclock *rc, const bft_nmea_fix *f, int64_t line_raw_ns)
{
	nmea_priv *p = rc->priv;
	bftd_gps_sky_from_nmea(&p->s.rx.sky, f, line_raw_ns);
	bftd_gps_fix g = { 0 };
	g.time_ns = f->time_ns;
	g.mode = f->mode;
	if (f->lat_deg == f->lat_deg && f->lon_deg == f->lon_deg) { /* not NaN */
		g.have_pos = true;
		g.lat_deg = f->lat_deg;
		g.lon_deg = f->lon_deg;
		g.alt_m = f->alt_m == f->alt_m ? f->alt_m : 0;
	}
	bftd_reading r;
	int64_t span;
	int64_t arrival = first_named(p, f->time_ns, line_raw_ns, p->s.watch.span_ns, &span);
	if (bftd_gps_rx_fix_span(&p->s.rx, &g, arrival, span, rc->host->realtime_ns(), &r)) {
		p->have_used = true;
		p->used_raw_ns = arrival;
		bftd_refclock_log(rc->host, LOG_DEBUG, "reference %s: fix %lld.%09lld mode %d at raw %lld [%lld, %lld] %s%s%s",
		         rc->cfg->name, (long long)(g.time_ns / BFT_NS_PER_SEC), (long long)(g.time_ns % BFT_NS_PER_SEC),
		         g.mode, (long long)r.raw_ns, (long long)r.iv.lo_ns, (long long)r.iv.hi_ns,
		         bftd_gps_timing_name(p->s.rx.last_timing), r.suspect ? " suspect: " : "", r.suspect ? r.suspect : "");
		bftd_gps_stream_enqueue(&p->s, &r);
		rc->readings++;
	}
	bftd_gps_rx_state(&p->s.rx, rc->state, sizeof rc->state);
}

static void feed(bftd_refclock *rc, const char *buf, size_t n, int64_t raw_ns)
{
	nmea_priv *p = rc->priv;
	while (n > 0) {
		size_t k = bft_nmea_feed(p->parser, buf, n);
		if (k == 0 || k > n)
			k = n; /* cannot happen per the contract; never loop */
		/* keep the line's start for the time scan */
		for (size_t i = 0; i < k; i++) {
			if (buf[i] == '\n') {
				note_line(p, raw_ns, p->s.watch.span_ns);
				p->scan_len = 0;
				p->scan_over = false;
			} else if (p->scan_len < sizeof p->scan) {
				p->scan[p->scan_len++] = buf[i];
			} else {
				p->scan_over = true;
			}
		}
		buf += k;
		n -= k;
		bft_nmea_event ev;
		while (bft_nmea_next(p->parser, &ev)) {
			if (ev.type == BFT_NMEA_EV_SENTENCE)
				p->s.rx.sentences++;
			else if (ev.type == BFT_NMEA_EV_FIX)
				on_fix(rc, &ev.fix, raw_ns);
		}
		/* Errors from the parser's own count, not its events: one line
		 * of many bad sentences overflows its queue of 16 (found by
		 * review: 50 errors in a line were counted 16). */
		const bft_nmea_stats *ps = bft_nmea_get_stats(p->parser);
		uint64_t perr = 0;
		for (size_t e = 0; e < BFT_NMEA_E__COUNT; e++)
			perr += ps->errors[e];
		rc->errors += perr - p->parser_errors;
		p->parser_errors = perr;
	}
}

static size_t nmea_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                           bftd_reading *out, size_t max)
{
	nmea_priv *p = rc->priv;
	short ev = bftd_gps_stream_begin(&p->s, pfd, n, now_mono_ns);
	if (p->s.fd < 0 && now_mono_ns >= p->s.retry_mono_ns) {
		char e[128];
		if (open_port(rc, e, sizeof e) != 0)
			port_failed(rc, now_mono_ns, strerror(errno));
	} else if (p->s.fd >= 0 && ev) {
		/* A hangup comes with POLLIN (the read then returns 0): drain
		 * what is left either way, then give up the port if it is gone. */
		char buf[4096];
		const char *gone = bftd_gps_stream_read(rc, &p->s, buf, sizeof buf,
		                                        p->is_tty ? "device hung up" : "end of input", feed);
		if (gone)
			port_failed(rc, now_mono_ns, gone);
		else if (ev & (POLLHUP | POLLERR | POLLNVAL))
			port_failed(rc, now_mono_ns, "device hung up");
	}
	return bftd_gps_stream_end(rc, &p->s, p->s.fd >= 0, p->s.fd < 0, ev, now_mono_ns, out, max);
}

static void nmea_status(const bftd_refclock *rc, json_object *o)
{
	const nmea_priv *p = rc->priv;
	if (!p)
		return;
	const bft_nmea_stats *s = bft_nmea_get_stats(p->parser);
	json_object_object_add(o, "device", json_object_new_string(rc->cfg->device));
	json_object_object_add(o, "open", json_object_new_boolean(p->s.fd >= 0));
	json_object_object_add(o, "opens", json_object_new_int64((int64_t)p->opens));
	json_object_object_add(o, "lines", json_object_new_int64((int64_t)s->lines));
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)rc->errors));
	json_object_object_add(o, "queue_dropped", json_object_new_int64((int64_t)p->s.dropped));
	if (p->s.have_pps_dev)
		json_object_object_add(o, "pps_errors", json_object_new_int64((int64_t)p->s.pps.errors));
	bftd_gps_rx_status(&p->s.rx, o);
}

/* ---- options: the serial port -------------------------------------------- */

static int opt_device(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	return bft_value_str(v, r->device, sizeof r->device, err, errlen);
}

static int opt_speed(bftd_ref *r, const char *v, char *err, size_t errlen)
{
	int64_t x;
	if (bft_value_int(v, 1200, 4000000, &x, err, errlen) != 0)
		return BFT_EINVAL;
	if (!bftd_nmea_speed_ok((uint32_t)x)) {
		snprintf(err, errlen, "speed: not a standard baud rate (1200, 2400, 4800, 9600, 19200, 38400, "
		                      "57600, 115200, 230400, 460800 or 921600)");
		return BFT_EINVAL;
	}
	r->speed = (uint32_t)x;
	return 0;
}

static const bftd_ref_opt nmea_options[] = {
	{ "device", BFTD_REF_OPT_DEV, opt_device },
	{ "speed", BFTD_REF_OPT_DEV, opt_speed },
	{ NULL, 0, NULL },
};

static int nmea_finish(bftd_ref *r, char *err, size_t errlen)
{
	if (!r->device[0]) {
		snprintf(err, errlen, "reference: kind nmea needs a device (the serial port)");
		return BFT_EINVAL;
	}
	bftd_gps_stream_finish(r);
	return 0;
}

const bftd_refclock_driver bftd_refclock_nmea = { "nmea", "nmea", BFTD_REF_OPT_GPS | BFTD_REF_OPT_DEV,
	                                          nmea_options, nmea_finish, nmea_open, nmea_close, nmea_pollfds, nmea_service,
	                                          nmea_status, feed };
