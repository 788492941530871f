/* SPDX-License-Identifier: MIT */
/*
 * bftimed's configuration: a YAML file (etc/bftime.yaml documents every
 * option, docs/config.md is the reference) parsed into one struct.
 *
 * The loader is a pure function from (bytes, file name) to a config or an
 * error message "FILE:LINE:COLUMN: what is wrong": no file is opened, no
 * name resolved, no clock read, so the fuzz target (tests/fuzz/fuzz_config.c)
 * drives exactly what the daemon runs. Unknown keys, duplicate keys, wrong
 * types and values out of range are all errors: a typo in a time daemon's
 * configuration must stop it rather than be ignored.
 *
 * Durations are strings with a unit ("16s", "1.5ms", "250us", "100ns",
 * "2m", "1h"); a bare 0 is also accepted. Addresses are numeric:
 * "127.0.0.1:7301", "[::1]:7301".
 */
#ifndef BFTIME_DAEMON_CONFIG_H
#define BFTIME_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/node.h"
#include "refclock/refclock.h"

#define BFTD_MAX_PEERS 256
#define BFTD_MAX_DIRECTORY 4096 /* the directory's nodes (keys only) */
#define BFTD_MAX_REFS 16
#define BFTD_CONFIG_MAX_BYTES (1 << 20)
/* clock.rho_ppm when the file does not say (config.c says why). */
#define BFTD_DEFAULT_RHO_PPB 500000
/* clock.history when the file does not say (config.c says why). */
#define BFTD_DEFAULT_HISTORY 128
#define BFTD_DEFAULT_HISTORY_SPAN_NS (4096 * BFT_NS_PER_SEC)
/* clock.history_span when the file does not say: the above, or four of the
 * longest interval at which readings come (the poll, a reference's `every`)
 * when that is longer (config.c says why). */
static inline int64_t bftd_default_history_span(int64_t longest_interval_ns)
{
	return longest_interval_ns > BFTD_DEFAULT_HISTORY_SPAN_NS / 4 ? 4 * longest_interval_ns
	                                                               : BFTD_DEFAULT_HISTORY_SPAN_NS;
}

typedef struct bftd_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* as written, for logs */
} bftd_addr;

typedef struct bftd_peer {
	uint32_t id;
	bftd_addr addr;
	uint8_t pubkey[32]; /* Ed25519 key, or a P-256 peer's key id (SHA3-256 of p256_pub, proto/p256.h) */
	bftd_addr api;  /* the peer's HTTP API, where new proofs are gossiped */
	bool have_api;
	/* its pinned SLH-DSA public key (version-2 proofs, docs/pq.md); 0: none */
	uint8_t slh_pk[64];
	size_t slh_pk_len;
	/* a peer whose key is ECDSA P-256 (public_key of 130 hex digits: a
	 * secure element's key, docs/pq.md): its point; pubkey is its key id */
	bool p256;
	uint8_t p256_pub[65];
} bftd_peer;



enum bftd_log_target { BFTD_LOG_STDERR, BFTD_LOG_SYSLOG };

