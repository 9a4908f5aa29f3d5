#!/bin/sh
# run.sh - run every test suite and count its TAP-style lines
# ("ok - ..." / "not ok - ..."); a suite that exits non-zero without a
# failing line counts as one failure. Ends with "N passed, N failed".
# Run from the repository root after `make rnnbow` (make test does both).
set -u
PY=/usr/bin/python3
BIN=./rnnbow
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() {
	name=$1
	shift
	echo "== $name"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	grep -E '^(not )?ok ' "$log" | grep -v '^ok ' >/dev/null && cat "$log" || grep -E '^(not ok|#)' "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		tail -20 "$log"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "   $p passed, $f failed ($(($(date +%s) - start)) s)"
}

suite "libcore: gradients, itemizer, optimizers" build/tests/test_core
suite "analysis: quantiles, k, fit" build/tests/test_stats
suite "HDF5 handles all closed, reopen cuts back" build/tests/test_h5
suite "diagnostics: saturation, spectrum of W_hh, dead units" build/tests/test_diag
suite "tracing: the graph against the chain rule and dL/dtheta" build/tests/test_trace
suite "clang: its own build directory, no warning, the C tests" sh tests/test_clang.sh "$BIN"
suite "command line: usage, bad input, determinism" sh tests/test_cli.sh "$BIN"
suite "run file read back with h5py" "$PY" tests/test_file.py "$BIN"
suite "gated cells and layers read back with h5py" "$PY" tests/test_gated_file.py "$BIN"
suite "diagnostics and clip_share against numpy and PyTorch" "$PY" tests/test_diag_file.py "$BIN"
suite "runs against PyTorch: nn.LSTM/GRU/RNN, autograd itemization" "$PY" tests/test_torch.py "$BIN"
suite "trace against autograd and a plain walk, summary, bad input" "$PY" tests/test_trace.py "$BIN"
suite "sample and /samples against PyTorch: greedy, frequencies, resume-free seeds" "$PY" tests/test_sample.py "$BIN"
suite "minibatches against PyTorch: gradients B = 1..8, itemization of S sequences" "$PY" tests/test_minibatch.py "$BIN"
suite "mix of components against PyTorch: loss, every gradient, itemization per component" "$PY" tests/test_mix.py "$BIN"
suite "held-out loss against PyTorch, --valid-share excludes the tail, --lr-decay" "$PY" tests/test_valid.py "$BIN"
suite "record --init: from a run's record or PyTorch tensors, resume, refusals" "$PY" tests/test_init.py "$BIN"
suite "tokens: utf8, words, token ids against a tokenizer and PyTorch; readers; refusals" "$PY" tests/test_tokens.py "$BIN"
suite "summarize and horizon against numpy" "$PY" tests/test_analysis.py "$BIN"
suite "plot: every kind and format, determinism, bad input" sh tests/test_plot.sh "$BIN"
suite "readers: --layer, --gate, gated cells, info" "$PY" tests/test_layers_read.py "$BIN"
suite "diagnose against numpy: columns, verdicts, pitfalls" "$PY" tests/test_diagnose.py "$BIN"
suite "units: per-unit reach and share beyond k against numpy" "$PY" tests/test_units.py "$BIN"
suite "report in headless Chromium" "$PY" tests/test_report.py "$BIN"
suite "view in headless Chromium: hover, keys, g of the file, 10^5 records" "$PY" tests/test_view.py "$BIN"
suite "export lstmvis: LSTMVis's reader, states against PyTorch, meta tracks" "$PY" tests/test_export.py "$BIN"
suite "SIGKILL leaves a readable run" sh tests/test_kill.sh "$BIN"
suite "readers against broken files" sh tests/test_hostile.sh "$BIN"
suite "writers: two on one run, outputs that are not runs, a full disk" sh tests/test_writers.sh "$BIN"
suite "valgrind: no invalid access, no leak" sh tests/test_valgrind.sh "$BIN"
suite "checkpoints and --resume after kills" sh tests/test_resume.sh "$BIN"
suite "README examples" sh tests/test_readme.sh "$BIN"
suite "examples/ scripts" sh tests/test_examples.sh "$BIN"
suite "librnnbow: installed, pkg-config, only rnnbow_ symbols, g and E" sh tests/test_lib.sh "$BIN"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
