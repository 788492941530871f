/* SPDX-License-Identifier: MIT */
/*
 * The solar reference's engine (solar.h): own blocks kept in a ring, a
 * signed quantised fragment cut from each block recorded in daylight, and
 * each peer's fragment verified, placed against the own block it overlaps,
 * correlated (src/core/xcorr.c) and turned into an interval of true time at
 * that block's raw stamp. Pure: no I/O, no clock read; the daemon's driver
 * (solar.c) and the simulator (sim/world.c) both run it.
 */
#include "refclock/solar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>
#include <bftime/fusion.h>

#include "core/xcorr.h"
#include "proto/fragment.h"
#include "refclock/solar_track.h"

struct block {
	bool used, night;
	int64_t raw_ns, raw_err_ns, pub_ns, pub_err_ns;
	double complex *x;
};

struct peer_last {
	uint32_t peer;
	int64_t raw_ns;
	bft_interval iv;
};

/* A peer's day-long checks (solar_track.h), allocated at its first reading. */
struct peer_track {
	uint32_t peer;
	bftd_solar_track *k;
};

/* Peers' recent fragments (unpacked), for the relay check: one per peer,
 * the RELAY_KEEP most recent peers. */
#define RELAY_KEEP 8
struct kept_frag {
	bool used;
	uint32_t node;
	double complex *x;
};

struct bftd_solar {
	struct kept_frag kept[RELAY_KEEP];
	size_t kept_next;
	bft_xcorr *xc2;         /* fragment against fragment (2 frag_n), relay check only */
	double complex *pad;    /* a kept fragment in the middle of 2 frag_n zeros */
	struct peer_last last[BFTD_SOLAR_MAX_PEERS];
	size_t n_last;
	struct peer_track tracks[BFTD_SOLAR_MAX_PEERS];
	size_t n_tracks;
	bftd_solar_params p;
	const bft_signer *signer;
	bft_vec3 ecef;
	bft_xcorr *xc;
	struct block *blocks;
	size_t next;            /* ring slot the next block goes to */
	double complex *frag;   /* a peer's fragment, unpacked */
	uint8_t *packed;
	bftd_solar_stats st;
};

const char *bftd_solar_strerror(int e)
{
	switch (e) {
	case BFTD_SOLAR_E_FRAGMENT: return "not a valid fragment, or its signature does not verify";
	case BFTD_SOLAR_E_BAND: return "another sample rate, band, quantisation or length than ours";
	case BFTD_SOLAR_E_NIGHT: return "the Sun is below the elevation mask at the peer's antenna or ours";
	case BFTD_SOLAR_E_NOBLOCK: return "no own recording covers the fragment within the search window";
	case BFTD_SOLAR_E_WEAK: return "no correlation above the detection threshold";
	case BFTD_SOLAR_E_EDGE: return "the correlation peak lies on the search window's edge";
	case BFTD_SOLAR_E_SELF: return "our own fragment";
	case BFTD_SOLAR_E_COPY: return "more correlation than two independent receivers allow: a copied fragment";
	case BFTD_SOLAR_E_FEW: return "fewer than 2f + 1 peers' fresh readings to fuse";
	case BFTD_SOLAR_E_FAULTS: return "the peers' readings share no point covered by all but f: more than f lie";
	case BFTD_SOLAR_E_POSITION:
		return "the peer's offsets follow the Sun's direction over the day: its antenna is not where it claims "
		       "(or its fragments are relayed from elsewhere)";
	case BFTD_SOLAR_E_SHIFT:
		return "the peer's offsets follow the geometric delay's rate: its fragments' stamps are shifted";
	default: return "error";
	}
}

static int64_t window_samples(const bftd_solar_params *p)
{
	return (int64_t)ceil((double)p->window_ns * 1e-9 * p->fs_hz) + 2;
}

