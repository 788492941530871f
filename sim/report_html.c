/* SPDX-License-Identifier: MIT */
/*
 * bftime-sim --html FILE (report.h, docs/dashboard.md): one self-contained
 * page (inline CSS and SVG, no script, nothing loaded) of a whole run: the
 * verdict and the violations, the parameters, the measured figures beside
 * their bounds, and four panels over the run's time: the honest nodes'
 * offsets to true time with their intervals, the accuracy bound as lines;
 * the same on a symmetric log scale; the spread of the honest offsets with
 * the precision bound; the interval widths. Attack windows are shaded on
 * every panel, alarms and quarantines are marked as events (and listed),
 * the adversaries are named, and a legend says what each mark is.
 *
 * Scales: linear with the unit chosen from the range (ns, us, ms, s), so a
 * few nanoseconds either side of zero stay a few nanoseconds; the symlog
 * panel is linear within +-C, C the median half-width of the honest
 * intervals (at least 1 us), so only what lies far outside the nodes' own
 * uncertainty is compressed: the old --svg's log10(1 + |x| / 1 ns) drew a
 * 2 ns sign flip as a jump of half a decade.
 *
 * Each series is drawn over at most PX_BUCKETS time buckets, with the least
 * and the greatest value of each bucket, so that no spike is lost however
 * long the run. Output depends on the world's measurements only.
 */
#include "sim/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

#define PX_BUCKETS 1200
#define PW 1000.0 /* plot width in the panels' viewBox */
#define PL 90.0   /* plot left */
#define PH 240.0  /* plot height */
#define PT 24.0   /* plot top */

static const char *const COLORS[SIM_TRACE_NODES] = {
	"#0550ae", "#953800", "#116329", "#8250df", "#bf3989", "#1b7c83", "#6e7781", "#9a6700",
	"#0969da", "#cf222e", "#1a7f37", "#a475f9", "#e16f24", "#3192aa", "#57606a", "#bf8700",
};

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A value in ns with a unit that fits it. */
static const char *fmt(char *buf, size_t len, double ns)
{
	double a = fabs(ns);
	if (a >= 1e9)
		snprintf(buf, len, "%.6g s", ns / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.6g ms", ns / 1e6);
	else if (a >= 1e3)
		snprintf(buf, len, "%.6g us", ns / 1e3);
	else
		snprintf(buf, len, "%.6g ns", ns);
	return buf;
}

/* ---- scales ---------------------------------------------------------------- */

typedef struct scale {
	bool symlog;
	double lo, hi, c; /* range (ns); symlog: linear within +-c */
	double y0;        /* panel's plot top */
} scale;

static double sl(const scale *s, double v) { return s->symlog ? copysign(log10(1 + fabs(v) / s->c), v) : v; }
static double ypx(const scale *s, double v)
{
	double a = sl(s, s->lo), b = sl(s, s->hi);
	if (v < s->lo)
		v = s->lo;
	if (v > s->hi)
		v = s->hi;
	return s->y0 + PH * (1 - (sl(s, v) - a) / (b - a));
}
static double xpx(double t_ns, double T_ns) { return PL + PW * t_ns / T_ns; }

static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void yaxis(FILE *f, const scale *s)
{
	char b[32];
	double ticks[64];
	int n = 0;
	if (s->symlog) {
		ticks[n++] = 0;
		for (double v = s->c; v <= fmax(fabs(s->lo), fabs(s->hi)) * 1.0001 && n < 60; v *= 10) {
			if (v <= s->hi)
				ticks[n++] = v;
			if (-v >= s->lo)
				ticks[n++] = -v;
		}
	} else {
		double st = nice_step(s->hi - s->lo, 6);
		for (double v = ceil(s->lo / st) * st; v <= s->hi + st * 1e-9 && n < 60; v += st)
			ticks[n++] = fabs(v) < st * 1e-9 ? 0 : v;
	}
	for (int i = 0; i < n; i++) {
		double y = ypx(s, ticks[i]);
		fprintf(f, "<line class=\"grid\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"%s/>\n", PL, PL + PW, y, y,
		        ticks[i] == 0 ? " stroke-dasharray=\"none\" stroke=\"#8c959f\"" : "");
		fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", PL - 6, y + 4,
		        fmt(b, sizeof b, ticks[i]));
	}
}

/* Where the warmup ends (the bounds and the verdict judge from there). */
static void warmup_mark(FILE *f, const sim_world *w, double y0)
{
	if (w->sc->warmup_ns <= 0 || w->sc->warmup_ns >= w->sc->duration_ns)
		return;
	double x = xpx((double)w->sc->warmup_ns, (double)w->sc->duration_ns);
	fprintf(f, "<line class=\"warmup\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#57606a\" "
	           "stroke-dasharray=\"3 3\"/>\n<text x=\"%.1f\" y=\"%.0f\" class=\"warmup-label\">warmup ends</text>\n",
	        x, x, y0, y0 + PH, x + 4, y0 + PH - 6);
}

