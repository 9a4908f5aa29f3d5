#!/bin/sh
# pitfalls.sh - the leaky abstractions of backprop, each reproduced on a
# small corpus, and what `rnnbow diagnose --overall` says of each: it must
# name the pitfall and nothing else (README.md has the story of each).
#   healthy      a tanh RNN at a gentle learning rate: nothing flagged
#   saturated    sigmoid units saturated by a large initial scale: saturation
#   dead         relu units killed by a large SGD learning rate (short
#                sequences, so that they die of it before the relu
#                recurrence explodes): dead_units
#   exploding    tanh, clipping off, a large recurrent init, long sequences:
#                exploding
#   vanishing    a tiny init that stays tiny: vanishing (lambda < 1, k small)
# For each: NAME.h5 (the run), NAME.tsv (the verdict table), NAME.png
# (plot diagnose), and one line on stdout: NAME: the checks flagged.
#
# Run from the repository root after `make`:  sh examples/pitfalls/pitfalls.sh
# Environment: OUT (default examples/pitfalls/out), RNNBOW (default ./rnnbow).
# About 20 s on one core.
set -eu
OUT=${OUT:-examples/pitfalls/out}
RNNBOW=${RNNBOW:-./rnnbow}
mkdir -p "$OUT"

# A small corpus every machine with rnnbow's build dependencies has: the
# first 200 KB of the C headers, sorted so that the bytes are the same.
LC_ALL=C
export LC_ALL
cat /usr/include/hdf5/serial/*.h /usr/include/*.h | head -c 200000 >"$OUT/corpus.c"

pitfall() { # pitfall NAME RECORD-OPTIONS...
	name=$1
	shift
	"$RNNBOW" record "$OUT/corpus.c" -o "$OUT/$name.h5" --force --quiet --hidden 64 \
		--seed 1 "$@"
	"$RNNBOW" diagnose --overall "$OUT/$name.h5" >"$OUT/$name.tsv"
	"$RNNBOW" plot diagnose "$OUT/$name.h5" -o "$OUT/$name.png" --title "$name: $*"
	flagged=$(awk -F'\t' '$2 == "flagged" { printf "%s%s", sep, $1; sep = " " }' "$OUT/$name.tsv")
	echo "$name: ${flagged:-nothing flagged}"
}

pitfall healthy --batches 2000 --record-every 100 --lr 0.03
pitfall saturated --batches 2000 --record-every 100 --activation sigmoid --init-scale 2
pitfall dead --batches 2000 --record-every 100 --activation relu --optimizer sgd --lr 0.2 \
	--seq-len 5
pitfall exploding --batches 300 --record-every 20 --seq-len 200 --clip 0 --init-scale 0.25
pitfall vanishing --batches 2000 --record-every 100 --init-scale 0.001 --optimizer sgd \
	--lr 0.0001
