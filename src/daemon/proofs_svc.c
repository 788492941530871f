/* SPDX-License-Identifier: MIT */
/*
 * The proof service (proofs_svc.h). Why the order issue -> store -> accept:
 * the generator only advances once the store has committed the proof with
 * synchronous=FULL, so after kill -9 or a power loss the store's last own
 * proof is exactly the chain head every peer may have seen, and the chain
 * continues from it without a fork.
 */
#include "daemon/proofs_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include <bftime/common.h>

#include "daemon/log.h"

struct bftd_proofs {
	const bftd_config *cfg;
	uint8_t self_pub[BFT_PROOF_KEY];
	bft_store *store;
	bft_proof_gen gen;
	bftd_proofs_stats stats;
};

int bftd_proofs_pinned(const bftd_proofs *ps, uint32_t id, uint8_t pub[BFT_PROOF_KEY])
{
	if (id == ps->cfg->id) {
		memcpy(pub, ps->self_pub, BFT_PROOF_KEY);
		return 0;
	}
	for (size_t i = 0; i < ps->cfg->n_peers; i++)
		if (ps->cfg->peers[i].id == id) {
			memcpy(pub, ps->cfg->peers[i].pubkey, BFT_PROOF_KEY);
			return 0;
		}
	return -1;
}

static int pinned_cb(void *ctx, uint32_t id, uint8_t pub[BFT_PROOF_KEY])
{
	return bftd_proofs_pinned(ctx, id, pub);
}

int bftd_proofs_open(bftd_proofs **out, const bftd_config *cfg, const uint8_t self_pub[BFT_PROOF_KEY],
                     const bft_signer *signer, char *err, size_t errlen)
{
	bftd_proofs *ps = calloc(1, sizeof *ps);
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return BFT_ENOMEM;
	}
	ps->cfg = cfg;
	memcpy(ps->self_pub, self_pub, BFT_PROOF_KEY);
	/* Signatures are checked as Ed25519 under the embedded key, which must be
	 * the pinned one: a node outside the configuration is refused. */
	bft_store_config sc = { .path = cfg->store_path, .signer = NULL,
	                        .pinned_key = pinned_cb, .pinned_ctx = ps, .require_pinned = true };
	int rc = bft_store_open(&ps->store, &sc);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open the proof store %s: %s", cfg->store_path, bft_strerror(rc));
		free(ps);
		return rc;
	}
	bft_proof_gen_init(&ps->gen, cfg->id, self_pub, signer);
	bft_proof last;
	rc = bft_store_last(ps->store, cfg->id, &last);
	if (rc == 0) {
		if (memcmp(last.pub, self_pub, BFT_PROOF_KEY) != 0) {
			snprintf(err, errlen, "the proof store %s holds node %u's proofs under another key", cfg->store_path,
			         cfg->id);
			rc = BFT_EINVAL;
		} else if ((rc = bft_proof_gen_accept(&ps->gen, &last)) != 0) {
			snprintf(err, errlen, "the last own proof in %s (seq %llu) is not usable", cfg->store_path,
			         (unsigned long long)last.seq);
		} else {
			bftd_log(LOG_NOTICE, "proof chain continues from seq %llu in %s", (unsigned long long)last.seq,
			         cfg->store_path);
		}
	} else if (rc == BFT_EEMPTY) {
		rc = 0;
		bftd_log(LOG_NOTICE, "proof store %s has no own proofs: the chain starts at seq 0", cfg->store_path);
	} else {
		snprintf(err, errlen, "cannot read the proof store %s: %s", cfg->store_path, bft_strerror(rc));
	}
	if (rc != 0) {
		bftd_proofs_close(ps);
		return rc;
	}
	*out = ps;
	return 0;
}

void bftd_proofs_close(bftd_proofs *ps)
{
	if (!ps)
		return;
	bft_store_close(ps->store);
	free(ps);
}

int bftd_proofs_issue(bftd_proofs *ps, const bft_proof_clock *clk, bft_proof *out)
{
	uint8_t nonce[BFT_PROOF_NONCE];
	if (RAND_bytes(nonce, sizeof nonce) != 1) {
		ps->stats.issue_failed++;
		return BFT_ENOMEM;
	}
	int rc = bft_proof_gen_next(&ps->gen, out, clk, nonce);
	if (rc != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	enum bft_store_result res;
	rc = bft_store_put_proof(ps->store, out, &res);
	if (rc != 0 || (res != BFT_STORE_NEW && res != BFT_STORE_GAP)) {
		ps->stats.issue_failed++;
		bftd_log(LOG_WARNING, "own proof seq %llu not stored: %s", (unsigned long long)out->seq,
		         bft_store_result_name(res));
		return rc ? rc : BFT_EINVAL;
	}
	/* Durable now: chain to it. */
	if ((rc = bft_proof_gen_accept(&ps->gen, out)) != 0) {
		ps->stats.issue_failed++;
		return rc;
	}
	ps->stats.issued++;
	return 0;
}

int bftd_proofs_submit(bftd_proofs *ps, const uint8_t *buf, size_t len, enum bft_store_result *res)
{
	enum bft_store_result r = BFT_STORE_BAD_ENCODING;
	int rc = bft_store_put(ps->store, buf, len, &r);
	ps->stats.submitted++;
	if (rc == 0 && (r == BFT_STORE_NEW || r == BFT_STORE_GAP)) {
		ps->stats.accepted++;
		/* One of our own proofs, newer than our head, came back from a
		 * peer: this node lost the end of its chain (a lost or old store).
		 * Continue from it rather than fork: its signature was checked
		 * under our own pinned key, so only we can have made it. */
		bft_proof p;
		if (bft_proof_decode(&p, buf, len) == 0 && p.node_id == ps->cfg->id &&
		    (!ps->gen.have_prev || p.seq >= ps->gen.next_seq) && bft_proof_gen_accept(&ps->gen, &p) == 0) {
			ps->stats.recovered++;
			bftd_log(LOG_NOTICE, "own proof chain recovered from a peer up to seq %llu", (unsigned long long)p.seq);
		}
	}
	if (res)
		*res = r;
	return rc;
}

bool bftd_proofs_head(const bftd_proofs *ps, uint64_t *seq, uint8_t hash[BFT_PROOF_HASH], int64_t *time_ns)
{
	if (!ps->gen.have_prev)
		return false;
	if (seq)
		*seq = ps->gen.next_seq - 1;
	if (hash)
		memcpy(hash, ps->gen.prev_hash, BFT_PROOF_HASH);
	if (time_ns)
		*time_ns = ps->gen.prev_time_ns;
	return true;
}

bft_store *bftd_proofs_store(bftd_proofs *ps) { return ps->store; }
const bftd_proofs_stats *bftd_proofs_get_stats(const bftd_proofs *ps) { return &ps->stats; }
