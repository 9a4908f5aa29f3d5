#!/usr/bin/python3
"""test_layers_read.py - the readers on gated cells and stacked layers.

    /usr/bin/python3 tests/test_layers_read.py ./rnnbow

`summarize`, `horizon` and `plot` take --layer L and --gate NAME and then
read /record/itemized[_gates][_l<L>] and truncation_error[_gates][_l<L>]
(docs/FORMAT.md, "Gated cells and stacked layers"). The run files here are
real vanilla runs recorded by ./rnnbow, to which h5py adds the datasets
and /model attributes of an LSTM with two layers and of a GRU, with known
contents (each gate a different random multiple of g, layer 1 a known
transform of layer 0). Every number rnnbow prints for a layer or gate is
recomputed with numpy from exactly that slice, using the oracle of
tests/test_analysis.py; the defaults must print the same bytes as on the
vanilla file; every wrong --layer or --gate fails with one line and no
output; plots draw the slice (their SVG hover text is checked), the
overlay legend names each run's cell and size; info shows the
architecture. When this build's `record --cell lstm --layers 2` works, a
real LSTM run is read too (otherwise a `#` line says it was skipped).

Output is TAP-style (`ok - ...` / `not ok - ...`); exit status 1 if any
check failed.
"""
import json
import os
import re
import shutil
import struct
import sys
import tempfile
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
import test_analysis as ta  # noqa: E402  (the oracle and the TAP helpers)

np = ta.np
h5py = ta.h5py
check = ta.check

LSTM_GATES = ["i", "f", "g", "o"]
GRU_GATES = ["r", "z", "n"]


def rnnbow(args, stdin_path=None):
    return ta.rnnbow(args, stdin_path=stdin_path)


def path(name):
    return os.path.join(ta.TMP, name)


# ------------------------------------------------------------- run files

def set_str(obj, name, value):
    """Replaces a string attribute, written as rnnbow writes them."""
    if name in obj.attrs:
        del obj.attrs[name]
    ta.sattr(obj, name, value)


def add(rec, name, data):
    """A growing float32 dataset like rnnbow's (chunked, extendable)."""
    ta.growing(rec, name, np.asarray(data, dtype=np.float32), "<f4")


def decreasing_E(rs, shape):
    """Random truncation errors per row: decreasing in k, E[n-1] = 0."""
    e = -np.sort(-rs.uniform(0.0, 1.0, shape), axis=-1)
    e[..., -1] = 0.0
    return e


def make_gated(src, dst, cell, layers, seed):
    """dst = src plus the datasets and attributes of `cell` with `layers`
    layers. Returns the arrays added, by dataset name, to check against."""
    shutil.copy(src, dst)
    gates = LSTM_GATES if cell == "lstm" else GRU_GATES
    G = len(gates)
    rs = np.random.RandomState(seed)
    added = {}
    with h5py.File(dst, "r+") as f:
        m = f["model"]
        set_str(m, "cell", cell)
        set_str(m, "gate_names", ",".join(gates))
        m.attrs.create("gates", G, dtype="<i8")
        m.attrs.create("layers", layers, dtype="<i8")
        if cell == "lstm":
            m.attrs.create("forget_bias", 1.0, dtype="<f8")
        rec = f["record"]
        g = rec["itemized"][:].astype(np.float64)
        E = rec["truncation_error"][:].astype(np.float64)
        R, n, H = g.shape[0], g.shape[1], rec["h0"].shape[1]
        # gate q: g times a random factor per (record, t, j), different for
        # every gate, so a wrong gate (or the whole matrix) cannot pass
        tril = np.tril(np.ones((n, n)))
        gq = g[:, None] * rs.uniform(0.2, 3.0, (R, G, n, n)) * (1.0 + np.arange(G))[None, :, None, None] * tril
        Eq = decreasing_E(rs, (R, G, n))
        added["itemized_gates"] = gq
        added["truncation_error_gates"] = Eq
        for l in range(1, layers):   # layer l: a known transform of layer 0
            added["itemized_l%d" % l] = np.sqrt(g) * (3.0 + l)
            added["truncation_error_l%d" % l] = np.sqrt(E)
            added["itemized_gates_l%d" % l] = gq[:, ::-1] * 0.5
            added["truncation_error_gates_l%d" % l] = Eq[:, ::-1]
            added["h0_l%d" % l] = np.zeros((R, H))
        if cell == "lstm":
            for l in range(layers):
                added["c0" + ("_l%d" % l if l else "")] = np.zeros((R, H))
        for name, data in added.items():
            add(rec, name, data)
    # what rnnbow reads back: float32
    return {k: v.astype(np.float32) for k, v in added.items()}


