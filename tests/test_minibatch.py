#!/usr/bin/python3
"""test_minibatch.py - `record --batch-size B` against PyTorch autograd.

    /usr/bin/python3 tests/test_minibatch.py ./rnnbow

For each cell (vanilla tanh and relu, LSTM, GRU), one and two layers and
B = 1..8 sequences per batch, rnnbow trains two batches with plain SGD at
lr 1 and no clipping, so the parameters it saved with the two records
(before each update) differ by exactly the gradient of batch 0. PyTorch
rebuilds the batch independently: sequence b reads the corpus from
b * (len // B) (char-rnn's evenly spaced stretches), from a zero state;
nn.RNN/LSTM/GRU loaded from record 0's parameters give the loss (the sum
over the B*n steps), autograd its gradient for every parameter, and both
must match /train/loss[0] (the mean over B*n) and record 0 - record 1.
Batch 1 goes on from each sequence's own final state with record 1's
parameters and must give /train/loss[1].

With --record-sequences S (B = 2..4) the itemized g[t,j] and E[k] (and the
gated cells' per-gate ones) of a record are checked against an autograd
itemization of the first S sequences: G_{t,j} = sum_s dL^s_t/d(W_hh
h^s_{j-1}) (h^s_{j-1})^T, formed explicitly. Everything runs in float64.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402
from test_file import compare  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, step_corpus, load_module, sfx  # noqa: E402
from test_torch import unrolled, e_of, GATES  # noqa: E402

CORPUS = step_corpus(120)


def run(binary, tmp, cell, act, L, B, extra, name):
    path = os.path.join(tmp, name + ".h5")
    cmd = [binary, "record", os.path.join(tmp, "c.txt"), "-o", path, "--quiet", "--cell", cell,
           "--layers", str(L), "--hidden", "5", "--seq-len", "6", "--batch-size", str(B),
           "--init-scale", "0.3", "--save-params"] + extra
    if cell == "rnn":
        cmd += ["--activation", act]
    rc = subprocess.run(cmd, capture_output=True)
    return path if rc.returncode == 0 else rc.stderr.decode(errors="replace")


def batch_tensors(f, B, n, pos):
    """x (B, n, V) one-hot and y (B, n) of the batch at offset pos of each stretch."""
    vocab = list(f["model/vocab"][:])
    ids = np.array([vocab.index(c) for c in CORPUS])
    stretch = len(ids) // B
    V = len(vocab)
    x = np.stack([ids[b * stretch + pos: b * stretch + pos + n] for b in range(B)])
    y = np.stack([ids[b * stretch + pos + 1: b * stretch + pos + n + 1] for b in range(B)])
    x1h = torch.nn.functional.one_hot(torch.from_numpy(x), V).to(torch.float64)
    return x1h, torch.from_numpy(y)


def check_gradients(path, cell, act, L, B, label):
    with h5py.File(path, "r") as f:
        H, V, n = (int(f["model"].attrs[k]) for k in ("hidden_size", "vocab_size", "seq_len"))
        check(int(f["train"].attrs.get("batch_size", 1)) == B,
              "%s: /train batch_size is %d" % (label, B))
        mod, out = load_module(f, cell, act, L, H, V, 0)
        x, y = batch_tensors(f, B, n, 0)
        zero = torch.zeros(L, B, H)
        top, last = mod(x, (zero, zero) if cell == "lstm" else zero)
        loss = torch.nn.functional.cross_entropy(out(top).reshape(-1, V), y.reshape(-1),
                                                 reduction="sum")
        ok, msg = compare(np.array([loss.item() / (B * n)]), f["train/loss"][0:1], 1e-5, 1e-6)
        check(ok, "%s: batch 0's loss = nn.%s's mean over B*n steps" % (label, cell.upper()), msg)
        params = dict(mod.named_parameters())
        params["weight_out"], params["bias_out"] = out.weight, out.bias
        grads = torch.autograd.grad(loss, list(params.values()))
        worst = None
        for (name, _), g in zip(params.items(), grads):
            rb = f["record/params/" + name]
            diff = rb[0].astype(np.float64) - rb[1].astype(np.float64)  # sgd, lr 1
            ok, msg = compare(diff, g.numpy(), 1e-4, 1e-6)
            if not ok and worst is None:
                worst = "%s: %s" % (name, msg)
        check(worst is None, "%s: the gradient of batch 0 (every parameter) = autograd's"
              % label, worst)
        # batch 1: each sequence from its own final state, record 1's parameters
        mod1, out1 = load_module(f, cell, act, L, H, V, 1)
        x1, y1 = batch_tensors(f, B, n, n)
        with torch.no_grad():
            top1, _ = mod1(x1, last)
            l1 = torch.nn.functional.cross_entropy(out1(top1).reshape(-1, V), y1.reshape(-1))
        ok, msg = compare(np.array([l1.item()]), f["train/loss"][1:2], 1e-5, 1e-6)
        check(ok, "%s: batch 1 goes on from each sequence's own state" % label, msg)


def itemize_autograd(mod, out, cell, act, L, H, x, y, h0, c0, S):
    """g (L, n, n), gq (L, G, n, n), E (L, n), Eq (L, G, n) of the first S sequences."""
    n, G = x.shape[1], GATES[cell]
    res = []
    runs = []
    for s in range(S):
        hs, cs, rec = unrolled(mod, cell, act, L, H, x[s], h0[:, s], c0[:, s])
        losses = torch.nn.functional.cross_entropy(out(hs[-1]), y[s], reduction="none")
        runs.append((hs, rec, losses))
    for l in range(L):
        Gs = np.zeros((n, n, G * H, H))
        for s, (hs, rec, losses) in enumerate(runs):
            hprev = torch.cat([h0[l, s][None], hs[l][:-1].detach()])
            for t in range(n):
                ds = torch.autograd.grad(losses[t], rec[l][:t + 1], retain_graph=True)
                for j, dl in enumerate(ds):
                    Gs[t, j] += torch.outer(dl, hprev[j]).numpy()
        g = np.abs(Gs).mean(axis=(2, 3))
        gq = np.abs(Gs).reshape(n, n, G, H, H).mean(axis=(3, 4)).transpose(2, 0, 1)
        lag = np.zeros((n, G * H, H))
        for t in range(n):
            for j in range(t + 1):
                lag[t - j] += Gs[t, j]
        uf = np.zeros((n, H))  # unit_flow: |delta| of every sequence, gates added
        for s, (hs, rec, losses) in enumerate(runs):
            for t in range(n):
                ds = torch.autograd.grad(losses[t], rec[l][:t + 1], retain_graph=True)
                for j, dl in enumerate(ds):
                    uf[t - j] += np.abs(dl.numpy()).reshape(G, H).sum(axis=0)
        E = e_of(lag, 0, G * H)
        Eq = np.stack([e_of(lag, q * H, (q + 1) * H) for q in range(G)])
        res.append((g, gq, E, Eq, uf))
    return res


def check_itemized(path, cell, act, L, B, S, label):
    with h5py.File(path, "r") as f:
        H, V, n = (int(f["model"].attrs[k]) for k in ("hidden_size", "vocab_size", "seq_len"))
        check(int(f["train"].attrs["record_sequences"]) == S,
              "%s: /train record_sequences is %d" % (label, S))
        R = f["record/batch"].shape[0]
        G = GATES[cell]
        worst = {}
        for r in range(R):
            mod, out = load_module(f, cell, act, L, H, V, r)
            pos = int(f["record/batch"][r]) * n  # one pass: no wrap in this corpus
            x, y = batch_tensors(f, B, n, pos)

            def state(name):
                a = np.stack([f["record/%s%s" % (name, sfx(l))][r] for l in range(L)])
                a = a.reshape(L, S, H) if S > 1 else a.reshape(L, 1, H)
                return torch.from_numpy(a.astype(np.float64))
            h0 = state("h0")
            c0 = state("c0") if cell == "lstm" else torch.zeros(L, S, H)
            got_x = f["record/input"][r].reshape(S, n)
            if not np.array_equal(got_x, x[:S].argmax(-1).numpy()) and "input" not in worst:
                worst["input"] = "record %d: input %s, expected %s" % (
                    r, got_x.tolist(), x[:S].argmax(-1).tolist())
            res = itemize_autograd(mod, out, cell, act, L, H, x, y, h0, c0, S)
            for l, (g, gq, E, Eq, uf) in enumerate(res):
                ok, msg = compare(f["record/unit_flow" + sfx(l)][r], uf, 2e-4, 1e-6 * uf.max())
                if not ok:
                    worst.setdefault("uf", "record %d layer %d: unit_flow: %s" % (r, l, msg))
                ok, msg = compare(f["record/itemized" + sfx(l)][r], g, 2e-4, 1e-6 * g.max())
                if not ok:
                    worst.setdefault("g", "record %d layer %d: %s" % (r, l, msg))
                ok, msg = compare(f["record/truncation_error" + sfx(l)][r], E, 1e-3, 1e-5)
                if not ok:
                    worst.setdefault("E", "record %d layer %d: %s" % (r, l, msg))
                if G > 1:
                    ok, msg = compare(f["record/itemized_gates" + sfx(l)][r], gq, 2e-4,
                                      1e-6 * gq.max())
                    if not ok:
                        worst.setdefault("gq", "record %d layer %d: %s" % (r, l, msg))
                    ok, msg = compare(f["record/truncation_error_gates" + sfx(l)][r], Eq,
                                      1e-3, 1e-5)
                    if not ok:
                        worst.setdefault("Eq", "record %d layer %d: %s" % (r, l, msg))
        keys = ["input", "g", "E", "uf"] + (["gq", "Eq"] if G > 1 else [])
        for k in keys:
            check(k not in worst, "%s: %s of the first %d sequences = autograd's (%d records)"
                  % (label, k, S, R), worst.get(k))


def check_readers(binary, path, label):
    """summarize, horizon, plot and info read a file with the sequence axis;
    the per-sequence columns are sequence 0's."""
    with h5py.File(path, "r") as f:
        S = int(f["train"].attrs["record_sequences"])
        check(f["record/input"].shape[1:] == (S, f["model"].attrs["seq_len"])
              and f["record/position"].shape[1:] == (S,),
              "%s: per-sequence datasets have the sequence axis after R" % label)
        loss0 = f["record/loss"][:, 0, :].mean(axis=1)
        pos0 = f["record/position"][:, 0]
    out = subprocess.run([binary, "summarize", path], capture_output=True, text=True)
    rows = [ln.split("\t") for ln in out.stdout.splitlines()]
    ok = out.returncode == 0 and len(rows) == len(loss0) + 1
    if ok:
        h = rows[0]
        got = np.array([float(r[h.index("loss")]) for r in rows[1:]])
        gpos = np.array([int(r[h.index("position")]) for r in rows[1:]])
        ok = np.allclose(got, loss0, rtol=1e-5) and (gpos == pos0).all()
    check(ok, "%s: summarize reads sequence 0's loss and position" % label, out.stderr)
    with h5py.File(path, "r") as f:
        loss1 = f["record/loss"][:, 1, :].mean(axis=1)
        pos1 = f["record/position"][:, 1]
    out = subprocess.run([binary, "summarize", "--sequence", "1", path], capture_output=True,
                         text=True)
    rows = [ln.split("\t") for ln in out.stdout.splitlines()]
    ok = out.returncode == 0 and len(rows) == len(loss1) + 1
    if ok:
        h = rows[0]
        ok = (np.allclose([float(r[h.index("loss")]) for r in rows[1:]], loss1, rtol=1e-5)
              and [int(r[h.index("position")]) for r in rows[1:]] == list(pos1))
    check(ok, "%s: summarize --sequence 1 reads sequence 1's loss and position" % label,
          out.stderr)
    out = subprocess.run([binary, "summarize", "--sequence", str(S), path], capture_output=True,
                         text=True)
    check(out.returncode == 1 and "no sequence %d" % S in out.stderr and not out.stdout,
          "%s: summarize --sequence %d is refused in one line" % (label, S), out.stderr)
    for args in (["horizon", path], ["info", path],
                 ["plot", "batch", "--top", "1", path, "-o", path + ".svg"],
                 ["plot", "overview", path, "-o", path + ".png"]):
        rc = subprocess.run([binary] + args, capture_output=True, text=True)
        check(rc.returncode == 0, "%s: %s reads it" % (label, " ".join(a for a in args[:2] if a != path)), rc.stderr)


