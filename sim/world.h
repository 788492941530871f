/* SPDX-License-Identifier: MIT */
/*
 * The simulated world: every node (the real bft_node, its oscillator, its
 * references, whether and how it lies), the network, the event queue and
 * the measurements, in one object. There is no global state: two worlds can
 * run side by side. True time is the queue's clock and is known here only;
 * nodes see their oscillators' raw time.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "node/node.h"
#include "refclock/gps_guard.h"
#include "sim/metrics.h"
#include "sim/net.h"
#include "sim/osc.h"
#include "sim/pool.h"
#include "sim/queue.h"

#define SIM_CREF_KINDS (BFT_CREF_SIM + 1) /* chain reference kinds, indexed by BFT_CREF_* */
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/trace.h"

enum sim_event_kind {
	SIM_EV_START = 1, /* node: bft_node_start */
	SIM_EV_TIMER,     /* node; b = timer generation (stale ones are skipped) */
	SIM_EV_PACKET,    /* node = recipient; a = pool slot */
	SIM_EV_REF,       /* node; a = reference index: poll it */
	SIM_EV_NTP_REPLY, /* node; a = pool slot holding t1, t2, t3; b = reference index */
	SIM_EV_SAMPLE,    /* measure every honest node */
	SIM_EV_TEMP,      /* a = temperature step index */
	SIM_EV_STEER,     /* node; b = steering generation: refresh the system clock's rate */
	SIM_EV_SOLAR,     /* every antenna records a block of the Sun (sim/solar.h) */
	SIM_EV_MINE,      /* node; b = mining generation: a Poisson find (nakamoto, mining: poisson) */
};
#define SIM_EV_KINDS (SIM_EV_MINE + 1)

typedef struct sim_ref {
	uint16_t tmpl, inst;
	uint32_t polls;    /* queries sent so far (the burst, then every interval) */
	uint32_t good_run; /* good replies in a row (poll_start: the climb to poll) */
	bool outstanding;  /* the last query has not been answered yet */
	bool regular;      /* the last query was not one of the start burst's, nor a poll burst's first */
	uint32_t burst_left; /* of the poll burst under way (poll_burst) */
	int64_t first_ns;  /* when its first query left */
	int64_t interval_ns; /* the current query interval, poll_start .. poll */
	bftd_gps_guard guard; /* GPS: the driver's plausibility checks (src/refclock/gps_guard.h) */
} sim_ref;

/* The system clock a daemon steers (scenario system_clock): piecewise
 * linear in the node's raw time, sys = sys0 + (raw - raw0)(1 + rate). */
typedef struct sim_sys {
	int64_t raw0_ns, sys0_ns;
	double rate_ppb;   /* against the raw oscillator */
	bool active;       /* steered at least once (the alarm holds only a clock it steered) */
	uint32_t gen;      /* the pending STEER event's generation */
} sim_sys;

typedef struct sim_node {
	bft_node *node;
	sim_osc osc;
	sim_rng rng;       /* network, references and lies of this node */
	sim_ref *refs;     /* into the world's slab */
	uint16_t n_refs;
	int16_t adv;       /* index into the scenario's adversaries, -1 honest */
	uint32_t timer_gen;
	int64_t timer_raw;
	sim_sys sys;       /* scenario system_clock, honest nodes only */
	/* nakamoto, mining: poisson (docs/nakamoto.md "Poisson mining"): the
	 * pending find's generation, the difficulty and rate (finds per ns) it
	 * was drawn at, and since when that rate is counted in the expectation. */
	uint32_t mine_gen;
	uint64_t mine_d;
	double mine_rate;
	int64_t mine_from_ns;
} sim_node;

typedef struct sim_world_options {
	bool real_crypto;  /* Ed25519 instead of the scenario's crypto setting */
	bool trace;        /* keep the per-node trace and events (sim/trace.h) for the HTML report */
	bool profile;      /* time each kind of event on the host's clock (sim_world_profile) */
} sim_world_options;

