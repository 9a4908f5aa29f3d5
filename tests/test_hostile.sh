#!/bin/sh
# test_hostile.sh - readers against broken files: a finished run and a
# killed one truncated at many offsets, bit flips (1, 4 or 32 bits), a
# deleted dataset, a dataset of the wrong shape, /model attributes that
# lie, an HDF5 file of another kind, an empty file, a directory and a FIFO.
# Each reader must answer within 10 s with exit 0 (the damage missed what
# it reads) or 1 and one line on stderr, never a crash or a hang. A cut
# copy read with exit 0 must give exactly what the reader gives on the
# uncut run restricted to the rows whose bytes the cut left whole (an
# oracle in h5py, from the uncut file's chunk addresses): never a zero
# that was not written. The corpus is made here from a fresh run with a
# fixed seed, so it is the same on every machine.
# Usage: sh tests/test_hostile.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

cat "$ROOT"/libcore/*.c >"$T/c.txt"
"$BIN" record "$T/c.txt" -o "$T/good.h5" --quiet --hidden 16 --seq-len 10 --batches 300 --record-every 10
# a killed run: flagged as being written, its end of file past its bytes
"$BIN" record "$T/c.txt" -o "$T/killed.h5" --quiet --hidden 16 --seq-len 10 \
	--batches 100000000 --record-every 1 &
pid=$!
i=0
while [ $i -lt 300 ] && [ "$(stat -c %s "$T/killed.h5" 2>/dev/null || echo 0)" -lt 400000 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -KILL $pid
wait $pid 2>/dev/null
mkdir "$T/cases" "$T/ref"
$PY - "$T/good.h5" "$T/killed.h5" "$T/cases" "$T/ref" <<'PY'
import os, random, shutil, subprocess, sys, h5py, numpy as np
good, killed, out, ref = sys.argv[1:5]
random.seed(1)

def datasets(f):
    found = []
    f.visititems(lambda n, o: found.append(o) if isinstance(o, h5py.Dataset) else None)
    return found

def present(d, end):
    """Leading rows of d whose bytes all lie before file offset end."""
    rows = d.shape[0] if d.shape else 0
    if rows == 0:
        return 0
    row = d.dtype.itemsize * int(np.prod(d.shape[1:]))
    layout = d.id.get_create_plist().get_layout()
    if layout == h5py.h5d.COMPACT:
        return rows
    if layout == h5py.h5d.CONTIGUOUS:
        off = d.id.get_offset()
        return rows if off is not None and off + rows * row <= end else 0
    c = d.chunks
    filtered = d.id.get_create_plist().get_nfilters() > 0
    whole = all(c[i] >= d.shape[i] for i in range(1, len(c)))
    for r0 in range(0, rows, c[0]):
        want = min(c[0], rows - r0)
        least = want
        for origin in np.ndindex(*[-(-d.shape[i] // c[i]) for i in range(1, len(c))]):
            info = d.id.get_chunk_info_by_coord((r0,) + tuple(o * c[i + 1] for i, o in enumerate(origin)))
            a = info.byte_offset
            if a is None or a > end:
                have = 0
            elif a + info.size <= end:
                have = want
            elif filtered or not whole:
                have = 0
            else:
                have = min(want, (end - a) // row)
            least = min(least, have)
        if least < want:
            return r0 + least
    return rows

def oracle(src, end):
    """Rows per top-level group that a cut at end leaves whole."""
    with h5py.File(src, "r", swmr=True) as f:
        return tuple(sorted((g, min([present(d, end) for d in datasets(f[g])] or [0]))
                            for g in f if g != "model" and isinstance(f[g], h5py.Group)))

def restricted(src, rows):
    """The uncut run src with each group cut to its rows, as a clean file."""
    path = os.path.join(ref, "%s_%s.h5" % (os.path.basename(src)[:-3],
                                         "_".join("%s%d" % gr for gr in rows)))
    if not os.path.exists(path):
        shutil.copy(src, path)
        subprocess.run(["h5clear", "-s", "--increment", path], check=True, capture_output=True)
        with h5py.File(path, "r+") as f:
            for g, k in rows:
                for d in datasets(f[g]):
                    d.resize(min(k, d.shape[0]), axis=0)
    return path

def cut(src, prefix, offsets):
    data = open(src, "rb").read()
    for off in sorted(set(o for o in offsets if 0 <= o < len(data))):
        name = "%s_%07d.h5" % (prefix, off)
        open(os.path.join(out, name), "wb").write(data[:off])
        os.mkdir(os.path.join(ref, name))  # the reader's twin: same name, restricted data
        os.symlink(restricted(src, oracle(src, off)), os.path.join(ref, name, name))

def inside_data(src, paths):
    """Offsets inside the first data chunks: the cuts that read as zeros."""
    offs = []
    with h5py.File(src, "r", swmr=True) as f:
        for p in paths:
            d = f[p]
            for r0 in range(0, d.shape[0], d.chunks[0])[:3]:
                info = d.id.get_chunk_info_by_coord((r0,) + (0,) * (d.ndim - 1))
                if info.byte_offset is not None:
                    offs += [info.byte_offset + info.size // 2, info.byte_offset + 1]
    return offs

n = os.path.getsize(good)
cut(good, "trunc", [0, 1, 7, 8, 100, 512, 200000, 1024, 2048, 4096, n // 2, n - 1] +
    [random.randrange(n) for _ in range(20)] + inside_data(good, ["record/itemized", "train/loss"]))
k = os.path.getsize(killed)
cut(killed, "ktrunc", [8, 48, 4096, k // 3, k // 2, k - 1] +
    [random.randrange(k) for _ in range(6)] + inside_data(killed, ["record/itemized", "record/batch"]))
os.mkdir(os.path.join(ref, "killed.h5"))
shutil.copy(killed, os.path.join(out, "killed.h5"))
os.symlink(restricted(killed, oracle(killed, k)), os.path.join(ref, "killed.h5", "killed.h5"))
data = open(good, "rb").read()
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

# read_case FILE OUT CMD: runs the reader command CMD on FILE from the
# file's directory (so paths in the output are the same for a case and its
# twin), stdout into OUT.out, stderr into OUT.err
read_case() {
	# shellcheck disable=SC2086
	(cd "$(dirname "$1")" && timeout 10 "$BIN" $3 "$(basename "$1")" >"$2.out" 2>"$2.err")
}
total=0 bad=0 same=0 cuts=0
for f in "$T"/cases/*; do
	for cmd in "info" "summarize" "horizon" "horizon --per-batch" "plot overview -o $T/x.png" \
		"sample -n 5" "diagnose --overall"; do
		total=$((total + 1))
		read_case "$f" "$T/r" "$cmd"
		rc=$?
		lines=$(wc -l <"$T/r.err")
		name=${cmd%% *}
		if { [ $rc -ne 0 ] && [ $rc -ne 1 ]; } || [ "$lines" -gt 1 ] ||
			{ [ $rc -eq 1 ] && ! grep -q "^rnnbow $name: " "$T/r.err"; }; then
			bad=$((bad + 1))
			echo "# $(basename "$f") [$cmd]: exit $rc, $lines lines: $(head -c 200 "$T/r.err")"
			continue
		fi
		twin=$T/ref/$(basename "$f")/$(basename "$f")
		if [ $rc -ne 0 ] || [ ! -e "$twin" ]; then continue; fi
		# read with exit 0: the same output as on the rows the cut left whole
		read_case "$twin" "$T/t" "$(echo "$cmd" | sed "s/x\.png\$/y.png/")"
		grep -v '^size:' "$T/r.out" >"$T/r.cmp"
		grep -v '^size:' "$T/t.out" >"$T/t.cmp"
		if ! cmp -s "$T/r.cmp" "$T/t.cmp" ||
			{ [ "$name" = plot ] && ! cmp -s "$T/x.png" "$T/y.png"; }; then
			bad=$((bad + 1))
			echo "# $(basename "$f") [$cmd]: exit 0, but not what the rows left whole give:"
			diff "$T/r.cmp" "$T/t.cmp" | head -n 4 | sed 's/^/#   /'
		else
			same=$((same + 1))
			case $(basename "$f") in ktrunc_*) [ -s "$T/r.out" ] && cuts=$((cuts + 1)) ;; esac
		fi
		rm -f "$T/x.png" "$T/y.png"
	done
done
check "$total reader runs on $(ls "$T/cases" | wc -l) broken files: exit 0 or 1 within 10 s, one line; $same read cut files exactly as the rows left whole" [ "$bad" -eq 0 ]
check "cut copies of a killed run are read up to their last whole row ($cuts reader runs)" [ "$cuts" -gt 20 ]
expect_fail 1 "a cut copy of a finished run is refused" "$BIN" summarize "$T/cases/trunc_0200000.h5"
check "... as truncated, with its sizes" sh -c \
	"'$BIN' summarize '$T/cases/trunc_0200000.h5' 2>&1 | grep -q 'truncated: 200000 of [0-9]* bytes\$'"
check "... on stdin too" sh -c \
	"'$BIN' summarize - <'$T/cases/trunc_0200000.h5' 2>&1 | grep -q 'truncated: 200000 of [0-9]* bytes\$'"
check "a cut inside the HDF5 signature is truncated, not another kind of file" sh -c \
	"'$BIN' info '$T/cases/trunc_0000007.h5' 2>&1 | grep -q 'truncated: 7 bytes'"
check "a cut inside the superblock is named so" sh -c \
	"'$BIN' info '$T/cases/trunc_0000008.h5' 2>&1 | grep -q 'truncated: 8 bytes, cut inside the HDF5 superblock'"
check "a cut in the metadata is truncated, not 'not an rnnbow run'" sh -c \
	"'$BIN' info '$T/cases/trunc_0000512.h5' 2>&1 | grep -q 'truncated: 512 of [0-9]* bytes'"
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
# (every record up to the one it could not write: with unit_flow and
# /record/diag a record of H = 32 is some 6.6 KB, so the 1 MB limit holds
# about 40)
check "... and the records written before it are readable" sh -c \
	"b=\$(sed -n 's/.*cannot write record of batch \\([0-9]*\\):.*/\\1/p' '$T/full.err') &&
	 [ \"\$b\" -gt 20 ] && '$BIN' summarize '$T/full.h5' | awk -v b=\"\$b\" 'END { exit !(NR - 1 == b) }'"
finish
