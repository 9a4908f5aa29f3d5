#!/usr/bin/python3
"""test_analysis.py - `rnnbow summarize` and `rnnbow horizon` against numpy.

    /usr/bin/python3 tests/test_analysis.py ./rnnbow

Every number rnnbow prints is recomputed here from the run file alone, with
h5py and numpy, following docs/ANALYSIS.md (never from rnnbow's output):
max_grad / max_step / target / predicted / loss / accuracy / k_exact /
k_bound per record, the decay curve and its fit, --per-batch, --overall and
--batch B --step t; the options (--eps, --loss-share, --top, --from/--to,
--format csv|json, --train, --share, --floor); handmade run files with known
answers (a crafted E and g, a diagonal-only g, no records, uncommitted rows);
several runs, stdin, a run read while it is being written, and bad input.

Output is TAP-style: one `ok - ...` / `not ok - ...` line per check, with
`# ...` diagnostics; exit status 1 if any check failed.
RNNBOW_TEST_BREAK_ORACLE=1 perturbs the recomputed max_grad by 1%, so the
max_grad checks must fail (a check of the checks).
"""
import csv
import io
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import h5py
    import numpy as np
except ImportError as e:  # say which interpreter lacks them
    print("not ok - import numpy and h5py in %s: %s" % (sys.executable, e))
    print("# install python3-numpy python3-h5py and run with /usr/bin/python3")
    sys.exit(1)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, diag, section  # noqa: E402,F401  (used here and by importers)

BIN = None
TMP = None
BREAK_ORACLE = os.environ.get("RNNBOW_TEST_BREAK_ORACLE", "") not in ("", "0")

RTOL = 1e-5          # floats printed with %.9g, recomputed in float64
Q_RTOL = 2.0 ** -9 + 1e-8   # histogram quantiles: documented within 2^-9 (+ %.9g printing)
FIT_RTOL = 1e-3
TIE = 1e-6           # relative margin for comparisons that sit on a threshold


# ------------------------------------------------------------ running rnnbow

class Result:
    def __init__(self, cmd, rc, out, err):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err

    def text(self):
        return self.out.decode("utf-8", "replace")

    def errtext(self):
        return self.err.decode("utf-8", "replace")

    def why(self):
        return "command: %s\nexit status %s\nstderr: %s\nstdout (first 500 bytes): %r" % (
            " ".join(self.cmd), self.rc, self.errtext(), self.out[:500])


def rnnbow(args, stdin_path=None, timeout=120):
    cmd = [BIN] + list(args)
    fin = open(os.path.join(TMP, stdin_path), "rb") if stdin_path else subprocess.DEVNULL
    try:
        r = subprocess.run(cmd, cwd=TMP, stdin=fin, capture_output=True, timeout=timeout)
        return Result(cmd, r.returncode, r.stdout, r.stderr)
    except subprocess.TimeoutExpired:
        return Result(cmd, "timeout", b"", b"timed out after %d s" % timeout)
    finally:
        if stdin_path:
            fin.close()


def parse_tsv(text):
    """(header, rows): lines split on tabs (escaping keeps fields tab-free,
    so the csv module's quote handling must not be used on TSV)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return [], []
    header = lines[0].split("\t")
    rows = [ln.split("\t") for ln in lines[1:]]
    return header, rows


class Table:
    def __init__(self, header, rows):
        self.header, self.rows = header, rows
        self.idx = {c: i for i, c in enumerate(header)}

    def has(self, *cols):
        return all(c in self.idx for c in cols)

    def col(self, name):
        i = self.idx[name]
        return [r[i] for r in self.rows]

    def fcol(self, name):
        return np.array([float(v) for v in self.col(name)], dtype=np.float64)

    def icol(self, name):
        return np.array([int(v) for v in self.col(name)], dtype=np.int64)

    def rect(self):
        return all(len(r) == len(self.header) for r in self.rows)


def table_of(res, desc):
    """Checks exit 0 and a rectangular table; returns the Table or None."""
    if not check(res.rc == 0, desc + ": exit 0", res.why):
        return None
    h, rows = parse_tsv(res.text())
    t = Table(h, rows)
    if not check(len(h) > 0 and t.rect(), desc + ": a header line and rows with as many fields",
                 lambda: "header %r, field counts %s" % (h, sorted(set(len(r) for r in rows)))):
        return None
    return t


# ------------------------------------------------------------- comparisons

def compare(got, want, rtol, atol=0.0):
    """(ok, message): got ~ want elementwise; nan matches nan, inf matches inf."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, "shape %s != expected %s" % (got.shape, want.shape)
    same_special = (np.isnan(got) & np.isnan(want)) | (np.isinf(got) & np.isinf(want) & (got == want))
    finite = np.isfinite(got) & np.isfinite(want)
    err = np.where(finite, np.abs(got - want), np.inf)
    lim = atol + rtol * np.abs(np.where(finite, want, 0.0))
    bad = ~same_special & ~(finite & (err <= lim))
    if not bad.any():
        return True, ""
    idx = np.argwhere(bad)
    lines = ["%d of %d values differ (rtol %g, atol %g)" % (bad.sum(), bad.size, rtol, atol)]
    for i in idx[:6]:
        i = tuple(int(v) for v in i)
        lines.append("  at %s: got %.9g, expected %.9g" % (i, got[i], want[i]))
    return False, "\n".join(lines)


def check_close(got, want, rtol, desc, atol=0.0, labels=None):
    ok, msg = compare(got, want, rtol, atol)
    if not ok and labels is not None:
        msg += "\n  (rows are %s)" % labels
    return check(ok, desc, msg)


def check_equal(got, want, desc, labels=None):
    got, want = list(got), list(want)
    if len(got) != len(want):
        return check(False, desc, "%d values, expected %d\ngot %s\nexpected %s" % (
            len(got), len(want), got[:10], want[:10]))
    bad = [i for i in range(len(got)) if got[i] != want[i]]

    def why():
        out = ["%d of %d differ" % (len(bad), len(got))]
        for i in bad[:6]:
            lab = " (%s)" % labels[i] if labels is not None else ""
            out.append("  row %d%s: got %r, expected %r" % (i, lab, got[i], want[i]))
        return "\n".join(out)
    return check(not bad, desc, why)


def check_in_range(got, lo, hi, nominal, desc, labels=None):
    """Integer results that may legitimately sit on a threshold: got must be
    in [lo, hi] (equal to nominal unless a value is within TIE of eps)."""
    got = [int(v) for v in got]
    if len(got) != len(lo):
        return check(False, desc, "%d values, expected %d" % (len(got), len(lo)))
    bad = [i for i in range(len(got)) if not (lo[i] <= got[i] <= hi[i])]
    ties = [i for i in range(len(got)) if lo[i] != hi[i]]
    if ties and not bad:
        diag("%s: %d rows sit within %g of the threshold; accepted a range" % (desc, len(ties), TIE))

    def why():
        out = ["%d of %d differ" % (len(bad), len(got))]
        for i in bad[:6]:
            lab = " (%s)" % labels[i] if labels is not None else ""
            out.append("  row %d%s: got %d, expected %d" % (i, lab, got[i], nominal[i]))
        return "\n".join(out)
    return check(not bad, desc, why)


# ----------------------------------------------------------------- the oracle

def load_run(path):
    """The committed rows of a run file, as float64/int64 numpy arrays."""
    try:
        f = h5py.File(path, "r", swmr=True)
    except Exception:
        f = h5py.File(path, "r")
    with f:
        rec = f["record"]
        names = [k for k in rec if isinstance(rec[k], h5py.Dataset)]
        R = min(rec[k].shape[0] for k in names)
        d = {k: rec[k][:R] for k in names}
        tr = f["train"]
        tnames = [k for k in tr if isinstance(tr[k], h5py.Dataset)]
        B = min(tr[k].shape[0] for k in tnames)
        train = {k: tr[k][:B] for k in tnames}
        vocab = f["model/vocab"][:]
        n = int(f["model"].attrs["seq_len"])
    return {"R": R, "n": n, "vocab": vocab, "rec": d, "train": train, "path": path}


def escape_byte(b):
    b = int(b)
    if b == 0x0A:
        return "\\n"
    if b == 0x09:
        return "\\t"
    if b == 0x0D:
        return "\\r"
    if b == 0x5C:
        return "\\\\"
    if 0x20 <= b <= 0x7E:
        return chr(b)
    return "\\x%02x" % b


def same_escape(got, want):
    """\\xHH: the case of the hex digits is not fixed by ANALYSIS.md."""
    if want.startswith("\\x"):
        return got.lower() == want.lower()
    return got == want


def k_exact_of(E, eps, margin=0.0):
    E = np.asarray(E, dtype=np.float64)
    ok = np.nonzero(E <= eps * (1.0 + margin))[0]
    return int(ok[0]) if len(ok) else len(E) - 1


def k_ts_of(g, eps, margin=0.0):
    """k_t for every loss t of one record (ANALYSIS.md, k_bound)."""
    g = np.asarray(g, dtype=np.float64)
    n = g.shape[0]
    out = []
    for t in range(n):
        by_lag = np.array([g[t, t - d] for d in range(t + 1)])
        total = by_lag.sum()
        if total == 0:
            out.append(0)
            continue
        k = t
        for kk in range(t + 1):
            tail = by_lag[kk + 1:].sum()
            if tail <= eps * total * (1.0 + margin):
                k = kk
                break
        out.append(k)
    return out


