/* SPDX-License-Identifier: MIT */
/*
 * Reference clock models (see refclock.h). The NTP exchange is simulated in
 * true time and only the client's stamps go through its oscillator (the
 * world does that), so the server's lie and the path's asymmetry reach the
 * client exactly as they would over a real network.
 */
#include "sim/refclock.h"

#include <string.h>

#include <bftime/common.h>
#include <bftime/exchange.h>

#include "testkit/refmodel.h"
#include "proto/ntp.h"

/* bftimed's ntp driver (src/refclock/ntp.c, SERVER_RATE_PPB): the
 * server's rate error over its processing time t3 - t2 may be 10 %. */
#define WIRE_SERVER_RATE_PPB 100000
/* chronyd's `local stratum 1` refid: 127.127.1.1 ("LOCL" in older ones). */
static const uint8_t LOCAL_REFID[4] = { 0x7F, 0x7F, 0x01, 0x01 };

bool sim_ref_in_outage(const sim_ref_tmpl *r, int64_t now)
{
	for (size_t i = 0; i < r->n_outages; i++)
		if (now >= r->outages[i].from_ns && now < r->outages[i].to_ns)
			return true;
	return false;
}

static bool implausible_sky(const sim_scenario *s, const sim_ref_tmpl *r, int64_t now)
{
	for (size_t i = 0; i < s->n_gps_lies; i++) {
		const sim_gps_lie *l = &s->gps_lies[i];
		if (l->implausible && l->region == r->region && now >= l->from_ns && now < l->to_ns)
			return true;
	}
	return false;
}

void sim_gps_receiver(const sim_scenario *s, const sim_ref_tmpl *r, uint32_t node, int64_t now, int64_t fix_unix_ns,
                      bftd_gps_fix *fix, bftd_gps_sky *sky)
{
	enum { SATS = 10 };
	*fix = (bftd_gps_fix){ .time_ns = fix_unix_ns, .mode = 3, .have_pos = true,
	                       /* one antenna per node, somewhere on its region's meridian */
	                       .lat_deg = -60.0 + (double)(node % 120), .lon_deg = -170.0 + 20.0 * (double)(r->region % 17),
	                       .alt_m = 50.0 };
	memset(sky, 0, sizeof *sky);
	sky->valid = true;
	sky->n = SATS;
	sky->visible = SATS;
	sky->used = SATS - 1;
	sky->one_report = true;
	bool spoofed = implausible_sky(s, r, now);
	uint64_t sec = (uint64_t)(now / BFT_NS_PER_SEC);
	for (int i = 0; i < SATS; i++) {
		bftd_gps_sat *y = &sky->sat[i];
		y->prn = 2 * i + 1;
		y->gnss = BFTD_GNSS_GPS;
		y->used = i < SATS - 1;
		/* 17 k mod 20 differs for k = 1..10: no two satellites alike */
		y->snr = spoofed ? 45.0 : 28.0 + (double)(((uint64_t)y->prn * 17 + node + sec) % 20);
	}
}

bool sim_ref_is_liar(const sim_ref_tmpl *r, uint32_t inst, int64_t now)
{
	return inst < r->liars && now >= r->lie_from_ns && now < r->lie_to_ns;
}

bft_interval sim_gps_read(const sim_scenario *s, const sim_ref_tmpl *r, sim_rng *rng, int64_t now)
{
	double normal = sim_rng_normal(rng);
	int64_t lie = 0;
	for (size_t i = 0; i < s->n_gps_lies; i++) {
		const sim_gps_lie *l = &s->gps_lies[i];
		if (l->region == r->region && now < l->to_ns)
			lie += bft_refmodel_lie(l->from_ns, l->offset_ns, l->rate_ppb, now);
	}
	return bft_refmodel_gps_read(now, r->noise_ns, r->uncertainty_ns, normal, lie);
}

static int64_t one_way(const sim_ref_tmpl *r, sim_rng *rng, bool up)
{
	double j = sim_rng_exp(rng, (double)r->jitter_ns);
	if (j > (double)r->jitter_max_ns)
		j = (double)r->jitter_max_ns;
	return r->delay_ns + (int64_t)j + (up ? r->asym_ns : 0);
}

int64_t sim_ntp_serve(const sim_ref_tmpl *r, uint32_t inst, sim_rng *rng, int64_t t1_true, int64_t *t2, int64_t *t3)
{
	double u1 = sim_rng_unit(rng), u2 = sim_rng_unit(rng);
	int64_t d1 = one_way(r, rng, true), d2 = one_way(r, rng, false);
	int64_t recv = t1_true + d1, send = recv + r->hold_ns;
	int64_t lie = inst < r->liars && recv < r->lie_to_ns ? bft_refmodel_lie(r->lie_from_ns, r->lie_ns, r->lie_rate_ppb, recv)
	                                                     : 0;
	*t2 = recv + lie;
	*t3 = send + lie;
	if (u1 < r->loss || u2 < r->loss)
		return INT64_MIN;
	return send + d2;
}

