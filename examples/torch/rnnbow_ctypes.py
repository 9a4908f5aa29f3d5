"""rnnbow_ctypes.py - librnnbow (rnnbow(3)) from Python through ctypes.

A thin wrapper: the itemizing and the run file are the C library's; this
module only converts numpy arrays and torch tensors to float32 / int32
buffers and turns a failing call (-1 or NULL) into RnnbowError carrying
rnnbow_errmsg().

    lib = load()                             # $RNNBOW_LIB, else the system's
    net = Net(lib, "lstm", input_size, hidden_size, num_layers, output_size)
    net.set_module(lstm, head)               # state_dict names, head as *_out
    run = Run(lib, "run.h5", net, seq_len, {"input": "dense", ...}, vocab)
    run.record(batch, x, targets, h0, c0)    # x: (seq_len, input_size)
    run.train(batch, loss, grad_norm)
    run.close()

Where the library is found: the path given to load(), else the environment
variable RNNBOW_LIB, else ctypes.util.find_library("rnnbow") (what
`make install` put in the linker's path), else "librnnbow.so.0" (the
dynamic loader's own search, LD_LIBRARY_PATH included).
"""
import ctypes
import ctypes.util
import os

import numpy as np

_F = ctypes.POINTER(ctypes.c_float)
_I32 = ctypes.POINTER(ctypes.c_int32)
_P = ctypes.c_void_p


class RnnbowError(RuntimeError):
    """A librnnbow call failed; the message is rnnbow_errmsg()'s."""


def load(path=None):
    """The shared library, its functions typed (see the module's doc)."""
    path = path or os.environ.get("RNNBOW_LIB") or ctypes.util.find_library("rnnbow") \
        or "librnnbow.so.0"
    lib = ctypes.CDLL(path)
    sig = {
        "rnnbow_version": (ctypes.c_char_p, []),
        "rnnbow_errmsg": (ctypes.c_char_p, []),
        "rnnbow_net_new": (_P, [ctypes.c_char_p] + [ctypes.c_int] * 4),
        "rnnbow_net_free": (None, [_P]),
        "rnnbow_net_set": (ctypes.c_int, [_P, ctypes.c_char_p, _F, ctypes.c_size_t]),
        "rnnbow_run_options_new": (_P, []),
        "rnnbow_run_options_free": (None, [_P]),
        "rnnbow_run_options_set": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
        "rnnbow_run_options_set_vocab": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_size_t]),
        "rnnbow_run_create": (_P, [ctypes.c_char_p, _P, ctypes.c_int, _P]),
        "rnnbow_run_record": (ctypes.c_int, [_P, ctypes.c_int64, _F, _I32, _I32, _F, _F]),
        "rnnbow_run_train": (ctypes.c_int, [_P, ctypes.c_int64, ctypes.c_float,
                                            ctypes.c_float]),
        "rnnbow_run_close": (ctypes.c_int, [_P]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    return lib


def _ok(lib, rc, call):
    """rc of a call that returns 0 / -1 or a handle / NULL; the library's
    message names the call, else it is named here."""
    if rc is None or (isinstance(rc, int) and rc < 0):
        msg = lib.rnnbow_errmsg().decode()
        raise RnnbowError(msg if msg.startswith("rnnbow_") else "%s: %s" % (call, msg))
    return rc


def _f32(a, shape=None):
    """A C-contiguous float32 copy of a tensor or array (None stays None)."""
    if a is None:
        return None
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    a = np.ascontiguousarray(a, dtype=np.float32)
    if shape is not None and a.shape != shape:
        raise ValueError("shape %s, want %s" % (a.shape, shape))
    return a


def _i32(a, n):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    a = np.ascontiguousarray(a, dtype=np.int32)
    if a.shape != (n,):
        raise ValueError("shape %s, want (%d,)" % (a.shape, n))
    return a


def _ptr(a, typ=_F):
    return None if a is None else a.ctypes.data_as(typ)


class Net:
    """A librnnbow network: L layers of one cell and a linear head."""

    def __init__(self, lib, cell, input_size, hidden_size, num_layers, output_size):
        self.lib = lib
        self.sizes = (input_size, hidden_size, num_layers, output_size)
        self.handle = _ok(lib, lib.rnnbow_net_new(cell.encode(), input_size, hidden_size,
                                                  num_layers, output_size), "rnnbow_net_new")

    def set(self, name, tensor):
        a = _f32(tensor)
        _ok(self.lib, self.lib.rnnbow_net_set(self.handle, name.encode(), _ptr(a), a.size),
            "rnnbow_net_set %s" % name)

    def set_module(self, rnn, head):
        """Every tensor of an nn.RNN / nn.LSTM / nn.GRU by its state_dict
        name, and the nn.Linear head as weight_out and bias_out."""
        for name, tensor in rnn.state_dict().items():
            self.set(name, tensor)
        self.set("weight_out", head.weight)
        self.set("bias_out", head.bias)

    def close(self):
        if self.handle:
            self.lib.rnnbow_net_free(self.handle)
            self.handle = None


class Run:
    """A run file written through librnnbow: records and /train rows.
    options: rnnbow_run_options_set's names and values (any value is
    passed as its str()); vocab: the byte of each output id."""

    def __init__(self, lib, path, net, seq_len, options=None, vocab=None):
        self.lib, self.net, self.seq_len = lib, net, seq_len
        opt = _ok(lib, lib.rnnbow_run_options_new(), "rnnbow_run_options_new")
        try:
            for name, value in (options or {}).items():
                _ok(lib, lib.rnnbow_run_options_set(opt, name.encode(), str(value).encode()),
                    "option %s" % name)
            if vocab is not None:
                _ok(lib, lib.rnnbow_run_options_set_vocab(opt, bytes(vocab), len(vocab)),
                    "vocab")
            self.handle = _ok(lib, lib.rnnbow_run_create(path.encode(), net.handle, seq_len,
                                                         opt), "rnnbow_run_create")
        finally:
            lib.rnnbow_run_options_free(opt)

    def record(self, batch, x, targets, h0=None, c0=None):
        """Itemizes one dense sequence with the network's current weights
        and appends it to /record as training batch `batch`."""
        In, H, L, _ = self.net.sizes
        n = self.seq_len
        x, y = _f32(x, (n, In)), _i32(targets, n)
        h0, c0 = _f32(h0, (L, H)), _f32(c0, (L, H))
        _ok(self.lib, self.lib.rnnbow_run_record(self.handle, batch, _ptr(x), None,
                                                 _ptr(y, _I32), _ptr(h0), _ptr(c0)),
            "rnnbow_run_record")

    def train(self, batch, loss, grad_norm):
        """One /train row: the batch's mean loss and gradient norm."""
        _ok(self.lib, self.lib.rnnbow_run_train(self.handle, batch, float(loss),
                                                float(grad_norm)), "rnnbow_run_train")

    def close(self):
        if self.handle:
            handle, self.handle = self.handle, None
            _ok(self.lib, self.lib.rnnbow_run_close(handle), "rnnbow_run_close")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
