/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the node's chain datagrams (src/node/node_chain.h):
 * statements ("BS"), block fragments ("BF"), block requests ("BG"),
 * announcements ("BI") and headers ("BH", as raw bytes, most with a header's
 * magic and version) as a nakamoto node receives them. fuzz_chain stops at the block decoder; this
 * one reaches reassembly, the chain and the gossip. Node 1 with peers 2, 3,
 * 4 and one reference runs a script the input encodes: time passes (the
 * node's timer fires, so it mines with a tiny difficulty), the reference
 * reads, raw bytes arrive, a statement signed by a peer arrives (fields
 * from the input), or a fragment with a valid header (hash, length, index
 * from the input, payload from the input) arrives.
 *
 * What must hold: nothing reads outside its buffers or overflows (ASan,
 * UBSan abort); every datagram the node sends is at most BFT_WIRE_MAX bytes
 * and goes to a peer; every block it announces (BLOCK) decodes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>

#include "node/node.h"
#include "proto/chain_wire.h"
#include "proto/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAW0 INT64_C(1000000000000)
#define TRUE_OFF (INT64_C(1717243200000000000) - RAW0)
#define MAX_OPS 300

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v |= (uint64_t)(r->n ? *r->p : 0) << (8 * i);
		if (r->n) {
			r->p++;
			r->n--;
		}
	}
	return v;
}

