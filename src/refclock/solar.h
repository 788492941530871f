/* SPDX-License-Identifier: MIT */
/*
 * The solar reference (issue 18, docs/solar.md): the part every host runs
 * (the engine, solar_engine.c: pure, no I/O, no clock read) and the
 * daemon's driver around it (solar.c: `kind: solar`, its options, SigMF and
 * SoapySDR input, fragments out through a publish hook and in through
 * bftd_solar_receive). bftime-sim runs the same engine on simulated solar
 * noise (sim/world.c), so the daemon and the simulator share every step
 * from a recorded block to a reading.
 *
 * Clocks. Each own block of samples is stamped twice: raw_ns, the node's
 * raw clock at its first sample (erring by at most raw_err_ns: USB and
 * driver latency), which is what a reading is anchored to; and pub_ns, the
 * node's best estimate of true time at that sample (erring by at most
 * pub_err_ns: the latency plus how well the node knows true time), which is
 * what its published fragments carry. A peer's fragment then says "the
 * wavefront in these samples reached my antenna at true time start_ns +-
 * stamp_err_ns"; correlating it with an own block gives the own sample that
 * saw the same wavefront, so true time at the block's raw_ns is
 *
 *     start_peer - lag / fs + delay         (delay: arrival here minus there)
 *
 * within k sigma_CRB + the geometry's and the atmosphere's bounds + both
 * stamps' errors + the sample clocks' rate error over the span
 * (bft_solar_offset_interval). That is a reading like any other reference's:
 * an interval of true time at a raw time. A peer with a wrong clock (or one
 * lying about its stamps) makes wrong readings, as a lying NTP server does;
 * fusion tolerates f of them.
 *
 * The Sun's elevation mask: a block recorded while the Sun is below the mask
 * at this antenna publishes nothing and answers no fragment; a fragment from
 * an antenna whose Sun is below the mask is refused. At night the engine is
 * silent and the node free-runs on its other sources.
 */
#ifndef BFTIME_REFCLOCK_SOLAR_H
#define BFTIME_REFCLOCK_SOLAR_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bftime/interval.h>

#include "core/sun.h"
#include "proto/sign.h"

typedef struct bftd_solar bftd_solar;

typedef struct bftd_solar_params {
	uint32_t node;          /* own id: fragments are signed as this node */
	double fs_hz;           /* sample rate */
	double centre_hz;       /* band centre */
	double bw_hz;           /* the flat part of the band (<= fs_hz) */
	bft_geodetic pos;       /* the antenna, WGS84 */
	double pos_err_m;       /* its position's error bound */
	double mask_rad;        /* elevation mask */
	uint32_t frag_n;        /* samples per published fragment */
	uint32_t block_n;       /* samples per own block; >= frag_n + 2 window + 8 */
	uint8_t bits;           /* 1 or 2 bits per component in fragments */
	double tec_max_tecu;    /* ionosphere's vertical TEC bound (uncorrected: one band) */
	int64_t window_ns;      /* how far a peer's stamps may be from own: the lag search's half-width */
	double rate_err_ppb;    /* both sample clocks' rate error bound, summed */
	size_t keep_blocks;     /* own blocks kept for late fragments (>= 1) */
	double sun_frac_max;    /* copy check: bound on the own recording's T_sun / (T_sun + T_sys); 0: unknown (1) */
	double peer_frac_max;   /* relay check: bound on any peer's T_sun / (T_sun + T_sys); 0: unknown (no check) */
} bftd_solar_params;

enum {
	BFTD_SOLAR_E_FRAGMENT = -10, /* not a fragment, or its signature does not verify */
	BFTD_SOLAR_E_BAND = -11,     /* another sample rate, band, quantisation or length */
	BFTD_SOLAR_E_NIGHT = -12,    /* the Sun below the mask at the peer's antenna or at ours */
	BFTD_SOLAR_E_NOBLOCK = -13,  /* no own block covers it within the window (too old, too far) */
	BFTD_SOLAR_E_WEAK = -14,     /* no correlation above the detection threshold */
	BFTD_SOLAR_E_EDGE = -15,     /* the peak on the window's edge: the offset exceeds the window */
	BFTD_SOLAR_E_SELF = -16,     /* our own fragment */
	BFTD_SOLAR_E_COPY = -17,     /* more correlation than two receivers' noise allows: a copy */
	BFTD_SOLAR_E_FEW = -18,      /* fusion: fewer than 2f + 1 peers' fresh readings */
	BFTD_SOLAR_E_FAULTS = -19,   /* fusion: no point shared by all but f of them: more than f lie */
	BFTD_SOLAR_E_POSITION = -20, /* the peer's series proves a false position (solar_track.h) */
	BFTD_SOLAR_E_SHIFT = -21,    /* the peer's series proves shifted stamps (solar_track.h) */
};
const char *bftd_solar_strerror(int e);

typedef struct bftd_solar_stats {
	uint64_t blocks, night_blocks, published;
	uint64_t received, refused_fragment, refused_band, refused_night, no_block, weak, edge, copies, readings;
	uint64_t relays; /* of copies: a recent fragment of another peer's, relayed (peer_frac_max) */
	uint64_t fused, fuse_few, fuse_faults;
	uint64_t position_cheats, shift_cheats, cheat_refused; /* peers proven (solar_track.h), readings refused */
} bftd_solar_stats;

