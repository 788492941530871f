/* SPDX-License-Identifier: MIT */
/*
 * The bftime node: a sans-I/O state machine. It never reads a clock, opens a
 * socket or sleeps. Its driver (the daemon's poll() loop, or the simulator's
 * virtual event queue) feeds it events, each stamped with the raw local
 * oscillator time at which it happened:
 *
 *   bft_node_start      once, at the first raw time
 *   bft_node_on_timer   when the raw clock reaches the time of the last TIMER action
 *   bft_node_on_packet  a datagram from a peer (any bytes: it is untrusted)
 *   bft_node_on_reference  a reference clock reading: true time in [lo, hi]
 *   bft_node_on_reference_suspect  the reference's driver distrusts its own reading
 *
 * and drains the actions the node queued, with bft_node_next_action:
 *
 *   SEND      bytes to a peer
 *   TIMER     call bft_node_on_timer when the raw clock reaches at_raw_ns
 *   ESTIMATE  a new fused estimate was published (for logs, metrics, exports)
 *
 * Every source (a reference clock, a peer) is a sensor giving an interval of
 * (true time - raw clock). Each poll the node fuses the fresh ones with the
 * configured consensus engine, tolerating f faulty, and disciplines its clock
 * with the result. Peers are read by signed round trips; the third message
 * (triple transfer) lets the responder measure the requester too. When the
 * engine proves more than f sources faulty, the node raises the alarm and
 * holds over on its oscillator (its interval widens) instead of following.
 *
 * References are guarded (anti-spoofing): a reading disjoint from the node's
 * own honest interval (a jump against the disciplined oscillator's
 * prediction), a reference outvoted by the fusion (it disagrees with the
 * consensus beyond every source's bound), or a reading its driver calls
 * implausible (identical signal strengths, a fixed station that moves)
 * puts the reference in quarantine: none of its readings is fused until
 * they meet the node's estimate band (its estimate, +- half the interval it
 * had at its last measurement grown by the fitted frequency's uncertainty)
 * for ref_readmit_ns without a break.
 * Without other sources the node holds over on its oscillator meanwhile,
 * so a reference caught lying never moves its time.
 *
 * One implementation for the daemon and the simulator: all state is in the
 * bft_node object; randomness comes from a seed, signatures from a signer.
 */
#ifndef BFTIME_NODE_H
#define BFTIME_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include <bftime/discipline.h>
#include <bftime/interval.h>

#include "node/chain.h"
#include "proto/sign.h"
#include "proto/wire.h"

/*
 * The Nakamoto engine's node settings (docs/nakamoto.md, "In the node").
 * The node measures each of its references against its disciplined clock
 * (a bft_nk_meas per reading), states the newest each poll in a signed
 * statement sent to every peer, mines blocks of the statements it holds
 * with at most hashes_per_step nonces per mine_step_ns (sans-I/O: a step is
 * a TIMER, never a blocking loop), gossips blocks to its peers in
 * fragments of at most BFT_WIRE_MAX bytes, and steers its clock by the best
 * chain's consensus correction.
 */
typedef struct bft_node_nk_config {
	bft_nk_cfg chain;       /* signer NULL: the node's signer */
	bft_nk_steer steer;
	size_t n_slots;         /* block tree slots, >= 2 * retarget_blocks + 12 */
	size_t n_orphans;
	size_t n_archive;       /* headers of forgotten blocks kept to answer peers further behind (0: none) */
	bool mine;              /* false: validate, follow and relay only */
	/* Statements go to the author's peers, and this many hops further
	 * (each relaying node forwarding once, to all its peers; at most
	 * BFT_NK_RELAY_MAX). 0: the neighbours only. A node relays others'
	 * statements only when its own is above 0. Needs every node's key at
	 * every node (the daemon's directory; the simulator's signer knows all). */
	uint32_t relay_hops;
	uint64_t hashes_per_step;
	int64_t mine_step_ns;
	const bft_cref *refs;   /* identity of reference i, max_refs of them (copied); NULL: kind SIM, id i */
	/* TEST-ONLY misbehaviour for the simulator's Byzantine miners (0: honest). */
	int64_t byz_offset_ns;  /* added to every offset it states: implausible beyond agree_ns */
	uint32_t byz_withhold;  /* keep own blocks private until this many, then release them all */
	bool byz_selfish;       /* Eyal and Sirer's selfish mining: withhold, release to orphan honest blocks */
	bool byz_timewarp;      /* time-warp timestamps: the least the past rule allows, but a
	                         * retarget period's last block at its time (node_chain.c) */
} bft_node_nk_config;

