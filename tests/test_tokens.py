#!/usr/bin/python3
"""test_tokens.py - record --tokens utf8|words and --token-ids against an
independent tokenizer written here, PyTorch and the readers.

    /usr/bin/python3 tests/test_tokens.py ./rnnbow

  * words: /model/vocab_text is this file's tokenizer (<unk> first, then
    by frequency, ties by first occurrence; a tie broken the other way is
    refused as an oracle), V past 256; the recorded inputs are its ids;
    ids -> text (one space) -> record again -> the same ids; the loss of a
    record against a PyTorch forward of the saved params from its h0;
  * utf8 on multi-byte text: the sorted code points, ids -> text is the
    corpus itself;
  * --token-ids with and without --token-vocab: the ids as given, V from
    the vocabulary file's lines or max id + 1;
  * readers: summarize's target and predicted, sample (plain and --prime),
    info, plot batch's labels, /samples, all in the tokens' text; plot
    hidden's labels (cut with an ellipsis) and view's embedded data (ids
    and their words, escaped); export lstmvis's train.dict and word_ids;
  * --valid-share with words; resume (an extension) of a words run equals
    the run done in one go; another --vocab-size is refused on resume;
  * bad input: one line, the documented status, no file left behind;
  * --tokens bytes leaves the run as it was (no tokens attribute or
    vocab_text; the same datasets as without the option).
"""
import json
import os
import re
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
T = tempfile.mkdtemp(prefix="rnnbow-tokens-")


def run(*args, stdin=None):
    return subprocess.run([BIN] + [str(a) for a in args], cwd=T, capture_output=True,
                          input=stdin)


def record(name, *args):
    p = run("record", "--quiet", "-o", name, *args)
    if p.returncode:
        raise RuntimeError("record %s: %s" % (args, p.stderr.decode()))
    return os.path.join(T, name)


def words_vocab(text, size, ties_first=True):
    """The words tokenizer of docs/FORMAT.md: <unk>, then the size - 1 most
    frequent words, ties by first occurrence (ties_first=False: by last, a
    broken oracle)."""
    words = text.split()
    count, first = {}, {}
    for i, w in enumerate(words):
        if w == "<unk>":
            continue
        count[w] = count.get(w, 0) + 1
        if ties_first:
            first.setdefault(w, i)
        else:
            first[w] = -i
    ranked = sorted(count, key=lambda w: (-count[w], first[w]))
    vocab = ["<unk>"] + ranked[:size - 1]
    index = {w: i for i, w in enumerate(vocab)}
    return vocab, [index.get(w, 0) for w in words]


def vocab_text(f):
    return [s.decode() if isinstance(s, bytes) else s for s in f["model/vocab_text"][()]]


def zipf_text(nwords, distinct, seed):
    """Words drawn by a Zipf law from `distinct` made-up words, with ties."""
    rng = np.random.default_rng(seed)
    lex = ["w%d%s" % (i, "xyz"[i % 3] * (i % 4)) for i in range(distinct)]
    p = 1.0 / np.arange(1, distinct + 1)
    ids = rng.choice(distinct, size=nwords, p=p / p.sum())
    lines = []
    for k in range(0, nwords, 12):
        lines.append(" ".join(lex[i] for i in ids[k:k + 12]))
    return "\n".join(lines) + "\n"


