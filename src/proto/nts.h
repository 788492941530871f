/* SPDX-License-Identifier: MIT */
/*
 * Network Time Security for NTPv4 (RFC 8915) on the wire, as pure functions:
 * no I/O, no clock reads, no randomness of its own (callers pass nonces and
 * unique identifiers in), no globals. The daemon's NTS-KE server and NTP
 * server (src/daemon/nts_ke.c, ntp_server.c) are shells around this file;
 * tests/unit/test_nts.c and the libFuzzer targets tests/fuzz/fuzz_ntske.c and
 * fuzz_nts_ef.c exercise everything that reads network bytes.
 *
 *  - NTS-KE records (RFC 8915 section 4): the parser of a whole message (up
 *    to End of Message), the client's request and the server's response and
 *    error.
 *  - NTP extension fields (section 5): Unique Identifier, NTS Cookie, NTS
 *    Cookie Placeholder, NTS Authenticator and Encrypted Extension Fields;
 *    the parser of a packet's fields, the client's request, the server's
 *    reply and its NTS NAK, and the client's check of a reply.
 *  - Cookies (section 6's suggested format): key id, nonce, and the AEAD
 *    algorithm and both session keys sealed with AEAD_AES_SIV_CMAC_256 under
 *    a server key; opening tries each key the server still holds, so cookies
 *    issued under the previous key stay valid after a rotation.
 *
 * Only AEAD_AES_SIV_CMAC_256 (IANA 15) and the NTPv4 next protocol (0) are
 * spoken. Byte lengths are in bytes; all multi-byte integers are big-endian.
 */
#ifndef BFTIME_PROTO_NTS_H
#define BFTIME_PROTO_NTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/aes_siv.h"

#define BFT_NTSKE_PORT 4460
#define BFT_NTSKE_ALPN "ntske/1"
#define BFT_NTSKE_EXPORTER_LABEL "EXPORTER-network-time-security"
#define BFT_NTS_PROTO_NTPV4 0
#define BFT_NTS_AEAD_SIV_CMAC_256 15

/* NTS-KE record types (the critical bit is 0x8000 on the wire). */
enum bft_ntske_type {
	BFT_NTSKE_END = 0,
	BFT_NTSKE_NEXT_PROTO = 1,
	BFT_NTSKE_ERROR = 2,
	BFT_NTSKE_WARNING = 3,
	BFT_NTSKE_AEAD = 4,
	BFT_NTSKE_COOKIE = 5,
	BFT_NTSKE_SERVER = 6,
	BFT_NTSKE_PORT_REC = 7,
};
enum bft_ntske_error {
	BFT_NTSKE_ERR_UNRECOGNIZED_CRITICAL = 0,
	BFT_NTSKE_ERR_BAD_REQUEST = 1,
	BFT_NTSKE_ERR_INTERNAL = 2,
};

#define BFT_NTSKE_MAX_MSG 4096   /* a whole message; longer is refused */
#define BFT_NTSKE_MAX_COOKIES 8  /* kept from one response */
#define BFT_NTS_MAX_COOKIE_LEN 256
#define BFT_NTS_KEY_LEN BFT_SIV_KEY_LEN

/* A parsed NTS-KE message. Pointers point into the parsed buffer. */
typedef struct bft_ntske_msg {
	size_t len;            /* bytes up to and including End of Message */
	int n_next_proto;      /* Next Protocol records seen */
	bool ntpv4;            /* ... and one offered NTPv4 */
	int n_aead;            /* AEAD records seen */
	bool siv_cmac_256;     /* ... and one offered AEAD_AES_SIV_CMAC_256 */
	int error;             /* an Error record's code, -1 none */
	int warning;           /* a Warning record's code, -1 none */
	bool unknown_critical; /* a record we do not know had its critical bit */
	size_t n_cookies;      /* New Cookie records kept (at most BFT_NTSKE_MAX_COOKIES) */
	const uint8_t *cookie[BFT_NTSKE_MAX_COOKIES];
	size_t cookie_len[BFT_NTSKE_MAX_COOKIES];
	char server[256];      /* NTPv4 Server Negotiation, "" none */
	int port;              /* NTPv4 Port Negotiation, -1 none */
} bft_ntske_msg;

/* Parse a message from buf[0 .. len). Returns 0 when it is complete (End of
 * Message seen; m->len says where), 1 when what is there is well-formed but
 * has no End yet (read more), or BFT_EINVAL with *why a static reason:
 * a record overrunning BFT_NTSKE_MAX_MSG, a body of the wrong length for its
 * type, a cookie longer than BFT_NTS_MAX_COOKIE_LEN, an End with a body, or
 * bytes after the End. Semantics (which records a request or response needs)
 * are the callers': see bft_ntske_server_check and bft_ntske_client_check. */
