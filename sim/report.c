/* SPDX-License-Identifier: MIT */
/*
 * Reports. The verdict: a scenario states what it promises in `expect:`;
 * anything it does not state is measured but not judged (median-engine
 * attack scenarios are measurements of a weakness, not tests). The SVG is
 * written by hand: two panels (offset band min/median/max, interval width
 * mean/max) on a symmetric-log scale, since errors span ns to seconds.
 */
#include "sim/report.h"
#include "sim/solar.h"

#include <math.h>
#include <string.h>

static void violate(sim_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void violate(sim_result *r, const char *fmt, ...)
{
	if (r->n_violations >= SIM_MAX_VIOLATIONS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->violations[r->n_violations++], sizeof r->violations[0], fmt, ap);
	va_end(ap);
}

void sim_report_evaluate(const sim_world *w, sim_result *r)
{
	const sim_metrics *m = &w->m;
	const sim_expect *e = &w->sc->expect;
	memset(r, 0, sizeof *r);
	r->containment = m->samples ? (double)m->contained / (double)m->samples : 0.0;
	r->mean_width_ns = m->post_samples ? m->sum_width / (double)m->post_samples : 0;
	r->rms_error_ns = m->post_samples ? sqrt(m->sum_sq_err / (double)m->post_samples) : 0;
	if (!m->ever_good || (m->last_bad_ns >= 0 && m->n_rows && m->last_bad_ns == m->rows[m->n_rows - 1].t_ns))
		r->convergence_s = -1;
	else
		r->convergence_s = m->last_bad_ns < 0 ? 0 : (double)(m->last_bad_ns + w->sc->sample_ns) / 1e9;
	r->alarm = m->alarm_nodes > 0;

	/* A guarantee about synchronized nodes means nothing if they never were:
	 * an empty run, or an honest node left unsynchronized after warmup, fails
	 * every scenario that promises containment, accuracy or precision. */
	bool promises = e->has_containment || e->precision_within_bound || e->accuracy_within_bound ||
	                e->max_worst_error_ns > 0 || e->max_precision_ns > 0 || e->max_clock_error_ns > 0;
	if (promises && !e->unsynced_ok) {
		if (!m->samples)
			violate(r, "no honest node was ever synchronized (no samples: containment is vacuous)");
		else if (!m->post_samples)
			violate(r, "no honest node was synchronized after warmup (no samples to judge)");
		if (m->unsynced_post)
			violate(r, "%llu honest samples unsynchronized after warmup (first: node %u at %.3f s)",
			        (unsigned long long)m->unsynced_post, m->first_unsynced_node,
			        (double)m->first_unsynced_t_ns / 1e9);
	}
	/* An attack that never happened proves nothing. */
	for (size_t i = 0; i < w->sc->n_advs; i++) {
		const sim_adversary *a = &w->sc->advs[i];
		if (!a->nodes.n_ids)
			violate(r, "adversary at line %u has no nodes", a->line);
		else if (a->lie.strategy != BFT_ADV_CRASH && !w->adv_lies[i])
			violate(r, "adversary at line %u (%s) never lied (%llu messages sent after its start)", a->line,
			        bft_adv_name(a->lie.strategy), (unsigned long long)w->adv_sent[i]);
	}
	if (w->adv_errors)
		violate(r, "%llu adversary messages could not be rewritten (sent unchanged)",
		        (unsigned long long)w->adv_errors);
	if (e->min_alarm_fraction > 0 && w->n_honest &&
	    (double)m->alarm_nodes < e->min_alarm_fraction * (double)w->n_honest)
		violate(r, "%u of %zu honest nodes alarmed, expected at least %.0f%%", m->alarm_nodes, w->n_honest,
		        e->min_alarm_fraction * 100);
	if (e->min_quarantines && w->ctr.ref_quarantines < e->min_quarantines)
		violate(r, "references quarantined %llu times, expected at least %llu",
		        (unsigned long long)w->ctr.ref_quarantines, (unsigned long long)e->min_quarantines);
	if (e->min_readmissions && w->ctr.ref_readmissions < e->min_readmissions)
		violate(r, "references readmitted %llu times, expected at least %llu",
		        (unsigned long long)w->ctr.ref_readmissions, (unsigned long long)e->min_readmissions);
	if (e->max_clock_error_ns > 0 && m->clock_error_ns > e->max_clock_error_ns)
		violate(r, "clock error %lld ns > expected %lld ns", (long long)m->clock_error_ns,
		        (long long)e->max_clock_error_ns);
	if (e->has_containment && !m->samples && e->unsynced_ok)
		violate(r, "containment expected but no honest sample was synchronized");
	else if (e->has_containment && m->samples && r->containment < e->containment)
		violate(r, "containment %.6f < %.6f (first miss: node %u at %.3f s)", r->containment, e->containment,
		        m->first_miss_node, (double)m->first_miss_t_ns / 1e9);
	if (e->alarm >= 0 && r->alarm != (e->alarm == 1))
		violate(r, "alarm %s, expected %s (%u honest nodes alarmed)", r->alarm ? "raised" : "not raised",
		        e->alarm ? "raised" : "not raised", m->alarm_nodes);
	if (e->precision_within_bound) {
		if (w->bound_precision_ns < 0)
			violate(r, "precision_within_bound expected but no precision bound applies");
		else if (m->precision_ns > w->bound_precision_ns)
			violate(r, "precision %lld ns > bound %lld ns", (long long)m->precision_ns,
			        (long long)w->bound_precision_ns);
	}
	if (e->accuracy_within_bound) {
		if (w->bound_accuracy_ns < 0)
			violate(r, "accuracy_within_bound expected but no accuracy bound applies");
		else if (m->accuracy_ns > w->bound_accuracy_ns)
			violate(r, "accuracy %lld ns > bound %lld ns", (long long)m->accuracy_ns,
			        (long long)w->bound_accuracy_ns);
	}
	if (e->max_worst_error_ns > 0 && m->accuracy_ns > e->max_worst_error_ns)
		violate(r, "worst error %lld ns > expected %lld ns", (long long)m->accuracy_ns,
		        (long long)e->max_worst_error_ns);
	if (e->max_precision_ns > 0 && m->precision_ns > e->max_precision_ns)
		violate(r, "precision %lld ns > expected %lld ns", (long long)m->precision_ns,
		        (long long)e->max_precision_ns);
	/* The network clock (docs/internal-sync.md). */
	if (e->net_precision_within_bound) {
		if (!m->net_rows_all)
			violate(r, "net_precision_within_bound expected but no sample had every honest clock running");
		else if (m->net_worst_excess_ns > 0)
			violate(r, "network spread exceeded the stated precision bound by up to %lld ns (largest spread %lld ns)",
			        (long long)m->net_worst_excess_ns, (long long)m->net_precision_ns);
	}
	if (e->max_net_precision_ns > 0 && m->net_precision_ns > e->max_net_precision_ns)
		violate(r, "network spread %lld ns > expected %lld ns", (long long)m->net_precision_ns,
		        (long long)e->max_net_precision_ns);
	if (e->min_agreed_fraction > 0) {
		if (sim_report_agreed_fraction(w) < e->min_agreed_fraction)
			violate(r, "%.4f of honest samples after warmup agreed or synchronized, expected at least %.4f",
			        sim_report_agreed_fraction(w), e->min_agreed_fraction);
	}
	/* Poisson mining (docs/nakamoto.md): the finds drawn against the count
	 * the configured rate gives over the run (a Poisson count: standard
	 * deviation the square root of its mean), and per block interval. */
	if (e->find_sigmas > 0 || e->find_rate[1] > 0) {
		sim_chain_summary cs;
		sim_world_chain_summary(w, &cs);
		double secs = (double)w->sc->duration_ns / 1e9, iv = (double)w->sc->nk.interval_ns / 1e9;
		double per = secs > 0 && iv > 0 ? (double)cs.finds / (secs / iv) : 0;
		if (!cs.on || !cs.poisson)
			violate(r, "find_sigmas and find_rate need engine nakamoto with mining: poisson");
		else if (e->find_sigmas > 0 &&
		         fabs((double)cs.finds - cs.finds_expected) > e->find_sigmas * sqrt(cs.finds_expected) + 1)
			violate(r, "Poisson finds %llu, expected %.1f +- %.1f (%.1f standard deviations)",
			        (unsigned long long)cs.finds, cs.finds_expected, e->find_sigmas * sqrt(cs.finds_expected),
			        e->find_sigmas);
		else if (e->find_rate[1] > 0 && (per < e->find_rate[0] || per > e->find_rate[1]))
			violate(r, "Poisson finds per block interval %.3f outside [%.3f, %.3f]", per, e->find_rate[0],
			        e->find_rate[1]);
		if (cs.on && cs.poisson && cs.finds_failed)
			violate(r, "%llu Poisson finds made no block (nonce search or the node refused it)",
			        (unsigned long long)cs.finds_failed);
	}
	if (e->max_tips > 0 || e->max_stale >= 0 || e->medians > 0 || e->max_lies_in_best >= 0 || e->min_statements > 0) {
		sim_chain_summary cs;
		sim_world_chain_summary(w, &cs);
		if (!cs.on)
			violate(r, "max_tips, max_stale, medians, min_statements and max_lies_in_best need engine nakamoto");
		if (cs.on && e->max_tips > 0 && cs.tips > e->max_tips)
			violate(r, "%zu best tips among honest nodes at the end, expected at most %llu", cs.tips,
			        (unsigned long long)e->max_tips);
		if (cs.on && e->medians > 0 && cs.medians_min < e->medians)
			violate(r, "an honest node ends with a chain consensus for %zu references, expected at least %llu",
			        cs.medians_min, (unsigned long long)e->medians);
		if (cs.on && e->min_statements > 0 && cs.median_stmts < e->min_statements)
			violate(r, "the honest nodes' chain consensus holds %.1f statements on average, expected at least %.1f",
			        cs.median_stmts, e->min_statements);
		if (cs.on && e->max_lies_in_best >= 0 && cs.lies_in_best > (uint64_t)e->max_lies_in_best)
			violate(r, "%llu lying statements in an honest node's best chain, expected at most %lld",
			        (unsigned long long)cs.lies_in_best, (long long)e->max_lies_in_best);
		if (cs.on && e->max_stale >= 0 && cs.stale_rate > e->max_stale)
			violate(r, "stale rate %.4f, expected at most %.4f", cs.stale_rate, e->max_stale);
	}
	/* Self-checks: a scenario may state violations it must produce (a
	 * simulator test); those are then expected, and their absence fails. */
	bool matched[SIM_MAX_VIOLATIONS] = { false };
	size_t missing = 0;
	for (size_t k = 0; k < e->n_must_violate; k++) {
		bool any = false;
		for (size_t j = 0; j < r->n_violations; j++)
			if (strstr(r->violations[j], e->must_violate[k]))
				any = matched[j] = true;
		if (!any)
			missing |= (size_t)1 << (k < 63 ? k : 63);
	}
	size_t kept = 0;
	for (size_t j = 0; j < r->n_violations; j++) {
		if (matched[j]) {
			r->n_expected_violations++;
			continue;
		}
		if (kept != j)
			memcpy(r->violations[kept], r->violations[j], sizeof r->violations[0]);
		kept++;
	}
	r->n_violations = kept;
	for (size_t k = 0; k < e->n_must_violate; k++)
		if (missing & ((size_t)1 << (k < 63 ? k : 63)))
			violate(r, "expected violation '%.100s' did not occur", e->must_violate[k]);
}

void sim_report_set_honest(sim_result *r, const sim_world *h)
{
	r->has_honest = true;
	r->honest_worst_ns = h->m.accuracy_ns;
	r->honest_rms_ns = h->m.post_samples ? sqrt(h->m.sum_sq_err / (double)h->m.post_samples) : 0;
}

/* Human-readable duration. */
static const char *fmt_ns(char *buf, size_t len, double ns)
{
	double a = fabs(ns);
	if (ns < 0 && a == 1)
		snprintf(buf, len, "-");
	else if (a < 1e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (a < 1e6)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else if (a < 1e9)
		snprintf(buf, len, "%.3f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3f s", ns / 1e9);
	return buf;
}

double sim_report_sys_rms(const sim_metrics *m)
{
	return m->sys_samples ? sqrt(m->sys_sum_sq / (double)m->sys_samples) : 0;
}

static bool any_wire(const sim_scenario *s)
{
	for (size_t i = 0; i < s->n_refs; i++)
		if (s->refs[i].wire)
			return true;
	return false;
}

void sim_report_summary(FILE *out, const sim_world *w, const sim_result *r)
{
	const sim_scenario *s = w->sc;
	const sim_metrics *m = &w->m;
	char a[32], b[32];
	fprintf(out, "scenario   %s (%s)\n", s->name, s->path);
	if (s->description)
		fprintf(out, "           %s\n", s->description);
	fprintf(out, "engine     %s, f = %zu, poll %.0f s, crypto %s, seed %llu\n", sim_engine_name(s), s->f,
	        (double)s->poll_ns / 1e9, w->signer.name, (unsigned long long)s->seed);
	fprintf(out, "world      %zu nodes (%zu honest), peers %zu..%zu, refs up to %zu, %.0f s (warmup %.0f s)\n", w->n,
	        w->n_honest, w->peers_min, w->peers_max, w->refs_max, (double)s->duration_ns / 1e9,
	        (double)s->warmup_ns / 1e9);
	fprintf(out, "\n  %-22s %16s %16s\n", "metric", "measured", "bound");
	fprintf(out, "  %-22s %16s %16s\n", "precision", fmt_ns(a, sizeof a, (double)m->precision_ns),
	        fmt_ns(b, sizeof b, (double)w->bound_precision_ns));
	fprintf(out, "  %-22s %16s %16s\n", "accuracy (worst error)", fmt_ns(a, sizeof a, (double)m->accuracy_ns),
	        fmt_ns(b, sizeof b, (double)w->bound_accuracy_ns));
	fprintf(out, "  %-22s %16s\n", "rms error", fmt_ns(a, sizeof a, r->rms_error_ns));
	fprintf(out, "  %-22s %16s %16s\n", "clock error (time_ns)", fmt_ns(a, sizeof a, (double)m->clock_error_ns),
	        s->expect.max_clock_error_ns > 0 ? fmt_ns(b, sizeof b, (double)s->expect.max_clock_error_ns) : "");
	if (s->sys.on) {
		fprintf(out, "  %-22s %16s\n", "system clock worst", fmt_ns(a, sizeof a, (double)m->sys_worst_ns));
		fprintf(out, "  %-22s %16s\n", "system clock rms", fmt_ns(a, sizeof a, sim_report_sys_rms(m)));
	}
	if (r->has_honest) {
		fprintf(out, "  %-22s %16s\n", "honest worst error", fmt_ns(a, sizeof a, (double)r->honest_worst_ns));
		fprintf(out, "  %-22s %16s\n", "honest rms error", fmt_ns(a, sizeof a, r->honest_rms_ns));
		fprintf(out, "  %-22s %16.2f\n", "attack/honest worst",
		        r->honest_worst_ns ? (double)m->accuracy_ns / (double)r->honest_worst_ns : 0.0);
	}
	fprintf(out, "  %-22s %16.6f %16s\n", "containment", r->containment,
	        s->expect.has_containment ? "expected" : "");
	fprintf(out, "  %-22s %16s\n", "mean width", fmt_ns(a, sizeof a, r->mean_width_ns));
	fprintf(out, "  %-22s %16s\n", "max width", fmt_ns(a, sizeof a, (double)m->max_width_ns));
	if (r->convergence_s >= 0)
		fprintf(out, "  %-22s %14.1f s\n", "convergence", r->convergence_s);
	else
		fprintf(out, "  %-22s %16s\n", "convergence", "never");
	fprintf(out, "  %-22s %16s %16s\n", "alarm", r->alarm ? "raised" : "no",
	        s->expect.alarm < 0 ? "" : s->expect.alarm ? "expected" : "not expected");
	fprintf(out, "  %-22s %16u\n", "honest nodes alarmed", m->alarm_nodes);
	fprintf(out, "\n  packets: sent %llu, lost %llu, partitioned %llu, replayed %llu, mitm %llu; "
	             "honest rx %llu (bad %llu, bad sig %llu, replay %llu, unknown %llu), rejected readings %llu\n",
	        (unsigned long long)w->net.sent, (unsigned long long)w->net.lost, (unsigned long long)w->net.partitioned,
	        (unsigned long long)w->net.replayed, (unsigned long long)w->net.mitm_delayed,
	        (unsigned long long)w->ctr.rx, (unsigned long long)w->ctr.rx_bad, (unsigned long long)w->ctr.rx_bad_sig,
	        (unsigned long long)w->ctr.rx_replay, (unsigned long long)w->ctr.rx_unknown_peer,
	        (unsigned long long)w->ctr.readings_rejected);
	sim_chain_summary cs;
	sim_world_chain_summary(w, &cs);
	if (cs.on) {
		fprintf(out, "  chain: height %llu..%llu, %zu tip(s); mined %llu (Byzantine %llu); stale %.1f%%; reorgs %llu "
		             "(deepest %llu); headers taken %llu (joined below the tree %llu); honest alarmed %zu (fusions refused %llu); steered fusions %llu; statements per median %.1f; "
		             "%.0f B/s per node\n",
		        (unsigned long long)cs.height_min, (unsigned long long)cs.height_max, cs.tips,
		        (unsigned long long)cs.mined, (unsigned long long)cs.mined_byz, 100 * cs.stale_rate,
		        (unsigned long long)cs.reorgs, (unsigned long long)cs.max_reorg_depth,
		        (unsigned long long)cs.headers, (unsigned long long)cs.reseated, cs.alarmed, (unsigned long long)cs.alarm_fusions,
		        (unsigned long long)cs.steered, cs.median_stmts, cs.bytes_per_node_s);
		fprintf(out, "  chain medians at the end (honest nodes with one, mean statements):");
		for (int q = 1; q < SIM_CREF_KINDS; q++)
			if (cs.by_kind[q].nodes)
				fprintf(out, " %s %zu, %.1f;", bft_cref_kind_name((uint8_t)q), cs.by_kind[q].nodes,
				        cs.by_kind[q].stmts / (double)cs.by_kind[q].nodes);
		fprintf(out, "\n");
		fprintf(out, "  chain quality: %llu of %llu best-chain blocks Byzantine, %llu lying statements (most in an honest "
		             "chain), %llu blocks dropped on settling; difficulty genesis %llu, along the best "
		             "chain %llu..%llu, tips %llu..%llu; median time past %.1f s behind\n",
		        (unsigned long long)cs.byz_in_best, (unsigned long long)cs.best_held,
		        (unsigned long long)cs.lies_in_best, (unsigned long long)cs.rechecked_out,
		        (unsigned long long)cs.difficulty_genesis, (unsigned long long)cs.best_difficulty[0],
		        (unsigned long long)cs.best_difficulty[1], (unsigned long long)cs.difficulty_min,
		        (unsigned long long)cs.difficulty_max, (double)cs.mtp_lag_ns / 1e9);
		if (cs.poisson)
			fprintf(out, "  poisson mining: %llu finds (%llu while the node did not mine, %llu made no block) against "
			             "%.1f expected at the configured rate; %llu nonces hashed\n",
			        (unsigned long long)cs.finds, (unsigned long long)cs.finds_idle,
			        (unsigned long long)cs.finds_failed, cs.finds_expected, (unsigned long long)cs.find_hashes);
		fprintf(out, "  chain refusals (honest nodes):");
		for (int q = 1; q < BFT_NK_NREASONS; q++)
			if (cs.rejected[q])
				fprintf(out, " %s %llu", bft_nk_reason_key(-q), (unsigned long long)cs.rejected[q]);
		fprintf(out, "\n");
	}
	if (any_wire(s))
		fprintf(out, "  ntp: replies %llu (t3 < t2 in %llu), refused %llu, lost %llu\n",
		        (unsigned long long)w->ntp_replies, (unsigned long long)w->ntp_t3_before_t2,
		        (unsigned long long)w->ntp_rejected, (unsigned long long)w->ntp_lost);
	if (w->solar)
		sim_solar_report(w->solar, out);
	if (s->sys.on)
		fprintf(out, "  system clock: %llu rate updates, %llu steps\n", (unsigned long long)w->sys_updates,
		        (unsigned long long)w->sys_steps);
	if (m->net_samples && (m->net_samples > m->post_samples || m->net_bound_ns > 0)) {
		char x[32], y[32], z[32];
		fprintf(out, "  network clock: spread %s (stated bound %s, hard %s), agreed %.4f, within 1 ms %.4f, 10 ms %.4f; "
		             "agreement rounds %llu, short %llu, violations %llu, steps %llu\n",
		        fmt_ns(x, sizeof x, (double)m->net_precision_ns), fmt_ns(y, sizeof y, (double)m->net_bound_ns),
		        fmt_ns(z, sizeof z, (double)m->net_bound_hard_ns), sim_report_agreed_fraction(w),
		        m->net_rows ? (double)m->net_rows_1ms / (double)m->net_rows : 0,
		        m->net_rows ? (double)m->net_rows_10ms / (double)m->net_rows : 0,
		        (unsigned long long)w->ctr.agree_rounds, (unsigned long long)w->ctr.agree_short,
		        (unsigned long long)w->ctr.agree_violations, (unsigned long long)w->ctr.agree_steps);
	}
	if (w->ctr.ref_quarantines || w->sc->n_gps_lies)
		fprintf(out, "  references: quarantined %llu times, readmitted %llu, readings held out %llu\n",
		        (unsigned long long)w->ctr.ref_quarantines, (unsigned long long)w->ctr.ref_readmissions,
		        (unsigned long long)w->ctr.ref_readings_quarantined);
	if (s->n_advs) {
		fprintf(out, "  adversaries:");
		for (size_t i = 0; i < s->n_advs; i++)
			fprintf(out, "%s %s x%zu from %.0f s: %llu lies in %llu messages", i ? ";" : "",
			        bft_adv_name(s->advs[i].lie.strategy), s->advs[i].nodes.n_ids,
			        (double)s->advs[i].lie.from_ns / 1e9, (unsigned long long)w->adv_lies[i],
			        (unsigned long long)w->adv_sent[i]);
		fprintf(out, "; rewrite errors %llu\n", (unsigned long long)w->adv_errors);
	}
	if (m->unsynced_post)
		fprintf(out, "  unsynchronized honest samples after warmup: %llu\n", (unsigned long long)m->unsynced_post);
	fprintf(out, "\n  verdict: %s\n", r->n_violations ? "VIOLATED" : "ok");
	if (r->n_expected_violations)
		fprintf(out, "    (%zu expected violations occurred: a self-check)\n", r->n_expected_violations);
	for (size_t i = 0; i < r->n_violations; i++)
		fprintf(out, "    - %s\n", r->violations[i]);
}

double sim_report_agreed_fraction(const sim_world *w)
{
	uint64_t all = w->m.net_considered; /* net_rows * n_honest, less the samples cut off by a partition */
	return all ? (double)w->m.net_agreed / (double)all : 0;
}

void sim_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void sim_report_json(FILE *out, const sim_world *w, const sim_result *r)
{
	const sim_scenario *s = w->sc;
	const sim_metrics *m = &w->m;
	fprintf(out, "{\"scenario\":");
	sim_json_str(out, s->name);
	fprintf(out, ",\"engine\":\"%s\",\"crypto\":\"%s\",\"seed\":%llu,\"nodes\":%zu,\"honest\":%zu,\"f\":%zu,",
	        sim_engine_name(s), w->signer.name, (unsigned long long)s->seed, w->n, w->n_honest, s->f);
	fprintf(out, "\"duration_s\":%.3f,\"warmup_s\":%.3f,", (double)s->duration_ns / 1e9, (double)s->warmup_ns / 1e9);
	fprintf(out, "\"precision_ns\":%lld,\"accuracy_ns\":%lld,\"worst_error_ns\":%lld,\"rms_error_ns\":%.0f,",
	        (long long)m->precision_ns, (long long)m->accuracy_ns, (long long)m->accuracy_ns, r->rms_error_ns);
	fprintf(out, "\"containment\":%.6f,\"samples\":%llu,\"contained\":%llu,", r->containment,
	        (unsigned long long)m->samples, (unsigned long long)m->contained);
	fprintf(out, "\"mean_width_ns\":%.0f,\"max_width_ns\":%lld,\"convergence_s\":%.3f,", r->mean_width_ns,
	        (long long)m->max_width_ns, r->convergence_s);
	fprintf(out, "\"bound_precision_ns\":%lld,\"bound_accuracy_ns\":%lld,", (long long)w->bound_precision_ns,
	        (long long)w->bound_accuracy_ns);
	fprintf(out, "\"alarm\":%s,\"alarm_nodes\":%u,\"alarm_samples\":%llu,\"all_synced_after_warmup\":%s,",
	        r->alarm ? "true" : "false", m->alarm_nodes, (unsigned long long)m->alarm_samples,
	        m->all_synced_after_warmup ? "true" : "false");
	fprintf(out, "\"violated\":%s,\"violations\":[", r->n_violations ? "true" : "false");
	for (size_t i = 0; i < r->n_violations; i++) {
		if (i)
			fputc(',', out);
		sim_json_str(out, r->violations[i]);
	}
	const bft_node_counters *c = &w->ctr;
	fprintf(out, "],\"counters\":{\"rx\":%llu,\"rx_bad\":%llu,\"rx_bad_sig\":%llu,\"rx_unknown_peer\":%llu,"
	             "\"rx_replay\":%llu,\"rx_not_for_us\":%llu,\"tx\":%llu,\"exchanges\":%llu,"
	             "\"readings_rejected\":%llu,\"alarms\":%llu,\"fusions\":%llu,\"ref_quarantines\":%llu,"
	             "\"ref_readmissions\":%llu,\"ref_readings_quarantined\":%llu},",
	        (unsigned long long)c->rx, (unsigned long long)c->rx_bad, (unsigned long long)c->rx_bad_sig,
	        (unsigned long long)c->rx_unknown_peer, (unsigned long long)c->rx_replay,
	        (unsigned long long)c->rx_not_for_us, (unsigned long long)c->tx, (unsigned long long)c->exchanges,
	        (unsigned long long)c->readings_rejected, (unsigned long long)c->alarms, (unsigned long long)c->fusions,
	        (unsigned long long)c->ref_quarantines, (unsigned long long)c->ref_readmissions,
	        (unsigned long long)c->ref_readings_quarantined);
	fprintf(out, "\"net\":{\"sent\":%llu,\"delivered\":%llu,\"lost\":%llu,\"partitioned\":%llu,\"mitm_delayed\":%llu,"
	             "\"replayed\":%llu,\"to_crashed\":%llu,\"ntp_lost\":%llu,\"ntp_rejected\":%llu},",
	        (unsigned long long)w->net.sent, (unsigned long long)w->net.delivered, (unsigned long long)w->net.lost,
	        (unsigned long long)w->net.partitioned, (unsigned long long)w->net.mitm_delayed,
	        (unsigned long long)w->net.replayed, (unsigned long long)w->net.to_crashed,
	        (unsigned long long)w->ntp_lost, (unsigned long long)w->ntp_rejected);
	fprintf(out, "\"clock_error_ns\":%lld,\"unsynced_post_samples\":%llu,\"expected_violations\":%zu,",
	        (long long)m->clock_error_ns, (unsigned long long)m->unsynced_post, r->n_expected_violations);
	if (s->sys.on)
		fprintf(out, "\"system_worst_ns\":%lld,\"system_rms_ns\":%.0f,\"system_steps\":%llu,",
		        (long long)m->sys_worst_ns, sim_report_sys_rms(m), (unsigned long long)w->sys_steps);
	if (any_wire(s))
		fprintf(out, "\"ntp_replies\":%llu,\"ntp_t3_before_t2\":%llu,", (unsigned long long)w->ntp_replies,
		        (unsigned long long)w->ntp_t3_before_t2);
	if (r->has_honest)
		fprintf(out, "\"honest_worst_error_ns\":%lld,\"honest_rms_error_ns\":%.0f,\"attack_gain\":%.3f,",
		        (long long)r->honest_worst_ns, r->honest_rms_ns,
		        r->honest_worst_ns ? (double)m->accuracy_ns / (double)r->honest_worst_ns : 0.0);
	if (m->net_rows)
		fprintf(out, "\"network\":{\"spread_ns\":%lld,\"bound_ns\":%lld,\"bound_hard_ns\":%lld,\"agreed_fraction\":%.6f,"
		             "\"within_bound_fraction\":%.6f,\"within_1ms_fraction\":%.6f,\"within_10ms_fraction\":%.6f,"
		             "\"first_all_agreed_s\":%.3f,\"last_unagreed_s\":%.3f,\"offset_max_ns\":%lld,"
		             "\"agree_rounds\":%llu,\"agree_short\":%llu,\"agree_violations\":%llu,\"agree_steps\":%llu,"
		             "\"true_synced_fraction\":%.6f,\"cut_off_samples\":%llu,\"rejoin_max_s\":%.3f,\"outside_samples\":%llu},",
		        (long long)m->net_precision_ns, (long long)m->net_bound_ns, (long long)m->net_bound_hard_ns,
		        sim_report_agreed_fraction(w),
		        m->net_rows_bounded ? (double)m->net_rows_within / (double)m->net_rows_bounded : -1,
		        m->net_rows ? (double)m->net_rows_1ms / (double)m->net_rows : 0,
		        m->net_rows ? (double)m->net_rows_10ms / (double)m->net_rows : 0,
		        m->net_first_agreed_ns < 0 ? -1 : (double)m->net_first_agreed_ns / 1e9,
		        m->net_last_unagreed_ns < 0 ? -1 : (double)m->net_last_unagreed_ns / 1e9,
		        (long long)m->net_offset_max_ns, (unsigned long long)w->ctr.agree_rounds,
		        (unsigned long long)w->ctr.agree_short, (unsigned long long)w->ctr.agree_violations,
		        (unsigned long long)w->ctr.agree_steps,
		        m->net_rows && w->n_honest ? (double)m->post_samples / ((double)m->net_rows * (double)w->n_honest) : 0,
		        (unsigned long long)m->net_cut_samples, (double)m->net_rejoin_max_ns / 1e9,
		        (unsigned long long)m->net_outside_samples);
	if (m->hop) {
		fprintf(out, "\"width_by_hop\":[");
		bool first = true;
		for (int h = 0; h < SIM_HOPS; h++)
			if (m->hop_samples[h]) {
				fprintf(out, "%s{\"hop\":%d,\"mean_width_ns\":%.0f,\"samples\":%llu}", first ? "" : ",", h,
				        m->hop_width_sum[h] / (double)m->hop_samples[h], (unsigned long long)m->hop_samples[h]);
				first = false;
			}
		fprintf(out, "],");
	}
	fprintf(out, "\"adversaries\":[");
	for (size_t i = 0; i < s->n_advs; i++)
		fprintf(out, "%s{\"strategy\":\"%s\",\"nodes\":%zu,\"from_s\":%.3f,\"sent\":%llu,\"lies\":%llu}",
		        i ? "," : "", bft_adv_name(s->advs[i].lie.strategy), s->advs[i].nodes.n_ids,
		        (double)s->advs[i].lie.from_ns / 1e9, (unsigned long long)w->adv_sent[i],
		        (unsigned long long)w->adv_lies[i]);
	fprintf(out, "],\"adv_lies\":%llu,\"adv_errors\":%llu,", (unsigned long long)w->adv_lies_total,
	        (unsigned long long)w->adv_errors);
	sim_chain_summary cs;
	sim_world_chain_summary(w, &cs);
	if (cs.on) {
		fprintf(out, "\"chain\":{\"height_min\":%llu,\"height_max\":%llu,\"tips\":%zu,\"mined\":%llu,"
		             "\"mined_byzantine\":%llu,\"stale_rate\":%.4f,\"reorgs\":%llu,\"max_reorg_depth\":%llu,\"headers\":%llu,"
		             "\"reseated\":%llu,\"alarmed\":%zu,\"alarm_fusions\":%llu,\"steered\":%llu,\"median_statements\":%.2f,\"bytes_per_node_s\":%.1f,"
		             "\"byz_in_best\":%llu,\"best_held\":%llu,\"lies_in_best\":%llu,\"rechecked_out\":%llu,\"difficulty_genesis\":%llu,\"difficulty_min\":%llu,"
		             "\"difficulty_max\":%llu,\"best_difficulty_min\":%llu,\"best_difficulty_max\":%llu,\"mtp_lag_s\":%.3f,"
		             "\"rejected\":{",
		        (unsigned long long)cs.height_min, (unsigned long long)cs.height_max, cs.tips,
		        (unsigned long long)cs.mined, (unsigned long long)cs.mined_byz, cs.stale_rate,
		        (unsigned long long)cs.reorgs, (unsigned long long)cs.max_reorg_depth,
		        (unsigned long long)cs.headers, (unsigned long long)cs.reseated, cs.alarmed, (unsigned long long)cs.alarm_fusions,
		        (unsigned long long)cs.steered, cs.median_stmts, cs.bytes_per_node_s, (unsigned long long)cs.byz_in_best, (unsigned long long)cs.best_held,
		        (unsigned long long)cs.lies_in_best, (unsigned long long)cs.rechecked_out,
		        (unsigned long long)cs.difficulty_genesis, (unsigned long long)cs.difficulty_min,
		        (unsigned long long)cs.difficulty_max, (unsigned long long)cs.best_difficulty[0],
		        (unsigned long long)cs.best_difficulty[1], (double)cs.mtp_lag_ns / 1e9);
		for (int q = 1; q < BFT_NK_NREASONS; q++)
			fprintf(out, "%s\"%s\":%llu", q > 1 ? "," : "", bft_nk_reason_key(-q), (unsigned long long)cs.rejected[q]);
		fprintf(out, "},\"medians\":{");
		for (int q = 1, first = 1; q < SIM_CREF_KINDS; q++)
			if (cs.by_kind[q].nodes) {
				fprintf(out, "%s\"%s\":{\"nodes\":%zu,\"statements\":%.2f}", first ? "" : ",", bft_cref_kind_name((uint8_t)q),
				        cs.by_kind[q].nodes, cs.by_kind[q].stmts / (double)cs.by_kind[q].nodes);
				first = 0;
			}
		fprintf(out, "}");
		if (cs.poisson) /* only then: other worlds' JSON stays as it was */
			fprintf(out, ",\"poisson\":{\"finds\":%llu,\"idle\":%llu,\"failed\":%llu,\"expected\":%.2f,\"hashes\":%llu}",
			        (unsigned long long)cs.finds, (unsigned long long)cs.finds_idle,
			        (unsigned long long)cs.finds_failed, cs.finds_expected, (unsigned long long)cs.find_hashes);
		fprintf(out, "},");
	}
	fprintf(out, "\"events\":%llu,\"queue_peak\":%zu,\"packets_in_flight_peak\":%zu,\"adv_rewrites\":%llu}\n",
	        (unsigned long long)w->events, w->q.peak, w->pool.peak, (unsigned long long)w->adv_rewrites);
}

void sim_report_markdown_row(FILE *out, const sim_world *w, const sim_result *r, bool header)
{
	const sim_metrics *m = &w->m;
	char a[32], b[32], c[32], d[32], e[32];
	if (header) {
		fprintf(out, "| scenario | engine | nodes (honest) | precision | bound | worst error | RMS error | "
		             "clock error | containment | mean width | alarm | lies | verdict |\n");
		fprintf(out, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |\n");
	}
	char g[32], gain[64] = "";
	if (r->has_honest)
		snprintf(gain, sizeof gain, " (x%.2f honest %s)",
		         r->honest_worst_ns ? (double)m->accuracy_ns / (double)r->honest_worst_ns : 0.0,
		         fmt_ns(g, sizeof g, (double)r->honest_worst_ns));
	fprintf(out, "| %s | %s | %zu (%zu) | %s | %s | %s%s | %s | %s | %.6f | %s | %s (%u) | %llu | %s |\n", w->sc->name,
	        sim_engine_name(w->sc), w->n, w->n_honest, fmt_ns(a, sizeof a, (double)m->precision_ns),
	        fmt_ns(b, sizeof b, (double)w->bound_precision_ns), fmt_ns(c, sizeof c, (double)m->accuracy_ns), gain,
	        fmt_ns(d, sizeof d, r->rms_error_ns), fmt_ns(g, sizeof g, (double)m->clock_error_ns), r->containment,
	        fmt_ns(e, sizeof e, r->mean_width_ns), r->alarm ? "raised" : "no", m->alarm_nodes,
	        (unsigned long long)w->adv_lies_total, r->n_violations ? "**VIOLATED**" : "ok");
}

int sim_report_csv(const char *path, const sim_world *w)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	bool sys = w->sc->sys.on;
	fprintf(f, "t_s,honest,synced,alarmed,missed,off_min_ns,off_median_ns,off_max_ns,width_mean_ns,width_max_ns%s\n",
	        sys ? ",sys_off_min_ns,sys_off_max_ns" : "");
	for (size_t i = 0; i < w->m.n_rows; i++) {
		const sim_row *r = &w->m.rows[i];
		fprintf(f, "%.3f,%u,%u,%u,%u,%lld,%lld,%lld,%lld,%lld", (double)r->t_ns / 1e9, r->honest, r->synced,
		        r->alarmed, r->missed, (long long)r->off_min_ns, (long long)r->off_med_ns,
		        (long long)r->off_max_ns, (long long)r->width_mean_ns, (long long)r->width_max_ns);
		if (sys)
			fprintf(f, ",%lld,%lld", (long long)r->sys_min_ns, (long long)r->sys_max_ns);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* Symmetric log: sign(x) * log10(1 + |x| / 1 ns), so 0 is 0 and a decade
 * is a decade from 1 ns to seconds. */
static double slog(double x)
{
	return x < 0 ? -log10(1 - x) : log10(1 + x);
}

static void polyline(FILE *f, const sim_world *w, int which, double x0, double y0, double pw, double ph, double ymin,
                     double ymax, const char *color, double width)
{
	const sim_metrics *m = &w->m;
	double T = (double)w->sc->duration_ns;
	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" points=\"", color, width);
	for (size_t i = 0; i < m->n_rows; i++) {
		const sim_row *r = &m->rows[i];
		if (!r->synced)
			continue;
		double v = which == 0 ? (double)r->off_min_ns : which == 1 ? (double)r->off_med_ns
		         : which == 2 ? (double)r->off_max_ns : which == 3 ? (double)r->width_mean_ns : (double)r->width_max_ns;
		double x = x0 + pw * (double)r->t_ns / T, y = y0 + ph * (1 - (slog(v) - ymin) / (ymax - ymin));
		fprintf(f, "%.1f,%.1f ", x, y);
	}
	fprintf(f, "\"/>\n");
}

static void axis(FILE *f, double x0, double y0, double pw, double ph, double ymin, double ymax, const char *title,
                 double dur_s)
{
	fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"#fafafa\" stroke=\"#888\"/>\n", x0, y0,
	        pw, ph);
	fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"13\">%s</text>\n", x0, y0 - 6, title);
	static const char *lab[] = { "1 ns", "10 ns", "100 ns", "1 us", "10 us", "100 us", "1 ms", "10 ms", "100 ms",
		                     "1 s", "10 s" };
	for (int d = (int)floor(ymin); d <= (int)ceil(ymax); d++) {
		if (d < ymin || d > ymax)
			continue;
		double y = y0 + ph * (1 - (d - ymin) / (ymax - ymin));
		int a = d < 0 ? -d : d;
		fprintf(f, "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, x0 + pw, y, y);
		if (a >= 1 && a <= 11)
			fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s%s</text>\n", x0 - 4,
			        y + 3, d < 0 ? "-" : "", lab[a - 1]);
		else if (d == 0)
			fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">0</text>\n", x0 - 4, y + 3);
	}
	for (int k = 0; k <= 5; k++)
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">%.0f s</text>\n",
		        x0 + pw * k / 5, y0 + ph + 14, dur_s * k / 5);
}

