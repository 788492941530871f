/* SPDX-License-Identifier: MIT */
/*
 * Solar fragments: quantisation, the canonical encoding and its strict
 * decoder (fragment.h). Ranges the decoder enforces: bits 1 or 2, flags and
 * reserved 0, 16 <= n <= 65536, a sample rate of 1 kHz to 1 GHz, a band
 * no wider than the rate, |lat| <= 90 deg, |lon| <= 180 deg, |height| <=
 * 100 km: anything else is refused with its reason, never guessed at.
 */
#include "proto/fragment.h"
#include "proto/bytes.h"

#include <math.h>
#include <string.h>

const char *bft_fragment_strerror(int err)
{
	switch (err) {
	case BFT_FRAG_OK: return "ok";
	case BFT_FRAG_E_SHORT: return "fragment truncated";
	case BFT_FRAG_E_MAGIC: return "not a solar fragment (bad magic)";
	case BFT_FRAG_E_VERSION: return "unsupported fragment version";
	case BFT_FRAG_E_FIELD: return "fragment field out of range";
	case BFT_FRAG_E_LENGTH: return "fragment length does not match its sample count";
	case BFT_FRAG_E_PADDING: return "fragment padding bits not zero";
	case BFT_FRAG_E_SIG: return "fragment signature invalid";
	case BFT_FRAG_E_SPACE: return "fragment buffer too small";
	default: return "unknown fragment error";
	}
}

size_t bft_fragment_samples_size(uint8_t bits, uint32_t n) { return ((size_t)n * 2 * bits + 7) / 8; }

size_t bft_fragment_size(uint8_t bits, uint32_t n, size_t sig_len)
{
	return BFT_FRAG_HEADER + bft_fragment_samples_size(bits, n) + sig_len;
}

static void put_bits(uint8_t *out, size_t pos, unsigned v, unsigned bits)
{
	for (unsigned b = 0; b < bits; b++, pos++)
		if (v >> b & 1)
			out[pos / 8] |= (uint8_t)(1u << (pos % 8));
}

static unsigned get_bits(const uint8_t *in, size_t pos, unsigned bits)
{
	unsigned v = 0;
	for (unsigned b = 0; b < bits; b++, pos++)
		v |= (unsigned)(in[pos / 8] >> (pos % 8) & 1) << b;
	return v;
}

/* Codes: 1 bit: 0 -> -1, 1 -> +1. 2 bits: sign in bit 1 (1 = positive),
 * magnitude in bit 0 (1 = beyond the threshold): 0 -1, 1 -3, 2 +1, 3 +3. */
static unsigned quant(double v, double thr, uint8_t bits)
{
	unsigned pos = v >= 0;
	if (bits == 1)
		return pos;
	return pos << 1 | (fabs(v) > thr);
}

static double level(unsigned c, uint8_t bits)
{
	if (bits == 1)
		return c ? 1.0 : -1.0;
	double m = (c & 1) ? 3.0 : 1.0;
	return (c & 2) ? m : -m;
}

int bft_fragment_pack(const double complex *x, size_t n, uint8_t bits, uint8_t *out)
{
	if ((bits != 1 && bits != 2) || n > BFT_FRAG_MAX_SAMPLES)
		return BFT_FRAG_E_FIELD;
	double p = 0;
	for (size_t i = 0; i < n; i++)
		p += creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i]);
	double thr = n ? sqrt(p / (2.0 * (double)n)) : 0;
	memset(out, 0, bft_fragment_samples_size(bits, (uint32_t)n));
	for (size_t i = 0; i < n; i++) {
		put_bits(out, 2 * bits * i, quant(creal(x[i]), thr, bits), bits);
		put_bits(out, 2 * bits * i + bits, quant(cimag(x[i]), thr, bits), bits);
	}
	return 0;
}

void bft_fragment_unpack(const uint8_t *packed, size_t n, uint8_t bits, double complex *out)
{
	for (size_t i = 0; i < n; i++) {
		double re = level(get_bits(packed, 2 * bits * i, bits), bits);
		double im = level(get_bits(packed, 2 * bits * i + bits, bits), bits);
		out[i] = re + I * im;
	}
}

void bft_quant_roundtrip(const double complex *x, size_t n, uint8_t bits, double complex *out)
{
	/* Per component, no packing: the same thresholds and levels. */
	double p = 0;
	for (size_t i = 0; i < n; i++)
		p += creal(x[i]) * creal(x[i]) + cimag(x[i]) * cimag(x[i]);
	double thr = n ? sqrt(p / (2.0 * (double)n)) : 0;
	for (size_t i = 0; i < n; i++) {
		double re = level(quant(creal(x[i]), thr, bits), bits);
		double im = level(quant(cimag(x[i]), thr, bits), bits);
		out[i] = re + I * im;
	}
}

static void be32(uint8_t *p, uint32_t v) { bft_be_put(p, v, 4); }
static void be64(uint8_t *p, uint64_t v) { bft_be_put(p, v, 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)bft_be_get(&p, 4); }
static uint64_t rd64(const uint8_t *p) { return bft_be_get(&p, 8); }

