#!/usr/bin/python3
"""check_run.py - the run files examples/c writes through librnnbow, read back
with h5py and held against the library itself.

    /usr/bin/python3 tests/lib/check_run.py PATH/librnnbow.so.0 TOKENS.h5 DENSE.h5

The two files come from the same training (example.c with tokens, then with
one-hot dense rows). Checked: the attributes and shapes of SPEC 2 and
docs/FORMAT.md (a 2-layer LSTM: per layer and per gate datasets, c0,
params, hidden and cell), the dense marks (/model input, input_size, /record/input -1), the
/train rows; then every record is rebuilt from what the file says (its
params, input, target, h0 and c0 per layer) and itemized again by
rnnbow_itemize_gates: g, E, g_q and E_q of both layers, predicted and loss
must be the file's. The dense file must hold the token file's numbers (its
first record bit for bit; training then drifts by float rounding).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tap  # noqa: E402
from tap import check  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from rnnbow_lib import F, I32, load  # noqa: E402


def fptr(a):
    return a.ctypes.data_as(F)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_layout(f, label, dense):
    m, t, r = f["model"].attrs, f["train"].attrs, f["record"]
    L, H, n, V, G = (int(m[k]) for k in ("layers", "hidden_size", "seq_len", "vocab_size",
                                          "gates"))
    R = r["batch"].shape[0]
    check(text(f.attrs["format"]) == "rnnbow" and int(f.attrs["format_version"]) == 1 and
          text(m["cell"]) == "lstm" and (L, H, n, G) == (2, 16, 24, 4),
          "%s: root and /model attributes" % label)
    check(text(m["input"]) == ("dense" if dense else "tokens") and int(m["input_size"]) == V,
          "%s: /model input = %s, input_size = %d" % (label, text(m["input"]), V))
    check(f["model/vocab"].shape == (V,) and bytes(f["model/vocab"][:5]) == b"the q",
          "%s: /model/vocab holds the caller's bytes" % label)
    check(text(t["optimizer"]) == "sgd" and int(t["batches"]) == 300 and
          int(t["record_every"]) == 10, "%s: /train attributes" % label)
    tb = f["train/batch"][:]
    check(np.array_equal(tb, np.arange(300)) and f["train/loss"].shape == (300,) and
          np.all(np.isfinite(f["train/grad_norm"][:])) and not f["train/nonfinite"][:].any(),
          "%s: /train: 300 rows, finite" % label)
    check(R == 30 and np.array_equal(r["batch"][:], np.arange(0, 300, 10)) and
          np.all(r["position"][:] == -1), "%s: 30 records, every 10th batch, position -1" % label)
    shapes = {"input": (R, n), "target": (R, n), "predicted": (R, n), "loss": (R, n),
              "itemized": (R, n, n), "truncation_error": (R, n), "h0": (R, H), "c0": (R, H),
              "itemized_gates": (R, G, n, n), "truncation_error_gates": (R, G, n),
              "itemized_l1": (R, n, n), "h0_l1": (R, H), "c0_l1": (R, H),
              "itemized_gates_l1": (R, G, n, n), "params/weight_ih_l0": (R, G * H, V),
              "params/weight_out": (R, V, H)}
    bad = ["%s %s" % (k, r[k].shape if k in r else "missing")
           for k, s in shapes.items() if k not in r or r[k].shape != s]
    check(not bad, "%s: /record shapes" % label, ", ".join(bad))
    inp = r["input"][:]
    check(np.all(inp == -1) if dense else (inp.min() >= 0 and inp.max() < V),
          "%s: /record/input: %s" % (label, "-1, no token ids" if dense else "token ids < V"))


def check_records(lib, f, label, dense, inputs):
    m, r = f["model"].attrs, f["record"]
    L, H, n, V, G = (int(m[k]) for k in ("layers", "hidden_size", "seq_len", "vocab_size",
                                          "gates"))
    net = lib.rnnbow_net_new(b"lstm", V, H, L, V)
    worst = {"g": 0.0, "E": 0.0, "g_q": 0.0, "E_q": 0.0, "loss": 0.0, "states": 0.0}
    pred_ok, rc_ok = True, True
    for i in range(r["batch"].shape[0]):
        for name in r["params"]:
            a = np.ascontiguousarray(r["params"][name][i], np.float32)
            rc_ok &= lib.rnnbow_net_set(net, name.encode(), fptr(a), a.size) == 0
        sfx = lambda k, l: k if l == 0 else "%s_l%d" % (k, l)  # noqa: E731
        h0 = np.ascontiguousarray([r[sfx("h0", l)][i] for l in range(L)], np.float32)
        c0 = np.ascontiguousarray([r[sfx("c0", l)][i] for l in range(L)], np.float32)
        tok = np.ascontiguousarray(inputs[i], np.int32)
        y = np.ascontiguousarray(r["target"][i], np.int32)
        x = np.zeros((n, V), np.float32)
        x[np.arange(n), tok] = 1
        g, E = np.zeros((L, n, n), np.float32), np.zeros((L, n), np.float32)
        gq, Eq = np.zeros((L, G, n, n), np.float32), np.zeros((L, G, n), np.float32)
        rc_ok &= lib.rnnbow_itemize_gates(net, n, fptr(x) if dense else None,
                                          None if dense else tok.ctypes.data_as(I32),
                                          y.ctypes.data_as(I32), fptr(h0), fptr(c0),
                                          fptr(g), fptr(E), fptr(gq), fptr(Eq)) == 0
        losses = np.zeros(n, np.float32)
        hn, cn = np.zeros((L, H), np.float32), np.zeros((L, H), np.float32)
        rc_ok &= lib.rnnbow_forward(net, n, None, tok.ctypes.data_as(I32), y.ctypes.data_as(I32),
                                    fptr(h0), fptr(c0), fptr(losses), fptr(hn), fptr(cn)) == 0
        for l in range(L):  # the last step's states are the final ones
            worst["states"] = max(worst["states"],
                                  np.abs(r[sfx("hidden", l)][i][n - 1] - hn[l]).max(),
                                  np.abs(r[sfx("cell", l)][i][n - 1] - cn[l]).max())
        if i == 0:  # and the one-step forward gives the first
            rc_ok &= lib.rnnbow_forward(net, 1, None, tok.ctypes.data_as(I32),
                                        y.ctypes.data_as(I32), fptr(h0), fptr(c0), None,
                                        fptr(hn), fptr(cn)) == 0
            for l in range(L):
                worst["states"] = max(worst["states"],
                                      np.abs(r[sfx("hidden", l)][i][0] - hn[l]).max(),
                                      np.abs(r[sfx("cell", l)][i][0] - cn[l]).max())
        if i == 1 and not dense:  # the comparison can fail: the same record from zero states
            gz = np.zeros_like(g)
            lib.rnnbow_itemize(net, n, None, tok.ctypes.data_as(I32), y.ctypes.data_as(I32),
                               None, None, fptr(gz), fptr(np.zeros((L, n), np.float32)))
            check(np.abs(r["itemized"][i] - gz[0]).max() > 1e-3 * np.abs(gz[0]).max(),
                  "%s: record 1 itemized from zero states instead of its h0, c0 is told "
                  "apart" % label)
        for l in range(L):
            for what, got, key in (("g", g[l], "itemized"), ("E", E[l], "truncation_error"),
                                   ("g_q", gq[l], "itemized_gates"),
                                   ("E_q", Eq[l], "truncation_error_gates")):
                d = np.abs(r[sfx(key, l)][i] - got).max() / max(np.abs(got).max(), 1e-30)
                worst[what] = max(worst[what], d)
        worst["loss"] = max(worst["loss"], np.abs(r["loss"][i] - losses).max())
        pred_ok &= bool(np.all((r["predicted"][i] >= 0) & (r["predicted"][i] < V)))
    lib.rnnbow_net_free(net)
    check(rc_ok, "%s: every record rebuilt and itemized" % label,
          lambda: lib.rnnbow_errmsg().decode())
    for what in ("g", "E", "g_q", "E_q"):
        check(worst[what] <= 1e-5, "%s: %s of both layers = rnnbow_itemize_gates on the file's "
              "params, input, target, h0, c0 (worst %.2g of the max)" % (label, what, worst[what]))
    check(worst["states"] == 0, "%s: hidden and cell of both layers: steps 0 and n-1 = "
          "rnnbow_forward's states (worst %.2g)" % (label, worst["states"]))
    check(worst["loss"] <= 1e-5 and pred_ok, "%s: loss = rnnbow_forward's (worst %.2g), "
          "predicted are ids" % (label, worst["loss"]))


def main():
    lib = load(sys.argv[1])
    files = {"tokens": sys.argv[2], "dense": sys.argv[3]}
    with h5py.File(files["tokens"], "r") as f:
        inputs = f["record/input"][:]  # the dense run's one-hot rows stand for these
    for kind, path in files.items():
        with h5py.File(path, "r") as f:
            check_layout(f, kind, kind == "dense")
            check_records(lib, f, kind, kind == "dense", inputs)
    with h5py.File(files["tokens"], "r") as a, h5py.File(files["dense"], "r") as b:
        keys = ("itemized", "truncation_error", "itemized_l1", "loss")
        same = all(np.array_equal(a["record"][k][0], b["record"][k][0]) for k in keys)
        check(same, "one-hot dense rows: the first record (untrained) = the token run's")
        # the dense path sums W_ih's gradient in another order: training drifts by rounding
        d = max(np.abs(a["record"][k][:] - b["record"][k][:]).max() /
                np.abs(a["record"][k][:]).max() for k in keys)
        check(d <= 1e-3, "one-hot dense rows: every record's g, E and loss within %.2g of "
              "the token run's (of the max)" % d)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