def test_words():
    text = zipf_text(6000, 700, 1)
    with open(os.path.join(T, "w.txt"), "w") as fh:
        fh.write(text)
    path = record("w.h5", "w.txt", "--tokens", "words", "--vocab-size", 300, "--hidden", 24,
                  "--seq-len", 20, "--batches", 40, "--record-every", 13, "--save-params",
                  "--sample-every", 20, "--sample-length", 60, "--valid-share", 0.1)
    f = h5py.File(path, "r")
    vocab, ids = words_vocab(text, 300)
    got = vocab_text(f)
    check(f["model"].attrs["tokens"] == b"words" or f["model"].attrs["tokens"] == "words",
          "words: /model tokens is 'words'")
    check(got == vocab and len(got) == 300 and f["model"].attrs["vocab_size"] == 300,
          "words: /model/vocab_text is <unk> and the 299 most frequent words, ties by first "
          "occurrence (V = 300 > 256)", lambda: (got[:12], vocab[:12]))
    wrong, _ = words_vocab(text, 300, ties_first=False)
    check(wrong != got, "... and a tokenizer breaking ties by last occurrence differs (the "
          "oracle can fail)")
    check("model/vocab" not in f, "words: no /model/vocab (bytes only)")
    n = f["model"].attrs["seq_len"]
    pos, inp, tgt = f["record/position"][()], f["record/input"][()], f["record/target"][()]
    ok = all(np.array_equal(inp[r], ids[p:p + n]) and np.array_equal(tgt[r], ids[p + 1:p + n + 1])
             for r, p in enumerate(pos))
    check(ok, "words: every record's input and target are this tokenizer's ids at its position")
    check(f.attrs["corpus_tokens"] == len(ids), "words: corpus_tokens counts the words")

    # ids -> text -> ids: the ids joined by one space, recorded again
    again = " ".join(got[i] for i in ids)
    with open(os.path.join(T, "again.txt"), "w") as fh:
        fh.write(again)
    p2 = record("again.h5", "again.txt", "--tokens", "words", "--vocab-size", 300, "--hidden",
                24, "--seq-len", 20, "--batches", 40, "--record-every", 13)
    g = h5py.File(p2, "r")
    check(vocab_text(g) == got and np.array_equal(g["record/input"][()], inp),
          "words round trip: ids -> text (one space) -> record -> the same vocabulary and ids")

    # the loss of record 1 against PyTorch from the saved params and h0
    H, V = 24, 300
    r = 1
    mod, out = load_module(f, "rnn", "tanh", 1, H, V, r)
    x = torch.nn.functional.one_hot(torch.from_numpy(inp[r].astype(np.int64)), V).double()
    h0 = torch.from_numpy(f["record/h0"][r].astype(np.float64)).view(1, 1, H)
    hs, _ = mod(x.view(1, n, V), h0)
    logp = torch.log_softmax(out(hs[0]), dim=1)
    ref = -logp[torch.arange(n), torch.from_numpy(tgt[r].astype(np.int64))]
    err = np.max(np.abs(ref.detach().numpy() - f["record/loss"][r]))
    check(err < 1e-4, "words: record %d's per-step loss equals a PyTorch forward of its saved "
          "params from its h0 (V = 300)" % r, "max |diff| %g" % err)
    bad = -logp[torch.arange(n), (torch.from_numpy(tgt[r].astype(np.int64)) + 1) % V]
    check(np.max(np.abs(bad.detach().numpy() - f["record/loss"][r])) > 1e-3,
          "... and the loss of the wrong targets does not (the oracle can fail)")

    # readers
    s = run("summarize", path).stdout.decode().splitlines()
    head, rows = s[0].split("\t"), [l.split("\t") for l in s[1:]]
    ti, pi, mi = head.index("target"), head.index("predicted"), head.index("max_step")
    pred = f["record/predicted"][()]
    ok = len(rows) == len(pos) and all(
        row[ti] == got[tgt[k][int(row[mi])]] and row[pi] == got[pred[k][int(row[mi])]]
        for k, row in enumerate(rows))
    check(ok, "summarize: target and predicted are the words at max_step", lambda: s[:3])
    smp = run("sample", "-n", 15, path)
    toks = smp.stdout.decode().split()
    check(smp.returncode == 0 and len(toks) == 15 and all(t in got for t in toks),
          "sample -n 15: fifteen words of the vocabulary, one space apart", smp.stderr)
    pr = run("sample", "-n", 5, "--prime", "%s %s nosuchword" % (got[1], got[2]), path)
    ptoks = pr.stdout.decode().split()
    check(pr.returncode == 0 and ptoks[:3] == [got[1], got[2], "nosuchword"] and len(ptoks) == 8,
          "sample --prime: the prime's words (an unknown one read as <unk>), then 5 words",
          pr.stdout)
    info = run("info", path).stdout.decode()
    check(re.search(r"vocab 300 words", info) and
          ("tokens:  words, %d in the corpus: <unk> %s %s" % (len(ids), got[1], got[2])) in info,
          "info: the kind, the corpus' words and the first tokens", info)
    js = json.loads(run("info", "--format", "json", path).stdout)
    check(js["tokens"] == "words" and js["corpus_tokens"] == len(ids) and js["vocab_size"] == 300
          and js["token_preview"].split()[:3] == got[:3],
          "info --format json: tokens, corpus_tokens, token_preview", js)
    sm = f["samples/text"][()]
    check(sm.shape == (2, 60) and all(
        all(w in got for w in bytes(row).decode().split()[:-1]) for row in sm),
        "/samples: 60 bytes of words of the vocabulary (the last may be cut)")
    check(f["valid/loss"].shape[0] == 4 and f["valid"].attrs["source"].startswith(b"last")
          if isinstance(f["valid"].attrs["source"], bytes) else True,
          "--valid-share with words: /valid every --record-every batches")
    svg = os.path.join(T, "b.svg")
    pl = run("plot", "batch", "--batch", int(f["record/batch"][1]), path, "-o", svg)
    labels = set(got[i] for i in tgt[1])
    body = open(svg, encoding="utf-8").read() if pl.returncode == 0 else ""
    check(pl.returncode == 0 and all(w.replace("<", "&lt;") in body for w in labels),
          "plot batch: the true words are the labels", pl.stderr)
    rep = os.path.join(T, "rep")
    rp = run("report", path, "-o", rep)
    html = open(os.path.join(rep, "batch-%d.html" % f["record/batch"][1])).read() \
        if rp.returncode == 0 else ""
    cells = re.findall(r'<td class="b">([^<]*)</td>', html)
    want = [got[i].replace("<", "&lt;").replace(">", "&gt;") for i in tgt[1]]
    check(cells[0::2] == want, "report: the table of steps shows the true words", rp.stderr)
    return path