def slice_of(run_path, layer, gate, gates):
    """(g, E) of a layer and gate, read with h5py: the oracle's input."""
    suf = "_l%d" % layer if layer else ""
    with h5py.File(run_path, "r") as f:
        if gate is None:
            return (f["record/itemized" + suf][:], f["record/truncation_error" + suf][:])
        q = gates.index(gate)
        return (f["record/itemized_gates" + suf][:, q], f["record/truncation_error_gates" + suf][:, q])


def oracle_run(run_path, layer, gate, gates):
    run = ta.load_run(run_path)
    g, E = slice_of(run_path, layer, gate, gates)
    run["rec"]["itemized"] = g[:run["R"]]
    run["rec"]["truncation_error"] = E[:run["R"]]
    return run


def source_args(layer, gate):
    return (["--layer", str(layer)] if layer is not None else []) + (["--gate", gate] if gate else [])


def source_desc(name, layer, gate):
    return "%s%s%s" % (name, " --layer %d" % layer if layer is not None else "",
                       " --gate %s" % gate if gate else "")


# ------------------------------------------------------ summarize, horizon

def check_summarize(name, layer, gate, gates):
    run = oracle_run(path(name), layer or 0, gate, gates)
    d = "summarize " + source_desc(name, layer, gate)
    t = ta.table_of(rnnbow(["summarize"] + source_args(layer, gate) + [name]), d)
    if t is not None:
        ta.check_summary_table(t, ta.oracle_records(run), d)
    return t


def check_per_batch(name, layer, gate, gates, eps=0.1):
    run = oracle_run(path(name), layer or 0, gate, gates)
    orc = ta.oracle_records(run, eps)
    d = "horizon --per-batch " + source_desc(name, layer, gate)
    t = ta.table_of(rnnbow(["horizon", "--per-batch", "--eps", str(eps)] + source_args(layer, gate) + [name]), d)
    if t is None or not check(len(t.rows) == len(orc), d + ": one row per record", "%d rows" % len(t.rows)):
        return
    labels = ["batch %d" % o["batch"] for o in orc]
    ta.check_in_range(t.col("k_exact"), [o["k_exact_lo"] for o in orc], [o["k_exact_hi"] for o in orc],
                      [o["k_exact"] for o in orc], d + ": k_exact from this slice's E", labels)
    ta.check_in_range(t.col("k_bound"), [o["k_bound_lo"] for o in orc], [o["k_bound_hi"] for o in orc],
                      [o["k_bound"] for o in orc], d + ": k_bound from this slice's g", labels)
    for k in (0, 1, 2, 4):
        if k >= run["n"]:
            continue
        got = np.array([np.float32(float(v)) for v in t.col("E%d" % k)])
        want = np.array([o["E"][k] for o in orc], dtype=np.float32)
        check(np.array_equal(got, want), d + ": E%d = this slice's E[%d]" % (k, k),
              lambda: ta.compare(got, want, 0)[1])


def check_decay(name, layer, gate, gates):
    run = oracle_run(path(name), layer or 0, gate, gates)
    d = "horizon " + source_desc(name, layer, gate)
    t = ta.table_of(rnnbow(["horizon"] + source_args(layer, gate) + [name]), d)
    if t is not None:
        ta.check_decay_table(t, ta.oracle_decay(run), d)


