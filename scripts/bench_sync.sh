#!/usr/bin/env bash
# Training throughput with a host read every step (--sync-every 1, what training did
# before) against one read every 16 steps (the default), run alternately in one go:
# `tiny` pretraining and fine-tuning, REPS times each, median examples/s of the training
# epoch (metrics.jsonl). Usage: scripts/bench_sync.sh [BINARY] (default: the release
# build; a --features wgpu binary with VK_ICD_FILENAMES set measures a Vulkan device).
set -euo pipefail
bin="${1:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
reps="${REPS:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin" info | head -3
rate() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["examples_per_s"])' "$1/metrics.jsonl"; }
for r in $(seq "$reps"); do
  for every in 1 16; do
    d="$tmp/pre-$every-$r"
    "$bin" pretrain --preset tiny --examples "${PRE_EXAMPLES:-256}" --val-examples 16 --epochs 1 \
      --batch-size 16 --seed 1 --sync-every "$every" --out "$d" >/dev/null 2>&1
    echo "pretrain $every $(rate "$d")" >> "$tmp/rates"
    d="$tmp/ft-$every-$r"
    "$bin" finetune --method vit --preset tiny --labels-per-class "${FT_LABELS:-40}" \
      --val-per-class 2 --epochs 1 --batch-size 16 --seed 1 --sync-every "$every" --out "$d" >/dev/null 2>&1
    echo "finetune $every $(rate "$d")" >> "$tmp/rates"
  done
done
python3 - "$tmp/rates" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| stage | examples/s, read every step | examples/s, every 16 steps | ratio |")
print("|---|---|---|---|")
for stage in ("pretrain", "finetune"):
    med = {e: statistics.median(float(r) for s, ev, r in rows if s == stage and ev == e) for e in ("1", "16")}
    print(f"| {stage} | {med['1']:.2f} | {med['16']:.2f} | {med['16'] / med['1']:.3f} |")
PY
