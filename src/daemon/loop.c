/* SPDX-License-Identifier: MIT */
/*
 * The event loop (loop.h). Why poll() and one thread: the node is a state
 * machine that must see events one at a time in raw-time order, and a single
 * loop keeps the daemon deterministic given its inputs, so it can later run
 * unmodified under clock and network simulators. Signals reach the loop
 * through a self-pipe, so a stop request never waits for the next timeout.
 */
#include "daemon/loop_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <bftime/common.h>

#include "daemon/api.h"
#include "daemon/chain.h"
#include "core/prng.h"
#include "daemon/gossip.h"
#include "daemon/http.h"
#include "daemon/reload.h"
#include "daemon/log.h"
#include "daemon/proofs_svc.h"
#include "daemon/testkit.h"
#include "daemon/refhost.h"
#include "daemon/exports.h"
#include "daemon/ntp_server.h"
#include "daemon/nts_ke.h"
#include "refclock/refclock.h"
#include "refclock/solar.h"
#include "daemon/udp.h"
#include "node/node.h"
#include "proto/sign.h"
#include "sys/clock.h"

#define RECV_BURST 64 /* datagrams read per wake-up, so timers are not starved */



static uint64_t random_u64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v ^= (uint64_t)bft_clock_mono_ns() * 0x9e3779b97f4a7c15u; /* not for secrets */
	return v;
}

static int64_t raw_now_cb(void *ctx)
{
	(void)ctx;
	return bft_clock_raw_ns();
}

/* The solar references' way out: a fragment to every peer through the
 * proof gossip's HTTP client (there is none without a store: then the
 * fragment is made and goes nowhere). */
static void solar_publish(void *ctx, const uint8_t *buf, size_t len)
{
	bftd *d = ctx;
	if (d->gossip)
		bftd_gossip_solar(d->gossip, buf, len);
}

/* The node's estimate for a receiver's published stamps: its point at raw
 * and the larger side of its interval, while it is synchronized (the
 * simulator's nodes publish on the same terms, sim/solar.c). */
static int solar_estimate(void *ctx, int64_t raw_ns, int64_t *est_ns, int64_t *half_ns)
{
	bftd *d = ctx;
	bft_estimate e;
	if (bft_node_read(d->node, raw_ns, &e) != 0 || e.state == BFT_DISC_UNSYNCHRONIZED || !bft_iv_valid(e.bounds) ||
	    e.bounds.hi_ns - e.bounds.lo_ns >= BFT_NS_PER_SEC)
		return BFT_EEMPTY;
	*est_ns = e.estimate_ns;
	int64_t up = e.bounds.hi_ns - e.estimate_ns, down = e.estimate_ns - e.bounds.lo_ns;
	*half_ns = up > down ? up : down;
	return 0;
}

/* ... and their way in, from the API's POST /v1/solar: to every solar
 * reference (each verifies it against its own recording). */
static int solar_in(void *ctx, const uint8_t *buf, size_t len)
{
	bftd *d = ctx;
	int rc = BFT_EINVAL;
	for (size_t i = 0; i < d->cfg.n_refs; i++) {
		if (d->cfg.refs[i].kind != BFTD_REF_SOLAR)
			continue;
		int r = bftd_solar_receive(&d->refs[i], buf, len);
		if (r == 0)
			rc = 0;
		else if (rc != 0 && (r == BFT_ERANGE || rc == BFT_EINVAL))
			rc = r;
	}
	return rc; /* 0: queued somewhere; BFT_ERANGE: too long; else the queues were full */
}

