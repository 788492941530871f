/* SPDX-License-Identifier: MIT */
/*
 * Clock discipline (discipline.h). Three pieces of state, kept apart on
 * purpose so that none can corrupt another's guarantee:
 *
 *  - the bounds anchor: the interval known at the last measurement's raw
 *    time, carried to any raw time by shifting with the elapsed raw time and
 *    widening by rho (and, optionally, narrowed by the fitted frequency);
 *  - the model: offset(L) = true - raw as a line (or parabola, with aging)
 *    fitted robustly to a bounded history of measurement midpoints;
 *  - the course: what the disciplined clock reads, a piecewise function of
 *    raw time that starts where the previous one was at the raw time of each
 *    update, runs at the model's frequency and slews the remaining error at
 *    a bounded rate. Continuity at every restart plus a rate that stays
 *    positive is what makes the clock monotonic.
 *
 * Absolute times stay int64 nanoseconds throughout: a double holds an epoch
 * time to only ~256 ns. Doubles carry only differences from a reference
 * (hours of raw time, seconds of offset), where they are exact to far below
 * a nanosecond.
 */
#include <math.h>
#include <stdlib.h>

#include <bftime/discipline.h>
#include <bftime/regress.h>

#define PPB 1e9
/* History sizes beyond this are a configuration mistake, not a use case. */
#define MAX_HISTORY ((size_t)1 << 20)
/* The fit's window (score_windows): candidates the newest quarter, half and
 * whole of the kept span. */
#define WINDOWS 3
#define WINDOW_MIN_SAMPLES 8 /* the least a candidate fits */
#define WINDOW_MIN_SCORED 8  /* scores before the choice leaves the whole span */
#define WINDOW_MARGIN 0.2    /* a shorter window's mean squared error must be below this share */

struct bft_disc {
	bft_disc_config cfg;
	double rho;  /* cfg.rho_ppb as a fraction */
	double slew; /* cfg.max_slew_ppb as a fraction */

	/* Fit history, a ring: offset interval [lo, hi] (true - raw) at raw x. */
	int64_t last_fit_ns; /* raw time of the newest fitted sample */
	int64_t span_cap_ns; /* bft_disc_set_span: 0, or a shorter window than max_span_ns */
	int64_t fit_newest_ns; /* raw time of the newest reading in it (bft_disc_update_readings) */
	int64_t *hx_ns, *hlo_ns, *hhi_ns, *hpt_ns; /* hpt: the sample's point estimate of true - raw */
	int64_t *hcarry_ns; /* how far the point was carried (bft_disc_update_carried) */
	double *hcf;        /* ... and at what frequency (fraction) */
	int64_t *hux_ns, *huo_ns; /* the point uncarried: raw time and offset there (sample_raw) */
	size_t hn, hnext;

	/* Frequency history for aging, a ring: frequency (fraction) at raw x. */
	int64_t *ax_ns;
	double *af;
	size_t an, anext;
	double aging_g; /* fitted d(freq)/d(raw), per ns; used by the next fit */
	bool aging_trained;

	double *wx, *wy; /* regression inputs, relative to a reference sample */
	double *sx, *sy; /* the same sorted by x, for Theil-Sen (run_fit) */
	void *scratch;

	bool running;         /* a measurement (or a steer) has set the clock */
	bool net_only;        /* ... a steer, and no true-time measurement yet (bft_disc_steer) */
	int64_t last_steer_ns;
	int64_t seen_ns;      /* latest raw time of any read, update or step */
	int64_t last_meas_ns; /* raw time of the last measurement */

	/* Bounds anchor. */
	int64_t iv_at_ns;
	bft_interval iv;
	bool iv_model;              /* also propagate along the model */
	double iv_f, iv_g, iv_w;    /* model frequency at iv_at, its drift, spread */

	/* Model: offset(L) = m.y + m.a + m.b*x + m.g/2*x^2, x = L - m.x. */
	struct model {
		bool trained;
		int64_t x_ns, y_ns;
		double a, b, g;
		double unc; /* modelled uncertainty of b (fraction), INFINITY if none */
		double sd;  /* its statistical standard deviation (fraction), INFINITY if none */
	} m;
	/* The fit's window (score_windows): how well the fits over each
	 * candidate window predicted each new sample. */
	double win_mse[WINDOWS]; /* exponential mean of squared prediction errors, ns^2 */
	unsigned win_scored;     /* samples scored */
	int64_t win_at_ns;       /* raw time of the last */

	/* Course: time(L) = c_time + (L - c_at) + integral of the clamped
	 * frequency c_f + c_g*t, plus c_slew applied at the slew rate. */
	int64_t c_at_ns, c_time_ns;
	double c_f, c_g;
	int64_t c_slew_ns;

	uint64_t n_meas, n_disjoint, n_steps;
};

void bft_disc_config_default(bft_disc_config *cfg)
{
	if (!cfg)
		return;
	*cfg = (bft_disc_config){
		.rho_ppb = 100000,
		.max_slew_ppb = 500000,
		.holdover_after_ns = 300 * BFT_NS_PER_SEC,
		.history_len = 64,
		.min_fit_samples = 4,
		.initial_freq_ppb = 0,
		.max_sample_width_ns = INT64_MAX,
		.estimator = BFT_DISC_THEIL_SEN,
		.on_disjoint = BFT_DISC_TAKE_MEASUREMENT,
		.aging = false,
		.aging_len = 24,
		.aging_min_samples = 12,
		.aging_spacing_ns = 3600 * BFT_NS_PER_SEC,
		.model_bounds = false,
		.wander_ppb = 1000,
	};
}

