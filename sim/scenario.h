/* SPDX-License-Identifier: MIT */
/*
 * A scenario: everything a run needs, loaded from YAML (docs/simulator.md
 * has the schema). Plain data, owned by the sim_scenario object; the loader
 * reports errors as file:line: message and never exits.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testkit/adversary.h"
#include "node/node.h"

/* A set of node ids: every node, an explicit list, a count (placed by the
 * world: the last ids, or spread evenly around the peer ring) or a fraction. */
enum sim_set_kind { SIM_SET_NONE, SIM_SET_ALL, SIM_SET_LIST, SIM_SET_COUNT, SIM_SET_FRACTION };
typedef struct sim_set {
	enum sim_set_kind kind;
	uint32_t *ids; /* SIM_SET_LIST, sorted */
	size_t n_ids;
	size_t count;
	double fraction;
	bool spread;   /* COUNT/FRACTION: every k-th node in ring order, not the last ids */
	size_t per_nbhd; /* {per_neighbourhood: f}: a maximal set with at most f members among any node's
	                  * peers (f-local), grown greedily in random order (spread) or breadth-first from
	                  * a random node (clustered: placement: clustered) */
	bool clustered;
	unsigned line; /* where it was written (for errors found when resolving it) */
} sim_set;

enum { SIM_TOPO_RING = 0, SIM_TOPO_RANDOM_REGULAR, SIM_TOPO_SMALL_WORLD };

typedef struct sim_window {
	int64_t from_ns, to_ns;
} sim_window;

enum sim_ref_kind { SIM_REF_GPS, SIM_REF_NTP };

typedef struct sim_ref_tmpl {
	enum sim_ref_kind kind;
	sim_set nodes;
	size_t count;          /* instances per node (NTP: count distinct servers) */
	int64_t poll_ns;
	int64_t phase_ns;      /* first poll after start; default random in [0, poll) */
	/* GPS */
	int64_t noise_ns;      /* standard deviation, truncated at uncertainty */
	int64_t uncertainty_ns;
	uint32_t region;
	/* NTP */
	int64_t delay_ns, jitter_ns, jitter_max_ns, asym_ns, hold_ns;
	int64_t assume_dmin_ns; /* what the client assumes; -1 = delay_ns */
	double loss;
	size_t liars;          /* first `liars` instances lie */
	int64_t lie_ns;
	int64_t lie_from_ns;
	int64_t lie_to_ns;     /* the liars tell the truth again from here (default never) */
	int64_t lie_rate_ppb;  /* lie grows at this rate after lie_from (walk-away) */
	sim_window *outages;
	size_t n_outages;
	/* The server as a real NTP server states itself (NTP only). wire: the
	 * reply is encoded as an NTP packet and the client's interval is
	 * computed by bft_ntp_client_sample, bftimed's own code. precision
	 * (log2 s): the server randomizes the bits of its receive and transmit
	 * stamps below it, as chronyd does; root_delay/root_dispersion: what it
	 * states (chronyd `local stratum 1`: 0 and 0). */
	bool wire;
	int precision_log2;    /* wire: the stated precision (default -30); stamps fuzzed below it */
	bool has_precision;
	int64_t root_delay_ns, root_dispersion_ns;
	/* The poll schedule of bftimed's ntp driver: `burst` quick polls
	 * `burst_gap` apart after the first (a sixteenth of the interval when
	 * that is shorter but at least 1 s and at most the interval, as the
	 * driver spaces them), then every interval plus a
	 * uniform extra of up to poll_jitter * interval (0: none); the
	 * interval starts at poll_start (default poll) and doubles, up to
	 * poll, after poll_grow_after good replies in a row (a query left
	 * unanswered starts the count over), as chronyd climbs to maxpoll.
	 * For the first poll_burst_for after its first query each poll is a
	 * burst of poll_burst queries burst_gap apart, the last at the poll's
	 * time (the driver's `burst` and `burst_for`; 0: none). */
	size_t burst;
	int64_t burst_gap_ns;
	size_t poll_burst;
	int64_t poll_burst_for_ns;
	double poll_jitter;
	int64_t poll_start_ns;
	size_t poll_grow_after;
} sim_ref_tmpl;

