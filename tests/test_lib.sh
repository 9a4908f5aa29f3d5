#!/bin/sh
# test_lib.sh - librnnbow as its clients get it: `make install` into a
# DESTDIR, then tests/lib/test_api.c built through pkg-config against the
# installed shared library and against the static one, its g and E held
# against libcore's reference (see test_api.c); the exported symbols; and
# tests/lib/test_torch_api.py, dense inputs and gradients through ctypes
# against PyTorch's autograd; then examples/c built the same way, run with
# token and with dense inputs, its run files read by every reader and held
# against the library by tests/lib/check_run.py; then examples/torch/train.py
# (a PyTorch loop, through ctypes) for 300 steps, its file read by every
# reader and held against autograd by tests/lib/check_torch_example.py.
# Usage: sh tests/test_lib.sh ./rnnbow
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib.sh"
CC=${CC:-cc}
D=$T/root

check "make install DESTDIR PREFIX=/usr" sh -c \
	"make -s -C '$ROOT' install build/libcore/itemize_ref.o DESTDIR='$D' PREFIX=/usr >'$T/make.log' 2>&1 ||
	 { cat '$T/make.log'; exit 1; }"
for f in bin/rnnbow include/rnnbow.h lib/librnnbow.a lib/librnnbow.so.0.1.0 lib/pkgconfig/rnnbow.pc \
	share/man/man3/rnnbow.3 share/man/man1/rnnbow.1; do
	[ -f "$D/usr/$f" ] || notok "installed: usr/$f missing"
