"""test_view.py - rnnbow view in a real browser: headless Chromium (Debian's
package, driven by python3-selenium) opens the page from disk and checks
that no request leaves file://, that hovering and clicking overview bars
preview and select batches, that hovering segment (t, j) lights exactly
loss t's segments and fills the horizon with t + 1 bars equal to g[t, t..0]
of the file (h5py) within the page's encoding error, that the arrow keys
move, that the layer and gate selector reads the layer and gate it names,
and that a view of 10^5 records loads. Prints TAP lines.
Usage: python3 tests/test_view.py ./rnnbow
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402
from tap import check, png_content  # noqa: E402
from chromium import chromium  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
REL = 0.00148  # plots/webview.h: a logq code is within 0.147% of its float


def record(corpus, out, *args):
    subprocess.run([BIN, "record", corpus, "-o", out, "--quiet", *args], check=True)


def view(*args):
    return subprocess.run([BIN, "view", *args], capture_output=True, text=True)


def synth_big(small, big, times):
    """A run of `times` copies of small's records, batches renumbered: what
    record --record-every 1 would write for 10^5 batches, in a second
    instead of half a minute (the view reads only /model and /record)."""
    with h5py.File(small, "r") as src, h5py.File(big, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        for group in ("model", "train"):
            src.copy(src[group], dst, name=group)
        rec = dst.create_group("record")
        rows = src["record/batch"].shape[0]
        for name, d in src["record"].items():
            if not isinstance(d, h5py.Dataset):
                continue  # /record/diag: diagnostics, which the view does not read
            data = np.concatenate([d[()]] * times)
            if name == "batch":
                data = np.arange(rows * times, dtype=np.int64)
            rec.create_dataset(name, data=data, chunks=True)


def browser(tmp):
    d = chromium(tmp, "1366,900", logs=True)
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})
    return d


def requests(driver):
    """URLs the page asked for, from Chromium's DevTools network log."""
    urls = []
    for e in driver.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m["method"] == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    return urls


def title(driver):
    return driver.find_element("id", "batch-title").text


def title_batch(driver):
    m = re.search(r"\bbatch (\d+)\b", title(driver))
    return int(m.group(1)) if m else None


def b64_codes(html, ident):
    """The bytes of the page's base64 block `ident`."""
    import base64
    body = re.search(r'id="%s">(.*?)</script>' % ident, html, re.S).group(1)
    return np.frombuffer(base64.b64decode("".join(body.split())), dtype=np.uint8)


def decode_logq(c):
    """plots/webview.h's logq codes back to values (0: 0)."""
    c = c.astype(np.float64)
    return np.where(c == 0, 0.0, 2.0 ** (-150.0 + (c - 1) * (278.0 / 65533.0)))


