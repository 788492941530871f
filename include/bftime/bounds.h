/* SPDX-License-Identifier: MIT */
/*
 * Theoretical precision and accuracy bounds of the algorithms bftime uses,
 * computed from the system parameters, so that the simulator and the tests
 * can hold measured behaviour against them. Each function states its source
 * and assumptions; docs/algorithms-discipline-bounds.md gives the formulas,
 * the sources and which parts are derived here.
 *
 * Parameters: n processes (or readings), at most f of them faulty; rho_ppb
 * bounds every correct clock's rate error, |dC/dt - 1| <= rho; delays and
 * periods are ns. Results in ns are int64, rounded in the conservative
 * direction (upper bounds up, the one lower bound down) and saturated at
 * INT64_MAX; factors are doubles. Invalid parameters (including n too small
 * for the algorithm to give any bound) return BFT_EINVAL and leave the
 * output untouched.
 */
#ifndef BFTIME_BOUNDS_H
#define BFTIME_BOUNDS_H

#include <bftime/common.h>

enum bft_bound_alg {
	BFT_BOUND_FT_MIDPOINT,    /* fault-tolerant midpoint (Welch-Lynch): n >= 3f+1 */
	BFT_BOUND_DLPSW_SYNC,     /* Dolev et al. reduce/select/average, synchronous: n >= 3f+1 */
	BFT_BOUND_DLPSW_ASYNC,    /* the same, asynchronous: n >= 5f+1 */
	BFT_BOUND_MEDIAN,         /* median within the correct values' range: n >= 2f+1 */
	BFT_BOUND_MARZULLO,       /* fault-tolerant intersection with a bounded width: n >= 2f+1 */
	BFT_BOUND_BROOKS_IYENGAR, /* estimate within the correct intervals' hull: n >= 2f+1 */
	BFT_BOUND_SRIKANTH_TOUEG_AUTH, /* Srikanth-Toueg with authenticated messages: n >= 2f+1 */
};

/* Smallest n for which alg tolerates f faults. BFT_EINVAL on unknown alg or
 * overflow. */
BFT_API BFT_WARN_UNUSED int bft_bound_min_n(size_t *n_out, enum bft_bound_alg alg, size_t f);

/*
 * Worst-case factor by which one round of approximate agreement shrinks the
 * spread of the correct values (Dolev, Lynch, Pinter, Stark, Weihl 1986):
 *  - BFT_BOUND_FT_MIDPOINT: 1/2;
 *  - BFT_BOUND_DLPSW_SYNC:  1/c, c = floor((n-2f-1)/f) + 1;
 *  - BFT_BOUND_DLPSW_ASYNC: 1/c, c = floor((n-3f-1)/(2f)) + 1.
 * With f = 0 every correct process computes the same value: factor 0.
 * Requires n >= bft_bound_min_n(alg, f); other algs are BFT_EINVAL.
 */
BFT_API BFT_WARN_UNUSED int bft_bound_convergence(double *factor_out, enum bft_bound_alg alg, size_t n, size_t f);

/*
 * Rounds of approximate agreement needed to bring a spread of initial_ns
 * down to at most target_ns, when each round shrinks it by the factor above
 * and then adds up to per_round_err_ns (reading errors, drift between
 * rounds; 0 for the ideal model): spread' <= spread/c + e. Exact rational
 * arithmetic, no rounding. BFT_ERANGE when target_ns is at or below the
 * fixed point e*c/(c-1) and initial_ns is above target_ns (never reached).
 */
BFT_API BFT_WARN_UNUSED int bft_bound_rounds(unsigned *rounds_out, enum bft_bound_alg alg, size_t n, size_t f,
                                             int64_t initial_ns, int64_t target_ns, int64_t per_round_err_ns);

