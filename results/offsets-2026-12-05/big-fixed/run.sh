#!/usr/bin/env bash
# Issue #25's "old test set within 2 points" with a tighter error bar: the shipped bundle
# and row 14 (the bundle shipped before it, taken from git at 650c50f) on the fixed-parameter,
# zero-offset test set, 100 examples per class at every dB from 0 to 10 (11,000 bursts each,
# the same for both; one standard error of the mean about 0.25 point). ~10 s.
#
#   bash results/offsets-2026-12-05/big-fixed/run.sh [OUTDIR]    # default: beside this script
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="${1:-$root/results/offsets-2026-12-05/big-fixed}"
bin="${FIPMAE:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$root" archive 650c50f static | tar -x -C "$work"
mkdir -p "$out"
for pair in "row14:$work/static" "shipped:$root/static"; do
  name=${pair%%:*} model=${pair#*:}
  "$bin" eval --model "$model" --out "$work/$name" --snr-min 0 --snr-max 10 --per-class 100 \
    --recon-per-class 0 --class-parameters fixed --max-freq-offset 0 >/dev/null
  cp "$work/$name/report.md" "$out/$name.md"
  cp "$work/$name/report.json" "$out/$name.json"
  echo "$name: $(grep -o 'mean over 0..10 dB [0-9.]* %' "$out/$name.md")"
done