static int fields_ok(const bft_fragment *f)
{
	const int64_t deg = 1000000000;
	if (f->bits != 1 && f->bits != 2)
		return 0;
	if (f->n < BFT_FRAG_MIN_SAMPLES || f->n > BFT_FRAG_MAX_SAMPLES)
		return 0;
	if (f->fs_mhz < UINT64_C(1000000) || f->fs_mhz > UINT64_C(1000000000000))
		return 0;
	if (f->bw_hz == 0 || (uint64_t)f->bw_hz * 1000 > f->fs_mhz)
		return 0;
	if (f->lat_ndeg < -90 * deg || f->lat_ndeg > 90 * deg || f->lon_ndeg < -180 * deg || f->lon_ndeg > 180 * deg)
		return 0;
	if (f->height_mm < -100000000 || f->height_mm > 100000000)
		return 0;
	return 1;
}

static void header(const bft_fragment *f, uint8_t *o)
{
	memset(o, 0, BFT_FRAG_HEADER);
	memcpy(o, "BFSF", 4);
	o[4] = BFT_FRAG_VERSION;
	o[5] = f->bits;
	be32(o + 8, f->node);
	be32(o + 12, f->seq);
	be64(o + 16, (uint64_t)f->start_ns);
	be32(o + 24, f->stamp_err_ns);
	be32(o + 28, f->n);
	be64(o + 32, f->fs_mhz);
	be64(o + 40, f->centre_hz);
	be32(o + 48, f->bw_hz);
	be32(o + 52, (uint32_t)f->height_mm);
	be64(o + 56, (uint64_t)f->lat_ndeg);
	be64(o + 64, (uint64_t)f->lon_ndeg);
	be32(o + 72, f->pos_err_mm);
}

int bft_fragment_encode(const bft_fragment *f, const bft_signer *s, uint8_t *out, size_t cap, size_t *len)
{
	if (!f || !s || !out || !f->samples || s->sig_len > BFT_FRAG_MAX_SIG || !fields_ok(f))
		return BFT_FRAG_E_FIELD;
	size_t ns = bft_fragment_samples_size(f->bits, f->n), total = BFT_FRAG_HEADER + ns + s->sig_len;
	if (cap < total)
		return BFT_FRAG_E_SPACE;
	header(f, out);
	memcpy(out + BFT_FRAG_HEADER, f->samples, ns);
	/* Canonical: the caller's unused bits are cleared, not signed as given. */
	size_t used = (size_t)f->n * 2 * f->bits;
	if (used % 8)
		out[BFT_FRAG_HEADER + ns - 1] &= (uint8_t)((1u << (used % 8)) - 1);
	if (s->sign(s->ctx, f->node, out, BFT_FRAG_HEADER + ns, out + BFT_FRAG_HEADER + ns) < 0)
		return BFT_FRAG_E_SIG;
	if (len)
		*len = total;
	return 0;
}

int bft_fragment_decode(const uint8_t *buf, size_t len, size_t sig_len, bft_fragment *f)
{
	if (!buf || !f || len < BFT_FRAG_HEADER)
		return BFT_FRAG_E_SHORT;
	if (memcmp(buf, "BFSF", 4) != 0)
		return BFT_FRAG_E_MAGIC;
	if (buf[4] != BFT_FRAG_VERSION)
		return BFT_FRAG_E_VERSION;
	bft_fragment d = { 0 };
	d.bits = buf[5];
	d.node = rd32(buf + 8);
	d.seq = rd32(buf + 12);
	d.start_ns = (int64_t)rd64(buf + 16);
	d.stamp_err_ns = rd32(buf + 24);
	d.n = rd32(buf + 28);
	d.fs_mhz = rd64(buf + 32);
	d.centre_hz = rd64(buf + 40);
	d.bw_hz = rd32(buf + 48);
	d.height_mm = (int32_t)rd32(buf + 52);
	d.lat_ndeg = (int64_t)rd64(buf + 56);
	d.lon_ndeg = (int64_t)rd64(buf + 64);
	d.pos_err_mm = rd32(buf + 72);
	if (buf[6] || buf[7] || rd32(buf + 76) || !fields_ok(&d))
		return BFT_FRAG_E_FIELD;
	size_t ns = bft_fragment_samples_size(d.bits, d.n);
	if (len < BFT_FRAG_HEADER + ns + sig_len)
		return BFT_FRAG_E_SHORT;
	if (len > BFT_FRAG_HEADER + ns + sig_len)
		return BFT_FRAG_E_LENGTH;
	size_t used = (size_t)d.n * 2 * d.bits;
	if (used % 8 && buf[BFT_FRAG_HEADER + ns - 1] >> (used % 8))
		return BFT_FRAG_E_PADDING;
	d.samples = buf + BFT_FRAG_HEADER;
	*f = d;
	return 0;
}

int bft_fragment_open(const uint8_t *buf, size_t len, const bft_signer *s, bft_fragment *f)
{
	if (!s)
		return BFT_FRAG_E_SIG;
	int rc = bft_fragment_decode(buf, len, s->sig_len, f);
	if (rc)
		return rc;
	size_t body = len - s->sig_len;
	if (s->verify(s->ctx, f->node, buf, body, buf + body, s->sig_len) < 0)
		return BFT_FRAG_E_SIG;
	return 0;
}
