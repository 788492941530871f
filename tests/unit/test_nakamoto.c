/* SPDX-License-Identifier: MIT */
/* The Nakamoto chain engine driven by the simulator's Poisson mining model
 * (sim/nakamoto.c): 50 nodes, each running the real engine on real signed
 * blocks, with one attacker holding 10, 30, 45 or 55% of the hash power
 * that either writes implausible offsets or writes plausible biased ones on
 * a private chain that censors everyone else's statements. Prints the table
 * docs/nakamoto.md quotes (precision, accuracy, orphan rate, attacker
 * blocks in the best chain, alarms) and checks what the theory predicts:
 * implausible offsets never enter an honest chain at any share, a majority
 * raises the alarm, and only a majority can move the median at all. One
 * run uses real hashing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/nakamoto.h"

#define NODES 50
#define S_NS INT64_C(1000000000)

static const uint64_t secret = 5;
static bft_signer signer;
static double share[NODES];

/* Propagation: 0.2 s plus up to 0.8 s, from a counter-hashed stream so
 * the runs are reproducible. */
static double delay(void *ctx, size_t from, size_t to)
{
	uint64_t *s = ctx;
	uint64_t x = (*s += 0x9e3779b97f4a7c15u) ^ (from << 20) ^ to;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return 0.2 + 0.8 * (double)(x >> 11) / 9007199254740992.0;
}

static void base_cfg(nksim_cfg *c, uint64_t *delay_state)
{
	memset(c, 0, sizeof *c);
	bft_signer_sim(&signer, &secret);
	c->n_nodes = NODES;
	c->share = share;
	c->hash_rate = 0.8; /* D0 8 / 10 s: one block per 10 s at the start */
	bft_nk_cfg *k = &c->chain;
	memset(k->genesis, 0x42, sizeof k->genesis);
	k->genesis_time_ns = INT64_C(1000) * S_NS;
	k->genesis_difficulty = 8;
	k->interval_ns = 10 * S_NS;
	k->retarget_blocks = 16;
	k->max_step = 4;
	k->future_tol_ns = 10 * S_NS;
	k->stmt_age_ns = 60 * S_NS;
	k->agree_ns = 200000; /* honest clocks differ by up to 100 us here */
	k->drift_ppb = 100;
	k->window_blocks = 12;
	k->orphan_ttl_ns = 600 * S_NS;
	k->min_stmts = 1;
	k->signer = &signer;
	c->delay = delay;
	c->delay_ctx = delay_state;
	c->stmt_period_s = 10;
	c->stmt_delay_s = 1;
	c->clock_spread_ns = 50000;
	c->noise_ns = 1000;
	c->unc_ns = 2000;
	c->attacker = -1;
	c->duration_s = 2000;
	c->seed = 15;
}

static void shares(double attacker)
{
	for (int i = 0; i < NODES; i++)
		share[i] = i == NODES - 1 ? attacker : (1 - attacker) / (NODES - 1);
}

static nksim_result run(enum nksim_attack a, double alpha, int64_t lie_ns)
{
	uint64_t ds = 1;
	nksim_cfg c;
	base_cfg(&c, &ds);
	shares(alpha);
	if (a != NKSIM_NONE) {
		c.attacker = NODES - 1;
		c.attack = a;
		c.lie_ns = lie_ns;
	}
	nksim_result r;
	assert_int_equal(nksim_run(&c, &r), 0);
	print_message("%-11s %4.0f%% | mined %3llu stale %5.1f%% | best h %3llu attacker %3llu/%3llu | "
	              "precision %6.1f us accuracy %6.1f us | stmts %4.1f | rejected %5llu alarmed %2zu/%zu | "
	              "reorgs %4llu max depth %llu\n",
	              a == NKSIM_NONE ? "honest" : a == NKSIM_IMPLAUSIBLE ? "implausible" : "censor", alpha * 100,
	              (unsigned long long)r.mined, r.stale_rate * 100, (unsigned long long)r.best_height,
	              (unsigned long long)r.best_attacker_blocks, (unsigned long long)r.best_recent, r.precision_ns / 1000, r.accuracy_ns / 1000,
	              r.mean_median_stmts, (unsigned long long)r.rejected_implausible, r.alarmed, r.honest,
	              (unsigned long long)r.reorgs, (unsigned long long)r.max_reorg_depth);
	return r;
}