typedef struct bftd_solar_reading {
	uint32_t peer;
	int64_t raw_ns;         /* the own block's first sample on the raw clock */
	bft_interval iv;        /* true time at raw_ns, per the peer's fragment */
	int64_t offset_ns;      /* the peer's stamps minus own pub stamps, the interval's middle */
	int64_t half_ns;        /* the interval's half-width */
	double lag, rho, snr, elev_deg;
} bftd_solar_reading;

/* params are copied; signer must outlive the engine. 0, BFT_EINVAL with a
 * sentence in err, or BFT_ENOMEM. */
int bftd_solar_create(bftd_solar **out, const bftd_solar_params *p, const bft_signer *signer, char *err,
                      size_t errlen);
void bftd_solar_destroy(bftd_solar *s);

/* Whether the Sun is above the mask at this antenna at t_ns (Unix ns). */
bool bftd_solar_sun_up(const bftd_solar *s, int64_t t_ns);

/* An own block of block_n samples (stamps as above). Kept for the peers'
 * fragments; when the Sun is up, a fragment of its middle frag_n samples,
 * encoded and signed (sequence seq), goes into out (cap bytes: at most
 * BFT_FRAG_MAX_BYTES) with *len. 1: a fragment made; 0: night (none, and the
 * block answers no fragment); negative: bad arguments or out of space. */
int bftd_solar_record(bftd_solar *s, const double complex *x, size_t n, int64_t raw_ns, int64_t raw_err_ns,
                      int64_t pub_ns, int64_t pub_err_ns, uint32_t seq, uint8_t *out, size_t cap, size_t *len);

/* A peer's fragment (its bytes as received: hostile until verified). 0 with
 * *out filled, or a BFTD_SOLAR_E_* code (counted). */
int bftd_solar_on_fragment(bftd_solar *s, const uint8_t *buf, size_t len, bftd_solar_reading *out);

const bftd_solar_stats *bftd_solar_get_stats(const bftd_solar *s);
/* The peers' readings fused (src/core/fusion.h, Marzullo): each peer's
 * latest reading no older than max_age_ns (raw) before now_raw_ns, carried
 * to the newest one's raw time with the drift bound rho_ppb, then the
 * smallest interval holding every point covered by all but f of them. One
 * reading of this reference, which holds true time when at most f of the
 * peers lie, whatever the liars say; needs 2f + 1 peers (so the result is
 * within the honest readings' hull). 0 with *raw_ns, *iv and *n_used;
 * BFTD_SOLAR_E_FEW or BFTD_SOLAR_E_FAULTS (counted). */
int bftd_solar_fuse(bftd_solar *s, size_t f, int64_t rho_ppb, int64_t now_raw_ns, int64_t max_age_ns, int64_t *raw_ns,
                    bft_interval *iv, size_t *n_used);
#define BFTD_SOLAR_MAX_PEERS 64 /* peers whose latest reading is kept for the fusion */

/* The node the engine signs its fragments as (set once the host knows it). */
void bftd_solar_set_node(bftd_solar *s, uint32_t node);

/* ---- the daemon's driver (solar.c) ---------------------------------------
 * The loop hands the driver a way out (publish: the fragment's bytes to
 * every peer; the daemon's is gossip.c's POST /v1/solar) and its signer;
 * peers' fragments come back in through bftd_solar_receive (the API's POST
 * /v1/solar) and leave as readings at the driver's next service. */
struct bftd_refclock;
typedef struct bftd_solar_io {
	const bft_signer *signer;
	uint32_t node;
	void (*publish)(void *ctx, const uint8_t *buf, size_t len);
	void *ctx;
	/* The node's estimate of true time at a raw time: 0 with the point and
	 * the larger side of its interval, or negative while it does not know
	 * the time. A receiver's blocks are published on it, their stated
	 * error widened by that half (as bftime-sim's nodes publish theirs),
	 * and not published while it fails; a recording's stamps are the
	 * recorder's own and go as they are. NULL: the system clock is taken
	 * as true time within stamp_uncertainty. */
	int (*estimate)(void *ctx, int64_t raw_ns, int64_t *est_ns, int64_t *half_ns);
} bftd_solar_io;

/* Attach io to rc, a `solar` reference (opened): fragments are made and
 * published from then on. 0, or BFT_EINVAL (not a solar reference) or
 * BFT_ENOMEM. */
int bftd_solar_attach(struct bftd_refclock *rc, const bftd_solar_io *io, char *err, size_t errlen);
/* A peer's fragment for rc: queued for its next service (the loop calls it
 * at once). 0, BFT_EINVAL (not a solar reference, not attached, too
 * large) or BFT_ENOMEM (the queue is full: the fragment is dropped and
 * counted). */
int bftd_solar_receive(struct bftd_refclock *rc, const uint8_t *buf, size_t len);

#define BFTD_SOLAR_QUEUE 32 /* peers' fragments waiting for a service */

#endif
