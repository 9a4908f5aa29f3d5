#!/usr/bin/python3
"""test_export.py - `rnnbow export lstmvis` read back as LSTMVis reads it.

    /usr/bin/python3 tests/test_export.py ./rnnbow

Small runs (vanilla tanh and relu, LSTM, GRU, and LSTM and GRU of two
layers) are recorded with --save-params on a corpus that the batches walk
twice, so that several records cover the same steps, and exported. Then:

  * a reader written from LSTMVis's documentation (its README's "Adding
    Your Own Data" and lstm.yml example, docs/chapter/config_states.md,
    docs/chapter/meta.md: yaml config, .h5/.hdf5 and .dict files by
    extension, dict lines "WORD ID", word_sequence/states/meta sections)
    loads the folder: names, shapes, every id in the dictionary, the
    tokens spelling the text back, ranges holding the tracks;
  * every layer's h_t (and the LSTM's c_t) against PyTorch's own
    nn.RNNCell/LSTMCell/GRUCell, and the top layer against nn.RNN/LSTM/GRU,
    loaded with the record's saved parameters and run from zero state over
    the same text (float64);
  * the meta tracks against numpy from the run's /record datasets, with the
    rule "the covering record nearest the exported batch, the earlier of
    two as near" (and the rule "the latest record" is told apart);
  * bad input: one line and exit 1 (or 2 for usage), and a folder holding
    other files never touched, --force or not.

TAP-style output; exit 1 if a check failed.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, diag  # noqa: E402
from test_file import compare, s  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from torchrun import torch, MODULES, params  # noqa: E402

try:
    import yaml
except ImportError as e:
    print("not ok - import yaml in %s: %s" % (sys.executable, e))
    print("# install python3-yaml (make test does) and run with /usr/bin/python3")
    sys.exit(1)

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
TMP = tempfile.mkdtemp(prefix="rnnbow-export-")
N_STEPS = 600  # more than one chunk of the forward pass (256), and a short one at the end
H, N = 10, 10


def tmp(*p):
    return os.path.join(TMP, *p)


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, cwd=kw.get("cwd", TMP))


def corpus_bytes():
    """A text that the 300 batches of 10 walk two times and more (140 a
    pass: the records of every 7th batch cover the same steps again), with tabs, newlines,
    spaces, a quote, a backslash and UTF-8 bytes (their dict tokens)."""
    line = "for (int i = 0; i < n; i++)\n\tsum += \"x\\y\"[i] * caf\xc3\xa9;\n"
    text = (line * 40).encode("latin-1")
    return text[:1405]


# ------------------------------------------------ LSTMVis's reader, from its docs

def read_dict(path):
    """LSTMVis dict file: one "WORD ID" a line (README: mapping word ID -> word)."""
    words = {}
    with open(path, "r") as f:
        for line in f:
            parts = line.split()
            assert len(parts) == 2, "dict line %r is not 'WORD ID'" % line
            word, i = parts[0], int(parts[1])
            assert i not in words, "id %d twice" % i
            words[i] = word
    assert len(set(words.values())) == len(words), "a word stands for two ids"
    return words


def lstmvis_load(folder):
    """Loads a project folder as LSTMVis's documentation describes it."""
    with open(os.path.join(folder, "lstm.yml")) as f:
        cfg = yaml.safe_load(f)
    h5, dicts = {}, {}
    for key, name in cfg["files"].items():
        p = os.path.join(folder, name)
        if name.endswith(".h5") or name.endswith(".hdf5"):
            h5[key] = h5py.File(p, "r")
        elif name.endswith(".dict") or name.endswith(".txt"):
            dicts[key] = read_dict(p)
        else:
            raise AssertionError("file %s is neither HDF5 (.h5/.hdf5) nor a dict" % name)
    ws = cfg["word_sequence"]
    ids = h5[ws["file"]][ws["path"]][()]
    words = dicts[ws["dict_file"]]
    assert ids.ndim == 1, "word ids of shape %s" % (ids.shape,)
    missing = set(ids.tolist()) - set(words)
    assert not missing, "ids %s not in the dict" % sorted(missing)[:5]
    states = {}
    default = cfg["states"]["file"]
    for t in cfg["states"]["types"]:
        assert t["type"] in ("state", "output") and int(t["layer"]) >= 1, t
        assert t.get("transform", "tanh") in ("tanh", "none"), t
        d = h5[t.get("file", default)][t["path"]]
        assert d.ndim == 2 and d.shape[0] == len(ids), "%s: shape %s" % (t["path"], d.shape)
        states[t["path"]] = (t, d[()])
    meta = {}
    for name, m in (cfg.get("meta") or {}).items():
        d = h5[m["file"]][m["path"]][()]
        assert d.shape == ids.shape, "meta %s: shape %s" % (name, d.shape)
        assert m["vis"]["type"] == "scalar", m
        lo, hi = m["vis"]["range"]
        assert isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo < hi, m
        assert d.min() >= lo and d.max() <= hi, "meta %s outside its range %s" % (name, [lo, hi])
        meta[name] = d
    for f in h5.values():
        f.close()
    return {"cfg": cfg, "ids": ids, "words": words, "states": states, "meta": meta}