static void xaxis(FILE *f, double T_ns, double y0)
{
	double T = T_ns / 1e9, st = nice_step(T, 8);
	for (double t = 0; t <= T + st * 1e-9; t += st) {
		double x = xpx(t * 1e9, T_ns);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"/>\n", x, x, y0, y0 + PH);
		fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g s</text>\n", x, y0 + PH + 14, t);
	}
}

/* ---- series ---------------------------------------------------------------- */

/* Value k of row i, false when there is none (a node not synchronized). */
typedef bool (*getter)(const sim_world *w, size_t i, size_t k, double *v);

static size_t n_rows_of(const sim_world *w, bool traced) { return traced ? w->trace->n_rows : w->m.n_rows; }
static int64_t t_of(const sim_world *w, bool traced, size_t i)
{
	return traced ? w->trace->t_ns[i] : w->m.rows[i].t_ns;
}

/* The least and greatest value in each time bucket, in time order, as one
 * path (a gap where a bucket has none). */
static void line(FILE *f, const sim_world *w, bool traced, getter g, size_t k, const scale *s, const char *cls,
                 const char *color, double width, const char *dash, const char *key)
{
	double T = (double)w->sc->duration_ns;
	size_t n = n_rows_of(w, traced);
	fprintf(f, "<path class=\"%s\"%s%s%s fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s d=\"", cls,
	        key ? " data-series=\"" : "", key ? key : "", key ? "\"" : "", color, width, dash ? " stroke-dasharray=\"" : "",
	        dash ? dash : "", dash ? "\"" : "");
	bool pen = false;
	for (size_t i = 0; i < n;) {
		size_t b = (size_t)((double)t_of(w, traced, i) / T * PX_BUCKETS);
		double mn = INFINITY, mx = -INFINITY;
		int64_t tmn = 0, tmx = 0;
		size_t j = i;
		for (; j < n && (size_t)((double)t_of(w, traced, j) / T * PX_BUCKETS) == b; j++) {
			double v;
			if (!g(w, j, k, &v))
				continue;
			if (v < mn) {
				mn = v;
				tmn = t_of(w, traced, j);
			}
			if (v > mx) {
				mx = v;
				tmx = t_of(w, traced, j);
			}
		}
		if (mn == INFINITY) {
			pen = false;
		} else {
			int64_t ta = tmn <= tmx ? tmn : tmx, tb = tmn <= tmx ? tmx : tmn;
			double va = tmn <= tmx ? mn : mx, vb = tmn <= tmx ? mx : mn;
			fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', xpx((double)ta, T), ypx(s, va));
			if (tb != ta || vb != va)
				fprintf(f, "L%.1f %.1f", xpx((double)tb, T), ypx(s, vb));
			pen = true;
		}
		i = j;
	}
	fprintf(f, "\"/>\n");
}

/* A band between lo (getter glo) and hi (ghi) per bucket: its least lo and greatest hi. */
static void band(FILE *f, const sim_world *w, bool traced, getter glo, getter ghi, size_t k, const scale *s,
                 const char *cls, const char *color, double opacity, const char *key)
{
	double T = (double)w->sc->duration_ns;
	size_t n = n_rows_of(w, traced);
	double *xs = malloc(PX_BUCKETS * 3 * sizeof *xs);
	if (!xs)
		return;
	double *los = xs + PX_BUCKETS, *his = los + PX_BUCKETS;
	size_t m = 0;
	fprintf(f, "<path class=\"%s\"%s%s%s fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\" d=\"", cls,
	        key ? " data-series=\"" : "", key ? key : "", key ? "\"" : "", color, opacity);
	for (size_t i = 0; i <= n;) {
		size_t b = i < n ? (size_t)((double)t_of(w, traced, i) / T * PX_BUCKETS) : SIZE_MAX;
		double lo = INFINITY, hi = -INFINITY;
		size_t j = i;
		for (; j < n && (size_t)((double)t_of(w, traced, j) / T * PX_BUCKETS) == b; j++) {
			double a, c;
			if (!glo(w, j, k, &a) || !ghi(w, j, k, &c))
				continue;
			lo = fmin(lo, a);
			hi = fmax(hi, c);
		}
		bool have = i < n && lo != INFINITY;
		if (have && m < PX_BUCKETS) {
			xs[m] = xpx((double)t_of(w, traced, i), T);
			los[m] = ypx(s, lo);
			his[m] = ypx(s, hi);
			m++;
		}
		if ((!have || m == PX_BUCKETS) && m) { /* close the run */
			for (size_t q = 0; q < m; q++)
				fprintf(f, "%c%.1f %.1f", q ? 'L' : 'M', xs[q], his[q]);
			if (m == 1)
				fprintf(f, "L%.1f %.1f", xs[0] + 1, his[0]);
			for (size_t q = m; q-- > 0;)
				fprintf(f, "L%.1f %.1f", xs[q] + (m == 1 ? 1 : 0), los[q]);
			fprintf(f, "Z");
			m = 0;
		}
		if (i == n)
			break;
		i = j > i ? j : i + 1;
	}
	fprintf(f, "\"/>\n");
	free(xs);
}

