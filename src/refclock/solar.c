/* SPDX-License-Identifier: MIT */
/*
 * `kind: solar` (solar.h, docs/solar.md): the daemon's driver around the
 * solar engine. Its options; its input, a SigMF recording (each capture, or
 * each `every` of a long one, a block, handed to the engine once the system
 * clock has passed the block's end, so a recording stamped around now plays
 * as if live) or a SoapySDR receiver (a block at each multiple of `every` on
 * the system clock, so that the peers' blocks overlap: the stream activated,
 * block samples read, deactivated, so no stale buffered samples are taken
 * for fresh ones); fragments out through the publish hook the loop
 * attaches (bftd_solar_attach), peers' fragments in through
 * bftd_solar_receive, queued and turned into readings at the next service.
 *
 * Stamps: a SigMF capture's core:datetime is taken as the recorder's
 * CLOCK_REALTIME at its first sample; a SoapySDR block's as the raw clock
 * right after the read, less the block's duration. Either way the stated
 * `stamp_uncertainty` must bound the stamp's error against true time (the
 * system clock's own error and the USB and driver latency), since the
 * fragments published carry it to the peers.
 */
#include "refclock/solar.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SoapySDR/Device.h>
#include <SoapySDR/Formats.h>
#include <json-c/json.h>

#include <bftime/common.h>

#include "proto/fragment.h"
#include "proto/sigmf.h"
#include "refclock/refclock.h"
#include "util/value.h"

/* ---- options --------------------------------------------------------------- */

#define S(r) (&(r)->solar)

static int o_recording(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_str(v, S(r)->recording, sizeof S(r)->recording, e, n); }
static int o_soapy(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_str(v, S(r)->soapy, sizeof S(r)->soapy, e, n); }
static int o_centre(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 1000000, INT64_C(999999999999), &S(r)->centre_hz, e, n); }
static int o_bw(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 1, 1000000000, &S(r)->bw_hz, e, n); }
static int o_fs(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 1000, 1000000000, &S(r)->fs_hz, e, n); }
static int o_lat(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 9, -INT64_C(90000000000), INT64_C(90000000000), &S(r)->lat_ndeg, e, n); }
static int o_lon(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 9, -INT64_C(180000000000), INT64_C(180000000000), &S(r)->lon_ndeg, e, n); }
static int o_height(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, -1000000, 100000000, &S(r)->height_mm, e, n); }
static int o_pos_err(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, 0, 1000000000, &S(r)->pos_err_mm, e, n); }
static int o_mask(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, 0, 89000, &S(r)->mask_mdeg, e, n); }
static int o_frag(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, BFT_FRAG_MIN_SAMPLES, BFT_FRAG_MAX_SAMPLES, &S(r)->frag_n, e, n); }
static int o_block(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 64, 1 << 24, &S(r)->block_n, e, n); }
static int o_bits(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 1, 2, &S(r)->bits, e, n); }
static int o_stamp(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_duration(v, 0, BFT_NS_PER_SEC, &S(r)->stamp_err_ns, e, n); }
static int o_tec(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 0, 1000, &S(r)->tec_max_tecu, e, n); }
static int o_window(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_duration(v, 0, BFT_NS_PER_SEC / 10, &S(r)->window_ns, e, n); }
static int o_clock(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, 0, 1000000, &S(r)->clock_ppb, e, n); }
static int o_peers_f(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_int(v, 0, 20, &S(r)->peers_f, e, n); }
static int o_sun_frac(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, 0, 1000, &S(r)->sun_frac_milli, e, n); }
static int o_peer_frac(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 3, 0, 1000, &S(r)->peer_frac_milli, e, n); }
static int o_gain(bftd_ref *r, const char *v, char *e, size_t n) { return bft_value_fixed(v, 2, -10000, 20000, &S(r)->gain_cdb, e, n); }