const char *bft_disc_state_name(enum bft_disc_state s)
{
	switch (s) {
	case BFT_DISC_UNSYNCHRONIZED: return "unsynchronized";
	case BFT_DISC_SYNCHRONIZED: return "synchronized";
	case BFT_DISC_HOLDOVER: return "holdover";
	}
	return "unknown";
}

static bool config_valid(const bft_disc_config *c)
{
	if (c->rho_ppb < 0 || c->max_slew_ppb < 0 || c->rho_ppb >= BFT_PPB_PER_UNIT ||
	    c->max_slew_ppb >= BFT_PPB_PER_UNIT - c->rho_ppb)
		return false; /* the clock's rate 1 + f - slew must stay positive */
	if (c->holdover_after_ns <= 0 || c->max_sample_width_ns < 0)
		return false;
	if (c->max_span_ns < 0)
		return false;
	if (c->history_len < 2 || c->history_len > MAX_HISTORY || c->min_fit_samples < 2 ||
	    c->min_fit_samples > c->history_len)
		return false;
	if (c->initial_freq_ppb < -c->rho_ppb || c->initial_freq_ppb > c->rho_ppb)
		return false;
	if (c->estimator != BFT_DISC_THEIL_SEN && c->estimator != BFT_DISC_REPEATED_MEDIAN)
		return false;
	if (c->on_disjoint != BFT_DISC_TAKE_MEASUREMENT && c->on_disjoint != BFT_DISC_HULL)
		return false;
	if (c->aging && (c->aging_len < 3 || c->aging_len > MAX_HISTORY || c->aging_min_samples < 3 ||
	                 c->aging_min_samples > c->aging_len || c->aging_spacing_ns <= 0))
		return false;
	if (c->model_bounds && c->wander_ppb < 0)
		return false;
	return true;
}

int bft_disc_create(bft_disc **out, const bft_disc_config *cfg)
{
	if (!out)
		return BFT_EINVAL;
	*out = NULL;
	bft_disc_config c;
	if (cfg)
		c = *cfg;
	else
		bft_disc_config_default(&c);
	if (!config_valid(&c))
		return BFT_EINVAL;

	size_t alen = c.aging ? c.aging_len : 0;
	size_t wlen = c.history_len > alen ? c.history_len : alen;
	size_t sbytes = bft_regress_scratch_bytes(wlen);
	if (!sbytes)
		return BFT_ENOMEM;

	bft_disc *d = calloc(1, sizeof *d);
	if (!d)
		return BFT_ENOMEM;
	d->cfg = c;
	d->rho = (double)c.rho_ppb / PPB;
	d->slew = (double)c.max_slew_ppb / PPB;
	d->hx_ns = calloc(c.history_len, sizeof *d->hx_ns);
	d->hlo_ns = calloc(c.history_len, sizeof *d->hlo_ns);
	d->hhi_ns = calloc(c.history_len, sizeof *d->hhi_ns);
	d->hpt_ns = calloc(c.history_len, sizeof *d->hpt_ns);
	d->hcarry_ns = calloc(c.history_len, sizeof *d->hcarry_ns);
	d->hcf = calloc(c.history_len, sizeof *d->hcf);
	d->hux_ns = calloc(c.history_len, sizeof *d->hux_ns);
	d->huo_ns = calloc(c.history_len, sizeof *d->huo_ns);
	d->wx = calloc(wlen, sizeof *d->wx);
	d->wy = calloc(wlen, sizeof *d->wy);
	d->sx = calloc(wlen, sizeof *d->sx);
	d->sy = calloc(wlen, sizeof *d->sy);
	d->scratch = malloc(sbytes);
	if (alen) {
		d->ax_ns = calloc(alen, sizeof *d->ax_ns);
		d->af = calloc(alen, sizeof *d->af);
	}
	if (!d->hx_ns || !d->hlo_ns || !d->hhi_ns || !d->hpt_ns || !d->hcarry_ns || !d->hcf || !d->hux_ns || !d->huo_ns ||
	    !d->wx || !d->wy || !d->sx || !d->sy || !d->scratch ||
	    (alen && (!d->ax_ns || !d->af))) {
		bft_disc_destroy(d);
		return BFT_ENOMEM;
	}
	d->m.unc = INFINITY;
	d->m.sd = INFINITY;
	d->seen_ns = INT64_MIN;
	*out = d;
	return BFT_OK;
}

void bft_disc_destroy(bft_disc *d)
{
	if (!d)
		return;
	free(d->hx_ns);
	free(d->hlo_ns);
	free(d->hhi_ns);
	free(d->hpt_ns);
	free(d->hcarry_ns);
	free(d->hcf);
	free(d->hux_ns);
	free(d->huo_ns);
	free(d->ax_ns);
	free(d->af);
	free(d->wx);
	free(d->wy);
	free(d->sx);
	free(d->sy);
	free(d->scratch);
	free(d);
}

/* ---- small numeric helpers ---------------------------------------------- */

static int64_t i64_max(int64_t a, int64_t b) { return a > b ? a : b; }

static int64_t clamp_i64(int64_t v, bft_interval iv)
{
	return v < iv.lo_ns ? iv.lo_ns : v > iv.hi_ns ? iv.hi_ns : v;
}

static double clamp_d(double v, double lim)
{
	return v < -lim ? -lim : v > lim ? lim : v;
}

/* double -> int64 rounding down / up / to nearest, saturating. The bound is
 * a double just below 2^63 so the conversion itself is defined. */
#define I64_EDGE 9.2e18
static int64_t sat_i64(double v) /* v integral or NaN */
{
	if (isnan(v))
		return 0;
	if (v <= -I64_EDGE)
		return INT64_MIN;
	if (v >= I64_EDGE)
		return INT64_MAX;
	return (int64_t)v;
}

