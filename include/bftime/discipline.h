/* SPDX-License-Identifier: MIT */
/*
 * Clock discipline: turns raw readings of the local oscillator into a
 * disciplined clock, corrected from fused measurements of true time. The
 * model never reads a clock itself: the caller passes raw oscillator readings
 * (int64 ns, as the node reads them) and measurements "at raw time L, true
 * time lies in [lo, hi]"; for any raw L it answers with two separate things:
 *
 *  - bounds: an interval [earliest, latest] that contains true time. It is
 *    tracked honestly and apart from the point estimate: after a measurement
 *    it is the intersection of the predicted interval and the measurement;
 *    between measurements (and in holdover) it widens by the drift bound
 *    rho over the elapsed raw time, rounding outward. If every measurement
 *    contains true time and the oscillator's rate error never exceeds rho,
 *    bounds contains true time at every L (docs/algorithms-discipline-bounds.md
 *    has the argument). With model_bounds set, it is narrowed further by the
 *    fitted frequency, which adds the assumption that the true frequency stays
 *    within wander_ppb plus the estimate's uncertainty of the fitted one.
 *
 *  - time_ns: the disciplined clock, offset + frequency (+ optional aging)
 *    estimated with the robust estimators of regress.h on a bounded history.
 *    Offset corrections are slewed at no more than max_slew_ppb, so time_ns
 *    is continuous and, for raw readings passed in non-decreasing order,
 *    never decreases. The only ways it moves backwards are the initial step
 *    of the first measurement (before that the clock is not running) and an
 *    explicit bft_disc_step(). estimate_ns is time_ns clamped into bounds:
 *    the point estimate to report; it equals time_ns except while a slew is
 *    still catching up with a measurement that moved the interval.
 *
 * Frequencies follow regress.h: freq = d(true - raw)/d(raw), so an oscillator
 * running 50 ppm fast has freq -50000 ppb. All state lives in a bft_disc
 * object; nothing here reads clocks, allocates after create, or keeps globals.
 * Calls on one object must be serialized by the caller. The model, the
 * guarantees and measured figures are in docs/algorithms-discipline-bounds.md.
 */
#ifndef BFTIME_DISCIPLINE_H
#define BFTIME_DISCIPLINE_H

#include <stdbool.h>
#include <bftime/interval.h>

enum bft_disc_state {
	BFT_DISC_UNSYNCHRONIZED, /* no measurement yet: time unknown, bounds infinite */
	BFT_DISC_SYNCHRONIZED,   /* last measurement at most holdover_after_ns ago */
	BFT_DISC_HOLDOVER,       /* no measurement for longer: bounds keep widening by rho */
};

enum bft_disc_estimator {
	BFT_DISC_THEIL_SEN,       /* breakdown ~29%, the default */
	BFT_DISC_REPEATED_MEDIAN, /* breakdown 50%, a little noisier */
};

/* What to do when a measurement and the predicted interval are disjoint (at
 * least one of them is wrong: a faulty measurement, or an earlier faulty
 * measurement or a broken drift bound behind the prediction). */
enum bft_disc_on_disjoint {
	BFT_DISC_TAKE_MEASUREMENT, /* bounds := measurement: trust the fresh fused value */
	BFT_DISC_HULL,             /* bounds := hull of both: right if either is */
};

typedef struct bft_disc_config {
	int64_t rho_ppb;           /* drift bound: |d(true)/d(raw) - 1| <= rho. Default 100000 (100 ppm) */
	int64_t max_slew_ppb;      /* largest rate of offset correction on top of the frequency
	                            * correction. Default 500000 (500 ppm, as ntpd). rho + max_slew < 1e9 */
	int64_t holdover_after_ns; /* HOLDOVER after this long without a measurement. Default 300 s */
	size_t history_len;        /* (raw, offset) samples kept for the fit, >= 2. Default 64 */
	size_t min_fit_samples;    /* samples before the frequency is estimated, in [2, history_len].
	                            * Default 4; until then freq = initial_freq_ppb */
	int64_t initial_freq_ppb;  /* frequency used until trained, |.| <= rho. Default 0 */
	int64_t max_sample_width_ns; /* measurements wider than this update bounds but are not
	                              * fitted (their midpoint says little). Default INT64_MAX */
	int64_t max_span_ns;         /* fit samples older than this before the newest are dropped
	                              * (down to min_fit_samples), so that long polls do not stretch
	                              * the window over hours of frequency wander. 0: no limit
	                              * (default) */
	int64_t min_fit_spacing_ns;  /* a measurement sooner than this after the newest fitted one
	                              * replaces it in the fit (so does a less carried one within 8
	                              * spacings of a newest carried over 4). Default 0 */
	enum bft_disc_estimator estimator;     /* default BFT_DISC_THEIL_SEN */
	enum bft_disc_on_disjoint on_disjoint; /* default BFT_DISC_TAKE_MEASUREMENT */

	/* Aging: a linear frequency drift, fitted robustly to a history of
	 * frequency estimates taken at least aging_spacing_ns apart. */
	bool aging;                /* default false */
	size_t aging_len;          /* frequency estimates kept, >= 3. Default 24 */
	size_t aging_min_samples;  /* estimates before aging is used, in [3, aging_len]. Default 12 */
	int64_t aging_spacing_ns;  /* default 3600 s */

	/* Model-narrowed bounds (off by default): also propagate the interval at
	 * the fitted frequency +- (wander_ppb + fit uncertainty), intersected with
	 * the rho propagation. Valid only while the true frequency stays that
	 * close to the fit, which the rho bound alone does not promise. */
	bool model_bounds;         /* default false */
	int64_t wander_ppb;        /* default 1000 (1 ppm) */
} bft_disc_config;

