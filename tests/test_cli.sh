#!/bin/sh
# test_cli.sh - the command line: help and exit codes, every bad input of
# the record issue (one-line error, non-zero exit, no file left behind),
# --force, stdin, info, determinism across runs (h5diff and bytes).
# Usage: sh tests/test_cli.sh ./rnnbow
set -u
. "$(dirname "$0")/lib.sh"

# a small corpus: 3 KB of varied text
i=0
while [ $i -lt 60 ]; do
	echo "line $i: the quick brown fox $((i * 7 % 13)) jumps over the lazy dog;" >>"$T/c.txt"
	i=$((i + 1))
done
R="--quiet --hidden 8 --seq-len 10 --batches 30 --record-every 5"

# --- help and exit codes ---
check "rnnbow --help exits 0 with usage on stdout" sh -c "'$BIN' --help | grep -q '^usage: rnnbow'"
expect_fail 2 "rnnbow with no command" "$BIN"
expect_fail 2 "unknown command" "$BIN" frobnicate
check "rnnbow help record prints the record usage" sh -c "'$BIN' help record | grep -q '^usage: rnnbow record'"
check "rnnbow record --help exits 0" sh -c "'$BIN' record --help >/dev/null"
check "rnnbow info --help exits 0" sh -c "'$BIN' info --help | grep -q '^usage: rnnbow info'"
check "--version" sh -c "'$BIN' --version | grep -q '^rnnbow [0-9]'"

# documented CMD: every option of CMD's table (--completion-helper lists
# them) is in `rnnbow CMD --help` (an option without help text is left out
# of it) and in man/rnnbow-CMD.1 (roff's \- and \fB read as plain text)
MAN=$(cd "$(dirname "$0")/../man" && pwd)
documented() {
	"$BIN" "$1" --completion-helper >"$T/opts" && [ -s "$T/opts" ] || return 1
	"$BIN" "$1" --help >"$T/help" || return 1
	sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' "$MAN/rnnbow-$1.1" >"$T/man" || return 1
	missing=""
	while read -r opt; do
		for doc in help man; do
			grep -q -e "\(^\|[^a-z0-9-]\)$opt\([^a-z0-9-]\|\$\)" "$T/$doc" ||
				missing="$missing $doc:$opt"
		done
	done <"$T/opts"
	[ -z "$missing" ] || echo "# rnnbow $1: not documented:$missing"
	[ -z "$missing" ]
}
for c in record summarize horizon plot report view info sample export diagnose units ablate; do
	check "rnnbow $c: every option of its table in --help and rnnbow-$c(1)" documented "$c"
done
check "rnnbow trace: every option of its table in --help and rnnbow-trace(1)" documented trace

# --- usage errors: one line that says where help is, and the nearest name ---
one_line() { # one_line CODE "what" TEXT COMMAND...: exit CODE, stderr one line holding TEXT
	code=$1 what=$2 text=$3
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$code" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$text" "$T/err"; then
		ok "$what: exit $rc, '$(cat "$T/err")'"
	else
		notok "$what: exit $rc (want $code), $(wc -l <"$T/err") lines on stderr (want 1 with '$text'): $(head -n 3 "$T/err")"
	fi
}
one_line 2 "a typo in an option suggests the option" \
	"rnnbow record: unknown option '--hiden' (did you mean --hidden?); see 'rnnbow record --help'" \
	"$BIN" record "$T/c.txt" -o "$T/o.h5" --hiden 8
one_line 2 "a swap of two letters is one edit" "(did you mean --top?)" "$BIN" summarize --tpo 3 "$T/c.txt"
one_line 2 "a start of several options names them all" "(did you mean --save-params or --save-hidden?)" \
	"$BIN" record "$T/c.txt" -o "$T/o.h5" --save
one_line 2 "a long option with one dash suggests the long option" "(did you mean --hidden?)" \
	"$BIN" record "$T/c.txt" -o "$T/o.h5" -hidden 8
