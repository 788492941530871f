/* SPDX-License-Identifier: MIT */
/*
 * A bftimed API environment for the fuzz targets that drive requests
 * (fuzz_api.c through the router, fuzz_http.c through libmicrohttpd): a
 * config for node 1 with one pinned peer (node 2), a synchronized node, and
 * a proof store in a temporary directory holding both nodes' chains of
 * FUZZ_CHAIN proofs. Keys, nonces and times are fixed, so the proofs are the
 * same bytes at every run: fuzz_api_proof_hex(node, seq) gives any of them,
 * seq FUZZ_CHAIN being the next, not yet stored. Header-only (static
 * functions), included by one target each.
 */
#ifndef BFTIME_FUZZ_API_ENV_H
#define BFTIME_FUZZ_API_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bftime/common.h>

#include "daemon/api.h"
#include "daemon/config.h"
#include "daemon/history.h"
#include "daemon/keys.h"
#include "daemon/log.h"
#include "daemon/proofs_svc.h"
#include "daemon/status.h"
#include "proto/proof.h"
#include "proto/sign.h"
#include "sys/clock.h"

#define FUZZ_CHAIN 6
#define FUZZ_T0_NS INT64_C(1717243200000000000) /* 2024-06-01T12:00:00Z */

static struct {
	char dir[32], store[64];
	bftd_config cfg;
	bft_keyring *kr;
	bft_signer signer, sim;
	uint64_t sim_secret;
	uint8_t pub[2][32];
	bft_node *node;
	bftd_proofs *ps;
	bftd_counters ctr;
	bftd_http_stats http;
	bftd_api_env env;
	uint64_t stored_cb;
	bftd_history *hist;
} fz;

/* A seed file dir/name holding text: how both targets write their seed
 * corpora when asked to. */