int bftd_create(bftd **out, const bftd_config *cfg, const uint8_t seed[32], char *err, size_t errlen)
{
	bftd *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	d->fd = -1;
	d->cfg = *cfg;
	d->cfg.peers = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *cfg->peers);
	uint32_t *ids = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof *ids);
	d->n_srcs = cfg->n_peers + cfg->n_refs;
	d->srcs = calloc(d->n_srcs ? d->n_srcs : 1, sizeof *d->srcs);
	d->cfg.byz = cfg->byz ? bftd_testkit_liar.liar_dup(cfg->byz) : NULL; /* the daemon's own copy, as of peers */
	/* ... and of the directory (a SIGHUP's reread is compared with it) */
	d->cfg.directory = cfg->n_directory ? calloc(cfg->n_directory, sizeof *cfg->directory) : NULL;
	int rc = BFT_ENOMEM;
	if (!d->cfg.peers || !ids || !d->srcs || (cfg->n_directory && !d->cfg.directory) || (cfg->byz && !d->cfg.byz) || bftd_status_init(&d->status, d->n_srcs) != 0 ||
	    bftd_history_create(&d->history, d->n_srcs) != 0)
		goto fail_mem;
	if (cfg->n_peers) /* memcpy from NULL is undefined even for 0 bytes: no peers, no array */
		memcpy(d->cfg.peers, cfg->peers, cfg->n_peers * sizeof *cfg->peers);
	if (cfg->n_directory)
		memcpy(d->cfg.directory, cfg->directory, cfg->n_directory * sizeof *cfg->directory);
	if ((rc = bft_keyring_create(&d->kr, cfg->n_peers + cfg->n_directory + 1)) != 0)
		goto fail_mem;
	if (bftd_key_is_pkcs11(cfg->key_path)) {
		/* The key stays on the token, which signs (token.h). */
		if ((rc = bftd_token_open(&d->token, cfg->key_path, d->self_pub, err, errlen)) != 0 ||
		    (rc = bftd_token_check_proofs(d->token, cfg->key_path, cfg->proof_scheme, err, errlen)) != 0)
			goto fail;
		const uint8_t *p256 = bftd_token_p256(d->token);
		if ((rc = p256 ? bft_keyring_add_public_p256(d->kr, cfg->id, p256)
		               : bft_keyring_add_public(d->kr, cfg->id, d->self_pub)) != 0)
			goto fail;
	} else if ((rc = bft_keyring_add_private(d->kr, cfg->id, seed)) != 0) {
		snprintf(err, errlen, "the node key was rejected by OpenSSL");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_peers; i++) {
		ids[i] = cfg->peers[i].id;
		if ((rc = cfg->peers[i].p256 ? bft_keyring_add_public_p256(d->kr, cfg->peers[i].id, cfg->peers[i].p256_pub)
		                             : bft_keyring_add_public(d->kr, cfg->peers[i].id, cfg->peers[i].pubkey)) != 0) {
			snprintf(err, errlen, "peer %u: public key rejected by OpenSSL", cfg->peers[i].id);
			goto fail;
		}
	}
	/* The directory's nodes: verifiable, never sources (config.h). */
	for (size_t i = 0; i < cfg->n_directory; i++) {
		const bftd_peer *e = &cfg->directory[i];
		if ((rc = e->p256 ? bft_keyring_add_public_p256(d->kr, e->id, e->p256_pub)
		                  : bft_keyring_add_public(d->kr, e->id, e->pubkey)) != 0) {
			snprintf(err, errlen, "directory: node %u: public key rejected by OpenSSL", e->id);
			goto fail;
		}
	}
	bft_signer_ed25519(&d->signer, d->kr);
	if (d->token) {
		d->peer_signer = d->signer;
		bftd_token_signer(&d->signer, d->token, cfg->id, &d->peer_signer);
	}
	bft_node_config nc = cfg->node;
	nc.id = cfg->id;
	nc.peers = ids;
	nc.n_peers = cfg->n_peers;
	nc.max_refs = cfg->n_refs;
	nc.signer = &d->signer;
	nc.seed = random_u64();
	nc.raw_now = raw_now_cb; /* transmit stamps right before signing */
	/* The network clock starts at the time of day; the test knob's offset
	 * (oscillator.offset_ms) shows in it as a mis-set system clock would. */
	nc.agree_seed_ns = bft_clock_realtime_ns() - bft_clock_raw_ns() + cfg->osc_offset_ns;
	if (nc.engine == BFT_ENGINE_NAKAMOTO) { /* references' identities: chain.h, bftd_chain_refs */
		bftd_chain_refs(d->cfg.refs, cfg->n_refs, d->nk_refs);
		d->cfg.nk.refs = d->nk_refs;
		nc.nk = &d->cfg.nk;
	}
	if ((rc = bft_node_create(&d->node, &nc)) != 0) {
		snprintf(err, errlen, "cannot create the node: %s", bft_strerror(rc));
		goto fail;
	}
	if (nc.engine == BFT_ENGINE_NAKAMOTO && d->cfg.chain_store[0]) {
		if ((rc = bftd_chain_open(&d->chain, d->cfg.chain_store, err, errlen)) != 0)
			goto fail;
		size_t kept, orphans, refused;
		char why[300];
		if (bftd_chain_replay(d->chain, d->node, bft_clock_raw_ns(), &kept, &orphans, &refused, why, sizeof why) != 0)
			bftd_log(LOG_ERR, "chain: %s: %s; the node goes on from the %zu blocks read (%zu refused) and its "
			         "peers; the file is left as it is (move it aside to start it afresh)",
			         d->cfg.chain_store, why, kept + orphans, refused);
		else if (orphans)
			bftd_log(LOG_WARNING, "chain: %zu stored blocks replayed (%zu refused), %zu more held as orphans: "
			         "their ancestors are not stored (blocks taken on their headers alone while catching up); "
			         "the peers have them", kept, refused, orphans);
		else
			bftd_log(LOG_INFO, "chain: %zu stored blocks replayed (%zu refused)", kept, refused);
	}
	d->nc = nc; /* kept, with ids, to start the node over after a suspend */
	d->ids = ids;
	ids = NULL;
	d->slept_ns = bft_clock_slept_ns();
	d->start_mono = bft_clock_mono_ns();
	for (size_t i = 0; i < cfg->n_refs; i++)
		if ((rc = bftd_refclock_open(&d->refs[i], &d->cfg.refs[i], &bftd_refhost, d->cfg.node.disc.rho_ppb, random_u64(),
		                             d->start_mono, err, errlen)) !=
		    0)
			goto fail;
	if ((rc = bftd_exports_open(&d->exports, &d->cfg, err, errlen)) != 0)
		goto fail;
	if (d->cfg.have_ntp_server && (rc = bftd_ntps_open(&d->ntps, &d->cfg, err, errlen)) != 0)
		goto fail;
	for (size_t i = 0; i < cfg->n_refs; i++)
		d->ref_kinds[i] = d->refs[i].drv->name;
	if (!d->token && bft_ed25519_public(d->self_pub, seed) != 0) {
		snprintf(err, errlen, "the node key was rejected by OpenSSL");
		rc = BFT_EINVAL;
		goto fail;
	}
	d->next_proof_mono = d->start_mono; /* the first proof as soon as the node is synchronized */
	d->api = (bftd_api_env){ .cfg = &d->cfg, .node = d->node, .ref_kinds = d->ref_kinds, .refs = d->refs,
		                 .self_pub = d->self_pub,
		                 .proofs = d->proofs, .gossip = d->gossip, .ctr = &d->ctr, .start_mono = d->start_mono,
		                 .status = &d->status, .history = d->history, .chain = d->chain };
	for (size_t i = 0; i < cfg->n_refs; i++) {
		if (cfg->refs[i].kind != BFTD_REF_SOLAR)
			continue;
		bftd_solar_io io = { &d->signer, cfg->id, solar_publish, d, solar_estimate };
		if ((rc = bftd_solar_attach(&d->refs[i], &io, err, errlen)) != 0)
			goto fail;
		d->api.on_solar = solar_in;
		d->api.on_solar_ctx = d;
		if (!cfg->store_path[0])
			bftd_log(LOG_WARNING, "reference %s: no store, so no gossip client: its fragments are not sent to the "
			                      "peers (their fragments are still read)", cfg->refs[i].name);
	}
	if (!d->cfg.api_disabled) {
		char herr[256];
		if (bftd_http_start(&d->http, &d->cfg.api, bftd_api_handle, &d->api, herr, sizeof herr) != 0) {
			/* Fatal, the default address too (issue 14: a daemon that ran
			 * on without its API left `bftime status` answering for
			 * whichever daemon held the port). */
			snprintf(err, errlen, "%s%s%s", herr, d->cfg.have_api ? "" : " (the default api address)",
			         strstr(herr, strerror(EADDRINUSE)) ? ": another bftimed, or another program, serves there; give this one "
			                               "its own `api:` address, or `api: none`"
			                             : "");
			rc = BFT_EINVAL;
			goto fail;
		} else {
			d->api.http = bftd_http_get_stats(d->http);
		}
	}
	bftd_ratelimit_init(&d->rl, cfg->rate_per_s, cfg->rate_burst, random_u64());
	d->byz_rng = random_u64();
	d->timer_raw = INT64_MAX;
	if ((d->fd = bftd_udp_open(&cfg->listen, err, errlen)) < 0) {
		rc = BFT_EINVAL;
		goto fail;
	}
	*out = d;
	return 0;
