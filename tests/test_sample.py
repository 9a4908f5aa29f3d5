#!/usr/bin/python3
"""test_sample.py - rnnbow sample and record --sample-every against PyTorch.

    /usr/bin/python3 tests/test_sample.py ./rnnbow

For small runs recorded with --save-params (vanilla tanh, LSTM, GRU, and
two stacked layers) the model of a record is loaded into torch.nn.RNN/LSTM/
GRU from /record/params, and:

  * --temperature 0 must equal a greedy decode by torch (float64): zero
    state, the all-zero input when there is no prime (the prime's bytes
    otherwise), then each argmax fed back (docs/ANALYSIS.md, "Samples");
  * --temperature 1 and 0.5: each byte of a long sample is one draw from
    softmax(o / T) of torch's forward pass over the bytes before it, so
    each byte's count must lie within 5 standard deviations of the sum of
    those probabilities (the first bytes of many seeds too, from torch's
    first step), and a deliberately wrong oracle (uniform) must fail the
    same test;
  * the same seed gives the same bytes, another seed other bytes;
  * /samples read back with h5py: batches 0, K, 2K, ... below --batches,
    (S, N) uint8 rows, attributes; each stored sample of a recorded batch
    is what `sample --batch B` gives with the run's seed;
  * bad input is refused with one line and the documented exit status.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, load_module  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
T = tempfile.mkdtemp(prefix="rnnbow-sample.")

CORPUS = os.path.join(T, "c.txt")
with open(CORPUS, "w") as fh:
    for i in range(600):
        fh.write("int f%d(int x) { return x * %d + %d; }\n" % (i, i % 7, i % 5))


def run(*args, **kw):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, **kw)


def record(name, *opts):
    path = os.path.join(T, name)
    p = run("record", CORPUS, "-o", path, "--quiet", "--seq-len", 16, *opts)
    if p.returncode:
        raise RuntimeError(p.stderr.decode())
    return path


def load(path, batch):
    """(module, linear, vocab) of the record of `batch` (-1: the last)."""
    f = h5py.File(path, "r")
    m = f["model"].attrs
    cell = m["cell"].decode() if isinstance(m["cell"], bytes) else str(m["cell"])
    L, H, V = int(m["layers"]), int(m["hidden_size"]), int(m["vocab_size"])
    rows = list(f["record/batch"][:])
    r = len(rows) - 1 if batch < 0 else rows.index(batch)
    mod, lin = load_module(f, cell, "tanh", L, H, V, r)
    return mod, lin, bytes(f["model/vocab"][:]), cell


def step(mod, lin, x, state):
    out, state = mod(x.view(1, 1, -1), state)
    return lin(out[0, -1]), state


def greedy(model, prime, n):
    """Torch's greedy decode: the bytes, and the smallest gap between the
    two largest logits on the way (a near tie may go either way in float32)."""
    mod, lin, vocab, _ = model
    V = len(vocab)
    state, gap = None, np.inf
    with torch.no_grad():
        xs = [torch.zeros(V)] if not prime else [torch.nn.functional.one_hot(
            torch.tensor(vocab.index(b)), V).double() for b in prime]
        for x in xs:
            o, state = step(mod, lin, x, state)
        out = b""
        for _ in range(n):
            top = torch.topk(o, 2).values
            gap = min(gap, float(top[0] - top[1]))
            v = int(torch.argmax(o))
            out += bytes([vocab[v]])
            o, state = step(mod, lin, torch.nn.functional.one_hot(torch.tensor(v), V).double(), state)
    return out, gap


def step_probs(model, text, T_):
    """softmax(o_i / T) of torch at every step of a sample without prime:
    row i is the distribution byte i of text was drawn from."""
    mod, lin, vocab, _ = model
    V = len(vocab)
    ids = torch.tensor([vocab.index(b) for b in text[:-1]])
    x = torch.cat([torch.zeros(1, V), torch.nn.functional.one_hot(ids, V).double()])
    with torch.no_grad():
        out, _ = mod(x.unsqueeze(0))
        return torch.softmax(lin(out[0]) / T_, 1).numpy()


def within(counts, p):
    """Every byte's count within 5 standard deviations (+1) of its
    expectation; p (steps, V) the distribution of each step's draw."""
    sd = np.sqrt(np.sum(p * (1 - p), 0))
    return bool(np.all(np.abs(counts - p.sum(0)) <= 5 * sd + 1))


