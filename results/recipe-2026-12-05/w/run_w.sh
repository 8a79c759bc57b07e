#!/usr/bin/env bash
# #25 run W, a diagnosis: which of the two new things in the training data costs the points
# on the old fixed-parameter, zero-offset test set (u-ft3: 90.1 % mean over 0..10 dB against
# the shipped model's 94.0 %)? From u-ft3, 10 epochs of fresh labels at lr 3e-4 each:
#   w-ranges: the parameter ranges, no carrier offset, no correction;
#   w-offsets: the fixed parameters, offsets U[-0.05, 0.05] with the correction on;
# then both evaluated on the fixed, zero-offset test set and on their own, by the build of
# f76acd9 (the same scores as a42cbdd's, plus the accuracy per class at each SNR); and the
# three (u-ft3 too) over the ranges with no offset.
# ~1 min an epoch alone on the 2-core CPU. Resumable: run it again (remove a stale run.lock).
#
#   bash results/recipe-2026-12-05/w/run_w.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=a42cbdd
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
E="$R/fipmae-f76acd9"  # eval with per-class tables
from=$R/u-ft3; a=$R/w-ranges; b=$R/w-offsets
resume() { [ -f "$1/run.json" ] && echo --resume; }
common="--init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 10 --lr 3e-4 --threads 2"
{
  date
  [ -f $a-eval-fixed/report.json ] || time $B finetune $common --seed 8 --class-parameters ranges --max-freq-offset 0 --offset-correction off --out $a $(resume $a) || exit 1
  date
  [ -f $b-eval-fixed/report.json ] || time $B finetune $common --seed 9 --class-parameters fixed --max-freq-offset 0.05 --offset-correction on --out $b $(resume $b) || exit 1
  for m in $a $b; do
    [ -f $m-eval-fixed/report.json ] || time $E eval --model $m --out $m-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --recon-per-class 0 --class-parameters fixed --max-freq-offset 0
    [ -f $m-eval/report.json ] || time $E eval --model $m --out $m-eval --snr-min -10 --snr-max 20 --per-class 20 --recon-per-class 0
  done
  # all three over the ranges with no offset at all (u-ft3's folder is run U's)
  for m in $from $a $b; do
    [ -f $m-eval-ranges0/report.json ] || time $E eval --model $m --out $m-eval-ranges0 --snr-min -10 --snr-max 20 --per-class 20 --recon-per-class 0 --class-parameters ranges --max-freq-offset 0
  done
  date
} >> $R/w.log 2>&1
