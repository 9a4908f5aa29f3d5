#!/usr/bin/python3
"""test_diag_file.py - /record/diag and /train/clip_share against numpy and PyTorch.

    /usr/bin/python3 tests/test_diag_file.py ./rnnbow

docs/FORMAT.md "Diagnostics". Small runs (rnn tanh, relu and sigmoid, LSTM,
GRU, a 2-layer LSTM and a 2-layer relu RNN) are recorded with --save-params
--save-hidden; for every record and layer, from the saved parameters,
inputs, h0/c0 and hidden states alone:

  * a float64 numpy step of each cell (PyTorch's equations, one step at a
    time from the saved previous state) gives z and the gates, and from them
    f'(z) of every activation (LSTM i, f, g, o and tanh(c_t); GRU r, z, n):
    the share below 1% of f'_max, the mean and the max must equal
    saturated, gamma and gamma_max (a share may differ by one entry that
    sits on the threshold in float32);
  * numpy.linalg.eigvals and svd of weight_hh (the vanilla cell) or of the
    whole (GH, H) matrix and each gate block must equal rho and sigma_max
    (rho of the whole gated matrix is NaN by decision).

The window of dead units: a relu run recorded every 3 batches and the same
run recorded every batch with --save-hidden train the same (identical
/train), and each record's dead of the first run must be "no h_t > 0 in any
batch of its window" ORed in numpy over the second run's hidden states; a
large learning rate kills units, so dead > 0 really occurs.

clip_share: from a run recorded every batch with --save-params, the gradient
of each batch is recomputed with PyTorch autograd (nn.RNN / nn.LSTM as
tests/test_torch.py builds them) and the share of entries with |g| > clip
must equal /train/clip_share, for a clip that changes some entries but not
all. --no-diagnostics leaves /record/diag out, and a run stripped of the new
datasets (an older file) still reads. Planted mistakes (the wrong gate
block, a window one batch short) must be told apart, so the test can fail.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, diag  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

BIN = None
ACTS = {"rnn": None, "lstm": ["i", "f", "g", "o", "tanh_c"], "gru": ["r", "z", "n"]}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def sfx(l):
    return "" if l == 0 else "_l%d" % l


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def record(tmp, out, args):
    path = os.path.join(tmp, out)
    cmd = [BIN, "record", "--quiet", "-o", path] + args
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    check(r.returncode == 0, "%s: rnnbow record %s exits 0" % (out, " ".join(args)),
          lambda: "stderr: " + r.stderr.decode(errors="replace"))
    return path


# ------------------------------------------------------------ the maths

def derivs(cell, act, W_ih, W_hh, b_ih, b_hh, u, hprev, cprev):
    """One float64 step of one layer from the saved previous state: the
    local derivatives f'(z) of each activation, as {name: (H,) array}."""
    H = W_hh.shape[1]
    gi = W_ih @ u + b_ih
    gh = W_hh @ hprev + b_hh
    if cell == "rnn":
        z = gi + gh
        if act == "tanh":
            return {act: 1.0 - np.tanh(z) ** 2}
        if act == "sigmoid":
            s = sigmoid(z)
            return {act: s * (1.0 - s)}
        return {act: (z > 0).astype(float)}
    if cell == "lstm":
        a = gi + gh
        i, f, o = sigmoid(a[:H]), sigmoid(a[H:2 * H]), sigmoid(a[3 * H:])
        g = np.tanh(a[2 * H:3 * H])
        c = f * cprev + i * g
        return {"i": i * (1 - i), "f": f * (1 - f), "g": 1 - g ** 2, "o": o * (1 - o),
                "tanh_c": 1 - np.tanh(c) ** 2}
    r = sigmoid(gi[:H] + gh[:H])
    zg = sigmoid(gi[H:2 * H] + gh[H:2 * H])
    nn = np.tanh(gi[2 * H:] + r * gh[2 * H:])
    return {"r": r * (1 - r), "z": zg * (1 - zg), "n": 1 - nn ** 2}


FMAX = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "i": 0.25, "f": 0.25, "g": 1.0, "o": 0.25,
        "tanh_c": 1.0, "r": 0.25, "z": 0.25, "n": 1.0}


