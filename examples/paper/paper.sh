#!/bin/sh
# paper.sh - the paper's use case, figure for figure (Cashman et al.,
# "RNNbow"; examples/paper/README.md sets each claim beside this run's
# numbers): a vanilla tanh RNN with H = 100 hidden units, n = 25 steps per
# batch, trained on the Linux kernel's C source, every 100th of the first
# 50,000 batches recorded. The figures, by the paper's numbers:
#   fig4_samples.txt  text sampled before training and after 250,000
#                     characters (batch 10,000)
#   fig5_overview     max gradient per recorded batch, the late batch marked
#   fig6_early        an early batch: true over predicted bytes, bars by lag
#   fig7_late         a late batch: the bars' lighter (distant) shades grow
#   fig8_horizon      one loss's horizon (the late batch's last loss)
#   fig9_max          the batch with the maximal gradient, labels, prediction
# plus decay (how gradient decays with lag), k (truncation horizon over
# training), heatmap (g[t,j] of the max batch) and loss, each as .png,
# .svg and .pdf, and the tables behind them as .tsv.
#
# The corpus: Debian's linux-source package, fetched with apt-get download
# into $OUT/cache (139 MB, once) and cut to the C files of kernel/, mm/,
# fs/ and net/core/ in sorted order; when it cannot be fetched (no network,
# no apt), the C headers under /usr/include, and corpus.txt says which.
#
# Run from the repository root after `make`:  sh examples/paper/paper.sh
# Environment: OUT (default examples/paper/out), BATCHES (default 50000),
# SAMPLE_EVERY (default 10000: 250,000 characters), EARLY (default 100),
# CORPUS=headers (skip the kernel source).
set -eu
OUT=${OUT:-examples/paper/out}
BATCHES=${BATCHES:-50000}
SAMPLE_EVERY=${SAMPLE_EVERY:-10000}
EARLY=${EARLY:-100}
CORPUS=${CORPUS:-linux}
RNNBOW=${RNNBOW:-./rnnbow}
mkdir -p "$OUT"
LC_ALL=C
export LC_ALL

# linux_source: the kernel's C files into $OUT/corpus.c; fails quietly
linux_source() {
	mkdir -p "$OUT/cache"
	deb=$(ls "$OUT"/cache/linux-source-*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		pkg=$(apt-cache depends linux-source 2>/dev/null | awk '/Depends: linux-source-/ { print $2; exit }')
		[ -n "$pkg" ] || return 1
		(cd "$OUT/cache" && apt-get download "$pkg" >/dev/null 2>&1) || return 1
		deb=$(ls "$OUT"/cache/linux-source-*.deb 2>/dev/null | head -n 1)
		[ -n "$deb" ] || return 1
	fi
	rm -rf "$OUT/cache/src"
	mkdir -p "$OUT/cache/src"
	dpkg-deb --fsys-tarfile "$deb" | tar -xOf - --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJf - -C "$OUT/cache/src" --wildcards '*/kernel/*.c' '*/mm/*.c' '*/fs/*.c' \
			'*/net/core/*.c' || return 1
	find "$OUT/cache/src" -name '*.c' | sort | xargs cat | head -c 8000000 >"$OUT/corpus.c"
	[ -s "$OUT/corpus.c" ] || return 1
	echo "the Linux kernel's C source ($(basename "$deb"): kernel/, mm/, fs/, net/core/ *.c, sorted, first 8 MB)" \
		>"$OUT/corpus.txt"
}

if [ "$CORPUS" = headers ] || ! linux_source; then
	# the fallback: C headers every Debian machine with rnnbow's build
	# dependencies has, sorted so that the bytes are the same on each
	cat /usr/include/hdf5/serial/*.h /usr/include/*.h | head -c 4000000 >"$OUT/corpus.c"
	echo "C headers under /usr/include (the kernel source was not fetched$([ "$CORPUS" = headers ] && echo ': CORPUS=headers'))" \
		>"$OUT/corpus.txt"
	echo "paper: linux-source could not be fetched: training on the C headers instead" >&2
fi

"$RNNBOW" record "$OUT/corpus.c" -o "$OUT/run.h5" --force --quiet \
	--hidden 100 --seq-len 25 --batches "$BATCHES" --record-every 100 --seed 1 \
	--save-params --sample-every "$SAMPLE_EVERY" --sample-length 400
"$RNNBOW" info "$OUT/run.h5" >"$OUT/info.txt"
"$RNNBOW" summarize "$OUT/run.h5" >"$OUT/summarize.tsv"
"$RNNBOW" horizon "$OUT/run.h5" >"$OUT/decay.tsv"
"$RNNBOW" horizon --per-batch "$OUT/run.h5" >"$OUT/k.tsv"
"$RNNBOW" horizon --overall "$OUT/run.h5" >"$OUT/overall.tsv"

# Fig 4: the model's text before training and after 250,000 characters
# (batch SAMPLE_EVERY, or the last record of a shorter run), drawn as
# `record` stored them: with the run's seed `sample` gives them back
after=$(( BATCHES > SAMPLE_EVERY ? SAMPLE_EVERY : (BATCHES - 1) / 100 * 100 ))
{
	echo "== before training (batch 0) =="
	"$RNNBOW" sample "$OUT/run.h5" --batch 0 --length 400
	echo
	echo "== after $((after * 25)) characters (batch $after) =="
	"$RNNBOW" sample "$OUT/run.h5" --batch "$after" --length 400
	echo
} >"$OUT/fig4_samples.txt"

# the batches the figures show: an early one, the last one recorded, the
# one with the largest max gradient
late=$(awk -F'\t' 'NR > 1 { b = $1 } END { print b }' "$OUT/summarize.tsv")
top=$("$RNNBOW" summarize --top 1 "$OUT/run.h5" | awk 'NR == 2 { print $1 }')
for fmt in png svg pdf; do
	"$RNNBOW" plot overview "$OUT/run.h5" -o "$OUT/fig5_overview.$fmt" --mark "$late"
	"$RNNBOW" plot batch --batch "$EARLY" "$OUT/run.h5" -o "$OUT/fig6_early.$fmt"
	"$RNNBOW" plot batch --batch "$late" "$OUT/run.h5" -o "$OUT/fig7_late.$fmt"
	"$RNNBOW" plot batch --batch "$late" --loss 24 "$OUT/run.h5" -o "$OUT/fig8_horizon.$fmt"
	"$RNNBOW" plot batch --batch "$top" "$OUT/run.h5" -o "$OUT/fig9_max.$fmt"
	"$RNNBOW" plot horizon "$OUT/run.h5" -o "$OUT/decay.$fmt"
	"$RNNBOW" plot k "$OUT/run.h5" -o "$OUT/k.$fmt"
	"$RNNBOW" plot heatmap --batch "$top" "$OUT/run.h5" -o "$OUT/heatmap.$fmt"
	"$RNNBOW" plot loss "$OUT/run.h5" -o "$OUT/loss.$fmt"
done
echo "paper: figures and tables in $OUT (early batch $EARLY, late batch $late, max gradient at batch $top; corpus: $(cat "$OUT/corpus.txt"))"
