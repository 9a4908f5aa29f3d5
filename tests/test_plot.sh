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
# --from/--to zoom overview and loss too (they were read and ignored)
mkdir -p "$T/win"
check "overview --from 1000 --to 1990 draws exactly the 100 records of that window" sh -c \
	"'$BIN' plot overview --from 1000 --to 1990 '$T/run.h5' -o '$T/win/o.svg' --keep-script '$T/win' &&
	 awk '/<< EOD/{f=1;next}/^EOD/{f=0}f' '$T/win/o.svg.gp' |
	 awk '\$1<1000||\$1>1990{bad=1}END{exit bad||NR!=100}'"
check "loss --from 500 --to 999 draws training batches 500..999 only" sh -c \
	"'$BIN' plot loss --from 500 --to 999 '$T/run.h5' -o '$T/win/l.svg' --keep-script '$T/win' &&
	 awk '/<< EOD/{f=1;next}/^EOD/{f=0}f' '$T/win/l.svg.gp' |
	 awk '\$1<500||\$1>999{bad=1}END{exit bad||NR!=500}'"
check "overview: a window with no records says so" sh -c \
	"! '$BIN' plot overview --from 5000 '$T/run.h5' -o '$T/win/e.svg' 2>'$T/win/err' &&
	 grep -q 'no records to plot in --from/--to' '$T/win/err'"
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
# tables: an empty cell is a cell (columns never shift), numbers are numbers,
# a CR before each newline (a table saved elsewhere) changes nothing
"$BIN" horizon "$T/run.h5" >"$T/h.tsv"
awk -F'\t' 'NR == 3 { $3 = "" } 1' OFS='\t' "$T/h.tsv" >"$T/empty-cell.tsv"
awk -F'\t' 'NR == 3 { $3 = "abc" } 1' OFS='\t' "$T/h.tsv" >"$T/word.tsv"
sed 's/$/\r/' "$T/h.tsv" >"$T/crlf.tsv"
bad_plot 1 "horizon from a table with an empty cell" horizon - -o "$T/bad.png" <"$T/empty-cell.tsv"
bad_plot 1 "horizon from a table with a word for a median" horizon - -o "$T/bad.png" <"$T/word.tsv"
check "horizon from a table with CRLF line ends: the same figure" sh -c \
	"'$BIN' plot horizon - -o '$T/lf.svg' <'$T/h.tsv' && '$BIN' plot horizon - -o '$T/crlf.svg' <'$T/crlf.tsv' &&
	 cmp -s '$T/lf.svg' '$T/crlf.svg'"
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
# figures for papers (issue 10, defect 8): keys clear of the data, colours
# apart, integer k, hover points on filled cells only, log overview, sizes
mkdir "$T/fig"
kept() { # KIND ARGS... : renders into $T/fig with its script kept
	"$BIN" plot "$@" --keep-script "$T/fig" 2>"$T/err"
}
kept horizon "$T/run.h5" "$T/relu.h5" -o "$T/fig/h.png"
check "horizon: the key sits below the plot, not over the curves" \
	grep -q '^set key outside below' "$T/fig/h.png.gp"
kept batch --batch 1500 --loss 9 "$T/run.h5" -o "$T/fig/b.png"
check "batch: the key is a row of its own over the bars, no box to spill out of" sh -c \
	"grep -q '^set key at screen .* horizontal' '$T/fig/b.png.gp' && ! grep -q 'key.* box' '$T/fig/b.png.gp'"
check "batch: the last lag layer is one glyph (≥4), not '>=4'" sh -c \
	"grep -q 'title \"lag ≥4\"' '$T/fig/b.png.gp' && ! grep -q '>=4' '$T/fig/b.png.gp'"
check "batch: panels placed by their text rows, not an equal-thirds layout" sh -c \
	"! grep -q 'multiplot layout' '$T/fig/b.png.gp' && [ \$(grep -c '^set tmargin at screen' '$T/fig/b.png.gp') -eq 3 ]"
