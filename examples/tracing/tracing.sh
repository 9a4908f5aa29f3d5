#!/bin/sh
# tracing.sh - the experiment that the gradient-tracing chapter proposes
# but never ran: train components side by side on the same input
# (record --cell rnn,lstm,gru,rnn,lstm,gru: their logits averaged), rank
# them by the share of the input's gradient paths each wins (rnnbow trace
# --param input), take each out in turn (rnnbow ablate: the held-out loss without its logits), and ask
# whether the two rankings agree: Spearman's rho between tracing influence
# and loss increase, per seed and pooled, on two corpora:
#   long   made by longrange.awk: copies across gaps of 8 to 24 bytes and
#          nested brackets, bytes that depend on bytes far behind them
#   c      C: the first 200 KB of the system's headers (HDF5's, then
#          /usr/include/*.h)
# Writes to OUT: per corpus and seed the run (CORPUS_sSEED.h5), its
# influence and ablation tables (.influence.tsv, .ablate.tsv), then
# results.tsv and points.tsv (analyze.py), the figure scatter.{png,svg}
# (influence against loss increase), and summary.txt, the verdict per
# corpus.
#
# Run from the repository root after `make`:  sh examples/tracing/tracing.sh
# Environment: OUT (default examples/tracing/out), RNNBOW (default
# ./rnnbow), PY (default python3, with numpy), SEEDS (default "1 2 3 4 5"),
# BATCHES (default 4000), HIDDEN (default 32), RECORD_EVERY (default 100),
# CELLS (default rnn,lstm,gru,rnn,lstm,gru: each kind twice, so that
# tracing must rank two components of one kind too), QUICK=1 (the test's
# setting: two seeds, 300 batches of a 12-unit rnn,lstm,gru, 10 s).
# The full run: about 90 s on a busy 2-core machine (37 s of CPU).
set -eu
OUT=${OUT:-examples/tracing/out}
RNNBOW=${RNNBOW:-./rnnbow}
PY=${PY:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	SEEDS=${SEEDS:-1 2}
	BATCHES=${BATCHES:-300}
	HIDDEN=${HIDDEN:-12}
	RECORD_EVERY=${RECORD_EVERY:-50}
	BYTES=${BYTES:-30000}
	CELLS=${CELLS:-rnn,lstm,gru}
fi
SEEDS=${SEEDS:-1 2 3 4 5}
BATCHES=${BATCHES:-4000}
HIDDEN=${HIDDEN:-32}
RECORD_EVERY=${RECORD_EVERY:-100}
BYTES=${BYTES:-200000}
CELLS=${CELLS:-rnn,lstm,gru,rnn,lstm,gru}
SEQ_LEN=40 # longer than the longest copy (5 + 24 + 1 + 5 bytes)
LC_ALL=C
export LC_ALL
mkdir -p "$OUT"

if ! "$RNNBOW" ablate --help >/dev/null 2>&1; then
	echo "tracing.sh: $RNNBOW has no ablate (components in competition): build a newer rnnbow" >&2
	exit 3
fi

# --- the corpora: training text and held-out text of the same kind ---
awk -v bytes="$BYTES" -v seed=1 -f "$HERE/longrange.awk" >"$OUT/long.txt"
awk -v bytes=20000 -v seed=2 -f "$HERE/longrange.awk" >"$OUT/long_held.txt"
# C: the system's C headers (as examples/pitfalls), not rnnbow's own
# source, which changes from commit to commit and the numbers with it
cat /usr/include/hdf5/serial/*.h /usr/include/*.h | head -c "$BYTES" >"$OUT/c_all.txt"
size=$(wc -c <"$OUT/c_all.txt")
head -c $((size * 9 / 10)) "$OUT/c_all.txt" >"$OUT/c.txt"
# the held-out tail keeps only lines made of the training text's bytes
# (record --valid refuses a byte the model has no id for)
tail -c $((size - size * 9 / 10)) "$OUT/c_all.txt" |
	awk 'NR == FNR { for (i = 1; i <= length($0); i++) seen[substr($0, i, 1)] = 1; next }
	     { for (i = 1; i <= length($0); i++) if (!(substr($0, i, 1) in seen)) next; print }' \
		"$OUT/c.txt" - >"$OUT/c_held.txt"
rm "$OUT/c_all.txt"

# The last record, and the first of the last half of training: tracing
# influence is counted over those records (a batch has only n input
# paths), the ablation is of the last record's parameters.
last=$(( (BATCHES - 1) / RECORD_EVERY * RECORD_EVERY ))
from=$(( (BATCHES / 2) / RECORD_EVERY * RECORD_EVERY ))

for corpus in long c; do
	for seed in $SEEDS; do
		run="$OUT/${corpus}_s$seed"
		"$RNNBOW" record "$OUT/$corpus.txt" -o "$run.h5" --force --quiet --cell "$CELLS" \
			--hidden "$HIDDEN" --seq-len "$SEQ_LEN" --batches "$BATCHES" \
			--record-every "$RECORD_EVERY" --save-params --seed "$seed" \
			--valid "$OUT/${corpus}_held.txt"
		# tracing influence: the share of the paths from the input (one a
		# step) that each component wins at their first hop, over the
		# records of the last half of training
		"$RNNBOW" trace --summary --param input --from "$from" "$run.h5" >"$run.trace.tsv"
		awk -F'\t' 'NR == 1 { print "component\tinfluence"; next }
			$2 == -1 && $1 != "all" { print $1 "\t" $5 }' "$run.trace.tsv" >"$run.influence.tsv"
		# ablation: the held-out loss at the last record without each
		# component's logits
		"$RNNBOW" ablate --batch "$last" "$run.h5" >"$run.ablate.tsv"
	done
done

"$PY" "$HERE/analyze.py" "$OUT" | tee "$OUT/summary.txt"

# the figure: influence against loss increase, a panel per corpus (its
# mean rho and p in the title), a colour per cell kind, a point per
# component and seed
first=$(echo $SEEDS | cut -d' ' -f1)
names=$(awk -F'\t' 'NR > 1 { printf "%s ", $1 }' "$OUT/long_s$first.ablate.tsv")
head_of() { # the title of corpus $1's panel
	awk -F'\t' -v c="$1" '$1 == c && $2 == "mean" {
		split($6, a, "p "); printf "%s: mean rho %.2f over %d seeds, p %s", c, $4, $3, a[2] }' \
		"$OUT/results.tsv"
}
for fmt in png svg; do
	term="pngcairo size 1200,500 font 'DejaVu Sans,10'"
	[ $fmt = svg ] && term="svg size 1200,500 font 'DejaVu Sans,10'"
	gnuplot <<GP
set terminal $term
set output "$OUT/scatter.$fmt"
set datafile separator "\t"
set multiplot layout 1,2
set key top left noenhanced
set grid lc rgb "#e0e0e0"
set xlabel "tracing influence (share of input paths)"
set ylabel "held-out loss increase when ablated (nats)"
names = "$names"
# a colour per cell kind, a point type per component of the kind
col_of(s) = s[1:3] eq "rnn" ? "#7b3294" : s[1:4] eq "lstm" ? "#008837" : "#0571b0"
pt_of(s) = s[strlen(s):strlen(s)] eq "1" ? 9 : 7
titles = "$(head_of long)|$(head_of c)"
do for [i = 1:2] {
	corpus = word("long c", i)
	set title (i == 1 ? titles[1:strstrt(titles, "|") - 1] : titles[strstrt(titles, "|") + 1:]) noenhanced
	plot for [k = 1:words(names)] "$OUT/points.tsv" using \
		((strcol(1) eq corpus && strcol(3) eq word(names, k)) ? \$4 : NaN):5 \
		with points pt pt_of(word(names, k)) ps 1.2 lc rgb col_of(word(names, k)) \\
		title word(names, k)
}
unset multiplot
GP
done
