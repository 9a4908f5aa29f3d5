#!/usr/bin/python3
"""test_valid.py - record --valid / --valid-share and --lr-decay.

    /usr/bin/python3 tests/test_valid.py ./rnnbow

  * /valid/loss of every evaluated batch equals a PyTorch forward pass
    (float64, zero state, one pass over the held-out steps) with that
    batch's saved parameters (--save-params, --valid-every = --record-every),
    for rnn, lstm and two stacked layers; --valid-steps cuts the text;
  * --batch-size 4: /valid/loss is still the one-sequence loss of the held-
    out text from a zero state (PyTorch float64 over the saved params of a
    B = 4 run, lstm and 2-layer gru), B does not enter it;
  * --valid-share X holds the corpus' last floor(X len) bytes out of
    training: no /record/position reaches them, and the run trains exactly
    as a run on the corpus without its tail (same /train/loss);
  * --valid-steps defaults to --valid-every x --seq-len;
  * --valid FILE: scored with the corpus' vocabulary; a byte outside it is
    refused with one line and no file;
  * --lr-decay X with sgd: until the first epoch boundary the run equals
    one without decay bit for bit; the update of the boundary batch is X
    times the undecayed one's; --lr-decay-after past it leaves it alone;
  * info (text and JSON) reports the last and the best held-out loss,
    plot loss draws it with its own key;
  * summarize --train adds valid_loss (h5py's /valid/loss on its batches,
    nan elsewhere) when a run read has /valid, and prints a run without
    one as before; summarize --valid gives every evaluation with the
    running best (h5py + numpy), and refuses a run without /valid;
  * bad input (share 0 or 1, --valid with --valid-share, --valid-every
    alone) is a usage error (2) leaving nothing behind.
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
T = tempfile.mkdtemp(prefix="rnnbow-valid.")

CORPUS = os.path.join(T, "c.txt")
TEXT = b"".join(b"int f%d(int x) { return x * %d + %d; }\n" % (i, i % 7, i % 5)
                for i in range(300))
with open(CORPUS, "wb") as fh:
    fh.write(TEXT)


def run(*args):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True)


def record(name, *opts, corpus=CORPUS):
    path = os.path.join(T, name)
    p = run("record", corpus, "-o", path, "--quiet", "--seq-len", 16, *opts)
    if p.returncode:
        raise RuntimeError(p.stderr.decode())
    return path


def torch_loss(f, r, ids, cell, L, H, V):
    """Mean -log p of ids[1:] given ids[:-1] from a zero state."""
    mod, out = load_module(f, cell, "tanh", L, H, V, r)
    x = torch.nn.functional.one_hot(torch.tensor(ids[:-1]), V).double()[None]
    with torch.no_grad():
        o = out(mod(x)[0][0])
        return torch.nn.functional.cross_entropy(o, torch.tensor(ids[1:])).item()


def encode(f, data):
    vocab = bytes(f["model/vocab"][:])
    return [vocab.index(b) for b in data]


def against_torch(cell, L, steps):
    share = 0.1
    opts = ["--cell", cell, "--layers", L, "--hidden", 12, "--batches", 120,
            "--record-every", 40, "--save-params", "--valid-share", share]
    opts += ["--valid-steps", steps]  # 0: all of it
    path = record("t_%s_%d_%d.h5" % (cell, L, steps), *opts)
    with h5py.File(path, "r") as f:
        V = int(f["model"].attrs["vocab_size"])
        tail = int(share * len(TEXT))
        held = TEXT[len(TEXT) - tail:]
        ids = encode(f, held)
        if steps:
            ids = ids[:steps + 1]
        vb, vl = f["valid/batch"][:], f["valid/loss"][:]
        check(list(vb) == [0, 40, 80] and vl.dtype == np.float32,
              "%s L=%d: /valid/batch is 0, K, 2K; loss float32" % (cell, L), (vb, vl.dtype))
        check(int(f["valid"].attrs["bytes"]) == tail and int(f["valid"].attrs["every"]) == 40,
              "%s L=%d: /valid attrs bytes, every" % (cell, L), dict(f["valid"].attrs))
        want = [torch_loss(f, r, ids, cell, L, 12, V) for r in range(3)]
        check(np.allclose(vl, want, rtol=2e-5, atol=0),
              "%s L=%d steps=%s: /valid/loss equals PyTorch's forward over the held-out text"
              % (cell, L, steps or "all"), (list(vl), want))
        pos = f["record/position"][:]
        check(pos.max() + 16 + 1 <= len(TEXT) - tail,
              "%s L=%d: no recorded batch reads the held-out tail" % (cell, L), pos)


def minibatch(cell, L):
    """A B = 4 run: its /valid is the same function of the parameters."""
    share = 0.1
    path = record("mb_%s_%d.h5" % (cell, L), "--cell", cell, "--layers", L, "--hidden", 12,
                  "--batch-size", 4, "--batches", 120, "--record-every", 40, "--save-params",
                  "--valid-share", share, "--valid-steps", 0, "--no-diagnostics")
    with h5py.File(path, "r") as f:
        V = int(f["model"].attrs["vocab_size"])
        tail = int(share * len(TEXT))
        ids = encode(f, TEXT[len(TEXT) - tail:])
        vl = f["valid/loss"][:]
        want = [torch_loss(f, r, ids, cell, L, 12, V) for r in range(3)]
        check(list(f["valid/batch"][:]) == [0, 40, 80]
              and np.allclose(vl, want, rtol=2e-5, atol=0) and len(set(want)) == 3,
              "--batch-size 4, %s L=%d: /valid/loss equals PyTorch's one-sequence forward "
              "over the held-out text from a zero state" % (cell, L), (list(vl), want))


def share_excludes_tail():
    share = 0.25
    tail = int(share * len(TEXT))
    short = os.path.join(T, "short.txt")
    with open(short, "wb") as fh:
        fh.write(TEXT[:len(TEXT) - tail])
    # a vocabulary of the whole corpus: the short one must have the same bytes
    check(set(TEXT[:len(TEXT) - tail]) == set(TEXT), "the trimmed corpus keeps the vocabulary")
    a = record("share.h5", "--batches", 400, "--record-every", 1, "--no-diagnostics",
               "--valid-share", share, "--valid-every", 50)
    b = record("short.h5", "--batches", 400, "--record-every", 1, "--no-diagnostics",
               corpus=short)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        pa = fa["record/position"][:]
        check(pa.max() + 17 <= len(TEXT) - tail and pa.max() > 0,
              "--valid-share: /record/position never reaches the tail", pa.max())
        check(np.array_equal(fa["train/loss"][:], fb["train/loss"][:]),
              "--valid-share trains exactly as the corpus without its tail")


def valid_file():
    vf = os.path.join(T, "v.txt")
    held = b"int f9(int x) { return x * 3 + 1; }\n" * 5
    with open(vf, "wb") as fh:
        fh.write(held)
    path = record("vfile.h5", "--batches", 60, "--record-every", 30, "--save-params",
                  "--hidden", 10, "--valid", vf)
    with h5py.File(path, "r") as f:
        ids = encode(f, held)
        want = [torch_loss(f, r, ids, "rnn", 1, 10, int(f["model"].attrs["vocab_size"]))
                for r in range(2)]
        check(np.allclose(f["valid/loss"][:], want, rtol=2e-5),
              "--valid FILE: /valid/loss equals PyTorch's", (f["valid/loss"][:], want))
        check(f["valid"].attrs["source"] in (vf, vf.encode()), "--valid: attr source names it")
    bad = os.path.join(T, "bad.txt")
    with open(bad, "wb") as fh:
        fh.write(b"int x; \xff\n")
    out = os.path.join(T, "bad.h5")
    p = run("record", CORPUS, "-o", out, "--quiet", "--batches", 5, "--valid", bad)
    err = p.stderr.decode()
    check(p.returncode == 1 and len(err.strip().splitlines()) == 1 and "0xff" in err
          and not os.path.exists(out),
          "--valid with a byte outside the vocabulary: one line, exit 1, no file",
          (p.returncode, err))


def lr_decay():
    n, B = 16, 1
    epoch = (len(TEXT) - 1) // n  # batches per pass over the text
    common = ["--optimizer", "sgd", "--lr", 0.05, "--hidden", 8, "--no-diagnostics",
              "--record-every", 1, "--save-params", "--batches", epoch + 2, "--clip", 0]
    a = record("decay.h5", *common, "--lr-decay", 0.5)
    b = record("nodecay.h5", *common)
    c = record("late.h5", *common, "--lr-decay", 0.5, "--lr-decay-after", epoch + 1)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(c, "r") as fc:
        check(int(fa["train"].attrs["epoch_batches"]) == epoch,
              "--lr-decay: attr epoch_batches = (len - 1) // n", fa["train"].attrs["epoch_batches"])
        name = "weight_hh_l0"
        pa, pb, pc = fa["record/params/" + name][:], fb["record/params/" + name][:], \
            fc["record/params/" + name][:]
        check(np.array_equal(pa[:epoch + 1], pb[:epoch + 1]),
              "--lr-decay: identical to no decay up to the first epoch boundary")
        da, db = pa[epoch + 1] - pa[epoch], pb[epoch + 1] - pb[epoch]
        check(np.allclose(da, 0.5 * db, rtol=1e-3, atol=1e-9) and np.abs(db).max() > 0,
              "--lr-decay 0.5: the boundary batch's sgd update is half the undecayed one",
              (np.abs(da - 0.5 * db).max(), np.abs(db).max()))
        check(np.array_equal(pc, pb),
              "--lr-decay-after past the boundary: no decay there")


def readers():
    path = record("readers.h5", "--batches", 90, "--record-every", 30, "--valid-share", 0.1)
    with h5py.File(path, "r") as f:
        vb, vl = f["valid/batch"][:], f["valid/loss"][:]
        steps = int(f["valid"].attrs["steps"])
    check(steps == 30 * 16 < int(0.1 * len(TEXT)) - 1,
          "--valid-steps by default: --valid-every x --seq-len (30 x 16)", steps)
    best = int(np.argmin(vl))
    p = run("info", "--format", "json", path)
    import json
    d = json.loads(p.stdout)
    check(d["valid_rows"] == 3 and d["valid_last_batch"] == vb[-1]
          and abs(d["valid_last_loss"] - vl[-1]) < 1e-6 and d["valid_best_batch"] == vb[best]
          and abs(d["valid_best_loss"] - vl[best]) < 1e-6,
          "info --format json: valid_last_loss and valid_best_loss with their batches", d)
    text = run("info", path).stdout.decode()
    check("valid:   every 30 batches" in text and "best %.4f (batch %d)" % (vl[best], vb[best])
          in text, "info: a valid: line with the last and the best", text)
    svg = os.path.join(T, "loss.svg")
    p = run("plot", "loss", path, "-o", svg)
    body = open(svg).read() if p.returncode == 0 else ""
    check("held-out" in body and "training" in body,
          "plot loss: a held-out line with its own key beside the training loss",
          p.stderr.decode())
    plain = record("plain.h5", "--batches", 30, "--record-every", 10)
    text = run("info", plain).stdout.decode()
    check("valid:" not in text, "info: no valid: line for a run without /valid")


def tsv(out):
    lines = out.decode().splitlines()
    head = lines[0].split("\t")
    return head, [dict(zip(head, ln.split("\t"))) for ln in lines[1:]]


def summarize():
    path = record("sum.h5", "--batches", 130, "--record-every", 0, "--valid-share", 0.1,
                  "--valid-every", 20, "--valid-steps", 200)
    plain = record("sum_plain.h5", "--batches", 30, "--record-every", 10)
    with h5py.File(path, "r") as f:
        vb, vl = f["valid/batch"][:], f["valid/loss"][:]
        tb, tl = f["train/batch"][:], f["train/loss"][:]
    p = run("summarize", "--train", path)
    head, rows = tsv(p.stdout)
    check(p.returncode == 0 and head == ["batch", "loss", "grad_norm", "nonfinite", "valid_loss"],
          "summarize --train: valid_loss after the columns it always had", head)
    byb = dict(zip(vb.tolist(), vl.tolist()))
    got = [float(r["valid_loss"]) for r in rows]
    want = [byb.get(b, float("nan")) for b in tb.tolist()]
    check(len(rows) == len(tb) and np.array_equal(np.array(got, np.float32),
                                                  np.array(want, np.float32), equal_nan=True)
          and np.array_equal(np.array([float(r["loss"]) for r in rows], np.float32), tl),
          "summarize --train: valid_loss is /valid/loss on its batches, nan elsewhere",
          (got[:25], want[:25]))
    check(sum(not np.isnan(g) for g in got) == len(vb) == 7,
          "summarize --train: one valid_loss per /valid row (batches 0, 20, .. 120)", vb)
    p = run("summarize", "--train", plain)
    head, rows = tsv(p.stdout)
    check(head == ["batch", "loss", "grad_norm", "nonfinite"] and len(rows) == 30,
          "summarize --train: a run without /valid prints the columns it always did", head)
    p = run("summarize", "--train", plain, path)
    head, rows = tsv(p.stdout)
    check(head[-1] == "valid_loss" and head[0] == "run"
          and all(r["valid_loss"] == "nan" for r in rows if r["run"] == plain)
          and len(rows) == 30 + len(tb),
          "summarize --train, two runs, one with /valid: valid_loss nan for the other", head)
    p = run("summarize", "--valid", "--format", "json", path)
    import json
    rows = [json.loads(ln) for ln in p.stdout.decode().splitlines()]
    best = np.minimum.accumulate(vl)
    bb = [int(vb[int(np.argmin(vl[:i + 1]))]) for i in range(len(vl))]
    check(p.returncode == 0 and [r["batch"] for r in rows] == vb.tolist()
          and np.array_equal(np.array([r["valid_loss"] for r in rows], np.float32), vl)
          and np.array_equal(np.array([r["valid_best_loss"] for r in rows], np.float32), best)
          and [r["valid_best_batch"] for r in rows] == bb,
          "summarize --valid: every /valid row with the running best and its batch",
          (rows, vl))
    p = run("summarize", "--valid", "--from", 40, "--to", 100, path)
    head, rows = tsv(p.stdout)
    check([int(r["batch"]) for r in rows] == [40, 60, 80, 100]
          and float(rows[0]["valid_best_loss"]) == float(rows[0]["valid_loss"]),
          "summarize --valid --from/--to: the window, best within it", rows)
    p = run("summarize", "--valid", plain)
    err = p.stderr.decode()
    check(p.returncode == 1 and p.stdout == b"" and len(err.strip().splitlines()) == 1
          and "/valid" in err, "summarize --valid, a run without /valid: one line, exit 1", err)
    for opts in (["--train", "--valid"], ["--valid", "--top", 3]):
        p = run("summarize", *opts, path)
        check(p.returncode == 2, "summarize %s: usage error" % " ".join(map(str, opts)),
              p.stderr.decode())


def bad_input():
    out = os.path.join(T, "x.h5")
    for opts, what in ((["--valid-share", 0], "share 0"), (["--valid-share", 1], "share 1"),
                       (["--valid-share", 0.1, "--valid", CORPUS], "--valid and --valid-share"),
                       (["--valid-every", 5], "--valid-every alone"),
                       (["--lr-decay-after", 5], "--lr-decay-after alone"),
                       (["--lr-decay", 0], "--lr-decay 0"),
                       (["--valid-share", 0.999], "a share leaving too little to train")):
        p = run("record", CORPUS, "-o", out, "--quiet", "--batches", 5, *opts)
        err = p.stderr.decode()
        check(p.returncode in (1, 2) and err.count("rnnbow record:") >= 1
              and not os.path.exists(out), "refused: %s (exit %d)" % (what, p.returncode), err)


try:
    for cell, L, steps in (("rnn", 1, 0), ("lstm", 1, 0), ("lstm", 2, 0), ("rnn", 1, 50)):
        tap.section("against torch %s %d" % (cell, L), against_torch, cell, L, steps)
    for cell, L in (("lstm", 1), ("gru", 2)):
        tap.section("minibatch %s %d" % (cell, L), minibatch, cell, L)
    tap.section("share excludes tail", share_excludes_tail)
    tap.section("valid file", valid_file)
    tap.section("lr decay", lr_decay)
    tap.section("readers", readers)
    tap.section("summarize", summarize)
    tap.section("bad input", bad_input)
finally:
    shutil.rmtree(T, ignore_errors=True)
sys.exit(tap.summary())