/* Beyond the edge doubles are integers already, so rounding first changes
 * nothing there. */
static int64_t floor_i64(double v) { return sat_i64(floor(v)); }
static int64_t ceil_i64(double v) { return sat_i64(ceil(v)); }

static int64_t round_i64(double v)
{
	return floor_i64(v + 0.5);
}

static int64_t to_ppb(double f)
{
	return round_i64(f * PPB);
}

/* Integral over [0, t] of clamp(f0 + g*s, -rho, rho) ds for t >= 0, f0 in
 * [-rho, rho]. The clamp keeps an extrapolated aging term from ever steering
 * the clock faster than the drift bound allows. */
static double freq_integral(double f0, double g, double rho, double t)
{
	if (g == 0)
		return f0 * t;
	double edge = g > 0 ? rho : -rho;
	double hit = (edge - f0) / g; /* >= 0: when the clamp engages */
	if (hit >= t)
		return f0 * t + 0.5 * g * t * t;
	return f0 * hit + 0.5 * g * hit * hit + edge * (t - hit);
}

/* ---- the course (the disciplined clock) --------------------------------- */

typedef struct course_point {
	int64_t time_ns;
	double freq;
	int64_t slew_left_ns;
	int64_t slew_ppb;
} course_point;

static course_point course_at(const bft_disc *d, int64_t raw_ns)
{
	course_point p;
	int64_t dt = bft_sat_sub(raw_ns, d->c_at_ns);
	double t = (double)dt;
	double corr;
	if (dt <= 0) {
		/* Before the course started: plain backward extrapolation, no
		 * slew yet. Outside the monotonic guarantee by contract. */
		corr = d->c_f * t;
		p.freq = d->c_f;
		p.slew_left_ns = d->c_slew_ns;
		p.slew_ppb = 0;
	} else {
		double mag = fabs((double)d->c_slew_ns), done = d->slew * t;
		double slewed = done >= mag ? mag : done;
		if (d->c_slew_ns < 0)
			slewed = -slewed;
		corr = freq_integral(d->c_f, d->c_g, d->rho, t) + slewed;
		p.freq = clamp_d(d->c_f + d->c_g * t, d->rho);
		p.slew_left_ns = d->c_slew_ns - round_i64(slewed);
		p.slew_ppb = done >= mag ? 0 : (d->c_slew_ns < 0 ? -d->cfg.max_slew_ppb : d->cfg.max_slew_ppb);
	}
	/* floor() of a correction whose slope is above -1 keeps the sum
	 * non-decreasing in raw time: it drops by at most 1 ns per ns. */
	p.time_ns = bft_sat_add(bft_sat_add(d->c_time_ns, dt), floor_i64(corr));
	return p;
}

static void course_restart(bft_disc *d, int64_t at_ns, int64_t time_ns, int64_t slew_ns, double f, double g)
{
	d->c_at_ns = at_ns;
	d->c_time_ns = time_ns;
	d->c_slew_ns = slew_ns;
	d->c_f = clamp_d(f, d->rho);
	d->c_g = g;
}

/* ---- bounds -------------------------------------------------------------- */

static bft_interval bounds_at(const bft_disc *d, int64_t raw_ns)
{
	int64_t dt = bft_sat_sub(raw_ns, d->iv_at_ns);
	/* True time advances by dt * (1 + e), |e| <= rho, in either direction
	 * of dt: shift by dt, widen by rho*|dt| rounded up. */
	bft_interval h = bft_iv_widen_drift(bft_iv_shift(d->iv, dt), d->cfg.rho_ppb, dt);
	if (!d->iv_model)
		return h;
	double t = (double)dt;
	double c = d->iv_f * t + 0.5 * d->iv_g * t * t, s = d->iv_w * fabs(t);
	/* One extra ns each side covers the doubles' rounding. */
	bft_interval base = bft_iv_shift(d->iv, dt);
	bft_interval m = bft_iv(bft_sat_add(base.lo_ns, bft_sat_sub(floor_i64(c - s), 1)),
	                        bft_sat_add(base.hi_ns, bft_sat_add(ceil_i64(c + s), 1)));
	bft_interval both;
	if (!bft_iv_valid(m) || !bft_iv_intersect(h, m, &both))
		return h; /* the model contradicts rho: it is the one to drop */
	return both;
}

/* ---- the model ----------------------------------------------------------- */

static size_t ring_index(size_t next, size_t n, size_t cap, size_t i)
{
	/* i-th oldest of n entries in a ring whose next write goes to next */
	return (next + cap - n + i) % cap;
}

static double model_offset(const bft_disc *d, int64_t raw_ns)
{
	double x = (double)bft_sat_sub(raw_ns, d->m.x_ns);
	return d->m.a + d->m.b * x + 0.5 * d->m.g * x * x;
}

static int64_t model_time(const bft_disc *d, int64_t raw_ns)
{
	return bft_sat_add(bft_sat_add(raw_ns, d->m.y_ns), round_i64(model_offset(d, raw_ns)));
}

static double model_freq(const bft_disc *d, int64_t raw_ns)
{
	return d->m.b + d->m.g * (double)bft_sat_sub(raw_ns, d->m.x_ns);
}

/* Theil-Sen's slopes and intercepts are a multiset's medians: the fit of
 * the points in any order is the same, bit for bit, and in ascending x the
 * library takes its vectorized loop (regress.c). The uncarried points
 * (refit_from) are in raw order but for their carries: an insertion sort
 * of a copy costs a pass when they ascend and little when they nearly do.
 * wx/wy keep the history's order for the residuals summed after. */
