/* SPDX-License-Identifier: MIT */
/* Subcommands of the bftime CLI; each takes argv with argv[0] its own name. */
#ifndef BFTIME_CLI_H
#define BFTIME_CLI_H

/* A subcommand taking at most one option, --name VALUE (getopt_long), and no
 * operand: *value set when given. 0, or 2 after printing usage. */
int cli_one_option(int argc, char **argv, const char *name, const char **value, const char *usage);

int cmd_demo(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
/* Clients of a daemon's HTTP API (client.c). */
int cmd_status(int argc, char **argv);
int cmd_peers(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_time(int argc, char **argv);
int cmd_proofs(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_tracking(int argc, char **argv);
int cmd_wait(int argc, char **argv);
/* NMEA capture decoder (gps.c). */
int cmd_gps_decode(int argc, char **argv);

#endif
