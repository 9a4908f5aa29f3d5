"""test_report.py - rnnbow report in a real browser: headless Chromium
(Debian's package, driven by python3-selenium) loads the report from disk,
follows the link on a framed overview bar to a batch page, and takes
screenshots that are checked not to be blank; the pages' files and links
are checked too, and the diagnostics section (diagnose --overall's
verdicts, or "not recorded" for a run without them), and the units and
hidden-state figures of the top batch (byte for byte rnnbow plot's) when
the run has unit_flow / --save-hidden, absent otherwise (also after --force
over a report that had them). Prints TAP lines. Usage: python3 tests/test_report.py ./rnnbow
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, png_content  # noqa: E402
from chromium import chromium  # noqa: E402

BIN = os.path.abspath(sys.argv[1])


def check_mix(mix, tmp, same_as_plot):
    """report --component C of a mix: the headings name C, every figure is
    rnnbow plot --component C's bytes, the tables are h5py's of C's datasets."""
    import h5py
    import numpy as np
    for comp, given in (("rnn", None), ("lstm", "lstm"), ("gru", "2")):
        out = os.path.join(tmp, "mixrep-" + comp)
        args = [BIN, "report", mix, "-o", out, "--top", "2"] + (["--component", given] if given else [])
        r = subprocess.run(args, capture_output=True, text=True)
        if not check(r.returncode == 0, "mix report --component %s exits 0" % given, r.stderr):
            continue
        index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
        label = "component %s of rnn,lstm,gru" % comp
        check("<h1>rnnbow report: %s, %s</h1>" % (mix, label) in index,
              "mix report (--component %s): the heading says %s" % (given, label))
        check("%s.itemized" % comp in index and "(--component)" in index,
              "mix report %s: the run's description lists %s's datasets" % (comp, comp))
        summ = subprocess.run([BIN, "summarize", "--top", "2", "--component", comp, mix],
                              capture_output=True, text=True).stdout
        top = [line.split("\t")[0] for line in summ.splitlines()[1:]]
        links = re.findall(r'<a class="bar" href="batch-(\d+)\.html"', index)
        check(links == top and len(top) == 2,
              "mix report %s: the framed batches are summarize --component %s's" % (comp, comp),
              (links, top))
        cc = ["--component", comp]
        figs = [("horizon.svg", ["horizon"]), ("k.svg", ["k"]), ("loss.svg", ["loss"]),
                ("diagnose.svg", ["diagnose"]), ("units.svg", ["units", "--batch", top[0]]),
                ("hidden.svg", ["hidden", "--batch", top[0]])]
        if comp != "rnn":
            figs.append(("horizon-gates.svg", ["horizon", "--gate", "all"]))
        for b in top:
            figs.append(("heatmap-%s.svg" % b, ["heatmap", "--batch", b]))
        for name, kind in figs:
            check(same_as_plot(out, name, kind[0], mix, kind[1:] + cc),
                  "mix report %s: %s is rnnbow plot %s --component %s's bytes"
                  % (comp, name, " ".join(kind), comp))
        check((comp == "rnn") == (not os.path.exists(os.path.join(out, "horizon-gates.svg"))),
              "mix report %s: a gate-by-gate horizon for a gated component only" % comp)
        over = subprocess.run([BIN, "diagnose", "--overall", "--component", comp, mix],
                              capture_output=True, text=True).stdout.splitlines()[1:]
        want = [(l.split("\t")[0], l.split("\t")[1]) for l in over]
        got = re.findall(r"<tr><td>(\w+)</td><td style=\"color:#\w+\"><b>(ok|flagged)</b>", index)
        check(got == want and len(want) == 5,
              "mix report %s: diagnose --overall --component %s's verdicts" % (comp, comp), (got, want))
        with h5py.File(mix, "r") as f:
            batches = list(f["record/batch"][:])
            row = batches.index(int(top[0]))
            g = f["record/%s.itemized" % comp][row].astype(np.float64)
            loss = f["record/loss"][row].astype(np.float64)
        page = open(os.path.join(out, "batch-%s.html" % top[0]), encoding="utf-8").read()
        check(label in page, "mix report %s: the batch page's heading says %s" % (comp, label))
        rows = re.findall(r"<tr><td>(\d+)</td><td class=\"b\">.*?</td><td class=\"b\">.*?</td>"
                          r"<td>([-\d.e+]+)</td><td>([-\d.e+naif]+)</td><td>([-\d.e+naif]+)</td></tr>",
                          page)
        n = g.shape[0]
        worst = int(np.argmax(loss))
        bar = [g[j:, j].sum() for j in range(n)]
        ok = len(rows) == n
        for j, (jj, l, b, gw) in enumerate(rows if ok else []):
            want_g = g[worst, j] if j <= worst else 0.0
            ok &= int(jj) == j and abs(float(l) - loss[j]) <= 1e-4 + 1e-3 * abs(loss[j])
            ok &= abs(float(b) - bar[j]) <= 1e-3 * abs(bar[j]) + 1e-30
            ok &= abs(float(gw) - want_g) <= 1e-3 * abs(want_g) + 1e-30
        check(ok, "mix report %s: the batch table's bar[j] and g[t,j] are h5py's of %s.itemized, "
              "L_j the mix's /record/loss" % (comp, comp), rows[:3])
        check(same_as_plot(out, "batch-%s.svg" % top[0], "batch", mix,
                           ["--batch", top[0], "--loss", str(worst)] + cc),
              "mix report %s: the batch figure is rnnbow plot batch --component %s's bytes"
              % (comp, comp))
        view = open(os.path.join(out, "view.html"), encoding="utf-8").read()
        check('"component":"%s","components":"rnn,lstm,gru"' % comp in view,
              "mix report %s: its view.html is of %s" % (comp, comp))