int bftd_solar_create(bftd_solar **out, const bftd_solar_params *p, const bft_signer *signer, char *err,
                      size_t errlen)
{
	*out = NULL;
	const char *why = NULL;
	if (!(p->fs_hz >= 1e3 && p->fs_hz <= 1e9))
		why = "sample rate must be 1 kHz .. 1 GHz";
	else if (!(p->bw_hz > 0 && p->bw_hz <= p->fs_hz))
		why = "bandwidth must be > 0 and at most the sample rate";
	else if (!(p->centre_hz >= 1e6 && p->centre_hz < 1e12))
		why = "centre frequency must be 1 MHz .. 1 THz";
	else if (p->bits != 1 && p->bits != 2)
		why = "bits must be 1 or 2";
	else if (p->frag_n < BFT_FRAG_MIN_SAMPLES || p->frag_n > BFT_FRAG_MAX_SAMPLES)
		why = "fragment length must be 16 .. 65536 samples";
	else if (p->window_ns < 0 || (int64_t)p->block_n < (int64_t)p->frag_n + 2 * window_samples(p) + 8)
		why = "block must hold the fragment plus twice the search window";
	else if (p->block_n > (1u << 24))
		why = "block must be at most 16 Mi samples";
	else if (!(p->sun_frac_max >= 0 && p->sun_frac_max <= 1))
		why = "sun fraction bound must be in [0, 1]";
	else if (!(p->peer_frac_max >= 0 && p->peer_frac_max <= 1))
		why = "peers' sun fraction bound must be in [0, 1]";
	else if (!signer || !signer->sign || !signer->verify)
		why = "needs a signer";
	if (why) {
		snprintf(err, errlen, "solar: %s", why);
		return BFT_EINVAL;
	}
	bftd_solar *s = calloc(1, sizeof *s);
	if (!s)
		return BFT_ENOMEM;
	s->p = *p;
	if (s->p.keep_blocks == 0)
		s->p.keep_blocks = 1;
	s->signer = signer;
	s->ecef = bft_geodetic_to_ecef(p->pos);
	s->blocks = calloc(s->p.keep_blocks, sizeof *s->blocks);
	s->frag = malloc((size_t)p->frag_n * sizeof *s->frag);
	s->packed = malloc(bft_fragment_samples_size(p->bits, p->frag_n));
	s->xc = bft_xcorr_new(p->block_n);
	bool ok = s->blocks && s->frag && s->packed && s->xc;
	for (size_t i = 0; ok && i < s->p.keep_blocks; i++)
		ok = (s->blocks[i].x = malloc((size_t)p->block_n * sizeof *s->blocks[i].x)) != NULL;
	if (ok && p->peer_frac_max > 0 && p->peer_frac_max < 1) {
		s->xc2 = bft_xcorr_new(2 * (size_t)p->frag_n);
		s->pad = calloc(2 * (size_t)p->frag_n, sizeof *s->pad);
		ok = s->xc2 && s->pad;
		for (size_t i = 0; ok && i < RELAY_KEEP; i++)
			ok = (s->kept[i].x = malloc((size_t)p->frag_n * sizeof *s->kept[i].x)) != NULL;
	}
	if (!ok) {
		bftd_solar_destroy(s);
		snprintf(err, errlen, "solar: out of memory");
		return BFT_ENOMEM;
	}
	*out = s;
	return 0;
}

void bftd_solar_destroy(bftd_solar *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->blocks && i < s->p.keep_blocks; i++)
		free(s->blocks[i].x);
	free(s->blocks);
	free(s->frag);
	free(s->packed);
	for (size_t i = 0; i < s->n_tracks; i++)
		free(s->tracks[i].k);
	for (size_t i = 0; i < RELAY_KEEP; i++)
		free(s->kept[i].x);
	bft_xcorr_free(s->xc);
	bft_xcorr_free(s->xc2);
	free(s->pad);
	free(s);
}

const bftd_solar_stats *bftd_solar_get_stats(const bftd_solar *s) { return &s->st; }

void bftd_solar_set_node(bftd_solar *s, uint32_t node) { s->p.node = node; }

