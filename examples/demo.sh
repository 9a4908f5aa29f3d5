#!/bin/sh
# demo.sh - what `make demo` runs: record a run on the built-in corpus
# (rnnbow's own C source) and describe it, then an LSTM on the same corpus
# to compare how far back their gradients reach. Writes demo/run.h5 and
# demo/lstm.h5, their figures, a report and demo/view.html, the two runs'
# interactive view.
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
echo "demo: the same corpus with an LSTM (--cell lstm), to compare horizons:"
./rnnbow record -o demo/lstm.h5 --force --cell lstm --batches 20000 --record-every 100 --quiet
./rnnbow horizon --overall demo/run.h5 demo/lstm.h5
./rnnbow plot horizon demo/run.h5 demo/lstm.h5 -o demo/cells.svg
./rnnbow plot horizon --gate all demo/lstm.h5 -o demo/gates.svg
echo
echo "demo: the run is demo/run.h5 (rnnbow info, summarize, horizon, h5py);"
echo "demo: its figures are demo/*.svg: overview horizon k loss batch heatmap;"
echo "demo: cells.svg overlays the RNN's and the LSTM's horizons, gates.svg the LSTM's gates"
echo "demo: the report, to open in a browser:"
./rnnbow report demo/run.h5 -o demo/report --force
echo "demo: the interactive view of both runs (hover, click, arrow keys), to open in a browser:"
./rnnbow view demo/run.h5 demo/lstm.h5 -o demo/view.html
echo "demo/view.html"
