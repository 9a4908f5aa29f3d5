#!/bin/sh
# test_valgrind.sh - no invalid memory access and no definite leak under
# valgrind, on record (with checkpoints, params and hidden states),
# summarize, horizon, info, units, plot, report, sample, view, trace and
# diagnose of a small run, and a minibatch run's record and readers.
# Usage: sh tests/test_valgrind.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"

cat "$ROOT"/libcore/*.c >"$T/c.txt"
V="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
vg() { # vg WHAT ARGS...: the command passes valgrind
	what=$1
	shift
	# shellcheck disable=SC2086
	$V "$BIN" "$@" >/dev/null 2>"$T/vg.err"
	rc=$?
	if [ $rc -ne 99 ] && ! grep -q '^==[0-9]*==' "$T/vg.err"; then
		ok "valgrind: $what"
	else
		notok "valgrind: $what (exit $rc)"
		grep '^==' "$T/vg.err" | head -20 | sed 's/^/# /'
	fi
}
vg "record" record "$T/c.txt" -o "$T/run.h5" --quiet --hidden 16 --seq-len 8 --batches 200 \
	--record-every 9 --save-params --save-hidden --checkpoint-every 50 --sample-every 40 \
	--sample-length 30
for cg in lstm:f gru:z; do
	cell=${cg%:*} gate=${cg#*:}
	vg "record --cell $cell --layers 2, resumed" record "$T/c.txt" -o "$T/$cell.h5" --quiet \
		--cell $cell --layers 2 --hidden 8 --seq-len 6 --batches 60 --record-every 7 \
		--save-params --save-hidden --resume
	vg "info of a 2-layer $cell" info "$T/$cell.h5"
	vg "sample --prime of a 2-layer $cell" sample -n 20 --prime "in" "$T/$cell.h5"
	vg "summarize --layer 1 of a $cell" summarize --layer 1 "$T/$cell.h5"
	vg "horizon --layer 1 --gate $gate of a $cell" horizon --layer 1 --gate "$gate" "$T/$cell.h5"
	vg "diagnose of a 2-layer $cell" diagnose "$T/$cell.h5"
	vg "units of a 2-layer $cell" units --top 3 "$T/$cell.h5"
	vg "plot units --layer 1 of a $cell" plot units --top 1 --layer 1 "$T/$cell.h5" -o "$T/u.svg"
	vg "plot hidden --layer 1 of a $cell" plot hidden --batch 7 --layer 1 "$T/$cell.h5" -o "$T/h.png"
done
vg "units --layer 3 of a one-layer run (refused)" units --layer 3 "$T/run.h5"
vg "record --batch-size 3 --record-sequences 2 (gru, 2 layers)" record "$T/c.txt" \
	-o "$T/mb.h5" --quiet --cell gru --layers 2 --hidden 6 --seq-len 5 --batch-size 3 \
	--record-sequences 2 --batches 12 --record-every 4 --save-params --save-hidden
vg "summarize --sequence 1 of a minibatch run" summarize --sequence 1 "$T/mb.h5"
vg "info of a minibatch run" info "$T/mb.h5"
vg "summarize" summarize --top 5 "$T/run.h5"
vg "horizon" horizon "$T/run.h5"
vg "horizon --per-batch" horizon --per-batch "$T/run.h5"
vg "horizon --batch --step" horizon --batch 18 --step 4 "$T/run.h5"
vg "info --format json" info --format json "$T/run.h5"
vg "plot batch" plot batch --top 1 --loss 3 "$T/run.h5" -o "$T/b.svg"
vg "plot overview" plot overview "$T/run.h5" -o "$T/o.png"
vg "report" report "$T/run.h5" -o "$T/rep" --top 2
vg "view of a run and a 2-layer gru" view "$T/run.h5" "$T/gru.h5" -o "$T/v.html"
vg "trace --batch" trace --batch 18 "$T/run.h5"
vg "trace --summary of a 2-layer lstm" trace --summary --rows 8:16 "$T/lstm.h5"
vg "plot trace of a 2-layer gru" plot trace --batch 7 --layer 1 "$T/gru.h5" -o "$T/t.svg"
vg "trace --summary --per-record --lags" trace --summary --per-record --lags "$T/lstm.h5"
vg "plot trace --shares of a 2-layer lstm" plot trace --shares --layer 1 --gate f "$T/lstm.h5" -o "$T/ts.svg"
vg "diagnose --overall --fail-on all" diagnose --overall --fail-on all "$T/run.h5"
vg "plot diagnose" plot diagnose "$T/run.h5" -o "$T/d.svg"
vg "a refused file" summarize "$T/c.txt"
vg "sample -t 0.7 --batch 18" sample -t 0.7 --batch 18 "$T/run.h5"
vg "sample of a batch not recorded" sample --batch 5 "$T/run.h5"
vg "record --tokens words" record "$T/c.txt" --tokens words --vocab-size 300 -o "$T/w.h5" --quiet \
	--hidden 8 --batches 30 --record-every 9 --save-params --sample-every 10 --valid-share 0.1
vg "summarize of a words run" summarize "$T/w.h5"
vg "sample --prime of a words run" sample --prime "static int" "$T/w.h5"
vg "record --cell mix, 2 layers, resumed" record "$T/c.txt" -o "$T/mix.h5" --quiet \
	--cell lstm,rnn,gru --layers 2 --hidden 6 --seq-len 6 --batches 40 --record-every 7 \
	--save-params --save-hidden --valid-share 0.05 --valid-every 10 --sample-every 9 --resume
vg "summarize --component gru of a mix" summarize --component gru --layer 1 "$T/mix.h5"
vg "info --component 1 of a mix" info --component 1 "$T/mix.h5"
vg "trace --summary --param input of a mix" trace --summary --param input "$T/mix.h5"
vg "plot trace --component lstm of a mix" plot trace --batch 7 --component lstm "$T/mix.h5" \
	-o "$T/tm.svg"
vg "ablate of a mix" ablate --batch 14 "$T/mix.h5"
vg "record --init from a mix" record "$T/c.txt" -o "$T/mix2.h5" --quiet --cell lstm,rnn,gru \
	--layers 2 --hidden 6 --seq-len 6 --batches 3 --init "$T/mix.h5"
vg "sample --prime of a mix" sample -n 20 --prime "in" "$T/mix.h5"
vg "units --component lstm of a mix" units --component lstm "$T/mix.h5"
vg "plot hidden --component gru of a mix" plot hidden --batch 7 --component gru "$T/mix.h5" \
	-o "$T/h.svg"
vg "diagnose --component lstm of a mix" diagnose --component lstm "$T/mix.h5"
finish
