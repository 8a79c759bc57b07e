#!/usr/bin/env bash
# #25 run S2: run S's `small` classifier (s-ft2) fine-tuned further on run R's label budget,
# 8,000 fresh labels/class per epoch for 10 epochs at lr 1e-3 (run S saw 1,000 per epoch and
# stopped at validation accuracy 0.72), then eval -10..20 dB on its own test set and on the
# fixed-parameter, zero-offset one. ~18 min an epoch on the 2-core CPU: it spans sessions;
# resumable: run it again after an interruption (remove a stale run.lock first).
#
#   bash results/recipe-2026-12-05/s/run_s2.sh [WORK]     # default WORK=/var/tmp/recipe25
#
# Uses $WORK/fipmae-COMMIT (a copy of target/release/fipmae built at COMMIT below).
#
# Stopped after epoch 1 (validation 0.684, s-ft3-partial/) and not resumed: at a42cbdd the
# carrier-offset estimator changed (README "What the correction itself cost"), and this
# binary renders with the old one, whose residual at 0-5 dB was what cost the retrained
# models their points. A `small` run should start again on the new estimator (on a GPU:
# scripts/gpu_train.sh).
set -u
commit=c9f9c24
R="${1:-/var/tmp/recipe25}"
B="$R/fipmae-$commit"
pre=$R/s-pre; from=$R/s-ft2; ft=$R/s-ft3
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 --snr-min -10 --snr-max 20 --epochs 10 --lr 1e-3 --seed 3 --threads 2 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ft-eval/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval --snr-min -10 --snr-max 20 --per-class 20
  [ -f $ft-eval-fixed/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  date
} >> $R/s2.log 2>&1