def smallest_k_for_share(ks, share):
    """Smallest k such that at least ceil(share * len) of ks are <= k."""
    ks = sorted(int(v) for v in ks)
    m = int(math.ceil(share * len(ks)))
    if m <= 0 or not ks:
        return 0, sum(1 for v in ks if v <= 0)
    k = ks[min(m, len(ks)) - 1]
    return k, sum(1 for v in ks if v <= k)


def oracle_records(run, eps=0.1, share=1.0):
    """Per record: everything summarize and --per-batch print."""
    rec = run["rec"]
    vocab = run["vocab"]
    out = []
    for r in range(run["R"]):
        g = np.tril(rec["itemized"][r].astype(np.float64))
        bar = g.sum(axis=0)
        mg = float(bar.max())
        ms = int(np.argmax(bar))   # numpy: first occurrence = smallest j
        near = [int(j) for j in np.nonzero(bar >= mg * (1 - TIE))[0]]
        E = rec["truncation_error"][r].astype(np.float64)
        tgt = rec["target"][r]
        prd = rec["predicted"][r]
        kts = {m: k_ts_of(g, eps, m) for m in (0.0, TIE, -TIE)}
        kb = {m: smallest_k_for_share(kts[m], share)[0] for m in kts}
        out.append({
            "batch": int(rec["batch"][r]),
            "position": int(rec["position"][r]),
            "max_grad": mg * (1.01 if BREAK_ORACLE else 1.0),
            "max_step": ms,
            "near_steps": near,
            "target_at": lambda j, tgt=tgt: escape_byte(vocab[tgt[j]]),
            "predicted_at": lambda j, prd=prd: escape_byte(vocab[prd[j]]),
            "target": escape_byte(vocab[tgt[ms]]),
            "predicted": escape_byte(vocab[prd[ms]]),
            "loss": float(rec["loss"][r].astype(np.float64).mean()),
            "accuracy": float(np.mean(tgt == prd)),
            "k_exact": k_exact_of(E, eps),
            "k_exact_lo": k_exact_of(E, eps, TIE),
            "k_exact_hi": k_exact_of(E, eps, -TIE),
            "k_bound": kb[0.0],
            "k_bound_lo": kb[TIE],
            "k_bound_hi": kb[-TIE],
            "E": E,
            "bar": bar,
        })
    return out


def oracle_decay(run, keep=None, floor=1e-3):
    """Per lag: count, exact median/p10/p90, mean; plus the fit on our medians."""
    rec = run["rec"]
    n = run["n"]
    rows = [r for r in range(run["R"]) if keep is None or keep(int(rec["batch"][r]))]
    g = rec["itemized"][rows].astype(np.float64) if rows else np.zeros((0, n, n))
    lags = []
    for d in range(n):
        vals = []
        for t in range(d, n):
            diag_ = g[:, t, t]
            m = diag_ > 0
            vals.append(g[m, t, t - d] / diag_[m])
        v = np.concatenate(vals) if vals else np.zeros(0)
        if len(v):
            med, p10, p90 = np.percentile(v, [50, 10, 90])
            lags.append({"lag": d, "count": len(v), "median": med, "p10": p10, "p90": p90,
                         "mean": float(v.mean()), "values": v})
        else:
            lags.append({"lag": d, "count": 0, "median": math.nan, "p10": math.nan,
                         "p90": math.nan, "mean": math.nan, "values": v})
    meds = [l["median"] if l["count"] else math.nan for l in lags]
    return {"lags": lags, "fit_to": fit_to_of(meds, floor), "medians": meds}


def fit_to_of(medians, floor):
    """The last lag before the median first falls to floor or below (or has
    no values); n-1 if it never does."""
    for d, m in enumerate(medians):
        if not (m > floor):       # nan (no values) too
            return d - 1
    return len(medians) - 1


def fit_of(medians, fit_to):
    """(decay_factor, half_life) from least squares of ln(median) on lag."""
    if fit_to + 1 < 2:
        return math.nan, math.nan
    d = np.arange(fit_to + 1, dtype=np.float64)
    y = np.log(np.asarray(medians[:fit_to + 1], dtype=np.float64))
    slope = np.polyfit(d, y, 1)[0]
    half = math.log(2) / -slope if slope < 0 else math.inf
    return math.exp(slope), half


# ------------------------------------------------------------ run files

def sattr(obj, name, value):
    """A fixed-length, NUL-terminated ASCII string attribute, as rnnbow writes."""
    b = value.encode("ascii") if isinstance(value, str) else bytes(value)
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(len(b) + 1)
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    space = h5py.h5s.create(h5py.h5s.SCALAR)
    aid = h5py.h5a.create(obj.id, name.encode("ascii"), tid, space)
    aid.write(np.array(b, dtype="S%d" % (len(b) + 1)))


def growing(grp, name, data, dtype):
    data = np.asarray(data, dtype=dtype)
    maxshape = (None,) + data.shape[1:]
    chunks = (max(1, min(64, data.shape[0] or 1)),) + data.shape[1:]
    grp.create_dataset(name, data=data, dtype=dtype, maxshape=maxshape, chunks=chunks)


def write_run(path, vocab, records, n, H=4, train=None, format_version=1, extra=None):
    """A run file written with h5py following docs/FORMAT.md. records: list of
    dicts with batch, position, input, target, predicted, loss, itemized (n x n),
    truncation_error (n). extra: {"record/NAME": rows} appended to one dataset
    beyond the committed count."""
    vocab = np.asarray(vocab, dtype=np.uint8)
    R = len(records)
    with h5py.File(path, "w", libver="latest") as f:
        sattr(f, "format", "rnnbow")
        f.attrs.create("format_version", format_version, dtype="<i8")
        sattr(f, "software_version", "0.1.0")
        sattr(f, "command_line", "handmade by tests/test_analysis.py")
        sattr(f, "created_utc", "2024-01-01T00:00:00Z")
        f.attrs.create("seed", 1, dtype="<u8")
        sattr(f, "corpus_name", "handmade.txt")
        f.attrs.create("corpus_bytes", 1000, dtype="<i8")
        sattr(f, "corpus_sha256", "0" * 64)
        m = f.create_group("model")
        sattr(m, "cell", "rnn")
        sattr(m, "activation", "tanh")
        m.attrs.create("hidden_size", H, dtype="<i8")
        m.attrs.create("layers", 1, dtype="<i8")
        m.attrs.create("vocab_size", len(vocab), dtype="<i8")
        m.attrs.create("seq_len", n, dtype="<i8")
        m.attrs.create("init_scale", 0.01, dtype="<f8")
        m.create_dataset("vocab", data=vocab, dtype="u1")
        t = f.create_group("train")
        sattr(t, "optimizer", "adagrad")
        t.attrs.create("learning_rate", 0.1, dtype="<f8")
        t.attrs.create("clip", 5.0, dtype="<f8")
        if train is None:
            nb = (max(r["batch"] for r in records) + 1) if records else 0
            rs = np.random.RandomState(7)
            train = {"batch": np.arange(nb), "loss": rs.uniform(1, 3, nb),
                     "grad_norm": rs.uniform(0, 2, nb)}
        t.attrs.create("batches", len(train["batch"]), dtype="<i8")
        t.attrs.create("record_every", 1, dtype="<i8")
        growing(t, "batch", train["batch"], "<i8")
        growing(t, "loss", train["loss"], "<f4")
        growing(t, "grad_norm", train["grad_norm"], "<f4")
        rg = f.create_group("record")
        rows = {
            "batch": ([r["batch"] for r in records], "<i8", ()),
            "position": ([r["position"] for r in records], "<i8", ()),
            "input": ([r["input"] for r in records], "<i4", (n,)),
            "target": ([r["target"] for r in records], "<i4", (n,)),
            "predicted": ([r["predicted"] for r in records], "<i4", (n,)),
            "loss": ([r["loss"] for r in records], "<f4", (n,)),
            "itemized": ([r["itemized"] for r in records], "<f4", (n, n)),
            "truncation_error": ([r["truncation_error"] for r in records], "<f4", (n,)),
            "h0": ([r.get("h0", np.zeros(H)) for r in records], "<f4", (H,)),
        }
        for name, (data, dt, shape) in rows.items():
            arr = np.asarray(data, dtype=dt).reshape((R,) + shape)
            if extra and ("record/" + name) in extra:
                arr = np.concatenate([arr, np.asarray(extra["record/" + name], dtype=dt).reshape((-1,) + shape)])
            growing(rg, name, arr, dt)


def make_corpus(nbytes, seed):
    """Varied text with newlines, tabs, CR, quotes, commas, backslashes and
    non-ASCII bytes (UTF-8), so escaping and CSV quoting are exercised."""
    r = random.Random(seed)
    words = ("the a gradient loss time step hidden state recurrent network learns itemized "
             "batch vanishing exploding horizon truncation of to and in RNN BPTT tanh").split()
    words += ["caf\u00e9", "na\u00efve", "\u00fcber", "\"quoted\"", "a,b", "back\\slash", "x\x7fy"]
    seps = [" "] * 10 + [", ", ". ", "\n", "\t", "\r\n", "; ", "\"", " \\ "]
    out, size = [], 0
    while size < nbytes:
        w = r.choice(words) + r.choice(seps)
        out.append(w)
        size += len(w.encode("utf-8"))
    return "".join(out).encode("utf-8")[:nbytes]


