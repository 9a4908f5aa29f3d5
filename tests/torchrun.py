"""torchrun.py - what rnnbow's PyTorch tests share: torch itself (float64
by default; one failed TAP line and exit 1 when it cannot be imported), the
small corpus they record on, and a record's saved parameters
(/record/params, written by --save-params) loaded into torch.
"""
import sys

import numpy as np

try:
    import torch
except ImportError as e:
    print("not ok - import torch in %s: %s" % (sys.executable, e))
    print("# install python3-torch (make test does) and run with /usr/bin/python3")
    sys.exit(1)

torch.set_default_dtype(torch.float64)
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def sfx(l):
    """The suffix of layer l's datasets ("", "_l1", ...)."""
    return "" if l == 0 else "_l%d" % l


def step_corpus(lines):
    """A corpus of `lines` short lines whose bytes repeat at several periods."""
    return b"".join(b"step %d: the gradient of loss %d flows back %d steps.\n"
                    % (i, i * 7 % 13, i % 5) for i in range(lines))


def params(f, r, requires_grad=False):
    """Record r's saved parameters, name -> float64 tensor."""
    p = f["record/params"]
    return {k: torch.from_numpy(p[k][r].astype(np.float64)).requires_grad_(requires_grad)
            for k in p}


def load_module(f, cell, act, L, H, V, r):
    """nn.RNN/LSTM/GRU (batch_first) and nn.Linear holding record r's parameters."""
    kw = {"nonlinearity": act} if cell == "rnn" else {}
    mod = MODULES[cell](V, H, num_layers=L, batch_first=True, **kw)
    p = params(f, r)
    state = {k: v for k, v in p.items() if k not in ("weight_out", "bias_out")}
    mod.load_state_dict(state, strict=True)  # every name and shape, no more
    out = torch.nn.Linear(H, V)
    out.load_state_dict({"weight": p["weight_out"], "bias": p["bias_out"]})
    return mod, out
