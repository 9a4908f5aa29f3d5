#!/usr/bin/python3
"""test_units.py - `rnnbow units` against numpy.

    /usr/bin/python3 tests/test_units.py ./rnnbow

Records small runs (a two-layer vanilla RNN and an LSTM), reads
/record/unit_flow and /record/truncation_error of every layer with h5py, and
recomputes every column of `rnnbow units` (docs/ANALYSIS.md "units"): reach,
k_exact, share_beyond_k and flow, per record and unit, and the ranking
within each record. Then the options (--batch, --top, --layer, --from/--to,
--eps, --format, several runs), edge cases planted in a copy (a unit with
no flow, one that never falls below eps, a NaN), and the refusals: a run
without unit_flow (written before it), a batch not recorded, a layer the
run does not have; and record --no-unit-flow, with --resume. The oracle
is broken once to show the comparison can fail. TAP-style output, exit 1 if a check failed.
"""
import csv
import io
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

BIN = None
TMP = None
COLS = ["batch", "layer", "unit", "reach", "share_beyond_k", "k_exact", "flow"]


def rnnbow(*args):
    r = subprocess.run([BIN] + list(args), cwd=TMP, capture_output=True)
    return r.returncode, r.stdout.decode(), r.stderr.decode(errors="replace")


def sfx(l):
    return "" if l == 0 else "_l%d" % l


def k_exact(E, eps):
    if np.isnan(E).any():
        return np.nan
    below = np.nonzero(E <= eps)[0]
    return float(below[0]) if len(below) else float(len(E) - 1)


def unit_rows(path, eps=0.1, layers=None):
    """{(batch, layer, unit): (reach, share, k, flow)} from h5py, in float64."""
    out = {}
    with h5py.File(os.path.join(TMP, path), "r") as f:
        L = int(f["model"].attrs.get("layers", 1))
        batches = f["record/batch"][:]
        for l in (range(L) if layers is None else layers):
            F = f["record/unit_flow" + sfx(l)][:].astype(np.float64)  # (R, n, H)
            E = f["record/truncation_error" + sfx(l)][:]
            R, n, H = F.shape
            for r in range(R):
                k = k_exact(E[r], eps)
                for u in range(H):
                    col = F[r, :, u]
                    if np.isnan(col).any():
                        reach = np.nan
                    elif not col[0] > 0:
                        reach = 0.0
                    else:
                        below = np.nonzero(col[1:] < eps * col[0])[0]
                        reach = float(below[0] + 1) if len(below) else float(n)
                    total = col.sum()
                    if np.isnan(reach) or np.isnan(k):
                        share = np.nan
                    else:
                        share = col[int(k) + 1:].sum() / total if total > 0 else 0.0
                    out[(int(batches[r]), l, u)] = (reach, share, k, total)
    return out


def parse_tsv(text):
    lines = text.rstrip("\n").split("\n")
    head = lines[0].split("\t")
    return head, [dict(zip(head, ln.split("\t"))) for ln in lines[1:] if ln]


def num(s):
    return float(s)  # "nan" parses


def close(a, b, rtol=1e-6, atol=1e-30):
    if np.isnan(a) or np.isnan(b):
        return np.isnan(a) and np.isnan(b)
    return abs(a - b) <= atol + rtol * abs(b)


def compare_rows(rows, want, label):
    """Every row against the oracle; returns the first mismatch or None."""
    for i, row in enumerate(rows):
        key = (int(row["batch"]), int(row["layer"]), int(row["unit"]))
        if key not in want:
            return "row %d: %s is not a unit of the run" % (i, key)
        got = [num(row[c]) for c in ("reach", "share_beyond_k", "k_exact", "flow")]
        for name, g, w in zip(("reach", "share_beyond_k", "k_exact", "flow"), got, want[key]):
            if not close(g, w):
                return "%s: %s of %s: printed %r, numpy %r" % (label, name, key, g, w)
    return None


def ranked(rows):
    """Whether each record's rows are in the documented order."""
    def key(row):
        reach, share = num(row["reach"]), num(row["share_beyond_k"])
        nan = np.isnan(reach) or np.isnan(share)
        return (nan, -(0 if np.isnan(reach) else reach), -(0 if np.isnan(share) else share),
                int(row["layer"]), int(row["unit"]))
    for a, b in zip(rows, rows[1:]):
        if a["batch"] == b["batch"] and key(a) > key(b):
            return "%s before %s" % (a, b)
    return None


