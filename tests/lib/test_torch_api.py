#!/usr/bin/python3
"""test_torch_api.py - librnnbow's dense inputs against PyTorch's autograd.

    /usr/bin/python3 tests/lib/test_torch_api.py PATH/librnnbow.so.0

A Python client through ctypes, as examples/torch will be: for nn.RNN (tanh,
relu), nn.LSTM and nn.GRU at one and two layers with input_size != hidden
size != output size, the module's state_dict() and an nn.Linear head go to
rnnbow_net_set by their PyTorch names, a random dense sequence x (not one-hot)
with random h0, c0 goes to rnnbow_itemize_gates, and g, E, g_q, E_q must equal
autograd's itemization of the same float32-rounded tensors (the unrolled step
of tests/test_torch.py: one torch.autograd.grad per loss gives every
delta_{t,j} = dL_t/d(W_hh h_{j-1})). The inputs are what only the dense path
reads; the token path is held against its reference by test_api.c. One case
passes x with its columns reversed to prove the comparison can fail.

rnnbow_gradient's losses, final states and gradients (rnnbow_net_grad, by
PyTorch name and layout) must equal the module's own forward and backward of
sum_t L_t, and rnnbow_net_get must give back what rnnbow_net_set was given.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tap  # noqa: E402
from tap import check  # noqa: E402
from test_file import compare  # noqa: E402
from test_torch import GATES, e_of, unrolled  # noqa: E402
from torchrun import MODULES  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from rnnbow_lib import F, I32, load  # noqa: E402


def fptr(a):
    return a.ctypes.data_as(F)


def autograd_itemize(mod, out, cell, act, L, H, x, y, h0, c0):
    """g (L,n,n), E (L,n), g_q (L,G,n,n), E_q (L,G,n) by autograd."""
    n, G = x.shape[0], GATES[cell]
    hs, _, rec = unrolled(mod, cell, act, L, H, x, h0, c0)
    losses = torch.nn.functional.cross_entropy(out(hs[-1]), y, reduction="none")
    g, gq = np.zeros((L, n, n)), np.zeros((L, G, n, n))
    E, Eq = np.zeros((L, n)), np.zeros((L, G, n))
    for l in range(L):
        hprev = torch.cat([h0[l][None], hs[l][:-1].detach()])
        S = np.zeros((n, G * H, H))
        for t in range(n):
            deltas = torch.autograd.grad(losses[t], rec[l][:t + 1], retain_graph=True)
            for j, dl in enumerate(deltas):
                Gtj = torch.outer(dl, hprev[j]).numpy()
                g[l, t, j] = np.abs(Gtj).mean()
                gq[l, :, t, j] = np.abs(Gtj).reshape(G, H, H).mean(axis=(1, 2))
                S[t - j] += Gtj
        E[l] = e_of(S, 0, G * H)
        Eq[l] = np.stack([e_of(S, q * H, (q + 1) * H) for q in range(G)])
    return g, E, gq, Eq


def run_case(lib, cell, act, L, In, H, V, n, seed):
    label = "%s%s L=%d In=%d H=%d V=%d n=%d" % (cell, " " + act if cell == "rnn" else "", L,
                                                In, H, V, n)
    torch.manual_seed(seed)
    kw = {"nonlinearity": act} if cell == "rnn" else {}
    mod = MODULES[cell](In, H, num_layers=L, **kw)
    out = torch.nn.Linear(H, V)
    with torch.no_grad():  # float32 values, so both sides see the same numbers
        for p in list(mod.parameters()) + list(out.parameters()):
            p.copy_((p * 2).float().double())
    G = GATES[cell]
    name = ("rnn_" + act if cell == "rnn" else cell).encode()
    net = lib.rnnbow_net_new(name, In, H, L, V)
    if not check(net, "%s: rnnbow_net_new" % label, lambda: lib.rnnbow_errmsg().decode()):
        return
    tensors = dict(mod.state_dict())
    tensors["weight_out"], tensors["bias_out"] = out.weight, out.bias
    bad = []
    for k, v in tensors.items():
        a = np.ascontiguousarray(v.detach().numpy().astype(np.float32))
        if lib.rnnbow_net_set(net, k.encode(), fptr(a), a.size) != 0:
            bad.append("%s: %s" % (k, lib.rnnbow_errmsg().decode()))
    check(not bad, "%s: every state_dict() name set" % label, "; ".join(bad))

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, In)).astype(np.float32)
    y = rng.integers(0, V, n).astype(np.int32)
    h0 = (0.5 * rng.normal(size=(L, H))).astype(np.float32)
    c0 = (0.5 * rng.normal(size=(L, H))).astype(np.float32)
    g, E = np.zeros((L, n, n), np.float32), np.zeros((L, n), np.float32)
    gq, Eq = np.zeros((L, G, n, n), np.float32), np.zeros((L, G, n), np.float32)

    def lib_itemize(xs):
        return lib.rnnbow_itemize_gates(net, n, fptr(xs), None, y.ctypes.data_as(I32), fptr(h0),
                                        fptr(c0), fptr(g), fptr(E), fptr(gq), fptr(Eq))

    rc = lib_itemize(x)
    check(rc == 0, "%s: rnnbow_itemize_gates on dense x" % label,
          lambda: lib.rnnbow_errmsg().decode())
    t = [torch.from_numpy(a.astype(np.float64)) for a in (x, h0, c0)]
    wg, wE, wgq, wEq = autograd_itemize(mod, out, cell, act, L, H, t[0],
                                        torch.from_numpy(y.astype(np.int64)), t[1], t[2])
    for what, got, want, rtol, atol in (("g", g, wg, 2e-4, 1e-6 * wg.max()),
                                        ("E", E, wE, 1e-3, 1e-5),
                                        ("g_q", gq, wgq, 2e-4, 1e-6 * wgq.max()),
                                        ("E_q", Eq, wEq, 1e-3, 1e-5)):
        ok, msg = compare(got, want, rtol, atol)
        check(ok, "%s: dense x: %s = autograd's" % (label, what), msg)
    check_gradient(lib, net, label, mod, out, cell, tensors, x, y, h0, c0)
    if L == 2 and cell == "lstm":  # the comparison can fail
        lib_itemize(np.ascontiguousarray(x[:, ::-1]))
        ok, _ = compare(g, wg, 2e-4, 1e-6 * wg.max())
        check(not ok, "%s: x with its columns reversed is told apart" % label)
    lib.rnnbow_net_free(net)


def check_gradient(lib, net, label, mod, out, cell, tensors, x, y, h0, c0):
    """rnnbow_gradient and rnnbow_net_grad against the module's backward."""
    n, L, H = x.shape[0], h0.shape[0], h0.shape[1]
    losses, hn, cn = np.zeros(n, np.float32), np.zeros((L, H), np.float32), np.zeros((L, H),
                                                                                       np.float32)
    rc = lib.rnnbow_gradient(net, n, fptr(x), None, y.ctypes.data_as(I32), fptr(h0), fptr(c0),
                             fptr(losses), fptr(hn), fptr(cn))
    check(rc == 0, "%s: rnnbow_gradient" % label, lambda: lib.rnnbow_errmsg().decode())
    mod.zero_grad()
    out.zero_grad()
    t = [torch.from_numpy(a.astype(np.float64)) for a in (x, h0, c0)]
    hs, state = mod(t[0], (t[1], t[2]) if cell == "lstm" else t[1])
    want = torch.nn.functional.cross_entropy(out(hs), torch.from_numpy(y.astype(np.int64)),
                                             reduction="none")
    want.sum().backward()
    ok, msg = compare(losses, want.detach().numpy(), 1e-5, 1e-6)
    check(ok, "%s: rnnbow_gradient: losses = the module's" % label, msg)
    hn_want = (state[0] if cell == "lstm" else state).detach().numpy()
    ok, msg = compare(hn, hn_want, 1e-5, 1e-6)
    if cell == "lstm":
        ok2, msg2 = compare(cn, state[1].detach().numpy(), 1e-5, 1e-6)
        ok, msg = ok and ok2, msg + " " + msg2
    check(ok, "%s: rnnbow_gradient: final states = the module's" % label, msg)
    bad, back = [], []
    grads = dict(mod.named_parameters())
    grads["weight_out"], grads["bias_out"] = out.weight, out.bias
    for k, v in tensors.items():
        a = np.zeros(v.shape, np.float32)
        if lib.rnnbow_net_get(net, k.encode(), fptr(a), a.size) != 0 or \
                not np.array_equal(a, v.detach().numpy().astype(np.float32)):
            back.append(k)
        if lib.rnnbow_net_grad(net, k.encode(), fptr(a), a.size) != 0:
            bad.append("%s: %s" % (k, lib.rnnbow_errmsg().decode()))
            continue
        g = grads[k].grad.numpy()
        ok, msg = compare(a, g, 1e-4, 1e-6 * max(1.0, np.abs(g).max()))
        if not ok:
            bad.append("%s: %s" % (k, msg))
    check(not back, "%s: rnnbow_net_get gives back what was set" % label, " ".join(back))
    check(not bad, "%s: rnnbow_net_grad = the module's backward, every name" % label,
          "; ".join(bad))


def main():
    torch.set_default_dtype(torch.float64)
    lib = load(sys.argv[1])
    cases = [("rnn", "tanh", 1), ("rnn", "relu", 2), ("lstm", "tanh", 1), ("lstm", "tanh", 2),
             ("gru", "tanh", 1), ("gru", "tanh", 2)]
    for i, (cell, act, L) in enumerate(cases):
        run_case(lib, cell, act, L, In=7, H=5, V=4, n=6, seed=10 + i)
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
