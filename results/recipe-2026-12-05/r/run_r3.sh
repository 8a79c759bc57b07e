#!/usr/bin/env bash
# #25 run R, stage 3: run R's classifier (r-ft2) trained on for 30 more epochs of fresh
# labels (8,000 new examples per class each epoch, seed 3, lr 1e-3), to close the gap on
# the fixed zero-offset test set (r-ft2: 86.4 % mean 0..10 dB against the shipped 94.0 %);
# then eval -10..20 dB on its own test set and on the fixed, zero-offset one.
# Resumable: run it again after an interruption.
#
#   bash results/recipe-2026-12-05/r/run_r3.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=cc01fb0
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
ft2=$R/r-ft2; ft3=$R/r-ft3; pre=$R/r-pre
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --init-from $ft2 --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 30 --lr 1e-3 --seed 3 --threads 2 --out $ft3 $(resume $ft3) || exit 1
  date
  [ -f $ft3-eval/report.json ] || time $B eval --model $ft3 --pretrained $pre --out $ft3-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft3-eval-fixed/report.json ] || time $B eval --model $ft3 --pretrained $pre --out $ft3-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
} >> $R/r3.log 2>&1
