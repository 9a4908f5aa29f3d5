#!/bin/sh
# seed.sh DIR - seed inputs for the run-reader fuzzer: small real runs
# (with and without records, params, hidden states), a few KB each.
set -eu
[ -x ./rnnbow ] || make rnnbow >/dev/null
printf 'the quick brown fox jumps over the lazy dog; 0123456789\n' >"$1/.corpus.txt"
for i in 1 2 3 4 5 6; do cat "$1/.corpus.txt" "$1/.corpus.txt" >>"$1/.c2"; done
./rnnbow record "$1/.c2" -o "$1/seed1.h5" --quiet --hidden 4 --seq-len 5 --batches 20 --record-every 5
./rnnbow record "$1/.c2" -o "$1/seed2.h5" --quiet --hidden 3 --seq-len 3 --batches 8 --record-every 0
./rnnbow record "$1/.c2" -o "$1/seed3.h5" --quiet --hidden 4 --seq-len 4 --batches 12 --record-every 3 --save-params --save-hidden
rm -f "$1/.corpus.txt" "$1/.c2"
