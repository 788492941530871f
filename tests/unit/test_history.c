/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's history ring (src/daemon/history.c): samples kept at most
 * one per BFTD_HISTORY_STEP_NS, the window and after= selections, the ring
 * overwriting its oldest, each source's state letter and its offset
 * relative to the estimate, and the query parser's refusals. The snapshots
 * are built by hand, as status.c would fill them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <json-c/json.h>

#include <bftime/common.h>

#include "daemon/history.h"
#include "daemon/status.h"

#define S BFT_NS_PER_SEC
#define RT0 (INT64_C(1800000000) * S)

static bft_source_info srcs[3];
static bftd_peer peers[2] = { { .id = 2 }, { .id = 3 } };
static bftd_config cfg;

/* A snapshot at raw time raw_ns: estimate = raw + 1 s, interval +-1 ms;
 * peer 2 used at +10 us, peer 3 rejected at +50 ms, the reference as q. */
static bftd_status snap(int64_t raw_ns, enum bft_quarantine q, bool alarm)
{
	bftd_status st = { .filled = true, .raw_ns = raw_ns, .rt_ns = RT0 + raw_ns, .ok = true, .synced = true };
	st.e.estimate_ns = raw_ns + S;
	st.e.bounds = (bft_interval){ st.e.estimate_ns - 1000000, st.e.estimate_ns + 1000000 };
	st.e.state = BFT_DISC_SYNCHRONIZED;
	st.e.alarm = alarm;
	st.e.freq_ppb = 1234;
	int64_t our_off = S; /* estimate - raw */
	srcs[0] = (bft_source_info){ .is_peer = true, .id = 2, .fresh = true, .used = true,
		                     .offset = { our_off + 10000 - 500, our_off + 10000 + 500 } };
	srcs[1] = (bft_source_info){ .is_peer = true, .id = 3, .fresh = true, .used = false,
		                     .offset = { our_off + 50000000 - 700, our_off + 50000000 + 700 } };
	srcs[2] = (bft_source_info){ .is_peer = false, .id = 0, .fresh = q == BFT_Q_NONE, .used = false, .quarantine = q };
	st.src = srcs;
	st.n_src = 3;
	return st;
}

static void setup_cfg(void)
{
	memset(&cfg, 0, sizeof cfg);
	cfg.id = 1;
	cfg.peers = peers;
	cfg.n_peers = 2;
	cfg.n_refs = 1;
	strcpy(cfg.refs[0].name, "gps");
}

static int64_t geti(json_object *o, const char *k)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_int64(v);
}
static json_object *get(json_object *o, const char *k)
{
	json_object *v;
	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

static void test_step_window_after(void **state)
{
	(void)state;
	setup_cfg();
	bftd_history *h;
	assert_int_equal(bftd_history_create(&h, 3), 0);
	json_object *o = bftd_history_json(h, &cfg, 60 * S, 0);
	assert_int_equal(geti(o, "last_seq"), 0);
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 0);
	assert_int_equal(json_object_array_length(get(o, "sources")), 3);
	json_object_put(o);
	for (int i = 0; i < 3; i++) {
		bftd_status st = snap(100 * S + i * S, BFT_Q_NONE, false);
		bftd_history_record(h, &st);
	}
	bftd_status st = snap(102 * S + S / 2, BFT_Q_NONE, false); /* too soon after the last: not kept */
	bftd_history_record(h, &st);
	o = bftd_history_json(h, &cfg, 60 * S, 0);
	assert_int_equal(geti(o, "first_seq"), 1);
	assert_int_equal(geti(o, "last_seq"), 3);
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 3);
	assert_true(json_object_get_double(json_object_array_get_idx(get(o, "t_ms"), 2)) == (double)(RT0 + 102 * S) / 1e6);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(o, "lo_ns"), 0)), -1000000);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(o, "hi_ns"), 0)), 1000000);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(o, "freq_ppb"), 0)), 1234);
	assert_null(json_object_array_get_idx(get(o, "precision_ns"), 0)); /* agreement not running */
	json_object_put(o);
	o = bftd_history_json(h, &cfg, 60 * S, 2); /* after 2: only the third */
	assert_int_equal(geti(o, "first_seq"), 3);
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 1);
	json_object_put(o);
	o = bftd_history_json(h, &cfg, 60 * S, 3); /* nothing newer */
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 0);
	assert_int_equal(geti(o, "last_seq"), 3);
	json_object_put(o);
	o = bftd_history_json(h, &cfg, 1 * S, 0); /* within 1 s of the newest: two */
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 2);
	assert_int_equal(geti(o, "first_seq"), 2);
	json_object_put(o);
	bftd_history_destroy(h);
	bftd_history_destroy(NULL);
}

