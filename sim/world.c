/* SPDX-License-Identifier: MIT */
/*
 * The world and its event loop. Each event is handled by feeding the one
 * node it concerns (at that node's raw time) and then draining that node's
 * actions: SENDs go through the adversary (if the node lies) and the
 * network into the queue, a TIMER is re-armed in true time by inverting the
 * node's oscillator, ESTIMATEs are noted. The queue's (time, sequence) order
 * and per-node random streams make a run a pure function of the scenario
 * and seed.
 *
 * Memory per node is the bft_node itself plus ~150 bytes here; packets in
 * flight live in the pool; the queue holds one timer per node, one pending
 * poll per reference, one system-clock refresh per honest node (scenario
 * system_clock) and the packets in flight, nothing per message sent.
 */
#include "sim/world.h"
#include "sim/solar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/bounds.h>
#include <bftime/interval.h>

#include "daemon/config.h"
#include "refclock/ntp_burst.h"
#include "sim/refclock.h"
#include "sys/clock.h"

/* True time handed to nodes: 2026-01-01T00:00:00Z plus simulation time (after
 * the GPS checks' date floor, src/refclock/gps_guard.h: a receiver naming a
 * date before this software was written is a replay). */
#define SIM_EPOCH_NS INT64_C(1767225600000000000)

enum { STREAM_TOPO = 1, STREAM_NODE = 2, STREAM_OSC = 3, STREAM_KEYS = 4, STREAM_SERVER = 5, STREAM_MINE = 6 };

