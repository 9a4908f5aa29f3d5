#!/bin/sh
# test_resume.sh - checkpoints and --resume: a run killed (SIGKILL) or
# stopped (SIGTERM, SIGUSR1) at random moments, any number of times, and
# resumed with the same command, ends with datasets identical to the same
# run done in one go; resuming with other options is refused with the
# differences listed; a complete run resumes to nothing; a damaged
# checkpoint is refused. Usage: sh tests/test_resume.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

i=0
while [ $i -lt 3000 ]; do
	echo "$i: static int f$i(int x) { return x * $((i % 17)) + $((i % 5)); } /* $((i * 7919 % 1000)) */" >>"$T/c.txt"
	i=$((i + 1))
done
A="$T/c.txt --quiet --hidden 32 --seq-len 16 --batches 120000 --record-every 7 --save-hidden --save-params --checkpoint-every 500 --sample-every 997 --sample-length 48"
mkdir "$T/a" "$T/b"
# shellcheck disable=SC2086
(cd "$T/a" && "$BIN" record $A -o run.h5)

# interrupt DIR ARGS...: runs `record ARGS --resume` in DIR, interrupted at
# pseudo-random moments (a fixed list, so the test is the same every time;
# the moments in the run still vary with the load), then lets it complete
# and compares it with the same run done in one go in $T/a.
interrupt() {
	dir=$1
	shift
	kills=0 terms=0 rcs=""
	for d in 0.3 0.7 0.2 0.9 0.5 0.4 0.8 0.6 0.3 0.5; do
		(cd "$dir" && exec "$BIN" record "$@" -o run.h5 --resume) 2>>"$T/err" &
		pid=$!
		sleep "$d"
		case $((kills + terms)) in
		3) kill -TERM $pid 2>/dev/null && terms=$((terms + 1)) ;;
		6) kill -USR1 $pid 2>/dev/null && terms=$((terms + 1)) ;;
		*) kill -KILL $pid 2>/dev/null && kills=$((kills + 1)) ;;
		esac
		wait $pid
		rcs="$rcs $?"
	done
	echo "# exit statuses:$rcs"
	check "$3 $4 $5 $6: after $kills SIGKILLs and $terms SIGTERM/SIGUSR1, --resume completes the run" \
		sh -c "cd '$dir' && '$BIN' record $* -o run.h5 --resume"
	check "... with every dataset identical to the run done in one go" same "$T/a/run.h5" "$dir/run.h5"
}
# shellcheck disable=SC2086
interrupt "$T/b" $A
check "... /samples among them: batches 0, 997, ... (drawn from (seed, batch), no state)" $PY -c "
import h5py, sys, numpy as np
f = h5py.File('$T/b/run.h5', 'r')
sys.exit(not (np.array_equal(f['samples/batch'][:], np.arange(0, 120000, 997)) and f['samples/text'].shape == (121, 48)))"
check "a complete run keeps its checkpoint (to be extended)" [ -s "$T/b/run.h5.ckpt" ]
check "SIGTERM and SIGUSR1 exit 75 (no other status but 137, 75, 0)" sh -c \
	"echo '$rcs' | tr ' ' '\n' | grep -v '^$' | grep -qv '^\(137\|75\|0\)$' && exit 1 || exit 0"
# shellcheck disable=SC2086
check "resuming a complete run exits 0" sh -c "cd '$T/b' && '$BIN' record $A -o run.h5 --resume"
check "... and changes nothing" same "$T/a/run.h5" "$T/b/run.h5"

# other options are refused, with the differences listed
mkdir "$T/c"
# shellcheck disable=SC2086
(cd "$T/c" && "$BIN" record $A -o run.h5 &
	pid=$!; sleep 0.3; kill -TERM $pid; wait $pid) 2>/dev/null
# shellcheck disable=SC2086
(cd "$T/c" && "$BIN" record $A --hidden 64 --lr 0.05 -o run.h5 --resume) 2>"$T/diff.err"
rc=$?
check "resuming with other options is refused (exit 1)" [ $rc -eq 1 ]
# shellcheck disable=SC2086
(cd "$T/c" && "$BIN" record $A --sample-every 500 -o run.h5 --resume) 2>"$T/samp.err"
check "resuming with another --sample-every is refused, saying so" sh -c \
	"grep -q -- '--sample-every: the run has 997, this command says 500' '$T/samp.err'"