def test_utf8():
    chars = ["é", "ü", "日", "本", "語", "a", "b", " ", "\n", "€", "𝄞"]
    rng = np.random.default_rng(2)
    text = "".join(chars[i] for i in rng.integers(0, len(chars), 3000))
    with open(os.path.join(T, "u.txt"), "w", encoding="utf-8") as fh:
        fh.write(text)
    path = record("u.h5", "u.txt", "--tokens", "utf8", "--hidden", 16, "--batches", 30,
                  "--record-every", 10, "--save-params")
    f = h5py.File(path, "r")
    got = vocab_text(f)
    want = sorted(set(text))
    check(got == want, "utf8: /model/vocab_text is the sorted distinct code points", got)
    index = {c: i for i, c in enumerate(want)}
    ids = [index[c] for c in text]
    n = f["model"].attrs["seq_len"]
    inp, pos = f["record/input"][()], f["record/position"][()]
    check(all(np.array_equal(inp[r], ids[p:p + n]) for r, p in enumerate(pos)),
          "utf8: the recorded inputs are the code points' ids")
    check(all("".join(got[i] for i in inp[r]) == text[p:p + n] for r, p in enumerate(pos)),
          "utf8 round trip: ids -> text is the corpus' own text (nothing joins code points)")
    s = run("summarize", path).stdout.decode().splitlines()
    head = s[0].split("\t")
    esc = {"\n": "\\n", " ": " "}
    rows = [l.split("\t") for l in s[1:]]
    tgt = f["record/target"][()]
    ok = all(row[head.index("target")] == esc.get(got[tgt[k][int(row[head.index("max_step")])]],
                                                  got[tgt[k][int(row[head.index("max_step")])]])
             for k, row in enumerate(rows))
    check(ok, "summarize: target is the code point (multi-byte ones as UTF-8, \\n escaped)", s)
    smp = run("sample", "-n", 40, path).stdout.decode("utf-8")
    check(len(smp) == 40 and set(smp) <= set(want), "sample -n 40: 40 code points of the run")
    with open(os.path.join(T, "held.txt"), "w", encoding="utf-8") as fh:
        fh.write(text[:500][::-1])
    with open(os.path.join(T, "heldbad.txt"), "w", encoding="utf-8") as fh:
        fh.write(text[:100] + "Ω")
    vp = run("record", "u.txt", "--tokens", "utf8", "--valid", "held.txt", "--valid-every", 10,
             "--hidden", 8, "--batches", 21, "-o", "uv.h5", "--quiet")
    check(vp.returncode == 0 and h5py.File(os.path.join(T, "uv.h5"), "r")["valid/loss"].shape == (3,),
          "utf8 --valid FILE: tokenized with the run's code points, /valid every 10 batches",
          vp.stderr)
    vb = run("record", "u.txt", "--tokens", "utf8", "--valid", "heldbad.txt", "--batches", 5,
             "-o", "uvb.h5", "--quiet")
    check(vb.returncode == 1 and b"code point 100" in vb.stderr and
          not os.path.exists(os.path.join(T, "uvb.h5")),
          "utf8 --valid FILE with a code point the corpus lacks: one line naming it, no file",
          vb.stderr)