kept horizon --gate all "$T/lstm.h5" "$T/gru.h5" -o "$T/fig/g.png"
check "--gate all (7 curves): no stacked fills that blend to grey, band edges drawn" sh -c \
	"! grep -q filledcurves '$T/fig/g.png.gp' &&
	 [ \$(grep -o 'using 1:3 with lines' '$T/fig/g.png.gp' | wc -l) -eq 7 ] &&
	 [ \$(grep -o 'using 1:4 with lines' '$T/fig/g.png.gp' | wc -l) -eq 7 ]"
# 12 runs from a table: every curve its own colour, or colour and dashes
$PY - >"$T/twelve.tsv" <<'PY'
print("run\tlag\tmedian\tp10\tp90")
for r in range(12):
    for lag in range(4):
        m = 0.5 ** (lag * (1 + r / 10))
        print(f"run{r}.h5\t{lag}\t{m}\t{m / 3}\t{min(1.5, m * 3)}")
PY
check "horizon of 12 runs: 12 distinct colour-and-dash styles" sh -c \
	"'$BIN' plot horizon - -o '$T/fig/twelve.png' --keep-script '$T/fig' <'$T/twelve.tsv' &&
	 [ \$(grep '^plot' '$T/fig/twelve.png.gp' | tr ',' '\n' | grep ' title ' | grep -o 'dt [0-9]* lc rgb \"#[0-9a-f]*\"' | sort -u | wc -l) -eq 12 ]"
head -n 33 "$T/twelve.tsv" >"$T/eight.tsv"
check "horizon of 8 runs: 8 distinct colours" sh -c \
	"'$BIN' plot horizon - -o '$T/fig/eight.png' --keep-script '$T/fig' <'$T/eight.tsv' &&
	 [ \$(grep '^plot' '$T/fig/eight.png.gp' | tr ',' '\n' | grep ' title ' | grep -o 'lc rgb \"#[0-9a-f]*\"' | sort -u | wc -l) -eq 8 ]"
kept k "$T/run.h5" -o "$T/fig/k.png"
check "k: integer ticks (a whole step, integer labels)" sh -c \
	"grep -Eq '^set ytics 0, [1-9][0-9]*$' '$T/fig/k.png.gp' && grep -q '^set format y \"%.0f\"' '$T/fig/k.png.gp'"
check "k: the key sits below the plot, clear of a k = 1 line" \
	grep -q '^set key outside below' "$T/fig/k.png.gp"
