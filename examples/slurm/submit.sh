#!/bin/sh
# submit.sh - submits the sweep (a job array) and the overlay step that
# runs when every task has finished. Prints the two job ids.
# Usage: CORPUS=corpus.txt sh examples/slurm/submit.sh [sbatch options]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${CORPUS:?set CORPUS to the training text}"
mkdir -p logs "${RUNS:-runs}"
sweep=$(sbatch --parsable --export=ALL "$@" "$here/sweep.sbatch")
export SWEEP_JOB="$sweep" OVERLAY="$here/overlay.sbatch"
overlay=$(sbatch --parsable --export=ALL --dependency=afterany:"$sweep" "$OVERLAY")
echo "$sweep $overlay"