def test_ids():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 400, 3000)
    with h5py.File(os.path.join(T, "ids.h5"), "w") as g:
        g["corpus/ids"] = ids.astype(np.int16)
        g["floats"] = ids.astype(float)
        g["matrix"] = ids.reshape(30, 100)
        g["small"] = ids % 7
    with open(os.path.join(T, "vocab.txt"), "w") as fh:
        fh.write("".join("t%d\n" % i for i in range(450)))
    path = record("i.h5", "--token-ids", "ids.h5:/corpus/ids", "--token-vocab", "vocab.txt",
                  "--hidden", 8, "--batches", 30, "--record-every", 10, "--save-params")
    f = h5py.File(path, "r")
    got = vocab_text(f)
    inp, pos = f["record/input"][()], f["record/position"][()]
    check(got == ["t%d" % i for i in range(450)] and f["model"].attrs["vocab_size"] == 450,
          "--token-ids with --token-vocab: V is the file's 450 lines, the texts its lines")
    check(all(np.array_equal(inp[r], ids[p:p + 25]) for r, p in enumerate(pos)),
          "--token-ids: the recorded inputs are the dataset's ids (int16 read as ids)")
    s = run("summarize", path).stdout.decode().splitlines()
    check(all(re.match(r"t\d+$", l.split("\t")[5]) for l in s[1:]),
          "summarize: the targets are the vocabulary file's lines", s)
    pr = run("sample", "-n", 4, "--prime", "t1 t2", path).stdout.decode().split()
    check(pr[:2] == ["t1", "t2"] and len(pr) == 6 and all(t in got for t in pr),
          "sample --prime: the vocabulary's tokens in, tokens out", pr)
    p2 = record("i2.h5", "--token-ids", "ids.h5:/small", "--hidden", 8, "--batches", 10,
                "--record-every", 5)
    g = h5py.File(p2, "r")
    check(vocab_text(g) == [str(i) for i in range(7)],
          "--token-ids without a vocabulary: V = max id + 1, each id's text its decimal")
    text = " ".join(vocab_text(g)[i] for i in g["record/input"][0])
    check([int(t) for t in text.split()] == list(ids[:25] % 7),
          "ids round trip: ids -> text (one space) -> ids")


def test_resume():
    a = ("w.txt", "--tokens", "words", "--vocab-size", 50, "--hidden", 16, "--record-every", 7,
         "--save-params", "--save-hidden", "--sample-every", 11, "--valid-share", 0.2)
    for d in ("r1", "r2"):
        os.makedirs(os.path.join(T, d))
    one = record("r1/run.h5", *a, "--batches", 60)
    record("r2/run.h5", *a, "--batches", 25)
    two = record("r2/run.h5", *a, "--batches", 60, "--resume")
    f, g = h5py.File(one, "r"), h5py.File(two, "r")
    names = []
    f.visit(lambda n: names.append(n) if isinstance(f[n], h5py.Dataset) else None)
    diff = [n for n in names if n not in g or not np.array_equal(f[n][()], g[n][()])]
    check(len(names) > 20 and not diff, "words: a run resumed from its checkpoint (25 then 60 "
          "batches) has every dataset of the run done in one go", diff)
    p = run("record", "--quiet", "-o", "r2/run.h5", "--resume", *a[:3], "--vocab-size", 49,
            *a[5:], "--batches", 70)
    check(p.returncode == 1 and b"vocabulary size" in p.stderr,
          "... and resuming with another --vocab-size is refused (the identity covers it)",
          p.stderr)


