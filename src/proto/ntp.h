/* SPDX-License-Identifier: MIT */
/*
 * NTPv4 (RFC 5905) on the wire, both directions, as pure functions: no I/O,
 * no clock reads, no globals. The daemon's NTP server (ntp_server.c) and its
 * `ntp` reference driver (src/refclock/ntp.c) are thin shells around this file,
 * so everything that decides what a packet means is unit-tested and fuzzed
 * here (tests/unit/test_ntp.c, tests/fuzz/fuzz_ntp.c).
 *
 *  - The codec: the 48-byte header, then (RFC 7822) extension fields and an
 *    optional legacy MAC, which the decoder walks and counts but never
 *    interprets: nothing past the header is read beyond its declared length.
 *  - Timestamps: 64-bit NTP timestamps (32.32 seconds since 1900, modulo
 *    2^32 s: the era is not on the wire) to and from Unix ns, the era chosen
 *    as the one nearest a pivot (any clock within 68 years of the truth); and
 *    the 32-bit short format (16.16 s) of root delay and root dispersion.
 *  - The server: request bytes and the node's clock and interval in, reply
 *    bytes out (or a reason to drop); the transmit timestamp is written last
 *    by bft_ntp_reply_stamp, just before the send.
 *  - The client: a reply and the local send and receive stamps in, an
 *    interval of true time at the local receive instant out, built by
 *    bft_exchange_round_trip (include/bftime/exchange.h) and widened by the server's
 *    root distance; or the reason the reply is refused.
 *
 * Times passed in are Unix ns (UTC). The client's t1 and t4 may be on any
 * local timescale (the node's raw oscillator): the interval returned is
 * "true time when the local clock read t4".
 */
#ifndef BFTIME_PROTO_NTP_H
#define BFTIME_PROTO_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/interval.h>

#define BFT_NTP_HEADER_LEN 48
#define BFT_NTP_PORT 123
#define BFT_NTP_VERSION 4
#define BFT_NTP_MAX_STRATUM 16 /* 16: unsynchronized */
/* Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
#define BFT_NTP_UNIX_OFFSET_S INT64_C(2208988800)
/* RFC 5905's MAXDIST: a server whose root distance exceeds it is not used. */
#define BFT_NTP_MAXDIST_NS (INT64_C(3) * 500000000)

enum bft_ntp_leap {
	BFT_NTP_LEAP_NONE = 0,
	BFT_NTP_LEAP_ADD = 1,     /* last minute of the day has 61 s */
	BFT_NTP_LEAP_DEL = 2,     /* last minute of the day has 59 s */
	BFT_NTP_LEAP_UNSYNC = 3,  /* the clock is not synchronized: do not use */
};

enum bft_ntp_mode {
	BFT_NTP_MODE_UNSPEC = 0, /* NTPv1 requests carry 0 */
	BFT_NTP_MODE_SYM_ACTIVE = 1,
	BFT_NTP_MODE_SYM_PASSIVE = 2,
	BFT_NTP_MODE_CLIENT = 3,
	BFT_NTP_MODE_SERVER = 4,
	BFT_NTP_MODE_BROADCAST = 5,
	BFT_NTP_MODE_CONTROL = 6,
	BFT_NTP_MODE_PRIVATE = 7,
};

typedef struct bft_ntp_packet {
	uint8_t leap;      /* enum bft_ntp_leap */
	uint8_t version;   /* 1..7 on the wire; 1..4 meaningful */
	uint8_t mode;      /* enum bft_ntp_mode */
	uint8_t stratum;   /* 0: kiss-o'-death (refid is the kiss code), 1: primary, 16: unsynchronized */
	int8_t poll;       /* log2 s */
	int8_t precision;  /* log2 s */
	uint32_t root_delay;      /* short format, 16.16 s */
	uint32_t root_dispersion; /* short format, 16.16 s */
	uint8_t refid[4];
	uint64_t ref_ts, origin_ts, receive_ts, transmit_ts; /* 32.32 s since the era's start */
	/* Filled by the decoder, ignored by the encoder: what follows the header. */
	size_t n_ext;   /* RFC 7822 extension fields walked over */
	size_t mac_len; /* legacy MAC (key id + digest: 20 or 24 bytes; 4: crypto-NAK), 0 none */
} bft_ntp_packet;

/* Decode len bytes. Returns 0, or BFT_EINVAL when the datagram is shorter
 * than the header or what follows it is neither well-formed extension fields
 * (type, length >= 16, a multiple of 4, inside the datagram) nor a MAC. */
int bft_ntp_decode(bft_ntp_packet *out, const uint8_t *buf, size_t len);

/* Encode the header (48 bytes) into out; extension fields are never written. */
void bft_ntp_encode(uint8_t out[BFT_NTP_HEADER_LEN], const bft_ntp_packet *p);

/* Unix ns to an NTP timestamp, rounded to nearest (2^-32 s, 0.23 ns). The era
 * wraps in 2036 as it does on the wire; 0 is "no time" on the wire, so an
 * instant that maps exactly to 0 is moved by one unit. */
uint64_t bft_ntp_ts_from_unix_ns(int64_t unix_ns);
/* An NTP timestamp to Unix ns, in the era that puts it nearest pivot_unix_ns
 * (within 2^31 s, 68 years); saturates at the int64 range. */
int64_t bft_ntp_ts_to_unix_ns(uint64_t ts, int64_t pivot_unix_ns);

/* ns to the 16.16 short format, rounded up (a root dispersion must not
 * understate), saturating at 0xFFFF.FFFF; negative is 0. */
uint32_t bft_ntp_short_from_ns(int64_t ns);
/* The short format to ns, rounded up. */
int64_t bft_ntp_short_to_ns(uint32_t v);

/* ---- the server ----------------------------------------------------------- */

