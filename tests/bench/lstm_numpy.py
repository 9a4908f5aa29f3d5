#!/usr/bin/python3
"""Numpy LSTM/GRU baseline for `make bench`: the gated training loop a user would otherwise write.

A plain min-char-rnn-style loop (Karpathy's structure, written afresh) for
PyTorch's nn.LSTM / nn.GRU cell equations, matching `rnnbow record --cell
lstm|gru` so the throughputs compare like for like:
  one layer, H=100, seq_len n=25, vocab = sorted distinct bytes of the corpus,
  one-hot inputs, weights randn*0.01, biases zero except the LSTM forget gate
  bias_ih[H:2H] = 1.0 (rnnbow's --forget-bias default), Adagrad lr 0.1
  (mem += g*g; p -= lr*g/sqrt(mem+1e-8)), gradients clipped elementwise to
  [-5, 5], batches walk the corpus in order with h (and the LSTM's c) carried
  between batches and reset to zero on wrap; forward and full BPTT per batch.
Parameters use PyTorch's layout and gate order (LSTM i,f,g,o; GRU r,z,n):
  weight_ih (G*H, V), weight_hh (G*H, H), bias_ih (G*H), bias_hh (G*H),
  weight_out (V, H), bias_out (V).
Arithmetic is float64, numpy's default and what min-char-rnn uses.

Usage: /usr/bin/python3 lstm_numpy.py --corpus FILE [--cell lstm|gru] [--batches N]
Prints one line to stdout:  chars_per_s=<float> batches=<N> seconds=<float>
The time covers the training loop only (not imports or reading the corpus).

With --check it trains no timed loop: it takes a few batches (larger
weights, so every nonlinearity is exercised and the carried state is not
zero), then compares the backward pass against central finite differences
of the loss for entries of every parameter, prints
`check cell=... max_rel_err=... entries=...` and exits 1 on a mismatch.
"""
import argparse
import sys
import time

import numpy as np

LR, CLIP = 0.1, 5.0

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--corpus", required=True)
ap.add_argument("--cell", choices=("lstm", "gru"), default="lstm")
ap.add_argument("--batches", type=int, default=500)
ap.add_argument("--hidden", type=int, default=100)
ap.add_argument("--seq-len", type=int, default=25)
ap.add_argument("--check", action="store_true",
                help="verify the gradient against finite differences and exit")
args = ap.parse_args()
H, N = args.hidden, args.seq_len
NG = 4 if args.cell == "lstm" else 3          # gates: LSTM i,f,g,o; GRU r,z,n

data = np.frombuffer(open(args.corpus, "rb").read(), dtype=np.uint8)
vocab = np.unique(data)                      # sorted distinct bytes
V = len(vocab)
ids = np.searchsorted(vocab, data)           # token id of every byte
if len(ids) < N + 1:
    raise SystemExit("corpus too short")


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def init_params(scale):
    rng = np.random.default_rng(1)
    Wih = rng.standard_normal((NG * H, V)) * scale   # input to gates
    Whh = rng.standard_normal((NG * H, H)) * scale   # hidden to gates
    bih = np.zeros((NG * H, 1))
    bhh = np.zeros((NG * H, 1))
    if args.cell == "lstm":
        bih[H:2 * H] = 1.0                           # forget gate bias
    Wout = rng.standard_normal((V, H)) * scale       # hidden to output
    bout = np.zeros((V, 1))
    return [Wih, Whh, bih, bhh, Wout, bout]