def untoken(word):
    named = {"<sp>": b" ", "<nl>": b"\n", "<tab>": b"\t", "<cr>": b"\r"}
    if word in named:
        return named[word]
    if word.startswith("<0x") and word.endswith(">"):
        return bytes([int(word[3:-1], 16)])
    assert len(word) == 1 and " " < word < "\x7f", "token %r" % word
    return word.encode()


# ------------------------------------------------ PyTorch's forward

def torch_states(path, row, text):
    """Every layer's h_t and c_t over text from zero state, with PyTorch's
    cells holding record row's parameters; and nn.RNN/LSTM/GRU's top layer."""
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        cell, L, V = s(m["cell"]), int(m["layers"]), int(m["vocab_size"])
        act = s(m["activation"])
        vocab = f["model/vocab"][()]
        p = params(f, row)
    index = {int(b): i for i, b in enumerate(vocab)}
    x = torch.nn.functional.one_hot(torch.tensor([index[b] for b in text]), V).double()
    kinds = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}
    hs, cs, below = [], [], x
    with torch.no_grad():
        for l in range(L):
            kw = {"nonlinearity": act} if cell == "rnn" else {}
            c = kinds[cell](below.shape[1], H, **kw)
            c.load_state_dict({k: p["%s_l%d" % (k, l)] for k in
                               ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}, strict=True)
            h, cc, hl, cl = torch.zeros(1, H), torch.zeros(1, H), [], []
            for t in range(len(text)):
                if cell == "lstm":
                    h, cc = c(below[t:t + 1], (h, cc))
                    cl.append(cc[0])
                else:
                    h = c(below[t:t + 1], h)
                hl.append(h[0])
            hs.append(torch.stack(hl))
            cs.append(torch.stack(cl) if cl else None)
            below = hs[-1]
        kw = {"nonlinearity": act} if cell == "rnn" else {}
        mod = MODULES[cell](V, H, num_layers=L, **kw)
        mod.load_state_dict({k: v for k, v in p.items() if not k.endswith("_out")}, strict=True)
        top, _ = mod(x[:, None])
    return [h.numpy() for h in hs], [c.numpy() if c is not None else None for c in cs], \
        top[:, 0].numpy()


# ------------------------------------------------ the meta tracks in numpy

def records(path, layer):
    sfx = "" if layer == 0 else "_l%d" % layer
    with h5py.File(path, "r") as f:
        return (f["record/batch"][()], f["record/position"][()],
                f["record/itemized" + sfx][()].astype(np.float64),
                f["record/truncation_error" + sfx][()], int(f["model"].attrs["seq_len"]))