static void fuzz_api_write_seed(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void fuzz_api_fail(const char *what)
{
	fprintf(stderr, "fuzz api env: %s\n", what);
	abort();
}

static void fuzz_api_cleanup(void)
{
	bftd_proofs_close(fz.ps);
	bft_node_destroy(fz.node);
	bft_keyring_destroy(fz.kr);
	bftd_config_free(&fz.cfg);
	const char *sfx[] = { "", "-wal", "-shm", "-journal" };
	for (int i = 0; i < 4; i++) {
		char p[80];
		snprintf(p, sizeof p, "%s%s", fz.store, sfx[i]);
		unlink(p);
	}
	rmdir(fz.dir);
}

/* Proof seq of node (1 or 2): the chain's fixed clock and nonce. */
static int fuzz_api_proof(bft_proof *out, uint32_t node, uint64_t seq)
{
	bft_proof_gen g;
	bft_proof_gen_init(&g, node, fz.pub[node - 1], &fz.signer);
	for (uint64_t s = 0; s <= seq; s++) {
		int64_t t = FUZZ_T0_NS + (int64_t)s * BFT_NS_PER_SEC + (int64_t)node * 1000;
		bft_proof_clock c = { .flags = 1, .raw_ns = (int64_t)s * BFT_NS_PER_SEC, .time_ns = t,
			              .offset_ns = FUZZ_T0_NS, .bounds = { t - 1000000, t + 1000000 } };
		if (s == 3)
			c.ref = (bft_proof_ref){ .kind = BFT_REF_SIM_GPS, .week = 2317, .tow_ns = 43200 * BFT_NS_PER_SEC,
				                 .sats_used = 8, .sats_visible = 11, .snr_cdbhz = 4200 };
		uint8_t nonce[BFT_PROOF_NONCE];
		memset(nonce, (int)(node * 16 + s), sizeof nonce);
		if (bft_proof_gen_next(&g, out, &c, nonce) != 0 || (s < seq && bft_proof_gen_accept(&g, out) != 0))
			return -1;
	}
	return 0;
}

/* The hex of proof seq of node into out (2 * BFT_PROOF_MAX + 1 bytes). */
static void fuzz_api_proof_hex(char *out, uint32_t node, uint64_t seq)
{
	bft_proof p;
	uint8_t buf[BFT_PROOF_MAX];
	int len;
	if (fuzz_api_proof(&p, node, seq) != 0 || (len = bft_proof_encode(buf, sizeof buf, &p)) < 0)
		fuzz_api_fail("cannot build a proof");
	bftd_hex(out, buf, (size_t)len);
}

static void fuzz_api_on_stored(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	fz.stored_cb++;
}

static const bftd_api_env *fuzz_api_env(void)
{
	if (fz.node)
		return &fz.env;
	bftd_log_open(false, LOG_ERR, "fuzz"); /* the store's notices at every proof are noise here */
	snprintf(fz.dir, sizeof fz.dir, "/tmp/fuzz_api.XXXXXX");
	if (!mkdtemp(fz.dir))
		fuzz_api_fail("mkdtemp");
	snprintf(fz.store, sizeof fz.store, "%s/store.db", fz.dir);
	atexit(fuzz_api_cleanup);
	if (bft_keyring_create(&fz.kr, 4) != 0)
		fuzz_api_fail("keyring");
	for (uint32_t i = 1; i <= 2; i++) {
		uint8_t seed[32];
		memset(seed, (int)(0x40 + i), sizeof seed);
		if (bft_ed25519_public(fz.pub[i - 1], seed) != 0 || bft_keyring_add_private(fz.kr, i, seed) != 0)
			fuzz_api_fail("keys");
	}
	bft_signer_ed25519(&fz.signer, fz.kr);
	char yaml[1024], hex[65], err[512];
	bftd_hex(hex, fz.pub[1], 32);
	snprintf(yaml, sizeof yaml,
	         "node: {id: 1, listen: 127.0.0.1:9, key: %s/none.key}\n"
	         "peers:\n  - {id: 2, address: 127.0.0.2:9, api: 127.0.0.2:7380, public_key: %s}\n"
	         "consensus: {f: 0, poll: 1s}\n"
	         "references:\n  - {kind: simulated, every: 1s}\n"
	         "store: %s\nproof_interval: 1s\n",
	         fz.dir, hex, fz.store);
	if (bftd_config_parse(&fz.cfg, yaml, strlen(yaml), "fuzz.yaml", err, sizeof err) != 0)
		fuzz_api_fail(err);
	if (bftd_proofs_open(&fz.ps, &fz.cfg, fz.pub[0], &fz.signer, err, sizeof err) != 0)
		fuzz_api_fail(err);
	for (uint32_t node = 1; node <= 2; node++)
		for (uint64_t s = 0; s < FUZZ_CHAIN; s++) {
			bft_proof p;
			uint8_t buf[BFT_PROOF_MAX];
			int len;
			enum bft_store_result r;
			if (fuzz_api_proof(&p, node, s) != 0 || (len = bft_proof_encode(buf, sizeof buf, &p)) < 0 ||
			    bftd_proofs_submit(fz.ps, buf, (size_t)len, &r) != 0 || r != BFT_STORE_NEW)
				fuzz_api_fail("cannot store the chains");
		}
	/* The node: synchronized by a reference over the last few seconds of
	 * raw time, so that reads (at the real raw clock) come after it. */
	fz.sim_secret = 7;
	bft_signer_sim(&fz.sim, &fz.sim_secret);
	bft_node_config nc = fz.cfg.node;
	uint32_t peer = 2;
	nc.id = 1;
	nc.peers = &peer;
	nc.n_peers = 1;
	nc.max_refs = 1;
	nc.signer = &fz.sim;
	nc.seed = 1;
	if (bft_node_create(&fz.node, &nc) != 0)
		fuzz_api_fail("node");
	int64_t raw = bft_clock_raw_ns() - 8 * BFT_NS_PER_SEC, off = bft_clock_realtime_ns() - bft_clock_raw_ns();
	(void)bft_node_start(fz.node, raw);
	for (int k = 0; k < 28; k++) {
		int64_t r = raw + k * (BFT_NS_PER_SEC / 4);
		(void)bft_node_on_reference(fz.node, r, 0, (bft_interval){ r + off - 1000000, r + off + 1000000 });
		(void)bft_node_on_timer(fz.node, r);
		bft_action a;
		while (bft_node_next_action(fz.node, &a))
			;
	}
	static const char *const kinds[] = { "simulated" };
	fz.env = (bftd_api_env){ .cfg = &fz.cfg, .node = fz.node, .ref_kinds = kinds, .self_pub = fz.pub[0],
		                 .proofs = fz.ps, .ctr = &fz.ctr, .http = &fz.http, .start_mono = bft_clock_mono_ns(),
		                 .on_stored = fuzz_api_on_stored };
	/* The dashboard's history (history.h): three samples of the node as it is. */
	if (bftd_history_create(&fz.hist, fz.cfg.n_peers + fz.cfg.n_refs) != 0)
		fuzz_api_fail("history");
	bftd_status st;
	if (bftd_status_init(&st, fz.cfg.n_peers + fz.cfg.n_refs) != 0)
		fuzz_api_fail("status");
	for (int k = 0; k < 3; k++) {
		bftd_status_fill(&st, &fz.env, raw + 7 * BFT_NS_PER_SEC + k * BFT_NS_PER_SEC, 0, NULL);
		bftd_history_record(fz.hist, &st);
	}
	bftd_status_free(&st);
	fz.env.history = fz.hist;
	return &fz.env;
}

#endif
