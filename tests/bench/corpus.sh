#!/bin/sh
# corpus.sh OUT - the benchmarks' 4,000,000-byte corpus of C headers, the
# same bytes on every run of one machine: the HDF5 and system headers in
# sorted order (LC_ALL=C), repeated as needed.
set -eu
LC_ALL=C
export LC_ALL
: >"$1.src"
while [ "$(wc -c <"$1.src")" -lt 4000000 ]; do
    cat /usr/include/hdf5/serial/*.h /usr/include/*.h >>"$1.src"
done
head -c 4000000 "$1.src" >"$1"
rm "$1.src"
