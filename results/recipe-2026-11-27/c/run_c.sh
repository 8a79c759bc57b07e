#!/usr/bin/env bash
# #11 recipe run C: run B's pretrained tiny FIP-DenoMAE encoder, 4,000 labels/class,
# SNR U[-10, 20] dB, 15 epochs, lr 1e-3; eval -10..20 dB. Resumable: rerun it.
set -u
B=/var/tmp/recipe/fipmae-b
R=/var/tmp/recipe
pre=$R/b-pre; ft=$R/c-ft; ev=$R/c-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --pretrained $pre --labels-per-class 4000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 15 --lr 1e-3 --seed 1 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/c.log 2>&1