static const bftd_ref_opt solar_options[] = {
	{ "recording", BFTD_REF_OPT_SOLAR, o_recording },
	{ "soapy", BFTD_REF_OPT_SOLAR, o_soapy },
	{ "centre", BFTD_REF_OPT_SOLAR, o_centre },        /* Hz */
	{ "bandwidth", BFTD_REF_OPT_SOLAR, o_bw },         /* Hz, the flat part of the band */
	{ "sample_rate", BFTD_REF_OPT_SOLAR, o_fs },       /* Hz */
	{ "latitude", BFTD_REF_OPT_SOLAR, o_lat },         /* degrees */
	{ "longitude", BFTD_REF_OPT_SOLAR, o_lon },        /* degrees */
	{ "height", BFTD_REF_OPT_SOLAR, o_height },        /* metres above the WGS84 ellipsoid */
	{ "position_error", BFTD_REF_OPT_SOLAR, o_pos_err }, /* metres */
	{ "elevation_mask", BFTD_REF_OPT_SOLAR, o_mask },  /* degrees */
	{ "fragment", BFTD_REF_OPT_SOLAR, o_frag },        /* samples */
	{ "block", BFTD_REF_OPT_SOLAR, o_block },          /* samples */
	{ "bits", BFTD_REF_OPT_SOLAR, o_bits },
	{ "stamp_uncertainty", BFTD_REF_OPT_SOLAR, o_stamp },
	{ "tec_max", BFTD_REF_OPT_SOLAR, o_tec },          /* TECU */
	{ "window", BFTD_REF_OPT_SOLAR, o_window },        /* duration */
	{ "sample_clock", BFTD_REF_OPT_SOLAR, o_clock },   /* ppm: each sampler's rate error bound */
	{ "gain", BFTD_REF_OPT_SOLAR, o_gain },            /* dB (soapy) */
	{ "peers_f", BFTD_REF_OPT_SOLAR, o_peers_f },      /* liars among the peers the reading tolerates */
	{ "sun_fraction", BFTD_REF_OPT_SOLAR, o_sun_frac }, /* copy check: own T_sun / (T_sun + T_sys) bound */
	{ "peer_sun_fraction", BFTD_REF_OPT_SOLAR, o_peer_frac }, /* relay check: any peer's bound */
	{ NULL, 0, NULL },
};

void bftd_ref_solar_init(struct bftd_ref_solar *s)
{
	memset(s, 0, sizeof *s);
	s->lat_ndeg = s->lon_ndeg = INT64_MIN;
	s->pos_err_mm = s->mask_mdeg = s->frag_n = s->block_n = s->bits = s->stamp_err_ns = -1;
	s->tec_max_tecu = s->window_ns = s->clock_ppb = -1;
	s->gain_cdb = INT64_MIN;
	s->peers_f = -1;
}

/* What it needs (an input, the band, the antenna's position) and its
 * defaults: 2.4 MS/s of an RTL-SDR with 80% of it flat, 4096-sample 2-bit
 * fragments from 16384-sample blocks every 10 s, a 10 degree mask, 150 TECU
 * (solar-maximum daytime), a 20 us search window, 1 ppm samplers. */
static int solar_finish(bftd_ref *r, char *err, size_t errlen)
{
	struct bftd_ref_solar *s = S(r);
	if (!s->recording[0] == !s->soapy[0]) {
		snprintf(err, errlen, "reference: kind solar needs one input: recording (a SigMF base path) or soapy "
		                      "(a SoapySDR device's arguments)");
		return BFT_EINVAL;
	}
	if (!s->centre_hz) {
		snprintf(err, errlen, "reference: kind solar needs centre (the band's centre frequency, Hz)");
		return BFT_EINVAL;
	}
	if (s->lat_ndeg == INT64_MIN || s->lon_ndeg == INT64_MIN) {
		snprintf(err, errlen, "reference: kind solar needs the antenna's latitude and longitude (degrees)");
		return BFT_EINVAL;
	}
	if (!s->fs_hz)
		s->fs_hz = 2400000;
	if (!s->bw_hz)
		s->bw_hz = s->fs_hz * 8 / 10;
	if (s->bw_hz > s->fs_hz) {
		snprintf(err, errlen, "reference: solar bandwidth exceeds sample_rate");
		return BFT_EINVAL;
	}
	if (s->frag_n < 0)
		s->frag_n = 4096;
	if (s->block_n < 0)
		s->block_n = 4 * s->frag_n;
	if (s->mask_mdeg < 0)
		s->mask_mdeg = 10000;
	if (s->bits < 0)
		s->bits = 2;
	if (s->stamp_err_ns < 0)
		s->stamp_err_ns = BFT_NS_PER_SEC / 1000; /* 1 ms: an SDR on USB with a system clock nobody vouched for */
	if (s->tec_max_tecu < 0)
		s->tec_max_tecu = 150;
	if (s->window_ns < 0)
		s->window_ns = 20000;
	if (s->clock_ppb < 0)
		s->clock_ppb = 1000;
	if (s->pos_err_mm < 0)
		s->pos_err_mm = 1000;
	if (!(r->set & BFTD_REF_OPT_EVERY))
		r->every_ns = 10 * BFT_NS_PER_SEC;
	if (r->uncertainty_ns >= 0) {
		snprintf(err, errlen, "reference: kind solar takes no uncertainty: its interval is the correlation's; "
		                      "stamp_uncertainty bounds its stamps");
		return BFT_EINVAL;
	}
	r->uncertainty_ns = 0;
	return 0;
}