static uint64_t stream_id(unsigned kind, uint64_t i)
{
	return (uint64_t)kind << 40 | i;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Turn {count}/{fraction} sets into id lists: the last ids, or spread
 * evenly around the ring (so that with k-regular ring peers no node sees
 * much more than its share of the set). */
static int resolve_set(const sim_scenario *sc, sim_set *s, size_t n, const uint32_t *ring, char *err, size_t errlen,
                       const char *what)
{
	if (s->kind == SIM_SET_LIST) {
		for (size_t i = 0; i < s->n_ids; i++)
			if (s->ids[i] >= n) {
				snprintf(err, errlen, "%s:%u: %s: node id %u out of range (nodes: %zu)", sc->path, s->line, what,
				         s->ids[i], n);
				return -1;
			}
		return 0;
	}
	if (s->kind != SIM_SET_COUNT && s->kind != SIM_SET_FRACTION)
		return 0;
	size_t k = s->kind == SIM_SET_COUNT ? s->count : (size_t)(s->fraction * (double)n + 0.5);
	if (k > n) {
		snprintf(err, errlen, "%s:%u: %s: count %zu > nodes %zu", sc->path, s->line, what, k, n);
		return -1;
	}
	uint32_t *ids = calloc(k ? k : 1, sizeof *ids);
	if (!ids)
		return -1;
	for (size_t i = 0; i < k; i++)
		ids[i] = s->spread ? ring[(size_t)((double)i * (double)n / (double)k)] : (uint32_t)(n - k + i);
	qsort(ids, k, sizeof *ids, cmp_u32);
	free(s->ids);
	s->ids = ids;
	s->n_ids = k;
	s->kind = SIM_SET_LIST;
	return 0;
}

/*
 * The peer graph for `peers: k` (k < n - 1): the ring lattice on the seeded
 * ring order (k/2 neighbours each side), then for random_regular 10 |E|
 * double-edge swaps ((a,b),(c,d) -> (a,d),(c,b), refused when it would make
 * a loop or a double edge), which keep every degree k and mix the graph
 * towards a uniform random k-regular one; for small_world each edge is
 * swapped with a random other one with probability `rewire` (a
 * degree-preserving Watts-Strogatz). Its own random stream, so the ring and
 * everything drawn after it are the same for every topology.
 */
static bool adj_has(const uint32_t *adj, size_t k, uint32_t a, uint32_t b)
{
	for (size_t i = 0; i < k; i++)
		if (adj[(size_t)a * k + i] == b)
			return true;
	return false;
}

static void adj_replace(uint32_t *adj, size_t k, uint32_t a, uint32_t old, uint32_t nu)
{
	for (size_t i = 0; i < k; i++)
		if (adj[(size_t)a * k + i] == old) {
			adj[(size_t)a * k + i] = nu;
			return;
		}
}

static int build_graph(sim_world *w, size_t k)
{
	size_t n = w->n;
	w->adj_k = k;
	w->adj = calloc(n * k > 0 ? n * k : 1, sizeof *w->adj);
	uint32_t *pos = calloc(n ? n : 1, sizeof *pos);
	if (!w->adj || !pos) {
		free(pos);
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		pos[w->ring[j]] = (uint32_t)j;
	for (size_t i = 0; i < n; i++)
		for (size_t d = 1; d <= k / 2; d++) {
			w->adj[i * k + 2 * (d - 1)] = w->ring[(pos[i] + d) % n];
			w->adj[i * k + 2 * (d - 1) + 1] = w->ring[(pos[i] + n - d) % n];
		}
	free(pos);
	const sim_scenario *sc = w->sc;
	if (sc->topology == SIM_TOPO_RING || k < 2 || n < 4)
		return 0;
	sim_rng r;
	sim_rng_seed(&r, sc->seed, stream_id(STREAM_TOPO, 1));
	size_t ne = n * k / 2;
	bool all = sc->topology == SIM_TOPO_RANDOM_REGULAR;
	size_t tries = all ? 10 * ne : ne;
	for (size_t t = 0; t < tries; t++) {
		if (!all && sim_rng_unit(&r) >= sc->rewire)
			continue;
		/* Two random edges, each as (node, one of its k slots). */
		uint32_t a = (uint32_t)sim_rng_below(&r, n), c = (uint32_t)sim_rng_below(&r, n);
		uint32_t b = w->adj[(size_t)a * k + sim_rng_below(&r, k)], d = w->adj[(size_t)c * k + sim_rng_below(&r, k)];
		if (a == c || a == d || b == c || b == d || adj_has(w->adj, k, a, d) || adj_has(w->adj, k, c, b))
			continue;
		adj_replace(w->adj, k, a, b, d);
		adj_replace(w->adj, k, b, a, c);
		adj_replace(w->adj, k, c, d, b);
		adj_replace(w->adj, k, d, c, a);
	}
	return 0;
}

/* {per_neighbourhood: f}: a maximal set in which no node has more than f
 * members among its peers, grown in random order (spread) or breadth-first
 * from a random node (clustered). */
static int resolve_local(sim_world *w, sim_set *s)
{
	size_t n = w->n, k = w->adj_k, f = s->per_nbhd;
	uint32_t *order = calloc(n ? n : 1, sizeof *order), *cnt = calloc(n ? n : 1, sizeof *cnt);
	bool *in = calloc(n ? n : 1, sizeof *in), *seen = calloc(n ? n : 1, sizeof *seen);
	uint32_t *ids = calloc(n ? n : 1, sizeof *ids);
	if (!order || !cnt || !in || !seen || !ids) {
		free(order), free(cnt), free(in), free(seen), free(ids);
		return -1;
	}
	sim_rng r;
	sim_rng_seed(&r, w->sc->seed, stream_id(STREAM_TOPO, 2 + s->line));
	size_t m = 0;
	if (!w->adj) { /* full mesh: every neighbourhood is everyone */
		for (size_t i = 0; i < f && i < n; i++)
			ids[m++] = (uint32_t)(n - 1 - i);
	} else {
		for (size_t i = 0; i < n; i++)
			order[i] = (uint32_t)i;
		if (s->clustered) { /* breadth-first from a random node */
			size_t head = 0, tail = 0;
			uint32_t root = (uint32_t)sim_rng_below(&r, n);
			order[tail++] = root;
			seen[root] = true;
			while (head < tail)
				for (size_t j = 0; j < k; j++) {
					uint32_t u = w->adj[(size_t)order[head] * k + j];
					if (!seen[u]) {
						seen[u] = true;
						order[tail++] = u;
					}
					if (j == k - 1)
						head++;
				}
			for (size_t i = 0; i < n; i++) /* anything unreached, after */
				if (!seen[i])
					order[tail++] = (uint32_t)i;
		} else {
			for (size_t i = n; i > 1; i--) {
				size_t j = (size_t)sim_rng_below(&r, i);
				uint32_t t = order[i - 1];
				order[i - 1] = order[j];
				order[j] = t;
			}
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t v = order[i];
			bool ok = true;
			for (size_t j = 0; j < k && ok; j++)
				ok = cnt[w->adj[(size_t)v * k + j]] < f;
			if (!ok)
				continue;
			in[v] = true;
			for (size_t j = 0; j < k; j++)
				cnt[w->adj[(size_t)v * k + j]]++;
		}
		for (size_t i = 0; i < n; i++)
			if (in[i])
				ids[m++] = (uint32_t)i;
	}
	free(order), free(cnt), free(in), free(seen);
	free(s->ids);
	s->ids = ids;
	s->n_ids = m;
	s->kind = SIM_SET_LIST;
	return 0;
}

/* Breadth-first hop distance of every node from the nearest reference
 * holder, over the peer graph (a full mesh: 1 hop), capped at SIM_HOPS - 1. */
static int hops_from_holders(sim_world *w)
{
	size_t n = w->n, k = w->adj ? w->adj_k : 0, head = 0, tail = 0;
	w->hop = malloc(n ? n : 1);
	uint32_t *q = calloc(n ? n : 1, sizeof *q);
	if (!w->hop || !q) {
		free(q);
		return -1;
	}
	memset(w->hop, SIM_HOPS - 1, n ? n : 1);
	bool any = false;
	for (size_t i = 0; i < n; i++)
		if (w->nodes[i].n_refs) {
			w->hop[i] = 0;
			q[tail++] = (uint32_t)i;
			any = true;
		}
	for (size_t i = 0; i < n && any && !w->adj; i++)
		if (w->hop[i])
			w->hop[i] = 1;
	while (w->adj && head < tail) {
		uint32_t v = q[head++];
		for (size_t j = 0; j < k; j++) {
			uint32_t u = w->adj[(size_t)v * k + j];
			if (w->hop[u] == SIM_HOPS - 1 && w->hop[v] + 1 < SIM_HOPS - 1 && !w->nodes[u].n_refs) {
				w->hop[u] = (uint8_t)(w->hop[v] + 1);
				q[tail++] = u;
			}
		}
	}
	free(q);
	w->m.hop = w->hop;
	return 0;
}

static int resolve_all(sim_scenario *sc, size_t n, const uint32_t *ring, char *err, size_t errlen)
{
	for (size_t i = 0; i < sc->n_refs; i++)
		if (resolve_set(sc, &sc->refs[i].nodes, n, ring, err, errlen, "references"))
			return -1;
	for (size_t i = 0; i < sc->n_temps; i++)
		if (resolve_set(sc, &sc->temps[i].nodes, n, ring, err, errlen, "temperature_steps"))
			return -1;
	for (size_t i = 0; i < sc->n_partitions; i++)
		if (resolve_set(sc, &sc->partitions[i].nodes, n, ring, err, errlen, "partitions") ||
		    resolve_set(sc, &sc->partitions[i].except, n, ring, err, errlen, "partitions"))
			return -1;
	for (size_t i = 0; i < sc->n_mitms; i++)
		if (resolve_set(sc, &sc->mitms[i].from, n, ring, err, errlen, "mitm") ||
		    resolve_set(sc, &sc->mitms[i].to, n, ring, err, errlen, "mitm"))
			return -1;
	for (size_t i = 0; i < sc->n_advs; i++)
		if (resolve_set(sc, &sc->advs[i].nodes, n, ring, err, errlen, "adversaries"))
			return -1;
	if (sc->solar.on && (resolve_set(sc, &sc->solar.nodes, n, ring, err, errlen, "solar") ||
	                     resolve_set(sc, &sc->solar.night, n, ring, err, errlen, "solar") ||
	                     resolve_set(sc, &sc->solar.liars, n, ring, err, errlen, "solar") ||
	                     resolve_set(sc, &sc->solar.copiers, n, ring, err, errlen, "solar")))
		return -1;
	for (size_t i = 0; i < sc->nk.n_byz; i++)
		if (resolve_set(sc, &sc->nk.byz[i].nodes, n, ring, err, errlen, "nakamoto.byzantine"))
			return -1;
	return 0;
}

/* The Byzantine-miner entry of node id (scenario nakamoto.byzantine), or NULL. */
static const sim_nk_byz *nk_byz(const sim_scenario *sc, uint32_t id)
{
	if (sc->engine != BFT_ENGINE_NAKAMOTO)
		return NULL;
	for (size_t i = 0; i < sc->nk.n_byz; i++)
		if (sim_set_has(&sc->nk.byz[i].nodes, id))
			return &sc->nk.byz[i];
	return NULL;
}

/* Whose clock the promises are about: no adversary strategy, no Byzantine
 * miner, no solar liar or copier (their own engines read with their false
 * claims; what their clocks then do is no promise of ours). */
static bool counted_honest(const sim_world *w, uint32_t id)
{
	const sim_scenario *sc = w->sc;
	return w->nodes[id].adv < 0 && !nk_byz(sc, id) &&
	       !(sc->solar.on && (sim_set_has(&sc->solar.liars, id) || sim_set_has(&sc->solar.copiers, id)));
}

/* Poisson mining's genesis difficulty when the scenario gives none: a block
 * costs the simulator 16 SHA3-256 calls on average. */
#define NK_POISSON_D0 16

/* The genesis difficulty: the scenario's, or (0) the whole network's
 * hashes per block interval (mining: poisson, NK_POISSON_D0). */
static uint64_t nk_genesis_difficulty(const sim_world *w)
{
	const sim_nk *c = &w->sc->nk;
	if (c->difficulty)
		return c->difficulty;
	if (c->poisson)
		return NK_POISSON_D0;
	double total = 0;
	for (size_t i = 0; i < w->n; i++) {
		const sim_nk_byz *b = nk_byz(w->sc, (uint32_t)i);
		total += (double)c->hashes * (b ? b->hash : 1);
	}
	uint64_t d = (uint64_t)(total * (double)c->interval_ns / 1e9);
	return d ? d : 1;
}

/* The node's chain settings (docs/nakamoto.md): every node the same chain;
 * every GPS receiver (of any template or spoofing region) states offsets to
 * the one reference "GNSS GPS"; an NTP template is "simulated reference
 * <template + 1>"; an antenna (scenario `solar:`) to "the Sun at 1.42 GHz",
 * as bftimed's `kind: solar` does (src/daemon/chain.c). */
static void nk_setup(const sim_world *w, uint32_t id, bft_node_nk_config *k, bft_cref *refs)
{
	const sim_scenario *sc = w->sc;
	const sim_nk *c = &sc->nk;
	memset(k, 0, sizeof *k);
	double hps = (double)c->hashes; /* per node per second */
	uint64_t d = nk_genesis_difficulty(w);
	for (size_t i = 0; i < 32; i++)
		k->chain.genesis[i] = (uint8_t)(sc->seed >> (8 * (i % 8)) ^ (0x42 + i));
	k->chain.genesis_time_ns = w->epoch_ns;
	k->chain.genesis_difficulty = d;
	k->chain.interval_ns = c->interval_ns;
	k->chain.retarget_blocks = (uint32_t)c->retarget;
	k->chain.max_step = 4;
	k->chain.future_tol_ns = c->future_ns;
	k->chain.stmt_age_ns = c->stmt_age_ns;
	k->chain.agree_ns = c->agree_ns;
	k->chain.drift_ppb = c->drift_ppb;
	k->chain.window_blocks = (uint32_t)c->window;
	k->chain.orphan_ttl_ns = c->orphan_ttl_ns;
	k->chain.min_stmts = (uint32_t)c->min_stmts;
	k->chain.signer = &w->signer;
	k->steer = (bft_nk_steer){ .tau_phase_ns = c->tau_phase_ns, .tau_ref_ns = c->tau_ref_ns,
		                   .ref_slew_ppb = c->ref_slew_ppb, .max_ppb = c->max_ppb };
	k->n_slots = c->slots;
	k->n_orphans = c->orphans;
	k->n_archive = c->archive;
	k->relay_hops = (uint32_t)c->relay_hops;
	/* Poisson mining: the node hashes nothing in its own steps; the world
	 * draws its finds and hands them to it (nk_find). */
	k->mine = !c->poisson;
	const sim_nk_byz *b = nk_byz(sc, id);
	double per_step = hps * (double)c->step_ns / 1e9 * (b ? b->hash : 1);
	k->hashes_per_step = per_step >= 1 ? (uint64_t)per_step : 1;
	k->mine_step_ns = c->step_ns;
	const sim_node *nd = &w->nodes[id];
	for (size_t r = 0; r < nd->n_refs; r++) {
		memset(&refs[r], 0, sizeof refs[r]);
		if (sc->refs[nd->refs[r].tmpl].kind == SIM_REF_GPS) { /* every receiver, any region: GPS */
			refs[r].kind = BFT_CREF_GNSS;
			refs[r].id[0] = BFT_GNSS_GPS;
			continue;
		}
		refs[r].kind = BFT_CREF_SIM;
		uint32_t t = nd->refs[r].tmpl + 1;
		refs[r].id[0] = (uint8_t)(t >> 24);
		refs[r].id[1] = (uint8_t)(t >> 16);
		refs[r].id[2] = (uint8_t)(t >> 8);
		refs[r].id[3] = (uint8_t)t;
	}
	if (sim_solar_member(w, id)) /* the Sun: index n_refs */
		(void)bft_cref_solar(&refs[nd->n_refs], (int64_t)SIM_SOLAR_CENTRE_HZ);
	k->refs = refs;
	if (b) {
		k->byz_offset_ns = b->offset_ns;
		k->byz_withhold = (uint32_t)b->withhold;
		k->byz_selfish = b->selfish;
		k->byz_timewarp = b->timewarp;
	}
}

static int push(sim_world *w, int64_t t, uint32_t kind, uint32_t node, uint32_t a, uint32_t b)
{
	sim_event ev = { .t_ns = t, .kind = kind, .node = node, .a = a, .b = b };
	return sim_queue_push(&w->q, ev);
}

/*
 * Poisson mining (docs/nakamoto.md, "Poisson mining"). A node with hash
 * power h (1 honest, a Byzantine miner's `hash`) of the network's H finds
 * blocks at the rate (h / H) * (D0 / D) / interval, D0 the genesis
 * difficulty and D the difficulty of the block it would mine now: at D0 the
 * whole network finds one block per interval, and the retargeting moves D
 * as it would with real hashing. Finds are memoryless, so a node's next one
 * is drawn afresh whenever D changes (its best tip moved: nk_redraw after
 * any BLOCK action) and after each find. The expectation the rate gives,
 * integrated over each node's time, is kept beside the count of finds drawn
 * (expect find_sigmas checks the one against the other).
 */
static bool poisson_mining(const sim_world *w)
{
	return w->sc->engine == BFT_ENGINE_NAKAMOTO && w->sc->nk.poisson;
}

static double nk_rate_per_ns(const sim_world *w, uint32_t id, uint64_t d)
{
	const sim_nk_byz *b = nk_byz(w->sc, id);
	double h = b ? b->hash : 1;
	return d ? h / w->mine_weight * ((double)nk_genesis_difficulty(w) / (double)d) / (double)w->sc->nk.interval_ns : 0;
}

static int nk_redraw(sim_world *w, uint32_t id, bool force)
{
	sim_node *nd = &w->nodes[id];
	uint64_t d = bft_node_chain_next_difficulty(nd->node);
	w->finds_expected += nd->mine_rate * (double)(w->now_ns - nd->mine_from_ns);
	nd->mine_from_ns = w->now_ns;
	if (!force && d == nd->mine_d)
		return 0; /* the same rate: the pending find stands (memoryless) */
	nd->mine_d = d;
	nd->mine_rate = nk_rate_per_ns(w, id, d);
	nd->mine_gen++;
	if (nd->mine_rate <= 0)
		return 0;
	double dt = sim_rng_exp(&w->mine_rng, 1.0 / nd->mine_rate);
	if (dt > (double)(w->sc->duration_ns - w->now_ns))
		return 0; /* not before the end (a later redraw may still come sooner) */
	return push(w, w->now_ns + (int64_t)ceil(dt), SIM_EV_MINE, id, 0, nd->mine_gen);
}

static bool crashed(const sim_world *w, const sim_node *nd)
{
	if (nd->adv < 0)
		return false;
	const sim_adversary *a = &w->sc->advs[nd->adv];
	return bft_adv_crashed(&a->lie, w->now_ns);
}

static int signer_setup(sim_world *w)
{
	if (!w->ed25519) {
		uint64_t st = w->sc->seed ^ 0x5157u;
		w->secret = sim_splitmix64(&st);
		bft_signer_sim(&w->signer, &w->secret);
		return 0;
	}
	bft_keyring *kr;
	if (bft_keyring_create(&kr, w->n) != 0)
		return -1;
	w->keyring = kr;
	sim_rng r;
	sim_rng_seed(&r, w->sc->seed, stream_id(STREAM_KEYS, 0));
	for (size_t i = 0; i < w->n; i++) {
		uint8_t seed[BFT_ED25519_KEY];
		for (size_t k = 0; k < sizeof seed; k += 8) {
			uint64_t x = sim_rng_u64(&r);
			memcpy(seed + k, &x, 8);
		}
		if (bft_keyring_add_private(kr, (uint32_t)i, seed) != 0)
			return -1;
	}
	bft_signer_ed25519(&w->signer, kr);
	return 0;
}

/* The bounds the measurements are held against (docs/simulator.md). */
static void compute_bounds(sim_world *w, int64_t dmin_node)
{
	const sim_scenario *sc = w->sc;
	size_t n_src = w->refs_max; /* refs of the least-equipped honest node */
	size_t refs_min = SIZE_MAX, peers_min = w->peers_min;
	for (size_t h = 0; h < w->n_honest; h++) {
		size_t r = w->nodes[w->honest[h]].n_refs;
		if (r < refs_min)
			refs_min = r;
	}
	if (refs_min == SIZE_MAX)
		refs_min = 0;
	n_src = refs_min + peers_min;
	int64_t rho = sc->rho_ppb;
	int64_t w_ref = 0;
	for (size_t i = 0; i < sc->n_refs; i++) {
		int64_t x = sim_ref_max_width(&sc->refs[i], rho, sc->stamp_err_ns);
		if (x > w_ref)
			w_ref = x;
	}
	int64_t eps = sc->net_asym_ns + sc->net_jitter_max_ns + 2 * sc->stamp_err_ns;
	int64_t w_src = w_ref;
	if (peers_min > 0) {
		/* A correct peer reading: the peer's own interval (no wider than
		 * a fused reference interval) plus the round trip's width. */
		int64_t rt = 2 * (sim_net_max_delay(sc) - dmin_node) + 4 * sc->stamp_err_ns;
		if (w_ref + rt > w_src)
			w_src = w_ref + rt;
	}
	int64_t acc = -1, prec = -1;
	if (n_src > 0 && w_ref > 0 && bft_bound_marzullo_width_ns(&acc, n_src, sc->f, w_src) == 0)
		acc = bft_sat_add(acc, 2 * bft_drift_ns(rho, sc->poll_ns));
	else
		acc = -1;
	if (w->n_honest > 1 && peers_min > 0) {
		if (bft_bound_wl_precision_ns(&prec, n_src, sc->f, eps, rho, sc->poll_ns) != 0)
			prec = -1;
	}
	if (w->n_honest > 1 && prec < 0 && acc >= 0)
		prec = 2 * acc;
	if (w->n_honest <= 1)
		prec = 0;
	w->bound_precision_ns = prec;
	w->bound_accuracy_ns = acc;
}

int sim_world_create(sim_world **out, sim_scenario *sc, const sim_world_options *opt, char *err, size_t errlen)
{
	sim_world *w = calloc(1, sizeof *w);
	if (!w)
		return -1;
	*out = w;
	w->sc = sc;
	w->epoch_ns = SIM_EPOCH_NS;
	w->n = sc->nodes;
	w->ed25519 = sc->ed25519 || (opt && opt->real_crypto);
	size_t n = w->n;
	w->nodes = calloc(n, sizeof *w->nodes);
	w->ring = calloc(n, sizeof *w->ring);
	w->honest = calloc(n, sizeof *w->honest);
	w->est_scratch = calloc(n, sizeof *w->est_scratch);
	w->cut_state = calloc(n, sizeof *w->cut_state);
	w->cut_last_ns = calloc(n, sizeof *w->cut_last_ns);
	if (!w->nodes || !w->ring || !w->honest || !w->est_scratch || !w->cut_state || !w->cut_last_ns || sim_queue_init(&w->q, 4 * n) ||
	    sim_pool_init(&w->pool, 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Ring order: a seeded permutation (Fisher-Yates). */
	sim_rng topo;
	sim_rng_seed(&topo, sc->seed, stream_id(STREAM_TOPO, 0));
	for (size_t i = 0; i < n; i++)
		w->ring[i] = (uint32_t)i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)sim_rng_below(&topo, i);
		uint32_t t = w->ring[i - 1];
		w->ring[i - 1] = w->ring[j];
		w->ring[j] = t;
	}
	/* The peer graph first: f-local adversary sets are placed on it. */
	size_t deg = sc->no_peers ? 0 : (sc->peers == 0 || sc->peers >= n - 1 ? n - 1 : sc->peers & ~(size_t)1);
	if (deg < n - 1 && build_graph(w, deg)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sc->n_advs; i++)
		if (sc->advs[i].nodes.per_nbhd && resolve_local(w, &sc->advs[i].nodes)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	if (resolve_all(sc, n, w->ring, err, errlen))
		return -1;
	w->debug = getenv("BFTIME_SIM_DEBUG") != NULL;
	w->profile = opt && opt->profile;
	w->adv_lies = calloc(sc->n_advs ? sc->n_advs : 1, sizeof *w->adv_lies);
	w->adv_sent = calloc(sc->n_advs ? sc->n_advs : 1, sizeof *w->adv_sent);
	if (!w->adv_lies || !w->adv_sent) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		w->nodes[i].adv = -1;
	for (size_t a = 0; a < sc->n_advs; a++) {
		if (sc->advs[a].lie.from_ns >= sc->duration_ns) {
			snprintf(err, errlen, "%s:%u: adversary starts at %.3f s, not before the end (%.3f s)", sc->path,
			         sc->advs[a].line, (double)sc->advs[a].lie.from_ns / 1e9, (double)sc->duration_ns / 1e9);
			return -1;
		}
		for (size_t k = 0; k < sc->advs[a].nodes.n_ids; k++) {
			sim_node *nd = &w->nodes[sc->advs[a].nodes.ids[k]];
			if (nd->adv >= 0) {
				snprintf(err, errlen, "%s:%u: node %u is already in adversary set at line %u", sc->path,
				         sc->advs[a].line, sc->advs[a].nodes.ids[k], sc->advs[nd->adv].line);
				return -1;
			}
			nd->adv = (int16_t)a;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (counted_honest(w, (uint32_t)i))
			w->honest[w->n_honest++] = (uint32_t)i;

	/* References per node. */
	size_t total_refs = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t r = 0; r < sc->n_refs; r++)
			if (sim_set_has(&sc->refs[r].nodes, (uint32_t)i))
				total_refs += sc->refs[r].count;
	w->ref_slab = calloc(total_refs ? total_refs : 1, sizeof *w->ref_slab);
	if (!w->ref_slab)
		return -1;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		sim_node *nd = &w->nodes[i];
		nd->refs = w->ref_slab + used;
		for (size_t r = 0; r < sc->n_refs; r++)
			if (sim_set_has(&sc->refs[r].nodes, (uint32_t)i))
				for (size_t k = 0; k < sc->refs[r].count; k++) {
					sim_ref *ref = &w->ref_slab[used++];
					*ref = (sim_ref){ .tmpl = (uint16_t)r, .inst = (uint16_t)k, .polls = 0,
					                  .good_run = 0, .outstanding = false,
					                  .interval_ns = sc->refs[r].poll_start_ns };
					/* A fixed station, as a timing receiver is installed. */
					bftd_gps_guard_init(&ref->guard, true, SIM_GPS_MAX_MOVE_M, BFTD_GPS_STEP_TOL_NS);
				}
		nd->n_refs = (uint16_t)(w->ref_slab + used - nd->refs);
		if (nd->n_refs > w->refs_max)
			w->refs_max = nd->n_refs;
	}

	if (signer_setup(w)) {
		snprintf(err, errlen, "signer setup failed");
		return -1;
	}

	/* Peers: full mesh, or k ring neighbours (k/2 each side) of the
	 * seeded ring: k-regular and symmetric, as a responder answers only
	 * those it lists itself. */
	size_t k = deg;
	uint32_t *pos = calloc(n, sizeof *pos), *peers = calloc(k ? k : 1, sizeof *peers);
	if (!pos || !peers) {
		free(pos);
		free(peers);
		return -1;
	}
	for (size_t j = 0; j < n; j++)
		pos[w->ring[j]] = (uint32_t)j;
	w->peers_min = SIZE_MAX;
	int64_t dmin_node = sc->node_dmin_ns >= 0 ? sc->node_dmin_ns : sc->net_delay_ns;
	w->dmin_node_ns = dmin_node;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		sim_node *nd = &w->nodes[i];
		size_t np = 0;
		if (k == n - 1) {
			for (size_t j = 0; j < n; j++)
				if (j != i)
					peers[np++] = (uint32_t)j;
		} else {
			for (size_t d = 0; d < k; d++) /* build_graph */
				peers[np++] = w->adj[i * k + d];
		}
		if (np < w->peers_min)
			w->peers_min = np;
		if (np > w->peers_max)
			w->peers_max = np;
		bft_node_config cfg;
		bft_node_config_default(&cfg);
		cfg.id = (uint32_t)i;
		cfg.peers = peers;
		cfg.n_peers = np;
		cfg.max_refs = nd->n_refs + sim_solar_member(w, (uint32_t)i); /* the Sun: index n_refs */
		cfg.f = sc->f;
		cfg.engine = sc->engine;
		cfg.alg = sc->alg;
		cfg.poll_ns = sc->poll_ns;
		if (sc->max_age_ns > 0)
			cfg.max_age_ns = sc->max_age_ns;
		cfg.dmin_ns = dmin_node;
		cfg.dmax_ns = sc->node_dmax_ns > 0 ? sc->node_dmax_ns : 0;
		cfg.stamp_err_ns = sc->stamp_err_ns;
		if (sc->max_err_ns > 0)
			cfg.max_err_ns = sc->max_err_ns;
		cfg.disc.rho_ppb = sc->rho_ppb;
		if (sc->bftimed_defaults) { /* what bftimed's config gives its node (src/daemon/config.c) */
			cfg.disc.history_len = BFTD_DEFAULT_HISTORY;
			int64_t longest = sc->poll_ns;
			for (size_t j = 0; j < sc->n_refs; j++)
				if (sc->refs[j].kind == SIM_REF_NTP && sc->refs[j].poll_ns > longest)
					longest = sc->refs[j].poll_ns;
			cfg.disc.max_span_ns = bftd_default_history_span(longest);
		}
		if (sc->history_len)
			cfg.disc.history_len = sc->history_len;
		if (sc->history_span_ns >= 0)
			cfg.disc.max_span_ns = sc->history_span_ns;
		cfg.signer = &w->signer;
		bft_node_nk_config nkc;
		bft_cref nk_refs[64];
		if (sc->engine == BFT_ENGINE_NAKAMOTO) {
			if (nd->n_refs > 64) {
				snprintf(err, errlen, "nakamoto: at most 64 references per node");
				rc = -1;
				break;
			}
			nk_setup(w, (uint32_t)i, &nkc, nk_refs);
			cfg.nk = &nkc;
		}
		uint64_t st = sc->seed ^ (0x6e6f6465ull << 20) ^ i;
		cfg.seed = sim_splitmix64(&st);
		rc = bft_node_create(&nd->node, &cfg);
		if (rc)
			snprintf(err, errlen, "bft_node_create(node %zu): %s", i, bft_strerror(rc));

		sim_rng_seed(&nd->rng, sc->seed, stream_id(STREAM_NODE, i));
		sim_osc_config oc = {
			.freq_ppb = (sc->mean_freq_ppm + (2 * sim_rng_unit(&nd->rng) - 1) * sc->freq_ppm) * 1000.0,
			.wander_ppb = sc->wander_ppb,
			.step_ns = sc->osc_step_ns,
			.aging_ppb_per_s = sc->aging_ppb_per_day / 86400.0,
			.limit_ppb = (double)sc->rho_ppb * 0.99,
			.raw_at_zero_ns = w->epoch_ns + (int64_t)((2 * sim_rng_unit(&nd->rng) - 1) * (double)sc->raw_offset_ns),
		};
		sim_osc_init(&nd->osc, &oc, sc->seed, stream_id(STREAM_OSC, i));
	}
	free(pos);
	free(peers);
	if (rc)
		return -1;
	if (w->peers_min == SIZE_MAX)
		w->peers_min = 0;
	compute_bounds(w, dmin_node);
	if (sim_metrics_init(&w->m, n, sc->warmup_ns, w->bound_precision_ns))
		return -1;
	if (opt && opt->trace &&
	    (!(w->trace = calloc(1, sizeof *w->trace)) || sim_trace_init(w->trace, n, w->honest, w->n_honest)))
		return -1;
	if (hops_from_holders(w))
		return -1;

	if (poisson_mining(w)) {
		sim_rng_seed(&w->mine_rng, sc->seed, stream_id(STREAM_MINE, 0));
		for (size_t i = 0; i < n; i++) {
			const sim_nk_byz *b = nk_byz(sc, (uint32_t)i);
			w->mine_weight += b ? b->hash : 1;
		}
	}
	/* Initial events: starts staggered over the first second, references
	 * at their phase after the start, samples on a fixed grid. */
	for (size_t i = 0; i < n && !rc; i++) {
		sim_node *nd = &w->nodes[i];
		int64_t start = (int64_t)(sim_rng_unit(&nd->rng) * 1e9);
		rc |= push(w, start, SIM_EV_START, (uint32_t)i, 0, 0);
		for (uint16_t r = 0; r < nd->n_refs; r++) {
			const sim_ref_tmpl *t = &sc->refs[nd->refs[r].tmpl];
			int64_t ph = t->phase_ns >= 0 ? t->phase_ns : (int64_t)(sim_rng_unit(&nd->rng) * (double)t->poll_ns);
			rc |= push(w, start + ph, SIM_EV_REF, (uint32_t)i, r, 0);
		}
	}
	/* The steered system clock of every honest node: offset from true
	 * time at t = 0, free-running on the oscillator until the first
	 * steering; refreshed every `update` from the start, as bftimed's
	 * loop does. */
	for (size_t h = 0; h < w->n_honest && !rc && sc->sys.on; h++) {
		sim_node *nd = &w->nodes[w->honest[h]];
		nd->sys.raw0_ns = sim_osc_raw(&nd->osc, 0);
		nd->sys.sys0_ns = w->epoch_ns + sc->sys.offset_ns;
		rc |= push(w, sim_osc_when(&nd->osc, 0, nd->sys.raw0_ns + sc->sys.update_ns), SIM_EV_STEER, w->honest[h],
		           0, nd->sys.gen);
	}
	for (size_t i = 0; i < sc->n_temps; i++)
		rc |= push(w, sc->temps[i].at_ns, SIM_EV_TEMP, 0, (uint32_t)i, 0);
	rc |= push(w, sc->sample_ns, SIM_EV_SAMPLE, 0, 0, 0);
	if (!rc && sc->solar.on) {
		if (sim_solar_create(&w->solar, w, err, errlen) != 0)
			return -1;
		rc |= push(w, sc->solar.every_ns, SIM_EV_SOLAR, 0, 0, 0);
	}
	if (rc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void sim_world_destroy(sim_world *w)
{
	if (!w)
		return;
	sim_solar_destroy(w->solar);
	if (w->nodes)
		for (size_t i = 0; i < w->n; i++)
			bft_node_destroy(w->nodes[i].node);
	free(w->nodes);
	free(w->ref_slab);
	free(w->ring);
	free(w->adj);
	free(w->hop);
	free(w->honest);
	free(w->est_scratch);
	free(w->cut_state);
	free(w->cut_last_ns);
	free(w->adv_lies);
	free(w->adv_sent);
	sim_queue_free(&w->q);
	sim_pool_free(&w->pool);
	sim_metrics_free(&w->m);
	if (w->trace)
		sim_trace_free(w->trace);
	free(w->trace);
	bft_keyring_destroy(w->keyring);
	free(w);
}

/* ---- event handling ----------------------------------------------------- */

static int deliver_later(sim_world *w, uint32_t from, uint32_t to, const uint8_t *buf, size_t len, int64_t at)
{
	uint32_t slot = sim_pool_get(&w->pool);
	if (slot == UINT32_MAX)
		return -1;
	sim_packet *p = sim_pool_at(&w->pool, slot);
	p->from = from;
	p->len = (uint16_t)len;
	memcpy(p->buf, buf, len);
	return push(w, at, SIM_EV_PACKET, to, slot, 0);
}

static int send_one(sim_world *w, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	sim_node *nd = &w->nodes[from];
	int64_t delay, replay_at;
	if (to >= w->n)
		return 0;
	if (sim_net_route(w->sc, &nd->rng, from, to, w->now_ns, &delay, &replay_at, &w->net) != SIM_NET_DELIVER)
		return 0;
	int rc = deliver_later(w, from, to, buf, len, w->now_ns + delay);
	if (!rc && replay_at != INT64_MIN)
		rc = deliver_later(w, from, to, buf, len, replay_at);
	return rc;
}

/* A liar's message: the network decides its fate first, so the omniscient
 * adversary knows the delay it is lying about (max-bias from the receiver's
 * view); an equivocating second copy takes its own route. */
static int send_packet(sim_world *w, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	sim_node *nd = &w->nodes[from];
	if (len >= 2 && buf[0] == 'B' && buf[1] != 'T') { /* the chain's datagrams (node_chain.h): not rewritten */
		w->chain_bytes += len;
		w->chain_datagrams++;
		return send_one(w, from, to, buf, len);
	}
	if (nd->adv < 0)
		return send_one(w, from, to, buf, len);
	if (to >= w->n)
		return 0;
	const sim_adversary *adv = &w->sc->advs[nd->adv];
	int64_t delay = -1, replay_at = INT64_MIN;
	bool deliver = sim_net_route(w->sc, &nd->rng, from, to, w->now_ns, &delay, &replay_at, &w->net) == SIM_NET_DELIVER;
	bft_adv_view v = { .now = w->now_ns, .true_ns = w->epoch_ns + w->now_ns, .delay_ns = deliver ? delay : -1,
		           .dmin_ns = w->dmin_node_ns };
	bft_adv_out o;
	/* One draw per message whatever the strategy keeps streams aligned. */
	double u = sim_rng_unit(&nd->rng);
	if (bft_adv_rewrite(&adv->lie, &v, u, &w->signer, from, buf, len, &o) != 0)
		w->adv_errors++;
	else
		w->adv_rewrites++;
	if (w->now_ns >= adv->lie.from_ns)
		w->adv_sent[nd->adv]++;
	w->adv_lies[nd->adv] += o.lies;
	w->adv_lies_total += o.lies;
	int rc = 0;
	if (o.n == 2) {
		int64_t d2, r2;
		if (sim_net_route(w->sc, &nd->rng, from, to, w->now_ns, &d2, &r2, &w->net) == SIM_NET_DELIVER) {
			/* Sent second, delivered first: the first copy is held back
			 * (never faster than the network allows). */
			if (deliver && o.second_first && delay <= d2)
				delay = d2 + 1;
			rc = deliver_later(w, from, to, o.buf[1], o.len[1], w->now_ns + d2);
			if (!rc && r2 != INT64_MIN)
				rc = deliver_later(w, from, to, o.buf[1], o.len[1], r2);
		}
	}
	if (deliver && !rc) {
		rc = deliver_later(w, from, to, o.buf[0], o.len[0], w->now_ns + delay);
		if (!rc && replay_at != INT64_MIN)
			rc = deliver_later(w, from, to, o.buf[0], o.len[0], replay_at);
	}
	return rc;
}

/* ---- the steered system clock (scenario system_clock) ------------------ */

int64_t sim_sys_read(const sim_node *nd, int64_t raw_ns)
{
	int64_t d = raw_ns - nd->sys.raw0_ns;
	return nd->sys.sys0_ns + d + (int64_t)llround((double)d * nd->sys.rate_ppb * 1e-9);
}

/* What bftimed's exports.adjtimex does with each estimate and every second
 * between (src/daemon/exports.c, adj_apply): leave a clock it knows nothing
 * about alone; in the alarm hold the fitted frequency without correcting
 * the offset; otherwise step forward beyond `step` (never back), and run at
 * the fitted frequency plus offset / tau, capped at max_slew. The kernel's
 * tick and frequency resolution (1/65536 ppm) is below what matters here. */
static int steer(sim_world *w, uint32_t id)
{
	sim_node *nd = &w->nodes[id];
	const sim_sysclock *y = &w->sc->sys;
	int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
	nd->sys.gen++;
	int rc = push(w, sim_osc_when(&nd->osc, w->now_ns, raw + y->update_ns), SIM_EV_STEER, id, 0, nd->sys.gen);
	bft_estimate e;
	if (bft_node_read(nd->node, raw, &e) != 0 || e.state == BFT_DISC_UNSYNCHRONIZED)
		return rc;
	/* Re-anchor: the rate changes from now on. */
	nd->sys.sys0_ns = sim_sys_read(nd, raw);
	nd->sys.raw0_ns = raw;
	if (e.alarm) {
		if (nd->sys.active)
			nd->sys.rate_ppb = (double)e.freq_ppb;
		return rc;
	}
	int64_t offset = bft_sat_sub(e.estimate_ns, nd->sys.sys0_ns);
	if (offset > y->step_ns) {
		nd->sys.sys0_ns = e.estimate_ns;
		offset = 0;
		w->sys_steps++;
	}
	double rate = (double)e.freq_ppb + (double)offset * 1e9 / (double)y->tau_ns;
	double cap = (double)y->max_slew_ppb;
	nd->sys.rate_ppb = rate > cap ? cap : rate < -cap ? -cap : rate;
	nd->sys.active = true;
	w->sys_updates++;
	return rc;
}

static int drain(sim_world *w, uint32_t id)
{
	sim_node *nd = &w->nodes[id];
	bft_action act;
	int rc = 0;
	bool block = false;
	while (bft_node_next_action(nd->node, &act)) {
		switch (act.kind) {
		case BFT_ACT_SEND:
			rc |= send_packet(w, id, act.to, act.buf, act.len);
			break;
		case BFT_ACT_TIMER:
			nd->timer_raw = act.at_raw_ns;
			nd->timer_gen++;
			rc |= push(w, sim_osc_when(&nd->osc, w->now_ns, act.at_raw_ns), SIM_EV_TIMER, id, 0, nd->timer_gen);
			break;
		case BFT_ACT_QUARANTINE: /* counted by the node; the report reads its counters */
			if (w->trace && nd->adv < 0)
				sim_trace_quarantine(w->trace, w->now_ns, id, act.to, act.q);
			break;
		case BFT_ACT_BLOCK:      /* no store in the simulator; Poisson mining: the tip may have moved */
			block = true;
			break;
		case BFT_ACT_ESTIMATE:
			if (act.est.alarm && counted_honest(w, id))
				sim_metrics_alarm(&w->m, id);
			if (w->trace && nd->adv < 0)
				sim_trace_alarm(w->trace, w->now_ns, id, act.est.alarm);
			if (nd->adv < 0 && !nk_byz(w->sc, id) && w->sc->sys.on)
				rc |= steer(w, id);
			break;
		}
	}
	if (block && poisson_mining(w))
		rc |= nk_redraw(w, id, false);
	return rc;
}

/*
 * A Poisson find: the node's own code makes the block (bft_node_chain_work
 * gives the header it would mine now; the nonce is searched here with real
 * SHA3-256 at the chain's tiny difficulty; bft_node_chain_found makes the
 * block, which its chain judges, proof of work included, like any block),
 * then the next find is drawn. A node that does not mine now (its clock not
 * yet settled) lets the find pass, as its hashing would have been idle.
 */
#define NK_NONCE_TRIES (UINT64_C(1) << 32)
static int nk_find(sim_world *w, uint32_t id)
{
	sim_node *nd = &w->nodes[id];
	int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
	bft_block_hdr h;
	w->finds++;
	if (bft_node_chain_work(nd->node, raw, &h) != 0) {
		w->finds_idle++;
	} else {
		uint64_t before = h.nonce;
		int found = bft_block_mine(&h, NK_NONCE_TRIES);
		w->find_hashes += h.nonce - before + (found == 1);
		if (found != 1 || bft_node_chain_found(nd->node, raw, &h) < 0)
			w->finds_failed++;
	}
	int rc = drain(w, id);
	return rc | nk_redraw(w, id, true);
}

static int on_ref(sim_world *w, uint32_t id, uint32_t r)
{
	sim_node *nd = &w->nodes[id];
	sim_ref *ref = &nd->refs[r];
	const sim_ref_tmpl *t = &w->sc->refs[ref->tmpl];
	/* bftimed's ntp driver: a burst of quick queries, then every interval
	 * plus a random extra so that nodes started together drift apart; a
	 * query still unanswered when the next one leaves breaks the run of
	 * good replies the interval's climb counts. */
	int64_t gap = ref->interval_ns;
	/* A burst's spacing as the driver's, with burst_gap for its 2 s. */
	int64_t bgap = bftd_ntp_burst_gap_ns(ref->interval_ns, t->burst_gap_ns);
	bool in_burst = ref->polls >= t->burst && ref->burst_left > 0;
	if (ref->polls == 0)
		ref->first_ns = w->now_ns;
	if (ref->polls < t->burst || in_burst) {
		gap = bgap;
		ref->burst_left -= in_burst;
	} else {
		if (t->poll_jitter > 0)
			gap += (int64_t)(sim_rng_unit(&nd->rng) * t->poll_jitter * (double)ref->interval_ns);
		/* Young: the next poll is a burst ending where it would have been. */
		int64_t lead = t->poll_burst > 1 ? (int64_t)(t->poll_burst - 1) * bgap : 0;
		if (lead > 0 && lead < gap / 2 && w->now_ns - ref->first_ns < t->poll_burst_for_ns) {
			ref->burst_left = (uint32_t)(t->poll_burst - 1);
			gap -= lead;
		}
	}
	ref->polls++;
	if (ref->outstanding)
		ref->good_run = 0;
	ref->outstanding = t->kind == SIM_REF_NTP;
	ref->regular = ref->polls > (uint32_t)t->burst && !in_burst; /* the query leaving now (polls counted it) */
	int rc = push(w, w->now_ns + gap, SIM_EV_REF, id, r, 0);
	if (sim_ref_in_outage(t, w->now_ns))
		return rc;
	if (t->kind == SIM_REF_GPS) {
		bft_interval iv = bft_iv_shift(sim_gps_read(w->sc, t, &nd->rng, w->now_ns), w->epoch_ns);
		int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
		/* The receiver's own report (the fix, its sky) through the
		 * daemon's GPS plausibility checks: a spoofer whose sky no real
		 * one gives is caught by the code that catches it in bftimed. */
		bftd_gps_fix fix;
		bftd_gps_sky sky;
		sim_gps_receiver(w->sc, t, id, w->now_ns, bft_iv_mid(iv), &fix, &sky);
		uint32_t bad = bftd_gps_guard_check(&ref->guard, &fix, &sky, raw, w->epoch_ns + w->now_ns);
		if (bad)
			(void)bft_node_on_reference_suspect(nd->node, raw, r, bftd_gps_suspect_first(bad));
		else
			(void)bft_node_on_reference(nd->node, raw, r, iv);
		return rc | drain(w, id);
	}
	int64_t t2, t3, t1 = sim_osc_raw(&nd->osc, w->now_ns);
	if (t->wire) {
		uint64_t cookie = ++w->ntp_cookie;
		uint8_t pkt[SIM_NTP_PKT_LEN];
		int64_t at = sim_ntp_serve_wire(t, ref->inst, &nd->rng, w->now_ns, w->epoch_ns, cookie, pkt);
		if (at == INT64_MIN) {
			w->ntp_lost++;
			return rc;
		}
		uint32_t slot = sim_pool_get(&w->pool);
		if (slot == UINT32_MAX)
			return -1;
		uint8_t *b = sim_pool_at(&w->pool, slot)->buf;
		memcpy(b, &t1, 8);
		memcpy(b + 8, &cookie, 8);
		memcpy(b + 16, pkt, sizeof pkt);
		return rc | push(w, at, SIM_EV_NTP_REPLY, id, slot, r);
	}
	int64_t at = sim_ntp_serve(t, ref->inst, &nd->rng, w->now_ns, &t2, &t3);
	if (at == INT64_MIN) {
		w->ntp_lost++;
		return rc;
	}
	uint32_t slot = sim_pool_get(&w->pool);
	if (slot == UINT32_MAX)
		return -1;
	int64_t ts[3] = { t1, w->epoch_ns + t2, w->epoch_ns + t3 };
	memcpy(sim_pool_at(&w->pool, slot)->buf, ts, sizeof ts);
	return rc | push(w, at, SIM_EV_NTP_REPLY, id, slot, r);
}

/* A good reply: one more in the run; after poll_grow_after of them the
 * query interval doubles, up to poll (bftimed's driver, as chronyd). The
 * start burst's replies do not count, as in the driver. */
static void note_good_reply(sim_ref *ref, const sim_ref_tmpl *t)
{
	if (ref->interval_ns < t->poll_ns && ref->regular && ++ref->good_run >= t->poll_grow_after) {
		ref->good_run = 0;
		ref->interval_ns = ref->interval_ns * 2 > t->poll_ns ? t->poll_ns : ref->interval_ns * 2;
	}
}

static int on_ntp_reply(sim_world *w, uint32_t id, uint32_t slot, uint32_t r)
{
	sim_node *nd = &w->nodes[id];
	const sim_ref_tmpl *t = &w->sc->refs[nd->refs[r].tmpl];
	int64_t t4 = sim_osc_raw(&nd->osc, w->now_ns);
	bft_interval iv;
	/* Answered (replies take milliseconds, queries are seconds apart, so
	 * this is the reply to the latest query). */
	nd->refs[r].outstanding = false;
	if (t->wire) {
		const uint8_t *b = sim_pool_at(&w->pool, slot)->buf;
		int64_t t1;
		uint64_t cookie;
		uint8_t pkt[SIM_NTP_PKT_LEN];
		memcpy(&t1, b, 8);
		memcpy(&cookie, b + 8, 8);
		memcpy(pkt, b + 16, sizeof pkt);
		sim_pool_put(&w->pool, slot);
		/* The pivot only picks the NTP era: true time serves. */
		if (sim_ntp_interval_wire(w->sc->rho_ppb, w->sc->stamp_err_ns, pkt, cookie, t1, t4, w->epoch_ns + w->now_ns,
		                          &iv) != 0) {
			w->ntp_rejected++;
			return 0;
		}
		w->ntp_replies++;
		if (memcmp(pkt + 40, pkt + 32, 8) < 0) /* big-endian: t3 < t2 as read */
			w->ntp_t3_before_t2++;
		note_good_reply(&nd->refs[r], t);
		(void)bft_node_on_reference(nd->node, t4, r, iv);
		return drain(w, id);
	}
	int64_t ts[3];
	memcpy(ts, sim_pool_at(&w->pool, slot)->buf, sizeof ts);
	sim_pool_put(&w->pool, slot);
	if (!sim_ntp_interval(t, w->sc->rho_ppb, w->sc->stamp_err_ns, ts[0], ts[1], ts[2], t4, &iv)) {
		w->ntp_rejected++;
		return 0;
	}
	note_good_reply(&nd->refs[r], t);
	(void)bft_node_on_reference(nd->node, t4, r, iv);
	return drain(w, id);
}

/* Is node id on the cut-off side of a partition in force now? The smaller
 * side is the cut-off one (scenarios list the nodes they isolate, or an
 * eclipsed node): no algorithm keeps it with the rest of the network, so
 * the network's figures leave it out while the partition lasts; its own
 * interval of true time still counts everywhere else (sim_metrics.net_cut). */
static bool cut_off(const sim_world *w, uint32_t id)
{
	for (size_t i = 0; i < w->sc->n_partitions; i++) {
		const sim_partition *p = &w->sc->partitions[i];
		if (w->now_ns < p->from_ns || w->now_ns >= p->to_ns)
			continue;
		size_t listed = p->nodes.kind == SIM_SET_ALL ? w->n : p->nodes.kind == SIM_SET_LIST ? p->nodes.n_ids : 0;
		bool in = sim_set_has(&p->nodes, id);
		if (2 * listed <= w->n ? in : !in)
			return true;
	}
	return false;
}

static int on_sample(sim_world *w)
{
	bool any_cut = false;
	for (size_t h = 0; h < w->n_honest; h++) {
		sim_node *nd = &w->nodes[w->honest[h]];
		int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
		if (bft_node_read(nd->node, raw, &w->est_scratch[h]) != 0)
			memset(&w->est_scratch[h], 0, sizeof w->est_scratch[h]);
		/* Left out while cut off, and after until it agrees with the
		 * network again (or holds fresh true time): the rejoin is
		 * measured apart. */
		const bft_estimate *e = &w->est_scratch[h];
		if (cut_off(w, w->honest[h])) {
			w->cut_state[h] = 1;
			w->cut_last_ns[h] = w->now_ns;
		} else if (w->cut_state[h] && (e->agreed || e->state == BFT_DISC_SYNCHRONIZED)) {
			w->cut_state[h] = 0;
			if (w->now_ns - w->cut_last_ns[h] > w->m.net_rejoin_max_ns)
				w->m.net_rejoin_max_ns = w->now_ns - w->cut_last_ns[h];
		}
		any_cut |= w->cut_state[h] != 0;
	}
	w->m.net_cut = any_cut ? w->cut_state : NULL;
	if (sim_metrics_sample(&w->m, w->now_ns, w->epoch_ns + w->now_ns, w->est_scratch, w->honest, w->n_honest))
		return -1;
	if (w->trace && sim_trace_sample(w->trace, w->now_ns, w->epoch_ns + w->now_ns, w->est_scratch))
		return -1;
	for (size_t h = 0; h < w->n_honest && w->sc->sys.on; h++) {
		sim_node *nd = &w->nodes[w->honest[h]];
		sim_metrics_system(&w->m, w->now_ns, sim_sys_read(nd, sim_osc_raw(&nd->osc, w->now_ns)) - (w->epoch_ns + w->now_ns),
		                   h == 0);
	}
	if (w->now_ns + w->sc->sample_ns <= w->sc->duration_ns)
		return push(w, w->now_ns + w->sc->sample_ns, SIM_EV_SAMPLE, 0, 0, 0);
	return 0;
}

/* A fused solar reading for a node's reference index ref (sim/solar.h). */
static int solar_emit(sim_world *w, uint32_t id, uint32_t ref, int64_t raw_ns, bft_interval iv)
{
	(void)bft_node_on_reference(w->nodes[id].node, raw_ns, ref, iv);
	return drain(w, id);
}

static int handle(sim_world *w, const sim_event *ev)
{
	if (ev->kind == SIM_EV_SAMPLE)
		return on_sample(w);
	if (ev->kind == SIM_EV_SOLAR)
		return sim_solar_slot(w->solar, w, solar_emit) | push(w, w->now_ns + w->sc->solar.every_ns, SIM_EV_SOLAR, 0, 0, 0);
	if (ev->kind == SIM_EV_TEMP) {
		const sim_temp_step *ts = &w->sc->temps[ev->a];
		for (size_t i = 0; i < w->n; i++)
			if (sim_set_has(&ts->nodes, (uint32_t)i))
				sim_osc_kick(&w->nodes[i].osc, w->now_ns, ts->ppb);
		return 0;
	}
	sim_node *nd = &w->nodes[ev->node];
	if (crashed(w, nd)) {
		/* A crashed node does nothing; what was in flight to it is lost. */
		if (ev->kind == SIM_EV_PACKET || ev->kind == SIM_EV_NTP_REPLY) {
			sim_pool_put(&w->pool, ev->a);
			if (ev->kind == SIM_EV_PACKET)
				w->net.to_crashed++;
		}
		if (ev->kind == SIM_EV_MINE && ev->b == nd->mine_gen) { /* its hashing is down too: a find lost */
			w->finds++;
			w->finds_idle++;
			return nk_redraw(w, ev->node, true);
		}
		return 0;
	}
	switch (ev->kind) {
	case SIM_EV_START: {
		(void)bft_node_start(nd->node, sim_osc_raw(&nd->osc, w->now_ns));
		int rc = drain(w, ev->node);
		if (poisson_mining(w)) {
			nd->mine_from_ns = w->now_ns;
			rc |= nk_redraw(w, ev->node, true);
		}
		return rc;
	}
	case SIM_EV_MINE:
		return ev->b == nd->mine_gen ? nk_find(w, ev->node) : 0; /* else superseded by a redraw */
	case SIM_EV_TIMER: {
		if (ev->b != nd->timer_gen)
			return 0; /* superseded by a later TIMER action */
		int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
		if (raw < nd->timer_raw) /* the rate changed since it was armed: early */
			return push(w, sim_osc_when(&nd->osc, w->now_ns, nd->timer_raw), SIM_EV_TIMER, ev->node, 0,
			            nd->timer_gen);
		(void)bft_node_on_timer(nd->node, raw);
		return drain(w, ev->node);
	}
	case SIM_EV_PACKET: {
		sim_packet *p = sim_pool_at(&w->pool, ev->a);
		int64_t raw = sim_osc_raw(&nd->osc, w->now_ns);
		(void)bft_node_on_packet(nd->node, raw, p->buf, p->len);
		sim_pool_put(&w->pool, ev->a);
		return drain(w, ev->node);
	}
	case SIM_EV_REF:
		return on_ref(w, ev->node, ev->a);
	case SIM_EV_NTP_REPLY:
		return on_ntp_reply(w, ev->node, ev->a, ev->b);
	case SIM_EV_STEER:
		return ev->b == nd->sys.gen ? steer(w, ev->node) : 0; /* else superseded by an estimate */
	}
	return 0;
}

/* handle, timed on the host's monotonic clock (two reads an event, about
 * 50 ns; only with --profile). Profiling reads no state the world would
 * not: the run's results are the same as without it. */
static int handle_timed(sim_world *w, const sim_event *ev)
{
	int64_t t0 = bft_clock_mono_ns();
	int rc = handle(w, ev);
	unsigned k = ev->kind < SIM_EV_KINDS ? ev->kind : 0;
	w->prof_count[k]++;
	w->prof_ns[k] += bft_clock_mono_ns() - t0;
	return rc;
}

void sim_world_profile(FILE *out, const sim_world *w)
{
	static const char *const name[SIM_EV_KINDS] = {
		[SIM_EV_START] = "start", [SIM_EV_TIMER] = "timer", [SIM_EV_PACKET] = "packet",
		[SIM_EV_REF] = "reference reading", [SIM_EV_NTP_REPLY] = "NTP reply", [SIM_EV_SAMPLE] = "sample",
		[SIM_EV_TEMP] = "temperature step", [SIM_EV_STEER] = "system clock steer",
		[SIM_EV_SOLAR] = "solar block", [SIM_EV_MINE] = "Poisson find",
	};
	double loop = w->prof_loop_ns > 0 ? (double)w->prof_loop_ns : 1, in_events = 0;
	fprintf(out, "| event | count | share of the loop | us each |\n| --- | ---: | ---: | ---: |\n");
	for (unsigned k = 1; k < SIM_EV_KINDS; k++) {
		if (!w->prof_count[k])
			continue;
		in_events += (double)w->prof_ns[k];
		fprintf(out, "| %s | %llu | %.1f%% | %.2f |\n", name[k], (unsigned long long)w->prof_count[k],
		        100 * (double)w->prof_ns[k] / loop, (double)w->prof_ns[k] / 1e3 / (double)w->prof_count[k]);
	}
	fprintf(out, "| the loop itself (queue, dispatch, clock reads) | | %.1f%% | |\n", 100 * (1 - in_events / loop));
	fprintf(out, "\n%llu events in %.3f s on the host\n", (unsigned long long)w->events,
	        (double)w->prof_loop_ns / 1e9);
}

int sim_world_run(sim_world *w)
{
	sim_event ev;
	int64_t start = w->profile ? bft_clock_mono_ns() : 0;
	while (sim_queue_peek_time(&w->q) <= w->sc->duration_ns && sim_queue_pop(&w->q, &ev)) {
		w->now_ns = ev.t_ns;
		w->events++;
		if (w->profile ? handle_timed(w, &ev) : handle(w, &ev))
			return BFT_ENOMEM;
	}
	if (w->profile)
		w->prof_loop_ns = bft_clock_mono_ns() - start;
	/* Poisson mining: each node's rate counted to the end of the run. */
	if (poisson_mining(w))
		for (size_t i = 0; i < w->n; i++)
			w->finds_expected += w->nodes[i].mine_rate * (double)(w->sc->duration_ns - w->nodes[i].mine_from_ns);
	for (size_t h = 0; h < w->n_honest; h++) {
		const bft_node_counters *c = bft_node_get_counters(w->nodes[w->honest[h]].node);
		if (w->debug) {
			bft_estimate e;
			sim_node *nd = &w->nodes[w->honest[h]];
			(void)bft_node_read(nd->node, sim_osc_raw(&nd->osc, w->now_ns), &e);
			fprintf(stderr, "node %u: state %d alarm %d sources %u used %u fusions %llu exchanges %llu rejected %llu rx %llu tx %llu\n",
			        w->honest[h], (int)e.state, (int)e.alarm, e.sources, e.used, (unsigned long long)c->fusions,
			        (unsigned long long)c->exchanges, (unsigned long long)c->readings_rejected,
			        (unsigned long long)c->rx, (unsigned long long)c->tx);
		}
		w->ctr.rx += c->rx;
		w->ctr.rx_bad += c->rx_bad;
		w->ctr.rx_bad_sig += c->rx_bad_sig;
		w->ctr.rx_unknown_peer += c->rx_unknown_peer;
		w->ctr.rx_replay += c->rx_replay;
		w->ctr.rx_not_for_us += c->rx_not_for_us;
		w->ctr.tx += c->tx;
		w->ctr.exchanges += c->exchanges;
		w->ctr.readings_rejected += c->readings_rejected;
		w->ctr.alarms += c->alarms;
		w->ctr.fusions += c->fusions;
		w->ctr.ref_quarantines += c->ref_quarantines;
		w->ctr.ref_readmissions += c->ref_readmissions;
		w->ctr.ref_readings_quarantined += c->ref_readings_quarantined;
		w->ctr.agree_rounds += c->agree_rounds;
		w->ctr.agree_short += c->agree_short;
		w->ctr.agree_violations += c->agree_violations;
		w->ctr.agree_steps += c->agree_steps;
	}
	return 0;
}

void sim_world_chain_summary(const sim_world *w, sim_chain_summary *out)
{
	memset(out, 0, sizeof *out);
	if (w->sc->engine != BFT_ENGINE_NAKAMOTO || !w->n_honest)
		return;
	out->on = true;
	out->height_min = UINT64_MAX;
	uint8_t tips[64][BFT_BLOCK_HASH];
	double stmts = 0;
	size_t with = 0;
	bft_node_chain_info *ci = malloc(sizeof *ci);
	if (!ci)
		return;
	out->difficulty_min = UINT64_MAX;
	out->medians_min = SIZE_MAX;
	uint8_t *liars = calloc((w->n + 7) / 8, 1); /* the miners whose statements lie (offset) */
	for (size_t i = 0; liars && i < w->n; i++) {
		const sim_nk_byz *b = nk_byz(w->sc, (uint32_t)i);
		if (b && b->offset_ns)
			liars[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	for (size_t i = 0; i < w->n; i++) {
		if (bft_node_chain_info_get(w->nodes[i].node, ci) != 0)
			continue;
		out->mined += ci->mined;
		if (nk_byz(w->sc, (uint32_t)i))
			out->mined_byz += ci->mined;
	}
	for (size_t h = 0; h < w->n_honest; h++) {
		const bft_node *nd = w->nodes[w->honest[h]].node;
		if (bft_node_chain_info_get(nd, ci) != 0)
			continue;
		out->height_min = ci->tip.height < out->height_min ? ci->tip.height : out->height_min;
		out->height_max = ci->tip.height > out->height_max ? ci->tip.height : out->height_max;
		size_t t = 0;
		while (t < out->tips && t < 64 && memcmp(tips[t], ci->tip.hash, BFT_BLOCK_HASH) != 0)
			t++;
		if (t == out->tips && t < 64)
			memcpy(tips[out->tips++], ci->tip.hash, BFT_BLOCK_HASH);
		for (size_t r = 0; r < BFT_NK_NREASONS; r++)
			out->rejected[r] += ci->stats.rejected[r];
		out->reorgs += ci->stats.reorgs;
		out->rechecked_out += ci->stats.rechecked_out;
		out->headers += ci->stats.headers;
		out->reseated += ci->stats.reseated;
		uint64_t lies = liars ? bft_node_chain_stmts_of(nd, liars, w->n) : 0;
		out->lies_in_best = lies > out->lies_in_best ? lies : out->lies_in_best;
		if (ci->stats.max_reorg_depth > out->max_reorg_depth)
			out->max_reorg_depth = ci->stats.max_reorg_depth;
		out->alarmed += ci->tip.outworked_by_implausible;
		out->steered += ci->steered;
		out->alarm_fusions += ci->alarms;
		if (ci->n_refs && ci->refs[0].have) {
			stmts += (double)ci->refs[0].c.n;
			with++;
		}
		size_t meds = 0;
		for (size_t r = 0; r < ci->n_refs; r++) /* per kind of reference */
			if (ci->refs[r].have && ci->refs[r].ref.kind < SIM_CREF_KINDS) {
				out->by_kind[ci->refs[r].ref.kind].nodes++;
				out->by_kind[ci->refs[r].ref.kind].stmts += (double)ci->refs[r].c.n;
				meds++;
			}
		out->medians_min = meds < out->medians_min ? meds : out->medians_min;
		if (ci->tip.difficulty < out->difficulty_min)
			out->difficulty_min = ci->tip.difficulty;
		if (ci->tip.difficulty > out->difficulty_max)
			out->difficulty_max = ci->tip.difficulty;
		if (h == 0) /* what time-warp timestamps hold back */
			out->mtp_lag_ns = bft_sat_sub(w->epoch_ns + w->now_ns, ci->tip.mtp_ns);
		if (h == 0) { /* chain quality: whose blocks the best chain holds */
			uint64_t *by = calloc(w->n, sizeof *by);
			if (by) {
				out->best_held = bft_node_chain_miners(nd, by, w->n, out->best_difficulty);
				for (size_t i = 0; i < w->n; i++)
					if (nk_byz(w->sc, (uint32_t)i))
						out->byz_in_best += by[i];
				free(by);
			}
		}
		if (h == 0 && ci->stats.accepted)
			out->stale_rate = (double)(ci->stats.accepted > ci->tip.height ? ci->stats.accepted - ci->tip.height : 0) /
			                  (double)ci->stats.accepted;
	}
	free(ci);
	free(liars);
	if (out->height_min == UINT64_MAX)
		out->height_min = 0;
	if (out->difficulty_min == UINT64_MAX)
		out->difficulty_min = 0;
	out->difficulty_genesis = nk_genesis_difficulty(w);
	out->median_stmts = with ? stmts / (double)with : 0;
	if (out->medians_min == SIZE_MAX)
		out->medians_min = 0;
	double secs = (double)w->sc->duration_ns / 1e9;
	out->bytes_per_node_s = secs > 0 ? (double)w->chain_bytes / (double)w->n / secs : 0;
	out->poisson = poisson_mining(w);
	out->finds = w->finds;
	out->finds_idle = w->finds_idle;
	out->finds_failed = w->finds_failed;
	out->find_hashes = w->find_hashes;
	out->finds_expected = w->finds_expected;
}
