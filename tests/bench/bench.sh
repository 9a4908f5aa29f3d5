#!/bin/sh
# Benchmark behind `make bench`: rnnbow's training throughput, the cost of
# recording every batch, the speed-up over a plain numpy loop
# (tests/bench/minchar_numpy.py), and whether peak memory stays flat as a
# recording run grows; then the same for the gated cells (--cell lstm|gru)
# against a plain numpy LSTM/GRU loop (tests/bench/lstm_numpy.py, whose
# gradient is first checked against finite differences).  Run from the
# repository root after `make rnnbow`:
#     sh tests/bench/bench.sh
# It reports; it does not judge: exit 0 even when a goal is missed, non-zero
# only when a command fails.  About 2 minutes on a 2-core machine.
set -eu
export LC_ALL=C                 # stable glob order and number formatting
export OPENBLAS_NUM_THREADS=1   # one BLAS thread, for rnnbow and numpy alike
PY=/usr/bin/python3
RNNBOW=${RNNBOW:-./rnnbow}
N=25                            # steps per batch (rnnbow's and numpy's default)

[ -x "$RNNBOW" ] || { echo "bench: $RNNBOW not found; run make rnnbow" >&2; exit 1; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# the 4 MB C corpus every benchmark uses
sh "$(dirname "$0")/corpus.sh" "$T/corpus.txt"
sh "$(dirname "$0")/corename.sh"
CORPUS=$T/corpus.txt

# measure CMD...: run CMD, print "wall_seconds peak_rss_kb" of it.
# /usr/bin/time (Debian package `time`) when present, else a python wrapper.
measure() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -o "$T/time" -f '%e %M' "$@" || return
        cat "$T/time"
    else
        "$PY" -c 'import resource, subprocess, sys, time
t = time.perf_counter(); rc = subprocess.run(sys.argv[1:]).returncode
if rc: sys.exit(rc)
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
    fi
}

# rec BATCHES EVERY [OPTION...]: time one `rnnbow record` run, print
# "seconds peak_kb".
rec() {
    b=$1 k=$2
    shift 2
    # shellcheck disable=SC2086 # RNNBOW may carry a wrapper (taskset)
    measure $RNNBOW record "$CORPUS" -o "$T/run.h5" --force --quiet \
        --batches "$b" --record-every "$k" "$@"
}

# cps BATCHES "seconds peak_kb": print chars/s
cps() { echo "$2" | awk -v b="$1" -v n=$N '{ print b * n / $1 }'; }

# numpy_cps SCRIPT ARGS...: run a numpy baseline, print its chars/s
numpy_cps() {
    out=$("$PY" "$@") || { echo "bench: $PY $* failed" >&2; return 1; }
    v=$(echo "$out" | sed -n 's/^chars_per_s=\([0-9.]*\) .*/\1/p')
    [ -n "$v" ] || { echo "bench: unexpected numpy output: $out" >&2; return 1; }
    echo "$v"
}

echo "rnnbow benchmark: 4,000,000-byte C corpus, H=100, n=$N, OPENBLAS_NUM_THREADS=1" >&2
# Other work on the machine skews the numbers; show how busy it was.
[ -r /proc/loadavg ] && echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "  plain training, 40000 batches ..." >&2
r=$(rec 40000 0);    plain=$(cps 40000 "$r")
echo "  recording every batch, 20000 batches ..." >&2
r=$(rec 20000 1);    every=$(cps 20000 "$r")
# /record/diag (rnnbow-record(1) --no-diagnostics): what it costs when
# every batch is recorded, at the default size and at an LSTM of H=512
echo "  recording every batch without diagnostics, 20000 batches ..." >&2
r=$(rec 20000 1 --no-diagnostics);    nodiag=$(cps 20000 "$r")
echo "  lstm H=512: recording every batch with and without diagnostics, 40 batches each ..." >&2
r=$(rec 40 1 --cell lstm --hidden 512);    big=$(cps 40 "$r")
r=$(rec 40 1 --cell lstm --hidden 512 --no-diagnostics);    bignodiag=$(cps 40 "$r")
# record writes HDF5 on a second thread; show the cost on one core as well
echo "  recording every batch on one core (taskset -c 0), 20000 batches ..." >&2
r=$(taskset -c 0 sh -c 'echo' >/dev/null 2>&1 && RNNBOW="taskset -c 0 $RNNBOW" rec 20000 1 || echo "0 0")
one=$(echo "$r" | awk -v b=20000 -v n=$N '{ print ($1 > 0 ? b * n / $1 : 0) }')
echo "  numpy baseline, 2000 batches ..." >&2
numpy=$(numpy_cps tests/bench/minchar_numpy.py --corpus "$CORPUS" --batches 2000)
echo "  peak RSS, recording 1000 batches ..." >&2
r=$(rec 1000 1);     rss1k=$(echo "$r" | awk '{ print $2 }')
echo "  peak RSS, recording 100000 batches (~35 s, ~350 MB on disk) ..." >&2
r=$(rec 100000 1);   rss100k=$(echo "$r" | awk '{ print $2 }')

