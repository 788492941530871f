/* SPDX-License-Identifier: MIT */
/*
 * Link model. Jitter is truncated (not resampled) at jitter_max so the
 * delay window [delay, delay + asymmetry + jitter_max] is a hard fact the
 * bounds can use. MITM delay is added on top and deliberately breaks no
 * assumption a node makes: round-trip intervals hold for any delay >= dmin,
 * they only widen, which is exactly what the attack should achieve at most.
 */
#include "sim/net.h"

static bool partitioned(const sim_scenario *s, uint32_t a, uint32_t b, int64_t now)
{
	for (size_t i = 0; i < s->n_partitions; i++) {
		const sim_partition *p = &s->partitions[i];
		bool in_a = sim_set_has(&p->nodes, a), in_b = sim_set_has(&p->nodes, b);
		if (now >= p->from_ns && now < p->to_ns && in_a != in_b &&
		    !sim_set_has(&p->except, in_a ? b : a))
			return true;
	}
	return false;
}

enum sim_net_verdict sim_net_route(const sim_scenario *s, sim_rng *rng, uint32_t from, uint32_t to, int64_t now,
                                   int64_t *delay_ns, int64_t *replay_at_ns, sim_net_stats *st)
{
	st->sent++;
	*replay_at_ns = INT64_MIN;
	/* Draw every random number whatever the verdict, so one packet's fate
	 * never shifts the stream of the next. */
	double u_loss = sim_rng_unit(rng);
	double j = sim_rng_exp(rng, (double)s->net_jitter_ns);
	double u_replay = sim_rng_unit(rng);
	if (partitioned(s, from, to, now)) {
		st->partitioned++;
		return SIM_NET_PARTITIONED;
	}
	if (u_loss < s->net_loss) {
		st->lost++;
		return SIM_NET_LOST;
	}
	if (j > (double)s->net_jitter_max_ns)
		j = (double)s->net_jitter_max_ns;
	int64_t d = s->net_delay_ns + (int64_t)j + (from < to ? s->net_asym_ns : 0);
	for (size_t i = 0; i < s->n_mitms; i++) {
		const sim_mitm *m = &s->mitms[i];
		if (now >= m->start_ns && now < m->end_ns && sim_set_has(&m->from, from) && sim_set_has(&m->to, to)) {
			d += m->extra_ns;
			st->mitm_delayed++;
		}
	}
	*delay_ns = d;
	if (u_replay < s->replay_prob) {
		*replay_at_ns = now + d + s->replay_delay_ns;
		st->replayed++;
	}
	st->delivered++;
	return SIM_NET_DELIVER;
}

int64_t sim_net_max_delay(const sim_scenario *s)
{
	return s->net_delay_ns + s->net_asym_ns + s->net_jitter_max_ns;
}
