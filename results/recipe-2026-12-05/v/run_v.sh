#!/usr/bin/env bash
# #25 run V: run R's recipe again from scratch with the sharper carrier-offset estimator of
# a42cbdd, fresh labels throughout (RECIPE row 14's lesson): `tiny` FIP-DenoMAE pretrained on
# 10 × 10,000 examples of the standard generator's defaults (parameter ranges, offsets
# U[-0.05, 0.05], correction on), fine-tuned for 40 epochs of 8,000 fresh labels/class at
# lr 3e-3, then 20 more at lr 1e-3; eval -10..20 dB on its own test set and on the
# fixed-parameter, zero-offset one. ~1 min an epoch alone on the 2-core CPU.
# Resumable: run it again after an interruption (remove a stale run.lock first).
#
#   bash results/recipe-2026-12-05/v/run_v.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=a42cbdd
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/v-pre; ft=$R/v-ft; ft2=$R/v-ft2
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  [ -f $pre/model.fipmae ] || time $B pretrain --preset tiny --method fip --examples 10000 --val-examples 500 --epochs 10 --seed 1 --threads 2 --out $pre $(resume $pre) || exit 1
  date
  [ -f $ft-eval-fixed/report.json ] || time $B finetune --pretrained $pre --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 40 --lr 3e-3 --seed 1 --threads 2 --out $ft $(resume $ft) || exit 1
  [ -f $ft-eval/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft-eval-fixed/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
  [ -f $ft2-eval-fixed/report.json ] || time $B finetune --init-from $ft --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 1e-3 --seed 2 --threads 2 --out $ft2 $(resume $ft2) || exit 1
  [ -f $ft2-eval/report.json ] || time $B eval --model $ft2 --pretrained $pre --out $ft2-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft2-eval-fixed/report.json ] || time $B eval --model $ft2 --pretrained $pre --out $ft2-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
} >> $R/v.log 2>&1