/* ---- state ---------------------------------------------------------------- */

struct qfrag {
	size_t len;
	uint8_t buf[BFT_FRAG_MAX_BYTES];
};

typedef struct solar_priv {
	bftd_solar *eng;
	bft_signer proxy;      /* the engine's signer: io's once attached */
	bftd_solar_io io;
	bool attached;
	/* recording */
	bft_sigmf_meta meta;
	double complex *rec;
	size_t rec_n;
	size_t *starts;        /* the blocks' first samples */
	size_t n_blocks, next_block;
	/* SoapySDR */
	SoapySDRDevice *dev;
	SoapySDRStream *stream;
	double complex *buf;
	int64_t next_read_mono;
	uint32_t seq;
	/* peers' fragments waiting */
	struct qfrag *q;
	size_t q_n;
	uint64_t q_dropped;
	uint64_t q_too_large;    /* POSTed fragments longer than any fragment */
	uint32_t logged_refusals; /* refusal kinds logged at info once (bit -e - 10); then at debug */
	uint64_t unknown_blocks; /* made while the node did not know the time: not published */
	bool night_logged;
	bool have_last;
	bftd_solar_reading last;
	int last_refusal;
} solar_priv;

static int proxy_sign(void *ctx, uint32_t self, const uint8_t *msg, size_t len, uint8_t *sig)
{
	solar_priv *p = ctx;
	return p->attached ? p->io.signer->sign(p->io.signer->ctx, self, msg, len, sig) : BFT_EINVAL;
}

static int proxy_verify(void *ctx, uint32_t from, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
	solar_priv *p = ctx;
	return p->attached ? p->io.signer->verify(p->io.signer->ctx, from, msg, len, sig, sig_len) : BFT_EINVAL;
}

static void state(bftd_refclock *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void state(bftd_refclock *rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rc->state, sizeof rc->state, fmt, ap);
	va_end(ap);
}

/* ---- inputs --------------------------------------------------------------- */

/* Blocks of a SigMF recording: from each capture's first sample, one each
 * `every` (at the recording's rate) while a whole block fits the capture. */
static int open_recording(bftd_refclock *rc, solar_priv *p, char *err, size_t errlen)
{
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	char e[300];
	if (bft_sigmf_read(c->recording, &p->meta, &p->rec, &p->rec_n, e, sizeof e) != 0) {
		snprintf(err, errlen, "reference %s: %s", rc->cfg->name, e);
		return BFT_EINVAL;
	}
	if (fabs(p->meta.sample_rate_hz - (double)c->fs_hz) > 1e-6 * (double)c->fs_hz) {
		snprintf(err, errlen, "reference %s: %s.sigmf-meta: sample rate %.0f Hz, configured sample_rate %lld Hz",
		         rc->cfg->name, c->recording, p->meta.sample_rate_hz, (long long)c->fs_hz);
		return BFT_EINVAL;
	}
	size_t step = (size_t)llround((double)rc->cfg->every_ns * 1e-9 * p->meta.sample_rate_hz);
	if (step < (size_t)c->block_n)
		step = (size_t)c->block_n;
	size_t cap = 0;
	for (size_t k = 0; k < p->meta.ncaptures; k++) {
		const bft_sigmf_capture *cp = &p->meta.captures[k];
		size_t end = k + 1 < p->meta.ncaptures ? p->meta.captures[k + 1].sample_start : p->rec_n;
		end = end < p->rec_n ? end : p->rec_n; /* bft_sigmf_read refuses captures past the data; kept safe here too */
		if (cp->freq_hz != 0 && fabs(cp->freq_hz - (double)c->centre_hz) > 1.0) {
			snprintf(err, errlen, "reference %s: %s.sigmf-meta: capture %zu at %.0f Hz, configured centre %lld Hz",
			         rc->cfg->name, c->recording, k, cp->freq_hz, (long long)c->centre_hz);
			return BFT_EINVAL;
		}
		if (!cp->has_datetime) {
			snprintf(err, errlen, "reference %s: %s.sigmf-meta: capture %zu has no core:datetime (no stamp, no "
			         "reading)", rc->cfg->name, c->recording, k);
			return BFT_EINVAL;
		}
		for (size_t s = (size_t)cp->sample_start; s + (size_t)c->block_n <= end; s += step) {
			if (p->n_blocks == cap) {
				cap = cap ? 2 * cap : 16;
				size_t *n = realloc(p->starts, cap * sizeof *n);
				if (!n)
					return BFT_ENOMEM;
				p->starts = n;
			}
			p->starts[p->n_blocks++] = s;
		}
	}
	if (!p->n_blocks) {
		snprintf(err, errlen, "reference %s: %s holds no whole block of %lld samples", rc->cfg->name, c->recording,
		         (long long)c->block_n);
		return BFT_EINVAL;
	}
	state(rc, "recording %s: %zu blocks", c->recording, p->n_blocks);
	return 0;
}