def layer_derivs(f, r, l, cell, act, V, pre=""):
    """f'(z) of every activation of layer l over record r: {name: (n, H)}
    (pre: a mix's component prefix, "lstm.")."""
    p = f["record/params"]
    W_ih = p[pre + "weight_ih_l%d" % l][r].astype(float)
    W_hh = p[pre + "weight_hh_l%d" % l][r].astype(float)
    b_ih = p[pre + "bias_ih_l%d" % l][r].astype(float)
    b_hh = p[pre + "bias_hh_l%d" % l][r].astype(float)
    hid = f["record/" + pre + "hidden" + sfx(l)][r].astype(float)
    hprev = np.vstack([f["record/" + pre + "h0" + sfx(l)][r][None].astype(float), hid[:-1]])
    if cell == "lstm":
        cel = f["record/" + pre + "cell" + sfx(l)][r].astype(float)
        cprev = np.vstack([f["record/" + pre + "c0" + sfx(l)][r][None].astype(float), cel[:-1]])
    if l == 0:
        ins = np.eye(V)[f["record/input"][r]]
    else:
        ins = f["record/" + pre + "hidden" + sfx(l - 1)][r].astype(float)
    out = {}
    for t in range(hid.shape[0]):
        d = derivs(cell, act, W_ih, W_hh, b_ih, b_hh, ins[t], hprev[t],
                   cprev[t] if cell == "lstm" else None)
        for k, v in d.items():
            out.setdefault(k, []).append(v)
    return {k: np.array(v) for k, v in out.items()}


def spectrum(W, G):
    """rho and sigma_max: the vanilla cell's W_hh; gated: whole (NaN, sigma),
    then each H x H block."""
    H = W.shape[1]
    blocks = [W[q * H:(q + 1) * H] for q in range(G)]
    rho = [np.abs(np.linalg.eigvals(b)).max() for b in blocks]
    sig = [np.linalg.svd(b, compute_uv=False)[0] for b in blocks]
    if G == 1:
        return np.array(rho), np.array(sig)
    return (np.array([np.nan] + rho),
            np.array([np.linalg.svd(W, compute_uv=False)[0]] + sig))


# ------------------------------------------------------------ the checks

def check_run(path, cell, act, L, label, stats, comp=None):
    """comp: (prefix, index) of a mix's component, whose datasets carry the
    prefix and whose activations are the index-th ';' list."""
    pre, k = comp or ("", 0)
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        H, V, n = int(m["hidden_size"]), int(m["vocab_size"]), int(m["seq_len"])
        G = GATES[cell]
        names = ACTS[cell] or [act]
        A = len(names)
        g = f["record/diag"]
        check(g.attrs["activations"].decode().split(";")[k] == ",".join(names),
              "%s: /record/diag activations = %s" % (label, ",".join(names)),
              lambda: g.attrs["activations"])
        R = f["record/batch"].shape[0]
        B = 1 if G == 1 else G + 1
        shapes_ok = all(g[pre + "saturated" + sfx(l)].shape == (R, A) and
                        g[pre + "gamma" + sfx(l)].shape == (R, A) and
                        g[pre + "gamma_max" + sfx(l)].shape == (R, A) and
                        g[pre + "rho" + sfx(l)].shape == (R, B) and
                        g[pre + "sigma_max" + sfx(l)].shape == (R, B)
                        and g[pre + "saturated" + sfx(l)].dtype == np.float32 for l in range(L))
        check(shapes_ok, "%s: saturated, gamma, gamma_max (R,%d), rho, sigma_max (R,%d) float32 "
              "for each of %d layers" % (label, A, B, L))
        has_dead = pre + "dead" in g
        check(has_dead == (cell == "rnn" and act == "relu"),
              "%s: /record/diag/dead only for the relu cell" % label)
        worst = {}

        def note(key, ok, msg):
            if not ok and key not in worst:
                worst[key] = msg

        for r in range(R):
            for l in range(L):
                d = layer_derivs(f, r, l, cell, act, V, pre)
                sat, gam = g[pre + "saturated" + sfx(l)][r], g[pre + "gamma" + sfx(l)][r]
                gmx = g[pre + "gamma_max" + sfx(l)][r]
                for a, name in enumerate(names):
                    fd = d[name]
                    want_sat = 0.0 if name == "relu" else (fd < 0.01 * FMAX[name]).mean()
                    stats["saturated"] = max(stats.get("saturated", 0), want_sat)
                    note("sat", abs(sat[a] - want_sat) <= 1.0 / fd.size + 1e-7,
                         "record %d layer %d %s: saturated %r, numpy %r" %
                         (r, l, name, sat[a], want_sat))
                    note("gamma", abs(gam[a] - fd.mean()) <= 1e-5 * max(1.0, fd.mean()),
                         "record %d layer %d %s: gamma %r, numpy %r" % (r, l, name, gam[a],
                                                                         fd.mean()))
                    note("gmax", abs(gmx[a] - fd.max()) <= 1e-5,
                         "record %d layer %d %s: gamma_max %r, numpy %r" %
                         (r, l, name, gmx[a], fd.max()))
                W = f["record/params/" + pre + "weight_hh_l%d" % l][r].astype(float)
                rho, sig = spectrum(W, G)
                got_rho, got_sig = g[pre + "rho" + sfx(l)][r], g[pre + "sigma_max" + sfx(l)][r]
                note("rho", np.allclose(got_rho, rho, rtol=1e-4, atol=1e-6, equal_nan=True),
                     "record %d layer %d: rho %s, numpy %s" % (r, l, got_rho, rho))
                note("sigma", np.allclose(got_sig, sig, rtol=1e-4, atol=1e-6),
                     "record %d layer %d: sigma_max %s, numpy %s" % (r, l, got_sig, sig))
                if G > 1 and r == R - 1 and l == 0:  # the comparison can fail
                    check(not np.allclose(got_rho[1:], np.roll(rho[1:], 1), rtol=1e-4),
                          "%s: rho of the gate blocks in another order is told apart" % label)
        for key, what in (("sat", "saturated"), ("gamma", "gamma (mean f')"),
                          ("gmax", "gamma_max"), ("rho", "rho (numpy eigvals)"),
                          ("sigma", "sigma_max (numpy svd)")):
            check(key not in worst, "%s: %s of every record and layer = numpy" % (label, what),
                  worst.get(key))


