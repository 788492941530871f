/* SPDX-License-Identifier: MIT */
/*
 * Reference clock drivers of the daemon, behind one table (chrony's
 * refclock_* pattern). Each driver turns what its device says into
 * readings "at raw time raw_ns, true time was in iv", the form
 * bft_node_on_reference takes, with an honest interval.
 *
 *  - `system` (here): CLOCK_REALTIME, stated to be within +-uncertainty of
 *    true time. Honest only if whatever disciplines the system clock is.
 *  - `simulated` (here): FOR TESTS AND DEMOS ONLY. A GPS-like receiver
 *    modelled on CLOCK_REALTIME (the best this machine knows): true time
 *    plus Gaussian noise truncated at the stated uncertainty, plus an
 *    optional constant offset, which makes it a lying reference.
 *  - `nmea` (nmea.c): NMEA 0183 from a serial port, PPS optional.
 *  - `gpsd` (gpsd.c): gpsd's JSON protocol, PPS optional.
 *  - `ntp` (ntp.c): an NTP server in client mode (RFC 5905).
 *  - `solar` (solar.c, solar.h): peers' fragments of solar radio noise
 *    cross-correlated with the own recording (SigMF files or SoapySDR).
 *
 * The loop asks each driver for file descriptors to wait on, then calls its
 * service with their events on every turn (and when next_mono_ns is due);
 * service may return several readings. A driver that finds a reading
 * implausible itself (GPS anti-spoofing: identical signal strengths, a
 * fixed station that moves) says so in `suspect`; the node then
 * quarantines the reference instead of using it.
 */
#ifndef BFTIME_DAEMON_REFCLOCK_H
#define BFTIME_DAEMON_REFCLOCK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/interval.h>

#include "proto/proof.h"
#include "refclock/host.h"

struct json_object;

enum bftd_ref_kind {
	BFTD_REF_SIMULATED, /* a GPS-like receiver modelled on CLOCK_REALTIME: test/demo only */
	BFTD_REF_SYSTEM,    /* CLOCK_REALTIME with a stated uncertainty */
	BFTD_REF_NMEA,      /* a GPS receiver's NMEA 0183 on a serial port, optionally with PPS */
	BFTD_REF_GPSD,      /* a GPS receiver through gpsd's JSON protocol, optionally with PPS */
	BFTD_REF_NTP,       /* an NTP server, queried in client mode (RFC 5905) */
	BFTD_REF_SOLAR,     /* solar radio noise cross-correlated with peers' fragments (solar.h) */
	BFTD_REF_KINDS
};

typedef struct bftd_ref {
	enum bftd_ref_kind kind;
	char name[32];
	int64_t every_ns;       /* reading period */
	int64_t uncertainty_ns; /* interval = reading +- this */
	int64_t noise_ns;       /* simulated: standard deviation of the reading's noise */
	int64_t offset_ns;      /* simulated: a constant lie added to every reading */
	int64_t offset_after_ns; /* simulated: ... from this long after start on (a spoofer taking over) */
	/* nmea, gpsd, ntp */
	char device[256];  /* nmea: the serial port (or a pty/FIFO) */
	uint32_t speed;    /* nmea: baud rate, default 9600 */
	char pps[256];     /* nmea, gpsd: optional RFC 2783 device (/dev/pps0) marking the second */
	char server[256];  /* gpsd: host[:port] (default 127.0.0.1:2947); ntp: host[:port] (port 123) */
	int64_t delay_ns;  /* nmea, gpsd: when the sentence ends after the second it names (-1: measure) */
	int64_t leap_s;    /* nmea, gpsd: GPS - UTC in seconds, default 18 */
	bool fixed;        /* nmea, gpsd: a fixed station: a moving position is a spoofing alarm */
	int64_t max_move_m; /* nmea, gpsd: how far a fixed station's position may wander, default 100 m */
	bool nts;          /* ntp: NTS (RFC 8915) required: no reading without authentication */
	char ca[256];      /* ntp with nts: PEM CA file for the NTS-KE certificate, "" the system store */
	int32_t nts_port;  /* ntp with nts: the NTS-KE port, default 4460 */
	int32_t burst;        /* ntp: exchanges per poll while the reference is young, default 4 (ntp.c) */
	int64_t burst_for_ns; /* ntp: ... for this long after start (INT64_MAX: always), default 15 minutes, always when every > 64 s */
	uint32_t set;      /* the option groups (BFTD_REF_OPT_*) the configuration named */
	struct bftd_ref_solar { /* solar (solar.c; docs/solar.md "Configuration") */
		char recording[256]; /* a SigMF recording's base path (base.sigmf-meta, base.sigmf-data) */
		char soapy[256];     /* or a SoapySDR device's arguments ("driver=rtlsdr") */
		int64_t centre_hz, bw_hz, fs_hz;
		int64_t lat_ndeg, lon_ndeg, height_mm, pos_err_mm, mask_mdeg;
		int64_t frag_n, block_n, bits, tec_max_tecu, clock_ppb;
		int64_t stamp_err_ns, window_ns;
		int64_t gain_cdb;    /* soapy: receiver gain, centi-dB */
		int64_t peers_f;     /* fuse the peers' readings tolerating this many liars; -1: each as it is */
		int64_t sun_frac_milli; /* copy check: own T_sun / (T_sun + T_sys) bound, thousandths; 0: unknown */
		int64_t peer_frac_milli; /* relay check: any peer's bound, thousandths; 0: unknown (no check) */
	} solar;
} bftd_ref;

