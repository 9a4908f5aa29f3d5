#!/usr/bin/python3
"""test_file.py - an independent client of the rnnbow run file (SPEC 1 and 2).

    /usr/bin/python3 tests/test_file.py ./rnnbow

Records small runs with the given binary, opens them with h5py and checks
the layout of SPEC 2 (attributes, shapes, dtypes, positions, token ids),
then recomputes in float64 numpy, from the saved parameters, h0 and inputs,
the forward pass, the itemized gradients g[t,j] and the exact truncation
error E[k] of SPEC 1 by forming every H x H matrix G_{t,j} explicitly, and
compares them with what rnnbow stored. A run with --optimizer sgd and
--record-every 1 on a tiny corpus checks the wrap rule, the carried hidden
state and that the parameter update is -lr * clip(sum of all G ...), i.e.
that the itemized pieces add up to the gradient rnnbow trained with.

Output is TAP-style: one `ok - ...` / `not ok - ...` line per check, with
`# ...` diagnostics; exit status 1 if any check failed.
"""
import datetime
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:  # say which interpreter lacks them
    print("not ok - import numpy and h5py in %s: %s" % (sys.executable, e))
    print("# install python3-numpy python3-h5py and run with /usr/bin/python3")
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, diag, section  # noqa: E402,F401  (used here and by importers)



