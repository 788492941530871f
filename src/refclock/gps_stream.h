/* SPDX-License-Identifier: MIT */
/*
 * The base both GPS byte-stream drivers (nmea: a serial port; gpsd: a TCP
 * connection) are built on: one input file descriptor that may fail and is
 * then reopened with a doubling backoff (0.5 s to 16 s), an optional PPS
 * device fetched every 20 ms, the receiver's state (gps_guard.h:
 * bftd_gps_rx), the input watch that bounds when read bytes arrived
 * (refclock.h), and a queue of readings waiting for the loop. A driver
 * embeds a bftd_gps_stream, decodes its own bytes, and calls these for the
 * rest, so that the two drivers differ only in how they open their input
 * and what the bytes mean.
 *
 * A service call of a driver is: bftd_gps_stream_begin (the PPS fetch), the
 * driver's own open/connect/read steps (bftd_gps_stream_read for the reads),
 * then bftd_gps_stream_end (the idle probe, the queued readings out, the
 * next service time).
 */
#ifndef BFTIME_REFCLOCK_GPS_STREAM_H
#define BFTIME_REFCLOCK_GPS_STREAM_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refclock/gps_guard.h"
#include "refclock/pps.h"
#include "refclock/refclock.h"

#define BFTD_GPS_QUEUE 32
#define BFTD_GPS_BACKOFF_MIN_NS (BFT_NS_PER_SEC / 2)
#define BFTD_GPS_BACKOFF_MAX_NS (16 * BFT_NS_PER_SEC)
/* Our PPS device is fetched this often (the conversion's error grows with age). */
#define BFTD_GPS_PPS_POLL_NS (20 * 1000000)

typedef struct bftd_gps_stream {
	int fd;                  /* the input, -1 while closed */
	int64_t retry_mono_ns;   /* closed: reopen at this time */
	int64_t backoff_ns;      /* the next failure's wait */
	char why[64];            /* the last failure */
	bftd_gps_rx rx;
	bftd_pps_dev pps;
	bool have_pps_dev;
	int64_t pps_next_mono_ns;
	bftd_input_watch watch;  /* when the input was last seen empty: the bytes' arrival span */
	bftd_reading q[BFTD_GPS_QUEUE];
	size_t qn, qhead;
	uint64_t dropped;        /* readings the loop did not collect in time (the oldest go) */
} bftd_gps_stream;

/* The GPS receivers' options (refclock.h): pps, delay, leap_seconds, fixed,
 * max_move; and their defaults once the options are read: uncertainty 1 ms
 * with PPS (the pulse's jitter: safe for USB serial), else 100 ms (the
 * sentence alone). */
extern const bftd_ref_opt bftd_gps_stream_options[];
void bftd_gps_stream_finish(bftd_ref *r);

/* Closed input, the receiver's state from rc->cfg. */
void bftd_gps_stream_init(bftd_gps_stream *s, const bftd_refclock *rc);

/* Open rc->cfg->pps when set (ops NULL: RFC 2783), fetched from now on.
 * 0, or an error with err set ("pps ..."). */
int bftd_gps_stream_open_pps(bftd_gps_stream *s, const bftd_refclock *rc, const bftd_pps_ops *ops,
                             int64_t now_mono_ns, char *err, size_t errlen);

/* Close the input and the PPS device. */
void bftd_gps_stream_close(bftd_gps_stream *s);

/* The input failed (why): closed, the guard's time baseline forgotten (the
 * next step cannot be judged across a gap), a reopen scheduled after the
 * backoff, which doubles. */
void bftd_gps_stream_failed(bftd_gps_stream *s, int64_t now_mono_ns, const char *why);

/* A reading for the loop; when the queue is full the oldest is dropped. */
void bftd_gps_stream_enqueue(bftd_gps_stream *s, const bftd_reading *r);

/* The input's pollfd (events as given) when it is open: 0 or 1. */
size_t bftd_gps_stream_pollfds(const bftd_gps_stream *s, short events, struct pollfd *pfd, size_t max);

/* Start of a service call: the PPS device fetched when due. Returns the
 * events the loop brought for the input (0: none, or the input closed). */
short bftd_gps_stream_begin(bftd_gps_stream *s, const struct pollfd *pfd, size_t n, int64_t now_mono_ns);

/* Read what is waiting: at most 16 reads into buf (a flood cannot starve the
 * loop), each chunk given to feed with the raw clock right after its read()
 * (the latest the bytes can have come), the watch noting their span. Data
 * resets the backoff. Returns NULL, or why the input is gone (eof_why at
 * the end of input, else the error): the caller then fails it. */
const char *bftd_gps_stream_read(bftd_refclock *rc, bftd_gps_stream *s, char *buf, size_t cap, const char *eof_why,
                                 void (*feed)(bftd_refclock *rc, const char *buf, size_t n, int64_t raw_ns));

/* End of a service call: when the input is live, the idle probe (events:
 * the loop brought some); up to max queued readings into out (returned);
 * rc->next_mono_ns set: at once with readings still queued, at the reopen
 * when the input is down, at the next PPS fetch, at the next probe. */
size_t bftd_gps_stream_end(bftd_refclock *rc, bftd_gps_stream *s, bool live, bool down, short events,
                           int64_t now_mono_ns, bftd_reading *out, size_t max);

#endif
