#!/usr/bin/env bash
# #11 recipe run A: the GPU-pretrained small FIP-DenoMAE encoder fine-tuned on abundant
# synthetic labels (1500/class), SNR U[-10, 20] dB, 5 epochs, lr 1e-3; then eval -10..20 dB.
# Skips finished steps (rerun after an interruption restarts the unfinished step).
set -u
B=/var/tmp/recipe/fipmae   # a copy, so rebuilding the clone's target does not swap it
out=/var/tmp/recipe/a-small-fip-l1500
if [ ! -f "$out/model.fipmae" ] || [ ! -f "$out/done" ]; then
  rm -rf "$out"
  ( time $B finetune --pretrained /var/tmp/gpu-runs/small-fip --labels-per-class 1500 --val-per-class 50 \
      --snr-min -10 --snr-max 20 --epochs 5 --lr 1e-3 --seed 1 --out "$out" ) > /var/tmp/recipe/a.log 2>&1 && touch "$out/done"
fi
if [ -f "$out/done" ] && [ ! -f /var/tmp/recipe/a-eval/report.json ]; then
  ( time $B eval --model "$out" --out /var/tmp/recipe/a-eval --snr-min -10 --snr-max 20 --snr-step 2 --per-class 30 ) >> /var/tmp/recipe/a.log 2>&1
fi