check "... listing each difference" sh -c \
	"grep -q -- '--hidden: the run has 32, this command says 64' '$T/diff.err' &&
	 grep -q -- '--lr: the run has 0.1, this command says 0.05' '$T/diff.err'"
printf 'x' | dd of="$T/c/run.h5.ckpt" bs=1 seek=100 conv=notrunc 2>/dev/null
# shellcheck disable=SC2086
(cd "$T/c" && "$BIN" record $A -o run.h5 --resume) 2>"$T/dmg.err"
check "a damaged checkpoint is refused, saying so" sh -c "grep -q 'damaged checkpoint' '$T/dmg.err'"
# a 2-layer LSTM: cell states and every layer's state go through checkpoints
# (with a held-out tail and char-rnn's lr decay: 9 epoch boundaries of
# 16k batches, /valid rows every 50 batches, across the kills)
G="$T/c.txt --quiet --cell lstm --layers 2 --hidden 16 --seq-len 12 --batches 150000 --record-every 5 --save-hidden --checkpoint-every 300 --valid-share 0.05 --valid-every 50 --valid-steps 100 --lr-decay 0.9"
mkdir "$T/g"
rm -f "$T/a/run.h5"
# shellcheck disable=SC2086
(cd "$T/a" && "$BIN" record $G -o run.h5)
# shellcheck disable=SC2086
interrupt "$T/g" $G
check "... /valid among them: batches 0, 50, ... (a function of the parameters)" $PY -c "
import h5py, sys, numpy as np
f = h5py.File('$T/g/run.h5', 'r')
sys.exit(not (np.array_equal(f['valid/batch'][:], np.arange(0, 150000, 50)) and f['train'].attrs['lr_decay'] == 0.9))"
mkdir "$T/h"
# shellcheck disable=SC2086
(cd "$T/h" && "$BIN" record $G -o run.h5 &
	pid=$!; sleep 0.3; kill -TERM $pid; wait $pid) 2>/dev/null
# shellcheck disable=SC2086
(cd "$T/h" && "$BIN" record $G --cell gru -o run.h5 --resume) 2>"$T/cell.err"
check "resuming with another --cell is refused, saying so" sh -c \
	"grep -q -- '--cell: the run has lstm, this command says gru' '$T/cell.err'"
# shellcheck disable=SC2086
(cd "$T/h" && "$BIN" record $G --valid-share 0.1 --lr-decay 0.5 -o run.h5 --resume) 2>"$T/vs.err"
check "resuming with another --valid-share or --lr-decay is refused, naming them" sh -c \
	"grep -q -- '--valid-share: the run has 0.05, this command says 0.1' '$T/vs.err' &&
	 grep -q -- '--lr-decay: the run has 0.9, this command says 0.5' '$T/vs.err'"
# shellcheck disable=SC2086
(cd "$T/h" && "$BIN" record $G --no-diagnostics -o run.h5 --resume) 2>"$T/nodiag.err"
check "resuming a run with diagnostics with --no-diagnostics is refused, saying so" sh -c \
	"grep -q -- '--no-diagnostics: the run was recorded with diagnostics' '$T/nodiag.err'"
# a relu run: the fired flags of the open window of /record/diag/dead go
# through checkpoints (500 is no multiple of 7: checkpoints fall mid-window)
U="$T/c.txt --quiet --activation relu --hidden 24 --seq-len 12 --batches 100000 --record-every 7 --checkpoint-every 500"
mkdir "$T/u"
rm -f "$T/a/run.h5"
# shellcheck disable=SC2086
(cd "$T/a" && "$BIN" record $U -o run.h5)
check "the relu run has dead units in some windows, not all" $PY -c "
import h5py, sys
d = h5py.File('$T/a/run.h5', 'r')['record/diag/dead'][()]
sys.exit(not (0 < d.sum() < d.size))"
# shellcheck disable=SC2086
interrupt "$T/u" $U
# the same, deterministic: a relu run of 15 batches, recorded every 10, is
# extended to 40; the window of its third record (batches 21..30) spans no
# resume, that of its second (11..20) does: the flags of 11..15 come from
# the checkpoint (without them, dead differs: tried)
D="$T/c.txt --quiet --activation relu --hidden 32 --seq-len 12 --record-every 10 --lr 0.1 --optimizer sgd --init-scale 0.2"
mkdir "$T/w"
# shellcheck disable=SC2086
(cd "$T/w" && "$BIN" record $D --batches 40 -o long.h5 && "$BIN" record $D --batches 15 -o run.h5)
# shellcheck disable=SC2086
check "a relu run extended across a window (15 to 40 batches, records every 10)" sh -c \
	"cd '$T/w' && '$BIN' record $D --batches 40 -o run.h5 --resume"
