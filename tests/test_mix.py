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
import re
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
        check_ablate(binary, corpus, tmp)
        check_resume(binary, corpus, tmp)
        check_init(binary, corpus, tmp)
        check_minibatch(binary, corpus, tmp)
        check_sample(binary, corpus, tmp)
        check_refusals(binary, corpus, tmp)
        check_old(binary, corpus, tmp)
    sys.exit(tap.summary())


def torch_logits(f, r, name, L, H, V, x):
    """Component name's logits over the token ids x from a zero state."""
    mod, out = load_comp(f, name, L, H, V, r)
    x1h = torch.nn.functional.one_hot(torch.from_numpy(x), V).to(torch.float64)
    with torch.no_grad():
        top, _ = mod(x1h[None])
        return out(top[0])


def check_ablate(binary, corpus, tmp):
    path = os.path.join(tmp, "ab.h5")
    comps = ["gru0", "rnn", "gru1", "lstm"]
    rc = run([binary, "record", corpus, "-o", path, "--cell", "gru,rnn,gru,lstm", "--hidden", "6",
              "--seq-len", "8", "--batches", "60", "--record-every", "20", "--save-params",
              "--valid-share", "0.1", "--valid-every", "20", "--valid-steps", "300", "--quiet"])
    if not check(rc.returncode == 0, "ablate: a mix recorded with --valid-share", rc.stderr):
        return
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        H, V, L = int(m["hidden_size"]), int(m["vocab_size"]), int(m["layers"])
        vocab = bytes(f["model/vocab"][:])
        nbytes = int(f["valid"].attrs["bytes"])
        steps = int(f["valid"].attrs["steps"])
        with open(corpus, "rb") as fh:
            text = fh.read()[-nbytes:]
        ids = np.array([vocab.index(c) for c in text[:steps + 1]], dtype=np.int64)
        y = torch.from_numpy(ids[1:])
        bad = []
        for r, batch in enumerate(f["record/batch"][:]):
            batch = int(batch)
            out = run([binary, "ablate", path, "--batch", str(batch)])
            rows = [ln.split("	") for ln in out.stdout.decode().splitlines()]
            if out.returncode != 0 or rows[0] != ["component", "index", "batch", "steps",
                                                  "loss_full", "loss_without", "increase"]:
                bad.append("batch %d: %s" % (batch, out.stderr.decode()))
                continue
            lg = [torch_logits(f, r, c, L, H, V, ids[:-1]) for c in comps]
            full = torch.nn.functional.cross_entropy(torch.stack(lg).mean(0), y).item()
            vrow = list(f["valid/batch"][:]).index(batch)
            if abs(float(rows[1][4]) - full) > 1e-5 * full or \
                    abs(float(f["valid/loss"][vrow]) - full) > 1e-5 * full:
                bad.append("batch %d: loss_full %s, /valid %g, PyTorch %g" % (
                    batch, rows[1][4], f["valid/loss"][vrow], full))
            for k, c in enumerate(comps):
                wo = torch.nn.functional.cross_entropy(
                    torch.stack([lg[j] for j in range(len(comps)) if j != k]).mean(0), y).item()
                got = rows[1 + k]
                if got[0] != c or int(got[3]) != steps or abs(float(got[5]) - wo) > 1e-5 * wo \
                        or abs(float(got[6]) - (wo - full)) > 1e-5 * wo:
                    bad.append("batch %d %s: %s; PyTorch without it %g" % (batch, c, got, wo))
    check(not bad, "ablate: loss_full = /valid's = PyTorch's averaged logits, and each "
          "loss_without = PyTorch's without that component (4 components, 3 records)",
          "\n".join(bad))
    txt = os.path.join(tmp, "t.txt")
    with open(txt, "wb") as fh:
        fh.write(text[:200])
    a = run([binary, "ablate", path, "--batch", "20", "--text", txt, "--component", "rnn"])
    b = run([binary, "ablate", path, "--batch", "20", "--text", txt, "--component", "1",
             "--steps", "0"])
    check(a.returncode == 0 and a.stdout == b.stdout and len(a.stdout.splitlines()) == 2,
          "ablate --text, --component by name or index: one row", a.stderr)
    one_line(run([binary, "ablate", path, "--batch", "20", "--component", "tcn"]),
             "ablate --component tcn", "no component 'tcn'")
    plain = os.path.join(tmp, "plain.h5")
    run([binary, "record", corpus, "-o", plain, "--cell", "mix", "--hidden", "4", "--seq-len",
         "5", "--batches", "3", "--record-every", "1", "--quiet"])
    one_line(run([binary, "ablate", plain, "--batch", "0", "--text", txt]),
             "ablate without saved parameters", "--save-params")
    one_line(run([binary, "ablate", plain + "x", "--batch", "0"]), "ablate of a missing file",
             "plain.h5x")
    single = os.path.join(tmp, "single.h5")
    run([binary, "record", corpus, "-o", single, "--hidden", "4", "--seq-len", "5",
         "--batches", "3", "--record-every", "1", "--save-params", "--quiet"])
    one_line(run([binary, "ablate", single, "--batch", "0", "--text", txt]),
             "ablate of a single model", "not a mix")
    nov = os.path.join(tmp, "nov.h5")
    run([binary, "record", corpus, "-o", nov, "--cell", "mix", "--hidden", "4", "--seq-len",
         "5", "--batches", "3", "--record-every", "1", "--save-params", "--quiet"])
    one_line(run([binary, "ablate", nov, "--batch", "0"]), "ablate with no held-out text",
             "--text FILE")


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset)
                     else None)
    return out