typedef struct sim_world {
	const sim_scenario *sc;
	int64_t epoch_ns;    /* true time handed to nodes = epoch + simulation time */
	size_t n;
	sim_node *nodes;
	sim_ref *ref_slab;
	uint32_t *ring;      /* ring order (peer topology, spread placement) */
	uint32_t *adj;       /* k peers of each node (k = adj_k), n * k; NULL for a full mesh */
	size_t adj_k;
	uint8_t *hop;        /* hops from the nearest reference holder (sim_metrics.hop) */
	uint32_t *honest;    /* ids of honest nodes */
	size_t n_honest;
	bft_estimate *est_scratch;
	uint8_t *cut_state;   /* per honest index: 1 while cut off by a partition and until it agrees
	                       * again after it, else 0 (sim_metrics.net_cut) */
	int64_t *cut_last_ns; /* per honest index: the last sample at which it was cut off */
	sim_queue q;
	sim_pool pool;
	int64_t now_ns;
	uint64_t secret;
	bft_signer signer;
	void *keyring;       /* bft_keyring when Ed25519 */
	bool ed25519;
	sim_net_stats net;
	uint64_t ntp_lost, ntp_rejected, adv_rewrites, adv_errors, events;
	uint64_t ntp_replies, ntp_t3_before_t2; /* wire: replies taken, of which t3 < t2 (fuzzed stamps) */
	uint64_t ntp_cookie;                    /* wire: the last request's transmit stamp (a counter) */
	uint64_t sys_steps, sys_updates;        /* system_clock: steps forward, rate updates */
	uint64_t adv_lies_total;
	uint64_t chain_bytes, chain_datagrams; /* engine nakamoto: chain datagrams sent (all nodes) */
	/* nakamoto, mining: poisson: the draws' stream, the hash power's sum
	 * (honest nodes 1 each, Byzantine miners their `hash`), the finds drawn
	 * (of them: when the node did not mine, unsettled; whose nonce search or
	 * block failed), the nonces hashed to make them, and the finds the
	 * configured rate gives over the run (each node's rate integrated). */
	sim_rng mine_rng;
	double mine_weight;
	uint64_t finds, finds_idle, finds_failed, find_hashes;
	double finds_expected;
	uint64_t *adv_lies;  /* per scenario adversary: messages actually changed (equivocation: copies) */
	uint64_t *adv_sent;  /* per scenario adversary: messages sent after its `from` */
	int64_t dmin_node_ns;  /* the minimum one-way delay nodes assume */
	bool debug;          /* BFTIME_SIM_DEBUG: per-node state on stderr at the end */
	/* --profile: events handled and host nanoseconds spent in them, by kind,
	 * and in the whole loop (the queue's own work is the difference). */
	bool profile;
	uint64_t prof_count[SIM_EV_KINDS];
	int64_t prof_ns[SIM_EV_KINDS], prof_loop_ns;
	size_t peers_min, peers_max, refs_max;
	int64_t bound_precision_ns, bound_accuracy_ns; /* -1: none */
	sim_metrics m;
	bft_node_counters ctr;  /* summed over honest nodes at the end */
	sim_trace *trace;       /* NULL unless the options asked for it */
	struct sim_solar *solar; /* scenario solar: (sim/solar.h); NULL without */
} sim_world;

int sim_world_create(sim_world **out, sim_scenario *sc, const sim_world_options *opt, char *err,
                     size_t errlen);
void sim_world_destroy(sim_world *w);
/* Run to the scenario's duration. Returns 0 or a negative code. */
int sim_world_run(sim_world *w);
/* With the profile option: a markdown table of where the run's host time
 * went, by kind of event (count, share of the loop, microseconds each). */
void sim_world_profile(FILE *out, const sim_world *w);

/* The chain's state over the honest nodes (engine nakamoto), for reports. */
typedef struct sim_chain_summary {
	bool on;
	uint64_t height_min, height_max; /* honest nodes' best heights */
	size_t tips;                     /* distinct best tips among honest nodes */
	uint64_t mined, mined_byz;       /* blocks found by all nodes; by Byzantine miners */
	uint64_t byz_in_best;            /* Byzantine blocks (by miner claim) in the first honest node's best
	                                  * chain, among the blocks its slots still hold */
	uint64_t best_held;              /* blocks of that best chain its slots still hold */
	uint64_t difficulty_genesis;     /* the chain's genesis difficulty */
	uint64_t difficulty_min, difficulty_max; /* honest nodes' best tips' difficulty at the end */
	uint64_t best_difficulty[2];     /* least and greatest difficulty along that best chain */
	int64_t mtp_lag_ns;              /* true time at the end - the first honest node's best tip's median
	                                  * time past (what time-warp timestamps hold back) */
	double stale_rate;               /* first honest node: valid blocks not in its best chain / stored */
	uint64_t rejected[BFT_NK_NREASONS]; /* summed over honest nodes */
	uint64_t reorgs, max_reorg_depth;
	uint64_t lies_in_best;           /* statements of offset-lying miners in an honest node's best chain (held
	                                  * blocks), the most over honest nodes: each one implausible */
	uint64_t rechecked_out;          /* blocks honest nodes dropped on judging them after settling */
	uint64_t headers; /* blocks honest nodes took on their header alone (deep catch-up) */
	uint64_t reseated; /* forgotten blocks honest nodes put back from their archives for a line to join */
	size_t alarmed;                  /* honest nodes outworked by an implausible chain */
	uint64_t steered;                /* honest fusions whose point the chain chose */
	uint64_t alarm_fusions;          /* honest fusions refused by the chain's alarm */
	double median_stmts;             /* mean statements per honest correction (first reference) */
	struct {                         /* per kind of reference (BFT_CREF_*), at the end: */
		size_t nodes;            /* honest nodes with a consensus correction for one */
		double stmts;            /* statements in those medians, summed */
	} by_kind[SIM_CREF_KINDS];
	size_t medians_min;              /* the fewest references an honest node has a consensus for */
	double bytes_per_node_s;         /* chain datagrams, bytes per node per second */
	bool poisson;                    /* mining: poisson; then the world's finds: */
	uint64_t finds, finds_idle, finds_failed, find_hashes;
	double finds_expected;
} sim_chain_summary;
void sim_world_chain_summary(const sim_world *w, sim_chain_summary *out);
/* A node's steered system clock (scenario system_clock) at its raw time. */
int64_t sim_sys_read(const sim_node *nd, int64_t raw_ns);

#endif
