#!/usr/bin/env python3
"""Does low-BT GMSK show a line for the offset estimator? For GMSK (h 0.5) at BT 0.1-0.5,
10 dB, 20 bursts each (the independent implementation's `fsk_phase`, no offset), the
spectrum of |x|·e^{jMφ} (M = 2, 4; 8,192-point FFT): the median over bursts of the
strongest bin near 0 (a line at M × the offset), near ±Rs/2 (the squared pair) and near
±Rs, each over the spectrum's median bin.

    python3 results/offsets-2026-12-05/gmsk_lines.py      # needs numpy (scripts/tools.sh's venv)
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import independent_bursts as ib  # noqa: E402

N, SPS, PAD = 1024, 8, 8192
RS = 1 / SPS
rng = np.random.default_rng(3)


def at(p, f, floor):
    k = int(round(f * PAD))
    return max(p[(k + j) % PAD] for j in range(-2, 3)) / floor


print("| BT | M | 0 | +Rs/2 | −Rs/2 | +Rs | −Rs |")
print("|---|---|---|---|---|---|---|")
for bt in [0.1, 0.15, 0.2, 0.3, 0.5]:
    for m in [2, 4]:
        rows = []
        for _ in range(20):
            bits = rng.choice([-1, 1], N // SPS + 16)
            x = ib.fsk_phase(bits, SPS, 0.5, bt, 64)
            x = x + (rng.standard_normal(N) + 1j * rng.standard_normal(N)) * np.sqrt(10 ** -1.0 / 2)
            p = np.abs(np.fft.fft(np.abs(x) * np.exp(1j * m * np.angle(x)), PAD)) ** 2
            floor = np.median(p)
            rows.append([at(p, f, floor) for f in (0, RS / 2, -RS / 2, RS, -RS)])
        r = np.median(np.array(rows), axis=0)
        print(f"| {bt} | {m} | " + " | ".join(f"{v:.0f}" for v in r) + " |")