static bool g_off(const sim_world *w, size_t i, size_t k, double *v)
{
	const sim_trace_point *p = &w->trace->pts[i * w->trace->n_traced + k];
	*v = (double)p->off_ns;
	return p->synced;
}
static bool g_lo(const sim_world *w, size_t i, size_t k, double *v)
{
	const sim_trace_point *p = &w->trace->pts[i * w->trace->n_traced + k];
	*v = (double)p->lo_ns;
	return p->synced;
}
static bool g_hi(const sim_world *w, size_t i, size_t k, double *v)
{
	const sim_trace_point *p = &w->trace->pts[i * w->trace->n_traced + k];
	*v = (double)p->hi_ns;
	return p->synced;
}
static bool g_net(const sim_world *w, size_t i, size_t k, double *v)
{
	const sim_trace_point *p = &w->trace->pts[i * w->trace->n_traced + k];
	*v = (double)p->net_off_ns;
	return p->net;
}
static bool any_net(const sim_world *w)
{
	const sim_trace *t = w->trace;
	for (size_t i = 0; i < t->n_rows * t->n_traced; i++)
		if (t->pts[i].net)
			return true;
	return false;
}
/* The spread of the traced network clocks (all honest nodes are traced when it is drawn). */
static bool g_netspread(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	const sim_trace *t = w->trace;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t q = 0; q < t->n_traced; q++) {
		const sim_trace_point *p = &t->pts[i * t->n_traced + q];
		if (!p->net)
			continue;
		lo = fmin(lo, (double)p->net_off_ns);
		hi = fmax(hi, (double)p->net_off_ns);
	}
	*v = hi - lo;
	return hi > lo;
}
static bool g_min(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	*v = (double)w->m.rows[i].off_min_ns;
	return w->m.rows[i].synced > 0;
}
static bool g_max(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	*v = (double)w->m.rows[i].off_max_ns;
	return w->m.rows[i].synced > 0;
}
static bool g_spread(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	*v = (double)w->m.rows[i].off_max_ns - (double)w->m.rows[i].off_min_ns;
	return w->m.rows[i].synced > 1;
}
static bool g_wmean(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	*v = (double)w->m.rows[i].width_mean_ns;
	return w->m.rows[i].synced > 0;
}
static bool g_wmax(const sim_world *w, size_t i, size_t k, double *v)
{
	(void)k;
	*v = (double)w->m.rows[i].width_max_ns;
	return w->m.rows[i].synced > 0;
}

/* ---- marks ------------------------------------------------------------------- */

typedef struct window {
	int64_t from_ns, to_ns;
	char what[96];
} window;

/* Every attack or fault the scenario schedules, in scenario order. */
static size_t windows(const sim_world *w, window *out, size_t cap)
{
	const sim_scenario *s = w->sc;
	size_t n = 0;
	for (size_t i = 0; i < s->n_advs && n < cap; i++, n++) {
		out[n] = (window){ s->advs[i].lie.from_ns, s->duration_ns, "" };
		snprintf(out[n].what, sizeof out[n].what, "%zu Byzantine node(s): %s", s->advs[i].nodes.n_ids,
		         bft_adv_name(s->advs[i].lie.strategy));
	}
	for (size_t i = 0; i < s->n_gps_lies && n < cap; i++, n++) {
		out[n] = (window){ s->gps_lies[i].from_ns, s->gps_lies[i].to_ns, "" };
		char b[32];
		snprintf(out[n].what, sizeof out[n].what, "GPS spoofing (region %u, %s%s)", s->gps_lies[i].region,
		         fmt(b, sizeof b, (double)s->gps_lies[i].offset_ns), s->gps_lies[i].implausible ? ", implausible sky" : "");
	}
	for (size_t i = 0; i < s->n_refs && n < cap; i++) {
		if (!s->refs[i].liars)
			continue;
		char b[32];
		out[n] = (window){ s->refs[i].lie_from_ns, s->refs[i].lie_to_ns > 0 ? s->refs[i].lie_to_ns : s->duration_ns, "" };
		snprintf(out[n].what, sizeof out[n].what, "%zu NTP server(s) lie by %s", s->refs[i].liars,
		         fmt(b, sizeof b, (double)s->refs[i].lie_ns));
		n++;
	}
	for (size_t i = 0; i < s->n_partitions && n < cap; i++, n++) {
		out[n] = (window){ s->partitions[i].from_ns, s->partitions[i].to_ns, "network partition" };
	}
	for (size_t i = 0; i < s->n_mitms && n < cap; i++, n++) {
		char b[32];
		out[n] = (window){ s->mitms[i].start_ns, s->mitms[i].end_ns, "" };
		snprintf(out[n].what, sizeof out[n].what, "delay attack (+%s one way)", fmt(b, sizeof b, (double)s->mitms[i].extra_ns));
	}
	for (size_t k = 0; k < n; k++) {
		if (out[k].from_ns < 0)
			out[k].from_ns = 0;
		if (out[k].to_ns <= 0 || out[k].to_ns > s->duration_ns)
			out[k].to_ns = s->duration_ns;
	}
	return n;
}

