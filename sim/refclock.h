/* SPDX-License-Identifier: MIT */
/*
 * Simulated reference clocks. A reading is delivered to the node as an
 * interval of true time at the node's raw time, exactly as a driver would
 * (bft_node_on_reference).
 *  - GPS-like: true time + Gaussian noise truncated at the stated
 *    uncertainty, so the honest interval [reading - u, reading + u] always
 *    holds the truth; outages; a regional lie (spoofer, operator) shifts
 *    every receiver of that region by one common offset from a given time.
 *  - NTP-server-like: a real round trip through a simulated path (one-way
 *    delay = delay + exponential jitter, truncated), server stamps on a
 *    clock that may lie, turned into an interval by bft_exchange_round_trip with the
 *    client's assumed minimum delay: the same computation a client makes.
 *    With `wire: true` the reply is a real NTP packet stamped as chronyd
 *    stamps (random bits below the stated precision, stated root delay and
 *    dispersion) and the client is bftimed's own packet code.
 * Servers are shared: instance k of a reference template is the same server
 * (the same lie) for every node that polls it.
 */
#ifndef SIM_REFCLOCK_H
#define SIM_REFCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <bftime/interval.h>

#include "refclock/gps_guard.h"
#include "sim/rng.h"
#include "sim/scenario.h"

bool sim_ref_in_outage(const sim_ref_tmpl *r, int64_t now);
bool sim_ref_is_liar(const sim_ref_tmpl *r, uint32_t inst, int64_t now);

/* GPS: the interval of true time a receiver reports at true time now. */
bft_interval sim_gps_read(const sim_scenario *s, const sim_ref_tmpl *r, sim_rng *rng, int64_t now);

/* What node's receiver of r says besides the time at true time now: its fix
 * (mode 3, naming fix_unix_ns, a fixed antenna's position) and its sky (ten
 * GPS satellites, nine in the solution, C/N0 spread over 28..47 dB-Hz as a
 * real sky's is). A spoofer with an implausible sky on r's region
 * (gps_lies' implausible) sends every satellite at one strength, which the
 * drivers' checks (src/refclock/gps_guard.h) flag. Deterministic: no
 * random draw, so the readings' noise is the same with or without it. */
#define SIM_GPS_MAX_MOVE_M 100
void sim_gps_receiver(const sim_scenario *s, const sim_ref_tmpl *r, uint32_t node, int64_t now, int64_t fix_unix_ns,
                      bftd_gps_fix *fix, bftd_gps_sky *sky);

/* NTP: the server side of an exchange whose request leaves at true time
 * t1_true. Fills the server's receive and send stamps and returns the true
 * time at which the response arrives, or INT64_MIN when a packet is lost. */
int64_t sim_ntp_serve(const sim_ref_tmpl *r, uint32_t inst, sim_rng *rng, int64_t t1_true, int64_t *t2,
                      int64_t *t3);
/* The client's side: interval of true time at raw t4, or false if the
 * timestamps are inconsistent with the assumptions (counted by the caller). */
bool sim_ntp_interval(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns, int64_t t1, int64_t t2,
                      int64_t t3, int64_t t4, bft_interval *out);

/* The same exchange on the wire (wire: true): the server's reply as a
 * 48-byte NTP packet, stamped as chronyd stamps (bits below the stated
 * precision random), answering the request whose transmit stamp was
 * cookie; and the client's side, bftimed's own bft_ntp_client_sample: 0 and
 * the interval of true time at raw t4, or the reason it refused the reply
 * (enum bft_ntp_reject). */
#define SIM_NTP_PKT_LEN 48
int64_t sim_ntp_serve_wire(const sim_ref_tmpl *r, uint32_t inst, sim_rng *rng, int64_t t1_true, int64_t epoch_ns,
                           uint64_t cookie, uint8_t pkt[SIM_NTP_PKT_LEN]);
int sim_ntp_interval_wire(int64_t rho_ppb, int64_t stamp_err_ns, const uint8_t pkt[SIM_NTP_PKT_LEN], uint64_t cookie,
                          int64_t t1, int64_t t4, int64_t pivot_unix_ns, bft_interval *out);

/* Widest honest interval this reference can produce (for the bounds). */
int64_t sim_ref_max_width(const sim_ref_tmpl *r, int64_t rho_ppb, int64_t stamp_err_ns);

#endif