static int open_soapy(bftd_refclock *rc, solar_priv *p, char *err, size_t errlen)
{
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	p->dev = SoapySDRDevice_makeStrArgs(c->soapy);
	if (!p->dev) {
		const char *why = SoapySDRDevice_lastError();
		snprintf(err, errlen, "reference %s: no SoapySDR device found for \"%s\"%s%s", rc->cfg->name, c->soapy,
		         why && why[0] ? ": " : "", why ? why : "");
		return BFT_EINVAL;
	}
	if (SoapySDRDevice_setSampleRate(p->dev, SOAPY_SDR_RX, 0, (double)c->fs_hz) != 0 ||
	    SoapySDRDevice_setFrequency(p->dev, SOAPY_SDR_RX, 0, (double)c->centre_hz, NULL) != 0 ||
	    (c->gain_cdb != INT64_MIN && SoapySDRDevice_setGain(p->dev, SOAPY_SDR_RX, 0, (double)c->gain_cdb / 100) != 0)) {
		snprintf(err, errlen, "reference %s: SoapySDR device \"%s\" refused the rate, frequency or gain: %s",
		         rc->cfg->name, c->soapy, SoapySDRDevice_lastError());
		return BFT_EINVAL;
	}
	size_t ch = 0;
	p->stream = SoapySDRDevice_setupStream(p->dev, SOAPY_SDR_RX, SOAPY_SDR_CF32, &ch, 1, NULL);
	p->buf = malloc((size_t)c->block_n * sizeof *p->buf);
	if (!p->stream || !p->buf) {
		snprintf(err, errlen, "reference %s: SoapySDR stream: %s", rc->cfg->name,
		         p->stream ? "out of memory" : SoapySDRDevice_lastError());
		return BFT_EINVAL;
	}
	state(rc, "SoapySDR \"%s\": %.3f MHz, %.3f MS/s", c->soapy, (double)c->centre_hz / 1e6, (double)c->fs_hz / 1e6);
	return 0;
}

/* One block from the receiver: blocking for the block's duration (4096
 * samples at 2.4 MS/s: 7 ms) once per `every`. The CF32 samples arrive as
 * pairs of floats; the stamp is the raw clock after the last read less the
 * block's length, and *span_ns how much longer than the samples take the
 * read took from before the stream's activation: the stamp errs by no
 * more than that (the reading adds it to stamp_uncertainty, which is left
 * for what the device does before its samples reach us). */
