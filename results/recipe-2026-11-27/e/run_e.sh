#!/usr/bin/env bash
# #11 recipe run E: run B's pretrained tiny encoder, 4,000 labels/class, lr 3e-3,
# SNR U[-10, 20] dB, 30 epochs; eval -10..20 dB. Resumable: rerun it.
set -u
B=/var/tmp/recipe/fipmae-b
R=/var/tmp/recipe
pre=$R/b-pre; ft=$R/e-ft; ev=$R/e-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --pretrained $pre --labels-per-class 4000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 30 --lr 3e-3 --seed 1 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/e.log 2>&1
