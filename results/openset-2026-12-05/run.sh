#!/usr/bin/env bash
# Issue #28's measurement of one classifier (bundle folder or fine-tuning run): calibration
# and open-set detection against every never-trained kind (BPSK, QPSK, 8PSK, 16QAM,
# 64QAM, OFDM, AM, FM, noise alone) — `fipmae eval --open-set all` (see
# trainer/src/eval/openset/): 40 bursts per class and kind at -10..20 dB in 5 dB steps
# (openset.md/.json), then the same at every dB from 10 to 20 (openset-10-20dB.md/.json:
# in-set and out-of-set bursts spread over the high SNRs as the calibration grid is).
# The model's own rule (calibration.json, `fipmae calibrate`) is the first row when it has one.
#
#   bash results/openset-2026-12-05/run.sh MODEL OUTDIR     # e.g. static results/openset-2026-12-05/row14-shipped
set -euo pipefail
model="$1"; out="$2"
bin="${FIPMAE:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" eval --model "$model" --open-set all --snr-min -10 --snr-max 20 --snr-step 5 \
  --per-class 40 --recon-per-class 0 --out "$work/e" >/dev/null
"$bin" eval --model "$model" --open-set all --snr-min 10 --snr-max 20 --snr-step 1 \
  --per-class 20 --recon-per-class 0 --out "$work/h" >/dev/null
mkdir -p "$out"
cp "$work/e/openset.json" "$work/e/openset.md" "$out/"
cp "$work/h/openset.json" "$out/openset-10-20dB.json"
cp "$work/h/openset.md" "$out/openset-10-20dB.md"
cat "$out/openset.md"