done
check "installed: librnnbow.so -> librnnbow.so.0 -> librnnbow.so.0.1.0" sh -c \
	"[ \"\$(readlink '$D/usr/lib/librnnbow.so')\" = librnnbow.so.0 ] &&
	 [ \"\$(readlink '$D/usr/lib/librnnbow.so.0')\" = librnnbow.so.0.1.0 ]"
check "the soname is librnnbow.so.0" sh -c \
	"readelf -d '$D/usr/lib/librnnbow.so.0.1.0' | grep -q 'SONAME.*\[librnnbow.so.0\]'"
check "the shared library needs HDF5 (the run-file writer) and OpenBLAS" sh -c \
	"readelf -d '$D/usr/lib/librnnbow.so.0.1.0' | grep NEEDED | grep -qi hdf5 &&
	 readelf -d '$D/usr/lib/librnnbow.so.0.1.0' | grep NEEDED | grep -qi openblas"

# every exported symbol starts with rnnbow_; the archive's globals too
nm -D --defined-only "$D/usr/lib/librnnbow.so" | awk '{print $3}' >"$T/dyn"
check "nm -D: only rnnbow_ symbols ($(wc -l <"$T/dyn") of them)" sh -c \
	"[ -s '$T/dyn' ] && ! grep -v '^rnnbow_' '$T/dyn'"
API=$(sed -n 's/^RNNBOW_API [^(]*[ *]\(rnnbow_[a-z_]*\)(.*/\1/p' "$ROOT/lib/rnnbow.h")
check "nm -D: the $(echo "$API" | wc -l) functions of rnnbow.h, and no other" sh -c \
	"[ \"\$(echo '$API' | sort)\" = \"\$(sort '$T/dyn')\" ]"
nm -g --defined-only "$D/usr/lib/librnnbow.a" | awk 'NF == 3 {print $3}' >"$T/sta"
check "librnnbow.a: only rnnbow_ globals ($(wc -l <"$T/sta") of them)" sh -c \
	"[ -s '$T/sta' ] && ! grep -v '^rnnbow_' '$T/sta'"
check "the test-only reference itemizer is in neither the library nor the binary" sh -c \
	"nm '$ROOT/build/libcore/itemize_ref.o' | grep -q 'T itemize_reference' &&
	 ! nm '$D/usr/lib/librnnbow.a' | grep -q itemize_reference &&
	 ! nm '$D/usr/bin/rnnbow' | grep -q itemize_reference"

export PKG_CONFIG_PATH="$D/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
VERSION=$(pkg-config --modversion rnnbow)
check "pkg-config --modversion rnnbow: $VERSION" [ -n "$VERSION" ]
# the reference: the tree's libcore objects, itemize_ref.o among them
REF=$(ls "$ROOT"/build/libcore/*.o)
# the system's libraries, outside the DESTDIR (pkg-config would put $D before them)
BLAS=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --libs openblas hdf5)
build() { # OUT LIBS...
	out=$1
	shift
	# shellcheck disable=SC2086
	$CC -std=c11 -D_GNU_SOURCE -O1 -Wall -Wextra -DEXPECT_VERSION="\"$VERSION\"" \
		$(pkg-config --cflags rnnbow) -o "$out" "$ROOT/tests/lib/test_api.c" \
		$REF "$@" $BLAS -lm -pthread 2>"$T/cc.log" || { cat "$T/cc.log"; return 1; }
}
check "test_api.c builds with pkg-config --cflags --libs rnnbow" \
	build "$T/api_shared" $(pkg-config --libs rnnbow)
check "test_api built shared needs librnnbow.so.0" sh -c \
	"readelf -d '$T/api_shared' | grep -q 'NEEDED.*librnnbow.so.0'"
check "test_api.c builds against librnnbow.a (pkg-config --static)" \
	build "$T/api_static" $(pkg-config --static --libs rnnbow | sed 's/-lrnnbow/-l:librnnbow.a/')
check "test_api built static needs no librnnbow.so" sh -c \
	"! readelf -d '$T/api_static' | grep -q 'NEEDED.*librnnbow'"
for kind in shared static; do
	mkdir "$T/$kind"
	LD_LIBRARY_PATH="$D/usr/lib" "$T/api_$kind" "$T/$kind" >"$T/api.out" 2>"$T/api.err"
	rc=$?
	sed "s/^\(not \)*ok - /&$kind: /" "$T/api.out" | grep -v '^# [0-9]* passed'
	[ "$rc" -eq 0 ] || notok "$kind: test_api exits $rc"
	check "$kind: the library printed nothing, refusals and HDF5 failures included" \
		sh -c "[ ! -s '$T/api.err' ] || { cat '$T/api.err'; exit 1; }"
done

# dense inputs against PyTorch's autograd, through ctypes
LD_LIBRARY_PATH="$D/usr/lib" $PY "$ROOT/tests/lib/test_torch_api.py" "$D/usr/lib/librnnbow.so.0" \
	|| notok "test_torch_api.py exits non-zero"

# examples/c as its README builds it: through pkg-config, from the install
check "examples/c builds with pkg-config --cflags --libs rnnbow" sh -c \
	"$CC -std=c11 -Wall -Wextra -Werror -O2 '$ROOT/examples/c/example.c' \
	 \$(pkg-config --cflags --libs rnnbow) -lm -o '$T/example' 2>'$T/cc.log' ||
	 { cat '$T/cc.log'; exit 1; }"
for kind in tokens dense; do
	check "examples/c: $kind: runs" sh -c \
		"cd '$T' && LD_LIBRARY_PATH='$D/usr/lib' ./example $kind.h5 $kind >'$T/ex.out' 2>&1 &&
		 grep -q '^$kind.h5: 300 windows, 30 recorded' '$T/ex.out' || { cat '$T/ex.out'; exit 1; }"
	check "examples/c: $kind: the loss falls: $(cat "$T/ex.out" | sed 's/.*loss //')" sh -c \
		"awk '{ if (\$(NF-3) + 0 <= \$(NF-1) + 0.5) exit 1 }' '$T/ex.out'"
	R=$T/$kind.h5
	check "examples/c: $kind: rnnbow info" sh -c \
		"'$BIN' info '$R' >'$T/info' && grep -q 'lstm.*2 layers' '$T/info' &&
		 grep -q 'librnnbow' '$T/info' && grep -q '30 records' '$T/info'"
	if [ "$kind" = dense ]; then want='^input:   dense, [0-9]* features'; else want='^input:'; fi
	check "examples/c: $kind: info says the input ($kind)" sh -c \
		"[ $kind = dense ] && grep -q '$want' '$T/info' || { [ $kind = tokens ] && ! grep -q '$want' '$T/info'; }"
	check "examples/c: $kind: rnnbow summarize: 30 rows" sh -c \
		"[ \$('$BIN' summarize '$R' | wc -l) -eq 31 ]"
	check "examples/c: $kind: rnnbow horizon --per-batch: 30 rows" sh -c \
		"[ \$('$BIN' horizon --per-batch '$R' | wc -l) -eq 31 ]"
	check "examples/c: $kind: rnnbow plot overview" sh -c \
		"'$BIN' plot overview '$R' -o '$T/$kind.svg' && [ -s '$T/$kind.svg' ]"
done
# a full disk (ulimit -f; SIGXFSZ ignored, as a client should): one line naming
# the call, the batch and the system's reason, no command-line advice; the
# run closes as after its last row and the lock file goes
# (dash counts 512-byte blocks: 3 MB, most of the run)
(trap '' XFSZ; ulimit -f 6000; cd "$T" && LD_LIBRARY_PATH="$D/usr/lib" exec ./example full.h5) \
	>"$T/full.out" 2>"$T/full.err"
rc=$?
check "examples/c: a full disk: exit $rc, one line: $(cat "$T/full.err")" sh -c \
	"[ $rc -eq 1 ] && [ \$(wc -l <'$T/full.err') -eq 1 ] &&
	 grep -q '^example: rnnbow_run_record: full.h5: cannot write record of batch [0-9]*: file too large; what was written stays readable\$' '$T/full.err'"
check "examples/c: a full disk: rnnbow info reads what was written, no lock file left" sh -c \
	"'$BIN' info '$T/full.h5' | grep -q 'record: .*every 10 batches' && [ ! -e '$T/full.h5.lock' ]"
LD_LIBRARY_PATH="$D/usr/lib" $PY "$ROOT/tests/lib/check_run.py" "$D/usr/lib/librnnbow.so.0" \
	"$T/tokens.h5" "$T/dense.h5" || notok "check_run.py exits non-zero"
# examples/torch as its README runs it: a PyTorch loop (embedding, 2-layer
# LSTM, linear head, minibatches of 8 x 32, Adam) recording sequence 0 of
# every 10th batch through the installed library by ctypes; every reader
# opens the file, and tests/lib/check_torch_example.py holds three records
# against autograd's itemization of the tensors train.py --dump saved
TX=$T/torch
mkdir "$TX"
check "examples/torch: train.py: 300 steps, 30 recorded" sh -c \
	"cd '$TX' && RNNBOW_LIB='$D/usr/lib/librnnbow.so.0' $PY '$ROOT/examples/torch/train.py' \
	 run.h5 --steps 300 --hidden 32 --threads 1 --dump dump.pt >out 2>&1 &&
	 grep -q '^run.h5: 300 steps of 8 x 32 bytes, 30 recorded' out || { cat out; exit 1; }"
check "examples/torch: the loss falls: $(sed 's/.*loss //; s/, [0-9.]* s$//' "$TX/out")" sh -c \
	"awk '{ if (\$(NF-5) + 0 <= \$(NF-3) + 0.5) exit 1 }' '$TX/out'"
R=$TX/run.h5
check "examples/torch: rnnbow info: lstm, 2 layers, dense input of 16 features, 30 records" sh -c \
	"'$BIN' info '$R' >'$TX/info' && grep -q 'lstm.*2 layers' '$TX/info' &&
	 grep -q '^input:   dense, 16 features' '$TX/info' && grep -q '30 records' '$TX/info' ||
	 { cat '$TX/info'; exit 1; }"
check "examples/torch: rnnbow summarize: 30 rows" sh -c "[ \$('$BIN' summarize '$R' | wc -l) -eq 31 ]"
check "examples/torch: rnnbow horizon --per-batch: 30 rows" sh -c \
	"[ \$('$BIN' horizon --per-batch '$R' | wc -l) -eq 31 ]"
check "examples/torch: rnnbow plot overview" sh -c \
	"'$BIN' plot overview '$R' -o '$TX/overview.svg' && [ -s '$TX/overview.svg' ]"
check "examples/torch: rnnbow report" sh -c \
	"'$BIN' report '$R' -o '$TX/report' >/dev/null && [ -s '$TX/report/index.html' ]"
$PY "$ROOT/tests/lib/check_torch_example.py" "$R" "$TX/dump.pt" 300 10 >"$TX/check.out" 2>&1
rc=$?
sed 's/^\(not \)*ok - /&examples\/torch: /' "$TX/check.out" | grep -v '^# [0-9]* checks'
[ "$rc" -eq 0 ] || notok "examples/torch: check_torch_example.py exits $rc"
finish
