#!/usr/bin/python3
"""The baseline of tests/bench/analysis_bench.sh: `rnnbow summarize` and
`rnnbow horizon --per-batch` written plainly with h5py and numpy, as a user
would write them (read each dataset whole, then numpy over axes).

    analysis_numpy.py summarize RUN.h5
    analysis_numpy.py per-batch RUN.h5

Prints the same TSV table as rnnbow (docs/ANALYSIS.md): header line, floats
with %.9g, eps 0.1, loss share 1, target/predicted bytes escaped.
"""
import math
import sys

import h5py
import numpy as np

EPS = 0.1
LOSS_SHARE = 1.0


def escape(b):
    """One byte as rnnbow prints it: \\n \\t \\r \\\\, \\xHH outside printable ASCII."""
    special = {0x0a: "\\n", 0x09: "\\t", 0x0d: "\\r", 0x5c: "\\\\"}
    if b in special:
        return special[b]
    if 0x20 <= b < 0x7f:
        return chr(b)
    return "\\x%02x" % b


def k_exact(E):
    """Smallest k with E[k] <= eps, per record (E[n-1] = 0, so always found)."""
    return np.argmax(E.astype(np.float64) <= EPS, axis=1)


def k_bound(g):
    """The estimate from g alone, per record (docs/ANALYSIS.md)."""
    R, n, _ = g.shape
    # prefix[r,t,m] = sum_{j<m} g[r,t,j], m = 0..n (j > t are zeros)
    prefix = np.zeros((R, n, n + 1))
    np.cumsum(g, axis=2, dtype=np.float64, out=prefix[:, :, 1:])
    total = prefix[:, :, n]                       # total_t
    # tail_t(k) = sum_{j < t-k} g[t,j] = prefix[t, t-k]; it only falls as k
    # grows, so k_t = t - (the largest m <= t with prefix[t,m] <= eps*total_t)
    ok = prefix <= EPS * total[:, :, None]
    t = np.arange(n)
    ok &= np.arange(n + 1)[None, :] <= t[:, None]  # m <= t
    k_t = t[None, :] - (ok.sum(axis=2) - 1)       # 0 when total_t = 0
    need = math.ceil(LOSS_SHARE * n)
    if need <= 0:
        return np.zeros(R, dtype=np.int64)
    return np.sort(k_t, axis=1)[:, need - 1]


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("summarize", "per-batch"):
        sys.exit("usage: analysis_numpy.py summarize|per-batch RUN.h5")
    mode, path = sys.argv[1], sys.argv[2]
    with h5py.File(path, "r") as f:
        rec = f["record"]
        # committed rows: the shortest dataset of /record
        R = min(d.shape[0] for d in rec.values() if isinstance(d, h5py.Dataset))
        batch = rec["batch"][:R]
        g = rec["itemized"][:R]
        E = rec["truncation_error"][:R]
        if mode == "summarize":
            vocab = f["model/vocab"][:]
            position = rec["position"][:R]
            target = rec["target"][:R]
            predicted = rec["predicted"][:R]
            loss = rec["loss"][:R]
    n = g.shape[1]
    out = []
    w = out.append
    if mode == "summarize":
        bar = g.sum(axis=1, dtype=np.float64)     # bar[j] = sum_t g[t,j]
        max_step = np.argmax(bar, axis=1)         # first j of the maximum
        rows = np.arange(R)
        max_grad = bar[rows, max_step]
        tgt = vocab[target[rows, max_step]]
        prd = vocab[predicted[rows, max_step]]
        mean_loss = loss.mean(axis=1, dtype=np.float64)
        accuracy = (predicted == target).mean(axis=1)
        ke = k_exact(E)
        kb = k_bound(g)
        esc = [escape(b) for b in range(256)]
        w("batch\tposition\tmax_grad\tmax_step\ttarget\tpredicted\tloss\t"
          "accuracy\tk_exact\tk_bound\n")
        for r in range(R):
            w("%d\t%d\t%.9g\t%d\t%s\t%s\t%.9g\t%.9g\t%d\t%d\n" % (
                batch[r], position[r], max_grad[r], max_step[r], esc[tgt[r]],
                esc[prd[r]], mean_loss[r], accuracy[r], ke[r], kb[r]))
    else:
        ks = [k for k in (0, 1, 2, 4, 8) if k < n]
        ke = k_exact(E)
        kb = k_bound(g)
        Ek = E[:, ks].astype(np.float64)
        w("\t".join(["batch", "k_exact", "k_bound"] + ["E%d" % k for k in ks]) + "\n")
        fmt = "%d\t%d\t%d" + "\t%.9g" * len(ks) + "\n"
        for r in range(R):
            w(fmt % ((batch[r], ke[r], kb[r]) + tuple(Ek[r])))
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
