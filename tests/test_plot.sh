#!/bin/sh
# test_plot.sh - rnnbow plot: every kind in every format gives a valid file
# (PNG signature and size, SVG that parses as XML with the expected text,
# PDF that pdfinfo opens); the same command gives the same bytes; a kept
# script re-renders the same image with plain gnuplot; horizon reads
# rnnbow horizon's TSV and overlays runs; bad input fails cleanly and
# leaves no figure behind. Usage: sh tests/test_plot.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

cat "$ROOT"/libcore/*.c >"$T/c.txt"
"$BIN" record "$T/c.txt" -o "$T/run.h5" --quiet --hidden 32 --seq-len 16 --batches 3000 --record-every 10
"$BIN" record "$T/c.txt" -o "$T/tiny.h5" --quiet --hidden 8 --seq-len 6 --batches 30 --record-every 10
"$BIN" record "$T/c.txt" -o "$T/relu.h5" --quiet --hidden 32 --seq-len 16 --batches 1000 --record-every 10 --activation relu

png_ok() { # PNG signature, and width and height from the IHDR chunk
	$PY - "$1" "$2" "$3" <<'PY'
import sys, struct
b = open(sys.argv[1], "rb").read(32)
assert b[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (int(sys.argv[2]), int(sys.argv[3])), (w, h)
PY
}
svg_has() { # parses as XML, and holds the text given
	$PY - "$1" "$2" <<'PY'
import sys, xml.dom.minidom
xml.dom.minidom.parse(sys.argv[1])
assert sys.argv[2] in open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
PY
}

i=0
for kind in overview batch horizon k heatmap loss; do
	case $kind in
	batch) extra="--batch 1500 --loss 9" ; want="batch 1500, step 3: true" ;;
	heatmap) extra="--top 1" ; want="log" ;;
	overview) extra="--mark 1000" ; want="batch 1000: max gradient" ;;
	horizon) extra="" ; want="tanh, H=32, n=16" ;;
	k) extra="--eps 0.05" ; want="eps = 0.05" ;;
	loss) extra="" ; want="gradient norm" ;;
	esac
	for fmt in png svg pdf; do
		f="$T/$kind.$fmt"
		# shellcheck disable=SC2086
		if ! "$BIN" plot $kind $extra "$T/run.h5" -o "$f" 2>"$T/err"; then
			notok "plot $kind .$fmt: $(head -n 1 "$T/err")"
			continue
		fi
		case $fmt in
		png) check "plot $kind .png: a PNG of 1200 by its height" sh -c \
			"h=\$($PY -c \"import struct;print(struct.unpack('>II',open('$f','rb').read(24)[16:24])[1])\"); [ \$h -ge 600 ]" ;;
		svg) check "plot $kind .svg: valid XML holding '$want'" svg_has "$f" "$want" ;;
		pdf) check "plot $kind .pdf: pdfinfo opens it" sh -c "pdfinfo '$f' | grep -q '^Pages: *1'" ;;
		esac
		# shellcheck disable=SC2086
		"$BIN" plot $kind $extra "$T/run.h5" -o "$T/again.$fmt"
		check "plot $kind .$fmt: the same command gives the same bytes" cmp -s "$f" "$T/again.$fmt"
	done
done

check "png --size 640,480 is 640 x 480" sh -c "'$BIN' plot overview '$T/run.h5' -o '$T/s.png' --size 640,480"
check "... and png_ok agrees" png_ok "$T/s.png" 640 480
check "overview of a tiny run (3 records)" "$BIN" plot overview "$T/tiny.h5" -o "$T/tiny.png"
check "overview with more records than pixels is an envelope" sh -c \
	"'$BIN' plot overview '$T/run.h5' -o '$T/env.svg' --size 400,300 && grep -q 'records per bin' '$T/env.svg'"
check "--title and --no-title" sh -c \
	"'$BIN' plot k '$T/run.h5' -o '$T/t.svg' --title 'My k' && grep -q 'My k' '$T/t.svg' &&
	 '$BIN' plot k '$T/run.h5' -o '$T/nt.svg' --no-title && ! grep -q 'truncation horizon k:' '$T/nt.svg'"

# horizon: several runs overlay; rnnbow horizon's TSV on stdin
check "horizon overlays two runs with a legend each" sh -c \
	"'$BIN' plot horizon '$T/run.h5' '$T/relu.h5' -o '$T/two.svg' &&
	 grep -q 'run.h5 (rnn tanh, H=32' '$T/two.svg' && grep -q 'relu.h5 (rnn relu, H=32' '$T/two.svg'"
check "horizon reads rnnbow horizon's TSV on stdin" sh -c \
	"'$BIN' horizon '$T/run.h5' '$T/relu.h5' | '$BIN' plot horizon - -o '$T/tsv.svg' && grep -q 'relu.h5' '$T/tsv.svg'"
check "horizon reads a run file on stdin" sh -c "'$BIN' plot horizon - -o '$T/stdin.png' <'$T/run.h5'"

# kept scripts re-render the same image
mkdir "$T/keep"
for fmt in png svg; do
	"$BIN" plot batch --batch 1500 --loss 9 "$T/run.h5" -o "$T/kept.$fmt" --keep-script "$T/keep"
	check "--keep-script .$fmt: plain gnuplot re-renders the same bytes" sh -c \
		"cd '$T/keep' && gnuplot kept.$fmt.gp && cmp -s kept.$fmt '$T/kept.$fmt'"
done
check "the kept script holds its data as datablocks" grep -q '^\$B << EOD' "$T/keep/kept.png.gp"

# bad input: clear error, no figure left behind
bad_plot() { # CODE WHAT ARGS...
	code=$1 what=$2
	shift 2
	rm -f "$T/bad.png"
	expect_fail "$code" "$what" "$BIN" plot "$@"
	if ls "$T"/bad.png* >/dev/null 2>&1; then notok "$what: left a figure behind"; fi
}
bad_plot 2 "unknown kind" scatter "$T/run.h5" -o "$T/bad.png"
bad_plot 2 "unknown extension" overview "$T/run.h5" -o "$T/bad.gif"
bad_plot 2 "no -o" overview "$T/run.h5"
bad_plot 2 "batch without --batch" batch "$T/run.h5" -o "$T/bad.png"
bad_plot 2 "two runs for overview" overview "$T/run.h5" "$T/relu.h5" -o "$T/bad.png"
bad_plot 2 "--size nonsense" overview "$T/run.h5" -o "$T/bad.png" --size big
bad_plot 1 "batch not recorded" batch --batch 7 "$T/run.h5" -o "$T/bad.png"
bad_plot 1 "--loss outside the steps" batch --batch 10 --loss 99 "$T/run.h5" -o "$T/bad.png"
bad_plot 1 "--mark of a batch not recorded" overview --mark 3 "$T/run.h5" -o "$T/bad.png"
bad_plot 1 "not a run" overview "$T/c.txt" -o "$T/bad.png"
bad_plot 1 "horizon from a table without its columns" horizon - -o "$T/bad.png" <"$T/c.txt"
mkdir "$T/nognu" # a PATH without gnuplot
rm -f "$T/bad.png"
expect_fail 1 "gnuplot missing" env PATH="$T/nognu" "$BIN" plot k "$T/run.h5" -o "$T/bad.png"
check "gnuplot missing: the message says so, and no figure is left" sh -c \
	"env PATH='$T/nognu' '$BIN' plot k '$T/run.h5' -o '$T/bad.png' 2>&1 | grep -q 'gnuplot not found' && ! ls '$T'/bad.png* 2>/dev/null"
echo "old" >"$T/keep.png"
"$BIN" plot batch --batch 7 "$T/run.h5" -o "$T/keep.png" 2>/dev/null
check "a failed plot leaves an existing figure as it was" grep -q old "$T/keep.png"

# --gate all: one curve per gate, and the report's gate figure for gated runs
"$BIN" record "$T/c.txt" -o "$T/lstm.h5" --quiet --cell lstm --hidden 8 --seq-len 10 \
	--batches 200 --record-every 10
"$BIN" record "$T/c.txt" -o "$T/gru.h5" --quiet --cell gru --hidden 8 --seq-len 10 \
	--batches 200 --record-every 10
check "plot horizon --gate all of an LSTM and a GRU" \
	"$BIN" plot horizon --gate all "$T/lstm.h5" "$T/gru.h5" -o "$T/gates.svg"
check "... one legend entry per gate of each run (4 + 3)" sh -c \
	"[ \$(grep -o 'n=10, gate [a-z])' '$T/gates.svg' | sort -u | wc -l) -eq 7 ] &&
	 grep -q 'lstm, H=8, n=10, gate f)' '$T/gates.svg' && grep -q 'gru, H=8, n=10, gate z)' '$T/gates.svg'"
expect_fail 1 "--gate all of a vanilla run" "$BIN" plot horizon --gate all "$T/run.h5" -o "$T/g2.svg"
expect_fail 2 "--gate all with plot k" "$BIN" plot k --gate all "$T/lstm.h5" -o "$T/g3.svg"
check "report of an LSTM shows the gate-by-gate horizon" sh -c \
	"'$BIN' report '$T/lstm.h5' -o '$T/rep-lstm' --top 1 >/dev/null &&
	 [ -s '$T/rep-lstm/horizon-gates.svg' ] && grep -q 'horizon-gates.svg' '$T/rep-lstm/index.html'"
check "... and of a vanilla run does not" sh -c \
	"'$BIN' report '$T/run.h5' -o '$T/rep-rnn' --top 1 >/dev/null &&
	 [ ! -e '$T/rep-rnn/horizon-gates.svg' ] && ! grep -q 'horizon-gates' '$T/rep-rnn/index.html'"
finish