def test_greedy(name, opts, batch):
    path = record(name + ".h5", "--save-params", *opts)
    model = load(path, batch)
    args = [] if batch < 0 else ["--batch", batch]
    for prime in (b"", b"int f1"):
        p = run("sample", path, "-t", 0, "-n", 60, "--prime", prime.decode(), *args)
        want, gap = greedy(model, prime, 60)
        check(p.returncode == 0 and p.stdout == prime + want and gap > 1e-4,
              "%s: --temperature 0%s equals torch's greedy decode from the saved params "
              "(smallest top-2 logit gap %.2g)" % (name, " --prime '%s'" % prime.decode() if prime else "", gap),
              lambda: "rnnbow: %r\ntorch:  %r\n%s" % (p.stdout, prime + want, p.stderr.decode()))
    return path, model


def test_frequencies(path, model, temperature, N):
    """Each byte of a sample is one draw from softmax(o / T) given the
    bytes before it; the counts of each byte over N steps must match the
    sum of those distributions (the first byte's over seeds, step by step)."""
    vocab = model[2]
    text = run("sample", path, "-n", N, "--seed", 5, "-t", temperature).stdout
    p = step_probs(model, text, temperature)
    counts = np.array([text.count(bytes([b])) for b in vocab], dtype=float)
    check(len(text) == N and within(counts, p),
          "--temperature %g: the bytes of a %d-byte sample are drawn from softmax(o / T) of "
          "torch's forward pass over it (each byte's count within 5 sd)" % (temperature, N),
          lambda: "max |count - E| / sd: %.2f" % np.max(np.abs(counts - p.sum(0)) /
                                                        np.sqrt(np.sum(p * (1 - p), 0) + 1e-12)))
    firsts = [run("sample", path, "-n", 1, "--seed", s, "-t", temperature).stdout
              for s in range(40)]
    p1 = np.tile(p[0], (40, 1))
    c1 = np.array([firsts.count(bytes([b])) for b in vocab], dtype=float)
    check(within(c1, p1), "... and the first bytes of 40 seeds, from torch's first step")
    wrong = np.full_like(p, 1.0 / len(vocab))
    check(not within(counts, wrong),
          "... and the same test refuses a wrong oracle (uniform), so it can fail")


def test_determinism(path):
    a = run("sample", path, "-n", 200, "--seed", 7).stdout
    b = run("sample", path, "-n", 200, "--seed", 7).stdout
    c = run("sample", path, "-n", 200, "--seed", 8).stdout
    d = run("sample", path, "-n", 50, "--seed", 7).stdout
    check(a == b and len(a) == 200, "the same seed gives the same 200 bytes")
    check(a != c, "another seed gives other bytes")
    check(a[:50] == d, "a shorter sample is a prefix of the longer (one stream)")


def test_stored():
    path = record("stored.h5", "--save-params", "--batches", 1001, "--record-every", 100,
                  "--sample-every", 250, "--sample-length", 77, "--hidden", 24)
    f = h5py.File(path, "r")
    g = f["samples"]
    check(list(g["batch"][:]) == [0, 250, 500, 750, 1000] and g["batch"].dtype == np.int64,
          "/samples/batch: batches 0, K, 2K, ... below --batches, int64",
          lambda: g["batch"][:])
    check(g["text"].shape == (5, 77) and g["text"].dtype == np.uint8,
          "/samples/text: (S, N) uint8 rows", lambda: (g["text"].shape, g["text"].dtype))
    check(int(g.attrs["every"]) == 250 and int(g.attrs["length"]) == 77 and
          float(g.attrs["temperature"]) == 1.0, "/samples attributes: every, length, temperature")
    vocab = bytes(f["model/vocab"][:])
    check(all(b in vocab for b in bytes(g["text"][:].ravel())),
          "every stored byte is one of the vocabulary's")
    same = []
    recorded = set(f["record/batch"][:])
    for i, b in enumerate(g["batch"][:]):
        if b in recorded:
            p = run("sample", path, "--batch", int(b), "-n", 77)
            same.append(p.stdout == bytes(g["text"][i]))
    check(len(same) == 3 and all(same),
          "sample --batch B with the run's seed gives each stored sample of a recorded batch back",
          lambda: same)
    f.close()
    info = run("info", path).stdout.decode()
    check("samples: every 250 batches, 77 bytes: 5 samples (batches 0 to 1000)" in info,
          "info lists the samples", lambda: info)
    return path