/*
 * Welch-Lynch precision (largest difference between correct clocks) of the
 * fault-tolerant midpoint algorithm, to first order as in Welch & Lynch 1988:
 *   f >= 1 (needs n >= 3f+1): 4*eps + 4*rho*P
 *   f == 0:                   2*eps + 2*rho*P   (fault-free form, derived here)
 * eps_ns bounds the error of one correct process's reading of another's
 * clock: WL88's epsilon, with message delays in [delta - eps, delta + eps];
 * if only the full delay window u = dmax - dmin is known, eps = u is safe
 * (over-estimates). period_ns is the resynchronisation period P. Terms of
 * order rho*eps, rho*delta and rho^2*P are neglected, as in WL88's
 * approximation.
 */
BFT_API BFT_WARN_UNUSED int bft_bound_wl_precision_ns(int64_t *out_ns, size_t n, size_t f, int64_t eps_ns,
                                                      int64_t rho_ppb, int64_t period_ns);

/*
 * Lundelius-Lynch lower bound: no algorithm can keep n clocks closer than
 * u*(1 - 1/n) in the worst case, u = dmax - dmin the message delay
 * uncertainty, even without drift or faults (Lundelius & Lynch 1984).
 * Rounded down: it is a lower bound. Requires n >= 1.
 */
BFT_API BFT_WARN_UNUSED int bft_bound_ll_lower_ns(int64_t *out_ns, size_t n, int64_t u_ns);

/*
 * Accuracy of a round-trip offset interval: its half-width, i.e. the largest
 * error of its midpoint, when the exchange measured rtt_ns = t4 - t1 on the
 * local clock, the remote held the request hold_ns = t3 - t2 on its clock,
 * every one-way delay is at least min_delay_ns, the clocks' rate errors are
 * bounded by rho_local_ppb and rho_remote_ppb, and the offset is wanted
 * age_ns (local clock) after t4:
 *   W = rtt*(1+rho_r)/(1-rho_l) - hold - (2 - rho_l - rho_r)*min_delay
 *   half-width = W/2 + (rho_l + rho_r)*age/(1-rho_l)
 * (min_delay as a clock running slow may read it, as bft_exchange_round_trip takes it,
 * so this bounds that function's intervals too.)
 * First order: (rtt - hold)/2 - min_delay + rho*(rtt + min_delay) + 2*rho*age: half the
 * round trip plus drift terms (derived here; Cristian 1989 has the same
 * first-order form). For repeated transfers take the smallest over the
 * samples: the intersection of all is never wider. Requires
 * 0 <= hold <= rtt, min_delay >= 0, 2*min_delay <= rtt - hold, age >= 0,
 * rhos in [0, 1e9).
 */
BFT_API BFT_WARN_UNUSED int bft_bound_roundtrip_ns(int64_t *out_ns, int64_t rtt_ns, int64_t hold_ns,
                                                   int64_t min_delay_ns, int64_t rho_local_ppb,
                                                   int64_t rho_remote_ppb, int64_t age_ns);

/*
 * Width bound of Marzullo's fault-tolerant intersection (the smallest
 * interval holding every point covered by n - f readings) when at most f
 * readings are faulty and the widest correct one is widest_correct_ns wide:
 *   n >= 3f+1:       widest_correct  (some correct reading covers it all)
 *   2f+1 <= n <= 3f: 2*widest_correct
 * Below 2f+1 the faulty readings alone can stretch it: BFT_EINVAL.
 * Both cases are derived in docs/algorithms-fusion.md and tight.
 */
BFT_API BFT_WARN_UNUSED int bft_bound_marzullo_width_ns(int64_t *out_ns, size_t n, size_t f,
                                                        int64_t widest_correct_ns);

/*
 * Width of an interval of width width_ns carried elapsed_ns of local time
 * without a new measurement (holdover): width + 2*rho*|elapsed|, rounded up.
 * This is the widening bft_iv_widen_drift applies; discipline holdover must
 * stay within it.
 */
BFT_API BFT_WARN_UNUSED int bft_bound_holdover_width_ns(int64_t *out_ns, int64_t width_ns, int64_t rho_ppb,
                                                        int64_t elapsed_ns);

#endif