typedef struct sim_gps_lie {
	uint32_t region;
	int64_t from_ns, to_ns, offset_ns, rate_ppb; /* lies in [from, to) */
	bool implausible; /* the spoofer's sky is implausible: the receiver's driver flags every reading */
} sim_gps_lie;

typedef struct sim_partition {
	int64_t from_ns, to_ns;
	sim_set nodes; /* one side; the rest is the other */
	sim_set except; /* nodes of the other side still linked to this side (an eclipse: the
	                 * side is one node, except its attackers) */
} sim_partition;

typedef struct sim_mitm {
	sim_set from, to;      /* directed links from any of `from` to any of `to` */
	int64_t extra_ns;
	int64_t start_ns, end_ns;
} sim_mitm;

typedef struct sim_temp_step {
	sim_set nodes;
	int64_t at_ns;
	double ppb;
} sim_temp_step;

/* A set of nodes lying by one strategy (src/testkit/adversary.h, which bftimed's
 * `byzantine:` section runs too). */
typedef struct sim_adversary {
	bft_adversary lie;
	sim_set nodes;
	unsigned line;
} sim_adversary;

/* The system clock a daemon steers (bftimed's exports.adjtimex), modelled
 * per honest node when `system_clock:` is given: it starts `offset` from
 * true time on the node's oscillator; at every estimate and every `update`
 * (raw time) after the last one it is set to run at the node's fitted
 * frequency plus (estimate - system) / tau, capped at max_slew, stepped
 * forward (never back) beyond `step`, and left alone while the node is
 * unsynchronized; in the alarm it runs at the fitted frequency alone. */
typedef struct sim_sysclock {
	bool on;
	int64_t offset_ns;   /* system - true at t = 0 */
	int64_t tau_ns;      /* proportional time constant */
	int64_t update_ns;   /* refresh period between estimates */
	int64_t step_ns;     /* step forward beyond this */
	int64_t max_slew_ppb;
} sim_sysclock;

/* Byzantine miners of the Nakamoto engine (scenario nakamoto.byzantine):
 * the node's own TEST-ONLY misbehaviour (node.h, bft_node_nk_config). They
 * are not honest nodes: the metrics leave them out. */
typedef struct sim_nk_byz {
	sim_set nodes;
	int64_t offset_ns;   /* stated offsets this far off (implausible beyond agree) */
	double hash;         /* hash power, times an honest node's */
	size_t withhold;     /* keep this many own blocks private, then release them */
	bool selfish;        /* Eyal-Sirer selfish mining (node.h byz_selfish) */
	bool timewarp;       /* time-warp timestamps (node.h byz_timewarp) */
	unsigned line;
} sim_nk_byz;

/* The Nakamoto engine's settings (scenario nakamoto:, engine: nakamoto). */
typedef struct sim_nk {
	int64_t interval_ns, step_ns, agree_ns, stmt_age_ns, future_ns, orphan_ttl_ns;
	int64_t tau_phase_ns, tau_ref_ns, drift_ppb, ref_slew_ppb, max_ppb;
	uint64_t difficulty;
	size_t retarget, hashes, window, slots, orphans, archive, min_stmts;
	size_t relay_hops; /* statements relayed this many hops beyond the author's peers (node.h) */
	bool poisson;        /* mining: poisson (docs/nakamoto.md "Poisson mining"); false: real hashing */
	sim_nk_byz *byz;
	size_t n_byz;
} sim_nk;