static int run_fit(const bft_disc *d, bft_fit *fit, size_t n)
{
	if (d->cfg.estimator == BFT_DISC_REPEATED_MEDIAN)
		return bft_regress_repeated_median(fit, d->wx, d->wy, n, d->scratch);
	for (size_t i = 0; i < n; i++) {
		double x = d->wx[i], y = d->wy[i];
		size_t j = i;
		for (; j > 0 && d->sx[j - 1] > x; j--) {
			d->sx[j] = d->sx[j - 1];
			d->sy[j] = d->sy[j - 1];
		}
		d->sx[j] = x;
		d->sy[j] = y;
	}
	return bft_regress_theil_sen(fit, d->sx, d->sy, n, d->scratch);
}

/* A sample's point, its carry redone at frequency f: a point carried over
 * carry_ns at a frequency cf that the fit has since corrected to f was off
 * by (f - cf) * carry_ns, an error the same for every sample taken while
 * the frequency was wrong, which no robust fit can see as an outlier. */
static int64_t sample_mid(const bft_disc *d, size_t k, double f)
{
	if (!d->hcarry_ns[k] || !isfinite(f))
		return d->hpt_ns[k];
	return bft_sat_add(d->hpt_ns[k], round_i64((f - d->hcf[k]) * (double)d->hcarry_ns[k]));
}

/* A sample's point where its readings were taken: its raw time less its
 * carry, its offset less the carry at the frequency it was carried at. The
 * fit of these uncarried points is the fixed point of redoing every carry
 * at the fitted frequency (sample_mid): a line a + b x through the carried
 * points (x, o + b c) is one through the uncarried (x - c, o). Iterating
 * towards that fixed point instead (each refit redoing the carries at the
 * previous fit's frequency) diverged where samples a few seconds apart had
 * carries hundreds of seconds apart: a pair's slope moved up to 50 times
 * as much as the frequency it was redone at, and the fitted frequency ran
 * -100 -> -146 -> -968 -> -7852 ppm within six fusions (bftime-sim,
 * anchor-clk-lan-none-p1024 with 8-exchange bursts; docs/algorithms-fusion.md). */
static int64_t sample_raw(const bft_disc *d, size_t k) { return d->hux_ns[k]; }

static int64_t sample_uncarried(const bft_disc *d, size_t k) { return d->huo_ns[k]; }

/* Refit offset and frequency to the history. Until enough samples exist (or
 * if they do not define a slope) the model is the newest sample carried at
 * initial_freq_ppb: with a drifting oscillator the newest sample is the best
 * phase there is, and a slope from a handful of noisy samples would be worse
 * than none. */
static void refit_from(bft_disc *d, bft_interval fallback, int64_t fallback_at_ns, size_t first)
{
	size_t n = d->hn - first, cap = d->cfg.history_len;
	/* Until trained, the newest point carried as it was (or at the last
	 * fit's frequency, when one is known). */
	double f = d->m.trained ? d->m.b : NAN;
	d->m.trained = false;
	d->m.a = 0;
	d->m.b = (double)d->cfg.initial_freq_ppb / PPB;
	d->m.g = 0;
	d->m.unc = INFINITY;
	d->m.sd = INFINITY;
	if (n == 0) {
		d->m.x_ns = fallback_at_ns;
		d->m.y_ns = bft_sat_sub(bft_iv_mid(fallback), fallback_at_ns);
		return;
	}
	size_t newest = ring_index(d->hnext, d->hn, cap, d->hn - 1);
	d->m.x_ns = d->hx_ns[newest];
	d->m.y_ns = sample_mid(d, newest, f);
	if (n < d->cfg.min_fit_samples)
		return;

	/* Detrend by the aging fitted so far, so the line fit sees a line.
	 * The points are the uncarried ones (sample_raw, sample_uncarried),
	 * relative to the newest's. */
	double g = d->aging_trained ? d->aging_g : 0;
	int64_t y_ref = sample_uncarried(d, newest);
	for (size_t i = 0; i < n; i++) {
		size_t k = ring_index(d->hnext, d->hn, cap, first + i);
		double x = (double)bft_sat_sub(sample_raw(d, k), d->m.x_ns);
		d->wx[i] = x;
		d->wy[i] = (double)bft_sat_sub(sample_uncarried(d, k), y_ref) - 0.5 * g * x * x;
	}
	bft_fit fit;
	if (run_fit(d, &fit, n) != BFT_OK || !isfinite(fit.slope) || !isfinite(fit.intercept))
		return;
	d->m.trained = true;
	d->m.y_ns = y_ref;
	d->m.a = fit.intercept;
	d->m.b = fit.slope;
	d->m.g = g;

	/* Modelled uncertainty of the slope: the oldest and newest measurement
	 * intervals, if both hold the truth and the frequency were constant,
	 * confine it to [s_lo, s_hi]; report how far the fit may be from either
	 * end. Derived here; model_bounds adds wander_ppb for what it misses. */
	size_t old = ring_index(d->hnext, d->hn, cap, first);
	double xo = (double)bft_sat_sub(d->hx_ns[old], d->m.x_ns), span = -xo;
	if (span > 0) {
		double det_old = -0.5 * g * xo * xo;
		double lo_old = (double)bft_sat_sub(d->hlo_ns[old], d->m.y_ns) + det_old;
		double hi_old = (double)bft_sat_sub(d->hhi_ns[old], d->m.y_ns) + det_old;
		double lo_new = (double)bft_sat_sub(d->hlo_ns[newest], d->m.y_ns);
		double hi_new = (double)bft_sat_sub(d->hhi_ns[newest], d->m.y_ns);
		double s_lo = (lo_new - hi_old) / span, s_hi = (hi_new - lo_old) / span;
		double u = fmax(fabs(fit.slope - s_lo), fabs(fit.slope - s_hi));
		d->m.unc = isfinite(u) ? u : INFINITY;
		/* A statistical figure beside that bound: the scatter of the
		 * points about the line (mean absolute residual, times 1.25 for
		 * a normal's sigma) over the window, as for a least-squares
		 * slope of n evenly spread samples: sigma * sqrt(12 / n) / span.
		 * What a caller carrying readings at the fitted frequency can
		 * expect to miss per unit of time (node.c, source_point). */
		double sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += fabs(d->wy[i] - (fit.intercept + fit.slope * d->wx[i]));
		double sd = 1.25 * sum / (double)n * sqrt(12.0 / (double)n) / span;
		d->m.sd = isfinite(sd) ? sd : INFINITY;
	}
}

