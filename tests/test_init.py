#!/usr/bin/python3
"""test_init.py - record --init FILE: training from saved parameters.

    /usr/bin/python3 tests/test_init.py ./rnnbow

  * --init RUN.h5:B: the new run's record 0 (--save-params --record-every 1,
    the parameters before batch 0's update) holds exactly the tensors of
    RUN.h5's record of batch B; RUN.h5 alone takes its last record; the
    root attribute init says which; the loss of batch 0 equals PyTorch's
    loss from those parameters over the batch's input (zero state);
  * an HDF5 file written by h5py from a torch nn.LSTM (2 layers) and
    nn.Linear state_dict (renamed weight_out, bias_out) loads: record 0
    equals it, batch 0's loss equals PyTorch's;
  * --resume: a run started with --init extends exactly (the same losses
    as one uninterrupted run) with the same --init, and is refused without
    it or with another file;
  * a shape other than the model's, a missing name, a NaN, a batch not
    recorded: one line, exit 1, no run file left.
"""
import json
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

from torchrun import torch, MODULES  # noqa: E402

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
T = tempfile.mkdtemp(prefix="rnnbow-init.")

CORPUS = os.path.join(T, "c.txt")
TEXT = b"".join(b"int g%d(int y) { return y - %d * %d; }\n" % (i, i % 9, i % 4)
                for i in range(200))
with open(CORPUS, "wb") as fh:
    fh.write(TEXT)
V = len(set(TEXT))
N = 16


def run(*args):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True)


def record(name, *opts):
    path = os.path.join(T, name)
    p = run("record", CORPUS, "-o", path, "--quiet", "--seq-len", N, *opts)
    if p.returncode:
        raise RuntimeError(p.stderr.decode())
    return path


def torch_loss(p, f, cell, L, H):
    """Batch 0's mean loss of run f (record 0) with parameters p (name -> array)."""
    mod = MODULES[cell](V, H, num_layers=L, batch_first=True)
    t = {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in p.items()}
    mod.load_state_dict({k: v for k, v in t.items() if not k.endswith("_out")}, strict=True)
    out = torch.nn.Linear(H, V)
    out.load_state_dict({"weight": t["weight_out"], "bias": t["bias_out"]})
    x = torch.from_numpy(f["record/input"][0].astype(np.int64))
    y = torch.from_numpy(f["record/target"][0].astype(np.int64))
    with torch.no_grad():
        o = out(mod(torch.nn.functional.one_hot(x, V).double()[None])[0][0])
        return torch.nn.functional.cross_entropy(o, y).item()


def same_params(f, p, what):
    got = f["record/params"]
    ok = set(got) == set(p) and all(np.array_equal(got[k][0], np.float32(p[k])) for k in p)
    check(ok, "%s: record 0's /record/params equal the FILE's tensors" % what,
          sorted(set(got) ^ set(p)))


def from_run():
    a = record("a.h5", "--hidden", 12, "--batches", 30, "--record-every", 10, "--save-params")
    with h5py.File(a, "r") as fa:
        rows = list(fa["record/batch"][:])
        want = {k: fa["record/params"][k][rows.index(10)] for k in fa["record/params"]}
        last = {k: fa["record/params"][k][len(rows) - 1] for k in fa["record/params"]}
    b = record("b.h5", "--hidden", 12, "--batches", 3, "--record-every", 1, "--save-params",
               "--init", a + ":10")
    with h5py.File(b, "r") as f:
        same_params(f, want, "--init RUN.h5:10")
        check(f.attrs["init"].decode() == a + ":10", "root attribute init is RUN.h5:10",
              f.attrs["init"])
        mine, theirs = float(f["train/loss"][0]), torch_loss(want, f, "rnn", 1, 12)
        check(abs(mine - theirs) <= 2e-5 * abs(theirs),
              "--init RUN.h5:10: batch 0's loss equals PyTorch's from those parameters",
              (mine, theirs))
    c = record("c.h5", "--hidden", 12, "--batches", 2, "--record-every", 1, "--save-params",
               "--init", a)
    with h5py.File(c, "r") as f:
        same_params(f, last, "--init RUN.h5 (its last record)")
        check(f.attrs["init"].decode() == a + ":%d" % rows[-1],
              "root attribute init names the last record's batch", f.attrs["init"])
    with h5py.File(a, "r") as f:
        check("init" not in f.attrs, "a run without --init has no attribute init")
    text = subprocess.run([BIN, "info", b], capture_output=True, text=True).stdout
    check("init:    parameters from %s:10 (record --init)" % a in text,
          "rnnbow info says where the parameters came from", text)
    j = json.loads(subprocess.run([BIN, "info", "--format", "json", b], capture_output=True,
                                  text=True).stdout)
    k = json.loads(subprocess.run([BIN, "info", "--format", "json", a], capture_output=True,
                                  text=True).stdout)
    check(j.get("init") == a + ":10" and "init" not in k,
          "info --format json: init of a run with --init, none without", (j.get("init"), k.get("init")))


