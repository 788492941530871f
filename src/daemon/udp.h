/* SPDX-License-Identifier: MIT */
/*
 * UDP sockets for the peer protocol, and the gate every incoming datagram
 * passes before the node sees it: rate limits, and the one place where a
 * peer's signature is checked (docs/protocol.md, "Rate limits").
 *
 * Why not one bucket per source address in front of everything: a UDP
 * source address is whatever the sender writes, so garbage sent under a
 * peer's address emptied that peer's bucket and cut the peer off. The gate
 * sorts datagrams first, with checks that cost no cryptography (decode, to
 * us, from a pinned peer, and whether it echoes the nonces of our own last
 * REQUEST or RESPONSE to that peer), and spends a signature verification only
 * within bounds an attacker cannot widen:
 *
 *  - anything that is not a pinned peer's well-formed claim is charged to its
 *    source address's bucket (rate_limit in the config) and, if the bucket
 *    allows, handed to the node, which refuses it without a signature check
 *    and counts why;
 *  - an answer to our own message (a RESPONSE echoing the nonce of our last
 *    REQUEST to that peer, a FOLLOWUP echoing our last RESPONSE's two
 *    nonces) is verified outside every budget: an attacker off the path
 *    cannot guess a 64-bit nonce, and each nonce is worth at most
 *    BFTD_GATE_TRIES verifications, so this work is bounded by what we send.
 *    These are the exchanges we start, and each gives both sides a reading
 *    (the triple transfer), so a pinned peer stays usable whatever arrives
 *    under its address;
 *  - every other claim of a pinned peer (its REQUESTs, and late or replayed
 *    answers) is verified only if its source address's verification bucket
 *    (rate_limit again) and the bucket of all such verifications together
 *    (BFTD_VERIFY_PER_S) both have a token, and its key's bucket is not empty.
 *    A valid, fresh REQUEST (stamped after the newest one the node took from
 *    that peer) takes a token from the key's bucket; nothing else does, so
 *    neither forgeries nor replays of the peer's own messages can empty it.
 *
 * Verifications per second are thus at most BFTD_VERIFY_PER_S, plus
 * BFTD_GATE_TRIES per message we send; per source address at most
 * rate_limit. The node checks the signature again through its signer; the
 * gate wraps that signer (bftd_gate_attach) and answers the node's check of
 * the datagram it just verified from the result, so nothing is verified
 * twice and the node's counters (bad_signature, replayed, ...) still count.
 *
 * The buckets are fixed tables indexed by a keyed hash of the source address
 * (no allocation, O(1) per packet). Two addresses sharing a slot share a
 * bucket, which can only make the limit stricter; the key is random per
 * process so a sender cannot aim at a victim's slot.
 */
#ifndef BFTIME_DAEMON_UDP_H
#define BFTIME_DAEMON_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/config.h"
#include "proto/sign.h"
#include "proto/wire.h"

/* socket(family, type, 0), made non-blocking and close-on-exec; the fd, or
 * -1 with errno set. Every socket of the daemon is opened through it. */
int bftd_socket(int family, int type);

/* A non-blocking UDP socket bound to addr; the fd, or -1 with err set. */
int bftd_udp_open(const bftd_addr *addr, char *err, size_t errlen);

/* Receive one datagram; its length, 0 if none is waiting, -1 on error.
 * A datagram longer than cap is reported with *truncated set. *kernel_rt_ns
 * is the kernel's arrival stamp (CLOCK_REALTIME ns), 0 when there is none. */
ssize_t bftd_udp_recv(int fd, uint8_t *buf, size_t cap, struct sockaddr_storage *from, socklen_t *fromlen,
                      bool *truncated, int64_t *kernel_rt_ns);

/* Send one datagram; 0 or -1 (errno set). */
int bftd_udp_send(int fd, const bftd_addr *to, const uint8_t *buf, size_t len);

#define BFTD_RL_SLOTS 1024
/* Signature verifications per second, and the burst, spent on claims of
 * pinned peers that answer nothing of ours, from every source together:
 * an Ed25519 verification costs ~0.1 ms, so at most ~10 % of a core. An
 * honest peer needs about one a poll (its REQUEST). */
#define BFTD_VERIFY_PER_S 1000
#define BFTD_VERIFY_BURST 1000
/* Verifications an expected answer's nonce is worth: the genuine answer,
 * and one forgery by someone who saw the nonce on the path (who could drop
 * the answer anyway). */
#define BFTD_GATE_TRIES 2

typedef struct bftd_bucket {
	int64_t last_ns;
	int64_t tokens_milli; /* thousandths of a token */
} bftd_bucket;