def check_one_loss(name, layer, gate, gates):
    run = oracle_run(path(name), layer or 0, gate, gates)
    r = run["R"] // 2
    B, step = int(run["rec"]["batch"][r]), run["n"] - 1
    d = "horizon --batch %d --step %d %s" % (B, step, source_desc(name, layer, gate))
    t = ta.table_of(rnnbow(["horizon", "--batch", str(B), "--step", str(step)] +
                           source_args(layer, gate) + [name]), d)
    if t is not None:
        ta.check_step_table(t, run["rec"]["itemized"][r], step, d)


def test_sources():
    """Every layer and gate of lstm.h5 (and the GRU's) against numpy."""
    for layer, gate in ((None, "f"), (1, None), (1, "f"), (1, "o"), (0, "i")):
        check_summarize("lstm.h5", layer, gate, LSTM_GATES)
    for layer, gate in ((1, "f"), (0, "g"), (1, None)):
        check_per_batch("lstm.h5", layer, gate, LSTM_GATES)
        check_decay("lstm.h5", layer, gate, LSTM_GATES)
    check_one_loss("lstm.h5", 1, "f", LSTM_GATES)
    check_summarize("gru.h5", None, "z", GRU_GATES)
    check_per_batch("gru.h5", None, "n", GRU_GATES, eps=0.05)
    check_decay("gru.h5", None, "r", GRU_GATES)

    # the check can fail: gate f's table against the oracle of gate i
    run = oracle_run(path("lstm.h5"), 1, "i", LSTM_GATES)
    t = ta.table_of(rnnbow(["summarize", "--layer", "1", "--gate", "f", "lstm.h5"]), "summarize --layer 1 --gate f")
    if t is not None:
        want = [o["max_grad"] for o in ta.oracle_records(run)]
        ok, _ = ta.compare(t.fcol("max_grad"), want, ta.RTOL)
        check(not ok, "the oracle of gate i does not match gate f's max_grad (the checks can fail)")


def test_defaults():
    """Without --layer/--gate, and with --layer 0: the bytes of the vanilla run."""
    for args in (["summarize"], ["horizon"], ["horizon", "--per-batch"], ["horizon", "--overall"]):
        want = rnnbow(args + ["x.h5"])
        for name in ("lstm.h5", "gru.h5"):
            for extra in ([], ["--layer", "0"]):
                got = rnnbow(args + extra + [name])
                check(got.rc == 0 and want.rc == 0 and got.out == want.out and got.out,
                      "%s %s: the same bytes as on the vanilla run it was made from" % (
                          " ".join(args + extra), name), got.why)
    check_summarize("x.h5", None, None, [])
    check_summarize("x.h5", 0, None, [])


