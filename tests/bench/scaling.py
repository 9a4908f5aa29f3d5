"""scaling.py CORPUS - the scaling table behind `make bench-scaling`.

Drives `rnnbow record` and tests/bench/record_parts (libcore's own code,
timed part by part) over cells rnn/lstm, H in {100, 512, 1024},
n in {25, 100, 256}, B in {1, 64} and tabulates, per configuration:
  - training chars/s per CPU second (user + sys of the process, both
    threads) and per wall second: runs of 1 and 1 + nb batches with
    --record-every 0, their difference (setup and first touch left out);
  - CPU seconds of the itemizer (g and E) of one record with the default
    --record-sequences 1, beside c n^2 G H^2, one c fitted (geometric
    mean of measured / (n^2 G H^2 S)) over every row that took >= 5 ms;
  - a record with the defaults (diagnostics and unit_flow on): in-process
    (record_parts' parts added) and end to end (runs of 1 and 1 + nd
    batches recording every batch, less nd training batches: noisy where
    a training batch costs much more than a record);
  - bytes of run file per record (that run's file growth) and the peak
    RSS of the training and of the recording run;
  - S = B = 64 (the minibatch itemizer) where its deltas
    (n(n+1)/2 S G H floats) and flops (n^2 G H^2 (2S + 1)) are affordable;
  - where a record's time goes: its parts as shares;
then "recording every 100th batch adds at most 10%" (issue 15) at
H = 512, n = 100, B = 64 and H = 128, n = 50, B = 50.

Batch counts are picked from a flop estimate so that each timed part takes
~TARGET CPU seconds (env TARGET, default 1.5).  Env REPEAT (default 1)
runs every measurement that many times and keeps the least CPU time; ONLY
("lstm 512 100 64") measures one row.  Progress on stderr, the tables on
stdout.  It reports; it does not judge.
"""
import math
import os
import subprocess
import sys
import time

RNNBOW = os.environ.get("RNNBOW", "./rnnbow")
PARTS = os.environ.get("PARTS", "build/tests/bench/record_parts")
TARGET = float(os.environ.get("TARGET", "1.5"))
REPEAT = int(os.environ.get("REPEAT", "1"))
FLOPS = 50e9        # a guess of the machine's sgemm rate, only to pick counts
V = 96              # about the corpus' distinct bytes, only to pick counts
S_MAX_FLOP = 1.2e11  # S = 64 records affordable below this ...
S_MAX_BYTES = 1.0e9  # ... and this many bytes of deltas
GATES = {"rnn": 1, "lstm": 4}


def run(corpus, out, batches, args):
    """One rnnbow record run: (cpu_s, wall_s, peak_rss_kb, file_bytes),
    the least CPU time of REPEAT runs."""
    best = None
    for _ in range(REPEAT):
        cmd = [RNNBOW, "record", corpus, "-o", out, "--force", "--quiet",
               "--batches", str(batches), "--optimizer", "adam"] + args
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        if status != 0:
            sys.exit("scaling: %s failed (status %d)" % (" ".join(cmd), status))
        m = (ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss, os.path.getsize(out))
        if best is None or m[0] < best[0]:
            best = m
    return best


def count(seconds_each):
    """How many of a thing of ~seconds_each CPU seconds make TARGET."""
    return max(1, min(3000, int(round(TARGET / max(seconds_each, 1e-7)))))


def per_unit(run_a, run_b, k, less=0.0):
    """CPU seconds per unit between run_a (1 batch) and run_b (1 + k)."""
    return ((run_b[0] - run_a[0]) - less * k) / k