# Gated cells, H=100, n=25: plain training, recording every batch (g, g_q,
# E and E_q of every batch), and the numpy loop of the same cell.
# gated CELL: print "plain_chars_per_s every_chars_per_s numpy_chars_per_s"
gated() {
    echo "  $1: numpy baseline's gradient against finite differences ..." >&2
    "$PY" tests/bench/lstm_numpy.py --corpus "$CORPUS" --cell "$1" --check >&2 ||
        { echo "bench: the numpy $1 baseline fails its gradient check" >&2; return 1; }
    echo "  $1: plain training, 12000 batches ..." >&2
    r=$(rec 12000 0 --cell "$1") || return 1
    p=$(cps 12000 "$r")
    echo "  $1: recording every batch, 6000 batches ..." >&2
    r=$(rec 6000 1 --cell "$1") || return 1
    e=$(cps 6000 "$r")
    echo "  $1: numpy baseline, 600 batches ..." >&2
    np=$(numpy_cps tests/bench/lstm_numpy.py --corpus "$CORPUS" --cell "$1" --batches 600) ||
        return 1
    echo "$p $e $np"
}
r=$(gated lstm);     lstm=$r
r=$(gated gru);      gru=$r
rm -f "$T/run.h5"

# The report, ratios from this run's numbers, each against its goal.
awk -v plain="$plain" -v every="$every" -v one="$one" -v numpy="$numpy" \
    -v r1="$rss1k" -v r2="$rss100k" -v nodiag="$nodiag" -v big="$big" -v bignodiag="$bignodiag" \
    -v lstm="$lstm" -v gru="$gru" '
function verdict(ok) { return ok ? "PASS" : "MISS" }
BEGIN {
    printf "plain training      %8.0f chars/s\n", plain
    printf "record every batch  %8.0f chars/s\n", every
    if (one > 0)
        printf "  ... on one core   %8.0f chars/s (%.2fx plain; the HDF5 writer thread shares it)\n", one, plain / one
    printf "  ... without diagnostics %8.0f chars/s (diagnostics cost %.2fx)\n", nodiag, nodiag / every
    printf "lstm H=512 record every batch %6.0f chars/s, without diagnostics %6.0f (%.2fx)\n", big, bignodiag, bignodiag / big
    printf "numpy baseline      %8.0f chars/s\n", numpy
    # the goal of the itemizer, as before diagnostics: recording without them
    speed = plain / numpy; cost = plain / nodiag; grow = (r2 - r1) / r1 * 100
    printf "plain / numpy       %8.1fx   (goal >= 25x)   %s\n", speed, verdict(speed >= 25)
    printf "record cost         %8.2fx   (goal <= 3x, g and E without diagnostics)    %s\n", cost, verdict(cost <= 3)
    printf "record cost with diagnostics %.2fx (the spectrum of W_hh at every record)\n", plain / every
    printf "peak RSS 1k / 100k  %.1f MB / %.1f MB = %+.1f%%  (goal <= 10%%)  %s\n",
        r1 / 1024, r2 / 1024, grow, verdict(grow <= 10)
    gated("lstm", lstm, 15)
    gated("gru", gru, 0)
}
# v = "plain every numpy" chars/s; goal > 0: a goal for plain / numpy
function gated(cell, v, goal,    a, p, e, np, speed, cost) {
    split(v, a, " "); p = a[1]; e = a[2]; np = a[3]
    speed = p / np; cost = p / e
    printf "%-4s plain training %8.0f chars/s\n", cell, p
    printf "%-4s record every   %8.0f chars/s\n", cell, e
    printf "%-4s numpy baseline %8.0f chars/s\n", cell, np
    if (goal > 0)
        printf "%-4s plain / numpy  %8.1fx   (goal >= %dx)   %s\n", cell, speed, goal, verdict(speed >= goal)
    else
        printf "%-4s plain / numpy  %8.1fx\n", cell, speed
    printf "%-4s record cost    %8.2fx   (goal <= 3x)    %s\n", cell, cost, verdict(cost <= 3)
}'
