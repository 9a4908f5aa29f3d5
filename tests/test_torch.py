#!/usr/bin/python3
"""test_torch.py - rnnbow's runs against PyTorch itself.

    /usr/bin/python3 tests/test_torch.py ./rnnbow

SPEC 1 promises PyTorch's nn.RNN / nn.LSTM / nn.GRU equations, gate order and
parameter layout, "so saved params load into PyTorch unchanged". For each
cell (vanilla tanh and relu, LSTM, GRU) at one and two layers this records a
small run with --save-params --save-hidden and, for every record:

  * loads /record/params into torch.nn.RNN/LSTM/GRU(num_layers=L) with
    load_state_dict(strict=True) and the output layer into nn.Linear: the
    names and shapes must match exactly;
  * runs the module from the record's h0 (and c0) on the one-hot inputs and
    compares every layer's h_t (and c_t) and the losses and predictions;
  * itemizes with autograd instead of a hand-derived backward: the step is
    unrolled with the module's own tensors, W_hh h_{j-1} is kept as a tensor
    of its own at every step and layer, and for each loss L_t alone,
    torch.autograd.grad gives delta_{t,j} = dL_t/d(W_hh h_{j-1}) at once for
    every j; from them g[t,j], g per gate, E[k] and E per gate, compared with
    what rnnbow stored; and the sum of every G_{t,j} must equal the gradient
    autograd gives for weight_hh_l<l> of the whole loss; and per-unit flow
    unit_flow[d,u] = sum_t |delta_{t,t-d}[u]| (a gated unit's G entries
    added) against /record/unit_flow of every layer.

Everything runs in float64 from the float32 file. TAP-style output, exit 1
if a check failed.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, diag  # noqa: E402
from test_file import compare, s  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, step_corpus, load_module, sfx  # noqa: E402

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def unrolled(mod, cell, act, L, H, x1h, h0, c0):
    """The module's step by hand on its own tensors, keeping rec[l][j] =
    W_hh h_{j-1} (before b_hh) as a tensor the loss depends on. Returns the
    top layer's h_t, every layer's h_t and c_t, and rec."""
    n = x1h.shape[0]
    hs, cs, rec = [], [], []
    below = x1h
    for l in range(L):
        W_ih, W_hh = getattr(mod, "weight_ih_l%d" % l), getattr(mod, "weight_hh_l%d" % l)
        b_ih, b_hh = getattr(mod, "bias_ih_l%d" % l), getattr(mod, "bias_hh_l%d" % l)
        h, c = h0[l], c0[l]
        hl, cl, rl = [], [], []
        for t in range(n):
            rt = W_hh @ h
            rl.append(rt)
            a = W_ih @ below[t] + b_ih
            if cell == "rnn":
                z = a + rt + b_hh
                h = torch.tanh(z) if act == "tanh" else torch.relu(z)
            elif cell == "lstm":
                z = a + rt + b_hh
                i, fg, g, o = z.split(H)
                c = torch.sigmoid(fg) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                rh = rt + b_hh
                rg = torch.sigmoid(a[:H] + rh[:H])
                zg = torch.sigmoid(a[H:2 * H] + rh[H:2 * H])
                ng = torch.tanh(a[2 * H:] + rg * rh[2 * H:])
                h = (1 - zg) * ng + zg * h
            hl.append(h)
            cl.append(c)
        hs.append(torch.stack(hl))
        cs.append(torch.stack(cl))
        rec.append(rl)
        below = hs[-1]
    return hs, cs, rec


def e_of(S, lo, hi):
    """E[k] from S (lags, GH, H): rows [lo, hi) of each lag's sum."""
    tot = S[:, lo:hi].sum(0)
    nt = float((tot ** 2).sum())
    n = S.shape[0]
    return np.array([np.sqrt(float((S[k + 1:, lo:hi].sum(0) ** 2).sum()) / nt) if nt > 0 else 0.0
                     for k in range(n)])


