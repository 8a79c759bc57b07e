#!/usr/bin/env bash
# The shipped model (static/) on the independent implementation's bursts
# (scripts/independent_bursts.py, nominal channel, 30 per class at 5, 10 and 20 dB): fails
# unless its accuracy is within 5 points of static/report.json's at each SNR. Run by the
# test command and by scripts/ship_model.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
venv=$(ensure_py_venv)
"$venv/bin/python" scripts/independent_bursts.py --out "$out" --per-class 30 --snr 5 10 20 \
  --condition nominal
cargo run --release --locked -q -p trainer -- classify --model static --json "$out"/*.sigmf-meta \
  >"$out/verdicts.jsonl"
"$venv/bin/python" scripts/independent_bursts.py --out "$out" --score "$out/verdicts.jsonl" \
  --check static/report.json --within 5
echo "independent bursts: 1 passed"
