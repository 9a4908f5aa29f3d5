#!/bin/sh
# The scaling table behind `make bench-scaling` (README "Scaling"): training
# chars/s, CPU seconds and bytes per record, and peak memory of `rnnbow
# record` for cells rnn/lstm, H in {100, 512, 1024}, n in {25, 100, 256},
# B in {1, 64}, the record time beside its c n^2 G H^2 S prediction; then
# whether recording every 100th batch adds at most 10% at issue 15's two
# minibatch sizes, and where a record's time goes.  tests/bench/scaling.py
# drives and tabulates; rnnbow and tests/bench/record_parts.c (libcore's
# parts of a record, timed one by one) do the work.  Times are CPU seconds
# (user + sys, both of rnnbow's threads): the machines this runs on are
# shared.  The OpenBLAS core in use is printed first.  About 14 CPU minutes
# (38 wall minutes on a 2-core machine at load 5-11); not part of `make
# test` or `make bench`.  Run from the repository root after `make rnnbow
# build/tests/bench/record_parts`:  sh tests/bench/scaling.sh
# Env: REPEAT=2 keeps the least CPU time of two runs of each measurement;
# TARGET=1.5 CPU seconds per timed part; ONLY="lstm 512 100 64" one row.
set -eu
export LC_ALL=C
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=/usr/bin/python3
RNNBOW=${RNNBOW:-./rnnbow}

PARTS=${PARTS:-build/tests/bench/record_parts}
export RNNBOW PARTS

[ -x "$RNNBOW" ] || { echo "bench: $RNNBOW not found; run make rnnbow" >&2; exit 1; }
[ -x "$PARTS" ] || { echo "bench: $PARTS not found; run make $PARTS" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
sh "$(dirname "$0")/corpus.sh" "$T/corpus.txt"

sh "$(dirname "$0")/corename.sh"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN) CPUs; REPEAT=${REPEAT:-1}"
"$PY" "$(dirname "$0")/scaling.py" "$T/corpus.txt"

