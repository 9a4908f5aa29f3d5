#!/bin/sh
# Benchmark of the analysis tools: the time of `rnnbow summarize` and of
# `rnnbow horizon --per-batch` on a run of 100,000 recorded batches (n = 25,
# H = 100), against the same tables computed plainly with h5py and numpy
# (tests/bench/analysis_numpy.py, the baseline a user would write), and
# whether their peak memory stays flat from 10,000 to 100,000 records.  It
# also checks that rnnbow and the baseline print the same tables.  Run from
# the repository root after `make rnnbow`:
#     sh tests/bench/analysis_bench.sh
# It reports; it does not judge: exit 0 even when a goal is missed, non-zero
# when a command fails or rnnbow's tables and the baseline's disagree.
# About 2 minutes on a 2-core machine, ~400 MB in a temporary directory.
set -eu
export LC_ALL=C                 # stable glob order and number formatting
export OPENBLAS_NUM_THREADS=1   # one BLAS thread, for rnnbow and numpy alike
PY=/usr/bin/python3
RNNBOW=${RNNBOW:-./rnnbow}
BASE=tests/bench/analysis_numpy.py
N=25                            # steps per batch (rnnbow's default)
BIG=100000                      # records of the timed run
SMALL=10000                     # records of the run that peak RSS is compared to
REPEAT=3                        # each timing is the best of REPEAT runs

[ -x "$RNNBOW" ] || { echo "analysis bench: $RNNBOW not found; run make rnnbow" >&2; exit 1; }
for c in summarize horizon; do
    "$RNNBOW" "$c" --help > /dev/null 2>&1 ||
        { echo "analysis bench: '$RNNBOW $c --help' fails; is $c built?" >&2; exit 1; }
done

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# the 4 MB C corpus every benchmark uses
sh "$(dirname "$0")/corpus.sh" "$T/corpus.txt"
sh "$(dirname "$0")/corename.sh"
CORPUS=$T/corpus.txt

failed() {
    rc=$?; echo "analysis bench: $* failed (exit status $rc)" >&2; exit $rc
}

# measure OUT CMD...: run CMD with stdout to OUT, print "wall_seconds peak_rss_kb".
# /usr/bin/time (Debian package `time`) when present, else a python wrapper.
measure() {
    out=$1; shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -o "$T/time" -f '%e %M' "$@" > "$out" || failed "$@"
    else
        "$PY" -c 'import resource, subprocess, sys, time
t = time.perf_counter(); rc = subprocess.run(sys.argv[2:]).returncode
if rc: sys.exit(rc)
open(sys.argv[1], "w").write("%.3f %d\n" % (time.perf_counter() - t,
    resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))' "$T/time" "$@" > "$out" || failed "$@"
    fi
    cat "$T/time"
}

# best OUT CMD...: run CMD REPEAT times, print "least_seconds largest_peak_kb".
best() {
    i=0; : > "$T/runs"
    while [ $i -lt $REPEAT ]; do
        measure "$@" >> "$T/runs"
        i=$((i + 1))
    done
    awk 'NR == 1 || $1 < s { s = $1 } $2 > m { m = $2 } END { print s, m }' "$T/runs"
}

# agree A B: rnnbow's table A against the baseline's table B: the same number
# of rows, and in every column of B (found by name in A) integers and bytes
# equal, floats within 1e-5 relative.  Prints "ROWS" or what differs; status 1
# when they disagree.
agree() {
    "$PY" - "$1" "$2" <<'EOF'
import math, sys
INTS = {"batch", "position", "max_step", "k_exact", "k_bound"}
TEXT = {"target", "predicted"}
def table(path):
    with open(path, "rb") as f:
        lines = f.read().decode("latin-1").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines[0].split("\t"), [l.split("\t") for l in lines[1:]]
(ha, ra), (hb, rb) = table(sys.argv[1]), table(sys.argv[2])
bad = []
if len(ra) != len(rb):
    bad.append("%d rows from rnnbow, %d from the baseline" % (len(ra), len(rb)))
for cb, name in enumerate(hb):
    if name not in ha:
        bad.append("column %s missing from rnnbow's header" % name)
        continue
    ca, diff, ex = ha.index(name), 0, []
    for i, (a, b) in enumerate(zip(ra, rb)):
        x, y = a[ca] if ca < len(a) else "", b[cb]
        if name in INTS or name in TEXT:
            same = x == y
        else:
            try:
                fx, fy = float(x), float(y)
                same = (fx == fy or (math.isnan(fx) and math.isnan(fy))
                        or abs(fx - fy) <= 1e-5 * max(abs(fx), abs(fy)))
            except ValueError:
                same = False
        if not same:
            diff += 1
            if len(ex) < 3:
                ex.append("row %d (batch %s): rnnbow %s, baseline %s" % (i + 1, b[0], x, y))
    if diff:
        bad.append("column %s differs in %d rows; %s" % (name, diff, "; ".join(ex)))
if bad:
    print("DISAGREE: " + "; ".join(bad))
    sys.exit(1)
print(len(rb))
EOF
}