one_line 2 "nothing close: no suggestion" "unknown option '--frobnicate'; see 'rnnbow record --help'" \
	"$BIN" record "$T/c.txt" -o "$T/o.h5" --frobnicate
one_line 2 "a bad value: one line" "--hidden: expected a whole number from 1 to 8192, got '0'; see 'rnnbow record --help'" \
	"$BIN" record "$T/c.txt" -o "$T/o.h5" --hidden 0
one_line 2 "a usage error found after parsing: one line" "; see 'rnnbow plot --help'" "$BIN" plot k "$T/c.txt"
one_line 2 "a typo in a command suggests the command" \
	"rnnbow: unknown command 'recrod' (did you mean record?); see 'rnnbow --help'" "$BIN" recrod
one_line 2 "rnnbow help with a typo" "(did you mean summarize?)" "$BIN" help sumarize
one_line 2 "no command: one line naming the commands" "no command given (record, summarize" "$BIN"

# --- bad input: error, exit status, nothing created ---
bad() { # bad CODE WHAT ARGS...: also checks that no output file appeared
	code=$1 what=$2
	shift 2
	rm -f "$T/o.h5"
	expect_fail "$code" "$what" "$BIN" record "$@"
	if [ -e "$T/o.h5" ]; then notok "$what: left $T/o.h5 behind"; fi
}
: >"$T/empty.txt"
printf 'short' >"$T/short.txt"
mkdir "$T/dir"
bad 1 "missing corpus" "$T/nope.txt" -o "$T/o.h5" $R
bad 1 "empty corpus" "$T/empty.txt" -o "$T/o.h5" $R
bad 1 "corpus shorter than seq-len+1" "$T/short.txt" -o "$T/o.h5" $R
bad 1 "a directory as corpus" "$T/dir" -o "$T/o.h5" $R
bad 2 "--hidden 0" "$T/c.txt" -o "$T/o.h5" --hidden 0
bad 2 "--seq-len -3" "$T/c.txt" -o "$T/o.h5" --seq-len -3
bad 2 "--lr abc" "$T/c.txt" -o "$T/o.h5" --lr abc
bad 2 "--lr 0" "$T/c.txt" -o "$T/o.h5" --lr 0
bad 2 "--batches 1.5" "$T/c.txt" -o "$T/o.h5" --batches 1.5
bad 2 "--clip -1" "$T/c.txt" -o "$T/o.h5" --clip -1
bad 2 "--seed with trailing junk" "$T/c.txt" -o "$T/o.h5" --seed 12x
bad 2 "--activation softsign" "$T/c.txt" -o "$T/o.h5" --activation softsign
bad 2 "--optimizer rmsprop" "$T/c.txt" -o "$T/o.h5" --optimizer rmsprop
bad 2 "--cell transformer" "$T/c.txt" -o "$T/o.h5" --cell transformer
bad 2 "--activation relu with --cell lstm" "$T/c.txt" -o "$T/o.h5" --cell lstm --activation relu
bad 2 "--forget-bias with --cell gru" "$T/c.txt" -o "$T/o.h5" --cell gru --forget-bias 2
bad 2 "--forget-bias with the vanilla cell" "$T/c.txt" -o "$T/o.h5" --forget-bias 2
bad 2 "--forget-bias abc" "$T/c.txt" -o "$T/o.h5" --cell lstm --forget-bias abc
bad 2 "--layers 0" "$T/c.txt" -o "$T/o.h5" --layers 0
bad 2 "--layers 65" "$T/c.txt" -o "$T/o.h5" --layers 65
bad 2 "unknown option" "$T/c.txt" -o "$T/o.h5" --frobnicate
bad 2 "option without its value" "$T/c.txt" -o "$T/o.h5" --hidden
bad 2 "no -o" "$T/c.txt" $R
bad 2 "-o - (stdout)" "$T/c.txt" -o - $R
bad 2 "stdin mixed with files" - "$T/c.txt" -o "$T/o.h5"
expect_fail 1 "output in a missing directory" "$BIN" record "$T/c.txt" -o "$T/no/such/dir/o.h5" $R
expect_fail 1 "output under a regular file" "$BIN" record "$T/c.txt" -o "$T/c.txt/o.h5" $R
expect_fail 1 "output is a directory" "$BIN" record "$T/c.txt" -o "$T/dir" $R