#define BFT_NK_RELAY_MAX 8 /* statement relay hops beyond the author's peers */

enum bft_engine_kind {
	BFT_ENGINE_FUSION, /* Sensor Fusion Framework: interval fusion of every source */
	BFT_ENGINE_MEDIAN, /* median of the sources' offsets (the seed design) */
	BFT_ENGINE_NAKAMOTO, /* fusion's interval; the point steered by the proof-of-work chain of offset
	                      * statements (docs/nakamoto.md): needs cfg.nk */
};

enum bft_fusion_alg {
	BFT_ALG_MARZULLO,       /* interval: Marzullo; estimate: its midpoint */
	BFT_ALG_BROOKS_IYENGAR, /* interval: Marzullo's; estimate: Brooks-Iyengar */
	BFT_ALG_FT_MIDPOINT,    /* interval: Marzullo's; estimate: Welch-Lynch midpoint, clamped */
};

typedef struct bft_node_config {
	uint32_t id;
	const uint32_t *peers; /* peer ids, copied at create */
	size_t n_peers;
	size_t max_refs;       /* reference ids are 0 .. max_refs-1 */
	size_t f;              /* faulty sources tolerated among refs + peers */
	enum bft_engine_kind engine;
	enum bft_fusion_alg alg;
	int64_t poll_ns;       /* exchange with every peer, and fuse, once per poll */
	int64_t max_age_ns;    /* readings older than this are not fused; default 4 polls */
	int64_t dmin_ns;       /* one-way delay bounds to peers (dmax 0: unknown) */
	int64_t dmax_ns;
	int64_t stamp_err_ns;  /* timestamping error on both ends */
	int64_t max_err_ns;    /* a peer claiming more uncertainty than this is not a source */
	size_t filter_len;     /* readings per peer kept for filtering (repeated transfers), 1..8; default 8 */
	size_t ref_filter_len; /* ... per reference, 1..32; default 32 (node.c, source_point) */
	int64_t ref_readmit_ns; /* a quarantined reference agrees this long before it is used again;
	                         * default 4 polls */
	int64_t longest_every_ns; /* the longest interval the references are configured to answer at
	                           * (their polls climb toward it): while they answer much more often,
	                           * the fit's window is shortened (fit_window). 0 (default): never */
	bft_disc_config disc;  /* rho_ppb here is the oscillator's drift bound */
	const bft_signer *signer;
	uint64_t seed;         /* for nonces and poll jitter */
	/* Optional: the driver's raw clock now. The node reads it right before
	 * it signs a message, so that a transmit stamp (t1, t3, t5) is taken as
	 * late as it can be rather than at the event's raw time: with many
	 * peers, or a slow signature, the time between them would otherwise
	 * count as network delay on one leg and bias every point estimate by
	 * half of it. NULL (the simulator, where handling takes no time): the
	 * event's raw time. Never earlier than the event is used. */
	int64_t (*raw_now)(void *ctx);
	void *raw_now_ctx;
	/* Internal synchronization (docs/internal-sync.md): while the node has
	 * no true time, its clock is a network clock steered each poll by
	 * approximate agreement with its peers' clocks (the W-MSR trimmed
	 * midpoint, f trimmed each side). Default on. */
	bool agreement;
	int64_t agree_max_err_ns;   /* readings of a peer's clock wider (half) than this are not used;
	                             * default 10 ms */
	unsigned agree_claim_rounds; /* rounds within the precision bound before AGREED; default 4 */
	int64_t agree_step_ns;      /* a node not yet AGREED steps (not slews) to a target this far; default 128 ms */
	int64_t agree_seed_ns;      /* the network clock before the first agreement step reads raw + this:
	                             * the daemon gives CLOCK_REALTIME - raw at start, so that a booting
	                             * network agrees near the time of day; 0 (the simulator): raw */
	int64_t agree_contraction_ppm; /* c, the spread's contraction per round, in millionths: 500000 on a full
	                                * mesh with n >= 3f+1 (proven); sparse graphs: measured. Default 500000 */
	const bft_node_nk_config *nk; /* engine NAKAMOTO only; copied at create */
} bft_node_config;

