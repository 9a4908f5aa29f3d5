#!/usr/bin/python3
"""test_trace.py - rnnbow trace against PyTorch autograd and a plain walk.

    /usr/bin/python3 tests/test_trace.py ./rnnbow

For vanilla, LSTM and GRU cells at one and two layers this records a small
run with --save-params and rebuilds one recorded batch in PyTorch (float64,
from the saved float32 parameters, h0, c0 and inputs), as its own graph of
unit-level vertices: every gate's pre-activation z_<gate>, c (LSTM), h, the
logits, each loss L_t and the root L, each vertex a function of its parent
vertices (docs/ANALYSIS.md "Gradient tracing" lists the edges; the
functions are written here from PyTorch's equations, not from rnnbow's).
Then:

  * g_u = dL/du of every vertex by retain_grad and one backward;
  * w(u,v) = du/dv of every edge by autograd's jacobian of u's function
    with respect to its parent v (the others held fixed);
  * the first hop's terms, per step, by autograd of sum_z g_z z with
    respect to the parameter (one step's share of dL/dtheta);
  * the greedy walk of SPEC 1 in plain Python on those numbers, for every
    entry of the traced parameters, compared hop by hop (vertex and term
    w g_u) with `rnnbow trace` (a near tie, within 1e-3, may go either way
    between float32 and float64: it is counted, and the walk follows
    rnnbow's choice).

Also: a hand-set model whose path is known in advance, `trace --summary`
recomputed from the per-batch paths (shares and lags add up), a walk that
ranks by |g_u| alone is told apart (the test can fail), `plot trace`'s
edges and line widths recounted from the printed paths, and bad input.
TAP-style output, exit 1 if a check failed.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, step_corpus, params, sfx  # noqa: E402

GATES = {"rnn": [""], "lstm": list("ifgo"), "gru": list("rzn")}
BIN = "./rnnbow"


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


class Batch:
    """Record r of a run as a graph of vertices. A vertex key is
    ('z', q, t, l), ('c', t, l), ('h', t, l), ('logit', t), ('loss', t)
    or ('L',); each holds a vector (units), the loss and L one unit."""

    def __init__(self, f, r):
        m = f["model"].attrs
        self.cell, self.act = s(m["cell"]), s(m["activation"])
        self.L, self.H, self.V, self.n = (int(m["layers"]), int(m["hidden_size"]),
                                          int(m["vocab_size"]), int(m["seq_len"]))
        self.G = len(GATES[self.cell])
        self.P = params(f, r, requires_grad=True)
        self.x = f["record/input"][r].astype(np.int64)
        self.y = f["record/target"][r].astype(np.int64)
        self.h0 = [torch.tensor(f["record/h0" + sfx(l)][r].astype(np.float64))
                   for l in range(self.L)]
        self.c0 = [torch.tensor(f["record/c0" + sfx(l)][r].astype(np.float64))
                   if self.cell == "lstm" else None for l in range(self.L)]
        self.fns = {}      # key -> (fn(params, *parents), [(parent key, 'full'|'diag')])
        self.order = []
        self.build()

    # ---- the graph: each vertex a function of its parents ----
    def const(self, key):
        """Values outside the graph: h_{-1}, c_{-1} and one-hot inputs."""
        if key[0] == "h0":
            return self.h0[key[1]]
        if key[0] == "c0":
            return self.c0[key[1]]
        return torch.nn.functional.one_hot(torch.tensor(self.x[key[1]]), self.V).double()

    def add(self, key, fn, parents):
        self.fns[key] = (fn, parents)
        self.order.append(key)

    def build(self):
        H, cell = self.H, self.cell
        for t in range(self.n):
            for l in range(self.L):
                Wih, Whh = "weight_ih_l%d" % l, "weight_hh_l%d" % l
                bih, bhh = "bias_ih_l%d" % l, "bias_hh_l%d" % l
                hp = ("h", t - 1, l) if t > 0 else ("h0", l)
                below = ("h", t, l - 1) if l > 0 else ("x", t)
                for q in range(self.G):
                    sl = slice(q * H, (q + 1) * H)
                    if cell == "gru" and q == 2:  # n's pre-activation holds r (W_hn h' + b_hn)
                        def fn(P, zr, h, u, sl=sl, Wih=Wih, Whh=Whh, bih=bih, bhh=bhh):
                            return (P[Wih][sl] @ u + P[bih][sl] +
                                    torch.sigmoid(zr) * (P[Whh][sl] @ h + P[bhh][sl]))
                        self.add(("z", 2, t, l), fn, [(("z", 0, t, l), "diag"), (hp, "full"),
                                                      (below, "full")])
                    else:
                        def fn(P, h, u, sl=sl, Wih=Wih, Whh=Whh, bih=bih, bhh=bhh):
                            return P[Wih][sl] @ u + P[bih][sl] + P[Whh][sl] @ h + P[bhh][sl]
                        self.add(("z", q, t, l), fn, [(hp, "full"), (below, "full")])
                z = [("z", q, t, l) for q in range(self.G)]
                if cell == "rnn":
                    act = torch.tanh if self.act == "tanh" else (
                        torch.relu if self.act == "relu" else torch.sigmoid)
                    self.add(("h", t, l), lambda P, a, act=act: act(a), [(z[0], "diag")])
                elif cell == "lstm":
                    cp = ("c", t - 1, l) if t > 0 else ("c0", l)
                    self.add(("c", t, l),
                             lambda P, zi, zf, zg, c: (torch.sigmoid(zf) * c +
                                                       torch.sigmoid(zi) * torch.tanh(zg)),
                             [(z[0], "diag"), (z[1], "diag"), (z[2], "diag"), (cp, "diag")])
                    self.add(("h", t, l), lambda P, zo, c: torch.sigmoid(zo) * torch.tanh(c),
                             [(z[3], "diag"), (("c", t, l), "diag")])
                else:
                    self.add(("h", t, l),
                             lambda P, zz, zn, h: ((1 - torch.sigmoid(zz)) * torch.tanh(zn) +
                                                   torch.sigmoid(zz) * h),
                             [(z[1], "diag"), (z[2], "diag"), (hp, "diag")])
            top = ("h", t, self.L - 1)
            self.add(("logit", t), lambda P, h: P["weight_out"] @ h + P["bias_out"],
                     [(top, "full")])
            self.add(("loss", t), lambda P, o, y=int(self.y[t]): (
                torch.logsumexp(o, 0) - o[y]).reshape(1), [(("logit", t), "full")])
        self.add(("L",), lambda P, *ls: sum(ls), [(("loss", t), "full") for t in range(self.n)])

    def value(self, key):
        return self.vals[key] if key in self.vals else self.const(key)

    def run(self):
        """Forward with every vertex kept; g_u of each; w of each edge."""
        self.vals = {}
        for key in self.order:
            fn, parents = self.fns[key]
            v = fn(self.P, *[self.value(k) for k, _ in parents])
            v.retain_grad()
            self.vals[key] = v
        self.vals[("L",)].sum().backward()
        self.g = {k: v.grad.detach().clone() for k, v in self.vals.items()}
        self.g[("L",)] = torch.ones(1)
        # consumers of each (vertex, unit): [((u key, unit), w)]
        self.cons = {}
        P = {k: v.detach() for k, v in self.P.items()}
        for key in self.order:
            fn, parents = self.fns[key]
            args = [self.value(k).detach() for k, _ in parents]
            for a, (pk, kind) in enumerate(parents):
                if pk not in self.vals:
                    continue

                def part(v, a=a, args=args, fn=fn):
                    return fn(P, *(args[:a] + [v] + args[a + 1:]))
                J = torch.autograd.functional.jacobian(part, args[a])
                J = J.reshape(-1, args[a].numel())
                for j in range(J.shape[1]):
                    lst = self.cons.setdefault((pk, j), [])
                    if kind == "diag":
                        lst.append(((key, j), float(J[j, j])))
                    else:
                        lst.extend(((key, i), float(J[i, j])) for i in range(J.shape[0]))

    def first_terms(self, name):
        """(n, rows, cols) terms dL/dz * input of each step's use of name."""
        out = []
        P = {k: v.detach() for k, v in self.P.items()}
        for t in range(self.n):
            leaf = P[name].clone().requires_grad_(True)
            Pt = dict(P)
            Pt[name] = leaf
            users = [k for k in self.order if (k[0] == "z" and k[2] == t) or k == ("logit", t)]
            tot = 0
            for k in users:
                fn, parents = self.fns[k]
                v = fn(Pt, *[self.value(pk).detach() for pk, _ in parents])
                tot = tot + (v * self.g[k]).sum()
            gr = torch.autograd.grad(tot, leaf, allow_unused=True)[0]
            out.append(np.zeros(tuple(leaf.shape)) if gr is None else gr.numpy())
        return np.stack(out)

    # ---- ordering and the walk ----
    def sort_key(self, v):
        key, unit = v
        kind = key[0]
        lstm = self.cell == "lstm"
        if kind == "z":
            return (key[2], key[3], key[1], unit)
        if kind == "c":
            return (key[1], key[2], self.G, unit)
        if kind == "h":
            return (key[1], key[2], self.G + lstm, unit)
        if kind == "logit":
            return (key[1], self.L, 0, unit)
        if kind == "loss":
            return (key[1], self.L, 1, 0)
        return (self.n, 0, 0, 0)

    def term(self, u, w):
        return w * float(self.g[u[0]].reshape(-1)[u[1]])

    def first_vertex(self, name, t, row):
        if name.startswith("weight_out") or name.startswith("bias_out"):
            return (("logit", t), row)
        l = int(name.rsplit("_l", 1)[1])
        return (("z", row // self.H, t, l), row % self.H)

    def row(self, v):
        """(step, layer, node, unit) as rnnbow prints them."""
        key, unit = v
        if key[0] == "z":
            return (key[2], key[3], "z" + ("_" + GATES[self.cell][key[1]] if self.G > 1 else ""),
                    unit)
        if key[0] in ("c", "h"):
            return (key[1], key[2], key[0], unit)
        if key[0] == "logit":
            return (key[1], self.L, "logit", unit)
        if key[0] == "loss":
            return (key[1], self.L, "loss", 0)
        return (-1, -1, "L", -1)

    def best(self, v, by_g_only=False):
        cands = []
        for u, w in self.cons[v]:
            t = abs(float(self.g[u[0]].reshape(-1)[u[1]])) if by_g_only else abs(self.term(u, w))
            cands.append((-t, self.sort_key(u), u, w))
        cands.sort(key=lambda c: (c[0], c[1]))
        return cands


def read_table(out):
    lines = out.decode().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in lines[1:]]


def trace_rows(path, batch, param, extra=()):
    rc = subprocess.run([BIN, "trace", path, "--batch", str(batch), "--param", param] +
                        list(extra), capture_output=True)
    if rc.returncode != 0:
        raise RuntimeError(rc.stderr.decode())
    paths = {}
    for r in read_table(rc.stdout):
        paths.setdefault((int(r["row"]), int(r["col"])), []).append(
            ((int(r["step"]), int(r["layer"]), r["node"], int(r["unit"])), float(r["term"])))
    return paths


def close(a, b, scale):
    return abs(a - b) <= 2e-3 * abs(b) + 1e-6 * scale


def compare_walk(bt, name, first, cpaths, stats):
    """Walks every entry of name in Python and holds rnnbow's path to it.
    Returns None, or a message for the first disagreement."""
    n, rows, cols = first.shape[0], first.shape[1], first.shape[2] if first.ndim == 3 else 1
    first = first.reshape(n, rows, cols)
    scale = max(float(torch.abs(v).max()) for v in bt.g.values())
    for r in range(rows):
        for c in range(cols):
            cp = cpaths.get((r, c))
            if cp is None:
                return "entry (%d, %d): no path printed" % (r, c)
            terms = first[:, r, c]
            mags = np.abs(terms)
            t0 = int(np.argmax(mags))  # first maximum: the lower step
            if cp[0][0][0] != t0:
                tc = cp[0][0][0]
                if not (0 <= tc < n and mags[tc] >= mags[t0] * (1 - 1e-3) - 1e-12):
                    return "entry (%d, %d): first hop at step %d, Python says %d (terms %s)" % (
                        r, c, tc, t0, terms)
                stats["near_ties"] += 1
                t0 = tc
            v = bt.first_vertex(name, t0, r)
            if not close(cp[0][1], terms[t0], scale):
                return "entry (%d, %d) hop 0: term %g, autograd %g" % (r, c, cp[0][1], terms[t0])
            if bt.row(v) != cp[0][0]:
                return "entry (%d, %d) hop 0: at %s, Python at %s" % (r, c, cp[0][0], bt.row(v))
            for k in range(1, len(cp)):
                cands = bt.best(v)
                want = cands[0]
                got = [cd for cd in cands if bt.row(cd[2]) == cp[k][0]]
                if not got:
                    return "entry (%d, %d) hop %d: %s is no consumer of %s" % (
                        r, c, k, cp[k][0], bt.row(v))
                got = got[0]
                if got[2] != want[2]:
                    if -got[0] < -want[0] * (1 - 1e-3) - 1e-12:
                        return ("entry (%d, %d) hop %d from %s: rnnbow goes to %s (|w g| %g), "
                                "Python to %s (%g)" % (r, c, k, bt.row(v), cp[k][0], -got[0],
                                                       bt.row(want[2]), -want[0]))
                    stats["near_ties"] += 1
                t = bt.term(got[2], got[3])
                if not close(cp[k][1], t, scale):
                    return "entry (%d, %d) hop %d to %s: term %g, autograd w g_u %g" % (
                        r, c, k, cp[k][0], cp[k][1], t)
                stats["edges"] += 1
                v = got[2]
            if v[0] != ("L",):
                return "entry (%d, %d): the path ends at %s, not at L" % (r, c, bt.row(v))
            stats["paths"] += 1
    return None


def g_only_differs(bt, name, cpaths):
    """True when ranking by |g_u| alone (no w) picks another vertex at some
    hop of rnnbow's paths: the comparison above can fail."""
    for (r, c), cp in cpaths.items():
        v = bt.first_vertex(name, cp[0][0][0], r)
        for k in range(1, len(cp)):
            alt = bt.best(v, by_g_only=True)[0][2]
            if bt.row(alt) != cp[k][0]:
                return True
            v = [cd for cd in bt.best(v) if bt.row(cd[2]) == cp[k][0]][0][2]
    return False


def record(tmp, corpus, cell, act, L, name, extra=()):
    path = os.path.join(tmp, name)
    cmd = [BIN, "record", corpus, "-o", path, "--quiet", "--cell", cell, "--layers", str(L),
           "--hidden", "5", "--seq-len", "7", "--batches", "40", "--record-every", "13",
           "--init-scale", "0.5"] + list(extra)
    if cell == "rnn":
        cmd += ["--activation", act]
    rc = subprocess.run(cmd, capture_output=True)
    if not check(rc.returncode == 0, "%s: rnnbow record exits 0" % name, rc.stderr):
        return None
    return path


def check_cell(tmp, corpus, cell, act, L):
    label = "%s%s L=%d" % (cell, " " + act if cell == "rnn" else "", L)
    path = record(tmp, corpus, cell, act, L, "%s_%s_%d.h5" % (cell, act, L), ["--save-params"])
    if not path:
        return
    params = ["weight_hh_l0"]
    if L > 1:
        params += ["weight_hh_l1", "weight_ih_l1"]
    if cell == "rnn" and L == 1 and act == "tanh":
        params += ["weight_ih_l0", "bias_hh_l0", "weight_out", "bias_out"]
    if cell == "gru":
        params += ["bias_hh_l0"]
    with h5py.File(path, "r") as f:
        rec = 1
        batch = int(f["record/batch"][rec])
        bt = Batch(f, rec)
    bt.run()
    stats = {"near_ties": 0, "edges": 0, "paths": 0}
    differs = False
    for name in params:
        cpaths = trace_rows(path, batch, name)
        first = bt.first_terms(name)
        # the first hop's terms add up to autograd's dL/dtheta
        full = bt.P[name].grad.numpy()
        check(np.allclose(first.sum(0), full, rtol=1e-9, atol=1e-12),
              "%s %s: the per-step terms of the first hop sum to dL/dtheta" % (label, name))
        err = compare_walk(bt, name, first, cpaths, stats)
        check(err is None, "%s %s: every entry's path and terms = the walk on autograd's "
              "g_u and w(u,v)" % (label, name), err)
        differs = differs or g_only_differs(bt, name, cpaths)
    tap.diag("%s: %d paths, %d edges compared, %d near ties" % (
        label, stats["paths"], stats["edges"], stats["near_ties"]))
    check(differs, "%s: a walk by |g_u| alone (no w) is told apart" % label)
    check_summary(path, bt, label)


def components(cell, L, G):
    per = {"rnn": ["recurrent"], "lstm": ["cell_path", "hidden_path", "gate_i", "gate_f",
                                          "gate_g", "gate_o"],
           "gru": ["carry", "candidate", "update", "gate_r", "gate_z", "gate_n"]}[cell]
    return [(c, l) for l in range(L) for c in ["layer"] + per] + [("output", L)]


def path_components(cell, G, path):
    """The components a printed path goes through, and its lag; from the
    definitions of docs/ANALYSIS.md, on the printed rows alone."""
    got = set()
    verts = [v for v, _ in path]
    start = verts[0][0]
    end = [v for v in verts if v[2] == "loss"][0][0]
    for k, (t, l, node, u) in enumerate(verts):
        if k == 0:  # where the parameter enters: not counted
            continue
        if node == "logit":
            got.add(("output", l))
        if node.startswith("z") or node in ("c", "h"):
            got.add(("layer", l))
            if node.startswith("z_"):
                got.add(("gate_" + node[2], l))
        pt, pl, pn, pu = verts[k - 1]
        if pn in ("z", "c", "h") or pn.startswith("z_"):
            if l == pl and t == pt + 1 and node != "logit":
                if cell == "rnn":
                    got.add(("recurrent", l))
                elif cell == "lstm":
                    got.add(("cell_path" if pn == "c" else "hidden_path", l))
                elif node == "h":
                    got.add(("carry", l))
                else:
                    got.add(("update" if node == "z_z" else "candidate", l))
    return got, end - start


def check_summary(path, bt, label):
    with h5py.File(path, "r") as f:
        batches = [int(b) for b in f["record/batch"][:]]
    count, lags, total = {}, {}, 0
    per = {}  # batch -> (paths, {component: paths})
    for b in batches:
        mine, n = {}, 0
        for cp in trace_rows(path, b, "weight_hh_l0").values():
            comps, lag = path_components(bt.cell, bt.G, cp)
            total += 1
            n += 1
            lags[lag] = lags.get(lag, 0) + 1
            for c in comps:
                count[c] = count.get(c, 0) + 1
                mine[c] = mine.get(c, 0) + 1
        per[b] = (n, mine)
    rc = subprocess.run([BIN, "trace", "--summary", path], capture_output=True)
    rows = read_table(rc.stdout)
    want = [("all", -1)] + components(bt.cell, bt.L, bt.G)
    got = [(r["component"], int(r["layer"])) for r in rows]
    check(rc.returncode == 0 and got == want, "%s: --summary lists the components" % label,
          lambda: "%s\n%s" % (got, rc.stderr))
    bad = []
    for r in rows:
        c = (r["component"], int(r["layer"]))
        n = total if c[0] == "all" else count.get(c, 0)
        if int(r["paths"]) != n or int(r["records"]) != len(batches) or \
                abs(float(r["share"]) - n / total) > 1e-9:
            bad.append("%s: %s paths, share %s; from the paths: %d of %d" % (
                c, r["paths"], r["share"], n, total))
    check(not bad, "%s: --summary's paths and shares = the per-batch paths counted "
          "(%d paths)" % (label, total), "\n".join(bad))
    check_per_record(path, bt, label, rows, per)
    rc = subprocess.run([BIN, "trace", "--summary", "--lags", path, "--format", "json"],
                        capture_output=True)
    rows = [json.loads(ln) for ln in rc.stdout.decode().splitlines()]
    hist = {r["lag"]: r["paths"] for r in rows}
    rc = subprocess.run([BIN, "trace", "--summary", "--lags", "--per-record", path],
                        capture_output=True)
    each = {}
    for r in read_table(rc.stdout):
        each[int(r["lag"])] = each.get(int(r["lag"]), 0) + int(r["paths"])
    check(rc.returncode == 0 and each == {d: hist.get(d, 0) for d in range(bt.n)},
          "%s: --lags --per-record: the records' histograms add up to --lags'" % label,
          lambda: "%s vs %s\n%s" % (each, hist, rc.stderr))
    check(sum(hist.values()) == total and all(hist.get(d, 0) == lags.get(d, 0) for d in
                                              range(bt.n))
          and abs(rows[-1]["cumulative"] - 1) < 1e-12,
          "%s: --lags: the lag histogram adds up to every path, and = the paths' lags" % label,
          lambda: "%s vs %s" % (hist, lags))


def check_per_record(path, bt, label, summary, per):
    """--summary --per-record: each record's rows = its own paths counted
    from `trace --batch`; all's share is 1; the records' paths add up to
    --summary's, and their path-weighted lag means to its lag_mean."""
    rc = subprocess.run([BIN, "trace", "--summary", "--per-record", path], capture_output=True)
    rows = read_table(rc.stdout)
    want = [("all", -1)] + components(bt.cell, bt.L, bt.G)
    bad = []
    if rc.returncode != 0 or len(rows) != len(per) * len(want):
        bad.append("exit %d, %d rows for %d records x %d components\n%s" % (
            rc.returncode, len(rows), len(per), len(want), rc.stderr.decode()))
        rows = []
    for i, r in enumerate(rows):
        b, c = int(r["batch"]), (r["component"], int(r["layer"]))
        n, mine = per.get(b, (0, {}))
        k = n if c[0] == "all" else mine.get(c, 0)
        if c != want[i % len(want)] or b != sorted(per)[i // len(want)] or \
                int(r["paths"]) != k or abs(float(r["share"]) - k / n) > 1e-8:
            bad.append("batch %d %s: %s paths, share %s; from the paths: %d of %d" % (
                b, c, r["paths"], r["share"], k, n))
    check(not bad, "%s: --per-record: every record's paths and shares = its own paths "
          "counted, all's share 1" % label, "\n".join(bad[:10]))
    agg = {}
    for r in rows:
        c = (r["component"], int(r["layer"]))
        p, lsum = agg.get(c, (0, 0.0))
        p += int(r["paths"])
        if int(r["paths"]):
            lsum += int(r["paths"]) * float(r["lag_mean"])
        agg[c] = (p, lsum)
    bad = []
    for r in summary:
        c = (r["component"], int(r["layer"]))
        p, lsum = agg.get(c, (0, 0.0))
        lm = float(r["lag_mean"])
        if p != int(r["paths"]) or (p and abs(lsum / p - lm) > 1e-6 * max(1, lm)):
            bad.append("%s: records add to %d paths, lag mean %s; --summary %s, %s" % (
                c, p, lsum / p if p else "nan", r["paths"], r["lag_mean"]))
    check(rows and not bad, "%s: --per-record adds up to --summary (paths, lag means)" % label,
          "\n".join(bad))


def check_known(tmp, corpus):
    """A hand-set vanilla model: unit 0 fires at one step only (its token
    is unique in the batch), unit 1 reaches the output only through unit 0
    at the next step (W_hh[0,1] = 1, W_out reads unit 0 alone, at logit
    k). The gradient of weight_hh_l0[1, 0] must go z_1 at s+1, h_1, z_0 at
    s+2, h_0, logit k, loss s+2, L."""
    path = record(tmp, corpus, "rnn", "tanh", 1, "known.h5", ["--save-params"])
    if not path:
        return
    with h5py.File(path, "r+") as f:
        x = f["record/input"][0]
        H = int(f["model"].attrs["hidden_size"])
        n = len(x)
        s = [t for t in range(n - 2) if list(x).count(x[t]) == 1][0]
        k = 3
        p = f["record/params"]
        for name in p:
            p[name][0] = 0
        Wih = np.zeros(p["weight_ih_l0"].shape[1:], np.float32)
        Wih[0, x[s]] = 1
        p["weight_ih_l0"][0] = Wih
        Whh = np.zeros((H, H), np.float32)
        Whh[0, 1] = 1
        p["weight_hh_l0"][0] = Whh
        Wout = np.zeros(p["weight_out"].shape[1:], np.float32)
        Wout[k, 0] = 5
        p["weight_out"][0] = Wout
        f["record/h0"][0] = 0
    want = [(s + 1, 0, "z", 1), (s + 1, 0, "h", 1), (s + 2, 0, "z", 0), (s + 2, 0, "h", 0),
            (s + 2, 1, "logit", k), (s + 2, 1, "loss", 0), (-1, -1, "L", -1)]
    got = trace_rows(path, 0, "weight_hh_l0", ["--rows", "1", "--cols", "0"])
    check([v for v, _ in got[(1, 0)]] == want, "known model: the path of weight_hh_l0[1,0] "
          "is the one built in", lambda: "%s\nwant %s" % (got, want))
    rc = subprocess.run([BIN, "trace", "--summary", "--to", "0", "--rows", "1", "--cols", "0",
                         "--lags", path], capture_output=True)
    rows = read_table(rc.stdout)
    check(rc.returncode == 0 and [(r["lag"], r["paths"]) for r in rows][:3] ==
          [("0", "0"), ("1", "1"), ("2", "0")], "known model: its one path has lag 1",
          rc.stdout.decode() + rc.stderr.decode())


def check_mix_per_record(tmp, corpus):
    """A mix traced from its input, record by record: in every record the
    components' own rows (layer -1) share its input paths (they add up to
    1), and the records add up to --summary's paths; plot trace --shares
    of one component = the summary's rows of that component."""
    path = os.path.join(tmp, "mix.h5")
    rc = subprocess.run([BIN, "record", corpus, "-o", path, "--quiet", "--cell", "rnn,lstm,gru",
                         "--hidden", "4", "--seq-len", "9", "--batches", "40", "--record-every",
                         "13", "--save-params"], capture_output=True)
    if not check(rc.returncode == 0, "mix: rnnbow record --cell rnn,lstm,gru exits 0", rc.stderr):
        return
    each = read_table(subprocess.run([BIN, "trace", "--summary", "--per-record", "--param",
                                      "input", path], capture_output=True).stdout)
    whole = read_table(subprocess.run([BIN, "trace", "--summary", "--param", "input", path],
                                      capture_output=True).stdout)
    comps = ("rnn", "lstm", "gru")
    per, bad = {}, []
    for r in each:
        per.setdefault(int(r["batch"]), {})[r["component"]] = r
    for b, rows in sorted(per.items()):
        tot = sum(float(rows[c]["share"]) for c in comps)
        n = sum(int(rows[c]["paths"]) for c in comps)
        if abs(tot - 1) > 1e-8 or n != int(rows["all"]["paths"]) or n != 9:
            bad.append("batch %d: components' shares add to %g, paths %d of %s" % (
                b, tot, n, rows["all"]["paths"]))
    for r in whole:
        got = sum(int(rows[r["component"]]["paths"]) for rows in per.values())
        if got != int(r["paths"]):
            bad.append("%s: records add to %d paths, --summary %s" % (r["component"], got,
                                                                      r["paths"]))
    check(per and not bad, "mix: --per-record --param input: each record's components share "
          "its input paths (sum 1), the records add up to --summary (%d records)" % len(per),
          "\n".join(bad))
    keep = os.path.join(tmp, "keepmix")
    os.makedirs(keep, exist_ok=True)
    rc = subprocess.run([BIN, "plot", "trace", "--shares", "--component", "lstm", path, "-o",
                         os.path.join(tmp, "mix.svg"), "--keep-script", keep],
                        capture_output=True)
    got = kept_block(os.path.join(keep, "mix.svg.gp"), "S") if rc.returncode == 0 else []
    tab = read_table(subprocess.run([BIN, "trace", "--summary", "--per-record", "--param",
                                     "lstm.weight_hh_l0", path], capture_output=True).stdout)
    want = {}
    for r in tab:
        if r["component"].startswith("lstm."):
            want.setdefault(int(r["batch"]), []).append(float(r["share"]))
    ok = [int(g[0]) for g in got] == sorted(want) and all(
        np.allclose([float(v) for v in g[1:]], want[int(g[0])], rtol=1e-8, atol=0) for g in got)
    check(rc.returncode == 0 and got and ok, "mix: plot trace --shares --component lstm: the "
          "plotted shares = trace --summary --per-record's lstm.* rows (%d records)" % len(got),
          lambda: "%s\nwant %s\n%s" % (got, want, rc.stderr))


def grid_row(node, layer, cell, G, L):
    per = G + (cell == "lstm") + 1
    if node == "logit":
        return L * per
    if node == "loss":
        return L * per + 1
    if node == "c":
        return layer * per + G
    if node == "h":
        return layer * per + per - 1
    q = GATES[cell].index(node[2]) if G > 1 else 0
    return layer * per + q


def check_plot(tmp, corpus):
    """plot trace: every format renders, twice the same bytes; the script's
    edges by width class = the paths of `trace` counted per grid edge."""
    path = os.path.join(tmp, "lstm_tanh_2.h5")
    if not os.path.exists(path):
        return
    with h5py.File(path, "r") as f:
        batch = int(f["record/batch"][1])
    keep = os.path.join(tmp, "keep")
    os.makedirs(keep, exist_ok=True)
    for fmt in ("png", "svg", "pdf"):
        out = [os.path.join(tmp, "tr%d.%s" % (i, fmt)) for i in (1, 2)]
        rcs = [subprocess.run([BIN, "plot", "trace", "--batch", str(batch), path, "-o", o] +
                              (["--keep-script", keep] if fmt == "svg" else []),
                              capture_output=True) for o in out]
        head = open(out[0], "rb").read(8) if os.path.exists(out[0]) else b""
        magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
        check(all(r.returncode == 0 for r in rcs) and head.startswith(magic) and
              open(out[0], "rb").read() == open(out[1], "rb").read(),
              "plot trace .%s: a %s file, the same bytes twice" % (fmt, fmt),
              b"".join(r.stderr for r in rcs))
    # the edges from the printed paths, per (step, row) -> (step, row)
    counts = {}
    for cp in trace_rows(path, batch, "weight_hh_l0").values():
        cells = [(t, grid_row(node, l, "lstm", 4, 2)) for (t, l, node, u), _ in cp
                 if node != "L"]
        for a, b in zip(cells, cells[1:]):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    most = max(counts.values())
    want = sorted((a[0], a[1], b[0] - a[0], b[1] - a[1],
                   int(np.ceil(8 * np.sqrt(c / most)))) for (a, b), c in counts.items())
    got, cls = [], None
    for line in open(os.path.join(keep, "tr1.svg.gp")):
        if line.startswith("$E"):
            cls = int(line[2:].split()[0])
        elif line.startswith("EOD"):
            cls = None
        elif cls is not None and line.strip() != "0 0 0 0":
            got.append(tuple(int(v) for v in line.split()) + (cls,))
    check(sorted(got) == want, "plot trace: every edge and its line width = the paths of "
          "trace counted (%d edges)" % len(want), lambda: "%s\nwant %s" % (sorted(got), want))
    rc = subprocess.run([BIN, "plot", "trace", "--batch", str(batch), "--gate", "f", path,
                         "-o", os.path.join(tmp, "f.png")], capture_output=True)
    check(rc.returncode == 0, "plot trace --gate f draws the forget gate's rows", rc.stderr)
    check_plot_shares(tmp, path, keep)


def kept_block(script, name):
    """The rows of datablock $NAME of a kept gnuplot script."""
    rows, inside = [], False
    for line in open(script):
        if line.startswith("$%s << EOD" % name):
            inside = True
        elif inside and line.startswith("EOD"):
            break
        elif inside:
            rows.append(line.split())
    return rows


def check_plot_shares(tmp, path, keep):
    """plot trace --shares: every format renders, the same bytes twice; the
    SVG parses and carries hover text; the plotted shares (the kept
    script's data) = `trace --summary --per-record`'s, record by record,
    for the whole matrix of layer 1 and for --gate f's rows alone."""
    for fmt in ("png", "svg", "pdf"):
        out = [os.path.join(tmp, "sh%d.%s" % (i, fmt)) for i in (1, 2)]
        rcs = [subprocess.run([BIN, "plot", "trace", "--shares", "--layer", "1", path, "-o", o,
                               "--keep-script", keep], capture_output=True) for o in out]
        head = open(out[0], "rb").read(8) if os.path.exists(out[0]) else b""
        magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}[fmt]
        check(all(r.returncode == 0 for r in rcs) and head.startswith(magic) and
              open(out[0], "rb").read() == open(out[1], "rb").read(),
              "plot trace --shares .%s: a %s file, the same bytes twice" % (fmt, fmt),
              b"".join(r.stderr for r in rcs))
    svg = os.path.join(tmp, "sh1.svg")
    try:
        doc = xml.dom.minidom.parse(svg)
        text = " ".join(g.getAttribute("onmousemove") for g in doc.getElementsByTagName("g"))
    except Exception as e:  # noqa: BLE001 - any parse failure fails the check
        text = "not XML: %s" % e
    with h5py.File(path, "r") as f:
        b0 = int(f["record/batch"][0])
    check("batch %d: l1 cell_path" % b0 in text and "l0 gate_f" in text,
          "plot trace --shares .svg: parses as XML, hover text per record and component",
          text[:300])
    for extra, rows in (([], []), (["--gate", "f", "--from", "13"], ["--rows", "5:10"])):
        name = "shares%d.svg" % len(extra)
        rc = subprocess.run([BIN, "plot", "trace", "--shares", "--layer", "1", path, "-o",
                             os.path.join(tmp, name), "--keep-script", keep] + extra,
                            capture_output=True)
        got = kept_block(os.path.join(keep, name + ".gp"), "S") if rc.returncode == 0 else []
        want_cmd = [BIN, "trace", "--summary", "--per-record", "--param", "weight_hh_l1",
                    path] + rows + extra[2:]
        tab = read_table(subprocess.run(want_cmd, capture_output=True).stdout)
        want = {}
        for r in tab:
            if r["component"] != "all":
                want.setdefault(int(r["batch"]), []).append(float(r["share"]))
        ok = rc.returncode == 0 and [int(g[0]) for g in got] == sorted(want) and all(
            np.allclose([float(v) for v in g[1:]], want[int(g[0])], rtol=1e-8, atol=0)
            for g in got)
        check(ok and len(got) >= 2, "plot trace --shares %s: each record's plotted shares = "
              "trace --summary --per-record %s(%d records)" % (
                  " ".join(extra), " ".join(rows + [""]), len(got)),
              lambda: "%s\nwant %s\n%s" % (got, want, rc.stderr))


def check_bad(tmp, corpus):
    plain = record(tmp, corpus, "rnn", "tanh", 1, "plain.h5")
    good = record(tmp, corpus, "rnn", "tanh", 1, "good.h5", ["--save-params"])
    if not plain or not good:
        return
    cases = [
        (["--batch", "0", plain], 1, "--save-params"),
        (["--summary", plain], 1, "--save-params"),
        (["--batch", "0", "--param", "weight_hh_l7", good], 1, "no parameter 'weight_hh_l7'"),
        (["--batch", "0", "--rows", "0:99", good], 1, "outside weight_hh_l0's rows"),
        (["--batch", "0", "--cols", "5", good], 1, "outside weight_hh_l0's cols"),
        (["--batch", "0", "--rows", "3:2", good], 2, "--rows"),
        (["--batch", "0", "--rows", "x", good], 2, "--rows"),
        (["--batch", "5", good], 1, "batch 5 was not recorded"),
        (["--batch", "0", "--summary", good], 2, "choose one"),
        (["--lags", "--batch", "0", good], 2, "--lags goes with --summary"),
        (["--batch", "0"], 2, "no run file"),
        (["--batch", "0", good, good], 2, "one run file"),
        (["--batch", "0", os.path.join(tmp, "missing.h5")], 1, "missing.h5"),
    ]
    png = os.path.join(tmp, "bad.png")
    cases += [
        (["plot", "trace", "--batch", "0", plain, "-o", png], 1, "--save-params"),
        (["plot", "trace", good, "-o", png], 2, "trace needs --batch B"),
        (["plot", "trace", "--shares", "--batch", "0", good, "-o", png], 2, "not --batch"),
        (["plot", "loss", "--shares", good, "-o", png], 2, "--shares goes with plot trace"),
        (["plot", "trace", "--shares", "--from", "99", good, "-o", png], 1,
         "no records to plot in --from/--to"),
        (["plot", "trace", "--shares", plain, "-o", png], 1, "--save-params"),
        (["--per-record", "--batch", "0", good], 2, "--per-record goes with --summary"),
        (["plot", "trace", "--batch", "0", "--layer", "3", good, "-o", png], 1, "no layer 3"),
        (["plot", "trace", "--batch", "0", "--gate", "f", good, "-o", png], 1, "no gate 'f'"),
        (["plot", "trace", "--batch", "7", good, "-o", png], 1, "batch 7 was not recorded"),
    ]
    for args, code, text in cases:
        cmd = args if args[0] == "plot" else ["trace"] + args
        rc = subprocess.run([BIN] + cmd, capture_output=True, stdin=subprocess.DEVNULL)
        err = rc.stderr.decode()
        check(rc.returncode == code and text in err and err.count("\n") == 1 and
              err.startswith("rnnbow %s: " % cmd[0]) and not rc.stdout and
              not os.path.exists(png),
              "bad input: %s %s exits %d with one line naming '%s'" % (cmd[0], " ".join(
                  os.path.basename(a) for a in cmd[1:]), code, text),
              "exit %d, stderr %r, stdout %r" % (rc.returncode, err, rc.stdout[:200]))


def main():
    global BIN
    BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "c.txt")
        with open(corpus, "wb") as fh:
            fh.write(step_corpus(300))
        for cell, act, L in [("rnn", "tanh", 1), ("rnn", "relu", 2), ("lstm", "tanh", 1),
                             ("lstm", "tanh", 2), ("gru", "tanh", 1), ("gru", "tanh", 2)]:
            tap.section("%s %s L=%d" % (cell, act, L), check_cell, tmp, corpus, cell, act, L)
        tap.section("known model", check_known, tmp, corpus)
        tap.section("mix, record by record", check_mix_per_record, tmp, corpus)
        tap.section("plot trace", check_plot, tmp, corpus)
        tap.section("bad input", check_bad, tmp, corpus)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
