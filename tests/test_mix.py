#!/usr/bin/python3
"""test_mix.py - components in competition (record --cell mix, --cell A,B,...)
against PyTorch autograd.

    /usr/bin/python3 tests/test_mix.py ./rnnbow

A mix of K components runs K models (nn.RNN/LSTM/GRU + nn.Linear each) on
the same one-hot input and averages their logits. For a mix recorded with
plain SGD at lr 1 and no clipping, every batch recorded with --save-params:

  * each component's saved parameters load into its PyTorch module (strict,
    names prefixed by the component as docs/FORMAT.md says);
  * the batch loss (/record/loss, /train/loss) is PyTorch's cross entropy
    of the averaged logits;
  * every parameter's gradient is autograd's: the update of batch r is
    params[r] - params[r+1] = dL/dtheta at params[r];
  * each component's g, E (and per gate) of every layer are an autograd
    itemization of that component's weight_hh (delta_{t,j} = dL_t /
    d(W_hh h_{j-1}) taken through the mix's averaged loss);
  * the readers: info lists the components, summarize/horizon take
    --component, a reader without component support refuses in one line;
  * bad input is refused in one line: an unknown cell in a list, an
    unknown component.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402
from test_file import compare, s  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, step_corpus, sfx, MODULES  # noqa: E402
from test_torch import unrolled, e_of, GATES  # noqa: E402


READERS = True


def comp_cell(name):
    return name.rstrip("0123456789")


def load_comp(f, name, L, H, V, r):
    """Component `name`'s module and output layer at record r, its params as tensors."""
    cell = comp_cell(name)
    p = f["record/params"]
    pre = name + "."
    t = {k[len(pre):]: torch.from_numpy(p[k][r].astype(np.float64))
         for k in p if k.startswith(pre)}
    mod = MODULES[cell](V, H, num_layers=L, batch_first=True)
    mod.load_state_dict({k: v for k, v in t.items() if not k.endswith("_out")}, strict=True)
    out = torch.nn.Linear(H, V)
    out.load_state_dict({"weight": t["weight_out"], "bias": t["bias_out"]})
    return mod, out


def states(f, name, L, H, r):
    cell = comp_cell(name)
    h0 = torch.stack([torch.from_numpy(f["record/%s.h0%s" % (name, sfx(l))][r].astype(np.float64))
                      for l in range(L)])
    c0 = (torch.stack([torch.from_numpy(f["record/%s.c0%s" % (name, sfx(l))][r].astype(np.float64))
                       for l in range(L)]) if cell == "lstm" else torch.zeros(L, H))
    return h0, c0