bool bftd_solar_sun_up(const bftd_solar *s, int64_t t_ns)
{
	return bft_sun_elevation_rad(s->p.pos, t_ns) >= s->p.mask_rad;
}

/* The fragment is the block's middle: a peer's lag then has room on both
 * sides within the block. */
static uint32_t frag_first(const bftd_solar_params *p) { return (p->block_n - p->frag_n) / 2; }

static int64_t samples_ns(double k, double fs_hz) { return (int64_t)llround(k * 1e9 / fs_hz); }

int bftd_solar_record(bftd_solar *s, const double complex *x, size_t n, int64_t raw_ns, int64_t raw_err_ns,
                      int64_t pub_ns, int64_t pub_err_ns, uint32_t seq, uint8_t *out, size_t cap, size_t *len)
{
	const bftd_solar_params *p = &s->p;
	if (n != p->block_n || raw_err_ns < 0 || pub_err_ns < 0)
		return BFT_EINVAL;
	struct block *b = &s->blocks[s->next];
	s->next = (s->next + 1) % p->keep_blocks;
	memcpy(b->x, x, n * sizeof *x);
	b->used = true;
	b->raw_ns = raw_ns;
	b->raw_err_ns = raw_err_ns;
	b->pub_ns = pub_ns;
	b->pub_err_ns = pub_err_ns;
	s->st.blocks++;
	uint32_t k = frag_first(p);
	int64_t start = pub_ns + samples_ns(k, p->fs_hz);
	b->night = !bftd_solar_sun_up(s, start);
	if (b->night) {
		s->st.night_blocks++;
		return 0;
	}
	if (bft_fragment_pack(x + k, p->frag_n, p->bits, s->packed) != 0)
		return BFT_EINVAL;
	bft_fragment f = { 0 };
	f.node = p->node;
	f.seq = seq;
	f.start_ns = start;
	/* +1 ns: the start rounded to whole ns */
	f.stamp_err_ns = pub_err_ns + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(pub_err_ns + 1);
	f.n = p->frag_n;
	f.fs_mhz = (uint64_t)llround(p->fs_hz * 1e3);
	f.centre_hz = (uint64_t)llround(p->centre_hz);
	f.bw_hz = (uint32_t)llround(p->bw_hz);
	f.height_mm = (int32_t)lround(p->pos.height_m * 1e3);
	f.lat_ndeg = llround(p->pos.lat_rad * 180.0 / M_PI * 1e9);
	f.lon_ndeg = llround(p->pos.lon_rad * 180.0 / M_PI * 1e9);
	f.pos_err_mm = (uint32_t)fmin(4e9, ceil(p->pos_err_m * 1e3));
	f.bits = p->bits;
	f.samples = s->packed;
	if (bft_fragment_encode(&f, s->signer, out, cap, len) != 0)
		return BFT_EINVAL;
	s->st.published++;
	return 1;
}

/* The predicted arrival here minus at the peer's antenna: geometry and the
 * troposphere's model; *err_s its error bound (ephemeris, positions, the
 * troposphere's residual and the ionosphere, each the larger of the two
 * antennas': both delays are positive, so their difference is bounded by
 * the larger one). */
static double predicted_delay(const bftd_solar *s, bft_geodetic peer, double peer_pos_err_m, int64_t t_ns,
                              double *err_s)
{
	bft_vec3 pe = bft_geodetic_to_ecef(peer);
	double el_own = bft_sun_elevation_rad(s->p.pos, t_ns), el_peer = bft_sun_elevation_rad(peer, t_ns);
	double d = bft_sun_delay_s(s->ecef, pe, t_ns) + bft_tropo_delay_s(el_own, s->p.pos.height_m) -
	           bft_tropo_delay_s(el_peer, peer.height_m);
	*err_s = bft_sun_delay_err_s(s->ecef, pe, s->p.pos_err_m, peer_pos_err_m) +
	         bft_tropo_diff_bound_s(el_own, s->p.pos.height_m, el_peer, peer.height_m) +
	         fmax(bft_iono_bound_s(el_own, s->p.centre_hz, s->p.tec_max_tecu),
	              bft_iono_bound_s(el_peer, s->p.centre_hz, s->p.tec_max_tecu));
	return d;
}

