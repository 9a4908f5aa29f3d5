"""tap.py - the TAP-style output of rnnbow's Python tests, in one place.

Each check prints one line, `ok - WHAT` or `not ok - WHAT`, followed on
failure by `# ...` diagnostics; tests/run.sh counts those lines. A test
ends with `sys.exit(tap.summary())`.
"""
import struct
import sys
import traceback
import zlib

COUNT = 0
FAILURES = 0


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print("# " + line)


def check(cond, desc, why=None):
    """One TAP line; why (str or callable) is printed as diagnostics on failure."""
    global FAILURES, COUNT
    COUNT += 1
    if cond:
        print("ok - " + desc)
    else:
        FAILURES += 1
        print("not ok - " + desc)
        if why is not None:
            try:
                diag(why() if callable(why) else why)
            except Exception:
                diag(traceback.format_exc())
    sys.stdout.flush()
    return bool(cond)


def section(desc, fn, *args):
    """Runs fn; an exception is one failed check instead of a crash."""
    try:
        return fn(*args)
    except Exception:
        check(False, desc + " (raised an exception)", traceback.format_exc())
        return None


def summary():
    """Prints the count line; returns the exit status (1 if a check failed)."""
    print("# %d checks, %d failed" % (COUNT, FAILURES))
    return 1 if FAILURES else 0


def png_content(data):
    """Share of non-zero bytes in the filtered scanlines: near 0 for a
    blank page (every row the same colour), well above for real content."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return sum(1 for b in raw[::7] if b) / max(1, len(raw[::7]))
