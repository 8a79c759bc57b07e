#!/usr/bin/env bash
# #25 run Y: the shipped x-offsets (RECIPE row 23, trained before the offset estimator's SNR
# floor of 4227550) trained on for 10 epochs of fresh labels at lr 3e-4 with the floor in
# place (same data otherwise: fixed parameters, offsets U[-0.05, 0.05], correction on), to
# see what adapting to it is worth at low SNR; then evaluated on the fixed, zero-offset test
# set and on its own.
# ~45 s an epoch alone on the 2-core CPU. Resumable: run it again (remove a stale run.lock).
#
#   bash results/recipe-2026-12-05/y/run_y.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=4227550
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/r-pre; from=$R/x-offsets; y=$R/y-floor
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  [ -f $y-eval-fixed/report.json ] || time $B finetune --init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 10 --lr 3e-4 --threads 2 --seed 11 --class-parameters fixed --max-freq-offset 0.05 --offset-correction on --out $y $(resume $y) || exit 1
  [ -f $y-eval-fixed/report.json ] || time $B eval --model $y --pretrained $pre --out $y-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  [ -f $y-eval/report.json ] || time $B eval --model $y --pretrained $pre --out $y-eval --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/y.log 2>&1