fail_mem:
	snprintf(err, errlen, "out of memory");
fail:
	free(ids);
	bftd_destroy(d);
	return rc ? rc : BFT_EINVAL;
}

void bftd_destroy(bftd *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	bftd_http_stop(d->http);
	bftd_ntps_close(d->ntps);
	bftd_exports_close(d->exports);
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		bftd_refclock_close(&d->refs[i]);
	bftd_gossip_destroy(d->gossip);
	bftd_proofs_close(d->proofs);
	bft_node_destroy(d->node);
	bft_keyring_destroy(d->kr);
	bftd_token_close(d->token);
	free(d->cfg.peers);
	free(d->cfg.directory);
	bftd_chain_close(d->chain);
	free(d->cfg.byz);
	bftd_status_free(&d->status);
	bftd_history_destroy(d->history);
	free(d->ids);
	free(d->srcs);
	free(d);
}

const bftd_counters *bftd_get_counters(const bftd *d) { return &d->ctr; }

int bftd_open_store(bftd *d, char *err, size_t errlen)
{
	if (!d->cfg.store_path[0] || d->proofs)
		return 0;
	int rc = bftd_proofs_open(&d->proofs, &d->cfg, d->self_pub, &d->signer, err, errlen);
	if (rc == 0 && bftd_token_p256(d->token))
		bftd_proofs_set_p256(d->proofs, bftd_token_p256(d->token));
	if (rc == 0)
		rc = bftd_gossip_create(&d->gossip, &d->cfg, d->proofs, err, errlen);
	/* The API serves proofs from now on (it holds a pointer to d->api). */
	d->api.proofs = d->proofs;
	d->api.gossip = d->gossip;
	return rc;
}








