#!/usr/bin/env bash
# Issue #22's CPU campaign: ViT from scratch, DenoMAE and FIP-DenoMAE under the DenoMAE
# reference's per-SNR protocol (one classifier per method, seed and SNR), three seeds,
# full fine-tuning and a frozen encoder, both generator profiles, two pretraining
# lengths: the earlier comparison's (2,000 examples × 4 epochs) and 10× it (10,000 × 8).
#
#   bash results/paper-protocol-2026-12-05/run.sh [WORK]     # default WORK=/var/tmp/campaign22
#
# Resumable: run the same command again after an interruption (every `compare` runs with
# --resume; finished cells are read back). Each set runs a copy of target/release/fipmae
# built at a pinned commit, $WORK/bin/fipmae-COMMIT (a copy, so rebuilding the clone does
# not change a running campaign; a set waits until its binary is there):
#   git checkout COMMIT && cargo build --release -p trainer && cp target/release/fipmae $WORK/bin/fipmae-COMMIT
# The standard sets use 55a7217 (the standard generator with one parameter point per
# class, as the paper); the denomae sets 6b79988, whose denomae profile makes GMSK
# bursts of 8,192 samples as the reference does. Writes one folder per set, plus
# campaign.log with each set's start, end and wall time.
set -uo pipefail
work="${1:-/var/tmp/campaign22}"
log="$work/campaign.log"
mkdir -p "$work"
common=(--protocol per-snr --snrs=-10,-5,0,5,10 --preset tiny --seeds 3
  --methods vit,denomae,fip --encoder full,frozen --labels-per-class 100
  --finetune-epochs 30 --threads 2 --resume)
# one set per line: folder name, the commit of its binary, then its options
sets="denomae-short 6b79988 --profile denomae --examples 2000 --pretrain-epochs 4
standard-short 55a7217 --profile standard --examples 2000 --pretrain-epochs 4
denomae-long 6b79988 --profile denomae --examples 10000 --pretrain-epochs 8
standard-long 55a7217 --profile standard --examples 10000 --pretrain-epochs 8"
while read -r name commit extra; do
  [ -z "$name" ] && continue
  bin="$work/bin/fipmae-$commit"
  while [ ! -x "$bin" ]; do
    echo "$(date -u +%FT%TZ) $name waits for $bin" >>"$log"
    sleep 300
  done
  start=$(date +%s)
  echo "$(date -u +%FT%TZ) start $name ($bin): compare ${common[*]} $extra --out $work/$name" >>"$log"
  # shellcheck disable=SC2086
  if "$bin" compare "${common[@]}" $extra --out "$work/$name" >"$work/$name.log" 2>&1; then
    echo "$(date -u +%FT%TZ) done $name in $(($(date +%s) - start)) s" >>"$log"
  else
    echo "$(date -u +%FT%TZ) FAILED $name after $(($(date +%s) - start)) s: $(tail -n 2 "$work/$name.log" | tr '\n' ' ')" >>"$log"
  fi
done <<<"$sets"
