/* SPDX-License-Identifier: MIT */
/*
 * bftimed: the bftime node daemon. Reads its configuration, its key, binds
 * its socket, drops root if configured to, and runs the event loop in the
 * foreground (logs to stderr or syslog) until SIGINT or SIGTERM. Module
 * set-up and tear-down happen here, in dependency order and in reverse.
 * Under systemd (Type=notify) it says READY=1 once its sockets are bound,
 * privileges dropped and the store open, i.e. just before the loop runs:
 * a unit ordered after bftimed.service then finds the API answering.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include <bftime/common.h>

#include "daemon/testkit.h"
#include "daemon/config.h"
#include "daemon/keys.h"
#include "daemon/log.h"
#include "daemon/nts_ke.h"
#include "daemon/loop.h"
#include "daemon/privsep.h"
#include "daemon/reload.h"
#include "daemon/token.h"
#include "proto/sign.h"
#include "sys/adjtime.h"
#include "sys/clock.h"

/* The Makefile's VERSION, passed as -DBFT_VERSION by its rule for this file. */
#ifndef BFT_VERSION
#define BFT_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out, "usage: bftimed --config FILE [--check-config]\n\n"
	             "  -c, --config FILE   configuration (etc/bftime.yaml documents every option)\n"
	             "  --check-config      load and check the configuration and the key file, then exit\n"
	             "  -V, --version       print the version and exit\n"
	             "  -h, --help          this text\n");
}

/* --check-config: what the daemon will need that a configuration's text
 * cannot show. The key is checked by loading it (a private key, readable);
 * here the proof store's directory: it must exist and be writable (a missing
 * one was reported as "out of memory" at start, issue 14). */
