#!/usr/bin/env bash
# #25 recipe run R: RECIPE rows 7 → 13 → 14 again on the standard generator as it now is
# (each class's parameters drawn per burst from its range, carrier offsets up to ±0.05
# cycles/sample, the offset removed before rendering): `tiny` FIP-DenoMAE pretrained on
# 10 × 10,000 examples, fine-tuned on 8,000 labels/class for 40 epochs at lr 3e-3, then
# 20 epochs of fresh labels at lr 1e-3; eval -10..20 dB on its own test set and on the old
# fixed-parameter, zero-offset one. Resumable: run it again after an interruption.
#
#   bash results/recipe-2026-12-05/r/run_r.sh [WORK]     # default WORK=/var/tmp/recipe25
#
# Uses $WORK/fipmae-COMMIT (a copy of target/release/fipmae built at COMMIT below).
set -u
commit=cc01fb0
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/r-pre; ft=$R/r-ft; ft2=$R/r-ft2
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B pretrain --preset tiny --method fip --examples 10000 --val-examples 500 --epochs 10 --seed 1 --threads 2 --out $pre $(resume $pre) || exit 1
  date
  time $B finetune --pretrained $pre --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 40 --lr 3e-3 --seed 1 --threads 2 --out $ft $(resume $ft) || exit 1
  date
  time $B finetune --init-from $ft --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 1e-3 --seed 2 --threads 2 --out $ft2 $(resume $ft2) || exit 1
  date
  for m in $ft $ft2; do
    [ -f $m-eval/report.json ] || time $B eval --model $m --pretrained $pre --out $m-eval --snr-min -10 --snr-max 20 --per-class 20
    [ -f $m-eval-fixed/report.json ] || time $B eval --model $m --pretrained $pre --out $m-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  done
  date
} >> $R/r.log 2>&1
