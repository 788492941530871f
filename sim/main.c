/* SPDX-License-Identifier: MIT */
/*
 * bftime-sim: run one scenario of the real node code on a simulated world
 * and report against its expectations. Exit status: 0 every promised
 * guarantee held, 1 one was violated, 2 usage or scenario error.
 */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/topo_report.h"
#include "sim/world.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: bftime-sim SCENARIO.yaml [options]\n"
	        "  --json            print one JSON object instead of the summary table\n"
	        "  --csv FILE        write the time series (per sample: honest offsets, widths)\n"
	        "  --svg FILE        write a plot of honest offsets and interval widths\n"
	        "  --html FILE       write a self-contained HTML report of the run (docs/dashboard.md)\n"
	        "  --seed N          override the scenario's seed\n"
	        "  --nodes N         override the number of nodes\n"
	        "  --duration D      override the duration (e.g. 600s, 1h)\n"
	        "  --real-crypto     sign with Ed25519 instead of the simulator's keyed hash\n"
	        "  --markdown        print one row of the results table (--markdown-header: with header)\n"
	        "  --quiet           print only violations; the exit status tells the verdict\n"
	        "  --profile         time each kind of event on this host; a table on stderr at the end\n"
	        "  --topology-report build the world, do not run it: the peer graph's degrees, distances,\n"
	        "                    lambda2, robustness certificate and CPA closures (with --json: JSON)\n"
	        "exit status: 0 ok, 1 a promised guarantee was violated, 2 error\n");
}

