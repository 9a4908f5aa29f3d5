"""rnnbow_lib.py - librnnbow's network calls through ctypes, with their
argument types, for the Python tests of tests/lib (one place, so a change
of the C API is one change here). examples/torch/rnnbow_ctypes.py is the
wrapper a user would write; this is the raw API the tests probe."""
import ctypes

F = ctypes.POINTER(ctypes.c_float)
I32 = ctypes.POINTER(ctypes.c_int32)


def load(path):
    """The library at path, its network and itemize calls typed."""
    lib = ctypes.CDLL(path)
    net, name, size = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    lib.rnnbow_net_new.restype = net
    lib.rnnbow_net_new.argtypes = [name] + [ctypes.c_int] * 4
    lib.rnnbow_net_free.argtypes = [net]
    for f in (lib.rnnbow_net_set, lib.rnnbow_net_get, lib.rnnbow_net_grad):
        f.argtypes = [net, name, F, size]
    lib.rnnbow_itemize.argtypes = [net, ctypes.c_int, F, I32, I32, F, F, F, F]
    lib.rnnbow_itemize_gates.argtypes = [net, ctypes.c_int, F, I32, I32, F, F, F, F, F, F]
    lib.rnnbow_forward.argtypes = [net, ctypes.c_int, F, I32, I32, F, F, F, F, F]
    lib.rnnbow_gradient.argtypes = [net, ctypes.c_int, F, I32, I32, F, F, F, F, F]
    lib.rnnbow_errmsg.restype = ctypes.c_char_p
    return lib