/* ---- options -------------------------------------------------------------
 * A reference's options come as text (a YAML mapping's scalars) and each
 * driver reads its own: the common ones (kind, name, every, uncertainty)
 * here, the simulated model's (noise, offset, offset_after) beside its
 * driver, the GPS receivers' (pps, delay, leap_seconds, fixed, max_move) in
 * their shared base (gps_stream.c), the serial port's (device, speed) in
 * nmea.c, `server` for gpsd and ntp. An option belongs to a group; a driver
 * accepts some groups, and an option of a group its kind does not accept is
 * an error once the kind is known (keys come in any order). */
enum {
	BFTD_REF_OPT_KIND = 1u << 0,
	BFTD_REF_OPT_COMMON = 1u << 1, /* name, uncertainty */
	BFTD_REF_OPT_EVERY = 1u << 2,
	BFTD_REF_OPT_SIM = 1u << 3,    /* noise, offset, offset_after */
	BFTD_REF_OPT_GPS = 1u << 4,    /* pps, delay, leap_seconds, fixed, max_move */
	BFTD_REF_OPT_DEV = 1u << 5,    /* device, speed */
	BFTD_REF_OPT_SERVER = 1u << 6, /* server */
	BFTD_REF_OPT_SOLAR = 1u << 7,  /* recording, soapy, band, position, mask, fragment (solar.c) */
	BFTD_REF_OPT_NTS = 1u << 8,    /* nts, ca, nts_port */
	BFTD_REF_OPT_NTP = 1u << 9,    /* burst, burst_for */
};

typedef struct bftd_ref_opt {
	const char *key;
	uint32_t group; /* BFTD_REF_OPT_* */
	/* value: the text (NULL: not a scalar). 0, or BFT_EINVAL with a
	 * sentence in err. */
	int (*parse)(bftd_ref *r, const char *value, char *err, size_t errlen);
} bftd_ref_opt;

/* The defaults every option starts from. */
void bftd_ref_init(bftd_ref *r);
/* solar's: "not given", each replaced by its default in its finish (solar.c). */
void bftd_ref_solar_init(struct bftd_ref_solar *s);
/* One option: 0; BFT_EINVAL with err set (about the value); 1 when no
 * driver knows the key. */
int bftd_ref_option(bftd_ref *r, const char *key, const char *value, char *err, size_t errlen);
/* After the last option (idx: the reference's place, for its default
 * name): the kind's checks (options it does not take, options it needs)
 * and its defaults. 0, or BFT_EINVAL with err set ("reference: ..."). */
int bftd_ref_finish(bftd_ref *r, size_t idx, char *err, size_t errlen);

/* `server` (gpsd, ntp): host[:port]. */
int bftd_ref_opt_server(bftd_ref *r, const char *value, char *err, size_t errlen);

#define BFTD_REF_MAX_FDS 4      /* pollfds one driver may ask for */
#define BFTD_REF_MAX_READINGS 8 /* readings one service call may return */

typedef struct bftd_reading {
	int64_t raw_ns;     /* the node's raw clock (bft_clock_raw_ns) at the reading */
	bft_interval iv;    /* true time at raw_ns, Unix ns (UTC) */
	bool have_gps;      /* gps is filled: the fix behind this reading, for time proofs */
	bft_proof_ref gps;
	const char *suspect; /* non-NULL: the driver's own reason to distrust this reading */
} bftd_reading;

typedef struct bftd_refclock {
	const struct bftd_refclock_driver *drv;
	const bftd_ref *cfg;
	const bftd_refclock_host *host; /* logging, clocks, randomness, sockets (host.h) */
	uint64_t rng;
	int64_t next_mono_ns; /* service is due at this mono time even without fd events; INT64_MAX: never */
	uint64_t readings;
	int64_t opened_mono_ns;
	int64_t rho_ppb;      /* the node's oscillator drift bound (clock.rho_ppm), for drivers that time
	                       * round trips on the raw clock */
	uint64_t errors;      /* bad input from the device (malformed sentences, bad packets), counted */
	void *priv;           /* the driver's own state */
	char state[160];      /* one line for status: "3D fix, 9 satellites", "no reply from server" */
} bftd_refclock;