int bft_ntske_parse(bft_ntske_msg *m, const uint8_t *buf, size_t len, const char **why);

/* The client's request: NTPv4, AEAD_AES_SIV_CMAC_256, End (all critical).
 * Returns its length, or 0 when cap is too small. */
size_t bft_ntske_client_request(uint8_t *out, size_t cap);

/* Is a parsed request one we serve? Returns -1 when it is, else the Error
 * code to answer with (*why says why). */
int bft_ntske_server_check(const bft_ntske_msg *m, const char **why);

/* The server's response: NTPv4, AEAD_AES_SIV_CMAC_256, the cookies, the NTP
 * port when port >= 0, End. Returns its length, or 0 when cap is too small. */
size_t bft_ntske_server_response(uint8_t *out, size_t cap, const uint8_t *const *cookies, const size_t *cookie_len,
                                 size_t n_cookies, int port);
/* An Error record and End. */
size_t bft_ntske_server_error(uint8_t *out, size_t cap, int code);

/* Is a parsed response usable (NTPv4, our AEAD, at least one cookie, no
 * Error)? 0, or BFT_EINVAL with *why. */
int bft_ntske_client_check(const bft_ntske_msg *m, const char **why);

/* ---- NTP extension fields ---------------------------------------------- */

enum bft_nts_ef_type {
	BFT_NTS_EF_UID = 0x0104,
	BFT_NTS_EF_COOKIE = 0x0204,
	BFT_NTS_EF_PLACEHOLDER = 0x0304,
	BFT_NTS_EF_AUTH = 0x0404,
};

#define BFT_NTS_UID_MIN 32     /* RFC 8915 5.3: at least 32 bytes */
#define BFT_NTS_UID_MAX 256
#define BFT_NTS_NONCE_LEN 16   /* the nonces we send */
#define BFT_NTS_NONCE_MIN 16   /* RFC 8915 5.6: the least a server accepts */
#define BFT_NTS_MAX_PACKET 1280 /* an NTS packet we build or accept */

/* What a packet's extension fields say. Pointers point into the packet. */
typedef struct bft_nts_ef_view {
	size_t n_fields;
	const uint8_t *uid;      /* the Unique Identifier's body, NULL none */
	size_t uid_len;
	size_t n_cookies;        /* NTS Cookie fields (a request carries one) */
	const uint8_t *cookie;   /* the first one's body */
	size_t cookie_len;
	size_t n_placeholders;   /* NTS Cookie Placeholder fields */
	size_t placeholder_bytes; /* their lengths summed (no amplification) */
	size_t n_unknown;        /* fields of other types (ignored) */
	bool have_auth;
	size_t auth_off;         /* the authenticator's offset: the AAD is [0, auth_off) */
	const uint8_t *nonce;
	size_t nonce_len;
	const uint8_t *ct;       /* SIV || encrypted extension fields */
	size_t ct_len;
} bft_nts_ef_view;

/* Walk the extension fields of buf[off .. len) (off = 48 for a packet, 0
 * for a decrypted plaintext). Returns 0, or BFT_EINVAL with *why: a field
 * shorter than 16 bytes, not a multiple of 4 or overrunning, a second Unique
 * Identifier or Authenticator, a field after the Authenticator, an
 * Authenticator whose nonce and ciphertext overrun it, a Unique Identifier
 * shorter than 32 bytes. */
int bft_nts_ef_parse(bft_nts_ef_view *v, const uint8_t *buf, size_t off, size_t len, const char **why);

/* The client's request: header (48 bytes, caller-built) then Unique
 * Identifier, NTS Cookie, n_placeholders placeholders of the cookie's length,
 * and an Authenticator (nonce, no encrypted fields) under c2s. Returns the
 * length, or 0 (cap too small, bad lengths, AEAD failure). */
size_t bft_nts_client_request(bft_siv *siv, uint8_t *out, size_t cap, const uint8_t hdr[48], const uint8_t *uid,
                              size_t uid_len, const uint8_t *cookie, size_t cookie_len, size_t n_placeholders,
                              const uint8_t c2s[BFT_NTS_KEY_LEN], const uint8_t nonce[BFT_NTS_NONCE_LEN]);

/* Why the server does not answer an NTS request normally. */
enum bft_nts_srv {
	BFT_NTS_SRV_OK = 0,
	BFT_NTS_SRV_MALFORMED, /* fields unparsable, or no UID/cookie/authenticator: dropped */
	BFT_NTS_SRV_COOKIE,    /* the cookie opens under no key we hold: NTS NAK */
	BFT_NTS_SRV_AUTH,      /* the authenticator does not verify: dropped */
	BFT_NTS_SRV_COUNT
};
const char *bft_nts_srv_name(enum bft_nts_srv r);