def page_g_error(html, ident, g, n):
    """Largest relative error of a source's g[t,j], j <= t, against g (records, n, n)."""
    rows = b64_codes(html, ident).view("<u2").reshape(len(g), -1)
    tri = np.tril_indices(n)
    got = decode_logq(rows[:, :n * (n + 1) // 2])
    want = g[:, tri[0], tri[1]]
    return np.max(np.abs(got - want) / np.maximum(want, 1e-300))


with tempfile.TemporaryDirectory() as tmp:
    corpus = os.path.join(tmp, "c.txt")
    with open(corpus, "wb") as f:
        for name in sorted(os.listdir("libcore")):
            f.write(open(os.path.join("libcore", name), "rb").read())
    run = os.path.join(tmp, "run.h5")
    lstm = os.path.join(tmp, "lstm.h5")
    record(corpus, run, "--hidden", "16", "--seq-len", "12", "--batches", "600", "--record-every", "2")
    record(corpus, lstm, "--cell", "lstm", "--layers", "2", "--hidden", "8", "--seq-len", "10",
           "--batches", "200", "--record-every", "4")
    page = os.path.join(tmp, "view.html")

    # --- the command ---------------------------------------------------------
    if shutil.which("node"):  # the page's script is a file of its own: lint it
        r = subprocess.run(["node", "--check", "plots/view.js"], capture_output=True, text=True)
        check(r.returncode == 0, "plots/view.js parses (node --check)", r.stderr)
    r = view(run, "-o", page)
    check(r.returncode == 0 and r.stdout == "" and os.path.getsize(page) > 10000,
          "view writes the page and nothing on stdout", r.stderr)
    html = open(page, encoding="utf-8").read()
    check(not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(|https?://(?!www\.w3\.org/2000/svg)",
                        html), "the page names no other file and no address")
    r = view(run)
    check(r.returncode == 2 and "-o" in r.stderr, "no -o: usage error (2)", r.stderr)
    r = view("-", "-o", page)
    check(r.returncode == 2, "'-' is refused (2): a view reads a run several times", r.stderr)
    bad = os.path.join(tmp, "bad.html")
    r = view(os.path.join(tmp, "missing.h5"), "-o", bad)
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and not os.path.exists(bad)
          and not os.path.exists(bad + ".tmp"), "a missing run: one line, exit 1, no page left", r.stderr)
    r = view(run, "--from", "100000", "-o", bad)
    check(r.returncode == 1 and "no records" in r.stderr and not os.path.exists(bad),
          "an empty window: exit 1, no page", r.stderr)
    r = view(run, "--every", "3", "--max-records", "0", "--from", "100", "--to", "500", "-o",
             os.path.join(tmp, "every.html"))
    ev = open(os.path.join(tmp, "every.html"), encoding="utf-8").read()
    meta = json.loads(re.search(r'id="run-0">(.*?)</script>', ev).group(1))
    with h5py.File(run, "r") as f:
        batches = f["record/batch"][()]
        g_all = f["record/itemized"][()]
    want = batches[(batches >= 100) & (batches <= 500)][::3]
    check(r.returncode == 0 and meta["records"] == len(want) and meta["every"] == 3,
          "--from --to --every choose every 3rd record of the window", (meta, len(want)))
    r = view(run, "--max-records", "100", "-o", os.path.join(tmp, "capped.html"))
    capped = json.loads(re.search(r'id="run-0">(.*?)</script>',
                                  open(os.path.join(tmp, "capped.html")).read()).group(1))
    check(r.returncode == 0 and capped["every"] == 3 and capped["records"] == 100
          and "one in 3 is in the view" in r.stderr, "--max-records 100 of 300: every 3rd, said on stderr",
          (capped, r.stderr))

    # --- a mix: the view of one component (--component, default the first) ------
    mix = os.path.join(tmp, "mix.h5")
    record(corpus, mix, "--cell", "rnn,lstm,gru", "--hidden", "6", "--seq-len", "6",
           "--batches", "30", "--record-every", "3")
    with h5py.File(mix, "r") as f:
        mixf = {k: f["record/" + k][()] for k in ("loss", "rnn.itemized", "lstm.itemized",
                                                  "lstm.itemized_gates", "gru.itemized")}
    for comp, given, cell, G in (("rnn", None, "rnn", 1), ("lstm", "lstm", "lstm", 4),
                                 ("gru", "2", "gru", 3)):
        mpage = os.path.join(tmp, "mix-%s.html" % comp)
        r = view(mix, "-o", mpage, *(["--component", given] if given else []))
        if not check(r.returncode == 0, "view of a mix --component %s exits 0" % given, r.stderr):
            continue
        mh = open(mpage, encoding="utf-8").read()
        meta = json.loads(re.search(r'id="run-0">(.*?)</script>', mh).group(1))
        check(meta.get("component") == comp and meta.get("components") == "rnn,lstm,gru"
              and meta["cell"] == cell and meta["G"] == G,
              "mix view --component %s: the page is of component %s (%s, %d gates)"
              % (given, comp, cell, G), meta)
        g = mixf[comp + ".itemized"].astype(np.float64)
        n = g.shape[1]
        err = page_g_error(mh, "g-0-0", g, n)
        check(err <= REL, "mix view %s: every g[t,j] of the page is %s.itemized's (%.2e)"
              % (comp, comp, err))
        if comp == "lstm":
            err = page_g_error(mh, "g-0-2", mixf["lstm.itemized_gates"][:, 1].astype(np.float64), n)
            check(err <= REL, "mix view lstm: gate f's source is lstm.itemized_gates[:, 1] (%.2e)" % err)
        codes = b64_codes(mh, "rec-0").view(np.uint8).reshape(len(g), -1)[:, 16 + 2 * n:]
        loss = decode_logq(codes.copy().view("<u2"))
        want = mixf["loss"].astype(np.float64)
        err = np.max(np.abs(loss - want) / np.maximum(want, 1e-300))
        check(err <= REL, "mix view %s: the losses are the mix's /record/loss (%.2e)" % (comp, err))
    r = view(mix, "-o", bad, "--component", "nosuch")
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and "nosuch" in r.stderr
          and not os.path.exists(bad) and not os.path.exists(bad + ".tmp"),
          "view --component nosuch: one line, exit 1, no page left", r.stderr)
    check("component" not in json.loads(re.search(r'id="run-0">(.*?)</script>', html).group(1)),
          "a one-model view names no component")

    # --- 10^5 records: made before the browser starts, loaded at the end ---------
    small = os.path.join(tmp, "small.h5")
    big = os.path.join(tmp, "big.h5")
    record(corpus, small, "--hidden", "8", "--seq-len", "8", "--batches", "1000", "--record-every", "1")
    synth_big(small, big, 100)
    bigpage = os.path.join(tmp, "big.html")
    t0 = time.time()
    r = view(big, "--every", "1", "-o", bigpage)
    made = time.time() - t0
    size = os.path.getsize(bigpage)
    check(r.returncode == 0, "a view of 10^5 records: %.1f MB, written in %.1f s" % (size / 1e6, made),
          r.stderr)

    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser(tmp)
    try:
        requests(driver)  # what Chromium loads by itself at start
        driver.get("file://" + page)
        check(driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1",
              "Chromium loads the page from disk and draws it")
        asked = requests(driver)
        check(asked == ["file://" + page], "no request but the page itself", asked)
        entries = driver.execute_script("return performance.getEntriesByType('resource').length")
        check(entries == 0, "no resource entries in the browser's performance timeline", entries)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        check(not errors, "no error in the console", errors)
        share = png_content(driver.get_screenshot_as_png())
        check(share > 0.01, "the screenshot is not blank (%.3f of bytes set)" % share)

        bars = driver.find_elements(By.CSS_SELECTOR, "#overview [data-batch]")
        got = [int(b.get_attribute("data-batch")) for b in bars]
        check(got == list(batches), "one overview bar per record, data-batch its batch",
              (len(got), len(batches)))
        act = ActionChains(driver)
        for k in (10, 200):
            act.move_to_element(bars[k]).perform()
            check(title_batch(driver) == batches[k], "hovering bar %d heads the page with its batch" % k,
                  title(driver))
            bars = driver.find_elements(By.CSS_SELECTOR, "#overview [data-batch]")
        act.move_to_element(bars[50]).click().perform()
        act.move_to_element(driver.find_element(By.TAG_NAME, "h1")).perform()
        check(title_batch(driver) == batches[50] and "preview" not in title(driver),
              "clicking a bar selects it: the heading keeps it after the pointer leaves", title(driver))

        # segment (t, j): the tallest of a loss that is not the one shown
        n = 12
        rec = 50
        shown = len(driver.find_elements(By.CSS_SELECTOR, "#horizon [data-j]")) - 1
        segs = driver.find_elements(By.CSS_SELECTOR, "#batch [data-t]")
        check(len(segs) == n * (n + 1) // 2, "the bars have a segment per (t, j <= t)", len(segs))
        cands = [(float(s.get_attribute("height")), int(s.get_attribute("data-t")),
                  int(s.get_attribute("data-j"))) for s in segs]
        _, t, j = max(c for c in cands if c[1] != shown)
        seg = driver.find_element(By.CSS_SELECTOR, '#batch [data-t="%d"][data-j="%d"]' % (t, j))
        act.move_to_element(seg).perform()
        lit = [(int(s.get_attribute("data-t")), int(s.get_attribute("data-j")))
               for s in driver.find_elements(By.CSS_SELECTOR, "#batch .seg.hl")]
        check(sorted(lit) == [(t, k) for k in range(t + 1)],
              "hovering segment (%d, %d) lights exactly loss %d's segments" % (t, j, t), lit)
        hz = driver.find_elements(By.CSS_SELECTOR, "#horizon [data-j]")
        js = [int(h.get_attribute("data-j")) for h in hz]
        vals = np.array([float(h.get_attribute("data-g")) for h in hz])
        heights = np.array([float(h.get_attribute("height")) for h in hz])
        g = g_all[rec, t, :t + 1].astype(np.float64)
        check(js == list(range(t + 1)), "the horizon holds t + 1 = %d bars, j = 0..t" % (t + 1), js)
        err = np.max(np.abs(vals - g) / np.maximum(g, 1e-300))
        check(err <= REL, "their values are g[t, t..0] of the file within 0.147%% (%.2e)" % err)
        ratio = np.max(np.abs(heights / heights.max() - g / g.max()))
        check(ratio <= 2 * REL, "their heights are proportional to g[t, j] (%.2e)" % ratio)
        oracle = vals.copy()
        oracle[0] *= 1.01  # the oracle broken by 1%: the check would see it
        check(np.max(np.abs(oracle - g) / np.maximum(g, 1e-300)) > REL,
              "a 1% error would fail that check")

        body = driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.ARROW_RIGHT)
        check(title_batch(driver) == batches[51], "right arrow: the next record", title(driver))
        body.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
        check(title_batch(driver) == batches[49], "left arrow: the one before", title(driver))
        body.send_keys(Keys.ARROW_DOWN)
        down = len(driver.find_elements(By.CSS_SELECTOR, "#horizon [data-j]"))
        body.send_keys(Keys.ARROW_UP, Keys.ARROW_UP)
        up = len(driver.find_elements(By.CSS_SELECTOR, "#horizon [data-j]"))
        check((down, up) == (t, t + 2), "down and up arrows: the loss before and after", (down, up))

        # two runs on one batch axis, and the layer and gate selector
        two = os.path.join(tmp, "two.html")
        r = view(run, lstm, "-o", two)
        driver.get("file://" + two)
        lanes = driver.find_elements(By.CSS_SELECTOR, "#overview g[data-run]:not([data-batch])")
        check(r.returncode == 0 and len(lanes) == 2, "two runs: two lanes", len(lanes))
        with h5py.File(lstm, "r") as f:
            lb = f["record/batch"][()]
            gates = f["record/itemized_gates_l1"][()]
        bar = driver.find_element(By.CSS_SELECTOR, '#overview [data-run="1"][data-batch="%d"]' % lb[7])
        ActionChains(driver).move_to_element(bar).click().perform()
        check(title(driver).startswith(lstm) and title_batch(driver) == lb[7],
              "a bar of the second lane selects that run's batch", title(driver))
        from selenium.webdriver.support.ui import Select
        sel = Select(driver.find_element(By.ID, "source"))
        labels = [o.text for o in sel.options]
        check(len(labels) == 10 and "layer 1, gate f" in labels,
              "the selector lists 2 layers x (whole matrix, i, f, g, o)", labels)
        sel.select_by_visible_text("layer 1, gate f")
        hz = driver.find_elements(By.CSS_SELECTOR, "#horizon [data-j]")
        tl = len(hz) - 1
        vals = np.array([float(h.get_attribute("data-g")) for h in hz])
        g = gates[7, 1, tl, :tl + 1].astype(np.float64)
        err = np.max(np.abs(vals - g) / np.maximum(g, 1e-300))
        check(err <= REL, "layer 1, gate f: the horizon is itemized_gates_l1[:, 1] (%.2e)" % err)

        # a run of words: each step's label is its word (cut to the step's
        # width), the whole word on hover
        wcorpus = os.path.join(tmp, "w.txt")
        with open(wcorpus, "w") as f:
            f.write(" ".join("alpha beta gamma delta <tag> &amp".split()[i % 6] for i in range(3000)))
        words = os.path.join(tmp, "words.h5")
        record(wcorpus, words, "--tokens", "words", "--vocab-size", "7", "--hidden", "8",
               "--seq-len", "6", "--batches", "40", "--record-every", "10")
        wpage = os.path.join(tmp, "words.html")
        r = view(words, "-o", wpage)
        driver.get("file://" + wpage)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        with h5py.File(words, "r") as f:
            vt = [v.decode() if isinstance(v, bytes) else v for v in f["model/vocab_text"][()]]
            tgt = f["record/target"][()]
        shown = driver.find_elements(By.CSS_SELECTOR, "#batch text[data-step]")
        hover = [e.find_element(By.TAG_NAME, "title").get_attribute("textContent") for e in shown]
        rec = [b for b in range(len(tgt)) if hover == [vt[i] for i in tgt[b]]]
        check(r.returncode == 0 and not errors and len(shown) == 6 and rec,
              "a words run's page: no console error, every step's label is its word (on hover)",
              (errors, hover))

        # a mix's page, of component lstm: said beside the run's name, its
        # selector lists lstm's gates
        driver.get("file://" + os.path.join(tmp, "mix-lstm.html"))
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        files = driver.find_element(By.ID, "files").text
        labels = [o.text for o in Select(driver.find_element(By.ID, "source")).options]
        check(not errors and "component lstm of rnn,lstm,gru (lstm," in files
              and len(labels) == 5 and "gate f" in " ".join(labels),
              "a mix's page (--component lstm): no console error, the heading names the component, "
              "the selector lstm's gates", (errors, files, labels))

        t0 = time.time()
        driver.get("file://" + bigpage)
        loaded = time.time() - t0
        bins = driver.find_elements(By.CSS_SELECTOR, "#overview [data-batch]")
        check(driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
              and len(bins) == 800, "10^5 records load (%.1f s) with an envelope of 800 bins" % loaded,
              len(bins))
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
        check(title_batch(driver) is not None, "and answer keys", title(driver))
    finally:
        driver.quit()

sys.exit(tap.summary())
