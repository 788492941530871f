/* SPDX-License-Identifier: MIT */
/*
 * The node's reference guard (anti-spoofing, node.h): a lone node fed
 * reference readings by hand. A reading that jumps outside the node's own
 * interval, a reference outvoted by the others, or a reading its driver calls
 * implausible puts the reference in quarantine; the node's clock never
 * follows it; it is readmitted only after agreeing for ref_readmit_ns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/node.h"
#include "proto/sign.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)
#define S INT64_C(1000000000)
#define EPOCH (INT64_C(1700000000) * S)

/* raw = t * (1 + 20 ppm) + 3 s: the node's oscillator against true time t. */
static int64_t raw_of(int64_t t) { return t + t / 50000 + 3 * S; }

struct guard {
	bft_node *n;
	bft_signer signer;
	uint64_t secret;
	int64_t worst_err; /* |estimate - true| over every read */
	bool all_held;     /* every interval held true time */
};

static void setup(struct guard *g, size_t refs)
{
	memset(g, 0, sizeof *g);
	g->secret = 42;
	bft_signer_sim(&g->signer, &g->secret);
	bft_node_config c;
	bft_node_config_default(&c);
	c.id = 1;
	c.max_refs = refs;
	c.f = refs >= 3 ? 1 : 0;
	c.signer = &g->signer;
	c.ref_readmit_ns = 64 * S;
	assert_int_equal(bft_node_create(&g->n, &c), 0);
	assert_int_equal(bft_node_start(g->n, raw_of(0)), 0);
	g->all_held = true;
}

static void drain(struct guard *g)
{
	bft_action a;
	while (bft_node_next_action(g->n, &a)) {
	}
}

/* A reading of reference r at true time t that says true time is t + lie,
 * +-100 ns; then the node's timer and a read at t. */
static void feed(struct guard *g, uint32_t r, int64_t t, int64_t lie)
{
	int64_t raw = raw_of(t);
	bft_interval iv = bft_iv(EPOCH + t + lie - 100, EPOCH + t + lie + 100);
	assert_int_equal(bft_node_on_reference(g->n, raw, r, iv), 0);
	assert_int_equal(bft_node_on_timer(g->n, raw), 0);
	drain(g);
	bft_estimate e;
	assert_int_equal(bft_node_read(g->n, raw, &e), 0);
	if (e.state != BFT_DISC_UNSYNCHRONIZED) {
		int64_t err = e.estimate_ns - (EPOCH + t);
		err = err < 0 ? -err : err;
		if (err > g->worst_err)
			g->worst_err = err;
		if (!bft_iv_contains(e.bounds, EPOCH + t))
			g->all_held = false;
	}
}

static bft_source_info info(struct guard *g, uint32_t r)
{
	bft_source_info s[8];
	assert_true(bft_node_sources(g->n, s, 8) > r);
	return s[r];
}

static void test_jump_is_quarantined_and_readmitted(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 1);
	int64_t t = 0;
	for (; t < 300 * S; t += S)
		feed(&g, 0, t, 0);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_NONE);
	g.worst_err = 0;
	/* The spoofer: +5 ms for 5 minutes. */
	for (; t < 600 * S; t += S) {
		feed(&g, 0, t, 5 * MS);
		assert_int_equal(info(&g, 0).quarantine, BFT_Q_JUMP);
	}
	bft_source_info si = info(&g, 0);
	assert_true(si.q_by_ns > 4 * MS && si.q_by_ns < 6 * MS);
	assert_int_equal(si.quarantines, 1);
	/* Never followed: the holdover clock stays within microseconds. */
	assert_true(g.worst_err < 50 * US);
	assert_true(g.all_held);
	/* Honest again: held out for readmit (64 s), then used. */
	int64_t back = t;
	for (; t < back + 63 * S; t += S) {
		feed(&g, 0, t, 0);
		assert_int_equal(info(&g, 0).quarantine, BFT_Q_JUMP);
	}
	assert_true(info(&g, 0).agreeing_ns > 0);
	for (; t < back + 70 * S; t += S)
		feed(&g, 0, t, 0);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_NONE);
	assert_int_equal(bft_node_get_counters(g.n)->ref_readmissions, 1);
	assert_true(g.all_held);
	bft_node_destroy(g.n);
}

static void test_suspect_holds_out_until_plausible(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 1);
	int64_t t = 0;
	for (; t < 200 * S; t += S)
		feed(&g, 0, t, 0);
	g.worst_err = 0;
	/* The driver flags every reading (a spoofer's flat sky) for 2 minutes;
	 * in between, one unflagged reading with the lie must not be used. */
	for (; t < 320 * S; t += S) {
		assert_int_equal(bft_node_on_reference_suspect(g.n, raw_of(t), 0, "identical SNR"), 0);
		assert_int_equal(bft_node_on_timer(g.n, raw_of(t)), 0);
		drain(&g);
	}
	bft_source_info si = info(&g, 0);
	assert_int_equal(si.quarantine, BFT_Q_SUSPECT);
	assert_string_equal(si.suspect, "identical SNR");
	feed(&g, 0, t, 3 * MS);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_SUSPECT);
	/* A flag in the middle of the agreement restarts the wait. */
	int64_t back = t;
	for (; t < back + 40 * S; t += S)
		feed(&g, 0, t, 0);
	assert_int_equal(bft_node_on_reference_suspect(g.n, raw_of(t), 0, "identical SNR"), 0);
	back = t;
	for (t += S; t < back + 60 * S; t += S)
		feed(&g, 0, t, 0);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_SUSPECT);
	for (; t < back + 70 * S; t += S)
		feed(&g, 0, t, 0);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_NONE);
	assert_true(g.worst_err < 50 * US);
	assert_true(g.all_held);
	bft_node_destroy(g.n);
}