def copy3_corpus(nbytes, seed):
    """A lag-3 copy task: three random letters, then the same three again."""
    r = random.Random(seed)
    out = bytearray()
    while len(out) < nbytes:
        w = bytes(r.choice(b"abcdefghijklmnop") for _ in range(3))
        out += w + w
    return bytes(out[:nbytes])


# -------------------------------------------------- checks: summarize, a.h5

SUMMARY_COLS = ["batch", "position", "max_grad", "max_step", "target", "predicted",
                "loss", "accuracy", "k_exact", "k_bound"]


def check_summary_table(t, orc, desc, eps_desc=""):
    """Compares every documented column of a summarize table with the oracle."""
    if not check(t.has(*SUMMARY_COLS), desc + ": columns " + " ".join(SUMMARY_COLS),
                 "header: %r" % (t.header,)):
        return
    labels = ["batch %d" % o["batch"] for o in orc]
    if not check(len(t.rows) == len(orc), desc + ": one row per record (%d)" % len(orc),
                 "got %d rows" % len(t.rows)):
        return
    check_equal(list(t.icol("batch")), [o["batch"] for o in orc], desc + ": batch, in file order")
    check_equal(list(t.icol("position")), [o["position"] for o in orc], desc + ": position")
    check_close(t.fcol("max_grad"), [o["max_grad"] for o in orc], RTOL,
                desc + ": max_grad = max_j sum_{t>=j} g[t,j]", labels=labels)
    got_ms = list(t.icol("max_step"))
    bad = []
    for i, o in enumerate(orc):
        if got_ms[i] != o["max_step"]:
            if got_ms[i] in o["near_steps"]:
                diag("%s: batch %d: max_step %d instead of %d, a near tie (bars %.9g, %.9g)" % (
                    desc, o["batch"], got_ms[i], o["max_step"], o["bar"][got_ms[i]],
                    o["bar"][o["max_step"]]))
            else:
                bad.append(i)
    check(not bad, desc + ": max_step = smallest argmax of bar",
          lambda: "\n".join("batch %d: got %d, expected %d (bars %s)" % (
              orc[i]["batch"], got_ms[i], orc[i]["max_step"],
              np.array2string(orc[i]["bar"], precision=4)) for i in bad[:6]))
    for col, fn in (("target", "target_at"), ("predicted", "predicted_at")):
        got = t.col(col)
        bad = []
        for i, o in enumerate(orc):
            j = got_ms[i] if got_ms[i] in o["near_steps"] else o["max_step"]
            if not same_escape(got[i], o[fn](j)):
                bad.append((i, o[fn](j)))
        check(not bad, desc + ": %s byte at max_step, escaped" % col,
              lambda: "\n".join("batch %d: got %r, expected %r" % (orc[i]["batch"], got[i], w)
                                for i, w in bad[:6]))
    check_close(t.fcol("loss"), [o["loss"] for o in orc], RTOL, desc + ": loss = mean of /record/loss",
                labels=labels)
    check_close(t.fcol("accuracy"), [o["accuracy"] for o in orc], RTOL,
                desc + ": accuracy = fraction predicted == target", labels=labels)
    check_in_range(t.col("k_exact"), [o["k_exact_lo"] for o in orc], [o["k_exact_hi"] for o in orc],
                   [o["k_exact"] for o in orc], desc + ": k_exact" + eps_desc, labels)
    check_in_range(t.col("k_bound"), [o["k_bound_lo"] for o in orc], [o["k_bound_hi"] for o in orc],
                   [o["k_bound"] for o in orc], desc + ": k_bound" + eps_desc, labels)


def check_csv_json(args, tsv_table, desc):
    """--format csv parses to the TSV fields; --format json has the same values."""
    r = rnnbow(args + ["--format", "csv"])
    if check(r.rc == 0, desc + " --format csv: exit 0", r.why):
        rows = list(csv.reader(io.StringIO(r.text(), newline="")))
        want = [tsv_table.header] + tsv_table.rows
        check(rows == want, desc + " --format csv: the csv module reads the same fields as the TSV",
              lambda: "first difference: %s" % next(
                  ("row %d: csv %r, tsv %r" % (i, a, b) for i, (a, b) in enumerate(zip(rows, want))
                   if a != b), "row counts %d vs %d" % (len(rows), len(want))))
    r = rnnbow(args + ["--format", "json"])
    if not check(r.rc == 0, desc + " --format json: exit 0", r.why):
        return
    lines = [ln for ln in r.text().split("\n") if ln != ""]
    objs, err = [], "not all lines are objects"
    try:
        objs = [json.loads(ln) for ln in lines]
        parsed = all(isinstance(o, dict) for o in objs)
    except ValueError as e:
        parsed, err = False, "%s\nfirst lines: %r" % (e, lines[:3])
    if not check(parsed, desc + " --format json: one JSON object per line", err):
        return
    if not check(len(objs) == len(tsv_table.rows), desc + " --format json: one object per TSV row",
                 "json %d, tsv %d" % (len(objs), len(tsv_table.rows))):
        return
    bad = []
    for i, (o, row) in enumerate(zip(objs, tsv_table.rows)):
        if set(o.keys()) != set(tsv_table.header):
            bad.append("row %d: keys %s, columns %s" % (i, sorted(o), sorted(tsv_table.header)))
            continue
        for c, s in zip(tsv_table.header, row):
            v = o[c]
            if v is None:
                ok = s.lower() in ("nan", "-nan", "inf", "-inf")
            elif isinstance(v, bool):
                ok = False
            elif isinstance(v, (int, float)):
                try:
                    ok = float(s) == float(v)
                except ValueError:
                    ok = False
            else:
                ok = v == s
            if not ok:
                bad.append("row %d column %s: json %r, tsv %r" % (i, c, v, s))
    check(not bad, desc + " --format json: same values as the TSV (escaped text, null for nan/inf)",
          lambda: "\n".join(bad[:8]))


def test_summarize(a):
    run = load_run(os.path.join(TMP, "a.h5"))
    orc = oracle_records(run)
    diag("a.h5: %d records, n = %d, vocab %d bytes" % (run["R"], run["n"], len(run["vocab"])))
    res = rnnbow(["summarize", "a.h5"])
    t = table_of(res, "summarize a.h5")
    if t is None:
        return None
    check(res.out.isascii(), "summarize a.h5: output is ASCII (bytes escaped)")
    check("run" not in t.header, "summarize a.h5: no run column for one file", "header %r" % (t.header,))
    check_summary_table(t, orc, "summarize a.h5")
    esc = sorted(set(t.col("target")) | set(t.col("predicted")))
    diag("byte texts printed: %s" % " ".join(repr(e) for e in esc))

    # check of the checks: a 1% error in the oracle must be reported
    if len(orc):
        ok, msg = compare(t.fcol("max_grad"), np.array([o["max_grad"] for o in orc]) * 1.01, RTOL)
        check(not ok, "the max_grad comparison reports an oracle perturbed by 1%",
              "compare() accepted max_grad x 1.01")
        if not ok:
            diag("as it should, the comparison says: " + msg.splitlines()[0])

    # --eps and --loss-share
    for args, eps, share in ((["--eps", "0.02"], 0.02, 1.0), (["--loss-share", "0.5"], 0.1, 0.5),
                             (["--eps", "0.3", "--loss-share", "0.8"], 0.3, 0.8)):
        o2 = oracle_records(run, eps, share)
        changed = sum(1 for x, y in zip(orc, o2) if (x["k_exact"], x["k_bound"]) != (y["k_exact"], y["k_bound"]))
        diag("%s changes k in %d of %d records (oracle)" % (" ".join(args), changed, len(orc)))
        t2 = table_of(rnnbow(["summarize"] + args + ["a.h5"]), "summarize %s a.h5" % " ".join(args))
        if t2 is not None and t2.has(*SUMMARY_COLS) and len(t2.rows) == len(o2):
            labels = ["batch %d" % o["batch"] for o in o2]
            check_in_range(t2.col("k_exact"), [o["k_exact_lo"] for o in o2], [o["k_exact_hi"] for o in o2],
                           [o["k_exact"] for o in o2], "summarize %s: k_exact" % " ".join(args), labels)
            check_in_range(t2.col("k_bound"), [o["k_bound_lo"] for o in o2], [o["k_bound_hi"] for o in o2],
                           [o["k_bound"] for o in o2], "summarize %s: k_bound" % " ".join(args), labels)
        elif t2 is not None:
            check(False, "summarize %s: %d rows with the documented columns" % (" ".join(args), len(o2)),
                  "header %r, %d rows" % (t2.header, len(t2.rows)))
    check(any(x["k_exact"] != y["k_exact"] for x, y in zip(orc, oracle_records(run, 0.02, 1.0))) and
          any(x["k_bound"] != y["k_bound"] for x, y in zip(orc, oracle_records(run, 0.1, 0.5))),
          "oracle: --eps 0.02 changes some k_exact and --loss-share 0.5 some k_bound on a.h5")

    # --top 3
    t3 = table_of(rnnbow(["summarize", "--top", "3", "a.h5"]), "summarize --top 3")
    if t3 is not None and t3.has("batch", "max_grad"):
        want = sorted(orc, key=lambda o: -o["max_grad"])[:3]
        check_equal(list(t3.icol("batch")), [o["batch"] for o in want],
                    "summarize --top 3: the batches of the 3 largest max_grad, descending")
        check_close(t3.fcol("max_grad"), [o["max_grad"] for o in want], RTOL,
                    "summarize --top 3: their max_grad")

    # --from / --to
    for args, lo, hi in ((["--from", "100", "--to", "200"], 100, 200), (["--from", "305"], 305, None),
                         (["--to", "45"], None, 45), (["--from", "100000"], 100000, None)):
        keep = [o for o in orc if (lo is None or o["batch"] >= lo) and (hi is None or o["batch"] <= hi)]
        d = "summarize %s" % " ".join(args)
        tw = table_of(rnnbow(["summarize"] + args + ["a.h5"]), d)
        if tw is not None and tw.has(*SUMMARY_COLS):
            check_equal(list(tw.icol("batch")), [o["batch"] for o in keep],
                        d + ": keeps the records with batch in the window (%d)" % len(keep))
            if len(tw.rows) == len(keep) and keep:
                check_close(tw.fcol("max_grad"), [o["max_grad"] for o in keep], RTOL, d + ": their max_grad")

    check_csv_json(["summarize", "a.h5"], t, "summarize a.h5")

    # --train
    tt = table_of(rnnbow(["summarize", "--train", "a.h5"]), "summarize --train a.h5")
    if tt is not None and check(tt.has("batch", "loss", "grad_norm"), "summarize --train: columns batch loss grad_norm",
                                "header %r" % (tt.header,)):
        tr = run["train"]
        check_equal(list(tt.icol("batch")), [int(v) for v in tr["batch"]], "summarize --train: batch = /train/batch")
        for c in ("loss", "grad_norm"):
            got = np.array([np.float32(float(v)) for v in tt.col(c)]) if len(tt.rows) else np.zeros(0)
            if len(got) == len(tr[c]):
                check(np.array_equal(got, tr[c]), "summarize --train: %s = /train/%s (float32 round trip)" % (c, c),
                      lambda: compare(got, tr[c], 0)[1])
            else:
                check(False, "summarize --train: %s has %d rows" % (c, len(tr[c])), "got %d" % len(got))
    return t