static void send_to_peer(bftd *d, bft_action *a)
{
	const bftd_peer *p = bftd_config_peer(&d->cfg, a->to);
	if (!p)
		return;
	const uint8_t *buf[2] = { a->buf, NULL };
	size_t len[2] = { a->len, 0 }, n = 1;
	if (d->cfg.byz) {
		/* TEST-ONLY: the simulator's strategies (testkit.h). They see
		 * CLOCK_REALTIME as true time (as the simulated reference does). */
		uint64_t lies;
		n = bftd_testkit_liar.liar_send(d->cfg.byz, bft_clock_mono_ns() - d->start_mono, bft_clock_realtime_ns(),
		                                d->cfg.node.dmin_ns, bft_prng_unit(&d->byz_rng), &d->signer, d->cfg.id,
		                                a->buf, a->len, buf, len, &lies);
		d->ctr.byz_rewritten += lies;
	}
	for (size_t i = 0; i < n; i++) {
		bftd_gate_sent(&d->rl, (size_t)(p - d->cfg.peers), buf[i], len[i]); /* the nonces its answer echoes */
		if (bftd_udp_send(d->fd, &p->addr, buf[i], len[i]) != 0 && d->ctr.send_errors++ == 0)
			bftd_log(LOG_WARNING, "send to peer %u at %s: %s (further errors counted only)", p->id,
			         p->addr.text, strerror(errno));
	}
}

static void drain(bftd *d)
{
	/* Sends first, the estimate's log line and status file after: a poll's
	 * REQUESTs carry the poll's raw time as t1, so any work done before
	 * they leave adds to the first leg's delay only, and an asymmetric
	 * delay biases every reading of a peer. */
	bft_action a;
	bool estimate = false;
	while (bft_node_next_action(d->node, &a)) {
		switch (a.kind) {
		case BFT_ACT_SEND: send_to_peer(d, &a); break;
		case BFT_ACT_TIMER: d->timer_raw = a.at_raw_ns; break;
		case BFT_ACT_ESTIMATE: estimate = true; break;
		case BFT_ACT_QUARANTINE: bftd_log_quarantine(d, &a); break;
		case BFT_ACT_BLOCK:
			if (bftd_chain_put(d->chain, a.blob, a.blob_len) != 0)
				bftd_log(LOG_WARNING, "chain store: a block could not be kept");
			break;
		}
	}
	if (estimate)
		bftd_on_estimate(d);
}

