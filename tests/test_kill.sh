#!/bin/sh
# test_kill.sh - SIGKILL at random moments: the run file must open at once
# for SWMR reading (h5py swmr=True) and hold every record completed before
# the kill, each one whole, and rnnbow must read them all; after h5clear a
# plain open works, and so does rnnbow info. Usage: sh tests/test_kill.sh ./rnnbow
set -u
. "$(dirname "$0")/lib.sh"

i=0
while [ $i -lt 400 ]; do
	echo "$i: static int f$i(int x) { return x * $((i % 17)) + $((i % 5)); }" >>"$T/c.txt"
	i=$((i + 1))
done

round=0
for delay in 0.15 0.3 0.45 0.6 0.8 1.0 1.3 1.7; do
	round=$((round + 1))
	f="$T/k$round.h5"
	"$BIN" record "$T/c.txt" -o "$f" --quiet --hidden 32 --seq-len 20 \
		--batches 100000000 --record-every 3 --save-hidden &
	pid=$!
	sleep $delay
	kill -KILL $pid
	wait $pid 2>/dev/null
	$PY - "$f" <<'PYEOF' && ok "kill after ${delay}s: committed records are whole and consistent" || notok "kill after ${delay}s"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r", swmr=True)
rec = f["record"]
# a record is committed when every dataset of /record has its row (SPEC 2:
# the shortest dataset's), /record/diag and unit_flow included: a kill
# between the first dataset's append and the last leaves a row short
names = []
rec.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
assert {"batch", "itemized", "truncation_error", "hidden", "unit_flow", "diag/rho"} <= set(names)
rows = min(rec[n].shape[0] for n in names)
assert rows >= 1, "no record committed"
batch = rec["batch"][:rows]
assert (batch == 3 * np.arange(rows)).all(), "record batches not 0, 3, 6, ..."
g = rec["itemized"][:rows]
assert np.isfinite(g).all() and (g >= 0).all()
assert all((np.triu(g[r], 1) == 0).all() for r in range(rows)), "g above the diagonal"
# g[t,t] > 0 for t >= 1 (g[0,0] is 0 when the carried state is 0)
assert (np.diagonal(g, axis1=1, axis2=2)[:, 1:] > 0).all(), "an empty diagonal (torn row?)"
E = rec["truncation_error"][:rows]
assert np.isfinite(E).all() and (E[:, -1] == 0).all()
loss = rec["loss"][:rows]
assert np.isfinite(loss).all() and (loss > 0).all()
t = f["train"]
trows = min(t[n].shape[0] for n in ("batch", "loss", "grad_norm"))
assert (t["batch"][:trows] == np.arange(trows)).all()
print("# %d records, %d train rows" % (rows, trows))
open(sys.argv[1] + ".rows", "w").write("%d %d\n" % (rows, trows))
PYEOF
	# rnnbow proves each row's bytes are in the file: an uncut killed run
	# keeps them all
	check "kill after ${delay}s: rnnbow reads every committed record and /train row" sh -c \
		"'$BIN' info --format json '$f' | $PY -c 'import json, sys; j = json.load(sys.stdin);
sys.exit(\"%d %d\" % (j[\"records\"], j[\"batches_trained\"]) != open(\"$f.rows\").read().strip())'"
done

# the last one again, as a user would: clear the flag, then plain tools work
f="$T/k$round.h5"
check "rnnbow info reads a killed run without clearing it" sh -c "'$BIN' info '$f' | grep -q records"
check "h5clear -s --increment, then h5dump opens it" sh -c "h5clear -s --increment '$f' && h5dump -H '$f' >/dev/null"
finish