"$BIN" plot heatmap --batch 1500 "$T/run.h5" -o "$T/fig/hm.svg"
# n = 16: cells j <= t are 136 (all g > 0 in a tanh run); the 120 above are blank
check "heatmap .svg: one hover point per filled cell (136), none on the blank triangle" sh -c \
	"[ \$(grep -c 'showHypertext(evt' '$T/fig/hm.svg') -eq 136 ] &&
	 [ \$(grep -c \"<use xlink:href='#gpPt[0-9]*' transform\" '$T/fig/hm.svg') -eq 136 ]"
check "heatmap .svg: the hover points are transparent" sh -c \
	"! grep \"<use xlink:href='#gpPt[0-9]*' transform\" '$T/fig/hm.svg' | grep -vq \"opacity='0.00'\""
# overview: --yscale; auto is log when the bars span more than 3 decades
# (a corpus made here, not rnnbow's source: the run must not change with the code)
i=0
while [ $i -lt 1500 ]; do
	echo "$i: static int f$i(int x) { return x * $((i % 17)) + $((i % 5)); } /* $((i * 7919 % 1000)) */"
	i=$((i + 1))
done >"$T/sat.txt"
"$BIN" record "$T/sat.txt" -o "$T/sat.h5" --quiet --hidden 16 --seq-len 16 --batches 400 \
	--record-every 10 --lr 3 --clip 1000 # max gradient spans 6 decades (1e-4 to 1e2)
kept overview --yscale log "$T/run.h5" -o "$T/fig/ol.png"
check "overview --yscale log: a log y axis" grep -q '^set logscale y' "$T/fig/ol.png.gp"
kept overview "$T/sat.h5" -o "$T/fig/oa.png"
check "overview, auto: log for a run whose gradient falls by 6 decades" \
	grep -q '^set logscale y' "$T/fig/oa.png.gp"
kept overview "$T/run.h5" -o "$T/fig/on.png"
check "overview, auto: linear for a run within 3 decades (one tiny first batch aside)" \
	sh -c "! grep -q logscale '$T/fig/on.png.gp'"
kept overview --yscale linear "$T/sat.h5" -o "$T/fig/ox.png"
check "overview --yscale linear: linear even so" sh -c "! grep -q logscale '$T/fig/ox.png.gp'"
expect_fail 2 "--yscale with plot k" "$BIN" plot k --yscale log "$T/run.h5" -o "$T/fig/x.png"
expect_fail 2 "--yscale nonsense" "$BIN" plot overview --yscale cubic "$T/run.h5" -o "$T/fig/x.png"
check "report of a log overview: the links' heights stay within the frame" sh -c \
	"'$BIN' report '$T/sat.h5' -o '$T/rep-sat' --top 3 >/dev/null &&
	 grep -o 'height:[0-9.]*%' '$T/rep-sat/index.html' | tr -d 'height:%' |
	 awk '{ if (\$1 < 10 || \$1 > 78) bad = 1 } END { exit bad || NR != 3 }'"
# sizes: presets in inches, fonts in points, the same in every format
# cairo rounds a PDF's page to whole points: 3.3 in = 237.6 pt is 237
check "--size column: a PDF 3.3 in (237 pt) wide" sh -c \
	"'$BIN' plot overview --size column '$T/run.h5' -o '$T/fig/col.pdf' &&
	 pdfinfo '$T/fig/col.pdf' | grep -q '^Page size: *237 x'"
check "--size column: its text is at least 7 pt (median word box / 1.55 em)" sh -c \
	"pdftotext -bbox '$T/fig/col.pdf' - | $PY -c \"
import re, sys, statistics
h = [float(b) - float(a) for a, b in re.findall(r'yMin=\\\"([0-9.]+)\\\" xMax=\\\"[0-9.]+\\\" yMax=\\\"([0-9.]+)\\\"', sys.stdin.read())]
sys.exit(not (h and statistics.median(h) / 1.55 >= 7))\""
"$BIN" plot overview --size column "$T/run.h5" -o "$T/fig/col2.pdf" --keep-script "$T/fig"
check "--size column: the script asks for 8 pt text at fontscale 1" \
	grep -q 'pdfcairo size 3.3in,.* fontscale 1 font "DejaVu Sans,8"' "$T/fig/col2.pdf.gp"
check "--size page: a PDF 7 in (504 pt) wide; PDF's default is a page" sh -c \
	"'$BIN' plot k --size page '$T/run.h5' -o '$T/fig/page.pdf' && '$BIN' plot k '$T/run.h5' -o '$T/fig/dflt.pdf' &&
	 pdfinfo '$T/fig/page.pdf' | grep -q '^Page size: *504 x' && pdfinfo '$T/fig/dflt.pdf' | grep -q '^Page size: *504 x'"
check "--size 3.3x2.5: PDF 237 x 180 pt, PNG 990 x 750 (300 dpi), SVG 317 x 240" sh -c \
	"'$BIN' plot horizon --size 3.3x2.5 '$T/run.h5' -o '$T/fig/w.pdf' &&
	 '$BIN' plot horizon --size 3.3x2.5 '$T/run.h5' -o '$T/fig/w.png' &&
	 '$BIN' plot horizon --size 3.3x2.5 '$T/run.h5' -o '$T/fig/w.svg' &&
	 pdfinfo '$T/fig/w.pdf' | grep -q '^Page size: *237 x 180 pts' && grep -q 'width=\"317\" height=\"240\"' '$T/fig/w.svg'"
check "... and png_ok agrees on the PNG" png_ok "$T/fig/w.png" 990 750
check "--size column is the same bytes twice (pdf, png, svg)" sh -c \
	"for f in pdf png svg; do '$BIN' plot batch --top 1 --size column '$T/run.h5' -o '$T/fig/c1.'\$f &&
	 '$BIN' plot batch --top 1 --size column '$T/run.h5' -o '$T/fig/c2.'\$f && cmp -s '$T/fig/c1.'\$f '$T/fig/c2.'\$f || exit 1; done"
check "--size column: no title by default (a paper's caption is its title)" sh -c \
	"'$BIN' plot k --size column '$T/run.h5' -o '$T/fig/nt.svg' && ! grep -q 'truncation horizon k' '$T/fig/nt.svg'"
bad_plot 2 "--size 640x480: WxH is inches (1 to 50)" overview "$T/run.h5" -o "$T/bad.png" --size 640x480
bad_plot 2 "--size 0.5x2: too small" overview "$T/run.h5" -o "$T/bad.png" --size 0.5x2
# a column-wide batch figure: its note (batch, offset) fits the width: the
# short form, from the left edge (DejaVu Sans: about 0.7 em a character;
# measured, "batch 18500, corpus offset 86800" ran past a 3.3 in figure)
"$BIN" plot batch --top 1 --size column "$T/run.h5" -o "$T/fig/bcol.pdf" --keep-script "$T/fig"
check "plot batch --size column: the batch note fits the figure's width" $PY -c "
import re, sys
gp = open('$T/fig/bcol.pdf.gp').read()
m = re.search(r'set label 990 \"([^\"]*)\" at screen ([0-9.]+)', gp)
sys.exit(not (m and 'corpus offset' not in m.group(1) and
              float(m.group(2)) + (len(m.group(1)) + 2) * 0.7 * 8 / 72 / 3.3 <= 1.0))"
# nothing runs off the figure: a last loss's label ("loss t = 15" centred on
# the last step ran past the right edge) and a y label beside tick labels
# of 4+ digits (gradient norms in the thousands pushed it past the left)
svg_inside() { # FILE TEXT...: every text of an SVG lies within its width (by its
	# anchor and about 0.6 em a character, or for text turned 90 degrees by
	# its ascent) and a y label within its height, and each TEXT is among
	# them (gnuplot drops a label that would start off the figure)
	$PY - "$@" <<'PY'
import re, sys
svg = open(sys.argv[1], encoding="utf-8").read()
width, height = map(float, re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg).groups())
bad, seen = [], []
for m in re.finditer(r'<g transform="translate\(([-0-9.]+),([-0-9.]+)\)( rotate\((\d+)\))?"[^>]*?'
                     r'font-size="([0-9.]+)"[^>]*?text-anchor="(\w+)">\s*<text>(.*?)</text>', svg, re.S):
    x, y, rot, fs, anchor = (float(m.group(1)), float(m.group(2)), m.group(4),
                             float(m.group(5)), m.group(6))
    text = re.sub(r'<[^>]*>', '', m.group(7))
    seen.append(text)
    if rot in ("90", "270"):
        lo, hi = x - 0.8 * fs, x + 0.25 * fs
        half = len(text) * 0.6 * fs / 2
        if anchor == "middle" and (y - half < 0 or y + half > height):
            bad.append("%r: y %.1f..%.1f of 0..%.0f" % (text, y - half, y + half, height))
    else:
        w = len(text) * 0.6 * fs
        lo = x - {"start": 0, "middle": w / 2, "end": w}[anchor]
        hi = lo + w
    if lo < 0 or hi > width:
        bad.append("%r: x %.1f..%.1f of 0..%.0f" % (text, lo, hi, width))
bad += ["no text %r" % t for t in sys.argv[2:] if t not in seen]
if bad:
    sys.exit("\n".join(bad))
PY
}
cp "$T/run.h5" "$T/bignorm.h5"
$PY -c "
import h5py
with h5py.File('$T/bignorm.h5', 'r+') as f: f['train/grad_norm'][:] *= 1000"
# sizes: the default (PNG, SVG), a column, and the PDF's default page
for size in "" column 7x4.2; do
	"$BIN" plot batch --batch 1500 --loss 15 ${size:+--size $size} "$T/run.h5" -o "$T/fig/last$size.svg"
	check "plot batch --loss (the last) ${size:-default size}: every text inside the figure" \
		svg_inside "$T/fig/last$size.svg" "loss t = 15"
	ylabel="gradient norm before clipping"
	[ -z "$size" ] || ylabel="gradient norm" # the short form: narrow, or short panels
	"$BIN" plot loss ${size:+--size $size} "$T/bignorm.h5" -o "$T/fig/bignorm$size.svg"
	check "plot loss, gradient norms in the thousands, ${size:-default size}: every text inside the figure" \
		svg_inside "$T/fig/bignorm$size.svg" "$ylabel"
done
# a trainer that gives no gradient norm writes zeros (librnnbow's default), and a
# run whose every batch blew up holds no finite loss: loss figures still draw
cp "$T/run.h5" "$T/zero.h5"
cp "$T/run.h5" "$T/nan.h5"
$PY -c "
import h5py, numpy as np
with h5py.File('$T/zero.h5', 'r+') as f: f['train/grad_norm'][:] = 0
with h5py.File('$T/nan.h5', 'r+') as f: f['train/grad_norm'][:] = np.nan; f['train/loss'][:] = np.nan"
check "plot loss of a run whose gradient norms are all 0" "$BIN" plot loss "$T/zero.h5" -o "$T/fig/zero.png"
check "plot loss of a run with no finite loss or norm" "$BIN" plot loss "$T/nan.h5" -o "$T/fig/nan.png"
# a run written before gated cells has no /model cell attribute: it is vanilla
cp "$T/run.h5" "$T/nocell.h5"
$PY -c "
import h5py
with h5py.File('$T/nocell.h5', 'r+') as f: del f['model'].attrs['cell']"
check "plot horizon: a run without a cell attribute is named 'rnn tanh' in the legend" sh -c \
	"'$BIN' plot horizon '$T/nocell.h5' -o '$T/fig/nocell.svg' --keep-script '$T/fig' &&
	 grep -q 'nocell.h5 (rnn tanh, ' '$T/fig/nocell.svg.gp'"
check "report of a run whose gradient norms are all 0" sh -c "'$BIN' report '$T/zero.h5' -o '$T/rep-zero' --top 1 >/dev/null"

# plot units (unit_flow of one batch) and plot hidden (its hidden states)
"$BIN" record "$T/c.txt" -o "$T/hid.h5" --quiet --cell lstm --layers 2 --hidden 12 --seq-len 10 \
	--batches 200 --record-every 20 --save-hidden
for kind in units hidden; do
	for fmt in png svg pdf; do
		f="$T/fig/$kind.$fmt"
		if ! "$BIN" plot $kind --batch 100 --layer 1 "$T/hid.h5" -o "$f" 2>"$T/err"; then
			notok "plot $kind .$fmt: $(head -n 1 "$T/err")"
			continue
		fi
		case $fmt in
		png) check "plot $kind .png: a PNG 1200 wide" sh -c "$PY -c \"import struct,sys