static int read_soapy(bftd_refclock *rc, solar_priv *p, int64_t *raw_ns, int64_t *span_ns)
{
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	size_t n = (size_t)c->block_n, got = 0;
	float *f = (float *)malloc(2 * n * sizeof *f);
	if (!f)
		return BFT_ENOMEM;
	/* Before the stream starts: no sample of the block is older (the
	 * receiver records from its activation), and none arrived before it was
	 * recorded, so the block's start lies in [r0, r1 - dur]. */
	int64_t r0 = rc->host->raw_ns();
	int rc2 = SoapySDRDevice_activateStream(p->dev, p->stream, 0, 0, 0);
	while (rc2 == 0 && got < n) {
		void *bufs[1] = { f + 2 * got };
		int flags = 0;
		long long t = 0;
		int k = SoapySDRDevice_readStream(p->dev, p->stream, bufs, n - got, &flags, &t, 1000000);
		if (k <= 0)
			rc2 = BFT_EINVAL;
		else
			got += (size_t)k;
	}
	int64_t r1 = rc->host->raw_ns();
	SoapySDRDevice_deactivateStream(p->dev, p->stream, 0, 0);
	for (size_t i = 0; rc2 == 0 && i < n; i++)
		p->buf[i] = f[2 * i] + I * f[2 * i + 1];
	free(f);
	int64_t dur = (int64_t)llround((double)n * 1e9 / (double)c->fs_hz);
	*raw_ns = r1 - dur;
	*span_ns = r1 - r0 > dur ? r1 - r0 - dur : 0; /* waited longer than the samples take: latency */
	return rc2;
}

/* ---- driver --------------------------------------------------------------- */

/* The next multiple of `every` on CLOCK_REALTIME, as mono time: every
 * node's receiver records at the same moments, so that a peer's fragment
 * falls inside an own block (the receiver's start latency must stay below
 * the block's margin, (block - fragment) / 2 samples, or the block be made
 * longer). */
static int64_t aligned_mono(const bftd_refclock *rc, int64_t now_mono_ns)
{
	int64_t e = rc->cfg->every_ns, rt = rc->host->realtime_ns();
	int64_t next = (rt / e + 1) * e;
	return now_mono_ns + (next - rt);
}


static void solar_close(bftd_refclock *rc)
{
	solar_priv *p = rc->priv;
	if (!p)
		return;
	bftd_solar_destroy(p->eng);
	free(p->rec);
	free(p->starts);
	free(p->q);
	free(p->buf);
	if (p->stream)
		SoapySDRDevice_closeStream(p->dev, p->stream);
	if (p->dev)
		SoapySDRDevice_unmake(p->dev);
	free(p);
	rc->priv = NULL;
}

static int solar_open(bftd_refclock *rc, int64_t now_mono_ns, char *err, size_t errlen)
{
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	solar_priv *p = calloc(1, sizeof *p);
	if (!p || !(p->q = malloc(BFTD_SOLAR_QUEUE * sizeof *p->q))) {
		free(p);
		snprintf(err, errlen, "reference %s: out of memory", rc->cfg->name);
		return BFT_ENOMEM;
	}
	rc->priv = p;
	p->proxy = (bft_signer){ "solar-proxy", BFT_ED25519_SIG, proxy_sign, proxy_verify, p };
	bftd_solar_params sp = {
		.fs_hz = (double)c->fs_hz,
		.centre_hz = (double)c->centre_hz,
		.bw_hz = (double)c->bw_hz,
		.pos = { (double)c->lat_ndeg * 1e-9 * M_PI / 180, (double)c->lon_ndeg * 1e-9 * M_PI / 180,
		         (double)c->height_mm * 1e-3 },
		.pos_err_m = (double)c->pos_err_mm * 1e-3,
		.mask_rad = (double)c->mask_mdeg * 1e-3 * M_PI / 180,
		.frag_n = (uint32_t)c->frag_n,
		.block_n = (uint32_t)c->block_n,
		.bits = (uint8_t)c->bits,
		.tec_max_tecu = (double)c->tec_max_tecu,
		.window_ns = c->window_ns,
		.rate_err_ppb = 2.0 * (double)c->clock_ppb,
		.keep_blocks = 4,
		.sun_frac_max = (double)c->sun_frac_milli * 1e-3,
		.peer_frac_max = (double)c->peer_frac_milli * 1e-3,
	};
	char e[1024];
	int r = bftd_solar_create(&p->eng, &sp, &p->proxy, e, sizeof e);
	if (r == 0)
		r = c->recording[0] ? open_recording(rc, p, e, sizeof e) : open_soapy(rc, p, e, sizeof e);
	if (r != 0) {
		snprintf(err, errlen, "%s", e);
		solar_close(rc);
		return r;
	}
	p->next_read_mono = c->soapy[0] ? aligned_mono(rc, now_mono_ns) : now_mono_ns;
	rc->next_mono_ns = p->next_read_mono;
	return 0;
}

