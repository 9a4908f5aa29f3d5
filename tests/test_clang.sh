#!/bin/sh
# test_clang.sh - the tree built by clang in a build directory of its own
# (make B=... CC=clang): no warning, no GCC-only flag refused, the C test
# programs pass, librnnbow links, and ./rnnbow (gcc's) is left as it was.
# Usage: sh tests/test_clang.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"
CLANG=${CLANG:-clang}
CB=$T/build-clang

if ! command -v "$CLANG" >/dev/null 2>&1; then
	notok "$CLANG not found (scripts/deps.sh test installs it)"
	finish
fi
sum() { cksum <"$BIN" 2>/dev/null; }
before=$(sum)
make -s -C "$ROOT" B="$CB" CC="$CLANG" lib "$CB/tests/test_core" "$CB/tests/test_stats" \
	"$CB/tests/test_h5" "$CB/tests/test_diag" >"$T/make.log" 2>&1
rc=$?
check "make B=... CC=clang builds librnnbow and the C tests (exit $rc)" [ "$rc" -eq 0 ]
check "clang warns about nothing" sh -c "! grep -B2 -A4 -i 'warning\|error' '$T/make.log'"
check "./rnnbow is not rebuilt by a build elsewhere" [ "$(sum)" = "$before" ]
check "librnnbow.so and .a are in the clang build directory" \
	test -f "$CB/librnnbow.so.0.1.0" -a -f "$CB/librnnbow.a"
for t in test_core test_stats test_h5 test_diag; do
	(cd "$ROOT" && "$CB/tests/$t") >"$T/$t.out" 2>&1
	rc=$?
	check "clang's $t: exit $rc, $(grep -c '^ok' "$T/$t.out") ok, $(grep -c '^not ok' "$T/$t.out") not ok" \
		sh -c "[ $rc -eq 0 ] && ! grep '^not ok' '$T/$t.out' && grep -q '^ok' '$T/$t.out'"
done
finish