w = struct.unpack('>II', open('$f', 'rb').read(24)[16:24])[0]; sys.exit(w != 1200)\"" ;;
		svg) check "plot $kind .svg: valid XML holding 'batch 100, layer 1'" svg_has "$f" "batch 100, layer 1" ;;
		pdf) check "plot $kind .pdf: pdfinfo opens it" sh -c "pdfinfo '$f' | grep -q '^Pages: *1'" ;;
		esac
		"$BIN" plot $kind --batch 100 --layer 1 "$T/hid.h5" -o "$T/fig/again.$fmt"
		check "plot $kind .$fmt: the same command gives the same bytes" cmp -s "$f" "$T/fig/again.$fmt"
	done
done
# the rows of plot units are the units in rnnbow units' order, the
# staircase their reach, each cell log10 F[d,u]/F[0,u] from the file
kept units --batch 100 --layer 1 --eps 0.2 "$T/hid.h5" -o "$T/fig/u.svg"
"$BIN" units --batch 100 --layer 1 --eps 0.2 "$T/hid.h5" >"$T/units.tsv"
check "plot units: rows in rnnbow units' order, reach staircase and cells from unit_flow" $PY -c "
import re, sys, h5py, numpy as np
gp = open('$T/fig/u.svg.gp').read()
rows = [l.split('\t') for l in open('$T/units.tsv').read().split('\n')[1:] if l]
order = [int(r[2]) for r in rows]
U = [int(x) for x in re.search(r'^U = \"([0-9 ]*)\"', gp, re.M).group(1).split()]
M = np.array([[float(x) for x in l.split()] for l in
              gp.split('\$M << EOD\n')[1].split('EOD')[0].strip().split('\n')])