def dead_windows(tmp):
    """Record-every 3 against record-every 1's hidden states; a large lr
    kills units."""
    common = ["--activation", "relu", "--hidden", "16", "--seq-len", "10", "--batches", "14",
              "--optimizer", "sgd", "--lr", "0.5", "--init-scale", "0.3", "--on-nonfinite",
              "skip"]
    p3 = record(tmp, "dead3.h5", common + ["--record-every", "3"])
    p1 = record(tmp, "dead1.h5", common + ["--record-every", "1", "--save-hidden"])
    with h5py.File(p3, "r") as a, h5py.File(p1, "r") as b:
        same = all(np.array_equal(a["train/" + k][()], b["train/" + k][()], equal_nan=True)
                   for k in ("loss", "grad_norm", "clip_share"))
        check(same, "dead: training does not depend on --record-every (identical /train)")
        fired = (b["record/hidden"][()] > 0).any(axis=1)  # (batches, H)
        check(np.array_equal(b["record/batch"][()], np.arange(14)), "dead: every batch recorded")
        own = b["record/diag/dead"][()]
        check(np.array_equal(own, (~fired).astype(np.uint8)),
              "dead: --record-every 1: dead = no h_t > 0 in the record's own batch")
        batches, dead = a["record/batch"][()], a["record/diag/dead"][()]
        want, short, prev = [], [], -1
        for bb in batches:
            want.append(~fired[prev + 1:bb + 1].any(axis=0))
            short.append(~fired[prev + 2:bb + 1].any(axis=0) if bb > prev + 1 else want[-1])
            prev = bb
        want = np.array(want).astype(np.uint8)
        check(np.array_equal(dead, want),
              "dead: --record-every 3: each record's dead = the OR over the batches since "
              "the previous record (numpy)", lambda: "got\n%s\nwant\n%s" % (dead, want))
        check(not np.array_equal(dead, np.array(short).astype(np.uint8)),
              "dead: a window one batch short is told apart")
        check(dead[1:].sum() > 0 and dead.sum() < dead.size,
              "dead: the large learning rate kills units (%d of %d dead entries)" %
              (dead.sum(), dead.size))


