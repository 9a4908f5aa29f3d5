#!/bin/sh
# corename.sh - which OpenBLAS kernel this machine runs (the machine may set
# OPENBLAS_CORETYPE), printed at the head of every bench's output so that
# its ratios can be compared across machines.
/usr/bin/python3 -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0")
l.openblas_get_corename.restype = l.openblas_get_config.restype = ctypes.c_char_p
print("OpenBLAS core: %s (%s)" % (l.openblas_get_corename().decode(), l.openblas_get_config().decode()))' ||
    echo "OpenBLAS core: unknown"
