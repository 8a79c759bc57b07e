#!/usr/bin/env bash
# Issue #26: end-to-end `pretrain --preset small` (rendering on the same 2 cores) against
# `bench model`'s step at the same batch, ROUNDS alternating rounds; run with nothing else on
# the machine.
#
#   bash results/cpu-speed-2026-12-05/end_to_end.sh [FIPMAE] [ROUNDS]
set -euo pipefail
fipmae="${1:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RAYON_NUM_THREADS=2
for _ in $(seq "${2:-2}"); do
  rm -rf "$work/pre"
  "$fipmae" pretrain --preset small --method fip --examples 960 --val-examples 32 --epochs 1 \
    --batch-size 32 --seed 1 --threads 2 --out "$work/pre" 2>&1 | grep -o '[0-9.]* examples/s' | sed 's/^/pretrain (end to end): /'
  "$fipmae" bench model --json --preset small --method fip --batch-size 32 --steps 10 |
    python3 -c 'import json,sys; d=json.loads([l for l in sys.stdin if l.startswith("{")][0]); print("bench model step:", round(d["pretrain_examples_per_s"], 1), "examples/s")'
done
