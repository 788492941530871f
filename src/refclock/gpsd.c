/* SPDX-License-Identifier: MIT */
/*
 * The gpsd reference driver (refclock.h): a TCP client of gpsd's JSON
 * protocol. It asks for reports with ?WATCH={"enable":true,"json":true,
 * "pps":true}; and reads one JSON object per line:
 *
 *  - TPV: the fix (time, mode, position). The first TPV of each new second
 *    with mode >= 2 becomes a reading (gps_guard.h: bftd_gps_rx_fix), stamped
 *    with the raw clock right after the read() that completed its line;
 *  - SKY: the satellites (PRN, ss, used, gnssid) for the anti-spoofing
 *    checks and the proof's satellite summary;
 *  - TOFF: gpsd's own CLOCK_REALTIME stamp of the sentence that named a
 *    second (earlier than ours by the socket hop): used as the arrival time
 *    when it is plausible;
 *  - PPS: gpsd's stamp of a pulse edge: fed to the pairing like an edge of
 *    our own PPS device (which `pps:` may also configure).
 *
 * gpsd may be down or restart: the connection is non-blocking and retried
 * with a doubling backoff (0.5 s to 16 s); the state line says why it is not
 * connected. Lines are bounded (64 KiB); a longer line, invalid JSON or a
 * report with fields of the wrong type is counted in rc->errors and skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "refclock/gps_stream.h"
#include "refclock/pps.h"
#include "refclock/refclock.h"

#define LINE_MAX_BYTES (64 * 1024)

static const char watch_cmd[] = "?WATCH={\"enable\":true,\"json\":true,\"pps\":true};\n";

enum conn { DOWN, CONNECTING, UP };

typedef struct gpsd_priv {
	struct sockaddr_storage addr;
	socklen_t alen;
	bftd_gps_stream s; /* the connection (s.fd), PPS, receiver state, input watch, queue */
	enum conn conn;
	char *line;   /* LINE_MAX_BYTES */
	size_t len;
	bool skipping; /* inside an overlong line: drop until its end */
	json_tokener *tok;
	/* gpsd's TOFF: the second it names and the raw time of its stamp */
	bool have_toff;
	int64_t toff_t_ns, toff_raw_ns, toff_span_ns; /* span: how far the stamp's conversion to raw may err */
	uint64_t lines, connects;
	char logged_why[64]; /* the last failure logged: each new reason once, not every retry */
} gpsd_priv;

/* "host", "host:port", "[v6]:port" with numeric host (or "localhost"). */
static int parse_server(gpsd_priv *p, const char *s, char *err, size_t errlen)
{
	char host[256], port[16] = "2947";
	const char *colon;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		if (e[1] == ':')
			snprintf(port, sizeof port, "%s", e + 2);
		else if (e[1])
			goto bad;
	} else if ((colon = strchr(s, ':')) && !strchr(colon + 1, ':')) { /* one colon: host:port; more: bare IPv6 */
		if ((size_t)(colon - s) >= sizeof host)
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		snprintf(port, sizeof port, "%s", colon + 1);
	} else {
		snprintf(host, sizeof host, "%s", s);
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof host, "127.0.0.1");
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		goto bad;
	memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	p->alen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "server %.60s: expected a numeric host[:port], e.g. 127.0.0.1:2947", s);
	return BFT_EINVAL;
}

static void disconnect(bftd_refclock *rc, int64_t now_mono_ns, const char *why)
{
	gpsd_priv *p = rc->priv;
	bftd_gps_stream_failed(&p->s, now_mono_ns, why);
	p->conn = DOWN;
	p->len = 0;
	p->skipping = false;
	p->have_toff = false;
	snprintf(rc->state, sizeof rc->state, "gpsd %.30s: %.40s, retrying", rc->cfg->server, why);
	/* Logged once per reason (issue 14: gpsd not running logged nothing
	 * at any level); the retries, up to every 16 s, are not. */
	if (strncmp(p->logged_why, why, sizeof p->logged_why - 1) != 0) {
		snprintf(p->logged_why, sizeof p->logged_why, "%s", why);
		bftd_refclock_log(rc->host, LOG_WARNING, "reference %s: no connection to gpsd at %s: %s%s; retrying",
		                  rc->cfg->name, rc->cfg->server, why,
		                  !strcmp(why, strerror(ECONNREFUSED)) ? " (is gpsd running?)" : "");
	}
}