def numpy_meta(path, layer, B, steps, eps=0.1, rule="nearest"):
    batch, pos, g, E, n = records(path, layer)
    out = {"bar": np.zeros(steps), "max_grad": np.zeros(steps),
           "k_exact": np.zeros(steps, dtype=np.int64), "record_batch": -np.ones(steps, np.int64)}
    for t in range(steps):
        cover = [r for r in range(len(batch)) if pos[r] <= t < pos[r] + n]
        if not cover:
            continue
        if rule == "nearest":
            r = min(cover, key=lambda r: (abs(int(batch[r]) - B), int(batch[r])))
        else:
            r = max(cover, key=lambda r: int(batch[r]))
        bars = np.tril(g[r]).sum(axis=0)
        ks = [k for k in range(n) if E[r][k] <= eps]
        out["bar"][t] = bars[t - pos[r]]
        out["max_grad"][t] = bars.max()
        out["k_exact"][t] = ks[0] if ks else n - 1
        out["record_batch"][t] = batch[r]
    return out


def meta_matches(got, want):
    for k in ("bar", "max_grad"):
        ok, msg = compare(got[k], want[k], 1e-5, 1e-12)
        if not ok:
            return False, "%s: %s" % (k, msg)
    for k in ("k_exact", "record_batch"):
        if not np.array_equal(got[k], want[k]):
            i = int(np.argmax(got[k] != want[k]))
            return False, "%s differs first at step %d: %d, want %d" % (k, i, got[k][i], want[k][i])
    return True, ""


# ------------------------------------------------ the cases

CASES = [  # label, record options, export options
    ("rnn", ["--cell", "rnn"], []),
    ("rnn relu", ["--cell", "rnn", "--activation", "relu"], []),
    ("lstm", ["--cell", "lstm"], ["--batch", "140"]),
    ("gru", ["--cell", "gru"], []),
    ("lstm 2 layers", ["--cell", "lstm", "--layers", "2"], []),
    # batch 77: records 7 and 147 cover the same steps, as near: the earlier wins
    ("gru 2 layers", ["--cell", "gru", "--layers", "2"], ["--batch", "77"]),
]


def record(label, opts, save_params=True):
    path = tmp(label.replace(" ", "_") + ".h5")
    args = ["record", "corpus.txt", "-o", path, "--hidden", str(H), "--seq-len", str(N),
            "--batches", "300", "--record-every", "7", "--seed", "3", "--quiet"] + opts
    if save_params:
        args.append("--save-params")
    r = run(args)
    check(r.returncode == 0, "%s: recorded" % label, lambda: r.stderr.decode())
    return path


def expect_transform(cell, act, kind):
    """What lstm.yml should say of a state (docs/ANALYSIS.md)."""
    if kind == "c" or (cell == "rnn" and act == "relu"):
        return "tanh", cell == "rnn"
    return "none", cell == "rnn" and act == "sigmoid"


