#!/usr/bin/env python3
"""Writes the small RadioML 2016 pickles `trainer/tests/import_radioml.rs` reads (numpy +
pickle): the real file's format — a protocol-2 pickle of {(modulation, snr): float32
[N, 2, L]} written by Python 2, whose `str` (names and raw array data alike) are STRING
opcodes — emulated by a pickler that writes Python 3 `str` and `bytes` that way; the same
data as Python 3 writes it; and malformed files. Rerun to regenerate (deterministic).

    python3 tests/radioml/make_pickles.py tests/radioml
"""
import os
import pickle
import struct
import sys

import numpy as np

N, L = 3, 128
MODS = ["QPSK", "8PSK", "AM-DSB"]
SNRS = [-2, 18]


class Py2Pickler(pickle._Pickler):
    """Python 2's protocol 2: str and bytes as (SHORT_)BINSTRING, latin-1."""

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    def save_str(self, obj):
        self.save_bytes(obj.encode("latin-1"))

    dispatch = pickle._Pickler.dispatch.copy()
    dispatch[bytes] = save_bytes
    dispatch[str] = save_str


def frames(k):
    """Key number k's frames: value j of the flat array is ((j % 97) / 97 - 0.5) + k."""
    j = np.arange(N * 2 * L)
    return (((j % 97) / 97.0 - 0.5) + k).astype(np.float32).reshape(N, 2, L)


def data():
    d = {}
    for a, m in enumerate(MODS):
        for b, s in enumerate(SNRS):
            d[(m, s)] = frames(a * len(SNRS) + b)
    return d


def py2(obj):
    import io
    f = io.BytesIO()
    Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    good = py2(data())
    files = {
        "rml2016_py2.pkl": good,
        "rml2016_py3.pkl": pickle.dumps(data(), protocol=2),
        "truncated.pkl": good[: len(good) // 2],
        "bad_shape.pkl": py2({("QPSK", 0): np.zeros((2, 3, L), np.float32)}),
        "bad_dtype.pkl": py2({("QPSK", 0): np.zeros((2, 2, L), np.float64)}),
        "bad_key.pkl": py2({(0, "QPSK"): np.zeros((2, 2, L), np.float32)}),
        "not_a_dict.pkl": py2([1, 2, 3]),
    }
    for name, b in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(b)
    print(f"{len(files)} pickles in {out}")


if __name__ == "__main__":
    main()