static void try_connect(bftd_refclock *rc, int64_t now_mono_ns)
{
	gpsd_priv *p = rc->priv;
	p->s.fd = rc->host->socket(p->addr.ss_family, SOCK_STREAM);
	if (p->s.fd < 0) {
		disconnect(rc, now_mono_ns, strerror(errno));
		return;
	}
	int one = 1;
	setsockopt(p->s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(p->s.fd, (struct sockaddr *)&p->addr, p->alen) == 0 || errno == EINPROGRESS) {
		p->conn = CONNECTING;
		/* Keep the last failure in view while retrying: a status read
		 * now should say why there is no data, not just "connecting". */
		if (p->s.why[0])
			snprintf(rc->state, sizeof rc->state, "gpsd %.30s: %.40s, retrying", rc->cfg->server, p->s.why);
		else
			snprintf(rc->state, sizeof rc->state, "connecting to gpsd %.40s", rc->cfg->server);
		return;
	}
	disconnect(rc, now_mono_ns, strerror(errno));
}

static int gpsd_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	gpsd_priv *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "reference %s: out of memory", rc->cfg->name);
		return BFT_ENOMEM;
	}
	p->line = malloc(LINE_MAX_BYTES);
	p->tok = json_tokener_new();
	if (!p->line || !p->tok) {
		free(p->line);
		if (p->tok)
			json_tokener_free(p->tok);
		free(p);
		snprintf(err, errlen, "reference %s: out of memory", rc->cfg->name);
		return BFT_ENOMEM;
	}
	rc->priv = p;
	char e2[200];
	if (parse_server(p, rc->cfg->server, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "reference %s: %s", rc->cfg->name, e2);
		goto fail;
	}
	bftd_gps_stream_init(&p->s, rc);
	if (bftd_gps_stream_open_pps(&p->s, rc, NULL, now_mono_ns, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "reference %s: %s", rc->cfg->name, e2);
		goto fail;
	}
	try_connect(rc, now_mono_ns);
	rc->next_mono_ns = p->conn == DOWN ? p->s.retry_mono_ns : p->s.have_pps_dev ? now_mono_ns : INT64_MAX;
	return 0;
fail:
	free(p->line);
	json_tokener_free(p->tok);
	free(p);
	rc->priv = NULL;
	return BFT_EINVAL;
}

static void gpsd_close(bftd_refclock *rc)
{
	gpsd_priv *p = rc->priv;
	if (!p)
		return;
	bftd_gps_stream_close(&p->s);
	json_tokener_free(p->tok);
	free(p->line);
	free(p);
	rc->priv = NULL;
}

static size_t gpsd_pollfds(bftd_refclock *rc, struct pollfd *pfd, size_t max)
{
	gpsd_priv *p = rc->priv;
	return bftd_gps_stream_pollfds(&p->s, p->conn == CONNECTING ? POLLOUT : POLLIN, pfd, max);
}

/* ---- JSON reports ------------------------------------------------------- */

static bool get_num(json_object *o, const char *k, double *v)
{
	json_object *x;
	if (!json_object_object_get_ex(o, k, &x))
		return false;
	if (!json_object_is_type(x, json_type_double) && !json_object_is_type(x, json_type_int))
		return false;
	*v = json_object_get_double(x);
	return true;
}

static bool get_i64(json_object *o, const char *k, int64_t *v)
{
	json_object *x;
	if (!json_object_object_get_ex(o, k, &x) || !json_object_is_type(x, json_type_int))
		return false;
	*v = json_object_get_int64(x);
	return true;
}