def compare(got, want, rtol, atol):
    """(ok, message): got ~ want elementwise, |got-want| <= atol + rtol|want|."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, "shape %s != expected %s" % (got.shape, want.shape)
    if not np.all(np.isfinite(got)):
        return False, "non-finite values at %s" % (np.argwhere(~np.isfinite(got))[:5].tolist(),)
    err = np.abs(got - want)
    lim = atol + rtol * np.abs(want)
    bad = err > lim
    if not bad.any():
        return True, ""
    i = np.unravel_index(np.argmax(err - lim), err.shape)
    return False, ("%d of %d entries differ (rtol %g, atol %g); worst at %s: got %.9g, "
                   "expected %.9g" % (bad.sum(), bad.size, rtol, atol, tuple(int(v) for v in i),
                                      got[i], want[i]))


def s(v):
    """Attribute as str: our strings are fixed-length, h5py gives bytes."""
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).decode("utf-8", "replace")
    return str(v)


# ---------------------------------------------------------------- the maths

PARAMS = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_out", "bias_out"]


def act_fn(name):
    if name == "tanh":
        return np.tanh
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    if name == "sigmoid":
        return lambda z: 1.0 / (1.0 + np.exp(-z))
    raise ValueError(name)


def act_deriv(name, z, h):
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "sigmoid":
        return h * (1.0 - h)
    raise ValueError(name)


def forward(P, h0, x, y, act):
    """Float64 forward pass of SPEC 1. Returns dict with z (n,H), h (n,H),
    p (n,V), loss (n); hprev[j] = h_{j-1} (h_{-1} = h0)."""
    Wih, Whh, bih, bhh, Wout, bout = (np.asarray(P[k], dtype=np.float64) for k in PARAMS)
    f = act_fn(act)
    n, H = len(x), Whh.shape[0]
    hp = np.asarray(h0, dtype=np.float64)
    zs, hs, ps, ls, hprev = [], [], [], [], []
    for t in range(n):
        hprev.append(hp)
        z = Whh @ hp + Wih[:, x[t]] + bih + bhh
        h = f(z)
        o = Wout @ h + bout
        o = o - o.max()
        p = np.exp(o) / np.exp(o).sum()
        zs.append(z)
        hs.append(h)
        ps.append(p)
        ls.append(-np.log(p[y[t]]))
        hp = h
    return dict(z=np.array(zs), h=np.array(hs), p=np.array(ps), loss=np.array(ls),
                hprev=np.array(hprev), n=n, H=H)


def itemize(P, fw, x, y, act):
    """g (n,n), E (n), dL/dW_hh and the full gradient (dict by name), forming
    every G_{t,j} = delta_{t,j} h_{j-1}^T explicitly."""
    Wih, Whh, bih, bhh, Wout, bout = (np.asarray(P[k], dtype=np.float64) for k in PARAMS)
    n, H = fw["n"], fw["H"]
    z, h, p, hprev = fw["z"], fw["h"], fw["p"], fw["hprev"]
    dact = act_deriv(act, z, h)
    g = np.zeros((n, n))
    S = np.zeros((n, H, H))  # S[d] = sum of G_{t,j} with lag t-j = d
    grads = {k: np.zeros_like(np.asarray(P[k], dtype=np.float64)) for k in PARAMS}
    for t in range(n):
        dy = p[t].copy()
        dy[y[t]] -= 1.0
        grads["weight_out"] += np.outer(dy, h[t])
        grads["bias_out"] += dy
        delta = dact[t] * (Wout.T @ dy)
        for j in range(t, -1, -1):
            G = np.outer(delta, hprev[j])
            g[t, j] = np.abs(G).mean()
            # the closed form of SPEC 1 must agree with the mean of |G|
            assert abs(g[t, j] - np.abs(delta).sum() * np.abs(hprev[j]).sum() / H ** 2) \
                <= 1e-12 * max(g[t, j], 1e-300)
            S[t - j] += G
            grads["weight_ih_l0"][:, x[j]] += delta
            grads["bias_ih_l0"] += delta
            grads["bias_hh_l0"] += delta
            if j > 0:
                delta = dact[j - 1] * (Whh.T @ delta)
    dW = S.sum(axis=0)
    grads["weight_hh_l0"] = dW
    total = np.linalg.norm(dW)
    E = np.zeros(n)
    for k in range(n):
        E[k] = np.linalg.norm(S[k + 1:].sum(axis=0)) / total if total > 0 else 0.0
    return g, E, dW, grads


def expected_positions(batches, n, length):
    """Batches walk the corpus in steps of n; reset to 0 when pos+n+1 > len."""
    pos, out, wrapped = 0, [], []
    for _ in range(batches):
        w = False
        if pos + n + 1 > length:
            pos, w = 0, True
        out.append(pos)
        wrapped.append(w)
        pos += n
    return np.array(out, dtype=np.int64), np.array(wrapped)


def make_corpus(nbytes, seed):
    """Deterministic, varied text: words, capitals, digits, punctuation, lines."""
    r = random.Random(seed)
    words = ("the a gradient loss time step hidden state recurrent network learns "
             "itemized batch vanishing exploding horizon truncation of to and in "
             "RNN BPTT HDF5 tanh relu sigmoid Adagrad x y z").split()
    out = []
    size = 0
    while size < nbytes:
        w = r.choice(words)
        if r.random() < 0.1:
            w = w.capitalize()
        if r.random() < 0.05:
            w = str(r.randrange(1000))
        w += r.choice([" "] * 12 + [", ", ". ", "; ", "!\n", "?\n", "\n", " (", ") ", ": "])
        out.append(w)
        size += len(w)
    return "".join(out).encode("ascii")[:nbytes]


# ------------------------------------------------------------------ running

def record(binary, workdir, corpus_name, out, args, desc):
    cmd = [binary, "record", corpus_name, "-o", out, "--quiet"] + args
    try:
        r = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        check(False, desc + ": rnnbow record finishes", "timed out: " + " ".join(cmd))
        return False
    ok = check(r.returncode == 0, desc + ": rnnbow record exits 0",
               lambda: "command: %s\nexit status %d\nstderr: %s" % (
                   " ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
    path = os.path.join(workdir, out)
    if ok:
        check(os.path.isfile(path), desc + ": run file exists")
    return ok and os.path.isfile(path)


def load(path, swmr=True):
    """Everything of a run file as numpy data."""
    with h5py.File(path, "r", swmr=swmr) as f:
        d = {"attrs": {g: {k: f[g].attrs[k] for k in f[g].attrs} for g in ("/", "/model", "/train")}}
        d["datasets"] = {}
        d["layout"] = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                d["datasets"][name] = obj[()]
                d["layout"][name] = (obj.shape, obj.dtype, obj.chunks, obj.maxshape)
        f.visititems(visit)
    return d


# ------------------------------------------------------------------- checks

def check_attrs(d, corpus, corpus_name, H, n, B, K, seed, act):
    a, m, t = d["attrs"]["/"], d["attrs"]["/model"], d["attrs"]["/train"]
    for k in ("format", "format_version", "software_version", "command_line", "created_utc",
              "seed", "corpus_name", "corpus_bytes", "corpus_sha256"):
        check(k in a, "root attribute %s present" % k)
    check(s(a.get("format")) == "rnnbow", "format == rnnbow", "got %r" % (a.get("format"),))
    check(a.get("format_version") == 1, "format_version == 1", "got %r" % (a.get("format_version"),))
    check(len(s(a.get("software_version", ""))) > 0, "software_version is not empty")
    cl = s(a.get("command_line", ""))
    check("record" in cl and "--seed" in cl, "command_line is the record command",
          "got %r" % cl)
    cu = s(a.get("created_utc", ""))
    try:
        when = datetime.datetime.strptime(cu, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        fine = abs((now - when).total_seconds()) < 3600
    except ValueError:
        fine = False
    check(fine, "created_utc is ISO 8601 UTC within the last hour", "got %r" % cu)
    check(int(a.get("seed", -1)) == seed, "seed == %d" % seed, "got %r" % (a.get("seed"),))
    check(s(a.get("corpus_name", "")).endswith(corpus_name), "corpus_name names the corpus",
          "got %r" % (a.get("corpus_name"),))
    check(int(a.get("corpus_bytes", -1)) == len(corpus), "corpus_bytes == %d" % len(corpus),
          "got %r" % (a.get("corpus_bytes"),))
    sha = hashlib.sha256(corpus).hexdigest()
    check(s(a.get("corpus_sha256", "")).lower() == sha, "corpus_sha256 == sha256 of the corpus",
          "got %r, expected %s" % (a.get("corpus_sha256"), sha))

    vocab = np.array(sorted(set(corpus)), dtype=np.uint8)
    check(s(m.get("cell")) == "rnn", "model cell == rnn", "got %r" % (m.get("cell"),))
    check(s(m.get("activation")) == act, "model activation == %s" % act,
          "got %r" % (m.get("activation"),))
    check(m.get("hidden_size") == H, "model hidden_size == %d" % H, "got %r" % (m.get("hidden_size"),))
    check(m.get("layers") == 1, "model layers == 1", "got %r" % (m.get("layers"),))
    check(m.get("vocab_size") == len(vocab), "model vocab_size == %d distinct bytes" % len(vocab),
          "got %r" % (m.get("vocab_size"),))
    check(m.get("seq_len") == n, "model seq_len == %d" % n, "got %r" % (m.get("seq_len"),))
    check(m.get("init_scale") is not None and abs(float(m["init_scale"]) - 0.01) < 1e-9,
          "model init_scale == 0.01", "got %r" % (m.get("init_scale"),))
    v = d["datasets"].get("model/vocab")
    check(v is not None and v.dtype == np.uint8 and np.array_equal(v, vocab),
          "/model/vocab == sorted distinct bytes (uint8)",
          lambda: "got %r" % (None if v is None else (v.dtype, v.tolist())))

    check(s(t.get("optimizer")) == "adagrad", "train optimizer == adagrad (default)",
          "got %r" % (t.get("optimizer"),))
    check(t.get("learning_rate") is not None and abs(float(t["learning_rate"]) - 0.1) < 1e-6,
          "train learning_rate == 0.1 (adagrad default)", "got %r" % (t.get("learning_rate"),))
    check(t.get("clip") is not None and abs(float(t["clip"]) - 5.0) < 1e-9,
          "train clip == 5 (default)", "got %r" % (t.get("clip"),))
    check(t.get("batches") == B, "train batches == %d" % B, "got %r" % (t.get("batches"),))
    check(t.get("record_every") == K, "train record_every == %d" % K,
          "got %r" % (t.get("record_every"),))
    return vocab


def check_layout(d, B, R, n, H, V, label, params=True, hidden=True, relu=False):
    ds, lay = d["datasets"], d["layout"]
    want = {
        "train/batch": ((B,), np.int64), "train/loss": ((B,), np.float32),
        "train/nonfinite": ((B,), np.uint8), "train/clip_share": ((B,), np.float32),
        "train/grad_norm": ((B,), np.float32),
        "record/batch": ((R,), np.int64), "record/position": ((R,), np.int64),
        "record/input": ((R, n), np.int32), "record/target": ((R, n), np.int32),
        "record/predicted": ((R, n), np.int32), "record/loss": ((R, n), np.float32),
        "record/itemized": ((R, n, n), np.float32),
        "record/truncation_error": ((R, n), np.float32), "record/h0": ((R, H), np.float32),
        "record/unit_flow": ((R, n, H), np.float32),
    }
    if hidden:
        want["record/hidden"] = ((R, n, H), np.float32)
    for k in ("saturated", "gamma", "gamma_max", "rho", "sigma_max"):  # FORMAT.md Diagnostics
        want["record/diag/" + k] = ((R, 1), np.float32)
    if relu:
        want["record/diag/dead"] = ((R, H), np.uint8)
    if params:
        want.update({
            "record/params/weight_ih_l0": ((R, H, V), np.float32),
            "record/params/weight_hh_l0": ((R, H, H), np.float32),
            "record/params/bias_ih_l0": ((R, H), np.float32),
            "record/params/bias_hh_l0": ((R, H), np.float32),
            "record/params/weight_out": ((R, V, H), np.float32),
            "record/params/bias_out": ((R, V), np.float32),
        })
    for name, (shape, dt) in want.items():
        if name not in lay:
            check(False, "%s: /%s exists" % (label, name))
            continue
        sh, got_dt, chunks, maxshape = lay[name]
        check(sh == shape and got_dt == np.dtype(dt),
              "%s: /%s is %s %s" % (label, name, shape, np.dtype(dt)),
              "got %s %s" % (sh, got_dt))
        check(chunks is not None and maxshape[0] is None,
              "%s: /%s is chunked and extendable along rows" % (label, name),
              "chunks %s maxshape %s" % (chunks, maxshape))
    unexpected = sorted(k for k in lay if k.startswith("record/") and k not in want)
    check(not unexpected, "%s: no unexpected /record datasets" % label, "found %s" % unexpected)
    return all(k in ds and ds[k].shape == want[k][0] for k in want)


def check_tokens(d, corpus, vocab, batches_rec, n, label):
    ds = d["datasets"]
    ids = np.searchsorted(vocab, np.frombuffer(corpus, dtype=np.uint8)).astype(np.int32)
    allpos, _ = expected_positions(int(batches_rec.max()) + 1, n, len(corpus))
    pos = allpos[batches_rec]
    check(np.array_equal(ds["record/position"], pos),
          "%s: /record/position follows the walk-and-wrap rule" % label,
          lambda: "got %s\nexpected %s" % (ds["record/position"].tolist(), pos.tolist()))
    xi = np.array([ids[p:p + n] for p in pos])
    yi = np.array([ids[p + 1:p + n + 1] for p in pos])
    check(np.array_equal(ds["record/input"], xi),
          "%s: /record/input == vocab ids of corpus[pos:pos+n]" % label,
          lambda: "first differing record %d" % np.argmax((ds["record/input"] != xi).any(axis=1)))
    check(np.array_equal(ds["record/target"], yi),
          "%s: /record/target == vocab ids of corpus[pos+1:pos+n+1]" % label,
          lambda: "first differing record %d" % np.argmax((ds["record/target"] != yi).any(axis=1)))
    return pos


def params_of(ds, r):
    return {k: ds["record/params/" + k][r] for k in PARAMS}


def check_recompute(d, act, label, only=None, hidden=True):
    """Recomputes every record (or record `only`); returns per-record results."""
    ds = d["datasets"]
    R, n = ds["record/input"].shape
    rows = range(R) if only is None else [only]
    res = {}
    bad_h, bad_l, bad_p, bad_g, bad_e, bad_e0 = [], [], [], [], [], []
    for r in rows:
        P = params_of(ds, r)
        x, y = ds["record/input"][r], ds["record/target"][r]
        fw = forward(P, ds["record/h0"][r], x, y, act)
        g, E, dW, grads = itemize(P, fw, x, y, act)
        res[r] = (fw, g, E, dW, grads)
        if hidden:
            ok, msg = compare(ds["record/hidden"][r], fw["h"], 1e-4, 1e-5)
            if not ok:
                bad_h.append("record %d: %s" % (r, msg))
        ok, msg = compare(ds["record/loss"][r], fw["loss"], 1e-4, 1e-5)
        if not ok:
            bad_l.append("record %d: %s" % (r, msg))
        pred = ds["record/predicted"][r]
        am = fw["p"].argmax(axis=1)
        for t in np.nonzero(pred != am)[0]:
            pt = fw["p"][t]
            if not (0 <= pred[t] < len(pt)) or pt[am[t]] - pt[pred[t]] > 1e-6:
                bad_p.append("record %d step %d: predicted %d, argmax %d (p %.9g vs %.9g)" % (
                    r, t, pred[t], am[t], pt[pred[t]] if 0 <= pred[t] < len(pt) else -1,
                    pt[am[t]]))
        ok, msg = compare_g(ds["record/itemized"][r], g)
        if not ok:
            bad_g.append("record %d: %s" % (r, msg))
        ok, msg = compare_E(ds["record/truncation_error"][r], E)
        if not ok:
            bad_e.append("record %d: %s" % (r, msg))
        if ds["record/truncation_error"][r][n - 1] != 0:
            bad_e0.append("record %d: E[n-1] = %r" % (r, ds["record/truncation_error"][r][n - 1]))
    what = "all %d records" % len(rows) if only is None else "record %d" % only
    if hidden:
        check(not bad_h, "%s: /record/hidden == recomputed h_t (%s)" % (label, what),
              "\n".join(bad_h[:5]))
    check(not bad_l, "%s: /record/loss == recomputed L_t (%s)" % (label, what), "\n".join(bad_l[:5]))
    check(not bad_p, "%s: /record/predicted == argmax p_t (%s)" % (label, what),
          "\n".join(bad_p[:5]))
    check(not bad_g, "%s: /record/itemized == g[t,j] from explicit G_{t,j} (%s)" % (label, what),
          "\n".join(bad_g[:5]))
    check(not bad_e, "%s: /record/truncation_error == E[k] from explicit G_{t,j} (%s)" % (label, what),
          "\n".join(bad_e[:5]))
    check(not bad_e0, "%s: E[n-1] == 0 (%s)" % (label, what), "\n".join(bad_e0[:5]))
    return res


def compare_g(got, want):
    """Itemized g: rtol 1e-3, atol 1e-6 * max g, and exact zeros above the diagonal."""
    got = np.asarray(got)
    ok, msg = compare(got, want, 1e-3, 1e-6 * float(np.max(np.abs(want))))
    if not ok:
        return ok, msg
    upper = got[np.triu_indices(got.shape[0], 1)]
    if np.any(upper != 0):
        return False, "nonzero g[t,j] above the diagonal (j > t)"
    return True, ""


def compare_E(got, want):
    return compare(got, want, 0.0, 1e-4)


# --------------------------------------------------------------------- main

def main_run(binary, tmp, corpus, cname):
    H, n, B, K, seed = 16, 12, 60, 7, 5
    args = ["--hidden", str(H), "--seq-len", str(n), "--batches", str(B), "--record-every", str(K),
            "--save-params", "--save-hidden", "--seed", str(seed)]
    if not record(binary, tmp, cname, "run.h5", args, "tanh run"):
        check(False, "tanh run: file checks (skipped: no run file)")
        return None
    path = os.path.join(tmp, "run.h5")
    d = section("tanh run: open with h5py swmr=True", load, path, True)
    check(d is not None, "tanh run: opens with h5py File(swmr=True)")
    d2 = section("tanh run: open with plain 'r'", load, path, False)
    check(d2 is not None, "tanh run: opens with plain h5py File('r') after a clean exit")
    if d is None:
        return None

    vocab = check_attrs(d, corpus, cname, H, n, B, K, seed, "tanh")
    V = len(vocab)
    rec_batches = np.arange(0, B, K, dtype=np.int64)
    R = len(rec_batches)
    if not check_layout(d, B, R, n, H, V, "tanh run"):
        check(False, "tanh run: numerical checks (skipped: layout is wrong)")
        return d
    ds = d["datasets"]
    check(np.array_equal(ds["train/batch"], np.arange(B)), "tanh run: " + "/train/batch == arange(%d)" % B)
    check(np.all(np.isfinite(ds["train/loss"])) and np.all(ds["train/loss"] > 0),
          "tanh run: " + "/train/loss is finite and positive")
    check(np.all(np.isfinite(ds["train/grad_norm"])) and np.all(ds["train/grad_norm"] > 0),
          "tanh run: " + "/train/grad_norm is finite and positive")
    check(np.array_equal(ds["record/batch"], rec_batches),
          "tanh run: " + "/record/batch == %s" % rec_batches.tolist(), "got %s" % ds["record/batch"].tolist())
    check_tokens(d, corpus, vocab, rec_batches, n, "tanh run")
    check(np.all(ds["record/h0"][0] == 0), "tanh run: " + "/record/h0 of batch 0 is zero")

    res = check_recompute(d, "tanh", "tanh run")
    tl = ds["train/loss"][rec_batches]
    ml = ds["record/loss"].astype(np.float64).mean(axis=1)
    ok, msg = compare(tl, ml, 1e-5, 0.0)
    check(ok, "tanh run: " + "/train/loss of each recorded batch == mean of /record/loss", msg)
    # grad_norm: |dL/dtheta|_2 before clipping, L = sum_t L_t
    gn = np.array([np.sqrt(sum((v ** 2).sum() for v in res[r][4].values())) for r in range(R)])
    ok, msg = compare(ds["train/grad_norm"][rec_batches], gn, 1e-3, 0.0)
    check(ok, "tanh run: " + "/train/grad_norm of each recorded batch == |dL/dtheta|_2 (L = sum of L_t)", msg)

    # the oracle itself: sum of all G_{t,j} == dL/dW_hh by central differences
    r = R - 1
    P = {k: v.astype(np.float64) for k, v in params_of(ds, r).items()}
    x, y, h0 = ds["record/input"][r], ds["record/target"][r], ds["record/h0"][r]
    dW = res[r][3]
    fd = np.zeros_like(dW)
    eps = 1e-6
    for a in range(H):
        for b in range(H):
            Pp = dict(P)
            Pp["weight_hh_l0"] = P["weight_hh_l0"].copy()
            Pp["weight_hh_l0"][a, b] += eps
            lp = forward(Pp, h0, x, y, "tanh")["loss"].sum()
            Pp["weight_hh_l0"][a, b] -= 2 * eps
            lm = forward(Pp, h0, x, y, "tanh")["loss"].sum()
            fd[a, b] = (lp - lm) / (2 * eps)
    ok, msg = compare(dW, fd, 1e-4, 1e-7 * np.abs(fd).max())
    check(ok, "oracle: sum of all G_{t,j} == dL/dW_hh by finite differences", msg)
    return d, res


def oracle_can_fail(d, res):
    """Step 5: the comparison functions report a planted mismatch."""
    ds = d["datasets"]
    r = max(res)
    _, g, E, _, _ = res[r]
    stored = ds["record/itemized"][r]
    ok0, _ = compare_g(stored, g)
    i = np.unravel_index(np.argmax(g), g.shape)
    g2 = g.copy()
    g2[i] *= 1.01
    ok1, msg = compare_g(stored, g2)
    check(ok0 and not ok1, "oracle can fail: g scaled by 1.01 at one entry is reported",
          "unperturbed ok=%s, perturbed ok=%s %s" % (ok0, ok1, msg))
    if not ok1:
        diag("planted mismatch reported as: " + msg)
    # a smaller entry further down the diagonal band, still above atol
    lo = np.tril(g, -1)
    j = np.unravel_index(np.argmax(lo), lo.shape)
    g3 = g.copy()
    g3[j] *= 1.01
    ok3, _ = compare_g(stored, g3)
    check(not ok3, "oracle can fail: 1%% change of an off-diagonal g at %s is reported" % (j,))
    g4 = g.copy()
    g4[0, 1] = 1e-3 * g.max()
    ok4, _ = compare_g(g4.astype(np.float32), g)
    check(not ok4, "oracle can fail: a nonzero above the diagonal is reported")
    E2 = E.copy()
    E2[0] += 2e-4
    ok2, _ = compare_E(ds["record/truncation_error"][r], E2)
    check(not ok2, "oracle can fail: E[0] off by 2e-4 is reported")
    # a perturbed parameter must change the recomputed g beyond tolerance
    P = {k: v.copy() for k, v in params_of(ds, r).items()}
    P["weight_hh_l0"] = P["weight_hh_l0"] * np.float32(1.01)
    x, y = ds["record/input"][r], ds["record/target"][r]
    fw = forward(P, ds["record/h0"][r], x, y, "tanh")
    g5, _, _, _ = itemize(P, fw, x, y, "tanh")
    ok5, _ = compare_g(stored, g5)
    check(not ok5, "oracle can fail: W_hh scaled by 1.01 gives a g that is reported")


def activation_run(binary, tmp, corpus, cname, act):
    H, n, B, K, seed = 16, 12, 15, 7, 3
    out = "run_%s.h5" % act
    args = ["--hidden", str(H), "--seq-len", str(n), "--batches", str(B), "--record-every", str(K),
            "--save-params", "--save-hidden", "--seed", str(seed), "--activation", act]
    if not record(binary, tmp, cname, out, args, "%s run" % act):
        check(False, "%s run: file checks (skipped: no run file)" % act)
        return
    d = section("%s run: open" % act, load, os.path.join(tmp, out), True)
    if d is None:
        return
    ds = d["datasets"]
    check(s(d["attrs"]["/model"].get("activation")) == act, "%s run: model activation == %s" % (act, act))
    check(np.array_equal(ds.get("record/batch"), np.array([0, 7, 14])),
          "%s run: /record/batch == [0, 7, 14]" % act)
    V = len(set(corpus))
    if not check_layout(d, B, 3, n, H, V, "%s run" % act, relu=act == "relu"):
        return
    r = 2
    res = check_recompute(d, act, "%s run" % act, only=r)
    fw = res[r][0]
    if act == "relu":
        amb = np.abs(fw["z"]) < 1e-6
        check(not amb.any(), "relu run: no z within 1e-6 of the kink (act' is unambiguous)",
              "%d ambiguous z" % amb.sum())
        check((fw["z"] <= 0).any() and (fw["z"] > 0).any(),
              "relu run: the record has both active and inactive units")


def sgd_run(binary, tmp):
    """Tiny corpus, every batch recorded, plain SGD with clipping: wrap rule,
    carried h0, and params[b+1] - params[b] == -lr * clip(gradient)."""
    corpus = make_corpus(100, 99)
    cname = "tiny.txt"
    with open(os.path.join(tmp, cname), "wb") as fh:
        fh.write(corpus)
    H, n, B, lr, clip = 8, 12, 20, 0.5, 0.05
    args = ["--hidden", str(H), "--seq-len", str(n), "--batches", str(B), "--record-every", "1",
            "--optimizer", "sgd", "--lr", str(lr), "--clip", str(clip), "--init-scale", "0.3",
            "--save-params", "--save-hidden", "--seed", "11"]
    if not record(binary, tmp, cname, "sgd.h5", args, "sgd run"):
        check(False, "sgd run: file checks (skipped: no run file)")
        return
    d = section("sgd run: open", load, os.path.join(tmp, "sgd.h5"), True)
    if d is None:
        return
    ds = d["datasets"]
    t = d["attrs"]["/train"]
    check(s(t.get("optimizer")) == "sgd" and abs(float(t.get("learning_rate", 0)) - lr) < 1e-6
          and abs(float(t.get("clip", 0)) - clip) < 1e-6,
          "sgd run: /train attrs say sgd, lr %g, clip %g" % (lr, clip),
          "got %r" % (t,))
    vocab = np.array(sorted(set(corpus)), dtype=np.uint8)
    if not check_layout(d, B, B, n, H, len(vocab), "sgd run"):
        return
    pos = check_tokens(d, corpus, vocab, np.arange(B), n, "sgd run")
    _, wrapped = expected_positions(B, n, len(corpus))
    check(wrapped.any(), "sgd run: the tiny corpus wraps within the run",
          "positions %s" % pos.tolist())
    h0 = ds["record/h0"]
    hid = ds["record/hidden"]
    bad = []
    for b in range(B):
        want = np.zeros(H, np.float32) if (b == 0 or wrapped[b]) else hid[b - 1][-1]
        if not np.array_equal(h0[b], want):
            bad.append("batch %d%s: |h0 - expected| = %g" % (
                b, " (wrap)" if wrapped[b] else "", np.abs(h0[b] - want).max()))
    check(not bad, "sgd run: h0 carries h_{n-1} of the previous batch, zero at start and on wrap",
          "\n".join(bad[:5]))
    res = check_recompute(d, "tanh", "sgd run")
    tl, ml = ds["train/loss"], ds["record/loss"].astype(np.float64).mean(axis=1)
    ok, msg = compare(tl, ml, 1e-5, 0.0)
    check(ok, "sgd run: /train/loss == mean of /record/loss for every batch", msg)
    gn = np.array([np.sqrt(sum((v ** 2).sum() for v in res[b][4].values())) for b in range(B)])
    ok, msg = compare(ds["train/grad_norm"], gn, 1e-3, 0.0)
    check(ok, "sgd run: /train/grad_norm == |dL/dtheta|_2 before clipping", msg)
    # params[b+1] = params[b] - lr * clip(grad_b), grad of W_hh = sum of all G_{t,j}
    clipped = check_sgd_steps(ds, [res[b][4] for b in range(B - 1)], PARAMS, lr, clip,
                              "sgd run: params[b+1] - params[b] == -lr * clip(dL/dtheta), "
                              "dL/dW_hh = sum of all G_{t,j}")
    check(clipped > 0, "sgd run: clipping was exercised")
    diag("sgd run: %d gradient entries were clipped" % clipped)


def check_sgd_steps(ds, grads, names, lr, clip, desc):
    """One check that every recorded SGD step is params[b+1] - params[b] ==
    -lr * clip(grads[b][name]) for each name (grads: one dict of float64
    gradients per batch but the last); returns how many entries were clipped."""
    bad, clipped = [], 0
    for b, g in enumerate(grads):
        for k in names:
            step = ds["record/params/" + k][b + 1].astype(np.float64) - ds["record/params/" + k][b]
            clipped += int((np.abs(g[k]) > clip).sum())
            want = -lr * np.clip(g[k], -clip, clip)
            ok, msg = compare(step, want, 1e-3, 2e-6 + 1e-4 * np.abs(want).max())
            if not ok:
                bad.append("batch %d %s: %s" % (b, k, msg))
    check(not bad, desc, "\n".join(bad[:6]))
    return clipped


def h5dump_check(tmp):
    exe = shutil.which("h5dump")
    if not check(exe is not None, "h5dump is installed (hdf5-tools)"):
        return
    path = os.path.join(tmp, "run.h5")
    if not os.path.exists(path):
        check(False, "h5dump -H run.h5 (skipped: no run file)")
        return
    r = subprocess.run([exe, "-H", path], capture_output=True, timeout=60)
    check(r.returncode == 0, "h5dump -H run.h5 exits 0", r.stderr.decode(errors="replace"))
    out = r.stdout.decode(errors="replace")
    check('"itemized"' in out, "h5dump -H run.h5 mentions itemized")


def main():
    if len(sys.argv) != 2:
        print("usage: %s PATH/TO/rnnbow" % sys.argv[0], file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if not check(os.access(binary, os.X_OK), "%s is executable" % sys.argv[1]):
        return 1
    with tempfile.TemporaryDirectory(prefix="rnnbow-test-file-") as tmp:
        corpus = make_corpus(4000, 2024)
        cname = "corpus.txt"
        with open(os.path.join(tmp, cname), "wb") as fh:
            fh.write(corpus)
        out = section("tanh run", main_run, binary, tmp, corpus, cname)
        if out is not None and isinstance(out, tuple):
            section("oracle can fail", oracle_can_fail, *out)
        else:
            check(False, "oracle can fail (skipped: no recomputed records)")
        for act in ("relu", "sigmoid"):
            section("%s run" % act, activation_run, binary, tmp, corpus, cname, act)
        section("sgd run", sgd_run, binary, tmp)
        section("h5dump", h5dump_check, tmp)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
