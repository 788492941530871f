/* SPDX-License-Identifier: MIT */
/*
 * Reference-clock models for tests (refmodel.h). bftime-sim's results are
 * produced by exactly this arithmetic: change it and docs/results.md must
 * be regenerated.
 */
#include "testkit/refmodel.h"

bft_interval bft_refmodel_gps_read(int64_t true_ns, int64_t noise_ns, int64_t uncertainty_ns, double normal,
                                   int64_t lie_ns)
{
	double e = (double)noise_ns * normal;
	if (e > (double)uncertainty_ns)
		e = (double)uncertainty_ns;
	if (e < -(double)uncertainty_ns)
		e = -(double)uncertainty_ns;
	int64_t reading = bft_sat_add(bft_sat_add(true_ns, (int64_t)e), lie_ns);
	return bft_iv(bft_sat_sub(reading, uncertainty_ns), bft_sat_add(reading, uncertainty_ns));
}

int64_t bft_refmodel_lie(int64_t from_ns, int64_t offset_ns, int64_t rate_ppb, int64_t now_ns)
{
	if (now_ns < from_ns)
		return 0;
	return offset_ns + (int64_t)((double)(now_ns - from_ns) * (double)rate_ppb * 1e-9);
}