with tempfile.TemporaryDirectory() as tmp:
    corpus = os.path.join(tmp, "c.txt")
    with open(corpus, "wb") as f:
        for name in sorted(os.listdir("libcore")):
            f.write(open(os.path.join("libcore", name), "rb").read())
    run = os.path.join(tmp, "run.h5")
    subprocess.run([BIN, "record", corpus, "-o", run, "--quiet", "--hidden", "32",
                    "--seq-len", "16", "--batches", "2000", "--record-every", "10"], check=True)
    out = os.path.join(tmp, "report")
    r = subprocess.run([BIN, "report", run, "-o", out, "--top", "3"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.strip() == out + "/index.html",
          "report exits 0 and prints the index path", r.stderr)
    index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
    links = re.findall(r'<a class="bar" href="(batch-\d+\.html)"', index)
    check(len(links) == 3, "index frames the 3 top batches with links", links)
    check('<a href="view.html">' in index, "the index links to the interactive view")
    for f in ["overview.svg", "horizon.svg", "k.svg", "loss.svg", "view.html"] + links + \
            [l.replace(".html", ".svg") for l in links] + \
            [l.replace("batch-", "heatmap-").replace(".html", ".svg") for l in links]:
        check(os.path.getsize(os.path.join(out, f)) > 1000, "report holds %s" % f)
    summ = subprocess.run([BIN, "summarize", "--top", "3", run], capture_output=True, text=True).stdout
    top = [line.split("\t")[0] for line in summ.splitlines()[1:]]
    check(links == ["batch-%s.html" % b for b in top],
          "the framed batches are summarize --top 3's, in order", (links, top))
    r = subprocess.run([BIN, "report", run, "-o", out], capture_output=True, text=True)
    check(r.returncode == 1 and "use --force" in r.stderr, "an existing report is kept without --force", r.stderr)

    r = subprocess.run([BIN, "report", run, "-o", out, "--force", "--top", "1"], capture_output=True,
                       text=True)
    pages = sorted(f for f in os.listdir(out) if f.startswith("batch-") and f.endswith(".html"))
    check(r.returncode == 0 and pages == [links[0]], "--force --top 1 replaces the report: one page left",
          pages)
    bad = os.path.join(tmp, "nope")
    r = subprocess.run([BIN, "report", os.path.join(tmp, "missing.h5"), "-o", bad], capture_output=True,
                       text=True)
    check(r.returncode == 1 and not os.path.exists(bad) and r.stderr.count("\n") == 1,
          "a report of a missing run fails in one line and leaves no folder", r.stderr)
    subprocess.run([BIN, "report", run, "-o", out, "--force", "--top", "3"], check=True,
                   capture_output=True)

    # the diagnostics section: the verdicts of diagnose --overall, its figure
    index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
    over = subprocess.run([BIN, "diagnose", "--overall", run], capture_output=True,
                          text=True).stdout.splitlines()[1:]
    want = [(l.split("\t")[0], l.split("\t")[1]) for l in over]
    got = re.findall(r"<tr><td>(\w+)</td><td style=\"color:#\w+\"><b>(ok|flagged)</b>", index)
    check("<h2>Diagnostics</h2>" in index and len(want) == 5 and got == want,
          "index has a diagnostics section with diagnose --overall's verdicts", (got, want))
    check(os.path.getsize(os.path.join(out, "diagnose.svg")) > 1000 and
          'data="diagnose.svg"' in index, "report holds diagnose.svg, shown on the index")

    def same_as_plot(rep_dir, name, kind, path, batch):
        want = os.path.join(tmp, "want-" + name)
        more = ["--batch", batch] if isinstance(batch, str) else batch
        p = subprocess.run([BIN, "plot", kind] + more + [path, "-o", want],
                           capture_output=True)
        return p.returncode == 0 and open(want, "rb").read() == \
            open(os.path.join(rep_dir, name), "rb").read()

    # units (unit_flow is recorded by default), no hidden states (no --save-hidden)
    b0 = top[0]
    check("<h2>Hidden units by lag, batch %s</h2>" % b0 in index and 'data="units.svg"' in index
          and same_as_plot(out, "units.svg", "units", run, b0),
          "index shows the units figure of the top batch, rnnbow plot units' bytes", b0)
    check("Hidden states" not in index and not os.path.exists(os.path.join(out, "hidden.svg")),
          "no hidden-state section or figure for a run without --save-hidden")
    hid = os.path.join(tmp, "hid.h5")
    subprocess.run([BIN, "record", corpus, "-o", hid, "--quiet", "--hidden", "16", "--seq-len", "12",
                    "--batches", "60", "--record-every", "20", "--save-hidden"], check=True)
    hidrep = os.path.join(tmp, "hidrep")
    r = subprocess.run([BIN, "report", hid, "-o", hidrep, "--top", "1"], capture_output=True,
                       text=True)
    index = open(os.path.join(hidrep, "index.html"), encoding="utf-8").read() if r.returncode == 0 else ""
    hb = re.findall(r'<a class="bar" href="batch-(\d+)\.html"', index)
    check(r.returncode == 0 and len(hb) == 1 and "<h2>Hidden states, batch %s</h2>" % hb[0] in index
          and 'data="hidden.svg"' in index and same_as_plot(hidrep, "hidden.svg", "hidden", hid, hb[0])
          and same_as_plot(hidrep, "units.svg", "units", hid, hb[0]),
          "--save-hidden: the hidden states of the top batch too, rnnbow plot hidden's bytes",
          (r.stderr, hb))
    old = os.path.join(tmp, "old.h5")
    subprocess.run([BIN, "record", corpus, "-o", old, "--quiet", "--hidden", "16", "--seq-len", "8",
                    "--batches", "100", "--record-every", "10", "--no-diagnostics",
                    "--no-unit-flow"], check=True)
    oldrep = os.path.join(tmp, "oldrep")
    r = subprocess.run([BIN, "report", old, "-o", oldrep], capture_output=True, text=True)
    index = open(os.path.join(oldrep, "index.html"), encoding="utf-8").read() if r.returncode == 0 else ""
    check(r.returncode == 0 and "Not recorded" in index and
          not os.path.exists(os.path.join(oldrep, "diagnose.svg")),
          "a run without diagnostics still gets its report, saying they were not recorded", r.stderr)
    check(r.returncode == 0 and r.stderr == "" and "Hidden units" not in index
          and "Hidden states" not in index and not os.path.exists(os.path.join(oldrep, "units.svg")),
          "a run without unit_flow: no units section, no figure, no message", r.stderr)
    r = subprocess.run([BIN, "report", old, "-o", hidrep, "--force"], capture_output=True, text=True)
    left = [f for f in ("units.svg", "hidden.svg", "diagnose.svg")
            if os.path.exists(os.path.join(hidrep, f))]
    check(r.returncode == 0 and not left,
          "--force over a report with units, hidden states and diagnostics removes their figures",
          left)

    # a mix: the report of one component (--component, default the first)
    mix = os.path.join(tmp, "mix.h5")
    subprocess.run([BIN, "record", corpus, "-o", mix, "--quiet", "--cell", "rnn,lstm,gru",
                    "--hidden", "8", "--seq-len", "8", "--batches", "40", "--record-every", "5",
                    "--save-hidden"], check=True)
    check_mix(mix, tmp, same_as_plot)
    r = subprocess.run([BIN, "report", mix, "-o", os.path.join(tmp, "nosuch"), "--component",
                        "nosuch"], capture_output=True, text=True)
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and "nosuch" in r.stderr
          and not os.path.exists(os.path.join(tmp, "nosuch")),
          "report --component nosuch: one line, exit 1, no folder", r.stderr)
    index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
    check("component" not in index, "a one-model report names no component")

    from selenium.webdriver.common.by import By

    driver = chromium(tmp, "1280,1000")
    try:
        driver.get("file://" + os.path.join(out, "index.html"))
        check("rnnbow report" in driver.title, "Chromium loads index.html", driver.title)
        shot = driver.get_screenshot_as_png()
        share = png_content(shot)
        check(share > 0.01, "the index screenshot is not blank (%.3f of bytes set)" % share)
        bars = driver.find_elements(By.CSS_SELECTOR, "a.bar")
        check(len(bars) == 3 and all(b.size["height"] > 0 and b.size["width"] > 0 for b in bars),
              "the framed bars have a size on the page", [b.size for b in bars])
        bars[0].click()
        check(driver.current_url.endswith(links[0]), "clicking the top bar opens its batch page",
              driver.current_url)
        shot = driver.get_screenshot_as_png()
        share = png_content(shot)
        check(share > 0.01, "the batch page screenshot is not blank (%.3f of bytes set)" % share)
        with open(os.path.join(tmp, "batch-page.png"), "wb") as f:
            f.write(shot)
        rows = driver.find_elements(By.CSS_SELECTOR, "table tr")
        check(len(rows) == 17, "the batch page has a table of its 16 steps", len(rows))
        driver.find_element(By.LINK_TEXT, "back to the run").click()
        check(driver.current_url.endswith("index.html"), "and the page links back to the run")
        if os.environ.get("RNNBOW_KEEP_SCREENSHOT"):
            os.replace(os.path.join(tmp, "batch-page.png"), os.environ["RNNBOW_KEEP_SCREENSHOT"])
    finally:
        driver.quit()

sys.exit(tap.summary())
