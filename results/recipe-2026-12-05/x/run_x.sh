#!/usr/bin/env bash
# #25 run X: run W's w-offsets (u-ft3 + 10 epochs on the fixed parameters with carrier offsets
# U[-0.05, 0.05] and the correction on: 92.0 % on the old fixed, zero-offset test set) trained
# on for 20 more epochs of fresh labels at lr 3e-4, same data; then evaluated on the fixed,
# zero-offset test set and on its own (fixed parameters, offsets to 0.05), by the build of
# f76acd9 (with the accuracy per class at each SNR).
# ~45 s an epoch alone on the 2-core CPU. Resumable: run it again (remove a stale run.lock).
#
#   bash results/recipe-2026-12-05/x/run_x.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=a42cbdd
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
E="$R/fipmae-f76acd9"  # eval with per-class tables
pre=$R/r-pre; from=$R/w-offsets; x=$R/x-offsets
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  [ -f $x-eval-fixed/report.json ] || time $B finetune --init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 3e-4 --threads 2 --seed 10 --class-parameters fixed --max-freq-offset 0.05 --offset-correction on --out $x $(resume $x) || exit 1
  [ -f $x-eval-fixed/report.json ] || time $E eval --model $x --pretrained $pre --out $x-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  [ -f $x-eval/report.json ] || time $E eval --model $x --pretrained $pre --out $x-eval --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/x.log 2>&1
