#!/bin/sh
# demo.sh - what `make demo` runs: record a run on the built-in corpus
# (rnnbow's own C source) and describe it. Writes demo/run.h5.
set -eu
mkdir -p demo
./rnnbow record -o demo/run.h5 --force --batches 20000 --record-every 100 --save-params
echo
./rnnbow info demo/run.h5
echo
echo "demo: the run is demo/run.h5; read it with h5dump, h5py, or 'rnnbow info'"