# ---------------------------------------------------- checks: horizon, a.h5

DECAY_COLS = ["lag", "count", "median", "p10", "p90", "mean", "decay_factor", "half_life", "fit_from", "fit_to"]


def check_decay_table(t, dec, desc, floor=1e-3):
    if not check(t.has(*DECAY_COLS), desc + ": columns " + " ".join(DECAY_COLS), "header %r" % (t.header,)):
        return
    n = len(dec["lags"])
    if not any(l["count"] for l in dec["lags"]):
        check(len(t.rows) == 0 or all(int(c) == 0 for c in t.col("count")),
              desc + ": no values, no rows (or zero counts)", "%d rows" % len(t.rows))
        return
    if not check_equal(list(t.icol("lag")), list(range(n)), desc + ": one row per lag 0..n-1"):
        return
    check_equal(list(t.icol("count")), [l["count"] for l in dec["lags"]],
                desc + ": count = #(record, t>=d) with g[t,t] > 0")
    has = [l["count"] > 0 for l in dec["lags"]]
    sel = [i for i in range(n) if has[i]]
    check_close(t.fcol("mean")[sel], [dec["lags"][i]["mean"] for i in sel], RTOL, desc + ": mean (exact)")
    for q in ("median", "p10", "p90"):
        check_close(t.fcol(q)[sel], [dec["lags"][i][q] for i in sel], Q_RTOL,
                    desc + ": %s within 2^-9 of numpy (0 exactly)" % q, labels="lags %s" % sel)
    # the fit
    fit_from = t.icol("fit_from")
    fit_to = t.icol("fit_to")
    df = t.fcol("decay_factor")
    hl = t.fcol("half_life")
    same = (len(set(fit_from)) == 1 and len(set(fit_to)) == 1 and
            len(set(map(repr, df))) == 1 and len(set(map(repr, hl))) == 1)
    if not check(same, desc + ": the fit columns are the same on every row",
                 "fit_from %s fit_to %s decay %s half %s" % (set(fit_from), set(fit_to), set(df), set(hl))):
        return
    fit_from, fit_to, df, hl = int(fit_from[0]), int(fit_to[0]), df[0], hl[0]
    check(fit_from == 0, desc + ": fit_from = 0", "got %d" % fit_from)
    printed = list(t.fcol("median"))
    counts = list(t.icol("count"))
    printed_m = [m if c > 0 else math.nan for m, c in zip(printed, counts)]
    check(fit_to == fit_to_of(printed_m, floor), desc + ": fit_to follows the floor rule on the printed medians",
          "fit_to %d, floor rule on printed medians gives %d" % (fit_to, fit_to_of(printed_m, floor)))
    own = dec["fit_to"]
    ok = fit_to == own
    if not ok and abs(fit_to - own) == 1:
        b = min(fit_to, own) + 1   # the lag whose median decides
        m = dec["medians"][b] if b < n else math.nan
        ok = not math.isnan(m) and abs(m - floor) <= 0.005 * floor
        if ok:
            diag("%s: fit_to %d vs %d: the median at lag %d (%.6g) is within 0.5%% of the floor" % (
                desc, fit_to, own, b, m))
    check(ok, desc + ": fit_to = %d (last lag before the median falls to %g)" % (own, floor),
          lambda: "got %d; medians %s" % (fit_to, ["%.4g" % m for m in dec["medians"]]))
    want_df, want_hl = fit_of(printed_m, fit_to)
    check_close([df, hl], [want_df, want_hl], FIT_RTOL,
                desc + ": decay_factor and half_life = least squares of ln(median) on lags 0..fit_to")
    own_df, own_hl = fit_of(dec["medians"], own)
    diag("%s: fit_to %d, decay_factor %.6g, half_life %.6g (our medians: fit_to %d, %.6g, %.6g)" % (
        desc, fit_to, df, hl, own, own_df, own_hl))