check "... has the dead units of the run done in one go (every dataset identical)" \
	same "$T/w/long.h5" "$T/w/run.h5"
check "... and some units are dead" $PY -c "
import h5py, sys
sys.exit(not h5py.File('$T/w/run.h5', 'r')['record/diag/dead'][()].sum())"
# extending a complete run: --resume with a larger --batches (the one option
# that may change) goes on from its final checkpoint, exactly
E="$T/c.txt --quiet --hidden 16 --seq-len 10 --record-every 9 --save-params --sample-every 50 --sample-length 20"
mkdir "$T/e"
# shellcheck disable=SC2086
(cd "$T/e" && "$BIN" record $E --batches 400 -o long.h5 && "$BIN" record $E --batches 250 -o run.h5)
# shellcheck disable=SC2086
check "a complete run of 250 batches is extended to 400 with --resume --batches 400" sh -c \
	"cd '$T/e' && '$BIN' record $E --batches 400 -o run.h5 --resume"
check "... with every dataset identical to 400 batches done in one go" same "$T/e/long.h5" "$T/e/run.h5"
check "... and says so in /train's plan and the run's history" $PY -c "
import h5py, sys
f = h5py.File('$T/e/run.h5', 'r')
h = f.attrs['history']
h = h.decode() if isinstance(h, bytes) else h
sys.exit(not (f['train'].attrs['batches'] == 400 and 'extended at batch 250 from 250 to 400' in h))"
check "... which info shows" sh -c "'$BIN' info '$T/e/run.h5' | grep -q '^history: .*extended at batch 250'"
# shellcheck disable=SC2086
expect_fail 1 "--resume with fewer --batches than the run has" sh -c \
	"cd '$T/e' && '$BIN' record $E --batches 300 -o run.h5 --resume"
# shellcheck disable=SC2086
check "... the refusal names --batches" sh -c "cd '$T/e' && '$BIN' record $E --batches 300 -o run.h5 --resume 2>&1 |
	grep -q -- '--batches: the run has 400, this command says 300'"
check "... and the run is untouched" same "$T/e/long.h5" "$T/e/run.h5"
# a minibatch: the B sequences' states (and positions) go through the
# checkpoint; an extended run equals the run done in one go
M="$T/c.txt --quiet --cell lstm --layers 2 --hidden 12 --seq-len 10 --batch-size 5 --record-sequences 3 --record-every 9 --save-hidden"
mkdir "$T/m"
# shellcheck disable=SC2086
(cd "$T/m" && "$BIN" record $M --batches 300 -o long.h5 && "$BIN" record $M --batches 170 -o run.h5)
# shellcheck disable=SC2086
check "--batch-size 5: a run of 170 batches is extended to 300 with --resume" sh -c \
	"cd '$T/m' && '$BIN' record $M --batches 300 -o run.h5 --resume"
check "... with every dataset identical to 300 batches done in one go" same "$T/m/long.h5" "$T/m/run.h5"
# shellcheck disable=SC2086
check "resuming with another --batch-size is refused, naming it" sh -c \
	"cd '$T/m' && '$BIN' record $M --batch-size 4 --batches 400 -o run.h5 --resume 2>&1 |
	grep -q -- '--batch-size: the run has 5, this command says 4'"