/* Only readings of own blocks stamped within this of true time join the
 * series: the offsets are against our published clock, which must hold
 * still over the hours (a node whose clock was still finding true time
 * moved by milliseconds and found honest peers false). */
#define TRACK_MAX_STAMP_ERR_NS 10000

/* The peer's slot in the tracks, or n_tracks when it has none. */
static size_t track_of(const bftd_solar *s, uint32_t peer)
{
	size_t k = 0;
	while (k < s->n_tracks && s->tracks[k].peer != peer)
		k++;
	return k;
}

static int track_verdict(const bftd_solar *s, uint32_t peer)
{
	size_t k = track_of(s, peer);
	return k < s->n_tracks && s->tracks[k].k->verdict != BFTD_SOLAR_HONEST;
}

/* The peer's series (allocated at its first reading; a table full of peers
 * leaves newcomers unchecked, as the fusion's table does): add the reading,
 * run the checks when due. 0, or the cheat's code (counted once when found,
 * then at every reading refused), the peer dropped from the fusion. */
static int track_reading(bftd_solar *s, const bft_fragment *f, bft_geodetic gp, int64_t off_ns, double sigma_s,
                         int64_t own_stamp_err_ns)
{
	size_t k = track_of(s, f->node);
	if (k == s->n_tracks) {
		if (k == BFTD_SOLAR_MAX_PEERS)
			return 0;
		bftd_solar_track *t = calloc(1, sizeof *t);
		if (!t)
			return 0;
		s->tracks[s->n_tracks++] = (struct peer_track){ f->node, t };
	}
	bftd_solar_track *t = s->tracks[k].k;
	enum bftd_solar_cheat before = t->verdict;
	double au;
	bft_vec3 d = bft_sun_dir_ecef(f->start_ns, &au);
	double dir[3] = { d.x, d.y, d.z };
	double rate = bft_sun_delay_rate(s->ecef, bft_geodetic_to_ecef(gp), f->start_ns);
	/* Within what the errors both sides claim allow, no cheat: a clock
	 * error within its stamps' stated bound can follow the Sun's direction
	 * too (a node whose time comes from the solar reference inherits its
	 * peers' geometry), so both published stamps' bounds (the offset is
	 * between the two) count as distance at the speed of light, beside the
	 * positions' (3x). */
	double stamps_s = ((double)f->stamp_err_ns + (double)own_stamp_err_ns) * 1e-9;
	double tol_m = 3 * (s->p.pos_err_m + (double)f->pos_err_mm * 1e-3) + BFT_C_M_S * stamps_s + 1;
	double tol_s = 3 * stamps_s + 1e-9;
	enum bftd_solar_cheat v = bftd_solar_track_add(t, f->start_ns, off_ns, sigma_s, dir, rate, tol_m, tol_s);
	if (v == BFTD_SOLAR_HONEST)
		return 0;
	if (before == BFTD_SOLAR_HONEST) {
		if (v == BFTD_SOLAR_POSITION)
			s->st.position_cheats++;
		else
			s->st.shift_cheats++;
		for (size_t i = 0; i < s->n_last; i++)
			if (s->last[i].peer == f->node) {
				s->last[i] = s->last[--s->n_last];
				break;
			}
	}
	s->st.cheat_refused++;
	return v == BFTD_SOLAR_POSITION ? BFTD_SOLAR_E_POSITION : BFTD_SOLAR_E_SHIFT;
}