/* Server keys: cookies are sealed under the newest and opened under any. */
typedef struct bft_nts_server_key {
	uint32_t id;
	uint8_t key[BFT_NTS_KEY_LEN];
} bft_nts_server_key;

/* A request as the server saw it, when verified. */
typedef struct bft_nts_request {
	bft_nts_ef_view v;
	uint8_t c2s[BFT_NTS_KEY_LEN], s2c[BFT_NTS_KEY_LEN];
	size_t n_cookies_wanted; /* 1 + placeholders, capped at BFT_NTSKE_MAX_COOKIES */
} bft_nts_request;

/* Check an NTS request (the caller knows it has extension fields): parse,
 * open the cookie, verify the authenticator. */
enum bft_nts_srv bft_nts_server_check(bft_siv *siv, bft_nts_request *rq, const bft_nts_server_key *keys,
                                      size_t n_keys, const uint8_t *req, size_t len, const char **why);

/* The reply: hdr (48 bytes, fully stamped: nothing may change after the
 * seal), the echoed Unique Identifier, an Authenticator under s2c holding
 * the cookies as encrypted NTS Cookie fields. Returns the length, or 0. */
size_t bft_nts_server_reply(bft_siv *siv, uint8_t *out, size_t cap, const uint8_t hdr[48],
                            const bft_nts_request *rq, const uint8_t nonce[BFT_NTS_NONCE_LEN],
                            const uint8_t *const *cookies, const size_t *cookie_len, size_t n_cookies);

/* The NTS NAK: hdr (already a kiss-o'-death "NTSN") and the echoed Unique
 * Identifier, unauthenticated. Returns the length, or 0. */
size_t bft_nts_server_nak(uint8_t *out, size_t cap, const uint8_t hdr[48], const uint8_t *uid, size_t uid_len);

/* The cookie format: key id (4) || nonce (16) || SIV || E(aead (2) || 0 (2)
 * || c2s || s2c). */
#define BFT_NTS_COOKIE_LEN (4 + BFT_NTS_NONCE_LEN + BFT_SIV_TAG_LEN + 4 + 2 * BFT_NTS_KEY_LEN)

/* Seal the session keys into out[BFT_NTS_COOKIE_LEN] under k. 0 or BFT_EINVAL. */
int bft_nts_cookie_seal(bft_siv *siv, uint8_t *out, const bft_nts_server_key *k, const uint8_t nonce[BFT_NTS_NONCE_LEN],
                        const uint8_t c2s[BFT_NTS_KEY_LEN], const uint8_t s2c[BFT_NTS_KEY_LEN]);
/* Open a cookie under whichever of keys[0 .. n) has its id. 0, or
 * BFT_EINVAL (wrong length, unknown key id, does not authenticate, not our
 * AEAD); the keys are zeroed then. */
__attribute__((warn_unused_result)) int bft_nts_cookie_open(bft_siv *siv, uint8_t c2s[BFT_NTS_KEY_LEN],
                                                            uint8_t s2c[BFT_NTS_KEY_LEN],
                                                            const bft_nts_server_key *keys, size_t n_keys,
                                                            const uint8_t *cookie, size_t len);

/* ---- the client's check of a reply ------------------------------------ */

enum bft_nts_cli {
	BFT_NTS_CLI_OK = 0,
	BFT_NTS_CLI_MALFORMED, /* fields unparsable */
	BFT_NTS_CLI_UID,       /* no Unique Identifier, or not ours: bogus or a replay of another exchange */
	BFT_NTS_CLI_NAK,       /* NTS NAK (kiss NTSN) for our UID: our cookie was refused */
	BFT_NTS_CLI_UNAUTH,    /* no Authenticator: unauthenticated */
	BFT_NTS_CLI_AUTH,      /* the Authenticator does not verify under s2c */
	BFT_NTS_CLI_COUNT
};
const char *bft_nts_cli_name(enum bft_nts_cli r);

/* New cookies found in a verified reply (copied: the plaintext is scratch). */
typedef struct bft_nts_cookies {
	size_t n;
	size_t len[BFT_NTSKE_MAX_COOKIES];
	uint8_t c[BFT_NTSKE_MAX_COOKIES][BFT_NTS_MAX_COOKIE_LEN];
} bft_nts_cookies;

/* Check a reply to the request that carried uid: the UID echoed, then the
 * Authenticator under s2c over the header and the fields before it; the new
 * cookies in its plaintext into *out. A kiss-o'-death NTSN echoing our UID
 * is BFT_NTS_CLI_NAK (a hint only: it is not authenticated). */
enum bft_nts_cli bft_nts_client_check(bft_siv *siv, bft_nts_cookies *out, const uint8_t s2c[BFT_NTS_KEY_LEN],
                                      const uint8_t *uid, size_t uid_len, const uint8_t *pkt, size_t len);

#endif