/* chronyd's stamps (util.c, UTI_TimespecToNtp64 with UTI_GetNtp64Fuzz): the
 * bits of the 32.32 timestamp below the stated precision are replaced by
 * random ones, drawn afresh for each stamp. With a server that answers in
 * less than its precision, t3 < t2 about half the time. */
static uint64_t fuzzed_ts(int64_t unix_ns, int precision_log2, sim_rng *rng)
{
	uint64_t ts = bft_ntp_ts_from_unix_ns(unix_ns);
	int bits = 32 + precision_log2;
	uint64_t mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t x = (ts ^ (sim_rng_u64(rng) & mask));
	return x ? x : 1;
}

int64_t sim_ntp_serve_wire(const sim_ref_tmpl *r, uint32_t inst, sim_rng *rng, int64_t t1_true, int64_t epoch_ns,
                           uint64_t cookie, uint8_t pkt[SIM_NTP_PKT_LEN])
{
	int64_t t2, t3;
	int64_t at = sim_ntp_serve(r, inst, rng, t1_true, &t2, &t3);
	bft_ntp_packet k;
	memset(&k, 0, sizeof k);
	k.leap = BFT_NTP_LEAP_NONE;
	k.version = BFT_NTP_VERSION;
	k.mode = BFT_NTP_MODE_SERVER;
	k.stratum = 1;
	k.poll = 4;
	k.precision = (int8_t)r->precision_log2;
	k.root_delay = bft_ntp_short_from_ns(r->root_delay_ns);
	k.root_dispersion = bft_ntp_short_from_ns(r->root_dispersion_ns);
	memcpy(k.refid, LOCAL_REFID, sizeof k.refid);
	k.ref_ts = bft_ntp_ts_from_unix_ns(epoch_ns + t2 - BFT_NS_PER_SEC);
	k.origin_ts = cookie;
	k.receive_ts = fuzzed_ts(epoch_ns + t2, r->precision_log2, rng);
	k.transmit_ts = fuzzed_ts(epoch_ns + t3, r->precision_log2, rng);
	bft_ntp_encode(pkt, &k);
	return at;
}

int sim_ntp_interval_wire(int64_t rho_ppb, int64_t stamp_err_ns, const uint8_t pkt[SIM_NTP_PKT_LEN], uint64_t cookie,
                          int64_t t1, int64_t t4, int64_t pivot_unix_ns, bft_interval *out)
{
	bft_ntp_client_params p = { .rho_ppb = rho_ppb, .server_rate_ppb = WIRE_SERVER_RATE_PPB,
		                    .stamp_err_ns = stamp_err_ns };
	bft_ntp_sample smp;
	enum bft_ntp_reject why = bft_ntp_client_sample(&smp, pkt, SIM_NTP_PKT_LEN, cookie, t1, t4, pivot_unix_ns, &p);
	if (why != BFT_NTP_OK)
		return (int)why;
	*out = smp.iv;
	return 0;
}

bool sim_ntp_interval(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns, int64_t t1, int64_t t2,
                      int64_t t3, int64_t t4, bft_interval *out)
{
	bft_exchange_params p = { .dmin_ns = r->assume_dmin_ns, .dmax_ns = 0, .rho_ppb = rho_ppb,
		                  .stamp_err_ns = stamp_err_ns };
	bft_reading rd;
	if (bft_exchange_round_trip(&rd, &p, t1, t2, t3, t4) != 0)
		return false;
	/* offset = server - raw at t4, so true time (per the server) at raw t4: */
	*out = bft_iv_shift(rd.offset, t4);
	return true;
}

int64_t sim_ref_max_width(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns)
{
	if (r->kind == SIM_REF_GPS)
		return 2 * r->uncertainty_ns;
	/* Round-trip width: rtt - hold - 2 dmin_assumed + drift + stamp errors. */
	int64_t rtt = 2 * (r->delay_ns + r->jitter_max_ns) + r->asym_ns + r->hold_ns;
	int64_t w = rtt - r->hold_ns - 2 * r->assume_dmin_ns;
	if (!r->wire)
		return w + 2 * bft_drift_ns(rho_ppb, rtt) + 4 * stamp_err_ns;
	/* On the wire the server's stamps err by its precision too, the
	 * processing time by the server's rate error, and the interval is
	 * widened by the stated root distance on each side. */
	int64_t prec = (BFT_NS_PER_SEC >> -r->precision_log2) + 1;
	int64_t root = (r->root_delay_ns + 1) / 2 + r->root_dispersion_ns;
	return w + 2 * bft_drift_ns(rho_ppb, rtt) + 4 * (stamp_err_ns + prec) + bft_drift_ns(WIRE_SERVER_RATE_PPB, r->hold_ns) +
	       2 * root;
}