def test_run(path, label, L, H):
    rc, out, err = rnnbow("units", path)
    if not check(rc == 0, "%s: units exits 0" % label, err):
        return
    head, rows = parse_tsv(out)
    check(head == COLS, "%s: columns %s" % (label, " ".join(COLS)), head)
    want = unit_rows(path)
    check(len(rows) == len(want), "%s: one row per record, layer and unit (%d)" % (label, len(want)),
          "%d rows" % len(rows))
    bad = compare_rows(rows, want, label)
    check(bad is None, "%s: reach, share_beyond_k, k_exact, flow = numpy's from h5py" % label, bad)
    check(ranked(rows) is None, "%s: each record's units ranked by reach, then share" % label,
          ranked(rows))
    reaches = {num(r["reach"]) for r in rows}
    check(len(reaches) > 1, "%s: the units do not all reach the same lag" % label, reaches)
    # the oracle can fail: a reach one lag off is caught
    key = next(iter(want))
    broken = dict(want)
    broken[key] = (want[key][0] + 1,) + want[key][1:]
    check(compare_rows(rows, broken, label) is not None,
          "%s: a numpy reach one lag off is told apart" % label)

    batches = sorted({int(r["batch"]) for r in rows})
    b = batches[len(batches) // 2]
    rc, out, err = rnnbow("units", path, "--batch", str(b), "--top", "3")
    _, top = parse_tsv(out)
    full = [r for r in rows if int(r["batch"]) == b]
    check(rc == 0 and top == full[:3], "%s: --batch %d --top 3 = the first 3 rows of that record"
          % (label, b), (err, top, full[:3]))
    if L > 1:
        rc, out, err = rnnbow("units", path, "--layer", "1")
        _, one = parse_tsv(out)
        want1 = unit_rows(path, layers=[1])
        check(rc == 0 and len(one) == len(want1) and all(r["layer"] == "1" for r in one) and
              compare_rows(one, want1, label) is None and ranked(one) is None,
              "%s: --layer 1: that layer's units only, ranked" % label, err or compare_rows(one, want1, label))
    rc, out, err = rnnbow("units", path, "--eps", "0.01")
    _, e2 = parse_tsv(out)
    bad = compare_rows(e2, unit_rows(path, eps=0.01), label)
    check(rc == 0 and bad is None, "%s: --eps 0.01: reach and k_exact at that eps" % label, err or bad)
    lo, hi = batches[1], batches[-2]
    rc, out, err = rnnbow("units", path, "--from", str(lo), "--to", str(hi))
    _, win = parse_tsv(out)
    check(rc == 0 and win == [r for r in rows if lo <= int(r["batch"]) <= hi],
          "%s: --from/--to keep the records of that window" % label, err)
    rc, out, err = rnnbow("units", path, "--format", "json", "--top", "2")
    js = [json.loads(x) for x in out.splitlines()]
    check(rc == 0 and js and list(js[0]) == COLS and
          all(close(float(j["flow"]) if j["flow"] is not None else np.nan, num(r["flow"]))
              for j, r in zip(js, [x for b2 in batches for x in [y for y in rows if int(y["batch"]) == b2][:2]])),
          "%s: --format json: one object per row, the same numbers" % label, err or out[:300])
    rc, out, err = rnnbow("units", path, "--format", "csv", "--top", "1")
    rd = list(csv.reader(io.StringIO(out)))
    check(rc == 0 and rd[0] == COLS and len(rd) == 1 + len(batches), "%s: --format csv" % label, out[:300])


def test_edges(src):
    """Planted flows: no flow (reach 0, share 0), never below eps (reach n),
    below only at the last lag, and a NaN (last, nan)."""
    path = "edges.h5"
    shutil.copy(os.path.join(TMP, src), os.path.join(TMP, path))
    with h5py.File(os.path.join(TMP, path), "r+") as f:
        F = f["record/unit_flow"]
        n = F.shape[1]
        row = F[0]
        row[:, 0] = 0.0
        row[:, 1] = 1.0
        row[:, 2] = 1.0
        row[n - 1, 2] = 0.01
        row[:, 3] = np.nan
        F[0] = row
        b0 = int(f["record/batch"][0])
    rc, out, err = rnnbow("units", path, "--batch", str(b0))
    _, rows = parse_tsv(out)
    by = {int(r["unit"]): r for r in rows if r["layer"] == "0"}
    ok = rc == 0 and len(by) > 3
    check(ok and by[0]["reach"] == "0" and by[0]["share_beyond_k"] == "0",
          "no flow at lag 0: reach 0, share_beyond_k 0", (err, by.get(0)))
    check(ok and by[1]["reach"] == str(n), "a flow that never falls below eps: reach n = %d" % n, by.get(1))
    check(ok and by[2]["reach"] == str(n - 1), "below eps at the last lag only: reach n-1", by.get(2))
    check(ok and by[3]["reach"] == "nan" and by[3]["share_beyond_k"] == "nan" and
          rows[-1]["unit"] == "3" and rows[-1]["layer"] == "0",
          "a NaN in the flow: reach and share nan, ranked last", (by.get(3), rows[-1]))
    bad = compare_rows(rows, unit_rows(path), "edges")
    check(bad is None, "planted flows: every row = numpy's", bad)


def test_errors(src):
    old = "old.h5"
    shutil.copy(os.path.join(TMP, src), os.path.join(TMP, old))
    with h5py.File(os.path.join(TMP, old), "r+") as f:
        for name in list(f["record"]):
            if name.startswith("unit_flow"):
                del f["record/" + name]
    cases = [
        (["units", old], 1, "old.h5: no /record/unit_flow (recorded with --no-unit-flow, or by an rnnbow before it)"),
        (["units", src, old], 1, "old.h5: no /record/unit_flow"),
        (["units", src, "--batch", "3"], 1, "batch 3 was not recorded"),
        (["units", src, "--layer", "7"], 1, "no layer 7 (the run has layers 0 to 1)"),
        (["units", src, "--format", "xml"], 2, "--format: expected tsv, csv or json"),
        (["units", "nosuch.h5"], 1, "nosuch.h5"),
    ]
    for args, code, text in cases:
        rc, out, err = rnnbow(*args)
        check(rc == code and err.count("\n") == 1 and text in err and out == "",
              "%s: exit %d, one line: %s" % (" ".join(args[1:]), code, text), (rc, err, out[:200]))


def test_several(a, b):
    rc, out, err = rnnbow("units", a, b, "--top", "2")
    head, rows = parse_tsv(out)
    ra = [r for r in rows if r["run"] == a]
    rb = [r for r in rows if r["run"] == b]
    _, one = parse_tsv(rnnbow("units", b, "--top", "2")[1])
    check(rc == 0 and head == ["run"] + COLS and ra and rows[:len(ra)] == ra and
          [{k: v for k, v in r.items() if k != "run"} for r in rb] == one,
          "several runs: a run column, each run's rows in the order given", err or head)


def datasets(path):
    out = {}
    with h5py.File(os.path.join(TMP, path), "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def test_no_unit_flow():
    """record --no-unit-flow: no unit_flow; --resume goes on without it,
    the same datasets as one run; --no-unit-flow on a run with it refused."""
    if not record("nf.h5", "--no-unit-flow", "--batches", "120"):
        return
    nf = datasets("nf.h5")
    check(not any("unit_flow" in k for k in nf) and "record/itemized" in nf,
          "--no-unit-flow: no /record/unit_flow, the rest as ever", sorted(nf))
    if not (record("half.h5", "--no-unit-flow", "--batches", "60") and
            record("half.h5", "--resume", "--batches", "120")):
        return
    half = datasets("half.h5")
    check(sorted(half) == sorted(nf) and all(np.array_equal(half[k], nf[k]) for k in nf),
          "--resume of a run without unit_flow goes on without it: the datasets of one run",
          [k for k in nf if k not in half or not np.array_equal(half[k], nf[k])])
    if not record("full.h5", "--batches", "60"):
        return
    corpus = os.path.join(TMP, "c.txt")
    r = subprocess.run([BIN, "record", corpus, "-o", os.path.join(TMP, "full.h5"), "--quiet",
                        "--batches", "120", "--record-every", "10", "--seq-len", "12", "--resume",
                        "--no-unit-flow"], capture_output=True)
    err = r.stderr.decode()
    check(r.returncode == 1 and err.count("\n") == 1 and
          "--no-unit-flow: the run has /record/unit_flow; resume it without --no-unit-flow" in err,
          "--resume --no-unit-flow of a run with unit_flow: refused in one line", (r.returncode, err))
    full = datasets("full.h5")
    check(full["record/unit_flow"].shape[0] == full["record/batch"].shape[0] == 6,
          "... and the run is left as it was (6 records, unit_flow of each)",
          {k: v.shape for k, v in full.items() if k.startswith("record/")})


def record(path, *extra):
    corpus = os.path.join(TMP, "c.txt")
    if not os.path.exists(corpus):
        with open(corpus, "wb") as fh:
            fh.write(b"".join(b"unit %d keeps %d for %d steps; " % (i, i * 7 % 11, i % 5)
                              for i in range(400)))
    batches = [] if "--batches" in extra else ["--batches", "60"]
    r = subprocess.run([BIN, "record", corpus, "-o", os.path.join(TMP, path), "--quiet",
                        "--record-every", "10", "--seq-len", "12"] + batches + list(extra),
                       capture_output=True)
    return check(r.returncode == 0, "record %s %s" % (path, " ".join(extra)), r.stderr.decode())


def main():
    global BIN, TMP
    BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./rnnbow")
    with tempfile.TemporaryDirectory() as TMP:
        if record("rnn2.h5", "--layers", "2", "--hidden", "10", "--init-scale", "0.5"):
            test_run("rnn2.h5", "rnn, 2 layers", 2, 10)
            test_edges("rnn2.h5")
            test_errors("rnn2.h5")
        if record("lstm.h5", "--cell", "lstm", "--hidden", "8"):
            test_run("lstm.h5", "lstm", 1, 8)
            test_several("rnn2.h5", "lstm.h5")
        test_no_unit_flow()
    sys.exit(tap.summary())


if __name__ == "__main__":
    main()
