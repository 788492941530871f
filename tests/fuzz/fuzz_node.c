/* SPDX-License-Identifier: MIT */
/*
 * Structured libFuzzer target for the node state machine (src/node/node.h):
 * fuzz_wire stops at the decoder, this one reaches the protocol. Node 1
 * with peers 2, 3, 4 and two references (f = 1) is driven by a script the
 * input encodes, one operation after another: time passes (and the node's
 * timer fires); a peer sends a REQUEST, or answers the node's last REQUEST
 * to it (RESPONSE), or the node's last RESPONSE (FOLLOWUP), with the
 * nonces and stamps of the exchange and the rest of the fields (times,
 * uncertainty, flags, epoch, point estimate) taken from the input; a
 * reference reads, or is called implausible; raw bytes arrive; an earlier
 * message is replayed; a signed message is altered in flight. Every
 * message a peer sends is SIGNED with that peer's key (the simulator's
 * stand-in signer, keyed by a fixed secret) after the fuzzer chose its
 * fields, so the fuzzer explores the state machine, not the signature check.
 *
 * What must hold, whatever the script: nothing reads outside its buffers or
 * overflows (UBSan aborts); every datagram the node sends decodes, is
 * signed by node 1, goes to a peer and is no larger than a REQUEST (no
 * amplification); an altered message is refused; a synchronized node's
 * estimate lies in its interval, and its clock never goes back between
 * reads; the sources it reports are the ones it has. Findings in src/node
 * that wait for a fix: tests/fuzz/pending/.
 * FUZZ_NODE_DUMP=1 prints what a script reached (exchanges, fusions,
 * alarms, state).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bftime/common.h>
#include <bftime/interval.h>

#include "node/node.h"
#include "proto/sign.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SELF 1
#define N_PEERS 3
#define N_REFS 2
#define RAW0 INT64_C(1000000000000)            /* the node's raw clock at start */
#define TRUE_OFF (INT64_C(1717243200000000000) - RAW0) /* true time - raw */
#define MAX_OPS 400
#define KEEP 8 /* messages kept for replay */

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
static uint8_t u8(struct rd *r) { return (uint8_t)take(r, 1); }
static int64_t s16(struct rd *r) { return (int16_t)take(r, 2); }
static int64_t s32(struct rd *r) { return (int32_t)take(r, 4); }

/* A time field: usually near a base (within +-32 ms at us steps, or +-2 s),
 * sometimes anything at all. */
static int64_t near(struct rd *r, int64_t base)
{
	switch (u8(r) & 7) {
	case 0: return (int64_t)take(r, 8);
	case 1: return bft_sat_add(base, s32(r));
	case 2: return bft_sat_add(base, s32(r) * 1000);
	default: return bft_sat_add(base, s16(r) * 1000);
	}
}

struct peer_seen {
	bool req, resp;          /* the node sent a REQUEST / a RESPONSE to this peer */
	uint64_t req_nonce;      /* the last REQUEST's */
	int64_t req_t1;
	uint8_t req_epoch;
	uint64_t resp_nonce, resp_nonce2;
	int64_t resp_t3;
	int64_t last_ta;         /* the stamp of the last REQUEST this peer sent */
};

struct world {
	bft_node *node;
	bft_signer signer;
	int64_t raw, timer;
	struct peer_seen seen[N_PEERS];
	uint8_t kept[KEEP][BFT_WIRE_MAX];
	size_t kept_len[KEEP], n_kept;
	bool have_read;
	int64_t last_time;
};

static uint64_t secret = 0x5eedf00du;

static void check_estimate(const bft_estimate *e)
{
	if (e->state == BFT_DISC_UNSYNCHRONIZED)
		return;
	if (e->bounds.lo_ns > e->bounds.hi_ns || e->estimate_ns < e->bounds.lo_ns || e->estimate_ns > e->bounds.hi_ns)
		abort();
}

/* Take the node's actions: check every datagram, remember the exchanges. */
static void drain(struct world *w)
{
	bft_action a;
	while (bft_node_next_action(w->node, &a)) {
		if (a.kind == BFT_ACT_TIMER) {
			w->timer = a.at_raw_ns;
			continue;
		}
		if (a.kind == BFT_ACT_ESTIMATE) {
			check_estimate(&a.est);
			continue;
		}
		if (a.kind == BFT_ACT_QUARANTINE) { /* a reference it has, a reason it can name */
			if (a.to >= N_REFS || (unsigned)a.q > BFT_Q_SUSPECT || !strcmp(bft_quarantine_name(a.q), "?"))
				abort();
			continue;
		}
		if (a.kind != BFT_ACT_SEND || a.len > BFT_WIRE_MAX)
			abort();
		bft_msg m;
		size_t signed_len;
		if (bft_wire_decode(&m, &signed_len, a.buf, a.len) != 0 || m.from != SELF || m.to != a.to ||
		    m.to < 2 || m.to > 1 + N_PEERS ||
		    w->signer.verify(w->signer.ctx, SELF, a.buf, signed_len, m.sig, m.sig_len) != 0)
			abort();
		if (m.type != BFT_MSG_REQUEST && signed_len > bft_wire_request_pad())
			abort(); /* an answer larger than the request: amplification */
		struct peer_seen *s = &w->seen[m.to - 2];
		if (m.type == BFT_MSG_REQUEST) {
			s->req = true;
			s->req_nonce = m.nonce;
			s->req_t1 = m.t_a;
			s->req_epoch = m.epoch;
		} else if (m.type == BFT_MSG_RESPONSE) {
			s->resp = true;
			s->resp_nonce = m.nonce;
			s->resp_nonce2 = m.nonce2;
			s->resp_t3 = m.t_b;
		}
	}
}

