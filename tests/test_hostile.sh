#!/bin/sh
# test_hostile.sh - readers against broken files: a run truncated at many
# offsets, bit flips (1, 4 or 32 bits), a deleted dataset, a dataset of the
# wrong shape, /model attributes that lie, an HDF5 file of another kind, an
# empty file, a directory and a FIFO. Each reader must answer within 10 s
# with exit 0 (the damage missed what it reads) or 1 and one line on
# stderr, never a crash or a hang. The corpus is made here from a fresh run
# with a fixed seed, so it is the same on every machine.
# Usage: sh tests/test_hostile.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

cat "$ROOT"/libcore/*.c >"$T/c.txt"
"$BIN" record "$T/c.txt" -o "$T/good.h5" --quiet --hidden 16 --seq-len 10 --batches 300 --record-every 10
mkdir "$T/cases"
$PY - "$T/good.h5" "$T/cases" <<'PY'
import os, random, shutil, sys, h5py, numpy as np
good, out = sys.argv[1], sys.argv[2]
random.seed(1)
data = open(good, "rb").read()
n = len(data)
for off in sorted(set([0, 1, 7, 8, 100, 512, 1024, 2048, 4096, n // 2, n - 1] +
                      [random.randrange(n) for _ in range(20)])):
    open(os.path.join(out, "trunc_%07d.h5" % off), "wb").write(data[:off])
for i in range(40):
    b = bytearray(data)
    for _ in range(random.choice([1, 4, 32])):
        p = random.randrange(n)
        b[p] ^= 1 << random.randrange(8)
    open(os.path.join(out, "flip_%02d.h5" % i), "wb").write(bytes(b))
def variant(name, edit):
    path = os.path.join(out, name)
    shutil.copy(good, path)
    with h5py.File(path, "r+") as f:
        edit(f)
variant("nodset.h5", lambda f: f.__delitem__("record/itemized"))
def reshape(f):
    del f["record/truncation_error"]
    f["record/truncation_error"] = np.zeros((3, 7), np.float32)
variant("shape.h5", reshape)
variant("seqlen.h5", lambda f: f["model"].attrs.modify("seq_len", 1000))
variant("vocab.h5", lambda f: f["model"].attrs.modify("vocab_size", 100000))
with h5py.File(os.path.join(out, "other.h5"), "w") as f:
    f["x"] = [1, 2, 3]
open(os.path.join(out, "empty.h5"), "wb").close()
os.mkdir(os.path.join(out, "dir.h5"))
os.mkfifo(os.path.join(out, "fifo.h5"))
PY

total=0 bad=0
for f in "$T"/cases/*; do
	for cmd in "info" "summarize" "horizon" "horizon --per-batch" "plot overview -o $T/x.png"; do
		total=$((total + 1))
		# shellcheck disable=SC2086
		timeout 10 "$BIN" $cmd "$f" >/dev/null 2>"$T/err"
		rc=$?
		lines=$(wc -l <"$T/err")
		name=${cmd%% *}
		if { [ $rc -ne 0 ] && [ $rc -ne 1 ]; } || [ "$lines" -gt 1 ] ||
			{ [ $rc -eq 1 ] && ! grep -q "^rnnbow $name: " "$T/err"; }; then
			bad=$((bad + 1))
			echo "# $(basename "$f") [$cmd]: exit $rc, $lines lines: $(head -c 200 "$T/err")"
		fi
	done
done
check "$total reader runs on $(ls "$T/cases" | wc -l) broken files: exit 0 or 1 within 10 s, one line" [ "$bad" -eq 0 ]
expect_fail 1 "a deleted dataset is named" "$BIN" summarize "$T/cases/nodset.h5"
check "... as missing /record/itemized" sh -c "'$BIN' summarize '$T/cases/nodset.h5' 2>&1 | grep -q 'no /record/itemized'"
check "a dataset of the wrong shape is refused" sh -c \
	"'$BIN' horizon --per-batch '$T/cases/shape.h5' 2>&1 | grep -q 'shape that does not match'"
check "a seq_len that lies is caught by the shapes" sh -c \
	"'$BIN' summarize '$T/cases/seqlen.h5' 2>&1 | grep -q 'does not match'"
check "an out-of-range vocab_size is refused" sh -c \
	"'$BIN' summarize '$T/cases/vocab.h5' 2>&1 | grep -q 'out of range'"
check "a FIFO is refused without blocking" sh -c \
	"timeout 5 '$BIN' info '$T/cases/fifo.h5' 2>&1 | grep -q 'not a regular file'"
check "an empty file is not an HDF5 file" sh -c "'$BIN' info '$T/cases/empty.h5' 2>&1 | grep -q 'not an HDF5 file'"
check "another HDF5 file is not a run" sh -c "'$BIN' info '$T/cases/other.h5' 2>&1 | grep -q 'not an rnnbow run'"
# a full disk (a file size limit here): a clear error, and what was
# written before stays readable
(ulimit -f 2000; exec "$BIN" record "$T/c.txt" -o "$T/full.h5" --quiet --batches 100000 \
	--record-every 1 --hidden 32) 2>"$T/full.err"
rc=$?
check "a full disk stops record with exit 1 and one line naming the cause" sh -c \
	"[ $rc -eq 1 ] && [ \$(wc -l <'$T/full.err') -eq 1 ] && grep -qi 'file too large' '$T/full.err'"
check "... and the records written before it are readable" sh -c \
	"'$BIN' summarize '$T/full.h5' | awk 'END { exit !(NR > 100) }'"
finish
