#!/usr/bin/env bash
# #11 recipe run B: tiny FIP-DenoMAE, 100,000 pretraining examples, then abundant labels
# (2,000/class), SNR U[-10, 20] dB, 10 epochs, lr 1e-3; eval -10..20 dB. Resumable: rerun it.
set -u
B=/var/tmp/recipe/fipmae-b
R=/var/tmp/recipe
pre=$R/b-pre; ft=$R/b-ft; ev=$R/b-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B pretrain --preset tiny --method fip --examples 10000 --val-examples 500 --epochs 10 --seed 1 --out $pre $(resume $pre) || exit 1
  date
  time $B finetune --pretrained $pre --labels-per-class 2000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 10 --lr 1e-3 --seed 1 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/b.log 2>&1