/* Defaults for everything but id, peers and signer. */
void bft_node_config_default(bft_node_config *cfg);

typedef struct bft_estimate {
	int64_t raw_ns;
	int64_t time_ns;      /* the disciplined clock (monotonic) */
	int64_t estimate_ns;  /* best estimate of true time, inside [earliest, latest] */
	bft_interval bounds;  /* earliest, latest */
	int64_t freq_ppb;     /* fitted frequency correction, d(true - raw)/d(raw), slew excluded */
	enum bft_disc_state state;
	bool alarm;           /* the last fusion proved more than f sources faulty */
	bool degraded;        /* synced from fewer than f + 1 sources (own references only) */
	uint32_t sources;     /* fresh sources at the last fusion */
	uint32_t used;        /* of which consistent with the result */
	/* The network clock (internal synchronization, docs/internal-sync.md). */
	bool net_running;     /* time_ns is a network clock steered by agreement (no true time) */
	int64_t net_time_ns;  /* the clock stamped on the wire: time_ns, plus, with true time, the offset
	                       * agreement with peers that have none keeps it at (docs/internal-sync.md) */
	bool agreed;          /* it claims agreement with its peers (the AGREED flag) */
	int64_t precision_ns; /* stated bound on |time_ns - any honest peer's|: model figure; 0: none */
	int64_t precision_hard_ns; /* the same, worst case (oscillators and rate corrections within rho) */
	uint32_t agree_used, agree_trimmed; /* readings at the last agreement step, and of which trimmed */
	bool agree_short;     /* with true time: its last agreement step read fewer than 2f + 1 peers' clocks
	                       * within agree_max_err (every link delayed, say): outside the agreement, no bound */
} bft_estimate;

/* Why a reference is in quarantine. */
enum bft_quarantine {
	BFT_Q_NONE = 0,
	BFT_Q_JUMP,      /* a reading disjoint from the node's own interval */
	BFT_Q_CONSENSUS, /* outvoted: disjoint from the fused interval of all sources */
	BFT_Q_SUSPECT,   /* its driver found a reading implausible */
};

/* QUARANTINE: reference `to` entered quarantine, changed its reason, or was
 * readmitted (q NONE); q_by_ns and suspect as bft_source_info states them,
 * so that a driver logs the change without polling the sources. */
/* BLOCK (engine NAKAMOTO): a block the node accepted into its tree or
 * mined, encoded in blob (blob_len bytes, valid until the next call into
 * the node): for a store; relaying is the node's own SENDs. */
enum bft_action_kind { BFT_ACT_SEND = 1, BFT_ACT_TIMER, BFT_ACT_ESTIMATE, BFT_ACT_QUARANTINE, BFT_ACT_BLOCK };

typedef struct bft_action {
	enum bft_action_kind kind;
	uint32_t to;
	size_t len;
	uint8_t buf[BFT_WIRE_MAX];
	int64_t at_raw_ns;
	bft_estimate est;
	enum bft_quarantine q; /* QUARANTINE */
	int64_t q_by_ns;
	const char *suspect;
	const uint8_t *blob; /* BLOCK */
	size_t blob_len;
} bft_action;

typedef struct bft_node_counters {
	uint64_t rx, rx_bad, rx_bad_sig, rx_unknown_peer, rx_replay, rx_not_for_us;
	uint64_t tx, exchanges, readings_rejected, alarms, fusions;
	uint64_t ref_quarantines, ref_readmissions, ref_readings_quarantined;
	uint64_t agree_rounds;     /* agreement steps taken */
	uint64_t agree_short;      /* polls without 2f + 1 usable clock readings: no step */
	uint64_t agree_violations; /* retained range beyond the stated precision + 2e */
	uint64_t agree_steps;      /* network clock steps (joining, not yet AGREED) */
} bft_node_counters;

/* The agreement's state, for status output (docs/internal-sync.md). */
typedef struct bft_agree_info {
	bool net_running, agreed;
	uint64_t round;
	uint32_t used, trimmed;
	int64_t reading_err_ns;  /* e: largest half-width of the clock readings used, last 8 rounds */
	int64_t range_ns;        /* retained range at the last step */
	int64_t offset_ns;       /* the last step's correction (target - clock) */
	int64_t precision_ns, precision_hard_ns;
	bool wide;    /* with true time: agreeing because its interval's half-width exceeds precision_ns / 2 */
	bool outside; /* with true time: its last step read fewer than 2f + 1 peers' clocks; no bound stated */
} bft_agree_info;

