# lib.sh - helpers for the shell test suites: TAP-style checks.
#   check "what" COMMAND...     ok when COMMAND succeeds
#   expect_fail CODE "what" COMMAND...   ok when COMMAND exits with CODE,
#       prints its first stderr line "rnnbow ...: ..." and nothing on stdout
#   same A.h5 B.h5              succeeds when both runs hold the same
#       datasets (names, shapes, values; read under SWMR)
# Sourced with the binary as $1: BIN is its absolute path.
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
nfail=0

ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; nfail=$((nfail + 1)); }

check() {
	what=$1
	shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}

expect_fail() {
	code=$1 what=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	first=$(head -n 1 "$T/err")
	if [ "$rc" -eq "$code" ] && [ ! -s "$T/out" ] && echo "$first" | grep -q '^rnnbow[a-z ]*: ..*'; then
		ok "$what: exit $rc, '$first'"
	else
		notok "$what: exit $rc (want $code), stderr '$first', stdout $(wc -c <"$T/out") bytes"
	fi
}

same() { # all datasets of $1 and $2: same names, shapes and values
	$PY - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r", swmr=True), h5py.File(sys.argv[2], "r", swmr=True)
names = []
a.visit(lambda n: names.append(n) if isinstance(a[n], h5py.Dataset) else None)
bad = [n for n in names if n not in b or a[n].shape != b[n].shape
       or not np.array_equal(a[n][()], b[n][()], equal_nan=True)]
print("# %d datasets compared%s" % (len(names), ", differing: %s" % bad if bad else ""))
sys.exit(1 if bad or not names else 0)
PY
}

finish() {
	[ "$nfail" -eq 0 ]
	exit $?
}
