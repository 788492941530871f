/* SPDX-License-Identifier: MIT */
/*
 * Clock readings as intervals: the exchange patterns of the Sensor Fusion
 * Framework. Each turns the timestamps of one exchange of messages into an
 * interval that contains the remote clock's offset to the local clock, given
 * honest bounds on message delay and clock drift. A reading whose
 * assumptions were broken (a delay outside [dmin, dmax], a clock drifting
 * faster than rho, a lying peer) may produce an interval that misses the
 * truth: that is the one fault kind fusion tolerates.
 *
 * Conventions: offset = remote - local, at the local instant the reading
 * refers to (reading.local_ns). Timestamps t1..t6 are named as in NTP: odd
 * ones are sends, even ones receives, each read on the clock of the node that
 * did it. rho_ppb bounds each clock's frequency error, so the offset between
 * two clocks changes by at most 2*rho per unit of elapsed time; elapsed time
 * is measured on the local clock, the first-order convention chrony and NTP
 * use (the neglected term is rho^2 relative; configure rho with that margin).
 */
#ifndef BFTIME_EXCHANGE_H
#define BFTIME_EXCHANGE_H

#include <bftime/interval.h>

typedef struct bft_exchange_params {
	int64_t dmin_ns;      /* lower bound on any one-way delay, >= 0 */
	int64_t dmax_ns;      /* upper bound on any one-way delay; 0 means unknown */
	int64_t rho_ppb;      /* frequency error bound of each clock, >= 0 */
	int64_t stamp_err_ns; /* error of each timestamp (granularity, latency), >= 0 */
} bft_exchange_params;

typedef struct bft_reading {
	int64_t local_ns;    /* local clock time the offset interval refers to */
	bft_interval offset; /* remote - local at local_ns */
	int64_t delay_ns;    /* measured round-trip delay, or -1 for a one-way reading */
} bft_reading;

/* Relative drift of two clocks each bounded by rho over elapsed local time. */
BFT_API int64_t bft_relative_drift_ns(int64_t rho_ppb, int64_t elapsed_ns);

/*
 * Simple time transfer: the remote stamped t1 on its clock and sent; we
 * received at t2 on ours. offset in [t1 - t2 + dmin, t1 - t2 + dmax] (the
 * upper side unbounded when dmax is unknown), widened for drift during
 * transit and timestamp error. Returns 0 or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_exchange_one_way(bft_reading *out, const bft_exchange_params *p, int64_t t1_remote_ns,
                                        int64_t t2_local_ns);

/*
 * Round trip: we sent at t1, the remote received at t2 and replied at t3, we
 * received at t4. The interval refers to t4:
 *   offset in [t3 - t4 + dmin, t2 - t1 - dmin + drift(t4 - t1)]
 * (and, when dmax is known, also >= t2 - t1 - dmax - drift, <= t3 - t4 + dmax),
 * widened by timestamp errors. delay_ns = (t4 - t1) - (t3 - t2), NTP's delta.
 * Returns 0, BFT_EINVAL (t4 < t1 or t3 < t2 by more than 2 * stamp_err_ns, which
 * no honest exchange can read; bad params) or BFT_EFAULTS
 * (the timestamps contradict the delay/drift bounds: no offset fits).
 */
BFT_API BFT_WARN_UNUSED int bft_exchange_round_trip(bft_reading *out, const bft_exchange_params *p, int64_t t1, int64_t t2,
                                           int64_t t3, int64_t t4);

/*
 * Triple transfer, the responder's side: after the round trip (t1..t4), the
 * initiator sent t4 at its time t5 in a third message that the responder
 * received at t6. From the responder's point of view (local = responder,
 * remote = initiator), messages 2 and 3 form a round trip (t3, t4, t5, t6),
 * and message 1 a one-way transfer (t1 -> t2) carried forward to t6; the
 * result is their intersection, referring to t6, with the delay of messages
 * 2 and 3. Same returns as bft_exchange_round_trip.
 */
BFT_API BFT_WARN_UNUSED int bft_exchange_triple_responder(bft_reading *out, const bft_exchange_params *p, int64_t t1,
                                                 int64_t t2, int64_t t3, int64_t t4, int64_t t5, int64_t t6);

/* The reading's interval carried to another local time: widened by the
 * relative drift of the two clocks over |at - r->local_ns|. */
BFT_API bft_interval bft_exchange_reading_at(const bft_reading *r, int64_t rho_ppb, int64_t at_local_ns);

/* Index of the reading with the smallest round-trip delay (NTP's clock
 * filter idea: the least-delayed sample has the least uncertainty); one-way
 * readings are ignored. Returns -1 when there is none. */
BFT_API long bft_exchange_min_delay(const bft_reading *r, size_t n);

/*
 * Repeated transfers: carry every reading to at_local_ns (widening each by
 * the relative drift since it was taken) and intersect them all.
 * Example (the Sensor Fusion Framework's): [2.0 s, 3.0 s] and [1.5 s, 2.5 s]
 * measured 1000 s apart with rho = 100 ppm give [1.8 s, 2.5 s] at the later
 * time. Returns 0, BFT_EEMPTY (n == 0) or BFT_EFAULTS when the carried
 * intervals are disjoint: at least one reading broke its assumptions (fuse
 * with bft_fusion_marzullo instead when some may be faulty).
 */
BFT_API BFT_WARN_UNUSED int bft_exchange_repeated_intersect(bft_reading *out, const bft_reading *r, size_t n, int64_t rho_ppb,
                                                   int64_t at_local_ns);

#endif