def test_bad():
    cases = [
        ("an id not below the vocabulary", ("--token-ids", "ids.h5:/corpus/ids", "--token-vocab",
                                             "short.txt"), 1, "is not below the vocabulary's size 5"),
        ("a dataset of floats", ("--token-ids", "ids.h5:/floats"), 1, "not a dataset of integers"),
        ("a two-dimensional dataset", ("--token-ids", "ids.h5:/matrix"), 1, "not one-dimensional"),
        ("a missing dataset", ("--token-ids", "ids.h5:/nope"), 1, "no dataset /nope"),
        ("a missing file", ("--token-ids", "nofile.h5:/a"), 1, "cannot open nofile.h5"),
        ("no :/PATH", ("--token-ids", "ids.h5"), 1, "expected FILE.h5:/PATH"),
        ("--vocab-size 0", ("w.txt", "--tokens", "words", "--vocab-size", 0), 2, "at least 2"),
        ("--vocab-size 1", ("w.txt", "--tokens", "words", "--vocab-size", 1), 2, "at least 2"),
        ("--vocab-size with utf8", ("u.txt", "--tokens", "utf8", "--vocab-size", 9), 2,
         "goes with --tokens words"),
        ("an unknown kind", ("w.txt", "--tokens", "bpe"), 2, "expected bytes, utf8 or words"),
        ("text that is not UTF-8", ("bin.dat", "--tokens", "utf8"), 1, "is not valid UTF-8"),
        ("--token-ids and a corpus", ("w.txt", "--token-ids", "ids.h5:/small"), 2,
         "give no corpus files"),
        ("--valid FILE with --token-ids", ("--token-ids", "ids.h5:/small", "--valid", "w.txt"), 2,
         "--valid-share"),
        ("too few words for --seq-len", ("two.txt", "--tokens", "words"), 1, "corpus has 2 words"),
    ]
    with open(os.path.join(T, "short.txt"), "w") as fh:
        fh.write("a\nb\nc\nd\ne\n")
    with open(os.path.join(T, "bin.dat"), "wb") as fh:
        fh.write(b"abc\xff\xfe" * 20)
    with open(os.path.join(T, "two.txt"), "w") as fh:
        fh.write("two words\n")
    for what, args, status, msg in cases:
        p = run("record", "--quiet", "--batches", 5, "-o", "bad.h5", *args)
        err = p.stderr.decode()
        left = [n for n in os.listdir(T) if n.startswith("bad.h5")]
        check(p.returncode == status and len(err.splitlines()) == 1 and msg in err and not left,
              "%s: one line, status %d, no file left" % (what, status), lambda: (p.returncode, err, left))


def test_bytes():
    with open(os.path.join(T, "c.txt"), "w") as fh:
        fh.write("".join("line %d of the byte corpus\n" % i for i in range(300)))
    a = record("b1.h5", "c.txt", "--hidden", 8, "--batches", 30, "--record-every", 10,
               "--save-params")
    b = record("b2.h5", "c.txt", "--hidden", 8, "--batches", 30, "--record-every", 10,
               "--save-params", "--tokens", "bytes")
    f, g = h5py.File(a, "r"), h5py.File(b, "r")
    names = []
    f.visit(lambda n: names.append(n) if isinstance(f[n], h5py.Dataset) else None)
    same = all(n in g and np.array_equal(f[n][()], g[n][()]) for n in names)
    check(same and "tokens" not in f["model"].attrs and "corpus_tokens" not in f.attrs and
          "model/vocab_text" not in f and f["model/vocab"].dtype == np.uint8,
          "--tokens bytes is the default: /model/vocab uint8, no tokens attribute, same datasets")


