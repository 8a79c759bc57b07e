#!/usr/bin/env bash
# Does the autoencoder's reconstruction beat the noisy input, and at which SNRs?
# Three tiny FIP-DenoMAE pretrainings of the shipped recipe's size (10 x 10,000 examples,
# seed 1): as shipped (RECIPE run B: loss on the masked patches), with the loss on all
# patches, and with the loss on all patches at mask ratio 0.25 (a denoiser more than an
# MAE). `eval` measures each one's reconstructions per SNR (report.md, "PSNR by SNR").
# eval needs a classifier: one is fine-tuned for a single epoch on 20 labels per class
# from the first pretraining; its accuracy is not what this measures and is ignored.
# Usage: bash run.sh WORKDIR (resumable: finished steps are skipped).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
W="${1:-/var/tmp/recon}"
T="${FIPMAE:-${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae}"
[ -x "$T" ] || T="$root/target/release/fipmae"
mkdir -p "$W"
resume() { [ -f "$1/run.json" ] && echo --resume || true; }
pre() { # name, extra flags
  local out="$W/$1"; shift
  [ -f "$out/done" ] && return
  /usr/bin/time -f "$(basename "$out"): %e s wall" "$T" pretrain --preset tiny --method fip "$@" \
    --examples 10000 --val-examples 500 --epochs 10 --seed 1 --out "$out" $(resume "$out")
  touch "$out/done"
}
pre masked
pre all --loss-on-all-patches
pre all-m25 --loss-on-all-patches --mask-target 0.25 --mask-other 0.25
if [ ! -f "$W/carrier/done" ]; then
  "$T" finetune --pretrained "$W/masked" --labels-per-class 20 --val-per-class 2 --epochs 1 \
    --seed 1 --out "$W/carrier" $(resume "$W/carrier")
  touch "$W/carrier/done"
fi
for p in masked all all-m25; do
  "$T" eval --model "$W/carrier" --pretrained "$W/$p" --out "$W/eval-$p" --snr-min -10 \
    --snr-max 20 --snr-step 5 --per-class 1 --recon-per-class 20 > /dev/null
  mkdir -p "$here/$p"
  cp "$W/$p/run.json" "$here/$p/pretrain-run.json"
  cp "$W/$p/metrics.jsonl" "$here/$p/pretrain-metrics.jsonl"
  cp "$W/eval-$p/report.md" "$W/eval-$p/report.json" "$W/eval-$p/reconstructions.png" "$here/$p/"
done
