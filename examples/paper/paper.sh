#!/bin/sh
# paper.sh - the paper's setting, end to end: a vanilla tanh RNN with
# H = 100 hidden units, n = 25 steps per batch, trained on C source and
# recorded every 100 batches, then the counterparts of its figures 5-9:
#   fig5_overview   max gradient per recorded batch, over training
#   fig6_batch      one batch: true over predicted bytes, bars stacked by lag
#   fig7_loss       the same batch with the horizon of its last loss
#   fig8_horizon    how gradient decays with lag (median, p10-p90 band)
#   fig9_k          the truncation horizon k over training
# plus heatmap (g[t,j] of that batch) and loss (training curve), each as
# .png, .svg and .pdf, and the tables behind them as .tsv.
#
# Run from the repository root after `make`:  sh examples/paper/paper.sh
# Environment: OUT (default examples/paper/out), BATCHES (default 100000).
set -eu
OUT=${OUT:-examples/paper/out}
BATCHES=${BATCHES:-100000}
RNNBOW=${RNNBOW:-./rnnbow}
mkdir -p "$OUT"

# The corpus: C headers every Debian machine with rnnbow's build
# dependencies has, sorted so that the bytes are the same on each.
LC_ALL=C
export LC_ALL
cat /usr/include/hdf5/serial/*.h /usr/include/*.h | head -c 4000000 >"$OUT/corpus.c"

"$RNNBOW" record "$OUT/corpus.c" -o "$OUT/run.h5" --force --quiet \
	--hidden 100 --seq-len 25 --batches "$BATCHES" --record-every 100 --seed 1
"$RNNBOW" info "$OUT/run.h5" >"$OUT/info.txt"

# the batch with the largest max gradient, and its last step
top=$("$RNNBOW" summarize --top 1 "$OUT/run.h5" | awk 'NR == 2 { print $1 }')
for fmt in png svg pdf; do
	"$RNNBOW" plot overview "$OUT/run.h5" -o "$OUT/fig5_overview.$fmt" --mark "$top"
	"$RNNBOW" plot batch --batch "$top" "$OUT/run.h5" -o "$OUT/fig6_batch.$fmt"
	"$RNNBOW" plot batch --batch "$top" --loss 24 "$OUT/run.h5" -o "$OUT/fig7_loss.$fmt"
	"$RNNBOW" plot horizon "$OUT/run.h5" -o "$OUT/fig8_horizon.$fmt"
	"$RNNBOW" plot k "$OUT/run.h5" -o "$OUT/fig9_k.$fmt"
	"$RNNBOW" plot heatmap --batch "$top" "$OUT/run.h5" -o "$OUT/heatmap.$fmt"
	"$RNNBOW" plot loss "$OUT/run.h5" -o "$OUT/loss.$fmt"
done
"$RNNBOW" summarize "$OUT/run.h5" >"$OUT/summarize.tsv"
"$RNNBOW" horizon "$OUT/run.h5" >"$OUT/horizon.tsv"
"$RNNBOW" horizon --per-batch "$OUT/run.h5" >"$OUT/k.tsv"
"$RNNBOW" horizon --overall "$OUT/run.h5" >"$OUT/overall.tsv"
echo "paper: figures and tables in $OUT (batch $top has the largest max gradient)"