/*
 * The relay check (peer_frac_max set): does the fragment just unpacked
 * (s->frag) correlate with another peer's recent fragment beyond what two
 * receivers can? Two stations share only the Sun's noise, at most a fraction
 * f of each one's power, so their samples correlate at most sqrt(f_a f_b)
 * (full visibility) and quantisation only lowers that: an odd quantiser's
 * output correlation is a sum of odd powers of the input's with weights
 * summing to 1, so it never exceeds it (Hermite expansion; 1 bit: (2/pi)
 * arcsin rho <= rho). A fragment whose samples are another's (relayed, its
 * sender's name, stamp or position changed) correlates at 1, less the
 * estimate's noise. Searched over shifts of up to a quarter fragment either
 * way, whatever the stamps claim. Without the bound (0: unknown) nothing is
 * checked: with f = 1 two receivers could see the same samples. The first
 * of a pair to arrive is kept; a relay that wins the race takes its
 * victim's place at this verifier, as one reading (docs/solar.md). Then the
 * fragment is kept for the next ones (its peer's latest replaces the older).
 */
static bool relayed(bftd_solar *s, uint32_t node)
{
	if (!s->xc2)
		return false;
	size_t n = s->p.frag_n, q = n / 2;
	bft_xcorr_params xp = { q - q / 2, q + q / 2, s->p.bw_hz / s->p.fs_hz, 0 };
	for (size_t i = 0; i < RELAY_KEEP; i++) {
		const struct kept_frag *k = &s->kept[i];
		if (!k->used || k->node == node)
			continue;
		memcpy(s->pad + q, k->x, n * sizeof *s->pad);
		bft_xcorr_result r;
		if (bft_xcorr_run(s->xc2, s->pad, 2 * n, s->frag, n, &xp, &r) == 0 && r.rho_low > s->p.peer_frac_max)
			return true;
	}
	size_t slot = s->kept_next;
	for (size_t i = 0; i < RELAY_KEEP; i++)
		if (s->kept[i].used && s->kept[i].node == node)
			slot = i;
	if (slot == s->kept_next)
		s->kept_next = (s->kept_next + 1) % RELAY_KEEP;
	s->kept[slot].used = true;
	s->kept[slot].node = node;
	memcpy(s->kept[slot].x, s->frag, n * sizeof *s->frag);
	return false;
}

