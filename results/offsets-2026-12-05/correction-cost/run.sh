#!/usr/bin/env bash
# What the offset correction itself costs on bursts that have no offset: a classifier
# (default: the shipped one, trained without correction on the fixed setting) evaluated on
# the fixed-parameter, zero-offset test set (0..10 dB, 20 per class and dB) as it is and
# with the correction turned on in a copy of its bundle (bundle.json's signal and render
# `offset_correction`), once per fipmae binary given (e.g. builds before and after an
# estimator change). Prints one row per binary and setting, with per-class accuracy.
#
#   bash results/offsets-2026-12-05/correction-cost/run.sh BUNDLE BIN...
set -euo pipefail
bundle="$1"; shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$bundle" "$work/off"
cp -r "$bundle" "$work/on"
python3 - "$work/on/bundle.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["signal"]["offset_correction"] = True
d["render"]["offset_correction"] = True
json.dump(d, open(p, "w"), indent=1)
PY
echo "| binary | correction | 0 dB | 3 dB | 5 dB | mean 0..10 dB | per class (0..10 dB) |"
echo "|---|---|---|---|---|---|---|"
for bin in "$@"; do
  for c in off on; do
    "$bin" eval --model "$work/$c" --out "$work/e-$c" --snr-min 0 --snr-max 10 --recon-per-class 0 \
      --class-parameters fixed --max-freq-offset 0 >/dev/null
    python3 - "$work/e-$c/report.json" "$(basename "$bin")" "$c" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
acc = {a["snr_db"]: a["accuracy"] for a in r["per_snr"]}
c = r["confusion"]
per = " ".join(f"{n} {100 * c[i][i] / sum(c[i]):.0f}" for i, n in enumerate(r["classes"]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | {100 * acc[0.0]:.1f} | {100 * acc[3.0]:.1f} | "
      f"{100 * acc[5.0]:.1f} | {100 * r['mean_0_to_10_db']:.1f} | {per} |")
PY
  done
done