# --- existing output: refused without --force, untouched; replaced with it ---
echo "precious" >"$T/keep.h5"
expect_fail 1 "existing output without --force" "$BIN" record "$T/c.txt" -o "$T/keep.h5" $R
check "the existing file is untouched" grep -q precious "$T/keep.h5"
expect_fail 1 "--force on a file that is not a run" "$BIN" record "$T/c.txt" -o "$T/keep.h5" $R --force
check "... leaves it untouched too" grep -q precious "$T/keep.h5"
: >"$T/empty.h5"
check "--force replaces an empty file with a run" sh -c "'$BIN' record '$T/c.txt' -o '$T/empty.h5' $R --force && h5dump -H '$T/empty.h5' >/dev/null"
check "--force replaces a run with a run" sh -c "'$BIN' record '$T/c.txt' -o '$T/empty.h5' $R --force --seed 3 && h5dump -H '$T/empty.h5' >/dev/null"

# --- a good run; stdin; the built-in corpus ---
check "record exits 0 and writes a run" "$BIN" record "$T/c.txt" -o "$T/a.h5" $R
check "record - reads the corpus from stdin" sh -c "'$BIN' record - -o '$T/stdin.h5' $R <'$T/c.txt'"
check "stdin and file give the same datasets" h5diff --exclude-path /record/batch "$T/a.h5" "$T/stdin.h5" /record
check "no corpus: the built-in corpus, announced on stderr" sh -c \
	"'$BIN' record -o '$T/builtin.h5' --hidden 8 --batches 5 2>&1 >/dev/null | grep -q 'built-in corpus'"
check "--record-every 0 records nothing" sh -c \
	"'$BIN' record '$T/c.txt' -o '$T/none.h5' --quiet --batches 10 --record-every 0 &&
	 '$BIN' info '$T/none.h5' | grep -q 'record:  none'"
check "--quiet prints nothing" sh -c "'$BIN' record '$T/c.txt' -o '$T/q.h5' $R 2>&1 | wc -c | grep -qx 0"
check "without --quiet, progress is a log line on a non-terminal" sh -c \
	"'$BIN' record '$T/c.txt' -o '$T/p.h5' --hidden 8 --seq-len 10 --batches 30 2>&1 >/dev/null | grep -q '30 batches'"

# --- determinism: same seed and command line, same datasets and bytes ---
mkdir "$T/r1" "$T/r2" "$T/r3"
for d in r1 r2; do # a second apart: no clock may leak into the bytes
	(cd "$T/$d" && SOURCE_DATE_EPOCH=0 "$BIN" record ../c.txt -o run.h5 $R --save-params --seed 7)
	sleep 1.1
done
(cd "$T/r3" && SOURCE_DATE_EPOCH=0 "$BIN" record ../c.txt -o run.h5 $R --save-params --seed 8)
check "two runs with the same seed: h5diff finds no difference" h5diff "$T/r1/run.h5" "$T/r2/run.h5"
check "two runs with the same seed: identical bytes" cmp -s "$T/r1/run.h5" "$T/r2/run.h5"
check "different seeds differ" sh -c "! h5diff -q '$T/r1/run.h5' '$T/r3/run.h5' /record/itemized /record/itemized"
check "OPENBLAS_NUM_THREADS=2 gives the same datasets" sh -c \
	"cd '$T/r2' && OPENBLAS_NUM_THREADS=2 SOURCE_DATE_EPOCH=0 '$BIN' record ../c.txt -o run.h5 $R --save-params --seed 7 --force &&
	 h5diff '$T/r1/run.h5' run.h5 /record /record && h5diff '$T/r1/run.h5' run.h5 /train /train"