def test_horizon(a):
    run = load_run(os.path.join(TMP, "a.h5"))
    n = run["n"]
    dec = oracle_decay(run)
    diag("a.h5 medians by lag: %s" % " ".join("%.4g" % m for m in dec["medians"]))
    td = table_of(rnnbow(["horizon", "a.h5"]), "horizon a.h5")
    if td is not None:
        check_decay_table(td, dec, "horizon a.h5")
    floor = 0.02
    dec2 = oracle_decay(run, floor=floor)
    diag("--floor %g: fit_to %d (default floor: %d)" % (floor, dec2["fit_to"], dec["fit_to"]))
    t = table_of(rnnbow(["horizon", "--floor", str(floor), "a.h5"]), "horizon --floor %g" % floor)
    if t is not None:
        check_decay_table(t, dec2, "horizon --floor %g" % floor, floor)
    dec3 = oracle_decay(run, keep=lambda b: 100 <= b <= 200)
    t = table_of(rnnbow(["horizon", "--from", "100", "--to", "200", "a.h5"]), "horizon --from 100 --to 200")
    if t is not None:
        check_decay_table(t, dec3, "horizon --from 100 --to 200")

    # --per-batch
    for eps, extra in ((0.1, []), (0.02, ["--eps", "0.02"])):
        orc = oracle_records(run, eps)
        d = "horizon --per-batch %sa.h5" % ("".join(x + " " for x in extra))
        tp = table_of(rnnbow(["horizon", "--per-batch"] + extra + ["a.h5"]), d)
        if tp is None:
            continue
        ecols = ["E%d" % k for k in (0, 1, 2, 4, 8) if k < n]
        if not check(tp.has("batch", "k_exact", "k_bound", *ecols),
                     d + ": columns batch k_exact k_bound " + " ".join(ecols), "header %r" % (tp.header,)):
            continue
        labels = ["batch %d" % o["batch"] for o in orc]
        check_equal(list(tp.icol("batch")), [o["batch"] for o in orc], d + ": one row per record, in order")
        if len(tp.rows) != len(orc):
            continue
        check_in_range(tp.col("k_exact"), [o["k_exact_lo"] for o in orc], [o["k_exact_hi"] for o in orc],
                       [o["k_exact"] for o in orc], d + ": k_exact", labels)
        check_in_range(tp.col("k_bound"), [o["k_bound_lo"] for o in orc], [o["k_bound_hi"] for o in orc],
                       [o["k_bound"] for o in orc], d + ": k_bound", labels)
        for c in ecols:
            k = int(c[1:])
            got = np.array([np.float32(float(v)) for v in tp.col(c)])
            want = np.array([o["E"][k] for o in orc], dtype=np.float32)
            check(np.array_equal(got, want), d + ": %s = E[%d] (float32 round trip)" % (c, k),
                  lambda: compare(got, want, 0)[1])
        if eps == 0.1:
            check_csv_json(["horizon", "--per-batch", "a.h5"], tp, "horizon --per-batch")

    tw = table_of(rnnbow(["horizon", "--per-batch", "--from", "100", "--to", "200", "a.h5"]),
                  "horizon --per-batch --from 100 --to 200")
    if tw is not None and tw.has("batch"):
        check_equal(list(tw.icol("batch")), [b for b in (int(v) for v in run["rec"]["batch"]) if 100 <= b <= 200],
                    "horizon --per-batch --from 100 --to 200: the records with batch in [100, 200]")

    # --overall
    for share, extra in ((0.95, []), (0.5, ["--share", "0.5"]), (0.95, ["--eps", "0.02"])):
        eps = 0.02 if "--eps" in extra else 0.1
        orc = oracle_records(run, eps)
        d = "horizon --overall %sa.h5" % ("".join(x + " " for x in extra))
        to = table_of(rnnbow(["horizon", "--overall"] + extra + ["a.h5"]), d)
        cols = ["records", "share", "eps", "k_exact", "count_exact", "k_bound", "count_bound"]
        if to is None or not check(to.has(*cols), d + ": columns " + " ".join(cols), "header %r" % (to.header,)):
            continue
        if not check(len(to.rows) == 1, d + ": one row", "%d rows" % len(to.rows)):
            continue
        row = {c: to.col(c)[0] for c in cols}
        want = {"records": len(orc), "share": share, "eps": eps}
        for kind in ("exact", "bound"):
            nom = smallest_k_for_share([o["k_" + kind] for o in orc], share)
            lo = smallest_k_for_share([o["k_%s_lo" % kind] for o in orc], share)
            hi = smallest_k_for_share([o["k_%s_hi" % kind] for o in orc], share)
            got_k, got_c = int(row["k_" + kind]), int(row["count_" + kind])
            if lo == hi:
                ok = (got_k, got_c) == nom
            else:
                ok = lo[0] <= got_k <= hi[0]
                diag("%s: per-record k_%s near a threshold; accepted k in [%d, %d]" % (d, kind, lo[0], hi[0]))
            check(ok, d + ": k_%s = %d, count_%s = %d (ceil(%g * %d) records)" % (
                kind, nom[0], kind, nom[1], share, len(orc)),
                "got k_%s %d, count_%s %d" % (kind, got_k, kind, got_c))
        check(int(row["records"]) == want["records"] and abs(float(row["share"]) - share) < 1e-12 and
              abs(float(row["eps"]) - eps) < 1e-12, d + ": records, share, eps",
              "got %r, expected %r" % (row, want))

    # --batch B --step t
    rec = run["rec"]
    batches = [int(b) for b in rec["batch"]]
    for B, step in ((batches[len(batches) // 2], 9), (batches[0], 0), (batches[-1], n - 1), (batches[3], 5)):
        r = batches.index(B)
        d = "horizon --batch %d --step %d" % (B, step)
        tb = table_of(rnnbow(["horizon", "--batch", str(B), "--step", str(step), "a.h5"]), d)
        if tb is None:
            continue
        check_step_table(tb, rec["itemized"][r], step, d)
    for args, what in ((["--batch", "5", "--step", "3"], "a batch that was not recorded (5)"),
                       (["--batch", "100000", "--step", "3"], "a batch past the run (100000)"),
                       (["--batch", str(batches[1]), "--step", str(n)], "t = n (%d)" % n),
                       (["--batch", str(batches[1]), "--step", "-1"], "t = -1")):
        r = rnnbow(["horizon"] + args + ["a.h5"])
        # a negative t is refused by the option parser: a usage error, one
        # line too (no usage text after it)
        expect_error(r, "horizon", "horizon %s: error for %s" % (" ".join(args), what))


def check_step_table(tb, g, step, d):
    cols = ["lag", "j", "g", "share", "cumulative"]
    if not check(tb.has(*cols), d + ": columns " + " ".join(cols), "header %r" % (tb.header,)):
        return
    if not check_equal(list(tb.icol("lag")), list(range(step + 1)), d + ": rows lag = 0..t"):
        return
    check_equal(list(tb.icol("j")), [step - k for k in range(step + 1)], d + ": j = t - lag")
    gv = np.array([g[step, step - k] for k in range(step + 1)], dtype=np.float32)
    got = np.array([np.float32(float(v)) for v in tb.col("g")])
    check(np.array_equal(got, gv), d + ": g = g[t, t-lag] (float32 round trip)", lambda: compare(got, gv, 0)[1])
    total = gv.astype(np.float64).sum()
    share = gv.astype(np.float64) / total if total > 0 else np.zeros(step + 1)
    check_close(tb.fcol("share"), share, RTOL, d + ": share = g / total_t", atol=1e-12)
    check_close(tb.fcol("cumulative"), np.cumsum(share), RTOL, d + ": cumulative = running sum of share",
                atol=1e-12)


def expect_error(r, cmd, desc, code=None, one_line=True, contains=None, allow_stdout=False):
    err = r.errtext()
    lines = err.rstrip("\n").split("\n") if err.strip() else []
    ok = (r.rc != 0 and r.rc != "timeout" and (code is None or r.rc == code) and (allow_stdout or r.out == b"") and
          len(lines) >= 1 and lines[0].startswith("rnnbow %s:" % cmd) and
          (not one_line or len(lines) == 1) and
          (contains is None or contains in err))
    want = "exit %s" % (code if code is not None else "non-zero")
    return check(ok, "%s: %s, %s stderr line 'rnnbow %s: ...'%s" % (
        desc, want, "one" if one_line else "first", cmd,
        (" naming '%s'" % contains) if contains else ""),
        lambda: "exit %s, stdout %d bytes, stderr %r" % (r.rc, len(r.out), err[:600]))


# ------------------------------------------------------- handmade run files

def handmade_a():
    """n = 6, four records with known answers; vocab with bytes that need
    escaping. Returns (records, vocab, expected)."""
    n = 6
    vocab = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x2C, 0x41, 0x5C, 0x61, 0x7F, 0xC3, 0xFF]
    ix = {b: i for i, b in enumerate(vocab)}
    rs = np.random.RandomState(11)

    def base(tgt_byte, prd_byte, at, batch, g, E):
        tgt = rs.randint(0, len(vocab), n)
        prd = tgt.copy()
        tgt[at] = ix[tgt_byte]
        prd[at] = ix[prd_byte]
        return {"batch": batch, "position": batch * n, "input": rs.randint(0, len(vocab), n),
                "target": tgt, "predicted": prd, "loss": rs.uniform(0.5, 3.0, n).astype(np.float32),
                "itemized": np.asarray(g, dtype=np.float32), "truncation_error": np.asarray(E, dtype=np.float32),
                "h0": rs.normal(size=4)}

    # rec0: g[t,t] = 1, g[t,t-1] = 0.5: bars 1.5 x5 then 1 -> max 1.5 at step 0 (a tie:
    # the smallest j); k_t = 1 for t >= 1 -> k_bound 1; E crafted: k_exact 3 at 0.1, 4 at 0.05
    g0 = np.eye(n) + 0.5 * np.eye(n, k=-1)
    r0 = base(0x0A, 0x09, 0, 0, g0, [0.9, 0.5, 0.2, 0.09, 0.01, 0.0])
    # rec1: flat ones below the diagonal plus 10 on g[3,3]: bar[3] = 13 the max
    g1 = np.tril(np.ones((n, n)))
    g1[3, 3] += 10
    r1 = base(0x5C, 0xFF, 3, 3, g1, [0.04, 0.0, 0.0, 0.0, 0.0, 0.0])
    # rec2: diagonal, g[2,2] = 0 (row 2 all zero: total 0 -> k_2 = 0), g[4,2] = 0.7,
    # g[5,5] = 3 (max at step 5); E all 0 -> k_exact 0
    g2 = np.eye(n)
    g2[2, 2] = 0
    g2[4, 2] = 0.7
    g2[5, 5] = 3
    r2 = base(0x22, 0x2C, 5, 7, g2, np.zeros(n))
    # rec3: random lower triangle, max at step 1 forced; E = 1 until the end -> k_exact 5
    g3 = np.tril(rs.uniform(0.01, 0.2, (n, n)))
    g3[1, 1] = 5
    r3 = base(0x20, 0x00, 1, 20, g3, [1, 1, 1, 1, 1, 0])
    r3["predicted"][1] = ix[0x00]
    records = [r0, r1, r2, r3]
    # a fifth record: \r and 0x7f at max step 2 (bar 4 + 0.3); row 4: tail 0.3 of 1.3 -> k_4 = 2
    g4 = np.eye(n)
    g4[2, 2] = 4
    g4[4, 2] = 0.3
    r4 = base(0x0D, 0x7F, 2, 21, g4, [0.3, 0.2, 0.08, 0.04, 0.0, 0.0])
    r4["predicted"][0] = ix[0xC3]     # no effect on the printed bytes, only on accuracy
    records.append(r4)
    expected = {
        "batch": [0, 3, 7, 20, 21],
        "max_grad": [1.5, 13.0, 3.0, float(np.tril(g3).astype(np.float32).astype(np.float64).sum(axis=0).max()), 4.3],
        "max_step": [0, 3, 5, 1, 2],
        "target": ["\\n", "\\\\", "\"", " ", "\\r"],
        "predicted": ["\\t", "\\xff", ",", "\\x00", "\\x7f"],
        "k_exact_0.1": [3, 0, 0, 5, 2],
        "k_exact_0.05": [4, 0, 0, 5, 3],
        "k_bound_0.1": [1, 5, 2, None, 2],      # rec3 from the oracle only
    }
    return records, vocab, expected, n


def test_deep_decay():
    """A tanh RNN stuck on a lag-3 copy corpus (init scale 1: saturated)
    whose gradient falls through every float: ratios below 2^-64, subnormal
    g, exact zeros. The quantiles must still match numpy (issue 10, 4)."""
    with open(os.path.join(TMP, "copy3.txt"), "wb") as f:
        f.write(copy3_corpus(6000, 7))
    r = rnnbow(["record", "copy3.txt", "-o", "deep.h5", "--quiet", "--hidden", "8", "--seq-len", "48",
                "--batches", "200", "--record-every", "10", "--seed", "4", "--init-scale", "1"])
    if not check(r.rc == 0, "rnnbow record deep.h5 (setup)", r.why):
        return
    run = load_run(os.path.join(TMP, "deep.h5"))
    dec = oracle_decay(run)
    g = run["rec"]["itemized"]
    p10 = [l["p10"] for l in dec["lags"]]
    diag("deep.h5 p10 by lag: %s" % " ".join("%.3g" % v for v in p10))
    below = [d for d, v in enumerate(p10) if 0 < v < 1e-20]
    check(len(below) >= 5 and (g[(g > 0) & (g < 1.1754944e-38)]).size > 0 and
          any(l["count"] and l["median"] == 0 for l in dec["lags"]),
          "deep.h5 (setup): p10 below 1e-20 at %d lags, subnormal g, a median of exact zeros" % len(below),
          "p10 by lag %s" % p10)
    t = table_of(rnnbow(["horizon", "deep.h5"]), "horizon deep.h5")
    if t is not None:
        check_decay_table(t, dec, "horizon deep.h5")


def test_handmade():
    records, vocab, exp, n = handmade_a()
    path = os.path.join(TMP, "hand.h5")
    write_run(path, vocab, records, n)
    run = load_run(path)
    check(run["R"] == 5 and run["n"] == n, "handmade hand.h5 reads back with h5py (5 records, n = 6)")
    r = rnnbow(["info", "hand.h5"])
    check(r.rc == 0, "rnnbow info accepts the handmade hand.h5 (it follows FORMAT.md)", r.why)

    # the oracle agrees with the known answers
    orc = oracle_records(run)
    check([o["max_step"] for o in orc] == exp["max_step"], "oracle: handmade max_step = 0 3 5 1 2",
          "got %s" % [o["max_step"] for o in orc])
    ok, msg = compare([o["max_grad"] for o in orc], exp["max_grad"], 1e-6)
    check(ok or BREAK_ORACLE, "oracle: handmade max_grad = 1.5 13 3 . 4.3", msg)
    check([o["target"] for o in orc] == exp["target"] and [o["predicted"] for o in orc] == exp["predicted"],
          "oracle: handmade escaped bytes", "got %s %s" % ([o["target"] for o in orc], [o["predicted"] for o in orc]))
    check([o["k_exact"] for o in orc] == exp["k_exact_0.1"], "oracle: handmade k_exact at eps 0.1 = 3 0 0 5 2",
          "got %s" % [o["k_exact"] for o in orc])
    o05 = oracle_records(run, 0.05)
    check([o["k_exact"] for o in o05] == exp["k_exact_0.05"], "oracle: handmade k_exact at eps 0.05 = 4 0 0 5 3",
          "got %s" % [o["k_exact"] for o in o05])
    kb = [o["k_bound"] for o in orc]
    check([kb[i] for i in (0, 1, 2, 4)] == [1, 5, 2, 2], "oracle: handmade k_bound at eps 0.1 = 1 5 2 . 2",
          "got %s" % kb)
    check(k_ts_of(np.tril(np.ones((n, n))), 0.5) == [0, 0, 1, 1, 2, 2],
          "oracle: flat g at eps 0.5 sits on '<=' (k_t = 0 0 1 1 2 2)", "got %s" % k_ts_of(np.tril(np.ones((n, n))), 0.5))

    t = table_of(rnnbow(["summarize", "hand.h5"]), "summarize hand.h5")
    if t is not None:
        check_summary_table(t, orc, "summarize hand.h5")
        if t.has(*SUMMARY_COLS) and len(t.rows) == 5:
            check_equal(list(t.icol("max_step")), exp["max_step"], "summarize hand.h5: max_step 0 3 5 1 2 (rec0: tie -> 0)")
            check_close(t.fcol("max_grad"), exp["max_grad"], RTOL, "summarize hand.h5: max_grad 1.5 13 3 . 4.3")
            check(all(same_escape(a, b) for a, b in zip(t.col("target"), exp["target"])),
                  "summarize hand.h5: target \\n \\\\ \" space \\r", "got %r" % t.col("target"))
            check(all(same_escape(a, b) for a, b in zip(t.col("predicted"), exp["predicted"])),
                  "summarize hand.h5: predicted \\t \\xff , \\x00 \\x7f", "got %r" % t.col("predicted"))
            check_equal(list(t.icol("k_exact")), exp["k_exact_0.1"], "summarize hand.h5: k_exact 3 0 0 5 2")
            check_equal([int(t.col("k_bound")[i]) for i in (0, 1, 2, 4)], [1, 5, 2, 2],
                        "summarize hand.h5: k_bound 1 5 2 . 2 (a zero row counts as k_t = 0)")
        check_csv_json(["summarize", "hand.h5"], t, "summarize hand.h5")
    t = table_of(rnnbow(["summarize", "--eps", "0.05", "hand.h5"]), "summarize --eps 0.05 hand.h5")
    if t is not None and t.has("k_exact"):
        check_equal(list(t.icol("k_exact")), exp["k_exact_0.05"], "summarize --eps 0.05 hand.h5: k_exact 4 0 0 5 3")
    t = table_of(rnnbow(["summarize", "--eps", "0.5", "hand.h5"]), "summarize --eps 0.5 hand.h5")
    if t is not None and t.has("k_bound") and len(t.rows) == 5:
        want = [o["k_bound"] for o in oracle_records(run, 0.5)]
        check(int(t.col("k_bound")[1]) == 2 and list(t.icol("k_bound")) == want,
              "summarize --eps 0.5 hand.h5: k_bound %s (flat record: tail == eps * total counts, k 2)" % want,
              "got %s" % t.col("k_bound"))
    t = table_of(rnnbow(["summarize", "--loss-share", "0.5", "hand.h5"]), "summarize --loss-share 0.5 hand.h5")
    if t is not None and t.has("k_bound") and len(t.rows) == 5:
        want = [o["k_bound"] for o in oracle_records(run, 0.1, 0.5)]
        check(list(t.icol("k_bound")) == want and want[0] == 1 and want[2] == 0,
              "summarize --loss-share 0.5 hand.h5: k_bound %s" % want, "got %s" % t.col("k_bound"))

    # decay, per-batch, --batch --step on the handmade file
    dec = oracle_decay(run)
    t = table_of(rnnbow(["horizon", "hand.h5"]), "horizon hand.h5")
    if t is not None:
        check_decay_table(t, dec, "horizon hand.h5")
        if t.has("count") and len(t.rows) == n:
            # g[t,t] > 0: rec2 has g[2,2] = 0, so 5*6 - 1 = 29 at lag 0
            check(int(t.col("count")[0]) == 29, "horizon hand.h5: count at lag 0 = 29 (g[2,2] = 0 left out)",
                  "got %s" % t.col("count")[0])
    tp = table_of(rnnbow(["horizon", "--per-batch", "hand.h5"]), "horizon --per-batch hand.h5")
    if tp is not None:
        check(tp.has("E0", "E1", "E2", "E4", "E8") and all(v == "nan" for v in tp.col("E8")),
              "horizon --per-batch hand.h5 (n = 6): E0..E8 columns, E8 nan (k >= n)",
              "header %r" % (tp.header,))
        if tp.has("k_exact", "k_bound") and len(tp.rows) == 5:
            check_equal(list(tp.icol("k_exact")), exp["k_exact_0.1"], "horizon --per-batch hand.h5: k_exact 3 0 0 5 2")
            check_equal(list(tp.icol("k_bound")), kb, "horizon --per-batch hand.h5: k_bound %s" % kb)
        if tp.has("E4") and len(tp.rows) == 5:
            check_equal([np.float32(float(v)) for v in tp.col("E4")],
                        [np.float32(r["truncation_error"][4]) for r in records],
                        "horizon --per-batch hand.h5: E4 (float32 round trip)")
    tb = table_of(rnnbow(["horizon", "--batch", "7", "--step", "2", "hand.h5"]), "horizon --batch 7 --step 2 hand.h5")
    if tb is not None:
        check_step_table(tb, records[2]["itemized"], 2, "horizon --batch 7 --step 2 hand.h5 (total_t = 0)")
        if tb.has("share", "cumulative"):
            check(all(float(v) == 0 for v in tb.col("share") + tb.col("cumulative")),
                  "horizon --batch 7 --step 2 hand.h5: all shares 0 when total_t = 0",
                  "share %s cumulative %s" % (tb.col("share"), tb.col("cumulative")))
    tb = table_of(rnnbow(["horizon", "--batch", "7", "--step", "4", "hand.h5"]), "horizon --batch 7 --step 4 hand.h5")
    if tb is not None and tb.has("share", "cumulative") and len(tb.rows) == 5:
        want = [1 / 1.7, 0, 0.7 / 1.7, 0, 0]
        check_close(tb.fcol("share"), want, RTOL, "horizon --batch 7 --step 4 hand.h5: shares 1/1.7 0 0.7/1.7 0 0",
                    atol=1e-12)
        check_close(tb.fcol("cumulative"), np.cumsum(want), RTOL,
                    "horizon --batch 7 --step 4 hand.h5: cumulative ends at 1", atol=1e-12)
    to = table_of(rnnbow(["horizon", "--overall", "hand.h5"]), "horizon --overall hand.h5")
    if to is not None and to.has("k_exact", "count_exact", "k_bound", "count_bound") and len(to.rows) == 1:
        # k_exact 3 0 0 5 2: ceil(0.95*5) = 5 records -> k 5, all 5
        check((int(to.col("k_exact")[0]), int(to.col("count_exact")[0])) == (5, 5),
              "horizon --overall hand.h5: k_exact 5 for 5 of 5 records", "got %s" % to.rows)
    to = table_of(rnnbow(["horizon", "--overall", "--share", "0.5", "hand.h5"]), "horizon --overall --share 0.5 hand.h5")
    if to is not None and to.has("k_exact", "count_exact") and len(to.rows) == 1:
        # ceil(2.5) = 3 records: sorted 0 0 2 3 5 -> k 2, count 3
        check((int(to.col("k_exact")[0]), int(to.col("count_exact")[0])) == (2, 3),
              "horizon --overall --share 0.5 hand.h5: k_exact 2, count 3 (ceil(2.5) = 3 of 0 0 2 3 5)",
              "got %s" % to.rows)

    # (b) g diagonal only
    rs = np.random.RandomState(5)
    recs = []
    for i in range(3):
        g = np.diag(rs.uniform(0.1, 2.0, n))
        recs.append({"batch": 10 * i, "position": 0, "input": np.zeros(n), "target": np.arange(n) % len(vocab),
                     "predicted": np.zeros(n), "loss": np.ones(n), "itemized": g,
                     "truncation_error": np.zeros(n)})
    write_run(os.path.join(TMP, "diag.h5"), vocab, recs, n)
    t = table_of(rnnbow(["summarize", "diag.h5"]), "summarize diag.h5 (g diagonal only)")
    if t is not None and t.has("k_bound"):
        check(t.col("k_bound") == ["0", "0", "0"], "summarize diag.h5: k_bound 0 for every record",
              "got %s" % t.col("k_bound"))
    t = table_of(rnnbow(["horizon", "diag.h5"]), "horizon diag.h5")
    if t is not None and t.has(*DECAY_COLS) and check(len(t.rows) == n, "horizon diag.h5: %d lags" % n,
                                                      "%d rows" % len(t.rows)):
        check(t.icol("count").tolist() == [3 * (n - d) for d in range(n)],
              "horizon diag.h5: count = 3 * (n - d) (ratio 0 values count)", "got %s" % t.col("count"))
        z = [float(v) for c in ("median", "p10", "p90", "mean") for v in t.col(c)[1:]]
        check(all(v == 0 for v in z), "horizon diag.h5: median p10 p90 mean = 0 at lags >= 1",
              "got %s" % z[:12])
        check(t.fcol("median")[0] == 1 and t.fcol("mean")[0] == 1, "horizon diag.h5: median and mean 1 at lag 0",
              "got %s %s" % (t.col("median")[0], t.col("mean")[0]))
        check(t.col("fit_to")[0] == "0" and all(math.isnan(float(v)) for v in t.col("decay_factor") + t.col("half_life")),
              "horizon diag.h5: fit_to 0, decay_factor and half_life nan (fewer than 2 lags)",
              "fit_to %s decay %s half %s" % (t.col("fit_to")[0], t.col("decay_factor")[0], t.col("half_life")[0]))
        check_decay_table(t, oracle_decay(load_run(os.path.join(TMP, "diag.h5"))), "horizon diag.h5")
    r = rnnbow(["horizon", "--format", "json", "diag.h5"])
    if check(r.rc == 0, "horizon --format json diag.h5: exit 0", r.why):
        try:
            o = json.loads(r.text().split("\n")[0])
            ok = o.get("decay_factor", 0) is None and o.get("half_life", 0) is None
        except ValueError as e:
            ok, o = False, str(e)
        check(ok, "horizon --format json diag.h5: nan printed as null", "first object %r" % (o,))

    # (c) no records
    write_run(os.path.join(TMP, "empty.h5"), vocab, [], n,
              train={"batch": np.arange(3), "loss": [2.0, 1.5, 1.25], "grad_norm": [1, 2, 3]})
    check(load_run(os.path.join(TMP, "empty.h5"))["R"] == 0, "handmade empty.h5 reads back with 0 records")
    for args, cols in ((["summarize"], SUMMARY_COLS), (["horizon"], DECAY_COLS[:6]),
                       (["horizon", "--per-batch"], ["batch", "k_exact", "k_bound"]),
                       (["summarize", "--from", "1000"], SUMMARY_COLS)):
        r = rnnbow(args + ["empty.h5"])
        h, rows = parse_tsv(r.text())
        check(r.rc == 0 and rows == [] and all(c in h for c in cols),
              "%s empty.h5 (no records): header only, exit 0" % " ".join(args),
              lambda: r.why())
    # --overall always gives a run its row (ANALYSIS.md): records 0, k nan
    r = rnnbow(["horizon", "--overall", "empty.h5"])
    h, rows = parse_tsv(r.text())
    check(r.rc == 0 and len(rows) == 1 and rows[0][h.index("records")] == "0" and
          rows[0][h.index("k_exact")] == "nan" and rows[0][h.index("count_exact")] == "0",
          "horizon --overall empty.h5: one row, records 0, k nan", lambda: r.why())
    for a in (["--from", "1000"],):
        r = rnnbow(["horizon"] + a + ["a.h5"])
        h, rows = parse_tsv(r.text())
        check(r.rc == 0 and rows == [] and all(c in h for c in DECAY_COLS[:6]),
              "horizon --from 1000 a.h5 (no records in the window): header only, exit 0", r.why)
    t = table_of(rnnbow(["summarize", "--train", "empty.h5"]), "summarize --train empty.h5")
    if t is not None and t.has("batch", "loss"):
        check(t.col("batch") == ["0", "1", "2"] and t.fcol("loss").tolist() == [2.0, 1.5, 1.25],
              "summarize --train empty.h5: the 3 training rows", "got %s" % t.rows)
    expect_error(rnnbow(["horizon", "--batch", "0", "--step", "0", "empty.h5"]), "horizon",
                 "horizon --batch 0 --step 0 empty.h5: error (no such record)")

    # uncommitted rows: some /record and /train datasets one row longer
    write_run(os.path.join(TMP, "partial.h5"), vocab, records, n,
              extra={"record/batch": [99], "record/loss": [np.ones(n)], "record/itemized": [np.eye(n) * 50]})
    with h5py.File(os.path.join(TMP, "partial.h5"), "a") as f:
        ds = f["train/loss"]
        ds.resize((ds.shape[0] + 2,))
    want = parse_tsv(rnnbow(["summarize", "hand.h5"]).text())
    r = rnnbow(["summarize", "partial.h5"])
    check(r.rc == 0 and parse_tsv(r.text()) == want,
          "summarize partial.h5: rows past the shortest /record dataset are ignored (same as hand.h5)",
          lambda: r.why())
    r2 = rnnbow(["summarize", "--train", "partial.h5"])
    r1 = rnnbow(["summarize", "--train", "hand.h5"])
    check(r2.rc == 0 and r2.out == r1.out,
          "summarize --train partial.h5: rows past the shortest /train dataset are ignored",
          lambda: r2.why())
    r = rnnbow(["horizon", "--per-batch", "partial.h5"])
    check(r.rc == 0 and r.out == rnnbow(["horizon", "--per-batch", "hand.h5"]).out,
          "horizon --per-batch partial.h5: uncommitted rows ignored", lambda: r.why())


# ------------------------------------------- several runs, stdin, live, bad

def test_multi():
    for args in (["summarize"], ["horizon", "--per-batch"], ["horizon"], ["horizon", "--overall"]):
        d = " ".join(args)
        ra, rb = rnnbow(args + ["a.h5"]), rnnbow(args + ["b.h5"])
        rm = rnnbow(args + ["a.h5", "b.h5"])
        tm = table_of(rm, d + " a.h5 b.h5")
        if tm is None or ra.rc != 0 or rb.rc != 0:
            continue
        ha, rowsa = parse_tsv(ra.text())
        hb, rowsb = parse_tsv(rb.text())
        check(tm.header == ["run"] + ha, d + " a.h5 b.h5: first column run, then the one-file columns",
              "header %r, one file %r" % (tm.header, ha))
        want = [["a.h5"] + r for r in rowsa] + [["b.h5"] + r for r in rowsb]
        check(tm.rows == want, d + " a.h5 b.h5: the rows of a.h5 then b.h5, run = the path as given",
              lambda: "first difference: %s" % next(
                  ("row %d: %r vs %r" % (i, x, y) for i, (x, y) in enumerate(zip(tm.rows, want)) if x != y),
                  "row counts %d vs %d" % (len(tm.rows), len(want))))
    # b.h5 then a.h5, and a path with a directory
    os.mkdir(os.path.join(TMP, "sub"))
    shutil.copy(os.path.join(TMP, "b.h5"), os.path.join(TMP, "sub", "b.h5"))
    r = rnnbow(["summarize", "sub/b.h5", "a.h5"])
    t = table_of(r, "summarize sub/b.h5 a.h5")
    if t is not None and t.has("run"):
        runs = t.col("run")
        nb = load_run(os.path.join(TMP, "b.h5"))["R"]
        na = load_run(os.path.join(TMP, "a.h5"))["R"]
        check(runs == ["sub/b.h5"] * nb + ["a.h5"] * na,
              "summarize sub/b.h5 a.h5: runs in the order given, path as given",
              "got %s" % sorted(set(runs)))


def test_stdin():
    for args in (["summarize"], ["horizon", "--per-batch"], ["horizon"]):
        d = " ".join(args)
        rf = rnnbow(args + ["a.h5"])
        rs = rnnbow(args + ["-"], stdin_path="a.h5")
        check(rs.rc == 0 and rf.rc == 0 and rs.out == rf.out and len(rf.out) > 0,
              "%s - < a.h5: same output as %s a.h5" % (d, d),
              lambda: rs.why() + "\n(file: %d bytes, stdin: %d bytes)" % (len(rf.out), len(rs.out)))


def test_live(corpus):
    cmd = [BIN, "record", corpus, "-o", "live.h5", "--quiet", "--hidden", "16", "--seq-len", "12",
           "--batches", "100000000", "--record-every", "1"]
    p = subprocess.Popen(cmd, cwd=TMP, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        path = os.path.join(TMP, "live.h5")
        for _ in range(50):
            if os.path.exists(path):
                break
            time.sleep(0.1)
        time.sleep(1.0)
        r1 = rnnbow(["summarize", "live.h5"], timeout=60)
        time.sleep(0.7)
        r2 = rnnbow(["summarize", "live.h5"], timeout=60)
        still = p.poll() is None
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    check(still, "live run: the recorder was still running while summarize read it",
          "recorder exit %s: %s" % (p.returncode, p.stderr.read().decode(errors="replace") if p.stderr else ""))
    t1 = table_of(r1, "summarize live.h5 (while recording)")
    t2 = table_of(r2, "summarize live.h5 (again, later)")
    if t1 is None or t2 is None or not t1.has("batch") or not t2.has("batch"):
        return
    b1, b2 = list(t1.icol("batch")), list(t2.icol("batch"))
    diag("live run: %d then %d rows" % (len(b1), len(b2)))
    check(len(b1) >= 1, "summarize live.h5: at least one record after ~1 s", "%d rows" % len(b1))
    check(len(b2) >= len(b1), "summarize live.h5: the second read has at least as many rows (%d >= %d)" % (
        len(b2), len(b1)))
    check(b1 == list(range(len(b1))) and b2 == list(range(len(b2))),
          "summarize live.h5: rows are consecutive batches 0..R-1",
          "first read %s..., second %s..." % (b1[:5], b2[:5]))
    # the rows read while the file grew are the file's committed rows: recompute them now
    run = load_run(os.path.join(TMP, "live.h5"))
    check(run["R"] >= len(b2), "live.h5 after SIGTERM holds every record summarize saw (%d >= %d)" % (
        run["R"], len(b2)))
    if run["R"] >= len(b2) and t2.has(*SUMMARY_COLS):
        run["R"] = len(b2)
        run["rec"] = {k: v[:len(b2)] for k, v in run["rec"].items()}
        orc = oracle_records(run)
        check_close(t2.fcol("max_grad"), [o["max_grad"] for o in orc], RTOL,
                    "summarize live.h5: max_grad of the rows read live, recomputed from the closed file")
        check_in_range(t2.col("k_exact"), [o["k_exact_lo"] for o in orc], [o["k_exact_hi"] for o in orc],
                       [o["k_exact"] for o in orc], "summarize live.h5: k_exact of the rows read live")


def test_bad(a):
    with open(os.path.join(TMP, "text.txt"), "w") as f:
        f.write("not a run file\n" * 20)
    os.mkdir(os.path.join(TMP, "adir"))
    with h5py.File(os.path.join(TMP, "other.h5"), "w") as f:
        f.create_dataset("x", data=np.arange(10))
    shutil.copy(os.path.join(TMP, "hand.h5"), os.path.join(TMP, "v2.h5"))
    with h5py.File(os.path.join(TMP, "v2.h5"), "a") as f:
        f.attrs.modify("format_version", np.int64(2))
    with open(os.path.join(TMP, "a.h5"), "rb") as f:
        data = f.read()
    with open(os.path.join(TMP, "trunc.h5"), "wb") as f:
        f.write(data[:len(data) // 2])
    with open(os.path.join(TMP, "emptyfile.h5"), "wb"):
        pass
    cases = [("text.txt", "a text file", None), ("missing.h5", "a missing file", None),
             ("adir", "a directory", None), ("other.h5", "an HDF5 file that is not a run", None),
             ("v2.h5", "format_version 2", "version 2"), ("trunc.h5", "the first half of a.h5", None),
             ("emptyfile.h5", "an empty file", None)]
    for cmd, extra in (("summarize", []), ("horizon", []), ("horizon", ["--per-batch"])):
        for path, what, contains in cases:
            r = rnnbow([cmd] + extra + [path])
            expect_error(r, cmd, "%s %s%s (%s)" % (cmd, "".join(x + " " for x in extra), path, what),
                         contains=contains)
        r = rnnbow([cmd] + extra + ["a.h5", "missing.h5"])
        expect_error(r, cmd, "%s a.h5 missing.h5 (one bad file of two)" % cmd, one_line=True, allow_stdout=True)
    for cmd in ("summarize", "horizon"):
        expect_error(rnnbow([cmd, "-"], stdin_path="text.txt"), cmd,
                     "%s - < a text file" % cmd)
        expect_error(rnnbow([cmd, "--frobnicate", "a.h5"]), cmd, "%s --frobnicate (unknown option)" % cmd,
                     code=2, contains="see 'rnnbow %s --help'" % cmd)
        expect_error(rnnbow([cmd, "--format", "xml", "a.h5"]), cmd, "%s --format xml" % cmd, code=2)
        expect_error(rnnbow([cmd, "--eps", "abc", "a.h5"]), cmd, "%s --eps abc" % cmd, code=2)
        # no file reads stdin (the usage says so)
        rf, rs = rnnbow([cmd, "a.h5"]), rnnbow([cmd], stdin_path="a.h5")
        check(rs.rc == 0 and rs.out == rf.out and len(rs.out) > 0,
              "%s with no file argument reads the run from stdin" % cmd, rs.why)
        r = rnnbow([cmd, "--help"])
        check(r.rc == 0 and ("usage: rnnbow %s" % cmd).encode() in r.out, "%s --help exits 0 with its usage" % cmd,
              r.why)


# ------------------------------------------------------------------- main

def main():
    global BIN, TMP
    if len(sys.argv) != 2:
        print("usage: test_analysis.py ./rnnbow", file=sys.stderr)
        return 2
    BIN = os.path.abspath(sys.argv[1])
    if BREAK_ORACLE:
        diag("RNNBOW_TEST_BREAK_ORACLE: the recomputed max_grad is 1% off; max_grad checks must fail")
    with tempfile.TemporaryDirectory(prefix="rnnbow-analysis-") as tmp:
        TMP = tmp
        with open(os.path.join(tmp, "corpus.txt"), "wb") as f:
            f.write(make_corpus(6000, 1))
        with open(os.path.join(tmp, "corpus2.txt"), "wb") as f:
            f.write(make_corpus(3000, 2))
        ok = True
        for out, corpus, args in (
                ("a.h5", "corpus.txt", ["--hidden", "24", "--seq-len", "16", "--batches", "400",
                                        "--record-every", "10", "--seed", "3"]),
                ("b.h5", "corpus2.txt", ["--hidden", "12", "--seq-len", "16", "--batches", "150",
                                         "--record-every", "7", "--seed", "5"])):
            r = rnnbow(["record", corpus, "-o", out, "--quiet"] + args, timeout=300)
            ok &= check(r.rc == 0, "rnnbow record %s (setup)" % out, r.why)
        if not ok:
            return 1
        section("handmade run files", test_handmade)
        a = section("summarize a.h5", test_summarize, None)
        section("horizon a.h5", test_horizon, a)
        section("decay below 1e-20", test_deep_decay)
        section("several runs", test_multi)
        section("stdin", test_stdin)
        section("bad input", test_bad, a)
        section("live run", test_live, "corpus.txt")
    return tap.summary()


if __name__ == "__main__":
    sys.exit(main())