typedef struct bft_disc_reading {
	int64_t time_ns;       /* disciplined clock: continuous, slew-limited, monotonic */
	int64_t estimate_ns;   /* time_ns clamped into bounds */
	bft_interval bounds;   /* contains true time (see the guarantee above) */
	int64_t freq_ppb;      /* frequency correction in effect at this raw time */
	int64_t slew_ppb;      /* offset slew in effect (signed, |.| <= max_slew_ppb) */
	int64_t slew_left_ns;  /* offset correction still to be slewed out */
	enum bft_disc_state state;
	bool trained;          /* frequency estimated from the history, not initial_freq_ppb */
	bool running;          /* the course is set (by a measurement or by bft_disc_steer); with state
	                        * UNSYNCHRONIZED: a network clock without true-time knowledge */
} bft_disc_reading;

typedef struct bft_disc_update_info {
	bool initial_step;    /* the first measurement set the clock */
	bool disjoint;        /* measurement missed the predicted interval: a fault somewhere */
	int64_t offset_ns;    /* measurement midpoint - time_ns at its raw time, before the
	                       * update (0 for the first): > 0 means the clock was behind */
	bft_interval bounds;  /* bounds at the measurement's raw time, after the update */
	int64_t freq_ppb;     /* frequency estimate after the update */
} bft_disc_update_info;

typedef struct bft_disc_status {
	uint64_t measurements; /* accepted by bft_disc_update */
	uint64_t disjoint;     /* of which disjoint from the prediction */
	uint64_t steps;        /* explicit steps */
	size_t samples;        /* in the fit history */
	size_t aging_samples;  /* in the frequency history */
	bool trained;
	bool aging_trained;
	int64_t freq_ppb;          /* current fitted frequency at the last update */
	double aging_ppb_per_day;  /* fitted frequency drift (0 unless aging_trained) */
	int64_t freq_unc_ppb;      /* modelled uncertainty of freq_ppb, see model_bounds */
	int64_t freq_sd_ppb;       /* its statistical standard deviation, from the scatter of
	                            * the samples about the fit (INT64_MAX until trained) */
	int64_t span_ns;           /* raw time from the oldest sample the fit uses to the newest */
} bft_disc_status;

typedef struct bft_disc bft_disc;

/* Fill *cfg with the documented defaults. */
BFT_API void bft_disc_config_default(bft_disc_config *cfg);

/* Create a discipline object (cfg NULL: defaults). All memory is allocated
 * here. Returns 0, BFT_EINVAL (bad config) or BFT_ENOMEM. */
BFT_API BFT_WARN_UNUSED int bft_disc_create(bft_disc **out, const bft_disc_config *cfg);

/* Free it; NULL is fine. */
BFT_API void bft_disc_destroy(bft_disc *d);

/*
 * Apply a measurement: at raw time raw_ns, true time was in meas. Raw times
 * of measurements must not decrease (BFT_EINVAL otherwise, state untouched);
 * a measurement may refer to a raw time earlier than reads already made, in
 * which case the clock's new course starts at the latest raw time seen, so no
 * read is contradicted. The first measurement sets the clock (initial step).
 * A measurement disjoint from the prediction is applied per on_disjoint,
 * counted, flagged in info, and still returns 0: the caller decides what a
 * fault means. info may be NULL. Returns 0 or BFT_EINVAL (meas.lo > meas.hi).
 */
BFT_API BFT_WARN_UNUSED int bft_disc_update(bft_disc *d, int64_t raw_ns, bft_interval meas,
                                            bft_disc_update_info *info);