def test_several():
    """Several runs: the same --gate must exist in each; rows per run."""
    r = rnnbow(["summarize", "--layer", "1", "--gate", "f", "lstm.h5", "lstm2.h5"])
    t = ta.table_of(r, "summarize --layer 1 --gate f lstm.h5 lstm2.h5")
    if t is None:
        return
    want = []
    for name in ("lstm.h5", "lstm2.h5"):
        run = oracle_run(path(name), 1, "f", LSTM_GATES)
        want += [o["max_grad"] for o in ta.oracle_records(run)]
    check(t.has("run") and t.col("run") == ["lstm.h5"] * (len(want) // 2) + ["lstm2.h5"] * (len(want) // 2),
          "several runs: a run column, the rows of each run in turn")
    ta.check_close(t.fcol("max_grad"), want, ta.RTOL, "several runs: max_grad of layer 1, gate f of each")


# ------------------------------------------------------------------ errors

def test_errors():
    cases = [
        (["summarize", "--gate", "f", "gru.h5"], "summarize", "gru.h5: no gate 'f' (cell gru has r, z, n)"),
        (["summarize", "--gate", "i", "x.h5"], "summarize", "x.h5: no gate 'i' (cell rnn has no gates)"),
        (["horizon", "--gate", "r", "lstm.h5"], "horizon", "lstm.h5: no gate 'r' (cell lstm has i, f, g, o)"),
        (["horizon", "--layer", "2", "lstm.h5"], "horizon", "lstm.h5: no layer 2 (the run has layers 0 to 1)"),
        (["horizon", "--per-batch", "--layer", "1", "x.h5"], "horizon", "x.h5: no layer 1 (the run has one layer, 0)"),
        (["horizon", "--overall", "--layer", "1", "gru.h5"], "horizon", "gru.h5: no layer 1"),
        (["horizon", "--batch", "0", "--step", "1", "--gate", "o", "gru.h5"], "horizon", "gru.h5: no gate 'o'"),
        # a good file first: still nothing on stdout
        (["summarize", "--gate", "f", "lstm.h5", "gru.h5"], "summarize", "gru.h5: no gate 'f'"),
        (["horizon", "--layer", "1", "lstm.h5", "x.h5"], "horizon", "x.h5: no layer 1"),
        (["summarize", "--layer", "1", "nol1.h5"], "summarize", "nol1.h5: not a complete run: no /record/itemized_l1"),
        (["horizon", "--per-batch", "--gate", "f", "badnames.h5"], "horizon", "does not match gates = 4"),
        (["summarize", "--gate", "f", "shortgates.h5"], "summarize",
         "/record/itemized_gates has a shape that does not match /model"),
    ]
    for args, cmd, msg in cases:
        r = rnnbow(args)
        ta.expect_error(r, cmd, " ".join(args), code=1, contains=msg)
    r = rnnbow(["summarize", "--gate", "f", "-"], stdin_path="gru.h5")
    ta.expect_error(r, "summarize", "summarize --gate f - <gru.h5", code=1, contains="-: no gate 'f'")
    for args in (["summarize", "--gate", "", "x.h5"], ["horizon", "--layer", "-1", "x.h5"],
                 ["summarize", "--layer", "one", "x.h5"], ["plot", "loss", "--gate", "f", "lstm.h5", "-o", "l.png"]):
        r = rnnbow(args)
        ta.expect_error(r, args[0], " ".join(args) + " (usage)", code=2)
    # --train does not read g or E: the options are accepted and ignored
    r = rnnbow(["summarize", "--train", "--gate", "f", "gru.h5"])
    check(r.rc == 0 and r.out == rnnbow(["summarize", "--train", "gru.h5"]).out,
          "summarize --train ignores --gate (it reads /train)", r.why)
    for kind, files in (("overview", ["gru.h5"]), ("k", ["gru.h5"]), ("heatmap", ["gru.h5"]),
                        ("batch", ["gru.h5"]), ("horizon", ["lstm.h5", "gru.h5"])):
        out = "bad-%s.png" % kind
        extra = ["--top", "1"] if kind in ("heatmap", "batch") else []
        r = rnnbow(["plot", kind, "--gate", "f"] + extra + files + ["-o", out])
        ta.expect_error(r, "plot", "plot %s --gate f %s" % (kind, " ".join(files)), code=1,
                        contains="gru.h5: no gate 'f'")
        check(not os.path.exists(path(out)), "plot %s with a wrong --gate leaves no figure" % kind)
    r = rnnbow(["plot", "overview", "--layer", "3", "lstm.h5", "-o", "bad.svg"])
    ta.expect_error(r, "plot", "plot overview --layer 3 lstm.h5", code=1, contains="no layer 3")


# ------------------------------------------------------------------- plots

def svg_text(name):
    xml.dom.minidom.parse(path(name))
    with open(path(name), encoding="utf-8") as f:
        return f.read()


def is_png(name):
    with open(path(name), "rb") as f:
        b = f.read(24)
    return b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24])[0] == 1200


def close3(got, want):
    """A value printed with %.3g against the exact one."""
    return abs(got - want) <= 0.006 * max(abs(want), 1e-300)


