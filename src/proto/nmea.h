/* SPDX-License-Identifier: MIT */
/*
 * NMEA 0183 decoder for GPS receivers: a streaming parser that takes byte
 * chunks as they come off a serial port or a gpsd raw feed and yields events
 * (decoded sentence, rejected sentence with a reason, fix). Pure: no I/O, no
 * clock reads, no globals, no allocation after bft_nmea_new(); deterministic,
 * so the same bytes give the same events however they are split.
 *
 * When a fix is reported follows gpsd's NMEA driver (its end-of-cycle
 * detector: the last timestamped sentence before the time changes ends a
 * cycle), so that the fix times agree with gpsd's TPV times on gpsd's own
 * regression captures; docs/gps.md says what that means and the tests check it.
 *
 * Units: times are int64 ns since the Unix epoch, UTC (no leap seconds, as
 * POSIX time); GPS time is GPS week + ns of week; leap_s is GPS - UTC in s.
 */
#ifndef BFTIME_PROTO_NMEA_H
#define BFTIME_PROTO_NMEA_H

#include "core/gpstime.h"
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted, without CR/LF (NMEA says 82; real receivers emit
 * proprietary sentences of several hundred, e.g. Skytraq $PSTI). */
#define BFT_NMEA_LINE_MAX 512
/* Satellites kept in a sky view (GSV of every constellation together). */
#define BFT_NMEA_SATS_MAX 96
/* Events kept between feeds: a line gives at most three per sentence in it
 * (error, sentence, fix); a line with more than five sentences run together
 * loses its oldest events (the counters still count them). */
#define BFT_NMEA_EVQ 16

#define BFT_NMEA_GPS_EPOCH_UNIX_S BFT_GPS_EPOCH_UNIX_S /* core/gpstime.h */
#define BFT_NMEA_WEEK_NS BFT_GPS_WEEK_NS
#define BFT_NMEA_ROLLOVER_WEEKS 1024
#define BFT_NMEA_LEAP_DEFAULT 18 /* GPS - UTC since 2017-01-01 */

/* Why a line or sentence was rejected (counted per reason). */
typedef enum {
	BFT_NMEA_E_GARBAGE = 0, /* bytes that are not a sentence (no '$', binary) */
	BFT_NMEA_E_OVERLONG,    /* line longer than BFT_NMEA_LINE_MAX: dropped */
	BFT_NMEA_E_CHARS,       /* NUL or non-printable byte inside a sentence */
	BFT_NMEA_E_CHECKSUM,    /* '*hh' present and wrong, or malformed */
	BFT_NMEA_E_NO_CHECKSUM, /* no '*hh' and BFT_NMEA_REQUIRE_CHECKSUM set */
	BFT_NMEA_E_TAG,         /* address field not a talker + sentence name */
	BFT_NMEA_E_FIELDS,      /* known sentence with too few fields */
	BFT_NMEA_E_TIME,        /* time or date field present but malformed */
	BFT_NMEA_E_POSITION,    /* latitude/longitude present but malformed */
	BFT_NMEA_E__COUNT
} bft_nmea_err;

const char *bft_nmea_err_str(bft_nmea_err e);

typedef enum {
	BFT_NMEA_EV_SENTENCE = 1, /* a sentence passed framing and checksum */
	BFT_NMEA_EV_ERROR,        /* rejected or partly malformed: see err */
	BFT_NMEA_EV_FIX,          /* a fix (with a time) is reported: see fix */
} bft_nmea_ev_type;

/* gpsd's fix modes. */
enum { BFT_NMEA_MODE_NONE = 0, BFT_NMEA_MODE_NO_FIX = 1, BFT_NMEA_MODE_2D = 2, BFT_NMEA_MODE_3D = 3 };

typedef struct {
	uint16_t prn;    /* NMEA 2.x-4.0 style number: GPS 1-32, SBAS 33-64/120-158, GLONASS 65-96, ... */
	char talker[3];  /* GSV talker it came from ("GP", "GL", "BD", ...) */
	int8_t elev_deg; /* -1: absent */
	int16_t az_deg;  /* -1: absent */
	int8_t snr_db;   /* C/N0 dB-Hz; -1: not tracked */
	uint8_t used;    /* listed in a GSA of this cycle */
} bft_nmea_sat;

/* Satellite summary from the last complete GSV set and the GSA(s) of the
 * cycle: enough for a spoofing check (identical SNR everywhere, too many
 * satellites, SNR too strong) without the raw sentences. */
typedef struct {
	int visible;        /* distinct satellites in the sky view (a satellite in several
	                     * signals' GSV sets, NMEA 4.10+, counts once, at its best SNR) */
	int used;           /* PRNs listed in GSA; -1 until a GSA has been seen */
	int with_snr;       /* visible with an SNR */
	int snr_min, snr_max; /* dB-Hz over with_snr; 0 when with_snr == 0 */
	double snr_mean;
	int n;              /* entries in sats */
	bft_nmea_sat sats[BFT_NMEA_SATS_MAX];
} bft_nmea_sky;

