/* SPDX-License-Identifier: MIT */
/* Benchmarks of the solar reference's correlator (issue 18): one fragment
 * of half the recording's length correlated against the recording (three
 * transforms, the lag scan, the sub-sample refinement) beside one FFTW
 * transform of the recording's length planned the same way (FFTW_ESTIMATE),
 * in the same run, so their ratio is the cost in transforms. Lengths: 2^16,
 * 2^20 and 2,400,000 (one second at an RTL-SDR's 2.4 MS/s). */
#include "bench.h"

#include <complex.h>
#include <fftw3.h>
#include <stdlib.h>

#include "core/solarsim.h"
#include "core/xcorr.h"

struct fft_arg {
	fftw_plan p;
	double complex *in, *buf;
	size_t n;
};

static void run_fft(void *arg)
{
	struct fft_arg *a = arg;
	for (size_t i = 0; i < a->n; i++)
		a->buf[i] = a->in[i];
	fftw_execute(a->p);
	bench_sink((int64_t)creal(a->buf[1]));
}

struct xc_arg {
	bft_xcorr *x;
	double complex *rec, *frag;
	size_t n;
	bft_xcorr_params p;
};

static void run_xcorr(void *arg)
{
	struct xc_arg *a = arg;
	bft_xcorr_result r;
	if (bft_xcorr_run(a->x, a->rec, a->n, a->frag, a->n / 2, &a->p, &r) != 0)
		abort(); /* the benchmark must measure a successful correlation */
	bench_sink((int64_t)(r.lag * 1000));
}

void bench_suite_solar(void)
{
	const size_t lens[] = { (size_t)1 << 16, (size_t)1 << 20, 2400000 };
	for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
		size_t n = lens[k];
		double complex *a = fftw_malloc(n * sizeof *a), *b = fftw_malloc(n * sizeof *b);
		double complex *buf = fftw_malloc(n * sizeof *buf);
		if (!a || !b || !buf)
			abort();
		bft_rng rng;
		bft_rng_seed(&rng, n);
		/* Quiet Sun in a 1 m dish (rho 0.3), 0.8 of the band, true lag 1000.37. */
		bft_solarsim_station st[2] = { { 64, 150, 1, 1000.37 }, { 64, 150, 1, 0 } };
		if (bft_solarsim_pair(&rng, n, 0.8, 1, st, a, b))
			abort();
		struct fft_arg fa = { fftw_plan_dft_1d((int)n, (fftw_complex *)buf, (fftw_complex *)buf, FFTW_FORWARD,
						       FFTW_ESTIMATE),
				      a, buf, n };
		bench_case("solar.fftw_one_transform", n, run_fft, &fa);
		struct xc_arg xa = { bft_xcorr_new(n), a, b, n, { 1000 - 256, 1000 + 256, 0.8, 0 } };
		if (!xa.x)
			abort();
		bench_case("solar.xcorr_fragment", n, run_xcorr, &xa);
		bft_xcorr_free(xa.x);
		fftw_destroy_plan(fa.p);
		fftw_free(a), fftw_free(b), fftw_free(buf);
	}
}