def check_run(path, comps, L, label, itemize_records=2):
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        H, V, n = int(m["hidden_size"]), int(m["vocab_size"]), int(m["seq_len"])
        check(s(m["cell"]) == "mix" and s(m["components"]) == ",".join(comps),
              "%s: /model says cell mix, components %s" % (label, ",".join(comps)))
        R = f["record/batch"].shape[0]
        worst = {}

        def note(key, ok, msg):
            if not ok and key not in worst:
                worst[key] = msg

        for r in range(R):
            x = torch.from_numpy(f["record/input"][r].astype(np.int64))
            y = torch.from_numpy(f["record/target"][r].astype(np.int64))
            x1h = torch.nn.functional.one_hot(x, V).to(torch.float64)
            mods, logits, recs, hss = [], [], [], []
            for name in comps:
                mod, out = load_comp(f, name, L, H, V, r)
                for prm in list(mod.parameters()) + list(out.parameters()):
                    prm.requires_grad_(True)
                h0, c0 = states(f, name, L, H, r)
                hs, cs, rec = unrolled(mod, comp_cell(name), "tanh", L, H, x1h, h0, c0)
                ok, msg = compare(hs[-1].detach().numpy(),
                                  f["record/%s.hidden%s" % (name, sfx(L - 1))][r], 1e-4, 1e-6)
                note("states", ok, "record %d %s: top h_t: %s" % (r, name, msg))
                mods.append((mod, out))
                logits.append(out(hs[-1]))
                recs.append(rec)
                hss.append((hs, h0))
            avg = torch.stack(logits).mean(0)
            losses = torch.nn.functional.cross_entropy(avg, y, reduction="none")
            ok, msg = compare(losses.detach().numpy(), f["record/loss"][r], 1e-5, 1e-6)
            note("loss", ok, "record %d: L_t: %s" % (r, msg))
            b = int(f["record/batch"][r])
            ok, msg = compare(np.array([losses.mean().item()]),
                              np.array([f["train/loss"][b]]), 1e-5, 1e-6)
            note("loss", ok, "record %d: /train/loss: %s" % (r, msg))
            # every parameter's gradient against the SGD step to the next record
            allp = []
            for name, (mod, out) in zip(comps, mods):
                allp += [(name + "." + k, v) for k, v in mod.named_parameters()]
                allp += [(name + ".weight_out", out.weight), (name + ".bias_out", out.bias)]
            grads = torch.autograd.grad(losses.sum(), [v for _, v in allp], retain_graph=True)
            if r + 1 < R and int(f["record/batch"][r + 1]) == b + 1:
                for (k, _), gd in zip(allp, grads):
                    p = f["record/params/" + k]
                    step = p[r].astype(np.float64) - p[r + 1].astype(np.float64)
                    gmax = float(np.abs(gd.numpy()).max())
                    ok, msg = compare(step, gd.numpy(), 1e-3, 2e-7 + 1e-4 * gmax)
                    note("grad", ok, "record %d %s: SGD step vs autograd: %s" % (r, k, msg))
            if r >= itemize_records:
                continue
            # each component's itemization through the mix's loss
            for ci, name in enumerate(comps):
                cell = comp_cell(name)
                G = GATES[cell]
                hs, h0 = hss[ci]
                for l in range(L):
                    hprev = torch.cat([h0[l][None], hs[l][:-1].detach()])
                    g = np.zeros((n, n))
                    gq = np.zeros((G, n, n))
                    S = np.zeros((n, G * H, H))
                    for t in range(n):
                        deltas = torch.autograd.grad(losses[t], recs[ci][l][:t + 1],
                                                     retain_graph=True)
                        for j, dl in enumerate(deltas):
                            Gtj = torch.outer(dl, hprev[j]).numpy()
                            g[t, j] = np.abs(Gtj).mean()
                            gq[:, t, j] = np.abs(Gtj).reshape(G, H, H).mean(axis=(1, 2))
                            S[t - j] += Gtj
                    pre = "record/%s." % name
                    ok, msg = compare(f[pre + "itemized" + sfx(l)][r], g, 2e-4, 1e-6 * g.max())
                    note("g", ok, "record %d %s layer %d: itemized: %s" % (r, name, l, msg))
                    ok, msg = compare(f[pre + "truncation_error" + sfx(l)][r], e_of(S, 0, G * H),
                                      1e-3, 1e-5)
                    note("E", ok, "record %d %s layer %d: truncation_error: %s" % (r, name, l, msg))
                    if G > 1:
                        ok, msg = compare(f[pre + "itemized_gates" + sfx(l)][r], gq, 2e-4,
                                          1e-6 * gq.max())
                        note("gq", ok, "record %d %s layer %d: itemized_gates: %s" % (r, name, l, msg))
                        Eq = np.stack([e_of(S, q * H, (q + 1) * H) for q in range(G)])
                        ok, msg = compare(f[pre + "truncation_error_gates" + sfx(l)][r], Eq,
                                          1e-3, 1e-5)
                        note("Eq", ok, "record %d %s layer %d: truncation_error_gates: %s" %
                             (r, name, l, msg))
        for key, what in [("states", "each component's module gives its saved h_t"),
                          ("loss", "L_t and /train/loss = cross entropy of the averaged logits"),
                          ("grad", "every component's parameter gradient = autograd's"),
                          ("g", "each component's itemized g = autograd's, every layer"),
                          ("E", "each component's truncation_error = autograd's"),
                          ("gq", "itemized_gates per component = autograd's"),
                          ("Eq", "truncation_error_gates per component = autograd's")]:
            check(key not in worst, "%s: %s (%d records)" % (label, what, R), worst.get(key))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, **kw)