def check_case(label, ropts, eopts, text):
    path = record(label, ropts)
    out = tmp("out_" + label.replace(" ", "_"))
    r = run(["export", "lstmvis", path, "-o", out, "--steps", str(N_STEPS)] + eopts)
    if not check(r.returncode == 0 and not r.stderr, "%s: export exits 0, quietly" % label,
                 lambda: r.stderr.decode()):
        return
    try:
        p = lstmvis_load(out)
    except Exception as e:  # noqa: BLE001
        check(False, "%s: LSTMVis's reader loads the folder" % label, repr(e))
        return
    check(True, "%s: LSTMVis's reader loads the folder" % label)
    with h5py.File(path, "r") as f:
        m = f["model"].attrs
        cell, L, act = s(m["cell"]), int(m["layers"]), s(m["activation"])
        batches = f["record/batch"][()]
        vocab = f["model/vocab"][()]
    B = int(eopts[eopts.index("--batch") + 1]) if "--batch" in eopts else int(batches[-1])
    row = int(np.nonzero(batches == B)[0][0])
    steps = text[:N_STEPS]
    spelled = b"".join(untoken(p["words"][i]) for i in p["ids"].tolist())
    check(spelled == steps, "%s: word ids and dict spell the text's first %d bytes" % (label, N_STEPS))
    check(sorted(untoken(w) for w in p["words"].values()) == sorted(bytes([b]) for b in vocab) and
          all(untoken(p["words"][i]) == bytes([vocab[i]]) for i in p["words"]),
          "%s: the dict is the run's vocabulary, id for id" % label)
    want_paths = []
    for l in range(L):
        want_paths += (["c_l%d" % l] if cell == "lstm" else []) + ["h_l%d" % l]
    check(list(p["states"]) == want_paths and all(d.shape == (N_STEPS, H) for _, d in p["states"].values()),
          "%s: states %s, each (%d, %d)" % (label, want_paths, N_STEPS, H),
          lambda: "got %s" % {k: d.shape for k, (_, d) in p["states"].items()})
    good = True
    for path_, (t, _) in p["states"].items():
        tr, uns = expect_transform(cell, act, path_[0])
        layer_ok = int(t["layer"]) == int(path_.split("_l")[1]) + 1
        type_ok = t["type"] == ("output" if cell == "lstm" and path_[0] == "h" else "state")
        if t.get("transform", "tanh") != tr or bool(t.get("unsigned", False)) != uns or not layer_ok \
                or not type_ok:
            good = False
            diag("%s: %s" % (path_, t))
    check(good, "%s: lstm.yml's type, layer, transform and unsigned per state" % label)

    hs, cs, top = torch_states(path, row, steps)
    for l in range(L):
        ok, msg = compare(p["states"]["h_l%d" % l][1], hs[l], 1e-4, 1e-5)
        check(ok, "%s: layer %d h_t against torch.nn.%sCell at batch %d's parameters"
              % (label, l, cell.upper() if cell != "rnn" else "RNN", B), msg)
        if cell == "lstm":
            ok, msg = compare(p["states"]["c_l%d" % l][1], cs[l], 1e-4, 1e-5)
            check(ok, "%s: layer %d c_t against torch.nn.LSTMCell" % (label, l), msg)
    ok, msg = compare(p["states"]["h_l%d" % (L - 1)][1], top, 1e-4, 1e-5)
    check(ok, "%s: top layer against torch.nn.%s over the whole text" % (label, cell.upper()), msg)
    if label == "lstm":  # the oracle can fail: another record's parameters
        hs2, _, _ = torch_states(path, row - 1, steps)
        bad, _ = compare(p["states"]["h_l0"][1], hs2[0], 1e-4, 1e-5)
        check(not bad, "%s: states of the previous record's parameters are told apart" % label)

    want = numpy_meta(path, 0, B, N_STEPS)
    ok, msg = meta_matches(p["meta"], want)
    check(ok, "%s: meta tracks bar, max_grad, k_exact, record_batch against numpy (batch %d)"
          % (label, B), msg)
    if "--batch" in eopts:
        later = numpy_meta(path, 0, B, N_STEPS, rule="latest")
        bad, _ = meta_matches(p["meta"], later)
        check(not bad and (want["record_batch"] != later["record_batch"]).any(),
              "%s: 'nearest to batch %d' is told apart from 'latest record'" % (label, B))
    covered = (want["record_batch"] >= 0).mean()
    check(0 < covered < 1, "%s: some steps covered, some not (%.0f%%)" % (label, 100 * covered))
    return path


def check_layer(path, text):
    """--layer 1 of a two-layer run: only its states, its g and E."""
    out = tmp("out_layer1")
    r = run(["export", "lstmvis", path, "-o", out, "--layer", "1", "--steps", "300"])
    if not check(r.returncode == 0, "--layer 1: exit 0", lambda: r.stderr.decode()):
        return
    p = lstmvis_load(out)
    check(list(p["states"]) == ["c_l1", "h_l1"] and
          [int(t["layer"]) for t, _ in p["states"].values()] == [2, 2],
          "--layer 1: only layer 1's c and h, as LSTMVis layer 2", lambda: list(p["states"]))
    with h5py.File(path, "r") as f:
        B = int(f["record/batch"][-1])
    ok, msg = meta_matches(p["meta"], numpy_meta(path, 1, B, 300))
    check(ok, "--layer 1: meta tracks from layer 1's itemized and truncation_error", msg)
    bad, _ = meta_matches(p["meta"], numpy_meta(path, 0, B, 300))
    check(not bad, "--layer 1: layer 0's tracks are told apart")


