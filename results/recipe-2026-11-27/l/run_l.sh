#!/usr/bin/env bash
# #11 recipe run L: run I's classifier (i-ft) trained on, 25 epochs of fresh labels
# (8,000 new examples per class every epoch: 2 M in all), lr 1e-3, SNR U[-10, 20] dB,
# seed 3 (examples neither earlier run saw); eval -10..20 dB. Resumable.
# Needs run I's classifier in $R/i-ft (results/recipe-2026-11-27/i/run_i.sh).
set -u
B=/var/tmp/recipe/fipmae-r
R=/var/tmp/recipe
ft=$R/l-ft; ev=$R/l-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --init-from $R/i-ft --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 25 --lr 1e-3 --seed 3 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/l.log 2>&1
