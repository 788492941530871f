/* SPDX-License-Identifier: MIT */
/*
 * A node's signed fragment of its solar recording (issue 18,
 * docs/solar.md): who, when on its clock (and how well the stamp is known),
 * sample rate, band, antenna position, and the samples quantised to 1 or 2
 * bits per component as VLBI does (sign; or sign and magnitude at 1 sigma,
 * levels -3 -1 +1 +3). One canonical encoding, version 1, big-endian,
 * signed over every byte before the signature through the signer table
 * (sign.h); the decoder accepts exactly that encoding and nothing else.
 *
 *   0  "BFSF"             4  version (1)       5  bits (1|2)  6 flags (0)  7 reserved (0)
 *   8  node u32          12  seq u32          16  start_ns i64 (node's clock)
 *  24  stamp_err_ns u32  28  n samples u32    32  fs_mhz u64 (sample rate, millihertz)
 *  40  centre_hz u64     48  bw_hz u32        52  height_mm i32
 *  56  lat_ndeg i64      64  lon_ndeg i64     72  pos_err_mm u32  76 reserved u32 (0)
 *  80  samples: n * 2 * bits bits, re then im, LSB first; unused bits 0
 *  ..  signature (the signer's sig_len)
 */
#ifndef BFTIME_PROTO_FRAGMENT_H
#define BFTIME_PROTO_FRAGMENT_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sign.h"

#define BFT_FRAG_VERSION 1
#define BFT_FRAG_HEADER 80
#define BFT_FRAG_MIN_SAMPLES 16
#define BFT_FRAG_MAX_SAMPLES 65536 /* 2 bits: 32 KiB of samples; the size bound */
#define BFT_FRAG_MAX_SIG 64
#define BFT_FRAG_MAX_BYTES (BFT_FRAG_HEADER + BFT_FRAG_MAX_SAMPLES / 2 + BFT_FRAG_MAX_SIG)
/* The normalised correlation a quantised side keeps (docs/solar.md):
 * E[x q(x)] / sqrt(E[x^2] E[q^2]); 1 bit: sqrt(2/pi); 2 bits at 1 sigma, 3:1. */
#define BFT_QUANT1_GAIN 0.7979
#define BFT_QUANT2_GAIN 0.9387

enum {
	BFT_FRAG_OK = 0,
	BFT_FRAG_E_SHORT = -1,	 /* shorter than the header or than its own length */
	BFT_FRAG_E_MAGIC = -2,	 /* not a fragment */
	BFT_FRAG_E_VERSION = -3, /* a version this build does not read */
	BFT_FRAG_E_FIELD = -4,	 /* a field out of range (bits, flags, n, rate, band, position) */
	BFT_FRAG_E_LENGTH = -5,	 /* bytes after the signature */
	BFT_FRAG_E_PADDING = -6, /* unused bits of the last sample byte not zero */
	BFT_FRAG_E_SIG = -7,	 /* signature does not verify (or signing failed) */
	BFT_FRAG_E_SPACE = -8,	 /* output buffer too small */
};
const char *bft_fragment_strerror(int err);

typedef struct bft_fragment {
	uint32_t node, seq;
	int64_t start_ns;
	uint32_t stamp_err_ns;
	uint32_t n;
	uint64_t fs_mhz, centre_hz;
	uint32_t bw_hz;
	int32_t height_mm;
	int64_t lat_ndeg, lon_ndeg;
	uint32_t pos_err_mm;
	uint8_t bits;
	const uint8_t *samples; /* packed; decode points it into the buffer */
} bft_fragment;

/* Bytes the packed samples take, and the whole encoding. */
size_t bft_fragment_samples_size(uint8_t bits, uint32_t n);
size_t bft_fragment_size(uint8_t bits, uint32_t n, size_t sig_len);

/* Quantise n samples into out (bft_fragment_samples_size bytes); the
 * threshold is 1 sigma, sigma the rms per component over these samples. */
int bft_fragment_pack(const double complex *x, size_t n, uint8_t bits, uint8_t *out);
/* The levels back as samples (1 bit: +-1; 2 bits: +-1, +-3). */
void bft_fragment_unpack(const uint8_t *packed, size_t n, uint8_t bits, double complex *out);
/* Pack then unpack: what a peer's fragment looks like to the correlator. */
void bft_quant_roundtrip(const double complex *x, size_t n, uint8_t bits, double complex *out);

/* Encode and sign (s->sign as node f->node); *len gets the size. */
int bft_fragment_encode(const bft_fragment *f, const bft_signer *s, uint8_t *out, size_t cap, size_t *len);
/* Strict decode without the signature check: the fields are range-checked,
 * the length must be exact for sig_len. */
int bft_fragment_decode(const uint8_t *buf, size_t len, size_t sig_len, bft_fragment *f);
/* Decode and verify as node f->node's signature. */
int bft_fragment_open(const uint8_t *buf, size_t len, const bft_signer *s, bft_fragment *f);

#endif
