#!/usr/bin/python3
"""test_diagnose.py - `rnnbow diagnose` against numpy.

    /usr/bin/python3 tests/test_diagnose.py ./rnnbow

Every column of `diagnose` (per record and layer) is recomputed here from
the run file's own datasets with h5py and numpy, following docs/ANALYSIS.md
("diagnose"): the aggregates over activations, lambda, dead units, the
/train join, k_exact from E; the same for the verdicts of --overall (the
medians, the ratio to the median grad_norm, the spans), and the verdicts of
the known-answer runs of examples/pitfalls (each names its pitfall and
nothing else); --fail-on's exit codes; bad input (a run recorded without
diagnostics, one missing /train/clip_share, a layer the run lacks).
RNNBOW_TEST_BREAK_ORACLE=1 perturbs the recomputed lambda, so the lambda
checks must fail (a check of the checks).

Output is TAP-style; exit status 1 if any check failed.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check  # noqa: E402

try:
    import h5py
    import numpy as np
except ImportError as e:
    print("not ok - import numpy and h5py in %s: %s" % (sys.executable, e))
    sys.exit(1)

BIN = os.path.abspath(sys.argv[1])
BREAK = os.environ.get("RNNBOW_TEST_BREAK_ORACLE") == "1"
EPS = 0.1


def rnnbow(*args, stdin=None):
    return subprocess.run([BIN] + [str(a) for a in args], capture_output=True, text=True,
                          stdin=stdin)


def record(path, *args):
    r = rnnbow("record", "--quiet", "--force", "-o", path, *args)
    if r.returncode != 0:
        raise RuntimeError("record %s: %s" % (args, r.stderr))


def rows_json(*args):
    r = rnnbow("diagnose", "--format", "json", *args)
    if r.returncode not in (0, 3):
        raise RuntimeError("diagnose %s: %s" % (args, r.stderr))
    return [json.loads(line) for line in r.stdout.splitlines()]


def num(x):
    return float("nan") if x is None else float(x)


def close(a, b, rel=1e-6):
    if a is None:  # JSON's null: nan or an infinity
        return b is None or not math.isfinite(float(b))
    a, b = num(a), num(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-12


def k_exact(E, eps=EPS):
    """docs/ANALYSIS.md: the smallest k with E[k] <= eps, n - 1 if none;
    NaN when E holds a NaN."""
    if np.isnan(E).any():
        return float("nan")
    for k, e in enumerate(E):
        if e <= eps:
            return k
    return len(E) - 1


def suffix(base, layer):
    return base if layer == 0 else "%s_l%d" % (base, layer)


def expected_rows(path):
    """Every (record, layer) row recomputed from the file's datasets."""
    f = h5py.File(path, "r")
    d = f["record/diag"]
    acts = d.attrs["activations"]
    acts = (acts.decode() if isinstance(acts, bytes) else acts).split(",")
    G = int(f["model"].attrs.get("gates", 1))
    L = int(f["model"].attrs.get("layers", 1))
    H = int(f["model"].attrs["hidden_size"])
    tb = f["train/batch"][:]
    tg = f["train/grad_norm"][:]
    tc = f["train/clip_share"][:]
    tn = f["train/nonfinite"][:]
    train = {int(b): (float(g), float(c), int(n)) for b, g, c, n in zip(tb, tg, tc, tn)}
    out = []
    batches = f["record/batch"][:]
    for r, b in enumerate(batches):
        for l in range(L):
            sat = d[suffix("saturated", l)][r].astype(np.float64)
            gam = d[suffix("gamma", l)][r].astype(np.float64)
            gmx = d[suffix("gamma_max", l)][r].astype(np.float64)
            rho = d[suffix("rho", l)][r].astype(np.float64)
            sig = d[suffix("sigma_max", l)][r].astype(np.float64)
            if G == 1:
                lam = sig[0] * gmx[0]
            else:
                lam = max(sig[1 + q] * gmx[q] for q in range(G))
            if BREAK:
                lam *= 1.01
            dead = float("nan")
            if suffix("dead", l) in d:
                dead = float((d[suffix("dead", l)][r] != 0).sum())
            g, c, n = train.get(int(b), (float("nan"),) * 2 + (1,))
            row = {
                "batch": int(b), "layer": l, "saturated": sat.mean(), "gamma": gam.mean(),
                "gamma_max": gmx.max(), "dead": dead, "rho": rho[0], "sigma_max": sig[0],
                "lambda": lam, "clip_share": float("nan") if n else c,
                "grad_norm": float("nan") if n else g,
                "k_exact": k_exact(f[suffix("record/truncation_error", l)][r]),
            }
            if G > 1:
                for a, name in enumerate(acts):
                    row["saturated_" + name] = sat[a]
                for q in range(G):
                    row["rho_" + acts[q]] = rho[1 + q]
                    row["sigma_max_" + acts[q]] = sig[1 + q]
            out.append(row)
    return out, H


