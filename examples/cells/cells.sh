#!/bin/sh
# cells.sh - how much longer is the LSTM's gradient horizon than the
# vanilla RNN's on this corpus? Trains a tanh RNN, an LSTM and a GRU with
# the same hidden size, sequence length, corpus, seed and number of
# batches, records every RECORD_EVERY-th batch, and makes:
#   cells_horizon   the three decay curves overlaid (median, p10-p90 band),
#                   the legend naming each run's cell and size
#   overall.tsv     each run's truncation horizon k (exact and bound)
#   gates.tsv       the LSTM's and the GRU's k per gate
#   lstm_gates      the LSTM's decay curve of each gate's block, overlaid
#                   (plot horizon --gate all)
#   info_*.txt      what each run holds
# as .png, .svg and .pdf.
#
# Run from the repository root after `make`:  sh examples/cells/cells.sh
# Environment: OUT (default examples/cells/out), BATCHES (default 20000),
# RECORD_EVERY (default 100), HIDDEN (default 100), RNNBOW (default ./rnnbow).
set -eu
OUT=${OUT:-examples/cells/out}
BATCHES=${BATCHES:-20000}
RECORD_EVERY=${RECORD_EVERY:-100}
HIDDEN=${HIDDEN:-100}
RNNBOW=${RNNBOW:-./rnnbow}
mkdir -p "$OUT"

# The corpus of examples/paper: C headers every machine with rnnbow's
# build dependencies has, sorted so that the bytes are the same on each.
LC_ALL=C
export LC_ALL
cat /usr/include/hdf5/serial/*.h /usr/include/*.h | head -c 4000000 >"$OUT/corpus.c"

for cell in rnn lstm gru; do
	"$RNNBOW" record "$OUT/corpus.c" -o "$OUT/$cell.h5" --force --quiet --cell "$cell" \
		--hidden "$HIDDEN" --seq-len 25 --batches "$BATCHES" --record-every "$RECORD_EVERY" --seed 1
	"$RNNBOW" info "$OUT/$cell.h5" >"$OUT/info_$cell.txt"
done

for fmt in png svg pdf; do
	"$RNNBOW" plot horizon "$OUT/rnn.h5" "$OUT/lstm.h5" "$OUT/gru.h5" \
		-o "$OUT/cells_horizon.$fmt" --title "gradient decay with lag: rnn, lstm, gru"
done
"$RNNBOW" horizon --overall "$OUT/rnn.h5" "$OUT/lstm.h5" "$OUT/gru.h5" >"$OUT/overall.tsv"

# k per gate: which gates carry the gradient furthest back
{
	printf 'cell\tgate\tk_exact\tk_bound\n'
	for g in i f g o; do
		"$RNNBOW" horizon --overall --gate "$g" "$OUT/lstm.h5" |
			awk -v g="$g" -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
				{ print "lstm\t" g "\t" $c["k_exact"] "\t" $c["k_bound"] }'
	done
	for g in r z n; do
		"$RNNBOW" horizon --overall --gate "$g" "$OUT/gru.h5" |
			awk -v g="$g" -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
				{ print "gru\t" g "\t" $c["k_exact"] "\t" $c["k_bound"] }'
	done
} >"$OUT/gates.tsv"
# which gates carry the gradient furthest back: one curve per gate
for fmt in png svg pdf; do
	"$RNNBOW" plot horizon --gate all "$OUT/lstm.h5" -o "$OUT/lstm_gates.$fmt" \
		--title "LSTM: gradient decay with lag, gate by gate"
done
echo "cells: figures and tables in $OUT"
column -t -s "$(printf '\t')" "$OUT/overall.tsv" 2>/dev/null || cat "$OUT/overall.tsv"