def test_mix():
    """A mix of components over words (V past 256): the trainer's token rows
    (it crashed before), the readers per component, ablate of words and code
    points."""
    text = zipf_text(3000, 500, 3)
    with open(os.path.join(T, "mw.txt"), "w") as fh:
        fh.write(text)
    path = record("mw.h5", "mw.txt", "--cell", "rnn,lstm", "--tokens", "words", "--vocab-size",
                  300, "--hidden", 8, "--seq-len", 10, "--batches", 20, "--record-every", 9,
                  "--save-params")
    f = h5py.File(path, "r")
    vocab, ids = words_vocab(text, 300)
    inp = f["record/input"][()]
    pos = f["record/position"][()]
    check(vocab_text(f) == vocab and all(np.array_equal(inp[r], ids[p:p + 10])
                                         for r, p in enumerate(pos)),
          "mix of words: the records' inputs are the tokenizer's ids")
    s = run("summarize", "--component", "lstm", "mw.h5").stdout.decode().splitlines()
    rows = [dict(zip(s[0].split("\t"), line.split("\t"))) for line in s[1:]]
    check(len(rows) == len(pos) and all(r["target"] in vocab for r in rows),
          "mix of words: summarize --component lstm prints words", s)
    p = run("ablate", "--batch", 9, "--text", "mw.txt", "mw.h5")
    rows = p.stdout.decode().splitlines()
    check(p.returncode == 0 and len(rows) == 3 and rows[1].startswith("rnn\t") and
          rows[2].startswith("lstm\t") and int(rows[1].split("\t")[3]) == len(ids) - 1,
          "mix of words: ablate --text scores the text's words (all of them)", p.stderr)
    check_ablate_words(text)
    check_ablate_utf8()


def check_ablate_words(text):
    """ablate of a words mix recorded with --valid-share: loss_full is the
    run's /valid loss at each record (the last N tokens, <unk> for the rest)."""
    path = record("mv.h5", "mw.txt", "--cell", "rnn,gru", "--tokens", "words", "--vocab-size",
                  150, "--hidden", 8, "--seq-len", 10, "--batches", 28, "--record-every", 9,
                  "--save-params", "--valid-share", 0.1, "--valid-every", 9)
    f = h5py.File(path, "r")
    _, ids = words_vocab(text, 150)
    vb, vl = list(f["valid/batch"][()]), f["valid/loss"][()]
    bad = []
    for b in f["record/batch"][()]:
        p = run("ablate", "--batch", int(b), "mv.h5")
        rows = [r.split("\t") for r in p.stdout.decode().splitlines()]
        want = float(vl[vb.index(b)]) if b in vb else float("nan")
        if p.returncode or len(rows) != 3 or abs(float(rows[1][4]) - want) > 1e-5 * want:
            bad.append("batch %d: %s; /valid %g %s" % (b, rows, want, p.stderr.decode()))
    check(not bad and int(f["valid"].attrs["bytes"]) == int(0.1 * len(ids)) and
          0 in ids[-int(0.1 * len(ids)):],
          "mix of words, --valid-share: ablate's loss_full = /valid's loss at each record "
          "(the held-out last N words, <unk> among them)", "\n".join(bad))


def check_ablate_utf8():
    """ablate of a utf8 mix: a code point the run lacks is one line."""
    with open(os.path.join(T, "mu.txt"), "w", encoding="utf-8") as fh:
        fh.write("äöü ßé " * 40)
    with open(os.path.join(T, "mx.txt"), "w", encoding="utf-8") as fh:
        fh.write("äö€ü")
    record("mu.h5", "mu.txt", "--cell", "rnn,gru", "--tokens", "utf8", "--hidden", 4,
           "--seq-len", 8, "--batches", 5, "--record-every", 4, "--save-params",
           "--valid-share", 0.2, "--valid-every", 4)
    record("mi.h5", "--token-ids", "ids.h5:/corpus/ids", "--cell", "rnn,gru", "--hidden", 4,
           "--seq-len", 8, "--batches", 5, "--record-every", 4, "--save-params",
           "--valid-share", 0.1, "--valid-every", 4)
    bad = []
    for name in ("mu.h5", "mi.h5"):
        f = h5py.File(os.path.join(T, name), "r")
        want = float(f["valid/loss"][list(f["valid/batch"][()]).index(4)])
        p = run("ablate", "--batch", 4, name)
        rows = [r.split("\t") for r in p.stdout.decode().splitlines()]
        if p.returncode or len(rows) != 3 or abs(float(rows[1][4]) - want) > 1e-5 * want:
            bad.append("%s: %s; /valid %g %s" % (name, rows, want, p.stderr.decode()))
    check(not bad, "mixes of code points and of token ids, --valid-share: ablate's loss_full "
          "= /valid's", "\n".join(bad))
    p = run("ablate", "--batch", 4, "--text", "mu.txt", "mu.h5")
    check(p.returncode == 0 and len(p.stdout.decode().splitlines()) == 3 and
          int(p.stdout.decode().splitlines()[1].split("\t")[3]) == 7 * 40 - 1,
          "mix of code points: ablate --text scores its code points", p.stderr)
    p = run("ablate", "--batch", 4, "--text", "mx.txt", "mu.h5")
    err = p.stderr.decode()
    check(p.returncode == 1 and len(err.splitlines()) == 1 and "code point 2" in err,
          "mix of code points: ablate refuses a code point the run lacks in one line", err)