def one_line(rc, what, needle):
    err = rc.stderr.decode(errors="replace")
    check(rc.returncode != 0 and err.count("\n") == 1 and needle in err,
          "%s: refused in one line naming %s" % (what, needle), err)


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "c.txt")
        with open(corpus, "wb") as fh:
            fh.write(step_corpus(300))
        base = ["--hidden", "5", "--seq-len", "6", "--batches", "5", "--record-every", "1",
                "--save-params", "--save-hidden", "--init-scale", "0.3", "--optimizer", "sgd",
                "--lr", "1", "--clip", "0", "--quiet"]
        runs = [("mix", ["rnn", "lstm", "gru"], 1), ("gru,rnn,gru", ["gru0", "rnn", "gru1"], 2)]
        paths = {}
        for spec, comps, L in runs:
            label = "--cell %s L=%d" % (spec, L)
            path = os.path.join(tmp, "m%d.h5" % L)
            rc = run([binary, "record", corpus, "-o", path, "--cell", spec, "--layers", str(L)]
                     + base)
            if check(rc.returncode == 0, "%s: rnnbow record exits 0" % label,
                     rc.stderr.decode(errors="replace")):
                check_run(path, comps, L, label)
                paths[L] = path
        if 1 in paths and READERS:
            check_readers(binary, paths[1], tmp)
        check_tracing(binary, corpus, tmp)
        check_refusals(binary, corpus, tmp)
    sys.exit(tap.summary())


def check_tracing(binary, corpus, tmp):
    import mixtrace_check
    for spec, comps, L in [("rnn,lstm,gru", ["rnn", "lstm", "gru"], 1),
                           ("lstm,gru,lstm", ["lstm0", "gru", "lstm1"], 2)]:
        path = os.path.join(tmp, "t%d.h5" % L)
        rc = run([binary, "record", corpus, "-o", path, "--cell", spec, "--layers", str(L),
                  "--hidden", "4", "--seq-len", "6", "--batches", "30", "--record-every", "13",
                  "--save-params", "--init-scale", "0.5", "--quiet"])
        label = "trace --cell %s L=%d" % (spec, L)
        if check(rc.returncode == 0, "%s: rnnbow record exits 0" % label, rc.stderr):
            mixtrace_check.run(binary, path, comps, label)


def check_readers(binary, path, tmp):
    info = run([binary, "info", path])
    out = info.stdout.decode()
    check(info.returncode == 0 and "rnn, lstm, gru" in out,
          "info lists the components", out + info.stderr.decode())
    for reader in ("summarize", "horizon"):
        outs = {}
        for c in ("rnn", "lstm", "1", "gru"):
            rc = run([binary, reader, path, "--component", c])
            outs[c] = rc.stdout
            check(rc.returncode == 0, "%s --component %s exits 0" % (reader, c),
                  rc.stderr.decode(errors="replace"))
        check(outs["lstm"] == outs["1"] and outs["rnn"] != outs["lstm"],
              "%s: --component by name or index, each its own component's" % reader)
        rc = run([binary, reader, path])
        check(rc.returncode == 0 and rc.stdout == outs["rnn"],
              "%s: the first component by default" % reader)
        one_line(run([binary, reader, path, "--component", "tcn"]), reader + " --component tcn",
                 "no component 'tcn'")
    one_line(run([binary, "info", path, "--component", "tcn"]), "info --component tcn",
             "no component 'tcn'")
    for args in (["diagnose", path], ["units", path], ["sample", path]):
        one_line(run([binary] + args), args[0] + " on a mix", "a mix of components")


def check_refusals(binary, corpus, tmp):
    out = os.path.join(tmp, "bad.h5")
    one_line(run([binary, "record", corpus, "-o", out, "--cell", "rnn,foo"]), "--cell rnn,foo",
             "--cell")
    check(not os.path.exists(out), "--cell rnn,foo leaves no file")
    one_line(run([binary, "record", corpus, "-o", out, "--cell", "mix", "--batch-size", "2"]),
             "--cell mix --batch-size 2", "--batch-size")


if __name__ == "__main__":
    main()
