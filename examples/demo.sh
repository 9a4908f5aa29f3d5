#!/bin/sh
# demo.sh - what `make demo` runs: record a run on the built-in corpus
# (rnnbow's own C source) and describe it. Writes demo/run.h5.
set -eu
mkdir -p demo
./rnnbow record -o demo/run.h5 --force --batches 20000 --record-every 100 --save-params
echo
./rnnbow info demo/run.h5
echo
./rnnbow summarize --top 5 demo/run.h5
for kind in overview horizon k loss; do
	./rnnbow plot $kind demo/run.h5 -o demo/$kind.svg
done
./rnnbow plot batch --top 1 --loss 24 demo/run.h5 -o demo/batch.svg
./rnnbow plot heatmap --top 1 demo/run.h5 -o demo/heatmap.svg
echo
echo "demo: the run is demo/run.h5 (rnnbow info, summarize, horizon, h5py);"
echo "demo: its figures are demo/*.svg: overview horizon k loss batch heatmap"
echo "demo: the report, to open in a browser:"
./rnnbow report demo/run.h5 -o demo/report --force