def clip_share(tmp, cell, clip):
    import torch
    torch.set_default_dtype(torch.float64)
    H, n, B = 10, 8, 6
    path = record(tmp, "clip_%s.h5" % cell, ["--cell", cell, "--hidden", str(H), "--seq-len",
                                              str(n), "--batches", str(B), "--record-every", "1",
                                              "--save-params", "--clip", str(clip),
                                              "--init-scale", "0.3"])
    with h5py.File(path, "r") as f:
        V = int(f["model"].attrs["vocab_size"])
        got = f["train/clip_share"][()]
        p = f["record/params"]
        want, sizes = [], 0
        for r in range(B):
            mod = (torch.nn.RNN if cell == "rnn" else torch.nn.LSTM)(V, H, batch_first=True)
            mod.load_state_dict({k: torch.from_numpy(p[k][r].astype(float)) for k in p
                                 if k not in ("weight_out", "bias_out")}, strict=True)
            out = torch.nn.Linear(H, V)
            out.load_state_dict({"weight": torch.from_numpy(p["weight_out"][r].astype(float)),
                                 "bias": torch.from_numpy(p["bias_out"][r].astype(float))})
            x = torch.nn.functional.one_hot(torch.from_numpy(f["record/input"][r].astype(np.int64)),
                                            V).double()
            y = torch.from_numpy(f["record/target"][r].astype(np.int64))
            h0 = torch.from_numpy(f["record/h0"][r].astype(float))[None, None]
            state = (h0, torch.from_numpy(f["record/c0"][r].astype(float))[None, None]) \
                if cell == "lstm" else h0
            hs, _ = mod(x[None], state)
            loss = torch.nn.functional.cross_entropy(out(hs[0]), y, reduction="sum")
            params = list(mod.parameters()) + list(out.parameters())
            grads = torch.autograd.grad(loss, params)
            flat = np.concatenate([gr.numpy().ravel() for gr in grads])
            sizes = flat.size
            want.append((np.abs(flat) > clip).mean())
        want = np.array(want)
        # an entry within float32 rounding of the clip may go either way
        check(np.all(np.abs(got - want) <= 2.0 / sizes),
              "clip_share (%s, clip %g): the share of autograd's gradient entries above the "
              "clip, every batch" % (cell, clip), lambda: "got %s\nwant %s" % (got, want))
        check(np.all((want > 0) & (want < 1)),
              "clip_share (%s): the clip changes some entries but not all (%s)" % (cell, want))
        check(not np.all(np.abs(got - (np.abs(flat) >= clip / 2).mean()) <= 2.0 / sizes),
              "clip_share (%s): another threshold is told apart" % cell)


def old_files(tmp):
    """--no-diagnostics, and a run stripped of the new datasets, still read."""
    base = ["--hidden", "8", "--seq-len", "6", "--batches", "6", "--record-every", "2"]
    p = record(tmp, "nodiag.h5", base + ["--no-diagnostics"])
    with h5py.File(p, "r") as f:
        check("diag" not in f["record"] and "clip_share" in f["train"],
              "--no-diagnostics: no /record/diag; /train/clip_share stays")
    q = record(tmp, "old.h5", base + ["--clip", "0"])
    with h5py.File(q, "r") as f:
        check(np.all(f["train/clip_share"][()] == 0), "clip 0 (off): clip_share 0")
    with h5py.File(q, "a") as f:
        del f["record/diag"]
        del f["train/clip_share"]
    for args in (["info"], ["summarize"], ["summarize", "--train"], ["horizon"]):
        for path, what in ((p, "--no-diagnostics run"), (q, "run without the new datasets")):
            r = subprocess.run([BIN] + args + [path], capture_output=True, timeout=60)
            check(r.returncode == 0 and r.stdout, "rnnbow %s reads a %s" % (" ".join(args), what),
                  lambda: r.stderr.decode(errors="replace"))
    r = subprocess.run([BIN, "info", os.path.join(tmp, "lstm.h5")], capture_output=True)
    check(b"\ndiag:    saturated, gamma, gamma_max, rho, sigma_max of every layer" in r.stdout,
          "rnnbow info lists the diagnostics", r.stdout.decode())
    r = subprocess.run([BIN, "info", p], capture_output=True)
    check(r.returncode == 0 and b"diag:" not in r.stdout,
          "rnnbow info of a run without them has no diag line", r.stdout.decode())


# ------------------------------------------------------------ a mix

MIX = [("rnn0", "rnn"), ("lstm", "lstm"), ("gru", "gru"), ("rnn1", "rnn")]


