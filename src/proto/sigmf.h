/* SPDX-License-Identifier: MIT */
/*
 * SigMF recordings (the Signal Metadata Format, sigmf.org, v1.x): the
 * `.sigmf-meta` JSON (global: datatype, sample rate, hardware, version,
 * geolocation; captures: first sample, centre frequency, start time;
 * annotations) parsed with json-c into a fixed struct with clear errors,
 * the `.sigmf-data` samples converted to complex doubles (ci8, cu8, ci16_le,
 * cf32_le), and the writer for synthetic recordings. The parsers work on
 * buffers; bft_sigmf_read / bft_sigmf_write are the thin file layer the
 * driver and the tests use (issue 18, docs/solar.md).
 */
#ifndef BFTIME_PROTO_SIGMF_H
#define BFTIME_PROTO_SIGMF_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#define BFT_SIGMF_META_MAX (1u << 20) /* a larger .sigmf-meta is refused */
#define BFT_SIGMF_CAPTURES 16
#define BFT_SIGMF_ANNOTATIONS 64

typedef enum bft_sigmf_type {
	BFT_SIGMF_CI8,
	BFT_SIGMF_CU8, /* RTL-SDR's raw samples: offset 127.5 */
	BFT_SIGMF_CI16_LE,
	BFT_SIGMF_CF32_LE,
} bft_sigmf_type;

typedef struct bft_sigmf_capture {
	uint64_t sample_start;
	double freq_hz; /* 0 when not given */
	int64_t datetime_ns;
	int has_datetime;
} bft_sigmf_capture;

typedef struct bft_sigmf_annotation {
	uint64_t sample_start, sample_count;
	double freq_lo_hz, freq_hi_hz;
	char label[64];
} bft_sigmf_annotation;

typedef struct bft_sigmf_meta {
	bft_sigmf_type type;
	double sample_rate_hz;
	char version[16];
	char hw[128];
	int has_geo;
	double lat_deg, lon_deg, alt_m; /* core:geolocation, a GeoJSON point */
	size_t ncaptures, nannotations;
	bft_sigmf_capture captures[BFT_SIGMF_CAPTURES];
	bft_sigmf_annotation annotations[BFT_SIGMF_ANNOTATIONS];
} bft_sigmf_meta;

/* Bytes per complex sample of a type. */
size_t bft_sigmf_sample_size(bft_sigmf_type t);
const char *bft_sigmf_type_name(bft_sigmf_type t);

/* Parse a .sigmf-meta text: 0, or BFT_EINVAL with a one-line reason in err. The
 * rules: valid JSON object; core:datatype a complex type named above;
 * core:version 1.x; core:sample_rate finite > 0; captures non-empty, each
 * with core:sample_start, in increasing order; core:datetime RFC 3339 in
 * UTC ("Z") within the plausible years (civil.h); annotations optional. */
int bft_sigmf_parse_meta(const char *text, size_t len, bft_sigmf_meta *m, char *err, size_t errlen);

/* Convert count samples from data (bytes of the .sigmf-data, starting at
 * sample 0) from sample index first into out: 0, or BFT_EINVAL if out of range. */
int bft_sigmf_decode(bft_sigmf_type t, const uint8_t *data, size_t len, size_t first, size_t count,
		     double complex *out);

/* The start time of sample k: the last capture at or before it with a
 * datetime, plus (k - its sample_start) / rate. BFT_EINVAL when none has one. */
int bft_sigmf_sample_time(const bft_sigmf_meta *m, uint64_t k, int64_t *t_ns);

/* Write the meta text (NUL-terminated) into out: its length, or BFT_EINVAL if cap
 * is too small. */
int bft_sigmf_format_meta(const bft_sigmf_meta *m, char *out, size_t cap);
/* Encode n samples (x * scale, rounded and clipped for integer types) into
 * out (n * sample_size bytes). Returns the number of clipped components. */
size_t bft_sigmf_encode(bft_sigmf_type t, const double complex *x, size_t n, double scale, uint8_t *out);

/* Files: base.sigmf-meta and base.sigmf-data. read: all samples (*out
 * malloc'd, *n its count); 0 or BFT_EINVAL with err. write: 0 or BFT_EINVAL with errno. */
int bft_sigmf_read(const char *base, bft_sigmf_meta *m, double complex **out, size_t *n, char *err, size_t errlen);
int bft_sigmf_write(const char *base, const bft_sigmf_meta *m, const double complex *x, size_t n, double scale);

#endif