for cell in rnn lstm; do # E computed on the writer thread (2 CPUs) or inline (1 CPU)
	check "$cell, 2 layers: one CPU (E inline) and two (E on the writer thread) give the same datasets" sh -c \
		"cd '$T/r2' && '$BIN' record ../c.txt -o $cell-2.h5 $R --cell $cell --layers 2 --record-every 1 --save-params &&
		 taskset -c 0 '$BIN' record ../c.txt -o $cell-1.h5 $R --cell $cell --layers 2 --record-every 1 --save-params &&
		 h5diff $cell-1.h5 $cell-2.h5 /record /record && h5diff $cell-1.h5 $cell-2.h5 /train /train"
done

# --- info ---
check "info describes a run" sh -c "'$BIN' info '$T/a.h5' | grep -q 'records (batches 0 to 25)'"
check "info --format json is one valid object" sh -c \
	"'$BIN' info --format json '$T/a.h5' | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d[\"records\"]==6 and d[\"seq_len\"]==10'"
check "info - reads the run from stdin" sh -c "'$BIN' info - <'$T/a.h5' | grep -q 'hidden 8'"
expect_fail 1 "info on a text file" "$BIN" info "$T/c.txt"
expect_fail 1 "info on a missing file" "$BIN" info "$T/nope.h5"
expect_fail 1 "info on a directory" "$BIN" info "$T/dir"
expect_fail 1 "info - on text" sh -c "'$BIN' info - <'$T/c.txt'"
$PY -c "import h5py; h5py.File('$T/other.h5','w').create_dataset('x', data=[1,2,3])"
expect_fail 1 "info on an HDF5 file that is not a run" "$BIN" info "$T/other.h5"
cp "$T/a.h5" "$T/v2.h5"
$PY -c "import h5py; f=h5py.File('$T/v2.h5','r+'); f.attrs.modify('format_version', 2)"
expect_fail 1 "info on an unknown format_version" "$BIN" info "$T/v2.h5"
check "the format_version message names the version" sh -c "'$BIN' info '$T/v2.h5' 2>&1 | grep -q 'version 2'"
expect_fail 2 "info with two files" "$BIN" info "$T/a.h5" "$T/a.h5"
expect_fail 2 "info --format xml" "$BIN" info --format xml "$T/a.h5"
expect_fail 1 "a full stdout is an error" sh -c "'$BIN' info '$T/a.h5' >/dev/full"

# --- summarize: the run column on demand, --top over all runs or per run, --train's nonfinite ---
"$BIN" record "$T/c.txt" -o "$T/b.h5" $R --seed 3
check "--run-column puts run first for one file, with the header of several" sh -c \
	"[ \"\$('$BIN' summarize --run-column '$T/a.h5' | head -n 1)\" = \"\$('$BIN' summarize '$T/a.h5' '$T/b.h5' | head -n 1)\" ] &&
	 '$BIN' summarize --run-column '$T/a.h5' | awk -F'\t' 'NR == 1 { exit \$1 != \"run\" } { exit 1 }' &&
	 '$BIN' summarize --run-column '$T/a.h5' | awk -F'\t' -v f='$T/a.h5' 'NR > 1 && \$1 != f { bad++ } END { exit bad || NR != 7 }'"
check "--run-column with --train too" sh -c \
	"'$BIN' summarize --train --run-column '$T/a.h5' | head -n 1 | grep -qx 'run.batch.loss.grad_norm.nonfinite'"
