# lib.sh - helpers for the shell test suites: TAP-style checks.
#   check "what" COMMAND...     ok when COMMAND succeeds
#   expect_fail CODE "what" COMMAND...   ok when COMMAND exits with CODE,
#       prints its first stderr line "rnnbow ...: ..." and nothing on stdout
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

finish() {
	[ "$nfail" -eq 0 ]
	exit $?
}
