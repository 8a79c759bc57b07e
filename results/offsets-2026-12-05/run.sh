#!/usr/bin/env bash
# Issue #25's measurements of one classifier (a bundle folder or a fine-tuning run) against
# carrier offsets and per-class parameter ranges:
#   1. the independent implementation's bursts (scripts/independent_bursts.py, numpy),
#      conditions cfo0, cfo1e-4, cfo1e-3, cfo1e-2, cfo5e-2 (offset U[-max, max]
#      cycles/sample), ranges (README's parameter table) and field (ranges + offset up to
#      1e-2), 40 bursts per class at 0, 5, 10 and 20 dB, judged by `fipmae classify`;
#   2. our own generator through `fipmae eval`: fixed parameters at each offset bound,
#      and the parameter ranges, 20 test examples per class at every SNR of -10..20 dB.
#
#   bash results/offsets-2026-12-05/run.sh MODEL OUTDIR      # e.g. static results/offsets-2026-12-05/row14
#
# Writes OUTDIR/independent.md (accuracy per condition and SNR, then per class),
# OUTDIR/eval-*.json (eval reports without figures) and OUTDIR/summary.md.
set -euo pipefail
model="$1"; out="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${FIPMAE:-$root/target/release/fipmae}"
[ -x "$bin" ] || bin="${CARGO_TARGET_DIR:-/var/tmp/fipmae-target}/release/fipmae"
source "$root/scripts/tools.sh"
py="$(ensure_py_venv)/bin/python"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
conditions="cfo0 cfo1e-4 cfo1e-3 cfo1e-2 cfo5e-2 ranges field"
# shellcheck disable=SC2086
"$py" "$root/scripts/independent_bursts.py" --out "$work/ind" --per-class 40 --snr 0 5 10 20 --condition $conditions >/dev/null
"$bin" classify --model "$model" --json "$work"/ind/*.sigmf-meta >"$work/ind/verdicts.jsonl"
"$py" "$root/scripts/independent_bursts.py" --out "$work/ind" --score "$work/ind/verdicts.jsonl" --per-class >"$out/independent.md"
for f in 0 1e-4 1e-3 1e-2 5e-2; do
  "$bin" eval --model "$model" --out "$work/eval-fixed-$f" --snr-max 20 --recon-per-class 0 \
    --class-parameters fixed --max-freq-offset "$f" >/dev/null
  cp "$work/eval-fixed-$f/report.json" "$out/eval-fixed-cfo$f.json"
done
"$bin" eval --model "$model" --out "$work/eval-ranges" --snr-max 20 --recon-per-class 0 \
  --class-parameters ranges --max-freq-offset 0 >/dev/null
cp "$work/eval-ranges/report.json" "$out/eval-ranges-cfo0.json"
"$py" - "$out" <<'PY' >"$out/summary.md"
import json, sys, glob, os
out = sys.argv[1]
print("| our test set | -10 dB | 0 dB | 5 dB | 10 dB | 20 dB | mean 0..10 dB |")
print("|---|---|---|---|---|---|---|")
order = ["fixed-cfo0", "fixed-cfo1e-4", "fixed-cfo1e-3", "fixed-cfo1e-2", "fixed-cfo5e-2", "ranges-cfo0"]
for f in [os.path.join(out, f"eval-{n}.json") for n in order]:
    r = json.load(open(f))
    acc = {a["snr_db"]: a["accuracy"] for a in r["per_snr"]}
    name = os.path.basename(f)[5:-5]
    cells = " | ".join(f"{100 * acc[s]:.1f}" for s in (-10.0, 0.0, 5.0, 10.0, 20.0))
    print(f"| {name} | {cells} | {100 * r['mean_0_to_10_db']:.1f} |")
PY
cat "$out/summary.md" "$out/independent.md"
