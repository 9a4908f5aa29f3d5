"""mixtrace_check.py - test_mix.py's tracing part: `rnnbow trace` on a mix
of components against test_trace.py's graph of unit-level vertices built in
PyTorch, one graph per component.

Component k's graph is test_trace.Batch's with its own parameters, states
and cell, and the loss vertex of each step replaced by the mix's:
L_t = CE((o^k_t + sum_{j != k} o^j_t) / K), the other components' logits
o^j_t computed by their own PyTorch modules and held constant (no vertex of
component k feeds them), so autograd's g_u of component k's vertices are
those of the mix's loss and the folded edge o^k -> L_t has w = (p -
onehot(y)) / K. The input path of step t: every component's layer-0 z_q,t
units, w = d z / d x_t[token] by autograd's jacobian with respect to the
one-hot input, times g_u; the largest |w g| (ties: the lower component,
then the lower vertex) starts the walk, which continues by Batch.best.
"""
import subprocess

import numpy as np

import test_trace
from test_trace import Batch, GATES, read_table, compare_walk, close, path_components
from torchrun import torch, sfx
from tap import check, diag


class CompBatch(Batch):
    """Record r's component `name` of a mix, as its own graph."""

    def __init__(self, f, r, name, others, K):
        m = f["model"].attrs
        self.cell, self.act = name.rstrip("0123456789"), "tanh"
        self.L, self.H, self.V, self.n = (int(m["layers"]), int(m["hidden_size"]),
                                          int(m["vocab_size"]), int(m["seq_len"]))
        self.G = len(GATES[self.cell])
        pre = name + "."
        p = f["record/params"]
        self.P = {k[len(pre):]: torch.from_numpy(p[k][r].astype(np.float64)).requires_grad_(True)
                  for k in p if k.startswith(pre)}
        self.x = f["record/input"][r].astype(np.int64)
        self.y = f["record/target"][r].astype(np.int64)
        self.h0 = [torch.tensor(f["record/%s.h0%s" % (name, sfx(l))][r].astype(np.float64))
                   for l in range(self.L)]
        self.c0 = [torch.tensor(f["record/%s.c0%s" % (name, sfx(l))][r].astype(np.float64))
                   if self.cell == "lstm" else None for l in range(self.L)]
        self.fns, self.order = {}, []
        self.build()
        for t in range(self.n):  # the mix's loss: the average of every component's logits
            fn = (lambda P, o, y=int(self.y[t]), other=others[t]:
                  (torch.logsumexp((o + other) / K, 0) - ((o + other) / K)[y]).reshape(1))
            self.fns[("loss", t)] = (fn, self.fns[("loss", t)][1])

    def logits(self):
        return torch.stack([self.vals[("logit", t)].detach() for t in range(self.n)])

    def input_terms(self, t):
        """[(term, vertex)] of every layer-0 z unit at step t: w g_u, w by autograd."""
        out = []
        xt = torch.nn.functional.one_hot(torch.tensor(self.x[t]), self.V).double()
        P = {k: v.detach() for k, v in self.P.items()}
        for q in range(self.G):
            key = ("z", q, t, 0)
            fn, parents = self.fns[key]
            args = [self.value(k).detach() for k, _ in parents]
            a = [i for i, (k, _) in enumerate(parents) if k == ("x", t)][0]

            def part(v, a=a, args=args, fn=fn):
                return fn(P, *(args[:a] + [v] + args[a + 1:]))
            J = torch.autograd.functional.jacobian(part, xt)
            g = self.g[key].reshape(-1)
            for i in range(self.H):
                out.append((float(J[i, int(self.x[t])]) * float(g[i]), (key, i)))
        return out


def own_logits(f, r, name, K):
    """Component name's logits (n, V) at record r, by its own graph with a
    placeholder loss (the logits do not depend on the loss)."""
    n, V = int(f["model"].attrs["seq_len"]), int(f["model"].attrs["vocab_size"])
    b = CompBatch(f, r, name, torch.zeros(n, V), K)
    b.run()
    return b.logits()