def lstm_loss_and_grads(params, inputs, targets, hprev, cprev):
    """LSTM forward and backward over one batch; returns loss, grads, last h, c."""
    Wih, Whh, bih, bhh, Wout, bout = params
    xs, hs, cs, ps = {}, {-1: hprev}, {-1: cprev}, {}
    ig, fg, gg, og, tc = {}, {}, {}, {}, {}
    loss = 0.0
    for t in range(N):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1.0
        a = np.dot(Wih, xs[t]) + bih + np.dot(Whh, hs[t - 1]) + bhh
        ig[t] = sigmoid(a[0:H])
        fg[t] = sigmoid(a[H:2 * H])
        gg[t] = np.tanh(a[2 * H:3 * H])
        og[t] = sigmoid(a[3 * H:4 * H])
        cs[t] = fg[t] * cs[t - 1] + ig[t] * gg[t]
        tc[t] = np.tanh(cs[t])
        hs[t] = og[t] * tc[t]
        o = np.dot(Wout, hs[t]) + bout
        e = np.exp(o - o.max())
        ps[t] = e / e.sum()
        loss -= np.log(ps[t][targets[t], 0])
    dWih, dWhh, dWout = np.zeros_like(Wih), np.zeros_like(Whh), np.zeros_like(Wout)
    dbih, dbhh, dbout = np.zeros_like(bih), np.zeros_like(bhh), np.zeros_like(bout)
    dhnext, dcnext = np.zeros((H, 1)), np.zeros((H, 1))
    for t in reversed(range(N)):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0
        dWout += np.dot(dy, hs[t].T)
        dbout += dy
        dh = np.dot(Wout.T, dy) + dhnext
        dc = dh * og[t] * (1.0 - tc[t] * tc[t]) + dcnext
        da = np.concatenate([
            dc * gg[t] * ig[t] * (1.0 - ig[t]),          # i
            dc * cs[t - 1] * fg[t] * (1.0 - fg[t]),      # f
            dc * ig[t] * (1.0 - gg[t] * gg[t]),          # g
            dh * tc[t] * og[t] * (1.0 - og[t]),          # o
        ])
        dWih += np.dot(da, xs[t].T)
        dWhh += np.dot(da, hs[t - 1].T)
        dbih += da
        dbhh += da
        dhnext = np.dot(Whh.T, da)
        dcnext = dc * fg[t]
    return loss, [dWih, dWhh, dbih, dbhh, dWout, dbout], hs[N - 1], cs[N - 1]


def gru_loss_and_grads(params, inputs, targets, hprev, cprev):
    """GRU forward and backward over one batch; returns loss, grads, last h
    (and cprev unchanged: a GRU has no cell state)."""
    Wih, Whh, bih, bhh, Wout, bout = params
    xs, hs, ps = {}, {-1: hprev}, {}
    rg, zg, ng, hn = {}, {}, {}, {}
    loss = 0.0
    for t in range(N):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1.0
        gi = np.dot(Wih, xs[t]) + bih
        gh = np.dot(Whh, hs[t - 1]) + bhh
        rg[t] = sigmoid(gi[0:H] + gh[0:H])
        zg[t] = sigmoid(gi[H:2 * H] + gh[H:2 * H])
        hn[t] = gh[2 * H:3 * H]                          # W_hn h + b_hn
        ng[t] = np.tanh(gi[2 * H:3 * H] + rg[t] * hn[t])
        hs[t] = (1.0 - zg[t]) * ng[t] + zg[t] * hs[t - 1]
        o = np.dot(Wout, hs[t]) + bout
        e = np.exp(o - o.max())
        ps[t] = e / e.sum()
        loss -= np.log(ps[t][targets[t], 0])
    dWih, dWhh, dWout = np.zeros_like(Wih), np.zeros_like(Whh), np.zeros_like(Wout)
    dbih, dbhh, dbout = np.zeros_like(bih), np.zeros_like(bhh), np.zeros_like(bout)
    dhnext = np.zeros((H, 1))
    for t in reversed(range(N)):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0
        dWout += np.dot(dy, hs[t].T)
        dbout += dy
        dh = np.dot(Wout.T, dy) + dhnext
        dan = dh * (1.0 - zg[t]) * (1.0 - ng[t] * ng[t])   # n's pre-activation
        daz = dh * (hs[t - 1] - ng[t]) * zg[t] * (1.0 - zg[t])
        dar = dan * hn[t] * rg[t] * (1.0 - rg[t])
        dgi = np.concatenate([dar, daz, dan])
        dgh = np.concatenate([dar, daz, dan * rg[t]])
        dWih += np.dot(dgi, xs[t].T)
        dbih += dgi
        dWhh += np.dot(dgh, hs[t - 1].T)
        dbhh += dgh
        dhnext = np.dot(Whh.T, dgh) + dh * zg[t]
    return loss, [dWih, dWhh, dbih, dbhh, dWout, dbout], hs[N - 1], cprev