int sim_report_svg(const char *path, const sim_world *w)
{
	const sim_metrics *m = &w->m;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	double omax = 1, wmax = 1, wmin = 1e18;
	for (size_t i = 0; i < m->n_rows; i++) {
		const sim_row *r = &m->rows[i];
		if (!r->synced)
			continue;
		double a = fabs((double)r->off_min_ns), b = fabs((double)r->off_max_ns);
		omax = fmax(omax, fmax(a, b));
		wmax = fmax(wmax, (double)r->width_max_ns);
		wmin = fmin(wmin, (double)r->width_mean_ns);
	}
	double oy = ceil(slog(omax)), wy1 = ceil(slog(wmax)), wy0 = floor(slog(wmin > wmax ? 1 : wmin));
	if (wy1 <= wy0)
		wy1 = wy0 + 1;
	double dur = (double)w->sc->duration_ns / 1e9;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"560\" font-family=\"sans-serif\">\n");
	fprintf(f, "<rect width=\"900\" height=\"560\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"450\" y=\"20\" font-size=\"15\" text-anchor=\"middle\">%s: %s, %zu honest of %zu</text>\n",
	        w->sc->name, sim_engine_name(w->sc), w->n_honest, w->n);
	axis(f, 80, 50, 780, 210, -oy, oy, "honest offset to true time (min, median, max; symlog)", dur);
	polyline(f, w, 0, 80, 50, 780, 210, -oy, oy, "#1f77b4", 1);
	polyline(f, w, 2, 80, 50, 780, 210, -oy, oy, "#d62728", 1);
	polyline(f, w, 1, 80, 50, 780, 210, -oy, oy, "#000", 1.5);
	axis(f, 80, 310, 780, 210, wy0, wy1, "interval width (mean, max)", dur);
	polyline(f, w, 3, 80, 310, 780, 210, wy0, wy1, "#2ca02c", 1.5);
	polyline(f, w, 4, 80, 310, 780, 210, wy0, wy1, "#9467bd", 1);
	fprintf(f, "</svg>\n");
	return fclose(f) == 0 ? 0 : -1;
}
