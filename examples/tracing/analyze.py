#!/usr/bin/env python3
"""analyze.py - examples/tracing's analysis: a client of rnnbow's tables.

For every run (corpus, seed) it reads two TSV files that tracing.sh wrote
from rnnbow's output:
  DIR/CORPUS_sSEED.influence.tsv  component  influence   (tracing)
  DIR/CORPUS_sSEED.ablate.tsv     component  loss_full  loss_without  increase
                                                         (rnnbow ablate)
and ranks the components both ways. Spearman's rho between influence and
loss increase per run (ranks with ties averaged, rho = Pearson's r of the
ranks), its mean over seeds per corpus, and a pooled rho over every
(seed, component) point of a corpus; p, the chance of a mean rho as high
if each run's ablation order were a random permutation (exact, or from
100,000 seeded draws). Where the mix repeats a kind (rnn,lstm,gru,rnn,..)
it also counts the pairs of one kind that tracing and ablation order the
same way: a ranking by cell kind alone gets those right only by chance.
Writes DIR/results.tsv (one row per run; per corpus a 'mean', a 'pooled'
and a 'same_kind' row), DIR/points.tsv (one row per run and component:
what the figure plots) and prints a verdict per corpus.
Usage: analyze.py DIR
"""
import glob
import os
import re
import sys

import numpy as np


def read_tsv(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def ranks(v):
    """Ranks 1..n of v, ties given their mean rank."""
    v = np.asarray(v, float)
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    for x in np.unique(v):
        tie = v == x
        r[tie] = r[tie].mean()
    return r


def spearman(a, b):
    """Spearman's rho; nan when either side has no spread (all ranks tied)."""
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def p_value(runs, observed):
    """P(mean rho >= observed) when each run's ablation ranks are a random
    permutation of its values (no link to tracing): exact over every
    combination of permutations when there are at most 200,000, else
    from 100,000 draws (seeded: the same p every time). Returns p and the
    number of combinations or draws it is a share of."""
    import itertools
    import math

    def rhos(rx, perms):  # Pearson's r of rx with each row of perms (ranks)
        a = rx - rx.mean()
        b = perms - perms.mean(1, keepdims=True)
        den = np.sqrt((a * a).sum() * (b * b).sum(1))
        return np.where(den > 0, (b @ a) / np.where(den > 0, den, 1), 0.0)

    ranked = [(ranks(x), ranks(y)) for x, y in runs]
    total = 1
    for _, ry in ranked:
        total *= math.factorial(len(ry))
    if total <= 200000:
        per_run = [rhos(rx, np.array(list(itertools.permutations(ry)))) for rx, ry in ranked]
        means = np.zeros(1)
        for r in per_run:  # every combination: the outer sum, then / runs
            means = (means[:, None] + r[None, :]).ravel()
        means /= len(per_run)
        count = total
    else:
        rng = np.random.default_rng(0)
        count = 100000
        means = np.zeros(count)
        for rx, ry in ranked:
            means += rhos(rx, rng.permuted(np.tile(ry, (count, 1)), axis=1))
        means /= len(ranked)
    return float(np.mean(means >= observed - 1e-9)), count


def verdict(rho_mean, p, nseeds):
    """Predicted: a mean rho of 0.5 or more that chance reaches in at most
    5% of permutations."""
    if not np.isfinite(rho_mean):
        return "no verdict: the ranks had no spread"
    if rho_mean >= 0.5 and p <= 0.05:
        return "tracing predicted ablation (mean rho %.2f over %d seeds)" % (rho_mean, nseeds)
    if rho_mean <= -0.5:
        return "tracing ranked the components against ablation (mean rho %.2f)" % rho_mean
    return "tracing did not predict ablation (mean rho %.2f over %d seeds)" % (rho_mean, nseeds)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "."
    runs = {}
    for path in sorted(glob.glob(os.path.join(d, "*_s*.influence.tsv"))):
        m = re.match(r"(.+)_s(\d+)\.influence\.tsv$", os.path.basename(path))
        abl = path.replace(".influence.tsv", ".ablate.tsv")
        if not m or not os.path.exists(abl):
            continue
        infl = {r["component"]: float(r["influence"]) for r in read_tsv(path)}
        inc = {r["component"]: float(r["increase"]) for r in read_tsv(abl)}
        comps = [c for c in inc if c in infl]
        runs.setdefault(m.group(1), []).append((int(m.group(2)), comps, infl, inc))
    if not runs:
        sys.exit("analyze.py: %s: no pairs of CORPUS_sSEED.influence.tsv and .ablate.tsv" % d)
    res = ["corpus\tseed\tcomponents\trho\tinfluence_order\tablation_order"]
    pts = ["corpus\tseed\tcomponent\tinfluence\tincrease"]
    for corpus, rs in sorted(runs.items()):
        rhos, allx, ally, pairs = [], [], [], []
        same = [0, 0]  # pairs of one cell kind (rnn0, rnn1) in the same order both ways
        for seed, comps, infl, inc in sorted(rs):
            x = [infl[c] for c in comps]
            y = [inc[c] for c in comps]
            rho = spearman(x, y)
            rhos.append(rho)
            pairs.append((x, y))
            for i in range(len(comps)):
                for j in range(i + 1, len(comps)):
                    if comps[i].rstrip("0123456789") == comps[j].rstrip("0123456789"):
                        same[1] += 1
                        same[0] += (x[i] - x[j]) * (y[i] - y[j]) > 0
            allx += list(ranks(x))  # pooled over seeds: ranks within each run
            ally += list(ranks(y))
            by = lambda v: ",".join(c for _, c in sorted(zip(v, comps), reverse=True))  # noqa: E731
            res.append("%s\t%d\t%d\t%.4f\t%s\t%s" % (corpus, seed, len(comps), rho, by(x), by(y)))
            for c in comps:
                pts.append("%s\t%d\t%s\t%.9g\t%.9g" % (corpus, seed, c, infl[c], inc[c]))
        finite = [r for r in rhos if np.isfinite(r)]
        mean = float(np.mean(finite)) if finite else float("nan")
        sd = float(np.std(finite)) if finite else float("nan")
        pooled = spearman(allx, ally)
        p, count = p_value(pairs, mean)
        pw = "%.3g" % p if p > 0 else "< %.0e" % (1.0 / count)
        res.append("%s\tmean\t%d\t%.4f\tsd %.4f\t%d of %d runs rho > 0, p %s" % (
            corpus, len(rs), mean, sd, sum(r > 0 for r in finite), len(rhos), pw))
        res.append("%s\tpooled\t%d\t%.4f\t\t" % (corpus, len(allx), pooled))
        if same[1]:
            res.append("%s\tsame_kind\t%d\t%.4f\t%d of %d pairs of one kind in the same "
                       "order\t" % (corpus, same[1], same[0] / same[1], same[0], same[1]))
        print("%s: %s; per seed %s; pooled (ranks within runs) %.2f; p %s (a mean rho this "
              "high by chance)" % (corpus, verdict(mean, p, len(rs)),
                                   " ".join("%.2f" % r for r in rhos), pooled, pw))
        if same[1]:
            print("%s: components of one kind (rnn0 and rnn1, ...): tracing and ablation "
                  "order %d of %d pairs the same way" % (corpus, same[0], same[1]))
    with open(os.path.join(d, "results.tsv"), "w") as f:
        f.write("\n".join(res) + "\n")
    with open(os.path.join(d, "points.tsv"), "w") as f:
        f.write("\n".join(pts) + "\n")


if __name__ == "__main__":
    main()
