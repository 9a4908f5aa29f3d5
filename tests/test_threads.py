#!/usr/bin/python3
"""test_threads.py - `record --threads T` gives the same numbers for any T.

    /usr/bin/python3 tests/test_threads.py ./rnnbow

A minibatch's work is cut into parts by the model's size alone, which T
threads share (libcore/rnn_batch.h); OpenBLAS's bits depend on the shape
of a product, so a cut that followed T would change the last bits. For
each cell (the LSTM with two layers), B = 1 and B = 4, with records of
S = 1 and S = 3 sequences (the itemizer's (t, j) blocks are shared too),
every dataset of the run file of T = 2 and T = 3 must equal T = 1's, byte
for byte. H = 40 so that the cut is uneven (units [0, 16) and [16, 40)).
T is no part of a run's identity: a run resumed with another T gives the
uninterrupted run's datasets. And the cut path's gradient (H >= 16, where
test_minibatch.py's H = 5 keeps one part) against PyTorch autograd.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from test_minibatch import run, check_gradients, CORPUS  # noqa: E402


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o[()]))
                     if isinstance(o, h5py.Dataset) else None)
    return out


def differences(a, b):
    """Names of the datasets of a and b that are not the same bytes."""
    da, db = datasets(a), datasets(b)
    bad = sorted(set(da) ^ set(db))
    for k in sorted(set(da) & set(db)):
        x, y = da[k], db[k]
        if x.shape != y.shape or x.dtype != y.dtype or x.tobytes() != y.tobytes():
            bad.append(k)
    return bad, len(da)


def record(binary, tmp, name, args):
    path = os.path.join(tmp, name + ".h5")
    r = subprocess.run([binary, "record", os.path.join(tmp, "c.txt"), "-o", path, "--quiet",
                        "--force"] + args, capture_output=True, text=True)
    return path, r


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "c.txt"), "wb") as fh:
            fh.write(CORPUS * 4)
        for cell, L in (("rnn", 1), ("lstm", 2), ("gru", 1)):
            for B, S in ((1, 1), (4, 1), (4, 3)):
                label = "%s L=%d B=%d S=%d" % (cell, L, B, S)
                base = ["--cell", cell, "--layers", str(L), "--hidden", "40", "--seq-len", "8",
                        "--batch-size", str(B), "--record-sequences", str(S),
                        "--record-every", "2", "--save-params", "--save-hidden",
                        "--optimizer", "adam", "--batches", "7"]
                one, r = record(binary, tmp, "t1", base + ["--threads", "1"])
                if not check(r.returncode == 0, "%s: --threads 1 exits 0" % label, r.stderr):
                    continue
                for T in (2, 3):
                    p, r = record(binary, tmp, "t%d" % T, base + ["--threads", str(T)])
                    bad, n = differences(one, p) if r.returncode == 0 else (["(failed)"], 0)
                    check(not bad, "%s: --threads %d: all %d datasets = --threads 1's, bit for bit"
                          % (label, T, n), lambda: r.stderr + " differ: " + " ".join(bad))
                if B == 1:
                    continue
                # resumed with another T: stop at 4 batches with T = 2, go on with T = 1
                p, r = record(binary, tmp, "res", base[:-1] + ["4", "--threads", "2"])
                r2 = subprocess.run([binary, "record", os.path.join(tmp, "c.txt"), "-o", p,
                                     "--quiet", "--resume", "--threads", "3"] + base,
                                    capture_output=True, text=True)
                bad, n = differences(one, p) if r.returncode == r2.returncode == 0 else \
                    (["(failed)"], 0)
                check(not bad, "%s: 4 batches with --threads 2, resumed to 7 with --threads 3: "
                      "all %d datasets = an uninterrupted --threads 1 run's" % (label, n),
                      lambda: r.stderr + r2.stderr + " differ: " + " ".join(bad))
        for cell, act, L in (("rnn", "tanh", 1), ("lstm", "tanh", 2), ("gru", "tanh", 1)):
            label = "%s L=%d B=3 H=20, --threads 2" % (cell, L)
            p = run(binary, tmp, cell, act, L, 3,
                    ["--batches", "2", "--record-every", "1", "--optimizer", "sgd", "--lr", "1",
                     "--clip", "0", "--hidden", "20", "--threads", "2"], "g_%s_%d" % (cell, L))
            if check(p.endswith(".h5"), "%s: rnnbow record exits 0" % label, p):
                check_gradients(p, cell, act, L, 3, label)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