R = [l.split() for l in gp.split('\$R << EOD\n')[1].split('EOD')[0].strip().split('\n') if l]
F = h5py.File('$T/hid.h5', 'r')['record/unit_flow_l1'][5].astype(np.float64)
want = np.log10(np.maximum(F[:, order] / F[0, order], 1e-30)).T
want = np.maximum(want, np.log10(0.2) - 3)
stair = [float(R[2 * i][0]) + 0.5 for i in range(len(order))]
ok = (U == order and M.shape == want.shape and np.allclose(M, want, atol=1e-5) and
      stair == [float(r[3]) for r in rows])
sys.exit(0 if ok else 1)"
kept hidden --batch 100 "$T/hid.h5" -o "$T/fig/h.svg"
check "plot hidden: cells = /record/hidden of the batch (units as rows), input bytes below" $PY -c "
import sys, h5py, numpy as np
gp = open('$T/fig/h.svg.gp', encoding='utf-8').read()
M = np.array([[float(x) for x in l.split()] for l in
              gp.split('\$M << EOD\n')[1].split('EOD')[0].strip().split('\n')])
f = h5py.File('$T/hid.h5', 'r')
r = list(f['record/batch'][:]).index(100)
h = f['record/hidden'][r]
x = bytes(f['model/vocab'][:][f['record/input'][r]])
ok = np.allclose(M, h.T, rtol=1e-5, atol=1e-6)
for t, b in enumerate(x):  # the letters and digits stand as themselves
    if chr(b).isalnum():
        ok = ok and ('set label %d \"%s\" at %d, graph 0' % (t + 1, chr(b), t)) in gp