int bftd_solar_on_fragment(bftd_solar *s, const uint8_t *buf, size_t len, bftd_solar_reading *out)
{
	const bftd_solar_params *p = &s->p;
	bft_fragment f;
	s->st.received++;
	if (bft_fragment_open(buf, len, s->signer, &f) != BFT_FRAG_OK) {
		s->st.refused_fragment++;
		return BFTD_SOLAR_E_FRAGMENT;
	}
	if (f.node == p->node)
		return BFTD_SOLAR_E_SELF;
	if (f.fs_mhz != (uint64_t)llround(p->fs_hz * 1e3) || f.centre_hz != (uint64_t)llround(p->centre_hz) ||
	    f.n != p->frag_n) {
		s->st.refused_band++;
		return BFTD_SOLAR_E_BAND;
	}
	bft_geodetic gp = { (double)f.lat_ndeg * 1e-9 * M_PI / 180.0, (double)f.lon_ndeg * 1e-9 * M_PI / 180.0,
		            (double)f.height_mm * 1e-3 };
	if (bft_sun_elevation_rad(gp, f.start_ns) < p->mask_rad || !bftd_solar_sun_up(s, f.start_ns)) {
		s->st.refused_night++;
		return BFTD_SOLAR_E_NIGHT;
	}
	double delay_err;
	double delay = predicted_delay(s, gp, (double)f.pos_err_mm * 1e-3, f.start_ns, &delay_err);
	/* The own block the fragment's wavefront reached within the window: its
	 * sample m saw the peer's sample n when m = n + lag, lag near expect. */
	/* The window: ours plus the peer's stated stamp error and our block's
	 * (a receiver's read latency is in both). When that does
	 * not fit in the block (a peer free-running for long states
	 * milliseconds), the widest one the block holds is searched, at least
	 * our configured window: a lag outside it gives no peak above the
	 * threshold (or one on the edge), never a false reading, and the
	 * interval is made from the lag found and both stamps' stated errors,
	 * whatever window found it. */
	int64_t w_cfg = window_samples(p), w_peer = w_cfg + (int64_t)ceil((double)f.stamp_err_ns * 1e-9 * p->fs_hz);
	int64_t w = w_peer;
	const struct block *b = NULL;
	double expect = 0;
	for (size_t i = 0; i < p->keep_blocks && !b; i++) {
		const struct block *c = &s->blocks[i];
		if (!c->used || c->night)
			continue;
		w = w_peer + (int64_t)ceil((double)c->pub_err_ns * 1e-9 * p->fs_hz);
		double e = ((double)(f.start_ns - c->pub_ns) * 1e-9 + delay) * p->fs_hz;
		double room = fmin(e, (double)p->block_n - (double)p->frag_n - e);
		if (room >= (double)(w < w_cfg ? w : w_cfg)) {
			b = c, expect = e;
			if ((double)w > room)
				w = (int64_t)floor(room);
		}
	}
	if (!b) {
		s->st.no_block++;
		return BFTD_SOLAR_E_NOBLOCK;
	}
	bft_fragment_unpack(f.samples, f.n, f.bits, s->frag);
	if (relayed(s, f.node)) {
		s->st.copies++;
		s->st.relays++;
		return BFTD_SOLAR_E_COPY;
	}
	bft_xcorr_params xp = { (size_t)floor(expect - (double)w), (size_t)ceil(expect + (double)w), p->bw_hz / p->fs_hz,
		                0 };
	if (xp.lag_max + p->frag_n > p->block_n)
		xp.lag_max = p->block_n - p->frag_n;
	bft_xcorr_result r;
	int rc = bft_xcorr_run(s->xc, b->x, p->block_n, s->frag, f.n, &xp, &r);
	if (rc == BFT_XCORR_E_WEAK) {
		s->st.weak++;
		return BFTD_SOLAR_E_WEAK;
	}
	if (rc == BFT_XCORR_E_EDGE) {
		s->st.edge++;
		return BFTD_SOLAR_E_EDGE;
	}
	if (rc != 0)
		return BFTD_SOLAR_E_NOBLOCK;
	/* A copy of a recording carries its receiver noise: at most
	 * sqrt(f_own f_peer) times the quantisation's gain can correlate
	 * between two receivers (full visibility): anything above is no
	 * independent recording. The peer's f is taken as 1 (it cannot be
	 * checked); ours is sun_frac_max when configured, else 1, and then a
	 * 2-bit copy of our own recording (rho = the gain) passes: the
	 * fractions measured are in docs/results.md (solar-copy). */
	double f_own = p->sun_frac_max > 0 && p->sun_frac_max < 1 ? p->sun_frac_max : 1.0;
	if (bft_solar_copy_suspect(r.rho_low, f_own, 1.0, 1.0, f.bits == 1 ? BFT_QUANT1_GAIN : BFT_QUANT2_GAIN)) {
		s->st.copies++;
		return BFTD_SOLAR_E_COPY;
	}
	bft_solar_reading_in in = {
		.t0_own_ns = b->pub_ns,
		.t0_peer_ns = f.start_ns,
		.fs_hz = p->fs_hz,
		.lag = r.lag,
		.sigma_samples = r.sigma_crb,
		.k_sigma = BFT_SOLAR_K_SIGMA,
		.delay_s = delay,
		.delay_err_s = delay_err,
		.stamp_err_own_ns = b->raw_err_ns,
		.stamp_err_peer_ns = f.stamp_err_ns,
		.rate_err_ppb = p->rate_err_ppb,
		.span_s = fabs((double)(f.start_ns - b->pub_ns)) * 1e-9 + (double)p->block_n / p->fs_hz,
	};
	bft_interval o = bft_solar_offset_interval(&in);
	if (!bft_iv_valid(o)) {
		s->st.edge++;
		return BFTD_SOLAR_E_EDGE;
	}
	/* The day-long checks (solar_track.h): the reading joins its peer's
	 * series; a peer proven to cheat gives no reading again. */
	/* Each reading's error for the fits: a third of its interval's
	 * half-width, which holds both clocks' stamp errors and the geometry's,
	 * not the correlation's alone (a few ns): an honest peer's clock
	 * wandering within its stated bound over the hours must never read
	 * as a position or a shift. */
	double sig = fmax((double)(o.hi_ns - o.lo_ns) * 0.5e-9 / 3, r.sigma_crb / p->fs_hz);
	int cheat = 0;
	if (b->pub_err_ns <= TRACK_MAX_STAMP_ERR_NS || track_verdict(s, f.node))
		cheat = track_reading(s, &f, gp, bft_iv_mid(o), sig, b->pub_err_ns);
	if (cheat)
		return cheat;
	memset(out, 0, sizeof *out);
	out->peer = f.node;
	out->raw_ns = b->raw_ns;
	out->iv = bft_iv_shift(o, b->pub_ns);
	out->offset_ns = bft_iv_mid(o);
	out->half_ns = (o.hi_ns - o.lo_ns + 1) / 2;
	out->lag = r.lag;
	out->rho = r.rho;
	out->snr = r.snr;
	out->elev_deg = bft_sun_elevation_rad(p->pos, f.start_ns) * 180.0 / M_PI;
	s->st.readings++;
	/* The peer's latest, for the fusion; a table full of peers keeps the
	 * ones it has (a new peer's readings still count one by one). */
	size_t k = 0;
	while (k < s->n_last && s->last[k].peer != f.node)
		k++;
	if (k == s->n_last) {
		if (k < BFTD_SOLAR_MAX_PEERS)
			s->last[s->n_last++] = (struct peer_last){ f.node, out->raw_ns, out->iv };
	} else if (s->last[k].raw_ns <= out->raw_ns) {
		s->last[k].raw_ns = out->raw_ns;
		s->last[k].iv = out->iv;
	}
	return 0;
}