def test_plots():
    run = oracle_run(path("lstm.h5"), 1, "f", LSTM_GATES)
    rec = run["rec"]
    n = run["n"]
    src = ["--layer", "1", "--gate", "f"]
    for kind, extra in (("overview", []), ("batch", ["--batch", str(int(rec["batch"][2])), "--loss", "3"]),
                        ("horizon", []), ("k", []), ("heatmap", ["--top", "1"])):
        for fmt in ("png", "svg"):
            out = "%s-l1f.%s" % (kind, fmt)
            r = rnnbow(["plot", kind] + extra + src + ["lstm.h5", "-o", out])
            if not check(r.rc == 0, "plot %s --layer 1 --gate f .%s: exit 0" % (kind, fmt), r.why):
                continue
            if fmt == "png":
                check(is_png(out), "plot %s --layer 1 --gate f: a PNG 1200 wide" % kind)
                continue
            s = svg_text(out)
            check("(layer 1, gate f)" in s, "plot %s --layer 1 --gate f: the title says layer 1, gate f" % kind,
                  lambda: re.findall(r"<text[^>]*>([^<]*)</text>", s)[:5])

    # the overview's hover text: max gradient and step of every record, of the slice
    s = svg_text("overview-l1f.svg")
    hover = {int(b): (float(v), int(st)) for b, v, st in
             re.findall(r"batch (\d+): max gradient ([-0-9.e+]+) at step (\d+)", s)}
    orc = ta.oracle_records(run)
    bad = [o["batch"] for o in orc if o["batch"] not in hover or not close3(hover[o["batch"]][0], o["max_grad"])
           or hover[o["batch"]][1] not in o["near_steps"]]
    check(len(hover) == len(orc) and not bad,
          "plot overview --layer 1 --gate f: hover max gradient and step = numpy on that slice",
          "%d hovers for %d records; wrong at batches %s" % (len(hover), len(orc), bad[:5]))
    # the heat map of the largest max gradient: log10 g of every cell
    best = max(orc, key=lambda o: o["max_grad"])
    r0 = [int(b) for b in rec["batch"]].index(best["batch"])
    g = rec["itemized"][r0].astype(np.float64)
    s = svg_text("heatmap-l1f.svg")
    cells = re.findall(r"batch (\d+), t=(\d+), j=(\d+): log10 g = ([-0-9.e+]+)'", s)
    bad = [(t, j) for b, t, j, v in cells
           if int(b) != best["batch"] or not close3(float(v), np.log10(g[int(t), int(j)]))]
    check(len(cells) == int((np.tril(g) > 0).sum()) and not bad,
          "plot heatmap --top 1 --layer 1 --gate f: hover log10 g = numpy on that slice (batch %d)" % best["batch"],
          "%d cells (want %d), wrong at %s" % (len(cells), int((np.tril(g) > 0).sum()), bad[:5]))

    # the overlay legend: each run's cell and size
    r = rnnbow(["plot", "horizon", "x.h5", "lstm.h5", "gru.h5", "-o", "overlay.svg"])
    if check(r.rc == 0, "plot horizon x.h5 lstm.h5 gru.h5: exit 0", r.why):
        s = svg_text("overlay.svg")
        for want in ("x.h5 (rnn tanh, H=8, n=%d)" % n, "lstm.h5 (lstm, 2x8, n=%d)" % n, "gru.h5 (gru, H=8, n=%d)" % n):
            check(want in s, "overlay legend: '%s'" % want)
    r = rnnbow(["plot", "horizon", "--layer", "1", "--gate", "f", "lstm.h5", "lstm2.h5", "-o", "overlay2.svg"])
    if check(r.rc == 0, "plot horizon --layer 1 --gate f lstm.h5 lstm2.h5: exit 0", r.why):
        s = svg_text("overlay2.svg")
        for want in ("lstm.h5 (lstm, 2x8, n=%d, layer 1, gate f)" % n, "lstm2.h5 (lstm, 2x8, n=%d, layer 1, gate f)" % n,
                     "gradient decay with lag (layer 1, gate f)"):
            check(want in s, "overlay with --layer 1 --gate f: '%s'" % want)
    r = rnnbow(["plot", "horizon", "--gate", "z", "gru.h5", "-o", "z.svg"])
    if check(r.rc == 0, "plot horizon --gate z gru.h5: exit 0", r.why):
        check("gru.h5 (gru, H=8, n=%d, gate z)" % n in svg_text("z.svg"), "legend of --gate z: 'gate z', no layer")
    # the same figure twice: the same bytes
    rnnbow(["plot", "overview"] + src + ["lstm.h5", "-o", "again.svg"])
    with open(path("overview-l1f.svg"), "rb") as a, open(path("again.svg"), "rb") as b:
        check(a.read() == b.read(), "plot overview --layer 1 --gate f: the same bytes twice")


