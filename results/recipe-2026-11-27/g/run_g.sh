#!/usr/bin/env bash
# #11 recipe run G: run E with domain randomisation of the carrier frequency offset
# (labelled data with offsets up to 5e-4 cycles/sample, 10x the default). Resumable: rerun it.
set -u
B=/var/tmp/recipe/fipmae-g
R=/var/tmp/recipe
pre=$R/b-pre; ft=$R/g-ft; ev=$R/g-eval
export RAYON_NUM_THREADS=1
resume() { [ -f "$1/run.json" ] && echo --resume; }
{
  date
  time $B finetune --pretrained $pre --labels-per-class 4000 --val-per-class 50 --snr-min -10 --snr-max 20 --max-freq-offset 5e-4 --epochs 30 --lr 3e-3 --seed 1 --threads 1 --out $ft $(resume $ft) || exit 1
  date
  [ -f $ev/report.json ] || time $B eval --model $ft --out $ev --snr-min -10 --snr-max 20 --per-class 20 --threads 1
  d=$R/g-indep
  [ -f $d/mismatch.md ] || {
    /var/tmp/fipmae-venv/bin/python /work/main/scripts/independent_bursts.py --out $d --per-class 40 &&
    $B classify --model $ft --json $d/*.sigmf-meta > $d/verdicts.jsonl &&
    /var/tmp/fipmae-venv/bin/python /work/main/scripts/independent_bursts.py --out $d --score $d/verdicts.jsonl --check $ev/report.json
  }
  date
} >> $R/g.log 2>&1
