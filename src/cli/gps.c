/* SPDX-License-Identifier: MIT */
/*
 * bftime gps-decode: runs a capture of NMEA 0183 (a serial log, or gpsd's
 * regression captures whose '#' lines are comments) through the decoder of
 * src/proto/nmea.c and prints one line per fix, or one JSON object per fix
 * with --json, whose "time" has gpsd's form. Rejected sentences are reported
 * on stderr as FILE:LINE: reason and counted; a summary closes the run.
 *
 * Exit status: 0 decoded (errors are reported but allowed), 1 --strict and at
 * least one error, 2 usage or I/O error.
 */
#include <getopt.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "proto/nmea.h"

static void usage(void)
{
	fprintf(stderr, "usage: bftime gps-decode FILE|- [--json] [--strict] [--quiet] [--require-checksum]\n"
	                "                         [--wkro] [--leap S]\n");
}

static void print_json(const bft_nmea_fix *x)
{
	char t[40];
	bft_nmea_iso8601(x->time_ns, t, sizeof t);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "class", json_object_new_string("FIX"));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "time_ns", json_object_new_int64(x->time_ns));
	json_object_object_add(o, "mode", json_object_new_int(x->mode));
	json_object_object_add(o, "valid", json_object_new_boolean(x->valid));
	if (!isnan(x->lat_deg) && !isnan(x->lon_deg)) {
		json_object_object_add(o, "lat", json_object_new_double(x->lat_deg));
		json_object_object_add(o, "lon", json_object_new_double(x->lon_deg));
	}
	if (!isnan(x->alt_m))
		json_object_object_add(o, "alt", json_object_new_double(x->alt_m));
	if (x->sats_used >= 0)
		json_object_object_add(o, "satellites", json_object_new_int(x->sats_used));
	if (!isnan(x->hdop))
		json_object_object_add(o, "hdop", json_object_new_double(x->hdop));
	json_object *sky = json_object_new_object();
	json_object_object_add(sky, "visible", json_object_new_int(x->sky.visible));
	json_object_object_add(sky, "used", json_object_new_int(x->sky.used));
	json_object_object_add(sky, "with_snr", json_object_new_int(x->sky.with_snr));
	if (x->sky.with_snr > 0) {
		json_object_object_add(sky, "snr_min", json_object_new_int(x->sky.snr_min));
		json_object_object_add(sky, "snr_max", json_object_new_int(x->sky.snr_max));
		json_object_object_add(sky, "snr_mean", json_object_new_double(x->sky.snr_mean));
	}
	json_object_object_add(o, "sky", sky);
	json_object_object_add(o, "sentence", json_object_new_string(x->sentence));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void print_line(const bft_nmea_fix *x)
{
	char t[40];
	bft_nmea_iso8601(x->time_ns, t, sizeof t);
	printf("%s mode=%d", t, x->mode);
	if (!isnan(x->lat_deg) && !isnan(x->lon_deg))
		printf(" lat=%.7f lon=%.7f", x->lat_deg, x->lon_deg);
	if (!isnan(x->alt_m))
		printf(" alt=%.1f", x->alt_m);
	if (x->sats_used >= 0)
		printf(" used=%d", x->sats_used);
	if (!isnan(x->hdop))
		printf(" hdop=%.2f", x->hdop);
	printf(" visible=%d", x->sky.visible);
	if (x->sky.with_snr > 0)
		printf(" snr=%d..%d/%.1f", x->sky.snr_min, x->sky.snr_max, x->sky.snr_mean);
	printf(" by=%s\n", x->sentence);
}

int cmd_gps_decode(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, strict = 0, quiet = 0;
	bft_nmea_config cfg = { .flags = BFT_NMEA_SKIP_COMMENTS };
	enum { O_JSON = 256, O_STRICT, O_QUIET, O_REQ, O_WKRO, O_LEAP };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },   { "strict", no_argument, NULL, O_STRICT },
		{ "quiet", no_argument, NULL, O_QUIET }, { "require-checksum", no_argument, NULL, O_REQ },
		{ "wkro", no_argument, NULL, O_WKRO },   { "leap", required_argument, NULL, O_LEAP },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	opterr = 0;
	for (int ch; (ch = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		char *end;
		long v;
		switch (ch) {
		case O_JSON: json = 1; break;
		case O_STRICT: strict = 1; break;
		case O_QUIET: quiet = 1; break;
		case O_REQ: cfg.flags |= BFT_NMEA_REQUIRE_CHECKSUM; break;
		case O_WKRO: cfg.flags |= BFT_NMEA_WKRO_FIX; break;
		case O_LEAP:
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 100) {
				fprintf(stderr, "bftime gps-decode: bad --leap '%s'\n", optarg);
				return 2;
			}
			cfg.leap_s = (int)v;
			break;
		default: usage(); return 2;
		}
	}
	/* One operand, the capture ("-": standard input). */
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc) {
		usage();
		return 2;
	}

	if (!path) {
		usage();
		return 2;
	}
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!in) {
		fprintf(stderr, "bftime gps-decode: %s: %s\n", path, strerror(errno));
		return 2;
	}
	bft_nmea *p = bft_nmea_new(&cfg);
	if (!p) {
		fprintf(stderr, "bftime gps-decode: out of memory\n");
		if (in != stdin)
			fclose(in);
		return 2;
	}
	static unsigned char buf[65536];
	bft_nmea_event ev;
	size_t got;
	int io_error = 0;
	for (int done = 0; !done;) {
		got = fread(buf, 1, sizeof buf, in);
		if (got == 0) {
			io_error = ferror(in);
			bft_nmea_flush(p);
			done = 1;
		}
		for (size_t off = 0;;) {
			while (bft_nmea_next(p, &ev)) {
				if (ev.type == BFT_NMEA_EV_FIX)
					json ? print_json(&ev.fix) : print_line(&ev.fix);
				else if (ev.type == BFT_NMEA_EV_ERROR && !quiet)
					fprintf(stderr, "%s:%llu: %s%s%s\n", path, (unsigned long long)ev.line,
					        bft_nmea_err_str(ev.err), ev.sentence[0] ? " in " : "", ev.sentence);
			}
			if (off >= got)
				break;
			off += bft_nmea_feed(p, buf + off, got - off);
		}
	}
	if (in != stdin)
		fclose(in);
	const bft_nmea_stats *st = bft_nmea_get_stats(p);
	uint64_t errors = 0;
	fprintf(stderr, "%s: %llu lines, %llu sentences (%llu without checksum), %llu fixes", path,
	        (unsigned long long)st->lines, (unsigned long long)st->sentences, (unsigned long long)st->no_checksum,
	        (unsigned long long)st->fixes);
	for (int e = 0; e < BFT_NMEA_E__COUNT; e++)
		errors += st->errors[e];
	fprintf(stderr, ", %llu errors", (unsigned long long)errors);
	const char *sep = " (";
	for (int e = 0; e < BFT_NMEA_E__COUNT; e++)
		if (st->errors[e]) {
			fprintf(stderr, "%s%s: %llu", sep, bft_nmea_err_str((bft_nmea_err)e),
			        (unsigned long long)st->errors[e]);
			sep = ", ";
		}
	fprintf(stderr, "%s\n", errors ? ")" : "");
	bft_nmea_free(p);
	fflush(stdout);
	if (io_error) {
		fprintf(stderr, "bftime gps-decode: %s: read error\n", path);
		return 2;
	}
	return strict && errors ? 1 : 0;
}