# -------------------------------------------------------------------- info

def test_info():
    r = rnnbow(["info", "lstm.h5"])
    text = r.text()
    check(r.rc == 0 and "model:   lstm (gates i,f,g,o; forget bias 1), hidden 8, 2 layers," in text,
          "info lstm.h5: cell, gates, forget bias, hidden size, layers", r.why if r.rc else text)
    check("layer 0: itemized, truncation_error, itemized_gates, truncation_error_gates, h0, c0, unit_flow\n" in text and
          "layer 1: itemized_l1, truncation_error_l1, itemized_gates_l1, truncation_error_gates_l1, h0_l1, c0_l1\n"
          in text, "info lstm.h5: the datasets of each layer", text)
    r = rnnbow(["info", "gru.h5"])
    check(r.rc == 0 and "model:   gru (gates r,z,n), hidden 8, 1 layer," in r.text() and
          "layer 0: itemized, truncation_error, itemized_gates, truncation_error_gates, h0, unit_flow\n" in r.text() and
          "layer 1" not in r.text(), "info gru.h5: cell, gates, one layer and its datasets", r.text())
    r = rnnbow(["info", "x.h5"])
    check(r.rc == 0 and "model:   rnn (tanh), hidden 8, 1 layer," in r.text() and
          "layer 0: itemized, truncation_error, h0, unit_flow\n" in r.text(), "info on a vanilla run: as before, and layer 0's datasets",
          r.text())

    def js(name):
        r = rnnbow(["info", "--format", "json", name])
        return json.loads(r.out) if r.rc == 0 else {}
    d, old = js("lstm.h5"), js("x.h5")
    # ("checkpoint": a file beside the run, which a copy does not have)
    keep = [k for k in old if k not in ("path", "size_bytes", "cell", "layers", "layer_datasets", "gate_names", "gates",
                                        "checkpoint")]
    check(d.get("cell") == "lstm" and d.get("layers") == 2 and d.get("gates") == 4 and
          d.get("gate_names") == LSTM_GATES and d.get("forget_bias") == 1 and d.get("hidden_size") == 8,
          "info --format json lstm.h5: cell, layers, gates, gate_names, forget_bias, hidden_size", d)
    check(d.get("layer_datasets", [None, None])[1] ==
          ["itemized_l1", "truncation_error_l1", "itemized_gates_l1", "truncation_error_gates_l1", "h0_l1", "c0_l1"],
          "info --format json lstm.h5: layer_datasets of layer 1", d.get("layer_datasets"))
    check(all(d.get(k) == old[k] for k in keep), "info --format json lstm.h5: every other key as on the vanilla run",
          [(k, d.get(k), old[k]) for k in keep if d.get(k) != old[k]])
    g = js("gru.h5")
    check(g.get("gates") == 3 and g.get("gate_names") == GRU_GATES and "forget_bias" not in g,
          "info --format json gru.h5: 3 gates r, z, n, no forget_bias", g)
    check(old.get("gates") == 1 and old.get("gate_names") == [] and old.get("layers") == 1 and
          old.get("layer_datasets") == [["itemized", "truncation_error", "h0", "unit_flow"]] and "records" in old,
          "info --format json on a vanilla run: gates 1, no gate names, layer 0's datasets", old)


# ----------------------------------------------------- a real LSTM run

