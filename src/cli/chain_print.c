/* SPDX-License-Identifier: MIT */
/*
 * `bftime chain`: the Nakamoto engine's chain as a daemon reports it (GET
 * /v1/chain, docs/nakamoto.md): head, height, work, the recent offsets'
 * consensus per reference, forks and orphans seen, and refused blocks by
 * reason (only reasons that occurred). Pure formatting of the JSON.
 */
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "client.h"

static json_object *field(json_object *o, const char *k)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}
static int64_t num(json_object *o, const char *k) { return json_object_get_int64(field(o, k)); }
static uint64_t unum(json_object *o, const char *k) { return json_object_get_uint64(field(o, k)); }
static const char *str(json_object *o, const char *k)
{
	const char *s = json_object_get_string(field(o, k));
	return s ? s : "";
}

void cli_print_chain(FILE *out, json_object *j)
{
	json_object *h = field(j, "head");
	fprintf(out, "head      %s\n", str(h, "hash"));
	fprintf(out, "height    %" PRId64 ", work %s, difficulty %" PRIu64 " (next %" PRIu64 ")\n", num(h, "height"),
	        str(h, "work"), unum(h, "difficulty"), unum(h, "next_difficulty"));
	if (json_object_get_boolean(field(j, "alarm")))
		fprintf(out, "ALARM     a chain this node finds implausible has more work than its best\n");
	json_object *refs = field(j, "references");
	size_t n = refs ? json_object_array_length(refs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(refs, i), *ref = field(r, "ref");
		if (!json_object_get_boolean(field(r, "consensus"))) {
			fprintf(out, "reference %s %s: no consensus yet\n", str(ref, "kind"), str(ref, "id"));
			continue;
		}
		fprintf(out,
		        "reference %s %s: %" PRId64 " nodes (f %" PRId64 "), median offset %" PRId64 " ns, phase %" PRId64
		        " ns in [%" PRId64 ", %" PRId64 "], steer %" PRId64 " ppb\n",
		        str(ref, "kind"), str(ref, "id"), num(r, "n"), num(r, "f"), num(r, "median_ns"), num(r, "phase_ns"),
		        num(r, "phase_lo_ns"), num(r, "phase_hi_ns"), num(r, "steer_ppb"));
	}
	json_object *f = field(j, "forks"), *o = field(j, "orphans"), *m = field(j, "node");
	fprintf(out, "forks     %" PRId64 " reorganisations (deepest %" PRId64 "), %" PRId64 " side blocks\n",
	        num(f, "reorgs"), num(f, "max_reorg_depth"), num(f, "side_blocks"));
	fprintf(out, "orphans   held %" PRId64 ", adopted %" PRId64 ", expired %" PRId64 ", dropped %" PRId64 "\n",
	        num(o, "held"), num(o, "adopted"), num(o, "expired"), num(o, "dropped"));
	fprintf(out, "mined     %" PRId64 " blocks, %" PRId64 " hashes; statements made %" PRId64 ", received %" PRId64
	             " (refused %" PRId64 ")\n",
	        num(m, "mined"), num(m, "hashes"), num(m, "statements_made"), num(m, "statements_received"),
	        num(m, "statements_refused"));
	fprintf(out, "refused   ");
	json_object *rej = field(j, "rejected");
	int any = 0;
	json_object_object_foreach(rej, k, v)
	{
		if (json_object_get_int64(v)) {
			fprintf(out, "%s%s %" PRId64, any ? ", " : "", k, json_object_get_int64(v));
			any = 1;
		}
	}
	fprintf(out, "%s\n", any ? "" : "none");
}
