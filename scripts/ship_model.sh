#!/usr/bin/env bash
# Puts a fine-tuned classifier in static/ as the demo's model, with its report:
#   bash scripts/ship_model.sh FINETUNE_RUN PRETRAIN_RUN EVAL_DIR
# EVAL_DIR is `fipmae eval --model FINETUNE_RUN --pretrained PRETRAIN_RUN --out EVAL_DIR`'s
# (the f32 run's report, kept beside the bundle's as the export's input). The shipped
# report is then made from the bundle itself, as shipped (f16 weights), after `fipmae
# calibrate --model static` fits its open-set rule (static/calibration.json):
# `fipmae eval --model static --snr-max 20` writes static/report.json and static/report/. Then
# checks the new weights against the browser's existing golden values
# (tests/golden/studio.json, the `golden` test without FIPMAE_BLESS) and prints what
# changed, blesses them for the new weights, and checks the model on the independent
# implementation's bursts (within 5 points of its own report, as the test command does).
# static/README.md (the commands and numbers) is yours to update.
set -euo pipefail
[ $# -eq 3 ] || { sed -n 2,10p "$0"; exit 2; }
ft=$1 pre=$2 ev=$3
cd "$(dirname "$0")/.."
for f in "$ft/classifier.fipmae" "$pre/model.fipmae" "$ev/report.json" "$ev/report.md"; do
  [ -f "$f" ] || { echo "ship_model: no $f" >&2; exit 1; }
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}"
cargo run --release --locked -q -p trainer -- export --model "$ft" --pretrained "$pre" \
  --report "$ev" --half --out static
# the "unknown" verdict and calibrated probabilities, fitted on the bundle as shipped
cargo run --release --locked -q -p trainer -- calibrate --model static
# the shipped file scored as shipped: the report of the bundle, not of the f32 run
scored=$(mktemp -d)
cargo run --release --locked -q -p trainer -- eval --model static --snr-min -10 --snr-max 20 \
  --per-class 20 --out "$scored"
# and its open-set figures (every score, the stored rule first), as README quotes them
FIPMAE="$CARGO_TARGET_DIR/release/fipmae" bash results/openset-2026-12-05/run.sh static static/report >/dev/null
cp "$scored/report.json" static/report.json
for f in report.md accuracy.svg confusion.svg reconstructions.png; do
  [ -f "$scored/$f" ] && cp "$scored/$f" static/report/
done
rm -rf "$scored"
python3 - "$ev/report.json" static/report.json <<'PY'
import json, sys
run, shipped = (json.load(open(p)) for p in sys.argv[1:3])
print(f"ship_model: mean 0..10 dB {100 * run['mean_0_to_10_db']:.1f} % (f32 run) -> "
      f"{100 * shipped['mean_0_to_10_db']:.1f} % (bundle as shipped)")
PY
golden=tests/golden/studio.json
old_golden=""
if [ -f "$golden" ]; then
  old_golden=$(mktemp)
  trap 'rm -f "$old_golden"' EXIT
  cp "$golden" "$old_golden"
  echo "ship_model: the new weights against the existing golden values ($golden):"
  # FIPMAE_BLESS unset: the test only compares (its failure message names the first value
  # that moved and by how much)
  check_rc=0
  check=$(env -u FIPMAE_BLESS cargo test --release --locked -q -p fipmae-tests --test golden 2>&1) \
    || check_rc=$?
  printf '%s\n' "$check" | sed 's/^/  | /'
  if [ "$check_rc" -eq 0 ]; then
    echo "ship_model: golden values unchanged (within the test's tolerance)"
  elif printf '%s\n' "$check" | grep -q 'panicked'; then
    echo "ship_model: golden values change with the new weights (above); blessing them"
  else
    echo "ship_model: the comparison did not run to its end (exit $check_rc, above); blessing"
  fi
else
  echo "ship_model: no $golden yet: nothing to compare, the golden test writes it"
fi
FIPMAE_BLESS=1 cargo test --release --locked -q -p fipmae-tests --test golden
if [ -n "$old_golden" ]; then
  # every field's largest change, old file against the blessed one
  python3 - "$old_golden" "$golden" <<'PY'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
def diff(a, b):
    if len(a) != len(b):
        return f"length {len(a)} -> {len(b)}"
    try:
        return f"max |change| {max((abs(x - y) for x, y in zip(a, b)), default=0.0):.3g}"
    except TypeError:  # a null (NaN) among the values
        return "changed" if a != b else "unchanged"
print("ship_model: golden values, old -> blessed:")
om = {m["modality"]: m for m in old.get("modalities", [])}
for m in new.get("modalities", []):
    o = om.get(m["modality"])
    for k in ("input", "target", "reconstruction", "mask"):
        print(f"  {m['modality']} {k}: " + (diff(o[k], m[k]) if o else "new"))
print(f"  logits: {diff(old.get('logits', []), new.get('logits', []))}")
arg = lambda v: max(range(len(v)), key=v.__getitem__) if v else None
print(f"  top logit index: {arg(old.get('logits', []))} -> {arg(new.get('logits', []))}")
PY
  rm -f "$old_golden"
fi
bash scripts/independent_check.sh