static void shade_windows(FILE *f, const sim_world *w, const window *win, size_t n, double y0)
{
	double T = (double)w->sc->duration_ns;
	for (size_t k = 0; k < n; k++) {
		double x0 = xpx((double)win[k].from_ns, T), x1 = xpx((double)win[k].to_ns, T);
		fprintf(f, "<rect class=\"attack-window\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"><title>",
		        x0, y0, fmax(x1 - x0, 1), PH);
		esc(f, win[k].what);
		fprintf(f, " from %.3f s to %.3f s</title></rect>\n", (double)win[k].from_ns / 1e9, (double)win[k].to_ns / 1e9);
	}
}

static const char *event_name(const sim_trace_event *e)
{
	switch (e->kind) {
	case SIM_TE_ALARM: return "alarm raised";
	case SIM_TE_ALARM_CLEARED: return "alarm cleared";
	case SIM_TE_QUARANTINE:
		return e->reason == BFT_Q_JUMP ? "reference quarantined (jump)"
		     : e->reason == BFT_Q_CONSENSUS ? "reference quarantined (outvoted)"
		                                    : "reference quarantined (implausible)";
	default: return "reference readmitted";
	}
}

/* Events as marks on a strip under the plot: alarms red, quarantines orange, clearings grey. */
static void event_marks(FILE *f, const sim_world *w, double y0)
{
	const sim_trace *t = w->trace;
	double T = (double)w->sc->duration_ns, y = y0 + PH + 24;
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">events</text>\n", PL - 6, y + 4);
	for (size_t i = 0; i < t->n_ev; i++) {
		const sim_trace_event *e = &t->ev[i];
		const char *c = e->kind == SIM_TE_ALARM ? "#cf222e" : e->kind == SIM_TE_QUARANTINE ? "#bc4c00" : "#8c959f";
		double x = xpx((double)e->t_ns, T);
		fprintf(f, "<path class=\"event event-%s\" d=\"M%.1f %.0fl-5 -8h10z\" fill=\"%s\"><title>%.3f s: node %u: %s",
		        e->kind == SIM_TE_ALARM ? "alarm" : e->kind == SIM_TE_QUARANTINE ? "quarantine" : "clear", x, y + 4, c,
		        (double)e->t_ns / 1e9, e->node, event_name(e));
		if (e->kind == SIM_TE_QUARANTINE || e->kind == SIM_TE_READMIT)
			fprintf(f, " (its reference %u)", e->ref);
		fprintf(f, "</title></path>\n");
	}
}

static void hline(FILE *f, const scale *s, double v, const char *cls, const char *color, const char *label)
{
	if (v < s->lo || v > s->hi)
		return;
	double y = ypx(s, v);
	fprintf(f, "<line class=\"%s\" data-series=\"bound\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
	           "stroke-width=\"1.5\" stroke-dasharray=\"8 4\"/>\n",
	        cls, PL, PL + PW, y, y, color);
	fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">", PL + PW - 4, y - 4, color);
	esc(f, label);
	fprintf(f, "</text>\n");
}

static void panel_open(FILE *f, const char *id, const char *title, double *y0)
{
	*y0 = PT;
	fprintf(f, "<figure id=\"%s\"><figcaption>", id);
	esc(f, title);
	fprintf(f, "</figcaption>\n<svg viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\">\n"
	           "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fff\" stroke=\"#d0d7de\"/>\n",
	        PL + PW + 10, PT + PH + 44, PL, PT, PW, PH);
}

static void panel_close(FILE *f) { fprintf(f, "</svg></figure>\n"); }

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of the traced nodes' interval half-widths over the run (ns). */
static double median_halfwidth(const sim_world *w)
{
	const sim_trace *t = w->trace;
	size_t n = 0, cap = t->n_rows * t->n_traced;
	double *v = malloc((cap ? cap : 1) * sizeof *v);
	if (!v)
		return 1000;
	for (size_t i = 0; i < cap; i++)
		if (t->pts[i].synced)
			v[n++] = ((double)t->pts[i].hi_ns - (double)t->pts[i].lo_ns) / 2;
	double m = 1000;
	if (n) {
		qsort(v, n, sizeof *v, cmp_double); /* once per report */
		m = v[n / 2];
	}
	free(v);
	return m;
}