def cut(word, most=8):
    """plot hidden's label of a word: up to `most` characters, the last an
    ellipsis when cut (plots/toklabel.h)."""
    return word if len(word) <= most else word[:most - 1] + "\u2026"


def test_figures():
    """plot hidden's labels and view's embedded data hold the words (with
    '<', '&' and '"' in them), not '?'."""
    import base64
    import xml.etree.ElementTree as ET
    lex = ["alpha", "</script>", 'a"b', "x&y", "supercalifragilistic", "<b>", "gamma"]
    rng = np.random.default_rng(5)
    text = "\n".join(" ".join(lex[i] for i in rng.integers(0, len(lex), 10))
                     for _ in range(40)) + "\n"
    with open(os.path.join(T, "fw.txt"), "w") as fh:
        fh.write(text)
    path = record("fw.h5", "fw.txt", "--tokens", "words", "--hidden", 6, "--seq-len", 12,
                  "--batches", 10, "--record-every", 3, "--save-hidden")
    f = h5py.File(path, "r")
    vocab = vocab_text(f)
    r = list(f["record/batch"][()]).index(3)
    x = [vocab[i] for i in f["record/input"][r]]
    p = run("plot", "hidden", "--batch", 3, "fw.h5", "-o", "fw.svg")
    got, want = None, None
    if p.returncode == 0:
        root = ET.parse(os.path.join(T, "fw.svg")).getroot()  # escaped: it parses
        texts = ["".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text")]
        m = [re.search(r"every (\d+)-th", t) for t in texts]
        every = next((int(k.group(1)) for k in m if k), 1)
        want = [cut(w) for w in x[::every]]
        got = [t for t in texts if t in set(cut(w) for w in lex)]
    check(p.returncode == 0 and got == want and "?" not in got,
          "plot hidden of words: the labels are the input words, cut to 8 characters with an "
          "ellipsis, '<', '&', '\"' escaped", (p.stderr, got, want))
    p = run("view", "fw.h5", "-o", "fw.html")
    html = open(os.path.join(T, "fw.html"), encoding="utf-8").read() if not p.returncode else ""

    def script(sid):
        k = re.search(r'<script type="[^"]*" id="%s">(.*?)</script>' % sid, html, re.S)
        return k.group(1) if k else ""
    ok = False
    try:
        meta, tok = json.loads(script("run-0")), json.loads(script("tok-0"))
        n = meta["n"]
        rec = base64.b64decode("".join(script("rec-0").split()))
        size = 16 + 8 * n + 2 * n
        ids = np.frombuffer(rec[size * r + 16:size * r + 16 + 8 * n], dtype="<i4")
        words = [tok[str(i)] for i in ids]
        ok = meta["tokens"] == "words" and \
            words[:n] == [vocab[i] for i in f["record/target"][r]] and \
            words[n:] == [vocab[i] for i in f["record/predicted"][r]] and \
            all(tok[k] == vocab[int(k)] for k in tok) and "</script>" in tok.values()
    except (ValueError, KeyError, IndexError) as e:
        meta = e
    check(ok, "view of words: the records hold the tokens' ids, #tok-0 their words (JSON, "
          "'</script>' escaped)", (p.stderr, meta))


def dict_of(path):
    """train.dict's lines as (token, id)."""
    with open(path, encoding="utf-8") as fh:
        return [tuple(line.rsplit(" ", 1)) for line in fh.read().splitlines()]


def export(run_file, out, *args):
    p = run("export", "lstmvis", run_file, "-o", out, "--batch", 10, *args)
    d = os.path.join(T, out)
    if p.returncode:
        return None, None, p.stderr.decode()
    with h5py.File(os.path.join(d, "train.hdf5"), "r") as g, \
            h5py.File(os.path.join(d, "states.hdf5"), "r") as st:
        ok = all(st[k].shape[0] == g["word_ids"].shape[0] for k in st)
        return dict_of(os.path.join(d, "train.dict")), g["word_ids"][()], \
            "" if ok else "states' rows differ"


def test_lstmvis():
    """export lstmvis of words, code points and ids: train.dict holds the
    tokenizer's words and ids, train.hdf5 its ids of the text."""
    text = zipf_text(2000, 200, 7)
    with open(os.path.join(T, "lw.txt"), "w") as fh:
        fh.write(text)
    record("lw.h5", "lw.txt", "--tokens", "words", "--vocab-size", 120, "--hidden", 6,
           "--seq-len", 10, "--batches", 11, "--record-every", 10, "--save-params")
    vocab, ids = words_vocab(text, 120)
    d, w, err = export("lw.h5", "lw")
    check(d == [(t, str(i)) for i, t in enumerate(vocab)] and w is not None and
          np.array_equal(w, ids) and not err,
          "export lstmvis of words: train.dict is the tokenizer's words with their ids, "
          "word_ids its ids of the corpus", err)
    d, w, err = export("lw.h5", "lw2", "--text", "mw.txt", "--steps", 50)
    with open(os.path.join(T, "mw.txt")) as fh:
        want = [vocab.index(x) if x in vocab else 0 for x in fh.read().split()][:50]
    check(w is not None and list(w) == want,
          "export lstmvis --text of a words run: its words' ids (<unk> for the others)", err)
    utext = "ä ö\nü €é " * 60
    with open(os.path.join(T, "lu.txt"), "w", encoding="utf-8") as fh:
        fh.write(utext)
    record("lu.h5", "lu.txt", "--tokens", "utf8", "--hidden", 4, "--seq-len", 8,
           "--batches", 11, "--record-every", 10, "--save-params")
    cps = sorted(set(utext))
    names = {" ": "<sp>", "\n": "<nl>"}
    d, w, err = export("lu.h5", "lu")
    check(d == [(names.get(c, c), str(i)) for i, c in enumerate(cps)] and w is not None and
          list(w) == [cps.index(c) for c in utext],
          "export lstmvis of code points: train.dict the sorted code points (<sp>, <nl>), "
          "word_ids each one's id", (d, err))
    record("li.h5", "--token-ids", "ids.h5:/corpus/ids", "--token-vocab", "vocab.txt",
           "--hidden", 6, "--batches", 11, "--record-every", 10, "--save-params")
    with h5py.File(os.path.join(T, "ids.h5"), "r") as g:
        given = g["corpus/ids"][()]
    d, w, err = export("li.h5", "li")
    check(d == [("t%d" % i, str(i)) for i in range(450)] and w is not None and
          np.array_equal(w, given),
          "export lstmvis of token ids: train.dict the vocabulary file's lines, word_ids the "
          "dataset's ids", err)
    p = run("export", "lstmvis", "li.h5", "-o", "li3", "--batch", 10, "--text", "lw.txt")
    err = p.stderr.decode()
    check(p.returncode == 1 and len(err.splitlines()) == 1 and "--text" in err,
          "export lstmvis --text of a token-ids run: refused in one line", err)


try:
    tap.section("words", test_words)
    tap.section("utf8", test_utf8)
    tap.section("token ids", test_ids)
    tap.section("resume", test_resume)
    tap.section("bad input", test_bad)
    tap.section("bytes", test_bytes)
    tap.section("mix", test_mix)
    tap.section("figures", test_figures)
    tap.section("lstmvis", test_lstmvis)
finally:
    shutil.rmtree(T, ignore_errors=True)
sys.exit(tap.summary())
