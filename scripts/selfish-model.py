#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Eyal and Sirer's selfish mining (FC 2014, Algorithm 1; gamma = 0, instant
propagation) as a Monte Carlo on explicit chains, its pool's share counted the
way bftime-sim counts it (`.chain.byz_in_best / .chain.best_held`): over the
best chain an honest node holds when the run ends, where the pool's blocks
still private are missing and the honest blocks they would orphan still
count. A run of finitely many finds so falls short of the formula's share,
which is the limit of infinitely many (docs/nakamoto.md, "Longer").

  scripts/selfish-model.py [ALPHA [FINDS ...]]   (default 0.45  225 900 100000)

Deterministic (seeded); about 20 s with the defaults."""
import random
import sys


def run(alpha, finds, rnd):
    pub = []      # the honest nodes' best chain ('P' pool, 'H' honest)
    priv = []     # the pool's branch beyond `fork`, not yet public
    fork = 0      # the height where the pool's branch leaves pub
    race = False  # the pool published a branch as long as the honest one
    for _ in range(finds):
        if rnd.random() < alpha:
            if race:  # the pool's find wins the race
                pub = pub[:fork] + priv + ['P']
                priv, race, fork = [], False, len(pub)
            else:
                priv.append('P')
            continue
        pub.append('H')
        if race:  # gamma = 0: every honest miner was on the honest branch
            priv, race, fork = [], False, len(pub)
            continue
        lead = fork + len(priv) - len(pub)
        if lead < 0:  # the honest chain is ahead: give up
            priv, fork = [], len(pub)
        elif lead == 0:  # publish and race; honest miners keep their first seen
            race = True
        elif lead == 1:  # publish: the longer branch orphans the honest block
            pub = pub[:fork] + priv
            priv, fork = [], len(pub)
        # lead >= 2: publish up to the honest height, a tie no honest miner
        # follows; pub changes once the pool's branch is longer (lead 1)
    return pub.count('P') / len(pub)


def formula(a, g=0.0):
    return (a * (1 - a) ** 2 * (4 * a + g * (1 - 2 * a)) - a ** 3) / (1 - a * (1 + (2 - a) * a))


def main():
    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.45
    finds = [int(x) for x in sys.argv[2:]] or [225, 900, 100000]
    rnd = random.Random(1)
    print(f"| finds | runs | pool's share (alpha {alpha}) |")
    print("| ---: | ---: | ---: |")
    for n in finds:
        runs = max(3, 200000 // n)
        share = sum(run(alpha, n, rnd) for _ in range(runs)) / runs
        print(f"| {n} | {runs} | {share * 100:.1f}% |")
    print(f"| (formula) | | {formula(alpha) * 100:.1f}% |")


if __name__ == "__main__":
    main()
