#!/bin/sh
# test_lib.sh - librnnbow as its clients get it: `make install` into a
# DESTDIR, then tests/lib/test_api.c built through pkg-config against the
# installed shared library and against the static one, its g and E held
# against libcore's reference (see test_api.c); the exported symbols; and
# tests/lib/test_torch_api.py, dense inputs through ctypes against
# PyTorch's autograd.
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
check "the shared library needs no HDF5" sh -c \
	"! readelf -d '$D/usr/lib/librnnbow.so.0.1.0' | grep NEEDED | grep -qi hdf5"

# every exported symbol starts with rnnbow_; the archive's globals too
nm -D --defined-only "$D/usr/lib/librnnbow.so" | awk '{print $3}' >"$T/dyn"
check "nm -D: only rnnbow_ symbols ($(wc -l <"$T/dyn") of them)" sh -c \
	"[ -s '$T/dyn' ] && ! grep -v '^rnnbow_' '$T/dyn'"
check "nm -D: the seven functions of rnnbow.h" sh -c \
	"for f in rnnbow_version rnnbow_errmsg rnnbow_net_new rnnbow_net_free rnnbow_net_set \
	    rnnbow_itemize rnnbow_itemize_gates; do grep -qx \$f '$T/dyn' || exit 1; done"
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
BLAS=$(PKG_CONFIG_SYSROOT_DIR= pkg-config --libs openblas)
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
	LD_LIBRARY_PATH="$D/usr/lib" "$T/api_$kind" >"$T/api.out" 2>&1
	rc=$?
	sed "s/^\(not \)*ok - /&$kind: /" "$T/api.out" | grep -v '^# [0-9]* passed'
	[ "$rc" -eq 0 ] || notok "$kind: test_api exits $rc"
done

# dense inputs against PyTorch's autograd, through ctypes
LD_LIBRARY_PATH="$D/usr/lib" $PY "$ROOT/tests/lib/test_torch_api.py" "$D/usr/lib/librnnbow.so.0" \
	|| notok "test_torch_api.py exits non-zero"
finish