# the oracle: each run's rows sorted by max_grad (ties are not in these runs)
for f in a b; do "$BIN" summarize "$T/$f.h5" | tail -n +2 | sort -t"$(printf '\t')" -k3,3gr | head -n 2 |
	sed "s|^|$T/$f.h5	|" >>"$T/per_run.want"; done
check "--top-per-run 2: the 2 largest of each run, runs in the order given" sh -c \
	"'$BIN' summarize --top-per-run 2 '$T/a.h5' '$T/b.h5' | tail -n +2 | cmp -s - '$T/per_run.want'"
check "--top 2 over two runs: the 2 largest of all rows together" sh -c \
	"'$BIN' summarize --top 2 '$T/a.h5' '$T/b.h5' | tail -n +2 >'$T/top.got' &&
	 sort -t\"\$(printf '\t')\" -k4,4gr '$T/per_run.want' | head -n 2 | cmp -s - '$T/top.got'"
expect_fail 2 "--top and --top-per-run together" "$BIN" summarize --top 1 --top-per-run 1 "$T/a.h5"
expect_fail 2 "--top-per-run with --train" "$BIN" summarize --top-per-run 1 --train "$T/a.h5"
cp "$T/a.h5" "$T/nf.h5"
cp "$T/a.h5" "$T/nf_old.h5"
$PY - "$T/nf.h5" "$T/nf_old.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:  # a batch that blew up: finite loss, infinite norm
    f["train/loss"][3] = 1.46e20
    f["train/grad_norm"][3] = np.inf
    f["train/nonfinite"][3] = 1
with h5py.File(sys.argv[2], "r+") as f:  # another writer's run: no /train/nonfinite
    f["train/grad_norm"][4] = np.inf
    del f["train/nonfinite"]