def mix_diag(tmp, stats):
    """A mix (--cell rnn,lstm,gru,rnn --activation relu, 2 layers): each
    component's /record/diag/<comp>.* as one model of its cell, from its own
    saved parameters and states; diagnose --component prints them."""
    base = ["--cell", "rnn,lstm,gru,rnn", "--activation", "relu", "--layers", "2",
            "--hidden", "8", "--seq-len", "8", "--batches", "9", "--record-every", "3",
            "--init-scale", "0.6", "--save-params", "--save-hidden"]
    path = record(tmp, "mix.h5", base)
    with h5py.File(path, "r") as f:
        acts = f["record/diag"].attrs["activations"].decode()
        check(acts == "relu;i,f,g,o,tanh_c;r,z,n;relu",
              "mix: /record/diag activations, one list per component ('%s')" % acts)
    for k, (name, cell) in enumerate(MIX):
        check_run(path, cell, "relu" if cell == "rnn" else "tanh", 2, "mix " + name, stats,
                  (name + ".", k))
    for name, cell in MIX:
        diagnose_prints(path, name, cell)
    r = subprocess.run([BIN, "diagnose", path], capture_output=True)
    s = subprocess.run([BIN, "diagnose", path, "--component", "0"], capture_output=True)
    check(r.returncode == 0 and r.stdout == s.stdout, "mix: diagnose reads the first "
          "component by default")
    for args in (["--overall"], ["--overall", "--component", "gru"]):
        r = subprocess.run([BIN, "diagnose", path] + args, capture_output=True)
        check(r.returncode == 0 and r.stdout.count(b"\n") == 6,
              "mix: diagnose %s: one verdict per check" % " ".join(args), r.stderr)
    svg = {}
    for name in ("rnn0", "lstm"):
        out = os.path.join(tmp, "diag_%s.svg" % name)
        r = subprocess.run([BIN, "plot", "diagnose", path, "--component", name, "-o", out],
                           capture_output=True)
        svg[name] = open(out, "rb").read() if r.returncode == 0 else None
        check(r.returncode == 0 and (name != "lstm" or b"tanh_c" in svg[name]),
              "mix: plot diagnose --component %s draws its panels" % name, r.stderr)
    check(svg["rnn0"] != svg["lstm"], "mix: plot diagnose: each component its own figure")
    r = subprocess.run([BIN, "diagnose", path, "--component", "tcn"], capture_output=True)
    check(r.returncode == 1 and r.stderr.count(b"\n") == 1 and b"no component 'tcn'" in r.stderr,
          "mix: diagnose --component tcn: one line", r.stderr)
    nod = record(tmp, "mix_nodiag.h5", base[:-2] + ["--no-diagnostics"])
    with h5py.File(nod, "r") as f:
        check("diag" not in f["record"] and "clip_share" in f["train"],
              "mix --no-diagnostics: no /record/diag; /train/clip_share stays")
    old = os.path.join(tmp, "mix_old.h5")  # as a mix recorded before its diagnostics
    with h5py.File(path, "r") as a, h5py.File(old, "w") as b:
        for key in a:
            a.copy(key, b)
        for key, v in a.attrs.items():
            b.attrs[key] = v
        del b["record/diag"]
    for p, what in ((nod, "--no-diagnostics"), (old, "older (no /record/diag)")):
        r = subprocess.run([BIN, "diagnose", p, "--component", "lstm"], capture_output=True)
        check(r.returncode == 1 and r.stderr.count(b"\n") == 1 and
              b"no /record/diag (recorded without diagnostics)" in r.stderr,
              "mix, %s: diagnose says so in one line" % what, r.stderr)
        r = subprocess.run([BIN, "summarize", p, "--component", "lstm"], capture_output=True)
        check(r.returncode == 0 and r.stdout, "mix, %s: summarize still reads it" % what)