static void offsets_panel(FILE *f, const sim_world *w, const window *win, size_t nwin, bool symlog, double c)
{
	const sim_trace *t = w->trace;
	char b[32], lab[160];
	double y0;
	/* The range: every honest offset (min and max over all of them), and
	 * the accuracy bound when it is within ten times of that. */
	double amax = 1;
	for (size_t i = 0; i < w->m.n_rows; i++)
		if (w->m.rows[i].synced)
			amax = fmax(amax, fmax(fabs((double)w->m.rows[i].off_min_ns), fabs((double)w->m.rows[i].off_max_ns)));
	for (size_t i = 0; i < t->n_rows * t->n_traced; i++) /* the traced network clocks too */
		if (t->pts[i].net)
			amax = fmax(amax, fabs((double)t->pts[i].net_off_ns));
	double acc = (double)w->bound_accuracy_ns;
	bool acc_on = w->bound_accuracy_ns >= 0 && (symlog || acc <= 10 * amax);
	double r = fmax(amax, acc_on ? acc : 0) * 1.15;
	scale s = { .symlog = symlog, .lo = -r, .hi = r, .c = c, .y0 = PT };
	if (symlog)
		snprintf(lab, sizeof lab, "Honest nodes' offset to true time (estimate - true) and intervals; symmetric log, linear within +-%s",
		         fmt(b, sizeof b, c));
	else
		snprintf(lab, sizeof lab, "Honest nodes' offset to true time (estimate - true) and intervals; linear");
	panel_open(f, symlog ? "offsets-symlog" : "offsets", lab, &y0);
	fprintf(f, "<clipPath id=\"clip-%s\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></clipPath>\n",
	        symlog ? "s" : "l", PL, PT, PW, PH);
	shade_windows(f, w, win, nwin, y0);
	yaxis(f, &s);
	xaxis(f, (double)w->sc->duration_ns, y0);
	warmup_mark(f, w, y0);
	fprintf(f, "<g clip-path=\"url(#clip-%s)\">\n", symlog ? "s" : "l");
	band(f, w, false, g_min, g_max, 0, &s, "all-range", "#57606a", 0.12, "all");
	for (size_t k = 0; k < t->n_traced; k++) {
		char key[32];
		snprintf(key, sizeof key, "node %u", t->ids[k]);
		band(f, w, true, g_lo, g_hi, k, &s, "node-interval", COLORS[k], 0.07, key);
	}
	for (size_t k = 0; k < t->n_traced; k++) {
		char key[32];
		snprintf(key, sizeof key, "node %u", t->ids[k]);
		line(f, w, true, g_off, k, &s, "node-offset", COLORS[k], 1.2, NULL, key);
		if (any_net(w))
			line(f, w, true, g_net, k, &s, "node-netclock", COLORS[k], 1, "4 3", key);
	}
	fprintf(f, "</g>\n");
	if (acc_on) {
		snprintf(lab, sizeof lab, "accuracy bound +%s", fmt(b, sizeof b, acc));
		hline(f, &s, acc, "bound-line accuracy", "#cf222e", lab);
		snprintf(lab, sizeof lab, "accuracy bound -%s", fmt(b, sizeof b, acc));
		hline(f, &s, -acc, "bound-line accuracy", "#cf222e", lab);
	} else if (w->bound_accuracy_ns >= 0) {
		fprintf(f, "<text class=\"bound-off-scale\" x=\"%.0f\" y=\"%.0f\">accuracy bound +-%s: off this scale (see the symlog panel)</text>\n",
		        PL + 6, PT + 14, fmt(b, sizeof b, acc));
	}
	event_marks(f, w, y0);
	panel_close(f);
}