static void on_readable(bftd *d)
{
	uint8_t buf[BFT_WIRE_MAX + 1];
	for (int i = 0; i < RECV_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = 0;
		bool trunc = false;
		int64_t krt;
		ssize_t r = bftd_udp_recv(d->fd, buf, sizeof buf, &from, &fromlen, &trunc, &krt);
		/* The raw clock at the kernel's arrival stamp, erring late (clock.h). */
		int64_t raw = bft_clock_arrival_raw_ns(krt);
		if (r == 0)
			return;
		if (r < 0) {
			bftd_log(LOG_DEBUG, "recv: %s", strerror(errno));
			return;
		}
		d->ctr.datagrams++;
		/* A peer whose key signed two histories (evidence.h) is no time
		 * source: its datagrams stop here, counted there. */
		if (bftd_evidence_drop_datagram(bftd_proofs_evidence(d->proofs), buf, (size_t)r))
			continue;
		/* The gate answers the node's signature check of what it has
		 * verified itself (udp.h): attached at the first datagram. */
		bftd_gate_attach(&d->rl, &d->signer);
		if (bftd_gate_check(&d->rl, &d->cfg, buf, (size_t)r, &from, bft_clock_mono_ns()) == BFTD_GATE_DROP) {
			if (d->ctr.rate_limited++ % 1000 == 0) {
				char who[80];
				bftd_addr_format(who, sizeof who, &from);
				bftd_log(LOG_NOTICE, "rate limit: dropping datagrams from %s (%llu so far)", who,
				         (unsigned long long)d->ctr.rate_limited);
			}
			continue;
		}
		if (trunc || (size_t)r > BFT_WIRE_MAX) {
			bftd_gate_done(&d->rl, BFT_EINVAL);
			d->ctr.malformed++;
			continue;
		}
		int nrc = bft_node_on_packet(d->node, raw, buf, (size_t)r);
		bftd_gate_done(&d->rl, nrc);
		if (nrc != 0)
			d->ctr.dropped_by_node++;
		drain(d);
	}
}


static void service_refs(bftd *d, const struct pollfd *pfd, bool polled, int64_t now_mono)
{
	for (size_t i = 0; i < d->cfg.n_refs; i++) {
		bftd_refclock *rc = &d->refs[i];
		size_t nfd = polled ? d->ref_nfds[i] : 0;
		bool events = false;
		for (size_t k = 0; k < nfd; k++)
			events |= pfd[k].revents != 0;
		pfd += d->ref_nfds[i];
		if (!events && now_mono < rc->next_mono_ns)
			continue;
		bftd_reading r[BFTD_REF_MAX_READINGS];
		size_t n = rc->drv->service(rc, pfd - d->ref_nfds[i], nfd, now_mono, r, BFTD_REF_MAX_READINGS);
		for (size_t k = 0; k < n && k < BFTD_REF_MAX_READINGS; k++) {
			int rc2;
			if (r[k].suspect) {
				rc2 = bft_node_on_reference_suspect(d->node, r[k].raw_ns, (uint32_t)i, r[k].suspect);
			} else {
				d->ref_last[i] = r[k];
				rc2 = bft_node_on_reference(d->node, r[k].raw_ns, (uint32_t)i, r[k].iv);
			}
			if (rc2 != 0)
				bftd_log(LOG_DEBUG, "reference %s: reading refused by the node", d->cfg.refs[i].name);
			drain(d);
		}
	}
}




/* Milliseconds until the earliest of the node's timer and the references'. */
static int next_timeout_ms(const bftd *d, int64_t raw_now, int64_t mono_now)
{
	int64_t wait = 60 * BFT_NS_PER_SEC;
	if (d->timer_raw != INT64_MAX && bft_sat_sub(d->timer_raw, raw_now) < wait)
		wait = bft_sat_sub(d->timer_raw, raw_now);
	for (size_t i = 0; i < d->cfg.n_refs; i++)
		if (d->refs[i].next_mono_ns != INT64_MAX && d->refs[i].next_mono_ns - mono_now < wait)
			wait = d->refs[i].next_mono_ns - mono_now;
	int64_t x = bftd_exports_next_mono(d->exports);
	if (x != INT64_MAX && x - mono_now < wait)
		wait = x - mono_now;
	if (d->proofs && d->next_proof_mono - mono_now < wait)
		wait = d->next_proof_mono - mono_now;
	if (wait <= 0)
		return 0;
	return (int)((wait + 999999) / 1000000); /* round up: never wake early and spin */
}