def check_text(path, text):
    other = tmp("other.txt")
    with open(other, "wb") as f:
        f.write(text[100:500])
    r = run(["export", "lstmvis", path, "-o", tmp("out_text"), "--text", other])
    check(r.returncode == 0 and r.stderr.count(b"\n") == 1 and b"not the run's corpus" in r.stderr,
          "--text of another text: exit 0, one warning line (no meta tracks)", lambda: r.stderr.decode())
    p = lstmvis_load(tmp("out_text"))
    check(not p["meta"] and not os.path.exists(tmp("out_text", "meta.hdf5")) and len(p["ids"]) == 400,
          "--text of another text: 400 steps, no meta section, no meta.hdf5")
    with h5py.File(path, "r") as f:
        row = f["record/batch"].shape[0] - 1
    hs, _, _ = torch_states(path, row, text[100:500])
    ok, msg = compare(p["states"]["h_l0"][1], hs[0], 1e-4, 1e-5)
    check(ok, "--text: states over that text against torch", msg)
    # the corpus moved away: the recorded name fails in one line; --text with it has meta
    moved = tmp("moved.txt")
    shutil.copy(tmp("corpus.txt"), moved)
    os.rename(tmp("corpus.txt"), tmp("corpus.away"))
    try:
        one_line(1, "the run's corpus missing", "--text", ["export", "lstmvis", path, "-o", tmp("x1")])
        check(not os.path.exists(tmp("x1")), "the run's corpus missing: no folder made")
        r = run(["export", "lstmvis", path, "-o", tmp("out_moved"), "--text", moved, "--steps", "200"])
        check(r.returncode == 0 and not r.stderr and os.path.exists(tmp("out_moved", "meta.hdf5")),
              "--text of the corpus moved elsewhere: its SHA-256 is the run's, meta tracks written",
              lambda: r.stderr.decode())
        with open(tmp("corpus.txt"), "wb") as f:
            f.write(text[:-1] + b"!")
        one_line(1, "the run's corpus changed", "SHA-256", ["export", "lstmvis", path, "-o", tmp("x2")])
    finally:
        os.replace(tmp("corpus.away"), tmp("corpus.txt"))


def check_damaged(path):
    """A record that was not finite covers nothing; a parameter of the wrong
    shape is refused in one line."""
    nan_run = tmp("nan.h5")
    shutil.copy(path, nan_run)
    with h5py.File(nan_run, "r+") as f:
        g = f["record/itemized"]
        row = list(f["record/batch"][()]).index(287)  # steps 70..79, nearest the last batch
        g[row] = np.full(g.shape[1:], np.nan, dtype=np.float32)
        B = int(f["record/batch"][-1])
    r = run(["export", "lstmvis", nan_run, "-o", tmp("out_nan"), "--steps", "300"])
    p = lstmvis_load(tmp("out_nan"))
    want = numpy_meta(nan_run, 0, B, 300)  # the oracle lets the NaN record win...
    nan_steps = np.arange(70, 80)
    check(r.returncode == 0 and np.isnan(want["bar"][nan_steps]).all(),
          "a record made not finite: the export runs", lambda: r.stderr.decode())
    with h5py.File(nan_run, "r+") as f:  # ... so drop it from the oracle's file
        f["record/position"][row] = 10 ** 9
    ok, msg = meta_matches(p["meta"], numpy_meta(nan_run, 0, B, 300))
    check(ok and (p["meta"]["record_batch"][nan_steps] == 147).all(),
          "a record that was not finite covers nothing (its steps go to the next nearest)", msg)
    bad = tmp("badshape.h5")
    shutil.copy(path, bad)
    with h5py.File(bad, "r+") as f:
        w = f["record/params/weight_hh_l0"][()]
        del f["record/params/weight_hh_l0"]
        f["record/params/weight_hh_l0"] = w[:, :-1]
    one_line(1, "a saved parameter of the wrong shape", "weight_hh_l0 has a shape that does not match /model",
             ["export", "lstmvis", bad, "-o", tmp("z2")])