echo "rnnbow analysis benchmark: 4,000,000-byte C corpus, H=100, n=$N, OPENBLAS_NUM_THREADS=1" >&2
# Other work on the machine skews the numbers; show how busy it was.
[ -r /proc/loadavg ] && echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "  recording every batch, $BIG batches (~35 s, ~350 MB on disk) ..." >&2
"$RNNBOW" record "$CORPUS" -o "$T/big.h5" --quiet --batches $BIG --record-every 1
echo "  recording every batch, $SMALL batches ..." >&2
"$RNNBOW" record "$CORPUS" -o "$T/small.h5" --quiet --batches $SMALL --record-every 1

echo "  summarize, $BIG records, best of $REPEAT: rnnbow, then numpy ..." >&2
r=$(best "$T/sum.rnnbow" "$RNNBOW" summarize "$T/big.h5");       sum_t=${r% *}; sum_m=${r#* }
r=$(best "$T/sum.numpy" "$PY" "$BASE" summarize "$T/big.h5");    sum_bt=${r% *}; sum_bm=${r#* }
echo "  horizon --per-batch, $BIG records, best of $REPEAT: rnnbow, then numpy ..." >&2
r=$(best "$T/hor.rnnbow" "$RNNBOW" horizon --per-batch "$T/big.h5"); hor_t=${r% *}; hor_m=${r#* }
r=$(best "$T/hor.numpy" "$PY" "$BASE" per-batch "$T/big.h5");   hor_bt=${r% *}; hor_bm=${r#* }
echo "  peak RSS at $SMALL records ..." >&2
r=$(best "$T/sum.small" "$RNNBOW" summarize "$T/small.h5");     sum_m1=${r#* }
r=$(best "$T/hor.small" "$RNNBOW" horizon --per-batch "$T/small.h5"); hor_m1=${r#* }

echo "  comparing rnnbow's tables with the baseline's ..." >&2
"$PY" "$BASE" summarize "$T/small.h5" > "$T/sum.small.numpy"
"$PY" "$BASE" per-batch "$T/small.h5" > "$T/hor.small.numpy"
status=0; : > "$T/agreement"
# check LABEL A B: how table A (rnnbow's) agrees with B (the baseline's)
check() {
    if r=$(agree "$2" "$3"); then
        echo "  $1 agree, $r rows" >> "$T/agreement"
    else
        status=1; echo "  $1 $r" >> "$T/agreement"
    fi
}
check "summarize at $BIG:" "$T/sum.rnnbow" "$T/sum.numpy"
check "horizon --per-batch at $BIG:" "$T/hor.rnnbow" "$T/hor.numpy"
check "summarize at $SMALL:" "$T/sum.small" "$T/sum.small.numpy"
check "horizon --per-batch at $SMALL:" "$T/hor.small" "$T/hor.small.numpy"
rm -f "$T/big.h5" "$T/small.h5"

# The report, ratios from this run's numbers, each against its goal.
awk -v big=$BIG -v small=$SMALL -v rep=$REPEAT \
    -v st="$sum_t" -v sbt="$sum_bt" -v sm="$sum_m" -v sbm="$sum_bm" -v sm1="$sum_m1" \
    -v ht="$hor_t" -v hbt="$hor_bt" -v hm="$hor_m" -v hbm="$hor_bm" -v hm1="$hor_m1" \
    -v status=$status '
function verdict(ok) { return ok ? "PASS" : "MISS" }
# /usr/bin/time shows 0.01 s steps: a faster command counts as 0.01 s
function floor1(t) { return t < 0.01 ? 0.01 : t }
function line(name, t, bt,   x) {
    x = floor1(bt) / floor1(t)
    printf "%-20s %7.2f s   numpy %7.2f s   %6.1fx  (goal >= 3x)   %s\n",
        name, t, bt, x, verdict(x >= 3)
}
function rss(name, m1, m2,   grow) {
    grow = (m2 - m1) / m1 * 100
    printf "peak RSS %-20s %7.1f MB / %7.1f MB = %+6.1f%%  (goal <= 20%%)  %s\n",
        name, m1 / 1024, m2 / 1024, grow, verdict(grow <= 20)
}
BEGIN {
    printf "%d records, best of %d runs each\n", big, rep
    line("summarize", st, sbt)
    line("horizon --per-batch", ht, hbt)
    printf "peak RSS at %dk / %dk records:\n", small / 1000, big / 1000
    rss("summarize", sm1, sm)
    rss("horizon --per-batch", hm1, hm)
    printf "numpy baseline peak RSS at %dk: summarize %.1f MB, per-batch %.1f MB\n",
        big / 1000, sbm / 1024, hbm / 1024
    printf "outputs (rows; integers, bytes equal; floats within 1e-5): %s\n",
        status ? "DISAGREE" : "agree"
}'
cat "$T/agreement"
exit $status