int bftd_solar_attach(struct bftd_refclock *rc, const bftd_solar_io *io, char *err, size_t errlen)
{
	if (!rc->drv || rc->drv != &bftd_refclock_solar || !rc->priv || !io->signer) {
		snprintf(err, errlen, "not a solar reference");
		return BFT_EINVAL;
	}
	solar_priv *p = rc->priv;
	if (io->signer->sig_len != p->proxy.sig_len) {
		snprintf(err, errlen, "solar: fragments carry %zu-byte signatures, the node's signer makes %zu",
		         p->proxy.sig_len, io->signer->sig_len);
		return BFT_EINVAL;
	}
	p->io = *io;
	p->attached = true;
	bftd_solar_set_node(p->eng, io->node); /* the engine signs as the node */
	return 0;
}

int bftd_solar_receive(struct bftd_refclock *rc, const uint8_t *buf, size_t len)
{
	if (!rc->drv || rc->drv != &bftd_refclock_solar || !rc->priv)
		return BFT_EINVAL;
	solar_priv *p = rc->priv;
	if (!p->attached)
		return BFT_EINVAL;
	if (len > BFT_FRAG_MAX_BYTES) {
		p->q_too_large++;
		return BFT_ERANGE;
	}
	if (p->q_n == BFTD_SOLAR_QUEUE) {
		p->q_dropped++;
		return BFT_ENOMEM;
	}
	p->q[p->q_n].len = len;
	memcpy(p->q[p->q_n].buf, buf, len);
	p->q_n++;
	rc->next_mono_ns = 0; /* due now: the loop services it */
	return 0;
}

/* The next block due: a recording's once the system clock is past its end,
 * the receiver's each `every`. 1 with the block's samples and stamps; 0 when
 * none is due (*next_mono_ns: when to look again); negative on a read error.
 * A recording's published stamp is its own (erring by stamp_uncertainty);
 * a receiver's is read off our clock, so it errs by the read's latency too. */
static int next_block(bftd_refclock *rc, solar_priv *p, int64_t now_mono_ns, const double complex **x,
                      int64_t *raw_ns, int64_t *raw_err_ns, int64_t *pub_ns, int64_t *pub_err_ns,
                      int64_t *next_mono_ns)
{
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	int64_t dur = (int64_t)llround((double)c->block_n * 1e9 / (double)c->fs_hz);
	if (p->rec) {
		if (p->next_block >= p->n_blocks) {
			*next_mono_ns = INT64_MAX;
			return 0;
		}
		size_t s = p->starts[p->next_block];
		int64_t t0;
		if (bft_sigmf_sample_time(&p->meta, s, &t0) != 0)
			return BFT_EINVAL;
		int64_t wait = t0 + dur - rc->host->realtime_ns();
		if (wait > 0) {
			*next_mono_ns = now_mono_ns + wait;
			return 0;
		}
		p->next_block++;
		int64_t span = 0;
		*x = p->rec + s;
		*pub_ns = t0;
		*raw_ns = rc->host->realtime_to_raw_ns(t0, &span);
		*raw_err_ns = c->stamp_err_ns + span;
		*pub_err_ns = c->stamp_err_ns;
		*next_mono_ns = now_mono_ns;
		return 1;
	}
	if (now_mono_ns < p->next_read_mono) {
		*next_mono_ns = p->next_read_mono;
		return 0;
	}
	p->next_read_mono = aligned_mono(rc, now_mono_ns);
	*next_mono_ns = p->next_read_mono;
	int64_t span;
	if (read_soapy(rc, p, raw_ns, &span) != 0)
		return BFT_EINVAL;
	*x = p->buf;
	*raw_err_ns = *pub_err_ns = c->stamp_err_ns + span;
	/* The published stamp: the system clock at the raw stamp. */
	int64_t rt0 = rc->host->realtime_ns(), r0 = rc->host->raw_ns();
	*pub_ns = rt0 + (*raw_ns - r0);
	return 1;
}

