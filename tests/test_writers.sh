#!/bin/sh
# test_writers.sh - record against hostile outputs and hostile neighbours
# (the writer's half of the hostile-input suite; test_hostile.sh is the
# readers'): two writers on one run, with HDF5's own file locking on and
# off (the second is refused at once, naming the first's PID, and the
# first goes on undisturbed); -o naming something that is not a run (a
# device, a FIFO, a text file, another HDF5 file, the corpus itself):
# refused with or without --force and left untouched; --force replacing a
# run only once the new one is laid out; and a full disk (ulimit -f): the
# run stays readable by plain HDF5 tools with its /train rows and its
# checkpoint, and --resume completes it exactly once there is room.
# Usage: sh tests/test_writers.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

cat "$ROOT"/libcore/*.c >"$T/c.txt"
S="--quiet --hidden 16 --seq-len 10"

# --- two writers on one run ---
# shellcheck disable=SC2086
"$BIN" record "$T/c.txt" -o "$T/w.h5" $S --batches 100000000 --record-every 50 2>/dev/null &
pid=$!
i=0
while [ ! -s "$T/w.h5.lock" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
for how in --resume --force; do
	for locking in TRUE FALSE; do
		# shellcheck disable=SC2086
		HDF5_USE_FILE_LOCKING=$locking timeout 20 "$BIN" record "$T/c.txt" -o "$T/w.h5" $S \
			--batches 100000000 --record-every 50 $how >"$T/out" 2>"$T/err"
		rc=$?
		check "a second writer ($how, HDF5_USE_FILE_LOCKING=$locking) is refused at once: exit $rc, '$(head -c 150 "$T/err")'" \
			sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ] &&
			       grep -q 'being written by another rnnbow (PID $pid)' '$T/err'"
	done
done
kill -TERM $pid
wait $pid
rc=$?
check "the first writer went on undisturbed and stops cleanly on SIGTERM (exit $rc)" [ $rc -eq 75 ]
check "... its /train holds batches 0..N-1 once each, its records every 50th" $PY -c "
import h5py, numpy as np, sys
f = h5py.File('$T/w.h5', 'r')
b, r = f['train/batch'][()], f['record/batch'][()]
sys.exit(not (len(b) > 0 and np.array_equal(b, np.arange(len(b))) and
              np.array_equal(r, np.arange(len(r)) * 50)))"
check "... and its lock went with it" [ ! -e "$T/w.h5.lock" ]
echo 999999 >"$T/w.h5.lock" # a killed writer's: nobody holds it
# shellcheck disable=SC2086
"$BIN" record "$T/c.txt" -o "$T/w.h5" $S --batches 100000000 --record-every 50 --resume 2>/dev/null &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
rc=$?
check "a stale lock file does not stop --resume (exit $rc)" [ $rc -eq 75 ]

# --- -o something that is not a run: refused whatever the options ---
cp "$T/c.txt" "$T/corpus.txt"
echo "precious notes" >"$T/notes.txt"
$PY -c "import h5py; h5py.File('$T/other.h5', 'w')['x'] = [1, 2, 3]"
cp "$T/other.h5" "$T/other.copy"
mkfifo "$T/fifo.h5"
for opt in "" --force --resume; do
	# shellcheck disable=SC2086
	expect_fail 1 "-o a text file ${opt:-(no option)}" "$BIN" record "$T/c.txt" -o "$T/notes.txt" $S --batches 20 $opt
	# shellcheck disable=SC2086
	expect_fail 1 "-o another kind of HDF5 file ${opt:-(no option)}" "$BIN" record "$T/c.txt" -o "$T/other.h5" $S --batches 20 $opt
	# shellcheck disable=SC2086
	expect_fail 1 "-o the corpus itself ${opt:-(no option)}" "$BIN" record "$T/corpus.txt" -o "$T/corpus.txt" $S --batches 20 $opt
	# shellcheck disable=SC2086
	expect_fail 1 "-o a FIFO ${opt:-(no option)}, at once" timeout 10 "$BIN" record "$T/c.txt" -o "$T/fifo.h5" $S --batches 20 $opt
done
# shellcheck disable=SC2086
expect_fail 1 "-o the corpus read from stdin, --force" sh -c "'$BIN' record - -o '$T/corpus.txt' $S --batches 20 --force <'$T/corpus.txt'"
check "... every one of them untouched" sh -c "grep -q 'precious notes' '$T/notes.txt' && cmp -s '$T/c.txt' '$T/corpus.txt' &&
	cmp -s '$T/other.h5' '$T/other.copy' && [ -p '$T/fifo.h5' ] && [ ! -e '$T/notes.txt.lock' ]"
# shellcheck disable=SC2086
"$BIN" record "$T/c.txt" -o "$T/notes.txt" $S --batches 20 --resume 2>"$T/err"
check "--resume on a text file never advises --force (which would delete it)" sh -c "! grep -q -- --force '$T/err'"
if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
	expect_fail 1 "-o a character device --force" "$BIN" record "$T/c.txt" -o "$T/null" $S --batches 20 --force
	check "... is still that device" [ -c "$T/null" ]
else
	ok "# skip: -o a character device (mknod needs root)"
fi

# --- --force replaces a run only once the new one is laid out ---
# shellcheck disable=SC2086
"$BIN" record "$T/c.txt" -o "$T/old.h5" $S --batches 100 --record-every 10
cp "$T/old.h5" "$T/old.copy"
# shellcheck disable=SC2086
(ulimit -f 1 && exec "$BIN" record "$T/c.txt" -o "$T/old.h5" $S --batches 100 --seed 9 --force) 2>"$T/err"
check "--force that cannot lay out its new run fails (exit $?)" [ -s "$T/err" ]
check "... and leaves the old run as it was, with nothing beside it" sh -c \
	"cmp -s '$T/old.h5' '$T/old.copy' && [ ! -e '$T/old.h5.new' ] && [ ! -e '$T/old.h5.lock' ]"

# --- a full disk: ulimit -f (512-byte blocks in dash: 2 MB) stops the run half way ---
F="$T/c.txt --quiet --hidden 32 --seq-len 10 --batches 3000 --record-every 10 --save-params"
# shellcheck disable=SC2086
(ulimit -f 4000 && exec "$BIN" record $F -o "$T/full.h5") 2>"$T/err"
rc=$?
check "a full disk stops the run: exit $rc, the system's reason: '$(head -n 1 "$T/err")'" sh -c \
	"[ $rc -eq 1 ] && head -n 1 '$T/err' | grep -q 'file too large'"
check "... the run opens in h5dump and h5py without h5clear, its /train rows and records kept" $PY -c "
import h5py, subprocess, sys
subprocess.run(['h5dump', '-H', '$T/full.h5'], check=True, stdout=subprocess.DEVNULL)
f = h5py.File('$T/full.h5', 'r')
t, r = len(f['train/batch']), len(f['record/batch'])
print('# %d /train rows, %d records' % (t, r))
sys.exit(not (r > 5 and t >= f['record/batch'][-1] and t < 3000))"
check "... rnnbow info reads it, and a checkpoint is kept" sh -c \
	"'$BIN' info '$T/full.h5' | grep -q 'stopped with a checkpoint' && [ -s '$T/full.h5.ckpt' ]"
# shellcheck disable=SC2086
check "... and once there is room --resume completes it" "$BIN" record $F -o "$T/full.h5" --resume
# shellcheck disable=SC2086
"$BIN" record $F -o "$T/whole.h5"
check "... identical to the run done in one go" same "$T/whole.h5" "$T/full.h5"
finish
