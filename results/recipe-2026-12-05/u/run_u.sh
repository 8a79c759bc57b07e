#!/usr/bin/env bash
# #25 run U: run R's `tiny` classifier (r-ft2) fine-tuned on with the sharper carrier-offset
# estimator of a42cbdd (band kept around the coarse estimate before the M-th power; the FSK
# family's midpoint fallback): 10 epochs of 8,000 fresh labels/class at lr 1e-3, the
# generator's defaults (ranges, offsets U[-0.05, 0.05], correction on), then eval -10..20 dB
# on its own test set and on the fixed-parameter, zero-offset one. The control arm with the
# old estimator is run T's t-cfo1e-2 (same from, epochs, lr; offsets to 1e-2).
# Then u-ft2: u-ft fine-tuned on for 20 more epochs of fresh labels at lr 1e-3 (u-ft's
# validation accuracy was still rising), and the same two evals; then u-ft3: u-ft2 polished
# for 20 epochs of fresh labels at lr 3e-4.
# ~1 min an epoch alone on the 2-core CPU. Resumable: run it again (remove a stale run.lock).
#
#   bash results/recipe-2026-12-05/u/run_u.sh [WORK]     # default WORK=/var/tmp/recipe25
set -u
commit=a42cbdd
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/r-pre; from=$R/r-ft2; ft=$R/u-ft; ft2=$R/u-ft2; ft3=$R/u-ft3
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  [ -f $ft-eval-fixed/report.json ] || time $B finetune --init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 10 --lr 1e-3 --seed 5 --threads 2 --out $ft $(resume $ft) || exit 1
  [ -f $ft-eval/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft-eval-fixed/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
  [ -f $ft2-eval-fixed/report.json ] || time $B finetune --init-from $ft --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 1e-3 --seed 6 --threads 2 --out $ft2 $(resume $ft2) || exit 1
  [ -f $ft2-eval/report.json ] || time $B eval --model $ft2 --pretrained $pre --out $ft2-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft2-eval-fixed/report.json ] || time $B eval --model $ft2 --pretrained $pre --out $ft2-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
  [ -f $ft3-eval-fixed/report.json ] || time $B finetune --init-from $ft2 --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 3e-4 --seed 7 --threads 2 --out $ft3 $(resume $ft3) || exit 1
  [ -f $ft3-eval/report.json ] || time $B eval --model $ft3 --pretrained $pre --out $ft3-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft3-eval-fixed/report.json ] || time $B eval --model $ft3 --pretrained $pre --out $ft3-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
} >> $R/u.log 2>&1