/* The span samples are kept over (put_sample): max_span_ns, or the caller's
 * shorter window (bft_disc_set_span); 0: unlimited. */
static int64_t kept_span(const bft_disc *d)
{
	int64_t span = d->cfg.max_span_ns;
	if (d->span_cap_ns > 0 && span > 0 && d->span_cap_ns < span)
		span = d->span_cap_ns;
	return span;
}

/* Index (0: the oldest) of the first sample within span_ns of the newest,
 * leaving at least WINDOW_MIN_SAMPLES and min_fit_samples (or all there
 * are): a window too small to fit would leave the model untrained. */
static size_t window_first(const bft_disc *d, int64_t span_ns)
{
	size_t n = d->hn, cap = d->cfg.history_len, first = 0;
	size_t keep = d->cfg.min_fit_samples > WINDOW_MIN_SAMPLES ? d->cfg.min_fit_samples : WINDOW_MIN_SAMPLES;
	int64_t newest = d->hx_ns[ring_index(d->hnext, n, cap, n - 1)];
	while (first + keep < n &&
	       bft_sat_sub(newest, d->hx_ns[ring_index(d->hnext, n, cap, first)]) > span_ns)
		first++;
	return first;
}

/* Candidate window w's span: kept_span >> (WINDOWS - 1 - w). */
static int64_t window_span(const bft_disc *d, int w)
{
	return kept_span(d) >> (WINDOWS - 1 - w);
}

/* The candidate with the least prediction error, once scored enough; the
 * full span until then, and on ties. */
static int chosen_window(const bft_disc *d)
{
	int best = WINDOWS - 1;
	if (d->win_scored < WINDOW_MIN_SCORED || kept_span(d) <= 0)
		return best;
	for (int w = WINDOWS - 2; w >= 0; w--)
		if (d->win_mse[w] < WINDOW_MARGIN * d->win_mse[best])
			best = w;
	return best;
}

static void refit(bft_disc *d, bft_interval fallback, int64_t fallback_at_ns)
{
	size_t first = 0;
	if (d->hn > 0 && kept_span(d) > 0)
		first = window_first(d, window_span(d, chosen_window(d)));
	refit_from(d, fallback, fallback_at_ns, first);
}

/*
 * The fit's window, chosen by how well it predicts. A line over a long
 * window averages the measurement noise down but lags an oscillator whose
 * frequency wanders; which span is best depends on that noise against that
 * wander (clknetsim at 1024 s polls: 4096 s for a LAN, 12,288 s for the
 * Internet's 2 ms delays), which chrony settles with a runs test over its
 * regression's residuals. A runs test needs independent residuals, and ours
 * are not (each sample's source points average minutes of readings: tried,
 * it always failed and shrank the window to its minimum), so instead each
 * new sample scores every candidate: the fit over the newest quarter, half
 * and whole of the kept span, before this sample, predicts it (its carry
 * redone at that fit's frequency, as sample_mid does, or the fit that made
 * the carry would be favoured), and each keeps an exponential mean of its
 * squared errors (1/16 per sample). The fit takes a shorter window only
 * when its mean is below WINDOW_MARGIN times that of the one chosen among
 * the longer: the scores are noisy and a switch of window moves the phase,
 * so a shorter window must predict much better. Only samples that bring
 * news are scored, at most one per 1/16 of the shortest window (each score
 * is three fits), and only when the candidates fit different samples (not
 * at the default 16 s poll, whose history spans less than the quarter). Measured (clknetsim, 1024 s polls
 * with the driver's bursts, seeds 1-10, worst error against chronyd's,
 * geometric mean): LAN 0.87x -> 0.53x (5 -> 10 of 10 rows as good as
 * chronyd in worst and RMS error), Internet 0.48x -> 0.49x (9 of 10 both).
 * Margins of 0.75 and 0.3 chose short windows the Internet's noise did not
 * warrant (0.77x, 7 of 10; 0.56x, 8 of 10), and without the margin the
 * Internet at 64 s polls switched too (worst error 0.22 -> 0.34 ms).
 */
static void score_windows(bft_disc *d, int64_t raw_ns, int64_t y_ns, int64_t carry_ns, double carry_freq)
{
	int64_t base = kept_span(d);
	if (base <= 0 || !d->m.trained || d->hn < 2 * WINDOW_MIN_SAMPLES)
		return;
	if (window_first(d, window_span(d, 0)) == 0)
		return; /* every candidate would fit the same samples */
	if (d->win_scored > 0 && bft_sat_sub(raw_ns, d->win_at_ns) < window_span(d, 0) / 16)
		return; /* enough: each score costs three fits */
	d->win_at_ns = raw_ns;
	struct model keep = d->m;
	size_t prev = SIZE_MAX;
	double e = 0;
	for (int w = 0; w < WINDOWS; w++) {
		size_t first = window_first(d, window_span(d, w));
		if (first != prev) {
			refit_from(d, bft_iv(0, 0), raw_ns, first);
			/* The sample's carry redone at this fit's frequency, as
			 * sample_mid does: carried at the chosen fit's, it would
			 * favour the fit that made it. */
			double redo = (d->m.b - carry_freq) * (double)carry_ns;
			e = d->m.trained ? (double)bft_sat_sub(y_ns, d->m.y_ns) + redo - model_offset(d, raw_ns) : NAN;
			prev = first;
			d->m = keep; /* the next fit starts from the same frequency */
		}
		if (!isfinite(e))
			continue;
		double e2 = e * e;
		d->win_mse[w] = d->win_scored == 0 ? e2 : d->win_mse[w] + (e2 - d->win_mse[w]) / 16;
	}
	d->m = keep;
	d->win_scored++;
}