def check_resume(binary, corpus, tmp):
    """A mix stopped and resumed (the checkpoint of a complete run, then
    extended, and a checkpoint every 7 batches) = an uninterrupted run."""
    args = ["--cell", "lstm,rnn,gru", "--layers", "2", "--hidden", "5", "--seq-len", "6",
            "--record-every", "4", "--save-params", "--save-hidden", "--valid-share", "0.1",
            "--valid-every", "5", "--optimizer", "adam", "--sample-every", "6",
            "--sample-length", "12", "--quiet"]
    resume_exact(binary, corpus, tmp, args + ["--batch-size", "3", "--record-sequences", "2"],
                 "mb_")
    resume_exact(binary, corpus, tmp, args, "")
    # relu components: their dead units' windows cross the checkpoints
    resume_exact(binary, corpus, tmp, ["--cell", "rnn,gru,rnn", "--activation", "relu",
                                       "--hidden", "8", "--seq-len", "6", "--record-every", "4",
                                       "--optimizer", "sgd", "--lr", "0.5", "--init-scale",
                                       "0.3", "--on-nonfinite", "skip", "--quiet"], "relu_",
                 stop=14)  # stopped inside a window: fired flags of batch 13 carried


def resume_exact(binary, corpus, tmp, args, tag, stop=13):
    whole, parts = os.path.join(tmp, tag + "whole.h5"), os.path.join(tmp, tag + "parts.h5")
    a = run([binary, "record", corpus, "-o", whole, "--batches", "30"] + args)
    b = run([binary, "record", corpus, "-o", parts, "--batches", str(stop),
             "--checkpoint-every", "7"] + args)
    c = run([binary, "record", corpus, "-o", parts, "--batches", "30", "--resume"] + args)
    if not check(a.returncode == b.returncode == c.returncode == 0,
                 "resume: a mix's runs exit 0", a.stderr + b.stderr + c.stderr):
        return
    da, db = datasets(whole), datasets(parts)
    bad = [k for k in da if k not in db or da[k].shape != db[k].shape or
           not np.array_equal(da[k], db[k], equal_nan=da[k].dtype.kind == "f")] + \
        [k for k in db if k not in da]  # a gated W_hh's rho is NaN by decision
    if tag == "relu_":
        dead = da.get("record/diag/rnn1.dead")
        check(not bad and dead is not None and 0 < dead.sum() < dead.size,
              "resume: a mix of relu components resumed = the uninterrupted run, bit for bit, "
              "its dead units too (%s of %s)" % (None if dead is None else dead.sum(),
                                                None if dead is None else dead.size), bad[:5])
        return
    check(not bad and "record/lstm.itemized_l1" in da and "valid/loss" in da and
          "record/diag/lstm.saturated_l1" in da,
          "resume: a mix%s resumed and extended = the uninterrupted run, bit for bit (%d "
          "datasets)" % (" of 3 sequences a batch" if tag else "", len(da)), bad[:5])
    if tag:
        return
    d = run([binary, "record", corpus, "-o", parts, "--batches", "40", "--resume"] +
            [x if x != "lstm,rnn,gru" else "lstm,gru,rnn" for x in args])
    err = d.stderr.decode()
    check(d.returncode == 1 and "--cell: the run has lstm,rnn,gru, this command says "
          "lstm,gru,rnn" in err, "resume with the components in another order is refused, "
          "naming both", err)