def mix_batches(f, r, comps):
    K = len(comps)
    lg = [own_logits(f, r, c, K) for c in comps]
    out = []
    for k, c in enumerate(comps):
        others = sum(lg[j] for j in range(K) if j != k)
        b = CompBatch(f, r, c, others, K)
        b.run()
        out.append(b)
    return out


def trace(binary, path, args):
    rc = subprocess.run([binary, "trace", path] + args, capture_output=True)
    if rc.returncode != 0:
        raise RuntimeError(rc.stderr.decode())
    return read_table(rc.stdout)


def split_node(node):
    """("lstm", "z_f") from "lstm.z_f"; (None, "loss") for the shared ones."""
    return tuple(node.split(".", 1)) if "." in node else (None, node)


def check_input_paths(binary, path, f, rec, comps, label, bts=None):
    """comps [None] and bts [Batch]: one model, whose node names have no prefix."""
    bts = bts or mix_batches(f, rec, comps)
    batch = int(f["record/batch"][rec])
    rows = trace(binary, path, ["--batch", str(batch), "--param", "input"])
    paths = {}
    for r in rows:
        paths.setdefault(int(r["row"]), []).append(r)
    n = bts[0].n
    scale = max(float(torch.abs(v).max()) for b in bts for v in b.g.values())
    err, ties, hops, winners = None, 0, 0, set()
    for t in range(n):
        cp = paths.get(t)
        if not cp:
            err = err or "step %d: no path" % t
            continue
        if int(cp[0]["col"]) != int(bts[0].x[t]):
            err = err or "step %d: col %s is not x_t = %d" % (t, cp[0]["col"], bts[0].x[t])
        cands = []
        for k, b in enumerate(bts):
            for term, v in CompBatch.input_terms(b, t):
                cands.append((-abs(term), k, b.sort_key(v), v, term))
        cands.sort(key=lambda c: (c[0], c[1], c[2]))
        comp, node = split_node(cp[0]["node"])
        k = comps.index(comp) if comp in comps else -1
        want = cands[0]
        got = [c for c in cands if c[1] == k and bts[k].row(c[3]) ==
               (int(cp[0]["step"]), int(cp[0]["layer"]), node, int(cp[0]["unit"]))]
        if not got:
            err = err or "step %d: hop 0 at %s, not a layer-0 z of step %d" % (
                t, cp[0]["node"], t)
            continue
        got = got[0]
        if got is not want:
            if -got[0] < -want[0] * (1 - 1e-3) - 1e-12:
                err = err or "step %d: rnnbow starts in %s (|w g| %g), Python in %s (%g)" % (
                    t, comps[k], -got[0], comps[want[1]], -want[0])
                continue
            ties += 1
        if not close(float(cp[0]["term"]), got[4], scale):
            err = err or "step %d hop 0: term %s, autograd %g" % (t, cp[0]["term"], got[4])
        winners.add(comps[k] or "the model")
        b, v = bts[k], got[3]
        for h in range(1, len(cp)):
            comp, node = split_node(cp[h]["node"])
            at = (int(cp[h]["step"]), int(cp[h]["layer"]), node, int(cp[h]["unit"]))
            if comp not in (None, comps[k]):
                err = err or "step %d hop %d: leaves component %s for %s" % (t, h, comps[k], comp)
                break
            cands = b.best(v)
            g2 = [c for c in cands if b.row(c[2]) == at]
            if not g2:
                err = err or "step %d hop %d: %s is no consumer of %s" % (t, h, at, b.row(v))
                break
            g2 = g2[0]
            if g2[2] != cands[0][2]:
                if -g2[0] < -cands[0][0] * (1 - 1e-3) - 1e-12:
                    err = err or "step %d hop %d: rnnbow to %s, Python to %s" % (
                        t, h, at, b.row(cands[0][2]))
                    break
                ties += 1
            if not close(float(cp[h]["term"]), b.term(g2[2], g2[3]), scale):
                err = err or "step %d hop %d: term %s, autograd %g" % (
                    t, h, cp[h]["term"], b.term(g2[2], g2[3]))
            v = g2[2]
            hops += 1
        if v[0] != ("L",):
            err = err or "step %d: the path ends at %s, not at L" % (t, b.row(v))
    diag("%s: %d input paths, %d hops compared, %d near ties, started in %s" % (
        label, n, hops, ties, ", ".join(sorted(winners))))
    check(err is None, "%s: trace --param input: each step's path (the component it "
          "starts in, every hop and term) = the walk on autograd's g_u and w(u,v)" % label, err)
    return bts