def test_recorded_lstm():
    r = rnnbow(["record", "--cell", "lstm", "--layers", "2", "--batches", "30", "--record-every", "3",
                "--hidden", "8", "--seq-len", "6", "-o", "real.h5", "--quiet"])
    if r.rc != 0:
        ta.diag("record --cell lstm --layers 2 is refused by this build (%s): no real LSTM run read" %
                r.errtext().strip().split("\n")[0])
        return
    check(True, "record --cell lstm --layers 2 (setup)")
    with h5py.File(path("real.h5"), "r") as f:
        names = f["model"].attrs["gate_names"].decode().split(",")
        for suf in ("", "_l1"):   # FORMAT.md: g is the mean of the g_q
            g = f["record/itemized" + suf][:].astype(np.float64)
            gq = f["record/itemized_gates" + suf][:].astype(np.float64)
            ta.check_close(gq.mean(axis=1), g, 1e-4, "real.h5: itemized%s = mean over gates of itemized_gates%s"
                           % (suf, suf), atol=1e-12)
    for layer, gate in ((1, "f"), (0, "i"), (1, None)):
        check_summarize("real.h5", layer, gate, names)
        check_per_batch("real.h5", layer, gate, names)
        check_decay("real.h5", layer, gate, names)
    r = rnnbow(["info", "real.h5"])
    check(r.rc == 0 and "lstm (gates i,f,g,o; forget bias" in r.text() and "2 layers" in r.text(),
          "info on a recorded LSTM run", r.text())
    r = rnnbow(["record", "--cell", "gru", "--batches", "30", "--record-every", "3", "--hidden", "8",
                "--seq-len", "6", "-o", "realgru.h5", "--quiet"])
    if not check(r.rc == 0, "record --cell gru (setup)", r.why):
        return
    check_summarize("realgru.h5", None, "n", GRU_GATES)
    check_per_batch("realgru.h5", None, "r", GRU_GATES)
    r = rnnbow(["plot", "horizon", "real.h5", "realgru.h5", "x.h5", "-o", "real.svg"])
    if check(r.rc == 0, "plot horizon of recorded lstm, gru and rnn runs: exit 0", r.why):
        s = svg_text("real.svg")
        for want in ("real.h5 (lstm, 2x8, n=6)", "realgru.h5 (gru, H=8, n=6)", "x.h5 (rnn tanh, H=8, n=6)"):
            check(want in s, "recorded runs' overlay legend: '%s'" % want)
    r = rnnbow(["summarize", "--gate", "f", "real.h5", "realgru.h5"])
    ta.expect_error(r, "summarize", "summarize --gate f on recorded lstm and gru runs", code=1,
                    contains="realgru.h5: no gate 'f' (cell gru has r, z, n)")


def main():
    if len(sys.argv) != 2:
        print("usage: test_layers_read.py ./rnnbow", file=sys.stderr)
        return 2
    ta.BIN = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="rnnbow-layers-") as tmp:
        ta.TMP = tmp
        for name, extra in (("x.h5", []), ("y.h5", ["--seed", "2"])):
            r = rnnbow(["record", "--batches", "60", "--record-every", "3", "--hidden", "8", "--seq-len", "6",
                        "-o", name, "--quiet"] + extra)
            if not check(r.rc == 0, "rnnbow record %s (setup)" % name, r.why):
                return 1
        make_gated(path("x.h5"), path("lstm.h5"), "lstm", 2, 11)
        make_gated(path("y.h5"), path("lstm2.h5"), "lstm", 2, 12)
        make_gated(path("x.h5"), path("gru.h5"), "gru", 1, 13)
        # broken: two layers claimed, layer 1 missing; names that do not
        # match gates; a gates dataset of the wrong shape
        shutil.copy(path("x.h5"), path("nol1.h5"))
        with h5py.File(path("nol1.h5"), "r+") as f:
            f["model"].attrs.create("layers", 2, dtype="<i8")
        make_gated(path("x.h5"), path("badnames.h5"), "lstm", 1, 14)
        with h5py.File(path("badnames.h5"), "r+") as f:
            set_str(f["model"], "gate_names", "r,z,n")
        make_gated(path("x.h5"), path("shortgates.h5"), "lstm", 1, 15)
        with h5py.File(path("shortgates.h5"), "r+") as f:
            f["model"].attrs.create("gates", 3, dtype="<i8")
            set_str(f["model"], "gate_names", "i,f,g")
        ta.section("defaults unchanged", test_defaults)
        ta.section("--layer and --gate against numpy", test_sources)
        ta.section("several runs", test_several)
        ta.section("errors", test_errors)
        ta.section("plots", test_plots)
        ta.section("info", test_info)
        ta.section("recorded LSTM and GRU runs", test_recorded_lstm)
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