typedef struct bftd_config {
	/* node */
	uint32_t id;
	bftd_addr listen;
	char key_path[4096];
	/* peers, pinned by public key */
	bftd_peer *peers;
	size_t n_peers;
	/* the directory: other nodes' keys, pinned for what they sign and others
	 * relay (chain statements in blocks, proofs); id and key only */
	bftd_peer *directory;
	size_t n_directory;
	/* consensus and clock model, in the node's own terms */
	bft_node_config node; /* signer, peers unset: the daemon fills them */
	/* references */
	bftd_ref refs[BFTD_MAX_REFS];
	size_t n_refs;
	/* incoming datagrams per source address: token bucket */
	uint32_t rate_per_s;
	uint32_t rate_burst;
	/* operation */
	enum bftd_log_target log_target;
	int log_level; /* syslog priority: LOG_ERR .. LOG_DEBUG */
	char user[64];
	bftd_addr api;      /* HTTP API address; default 127.0.0.1:7380 */
	bool have_api;      /* api: set explicitly (a bind failure is then fatal) */
	bool api_disabled;  /* api: none */
	char store_path[4096];
	int64_t proof_interval_ns; /* a time proof this often (needs a store); default 60 s */
	char da_forward[512];      /* optional URL: new own proofs are POSTed there too */
	/* Time proof version 2 (docs/pq.md): node.proofs names the scheme
	 * (0: version 1, the default; else enum bft_proof_scheme), node.proof_batch
	 * how many proofs one signature covers, node.slhdsa_key the SLH-DSA key
	 * file (bftime keygen --slhdsa). */
	uint8_t proof_scheme;
	uint32_t proof_batch;
	char slhdsa_key_path[4096];
	char status_path[4096];
	/* serving NTPv4 to standard clients (mode 3 -> 4) */
	bool have_ntp_server;
	bftd_addr ntp_listen;
	uint32_t ntp_rate_per_s; /* per client address, token bucket; default 16/s, burst 2x */
	uint32_t ntp_rate_burst;
	/* NTS for the NTP server (RFC 8915; docs/nts.md): ntp_server: {nts: {...}} */
	struct bftd_nts_server_config {
		bool enabled;
		char certificate[4096]; /* PEM chain, the server's certificate first */
		char key[4096];         /* PEM private key */
		bftd_addr ke_listen;    /* NTS-KE (TLS 1.3) address; default the NTP address's host, port 4460 */
		uint32_t max_connections; /* concurrent NTS-KE connections; default 32 */
		int64_t key_rotate_ns;  /* cookie key lifetime; the previous key is still accepted; default 1 day */
		int64_t ke_timeout_ns;  /* a KE connection's whole life; default 5 s */
	} ntp_nts;
	/* exports to the ecosystem */
	char chrony_sock[108];      /* chrony's SOCK refclock socket path, "" off */
	int ntp_shm_unit;           /* the NTP SHM refclock segment unit (0..), -1 off */
	char timebounds_path[256];  /* the shared-memory time-bounds page (a file under /dev/shm), "" off */
	bool adjtimex;              /* discipline the system clock directly; off by default */
	bool adjtimex_network;      /* exports.adjtimex.source: network: follow the network clock (the clock
	                             * the node stamps on the wire), also without true time once AGREED */
	bool no_privsep;            /* exports.privsep: false: the engine adjusts the clock itself (clknetsim) */
	/* test-only */
	int64_t osc_offset_ns;
	int64_t osc_freq_ppb;
	struct bft_adversary *byz; /* a test liar (bftimed-test only, testkit.h); NULL: honest */
	/* the Nakamoto engine (consensus.nakamoto, docs/nakamoto.md); node.nk
	 * is pointed at it by the daemon (refs and signer are the daemon's) */
	bft_node_nk_config nk;
	char chain_store[4096]; /* SQLite file of the chain's blocks; "": not kept across restarts */
} bftd_config;

/* Parse len bytes of YAML named `filename` (used in messages only). On
 * success fills *out (release with bftd_config_free) and returns 0; on error
 * writes "FILE:LINE:COL: message" into err and returns BFT_EINVAL (or
 * BFT_ENOMEM); *out is then empty and needs no free. */
int bftd_config_parse(bftd_config *out, const char *buf, size_t len, const char *filename, char *err,
                      size_t errlen);

/* Read a file and parse it; I/O errors are reported the same way. */
int bftd_config_load(bftd_config *out, const char *path, char *err, size_t errlen);

/* The same for a program that reads a node's configuration without running
 * it (the CLI): what only the test kit runs (kind simulated, byzantine:) is
 * read (the liar's section skipped), not refused for want of the kit. */
#define BFTD_CONFIG_ANY_BUILD 1u
int bftd_config_parse_flags(bftd_config *out, const char *buf, size_t len, const char *filename, unsigned flags,
                            char *err, size_t errlen);
int bftd_config_load_flags(bftd_config *out, const char *path, unsigned flags, char *err, size_t errlen);

void bftd_config_free(bftd_config *c);

/* The peer with this id, NULL when none is configured. */
const bftd_peer *bftd_config_peer(const bftd_config *c, uint32_t id);

/* "127.0.0.1:7301" or "[::1]:7301" into *out; 0 or BFT_EINVAL. */
int bftd_addr_parse(bftd_addr *out, const char *text);



#endif