static size_t solar_service(bftd_refclock *rc, const struct pollfd *pfd, size_t n, int64_t now_mono_ns,
                            bftd_reading *out, size_t max)
{
	(void)pfd;
	(void)n;
	solar_priv *p = rc->priv;
	const struct bftd_ref_solar *c = &rc->cfg->solar;
	int64_t next = INT64_MAX;
	/* Own blocks first: a peer's fragment of the same moment needs one. At
	 * most a few per turn, so a recording far in the past does not hold
	 * the loop. */
	for (int k = 0; k < 4; k++) {
		const double complex *x;
		int64_t raw, raw_err, pub, pub_err;
		int b = next_block(rc, p, now_mono_ns, &x, &raw, &raw_err, &pub, &pub_err, &next);
		if (b < 0) {
			rc->errors++;
			state(rc, "read error from %s", c->recording[0] ? c->recording : c->soapy);
			break;
		}
		if (b == 0)
			break;
		/* A receiver's block on the node's estimate of true time (the
		 * system clock only places the search window until the node
		 * knows the time, and nothing is published with it then). */
		bool known = true;
		if (!p->rec && p->attached && p->io.estimate) {
			int64_t est, half;
			known = p->io.estimate(p->io.ctx, raw, &est, &half) == 0;
			if (known)
				pub = est, pub_err += half;
		}
		uint8_t frag[BFT_FRAG_MAX_BYTES];
		size_t len = 0;
		int made = p->attached ? bftd_solar_record(p->eng, x, (size_t)c->block_n, raw, raw_err, pub, pub_err,
		                                             p->seq++, frag, sizeof frag, &len)
		                       : 0;
		if (made == 1 && !known) {
			p->unknown_blocks++;
		} else if (made == 1) {
			p->io.publish(p->io.ctx, frag, len);
			p->night_logged = false;
		} else if (made == 0 && p->attached && !p->night_logged) {
			p->night_logged = true;
			bftd_refclock_log(rc->host, LOG_INFO,
			                  "reference %s: the Sun is below the %.1f degree mask: no fragments, no readings",
			                  rc->cfg->name, (double)c->mask_mdeg / 1000);
			state(rc, "night: the Sun below the mask");
		}
	}
	size_t got = 0;
	size_t i = 0;
	bool fresh = false;
	for (; i < p->q_n && got < max; i++) {
		bftd_solar_reading r;
		int e = bftd_solar_on_fragment(p->eng, p->q[i].buf, p->q[i].len, &r);
		if (e != 0) {
			if (e != BFTD_SOLAR_E_SELF) {
				p->last_refusal = e;
				if (e == BFTD_SOLAR_E_FRAGMENT || e == BFTD_SOLAR_E_COPY)
					rc->errors++;
				/* Anyone may POST fragments: each kind of refusal is
				 * logged at info once, then at debug (all are counted,
				 * the last one's reason in the status). */
				unsigned bit = (unsigned)(-e - 10) % 32;
				bool first = !(p->logged_refusals >> bit & 1);
				p->logged_refusals |= 1u << bit;
				bftd_refclock_log(rc->host, first ? LOG_INFO : LOG_DEBUG,
				                  "reference %s: fragment refused: %s%s", rc->cfg->name, bftd_solar_strerror(e),
				                  first ? " (this kind is logged once at info, then at debug; all are counted)" : "");
			}
			continue;
		}
		p->last = r;
		p->have_last = true;
		fresh = true;
		if (c->peers_f < 0) { /* each peer's reading as it is */
			memset(&out[got], 0, sizeof out[got]);
			out[got].raw_ns = r.raw_ns;
			out[got].iv = r.iv;
			got++;
			rc->readings++;
		}
		bftd_refclock_log(rc->host, LOG_INFO,
		                  "reference %s: peer %u: offset %+lld ns +- %lld ns (rho %.3f, snr %.1f, lag %.3f, Sun at %.1f deg)",
		                  rc->cfg->name, r.peer, (long long)r.offset_ns, (long long)r.half_ns, r.rho, r.snr, r.lag,
		                  r.elev_deg);
		state(rc, "peer %u: offset %+lld ns +- %lld ns, rho %.3f", r.peer, (long long)r.offset_ns,
		      (long long)r.half_ns, r.rho);
	}
	if (fresh && c->peers_f >= 0 && got < max) {
		/* Readings older than three blocks are stale: their peers went
		 * quiet (night, down), and carrying them on only widens them. */
		size_t used;
		memset(&out[got], 0, sizeof out[got]);
		int e = bftd_solar_fuse(p->eng, (size_t)c->peers_f, rc->rho_ppb, rc->host->raw_ns(), 3 * rc->cfg->every_ns,
		                        &out[got].raw_ns, &out[got].iv, &used);
		if (e == 0) {
			got++;
			rc->readings++;
		} else {
			bftd_refclock_log(rc->host, LOG_INFO, "reference %s: no fused reading: %s", rc->cfg->name,
			                  bftd_solar_strerror(e));
		}
	}
	memmove(p->q, p->q + i, (p->q_n - i) * sizeof *p->q);
	p->q_n -= i;
	rc->next_mono_ns = p->q_n ? now_mono_ns : next;
	return got;
}