PY
check "summarize --train: a batch that was not finite prints nan nan 1, the others their values and 0" sh -c \
	"'$BIN' summarize --train '$T/nf.h5' | awk -F'\t' '
		NR == 1 { ok = \$4 == \"nonfinite\"; next }
		\$1 == 3 { ok = ok && \$2 == \"nan\" && \$3 == \"nan\" && \$4 == 1; next }
		{ ok = ok && \$2 != \"nan\" && \$3 != \"inf\" && \$4 == 0 }
		END { exit !(ok && NR == 31) }'"
check "... and without /train/nonfinite the flag comes from the values" sh -c \
	"'$BIN' summarize --train '$T/nf_old.h5' | awk -F'\t' '\$4 == 1 { n++; b = \$1 } END { exit !(n == 1 && b == 4) }'"

# --- exploding gradients: detected, flagged in /train/nonfinite, stop or skip ---
X="--quiet --hidden 16 --seq-len 10 --batches 200 --record-every 10 --optimizer sgd --lr 1e5 --clip 0 --init-scale 1 --activation relu"
expect_fail 1 "a non-finite gradient stops the run by default" "$BIN" record "$T/c.txt" -o "$T/boom.h5" $X
check "... saying which batch, and the file holds the batches before it" sh -c \
	"'$BIN' record '$T/c.txt' -o '$T/boom.h5' $X --force 2>&1 | grep -q 'is not finite' &&
	 '$BIN' info '$T/boom.h5' | grep -q 'of 200 batches (stopped'"
"$BIN" record "$T/c.txt" -o "$T/allnan.h5" --hidden 16 --seq-len 10 --batches 30 --record-every 10 \
	--init-scale 1e6 --activation relu --on-nonfinite skip 2>"$T/allnan.err"
check "--on-nonfinite skip with no finite batch at all says so (not 'smoothed loss -1')" sh -c \
	"grep -q 'no finite loss' '$T/allnan.err' && ! grep -q -- 'loss -1' '$T/allnan.err'"
check "--on-nonfinite skip goes on and flags the batches" sh -c \
	"'$BIN' record '$T/c.txt' -o '$T/skip.h5' $X --on-nonfinite skip &&
	 $PY -c \"import h5py; f = h5py.File('$T/skip.h5', 'r'); n = f['train/nonfinite'][:];
assert n.dtype.name == 'uint8' and n.shape == (200,) and n.sum() > 0, (n.dtype, n.shape, n.sum())\""
check "readers print nan for the batches that were not finite" sh -c \
	"'$BIN' summarize '$T/skip.h5' | awk -F'\t' 'NR > 1 && \$3 == \"nan\" && \$9 == \"nan\" { n++ } END { exit !(n > 0) }' &&
	 '$BIN' horizon --per-batch '$T/skip.h5' | grep -q 'nan' && '$BIN' horizon '$T/skip.h5' >/dev/null"
check "info's recent loss is the mean of the finite batches, not nan" sh -c \
	"'$BIN' info '$T/skip.h5' | grep -q '^         loss [0-9][0-9.]* nats per step'"
check "plot loss leaves the flagged batches out of its bins (nan), not their overflow" sh -c \
	"'$BIN' plot loss '$T/skip.h5' -o '$T/skiploss.png' --keep-script '$T' &&
	 awk '/^\\\$T << EOD/ { on = 1; next } /^EOD/ { on = 0 } on && (\$2 + 0 > 1e9 || \$3 + 0 > 1e12) { bad++ }
	      on && \$2 == \"nan\" { nan++ } END { exit !(bad == 0 && nan > 0) }' '$T/skiploss.png.gp'"
check "plots and a report cope with them" sh -c \
	"'$BIN' plot k '$T/skip.h5' -o '$T/skip.png' && '$BIN' report '$T/skip.h5' -o '$T/skiprep' --top 2 >/dev/null"
# --- plot's messages name the file, and what a kind reads ---
if [ "$(id -u)" -eq 0 ]; then ro=/sys; else mkdir "$T/ro" && chmod 555 "$T/ro" && ro="$T/ro"; fi
one_line 1 "plot into a folder it cannot write names the figure" "$ro/rnnbow-test.png: cannot create the figure" \
	"$BIN" plot k "$T/a.h5" -o "$ro/rnnbow-test.png"
one_line 1 "plot k - given a table says it needs a run, and which kind reads a table" \
	"plot k needs a run file, not a table (only plot horizon reads a table" \
	sh -c "'$BIN' summarize '$T/a.h5' | '$BIN' plot k - -o '$T/k.png'"
check "... and writes no figure" test ! -e "$T/k.png"
# what plot k's labels say is what its manual says they say
"$BIN" plot k "$T/a.h5" -o "$T/k.png" --keep-script "$T"
for label in "k, eps = " "k exact (from E)" "k bound (from g)"; do
	check "plot k's key and rnnbow-plot(1) both say '$label'" sh -c \
		"grep -qF -- '$label' '$T/k.png.gp' && grep -qF -- '$label' '$(dirname "$0")/../man/rnnbow-plot.1'"
done
bad 2 "--on-nonfinite maybe" "$T/c.txt" -o "$T/o.h5" --on-nonfinite maybe

# --- SIGTERM: finish the batch, close cleanly, say so ---
"$BIN" record "$T/c.txt" -o "$T/term.h5" --quiet --hidden 8 --seq-len 10 --batches 100000000 --record-every 50 2>"$T/term.err" &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM: exit 75 (resumable) with a message" sh -c "[ $rc -eq 75 ] && grep -q 'interrupted by signal 15.*--resume' '$T/term.err'"
exit_codes() { # the statuses a man page's EXIT STATUS section lists
	awk '/^\.SH/ { on = /EXIT STATUS/ } on && prev == ".TP" && /^\.B [0-9]+$/ { print $2 } { prev = $0 }' "$1" | sort -u
}
MAN=$(dirname "$0")/../man
for page in "$MAN"/rnnbow-*.1; do
	missing=$(exit_codes "$page" | while read -r c; do exit_codes "$MAN/rnnbow.1" | grep -qx "$c" || echo "$c"; done)
	check "rnnbow(1) lists every exit status of $(basename "$page")${missing:+ (missing: $missing)}" [ -z "$missing" ]
done
check "SIGTERM: the file opens without h5clear, and a checkpoint is beside it" sh -c \
	"h5dump -H '$T/term.h5' >/dev/null && '$BIN' info '$T/term.h5' | grep -q 'stopped with a checkpoint' && [ -s '$T/term.h5.ckpt' ]"

# --- the corpus: a mapped file, a copy of several, a stream; --max-corpus ---
# (ulimit -v: a reader without a limit would fill the memory from /dev/zero)
check "record /dev/zero --max-corpus 1M: exit 1 at once, one line, no run file" sh -c \
	"(ulimit -v 4000000; exec timeout 60 '$BIN' record /dev/zero --max-corpus 1M -o '$T/z.h5' $R) 2>'$T/z.err';
	 [ \$? -eq 1 ] && [ \$(wc -l <'$T/z.err') -eq 1 ] && [ ! -e '$T/z.h5' ] &&
	 grep -q '^rnnbow record: /dev/zero: corpus larger than --max-corpus 1M\$' '$T/z.err'"
csize=$(wc -c <"$T/c.txt")
bad 1 "a corpus file larger than --max-corpus" "$T/c.txt" --max-corpus 1K -o "$T/o.h5" $R
check "... named, with the limit" sh -c \
	"'$BIN' record '$T/c.txt' --max-corpus 1k -o '$T/o.h5' $R 2>&1 | grep -q 'c.txt: corpus larger than --max-corpus 1K\$'"
bad 1 "a stream larger than --max-corpus" - --max-corpus $((csize - 1)) -o "$T/o.h5" $R <"$T/c.txt"
bad 1 "files larger than --max-corpus together" "$T/c.txt" "$T/c.txt" --max-corpus $((csize * 2 - 1)) -o "$T/o.h5" $R
bad 2 "--max-corpus 0" "$T/c.txt" --max-corpus 0 -o "$T/o.h5" $R
bad 2 "--max-corpus 1X" "$T/c.txt" --max-corpus 1X -o "$T/o.h5" $R
head -c 1000 "$T/c.txt" >"$T/c1.txt"
tail -c +1001 "$T/c.txt" >"$T/c2.txt"
check "a corpus of exactly --max-corpus bytes: mapped file, stream, two files" sh -c \
	"'$BIN' record '$T/c.txt' --max-corpus $csize -o '$T/mapped.h5' $R &&
	 cat '$T/c.txt' | '$BIN' record - --max-corpus $csize -o '$T/stream.h5' $R &&
	 '$BIN' record '$T/c1.txt' '$T/c2.txt' --max-corpus $csize -o '$T/copied.h5' $R"
check "... train to the same run, bit for bit (mapped = stream)" same "$T/mapped.h5" "$T/stream.h5"
check "... (mapped = two files copied into one)" same "$T/mapped.h5" "$T/copied.h5"
check "... with the same corpus size and SHA-256" $PY -c "
import h5py
a = [h5py.File('$T/%s.h5' % n, 'r').attrs for n in ('mapped', 'stream', 'copied')]
assert len({(x['corpus_bytes'], x['corpus_sha256']) for x in a}) == 1 and a[0]['corpus_bytes'] == $csize"

# --- the source tree keeps its layers (issue 11: one of each) ---
SRC=$(cd "$(dirname "$0")/.." && pwd)
check "one monotonic clock: clock_gettime only in formats/clock.c" sh -c \
	"cd '$SRC' && [ \"\$(grep -rl clock_gettime cmd formats plots libcore lib)\" = formats/clock.c ]"
check "cmd/ calls no HDF5 function: formats/ reads and writes runs" sh -c \
	"cd '$SRC' && ! grep -n 'H5[A-Z]' cmd/*"

finish