/* Why a request gets no reply (and what the server counts). */
enum bft_ntp_drop {
	BFT_NTP_ANSWER = 0,
	BFT_NTP_DROP_SHORT,      /* shorter than the header, or a malformed tail */
	BFT_NTP_DROP_MODE,       /* not a client request (mode 3; NTPv1's mode 0) */
	BFT_NTP_DROP_VERSION,    /* version 0 or above 4 */
	BFT_NTP_DROP_EXTENSION,  /* extension fields or a MAC: nothing we can honour */
};

typedef struct bft_ntp_server_info {
	int64_t rx_ns;      /* the served clock at the request's arrival, Unix ns */
	bft_interval rx_iv; /* true time at that instant (Unix ns) */
	bool synchronized;  /* false: leap 3, stratum 16 (clients will not use us) */
	uint8_t stratum;    /* when synchronized, 1..15 */
	int8_t precision;   /* log2 s of the served clock's reading precision */
	uint8_t refid[4];
	int64_t ref_ns;     /* reference timestamp: when the clock was last updated; 0: none */
} bft_ntp_server_info;

/* Build the reply to request req[0..len) into out (cap >= 48). Returns its
 * length (48: never longer than the request), or 0 and *why when the request
 * is dropped. Root delay is 0 and root dispersion covers the interval on
 * either side of the served time, so a client's root distance contains true
 * time. The transmit timestamp is left at the receive time: the caller sets
 * it with bft_ntp_reply_stamp as late as it can. */
size_t bft_ntp_server_reply(uint8_t *out, size_t cap, const uint8_t *req, size_t len,
                            const bft_ntp_server_info *s, enum bft_ntp_drop *why);

/* Write the transmit timestamp tx_ns into a reply built above, and widen its
 * root dispersion to cover tx_iv (true time at tx_ns) around tx_ns too. */
void bft_ntp_reply_stamp(uint8_t *reply, int64_t tx_ns, bft_interval tx_iv);

/* A kiss-o'-death reply (stratum 0, refid = code, e.g. "RATE") to a request
 * the caller has already accepted with bft_ntp_server_reply; same length. */
void bft_ntp_kod(uint8_t *reply, const char code[4]);

/* ---- the client ----------------------------------------------------------- */

/* Why a reply is refused; the driver counts each. */
enum bft_ntp_reject {
	BFT_NTP_OK = 0,
	BFT_NTP_REJ_MALFORMED,  /* undecodable */
	BFT_NTP_REJ_MODE,       /* not mode 4 (server) */
	BFT_NTP_REJ_VERSION,    /* version 0 or above 4 */
	BFT_NTP_REJ_BOGUS,      /* origin timestamp is not our cookie: bogus, replayed or stale */
	BFT_NTP_REJ_KOD,        /* kiss-o'-death (stratum 0): see kiss */
	BFT_NTP_REJ_UNSYNC,     /* leap indicator 3 */
	BFT_NTP_REJ_STRATUM,    /* stratum 16 or above */
	BFT_NTP_REJ_ZERO_TIME,  /* receive or transmit timestamp zero */
	BFT_NTP_REJ_DISTANCE,   /* root distance above the limit */
	BFT_NTP_REJ_TIMES,      /* the four timestamps admit no offset (t3 < t2, processing > round trip) */
	BFT_NTP_REJ_COUNT
};

/* A static name for a rejection reason ("ok", "kod", "unsynchronized", ...). */
const char *bft_ntp_reject_name(enum bft_ntp_reject r);

typedef struct bft_ntp_client_params {
	int64_t rho_ppb;         /* drift bound of the local clock t1, t4 are read on */
	int64_t server_rate_ppb; /* bound on the server clock's rate error between its t2 and t3 */
	int64_t stamp_err_ns;    /* error of each local stamp (t1, t4) */
	int64_t max_root_dist_ns; /* refuse servers claiming more; 0: BFT_NTP_MAXDIST_NS */
	int64_t extra_ns;        /* a configured margin added on both sides */
} bft_ntp_client_params;

typedef struct bft_ntp_sample {
	int64_t local_ns;     /* t4, the local receive stamp the interval refers to */
	bft_interval iv;      /* true time (Unix ns) when the local clock read t4 */
	int64_t offset_ns;    /* NTP's theta: ((t2 - t1) + (t3 - t4)) / 2, server - local */
	int64_t delay_ns;     /* NTP's delta: (t4 - t1) - (t3 - t2) */
	int64_t root_dist_ns; /* the server's root delay / 2 + root dispersion */
	bft_ntp_packet pkt;   /* the reply as decoded */
	char kiss[5];         /* BFT_NTP_REJ_KOD: the kiss code, NUL-terminated ("RATE") */
} bft_ntp_sample;

/* Build the request: mode 3, version 4, every field zero but the transmit
 * timestamp, which is cookie: a random 64-bit value, not our time, so an
 * off-path attacker cannot forge a reply (and the request tells nobody our
 * clock). Writes 48 bytes. */
void bft_ntp_client_request(uint8_t out[BFT_NTP_HEADER_LEN], uint64_t cookie);

/* Check a reply to the request that carried `cookie`, sent at local time t1
 * and received at local time t4, and derive the interval. pivot_unix_ns is
 * any clock within 68 years of the truth (it picks the era of t2 and t3).
 * Returns BFT_NTP_OK with *out filled, or the reason (out->kiss set for KoD,
 * out->pkt set once decoded). */
enum bft_ntp_reject bft_ntp_client_sample(bft_ntp_sample *out, const uint8_t *buf, size_t len, uint64_t cookie,
                                          int64_t t1_local_ns, int64_t t4_local_ns, int64_t pivot_unix_ns,
                                          const bft_ntp_client_params *p);

#endif