/* Record the frequency at the middle of the fit window (where a line fit
 * measures it best) at most once per aging_spacing_ns, and refit the aging
 * slope for the next update. */
static void update_aging(bft_disc *d)
{
	if (!d->cfg.aging || !d->m.trained)
		return;
	size_t cap = d->cfg.aging_len, hcap = d->cfg.history_len;
	int64_t x_old = d->hx_ns[ring_index(d->hnext, d->hn, hcap, 0)];
	int64_t x_mid = x_old + bft_sat_sub(d->m.x_ns, x_old) / 2;
	if (d->an > 0) {
		int64_t last = d->ax_ns[ring_index(d->anext, d->an, cap, d->an - 1)];
		if (bft_sat_sub(x_mid, last) < d->cfg.aging_spacing_ns)
			return;
	}
	d->ax_ns[d->anext] = x_mid;
	d->af[d->anext] = model_freq(d, x_mid);
	d->anext = (d->anext + 1) % cap;
	if (d->an < cap)
		d->an++;
	if (d->an < d->cfg.aging_min_samples)
		return;

	int64_t ref = d->ax_ns[ring_index(d->anext, d->an, cap, d->an - 1)];
	for (size_t i = 0; i < d->an; i++) {
		size_t k = ring_index(d->anext, d->an, cap, i);
		d->wx[i] = (double)bft_sat_sub(d->ax_ns[k], ref);
		d->wy[i] = d->af[k] * PPB; /* ppb keeps the slope well scaled */
	}
	bft_fit fit;
	if (run_fit(d, &fit, d->an) == BFT_OK && isfinite(fit.slope)) {
		d->aging_g = fit.slope / PPB;
		d->aging_trained = true;
	}
}

/* Write a fit sample at ring slot k (the next one, or the newest to
 * replace it), then drop the oldest while the window spans more than
 * max_span_ns (they are the ring's first, so the count is all that
 * changes). */
static void put_sample(bft_disc *d, size_t k, int64_t raw_ns, bft_interval meas, int64_t point_ns, int64_t carry_ns,
                       double carry_freq)
{
	d->hx_ns[k] = raw_ns;
	d->hlo_ns[k] = bft_sat_sub(meas.lo_ns, raw_ns);
	d->hhi_ns[k] = bft_sat_sub(meas.hi_ns, raw_ns);
	d->hpt_ns[k] = bft_sat_sub(point_ns, raw_ns);
	d->hcarry_ns[k] = carry_ns;
	d->hcf[k] = carry_freq;
	/* Uncarried (sample_raw, sample_uncarried): fixed once written. */
	d->hux_ns[k] = bft_sat_sub(raw_ns, carry_ns);
	d->huo_ns[k] = carry_ns ? bft_sat_sub(d->hpt_ns[k], round_i64(carry_freq * (double)carry_ns)) : d->hpt_ns[k];
	d->hnext = (k + 1) % d->cfg.history_len;
	if (d->hn < d->cfg.history_len)
		d->hn++;
	int64_t span = kept_span(d);
	while (span > 0 && d->hn > d->cfg.min_fit_samples &&
	       bft_sat_sub(raw_ns, d->hx_ns[ring_index(d->hnext, d->hn, d->cfg.history_len, 0)]) > span)
		d->hn--;
}

/* ---- the network clock (bft_disc_steer) ---------------------------------- */

/* A steered course is about the network, not true time: the first true-time
 * measurement starts the clock over as if it were the first (its history of
 * network targets would bias a fit of true time). Counters stay. */
static void drop_network_course(bft_disc *d)
{
	d->net_only = false;
	d->running = false;
	d->hn = d->hnext = 0;
	d->an = d->anext = 0;
	d->m.trained = d->aging_trained = false;
	d->aging_g = 0;
	d->win_scored = 0;
}

int bft_disc_set_span(bft_disc *d, int64_t span_ns)
{
	if (!d || span_ns < 0)
		return BFT_EINVAL;
	d->span_cap_ns = span_ns;
	return 0;
}

