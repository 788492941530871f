/* SPDX-License-Identifier: MIT */
/* Subcommands of the bftime CLI; each takes argv with argv[0] its own name. */
#ifndef BFTIME_CLI_H
#define BFTIME_CLI_H

int cmd_demo(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
/* Clients of a daemon's HTTP API (client.c). */
int cmd_status(int argc, char **argv);
int cmd_peers(int argc, char **argv);
int cmd_time(int argc, char **argv);
int cmd_proofs(int argc, char **argv);
int cmd_validate(int argc, char **argv);
/* NMEA capture decoder (gps.c). */
int cmd_gps_decode(int argc, char **argv);

#endif