def check_corpus_sources(text):
    """The built-in corpus is found without --text; stdin's needs it."""
    built = tmp("builtin.h5")
    r = run(["record", "-o", built, "--hidden", "6", "--seq-len", "8", "--batches", "20",
             "--record-every", "5", "--save-params", "--quiet"])
    check(r.returncode == 0, "built-in corpus: recorded", lambda: r.stderr.decode())
    r = run(["export", "lstmvis", built, "-o", tmp("out_builtin"), "--steps", "200"])
    check(r.returncode == 0 and not r.stderr and os.path.exists(tmp("out_builtin", "meta.hdf5")),
          "a run on the built-in corpus exports without --text, with meta tracks",
          lambda: r.stderr.decode())
    piped = tmp("piped.h5")
    with open(tmp("corpus.txt"), "rb") as f:
        r = subprocess.run([BIN, "record", "-", "-o", piped, "--hidden", "6", "--seq-len", "8",
                            "--batches", "20", "--record-every", "5", "--save-params", "--quiet"],
                           stdin=f, capture_output=True, cwd=TMP)
    check(r.returncode == 0, "stdin corpus: recorded", lambda: r.stderr.decode())
    one_line(1, "a run whose corpus came from stdin", "was read from stdin: give the text with --text",
             ["export", "lstmvis", piped, "-o", tmp("z1")])
    r = run(["export", "lstmvis", piped, "-o", tmp("out_piped"), "--text", "corpus.txt"])
    check(r.returncode == 0 and os.path.exists(tmp("out_piped", "meta.hdf5")),
          "... and with --text of the same bytes, exports with meta tracks", lambda: r.stderr.decode())


def one_line(code, what, text, args):
    r = run(args)
    err = r.stderr.decode()
    check(r.returncode == code and err.count("\n") == 1 and text in err,
          "%s: exit %d, one line with '%s'" % (what, code, text),
          "exit %d, stderr: %s" % (r.returncode, err))


def listing(d):
    return sorted((n, open(os.path.join(d, n), "rb").read()) for n in os.listdir(d))