sys.exit(0 if ok else 1)"
check "plot units --top 1 and plot hidden --top 1 (the largest max_grad)" sh -c \
	"'$BIN' plot units --top 1 '$T/hid.h5' -o '$T/fig/ut.png' && '$BIN' plot hidden --top 1 '$T/hid.h5' -o '$T/fig/ht.png'"
cp "$T/run.h5" "$T/noflow.h5"
$PY -c "
import h5py
with h5py.File('$T/noflow.h5', 'r+') as f: del f['record/unit_flow']"
bad_plot 1 "plot units of a run written before unit_flow" units --batch 10 "$T/noflow.h5" -o "$T/bad.png"
check "... the message names the missing dataset" sh -c \
	"'$BIN' plot units --batch 10 '$T/noflow.h5' -o '$T/bad.png' 2>&1 | grep -q 'noflow.h5: no /record/unit_flow (recorded with --no-unit-flow, or by an rnnbow before it)'"
bad_plot 1 "plot hidden of a run without --save-hidden" hidden --batch 10 "$T/run.h5" -o "$T/bad.png"
check "... the message says to record with --save-hidden" sh -c \
	"'$BIN' plot hidden --batch 10 '$T/run.h5' -o '$T/bad.png' 2>&1 | grep -q 'no /record/hidden (record the run with --save-hidden)'"
bad_plot 2 "plot units without --batch or --top" units "$T/hid.h5" -o "$T/bad.png"
bad_plot 2 "plot units --gate" units --batch 100 --gate f "$T/hid.h5" -o "$T/bad.png"
bad_plot 1 "plot units --layer the run does not have" units --batch 100 --layer 2 "$T/hid.h5" -o "$T/bad.png"
bad_plot 1 "plot hidden of a batch not recorded" hidden --batch 7 "$T/hid.h5" -o "$T/bad.png"
finish