def compare_rows(path, label, *extra):
    want, _ = expected_rows(path)
    got = rows_json(path, *extra)
    check(len(got) == len(want), "%s: one row per record and layer (%d)" % (label, len(want)),
          (len(got), len(want)))
    bad = {}
    for w, g in zip(want, got):
        for key, val in w.items():
            if key not in g or not close(g[key], val, 2e-6):
                bad.setdefault(key, (w["batch"], w["layer"], g.get(key), val))
    for key in want[0] if want else []:
        check(key not in bad, "%s: column %s equals numpy" % (label, key), lambda: bad[key])
    return got


# ---- verdicts, recomputed -----------------------------------------------

def expected_verdicts(path, th):
    """--overall's values from the file alone (docs/ANALYSIS.md)."""
    rows, H = expected_rows(path)
    f = h5py.File(path, "r")
    recs = {}
    for r in rows:
        recs.setdefault(r["batch"], []).append(r)
    sat, dead, lam = [], [], []
    for b in sorted(recs):
        ls = recs[b]
        s = [r["saturated"] for r in ls if not math.isnan(r["saturated"])]
        if s:
            sat.append((b, max(s)))
        dd = [r["dead"] / H for r in ls if not math.isnan(r["dead"])]
        if dd:
            dead.append((b, max(dd)))
        lm = [r["lambda"] for r in ls if r["gamma_max"] > 0 and math.isfinite(r["lambda"])]
        if lm:
            lam.append((b, min(lm)))
    med = lambda xs: float(np.median([x for _, x in xs])) if xs else float("nan")  # noqa
    out = {}

    def span(xs, pred):
        hit = [b for b, x in xs if pred(x)]
        return (hit[0], hit[-1]) if hit else (None, None)

    t = th["saturation"]
    out["saturation"] = (med(sat) > t, med(sat)) + span(sat, lambda x: x > t)
    t = th["dead_units"]
    out["dead_units"] = (med(dead) > t, med(dead)) + span(dead, lambda x: x > t)
    t = th["vanishing"]
    out["vanishing"] = (med(lam) < t, med(lam)) + span(lam, lambda x: x < t)
    tb = f["train/batch"][:]
    gn = f["train/grad_norm"][:].astype(np.float64)
    nf = f["train/nonfinite"][:]
    cs = f["train/clip_share"][:].astype(np.float64)
    gn[nf != 0] = np.inf
    m = np.median(gn[nf == 0]) if (nf == 0).any() else float("nan")
    ratio = gn / m if (nf == 0).any() else gn.copy()
    ratio[nf != 0] = np.inf
    t = th["exploding"]
    out["exploding"] = (ratio.max() > t, ratio.max()) + span(list(zip(tb, ratio)), lambda x: x > t)
    t = th["clipping"]
    ok = nf == 0
    mean = cs[ok].mean() if ok.any() else float("nan")
    out["clipping"] = (mean > t, mean) + span(list(zip(tb[ok], cs[ok])), lambda x: x > t)
    return out


DEFAULTS = {"saturation": 0.5, "dead_units": 0.5, "exploding": 1000, "vanishing": 1,
            "clipping": 0.01}


def compare_verdicts(path, label, th=DEFAULTS, *extra):
    want = expected_verdicts(path, th)
    got = {r["check"]: r for r in rows_json("--overall", path, *extra)}
    check(sorted(got) == sorted(want), "%s: one row per check" % label, sorted(got))
    for name, (flag, value, first, last) in want.items():
        g = got.get(name, {})
        ok = (g.get("verdict") == ("flagged" if flag else "ok") and close(g.get("value"), value, 1e-5)
              and close(g.get("threshold"), th[name]) and
              close(g.get("first_batch"), first if first is not None else float("nan")) and
              close(g.get("last_batch"), last if last is not None else float("nan")))
        check(ok, "%s: %s verdict, value, threshold, first and last batch equal numpy" % (label, name),
              lambda: (g, (flag, value, first, last)))


def verdict_set(path):
    return {r["check"] for r in rows_json("--overall", path) if r["verdict"] == "flagged"}