static int check_needs(const bftd_config *cfg, char *err, size_t errlen)
{
	/* NTS: the server's certificate and key load and match; a reference's
	 * CA file is readable (issue 17). */
	if (cfg->have_ntp_server && cfg->ntp_nts.enabled && bftd_ntske_check(&cfg->ntp_nts, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < cfg->n_refs; i++)
		if (cfg->refs[i].nts && cfg->refs[i].ca[0] && access(cfg->refs[i].ca, R_OK) != 0) {
			snprintf(err, errlen, "reference %s: ca %.200s: %s", cfg->refs[i].name, cfg->refs[i].ca,
			         strerror(errno));
			return -1;
		}
	if (!cfg->store_path[0])
		return 0;
	char dir[sizeof cfg->store_path];
	snprintf(dir, sizeof dir, "%s", cfg->store_path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	struct stat st;
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "store: the directory %.200s of %.200s: %s", dir, cfg->store_path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "store: %.200s is not a directory", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		snprintf(err, errlen, "store: the directory %.200s is not writable: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(cfg->store_path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "store: %.200s is not a file", cfg->store_path);
		return -1;
	}
	return 0;
}

static void watchdog_kick(void)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool check = false;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },      { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	for (int ch; (ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1;) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("bftimed %s\n", BFT_VERSION); return 0;
		default: usage(stderr); return 2; /* getopt_long said what was wrong */
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bftimed: unknown argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* SIGHUP (a reload) before the loop has its handler would kill the
	 * daemon by the default action, silently, while it loads (a large
	 * proof store's check takes seconds) or just after READY, when
	 * systemd already allows a reload: held pending from here until
	 * bftd_run installs the handler (signals.c), then reread once. */
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	(void)sigprocmask(SIG_BLOCK, &hup, NULL);
	if (!path) {
		usage(stderr);
		return 2;
	}
	char err[512];
	static bftd_config cfg;
	if (bftd_config_load(&cfg, path, err, sizeof err) != 0) {
		fprintf(stderr, "bftimed: %s\nbftimed: configuration error, not starting\n", err);
		return 1;
	}
	bftd_reload_set_path(path); /* SIGHUP rereads it (reload.h) */
	/* The clock helper, forked before the key is read or any socket
	 * opened: it holds CAP_SYS_TIME alone (privsep.h). */
	bool privsep = !check && cfg.adjtimex && !cfg.no_privsep;
	if (privsep && bftd_privsep_start(cfg.user, &bft_adjtime_system, err, sizeof err) != 0) {
		fprintf(stderr, "bftimed: %s\nbftimed: not starting\n", err);
		bftd_config_free(&cfg);
		return 1;
	}
	uint8_t seed[32];
	if (check && check_needs(&cfg, err, sizeof err) != 0) {
		fprintf(stderr, "bftimed: %s\nbftimed: not starting\n", err);
		bftd_config_free(&cfg);
		return 1;
	}
	enum bftd_key_format key_fmt = BFTD_KEY_LABELLED; /* a token's key: nothing to tell apart */
	uint8_t pub[32];
	bool have_pub, token = bftd_key_is_pkcs11(cfg.key_path), token_p256 = false;
	memset(seed, 0, sizeof seed);
	if (token) {
		/* The key is on a token (token.h): open it once here, for its
		 * public key and to fail early; the daemon opens it again. */
		bftd_token *t = NULL;
		if (bftd_token_open(&t, cfg.key_path, pub, err, sizeof err) != 0 ||
		    bftd_token_check_proofs(t, cfg.key_path, cfg.proof_scheme, err, sizeof err) != 0) {
			bftd_token_close(t);
			fprintf(stderr, "bftimed: %s\nbftimed: not starting\n", err);
			bftd_config_free(&cfg);
			return 1;
		}
		token_p256 = bftd_token_p256(t) != NULL;
		bftd_token_close(t);
	} else if (bftd_key_load_fmt(seed, cfg.key_path, &key_fmt, err, sizeof err) != 0) {
		fprintf(stderr, "bftimed: %s\nbftimed: not starting\n", err);
		bftd_config_free(&cfg);
		return 1;
	}
	/* An unlabelled key file cannot be told from a public key by its
	 * bytes (keys.h); one that is a peer's pinned public key certainly is
	 * one (issue 14: the node ran under another identity). */
	for (size_t i = 0; key_fmt == BFTD_KEY_UNLABELLED && i < cfg.n_peers; i++)
		if (!CRYPTO_memcmp(seed, cfg.peers[i].pubkey, sizeof seed)) {
			fprintf(stderr, "bftimed: key file %s holds peer %u's public key, not this node's private key\n"
			                "bftimed: not starting\n", cfg.key_path, cfg.peers[i].id);
			OPENSSL_cleanse(seed, sizeof seed);
			bftd_config_free(&cfg);
			return 1;
		}
	/* Our own key pinned for a peer: that "peer" is us (or a copy of our
	 * key), and would count as a second source. */
	have_pub = token || bft_ed25519_public(pub, seed) == 0;
	for (size_t i = 0; have_pub && i < cfg.n_peers; i++)
		if (!memcmp(pub, cfg.peers[i].pubkey, sizeof pub)) {
			fprintf(stderr, "bftimed: %s: peer %u is pinned to this node's own public key (%s)\nbftimed: not starting\n",
			        path, cfg.peers[i].id, cfg.key_path);
			OPENSSL_cleanse(seed, sizeof seed);
			bftd_config_free(&cfg);
			return 1;
		}
	if (check) {
		OPENSSL_cleanse(seed, sizeof seed);
		printf("%s: configuration OK: node %u on %s, %zu peers, %zu references, f=%zu%s\n", path, cfg.id,
		       cfg.listen.text, cfg.n_peers, cfg.n_refs, cfg.node.f, cfg.byz ? " (BYZANTINE test node)" : "");
		if (token) {
			printf("%s: token key OK (%s, signs on the token)\n", cfg.key_path, token_p256 ? "ECDSA P-256" : "Ed25519");
		} else if (key_fmt == BFTD_KEY_LABELLED) {
			printf("%s: key file OK (a private key)\n", cfg.key_path);
		} else {
			char pub_hex[65];
			bftd_hex(pub_hex, pub, sizeof pub);
			printf("%s: key file in the older unlabelled format, which cannot be told from a public key: "
			       "it gives this node the public key %s; check that its peers pin that one\n",
			       cfg.key_path, pub_hex);
		}
		if (cfg.store_path[0])
			printf("%s: store directory writable\n", cfg.store_path);
		for (size_t i = 0; i < cfg.n_refs; i++) {
			const bftd_ref *r = &cfg.refs[i];
			if (r->kind == BFTD_REF_NMEA && access(r->device, R_OK) != 0)
				printf("reference %s: device %s not there now (%s): bftimed will keep trying it\n", r->name,
				       r->device, strerror(errno));
			if ((r->kind == BFTD_REF_NMEA || r->kind == BFTD_REF_GPSD) && r->pps[0] && access(r->pps, R_OK) != 0)
				printf("reference %s: PPS device %s not there now (%s): bftimed will keep trying it\n", r->name,
				       r->pps, strerror(errno));
		}
		printf("not checked: whether the listen and API addresses are free, whether peers, gpsd and NTP "
		       "servers answer (bftimed keeps trying them)%s\n",
		       cfg.user[0] ? ", and the store's access as the configured user (checked here as this one)" : "");
		bftd_config_free(&cfg);
		return 0;
	}
	if (bft_clock_init(cfg.osc_offset_ns, cfg.osc_freq_ppb) != 0) {
		fprintf(stderr, "bftimed: oscillator knobs out of range\n");
		OPENSSL_cleanse(seed, sizeof seed);
		bftd_config_free(&cfg);
		return 1;
	}
	char ident[32];
	snprintf(ident, sizeof ident, "bftimed[%u]", cfg.id);
	bftd_log_open(cfg.log_target == BFTD_LOG_SYSLOG, cfg.log_level, cfg.log_target == BFTD_LOG_SYSLOG ? "bftimed" : ident);
	if (key_fmt == BFTD_KEY_UNLABELLED && have_pub) {
		char pub_hex[65];
		bftd_hex(pub_hex, pub, sizeof pub);
		bftd_log(LOG_WARNING,
		         "key file %s is in the older unlabelled format, which cannot be told from a public key: this "
		         "node's public key is %s, the one its peers must pin (bftime keygen makes labelled files)",
		         cfg.key_path, pub_hex);
	}
	if (cfg.osc_offset_ns || cfg.osc_freq_ppb)
		bftd_log(LOG_WARNING, "TEST: artificial oscillator offset %.3f ms, frequency error %.3f ppm",
		         (double)cfg.osc_offset_ns / 1e6, (double)cfg.osc_freq_ppb / 1e3);
	if (cfg.byz)
		bftd_log(LOG_WARNING, "TEST: this node is Byzantine (%s, offset %.3f ms): it lies to its peers",
		         bftd_liar_name(cfg.byz), (double)bftd_testkit_liar.liar_offset_ns(cfg.byz) / 1e6);
	for (size_t i = 0; i < cfg.n_refs; i++)
		if (cfg.refs[i].kind == BFTD_REF_SIMULATED)
			bftd_log(LOG_NOTICE, "reference %s is SIMULATED (a GPS model on CLOCK_REALTIME)%s", cfg.refs[i].name,
			         cfg.refs[i].offset_ns ? ", and configured to lie" : "");
	bftd *d = NULL;
	int rc = bftd_create(&d, &cfg, seed, err, sizeof err);
	OPENSSL_cleanse(seed, sizeof seed);
	/* Sockets and devices are opened as root (port 123, /dev/pps0); the
	 * proof store after dropping root, so its files belong to the user. */
	if (rc == 0 && bftd_drop_privileges(cfg.user, cfg.adjtimex && !privsep, err, sizeof err) != 0)
		rc = BFT_EINVAL;
	if (rc == 0)
		rc = bftd_open_store(d, err, sizeof err);
	/* The engine: no capability, a seccomp filter (privsep.h); unless it
	 * adjusts the clock itself (exports.privsep: false, for clknetsim). */
	if (rc == 0 && !(cfg.adjtimex && !privsep)) {
		if (bftd_sandbox_engine(err, sizeof err) != 0)
			rc = BFT_EINVAL;
		else
			bftd_log(LOG_INFO, "engine sandboxed: no capabilities, no clock-setting system calls%s",
			         privsep ? "; a helper process holds CAP_SYS_TIME alone for exports.adjtimex" : "");
	}
	if (rc != 0) {
		bftd_log(LOG_ERR, "%s; not starting", err);
		bftd_destroy(d);
		bftd_config_free(&cfg);
		bftd_log_close();
		(void)sd_notifyf(0, "STATUS=not starting: %s", err);
		return 1;
	}
	/* A stop asked for between READY and the loop's handlers must not kill
	 * the daemon with the default action: held pending until bftd_run has
	 * its handlers in place (it unblocks them). */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	(void)sigprocmask(SIG_BLOCK, &stop, NULL);
	/* No-ops unless started by systemd with NOTIFY_SOCKET (Type=notify). */
	(void)sd_notifyf(0, "READY=1\nSTATUS=node %u on %s, %zu peers, %zu references, f=%zu", cfg.id, cfg.listen.text,
	                 cfg.n_peers, cfg.n_refs, cfg.node.f);
	/* The daemon keeps its own copy of everything; give back what loading
	 * took (the parsed document, the peers array, OpenSSL's and libyaml's
	 * start-up buffers) before the loop settles in for months. */
	bftd_config_free(&cfg);
	malloc_trim(0);
	/* WatchdogSec in the unit: WATCHDOG=1 at half its period. */
	uint64_t wd_usec = 0;
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
		bftd_set_watchdog(d, (int64_t)(wd_usec / 2) * 1000, watchdog_kick);
	rc = bftd_run(d);
	(void)sd_notify(0, "STOPPING=1");
	bftd_destroy(d);
	bftd_log_close();
	return rc == 0 ? 0 : 1;
}