int bft_disc_steer(bft_disc *d, int64_t raw_ns, int64_t target_ns, int64_t half_ns, bool allow_step,
                   bft_disc_update_info *info)
{
	if (!d || half_ns < 0 || (d->running && !d->net_only))
		return BFT_EINVAL;
	if (d->running && raw_ns < d->last_steer_ns)
		return BFT_EINVAL;
	bool first = !d->running;
	bft_interval meas = bft_iv(bft_sat_sub(target_ns, half_ns), bft_sat_add(target_ns, half_ns));
	/* The fit sample: the network time the agreement chose, so the model's
	 * slope is the network's rate against this oscillator. Spaced as
	 * bft_disc_update_carried spaces its samples. */
	if (d->hn == 0 || bft_sat_sub(raw_ns, d->last_fit_ns) >= d->cfg.min_fit_spacing_ns) {
		d->last_fit_ns = raw_ns;
		put_sample(d, d->hnext, raw_ns, meas, target_ns, 0, 0);
	}
	refit(d, meas, raw_ns);
	/* No true-time knowledge: the bounds stay infinite. */
	d->iv_at_ns = raw_ns;
	d->iv = bft_iv(INT64_MIN, INT64_MAX);
	d->iv_model = false;

	int64_t at = first ? i64_max(raw_ns, d->seen_ns) : i64_max(i64_max(raw_ns, d->seen_ns), d->c_at_ns);
	/* The target itself, not the model's smoothed line: the agreement's
	 * contraction is what keeps the clocks together (a fit lagging behind
	 * it would undo it). And the oscillator's own rate (initial_freq_ppb),
	 * not the fitted one: the fit measures the network's rate against this
	 * oscillator (bft_disc_get_status, for the precision a node states) but
	 * does not steer by it. Nodes that all adopt the rate they see the
	 * others run at leave nothing to hold the common rate, which wandered
	 * by 15 ppm in an hour (1,000 nodes, random 16-regular: 54 ms from
	 * true time); at their oscillators' rates, corrected only in phase (the
	 * Welch-Lynch model), the network's rate stays within the honest
	 * oscillators' (7 ms in the same world, its initial mean offset). */
	double f = (double)d->cfg.initial_freq_ppb / PPB;
	int64_t target = bft_sat_add(target_ns, bft_sat_sub(at, raw_ns));
	int64_t offset = 0;
	if (first || allow_step) {
		if (!first) {
			offset = bft_sat_sub(target, course_at(d, at).time_ns);
			d->n_steps++;
		}
		course_restart(d, at, target, 0, f, 0);
	} else {
		int64_t cur = course_at(d, at).time_ns;
		offset = bft_sat_sub(target, cur);
		course_restart(d, at, cur, offset, f, 0);
	}
	d->running = true;
	d->net_only = true;
	d->seen_ns = at;
	d->last_steer_ns = raw_ns;
	if (info) {
		info->initial_step = first || allow_step;
		info->disjoint = false;
		info->offset_ns = offset;
		info->bounds = d->iv;
		info->freq_ppb = to_ppb(model_freq(d, raw_ns));
	}
	return BFT_OK;
}

/* ---- public operations --------------------------------------------------- */

int bft_disc_update(bft_disc *d, int64_t raw_ns, bft_interval meas, bft_disc_update_info *info)
{
	return bft_disc_update_point(d, raw_ns, meas, bft_iv_mid(meas), info);
}

int bft_disc_update_point(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns,
                          bft_disc_update_info *info)
{
	return bft_disc_update_carried(d, raw_ns, meas, point_ns, 0, 0, info);
}

int bft_disc_update_carried(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns, int64_t carry_ns,
                            int64_t carry_freq_ppb, bft_disc_update_info *info)
{
	return bft_disc_update_readings(d, raw_ns, meas, point_ns, carry_ns, carry_freq_ppb, raw_ns, info);
}

int bft_disc_update_readings(bft_disc *d, int64_t raw_ns, bft_interval meas, int64_t point_ns, int64_t carry_ns,
                             int64_t carry_freq_ppb, int64_t newest_ns, bft_disc_update_info *info)
{
	if (!d || !bft_iv_valid(meas) || !bft_iv_contains(meas, point_ns) || carry_ns < 0 || newest_ns > raw_ns)
		return BFT_EINVAL;
	if (d->net_only)
		drop_network_course(d);
	if (d->running && raw_ns < d->last_meas_ns)
		return BFT_EINVAL;

	bool first = !d->running, disjoint = false;
	int64_t offset = 0;
	bft_interval now = meas;
	if (!first) {
		offset = bft_sat_sub(point_ns, course_at(d, raw_ns).time_ns);
		bft_interval pred = bounds_at(d, raw_ns);
		if (!bft_iv_intersect(pred, meas, &now)) {
			/* Prediction and measurement cannot both hold the truth.
			 * TAKE: the fused measurement is the most recent evidence,
			 * and refusing it could lock a wrong prediction in forever.
			 * HULL: keep what is right if either one is. */
			disjoint = true;
			now = d->cfg.on_disjoint == BFT_DISC_HULL ? bft_iv_hull(pred, meas) : meas;
		}
	}

	/* The offset interval in the history: what this measurement says about
	 * true - raw. Too wide a measurement, or one unbounded on a side (its
	 * midpoint means nothing), only updates the bounds. One too soon after
	 * the newest fitted (a history of closely spaced samples spans too
	 * short a time to tell the frequency) replaces it: fusions come in
	 * bursts as references answer a round, and the burst's last holds the
	 * most fresh readings. So does a fresher one a little later when the
	 * newest was mostly carried: kept, such samples weigh the same old
	 * readings several times and the fit takes fresh ones for outliers
	 * (at 1024 s polls a clknetsim client sat 1.5 ms off for four rounds
	 * whose every reading said so). */
	bool news = d->hn == 0 || newest_ns > d->fit_newest_ns;
	if (news && bft_iv_width(meas) <= d->cfg.max_sample_width_ns && meas.lo_ns != INT64_MIN &&
	    meas.hi_ns != INT64_MAX) {
		d->fit_newest_ns = newest_ns;
		size_t k = d->hnext, last = (d->hnext + d->cfg.history_len - 1) % d->cfg.history_len;
		int64_t gap = d->cfg.min_fit_spacing_ns;
		bool spaced = d->hn == 0 || bft_sat_sub(raw_ns, d->last_fit_ns) >= gap;
		bool fresher = d->hn > 0 && d->hcarry_ns[last] > 4 * gap && carry_ns < d->hcarry_ns[last] &&
		               bft_sat_sub(raw_ns, d->hx_ns[last]) < 8 * gap;
		if (spaced && !fresher) {
			score_windows(d, raw_ns, bft_sat_sub(point_ns, raw_ns), carry_ns, (double)carry_freq_ppb / PPB);
			d->last_fit_ns = raw_ns;
		} else { /* overwrite the newest */
			k = last;
			d->hnext = last;
			d->hn--;
		}
		put_sample(d, k, raw_ns, meas, point_ns, carry_ns, (double)carry_freq_ppb / PPB);
	}
	refit(d, now, raw_ns);
	update_aging(d);

	d->iv_at_ns = raw_ns;
	d->iv = now;
	d->iv_model = false;
	if (d->cfg.model_bounds && d->m.trained) {
		double w = (double)d->cfg.wander_ppb / PPB + d->m.unc;
		if (isfinite(w) && w < d->rho) {
			d->iv_model = true;
			d->iv_f = model_freq(d, raw_ns);
			d->iv_g = d->m.g;
			d->iv_w = w;
		}
	}

	/* The new course starts no earlier than anything already read, so no
	 * reported time is contradicted; it starts where the old one was. */
	int64_t at = first ? i64_max(raw_ns, d->seen_ns) : i64_max(i64_max(raw_ns, d->seen_ns), d->c_at_ns);
	int64_t target = clamp_i64(model_time(d, at), bounds_at(d, at));
	if (first) {
		course_restart(d, at, target, 0, model_freq(d, at), d->m.g);
		d->running = true;
	} else {
		int64_t cur = course_at(d, at).time_ns;
		course_restart(d, at, cur, bft_sat_sub(target, cur), model_freq(d, at), d->m.g);
	}
	d->seen_ns = at;
	d->last_meas_ns = raw_ns;
	d->n_meas++;
	if (disjoint)
		d->n_disjoint++;

	if (info) {
		info->initial_step = first;
		info->disjoint = disjoint;
		info->offset_ns = offset;
		info->bounds = now;
		info->freq_ppb = to_ppb(model_freq(d, raw_ns));
	}
	return BFT_OK;
}