static int on_tpv(bftd_refclock *rc, json_object *o, int64_t arrival_raw_ns)
{
	gpsd_priv *p = rc->priv;
	bftd_gps_fix f = { 0 };
	int64_t mode = 0;
	json_object *t;
	get_i64(o, "mode", &mode);
	f.mode = mode < 0 || mode > 3 ? 0 : (int)mode;
	double lat, lon, alt;
	if (get_num(o, "lat", &lat) && get_num(o, "lon", &lon)) {
		f.have_pos = true;
		f.lat_deg = lat;
		f.lon_deg = lon;
		if (get_num(o, "altHAE", &alt) || get_num(o, "alt", &alt))
			f.alt_m = alt;
	}
	if (!json_object_object_get_ex(o, "time", &t)) {
		p->s.rx.fix = f; /* no time yet: state only */
		return 0;
	}
	if (!json_object_is_type(t, json_type_string) || bftd_gps_parse_iso(json_object_get_string(t), &f.time_ns) != 0)
		return BFT_EINVAL;
	/* gpsd read the sentence before we did: its TOFF stamp of this very
	 * second is the better arrival, if the system clock agrees (a stamp
	 * after our read, or more than 2 s before it, means the clock was
	 * stepped in between). */
	int64_t arrival = arrival_raw_ns, span = p->s.watch.span_ns;
	if (p->have_toff && p->toff_t_ns == f.time_ns && bft_sat_add(p->toff_raw_ns, p->toff_span_ns) <= arrival_raw_ns &&
	    arrival_raw_ns - p->toff_raw_ns < 2 * BFT_NS_PER_SEC) {
		/* gpsd's own stamp: not delayed by our loop. Its conversion from
		 * CLOCK_REALTIME errs by up to toff_span either way (taken as 0
		 * before: found by review), so the sentence came somewhere in
		 * [raw - span, raw + span]: stated from the latest, the interval
		 * widened by the whole of it (bftd_gps_rx_fix_span). */
		arrival = bft_sat_add(p->toff_raw_ns, p->toff_span_ns);
		span = 2 * p->toff_span_ns;
	}
	bftd_reading r;
	if (bftd_gps_rx_fix_span(&p->s.rx, &f, arrival, span, rc->host->realtime_ns(), &r)) {
		bftd_refclock_log(rc->host, LOG_DEBUG, "reference %s: fix %lld.%09lld mode %d at raw %lld [%lld, %lld]%s%s", rc->cfg->name,
		         (long long)(f.time_ns / BFT_NS_PER_SEC), (long long)(f.time_ns % BFT_NS_PER_SEC), f.mode,
		         (long long)r.raw_ns, (long long)r.iv.lo_ns, (long long)r.iv.hi_ns, r.suspect ? " suspect: " : "",
		         r.suspect ? r.suspect : "");
		bftd_gps_stream_enqueue(&p->s, &r);
		rc->readings++;
	}
	bftd_gps_rx_state(&p->s.rx, rc->state, sizeof rc->state);
	return 0;
}

static int on_sky(gpsd_priv *p, json_object *o, int64_t arrival_raw_ns)
{
	json_object *sats;
	bftd_gps_sky *s = &p->s.rx.sky;
	int64_t v;
	if (!json_object_object_get_ex(o, "satellites", &sats)) {
		/* gpsd also sends SKY with the DOPs and counts only: keep the
		 * satellite list, take the counts. */
		if (get_i64(o, "uSat", &v) && s->valid)
			s->used = (int)v;
		return 0;
	}
	if (!json_object_is_type(sats, json_type_array))
		return BFT_EINVAL;
	size_t n = json_object_array_length(sats);
	s->valid = true;
	s->raw_ns = arrival_raw_ns;
	s->n = 0;
	s->used = -1;
	s->used_unknown = false;
	s->one_report = true; /* gpsd's list and its uSat describe one sky */
	s->visible = (int)n;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(sats, i), *x;
		if (!json_object_is_type(e, json_type_object))
			return BFT_EINVAL;
		if (s->n == BFTD_GPS_MAX_SATS)
			continue; /* counted in visible */
		bftd_gps_sat *sat = &s->sat[s->n++];
		memset(sat, 0, sizeof *sat);
		sat->gnss = BFTD_GNSS_UNKNOWN;
		if (get_i64(e, "PRN", &v))
			sat->prn = (int)(v > 100000 || v < -100000 ? 0 : v);
		if (get_i64(e, "gnssid", &v) && v >= 0 && v < 255)
			sat->gnss = (uint8_t)v;
		else if (sat->prn >= 1 && sat->prn <= 32)
			sat->gnss = BFTD_GNSS_GPS; /* gpsd before 3.20: PRN 1-32 are GPS */
		double ss;
		if (get_num(e, "ss", &ss))
			sat->snr = ss;
		if (json_object_object_get_ex(e, "used", &x) && json_object_is_type(x, json_type_boolean))
			sat->used = json_object_get_boolean(x);
	}
	if (get_i64(o, "nSat", &v) && v > s->visible && v < 10000)
		s->visible = (int)v;
	if (get_i64(o, "uSat", &v) && v >= 0 && v < 10000)
		s->used = (int)v;
	return 0;
}