static void test_sources(void **state)
{
	(void)state;
	setup_cfg();
	bftd_history *h;
	assert_int_equal(bftd_history_create(&h, 3), 0);
	bftd_status st = snap(10 * S, BFT_Q_NONE, false);
	bftd_history_record(h, &st);
	st = snap(11 * S, BFT_Q_JUMP, true);
	bftd_history_record(h, &st);
	json_object *o = bftd_history_json(h, &cfg, 60 * S, 0);
	json_object *al = get(o, "alarm");
	assert_false(json_object_get_boolean(json_object_array_get_idx(al, 0)));
	assert_true(json_object_get_boolean(json_object_array_get_idx(al, 1)));
	json_object *ss = get(o, "sources");
	json_object *p2 = json_object_array_get_idx(ss, 0), *p3 = json_object_array_get_idx(ss, 1),
	            *r0 = json_object_array_get_idx(ss, 2);
	assert_string_equal(json_object_get_string(get(p2, "type")), "peer");
	assert_int_equal(geti(p2, "id"), 2);
	assert_string_equal(json_object_get_string(get(p2, "state")), "uu");
	assert_string_equal(json_object_get_string(get(p3, "state")), "rr");
	assert_string_equal(json_object_get_string(get(r0, "state")), "rq"); /* fresh but unused, then quarantined */
	assert_string_equal(json_object_get_string(get(r0, "name")), "gps");
	/* Offsets: the middle of the source's interval minus the estimate. */
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(p2, "offset_ns"), 0)), 10000);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(p3, "offset_ns"), 1)), 50000000);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(get(p3, "width_ns"), 1)), 1400);
	assert_null(json_object_array_get_idx(get(r0, "offset_ns"), 1)); /* no fresh reading: null */
	json_object_put(o);
	bftd_history_destroy(h);
}

static void test_ring_wraps(void **state)
{
	(void)state;
	setup_cfg();
	bftd_history *h;
	assert_int_equal(bftd_history_create(&h, 3), 0);
	for (int i = 0; i < BFTD_HISTORY_CAP + 10; i++) {
		bftd_status st = snap((int64_t)i * S, BFT_Q_NONE, false);
		bftd_history_record(h, &st);
	}
	/* The oldest ten overwritten: 4096 samples from 11 to 4106, every 7th
	 * (600 at most), ending on the newest: 4106 - 7k >= 11, from 11 (4095 = 7 x 585). */
	json_object *o = bftd_history_json(h, &cfg, BFTD_HISTORY_MAX_WINDOW_NS, 0);
	assert_int_equal(geti(o, "last_seq"), BFTD_HISTORY_CAP + 10);
	assert_int_equal(geti(o, "stride"), 7);
	assert_int_equal(geti(o, "first_seq"), 11);
	size_t n = json_object_array_length(get(o, "t_ms"));
	assert_int_equal(n, 586);
	assert_true(n <= BFTD_HISTORY_MAX_POINTS);
	json_object *s0 = json_object_array_get_idx(get(o, "sources"), 0);
	assert_int_equal(strlen(json_object_get_string(get(s0, "state"))), n);
	assert_int_equal(json_object_array_length(get(s0, "offset_ns")), n);
	/* The newest is the last one answered. */
	assert_true(json_object_get_double(json_object_array_get_idx(get(o, "t_ms"), n - 1)) ==
	            (double)(RT0 + (int64_t)(BFTD_HISTORY_CAP + 9) * S) / 1e6);
	json_object_put(o);
	o = bftd_history_json(h, &cfg, BFTD_HISTORY_MAX_WINDOW_NS, BFTD_HISTORY_CAP); /* after: the ten newest, whole */
	assert_int_equal(geti(o, "stride"), 1);
	assert_int_equal(geti(o, "first_seq"), BFTD_HISTORY_CAP + 1);
	assert_int_equal(json_object_array_length(get(o, "t_ms")), 10);
	json_object_put(o);
	bftd_history_destroy(h);
}

static int parse(const char *name, const char *value, int64_t *w, uint64_t *a, char *err)
{
	bftd_http_request req = { .method = "GET", .path = "/v1/history" };
	if (name) {
		req.arg_name[0] = name;
		req.arg_value[0] = value;
		req.n_args = 1;
	}
	return bftd_history_parse_query(&req, w, a, err, 160);
}

static void test_parse(void **state)
{
	(void)state;
	int64_t w;
	uint64_t a;
	char err[160];
	assert_int_equal(parse(NULL, NULL, &w, &a, err), 0);
	assert_int_equal(w, 15 * 60 * S);
	assert_int_equal(a, 0);
	assert_int_equal(parse("window", "1h", &w, &a, err), 0);
	assert_int_equal(w, 3600 * S);
	assert_int_equal(parse("after", "42", &w, &a, err), 0);
	assert_int_equal(a, 42);
	assert_int_equal(parse("other", "x", &w, &a, err), 0);
	static const char *const bad_w[] = { "forever", "", "0.5s", "25h", "-1m" };
	for (size_t i = 0; i < sizeof bad_w / sizeof bad_w[0]; i++) {
		err[0] = 0;
		assert_int_equal(parse("window", bad_w[i], &w, &a, err), BFT_EINVAL);
		assert_true(!strncmp(err, "window: ", 8));
	}
	static const char *const bad_a[] = { "-1", "x", "", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad_a / sizeof bad_a[0]; i++) {
		err[0] = 0;
		assert_int_equal(parse("after", bad_a[i], &w, &a, err), BFT_EINVAL);
		assert_true(!strncmp(err, "after: ", 7));
	}
	assert_int_equal(parse("window", NULL, &w, &a, err), BFT_EINVAL); /* "?window" without a value */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_window_after),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
