#!/usr/bin/env bash
# Fine-tunes the GPU-pretrained small encoders (and a ViT from scratch) on 100 labels/class,
# one thread, sequentially; resumable by skipping finished runs.
set -u
B=/var/tmp/gpu/fipmae-cpu
export RAYON_NUM_THREADS=1
for m in fip denomae vit; do
  out=/var/tmp/ft/small-$m-l100
  if [ ! -f /var/tmp/ft/eval-$m/report.json ]; then
    rm -rf "$out"
    if [ $m = vit ]; then
      ( time $B finetune --method vit --preset small --labels-per-class 100 --epochs 30 --lr 1e-3 --seed 1 --threads 1 --out "$out" ) > /var/tmp/ft/$m.log 2>&1
    else
      ( time $B finetune --pretrained /var/tmp/gpu-runs/small-$m --labels-per-class 100 --epochs 30 --lr 1e-3 --seed 1 --threads 1 --out "$out" ) > /var/tmp/ft/$m.log 2>&1
    fi
    ( time $B eval --model "$out" --out /var/tmp/ft/eval-$m ) >> /var/tmp/ft/$m.log 2>&1
  fi
done