def parts(cell, H, n, B, S=1):
    """record_parts' in-process CPU seconds of a record's parts (a dict),
    each the least of REPEAT runs."""
    best = None
    for _ in range(REPEAT):
        out = subprocess.run([PARTS, cell, str(H), str(n), str(B), str(S)], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
        head, line = out.split("\n")[:2]
        d = {k: float(v) for k, v in zip(head.split("\t"), line.split("\t")) if k != "cell"}
        best = d if best is None else {k: min(v, d[k]) for k, v in best.items()}
    return best


def measure(corpus, out, cell, H, n, B):
    G = GATES[cell]
    base = ["--cell", cell, "--hidden", str(H), "--seq-len", str(n), "--batch-size", str(B)]
    r = {"cell": cell, "H": H, "n": n, "B": B, "G": G}
    f_train = 6.0 * n * B * H * (G * H + V)
    nb = count(f_train / FLOPS)
    t1 = run(corpus, out, 1, base + ["--record-every", "0"])
    t2 = run(corpus, out, 1 + nb, base + ["--record-every", "0"])
    tb = per_unit(t1, t2, nb)
    r["train_cps"] = n * B / tb if tb > 0 else float("nan")
    wall = (t2[1] - t1[1]) / nb
    r["train_wall_cps"] = n * B / wall if wall > 0 else float("nan")
    r["rss_train"] = t2[2]
    # the parts of a record with the defaults (S = 1), in one thread
    p = parts(cell, H, n, B)
    r["parts"] = p
    r["rec"] = p["itemize_s"]  # g and E, the itemizer alone
    r["rec_inproc"] = p["gather_s"] + p["fill_s"] + p["itemize_s"] + p["unit_flow_s"] + p["diag_s"]
    # end to end with the defaults (diagnostics, unit_flow): runs of 1 and
    # 1 + nd batches recording every batch, less nd training batches; its
    # file growth per record and peak RSS
    t_rec = r["rec_inproc"]
    nd = count(f_train / FLOPS + t_rec)
    a = run(corpus, out, 1, base + ["--record-every", "1"])
    b = run(corpus, out, 1 + nd, base + ["--record-every", "1"])
    r["rec_def"] = per_unit(a, b, nd, tb)
    r["bytes"] = (b[3] - a[3]) / nd
    r["rss_rec"] = b[2]
    r["counts"] = "%d/%d" % (nb, nd)
    # S = B = 64 where affordable: the minibatch itemizer, in one thread
    r["rec_S"] = None
    if B > 1:
        f_s = n * n * G * H * H * (2 * B + 1)
        mem = n * (n + 1) / 2 * B * G * H * 4
        if f_s <= S_MAX_FLOP and mem <= S_MAX_BYTES:
            q = parts(cell, H, n, B, B)
            r["rec_S"] = q["itemize_s"]
            r["rss_S"] = q["rss_mb"]
    return r


def fit(rows):
    """c of measured = c n^2 G H^2 S: geometric mean over rows >= 5 ms."""
    logs = []
    for r in rows:
        for key, S in (("rec", 1), ("rec_S", r["B"])):
            v = r.get(key)
            if v is not None and v >= 5e-3:
                logs.append(math.log(v / (r["n"] ** 2 * r["G"] * r["H"] ** 2 * S)))
    return math.exp(sum(logs) / len(logs)) if logs else float("nan")


def fmt_s(v):
    if v is None or math.isnan(v):
        return "-"
    if abs(v) < 1e-3:
        return "%.0f us" % (v * 1e6)
    if abs(v) < 1:
        return "%.1f ms" % (v * 1e3)
    return "%.2f s" % v


def fmt_k(v):
    return "%.1fk" % (v / 1e3) if v < 1e5 else "%.0fk" % (v / 1e3)


def table(rows, c):
    print("| cell | H | n | B | train chars/s CPU (wall) | itemize S=1 | c n²GH² | "
          "record, defaults: in-process / end to end | bytes/record | peak RSS train / record | "
          "itemize S=B | c n²GH²S |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        x = r["n"] ** 2 * r["G"] * r["H"] ** 2
        s_cols = "- | -"
        if r["rec_S"] is not None:
            s_cols = "%s | %s" % (fmt_s(r["rec_S"]), fmt_s(c * x * r["B"]))
        print("| %s | %d | %d | %d | %s (%s) | %s | %s | %s / %s | %.0f kB | %.0f / %.0f MB | %s |" % (
            r["cell"], r["H"], r["n"], r["B"], fmt_k(r["train_cps"]),
            fmt_k(r["train_wall_cps"]), fmt_s(r["rec"]), fmt_s(c * x), fmt_s(r["rec_inproc"]),
            fmt_s(r["rec_def"]), r["bytes"] / 1e3, r["rss_train"] / 1024, r["rss_rec"] / 1024,
            s_cols))


def breakdown(rows):
    """Where a record's time goes: the parts, as shares of the in-process sum."""
    print()
    print("where a record's time goes (S = 1, defaults; CPU, one thread; share of the "
          "in-process record; write = end to end - in-process):")
    print("| cell | H | n | B | g (deltas, lag sgemms) | E (double) | unit_flow | diag (LAPACK) "
          "| gather+fill | in-process | write and rest |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p, t = r["parts"], r["rec_inproc"]
        share = lambda v: "%.0f%%" % (100.0 * v / t) if t > 0 else "-"
        print("| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            r["cell"], r["H"], r["n"], r["B"], share(p["g_s"]), share(p["E_s"]),
            share(max(p["unit_flow_s"], 0.0)), share(p["diag_s"]),
            share(p["gather_s"] + p["fill_s"]), fmt_s(t), fmt_s(r["rec_def"] - t)))
    sys.stdout.flush()


def ten_percent(corpus, out):
    """Recording every 100th batch with the defaults, at issue 15's sizes:
    added CPU share = (CPU s per record) / (100 x CPU s per batch), the
    record both in-process (record_parts) and end to end."""
    print()
    print("recording every 100th batch with the defaults (S = 1, diagnostics and unit_flow "
          "on): added CPU = record / (100 batches); goal <= 10%")
    for cell in ("lstm", "rnn"):
        for H, n, B in ((512, 100, 64), (128, 50, 50)):
            base = ["--cell", cell, "--hidden", str(H), "--seq-len", str(n),
                    "--batch-size", str(B)]
            f_train = 6.0 * n * B * H * (GATES[cell] * H + V)
            nb = count(f_train / FLOPS)
            t1 = run(corpus, out, 1, base + ["--record-every", "0"])
            t2 = run(corpus, out, 1 + nb, base + ["--record-every", "0"])
            tb = per_unit(t1, t2, nb)
            p = parts(cell, H, n, B)
            inproc = p["gather_s"] + p["fill_s"] + p["itemize_s"] + p["unit_flow_s"] + p["diag_s"]
            a = run(corpus, out, 1, base + ["--record-every", "1"])
            b = run(corpus, out, 1 + nb, base + ["--record-every", "1"])
            rec = per_unit(a, b, nb, tb)
            print("  %-4s H=%-4d n=%-3d B=%-2d  batch %s; record in-process %s (diag %s), "
                  "end to end %s: +%.1f%% / +%.1f%%" % (
                      cell, H, n, B, fmt_s(tb), fmt_s(inproc), fmt_s(p["diag_s"]), fmt_s(rec),
                      inproc / tb, rec / tb))
            sys.stdout.flush()


def main():
    corpus = sys.argv[1]
    out = os.path.join(os.path.dirname(corpus), "run.h5")
    only = os.environ.get("ONLY")  # e.g. "rnn 100 25 1": one configuration
    rows = []
    t0 = time.time()
    for cell in ("rnn", "lstm"):
        for H in (100, 512, 1024):
            for n in (25, 100, 256):
                for B in (1, 64):
                    if only and only.split() != [cell, str(H), str(n), str(B)]:
                        continue
                    r = measure(corpus, out, cell, H, n, B)
                    rows.append(r)
                    sys.stderr.write("scaling: %s H=%d n=%d B=%d done (%s; %.0f s so far)\n" % (
                        cell, H, n, B, r["counts"], time.time() - t0))
    c = fit(rows)
    print("c = %.3g CPU s per n^2 G H^2 S (%.1f GFLOP/s, the itemizer's flops)" % (c, 1e-9 / c))
    print()
    table(rows, c)
    breakdown(rows)
    sys.stdout.flush()
    if not only:
        ten_percent(corpus, out)
    sys.stderr.write("scaling: %.0f s in all\n" % (time.time() - t0))


if __name__ == "__main__":
    main()
