#!/usr/bin/env bash
# #11 recipe run I: row 13's classifier (f-ft) trained on, 20 epochs of fresh labels
# (8,000 new examples per class every epoch: 1.6 M in all), lr 1e-3, SNR U[-10, 20] dB,
# seed 2 (validation and training examples row 13 never saw); eval -10..20 dB. Resumable.
# Needs run F's classifier in $R/f-ft (results/recipe-2026-11-27/f/run_f.sh).
set -u
B=/var/tmp/recipe/fipmae-i
R=/var/tmp/recipe
ft=$R/i-ft; ev=$R/i-eval
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --init-from $R/f-ft --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 20 --lr 1e-3 --seed 2 --out $ft $(resume $ft) || exit 1
  date
  # --pretrained: the autoencoder whose reconstructions the report measures (run B's, the
  # encoder's origin; builds after this run record it in run.json themselves)
  [ -f $ev/report.json ] || time $B eval --model $ft --pretrained $R/b-pre --out $ev --snr-min -10 --snr-max 20 --per-class 20
  date
} >> $R/i.log 2>&1
