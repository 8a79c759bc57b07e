#!/usr/bin/env bash
# Alternating A/B of `fipmae bench model` (pretraining step and classifier forward,
# examples/s) between builds, with any background training (`fipmae-*` binaries named in
# PAUSE, a pgrep pattern) paused by SIGSTOP for the duration. The vendor/README.md rows of
# 2026-12-05 come from it; raw lines in ab-2026-12-05.txt.
#
#   bash results/cpu-speed-2026-12-05/ab.sh ROUNDS BIN...    # T=threads (2), PRESETS (small), STEPS (10)
rounds=$1; shift
pids=$(pgrep -f "${PAUSE:-fipmae-48260ed|fipmae-c9f9c24}")
[ -n "$pids" ] && kill -STOP $pids
trap '[ -n "$pids" ] && kill -CONT $pids' EXIT
export RAYON_NUM_THREADS=${T:-2}
for _ in $(seq "$rounds"); do for b in "$@"; do
  for p in ${PRESETS:-small}; do
    echo "$(basename "$b") $p $("$b" bench model --json --preset "$p" --method fip --batch-size 32 --steps "${STEPS:-10}" | python3 -c 'import json,sys; d=json.loads([l for l in sys.stdin if l.startswith("{")][0]); print(round(d["pretrain_examples_per_s"],1), round(d["classify_examples_per_s"],1))')"
  done
done; done