/* The raw clock stopped while the machine was suspended, and true time did
 * not: the node's clock, interval and every reading it holds are off by the
 * time slept, which no drift bound covers. Start the node over: it is
 * unsynchronized (and says so to peers, NTP clients and the time-bounds
 * page) until its sources synchronize it again. */
static void check_suspend(bftd *d)
{
	int64_t slept = bft_clock_slept_ns(), grown = slept - d->slept_ns;
	d->slept_ns = slept;
	if (grown < BFT_NS_PER_SEC / 1000)
		return;
	bft_node *fresh = NULL;
	d->nc.seed = random_u64();
	if (bft_node_create(&fresh, &d->nc) != 0 || bft_node_start(fresh, bft_clock_raw_ns()) != 0) {
		bft_node_destroy(fresh);
		bftd_log(LOG_ERR, "the machine was suspended for %.3f s, and the node could not be started over",
		         (double)grown / 1e9);
		return;
	}
	bft_node_destroy(d->node);
	d->node = fresh;
	d->api.node = fresh;
	size_t kept, orphans, refused;
	char why[300];
	if (d->chain && /* the new node's chain from the store */
	    bftd_chain_replay(d->chain, fresh, bft_clock_raw_ns(), &kept, &orphans, &refused, why, sizeof why) != 0)
		bftd_log(LOG_ERR, "chain: %s: %s", d->cfg.chain_store, why);
	d->timer_raw = INT64_MAX;
	bftd_log(LOG_WARNING,
	         "the machine was suspended for %.3f s: the oscillator did not run, so the clock and its interval "
	         "are void; synchronizing again from the sources",
	         (double)grown / 1e9);
	drain(d);
}



void bftd_set_watchdog(bftd *d, int64_t every_ns, void (*kick)(void))
{
	d->wd_kick = every_ns > 0 ? kick : NULL;
	d->wd_every_ns = every_ns;
	d->wd_next_mono = 0; /* at the first turn */
}