def check_component_param(binary, path, bts, batch, comps, label):
    """A component's own parameter: paths stay in it; = test_trace's walk."""
    for k, name in enumerate(comps):
        if k > 1:
            break
        rows = trace(binary, path, ["--batch", str(batch), "--component", name,
                                    "--param", "weight_hh_l0"])
        cp = {}
        bad = [r["node"] for r in rows if split_node(r["node"])[0] not in (None, name)]
        for r in rows:
            node = split_node(r["node"])[1]
            cp.setdefault((int(r["row"]), int(r["col"])), []).append(
                ((int(r["step"]), int(r["layer"]), node, int(r["unit"])), float(r["term"])))
        stats = {"near_ties": 0, "edges": 0, "paths": 0}
        err = compare_walk(bts[k], "weight_hh_l0", bts[k].first_terms("weight_hh_l0"), cp, stats)
        check(err is None and not bad, "%s: trace --component %s --param weight_hh_l0: every "
              "entry's path = the walk in that component's graph under the mix's loss "
              "(%d paths)" % (label, name, stats["paths"]), err or bad[:3])


def check_summary(binary, path, f, comps, label):
    batches = [int(b) for b in f["record/batch"][:]]
    count, total = {}, 0
    for b in batches:
        rows = trace(binary, path, ["--batch", str(b), "--param", "input"])
        paths = {}
        for r in rows:
            paths.setdefault(int(r["row"]), []).append(r)
        for cp in paths.values():
            comp = split_node(cp[0]["node"])[0]
            total += 1
            count[comp] = count.get(comp, 0) + 1
            cell = comp.rstrip("0123456789")
            pv = [((int(r["step"]), int(r["layer"]), split_node(r["node"])[1], int(r["unit"])),
                   0.0) for r in cp]
            for c, layer in path_components(cell, len(GATES[cell]), pv)[0]:
                key = "%s.%s" % (comp, c)
                count[key] = count.get(key, 0) + 1
    rows = trace(binary, path, ["--summary", "--param", "input"])
    byname = {r["component"]: r for r in rows}
    shares = sum(float(byname[c]["share"]) for c in comps if c in byname)
    check(abs(shares - 1) < 1e-9 and int(byname["all"]["paths"]) == total,
          "%s: trace --summary --param input: the components' shares add up to 1 over %d "
          "paths" % (label, total), "%s" % {c: byname.get(c, {}).get("share") for c in comps})
    bad = []
    for r in rows:
        if r["component"] == "all":
            continue
        want = count.get(r["component"], 0)
        if r["component"] not in comps:  # per layer: the keys count over layers
            continue
        if int(r["paths"]) != want:
            bad.append("%s: %s paths, the per-batch paths say %d" % (r["component"], r["paths"],
                                                                    want))
    check(not bad, "%s: --summary's paths per component = the per-batch input paths "
          "counted by their first hop's component" % label, "\n".join(bad))
    rank = sorted(comps, key=lambda c: -float(byname[c]["share"]))
    diag("%s: shares of input paths: %s" % (label, ", ".join(
        "%s %.3f" % (c, float(byname[c]["share"])) for c in rank)))


def run_single(binary, path, label):
    """trace --param input on one model: each step's path = the walk."""
    import h5py
    test_trace.BIN = binary
    with h5py.File(path, "r") as f:
        bt = Batch(f, 1)
        bt.run()
        check_input_paths(binary, path, f, 1, [None], label, [bt])


def run(binary, path, comps, label):
    import h5py
    test_trace.BIN = binary
    with h5py.File(path, "r") as f:
        rec = 1 if f["record/batch"].shape[0] > 1 else 0
        batch = int(f["record/batch"][rec])
        bts = check_input_paths(binary, path, f, rec, comps, label)
        check_component_param(binary, path, bts, batch, comps, label)
        check_summary(binary, path, f, comps, label)