static void drain(bft_node *n, int64_t *timer)
{
	bft_action a;
	while (bft_node_next_action(n, &a)) {
		if (a.kind == BFT_ACT_TIMER)
			*timer = a.at_raw_ns;
		if (a.kind == BFT_ACT_SEND && (a.len > BFT_WIRE_MAX || a.to < 2 || a.to > 4))
			abort();
		if (a.kind == BFT_ACT_BLOCK) {
			static bft_block b;
			if (!a.blob || bft_block_decode(&b, a.blob, a.blob_len) != 0)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t secret = 0x15;
	bft_signer signer;
	bft_signer_sim(&signer, &secret);
	static const uint32_t peers[] = { 2, 3, 4 };
	bft_node_nk_config nk = { .n_slots = 32, .n_orphans = 4, .n_archive = 8, .mine = true, .hashes_per_step = 16,
		                  .mine_step_ns = BFT_NS_PER_SEC / 4 };
	memset(nk.chain.genesis, 0x42, sizeof nk.chain.genesis);
	nk.chain.genesis_time_ns = RAW0 + TRUE_OFF;
	nk.chain.genesis_difficulty = 4;
	nk.chain.interval_ns = BFT_NS_PER_SEC;
	nk.chain.retarget_blocks = 4;
	nk.chain.max_step = 4;
	nk.chain.future_tol_ns = 10 * BFT_NS_PER_SEC;
	nk.chain.stmt_age_ns = 60 * BFT_NS_PER_SEC;
	nk.chain.agree_ns = 1000000;
	nk.chain.drift_ppb = 1000;
	nk.chain.window_blocks = 4;
	nk.chain.orphan_ttl_ns = 30 * BFT_NS_PER_SEC;
	nk.chain.min_stmts = 1;
	nk.steer = (bft_nk_steer){ .tau_phase_ns = 8 * BFT_NS_PER_SEC, .tau_ref_ns = 60 * BFT_NS_PER_SEC,
		                   .ref_slew_ppb = 10000, .max_ppb = 10000 };
	bft_node_config cfg;
	bft_node_config_default(&cfg);
	cfg.id = 1;
	cfg.peers = peers;
	cfg.n_peers = 3;
	cfg.max_refs = 1;
	cfg.f = 1;
	cfg.engine = BFT_ENGINE_NAKAMOTO;
	cfg.poll_ns = 2 * BFT_NS_PER_SEC;
	cfg.signer = &signer;
	cfg.nk = &nk;
	bft_node *n;
	if (bft_node_create(&n, &cfg) != 0)
		abort();
	int64_t raw = RAW0, timer = INT64_MAX;
	bft_node_start(n, raw);
	drain(n, &timer);
	struct rd r = { data, size };
	uint8_t buf[BFT_WIRE_MAX];
	for (int op = 0; op < MAX_OPS && r.n; op++) {
		switch (take(&r, 1) % 5) {
		case 0: /* time passes */
			raw += (int64_t)(take(&r, 2) % 4000) * BFT_NS_PER_SEC / 1000;
			if (raw >= timer) {
				timer = INT64_MAX;
				bft_node_on_timer(n, raw);
			}
			break;
		case 1: { /* the reference reads, off by up to +-2 ms */
			int64_t t = raw + TRUE_OFF + ((int64_t)(take(&r, 2) % 4001) - 2000) * 1000;
			bft_node_on_reference(n, raw, 0, bft_iv(t - 1000, t + 1000));
			break;
		}
		case 2: { /* raw bytes, chain magic first (mostly) */
			size_t len = (size_t)(take(&r, 1) + 1);
			if (len > sizeof buf)
				len = sizeof buf;
			buf[0] = 'B';
			buf[1] = "SFGKHI"[take(&r, 1) % 6];
			buf[2] = 1;
			for (size_t i = 3; i < len; i++)
				buf[i] = (uint8_t)take(&r, 1);
			if (buf[1] == 'H' && len >= 10) { /* a header's magic and version after the sender */
				buf[7] = 'B';
				buf[8] = 'K';
				buf[9] = 1;
			}
			bft_node_on_packet(n, raw, buf, len);
			break;
		}
		case 3: { /* a statement signed by a peer */
			bft_stmt s = { .node_id = 2 + (uint32_t)(take(&r, 1) % 3), .ref = { .kind = BFT_CREF_SIM } };
			s.ref.id[3] = 1;
			s.offset_ns = (int64_t)(take(&r, 2) % 4001) * 1000 - 2000000;
			s.unc_ns = (int64_t)(take(&r, 2) % 10000);
			s.local_ns = raw + TRUE_OFF - (int64_t)(take(&r, 2) % 60000) * 1000000;
			buf[0] = 'B';
			buf[1] = 'S';
			buf[2] = 1;
			if (bft_stmt_sign(&s, &signer) == 0 && bft_stmt_encode(buf + 3, &s) == BFT_STMT_LEN)
				bft_node_on_packet(n, raw, buf, 3 + BFT_STMT_LEN);
			break;
		}
		default: { /* a fragment with a well-formed header */
			size_t total = BFT_BLOCK_HDR_LEN + (size_t)(take(&r, 1) % 8) * BFT_STMT_LEN;
			unsigned cnt = (unsigned)((total + 212) / 213), idx = (unsigned)(take(&r, 1) % cnt);
			size_t pay = idx + 1 == cnt ? total - (size_t)idx * 213 : 213;
			buf[0] = 'B';
			buf[1] = 'F';
			buf[2] = 1;
			buf[3] = buf[4] = buf[5] = 0;
			buf[6] = (uint8_t)(2 + take(&r, 1) % 3);
			for (int i = 0; i < BFT_BLOCK_HASH; i++)
				buf[7 + i] = (uint8_t)(i < 2 ? take(&r, 1) : 0);
			buf[39] = (uint8_t)(total >> 8);
			buf[40] = (uint8_t)total;
			buf[41] = (uint8_t)idx;
			buf[42] = (uint8_t)cnt;
			for (size_t i = 0; i < pay; i++)
				buf[43 + i] = i < 2 ? (uint8_t)"BK"[i] : i == 2 ? 1 : (uint8_t)take(&r, 1);
			bft_node_on_packet(n, raw, buf, 43 + pay);
			break;
		}
		}
		drain(n, &timer);
	}
	bft_node_chain_info *ci = malloc(sizeof *ci);
	if (ci)
		(void)bft_node_chain_info_get(n, ci);
	free(ci);
	bft_node_destroy(n);
	return 0;
}
