#!/usr/bin/python3
"""train.py - a PyTorch character model whose training is recorded by librnnbow.

    python3 train.py run.h5 [--corpus FILE] [--steps N] [--record-every K] ...
    rnnbow summarize run.h5

An ordinary PyTorch loop: nn.Embedding -> nn.LSTM -> nn.Linear over the
bytes of a text, minibatches of B sequences of n steps (B contiguous strips
of the corpus, each strip's state carried from one window to the next:
truncated BPTT), Adam, gradient clipping. librnnbow is a client library
here: every K-th step, before the update, the model's tensors go to it by
their PyTorch names and it itemizes ONE sequence of the batch (sequence 0:
its embedded inputs as dense x, its targets, its carried h0 and c0) into
the run file; every step appends a /train row (the batch's mean loss and
the gradient norm before clipping). Every rnnbow reader opens the file.
"""
import argparse
import hashlib
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnnbow_ctypes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="the run file to write (replaced if it is a run file)")
    p.add_argument("--corpus", default=os.path.join(HERE, "..", "..", "README.md"),
                   help="text to learn, at most 256 distinct bytes (default: the README)")
    p.add_argument("--lib", help="path of librnnbow.so (default: $RNNBOW_LIB, then the "
                   "system's)")
    p.add_argument("--steps", type=int, default=1000, help="training steps (minibatches)")
    p.add_argument("--record-every", type=int, default=10, help="record every K-th step")
    p.add_argument("--batch", type=int, default=8, help="sequences per minibatch")
    p.add_argument("--seq-len", type=int, default=32, help="steps per sequence (BPTT window)")
    p.add_argument("--embed", type=int, default=16, help="embedding size")
    p.add_argument("--hidden", type=int, default=64, help="LSTM units per layer")
    p.add_argument("--layers", type=int, default=2, help="LSTM layers")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--dump", help="also torch.save every recorded step's tensors here "
                   "(what tests/lib/check_torch_example.py checks the file against)")
    return p.parse_args()


def strips(ids, B, n):
    """Inputs and targets (B, S) of B contiguous strips, S a multiple of n."""
    S = (len(ids) - 1) // B // n * n
    if S < n:
        sys.exit("train.py: corpus too short for %d sequences of %d steps" % (B, n))
    x = torch.stack([ids[b * S:(b + 1) * S] for b in range(B)])
    y = torch.stack([ids[b * S + 1:(b + 1) * S + 1] for b in range(B)])
    return x, y


def main():
    a = arguments()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    text = open(a.corpus, "rb").read()
    vocab = sorted(set(text))  # output id i is byte vocab[i]
    index = {b: i for i, b in enumerate(vocab)}
    ids = torch.tensor([index[b] for b in text], dtype=torch.long)
    V, B, n, L, H = len(vocab), a.batch, a.seq_len, a.layers, a.hidden
    inputs, targets = strips(ids, B, n)
    windows = inputs.shape[1] // n

    embed = torch.nn.Embedding(V, a.embed)
    lstm = torch.nn.LSTM(a.embed, H, num_layers=L, batch_first=True)
    head = torch.nn.Linear(H, V)
    params = [*embed.parameters(), *lstm.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=a.lr)

    lib = rnnbow_ctypes.load(a.lib)
    net = rnnbow_ctypes.Net(lib, "lstm", a.embed, H, L, V)
    options = {"input": "dense", "overwrite": 1, "params": 1,
               "corpus_name": os.path.basename(a.corpus), "corpus_bytes": len(text),
               "corpus_sha256": hashlib.sha256(text).hexdigest(),
               "command_line": " ".join(["train.py"] + sys.argv[1:]), "seed": a.seed,
               "optimizer": "adam", "learning_rate": a.lr, "clip": a.clip,
               "batches": a.steps, "record_every": a.record_every}
    run = rnnbow_ctypes.Run(lib, a.run, net, n, options, vocab)
    dump = {}
    h, c = torch.zeros(L, B, H), torch.zeros(L, B, H)
    start, first, loss = time.time(), None, None
    for step in range(a.steps):
        w = step % windows
        if w == 0:  # back at the start of the strips: start over from zero states
            h, c = torch.zeros(L, B, H), torch.zeros(L, B, H)
        x, y = inputs[:, w * n:(w + 1) * n], targets[:, w * n:(w + 1) * n]
        e = embed(x)                                   # (B, n, embed)
        out, (hn, cn) = lstm(e, (h, c))
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V), y.reshape(-1))
        if step % a.record_every == 0:
            # the weights that make this step's gradient, sequence 0 of the batch
            net.set_module(lstm, head)
            run.record(step, e[0], y[0], h[:, 0], c[:, 0])
            if a.dump:
                dump[step] = {"x": e.detach().clone(), "y": y.clone(), "h0": h.clone(),
                              "c0": c.clone(), "lstm": {k: v.clone() for k, v in
                                                        lstm.state_dict().items()},
                              "weight_out": head.weight.detach().clone(),
                              "bias_out": head.bias.detach().clone()}
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, a.clip)  # the norm before clipping
        opt.step()
        run.train(step, loss.item(), norm.item())
        h, c = hn.detach(), cn.detach()
        first = loss.item() if first is None else first
    run.close()
    net.close()
    if a.dump:
        torch.save({"vocab": vocab, "layers": L, "hidden": H, "records": dump}, a.dump)
    print("%s: %d steps of %d x %d bytes, %d recorded, vocabulary %d bytes, "
          "loss %.2f -> %.2f nats, %.1f s" % (a.run, a.steps, B, n,
                                              (a.steps + a.record_every - 1) // a.record_every,
                                              V, first, loss.item(), time.time() - start))


if __name__ == "__main__":
    try:
        main()
    except rnnbow_ctypes.RnnbowError as e:  # the library's message says what and why
        sys.exit("train.py: %s" % e)