def main():
    tmp = tempfile.mkdtemp()
    try:
        run_tests(tmp)
    finally:
        shutil.rmtree(tmp)
    sys.exit(tap.summary())


def run_tests(tmp):
    small = ["--hidden", "16", "--seq-len", "12", "--batches", "300", "--record-every", "20"]
    tanh = os.path.join(tmp, "tanh.h5")
    record(tanh, *small)
    compare_rows(tanh, "vanilla tanh")
    relu = os.path.join(tmp, "relu.h5")
    record(relu, *small, "--activation", "relu")
    got = compare_rows(relu, "relu")
    check(any(r["dead"] > 0 for r in got), "relu: some units dead in the run (dead is exercised)")
    lstm = os.path.join(tmp, "lstm.h5")
    record(lstm, *small, "--cell", "lstm", "--layers", "2")
    got = compare_rows(lstm, "lstm, 2 layers")
    check(got and all(k in got[0] for k in ["saturated_i", "saturated_f", "saturated_g",
                                             "saturated_o", "saturated_tanh_c", "rho_f",
                                             "sigma_max_o"]),
          "lstm: a column per activation and gate", lambda: list(got[0]))
    gru = os.path.join(tmp, "gru.h5")
    record(gru, *small, "--cell", "gru", "--clip", "0.05")
    compare_rows(gru, "gru, clipping on")
    got = rows_json("--layer", "1", "--from", "100", "--to", "200", lstm)
    want = [r for r in expected_rows(lstm)[0] if r["layer"] == 1 and 100 <= r["batch"] <= 200]
    check([(r["batch"], r["layer"]) for r in got] == [(r["batch"], 1) for r in want] and
          all(close(g["lambda"], w["lambda"]) for g, w in zip(got, want)),
          "--layer 1 --from 100 --to 200: that layer's rows in the window",
          lambda: (got[:2], want[:2]))

    # verdicts against numpy, default and given thresholds
    for path, label in [(tanh, "tanh"), (relu, "relu"), (lstm, "lstm"), (gru, "gru")]:
        compare_verdicts(path, label)
    th = dict(DEFAULTS, saturation=0.01, vanishing=50, clipping=0.0001, exploding=2,
              dead_units=0.01)
    compare_verdicts(relu, "relu, thresholds given", th, "--saturation", "0.01", "--vanishing",
                     "50", "--clipping", "0.0001", "--exploding", "2", "--dead-units", "0.01")

    # several runs: run first, rows of each in order
    r = rnnbow("diagnose", "--overall", tanh, relu)
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and lines[0].split("\t")[:3] == ["run", "check", "verdict"] and
          [l.split("\t")[0] for l in lines[1:]] == [tanh] * 5 + [relu] * 5,
          "two runs: run column first, five checks each", r.stdout + r.stderr)
    r = rnnbow("diagnose", tanh, lstm)
    head = r.stdout.splitlines()[0].split("\t")
    check(r.returncode == 0 and head[:13] == ["run", "batch", "layer", "saturated", "gamma",
                                              "gamma_max", "dead", "rho", "sigma_max", "lambda",
                                              "clip_share", "grad_norm", "k_exact"]
          and "saturated_f" in head,
          "tanh and lstm: the base columns, then the lstm's", head)
    tanh_row = r.stdout.splitlines()[1].split("\t")
    check(tanh_row[head.index("saturated_f")] == "nan", "a column a run's cell lacks is nan",
          tanh_row)
    r = rnnbow("diagnose", "--format", "csv", tanh)
    check(r.returncode == 0 and r.stdout.startswith("batch,layer,saturated,"), "--format csv",
          r.stdout[:80])
    with open(tanh, "rb") as fin:
        r2 = subprocess.run([BIN, "diagnose", "-"], stdin=fin, capture_output=True, text=True)
    check(r2.returncode == 0 and r2.stdout == rnnbow("diagnose", tanh).stdout,
          "a run on stdin reads the same", r2.stderr)

    # the pitfalls: examples/pitfalls/pitfalls.sh's corpus and settings
    # (rnnbow's own source, the default corpus, changes with every commit)
    import glob
    headers = b"".join(open(h, "rb").read() for d in ["/usr/include/hdf5/serial", "/usr/include"]
                       for h in sorted(glob.glob(d + "/*.h")))
    corpus = os.path.join(tmp, "corpus.c")
    with open(corpus, "wb") as f:
        f.write(headers[:200000])
    pit = [
        ("healthy", set(), ["--lr", "0.03"]),
        ("saturated sigmoid", {"saturation"}, ["--activation", "sigmoid", "--init-scale", "2"]),
        ("dead relu", {"dead_units"}, ["--activation", "relu", "--optimizer", "sgd", "--lr",
                                       "0.2", "--seq-len", "5"]),
        ("tiny init", {"vanishing"}, ["--init-scale", "0.001", "--optimizer", "sgd", "--lr",
                                      "0.0001"]),
    ]
    for label, flags, args in pit:
        p = os.path.join(tmp, "pit.h5")
        record(p, corpus, "--hidden", "64", "--batches", "2000", "--record-every", "100", *args)
        got = verdict_set(p)
        check(got == flags, "pitfall %s: flags %s and nothing else" % (label, sorted(flags) or "nothing"),
              sorted(got))
        if label == "tiny init":
            ks = [r["k_exact"] for r in rows_json(p)]
            check(np.median(ks) <= 1, "tiny init: k_exact small (median %g)" % np.median(ks), ks)
    p = os.path.join(tmp, "explode.h5")
    record(p, corpus, "--hidden", "64", "--batches", "300", "--record-every", "20", "--clip", "0",
           "--init-scale", "0.25", "--seq-len", "200")
    got = verdict_set(p)
    check(got == {"exploding"}, "pitfall exploding tanh: flags exploding and nothing else",
          sorted(got))
    nanrun = os.path.join(tmp, "nan.h5")
    record(nanrun, "--hidden", "64", "--batches", "20", "--record-every", "5", "--clip", "0",
           "--init-scale", "0.3", "--seq-len", "400", "--on-nonfinite", "skip")
    v = {r["check"]: r for r in rows_json("--overall", nanrun)}
    check(v["exploding"]["verdict"] == "flagged" and v["exploding"]["value"] is None and
          "20 non-finite" in v["exploding"]["evidence"],
          "non-finite batches flag exploding (value inf)", v["exploding"])
    compare_verdicts(nanrun, "non-finite batches")

    # --fail-on
    r = rnnbow("diagnose", "--overall", "--fail-on", "exploding", nanrun)
    check(r.returncode == 3 and "flagged" in r.stdout, "--fail-on exploding: exit 3 when flagged",
          r.returncode)
    r = rnnbow("diagnose", "--overall", "--fail-on", "saturation,dead_units", nanrun)
    check(r.returncode == 0, "--fail-on of checks not flagged: exit 0", r.returncode)
    r = rnnbow("diagnose", "--fail-on", "all", nanrun)
    check(r.returncode == 3 and r.stdout.startswith("batch\t"),
          "--fail-on without --overall: the rows, and exit 3", r.returncode)
    r = rnnbow("diagnose", "--overall", "--fail-on", "exploding", tanh, nanrun)
    check(r.returncode == 3, "--fail-on: one flagged run of two is enough", r.returncode)
    r = rnnbow("diagnose", "--overall", "--fail-on", "exploding,saturaton", nanrun)
    check(r.returncode == 2 and "saturaton" in r.stderr and "dead_units" in r.stderr and
          r.stdout == "", "--fail-on an unknown check: exit 2, naming the checks", r.stderr)

    # no records (--record-every 0), or none in the window
    norec = os.path.join(tmp, "norec.h5")
    record(norec, "--hidden", "8", "--seq-len", "8", "--batches", "40", "--record-every", "0")
    r = rnnbow("diagnose", norec)
    check(r.returncode == 0 and r.stdout.splitlines()[0].startswith("batch\tlayer") and
          len(r.stdout.splitlines()) == 1, "no records: the header alone, exit 0", r.stdout + r.stderr)
    compare_verdicts(norec, "no records (the training batches still count)")
    got = rows_json("--overall", "--from", "100000", tanh)
    check(all(g["verdict"] == "ok" and g["value"] is None for g in got),
          "nothing in --from/--to: every check ok, value nan", got)

    # plot diagnose
    for path, label in [(tanh, "tanh"), (relu, "relu"), (lstm, "lstm")]:
        for fmt in ["png", "svg", "pdf"]:
            fig = os.path.join(tmp, "d_%s.%s" % (label, fmt))
            r = rnnbow("plot", "diagnose", path, "-o", fig)
            check(r.returncode == 0 and os.path.getsize(fig) > 1000,
                  "plot diagnose %s: %s" % (label, fmt), r.stderr)
    fig = os.path.join(tmp, "d_lstm.svg")
    svg = open(fig).read()
    check(all(">%s<" % a in svg for a in ["i", "f", "g", "o", "tanh_c", "sigma_max", "rho",
                                          "lambda"]),
          "plot diagnose lstm: a key entry per activation, sigma_max, rho, lambda")
    again = os.path.join(tmp, "again.svg")
    rnnbow("plot", "diagnose", lstm, "-o", again)
    check(open(again, "rb").read() == open(fig, "rb").read(), "plot diagnose: the same bytes again")
    svg = open(os.path.join(tmp, "d_relu.svg")).read()
    check("dead units" in svg, "plot diagnose relu: a dead-unit panel")
    r = rnnbow("plot", "diagnose", lstm, "--layer", "1", "-o", again)
    check(r.returncode == 0, "plot diagnose --layer 1", r.stderr)
    r = rnnbow("plot", "diagnose", lstm, "--gate", "f", "-o", again)
    check(r.returncode == 2, "plot diagnose --gate: exit 2 (it shows every gate)", r.stderr)

    # bad input
    old = os.path.join(tmp, "old.h5")
    record(old, *small, "--no-diagnostics")
    r = rnnbow("plot", "diagnose", old, "-o", os.path.join(tmp, "no.png"))
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "/record/diag" in r.stderr
          and not os.path.exists(os.path.join(tmp, "no.png")),
          "plot diagnose of a run without diagnostics: one line, no figure", r.stderr)
    r = rnnbow("diagnose", old)
    check(r.returncode == 1 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and
          "/record/diag" in r.stderr, "a run without diagnostics: one line naming what is missing",
          r.stderr)
    r = rnnbow("summarize", old)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 16,
          "a run without diagnostics still reads (summarize)", r.stderr)
    noclip = os.path.join(tmp, "noclip.h5")
    shutil.copy(tanh, noclip)
    with h5py.File(noclip, "a") as f:
        del f["train/clip_share"]
    r = rnnbow("diagnose", "--overall", noclip)
    check(r.returncode == 1 and "/train/clip_share" in r.stderr and len(r.stderr.splitlines()) == 1,
          "a run without /train/clip_share: one line naming it", r.stderr)
    older = os.path.join(tmp, "older.h5")  # as rnnbow wrote runs before diagnostics
    shutil.copy(tanh, older)
    with h5py.File(older, "a") as f:
        del f["record/diag"]
        del f["train/clip_share"]
    r = rnnbow("diagnose", older)
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 1 and
          ("/record/diag" in r.stderr or "/train/clip_share" in r.stderr),
          "a run of an older rnnbow: one line naming what is missing", r.stderr)
    r = rnnbow("summarize", older)
    check(r.returncode == 0 and r.stdout == rnnbow("summarize", tanh).stdout,
          "... and it still reads as before (summarize)", r.stderr)
    bad = os.path.join(tmp, "badshape.h5")
    shutil.copy(lstm, bad)
    with h5py.File(bad, "a") as f:
        x = f["record/diag/saturated_l1"][:]
        del f["record/diag/saturated_l1"]
        f["record/diag/saturated_l1"] = x[:, :3]
    r = rnnbow("diagnose", bad)
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 1 and
          "saturated_l1" in r.stderr and "shape" in r.stderr,
          "a diagnostics dataset of the wrong shape: refused in one line", r.stderr)
    shutil.copy(lstm, bad)
    with h5py.File(bad, "a") as f:
        f["record/diag"].attrs["activations"] = "i,f,g"
    r = rnnbow("diagnose", "--overall", bad)
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 1 and "activations" in r.stderr,
          "an activations attribute that does not fit the cell: refused in one line", r.stderr)
    r = rnnbow("diagnose", tanh, old)
    check(r.returncode == 1 and r.stdout == "", "a bad file among good ones: nothing printed",
          r.stdout)
    r = rnnbow("diagnose", "--layer", "3", lstm)
    check(r.returncode == 1 and "no layer 3" in r.stderr, "--layer beyond the run's: exit 1",
          r.stderr)
    r = rnnbow("diagnose", "--format", "xml", tanh)
    check(r.returncode == 2, "--format xml: exit 2", r.stderr)
    r = rnnbow("diagnose", "--from", "9", "--to", "3", tanh)
    check(r.returncode == 2, "--from after --to: exit 2", r.stderr)
    r = rnnbow("diagnose", "--saturation", "2", tanh)
    check(r.returncode == 2, "--saturation 2 (a share above 1): exit 2", r.stderr)
    notrun = os.path.join(tmp, "x.txt")
    open(notrun, "w").write("hello\n")
    r = rnnbow("diagnose", notrun)
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 1, "not a run: exit 1, one line",
          r.stderr)


if __name__ == "__main__":
    main()