def check_run(path, cell, act, L, label):
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        H, V, n = int(m["hidden_size"]), int(m["vocab_size"]), int(m["seq_len"])
        G = GATES[cell]
        check(s(m["cell"]) == cell and int(m["layers"]) == L and int(m["gates"]) == G,
              "%s: /model says cell %s, %d layers, %d gates" % (label, cell, L, G))
        R = f["record/batch"].shape[0]
        worst = {}

        def note(key, ok, msg):
            if not ok and key not in worst:
                worst[key] = msg

        for r in range(R):
            mod, out = load_module(f, cell, act, L, H, V, r)
            x = torch.from_numpy(f["record/input"][r].astype(np.int64))
            y = torch.from_numpy(f["record/target"][r].astype(np.int64))
            x1h = torch.nn.functional.one_hot(x, V).to(torch.float64)
            h0 = torch.stack([torch.from_numpy(f["record/h0" + sfx(l)][r].astype(np.float64))
                              for l in range(L)])
            c0 = (torch.stack([torch.from_numpy(f["record/c0" + sfx(l)][r].astype(np.float64))
                               for l in range(L)]) if cell == "lstm" else torch.zeros(L, H))
            # PyTorch's own module, forward only
            with torch.no_grad():
                state = (h0[:, None], c0[:, None]) if cell == "lstm" else h0[:, None]
                top, last = mod(x1h[None], state)
            ok, msg = compare(top[0].numpy(), f["record/hidden" + sfx(L - 1)][r], 1e-4, 1e-6)
            note("module", ok, "record %d: nn.%s top layer h_t: %s" % (r, cell.upper(), msg))
            hn = last[0] if cell == "lstm" else last
            for l in range(L):
                ok, msg = compare(hn[l, 0].numpy(), f["record/hidden" + sfx(l)][r][-1], 1e-4, 1e-6)
                note("module", ok, "record %d layer %d: nn.%s h_n: %s" % (r, l, cell.upper(), msg))
                if cell == "lstm":
                    ok, msg = compare(last[1][l, 0].numpy(), f["record/cell" + sfx(l)][r][-1],
                                      1e-4, 1e-6)
                    note("module", ok, "record %d layer %d: nn.LSTM c_n: %s" % (r, l, msg))

            # the same step by hand, with W_hh h_{j-1} kept for autograd
            hs, cs, rec = unrolled(mod, cell, act, L, H, x1h, h0, c0)
            ok, msg = compare(torch.stack([hs[l] for l in range(L)]).detach().numpy(),
                              np.stack([f["record/hidden" + sfx(l)][r] for l in range(L)]),
                              1e-4, 1e-6)
            note("unrolled", ok, "record %d: unrolled h_t of every layer: %s" % (r, msg))
            losses = torch.nn.functional.cross_entropy(out(hs[-1]), y, reduction="none")
            ok, msg = compare(losses.detach().numpy(), f["record/loss"][r], 1e-5, 1e-6)
            note("loss", ok, "record %d: L_t: %s" % (r, msg))
            pred = out(hs[-1]).argmax(1).numpy()
            note("loss", (pred == f["record/predicted"][r]).mean() >= 0.9,
                 "record %d: predictions differ at %s" % (r, np.nonzero(pred != f["record/predicted"][r])))

            # itemize with autograd: one grad call per loss gives every delta_{t,j}
            W = [getattr(mod, "weight_hh_l%d" % l) for l in range(L)]
            full = torch.autograd.grad(losses.sum(), W, retain_graph=True)
            for l in range(L):
                hprev = torch.cat([h0[l][None], hs[l][:-1].detach()])  # h_{j-1}
                g = np.zeros((n, n))
                gq = np.zeros((G, n, n))
                S = np.zeros((n, G * H, H))
                uf = np.zeros((n, H))  # unit_flow[d, u]
                for t in range(n):
                    deltas = torch.autograd.grad(losses[t], rec[l][:t + 1], retain_graph=True)
                    for j, dl in enumerate(deltas):
                        Gtj = torch.outer(dl, hprev[j]).numpy()
                        g[t, j] = np.abs(Gtj).mean()
                        gq[:, t, j] = np.abs(Gtj).reshape(G, H, H).mean(axis=(1, 2))
                        S[t - j] += Gtj
                        uf[t - j] += np.abs(dl.numpy()).reshape(G, H).sum(axis=0)
                ok, msg = compare(S.sum(0), full[l].numpy(), 1e-9, 1e-12)
                note("identity", ok, "record %d layer %d: sum of G vs autograd dW_hh: %s" % (r, l, msg))
                if r == R - 1 and l == L - 1:  # and a truncated sum is told apart
                    bad, _ = compare(S[:-1].sum(0), full[l].numpy(), 1e-9, 1e-12)
                    check(not bad, "%s: the sum of G without the longest lag is told apart "
                          "from dW_hh" % label)
                gmax = g.max()
                ok, msg = compare(f["record/itemized" + sfx(l)][r], g, 2e-4, 1e-6 * gmax)
                note("g", ok, "record %d layer %d: itemized: %s" % (r, l, msg))
                stored = f.get("record/unit_flow" + sfx(l))
                if stored is None:
                    note("uf", False, "no /record/unit_flow%s" % sfx(l))
                else:
                    ok, msg = compare(stored[r], uf, 2e-4, 1e-6 * uf.max())
                    note("uf", ok, "record %d layer %d: unit_flow: %s" % (r, l, msg))
                    if r == R - 1 and l == L - 1:  # the comparison can fail: one gate only
                        bad, _ = compare(stored[r], uf[::-1] if G == 1 else uf / G, 2e-4,
                                         1e-6 * uf.max())
                        check(not bad, "%s: unit_flow %s is told apart" %
                              (label, "with its lags reversed" if G == 1 else "divided by G"))
                ok, msg = compare(f["record/truncation_error" + sfx(l)][r], e_of(S, 0, G * H),
                                  1e-3, 1e-5)
                note("E", ok, "record %d layer %d: truncation_error: %s" % (r, l, msg))
                if G > 1:
                    ok, msg = compare(f["record/itemized_gates" + sfx(l)][r], gq, 2e-4,
                                      1e-6 * gq.max())
                    note("gq", ok, "record %d layer %d: itemized_gates: %s" % (r, l, msg))
                    if r == R - 1 and l == 0:  # the comparison can fail: gates reordered
                        bad, _ = compare(f["record/itemized_gates"][r], gq[::-1], 2e-4,
                                         1e-6 * gq.max())
                        check(not bad, "%s: autograd's g per gate in reverse gate order "
                              "is told apart" % label)
                    Eq = np.stack([e_of(S, q * H, (q + 1) * H) for q in range(G)])
                    ok, msg = compare(f["record/truncation_error_gates" + sfx(l)][r], Eq, 1e-3, 1e-5)
                    note("Eq", ok, "record %d layer %d: truncation_error_gates: %s" % (r, l, msg))

        keys = [("module", "nn.%s loads the saved params (strict) and gives every h_t, c_t" % cell.upper()),
                ("unrolled", "the unrolled step gives the same states"),
                ("loss", "losses and predictions"),
                ("identity", "sum of autograd-itemized G = autograd dW_hh, every layer"),
                ("g", "itemized g = autograd's, every layer"),
                ("E", "truncation_error E = autograd's, every layer"),
                ("uf", "unit_flow = autograd's sum_t |delta_{t,t-d}[u]|, every layer")]
        if G > 1:
            keys += [("gq", "itemized_gates = autograd's per gate"),
                     ("Eq", "truncation_error_gates = autograd's per gate")]
        for key, what in keys:
            check(key not in worst, "%s: %s (%d records)" % (label, what, R), worst.get(key))


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "c.txt")
        with open(corpus, "wb") as fh:
            fh.write(step_corpus(300))
        runs = [("rnn", "tanh", 1), ("rnn", "relu", 2), ("lstm", "tanh", 1), ("lstm", "tanh", 2),
                ("gru", "tanh", 1), ("gru", "tanh", 2)]
        for cell, act, L in runs:
            label = "%s%s L=%d" % (cell, " " + act if cell == "rnn" else "", L)
            path = os.path.join(tmp, "%s_%s_%d.h5" % (cell, act, L))
            cmd = [binary, "record", corpus, "-o", path, "--quiet", "--cell", cell,
                   "--layers", str(L), "--hidden", "6", "--seq-len", "7", "--batches", "40",
                   "--record-every", "13", "--save-params", "--save-hidden", "--init-scale", "0.3"]
            if cell == "rnn":
                cmd += ["--activation", act]
            rc = subprocess.run(cmd, capture_output=True)
            if not check(rc.returncode == 0, "%s: rnnbow record exits 0" % label,
                         rc.stderr.decode(errors="replace")):
                continue
            check_run(path, cell, act, L, label)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