def check_init(binary, corpus, tmp):
    """record --init of a mix: from a mix's record, from PyTorch-named tensors."""
    src = os.path.join(tmp, "whole.h5")  # check_resume's: records of batches 0, 4, ...
    args = ["--cell", "lstm,rnn,gru", "--layers", "2", "--hidden", "5", "--seq-len", "6",
            "--batches", "2", "--record-every", "1", "--save-params", "--quiet"]
    a = os.path.join(tmp, "init_a.h5")
    rc = run([binary, "record", corpus, "-o", a, "--init", src + ":8"] + args)
    tensors = os.path.join(tmp, "tensors.h5")
    with h5py.File(src, "r") as f, h5py.File(tensors, "w") as g:
        r = list(f["record/batch"][:]).index(8)
        want = {k: f["record/params/" + k][r] for k in f["record/params"]}
        for k, v in want.items():
            g[k] = v.astype(np.float64)
    b = os.path.join(tmp, "init_b.h5")
    rc2 = run([binary, "record", corpus, "-o", b, "--init", tensors] + args)
    ok = rc.returncode == 0 and rc2.returncode == 0
    if ok:
        for path in (a, b):
            with h5py.File(path, "r") as f:
                ok = ok and all(np.array_equal(f["record/params/" + k][0], v)
                                for k, v in want.items())
    check(ok, "record --init of a mix: from a mix's record (RUN:B) and from PyTorch-named "
          "tensors (lstm.weight_hh_l0, ...), every component's parameters as saved",
          rc.stderr + rc2.stderr)
    one_line(run([binary, "record", corpus, "-o", os.path.join(tmp, "init_c.h5"), "--init",
                  src, "--hidden", "5", "--layers", "2", "--seq-len", "6", "--batches", "2",
                  "--quiet"]), "--init of one model from a mix", "no parameter weight_ih_l0")


def check_sample(binary, corpus, tmp):
    """A mix samples from its averaged logits: record --sample-every's rows =
    rnnbow sample's; a greedy sample = PyTorch's argmax step by step."""
    path = os.path.join(tmp, "smp.h5")
    comps, L = ["gru", "lstm", "rnn"], 2
    rc = run([binary, "record", corpus, "-o", path, "--cell", ",".join(comps), "--layers", str(L),
              "--hidden", "6", "--seq-len", "8", "--batches", "41", "--record-every", "20",
              "--sample-every", "20", "--sample-length", "30", "--save-params",
              "--init-scale", "0.5", "--quiet"])
    if not check(rc.returncode == 0, "sample: a mix with --sample-every records", rc.stderr):
        return
    with h5py.File(path, "r") as f:
        stored = {int(b): bytes(t) for b, t in zip(f["samples/batch"][:], f["samples/text"][:])}
        same = all(run([binary, "sample", path, "--batch", str(b), "-n", "30"]).stdout == t
                   for b, t in stored.items())
        check(same and len(stored) == 3, "sample: /samples of a mix = rnnbow sample --batch B "
              "(%d samples)" % len(stored))
        m = f["model"].attrs
        H, V = int(m["hidden_size"]), int(m["vocab_size"])
        vocab = bytes(f["model/vocab"][:])
        r = 2
        prime = b"int "
        got = run([binary, "sample", path, "--batch", "40", "-t", "0", "--prime", "int ",
                   "-n", "20"]).stdout
        mods = [load_comp(f, c, L, H, V, r) for c in comps]
        states = [None] * len(comps)
        text = list(prime)
        with torch.no_grad():
            feed = list(prime)
            for i in range(20 + len(prime) - 1):
                x = torch.nn.functional.one_hot(torch.tensor([[vocab.index(feed[i])]]),
                                                V).to(torch.float64)
                lg = []
                for k, (mod, out) in enumerate(mods):
                    top, states[k] = mod(x, states[k])
                    lg.append(out(top[0, -1]))
                if i >= len(prime) - 1:
                    nxt = vocab[int(torch.stack(lg).mean(0).argmax())]
                    text.append(nxt)
                    feed.append(nxt)
        check(got == bytes(text), "sample -t 0 --prime of a mix = PyTorch's argmax of the "
              "averaged logits, step by step", "%r vs %r" % (got, bytes(text)))


