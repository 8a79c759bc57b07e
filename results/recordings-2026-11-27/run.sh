#!/usr/bin/env bash
# Training on recordings the generator did not write: bursts of the ten classes from the
# independent numpy implementation (scripts/independent_bursts.py), labelled SigMF files.
# A `tiny` ViT fine-tuned from scratch on them, and a `tiny` FIP-DenoMAE pretrained on the
# same recordings without labels (half generated examples mixed in), then fine-tuned the
# same way; both evaluated per SNR on other independent recordings (another seed).
# Usage: bash run.sh WORKDIR (resumable: finished steps are skipped).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
W="${1:-/var/tmp/recex}"
# the project's target folder (scripts/test.sh), else the default one
T="${FIPMAE:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
[ -x "$T" ] || T="$root/target/release/fipmae"
py="$(bash -c "source $root/scripts/tools.sh && ensure_py_venv")/bin/python"
mkdir -p "$W"
[ -d "$W/train" ] || "$py" "$root/scripts/independent_bursts.py" --out "$W/train" --per-class 120 --snr 0 5 10 15 20 --seed 11
[ -d "$W/test" ] || "$py" "$root/scripts/independent_bursts.py" --out "$W/test" --per-class 20 --snr -10 0 10 20 --seed 12
resume() { [ -f "$1/run.json" ] && echo --resume || true; }
ft() { # name, extra flags
  local out="$W/$1"; shift
  [ -f "$out/done" ] && return
  /usr/bin/time -f "%e s wall" "$T" finetune "$@" --recordings "$W/train" --labels-per-class 500 \
    --val-per-class 50 --epochs 20 --lr 3e-3 --seed 1 --out "$out" $(resume "$out")
  touch "$out/done"
}
ft vit --method vit --preset tiny
if [ ! -f "$W/pre/done" ]; then
  /usr/bin/time -f "%e s wall" "$T" pretrain --preset tiny --method fip --recordings "$W/train" \
    --synthetic-fraction 0.5 --examples 6000 --val-examples 300 --epochs 8 --seed 1 \
    --out "$W/pre" $(resume "$W/pre")
  touch "$W/pre/done"
fi
ft fip --pretrained "$W/pre"
for m in vit fip; do
  [ -f "$W/eval-$m/report.json" ] || "$T" eval --model "$W/$m" --out "$W/eval-$m" --recordings "$W/test"
done
mkdir -p "$here/eval-vit" "$here/eval-fip"
for m in vit fip; do cp "$W/eval-$m/report.md" "$W/eval-$m/report.json" "$here/eval-$m/"; done