def torch_file(name, L=2, H=10, edit=None):
    torch.manual_seed(7)
    lstm, lin = torch.nn.LSTM(V, H, num_layers=L), torch.nn.Linear(H, V)
    sd = {k: v.detach().float().numpy() for k, v in lstm.state_dict().items()}
    sd["weight_out"] = lin.weight.detach().float().numpy()
    sd["bias_out"] = lin.bias.detach().float().numpy()
    if edit:
        edit(sd)
    path = os.path.join(T, name)
    with h5py.File(path, "w") as f:
        for k, v in sd.items():
            f[k] = v
    return path, sd


def from_torch():
    path, sd = torch_file("torch.h5")
    r = record("t.h5", "--cell", "lstm", "--layers", 2, "--hidden", 10, "--batches", 2,
               "--record-every", 1, "--save-params", "--init", path)
    with h5py.File(r, "r") as f:
        same_params(f, sd, "PyTorch nn.LSTM state_dict in HDF5")
        check(f.attrs["init"].decode() == path, "root attribute init is the file's path")
        mine, theirs = float(f["train/loss"][0]), torch_loss(sd, f, "lstm", 2, 10)
        check(abs(mine - theirs) <= 2e-5 * abs(theirs),
              "PyTorch file: batch 0's loss equals PyTorch's", (mine, theirs))
    # float64 tensors are read as float32 too
    p64 = os.path.join(T, "torch64.h5")
    with h5py.File(p64, "w") as f:
        for k, v in sd.items():
            f[k] = v.astype(np.float64)
    r = record("t64.h5", "--cell", "lstm", "--layers", 2, "--hidden", 10, "--batches", 1,
               "--record-every", 1, "--save-params", "--init", p64)
    with h5py.File(r, "r") as f:
        same_params(f, sd, "float64 tensors")


def resume():
    path, _ = torch_file("torch_r.h5")
    other, _ = torch_file("torch_o.h5", edit=lambda sd: sd["bias_out"].__setitem__(0, 0.5))
    opts = ["--cell", "lstm", "--layers", 2, "--hidden", 10, "--record-every", 4]
    whole = record("whole.h5", *opts, "--batches", 12, "--init", path)
    part = record("part.h5", *opts, "--batches", 6, "--init", path)
    for what, extra in (("without --init", []), ("with another --init", ["--init", other])):
        p = run("record", CORPUS, "-o", part, "--quiet", "--seq-len", N, *opts, "--batches", 12,
                "--resume", *extra)
        err = p.stderr.decode()
        check(p.returncode == 1 and "--init" in err, "--resume %s is refused" % what, err)
    p = run("record", CORPUS, "-o", part, "--quiet", "--seq-len", N, *opts, "--batches", 12,
            "--resume", "--init", path)
    check(p.returncode == 0, "--resume with the same --init goes on", p.stderr.decode())
    with h5py.File(whole, "r") as fw, h5py.File(part, "r") as fp:
        check(np.array_equal(fw["train/loss"][:], fp["train/loss"][:]),
              "an --init run extended by --resume trains as the uninterrupted one")


def bad_input():
    H = 10
    cases = (("shape", {}, ["--hidden", 11], "weight_ih_l0"),
             ("missing", {"edit": lambda sd: sd.pop("bias_hh_l1")}, [], "bias_hh_l1"),
             ("nan", {"edit": lambda sd: sd["weight_hh_l0"].__setitem__((3, 2), np.nan)}, [],
              "weight_hh_l0"),
             ("layers", {"L": 1}, [], "l1"))
    for what, kw, extra, name in cases:
        path, _ = torch_file("bad_%s.h5" % what, **kw)
        out = os.path.join(T, "bad_%s_run.h5" % what)
        p = run("record", CORPUS, "-o", out, "--quiet", "--cell", "lstm", "--layers", 2,
                "--hidden", H, "--batches", 2, *extra, "--init", path)
        err = p.stderr.decode()
        check(p.returncode == 1 and err.count("\n") == 1 and name in err
              and err.startswith("rnnbow record: ") and not os.path.exists(out)
              and not os.path.exists(out + ".ckpt"),
              "refused in one line naming %s, exit 1, no file: %s" % (name, what), err)
    a = os.path.join(T, "a.h5")
    for spec, what in ((a + ":7", "a batch not recorded"), (CORPUS, "not an HDF5 file"),
                       (os.path.join(T, "none.h5"), "no such file")):
        out = os.path.join(T, "bad_run.h5")
        p = run("record", CORPUS, "-o", out, "--quiet", "--hidden", 12, "--batches", 2,
                "--init", spec)
        err = p.stderr.decode()
        check(p.returncode == 1 and err.count("\n") == 1 and not os.path.exists(out),
              "refused in one line, exit 1, no file: %s" % what, err)


try:
    tap.section("from a run", from_run)
    tap.section("from PyTorch", from_torch)
    tap.section("resume", resume)
    tap.section("bad input", bad_input)
finally:
    shutil.rmtree(T, ignore_errors=True)
sys.exit(tap.summary())