def diagnose_prints(path, name, cell):
    """diagnose --component name: every row's columns = the file's values
    (saturated and gamma the mean over the activations, rho and sigma_max
    the whole W_hh's, dead the count, saturated_<act> each)."""
    r = subprocess.run([BIN, "diagnose", path, "--component", name, "--format", "csv"],
                       capture_output=True)
    lines = r.stdout.decode().splitlines()
    head = lines[0].split(",") if lines else []
    rows = [dict(zip(head, ln.split(","))) for ln in lines[1:]]
    bad = []
    with h5py.File(path, "r") as f:
        g, batches = f["record/diag"], list(f["record/batch"][()])
        acts = ACTS[cell] or ["relu"]
        for row in rows:
            i, l = batches.index(int(row["batch"])), int(row["layer"])
            key = lambda d: g[name + "." + d + sfx(l)][i].astype(float)
            want = {"saturated": key("saturated").mean(), "gamma": key("gamma").mean(),
                    "gamma_max": key("gamma_max").max(), "sigma_max": key("sigma_max")[0],
                    "dead": key("dead").sum() if cell == "rnn" else np.nan}
            if cell == "rnn":
                want["rho"] = key("rho")[0]
            else:
                for a, act in enumerate(acts):
                    want["saturated_" + act] = key("saturated")[a]
                for q, act in enumerate(acts[:GATES[cell]]):
                    want["rho_" + act] = key("rho")[1 + q]
            for col, w in want.items():
                got = float(row[col])
                if not (np.isnan(w) and np.isnan(got)) and abs(got - w) > 1e-6 * max(1, abs(w)):
                    bad.append("%s batch %s layer %d %s: %r, file %r" % (name, row["batch"], l,
                                                                        col, got, w))
    check(r.returncode == 0 and len(rows) == 2 * len(batches) and not bad,
          "mix: diagnose --component %s prints its own diagnostics (%d rows)" % (name, len(rows)),
          lambda: r.stderr.decode() + "\n".join(bad[:4]))


def mix_dead_windows(tmp):
    """The dead window of each relu component of a mix (rnn0 and rnn1 keep
    their own fired flags): record-every 3 against record-every 1's hidden
    states, as dead_windows for one model."""
    common = ["--cell", "rnn,gru,rnn", "--activation", "relu", "--hidden", "16", "--seq-len",
              "10", "--batches", "14", "--optimizer", "sgd", "--lr", "0.5", "--init-scale",
              "0.3", "--on-nonfinite", "skip"]
    p3 = record(tmp, "mdead3.h5", common + ["--record-every", "3"])
    p1 = record(tmp, "mdead1.h5", common + ["--record-every", "1", "--save-hidden"])
    with h5py.File(p3, "r") as a, h5py.File(p1, "r") as b:
        check(np.array_equal(a["train/loss"][()], b["train/loss"][()], equal_nan=True),
              "mix dead: training does not depend on --record-every")
        total = 0
        for name in ("rnn0", "rnn1"):
            fired = (b["record/%s.hidden" % name][()] > 0).any(axis=1)
            dead, want, prev = a["record/diag/%s.dead" % name][()], [], -1
            for bb in a["record/batch"][()]:
                want.append(~fired[prev + 1:bb + 1].any(axis=0))
                prev = bb
            check(np.array_equal(dead, np.array(want).astype(np.uint8)),
                  "mix dead: %s's dead = the OR over its own batches since the previous "
                  "record (numpy)" % name)
            total += dead.sum()
        check("gru.dead" not in a["record/diag"] and 0 < total,
              "mix dead: the relu components alone have dead, and some units die (%d)" % total)


def main():
    global BIN
    BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    base = ["--hidden", "12", "--seq-len", "10", "--batches", "12", "--record-every", "3",
            "--save-params", "--save-hidden"]
    runs = [("rnn", "tanh", 1, ["--init-scale", "0.6"]),
            ("rnn", "relu", 1, ["--init-scale", "0.3"]),
            ("rnn", "sigmoid", 1, ["--init-scale", "2"]),
            ("lstm", "tanh", 1, ["--init-scale", "1"]),
            ("gru", "tanh", 1, ["--init-scale", "1"]),
            ("lstm", "tanh", 2, []),
            ("rnn", "relu", 2, [])]
    stats = {}
    with tempfile.TemporaryDirectory(prefix="rnnbow-diag-") as tmp:
        for cell, act, L, extra in runs:
            label = "%s %s, %d layer%s" % (cell, act, L, "s" if L > 1 else "")
            name = "lstm.h5" if (cell, L) == ("lstm", 1) else "%s_%s_%d.h5" % (cell, act, L)
            args = base + ["--cell", cell, "--layers", str(L)] + extra
            if cell == "rnn":
                args += ["--activation", act]
            tap.section(label, check_run, record(tmp, name, args), cell, act, L, label, stats)
        check(stats.get("saturated", 0) > 0.05, "some runs do saturate (largest share %.3f)" %
              stats.get("saturated", 0))
        tap.section("dead window", dead_windows, tmp)
        tap.section("clip_share rnn", clip_share, tmp, "rnn", 0.02)
        tap.section("clip_share lstm", clip_share, tmp, "lstm", 0.01)
        tap.section("old files", old_files, tmp)
        tap.section("mix", mix_diag, tmp, {})
        tap.section("mix dead window", mix_dead_windows, tmp)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