/* TOFF and PPS: "real" GPS time at "clock" system time. */
static int on_timing(bftd_refclock *rc, json_object *o, bool pps)
{
	gpsd_priv *p = rc->priv;
	int64_t rs, rn, cs, cn;
	if (!get_i64(o, "real_sec", &rs) || !get_i64(o, "real_nsec", &rn) || !get_i64(o, "clock_sec", &cs) ||
	    !get_i64(o, "clock_nsec", &cn) || rn < 0 || rn >= BFT_NS_PER_SEC || cn < 0 || cn >= BFT_NS_PER_SEC ||
	    rs < 0 || rs > INT64_MAX / BFT_NS_PER_SEC - 1 || cs < 0 || cs > INT64_MAX / BFT_NS_PER_SEC - 1)
		return BFT_EINVAL;
	int64_t span;
	int64_t raw = rc->host->realtime_to_raw_ns(cs * BFT_NS_PER_SEC + cn, &span);
	if (pps) {
		int64_t age = rc->host->raw_ns() - raw;
		if (age < 0 || age > 2 * BFT_NS_PER_SEC)
			return 0; /* a stamp from the future or long past: the system clock was stepped */
		/* gpsd's stamp of the edge went through the system clock: the
		 * same error terms as our own PPS device's. */
		bftd_gps_rx_edge(&p->s.rx, raw, span + age / 2000 + 1000);
	} else {
		if (span > BFT_NS_PER_SEC / 1000)
			return 0; /* the system clock moved under the stamp: arrive by our own read */
		p->have_toff = true;
		p->toff_t_ns = rs * BFT_NS_PER_SEC + rn;
		p->toff_raw_ns = raw;
		p->toff_span_ns = span;
	}
	(void)rc;
	return 0;
}

static void on_line(bftd_refclock *rc, const char *line, size_t len, int64_t arrival_raw_ns)
{
	gpsd_priv *p = rc->priv;
	p->lines++;
	p->s.rx.sentences++;
	json_tokener_reset(p->tok);
	json_object *o = json_tokener_parse_ex(p->tok, line, (int)len);
	int rc_ = BFT_EINVAL;
	/* The whole line must be one object: no trailing bytes. */
	if (o && json_tokener_get_error(p->tok) == json_tokener_success &&
	    (size_t)json_tokener_get_parse_end(p->tok) == len && json_object_is_type(o, json_type_object)) {
		json_object *cls;
		const char *c = json_object_object_get_ex(o, "class", &cls) && json_object_is_type(cls, json_type_string)
		                        ? json_object_get_string(cls)
		                        : NULL;
		if (!c)
			rc_ = BFT_EINVAL;
		else if (!strcmp(c, "TPV"))
			rc_ = on_tpv(rc, o, arrival_raw_ns);
		else if (!strcmp(c, "SKY"))
			rc_ = on_sky(p, o, arrival_raw_ns);
		else if (!strcmp(c, "TOFF"))
			rc_ = on_timing(rc, o, false);
		else if (!strcmp(c, "PPS"))
			rc_ = on_timing(rc, o, true);
		else
			rc_ = 0; /* VERSION, DEVICES, WATCH, DEVICE, ERROR...: nothing to time */
		if (rc_ == 0 && !strcmp(c, "ERROR"))
			bftd_refclock_log(rc->host, LOG_NOTICE, "reference %s: gpsd says %.200s", rc->cfg->name, line);
	}
	if (o)
		json_object_put(o);
	if (rc_ != 0)
		rc->errors++;
}

