#!/usr/bin/python3
"""torch_minibatch.py - PyTorch's own training loop, the baseline of
`make bench`'s minibatch table: nn.RNN/LSTM/GRU of one layer on a byte
corpus, B sequences per batch each reading its own stretch of the corpus
with its own carried state (char-rnn's scheme, as `rnnbow record
--batch-size B`), n steps, cross-entropy summed over the B*n steps, Adam,
gradients clipped element-wise to [-5, 5] as rnnbow does. One thread unless
--threads says otherwise.

    torch_minibatch.py CORPUS --cell lstm --hidden 512 --seq-len 100 \\
        --batch-size 64 --batches 20 [--threads 1]

Prints "chars_per_s=X seconds=S batches=N loss=L" (the first 2 batches,
warm-up, are not timed).
"""
import argparse
import time

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    data = np.fromfile(a.corpus, dtype=np.uint8)
    vocab, ids = np.unique(data, return_inverse=True)
    V, B, n, H = len(vocab), a.batch_size, a.seq_len, a.hidden
    stretch = len(ids) // B
    ids = torch.from_numpy(ids[:stretch * B].reshape(B, stretch).astype(np.int64))
    mod = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[a.cell](
        V, H, batch_first=True)
    out = torch.nn.Linear(H, V)
    params = list(mod.parameters()) + list(out.parameters())
    opt = torch.optim.Adam(params, lr=0.002)
    eye = torch.eye(V)
    state, pos, t0, loss = None, 0, None, float("nan")
    for b in range(a.batches + 2):
        if b == 2:
            t0, c0 = time.perf_counter(), time.process_time()
        if pos + n + 1 > stretch:
            pos, state = 0, None
        x = eye[ids[:, pos:pos + n]]
        y = ids[:, pos + 1:pos + n + 1]
        top, state = mod(x, state)
        state = tuple(s.detach() for s in state) if a.cell == "lstm" else state.detach()
        l = torch.nn.functional.cross_entropy(out(top).reshape(-1, V), y.reshape(-1),
                                              reduction="sum")
        opt.zero_grad()
        l.backward()
        for p in params:
            p.grad.clamp_(-5, 5)
        opt.step()
        loss = l.item() / (B * n)
        pos += n
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    print("chars_per_s=%.0f cpu_chars_per_s=%.0f seconds=%.3f batches=%d loss=%.4f"
          % (a.batches * B * n / secs, a.batches * B * n / cpu, secs, a.batches, loss))


if __name__ == "__main__":
    main()
