#!/usr/bin/env bash
# Issue #28's measurement of one classifier (bundle folder or fine-tuning run): calibration
# and open-set detection against every never-trained kind (BPSK, QPSK, 8PSK, 16QAM,
# 64QAM, OFDM, AM, FM, noise alone), 20 bursts per class and kind at -10..20 dB in 5 dB
# steps (`fipmae eval --open-set all`, see trainer/src/eval/openset.rs).
#
#   bash results/openset-2026-12-05/run.sh MODEL OUTDIR     # e.g. static results/openset-2026-12-05/row14-shipped
set -euo pipefail
model="$1"; out="$2"
bin="${FIPMAE:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" eval --model "$model" --open-set all --snr-min -10 --snr-max 20 --snr-step 5 \
  --per-class 20 --recon-per-class 0 --out "$work/e" >/dev/null
mkdir -p "$out"
cp "$work/e/openset.json" "$work/e/openset.md" "$out/"
cat "$out/openset.md"
