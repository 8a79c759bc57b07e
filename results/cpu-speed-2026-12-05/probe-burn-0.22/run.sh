#!/usr/bin/env bash
# Issue #26 item 1: Burn 0.22.1's Flex against this repository's Burn 0.21 (vendor/ patches)
# on the same step, burn::nn's pre-norm transformer encoder at the `small` encoder's shapes
# (batch 32, 59 tokens, width 192, 3 heads, MLP 768, 6 layers), forward and backward, two
# rayon threads; ROUNDS alternating rounds of 10 timed steps each. Builds the probe first.
#
#   bash results/cpu-speed-2026-12-05/probe-burn-0.22/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
cargo build -q --release
for _ in $(seq "${1:-3}"); do
  for side in 0.21 0.22; do
    RAYON_NUM_THREADS=2 "$CARGO_TARGET_DIR/release/probe-burn-022" "$side" 10
  done
done