/* Per-source view, for status output and tests. */
typedef struct bft_source_info {
	bool is_peer;
	uint32_t id;
	bool fresh;
	bool used;           /* consistent with the last fused interval */
	int64_t age_ns;
	bft_interval offset; /* its newest reading: true - raw, ns */
	int64_t point_ns;    /* its point estimate of true - raw when last fused (0: never), ns: for a
	                      * reference the midpoint of its readings' intersection once the
	                      * frequency is fitted (node.c, source_point) */
	int64_t delay_ns;
	/* references only */
	enum bft_quarantine quarantine; /* BFT_Q_NONE: admitted */
	int64_t q_by_ns;       /* JUMP, CONSENSUS: how far outside, ns */
	const char *suspect;   /* SUSPECT: the driver's reason (static string) */
	int64_t q_since_ns;    /* raw time the quarantine began */
	int64_t agreeing_ns;   /* in quarantine: how long its readings have agreed (0: not now) */
	uint64_t quarantines;  /* times quarantined */
	/* Diagnostics (bftime sources, as chronyc's): */
	uint8_t reach;         /* bit k: it answered in the k-th poll before the last (bit 0 the newest) */
	int64_t last_rx_raw;   /* raw time of its last answer (a matching RESPONSE or FOLLOWUP, a
	                        * reference reading); INT64_MIN: never */
	uint64_t bad_sig;      /* peers: datagrams naming it whose signature failed under its key */
	/* peers: agreement steps that took its clock reading, and of which
	 * trimmed it (W-MSR: among the f largest above or f smallest below
	 * ours); a liar far from the network is trimmed at every step. */
	uint64_t agree_used, agree_trimmed;
} bft_source_info;

/* A static name for a quarantine reason ("none", "jump", "consensus", "suspect"). */
const char *bft_quarantine_name(enum bft_quarantine q);

typedef struct bft_node bft_node;

int bft_node_create(bft_node **out, const bft_node_config *cfg);
void bft_node_destroy(bft_node *n);

int bft_node_start(bft_node *n, int64_t raw_ns);
int bft_node_on_timer(bft_node *n, int64_t raw_ns);
/* Returns 0 if the packet was used, a negative code if it was dropped (and
 * counted); the node is unharmed either way. */
int bft_node_on_packet(bft_node *n, int64_t raw_ns, const uint8_t *buf, size_t len);
/* BFT_EINVAL also for a reading within a day of the int64 ends. */
int bft_node_on_reference(bft_node *n, int64_t raw_ns, uint32_t ref_id, bft_interval true_time);
/* The reference's driver found its reading at raw_ns implausible, for the
 * static reason `why`: quarantine the reference (and restart its readmission). */
int bft_node_on_reference_suspect(bft_node *n, int64_t raw_ns, uint32_t ref_id, const char *why);

/* Pop the next queued action; false when none. */
bool bft_node_next_action(bft_node *n, bft_action *out);

/* The node's clock and interval at a raw time. A read counts as seen: the
 * discipline never lets a later course contradict a time it has shown, so
 * read at the present, never ahead of it. */
int bft_node_read(bft_node *n, int64_t raw_ns, bft_estimate *out);

/* An estimate read at e->raw_ns carried to raw_ns, at most
 * BFT_CARRY_MAX_NS later, without a read (a server stamping a batch of
 * arrivals from one read): the interval shifted by the raw time between and
 * widened by rho for it, so it holds true time whenever the read one did;
 * the clock advanced at the fitted frequency less max_slew, so it never
 * shows more than a read at raw_ns would (the discipline's later courses
 * stay at or above it) and less by at most 2 * max_slew per unit of raw
 * time between, plus 3 ns of rounding (103 ns over 100 us at 500 ppm). cfg is the node's.
 * BFT_EINVAL when raw_ns is earlier or too far. */
#define BFT_CARRY_MAX_NS (100 * 1000)
int bft_estimate_carry(bft_estimate *e, int64_t raw_ns, const bft_node_config *cfg);

const bft_node_counters *bft_node_get_counters(const bft_node *n);
/* The discipline's status (frequency, its uncertainty), for `bftime
 * tracking`. 0, or the discipline's error. */
int bft_node_disc_status(const bft_node *n, bft_disc_status *out);