/* What the gate knows of one pinned peer (the config's peers[i]). */
typedef struct bftd_gate_peer {
	bftd_bucket key;             /* fresh, validly signed REQUESTs of this key */
	uint64_t req_nonce;          /* our last REQUEST to it */
	uint64_t resp_nonce, resp_nonce2; /* our last RESPONSE to it */
	uint8_t req_tries, resp_tries; /* verifications left for an answer; 0: none expected */
	bool seen_req;
	int64_t req_ta;              /* the newest REQUEST stamp taken from it */
} bftd_gate_peer;

typedef struct bftd_gate_stats {
	uint64_t verified;        /* signatures checked by the gate */
	uint64_t expected;        /* of which answers to our own messages */
	uint64_t bad_sig;         /* of which did not verify */
	uint64_t dropped_addr;    /* not a pinned peer's claim; the address's bucket was empty */
	uint64_t dropped_verify;  /* a claim left unverified: address or total verification budget empty */
	uint64_t dropped_key;     /* a claim left unverified: its key's bucket empty */
} bftd_gate_stats;

typedef struct bftd_ratelimit {
	uint32_t rate_per_s, burst;
	uint64_t key;
	bftd_bucket slot[BFTD_RL_SLOTS];  /* per address: what is not a pinned peer's claim */
	bftd_bucket vslot[BFTD_RL_SLOTS]; /* per address: verifications of unsolicited claims */
	bftd_bucket total;                /* all verifications of unsolicited claims */
	bftd_gate_peer peer[BFTD_MAX_PEERS];
	bft_signer inner; /* the keyring's signer, wrapped by bftd_gate_attach */
	bft_signer *outer;
	/* The datagram just verified, waiting for the node's check of it. */
	struct {
		bool set;
		int result;
		const uint8_t *msg;
		size_t len;
		uint32_t from;
		uint8_t sig[BFT_WIRE_SIG_MAX];
		size_t sig_len;
		size_t peer;
		uint8_t type;
		int64_t t_a;
	} cur;
	bftd_gate_stats stats;
} bftd_ratelimit;

void bftd_ratelimit_init(bftd_ratelimit *rl, uint32_t rate_per_s, uint32_t burst, uint64_t key);

/* One bucket of rate_per_s and burst, brought up to mono time now_ns: true
 * if it had a token (taken). A bucket all zero is new, and starts full. */
bool bftd_bucket_take(bftd_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ns);
/* Whether the bucket would be full at now_ns (a new one is): it then holds
 * nothing a new bucket would not. */
bool bftd_bucket_full_at(const bftd_bucket *b, uint32_t rate_per_s, uint32_t burst, int64_t now_ns);

/* True if a datagram from `from` at mono time now_ns is allowed by its
 * address's bucket (a token is taken). */
bool bftd_ratelimit_allow(bftd_ratelimit *rl, const struct sockaddr_storage *from, int64_t now_ns);

enum bftd_gate_verdict {
	BFTD_GATE_DROP = 0, /* over a limit: drop it, count it rate_limited */
	BFTD_GATE_PASS,     /* not a pinned peer's claim: the node refuses it cheaply and counts why */
	BFTD_GATE_CHECKED,  /* a pinned peer's claim, its signature checked: hand it to the node */
};

/* Wrap *s (the signer the node verifies with): from now on its verify
 * answers the check of the datagram bftd_gate_check just verified from the
 * gate's result, and asks the wrapped signer about anything else. Signing
 * is passed through. Idempotent; *s must outlive rl's use. */
void bftd_gate_attach(bftd_ratelimit *rl, bft_signer *s);

/* Sort one datagram from `from` at mono time now_ns, charge the buckets and,
 * for a pinned peer's claim within them, verify it (cfg: our id, the pinned
 * peers in their order). Call bftd_gate_done after handing a PASS or CHECKED
 * datagram to the node, before the next bftd_gate_check. */
enum bftd_gate_verdict bftd_gate_check(bftd_ratelimit *rl, const bftd_config *cfg, const uint8_t *buf, size_t len,
                                       const struct sockaddr_storage *from, int64_t now_ns);

/* The node's return code for the datagram last checked (0: taken). */
void bftd_gate_done(bftd_ratelimit *rl, int node_rc);

/* We sent buf to the config's peers[peer]: remember the nonces its answer
 * must echo. */
void bftd_gate_sent(bftd_ratelimit *rl, size_t peer, const uint8_t *buf, size_t len);

/* Printable "addr:port" of a socket address. */
void bftd_addr_format(char *out, size_t cap, const struct sockaddr_storage *ss);

#endif