# --valid-share and --lr-decay extended across an epoch boundary: a small
# corpus, 4 sequences of 10 steps: (2700 / 4 - 1) / 10 = 67 batches an epoch;
# the run of 100 batches is extended to 300 (boundaries at 67 before, 134,
# 201, 268 after the resume), /valid cut back to the rows below batch 100
head -c 3000 "$T/c.txt" >"$T/s.txt"
S="$T/s.txt --quiet --hidden 12 --seq-len 10 --batch-size 4 --record-every 11 --save-params --valid-share 0.1 --valid-every 30 --lr-decay 0.6 --lr-decay-after 100 --optimizer sgd"
mkdir "$T/s"
# shellcheck disable=SC2086
(cd "$T/s" && "$BIN" record $S --batches 300 -o long.h5 && "$BIN" record $S --batches 100 -o run.h5)
# shellcheck disable=SC2086
check "--valid-share, --lr-decay: a run of 100 batches is extended to 300 with --resume" sh -c \
	"cd '$T/s' && '$BIN' record $S --batches 300 -o run.h5 --resume"
check "... with every dataset identical to 300 batches done in one go" same "$T/s/long.h5" "$T/s/run.h5"
# --valid-steps' default was 10000; it is now --valid-every x --seq-len (30 x
# 10 = 300 here). A run recorded with 10000 and resumed without the option
# goes on with its own 10000 (the checkpoint's), not the new default: the
# same /valid as 10000 in one go, and a /valid/loss that 300 would change
V="$T/c.txt --quiet --hidden 12 --seq-len 10 --record-every 0 --valid-share 0.1 --valid-every 30 --no-diagnostics"
mkdir "$T/vd"
# shellcheck disable=SC2086
(cd "$T/vd" && "$BIN" record $V --valid-steps 10000 --batches 200 -o long.h5 &&
	"$BIN" record $V --batches 200 -o new.h5 &&
	"$BIN" record $V --valid-steps 10000 --batches 100 -o run.h5)
# shellcheck disable=SC2086
check "a run recorded with --valid-steps 10000 is extended with --resume without it" sh -c \
	"cd '$T/vd' && '$BIN' record $V --batches 200 -o run.h5 --resume"
check "... with every dataset identical to 10000 steps in one go" same "$T/vd/long.h5" "$T/vd/run.h5"
check "... and the new default (300 steps) gives other held-out losses" $PY -c "
import h5py, numpy as np
a, b = h5py.File('$T/vd/long.h5', 'r'), h5py.File('$T/vd/new.h5', 'r')
assert a['valid'].attrs['steps'] == 10000 and b['valid'].attrs['steps'] == 300, (a['valid'].attrs['steps'], b['valid'].attrs['steps'])
assert not np.array_equal(a['valid/loss'][1:], b['valid/loss'][1:])"
# a checkpoint of version 5 (before --init: its fingerprint ends at
# lr_decay, 296 bytes; version 6 added the sha256 of --init's parameters,
# 72 bytes with padding, empty without --init) still resumes exactly: made
# here from a version 6 one
mkdir "$T/v5"
(cd "$T/v5" && "$BIN" record $E --batches 400 -o long.h5 && "$BIN" record $E --batches 250 -o run.h5)
check "a version 5 checkpoint is made from a version 6 one" $PY -c "
import struct
p = '$T/v5/run.h5.ckpt'
b = open(p, 'rb').read()[:-8]
assert b[:8] == b'RNNBOWCK' and struct.unpack('<I', b[8:12])[0] == 6
assert b[12 + 296:12 + 368] == bytes(72)  # no --init
v5 = b[:8] + struct.pack('<I', 5) + b[12:12 + 296] + b[12 + 368:]
h = 0xcbf29ce484222325
for c in v5:
    h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(p, 'wb').write(v5 + struct.pack('<Q', h))"
# shellcheck disable=SC2086
check "a version 5 checkpoint (before --init) is extended with --resume" sh -c \
	"cd '$T/v5' && '$BIN' record $E --batches 400 -o run.h5 --resume"
