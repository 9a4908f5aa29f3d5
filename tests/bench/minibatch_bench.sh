#!/bin/sh
# Minibatch benchmark behind `make bench`: `rnnbow record --batch-size B`
# against PyTorch's own nn.LSTM / nn.GRU / nn.RNN training loop
# (tests/bench/torch_minibatch.py: same corpus, sizes, stretches, Adam and
# element-wise clipping), at H = 512, n = 100, B = 64 and at char-rnn's
# defaults H = 128, n = 50, B = 50, each with one thread and with two
# (rnnbow --threads T; PyTorch torch.set_num_threads(T), its BLAS being
# OpenBLAS at 1 thread or T, the faster); then what recording
# every batch costs with --record-sequences 1 and S > 1.  Throughput is
# given per CPU second (user + sys, all threads) and per wall-clock second,
# the best of REPS runs each: the machines this runs on are shared, CPU
# time is what each program spends whatever else runs, and only the wall
# clock shows what a second thread buys (when a second core is free).
# The OpenBLAS core in use is printed first.
# It reports; it does not judge.  Run from the repository root after
# `make rnnbow`:  sh tests/bench/minibatch_bench.sh
set -eu
export LC_ALL=C
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=/usr/bin/python3
RNNBOW=${RNNBOW:-./rnnbow}
BATCHES=${BATCHES:-6}   # timed batches per configuration (a few seconds each)
REPS=${REPS:-2}         # runs of each, the best kept
# SIZES="H:n:B:batches ..." the table's sizes (default: both, below)

[ -x "$RNNBOW" ] || { echo "bench: $RNNBOW not found; run make rnnbow" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
sh "$(dirname "$0")/corpus.sh" "$T/corpus.txt"

sh "$(dirname "$0")/corename.sh"

# rnnbow_cps BATCHES ARGS...: "cpu_chars_per_s wall_chars_per_s" of BATCHES
# batches, timed as the difference between runs of 2 and BATCHES + 2
# batches, each the least CPU and the least wall time of REPS runs: the
# setup (reading and encoding the 4 MB corpus, checkpoints, first touch
# of the buffers) is left out, as the torch loop leaves out its first 2
# batches
rnnbow_cps() {
    b=$1
    shift
    for k in 2 $((b + 2)); do
        : >"$T/time$k"
        for r in $(seq "$REPS"); do
            # shellcheck disable=SC2086
            /usr/bin/time -a -o "$T/time$k" -f '%U %S %e' $RNNBOW record "$T/corpus.txt" \
                -o "$T/run.h5" --force --quiet --batches "$k" --optimizer adam --lr 0.002 \
                --clip 5 "$@"
        done
        awk 'NR == 1 || $1 + $2 < c { c = $1 + $2 } NR == 1 || $3 < w { w = $3 }
            END { print c, w }' "$T/time$k" >"$T/best$k"
    done
    paste "$T/best2" "$T/best$((b + 2))" | awk -v c="$CHARS" '{
        cpu = $3 - $1; wall = $4 - $2
        printf "%.0f %.0f\n", c / (cpu > 0 ? cpu : 1e-9), c / (wall > 0 ? wall : 1e-9) }'
}

# the best CPU and wall chars/s of the runs of a command
best_of() {
    "$@" | awk '{ if ($1 > c) c = $1; if ($2 > w) w = $2 }
        END { printf "%.0f %.0f\n", c, w }'
}

# PyTorch with TH threads: torch.set_num_threads(TH), its BLAS (OpenBLAS)
# at 1 thread and at TH, each REPS times (two BLAS threads can be far
# slower on small products, or on a busy machine): the best is kept
torch_cps() {
    for ob in $(seq "$TH"); do
        for r in $(seq "$REPS"); do
            OPENBLAS_NUM_THREADS=$ob OMP_NUM_THREADS=$TH "$PY" "$(dirname "$0")/torch_minibatch.py" \
                "$T/corpus.txt" --threads "$TH" "$@" |
                sed -n 's/^chars_per_s=\([0-9.]*\) cpu_chars_per_s=\([0-9.]*\).*/\2 \1/p'
        done
    done
}

echo "chars/s per CPU second (all threads) and per wall-clock second, best of $REPS runs"
printf '%-5s %5s %4s %4s %2s %11s %11s %7s %11s %11s %7s\n' cell H n B T rnnbow_cpu torch_cpu \
    ratio rnnbow_wall torch_wall ratio
# the small size runs 8x the batches: its batches take ~10 ms, the
# resolution of /usr/bin/time
for size in ${SIZES:-512:100:64:$BATCHES 128:50:50:$((BATCHES * 8))}; do
    IFS=: read -r H n B nb <<EOF
$size
EOF
    for cell in lstm gru rnn; do
        for TH in 1 2; do
            CHARS=$((nb * n * B))
            r=$(CHARS=$CHARS rnnbow_cps "$nb" --cell "$cell" --hidden "$H" --seq-len "$n" \
                --batch-size "$B" --record-every 0 --threads "$TH")
            t=$(best_of torch_cps --cell "$cell" --hidden "$H" --seq-len "$n" --batch-size "$B" \
                --batches "$nb")
            echo "$r $t" | awk -v cell="$cell" -v H="$H" -v n="$n" -v B="$B" -v T="$TH" '{
                printf "%-5s %5d %4d %4d %2d %11.0f %11.0f %6.2fx %11.0f %11.0f %6.2fx\n",
                    cell, H, n, B, T, $1, $3, $1 / $3, $2, $4, $2 / $4 }'
        done
    done
done

echo
echo "recording every batch, lstm H=128 n=50 B=50 ($BATCHES batches, setup included): CPU s per batch, peak RSS"
for S in 0 1 10 50; do
    if [ "$S" = 0 ]; then a="--record-every 0"; else a="--record-every 1 --record-sequences $S"; fi
    # shellcheck disable=SC2086
    /usr/bin/time -o "$T/time" -f '%U %S %M' $RNNBOW record "$T/corpus.txt" -o "$T/run.h5" --force \
        --quiet --batches "$BATCHES" --cell lstm --hidden 128 --seq-len 50 --batch-size 50 \
        --optimizer adam $a
    awk -v S="$S" -v b="$BATCHES" '{ printf "  %-22s %.3f s/batch  %6.0f MB\n",
        S == 0 ? "no records" : "--record-sequences " S, ($1 + $2) / b, $3 / 1024 }' "$T/time"
done