int bftd_solar_fuse(bftd_solar *s, size_t f, int64_t rho_ppb, int64_t now_raw_ns, int64_t max_age_ns, int64_t *raw_ns,
                    bft_interval *iv, size_t *n_used)
{
	bft_interval ivs[BFTD_SOLAR_MAX_PEERS];
	int64_t newest = INT64_MIN;
	for (size_t i = 0; i < s->n_last; i++)
		if (s->last[i].raw_ns >= now_raw_ns - max_age_ns && s->last[i].raw_ns > newest)
			newest = s->last[i].raw_ns;
	size_t n = 0;
	for (size_t i = 0; i < s->n_last && newest != INT64_MIN; i++) {
		const struct peer_last *l = &s->last[i];
		if (l->raw_ns < now_raw_ns - max_age_ns)
			continue;
		/* raw elapsed e: true time elapsed e +- drift(e) */
		int64_t e = newest - l->raw_ns, d = bft_drift_ns(rho_ppb, e) + 1;
		ivs[n++] = bft_iv(bft_sat_sub(bft_sat_add(l->iv.lo_ns, e), d), bft_sat_add(bft_sat_add(l->iv.hi_ns, e), d));
	}
	if (n < 2 * f + 1) {
		s->st.fuse_few++;
		return BFTD_SOLAR_E_FEW;
	}
	int64_t scratch[8 * BFTD_SOLAR_MAX_PEERS + 16];
	if (bft_fusion_scratch_bytes(n) > sizeof scratch)
		return BFTD_SOLAR_E_FEW;
	bft_fusion_result r;
	if (bft_fusion_marzullo(&r, ivs, n, f, scratch) != 0) {
		s->st.fuse_faults++;
		return BFTD_SOLAR_E_FAULTS;
	}
	*raw_ns = newest;
	*iv = r.iv;
	*n_used = n;
	s->st.fused++;
	return 0;
}
