#!/bin/sh
# test_slurm.sh - examples/slurm for real, on a one-node SLURM started on
# this machine (root; `make test-slurm`): submit the sweep (2 tasks) and its
# overlay step, send each task SLURM's time-limit warning with
# `scancel --signal=USR1 --batch`, let SLURM requeue them (RequeueExit=75)
# and the tasks resume, and check each finished run equals the same run
# done in one go, and that the overlay ran. About 4 minutes: SLURM holds a
# requeued job for 2 minutes before it may start again.
# Usage: sh tests/test_slurm.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

sh "$ROOT/examples/slurm/cluster.sh" start || { notok "a one-node SLURM cluster starts"; finish; }
cd "$T" || exit 1
cat "$ROOT"/libcore/*.c >corpus.txt
export CORPUS="$T/corpus.txt" RNNBOW="$BIN" RUNS="$T/runs" BATCHES=300000 HIDDEN=32 \
	RECORD_EVERY=50 CHECKPOINT_EVERY=1000
mkdir ref
for seed in 1 2; do # the same runs, uninterrupted
	"$BIN" record "$CORPUS" -o "ref/rnn-seed$seed.h5" --quiet --cell rnn --seed $seed \
		--hidden $HIDDEN --batches $BATCHES --record-every $RECORD_EVERY
done
ids=$(sh "$ROOT/examples/slurm/submit.sh" --array=0-1)
sweep=${ids% *}
echo "# sweep job $sweep"
for i in $(seq 1 30); do # wait until both tasks run
	[ "$(squeue -h -j "$sweep" -t R | wc -l)" -eq 2 ] && break
	sleep 1
done
sleep 3
check "scancel --signal=USR1 --batch reaches both tasks" sh -c \
	"scancel --signal=USR1 --batch ${sweep}_0 && scancel --signal=USR1 --batch ${sweep}_1"
for i in $(seq 1 120); do # requeue (2 minutes' hold), resume, overlay
	[ -z "$(squeue -h)" ] && break
	sleep 3
done
check "every job finished within 6 minutes" [ -z "$(squeue -h)" ]
cat logs/*.out | sed 's/^/# /'
check "both tasks stopped on USR1 with a checkpoint" sh -c \
	"[ \$(cat logs/rnnbow-sweep-* | grep -c 'interrupted by signal 10.*checkpoint written') -eq 2 ]"
check "both were requeued and resumed where they stopped" sh -c \
	"[ \$(cat logs/rnnbow-sweep-* | grep -c 'resuming .* at batch [1-9]') -eq 2 ]"
for seed in 1 2; do
	check "the resumed run rnn-seed$seed equals the uninterrupted one" \
		same "ref/rnn-seed$seed.h5" "runs/rnn-seed$seed.h5"
done
check "the overlay step drew the horizons and one k per run" sh -c \
	"[ -s runs/horizon.svg ] && [ \$(wc -l <runs/overall.tsv) -eq 3 ]"
sh "$ROOT/examples/slurm/cluster.sh" stop # leave no daemons behind
finish
