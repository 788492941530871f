/* SPDX-License-Identifier: MIT */
/*
 * bftime: the command-line tool. A table of subcommands, each
 * {name, function, one-line description}, as wireguard-tools does it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The Makefile's VERSION, passed as -DBFT_VERSION by its rule for this file. */
#ifndef BFT_VERSION
#define BFT_VERSION "unknown"
#endif

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "demo", cmd_demo, "fuse generated clock readings, some of them lies, and show every algorithm's answer" },
	{ "keygen", cmd_keygen, "make a node key: keygen [--out FILE] (file mode 0600), prints the public key" },
	{ "pubkey", cmd_pubkey, "print the public key of a key file: pubkey FILE" },
	{ "status", cmd_status, "a daemon's state, sources (used or why not), counters, proof chain head" },
	{ "peers", cmd_peers, "a daemon's peers: readings, gossip progress, proofs held" },
	{ "chain", cmd_chain, "a daemon's Nakamoto chain: head, height, work, offsets per reference, forks, refusals" },
	{ "time", cmd_time, "a daemon's interval [earliest, latest] and estimate of true time" },
	{ "proofs", cmd_proofs, "a daemon's stored time proofs: proofs [--verify] [--node N] [--limit N]" },
	{ "validate", cmd_validate, "is a timestamp consistent with consensus time? validate TIMESTAMP|now [--tolerance D]; exit 0 yes, 1 no, 3 unknown" },
	{ "sources", cmd_sources, "a daemon's sources as chronyc's: reach, poll, last receipt, offset, used or why not" },
	{ "tracking", cmd_tracking, "a daemon's clock as chronyc's: state, leap, root distance, frequency, skew" },
	{ "wait", cmd_wait, "wait until a daemon is synchronized: wait [--timeout D] [--max-distance D]; exit 0, 3 timed out, 1 no answer" },
	{ "gps-decode", cmd_gps_decode, "decode an NMEA 0183 capture, one line per fix: gps-decode FILE [--json] [--strict]" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: bftime <command> [options]\n       bftime --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].description);
	fprintf(out, "\nstatus, peers, time, proofs, validate, sources, tracking and wait talk to a daemon's HTTP API: --api URL, or the api\n"
	             "address of --config FILE, else http://127.0.0.1:7380; --json prints the API's JSON.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("bftime %s\n", BFT_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bftime: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