typedef struct sim_expect {
	bool has_containment;
	double containment;        /* at least */
	int alarm;                 /* -1: no expectation, 0/1 */
	bool precision_within_bound, accuracy_within_bound;
	int64_t max_worst_error_ns; /* 0: none */
	int64_t max_precision_ns;   /* 0: none */
	int64_t max_clock_error_ns; /* 0: none; the disciplined clock (time_ns), not the estimate */
	double min_alarm_fraction;  /* 0: none; at least this fraction of honest nodes alarmed */
	uint64_t min_quarantines;   /* 0: none; honest nodes quarantined a reference at least this often */
	uint64_t min_readmissions;  /* 0: none; and readmitted one at least this often */
	double find_sigmas;         /* nakamoto poisson: Poisson finds within this many standard deviations
	                             * of the count the configured rate gives (0: not checked) */
	double find_rate[2];        /* nakamoto poisson: finds per configured block interval of the run
	                             * within [lo, hi] (hi 0: not checked) */
	uint64_t max_tips;          /* nakamoto: distinct best tips among honest nodes at the end at most this (0: not checked) */
	uint64_t medians;           /* nakamoto: every honest node ends with a consensus for at least this many references */
	double min_statements;      /* nakamoto: the honest nodes' consensus (first reference) holds at least this many statements, mean (0: no check) */
	double max_stale;           /* nakamoto: the first honest node's stale rate at most this (< 0: not checked) */
	int64_t max_lies_in_best;   /* nakamoto: offset-lying miners' statements in any honest best chain at most
	                             * this (< 0: not checked) */
	bool unsynced_ok;           /* honest nodes may stay unsynchronized after warmup */
	/* The network clock (docs/internal-sync.md) */
	bool net_precision_within_bound; /* after warmup, the honest clocks' spread <= the largest bound they state */
	double min_agreed_fraction;      /* 0: none; honest samples after warmup AGREED or synchronized */
	int64_t max_net_precision_ns;    /* 0: none; the honest clocks' spread after warmup */
	char **must_violate;        /* self-checks: each must match (substring) a violation, which */
	size_t n_must_violate;      /* is then expected (not counted); any other still fails */
} sim_expect;

/* The solar reference (sim/solar.c, docs/solar.md): antennas on the given
 * nodes, on an east-west line `spacing` apart from (latitude, longitude),
 * the `night` ones at the antipode; every `every` each antenna in daylight
 * records a block of simulated solar noise (quiet Sun of `flux`, dishes,
 * T_sys) stamped on its node's raw clock and estimate, and the nodes run
 * the solar engine (src/refclock/solar.h) on each other's fragments, fused
 * tolerating peers_f liars. `liars` publish fragments stamped `lie` off from
 * `lie_from` on. An unsynchronized node publishes nothing and places its
 * search window by a coarse clock within `coarse` of true time, which the
 * window must cover. */
typedef struct sim_solar_cfg {
	bool on;
	sim_set nodes, night, liars;
	sim_set copiers;         /* publish a copy of another antenna's fragment as their own (no antenna of their own used) */
	double sun_fraction;     /* the engines' copy-check bound on their own T_sun / (T_sun + T_sys); 0: unknown */
	double peer_sun_fraction; /* the engines' relay-check bound on any peer's; 0: unknown (no check) */
	double lat_deg, lon_deg, spacing_m, flux_sfu, dish_m, t_sys_k, mask_deg, tec_max, fs_hz, bw_frac;
	double lie_position_m; /* liars claim an antenna this far north of their real one (0: their own) */
	size_t frag_n, block_n, bits, peers_f;
	int64_t every_ns, stamp_err_ns, lie_ns, lie_from_ns, window_ns;
	int64_t coarse_ns; /* an unsynchronized node's coarse clock (OS clock set by NTP): within this of true */
	/* The world's harder parts (sim/solar.c; 0 turns each off): per-station
	 * T_sys and dish spreads (fractions), each block's start `start_jitter`
	 * early at most, stamps erring within stamp_uncertainty
	 * (`stamp_errors`), the atmosphere (per-site wet zenith delay up to
	 * `wet_max`, hydrostatic model error, TEC per site with `tec_jitter`
	 * per block), and `sites` sites `site_spacing` apart north-south (or east-west:
	 * `site_direction: east`). */
	double t_sys_spread, dish_spread, wet_max_m, tec_jitter;
	bool stamp_errors, atmosphere;
	int64_t start_jitter_ns;
	size_t sites;
	double site_spacing_m;
	bool sites_east; /* site_direction: east: the sites along the parallel, east of the first (else north) */
	/* Radio bursts (0 per hour: the quiet Sun throughout): starts a Poisson
	 * process at bursts_per_hour, each lasting an exponential time of mean
	 * burst_duration, its T_sun up to a peak factor drawn log-uniformly in
	 * [10, burst_factor]: a rise over its first tenth, then an exponential
	 * decay (a third of its length). Every antenna sees the same burst. */
	double bursts_per_hour, burst_factor;
	int64_t burst_duration_ns;
} sim_solar_cfg;