static void spread_panel(FILE *f, const sim_world *w, const window *win, size_t nwin)
{
	char b[32], lab[96];
	double y0, mx = 1;
	for (size_t i = 0; i < w->m.n_rows; i++)
		if (w->m.rows[i].synced > 1)
			mx = fmax(mx, (double)w->m.rows[i].off_max_ns - (double)w->m.rows[i].off_min_ns);
	bool net = any_net(w) && w->trace->n_traced == w->n_honest;
	for (size_t i = 0; net && i < w->trace->n_rows; i++) {
		double v;
		if (g_netspread(w, i, 0, &v))
			mx = fmax(mx, v);
	}
	double pb = (double)w->bound_precision_ns, nb = (double)w->m.net_bound_ns;
	bool pb_on = w->bound_precision_ns >= 0 && pb <= 10 * mx;
	bool nb_on = net && w->m.net_bound_ns > 0 && nb <= 10 * mx;
	if (nb_on)
		mx = fmax(mx, nb);
	scale s = { .lo = 0, .hi = fmax(mx, pb_on ? pb : 0) * 1.15, .c = 1, .y0 = PT };
	panel_open(f, "spread", net ? "Spread of the honest offsets (max - min): precision; dashed: of the network clocks; linear"
	                            : "Spread of the honest offsets (max - min): precision; linear", &y0);
	shade_windows(f, w, win, nwin, y0);
	yaxis(f, &s);
	xaxis(f, (double)w->sc->duration_ns, y0);
	warmup_mark(f, w, y0);
	line(f, w, false, g_spread, 0, &s, "spread-line", "#0550ae", 1.5, NULL, "spread");
	if (net)
		line(f, w, true, g_netspread, 0, &s, "netspread-line", "#57606a", 1.2, "4 3", "network clock spread");
	if (nb_on) {
		snprintf(lab, sizeof lab, "largest stated network precision bound %s", fmt(b, sizeof b, nb));
		hline(f, &s, nb, "bound-line netprecision", "#8250df", lab);
	}
	if (pb_on) {
		snprintf(lab, sizeof lab, "precision bound %s", fmt(b, sizeof b, pb));
		hline(f, &s, pb, "bound-line precision", "#8250df", lab);
	} else if (w->bound_precision_ns >= 0) {
		fprintf(f, "<text class=\"bound-off-scale\" x=\"%.0f\" y=\"%.0f\">precision bound %s: more than ten times the largest spread</text>\n",
		        PL + 6, PT + 14, fmt(b, sizeof b, pb));
	}
	event_marks(f, w, y0);
	panel_close(f);
}

static void width_panel(FILE *f, const sim_world *w, const window *win, size_t nwin)
{
	double y0, mx = 1;
	for (size_t i = 0; i < w->m.n_rows; i++)
		if (w->m.rows[i].synced)
			mx = fmax(mx, (double)w->m.rows[i].width_max_ns);
	scale s = { .lo = 0, .hi = mx * 1.1, .c = 1, .y0 = PT };
	panel_open(f, "widths", "Interval width of the honest nodes (mean, max); linear", &y0);
	shade_windows(f, w, win, nwin, y0);
	yaxis(f, &s);
	xaxis(f, (double)w->sc->duration_ns, y0);
	warmup_mark(f, w, y0);
	line(f, w, false, g_wmax, 0, &s, "width-max", "#bc4c00", 1.2, "4 3", "width max");
	line(f, w, false, g_wmean, 0, &s, "width-mean", "#116329", 1.5, NULL, "width mean");
	panel_close(f);
}

static void legend(FILE *f, const sim_world *w, size_t nwin)
{
	const sim_trace *t = w->trace;
	fprintf(f, "<div class=\"legend\" id=\"legend\">\n");
	for (size_t k = 0; k < t->n_traced; k++)
		fprintf(f, "<span data-series=\"node %u\"><i style=\"background:%s\"></i>node %u</span>\n", t->ids[k],
		        COLORS[k], t->ids[k]);
	fprintf(f, "<span data-series=\"all\"><i class=\"band\" style=\"background:#57606a\"></i>all %zu honest nodes: least to greatest offset</span>\n",
	        w->n_honest);
	fprintf(f, "<span data-series=\"interval\"><i class=\"band\" style=\"background:#0550ae\"></i>a node's interval (its color, faint)</span>\n");
	fprintf(f, "<span data-series=\"bound\"><i class=\"dash\" style=\"--c:#cf222e\"></i>accuracy bound (+-) / <i class=\"dash\" style=\"--c:#8250df\"></i>precision bound</span>\n");
	if (any_net(w))
		fprintf(f, "<span data-series=\"netclock\"><i class=\"dash\" style=\"--c:#57606a\"></i>a node's network clock while it has no interval (internal synchronization)</span>\n");
	if (nwin)
		fprintf(f, "<span data-series=\"attack\"><i class=\"band\" style=\"background:#cf222e\"></i>attack or fault window</span>\n");
	fprintf(f, "<span data-series=\"events\"><b style=\"color:#cf222e\">&#9660;</b> alarm <b style=\"color:#bc4c00\">&#9660;</b> quarantine "
	           "<b style=\"color:#8c959f\">&#9660;</b> cleared / readmitted</span>\n");
	fprintf(f, "</div>\n");
	if (w->n_honest > t->n_traced)
		fprintf(f, "<p class=\"note\">%zu of the %zu honest nodes are drawn one by one (spread evenly over the "
		           "honest ids); the grey band covers all of them.</p>\n",
		        t->n_traced, w->n_honest);
}

static void row(FILE *f, const char *k, const char *v)
{
	fprintf(f, "<tr><th>");
	esc(f, k);
	fprintf(f, "</th><td>");
	esc(f, v);
	fprintf(f, "</td></tr>\n");
}