loss_and_grads = lstm_loss_and_grads if args.cell == "lstm" else gru_loss_and_grads


def check():
    """Central differences against the backward pass; True when they agree."""
    params = init_params(0.3)
    mems = [np.zeros_like(p) for p in params]
    h, c = np.zeros((H, 1)), np.zeros((H, 1))
    pos = 0
    for _ in range(3):                       # move off the initial point
        _, grads, h, c = loss_and_grads(params, ids[pos:pos + N], ids[pos + 1:pos + N + 1], h, c)
        for p, g, m in zip(params, grads, mems):
            np.clip(g, -CLIP, CLIP, out=g)
            m += g * g
            p -= LR * g / np.sqrt(m + 1e-8)
        pos += N
    inputs, targets = ids[pos:pos + N], ids[pos + 1:pos + N + 1]
    _, grads, _, _ = loss_and_grads(params, inputs, targets, h, c)
    rng = np.random.default_rng(7)
    eps, worst, count, ok = 1e-5, 0.0, 0, True
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_out", "bias_out"]
    for name, p, g in zip(names, params, grads):
        picks = []
        for k in range(12):                  # spread over the gate blocks too
            row = rng.integers(0, p.shape[0])
            if p.shape[0] == NG * H:
                row = (k % NG) * H + rng.integers(0, H)
            col = rng.integers(0, p.shape[1])
            if name == "weight_ih":           # columns of the batch's inputs only
                col = inputs[rng.integers(0, N)]
            picks.append((int(row), int(col)))
        for ix in picks:
            old = p[ix]
            p[ix] = old + eps
            lp = loss_and_grads(params, inputs, targets, h, c)[0]
            p[ix] = old - eps
            lm = loss_and_grads(params, inputs, targets, h, c)[0]
            p[ix] = old
            fd = (lp - lm) / (2 * eps)
            err = abs(g[ix] - fd)
            rel = err / max(abs(fd), abs(g[ix]), 1e-12)
            count += 1
            if err > 1e-7 + 1e-5 * abs(fd):
                ok = False
                print("mismatch %s%s: backward %.12g, finite differences %.12g"
                      % (name, tuple(int(v) for v in ix), g[ix], fd), file=sys.stderr)
            if abs(fd) > 1e-4:          # relative error means little near zero
                worst = max(worst, rel)
    print(f"check cell={args.cell} max_rel_err={worst:.2e} entries={count} "
          f"{'ok' if ok else 'MISMATCH'}")
    return ok


if args.check:
    sys.exit(0 if check() else 1)

params = init_params(0.01)
mems = [np.zeros_like(p) for p in params]    # Adagrad memory
pos, h, c = 0, np.zeros((H, 1)), np.zeros((H, 1))
start = time.perf_counter()
for b in range(args.batches):
    if pos + N + 1 > len(ids):               # wrap: back to the start, fresh state
        pos, h, c = 0, np.zeros((H, 1)), np.zeros((H, 1))
    inputs, targets = ids[pos:pos + N], ids[pos + 1:pos + N + 1]
    loss, grads, h, c = loss_and_grads(params, inputs, targets, h, c)
    for p, g, m in zip(params, grads, mems):
        np.clip(g, -CLIP, CLIP, out=g)
        m += g * g
        p -= LR * g / np.sqrt(m + 1e-8)
    pos += N
seconds = time.perf_counter() - start

print(f"chars_per_s={args.batches * N / seconds:.1f} batches={args.batches} "
      f"seconds={seconds:.3f}")