static void keep(struct world *w, const uint8_t *buf, size_t len)
{
	size_t i = w->n_kept++ % KEEP;
	memcpy(w->kept[i], buf, len);
	w->kept_len[i] = len;
}

/* Sign m as its sender and deliver it; returns the node's answer code.
 * With alter, one byte of the signed datagram is changed in flight first. */
static int deliver(struct world *w, bft_msg *m, struct rd *r, bool alter)
{
	uint8_t buf[BFT_WIRE_MAX], sig[BFT_WIRE_SIG_MAX];
	int len = bft_wire_encode(buf, sizeof buf, m);
	if (len < 0)
		return len;
	if (w->signer.sign(w->signer.ctx, m->from, buf, (size_t)len, sig) != 0)
		abort();
	len = bft_wire_seal(buf, sizeof buf, (size_t)len, sig, w->signer.sig_len);
	if (len < 0)
		abort();
	if (alter) {
		size_t at = u8(r) % (size_t)len;
		uint8_t x = u8(r);
		buf[at] ^= x ? x : 1;
	}
	w->raw += (int64_t)(u8(r)) * 10000; /* up to 2.5 ms on the way */
	int rc = bft_node_on_packet(w->node, w->raw, buf, (size_t)len);
	if (alter && rc == 0)
		abort(); /* a changed byte got through the signature */
	if (!alter)
		keep(w, buf, (size_t)len);
	drain(w);
	return rc;
}