int bft_disc_read(bft_disc *d, int64_t raw_ns, bft_disc_reading *out)
{
	if (!d || !out)
		return BFT_EINVAL;
	if (!d->running) {
		*out = (bft_disc_reading){
			.time_ns = raw_ns,
			.estimate_ns = raw_ns,
			.bounds = bft_iv(INT64_MIN, INT64_MAX),
			.freq_ppb = 0,
			.state = BFT_DISC_UNSYNCHRONIZED,
		};
		return BFT_OK;
	}
	if (raw_ns > d->seen_ns)
		d->seen_ns = raw_ns;
	course_point p = course_at(d, raw_ns);
	out->time_ns = p.time_ns;
	out->bounds = bounds_at(d, raw_ns);
	out->estimate_ns = clamp_i64(p.time_ns, out->bounds);
	out->freq_ppb = to_ppb(p.freq);
	out->slew_ppb = p.slew_ppb;
	out->slew_left_ns = p.slew_left_ns;
	out->trained = d->m.trained;
	out->state = bft_sat_sub(raw_ns, d->last_meas_ns) > d->cfg.holdover_after_ns ? BFT_DISC_HOLDOVER
	                                                                             : BFT_DISC_SYNCHRONIZED;
	out->running = true;
	if (d->net_only) { /* a network clock: nothing known about true time */
		out->state = BFT_DISC_UNSYNCHRONIZED;
		out->bounds = bft_iv(INT64_MIN, INT64_MAX);
		out->estimate_ns = p.time_ns;
	}
	return BFT_OK;
}

int bft_disc_step(bft_disc *d, int64_t raw_ns, int64_t *step_ns)
{
	if (!d)
		return BFT_EINVAL;
	if (!d->running)
		return BFT_EEMPTY;
	int64_t at = i64_max(i64_max(raw_ns, d->seen_ns), d->c_at_ns);
	int64_t cur = course_at(d, at).time_ns;
	int64_t target = clamp_i64(model_time(d, at), bounds_at(d, at));
	course_restart(d, at, target, 0, model_freq(d, at), d->m.g);
	d->seen_ns = at;
	d->n_steps++;
	if (step_ns)
		*step_ns = bft_sat_sub(target, cur);
	return BFT_OK;
}

int bft_disc_get_status(const bft_disc *d, bft_disc_status *out)
{
	if (!d || !out)
		return BFT_EINVAL;
	*out = (bft_disc_status){
		.measurements = d->n_meas,
		.disjoint = d->n_disjoint,
		.steps = d->n_steps,
		.samples = d->hn,
		.aging_samples = d->an,
		.trained = d->m.trained,
		.aging_trained = d->aging_trained,
		.freq_ppb = to_ppb(d->m.b),
		.aging_ppb_per_day = d->aging_trained ? d->aging_g * PPB * 86400.0 * PPB : 0,
		.freq_unc_ppb = isfinite(d->m.unc) ? to_ppb(d->m.unc) : INT64_MAX,
		.freq_sd_ppb = isfinite(d->m.sd) ? to_ppb(d->m.sd) : INT64_MAX,
	};
	if (d->hn > 1) {
		size_t first = kept_span(d) > 0 ? window_first(d, window_span(d, chosen_window(d))) : 0;
		out->span_ns = bft_sat_sub(d->hx_ns[ring_index(d->hnext, d->hn, d->cfg.history_len, d->hn - 1)],
		                           d->hx_ns[ring_index(d->hnext, d->hn, d->cfg.history_len, first)]);
	}
	return BFT_OK;
}