def check_minibatch(binary, corpus, tmp):
    """--batch-size B with a mix: batch 0's loss and every gradient against
    PyTorch over the B sequences (char-rnn's stretches), batch 1 from each
    sequence's own state; a record keeps S sequences' shared datasets."""
    path = os.path.join(tmp, "mb.h5")
    comps, B, S, L = ["lstm", "rnn", "gru"], 3, 2, 2
    rc = run([binary, "record", corpus, "-o", path, "--cell", ",".join(comps), "--layers", str(L),
              "--hidden", "5", "--seq-len", "6", "--batch-size", str(B), "--record-sequences",
              str(S), "--batches", "2", "--record-every", "1", "--save-params", "--optimizer",
              "sgd", "--lr", "1", "--clip", "0", "--init-scale", "0.3", "--quiet"])
    if not check(rc.returncode == 0, "minibatch: a mix with --batch-size 3 records", rc.stderr):
        return
    with open(corpus, "rb") as fh:
        text = fh.read()
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        H, V, n = int(m["hidden_size"]), int(m["vocab_size"]), int(m["seq_len"])
        vocab = list(f["model/vocab"][:])
        ids = np.array([vocab.index(c) for c in text])
        stretch = len(ids) // B

        def tensors(pos):
            x = np.stack([ids[b * stretch + pos: b * stretch + pos + n] for b in range(B)])
            y = np.stack([ids[b * stretch + pos + 1: b * stretch + pos + n + 1]
                          for b in range(B)])
            return (torch.nn.functional.one_hot(torch.from_numpy(x), V).to(torch.float64),
                    torch.from_numpy(y), x)
        x, y, xi = tensors(0)
        logits, lasts, allp = [], [], []
        for c in comps:
            mod, out = load_comp(f, c, L, H, V, 0)
            zero = torch.zeros(L, B, H)
            top, last = mod(x, (zero, zero) if c == "lstm" else zero)
            logits.append(out(top))
            lasts.append(last)
            allp += [(c + "." + k, v) for k, v in mod.named_parameters()]
            allp += [(c + ".weight_out", out.weight), (c + ".bias_out", out.bias)]
        avg = torch.stack(logits).mean(0)
        loss = torch.nn.functional.cross_entropy(avg.reshape(-1, V), y.reshape(-1),
                                                 reduction="sum")
        ok, msg = compare(np.array([loss.item() / (B * n)]), f["train/loss"][0:1], 1e-5, 1e-6)
        check(ok, "minibatch: batch 0's loss = PyTorch's over the B sequences", msg)
        grads = torch.autograd.grad(loss, [v for _, v in allp])
        worst = None
        for (k, _), g in zip(allp, grads):
            p = f["record/params/" + k]
            ok, msg = compare(p[0].astype(np.float64) - p[1].astype(np.float64), g.numpy(),
                              1e-3, 2e-7 + 1e-4 * float(np.abs(g.numpy()).max()))
            worst = worst or (None if ok else "%s: %s" % (k, msg))
        check(worst is None, "minibatch: every component's gradient of batch 0 = autograd's",
              worst)
        x1, y1, _ = tensors(n)
        with torch.no_grad():
            lg = []
            for c, last in zip(comps, lasts):
                mod, out = load_comp(f, c, L, H, V, 1)
                top, _ = mod(x1, last)
                lg.append(out(top))
            l1 = torch.nn.functional.cross_entropy(torch.stack(lg).mean(0).reshape(-1, V),
                                                   y1.reshape(-1)).item()
        ok, msg = compare(np.array([l1]), f["train/loss"][1:2], 1e-5, 1e-6)
        check(ok, "minibatch: batch 1 goes on from each component's and sequence's state", msg)
        check(f["record/input"].shape == (2, S, n) and np.array_equal(f["record/input"][0], xi[:S])
              and f["record/lstm.h0_l1"].shape == (2, S, H)
              and f["record/gru.itemized"].shape == (2, n, n),
              "minibatch: a record keeps the first S sequences' inputs and states, one g per "
              "component")


