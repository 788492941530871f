/* SPDX-License-Identifier: MIT */
/* SIGHUP: reread the configuration, say what differs (reload.h). */
#include "daemon/reload.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "daemon/log.h"

volatile sig_atomic_t bftd_reload_requested;

static char reload_path[4096];

void bftd_reload_set_path(const char *path)
{
	/* Absolute: the daemon may change directory before a SIGHUP comes. */
	char abs[PATH_MAX];
	snprintf(reload_path, sizeof reload_path, "%s", !path ? "" : realpath(path, abs) ? abs : path);
}

static bool peers_differ(const bftd_config *a, const bftd_config *b)
{
	if (a->n_peers != b->n_peers)
		return true;
	for (size_t i = 0; i < a->n_peers; i++) {
		const bftd_peer *p = &a->peers[i], *q = &b->peers[i];
		if (p->id != q->id || strcmp(p->addr.text, q->addr.text) || memcmp(p->pubkey, q->pubkey, sizeof p->pubkey) ||
		    p->have_api != q->have_api || (p->have_api && strcmp(p->api.text, q->api.text)) ||
		    p->slh_pk_len != q->slh_pk_len || memcmp(p->slh_pk, q->slh_pk, p->slh_pk_len) || p->p256 != q->p256 ||
		    (p->p256 && memcmp(p->p256_pub, q->p256_pub, sizeof p->p256_pub)))
			return true;
	}
	return false;
}

static bool directory_differs(const bftd_config *a, const bftd_config *b)
{
	if (a->n_directory != b->n_directory)
		return true;
	for (size_t i = 0; i < a->n_directory; i++)
		if (a->directory[i].id != b->directory[i].id ||
		    memcmp(a->directory[i].pubkey, b->directory[i].pubkey, sizeof a->directory[i].pubkey))
			return true;
	return false;
}

/* The node's model, field by field (its pointers are the daemon's to fill). */
static bool consensus_differs(const bft_node_config *a, const bft_node_config *b)
{
	return a->f != b->f || a->engine != b->engine || a->alg != b->alg || a->poll_ns != b->poll_ns ||
	       a->max_age_ns != b->max_age_ns || a->dmin_ns != b->dmin_ns || a->dmax_ns != b->dmax_ns ||
	       a->stamp_err_ns != b->stamp_err_ns || a->max_err_ns != b->max_err_ns || a->filter_len != b->filter_len ||
	       a->ref_filter_len != b->ref_filter_len || a->ref_readmit_ns != b->ref_readmit_ns ||
	       a->agreement != b->agreement ||
	       a->agree_max_err_ns != b->agree_max_err_ns || a->agree_claim_rounds != b->agree_claim_rounds ||
	       a->agree_step_ns != b->agree_step_ns || a->agree_contraction_ppm != b->agree_contraction_ppm;
}

/* The NTS server's settings (the certificate and key by path: a new file
 * at the same path is a restart's to take, as every file here). */
static bool nts_differs(const bftd_config *a, const bftd_config *b)
{
	const struct bftd_nts_server_config *x = &a->ntp_nts, *y = &b->ntp_nts;
	return x->enabled != y->enabled || strcmp(x->certificate, y->certificate) || strcmp(x->key, y->key) ||
	       strcmp(x->ke_listen.text, y->ke_listen.text) || x->max_connections != y->max_connections ||
	       x->key_rotate_ns != y->key_rotate_ns || x->ke_timeout_ns != y->ke_timeout_ns;
}

/* consensus.nakamoto and the chain's store, field by field: the running
 * configuration's pointers (the signer, the references' identities) are
 * the daemon's, filled after parsing. */
static bool nakamoto_differs(const bftd_config *a, const bftd_config *b)
{
	const bft_node_nk_config *x = &a->nk, *y = &b->nk;
	const bft_nk_cfg *c = &x->chain, *d = &y->chain;
	return memcmp(c->genesis, d->genesis, sizeof c->genesis) || c->genesis_time_ns != d->genesis_time_ns ||
	       c->genesis_difficulty != d->genesis_difficulty || c->interval_ns != d->interval_ns ||
	       c->retarget_blocks != d->retarget_blocks || c->max_step != d->max_step ||
	       c->future_tol_ns != d->future_tol_ns || c->stmt_age_ns != d->stmt_age_ns || c->agree_ns != d->agree_ns ||
	       c->drift_ppb != d->drift_ppb || c->window_blocks != d->window_blocks ||
	       c->orphan_ttl_ns != d->orphan_ttl_ns || c->min_stmts != d->min_stmts ||
	       memcmp(&x->steer, &y->steer, sizeof x->steer) || x->n_slots != y->n_slots ||
	       x->n_orphans != y->n_orphans || x->n_archive != y->n_archive || x->mine != y->mine ||
	       x->relay_hops != y->relay_hops || x->hashes_per_step != y->hashes_per_step ||
	       x->mine_step_ns != y->mine_step_ns || strcmp(a->chain_store, b->chain_store);
}