check "... with every dataset identical to 400 batches done in one go" same "$T/v5/long.h5" "$T/v5/run.h5"
# a checkpoint of version 4 (before --valid, --lr-decay: its fingerprint
# ends at sample_length, 184 bytes, and it has no lr after the fired flags)
# still resumes exactly: made here from a version 6 one
mkdir "$T/v4"
(cd "$T/v4" && "$BIN" record $E --batches 400 -o long.h5 && "$BIN" record $E --batches 250 -o run.h5)
check "a version 4 checkpoint is made from a version 6 one" $PY -c "
import struct
p = '$T/v4/run.h5.ckpt'
b = open(p, 'rb').read()[:-8]
assert b[:8] == b'RNNBOWCK' and struct.unpack('<I', b[8:12])[0] == 6
assert b[12 + 184:12 + 368] == bytes(184)  # no --valid, no --lr-decay, no --init
v4 = b[:8] + struct.pack('<I', 4) + b[12:12 + 184] + b[12 + 368:-4]
h = 0xcbf29ce484222325
for c in v4:
    h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(p, 'wb').write(v4 + struct.pack('<Q', h))"
# shellcheck disable=SC2086
check "a version 4 checkpoint (before --valid) is extended with --resume" sh -c \
	"cd '$T/v4' && '$BIN' record $E --batches 400 -o run.h5 --resume"
check "... with every dataset identical to 400 batches done in one go" same "$T/v4/long.h5" "$T/v4/run.h5"
# a checkpoint of version 3 (rnnbow 0.1.0: its fingerprint lacks
# batch_size and record_sequences, 16 bytes at offset 80, and sample_every
# and sample_length, 16 bytes at 168 after the sha256 and its padding)
# still resumes, as a run of one sequence per batch without samples,
# exactly: made here from a version 4 one by cutting those bytes out and
# re-summing (FNV-1a 64); version 5 added 112 bytes at 184 (zero
# without --valid and --lr-decay) and the lr, 4 bytes at the end; version
# 6 added 72 bytes at 296 (zero without --init)
mkdir "$T/v3"
# shellcheck disable=SC2086
# (0.1.0 had no diagnostics: its runs resume with --no-diagnostics, and the
# version 4 checkpoint's diagnostics flag, 4 bytes at its end, goes too)
# (and no samples: a version 3 fingerprint has no place for them; with
# $E's --sample-every the assertion below failed and the test resumed a
# version 4 checkpoint unchanged)
V3B="$T/c.txt --quiet --hidden 16 --seq-len 10 --record-every 9 --save-params"
V3="$V3B --no-diagnostics"
(cd "$T/v3" && "$BIN" record $V3 --batches 400 -o long.h5 && "$BIN" record $V3 --batches 250 -o run.h5)
check "a version 3 checkpoint is made from a version 6 one" $PY -c "
import struct
p = '$T/v3/run.h5.ckpt'
b = open(p, 'rb').read()[:-8]
assert b[:8] == b'RNNBOWCK' and struct.unpack('<I', b[8:12])[0] == 6
assert b[12 + 184:12 + 368] == bytes(184)
b = b[:12 + 184] + b[12 + 368:-4]  # as version 4
assert struct.unpack('<qq', b[12 + 80:12 + 96]) == (1, 1)  # batch_size, record_sequences
assert struct.unpack('<qq', b[12 + 168:12 + 184]) == (0, 0)  # sample_every, sample_length
assert struct.unpack('<i', b[-4:])[0] == 0  # diagnostics off
v3 = b[:8] + struct.pack('<I', 3) + b[12:12 + 80] + b[12 + 96:12 + 168] + b[12 + 184:-4]
h = 0xcbf29ce484222325
for c in v3:
    h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(p, 'wb').write(v3 + struct.pack('<Q', h))"
# shellcheck disable=SC2086
check "a version 3 checkpoint (before minibatches) is extended with --resume" sh -c \
	"cd '$T/v3' && '$BIN' record $V3 --batches 400 -o run.h5 --resume"
check "... with every dataset identical to 400 batches done in one go" same "$T/v3/long.h5" "$T/v3/run.h5"
# shellcheck disable=SC2086
check "... and resuming it with diagnostics is refused, saying how" sh -c \
	"cd '$T/v3' && ! '$BIN' record $V3B --batches 500 -o run.h5 --resume 2>&1 |
	grep -q 'recorded without diagnostics (by an older rnnbow); resume it with --no-diagnostics'"
expect_fail 2 "--resume with --force" "$BIN" record "$T/c.txt" -o "$T/x.h5" --resume --force
expect_fail 2 "--checkpoint-every nonsense" "$BIN" record "$T/c.txt" -o "$T/x.h5" --checkpoint-every 5m
finish