def test_unprintable():
    """Bytes that are not printable: raw on stdout, escaped in the report."""
    corpus = os.path.join(T, "bin.txt")
    with open(corpus, "wb") as fh:
        fh.write(bytes([1, 0xff, 0x80, 7]) * 30 + b"abc\n" * 30)
    path = os.path.join(T, "bin.h5")
    p = run("record", corpus, "-o", path, "--quiet", "--batches", 20, "--hidden", 8,
            "--sample-every", 10, "--sample-length", 300, "--save-params")
    text = bytes(h5py.File(path, "r")["samples/text"][0])
    odd = sorted(set(b for b in text if not (32 <= b < 127 or b in (9, 10))))
    out = run("sample", path, "--batch", 0, "-n", 300).stdout
    check(p.returncode == 0 and odd and out == text,
          "sample writes bytes that are not printable as they are (%d kinds here)" % len(odd))
    rep = os.path.join(T, "rep")
    r = run("report", path, "-o", rep)
    html = open(os.path.join(rep, "index.html"), "rb").read()
    check(r.returncode == 0 and all(b"\\x%02x</span>" % b in html for b in odd) and
          not any(bytes([b]) in html for b in odd),
          "report shows the samples, those bytes escaped as \\xHH and never raw",
          lambda: r.stderr.decode())


def one_line(p, code, text):
    err = p.stderr.decode()
    return p.returncode == code and err.count("\n") == 1 and text in err


def test_bad(path_params):
    nop = record("noparams.h5", "--batches", 30, "--record-every", 10, "--hidden", 8)
    cases = [
        ("a run without saved parameters", ("sample", nop), 1,
         "has no saved parameters (/record/params): record it with --save-params"),
        ("a batch that was not recorded", ("sample", path_params, "--batch", 7), 1,
         "batch 7 was not recorded (records are of batches 0 to"),
        ("a prime byte outside the vocabulary", ("sample", path_params, "--prime", "\x01"), 1,
         "--prime: byte 0 (0x01) is not in the vocabulary"),
        ("--length 0", ("sample", path_params, "--length", 0), 2, "--length"),
        ("--temperature -1", ("sample", path_params, "--temperature", -1), 2, "--temperature"),
        ("no run file", ("sample",), 2, "no run file given"),
        ("two run files", ("sample", path_params, path_params), 2, "one run file at a time"),
        ("a file that is not a run", ("sample", CORPUS), 1, "c.txt"),
        ("record --sample-length without --sample-every",
         ("record", CORPUS, "-o", os.path.join(T, "x.h5"), "--sample-length", 10), 2,
         "--sample-length"),
    ]
    for what, args, code, text in cases:
        p = run(*args)
        check(one_line(p, code, text), "%s: exit %d, one line" % (what, code),
              lambda: (p.returncode, p.stderr.decode()))
    check(not os.path.exists(os.path.join(T, "x.h5")), "... and record leaves no file behind")


def main():
    common = ["--batches", 400, "--record-every", 100, "--hidden", 24]
    path, model = test_greedy("rnn", common, -1)
    test_greedy("lstm", common + ["--cell", "lstm"], 300)
    test_greedy("gru", common + ["--cell", "gru"], -1)
    test_greedy("lstm, 2 layers", common + ["--cell", "lstm", "--layers", 2], -1)
    test_greedy("rnn, 2 layers", common + ["--layers", 2], 200)
    test_frequencies(path, model, 1.0, 4000)
    test_frequencies(path, model, 0.5, 4000)
    test_determinism(path)
    test_stored()
    test_unprintable()
    test_bad(path)


tap.section("sample", main)
shutil.rmtree(T, ignore_errors=True)
sys.exit(tap.summary())