typedef struct {
	int64_t time_ns;   /* UTC ns since the Unix epoch; always > 0 in a FIX event */
	int mode;          /* BFT_NMEA_MODE_* */
	int valid;         /* receiver says the position is valid (RMC/GLL A, GGA quality > 0) */
	double lat_deg, lon_deg; /* NAN when unknown */
	double alt_m;      /* above mean sea level; NAN when unknown */
	int sats_used;     /* GGA's count, else GSA's; -1 when unknown */
	double hdop;       /* NAN when unknown */
	char sentence[8];  /* address of the sentence that completed the fix, e.g. "GPGLL" */
	bft_nmea_sky sky;
} bft_nmea_fix;

typedef struct {
	bft_nmea_ev_type type;
	uint64_t line;     /* 1-based number of the line the event came from */
	bft_nmea_err err;  /* ERROR */
	char sentence[8];  /* SENTENCE/ERROR: address field (may be empty), FIX: completing sentence */
	bft_nmea_fix fix;  /* FIX */
} bft_nmea_event;

/* Options. */
#define BFT_NMEA_REQUIRE_CHECKSUM 0x1u /* reject sentences without '*hh' (gpsd accepts them) */
#define BFT_NMEA_SKIP_COMMENTS 0x2u    /* lines starting with '#' are ignored (gpsd capture files) */
#define BFT_NMEA_WKRO_FIX 0x4u         /* move times before wkro_floor_ns forward by 1024 weeks */

typedef struct {
	unsigned flags;
	int century;           /* century for 2-digit RMC years until a ZDA says otherwise; 0: 2000 */
	int leap_s;            /* GPS - UTC in s, for bft_nmea_fix GPS-week helpers; 0: default 18 */
	int64_t wkro_floor_ns; /* with BFT_NMEA_WKRO_FIX: 0 means 2017-01-01 (gpsd's rule); at most 2200 */
} bft_nmea_config;

typedef struct {
	uint64_t lines, bytes;
	uint64_t sentences;  /* passed framing + checksum */
	uint64_t fixes;      /* FIX events */
	uint64_t no_checksum; /* accepted without '*hh' */
	uint64_t errors[BFT_NMEA_E__COUNT];
} bft_nmea_stats;

typedef struct bft_nmea bft_nmea;

/* cfg may be NULL (defaults). Returns NULL on out of memory. */
bft_nmea *bft_nmea_new(const bft_nmea_config *cfg);
void bft_nmea_free(bft_nmea *p); /* accepts NULL */

/*
 * Feeds bytes. Consumes up to and including the first line end (LF; a CR
 * before it is dropped) and returns how many bytes it took, or all of them
 * when no line ends in buf. After each call, take every pending event with
 * bft_nmea_next() before feeding again (events not taken are dropped):
 *
 *	while (len > 0) {
 *		size_t n = bft_nmea_feed(p, buf, len);
 *		buf += n, len -= n;
 *		while (bft_nmea_next(p, &ev))
 *			handle(&ev);
 *	}
 */
size_t bft_nmea_feed(bft_nmea *p, const void *buf, size_t len);
/* Ends the stream: a last line without LF is decoded. Then drain events. */
void bft_nmea_flush(bft_nmea *p);
/* Pops the next event into *ev: 1, or 0 when there is none. */
int bft_nmea_next(bft_nmea *p, bft_nmea_event *ev);
const bft_nmea_stats *bft_nmea_get_stats(const bft_nmea *p);

/* Checksum of the bytes between '$' and '*' of sentence s (s may start with
 * '$' or not; stops at '*' or the end). */
uint8_t bft_nmea_checksum(const char *s, size_t len);

/* For a sentence s[0..len) that has a '*': the length of its body (before
 * the '*') when exactly two hex digits follow and match its checksum; -1
 * when they do not; -2 when it has no '*' at all. */
long bft_nmea_checked_body(const char *s, size_t len);

/* GPS time from UTC: week since 1980-01-06 (not modulo 1024) and ns into the
 * week, given GPS - UTC = leap_s. Returns 0, or -1 before the GPS epoch. */
int bft_nmea_utc_to_gps(int64_t utc_ns, int leap_s, int *week, int64_t *tow_ns);
int64_t bft_nmea_gps_to_utc(int week, int64_t tow_ns, int leap_s);
/* Full week number from a 10-bit one (0-1023): the one nearest to ref_week,
 * e.g. the build date's week, as a receiver with week rollover needs. */
int bft_nmea_week_unroll(int week10, int ref_week);

/* UTC ns -> "2014-05-26T08:14:11.000Z" (gpsd's form, ms); buf >= 32 bytes. */
void bft_nmea_iso8601(int64_t utc_ns, char *buf, size_t size);

#endif