static void solar_status(const bftd_refclock *rc, struct json_object *o)
{
	const solar_priv *p = rc->priv;
	if (!p)
		return;
	const bftd_solar_stats *s = bftd_solar_get_stats(p->eng);
	json_object_object_add(o, "input", json_object_new_string(rc->cfg->solar.recording[0] ? "sigmf" : "soapysdr"));
	json_object_object_add(o, "blocks", json_object_new_int64((int64_t)s->blocks));
	json_object_object_add(o, "night_blocks", json_object_new_int64((int64_t)s->night_blocks));
	json_object_object_add(o, "fragments_published", json_object_new_int64((int64_t)(s->published - p->unknown_blocks)));
	json_object_object_add(o, "fragments_unpublished", json_object_new_int64((int64_t)p->unknown_blocks));
	json_object_object_add(o, "fragments_received", json_object_new_int64((int64_t)s->received));
	json_object_object_add(o, "fragments_dropped", json_object_new_int64((int64_t)p->q_dropped));
	json_object_object_add(o, "fragments_too_large", json_object_new_int64((int64_t)p->q_too_large));
	json_object_object_add(o, "peer_readings", json_object_new_int64((int64_t)s->readings));
	json_object_object_add(o, "fused_readings", json_object_new_int64((int64_t)s->fused));
	json_object *bad = json_object_new_object();
	json_object_object_add(bad, "invalid", json_object_new_int64((int64_t)s->refused_fragment));
	json_object_object_add(bad, "band", json_object_new_int64((int64_t)s->refused_band));
	json_object_object_add(bad, "night", json_object_new_int64((int64_t)s->refused_night));
	json_object_object_add(bad, "no_block", json_object_new_int64((int64_t)s->no_block));
	json_object_object_add(bad, "weak", json_object_new_int64((int64_t)s->weak));
	json_object_object_add(bad, "edge", json_object_new_int64((int64_t)s->edge));
	json_object_object_add(bad, "copy", json_object_new_int64((int64_t)s->copies));
	json_object_object_add(bad, "relayed", json_object_new_int64((int64_t)s->relays)); /* of copy */
	json_object_object_add(bad, "false_position", json_object_new_int64((int64_t)s->position_cheats));
	json_object_object_add(bad, "shifted_stamps", json_object_new_int64((int64_t)s->shift_cheats));
	json_object_object_add(bad, "from_cheats", json_object_new_int64((int64_t)s->cheat_refused));
	json_object_object_add(bad, "fuse_few", json_object_new_int64((int64_t)s->fuse_few));
	json_object_object_add(bad, "fuse_faults", json_object_new_int64((int64_t)s->fuse_faults));
	json_object_object_add(o, "refused", bad);
	if (p->have_last) {
		json_object_object_add(o, "last_peer", json_object_new_int64(p->last.peer));
		json_object_object_add(o, "last_offset_ns", json_object_new_int64(p->last.offset_ns));
		json_object_object_add(o, "last_half_width_ns", json_object_new_int64(p->last.half_ns));
		json_object_object_add(o, "last_rho", json_object_new_double(p->last.rho));
		json_object_object_add(o, "last_snr", json_object_new_double(p->last.snr));
		json_object_object_add(o, "last_sun_elevation_deg", json_object_new_double(p->last.elev_deg));
	}
}

const bftd_refclock_driver bftd_refclock_solar = { "solar", "solar", BFTD_REF_OPT_SOLAR, solar_options,
	                                           solar_finish, solar_open, solar_close, NULL, solar_service,
	                                           solar_status, NULL };
