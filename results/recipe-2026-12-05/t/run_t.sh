#!/usr/bin/env bash
# #25 run T: which part of the wider generator costs run R's `tiny` classifier its points on
# the old fixed-parameter, zero-offset test set (r-ft2: 86.4 % mean over 0..10 dB against the
# shipped 94.0 %)? Each arm goes on from r-ft2 (`--init-from`) for 10 epochs of 8,000 fresh
# labels/class at lr 1e-3 with ONE change to the labelled data, then evals -10..20 dB on the
# fixed, zero-offset set and on its own (ranges + offsets) test set:
#   t-cfo1e-2   carrier offsets U[-1e-2, 1e-2] instead of U[-5e-2, 5e-2] (the target bound)
#   t-snr0      training SNR 0..20 dB instead of -10..20 dB (stopped at its start on
#               2026-12-05, not run: the correction-cost measurement had found the cause,
#               results/offsets-2026-12-05/correction-cost/; run U tests the fix)
# ~13 min an arm on the 2-core CPU. Resumable: run it again (remove a stale run.lock first).
#
#   bash results/recipe-2026-12-05/t/run_t.sh [WORK] [ARM...]   # default WORK=/var/tmp/recipe25, all arms
set -u
commit=c9f9c24
R="${1:-/var/tmp/recipe25}"; shift || true
arms="${*:-t-cfo1e-2 t-snr0}"
B="$R/fipmae-$commit"
pre=$R/r-pre; from=$R/r-ft2
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  for arm in $arms; do
    ft=$R/$arm
    case $arm in
      t-cfo1e-2) extra="--max-freq-offset 1e-2 --snr-min -10 --snr-max 20" ;;
      t-snr0) extra="--snr-min 0 --snr-max 20" ;;
      *) echo "unknown arm $arm"; exit 2 ;;
    esac
    date; echo "arm $arm: $extra"
    # shellcheck disable=SC2086
    time $B finetune --init-from $from --fresh-labels --labels-per-class 8000 --val-per-class 50 $extra --epochs 10 --lr 1e-3 --seed 4 --threads 2 --out $ft $(resume $ft) || exit 1
    [ -f $ft-eval/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval --snr-min -10 --snr-max 20 --per-class 20 --max-freq-offset 5e-2
    [ -f $ft-eval-fixed/report.json ] || time $B eval --model $ft --pretrained $pre --out $ft-eval-fixed --snr-min -10 --snr-max 20 --per-class 20 --class-parameters fixed --max-freq-offset 0
  done
  date
} >> $R/t.log 2>&1