/*
 * The same, with a point estimate of true time inside meas (for example the
 * Brooks-Iyengar or fault-tolerant-midpoint estimate of a fusion) fitted
 * instead of the measurement's midpoint. BFT_EINVAL if point_ns is outside.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_update_point(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns,
                                                  bft_disc_update_info *info);

/*
 * The same, for a point that was carried: the caller built point_ns from
 * readings up to carry_ns old (on average) moved forward at carry_freq_ppb
 * (its idea of the frequency then). The fit takes the point where its
 * readings were: carry_ns earlier, the carry taken out, which is the same
 * as redoing the carry at the fitted frequency itself, so that points
 * carried at a frequency not yet known (a 100 ppm oscillator's first
 * minutes) do not hold the fit to it for as long as they stay in the
 * history. BFT_EINVAL also for carry_ns < 0.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_update_carried(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns,
                                                    int64_t carry_ns, int64_t carry_freq_ppb,
                                                    bft_disc_update_info *info);

/*
 * The same, telling the raw time newest_ns (<= raw_ns) of the newest reading
 * the point was built from. A point whose newest reading is no newer than
 * the newest fitted point's holds nothing the fit has not seen (a poll that
 * only carries readings forward): it updates the bounds and the course but
 * is not fitted, so that the same readings are not weighed twice.
 * bft_disc_update_carried is this with newest_ns = raw_ns.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_update_readings(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns,
                                                     int64_t carry_ns, int64_t carry_freq_ppb, int64_t newest_ns,
                                                     bft_disc_update_info *info);

/*
 * Read the disciplined clock at raw time raw_ns. Reads at raw times in
 * non-decreasing order see time_ns never decrease (barring explicit steps);
 * a read at a raw time earlier than one already seen is answered from the
 * current course and is outside that guarantee. Before any measurement:
 * state UNSYNCHRONIZED, time_ns = raw_ns, bounds = [INT64_MIN, INT64_MAX].
 * Returns 0 or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_read(bft_disc *d, int64_t raw_ns, bft_disc_reading *out);

/*
 * Step the clock now (at raw_ns, or the latest raw time seen if later) to
 * the current best estimate, clamped into bounds, dropping any slew in
 * progress: the one way to move time_ns backwards once running. *step_ns
 * (may be NULL) receives new - old time. Bounds are not affected: they are
 * about true time, not about the clock. Returns 0, BFT_EEMPTY (no
 * measurement yet) or BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_step(bft_disc *d, int64_t raw_ns, int64_t *step_ns);

/*
 * Steer a network clock (docs/internal-sync.md): at raw time raw_ns the
 * clock should read target_ns (+- half_ns, the agreement's reading error).
 * For a node that has no measurement of true time: the course is set or
 * restarted towards target_ns (slewed at max_slew_ppb; a step when
 * allow_step or on the first call, counted in steps after the first) and
 * runs at the oscillator's rate (initial_freq_ppb): phase corrections only,
 * so the network's common rate stays within its oscillators'. The fit
 * learns the network's rate against raw from the targets (reported in
 * bft_disc_get_status: freq_ppb, freq_sd_ppb) without steering by it. The
 * bounds stay infinite and the state UNSYNCHRONIZED: a network clock says
 * nothing about true time. The first bft_disc_update* afterwards drops the
 * network course and its fit history and sets the clock as a first
 * measurement does (initial_step). BFT_EINVAL once a true-time measurement
 * has been applied (the true-time course is not steered), for half_ns < 0,
 * or for raw_ns before the last steer. info may be NULL; info->initial_step
 * is set on a step (first or allowed), info->offset_ns = target - clock.
 */
BFT_API BFT_WARN_UNUSED int bft_disc_steer(bft_disc *d, int64_t raw_ns, int64_t target_ns, int64_t half_ns,
                                           bool allow_step, bft_disc_update_info *info);

/* Shorten the fit window below max_span_ns for now (0: max_span_ns again):
 * the node's sources answer at shorter intervals than the longest they
 * are configured for while their polls climb, and a window sized for the
 * longest would hold many more of those dense early samples than of the
 * later sparse ones, which a robust fit then outvotes (clknetsim LAN at
 * 1024 s polls: 0.3 ms off for hours while every round said so). Samples
 * fall out at the next update; no effect without max_span_ns. 0 or
 * BFT_EINVAL (span_ns < 0). */
BFT_API BFT_WARN_UNUSED int bft_disc_set_span(bft_disc *d, int64_t span_ns);

/* Counters and the fitted model. Returns 0 or BFT_EINVAL. */
BFT_API BFT_WARN_UNUSED int bft_disc_get_status(const bft_disc *d, bft_disc_status *out);

/* A static name for a state, for logs. Never NULL. */
BFT_API const char *bft_disc_state_name(enum bft_disc_state s);

#endif
