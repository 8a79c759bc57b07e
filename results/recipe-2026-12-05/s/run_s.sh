#!/usr/bin/env bash
# #25 run S: run R's recipe with the `small` preset (64 px, 8 px patches, width 192, depth 6)
# on the 2-core CPU, now that issue #26's changes train it ~1.8x faster: the standard
# generator as it now is (parameter ranges, offsets up to ±0.05 cycles/sample, offset
# removed before rendering); pretrained on 5 × 10,000 examples, fine-tuned on 1,000
# labels/class for 20 epochs at lr 3e-3, then 20 epochs of fresh labels at lr 1e-3; eval
# -10..20 dB on its own test set and on the fixed-parameter, zero-offset one. The lever
# left for #25 after run R's `tiny` network stopped learning (r-ft3). Resumable: run it
# again after an interruption.
#
#   bash results/recipe-2026-12-05/s/run_s.sh [WORK]     # default WORK=/var/tmp/recipe25
#
# Uses $WORK/fipmae-COMMIT (a copy of target/release/fipmae built at COMMIT below).
set -u
commit=48260ed
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/s-pre; ft=$R/s-ft; ft2=$R/s-ft2
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B pretrain --preset small --method fip --examples 10000 --val-examples 500 --epochs 5 --seed 1 --threads 2 --out $pre $(resume $pre) || exit 1
  date
  time $B finetune --pretrained $pre --labels-per-class 1000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 3e-3 --seed 1 --threads 2 --out $ft $(resume $ft) || exit 1
  date
  time $B finetune --init-from $ft --fresh-labels --labels-per-class 1000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 1e-3 --seed 2 --threads 2 --out $ft2 $(resume $ft2) || exit 1
  date
  for m in $ft $ft2; do
    [ -f $m-eval/report.json ] || time $B eval --model $m --pretrained $pre --out $m-eval --snr-min -10 --snr-max 20 --per-class 20
    [ -f $m-eval-fixed/report.json ] || time $B eval --model $m --pretrained $pre --out $m-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  done
  date
} >> $R/s.log 2>&1
