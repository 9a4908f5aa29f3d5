#!/usr/bin/python3
"""Numpy baseline for `make bench`: the training loop a user would otherwise write.

A plain min-char-rnn-style loop (Karpathy's structure, written afresh), matching
rnnbow's default model so the throughputs compare like for like:
  vanilla tanh RNN, H=100, seq_len n=25, vocab = sorted distinct bytes of the
  corpus, one-hot inputs, weights randn*0.01, biases zero, Adagrad lr 0.1
  (mem += g*g; p -= lr*g/sqrt(mem+1e-8)), gradients clipped elementwise to
  [-5, 5], batches walk the corpus in order with the hidden state carried
  between batches and reset to zero on wrap.
Arithmetic is float64, numpy's default and what min-char-rnn uses.

Usage: /usr/bin/python3 minchar_numpy.py --corpus FILE [--batches N]
Prints one line to stdout:  chars_per_s=<float> batches=<N> seconds=<float>
The time covers the training loop only (not imports or reading the corpus).
"""
import argparse
import time

import numpy as np

H, N, LR, CLIP = 100, 25, 0.1, 5.0

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--corpus", required=True)
ap.add_argument("--batches", type=int, default=2000)
args = ap.parse_args()

data = np.frombuffer(open(args.corpus, "rb").read(), dtype=np.uint8)
vocab = np.unique(data)                      # sorted distinct bytes
V = len(vocab)
ids = np.searchsorted(vocab, data)           # token id of every byte
if len(ids) < N + 1:
    raise SystemExit("corpus too short")

rng = np.random.default_rng(1)
Wxh = rng.standard_normal((H, V)) * 0.01     # input to hidden
Whh = rng.standard_normal((H, H)) * 0.01     # hidden to hidden
Why = rng.standard_normal((V, H)) * 0.01     # hidden to output
bh = np.zeros((H, 1))
by = np.zeros((V, 1))
params = [Wxh, Whh, Why, bh, by]
mems = [np.zeros_like(p) for p in params]    # Adagrad memory


def loss_and_grads(inputs, targets, hprev):
    """Forward and backward pass over one batch; returns loss, grads, last h."""
    xs, hs, ps = {}, {-1: hprev}, {}
    loss = 0.0
    for t in range(N):
        xs[t] = np.zeros((V, 1))
        xs[t][inputs[t]] = 1.0
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        o = Why @ hs[t] + by
        e = np.exp(o - o.max())
        ps[t] = e / e.sum()
        loss -= np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros((H, 1))
    for t in reversed(range(N)):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dhnext
        dz = (1.0 - hs[t] * hs[t]) * dh
        dbh += dz
        dWxh += dz @ xs[t].T
        dWhh += dz @ hs[t - 1].T
        dhnext = Whh.T @ dz
    return loss, [dWxh, dWhh, dWhy, dbh, dby], hs[N - 1]


pos, h = 0, np.zeros((H, 1))
start = time.perf_counter()
for b in range(args.batches):
    if pos + N + 1 > len(ids):               # wrap: back to the start, fresh state
        pos, h = 0, np.zeros((H, 1))
    inputs, targets = ids[pos:pos + N], ids[pos + 1:pos + N + 1]
    loss, grads, h = loss_and_grads(inputs, targets, h)
    for p, g, m in zip(params, grads, mems):
        np.clip(g, -CLIP, CLIP, out=g)
        m += g * g
        p -= LR * g / np.sqrt(m + 1e-8)
    pos += N
seconds = time.perf_counter() - start

print(f"chars_per_s={args.batches * N / seconds:.1f} batches={args.batches} "
      f"seconds={seconds:.3f}")
