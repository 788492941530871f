/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the CLI's reading of a daemon's answers
 * (src/cli/client.h): the body of an answer, any bytes, is parsed as the
 * CLI parses it, then printed by every subcommand's human output and
 * checked by `proofs --verify`, as if each endpoint had answered it. The
 * daemon may not be ours: a field may be missing, of another type, huge or
 * nested; nothing may read outside its buffer, overflow or abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	/* In a buffer exactly its size: the parser must not look past it. */
	char *body = malloc(size ? size : 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	json_object *j = cli_parse_answer(body, size);
	free(body);
	if (!j)
		return 0;
	cli_print_time(sink, j);
	cli_print_status(sink, j);
	cli_print_peers(sink, j);
	cli_print_proofs(sink, j);
	cli_print_sources(sink, j);
	cli_print_tracking(sink, j);
	(void)cli_wait_ready(j, 0);
	(void)cli_wait_ready(j, 1000);
	int rc = cli_print_validate(sink, j);
	if (rc != 0 && rc != 1 && rc != 3)
		abort();
	json_object *arr = NULL;
	if (json_object_object_get_ex(j, "proofs", &arr))
		(void)cli_verify_proofs(sink, arr, NULL);
	(void)cli_verify_proofs(sink, j, NULL); /* not an array: nothing to verify */
	json_object_put(j);
	return 0;
}
