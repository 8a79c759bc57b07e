"""Small files in RadioML 2018.01a's HDF5 format (h5py + numpy), good and malformed, for
datasets/tests/radioml2018.rs. X float32 [N, 1024, 2], Y int64 one-hot [N, 24], Z int64
[N, 1], as in GOLD_XYZ_OSC.0001_1024.hdf5. Run: python make_hdf5.py (writes beside it)."""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
N, L, K = 6, 1024, 24
LABELS = [3, 3, 4, 4, 22, 22]  # BPSK, QPSK, GMSK in the corrected order
SNRS = [-20, 30, -20, 30, 0, 10]


def x_values():
    """Value j of the flat X array is (j % 89) / 89 - 0.5 + row."""
    j = np.arange(N * L * 2)
    x = ((j % 89) / 89.0 - 0.5).reshape(N, L, 2) + np.arange(N)[:, None, None]
    return x.astype(np.float32)


def y_values():
    y = np.zeros((N, K), dtype=np.int64)
    y[np.arange(N), LABELS] = 1
    return y


def write(name, x, y, z, skip=()):
    with h5py.File(os.path.join(HERE, name), "w") as f:
        for key, value in (("X", x), ("Y", y), ("Z", z)):
            if key not in skip:
                f.create_dataset(key, data=value)


z = np.array(SNRS, dtype=np.int64).reshape(N, 1)
write("rml2018_good.hdf5", x_values(), y_values(), z)
write("rml2018_bad_shape.hdf5", np.zeros((N, L, 3), np.float32), y_values(), z)
two = y_values()
two[3, 0] = 1
write("rml2018_not_onehot.hdf5", x_values(), two, z)
write("rml2018_short_z.hdf5", x_values(), y_values(), z[:-1])
write("rml2018_no_z.hdf5", x_values(), y_values(), z, skip=("Z",))
bad = x_values()
bad[4, 100, 1] = np.nan
write("rml2018_nan.hdf5", bad, y_values(), z)
with open(os.path.join(HERE, "rml2018_good.hdf5"), "rb") as f:
    data = f.read()
with open(os.path.join(HERE, "rml2018_truncated.hdf5"), "wb") as f:
    f.write(data[: len(data) // 2])