static void test_honest(void **state)
{
	(void)state;
	nksim_result r = run(NKSIM_NONE, 0.02, 0);
	assert_int_equal(r.honest, NODES);
	assert_int_equal(r.with_consensus, NODES);
	assert_true(r.mined >= 150 && r.mined <= 260); /* ~200 expected in 2000 s */
	assert_true(r.precision_ns < 10000);
	assert_true(r.accuracy_ns < 10000);
	assert_true(r.stale_rate < 0.2);
	assert_true(r.mean_median_stmts > 40);
	assert_int_equal(r.alarmed, 0);
}

static void test_implausible_attackers(void **state)
{
	(void)state;
	const double alphas[] = { 0.10, 0.30, 0.45, 0.55 };
	for (int i = 0; i < 4; i++) {
		nksim_result r = run(NKSIM_IMPLAUSIBLE, alphas[i], 5000000);
		/* Plausibility is local: no share gets a lie into an honest chain. */
		assert_int_equal(r.best_attacker_blocks, 0);
		assert_true(r.rejected_implausible > 0);
		assert_true(r.accuracy_ns < 10000);
		assert_true(r.precision_ns < 10000);
		if (alphas[i] <= 0.30)
			assert_int_equal(r.alarmed, 0);
		if (alphas[i] > 0.5) /* a majority out-works the honest chain: everyone sees it */
			assert_true(r.alarmed > r.honest / 2);
	}
}

static void test_censoring_attackers(void **state)
{
	(void)state;
	/* 75% too: where the private chain clearly wins (docs/nakamoto.md). */
	const double alphas[] = { 0.10, 0.30, 0.45, 0.55, 0.75 };
	for (int i = 0; i < 5; i++) {
		nksim_result r = run(NKSIM_CENSOR, alphas[i], 80000); /* plausible: 80 us + 100 us < 200 us */
		if (alphas[i] <= 0.30) {
			/* A minority's private chain never wins: honest statements stay. */
			assert_true(r.best_attacker_blocks * 10 < r.best_recent);
			assert_true(r.accuracy_ns < 10000);
		}
		if (alphas[i] > 0.7)
			assert_true(r.best_attacker_blocks * 2 > r.best_recent);
		assert_int_equal(r.alarmed, 0); /* plausible: nothing to alarm about */
	}
}

static void test_real_hashing(void **state)
{
	(void)state;
	uint64_t ds = 3;
	nksim_cfg c;
	base_cfg(&c, &ds);
	shares(0.02);
	c.n_nodes = 10; /* shares of the first 10 sum to 0.2: rate 0.8 * 0.2 */
	c.hash_rate = 0.8 / 0.2 * 4; /* blocks every ~2.5 s at D0 8 until retarget */
	c.real_hash = true;
	c.real_step_s = 0.5;
	c.duration_s = 300;
	nksim_result r;
	assert_int_equal(nksim_run(&c, &r), 0);
	print_message("real hashing, 10 nodes, 300 s: mined %llu, best h %llu, stale %.1f%%, precision %.1f us\n",
	              (unsigned long long)r.mined, (unsigned long long)r.best_height, r.stale_rate * 100,
	              r.precision_ns / 1000);
	assert_true(r.mined >= 30); /* 16 fast blocks, then retargeted to ~10 s */
	assert_true(r.best_height >= r.mined / 2);
	assert_int_equal(r.with_consensus, 10);
	assert_true(r.precision_ns < 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest),
		cmocka_unit_test(test_implausible_attackers),
		cmocka_unit_test(test_censoring_attackers),
		cmocka_unit_test(test_real_hashing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
