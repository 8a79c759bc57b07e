#!/usr/bin/env bash
# Puts a fine-tuned classifier in static/ as the demo's model, with its report:
#   bash scripts/ship_model.sh FINETUNE_RUN PRETRAIN_RUN EVAL_DIR
# EVAL_DIR is `fipmae eval --model FINETUNE_RUN --pretrained PRETRAIN_RUN --out EVAL_DIR`'s
# (its report.json goes into bundle; its report.md and figures into static/report/). Then
# blesses the browser's golden values for the new weights and checks the model on the
# independent implementation's bursts (within 5 points of its own report, as the test
# command does). static/README.md (the commands and numbers) is yours to update.
set -euo pipefail
[ $# -eq 3 ] || { sed -n 2,8p "$0"; exit 2; }
ft=$1 pre=$2 ev=$3
cd "$(dirname "$0")/.."
for f in "$ft/classifier.fipmae" "$pre/model.fipmae" "$ev/report.json" "$ev/report.md"; do
  [ -f "$f" ] || { echo "ship_model: no $f" >&2; exit 1; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
cargo run --release --locked -q -p trainer -- export --model "$ft" --pretrained "$pre" \
  --report "$ev" --half --out static
for f in report.md accuracy.svg confusion.svg reconstructions.png; do
  [ -f "$ev/$f" ] && cp "$ev/$f" static/report/
done
FIPMAE_BLESS=1 cargo test --release --locked -q -p fipmae-tests --test golden
bash scripts/independent_check.sh