/* A whole non-negative decimal integer, nothing after it. */
static int parse_count(const char *s, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The overrides, applied to a freshly loaded scenario. */
static void apply_overrides(sim_scenario *sc, long long seed, long long nodes, int64_t duration)
{
	if (seed >= 0)
		sc->seed = (uint64_t)seed;
	if (nodes > 0) {
		/* Counted node sets (Byzantine nodes, ...) keep their share. */
		double k = (double)nodes / (double)sc->nodes;
		for (size_t i = 0; i < sc->n_advs; i++)
			if (sc->advs[i].nodes.kind == SIM_SET_COUNT)
				sc->advs[i].nodes.count = (size_t)((double)sc->advs[i].nodes.count * k);
		for (size_t i = 0; i < sc->n_refs; i++)
			if (sc->refs[i].nodes.kind == SIM_SET_COUNT)
				sc->refs[i].nodes.count = (size_t)((double)sc->refs[i].nodes.count * k);
		sc->nodes = (size_t)nodes;
	}
	/* Every absolute time (warmup, attack starts, windows) keeps its share
	 * of the run, so an attack never falls off the end. */
	if (duration > 0)
		sim_scenario_rescale(sc, duration);
}

/* The same world without any lie: the honest reference for compare_honest. */
static int run_honest(const char *path, long long seed, long long nodes, int64_t duration, const sim_world_options *opt,
                      sim_result *r)
{
	char err[512];
	sim_scenario *sc;
	if (sim_scenario_load(&sc, path, err, sizeof err))
		return -1;
	apply_overrides(sc, seed, nodes, duration);
	sim_scenario_strip_lies(sc);
	sim_world *w = NULL;
	int rc = -1;
	if (!sim_world_create(&w, sc, opt, err, sizeof err) && !sim_world_run(w)) {
		sim_report_set_honest(r, w);
		rc = 0;
	}
	sim_world_destroy(w);
	sim_scenario_free(sc);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path, *csv = NULL, *svg = NULL, *html = NULL;
	bool json = false, quiet = false, md = false, md_header = false, topo = false;
	sim_world_options opt = { 0 };
	long long seed = -1, nodes = -1;
	int64_t duration = -1;
	enum { O_JSON = 256, O_MD, O_MD_HEADER, O_QUIET, O_REAL_CRYPTO, O_CSV, O_SVG, O_SEED, O_NODES, O_DURATION, O_HTML, O_TOPO, O_PROFILE };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "markdown", no_argument, NULL, O_MD },
		{ "markdown-header", no_argument, NULL, O_MD_HEADER },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "real-crypto", no_argument, NULL, O_REAL_CRYPTO },
		{ "csv", required_argument, NULL, O_CSV },
		{ "svg", required_argument, NULL, O_SVG },
		{ "html", required_argument, NULL, O_HTML },
		{ "seed", required_argument, NULL, O_SEED },
		{ "nodes", required_argument, NULL, O_NODES },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "topology-report", no_argument, NULL, O_TOPO },
		{ "profile", no_argument, NULL, O_PROFILE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case O_JSON: json = true; break;
		case O_MD: md = true; break;
		case O_MD_HEADER: md = md_header = true; break;
		case O_QUIET: quiet = true; break;
		case O_REAL_CRYPTO: opt.real_crypto = true; break;
		case O_CSV: csv = optarg; break;
		case O_SVG: svg = optarg; break;
		case O_HTML: html = optarg; opt.trace = true; break;
		case O_TOPO: topo = true; break;
		case O_PROFILE: opt.profile = true; break;
		case O_SEED:
			if (parse_count(optarg, INT64_MAX, &seed)) {
				fprintf(stderr, "bftime-sim: bad seed '%s' (a non-negative integer)\n", optarg);
				return 2;
			}
			break;
		case O_NODES:
			if (parse_count(optarg, 100000000, &nodes) || nodes < 1) {
				fprintf(stderr, "bftime-sim: bad node count '%s' (an integer in [1, 1e8])\n", optarg);
				return 2;
			}
			break;
		case O_DURATION:
			if (sim_parse_duration(optarg, &duration) || duration <= 0) {
				fprintf(stderr, "bftime-sim: bad duration '%s' (e.g. 600s, 10m, 1h)\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) { /* the one operand: the scenario */
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (topo && (csv || svg || html || md || quiet || opt.profile)) { /* nothing is run: no series, no verdict */
		fprintf(stderr, "bftime-sim: --topology-report prints the graph only (with --json, --seed, --nodes); "
		                "not with --csv, --svg, --html, --markdown, --quiet or --profile\n");
		return 2;
	}
	char err[512];
	sim_scenario *sc;
	if (sim_scenario_load(&sc, path, err, sizeof err)) {
		fprintf(stderr, "bftime-sim: %s\n", err);
		return 2;
	}
	apply_overrides(sc, seed, nodes, duration);
	sim_world *w = NULL;
	int rc = 2;
	if (sim_world_create(&w, sc, &opt, err, sizeof err)) {
		if (!strncmp(err, path, strlen(path)))
			fprintf(stderr, "bftime-sim: %s\n", err);
		else
			fprintf(stderr, "bftime-sim: %s: %s\n", path, err);
		goto out;
	}
	if (topo) { /* the world as built, not run (sim/topo_report.h) */
		if (sim_topo_report(stdout, w, json, err, sizeof err)) {
			fprintf(stderr, "bftime-sim: %s: %s\n", path, err);
			goto out;
		}
		rc = fflush(stdout) != 0 || ferror(stdout) ? 2 : 0;
		goto out;
	}
	if (sim_world_run(w)) {
		fprintf(stderr, "bftime-sim: %s: out of memory\n", path);
		goto out;
	}
	sim_result r;
	sim_report_evaluate(w, &r);
	if (opt.profile)
		sim_world_profile(stderr, w);
	sim_world_options hopt = opt;
	hopt.trace = false; /* the honest comparison's figures only */
	hopt.profile = false;
	if (sc->compare_honest && run_honest(path, seed, nodes, duration, &hopt, &r)) {
		fprintf(stderr, "bftime-sim: %s: the honest comparison run failed\n", path);
		goto out;
	}
	if (json)
		sim_report_json(stdout, w, &r);
	else if (md)
		sim_report_markdown_row(stdout, w, &r, md_header);
	else if (quiet)
		for (size_t i = 0; i < r.n_violations; i++)
			printf("%s: %s\n", sc->name, r.violations[i]);
	else
		sim_report_summary(stdout, w, &r);
	rc = r.n_violations ? 1 : 0;
	if (csv && sim_report_csv(csv, w)) {
		fprintf(stderr, "bftime-sim: cannot write %s: %s\n", csv, strerror(errno));
		rc = 2;
	}
	if (svg && sim_report_svg(svg, w)) {
		fprintf(stderr, "bftime-sim: cannot write %s: %s\n", svg, strerror(errno));
		rc = 2;
	}
	if (html && sim_report_html(html, w, &r)) {
		fprintf(stderr, "bftime-sim: cannot write %s: %s\n", html, strerror(errno));
		rc = 2;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = 2;
out:
	sim_world_destroy(w);
	sim_scenario_free(sc);
	return rc;
}
