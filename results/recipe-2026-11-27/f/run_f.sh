#!/usr/bin/env bash
# #11 recipe run F: run B's pretrained tiny encoder, 8,000 labels/class, lr 3e-3,
# SNR U[-10, 20] dB, 40 epochs; eval -10..20 dB. Resumable: rerun it.
set -u
B=/var/tmp/recipe/fipmae-b
R=/var/tmp/recipe
pre=$R/b-pre; ft=$R/f-ft; ev=$R/f-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --pretrained $pre --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 40 --lr 3e-3 --seed 1 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/f.log 2>&1
