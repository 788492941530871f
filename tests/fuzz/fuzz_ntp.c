/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the NTP packet code, both directions: any bytes as a
 * request to the server's reply builder and as a reply to the client's
 * check. Nothing may be read outside the buffer; a decoded header must
 * re-encode to the same bytes; an answer is exactly 48 bytes, never longer
 * than the request, and echoes its transmit timestamp; a reply the client
 * accepts yields a valid interval that contains the point estimate's
 * neighbourhood (lo <= hi) and refers to its receive stamp.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bft_ntp_packet p, again;
	if (bft_ntp_decode(&p, data, size) == 0) {
		uint8_t hdr[BFT_NTP_HEADER_LEN];
		bft_ntp_encode(hdr, &p);
		if (memcmp(hdr, data, sizeof hdr) != 0 || bft_ntp_decode(&again, hdr, sizeof hdr) != 0 ||
		    again.transmit_ts != p.transmit_ts || again.n_ext != 0 || again.mac_len != 0)
			abort();
	}

	/* The server side: a fixed synchronized node. */
	int64_t t = INT64_C(1795000000) * 1000000000;
	bft_ntp_server_info s = { .rx_ns = t, .rx_iv = { t - 1000000, t + 1000000 }, .synchronized = true,
	                          .stratum = 2, .precision = -25, .refid = { 'B', 'F', 'T', 0 }, .ref_ns = t - 1 };
	uint8_t out[BFT_NTP_HEADER_LEN];
	enum bft_ntp_drop why;
	size_t n = bft_ntp_server_reply(out, sizeof out, data, size, &s, &why);
	if (n) {
		if (n != BFT_NTP_HEADER_LEN || n > size || why != BFT_NTP_ANSWER ||
		    bft_ntp_decode(&again, out, n) != 0 || again.origin_ts != p.transmit_ts ||
		    again.mode != BFT_NTP_MODE_SERVER)
			abort();
		bft_ntp_reply_stamp(out, t + 1000, bft_iv(t - 2000000, t + 2000000));
		bft_ntp_kod(out, "RATE");
	} else if (why == BFT_NTP_ANSWER) {
		abort();
	}

	/* The client side: the input as a reply to a request whose cookie it
	 * echoes (so the deeper checks run), local stamps from its own bytes. */
	if (size >= BFT_NTP_HEADER_LEN) {
		uint64_t cookie = p.origin_ts;
		uint64_t u = 0;
		for (int i = 0; i < 8; i++)
			u = u << 8 | data[16 + i]; /* the reference timestamp's bytes */
		int64_t t1 = (int64_t)(u >> 2), rtt = (int64_t)(data[2] | data[3] << 8) * 1000;
		bft_ntp_client_params cp = { .rho_ppb = 1000000, .server_rate_ppb = 100000, .stamp_err_ns = 1000,
		                             .extra_ns = data[1] };
		bft_ntp_sample smp;
		enum bft_ntp_reject r =
			bft_ntp_client_sample(&smp, data, size, cookie, t1, t1 + rtt, t, &cp);
		if (r == BFT_NTP_OK && (!bft_iv_valid(smp.iv) || smp.local_ns != t1 + rtt))
			abort();
		if (r >= BFT_NTP_REJ_COUNT)
			abort();
	}
	return 0;
}