def check_tracing(binary, corpus, tmp):
    import mixtrace_check
    for cell in ("lstm", "gru"):
        path = os.path.join(tmp, "single_%s.h5" % cell)
        rc = run([binary, "record", corpus, "-o", path, "--cell", cell, "--layers", "2",
                  "--hidden", "4", "--seq-len", "6", "--batches", "30", "--record-every", "13",
                  "--save-params", "--init-scale", "0.5", "--quiet"])
        if check(rc.returncode == 0, "trace --param input: one %s recorded" % cell, rc.stderr):
            mixtrace_check.run_single(binary, path, "trace --param input of one %s L=2" % cell)
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
    check(info.returncode == 0 and "rnn, lstm, gru" in out and "rnn.itemized" in out,
          "info lists the components, and the first's datasets", out + info.stderr.decode())
    import json
    js = run([binary, "info", path, "--format", "json", "--component", "gru"])
    d = json.loads(js.stdout) if js.returncode == 0 else {}
    check(d.get("cell") == "mix" and d.get("components") == ["rnn", "lstm", "gru"] and
          d.get("component") == "gru" and "gru.itemized_gates" in d.get("layer_datasets", [[]])[0],
          "info --format json --component gru: components, component, its layer_datasets", d)
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
    svgs = {}
    for c in ("rnn", "lstm"):
        for kind, extra in (("horizon", []), ("trace", ["--batch", "2"])):
            out = os.path.join(tmp, "%s_%s.svg" % (kind, c))
            rc = run([binary, "plot", kind, path, "--component", c, "-o", out] + extra)
            svgs[kind, c] = open(out, "rb").read() if rc.returncode == 0 else None
            check(rc.returncode == 0, "plot %s --component %s on a mix" % (kind, c), rc.stderr)
    check(svgs["trace", "rnn"] != svgs["trace", "lstm"] and
          svgs["horizon", "rnn"] != svgs["horizon", "lstm"],
          "plot horizon and plot trace: each component its own figure")
    check_units(binary, path)
    # report and view read a mix (--component): tests/test_report.py, test_view.py
    for args in (["export", "lstmvis", path, "-o", os.path.join(tmp, "ex")],):
        one_line(run([binary] + args), args[0] + " on a mix", "a mix of components")


