#!/usr/bin/env bash
# Before/after of issue #26 on this machine: the build at e436abe (before), the build with
# every #26 change (after) and the PyTorch twin, `small`, batch 32, 2 threads, alternating.
set -eu
# BEFORE/AFTER: two fipmae binaries, e.g. built with `git worktree add /tmp/b e436abe` then
# `cargo build --release --locked -p trainer` there, and this tree's build.
before=$1 after=$2 venv=${FIPMAE_TORCH_VENV:-/var/tmp/fipmae-torch-venv}
export RAYON_NUM_THREADS=2 OMP_NUM_THREADS=2
for r in 1 2 3; do
  for side in before after pytorch; do
    case $side in
      before) $before bench model --json --preset small --method fip --batch-size 32 --steps 10 ;;
      after) $after bench model --json --preset small --method fip --batch-size 32 --steps 10 ;;
      pytorch) $venv/bin/python bench/torch_twin.py --preset small --method fip --batch-size 32 --steps 10 --threads 2 ;;
    esac | grep '^{' | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print('$side', round(d['pretrain_examples_per_s'],1), round(d['classify_examples_per_s'],1), round(d.get('forward_ms',0)), round(d.get('backward_ms',0)))"
  done
done