static void test_lie_in_holdover_never_readmitted(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 1);
	int64_t t = 0;
	for (; t < 300 * S; t += S)
		feed(&g, 0, t, 0);
	/* A spoofer that stays at +2 ms for 20 minutes: the holdover interval
	 * widens past it (2 x 100 ppm x 1200 s = 240 ms), but readmission asks
	 * for the node's estimate, which drifts only at its frequency error. */
	for (; t < 1500 * S; t += S)
		feed(&g, 0, t, 2 * MS);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_JUMP);
	assert_int_equal(bft_node_get_counters(g.n)->ref_readmissions, 0);
	assert_true(g.all_held);
	bft_node_destroy(g.n);
}

static void test_outvoted_reference(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 3);
	int64_t t = 0;
	for (; t < 300 * S; t += S)
		for (uint32_t r = 0; r < 3; r++)
			feed(&g, r, t, 0);
	g.worst_err = 0;
	/* Reference 2 walks away at 10 us/s, too slowly for one reading to
	 * jump against the last: the node must still catch it. */
	int64_t walk_from = t, caught = -1;
	for (; t < 600 * S; t += S)
		for (uint32_t r = 0; r < 3; r++) {
			feed(&g, r, t, r == 2 ? (t - walk_from) / 100000 : 0);
			if (caught < 0 && info(&g, 2).quarantine != BFT_Q_NONE)
				caught = t - walk_from;
		}
	bft_source_info si = info(&g, 2);
	assert_int_not_equal(si.quarantine, BFT_Q_NONE);
	assert_int_equal(info(&g, 0).quarantine, BFT_Q_NONE);
	assert_int_equal(info(&g, 1).quarantine, BFT_Q_NONE);
	/* Readings are fused as they come, each carried at rho until the
	 * next (100 us per second here), so the walker is caught once it is
	 * that far out: within 20 s, 200 us. Meanwhile it can only pull the
	 * estimate within the fused interval. */
	assert_true(caught > 0 && caught <= 20 * S);
	assert_true(g.worst_err < 50 * US);
	assert_true(g.all_held);
	bft_node_destroy(g.n);
}

/* More than f liars, f = 1: two of four references walk away together at
 * 10 ppm. The guard may take the first of them out as outvoted, and the
 * honest ones may then look like jumps; counted with the quarantined
 * references' readings, the two groups prove two faults once they no
 * longer overlap, and the node raises the alarm instead of following. */
static void test_split_without_majority_alarms(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 4);
	int64_t t = 0;
	for (; t < 300 * S; t += S)
		for (uint32_t r = 0; r < 4; r++)
			feed(&g, r, t, 0);
	g.worst_err = 0;
	bool alarmed = false;
	int64_t start = t;
	for (; t < start + 600 * S; t += S) {
		int64_t lie = (t - start) / 100000; /* 10 ppm */
		for (uint32_t r = 0; r < 4; r++)
			feed(&g, r, t, r >= 2 ? lie : 0);
		bft_estimate e;
		assert_int_equal(bft_node_read(g.n, raw_of(t), &e), 0);
		alarmed = alarmed || e.alarm;
	}
	bft_estimate e;
	assert_int_equal(bft_node_read(g.n, raw_of(t), &e), 0);
	print_message("two of four walking away: alarm %s, worst error %.1f us\n", e.alarm ? "raised" : "NOT raised",
	              (double)g.worst_err / 1e3);
	assert_true(alarmed && e.alarm);
	assert_true(g.worst_err < 3 * MS); /* the walkers end 6 ms away */
	bft_node_destroy(g.n);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct guard g;
	setup(&g, 1);
	assert_int_not_equal(bft_node_on_reference_suspect(g.n, 0, 1, "x"), 0);
	assert_int_not_equal(bft_node_on_reference_suspect(NULL, 0, 0, "x"), 0);
	assert_string_equal(bft_quarantine_name(BFT_Q_CONSENSUS), "consensus");
	bft_node_destroy(g.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jump_is_quarantined_and_readmitted),
		cmocka_unit_test(test_suspect_holds_out_until_plausible),
		cmocka_unit_test(test_lie_in_holdover_never_readmitted),
		cmocka_unit_test(test_outvoted_reference),
		cmocka_unit_test(test_split_without_majority_alarms),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
