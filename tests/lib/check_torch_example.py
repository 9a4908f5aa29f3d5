#!/usr/bin/python3
"""check_torch_example.py - the run file of examples/torch/train.py against
PyTorch's autograd.

    /usr/bin/python3 tests/lib/check_torch_example.py RUN.h5 DUMP.pt STEPS K

train.py --dump saved, at every recorded step, the tensors PyTorch had: the
batch's embedded inputs, targets, carried h0 and c0, the LSTM's state_dict
and the head. Checked: the file's layout (dense input of the embedding's
width, STEPS /train rows, a record every K-th step, with parameters); then
for the first, a middle and the last record, that the library got sequence 0
of the batch (the stored parameters, h0, c0 of both layers and targets are
PyTorch's, bit for bit), that its losses are nn.LSTM's own forward of that
sequence, and that its g, E, g_q and E_q of both layers equal autograd's
itemization of the same float32 tensors (tests/lib/test_torch_api.py: one
torch.autograd.grad per loss L_t gives every dL_t/d(W_hh h_{j-1})) within
float32 rounding. Two wrong inputs must be told apart: sequence 1 of the
batch, and sequence 0 from zero states instead of its carried ones.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402
from test_torch_api import autograd_itemize  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

TOL = {"g": 1e-4, "E": 1e-4, "g_q": 1e-4, "E_q": 1e-4}  # of the max: float32 rounding


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def rel(got, want):
    """The worst difference, relative to the largest entry of want."""
    want = np.asarray(want, np.float64)
    return float(np.abs(np.asarray(got, np.float64) - want).max() / max(np.abs(want).max(),
                                                                            1e-30))


def modules(rec, In, H, L, V):
    """nn.LSTM and nn.Linear in float64 holding the record's float32 values."""
    lstm = torch.nn.LSTM(In, H, num_layers=L).double()
    lstm.load_state_dict({k: v.double() for k, v in rec["lstm"].items()})
    head = torch.nn.Linear(H, V).double()
    with torch.no_grad():
        head.weight.copy_(rec["weight_out"].double())
        head.bias.copy_(rec["bias_out"].double())
    return lstm, head


def itemize(lstm, head, L, H, x, y, h0, c0):
    return autograd_itemize(lstm, head, "lstm", "tanh", L, H, x.double(), y, h0.double(),
                            c0.double())


def file_items(r, i, L):
    sfx = lambda k, l: k if l == 0 else "%s_l%d" % (k, l)  # noqa: E731
    return {"g": np.stack([r[sfx("itemized", l)][i] for l in range(L)]),
            "E": np.stack([r[sfx("truncation_error", l)][i] for l in range(L)]),
            "g_q": np.stack([r[sfx("itemized_gates", l)][i] for l in range(L)]),
            "E_q": np.stack([r[sfx("truncation_error_gates", l)][i] for l in range(L)]),
            "h0": np.stack([r[sfx("h0", l)][i] for l in range(L)]),
            "c0": np.stack([r[sfx("c0", l)][i] for l in range(L)])}


def check_layout(f, dump, steps, K):
    m, t, r = f["model"].attrs, f["train"].attrs, f["record"]
    In = int(m["input_size"])
    check(text(m["cell"]) == "lstm" and text(m["input"]) == "dense" and
          int(m["layers"]) == dump["layers"] and int(m["hidden_size"]) == dump["hidden"] and
          int(m["vocab_size"]) == len(dump["vocab"]) and
          bytes(f["model/vocab"][:]) == bytes(dump["vocab"]),
          "/model: lstm, %d layers of %d, dense input of %d features, the corpus's %d bytes"
          % (dump["layers"], dump["hidden"], In, len(dump["vocab"])))
    check(text(t["optimizer"]) == "adam" and int(t["batches"]) == steps and
          int(t["record_every"]) == K, "/train attributes: adam, %d batches, every %d"
          % (steps, K))
    check(np.array_equal(f["train/batch"][:], np.arange(steps)) and
          np.all(np.isfinite(f["train/loss"][:])) and np.all(f["train/grad_norm"][:] > 0),
          "/train: a row every step (%d), finite" % steps)
    check(np.array_equal(r["batch"][:], np.arange(0, steps, K)) and
          sorted(dump["records"]) == list(range(0, steps, K)) and "params" in r,
          "/record: every %d-th step, as dumped, with parameters" % K)
    return In


def check_record(f, dump, i, step, In):
    r, rec = f["record"], dump["records"][step]
    L, H, V = dump["layers"], dump["hidden"], len(dump["vocab"])
    label = "record %d (step %d)" % (i, step)
    got = file_items(r, i, L)
    same = all(np.array_equal(r["params"][k][i], v.numpy()) for k, v in rec["lstm"].items()) \
        and np.array_equal(r["params/weight_out"][i], rec["weight_out"].numpy()) \
        and np.array_equal(r["params/bias_out"][i], rec["bias_out"].numpy())
    check(same, "%s: /record/params = the state_dict and head, bit for bit" % label)
    check(np.array_equal(got["h0"], rec["h0"][:, 0].numpy()) and
          np.array_equal(got["c0"], rec["c0"][:, 0].numpy()) and
          np.array_equal(r["target"][i], rec["y"][0].numpy()),
          "%s: h0, c0 of both layers and targets = sequence 0's carried state, bit for bit"
          % label)

    lstm, head = modules(rec, In, H, L, V)
    x, y, h0, c0 = rec["x"][0], rec["y"][0], rec["h0"][:, 0], rec["c0"][:, 0]
    with torch.no_grad():
        out, _ = lstm(x.double(), (h0.double(), c0.double()))
        losses = torch.nn.functional.cross_entropy(head(out), y, reduction="none").numpy()
    d = np.abs(r["loss"][i] - losses).max()
    check(d <= 1e-5, "%s: loss = nn.LSTM's forward of sequence 0 (worst %.2g nats)"
          % (label, d))

    g, E, gq, Eq = itemize(lstm, head, L, H, x, y, h0, c0)
    want = {"g": g, "E": E, "g_q": gq, "E_q": Eq}
    for what in ("g", "E", "g_q", "E_q"):
        d = rel(got[what], want[what])
        check(d <= TOL[what], "%s: %s of both layers = autograd's (worst %.2g of the max)"
              % (label, what, d))
    return lstm, head, got


def check_wrong(dump, step, lstm, head, got):
    """The comparison can fail: other inputs give other numbers."""
    rec = dump["records"][step]
    L, H = dump["layers"], dump["hidden"]
    for what, args in (("sequence 1 of the batch", (rec["x"][1], rec["y"][1], rec["h0"][:, 1],
                                                    rec["c0"][:, 1])),
                       ("sequence 0 from zero states", (rec["x"][0], rec["y"][0],
                                                        torch.zeros(L, H),
                                                        torch.zeros(L, H)))):
        g, E, _, _ = itemize(lstm, head, L, H, *args)
        d = max(rel(got["g"], g), rel(got["E"], E))
        check(d > 100 * TOL["g"], "step %d: autograd on %s is told apart (%.2g of the max)"
              % (step, what, d))


def main():
    torch.set_num_threads(1)
    path, steps, K = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
    dump = torch.load(sys.argv[2])
    with h5py.File(path, "r") as f:
        In = check_layout(f, dump, steps, K)
        R = f["record/batch"].shape[0]
        for n, i in enumerate((0, R // 2, R - 1)):
            step = int(f["record/batch"][i])
            lstm, head, got = check_record(f, dump, i, step, In)
            if n == 1:
                check_wrong(dump, step, lstm, head, got)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