int bftd_run(bftd *d)
{
	if (bftd_install_signals() != 0) {
		bftd_log(LOG_ERR, "cannot install signal handlers: %s", strerror(errno));
		bftd_close_signals();
		return BFT_EINVAL;
	}
	bftd_log(LOG_NOTICE, "node %u listening on %s, %zu peers, %zu references, f=%zu, poll %.1f s%s%s",
	         d->cfg.id, d->cfg.listen.text, d->cfg.n_peers, d->cfg.n_refs, d->cfg.node.f,
	         (double)d->cfg.node.poll_ns / 1e9, d->cfg.byz ? ", BYZANTINE (test): " : "",
	         d->cfg.byz ? bftd_liar_name(d->cfg.byz) : "");
	if (bft_node_start(d->node, bft_clock_raw_ns()) != 0) {
		bftd_close_signals();
		return BFT_EINVAL;
	}
	drain(d);
	int stop_sig = 0;
	/* [0] peers, [1] unused (-1), [2] NTP server (-1 fd when off), then the
	 * references', the HTTP server's, gossip's and NTS-KE's. */
	struct pollfd pfd[3 + BFTD_MAX_REFS * BFTD_REF_MAX_FDS + BFTD_HTTP_MAX_POLLFDS + BFTD_GOSSIP_MAX_POLLFDS +
	                  BFTD_NTSKE_MAX_POLLFDS];
	bftd_ntske *ntske = bftd_ntps_ke(d->ntps); /* NTS-KE, after gossip's pollfds */
	while (!(stop_sig = bftd_stop_requested)) {
		int64_t raw_now = bft_clock_raw_ns(), mono_now = bft_clock_mono_ns();
		pfd[0] = (struct pollfd){ .fd = d->fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = -1 };
		pfd[2] = (struct pollfd){ .fd = d->ntps ? bftd_ntps_fd(d->ntps) : -1, .events = POLLIN };
		size_t n_refs = 0;
		struct pollfd *rp = pfd + 3;
		for (size_t i = 0; i < d->cfg.n_refs; i++) {
			bftd_refclock *rc = &d->refs[i];
			d->ref_nfds[i] = rc->drv->pollfds ? rc->drv->pollfds(rc, rp + n_refs, BFTD_REF_MAX_FDS) : 0;
			n_refs += d->ref_nfds[i];
		}
		struct pollfd *hp = rp + n_refs;
		size_t n_http = d->http ? bftd_http_pollfds(d->http, hp, BFTD_HTTP_MAX_POLLFDS) : 0;
		size_t n_gossip = d->gossip ? bftd_gossip_pollfds(d->gossip, hp + n_http, BFTD_GOSSIP_MAX_POLLFDS) : 0;
		size_t n_ntske = ntske ? bftd_ntske_pollfds(ntske, hp + n_http + n_gossip, BFTD_NTSKE_MAX_POLLFDS) : 0;
		int timeout = next_timeout_ms(d, raw_now, mono_now);
		int t2 = d->http ? bftd_http_timeout_ms(d->http) : -1;
		if (t2 >= 0 && t2 < timeout)
			timeout = t2;
		t2 = d->gossip ? bftd_gossip_timeout_ms(d->gossip, mono_now) : -1;
		if (t2 >= 0 && t2 < timeout)
			timeout = t2;
		t2 = bftd_ntske_timeout_ms(ntske, mono_now);
		if (t2 >= 0 && t2 < timeout)
			timeout = t2;
		if (timeout < 0 || timeout > STOP_POLL_MS)
			timeout = STOP_POLL_MS;
		if (d->wd_kick) { /* the watchdog: kicked from the turn itself, so a stuck loop is seen */
			if (mono_now >= d->wd_next_mono) {
				d->wd_kick();
				d->wd_next_mono = mono_now + d->wd_every_ns;
			}
			int64_t wd_ms = (d->wd_next_mono - mono_now) / 1000000 + 1;
			if (wd_ms < timeout)
				timeout = (int)wd_ms;
		}
		int r = poll(pfd, (nfds_t)(3 + n_refs + n_http + n_gossip + n_ntske), timeout);
		bft_clock_mark();
		check_suspend(d);
		if (bftd_reload_requested) { /* SIGHUP (reload.h) */
			bftd_reload_requested = 0;
			bftd_reload(&d->cfg);
		}
		if (r < 0 && errno != EINTR) {
			bftd_log(LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[0].revents & (POLLIN | POLLERR)))
			on_readable(d);
		if (r > 0 && d->ntps && (pfd[2].revents & (POLLIN | POLLERR)))
			bftd_ntps_service(d->ntps, d->node);
		service_refs(d, rp, r > 0, bft_clock_mono_ns());
		/* HTTP after the datagrams: a burst of API requests cannot delay a
		 * peer's packet, whose receive stamp is already taken anyway. */
		if (d->http)
			bftd_http_service(d->http, hp, r > 0 ? n_http : 0);
		bftd_service_proofs(d, bft_clock_mono_ns());
		if (d->gossip)
			bftd_gossip_service(d->gossip, hp + n_http, r > 0 ? n_gossip : 0, bft_clock_mono_ns());
		bftd_service_exports(d, bft_clock_mono_ns());
		if (ntske)
			bftd_ntske_service(ntske, hp + n_http + n_gossip, r > 0 ? n_ntske : 0, bft_clock_mono_ns());
		raw_now = bft_clock_raw_ns();
		if (d->timer_raw != INT64_MAX && raw_now >= d->timer_raw) {
			d->timer_raw = INT64_MAX; /* the node queues the next one */
			bft_node_on_timer(d->node, raw_now);
			drain(d);
			/* Had the node's queue been full, its TIMER would be lost and
			 * the loop would never poll again: check back a poll later
			 * (an early on_timer is harmless, the node ignores it). */
			if (d->timer_raw == INT64_MAX)
				d->timer_raw = bft_sat_add(raw_now, d->cfg.node.poll_ns);
		}
	}
	if (stop_sig)
		bftd_log(LOG_NOTICE, "stopping on signal %d", stop_sig);
	bftd_close_signals();
	return stop_sig ? 0 : BFT_EINVAL;
}