def check_refusals(binary, tmp):
    """B larger than the corpus allows, S larger than B: one line, no file."""
    small = os.path.join(tmp, "small.txt")
    with open(small, "wb") as fh:
        fh.write(b"abcdefghij" * 10)  # 100 bytes: 4 sequences of 24 steps need 100
    out = os.path.join(tmp, "refused.h5")
    for args, rc, what in (
            (["--seq-len", "24", "--batch-size", "5"], 1, "need at least 125"),
            (["--batch-size", "2", "--record-sequences", "3"], 2, "--record-sequences 3")):
        r = subprocess.run([binary, "record", small, "-o", out, "--quiet"] + args,
                           capture_output=True, text=True)
        lines = r.stderr.splitlines()
        check(r.returncode == rc and len(lines) >= 1 and what in lines[0]
              and not os.path.exists(out),
              "%s: refused (exit %d) in one line naming it, no file left" % (" ".join(args), rc),
              r.stderr)
    r = subprocess.run([binary, "record", small, "-o", out, "--quiet", "--seq-len", "24",
                        "--batch-size", "4", "--batches", "3"], capture_output=True, text=True)
    check(r.returncode == 0, "4 sequences of 24 steps fit in 100 bytes", r.stderr)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "c.txt"), "wb") as fh:
            fh.write(CORPUS)
        check_refusals(binary, tmp)
        cells = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
        for i, (cell, act) in enumerate(cells):
            for L in (1, 2):
                for B in range(1, 9):
                    if (B + i + L) % 3 and B not in (1, 8):  # a spread of B per cell and depth
                        continue
                    label = "%s%s L=%d B=%d" % (cell, " relu" if act == "relu" else "", L, B)
                    p = run(binary, tmp, cell, act, L, B,
                            ["--batches", "2", "--record-every", "1", "--optimizer", "sgd",
                             "--lr", "1", "--clip", "0"], "g_%s_%s_%d_%d" % (cell, act, L, B))
                    if check(p.endswith(".h5"), "%s: rnnbow record exits 0" % label, p):
                        check_gradients(p, cell, act, L, B, label)
        for i, (cell, act) in enumerate(cells):
            for L in (1, 2):
                B = 2 + (i + L) % 3
                for S in sorted({1, B}):
                    label = "%s%s L=%d B=%d S=%d" % (cell, " relu" if act == "relu" else "", L,
                                                      B, S)
                    p = run(binary, tmp, cell, act, L, B,
                            ["--batches", "9", "--record-every", "4", "--record-sequences",
                             str(S)], "i_%s_%s_%d_%d_%d" % (cell, act, L, B, S))
                    if check(p.endswith(".h5"), "%s: rnnbow record exits 0" % label, p):
                        check_itemized(p, cell, act, L, B, S, label)
                        if S > 1 and i == 2:
                            check_readers(binary, p, label)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