/* Split the bytes just read into lines; each line ends at this read. */
static void feed(bftd_refclock *rc, const char *buf, size_t n, int64_t raw_ns)
{
	gpsd_priv *p = rc->priv;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (c == '\n') {
			if (!p->skipping) {
				size_t l = p->len;
				if (l && p->line[l - 1] == '\r')
					l--;
				if (l)
					on_line(rc, p->line, l, raw_ns);
			}
			p->len = 0;
			p->skipping = false;
			continue;
		}
		if (p->skipping)
			continue;
		if (p->len == LINE_MAX_BYTES - 1) {
			rc->errors++; /* an overlong line: no report is this long */
			p->skipping = true;
			p->len = 0;
			continue;
		}
		p->line[p->len++] = c;
	}
}

static size_t gpsd_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                           bftd_reading *out, size_t max)
{
	gpsd_priv *p = rc->priv;
	short ev = bftd_gps_stream_begin(&p->s, pfd, n, now_mono_ns);
	if (p->conn == DOWN && now_mono_ns >= p->s.retry_mono_ns)
		try_connect(rc, now_mono_ns);
	else if (p->conn == CONNECTING && ev) {
		int e = 0;
		socklen_t el = sizeof e;
		if (getsockopt(p->s.fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
			e = errno;
		if (e) {
			disconnect(rc, now_mono_ns, strerror(e));
		} else if (write(p->s.fd, watch_cmd, sizeof watch_cmd - 1) != (ssize_t)(sizeof watch_cmd - 1)) {
			/* 50 bytes into an empty socket buffer: anything else is a failure */
			disconnect(rc, now_mono_ns, "cannot send ?WATCH");
		} else {
			p->conn = UP;
			bftd_watch_empty(&p->s.watch, rc->host->raw_ns()); /* nothing can have come before ?WATCH */
			p->connects++;
			p->s.why[0] = 0;
			snprintf(rc->state, sizeof rc->state, "connected to gpsd %.40s, no fix yet", rc->cfg->server);
			bftd_refclock_log(rc->host, p->logged_why[0] ? LOG_NOTICE : LOG_INFO, "reference %s: connected to gpsd %s",
			                  rc->cfg->name, rc->cfg->server);
			p->logged_why[0] = 0;
		}
	} else if (p->conn == UP && ev) {
		char buf[16384];
		const char *gone = bftd_gps_stream_read(rc, &p->s, buf, sizeof buf, "gpsd closed the connection", feed);
		if (gone)
			disconnect(rc, now_mono_ns, gone);
	}
	return bftd_gps_stream_end(rc, &p->s, p->conn == UP, p->conn == DOWN, ev, now_mono_ns, out, max);
}

static void gpsd_status(const bftd_refclock *rc, json_object *o)
{
	const gpsd_priv *p = rc->priv;
	if (!p)
		return;
	json_object_object_add(o, "connected", json_object_new_boolean(p->conn == UP));
	json_object_object_add(o, "connects", json_object_new_int64((int64_t)p->connects));
	json_object_object_add(o, "lines", json_object_new_int64((int64_t)p->lines));
	json_object_object_add(o, "errors", json_object_new_int64((int64_t)rc->errors));
	json_object_object_add(o, "queue_dropped", json_object_new_int64((int64_t)p->s.dropped));
	bftd_gps_rx_status(&p->s.rx, o);
}

static int gpsd_finish(bftd_ref *r, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (!r->server[0])
		snprintf(r->server, sizeof r->server, "127.0.0.1:2947");
	bftd_gps_stream_finish(r);
	return 0;
}

const bftd_refclock_driver bftd_refclock_gpsd = { "gpsd", "gpsd", BFTD_REF_OPT_GPS | BFTD_REF_OPT_SERVER, NULL,
	                                          gpsd_finish, gpsd_open, gpsd_close, gpsd_pollfds, gpsd_service,
	                                          gpsd_status, feed };