/* The fields a peer states about itself, from the input. */
static void peer_fields(bft_msg *m, struct rd *r)
{
	uint8_t f = u8(r);
	m->flags = f & 7;
	m->epoch = u8(r);
	switch (f >> 6) {
	case 0:
		m->err_lo_ns = (int64_t)take(r, 8);
		m->err_hi_ns = (int64_t)take(r, 8);
		break;
	default:
		m->err_lo_ns = s16(r) * 1000;
		m->err_hi_ns = s16(r) * 1000;
	}
	m->pt_ns = (f & 0x20) ? (int64_t)take(r, 8) : s16(r) * 100;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	static struct world w;
	memset(&w, 0, sizeof w);
	bft_signer_sim(&w.signer, &secret);
	uint32_t peers[N_PEERS] = { 2, 3, 4 };
	bft_node_config c;
	bft_node_config_default(&c);
	uint8_t conf = u8(&r);
	c.id = SELF;
	c.peers = peers;
	c.n_peers = N_PEERS;
	c.max_refs = N_REFS;
	c.f = 1;
	c.engine = conf & 1 ? BFT_ENGINE_MEDIAN : BFT_ENGINE_FUSION;
	c.alg = (enum bft_fusion_alg)((conf >> 1) % 3);
	c.poll_ns = (int64_t)(1 + (conf >> 3 & 3)) * BFT_NS_PER_SEC / 2;
	c.filter_len = 1 + (conf >> 5);
	c.signer = &w.signer;
	c.seed = 42;
	if (bft_node_create(&w.node, &c) != 0)
		abort();
	w.raw = RAW0;
	w.timer = INT64_MAX;
	if (bft_node_start(w.node, w.raw) != 0)
		abort();
	drain(&w);
	for (int op = 0; op < MAX_OPS && r.n; op++) {
		uint8_t o = u8(&r);
		struct peer_seen *s = &w.seen[(o >> 4) % N_PEERS];
		uint32_t from = 2 + (uint32_t)((o >> 4) % N_PEERS);
		bft_msg m = { .from = from, .to = SELF };
		switch (o & 15) {
		case 0: /* time passes; the timer fires when due */
		case 1:
			w.raw += (int64_t)take(&r, 2) * 100000; /* up to 6.5 s */
			if (w.raw >= w.timer) {
				w.timer = INT64_MAX;
				(void)bft_node_on_timer(w.node, w.raw);
				drain(&w);
			}
			break;
		case 2: /* a peer asks */
			m.type = BFT_MSG_REQUEST;
			m.nonce = take(&r, 8);
			m.t_a = (u8(&r) & 3) ? bft_sat_add(s->last_ta, 1 + (int64_t)take(&r, 2) * 1000) : near(&r, w.raw + TRUE_OFF);
			s->last_ta = m.t_a;
			peer_fields(&m, &r);
			(void)deliver(&w, &m, &r, false);
			break;
		case 3: /* a peer answers the node's REQUEST */
		case 4:
			m.type = BFT_MSG_RESPONSE;
			m.nonce = (u8(&r) & 7) && s->req ? s->req_nonce : take(&r, 8);
			m.nonce2 = take(&r, 8);
			m.t_a = near(&r, s->req_t1);
			m.t_b = near(&r, m.t_a);
			peer_fields(&m, &r);
			(void)deliver(&w, &m, &r, false);
			break;
		case 5: /* the third message, to the node's RESPONSE */
		case 6:
			m.type = BFT_MSG_FOLLOWUP;
			if ((u8(&r) & 7) && s->resp) {
				m.nonce = s->resp_nonce;
				m.nonce2 = s->resp_nonce2;
			} else {
				m.nonce = take(&r, 8);
				m.nonce2 = take(&r, 8);
			}
			m.t_a = near(&r, s->resp_t3);
			m.t_b = near(&r, m.t_a);
			peer_fields(&m, &r);
			(void)deliver(&w, &m, &r, false);
			break;
		case 7: /* a reference reads */
		case 8: {
			uint32_t ref = u8(&r) % (N_REFS + 1); /* N_REFS: no such reference */
			int64_t mid = near(&r, w.raw + TRUE_OFF), half = (int64_t)take(&r, 2) * 1000;
			bft_interval iv = { bft_sat_sub(mid, half), bft_sat_add(mid, half) };
			if (u8(&r) == 0xff)
				iv = (bft_interval){ (int64_t)take(&r, 8), (int64_t)take(&r, 8) };
			(void)bft_node_on_reference(w.node, w.raw, ref, iv);
			drain(&w);
			break;
		}
		case 9: /* a reference's driver distrusts it */
			(void)bft_node_on_reference_suspect(w.node, w.raw, u8(&r) % (N_REFS + 1), "fuzz");
			drain(&w);
			break;
		case 10: { /* raw bytes, unsigned */
			uint8_t buf[BFT_WIRE_MAX + 8];
			size_t len = u8(&r) % sizeof buf;
			for (size_t i = 0; i < len; i++)
				buf[i] = u8(&r);
			(void)bft_node_on_packet(w.node, w.raw, buf, len);
			drain(&w);
			break;
		}
		case 11: /* an earlier message again */
			if (w.n_kept) {
				size_t i = u8(&r) % (w.n_kept < KEEP ? w.n_kept : KEEP);
				w.raw += (int64_t)u8(&r) * 1000000;
				(void)bft_node_on_packet(w.node, w.raw, w.kept[i], w.kept_len[i]);
				drain(&w);
			}
			break;
		case 12: /* a signed message, changed on the way */
			m.type = (uint8_t)(1 + u8(&r) % 3);
			m.nonce = s->req_nonce;
			m.nonce2 = s->resp_nonce2;
			m.t_a = near(&r, w.raw + TRUE_OFF);
			m.t_b = near(&r, m.t_a);
			peer_fields(&m, &r);
			(void)deliver(&w, &m, &r, true);
			break;
		case 13: { /* a message from someone else, or for someone else */
			m.type = (uint8_t)(1 + u8(&r) % 3);
			uint8_t who = u8(&r);
			if (who & 1)
				m.from = who >> 1; /* 0..127: mostly not a peer, maybe ourselves */
			else
				m.to = who >> 1;
			m.t_a = near(&r, w.raw + TRUE_OFF);
			peer_fields(&m, &r);
			(void)deliver(&w, &m, &r, false);
			break;
		}
		default: { /* the node is read */
			bft_estimate e;
			if (bft_node_read(w.node, w.raw, &e) == 0) {
				check_estimate(&e);
				if (e.state != BFT_DISC_UNSYNCHRONIZED) {
					if (w.have_read && e.time_ns < w.last_time)
						abort(); /* the clock went back */
					w.have_read = true;
					w.last_time = e.time_ns;
				}
			}
			break;
		}
		}
	}
	bft_source_info si[N_PEERS + N_REFS + 1];
	size_t n = bft_node_sources(w.node, si, N_PEERS + N_REFS + 1);
	if (n > N_PEERS + N_REFS)
		abort();
	const bft_node_counters *ctr = bft_node_get_counters(w.node);
	if (ctr->rx < ctr->rx_bad + ctr->rx_bad_sig + ctr->rx_unknown_peer + ctr->rx_not_for_us)
		abort();
	if (getenv("FUZZ_NODE_DUMP")) { /* what a script reached */
		bft_estimate e = { 0 };
		(void)bft_node_read(w.node, w.raw, &e);
		fprintf(stderr, "rx %llu bad %llu sig %llu replay %llu tx %llu exchanges %llu rejected %llu fusions %llu "
		                "alarms %llu quarantines %llu state %d sources %u used %u\n",
		        (unsigned long long)ctr->rx, (unsigned long long)ctr->rx_bad, (unsigned long long)ctr->rx_bad_sig,
		        (unsigned long long)ctr->rx_replay, (unsigned long long)ctr->tx,
		        (unsigned long long)ctr->exchanges, (unsigned long long)ctr->readings_rejected,
		        (unsigned long long)ctr->fusions, (unsigned long long)ctr->alarms,
		        (unsigned long long)ctr->ref_quarantines, (int)e.state, e.sources, e.used);
	}
	bft_node_destroy(w.node);
	return 0;
}