/* The chain's state (engine NAKAMOTO), for status output. */
#define BFT_NODE_NK_REFS 4 /* corrections reported for at most this many references */
typedef struct bft_node_chain_info {
	bool on;                 /* engine NAKAMOTO */
	bft_nk_tip tip;
	bft_nk_stats stats;
	uint64_t mined, released, withheld;  /* blocks this node found; of them sent; held back (TEST-ONLY) */
	uint64_t hashes;                     /* nonces tried */
	uint64_t stmts_made, stmts_rx, stmts_bad; /* statements signed; received; refused (decode or signature) */
	uint64_t stmts_relayed, stmts_q_full; /* others' statements forwarded; statements not sent: the queue was full */
	uint64_t frags_rx, frags_bad, frags_dup, blocks_rx, blocks_bad; /* fragments; reassembled blocks */
	uint64_t rx_evicted; /* reassemblies given up unfinished for another's (per sender: node_chain.c) */
	uint64_t getblocks_rx, getblocks_tx; /* block requests answered / sent (parents, announced blocks) */
	uint64_t announces_rx, announces_tx; /* "BI": blocks announced by their hash */
	uint64_t headers_rx, headers_tx;     /* "BH": headers of blocks a peer no longer keeps whole */
	uint64_t headers_refused;            /* of headers_rx: not asked for, undecodable, too shallow or invalid */
	uint64_t steered;        /* fusions whose point the chain's correction chose */
	uint64_t alarms;         /* fusions refused: outworked by an implausible chain */
	bool alarmed;            /* the last fusion was: an implausible chain leads by more than 6 blocks of work */
	size_t n_refs;
	struct {
		bft_cref ref;
		bool have;           /* a consensus this poll */
		bft_nk_correction c;
	} refs[BFT_NODE_NK_REFS];
} bft_node_chain_info;
/* 0, or BFT_EINVAL (engine not NAKAMOTO: out->on false). */
int bft_node_chain_info_get(const bft_node *n, bft_node_chain_info *out);
/* The best chain's blocks as far back as the block tree remembers: adds the
 * blocks whose miner claim is id to by_miner[id] for id < cap (others are not
 * counted there), puts the least and greatest difficulty among them in
 * diff_range (unless NULL), and returns how many blocks it walked; 0 if the
 * engine is not NAKAMOTO. For statistics (the simulator's chain quality, the
 * time warp's effect on the retargeting). */
uint64_t bft_node_chain_miners(const bft_node *n, uint64_t *by_miner, size_t cap, uint64_t diff_range[2]);
/* The statements in that best chain whose stating node has its bit set in
 * marked[] (bit id % 8 of byte id / 8, ids below n_bits); 0 if the engine is
 * not NAKAMOTO. For statistics (the simulator counts its liars'). */
uint64_t bft_node_chain_stmts_of(const bft_node *n, const uint8_t *marked, size_t n_bits);
/* External mining (node_chain.h, bft_nkn_work / bft_nkn_found; the
 * simulator's Poisson mode, docs/nakamoto.md "Poisson mining"): the header
 * of the block the node would mine at raw_ns; that header with a nonce
 * meeting its difficulty, made into the block as if a mining step had found
 * it (then drain the actions: its fragments, the BLOCK); and the difficulty
 * a block on the best tip must meet now (0: engine not NAKAMOTO). */
int bft_node_chain_work(bft_node *n, int64_t raw_ns, bft_block_hdr *out);
int bft_node_chain_found(bft_node *n, int64_t raw_ns, const bft_block_hdr *h);
uint64_t bft_node_chain_next_difficulty(const bft_node *n);
/* Replay a stored block (the daemon's store at start) as if it had been
 * received, without relaying it or announcing it as a BLOCK. The result of
 * bft_nk_add, or a negative code. */
int bft_node_chain_load(bft_node *n, int64_t raw_ns, const uint8_t *buf, size_t len);
/* The agreement's state now (docs/internal-sync.md). */
void bft_node_agree_info(const bft_node *n, bft_agree_info *out);
/* Fill up to cap entries; returns the number of sources. */
size_t bft_node_sources(const bft_node *n, bft_source_info *out, size_t cap);
uint32_t bft_node_id(const bft_node *n);
/* The configuration in force: as given to bft_node_create, with its
 * defaults resolved (max_age_ns, ref_readmit_ns: 4 polls when 0). */
const bft_node_config *bft_node_get_config(const bft_node *n);

#endif