typedef struct sim_scenario {
	char *path;
	char *name;
	char *description;
	uint64_t seed;
	int64_t duration_ns, warmup_ns, sample_ns;
	size_t nodes;
	bool ed25519;
	bool compare_honest;   /* also run the world without any lie and report the ratio */
	/* node */
	enum bft_engine_kind engine;
	enum bft_fusion_alg alg;
	size_t f;
	int64_t poll_ns;
	size_t peers;          /* 0 = full mesh */
	int topology;          /* SIM_TOPO_*: how `peers: k` neighbours are chosen */
	double rewire;         /* small_world: fraction of edges swapped at random */
	bool no_peers;         /* peers: none */
	int64_t node_dmin_ns, node_dmax_ns, stamp_err_ns, max_err_ns, max_age_ns;
	int64_t rho_ppb;
	bool rho_given;        /* node.rho_ppm stated (else the default, or bftimed's) */
	bool bftimed_defaults; /* node.defaults: bftimed: the daemon's clock defaults (src/daemon/config.h) */
	size_t history_len;    /* node.history: fit samples; 0: the default */
	int64_t history_span_ns; /* node.history_span: the fit's span at most; -1: the default */
	/* oscillator */
	double freq_ppm, wander_ppb, aging_ppb_per_day;
	double mean_freq_ppm;  /* rate error = mean_freq_ppm + uniform(+-freq_ppm) */
	int64_t osc_step_ns, raw_offset_ns;
	sim_temp_step *temps;
	size_t n_temps;
	sim_sysclock sys;
	/* network */
	int64_t net_delay_ns, net_jitter_ns, net_jitter_max_ns, net_asym_ns;
	double net_loss;
	double replay_prob;
	int64_t replay_delay_ns;
	sim_partition *partitions;
	size_t n_partitions;
	sim_mitm *mitms;
	size_t n_mitms;
	/* references */
	sim_ref_tmpl *refs;
	size_t n_refs;
	sim_gps_lie *gps_lies;
	size_t n_gps_lies;
	/* adversaries */
	sim_adversary *advs;
	size_t n_advs;
	sim_nk nk;
	sim_expect expect;
	sim_solar_cfg solar;
} sim_scenario;

/* Load path; on error returns non-zero and writes "file:line: message" to err. */
int sim_scenario_load(sim_scenario **out, const char *path, char *err, size_t errlen);
/* The same from len bytes of YAML in buf (the fuzz target's entry); name
 * stands for the file in messages. */
int sim_scenario_parse(sim_scenario **out, const char *buf, size_t len, const char *name, char *err, size_t errlen);
void sim_scenario_free(sim_scenario *s);
/* Strip every lie (adversaries, gps_lies, NTP liars): the same world, honest. */
void sim_scenario_strip_lies(sim_scenario *s);
/* Scale every absolute time (from, to, at, start, end, lie_from, warmup) by
 * new_duration / duration and set the duration: --duration keeps the plot. */
void sim_scenario_rescale(sim_scenario *s, int64_t new_duration_ns);
/* The YAML duration syntax ("250ms", "2s", "1h"; a bare number only 0); 0 or -1. */
int sim_parse_duration(const char *s, int64_t *out);
bool sim_set_has(const sim_set *s, uint32_t id);
const char *sim_engine_name(const sim_scenario *s);

#endif