int sim_report_html(const char *path, const sim_world *w, const sim_result *r)
{
	if (!w->trace)
		return -1;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	const sim_scenario *s = w->sc;
	const sim_metrics *m = &w->m;
	char a[64], b[64], c3[64], v[256];
	fprintf(f, "<!doctype html>\n<!-- written by bftime-sim --html: self-contained, deterministic -->\n"
	           "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>bftime-sim: ");
	esc(f, s->name);
	fprintf(f, "</title>\n<style>\n"
	           "body{font:14px/1.4 system-ui,sans-serif;color:#1f2328;margin:16px 24px;max-width:1200px}\n"
	           "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}\n"
	           "#verdict{font-size:16px;font-weight:bold;padding:6px 10px;border-radius:6px;display:inline-block}\n"
	           "#verdict.pass{background:#dafbe1;color:#116329}#verdict.fail{background:#ffebe9;color:#cf222e}\n"
	           "table{border-collapse:collapse}th,td{text-align:left;padding:2px 10px 2px 0;vertical-align:top}"
	           "th{color:#57606a;font-weight:normal}td{font-variant-numeric:tabular-nums}\n"
	           ".cols{display:flex;gap:40px;flex-wrap:wrap}\n"
	           "figure{margin:10px 0 18px}figcaption{font-weight:bold;margin-bottom:2px}\n"
	           "svg text{font:11px system-ui,sans-serif;fill:#1f2328}svg .grid{stroke:#d0d7de;stroke-dasharray:2 3}\n"
	           ".attack-window{fill:#cf222e;fill-opacity:.08}\n"
	           ".legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;margin:6px 0}\n"
	           ".legend i{display:inline-block;width:16px;height:3px;margin-right:4px;vertical-align:middle}\n"
	           ".legend i.band{height:10px;opacity:.35}.legend i.dash{background:repeating-linear-gradient(90deg,var(--c) 0 4px,transparent 4px 7px)}\n"
	           ".note{color:#57606a;font-size:12px}\n"
	           "</style></head>\n<body data-ready=\"1\">\n<h1>bftime-sim: ");
	esc(f, s->name);
	fprintf(f, "</h1>\n<p class=\"note\">");
	esc(f, s->path);
	if (s->description) {
		fprintf(f, ": ");
		esc(f, s->description);
	}
	fprintf(f, "</p>\n<div id=\"verdict\" class=\"%s\">%s</div>\n", r->n_violations ? "fail" : "pass",
	        r->n_violations ? "FAIL: a promised guarantee was violated" : "PASS: every promised guarantee held");
	if (r->n_violations || r->n_expected_violations) {
		fprintf(f, "<ul id=\"violations\">\n");
		for (size_t i = 0; i < r->n_violations; i++) {
			fprintf(f, "<li>");
			esc(f, r->violations[i]);
			fprintf(f, "</li>\n");
		}
		if (r->n_expected_violations)
			fprintf(f, "<li>%zu expected violation(s) occurred (a self-check)</li>\n", r->n_expected_violations);
		fprintf(f, "</ul>\n");
	}

	/* Parameters and results side by side. */
	fprintf(f, "<div class=\"cols\"><div><h2>Parameters</h2><table id=\"params\">\n");
	snprintf(v, sizeof v, "%zu nodes, %zu honest", w->n, w->n_honest);
	row(f, "nodes", v);
	snprintf(v, sizeof v, "%s, f = %zu, poll %s", sim_engine_name(s), s->f, fmt(a, sizeof a, (double)s->poll_ns));
	row(f, "engine", v);
	snprintf(v, sizeof v, "%zu..%zu per node%s", w->peers_min, w->peers_max, s->peers ? "" : " (full mesh)");
	row(f, "peers", v);
	snprintf(v, sizeof v, "up to %zu per node", w->refs_max);
	row(f, "references", v);
	snprintf(v, sizeof v, "%s (warmup %s), sampled every %s", fmt(a, sizeof a, (double)s->duration_ns),
	         fmt(b, sizeof b, (double)s->warmup_ns), fmt(c3, sizeof c3, (double)s->sample_ns));
	row(f, "duration", v);
	snprintf(v, sizeof v, "delay %s, jitter %s, loss %.3g", fmt(a, sizeof a, (double)s->net_delay_ns),
	         fmt(b, sizeof b, (double)s->net_jitter_ns), s->net_loss);
	row(f, "network", v);
	snprintf(v, sizeof v, "%llu, crypto %s", (unsigned long long)s->seed, w->signer.name);
	row(f, "seed", v);
	/* The adversaries, by node id. */
	for (size_t i = 0; i < s->n_advs; i++) {
		size_t len = (size_t)snprintf(v, sizeof v, "%s from %s: nodes", bft_adv_name(s->advs[i].lie.strategy),
		                              fmt(a, sizeof a, (double)s->advs[i].lie.from_ns));
		size_t shown = 0;
		for (size_t id = 0; id < w->n && len < sizeof v - 16; id++)
			if (w->nodes[id].adv == (int16_t)i) {
				if (shown++ < 24)
					len += (size_t)snprintf(v + len, sizeof v - len, " %zu", id);
			}
		if (shown > 24 && len < sizeof v - 16)
			snprintf(v + len, sizeof v - len, " ... (%zu)", shown);
		row(f, "adversary", v);
	}
	fprintf(f, "</table></div>\n<div><h2>Measured</h2><table id=\"results\">\n");
	snprintf(v, sizeof v, "%s (bound %s)", fmt(a, sizeof a, (double)m->precision_ns),
	         w->bound_precision_ns >= 0 ? fmt(b, sizeof b, (double)w->bound_precision_ns) : "none");
	row(f, "precision (largest spread)", v);
	snprintf(v, sizeof v, "%s (bound %s)", fmt(a, sizeof a, (double)m->accuracy_ns),
	         w->bound_accuracy_ns >= 0 ? fmt(b, sizeof b, (double)w->bound_accuracy_ns) : "none");
	row(f, "accuracy (worst error)", v);
	row(f, "RMS error", fmt(a, sizeof a, r->rms_error_ns));
	snprintf(v, sizeof v, "%.6f of %llu samples", r->containment, (unsigned long long)m->samples);
	row(f, "containment", v);
	snprintf(v, sizeof v, "mean %s, max %s", fmt(a, sizeof a, r->mean_width_ns), fmt(b, sizeof b, (double)m->max_width_ns));
	row(f, "interval width", v);
	if (r->convergence_s >= 0)
		snprintf(v, sizeof v, "%.1f s", r->convergence_s);
	else
		snprintf(v, sizeof v, "never");
	row(f, "convergence", v);
	snprintf(v, sizeof v, "%s (%u honest nodes)", r->alarm ? "raised" : "no", m->alarm_nodes);
	row(f, "alarm", v);
	snprintf(v, sizeof v, "quarantined %llu times, readmitted %llu", (unsigned long long)w->ctr.ref_quarantines,
	         (unsigned long long)w->ctr.ref_readmissions);
	row(f, "references", v);
	snprintf(v, sizeof v, "%llu", (unsigned long long)w->adv_lies_total);
	row(f, "lies sent", v);
	fprintf(f, "</table></div></div>\n");

	window win[64];
	size_t nwin = windows(w, win, 64);
	fprintf(f, "<h2>Over the run</h2>\n");
	legend(f, w, nwin);
	/* C: the median half-width rounded down to 1, 2 or 5 times a power of ten. */
	double c = fmax(median_halfwidth(w), 1000), p10 = pow(10, floor(log10(c)));
	c = c >= 5 * p10 ? 5 * p10 : c >= 2 * p10 ? 2 * p10 : p10;
	offsets_panel(f, w, win, nwin, false, c);
	offsets_panel(f, w, win, nwin, true, c);
	spread_panel(f, w, win, nwin);
	width_panel(f, w, win, nwin);

	fprintf(f, "<h2>Attacks and faults</h2>\n");
	if (!nwin)
		fprintf(f, "<p>none scheduled</p>\n");
	else {
		fprintf(f, "<table id=\"attacks\">\n");
		for (size_t k = 0; k < nwin; k++) {
			snprintf(v, sizeof v, "%.3f s to %.3f s", (double)win[k].from_ns / 1e9, (double)win[k].to_ns / 1e9);
			row(f, win[k].what, v);
		}
		fprintf(f, "</table>\n");
	}
	const sim_trace *t = w->trace;
	fprintf(f, "<h2>Events</h2>\n");
	if (!t->n_ev)
		fprintf(f, "<p>no alarm, no quarantine</p>\n");
	else {
		fprintf(f, "<table id=\"events\">\n");
		size_t shown = t->n_ev < 200 ? t->n_ev : 200;
		for (size_t i = 0; i < shown; i++) {
			const sim_trace_event *e = &t->ev[i];
			snprintf(a, sizeof a, "%.3f s", (double)e->t_ns / 1e9);
			if (e->kind == SIM_TE_QUARANTINE || e->kind == SIM_TE_READMIT)
				snprintf(v, sizeof v, "node %u: %s (its reference %u)", e->node, event_name(e), e->ref);
			else
				snprintf(v, sizeof v, "node %u: %s", e->node, event_name(e));
			row(f, a, v);
		}
		fprintf(f, "</table>\n");
		if (t->n_ev > shown || t->ev_dropped)
			fprintf(f, "<p class=\"note\">%llu more events not listed.</p>\n",
			        (unsigned long long)(t->n_ev - shown + t->ev_dropped));
	}
	fprintf(f, "</body></html>\n");
	return fclose(f) == 0 ? 0 : -1;
}
