/* SPDX-License-Identifier: MIT */
/*
 * A solar peer's day-long checks (solar_track.h): a ring of its readings,
 * and the two series fits of core/solar_check.c run over it every
 * BFTD_SOLAR_TRACK_EVERY readings once BFTD_SOLAR_TRACK_MIN of them span
 * BFTD_SOLAR_TRACK_SPAN_NS. A verdict other than honest is final: a peer
 * that lied once is not believed again (its key's owner must explain).
 */
#include "refclock/solar_track.h"

#include <math.h>
#include <string.h>

#include <bftime/interval.h>

#include "core/xcorr.h"

enum bftd_solar_cheat bftd_solar_track_add(bftd_solar_track *k, int64_t t_ns, int64_t off_ns, double sigma_s,
                                           const double sun_dir[3], double rate, double tol_m, double tol_s)
{
	if (k->verdict != BFTD_SOLAR_HONEST)
		return k->verdict;
	if (!(sigma_s > 0) || !isfinite(rate))
		return k->verdict;
	if (k->n == 0)
		k->base_ns = off_ns;
	/* Relative to the first, in seconds: a double keeps ns exact for days. */
	double off_s = (double)bft_sat_sub(off_ns, k->base_ns) * 1e-9;
	size_t i = k->next;
	k->t_s[i] = (double)t_ns * 1e-9;
	k->off_s[i] = off_s;
	k->sigma_s[i] = sigma_s;
	memcpy(k->dir[i], sun_dir, sizeof k->dir[i]);
	k->rate[i] = rate;
	k->next = (k->next + 1) % BFTD_SOLAR_TRACK_LEN;
	if (k->n < BFTD_SOLAR_TRACK_LEN)
		k->n++;
	if (++k->since_check < BFTD_SOLAR_TRACK_EVERY || k->n < BFTD_SOLAR_TRACK_MIN)
		return k->verdict;
	/* Oldest first, into arrays the fits read (16 KB of stack). */
	double t[BFTD_SOLAR_TRACK_LEN], off[BFTD_SOLAR_TRACK_LEN], sg[BFTD_SOLAR_TRACK_LEN], rt[BFTD_SOLAR_TRACK_LEN],
		dir[BFTD_SOLAR_TRACK_LEN][3];
	size_t first = (k->next + BFTD_SOLAR_TRACK_LEN - k->n) % BFTD_SOLAR_TRACK_LEN;
	for (size_t j = 0; j < k->n; j++) {
		size_t s = (first + j) % BFTD_SOLAR_TRACK_LEN;
		t[j] = k->t_s[s];
		off[j] = k->off_s[s];
		sg[j] = k->sigma_s[s];
		rt[j] = k->rate[s];
		memcpy(dir[j], k->dir[s], sizeof dir[j]);
	}
	if ((t[k->n - 1] - t[0]) * 1e9 < (double)BFTD_SOLAR_TRACK_SPAN_NS)
		return k->verdict;
	k->since_check = 0;
	double d, d_se;
	if (bft_solar_position_suspect(k->n, t, off, sg, (const double (*)[3])dir, BFTD_SOLAR_TRACK_Z, tol_m, &d,
	                               &d_se) == 1) {
		k->verdict = BFTD_SOLAR_POSITION;
		k->found = d;
		return k->verdict;
	}
	/* A shift is a stamp error: seconds at most. On a short baseline the
	 * delay's rate is tiny and nearly follows the Sun's direction too, so
	 * a false position fits as an absurd shift (200 days for 5 km on 1.5 m,
	 * in the unit test): that is no finding of a shift. */
	if (bft_solar_shift_suspect(k->n, t, off, sg, rt, BFTD_SOLAR_TRACK_Z, tol_s, &d, &d_se) == 1 &&
	    fabs(d) <= BFTD_SOLAR_TRACK_SHIFT_MAX_S) {
		k->verdict = BFTD_SOLAR_SHIFT;
		k->found = d;
	}
	return k->verdict;
}