size_t bftd_config_diff(const bftd_config *a, const bftd_config *b, char *buf, size_t len)
{
	/* Both come from bftd_config_parse, which zeroes its output first, so
	 * the plain structs (references, the clock model) compare bytewise. */
	const struct {
		const char *name;
		bool differs;
	} sec[] = {
		{ "node.id", a->id != b->id },
		{ "node.listen", strcmp(a->listen.text, b->listen.text) != 0 },
		{ "node.key", strcmp(a->key_path, b->key_path) != 0 },
		{ "peers", peers_differ(a, b) },
		{ "directory", directory_differs(a, b) },
		{ "consensus", consensus_differs(&a->node, &b->node) },
		{ "clock", memcmp(&a->node.disc, &b->node.disc, sizeof a->node.disc) != 0 },
		{ "references", a->n_refs != b->n_refs || memcmp(a->refs, b->refs, a->n_refs * sizeof a->refs[0]) != 0 },
		{ "rate_limit", a->rate_per_s != b->rate_per_s || a->rate_burst != b->rate_burst },
		{ "log", a->log_target != b->log_target || a->log_level != b->log_level },
		{ "user", strcmp(a->user, b->user) != 0 },
		{ "api", a->api_disabled != b->api_disabled || strcmp(a->api.text, b->api.text) != 0 },
		{ "store", strcmp(a->store_path, b->store_path) != 0 },
		{ "proof_interval", a->proof_interval_ns != b->proof_interval_ns },
		{ "node.proofs", a->proof_scheme != b->proof_scheme || a->proof_batch != b->proof_batch ||
		                         strcmp(a->slhdsa_key_path, b->slhdsa_key_path) != 0 },
		{ "da_forward", strcmp(a->da_forward, b->da_forward) != 0 },
		{ "status", strcmp(a->status_path, b->status_path) != 0 },
		{ "ntp_server", a->have_ntp_server != b->have_ntp_server ||
		                        (a->have_ntp_server && strcmp(a->ntp_listen.text, b->ntp_listen.text)) ||
		                        a->ntp_rate_per_s != b->ntp_rate_per_s || a->ntp_rate_burst != b->ntp_rate_burst ||
		                        nts_differs(a, b) },
		{ "exports", strcmp(a->chrony_sock, b->chrony_sock) || a->ntp_shm_unit != b->ntp_shm_unit ||
		                     strcmp(a->timebounds_path, b->timebounds_path) || a->adjtimex != b->adjtimex ||
		                     a->adjtimex_network != b->adjtimex_network ||
		                     a->no_privsep != b->no_privsep },
		{ "oscillator", a->osc_offset_ns != b->osc_offset_ns || a->osc_freq_ppb != b->osc_freq_ppb },
		{ "byzantine", (a->byz != NULL) != (b->byz != NULL) },
		{ "consensus.nakamoto", nakamoto_differs(a, b) },
	};
	size_t n = 0, used = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof sec / sizeof sec[0]; i++) {
		if (!sec[i].differs)
			continue;
		if (used < len) {
			int k = snprintf(buf + used, len - used, "%s%s", n ? ", " : "", sec[i].name);
			used += k > 0 ? (size_t)k : 0;
		}
		n++;
	}
	return n;
}

void bftd_reload(const bftd_config *running)
{
	if (!reload_path[0])
		return;
	static bftd_config fresh; /* large: not on the stack */
	char err[512], diff[512];
	if (bftd_config_load(&fresh, reload_path, err, sizeof err) != 0) {
		bftd_log(LOG_ERR, "SIGHUP: %s; the running configuration is kept", err);
		return;
	}
	size_t n = bftd_config_diff(running, &fresh, diff, sizeof diff);
	bftd_config_free(&fresh);
	if (n == 0)
		bftd_log(LOG_NOTICE, "SIGHUP: %s reread: no change from the running configuration", reload_path);
	else
		bftd_log(LOG_WARNING,
		         "SIGHUP: %s reread: it differs in %s; bftimed applies configuration changes only at a restart "
		         "(systemctl restart bftimed): the running configuration is kept",
		         reload_path, diff);
}