typedef struct bftd_refclock_driver {
	const char *name;
	const char *prefix;             /* of a default name: prefix + index ("nmea0") */
	uint32_t groups;                /* the option groups (BFTD_REF_OPT_*) it takes besides the common ones */
	const bftd_ref_opt *options; /* its own options, NULL-key terminated; may be NULL */
	/* After the options: what it needs (an error in err) and its defaults.
	 * May be NULL. */
	int (*finish)(bftd_ref *r, char *err, size_t errlen);
	/* Open the device (a failure is fatal at start: say why in err). */
	int (*open)(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen);
	void (*close)(bftd_refclock *rc); /* may be NULL */
	/* File descriptors to wait on (events set); returns how many, <= max. May be NULL. */
	size_t (*pollfds)(bftd_refclock *rc, struct pollfd *pfd, size_t max);
	/* Handle fd events (pfd as returned by pollfds, revents filled; n = 0
	 * when poll timed out) and timers due at now_mono_ns; writes up to max
	 * readings to out and returns how many. */
	size_t (*service)(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
	                  bftd_reading *out, size_t max);
	/* Extra fields for the status file and API (satellites, quality). May be NULL. */
	void (*status)(const bftd_refclock *rc, struct json_object *o);
	/* Bytes as if just read from the device at raw time raw_ns: how the
	 * fuzz target (tests/fuzz/fuzz_refclock.c) reaches a driver's parser
	 * without a device. May be NULL (no byte stream). */
	void (*inject)(bftd_refclock *rc, const char *buf, size_t n, int64_t raw_ns);
} bftd_refclock_driver;

/* ---- byte-stream drivers (nmea, gpsd): when their bytes arrived ----------
 * The raw clock right after read() is the latest the bytes can have come;
 * while the loop was busy elsewhere (signing, a database commit) they may
 * have waited in the tty or socket buffer since the input was last seen
 * empty. A watch keeps that time: a read that said EAGAIN, or an idle probe
 * every BFTD_INPUT_PROBE_NS; bytes read at r then arrived in [r - span, r]. */
typedef struct bftd_input_watch {
	bool have_empty;
	int64_t empty_raw_ns, probe_next_mono_ns;
	int64_t span_ns; /* of the bytes being handled: read time - empty time (0: none) */
} bftd_input_watch;

#define BFTD_INPUT_PROBE_NS (INT64_C(10) * 1000000)

/* The input is empty at raw_ns (EAGAIN, a fresh open or connection). */
void bftd_watch_empty(bftd_input_watch *w, int64_t raw_ns);
/* Bytes were read at raw_ns: their span into w->span_ns, until
 * bftd_watch_done once they are handled. */
void bftd_watch_read(bftd_input_watch *w, int64_t raw_ns);
void bftd_watch_done(bftd_input_watch *w);
/* The idle probe, when due at now and the loop brought no events for fd: a
 * zero-timeout poll, the input noted empty if it is. Schedules the next;
 * the driver's next service time must not be after w->probe_next_mono_ns. */
void bftd_watch_probe(bftd_input_watch *w, const bftd_refclock_host *host, int fd, bool events,
                      int64_t now_mono_ns);

/* Whether the nmea driver can set a serial port to this speed (baud). */
bool bftd_nmea_speed_ok(uint32_t speed);

extern const bftd_refclock_driver bftd_refclock_system, bftd_refclock_nmea, bftd_refclock_gpsd, bftd_refclock_ntp,
	bftd_refclock_solar;
/* `simulated` is a test model, in the test kit (src/testkit/refclock_sim.c):
 * linked into bftimed-test, the simulator's users and the tests; absent
 * (its address NULL) from the production bftimed, which then refuses the
 * kind in its configuration. */
extern const bftd_refclock_driver bftd_refclock_simulated __attribute__((weak));
/* The simulated model's options, read by every program (refclock.c). */
extern const bftd_ref_opt bftd_ref_sim_options[];

/* Whether this program has the driver of kind k (only `simulated` may be
 * missing); bftd_refclock_open refuses a kind without, saying why: */
bool bftd_refclock_available(enum bftd_ref_kind k);
#define BFTD_REF_NO_DRIVER \
	"kind simulated is a test model: this bftimed is built without the test kit (build/bftimed-test has it)"

/* ---- drivers read on a schedule of `every` (system, simulated) ----------- */
/* CLOCK_REALTIME and the raw clock around it: *span_ns bounds the read. */
void bftd_refclock_read_realtime(const bftd_refclock_host *h, int64_t *raw_ns, int64_t *rt_ns, int64_t *span_ns);
/* Whether a reading is due at now; schedules the next. */
bool bftd_refclock_due(bftd_refclock *rc, int64_t now_mono_ns);
/* A service call's start: false when no reading is due (or max is 0);
 * else out cleared, out->raw_ns and *rt_ns read, *span_ns bounding the read. */
bool bftd_refclock_sched_read(bftd_refclock *rc, int64_t now_mono_ns, bftd_reading *out, size_t max, int64_t *rt_ns,
                              int64_t *span_ns);
/* open: the first reading due at once. */
int bftd_refclock_sched_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen);
/* finish: uncertainty 1 ms unless told. */
int bftd_refclock_realtime_finish(bftd_ref *r, char *err, size_t errlen);

/* Set up rc for reference cfg and open its device; the first scheduled
 * service is due at mono time now. 0, or an error with err set. */
int bftd_refclock_open(bftd_refclock *rc, const bftd_ref *cfg, const bftd_refclock_host *host, int64_t rho_ppb, uint64_t seed, int64_t now_mono_ns,
                       char *err, size_t errlen);

void bftd_refclock_close(bftd_refclock *rc);

#endif