def check_bad(path):
    nop = record("no params", ["--cell", "gru"], save_params=False)
    one_line(1, "a run without saved parameters", "--save-params",
             ["export", "lstmvis", nop, "-o", tmp("y1")])
    one_line(1, "a layer the run does not have", "no layer 3",
             ["export", "lstmvis", path, "-o", tmp("y2"), "--layer", "3"])
    one_line(1, "a batch not recorded", "batch 5 was not recorded (records are of batches 0 to 294)",
             ["export", "lstmvis", path, "-o", tmp("y3"), "--batch", "5"])
    bad = tmp("bad.txt")
    with open(bad, "wb") as f:
        f.write(b"for i\x01")
    one_line(1, "a byte not in the vocabulary", "byte 0x01 at offset 5",
             ["export", "lstmvis", path, "-o", tmp("y4"), "--text", bad])
    check(not any(os.path.exists(tmp(y)) for y in ("y1", "y2", "y3", "y4")),
          "refused exports leave no folder")
    one_line(2, "an unknown kind", "unknown KIND 'lstmviz' (did you mean lstmvis?)",
             ["export", "lstmviz", path, "-o", tmp("y5")])
    one_line(2, "no -o", "-o DIR is required", ["export", "lstmvis", path])
    r = run(["export", "lstmvis", path, "-o", tmp("new", "deep", "er"), "--steps", "30"])
    check(r.returncode == 0 and os.path.exists(tmp("new", "deep", "er", "lstm.yml")),
          "a folder whose parents are missing is made with them", lambda: r.stderr.decode())

    # a folder with a user's file: never written, --force or not
    user = tmp("user")
    os.mkdir(user)
    with open(os.path.join(user, "notes.txt"), "w") as f:
        f.write("mine\n")
    with open(os.path.join(user, "states.hdf5"), "w") as f:
        f.write("also mine?\n")
    before = listing(user)
    one_line(1, "a folder holding other files", "holds 'notes.txt'",
             ["export", "lstmvis", path, "-o", user, "--steps", "50"])
    one_line(1, "a folder holding other files, with --force", "holds 'notes.txt'",
             ["export", "lstmvis", path, "-o", user, "--steps", "50", "--force"])
    check(listing(user) == before, "the folder with other files is exactly as it was")
    one_line(1, "-o a file", "is not a folder",
             ["export", "lstmvis", path, "-o", os.path.join(user, "notes.txt")])
    one_line(1, "-o under a file", "not a directory",
             ["export", "lstmvis", path, "-o", os.path.join(user, "notes.txt", "deep")])

    # an empty folder is used; an earlier export is replaced only with --force
    empty = tmp("empty")
    os.mkdir(empty)
    r = run(["export", "lstmvis", path, "-o", empty, "--steps", "50"])
    check(r.returncode == 0 and "lstm.yml" in os.listdir(empty), "an empty folder is written",
          lambda: r.stderr.decode())
    first = listing(empty)
    one_line(1, "a folder holding an earlier export", "--force replaces it",
             ["export", "lstmvis", path, "-o", empty, "--steps", "60"])
    check(listing(empty) == first, "the earlier export is untouched without --force")
    r = run(["export", "lstmvis", path, "-o", empty, "--steps", "60", "--force"])
    p = lstmvis_load(empty)
    check(r.returncode == 0 and len(p["ids"]) == 60 and
          sorted(os.listdir(empty)) == sorted(n for n, _ in first),
          "--force replaces the earlier export, and leaves no .part file", lambda: r.stderr.decode())
    # an earlier export with meta.hdf5 replaced by one without: the stale file goes
    other = tmp("other2.txt")
    with open(other, "wb") as f:
        f.write(b"for i")
    r = run(["export", "lstmvis", path, "-o", empty, "--text", other, "--force"])
    check(r.returncode == 0 and "meta.hdf5" not in os.listdir(empty),
          "--force without meta tracks removes the earlier meta.hdf5", lambda: sorted(os.listdir(empty)))

    # the same export twice: the same bytes
    for d in ("same1", "same2"):
        run(["export", "lstmvis", path, "-o", tmp(d), "--steps", "300"])
    check(listing(tmp("same1")) == listing(tmp("same2")) and listing(tmp("same1")),
          "the same export twice gives the same bytes")


def check_documented():
    """Every option of the table in --help and in man/rnnbow-export.1."""
    opts = run(["export", "--completion-helper"]).stdout.decode().split()
    helptext = run(["export", "--help"]).stdout.decode()
    man = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "man", "rnnbow-export.1")
    try:
        with open(man) as f:
            mantext = f.read().replace("\\-", "-").replace("\\fB", "").replace("\\fR", "") \
                .replace("\\fI", "").replace("\\fP", "")
    except OSError as e:
        mantext = ""
        diag(str(e))
    missing = [o for o in opts if o not in helptext or o not in mantext]
    check(opts and not missing, "rnnbow export: every option in --help and rnnbow-export(1)",
          "missing: %s" % missing)


def main():
    text = corpus_bytes()
    with open(tmp("corpus.txt"), "wb") as f:
        f.write(text)
    check_documented()
    paths = {}
    for label, ropts, eopts in CASES:
        paths[label] = tap.section(label, check_case, label, ropts, eopts, text)
    if paths.get("lstm 2 layers"):
        tap.section("--layer", check_layer, paths["lstm 2 layers"], text)
    if paths.get("rnn"):
        tap.section("--text", check_text, paths["rnn"], text)
        tap.section("bad input", check_bad, paths["rnn"])
    tap.section("corpus sources", check_corpus_sources, text)
    if paths.get("rnn"):
        tap.section("damaged runs", check_damaged, paths["rnn"])
    shutil.rmtree(TMP, ignore_errors=True)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