def check_units(binary, path, eps=0.1):
    """units --component C: every column of every row from C's own unit_flow
    and truncation_error (docs/ANALYSIS.md "units"), recomputed in numpy."""
    for c in ("rnn", "gru"):
        rc = run([binary, "units", path, "--component", c])
        lines = rc.stdout.decode().splitlines()
        head = lines[0].split("\t") if lines else []
        rows = [dict(zip(head, ln.split("\t"))) for ln in lines[1:]]
        bad = []
        with h5py.File(path, "r") as f:
            F = f["record/%s.unit_flow" % c][:].astype(np.float64)
            E = f["record/%s.truncation_error" % c][:]
            batches = list(f["record/batch"][:])
        for row in rows:
            r, u = batches.index(int(row["batch"])), int(row["unit"])
            below = np.nonzero(E[r] <= eps)[0]
            k = int(below[0]) if len(below) else len(E[r]) - 1
            col = F[r, :, u]
            under = np.nonzero(col[1:] < eps * col[0])[0]
            reach = 0 if not col[0] > 0 else (under[0] + 1 if len(under) else len(col))
            want = (reach, col[k + 1:].sum() / col.sum() if col.sum() > 0 else 0.0, k, col.sum())
            got = tuple(float(row[x]) for x in ("reach", "share_beyond_k", "k_exact", "flow"))
            if any(abs(g - w) > 1e-6 * abs(w) + 1e-30 for g, w in zip(got, want)):
                bad.append("%s: %s, numpy %s" % (row, got, want))
        check(rc.returncode == 0 and len(rows) == len(batches) * F.shape[2] and not bad,
              "units --component %s: every row = numpy's from %s.unit_flow" % (c, c),
              rc.stderr.decode() + "\n".join(bad[:3]))
        # plot units --top 1: the record of C's largest max_grad (the
        # largest bar, as summarize --component C ranks)
        with h5py.File(path, "r") as f:
            g = f["record/%s.itemized" % c][:].astype(np.float64)
        bars = np.tril(g).sum(axis=1)  # bar[j] = sum over t >= j of g[t, j]
        top = batches[int(np.argmax(bars.max(axis=1)))]
        svg = path + ".%s.svg" % c
        rc = run([binary, "plot", "units", "--top", "1", "--component", c, path, "-o", svg])
        check(rc.returncode == 0 and os.path.exists(svg) and
              re.search(r"\bbatch %d\b" % top, open(svg, encoding="utf-8").read()),
              "plot units --top 1 --component %s: the figure of batch %d" % (c, top),
              rc.stderr)


def check_old(binary, corpus, tmp):
    """A run of one model (no /model components, as every run before mixes)
    reads as it did: --component has no effect, info says nothing of a mix;
    one written before gated cells (no cell, gates, gate_names) too."""
    path = os.path.join(tmp, "one.h5")
    rc = run([binary, "record", corpus, "-o", path, "--cell", "lstm", "--hidden", "5",
              "--seq-len", "6", "--batches", "30", "--record-every", "10", "--save-params",
              "--quiet"])
    if not check(rc.returncode == 0, "old files: one LSTM recorded", rc.stderr):
        return
    old = os.path.join(tmp, "old.h5")
    run([binary, "record", corpus, "-o", old, "--hidden", "5", "--seq-len", "6", "--batches",
         "30", "--record-every", "10", "--quiet"])
    with h5py.File(old, "a") as f:
        for a in ("cell", "gates", "gate_names", "layers"):
            del f["model"].attrs[a]
    with h5py.File(path, "r") as f:
        check("components" not in f["model"].attrs, "old files: a one-model run has no "
              "/model components")
    same = []
    for p in (path, old):
        for args in (["summarize"], ["horizon"], ["units"], ["info"], ["info", "--format", "json"],
                     ["trace", "--summary"]):
            if p == old and args[0] == "trace":
                continue
            a = run([binary] + args + [p])
            b = run([binary] + args + [p, "--component", "gru"])
            ok = a.returncode == 0 and a.stdout == b.stdout and b"mix" not in a.stdout and \
                (args[0] == "trace" or b"component" not in a.stdout)
            if not ok:
                same.append("%s %s: %s" % (args, os.path.basename(p), a.stderr + b.stderr))
    check(not same, "old files: every reader reads a one-model run (and one from before gated "
          "cells) as before, --component without effect", same[:3])
    one_line(run([binary, "ablate", path, "--batch", "10", "--text", corpus]),
             "ablate of one model", "not a mix")


def check_refusals(binary, corpus, tmp):
    out = os.path.join(tmp, "bad.h5")
    one_line(run([binary, "record", corpus, "-o", out, "--cell", "rnn,foo"]), "--cell rnn,foo",
             "--cell")
    check(not os.path.exists(out), "--cell rnn,foo leaves no file")
    one_line(run([binary, "record", corpus, "-o", out, "--cell", "rnn,lstm,gru,rnn,lstm,gru,rnn,"
                  "lstm,gru"]), "--cell with 9 components", "--cell")


if __name__ == "__main__":
    main()
